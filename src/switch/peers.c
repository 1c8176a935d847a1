/* The switch agent's peer server: the host agents' sessions (accept,
 * authenticate, snapshot, keepalives), the log of messages for every host
 * encoded once, and its fan-out to the sessions, on the loop's thread and
 * the fan-out workers (fanout.c). What the messages say is switchd.c's. */
#include "switch/peers.h"
#include "proto/json.h"
#include "base/vec.h"
#include "base/knob.h"
#include "switch/fanout.h"
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

const char *const peers_preauth_label[4] = { "per_address", "evicted", "descriptors", "handshake_timeout" };

struct peer {
	struct loop_src src;
	struct peers *s;
	struct ol_addr ip;      /* where the host connects from */
	struct conn c;
	struct peer *next;
	char addr[64];
	time_t since;
	uint64_t started_ms;
	int want_out;
	int dead;
	int queued;             /* in peers.flushq */
	size_t log_pos;         /* how far into peers.log it has been sent */
	int flush_rc;           /* what conn_flush said, from a fan-out thread */
	char why[160];          /* a refusal's reason, with the key's first characters */
};

/* conn.c's judge of a host's handshake (hostkeys.c) */
static int judge_host(void *arg, const uint8_t pub[32], const uint8_t ts[WIRE_TS], const char *claimed,
		      char name[OL_NAME_MAX], enum conn_refusal *refusal, const char **why)
{
	struct peer *p = arg;
	*why = p->why;
	return hostkeys_judge(&p->s->keys, pub, ts, claimed, name, refusal, p->why, sizeof(p->why));
}

/* conn.c's gate before any key work: under load, a mac2 for the
 * connection's address and that address's share of handshakes */
static enum conn_gate gate_host(void *arg, const uint8_t *frame, size_t len, uint8_t reply[COOKIE_REPLY])
{
	struct peer *p = arg;
	struct peers *s = p->s;
	uint64_t now = now_ms();
	if (s->lg_off)
		return CONN_GATE_PASS; /* the benchmark's baseline */
	loadgate_first(s->lg, now);
	unsigned long episodes = s->lg->episodes;
	if (loadgate_under_load(s->lg, now, s->nunauth)) {
		if (s->lg->episodes != episodes)
			log_limited(&s->rl_load, LOG_WARNING, "peers: under load (%u connections not yet authenticated): a first "
				    "message needs a cookie for its address, and each address has %d handshakes a second",
				    s->nunauth, LOADGATE_RATE);
		if (!cookie_mac2_ok(&s->ck, now, p->ip.bytes, addr_len(&p->ip), frame, len)) {
			cookie_reply(&s->ck, now, p->ip.bytes, addr_len(&p->ip), frame, len, reply);
			return CONN_GATE_COOKIE;
		}
		if (loadgate_take(s->lg, now, &p->ip))
			return CONN_GATE_LIMIT;
	}
	return CONN_GATE_PASS;
}

static int send_host(struct peer *p, const struct dir_entry *d)
{
	uint8_t body[WIRE_BODY_MAX];
	int n = wire_host_encode(body, sizeof(body), d->name, &d->addr);
	return n < 0 ? n : conn_send(&p->c, WM_HOST, body, (size_t)n);
}

static void peer_drop(struct peers *s, struct peer *p, const char *why)
{
	if (p->dead)
		return;
	if (p->c.state != CONN_UP)
		s->nunauth--;
	if (p->c.state == CONN_UP) {
		log_info("host %s (%s) disconnected: %s", p->c.peer_name, p->addr, why);
		if (s->host_session)
			s->host_session(s->arg, p->c.peer_name);
	}
	else if (p->c.refusal != CONN_COOKIE) /* (counted; the load itself is logged) */
		log_limited(&s->rl_peer, LOG_WARNING, "peer %s dropped before authentication: %s", p->addr, why);
	s->refused[p->c.refusal]++;
	s->rekeys += p->c.rekeys;
	p->dead = 1;
	loop_del(&p->src);
	conn_fini(&p->c);
}

