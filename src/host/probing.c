/* Continuous probing in the host agent (probing.h). */
#include "host/probing.h"
#include "proto/json.h"
#include "host/agent.h"
#include "host/probestat.h"
#include "base/metrics.h"
#include "kernel/probe.h"
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

struct pprov {                  /* a provider probed at some point */
	char name[OL_NAME_MAX];
	struct probestat *t;    /* one per target, in config order */
	int live;               /* probed now */
};

struct probing {
	struct hostd *h;
	const struct cfg_probe_target *tg; /* the targets, and how often */
	unsigned nt, interval_ms, timeout_ms;
	unsigned window_ms;     /* steering's: results by the window they were sent in; 0: none */
	uint64_t *sent_ms;      /* per ring slot: when its round was sent (unix ms) */
	struct timer tick;
	struct probe_engine *eng;
	struct probe_stream *st;
	size_t n;
	struct loop_src src[4];
	size_t nsrc;
	uint32_t round;
	unsigned ring;
	struct pprov *pv;
	size_t npv, cappv;
	char *sig;              /* the live providers the engine was built for */
	int dirty;              /* a turn changed providers: compare again */
	unsigned long errors;
	struct ratelimit rl;
};

static struct pprov *pprov_get(struct probing *p, const char *name)
{
	for (size_t i = 0; i < p->npv; i++)
		if (!strcmp(p->pv[i].name, name))
			return &p->pv[i];
	if (vec_reserve_((void **)&p->pv, &p->cappv, p->npv + 1, sizeof(*p->pv)))
		return NULL;
	struct pprov *v = &p->pv[p->npv];
	memset(v, 0, sizeof(*v));
	snprintf(v->name, sizeof(v->name), "%s", name);
	if (!(v->t = calloc(p->nt, sizeof(*v->t))))
		return NULL;
	p->npv++;
	return v;
}

static int live(const struct ol_provider *pr)
{
	return provider_up(pr) && !pr->via[0];
}

/* "name:table:4:6;" for each live provider: what the streams depend on */
static char *signature(const struct hostd *h)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	if (!f)
		return NULL;
	for (size_t i = 0; i < h->view.merged.n; i++) {
		const struct ol_provider *pr = &h->view.merged.v[i];
		if (live(pr))
			fprintf(f, "%s:%u:%d:%d;", pr->name, pr->table, provider_has_family(pr, AF_INET), provider_has_family(pr, AF_INET6));
	}
	fclose(f);
	return out;
}

static void done(void *arg, struct probe_stream *s, uint32_t round, double rtt_ms)
{
	struct probing *p = arg;
	probestat_add(s->user, time(NULL), rtt_ms < 0 ? -1 : rtt_ms / 1000);
	if (p->window_ms && p->sent_ms[round % p->ring])
		probestat_acc(s->user, p->sent_ms[round % p->ring] / p->window_ms, rtt_ms < 0 ? -1 : rtt_ms / 1000);
}


static void readable(struct loop_src *src, uint32_t events)
{
	struct probing *p = src->arg;
	(void)events;
	if (p->eng)
		probe_engine_read(p->eng, src->fd);
}

static void stop_engine(struct probing *p)
{
	for (size_t i = 0; i < p->nsrc; i++)
		loop_del(&p->src[i]);
	p->nsrc = 0;
	/* probes in flight are dropped, neither answered nor lost */
	probe_engine_free(p->eng);
	p->eng = NULL;
	free(p->st);
	p->st = NULL;
	p->n = 0;
	for (size_t i = 0; i < p->npv; i++)
		p->pv[i].live = 0;
}

static void sockaddr_of(const struct ol_addr *a, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;
		in->sin_family = AF_INET;
		memcpy(&in->sin_addr, a->bytes, 4);
		*len = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
		in6->sin6_family = AF_INET6;
		memcpy(&in6->sin6_addr, a->bytes, 16);
		*len = sizeof(*in6);
	}
}

