/* The host agent's pure parts: a switch agent's view (snapshot staging,
 * generations, the fast path's datagrams), the merged view of several
 * switch agents, and incremental turns against full rebuilds. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include "fake_kernel.h"
#include "host/merge.h"
#include "host/swview.h"
#include "base/vec.h"
#include <sys/socket.h>

#define PROTO 177

static struct ol_provider prov(const char *name, uint32_t table, const char *a4, uint8_t mac, int up)
{
	struct ol_provider p = { .table = table, .naddrs = 1 };
	snprintf(p.name, sizeof(p.name), "%s", name);
	addr_parse(a4, &p.addrs[0].addr);
	uint8_t m[6] = { 2, 0, 0, 0, 1, mac };
	memcpy(p.addrs[0].mac, m, 6);
	p.addrs[0].up = (uint8_t)up;
	return p;
}

/* feeds one message; returns swview_msg's result */
static int feed(struct swview *v, uint8_t type, const uint8_t *body, size_t n, struct changes *ch)
{
	struct wire_fastpath fp;
	const char *why = NULL;
	int r = swview_msg(v, type, body, n, ch, &fp, &why);
	if (r < 0)
		assert_non_null(why);
	return r;
}

static int feed_provider(struct swview *v, const struct ol_provider *p, struct changes *ch)
{
	uint8_t b[WIRE_BODY_MAX];
	int n = wire_provider_encode(b, sizeof(b), p);
	assert_true(n > 0);
	return feed(v, WM_PROVIDER, b, (size_t)n, ch);
}

static int feed_gen(struct swview *v, uint64_t gen, struct changes *ch)
{
	uint8_t b[16];
	int n = wire_gen_encode(b, sizeof(b), gen);
	assert_true(n > 0);
	return feed(v, WM_GEN, b, (size_t)n, ch);
}

