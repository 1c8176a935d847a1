/* Continuous probing's statistics: the histogram, the last minute's loss
 * and mean, and which provider is best. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "host/probestat.h"

static void histogram(void **state)
{
	(void)state;
	struct probestat s = { 0 };
	probestat_add(&s, 1000, 0.0004);  /* le 0.0005 */
	probestat_add(&s, 1000, 0.0005);  /* le 0.0005: bounds are inclusive */
	probestat_add(&s, 1000, 0.020);   /* le 0.025 */
	probestat_add(&s, 1000, 3.0);     /* +Inf */
	probestat_add(&s, 1000, -1);      /* lost: not in the histogram */
	assert_int_equal(s.le[0], 2);
	assert_int_equal(s.le[5], 1);
	assert_int_equal(s.le[PS_BUCKETS], 1);
	assert_int_equal(s.count, 4);
	assert_true(s.sum > 3.02089 && s.sum < 3.02091);
	assert_int_equal(s.last_success, 1000);
}

static void last_minute(void **state)
{
	(void)state;
	struct probestat s = { 0 };
	uint32_t sent, ok;
	double mean;
	assert_true(probestat_loss(&s, 1000) < 0); /* nothing sent: no ratio */
	for (int i = 0; i < 10; i++)
		probestat_add(&s, 1000 + i, i % 2 ? -1 : 0.010);
	probestat_minute(&s, 1009, &sent, &ok, &mean);
	assert_int_equal(sent, 10);
	assert_int_equal(ok, 5);
	assert_true(mean > 0.00999 && mean < 0.01001);
	assert_true(probestat_loss(&s, 1009) > 0.499 && probestat_loss(&s, 1009) < 0.501);
	/* a minute later they are out of the window */
	assert_true(probestat_loss(&s, 1075) < 0);
	/* the buckets are reused as time moves on */
	probestat_add(&s, 1080, 0.020);
	probestat_minute(&s, 1080, &sent, &ok, &mean);
	assert_int_equal(sent, 1);
	assert_true(mean > 0.0199 && mean < 0.0201);
	assert_int_equal(s.last_success, 1080);
}

static void best(void **state)
{
	(void)state;
	struct probestat a = { 0 }, b = { 0 }, c = { 0 };
	const struct probestat *v[] = { &a, &b, &c };
	assert_int_equal(probestat_best(v, 3, 1000), -1); /* none answered */
	for (int i = 0; i < 10; i++) {
		probestat_add(&a, 1000, 0.020);
		probestat_add(&b, 1000, 0.010);
		probestat_add(&c, 1000, -1);
	}
	assert_int_equal(probestat_best(v, 3, 1000), 1);
	/* a near tie goes to the one that loses less */
	struct probestat d = { 0 }, e = { 0 };
	const struct probestat *w[] = { &d, &e };
	for (int i = 0; i < 10; i++) {
		probestat_add(&d, 1000, 0.0100);
		probestat_add(&e, 1000, 0.01005);
	}
	probestat_add(&d, 1000, -1);
	assert_int_equal(probestat_best(w, 2, 1000), 1);
}

/* the losses in a row that repath reads (PS_FAILING_RUN): an answer ends them */
static void lost_in_a_row(void **state)
{
	(void)state;
	struct probestat s = { 0 };
	probestat_add(&s, 1000, 0.01);
	assert_int_equal(s.lost_run, 0);
	probestat_add(&s, 1001, -1);
	assert_int_equal(s.lost_run, 1);
	assert_true(s.lost_run < PS_FAILING_RUN);
	probestat_add(&s, 1002, -1);
	probestat_add(&s, 1002, -1);
	assert_int_equal(s.lost_run, 3);
	assert_true(s.lost_run >= PS_FAILING_RUN);
	probestat_add(&s, 1003, 0.02);
	assert_int_equal(s.lost_run, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(histogram),
		cmocka_unit_test(last_minute),
		cmocka_unit_test(best),
		cmocka_unit_test(lost_in_a_row),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
