/* libFuzzer target: the config parser (src/conf/config.c, through inih).
 * The input is a whole config file. Oracle beyond "no crash": a config is
 * either accepted, or refused with a "FILE:LINE: message" error whose line
 * is in the file. An accepted switch config is also written out as the
 * BIRD include file it gives (switch/announce.c, switch/birdconf.c), whose
 * record lines must read back. */
#include "conf/config.h"
#include "switch/announce.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	if (fd < 0) {
		fd = memfd_create("onlink-fuzz.conf", 0);
		if (fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	struct config c;
	if (config_load(path, &c)) {
		/* refused: the message names the file, and a line of it (lines
		 * of any length are counted exactly) */
		size_t plen = strlen(path), lines = 1;
		if (strncmp(c.err, path, plen) || c.err[plen] != ':')
			abort();
		for (size_t i = 0; i < size; i++)
			lines += data[i] == '\n';
		if (strtoul(c.err + plen + 1, NULL, 10) > lines)
			abort();
		return 0;
	}
	FILE *devnull = fopen("/dev/null", "w");
	config_print(&c, devnull);
	fclose(devnull);
	if (c.role == ROLE_SWITCH) {
		static struct ann_state st, back;
		char *text = ann_render(&c, &st);
		if (!text || ann_parse(&c, text, &back) != 0)
			abort();
		free(text);
	}
	config_free(&c);
	return 0;
}
