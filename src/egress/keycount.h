/* A count per fixed-size key: a hash table keyed by SipHash (libsodium's
 * crypto_shorthash) under a random key, so that peers cannot choose
 * colliding keys; its buckets double as it grows, and a key lives only
 * while its count is above 0. Shared by clients.c (flows per client
 * address) and portset.c (the ports own flows hold per destination). */
#ifndef OL_EGRESS_KEYCOUNT_H
#define OL_EGRESS_KEYCOUNT_H
#include <stddef.h>
#include <stdint.h>

#define KEYCOUNT_KEY 24

struct keycount;

/* 0, or -ENOMEM */
int keycount_new(struct keycount **out);
void keycount_free(struct keycount *t);
/* key's count, 0 when absent */
unsigned keycount_get(const struct keycount *t, const uint8_t key[KEYCOUNT_KEY]);
/* one more: 0, or -ENOMEM (the count unchanged) */
int keycount_inc(struct keycount *t, const uint8_t key[KEYCOUNT_KEY]);
/* one less; an absent key: nothing */
void keycount_dec(struct keycount *t, const uint8_t key[KEYCOUNT_KEY]);
/* keys whose count is above 0 */
size_t keycount_size(const struct keycount *t);
/* f for every key and its count */
void keycount_each(const struct keycount *t, void (*f)(void *arg, const uint8_t *key, unsigned count), void *arg);
#endif
