/* The egress tables the hosts get: the fixed [egress ADDR] slices and the
 * pools' leases (leases.c), brought up to date once a second and after a
 * reload; a change goes to every host in a new snapshot and into the
 * state file. A host is dead for its leases when it has had no session
 * for host-dead-after (counted from the agent's start plus the hosts'
 * longest reconnect back-off for a host not seen since). */
#include "switch/switchd_int.h"
#include "base/log.h"
#include "base/vec.h"
#include "proto/wire.h"
#include "proto/api.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#define SWEGRESS_START_GRACE_MS 30000 /* a host's longest back-off between attempts */

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
	/* not seen since the start: it may be backing off (a host retries at
	 * most every 30 s), and a restart must not cost anyone their lease */
	e->seen[e->nseen].ms = e->start_ms + SWEGRESS_START_GRACE_MS;
	return &e->seen[e->nseen++].ms;
}

/* a session began or ended: the host was there at this moment (a tick
 * may not come between a host's return and its next death) */
static void host_session(void *arg, const char *host)
{
	struct switchd *s = arg;
	uint64_t *seen = seen_of(&s->eg, host);
	if (seen)
		*seen = now_ms();
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
	return seen && now >= *seen && now - *seen >= s->cfg->sw.host_dead_after_ms;
}

int swegress_in_use(const struct switchd *s, const struct lease *l)
{
	const struct live_report *r = l->state == LEASE_HELD ? lives_get(&s->eg.lives, l->host, &l->addr) : NULL;
	static struct ol_ports in;
	if (!r)
		return -1;
	ports_within(&r->ports, l->first, l->last, &in);
	return (int)ports_count(&in);
}

