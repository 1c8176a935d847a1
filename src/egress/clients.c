/* Per-client flow counts (clients.h): the addresses that hold a flow and
 * how many, in keycount.c's table. An address is there while it holds a
 * flow: the table is never larger than the flows, which the descriptors
 * bound. */
#include "egress/clients.h"
#include "egress/keycount.h"
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

struct clients {
	struct keycount *k;     /* flows per address: family, then the address */
	unsigned long flows, fds, max_fds;
	unsigned limit;
	unsigned long refused[CLIENT_VERDICTS];
};

static int key_of(const struct sockaddr *sa, uint8_t key[KEYCOUNT_KEY])
{
	memset(key, 0, KEYCOUNT_KEY);
	key[0] = (uint8_t)sa->sa_family;
	if (sa->sa_family == AF_INET)
		memcpy(key + 1, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	else if (sa->sa_family == AF_INET6)
		memcpy(key + 1, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	else
		return -1;
	return 0;
}

int clients_new(struct clients **out, unsigned limit, unsigned long max_fds)
{
	struct clients *t = calloc(1, sizeof(*t));
	if (!t || keycount_new(&t->k)) {
		free(t);
		return -ENOMEM;
	}
	t->limit = limit;
	t->max_fds = max_fds;
	*out = t;
	return 0;
}

void clients_free(struct clients *t)
{
	if (t)
		keycount_free(t->k);
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
	uint8_t key[KEYCOUNT_KEY];
	enum client_verdict v = CLIENT_OK;
	if (!t)
		return CLIENT_OK;
	if (key_of(client, key)) { /* not IP: TPROXY never hands one over */
		t->refused[CLIENT_NO_ROOM]++;
		return CLIENT_NO_ROOM;
	}
	unsigned have = keycount_get(t->k, key);
	if (t->fds + CLIENT_FLOW_FDS > t->max_fds)
		v = CLIENT_NO_ROOM;
	else if (have >= t->limit)
		v = CLIENT_OVER_LIMIT;
	/* at least the average of the clients holding flows: have * n >= flows */
	else if (tight && have && (unsigned long long)have * keycount_size(t->k) >= t->flows)
		v = CLIENT_HEAVY;
	else if (keycount_inc(t->k, key))
		v = CLIENT_NO_ROOM;
	if (v) {
		t->refused[v]++;
		return v;
	}
	t->flows++;
	t->fds += CLIENT_FLOW_FDS;
	return CLIENT_OK;
}

void clients_release(struct clients *t, const struct sockaddr *client)
{
	uint8_t key[KEYCOUNT_KEY];
	if (!t || key_of(client, key) || !keycount_get(t->k, key))
		return;
	keycount_dec(t->k, key);
	t->flows--;
	clients_fds_give(t, CLIENT_FLOW_FDS);
}

size_t clients_active(const struct clients *t)
{
	return t ? keycount_size(t->k) : 0;
}

unsigned long clients_flows(const struct clients *t)
{
	return t ? t->flows : 0;
}

unsigned clients_of(const struct clients *t, const struct sockaddr *client)
{
	uint8_t key[KEYCOUNT_KEY];
	return t && !key_of(client, key) ? keycount_get(t->k, key) : 0;
}

unsigned long clients_refused(const struct clients *t, enum client_verdict v)
{
	return t && v < CLIENT_VERDICTS ? t->refused[v] : 0;
}

struct top {
	struct client_count *out;
	size_t n, k;
};

/* insertion into the n kept, most flows first */
static void top_add(void *arg, const uint8_t *key, unsigned flows)
{
	struct top *t = arg;
	size_t j = t->k < t->n ? t->k++ : t->n;
	if (j == t->n && t->out[t->n - 1].flows >= flows)
		return;
	if (j == t->n)
		j = t->n - 1;
	while (j > 0 && t->out[j - 1].flows < flows) {
		t->out[j] = t->out[j - 1];
		j--;
	}
	struct sockaddr_storage *ss = &t->out[j].addr;
	memset(ss, 0, sizeof(*ss));
	ss->ss_family = key[0];
	if (key[0] == AF_INET)
		memcpy(&((struct sockaddr_in *)ss)->sin_addr, key + 1, 4);
	else
		memcpy(&((struct sockaddr_in6 *)ss)->sin6_addr, key + 1, 16);
	t->out[j].flows = flows;
}

size_t clients_top(const struct clients *t, struct client_count *out, size_t n)
{
	struct top top = { .out = out, .n = n };
	if (t && n)
		keycount_each(t->k, top_add, &top);
	return top.k;
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
