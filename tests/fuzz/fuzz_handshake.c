/* libFuzzer target: the session's handshake and state machine
 * (src/proto/conn.c, src/proto/noise.c), as the switch agent runs them.
 * The first byte picks the mode (its value modulo 4):
 *   0, 2: the rest is what a peer sends to a fresh switch-side session
 *         (handshake frames, Noise messages, anything); with 2 the switch
 *         agent is under load (a first message needs a mac2, cookie.h);
 *   1:    a real host agent completes the handshake first (fixed keys),
 *         then the rest is cut into plaintexts that the host's session
 *         seals and sends: the records after "up", rekeys included, reach
 *         the switch side authenticated;
 *   3:    a host agent sends its first message and the rest is what it
 *         reads back (answers, cookie replies, anything).
 * Oracle beyond "no crash": a session is never "up" without a handshake
 * that the host's real key made, and the judge is asked only about keys
 * that came out of a Noise message that opened; under load, nothing is
 * judged without a mac2 for the address; a host takes no cookie and no
 * session from bytes not made with what only its first message held. */
#include "base/log.h"
#include "proto/conn.h"
#include "proto/noise.h"
#include "proto/session.h"
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cookie_checker ck;
static const uint8_t gate_addr[4] = { 10, 20, 1, 1 };
static int under_load, mac2_seen;

static enum conn_gate gate(void *arg, const uint8_t *frame, size_t len, uint8_t reply[COOKIE_REPLY])
{
	(void)arg;
	if (!under_load)
		return CONN_GATE_PASS;
	if (cookie_mac2_ok(&ck, 1000, gate_addr, sizeof(gate_addr), frame, len)) {
		mac2_seen = 1;
		return CONN_GATE_PASS;
	}
	cookie_reply(&ck, 1000, gate_addr, sizeof(gate_addr), frame, len, reply);
	return CONN_GATE_COOKIE;
}

static uint8_t sw_priv[32], sw_pub[32], h_priv[32], h_pub[32];
static unsigned judged;

static int judge(void *arg, const uint8_t pub[32], const uint8_t ts[WIRE_TS], const char *claimed,
		 char name[OL_NAME_MAX], enum conn_refusal *refusal, const char **why)
{
	(void)arg; (void)ts;
	judged++;
	if (memcmp(pub, h_pub, 32) || strcmp(claimed, "h1")) {
		*refusal = CONN_UNKNOWN_KEY;
		*why = "unknown";
		return -1;
	}
	strcpy(name, "h1");
	return 0;
}

static int any_msg(struct conn *c, uint8_t type, const uint8_t *body, size_t n, void *arg, const char **why)
{
	(void)c; (void)body; (void)n; (void)arg; (void)why;
	return type == WM_PROVIDER ? 0 : -1;
}

static void keys(void)
{
	static int done;
	if (done)
		return;
	done = 1;
	if (sodium_init() < 0)
		abort();
	memset(sw_priv, 1, 32);
	memset(h_priv, 2, 32);
	noise_pubkey(sw_priv, sw_pub);
	noise_pubkey(h_priv, h_pub);
	cookie_checker_init(&ck, sw_pub);
}

/* feeds bytes to the switch side as conn_read would; -1 when it ends */
static int feed(struct conn *sw, const uint8_t *p, size_t n, int *up)
{
	const char *why = NULL;
	while (n) {
		size_t room = sizeof(sw->in) - sw->inlen, k = n < room ? n : room;
		memcpy(sw->in + sw->inlen, p, k);
		if (conn_input(sw, k, any_msg, NULL, up, &why) < 0)
			return -1;
		p += k;
		n -= k;
		if (!k)
			return -1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conn sw, host;
	int sv[2], up = 0;
	keys();
	if (size < 1 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv))
		return 0;
	judged = 0;
	under_load = data[0] % 4 == 2;
	mac2_seen = 0;
	conn_init_switch(&sw, sv[0], "sw1", sw_priv, &ck, gate, judge, NULL);
	if (data[0] % 4 == 3) {
		/* the host's side of the first exchange */
		conn_init_host(&host, sv[1], "h1", h_priv, sw_pub, NULL);
		conn_flush(&host);
		size_t n = size - 1 < sizeof(host.in) ? size - 1 : sizeof(host.in);
		memcpy(host.in, data + 1, n);
		const char *why = NULL;
		int hup = 0;
		conn_input(&host, n, any_msg, NULL, &hup, &why);
		if (hup || host.state == CONN_UP || host.got_cookie)
			abort(); /* nobody without the first message's secrets can answer it */
		conn_fini(&host);
		conn_fini(&sw);
		return 0;
	}
	if (!(data[0] & 1)) {
		if (feed(&sw, data + 1, size - 1, &up) == 0 && sw.state == CONN_UP)
			abort(); /* up without the host's key */
		if (judged > 1 || (under_load && judged && !mac2_seen))
			abort();
		conn_fini(&sw);
		close(sv[1]);
		return 0;
	}
	/* a real handshake, then the fuzzer's records, sealed by the host */
	uint8_t buf[WIRE_HDR + WIRE_PAYLOAD_MAX], frame[WIRE_HDR + WIRE_PAYLOAD_MAX];
	conn_init_host(&host, sv[1], "h1", h_priv, sw_pub, NULL);
	conn_flush(&host);
	ssize_t r = read(sv[0], buf, sizeof(buf));
	int ok = r > 0 && feed(&sw, buf, (size_t)r, &up) == 0;
	conn_flush(&sw);
	const char *why = NULL;
	int hup = 0;
	ok = ok && conn_read(&host, any_msg, NULL, &hup, &why) == 0 && hup;
	conn_flush(&host);
	r = ok ? read(sv[0], buf, sizeof(buf)) : -1;
	ok = r > 0 && feed(&sw, buf, (size_t)r, &up) == 0 && sw.state == CONN_UP;
	if (!ok)
		abort(); /* the real host must get in */
	const uint8_t *p = data + 1;
	size_t n = size - 1;
	while (n) {
		size_t k = p[0] % 128 + 1; /* a plaintext of 1 to 128 bytes */
		p++, n--;
		if (k > n)
			k = n;
		int f = session_seal(&host.sess, frame, sizeof(frame), p, k);
		if (f < 0 || feed(&sw, frame, (size_t)f, &up) < 0)
			break;
		p += k;
		n -= k;
	}
	conn_fini(&sw);
	conn_fini(&host);
	return 0;
}
