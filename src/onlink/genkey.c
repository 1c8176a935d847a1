/* onlink genkey: a fresh 32-byte pre-shared key, base64, for key-file. */
#include "onlink/cmd.h"
#include <sodium.h>
#include <stdio.h>
#include <sys/stat.h>

int cmd_genkey(int argc, char **argv)
{
	uint8_t key[32];
	char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: onlink genkey > /etc/onlink/key\n");
		return 2;
	}
	if (sodium_init() < 0)
		return 1;
	/* onlinkd refuses a key file others may read, as ssh does: say so now */
	struct stat st;
	if (!fstat(fileno(stdout), &st) && S_ISREG(st.st_mode) && (st.st_mode & 077))
		fprintf(stderr, "onlink: warning: writing the key to a file of mode %04o, which onlinkd refuses: "
				"chmod 600 it (or run with umask 077)\n", (unsigned)(st.st_mode & 07777));
	randombytes_buf(key, sizeof(key));
	sodium_bin2base64(b64, sizeof(b64), key, sizeof(key), sodium_base64_VARIANT_ORIGINAL);
	sodium_memzero(key, sizeof(key));
	puts(b64);
	return 0;
}
