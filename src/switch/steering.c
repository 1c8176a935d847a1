/* [steer] in the switch agent (steering.h). */
#include "switch/steering.h"
#include "switch/steerdec.h"
#include "switch/switchd_int.h"
#include "base/metrics.h"
#include "base/vec.h"
#include "proto/json.h"
#include "proto/steerwire.h"
#include "proto/wire.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define VIA_MAX 8

struct acc {                    /* one window's reports, per prefix */
	uint64_t window;
	int used;
	struct sd_meas *m;      /* prefix i: m[i * SD_PROVIDERS_MAX ...] */
	size_t *nm;
	struct { char name[OL_NAME_MAX]; unsigned n; } *via; /* prefix i: via[i * VIA_MAX ...] */
	unsigned long reports;
};

struct counted {                /* a metric's labels and its count */
	char prefix[64], from[OL_NAME_MAX], to[OL_NAME_MAX], reason[16];
	unsigned long n;
};

struct steering {
	struct switchd *s;
	const struct cfg_steer *c;
	struct timer t;
	uint64_t next_window;   /* the window the timer decides next */
	struct sd_params prm;
	struct sd_prefix *st;   /* per prefix, config order */
	size_t n;
	struct sd_recent recent;
	struct acc acc[2];
	struct sd_meas *last;   /* the last decided window (status, metrics) */
	size_t *nlast;
	uint64_t last_window;
	unsigned long last_reports;
	unsigned long reports, late, refused;
	VEC(struct counted) moves;
	VEC(struct counted) deferred;
	struct ratelimit rl;
	/* the prefixes as configured when made: a reload frees the old config */
	struct cfg_prefix *pfx;
	char (*text)[64];
	int c_dry_run;
};

/* reports of a window are taken until this long after it ends: the hosts
 * send theirs once its last probes timed out (an interval, at most 1 s,
 * host/follow.c), and 300 ms more for the way */
static unsigned grace_ms(const struct cfg_steer *c)
{
	return (c->interval_ms < 1000 ? c->interval_ms : 1000) + 300;
}

static void count(struct counted **v, size_t *n, size_t *cap, const char *prefix, const char *from, const char *to,
		  const char *reason)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*v)[i].prefix, prefix) && !strcmp((*v)[i].from, from) && !strcmp((*v)[i].to, to) &&
		    !strcmp((*v)[i].reason, reason)) {
			(*v)[i].n++;
			return;
		}
	if (vec_reserve_((void **)v, cap, *n + 1, sizeof(**v)))
		return;
	struct counted *k = &(*v)[(*n)++];
	memset(k, 0, sizeof(*k));
	snprintf(k->prefix, sizeof(k->prefix), "%s", prefix);
	snprintf(k->from, sizeof(k->from), "%s", from);
	snprintf(k->to, sizeof(k->to), "%s", to);
	snprintf(k->reason, sizeof(k->reason), "%s", reason);
	k->n = 1;
}

/* A provider a move may go to: this switch agent's own, up and not
 * substituted; another's (a redundant POP's other switch), as the hosts
 * measured it (they probe live providers only). */
static int provider_live(const struct switchd *s, const char *name)
{
	for (size_t i = 0; i < s->tr.n; i++)
		if (!strcmp(s->tr.p[i].pub.name, name))
			return provider_up(&s->tr.p[i].pub) && !s->tr.p[i].pub.via[0];
	return 1;
}

/* whether the hosts measured the provider in this window */
static int measured(const struct sd_meas *m, size_t n, const char *name)
{
	for (size_t k = 0; k < n; k++)
		if (!strcmp(m[k].provider, name) && m[k].sent)
			return 1;
	return 0;
}

static int encode_override(const struct steering *st, size_t i, uint8_t *body, size_t cap)
{
	const struct sd_prefix *p = &st->st[i];
	struct steer_override o = { .ttl_ms = st->c->ttl_ms, .prefix = st->pfx[i].addr, .len = st->pfx[i].len, .since = p->since_ms / 1000,
				    .rtt_from_us = p->rtt_from_us, .rtt_to_us = p->rtt_to_us,
				    .loss_from = p->loss_from, .loss_to = p->loss_to };
	snprintf(o.provider, sizeof(o.provider), "%s", p->cur);
	snprintf(o.from, sizeof(o.from), "%s", p->bgp);
	return steer_override_encode(body, cap, &o);
}

