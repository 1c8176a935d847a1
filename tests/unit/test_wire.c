/* Wire encoding. (The session and its handshake: test_conn.c.) */
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
#include "proto/wire.h"
#include "proto/steerwire.h"

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
	/* substituted on its switch: whose MACs it carries travels with it */
	p = sample();
	strcpy(p.via, "transit-b");
	n = wire_provider_encode(buf, sizeof(buf), &p);
	assert_int_equal(wire_provider_decode(buf, (size_t)n, &q), 0);
	assert_string_equal(q.via, "transit-b");
	assert_true(provider_equal(&p, &q));
	q.via[0] = 0;
	assert_false(provider_equal(&p, &q)); /* a substitution ending is a change */
	/* ... never itself */
	strcpy(p.via, p.name);
	n = wire_provider_encode(buf, sizeof(buf), &p);
	assert_int_equal(wire_provider_decode(buf, (size_t)n, &q), -EBADMSG);
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
	wire_put_header(h, WF_HANDSHAKE, 4);
	assert_int_equal(wire_frame_check(h, 3, &type, &len), 0);
	assert_int_equal(wire_frame_check(h, WIRE_HDR + 3, &type, &len), 0);
	assert_int_equal(wire_frame_check(h, WIRE_HDR + 4, &type, &len), WIRE_HDR + 4);
	assert_int_equal(type, WF_HANDSHAKE);
	h[0] = 1; /* an agent from before batched frames */
	assert_int_equal(wire_frame_check(h, 1, &type, &len), -EPROTO);
	wire_put_header(h, 9, 4);
	assert_int_equal(wire_frame_check(h, WIRE_HDR, &type, &len), -EBADMSG);
	wire_put_header(h, WF_SEALED, WIRE_PAYLOAD_MAX + 1);
	assert_int_equal(wire_frame_check(h, WIRE_HDR, &type, &len), -EMSGSIZE);
}

