/* The pairs the egress proxy's own TCP ports hold (egress/portset.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include "egress/portset.h"

static struct sockaddr_storage dst(const char *a, uint16_t port)
{
	struct sockaddr_storage ss = { 0 };
	if (strchr(a, ':')) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;
		s->sin6_family = AF_INET6;
		s->sin6_port = htons(port);
		assert_int_equal(inet_pton(AF_INET6, a, &s->sin6_addr), 1);
	} else {
		struct sockaddr_in *s = (struct sockaddr_in *)&ss;
		s->sin_family = AF_INET;
		s->sin_port = htons(port);
		assert_int_equal(inet_pton(AF_INET, a, &s->sin_addr), 1);
	}
	return ss;
}

#define SA(x) ((const struct sockaddr *)&(x))

/* A pair is its destination's address and port and the source port: the
 * same source port towards another destination is another pair. */
static void pairs(void **state)
{
	(void)state;
	struct portset *s;
	assert_int_equal(portset_new(&s), 0);
	struct sockaddr_storage a = dst("203.0.113.1", 443), b = dst("203.0.113.1", 80), c = dst("203.0.113.2", 443),
				d = dst("2001:db8:ff::1", 443);
	assert_int_equal(portset_add(s, SA(a), 10000), 0);
	assert_true(portset_has(s, SA(a), 10000));
	assert_false(portset_has(s, SA(a), 10001));
	assert_false(portset_has(s, SA(b), 10000));
	assert_false(portset_has(s, SA(c), 10000));
	assert_false(portset_has(s, SA(d), 10000));
	assert_int_equal(portset_add(s, SA(a), 10000), 0); /* again: one pair */
	assert_int_equal(portset_size(s), 1);
	portset_del(s, SA(b), 10000); /* not there: nothing */
	assert_int_equal(portset_size(s), 1);
	portset_del(s, SA(a), 10000);
	assert_false(portset_has(s, SA(a), 10000));
	assert_int_equal(portset_size(s), 0);
	portset_free(s);
}

/* Many pairs, across growth of the table, all found, all gone after. */
static void many(void **state)
{
	(void)state;
	struct portset *s;
	assert_int_equal(portset_new(&s), 0);
	char a[32];
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 20000; i++) {
			snprintf(a, sizeof(a), "198.51.%d.%d", (i >> 8) & 255, i & 255);
			struct sockaddr_storage x = dst(a, 443);
			assert_int_equal(portset_add(s, SA(x), (uint16_t)(10000 + i % 2000)), 0);
		}
		assert_int_equal(portset_size(s), 20000);
		for (int i = 0; i < 20000; i++) {
			snprintf(a, sizeof(a), "198.51.%d.%d", (i >> 8) & 255, i & 255);
			struct sockaddr_storage x = dst(a, 443);
			assert_true(portset_has(s, SA(x), (uint16_t)(10000 + i % 2000)));
			portset_del(s, SA(x), (uint16_t)(10000 + i % 2000));
		}
		assert_int_equal(portset_size(s), 0);
	}
	portset_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pairs),
		cmocka_unit_test(many),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
