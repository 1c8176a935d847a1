/* Switch-host connection state machine: the Noise IK handshake (the host
 * agent initiates), the host's key confirmation (a sealed AUTH), sealed
 * frames, and rekeys inside the session (docs/protocol.md). */
#include "proto/conn.h"
#include "base/vec.h"
#include "base/log.h"
#include <errno.h>
#include <stdio.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int queue(struct conn *c, const uint8_t *buf, size_t n)
{
	if (c->outoff && c->outoff == c->outlen)
		c->outoff = c->outlen = 0;
	if (c->outlen - c->outoff + n > CONN_OUT_MAX)
		return -ENOBUFS;
	if (c->outlen + n > c->outcap) {
		if (c->outoff) {
			memmove(c->out, c->out + c->outoff, c->outlen - c->outoff);
			c->outlen -= c->outoff;
			c->outoff = 0;
		}
		if (vec_reserve_((void **)&c->out, &c->outcap, c->outlen + n, 1))
			return -ENOMEM;
	}
	memcpy(c->out + c->outlen, buf, n);
	c->outlen += n;
	return 0;
}

static const uint8_t prologue[] = "onlink v7";

const char *const conn_refusal_label[CONN_REFUSALS] = {
	[CONN_OK] = "none", [CONN_BAD_HANDSHAKE] = "bad_handshake", [CONN_UNKNOWN_KEY] = "unknown_key",
	[CONN_REPLAY] = "replay", [CONN_WRONG_NAME] = "wrong_name", [CONN_BAD_MAC1] = "bad_mac1",
	[CONN_COOKIE] = "under_load_cookie", [CONN_RATE] = "under_load_rate",
};

void conn_keystr(const uint8_t pub[32], char out[16])
{
	char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
	sodium_bin2base64(b64, sizeof(b64), pub, 32, sodium_base64_VARIANT_ORIGINAL);
	snprintf(out, 16, "%.8s...", b64);
}

static void common_init(struct conn *c, int fd, int we_are_switch, const char *name, const uint8_t priv[32])
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->we_are_switch = we_are_switch;
	snprintf(c->my_name, sizeof(c->my_name), "%s", name);
	memcpy(c->priv, priv, 32);
	c->rekey_ms = CONN_REKEY_MS;
	c->last_rx_ms = now_ms();
}

/* The initiator's first message: timestamp and name as its payload. As a
 * frame of its own (the first handshake) or a REKEY message (a rekey). */
static int write_msg1(struct conn *c, uint8_t *out, size_t cap)
{
	uint8_t pl[WIRE_HS1_MAX], ts[WIRE_TS];
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	wire_tai64n(ts, (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec);
	int n = wire_hs1_encode(pl, sizeof(pl), ts, c->my_name);
	if (n < 0)
		return n;
	if (!c->hs && !(c->hs = malloc(sizeof(*c->hs))))
		return -ENOMEM;
	noise_ik_init(c->hs, 1, prologue, sizeof(prologue), c->priv, c->peer_key);
	return noise_write(c->hs, pl, (size_t)n, out, cap);
}

int conn_init_host(struct conn *c, int fd, const char *name, const uint8_t priv[32], const uint8_t switch_pub[32],
		   const uint8_t *cookie)
{
	uint8_t frame[WIRE_HDR + WIRE_PAYLOAD_MAX];
	common_init(c, fd, 0, name, priv);
	memcpy(c->peer_key, switch_pub, 32);
	int n = write_msg1(c, frame + WIRE_HDR, sizeof(frame) - WIRE_HDR - COOKIE_MACS);
	if (n < 0)
		return n;
	size_t len = WIRE_HDR + (size_t)n + COOKIE_MACS;
	wire_put_header(frame, WF_HANDSHAKE, len - WIRE_HDR);
	cookie_put_macs(switch_pub, cookie, frame, len);
	memcpy(c->sent_macs, frame + len - COOKIE_MACS, COOKIE_MACS);
	return queue(c, frame, len);
}

int conn_init_switch(struct conn *c, int fd, const char *name, const uint8_t priv[32], struct cookie_checker *ck,
		     conn_gate_fn gate, conn_peer_fn fn, void *arg)
{
	common_init(c, fd, 1, name, priv);
	c->ck = ck;
	c->gate = gate;
	c->peer_fn = fn;
	c->peer_arg = arg;
	return 0;
}

static void drop_hs(struct conn *c)
{
	if (c->hs) {
		noise_hs_wipe(c->hs);
		free(c->hs);
		c->hs = NULL;
	}
}

void conn_fini(struct conn *c)
{
	/* best effort: what was queued (an AUTH the peer must judge, say)
	 * goes out before the close */
	if (c->fd >= 0 && conn_queued(c))
		conn_flush(c);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->out);
	c->out = NULL;
	c->outlen = c->outoff = c->outcap = 0;
	drop_hs(c);
	session_wipe(&c->sess);
	sodium_memzero(&c->next_rx, sizeof(c->next_rx));
	sodium_memzero(c->priv, sizeof(c->priv));
}

