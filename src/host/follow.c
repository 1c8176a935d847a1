/* Prefixes that follow the probes, on a host (follow.h). */
#include "host/follow.h"
#include "host/agent.h"
#include "host/desired.h"
#include "host/probing.h"
#include "base/metrics.h"
#include "base/vec.h"
#include "kernel/route.h"
#include "proto/json.h"
#include "proto/steerwire.h"
#include "proto/wire.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define REPORT_DELAY_MS 50      /* after a window's end and its last probes' timeout */

struct fo_override {
	unsigned sw;
	struct steer_override o;
	uint64_t expires_ms;    /* monotonic */
};

struct follow {
	struct hostd *h;
	struct steer_targets tg[CFG_SWITCHES_MAX]; /* as each switch agent said; n 0: none */
	int from;               /* whose targets are probed; -1: none */
	struct cfg_probe_target *probe; /* those targets, for the probe engine */
	unsigned nprobe, window_ms, timeout_ms;
	struct probing *probing;
	struct timer report_t, expire_t;
	VEC(struct fo_override) ov;
	struct steer_rule *rules; /* in force, one per prefix */
	size_t nrules;
	unsigned long reports, expired, malformed;
};

static void arm_report(struct follow *f)
{
	if (!f->window_ms)
		return;
	uint64_t now = wall_ms(), W = f->window_ms;
	uint64_t due = (now / W + 1) * W + f->timeout_ms + REPORT_DELAY_MS;
	timer_arm(&f->report_t, due - now, 0);
}

/* a mark no rule of onlink's takes: the route BGP chose (the main table),
 * not a steering rule's (those take unmarked packets only) */
static uint32_t main_mark(const struct hostd *h)
{
	uint32_t m = 0xfffffff0u;
	for (int again = 1; again;) {
		again = 0;
		for (size_t i = 0; i < h->view.merged.n; i++)
			if (h->view.merged.v[i].table == m) {
				m--;
				again = 1;
			}
	}
	return m;
}

static void report(struct timer *t)
{
	struct follow *f = t->arg;
	struct hostd *h = f->h;
	uint64_t W = f->window_ms;
	arm_report(f);
	if (!f->probing || !W)
		return;
	uint64_t window = (wall_ms() - f->timeout_ms - REPORT_DELAY_MS) / W - 1;
	uint32_t mark = main_mark(h);
	for (unsigned i = 0; i < f->nprobe; i++) {
		struct probe_take tk[STEER_PROVIDERS_MAX];
		size_t n = probing_take(f->probing, i, window, tk, STEER_PROVIDERS_MAX);
		struct steer_report r = { .window = window, .target = f->probe[i].addr, .n = (uint8_t)n };
		struct route_info ri;
		if (!route_get(&f->probe[i].addr, mark, 0, &ri) && ri.nhops && ri.hops[0].gw.family) {
			const struct ol_provider *via = provset_find_addr(&h->view.merged, &ri.hops[0].gw);
			if (via)
				snprintf(r.via, sizeof(r.via), "%s", via->name);
		}
		for (size_t k = 0; k < n; k++) {
			snprintf(r.m[k].provider, sizeof(r.m[k].provider), "%s", tk[k].provider);
			r.m[k].sent = tk[k].sent > 65535 ? 65535 : (uint16_t)tk[k].sent;
			r.m[k].ok = tk[k].ok > r.m[k].sent ? r.m[k].sent : (uint16_t)tk[k].ok;
			r.m[k].rtt_sum_us = tk[k].rtt_sum_us > UINT32_MAX ? UINT32_MAX : (uint32_t)tk[k].rtt_sum_us;
		}
		uint8_t body[WIRE_BODY_MAX];
		int len = steer_report_encode(body, sizeof(body), &r);
		if (len <= 0)
			continue;
		for (unsigned s = 0; s < h->cfg->host.nswitches; s++)
			if (h->sw[s].state == SW_UP)
				conn_send(&h->sw[s].c, WM_STEER_REPORT, body, (size_t)len);
		f->reports++;
	}
	for (unsigned s = 0; s < h->cfg->host.nswitches; s++)
		if (h->sw[s].state == SW_UP)
			conn_flush(&h->sw[s].c);
}

