/* Provider port descriptions (portdesc.h). */
#include "switch/portdesc.h"
#include "base/log.h"
#include "kernel/nl.h"
#include <stdio.h>
#include <string.h>

#define WAS " (was: "

int portdesc_own(const char *now, char *out, size_t len)
{
	out[0] = 0;
	if (strncmp(now, PORTDESC_PREFIX, strlen(PORTDESC_PREFIX)))
		return 0;
	const char *w = strstr(now, WAS);
	size_t n = w ? strlen(w + strlen(WAS)) : 0;
	if (w && n && w[strlen(WAS) + n - 1] == ')')
		snprintf(out, len, "%.*s", (int)(n - 1), w + strlen(WAS));
	return 1;
}

void portdesc_want(const struct cfg_provider *const *provs, size_t n, const char *now, char *out, size_t len)
{
	char own[NL_ALIAS_MAX], tail[NL_ALIAS_MAX + 16] = "";
	if (!portdesc_own(now, own, sizeof(own)))
		snprintf(own, sizeof(own), "%s", now); /* the port's own, kept */
	if (own[0]) /* at most half the room: ours always fits beside it */
		snprintf(tail, sizeof(tail), WAS "%.120s)", own);
	size_t room = len > strlen(tail) + 1 ? len - strlen(tail) - 1 : 0, off;
	off = (size_t)snprintf(out, len, PORTDESC_PREFIX);
	for (size_t i = 0; i < n && off < room; i++) {
		char as[16] = "";
		if (provs[i]->remote_as)
			snprintf(as, sizeof(as), " AS%u", provs[i]->remote_as);
		off += (size_t)snprintf(out + off, room - off, "%s%s%s%s%s", i ? "; " : "", provs[i]->name, as,
					provs[i]->descr[0] ? " " : "", provs[i]->descr);
	}
	if (off >= room) /* cut (snprintf ended it at room - 1), but the original is never lost */
		off = room ? room - 1 : 0;
	snprintf(out + off, len - off, "%s", tail);
}

int portdesc_sync(const struct tracker *t, const struct cfg_switch *c)
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
		char want[NL_ALIAS_MAX];
		if (n)
			portdesc_want(on, n, tl->alias, want, sizeof(want));
		else if (!portdesc_own(tl->alias, want, sizeof(want)))
			continue; /* not ours: left alone */
		if (!strcmp(want, tl->alias))
			continue;
		int r = nl_link_alias(tl->ifindex, want);
		if (r)
			log_warn("port %s: cannot set its alias: %s", tl->name, strerror(-r));
		else
			log_info("port %s: alias \"%s\"%s", tl->name, want, n ? "" : " (its own again: no provider on it)");
		written++;
	}
	return written;
}
