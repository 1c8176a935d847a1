/* A fake kernel for unit tests: a set of objects that kernel operations
 * change the way the real one would (add fails on an existing key, replace
 * overwrites, delete removes). */
#ifndef OL_FAKE_KERNEL_H
#define OL_FAKE_KERNEL_H
#include "kernel/reconcile.h"
#include <errno.h>
#include <string.h>

static inline struct kobj *fake_find(struct kobj_set *k, const struct kobj *o)
{
	for (size_t i = 0; i < k->n; i++)
		if (!kobj_key_cmp(&k->v[i], o))
			return &k->v[i];
	return NULL;
}

/* Returns the number of failed operations. */
static inline int fake_apply(struct kobj_set *k, const struct kop_list *ops)
{
	int failed = 0;
	for (size_t i = 0; i < ops->n; i++) {
		const struct kop *op = &ops->v[i];
		struct kobj *cur = fake_find(k, &op->obj);
		switch (op->op) {
		case KOP_ADD:
			if (cur)
				failed++;
			else
				kobj_set_add(k, &op->obj);
			break;
		case KOP_REPLACE:
			if (cur)
				*cur = op->obj;
			else
				kobj_set_add(k, &op->obj);
			break;
		case KOP_DEL:
			if (!cur)
				failed++;
			else
				*cur = k->v[--k->n];
			break;
		}
	}
	return failed;
}
#endif
