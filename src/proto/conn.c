/* Switch-host connection state machine. */
#include "proto/conn.h"
#include "base/vec.h"
#include "base/log.h"
#include <errno.h>
#include <stdio.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
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

int conn_init(struct conn *c, int fd, int we_are_switch, const char *name, const uint8_t psk[32])
{
	struct wire_hello h = { .role = we_are_switch ? WR_SWITCH : WR_HOST };
	uint8_t frame[WIRE_HDR + WIRE_PAYLOAD_MAX];
	int n;

	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->we_are_switch = we_are_switch;
	memcpy(c->psk, psk, 32);
	randombytes_buf(h.nonce, sizeof(h.nonce));
	snprintf(h.name, sizeof(h.name), "%s", name);
	n = wire_hello_encode(c->my_hello, sizeof(c->my_hello), &h);
	if (n < 0)
		return n;
	c->my_hello_len = (size_t)n;
	wire_put_header(frame, WF_HELLO, (size_t)n);
	memcpy(frame + WIRE_HDR, c->my_hello, (size_t)n);
	c->last_rx_ms = now_ms();
	return queue(c, frame, WIRE_HDR + (size_t)n);
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
	session_wipe(&c->sess);
	sodium_memzero(c->psk, sizeof(c->psk));
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

static int on_hello(struct conn *c, const uint8_t *payload, size_t n, const char **why)
{
	struct wire_hello h;
	uint8_t auth = WM_AUTH;
	if (wire_hello_decode(payload, n, &h)) {
		*why = "malformed hello";
		return -1;
	}
	if (h.role != (c->we_are_switch ? WR_HOST : WR_SWITCH)) {
		*why = "peer has the same role";
		return -1;
	}
	snprintf(c->peer_name, sizeof(c->peer_name), "%s", h.name);
	if (c->we_are_switch)
		session_derive(&c->sess, c->psk, c->my_hello, c->my_hello_len, payload, n, 1);
	else
		session_derive(&c->sess, c->psk, payload, n, c->my_hello, c->my_hello_len, 0);
	c->state = CONN_AUTH;
	/* Proof of the key: a sealed AUTH the peer can open only with the same
	 * PSK and both fresh nonces. It carries nothing else. */
	if (conn_send(c, auth, NULL, 0) < 0 || seal(c) < 0) { /* alone in its frame */
		*why = "cannot queue";
		return -1;
	}
	return 0;
}

static int on_frame(struct conn *c, const uint8_t *frame, size_t len, uint8_t type, conn_msg_fn fn, void *arg,
		    int *became_up, const char **why)
{
	uint8_t msg[WIRE_PAYLOAD_MAX];
	int n;

	if (c->state == CONN_HELLO) {
		if (type != WF_HELLO) {
			*why = "expected hello";
			return -1;
		}
		return on_hello(c, frame + WIRE_HDR, len - WIRE_HDR, why);
	}
	if (type != WF_SEALED) {
		*why = "unexpected hello";
		return -1;
	}
	n = session_open(&c->sess, frame, len, msg, sizeof(msg));
	if (n < 0) {
		*why = c->state == CONN_AUTH ? "authentication failed (different key?)" : "frame failed authentication";
		return -1;
	}
	size_t off = 0, bl;
	const uint8_t *body;
	uint8_t mt;
	int r;
	if (c->state == CONN_AUTH) {
		if (wire_rec_next(msg, (size_t)n, &off, &mt, &body, &bl) != 1 || mt != WM_AUTH || bl || off != (size_t)n) {
			*why = "expected auth";
			return -1;
		}
		c->state = CONN_UP;
		*became_up = 1;
		return 0;
	}
	while ((r = wire_rec_next(msg, (size_t)n, &off, &mt, &body, &bl)) == 1) {
		if (mt == WM_AUTH) {
			*why = "auth out of order";
			return -1;
		}
		if (mt == WM_KEEPALIVE) {
			if (bl) {
				*why = "malformed keepalive";
				return -1;
			}
			continue;
		}
		if (fn(c, mt, body, bl, arg, why) < 0)
			return -1;
	}
	if (r < 0) {
		*why = "malformed frame";
		return -1;
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
