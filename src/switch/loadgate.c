/* The switch agent's load gate (loadgate.h). */
#include "switch/loadgate.h"
#include <sodium.h>
#include <string.h>

void loadgate_init(struct loadgate *g)
{
	memset(g, 0, sizeof(*g));
	randombytes_buf(g->key, sizeof(g->key));
}

/* the per-second counts of key work, rolled forward to now */
static void roll(struct loadgate *g, uint64_t now)
{
	if (now - g->win_ms < 1000)
		return;
	g->dh_prev = now - g->win_ms < 2000 ? g->dh_now : 0;
	g->dh_now = 0;
	g->win_ms = now;
}

int loadgate_under_load(struct loadgate *g, uint64_t now, unsigned unauth)
{
	roll(g, now);
	/* the last second, as a sliding window over the two counts */
	uint64_t into = now - g->win_ms;
	unsigned dh = g->dh_now + (unsigned)((uint64_t)g->dh_prev * (1000 - into) / 1000);
	if (unauth >= LOADGATE_UNAUTH || dh >= LOADGATE_FIRST) {
		if (now >= g->until_ms)
			g->episodes++;
		g->until_ms = now + LOADGATE_HOLD_MS;
	}
	return now < g->until_ms;
}

void loadgate_first(struct loadgate *g, uint64_t now)
{
	roll(g, now);
	g->dh_now++;
}

/* a bucket's tokens at now (full after BURST / RATE seconds idle) */
static uint32_t tokens_at(const struct loadgate_bucket *b, uint64_t now)
{
	uint64_t add = (now - b->ms) * LOADGATE_RATE;
	return add >= LOADGATE_BURST * 1000u - b->tokens ? LOADGATE_BURST * 1000u : b->tokens + (uint32_t)add;
}

int loadgate_take(struct loadgate *g, uint64_t now, const struct ol_addr *addr)
{
	uint8_t h[8];
	uint64_t i;
	crypto_shorthash_siphash24(h, addr->bytes, sizeof(addr->bytes), g->key);
	memcpy(&i, h, sizeof(i));
	struct loadgate_bucket *set = &g->slot[(i % (LOADGATE_SLOTS / LOADGATE_WAYS)) * LOADGATE_WAYS], *b = NULL;
	for (unsigned w = 0; w < LOADGATE_WAYS && !b; w++)
		if (set[w].addr.family && !addr_cmp(&set[w].addr, addr))
			b = &set[w];
	/* a new address takes an entry of its set that is full again (or
	 * never used): dropping it forgets nothing. None: the set is busy
	 * with addresses spending their share, and this one waits too. */
	for (unsigned w = 0; w < LOADGATE_WAYS && !b; w++)
		if (!set[w].addr.family || tokens_at(&set[w], now) == LOADGATE_BURST * 1000u) {
			b = &set[w];
			b->addr = *addr;
			b->ms = now;
			b->tokens = LOADGATE_BURST * 1000u;
		}
	if (!b) {
		g->limited++;
		return -1;
	}
	b->tokens = tokens_at(b, now);
	b->ms = now;
	if (b->tokens < 1000) {
		g->limited++;
		return -1;
	}
	b->tokens -= 1000;
	return 0;
}
