/* Wire encoding and the authenticated session. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sodium.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include "proto/conn.h"
#include "switch/fanout.h"
#include "proto/session.h"
#include "proto/wire.h"

static struct ol_provider sample(void)
{
	struct ol_provider p = { .table = 101, .naddrs = 2 };
	strcpy(p.name, "transit-a");
	addr_parse("10.0.1.1", &p.addrs[0].addr);
	addr_parse("2001:db8:1::1", &p.addrs[1].addr);
	mac_parse("02:00:00:00:01:01", p.addrs[0].mac);
	mac_parse("02:00:00:00:01:02", p.addrs[1].mac);
	p.addrs[0].up = 1;
	strcpy(p.backup, "transit-c"); /* may be another switch agent's */
	return p;
}

static void provider_round_trip(void **state)
{
	(void)state;
	struct ol_provider p = sample(), q;
	uint8_t buf[512];
	int n = wire_provider_encode(buf, sizeof(buf), &p);
	assert_true(n > 0);
	assert_int_equal(wire_provider_decode(buf, (size_t)n, &q), 0);
	assert_true(provider_equal(&p, &q));
	/* every truncation and any trailing byte is rejected */
	for (int i = 0; i < n; i++)
		assert_int_equal(wire_provider_decode(buf, (size_t)i, &q), -EBADMSG);
	buf[n] = 0;
	assert_int_equal(wire_provider_decode(buf, (size_t)n + 1, &q), -EBADMSG);
	/* no room: an error, not an overflow */
	assert_int_equal(wire_provider_encode(buf, 10, &p), -ENOSPC);
	assert_int_equal(wire_provider_encode(buf, (size_t)n - 1, &p), -ENOSPC);
	/* no backup: a zero length */
	p.backup[0] = 0;
	n = wire_provider_encode(buf, sizeof(buf), &p);
	assert_int_equal(buf[n - 1], 0);
	assert_int_equal(wire_provider_decode(buf, (size_t)n, &q), 0);
	assert_string_equal(q.backup, "");
}

static void provider_rejects_bad_fields(void **state)
{
	(void)state;
	struct ol_provider p = sample(), q;
	uint8_t buf[512], bad[512];
	int n = wire_provider_encode(buf, sizeof(buf), &p);
	size_t name_end = 1 + strlen(p.name);

	memcpy(bad, buf, (size_t)n);
	bad[1] = '/'; /* bad name character */
	assert_int_equal(wire_provider_decode(bad, (size_t)n, &q), -EBADMSG);
	memcpy(bad, buf, (size_t)n);
	bad[name_end + 3] = 254; /* main table */
	assert_int_equal(wire_provider_decode(bad, (size_t)n, &q), -EBADMSG);
	memcpy(bad, buf, (size_t)n);
	bad[name_end + 4] = 9; /* more addresses than allowed */
	assert_int_equal(wire_provider_decode(bad, (size_t)n, &q), -EBADMSG);
	memcpy(bad, buf, (size_t)n);
	bad[name_end + 5] = 5; /* unknown family */
	assert_int_equal(wire_provider_decode(bad, (size_t)n, &q), -EBADMSG);
	memcpy(bad, buf, (size_t)n);
	bad[name_end + 5 + 1 + 4 + 6] = 2; /* unknown flag */
	assert_int_equal(wire_provider_decode(bad, (size_t)n, &q), -EBADMSG);
	memcpy(bad, buf, (size_t)n);
	bad[n - 9] = '/'; /* a bad backup name */
	assert_int_equal(wire_provider_decode(bad, (size_t)n, &q), -EBADMSG);
	/* its own backup */
	strcpy(p.backup, p.name);
	n = wire_provider_encode(buf, sizeof(buf), &p);
	assert_int_equal(wire_provider_decode(buf, (size_t)n, &q), -EBADMSG);
	p.backup[0] = 0;
	/* the same address twice */
	p.addrs[1].addr = p.addrs[0].addr;
	n = wire_provider_encode(buf, sizeof(buf), &p);
	assert_int_equal(wire_provider_decode(buf, (size_t)n, &q), -EBADMSG);
}

