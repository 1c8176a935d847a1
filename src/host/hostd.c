/* The host agent: one connection per switch agent, the merged provider
 * view, and the reconciler that keeps the kernel equal to it. */
#include "host/hostd.h"
#include "proto/conn.h"
#include "base/control.h"
#include "conf/daemon.h"
#include "proto/json.h"
#include "kernel/nft.h"
#include "host/steer.h"
#include <linux/neighbour.h>
#include <sys/ioctl.h>
#include "base/log.h"
#include "base/loop.h"
#include "kernel/nl.h"
#include "kernel/reconcile.h"
#include "host/desired.h"
#include "host/fastrx.h"
#include <errno.h>
#include <jansson.h>
#include <stddef.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define HANDSHAKE_MS 10000
#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 30000
#define STARTUP_GRACE_MS 5000
#define KERNEL_DEBOUNCE_MS 20
/* a reconcile writing more objects than this (a snapshot, a burst of
 * changes) logs one summary line at info level, each write at debug */
#define LOG_EACH_MAX 32

enum sw_state { SW_IDLE, SW_CONNECTING, SW_HANDSHAKE, SW_UP };

struct provset {
	struct ol_provider *v;
	size_t n, cap;
};

struct egset {
	struct ol_egress *v;
	size_t n, cap;
};

struct hostdir {
	struct dir_host {
		char name[OL_NAME_MAX];
		struct ol_addr addr;
	} *v;
	size_t n, cap;
};

struct hostd;

struct swlink {
	struct hostd *h;
	const struct cfg_switchref *cfg;
	struct loop_src src;
	struct conn c;
	enum sw_state state;
	struct timer retry;
	unsigned backoff_ms;
	uint64_t started_ms;
	struct provset provs, stage;
	struct egset egress, egress_stage;
	struct hostdir dir, dir_stage;
	int in_snapshot, have_snapshot;
	uint64_t gen;            /* WM_GEN: of the session's provider messages that follow */
	struct fastrx fast;      /* the switch agent's fast path, once it named one */
	struct loop_src fast_src;
	unsigned long stale;     /* provider messages older than what we hold */
	time_t since;
	int want_out;
	unsigned long sessions;  /* authenticated, reconnects included */
};

struct pstate {  /* for status: when each provider last changed up/down */
	char name[OL_NAME_MAX];
	int up;
	time_t since;
	const char *from;
};

struct hostd {
	struct config *cfg;
	struct nl *nl;
	struct loop_src nl_src, sig_src;
	struct swlink sw[CFG_SWITCHES_MAX];
	struct timer reconcile_t, keepalive_t, startup_t;
	int ifindex;
	struct provset merged;
	struct egset merged_egress;
	struct hostdir merged_dir;
	int lo_ifindex;
	char *steer_applied;     /* the steering script last applied */
	unsigned long steer_errors;
	struct pstate *ps;       /* sorted by name */
	size_t nps, capps;
	struct kobj_set desired; /* sorted by key */
	struct kobj_sort_cache desired_order;
	/* What the kernel holds in onlink's scope, kept from notifications so a
	 * change costs no dump (a route dump walks the whole FIB, which holds
	 * the Internet table here). Dumped again when invalid: at start, after
	 * an overrun, after a failed write, and after changes the kernel does
	 * not fully report (a foreign address change, the uplink's state). */
	struct kobj_set have;
	int have_valid;
	int uplink_up;           /* administratively up and carrier; -1: not known yet */
	int uplink_admin;        /* administratively up: routes through it can be written */
	int ready;
	int changed;             /* a switch's state changed in this read batch */
	/* what a batch of kernel events asks for, done once the batch is read:
	 * the work dumps and writes through netlink, which must not happen
	 * while the notification buffer is being walked */
	int ev_update, ev_steer;
	volatile int stop, reload;
	struct ratelimit rl_kernel, rl_peer;
	unsigned long reconciles, repairs, kernel_errors, resyncs, dumps;
	unsigned long kernel_sends, kernel_requests;
	unsigned repair_streak;  /* back-to-back repairs that changed something */
};

/* ---- provider sets, host directories, provider states ----
 * Arrays kept sorted by name (each element starts with its name), so that
 * a look-up is a binary search: with 500 providers and 1000 hosts, linear
 * look-ups in every update cost a host agent milliseconds per change. */

/* index of the first element whose name is not below name */
static size_t by_name(const void *base, size_t n, size_t size, const char *name)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp((const char *)base + mid * size, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void *find_name(void *base, size_t n, size_t size, const char *name)
{
	size_t i = by_name(base, n, size, name);
	return i < n && !strcmp((char *)base + i * size, name) ? (char *)base + i * size : NULL;
}

/* The element named name, made (zeroed but for its name) where it sorts
 * if absent; *fresh says which. NULL when out of memory. */
static void *put_name(void **base, size_t *n, size_t *cap, size_t size, const char *name, int *fresh)
{
	/* appending in order (building from another sorted array) is the
	 * common case: one comparison */
	int after_last = !*n || strcmp((char *)*base + (*n - 1) * size, name) < 0;
	size_t i = after_last ? *n : by_name(*base, *n, size, name);
	*fresh = 0;
	if (i < *n && !strcmp((char *)*base + i * size, name))
		return (char *)*base + i * size;
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		void *v = realloc(*base, c * size);
		if (!v)
			return NULL;
		*base = v;
		*cap = c;
	}
	char *e = (char *)*base + i * size;
	memmove(e + size, e, (*n - i) * size);
	memset(e, 0, size);
	snprintf(e, OL_NAME_MAX, "%s", name);
	(*n)++;
	*fresh = 1;
	return e;
}

static struct ol_provider *provset_find(struct provset *s, const char *name)
{
	return find_name(s->v, s->n, sizeof(*s->v), name);
}