size_t conn_queued(const struct conn *c)
{
	return c->outlen - c->outoff + c->batchlen;
}

/* Seals the open batch into a frame on the output queue. */
static int seal(struct conn *c)
{
	uint8_t frame[WIRE_HDR + WIRE_PAYLOAD_MAX];
	if (!c->batchlen)
		return 0;
	int len = session_seal(&c->sess, frame, sizeof(frame), c->batch, c->batchlen);
	c->batchlen = 0;
	return len < 0 ? len : queue(c, frame, (size_t)len);
}

int conn_send(struct conn *c, uint8_t type, const uint8_t *body, size_t n)
{
	if (n > WIRE_BODY_MAX)
		return -EMSGSIZE;
	if (conn_queued(c) + WIRE_REC_HDR + n + WIRE_HDR + WIRE_TAG > CONN_OUT_MAX)
		return -ENOBUFS;
	if (wire_rec_put(c->batch, sizeof(c->batch), &c->batchlen, type, body, n) == 0)
		return 0;
	int r = seal(c);
	return r < 0 ? r : wire_rec_put(c->batch, sizeof(c->batch), &c->batchlen, type, body, n);
}

int conn_flush(struct conn *c)
{
	int r = seal(c);
	if (r < 0)
		return r;
	while (c->outoff < c->outlen) {
		ssize_t w = write(c->fd, c->out + c->outoff, c->outlen - c->outoff);
		if (w < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 1;
			if (errno == EINTR)
				continue;
			return -errno;
		}
		c->outoff += (size_t)w;
	}
	c->outoff = c->outlen = 0;
	/* a snapshot or a burst grew the queue: give it back once written, so
	 * a thousand idle sessions do not each keep their high-water mark */
	if (c->outcap > CONN_OUT_KEEP) {
		free(c->out);
		c->out = NULL;
		c->outcap = 0;
	}
	return 0;
}

/* The switch agent: a host's first message. */
static int on_msg1(struct conn *c, const uint8_t *msg, size_t n, const char **why)
{
	uint8_t pl[WIRE_HS1_MAX], ts[WIRE_TS], frame[WIRE_HDR + WIRE_PAYLOAD_MAX];
	char claimed[OL_NAME_MAX];
	int r;
	if (!(c->hs = malloc(sizeof(*c->hs)))) {
		*why = "out of memory";
		return -1;
	}
	noise_ik_init(c->hs, 0, prologue, sizeof(prologue), c->priv, NULL);
	r = noise_read(c->hs, msg, n, pl, sizeof(pl));
	if (r < 0 || wire_hs1_decode(pl, (size_t)r, ts, claimed)) {
		c->refusal = CONN_BAD_HANDSHAKE;
		*why = "handshake failed: not made for this switch agent's public key (or altered)";
		return -1;
	}
	if (c->peer_fn(c->peer_arg, c->hs->rs, ts, claimed, c->peer_name, &c->refusal, why) < 0)
		return -1;
	memcpy(c->peer_key, c->hs->rs, 32);
	r = wire_name_encode(pl, sizeof(pl), c->my_name);
	if (r >= 0)
		r = noise_write(c->hs, pl, (size_t)r, frame + WIRE_HDR, sizeof(frame) - WIRE_HDR);
	if (r < 0) {
		*why = "cannot answer the handshake";
		return -1;
	}
	wire_put_header(frame, WF_HANDSHAKE, (size_t)r);
	noise_split(c->hs, &c->sess.rx, &c->sess.tx, NULL);
	drop_hs(c);
	c->keys_ms = now_ms();
	c->state = CONN_CONFIRM;
	/* nothing but this answer before the host's AUTH opens */
	if (queue(c, frame, WIRE_HDR + (size_t)r) < 0) {
		*why = "cannot queue";
		return -1;
	}
	return 0;
}

