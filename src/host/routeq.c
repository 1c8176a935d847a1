/* The local API's "route": the kernel's route to a destination, each next
 * hop named by the provider whose address it is and whether that provider
 * is substituted (its traffic going to its backup's MACs). Part of the
 * host agent's control socket (status.c). */
#include "host/agent.h"
#include "host/follow.h"
#include "kernel/route.h"
#include "proto/steerwire.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Substituted by the switch (published with its backup's MACs) or by this
 * host (its switch agents dead, a backup found here): whose MACs it takes. */
static const char *substitute(const struct hostd *h, const struct ol_provider *p)
{
	if (p->via[0])
		return p->via;
	for (size_t i = 0; i < h->view.subst.n; i++)
		if (!strcmp(h->view.subst.v[i].name, p->name))
			return h->view.subst.v[i].via[0] ? h->view.subst.v[i].via : "";
	return NULL;
}

char *routeq_answer(struct hostd *h, const char *dest)
{
	char a[64], msg[160];
	struct ol_addr addr;
	unsigned long plen = 0;
	int has_len = 0;
	snprintf(a, sizeof(a), "%s", dest);
	char *slash = strchr(a, '/');
	if (slash) {
		char *end;
		*slash = 0;
		plen = strtoul(slash + 1, &end, 10);
		has_len = slash[1] && !*end;
	}
	if (addr_parse(a, &addr) || (slash && (!has_len || plen > (addr.family == AF_INET ? 32u : 128u)))) {
		snprintf(msg, sizeof(msg), "bad destination '%s' (an address or a prefix)", dest);
		return api_error_encode(msg);
	}
	struct route_info match, pick;
	int r = route_get(&addr, 0, 1, &match);
	if (r) {
		snprintf(msg, sizeof(msg), "no route to %s: %s", a, strerror(-r));
		return api_error_encode(msg);
	}
	/* the next hop the kernel picks for a flow to the address */
	int picked = !route_get(&addr, 0, 0, &pick) && pick.nhops;
	struct api_route out = { .prefix = match.dst, .prefix_len = match.dst_len, .table = match.table,
				 .protocol = match.protocol };
	if (!out.prefix.family)
		out.prefix.family = addr.family;
	for (unsigned i = 0; i < match.nhops && out.nhops < API_ROUTE_HOPS_MAX; i++) {
		struct api_route_hop *o = &out.hops[out.nhops++];
		o->gw = match.hops[i].gw;
		o->chosen = picked && !addr_cmp(&pick.hops[0].gw, &o->gw) &&
			    pick.hops[0].oif == match.hops[i].oif;
		const struct ol_provider *p = o->gw.family ? provset_find_addr(&h->view.merged, &o->gw) : NULL;
		if (!p)
			continue;
		snprintf(o->provider, sizeof(o->provider), "%s", p->name);
		o->provider_table = p->table;
		const char *via = substitute(h, p);
		o->substituted = via != NULL;
		if (via)
			snprintf(o->via, sizeof(o->via), "%s", via);
	}
	const struct steer_override *st = follow_route(h->follow, &addr);
	if (st) {
		out.steered.on = 1;
		snprintf(out.steered.provider, sizeof(out.steered.provider), "%s", st->provider);
		snprintf(out.steered.from, sizeof(out.steered.from), "%s", st->from);
		out.steered.since = (int64_t)st->since;
		out.steered.rtt_from_ms = st->rtt_from_us / 1000.0;
		out.steered.rtt_to_ms = st->rtt_to_us / 1000.0;
	}
	return api_route_encode(&out);
}
