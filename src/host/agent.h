/* The host agent's state, shared by its parts:
 *   hostd.c   start-up, the main loop, turns (merge.c) and provider states
 *   swlink.c  the sessions with the switch agents and their fast paths
 *   kstate.c  the kernel: the cache of what it holds, writes, events,
 *             and the steering table
 *   status.c  the control socket (the human status view and the local
 *             API, proto/api.h) and the metrics
 * The deciding logic is pure and lives apart: swview.c (a switch agent's
 * view, snapshot staging, generations), merge.c (the merged view and the
 * desired state), desired.c, steer.c, kernel/reconcile.c. */
#ifndef OL_HOST_AGENT_H
#define OL_HOST_AGENT_H
#include "base/log.h"
#include "base/loop.h"
#include "conf/config.h"
#include "host/fastrx.h"
#include "host/live.h"
#include "host/merge.h"
#include "host/steer.h"
#include "host/swview.h"
#include "kernel/nl.h"
#include "proto/api.h"
#include "proto/conn.h"
#include <time.h>

enum sw_state { SW_IDLE, SW_CONNECTING, SW_HANDSHAKE, SW_UP };

struct hostd;

struct swlink {
	struct hostd *h;
	const struct cfg_switchref *cfg;
	struct loop_src src;
	struct conn c;
	enum sw_state state;
	struct timer retry;
	unsigned backoff_ms;
	uint64_t started_ms;
	struct swview view;
	struct fastrx fast;      /* the switch agent's fast path, once it named one */
	struct loop_src fast_src;
	time_t since;
	int want_out;
	unsigned long sessions;  /* authenticated, reconnects included */
	/* the uplink to it and whether it forwards (uplink.c, live.h) */
	const char *uplink;
	int up_ifindex;          /* 0: not present */
	int carrier;             /* -1: not known yet */
	struct loop_src echo_src;
	struct timer echo_t, live_t;
	uint16_t echo_id, echo_seq;
	uint64_t last_answer_ms;
	unsigned long echo_sent, echo_answered, echo_errors;
	struct live live;
	time_t live_since;
	char agent_name[OL_NAME_MAX]; /* as the switch agent names itself (its handshake) */
	struct timer rekey_t;    /* the next rekey of the session */
	unsigned long handshake_failures; /* the switch's answer did not open, or it hung up */
	unsigned long rekeys;    /* completed, in every session so far */
	char why[96];            /* why its last session or attempt ended */
	/* the last cookie it gave under load (cookie.h), for the mac2 of
	 * first messages while it is young; a cookie reply is answered at
	 * once, once, then the back-off holds */
	uint8_t cookie[COOKIE_MAC];
	uint64_t cookie_ms;      /* 0: none */
	int cookie_retry;        /* the next attempt is the answer to a cookie */
	unsigned long cookies;   /* cookie replies received */
	struct egset seen_sent;  /* the leader's tables told to it (egress_seen_sync), this session */
};

struct pstate {  /* for status: when each provider last changed up/down */
	char name[OL_NAME_MAX];
	int up;
	time_t since;
};

struct pstates {
	struct pstate *v;        /* sorted by name */
	size_t n, cap;
};

/* kstate.c's own state: what the kernel holds in onlink's scope and what
 * writing it cost. The other parts read its counters (status.c) and mark
 * an event (uplink.c); only kstate.c writes the rest. */
struct kstate {
	struct nl *nl;
	struct loop_src nl_src;
	struct timer reconcile_t; /* the debounced and periodic repair */
	/* What the kernel holds, kept from notifications so a change costs no
	 * dump (a route dump walks the whole FIB, which holds the Internet
	 * table here). Dumped again when invalid: at start, after an overrun,
	 * after a failed write, and after changes the kernel does not fully
	 * report (a foreign address change, the uplink's state). */
	struct kobj_set have;
	int have_valid;
	int uplink_up;           /* administratively up and carrier; -1: not known yet */
	int uplink_admin;        /* administratively up: routes through it can be written */
	/* what a batch of kernel events asks for, done once the batch is read:
	 * the work dumps and writes through netlink, which must not happen
	 * while the notification buffer is being walked */
	int ev_update, ev_steer;
	char *steer_applied;     /* the steering script last applied */
	char *upsteer_applied;   /* the uplink steering script last applied */
	char *traffic_applied;   /* the traffic counters' script last applied (traffic.h) */
	/* the tables (KT_* bits) whose first script of this process was
	 * checked against the kernel's (adopted when its fingerprint holds) */
	unsigned nft_checked;
	unsigned long steer_errors;
	/* the steering table's counters before its last rewrites (a rewrite
	 * starts them at zero): the metrics add what the kernel holds now */
	uint64_t steer_base[STEER_NCOUNTERS];
	struct ratelimit rl;
	unsigned long reconciles, repairs, errors, resyncs, dumps;
	unsigned long sends, requests;
	uint64_t write_cpu_ns;   /* CPU in netlink writes (the kernel's work included) */
	unsigned repair_streak;  /* back-to-back repairs that changed something */
};

