/* Return-traffic steering for shared egress addresses: a reply that lands
 * on this host for a port of another host's slice is handed to that host
 * at layer 2, in an nftables netdev ingress chain on the uplink (before the
 * IP stack, so early demux never sees it). */
#ifndef OL_STEER_H
#define OL_STEER_H
#include "proto/model.h"
#include <stddef.h>

#define STEER_TABLE "onlink_steer"

struct steer_peer {
	char name[OL_NAME_MAX];
	uint8_t mac[6];
	int has_mac;
};

/* Writes the nft script that replaces the table (or only removes it when
 * there is nothing to steer). A slice of a host whose MAC is unknown is
 * dropped rather than answered with a reset by this host. 0, or -ENOSPC. */
int steer_script(char *buf, size_t len, const char *ifname, const uint8_t own_mac[6], const char *me,
		 const struct ol_egress *eg, size_t neg, const struct steer_peer *peers, size_t npeers);
#endif
