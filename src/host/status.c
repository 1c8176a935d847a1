/* The host agent as others see it: the control socket (the human status
 * view behind `onlink status --json`, and the local API of proto/api.h),
 * the subscribers' updates, and the metrics. */
#include "base/version.h"
#include "host/agent.h"
#include "base/control.h"
#include "base/metrics.h"
#include "host/probing.h"
#include "host/repath.h"
#include "host/follow.h"
#include "host/steer.h"
#include "host/traffic.h"
#include "base/vec.h"
#include "proto/json.h"
#include <errno.h>
#include <jansson.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* The steering table's counters since the agent started, rewrites included. */
static void steer_totals(const struct hostd *h, uint64_t out[STEER_NCOUNTERS])
{
	steer_counters(out);
	for (int c = 0; c < STEER_NCOUNTERS; c++)
		out[c] += h->k.steer_base[c];
}

/* Why the agent still runs on the kernel's state: each switch agent that
 * has not given a snapshot since start, and what its session last said. */
static void kept_why(const struct hostd *h, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = 0;
	for (unsigned i = 0; i < h->cfg->host.nswitches && off < len; i++) {
		const struct swlink *s = &h->sw[i];
		if (s->view.have_snapshot)
			continue;
		int w = snprintf(buf + off, len - off, "%sswitch %s has not given its snapshot (%s%s%s)", off ? "; " : "",
				 s->cfg->name, sw_state_str(s->state), s->why[0] ? ": " : "", s->why);
		off += w > 0 ? (size_t)w : 0;
	}
}

/* null once every switch agent has answered */
static json_t *kernel_state_json(const struct hostd *h)
{
	char why[512];
	if (h->trusted)
		return json_null();
	kept_why(h, why, sizeof(why));
	return jpack("{s:s, s:I, s:s, s:I}", "running_on", "kernel", "since", (json_int_t)h->kept_since, "why", why,
			 "objects_kept", (json_int_t)h->kept_objects);
}

