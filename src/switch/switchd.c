/* The switch agent: kernel watcher, peer server and control socket in one
 * event loop. */
#include "switch/switchd.h"
#include "proto/conn.h"
#include "base/control.h"
#include "conf/daemon.h"
#include "proto/json.h"
#include "base/log.h"
#include "base/loop.h"
#include "kernel/nl.h"
#include "switch/fanout.h"
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

#define HANDSHAKE_MS 10000
#define LOG_EACH_MAX 32 /* a turn changing more providers logs a summary */

struct switchd;

struct peer {
	struct loop_src src;
	struct switchd *s;
	struct ol_addr ip;      /* where the host connects from */
	struct conn c;
	struct peer *next;
	char addr[64];
	time_t since;
	uint64_t started_ms;
	int want_out;
	int dead;
	int queued;             /* in switchd.flushq */
	size_t log_pos;         /* how far into switchd.log it has been sent */
	int flush_rc;           /* what conn_flush said, from a fan-out thread */
};

struct switchd {
	struct config *cfg;
	struct nl *nl;
	struct tracker tr;
	struct loop_src nl_src, sig_src;
	struct loop_src listen_src[CFG_LISTEN_MAX];
	struct timer keepalive, resync;
	struct peer *peers;
	/* the peers sent to since the last flush; room for every peer is
	 * made when it is accepted, so queueing never fails */
	struct peer **flushq;
	size_t nflushq, capflushq;
	struct fanout *fan;
	/* the fast path, when configured: changes go out as datagrams at
	 * once, and the sessions' copies wait for the delay timer */
	struct fastpath fp_store, *fp;
	struct timer fp_delay;
	int fp_armed;
	/* messages for every host, encoded once: after the turn (or, with
	 * the fast path, at the delay timer) each session is fed its part,
	 * sealed a few KiB at a time while its socket takes them, so that a
	 * burst for 1000 hosts costs one copy, not 1000 */
	uint8_t *log;
	size_t loglen, logcap;
	int feeding;             /* this flush feeds the log */
	uint64_t gen;            /* change generation: one per turn of changes */
	unsigned npeers;
	volatile int stop, reload;
	struct ratelimit rl_peer, rl_kernel;
	unsigned long resyncs, sessions, updates;
	struct provctl *pc;
	struct ol_provider *obs; /* the providers as the kernel shows them */
	struct ol_provider *out; /* ... and as the hosts are told */
	/* the hosts of the POP and where they connect from: the hosts steer
	 * return traffic of shared egress addresses to each other by MAC */
	struct dir_entry {
		char name[OL_NAME_MAX];
		struct ol_addr addr;
	} *dir;
	size_t ndir;
};

static int send_host(struct peer *p, const struct dir_entry *d)
{
	uint8_t body[WIRE_BODY_MAX];
	int n = wire_host_encode(body, sizeof(body), d->name, &d->addr);
	return n < 0 ? n : conn_send(&p->c, WM_HOST, body, (size_t)n);
}

static void peer_drop(struct switchd *s, struct peer *p, const char *why)
{
	if (p->c.state == CONN_UP)
		log_info("host %s (%s) disconnected: %s", p->c.peer_name, p->addr, why);
	else
		log_limited(&s->rl_peer, LOG_WARNING, "peer %s dropped before authentication: %s", p->addr, why);
	p->dead = 1;
	loop_del(&p->src);
	conn_fini(&p->c);
}

static void peer_reap(struct switchd *s)
{
	for (struct peer **pp = &s->peers; *pp;) {
		struct peer *p = *pp;
		if (p->dead) {
			*pp = p->next;
			free(p);
			s->npeers--;
		} else {
			pp = &p->next;
		}
	}
}

/* After conn_flush said r: drop the peer, or watch for room to write. */
static void peer_flushed(struct switchd *s, struct peer *p, int r)
{
	if (r < 0) {
		peer_drop(s, p, r == -ENOBUFS ? "output queue full (slow host)" : strerror(-r));
	} else if (r != p->want_out) {
		p->want_out = r;
		loop_mod(&p->src, EPOLLIN | (r ? EPOLLOUT : 0));
	}
}

static void peer_flush(struct switchd *s, struct peer *p)
{
	peer_flushed(s, p, conn_flush(&p->c));
}

