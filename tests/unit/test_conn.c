/* The session (proto/conn.c): the Noise IK handshake between a host agent
 * and a switch agent with per-node keys, the switch agent's judge of hosts
 * (switch/hostkeys.c), sealed frames and their batching, rekeys inside the
 * session; and the state machine against truncated, reordered, replayed,
 * forged and oversized input. Over AF_UNIX socket pairs: no network. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <sys/socket.h>
#include <unistd.h>
#include "base/log.h"
#include "proto/conn.h"
#include "proto/session.h"
#include "proto/wire.h"
#include "switch/fanout.h"
#include "switch/hostkeys.h"

/* a switch with hosts h1 and h2, each with its own key */
struct pop {
	uint8_t sw[32], sw_pub[32], h1[32], h1_pub[32], h2[32], h2_pub[32], rogue[32], rogue_pub[32];
	struct config cfg;
	struct cfg_peerkey hosts[2];
	struct hostkeys keys;
	struct cookie_checker ck;
	char why[160];
	unsigned judged;
};

static struct pop pop;

static int judge(void *arg, const uint8_t pub[32], const uint8_t ts[WIRE_TS], const char *claimed,
		 char name[OL_NAME_MAX], enum conn_refusal *refusal, const char **why)
{
	struct pop *p = arg;
	*why = p->why;
	p->judged++;
	return hostkeys_judge(&p->keys, pub, ts, claimed, name, refusal, p->why, sizeof(p->why));
}

static int setup(void **state)
{
	(void)state;
	memset(&pop, 0, sizeof(pop));
	noise_keypair(pop.sw, pop.sw_pub);
	noise_keypair(pop.h1, pop.h1_pub);
	noise_keypair(pop.h2, pop.h2_pub);
	noise_keypair(pop.rogue, pop.rogue_pub);
	strcpy(pop.hosts[0].name, "h1");
	memcpy(pop.hosts[0].pub, pop.h1_pub, 32);
	strcpy(pop.hosts[1].name, "h2");
	memcpy(pop.hosts[1].pub, pop.h2_pub, 32);
	pop.cfg.sw.hosts = pop.hosts;
	pop.cfg.sw.nhosts = 2;
	cookie_checker_init(&pop.ck, pop.sw_pub);
	return hostkeys_init(&pop.keys, &pop.cfg);
}

static int teardown(void **state)
{
	(void)state;
	hostkeys_free(&pop.keys);
	return 0;
}

struct got {
	unsigned n;
	uint8_t last_type;
	size_t bytes;
};

static int count_msg(struct conn *c, uint8_t type, const uint8_t *body, size_t n, void *arg, const char **why)
{
	(void)c; (void)body; (void)why;
	struct got *g = arg;
	g->n++;
	g->last_type = type;
	g->bytes += n;
	return 0;
}

/* Moves bytes between the two ends until neither has anything to say;
 * returns the first failure's reason (or NULL), with *who 's' or 'h'. */
static const char *pump_ex(struct conn *sw, struct conn *h, struct got *gs, struct got *gh, int *up_s, int *up_h,
			   char *who)
{
	for (int i = 0; i < 64; i++) {
		const char *why = NULL;
		int up = 0;
		assert_true(conn_flush(sw) >= 0);
		assert_true(conn_flush(h) >= 0);
		if (conn_read(sw, count_msg, gs, &up, &why) < 0) {
			*who = 's';
			return why;
		}
		*up_s |= up;
		up = 0;
		if (conn_read(h, count_msg, gh, &up, &why) < 0) {
			*who = 'h';
			return why;
		}
		*up_h |= up;
		if (!conn_queued(sw) && !conn_queued(h))
			return NULL;
	}
	fail_msg("the two ends never went quiet");
	return NULL;
}

static void pump(struct conn *sw, struct conn *h, struct got *gs, struct got *gh, int *up_s, int *up_h)
{
	char who = 0;
	const char *why = pump_ex(sw, h, gs, gh, up_s, up_h, &who);
	if (why)
		fail_msg("%c: %s", who, why);
}