static int provset_put(struct provset *s, const struct ol_provider *p)
{
	int fresh;
	struct ol_provider *o = put_name((void **)&s->v, &s->n, &s->cap, sizeof(*s->v), p->name, &fresh);
	if (!o)
		return -ENOMEM;
	*o = *p;
	return 0;
}

static void provset_del(struct provset *s, const char *name)
{
	struct ol_provider *o = provset_find(s, name);
	if (o) {
		memmove(o, o + 1, (size_t)(s->v + s->n - (o + 1)) * sizeof(*o));
		s->n--;
	}
}

static void provset_free(struct provset *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static int egset_put(struct egset *s, const struct ol_egress *e)
{
	for (size_t i = 0; i < s->n; i++)
		if (!addr_cmp(&s->v[i].addr, &e->addr)) {
			s->v[i] = *e;
			return 0;
		}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4;
		void *v = realloc(s->v, cap * sizeof(*s->v));
		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = *e;
	return 0;
}

static void egset_free(struct egset *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static int hostdir_put(struct hostdir *d, const char *name, const struct ol_addr *a)
{
	int fresh;
	struct dir_host *e = put_name((void **)&d->v, &d->n, &d->cap, sizeof(*d->v), name, &fresh);
	if (!e)
		return -ENOMEM;
	e->addr = *a;
	return 0;
}

static void hostdir_free(struct hostdir *d)
{
	free(d->v);
	memset(d, 0, sizeof(*d));
}

/* Another host holds a slice of a shared address this host also serves. */
static int peer_host_steered(const struct hostd *h, const char *name)
{
	if (!strcmp(name, h->cfg->name))
		return 0;
	for (size_t i = 0; i < h->merged_egress.n; i++)
		if (egress_slice_of(&h->merged_egress.v[i], name))
			return 1;
	return 0;
}

/* ---- reconcile ---- */

static const char *op_verb(enum kop_type op)
{
	return op == KOP_ADD ? "add" : op == KOP_REPLACE ? "replace" : "delete";
}

static void reconcile(struct hostd *h, int repair)
{
	struct kop_list ops = { 0 };
	struct reconcile_stats st;
	char msg[256], buf[160];
	int r;

	if (!h->ready)
		return;
	if (!h->ifindex) {
		log_limited(&h->rl_kernel, LOG_WARNING, "uplink %s not present: waiting for it", h->cfg->ifname);
		return;
	}
	if (!h->uplink_admin)
		return; /* the kernel refuses routes through a link that is down: written when it comes up */
	h->reconciles++;
	r = 0;
	if (!h->have_valid) {
		h->have.n = 0;
		r = nl_dump_owned(h->nl, h->ifindex, OL_PROTO, &h->have);
		kobj_set_sort(&h->have);
		h->have_valid = !r;
		h->dumps++;
	}
	if (!r)
		r = reconcile_diff(&h->desired, &h->have, OL_PROTO, &ops, &st);
	if (r) {
		log_limited(&h->rl_kernel, LOG_ERR, "reconcile: %s; retrying", strerror(-r));
		timer_arm(&h->reconcile_t, 1000, 0);
		goto out;
	}
	if (st.conflicts)
		log_limited(&h->rl_kernel, LOG_WARNING, "%u wanted objects are held by objects onlink does not own: left alone",
			    st.conflicts);
	if (!ops.n)
		h->repair_streak = 0;
	if (ops.n) {
		int *errs = calloc(ops.n, sizeof(*errs));
		int failed = errs ? nl_apply(h->nl, ops.v, ops.n, errs, msg, sizeof(msg)) : (int)ops.n;
		unsigned count[KOP_DEL + 1] = { 0 };
		nl_apply_counts(h->nl, &h->kernel_sends, &h->kernel_requests);
		/* each write at info level, or (many writes) at debug level */
		int each = ops.n <= LOG_EACH_MAX ? LOG_INFO : LOG_DEBUG, show = log_enabled(each);
		for (size_t i = 0; errs && i < ops.n; i++) {
			const struct kop *k = &ops.v[i];
			if (errs[i]) {
				h->kernel_errors++;
				log_limited(&h->rl_kernel, LOG_ERR, "%s %s: %s%s%s", op_verb(k->op),
					    kobj_str(&k->obj, buf, sizeof(buf)), strerror(-errs[i]), msg[0] ? ": " : "", msg);
				continue;
			}
			if (k->op == KOP_DEL)
				kobj_set_remove(&h->have, &k->obj);
			else
				kobj_set_upsert(&h->have, &k->obj);
			count[k->op]++;
			if (show)
				log_msg(each, "%s%s %s", repair ? "repair: " : "", op_verb(k->op), kobj_str(&k->obj, buf, sizeof(buf)));
		}
		if (ops.n > LOG_EACH_MAX)
			log_info("%s%zu kernel writes: %u added, %u replaced, %u deleted, %d failed (each one with -v)",
				 repair ? "repair: " : "", ops.n, count[KOP_ADD], count[KOP_REPLACE], count[KOP_DEL], failed);
		free(errs);
		if (repair) {
			h->repairs += ops.n - (size_t)failed;
			/* Something keeps changing what onlink owns (or the kernel
			 * reports an object differently than it was written): slow
			 * down instead of fighting in a tight loop. */
			if (++h->repair_streak == 10)
				log_warn("kernel state keeps diverging (last: %s %s); repairing at most once a second",
					 op_verb(ops.v[ops.n - 1].op), kobj_str(&ops.v[ops.n - 1].obj, buf, sizeof(buf)));
		}
		if (failed) {
			h->have_valid = 0; /* something in the kernel is not as the cache says */
			timer_arm(&h->reconcile_t, 1000, 0);
		}
	}
out:
	kop_list_free(&ops);
}

static void pstate_update(struct hostd *h)
{
	/* both sorted by name: one walk */
	size_t j = 0;
	for (size_t i = 0; i < h->merged.n; i++) {
		const struct ol_provider *p = &h->merged.v[i];
		int fresh = 0;
		while (j < h->nps && strcmp(h->ps[j].name, p->name) < 0)
			j++;
		struct pstate *s = j < h->nps && !strcmp(h->ps[j].name, p->name) ? &h->ps[j] :
				   put_name((void **)&h->ps, &h->nps, &h->capps, sizeof(*h->ps), p->name, &fresh);
		if (!s)
			return;
		j = (size_t)(s - h->ps);
		if (fresh)
			s->up = -1;
		if (s->up != provider_up(p)) {
			s->up = provider_up(p);
			s->since = time(NULL);
			log_info("provider %s %s (table %u)", p->name, s->up ? "up" : "down", p->table);
		}
	}
}

static void steer_update(struct hostd *h);

/* The merged view: for each provider, the first switch (in config order)
 * that reports it up, else the first that reports it at all. */
static void update(struct hostd *h)
{
	struct host_params hp = {
		.ifindex = h->ifindex, .local4 = h->cfg->local4, .local6 = h->cfg->local6,
		.rule_priority = h->cfg->rule_priority, .proto = OL_PROTO,
	};
	unsigned bad = 0;

	h->merged.n = 0;
	h->merged_egress.n = 0;
	h->merged_dir.n = 0;
	for (unsigned i = 0; i < h->cfg->nswitches; i++) {
		/* egress tables and hosts: the first switch (in config order) that has one */
		struct swlink *s = &h->sw[i];
		for (size_t k = 0; k < s->dir.n; k++) {
			int fresh;
			struct dir_host *d = put_name((void **)&h->merged_dir.v, &h->merged_dir.n, &h->merged_dir.cap,
						      sizeof(*h->merged_dir.v), s->dir.v[k].name, &fresh);
			if (d && fresh)
				d->addr = s->dir.v[k].addr;
		}
		for (size_t k = 0; k < s->egress.n; k++) {
			size_t m;
			for (m = 0; m < h->merged_egress.n; m++)
				if (!addr_cmp(&h->merged_egress.v[m].addr, &s->egress.v[k].addr))
					break;
			if (m == h->merged_egress.n)
				egset_put(&h->merged_egress, &s->egress.v[k]);
		}
	}
	for (unsigned i = 0; i < h->cfg->nswitches; i++) {
		struct swlink *s = &h->sw[i];
		for (size_t k = 0; k < s->provs.n; k++) {
			const struct ol_provider *p = &s->provs.v[k];
			int fresh;
			struct ol_provider *m = put_name((void **)&h->merged.v, &h->merged.n, &h->merged.cap,
							 sizeof(*h->merged.v), p->name, &fresh);
			if (m && (fresh || (!provider_up(m) && provider_up(p))))
				*m = *p;
		}
	}
	pstate_update(h);
	h->desired.n = 0;
	if (desired_build(h->merged.v, h->merged.n, &hp, &h->desired, &bad) ||
	    desired_egress(h->merged_egress.v, h->merged_egress.n, h->cfg->name, h->lo_ifindex, OL_PROTO, &h->desired))
		log_err("out of memory building the desired state");
	/* the other hosts that share egress addresses: the kernel keeps their
	 * MACs resolved, for steering return traffic to them */
	for (size_t i = 0; i < h->merged_dir.n; i++) {
		const struct dir_host *d = &h->merged_dir.v[i];
		const struct ol_addr *local = d->addr.family == AF_INET ? &h->cfg->local4 : &h->cfg->local6;
		if (!peer_host_steered(h, d->name) || !local->family)
			continue;
		struct kobj nb = { .type = KO_NEIGH, .family = d->addr.family, .proto = OL_PROTO, .ifindex = h->ifindex,
				   .dst = d->addr, .managed = 1 };
		kobj_set_add(&h->desired, &nb);
	}
	if (bad)
		log_limited(&h->rl_peer, LOG_WARNING, "%u provider addresses with a multicast, broadcast or zero MAC: not installed", bad);
	kobj_set_sort_cached(&h->desired, &h->desired_order);
	reconcile(h, 0);
	steer_update(h);
}

static int uplink_mac(const char *ifname, uint8_t mac[6])
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r = -1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (fd >= 0 && ioctl(fd, SIOCGIFHWADDR, &ifr) == 0) {
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
		r = 0;
	}
	if (fd >= 0)
		close(fd);
	return r;
}

/* A peer host's MAC, once the kernel has resolved its neighbor entry; 0 if so. */
static int peer_mac(const struct hostd *h, const struct dir_host *d, uint8_t mac[6])
{
	const uint16_t resolved = NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT;
	struct kobj key = { .type = KO_NEIGH, .family = d->addr.family, .ifindex = h->ifindex, .dst = d->addr };
	const struct kobj *n = kobj_set_find(&h->have, &key);
	if (!n || !(n->state & resolved) || !mac_is_unicast(n->lladdr))
		return -1;
	memcpy(mac, n->lladdr, 6);
	return 0;
}

/* Brings the steering table in line with the slices and the peers' MACs
 * (as the kernel resolved them); applied only when the script changed. */
static void steer_update(struct hostd *h)
{
	struct steer_peer *peers = calloc(h->merged_dir.n + 1, sizeof(*peers));
	size_t np = 0;
	uint8_t own[6];
	char *script = malloc(65536), err[512];
	if (!peers || !script || !h->ready || !h->ifindex || uplink_mac(h->cfg->ifname, own))
		goto out;
	for (size_t i = 0; i < h->merged_dir.n; i++) {
		const struct dir_host *d = &h->merged_dir.v[i];
		struct steer_peer *p = &peers[np++];
		snprintf(p->name, sizeof(p->name), "%s", d->name);
		p->has_mac = !peer_mac(h, d, p->mac);
	}
	if (steer_script(script, 65536, h->cfg->ifname, own, h->cfg->name, h->merged_egress.v, h->merged_egress.n, peers,
			 np)) {
		log_limited(&h->rl_kernel, LOG_ERR, "steering: too many slices for one script");
		goto out;
	}
	if (h->steer_applied && !strcmp(h->steer_applied, script))
		goto out;
	if (nft_run(script, err, sizeof(err))) {
		h->steer_errors++;
		log_limited(&h->rl_kernel, LOG_ERR, "steering: %s", err);
		timer_arm(&h->reconcile_t, 1000, 0);
		goto out;
	}
	log_info("steering table updated: %zu hosts share egress addresses with this one", np ? np - 1 : 0);
	free(h->steer_applied);
	h->steer_applied = script;
	script = NULL;
out:
	free(script);
	free(peers);
}

static void reconcile_fire(struct timer *t)
{
	reconcile(t->arg, 1);
	steer_update(t->arg);
}

static void startup_fire(struct timer *t)
{
	struct hostd *h = t->arg;
	if (!h->ready) {
		log_warn("not every switch agent answered within %d ms: applying what is known", STARTUP_GRACE_MS);
		h->ready = 1;
		update(h);
	}
}

/* ---- kernel events ---- */

static int uplink_admin_up(const char *ifname)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), up = 0;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &ifr) == 0)
		up = !!(ifr.ifr_flags & IFF_UP);
	if (fd >= 0)
		close(fd);
	return up;
}

