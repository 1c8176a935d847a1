/* The egress proxy's per-client admission (egress/clients.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include "egress/clients.h"

static struct sockaddr_storage v4(const char *a, uint16_t port)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *s = (struct sockaddr_in *)&ss;
	s->sin_family = AF_INET;
	s->sin_port = htons(port);
	assert_int_equal(inet_pton(AF_INET, a, &s->sin_addr), 1);
	return ss;
}

static struct sockaddr_storage v6(const char *a, uint16_t port)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;
	s->sin6_family = AF_INET6;
	s->sin6_port = htons(port);
	assert_int_equal(inet_pton(AF_INET6, a, &s->sin6_addr), 1);
	return ss;
}

#define SA(x) ((const struct sockaddr *)&(x))

/* One client fills its limit from many ports: refused beyond it; another
 * client is not affected; a flow's end makes room again. */
static void limit_per_address(void **state)
{
	(void)state;
	struct clients *t;
	assert_int_equal(clients_new(&t, 3, 1000), 0);
	for (uint16_t p = 1; p <= 3; p++) {
		struct sockaddr_storage a = v4("100.64.1.2", p);
		assert_int_equal(clients_admit(t, SA(a), 0), CLIENT_OK);
	}
	struct sockaddr_storage a4 = v4("100.64.1.2", 4), b = v4("100.64.1.3", 1);
	assert_int_equal(clients_admit(t, SA(a4), 0), CLIENT_OVER_LIMIT);
	assert_int_equal(clients_admit(t, SA(b), 0), CLIENT_OK);
	assert_int_equal(clients_of(t, SA(a4)), 3);
	assert_int_equal(clients_active(t), 2);
	assert_int_equal(clients_flows(t), 4);
	assert_int_equal(clients_refused(t, CLIENT_OVER_LIMIT), 1);
	clients_release(t, SA(a4)); /* any port of the address */
	assert_int_equal(clients_admit(t, SA(a4), 0), CLIENT_OK);
	/* a reload lowers the limit: what it holds stays, nothing new */
	clients_set_limit(t, 2);
	assert_int_equal(clients_of(t, SA(a4)), 3);
	assert_int_equal(clients_admit(t, SA(a4), 0), CLIENT_OVER_LIMIT);
	/* IPv4 and IPv6 addresses are different clients */
	struct sockaddr_storage c = v6("fd64:1::2", 9);
	assert_int_equal(clients_admit(t, SA(c), 0), CLIENT_OK);
	clients_free(t);
}

/* In a tight slice the clients holding the most are refused first; one
 * holding less than the average still gets in. */
static void tight_slice_refuses_the_heaviest(void **state)
{
	(void)state;
	struct clients *t;
	assert_int_equal(clients_new(&t, 1000, 100000), 0);
	struct sockaddr_storage heavy = v4("100.64.1.2", 1), light = v4("100.64.1.3", 1), fresh = v4("100.64.1.4", 1);
	for (int i = 0; i < 90; i++)
		assert_int_equal(clients_admit(t, SA(heavy), 0), CLIENT_OK);
	for (int i = 0; i < 5; i++)
		assert_int_equal(clients_admit(t, SA(light), 0), CLIENT_OK);
	assert_int_equal(clients_admit(t, SA(heavy), 1), CLIENT_HEAVY);
	assert_int_equal(clients_admit(t, SA(light), 1), CLIENT_OK);
	assert_int_equal(clients_admit(t, SA(fresh), 1), CLIENT_OK); /* holds none */
	assert_int_equal(clients_refused(t, CLIENT_HEAVY), 1);
	/* not tight: the heavy one is only bound by its limit */
	assert_int_equal(clients_admit(t, SA(heavy), 0), CLIENT_OK);
	/* a lone client is refused in a tight slice: the rest is kept for others */
	struct clients *u;
	assert_int_equal(clients_new(&u, 1000, 100000), 0);
	assert_int_equal(clients_admit(u, SA(heavy), 1), CLIENT_OK);
	assert_int_equal(clients_admit(u, SA(heavy), 1), CLIENT_HEAVY);
	clients_free(u);
	clients_free(t);
}

