/* The switch agent: the kernel watcher (track.c), the failover loop
 * (provctl.c, with birdpoll.c and opcmd.c), what the hosts are told and when, and the
 * control socket, in one event loop; the sessions are peers.c's. */
#include "switch/switchd.h"
#include "switch/switchd_int.h"
#include "switch/steering.h"
#include "switch/portstats.h"
#include "proto/conn.h"
#include "base/control.h"
#include "conf/daemon.h"
#include "proto/json.h"
#include "base/log.h"
#include "base/loop.h"
#include "kernel/nl.h"
#include "switch/peers.h"
#include "switch/portdesc.h"
#include "proto/api.h"
#include "switch/swstate.h"
#include "switch/fastpath.h"
#include "switch/provctl.h"
#include "switch/track.h"
#include <errno.h>
#include <jansson.h>
#include <linux/neighbour.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define LOG_EACH_MAX 32 /* a turn changing more providers logs a summary */

/* WM_STEER_REPORT: to the steering, whatever it is since the last reload */
static int steer_msg(void *arg, const char *host, const uint8_t *body, size_t n, const char **why)
{
	struct switchd *s = arg;
	return steering_report(s->steer, host, body, n, why);
}

/* A new session's snapshot, after WM_SNAP_BEGIN: the generation, every
 * provider, the egress table (peers.c adds the hosts and the end). */
static int snapshot(void *arg, struct conn *c)
{
	struct switchd *s = arg;
	uint8_t gen[8], body[WIRE_BODY_MAX];
	wire_gen_encode(gen, sizeof(gen), s->gen);
	int r = conn_send(c, WM_GEN, gen, sizeof(gen));
	for (size_t i = 0; i < s->tr.n && !r; i++) {
		int n = wire_provider_encode(body, sizeof(body), &s->tr.p[i].pub);
		r = n < 0 ? n : conn_send(c, WM_PROVIDER, body, (size_t)n);
	}
	for (size_t i = 0; i < s->eg.n && !r; i++) {
		int n = wire_egress_encode(body, sizeof(body), &s->eg.v[i]);
		r = n < 0 ? n : conn_send(c, WM_EGRESS, body, (size_t)n);
	}
	if (!r)
		r = swegress_snapshot_kept(s, c);
	if (!r && s->peer_told >= 0) {
		int n = wire_switch_encode(body, sizeof(body), s->cfg->sw.peer_switch, s->peer_told);
		r = n < 0 ? n : conn_send(c, WM_SWITCH, body, (size_t)n);
	}
	if (!r)
		r = steering_snapshot(s->steer, c);
	return r;
}

/* The peer link's carrier as the hosts must know it: its loss is the other
 * switch's death, as far as this side of the L2 domain can tell (the
 * hosts hold it dead at once, and use it again after their hold-down). */
static void peer_link_publish(struct switchd *s)
{
	uint8_t body[64];
	if (!s->cfg->sw.peer_link[0] || s->peer_carrier < 0 || s->peer_told == !s->peer_carrier)
		return;
	s->peer_told = !s->peer_carrier;
	s->peer_since = time(NULL);
	if (s->peer_told) {
		s->peer_losses++;
		log_warn("peer link %s lost carrier: telling the hosts switch %s is dead", s->cfg->sw.peer_link,
			 s->cfg->sw.peer_switch);
	} else {
		log_info("peer link %s has carrier: telling the hosts switch %s forwards", s->cfg->sw.peer_link,
			 s->cfg->sw.peer_switch);
	}
	int n = wire_switch_encode(body, sizeof(body), s->cfg->sw.peer_switch, s->peer_told);
	if (n > 0)
		peers_send_all(&s->peers, WM_SWITCH, body, (size_t)n);
}

static void broadcast(struct switchd *s, struct track_provider *tp, int level)
{
	char a[ADDR_STRLEN], m[MAC_STRLEN];
	for (unsigned k = 0; k < tp->pub.naddrs; k++) {
		const struct ol_paddr *pa = &tp->pub.addrs[k];
		if (tp->addrs[k].has_mac && !mac_is_unicast(tp->addrs[k].mac))
			log_limited(&s->rl_kernel, LOG_WARNING, "provider %s: %s has non-unicast MAC %s: ignored",
				    tp->pub.name, addr_str(&pa->addr, a, sizeof(a)), mac_str(tp->addrs[k].mac, m, sizeof(m)));
	}
	if (log_enabled(level)) {
		log_msg(level, "provider %s %s", tp->pub.name, provider_up(&tp->pub) ? "up" : "down");
		for (unsigned k = 0; k < tp->pub.naddrs; k++) {
			const struct ol_paddr *pa = &tp->pub.addrs[k];
			log_msg(level, "  %s lladdr %s %s", addr_str(&pa->addr, a, sizeof(a)),
				mac_str(pa->mac, m, sizeof(m)), pa->up ? "up" : "down");
		}
	}
	uint8_t body[WIRE_BODY_MAX];
	int n = wire_provider_encode(body, sizeof(body), &tp->pub);
	if (n > 0) {
		peers_send_all(&s->peers, WM_PROVIDER, body, (size_t)n);
		if (s->fp)
			fastpath_add(s->fp, WM_PROVIDER, body, (size_t)n);
	}
}

