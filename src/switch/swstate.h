/* The switch agent's own state: what an operator or the agent did that
 * the config does not say and the kernel or BIRD cannot be asked for:
 * announcements (with their attributes, who asked and when), drained
 * providers (likewise), a purge in progress, and the ports' own aliases
 * that onlink replaced, each whole (the kernel's limit, 255 bytes).
 *
 * One versioned JSON file (`[switch] state-file`), written whole and
 * atomically (base/file.c) at each change, read at start:
 *
 *   {"onlink_state": 1, "role": "switch",
 *    "announcements": [{"prefix": "198.18.5.0/24", "provider": "transit-a",
 *        "prepend": 2, "asn": 65000, "med": 50, "no_export": false,
 *        "communities": ["65000:100", "65000:1:2"], "since": 1764150000,
 *        "by": "uid 0 (root)"}],
 *    "drained": [{"provider": "transit-b", "since": 1764150000, "by": "..."}],
 *    "purge": {"provider": "transit-a", "soft": true, "since": ..., "by": "..."},
 *    "port_aliases": [{"port": "sw-pb", "alias": "rack 3 port 7"}],
 *    "leases": [{"pool": "edge", "address": "192.0.2.10", "first": 2048,
 *        "last": 4095, "host": "h1", "state": "held", "since": MS}]}
 *
 * "announcements" and "drained" absent: a file of before them (an agent
 * that kept them in BIRD's include migrates them; has_ops says which).
 * swstate_decode and swstate_encode are pure (unit-tested and fuzzed). */
#ifndef OL_SWSTATE_H
#define OL_SWSTATE_H
#include "switch/announce.h"
#include "switch/leases.h"
#include "switch/moves.h"
#include <net/if.h>
#include <stddef.h>
#include <stdint.h>

#define SWSTATE_VERSION 1
#define SWSTATE_ALIAS_MAX 256    /* IFALIASZ, the NUL included */
#define SWSTATE_ALIASES_MAX 4096

struct swstate_alias {
	char port[IF_NAMESIZE];
	char alias[SWSTATE_ALIAS_MAX];
};

/* a purge under way: recorded at its start, cleared at its end */
struct swstate_purge {
	int active;
	char provider[OL_NAME_MAX];
	int soft;
	int64_t since;
	char by[64];
};

struct swstate {
	char path[256];          /* "": kept in memory only */
	struct swstate_alias *aliases;
	size_t n, cap;
	struct ann_state *ann;   /* announcements and drains (malloc'd by decode or load) */
	int has_ops;             /* the file had them (else: an older file, or none) */
	struct swstate_purge purge;
	int save_failed;         /* the last write failed (logged once) */
	struct leases leases;    /* egress slice leases (leases.h) */
	unsigned leases_bad;     /* leases in the file that did not decode (skipped) */
	struct moves moves;      /* moved slices' kept ports (moves.h) */
	unsigned moves_bad;
};

/* Pure: the state in text (0, the state replaced) or why not (-1, *why
 * set; the state untouched). A newer version is refused. */
int swstate_decode(struct swstate *st, const char *text, const char **why);
/* Pure: the state as text (malloc'd), or NULL. */
char *swstate_encode(const struct swstate *st);

/* Reads path (missing: an empty state; "": in memory only). A file that
 * does not decode is moved aside as PATH.bad-TIME (logged) and the state
 * starts empty. -1 (logged) when there is a file it can neither read nor
 * move aside, or no memory: the agent must not start, lest it overwrite
 * what it could not read. */
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
