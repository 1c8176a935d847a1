/* Whole files (file.h). */
#include "base/file.h"
#include "base/vec.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
	/* A fresh file of our own (mkostemp: O_CREAT|O_EXCL, never a name
	 * someone else prepared or a link), its mode and group set before the
	 * data goes in, synced, then renamed over the file, and the directory
	 * synced. A fixed PATH.tmp opened without O_EXCL once left the final
	 * file, BGP passwords in it, owned by whoever had made PATH.tmp, mode
	 * 0666. */
	char tmp[4096];
	struct stat old;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int e = 0;
	/* the mode asked for, less the umask, as open(O_CREAT) would have
	 * made it (a unit's UMask= narrows it further) */
	mode_t um = umask(0);
	umask(um);
	if (fchmod(fd, mode & ~um & 07777) < 0)
		e = -errno;
	/* the group the file had (BIRD's, on a switch), where the directory
	 * did not give it already */
	if (!e && stat(path, &old) == 0 && fchown(fd, (uid_t)-1, old.st_gid) < 0 && errno != EPERM)
		e = -errno;
	size_t len = strlen(text), off = 0;
	while (!e && off < len) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0)
			e = -errno;
		else
			off += (size_t)w;
	}
	if (!e && fsync(fd) < 0)
		e = -errno;
	if (close(fd) < 0 && !e)
		e = -errno;
	if (!e && rename(tmp, path) < 0)
		e = -errno;
	if (e) {
		unlink(tmp);
		return e;
	}
	/* the rename itself on disk */
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = 0;
	int dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}