/* A turn of changes starts a generation: hosts order what they hear by it,
 * whichever path it came by. */
static void begin_gen(struct switchd *s)
{
	uint8_t b[8];
	s->gen++;
	wire_gen_encode(b, sizeof(b), s->gen);
	peers_send_all(&s->peers, WM_GEN, b, sizeof(b));
	if (s->fp)
		fastpath_begin(s->fp, s->gen);
}

/* Every configured address without a kernel entry gets a managed one, which
 * the kernel resolves and keeps resolved without waiting for traffic. */
static void solicit(struct switchd *s)
{
	for (size_t i = 0; i < s->tr.n; i++) {
		struct track_provider *p = &s->tr.p[i];
		if (!p->ifindex)
			continue;
		for (unsigned k = 0; k < p->cfg->naddrs; k++) {
			if (p->addrs[k].present || !p->addrs[k].need_solicit)
				continue;
			p->addrs[k].need_solicit = 0;
			/* a neighbor entry the kernel resolves and keeps resolved on
			 * its own (NTF_EXT_MANAGED), marked as onlink's */
			struct kop op = { .op = KOP_ADD, .obj = { .type = KO_NEIGH, .family = p->addrs[k].addr.family,
				.proto = OL_PROTO, .ifindex = p->ifindex, .dst = p->addrs[k].addr, .managed = 1 } };
			char a[ADDR_STRLEN], msg[128];
			int r = 0;
			nl_apply(s->nl, &op, 1, &r, msg, sizeof(msg));
			if (r && r != -EEXIST)
				log_limited(&s->rl_kernel, LOG_WARNING, "cannot solicit %s on %s: %s%s%s",
					    addr_str(&p->addrs[k].addr, a, sizeof(a)), p->cfg->ifname, strerror(-r),
					    msg[0] ? ": " : "", msg);
		}
	}
}

/* Observed state -> failover state machine -> what the hosts are told. */
static void publish(struct switchd *s)
{
	for (size_t i = 0; i < s->tr.n; i++)
		track_state(&s->tr, i, &s->obs[i]);
	provctl_evaluate(s->pc, s->obs, s->out, now_ms());
	/* each change at info level, or (a burst) at debug level and a summary */
	size_t changed = 0, up = 0;
	for (size_t i = 0; i < s->tr.n; i++)
		changed += s->tr.p[i].dirty = track_publish(&s->tr.p[i], &s->out[i]);
	if (!changed)
		return;
	int level = changed <= LOG_EACH_MAX ? LOG_INFO : LOG_DEBUG;
	begin_gen(s);
	for (size_t i = 0; i < s->tr.n; i++)
		if (s->tr.p[i].dirty) {
			s->tr.p[i].dirty = 0;
			s->updates++;
			up += provider_up(&s->tr.p[i].pub);
			broadcast(s, &s->tr.p[i], level);
		}
	if (s->fp)
		fastpath_end(s->fp);
	if (changed > LOG_EACH_MAX)
		log_info("%zu providers changed: %zu up, %zu down (each one with -v)", changed, up, changed - up);
	steering_providers(s->steer);
}

/* The switch kernel's entry for a provider's address back to the MAC
 * accepted for it, and managed again: otherwise the kernel probes the
 * forger's MAC, fails, and takes the provider down for a while. Two writes:
 * a managed entry keeps the MAC it has, whatever the request says. */
