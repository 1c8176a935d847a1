/* The switch agent's own state: what an operator or the agent did that
 * the config does not say and the kernel or BIRD cannot be asked for.
 * Today the ports' own aliases that onlink replaced, each whole (the
 * kernel's limit, 255 bytes), so that a port gets its own back when no
 * provider is on it any more, after a restart of the agent too.
 *
 * One versioned JSON file (`[switch] state-file`), written whole and
 * atomically (base/file.c) at each change, read at start:
 *
 *   {"onlink_state": 1, "role": "switch",
 *    "port_aliases": [{"port": "sw-pb", "alias": "rack 3 port 7"}]}
 *
 * swstate_decode and swstate_encode are pure (unit-tested and fuzzed). */
#ifndef OL_SWSTATE_H
#define OL_SWSTATE_H
#include <net/if.h>
#include <stddef.h>

#define SWSTATE_VERSION 1
#define SWSTATE_ALIAS_MAX 256    /* IFALIASZ, the NUL included */
#define SWSTATE_ALIASES_MAX 4096

struct swstate_alias {
	char port[IF_NAMESIZE];
	char alias[SWSTATE_ALIAS_MAX];
};

struct swstate {
	char path[256];          /* "": kept in memory only */
	struct swstate_alias *aliases;
	size_t n, cap;
	int save_failed;         /* the last write failed (logged once) */
};

/* Pure: the state in text (0, the state replaced) or why not (-1, *why
 * set; the state untouched). A newer version is refused. */
int swstate_decode(struct swstate *st, const char *text, const char **why);
/* Pure: the state as text (malloc'd), or NULL. */
char *swstate_encode(const struct swstate *st);

/* Reads path (missing: an empty state). A file that does not decode is
 * kept aside as PATH.bad (logged), never overwritten unseen. 0 or -1. */
int swstate_load(struct swstate *st, const char *path);
/* Writes the whole state (a write that fails is logged once and retried
 * at the next change). 0 or negative errno. */
int swstate_save(struct swstate *st);
void swstate_free(struct swstate *st);

/* A port's own alias that onlink replaced, or NULL. */
const char *swstate_alias(const struct swstate *st, const char *port);
/* Records (or replaces) it, then saves: 0 or negative errno. */
int swstate_alias_set(struct swstate *st, const char *port, const char *alias);
/* Forgets it, then saves. */
void swstate_alias_del(struct swstate *st, const char *port);
#endif
