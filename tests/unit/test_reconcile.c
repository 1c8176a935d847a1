/* The reconciler against a fake kernel. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include "fake_kernel.h"
#include "host/desired.h"
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#define PROTO 177

static struct ol_provider prov(const char *name, uint32_t table, const char *a4, const char *a6, uint8_t last, int up)
{
	struct ol_provider p = { .table = table };
	snprintf(p.name, sizeof(p.name), "%s", name);
	if (a4) {
		addr_parse(a4, &p.addrs[p.naddrs].addr);
		uint8_t m[6] = { 2, 0, 0, 0, 1, last };
		memcpy(p.addrs[p.naddrs].mac, m, 6);
		p.addrs[p.naddrs++].up = (uint8_t)up;
	}
	if (a6) {
		addr_parse(a6, &p.addrs[p.naddrs].addr);
		uint8_t m[6] = { 2, 0, 0, 0, 1, last };
		memcpy(p.addrs[p.naddrs].mac, m, 6);
		p.addrs[p.naddrs++].up = (uint8_t)up;
	}
	return p;
}

static struct host_params params(void)
{
	struct host_params hp = { .ifindex = 2, .rule_priority = 1000, .proto = PROTO };
	addr_parse("10.10.0.11", &hp.local4);
	addr_parse("2001:db8:10::11", &hp.local6);
	return hp;
}

static void want_of(struct kobj_set *want, const struct ol_provider *p, size_t n)
{
	struct host_params hp = params();
	unsigned bad;
	want->n = 0;
	assert_int_equal(desired_build(p, n, &hp, want, &bad), 0);
}

/* diff, apply to the fake kernel, return the op list */
static void sync_once(const struct kobj_set *want, struct kobj_set *kernel, struct kop_list *ops,
		      struct reconcile_stats *st)
{
	ops->n = 0;
	assert_int_equal(reconcile_diff(want, kernel, PROTO, ops, st), 0);
	assert_int_equal(fake_apply(kernel, ops), 0);
}

static size_t count_op(const struct kop_list *ops, enum kop_type t, enum kobj_type k)
{
	size_t n = 0;
	for (size_t i = 0; i < ops->n; i++)
		n += ops->v[i].op == t && ops->v[i].obj.type == k;
	return n;
}

static void from_empty_then_idempotent(void **state)
{
	(void)state;
	struct ol_provider p[2] = { prov("a", 101, "10.0.1.1", "2001:db8:1::1", 1, 1),
				    prov("b", 102, "10.0.2.1", "2001:db8:2::1", 2, 1) };
	struct kobj_set want = { 0 }, kernel = { 0 };
	struct kop_list ops = { 0 };
	struct reconcile_stats st;

	want_of(&want, p, 2);
	sync_once(&want, &kernel, &ops, &st);
	/* per provider: v4 peer address, 2 neighbors, v6 /128, 2 defaults, 2 rules */
	assert_int_equal(count_op(&ops, KOP_ADD, KO_ADDR), 2);
	assert_int_equal(count_op(&ops, KOP_ADD, KO_NEIGH), 4);
	assert_int_equal(count_op(&ops, KOP_ADD, KO_ROUTE), 6);
	assert_int_equal(count_op(&ops, KOP_ADD, KO_RULE), 4);
	assert_int_equal(ops.n, 16);
	/* additions come in dependency order: addresses, neighbors, routes, rules */
	for (size_t i = 1; i < ops.n; i++)
		assert_true(ops.v[i - 1].obj.type <= ops.v[i].obj.type);

	sync_once(&want, &kernel, &ops, &st);
	assert_int_equal(ops.n, 0);
	assert_int_equal(st.adopted, 16);
	kobj_set_free(&want);
	kobj_set_free(&kernel);
	kop_list_free(&ops);
}

