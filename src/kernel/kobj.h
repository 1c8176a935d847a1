/* Kernel objects onlink owns on a host (addresses, neighbors, routes,
 * rules), in one shape whether they are wanted (desired.c) or found in the
 * kernel (nl.c dumps). */
#ifndef OL_KOBJ_H
#define OL_KOBJ_H
#include "base/addr.h"
#include <stddef.h>
#include <stdint.h>

enum kobj_type { KO_ADDR = 1, KO_NEIGH = 2, KO_ROUTE = 3, KO_RULE = 4 };

struct kobj {
	uint8_t type, family, proto;
	uint8_t dst_len;        /* addr prefix length; route prefix length */
	int ifindex;            /* addr, neigh: device; route: output device */
	struct ol_addr dst;     /* addr: local; neigh: neighbor; route: prefix */
	struct ol_addr gw;      /* addr: peer; route: gateway */
	struct ol_addr src;     /* route: preferred source */
	uint8_t lladdr[6];      /* neigh */
	uint16_t state;         /* neigh: NUD_* */
	uint8_t managed;        /* neigh: the kernel resolves it and keeps it resolved (NTF_EXT_MANAGED) */
	uint8_t rtype;          /* route: RTN_UNICAST, RTN_UNREACHABLE */
	uint8_t onlink;         /* route: RTNH_F_ONLINK */
	uint32_t table;         /* route, rule */
	uint32_t fwmark;        /* rule */
	uint32_t priority;      /* rule */
};

struct kobj_set {
	struct kobj *v;
	size_t n, cap;
};

int kobj_set_add(struct kobj_set *s, const struct kobj *o);
void kobj_set_free(struct kobj_set *s);
/* Sorted by key (kobj_key_cmp); the three below need a sorted set. */
void kobj_set_sort(struct kobj_set *s);
struct kobj *kobj_set_find(const struct kobj_set *s, const struct kobj *key);
int kobj_set_upsert(struct kobj_set *s, const struct kobj *o);
void kobj_set_remove(struct kobj_set *s, const struct kobj *key);
/* A set rebuilt from scratch for every change (the host's desired state)
 * mostly has the same keys in the same build order as last time: the
 * order found then is reused after an O(n) check, instead of an
 * O(n log n) sort (which was most of a host agent's work per change with
 * 500 providers). */
struct kobj_sort_cache {
	struct kobj *keys;      /* the last build, in build order */
	size_t *perm;           /* sorted position i holds build element perm[i] */
	struct kobj *tmp;       /* scratch, swapped with the set's array */
	size_t n, cap, tmpcap;
	unsigned long hits, misses;
};
/* Sorts s as kobj_set_sort does. */
void kobj_set_sort_cached(struct kobj_set *s, struct kobj_sort_cache *c);
void kobj_sort_cache_free(struct kobj_sort_cache *c);
/* Identity of an object as the kernel keys it; 0 when the same object. */
int kobj_key_cmp(const struct kobj *a, const struct kobj *b);
/* Same identity and same attributes. */
int kobj_equal(const struct kobj *a, const struct kobj *b);
/* "neigh 10.0.1.1 lladdr 02:.. dev 3": for logs and errors */
const char *kobj_str(const struct kobj *o, char *buf, size_t len);
#endif
