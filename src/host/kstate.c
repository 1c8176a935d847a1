/* The host agent and its kernel: the cache of what the kernel holds in
 * onlink's scope, the writes that bring it to the desired state, the
 * kernel's events, and the steering table. */
#include "host/agent.h"
#include "host/traffic.h"
#include "host/steer.h"
#include "host/upsteer.h"
#include "kernel/nft.h"
#include "kernel/nl.h"
#include "kernel/reconcile.h"
#include "kernel/link.h"
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <linux/neighbour.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define KERNEL_DEBOUNCE_MS 20
/* a reconcile writing more objects than this (a snapshot, a burst of
 * changes) logs one summary line at info level, each write at debug */
#define LOG_EACH_MAX 32

static const char *op_verb(enum kop_type op)
{
	return op == KOP_ADD ? "add" : op == KOP_REPLACE ? "replace" : "delete";
}

/* Applies ops and keeps the cache as the kernel answered. */
static int uplink_admin(const char *ifname);

static void apply(struct hostd *h, struct kop_list *ops, int repair)
{
	char msg[256], buf[160];
	int *errs = calloc(ops->n, sizeof(*errs));
	uint64_t t0 = thread_cpu_ns();
	int failed = errs ? nl_apply(h->k.nl, ops->v, ops->n, errs, msg, sizeof(msg)) : (int)ops->n;
	h->k.write_cpu_ns += thread_cpu_ns() - t0;
	unsigned count[KOP_DEL + 1] = { 0 };
	nl_apply_counts(h->k.nl, &h->k.sends, &h->k.requests);
	/* each write at info level, or (many writes) at debug level */
	int each = ops->n <= LOG_EACH_MAX ? LOG_INFO : LOG_DEBUG, show = log_enabled(each);
	for (size_t i = 0; errs && i < ops->n; i++) {
		const struct kop *k = &ops->v[i];
		if (errs[i]) {
			h->k.errors++;
			log_limited(&h->k.rl, LOG_ERR, "%s %s: %s%s%s", op_verb(k->op), kobj_str(&k->obj, buf, sizeof(buf)),
				    strerror(-errs[i]), msg[0] ? ": " : "", msg);
			continue;
		}
		if (k->op == KOP_DEL)
			kobj_set_remove(&h->k.have, &k->obj);
		else
			kobj_set_upsert(&h->k.have, &k->obj);
		count[k->op]++;
		if (show)
			log_msg(each, "%s%s %s", repair ? "repair: " : "", op_verb(k->op), kobj_str(&k->obj, buf, sizeof(buf)));
	}
	if (ops->n > LOG_EACH_MAX)
		log_info("%s%zu kernel writes: %u added, %u replaced, %u deleted, %d failed (each one with -v)",
			 repair ? "repair: " : "", ops->n, count[KOP_ADD], count[KOP_REPLACE], count[KOP_DEL], failed);
	free(errs);
	if (repair) {
		h->k.repairs += ops->n - (size_t)failed;
		/* Something keeps changing what onlink owns (or the kernel reports
		 * an object differently than it was written): slow down instead of
		 * fighting in a tight loop. */
		if (++h->k.repair_streak == 10)
			log_warn("kernel state keeps diverging (last: %s %s); repairing at most once a second",
				 op_verb(ops->v[ops->n - 1].op), kobj_str(&ops->v[ops->n - 1].obj, buf, sizeof(buf)));
	}
	if (failed) {
		h->k.have_valid = 0; /* something in the kernel is not as the cache says */
		timer_arm(&h->k.reconcile_t, 1000, 0);
	}
}

const char *kstate_provider_if(const struct hostd *h)
{
	return h->cfg->host.multi_uplink ? h->cfg->host.provider_dev : h->cfg->host.ifname;
}

/* With several uplinks: the provider device, made when it is missing. */
static void provider_dev(struct hostd *h)
{
	const struct cfg_host *c = &h->cfg->host;
	int r = nl_veth_add(c->provider_dev, c->provider_peer);
	if (r && r != -EEXIST) {
		log_limited(&h->k.rl, LOG_ERR, "cannot make the provider device %s: %s", c->provider_dev, strerror(-r));
		return;
	}
	if (!r)
		log_info("made the provider device %s (veth, peer %s)", c->provider_dev, c->provider_peer);
	h->ifindex = link_index(c->provider_dev);
	h->k.uplink_admin = uplink_admin(c->provider_dev);
}

