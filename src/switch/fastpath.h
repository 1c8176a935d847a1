/* The switch agent's fast path (docs/protocol.md, "Fast path"): each turn
 * of provider changes also leaves once, as signed UDP datagrams to a
 * multicast group on the hosts' segment, so that a change costs the switch
 * one send, not one per host. The sessions carry the same changes a little
 * later (fast-path-delay) and stay the reliable path: a host that missed a
 * datagram is repaired by its session, and WM_GEN tells either copy of a
 * change from an older one. */
#ifndef OL_FASTPATH_H
#define OL_FASTPATH_H
#include "conf/config.h"
#include "base/log.h"
#include "proto/wire.h"
#include <sys/socket.h>

struct fastpath {
	int fd;
	unsigned ifindex;
	const char *ifname;
	struct sockaddr_storage dst;
	socklen_t dstlen;
	struct wire_fastpath info; /* group, port, epoch, public key; seq: the last sent */
	uint8_t sk[64];            /* Ed25519: this epoch's signing key, never sent */
	uint64_t gen;
	uint8_t msg[WIRE_DGRAM_MSG_MAX];
	size_t len, msg_max;       /* messages per datagram: what the MTU allows */
	unsigned long sent, errors;
	struct ratelimit rl;
};

/* A socket for the group in c->fast_path, sending on c->fast_path_if; a
 * fresh signing key pair and epoch. 0 or negative errno. */
int fastpath_open(struct fastpath *f, const struct cfg_switch *c);
void fastpath_close(struct fastpath *f);
/* One turn of changes, generation gen: fastpath_add each message, then
 * fastpath_end. A datagram leaves whenever the next message would not fit,
 * each one starting with WM_GEN so it stands on its own. */
void fastpath_begin(struct fastpath *f, uint64_t gen);
void fastpath_add(struct fastpath *f, uint8_t type, const uint8_t *body, size_t n);
void fastpath_end(struct fastpath *f);
#endif
