/* Protective repath in the host agent (repath.h). */
#include "host/repath.h"
#include "host/agent.h"
#include "host/probing.h"
#include "host/repathsel.h"
#include "kernel/bpf.h"
#include "base/metrics.h"
#include "base/vec.h"
#include "proto/json.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define TICK_MS 200             /* the candidates follow the probes this fast */
#define COUNT_TICKS 5           /* counters read (and logged) every second */
#define STAY_TICKS 25           /* the host's prefixes read every 5 s */
#define STAY_MAX 256            /* the tries' size (repath.bpf.c) */

struct named {                  /* connections moved, by the providers' names when they moved */
	char from[OL_NAME_MAX], to[OL_NAME_MAX];
	uint64_t n, logged;
};

struct repath {
	struct hostd *h;
	struct bpf_repath *b;   /* NULL: not loaded (why says why) */
	char why[240];
	char cgroup[256];
	struct timer tick;
	unsigned ticks;
	struct rp_conf conf;    /* as last written */
	struct rp_cands cand[2]; /* likewise: IPv4, IPv6 */
	int conf_valid, dirty;
	struct rp_count last[512]; /* the program's counters at the last read */
	size_t nlast;
	VEC(struct named) moved;
	uint64_t total;
	unsigned long errors;
	struct ratelimit rl;
};

static const char *mark_name(const struct hostd *h, uint32_t mark, char *buf, size_t len)
{
	if (!mark)
		return "main";
	for (size_t i = 0; i < h->view.merged.n; i++)
		if (h->view.merged.v[i].table == mark)
			return h->view.merged.v[i].name;
	snprintf(buf, len, "table-%u", mark);
	return buf;
}

static void build_conf(struct repath *r, struct rp_conf *c, struct rp_cands cand[2])
{
	const struct hostd *h = r->h;
	struct rp_provider v[RP_MARKS_MAX];
	size_t n = 0;
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < h->view.merged.n && n < RP_MARKS_MAX; i++) {
		const struct ol_provider *p = &h->view.merged.v[i];
		v[n] = (struct rp_provider){ .name = p->name, .table = p->table,
					     .live = provider_up(p) && !p->via[0],
					     .has = { provider_has_family(p, AF_INET), provider_has_family(p, AF_INET6) },
					     .health = { probing_health(h->probing, p->name, AF_INET),
							 probing_health(h->probing, p->name, AF_INET6) } };
		n++;
	}
	repath_select(v, n, (const char(*)[OL_NAME_MAX])h->cfg->host.repath_providers, h->cfg->host.nrepath_providers, c,
		      cand);
	const struct cfg_host *ch = &h->cfg->host;
	c->after_rtos = ch->repath_after_rtos;
	/* with probes, an early move needs their word; without, none is asked */
	if (h->probing)
		c->after_rtos_alone = !ch->repath_unconfirmed ? UINT32_MAX :
				      ch->repath_unconfirmed > ch->repath_after_rtos ? ch->repath_unconfirmed : 0;
	c->netns = bpf_netns_cookie();
}

static void sync_conf(struct repath *r)
{
	struct rp_conf c;
	struct rp_cands cand[2];
	build_conf(r, &c, cand);
	if (r->conf_valid && !memcmp(&c, &r->conf, sizeof(c)) && !memcmp(cand, r->cand, sizeof(cand)))
		return;
	int e = bpf_repath_set_conf(r->b, &c, cand);
	if (e) {
		r->errors++;
		log_limited(&r->rl, LOG_ERR, "repath: writing its providers: %s", strerror(-e));
		return;
	}
	r->conf = c;
	memcpy(r->cand, cand, sizeof(cand));
	r->conf_valid = 1;
}

static void sync_stay(struct repath *r)
{
	struct rp_prefix v[STAY_MAX];
	int n = bpf_local_prefixes(v, STAY_MAX), e;
	if (n < 0 || (e = bpf_repath_set_stay(r->b, v, (size_t)n))) {
		r->errors++;
		log_limited(&r->rl, LOG_ERR, "repath: the host's own prefixes: %s", strerror(n < 0 ? -n : -e));
	}
}

