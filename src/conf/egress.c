/* A switch's egress sections: the checks of [egress ADDR]'s fixed slices,
 * and [egress-pool NAME], shared addresses whose ports the switch agent
 * cuts into slices and leases to hosts (switch/leases.c, docs/egress.md). */
#include "conf/config.h"
#include "conf/parse.h"
#include "conf/schema.h"
#include "base/vec.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* [egress ADDR]: every slice of a known host, none overlapping, one per host */
void config_validate_egress(struct parse *p)
{
	struct config *c = p->c;
	char a[ADDR_STRLEN];
	for (unsigned i = 0; i < c->sw.negress && !p->failed; i++) {
		struct cfg_egress *ce = &c->sw.egress[i];
		addr_str(&ce->e.addr, a, sizeof(a));
		if (!ce->e.nslices)
			fail(p, ce->line, "[egress %s]: no 'slice'", a);
		for (unsigned k = 0; k < ce->e.nslices && !p->failed; k++) {
			const struct ol_slice *x = &ce->e.slices[k];
			if (!config_host_known(c, x->host))
				fail(p, ce->slice_line[k], "slice: '%s' is not a known host (give it a '[host %s]' section)",
				     x->host, x->host);
			for (unsigned l = 0; l < k && !p->failed; l++) {
				const struct ol_slice *y = &ce->e.slices[l];
				if (!strcmp(x->host, y->host))
					fail(p, ce->slice_line[k], "slice: host '%s' already has a slice of %s (line %d)", x->host, a,
					     ce->slice_line[l]);
				else if (x->first <= y->last && y->first <= x->last)
					fail(p, ce->slice_line[k], "slice: %u-%u of '%s' overlaps %u-%u of '%s' (line %d)", x->first,
					     x->last, x->host, y->first, y->last, y->host, ce->slice_line[l]);
			}
		}
	}
}

int on_pool_section(struct parse *p, const char *name)
{
	struct config *c = p->c;
	if (!name_valid(name)) {
		fail(p, p->line, "section '[egress-pool %s]': bad name '%s'", name, name);
		return 0;
	}
	for (unsigned i = 0; i < c->sw.npools; i++)
		if (!strcmp(c->sw.pools[i].name, name)) {
			fail(p, p->line, "egress pool '%s' defined twice (first at line %d)", name, c->sw.pools[i].line);
			return 0;
		}
	if (c->sw.npools == CFG_POOLS_MAX) {
		fail(p, p->line, "at most %d egress pools", CFG_POOLS_MAX);
		return 0;
	}
	if (vec_reserve_((void **)&c->sw.pools, &c->sw.cappools, c->sw.npools + 1, sizeof(*c->sw.pools))) {
		fail(p, p->line, "out of memory");
		return 0;
	}
	struct cfg_pool *pl = &c->sw.pools[c->sw.npools++];
	memset(pl, 0, sizeof(*pl));
	snprintf(pl->name, sizeof(pl->name), "%s", name);
	pl->line = p->line;
	cfg_defaults(CS_POOL, pl);
	p->sec = CS_POOL;
	p->obj = pl;
	return 1;
}

int cfg_parse_pool_address(struct parse *p, void *obj, const struct cfg_key *k, const char *v)
{
	struct cfg_pool *pl = obj;
	struct ol_addr a;
	if (addr_parse(v, &a) || addr_not_host(&a))
		return cfg_bad(p, k, v);
	for (unsigned i = 0; i < pl->naddrs; i++)
		if (!addr_cmp(&pl->addrs[i], &a)) {
			fail(p, p->line, "address: '%s' given twice (first at line %d)", v, pl->addr_line[i]);
			return -1;
		}
	if (pl->naddrs == CFG_POOL_ADDRS_MAX) {
		fail(p, p->line, "address: at most %d per pool", CFG_POOL_ADDRS_MAX);
		return -1;
	}
	pl->addr_line[pl->naddrs] = p->line;
	pl->addrs[pl->naddrs++] = a;
	return 0;
}

void cfg_print_pool_address(FILE *f, const void *obj, const struct cfg_key *k)
{
	const struct cfg_pool *pl = obj;
	char a[ADDR_STRLEN];
	for (unsigned i = 0; i < pl->naddrs; i++)
		fprintf(f, "%s = %s\n", k->key, addr_str(&pl->addrs[i], a, sizeof(a)));
}

int cfg_is_set_pool_address(const void *obj, const struct cfg_key *k)
{
	(void)k;
	return ((const struct cfg_pool *)obj)->naddrs != 0;
}

int cfg_parse_pool_ports(struct parse *p, void *obj, const struct cfg_key *k, const char *v)
{
	struct cfg_pool *pl = obj;
	unsigned long first, last;
	char tail;
	if (sscanf(v, "%lu-%lu %c", &first, &last, &tail) != 2 || first < OL_PORT_MIN || last > 65535 || first > last)
		return cfg_bad(p, k, v);
	pl->first = (uint16_t)first;
	pl->last = (uint16_t)last;
	pl->ports_line = p->line;
	return 0;
}

void cfg_print_pool_ports(FILE *f, const void *obj, const struct cfg_key *k)
{
	const struct cfg_pool *pl = obj;
	fprintf(f, "%s = %u-%u\n", k->key, pl->first, pl->last);
}

