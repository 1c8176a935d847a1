/* Desired-vs-actual diff. Both sides are sorted by key and walked once. */
#include "kernel/reconcile.h"
#include "base/vec.h"
#include <errno.h>
#include <linux/neighbour.h>
#include <stdlib.h>
#include <string.h>

static int push(struct kop_list *l, enum kop_type op, const struct kobj *o)
{
	return vec_push(l, ((struct kop){ .op = op, .obj = *o }));
}

static int cmp_ptr(const void *a, const void *b)
{
	return kobj_key_cmp(*(const struct kobj *const *)a, *(const struct kobj *const *)b);
}

static const struct kobj **sorted(const struct kobj_set *s)
{
	const struct kobj **p = malloc((s->n ? s->n : 1) * sizeof(*p));
	if (!p)
		return NULL;
	int in_order = 1;
	for (size_t i = 0; i < s->n; i++) {
		p[i] = &s->v[i];
		in_order = in_order && (!i || kobj_key_cmp(p[i - 1], p[i]) <= 0);
	}
	/* the host agent's sets come sorted: one pass tells */
	if (s->n && !in_order)
		qsort(p, s->n, sizeof(*p), cmp_ptr);
	return p;
}

static int kernel_learned(const struct kobj *o)
{
	return o->type == KO_NEIGH && o->proto == 0 && !(o->state & (NUD_PERMANENT | NUD_NOARP));
}

/* stable order for applying: deletes by descending type, then adds/replaces
 * by ascending type */
static int op_rank(const struct kop *k)
{
	return k->op == KOP_DEL ? 10 - k->obj.type : 10 + k->obj.type;
}

static int cmp_op(const void *a, const void *b)
{
	const struct kop *x = a, *y = b;
	int rx = op_rank(x), ry = op_rank(y);
	if (rx != ry)
		return rx - ry;
	return kobj_key_cmp(&x->obj, &y->obj);
}

/* One key: what is wanted (w) against what the kernel holds (h), either
 * NULL when absent. */
static int decide(const struct kobj *w, const struct kobj *h, uint8_t proto, struct kop_list *ops,
		  struct reconcile_stats *st)
{
	if (!h)
		return w ? push(ops, KOP_ADD, w) : 0;
	if (!w)
		return h->proto == proto ? push(ops, KOP_DEL, h) : 0;
	if (h->proto == proto) {
		if (!kobj_equal(w, h))
			return push(ops, KOP_REPLACE, w);
		st->adopted++;
		return 0;
	}
	if (kernel_learned(h))
		return push(ops, KOP_REPLACE, w);
	st->conflicts++;
	return 0;
}

static void order_ops(struct kop_list *ops)
{
	if (ops->n) /* qsort() takes no NULL array, even empty */
		qsort(ops->v, ops->n, sizeof(*ops->v), cmp_op);
}

int reconcile_diff(const struct kobj_set *want, const struct kobj_set *have, uint8_t proto,
		   struct kop_list *ops, struct reconcile_stats *st)
{
	const struct kobj **w = sorted(want), **h = sorted(have);
	size_t i = 0, j = 0;
	int r = 0;

	memset(st, 0, sizeof(*st));
	if (!w || !h) {
		r = -ENOMEM;
		goto out;
	}
	while (!r && (i < want->n || j < have->n)) {
		int c = i == want->n ? 1 : j == have->n ? -1 : kobj_key_cmp(w[i], h[j]);
		if (c < 0)
			r = decide(w[i++], NULL, proto, ops, st);
		else if (c > 0)
			r = decide(NULL, h[j++], proto, ops, st);
		else
			r = decide(w[i++], h[j++], proto, ops, st);
	}
	if (!r)
		order_ops(ops);
out:
	free(w);
	free(h);
	return r;
}

int reconcile_diff_keys(const struct kobj_set *want, const struct kobj_set *have, uint8_t proto,
			struct kobj_set *keys, struct kop_list *ops, struct reconcile_stats *st)
{
	int r = 0;
	memset(st, 0, sizeof(*st));
	kobj_set_sort(keys);
	for (size_t i = 0; !r && i < keys->n; i++) {
		if (i && !kobj_key_cmp(&keys->v[i - 1], &keys->v[i]))
			continue;
		r = decide(kobj_set_find(want, &keys->v[i]), kobj_set_find(have, &keys->v[i]), proto, ops, st);
	}
	if (!r)
		order_ops(ops);
	return r;
}