/* The host agent: the switch agent's answer, the first or a rekey's.
 * Installs the new keys: tx at once, rx from the next frame (rekey) or at
 * once (the first). */
static int on_msg2(struct conn *c, const uint8_t *msg, size_t n, int rekey, const char **why)
{
	uint8_t pl[OL_NAME_MAX + 1];
	char name[OL_NAME_MAX], ks[16];
	struct noise_cipher tx, rx;
	int r = c->hs ? noise_read(c->hs, msg, n, pl, sizeof(pl)) : -EINVAL;
	if (r < 0 || wire_name_decode(pl, (size_t)r, name)) {
		static char buf[128];
		conn_keystr(c->peer_key, ks);
		snprintf(buf, sizeof(buf), "handshake failed: the switch agent does not hold the private key of public-key %s", ks);
		c->refusal = CONN_BAD_HANDSHAKE;
		*why = buf;
		return -1;
	}
	noise_split(c->hs, &tx, &rx, NULL);
	drop_hs(c);
	if (rekey) {
		/* the switch agent seals with the new key after this frame; we
		 * say DONE under the old one, then use the new */
		c->next_rx = rx;
		c->rx_switch = 1;
		if (conn_send(c, WM_REKEY_DONE, NULL, 0) < 0 || seal(c) < 0) {
			*why = "cannot queue";
			return -1;
		}
		c->sess.tx = tx;
		c->rekeys++;
	} else {
		c->sess.tx = tx;
		c->sess.rx = rx;
		snprintf(c->peer_name, sizeof(c->peer_name), "%s", name);
		/* key confirmation for the switch agent: a sealed AUTH, alone */
		if (conn_send(c, WM_AUTH, NULL, 0) < 0 || seal(c) < 0) {
			*why = "cannot queue";
			return -1;
		}
	}
	sodium_memzero(&tx, sizeof(tx));
	sodium_memzero(&rx, sizeof(rx));
	c->keys_ms = now_ms();
	return 0;
}

/* The switch agent: a rekey's first message, in the session. */
static int on_rekey(struct conn *c, const uint8_t *msg, size_t n, const char **why)
{
	uint8_t pl[WIRE_HS1_MAX], ts[WIRE_TS], out[NOISE_IK_MSG2(OL_NAME_MAX + 1)];
	char claimed[OL_NAME_MAX], name[OL_NAME_MAX];
	struct noise_hs hs;
	struct noise_cipher tx;
	if (c->next_rx_pending) {
		*why = "rekey before the last one was done";
		return -1;
	}
	noise_ik_init(&hs, 0, prologue, sizeof(prologue), c->priv, NULL);
	int r = noise_read(&hs, msg, n, pl, sizeof(pl));
	if (r < 0 || wire_hs1_decode(pl, (size_t)r, ts, claimed) || sodium_memcmp(hs.rs, c->peer_key, 32)) {
		noise_hs_wipe(&hs);
		*why = "rekey failed (another key?)";
		return -1;
	}
	if (c->peer_fn(c->peer_arg, hs.rs, ts, claimed, name, &c->refusal, why) < 0) {
		noise_hs_wipe(&hs);
		return -1;
	}
	if (strcmp(name, c->peer_name)) {
		noise_hs_wipe(&hs);
		*why = "rekey under another name";
		return -1;
	}
	r = wire_name_encode(pl, sizeof(pl), c->my_name);
	if (r >= 0)
		r = noise_write(&hs, pl, (size_t)r, out, sizeof(out));
	if (r < 0) {
		noise_hs_wipe(&hs);
		*why = "cannot answer the rekey";
		return -1;
	}
	noise_split(&hs, &c->next_rx, &tx, NULL);
	/* the answer ends a frame sealed with the old key; every frame after
	 * it, the new */
	if (conn_send(c, WM_REKEY_ACK, out, (size_t)r) < 0 || seal(c) < 0) {
		*why = "cannot queue";
		return -1;
	}
	c->sess.tx = tx;
	sodium_memzero(&tx, sizeof(tx));
	c->next_rx_pending = 1;
	c->keys_ms = now_ms();
	return 0;
}