/* hosts = h1 h2 h3 (repeatable: more names) */
int cfg_parse_pool_hosts(struct parse *p, void *obj, const struct cfg_key *k, const char *v)
{
	struct cfg_pool *pl = obj;
	char buf[1024], *save = NULL;
	if (strlen(v) >= sizeof(buf))
		return cfg_bad(p, k, v);
	strcpy(buf, v);
	pl->hosts_line = p->line;
	for (char *t = strtok_r(buf, " \t,", &save); t; t = strtok_r(NULL, " \t,", &save)) {
		if (!name_valid(t)) {
			fail(p, p->line, "hosts: bad host name '%s'", t);
			return -1;
		}
		for (unsigned i = 0; i < pl->nhosts; i++)
			if (!strcmp(pl->hosts[i], t)) {
				fail(p, p->line, "hosts: '%s' listed twice", t);
				return -1;
			}
		if (pl->nhosts == OL_SLICES_MAX) {
			fail(p, p->line, "hosts: at most %d per pool", OL_SLICES_MAX);
			return -1;
		}
		if (vec_reserve_((void **)&pl->hosts, &pl->caphosts, pl->nhosts + 1, sizeof(*pl->hosts))) {
			fail(p, p->line, "out of memory");
			return -1;
		}
		snprintf(pl->hosts[pl->nhosts++], OL_NAME_MAX, "%s", t);
	}
	return 0;
}

void cfg_print_pool_hosts(FILE *f, const void *obj, const struct cfg_key *k)
{
	const struct cfg_pool *pl = obj;
	fprintf(f, "%s =", k->key);
	for (unsigned i = 0; i < pl->nhosts; i++)
		fprintf(f, " %s", pl->hosts[i]);
	fprintf(f, "\n");
}

int cfg_is_set_pool_hosts(const void *obj, const struct cfg_key *k)
{
	(void)k;
	return ((const struct cfg_pool *)obj)->nhosts != 0;
}

/* Once the whole file is read: each pool has addresses no other pool or
 * [egress ADDR] has, a power-of-two slice size that fits its range at
 * least once, known hosts, and a slice of each of its families for each
 * of them (one slice per family is what a host needs). */
void config_validate_pools(struct parse *p)
{
	struct config *c = p->c;
	char a[ADDR_STRLEN];
	for (unsigned i = 0; i < c->sw.npools && !p->failed; i++) {
		struct cfg_pool *pl = &c->sw.pools[i];
		char label[OL_NAME_MAX + 24];
		snprintf(label, sizeof(label), "[egress-pool %s]", pl->name);
		if (!pl->naddrs) {
			fail(p, pl->line, "%s: missing 'address'", label);
			return;
		}
		if (pl->slice_size & (pl->slice_size - 1)) {
			fail(p, pl->line, "%s: slice-size %u is not a power of two", label, pl->slice_size);
			return;
		}
		unsigned first = (pl->first + pl->slice_size - 1) / pl->slice_size * pl->slice_size;
		unsigned per_addr = first + pl->slice_size - 1 > pl->last ? 0 : (pl->last + 1u - first) / pl->slice_size;
		if (!per_addr) {
			fail(p, pl->ports_line ? pl->ports_line : pl->line,
			     "%s: ports %u-%u hold no whole slice of %u aligned ports", label, pl->first, pl->last,
			     pl->slice_size);
			return;
		}
		for (unsigned h = 0; h < pl->nhosts && !p->failed; h++)
			if (!config_host_known(c, pl->hosts[h]))
				fail(p, pl->hosts_line, "hosts: '%s' is not a known host (give it a '[host %s]' section)",
				     pl->hosts[h], pl->hosts[h]);
		unsigned nhosts = pl->nhosts ? pl->nhosts : c->sw.nhosts;
		for (int fam = 0; fam < 2 && !p->failed; fam++) {
			unsigned naddr = 0;
			for (unsigned k = 0; k < pl->naddrs; k++)
				naddr += pl->addrs[k].family == (fam ? AF_INET6 : AF_INET);
			if (naddr && naddr * per_addr < nhosts)
				fail(p, pl->line, "%s: %u %s slices (%u per address) for %u hosts: more addresses, a wider "
				     "'ports' or a smaller 'slice-size'", label, naddr * per_addr, fam ? "IPv6" : "IPv4", per_addr,
				     nhosts);
		}
		for (unsigned k = 0; k < pl->naddrs && !p->failed; k++) {
			addr_str(&pl->addrs[k], a, sizeof(a));
			for (unsigned e = 0; e < c->sw.negress && !p->failed; e++)
				if (!addr_cmp(&c->sw.egress[e].e.addr, &pl->addrs[k]))
					fail(p, pl->addr_line[k], "address: %s already has fixed slices ([egress %s], line %d)", a, a,
					     c->sw.egress[e].line);
			for (unsigned j = 0; j < i && !p->failed; j++)
				for (unsigned l = 0; l < c->sw.pools[j].naddrs && !p->failed; l++)
					if (!addr_cmp(&c->sw.pools[j].addrs[l], &pl->addrs[k]))
						fail(p, pl->addr_line[k], "address: %s already belongs to pool '%s' (line %d)", a,
						     c->sw.pools[j].name, c->sw.pools[j].addr_line[l]);
		}
	}
}

void config_free_pools(struct config *c)
{
	for (unsigned i = 0; i < c->sw.npools; i++)
		free(c->sw.pools[i].hosts);
	free(c->sw.pools);
	c->sw.pools = NULL;
	c->sw.npools = 0;
	c->sw.cappools = 0;
}