static void kernel_event(const struct nl_event *ev, void *arg)
{
	struct hostd *h = arg;
	struct kobj k;

	if (ev->type == NLE_LINK) {
		int idx = h->ifindex, up = h->uplink_up, admin = h->uplink_admin;
		if (!strcmp(ev->link.name, h->cfg->ifname)) {
			idx = ev->deleted ? 0 : ev->link.ifindex;
			up = ev->link.up;
			admin = ev->link.admin_up;
		} else if (ev->link.ifindex == h->ifindex && ev->deleted) {
			idx = 0;
		}
		if (idx != h->ifindex || up != h->uplink_up || admin != h->uplink_admin) {
			/* the kernel drops routes through a dead link without saying so */
			h->have_valid = 0;
			if (idx != h->ifindex)
				log_info("uplink %s is %s", h->cfg->ifname, idx ? "present" : "gone");
			else if (admin != h->uplink_admin && h->uplink_up >= 0)
				log_info("uplink %s is %s", h->cfg->ifname, admin ? "up" : "down: kernel state waits for it");
			h->ifindex = idx;
			h->uplink_up = up;
			h->uplink_admin = admin;
			h->ev_update = 1;
		}
		return;
	}
	if (ev->type == NLE_NEIGH) {
		memset(&k, 0, sizeof(k));
		k.type = KO_NEIGH;
		k.family = ev->neigh.dst.family;
		k.ifindex = ev->neigh.ifindex;
		k.dst = ev->neigh.dst;
		k.state = ev->neigh.state;
		k.proto = ev->neigh.proto;
		k.managed = ev->neigh.managed;
		memcpy(k.lladdr, ev->neigh.lladdr, 6);
	} else if (ev->type == NLE_KOBJ) {
		k = ev->kobj;
	} else {
		return;
	}
	if (k.type == KO_NEIGH && k.ifindex != h->ifindex)
		return;
	if (k.type == KO_ADDR && k.ifindex != h->ifindex && k.proto != OL_PROTO && !kobj_set_find(&h->desired, &k))
		return; /* other interfaces' addresses, unless onlink's (shared egress addresses on lo) */
	if ((k.type == KO_ROUTE || k.type == KO_RULE) && k.proto != OL_PROTO && !kobj_set_find(&h->desired, &k))
		return; /* BIRD's routes, and everything else that is not ours */
	const struct kobj *w = kobj_set_find(&h->desired, &k);
	int echo = !ev->deleted && w && kobj_equal(w, &k);
	/* keep the cache; a foreign address change can remove routes silently */
	if (k.type == KO_ADDR && !echo)
		h->have_valid = 0;
	else if ((k.type == KO_ROUTE || k.type == KO_RULE) && k.proto != OL_PROTO)
		; /* a foreign object on a key we want: the next dump sees it */
	else if (ev->deleted)
		kobj_set_remove(&h->have, &k);
	else
		kobj_set_upsert(&h->have, &k);
	int relevant;
	if (ev->deleted)
		relevant = w != NULL;
	else
		relevant = w ? !echo : k.proto == OL_PROTO; /* our own echoes are equal */
	if (relevant)
		timer_arm(&h->reconcile_t, h->repair_streak >= 10 ? 1000 : KERNEL_DEBOUNCE_MS, 0);
	else if (k.type == KO_NEIGH && w && w->managed)
		h->ev_steer = 1; /* a peer host's MAC resolved or changed */
}