struct hostd {
	struct config *cfg;
	struct kstate k;         /* the kernel as onlink knows it: kstate.c's own */
	struct loop_src sig_src;
	struct swlink sw[CFG_SWITCHES_MAX];
	struct timer keepalive_t, startup_t, rebuild_t, traffic_t;
	int ifindex;             /* where providers are on-link: the uplink, or the provider device */
	int peer_ifindex;        /* [host] interface, where the other hosts are */
	int lo_ifindex;
	struct hview view;       /* the merged view and the desired state */
	struct changes changes;  /* what the messages read since the last turn changed */
	int upsteer_dirty;       /* what it is built from changed (or applying it failed) */
	struct pstates ps;
	int ready;
	/* Until every switch agent has given a whole snapshot since start, the
	 * agent runs on what the kernel holds: what the switch agents that
	 * answered say is added and replaced, but nothing onlink installed is
	 * deleted and the nft tables stay as they are. A switch agent that is
	 * down, an impostor, a key being rotated or a clock refused as a
	 * replay must not cost the POP its forwarding. */
	int trusted;
	time_t kept_since;       /* start: when it began running on the kernel's state */
	uint64_t started_ms;
	size_t kept_objects;     /* what the switches' word so far would delete, held */
	int want_turn;           /* 1: a turn; 2: a full one (hostd_want_turn) */
	volatile int stop, reload;
	struct ratelimit rl_peer;
	unsigned long turns, rebuilds, rebuild_mismatches;
	uint64_t turn_cpu_ns, rebuild_cpu_ns; /* CPU in turns and in rebuilds (the thread's clock), netlink writes included */
	int bench_full_turns;    /* ONLINK_BENCH_FULL_TURNS: the benchmark's baseline */
	uint64_t rekey_ms;       /* CONN_REKEY_MS; ONLINK_TEST_REKEY_MS in the tests */
	struct api_egress api_egress; /* last published to subscribers */
	struct { struct api_ports *v; size_t n; uint64_t at_ms; } live; /* the egress proxy's last report */
	struct probing *probing; /* [probe]: continuous probing (probing.c); NULL: none */
	struct repath *repath;   /* [repath]: stalled connections moved (repath.c); NULL: off */
	struct follow *follow;   /* prefixes that follow the probes (follow.c) */
	char cycle_logged[160];  /* the backup cycle last logged */
};

/* egresslive.c: the egress proxy's report of its flows' ports (the local
 * API's egress-live; its answer, a line), sent on to every switch agent;
 * again to a switch whose session comes up; forgotten when stale */
char *egress_live_request(struct hostd *h, const char *line);
void egress_live_send(struct hostd *h, struct swlink *s);
void egress_live_expire(struct hostd *h);
/* A pool's table as its leader decided it, told to each switch agent that
 * holds it differently (a follower: WM_EGRESS_SEEN), once per change. */
void egress_seen_sync(struct hostd *h);

/* routeq.c: the local API's "route" answer (a line) */
char *routeq_answer(struct hostd *h, const char *destination);

/* hostd.c */
/* The turn for what h->changes holds (or everything: full): the merged
 * view, the desired state, the kernel, the steering table, subscribers. */
void hostd_turn(struct hostd *h, int full);
/* The I/O parts ask for a turn (full: compare everything); the loop runs
 * one once the events of its wake-up are read (hostd.c). */
static inline void hostd_want_turn(struct hostd *h, int full)
{
	h->want_turn |= full ? 2 : 1;
}
/* pstate.c: each provider's up/down and since when, for status */
void pstate_update(struct hostd *h);
const struct pstate *pstate_find(const struct hostd *h, const char *name);

/* swlink.c */
/* 0, or negative errno when its timers cannot be made */
int swlink_init(struct swlink *s, struct hostd *h, const struct cfg_switchref *cfg);
void swlink_fini(struct swlink *s);
void swlink_keepalive(struct hostd *h);
const char *sw_state_str(enum sw_state st);

/* uplink.c */
int uplink_init(struct swlink *s);
void uplink_fini(struct swlink *s);
/* A link event: the uplinks' presence and carrier (sets h->k.ev_update when
 * a switch goes in or out of use). */
void uplink_link_event(struct hostd *h, const struct nl_event *ev);
void uplink_refresh(struct hostd *h);
/* What the switch agents say of each other changed (a report, a session
 * up or down): every switch evaluated again, and a turn if one moved. */
void uplink_reports(struct hostd *h);
/* dead[i]: switch i is not used (dead or held down); never all of them.
 * Returns how many are. */
int uplink_dead(const struct hostd *h, uint8_t *dead);

/* kstate.c */
/* Writes what the desired state and the kernel differ by: everything
 * (keys NULL; repair: a repair's writes), or only the keys given. */
void kstate_reconcile(struct hostd *h, struct kobj_set *keys, int repair);
void kstate_steer(struct hostd *h);
void kstate_traffic(struct hostd *h);
void kstate_upsteer(struct hostd *h);
/* The device providers are on-link on: [host] interface, or with several
 * uplinks the provider device. */
const char *kstate_provider_if(const struct hostd *h);
/* Its netlink socket, watched by the loop, and its repair timer: 0, or
 * negative errno (said in a log line); kstate_fini() frees what it holds. */
int kstate_init(struct hostd *h);
void kstate_fini(struct hostd *h);
/* 1 if the address is on one of this host's interfaces, 0 if not, -1 if
 * that cannot be read */
int kstate_local_present(const struct ol_addr *a);
/* A peer host's MAC, once the kernel has resolved its neighbor entry; 0 if so. */
int kstate_peer_mac(const struct hostd *h, const struct dir_host *d, uint8_t mac[6]);

/* status.c */
char *status_control(const char *req, void *arg);
void status_metrics(FILE *f, void *arg);
/* Tells subscribers what changed in the turn just made. */
void status_publish(struct hostd *h);
#endif
