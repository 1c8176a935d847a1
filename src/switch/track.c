/* Provider state from the switch kernel's tables. An address is up when the
 * kernel has resolved it to a unicast MAC, the provider's interface is up,
 * and the bridge port the MAC was learned on has carrier (a neighbor entry
 * stays REACHABLE for a while after the port loses carrier, and the bridge
 * flushes the FDB entry, so the last port is remembered).
 *
 * Pinning: the kernel takes any ARP reply or NA for a provider's address,
 * so one forged answer from a host would steer every host's traffic for
 * that provider to the forger. A MAC is therefore accepted only when the
 * bridge learned it on the provider's own port (`port =`, or the port its
 * address was first seen resolved on). An answer from another port is
 * refused: the last accepted MAC stays published, and the refusal is
 * counted and queued for the log. A static entry (PERMANENT, NOARP) is the
 * operator's word, not an answer: it is taken as it is. */
#include "switch/track.h"
#include "base/vec.h"
#include <errno.h>
#include <linux/neighbour.h>
#include <stdlib.h>
#include <string.h>

int track_init(struct tracker *t, const struct cfg_switch *c)
{
	memset(t, 0, sizeof(*t));
	t->p = calloc(c->nproviders ? c->nproviders : 1, sizeof(*t->p));
	if (!t->p)
		return -ENOMEM;
	t->n = c->nproviders;
	/* room beyond the bound for every provider address's MAC */
	fdbmap_init(&t->fdb, TRACK_FDB_MAX + (size_t)t->n * OL_PROVIDER_ADDRS_MAX);
	for (size_t i = 0; i < t->n; i++) {
		struct track_provider *p = &t->p[i];
		p->cfg = &c->providers[i];
		for (unsigned k = 0; k < p->cfg->naddrs; k++) {
			p->addrs[k].addr = p->cfg->addrs[k];
			p->addrs[k].need_solicit = 1;
		}
		p->since = time(NULL);
	}
	return 0;
}

void track_reconfig(struct tracker *t, const struct cfg_switch *c)
{
	for (size_t i = 0; i < t->n && i < c->nproviders; i++)
		t->p[i].cfg = &c->providers[i];
	t->ports_changed = 1; /* descriptions may have changed (portdesc.c) */
}

void track_free(struct tracker *t)
{
	free(t->p);
	free(t->links);
	fdbmap_free(&t->fdb);
	memset(t, 0, sizeof(*t));
}

static struct track_link *link_find(const struct tracker *t, int ifindex)
{
	for (size_t i = 0; i < t->nlinks; i++)
		if (t->links[i].ifindex == ifindex)
			return &t->links[i];
	return NULL;
}

static void on_link(struct tracker *t, const struct nl_link *l, int deleted)
{
	struct track_link *tl = link_find(t, l->ifindex);
	if (deleted) {
		if (tl)
			*tl = t->links[--t->nlinks];
		for (size_t i = 0; i < t->n; i++)
			if (t->p[i].pin_port == l->ifindex)
				t->p[i].pin_port = 0, t->ports_changed = 1; /* learned again where it next resolves */
	} else {
		if (!tl) {
			if (vec_reserve_((void **)&t->links, &t->caplinks, t->nlinks + 1, sizeof(*t->links)))
				return;
			tl = &t->links[t->nlinks++];
			memset(tl, 0, sizeof(*tl));
			t->ports_changed = 1;
		}
		tl->ifindex = l->ifindex;
		tl->master = l->master;
		snprintf(tl->name, sizeof(tl->name), "%s", l->name);
		if (strcmp(tl->alias, l->alias) || strcmp(tl->name, l->name))
			t->ports_changed = 1;
		snprintf(tl->alias, sizeof(tl->alias), "%s", l->alias);
		tl->up = l->up;
	}
	/* (re)resolve provider interfaces by name; an interface that appears
	 * or comes up gets its absent addresses solicited again */
	for (size_t i = 0; i < t->n; i++) {
		struct track_provider *p = &t->p[i];
		if (!strcmp(p->cfg->ifname, l->name))
			p->ifindex = deleted ? 0 : l->ifindex;
		else if (p->ifindex == l->ifindex && (deleted || strcmp(p->cfg->ifname, l->name)))
			p->ifindex = 0;
		if (p->ifindex == l->ifindex && l->up)
			for (unsigned k = 0; k < p->cfg->naddrs; k++)
				p->addrs[k].need_solicit = 1;
	}
}

static struct track_link *link_by_name(const struct tracker *t, const char *name)
{
	for (size_t i = 0; i < t->nlinks; i++)
		if (!strcmp(t->links[i].name, name))
			return &t->links[i];
	return NULL;
}

