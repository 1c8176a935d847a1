/* The decision of [steer] (switch/steerdec.c) and its guard rails: a gain
 * below the thresholds moves nothing; a gain that comes and goes every
 * window moves nothing; one that holds `windows` windows moves; nothing
 * moves a prefix again before hold-down; no more than max-moves a minute;
 * a provider that goes down takes its overrides at once; a loss gain moves
 * too; back to BGP's choice, the override goes. */
#include "switch/steerdec.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

static const struct sd_params P = { .windows = 3, .min_gain_us = 10000, .min_gain_ratio = 10, .loss_gain = 20,
				    .hold_down_ms = 600000, .max_moves = 10 };

/* a window: a and b at these RTTs (ms) and losses (per mille), 100 probes each */
static void window(struct sd_meas m[2], double a_ms, unsigned a_loss, double b_ms, unsigned b_loss)
{
	memset(m, 0, 2 * sizeof(*m));
	snprintf(m[0].provider, sizeof(m[0].provider), "a");
	snprintf(m[1].provider, sizeof(m[1].provider), "b");
	m[0].sent = m[1].sent = 100;
	m[0].ok = 100 - a_loss / 10;
	m[1].ok = 100 - b_loss / 10;
	m[0].rtt_sum_us = (uint64_t)(a_ms * 1000) * m[0].ok;
	m[1].rtt_sum_us = (uint64_t)(b_ms * 1000) * m[1].ok;
	m[0].live = m[1].live = 1;
}

static enum sd_outcome step(struct sd_prefix *st, struct sd_recent *r, uint64_t t_ms, double a, unsigned al, double b,
			    unsigned bl, struct sd_decision *d)
{
	struct sd_meas m[2];
	window(m, a, al, b, bl);
	steer_decide(st, m, 2, "a", &P, r, t_ms, d);
	return d->outcome;
}

static void below_thresholds(void **state)
{
	(void)state;
	struct sd_prefix st = { 0 };
	struct sd_recent r = { 0 };
	struct sd_decision d;
	/* 9 ms better: under min-gain */
	for (int w = 0; w < 10; w++)
		assert_int_equal(step(&st, &r, 1000 * (uint64_t)w, 30, 0, 21, 0, &d), SD_NONE);
	/* 15 ms better, but only 5% of 300 ms: under min-gain-ratio */
	for (int w = 0; w < 10; w++)
		assert_int_equal(step(&st, &r, 1000 * (uint64_t)w, 300, 0, 285, 0, &d), SD_NONE);
	/* 1 point less loss: under loss-gain (2) */
	for (int w = 0; w < 10; w++)
		assert_int_equal(step(&st, &r, 1000 * (uint64_t)w, 30, 30, 30, 20, &d), SD_NONE);
	assert_string_equal(st.cur, "");
}

static void comes_and_goes(void **state)
{
	(void)state;
	struct sd_prefix st = { 0 };
	struct sd_recent r = { 0 };
	struct sd_decision d;
	for (int w = 0; w < 20; w++)
		assert_int_equal(step(&st, &r, 1000 * (uint64_t)w, w % 2 ? 90 : 30, 0, 30, 0, &d), SD_NONE);
	/* twice in a row then gone, over and over */
	struct sd_prefix s2 = { 0 };
	for (int w = 0; w < 21; w++)
		assert_int_equal(step(&s2, &r, 1000 * (uint64_t)w, w % 3 == 2 ? 30 : 90, 0, 30, 0, &d), SD_NONE);
	assert_string_equal(st.cur, "");
}

static void holds_then_moves(void **state)
{
	(void)state;
	struct sd_prefix st = { 0 };
	struct sd_recent r = { 0 };
	struct sd_decision d;
	assert_int_equal(step(&st, &r, 1000, 90, 0, 30, 0, &d), SD_NONE);
	assert_int_equal(step(&st, &r, 2000, 90, 0, 30, 0, &d), SD_NONE);
	assert_int_equal(step(&st, &r, 3000, 90, 0, 30, 0, &d), SD_MOVED);
	assert_string_equal(d.from, "a");
	assert_string_equal(d.to, "b");
	assert_int_equal(d.reason, SD_RTT);
	assert_int_equal(d.rtt_from_us, 90000);
	assert_int_equal(d.rtt_to_us, 30000);
	assert_string_equal(st.cur, "b");
	assert_int_equal(st.since_ms, 3000);
	/* better still: it stays */
	assert_int_equal(step(&st, &r, 4000, 90, 0, 30, 0, &d), SD_NONE);
	/* a gets better: held until hold-down (600 s), then back to BGP's (a): no override */
	for (uint64_t t = 5000; t < 603000; t += 1000) {
		enum sd_outcome o = step(&st, &r, t, 30, 0, 90, 0, &d);
		assert_int_equal(o, t < 7000 ? SD_NONE : SD_HELD);
	}
	assert_int_equal(step(&st, &r, 603000, 30, 0, 90, 0, &d), SD_MOVED);
	assert_string_equal(d.to, "a");
	assert_string_equal(st.cur, "");
}