int conn_rekey_due(const struct conn *c, uint64_t now)
{
	if (c->state != CONN_UP)
		return 0;
	if (now - c->keys_ms > CONN_REJECT_MS || c->sess.tx.n > CONN_REJECT_FRAMES || c->sess.rx.n > CONN_REJECT_FRAMES)
		return -1;
	if (c->we_are_switch || c->hs)
		return 0;
	return now - c->keys_ms >= c->rekey_ms || c->sess.tx.n >= CONN_REKEY_FRAMES || c->sess.rx.n >= CONN_REKEY_FRAMES;
}

int conn_rekey(struct conn *c)
{
	uint8_t m1[NOISE_IK_MSG1(WIRE_HS1_MAX)];
	int n = write_msg1(c, m1, sizeof(m1));
	if (n < 0)
		return n;
	return conn_send(c, WM_REKEY, m1, (size_t)n);
}

/* The switch agent: a first handshake frame. mac1, then (under load) mac2
 * or a cookie reply, all before any Diffie-Hellman. */
static int on_first(struct conn *c, const uint8_t *frame, size_t len, const char **why)
{
	uint8_t reply[WIRE_HDR + COOKIE_REPLY];
	if (len < WIRE_HDR + COOKIE_MACS || !cookie_mac1_ok(c->ck, frame, len)) {
		c->refusal = CONN_BAD_MAC1;
		*why = "handshake refused before any key work: its mac1 is not for this switch agent's public key "
		       "(garbage, or made for another switch)";
		return -1;
	}
	switch (c->gate ? c->gate(c->peer_arg, frame, len, reply + WIRE_HDR) : CONN_GATE_PASS) {
	case CONN_GATE_PASS:
		return on_msg1(c, frame + WIRE_HDR, len - WIRE_HDR - COOKIE_MACS, why);
	case CONN_GATE_COOKIE:
		wire_put_header(reply, WF_COOKIE, COOKIE_REPLY);
		c->refusal = CONN_COOKIE;
		*why = queue(c, reply, sizeof(reply)) < 0 ? "cannot queue" :
		       "under load: answered with a cookie for its address (no key work)";
		return -1;
	default:
		c->refusal = CONN_RATE;
		*why = "under load: its address has had its share of handshakes this second";
		return -1;
	}
}

/* A rekey message must end its frame: the keys change there. */
static int last(size_t off, size_t n, const char **why)
{
	if (off != n)
		*why = "rekey message not at the end of its frame";
	return off == n ? 0 : -1;
}