static void start_engine(struct probing *p)
{
	const struct hostd *h = p->h;
	size_t cap = h->view.merged.n * p->nt;
	char err[160];
	if (!cap || !(p->st = calloc(cap, sizeof(*p->st))))
		return;
	for (size_t i = 0; i < h->view.merged.n; i++) {
		const struct ol_provider *pr = &h->view.merged.v[i];
		if (!live(pr))
			continue;
		struct pprov *v = pprov_get(p, pr->name);
		if (!v)
			continue;
		v->live = 1;
		for (unsigned t = 0; t < p->nt; t++) {
			const struct cfg_probe_target *pt = &p->tg[t];
			if (!provider_has_family(pr, pt->addr.family))
				continue;
			struct probe_stream *s = &p->st[p->n++];
			sockaddr_of(&pt->addr, &s->dst, &s->dstlen);
			s->mark = pr->table;
			s->tcp_port = pt->port;
			s->user = &v->t[t];
		}
	}
	if (!p->n)
		return;
	if (probe_engine_new(&p->eng, p->st, p->n, p->ring, done, p, err, sizeof(err))) {
		p->errors++;
		log_limited(&p->rl, LOG_ERR, "probe: %s (%zu streams: targets x live providers)", err, p->n);
		p->eng = NULL;
		return;
	}
	int fds[4];
	size_t nfd = probe_engine_fds(p->eng, fds);
	p->nsrc = 0;
	for (size_t i = 0; i < nfd; i++) {
		p->src[i] = (struct loop_src){ .fd = fds[i], .cb = readable, .arg = p };
		int r = loop_add(&p->src[i], EPOLLIN);
		if (r) {
			p->errors++;
			log_limited(&p->rl, LOG_ERR, "probe: epoll: %s: probing stops until the providers change", strerror(-r));
			stop_engine(p);
			return;
		}
		p->nsrc++;
	}
	log_info("probe: %zu targets through %zu providers (%zu streams), every %u ms", (size_t)p->nt,
		 p->npv, p->n, p->interval_ms);
}

static void tick(struct timer *t)
{
	struct probing *p = t->arg;
	char *sig = NULL;
	if (p->dirty) {
		sig = signature(p->h);
		p->dirty = !sig; /* out of memory: again next round */
	}
	if (sig && (!p->sig || strcmp(sig, p->sig))) {
		stop_engine(p);
		free(p->sig);
		p->sig = sig;
		start_engine(p);
	} else {
		free(sig);
	}
	if (!p->eng)
		return;
	probe_engine_expire(p->eng, probe_mono_ns(), p->timeout_ms * 1000000ull);
	if (p->sent_ms)
		p->sent_ms[p->round % p->ring] = wall_ms();
	probe_engine_send(p->eng, p->round++);
}

int probing_new(struct hostd *h, struct probing **out)
{
	const struct cfg_host *c = &h->cfg->host;
	return probing_new_targets(h, c->probe, c->nprobe, c->probe_interval_ms, c->probe_timeout_ms, 0, out);
}

int probing_new_targets(struct hostd *h, const struct cfg_probe_target *tg, unsigned n, unsigned interval_ms,
			unsigned timeout_ms, unsigned window_ms, struct probing **out)
{
	*out = NULL;
	if (!n)
		return 0;
	struct probing *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->h = h;
	p->tg = tg;
	p->nt = n;
	p->interval_ms = interval_ms;
	p->timeout_ms = timeout_ms;
	p->window_ms = window_ms;
	p->dirty = 1;
	p->rl = (struct ratelimit)RATELIMIT_INIT(60000, 1);
	/* a slot is reused a ring later: after the timeout, and then some; a
	 * power of two, so that the ICMP sequence (the round, 16 bits) names
	 * the same slot when it wraps */
	p->ring = 4;
	while (p->ring < timeout_ms / interval_ms + 2)
		p->ring *= 2;
	if (window_ms && !(p->sent_ms = calloc(p->ring, sizeof(*p->sent_ms)))) {
		free(p);
		return -ENOMEM;
	}
	int r = timer_init(&p->tick, tick, p);
	if (r) {
		free(p->sent_ms);
		free(p);
		return r;
	}
	/* steering's windows hold whole rounds: rounds start half an interval
	 * after a window's start (windows are aligned to unix time) */
	uint64_t first = interval_ms;
	if (window_ms) {
		uint64_t now = wall_ms(), next = (now / interval_ms + 1) * interval_ms + interval_ms / 2;
		first = next - now;
	}
	timer_arm(&p->tick, first, interval_ms);
	*out = p;
	return 0;
}

