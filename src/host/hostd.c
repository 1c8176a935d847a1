/* The host agent: start-up and the main loop, and the turn that takes what
 * the switch agents said to the kernel. Its parts are listed in agent.h. */
#include "host/hostd.h"
#include "host/agent.h"
#include "host/probing.h"
#include "host/repath.h"
#include "host/follow.h"
#include "base/control.h"
#include "base/knob.h"
#include "base/vec.h"
#include "conf/daemon.h"
#include "kernel/nl.h"
#include "kernel/link.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

#define STARTUP_GRACE_MS 5000
/* The desired state kept by turns is checked against a full rebuild this
 * often (and on SIGHUP), and the kernel against it: the periodic repair. */
#define REBUILD_CHECK_MS 30000
#define TRAFFIC_DELAY_MS 200   /* a burst of turns: one traffic-counter update */

static void params(const struct hostd *h, struct merge_params *mp, const struct swview **views, uint8_t *dead)
{
	*mp = (struct merge_params){
		.hp = { .ifindex = h->ifindex, .peer_ifindex = h->peer_ifindex, .local4 = h->cfg->host.local4,
			.local6 = h->cfg->host.local6, .rule_priority = h->cfg->host.rule_priority, .proto = OL_PROTO },
		.me = h->cfg->name, .lo_ifindex = h->lo_ifindex, .dead = dead,
	};
	uplink_dead(h, dead);
	mp->steer = follow_rules(h->follow, &mp->nsteer);
	for (unsigned i = 0; i < h->cfg->host.nswitches; i++)
		views[i] = &h->sw[i].view;
}

void hostd_turn(struct hostd *h, int full)
{
	const struct swview *views[CFG_SWITCHES_MAX];
	uint8_t dead[CFG_SWITCHES_MAX];
	struct merge_params mp;
	struct kobj_set touched = { 0 };
	uint64_t t0 = thread_cpu_ns();
	int r = -EAGAIN;

	params(h, &mp, views, dead);
	if (h->changes.full || h->changes.n)
		h->upsteer_dirty = 1;
	kstate_upsteer(h); /* a new MAC is steered before a neighbor names it */
	if (!full && !h->changes.full && !h->bench_full_turns) {
		r = merge_apply(&h->view, views, h->cfg->host.nswitches, &mp, &h->changes, &touched);
		if (!r) {
			h->turns++;
			pstate_update(h);
			kstate_reconcile(h, &touched, 0);
		}
	}
	if (r) {
		/* at start, after a snapshot, an egress or host change, a resync;
		 * or a turn that only a rebuild can tell */
		if (merge_rebuild(&h->view, views, h->cfg->host.nswitches, &mp))
			log_err("out of memory building the desired state");
		h->rebuilds++;
		pstate_update(h);
		kstate_reconcile(h, NULL, 0);
		kstate_steer(h);
		egress_seen_sync(h); /* a follower switch agent learns its leader's leases */
	}
	kobj_set_free(&touched);
	/* the traffic counters follow the providers, shortly after: a burst
	 * of turns gives one nft transaction, outside the turn */
	if (h->view.changed.full || h->view.changed.n || h->view.tables_changed) {
		timer_arm(&h->traffic_t, TRAFFIC_DELAY_MS, 0);
		probing_changed(h->probing);
		repath_changed(h->repath);
	}
	if (h->view.cycles && strcmp(h->cycle_logged, h->view.cycle))
		log_err("backups across the switch agents go round in a cycle (%s): not followed; fix the switches' "
			"'backup' keys", h->view.cycle);
	snprintf(h->cycle_logged, sizeof(h->cycle_logged), "%s", h->view.cycle);
	if (h->view.bad_macs)
		log_limited(&h->rl_peer, LOG_WARNING, "%u provider addresses with a multicast, broadcast or zero MAC: not installed",
			    h->view.bad_macs);
	changes_clear(&h->changes);
	status_publish(h);
	uint64_t ns = thread_cpu_ns() - t0;
	if (r)
		h->rebuild_cpu_ns += ns;
	else
		h->turn_cpu_ns += ns;
}

