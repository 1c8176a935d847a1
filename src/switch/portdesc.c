/* Provider port descriptions (portdesc.h). */
#include "switch/portdesc.h"
#include "base/log.h"
#include "kernel/nl.h"
#include <stdio.h>
#include <string.h>

#define WAS " (was: "

int portdesc_ours(const char *now, char *was, size_t len)
{
	was[0] = 0;
	if (strncmp(now, PORTDESC_PREFIX, strlen(PORTDESC_PREFIX)))
		return 0;
	const char *w = strstr(now, WAS);
	size_t n = w ? strlen(w + strlen(WAS)) : 0;
	if (w && n && w[strlen(WAS) + n - 1] == ')')
		snprintf(was, len, "%.*s", (int)(n - 1), w + strlen(WAS));
	return 1;
}

void portdesc_want(const struct cfg_provider *const *provs, size_t n, char *out, size_t len)
{
	size_t off = (size_t)snprintf(out, len, PORTDESC_PREFIX);
	for (size_t i = 0; i < n && off < len; i++) {
		char as[16] = "";
		if (provs[i]->remote_as)
			snprintf(as, sizeof(as), " AS%u", provs[i]->remote_as);
		off += (size_t)snprintf(out + off, len - off, "%s%s%s%s%s", i ? "; " : "", provs[i]->name, as,
					provs[i]->descr[0] ? " " : "", provs[i]->descr);
	}
}

int portdesc_sync(const struct tracker *t, const struct cfg_switch *c, struct swstate *st)
{
	int written = 0;
	for (size_t l = 0; l < t->nlinks; l++) {
		const struct track_link *tl = &t->links[l];
		const struct cfg_provider *on[64];
		size_t n = 0;
		for (size_t i = 0; i < t->n && n < sizeof(on) / sizeof(on[0]); i++) {
			int from_config;
			if (track_pin(t, &t->p[i], &from_config) == tl->ifindex)
				on[n++] = &c->providers[i];
		}
		char want[NL_ALIAS_MAX], was[NL_ALIAS_MAX];
		int ours = portdesc_ours(tl->alias, was, sizeof(was));
		const char *own = swstate_alias(st, tl->name);
		/* an alias of ours from before the state file: its "(was: ...)"
		 * is the port's own (cut to 120 then), moved to the state */
		if (ours && !own && was[0]) {
			if (!swstate_alias_set(st, tl->name, was))
				log_info("port %s: its own alias \"%s\" moved from the alias to the state file", tl->name, was);
			own = swstate_alias(st, tl->name);
		}
		if (n) {
			/* the port's own alias (set by someone else since, too) is
			 * kept before ours replaces it */
			if (!ours && tl->alias[0] && swstate_alias_set(st, tl->name, tl->alias) < 0 &&
			    !swstate_alias(st, tl->name)) {
				log_warn("port %s: its own alias cannot be kept (state full): left as it is", tl->name);
				continue;
			}
			if (!ours && !tl->alias[0])
				swstate_alias_del(st, tl->name); /* it had none: none comes back */
			portdesc_want(on, n, want, sizeof(want));
		} else if (ours) {
			snprintf(want, sizeof(want), "%s", own ? own : "");
		} else {
			continue; /* not ours: left alone */
		}
		if (strcmp(want, tl->alias)) {
			int r = nl_link_alias(tl->ifindex, want);
			if (r) {
				log_warn("port %s: cannot set its alias: %s", tl->name, strerror(-r));
				continue;
			}
			log_info("port %s: alias \"%s\"%s", tl->name, want, n ? "" : " (its own again: no provider on it)");
			written++;
		}
		if (!n)
			swstate_alias_del(st, tl->name);
	}
	return written;
}
