/* Several uplinks: every provider is on-link on one device the agent makes
 * (provider-device), and each frame sent to a provider's MAC is forwarded
 * to the uplink of the switch that announced that MAC, with the uplink's
 * own MAC as source (an nftables netdev egress chain on the device). BIRD's
 * routes name the device, so a switch's death moves its providers' traffic
 * by rewriting their neighbors' MACs, never a route (docs/failover.md). */
#ifndef OL_UPSTEER_H
#define OL_UPSTEER_H
#include "host/swview.h"
#include <stddef.h>

#define UPSTEER_TABLE "onlink_uplinks"

struct upsteer_link {
	const char *ifname;     /* the uplink */
	uint8_t mac[6];         /* its own */
	int present;            /* 0: its MACs are dropped until it is back */
	const struct provset *provs; /* what its switch announces */
};

/* The nft script that replaces the table: a MAC announced by two switches
 * goes to the first present one's uplink; a frame to any other MAC is
 * dropped. 0, or
 * -ENOSPC or -ENOMEM. */
int upsteer_script(char *buf, size_t len, const char *dev, const struct upsteer_link *links, size_t n);
#endif
