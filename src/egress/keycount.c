/* Counts per key (keycount.h). */
#include "egress/keycount.h"
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

struct kentry {
	uint8_t key[KEYCOUNT_KEY];
	unsigned count;
	struct kentry *next;
};

struct keycount {
	struct kentry **b;
	size_t nb, n;           /* buckets (a power of two), keys */
	uint8_t hkey[crypto_shorthash_KEYBYTES];
};

static size_t slot(const struct keycount *t, const uint8_t key[KEYCOUNT_KEY])
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v;
	crypto_shorthash(h, key, KEYCOUNT_KEY, t->hkey);
	memcpy(&v, h, sizeof(v));
	return (size_t)v & (t->nb - 1);
}

static struct kentry **find(const struct keycount *t, const uint8_t key[KEYCOUNT_KEY])
{
	struct kentry **pp = &t->b[slot(t, key)];
	while (*pp && memcmp((*pp)->key, key, KEYCOUNT_KEY))
		pp = &(*pp)->next;
	return pp;
}

int keycount_new(struct keycount **out)
{
	struct keycount *t = calloc(1, sizeof(*t));
	if (!t || sodium_init() < 0 || !(t->b = calloc(64, sizeof(*t->b)))) {
		free(t);
		return -ENOMEM;
	}
	t->nb = 64;
	crypto_shorthash_keygen(t->hkey);
	*out = t;
	return 0;
}

void keycount_free(struct keycount *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nb; i++)
		for (struct kentry *e = t->b[i], *next; e; e = next) {
			next = e->next;
			free(e);
		}
	free(t->b);
	free(t);
}

/* more buckets when the chains would grow; without memory, longer chains */
static void grow(struct keycount *t)
{
	size_t onb = t->nb;
	struct kentry **old = t->b, **b = calloc(onb * 2, sizeof(*b));
	if (!b)
		return;
	t->b = b;
	t->nb = onb * 2;
	for (size_t i = 0; i < onb; i++)
		for (struct kentry *e = old[i], *next; e; e = next) {
			next = e->next;
			size_t s = slot(t, e->key);
			e->next = b[s];
			b[s] = e;
		}
	free(old);
}

unsigned keycount_get(const struct keycount *t, const uint8_t key[KEYCOUNT_KEY])
{
	const struct kentry *e = *find(t, key);
	return e ? e->count : 0;
}

int keycount_inc(struct keycount *t, const uint8_t key[KEYCOUNT_KEY])
{
	struct kentry **pp = find(t, key);
	if (!*pp) {
		if (!(*pp = calloc(1, sizeof(**pp))))
			return -ENOMEM;
		memcpy((*pp)->key, key, KEYCOUNT_KEY);
		t->n++;
	}
	(*pp)->count++;
	if (t->n > t->nb)
		grow(t);
	return 0;
}

void keycount_dec(struct keycount *t, const uint8_t key[KEYCOUNT_KEY])
{
	struct kentry **pp = find(t, key), *e = *pp;
	if (!e || --e->count)
		return;
	*pp = e->next;
	free(e);
	t->n--;
}

size_t keycount_size(const struct keycount *t)
{
	return t->n;
}

void keycount_each(const struct keycount *t, void (*f)(void *arg, const uint8_t *key, unsigned count), void *arg)
{
	for (size_t i = 0; i < t->nb; i++)
		for (const struct kentry *e = t->b[i]; e; e = e->next)
			f(arg, e->key, e->count);
}
