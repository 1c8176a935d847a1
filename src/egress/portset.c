/* (destination, source port) pairs (portset.h): a hash table keyed by
 * SipHash under a random key, its buckets doubled as it grows. */
#include "egress/portset.h"
#include <errno.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

struct pentry {
	uint8_t key[20];        /* family, address (16), destination port (2), spare */
	uint16_t sport;
	struct pentry *next;
};

struct portset {
	struct pentry **b;
	size_t nb, n;
	uint8_t hkey[crypto_shorthash_KEYBYTES];
};

static void key_of(const struct sockaddr *dst, uint8_t key[20])
{
	memset(key, 0, 20);
	key[0] = (uint8_t)dst->sa_family;
	if (dst->sa_family == AF_INET) {
		memcpy(key + 1, &((const struct sockaddr_in *)dst)->sin_addr, 4);
		memcpy(key + 17, &((const struct sockaddr_in *)dst)->sin_port, 2);
	} else {
		memcpy(key + 1, &((const struct sockaddr_in6 *)dst)->sin6_addr, 16);
		memcpy(key + 17, &((const struct sockaddr_in6 *)dst)->sin6_port, 2);
	}
}

static size_t slot(const struct portset *s, const uint8_t key[20], uint16_t sport)
{
	uint8_t in[22], h[crypto_shorthash_BYTES];
	uint64_t v;
	memcpy(in, key, 20);
	memcpy(in + 20, &sport, 2);
	crypto_shorthash(h, in, sizeof(in), s->hkey);
	memcpy(&v, h, sizeof(v));
	return (size_t)v & (s->nb - 1);
}

static struct pentry **find(const struct portset *s, const uint8_t key[20], uint16_t sport)
{
	struct pentry **pp = &s->b[slot(s, key, sport)];
	while (*pp && ((*pp)->sport != sport || memcmp((*pp)->key, key, 20)))
		pp = &(*pp)->next;
	return pp;
}

int portset_new(struct portset **out)
{
	struct portset *s = calloc(1, sizeof(*s));
	if (!s || sodium_init() < 0 || !(s->b = calloc(64, sizeof(*s->b)))) {
		free(s);
		return -ENOMEM;
	}
	s->nb = 64;
	crypto_shorthash_keygen(s->hkey);
	*out = s;
	return 0;
}

void portset_free(struct portset *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nb; i++)
		for (struct pentry *e = s->b[i], *next; e; e = next) {
			next = e->next;
			free(e);
		}
	free(s->b);
	free(s);
}

static void grow(struct portset *s)
{
	size_t onb = s->nb;
	struct pentry **old = s->b, **b = calloc(onb * 2, sizeof(*b));
	if (!b)
		return; /* longer chains, still right */
	s->b = b;
	s->nb = onb * 2;
	for (size_t i = 0; i < onb; i++)
		for (struct pentry *e = old[i], *next; e; e = next) {
			next = e->next;
			size_t k = slot(s, e->key, e->sport);
			e->next = b[k];
			b[k] = e;
		}
	free(old);
}

int portset_add(struct portset *s, const struct sockaddr *dst, uint16_t sport)
{
	uint8_t key[20];
	key_of(dst, key);
	struct pentry **pp = find(s, key, sport);
	if (*pp)
		return 0;
	struct pentry *e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	memcpy(e->key, key, 20);
	e->sport = sport;
	*pp = e;
	if (++s->n > s->nb)
		grow(s);
	return 0;
}

void portset_del(struct portset *s, const struct sockaddr *dst, uint16_t sport)
{
	uint8_t key[20];
	key_of(dst, key);
	struct pentry **pp = find(s, key, sport), *e = *pp;
	if (!e)
		return;
	*pp = e->next;
	free(e);
	s->n--;
}

int portset_has(const struct portset *s, const struct sockaddr *dst, uint16_t sport)
{
	uint8_t key[20];
	key_of(dst, key);
	return *find(s, key, sport) != NULL;
}

unsigned long portset_size(const struct portset *s)
{
	return s ? s->n : 0;
}