/* a delete of another host's managed neighbor entry (arg: the interface
 * the other hosts are on) */
static int peer_entry_delete(const struct kop *k, const void *arg)
{
	return k->op == KOP_DEL && k->obj.type == KO_NEIGH && k->obj.managed && k->obj.ifindex == *(const int *)arg;
}

void kstate_reconcile(struct hostd *h, struct kobj_set *keys, int repair)
{
	struct kop_list ops = { 0 };
	struct reconcile_stats st;
	int r = 0;

	if (!h->ready)
		return;
	if (!h->ifindex && h->cfg->host.multi_uplink)
		provider_dev(h);
	if (!h->ifindex) {
		log_limited(&h->k.rl, LOG_WARNING, "uplink %s not present: waiting for it", kstate_provider_if(h));
		return;
	}
	if (!h->k.uplink_admin)
		return; /* the kernel refuses routes through a link that is down: written when it comes up */
	h->k.reconciles++;
	if (!h->k.have_valid) {
		keys = NULL; /* a fresh dump: everything is compared */
		h->k.have.n = 0;
		r = nl_dump_owned(h->k.nl, h->ifindex, h->peer_ifindex, OL_PROTO, &h->k.have);
		kobj_set_sort(&h->k.have);
		h->k.have_valid = !r;
		h->k.dumps++;
	}
	if (!r)
		r = keys ? reconcile_diff_keys(&h->view.desired, &h->k.have, OL_PROTO, keys, &ops, &st)
			 : reconcile_diff(&h->view.desired, &h->k.have, OL_PROTO, &ops, &st);
	if (r) {
		log_limited(&h->k.rl, LOG_ERR, "reconcile: %s; retrying", strerror(-r));
		timer_arm(&h->k.reconcile_t, 1000, 0);
		goto out;
	}
	/* The other hosts' managed entries (the kernel resolves their MACs for
	 * the steering table) are never deleted for want of a word: a switch
	 * agent that restarted learns the hosts again one by one as they
	 * reconnect, and a host agent that restarted too has nobody's entry
	 * but the switch's word; the next turn would add back what this one
	 * deleted. A managed entry of a host gone for good costs an ARP now
	 * and then. */
	kop_list_drop_if(&ops, peer_entry_delete, &h->peer_ifindex);
	if (!h->trusted) {
		/* only what a switch agent said: nothing goes for want of a word */
		size_t held = kop_list_drop(&ops, KOP_DEL);
		/* a full comparison counts them all; a turn's, those it touched */
		h->kept_objects = keys ? h->kept_objects + held : held;
		if (held)
			log_limited(&h->k.rl, LOG_WARNING, "%zu objects onlink installed are kept until every switch agent "
				    "has answered (status: kernel_state)", held);
	} else {
		h->kept_objects = 0;
	}
	if (st.conflicts)
		log_limited(&h->k.rl, LOG_WARNING, "%u wanted objects are held by objects onlink does not own: left alone",
			    st.conflicts);
	if (!ops.n && !keys)
		h->k.repair_streak = 0;
	if (ops.n)
		apply(h, &ops, repair);
out:
	kop_list_free(&ops);
}

static int uplink_admin(const char *ifname)
{
	return link_admin_up(ifname);
}

int kstate_local_present(const struct ol_addr *a)
{
	struct ifaddrs *ifa, *i;
	int found = 0;
	if (!a->family || getifaddrs(&ifa) < 0)
		return -1;
	for (i = ifa; i && !found; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != a->family)
			continue;
		const void *b = a->family == AF_INET ? (const void *)&((struct sockaddr_in *)i->ifa_addr)->sin_addr
						     : (const void *)&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
		found = !memcmp(b, a->bytes, addr_len(a));
	}
	freeifaddrs(ifa);
	return found;
}

int kstate_peer_mac(const struct hostd *h, const struct dir_host *d, uint8_t mac[6])
{
	const uint16_t resolved = NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT;
	struct kobj key = { .type = KO_NEIGH, .family = d->addr.family, .ifindex = h->peer_ifindex, .dst = d->addr };
	const struct kobj *n = kobj_set_find(&h->k.have, &key);
	if (!n || !(n->state & resolved) || !mac_is_unicast(n->lladdr))
		return -1;
	memcpy(mac, n->lladdr, 6);
	return 0;
}

