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
	assert_int_equal(steer_script(buf, sizeof(buf), "eth0", own, "h1", &e, 1, peers, 2), 0);
	assert_null(strstr(buf, "dport 10000-19999")); /* our own slice stays here */
	assert_non_null(strstr(buf, "ip daddr 192.0.2.10 meta l4proto { tcp, udp } th dport 20000-29999 counter "
				    "ether saddr set 02:00:00:00:00:01 ether daddr set 02:00:00:00:00:02 fwd to \"eth0\""));
	assert_non_null(strstr(buf, "th dport 30000-39999 counter drop comment \"h3: MAC unknown\""));
	assert_non_null(strstr(buf, "type filter hook ingress device \"eth0\" priority -500"));
}

static void nothing_to_steer_removes(void **state)
{
	(void)state;
	struct ol_egress e = table();
	e.nslices = 1; /* only h1's */
	uint8_t own[6] = { 2, 0, 0, 0, 0, 1 };
	char buf[4096];
	assert_int_equal(steer_script(buf, sizeof(buf), "eth0", own, "h1", &e, 1, NULL, 0), 0);
	assert_string_equal(buf, "add table netdev onlink_steer\ndelete table netdev onlink_steer\n");
	assert_int_equal(steer_script(buf, 10, "eth0", own, "h1", &e, 1, NULL, 0), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(steers_others_only),
		cmocka_unit_test(nothing_to_steer_removes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