static int send_provider(struct peer *p, const struct ol_provider *pr)
{
	uint8_t body[WIRE_BODY_MAX];
	int n = wire_provider_encode(body, sizeof(body), pr);
	return n < 0 ? n : conn_send(&p->c, WM_PROVIDER, body, (size_t)n);
}

static void flush_sessions(struct switchd *s, int with_log);
static void fp_arm(struct switchd *s);

/* A message for every host, kept once in the log. */
static int log_put(struct switchd *s, uint8_t type, const uint8_t *body, size_t n)
{
	if (s->loglen + WIRE_REC_HDR + n > CONN_OUT_MAX)
		flush_sessions(s, 1); /* a storm: write the sessions now rather than hold more */
	if (s->logcap < s->loglen + WIRE_REC_HDR + n) {
		size_t cap = s->logcap ? s->logcap : 4096;
		while (cap < s->loglen + WIRE_REC_HDR + n)
			cap *= 2;
		uint8_t *l = realloc(s->log, cap);
		if (!l)
			return -ENOMEM;
		s->log = l;
		s->logcap = cap;
	}
	if (s->fp && s->cfg->fast_path_delay_ms)
		fp_arm(s);
	return wire_rec_put(s->log, s->logcap, &s->loglen, type, body, n);
}

/* Fan-out: one message to every authenticated host, encoded once into the
 * log. Each host's part of it waits for flush_sessions(), after everything
 * this turn of the loop brought (or, with the fast path, for the delay
 * timer), so that a burst of changes leaves as a few writes (and one
 * sealed frame per 3 KiB) per host instead of one per change. A message
 * for all but one host, or one the log has no room for, is queued on each
 * session. */
static void send_all(struct switchd *s, struct peer *except, uint8_t type, const uint8_t *body, size_t n)
{
	if (!except && !log_put(s, type, body, n))
		return;
	for (struct peer *p = s->peers; p; p = p->next) {
		if (p == except || p->dead || p->c.state != CONN_UP)
			continue;
		if (conn_send(&p->c, type, body, n) < 0) {
			peer_drop(s, p, "output queue full (slow host)");
		} else if (!p->queued) {
			p->queued = 1;
			s->flushq[s->nflushq++] = p;
		}
	}
}

#define FEED_CHUNK 3072 /* under a frame: a session's queue stays within its first 8 KiB */

/* This host's part of the log, sealed a chunk at a time while its socket
 * takes it (so its queue stays small), then whatever else it has queued.
 * As conn_flush: 1 if output remains, 0 if all written, <0 on error. */
static int peer_feed(struct switchd *s, struct peer *p)
{
	int r = conn_flush(&p->c);
	while (!r && p->c.state == CONN_UP && p->log_pos < s->loglen) {
		size_t bn;
		uint8_t type;
		const uint8_t *body;
		while (conn_queued(&p->c) < FEED_CHUNK &&
		       wire_rec_next(s->log, s->loglen, &p->log_pos, &type, &body, &bn) == 1)
			if ((r = conn_send(&p->c, type, body, bn)) < 0)
				return r;
		r = conn_flush(&p->c);
	}
	return r;
}

/* On a fan-out thread. */
static void flush_one(void *arg, size_t i)
{
	struct switchd *s = arg;
	struct peer *p = s->flushq[i];
	p->flush_rc = s->feeding ? peer_feed(s, p) : conn_flush(&p->c);
}

/* What every host has been sent of the log is dropped from it; a host
 * more than CONN_OUT_MAX behind is dropped, as a slow host. */
static void log_trim(struct switchd *s)
{
	size_t min = s->loglen;
	for (struct peer *p = s->peers; p; p = p->next) {
		if (p->dead || p->c.state != CONN_UP)
			continue;
		if (s->loglen - p->log_pos > CONN_OUT_MAX)
			peer_drop(s, p, "output queue full (slow host)");
		else if (p->log_pos < min)
			min = p->log_pos;
	}
	if (!min)
		return;
	memmove(s->log, s->log + min, s->loglen - min);
	s->loglen -= min;
	for (struct peer *p = s->peers; p; p = p->next)
		p->log_pos = p->log_pos > min ? p->log_pos - min : 0;
	if (!s->loglen && s->logcap > (64u << 10)) {
		free(s->log);
		s->log = NULL;
		s->logcap = 0;
	}
}