/* WM_SWITCH: a switch agent's word on another, exactly as encoded */
static void switch_report(void **state)
{
	(void)state;
	uint8_t buf[64];
	char name[OL_NAME_MAX];
	int dead = -1;
	int n = wire_switch_encode(buf, sizeof(buf), "swa", 1);
	assert_int_equal(n, 5);
	assert_int_equal(wire_switch_decode(buf, (size_t)n, name, &dead), 0);
	assert_string_equal(name, "swa");
	assert_int_equal(dead, 1);
	for (int i = 0; i < n; i++)
		assert_int_equal(wire_switch_decode(buf, (size_t)i, name, &dead), -EBADMSG);
	buf[4] = 2; /* neither dead nor forwarding */
	assert_int_equal(wire_switch_decode(buf, (size_t)n, name, &dead), -EBADMSG);
	assert_int_equal(wire_switch_decode(buf, (size_t)n + 1, name, &dead), -EBADMSG);
	assert_int_equal(wire_switch_encode(buf, 4, "swa", 0), -ENOSPC);
}

static void frame_header_limits(void **state)
{
	(void)state;
	uint8_t h[WIRE_HDR + 8] = { 0 }, type;
	size_t len;
	wire_put_header(h, WF_HELLO, 4);
	assert_int_equal(wire_frame_check(h, 3, &type, &len), 0);
	assert_int_equal(wire_frame_check(h, WIRE_HDR + 3, &type, &len), 0);
	assert_int_equal(wire_frame_check(h, WIRE_HDR + 4, &type, &len), WIRE_HDR + 4);
	assert_int_equal(type, WF_HELLO);
	h[0] = 1; /* an agent from before batched frames */
	assert_int_equal(wire_frame_check(h, 1, &type, &len), -EPROTO);
	wire_put_header(h, 9, 4);
	assert_int_equal(wire_frame_check(h, WIRE_HDR, &type, &len), -EBADMSG);
	wire_put_header(h, WF_SEALED, WIRE_PAYLOAD_MAX + 1);
	assert_int_equal(wire_frame_check(h, WIRE_HDR, &type, &len), -EMSGSIZE);
}

static void hello_round_trip(void **state)
{
	(void)state;
	struct wire_hello h = { .role = WR_HOST }, g;
	uint8_t buf[128];
	strcpy(h.name, "h1");
	randombytes_buf(h.nonce, sizeof(h.nonce));
	int n = wire_hello_encode(buf, sizeof(buf), &h);
	assert_int_equal(wire_hello_decode(buf, (size_t)n, &g), 0);
	assert_int_equal(g.role, WR_HOST);
	assert_string_equal(g.name, "h1");
	assert_memory_equal(g.nonce, h.nonce, WIRE_NONCE);
	buf[0] = 3;
	assert_int_equal(wire_hello_decode(buf, (size_t)n, &g), -EBADMSG);
}

static void name_round_trip(void **state)
{
	(void)state;
	uint8_t buf[64];
	char name[OL_NAME_MAX];
	int n = wire_name_encode(buf, sizeof(buf), "transit-b");
	assert_int_equal(n, 10);
	assert_int_equal(wire_name_decode(buf, (size_t)n, name), 0);
	assert_string_equal(name, "transit-b");
	assert_int_equal(wire_name_decode(buf, (size_t)n - 1, name), -EBADMSG);
	buf[0] = 0;
	assert_int_equal(wire_name_decode(buf, 1, name), -EBADMSG);
	/* found by fuzzing: a NUL inside the name was taken as its end */
	assert_int_equal(wire_name_decode((const uint8_t *)"\x04tr\0x", 5, name), -EBADMSG);
	assert_int_equal(wire_name_encode(buf, 5, "transit-b"), -ENOSPC);
}