static void mac_change_replaces_in_place(void **state)
{
	(void)state;
	struct ol_provider p = prov("a", 101, "10.0.1.1", NULL, 1, 1);
	struct kobj_set want = { 0 }, kernel = { 0 };
	struct kop_list ops = { 0 };
	struct reconcile_stats st;

	want_of(&want, &p, 1);
	sync_once(&want, &kernel, &ops, &st);
	p.addrs[0].mac[5] = 0x99;
	want_of(&want, &p, 1);
	sync_once(&want, &kernel, &ops, &st);
	assert_int_equal(ops.n, 1);
	assert_int_equal(ops.v[0].op, KOP_REPLACE);
	assert_int_equal(ops.v[0].obj.type, KO_NEIGH);
	assert_int_equal(ops.v[0].obj.lladdr[5], 0x99);
	kobj_set_free(&want);
	kobj_set_free(&kernel);
	kop_list_free(&ops);
}

static void foreign_objects_untouched(void **state)
{
	(void)state;
	struct ol_provider p = prov("a", 101, "10.0.1.1", NULL, 1, 1);
	struct kobj_set want = { 0 }, kernel = { 0 };
	struct kop_list ops = { 0 };
	struct reconcile_stats st;

	/* a foreign permanent neighbor for another address, a foreign
	 * permanent neighbor holding a provider's key, and the host's own
	 * address */
	struct kobj other = { .type = KO_NEIGH, .family = AF_INET, .ifindex = 2, .state = NUD_PERMANENT };
	addr_parse("10.10.0.99", &other.dst);
	struct kobj held = other;
	addr_parse("10.0.1.1", &held.dst);
	held.proto = 4; /* static */
	struct kobj own = { .type = KO_ADDR, .family = AF_INET, .ifindex = 2, .dst_len = 24 };
	addr_parse("10.10.0.11", &own.dst);
	own.gw = own.dst;
	kobj_set_add(&kernel, &other);
	kobj_set_add(&kernel, &held);
	kobj_set_add(&kernel, &own);

	want_of(&want, &p, 1);
	sync_once(&want, &kernel, &ops, &st);
	assert_int_equal(st.conflicts, 1);
	for (size_t i = 0; i < ops.n; i++) {
		assert_int_not_equal(ops.v[i].op, KOP_DEL);
		assert_false(ops.v[i].obj.type == KO_NEIGH);
	}
	assert_non_null(fake_find(&kernel, &other));
	assert_int_equal(fake_find(&kernel, &held)->proto, 4);
	assert_non_null(fake_find(&kernel, &own));
	kobj_set_free(&want);
	kobj_set_free(&kernel);
	kop_list_free(&ops);
}

static void kernel_learned_neighbor_taken_over(void **state)
{
	(void)state;
	struct ol_provider p = prov("a", 101, "10.0.1.1", NULL, 1, 1);
	struct kobj_set want = { 0 }, kernel = { 0 };
	struct kop_list ops = { 0 };
	struct reconcile_stats st;
	struct kobj learned = { .type = KO_NEIGH, .family = AF_INET, .ifindex = 2, .state = NUD_STALE };
	addr_parse("10.0.1.1", &learned.dst);
	kobj_set_add(&kernel, &learned);

	want_of(&want, &p, 1);
	sync_once(&want, &kernel, &ops, &st);
	assert_int_equal(count_op(&ops, KOP_REPLACE, KO_NEIGH), 1);
	struct kobj *n = fake_find(&kernel, &learned);
	assert_int_equal(n->state, NUD_PERMANENT);
	assert_int_equal(n->proto, PROTO);
	kobj_set_free(&want);
	kobj_set_free(&kernel);
	kop_list_free(&ops);
}