/* every override to every host (renewed each window), and withdrawn[i]
 * the ones just gone (sent once, empty) */
static void send_overrides(struct steering *st, const uint8_t *withdrawn)
{
	uint8_t body[WIRE_BODY_MAX];
	if (st->c->dry_run)
		return;
	for (size_t i = 0; i < st->n; i++) {
		if (!st->st[i].cur[0] && !(withdrawn && withdrawn[i]))
			continue;
		int k = encode_override(st, i, body, sizeof(body));
		if (k > 0)
			peers_send_all(&st->s->peers, WM_STEER_OVERRIDE, body, (size_t)k);
	}
}

static void logged(struct steering *st, size_t i, const struct sd_decision *d, uint64_t window)
{
	const char *pfx = st->text[i];
	const char *dry = st->c->dry_run ? " (dry run: nothing changed)" : "";
	const char *from = d->from[0] ? d->from : "bgp";
	switch (d->outcome) {
	case SD_MOVED:
		if (d->reason == SD_DOWN)
			log_info("steer: %s: %s is down: its override goes, BGP's choice (%s) again%s", pfx, d->from,
				 d->to[0] ? d->to : "unknown", dry);
		else
			log_info("steer: %s: %s -> %s%s (%s): RTT %.1f vs %.1f ms, loss %.1f%% vs %.1f%%, "
				 "%u windows of %u ms in a row (window %llu)%s",
				 pfx, from, d->to, !strcmp(d->to, st->st[i].bgp) ? " (BGP's choice again)" : "",
				 sd_reason_label[d->reason], d->rtt_from_us / 1000.0, d->rtt_to_us / 1000.0,
				 d->loss_from / 10.0, d->loss_to / 10.0, st->prm.windows, st->c->window_ms,
				 (unsigned long long)window, dry);
		count(&st->moves.v, &st->moves.n, &st->moves.cap, pfx, from, d->to[0] ? d->to : "bgp",
		      sd_reason_label[d->reason]);
		break;
	case SD_HELD:
	case SD_LIMITED:
		log_limited(&st->rl, LOG_INFO, "steer: %s: %s -> %s would gain (RTT %.1f vs %.1f ms) but %s%s", pfx, from,
			    d->to, d->rtt_from_us / 1000.0, d->rtt_to_us / 1000.0,
			    d->outcome == SD_HELD ? "it moved less than hold-down ago" : "max-moves were made this minute",
			    dry);
		count(&st->deferred.v, &st->deferred.n, &st->deferred.cap, pfx, "", "",
		      d->outcome == SD_HELD ? "hold-down" : "max-moves");
		break;
	case SD_NONE:
		break;
	}
}

static const char *via_of(const struct acc *a, size_t i)
{
	const char *best = "";
	unsigned bn = 0;
	for (size_t k = 0; k < VIA_MAX; k++) {
		const char *name = a->via[i * VIA_MAX + k].name;
		unsigned n = a->via[i * VIA_MAX + k].n;
		if (name[0] && (n > bn || (n == bn && strcmp(name, best) < 0))) {
			best = name;
			bn = n;
		}
	}
	return best;
}

static void decide(struct steering *st, uint64_t window)
{
	struct acc *a = &st->acc[window % 2];
	int have = a->used && a->window == window;
	uint64_t now = (window + 1) * st->c->window_ms;
	uint8_t *withdrawn = calloc(st->n ? st->n : 1, 1);
	for (size_t i = 0; i < st->n; i++) {
		struct sd_meas *m = have ? &a->m[i * SD_PROVIDERS_MAX] : NULL;
		size_t nm = have ? a->nm[i] : 0;
		for (size_t k = 0; k < nm; k++)
			m[k].live = provider_live(st->s, m[k].provider);
		struct sd_decision d;
		int had = st->st[i].cur[0] != 0;
		/* the hosts stopped probing the override's provider (down for
		 * them, maybe another switch agent's): it goes, as at once for
		 * this agent's own */
		if (had && nm && !measured(m, nm, st->st[i].cur) &&
		    steer_provider_down(&st->st[i], st->st[i].cur, now, &d)) {
			logged(st, i, &d, window);
			if (withdrawn)
				withdrawn[i] = 1;
			had = 0;
		}
		steer_decide(&st->st[i], m, nm, have ? via_of(a, i) : "", &st->prm, &st->recent, now, &d);
		logged(st, i, &d, window);
		if (withdrawn && had && !st->st[i].cur[0])
			withdrawn[i] = 1;
		st->nlast[i] = nm;
		if (nm)
			memcpy(&st->last[i * SD_PROVIDERS_MAX], m, nm * sizeof(*m));
	}
	st->last_window = window;
	st->last_reports = have ? a->reports : 0;
	if (have)
		a->used = 0;
	send_overrides(st, withdrawn);
	free(withdrawn);
}

