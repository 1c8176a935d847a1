/* The host agent's side of the fast path (docs/protocol.md): a socket in
 * the switch agent's multicast group, joined on the uplink, and the checks
 * every datagram passes before its messages are looked at. */
#ifndef OL_FASTRX_H
#define OL_FASTRX_H
#include "proto/wire.h"

struct fastrx {
	int fd;                    /* -1: not open */
	struct wire_fastpath info; /* seq: the newest datagram taken */
	unsigned long received, lost, rejected, foreign;
};

/* Opens and joins f->info's group on ifindex. 0 or negative errno. */
int fastrx_open(struct fastrx *f, int ifindex);
void fastrx_close(struct fastrx *f);
/* Reads one datagram. Its messages (at most WIRE_DGRAM_MSG_MAX bytes) go
 * to msg: returns their length. 0: a datagram not taken (another switch
 * agent's, forged, damaged, or older than one taken; counted); -EAGAIN:
 * none left. A gap in the sequence counts as lost: the session repairs
 * it. */
int fastrx_read(struct fastrx *f, uint8_t *msg, size_t cap);
#endif