/* The host's handshake payload: timestamp and name; TAI64N orders times */
static void hs1_round_trip(void **state)
{
	(void)state;
	uint8_t buf[64], ts[WIRE_TS], got[WIRE_TS], later[WIRE_TS];
	char name[OL_NAME_MAX];
	wire_tai64n(ts, 1700000000ull * 1000000000u + 5);
	int n = wire_hs1_encode(buf, sizeof(buf), ts, "h1");
	assert_int_equal(n, WIRE_TS + 3);
	assert_int_equal(wire_hs1_decode(buf, (size_t)n, got, name), 0);
	assert_memory_equal(got, ts, WIRE_TS);
	assert_string_equal(name, "h1");
	for (int i = 0; i < n; i++)
		assert_int_equal(wire_hs1_decode(buf, (size_t)i, got, name), -EBADMSG);
	assert_int_equal(wire_hs1_decode(buf, (size_t)n + 1, got, name), -EBADMSG);
	wire_tai64n(later, 1700000000ull * 1000000000u + 6);
	assert_true(memcmp(later, ts, WIRE_TS) > 0);
	wire_tai64n(later, 1700000001ull * 1000000000u);
	assert_true(memcmp(later, ts, WIRE_TS) > 0);
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
	/* overlapping slices, a port below 1024, a reversed range */
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
	/* a host with two slices (a busy host of a pool) */
	bad = e;
	strcpy(bad.slices[1].host, "h1");
	n = wire_egress_encode(buf, sizeof(buf), &bad);
	assert_int_equal(wire_egress_decode(buf, (size_t)n, &f), 0);
	/* resting slices (a host name of length 0), two of them: nobody's */
	struct ol_egress rest = e;
	rest.nslices = 3;
	rest.slices[0].host[0] = 0;
	rest.slices[2] = (struct ol_slice){ .first = 2048, .last = 4095 };
	n = wire_egress_encode(buf, sizeof(buf), &rest);
	assert_true(n > 0);
	assert_int_equal(wire_egress_decode(buf, (size_t)n, &f), 0);
	assert_true(egress_equal(&rest, &f));
	assert_null(egress_slice_of(&f, ""));
	assert_string_equal(egress_slice_of(&f, "h2")->host, "h2");
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

/* port sets: ranges, joined past the limit into a superset; kept and
 * live messages round trip, and refuse what the encoder never writes */
static void ports_and_kept(void **state)
{
	(void)state;
	static struct ol_ports s, t, u;
	uint16_t p[] = { 10005, 10001, 10002, 10003, 10001, 10010 };
	ports_from(&s, p, 6);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.r[0].first, 10001);
	assert_int_equal(s.r[0].last, 10003);
	assert_int_equal(ports_count(&s), 5);
	assert_true(ports_has(&s, 10010) && !ports_has(&s, 10004));
	char txt[64];
	ports_str(&s, txt, sizeof(txt));
	assert_string_equal(txt, "10001-10003,10005,10010");
	ports_within(&s, 10002, 10005, &t);
	assert_int_equal(t.n, 2);
	assert_int_equal(t.r[0].first, 10002);
	/* 2000 ports every third: more ranges than fit; a superset */
	static uint16_t many[2000];
	for (int i = 0; i < 2000; i++)
		many[i] = (uint16_t)(2000 + 3 * i);
	ports_from(&u, many, 2000);
	assert_true(u.n <= OL_RANGES_MAX && ports_valid(&u));
	for (int i = 0; i < 2000; i++)
		assert_true(ports_has(&u, (uint16_t)(2000 + 3 * i)));
	uint8_t buf[4096];
	struct ol_addr a, b;
	char host[OL_NAME_MAX];
	addr_parse("2001:db8:e::10", &a);
	int n = wire_kept_encode(buf, sizeof(buf), &a, "h1", &u);
	assert_true(n > 0 && n <= WIRE_BODY_MAX);
	assert_int_equal(wire_kept_decode(buf, (size_t)n, &b, host, &t), 0);
	assert_true(!addr_cmp(&a, &b) && !strcmp(host, "h1") && ports_equal(&t, &u));
	for (int i = 0; i < n; i++)
		assert_int_equal(wire_kept_decode(buf, (size_t)i, &b, host, &t), -EBADMSG);
	uint16_t used;
	n = wire_live_encode(buf, sizeof(buf), &a, 7, &s);
	assert_int_equal(wire_live_decode(buf, (size_t)n, &b, &used, &t), 0);
	assert_true(used == 7 && ports_equal(&t, &s));
	/* ranges out of order or touching are refused */
	buf[n - 4] = 0x27, buf[n - 3] = 0x11; /* the last range now starts at 10001 */
	assert_int_equal(wire_live_decode(buf, (size_t)n, &b, &used, &t), -EBADMSG);
	/* an empty set is a message too: nothing live */
	t.n = 0;
	n = wire_live_encode(buf, sizeof(buf), &a, 0, &t);
	assert_int_equal(wire_live_decode(buf, (size_t)n, &b, &used, &s), 0);
	assert_int_equal(s.n, 0);
}

/* the steering messages: what the encoder writes decodes to the same, and
 * the decoder refuses what no encoder writes */
