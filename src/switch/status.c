/* The switch agent's view of itself: the control socket's answers (its
 * typed status; the operator requests, carried out by opcmd.c) and the
 * metrics. As host/status.c is for the host agent. */
#include "base/version.h"
#include "switch/switchd_int.h"
#include "switch/steering.h"
#include "base/control.h"
#include "base/metrics.h"
#include "proto/api.h"
#include "proto/json.h"
#include "proto/opapi.h"
#include "switch/portstats.h"
#include <jansson.h>
#include <linux/neighbour.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

static json_t *provider_json(const struct switchd *s, const struct track_provider *p)
{
	json_t *addrs = json_array();
	char a[ADDR_STRLEN], m[MAC_STRLEN];
	for (unsigned k = 0; k < p->pub.naddrs; k++) {
		const struct ol_paddr *pa = &p->pub.addrs[k];
		const struct track_addr *ta = &p->addrs[k];
		const struct track_link *port = NULL;
		for (size_t l = 0; l < s->tr.nlinks; l++)
			if (s->tr.links[l].ifindex == ta->port)
				port = &s->tr.links[l];
		jappend(&addrs, jpack("{s:s, s:s?, s:s, s:s, s:s?}",
			"address", addr_str(&pa->addr, a, sizeof(a)),
			"mac", ta->has_mac ? mac_str(ta->mac, m, sizeof(m)) : NULL,
			"state", pa->up ? "up" : "down",
			"neighbor", ta->present ? nud_str(ta->nud) : "absent",
			"port", port ? port->name : NULL));
	}
	size_t i = (size_t)(p - s->tr.p);
	int from_config, pin = track_pin(&s->tr, p, &from_config);
	const char *pinned = from_config ? p->cfg->port : pin ? track_link_name(&s->tr, pin) : NULL;
	return jpack("{s:s, s:I, s:s, s:s, s:I, s:o, s:o, s:{s:s?, s:s, s:b, s:I}}", "name", p->pub.name, "table",
			 (json_int_t)p->pub.table, "interface", p->cfg->ifname, "state", provider_up(&p->pub) ? "up" : "down",
			 "since", (json_int_t)p->since, "addresses", addrs, "failover",
			 provctl_provider_json(s->pc, i, now_ms()), "pinned", "port", pinned, "from",
			 from_config ? "config" : pin ? "learned" : "none", "present", pin != 0, "refused",
			 (json_int_t)p->mac_refused);
}

/* The switch agent's state, whole: the typed status reply (docs/api.md),
 * which onlink status renders */
