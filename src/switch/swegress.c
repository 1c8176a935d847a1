/* The egress tables the hosts get: the fixed [egress ADDR] slices and the
 * pools' leases (leases.c), brought up to date once a second and after a
 * reload; a change goes to every host in a new snapshot and into the
 * state file. A host is dead for its leases when it has had no session
 * for host-dead-after (counted from the agent's start for a host never
 * seen since). */
#include "switch/switchd_int.h"
#include "base/log.h"
#include "base/vec.h"
#include "proto/wire.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

static int64_t unix_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* when the host last had a session (monotonic ms) */
static uint64_t *seen_of(struct swegress *e, const char *host)
{
	for (size_t i = 0; i < e->nseen; i++)
		if (!strcmp(e->seen[i].name, host))
			return &e->seen[i].ms;
	if (vec_reserve_((void **)&e->seen, &e->capseen, e->nseen + 1, sizeof(*e->seen)))
		return NULL;
	snprintf(e->seen[e->nseen].name, sizeof(e->seen[0].name), "%s", host);
	e->seen[e->nseen].ms = e->start_ms;
	return &e->seen[e->nseen++].ms;
}

static int host_dead(void *arg, const char *host)
{
	struct switchd *s = arg;
	uint64_t now = now_ms(), *seen = seen_of(&s->eg, host);
	if (peers_host_up(&s->peers, host)) {
		if (seen)
			*seen = now;
		return 0;
	}
	return seen && now - *seen >= s->cfg->sw.host_dead_after_ms;
}

static void note(void *arg, const struct lease *l, const char *what)
{
	struct switchd *s = arg;
	char a[ADDR_STRLEN];
	if (!strcmp(what, "exhausted")) {
		log_limited(&s->rl_peer, LOG_WARNING, "egress pool %s: no free %s slice for host %s", l->pool,
			    l->addr.family == AF_INET ? "IPv4" : "IPv6", l->host);
		return;
	}
	addr_str(&l->addr, a, sizeof(a));
	if (!strcmp(what, "rests"))
		log_warn("egress pool %s: %s %u-%u rests %us (host %s %s)", l->pool, a, l->first, l->last,
			 (unsigned)((l->until - l->since) / 1000), l->host,
			 peers_host_up(&s->peers, l->host) ? "left the pool" : "dead");
	else if (!strcmp(what, "freed") || !strcmp(what, "ended"))
		log_info("egress pool %s: %s %u-%u %s (was %s's)", l->pool, a, l->first, l->last, what, l->host);
	else
		log_info("egress pool %s: %s %u-%u %s to %s", l->pool, a, l->first, l->last, what, l->host);
}

/* the tables as bytes on the wire, to compare */
static int tables_same(const struct ol_egress *a, size_t na, const struct ol_egress *b, size_t nb)
{
	uint8_t x[WIRE_BODY_MAX], y[WIRE_BODY_MAX];
	if (na != nb)
		return 0;
	for (size_t i = 0; i < na; i++) {
		int n = wire_egress_encode(x, sizeof(x), &a[i]), m = wire_egress_encode(y, sizeof(y), &b[i]);
		if (n != m || n < 0 || memcmp(x, y, (size_t)n))
			return 0;
	}
	return 1;
}

int swegress_refresh(struct switchd *s)
{
	struct swegress *e = &s->eg;
	struct leases *L = &s->state.leases;
	if (s->cfg->sw.npools || L->n) {
		int r = leases_update(L, &s->cfg->sw, unix_ms(), host_dead, s, note, s);
		if (r < 0)
			log_limited(&s->rl_peer, LOG_ERR, "egress leases: %s", strerror(-r));
		if (r > 0) {
			e->changes += (unsigned)r;
			swstate_save(&s->state);
		}
	}
	struct ol_egress *t;
	size_t n;
	if (leases_tables(L, &s->cfg->sw, &t, &n)) {
		log_limited(&s->rl_peer, LOG_ERR, "egress tables: out of memory");
		return 0;
	}
	if (tables_same(t, n, e->v, e->n)) {
		free(t);
		return 0;
	}
	free(e->v);
	e->v = t;
	e->n = n;
	return 1;
}

static void tick(struct timer *t)
{
	struct switchd *s = t->arg;
	if (swegress_refresh(s)) {
		log_info("egress table changed: each host is sent it");
		peers_resnapshot(&s->peers);
	}
}

int swegress_init(struct switchd *s)
{
	s->eg.start_ms = now_ms();
	if (s->state.leases_bad)
		log_warn("state file: %u egress leases did not decode and were skipped", s->state.leases_bad);
	swegress_refresh(s);
	int r = timer_init(&s->eg.t, tick, s);
	if (!r)
		timer_arm(&s->eg.t, 1000, 1000);
	return r;
}

void swegress_fini(struct switchd *s)
{
	free(s->eg.v);
	free(s->eg.seen);
	memset(&s->eg, 0, sizeof(s->eg));
}
