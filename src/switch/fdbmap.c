/* The bridge FDB mirror (fdbmap.h): linear probing, deletion by backward
 * shift (no tombstones, so a churn of learns and deletes never slows the
 * look-ups down), doubling up to what the bound needs, and shrinking when
 * a burst has passed. */
#include "switch/fdbmap.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MIN_CAP 64

void fdbmap_init(struct fdbmap *m, size_t max)
{
	memset(m, 0, sizeof(*m));
	m->max = max;
}

void fdbmap_free(struct fdbmap *m)
{
	free(m->v);
	m->v = NULL;
	m->n = m->cap = 0;
}

static size_t hash_of(int master, const uint8_t mac[6])
{
	/* FNV-1a over the MAC and the bridge */
	uint64_t h = 1469598103934665603ull;
	for (int i = 0; i < 6; i++)
		h = (h ^ mac[i]) * 1099511628211ull;
	for (int i = 0; i < 4; i++)
		h = (h ^ ((uint32_t)master >> (8 * i) & 0xff)) * 1099511628211ull;
	return (size_t)(h ^ h >> 29);
}

static int same(const struct fdb_slot *s, int master, const uint8_t mac[6])
{
	return s->used && s->master == master && !memcmp(s->mac, mac, 6);
}

/* the slot holding the key, or the empty one where it would go */
static size_t find(const struct fdbmap *m, int master, const uint8_t mac[6])
{
	size_t i = hash_of(master, mac) & (m->cap - 1);
	while (m->v[i].used && !same(&m->v[i], master, mac))
		i = (i + 1) & (m->cap - 1);
	return i;
}

static int resize(struct fdbmap *m, size_t cap)
{
	struct fdb_slot *old = m->v;
	size_t oldcap = m->cap;
	struct fdb_slot *v = calloc(cap, sizeof(*v));
	if (!v)
		return -ENOMEM;
	m->v = v;
	m->cap = cap;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].used)
			m->v[find(m, old[i].master, old[i].mac)] = old[i];
	free(old);
	return 0;
}

int fdbmap_put(struct fdbmap *m, int master, const uint8_t mac[6], int port)
{
	if (m->cap) {
		struct fdb_slot *s = &m->v[find(m, master, mac)];
		if (s->used) {
			if (s->port == port)
				return 0;
			s->port = port;
			return 1;
		}
	}
	if (m->n >= m->max)
		return -ENOSPC;
	/* at most 5/8 full */
	if ((m->n + 1) * 8 > m->cap * 5 && resize(m, m->cap ? m->cap * 2 : MIN_CAP))
		return -ENOMEM;
	struct fdb_slot *s = &m->v[find(m, master, mac)];
	*s = (struct fdb_slot){ .used = 1, .master = master, .port = port };
	memcpy(s->mac, mac, 6);
	m->n++;
	return 1;
}

int fdbmap_get(const struct fdbmap *m, int master, const uint8_t mac[6])
{
	if (!m->cap)
		return 0;
	const struct fdb_slot *s = &m->v[find(m, master, mac)];
	return s->used ? s->port : 0;
}

int fdbmap_del(struct fdbmap *m, int master, const uint8_t mac[6])
{
	if (!m->cap)
		return 0;
	size_t i = find(m, master, mac), mask = m->cap - 1;
	if (!m->v[i].used)
		return 0;
	/* backward shift: each entry after the hole that may move into it does */
	for (size_t j = (i + 1) & mask; m->v[j].used; j = (j + 1) & mask) {
		size_t home = hash_of(m->v[j].master, m->v[j].mac) & mask;
		/* j's entry stays only if its home lies in (i, j] (cyclically) */
		if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) {
			m->v[i] = m->v[j];
			i = j;
		}
	}
	m->v[i].used = 0;
	m->n--;
	/* a burst of learns has passed: give the memory back */
	if (m->cap > MIN_CAP && m->n * 8 < m->cap)
		resize(m, m->cap / 2);
	return 1;
}
