/* provctl's insides, shared by its files (provctl.c: the failover loop,
 * its status and metrics; birdpoll.c: BIRD polled and kept following;
 * opcmd.c: operator commands; birdsync.c: the include file; purge.c:
 * purges). Private to src/switch. */
#ifndef OL_PROVCTL_INT_H
#define OL_PROVCTL_INT_H
#include "switch/provctl.h"
#include "switch/announce.h"
#include "switch/swstate.h"
#include "switch/bird.h"
#include "switch/failover.h"
#include "base/loop.h"

struct bproto {                 /* one BIRD protocol of a provider, as last polled */
	char state[16], info[64];
	char since[64];         /* when its state last changed, as BIRD says it */
	uint8_t seen;
};

struct pstate {                 /* besides its failover state, pc->fo[i] */
	struct bproto b[CFG_BIRD_PROTOS_MAX];
	int via;                /* index of the provider substituting, or -1 */
	uint64_t fixed_ms;      /* when BIRD's enable state was last put right */
	/* onlink itself restarted its sessions (a purge, a configure with its
	 * changed sessions): until they are all up again, or this time, their
	 * being down is not the provider failing (its link still is) */
	uint64_t restarting_until_ms;
	uint8_t reconfigured;   /* its sessions' text changed at start (birdsync.c) */
};

#define RESTART_GRACE_MS 60000

/* Provider i's sessions are being restarted by onlink: judged by link only
 * until the next poll sees them all up again (or RESTART_GRACE_MS). */
void provctl_restarting(struct provctl *pc, size_t i);

/* An announce or withdraw in progress: BIRD is asked in steps. */
struct op {
	unsigned handle;        /* the waiting control client */
	int withdraw;
	struct announcement a;
	struct ann_state *next; /* the state if BIRD takes it */
	char *old_text;         /* the include file before, to put back */
	char who[64];
};

struct provctl {
	const struct config *c;
	struct pstate *p;
	struct fo_provider *fo; /* each provider's failover state */
	void (*changed)(void *);
	void *arg;
	struct bird *bird;
	struct timer poll, hold;
	int polling, bird_known;
	int need_configure, configuring; /* the include file at start (birdsync.c) */
	char *start_old;        /* the file before, to put back if BIRD refuses */
	char config_error[512]; /* BIRD's refusal, "" once it took the file */
	uint64_t config_refusals;
	struct swstate *st;     /* the agent's state file: announcements, drains, a purge */
	struct op *op;
	struct purge *purge;    /* a purge in progress (purge.c) */
	struct swstate_purge interrupted; /* one the agent stopped in the middle of */
	uint64_t now;
};

int provctl_index(const struct provctl *pc, const char *name);
/* birdpoll.c: BIRD's sessions of provider i enabled or disabled, as its
 * failover state wants */
void provctl_bird_set(struct provctl *pc, size_t i, int enable);
/* birdpoll.c: BIRD's socket opened and its poll armed (with bird-socket);
 * stopped and closed */
int birdpoll_start(struct provctl *pc);
void birdpoll_stop(struct provctl *pc);
/* opcmd.c: the announcements, as status and the typed API show them */
json_t *provctl_announcements_json(const struct provctl *pc);
/* opcmd.c: the announce or withdraw in progress ends with this reply */
void provctl_op_end(struct provctl *pc, char *reply);
/* JSON replies to the control socket: {"error": ...} and {..., "ok": true} */
char *reply_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *reply_ok(json_t *j);

/* birdsync.c: the include file written at start; then checked and loaded
 * once BIRD answers */
int birdsync_start(struct provctl *pc);
/* The include file rendered for the config now, written when it differs
 * from old (what the file held: taken), BIRD then told at its next poll */
int birdsync_render(struct provctl *pc, char *old);
void birdsync_configure(struct provctl *pc);

/* purge.c: "purge NAME [soft] [TIMEOUT]"; after each poll of BIRD; at stop */
char *purge_command(struct provctl *pc, const char *name, int soft, unsigned timeout_s, const char *who);
void purge_polled(struct provctl *pc);
void purge_stop(struct provctl *pc);
/* at start: a purge the state file says was under way, logged and shown */
void purge_interrupted(struct provctl *pc);
#endif