static char *status_answer(struct switchd *s)
{
	json_t *root;
	json_t *provs = json_array(), *peers = peers_json(&s->peers);
	for (size_t i = 0; i < s->tr.n; i++)
		jappend(&provs, provider_json(s, &s->tr.p[i]));
	json_t *eg = json_array();
	for (size_t i = 0; i < s->eg.n; i++)
		jappend(&eg, egress_to_json(&s->eg.v[i], NULL));
	root = jpack("{s:s, s:s, s:s, s:o, s:o, s:o, s:I, s:o, s:o, s:I}", "role", "switch", "version", onlink_version, "name", s->cfg->name,
			 "providers", provs, "peers", peers, "egress", eg, "netlink_resyncs", (json_int_t)s->resyncs,
			 "bird", provctl_json(s->pc), "replays", peers_replays_json(&s->peers),
			 "sessions_replaced", (json_int_t)s->peers.replaced);
	jset(&root, "under_load", json_boolean(loadgate_under_load(s->peers.lg, now_ms(), s->peers.nunauth)));
	jset(&root, "unauthenticated", json_integer(s->peers.nunauth));
	/* the ports' own aliases, kept to be given back */
	json_t *pa = json_array();
	for (size_t i = 0; i < s->state.n; i++)
		jappend(&pa, jpack("{s:s, s:s}", "port", s->state.aliases[i].port, "alias",
						    s->state.aliases[i].alias));
	jset(&root, "port_aliases", pa);
	/* the pools' leases: times in Unix seconds */
	json_t *ls = json_array();
	char a[ADDR_STRLEN];
	for (size_t i = 0; i < s->state.leases.n; i++) {
		const struct lease *l = &s->state.leases.v[i];
		json_t *o = jpack("{s:s, s:s, s:i, s:i, s:s, s:s, s:I}", "pool", l->pool, "address",
				  addr_str(&l->addr, a, sizeof(a)), "first", (int)l->first, "last", (int)l->last, "host",
				  l->host, "state", lease_state_str(l->state), "since", (json_int_t)(l->since / 1000));
		if (l->state == LEASE_RESTING)
			jset(&o, "until", json_integer((json_int_t)(l->until / 1000)));
		int in_use = swegress_in_use(s, l); /* the ports its flows hold in it, as its host last said */
		if (in_use >= 0)
			jset(&o, "in_use", json_integer(in_use));
		jappend(&ls, o);
	}
	jset(&root, "leases", ls);
	/* slices that changed hands: the ports kept for their old owner's flows */
	json_t *mv = json_array();
	for (size_t i = 0; i < s->state.moves.n; i++) {
		const struct move *m = &s->state.moves.v[i];
		json_t *ports = json_array();
		for (unsigned k = 0; k < m->ports.n; k++)
			jappend(&ports, jpack("[i, i]", (int)m->ports.r[k].first, (int)m->ports.r[k].last));
		jappend(&mv, jpack("{s:s, s:s, s:i, s:i, s:i, s:o, s:I, s:I}", "address", addr_str(&m->addr, a, sizeof(a)),
				   "host", m->host, "first", (int)m->first, "last", (int)m->last, "kept",
				   (int)ports_count(&m->ports), "ports", ports, "since", (json_int_t)(m->since / 1000), "until",
				   (json_int_t)(m->until / 1000)));
	}
	jset(&root, "moves", mv);
	/* what each host says its egress flows hold, per shared address */
	json_t *lv = json_array();
	for (size_t i = 0; i < s->eg.lives.n; i++) {
		const struct live_report *r = &s->eg.lives.v[i];
		jappend(&lv, jpack("{s:s, s:s, s:i}", "host", r->host, "address", addr_str(&r->addr, a, sizeof(a)), "in_use",
				   (int)r->in_use));
	}
	jset(&root, "live", lv);
	if (s->cfg->sw.peer_link[0])
		jset(&root, "peer_link", jpack("{s:s, s:s, s:s, s:I, s:I}", "interface",
			s->cfg->sw.peer_link, "switch", s->cfg->sw.peer_switch, "carrier",
			s->peer_carrier > 0 ? "up" : "down", "since", (json_int_t)s->peer_since,
			"losses", (json_int_t)s->peer_losses));
	/* other switch agents' providers this one relies on as backups:
	 * only the hosts, which see every switch agent, resolve them */
	json_t *rb = json_array();
	for (unsigned i = 0; i < s->cfg->sw.nproviders; i++) {
		const struct cfg_provider *cp = &s->cfg->sw.providers[i];
		if (cp->backup[0] && cp->backup_idx < 0)
			jappend(&rb, jpack("{s:s, s:s}", "provider", cp->name, "backup", cp->backup));
	}
	jset(&root, "remote_backups", rb);
	if (s->steer)
		jset(&root, "steer", steering_json(s->steer));
	if (s->fp)
		jset(&root, "fast_path",
				    jpack("{s:s, s:s, s:I, s:I, s:I, s:I}", "group", s->cfg->sw.fast_path.text,
					      "interface", s->cfg->sw.fast_path_if, "delay_ms",
					      (json_int_t)s->cfg->sw.fast_path_delay_ms, "generation", (json_int_t)s->gen,
					      "datagrams", (json_int_t)s->fp->sent, "errors", (json_int_t)s->fp->errors));
	jset(&root, "api", json_integer(API_VERSION));
	jset(&root, "reply", json_string("status"));
	char *out = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return out;
}

static char *error_answer(const char *why)
{
	json_t *root = jpack("{s:i, s:s}", "api", API_VERSION, "error", why);
	char *out = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return out;
}