/* the rules in force again; a turn when they changed */
static void rules_update(struct follow *f)
{
	struct steer_rule *v = calloc(f->ov.n ? f->ov.n : 1, sizeof(*v));
	size_t n = 0;
	if (!v)
		return;
	for (unsigned sw = 0; sw < CFG_SWITCHES_MAX; sw++)
		for (size_t i = 0; i < f->ov.n; i++) {
			const struct fo_override *o = &f->ov.v[i];
			size_t k;
			if (o->sw != sw)
				continue;
			for (k = 0; k < n; k++)
				if (v[k].len == o->o.len && !addr_cmp(&v[k].prefix, &o->o.prefix))
					break;
			if (k < n)
				continue;
			v[n].prefix = o->o.prefix;
			v[n].len = o->o.len;
			snprintf(v[n].provider, sizeof(v[n].provider), "%s", o->o.provider);
			n++;
		}
	int same = n == f->nrules && (!n || !memcmp(v, f->rules, n * sizeof(*v)));
	free(f->rules);
	f->rules = v;
	f->nrules = n;
	if (!same)
		hostd_want_turn(f->h, 1);
}

static void expire(struct timer *t)
{
	struct follow *f = t->arg;
	uint64_t now = now_ms();
	char a[ADDR_STRLEN];
	int gone = 0;
	for (size_t i = 0; i < f->ov.n;) {
		struct fo_override *o = &f->ov.v[i];
		if (o->expires_ms > now) {
			i++;
			continue;
		}
		log_warn("steer: the override of %s/%u (to %s, from switch %s) expired: not renewed for %u ms; BGP's "
			 "choice again", addr_str(&o->o.prefix, a, sizeof(a)), o->o.len, o->o.provider,
			 f->h->cfg->host.switches[o->sw].name, o->o.ttl_ms);
		f->expired++;
		f->ov.v[i] = f->ov.v[--f->ov.n];
		gone = 1;
	}
	if (gone)
		rules_update(f);
}

/* the targets to probe: the first switch agent's (config order) that names any */
static void targets_update(struct follow *f)
{
	struct hostd *h = f->h;
	int from = -1;
	for (unsigned s = 0; s < h->cfg->host.nswitches && from < 0; s++)
		if (f->tg[s].n)
			from = (int)s;
	if (from == f->from && (from < 0 || (f->nprobe == f->tg[from].n && f->window_ms == f->tg[from].window_ms)))
		return;
	probing_free(f->probing);
	f->probing = NULL;
	free(f->probe);
	f->probe = NULL;
	f->nprobe = 0;
	f->from = from;
	f->window_ms = 0;
	if (from < 0) {
		log_info("steer: no targets to probe");
		return;
	}
	const struct steer_targets *t = &f->tg[from];
	if (!(f->probe = calloc(t->n, sizeof(*f->probe))))
		return;
	for (unsigned i = 0; i < t->n; i++) {
		f->probe[i].addr = t->a[i];
		addr_str(&t->a[i], f->probe[i].text, sizeof(f->probe[i].text));
	}
	f->nprobe = t->n;
	f->window_ms = t->window_ms;
	/* a probe is lost after an interval (at most 1 s): the window's
	 * report goes that long after its end */
	f->timeout_ms = t->interval_ms < 1000 ? t->interval_ms : 1000;
	int r = probing_new_targets(h, f->probe, f->nprobe, t->interval_ms, f->timeout_ms, f->window_ms, &f->probing);
	if (r)
		log_err("steer: probing: %s", strerror(-r));
	log_info("steer: probing %u targets through every provider every %u ms (switch %s's), reports every %u ms",
		 f->nprobe, t->interval_ms, h->cfg->host.switches[from].name, f->window_ms);
	arm_report(f);
}

int follow_msg(struct hostd *h, unsigned sw, uint8_t type, const uint8_t *body, size_t n, const char **why)
{
	struct follow *f = h->follow;
	if (type == WM_STEER_TARGETS) {
		struct steer_targets t;
		if (steer_targets_decode(body, n, &t)) {
			f->malformed++;
			*why = "malformed steering targets";
			return -1;
		}
		f->tg[sw] = t;
		targets_update(f);
		return 0;
	}
	struct steer_override o;
	if (steer_override_decode(body, n, &o)) {
		f->malformed++;
		*why = "malformed steering override";
		return -1;
	}
	size_t i;
	for (i = 0; i < f->ov.n; i++)
		if (f->ov.v[i].sw == sw && f->ov.v[i].o.len == o.len && !addr_cmp(&f->ov.v[i].o.prefix, &o.prefix))
			break;
	if (!o.provider[0]) {
		if (i < f->ov.n)
			f->ov.v[i] = f->ov.v[--f->ov.n];
	} else {
		struct fo_override e = { .sw = sw, .o = o, .expires_ms = now_ms() + o.ttl_ms };
		if (i < f->ov.n)
			f->ov.v[i] = e;
		else if (vec_push(&f->ov, e))
			return 0;
	}
	rules_update(f);
	return 0;
}

