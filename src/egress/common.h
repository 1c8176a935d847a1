/* What the TCP and UDP proxies share: the shared address and slice each
 * family uses, binding an upstream socket inside the slice, and the pair
 * of transparent listeners TPROXY hands flows to. */
#ifndef OL_EGRESS_COMMON_H
#define OL_EGRESS_COMMON_H
#include "base/addr.h"
#include "base/loop.h"
#include "proto/ports.h"
#include <stdint.h>
#include <sys/socket.h>

struct egress_source {
	struct ol_addr addr;
	uint16_t first, last;
	int valid;
	/* ports of the slice kept for another host's flows (a move): never
	 * chosen for a new flow; while there are any, the proxy picks ports
	 * itself (the kernel's choice cannot skip them) */
	struct ol_ports reserved;
};

/* Every slice this host holds of a family (a pool leases one more to a
 * host whose slice is 90% in use): new flows take them in turn, and the
 * next when one has no port free. */
#define EGRESS_SLICES_MAX 4
struct egress_sources {
	struct egress_source s[EGRESS_SLICES_MAX];
	unsigned n, next;
};
/* The slices of each family, replaced by v (at most EGRESS_SLICES_MAX each). */
void egress_sources_set(struct egress_sources *s4, struct egress_sources *s6, const struct egress_source *v, size_t n);
/* Their ports, together. */
unsigned egress_sources_ports(const struct egress_sources *s);
/* IP_LOCAL_PORT_RANGE to the slice (and SO_MARK if mark), then bind to the
 * shared address, port 0: the port comes from the slice, chosen by the
 * kernel (at connect() for a TCP socket with IP_BIND_ADDRESS_NO_PORT,
 * unique per 4-tuple). A kernel without IP_LOCAL_PORT_RANGE (before 6.3):
 * egress_bind_port_in_slice(). 0, -EADDRINUSE when no port of the slice is
 * free, or another -errno. */
int egress_bind_in_slice(int fd, const struct egress_source *src, uint32_t mark);
/* Binds fd to b's address and a free port of first..last not in skip
 * (NULL: none), tried from a random one on (a socket with SO_REUSEADDR
 * shares its port with the others that have it, as the kernel's own
 * choice does for TCP). 0, -EADDRINUSE when every port is taken, or
 * another -errno. */
int egress_bind_port_in_slice(int fd, const struct sockaddr_storage *b, uint16_t first, uint16_t last,
			      const struct ol_ports *skip);

/* Binds fd to the shared address and this port (SO_MARK if mark). */
int egress_bind_port(int fd, const struct egress_source *src, uint32_t mark, uint16_t port);
/* Whether the kernel lacks IP_LOCAL_PORT_RANGE (as far as known yet; the
 * test build can pretend it does: ONLINK_TEST_NO_PORT_RANGE). */
int egress_port_range_missing(void);
socklen_t egress_sa_len(const struct sockaddr_storage *ss);

/* IPv4 and IPv6 transparent listeners on port (SOCK_STREAM listens; for
 * SOCK_DGRAM, the original destination comes with each datagram), added
 * to the loop with cb. 0, or -errno with nothing left open. */
int egress_listen(struct loop_src *l4, struct loop_src *l6, int type, uint16_t port, loop_cb cb, void *arg);
void egress_unlisten(struct loop_src *l4, struct loop_src *l6);
#endif
