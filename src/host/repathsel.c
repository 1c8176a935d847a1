/* Protective repath's choices (repathsel.h). */
#include "host/repathsel.h"
#include <string.h>

static void insert_sorted(__u32 *v, __u32 *n, __u32 cap, __u32 x)
{
	__u32 i = 0;
	if (*n == cap)
		return;
	while (i < *n && v[i] < x)
		i++;
	if (i < *n && v[i] == x)
		return;
	memmove(&v[i + 1], &v[i], (*n - i) * sizeof(*v));
	v[i] = x;
	(*n)++;
}

static int allowed_has(const char (*allowed)[OL_NAME_MAX], unsigned nallowed, const char *name)
{
	if (!nallowed)
		return 1;
	for (unsigned i = 0; i < nallowed; i++)
		if (!strcmp(allowed[i], name))
			return 1;
	return 0;
}

void repath_select(const struct rp_provider *v, size_t n, const char (*allowed)[OL_NAME_MAX], unsigned nallowed,
		   struct rp_conf *out, struct rp_cands cand[2])
{
	out->nmarks = 0;
	memset(out->marks, 0, sizeof(out->marks));
	memset(cand, 0, 2 * sizeof(*cand));
	for (size_t i = 0; i < n; i++) {
		const struct rp_provider *p = &v[i];
		insert_sorted(out->marks, &out->nmarks, RP_MARKS_MAX, p->table);
		if (!p->live || !allowed_has(allowed, nallowed, p->name))
			continue;
		for (int f = 0; f < 2; f++)
			if (p->has[f] && p->health[f] != 0)
				insert_sorted(cand[f].v, &cand[f].n, RP_CAND_MAX, p->table);
	}
	for (size_t i = 0; i < n; i++) {
		const struct rp_provider *p = &v[i];
		for (int f = 0; f < 2; f++)
			if (p->live && p->has[f] && p->health[f] == 0)
				insert_sorted(cand[f].fail, &cand[f].nfail, RP_CAND_MAX, p->table);
	}
}
