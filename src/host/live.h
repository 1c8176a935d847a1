/* Whether a switch forwards, from the host's own evidence: the carrier of
 * its uplink and echo requests to the switch sent through it. Never from
 * the switch agent: an agent that dies while its switch forwards changes
 * nothing (docs/failover.md, "A whole switch").
 *
 * The state machine is pure (live_step), unit-tested; uplink.c feeds it. */
#ifndef OL_LIVE_H
#define OL_LIVE_H
#include <stdint.h>

enum live_state {
	LIVE_UP,    /* forwarding: its providers are used */
	LIVE_DEAD,  /* carrier lost, or no echo answered for dead-after */
	LIVE_HELD,  /* the evidence is good again, for less than the hold-down */
};

struct live_cfg {
	unsigned dead_after_ms;
	unsigned hold_down_ms;
	int probing;            /* echo requests are sent; else only the carrier tells */
	int carrier_counts;     /* the host has other uplinks: a lost carrier is evidence */
};

struct live {
	enum live_state state;
	uint64_t since_ms;      /* of the state */
	uint64_t good_since_ms; /* while held: the evidence good since */
	unsigned long deaths, flaps; /* flaps: back to dead while held */
	char why[64];           /* why dead (or held) */
};

void live_init(struct live *l, uint64_t now_ms);
/* The evidence now: carrier 1, 0, or -1 when not known; the time of the last
 * echo answered (or of the start); the name of another switch that lost
 * its peer link to this one, or NULL. 1 when the state changed. */
int live_step(struct live *l, const struct live_cfg *c, int carrier, uint64_t last_answer_ms, const char *reported_by,
	      uint64_t now_ms);
/* When live_step must run again though no evidence changes: the end of the
 * hold-down, or when the last answer grows too old; UINT64_MAX: never. */
uint64_t live_next_ms(const struct live *l, const struct live_cfg *c, uint64_t last_answer_ms);
const char *live_state_str(enum live_state s);
#endif