static void nl_cb(struct loop_src *src, uint32_t events)
{
	struct hostd *h = src->arg;
	(void)events;
	int r = nl_read_events(h->nl, kernel_event, h, 256);
	if (r == -ENOBUFS) {
		h->resyncs++;
		log_warn("netlink overrun: reconciling from a full dump");
		h->ifindex = (int)if_nametoindex(h->cfg->ifname);
		h->uplink_admin = uplink_admin_up(h->cfg->ifname);
		h->have_valid = 0;
		h->ev_update = 1;
	} else if (r < 0) {
		log_limited(&h->rl_kernel, LOG_ERR, "netlink: %s", strerror(-r));
	}
	/* the batch is read: now the work it asked for */
	if (h->ev_update) {
		h->ev_update = h->ev_steer = 0;
		update(h);
	} else if (h->ev_steer) {
		h->ev_steer = 0;
		steer_update(h);
	}
}

/* ---- switch connections ---- */

static void sw_schedule(struct swlink *s)
{
	unsigned jitter = s->backoff_ms / 5 ? randombytes_uniform(s->backoff_ms / 5) : 0;
	timer_arm(&s->retry, s->backoff_ms + jitter, 0);
	s->backoff_ms = s->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : s->backoff_ms * 2;
}

/* Closes the socket: a bare one while connecting, the session after. */
static void sw_close(struct swlink *s)
{
	if (s->src.fd < 0)
		return;
	loop_del(&s->src);
	if (s->state == SW_CONNECTING)
		close(s->src.fd);
	else
		conn_fini(&s->c);
	s->src.fd = -1;
}

