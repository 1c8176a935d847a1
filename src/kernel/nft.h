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

/* A table's script and its fingerprint. A script that makes its table
 * ("add table FAMILY NAME" first) also leaves in it the fingerprint of its
 * text: set onlink_script, whose one element's comment is the hash. A new
 * agent whose script has the fingerprint the kernel's table holds adopts
 * the table as it is instead of writing it again (an upgrade or a restart
 * rewrites nothing). A script whose last line deletes its table wants it
 * absent: its fingerprint holds when the table is absent. */
#define NFT_FP_SET "onlink_script"
#define NFT_FP_HEX 33 /* 128 bits in hex, and the NUL */
/* "FAMILY NAME" of the script's first line, "add table FAMILY NAME": 0, or -1 */
int nft_script_table(const char *script, char *table, size_t len);
void nft_fingerprint(const char *script, char hex[NFT_FP_HEX]);
/* The script, with the lines that record its fingerprint (malloc'd; a
 * copy of the script when its table is to be absent), or NULL. */
char *nft_script_fingerprinted(const char *script);
/* Whether the kernel's table is the one the script makes (1), or not (0). */
int nft_fingerprint_holds(const char *script);
#endif
