/* The traffic counters' nft script: a counter and map elements per
 * provider address, names as nft takes them (it refused quoted object
 * names once), checked by libnftables without being applied, in a network
 * namespace of the test's own. And a table's fingerprint (kernel/nft.h):
 * recorded by the script, found by a new agent, which then adopts the
 * table instead of writing it again. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <sched.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
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

static void provs(struct ol_provider *p, const char *addr)
{
	memset(p, 0, sizeof(*p));
	strcpy(p->name, "transit-a");
	addr_parse(addr, &p->addrs[0].addr);
	p->naddrs = 1;
}

static void fingerprint(void **state)
{
	(void)state;
	struct ol_provider p;
	struct provset ps = { .v = &p, .n = 1 };
	char a[4096], b[4096], t[64], fa[NFT_FP_HEX], fb[NFT_FP_HEX], want[160], err[512];
	provs(&p, "10.0.1.1");
	assert_int_equal(traffic_script(a, sizeof(a), &ps), 0);
	provs(&p, "10.0.1.2");
	assert_int_equal(traffic_script(b, sizeof(b), &ps), 0);
	assert_int_equal(nft_script_table(a, t, sizeof(t)), 0);
	assert_string_equal(t, "inet onlink_traffic");
	assert_int_equal(nft_script_table("flush ruleset\n", t, sizeof(t)), -1);
	nft_fingerprint(a, fa);
	nft_fingerprint(b, fb);
	assert_int_equal(strlen(fa), 32);
	assert_string_not_equal(fa, fb);
	/* the script, then the set that records its fingerprint */
	char *fp = nft_script_fingerprinted(a);
	assert_non_null(fp);
	assert_memory_equal(fp, a, strlen(a));
	snprintf(want, sizeof(want), "add element inet onlink_traffic " NFT_FP_SET " { 1 comment \"%s\" }\n", fa);
	assert_non_null(strstr(fp, want));
	/* a script that wants its table gone records nothing */
	const char *gone = "add table netdev onlink_steer\ndelete table netdev onlink_steer\n";
	char *g = nft_script_fingerprinted(gone);
	assert_string_equal(g, gone);
	free(g);
	if (geteuid() != 0 || unshare(CLONE_NEWNET)) {
		free(fp);
		skip();
	}
	/* in a network namespace of its own: the kernel's table */
	assert_int_equal(nft_fingerprint_holds(a), 0); /* no table yet */
	assert_int_equal(nft_fingerprint_holds(gone), 1); /* absent, as wanted */
	if (nft_run(fp, err, sizeof(err)))
		fail_msg("nft refuses the fingerprinted script: %s", err);
	assert_int_equal(nft_fingerprint_holds(a), 1);
	assert_int_equal(nft_fingerprint_holds(b), 0); /* another provider address */
	/* b applied over a: its own fingerprint replaces a's */
	char *fpb = nft_script_fingerprinted(b);
	if (nft_run(fpb, err, sizeof(err)))
		fail_msg("nft refuses the second script: %s", err);
	assert_int_equal(nft_fingerprint_holds(b), 1);
	assert_int_equal(nft_fingerprint_holds(a), 0);
	free(fpb);
	free(fp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(script),
		cmocka_unit_test(fingerprint),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
