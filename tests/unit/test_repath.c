/* Protective repath's choices: which providers a stalled connection may go
 * to (repath_select), and where each connection goes (rp_pick, the same
 * function the BPF program runs). */
#include "host/repathsel.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

static struct rp_provider prov(const char *name, uint32_t table, int live, int h4, int h6)
{
	return (struct rp_provider){ .name = name, .table = table, .live = live, .has = { 1, 1 },
				     .health = { h4, h6 } };
}

static void select_candidates(void **state)
{
	(void)state;
	struct rp_provider v[] = { prov("c", 103, 1, 1, -1), prov("a", 101, 1, 0, 1), prov("b", 102, 1, -1, 1),
				   prov("d", 104, 0, 1, 1) };
	v[2].has[1] = 0; /* b: no IPv6 address */
	struct rp_conf c;
	struct rp_cands cd[2];
	repath_select(v, 4, NULL, 0, &c, cd);
	/* every provider's table is onlink's, sorted */
	assert_int_equal(c.nmarks, 4);
	assert_int_equal(c.marks[0], 101);
	assert_int_equal(c.marks[3], 104);
	/* IPv4: a fails its probes, d is not live; b unprobed counts as healthy */
	assert_int_equal(cd[0].n, 2);
	assert_int_equal(cd[0].v[0], 102);
	assert_int_equal(cd[0].v[1], 103);
	/* failing: a (IPv4), d is not live */
	assert_int_equal(cd[0].nfail, 1);
	assert_int_equal(cd[0].fail[0], 101);
	assert_int_equal(cd[1].nfail, 0);
	/* IPv6: b has no address of it */
	assert_int_equal(cd[1].n, 2);
	assert_int_equal(cd[1].v[0], 101);
	assert_int_equal(cd[1].v[1], 103);
	/* providers = c a: only those */
	const char allowed[2][OL_NAME_MAX] = { "c", "a" };
	repath_select(v, 4, allowed, 2, &c, cd);
	assert_int_equal(cd[0].n, 1);
	assert_int_equal(cd[0].v[0], 103);
	assert_int_equal(cd[1].n, 2);
	assert_int_equal(c.nmarks, 4);
	/* failing whether named or not: what an early move asks */
	assert_int_equal(cd[0].nfail, 1);
	/* all failing: none, so nothing moves */
	v[0].health[0] = v[2].health[0] = 0;
	repath_select(v, 4, NULL, 0, &c, cd);
	assert_int_equal(cd[0].n, 0);
	assert_int_equal(cd[0].nfail, 3);
}

/* a connection never picks the provider it is on while there is another;
 * two moves in a row never pick the same one; an unmarked connection's
 * first move may pick any */
static void pick_moves_on(void **state)
{
	(void)state;
	for (uint32_t n = 1; n <= RP_CAND_MAX; n++)
		for (uint32_t h = 0; h < 500; h++) {
			int cur = -1;
			for (uint32_t attempt = 0; attempt < 6; attempt++) {
				uint32_t i = rp_pick(h * 2654435761u, attempt, n, cur);
				assert_true(i < n);
				if (n > 1)
					assert_int_not_equal((int)i, cur);
				cur = (int)i;
			}
		}
}

/* the connections of a failing provider spread over the others: with 4
 * candidates, those leaving the first land on each of the 3 others
 * evenly (within 15% of a third), never all on one */
static void pick_spreads(void **state)
{
	(void)state;
	unsigned count[4] = { 0 };
	const unsigned conns = 30000;
	for (unsigned k = 0; k < conns; k++) {
		/* the tuple's words as the program mixes them */
		uint32_t h = rp_mix(0x9e3779b9u, (40000 + k % 20000) ^ (443u << 16));
		h = rp_mix(rp_mix(h, 0x0b0a0a0a), 0x01000000u + k / 20000);
		count[rp_pick(h, 0, 4, 0)]++;
	}
	assert_int_equal(count[0], 0);
	for (int i = 1; i < 4; i++) {
		assert_true(count[i] > conns / 3 * 85 / 100);
		assert_true(count[i] < conns / 3 * 115 / 100);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(select_candidates),
		cmocka_unit_test(pick_moves_on),
		cmocka_unit_test(pick_spreads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
