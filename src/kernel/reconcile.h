/* The one reconciler: desired minus actual, as an ordered list of kernel
 * operations. Pure: no kernel, unit-tested against a fake one. */
#ifndef OL_RECONCILE_H
#define OL_RECONCILE_H
#include "kernel/kobj.h"

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
/* The same decisions, for the given keys only (sorted here; repeats are
 * fine): an incremental turn's diff, O(k log n) for k keys. want and have
 * must be sorted. */
int reconcile_diff_keys(const struct kobj_set *want, const struct kobj_set *have, uint8_t proto,
			struct kobj_set *keys, struct kop_list *ops, struct reconcile_stats *st);
#endif
