/* What the kernel's FIB says for a destination, as `ip route get` does:
 * the route that matches (its prefix, table, protocol and every next hop)
 * and the next hop it picks for a flow to the address. Parsing is apart
 * from the socket, so that it is unit-tested and fuzzed. */
#ifndef OL_ROUTE_H
#define OL_ROUTE_H
#include "base/addr.h"
#include <stddef.h>
#include <stdint.h>

#define ROUTE_HOPS_MAX 32

struct route_hop {
	struct ol_addr gw;      /* family 0: directly connected */
	int oif;
};

struct route_info {
	struct ol_addr dst;
	uint8_t dst_len;
	uint32_t table;
	uint8_t protocol, type;
	struct route_hop hops[ROUTE_HOPS_MAX];
	unsigned nhops;
};

/* One RTM_NEWROUTE message (as the kernel answers RTM_GETROUTE): 0, or
 * -EINVAL when it is not one or is cut. */
int route_parse(const void *msg, size_t len, struct route_info *out);
/* Asks the kernel (the network namespace this process is in). fib_match:
 * the matching route with all its next hops; otherwise the next hop it
 * picks for a flow to a. 0, -ENETUNREACH when nothing matches, or another
 * negative errno. */
int route_get(const struct ol_addr *a, uint32_t mark, int fib_match, struct route_info *out);
#endif
