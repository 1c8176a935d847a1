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

/* A kernel operation on an object, as the reconciler plans them and the
 * netlink layer applies them. */
enum kop_type { KOP_ADD = 1, KOP_REPLACE = 2, KOP_DEL = 3 };

struct kop {
	enum kop_type op;
	struct kobj obj;
};

struct kop_list {
	struct kop *v;
	size_t n, cap;
};

void kop_list_free(struct kop_list *l);
/* Takes the operations drop() says yes to out of the list (order kept);
 * returns how many. kop_list_drop: those of one type. */
size_t kop_list_drop_if(struct kop_list *l, int (*drop)(const struct kop *k, const void *arg), const void *arg);
size_t kop_list_drop(struct kop_list *l, enum kop_type op);

int kobj_set_add(struct kobj_set *s, const struct kobj *o);
void kobj_set_free(struct kobj_set *s);
/* Sorted by key (kobj_key_cmp); the three below need a sorted set. */
void kobj_set_sort(struct kobj_set *s);
struct kobj *kobj_set_find(const struct kobj_set *s, const struct kobj *key);
int kobj_set_upsert(struct kobj_set *s, const struct kobj *o);
void kobj_set_remove(struct kobj_set *s, const struct kobj *key);
/* Identity of an object as the kernel keys it; 0 when the same object. */
int kobj_key_cmp(const struct kobj *a, const struct kobj *b);
/* Same identity and same attributes. */
int kobj_equal(const struct kobj *a, const struct kobj *b);
/* "neigh 10.0.1.1 lladdr 02:.. dev 3": for logs and errors */
const char *kobj_str(const struct kobj *o, char *buf, size_t len);
#endif