/* The fast path's key belongs to the session that brought it. */
static void fast_close(struct swlink *s)
{
	if (s->fast.fd < 0)
		return;
	loop_del(&s->fast_src);
	fastrx_close(&s->fast);
}

/* A provider's state, by the session or the fast path: taken unless what
 * we hold is of the same generation or newer (the other path's copy). */
static void sw_provider(struct swlink *s, struct ol_provider *p, uint64_t gen)
{
	const struct ol_provider *o = provset_find(&s->provs, p->name);
	p->gen = gen;
	if (o && gen && o->gen >= gen) {
		s->stale++;
		return;
	}
	provset_put(&s->provs, p);
	s->h->changed = 1;
}

/* A datagram's messages: GEN, then PROVIDERs. 0, or <0 at the first one
 * not understood (those before it stay applied: they are authentic). */
static int fast_apply(struct swlink *s, const uint8_t *msg, size_t n)
{
	size_t off = 0, bn;
	uint8_t type;
	const uint8_t *body;
	uint64_t gen = 0;
	int r;
	while ((r = wire_rec_next(msg, n, &off, &type, &body, &bn)) == 1) {
		struct ol_provider p;
		if (type == WM_GEN && !wire_gen_decode(body, bn, &gen))
			continue;
		if (type != WM_PROVIDER || !gen || wire_provider_decode(body, bn, &p))
			return -EBADMSG;
		sw_provider(s, &p, gen);
	}
	return r;
}

static void fast_cb(struct loop_src *src, uint32_t events)
{
	struct swlink *s = src->arg;
	struct hostd *h = s->h;
	uint8_t msg[WIRE_DGRAM_MSG_MAX];
	int n;
	(void)events;
	for (int i = 0; i < 64 && (n = fastrx_read(&s->fast, msg, sizeof(msg))) != -EAGAIN; i++) {
		if (n > 0 && fast_apply(s, msg, (size_t)n)) {
			/* authentic, so the switch agent's: a newer protocol, or a bug */
			s->fast.rejected++;
			log_limited(&h->rl_peer, LOG_WARNING, "switch %s: fast path: a datagram with a message not understood",
				    s->cfg->name);
		}
	}
	if (h->changed) {
		h->changed = 0;
		update(h);
	}
}

static void fast_open(struct swlink *s, const struct wire_fastpath *f)
{
	char g[ADDR_STRLEN];
	fast_close(s);
	s->fast.info = *f;
	int r = fastrx_open(&s->fast, s->h->ifindex);
	if (r) {
		log_limited(&s->h->rl_peer, LOG_WARNING, "switch %s: fast path: cannot join %s on %s: %s; changes come by the session",
			    s->cfg->name, addr_str(&f->group, g, sizeof(g)), s->h->cfg->ifname, strerror(-r));
		return;
	}
	s->fast_src = (struct loop_src){ .fd = s->fast.fd, .cb = fast_cb, .arg = s };
	loop_add(&s->fast_src, EPOLLIN);
	log_info("switch %s: fast path: group %s port %u on %s", s->cfg->name, addr_str(&f->group, g, sizeof(g)),
		 f->port, s->h->cfg->ifname);
}

static void sw_drop(struct swlink *s, const char *why)
{
	struct hostd *h = s->h;
	if (s->state == SW_UP)
		log_warn("switch %s (%s): disconnected: %s; keeping its last state", s->cfg->name, s->cfg->connect.text, why);
	else
		log_limited(&h->rl_peer, LOG_WARNING, "switch %s (%s): %s", s->cfg->name, s->cfg->connect.text, why);
	sw_close(s);
	fast_close(s);
	s->state = SW_IDLE;
	s->in_snapshot = 0;
	s->stage.n = 0;
	s->since = time(NULL);
	sw_schedule(s);
}