/* Runs an nft script unless it is the one last applied (*applied), which
 * it then becomes (taken from *script). 1 when it ran, 0 when it was
 * applied already (or the kernel's table adopted); -1 when it failed
 * (logged, counted, and retried by the next repair). */
enum { KT_STEER = 1, KT_TRAFFIC = 2, KT_UPSTEER = 4 };
static int script_apply(struct hostd *h, char **applied, char **script, const char *what, unsigned table)
{
	char err[512];
	if (*applied && !strcmp(*applied, *script))
		return 0;
	/* this process's first script for the table: the table a previous
	 * agent left is kept as it is when it is what this script makes
	 * (kernel/nft.h, its fingerprint), so that a restart or an upgrade
	 * rewrites nothing */
	int first = !(h->k.nft_checked & table);
	h->k.nft_checked |= table;
	if (!*applied && first && nft_fingerprint_holds(*script)) {
		*applied = *script;
		*script = NULL;
		log_info("%s: the table in the kernel is as this agent makes it: kept", what);
		return 0;
	}
	char *full = nft_script_fingerprinted(*script);
	if (!full || nft_run(full, err, sizeof(err))) {
		if (!full)
			snprintf(err, sizeof(err), "out of memory");
		free(full);
		h->k.steer_errors++;
		log_limited(&h->k.rl, LOG_ERR, "%s: %s", what, err);
		timer_arm(&h->k.reconcile_t, 1000, 0);
		return -1;
	}
	free(full);
	free(*applied);
	*applied = *script;
	*script = NULL;
	return 1;
}

/* Brings the steering table in line with the slices and the peers' MACs
 * (as the kernel resolved them); applied only when the script changed. */
void kstate_steer(struct hostd *h)
{
	const struct hview *v = &h->view;
	struct steer_peer *peers = calloc(v->dir.n + 1, sizeof(*peers));
	size_t np = 0;
	uint8_t own_mac[6];
	size_t len = 65536 + h->view.kept.n * (OL_RANGES_MAX * 14 + 512) * 2;
	char *script = malloc(len);
	if (!peers || !script || !h->trusted || !h->peer_ifindex || link_mac(h->cfg->host.ifname, own_mac))
		goto out;
	for (size_t i = 0; i < v->dir.n; i++) {
		const struct dir_host *d = &v->dir.v[i];
		struct steer_peer *p = &peers[np++];
		snprintf(p->name, sizeof(p->name), "%s", d->name);
		p->has_mac = !kstate_peer_mac(h, d, p->mac);
	}
	if (steer_script(script, len, h->cfg->host.ifname, own_mac, h->cfg->name, v->egress.v, v->egress.n, v->kept.v,
			 v->kept.n, peers, np)) {
		log_limited(&h->k.rl, LOG_ERR, "steering: too many slices for one script");
		goto out;
	}
	uint64_t before[STEER_NCOUNTERS];
	if (h->k.steer_applied && !strcmp(h->k.steer_applied, script))
		goto out;
	steer_counters(before); /* the rewrite starts them at zero */
	if (script_apply(h, &h->k.steer_applied, &script, "steering", KT_STEER) <= 0)
		goto out;
	for (int c = 0; c < STEER_NCOUNTERS; c++)
		h->k.steer_base[c] += before[c];
	log_info("steering table updated: %zu hosts share egress addresses with this one", np ? np - 1 : 0);
out:
	free(script);
	free(peers);
}

/* The per-provider traffic counters' table (traffic.h), in line with the
 * providers; applied when the script changed. */
void kstate_traffic(struct hostd *h)
{
	if (!h->trusted)
		return; /* the table stays as it was until every switch agent answered */
	size_t len = 4096;
	for (size_t i = 0; i < h->view.merged.n; i++)
		len += 256 + 256 * (size_t)h->view.merged.v[i].naddrs;
	char *script = malloc(len);
	if (!script)
		return;
	if (traffic_script(script, len, &h->view.merged))
		log_limited(&h->k.rl, LOG_ERR, "traffic counters: script too long");
	else if (script_apply(h, &h->k.traffic_applied, &script, "traffic counters", KT_TRAFFIC) > 0)
		log_debug("traffic counters: %zu providers", h->view.merged.n);
	free(script);
}

