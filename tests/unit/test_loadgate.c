/* The switch agent's load gate (switch/loadgate.c): when it is under
 * load, for how long, and each address's share of handshakes then. Time
 * is given, not read: deterministic. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "switch/loadgate.h"

static struct loadgate *g;

static int setup(void **state)
{
	(void)state;
	g = malloc(sizeof(*g));
	loadgate_init(g);
	return g ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(g);
	return 0;
}

static struct ol_addr a4(unsigned i)
{
	struct ol_addr a = { .family = AF_INET, .bytes = { 10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i } };
	return a;
}

/* 64 connections not yet authenticated, or 400 first messages in the last second, bring it
 * under load; it stays so for a second after either last held */
static void when_under_load(void **state)
{
	(void)state;
	uint64_t t = 100000;
	assert_false(loadgate_under_load(g, t, LOADGATE_UNAUTH - 1));
	assert_true(loadgate_under_load(g, t, LOADGATE_UNAUTH));
	assert_int_equal(g->episodes, 1);
	assert_true(loadgate_under_load(g, t + LOADGATE_HOLD_MS - 1, 0));
	assert_false(loadgate_under_load(g, t + LOADGATE_HOLD_MS, 0));
	/* first messages: 399 in a second is not load, the 400th is */
	t += 10000;
	for (int i = 0; i < LOADGATE_FIRST - 1; i++)
		loadgate_first(g, t + (uint64_t)i);
	assert_false(loadgate_under_load(g, t + 500, 0));
	loadgate_first(g, t + 600);
	assert_true(loadgate_under_load(g, t + 600, 0));
	assert_int_equal(g->episodes, 2);
	/* a window later, half of that second still counts: not under
	 * load again before its hold ends, and well after, quiet */
	assert_true(loadgate_under_load(g, t + 1200, 0));
	assert_false(loadgate_under_load(g, t + 5000, 0));
	/* a steady 300 a second never is */
	t += 20000;
	for (int s = 0; s < 5; s++)
		for (int i = 0; i < 300; i++) {
			loadgate_first(g, t + (uint64_t)s * 1000 + (uint64_t)i * 3);
			assert_false(loadgate_under_load(g, t + (uint64_t)s * 1000 + (uint64_t)i * 3, 0));
		}
}

/* five at once, then twenty a second, per address; another address has
 * its own share */
static void per_address_share(void **state)
{
	(void)state;
	uint64_t t = 50000;
	struct ol_addr a = a4(1), b = a4(2);
	for (int i = 0; i < LOADGATE_BURST; i++)
		assert_int_equal(loadgate_take(g, t, &a), 0);
	assert_int_equal(loadgate_take(g, t, &a), -1);
	assert_int_equal(loadgate_take(g, t + 49, &a), -1);
	assert_int_equal(loadgate_take(g, t + 50, &a), 0); /* 1000 / 20 ms later, one more */
	assert_int_equal(loadgate_take(g, t + 50, &a), -1);
	for (int i = 0; i < LOADGATE_BURST; i++)
		assert_int_equal(loadgate_take(g, t, &b), 0);
	/* over ten seconds at full tilt: 5 + 20 a second */
	unsigned ok = 0;
	struct ol_addr c = a4(3);
	for (uint64_t ms = 0; ms < 10000; ms++)
		ok += loadgate_take(g, t + ms, &c) == 0;
	assert_in_range(ok, 200, 205);
	/* an address idle for a quarter of a second has its burst again */
	for (int i = 0; i < LOADGATE_BURST; i++)
		assert_int_equal(loadgate_take(g, t + 10250, &c), 0);
	/* IPv6 and IPv4 of the same bytes are two addresses */
	struct ol_addr v6 = a;
	v6.family = AF_INET6;
	assert_int_equal(loadgate_take(g, t + 50, &v6), 0);
}

/* the table is bounded: thousands of busy addresses fill it, and a new
 * one whose set is busy waits; once they are idle, it gets in */
static void bounded_table(void **state)
{
	(void)state;
	uint64_t t = 70000;
	unsigned refused = 0;
	for (unsigned i = 0; i < 4 * LOADGATE_SLOTS; i++) {
		struct ol_addr a = a4(1000 + i);
		refused += loadgate_take(g, t, &a) != 0;
	}
	/* at most the table's worth got a share; the rest waited */
	assert_true(refused >= 3 * LOADGATE_SLOTS);
	assert_true(refused < 4 * LOADGATE_SLOTS);
	struct ol_addr n = a4(999999);
	assert_int_equal(loadgate_take(g, t + 1000, &n), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(when_under_load, setup, teardown),
		cmocka_unit_test_setup_teardown(per_address_share, setup, teardown),
		cmocka_unit_test_setup_teardown(bounded_table, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