static void tick(struct timer *t)
{
	struct steering *st = t->arg;
	uint64_t now = wall_ms(), W = st->c->window_ms;
	/* every window ended (and its grace passed) since the last tick */
	while (st->next_window * W + W + grace_ms(st->c) <= now) {
		decide(st, st->next_window);
		st->next_window++;
		if (st->next_window * W + W + grace_ms(st->c) + 10 * W < now)
			st->next_window = (now - grace_ms(st->c)) / W - 1; /* a long stall: no backlog */
	}
	uint64_t due = st->next_window * W + W + grace_ms(st->c);
	timer_arm(&st->t, due > now ? due - now : 1, 0);
}

static int alloc_state(struct steering *st, size_t n)
{
	st->n = n;
	st->pfx = calloc(n ? n : 1, sizeof(*st->pfx));
	st->text = calloc(n ? n : 1, sizeof(*st->text));
	if (!st->pfx || !st->text)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		st->pfx[i] = st->c->prefixes[i].p;
		snprintf(st->text[i], sizeof(st->text[i]), "%s", st->c->prefixes[i].text);
	}
	st->st = calloc(n, sizeof(*st->st));
	st->last = calloc(n * SD_PROVIDERS_MAX, sizeof(*st->last));
	st->nlast = calloc(n, sizeof(*st->nlast));
	for (int k = 0; k < 2; k++) {
		st->acc[k].m = calloc(n * SD_PROVIDERS_MAX, sizeof(*st->acc[k].m));
		st->acc[k].nm = calloc(n, sizeof(*st->acc[k].nm));
		st->acc[k].via = calloc(n * VIA_MAX, sizeof(*st->acc[k].via));
		if (!st->acc[k].m || !st->acc[k].nm || !st->acc[k].via)
			return -ENOMEM;
	}
	return st->st && st->last && st->nlast ? 0 : -ENOMEM;
}

static void free_state(struct steering *st)
{
	free(st->pfx);
	free(st->text);
	free(st->st);
	free(st->last);
	free(st->nlast);
	for (int k = 0; k < 2; k++) {
		free(st->acc[k].m);
		free(st->acc[k].nm);
		free(st->acc[k].via);
	}
}

static void params(struct steering *st)
{
	const struct cfg_steer *c = st->c;
	st->prm = (struct sd_params){ .windows = c->windows, .min_gain_us = c->min_gain_ms * 1000,
				      .min_gain_ratio = c->min_gain_ratio, .loss_gain = c->loss_gain * 10,
				      .hold_down_ms = c->hold_down_ms, .max_moves = c->max_moves };
}

static void send_targets(struct steering *st, struct conn *c)
{
	struct steer_targets t = { .interval_ms = st->c->interval_ms, .window_ms = st->c->window_ms,
				   .n = (uint16_t)st->c->ntargets };
	uint8_t body[WIRE_BODY_MAX];
	for (unsigned i = 0; i < st->c->ntargets; i++)
		t.a[i] = st->c->targets[i].addr;
	int k = steer_targets_encode(body, sizeof(body), &t);
	if (k <= 0)
		return;
	if (c)
		conn_send(c, WM_STEER_TARGETS, body, (size_t)k);
	else
		peers_send_all(&st->s->peers, WM_STEER_TARGETS, body, (size_t)k);
}

int steering_new(struct switchd *s, struct steering **out)
{
	*out = NULL;
	if (!s->cfg->sw.steer.line)
		return 0;
	struct steering *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->s = s;
	st->c = &s->cfg->sw.steer;
	st->rl = (struct ratelimit)RATELIMIT_INIT(10000, 5);
	params(st);
	st->c_dry_run = st->c->dry_run;
	int r = alloc_state(st, st->c->nprefixes);
	if (!r)
		r = timer_init(&st->t, tick, st);
	if (r) {
		free_state(st);
		free(st);
		return r;
	}
	st->next_window = wall_ms() / st->c->window_ms; /* the one under way: the first whole one */
	tick(&st->t);
	log_info("steer: %u prefixes, %u targets probed every %u ms, windows of %u ms%s", st->c->nprefixes,
		 st->c->ntargets, st->c->interval_ms, st->c->window_ms, st->c->dry_run ? " (dry run)" : "");
	*out = st;
	return 0;
}