/* a session between the switch and a host with the given key and name,
 * pointed at the given switch key */
static void connect_pair(struct conn *sw, struct conn *h, const uint8_t *hkey, const char *name, const uint8_t *swpub)
{
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	assert_int_equal(conn_init_switch(sw, sv[0], "sw1", pop.sw, &pop.ck, NULL, judge, &pop), 0);
	assert_int_equal(conn_init_host(h, sv[1], name, hkey, swpub, NULL), 0);
}

static void up_pair(struct conn *sw, struct conn *h, const uint8_t *hkey, const char *name)
{
	struct got gs = { 0 }, gh = { 0 };
	int up_s = 0, up_h = 0;
	connect_pair(sw, h, hkey, name, pop.sw_pub);
	pump(sw, h, &gs, &gh, &up_s, &up_h);
	assert_true(up_s && up_h);
	assert_int_equal(sw->state, CONN_UP);
	assert_int_equal(h->state, CONN_UP);
}

/* Both sides prove their keys: the switch learns the host's name from its
 * key, the host the switch's; many messages sent between two flushes
 * arrive whole and in order, in few frames. */
static void handshake_and_batches(void **state)
{
	(void)state;
	struct conn sw, host;
	struct got gs = { 0 }, gh = { 0 };
	int up_s = 0, up_h = 0;
	up_pair(&sw, &host, pop.h1, "h1");
	assert_string_equal(sw.peer_name, "h1");
	assert_string_equal(host.peer_name, "sw1");
	assert_memory_equal(sw.peer_key, pop.h1_pub, 32);
	assert_null(sw.hs);
	assert_null(host.hs);

	uint8_t body[WIRE_BODY_MAX];
	struct ol_provider p = { .table = 101, .naddrs = 2 };
	strcpy(p.name, "transit-a");
	strcpy(p.backup, "transit-b");
	addr_parse("10.0.1.1", &p.addrs[0].addr);
	addr_parse("2001:db8:1::1", &p.addrs[1].addr);
	int n = wire_provider_encode(body, sizeof(body), &p);
	assert_true(n > 0);
	uint64_t seq0 = sw.sess.tx.n;
	for (int i = 0; i < 500; i++)
		assert_int_equal(conn_send(&sw, WM_PROVIDER, body, (size_t)n), 0);
	assert_int_equal(conn_send(&sw, WM_SNAP_END, NULL, 0), 0);
	pump(&sw, &host, &gs, &gh, &up_s, &up_h);
	assert_int_equal(gh.n, 501);
	assert_int_equal(gh.last_type, WM_SNAP_END);
	assert_int_equal(gh.bytes, 500 * (size_t)n);
	size_t frames = sw.sess.tx.n - seq0, need = (501 * WIRE_REC_HDR + 500 * (size_t)n) / WIRE_MSG_MAX + 1;
	assert_true(frames >= need && frames <= need + 1);
	assert_null(sw.out); /* a drained queue that grew past its keep size was given back */
	/* keepalives are handled inside: the switch sees none of them */
	assert_int_equal(conn_send(&host, WM_KEEPALIVE, NULL, 0), 0);
	pump(&sw, &host, &gs, &gh, &up_s, &up_h);
	assert_int_equal(gs.n, 0);
	conn_fini(&sw);
	conn_fini(&host);
}

/* A host whose key no [host NAME] has is refused and learns nothing; so
 * is a host with h1's key calling itself h2. */
