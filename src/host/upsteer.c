/* The uplink steering table, as nft script text (upsteer.h). */
#include "host/upsteer.h"
#include "base/addr.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct to {
	uint8_t mac[6];
	uint32_t order;         /* link, then announcement order */
};

static int by_mac(const void *a, const void *b)
{
	const struct to *x = a, *y = b;
	int c = memcmp(x->mac, y->mac, 6);
	return c ? c : (x->order > y->order) - (x->order < y->order);
}

static int by_order(const void *a, const void *b)
{
	const struct to *x = a, *y = b;
	return (x->order > y->order) - (x->order < y->order);
}

int upsteer_script(char *buf, size_t len, const char *dev, const struct upsteer_link *links, size_t n)
{
	size_t off = 0, nt = 0, cap = 0;
	char m[MAC_STRLEN], own[MAC_STRLEN];
	struct to *t;
	int r = -ENOSPC;

	for (size_t l = 0; l < n; l++)
		for (size_t p = 0; p < links[l].provs->n; p++)
			cap += links[l].provs->v[p].naddrs;
	if (!(t = calloc(cap ? cap : 1, sizeof(*t))))
		return -ENOMEM;
	/* each MAC once, to the first present link that announces it */
	for (size_t l = 0; l < n; l++)
		for (size_t p = 0; links[l].present && p < links[l].provs->n; p++) {
			const struct ol_provider *pv = &links[l].provs->v[p];
			for (unsigned a = 0; a < pv->naddrs; a++)
				if (mac_is_unicast(pv->addrs[a].mac)) {
					memcpy(t[nt].mac, pv->addrs[a].mac, 6);
					t[nt].order = (uint32_t)(l << 24 | nt);
					nt++;
				}
		}
	qsort(t, nt, sizeof(*t), by_mac);
	size_t k = 0;
	for (size_t i = 0; i < nt; i++)
		if (!k || memcmp(t[k - 1].mac, t[i].mac, 6))
			t[k++] = t[i];
	nt = k;
	qsort(t, nt, sizeof(*t), by_order);

	int w = snprintf(buf, len,
			 "add table netdev " UPSTEER_TABLE "\n"
			 "delete table netdev " UPSTEER_TABLE "\n"
			 "table netdev " UPSTEER_TABLE " {\n"
			 "\tchain egress {\n"
			 "\t\ttype filter hook egress device \"%s\" priority 0; policy drop;\n",
			 dev);
	if (w < 0 || (size_t)w >= len)
		goto out;
	off = (size_t)w;
	for (size_t i = 0; i < nt;) {
		size_t l = t[i].order >> 24, j = i;
		const struct upsteer_link *lk = &links[l];
		for (; j < nt && t[j].order >> 24 == l; j++) {
			w = snprintf(buf + off, len - off, "%s%s", j == i ? "\t\tether daddr { " : ", ",
				     mac_str(t[j].mac, m, sizeof(m)));
			if (w < 0 || (size_t)w >= len - off)
				goto out;
			off += (size_t)w;
		}
		w = snprintf(buf + off, len - off, " } counter ether saddr set %s fwd to \"%s\"\n",
			     mac_str(lk->mac, own, sizeof(own)), lk->ifname);
		if (w < 0 || (size_t)w >= len - off)
			goto out;
		off += (size_t)w;
		i = j;
	}
	w = snprintf(buf + off, len - off, "\t\tcounter\n\t}\n}\n");
	if (w >= 0 && (size_t)w < len - off)
		r = 0;
out:
	free(t);
	return r;
}