int follow_new(struct hostd *h, struct follow **out)
{
	struct follow *f = calloc(1, sizeof(*f));
	int r;
	*out = NULL;
	if (!f)
		return -ENOMEM;
	f->h = h;
	f->from = -1;
	if ((r = timer_init(&f->report_t, report, f)) || (r = timer_init(&f->expire_t, expire, f))) {
		free(f);
		return r;
	}
	timer_arm(&f->expire_t, 1000, 1000);
	*out = f;
	return 0;
}

void follow_free(struct follow *f)
{
	if (!f)
		return;
	timer_fini(&f->report_t);
	timer_fini(&f->expire_t);
	probing_free(f->probing);
	free(f->probe);
	free(f->rules);
	vec_free(&f->ov);
	free(f);
}

const struct steer_rule *follow_rules(const struct follow *f, size_t *n)
{
	*n = f ? f->nrules : 0;
	return f ? f->rules : NULL;
}

static json_t *override_json(const struct follow *f, const struct fo_override *e)
{
	char a[ADDR_STRLEN + 4];
	uint64_t now = now_ms();
	addr_str(&e->o.prefix, a, ADDR_STRLEN);
	snprintf(a + strlen(a), 5, "/%u", e->o.len);
	return jpack("{s:s, s:s, s:s, s:I, s:f, s:f, s:f, s:f, s:s, s:I}", "prefix", a, "provider", e->o.provider,
		     "from", e->o.from, "since", (json_int_t)e->o.since, "rtt_from_ms", e->o.rtt_from_us / 1000.0,
		     "rtt_to_ms", e->o.rtt_to_us / 1000.0, "loss_from", e->o.loss_from / 1000.0, "loss_to",
		     e->o.loss_to / 1000.0, "switch", f->h->cfg->host.switches[e->sw].name, "expires_in_ms",
		     (json_int_t)(e->expires_ms > now ? e->expires_ms - now : 0));
}

/* the entry in force for a rule: its prefix from the first switch */
static const struct fo_override *in_force(const struct follow *f, const struct steer_rule *r)
{
	const struct fo_override *best = NULL;
	for (size_t i = 0; i < f->ov.n; i++) {
		const struct fo_override *o = &f->ov.v[i];
		if (o->o.len == r->len && !addr_cmp(&o->o.prefix, &r->prefix) && (!best || o->sw < best->sw))
			best = o;
	}
	return best;
}

const struct steer_override *follow_route(const struct follow *f, const struct ol_addr *a)
{
	const struct fo_override *best = NULL;
	for (size_t i = 0; f && i < f->nrules; i++) {
		const struct fo_override *o = in_force(f, &f->rules[i]);
		if (o && addr_in_prefix(a, &o->o.prefix, o->o.len) && (!best || o->o.len > best->o.len))
			best = o;
	}
	return best ? &best->o : NULL;
}

json_t *follow_json(const struct follow *f)
{
	json_t *ov = json_array();
	for (size_t i = 0; i < f->nrules; i++) {
		const struct fo_override *o = in_force(f, &f->rules[i]);
		if (o)
			jappend(&ov, override_json(f, o));
	}
	return jpack("{s:i, s:i, s:o, s:I, s:I, s:o}", "targets", (int)f->nprobe, "window_ms", (int)f->window_ms,
		     "from", f->from >= 0 ? json_string(f->h->cfg->host.switches[f->from].name) : json_null(),
		     "reports", (json_int_t)f->reports, "expired", (json_int_t)f->expired, "overrides", ov);
}

void follow_metrics(const struct follow *f, FILE *out)
{
	char l[256], a[96], b[96], p[ADDR_STRLEN + 4];
	mx_family(out, "onlink_host_steer_override", "gauge",
		  "1 for each prefix this host sends through another provider than BGP's choice (by measurement).");
	for (size_t i = 0; i < f->nrules; i++) {
		addr_str(&f->rules[i].prefix, p, ADDR_STRLEN);
		snprintf(p + strlen(p), 5, "/%u", f->rules[i].len);
		snprintf(l, sizeof(l), "%s,%s", mx_label(a, sizeof(a), "prefix", p),
			 mx_label(b, sizeof(b), "provider", f->rules[i].provider));
		mx_sample(out, "onlink_host_steer_override", l, 1);
	}
	mx_family(out, "onlink_host_steer_reports_total", "counter", "Steering reports sent (one target, one window).");
	mx_sample(out, "onlink_host_steer_reports_total", "", (double)f->reports);
	mx_family(out, "onlink_host_steer_expired_total", "counter", "Overrides dropped because nobody renewed them.");
	mx_sample(out, "onlink_host_steer_expired_total", "", (double)f->expired);
}