static int sw_msg(struct conn *c, uint8_t type, const uint8_t *body, size_t n, void *arg, const char **why)
{
	struct swlink *s = arg;
	struct ol_provider p;
	char name[OL_NAME_MAX];
	(void)c;
	switch (type) {
	case WM_SNAP_BEGIN:
		if (s->in_snapshot || n) {
			*why = "snapshot out of order";
			return -1;
		}
		s->in_snapshot = 1;
		s->gen = 0;
		s->stage.n = 0;
		s->egress_stage.n = 0;
		s->dir_stage.n = 0;
		return 0;
	case WM_PROVIDER:
		if (wire_provider_decode(body, n, &p)) {
			*why = "malformed provider";
			return -1;
		}
		if (s->in_snapshot) {
			p.gen = s->gen;
			return provset_put(&s->stage, &p);
		}
		if (!s->have_snapshot) {
			*why = "provider before snapshot";
			return -1;
		}
		sw_provider(s, &p, s->gen);
		return 0;
	case WM_GEN:
		if (wire_gen_decode(body, n, &s->gen)) {
			*why = "malformed generation";
			return -1;
		}
		return 0;
	case WM_FASTPATH: {
		struct wire_fastpath f;
		if (wire_fastpath_decode(body, n, &f) || !s->have_snapshot) {
			*why = "malformed or early fast path";
			return -1;
		}
		fast_open(s, &f);
		sodium_memzero(&f, sizeof(f));
		return 0;
	}
	case WM_EGRESS: {
		struct ol_egress e;
		if (wire_egress_decode(body, n, &e)) {
			*why = "malformed egress table";
			return -1;
		}
		if (s->in_snapshot)
			return egset_put(&s->egress_stage, &e);
		if (!s->have_snapshot) {
			*why = "egress table before snapshot";
			return -1;
		}
		egset_put(&s->egress, &e);
		s->h->changed = 1;
		return 0;
	}
	case WM_HOST: {
		struct ol_addr a;
		if (wire_host_decode(body, n, name, &a)) {
			*why = "malformed host";
			return -1;
		}
		if (s->in_snapshot)
			return hostdir_put(&s->dir_stage, name, &a);
		if (!s->have_snapshot) {
			*why = "host before snapshot";
			return -1;
		}
		hostdir_put(&s->dir, name, &a);
		s->h->changed = 1;
		return 0;
	}
	case WM_PROVIDER_DEL:
		if (wire_name_decode(body, n, name) || s->in_snapshot) {
			*why = "malformed or out-of-order removal";
			return -1;
		}
		provset_del(&s->provs, name);
		s->h->changed = 1;
		return 0;
	case WM_SNAP_END: {
		if (!s->in_snapshot || n) {
			*why = "snapshot end out of order";
			return -1;
		}
		struct provset t = s->provs;
		s->provs = s->stage;
		s->stage = t;
		s->stage.n = 0;
		struct egset te = s->egress;
		s->egress = s->egress_stage;
		s->egress_stage = te;
		s->egress_stage.n = 0;
		/* hosts accumulate: a restarted switch learns them again one by one
		 * as they reconnect, and a host missing from its first snapshot has
		 * not left the POP (its slices say whether it is steered) */
		for (size_t i = 0; i < s->dir_stage.n; i++)
			hostdir_put(&s->dir, s->dir_stage.v[i].name, &s->dir_stage.v[i].addr);
		s->dir_stage.n = 0;
		s->in_snapshot = 0;
		s->have_snapshot = 1;
		log_info("switch %s: snapshot of %zu providers", s->cfg->name, s->provs.n);
		struct hostd *h = s->h;
		if (!h->ready) {
			unsigned have = 0;
			for (unsigned i = 0; i < h->cfg->nswitches; i++)
				have += h->sw[i].have_snapshot;
			h->ready = have == h->cfg->nswitches;
		}
		h->changed = 1;
		return 0;
	}
	}
	*why = "unknown message type";
	return -1;
}

static void sw_flush(struct swlink *s)
{
	int r = conn_flush(&s->c);
	if (r < 0) {
		sw_drop(s, strerror(-r));
		return;
	}
	if (r != s->want_out) {
		s->want_out = r;
		loop_mod(&s->src, EPOLLIN | (r ? EPOLLOUT : 0));
	}
}

static void sw_cb(struct loop_src *src, uint32_t events)
{
	struct swlink *s = src->arg;
	struct hostd *h = s->h;
	if (s->state == SW_CONNECTING) {
		int err = 0;
		socklen_t len = sizeof(err);
		getsockopt(src->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err) {
			sw_drop(s, strerror(err));
			return;
		}
		int fd = src->fd;
		conn_init(&s->c, fd, 0, h->cfg->name, h->cfg->key);
		s->state = SW_HANDSHAKE;
		s->want_out = 1;
		loop_mod(&s->src, EPOLLIN | EPOLLOUT);
		sw_flush(s);
		return;
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		const char *why = "?";
		int up = 0;
		int r = conn_read(&s->c, sw_msg, s, &up, &why);
		/* one reconcile for everything this read brought */
		if (h->changed) {
			h->changed = 0;
			update(h);
		}
		if (r < 0) {
			sw_drop(s, why);
			return;
		}
		if (up) {
			s->state = SW_UP;
			s->since = time(NULL);
			s->backoff_ms = BACKOFF_MIN_MS;
			log_info("switch %s (%s): connected and authenticated", s->cfg->name, s->cfg->connect.text);
			s->sessions++;
		}
	}
	if (s->state != SW_IDLE)
		sw_flush(s);
}

