/* The BIRD include file onlink generates (bird-include in [switch]): the
 * prefixes announced to each provider with their prepends and attributes,
 * and a description constant per BIRD protocol. BIRD config only: the
 * record of announcements and drains across restarts is the agent's
 * state file (swstate.h); agents before it kept them as "#@" lines here,
 * which ann_parse reads once to migrate them.
 * Pure text in, text out (docs/failover.md shows the file). */
#ifndef OL_ANNOUNCE_H
#define OL_ANNOUNCE_H
#include "conf/config.h"
#include <stddef.h>

#define ANN_MAX 4096
#define ANN_PREPEND_MAX 16
#define ANN_COMM_MAX 8

/* a BGP community (RFC 1997: A:B, 16 bits each) or a large community
 * (RFC 8092: A:B:C, 32 bits each) */
struct ann_comm {
	uint32_t v[3];
	uint8_t large;
};

struct announcement {
	struct cfg_prefix prefix;
	char provider[OL_NAME_MAX];
	unsigned prepend;
	unsigned long asn;      /* the local AS prepended, when prepend > 0 */
	int has_med;
	unsigned long med;      /* 0 to 2^32-1, when has_med */
	int no_export;          /* with the well-known NO_EXPORT community */
	struct ann_comm comm[ANN_COMM_MAX];
	unsigned ncomm;
	int64_t since;          /* unix time it was announced (as it is now) */
	char by[64];            /* who asked (the control socket's peer) */
};

struct ann_drain {
	char provider[OL_NAME_MAX];
	int64_t since;          /* unix time it was drained */
	char by[64];
};

struct ann_state {
	struct announcement a[ANN_MAX];
	size_t n;
	struct ann_drain drained[CFG_PROVIDERS_MAX / 64];
	size_t ndrained;
};

/* "A:B" or "A:B:C": 0, or -1 for anything else (a part out of range, a
 * sign, a space, a fourth part). */
int ann_comm_parse(const char *s, struct ann_comm *c);
/* One option word of an announce request: "med=N", "no-export" or
 * "community=A:B[:C]". 0, or -1 with err set. */
int ann_option(struct announcement *a, const char *word, char *err, size_t errlen);
/* The communities as "A:B,A:B:C" ("" for none). */
void ann_comm_str(const struct announcement *a, char *buf, size_t len);
/* Adds or replaces (same prefix and provider); removes. 0, -ENOENT, -ENOSPC. */
int ann_add(struct ann_state *st, const struct announcement *a);
int ann_del(struct ann_state *st, const struct cfg_prefix *p, const char *provider);
int ann_drained(const struct ann_state *st, const char *provider);
/* on: since and by are recorded (a drain already there keeps its own) */
int ann_set_drained(struct ann_state *st, const char *provider, int on, int64_t since, const char *by);
/* The whole include file; malloc'd. */
char *ann_render(const struct config *c, const struct ann_state *st);
/* Reads the "#@" lines of an include file written by an agent before the
 * state file (the migration); unknown providers are dropped (the config
 * changed). Returns entries read. */
int ann_parse(const struct config *c, const char *text, struct ann_state *st);
#endif