static void egress_round_trip(void **state)
{
	(void)state;
	struct ol_egress e = { .nslices = 2 }, f;
	uint8_t buf[4096];
	addr_parse("192.0.2.10", &e.addr);
	strcpy(e.slices[0].host, "h1");
	e.slices[0].first = 10000;
	e.slices[0].last = 19999;
	strcpy(e.slices[1].host, "h2");
	e.slices[1].first = 20000;
	e.slices[1].last = 65535;
	int n = wire_egress_encode(buf, sizeof(buf), &e);
	assert_true(n > 0);
	assert_int_equal(wire_egress_decode(buf, (size_t)n, &f), 0);
	assert_true(egress_equal(&e, &f));
	assert_string_equal(egress_slice_of(&f, "h2")->host, "h2");
	assert_null(egress_slice_of(&f, "h3"));
	for (int i = 0; i < n; i++)
		assert_int_equal(wire_egress_decode(buf, (size_t)i, &f), -EBADMSG);
	/* overlapping slices, a port below 1024, a reversed range, a host twice */
	struct ol_egress bad = e;
	bad.slices[1].first = 19999;
	n = wire_egress_encode(buf, sizeof(buf), &bad);
	assert_int_equal(wire_egress_decode(buf, (size_t)n, &f), -EBADMSG);
	bad = e;
	bad.slices[0].first = 80;
	n = wire_egress_encode(buf, sizeof(buf), &bad);
	assert_int_equal(wire_egress_decode(buf, (size_t)n, &f), -EBADMSG);
	bad = e;
	bad.slices[0].first = 19999;
	bad.slices[0].last = 10000;
	n = wire_egress_encode(buf, sizeof(buf), &bad);
	assert_int_equal(wire_egress_decode(buf, (size_t)n, &f), -EBADMSG);
	bad = e;
	strcpy(bad.slices[1].host, "h1");
	n = wire_egress_encode(buf, sizeof(buf), &bad);
	assert_int_equal(wire_egress_decode(buf, (size_t)n, &f), -EBADMSG);
	/* the largest table fits in one message */
	struct ol_egress big = { .nslices = OL_SLICES_MAX };
	addr_parse("2001:db8::10", &big.addr);
	for (int i = 0; i < OL_SLICES_MAX; i++) {
		snprintf(big.slices[i].host, sizeof(big.slices[i].host), "host-with-a-long-name-%08d", i);
		big.slices[i].first = (uint16_t)(1024 + i * 1000);
		big.slices[i].last = (uint16_t)(1024 + i * 1000 + 999);
	}
	n = wire_egress_encode(buf, WIRE_MSG_MAX - 1, &big);
	assert_true(n > 0);
	assert_int_equal(wire_egress_decode(buf, (size_t)n, &f), 0);
	assert_true(egress_equal(&big, &f));
}

static void host_round_trip(void **state)
{
	(void)state;
	uint8_t buf[64];
	char name[OL_NAME_MAX];
	struct ol_addr a, b;
	addr_parse("2001:db8:10::12", &a);
	int n = wire_host_encode(buf, sizeof(buf), "h2", &a);
	assert_int_equal(wire_host_decode(buf, (size_t)n, name, &b), 0);
	assert_string_equal(name, "h2");
	assert_int_equal(addr_cmp(&a, &b), 0);
	for (int i = 0; i < n; i++)
		assert_int_equal(wire_host_decode(buf, (size_t)i, name, &b), -EBADMSG);
}

static void session_authenticates(void **state)
{
	(void)state;
	uint8_t psk[32], other[32], sh[40], hh[40], frame[256], msg[256];
	struct session sw, host, wrong;
	randombytes_buf(psk, sizeof(psk));
	randombytes_buf(other, sizeof(other));
	randombytes_buf(sh, sizeof(sh));
	randombytes_buf(hh, sizeof(hh));
	session_derive(&sw, psk, sh, sizeof(sh), hh, sizeof(hh), 1);
	session_derive(&host, psk, sh, sizeof(sh), hh, sizeof(hh), 0);
	session_derive(&wrong, other, sh, sizeof(sh), hh, sizeof(hh), 0);

	int n = session_seal(&sw, frame, sizeof(frame), (const uint8_t *)"\x03hello", 6);
	assert_true(n > 0);
	/* a host with another key cannot open it */
	assert_int_equal(session_open(&wrong, frame, (size_t)n, msg, sizeof(msg)), -EBADMSG);
	assert_int_equal(session_open(&host, frame, (size_t)n, msg, sizeof(msg)), 6);
	assert_memory_equal(msg, "\x03hello", 6);
	/* a replay fails: the counter moved on */
	assert_int_equal(session_open(&host, frame, (size_t)n, msg, sizeof(msg)), -EBADMSG);
	/* a flipped bit fails, header included */
	n = session_seal(&sw, frame, sizeof(frame), (const uint8_t *)"\x06", 1);
	frame[WIRE_HDR] ^= 1;
	assert_int_equal(session_open(&host, frame, (size_t)n, msg, sizeof(msg)), -EBADMSG);
	/* a host cannot reflect the switch's frames back to it */
	n = session_seal(&sw, frame, sizeof(frame), (const uint8_t *)"\x06", 1);
	assert_int_equal(session_open(&sw, frame, (size_t)n, msg, sizeof(msg)), -EBADMSG);
}

