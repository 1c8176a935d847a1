/* The one reconciler: desired minus actual, as an ordered list of kernel
 * operations. Pure: no kernel, unit-tested against a fake one. */
#ifndef OL_RECONCILE_H
#define OL_RECONCILE_H
#include "kernel/kobj.h"

enum kop_type { KOP_ADD = 1, KOP_REPLACE = 2, KOP_DEL = 3 };

struct kop {
	enum kop_type op;
	struct kobj obj;
};

struct kop_list {
	struct kop *v;
	size_t n, cap;
};

struct reconcile_stats {
	unsigned adopted;   /* ours already, left as they are */
	unsigned conflicts; /* wanted, but a foreign object holds the key: left alone */
};

/* want: what onlink wants. have: what the kernel holds: every address and
 * neighbor on the uplink (ours or not), and the routes and rules carrying
 * `proto`. Objects onlink does not own are never changed, except neighbor
 * entries the kernel learned by itself (not permanent, no protocol), which
 * are taken over. Deletes come first, rules before routes before neighbors
 * before addresses; then additions in the opposite order. */
int reconcile_diff(const struct kobj_set *want, const struct kobj_set *have, uint8_t proto,
		   struct kop_list *ops, struct reconcile_stats *st);
void kop_list_free(struct kop_list *l);
#endif
