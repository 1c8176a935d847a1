/* The egress daemon's nftables table (through libnftables): TPROXY for
 * client TCP to non-local destinations, and the mark that sends it to the
 * local stack. Installed and replaced atomically, removed on exit. */
#ifndef OL_EGRESS_NFT_H
#define OL_EGRESS_NFT_H
#include "conf/config.h"
#include <stddef.h>

#define EGRESS_NFT_TABLE "onlink_egress"

int egress_nft_install(const struct cfg_egressd *c, char *err, size_t errlen);
int egress_nft_remove(char *err, size_t errlen);
#endif