static int on_frame(struct conn *c, const uint8_t *frame, size_t len, uint8_t type, conn_msg_fn fn, void *arg,
		    int *became_up, const char **why)
{
	uint8_t msg[WIRE_PAYLOAD_MAX];
	int n;

	if (c->state == CONN_HANDSHAKE) {
		if (type != WF_HANDSHAKE && (type != WF_COOKIE || c->we_are_switch)) {
			*why = "expected a handshake";
			return -1;
		}
		if (c->we_are_switch)
			return on_first(c, frame, len, why);
		if (type == WF_COOKIE) {
			if (len != WIRE_HDR + COOKIE_REPLY ||
			    cookie_open(c->peer_key, c->sent_macs, COOKIE_MACS, frame + WIRE_HDR, c->cookie) < 0) {
				*why = "a cookie reply that does not open (not from this switch agent, or altered)";
				return -1;
			}
			c->got_cookie = 1;
			*why = "the switch agent is under load and asked for proof of this address: retrying with its cookie";
			return -1;
		}
		if (on_msg2(c, frame + WIRE_HDR, len - WIRE_HDR, 0, why) < 0)
			return -1;
		c->state = CONN_UP;
		*became_up = 1;
		return 0;
	}
	if (type != WF_SEALED) {
		*why = type == WF_COOKIE ? "unexpected cookie reply" : "unexpected handshake";
		return -1;
	}
	if (now_ms() - c->keys_ms > CONN_REJECT_MS) {
		*why = "session keys expired (no rekey)";
		return -1;
	}
	n = session_open(&c->sess, frame, len, msg, sizeof(msg));
	if (n < 0) {
		*why = c->state == CONN_CONFIRM ? "authentication failed" : "frame failed authentication";
		return -1;
	}
	size_t off = 0, bl;
	const uint8_t *body;
	uint8_t mt;
	int r;
	if (c->state == CONN_CONFIRM) {
		if (wire_rec_next(msg, (size_t)n, &off, &mt, &body, &bl) != 1 || mt != WM_AUTH || bl || off != (size_t)n) {
			*why = "expected auth";
			return -1;
		}
		c->state = CONN_UP;
		*became_up = 1;
		return 0;
	}
	while ((r = wire_rec_next(msg, (size_t)n, &off, &mt, &body, &bl)) == 1) {
		switch (mt) {
		case WM_AUTH:
			*why = "auth out of order";
			return -1;
		case WM_KEEPALIVE:
			if (bl) {
				*why = "malformed keepalive";
				return -1;
			}
			continue;
		case WM_REKEY:
			if (!c->we_are_switch || on_rekey(c, body, bl, why) < 0) {
				if (!c->we_are_switch)
					*why = "rekey from the switch";
				return -1;
			}
			continue;
		case WM_REKEY_ACK:
			if (c->we_are_switch || !c->hs || last(off, (size_t)n, why) < 0 || on_msg2(c, body, bl, 1, why) < 0) {
				if (c->we_are_switch || !c->hs)
					*why = "rekey answer out of order";
				return -1;
			}
			continue;
		case WM_REKEY_DONE:
			if (!c->we_are_switch || !c->next_rx_pending || bl || last(off, (size_t)n, why) < 0) {
				if (!c->we_are_switch || !c->next_rx_pending || bl)
					*why = "rekey end out of order";
				return -1;
			}
			c->next_rx_pending = 0;
			c->rx_switch = 1;
			c->rekeys++;
			continue;
		}
		if (fn(c, mt, body, bl, arg, why) < 0)
			return -1;
	}
	if (r < 0) {
		*why = "malformed frame";
		return -1;
	}
	if (c->rx_switch) {
		c->sess.rx = c->next_rx;
		sodium_memzero(&c->next_rx, sizeof(c->next_rx));
		c->rx_switch = 0;
	}
	return 0;
}

int conn_input(struct conn *c, size_t n, conn_msg_fn fn, void *arg, int *became_up, const char **why)
{
	size_t off = 0;
	c->inlen += n;
	c->last_rx_ms = now_ms();
	for (;;) {
		uint8_t type;
		size_t plen;
		int flen = wire_frame_check(c->in + off, c->inlen - off, &type, &plen);
		if (flen == 0)
			break;
		if (flen < 0) {
			*why = flen == -EPROTO ? "unsupported protocol version" :
			       flen == -EMSGSIZE ? "oversized frame" : "unknown frame type";
			return -1;
		}
		if (on_frame(c, c->in + off, (size_t)flen, type, fn, arg, became_up, why) < 0)
			return -1;
		off += (size_t)flen;
	}
	memmove(c->in, c->in + off, c->inlen - off);
	c->inlen -= off;
	return 0;
}

int conn_read(struct conn *c, conn_msg_fn fn, void *arg, int *became_up, const char **why)
{
	*became_up = 0;
	for (int rounds = 0; rounds < 16; rounds++) {
		ssize_t r = read(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen);
		if (r == 0) {
			*why = "connection closed";
			return -1;
		}
		if (r < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EINTR)
				continue;
			*why = strerror(errno);
			return -1;
		}
		if (conn_input(c, (size_t)r, fn, arg, became_up, why) < 0)
			return -1;
	}
	return 0;
}
