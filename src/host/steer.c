/* The steering table, as nft script text, and its counters. */
#include "host/steer.h"
#include "kernel/nft.h"
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const steer_counter_names[STEER_NCOUNTERS] = {
	[STEER_ICMP_OWN] = "icmp_own",
	[STEER_ICMP_STEERED] = "icmp_steered",
	[STEER_ICMP_DROPPED] = "icmp_dropped",
	[STEER_ICMP_LIMITED] = "icmp_limited",
	[STEER_ICMP_UNOWNED] = "icmp_unowned",
	[STEER_RESTING] = "resting",
};

static const struct steer_peer *peer_of(const struct steer_peer *p, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(p[i].name, name))
			return &p[i];
	return NULL;
}

struct sbuf {
	char *p;
	size_t len, off;
	int full;
};

__attribute__((format(printf, 2, 3))) static void put(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = b->full ? -1 : vsnprintf(b->p + b->off, b->len - b->off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->len - b->off)
		b->full = 1;
	else
		b->off += (size_t)n;
}

/* Where the inner packet's source port is, in bits from the ICMP header:
 * the 8-byte error header, then the IP header our sockets sent (IPv4
 * without options, IPv6 without extension headers: the proxy sends
 * neither). The inner protocol byte is checked to be TCP or UDP. */
#define INNER4_PROTO "@th,136,8"  /* 8 + 9 bytes */
#define INNER4_SPORT "@th,224,16" /* 8 + 20 bytes */
#define INNER6_PROTO "@th,112,8"  /* 8 + 6 bytes */
#define INNER6_SPORT "@th,384,16" /* 8 + 40 bytes */

/* The end of a rule matching another host's ports: handed to it at layer
 * 2, or dropped while its MAC is unknown (rather than reset here) */
static void to_owner(struct sbuf *b, const char *host, const char *why, const char *ifname, const char *own,
		     const struct steer_peer *peers, size_t npeers, int icmp)
{
	char m[MAC_STRLEN];
	const struct steer_peer *p = peer_of(peers, npeers, host);
	if (p && p->has_mac)
		put(b, "counter%s ether saddr set %s ether daddr set %s fwd to \"%s\" comment \"%s%s\"\n",
		    icmp ? " name icmp_steered" : "", own, mac_str(p->mac, m, sizeof(m)), ifname, host, why);
	else
		put(b, "counter%s drop comment \"%s%s%s MAC unknown\"\n", icmp ? " name icmp_dropped" : "", host, why,
		    *why ? "," : ":");
}

/* The rules for one slice: `ports` is "th dport" for replies, the inner
 * source port for ICMP errors; `cnt` names the ICMP outcome counters (or
 * NULL for replies, counted by the rule's anonymous counter). */
static void slice_rules(struct sbuf *b, const char *fam, const char *addr, const struct ol_slice *s,
			const char *me, const char *ifname, const char *own, const struct steer_peer *peers,
			size_t npeers, int icmp)
{
	const char *match = icmp ? (fam[2] ? INNER6_SPORT : INNER4_SPORT) : "meta l4proto { tcp, udp } th dport";
	put(b, "\t\t%s daddr %s %s %u-%u ", fam, addr, match, s->first, s->last);
	if (!s->host[0]) {
		put(b, "counter name %s drop comment \"resting\"\n", icmp ? "icmp_dropped" : "resting");
		return;
	}
	if (!strcmp(s->host, me)) { /* only ICMP rules name this host's own slices */
		put(b, "counter name icmp_own accept\n");
		return;
	}
	to_owner(b, s->host, "", ifname, own, peers, npeers, icmp);
}

/* Ports kept for a host of a slice it gave up (a move): to it, before
 * the slice's own rule; this host's own stay here. */
static void kept_rules(struct sbuf *b, const struct ol_kept *k, const char *me, const char *ifname, const char *own,
		       const struct steer_peer *peers, size_t npeers, int icmp)
{
	char a[ADDR_STRLEN];
	int v6 = k->addr.family == AF_INET6;
	put(b, "\t\t%s daddr %s %s { ", v6 ? "ip6" : "ip", addr_str(&k->addr, a, sizeof(a)),
	    icmp ? (v6 ? INNER6_SPORT : INNER4_SPORT) : "meta l4proto { tcp, udp } th dport");
	for (unsigned i = 0; i < k->ports.n; i++) {
		if (k->ports.r[i].first == k->ports.r[i].last)
			put(b, "%s%u", i ? ", " : "", k->ports.r[i].first);
		else
			put(b, "%s%u-%u", i ? ", " : "", k->ports.r[i].first, k->ports.r[i].last);
	}
	put(b, " } ");
	if (!strcmp(k->host, me)) {
		put(b, "counter%s accept comment \"kept\"\n", icmp ? " name icmp_own" : "");
		return;
	}
	to_owner(b, k->host, ": kept", ifname, own, peers, npeers, icmp);
}