const char *track_link_name(const struct tracker *t, int ifindex)
{
	const struct track_link *l = link_find(t, ifindex);
	return l ? l->name : NULL;
}

int track_pin(const struct tracker *t, const struct track_provider *p, int *from_config)
{
	*from_config = !!p->cfg->port[0];
	if (p->cfg->port[0]) {
		const struct track_link *l = link_by_name(t, p->cfg->port);
		return l ? l->ifindex : 0;
	}
	return p->pin_port;
}

static int fdb_port(const struct tracker *t, int master, const uint8_t mac[6])
{
	return fdbmap_get(&t->fdb, master, mac);
}

/* whether mac is, or is about to be, a provider's on that bridge */
static int provider_mac(const struct tracker *t, int master, const uint8_t mac[6])
{
	for (size_t i = 0; i < t->n; i++) {
		const struct track_provider *p = &t->p[i];
		for (unsigned k = 0; p->ifindex == master && k < p->cfg->naddrs; k++)
			if ((p->addrs[k].has_kmac && !memcmp(p->addrs[k].kmac, mac, 6)) ||
			    (p->addrs[k].has_mac && !memcmp(p->addrs[k].mac, mac, 6)))
				return 1;
	}
	return 0;
}

static void accept_kmac(struct track_addr *a, int port)
{
	if (!a->has_mac || memcmp(a->mac, a->kmac, 6) || port)
		a->port = port;
	memcpy(a->mac, a->kmac, 6);
	a->has_mac = 1;
	a->kmac_refused = 0;
}

/* Whether the kernel's MAC for a may be published; fresh: it just changed
 * (a refusal is counted once per answer, not per state change). */
static void judge(struct tracker *t, struct track_provider *p, struct track_addr *a, int fresh)
{
	int from_config, pin = track_pin(t, p, &from_config), port;
	if (!a->has_kmac)
		return;
	if (!mac_is_unicast(a->kmac)) {
		/* never on a port; published as down, as before pinning */
		accept_kmac(a, 0);
		return;
	}
	port = fdb_port(t, p->ifindex, a->kmac);
	if (!pin && !from_config) {
		/* nothing pinned yet: the first port it resolves on is the
		 * provider's (no FDB, as on a routed port: nothing to pin) */
		p->pin_port = port;
		t->ports_changed = 1;
		accept_kmac(a, port);
		return;
	}
	if (pin && port == pin) {
		accept_kmac(a, port);
		return;
	}
	if (!port || !pin)
		return; /* the bridge has not said where it is yet, or the configured port is missing: wait */
	if (fresh || !a->kmac_refused) {
		a->kmac_refused = 1;
		p->mac_refused++;
		if (t->nrefusals < TRACK_REFUSALS_MAX) {
			struct track_refusal *r = &t->refusals[t->nrefusals++];
			r->provider = (size_t)(p - t->p);
			r->addr = (unsigned)(a - p->addrs);
			r->port = port;
			memcpy(r->mac, a->kmac, 6);
		} else {
			t->refusals_unlogged++;
		}
	}
}

static void on_fdb(struct tracker *t, const struct nl_fdb *f, int deleted)
{
	/* only entries the bridge learned (or was given) for a port */
	if (!f->master || f->port == f->master || (f->state & NUD_PERMANENT && !(f->flags & NTF_EXT_LEARNED)))
		return;
	if (deleted) {
		/* forgotten here too (a host sending from random MACs must not
		 * grow the mirror); a provider's last port stays in its address
		 * (track_addr.port): that is what tells a carrier loss */
		fdbmap_del(&t->fdb, f->master, f->mac);
		return;
	}
	if (t->fdb.n >= TRACK_FDB_MAX && !fdbmap_get(&t->fdb, f->master, f->mac) && !provider_mac(t, f->master, f->mac)) {
		t->fdb_overflows++;
		return;
	}
	if (fdbmap_put(&t->fdb, f->master, f->mac, f->port) <= 0)
		return; /* no change, or no memory */

	for (size_t i = 0; i < t->n; i++) {
		struct track_provider *p = &t->p[i];
		if (p->ifindex != f->master)
			continue;
		for (unsigned k = 0; k < p->cfg->naddrs; k++) {
			struct track_addr *a = &p->addrs[k];
			if (a->has_mac && !memcmp(a->mac, f->mac, 6)) {
				a->port = f->port;
				if (!p->pin_port && !p->cfg->port[0]) {
					p->pin_port = f->port; /* resolved before the bridge said where */
					t->ports_changed = 1;
				}
			}
			/* a MAC waiting to be judged: the bridge now says where */
			if (a->has_kmac && !memcmp(a->kmac, f->mac, 6) && (!a->has_mac || memcmp(a->mac, a->kmac, 6)))
				judge(t, p, a, 0);
		}
	}
}

