/* A switch's liveness as the host sees it (host/live.c), and the uplink
 * steering table (host/upsteer.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include "base/addr.h"
#include "host/live.h"
#include "host/upsteer.h"

static const struct live_cfg multi = { .dead_after_ms = 500, .hold_down_ms = 2000, .probing = 1, .carrier_counts = 1 };

/* carrier lost: dead at once; back: held for the hold-down, then up; a
 * loss within the hold-down is a flap and starts it again */
static void carrier_and_hold_down(void **state)
{
	(void)state;
	struct live l;
	live_init(&l, 1000);
	assert_int_equal(live_step(&l, &multi, 1, 1000, NULL, 1100), 0);
	assert_int_equal(l.state, LIVE_UP);
	assert_int_equal(live_step(&l, &multi, 0, 1100, NULL, 1101), 1);
	assert_int_equal(l.state, LIVE_DEAD);
	assert_string_equal(l.why, "uplink carrier lost");
	assert_int_equal(l.deaths, 1);
	assert_int_equal(live_step(&l, &multi, 1, 1500, NULL, 1500), 1);
	assert_int_equal(l.state, LIVE_HELD);
	assert_int_equal(live_next_ms(&l, &multi, 1500), 3500);
	assert_int_equal(live_step(&l, &multi, 0, 1600, NULL, 1600), 1); /* flap */
	assert_int_equal(l.state, LIVE_DEAD);
	assert_int_equal(l.flaps, 1);
	assert_int_equal(l.deaths, 1);
	assert_int_equal(live_step(&l, &multi, 1, 1700, NULL, 1700), 1);
	assert_int_equal(live_step(&l, &multi, 1, 3600, NULL, 3650), 0);  /* 1950 ms in */
	assert_int_equal(l.state, LIVE_HELD);
	assert_int_equal(live_step(&l, &multi, 1, 3700, NULL, 3700), 1);
	assert_int_equal(l.state, LIVE_UP);
	assert_string_equal(l.why, "");
	/* the other switch's word: dead with carrier and echoes, until it
	 * takes it back (then the hold-down) */
	assert_int_equal(live_step(&l, &multi, 1, 3800, "swb", 3800), 1);
	assert_int_equal(l.state, LIVE_DEAD);
	assert_string_equal(l.why, "swb lost its peer link to it");
	assert_int_equal(live_step(&l, &multi, 1, 3900, NULL, 3900), 1);
	assert_int_equal(l.state, LIVE_HELD);
}

/* echoes: dead when none was answered for dead-after, even with carrier;
 * with one uplink the carrier is not evidence (nothing to move to) */
static void echoes(void **state)
{
	(void)state;
	struct live l;
	live_init(&l, 0);
	assert_int_equal(live_next_ms(&l, &multi, 1000), 1501);
	assert_int_equal(live_step(&l, &multi, 1, 1000, NULL, 1500), 0);
	assert_int_equal(live_step(&l, &multi, 1, 1000, NULL, 1501), 1);
	assert_string_equal(l.why, "no echo answered for 501 ms");
	struct live_cfg one = multi;
	one.carrier_counts = 0;
	live_init(&l, 0);
	assert_int_equal(live_step(&l, &one, 0, 100, NULL, 200), 0);
	assert_int_equal(l.state, LIVE_UP);
	/* no probes: only the carrier */
	struct live_cfg noprobe = multi;
	noprobe.probing = 0;
	assert_int_equal(live_step(&l, &noprobe, 1, 0, NULL, 100000), 0);
	assert_int_equal(live_next_ms(&l, &noprobe, 0), UINT64_MAX);
	/* a hold-down of 0: back at once */
	noprobe.hold_down_ms = 0;
	assert_int_equal(live_step(&l, &noprobe, 0, 0, NULL, 100001), 1);
	assert_int_equal(live_step(&l, &noprobe, 1, 0, NULL, 100002), 1);
	assert_int_equal(l.state, LIVE_UP);
}

static struct ol_provider prov(const char *name, uint8_t last)
{
	struct ol_provider p = { .table = 100u + last, .naddrs = 1 };
	snprintf(p.name, sizeof(p.name), "%s", name);
	uint8_t m[6] = { 2, 0, 0, 0, 1, last };
	memcpy(p.addrs[0].mac, m, 6);
	return p;
}

/* each switch's MACs to its uplink, with the uplink's MAC as source; a
 * MAC announced by two goes to the first present one; an absent uplink
 * gets nothing */
static void steering_script(void **state)
{
	(void)state;
	struct ol_provider a[] = { prov("a", 1), prov("c", 3) }, b[] = { prov("b", 2), prov("c", 3) };
	struct provset pa = { .v = a, .n = 2 }, pb = { .v = b, .n = 2 };
	struct upsteer_link l[2] = {
		{ .ifname = "eth0", .mac = { 2, 0, 0, 0, 0xa, 0xa }, .present = 1, .provs = &pa },
		{ .ifname = "eth1", .mac = { 2, 0, 0, 0, 0xb, 0xb }, .present = 1, .provs = &pb },
	};
	char buf[4096];
	assert_int_equal(upsteer_script(buf, sizeof(buf), "onlink0", l, 2), 0);
	assert_non_null(strstr(buf, "type filter hook egress device \"onlink0\" priority 0; policy drop;"));
	assert_non_null(strstr(buf, "ether daddr { 02:00:00:00:01:01, 02:00:00:00:01:03 } counter ether saddr set "
				    "02:00:00:00:0a:0a fwd to \"eth0\"\n"));
	assert_non_null(strstr(buf, "ether daddr { 02:00:00:00:01:02 } counter ether saddr set 02:00:00:00:0b:0b fwd to \"eth1\"\n"));
	l[0].present = 0;
	assert_int_equal(upsteer_script(buf, sizeof(buf), "onlink0", l, 2), 0);
	assert_null(strstr(buf, "eth0"));
	assert_non_null(strstr(buf, "ether daddr { 02:00:00:00:01:02, 02:00:00:00:01:03 } counter")); /* c: eth1's too */
	assert_int_equal(upsteer_script(buf, 100, "onlink0", l, 2), -ENOSPC);
}

/* the echo's checksum: RFC 1071's own example, and an odd length */
static void checksum(void **state)
{
	(void)state;
	const uint8_t rfc[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	assert_int_equal(inet_csum(rfc, sizeof(rfc), 0), 0x220d);
	const uint8_t odd[] = { 0x01 };
	assert_int_equal(inet_csum(odd, 1, 0), 0xfeff);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(carrier_and_hold_down),
		cmocka_unit_test(echoes),
		cmocka_unit_test(steering_script),
		cmocka_unit_test(checksum),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
