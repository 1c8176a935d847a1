/* The switch agent's state, shared by its loop (switchd.c) and its view
 * for the control socket and metrics (status.c). Private to src/switch. */
#ifndef OL_SWITCHD_INT_H
#define OL_SWITCHD_INT_H
#include "base/log.h"
#include "base/loop.h"
#include "conf/config.h"
#include "kernel/nl.h"
#include "switch/fastpath.h"
#include "switch/peers.h"
#include "switch/provctl.h"
#include "switch/swstate.h"
#include "switch/track.h"
#include "proto/opapi.h"
#include <stdint.h>
#include <time.h>

/* the egress tables the hosts get, and the pools' lease clock (swegress.c) */
struct swegress {
	struct ol_egress *v;     /* fixed slices, then each pool address with a lease */
	size_t n;
	struct timer t;          /* once a second: deaths, quarantines, new leases */
	struct { char name[OL_NAME_MAX]; uint64_t ms; } *seen; /* a host's last session */
	size_t nseen, capseen;
	uint64_t start_ms;
	unsigned long changes;   /* lease changes since the start */
	struct lives lives;      /* what each host says its flows hold */
	unsigned long live_refused; /* reports for an address no table has */
	unsigned long seen_refused; /* tables seen for an address this agent decides (or no pool's) */
	/* the kept ports the hosts were last sent, per address and host */
	struct kept_sent { struct ol_addr addr; char host[OL_NAME_MAX]; struct ol_ports ports; } *sent;
	size_t nsent, capsent;
};

struct switchd {
	struct config *cfg;
	struct swstate state;   /* its own state file */
	struct nl *nl;
	struct tracker tr;
	struct loop_src nl_src, sig_src;
	struct timer keepalive, resync;
	struct peers peers;
	/* the fast path, when configured: changes go out as datagrams at
	 * once, and the sessions' copies wait for the delay timer */
	struct fastpath fp_store, *fp;
	uint64_t gen;            /* change generation: one per turn of changes */
	volatile int stop, reload;
	struct ratelimit rl_peer, rl_kernel;
	unsigned long resyncs, updates;
	unsigned long fdb_overflows_logged; /* tr.fdb_overflows when last logged */
	int params_set[64];     /* interfaces whose neighbor tables probe by multicast too */
	size_t nparams_set;
	struct provctl *pc;
	struct ol_provider *obs; /* the providers as the kernel shows them */
	struct ol_provider *out; /* ... and as the hosts are told */
	/* the one-L2 design: the peer link's carrier (-1: not seen yet), what
	 * the hosts were last told of the switch across it, and since when */
	int peer_carrier, peer_told;
	time_t peer_since;
	unsigned long peer_losses;
	char *sub_last[OP_TOPICS]; /* what each topic's subscribers last got (status.c) */
	struct swegress eg;
	struct steering *steer;  /* [steer]: prefixes that follow the probes (steering.c); NULL: none */
};

/* swegress.c: the leases brought up to date and the tables rebuilt: 1
 * when the tables changed (the caller sends new snapshots), else 0 */
int swegress_init(struct switchd *s);
int swegress_refresh(struct switchd *s);
/* a turn of the lease clock: the tables, the moves and the kept ports,
 * and a new snapshot to every host when the tables changed (then 1) */
int swegress_turn(struct switchd *s);
void swegress_fini(struct switchd *s);
/* The ports of a held lease its host's flows hold, as it last said; -1:
 * no report (or not held) */
int swegress_in_use(const struct switchd *s, const struct lease *l);
/* onlink egress move HOST: its reply (a line) */
char *swegress_move(struct switchd *s, const char *host);
/* the snapshot's kept ports (WM_EGRESS_KEPT, after the tables) */
int swegress_snapshot_kept(struct switchd *s, struct conn *c);

/* status.c: the control socket's answers (the typed status, the
 * operator requests through provctl) and the metrics */
char *switch_control(const char *req, void *arg);
void switch_metrics(FILE *f, void *arg);
/* after each turn of the loop: each subscribed topic's line, to its
 * subscribers, when it changed; at stop, what it kept freed */
void switch_publish(struct switchd *s);
void switch_subscriptions_free(struct switchd *s);
#endif