static void restore_entry(struct switchd *s, const struct track_provider *p, const struct track_addr *ta)
{
	struct kop ops[2] = { { .op = KOP_REPLACE }, { .op = KOP_REPLACE } };
	int errs[2];
	char msg[128], a[ADDR_STRLEN];
	for (int i = 0; i < 2; i++) {
		struct kobj *o = &ops[i].obj;
		o->type = KO_NEIGH;
		o->family = ta->addr.family;
		o->ifindex = p->ifindex;
		o->dst = ta->addr;
		o->proto = OL_PROTO;
	}
	memcpy(ops[0].obj.lladdr, ta->mac, 6);
	ops[0].obj.state = NUD_STALE; /* confirmed by the next probe, unicast to that MAC */
	ops[1].obj.managed = 1;
	if (nl_apply(s->nl, ops, 2, errs, msg, sizeof(msg)))
		log_limited(&s->rl_kernel, LOG_WARNING, "cannot restore the entry of %s: %s%s%s",
			    addr_str(&ta->addr, a, sizeof(a)), strerror(-(errs[0] ? errs[0] : errs[1])), msg[0] ? ": " : "", msg);
}

/* Answers for a provider's address from another port than its own: not
 * published (track.c), said here once per answer, and undone in the
 * switch's kernel. */
static void refusals(struct switchd *s)
{
	char a[ADDR_STRLEN], m[MAC_STRLEN];
	for (size_t i = 0; i < s->tr.nrefusals; i++) {
		const struct track_refusal *r = &s->tr.refusals[i];
		const struct track_provider *p = &s->tr.p[r->provider];
		const struct track_addr *ta = &p->addrs[r->addr];
		int from_config;
		const char *port = track_link_name(&s->tr, r->port), *own = track_link_name(&s->tr, track_pin(&s->tr, p, &from_config));
		int restore = ta->has_mac && mac_is_unicast(ta->mac) && p->ifindex;
		log_limited(&s->rl_peer, LOG_WARNING, "provider %s: %s answered as %s on port %s, not on its own port %s: not published%s",
			    p->cfg->name, addr_str(&ta->addr, a, sizeof(a)), mac_str(r->mac, m, sizeof(m)), port ? port : "?",
			    own ? own : "?", restore ? "; the switch's entry restored" : "");
		if (restore)
			restore_entry(s, p, ta);
	}
	if (s->tr.refusals_unlogged)
		log_limited(&s->rl_peer, LOG_WARNING, "%lu more answers from the wrong port, not published",
			    s->tr.refusals_unlogged);
	s->tr.nrefusals = 0;
	s->tr.refusals_unlogged = 0;
	if (s->tr.fdb_overflows != s->fdb_overflows_logged) {
		log_limited(&s->rl_peer, LOG_WARNING, "the bridges have learned more than %d MACs (a host sending from random "
			    "source MACs?): %lu learned MACs not followed (providers' MACs still are)", TRACK_FDB_MAX,
			    s->tr.fdb_overflows - s->fdb_overflows_logged);
		s->fdb_overflows_logged = s->tr.fdb_overflows;
	}
}

static void changed(void *arg)
{
	publish(arg);
}

static void track_cb(const struct nl_event *ev, void *arg)
{
	struct switchd *s = arg;
	track_event(&s->tr, ev);
	if (ev->type == NLE_LINK && s->cfg->sw.peer_link[0] && !strcmp(ev->link.name, s->cfg->sw.peer_link))
		s->peer_carrier = !ev->deleted && ev->link.up;
}

/* Each provider interface's neighbor tables probe by multicast too once
 * unicast probes go unanswered (mcast_resolicit): a provider whose MAC
 * changed without a gratuitous ARP or an unsolicited NA answers those
 * with its new MAC, and its entry moves without ever failing, so that it
 * is never published down for it. Set once per interface (again when it
 * is made anew). */
#define MCAST_REPROBES 3
static void neigh_params(struct switchd *s)
{
	for (size_t i = 0; i < s->tr.n; i++) {
		int ifx = s->tr.p[i].ifindex, done = 0;
		for (size_t k = 0; k < s->nparams_set && !done; k++)
			done = s->params_set[k] == ifx;
		if (!ifx || done || s->nparams_set == sizeof(s->params_set) / sizeof(s->params_set[0]))
			continue;
		int r4 = nl_neigh_mcast_reprobes(ifx, AF_INET, MCAST_REPROBES);
		int r6 = nl_neigh_mcast_reprobes(ifx, AF_INET6, MCAST_REPROBES);
		if (r4 || r6)
			log_limited(&s->rl_kernel, LOG_WARNING, "%s: cannot make its neighbor tables probe by multicast "
				    "(mcast_resolicit): %s", s->tr.p[i].cfg->ifname, strerror(-(r4 ? r4 : r6)));
		else
			log_info("%s: neighbors whose unicast probes go unanswered are probed by multicast %d times "
				 "(mcast_resolicit)", s->tr.p[i].cfg->ifname, MCAST_REPROBES);
		s->params_set[s->nparams_set++] = ifx;
	}
}

