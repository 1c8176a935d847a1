/* Per-client flow counts (clients.h): a hash table of the addresses that
 * hold a flow, keyed by SipHash (libsodium's crypto_shorthash) under a
 * random key, so that clients cannot choose colliding addresses. An entry
 * lives while its address holds a flow: the table is never larger than
 * the flows, which the descriptors bound. */
#include "egress/clients.h"
#include <errno.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

struct centry {
	uint8_t family;
	uint8_t addr[16];
	unsigned flows;
	struct centry *next;
};

struct clients {
	struct centry **b;
	size_t nb;              /* buckets, a power of two */
	size_t n;               /* entries: addresses holding a flow */
	unsigned long flows, fds, max_fds;
	unsigned limit;
	unsigned long refused[CLIENT_VERDICTS];
	uint8_t key[crypto_shorthash_KEYBYTES];
};

static int key_of(const struct sockaddr *sa, uint8_t *family, uint8_t addr[16])
{
	memset(addr, 0, 16);
	*family = (uint8_t)sa->sa_family;
	if (sa->sa_family == AF_INET)
		memcpy(addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	else if (sa->sa_family == AF_INET6)
		memcpy(addr, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	else
		return -1;
	return 0;
}

static size_t slot(const struct clients *t, uint8_t family, const uint8_t addr[16])
{
	uint8_t in[17], h[crypto_shorthash_BYTES];
	uint64_t v;
	in[0] = family;
	memcpy(in + 1, addr, 16);
	crypto_shorthash(h, in, sizeof(in), t->key);
	memcpy(&v, h, sizeof(v));
	return (size_t)v & (t->nb - 1);
}

static struct centry **find(struct clients *t, uint8_t family, const uint8_t addr[16])
{
	struct centry **pp = &t->b[slot(t, family, addr)];
	while (*pp && ((*pp)->family != family || memcmp((*pp)->addr, addr, 16)))
		pp = &(*pp)->next;
	return pp;
}

/* more buckets when the chains would grow; a failure keeps the table */
static void grow(struct clients *t)
{
	size_t nb = t->nb * 2;
	struct centry **b = calloc(nb, sizeof(*b));
	if (!b)
		return;
	struct centry **old = t->b;
	size_t onb = t->nb;
	t->b = b;
	t->nb = nb;
	for (size_t i = 0; i < onb; i++)
		for (struct centry *e = old[i], *next; e; e = next) {
			next = e->next;
			size_t s = slot(t, e->family, e->addr);
			e->next = b[s];
			b[s] = e;
		}
	free(old);
}

int clients_new(struct clients **out, unsigned limit, unsigned long max_fds)
{
	struct clients *t = calloc(1, sizeof(*t));
	if (!t || sodium_init() < 0 || !(t->b = calloc(64, sizeof(*t->b)))) {
		free(t);
		return -ENOMEM;
	}
	t->nb = 64;
	t->limit = limit;
	t->max_fds = max_fds;
	crypto_shorthash_keygen(t->key);
	*out = t;
	return 0;
}

void clients_free(struct clients *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nb; i++)
		for (struct centry *e = t->b[i], *next; e; e = next) {
			next = e->next;
			free(e);
		}
	free(t->b);
	free(t);
}

void clients_set_limit(struct clients *t, unsigned limit)
{
	if (t)
		t->limit = limit;
}

unsigned clients_limit(const struct clients *t)
{
	return t ? t->limit : 0;
}

unsigned long clients_max_fds(const struct clients *t)
{
	return t ? t->max_fds : 0;
}

unsigned long clients_fds(const struct clients *t)
{
	return t ? t->fds : 0;
}

int clients_fds_take(struct clients *t, unsigned n)
{
	if (!t)
		return 0;
	if (t->fds + n > t->max_fds) {
		t->refused[CLIENT_NO_ROOM]++;
		return -1;
	}
	t->fds += n;
	return 0;
}

void clients_fds_give(struct clients *t, unsigned n)
{
	if (t)
		t->fds = n < t->fds ? t->fds - n : 0;
}

enum client_verdict clients_admit(struct clients *t, const struct sockaddr *client, int tight)
{
	uint8_t family, addr[16];
	enum client_verdict v = CLIENT_OK;
	if (!t)
		return CLIENT_OK;
	if (key_of(client, &family, addr)) { /* not IP: TPROXY never hands one over */
		t->refused[CLIENT_NO_ROOM]++;
		return CLIENT_NO_ROOM;
	}
	struct centry **pp = find(t, family, addr);
	unsigned have = *pp ? (*pp)->flows : 0;
	if (t->fds + CLIENT_FLOW_FDS > t->max_fds)
		v = CLIENT_NO_ROOM;
	else if (have >= t->limit)
		v = CLIENT_OVER_LIMIT;
	/* at least the average of the clients holding flows: have * n >= flows */
	else if (tight && have && (unsigned long long)have * t->n >= t->flows)
		v = CLIENT_HEAVY;
	if (!v && !*pp) {
		struct centry *e = calloc(1, sizeof(*e));
		if (!e) {
			v = CLIENT_NO_ROOM;
		} else {
			e->family = family;
			memcpy(e->addr, addr, 16);
			*pp = e;
			t->n++;
		}
	}
	if (v) {
		t->refused[v]++;
		return v;
	}
	(*pp)->flows++;
	t->flows++;
	t->fds += CLIENT_FLOW_FDS;
	if (t->n > t->nb)
		grow(t);
	return CLIENT_OK;
}

void clients_release(struct clients *t, const struct sockaddr *client)
{
	uint8_t family, addr[16];
	if (!t || key_of(client, &family, addr))
		return;
	struct centry **pp = find(t, family, addr), *e = *pp;
	if (!e)
		return;
	t->flows--;
	clients_fds_give(t, CLIENT_FLOW_FDS);
	if (--e->flows)
		return;
	*pp = e->next;
	free(e);
	t->n--;
}

size_t clients_active(const struct clients *t)
{
	return t ? t->n : 0;
}

unsigned long clients_flows(const struct clients *t)
{
	return t ? t->flows : 0;
}

unsigned clients_of(const struct clients *t, const struct sockaddr *client)
{
	uint8_t family, addr[16];
	if (!t || key_of(client, &family, addr))
		return 0;
	struct centry **pp = find((struct clients *)t, family, addr);
	return *pp ? (*pp)->flows : 0;
}

unsigned long clients_refused(const struct clients *t, enum client_verdict v)
{
	return t && v < CLIENT_VERDICTS ? t->refused[v] : 0;
}

static void to_sockaddr(const struct centry *e, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	ss->ss_family = e->family;
	if (e->family == AF_INET)
		memcpy(&((struct sockaddr_in *)ss)->sin_addr, e->addr, 4);
	else
		memcpy(&((struct sockaddr_in6 *)ss)->sin6_addr, e->addr, 16);
}

size_t clients_top(const struct clients *t, struct client_count *out, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; t && i < t->nb && n; i++)
		for (const struct centry *e = t->b[i]; e; e = e->next) {
			/* insertion into the n kept, most flows first */
			size_t j = k < n ? k++ : n;
			if (j == n && out[n - 1].flows >= e->flows)
				continue;
			if (j == n)
				j = n - 1;
			while (j > 0 && out[j - 1].flows < e->flows) {
				out[j] = out[j - 1];
				j--;
			}
			out[j].flows = e->flows;
			to_sockaddr(e, &out[j].addr);
		}
	return k;
}

const char *client_verdict_str(enum client_verdict v)
{
	switch (v) {
	case CLIENT_OK:
		return "admitted";
	case CLIENT_OVER_LIMIT:
		return "client-flows";
	case CLIENT_HEAVY:
		return "slice-tight";
	case CLIENT_NO_ROOM:
		return "descriptors";
	default:
		return "?";
	}
}