/* ---- subscriptions: what changes, as it changes ---- */

/* A topic's state now, as a line: stable (no clocks in it), so that a
 * line that differs from the last one is a change. */
static char *topic_line(const struct switchd *s, unsigned topic)
{
	json_t *root = NULL, *a = json_array();
	char ad[ADDR_STRLEN], m[MAC_STRLEN];
	if (topic == OP_TOPIC_PROVIDERS) {
		for (size_t i = 0; i < s->tr.n; i++) {
			const struct ol_provider *p = &s->tr.p[i].pub;
			json_t *addrs = json_array();
			for (unsigned k = 0; k < p->naddrs; k++)
				jappend(&addrs, jpack("{s:s, s:s, s:b}", "address",
					addr_str(&p->addrs[k].addr, ad, sizeof(ad)), "mac", mac_str(p->addrs[k].mac, m, sizeof(m)),
					"up", p->addrs[k].up));
			jappend(&a, jpack("{s:s, s:I, s:b, s:s?, s:o}", "name", p->name, "table",
				(json_int_t)p->table, "up", provider_up(p), "via", p->via[0] ? p->via : NULL, "addresses", addrs));
		}
		root = jpack("{s:i, s:s, s:o}", "api", API_VERSION, "reply", "providers", "providers", a);
	} else if (topic == OP_TOPIC_SESSIONS) {
		json_t *peers = peers_json(&s->peers);
		size_t i;
		json_t *x;
		json_array_foreach(peers, i, x)
			jappend(&a, jpack("{s:O, s:O, s:O}", "name", json_object_get(x, "name"), "address",
							   json_object_get(x, "address"), "since", json_object_get(x, "since")));
		json_decref(peers);
		root = jpack("{s:i, s:s, s:o}", "api", API_VERSION, "reply", "sessions", "sessions", a);
	} else {
		json_decref(a);
		a = json_array();
		for (unsigned i = 0; i < s->cfg->sw.nproviders; i++) {
			json_t *pj = provctl_provider_json(s->pc, i, 0);
			jappend(&a, jpack("{s:s, s:O, s:O}", "provider", s->cfg->sw.providers[i].name,
							   "state", json_object_get(pj, "state"), "bird", json_object_get(pj, "bird")));
			json_decref(pj);
		}
		json_t *b = provctl_json(s->pc);
		root = jpack("{s:i, s:s, s:O, s:o}", "api", API_VERSION, "reply", "bird", "connected",
				 json_object_get(b, "connected"), "providers", a);
		json_decref(b);
	}
	char *out = root ? json_dumps(root, JSON_COMPACT) : NULL;
	json_decref(root);
	char *line = NULL;
	if (out && asprintf(&line, "%s\n", out) < 0)
		line = NULL;
	free(out);
	return line;
}

static char *subscribe(struct switchd *s, unsigned topics)
{
	char *first = NULL;
	for (unsigned i = 0; i < OP_TOPICS; i++) {
		if (!(topics & 1u << i))
			continue;
		char *l = topic_line(s, 1u << i), *n = NULL;
		if (!l || asprintf(&n, "%s%s", first ? first : "", l) < 0)
			n = NULL;
		free(first);
		first = n;
		free(s->sub_last[i]); /* the others get it only when it changes from here */
		s->sub_last[i] = l;
		if (!first)
			return error_answer("out of memory");
	}
	if (control_subscribe(topics, first))
		return error_answer("too many subscribers");
	return NULL;
}

void switch_publish(struct switchd *s)
{
	for (unsigned i = 0; i < OP_TOPICS; i++) {
		if (!control_subscribers(1u << i))
			continue;
		char *l = topic_line(s, 1u << i);
		if (!l)
			continue;
		if (s->sub_last[i] && !strcmp(l, s->sub_last[i])) {
			free(l);
			continue;
		}
		control_publish(1u << i, l);
		free(s->sub_last[i]);
		s->sub_last[i] = l;
	}
}

