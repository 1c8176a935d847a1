/* The steering script: other hosts' slices only, MACs rewritten, unknown
 * MACs dropped, nothing to steer means only removal. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include "host/steer.h"

static struct ol_egress table(void)
{
	struct ol_egress e = { .nslices = 3 };
	addr_parse("192.0.2.10", &e.addr);
	const char *h[3] = { "h1", "h2", "h3" };
	for (int i = 0; i < 3; i++) {
		strcpy(e.slices[i].host, h[i]);
		e.slices[i].first = (uint16_t)((i + 1) * 10000);
		e.slices[i].last = (uint16_t)((i + 1) * 10000 + 9999);
	}
	return e;
}

static void steers_others_only(void **state)
{
	(void)state;
	struct ol_egress e = table();
	struct steer_peer peers[2] = { { .name = "h2", .mac = { 2, 0, 0, 0, 0, 2 }, .has_mac = 1 },
				       { .name = "h3" } };
	uint8_t own[6] = { 2, 0, 0, 0, 0, 1 };
	char buf[65536];
	assert_int_equal(steer_script(buf, sizeof(buf), "eth0", own, "h1", &e, 1, NULL, 0, peers, 2), 0);
	assert_null(strstr(buf, "dport 10000-19999")); /* our own slice stays here */
	assert_non_null(strstr(buf, "ip daddr 192.0.2.10 meta l4proto { tcp, udp } th dport 20000-29999 counter "
				    "ether saddr set 02:00:00:00:00:01 ether daddr set 02:00:00:00:00:02 fwd to \"eth0\""));
	assert_non_null(strstr(buf, "th dport 30000-39999 counter drop comment \"h3: MAC unknown\""));
	assert_non_null(strstr(buf, "type filter hook ingress device \"eth0\" priority -500"));
	/* ICMP errors go by the quoted packet's source port: ours stay, the
	 * others' go to their owner, an unknown owner's are dropped, counted */
	assert_non_null(strstr(buf, "icmp type destination-unreachable jump icmp4\n"));
	assert_non_null(strstr(buf, "ip daddr 192.0.2.10 @th,224,16 10000-19999 counter name icmp_own accept\n"));
	assert_non_null(strstr(buf, "ip daddr 192.0.2.10 @th,224,16 20000-29999 counter name icmp_steered "
				    "ether saddr set 02:00:00:00:00:01 ether daddr set 02:00:00:00:00:02 fwd to \"eth0\""));
	assert_non_null(strstr(buf, "@th,224,16 30000-39999 counter name icmp_dropped drop"));
	/* rate-limited per source before any of them, then per interface */
	char *lim = strstr(buf, "update @icmp_src4 { ip saddr limit rate over 100/second");
	assert_non_null(lim);
	assert_true(lim < strstr(buf, "counter name icmp_own"));
	assert_true(strstr(buf, "limit name \"icmp_iface\"") < strstr(buf, "counter name icmp_own"));
	/* no IPv6 address shared: its chain only returns */
	assert_non_null(strstr(buf, "chain icmp6 {\n\t\t@th,112,8 != { 6, 17 } return\n\t\treturn\n\t}"));
}

static void resting_slices_dropped(void **state)
{
	(void)state;
	struct ol_egress e = table();
	e.slices[2].host[0] = 0; /* h3 died: its slice rests */
	uint8_t own[6] = { 2, 0, 0, 0, 0, 1 };
	char buf[65536];
	assert_int_equal(steer_script(buf, sizeof(buf), "eth0", own, "h1", &e, 1, NULL, 0, NULL, 0), 0);
	assert_non_null(strstr(buf, "th dport 30000-39999 counter name resting drop"));
	assert_non_null(strstr(buf, "@th,224,16 30000-39999 counter name icmp_dropped drop"));
	/* a resting slice alone is reason enough for the table */
	e.nslices = 1;
	e.slices[0].host[0] = 0;
	assert_int_equal(steer_script(buf, sizeof(buf), "eth0", own, "h1", &e, 1, NULL, 0, NULL, 0), 0);
	assert_non_null(strstr(buf, "counter name resting drop"));
}

static void nothing_to_steer_removes(void **state)
{
	(void)state;
	struct ol_egress e = table();
	e.nslices = 1; /* only h1's */
	uint8_t own[6] = { 2, 0, 0, 0, 0, 1 };
	char buf[4096];
	assert_int_equal(steer_script(buf, sizeof(buf), "eth0", own, "h1", &e, 1, NULL, 0, NULL, 0), 0);
	assert_string_equal(buf, "add table netdev onlink_steer\ndelete table netdev onlink_steer\n");
	assert_int_equal(steer_script(buf, 10, "eth0", own, "h1", &e, 1, NULL, 0, NULL, 0), -ENOSPC);
}

/* a move: h1's old slice now h2's, h1's live ports kept for it; h3's old
 * ports kept for h3 inside h1's slice */
static void kept_ports_first(void **state)
{
	(void)state;
	struct ol_egress e = table();
	struct steer_peer peers[2] = { { .name = "h2", .mac = { 2, 0, 0, 0, 0, 2 }, .has_mac = 1 },
				       { .name = "h3", .mac = { 2, 0, 0, 0, 0, 3 }, .has_mac = 1 } };
	static struct ol_kept k[2];
	k[0].addr = e.addr;
	strcpy(k[0].host, "h1");
	k[0].ports.n = 2;
	k[0].ports.r[0].first = 20001, k[0].ports.r[0].last = 20001;
	k[0].ports.r[1].first = 20005, k[0].ports.r[1].last = 20009;
	k[1] = k[0];
	strcpy(k[1].host, "h3");
	k[1].ports.n = 1;
	k[1].ports.r[0].first = 10003, k[1].ports.r[0].last = 10003;
	uint8_t own[6] = { 2, 0, 0, 0, 0, 1 };
	static char buf[65536];
	assert_int_equal(steer_script(buf, sizeof(buf), "eth0", own, "h1", &e, 1, k, 2, peers, 2), 0);
	const char *mine = strstr(buf, "ip daddr 192.0.2.10 meta l4proto { tcp, udp } th dport { 20001, 20005-20009 } counter accept");
	const char *h2 = strstr(buf, "th dport 20000-29999 counter ether saddr set");
	assert_non_null(mine);
	assert_non_null(h2);
	assert_true(mine < h2); /* before the new owner's rule */
	assert_non_null(strstr(buf, "th dport { 10003 } counter ether saddr set 02:00:00:00:00:01 ether daddr set "
				    "02:00:00:00:00:03 fwd to \"eth0\" comment \"h3: kept\""));
	assert_non_null(strstr(buf, "ip daddr 192.0.2.10 @th,224,16 { 20001, 20005-20009 } counter name icmp_own accept"));
	/* ports kept alone are reason enough for the table */
	e.nslices = 1;
	assert_int_equal(steer_script(buf, sizeof(buf), "eth0", own, "h1", &e, 1, k, 1, NULL, 0), 0);
	assert_non_null(strstr(buf, "comment \"kept\""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(steers_others_only),
		cmocka_unit_test(nothing_to_steer_removes),
		cmocka_unit_test(resting_slices_dropped),
		cmocka_unit_test(kept_ports_first),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