static void sw_connect(struct timer *t)
{
	struct swlink *s = t->arg;
	const struct cfg_endpoint *e = &s->cfg->connect;
	int one = 1;
	int fd = socket(e->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		sw_schedule(s);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	s->src.fd = fd;
	s->state = SW_CONNECTING;
	s->started_ms = now_ms();
	if (connect(fd, (const struct sockaddr *)&e->ss, e->len) < 0 && errno != EINPROGRESS) {
		sw_drop(s, strerror(errno));
		return;
	}
	loop_add(&s->src, EPOLLOUT);
}

static void keepalive_fire(struct timer *t)
{
	struct hostd *h = t->arg;
	uint64_t now = now_ms(), dead = 3000ull * h->cfg->keepalive;
	for (unsigned i = 0; i < h->cfg->nswitches; i++) {
		struct swlink *s = &h->sw[i];
		if (s->state == SW_CONNECTING || s->state == SW_HANDSHAKE) {
			if (now - s->started_ms > HANDSHAKE_MS)
				sw_drop(s, "connect/handshake timeout");
		} else if (s->state == SW_UP) {
			if (now - s->c.last_rx_ms > dead)
				sw_drop(s, "keepalive timeout");
			else if (conn_send(&s->c, WM_KEEPALIVE, NULL, 0) < 0)
				sw_drop(s, "output queue full");
			else
				sw_flush(s);
		}
	}
}

/* ---- control ---- */

static const char *sw_state_str(enum sw_state st)
{
	switch (st) {
	case SW_UP: return "up";
	case SW_CONNECTING: return "connecting";
	case SW_HANDSHAKE: return "authenticating";
	default: return "down";
	}
}

static char *control_cb(const char *req, void *arg)
{
	struct hostd *h = arg;
	json_t *root;
	char a[ADDR_STRLEN], m[MAC_STRLEN];

	if (strcmp(req, "status")) {
		root = json_pack("{s:s}", "error", "unknown request");
	} else {
		json_t *provs = json_array(), *sws = json_array();
		for (size_t i = 0; i < h->merged.n; i++) {
			const struct ol_provider *p = &h->merged.v[i];
			json_t *addrs = json_array();
			const struct pstate *ps = find_name(h->ps, h->nps, sizeof(*h->ps), p->name);
			time_t since = ps ? ps->since : 0;
			for (unsigned k = 0; k < p->naddrs; k++) {
				const struct ol_paddr *pa = &p->addrs[k];
				json_array_append_new(addrs, json_pack("{s:s, s:s, s:s}",
					"address", addr_str(&pa->addr, a, sizeof(a)), "mac", mac_str(pa->mac, m, sizeof(m)),
					"state", pa->up ? "up" : "down"));
			}
			json_array_append_new(provs, json_pack("{s:s, s:I, s:s, s:I, s:o}", "name", p->name,
				"table", (json_int_t)p->table, "state", provider_up(p) ? "up" : "down",
				"since", (json_int_t)since, "addresses", addrs));
		}
		json_t *eg = json_array(), *peers = json_array();
		for (size_t i = 0; i < h->merged_egress.n; i++)
			json_array_append_new(eg, egress_to_json(&h->merged_egress.v[i], h->cfg->name));
		for (size_t i = 0; i < h->merged_dir.n; i++) {
			const struct dir_host *d = &h->merged_dir.v[i];
			uint8_t mac[6];
			int known = !peer_mac(h, d, mac);
			json_array_append_new(peers, json_pack("{s:s, s:s, s:s?, s:b}", "name", d->name,
				"address", addr_str(&d->addr, a, sizeof(a)), "mac", known ? mac_str(mac, m, sizeof(m)) : NULL,
				"steered", peer_host_steered(h, d->name)));
		}
		for (unsigned i = 0; i < h->cfg->nswitches; i++) {
			const struct swlink *s = &h->sw[i];
			json_t *sw = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I}", "name", s->cfg->name,
				"connect", s->cfg->connect.text, "state", sw_state_str(s->state),
				"since", (json_int_t)s->since, "providers", (json_int_t)s->provs.n,
				"sessions", (json_int_t)s->sessions, "stale_updates", (json_int_t)s->stale);
			if (s->fast.fd >= 0)
				json_object_set_new(sw, "fast_path", json_pack("{s:s, s:i, s:I, s:I, s:I}",
					"group", addr_str(&s->fast.info.group, a, sizeof(a)), "port", (int)s->fast.info.port,
					"datagrams", (json_int_t)s->fast.received, "lost", (json_int_t)s->fast.lost,
					"rejected", (json_int_t)s->fast.rejected));
			json_array_append_new(sws, sw);
		}
		root = json_pack("{s:s, s:s, s:s, s:b, s:o, s:o, s:o, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "role", "host",
			"name", h->cfg->name, "interface", h->cfg->ifname, "ready", h->ready,
			"providers", provs, "switches", sws, "egress", eg, "hosts", peers,
			"reconciles", (json_int_t)h->reconciles, "repairs", (json_int_t)h->repairs,
			"kernel_errors", (json_int_t)h->kernel_errors, "netlink_resyncs", (json_int_t)h->resyncs,
			"kernel_dumps", (json_int_t)h->dumps, "kernel_writes", (json_int_t)h->kernel_requests,
			"kernel_write_batches", (json_int_t)h->kernel_sends);
	}
	char *out = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return out;
}

static const char *switch_name(const void *arg, size_t i)
{
	return ((const struct hostd *)arg)->sw[i].cfg->name;
}