static json_t *human_status(struct hostd *h)
{
	const struct hview *v = &h->view;
	char a[ADDR_STRLEN], m[MAC_STRLEN];
	json_t *provs = json_array(), *sws = json_array(), *locals = json_array();
	/* the host's own addresses, the source of its routes through the
	 * providers: without one, that family's routes cannot be installed
	 * whatever the switch says (an admin down removes an IPv6 one) */
	int present[2] = { 1, 1 };
	const struct ol_addr *local[2] = { &h->cfg->host.local4, &h->cfg->host.local6 };
	for (int f = 0; f < 2; f++) {
		if (!local[f]->family)
			continue;
		present[f] = kstate_local_present(local[f]) != 0;
		jappend(&locals, jpack("{s:s, s:s, s:b}", "address", addr_str(local[f], a, sizeof(a)),
							"interface", h->cfg->host.ifname, "present", present[f]));
	}
	for (size_t i = 0; i < v->merged.n; i++) {
		const struct ol_provider *p = &v->merged.v[i];
		json_t *addrs = json_array();
		const struct pstate *ps = pstate_find(h, p->name);
		time_t since = ps ? ps->since : 0;
		for (unsigned k = 0; k < p->naddrs; k++) {
			const struct ol_paddr *pa = &p->addrs[k];
			json_t *aj = jpack("{s:s, s:s, s:s}",
				"address", addr_str(&pa->addr, a, sizeof(a)), "mac", mac_str(pa->mac, m, sizeof(m)),
				"state", pa->up ? "up" : "down");
			int f = pa->addr.family == AF_INET6;
			if (pa->up && !present[f]) {
				char why[96];
				snprintf(why, sizeof(why), "the host's address %s is not on %s",
					 addr_str(local[f], a, sizeof(a)), h->cfg->host.ifname);
				jset(&aj, "installed", json_false());
				jset(&aj, "why", json_string(why));
			}
			jappend(&addrs, aj);
		}
		json_t *pj = jpack("{s:s, s:I, s:s, s:I, s:o, s:s?}", "name", p->name,
			"table", (json_int_t)p->table, "state", provider_up(p) ? "up" : "down",
			"since", (json_int_t)since, "addresses", addrs, "backup", p->backup[0] ? p->backup : NULL);
		/* a backup no switch agent announces: worth knowing before it is needed */
		if (p->backup[0] && !provset_find(&v->merged, p->backup))
			jset(&pj, "backup_missing", json_true());
		/* sent to its backup's MACs by this host, or why not */
		const struct subst *st = vec_name_find(&v->subst, p->name);
		if (st)
			jset(&pj, "substituted", jpack("{s:s?, s:s?, s:s}", "via", st->via[0] ? st->via : NULL,
									  "why", st->why[0] ? st->why : NULL, "by", "host"));
		else if (p->via[0]) /* its switch agent substituted it (failed or drained there) */
			jset(&pj, "substituted", jpack("{s:s, s:s}", "via", p->via, "by", "switch"));
		jappend(&provs, pj);
	}
	json_t *eg = json_array(), *peers = json_array(), *kept = json_array();
	for (size_t i = 0; i < v->egress.n; i++)
		jappend(&eg, egress_to_json(&v->egress.v[i], h->cfg->name));
	/* ports of moved slices kept for their old owner's flows */
	for (size_t i = 0; i < v->kept.n; i++)
		jappend(&kept, jpack("{s:s, s:s, s:i, s:i}", "address", addr_str(&v->kept.v[i].addr, a, sizeof(a)), "host",
				     v->kept.v[i].host, "ports", (int)ports_count(&v->kept.v[i].ports), "ranges",
				     (int)v->kept.v[i].ports.n));
	for (size_t i = 0; i < v->dir.n; i++) {
		const struct dir_host *d = &v->dir.v[i];
		uint8_t mac[6];
		int known = !kstate_peer_mac(h, d, mac);
		jappend(&peers, jpack("{s:s, s:s, s:s?, s:b}", "name", d->name,
			"address", addr_str(&d->addr, a, sizeof(a)), "mac", known ? mac_str(mac, m, sizeof(m)) : NULL,
			"steered", merge_peer_steered(v, h->cfg->name, d->name)));
	}
	uint64_t steered[STEER_NCOUNTERS];
	steer_totals(h, steered);
	json_t *stj = json_object();
	for (int c = 0; c < STEER_NCOUNTERS; c++)
		jset(&stj, steer_counter_names[c], json_integer((json_int_t)steered[c]));
	for (unsigned i = 0; i < h->cfg->host.nswitches; i++) {
		const struct swlink *s = &h->sw[i];
		json_t *sw = jpack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I}", "name", s->cfg->name,
			"connect", s->cfg->connect.text, "state", sw_state_str(s->state),
			"since", (json_int_t)s->since, "providers", (json_int_t)s->view.provs.n,
			"sessions", (json_int_t)s->sessions, "stale_updates", (json_int_t)s->view.stale);
		jset(&sw, "uplink", jpack("{s:s, s:b, s:s?, s:s, s:I, s:s?, s:I, s:I, s:I, s:I}",
			"interface", s->uplink, "present", s->up_ifindex != 0,
			"carrier", s->carrier < 0 ? NULL : s->carrier ? "up" : "down",
			"forwarding", live_state_str(s->live.state), "since", (json_int_t)s->live_since,
			"why", s->live.why[0] ? s->live.why : NULL, "deaths", (json_int_t)s->live.deaths,
			"echo_sent", (json_int_t)s->echo_sent, "echo_answered", (json_int_t)s->echo_answered,
			"echo_errors", (json_int_t)s->echo_errors));
		/* what it says of the other switches over their peer link */
		json_t *rep = json_array();
		for (size_t k = 0; k < s->view.reports.n; k++)
			jappend(&rep, jpack("{s:s, s:s}", "switch", s->view.reports.v[k].name, "state",
							     s->view.reports.v[k].dead ? "dead" : "forwarding"));
		jset(&sw, "peer_reports", rep);
		if (s->fast.fd >= 0) {
			char key[48];
			key_print_public(s->fast.info.pub, key);
			jset(&sw, "fast_path", jpack("{s:s, s:i, s:I, s:I, s:I, s:s}",
				"group", addr_str(&s->fast.info.group, a, sizeof(a)), "port", (int)s->fast.info.port,
				"datagrams", (json_int_t)s->fast.received, "lost", (json_int_t)s->fast.lost,
				"rejected", (json_int_t)s->fast.rejected, "key", key));
		}
		/* the session's keys: rekeys so far, and how old the keys in use are */
		jset(&sw, "rekeys", json_integer((json_int_t)(s->rekeys + (s->state == SW_UP ? s->c.rekeys : 0))));
		jset(&sw, "handshake_failures", json_integer((json_int_t)s->handshake_failures));
		jset(&sw, "cookies", json_integer((json_int_t)s->cookies));
		if (s->state == SW_UP) {
			jset(&sw, "keys_age_ms", json_integer((json_int_t)(now_ms() - s->c.keys_ms)));
			/* how long it has said nothing: a switch that died without
			 * closing its sessions (its links cut) stays "up" until the
			 * keepalives lapse */
			jset(&sw, "silent_ms", json_integer((json_int_t)(now_ms() - s->c.last_rx_ms)));
		}
		jappend(&sws, sw);
	}
	json_t *root = jpack("{s:s, s:s, s:s, s:s, s:b, s:o, s:o, s:o, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
		"role", "host", "version", onlink_version,
		"name", h->cfg->name, "interface", kstate_provider_if(h), "ready", h->ready,
		"providers", provs, "switches", sws, "egress", eg, "hosts", peers,
		"reconciles", (json_int_t)h->k.reconciles, "repairs", (json_int_t)h->k.repairs,
		"kernel_errors", (json_int_t)h->k.errors, "netlink_resyncs", (json_int_t)h->k.resyncs,
		"kernel_dumps", (json_int_t)h->k.dumps, "kernel_writes", (json_int_t)h->k.requests,
		"kernel_write_batches", (json_int_t)h->k.sends, "turns", (json_int_t)h->turns,
		"rebuilds", (json_int_t)h->rebuilds, "rebuild_mismatches", (json_int_t)h->rebuild_mismatches,
		"subscribers", (json_int_t)control_subscribers(API_TOPIC_EGRESS | API_TOPIC_PROVIDERS),
		"turn_cpu_ns", (json_int_t)h->turn_cpu_ns, "rebuild_cpu_ns", (json_int_t)h->rebuild_cpu_ns,
		"kernel_write_cpu_ns", (json_int_t)h->k.write_cpu_ns);
	jset(&root, "steering", stj);
	jset(&root, "egress_kept", kept);
	if (h->probing)
		jset(&root, "probe", probing_json(h->probing));
	jset(&root, "repath", repath_json(h->repath));
	jset(&root, "steer", follow_json(h->follow));
	jset(&root, "backup_cycle", v->cycles ? json_string(v->cycle) : json_null());
	jset(&root, "kernel_state", kernel_state_json(h));
	jset(&root, "host_addresses", locals);
	return root;
}