/* leases_fit's view: no report, nothing in use */
static unsigned lease_use(void *arg, const struct lease *l)
{
	int n = swegress_in_use(arg, l);
	return n < 0 ? 0 : (unsigned)n;
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
	else if (!strcmp(what, "grew"))
		log_info("egress pool %s: %s %u-%u leased to %s as well: its slices are over 90%% in use", l->pool, a,
			 l->first, l->last, l->host);
	else if (!strcmp(what, "shrank"))
		log_info("egress pool %s: %s %u-%u given back by %s: its slices under 50%% in use for a while (its flows "
			 "there keep their ports)", l->pool, a, l->first, l->last, l->host);
	else if (!strcmp(what, "moved"))
		log_info("egress pool %s: %s %u-%u given up by %s (moved: its flows keep their ports)", l->pool, a, l->first,
			 l->last, l->host);
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

static int host_alive(void *arg, const char *host)
{
	return !host_dead(arg, host);
}

/* the kept ports now, per address and host, from the moves */
static int kept_now(struct switchd *s, struct kept_sent **out, size_t *n)
{
	const struct moves *M = &s->state.moves;
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	for (size_t i = 0; i < M->n; i++) {
		size_t k;
		for (k = 0; k < *n && (addr_cmp(&(*out)[k].addr, &M->v[i].addr) || strcmp((*out)[k].host, M->v[i].host)); k++)
			;
		if (k < *n)
			continue;
		if (vec_reserve_((void **)out, &cap, *n + 1, sizeof(**out)))
			return -ENOMEM;
		struct kept_sent *x = &(*out)[(*n)++];
		x->addr = M->v[i].addr;
		snprintf(x->host, sizeof(x->host), "%s", M->v[i].host);
		moves_kept(M, &x->addr, x->host, &x->ports);
	}
	return 0;
}

static int send_kept(struct switchd *s, struct conn *c, const struct kept_sent *k)
{
	uint8_t body[WIRE_BODY_MAX];
	int n = wire_kept_encode(body, sizeof(body), &k->addr, k->host, &k->ports);
	if (n < 0)
		return n;
	if (c)
		return conn_send(c, WM_EGRESS_KEPT, body, (size_t)n);
	peers_send_all(&s->peers, WM_EGRESS_KEPT, body, (size_t)n);
	return 0;
}

int swegress_snapshot_kept(struct switchd *s, struct conn *c)
{
	int r = 0;
	for (size_t i = 0; i < s->eg.nsent && !r; i++)
		r = send_kept(s, c, &s->eg.sent[i]);
	return r;
}

/* The kept ports brought in line with the moves. With a new snapshot
 * coming (resnap), it only records them; else each changed set goes to
 * every host (a set that went empty too: it replaces what they hold). */
static void kept_sync(struct switchd *s, int resnap)
{
	struct swegress *e = &s->eg;
	struct kept_sent *now;
	size_t n;
	if (kept_now(s, &now, &n)) {
		log_limited(&s->rl_peer, LOG_ERR, "kept ports: out of memory");
		return;
	}
	for (size_t i = 0; !resnap && i < n; i++) {
		size_t k;
		for (k = 0; k < e->nsent && (addr_cmp(&e->sent[k].addr, &now[i].addr) || strcmp(e->sent[k].host, now[i].host)); k++)
			;
		if (k == e->nsent || !ports_equal(&e->sent[k].ports, &now[i].ports))
			send_kept(s, NULL, &now[i]);
	}
	for (size_t k = 0; !resnap && k < e->nsent; k++) {
		size_t i;
		for (i = 0; i < n && (addr_cmp(&e->sent[k].addr, &now[i].addr) || strcmp(e->sent[k].host, now[i].host)); i++)
			;
		if (i == n) {
			struct kept_sent gone = e->sent[k];
			gone.ports.n = 0;
			send_kept(s, NULL, &gone);
		}
	}
	free(e->sent);
	e->sent = now;
	e->nsent = e->capsent = n;
}

/* WM_EGRESS_SEEN: the table of a pool address a host follows, decided by
 * the pool's leader: a follower holds it */
static int host_seen(struct switchd *s, const char *host, const uint8_t *body, size_t n, const char **why)
{
	struct ol_egress t;
	if (wire_egress_decode(body, n, &t)) {
		*why = "malformed egress table seen";
		return -1;
	}
	for (unsigned p = 0; p < s->cfg->sw.npools; p++) {
		const struct cfg_pool *pl = &s->cfg->sw.pools[p];
		int mine = 0;
		for (unsigned k = 0; k < pl->naddrs; k++)
			mine |= !addr_cmp(&pl->addrs[k], &t.addr);
		if (!mine)
			continue;
		if (pool_decides(pl, s->cfg->name) || !t.decided) {
			s->eg.seen_refused++; /* this agent decides, or the host's source did not */
			return 0;
		}
		int r = leases_adopt(&s->state.leases, pl, &t, unix_ms());
		if (r > 0) {
			char a[ADDR_STRLEN];
			log_info("egress pool %s: %s as leader %s decided it (told by %s): %d changes", pl->name,
				 addr_str(&t.addr, a, sizeof(a)), pl->leader, host, r);
			s->eg.changes += (unsigned)r;
			swstate_save(&s->state);
			timer_arm(&s->eg.t, 1, 1000); /* the tables out of this session's turn */
		}
		return 0;
	}
	s->eg.seen_refused++;
	return 0;
}

/* WM_EGRESS_LIVE: a host's flows' ports of a shared address */
static int host_msg(void *arg, const char *host, uint8_t type, const uint8_t *body, size_t n, const char **why)
{
	struct switchd *s = arg;
	struct ol_addr a;
	uint16_t in_use;
	static struct ol_ports p;
	if (type == WM_EGRESS_SEEN)
		return host_seen(s, host, body, n, why);
	if (wire_live_decode(body, n, &a, &in_use, &p)) {
		*why = "malformed live ports report";
		return -1;
	}
	size_t i;
	for (i = 0; i < s->eg.n && addr_cmp(&s->eg.v[i].addr, &a); i++)
		;
	if (i == s->eg.n) { /* bounded: only the tables' addresses are kept */
		s->eg.live_refused++;
		return 0;
	}
	if (lives_put(&s->eg.lives, host, &a, in_use, &p) < 0)
		log_limited(&s->rl_peer, LOG_ERR, "live ports of %s: out of memory", host);
	return 0;
}

int swegress_refresh(struct switchd *s)
{
	struct swegress *e = &s->eg;
	struct leases *L = &s->state.leases;
	if (s->cfg->sw.npools || L->n) {
		int r = leases_update(L, &s->cfg->sw, s->cfg->name, unix_ms(), host_dead, s, note, s);
		int f = r < 0 ? 0 : leases_fit(L, &s->cfg->sw, s->cfg->name, unix_ms(), lease_use, s, note, s);
		r = r < 0 ? r : f < 0 ? f : r + f;
		if (r < 0)
			log_limited(&s->rl_peer, LOG_ERR, "egress leases: %s", strerror(-r));
		if (r > 0) {
			e->changes += (unsigned)r;
			swstate_save(&s->state);
		}
	}
	struct ol_egress *t;
	size_t n;
	if (leases_tables(L, &s->cfg->sw, s->cfg->name, &t, &n)) {
		log_limited(&s->rl_peer, LOG_ERR, "egress tables: out of memory");
		return 0;
	}
	if (tables_same(t, n, e->v, e->n)) {
		free(t);
		return 0;
	}
	/* a range a living host no longer owns keeps its flows' ports */
	int m = moves_detect(&s->state.moves, e->v, e->n, t, n, &e->lives, host_alive, s, unix_ms(),
			     s->cfg->sw.move_deadline_ms);
	if (m > 0) {
		log_info("egress: %d slices moved from living hosts: their live flows keep their ports", m);
		swstate_save(&s->state);
	}
	free(e->v);
	e->v = t;
	e->n = n;
	return 1;
}

int swegress_turn(struct switchd *s)
{
	int resnap = swegress_refresh(s);
	if (moves_update(&s->state.moves, &s->eg.lives, host_alive, s, unix_ms()) > 0)
		swstate_save(&s->state);
	kept_sync(s, resnap);
	if (resnap)
		peers_resnapshot(&s->peers);
	return resnap;
}

static void tick(struct timer *t)
{
	if (swegress_turn(t->arg))
		log_info("egress table changed: each host is sent it");
}

char *swegress_move(struct switchd *s, const char *host)
{
	char msg[160];
	json_t *o;
	if (!config_host_known(s->cfg, host)) {
		snprintf(msg, sizeof(msg), "egress-move: no host '%s' in the config", host);
		goto fail;
	}
	int n = leases_move(&s->state.leases, &s->cfg->sw, host, unix_ms(), note, s);
	if (n < 0) {
		snprintf(msg, sizeof(msg), "egress-move: out of memory");
		goto fail;
	}
	if (!n) {
		snprintf(msg, sizeof(msg), "egress-move: %s holds no lease of a pool with a free slice", host);
		goto fail;
	}
	s->eg.changes += (unsigned)n;
	swstate_save(&s->state);
	swegress_turn(s); /* the tables, and the ports its flows keep */
	json_t *ls = json_array();
	char a[ADDR_STRLEN];
	for (size_t i = 0; i < s->state.leases.n; i++) {
		const struct lease *l = &s->state.leases.v[i];
		if (l->state == LEASE_HELD && !strcmp(l->host, host))
			json_array_append_new(ls, json_pack("{s:s, s:s, s:i, s:i}", "pool", l->pool, "address",
							    addr_str(&l->addr, a, sizeof(a)), "first", (int)l->first, "last",
							    (int)l->last));
	}
	o = json_pack("{s:i, s:b, s:s, s:i, s:o}", "api", API_VERSION, "ok", 1, "host", host, "moved", n, "leases", ls);
	goto out;
fail:
	o = json_pack("{s:i, s:s}", "api", API_VERSION, "error", msg);
out:;
	char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return line;
}

int swegress_init(struct switchd *s)
{
	s->eg.start_ms = now_ms();
	if (s->state.leases_bad)
		log_warn("state file: %u egress leases did not decode and were skipped", s->state.leases_bad);
	swegress_refresh(s);
	kept_sync(s, 1);
	s->peers.host_msg = host_msg;
	s->peers.host_session = host_session;
	int r = timer_init(&s->eg.t, tick, s);
	if (!r)
		timer_arm(&s->eg.t, 1000, 1000);
	return r;
}

void swegress_fini(struct switchd *s)
{
	free(s->eg.v);
	free(s->eg.seen);
	free(s->eg.sent);
	lives_free(&s->eg.lives);
	memset(&s->eg, 0, sizeof(s->eg));
}