static void unknown_key_and_wrong_name(void **state)
{
	(void)state;
	struct conn sw, host;
	struct got gs = { 0 }, gh = { 0 };
	int up_s = 0, up_h = 0;
	char who = 0;
	connect_pair(&sw, &host, pop.rogue, "h1", pop.sw_pub);
	const char *why = pump_ex(&sw, &host, &gs, &gh, &up_s, &up_h, &who);
	assert_non_null(why);
	assert_int_equal(who, 's');
	assert_int_equal(sw.refusal, CONN_UNKNOWN_KEY);
	char ks[16];
	conn_keystr(pop.rogue_pub, ks);
	assert_non_null(strstr(why, ks)); /* the key's first characters, for the log */
	assert_int_equal(conn_queued(&sw), 0); /* not a byte for it */
	assert_int_equal(host.state, CONN_HANDSHAKE);
	conn_fini(&sw);
	conn_fini(&host);

	connect_pair(&sw, &host, pop.h1, "h2", pop.sw_pub);
	why = pump_ex(&sw, &host, &gs, &gh, &up_s, &up_h, &who);
	assert_int_equal(who, 's');
	assert_int_equal(sw.refusal, CONN_WRONG_NAME);
	conn_fini(&sw);
	conn_fini(&host);
	assert_int_equal(gs.n + gh.n, 0);
}

/* A host pointed at another switch's public key (an impostor holding its
 * own valid key, listening where the switch should be): the impostor
 * cannot read the first message, and the host never reaches "up". */
static void impostor_switch(void **state)
{
	(void)state;
	int sv[2];
	struct conn imp, host;
	struct got gs = { 0 }, gh = { 0 };
	int up_s = 0, up_h = 0;
	char who = 0;
	struct cookie_checker imp_ck;
	cookie_checker_init(&imp_ck, pop.h2_pub);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	/* the impostor runs a switch agent with h2's own key */
	assert_int_equal(conn_init_switch(&imp, sv[0], "sw1", pop.h2, &imp_ck, NULL, judge, &pop), 0);
	assert_int_equal(conn_init_host(&host, sv[1], "h1", pop.h1, pop.sw_pub, NULL), 0);
	const char *why = pump_ex(&imp, &host, &gs, &gh, &up_s, &up_h, &who);
	assert_int_equal(who, 's');
	/* refused before any key work: the first message's mac1 was made
	 * for the real switch agent's public key */
	assert_int_equal(imp.refusal, CONN_BAD_MAC1);
	assert_non_null(strstr(why, "its mac1 is not for this switch agent's public key"));
	assert_int_equal(host.state, CONN_HANDSHAKE);
	conn_fini(&imp);
	conn_fini(&host);
}

/* the switch agent's gate, under load or not, for a connection from
 * gate_addr at gate_now */
static int gate_load;
static uint64_t gate_now = 1000;
static uint8_t gate_addr[4] = { 10, 0, 0, 1 };

static enum conn_gate test_gate(void *arg, const uint8_t *frame, size_t len, uint8_t reply[COOKIE_REPLY])
{
	struct pop *p = arg;
	if (!gate_load || cookie_mac2_ok(&p->ck, gate_now, gate_addr, sizeof(gate_addr), frame, len))
		return CONN_GATE_PASS;
	cookie_reply(&p->ck, gate_now, gate_addr, sizeof(gate_addr), frame, len, reply);
	return CONN_GATE_COOKIE;
}

/* One first message from h1 (with cookie, or none) to a switch with the
 * gate; flip: a byte of the switch's answer to alter. What the host's
 * side said is returned; *sw_refusal is the switch's. */
static const char *first_try(const uint8_t *cookie, int flip, struct conn *host, enum conn_refusal *sw_refusal,
			     int *host_up)
{
	int sv[2], up = 0;
	const char *why = NULL;
	struct conn sw;
	struct got g = { 0 };
	uint8_t buf[512];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	assert_int_equal(conn_init_switch(&sw, sv[0], "sw1", pop.sw, &pop.ck, test_gate, judge, &pop), 0);
	assert_int_equal(conn_init_host(host, sv[1], "h1", pop.h1, pop.sw_pub, cookie), 0);
	assert_int_equal(conn_flush(host), 0);
	int r = conn_read(&sw, count_msg, &g, &up, &why);
	*sw_refusal = sw.refusal;
	assert_true(conn_flush(&sw) >= 0);
	/* the answer (msg2, or a cookie reply), altered if asked */
	ssize_t n = recv(sv[1], buf, sizeof(buf), MSG_PEEK);
	assert_true(n > WIRE_HDR);
	if (flip) {
		assert_int_equal(read(sv[1], buf, (size_t)n), n);
		buf[n - 1 - flip % (n - WIRE_HDR)] ^= 0x20;
		int pr[2];
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, pr), 0);
		assert_int_equal(write(pr[0], buf, (size_t)n), n);
		close(sv[1]);
		host->fd = pr[1];
		close(pr[0]);
	}
	why = NULL;
	if (conn_read(host, count_msg, &g, host_up, &why) < 0 && !why)
		why = "?";
	if (r == 0 && !why) {
		/* the AUTH, for the switch to see the session up */
		assert_int_equal(conn_flush(host), 0);
		assert_int_equal(conn_read(&sw, count_msg, &g, &up, &why), 0);
		assert_int_equal(sw.state, CONN_UP);
	}
	conn_fini(&sw);
	return why;
}

