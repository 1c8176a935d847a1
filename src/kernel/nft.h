/* nftables commands through libnftables, for the daemons that own a table. */
#ifndef OL_NFT_H
#define OL_NFT_H
#include <stddef.h>
/* Runs an nft script as one transaction: 0, or -1 with the error text. */
int nft_run(const char *cmd, char *err, size_t errlen);
/* Parses and checks a script without applying it (nft -c): 0, or -1. */
int nft_check(const char *cmd, char *err, size_t errlen);
/* Runs a listing command with JSON output: 0 with *out (malloc'd), or -1. */
int nft_query(const char *cmd, char **out);
#endif