static void loss_moves(void **state)
{
	(void)state;
	struct sd_prefix st = { 0 };
	struct sd_recent r = { 0 };
	struct sd_decision d;
	/* b slower but a loses 5%: moves by loss */
	for (int w = 1; w <= 3; w++)
		step(&st, &r, 1000 * (uint64_t)w, 30, 50, 40, 0, &d);
	assert_int_equal(d.outcome, SD_MOVED);
	assert_int_equal(d.reason, SD_LOSS);
	assert_int_equal(d.loss_from, 50);
	/* a faster path that loses more is no better */
	struct sd_prefix s2 = { 0 };
	for (int w = 1; w <= 5; w++)
		assert_int_equal(step(&s2, &r, 1000 * (uint64_t)w, 90, 0, 30, 50, &d), SD_NONE);
}

static void max_moves(void **state)
{
	(void)state;
	struct sd_prefix st[12] = { 0 };
	struct sd_recent r = { 0 };
	struct sd_decision d;
	int moved = 0, limited = 0;
	for (int w = 1; w <= 3; w++)
		for (int p = 0; p < 12; p++) {
			step(&st[p], &r, 1000 * (uint64_t)w, 90, 0, 30, 0, &d);
			moved += d.outcome == SD_MOVED;
			limited += d.outcome == SD_LIMITED;
		}
	assert_int_equal(moved, 10);
	assert_int_equal(limited, 2);
	/* a minute after the first moves, the others go */
	step(&st[10], &r, 63000, 90, 0, 30, 0, &d);
	assert_int_equal(d.outcome, SD_MOVED);
}

static void provider_down(void **state)
{
	(void)state;
	struct sd_prefix st = { 0 };
	struct sd_recent r = { 0 };
	struct sd_decision d;
	for (int w = 1; w <= 3; w++)
		step(&st, &r, 1000 * (uint64_t)w, 90, 0, 30, 0, &d);
	assert_string_equal(st.cur, "b");
	assert_int_equal(steer_provider_down(&st, "a", 4000, &d), 0);
	assert_int_equal(steer_provider_down(&st, "b", 4000, &d), 1);
	assert_int_equal(d.reason, SD_DOWN);
	assert_string_equal(d.to, "a");
	assert_string_equal(st.cur, "");
	/* a candidate that is not live is never chosen */
	struct sd_meas m[2];
	struct sd_prefix s2 = { 0 };
	for (int w = 1; w <= 5; w++) {
		window(m, 90, 0, 30, 0);
		m[1].live = 0;
		steer_decide(&s2, m, 2, "a", &P, &r, 100000 + 1000 * (uint64_t)w, &d);
		assert_int_equal(d.outcome, SD_NONE);
	}
}

/* no measurement of the current provider: nothing to compare, nothing moves */
static void unmeasured(void **state)
{
	(void)state;
	struct sd_prefix st = { 0 };
	struct sd_recent r = { 0 };
	struct sd_decision d;
	struct sd_meas m[2];
	for (int w = 1; w <= 5; w++) {
		window(m, 90, 0, 30, 0);
		steer_decide(&st, &m[1], 1, "a", &P, &r, 1000 * (uint64_t)w, &d);
		assert_int_equal(d.outcome, SD_NONE);
		steer_decide(&st, m, 2, "", &P, &r, 1000 * (uint64_t)w, &d); /* BGP's choice unknown so far */
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(below_thresholds), cmocka_unit_test(comes_and_goes), cmocka_unit_test(holds_then_moves),
		cmocka_unit_test(loss_moves),       cmocka_unit_test(max_moves),      cmocka_unit_test(provider_down),
		cmocka_unit_test(unmeasured),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