/* Several uplinks: the uplink steering table, built again only when what
 * it is built from changed (h->upsteer_dirty: the MACs the switches
 * announce, an uplink or the device), and applied when it differs. A
 * switch's death changes none of it (its providers' backups' MACs are in
 * it already), so the failover's turn does not build it. */
void kstate_upsteer(struct hostd *h)
{
	struct upsteer_link links[CFG_SWITCHES_MAX];
	unsigned n = h->cfg->host.nswitches;
	char *script = NULL;
	size_t len = 4096;
	if (!h->cfg->host.multi_uplink || !h->ifindex || !h->upsteer_dirty || !h->trusted)
		return;
	for (unsigned i = 0; i < n; i++) {
		const struct swlink *s = &h->sw[i];
		links[i] = (struct upsteer_link){ .ifname = s->uplink, .provs = &s->view.provs };
		links[i].present = s->up_ifindex && !link_mac(s->uplink, links[i].mac);
		len += s->view.provs.n * OL_PROVIDER_ADDRS_MAX * 20 + 128;
	}
	if (!(script = malloc(len)) || upsteer_script(script, len, h->cfg->host.provider_dev, links, n)) {
		log_limited(&h->k.rl, LOG_ERR, "uplink steering: out of memory");
		goto out;
	}
	int r = script_apply(h, &h->k.upsteer_applied, &script, "uplink steering", KT_UPSTEER);
	if (r > 0)
		log_info("uplink steering updated on %s", h->cfg->host.provider_dev);
	h->upsteer_dirty = r < 0;
out:
	free(script);
}

static void link_event(struct hostd *h, const struct nl_event *ev)
{
	const char *dev = kstate_provider_if(h);
	int idx = h->ifindex, up = h->k.uplink_up, admin = h->k.uplink_admin;
	uplink_link_event(h, ev);
	if (h->cfg->host.multi_uplink && !strcmp(ev->link.name, h->cfg->host.ifname))
		h->peer_ifindex = ev->deleted ? 0 : ev->link.ifindex;
	if (!strcmp(ev->link.name, dev)) {
		idx = ev->deleted ? 0 : ev->link.ifindex;
		up = ev->link.up;
		admin = ev->link.admin_up;
	} else if (ev->link.ifindex == h->ifindex && ev->deleted) {
		idx = 0;
	}
	if (idx == h->ifindex && up == h->k.uplink_up && admin == h->k.uplink_admin)
		return;
	/* the kernel drops routes through a dead link without saying so */
	h->k.have_valid = 0;
	if (idx != h->ifindex)
		log_info("%s %s is %s", h->cfg->host.multi_uplink ? "provider device" : "uplink", dev,
			 idx ? "present" : "gone");
	else if (admin != h->k.uplink_admin && h->k.uplink_up >= 0)
		log_info("%s %s is %s", h->cfg->host.multi_uplink ? "provider device" : "uplink", dev,
			 admin ? "up" : "down: kernel state waits for it");
	if (!h->cfg->host.multi_uplink)
		h->peer_ifindex = idx;
	if (idx != h->ifindex) {
		free(h->k.upsteer_applied); /* a new device: its chain is gone */
		h->k.upsteer_applied = NULL;
		h->upsteer_dirty = 1;
	}
	h->ifindex = idx;
	h->k.uplink_up = up;
	h->k.uplink_admin = admin;
	h->k.ev_update = 1;
}

