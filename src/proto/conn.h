/* One switch-host TCP connection: hello exchange, mutual authentication,
 * sealed messages, and a bounded output queue. Used by both daemons.
 * Messages sent between two flushes share sealed frames (up to 4 KiB of
 * messages each): a burst costs one seal and one write per 4 KiB, not one
 * per message. */
#ifndef OL_CONN_H
#define OL_CONN_H
#include "proto/session.h"
#include "proto/wire.h"
#include <stdint.h>
#include <stddef.h>

#define CONN_OUT_MAX (4u << 20) /* a peer this far behind is dropped */
#define CONN_OUT_KEEP (16u << 10) /* a drained queue bigger than this is freed */

enum conn_state { CONN_HELLO, CONN_AUTH, CONN_UP };

struct conn {
	int fd;
	int we_are_switch;
	enum conn_state state;
	uint8_t psk[32];
	uint8_t my_hello[WIRE_HELLO_MAX];
	size_t my_hello_len;
	struct session sess;
	char peer_name[OL_NAME_MAX];
	uint8_t in[WIRE_HDR + WIRE_PAYLOAD_MAX];
	size_t inlen;
	uint8_t *out;
	size_t outlen, outoff, outcap;
	uint8_t batch[WIRE_MSG_MAX]; /* messages not yet sealed */
	size_t batchlen;
	uint64_t last_rx_ms;
};

/* Queues our hello. The fd must be a connected, non-blocking stream. */
int conn_init(struct conn *c, int fd, int we_are_switch, const char *name, const uint8_t psk[32]);
void conn_fini(struct conn *c);

/* Called for each authenticated message after WM_AUTH. Return <0 to drop
 * the peer (with *why set). */
typedef int (*conn_msg_fn)(struct conn *c, uint8_t type, const uint8_t *body, size_t n, void *arg,
			   const char **why);
/* Reads what the socket has and handles every whole frame. 0: fine;
 * -1: close (why says why); on the transition to CONN_UP, *became_up = 1. */
int conn_read(struct conn *c, conn_msg_fn fn, void *arg, int *became_up, const char **why);
/* For a caller that reads the socket itself (into c->in + c->inlen, at
 * most sizeof(c->in) - c->inlen bytes): handles the n bytes it read, as
 * conn_read does. */
int conn_input(struct conn *c, size_t n, conn_msg_fn fn, void *arg, int *became_up, const char **why);
/* Queues a message for the next sealed frame; -ENOBUFS if the queue would
 * pass CONN_OUT_MAX, -EMSGSIZE if the body is over WIRE_BODY_MAX. */
int conn_send(struct conn *c, uint8_t type, const uint8_t *body, size_t n);
/* Seals what conn_send queued and writes what it can; 1 if output remains
 * queued, 0 if empty, <0 on error. */
int conn_flush(struct conn *c);
/* Bytes queued (sealed or not) and not yet written. */
size_t conn_queued(const struct conn *c);
#endif
