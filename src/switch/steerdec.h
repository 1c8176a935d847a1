/* The decision of [steer] (docs/steering.md), pure and unit-tested: each
 * window, for each prefix, whether another provider is better than the one
 * its traffic takes now (the override's, or BGP's choice as the hosts'
 * routes show it) by the thresholds, for `windows` windows in a row, and
 * whether the guard rails let it move: hold-down since its last move,
 * max-moves per minute POP-wide. Deterministic: the same reports give the
 * same decisions on both switches of a redundant POP. */
#ifndef OL_STEERDEC_H
#define OL_STEERDEC_H
#include "proto/model.h"
#include <stddef.h>
#include <stdint.h>

#define SD_PROVIDERS_MAX 64

struct sd_params {
	unsigned windows;       /* a gain holds this many windows in a row */
	unsigned min_gain_us;   /* RTT better by this much ... */
	unsigned min_gain_ratio; /* ... and by this percentage of the current RTT */
	unsigned loss_gain;     /* or loss better by this many per mille */
	uint64_t hold_down_ms;
	unsigned max_moves;     /* per minute, POP-wide */
};

/* One prefix's window, per provider: what the hosts measured through it */
struct sd_meas {
	char provider[OL_NAME_MAX];
	uint32_t sent, ok;
	uint64_t rtt_sum_us;    /* of the answered */
	int live;               /* up at the switch: a move may go there */
};

enum sd_reason { SD_RTT, SD_LOSS, SD_DOWN };
extern const char *const sd_reason_label[3];

/* A prefix's state, kept across windows */
struct sd_prefix {
	char cur[OL_NAME_MAX];  /* the override's provider; "": BGP's choice */
	char bgp[OL_NAME_MAX];  /* BGP's choice, as the hosts' routes showed it last */
	uint64_t since_ms;      /* the override's start (unix ms) */
	uint64_t moved_ms;      /* its last move; 0: never */
	char cand[OL_NAME_MAX]; /* the provider better these last windows */
	unsigned streak;        /* for how many windows in a row */
	/* the figures of the last move: current and chosen provider */
	uint32_t rtt_from_us, rtt_to_us;
	uint16_t loss_from, loss_to; /* per mille */
	enum sd_reason reason;
};

/* What a window decided for a prefix */
enum sd_outcome { SD_NONE, SD_MOVED, SD_HELD, SD_LIMITED };
struct sd_decision {
	enum sd_outcome outcome;
	char from[OL_NAME_MAX], to[OL_NAME_MAX]; /* MOVED, HELD, LIMITED */
	enum sd_reason reason;
	uint32_t rtt_from_us, rtt_to_us;
	uint16_t loss_from, loss_to;
};

/* The moves of the last minute, POP-wide (max-moves) */
struct sd_recent {
	uint64_t at_ms[1024];   /* a ring of the last moves' times */
	unsigned n, head;
};

/* One window of one prefix: m[0..n) its measurements, bgp the provider the
 * hosts' routes take (""; unknown); now_ms the window's end (unix ms). */
void steer_decide(struct sd_prefix *st, const struct sd_meas *m, size_t n, const char *bgp, const struct sd_params *p,
		  struct sd_recent *recent, uint64_t now_ms, struct sd_decision *out);
/* A provider went down: a prefix overridden to it is BGP's again, at once
 * (1, with the decision in out), else 0. */
int steer_provider_down(struct sd_prefix *st, const char *provider, uint64_t now_ms, struct sd_decision *out);
/* Mean RTT (µs) and loss (per mille) of a measurement; rtt 0 without answers */
uint32_t sd_rtt(const struct sd_meas *m);
uint16_t sd_loss(const struct sd_meas *m);
#endif
