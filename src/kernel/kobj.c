/* Kernel object sets and comparisons. */
#include "kernel/kobj.h"
#include "base/vec.h"
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int kobj_set_add(struct kobj_set *s, const struct kobj *o)
{
	return vec_push(s, *o);
}

void kobj_set_free(struct kobj_set *s)
{
	vec_free(s);
}

void kop_list_free(struct kop_list *l)
{
	vec_free(l);
}

size_t kop_list_drop_if(struct kop_list *l, int (*drop)(const struct kop *k, const void *arg), const void *arg)
{
	size_t k = 0;
	for (size_t i = 0; i < l->n; i++)
		if (!drop(&l->v[i], arg))
			l->v[k++] = l->v[i];
	size_t dropped = l->n - k;
	l->n = k;
	return dropped;
}

static int is_op(const struct kop *k, const void *arg)
{
	return k->op == *(const enum kop_type *)arg;
}

size_t kop_list_drop(struct kop_list *l, enum kop_type op)
{
	return kop_list_drop_if(l, is_op, &op);
}

static int cmp_kobj(const void *a, const void *b)
{
	return kobj_key_cmp(a, b);
}

void kobj_set_sort(struct kobj_set *s)
{
	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), cmp_kobj);
}


struct kobj *kobj_set_find(const struct kobj_set *s, const struct kobj *key)
{
	return s->n ? bsearch(key, s->v, s->n, sizeof(*s->v), cmp_kobj) : NULL;
}

/* index of the first element not less than key */
static size_t lower_bound(const struct kobj_set *s, const struct kobj *key)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (kobj_key_cmp(&s->v[mid], key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int kobj_set_upsert(struct kobj_set *s, const struct kobj *o)
{
	size_t i = lower_bound(s, o);
	if (i < s->n && !kobj_key_cmp(&s->v[i], o)) {
		s->v[i] = *o;
		return 0;
	}
	int r = kobj_set_add(s, o); /* grows the array; the element moves below */
	if (r)
		return r;
	memmove(&s->v[i + 1], &s->v[i], (s->n - 1 - i) * sizeof(*s->v));
	s->v[i] = *o;
	return 0;
}

void kobj_set_remove(struct kobj_set *s, const struct kobj *key)
{
	size_t i = lower_bound(s, key);
	if (i < s->n && !kobj_key_cmp(&s->v[i], key)) {
		memmove(&s->v[i], &s->v[i + 1], (s->n - 1 - i) * sizeof(*s->v));
		s->n--;
	}
}

#define CMP(x, y) do { if ((x) != (y)) return (x) < (y) ? -1 : 1; } while (0)

int kobj_key_cmp(const struct kobj *a, const struct kobj *b)
{
	int r;
	CMP(a->type, b->type);
	CMP(a->family, b->family);
	switch (a->type) {
	case KO_ADDR:
		CMP(a->ifindex, b->ifindex);
		CMP(a->dst_len, b->dst_len);
		if ((r = addr_cmp(&a->dst, &b->dst)))
			return r;
		return addr_cmp(&a->gw, &b->gw);
	case KO_NEIGH:
		CMP(a->ifindex, b->ifindex);
		return addr_cmp(&a->dst, &b->dst);
	case KO_ROUTE:
		CMP(a->table, b->table);
		CMP(a->dst_len, b->dst_len);
		return addr_cmp(&a->dst, &b->dst);
	case KO_RULE:
		CMP(a->priority, b->priority);
		CMP(a->fwmark, b->fwmark);
		CMP(a->table, b->table);
		CMP(a->dst_len, b->dst_len);
		return a->dst_len ? addr_cmp(&a->dst, &b->dst) : 0;
	}
	return 0;
}

int kobj_equal(const struct kobj *a, const struct kobj *b)
{
	if (kobj_key_cmp(a, b) || a->proto != b->proto)
		return 0;
	switch (a->type) {
	case KO_NEIGH:
		/* a managed entry's state and MAC are the kernel's business */
		if (a->managed || b->managed)
			return a->managed == b->managed;
		return a->state == b->state && !memcmp(a->lladdr, b->lladdr, 6);
	case KO_ROUTE:
		return a->rtype == b->rtype && a->ifindex == b->ifindex && a->onlink == b->onlink &&
		       !addr_cmp(&a->gw, &b->gw) && !addr_cmp(&a->src, &b->src);
	default:
		return 1;
	}
}

/* An interface's name for a log line. if_indextoname() opens a socket
 * each time (three system calls): a log line of each kernel write paid for
 * them, so the last answer is kept for a second (a rename shows at most a
 * second late in logs). */
static const char *ifname(int ifindex, char buf[IF_NAMESIZE])
{
	static int last_index;
	static char last_name[IF_NAMESIZE];
	static uint64_t last_ms;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	uint64_t now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	if (ifindex && ifindex == last_index && now - last_ms < 1000)
		return memcpy(buf, last_name, IF_NAMESIZE);
	if (!if_indextoname((unsigned)ifindex, buf)) {
		snprintf(buf, IF_NAMESIZE, "#%d", ifindex);
		return buf;
	}
	last_index = ifindex;
	last_ms = now;
	memcpy(last_name, buf, IF_NAMESIZE);
	return buf;
}

const char *kobj_str(const struct kobj *o, char *buf, size_t len)
{
	char d[ADDR_STRLEN], g[ADDR_STRLEN], m[MAC_STRLEN], dev[IF_NAMESIZE];
	switch (o->type) {
	case KO_ADDR:
		snprintf(buf, len, "address %s peer %s/%u dev %s", addr_str(&o->dst, d, sizeof(d)),
			 addr_str(&o->gw, g, sizeof(g)), o->dst_len, ifname(o->ifindex, dev));
		break;
	case KO_NEIGH:
		if (o->managed)
			snprintf(buf, len, "neighbor %s managed dev %s", addr_str(&o->dst, d, sizeof(d)),
				 ifname(o->ifindex, dev));
		else
			snprintf(buf, len, "neighbor %s lladdr %s dev %s", addr_str(&o->dst, d, sizeof(d)),
				 mac_str(o->lladdr, m, sizeof(m)), ifname(o->ifindex, dev));
		break;
	case KO_ROUTE:
		snprintf(buf, len, "route %s%s/%u%s%s table %u", o->rtype == 7 ? "unreachable " : "",
			 o->dst.family ? addr_str(&o->dst, d, sizeof(d)) : "default", o->dst_len,
			 o->gw.family ? " via " : "", o->gw.family ? addr_str(&o->gw, g, sizeof(g)) : "", o->table);
		break;
	case KO_RULE:
		if (o->dst_len)
			snprintf(buf, len, "rule %s pref %u to %s/%u fwmark %u lookup %u", o->family == 2 ? "ipv4" : "ipv6",
				 o->priority, addr_str(&o->dst, d, sizeof(d)), o->dst_len, o->fwmark, o->table);
		else
			snprintf(buf, len, "rule %s pref %u fwmark %u lookup %u", o->family == 2 ? "ipv4" : "ipv6",
				 o->priority, o->fwmark, o->table);
		break;
	default:
		snprintf(buf, len, "?");
	}
	return buf;
}