static void down_provider_keeps_rule_with_unreachable(void **state)
{
	(void)state;
	struct ol_provider p = prov("a", 101, "10.0.1.1", "2001:db8:1::1", 1, 1);
	struct kobj_set want = { 0 }, kernel = { 0 };
	struct kop_list ops = { 0 };
	struct reconcile_stats st;

	want_of(&want, &p, 1);
	sync_once(&want, &kernel, &ops, &st);
	p.addrs[0].up = p.addrs[1].up = 0;
	want_of(&want, &p, 1);
	sync_once(&want, &kernel, &ops, &st);
	/* address, neighbors and the /128 go; defaults become unreachable;
	 * rules stay */
	assert_int_equal(count_op(&ops, KOP_DEL, KO_ADDR), 1);
	assert_int_equal(count_op(&ops, KOP_DEL, KO_NEIGH), 2);
	assert_int_equal(count_op(&ops, KOP_DEL, KO_ROUTE), 1);
	assert_int_equal(count_op(&ops, KOP_REPLACE, KO_ROUTE), 2);
	assert_int_equal(count_op(&ops, KOP_DEL, KO_RULE), 0);
	for (size_t i = 0; i < kernel.n; i++)
		if (kernel.v[i].type == KO_ROUTE)
			assert_int_equal(kernel.v[i].rtype, RTN_UNREACHABLE);
	/* deletions come first, rules before routes before neighbors */
	for (size_t i = 1; i < ops.n; i++)
		if (ops.v[i].op == KOP_DEL)
			assert_int_equal(ops.v[i - 1].op, KOP_DEL);

	/* provider gone from the switch: everything goes */
	want.n = 0;
	sync_once(&want, &kernel, &ops, &st);
	assert_int_equal(kernel.n, 0);
	kobj_set_free(&want);
	kobj_set_free(&kernel);
	kop_list_free(&ops);
}

static void repairs_what_was_changed(void **state)
{
	(void)state;
	struct ol_provider p = prov("a", 101, "10.0.1.1", NULL, 1, 1);
	struct kobj_set want = { 0 }, kernel = { 0 };
	struct kop_list ops = { 0 };
	struct reconcile_stats st;

	want_of(&want, &p, 1);
	sync_once(&want, &kernel, &ops, &st);
	/* someone deletes our neighbor and rewrites our default route */
	for (size_t i = 0; i < kernel.n; i++)
		if (kernel.v[i].type == KO_NEIGH) {
			kernel.v[i] = kernel.v[--kernel.n];
			break;
		}
	for (size_t i = 0; i < kernel.n; i++)
		if (kernel.v[i].type == KO_ROUTE)
			addr_parse("10.0.9.9", &kernel.v[i].gw);
	sync_once(&want, &kernel, &ops, &st);
	assert_int_equal(ops.n, 2);
	assert_int_equal(count_op(&ops, KOP_ADD, KO_NEIGH), 1);
	assert_int_equal(count_op(&ops, KOP_REPLACE, KO_ROUTE), 1);
	sync_once(&want, &kernel, &ops, &st);
	assert_int_equal(ops.n, 0);
	kobj_set_free(&want);
	kobj_set_free(&kernel);
	kop_list_free(&ops);
}

static void bad_macs_never_installed(void **state)
{
	(void)state;
	struct ol_provider p = prov("a", 101, "10.0.1.1", "2001:db8:1::1", 1, 1);
	static const uint8_t mcast[6] = { 1, 0, 0x5e, 0, 0, 1 }, bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	memcpy(p.addrs[0].mac, mcast, 6);
	memcpy(p.addrs[1].mac, bcast, 6);
	struct host_params hp = params();
	struct kobj_set want = { 0 };
	unsigned bad;
	assert_int_equal(desired_build(&p, 1, &hp, &want, &bad), 0);
	assert_int_equal(bad, 2);
	for (size_t i = 0; i < want.n; i++)
		assert_false(want.v[i].type == KO_NEIGH || want.v[i].type == KO_ADDR);
	memset(p.addrs[0].mac, 0, 6);
	want.n = 0;
	assert_int_equal(desired_build(&p, 1, &hp, &want, &bad), 0);
	assert_int_equal(bad, 2);
	kobj_set_free(&want);
}

