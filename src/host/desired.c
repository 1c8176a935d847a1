/* Providers -> kernel objects. */
#include "host/desired.h"
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

static int add_default(struct kobj_set *out, const struct host_params *hp, uint32_t table, int family,
		       const struct ol_addr *gw)
{
	struct kobj o = { .type = KO_ROUTE, .family = (uint8_t)family, .proto = hp->proto, .table = table };
	o.dst.family = (uint8_t)family;
	if (gw) {
		o.rtype = RTN_UNICAST;
		o.gw = *gw;
		o.ifindex = hp->ifindex;
		o.onlink = 1;
		o.src = family == AF_INET ? hp->local4 : hp->local6;
	} else {
		o.rtype = RTN_UNREACHABLE;
	}
	return kobj_set_add(out, &o);
}

static int add_rule(struct kobj_set *out, const struct host_params *hp, uint32_t table, int family)
{
	struct kobj o = { .type = KO_RULE, .family = (uint8_t)family, .proto = hp->proto, .table = table,
			  .fwmark = table, .priority = hp->rule_priority };
	return kobj_set_add(out, &o);
}

int desired_build(const struct ol_provider *provs, size_t n, const struct host_params *hp,
		  struct kobj_set *out, unsigned *bad_macs)
{
	static const int fams[2] = { AF_INET, AF_INET6 };
	int r = 0;
	*bad_macs = 0;
	for (size_t i = 0; i < n && !r; i++) {
		const struct ol_provider *p = &provs[i];
		for (int f = 0; f < 2 && !r; f++) {
			int fam = fams[f];
			const struct ol_addr *local = fam == AF_INET ? &hp->local4 : &hp->local6;
			const struct ol_addr *gw = NULL;
			int has_family = 0;
			if (!local->family)
				continue;
			for (unsigned k = 0; k < p->naddrs && !r; k++) {
				const struct ol_paddr *a = &p->addrs[k];
				if (a->addr.family != fam)
					continue;
				has_family = 1;
				if (!a->up)
					continue;
				if (!mac_is_unicast(a->mac)) {
					(*bad_macs)++;
					continue;
				}
				struct kobj o = { .family = (uint8_t)fam, .proto = hp->proto, .ifindex = hp->ifindex };
				if (fam == AF_INET) {
					o.type = KO_ADDR;
					o.dst = *local;
					o.gw = a->addr;
					o.dst_len = 32;
				} else {
					o.type = KO_ROUTE;
					o.rtype = RTN_UNICAST;
					o.table = RT_TABLE_MAIN;
					o.dst = a->addr;
					o.dst_len = 128;
					o.src = *local;
				}
				r = kobj_set_add(out, &o);
				struct kobj nb = { .type = KO_NEIGH, .family = (uint8_t)fam, .proto = hp->proto,
						   .ifindex = hp->ifindex, .dst = a->addr, .state = NUD_PERMANENT };
				memcpy(nb.lladdr, a->mac, 6);
				if (!r)
					r = kobj_set_add(out, &nb);
				if (!gw)
					gw = &a->addr;
			}
			if (!has_family || r)
				continue;
			r = add_default(out, hp, p->table, fam, gw);
			if (!r)
				r = add_rule(out, hp, p->table, fam);
		}
	}
	return r;
}

int desired_egress(const struct ol_egress *eg, size_t n, const struct ol_kept *kept, size_t nkept, const char *me,
		   int lo_ifindex, uint8_t proto, struct kobj_set *out)
{
	for (size_t i = 0; i < n; i++) {
		/* its own slice, or ports kept for its flows of a slice it gave up */
		int mine = egress_slice_of(&eg[i], me) != NULL;
		for (size_t k = 0; k < nkept && !mine; k++)
			mine = !strcmp(kept[k].host, me) && !addr_cmp(&kept[k].addr, &eg[i].addr);
		if (!mine)
			continue;
		struct kobj o = { .type = KO_ADDR, .family = eg[i].addr.family, .proto = proto, .ifindex = lo_ifindex,
				  .dst = eg[i].addr, .gw = eg[i].addr,
				  .dst_len = eg[i].addr.family == AF_INET ? 32 : 128 };
		int r = kobj_set_add(out, &o);
		if (r)
			return r;
	}
	return 0;
}

int desired_steer(const struct ol_provider *provs, size_t n, const struct steer_rule *rules, size_t nrules,
		  const struct host_params *hp, struct kobj_set *out)
{
	int r = 0;
	for (size_t i = 0; i < nrules && !r; i++) {
		const struct steer_rule *sr = &rules[i];
		const struct ol_provider *p = NULL;
		for (size_t k = 0; k < n && !p; k++)
			if (!strcmp(provs[k].name, sr->provider))
				p = &provs[k];
		if (!p)
			continue;
		const struct ol_addr *local = sr->prefix.family == AF_INET ? &hp->local4 : &hp->local6;
		if (!provider_has_family(p, sr->prefix.family) || !local->family)
			continue;
		/* the more specific first: an override of a prefix inside another's wins */
		unsigned bits = sr->prefix.family == AF_INET ? 32 : 128;
		struct kobj o = { .type = KO_RULE, .family = sr->prefix.family, .proto = hp->proto, .table = p->table,
				  .priority = hp->rule_priority + 1 + (bits - sr->len), .dst = sr->prefix, .dst_len = sr->len };
		r = kobj_set_add(out, &o);
	}
	return r;
}