static void snapshot(struct swview *v, const struct ol_provider *p, size_t n, struct changes *ch)
{
	assert_int_equal(feed(v, WM_SNAP_BEGIN, NULL, 0, ch), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(feed_provider(v, &p[i], ch), 0);
	assert_int_equal(feed(v, WM_SNAP_END, NULL, 0, ch), 0);
}

/* A snapshot is staged: until its end, the last whole one stays; a session
 * lost in the middle of one leaves the last whole one in place. */
static void snapshot_staged(void **state)
{
	(void)state;
	struct swview v = { 0 };
	struct changes ch = { 0 };
	struct ol_provider a = prov("a", 101, "10.0.1.1", 1, 1), b = prov("b", 102, "10.0.2.1", 2, 1);
	assert_int_equal(feed_provider(&v, &a, &ch), -1); /* before any snapshot: a protocol error */
	snapshot(&v, &a, 1, &ch);
	assert_true(ch.full);
	assert_int_equal(v.provs.n, 1);
	changes_clear(&ch);
	assert_int_equal(feed(&v, WM_SNAP_BEGIN, NULL, 0, &ch), 0);
	assert_int_equal(feed_provider(&v, &b, &ch), 0);
	assert_int_equal(v.provs.n, 1);  /* still the old one */
	assert_non_null(provset_find(&v.provs, "a"));
	assert_false(ch.full);
	assert_int_equal(ch.n, 0);
	assert_int_equal(feed(&v, WM_SNAP_BEGIN, NULL, 0, &ch), -1); /* nested */
	swview_drop(&v);                 /* the session is lost mid-snapshot */
	assert_int_equal(v.provs.n, 1);
	assert_non_null(provset_find(&v.provs, "a"));
	assert_int_equal(feed(&v, WM_SNAP_END, NULL, 0, &ch), -1); /* no snapshot in progress */
	snapshot(&v, &b, 1, &ch);        /* the next session's snapshot replaces it whole */
	assert_int_equal(v.provs.n, 1);
	assert_non_null(provset_find(&v.provs, "b"));
	assert_null(provset_find(&v.provs, "a"));
	vec_free(&ch);
	swview_free(&v);
}

/* A change of an older generation than what is held (the session's copy
 * of what the fast path brought first) is stale: not taken, counted. */
static void generations_order_changes(void **state)
{
	(void)state;
	struct swview v = { 0 };
	struct changes ch = { 0 };
	struct ol_provider a = prov("a", 101, "10.0.1.1", 1, 1);
	snapshot(&v, &a, 1, &ch);
	changes_clear(&ch);
	struct ol_provider a5 = prov("a", 101, "10.0.1.1", 5, 1), a4 = prov("a", 101, "10.0.1.1", 4, 1);
	assert_int_equal(swview_provider(&v, &a5, 5, &ch), 1);  /* the fast path: generation 5 */
	assert_int_equal(ch.n, 1);
	assert_string_equal(ch.v[0].name, "a");
	changes_clear(&ch);
	assert_int_equal(feed_gen(&v, 4, &ch), 0);            /* the session's older copy */
	assert_int_equal(feed_provider(&v, &a4, &ch), 0);
	assert_int_equal(provset_find(&v.provs, "a")->addrs[0].mac[5], 5);
	assert_int_equal(v.stale, 1);
	assert_int_equal(ch.n, 0);
	assert_int_equal(feed_gen(&v, 5, &ch), 0);            /* the same generation: stale too */
	assert_int_equal(feed_provider(&v, &a5, &ch), 0);
	assert_int_equal(v.stale, 2);
	struct ol_provider a6 = prov("a", 101, "10.0.1.1", 6, 0);
	assert_int_equal(feed_gen(&v, 6, &ch), 0);            /* a newer one is taken */
	assert_int_equal(feed_provider(&v, &a6, &ch), 0);
	assert_int_equal(provset_find(&v.provs, "a")->addrs[0].mac[5], 6);
	assert_int_equal(ch.n, 1);
	/* removal names the provider */
	uint8_t b[64];
	int n = wire_name_encode(b, sizeof(b), "a");
	changes_clear(&ch);
	assert_int_equal(feed(&v, WM_PROVIDER_DEL, b, (size_t)n, &ch), 0);
	assert_int_equal(v.provs.n, 0);
	assert_int_equal(ch.n, 1);
	vec_free(&ch);
	swview_free(&v);
}

/* A datagram: GEN then PROVIDERs; without a generation first, refused. */
static void datagrams(void **state)
{
	(void)state;
	struct swview v = { 0 };
	struct changes ch = { 0 };
	struct ol_provider a = prov("a", 101, "10.0.1.1", 1, 1), b = prov("b", 102, "10.0.2.1", 2, 1);
	snapshot(&v, &a, 1, &ch);
	changes_clear(&ch);
	uint8_t msg[1024], body[WIRE_BODY_MAX];
	size_t len = 0;
	int n = wire_provider_encode(body, sizeof(body), &b);
	assert_int_equal(wire_rec_put(msg, sizeof(msg), &len, WM_PROVIDER, body, (size_t)n), 0);
	assert_true(swview_datagram(&v, msg, len, &ch) < 0);
	assert_null(provset_find(&v.provs, "b"));
	len = 0;
	n = wire_gen_encode(body, sizeof(body), 9);
	assert_int_equal(wire_rec_put(msg, sizeof(msg), &len, WM_GEN, body, (size_t)n), 0);
	n = wire_provider_encode(body, sizeof(body), &b);
	assert_int_equal(wire_rec_put(msg, sizeof(msg), &len, WM_PROVIDER, body, (size_t)n), 0);
	assert_int_equal(swview_datagram(&v, msg, len, &ch), 0);
	assert_non_null(provset_find(&v.provs, "b"));
	assert_int_equal(provset_find(&v.provs, "b")->gen, 9);
	assert_int_equal(ch.n, 1);
	vec_free(&ch);
	swview_free(&v);
}

static struct merge_params mparams(void)
{
	struct merge_params mp = { .hp = { .ifindex = 2, .peer_ifindex = 2, .rule_priority = 1000, .proto = PROTO }, .me = "h1",
				   .lo_ifindex = 1 };
	addr_parse("10.10.0.11", &mp.hp.local4);
	return mp;
}

/* Several switch agents: a provider comes from the first that reports it
 * up, else from the first that reports it at all. */
static void merge_several_switches(void **state)
{
	(void)state;
	struct swview s1 = { 0 }, s2 = { 0 };
	struct changes ch = { 0 };
	struct ol_provider p1[] = { prov("a", 101, "10.0.1.1", 1, 0), prov("b", 102, "10.0.2.1", 2, 1) };
	struct ol_provider p2[] = { prov("a", 101, "10.0.1.1", 7, 1), prov("b", 102, "10.0.2.1", 8, 1),
				    prov("c", 103, "10.0.3.1", 9, 0) };
	snapshot(&s1, p1, 2, &ch);
	snapshot(&s2, p2, 3, &ch);
	const struct swview *views[2] = { &s1, &s2 };
	struct merge_params mp = mparams();
	struct hview hv = { 0 };
	assert_int_equal(merge_rebuild(&hv, views, 2, &mp), 0);
	assert_int_equal(hv.merged.n, 3);
	assert_int_equal(provset_find(&hv.merged, "a")->addrs[0].mac[5], 7); /* down on s1, up on s2 */
	assert_int_equal(provset_find(&hv.merged, "b")->addrs[0].mac[5], 2); /* up on both: the first */
	assert_false(provider_up(provset_find(&hv.merged, "c")));           /* only s2, down */
	/* s2 loses a; s1 still reports it (down): the merged a is s1's */
	uint8_t b[64];
	int n = wire_name_encode(b, sizeof(b), "a");
	changes_clear(&ch);
	assert_int_equal(feed(&s2, WM_PROVIDER_DEL, b, (size_t)n, &ch), 0);
	struct kobj_set touched = { 0 };
	assert_int_equal(merge_apply(&hv, views, 2, &mp, &ch, &touched), 0);
	assert_int_equal(provset_find(&hv.merged, "a")->addrs[0].mac[5], 1);
	assert_false(provider_up(provset_find(&hv.merged, "a")));
	assert_true(touched.n > 0);
	kobj_set_free(&touched);
	vec_free(&ch);
	hview_free(&hv);
	swview_free(&s1);
	swview_free(&s2);
}

static int sets_equal(const struct kobj_set *a, const struct kobj_set *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (!kobj_equal(&a->v[i], &b->v[i]))
			return 0;
	return 1;
}

/* sorted copy of a fake kernel, to compare two */
static void sorted_copy(const struct kobj_set *k, struct kobj_set *out)
{
	out->n = 0;
	for (size_t i = 0; i < k->n; i++)
		kobj_set_add(out, &k->v[i]);
	kobj_set_sort(out);
}

/* Random changes over two switch agents, 300 providers: after every turn,
 * the desired state kept by turns is the one a full rebuild makes, and a
 * kernel kept by the turns' diffs (only the touched keys) is the kernel a
 * full diff keeps. */
static void turns_equal_rebuilds(void **state)
{
	(void)state;
	enum { N = 300, STEPS = 400 };
	struct swview s[2] = { 0 };
	struct changes ch = { 0 };
	struct ol_provider *p = calloc(N, sizeof(*p));
	char name[16], a4[32];
	for (unsigned i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "p%03u", i);
		snprintf(a4, sizeof(a4), "10.1.%u.%u", i / 200, i % 200 + 1);
		p[i] = prov(name, 1000 + i, a4, (uint8_t)i, 1);
	}
	snapshot(&s[0], p, N / 2 + 20, &ch);       /* overlapping halves */
	snapshot(&s[1], p + N / 2 - 20, N / 2 + 20, &ch);
	const struct swview *views[2] = { &s[0], &s[1] };
	struct merge_params mp = mparams();
	struct hview inc = { 0 }, full = { 0 };
	struct kobj_set k_inc = { 0 }, k_full = { 0 }, touched = { 0 }, x = { 0 }, y = { 0 };
	struct kop_list ops = { 0 };
	struct reconcile_stats st;
	assert_int_equal(merge_rebuild(&inc, views, 2, &mp), 0);
	assert_int_equal(reconcile_diff(&inc.desired, &k_inc, PROTO, &ops, &st), 0);
	assert_int_equal(fake_apply(&k_inc, &ops), 0);
	assert_int_equal(fake_apply(&k_full, &ops), 0);
	srand(7);
	unsigned turns = 0;
	for (int step = 0; step < STEPS; step++) {
		changes_clear(&ch);
		int k = 1 + rand() % 4; /* a turn of 1 to 4 changes */
		for (int j = 0; j < k; j++) {
			struct swview *v = &s[rand() % 2];
			struct ol_provider q = p[rand() % N];
			switch (rand() % 4) {
			case 0: q.addrs[0].mac[5] ^= (uint8_t)(1 + rand() % 200); break;
			case 1: q.addrs[0].up = !q.addrs[0].up; break;
			case 2: q.table += N; break;
			case 3: {
				uint8_t b[64];
				int n = wire_name_encode(b, sizeof(b), q.name);
				feed(v, WM_PROVIDER_DEL, b, (size_t)n, &ch);
				continue;
			}
			}
			swview_provider(v, &q, 0, &ch);
		}
		touched.n = 0;
		assert_int_equal(merge_apply(&inc, views, 2, &mp, &ch, &touched), 0);
		turns++;
		assert_int_equal(merge_rebuild(&full, views, 2, &mp), 0);
		assert_true(sets_equal(&inc.desired, &full.desired));
		assert_int_equal(inc.merged.n, full.merged.n);
		/* the kernels: the turn's keys only, and a full diff */
		kobj_set_sort(&k_inc);
		ops.n = 0;
		assert_int_equal(reconcile_diff_keys(&inc.desired, &k_inc, PROTO, &touched, &ops, &st), 0);
		assert_int_equal(fake_apply(&k_inc, &ops), 0);
		ops.n = 0;
		assert_int_equal(reconcile_diff(&full.desired, &k_full, PROTO, &ops, &st), 0);
		assert_int_equal(fake_apply(&k_full, &ops), 0);
		sorted_copy(&k_inc, &x);
		sorted_copy(&k_full, &y);
		assert_true(sets_equal(&x, &y));
		assert_true(sets_equal(&x, &full.desired));
	}
	assert_int_equal(turns, STEPS);
	free(p);
	kop_list_free(&ops);
	kobj_set_free(&k_inc);
	kobj_set_free(&k_full);
	kobj_set_free(&touched);
	kobj_set_free(&x);
	kobj_set_free(&y);
	vec_free(&ch);
	hview_free(&inc);
	hview_free(&full);
	swview_free(&s[0]);
	swview_free(&s[1]);
}