void probing_changed(struct probing *p)
{
	if (p)
		p->dirty = 1;
}

void probing_free(struct probing *p)
{
	if (!p)
		return;
	timer_fini(&p->tick);
	stop_engine(p);
	for (size_t i = 0; i < p->npv; i++)
		free(p->pv[i].t);
	free(p->pv);
	free(p->sig);
	free(p->sent_ms);
	free(p);
}

/* the best live provider for target t, or NULL */
static const char *best_of(const struct probing *p, unsigned t, time_t now)
{
	const struct probestat *cand[64];
	const char *names[64];
	int n = 0;
	for (size_t i = 0; i < p->npv && n < 64; i++)
		if (p->pv[i].live) {
			cand[n] = &p->pv[i].t[t];
			names[n++] = p->pv[i].name;
		}
	int b = probestat_best(cand, n, now);
	return b < 0 ? NULL : names[b];
}

void probing_metrics(struct probing *p, FILE *f)
{
	if (!p)
		return;
	time_t now = time(NULL);
	char lp[96], lt[96], l[256];
	mx_family(f, "onlink_probe_rtt_seconds", "histogram",
		  "Round-trip times of the continuous probes, per provider and target (kernel timestamps).");
	for (size_t i = 0; i < p->npv; i++)
		for (unsigned t = 0; t < p->nt; t++) {
			const struct probestat *s = &p->pv[i].t[t];
			uint64_t cum = 0;
			mx_label(lp, sizeof(lp), "provider", p->pv[i].name);
			mx_label(lt, sizeof(lt), "target", p->tg[t].text);
			for (int b = 0; b <= PS_BUCKETS; b++) {
				char le[32];
				cum += s->le[b];
				if (b < PS_BUCKETS)
					snprintf(le, sizeof(le), "le=\"%g\"", probestat_bounds[b]);
				else
					snprintf(le, sizeof(le), "le=\"+Inf\"");
				snprintf(l, sizeof(l), "%s,%s,%s", lp, lt, le);
				mx_sample(f, "onlink_probe_rtt_seconds_bucket", l, (double)cum);
			}
			snprintf(l, sizeof(l), "%s,%s", lp, lt);
			mx_sample(f, "onlink_probe_rtt_seconds_sum", l, s->sum);
			mx_sample(f, "onlink_probe_rtt_seconds_count", l, (double)s->count);
		}
	mx_family(f, "onlink_probe_loss_ratio", "gauge", "Probes lost over the last minute, per provider and target.");
	for (size_t i = 0; i < p->npv; i++)
		for (unsigned t = 0; t < p->nt; t++) {
			double loss = probestat_loss(&p->pv[i].t[t], now);
			if (loss < 0)
				continue;
			snprintf(l, sizeof(l), "%s,%s", mx_label(lp, sizeof(lp), "provider", p->pv[i].name),
				 mx_label(lt, sizeof(lt), "target", p->tg[t].text));
			mx_sample(f, "onlink_probe_loss_ratio", l, loss);
		}
	mx_family(f, "onlink_probe_last_success_timestamp_seconds", "gauge",
		  "When a probe through the provider to the target was last answered (unix time).");
	for (size_t i = 0; i < p->npv; i++)
		for (unsigned t = 0; t < p->nt; t++) {
			if (!p->pv[i].t[t].last_success)
				continue;
			snprintf(l, sizeof(l), "%s,%s", mx_label(lp, sizeof(lp), "provider", p->pv[i].name),
				 mx_label(lt, sizeof(lt), "target", p->tg[t].text));
			mx_sample(f, "onlink_probe_last_success_timestamp_seconds", l, (double)p->pv[i].t[t].last_success);
		}
	mx_family(f, "onlink_probe_best", "gauge",
		  "1 for the provider with the lowest RTT to the target over the last minute (of those answering).");
	for (unsigned t = 0; t < p->nt; t++) {
		const char *b = best_of(p, t, now);
		if (!b)
			continue;
		snprintf(l, sizeof(l), "%s,%s", mx_label(lt, sizeof(lt), "target", p->tg[t].text),
			 mx_label(lp, sizeof(lp), "provider", b));
		mx_sample(f, "onlink_probe_best", l, 1);
	}
	mx_family(f, "onlink_probe_errors_total", "counter", "Times the probe sockets could not be set up.");
	mx_sample(f, "onlink_probe_errors_total", "", (double)p->errors);
}