static void peer_reap(struct peers *s)
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
static void peer_flushed(struct peers *s, struct peer *p, int r)
{
	if (r < 0) {
		peer_drop(s, p, r == -ENOBUFS ? "output queue full (slow host)" : strerror(-r));
	} else if (r != p->want_out) {
		p->want_out = r;
		loop_mod(&p->src, EPOLLIN | (r ? EPOLLOUT : 0));
	}
}

static void peer_flush(struct peers *s, struct peer *p)
{
	peer_flushed(s, p, conn_flush(&p->c));
}

static void flush_sessions(struct peers *s, int with_log);
static void fp_arm(struct peers *s);

/* A message for every host, kept once in the log. */
static int log_put(struct peers *s, uint8_t type, const uint8_t *body, size_t n)
{
	if (s->loglen + WIRE_REC_HDR + n > CONN_OUT_MAX)
		flush_sessions(s, 1); /* a storm: write the sessions now rather than hold more */
	if (vec_reserve_((void **)&s->log, &s->logcap, s->loglen + WIRE_REC_HDR + n, 1))
		return -ENOMEM;
	if (s->fp && s->delay_ms)
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
static void send_all(struct peers *s, struct peer *except, uint8_t type, const uint8_t *body, size_t n)
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
static int peer_feed(struct peers *s, struct peer *p)
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
	struct peers *s = arg;
	struct peer *p = s->flushq[i];
	p->flush_rc = s->feeding ? peer_feed(s, p) : conn_flush(&p->c);
}

/* What every host has been sent of the log is dropped from it; a host
 * more than CONN_OUT_MAX behind is dropped, as a slow host. */
static void log_trim(struct peers *s)
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
static void flush_sessions(struct peers *s, int with_log)
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
	struct peers *s = t->arg;
	s->fp_armed = 0;
	flush_sessions(s, 1);
}

static void fp_arm(struct peers *s)
{
	if (!s->fp_armed) {
		s->fp_armed = 1;
		timer_arm(&s->fp_delay, s->delay_ms, 0);
	}
}

/* After a turn of the loop: what it queued for the sessions leaves now,
 * and the log too, unless the fast path holds it for fast-path-delay,
 * batched with what comes meanwhile: the hosts already have it, this copy
 * is the repair. */
static void flush_turn(struct peers *s)
{
	if (!s->fp || !s->delay_ms)
		flush_sessions(s, 1);
	else if (s->nflushq)
		flush_sessions(s, 0);
}