void steering_free(struct steering *st)
{
	if (!st)
		return;
	timer_fini(&st->t);
	free_state(st);
	vec_free(&st->moves);
	vec_free(&st->deferred);
	free(st);
}

int steering_reload(struct switchd *s, struct steering **stp)
{
	struct steering *old = *stp, *st;
	int r = steering_new(s, &st);
	if (r)
		return r;
	for (size_t k = 0; old && k < old->n; k++) {
		size_t i = st ? st->n : 0;
		while (i-- > 0)
			if (!memcmp(&st->pfx[i], &old->pfx[k], sizeof(st->pfx[i])))
				break;
		if (st && i < st->n) {
			st->st[i] = old->st[k]; /* the prefix stays: so does its state */
			/* a dry run ends: its overrides take effect now, and
			 * hold-down counts from now */
			if (old->c_dry_run && !st->c_dry_run && st->st[i].cur[0])
				st->st[i].since_ms = st->st[i].moved_ms = wall_ms();
		} else if (old->st[k].cur[0] && !old->c_dry_run) {
			/* gone from the config: its override goes now */
			uint8_t body[WIRE_BODY_MAX];
			struct steer_override o = { .ttl_ms = 1000, .prefix = old->pfx[k].addr, .len = old->pfx[k].len };
			int n = steer_override_encode(body, sizeof(body), &o);
			if (n > 0)
				peers_send_all(&s->peers, WM_STEER_OVERRIDE, body, (size_t)n);
			log_info("steer: %s is no longer steered: its override goes", old->text[k]);
		}
	}
	/* a dry run begins: what was in force goes at once (nothing changes
	 * while it runs); its decisions go on, in the state kept */
	if (old && st && !old->c_dry_run && st->c_dry_run) {
		uint8_t body[WIRE_BODY_MAX];
		for (size_t i = 0; i < st->n; i++) {
			if (!st->st[i].cur[0])
				continue;
			struct steer_override o = { .ttl_ms = 1000, .prefix = st->pfx[i].addr, .len = st->pfx[i].len };
			int k = steer_override_encode(body, sizeof(body), &o);
			if (k > 0)
				peers_send_all(&s->peers, WM_STEER_OVERRIDE, body, (size_t)k);
		}
		log_info("steer: dry run: the overrides in force are withdrawn; decisions go on, logged and counted");
	}
	if (old && st) {
		st->recent = old->recent;
		st->moves = old->moves;
		st->deferred = old->deferred;
		memset(&old->moves, 0, sizeof(old->moves));
		memset(&old->deferred, 0, sizeof(old->deferred));
		st->reports = old->reports;
		st->late = old->late;
		st->refused = old->refused;
	}
	steering_free(old);
	*stp = st;
	if (st) {
		send_targets(st, NULL);
		send_overrides(st, NULL);
	}
	return 0;
}

/* the target of a report, by address; -1 when none */
static int target_index(const struct steering *st, const struct ol_addr *a)
{
	for (unsigned i = 0; i < st->c->ntargets; i++)
		if (!addr_cmp(&st->c->targets[i].addr, a))
			return (int)i;
	return -1;
}

