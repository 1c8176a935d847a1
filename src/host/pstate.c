/* Each provider's up/down state and since when, as the merged view says
 * it, for status and the log (agent.h). */
#include "host/agent.h"
#include "base/vec.h"
#include <errno.h>
#include <time.h>

const struct pstate *pstate_find(const struct hostd *h, const char *name)
{
	return vec_name_find(&h->ps, name);
}

/* one provider's up/down state, for status: 0 or -ENOMEM */
static int pstate_set(struct hostd *h, const struct ol_provider *p)
{
	int fresh;
	struct pstate *s = vec_name_put(&h->ps, p->name, &fresh);
	if (!s)
		return -ENOMEM;
	if (fresh)
		s->up = -1;
	if (s->up != provider_up(p)) {
		s->up = provider_up(p);
		s->since = time(NULL);
		log_info("provider %s %s (table %u)", p->name, s->up ? "up" : "down", p->table);
	}
	return 0;
}

void pstate_update(struct hostd *h)
{
	const struct hview *v = &h->view;
	if (!v->changed.full) {
		for (size_t i = 0; i < v->changed.n; i++) {
			const struct ol_provider *p = provset_find(&v->merged, v->changed.v[i].name);
			if (p)
				pstate_set(h, p);
		}
		return;
	}
	for (size_t i = 0; i < v->merged.n; i++)
		if (pstate_set(h, &v->merged.v[i]))
			return;
}