/* ---- the local API ---- */

static char *api_providers(struct hostd *h)
{
	struct api_providers out = { 0 };
	const struct provset *m = &h->view.merged;
	char *line = NULL;
	if (vec_reserve(&out, m->n + 1))
		return NULL;
	for (size_t i = 0; i < m->n; i++) {
		const struct ol_provider *p = &m->v[i];
		const struct pstate *ps = pstate_find(h, p->name);
		struct api_provider *x = &out.v[out.n++];
		memset(x, 0, sizeof(*x));
		snprintf(x->name, sizeof(x->name), "%s", p->name);
		x->table = p->table;
		x->up = (uint8_t)provider_up(p);
		x->since = ps ? ps->since : 0;
		x->naddrs = p->naddrs;
		memcpy(x->addrs, p->addrs, sizeof(x->addrs));
		memcpy(x->via, p->via, sizeof(x->via));
	}
	line = api_providers_encode(&out);
	api_providers_free(&out);
	return line;
}

/* What an egress proxy on this host needs: 0 or -ENOMEM. */
static int egress_of(struct hostd *h, struct api_egress *e)
{
	const struct hview *v = &h->view;
	memset(e, 0, sizeof(*e));
	snprintf(e->host, sizeof(e->host), "%s", h->cfg->name);
	if (vec_reserve(&e->slices, v->egress.n + 1) || vec_reserve(&e->tables, v->merged.n + 1))
		return -ENOMEM;
	for (size_t i = 0; i < v->egress.n; i++)
		for (unsigned k = 0; k < v->egress.v[i].nslices; k++) {
			const struct ol_slice *mine = &v->egress.v[i].slices[k];
			if (strcmp(mine->host, h->cfg->name))
				continue;
			if (vec_reserve(&e->slices, e->slices.n + 1))
				return -ENOMEM;
			e->slices.v[e->slices.n++] = (struct api_slice){ .addr = v->egress.v[i].addr, .first = mine->first,
								       .last = mine->last };
		}
	/* ports of its slices kept for another host (a move): not for new flows */
	for (size_t k = 0; k < v->kept.n; k++) {
		const struct ol_kept *kp = &v->kept.v[k];
		if (!strcmp(kp->host, h->cfg->name))
			continue;
		for (size_t i = 0; i < e->slices.n; i++) {
			if (addr_cmp(&e->slices.v[i].addr, &kp->addr))
				continue;
			struct api_ports r = { .addr = kp->addr };
			ports_within(&kp->ports, e->slices.v[i].first, e->slices.v[i].last, &r.ports);
			if (r.ports.n && vec_push(&e->reserved, r))
				return -ENOMEM;
		}
	}
	for (size_t i = 0; i < v->merged.n; i++) {
		struct api_table *t = &e->tables.v[e->tables.n++];
		snprintf(t->name, sizeof(t->name), "%s", v->merged.v[i].name);
		t->table = v->merged.v[i].table;
	}
	return 0;
}

