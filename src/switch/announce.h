/* The BIRD include file onlink generates (bird-include in [switch]): the
 * prefixes announced to each provider with their prepends, the drained
 * providers, and a description constant per BIRD protocol. Its header
 * lines are also onlink's record of that state across restarts.
 * Pure text in, text out (docs/failover.md shows the file). */
#ifndef OL_ANNOUNCE_H
#define OL_ANNOUNCE_H
#include "conf/config.h"
#include <stddef.h>

#define ANN_MAX 4096
#define ANN_PREPEND_MAX 16

struct announcement {
	struct cfg_prefix prefix;
	char provider[OL_NAME_MAX];
	unsigned prepend;
	unsigned long asn;      /* the local AS prepended, when prepend > 0 */
};

struct ann_state {
	struct announcement a[ANN_MAX];
	size_t n;
	char drained[CFG_PROVIDERS_MAX / 64][OL_NAME_MAX];
	size_t ndrained;
};

/* Adds or replaces (same prefix and provider); removes. 0, -ENOENT, -ENOSPC. */
int ann_add(struct ann_state *st, const struct announcement *a);
int ann_del(struct ann_state *st, const struct cfg_prefix *p, const char *provider);
int ann_drained(const struct ann_state *st, const char *provider);
int ann_set_drained(struct ann_state *st, const char *provider, int on);
/* The whole include file; malloc'd. */
char *ann_render(const struct config *c, const struct ann_state *st);
/* Reads back the state lines of a rendered file; unknown providers are
 * dropped (the config changed). Returns entries read. */
int ann_parse(const struct config *c, const char *text, struct ann_state *st);
#endif