/* Writes what this turn queued for particular hosts; with_log, also
 * every host's part of the log. */
static void flush_sessions(struct switchd *s, int with_log)
{
	size_t n = 0;
	if (!s->nflushq && (!with_log || !s->loglen))
		return;
	s->feeding = with_log;
	if (with_log && s->loglen) /* every host hears the log */
		for (struct peer *p = s->peers; p; p = p->next)
			if (!p->dead && p->c.state == CONN_UP && !p->queued && p->log_pos < s->loglen) {
				p->queued = 1;
				s->flushq[s->nflushq++] = p;
			}
	for (size_t i = 0; i < s->nflushq; i++) { /* those dropped since go */
		s->flushq[i]->queued = 0;
		if (!s->flushq[i]->dead)
			s->flushq[n++] = s->flushq[i];
	}
	fanout_run(s->fan, n, flush_one, s);
	for (size_t i = 0; i < n; i++)
		peer_flushed(s, s->flushq[i], s->flushq[i]->flush_rc);
	s->nflushq = 0;
	if (with_log && s->loglen)
		log_trim(s);
}

static void fp_delay_fire(struct timer *t)
{
	struct switchd *s = t->arg;
	s->fp_armed = 0;
	flush_sessions(s, 1);
}

static void fp_arm(struct switchd *s)
{
	if (!s->fp_armed) {
		s->fp_armed = 1;
		timer_arm(&s->fp_delay, s->cfg->fast_path_delay_ms, 0);
	}
}

/* After a turn of the loop: what it queued for the sessions leaves now,
 * and the log too, unless the fast path holds it for fast-path-delay,
 * batched with what comes meanwhile: the hosts already have it, this copy
 * is the repair. */
static void flush_turn(struct switchd *s)
{
	if (!s->fp || !s->cfg->fast_path_delay_ms)
		flush_sessions(s, 1);
	else if (s->nflushq)
		flush_sessions(s, 0);
}

static void send_snapshot(struct switchd *s, struct peer *p)
{
	uint8_t gen[8];
	wire_gen_encode(gen, sizeof(gen), s->gen);
	int r = conn_send(&p->c, WM_SNAP_BEGIN, NULL, 0);
	if (!r)
		r = conn_send(&p->c, WM_GEN, gen, sizeof(gen));
	for (size_t i = 0; i < s->tr.n && !r; i++)
		r = send_provider(p, &s->tr.p[i].pub);
	for (unsigned i = 0; i < s->cfg->negress && !r; i++) {
		uint8_t body[WIRE_BODY_MAX];
		int n = wire_egress_encode(body, sizeof(body), &s->cfg->egress[i].e);
		r = n < 0 ? n : conn_send(&p->c, WM_EGRESS, body, (size_t)n);
	}
	for (size_t i = 0; i < s->ndir && !r; i++)
		r = send_host(p, &s->dir[i]);
	if (!r)
		r = conn_send(&p->c, WM_SNAP_END, NULL, 0);
	if (!r && s->fp) {
		uint8_t body[WIRE_BODY_MAX];
		int n = wire_fastpath_encode(body, sizeof(body), &s->fp->info);
		r = n < 0 ? n : conn_send(&p->c, WM_FASTPATH, body, (size_t)n);
	}
	if (r)
		peer_drop(s, p, "output queue full");
}

/* Hosts send nothing but keepalives (handled in conn.c). */
static int peer_msg(struct conn *c, uint8_t type, const uint8_t *body, size_t n, void *arg, const char **why)
{
	(void)c; (void)type; (void)body; (void)n; (void)arg;
	*why = "unexpected message";
	return -1;
}

/* Records where a host connects from, and tells the others when it changed. */
static void directory_update(struct switchd *s, struct peer *np)
{
	size_t i;
	for (i = 0; i < s->ndir && strcmp(s->dir[i].name, np->c.peer_name); i++)
		;
	if (i < s->ndir && !addr_cmp(&s->dir[i].addr, &np->ip))
		return;
	if (i == s->ndir) {
		void *v = realloc(s->dir, (s->ndir + 1) * sizeof(*s->dir));
		if (!v)
			return;
		s->dir = v;
		s->ndir++;
		snprintf(s->dir[i].name, sizeof(s->dir[i].name), "%s", np->c.peer_name);
	}
	s->dir[i].addr = np->ip;
	uint8_t body[WIRE_BODY_MAX];
	int n = wire_host_encode(body, sizeof(body), s->dir[i].name, &s->dir[i].addr);
	if (n > 0)
		send_all(s, np, WM_HOST, body, (size_t)n);
}