static void no_local6_means_no_ipv6_objects(void **state)
{
	(void)state;
	struct ol_provider p = prov("a", 101, "10.0.1.1", "2001:db8:1::1", 1, 1);
	struct host_params hp = params();
	struct kobj_set want = { 0 };
	unsigned bad;
	memset(&hp.local6, 0, sizeof(hp.local6));
	assert_int_equal(desired_build(&p, 1, &hp, &want, &bad), 0);
	for (size_t i = 0; i < want.n; i++)
		assert_int_equal(want.v[i].family, AF_INET);
	assert_int_equal(want.n, 4); /* address, neighbor, default, rule */
	kobj_set_free(&want);
}

/* A host agent running on the kernel's state holds back deletes: what is
 * left of the operations keeps its order. */
static void deletes_dropped_in_order(void **state)
{
	(void)state;
	struct kop_list l = { 0 };
	enum kop_type ops[] = { KOP_DEL, KOP_ADD, KOP_DEL, KOP_REPLACE, KOP_ADD, KOP_DEL };
	l.v = calloc(6, sizeof(*l.v));
	l.n = l.cap = 6;
	for (int i = 0; i < 6; i++)
		l.v[i] = (struct kop){ .op = ops[i], .obj = { .type = KO_ROUTE, .table = (uint32_t)i } };
	assert_int_equal(kop_list_drop(&l, KOP_DEL), 3);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.v[0].op, KOP_ADD);
	assert_int_equal(l.v[0].obj.table, 1);
	assert_int_equal(l.v[1].op, KOP_REPLACE);
	assert_int_equal(l.v[2].obj.table, 4);
	assert_int_equal(kop_list_drop(&l, KOP_DEL), 0);
	kop_list_free(&l);
}

static void sorted_set_operations(void **state)
{
	(void)state;
	struct kobj_set s = { 0 };
	struct kobj o = { .type = KO_NEIGH, .family = AF_INET, .ifindex = 2, .state = NUD_PERMANENT };
	char a[32];
	/* insert in a scrambled order; the set stays sorted */
	for (int i = 0; i < 50; i++) {
		snprintf(a, sizeof(a), "10.0.%d.1", (i * 37) % 50);
		addr_parse(a, &o.dst);
		o.lladdr[5] = (uint8_t)i;
		assert_int_equal(kobj_set_upsert(&s, &o), 0);
	}
	assert_int_equal(s.n, 50);
	for (size_t i = 1; i < s.n; i++)
		assert_true(kobj_key_cmp(&s.v[i - 1], &s.v[i]) < 0);
	/* upsert of an existing key replaces it */
	addr_parse("10.0.7.1", &o.dst);
	o.lladdr[5] = 0xee;
	kobj_set_upsert(&s, &o);
	assert_int_equal(s.n, 50);
	assert_int_equal(kobj_set_find(&s, &o)->lladdr[5], 0xee);
	kobj_set_remove(&s, &o);
	assert_int_equal(s.n, 49);
	assert_null(kobj_set_find(&s, &o));
	kobj_set_remove(&s, &o); /* absent: nothing happens */
	assert_int_equal(s.n, 49);
	kobj_set_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(from_empty_then_idempotent),
		cmocka_unit_test(mac_change_replaces_in_place),
		cmocka_unit_test(foreign_objects_untouched),
		cmocka_unit_test(kernel_learned_neighbor_taken_over),
		cmocka_unit_test(down_provider_keeps_rule_with_unreachable),
		cmocka_unit_test(repairs_what_was_changed),
		cmocka_unit_test(bad_macs_never_installed),
		cmocka_unit_test(no_local6_means_no_ipv6_objects),
		cmocka_unit_test(sorted_set_operations),
		cmocka_unit_test(deletes_dropped_in_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