void switch_subscriptions_free(struct switchd *s)
{
	for (unsigned i = 0; i < OP_TOPICS; i++) {
		free(s->sub_last[i]);
		s->sub_last[i] = NULL;
	}
}

char *switch_control(const char *req, void *arg)
{
	struct switchd *s = arg;
	uid_t uid = (uid_t)-1;
	pid_t pid = 0;
	char who[64];
	const char *why;
	struct opapi_request rq;
	/* the bare word of CLIs before the typed request: the same answer */
	if (!strcmp(req, "status"))
		return status_answer(s);
	if (!api_is_request(req))
		return error_answer("unknown request: the switch agent takes the typed requests of docs/api.md");
	if (opapi_request_decode(req, &rq, &why) < 0)
		return error_answer(why);
	if (rq.kind == OP_STATUS)
		return status_answer(s);
	if (rq.kind == OP_SUBSCRIBE)
		return subscribe(s, rq.topics);
	if (rq.kind == OP_EGRESS_MOVE)
		return swegress_move(s, rq.host);
	control_peer(&uid, &pid);
	snprintf(who, sizeof(who), "uid %ld pid %ld", (long)uid, (long)pid);
	return provctl_op(s->pc, &rq, who);
}

/* every lease (its since as the value), and each pool's slices by state */
static void lease_metrics(struct switchd *s, FILE *f)
{
	const struct leases *L = &s->state.leases;
	char l[256], a[ADDR_STRLEN];
	mx_family(f, "onlink_switch_egress_lease_since_timestamp_seconds", "gauge",
		  "Each egress lease, held or resting (its host died), and since when (Unix time).");
	for (size_t i = 0; i < L->n; i++) {
		const struct lease *x = &L->v[i];
		snprintf(l, sizeof(l), "pool=\"%s\",address=\"%s\",ports=\"%u-%u\",host=\"%s\",state=\"%s\"", x->pool,
			 addr_str(&x->addr, a, sizeof(a)), x->first, x->last, x->host, lease_state_str(x->state));
		mx_sample(f, "onlink_switch_egress_lease_since_timestamp_seconds", l, (double)(x->since / 1000));
	}
	mx_family(f, "onlink_switch_egress_pool_slices", "gauge", "Slices of each pool and family: held, resting, free.");
	for (unsigned p = 0; p < s->cfg->sw.npools; p++) {
		const struct cfg_pool *pl = &s->cfg->sw.pools[p];
		for (int fam = 0; fam < 2; fam++) {
			unsigned total = 0, n[3] = { 0 };
			int family = fam ? AF_INET6 : AF_INET;
			for (unsigned k = 0; k < pl->naddrs; k++)
				total += pl->addrs[k].family == family ? pool_slices(pl) : 0;
			if (!total)
				continue;
			for (size_t i = 0; i < L->n; i++)
				if (!strcmp(L->v[i].pool, pl->name) && L->v[i].addr.family == family)
					n[L->v[i].state]++;
			n[0] = total - n[LEASE_HELD] - n[LEASE_RESTING];
			static const char *const st[3] = { "free", "held", "resting" };
			for (int k = 0; k < 3; k++) {
				snprintf(l, sizeof(l), "pool=\"%s\",family=\"%s\",state=\"%s\"", pl->name, fam ? "ipv6" : "ipv4",
					 st[k]);
				mx_sample(f, "onlink_switch_egress_pool_slices", l, n[k]);
			}
		}
	}
	mx_family(f, "onlink_switch_egress_lease_in_use_ports", "gauge",
		  "Ports of a held lease its host's flows hold (its last report).");
	for (size_t i = 0; i < L->n; i++) {
		const struct lease *x = &L->v[i];
		int in_use = swegress_in_use(s, x);
		if (in_use < 0)
			continue;
		snprintf(l, sizeof(l), "pool=\"%s\",address=\"%s\",ports=\"%u-%u\",host=\"%s\"", x->pool,
			 addr_str(&x->addr, a, sizeof(a)), x->first, x->last, x->host);
		mx_sample(f, "onlink_switch_egress_lease_in_use_ports", l, in_use);
	}
	mx_family(f, "onlink_switch_egress_moves", "gauge", "Slices moved from a living host whose flows still keep ports.");
	mx_sample(f, "onlink_switch_egress_moves", "", (double)s->state.moves.n);
	mx_family(f, "onlink_switch_egress_moves_total", "counter",
		  "Moves by how they ended: started, ended (the old owner's flows there ended), expired (move-deadline, or "
		  "its host died).");
	mx_sample(f, "onlink_switch_egress_moves_total", "outcome=\"started\"", (double)s->state.moves.started);
	mx_sample(f, "onlink_switch_egress_moves_total", "outcome=\"ended\"", (double)s->state.moves.ended);
	mx_sample(f, "onlink_switch_egress_moves_total", "outcome=\"expired\"", (double)s->state.moves.expired);
	mx_family(f, "onlink_switch_egress_lease_changes_total", "counter",
		  "Lease changes: leased, rests, back, freed, ended.");
	mx_sample(f, "onlink_switch_egress_lease_changes_total", "", (double)s->eg.changes);
	mx_family(f, "onlink_switch_egress_pool_exhausted_total", "counter",
		  "Times a live host found no free slice of a family in its pool.");
	mx_sample(f, "onlink_switch_egress_pool_exhausted_total", "", (double)L->exhausted);
}