/* Two providers with the same table (two switch agents' configs that
 * disagree) want objects of the same key: only a rebuild can tell which
 * wins, and turns say so. */
static void shared_keys_need_rebuild(void **state)
{
	(void)state;
	struct swview s1 = { 0 };
	struct changes ch = { 0 };
	struct ol_provider p[] = { prov("a", 101, "10.0.1.1", 1, 1), prov("b", 102, "10.0.2.1", 2, 1) };
	snapshot(&s1, p, 2, &ch);
	const struct swview *views[1] = { &s1 };
	struct merge_params mp = mparams();
	struct hview hv = { 0 };
	struct kobj_set touched = { 0 };
	assert_int_equal(merge_rebuild(&hv, views, 1, &mp), 0);
	assert_false(hv.shared_keys);
	changes_clear(&ch);
	struct ol_provider b2 = prov("b", 101, "10.0.2.1", 2, 1); /* b takes a's table */
	swview_provider(&s1, &b2, 0, &ch);
	assert_int_equal(merge_apply(&hv, views, 1, &mp, &ch, &touched), -EAGAIN);
	assert_int_equal(merge_rebuild(&hv, views, 1, &mp), 0);
	assert_true(hv.shared_keys);
	changes_clear(&ch);
	swview_provider(&s1, &b2, 0, &ch);
	assert_int_equal(merge_apply(&hv, views, 1, &mp, &ch, &touched), -EAGAIN); /* until a rebuild finds none */
	kobj_set_free(&touched);
	vec_free(&ch);
	hview_free(&hv);
	swview_free(&s1);
}

