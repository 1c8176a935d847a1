/* When the switch agent is under load, and how many handshakes each source
 * address may cost it then (WireGuard's: its paper, section 5.4.7, and its
 * rate limiter). Pure logic, unit-tested; peers.c feeds it.
 *
 * Under load: LOADGATE_UNAUTH connections not yet authenticated or more,
 * or LOADGATE_FIRST first messages (with a good mac1) in the last second,
 * whatever became of them; it lasts LOADGATE_HOLD_MS after the last time
 * either held. (Counting those that arrive, not those taken to key work,
 * keeps a flood under load while the gate holds it back.) Then
 * a first message needs a mac2 for its address (cookie.h), and each
 * address has a bucket of LOADGATE_BURST handshakes, refilled at
 * LOADGATE_RATE a second. The buckets are a fixed table, sets of
 * LOADGATE_WAYS chosen by a keyed hash of the address: bounded memory
 * whatever the number of addresses, and an address whose set is all busy
 * waits (as WireGuard's limiter does when its table is full). */
#ifndef OL_LOADGATE_H
#define OL_LOADGATE_H
#include "base/addr.h"
#include <stdint.h>

#define LOADGATE_UNAUTH 64
#define LOADGATE_FIRST 400
#define LOADGATE_HOLD_MS 1000
#define LOADGATE_RATE 20
#define LOADGATE_BURST 5
#define LOADGATE_SLOTS 4096
#define LOADGATE_WAYS 8

struct loadgate {
	uint64_t win_ms;                 /* the current second's start */
	unsigned dh_now, dh_prev;        /* first messages in it, and in the one before */
	uint64_t until_ms;               /* under load until then */
	uint8_t key[16];                 /* the buckets' hash key, random */
	struct loadgate_bucket {
		struct ol_addr addr;
		uint64_t ms;             /* when it was last filled */
		uint32_t tokens;         /* in thousandths */
	} slot[LOADGATE_SLOTS];
	unsigned long limited;           /* handshakes refused for the rate */
	unsigned long episodes;          /* times it came under load */
};

void loadgate_init(struct loadgate *g);
/* Under load now? unauth: connections not yet authenticated. */
int loadgate_under_load(struct loadgate *g, uint64_t now, unsigned unauth);
/* A first message with a good mac1 arrived (now: ms). */
void loadgate_first(struct loadgate *g, uint64_t now);
/* Under load: 0 if addr may have one more handshake, -1 if not (counted). */
int loadgate_take(struct loadgate *g, uint64_t now, const struct ol_addr *addr);
#endif