/* Under load a first message without a good mac2 costs the switch agent
 * a hash and a cookie reply, no Diffie-Hellman; the host comes back with
 * the cookie and gets in. A cookie is for one address and one period of
 * the secret; an altered or foreign cookie reply does not open. */
static void under_load_cookie(void **state)
{
	(void)state;
	struct conn host;
	enum conn_refusal rf;
	int up = 0;
	uint8_t cookie[COOKIE_MAC];
	const char *why;

	/* not under load: no mac2 needed */
	gate_load = 0;
	why = first_try(NULL, 0, &host, &rf, &up);
	assert_null(why);
	assert_true(up);
	assert_int_equal(pop.judged, 1);
	conn_fini(&host);

	gate_load = 1;
	up = 0;
	why = first_try(NULL, 0, &host, &rf, &up);
	assert_int_equal(rf, CONN_COOKIE);
	assert_int_equal(pop.judged, 1); /* no key work, no judge */
	assert_non_null(why);
	assert_non_null(strstr(why, "under load"));
	assert_true(host.got_cookie);
	memcpy(cookie, host.cookie, sizeof(cookie));
	conn_fini(&host);
	/* with it: in */
	why = first_try(cookie, 0, &host, &rf, &up);
	assert_null(why);
	assert_true(up);
	assert_int_equal(pop.judged, 2);
	conn_fini(&host);
	/* the same cookie from another address: a cookie again */
	gate_addr[3] = 2;
	up = 0;
	why = first_try(cookie, 0, &host, &rf, &up);
	assert_int_equal(rf, CONN_COOKIE);
	assert_false(up);
	assert_true(host.got_cookie);
	assert_memory_not_equal(host.cookie, cookie, COOKIE_MAC);
	conn_fini(&host);
	gate_addr[3] = 1;
	/* after the secret changed: a cookie again */
	gate_now += COOKIE_SECRET_MS;
	why = first_try(cookie, 0, &host, &rf, &up);
	assert_int_equal(rf, CONN_COOKIE);
	assert_int_equal(pop.judged, 2);
	conn_fini(&host);
	/* an altered cookie reply, anywhere: refused, no cookie kept */
	for (int flip = 1; flip < COOKIE_REPLY; flip += 5) {
		why = first_try(NULL, flip, &host, &rf, &up);
		assert_int_equal(rf, CONN_COOKIE);
		assert_false(host.got_cookie);
		assert_non_null(strstr(why, "cookie reply that does not open"));
		conn_fini(&host);
	}
	/* a mac2 made with a cookie of the wrong bytes */
	memset(cookie, 7, sizeof(cookie));
	why = first_try(cookie, 0, &host, &rf, &up);
	assert_int_equal(rf, CONN_COOKIE);
	conn_fini(&host);
	gate_load = 0;
}

/* Handshake messages replayed, cut, altered, out of order or oversized:
 * each refused with its reason, never "up". */
