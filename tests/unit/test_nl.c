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
#include "kernel/nl.h"
#include "kernel/reconcile.h"

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
	assert_int_equal(nl_dump_owned(nl, 1, 0, PROTO, &have), 0);
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

/* A notification callback that dumps and writes (as the host agent's
 * reconcile does on a link event) must not disturb the batch being read:
 * every notification still arrives whole. The same buffer once served all
 * three sockets, and an uplink flap crashed the host agent. */
struct reentry {
	struct nl *nl;
	int seen[200];
	int nested_events, nested_dump, writes;
};

static void nested_dump_cb(const struct nl_event *ev, void *arg)
{
	struct reentry *r = arg;
	(void)ev;
	/* a dump from a dump's callback: the dump socket is busy */
	if (nl_dump_links(r->nl, nested_dump_cb, r) == -EBUSY)
		r->nested_dump++;
}

static void reentrant_cb(const struct nl_event *ev, void *arg)
{
	struct reentry *r = arg;
	if (ev->type != NLE_KOBJ || ev->kobj.type != KO_RULE || ev->kobj.proto != PROTO || ev->deleted)
		return;
	uint32_t m = ev->kobj.fwmark;
	if (m >= 1000 && m < 1200)
		r->seen[m - 1000]++;
	if (nl_read_events(r->nl, reentrant_cb, r, 16) == -EBUSY)
		r->nested_events++;
	/* a write and a dump, answered into their own buffers */
	struct kop k = rule(KOP_ADD, 5000 + m);
	int err;
	char msg[64];
	if (m < 1050 && !nl_apply(r->nl, &k, 1, &err, msg, sizeof(msg)))
		r->writes++;
	if (m == 1000)
		assert_int_equal(nl_dump_links(r->nl, nested_dump_cb, r), 0);
	rules_in_kernel(r->nl);
}

static void callbacks_may_dump_and_write(void **state)
{
	(void)state;
	struct reentry r = { 0 };
	enum { N = 200 };
	struct kop ops[N];
	int errs[N];
	char msg[256];
	assert_int_equal(nl_open(&r.nl, NLG_RULE, 4 << 20), 0);
	for (int i = 0; i < N; i++)
		ops[i] = rule(KOP_ADD, 1000 + (uint32_t)i);
	assert_int_equal(nl_apply(r.nl, ops, N, errs, msg, sizeof(msg)), 0);
	/* the 200 notifications queue up; several arrive per recv() */
	for (int round = 0; round < 100; round++)
		assert_int_equal(nl_read_events(r.nl, reentrant_cb, &r, 1024), 0);
	for (int i = 0; i < N; i++)
		assert_int_equal(r.seen[i], 1);
	assert_true(r.nested_events >= N);
	assert_true(r.nested_dump > 0);
	assert_int_equal(r.writes, 50);
	for (int i = 0; i < N; i++)
		ops[i].op = KOP_DEL;
	assert_int_equal(nl_apply(r.nl, ops, N, errs, msg, sizeof(msg)), 0);
	for (int i = 0; i < 50; i++)
		ops[i] = rule(KOP_DEL, 6000 + (uint32_t)i);
	assert_int_equal(nl_apply(r.nl, ops, 50, errs, msg, sizeof(msg)), 0);
	nl_close(r.nl);
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
		cmocka_unit_test(callbacks_may_dump_and_write),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