static struct named *named_get(struct repath *r, const char *from, const char *to)
{
	for (size_t i = 0; i < r->moved.n; i++)
		if (!strcmp(r->moved.v[i].from, from) && !strcmp(r->moved.v[i].to, to))
			return &r->moved.v[i];
	struct named m = { 0 };
	snprintf(m.from, sizeof(m.from), "%s", from);
	snprintf(m.to, sizeof(m.to), "%s", to);
	if (vec_push(&r->moved, m))
		return NULL;
	return &r->moved.v[r->moved.n - 1];
}

/* what the program counted since the last read, by today's names; one log
 * line for the burst */
static void read_counts(struct repath *r)
{
	struct rp_count now[512];
	int n = bpf_repath_counts(r->b, now, 512);
	if (n < 0)
		return;
	for (int i = 0; i < n; i++) {
		uint64_t before = 0;
		for (size_t k = 0; k < r->nlast; k++)
			if (r->last[k].from == now[i].from && r->last[k].to == now[i].to)
				before = r->last[k].n;
		if (now[i].n <= before)
			continue;
		char b1[24], b2[24];
		struct named *m = named_get(r, mark_name(r->h, now[i].from, b1, sizeof(b1)),
					    mark_name(r->h, now[i].to, b2, sizeof(b2)));
		if (m)
			m->n += now[i].n - before;
		r->total += now[i].n - before;
	}
	memcpy(r->last, now, (size_t)n * sizeof(*now));
	r->nlast = (size_t)n;
	char line[512];
	size_t len = 0;
	uint64_t sum = 0;
	for (size_t i = 0; i < r->moved.n; i++) {
		struct named *m = &r->moved.v[i];
		if (m->n == m->logged)
			continue;
		if (len < sizeof(line))
			len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%s -> %s %llu", len ? ", " : "", m->from,
						m->to, (unsigned long long)(m->n - m->logged));
		sum += m->n - m->logged;
		m->logged = m->n;
	}
	if (sum)
		log_info("repath: %llu connections moved after %u timeouts in a row: %s", (unsigned long long)sum,
			 r->conf.after_rtos, line);
}

static void tick(struct timer *t)
{
	struct repath *r = t->arg;
	if (!r->b)
		return;
	if (r->ticks % STAY_TICKS == 0)
		sync_stay(r);
	sync_conf(r);
	if (++r->ticks % COUNT_TICKS == 0)
		read_counts(r);
}

static const char *ordinal(unsigned n)
{
	return n == 1 ? "st" : n == 2 ? "nd" : n == 3 ? "rd" : "th";
}

/* [repath] cgroup, or the cgroup v2 root: 0, or negative errno */
static int cgroup_of(const struct cfg_host *c, char *out, size_t len)
{
	if (!c->repath_cgroup[0])
		return bpf_cgroup2_root(out, len);
	snprintf(out, len, "%s", c->repath_cgroup);
	return 0;
}

static void load(struct repath *r)
{
	const struct cfg_host *c = &r->h->cfg->host;
	int e;
	r->why[0] = 0;
	r->conf_valid = 0;
	r->nlast = 0;
	if ((e = cgroup_of(c, r->cgroup, sizeof(r->cgroup)))) {
		snprintf(r->why, sizeof(r->why), "no cgroup v2 hierarchy mounted");
		log_warn("repath: %s: running without repath", r->why);
		return;
	}
	if ((e = bpf_repath_open(r->cgroup, &r->b, r->why, sizeof(r->why)))) {
		log_warn("repath: the BPF program: %s: running without repath", r->why);
		return;
	}
	sync_stay(r);
	sync_conf(r);
	r->ticks = 1;
	char early[96] = "";
	if (r->conf.after_rtos_alone == UINT32_MAX)
		snprintf(early, sizeof(early), ", when the probes show their provider failing");
	else if (r->conf.after_rtos_alone)
		snprintf(early, sizeof(early), " when the probes show their provider failing, on their %u%s in any case",
			 r->conf.after_rtos_alone, ordinal(r->conf.after_rtos_alone));
	log_info("repath: on: connections in %s move on their %u%s consecutive timeout%s", r->cgroup,
		 c->repath_after_rtos, ordinal(c->repath_after_rtos), early);
}

int repath_new(struct hostd *h, struct repath **out)
{
	*out = NULL;
	if (!h->cfg->host.repath_line || !h->cfg->host.repath_after_rtos)
		return 0;
	struct repath *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->h = h;
	r->rl = (struct ratelimit)RATELIMIT_INIT(60000, 1);
	int e = timer_init(&r->tick, tick, r);
	if (e) {
		free(r);
		return e;
	}
	load(r);
	timer_arm(&r->tick, TICK_MS, TICK_MS);
	*out = r;
	return 0;
}