static void bad_handshakes(void **state)
{
	(void)state;
	int sv[2], up = 0;
	const char *why = NULL;
	uint8_t rec[WIRE_HDR + WIRE_PAYLOAD_MAX];
	struct conn sw, host;
	struct got g = { 0 };

	/* record h1's first message, as an attacker on the segment would */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	assert_int_equal(conn_init_host(&host, sv[1], "h1", pop.h1, pop.sw_pub, NULL), 0);
	assert_int_equal(conn_flush(&host), 0);
	ssize_t m1 = read(sv[0], rec, sizeof(rec));
	assert_true(m1 > WIRE_HDR);
	conn_fini(&host);
	close(sv[0]);
	/* the original goes through once ... */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	assert_int_equal(conn_init_switch(&sw, sv[0], "sw1", pop.sw, &pop.ck, NULL, judge, &pop), 0);
	assert_int_equal(write(sv[1], rec, (size_t)m1), m1);
	assert_int_equal(conn_read(&sw, count_msg, &g, &up, &why), 0);
	assert_int_equal(sw.state, CONN_CONFIRM);
	conn_fini(&sw);
	close(sv[1]);
	/* ... and its replay is refused: its timestamp is no newer */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	assert_int_equal(conn_init_switch(&sw, sv[0], "sw1", pop.sw, &pop.ck, NULL, judge, &pop), 0);
	assert_int_equal(write(sv[1], rec, (size_t)m1), m1);
	assert_int_equal(conn_read(&sw, count_msg, &g, &up, &why), -1);
	assert_int_equal(sw.refusal, CONN_REPLAY);
	conn_fini(&sw);
	close(sv[1]);

	/* cut short (the frame header says less), a bit flipped anywhere */
	for (ssize_t cut = WIRE_HDR; cut < m1; cut += 7) {
		uint8_t f[WIRE_HDR + WIRE_PAYLOAD_MAX];
		memcpy(f, rec, (size_t)cut);
		wire_put_header(f, WF_HANDSHAKE, (size_t)cut - WIRE_HDR);
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
		assert_int_equal(conn_init_switch(&sw, sv[0], "sw1", pop.sw, &pop.ck, NULL, judge, &pop), 0);
		assert_int_equal(write(sv[1], f, (size_t)cut), cut);
		assert_int_equal(conn_read(&sw, count_msg, &g, &up, &why), -1);
		assert_int_equal(sw.refusal, CONN_BAD_MAC1); /* no Diffie-Hellman spent on it */
		conn_fini(&sw);
		close(sv[1]);
	}
	/* a bit flipped in the Noise message under a mac1 made anew (by
	 * someone who knows the switch's public key): Noise refuses it */
	{
		uint8_t f[WIRE_HDR + WIRE_PAYLOAD_MAX];
		memcpy(f, rec, (size_t)m1);
		f[WIRE_HDR + 40] ^= 1;
		cookie_put_macs(pop.sw_pub, NULL, f, (size_t)m1);
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
		assert_int_equal(conn_init_switch(&sw, sv[0], "sw1", pop.sw, &pop.ck, NULL, judge, &pop), 0);
		assert_int_equal(write(sv[1], f, (size_t)m1), m1);
		assert_int_equal(conn_read(&sw, count_msg, &g, &up, &why), -1);
		assert_int_equal(sw.refusal, CONN_BAD_HANDSHAKE);
		conn_fini(&sw);
		close(sv[1]);
	}
	for (ssize_t bit = WIRE_HDR * 8; bit < m1 * 8; bit += 13) {
		rec[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
		assert_int_equal(conn_init_switch(&sw, sv[0], "sw1", pop.sw, &pop.ck, NULL, judge, &pop), 0);
		assert_int_equal(write(sv[1], rec, (size_t)m1), m1);
		assert_int_equal(conn_read(&sw, count_msg, &g, &up, &why), -1);
		assert_int_not_equal(sw.state, CONN_UP);
		conn_fini(&sw);
		close(sv[1]);
		rec[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}

	/* out of order: a sealed frame first; an oversized frame; an older
	 * protocol version */
	static const struct { const char *bytes; size_t n; const char *why; } bad[] = {
		{ "\x09\x02\x00\x04" "abcd", 8, "expected a handshake" },
		{ "\x09\x04\x00\x04" "abcd", 8, "expected a handshake" }, /* a cookie reply, to the switch */
		{ "\x09\x01\xff\xff", 4, "oversized frame" },
		{ "\x08\x01\x00\x04" "abcd", 8, "unsupported protocol version" },
		{ "\x09\x01\x00\x04" "abcd", 8, "handshake refused before any key work: its mac1 is not for this switch "
						   "agent's public key (garbage, or made for another switch)" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
		assert_int_equal(conn_init_switch(&sw, sv[0], "sw1", pop.sw, &pop.ck, NULL, judge, &pop), 0);
		assert_int_equal(write(sv[1], bad[i].bytes, bad[i].n), (ssize_t)bad[i].n);
		assert_int_equal(conn_read(&sw, count_msg, &g, &up, &why), -1);
		assert_string_equal(why, bad[i].why);
		conn_fini(&sw);
		close(sv[1]);
	}
	assert_int_equal(g.n, 0);
}

/* After "up": a second handshake frame, a frame under the wrong key, a
 * replayed frame and a malformed plaintext each end the session. */
static void bad_frames_after_up(void **state)
{
	(void)state;
	struct conn sw, host;
	struct got g = { 0 };
	int up = 0;
	const char *why = NULL;
	uint8_t frame[WIRE_HDR + WIRE_PAYLOAD_MAX];

	up_pair(&sw, &host, pop.h1, "h1");
	int n = session_seal(&sw.sess, frame, sizeof(frame), (const uint8_t *)"\x03\x00\x09" "ab", 5);
	assert_int_equal(write(sw.fd, frame, (size_t)n), n);
	assert_int_equal(conn_read(&host, count_msg, &g, &up, &why), -1);
	assert_string_equal(why, "malformed frame");
	conn_fini(&sw);
	conn_fini(&host);

	up_pair(&sw, &host, pop.h1, "h1");
	assert_int_equal(conn_send(&sw, WM_KEEPALIVE, NULL, 0), 0);
	assert_int_equal(conn_flush(&sw), 0);
	n = (int)read(host.fd, frame, sizeof(frame)); /* taken off the wire ... */
	assert_true(n > 0);
	assert_int_equal(conn_input(&host, 0, count_msg, &g, &up, &why), 0);
	memcpy(host.in, frame, (size_t)n);
	assert_int_equal(conn_input(&host, (size_t)n, count_msg, &g, &up, &why), 0);
	memcpy(host.in, frame, (size_t)n); /* ... and played again */
	assert_int_equal(conn_input(&host, (size_t)n, count_msg, &g, &up, &why), -1);
	assert_string_equal(why, "frame failed authentication");
	conn_fini(&sw);
	conn_fini(&host);

	up_pair(&sw, &host, pop.h1, "h1");
	wire_put_header(frame, WF_HANDSHAKE, 4);
	assert_int_equal(write(host.fd, frame, WIRE_HDR + 4), WIRE_HDR + 4);
	assert_int_equal(conn_read(&sw, count_msg, &g, &up, &why), -1);
	assert_string_equal(why, "unexpected handshake");
	conn_fini(&sw);
	conn_fini(&host);
	assert_int_equal(g.n, 0);
}

/* A rekey inside the session: new keys both ways, messages sent by either
 * side during it all arrive, and the old keys open nothing after it. */
static void rekey_in_session(void **state)
{
	(void)state;
	struct conn sw, host;
	struct got gs = { 0 }, gh = { 0 };
	int up_s = 0, up_h = 0;
	up_pair(&sw, &host, pop.h1, "h1");
	assert_int_equal(conn_rekey_due(&host, now_ms()), 0);
	assert_int_equal(conn_rekey_due(&sw, now_ms()), 0); /* the switch never starts one */
	host.rekey_ms = 0;
	assert_int_equal(conn_rekey_due(&host, now_ms()), 1);
	struct session before_h = host.sess, before_s = sw.sess;
	for (int round = 1; round <= 3; round++) {
		assert_int_equal(conn_rekey(&host), 0);
		assert_int_equal(conn_rekey_due(&host, now_ms()), 0); /* one at a time */
		/* messages both ways while it is in flight */
		for (int i = 0; i < 10; i++) {
			assert_int_equal(conn_send(&sw, WM_GEN, (const uint8_t *)"12345678", 8), 0);
			assert_int_equal(conn_send(&host, WM_HOST, (const uint8_t *)"x", 1), 0);
			assert_true(conn_flush(&sw) >= 0);
			assert_true(conn_flush(&host) >= 0);
		}
		pump(&sw, &host, &gs, &gh, &up_s, &up_h);
		assert_int_equal(host.rekeys, (unsigned)round);
		assert_int_equal(sw.rekeys, (unsigned)round);
		assert_int_equal(gh.n, 10u * (unsigned)round);
		assert_int_equal(gs.n, 10u * (unsigned)round);
	}
	assert_memory_not_equal(host.sess.tx.k, before_h.tx.k, 32);
	assert_memory_not_equal(sw.sess.tx.k, before_s.tx.k, 32);
	assert_memory_equal(host.sess.tx.k, sw.sess.rx.k, 32);
	assert_memory_equal(sw.sess.tx.k, host.sess.rx.k, 32);
	/* a frame sealed with the first keys no longer opens */
	uint8_t frame[256], msg[256];
	int n = session_seal(&before_s, frame, sizeof(frame), (const uint8_t *)"\x06\x00\x00", 3);
	struct session h_now = host.sess;
	assert_int_equal(session_open(&h_now, frame, (size_t)n, msg, sizeof(msg)), -EBADMSG);
	conn_fini(&sw);
	conn_fini(&host);
}

/* Rekey messages out of turn end the session: an answer nobody asked for,
 * a "done" without a rekey, a rekey from the switch, a rekey under
 * another host's key. */
static void rekey_out_of_turn(void **state)
{
	(void)state;
	struct conn sw, host;
	struct got g = { 0 };
	int up = 0;
	const char *why = NULL;
	uint8_t m[256];
	up_pair(&sw, &host, pop.h1, "h1");
	assert_int_equal(conn_send(&sw, WM_REKEY_ACK, m, 64), 0);
	assert_int_equal(conn_flush(&sw), 0);
	assert_int_equal(conn_read(&host, count_msg, &g, &up, &why), -1);
	assert_string_equal(why, "rekey answer out of order");
	conn_fini(&sw);
	conn_fini(&host);

	up_pair(&sw, &host, pop.h1, "h1");
	assert_int_equal(conn_send(&host, WM_REKEY_DONE, NULL, 0), 0);
	assert_int_equal(conn_flush(&host), 0);
	assert_int_equal(conn_read(&sw, count_msg, &g, &up, &why), -1);
	assert_string_equal(why, "rekey end out of order");
	conn_fini(&sw);
	conn_fini(&host);

	up_pair(&sw, &host, pop.h1, "h1");
	assert_int_equal(conn_send(&sw, WM_REKEY, m, 64), 0);
	assert_int_equal(conn_flush(&sw), 0);
	assert_int_equal(conn_read(&host, count_msg, &g, &up, &why), -1);
	assert_string_equal(why, "rekey from the switch");
	conn_fini(&sw);
	conn_fini(&host);

	/* h1's session, rekeyed with h2's key (h1 took h2's key file?) */
	up_pair(&sw, &host, pop.h1, "h1");
	memcpy(host.priv, pop.h2, 32);
	assert_int_equal(conn_rekey(&host), 0);
	assert_int_equal(conn_flush(&host), 0);
	assert_int_equal(conn_read(&sw, count_msg, &g, &up, &why), -1);
	assert_string_equal(why, "rekey failed (another key?)");
	conn_fini(&sw);
	conn_fini(&host);
	assert_int_equal(g.n, 0);
}

/* The switch agent's parallel flush: every connection written once, by
 * one thread, with its result where it belongs, batch after batch. */
struct flush_job {
	struct conn *c;
	int *rc;
};

static void tai64n(uint8_t ts[WIRE_TS], uint64_t s, uint32_t ns)
{
	s += 1ull << 62;
	for (int i = 0; i < 8; i++)
		ts[i] = (uint8_t)(s >> (56 - 8 * i));
	for (int i = 0; i < 4; i++)
		ts[8 + i] = (uint8_t)(ns >> (24 - 8 * i));
}

/* A host whose clock ran a day ahead and was set back: refused as a
 * replay, counted per host with how far behind it is (shown by onlink
 * status on the switch), until its clock passes the newest accepted. */
static void clock_set_back(void **state)
{
	(void)state;
	uint8_t ts[WIRE_TS];
	char name[OL_NAME_MAX], why[256];
	enum conn_refusal refusal;
	tai64n(ts, 1800000000ull + 86400, 0);
	assert_int_equal(hostkeys_judge(&pop.keys, pop.h1_pub, ts, "h1", name, &refusal, why, sizeof(why)), 0);
	tai64n(ts, 1800000000ull, 250000000);
	assert_int_not_equal(hostkeys_judge(&pop.keys, pop.h1_pub, ts, "h1", name, &refusal, why, sizeof(why)), 0);
	assert_int_equal(refusal, CONN_REPLAY);
	assert_non_null(strstr(why, "86399.750 s older than its last accepted"));
	assert_int_equal(pop.keys.replays[0].count, 1);
	assert_true(pop.keys.replays[0].gap_s > 86399.74 && pop.keys.replays[0].gap_s < 86399.76);
	assert_int_equal(pop.keys.replays[1].count, 0);
	/* its clock passes the newest accepted again: taken */
	tai64n(ts, 1800000000ull + 86401, 0);
	assert_int_equal(hostkeys_judge(&pop.keys, pop.h1_pub, ts, "h1", name, &refusal, why, sizeof(why)), 0);
}

static void flush_at(void *arg, size_t i)
{
	struct flush_job *j = arg;
	j->rc[i] = conn_flush(&j->c[i]);
}

static void fanout_flushes_every_connection(void **state)
{
	(void)state;
	enum { N = 200 };
	static struct conn c[N];
	int rc[N], peer[N], sv[2];
	struct flush_job job = { c, rc };
	uint8_t buf[256];
	struct fanout *f = fanout_new(3);
	assert_non_null(f);
	assert_int_equal(fanout_workers(f), 3);
	for (int i = 0; i < N; i++) {
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
		assert_int_equal(conn_init_host(&c[i], sv[0], "h1", pop.h1, pop.sw_pub, NULL), 0);
		peer[i] = sv[1];
	}
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < N; i++)
			rc[i] = -1;
		fanout_run(f, N - (size_t)round, flush_at, &job); /* all, then one fewer */
		for (int i = 0; i < N - round; i++) {
			assert_int_equal(rc[i], 0);
			assert_int_equal(conn_queued(&c[i]), 0);
			/* the handshake on the first round, nothing after */
			ssize_t r = read(peer[i], buf, sizeof(buf));
			if (round == 0)
				assert_true(r > WIRE_HDR);
			else
				assert_true(r < 0);
		}
	}
	fanout_free(f);
	for (int i = 0; i < N; i++) {
		conn_fini(&c[i]);
		close(peer[i]);
	}
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN); /* as the daemons: a closed peer is an error, not a signal */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(handshake_and_batches, setup, teardown),
		cmocka_unit_test_setup_teardown(unknown_key_and_wrong_name, setup, teardown),
		cmocka_unit_test_setup_teardown(impostor_switch, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_handshakes, setup, teardown),
		cmocka_unit_test_setup_teardown(under_load_cookie, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_frames_after_up, setup, teardown),
		cmocka_unit_test_setup_teardown(rekey_in_session, setup, teardown),
		cmocka_unit_test_setup_teardown(rekey_out_of_turn, setup, teardown),
		cmocka_unit_test_setup_teardown(fanout_flushes_every_connection, setup, teardown),
		cmocka_unit_test_setup_teardown(clock_set_back, setup, teardown),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