int steering_report(struct steering *st, const char *host, const uint8_t *body, size_t n, const char **why)
{
	struct steer_report r;
	(void)host;
	if (!st)
		return 0; /* no [steer] (a reload took it): ignored */
	if (steer_report_decode(body, n, &r)) {
		*why = "malformed steering report";
		return -1;
	}
	int t = target_index(st, &r.target);
	uint64_t W = st->c->window_ms, now = wall_ms();
	if (t < 0) {
		st->refused++; /* a target of an older config: not an error */
		return 0;
	}
	/* the window decided next, or the one after (a host's clock ahead) */
	if (r.window < st->next_window || r.window > st->next_window + 1 || r.window * W > now + W) {
		st->late++;
		return 0;
	}
	st->reports++;
	struct acc *a = &st->acc[r.window % 2];
	if (!a->used || a->window != r.window) {
		memset(a->nm, 0, st->n * sizeof(*a->nm));
		memset(a->via, 0, st->n * VIA_MAX * sizeof(*a->via));
		a->window = r.window;
		a->used = 1;
		a->reports = 0;
	}
	a->reports++;
	size_t p = st->c->targets[t].prefix;
	struct sd_meas *m = &a->m[p * SD_PROVIDERS_MAX];
	for (unsigned i = 0; i < r.n; i++) {
		size_t k;
		for (k = 0; k < a->nm[p] && strcmp(m[k].provider, r.m[i].provider); k++)
			;
		if (k == a->nm[p]) {
			if (k == SD_PROVIDERS_MAX)
				continue;
			memset(&m[k], 0, sizeof(m[k]));
			snprintf(m[k].provider, sizeof(m[k].provider), "%s", r.m[i].provider);
			a->nm[p]++;
		}
		m[k].sent += r.m[i].sent;
		m[k].ok += r.m[i].ok;
		m[k].rtt_sum_us += r.m[i].rtt_sum_us;
	}
	if (r.via[0])
		for (size_t k = 0; k < VIA_MAX; k++) {
			typeof(a->via[0]) *v = &a->via[p * VIA_MAX + k];
			if (!v->name[0])
				snprintf(v->name, sizeof(v->name), "%s", r.via);
			if (!strcmp(v->name, r.via)) {
				v->n++;
				break;
			}
		}
	return 0;
}

int steering_snapshot(struct steering *st, struct conn *c)
{
	uint8_t body[WIRE_BODY_MAX];
	int r = 0;
	if (!st)
		return 0;
	send_targets(st, c);
	for (size_t i = 0; i < st->n && !r && !st->c->dry_run; i++) {
		if (!st->st[i].cur[0])
			continue;
		int k = encode_override(st, i, body, sizeof(body));
		r = k < 0 ? k : conn_send(c, WM_STEER_OVERRIDE, body, (size_t)k);
	}
	return r;
}

void steering_providers(struct steering *st)
{
	if (!st)
		return;
	uint8_t *withdrawn = calloc(st->n ? st->n : 1, 1);
	int any = 0;
	for (size_t i = 0; i < st->n; i++) {
		struct sd_decision d;
		if (!st->st[i].cur[0] || provider_live(st->s, st->st[i].cur))
			continue;
		if (steer_provider_down(&st->st[i], st->st[i].cur, wall_ms(), &d)) {
			logged(st, i, &d, st->last_window);
			if (withdrawn)
				withdrawn[i] = 1;
			any = 1;
		}
	}
	if (any)
		send_overrides(st, withdrawn);
	free(withdrawn);
}

json_t *steering_json(struct steering *st)
{
	if (!st)
		return json_null();
	json_t *pfx = json_array();
	for (size_t i = 0; i < st->n; i++) {
		const struct sd_prefix *p = &st->st[i];
		json_t *last = json_array();
		for (size_t k = 0; k < st->nlast[i]; k++) {
			const struct sd_meas *m = &st->last[i * SD_PROVIDERS_MAX + k];
			jappend(&last, jpack("{s:s, s:i, s:i, s:o, s:f}", "provider", m->provider, "sent", (int)m->sent,
					     "answered", (int)m->ok, "rtt_ms", m->ok ? json_real(sd_rtt(m) / 1000.0) : json_null(),
					     "loss", sd_loss(m) / 1000.0));
		}
		jappend(&pfx, jpack("{s:s, s:o, s:s, s:o, s:o, s:i, s:o, s:o}", "prefix", st->text[i], "provider",
				    p->cur[0] ? json_string(p->cur) : json_null(), "bgp", p->bgp, "since",
				    p->cur[0] ? json_integer((json_int_t)(p->since_ms / 1000)) : json_null(), "candidate",
				    p->cand[0] ? json_string(p->cand) : json_null(), "streak", (int)p->streak, "why",
				    p->cur[0] ? jpack("{s:s, s:f, s:f, s:f, s:f}", "reason", sd_reason_label[p->reason],
						      "rtt_from_ms", p->rtt_from_us / 1000.0, "rtt_to_ms", p->rtt_to_us / 1000.0,
						      "loss_from", p->loss_from / 1000.0, "loss_to", p->loss_to / 1000.0) :
						json_null(),
				    "last_window", last));
	}
	json_t *moves = json_array();
	for (size_t i = 0; i < st->moves.n; i++)
		jappend(&moves, jpack("{s:s, s:s, s:s, s:s, s:I}", "prefix", st->moves.v[i].prefix, "from",
				      st->moves.v[i].from, "to", st->moves.v[i].to, "reason", st->moves.v[i].reason,
				      "count", (json_int_t)st->moves.v[i].n));
	return jpack("{s:i, s:i, s:b, s:I, s:I, s:I, s:I, s:o, s:o}", "window_ms", (int)st->c->window_ms, "windows",
		     (int)st->c->windows, "dry_run", st->c->dry_run, "window", (json_int_t)st->last_window, "reports",
		     (json_int_t)st->reports, "late", (json_int_t)st->late, "refused", (json_int_t)st->refused,
		     "prefixes", pfx, "moves", moves);
}