/* The periodic repair: a full rebuild, which must find what the turns
 * kept, and a full comparison with the kernel. */
static void rebuild_check(struct hostd *h)
{
	const struct swview *views[CFG_SWITCHES_MAX];
	uint8_t dead[CFG_SWITCHES_MAX];
	struct merge_params mp;
	struct hview fresh = { 0 };
	char buf[160];
	params(h, &mp, views, dead);
	if (merge_rebuild(&fresh, views, h->cfg->host.nswitches, &mp)) {
		hview_free(&fresh);
		return;
	}
	const struct kobj_set *a = &h->view.desired, *b = &fresh.desired;
	size_t i = 0;
	while (i < a->n && i < b->n && kobj_equal(&a->v[i], &b->v[i]))
		i++;
	if (i < a->n || i < b->n) {
		h->rebuild_mismatches++;
		log_err("the desired state kept by turns differs from a rebuild (%zu and %zu objects; first: %s): rebuilt",
			a->n, b->n, kobj_str(i < b->n ? &b->v[i] : &a->v[i], buf, sizeof(buf)));
	}
	hview_free(&fresh);
	hostd_turn(h, 1);
	kstate_reconcile(h, NULL, 1);
}

static void rebuild_fire(struct timer *t)
{
	rebuild_check(t->arg);
}

static void startup_fire(struct timer *t)
{
	struct hostd *h = t->arg;
	if (!h->ready) {
		log_warn("not every switch agent answered within %d ms: applying what those that did say; nothing onlink "
			 "installed is deleted until every one has", STARTUP_GRACE_MS);
		h->ready = 1;
		hostd_turn(h, 1);
	}
}

static void traffic_fire(struct timer *t)
{
	kstate_traffic(t->arg);
}

static void keepalive_fire(struct timer *t)
{
	swlink_keepalive(t->arg);
	egress_live_expire(t->arg);
}

/* SIGHUP: a change to [probe] and [repath] alone is applied in place (the
 * probing started anew, the repath program kept; the switch sessions and
 * the egress proxy's subscription kept); any other change restarts the agent in place (daemon_reload);
 * an unchanged file: a rebuild check. */
static void reload(struct hostd *h)
{
	struct config *next = calloc(1, sizeof(*next));
	if (next && !config_load(h->cfg->path, next) && !config_same(h->cfg, next) && config_probe_only(h->cfg, next)) {
		daemon_reloading();
		struct config old = *h->cfg;
		probing_free(h->probing);
		h->probing = NULL;
		*h->cfg = *next;
		memset(next, 0, sizeof(*next));
		config_free(&old);
		int r = probing_new(h, &h->probing);
		if (r)
			log_err("reload: [probe]: %s; probing stopped", strerror(-r));
		if ((r = repath_reload(h, &h->repath)))
			log_err("reload: [repath]: %s; repath stopped", strerror(-r));
		log_info("reload: %s changed ([probe] and [repath] only): applied in place, %u probe targets; switch "
			 "sessions and subscribers kept", h->cfg->path, h->cfg->host.nprobe);
		char status[96];
		snprintf(status, sizeof(status), "host %s: %zu providers", h->cfg->name, h->view.merged.n);
		daemon_notify_ready(status);
	} else if (!daemon_reload(h->cfg)) { /* returns only when nothing is to change */
		rebuild_check(h);
	}
	if (next)
		config_free(next);
	free(next);
}

