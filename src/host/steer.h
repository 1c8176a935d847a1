/* Return-traffic steering for shared egress addresses: a reply that lands
 * on this host for a port of another host's slice is handed to that host
 * at layer 2, in an nftables netdev ingress chain on the uplink (before the
 * IP stack, so early demux never sees it). */
#ifndef OL_STEER_H
#define OL_STEER_H
#include "proto/model.h"
#include "proto/ports.h"
#include <stddef.h>

#define STEER_TABLE "onlink_steer"

struct steer_peer {
	char name[OL_NAME_MAX];
	uint8_t mac[6];
	int has_mac;
};

/* ICMP errors for a shared address (ICMPv4 destination unreachable,
 * ICMPv6 types 1-4) go to the host that owns the quoted packet's source
 * port, rate-limited per source and per interface. The table's counters,
 * by outcome: */
enum {
	STEER_ICMP_OWN,         /* for this host's own slice: to its stack */
	STEER_ICMP_STEERED,     /* handed to the owner */
	STEER_ICMP_DROPPED,     /* owner's MAC unknown, or the slice rests */
	STEER_ICMP_LIMITED,     /* over a rate limit */
	STEER_ICMP_UNOWNED,     /* a port no slice holds: to this host's stack */
	STEER_RESTING,          /* TCP/UDP replies for a resting slice, dropped */
	STEER_NCOUNTERS
};
extern const char *const steer_counter_names[STEER_NCOUNTERS];
#define STEER_ICMP_SOURCE_RATE "100"   /* per second and source */
#define STEER_ICMP_IFACE_RATE "1000"   /* per second on the uplink */

/* Writes the nft script that replaces the table (or only removes it when
 * there is nothing to steer). Ports kept for a host of a slice it moved
 * away from go to it first (its own stay here). A slice of a host whose MAC is unknown is
 * dropped rather than answered with a reset by this host. 0, or -ENOSPC. */
int steer_script(char *buf, size_t len, const char *ifname, const uint8_t own_mac[6], const char *me,
		 const struct ol_egress *eg, size_t neg, const struct ol_kept *kept, size_t nkept,
		 const struct steer_peer *peers, size_t npeers);
/* The table's counters now (packets), or -ENOENT with zeros: no table. */
int steer_counters(uint64_t out[STEER_NCOUNTERS]);
#endif
