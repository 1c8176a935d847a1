/* nl_apply against the real kernel, in a network namespace of the test's
 * own (unshare): a batch goes out in one sendmsg with one ACK, and a
 * request the kernel refuses in the middle of it is reported at its own
 * index, with the others applied. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/rtnetlink.h>
#include "core/nl.h"
#include "core/reconcile.h"

#define PROTO 177

static struct kop rule(enum kop_type op, uint32_t mark)
{
	struct kop k = { .op = op };
	k.obj.type = KO_RULE;
	k.obj.family = AF_INET;
	k.obj.proto = PROTO;
	k.obj.fwmark = mark;
	k.obj.table = 1000 + mark;
	k.obj.priority = 30000;
	return k;
}

static size_t rules_in_kernel(struct nl *nl)
{
	struct kobj_set have = { 0 };
	assert_int_equal(nl_dump_owned(nl, 1, PROTO, &have), 0);
	size_t n = 0;
	for (size_t i = 0; i < have.n; i++)
		n += have.v[i].type == KO_RULE && have.v[i].proto == PROTO;
	kobj_set_free(&have);
	return n;
}

static void batch_reports_each_failure(void **state)
{
	(void)state;
	struct nl *nl;
	struct kop ops[4] = { rule(KOP_ADD, 1), rule(KOP_ADD, 1), rule(KOP_ADD, 2), rule(KOP_DEL, 3) };
	int errs[4];
	char msg[256];
	unsigned long s0, r0, s1, r1;
	assert_int_equal(nl_open(&nl, 0, 0), 0);
	nl_apply_counts(nl, &s0, &r0);
	assert_int_equal(nl_apply(nl, ops, 4, errs, msg, sizeof(msg)), 2);
	assert_int_equal(errs[0], 0);
	assert_int_equal(errs[1], -EEXIST); /* the same rule again */
	assert_int_equal(errs[2], 0);
	assert_int_equal(errs[3], -ENOENT); /* no such rule: the last, acked */
	nl_apply_counts(nl, &s1, &r1);
	assert_int_equal(s1 - s0, 1);
	assert_int_equal(r1 - r0, 4);
	assert_int_equal(rules_in_kernel(nl), 2);
	nl_close(nl);
}

/* 3000 requests (a snapshot of 750 providers' worth): one sendmsg, all in */
static void big_batch_is_one_message(void **state)
{
	(void)state;
	struct nl *nl;
	enum { N = 3000 };
	struct kop *ops = calloc(N, sizeof(*ops));
	int *errs = calloc(N, sizeof(*errs));
	char msg[256];
	unsigned long s0, r0, s1, r1;
	assert_non_null(ops);
	assert_non_null(errs);
	for (int i = 0; i < N; i++)
		ops[i] = rule(KOP_ADD, 100 + (uint32_t)i);
	assert_int_equal(nl_open(&nl, 0, 0), 0);
	size_t before = rules_in_kernel(nl);
	nl_apply_counts(nl, &s0, &r0);
	assert_int_equal(nl_apply(nl, ops, N, errs, msg, sizeof(msg)), 0);
	nl_apply_counts(nl, &s1, &r1);
	assert_int_equal(s1 - s0, 1);
	assert_int_equal(r1 - r0, N);
	assert_int_equal(rules_in_kernel(nl), before + N);
	for (int i = 0; i < N; i++)
		ops[i].op = KOP_DEL;
	assert_int_equal(nl_apply(nl, ops, N, errs, msg, sizeof(msg)), 0);
	assert_int_equal(rules_in_kernel(nl), before);
	nl_close(nl);
	free(ops);
	free(errs);
}

int main(void)
{
	/* a network of our own: nothing here touches the machine's */
	if (unshare(CLONE_NEWNET)) {
		perror("unshare(CLONE_NEWNET) (needs root)");
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(batch_reports_each_failure),
		cmocka_unit_test(big_batch_is_one_message),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