void steering_metrics(struct steering *st, FILE *f)
{
	char l[512], a[96], b[96], c[96], d[96];
	if (!st)
		return;
	mx_family(f, "onlink_steer_moves_total", "counter",
		  "Prefixes moved by measurement, by prefix, from, to and reason (rtt, loss, provider-down); dry runs too.");
	for (size_t i = 0; i < st->moves.n; i++) {
		const struct counted *k = &st->moves.v[i];
		snprintf(l, sizeof(l), "%s,%s,%s,%s", mx_label(a, sizeof(a), "prefix", k->prefix),
			 mx_label(b, sizeof(b), "from", k->from), mx_label(c, sizeof(c), "to", k->to),
			 mx_label(d, sizeof(d), "reason", k->reason));
		mx_sample(f, "onlink_steer_moves_total", l, (double)k->n);
	}
	mx_family(f, "onlink_steer_deferred_total", "counter",
		  "Moves the guard rails held back, by prefix and reason (hold-down, max-moves).");
	for (size_t i = 0; i < st->deferred.n; i++) {
		const struct counted *k = &st->deferred.v[i];
		snprintf(l, sizeof(l), "%s,%s", mx_label(a, sizeof(a), "prefix", k->prefix),
			 mx_label(b, sizeof(b), "reason", k->reason));
		mx_sample(f, "onlink_steer_deferred_total", l, (double)k->n);
	}
	mx_family(f, "onlink_steer_override", "gauge", "1 for each prefix's provider while it is overridden.");
	for (size_t i = 0; i < st->n; i++)
		if (st->st[i].cur[0]) {
			snprintf(l, sizeof(l), "%s,%s", mx_label(a, sizeof(a), "prefix", st->text[i]),
				 mx_label(b, sizeof(b), "provider", st->st[i].cur));
			mx_sample(f, "onlink_steer_override", l, 1);
		}
	mx_family(f, "onlink_steer_rtt_seconds", "gauge", "Mean RTT over the last window, every host, per prefix and provider.");
	for (size_t i = 0; i < st->n; i++)
		for (size_t k = 0; k < st->nlast[i]; k++) {
			const struct sd_meas *m = &st->last[i * SD_PROVIDERS_MAX + k];
			if (!m->ok)
				continue;
			snprintf(l, sizeof(l), "%s,%s", mx_label(a, sizeof(a), "prefix", st->text[i]),
				 mx_label(b, sizeof(b), "provider", m->provider));
			mx_sample(f, "onlink_steer_rtt_seconds", l, sd_rtt(m) / 1e6);
		}
	mx_family(f, "onlink_steer_loss_ratio", "gauge", "Probes lost over the last window, every host, per prefix and provider.");
	for (size_t i = 0; i < st->n; i++)
		for (size_t k = 0; k < st->nlast[i]; k++) {
			const struct sd_meas *m = &st->last[i * SD_PROVIDERS_MAX + k];
			snprintf(l, sizeof(l), "%s,%s", mx_label(a, sizeof(a), "prefix", st->text[i]),
				 mx_label(b, sizeof(b), "provider", m->provider));
			mx_sample(f, "onlink_steer_loss_ratio", l, sd_loss(m) / 1000.0);
		}
	mx_family(f, "onlink_steer_reports_total", "counter", "Hosts' reports taken, one target over one window each.");
	mx_sample(f, "onlink_steer_reports_total", "", (double)st->reports);
	mx_family(f, "onlink_steer_reports_dropped_total", "counter",
		  "Reports not taken: late (their window decided) or for a target not configured.");
	mx_sample(f, "onlink_steer_reports_dropped_total", "reason=\"late\"", (double)st->late);
	mx_sample(f, "onlink_steer_reports_dropped_total", "reason=\"unknown_target\"", (double)st->refused);
}