/* The status, typed: every field the human view shows (onlink status
 * renders it), with "api" and "reply" (docs/api.md). */
static char *api_status(struct hostd *h)
{
	json_t *root = human_status(h);
	jset(&root, "api", json_integer(API_VERSION));
	jset(&root, "reply", json_string("status"));
	char *out = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	if (!out)
		return NULL;
	char *line = NULL;
	if (asprintf(&line, "%s\n", out) < 0)
		line = NULL;
	free(out);
	return line;
}

/* The egress-slices answer as a line, or NULL when out of memory. */
static char *egress_line(struct hostd *h)
{
	struct api_egress e;
	char *out = egress_of(h, &e) ? NULL : api_egress_encode(&e);
	api_egress_free(&e);
	return out;
}

static char *api_request(struct hostd *h, const char *line)
{
	struct api_request rq;
	const char *why;
	if (api_request_decode(line, &rq, &why))
		return api_error_encode(why);
	switch (rq.kind) {
	case API_PROVIDERS:
		return api_providers(h);
	case API_EGRESS_SLICES:
		return egress_line(h);
	case API_STATUS:
		return api_status(h);
	case API_ROUTE:
		return routeq_answer(h, rq.destination);
	case API_EGRESS_LIVE:
		return egress_live_request(h, line);
	case API_FLOWS:
	case API_SLICES:
		return api_error_encode("the egress proxy's request: ask its socket (/run/onlink/egress.sock)");
	case API_SUBSCRIBE: {
		/* the first answer: each topic's state now, egress-slices first */
		char *eg = rq.topics & API_TOPIC_EGRESS ? egress_line(h) : NULL;
		char *pv = rq.topics & API_TOPIC_PROVIDERS ? api_providers(h) : NULL;
		char *first = NULL;
		int missing = ((rq.topics & API_TOPIC_EGRESS) && !eg) || ((rq.topics & API_TOPIC_PROVIDERS) && !pv);
		if (!missing && asprintf(&first, "%s%s", eg ? eg : "", pv ? pv : "") < 0)
			first = NULL;
		free(eg);
		free(pv);
		if (!first)
			return NULL;
		if (control_subscribe(rq.topics, first))
			return api_error_encode("too many subscribers");
		return NULL;
	}
	}
	return api_error_encode("unknown request");
}