void repath_free(struct repath *r)
{
	if (!r)
		return;
	timer_fini(&r->tick);
	bpf_repath_close(r->b);
	vec_free(&r->moved);
	free(r);
}

int repath_reload(struct hostd *h, struct repath **rp)
{
	struct repath *r = *rp;
	const struct cfg_host *c = &h->cfg->host;
	if (!c->repath_line || !c->repath_after_rtos) {
		if (r)
			log_info("repath: off");
		repath_free(r);
		*rp = NULL;
		return 0;
	}
	if (!r)
		return repath_new(h, rp);
	char want[256];
	if (cgroup_of(c, want, sizeof(want)))
		want[0] = 0;
	if (!r->b || strcmp(want, r->cgroup)) {
		if (r->b)
			read_counts(r);
		bpf_repath_close(r->b);
		r->b = NULL;
		load(r);
	} else {
		sync_conf(r);
	}
	return 0;
}

void repath_changed(struct repath *r)
{
	if (r && r->b)
		sync_conf(r);
}

static json_t *names(const struct repath *r, const __u32 *cand, __u32 n)
{
	json_t *a = json_array();
	char buf[24];
	for (__u32 i = 0; i < n; i++)
		jappend(&a, json_string(mark_name(r->h, cand[i], buf, sizeof(buf))));
	return a;
}

json_t *repath_json(struct repath *r)
{
	if (!r)
		return jpack("{s:s}", "state", "off");
	json_t *moves = json_array();
	for (size_t i = 0; i < r->moved.n; i++)
		jappend(&moves, jpack("{s:s, s:s, s:I}", "from", r->moved.v[i].from, "to", r->moved.v[i].to,
				      "connections", (json_int_t)r->moved.v[i].n));
	if (!r->b)
		return jpack("{s:s, s:s, s:o}", "state", "unavailable", "why", r->why, "moves", moves);
	json_t *alone = !r->conf.after_rtos_alone ? json_integer(r->conf.after_rtos) :
			r->conf.after_rtos_alone == UINT32_MAX ? json_null() : json_integer(r->conf.after_rtos_alone);
	return jpack("{s:s, s:s, s:i, s:o, s:o, s:o, s:o, s:o, s:I, s:o}", "state", "on", "cgroup", r->cgroup, "after_rtos",
		     (int)r->conf.after_rtos, "unconfirmed_rtos", alone, "failing4",
		     names(r, r->cand[0].fail, r->cand[0].nfail), "failing6", names(r, r->cand[1].fail, r->cand[1].nfail),
		     "candidates4", names(r, r->cand[0].v, r->cand[0].n), "candidates6",
		     names(r, r->cand[1].v, r->cand[1].n), "moved", (json_int_t)r->total, "moves", moves);
}

void repath_metrics(struct repath *r, FILE *f)
{
	char l[256], a[96], b[96];
	mx_family(f, "onlink_repath_on", "gauge",
		  "1 when the repath program is attached; 0 when [repath] is on but the program could not load.");
	mx_sample(f, "onlink_repath_on", "", r && r->b ? 1 : 0);
	mx_family(f, "onlink_repath_total", "counter",
		  "TCP connections moved to another provider after consecutive timeouts, by provider (main: no mark).");
	if (!r)
		return;
	for (size_t i = 0; i < r->moved.n; i++) {
		snprintf(l, sizeof(l), "%s,%s", mx_label(a, sizeof(a), "from", r->moved.v[i].from),
			 mx_label(b, sizeof(b), "to", r->moved.v[i].to));
		mx_sample(f, "onlink_repath_total", l, (double)r->moved.v[i].n);
	}
	mx_family(f, "onlink_repath_candidates", "gauge", "Providers a stalled connection may move to, per family.");
	mx_sample(f, "onlink_repath_candidates", "family=\"ipv4\"", r->conf_valid ? r->cand[0].n : 0);
	mx_sample(f, "onlink_repath_candidates", "family=\"ipv6\"", r->conf_valid ? r->cand[1].n : 0);
	mx_family(f, "onlink_repath_errors_total", "counter", "Times the repath program's maps could not be written.");
	mx_sample(f, "onlink_repath_errors_total", "", (double)r->errors);
}
