/* Whole files (file.h). */
#include "base/file.h"
#include "base/vec.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *file_read(const char *path)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return NULL;
	VEC(char) buf = { 0 };
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (vec_reserve(&buf, buf.n + n + 1)) {
			free(buf.v);
			fclose(f);
			errno = ENOMEM;
			return NULL;
		}
		memcpy(buf.v + buf.n, chunk, n);
		buf.n += n;
	}
	int err = ferror(f);
	fclose(f);
	if (err) {
		free(buf.v);
		errno = EIO;
		return NULL;
	}
	if (!buf.v)
		return calloc(1, 1);
	buf.v[buf.n] = 0;
	return buf.v;
}

int file_replace(const char *path, const char *text, unsigned mode)
{
	char tmp[4096];
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	size_t len = strlen(text), off = 0;
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0) {
			int e = -errno;
			close(fd);
			unlink(tmp);
			return e;
		}
		off += (size_t)w;
	}
	if (fsync(fd) < 0 || close(fd) < 0 || rename(tmp, path) < 0) {
		int e = -errno;
		unlink(tmp);
		return e;
	}
	return 0;
}