/* The descriptors bound everyone (two per flow, two per pipe); the table
 * never holds an address without a flow, through many rounds and a growth
 * of buckets. */
static void bounded(void **state)
{
	(void)state;
	struct clients *t;
	assert_int_equal(clients_new(&t, 10, 10001), 0);
	char a[32];
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 5000; i++) {
			snprintf(a, sizeof(a), "10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
			struct sockaddr_storage s = v4(a, 1);
			assert_int_equal(clients_admit(t, SA(s), 0), CLIENT_OK);
		}
		struct sockaddr_storage x = v4("100.64.9.9", 1);
		assert_int_equal(clients_admit(t, SA(x), 0), CLIENT_NO_ROOM); /* 10000 taken, 1 left */
		assert_int_equal(clients_active(t), 5000);
		assert_int_equal(clients_fds(t), 10000);
		assert_int_equal(clients_fds_take(t, 2), -1);
		assert_int_equal(clients_fds_take(t, 1), 0);
		clients_fds_give(t, 1);
		struct client_count top[3];
		assert_int_equal(clients_top(t, top, 3), 3);
		assert_int_equal(top[0].flows, 1);
		for (int i = 0; i < 5000; i++) {
			snprintf(a, sizeof(a), "10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
			struct sockaddr_storage s = v4(a, 2);
			clients_release(t, SA(s));
		}
		assert_int_equal(clients_active(t), 0);
		assert_int_equal(clients_flows(t), 0);
		assert_int_equal(clients_fds(t), 0);
	}
	assert_int_equal(clients_refused(t, CLIENT_NO_ROOM), 6);
	struct sockaddr_storage none = v4("192.0.2.1", 1);
	clients_release(t, SA(none)); /* unknown: nothing happens */
	assert_int_equal(clients_flows(t), 0);
	clients_free(t);
}

static void top_is_sorted(void **state)
{
	(void)state;
	struct clients *t;
	assert_int_equal(clients_new(&t, 100, 1000), 0);
	const char *addrs[] = { "100.64.0.1", "100.64.0.2", "100.64.0.3", "100.64.0.4", "100.64.0.5" };
	const int flows[] = { 3, 9, 1, 7, 5 };
	for (int i = 0; i < 5; i++)
		for (int k = 0; k < flows[i]; k++) {
			struct sockaddr_storage s = v4(addrs[i], (uint16_t)k);
			assert_int_equal(clients_admit(t, SA(s), 0), CLIENT_OK);
		}
	struct client_count top[3];
	assert_int_equal(clients_top(t, top, 3), 3);
	assert_int_equal(top[0].flows, 9);
	assert_int_equal(top[1].flows, 7);
	assert_int_equal(top[2].flows, 5);
	char buf[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &((struct sockaddr_in *)&top[0].addr)->sin_addr, buf, sizeof(buf));
	assert_string_equal(buf, "100.64.0.2");
	assert_string_equal(client_verdict_str(CLIENT_OVER_LIMIT), "client-flows");
	clients_free(t);
	/* no table (the benchmark's baseline): everything admitted, nothing counted */
	struct sockaddr_storage s = v4(addrs[0], 1);
	assert_int_equal(clients_admit(NULL, SA(s), 1), CLIENT_OK);
	assert_int_equal(clients_fds_take(NULL, 1000000), 0);
	clients_release(NULL, SA(s));
	assert_int_equal(clients_flows(NULL) + clients_active(NULL) + clients_top(NULL, top, 3), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(limit_per_address),
		cmocka_unit_test(tight_slice_refuses_the_heaviest),
		cmocka_unit_test(bounded),
		cmocka_unit_test(top_is_sorted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
