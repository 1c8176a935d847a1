/* nftables commands through libnftables, for the daemons that own a table. */
#ifndef OL_NFT_H
#define OL_NFT_H
#include <stddef.h>
/* Runs an nft script as one transaction: 0, or -1 with the error text. */
int nft_run(const char *cmd, char *err, size_t errlen);
#endif
