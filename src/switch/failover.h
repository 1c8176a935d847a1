/* Provider failure, hold-down and drain: what the switch publishes for a
 * provider that failed (its backup's MACs, so every host moves all its
 * routes through that next hop at once), and what BIRD must be told.
 * Pure logic over observations and a clock: no I/O here (docs/failover.md).
 *
 *   DOWN --observed up--> OK --link, neighbor or BGP session lost--> FAILED
 *   FAILED --observed up again--> HELD --hold-down over--> RECOVERING
 *   RECOVERING --every BGP session established--> OK
 *   HELD or RECOVERING --lost again--> FAILED (the hold-down grows)
 *   any --drain--> DRAINED --undrain--> RECOVERING
 *
 * A provider with neither bird-protocol nor backup has no failover: it is
 * OK while its link is, DOWN otherwise, without hold-down (or DRAINED).
 *
 * In FAILED, HELD, RECOVERING and DRAINED the provider is "substituted":
 * published with the MACs of its backup (following the backup's own backup
 * when that one is not OK), or published down when there is none. */
#ifndef OL_FAILOVER_H
#define OL_FAILOVER_H
#include "conf/config.h"
#include "proto/model.h"
#include <stdint.h>

enum fo_state { FO_DOWN, FO_OK, FO_FAILED, FO_HELD, FO_RECOVERING, FO_DRAINED };

/* What the owner must do in BIRD after a step. */
enum fo_action { FO_NONE, FO_BIRD_DISABLE, FO_BIRD_ENABLE };

/* The hold-down doubles for each failure that comes within four hold-downs
 * of the previous one, up to this many times the configured one. */
#define FO_HOLD_MAX_FACTOR 16

struct fo_provider {
	enum fo_state state;
	char reason[96];
	uint64_t since_ms;       /* when the state was entered */
	uint64_t hold_until_ms;  /* HELD: when recovery starts */
	unsigned hold_ms;        /* the current hold-down */
	uint64_t last_fail_ms;
	unsigned long failovers, recoveries, flaps;
	uint8_t bgp_seen_up;     /* every BGP session was established once since (re)enabled */
};

/* What the switch knows about a provider right now. */
struct fo_obs {
	int link_up;             /* the neighbor tracker: resolved, carrier on its port */
	int bgp_known;           /* BIRD answered */
	int bgp_up;              /* every one of its BIRD protocols established */
	const char *bgp_down;    /* the first protocol that is not, for the reason */
};

void fo_init(struct fo_provider *f, uint64_t now_ms);
/* Advances one provider; returns what BIRD must be told. */
enum fo_action fo_step(struct fo_provider *f, const struct cfg_provider *c, const struct fo_obs *o, uint64_t now_ms);
enum fo_action fo_drain(struct fo_provider *f, const char *who, uint64_t now_ms);
enum fo_action fo_undrain(struct fo_provider *f, const struct cfg_provider *c, uint64_t now_ms);
/* When the next timer-driven step is due, or UINT64_MAX. */
uint64_t fo_next_ms(const struct fo_provider *f);
int fo_substituted(const struct fo_provider *f);
const char *fo_state_str(enum fo_state s);

/* The provider i as published: the observed state when it is not
 * substituted; else each address with the MAC of the first provider along
 * its backup chain that is OK and has an address of that family up. obs[]
 * and fo[] are indexed like cfg->providers. *via is that provider's index,
 * or -1. */
void fo_publish(const struct cfg_switch *cfg, const struct fo_provider *fo, const struct ol_provider *obs, size_t i,
		struct ol_provider *out, int *via);
#endif
