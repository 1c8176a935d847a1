/* Protective repath's choices, pure (unit-tested in test_repath): which
 * marks the sock_ops program may move a connection to, per family, and
 * which marks are onlink's. The program itself picks among them with
 * rp_pick() (bpf/repath.h). */
#ifndef OL_HOST_REPATHSEL_H
#define OL_HOST_REPATHSEL_H
#include "bpf/repath.h"
#include "proto/model.h"
#include <stddef.h>

struct rp_provider {
	const char *name;
	uint32_t table;         /* its mark */
	int live;               /* up, not substituted */
	int has[2];             /* an address of the family: [0] IPv4, [1] IPv6 */
	int health[2];          /* the probes' word (probing_health): 1, 0 failing, -1 not probed */
};

/* Fills out's marks (not netns, after_rtos) and cand (IPv4, IPv6):
 * candidates are live providers with an address of the family, named in
 * allowed (when nallowed), not failing; sorted by mark. Failing: live
 * providers with an address of the family that the probes show failing,
 * named or not. */
void repath_select(const struct rp_provider *v, size_t n, const char (*allowed)[OL_NAME_MAX], unsigned nallowed,
		   struct rp_conf *out, struct rp_cands cand[2]);
#endif