/* the providers' ports described, when a port or a provider's port changed */
static void describe_ports(struct switchd *s)
{
	if (!s->tr.ports_changed)
		return;
	s->tr.ports_changed = 0;
	neigh_params(s);
	portdesc_sync(&s->tr, &s->cfg->sw, &s->state);
}

/* A changed config the running agent can take (conf/reload.c): its
 * content replaces the running one's, every module sees it through the
 * same pointer, and what depends on it follows: the sessions of hosts no
 * longer in it end, the others are kept (a new snapshot when the egress
 * table changed), the ports' aliases, BIRD's include, the providers'
 * backups. 0, or -1 (nothing changed) when it cannot. */
static int reload_in_place(struct switchd *s, struct config *next)
{
	struct hostkeys keys;
	if (hostkeys_carry(&keys, &s->peers.keys, next))
		return -1;
	daemon_reloading();
	unsigned keepalive = s->cfg->keepalive;
	struct config old = *s->cfg;
	*s->cfg = *next;
	memset(next, 0, sizeof(*next));
	track_reconfig(&s->tr, &s->cfg->sw);
	hostkeys_free(&s->peers.keys);
	s->peers.keys = keys;
	s->peers.keys.cfg = s->cfg;
	config_free(&old);
	unsigned kept = peers_reconfigured(&s->peers);
	int egress_changed = swegress_turn(s);
	if (steering_reload(s, &s->steer))
		log_err("reload: [steer]: out of memory; steering stopped");
	if (keepalive != s->cfg->keepalive)
		timer_arm(&s->keepalive, s->cfg->keepalive * 1000ull, s->cfg->keepalive * 1000ull);
	if (provctl_reload(s->pc))
		log_warn("reload: BIRD's include file could not be written again (see above)");
	describe_ports(s);
	publish(s);
	log_info("reload: %s changed: applied in place; %u host sessions kept%s", s->cfg->path, kept,
		 egress_changed ? ", each sent the new egress table" : "");
	char status[96];
	snprintf(status, sizeof(status), "switch %s: %zu providers", s->cfg->name, s->tr.n);
	daemon_notify_ready(status);
	return 0;
}

/* SIGHUP: the config read again. Unchanged: nothing. Changed: applied in
 * place when it can be (every session kept); otherwise the agent restarts
 * in place (daemon_reload: the same pid, kernel state kept). */
static void reload(struct switchd *s)
{
	struct config *next = calloc(1, sizeof(*next));
	char why[160] = "out of memory";
	if (!next) {
		log_err("reload: out of memory; the running configuration stays");
		return;
	}
	if (config_load(s->cfg->path, next)) {
		log_err("reload refused, the running configuration stays: %s", next->err);
	} else if (next->role != ROLE_SWITCH) {
		log_err("reload refused: %s is no longer a switch agent's config", s->cfg->path);
	} else if (config_same(s->cfg, next)) {
		log_info("reload: %s unchanged", s->cfg->path);
	} else if (!config_in_place(s->cfg, next, why, sizeof(why)) || provctl_busy(s->pc, why, sizeof(why)) ||
		   reload_in_place(s, next)) {
		log_info("reload: not in place (%s)", why);
		config_free(next);
		free(next);
		daemon_reload(s->cfg); /* returns only if it cannot restart */
		return;
	}
	config_free(next);
	free(next);
}

static int full_sync(struct switchd *s)
{
	int r;
	track_begin_resync(&s->tr);
	r = nl_dump_links(s->nl, track_cb, s);
	if (!r)
		r = nl_dump_neighs(s->nl, AF_BRIDGE, track_cb, s);
	if (!r)
		r = nl_dump_neighs(s->nl, AF_UNSPEC, track_cb, s);
	if (r) {
		log_limited(&s->rl_kernel, LOG_ERR, "kernel dump failed: %s; retrying", strerror(-r));
		timer_arm(&s->resync, 1000, 0);
		return r;
	}
	solicit(s);
	refusals(s);
	publish(s);
	if (s->cfg->sw.peer_link[0] && s->peer_carrier < 0) {
		s->peer_carrier = 0; /* no such link */
		log_warn("peer link %s not present", s->cfg->sw.peer_link);
	}
	peer_link_publish(s);
	s->tr.ports_changed = 1;
	describe_ports(s);
	return 0;
}

static void resync_fire(struct timer *t)
{
	full_sync(t->arg);
}