static void peer_cb(struct loop_src *src, uint32_t events)
{
	struct peer *p = src->arg;
	struct switchd *s = p->s;
	if (events & EPOLLIN || events & (EPOLLHUP | EPOLLERR)) {
		const char *why = "?";
		int up = 0;
		if (conn_read(&p->c, peer_msg, s, &up, &why) < 0) {
			peer_drop(s, p, why);
			return;
		}
		if (up && s->cfg->nhosts && !config_host_known(s->cfg, p->c.peer_name)) {
			log_limited(&s->rl_peer, LOG_WARNING, "host '%s' (%s) has the key but is not a known host: dropped",
				    p->c.peer_name, p->addr);
			peer_drop(s, p, "unknown host name");
			return;
		}
		if (up) {
			log_info("host %s (%s) authenticated", p->c.peer_name, p->addr);
			s->sessions++;
			p->since = time(NULL);
			directory_update(s, p);
			send_snapshot(s, p);
			p->log_pos = s->loglen; /* the snapshot holds what the log has */
			if (p->dead)
				return;
		}
	}
	/* a host behind on the log gets more as its socket drains (but
	 * nothing before the delay timer has fired) */
	peer_flushed(s, p, s->fp_armed ? conn_flush(&p->c) : peer_feed(s, p));
}

static void accept_cb(struct loop_src *src, uint32_t events)
{
	struct switchd *s = src->arg;
	(void)events;
	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int fd = loop_accept(src, "peers", (struct sockaddr *)&ss, &len);
		if (fd < 0)
			return;
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (s->npeers == s->capflushq) {
			size_t cap = s->capflushq ? 2 * s->capflushq : 64;
			struct peer **q = realloc(s->flushq, cap * sizeof(*q));
			if (!q) {
				close(fd);
				continue;
			}
			s->flushq = q;
			s->capflushq = cap;
		}
		struct peer *p = calloc(1, sizeof(*p));
		if (!p || conn_init(&p->c, fd, 1, s->cfg->name, s->cfg->key) < 0) {
			free(p);
			close(fd);
			continue;
		}
		endpoint_str((struct sockaddr *)&ss, p->addr, sizeof(p->addr));
		endpoint_addr(&ss, &p->ip);
		p->src.fd = fd;
		p->src.cb = peer_cb;
		p->src.arg = p;
		p->s = s;
		p->started_ms = now_ms();
		p->next = s->peers;
		s->peers = p;
		s->npeers++;
		loop_add(&p->src, EPOLLIN);
		peer_flush(s, p);
	}
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
		send_all(s, NULL, WM_PROVIDER, body, (size_t)n);
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
	send_all(s, NULL, WM_GEN, b, sizeof(b));
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
			int r = nl_neigh_add_managed(s->nl, p->ifindex, &p->addrs[k].addr, OL_PROTO);
			char a[ADDR_STRLEN];
			if (r && r != -EEXIST)
				log_limited(&s->rl_kernel, LOG_WARNING, "cannot solicit %s on %s: %s",
					    addr_str(&p->addrs[k].addr, a, sizeof(a)), p->cfg->ifname, strerror(-r));
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
}

static void changed(void *arg)
{
	publish(arg);
}

static void track_cb(const struct nl_event *ev, void *arg)
{
	struct switchd *s = arg;
	track_event(&s->tr, ev);
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
}

