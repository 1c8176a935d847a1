/* nftables through libnftables. */
#include "egress/nft.h"
#include "kernel/nft.h"
#include <stdio.h>
#include <string.h>

/* "{ 100.64.0.0/10, ... }" of one family, or "" */
static void prefixes(const struct cfg_egressd *c, int family, char *out, size_t len)
{
	size_t off = 0;
	char a[ADDR_STRLEN];
	out[0] = 0;
	for (unsigned i = 0; i < c->nclients; i++) {
		if (c->clients[i].addr.family != family)
			continue;
		off += (size_t)snprintf(out + off, len - off, "%s%s/%u", off ? ", " : "{ ",
					addr_str(&c->clients[i].addr, a, sizeof(a)), c->clients[i].len);
		if (off >= len)
			return;
	}
	if (off)
		snprintf(out + off, len - off, " }");
}

int egress_nft_install(const struct cfg_egressd *c, char *err, size_t errlen)
{
	char v4[4096], v6[4096], rules[17000], cmd[18000];
	size_t off = 0;
	prefixes(c, AF_INET, v4, sizeof(v4));
	prefixes(c, AF_INET6, v6, sizeof(v6));
	/* per family: packets of flows the proxy already holds (socket
	 * transparent 1) get the mark; new flows to non-local destinations go
	 * to the proxy. Source first: other traffic (the upstream sockets'
	 * replies above all) is not looked up at all. A TCP SYN never takes the
	 * first rule: when it reuses the 4-tuple of a connection whose
	 * TIME_WAIT the proxy holds (the proxy closed first), that TIME_WAIT
	 * socket is transparent too, and delivered to it the SYN would be
	 * answered with the old connection's ACK (the client resets and
	 * retransmits). tproxy instead retires the TIME_WAIT and hands the SYN
	 * to the listener. */
	static const char rule[] =
		"\t\t%s saddr %s meta l4proto udp socket transparent 1 meta mark set %u accept\n"
		"\t\t%s saddr %s tcp flags & (fin | syn | rst | ack) != syn socket transparent 1 meta mark set %u accept\n"
		"\t\t%s saddr %s fib daddr type != local meta l4proto { tcp, udp } tproxy %s to :%u meta mark set %u accept\n";
	rules[0] = 0;
	if (v4[0])
		off += (size_t)snprintf(rules + off, sizeof(rules) - off, rule, "ip", v4, c->tproxy_mark, "ip", v4,
					c->tproxy_mark, "ip", v4, "ip", c->listen_port, c->tproxy_mark);
	if (v6[0] && off < sizeof(rules))
		snprintf(rules + off, sizeof(rules) - off, rule, "ip6", v6, c->tproxy_mark, "ip6", v6, c->tproxy_mark, "ip6",
			 v6, "ip6", c->listen_port, c->tproxy_mark);
	/* add+delete+define in one transaction: replaces a table left by a
	 * killed daemon, atomically */
	snprintf(cmd, sizeof(cmd),
		 "add table inet " EGRESS_NFT_TABLE "\n"
		 "delete table inet " EGRESS_NFT_TABLE "\n"
		 "table inet " EGRESS_NFT_TABLE " {\n"
		 "\tchain prerouting {\n"
		 "\t\ttype filter hook prerouting priority mangle; policy accept;\n"
		 "%s"
		 "\t}\n"
		 "}\n",
		 rules);
	return nft_run(cmd, err, errlen);
}

int egress_nft_remove(char *err, size_t errlen)
{
	return nft_run("add table inet " EGRESS_NFT_TABLE "\ndelete table inet " EGRESS_NFT_TABLE "\n", err, errlen);
}