static void steer_messages(void **state)
{
	(void)state;
	uint8_t b[WIRE_BODY_MAX];
	static struct steer_targets t, t2;
	t.interval_ms = 200;
	t.window_ms = 1000;
	t.n = 2;
	addr_parse("198.19.0.1", &t.a[0]);
	addr_parse("2001:db8:ff::1", &t.a[1]);
	int n = steer_targets_encode(b, sizeof(b), &t);
	assert_int_equal(n, 10 + 5 + 17);
	assert_int_equal(steer_targets_decode(b, (size_t)n, &t2), 0);
	assert_int_equal(t2.n, 2);
	assert_int_equal(addr_cmp(&t2.a[1], &t.a[1]), 0);
	assert_int_equal(steer_targets_decode(b, (size_t)n - 1, &t2), -EBADMSG);
	b[6] = 0, b[7] = 100; /* a window (100 ms) shorter than the interval */
	assert_int_equal(steer_targets_decode(b, (size_t)n, &t2), -EBADMSG);

	static struct steer_report r, r2;
	r.window = 1796667029;
	addr_parse("198.19.0.1", &r.target);
	snprintf(r.via, sizeof(r.via), "transit-a");
	r.n = 2;
	snprintf(r.m[0].provider, OL_NAME_MAX, "transit-a");
	r.m[0].sent = 5;
	r.m[0].ok = 4;
	r.m[0].rtt_sum_us = 280000;
	snprintf(r.m[1].provider, OL_NAME_MAX, "transit-b");
	r.m[1].sent = 5;
	r.m[1].ok = 5;
	n = steer_report_encode(b, sizeof(b), &r);
	assert_true(n > 0);
	assert_int_equal(steer_report_decode(b, (size_t)n, &r2), 0);
	assert_int_equal(r2.window, r.window);
	assert_string_equal(r2.via, "transit-a");
	assert_int_equal(r2.m[0].ok, 4);
	assert_int_equal(r2.m[0].rtt_sum_us, 280000);
	r.m[0].ok = 6; /* more answers than probes */
	n = steer_report_encode(b, sizeof(b), &r);
	assert_int_equal(steer_report_decode(b, (size_t)n, &r2), -EBADMSG);
	r.m[0].ok = 4;
	r.via[0] = 0; /* no route through a provider: allowed */
	n = steer_report_encode(b, sizeof(b), &r);
	assert_int_equal(steer_report_decode(b, (size_t)n, &r2), 0);
	assert_string_equal(r2.via, "");

	struct steer_override o = { .ttl_ms = 300000, .len = 24, .since = 1796667000, .rtt_from_us = 70000,
				    .rtt_to_us = 5000, .loss_from = 0, .loss_to = 0 }, o2;
	addr_parse("198.19.0.0", &o.prefix);
	snprintf(o.provider, sizeof(o.provider), "transit-b");
	snprintf(o.from, sizeof(o.from), "transit-a");
	n = steer_override_encode(b, sizeof(b), &o);
	assert_true(n > 0);
	assert_int_equal(steer_override_decode(b, (size_t)n, &o2), 0);
	assert_string_equal(o2.provider, "transit-b");
	assert_int_equal(o2.since, o.since);
	o.provider[0] = 0; /* withdrawn */
	n = steer_override_encode(b, sizeof(b), &o);
	assert_int_equal(steer_override_decode(b, (size_t)n, &o2), 0);
	assert_string_equal(o2.provider, "");
	o.len = 23; /* host bits set: 198.19.0.0/23 has none, /16 would... */
	addr_parse("198.19.1.0", &o.prefix);
	n = steer_override_encode(b, sizeof(b), &o);
	assert_int_equal(steer_override_decode(b, (size_t)n, &o2), -EBADMSG);
	o.len = 33; /* longer than the family */
	n = steer_override_encode(b, sizeof(b), &o);
	assert_int_equal(steer_override_decode(b, (size_t)n, &o2), -EBADMSG);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN); /* as the daemons: a closed peer is an error, not a signal */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(provider_round_trip),
		cmocka_unit_test(provider_rejects_bad_fields),
		cmocka_unit_test(switch_report),
		cmocka_unit_test(frame_header_limits),
		cmocka_unit_test(hs1_round_trip),
		cmocka_unit_test(name_round_trip),
		cmocka_unit_test(egress_round_trip),
		cmocka_unit_test(ports_and_kept),
		cmocka_unit_test(host_round_trip),
		cmocka_unit_test(records_round_trip),
		cmocka_unit_test(steer_messages),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
