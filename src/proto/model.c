/* Small helpers over the data model. */
#include "proto/model.h"
#include <ctype.h>
#include <string.h>

int name_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= OL_NAME_MAX)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '.' && *s != '_' && *s != '-')
			return 0;
	return 1;
}

int provider_up(const struct ol_provider *p)
{
	for (unsigned i = 0; i < p->naddrs; i++)
		if (p->addrs[i].up)
			return 1;
	return 0;
}

int provider_has_family(const struct ol_provider *p, int family)
{
	for (unsigned i = 0; i < p->naddrs; i++)
		if (p->addrs[i].up && p->addrs[i].addr.family == family)
			return 1;
	return 0;
}

int provider_equal(const struct ol_provider *a, const struct ol_provider *b)
{
	if (strcmp(a->name, b->name) || strcmp(a->backup, b->backup) || strcmp(a->via, b->via) || a->table != b->table ||
	    a->naddrs != b->naddrs)
		return 0;
	for (unsigned i = 0; i < a->naddrs; i++) {
		const struct ol_paddr *x = &a->addrs[i], *y = &b->addrs[i];
		if (addr_cmp(&x->addr, &y->addr) || x->up != y->up || memcmp(x->mac, y->mac, 6))
			return 0;
	}
	return 1;
}

int egress_equal(const struct ol_egress *a, const struct ol_egress *b)
{
	if (addr_cmp(&a->addr, &b->addr) || a->nslices != b->nslices || a->decided != b->decided)
		return 0;
	for (unsigned i = 0; i < a->nslices; i++)
		if (strcmp(a->slices[i].host, b->slices[i].host) || a->slices[i].first != b->slices[i].first ||
		    a->slices[i].last != b->slices[i].last)
			return 0;
	return 1;
}

const struct ol_slice *egress_slice_of(const struct ol_egress *e, const char *host)
{
	if (!host[0])
		return NULL; /* resting slices belong to nobody */
	for (unsigned i = 0; i < e->nslices; i++)
		if (!strcmp(e->slices[i].host, host))
			return &e->slices[i];
	return NULL;
}

void provider_substitute(struct ol_provider *p, const struct ol_provider *b)
{
	for (unsigned k = 0; k < p->naddrs; k++) {
		p->addrs[k].up = 0;
		for (unsigned l = 0; l < b->naddrs; l++)
			if (b->addrs[l].up && b->addrs[l].addr.family == p->addrs[k].addr.family) {
				memcpy(p->addrs[k].mac, b->addrs[l].mac, 6);
				p->addrs[k].up = 1;
				break;
			}
	}
}
