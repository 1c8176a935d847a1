/* The traffic counters' nft script: a counter and map elements per
 * provider address, names as nft takes them (it refused quoted object
 * names once), checked by libnftables without being applied, in a network
 * namespace of the test's own. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <sched.h>
#include <stdio.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "host/traffic.h"
#include "kernel/nft.h"

static void script(void **state)
{
	(void)state;
	struct ol_provider p[2];
	memset(p, 0, sizeof(p));
	strcpy(p[0].name, "transit-a");
	addr_parse("10.0.1.1", &p[0].addrs[0].addr);
	addr_parse("2001:db8:1::1", &p[0].addrs[1].addr);
	p[0].naddrs = 2;
	strcpy(p[1].name, "ix.b_2");
	addr_parse("10.0.2.1", &p[1].addrs[0].addr);
	p[1].naddrs = 1;
	struct provset ps = { .v = p, .n = 2 };
	char buf[8192], small[64], err[512];
	assert_int_equal(traffic_script(buf, sizeof(buf), &ps), 0);
	assert_non_null(strstr(buf, "add counter inet onlink_traffic tx_transit-a\n"));
	assert_non_null(strstr(buf, "add element inet onlink_traffic nh6 { 2001:db8:1::1 : \"tx_transit-a\" }\n"));
	assert_non_null(strstr(buf, "add element inet onlink_traffic nh4 { 10.0.2.1 : \"tx_ix.b_2\" }\n"));
	assert_int_equal(traffic_script(small, sizeof(small), &ps), -ENOSPC);
	if (geteuid() != 0 || unshare(CLONE_NEWNET)) {
		skip();
	}
	if (nft_check(buf, err, sizeof(err)))
		fail_msg("nft refuses the script: %s\n%s", err, buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(script),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
