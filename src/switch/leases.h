/* Egress slice leases: the switch agent cuts each [egress-pool NAME]
 * address's ports into aligned slices and leases one of each of the
 * pool's address families to each of its hosts. A host without a session
 * for host-dead-after loses its leases: they rest for the pool's
 * quarantine (no host gets them, none steers them), then are free. A host
 * that comes back gets its resting slice again. Pure: the caller says who
 * is dead and what time it is; the leases are kept in the switch agent's
 * state file (leases_to_json, leases_from_json) so that a restart changes
 * none. docs/egress.md, "Pools and leases". */
#ifndef OL_LEASES_H
#define OL_LEASES_H
#include "conf/config.h"
#include "proto/model.h"
#include <jansson.h>
#include <stdint.h>

enum lease_state { LEASE_HELD = 1, LEASE_RESTING = 2 };

struct lease {
	char pool[OL_NAME_MAX];
	struct ol_addr addr;
	uint16_t first, last;
	char host[OL_NAME_MAX];  /* the holder; resting: the last holder */
	enum lease_state state;
	int64_t since;           /* Unix ms: leased (held) or taken back (resting) */
	int64_t until;           /* resting: free again at (Unix ms) */
	int64_t low_since;       /* an extra lease: its host's use under half since (Unix ms); 0: not */
};

struct leases {
	struct lease *v;
	size_t n, cap;
	unsigned long exhausted; /* hosts that found no free slice, counted per update */
};

/* What changed, for the log: "leased", "rests", "back", "freed",
 * "ended" (its slice is no longer in the config), "exhausted" (l: the
 * pool, family and host that found no slice; first = last = 0). */
typedef void (*lease_note_fn)(void *arg, const struct lease *l, const char *what);
/* Whether a host is dead (no session for host-dead-after). */
typedef int (*lease_dead_fn)(void *arg, const char *host);
/* The ports of a held lease its host's flows hold (its last report). */
typedef unsigned (*lease_use_fn)(void *arg, const struct lease *l);
#define LEASES_PER_FAMILY_MAX 4  /* a host's slices of one family in one pool, the extra ones included */

/* Brings the leases in line with the config, the hosts' liveness and the
 * time: ends what the config no longer has, rests the dead hosts' and
 * those of hosts taken out of a pool, frees what rested long enough, and
 * leases to every live host what it lacks. The number of changes, or
 * -ENOMEM (what was done stays). */
int leases_update(struct leases *L, const struct cfg_switch *sw, const char *me, int64_t now_ms, lease_dead_fn dead,
		  void *dead_arg, lease_note_fn note, void *note_arg);
/* A host whose slices of a family are over 90% in use gets one more (of
 * the same address when it has a free one: "grew"); one with more than one
 * under 50% for the pool's shrink-after gives back the least used extra
 * one ("shrank"; what its flows hold there is kept for them: moves.h).
 * The number of changes, or -ENOMEM. */
int leases_fit(struct leases *L, const struct cfg_switch *sw, const char *me, int64_t now, lease_use_fn use,
	       void *use_arg, lease_note_fn note, void *note_arg);
/* Whether this switch agent (me) decides the pool's leases. */
int pool_decides(const struct cfg_pool *pl, const char *me);
/* A follower's leases of one pool address, as its leader decided them
 * (the table a host follows, WM_EGRESS_SEEN): the records of that address
 * replaced (a slice with host "" rests for the pool's quarantine from
 * now; the same lease keeps its since). The number of changes, or
 * -ENOMEM. */
int leases_adopt(struct leases *L, const struct cfg_pool *pl, const struct ol_egress *t, int64_t now);

/* A host's leases moved (onlink egress move): a new slice of each, the
 * old ones free at once (what its flows hold of them is kept for it:
 * moves.h). The number moved (0: none held, or no free slice), or
 * -ENOMEM. */
int leases_move(struct leases *L, const struct cfg_switch *sw, const char *host, int64_t now, lease_note_fn note,
		void *note_arg);

/* The egress tables the hosts get: the fixed [egress ADDR] sections, then
 * each pool address with a lease (held: its host; resting: host ""),
 * slices in port order; decided unless a pool another agent leads.
 * *out is malloc'd. 0 or -ENOMEM. */
int leases_tables(const struct leases *L, const struct cfg_switch *sw, const char *me, struct ol_egress **out,
		  size_t *n);

/* The ports of a pool address cut into slices: how many, and the i-th. */
unsigned pool_slices(const struct cfg_pool *pl);
void pool_slice(const struct cfg_pool *pl, unsigned i, uint16_t *first, uint16_t *last);

/* The state file's "leases": an array, and back (entries that do not
 * decode are skipped and counted in *bad). */
json_t *leases_to_json(const struct leases *L);
int leases_from_json(struct leases *L, const json_t *arr, unsigned *bad);
const char *lease_state_str(enum lease_state s);
void leases_free(struct leases *L);
#endif