static void metrics_cb(FILE *f, void *arg)
{
	struct hostd *h = arg;
	char l[300], n[160], t[32];
	mx_family(f, "onlink_host_switch_connected", "gauge", "1 while the session with the switch agent is up.");
	for (unsigned i = 0; i < h->cfg->nswitches; i++)
		mx_sample(f, "onlink_host_switch_connected", mx_label(l, sizeof(l), "switch", h->sw[i].cfg->name),
			  h->sw[i].state == SW_UP);
	mx_family(f, "onlink_host_switch_sessions_total", "counter",
		  "Sessions with the switch agent authenticated (reconnects included).");
	for (unsigned i = 0; i < h->cfg->nswitches; i++)
		mx_sample(f, "onlink_host_switch_sessions_total", mx_label(l, sizeof(l), "switch", h->sw[i].cfg->name),
			  (double)h->sw[i].sessions);
	static const struct mx_counter fast[] = {
		{ "onlink_host_fastpath_datagrams_total", "Change datagrams taken from the switch agent's fast path.",
		  offsetof(struct fastrx, received) },
		{ "onlink_host_fastpath_lost_total", "Change datagrams missed (gaps in the sequence; the session repairs them).",
		  offsetof(struct fastrx, lost) },
		{ "onlink_host_fastpath_rejected_total", "Datagrams in the group that did not authenticate, or came late.",
		  offsetof(struct fastrx, rejected) },
	};
	mx_counters(f, fast, sizeof(fast) / sizeof(fast[0]), &h->sw[0].fast, sizeof(h->sw[0]), h->cfg->nswitches,
		    "switch", switch_name, h);
	mx_family(f, "onlink_host_provider_up", "gauge", "1 when the provider is up (its next hop resolved on the switch).");
	for (size_t i = 0; i < h->merged.n; i++) {
		snprintf(t, sizeof(t), "table=\"%u\"", h->merged.v[i].table);
		snprintf(l, sizeof(l), "%s,%s", mx_label(n, sizeof(n), "provider", h->merged.v[i].name), t);
		mx_sample(f, "onlink_host_provider_up", l, provider_up(&h->merged.v[i]));
	}
	static const struct mx_counter counters[] = {
		{ "onlink_host_reconciles_total", "Reconciler runs.", offsetof(struct hostd, reconciles) },
		{ "onlink_host_reconcile_repairs_total", "Kernel objects put back after something else changed them.",
		  offsetof(struct hostd, repairs) },
		{ "onlink_host_kernel_write_errors_total", "Kernel writes the kernel refused.",
		  offsetof(struct hostd, kernel_errors) },
		{ "onlink_host_netlink_resyncs_total", "Full dumps after a netlink overrun.", offsetof(struct hostd, resyncs) },
		{ "onlink_host_kernel_dumps_total", "Dumps of the kernel's state in onlink's scope.",
		  offsetof(struct hostd, dumps) },
		{ "onlink_host_kernel_writes_total", "Kernel objects written (added, replaced, deleted).",
		  offsetof(struct hostd, kernel_requests) },
		{ "onlink_host_kernel_write_batches_total", "Netlink messages (sendmsg calls) those writes took.",
		  offsetof(struct hostd, kernel_sends) },
	};
	mx_counters(f, counters, sizeof(counters) / sizeof(counters[0]), h, 0, 1, NULL, NULL, NULL);
	mx_family(f, "onlink_host_ready", "gauge", "1 once the switch agents' snapshots are applied (or the start-up grace ran out).");
	mx_sample(f, "onlink_host_ready", "", h->ready);
}

int hostd_run(struct config *c)
{
	struct hostd h = { .cfg = c, .rl_kernel = RATELIMIT_INIT(10000, 20), .rl_peer = RATELIMIT_INIT(10000, 10) };
	int r;

	if ((r = loop_init()) || (r = nl_open(&h.nl, NLG_LINK | NLG_NEIGH | NLG_ADDR | NLG_ROUTE | NLG_RULE, nl_notify_rcvbuf()))) {
		log_err("start-up: %s", strerror(-r));
		return 1;
	}
	daemon_signals(&h.sig_src, &h.stop, &h.reload);
	h.nl_src.fd = nl_notify_fd(h.nl);
	h.nl_src.cb = nl_cb;
	h.nl_src.arg = &h;
	loop_add(&h.nl_src, EPOLLIN);
	h.ifindex = (int)if_nametoindex(c->ifname);
	h.uplink_up = -1; /* unknown until the first link event */
	h.uplink_admin = uplink_admin_up(c->ifname);
	h.lo_ifindex = (int)if_nametoindex("lo");
	if (!h.ifindex)
		log_warn("uplink %s not present yet", c->ifname);
	timer_init(&h.reconcile_t, reconcile_fire, &h);
	timer_init(&h.keepalive_t, keepalive_fire, &h);
	timer_init(&h.startup_t, startup_fire, &h);
	if ((r = control_open(c->control, control_cb, &h))) {
		log_err("control socket %s: %s", c->control, strerror(-r));
		return 1;
	}
	for (unsigned i = 0; i < c->nswitches; i++) {
		struct swlink *s = &h.sw[i];
		s->h = &h;
		s->cfg = &c->switches[i];
		s->src.fd = -1;
		s->fast.fd = -1;
		s->src.cb = sw_cb;
		s->src.arg = s;
		s->backoff_ms = BACKOFF_MIN_MS;
		timer_init(&s->retry, sw_connect, s);
		timer_arm(&s->retry, 0, 0);
	}
	timer_arm(&h.startup_t, STARTUP_GRACE_MS, 0);
	timer_arm(&h.keepalive_t, c->keepalive * 1000ull, c->keepalive * 1000ull);
	if (daemon_ready(c, metrics_cb, &h, NULL))
		return 1;
	log_info("host %s running: uplink %s, %u switch agents", c->name, c->ifname, c->nswitches);
	int notified = 0;
	while (!h.stop) {
		loop_run_once(-1);
		if (h.ready && !notified) {
			char status[96];
			snprintf(status, sizeof(status), "host %s: %zu providers", c->name, h.merged.n);
			daemon_notify_ready(status);
			notified = 1;
		}
		if (h.reload) {
			h.reload = 0;
			daemon_reload(c); /* returns only when nothing is to change */
		}
	}
	/* Kernel state stays: forwarding never depends on the agent running. */
	log_info("stopping; kernel state left in place");
	daemon_stopping();
	for (unsigned i = 0; i < c->nswitches; i++) {
		struct swlink *s = &h.sw[i];
		sw_close(s);
		fast_close(s);
		provset_free(&s->provs);
		provset_free(&s->stage);
		egset_free(&s->egress);
		egset_free(&s->egress_stage);
		hostdir_free(&s->dir);
		hostdir_free(&s->dir_stage);
	}
	control_close();
	provset_free(&h.merged);
	egset_free(&h.merged_egress);
	hostdir_free(&h.merged_dir);
	free(h.steer_applied);
	kobj_set_free(&h.desired);
	kobj_sort_cache_free(&h.desired_order);
	kobj_set_free(&h.have);
	free(h.ps);
	nl_close(h.nl);
	loop_fini();
	return 0;
}
