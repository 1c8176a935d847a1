/* onlink genkey, onlink pubkey: an agent's key pair, as wg(8) makes them.
 * genkey prints a new X25519 private key (base64) for private-key-file;
 * pubkey reads one on stdin and prints its public key, for the peers'
 * public-key. */
#include "onlink/cmd.h"
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define B64_32 sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)

int cmd_genkey(int argc, char **argv)
{
	uint8_t key[32];
	char b64[B64_32];
	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: onlink genkey > /etc/onlink/private.key\n");
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
	/* clamped as X25519 uses it (RFC 7748), as wg genkey stores it */
	key[0] &= 248;
	key[31] = (uint8_t)((key[31] & 127) | 64);
	sodium_bin2base64(b64, sizeof(b64), key, sizeof(key), sodium_base64_VARIANT_ORIGINAL);
	sodium_memzero(key, sizeof(key));
	puts(b64);
	sodium_memzero(b64, sizeof(b64));
	return 0;
}

int cmd_pubkey(int argc, char **argv)
{
	uint8_t key[32], pub[32];
	char line[128], b64[B64_32];
	size_t binlen, n;
	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: onlink pubkey < /etc/onlink/private.key\n");
		return 2;
	}
	if (sodium_init() < 0)
		return 1;
	n = fread(line, 1, sizeof(line) - 1, stdin);
	line[n] = 0;
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' '))
		line[--n] = 0;
	int bad = sodium_base642bin(key, sizeof(key), line, n, NULL, &binlen, NULL, sodium_base64_VARIANT_ORIGINAL) ||
		  binlen != 32;
	sodium_memzero(line, sizeof(line));
	if (bad) {
		fprintf(stderr, "onlink: pubkey: standard input is not a base64 private key of 32 bytes "
				"(make one with 'onlink genkey')\n");
		return 1;
	}
	crypto_scalarmult_base(pub, key);
	sodium_memzero(key, sizeof(key));
	sodium_bin2base64(b64, sizeof(b64), pub, sizeof(pub), sodium_base64_VARIANT_ORIGINAL);
	puts(b64);
	return 0;
}