/* the MAC's last byte the neighbor of a provider's first address gets in
 * the desired state; -1: no neighbor */
static int neigh_mac(const struct hview *hv, const char *addr)
{
	struct kobj k = { .type = KO_NEIGH, .family = AF_INET, .ifindex = 2 };
	addr_parse(addr, &k.dst);
	const struct kobj *o = kobj_set_find(&hv->desired, &k);
	return o ? o->lladdr[5] : -1;
}

static const struct subst *subst_of(const struct hview *hv, const char *name)
{
	return vec_name_find(&hv->subst, name);
}

/* Backups across switch agents, and a switch held dead: a provider down
 * with a backup takes the MACs of the first live provider along its
 * backups, whichever switch announces it; a dead switch's providers count
 * as down; a cycle and an unknown name substitute nothing and say why. */
static void backups_across_switches(void **state)
{
	(void)state;
	struct swview s1 = { 0 }, s2 = { 0 };
	struct changes ch = { 0 };
	struct ol_provider p1[] = { prov("a", 101, "10.0.1.1", 1, 1), prov("c", 103, "10.0.3.1", 3, 1) };
	struct ol_provider p2[] = { prov("b", 102, "10.0.2.1", 2, 1), prov("d", 104, "10.0.4.1", 4, 1) };
	strcpy(p1[0].backup, "b"); /* a (switch 1) -> b (switch 2) */
	strcpy(p1[1].backup, "a"); /* c -> a -> b */
	strcpy(p2[1].backup, "zz"); /* nobody announces zz */
	snapshot(&s1, p1, 2, &ch);
	snapshot(&s2, p2, 2, &ch);
	const struct swview *views[2] = { &s1, &s2 };
	uint8_t dead[2] = { 0, 0 };
	struct merge_params mp = mparams();
	mp.dead = dead;
	struct hview hv = { 0 };
	struct kobj_set touched = { 0 };

	/* all up: nothing substituted, and a turn of a provider nobody backs
	 * with no backup of its own stays a turn */
	assert_int_equal(merge_rebuild(&hv, views, 2, &mp), 0);
	assert_int_equal(hv.subst.n, 0);
	assert_int_equal(neigh_mac(&hv, "10.0.1.1"), 1);
	changes_clear(&ch);
	struct ol_provider d2 = p2[1];
	d2.backup[0] = 0;
	d2.addrs[0].mac[5] = 44;
	swview_provider(&s2, &d2, 0, &ch);
	assert_int_equal(merge_apply(&hv, views, 2, &mp, &ch, &touched), -EAGAIN); /* its backup went */
	assert_int_equal(merge_rebuild(&hv, views, 2, &mp), 0);
	changes_clear(&ch);
	d2.addrs[0].mac[5] = 45;
	swview_provider(&s2, &d2, 0, &ch);
	assert_int_equal(merge_apply(&hv, views, 2, &mp, &ch, &touched), 0);
	assert_int_equal(neigh_mac(&hv, "10.0.4.1"), 45);

	/* a published down by switch 1 (which cannot substitute b): b's MAC,
	 * and a change to a backup is a rebuild */
	changes_clear(&ch);
	struct ol_provider a_down = p1[0];
	a_down.addrs[0].up = 0;
	swview_provider(&s1, &a_down, 0, &ch);
	assert_int_equal(merge_apply(&hv, views, 2, &mp, &ch, &touched), -EAGAIN);
	assert_int_equal(merge_rebuild(&hv, views, 2, &mp), 0);
	assert_int_equal(neigh_mac(&hv, "10.0.1.1"), 2);
	assert_string_equal(subst_of(&hv, "a")->via, "b");
	assert_true(provider_up(provset_find(&hv.merged, "a")));

	/* switch 1 held dead: a and c both go to b (c through a) */
	changes_clear(&ch);
	swview_provider(&s1, &p1[0], 0, &ch); /* a up again on switch 1 */
	dead[0] = 1;
	assert_int_equal(merge_apply(&hv, views, 2, &mp, &ch, &touched), -EAGAIN);
	assert_int_equal(merge_rebuild(&hv, views, 2, &mp), 0);
	assert_int_equal(neigh_mac(&hv, "10.0.1.1"), 2);
	assert_int_equal(neigh_mac(&hv, "10.0.3.1"), 2);
	assert_string_equal(subst_of(&hv, "c")->via, "b");
	/* tables and rules stay where they were */
	struct kobj rule = { .type = KO_RULE, .family = AF_INET, .table = 103, .fwmark = 103, .priority = 1000 };
	assert_non_null(kobj_set_find(&hv.desired, &rule));

	/* switch 1 alive again: its own MACs */
	dead[0] = 0;
	assert_int_equal(merge_rebuild(&hv, views, 2, &mp), 0);
	assert_int_equal(neigh_mac(&hv, "10.0.1.1"), 1);
	assert_int_equal(neigh_mac(&hv, "10.0.3.1"), 3);
	assert_int_equal(hv.subst.n, 0);

	/* switch 2 dead: b has no backup (down, no neighbor); d's backup is
	 * unknown: down, and status says why */
	dead[1] = 1;
	changes_clear(&ch);
	swview_provider(&s2, &p2[1], 0, &ch);
	assert_int_equal(merge_rebuild(&hv, views, 2, &mp), 0);
	assert_int_equal(neigh_mac(&hv, "10.0.2.1"), -1);
	assert_int_equal(neigh_mac(&hv, "10.0.4.1"), -1);
	assert_string_equal(subst_of(&hv, "d")->via, "");
	assert_string_equal(subst_of(&hv, "d")->why, "no switch agent announces it");

	/* a cycle across switches: a -> b -> a, both down */
	dead[1] = 0;
	struct ol_provider b_cyc = p2[0];
	strcpy(b_cyc.backup, "a");
	b_cyc.addrs[0].up = 0;
	swview_provider(&s2, &b_cyc, 0, &ch);
	swview_provider(&s1, &a_down, 0, &ch);
	struct ol_provider c_down = p1[1];
	c_down.addrs[0].up = 0;
	swview_provider(&s1, &c_down, 0, &ch); /* c -> a -> b -> a */
	assert_int_equal(merge_rebuild(&hv, views, 2, &mp), 0);
	assert_int_equal(hv.cycles, 2); /* a and b; c only leads into it */
	assert_string_equal(hv.cycle, "a -> b -> a");
	assert_int_equal(neigh_mac(&hv, "10.0.1.1"), -1);
	assert_int_equal(neigh_mac(&hv, "10.0.3.1"), -1);
	assert_string_equal(subst_of(&hv, "a")->why, "its backups go round in a cycle");
	assert_string_equal(subst_of(&hv, "c")->why, "its backups go round in a cycle");
	/* b up again (still a's backup, its own backup a): a and c take its
	 * MAC, and the cycle is still reported */
	struct ol_provider b_up = p2[0];
	strcpy(b_up.backup, "a");
	swview_provider(&s2, &b_up, 0, &ch);
	assert_int_equal(merge_rebuild(&hv, views, 2, &mp), 0);
	assert_int_equal(hv.cycles, 2);
	assert_int_equal(neigh_mac(&hv, "10.0.1.1"), 2);
	assert_int_equal(neigh_mac(&hv, "10.0.3.1"), 2);

	kobj_set_free(&touched);
	vec_free(&ch);
	hview_free(&hv);
	swview_free(&s1);
	swview_free(&s2);
}