char *status_control(const char *req, void *arg)
{
	struct hostd *h = arg;
	if (api_is_request(req))
		return api_request(h, req);
	/* the bare word of CLIs before the typed request: the same answer */
	return strcmp(req, "status") ? api_error_encode("unknown request: the host agent takes the typed requests of "
							"docs/api.md") : api_status(h);
}

void status_publish(struct hostd *h)
{
	if (control_subscribers(API_TOPIC_PROVIDERS) && (h->view.changed.full || h->view.changed.n)) {
		char *p = api_providers(h);
		if (p)
			control_publish(API_TOPIC_PROVIDERS, p);
		free(p);
	}
	/* slices and tables change rarely: compared only when they may have */
	if (!h->view.tables_changed && !h->view.changed.full)
		return;
	struct api_egress e;
	if (egress_of(h, &e) || api_egress_equal(&e, &h->api_egress)) {
		api_egress_free(&e);
		return;
	}
	api_egress_free(&h->api_egress);
	h->api_egress = e;
	if (!control_subscribers(API_TOPIC_EGRESS))
		return;
	char *line = api_egress_encode(&h->api_egress);
	if (line)
		control_publish(API_TOPIC_EGRESS, line);
	free(line);
}

/* ---- metrics ---- */

static const char *switch_name(const void *arg, size_t i)
{
	return ((const struct hostd *)arg)->sw[i].cfg->name;
}

static void steer_metrics(const struct hostd *h, FILE *f)
{
	uint64_t n[STEER_NCOUNTERS];
	char l[64];
	steer_totals(h, n);
	mx_family(f, "onlink_host_egress_icmp_total", "counter",
		  "ICMP errors for a shared egress address by outcome: own (this host's slice), steered (to the slice's "
		  "owner), dropped (owner unknown or slice resting), limited (over a rate limit), unowned (no slice).");
	for (int c = STEER_ICMP_OWN; c <= STEER_ICMP_UNOWNED; c++)
		mx_sample(f, "onlink_host_egress_icmp_total", mx_label(l, sizeof(l), "outcome", steer_counter_names[c] + 5),
			  (double)n[c]);
	mx_family(f, "onlink_host_egress_resting_dropped_total", "counter",
		  "Replies for a resting slice (its host died; quarantine), dropped here.");
	mx_sample(f, "onlink_host_egress_resting_dropped_total", "", (double)n[STEER_RESTING]);
}