static void keepalive_fire(struct timer *t)
{
	struct switchd *s = t->arg;
	uint64_t now = now_ms(), dead = 3000ull * s->cfg->keepalive;
	for (struct peer *p = s->peers; p; p = p->next) {
		if (p->dead)
			continue;
		if (p->c.state != CONN_UP) {
			if (now - p->started_ms > HANDSHAKE_MS)
				peer_drop(s, p, "handshake timeout");
			continue;
		}
		if (now - p->c.last_rx_ms > dead)
			peer_drop(s, p, "keepalive timeout");
	}
	send_all(s, NULL, WM_KEEPALIVE, NULL, 0);
}

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
		json_array_append_new(addrs, json_pack("{s:s, s:s?, s:s, s:s, s:s?}",
			"address", addr_str(&pa->addr, a, sizeof(a)),
			"mac", ta->has_mac ? mac_str(ta->mac, m, sizeof(m)) : NULL,
			"state", pa->up ? "up" : "down",
			"neighbor", ta->present ? nud_str(ta->nud) : "absent",
			"port", port ? port->name : NULL));
	}
	size_t i = (size_t)(p - s->tr.p);
	int from_config, pin = track_pin(&s->tr, p, &from_config);
	const char *pinned = from_config ? p->cfg->port : pin ? track_link_name(&s->tr, pin) : NULL;
	return json_pack("{s:s, s:I, s:s, s:s, s:I, s:o, s:o, s:{s:s?, s:s, s:b, s:I}}", "name", p->pub.name, "table",
			 (json_int_t)p->pub.table, "interface", p->cfg->ifname, "state", provider_up(&p->pub) ? "up" : "down",
			 "since", (json_int_t)p->since, "addresses", addrs, "failover",
			 provctl_provider_json(s->pc, i, now_ms()), "pinned", "port", pinned, "from",
			 from_config ? "config" : pin ? "learned" : "none", "present", pin != 0, "refused",
			 (json_int_t)p->mac_refused);
}

static char *control_cb(const char *req, void *arg)
{
	struct switchd *s = arg;
	json_t *root;
	if (strcmp(req, "status")) {
		uid_t uid = (uid_t)-1;
		pid_t pid = 0;
		char who[64];
		control_peer(&uid, &pid);
		snprintf(who, sizeof(who), "uid %ld pid %ld", (long)uid, (long)pid);
		int handled;
		char *out = provctl_command(s->pc, req, who, &handled);
		if (handled)
			return out;
		root = json_pack("{s:s}", "error", "unknown request");
	} else {
		json_t *provs = json_array(), *peers = json_array();
		for (size_t i = 0; i < s->tr.n; i++)
			json_array_append_new(provs, provider_json(s, &s->tr.p[i]));
		for (const struct peer *p = s->peers; p; p = p->next)
			if (!p->dead && p->c.state == CONN_UP)
				json_array_append_new(peers, json_pack("{s:s, s:s, s:I}", "name", p->c.peer_name,
								       "address", p->addr, "since", (json_int_t)p->since));
		json_t *eg = json_array();
		for (unsigned i = 0; i < s->cfg->negress; i++)
			json_array_append_new(eg, egress_to_json(&s->cfg->egress[i].e, NULL));
		root = json_pack("{s:s, s:s, s:o, s:o, s:o, s:I, s:o}", "role", "switch", "name", s->cfg->name,
				 "providers", provs, "peers", peers, "egress", eg, "netlink_resyncs", (json_int_t)s->resyncs,
				 "bird", provctl_json(s->pc));
		if (s->fp)
			json_object_set_new(root, "fast_path",
					    json_pack("{s:s, s:s, s:I, s:I, s:I, s:I}", "group", s->cfg->fast_path.text,
						      "interface", s->cfg->fast_path_if, "delay_ms",
						      (json_int_t)s->cfg->fast_path_delay_ms, "generation", (json_int_t)s->gen,
						      "datagrams", (json_int_t)s->fp->sent, "errors", (json_int_t)s->fp->errors));
	}
	char *out = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return out;
}

static void metrics_cb(FILE *f, void *arg)
{
	struct switchd *s = arg;
	char l[160];
	unsigned up = 0;
	for (const struct peer *p = s->peers; p; p = p->next)
		up += !p->dead && p->c.state == CONN_UP;
	mx_family(f, "onlink_switch_peers_connected", "gauge", "Host agents connected and authenticated.");
	mx_sample(f, "onlink_switch_peers_connected", "", up);
	mx_family(f, "onlink_switch_sessions_total", "counter", "Host agent sessions authenticated (reconnects included).");
	mx_sample(f, "onlink_switch_sessions_total", "", (double)s->sessions);
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
}

