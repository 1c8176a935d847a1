/* The switch agent's peer server (peers.c): the host agents' sessions, the
 * log of messages for every host, encoded once, and its fan-out. */
#ifndef OL_PEERS_H
#define OL_PEERS_H
#include "base/log.h"
#include "base/loop.h"
#include "conf/config.h"
#include "proto/conn.h"
#include "switch/fastpath.h"
#include "switch/hostkeys.h"
#include "switch/loadgate.h"
#include <jansson.h>
#include <time.h>

struct peer;
struct fanout;

struct peers {
	const struct config *cfg;
	struct loop_src listen_src[CFG_LISTEN_MAX];
	struct peer *peers;
	unsigned npeers;
	/* the peers sent to since the last flush; room for every peer is
	 * made when it is accepted, so queueing never fails */
	struct peer **flushq;
	size_t nflushq, capflushq;
	struct fanout *fan;
	/* with the fast path, the sessions' copies of changes wait delay_ms */
	const struct fastpath *fp;
	unsigned delay_ms;
	struct timer fp_delay;
	int fp_armed;
	/* messages for every host, encoded once: after the turn (or, with
	 * the fast path, at the delay timer) each session is fed its part,
	 * sealed a few KiB at a time while its socket takes them, so that a
	 * burst for 1000 hosts costs one copy, not 1000 */
	uint8_t *log;
	size_t loglen, logcap;
	int feeding;             /* this flush feeds the log */
	/* the hosts of the POP and where they connect from: the hosts steer
	 * return traffic of shared egress addresses to each other by MAC */
	struct dir_entry {
		char name[OL_NAME_MAX];
		struct ol_addr addr;
	} *dir;
	size_t ndir, capdir;
	/* a new session's snapshot after WM_SNAP_BEGIN: the generation, the
	 * providers and the egress table; 0 or what conn_send said */
	int (*snapshot)(void *arg, struct conn *c);
	void *arg;
	/* what a host sends besides keepalives (WM_EGRESS_LIVE): 0, or -1
	 * with *why to end its session; set by the agent after peers_init */
	int (*host_msg)(void *arg, const char *host, uint8_t type, const uint8_t *body, size_t n, const char **why);
	/* WM_STEER_REPORT: 0, or -1 with *why (switch/steering.c) */
	int (*steer_msg)(void *arg, const char *host, const uint8_t *body, size_t n, const char **why);
	/* a host's session came up or ended: it was there now */
	void (*host_session)(void *arg, const char *host);
	struct ratelimit rl_peer;
	struct ratelimit rl_load;      /* "under load" */
	unsigned long sessions;
	struct hostkeys keys;    /* who a handshake comes from */
	unsigned long refused[CONN_REFUSALS]; /* handshakes refused, by why */
	unsigned long replaced;  /* sessions replaced by a newer one with the same key */
	unsigned long rekeys;    /* of sessions that ended */
	/* before authentication nothing is unbounded: connections per
	 * source address and in all, a deadline on the handshake kept by a
	 * timer of its own, and descriptors left for the control socket */
	unsigned nunauth;        /* connections not yet authenticated */
	unsigned fd_budget;      /* sessions at most: the descriptor limit less a reserve */
	struct timer hs_deadline;
	int hs_armed;
	unsigned long preauth_closed[4]; /* by enum peers_preauth */
	/* under load, a first message proves its address (a cookie) and each
	 * address has its share of key work (loadgate.h) */
	struct cookie_checker ck;
	struct loadgate *lg;
	int lg_off;              /* benchmarks only (base/knob.h) */
};

/* why a connection was closed before it authenticated */
enum peers_preauth { PREAUTH_PER_ADDRESS, PREAUTH_EVICTED, PREAUTH_DESCRIPTORS, PREAUTH_TIMEOUT };
extern const char *const peers_preauth_label[4];
/* at most this many connections not yet authenticated from one address,
 * and in all (the oldest one closed for a new one), and this long for a
 * handshake */
#define PEERS_UNAUTH_PER_ADDR 8
#define PEERS_UNAUTH_MAX 512
#define PEERS_HANDSHAKE_MS 5000
/* descriptors left for the control socket, metrics, BIRD and netlink */
#define PEERS_FD_RESERVE 128

/* Ready to take messages for every host (fp: the fast path, or NULL),
 * before any host connects: the first turn comes before the listeners. */
int peers_init(struct peers *s, const struct config *c, const struct fastpath *fp,
		int (*snapshot)(void *arg, struct conn *c), void *arg);
/* Listens on c->sw.listen: 0 or negative errno. */
int peers_listen(struct peers *s);
void peers_close(struct peers *s);
/* A message for every authenticated host, through the log. */
void peers_send_all(struct peers *s, uint8_t type, const uint8_t *body, size_t n);
/* After each turn of the loop: what it queued leaves (the log too, unless
 * the fast path's delay holds it), and dropped sessions are freed. */
void peers_turn_end(struct peers *s);
/* Drops silent and unauthenticated sessions, and sends keepalives. */
void peers_keepalive(struct peers *s);
unsigned peers_up(const struct peers *s);
/* Whether the host has a session up now. */
int peers_host_up(const struct peers *s, const char *name);
/* After a reload in place: every session gets a new snapshot (what it
 * holds changed: the egress table); and sessions whose key or name is no
 * longer a [host NAME]'s end. The latter returns the sessions kept. */
void peers_resnapshot(struct peers *s);
unsigned peers_reconfigured(struct peers *s);
/* Rekeys completed, in every session so far. */
unsigned long peers_rekeys(const struct peers *s);
json_t *peers_json(const struct peers *s);
/* The hosts refused as replays: how often, how far behind (seconds), when. */
json_t *peers_replays_json(const struct peers *s);
#endif
