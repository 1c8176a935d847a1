/* The steering table, as nft script text. */
#include "host/steer.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>

static const struct steer_peer *peer_of(const struct steer_peer *p, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(p[i].name, name))
			return &p[i];
	return NULL;
}

int steer_script(char *buf, size_t len, const char *ifname, const uint8_t own_mac[6], const char *me,
		 const struct ol_egress *eg, size_t neg, const struct steer_peer *peers, size_t npeers)
{
	char rules[32768], a[ADDR_STRLEN], m[MAC_STRLEN], own[MAC_STRLEN];
	size_t off = 0;
	rules[0] = 0;
	mac_str(own_mac, own, sizeof(own));
	for (size_t i = 0; i < neg; i++) {
		const char *fam = eg[i].addr.family == AF_INET ? "ip" : "ip6";
		addr_str(&eg[i].addr, a, sizeof(a));
		for (unsigned k = 0; k < eg[i].nslices; k++) {
			const struct ol_slice *s = &eg[i].slices[k];
			if (!strcmp(s->host, me))
				continue;
			const struct steer_peer *p = peer_of(peers, npeers, s->host);
			int n;
			if (p && p->has_mac)
				n = snprintf(rules + off, sizeof(rules) - off,
					     "\t\t%s daddr %s meta l4proto { tcp, udp } th dport %u-%u counter "
					     "ether saddr set %s ether daddr set %s fwd to \"%s\" comment \"%s\"\n",
					     fam, a, s->first, s->last, own, mac_str(p->mac, m, sizeof(m)), ifname, s->host);
			else
				n = snprintf(rules + off, sizeof(rules) - off,
					     "\t\t%s daddr %s meta l4proto { tcp, udp } th dport %u-%u counter drop "
					     "comment \"%s: MAC unknown\"\n",
					     fam, a, s->first, s->last, s->host);
			if (n < 0 || (size_t)n >= sizeof(rules) - off)
				return -ENOSPC;
			off += (size_t)n;
		}
	}
	int n;
	if (!off)
		n = snprintf(buf, len, "add table netdev " STEER_TABLE "\ndelete table netdev " STEER_TABLE "\n");
	else
		n = snprintf(buf, len,
			     "add table netdev " STEER_TABLE "\n"
			     "delete table netdev " STEER_TABLE "\n"
			     "table netdev " STEER_TABLE " {\n"
			     "\tchain ingress {\n"
			     "\t\ttype filter hook ingress device \"%s\" priority -500; policy accept;\n"
			     "%s"
			     "\t}\n"
			     "}\n",
			     ifname, rules);
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}