static void records_round_trip(void **state)
{
	(void)state;
	uint8_t buf[WIRE_MSG_MAX], type;
	const uint8_t *body;
	size_t len = 0, off = 0, n;
	assert_int_equal(wire_rec_put(buf, sizeof(buf), &len, WM_SNAP_BEGIN, NULL, 0), 0);
	assert_int_equal(wire_rec_put(buf, sizeof(buf), &len, WM_HOST, (const uint8_t *)"abc", 3), 0);
	assert_int_equal(len, 2 * WIRE_REC_HDR + 3);
	assert_int_equal(wire_rec_next(buf, len, &off, &type, &body, &n), 1);
	assert_int_equal(type, WM_SNAP_BEGIN);
	assert_int_equal(n, 0);
	assert_int_equal(wire_rec_next(buf, len, &off, &type, &body, &n), 1);
	assert_int_equal(type, WM_HOST);
	assert_int_equal(n, 3);
	assert_memory_equal(body, "abc", 3);
	assert_int_equal(wire_rec_next(buf, len, &off, &type, &body, &n), 0);
	/* a message cut short, a lone byte, an empty plaintext */
	for (size_t cut = len - 1; cut > WIRE_REC_HDR; cut--) {
		off = WIRE_REC_HDR;
		assert_int_equal(wire_rec_next(buf, cut, &off, &type, &body, &n), -EBADMSG);
	}
	off = 0;
	assert_int_equal(wire_rec_next(buf, 1, &off, &type, &body, &n), -EBADMSG);
	off = 0;
	assert_int_equal(wire_rec_next(buf, 0, &off, &type, &body, &n), -EBADMSG);
	/* what does not fit is refused whole, and leaves the buffer as it was */
	static uint8_t big[WIRE_BODY_MAX + 1];
	len = 0;
	assert_int_equal(wire_rec_put(buf, sizeof(buf), &len, WM_EGRESS, big, WIRE_BODY_MAX + 1), -ENOSPC);
	assert_int_equal(wire_rec_put(buf, sizeof(buf), &len, WM_EGRESS, big, WIRE_BODY_MAX), 0);
	assert_int_equal(len, sizeof(buf));
	assert_int_equal(wire_rec_put(buf, sizeof(buf), &len, WM_SNAP_END, NULL, 0), -ENOSPC);
	assert_int_equal(len, sizeof(buf));
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

/* Moves bytes between the two ends until neither has anything to say. */
static void pump(struct conn *a, struct conn *b, struct got *ga, struct got *gb, int *up_a, int *up_b)
{
	for (int i = 0; i < 64; i++) {
		const char *why = NULL;
		int up = 0;
		assert_true(conn_flush(a) >= 0);
		assert_true(conn_flush(b) >= 0);
		assert_int_equal(conn_read(a, count_msg, ga, &up, &why), 0);
		*up_a |= up;
		assert_int_equal(conn_read(b, count_msg, gb, &up, &why), 0);
		*up_b |= up;
		if (!conn_queued(a) && !conn_queued(b))
			return;
	}
	fail_msg("the two ends never went quiet");
}

/* Many messages sent between two flushes arrive whole and in order, in
 * few frames: one per 4 KiB of messages, not one per message. */
static void conn_batches_messages(void **state)
{
	(void)state;
	int sv[2];
	uint8_t psk[32];
	struct conn sw, host;
	struct got gs = { 0 }, gh = { 0 };
	int up_s = 0, up_h = 0;
	randombytes_buf(psk, sizeof(psk));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	assert_int_equal(conn_init(&sw, sv[0], 1, "sw1", psk), 0);
	assert_int_equal(conn_init(&host, sv[1], 0, "h1", psk), 0);
	pump(&sw, &host, &gs, &gh, &up_s, &up_h);
	assert_true(up_s && up_h);
	assert_int_equal(sw.state, CONN_UP);

	uint8_t body[WIRE_BODY_MAX];
	struct ol_provider p = sample();
	int n = wire_provider_encode(body, sizeof(body), &p);
	assert_true(n > 0);
	uint64_t seq0 = sw.sess.tx_seq;
	for (int i = 0; i < 500; i++)
		assert_int_equal(conn_send(&sw, WM_PROVIDER, body, (size_t)n), 0);
	assert_int_equal(conn_send(&sw, WM_SNAP_END, NULL, 0), 0);
	pump(&sw, &host, &gs, &gh, &up_s, &up_h);
	assert_int_equal(gh.n, 501);
	assert_int_equal(gh.last_type, WM_SNAP_END);
	assert_int_equal(gh.bytes, 500 * (size_t)n);
	size_t frames = sw.sess.tx_seq - seq0, need = (501 * WIRE_REC_HDR + 500 * (size_t)n) / WIRE_MSG_MAX + 1;
	assert_true(frames >= need && frames <= need + 1);
	/* a drained queue that grew past its keep size was given back */
	assert_null(sw.out);
	/* keepalives are handled inside: the host sees none of them */
	assert_int_equal(conn_send(&host, WM_KEEPALIVE, NULL, 0), 0);
	pump(&sw, &host, &gs, &gh, &up_s, &up_h);
	assert_int_equal(gs.n, 0);
	conn_fini(&sw);
	conn_fini(&host);
}

/* A sealed frame whose messages do not add up ends the session, as does an
 * agent of protocol version 1. */
static void conn_refuses_bad_frames(void **state)
{
	(void)state;
	int sv[2];
	uint8_t psk[32], frame[WIRE_HDR + WIRE_PAYLOAD_MAX];
	struct conn sw, host;
	struct got gs = { 0 }, gh = { 0 };
	int up_s = 0, up_h = 0, up = 0;
	const char *why = NULL;
	randombytes_buf(psk, sizeof(psk));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	assert_int_equal(conn_init(&sw, sv[0], 1, "sw1", psk), 0);
	assert_int_equal(conn_init(&host, sv[1], 0, "h1", psk), 0);
	pump(&sw, &host, &gs, &gh, &up_s, &up_h);
	/* "\x03\x00\x09ab": a provider message claiming 9 bytes, carrying 2 */
	int n = session_seal(&sw.sess, frame, sizeof(frame), (const uint8_t *)"\x03\x00\x09" "ab", 5);
	assert_int_equal(write(sv[0], frame, (size_t)n), n);
	assert_int_equal(conn_read(&host, count_msg, &gh, &up, &why), -1);
	assert_string_equal(why, "malformed frame");
	assert_int_equal(gh.n, 0);
	conn_fini(&sw);
	conn_fini(&host);

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	assert_int_equal(conn_init(&sw, sv[0], 1, "sw1", psk), 0);
	assert_int_equal(write(sv[1], "\x01\x01\x00\x04" "abcd", 8), 8);
	assert_int_equal(conn_read(&sw, count_msg, &gs, &up, &why), -1);
	assert_string_equal(why, "unsupported protocol version");
	close(sv[1]);
	conn_fini(&sw);
}

/* The switch agent's parallel flush: every connection written once, by
 * one thread, with its result where it belongs, batch after batch. */
struct flush_job {
	struct conn *c;
	int *rc;
};

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
	uint8_t psk[32], buf[256];
	randombytes_buf(psk, sizeof(psk));
	struct fanout *f = fanout_new(3);
	assert_non_null(f);
	assert_int_equal(fanout_workers(f), 3);
	for (int i = 0; i < N; i++) {
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
		assert_int_equal(conn_init(&c[i], sv[0], 1, "sw1", psk), 0);
		peer[i] = sv[1];
	}
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < N; i++)
			rc[i] = -1;
		fanout_run(f, N - (size_t)round, flush_at, &job); /* all, then one fewer */
		for (int i = 0; i < N - round; i++) {
			assert_int_equal(rc[i], 0);
			assert_int_equal(conn_queued(&c[i]), 0);
			/* the hello on the first round, nothing after */
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
		cmocka_unit_test(provider_round_trip),
		cmocka_unit_test(provider_rejects_bad_fields),
		cmocka_unit_test(switch_report),
		cmocka_unit_test(frame_header_limits),
		cmocka_unit_test(hello_round_trip),
		cmocka_unit_test(name_round_trip),
		cmocka_unit_test(egress_round_trip),
		cmocka_unit_test(host_round_trip),
		cmocka_unit_test(session_authenticates),
		cmocka_unit_test(records_round_trip),
		cmocka_unit_test(conn_batches_messages),
		cmocka_unit_test(conn_refuses_bad_frames),
		cmocka_unit_test(fanout_flushes_every_connection),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