static void on_neigh(struct tracker *t, const struct nl_neigh *n, int deleted)
{
	for (size_t i = 0; i < t->n; i++) {
		struct track_provider *p = &t->p[i];
		if (!p->ifindex || p->ifindex != n->ifindex)
			continue;
		for (unsigned k = 0; k < p->cfg->naddrs; k++) {
			struct track_addr *a = &p->addrs[k];
			if (addr_cmp(&a->addr, &n->dst))
				continue;
			if (deleted) {
				a->present = 0;
				a->nud = NUD_NONE;
				a->ours = 0;
				a->need_solicit = 1;
				return;
			}
			a->present = 1;
			a->nud = n->state;
			a->ours = n->managed;
			if (n->has_lladdr) {
				int fresh = !a->has_kmac || memcmp(a->kmac, n->lladdr, 6);
				memcpy(a->kmac, n->lladdr, 6);
				a->has_kmac = 1;
				if (n->state & (NUD_PERMANENT | NUD_NOARP))
					accept_kmac(a, fdb_port(t, p->ifindex, a->kmac)); /* set by an operator, not an answer */
				else
					judge(t, p, a, fresh);
			}
			return;
		}
	}
}

void track_event(struct tracker *t, const struct nl_event *ev)
{
	switch (ev->type) {
	case NLE_LINK: on_link(t, &ev->link, ev->deleted); break;
	case NLE_FDB: on_fdb(t, &ev->fdb, ev->deleted); break;
	case NLE_NEIGH: on_neigh(t, &ev->neigh, ev->deleted); break;
	default: break;
	}
}

void track_begin_resync(struct tracker *t)
{
	for (size_t i = 0; i < t->n; i++)
		for (unsigned k = 0; k < t->p[i].cfg->naddrs; k++) {
			t->p[i].addrs[k].present = 0;
			t->p[i].addrs[k].nud = NUD_NONE;
			t->p[i].addrs[k].need_solicit = 1;
		}
}

static int link_up(const struct tracker *t, int ifindex)
{
	const struct track_link *l = link_find(t, ifindex);
	return l && l->up;
}

/* Whether the interface is a bridge with ports: a provider behind it is
 * reached through one of them, whose carrier must then be known. */
static int has_ports(const struct tracker *t, int ifindex)
{
	for (size_t i = 0; i < t->nlinks; i++)
		if (t->links[i].master == ifindex && t->links[i].ifindex != ifindex)
			return 1;
	return 0;
}

void track_state(const struct tracker *t, size_t i, struct ol_provider *out)
{
	const struct track_provider *p = &t->p[i];
	const uint16_t resolved = NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT | NUD_NOARP;
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", p->cfg->name);
	out->table = p->cfg->table;
	snprintf(out->backup, sizeof(out->backup), "%s", p->cfg->backup);
	out->naddrs = (uint8_t)p->cfg->naddrs;
	for (unsigned k = 0; k < p->cfg->naddrs; k++) {
		const struct track_addr *a = &p->addrs[k];
		struct ol_paddr *o = &out->addrs[k];
		o->addr = a->addr;
		if (a->has_mac)
			memcpy(o->mac, a->mac, 6);
		int from_config, pin = track_pin(t, p, &from_config), port = pin ? pin : a->port;
		/* On a bridge, the port must be known and have carrier. A switch
		 * agent started while the port has none finds the kernel's stale
		 * REACHABLE entry and no FDB entry (the bridge flushed it): that
		 * is not up. The provider's next answer, once carrier is back,
		 * teaches the bridge its port. A static entry is the operator's
		 * word, with or without a port. */
		int port_ok = port ? link_up(t, port)
				   : !has_ports(t, p->ifindex) || (a->nud & (NUD_PERMANENT | NUD_NOARP));
		o->up = p->ifindex && link_up(t, p->ifindex) && a->present && (a->nud & resolved) && a->has_mac &&
			mac_is_unicast(a->mac) && port_ok && !(from_config && !pin);
	}
}

int track_publish(struct track_provider *p, const struct ol_provider *now)
{
	if (p->published && provider_equal(now, &p->pub))
		return 0;
	if (!p->published || provider_up(now) != provider_up(&p->pub))
		p->since = time(NULL);
	for (unsigned i = 0; p->published && i < now->naddrs; i++)
		for (unsigned k = 0; k < p->pub.naddrs; k++)
			if (!addr_cmp(&now->addrs[i].addr, &p->pub.addrs[k].addr) && now->addrs[i].up &&
			    p->pub.addrs[k].up && memcmp(now->addrs[i].mac, p->pub.addrs[k].mac, 6))
				p->mac_changes++;
	p->pub = *now;
	p->published = 1;
	return 1;
}