int steer_script(char *buf, size_t len, const char *ifname, const uint8_t own_mac[6], const char *me,
		 const struct ol_egress *eg, size_t neg, const struct ol_kept *kept, size_t nkept,
		 const struct steer_peer *peers, size_t npeers)
{
	char a[ADDR_STRLEN], own[MAC_STRLEN];
	int others = nkept > 0;
	mac_str(own_mac, own, sizeof(own));
	for (size_t i = 0; i < neg; i++)
		for (unsigned k = 0; k < eg[i].nslices; k++)
			others |= !!strcmp(eg[i].slices[k].host, me);
	struct sbuf b = { .p = buf, .len = len };
	put(&b, "add table netdev " STEER_TABLE "\ndelete table netdev " STEER_TABLE "\n");
	if (!others)
		return b.full ? -ENOSPC : 0;
	put(&b, "table netdev " STEER_TABLE " {\n");
	for (int c = 0; c < STEER_NCOUNTERS; c++)
		put(&b, "\tcounter %s { }\n", steer_counter_names[c]);
	/* ICMP errors: per source, then per interface; at least what pmtud
	 * allows (1/s per source, 10/s per interface), well above what PMTU
	 * discovery needs, and far below what a flood would make us forward */
	put(&b, "\tlimit icmp_iface { rate over " STEER_ICMP_IFACE_RATE "/second burst " STEER_ICMP_IFACE_RATE
		" packets }\n"
		"\tset icmp_src4 { type ipv4_addr; size 65536; flags dynamic,timeout; timeout 60s; }\n"
		"\tset icmp_src6 { type ipv6_addr; size 65536; flags dynamic,timeout; timeout 60s; }\n"
		"\tchain ingress {\n"
		"\t\ttype filter hook ingress device \"%s\" priority -500; policy accept;\n",
	    ifname);
	for (size_t k = 0; k < nkept; k++)
		kept_rules(&b, &kept[k], me, ifname, own, peers, npeers, 0);
	for (size_t i = 0; i < neg; i++) {
		const char *fam = eg[i].addr.family == AF_INET ? "ip" : "ip6";
		addr_str(&eg[i].addr, a, sizeof(a));
		for (unsigned k = 0; k < eg[i].nslices; k++)
			if (strcmp(eg[i].slices[k].host, me))
				slice_rules(&b, fam, a, &eg[i].slices[k], me, ifname, own, peers, npeers, 0);
	}
	put(&b, "\t\ticmp type destination-unreachable jump icmp4\n"
		"\t\ticmpv6 type { destination-unreachable, packet-too-big, time-exceeded, parameter-problem } jump icmp6\n"
		"\t}\n");
	for (int v6 = 0; v6 <= 1; v6++) {
		const char *fam = v6 ? "ip6" : "ip";
		put(&b, "\tchain icmp%d {\n", v6 ? 6 : 4);
		/* the error must quote TCP or UDP; the stack has the rest */
		put(&b, "\t\t%s != { 6, 17 } return\n", v6 ? INNER6_PROTO : INNER4_PROTO);
		int any = 0;
		for (size_t i = 0; i < neg; i++)
			if (eg[i].addr.family == (v6 ? AF_INET6 : AF_INET)) {
				if (!any)
					put(&b, "\t\t%s daddr != { ", fam);
				put(&b, "%s%s", any ? ", " : "", addr_str(&eg[i].addr, a, sizeof(a)));
				any = 1;
			}
		if (!any) {
			put(&b, "\t\treturn\n\t}\n");
			continue;
		}
		put(&b, " } return\n");
		put(&b, "\t\tupdate @icmp_src%d { %s saddr limit rate over " STEER_ICMP_SOURCE_RATE
			"/second burst " STEER_ICMP_SOURCE_RATE " packets } counter name icmp_limited drop\n"
			"\t\tlimit name \"icmp_iface\" counter name icmp_limited drop\n",
		    v6 ? 6 : 4, fam);
		for (size_t k = 0; k < nkept; k++)
			if (kept[k].addr.family == (v6 ? AF_INET6 : AF_INET))
				kept_rules(&b, &kept[k], me, ifname, own, peers, npeers, 1);
		for (size_t i = 0; i < neg; i++) {
			if (eg[i].addr.family != (v6 ? AF_INET6 : AF_INET))
				continue;
			addr_str(&eg[i].addr, a, sizeof(a));
			for (unsigned k = 0; k < eg[i].nslices; k++)
				slice_rules(&b, fam, a, &eg[i].slices[k], me, ifname, own, peers, npeers, 1);
		}
		put(&b, "\t\tcounter name icmp_unowned\n\t}\n");
	}
	put(&b, "}\n");
	return b.full ? -ENOSPC : 0;
}

int steer_counters(uint64_t out[STEER_NCOUNTERS])
{
	char *text = NULL;
	json_t *root = NULL, *x;
	size_t i;
	memset(out, 0, STEER_NCOUNTERS * sizeof(*out));
	if (nft_query("list counters table netdev " STEER_TABLE, &text))
		return -ENOENT;
	root = json_loads(text, 0, NULL);
	free(text);
	json_array_foreach(json_object_get(root, "nftables"), i, x) {
		json_t *c = json_object_get(x, "counter");
		const char *name = json_string_value(json_object_get(c, "name"));
		for (int k = 0; name && k < STEER_NCOUNTERS; k++)
			if (!strcmp(name, steer_counter_names[k]))
				out[k] = (uint64_t)json_integer_value(json_object_get(c, "packets"));
	}
	json_decref(root);
	return 0;
}
