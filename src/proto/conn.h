/* One switch-host TCP connection: the Noise handshake (IK, the host agent
 * initiating: docs/protocol.md), sealed messages, rekeying inside the
 * session, and a bounded output queue. Used by both daemons.
 * Messages sent between two flushes share sealed frames (up to 4 KiB of
 * messages each): a burst costs one seal and one write per 4 KiB, not one
 * per message. */
#ifndef OL_CONN_H
#define OL_CONN_H
#include "proto/cookie.h"
#include "proto/session.h"
#include "proto/wire.h"
#include <stdint.h>
#include <stddef.h>

#define CONN_OUT_MAX (4u << 20) /* a peer this far behind is dropped */
#define CONN_OUT_KEEP (16u << 10) /* a drained queue bigger than this is freed */
/* The host agent starts a new handshake inside the session when its keys
 * are this old, or have sealed or opened this many frames; either side
 * ends a session whose keys are past the second pair of limits. */
#define CONN_REKEY_MS 110000
#define CONN_REJECT_MS 180000
#define CONN_REKEY_FRAMES (1ull << 32)
#define CONN_REJECT_FRAMES ((1ull << 32) + (1ull << 24))

enum conn_state { CONN_HANDSHAKE, CONN_CONFIRM, CONN_UP };
/* why a handshake was refused (for the metrics) */
enum conn_refusal { CONN_OK, CONN_BAD_HANDSHAKE, CONN_UNKNOWN_KEY, CONN_REPLAY, CONN_WRONG_NAME, CONN_BAD_MAC1,
		    CONN_COOKIE, CONN_RATE, CONN_REFUSALS };
extern const char *const conn_refusal_label[CONN_REFUSALS];

/* The switch agent's judge of an initiator: its static public key, the
 * handshake's timestamp and the name it gives itself. 0 with name set to
 * the host's name in the config; else <0 with *why and *refusal set. It
 * must refuse a timestamp not newer than the last it accepted for the key
 * (a replayed first message). */
typedef int (*conn_peer_fn)(void *arg, const uint8_t pub[32], const uint8_t ts[WIRE_TS], const char *claimed,
			    char name[OL_NAME_MAX], enum conn_refusal *refusal, const char **why);

/* The switch agent's word on a first message whose mac1 is right, before
 * any Diffie-Hellman (cookie.h): go on; send the cookie reply it wrote
 * into reply (under load, no good mac2); or refuse (under load, its
 * address has had its share of handshakes). */
enum conn_gate { CONN_GATE_PASS, CONN_GATE_COOKIE, CONN_GATE_LIMIT };
typedef enum conn_gate (*conn_gate_fn)(void *arg, const uint8_t *frame, size_t len, uint8_t reply[COOKIE_REPLY]);

struct conn {
	int fd;
	int we_are_switch;
	enum conn_state state;
	char my_name[OL_NAME_MAX];
	uint8_t priv[32];
	uint8_t peer_key[32];           /* the peer's static public key */
	struct cookie_checker *ck;      /* switch: mac1 and mac2 are checked with it */
	conn_gate_fn gate;              /* switch: may be NULL (never under load) */
	conn_peer_fn peer_fn;           /* switch only */
	void *peer_arg;
	struct noise_hs *hs;            /* a handshake in progress: the first, or a rekey */
	struct session sess;
	struct noise_cipher next_rx;    /* the rekey's receive key, from the end of the frame */
	int rx_switch;                  /* at the end of this frame, rx = next_rx */
	int next_rx_pending;            /* switch: rx = next_rx after the host's REKEY_DONE */
	uint64_t keys_ms;               /* when the keys in use were agreed */
	uint64_t rekey_ms;              /* CONN_REKEY_MS (tests shorten it) */
	unsigned rekeys;                /* completed in this session */
	enum conn_refusal refusal;      /* why the handshake failed, when it did */
	char peer_name[OL_NAME_MAX];
	uint8_t sent_macs[COOKIE_MACS]; /* host: the macs of its first message */
	int got_cookie;                 /* host: the switch agent answered with a cookie */
	uint8_t cookie[COOKIE_MAC];     /* ... this one, for the next first message's mac2 */
	uint8_t in[WIRE_HDR + WIRE_PAYLOAD_MAX];
	size_t inlen;
	uint8_t *out;
	size_t outlen, outoff, outcap;
	uint8_t batch[WIRE_MSG_MAX]; /* messages not yet sealed */
	size_t batchlen;
	uint64_t last_rx_ms;
};

/* The host agent: queues the handshake's first message, made for the
 * switch agent's public key, with a mac2 from cookie (the last one that
 * switch agent gave, younger than COOKIE_SECRET_MS; NULL if none). The fd
 * must be a connected, non-blocking stream. A cookie reply ends the
 * connection: conn_read says -1 with got_cookie set and the cookie in
 * c->cookie, for a new connection at once. */
int conn_init_host(struct conn *c, int fd, const char *name, const uint8_t priv[32], const uint8_t switch_pub[32],
		   const uint8_t *cookie);
/* The switch agent: waits for a host's first message. ck: its cookie
 * checker, shared by every connection; gate (may be NULL) and fn are
 * called with arg. */
int conn_init_switch(struct conn *c, int fd, const char *name, const uint8_t priv[32], struct cookie_checker *ck,
		     conn_gate_fn gate, conn_peer_fn fn, void *arg);
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
/* The host agent's rekey: when conn_rekey_due says so, conn_rekey queues
 * a new handshake's first message (then flush). 0 or <0. The session's
 * keys change when the switch agent has answered, in both directions, at
 * a frame boundary each side marks. */
int conn_rekey_due(const struct conn *c, uint64_t now);
int conn_rekey(struct conn *c);
/* The first characters of a public key in base64, as logs show it. */
void conn_keystr(const uint8_t pub[32], char out[16]);
#endif
