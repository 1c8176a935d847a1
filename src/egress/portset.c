/* (destination, source port) pairs (portset.h): keys of keycount.c, each
 * counted once. */
#include "egress/portset.h"
#include "egress/keycount.h"
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

struct portset {
	struct keycount *k;
};

/* family, address (16), destination port, source port */
static void key_of(const struct sockaddr *dst, uint16_t sport, uint8_t key[KEYCOUNT_KEY])
{
	memset(key, 0, KEYCOUNT_KEY);
	key[0] = (uint8_t)dst->sa_family;
	if (dst->sa_family == AF_INET) {
		memcpy(key + 1, &((const struct sockaddr_in *)dst)->sin_addr, 4);
		memcpy(key + 17, &((const struct sockaddr_in *)dst)->sin_port, 2);
	} else {
		memcpy(key + 1, &((const struct sockaddr_in6 *)dst)->sin6_addr, 16);
		memcpy(key + 17, &((const struct sockaddr_in6 *)dst)->sin6_port, 2);
	}
	memcpy(key + 19, &sport, 2);
}

int portset_new(struct portset **out)
{
	struct portset *s = malloc(sizeof(*s));
	if (!s || keycount_new(&s->k)) {
		free(s);
		return -ENOMEM;
	}
	*out = s;
	return 0;
}

void portset_free(struct portset *s)
{
	if (s)
		keycount_free(s->k);
	free(s);
}

int portset_add(struct portset *s, const struct sockaddr *dst, uint16_t sport)
{
	uint8_t key[KEYCOUNT_KEY];
	key_of(dst, sport, key);
	return keycount_get(s->k, key) ? 0 : keycount_inc(s->k, key);
}

void portset_del(struct portset *s, const struct sockaddr *dst, uint16_t sport)
{
	uint8_t key[KEYCOUNT_KEY];
	key_of(dst, sport, key);
	keycount_dec(s->k, key);
}

int portset_has(const struct portset *s, const struct sockaddr *dst, uint16_t sport)
{
	uint8_t key[KEYCOUNT_KEY];
	key_of(dst, sport, key);
	return keycount_get(s->k, key) != 0;
}

unsigned long portset_size(const struct portset *s)
{
	return s ? keycount_size(s->k) : 0;
}