static void nl_cb(struct loop_src *src, uint32_t events)
{
	struct switchd *s = src->arg;
	(void)events;
	/* up to 1024 events a turn: a burst of 500 changes is one generation,
	 * one set of datagrams */
	int r = nl_read_events(s->nl, track_cb, s, 1024);
	if (r == -ENOBUFS) {
		s->resyncs++;
		log_warn("netlink overrun: resynchronizing from a full dump");
		full_sync(s);
		return;
	}
	if (r < 0)
		log_limited(&s->rl_kernel, LOG_ERR, "netlink: %s", strerror(-r));
	/* an address whose entry vanished is solicited again */
	solicit(s);
	refusals(s);
	publish(s);
	peer_link_publish(s);
	describe_ports(s);
}

static void keepalive_fire(struct timer *t)
{
	struct switchd *s = t->arg;
	peers_keepalive(&s->peers);
}

int switchd_run(struct config *c)
{
	struct switchd s = { .cfg = c, .peer_carrier = -1, .peer_told = -1, .rl_peer = RATELIMIT_INIT(10000, 10), .rl_kernel = RATELIMIT_INIT(10000, 10) };
	int r;

	if ((r = loop_init()) || (r = track_init(&s.tr, &c->sw)) || (r = nl_open(&s.nl, NLG_LINK | NLG_NEIGH, nl_notify_rcvbuf())) ||
	    (r = (s.obs = calloc(c->sw.nproviders ? c->sw.nproviders : 1, sizeof(*s.obs))) ? 0 : -ENOMEM) ||
	    (r = (s.out = calloc(c->sw.nproviders ? c->sw.nproviders : 1, sizeof(*s.out))) ? 0 : -ENOMEM) ||
	    (r = swstate_load(&s.state, c->sw.state_file) < 0 ? -EIO : 0) || /* (said why) */
	    (r = provctl_init(&s.pc, c, &s.state, changed, &s))) {
		log_err("start-up: %s", strerror(-r));
		return 1;
	}
	daemon_signals(&s.sig_src, &s.stop, &s.reload);
	daemon_raise_nofile();
	s.nl_src.fd = nl_notify_fd(s.nl);
	s.nl_src.cb = nl_cb;
	s.nl_src.arg = &s;
	if ((r = loop_add(&s.nl_src, EPOLLIN)) || (r = timer_init(&s.keepalive, keepalive_fire, &s)) ||
	    (r = timer_init(&s.resync, resync_fire, &s))) {
		log_err("start-up: the event loop's netlink source or timers: %s", strerror(-r));
		return 1;
	}
	if (c->sw.fast_path.len) {
		if ((r = fastpath_open(&s.fp_store, &c->sw))) {
			log_err("fast-path %s: %s", c->sw.fast_path.text, strerror(-r));
			return 1;
		}
		s.fp = &s.fp_store;
		log_info("fast path: changes to %s on %s, sessions %ums later", c->sw.fast_path.text, c->sw.fast_path_if,
			 c->sw.fast_path_delay_ms);
	}
	if ((r = peers_init(&s.peers, c, s.fp, snapshot, &s))) {
		log_err("start-up: the peer server's timers: %s", strerror(-r));
		return 1;
	}
	if ((r = swegress_init(&s))) {
		log_err("start-up: the egress leases' timer: %s", strerror(-r));
		return 1;
	}
	if ((r = steering_new(&s, &s.steer))) {
		log_err("start-up: [steer]: %s", strerror(-r));
		return 1;
	}
	s.peers.steer_msg = steer_msg;
	full_sync(&s);
	if ((r = peers_listen(&s.peers)) || (r = control_open(c->control, switch_control, &s))) {
		log_err("start-up: %s: %s", r == -EADDRINUSE ? c->control : "listen", strerror(-r));
		return 1;
	}
	timer_arm(&s.keepalive, c->keepalive * 1000ull, c->keepalive * 1000ull);
	char status[96];
	snprintf(status, sizeof(status), "switch %s: %zu providers", c->name, s.tr.n);
	if (daemon_ready(c, switch_metrics, &s, status))
		return 1;
	log_info("switch %s running: %zu providers", c->name, s.tr.n);
	while (!s.stop) {
		loop_run_once(-1);
		peers_turn_end(&s.peers);
		switch_publish(&s);
		if (s.reload) {
			s.reload = 0;
			reload(&s);
		}
	}
	log_info("stopping");
	daemon_stopping();
	peers_close(&s.peers);
	control_close();
	if (s.fp)
		fastpath_close(s.fp);
	provctl_free(s.pc);
	free(s.obs);
	free(s.out);
	nl_close(s.nl);
	track_free(&s.tr);
	swegress_fini(&s);
	steering_free(s.steer);
	swstate_free(&s.state);
	switch_subscriptions_free(&s);
	loop_fini();
	return 0;
}