void status_metrics(FILE *f, void *arg)
{
	struct hostd *h = arg;
	const struct provset *m = &h->view.merged;
	char l[300], n[160], t[32];
	mx_family(f, "onlink_host_switch_connected", "gauge", "1 while the session with the switch agent is up.");
	for (unsigned i = 0; i < h->cfg->host.nswitches; i++)
		mx_sample(f, "onlink_host_switch_connected", mx_label(l, sizeof(l), "switch", h->sw[i].cfg->name),
			  h->sw[i].state == SW_UP);
	mx_family(f, "onlink_host_switch_sessions_total", "counter",
		  "Sessions with the switch agent authenticated (reconnects included).");
	for (unsigned i = 0; i < h->cfg->host.nswitches; i++)
		mx_sample(f, "onlink_host_switch_sessions_total", mx_label(l, sizeof(l), "switch", h->sw[i].cfg->name),
			  (double)h->sw[i].sessions);
	mx_family(f, "onlink_host_switch_forwarding", "gauge",
		  "1 while the switch is used: its uplink has carrier and it answers echoes (0: dead or held down).");
	for (unsigned i = 0; i < h->cfg->host.nswitches; i++) {
		snprintf(t, sizeof(t), "uplink=\"%s\"", h->sw[i].uplink);
		snprintf(l, sizeof(l), "%s,%s", mx_label(n, sizeof(n), "switch", h->sw[i].cfg->name), t);
		mx_sample(f, "onlink_host_switch_forwarding", l, h->sw[i].live.state == LIVE_UP);
	}
	mx_family(f, "onlink_host_switch_state_since_timestamp_seconds", "gauge",
		  "When the switch last became forwarding, dead or held down (Unix time).");
	for (unsigned i = 0; i < h->cfg->host.nswitches; i++)
		mx_sample(f, "onlink_host_switch_state_since_timestamp_seconds",
			  mx_label(l, sizeof(l), "switch", h->sw[i].cfg->name), (double)h->sw[i].live_since);
	static const struct mx_counter live[] = {
		{ "onlink_host_switch_deaths_total", "Times the switch was held dead (carrier lost, echoes unanswered).",
		  offsetof(struct swlink, live.deaths) },
		{ "onlink_host_switch_flaps_total", "Times the switch died again within its hold-down.",
		  offsetof(struct swlink, live.flaps) },
		{ "onlink_host_switch_echo_sent_total", "Echo requests sent to the switch through its uplink.",
		  offsetof(struct swlink, echo_sent) },
		{ "onlink_host_switch_echo_answered_total", "Echo replies from the switch.", offsetof(struct swlink, echo_answered) },
		{ "onlink_host_switch_handshake_failures_total",
		  "Handshakes that did not complete: the switch agent's answer did not open (it does not hold the key of "
		  "public-key), or it hung up (it refused this host's key).", offsetof(struct swlink, handshake_failures) },
		{ "onlink_host_switch_cookies_total",
		  "Cookie replies from the switch agent (under load it asks a first message to prove its address).",
		  offsetof(struct swlink, cookies) },
	};
	mx_counters(f, live, sizeof(live) / sizeof(live[0]), &h->sw[0], sizeof(h->sw[0]), h->cfg->host.nswitches,
		    "switch", switch_name, h);
	mx_family(f, "onlink_host_provider_substituted", "gauge",
		  "1 while this host sends the provider's traffic to its backup's MACs.");
	for (size_t i = 0; i < h->view.subst.n; i++)
		mx_sample(f, "onlink_host_provider_substituted", mx_label(l, sizeof(l), "provider", h->view.subst.v[i].name),
			  h->view.subst.v[i].via[0] != 0);
	probing_metrics(h->probing, f);
	repath_metrics(h->repath, f);
	follow_metrics(h->follow, f);
	traffic_metrics(f);
	steer_metrics(h, f);
	mx_family(f, "onlink_host_backup_cycles", "gauge", "Providers whose backups go round in a cycle.");
	mx_sample(f, "onlink_host_backup_cycles", "", h->view.cycles);
	static const struct mx_counter fast[] = {
		{ "onlink_host_fastpath_datagrams_total", "Change datagrams taken from the switch agent's fast path.",
		  offsetof(struct fastrx, received) },
		{ "onlink_host_fastpath_lost_total", "Change datagrams missed (gaps in the sequence; the session repairs them).",
		  offsetof(struct fastrx, lost) },
		{ "onlink_host_fastpath_rejected_total", "Datagrams in the group that did not authenticate, or came late.",
		  offsetof(struct fastrx, rejected) },
	};
	mx_counters(f, fast, sizeof(fast) / sizeof(fast[0]), &h->sw[0].fast, sizeof(h->sw[0]), h->cfg->host.nswitches,
		    "switch", switch_name, h);
	mx_family(f, "onlink_host_provider_up", "gauge", "1 when the provider is up (its next hop resolved on the switch).");
	for (size_t i = 0; i < m->n; i++) {
		snprintf(t, sizeof(t), "table=\"%u\"", m->v[i].table);
		snprintf(l, sizeof(l), "%s,%s", mx_label(n, sizeof(n), "provider", m->v[i].name), t);
		mx_sample(f, "onlink_host_provider_up", l, provider_up(&m->v[i]));
	}
	static const struct mx_counter counters[] = {
		{ "onlink_host_reconciles_total", "Reconciler runs.", offsetof(struct hostd, k.reconciles) },
		{ "onlink_host_reconcile_repairs_total", "Kernel objects put back after something else changed them.",
		  offsetof(struct hostd, k.repairs) },
		{ "onlink_host_kernel_write_errors_total", "Kernel writes the kernel refused.",
		  offsetof(struct hostd, k.errors) },
		{ "onlink_host_netlink_resyncs_total", "Full dumps after a netlink overrun.", offsetof(struct hostd, k.resyncs) },
		{ "onlink_host_kernel_dumps_total", "Dumps of the kernel's state in onlink's scope.",
		  offsetof(struct hostd, k.dumps) },
		{ "onlink_host_kernel_writes_total", "Kernel objects written (added, replaced, deleted).",
		  offsetof(struct hostd, k.requests) },
		{ "onlink_host_kernel_write_batches_total", "Netlink messages (sendmsg calls) those writes took.",
		  offsetof(struct hostd, k.sends) },
		{ "onlink_host_turns_total", "Turns: changes from the switch agents applied to the desired state.",
		  offsetof(struct hostd, turns) },
		{ "onlink_host_rebuilds_total", "Full rebuilds of the desired state (snapshots, resyncs, the periodic check).",
		  offsetof(struct hostd, rebuilds) },
		{ "onlink_host_rebuild_mismatches_total",
		  "Periodic rebuilds that found the desired state kept by turns different (a bug: logged).",
		  offsetof(struct hostd, rebuild_mismatches) },
	};
	mx_counters(f, counters, sizeof(counters) / sizeof(counters[0]), h, 0, 1, NULL, NULL, NULL);
	mx_family(f, "onlink_host_api_subscribers", "gauge", "Local API clients subscribed (the egress proxy), by topic.");
	mx_sample(f, "onlink_host_api_subscribers", "topic=\"egress-slices\"", control_subscribers(API_TOPIC_EGRESS));
	mx_sample(f, "onlink_host_api_subscribers", "topic=\"providers\"", control_subscribers(API_TOPIC_PROVIDERS));
	mx_family(f, "onlink_host_ready", "gauge", "1 once the switch agents' snapshots are applied (or the start-up grace ran out).");
	mx_sample(f, "onlink_host_ready", "", h->ready);
	mx_family(f, "onlink_host_kernel_state_kept", "gauge",
		  "1 while not every switch agent has given a snapshot since start: the agent runs on what the kernel holds and deletes nothing.");
	mx_sample(f, "onlink_host_kernel_state_kept", "", !h->trusted);
	mx_family(f, "onlink_host_objects_kept", "gauge",
		  "Objects onlink installed that the switch agents' word so far would delete, kept until every one has answered.");
	mx_sample(f, "onlink_host_objects_kept", "", (double)h->kept_objects);
	mx_family(f, "onlink_host_address_present", "gauge",
		  "1 while the host's own address (the source of its routes through the providers) is on one of its interfaces.");
	const struct ol_addr *local[2] = { &h->cfg->host.local4, &h->cfg->host.local6 };
	for (int i = 0; i < 2; i++) {
		char a[ADDR_STRLEN];
		if (local[i]->family)
			mx_sample(f, "onlink_host_address_present", mx_label(l, sizeof(l), "address", addr_str(local[i], a, sizeof(a))),
				  kstate_local_present(local[i]) == 1);
	}
}