void switch_metrics(FILE *f, void *arg)
{
	struct switchd *s = arg;
	char l[160];
	unsigned up = peers_up(&s->peers);
	lease_metrics(s, f);
	steering_metrics(s->steer, f);
	mx_family(f, "onlink_switch_peers_connected", "gauge", "Host agents connected and authenticated.");
	mx_sample(f, "onlink_switch_peers_connected", "", up);
	mx_family(f, "onlink_switch_sessions_total", "counter", "Host agent sessions authenticated (reconnects included).");
	mx_sample(f, "onlink_switch_sessions_total", "", (double)s->peers.sessions);
	mx_family(f, "onlink_switch_handshakes_refused_total", "counter",
		  "Host handshakes refused, by reason: bad_handshake (not made for this switch's public key, or "
		  "altered), unknown_key (no [host NAME] has the key), wrong_name, replay, bad_mac1 (not for this switch's "
		  "key: no key work), under_load_cookie (under load without a cookie: answered with one, no key work), "
		  "under_load_rate (under load, its address had its 20 a second).");
	for (int i = CONN_BAD_HANDSHAKE; i < CONN_REFUSALS; i++)
		mx_sample(f, "onlink_switch_handshakes_refused_total", mx_label(l, sizeof(l), "reason", conn_refusal_label[i]),
			  (double)s->peers.refused[i]);
	mx_family(f, "onlink_switch_peers_unauthenticated", "gauge",
		  "Host connections not yet authenticated (at most 8 per address, 512 in all, 5 s each).");
	mx_sample(f, "onlink_switch_peers_unauthenticated", "", s->peers.nunauth);
	mx_family(f, "onlink_switch_preauth_closed_total", "counter",
		  "Host connections closed before they authenticated: per_address (8 already from it), evicted (the oldest "
		  "of 512, for a new one), descriptors (the limit less those kept for the control socket), handshake_timeout (5 s).");
	for (int i = 0; i < 4; i++)
		mx_sample(f, "onlink_switch_preauth_closed_total", mx_label(l, sizeof(l), "reason", peers_preauth_label[i]),
			  (double)s->peers.preauth_closed[i]);
	mx_family(f, "onlink_switch_under_load", "gauge",
		  "1 while the switch agent asks first messages for a cookie (64 connections not yet authenticated, or 400 first messages a second).");
	mx_sample(f, "onlink_switch_under_load", "", loadgate_under_load(s->peers.lg, now_ms(), s->peers.nunauth));
	mx_family(f, "onlink_switch_under_load_episodes_total", "counter", "Times the switch agent came under load.");
	mx_sample(f, "onlink_switch_under_load_episodes_total", "", (double)s->peers.lg->episodes);
	mx_family(f, "onlink_switch_fdb_entries", "gauge", "MACs the switch agent follows in the bridges' forwarding databases.");
	mx_sample(f, "onlink_switch_fdb_entries", "", (double)s->tr.fdb.n);
	mx_family(f, "onlink_switch_fdb_overflows_total", "counter",
		  "Learned MACs not followed because the mirror was at its bound (65536; providers' MACs always are).");
	mx_sample(f, "onlink_switch_fdb_overflows_total", "", (double)s->tr.fdb_overflows);
	mx_family(f, "onlink_switch_sessions_replaced_total", "counter",
		  "Host sessions replaced by a newer one with the same key (a restarted host; if it repeats, two agents with one key).");
	mx_sample(f, "onlink_switch_sessions_replaced_total", "", (double)s->peers.replaced);
	mx_family(f, "onlink_switch_rekeys_total", "counter", "New handshakes inside sessions (every 2 minutes or so).");
	mx_sample(f, "onlink_switch_rekeys_total", "", (double)peers_rekeys(&s->peers));
	mx_family(f, "onlink_switch_provider_updates_total", "counter", "Provider changes sent to the hosts.");
	mx_sample(f, "onlink_switch_provider_updates_total", "", (double)s->updates);
	mx_family(f, "onlink_switch_netlink_resyncs_total", "counter",
		  "Full dumps of the kernel's neighbor table after a netlink overrun.");
	mx_sample(f, "onlink_switch_netlink_resyncs_total", "", (double)s->resyncs);
	if (s->fp) {
		mx_family(f, "onlink_switch_fastpath_datagrams_total", "counter", "Change datagrams sent to the fast path's group.");
		mx_sample(f, "onlink_switch_fastpath_datagrams_total", "", (double)s->fp->sent);
		mx_family(f, "onlink_switch_fastpath_errors_total", "counter",
			  "Change datagrams that could not be sent (the sessions carried those changes).");
		mx_sample(f, "onlink_switch_fastpath_errors_total", "", (double)s->fp->errors);
	}
	if (s->cfg->sw.peer_link[0]) {
		mx_family(f, "onlink_switch_peer_link_up", "gauge",
			  "1 while the peer link to the other switch has carrier (0: the hosts are told it is dead).");
		mx_sample(f, "onlink_switch_peer_link_up", mx_label(l, sizeof(l), "switch", s->cfg->sw.peer_switch),
			  s->peer_carrier > 0);
		mx_family(f, "onlink_switch_peer_link_losses_total", "counter", "Times the peer link lost carrier.");
		mx_sample(f, "onlink_switch_peer_link_losses_total", mx_label(l, sizeof(l), "switch", s->cfg->sw.peer_switch),
			  (double)s->peer_losses);
	}
	mx_family(f, "onlink_switch_provider_up", "gauge", "1 when the provider is published as up (its next hop resolved).");
	for (size_t i = 0; i < s->tr.n; i++)
		mx_sample(f, "onlink_switch_provider_up", mx_label(l, sizeof(l), "provider", s->tr.p[i].cfg->name),
			  s->tr.p[i].published && provider_up(&s->tr.p[i].pub));
	mx_family(f, "onlink_switch_mac_changes_total", "counter", "Times the MAC of one of the provider's addresses changed.");
	for (size_t i = 0; i < s->tr.n; i++)
		mx_sample(f, "onlink_switch_mac_changes_total", mx_label(l, sizeof(l), "provider", s->tr.p[i].cfg->name),
			  (double)s->tr.p[i].mac_changes);
	mx_family(f, "onlink_switch_mac_refused_total", "counter",
		  "Answers for a provider's address from another port than the provider's own: not published.");
	for (size_t i = 0; i < s->tr.n; i++)
		mx_sample(f, "onlink_switch_mac_refused_total", mx_label(l, sizeof(l), "provider", s->tr.p[i].cfg->name),
			  (double)s->tr.p[i].mac_refused);
	provctl_metrics(s->pc, f);
	portstats_metrics(f, &s->tr);
}