static int open_listeners(struct switchd *s)
{
	for (unsigned i = 0; i < s->cfg->nlisten; i++) {
		const struct cfg_endpoint *e = &s->cfg->listen[i];
		int one = 1;
		int fd = socket(e->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (e->ss.ss_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		if (bind(fd, (const struct sockaddr *)&e->ss, e->len) < 0 || listen(fd, SOMAXCONN) < 0) {
			int r = -errno;
			log_err("listen %s: %s", e->text, strerror(errno));
			close(fd);
			return r;
		}
		s->listen_src[i].fd = fd;
		s->listen_src[i].cb = accept_cb;
		s->listen_src[i].arg = s;
		loop_add(&s->listen_src[i], EPOLLIN);
		log_info("listening on %s", e->text);
	}
	return 0;
}

int switchd_run(struct config *c)
{
	struct switchd s = { .cfg = c, .rl_peer = RATELIMIT_INIT(10000, 10), .rl_kernel = RATELIMIT_INIT(10000, 10) };
	int r;

	if ((r = loop_init()) || (r = track_init(&s.tr, c)) || (r = nl_open(&s.nl, NLG_LINK | NLG_NEIGH, nl_notify_rcvbuf())) ||
	    (r = (s.obs = calloc(c->nproviders ? c->nproviders : 1, sizeof(*s.obs))) ? 0 : -ENOMEM) ||
	    (r = (s.out = calloc(c->nproviders ? c->nproviders : 1, sizeof(*s.out))) ? 0 : -ENOMEM) ||
	    (r = provctl_init(&s.pc, c, changed, &s))) {
		log_err("start-up: %s", strerror(-r));
		return 1;
	}
	daemon_signals(&s.sig_src, &s.stop, &s.reload);
	daemon_raise_nofile();
	/* a core each for the fan-out, the loop's included, up to 8 */
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	s.fan = fanout_new(cpus > 8 ? 7 : cpus > 1 ? (unsigned)cpus - 1 : 0);
	s.nl_src.fd = nl_notify_fd(s.nl);
	s.nl_src.cb = nl_cb;
	s.nl_src.arg = &s;
	loop_add(&s.nl_src, EPOLLIN);
	timer_init(&s.keepalive, keepalive_fire, &s);
	timer_init(&s.resync, resync_fire, &s);
	if (c->fast_path.len) {
		if ((r = fastpath_open(&s.fp_store, c))) {
			log_err("fast-path %s: %s", c->fast_path.text, strerror(-r));
			return 1;
		}
		s.fp = &s.fp_store;
		timer_init(&s.fp_delay, fp_delay_fire, &s);
		log_info("fast path: changes to %s on %s, sessions %ums later", c->fast_path.text, c->fast_path_if,
			 c->fast_path_delay_ms);
	}
	full_sync(&s);
	if ((r = open_listeners(&s)) || (r = control_open(c->control, control_cb, &s))) {
		log_err("start-up: %s: %s", r == -EADDRINUSE ? c->control : "listen", strerror(-r));
		return 1;
	}
	timer_arm(&s.keepalive, c->keepalive * 1000ull, c->keepalive * 1000ull);
	char status[96];
	snprintf(status, sizeof(status), "switch %s: %zu providers", c->name, s.tr.n);
	if (daemon_ready(c, metrics_cb, &s, status))
		return 1;
	log_info("switch %s running: %zu providers", c->name, s.tr.n);
	while (!s.stop) {
		loop_run_once(-1);
		flush_turn(&s);
		peer_reap(&s);
		if (s.reload) {
			s.reload = 0;
			daemon_reload(c); /* returns only when nothing is to change */
		}
	}
	log_info("stopping");
	daemon_stopping();
	for (struct peer *p = s.peers; p; p = p->next)
		if (!p->dead)
			peer_drop(&s, p, "switch agent stopping");
	peer_reap(&s);
	control_close();
	fanout_free(s.fan);
	if (s.fp) {
		timer_fini(&s.fp_delay);
		fastpath_close(s.fp);
	}
	free(s.flushq);
	free(s.log);
	provctl_free(s.pc);
	free(s.obs);
	free(s.out);
	nl_close(s.nl);
	track_free(&s.tr);
	free(s.dir);
	loop_fini();
	return 0;
}
