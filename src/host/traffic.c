/* Per-provider traffic counters (traffic.h). */
#include "host/traffic.h"
#include "base/metrics.h"
#include "kernel/nft.h"
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

int traffic_script(char *buf, size_t len, const struct provset *ps)
{
	FILE *f = fmemopen(buf, len, "w");
	if (!f)
		return -ENOSPC;
	char a[ADDR_STRLEN];
	const char *t = "inet " TRAFFIC_TABLE;
	fprintf(f, "add table %s\n", t);
	/* "add" keeps a counter that exists, with its values */
	for (size_t i = 0; i < ps->n; i++)
		fprintf(f, "add counter %s tx_%s\n", t, ps->v[i].name);
	fprintf(f, "add map %s nh4 { type ipv4_addr : counter; }\nadd map %s nh6 { type ipv6_addr : counter; }\n"
		   "flush map %s nh4\nflush map %s nh6\n",
		t, t, t, t);
	for (size_t i = 0; i < ps->n; i++) {
		const struct ol_provider *p = &ps->v[i];
		for (unsigned k = 0; k < p->naddrs; k++) {
			const struct ol_paddr *pa = &p->addrs[k];
			fprintf(f, "add element %s %s { %s : \"tx_%s\" }\n", t, pa->addr.family == AF_INET ? "nh4" : "nh6",
				addr_str(&pa->addr, a, sizeof(a)), p->name);
		}
	}
	fprintf(f, "add chain %s out { type filter hook postrouting priority 100; policy accept; }\nflush chain %s out\n"
		   "add rule %s out meta nfproto ipv4 counter name rt ip nexthop map @nh4\n"
		   "add rule %s out meta nfproto ipv6 counter name rt ip6 nexthop map @nh6\n",
		t, t, t, t);
	int bad = ferror(f);
	long n = ftell(f);
	fclose(f);
	return bad || n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

void traffic_metrics(FILE *f)
{
	char *out = NULL;
	json_t *root = NULL, *x;
	size_t i;
	if (!nft_query("list counters table inet " TRAFFIC_TABLE, &out))
		root = json_loads(out, 0, NULL);
	free(out);
	static const struct { const char *metric, *prefix, *field, *help; } fam[] = {
		{ "onlink_provider_tx_bytes_total", "tx_", "bytes",
		  "Bytes this host sent to the provider (routed to one of its addresses; IP packet length)." },
		{ "onlink_provider_tx_packets_total", "tx_", "packets", "Packets this host sent to the provider." },
	};
	for (size_t k = 0; k < sizeof(fam) / sizeof(fam[0]); k++) {
		mx_family(f, fam[k].metric, "counter", fam[k].help);
		json_array_foreach(json_object_get(root, "nftables"), i, x) {
			json_t *c = json_object_get(x, "counter");
			const char *name = json_string_value(json_object_get(c, "name"));
			if (!name || strncmp(name, fam[k].prefix, 3))
				continue;
			char l[96];
			mx_sample(f, fam[k].metric, mx_label(l, sizeof(l), "provider", name + 3),
				  (double)json_integer_value(json_object_get(c, fam[k].field)));
		}
	}
	json_decref(root);
}