static void send_snapshot(struct peers *s, struct peer *p)
{
	int r = conn_send(&p->c, WM_SNAP_BEGIN, NULL, 0);
	if (!r)
		r = s->snapshot(s->arg, &p->c);
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

/* Hosts send keepalives (handled in conn.c), their egress flows' live
 * ports and the egress tables they follow (the agent's host_msg). */
static int peer_msg(struct conn *c, uint8_t type, const uint8_t *body, size_t n, void *arg, const char **why)
{
	struct peers *s = arg;
	if ((type == WM_EGRESS_LIVE || type == WM_EGRESS_SEEN) && s->host_msg)
		return s->host_msg(s->arg, c->peer_name, type, body, n, why);
	if (type == WM_STEER_REPORT && s->steer_msg)
		return s->steer_msg(s->arg, c->peer_name, body, n, why);
	*why = "unexpected message";
	return -1;
}

/* Records where a host connects from, and tells the others when it changed. */
static void directory_update(struct peers *s, struct peer *np)
{
	size_t i;
	for (i = 0; i < s->ndir && strcmp(s->dir[i].name, np->c.peer_name); i++)
		;
	if (i < s->ndir && !addr_cmp(&s->dir[i].addr, &np->ip))
		return;
	if (i == s->ndir) {
		if (vec_reserve_((void **)&s->dir, &s->capdir, s->ndir + 1, sizeof(*s->dir)))
			return;
		s->ndir++;
		snprintf(s->dir[i].name, sizeof(s->dir[i].name), "%s", np->c.peer_name);
	}
	s->dir[i].addr = np->ip;
	uint8_t body[WIRE_BODY_MAX];
	int n = wire_host_encode(body, sizeof(body), s->dir[i].name, &s->dir[i].addr);
	if (n > 0)
		send_all(s, np, WM_HOST, body, (size_t)n);
}

/* One session per host key: a newer one replaces the older (a host agent
 * restarted after a crash comes back before its old session's keepalives
 * lapse). Two agents with one key (a cloned VM, a stolen key) then take
 * turns, each turn a warning with both addresses and a count; the
 * directory, and so every host's steering, follows the session that
 * stays. */
static void replace_older(struct peers *s, struct peer *np)
{
	for (struct peer *p = s->peers; p; p = p->next) {
		if (p == np || p->dead || p->c.state != CONN_UP || strcmp(p->c.peer_name, np->c.peer_name))
			continue;
		s->replaced++;
		log_warn("host %s: a new session from %s replaces the one from %s (one key, two agents? a cloned VM or a "
			 "stolen key if this repeats)", np->c.peer_name, np->addr, p->addr);
		peer_drop(s, p, "replaced by a newer session with the same key");
	}
}

static void peer_cb(struct loop_src *src, uint32_t events)
{
	struct peer *p = src->arg;
	struct peers *s = p->s;
	if (events & EPOLLIN || events & (EPOLLHUP | EPOLLERR)) {
		const char *why = "?";
		int up = 0;
		if (conn_read(&p->c, peer_msg, s, &up, &why) < 0) {
			peer_drop(s, p, why);
			return;
		}
		if (up) {
			log_info("host %s (%s) authenticated", p->c.peer_name, p->addr);
			if (s->host_session)
				s->host_session(s->arg, p->c.peer_name);
			s->nunauth--;
			s->sessions++;
			replace_older(s, p);
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

/* Handshakes not done by their deadline are dropped, by this timer alone
 * (armed while there are such connections): an idle connection costs its
 * memory for PEERS_HANDSHAKE_MS at most, not until the next keepalive. */
static void hs_deadline_fire(struct timer *t)
{
	struct peers *s = t->arg;
	uint64_t now = now_ms();
	for (struct peer *p = s->peers; p; p = p->next)
		if (!p->dead && p->c.state != CONN_UP && now - p->started_ms > PEERS_HANDSHAKE_MS) {
			s->preauth_closed[PREAUTH_TIMEOUT]++;
			peer_drop(s, p, "handshake timeout");
		}
	/* (freed by peers_turn_end, after the loop's turn) */
	if (!s->nunauth) {
		timer_stop(&s->hs_deadline);
		s->hs_armed = 0;
	}
}

/* 0: take the connection from ip; -1: refuse it (counted) */
static int preauth_admit(struct peers *s, const struct ol_addr *ip)
{
	static struct ratelimit rl = RATELIMIT_INIT(10000, 3);
	char a[ADDR_STRLEN];
	unsigned from = 0;
	/* the oldest of those that sent no good first message yet (idle, or
	 * garbage not read yet), else the oldest of all: a host whose
	 * handshake is under way is closed last */
	struct peer *oldest = NULL, *oldest_hs = NULL;
	if (s->npeers >= s->fd_budget) {
		s->preauth_closed[PREAUTH_DESCRIPTORS]++;
		log_limited(&rl, LOG_WARNING, "peers: %u sessions, the most the descriptor limit allows with %d kept for "
			    "the control socket: %s refused", s->npeers, PEERS_FD_RESERVE, addr_str(ip, a, sizeof(a)));
		return -1;
	}
	for (struct peer *p = s->peers; p; p = p->next) {
		if (p->dead || p->c.state == CONN_UP)
			continue;
		from += !addr_cmp(&p->ip, ip);
		if (!oldest || p->started_ms < oldest->started_ms)
			oldest = p;
		if (p->c.state == CONN_HANDSHAKE && (!oldest_hs || p->started_ms < oldest_hs->started_ms))
			oldest_hs = p;
	}
	if (oldest_hs)
		oldest = oldest_hs;
	if (from >= PEERS_UNAUTH_PER_ADDR) {
		s->preauth_closed[PREAUTH_PER_ADDRESS]++;
		log_limited(&rl, LOG_WARNING, "peers: %s has %u connections not yet authenticated: another refused",
			    addr_str(ip, a, sizeof(a)), from);
		return -1;
	}
	if (s->nunauth >= PEERS_UNAUTH_MAX && oldest) {
		s->preauth_closed[PREAUTH_EVICTED]++;
		log_limited(&rl, LOG_WARNING, "peers: %u connections not yet authenticated: the oldest (%s) closed for a new one",
			    s->nunauth, oldest->addr);
		peer_drop(s, oldest, "closed for a newer connection (too many not yet authenticated)");
	}
	return 0;
}

static void accept_cb(struct loop_src *src, uint32_t events)
{
	struct peers *s = src->arg;
	(void)events;
	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int fd = loop_accept(src, "peers", (struct sockaddr *)&ss, &len);
		if (fd < 0)
			break;
		struct ol_addr ip;
		endpoint_addr(&ss, &ip);
		if (preauth_admit(s, &ip)) {
			close(fd);
			continue;
		}
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (vec_reserve_((void **)&s->flushq, &s->capflushq, s->npeers + 1, sizeof(*s->flushq))) {
			close(fd);
			continue;
		}
		struct peer *p = calloc(1, sizeof(*p));
		if (!p || conn_init_switch(&p->c, fd, s->cfg->name, s->cfg->priv, &s->ck, gate_host, judge_host, p) < 0) {
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
		s->nunauth++;
		if (!s->hs_armed) {
			timer_arm(&s->hs_deadline, 250, 250);
			s->hs_armed = 1;
		}
		if (loop_add(&p->src, EPOLLIN) < 0) {
			peer_drop(s, p, "cannot watch its socket (epoll)");
			continue;
		}
		peer_flush(s, p);
	}
}

void peers_keepalive(struct peers *s)
{
	uint64_t now = now_ms(), dead = 3000ull * s->cfg->keepalive;
	for (struct peer *p = s->peers; p; p = p->next) {
		if (p->dead)
			continue;
		if (p->c.state != CONN_UP)
			continue; /* hs_deadline_fire's */
		if (now - p->c.last_rx_ms > dead)
			peer_drop(s, p, "keepalive timeout");
		else if (conn_rekey_due(&p->c, now) < 0)
			peer_drop(s, p, "session keys expired (the host agent did not rekey)");
	}
	send_all(s, NULL, WM_KEEPALIVE, NULL, 0);
}

static int open_listeners(struct peers *s)
{
	for (unsigned i = 0; i < s->cfg->sw.nlisten; i++) {
		const struct cfg_endpoint *e = &s->cfg->sw.listen[i];
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
		int r = loop_add(&s->listen_src[i], EPOLLIN);
		if (r < 0) {
			log_err("listen %s: epoll: %s", e->text, strerror(-r));
			close(fd);
			s->listen_src[i].fd = -1;
			return r;
		}
		log_info("listening on %s", e->text);
	}
	return 0;
}


void peers_resnapshot(struct peers *s)
{
	for (struct peer *p = s->peers; p; p = p->next) {
		if (p->dead || p->c.state != CONN_UP)
			continue;
		send_snapshot(s, p);
		if (p->dead)
			continue;
		p->log_pos = s->loglen; /* the snapshot holds what the log has */
		peer_flushed(s, p, conn_flush(&p->c));
	}
}

unsigned peers_reconfigured(struct peers *s)
{
	unsigned kept = 0;
	for (struct peer *p = s->peers; p; p = p->next) {
		if (p->dead || p->c.state != CONN_UP)
			continue;
		const struct cfg_peerkey *h = config_host_by_key(s->cfg, p->c.peer_key);
		if (h && !strcmp(h->name, p->c.peer_name)) {
			kept++;
			continue;
		}
		log_warn("host %s (%s): %s: its session ends", p->c.peer_name, p->addr,
			 h ? "its key now belongs to another [host NAME]" : "no [host NAME] has its key any more");
		peer_drop(s, p, "its [host NAME] is gone from the config");
	}
	return kept;
}

void peers_send_all(struct peers *s, uint8_t type, const uint8_t *body, size_t n)
{
	send_all(s, NULL, type, body, n);
}

void peers_turn_end(struct peers *s)
{
	flush_turn(s);
	peer_reap(s);
}

unsigned long peers_rekeys(const struct peers *s)
{
	unsigned long n = s->rekeys;
	for (const struct peer *p = s->peers; p; p = p->next)
		if (!p->dead)
			n += p->c.rekeys;
	return n;
}

unsigned peers_up(const struct peers *s)
{
	unsigned up = 0;
	for (const struct peer *p = s->peers; p; p = p->next)
		up += !p->dead && p->c.state == CONN_UP;
	return up;
}

int peers_host_up(const struct peers *s, const char *name)
{
	for (const struct peer *p = s->peers; p; p = p->next)
		if (!p->dead && p->c.state == CONN_UP && !strcmp(p->c.peer_name, name))
			return 1;
	return 0;
}

json_t *peers_replays_json(const struct peers *s)
{
	json_t *a = json_array();
	for (unsigned i = 0; i < s->cfg->sw.nhosts; i++) {
		const struct hostkeys_replays *r = &s->keys.replays[i];
		if (r->count)
			jappend(&a, jpack("{s:s, s:I, s:f, s:I}", "host", s->cfg->sw.hosts[i].name, "refused",
							   (json_int_t)r->count, "behind_s", r->gap_s, "last", (json_int_t)r->last));
	}
	return a;
}

json_t *peers_json(const struct peers *s)
{
	json_t *peers = json_array();
	for (const struct peer *p = s->peers; p; p = p->next)
		if (!p->dead && p->c.state == CONN_UP)
			jappend(&peers, jpack("{s:s, s:s, s:I, s:I, s:I}", "name", p->c.peer_name, "address",
							       p->addr, "since", (json_int_t)p->since, "rekeys",
							       (json_int_t)p->c.rekeys, "keys_age_ms",
							       (json_int_t)(now_ms() - p->c.keys_ms)));
	return peers;
}

int peers_init(struct peers *s, const struct config *c, const struct fastpath *fp,
	       int (*snapshot)(void *arg, struct conn *c), void *arg)
{
	*s = (struct peers){ .cfg = c, .fp = fp, .delay_ms = fp ? c->sw.fast_path_delay_ms : 0, .snapshot = snapshot,
			     .arg = arg, .rl_peer = RATELIMIT_INIT(10000, 10),
			     .rl_load = RATELIMIT_INIT(60000, 3) };
	/* a core each for the fan-out, the loop's included, up to 8 */
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	s->fan = fanout_new(cpus > 8 ? 7 : cpus > 1 ? (unsigned)cpus - 1 : 0);
	hostkeys_init(&s->keys, c);
	cookie_checker_init(&s->ck, c->pub);
	if (!(s->lg = malloc(sizeof(*s->lg))))
		return -ENOMEM;
	loadgate_init(s->lg);
	/* benchmarks: no gate at all, the baseline of bench/hsflood.sh */
	const char *k = knob("ONLINK_BENCH_NO_LOADGATE");
	s->lg_off = k && *k == '1';
	struct rlimit rl;
	s->fd_budget = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur > 2 * PEERS_FD_RESERVE
			       ? (unsigned)(rl.rlim_cur - PEERS_FD_RESERVE) : PEERS_FD_RESERVE;
	int r = timer_init(&s->hs_deadline, hs_deadline_fire, s);
	return r ? r : fp ? timer_init(&s->fp_delay, fp_delay_fire, s) : 0;
}

int peers_listen(struct peers *s)
{
	return open_listeners(s);
}

void peers_close(struct peers *s)
{
	for (struct peer *p = s->peers; p; p = p->next)
		if (!p->dead)
			peer_drop(s, p, "switch agent stopping");
	peer_reap(s);
	for (unsigned i = 0; i < s->cfg->sw.nlisten; i++)
		if (s->listen_src[i].fd > 0) {
			loop_del(&s->listen_src[i]);
			close(s->listen_src[i].fd);
		}
	fanout_free(s->fan);
	if (s->fp)
		timer_fini(&s->fp_delay);
	timer_fini(&s->hs_deadline);
	free(s->flushq);
	free(s->log);
	free(s->dir);
	hostkeys_free(&s->keys);
	free(s->lg);
	s->lg = NULL;
}
