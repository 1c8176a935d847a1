/* The kernel's answer to RTM_GETROUTE, parsed: a multipath route with its
 * prefix, table and next hops; a single next hop; what is cut or not a
 * route refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "kernel/route.h"

/* RTM_NEWROUTE 203.0.113.0/24, table 254, protocol bird (12), via
 * 10.0.1.1 and 10.0.2.1 on ifindex 2 (as tests/fuzz/corpus/api has it) */
static const char multipath_hex[] =
	"5000000018000000010000000000000002180000fe0c00010000000008000f00fe00000008000100cb007100240009001000000002"
	"000000080005000a0001011000000002000000080005000a000201";

static size_t unhex(const char *h, uint8_t *out)
{
	size_t n = 0;
	for (; h[0] && h[1]; h += 2) {
		unsigned v;
		sscanf(h, "%2x", &v);
		out[n++] = (uint8_t)v;
	}
	return n;
}

static void multipath(void **state)
{
	(void)state;
	uint8_t m[256];
	size_t n = unhex(multipath_hex, m);
	struct route_info r;
	char s[ADDR_STRLEN];
	assert_int_equal(route_parse(m, n, &r), 0);
	assert_int_equal(r.dst_len, 24);
	assert_string_equal(addr_str(&r.dst, s, sizeof(s)), "203.0.113.0");
	assert_int_equal(r.table, 254);
	assert_int_equal(r.protocol, 12);
	assert_int_equal(r.nhops, 2);
	assert_string_equal(addr_str(&r.hops[0].gw, s, sizeof(s)), "10.0.1.1");
	assert_string_equal(addr_str(&r.hops[1].gw, s, sizeof(s)), "10.0.2.1");
	assert_int_equal(r.hops[1].oif, 2);
	/* every cut is refused, never read past */
	for (size_t k = 0; k < n; k++)
		if (!route_parse(m, k, &r))
			assert_true(r.nhops <= 2);
	/* not a route */
	m[4] = 16; /* RTM_NEWLINK */
	assert_int_equal(route_parse(m, n, &r), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(multipath),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