/* A switch agent's word on another (WM_SWITCH): kept by name, a change
 * flagged for the caller, a malformed one breaks the session. */
static void switch_reports(void **state)
{
	(void)state;
	struct swview v = { 0 };
	struct changes ch = { 0 };
	uint8_t b[64];
	int n = wire_switch_encode(b, sizeof(b), "swa", 1);
	assert_int_equal(feed(&v, WM_SWITCH, b, (size_t)n, &ch), 0);
	assert_true(v.reports_changed);
	assert_int_equal(v.reports.n, 1);
	assert_int_equal(((struct swreport *)vec_name_find(&v.reports, "swa"))->dead, 1);
	v.reports_changed = 0;
	assert_int_equal(feed(&v, WM_SWITCH, b, (size_t)n, &ch), 0);
	assert_false(v.reports_changed); /* the same word again */
	n = wire_switch_encode(b, sizeof(b), "swa", 0);
	assert_int_equal(feed(&v, WM_SWITCH, b, (size_t)n, &ch), 0);
	assert_true(v.reports_changed);
	assert_int_equal(v.reports.v[0].dead, 0);
	assert_int_equal(feed(&v, WM_SWITCH, b, (size_t)n - 1, &ch), -1);
	assert_false(ch.full);
	assert_int_equal(ch.n, 0); /* no provider changed */
	vec_free(&ch);
	swview_free(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(snapshot_staged),
		cmocka_unit_test(generations_order_changes),
		cmocka_unit_test(datagrams),
		cmocka_unit_test(merge_several_switches),
		cmocka_unit_test(turns_equal_rebuilds),
		cmocka_unit_test(shared_keys_need_rebuild),
		cmocka_unit_test(backups_across_switches),
		cmocka_unit_test(switch_reports),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