static void kernel_event(const struct nl_event *ev, void *arg)
{
	struct hostd *h = arg;
	const struct kobj_set *desired = &h->view.desired;
	struct kobj k;

	if (ev->type == NLE_LINK) {
		link_event(h, ev);
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
	if (k.type == KO_NEIGH && k.ifindex != h->ifindex && k.ifindex != h->peer_ifindex)
		return;
	/* the host's own address, wherever it is: the source of its routes
	 * through the providers (an admin down removes an IPv6 one; routes
	 * wait for it, and follow it back at once) */
	int own = k.type == KO_ADDR && k.proto != OL_PROTO &&
		  (!addr_cmp(&k.dst, &h->cfg->host.local4) || !addr_cmp(&k.dst, &h->cfg->host.local6));
	if (own) {
		h->k.have_valid = 0;
		timer_arm(&h->k.reconcile_t, KERNEL_DEBOUNCE_MS, 0);
	}
	if (k.type == KO_ADDR && k.ifindex != h->ifindex && k.proto != OL_PROTO && !kobj_set_find(desired, &k))
		return; /* other interfaces' addresses, unless onlink's (shared egress addresses on lo) */
	if ((k.type == KO_ROUTE || k.type == KO_RULE) && k.proto != OL_PROTO && !kobj_set_find(desired, &k))
		return; /* BIRD's routes, and everything else that is not ours */
	const struct kobj *w = kobj_set_find(desired, &k);
	int echo = !ev->deleted && w && kobj_equal(w, &k);
	/* keep the cache; a foreign address change can remove routes silently */
	if (k.type == KO_ADDR && !echo)
		h->k.have_valid = 0;
	else if ((k.type == KO_ROUTE || k.type == KO_RULE) && k.proto != OL_PROTO)
		; /* a foreign object on a key we want: the next dump sees it */
	else if (ev->deleted)
		kobj_set_remove(&h->k.have, &k);
	else
		kobj_set_upsert(&h->k.have, &k);
	int relevant;
	if (ev->deleted)
		relevant = w != NULL;
	else
		relevant = w ? !echo : k.proto == OL_PROTO; /* our own echoes are equal */
	if (relevant)
		timer_arm(&h->k.reconcile_t, h->k.repair_streak >= 10 ? 1000 : KERNEL_DEBOUNCE_MS, 0);
	else if (k.type == KO_NEIGH && w && w->managed)
		h->k.ev_steer = 1; /* a peer host's MAC resolved or changed */
}

static void event_cb(struct loop_src *src, uint32_t events)
{
	struct hostd *h = src->arg;
	(void)events;
	int r = nl_read_events(h->k.nl, kernel_event, h, 256);
	if (r == -ENOBUFS) {
		h->k.resyncs++;
		log_warn("netlink overrun: reconciling from a full dump");
		h->ifindex = link_index(kstate_provider_if(h));
		h->peer_ifindex = link_index(h->cfg->host.ifname);
		h->k.uplink_admin = uplink_admin(kstate_provider_if(h));
		uplink_refresh(h);
		h->k.have_valid = 0;
		h->k.ev_update = 1;
	} else if (r < 0) {
		log_limited(&h->k.rl, LOG_ERR, "netlink: %s", strerror(-r));
	}
	/* the batch is read: now the work it asked for */
	if (h->k.ev_update) {
		h->k.ev_update = h->k.ev_steer = 0;
		hostd_want_turn(h, 1);
	} else if (h->k.ev_steer) {
		h->k.ev_steer = 0;
		kstate_steer(h);
	}
}

static void reconcile_fire(struct timer *t)
{
	kstate_reconcile(t->arg, NULL, 1);
	kstate_steer(t->arg);
	kstate_upsteer(t->arg);
}

int kstate_init(struct hostd *h)
{
	struct kstate *k = &h->k;
	int r;
	k->rl = (struct ratelimit)RATELIMIT_INIT(10000, 20);
	k->uplink_up = -1; /* unknown until the first link event */
	k->uplink_admin = uplink_admin(kstate_provider_if(h));
	if ((r = nl_open(&k->nl, NLG_LINK | NLG_NEIGH | NLG_ADDR | NLG_ROUTE | NLG_RULE, nl_notify_rcvbuf()))) {
		log_err("start-up: netlink: %s", strerror(-r));
		return r;
	}
	k->nl_src = (struct loop_src){ .fd = nl_notify_fd(k->nl), .cb = event_cb, .arg = h };
	if ((r = loop_add(&k->nl_src, EPOLLIN))) {
		log_err("start-up: the event loop's netlink source: %s", strerror(-r));
		return r;
	}
	/* without it repairs would be silently dead */
	if ((r = timer_init(&k->reconcile_t, reconcile_fire, h))) {
		log_err("start-up: the repair timer: %s", strerror(-r));
		return r;
	}
	return 0;
}

void kstate_fini(struct hostd *h)
{
	struct kstate *k = &h->k;
	free(k->steer_applied);
	free(k->upsteer_applied);
	free(k->traffic_applied);
	kobj_set_free(&k->have);
	nl_close(k->nl);
	*k = (struct kstate){ 0 };
}