int hostd_run(struct config *c)
{
	struct hostd h = { .cfg = c, .upsteer_dirty = 1, .kept_since = time(NULL), .started_ms = now_ms(), .rl_peer = RATELIMIT_INIT(10000, 10) };
	int r;

	if ((r = loop_init())) {
		log_err("start-up: %s", strerror(-r));
		return 1;
	}
	daemon_signals(&h.sig_src, &h.stop, &h.reload);
	if (kstate_init(&h))
		return 1;
	h.ifindex = link_index(kstate_provider_if(&h));
	h.peer_ifindex = link_index(c->host.ifname);
	h.lo_ifindex = link_index("lo");
	/* bench/turns.sh's baseline: every turn a full rebuild, as before turns
	 * were incremental */
	h.bench_full_turns = knob("ONLINK_BENCH_FULL_TURNS") != NULL;
	/* the tests' only way to see a rekey without waiting two minutes */
	const char *rk = knob("ONLINK_TEST_REKEY_MS");
	h.rekey_ms = rk && atoi(rk) >= 100 ? (uint64_t)atoi(rk) : CONN_REKEY_MS;
	if (!h.ifindex && !c->host.multi_uplink)
		log_warn("uplink %s not present yet", c->host.ifname);
	/* without them keepalives, repairs and rebuilds would be silently dead */
	if ((r = timer_init(&h.keepalive_t, keepalive_fire, &h)) ||
	    (r = timer_init(&h.startup_t, startup_fire, &h)) || (r = timer_init(&h.rebuild_t, rebuild_fire, &h)) ||
	    (r = timer_init(&h.traffic_t, traffic_fire, &h))) {
		log_err("start-up: the agent's timers: %s", strerror(-r));
		return 1;
	}
	if ((r = control_open(c->control, status_control, &h))) {
		log_err("control socket %s: %s", c->control, strerror(-r));
		return 1;
	}
	for (unsigned i = 0; i < c->host.nswitches; i++)
		if ((r = swlink_init(&h.sw[i], &h, &c->host.switches[i]))) {
			log_err("start-up: switch %s: its timers: %s", c->host.switches[i].name, strerror(-r));
			return 1;
		}
	timer_arm(&h.startup_t, STARTUP_GRACE_MS, 0);
	timer_arm(&h.keepalive_t, c->keepalive * 1000ull, c->keepalive * 1000ull);
	timer_arm(&h.rebuild_t, REBUILD_CHECK_MS, REBUILD_CHECK_MS);
	if ((r = probing_new(&h, &h.probing))) {
		log_err("start-up: probing: %s", strerror(-r));
		return 1;
	}
	if ((r = repath_new(&h, &h.repath))) {
		log_err("start-up: repath: %s", strerror(-r));
		return 1;
	}
	if ((r = follow_new(&h, &h.follow))) {
		log_err("start-up: steering: %s", strerror(-r));
		return 1;
	}
	if (daemon_ready(c, status_metrics, &h, NULL))
		return 1;
	if (c->host.multi_uplink)
		log_info("host %s running: %u switch agents, each on its uplink; providers on %s", c->name,
			 c->host.nswitches, c->host.provider_dev);
	else
		log_info("host %s running: uplink %s, %u switch agents", c->name, c->host.ifname, c->host.nswitches);
	int notified = 0;
	while (!h.stop) {
		loop_run_once(-1);
		/* the turn the events of this wake-up asked for, once */
		if (h.want_turn) {
			int full = h.want_turn & 2;
			h.want_turn = 0;
			hostd_turn(&h, full);
		}
		if (h.ready && !notified) {
			char status[96];
			snprintf(status, sizeof(status), "host %s: %zu providers", c->name, h.view.merged.n);
			daemon_notify_ready(status);
			notified = 1;
		}
		if (h.reload) {
			h.reload = 0;
			reload(&h);
		}
	}
	/* Kernel state stays: forwarding never depends on the agent running. */
	log_info("stopping; kernel state left in place");
	daemon_stopping();
	for (unsigned i = 0; i < c->host.nswitches; i++)
		swlink_fini(&h.sw[i]);
	control_close();
	probing_free(h.probing);
	repath_free(h.repath);
	follow_free(h.follow);
	hview_free(&h.view);
	vec_free(&h.changes);
	api_egress_free(&h.api_egress);
	free(h.live.v);
	kstate_fini(&h);
	vec_free(&h.ps);
	loop_fini();
	return 0;
}
