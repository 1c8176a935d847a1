/* Moved slices (switch/moves.c): a range a living host gives up keeps the
 * ports its flows hold; they only go (ended, deadline, death); the state
 * file keeps them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "switch/moves.h"

static int dead_h2;
static int alive(void *arg, const char *host)
{
	(void)arg;
	return !(dead_h2 && !strcmp(host, "h2"));
}

static struct ol_egress table(const char *a, const char *b)
{
	struct ol_egress e = { .nslices = 2 };
	addr_parse("192.0.2.10", &e.addr);
	strcpy(e.slices[0].host, a);
	e.slices[0].first = 10000, e.slices[0].last = 19999;
	strcpy(e.slices[1].host, b);
	e.slices[1].first = 20000, e.slices[1].last = 29999;
	return e;
}

static void report(struct lives *L, const char *host, uint16_t *p, size_t n)
{
	static struct ol_ports s;
	struct ol_addr a;
	addr_parse("192.0.2.10", &a);
	ports_from(&s, p, n);
	assert_true(lives_put(L, host, &a, (uint16_t)n, &s) >= 0);
}

static void swap_keeps_live_ports(void **state)
{
	(void)state;
	struct ol_egress before = table("h1", "h2"), after = table("h2", "h1");
	struct lives L = { 0 };
	struct moves M = { 0 };
	uint16_t p1[] = { 10001, 10005, 10006, 10007, 10008, 10009 };
	report(&L, "h1", p1, 6);
	dead_h2 = 0;
	/* h1 had a report, h2 none (no flows): one move */
	assert_int_equal(moves_detect(&M, &before, 1, &after, 1, &L, alive, NULL, 1000, 600000), 1);
	assert_string_equal(M.v[0].host, "h1");
	assert_int_equal(ports_count(&M.v[0].ports), 6);
	static struct ol_ports k;
	moves_kept(&M, &before.addr, "h1", &k);
	assert_int_equal(k.n, 2);
	/* the next report: 10005-10009 ended, and a port of its new slice
	 * (20003) and one it never kept (10011) add nothing */
	uint16_t p2[] = { 10001, 10011, 20003 };
	report(&L, "h1", p2, 3);
	assert_int_equal(moves_update(&M, &L, alive, NULL, 2000), 1);
	assert_int_equal(ports_count(&M.v[0].ports), 1);
	assert_int_equal(M.v[0].ports.r[0].first, 10001);
	/* a report unchanged changes nothing */
	assert_int_equal(moves_update(&M, &L, alive, NULL, 3000), 0);
	/* the state file keeps it */
	json_t *j = moves_to_json(&M);
	struct moves back = { 0 };
	unsigned bad;
	assert_int_equal(moves_from_json(&back, j, &bad), 0);
	assert_int_equal(bad, 0);
	assert_int_equal(back.n, 1);
	assert_memory_equal(&back.v[0], &M.v[0], sizeof(M.v[0]));
	json_decref(j);
	moves_free(&back);
	/* its flows end: the move ends */
	report(&L, "h1", p2 + 2, 1);
	assert_true(moves_update(&M, &L, alive, NULL, 4000) > 0);
	assert_int_equal(M.n, 0);
	assert_int_equal(M.ended, 1);
	moves_free(&M);
	lives_free(&L);
}

static void deadline_and_death(void **state)
{
	(void)state;
	struct ol_egress before = table("h1", "h2"), after = table("h2", "h1");
	struct lives L = { 0 };
	struct moves M = { 0 };
	uint16_t p1[] = { 10001 }, p2[] = { 20002 };
	report(&L, "h1", p1, 1);
	report(&L, "h2", p2, 1);
	dead_h2 = 0;
	assert_int_equal(moves_detect(&M, &before, 1, &after, 1, &L, alive, NULL, 1000, 5000), 2);
	/* h2 dies: its move ends; h1's at its deadline */
	dead_h2 = 1;
	assert_int_equal(moves_update(&M, &L, alive, NULL, 2000), 1);
	assert_int_equal(M.n, 1);
	assert_int_equal(moves_update(&M, &L, alive, NULL, 5999), 0);
	assert_int_equal(moves_update(&M, &L, alive, NULL, 6000), 1);
	assert_int_equal(M.n, 0);
	assert_int_equal(M.expired, 2);
	/* a dead host's slice moving keeps nothing; nor does one with no report */
	assert_int_equal(moves_detect(&M, &after, 1, &before, 1, &L, alive, NULL, 7000, 5000), 0);
	/* the same table: nothing moved */
	dead_h2 = 0;
	assert_int_equal(moves_detect(&M, &before, 1, &before, 1, &L, alive, NULL, 7000, 5000), 0);
	moves_free(&M);
	lives_free(&L);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(swap_keeps_live_ports),
		cmocka_unit_test(deadline_and_death),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