json_t *probing_json(struct probing *p)
{
	if (!p)
		return json_null();
	time_t now = time(NULL);
	json_t *targets = json_array();
	for (unsigned t = 0; t < p->nt; t++) {
		json_t *provs = json_array();
		for (size_t i = 0; i < p->npv; i++) {
			const struct probestat *s = &p->pv[i].t[t];
			uint32_t sent, ok;
			double mean;
			probestat_minute(s, now, &sent, &ok, &mean);
			if (!p->pv[i].live && !sent)
				continue;
			jappend(&provs, jpack("{s:s, s:b, s:i, s:i, s:o, s:o, s:o}", "provider", p->pv[i].name,
							       "live", p->pv[i].live, "sent", (int)sent, "answered", (int)ok,
							       "rtt_ms", ok ? json_real(mean * 1000) : json_null(), "loss",
							       sent ? json_real((double)(sent - ok) / sent) : json_null(),
							       "last_success", s->last_success ? json_integer(s->last_success) : json_null()));
		}
		const char *b = best_of(p, t, now);
		jappend(&targets, jpack("{s:s, s:s?, s:o}", "target", p->tg[t].text, "best", b,
							 "providers", provs));
	}
	return jpack("{s:i, s:i, s:I, s:o}", "interval_ms", (int)p->interval_ms, "timeout_ms",
			 (int)p->timeout_ms, "streams", (json_int_t)p->n, "targets", targets);
}

int probing_health(const struct probing *p, const char *provider, int family)
{
	if (!p)
		return -1;
	for (size_t i = 0; i < p->npv; i++) {
		if (strcmp(p->pv[i].name, provider))
			continue;
		if (!p->pv[i].live)
			return -1;
		int probed = 0;
		for (unsigned t = 0; t < p->nt; t++) {
			if (p->tg[t].addr.family != family)
				continue;
			const struct probestat *s = &p->pv[i].t[t];
			if (!s->count && !s->lost_run)
				continue; /* not sent yet */
			probed = 1;
			if (s->lost_run < PS_FAILING_RUN)
				return 1;
		}
		return probed ? 0 : -1;
	}
	return -1;
}

size_t probing_take(struct probing *p, unsigned target, uint64_t window, struct probe_take *out, size_t cap)
{
	size_t n = 0;
	if (!p || target >= p->nt)
		return 0;
	for (size_t i = 0; i < p->npv && n < cap; i++) {
		struct ps_acc *a = &p->pv[i].t[target].acc[window % 2];
		if (a->window != window || !a->sent)
			continue;
		out[n++] = (struct probe_take){ .provider = p->pv[i].name, .sent = a->sent, .ok = a->ok,
						.rtt_sum_us = a->rtt_us };
		*a = (struct ps_acc){ 0 };
	}
	return n;
}
