/* Egress slice leases (switch/leases.c): every live host of a pool gets a
 * slice of each family, balanced over the addresses; a dead host's rest
 * for the quarantine and nobody gets them meanwhile; a host that comes
 * back gets its own again; a restart (the state file) changes none. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "switch/leases.h"
#include "switch/swstate.h"

static char hostnames[8][OL_NAME_MAX] = { "h1", "h2", "h3", "h4", "h5", "h6", "h7", "h8" };

struct world {
	struct cfg_switch sw;
	struct cfg_pool pool;
	int dead[8];
	char log[64][96];
	int nlog;
};

static int dead_fn(void *arg, const char *host)
{
	struct world *w = arg;
	return host[0] == 'h' && host[1] >= '1' && host[1] <= '8' && w->dead[host[1] - '1'];
}

static void note_fn(void *arg, const struct lease *l, const char *what)
{
	struct world *w = arg;
	if (w->nlog < 64)
		snprintf(w->log[w->nlog++], sizeof(w->log[0]), "%s %s %u", what, l->host, l->first);
}

/* 2 IPv4 and 2 IPv6 addresses, 4 slices of 1024 each, 8 hosts: every
 * slice of each family taken */
static void world_init(struct world *w, unsigned nhosts)
{
	memset(w, 0, sizeof(*w));
	snprintf(w->pool.name, sizeof(w->pool.name), "edge");
	const char *a[4] = { "192.0.2.10", "192.0.2.11", "2001:db8:e::10", "2001:db8:e::11" };
	for (int i = 0; i < 4; i++)
		addr_parse(a[i], &w->pool.addrs[i]);
	w->pool.naddrs = 4;
	w->pool.slice_size = 1024;
	w->pool.first = 10000; /* the first aligned slice: 10240 */
	w->pool.last = 14335;
	w->pool.hosts = hostnames;
	w->pool.nhosts = nhosts;
	w->pool.quarantine_ms = 120000;
	w->sw.pools = &w->pool;
	w->sw.npools = 1;
}

static int update(struct world *w, struct leases *L, int64_t now)
{
	w->nlog = 0;
	return leases_update(L, &w->sw, "sw1", now, dead_fn, w, note_fn, w);
}

static const struct lease *held(const struct leases *L, const char *host, int family)
{
	for (size_t i = 0; i < L->n; i++)
		if (L->v[i].state == LEASE_HELD && L->v[i].addr.family == family && !strcmp(L->v[i].host, host))
			return &L->v[i];
	return NULL;
}

static void every_host_one_per_family(void **state)
{
	(void)state;
	struct world w;
	struct leases L = { 0 };
	world_init(&w, 8);
	assert_int_equal(pool_slices(&w.pool), 4);
	assert_int_equal(update(&w, &L, 1000), 16);
	assert_int_equal(L.n, 16);
	unsigned per_addr[4] = { 0 };
	for (int h = 0; h < 8; h++)
		for (int f = 0; f < 2; f++) {
			const struct lease *l = held(&L, hostnames[h], f ? AF_INET6 : AF_INET);
			assert_non_null(l);
			assert_int_equal((l->first - 10240) % 1024, 0);
			assert_int_equal(l->last, l->first + 1023);
			for (int k = 0; k < 4; k++)
				per_addr[k] += !addr_cmp(&l->addr, &w.pool.addrs[k]);
		}
	for (int k = 0; k < 4; k++)
		assert_int_equal(per_addr[k], 4); /* balanced over the addresses */
	/* nothing changes when nothing happened */
	assert_int_equal(update(&w, &L, 2000), 0);
	/* the tables the hosts get: one per address, slices in port order */
	struct ol_egress *t;
	size_t n;
	assert_int_equal(leases_tables(&L, &w.sw, "sw1", &t, &n), 0);
	assert_int_equal(n, 4);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(t[i].nslices, 4);
		for (unsigned k = 1; k < 4; k++)
			assert_true(t[i].slices[k].first > t[i].slices[k - 1].last);
	}
	free(t);
	/* a ninth host finds none: counted */
	w.pool.nhosts = 8;
	unsigned long ex = L.exhausted;
	world_init(&w, 8);
	w.pool.last = 13311; /* 3 slices per address: 6 per family for 8 hosts */
	leases_free(&L);
	update(&w, &L, 1000);
	assert_int_equal(L.exhausted - ex, 4); /* two hosts, two families */
	leases_free(&L);
}

static void death_rests_then_frees(void **state)
{
	(void)state;
	struct world w;
	struct leases L = { 0 };
	world_init(&w, 7); /* one slice of each family spare */
	update(&w, &L, 1000);
	struct lease old4 = *held(&L, "h1", AF_INET), old6 = *held(&L, "h1", AF_INET6);
	w.dead[0] = 1;
	assert_int_equal(update(&w, &L, 5000), 2);
	assert_string_equal(w.log[0], "rests h1 10240");
	assert_null(held(&L, "h1", AF_INET));
	/* resting: in the tables without a host, so that no host steers it */
	struct ol_egress *t;
	size_t n;
	leases_tables(&L, &w.sw, "sw1", &t, &n);
	int resting = 0;
	for (size_t i = 0; i < n; i++)
		for (unsigned k = 0; k < t[i].nslices; k++)
			resting += !t[i].slices[k].host[0] && t[i].slices[k].first == old4.first &&
				   !addr_cmp(&t[i].addr, &old4.addr);
	assert_int_equal(resting, 1);
	free(t);
	/* a newcomer during the quarantine gets the spare slice, never it */
	w.pool.nhosts = 8;
	assert_int_equal(update(&w, &L, 6000), 2);
	const struct lease *n4 = held(&L, "h8", AF_INET);
	assert_non_null(n4);
	assert_false(n4->first == old4.first && !addr_cmp(&n4->addr, &old4.addr));
	/* back before the quarantine ends: its own slices again */
	w.dead[0] = 0;
	assert_int_equal(update(&w, &L, 7000), 2);
	assert_string_equal(w.log[0], "back h1 10240");
	assert_int_equal(held(&L, "h1", AF_INET)->first, old4.first);
	assert_int_equal(addr_cmp(&held(&L, "h1", AF_INET6)->addr, &old6.addr), 0);
	/* dead again, past the quarantine: free, and leased again when
	 * someone needs one (here h1 itself, coming back later) */
	w.dead[0] = 1;
	update(&w, &L, 10000);
	assert_int_equal(update(&w, &L, 10000 + 119999), 0);
	assert_int_equal(update(&w, &L, 10000 + 120000), 2);
	assert_string_equal(w.log[0], "freed h1 10240");
	assert_int_equal(L.n, 14);
	w.dead[0] = 0;
	assert_int_equal(update(&w, &L, 200000), 2);
	assert_string_equal(w.log[0], "leased h1 10240");
	leases_free(&L);
}

static void config_changes(void **state)
{
	(void)state;
	struct world w;
	struct leases L = { 0 };
	world_init(&w, 4);
	update(&w, &L, 1000);
	/* a host taken out of the pool: its slices rest */
	w.pool.nhosts = 3;
	assert_int_equal(update(&w, &L, 2000), 2);
	assert_string_equal(w.log[0], "rests h4 11264");
	/* the pool cut anew: every old slice ends, new ones are leased */
	w.pool.slice_size = 2048;
	assert_true(update(&w, &L, 3000) > 0);
	assert_string_equal(w.log[0], "ended h1 10240");
	for (size_t i = 0; i < L.n; i++)
		assert_int_equal(L.v[i].last - L.v[i].first, 2047);
	/* a pool removed: its leases end */
	w.sw.npools = 0;
	update(&w, &L, 4000);
	assert_int_equal(L.n, 0);
	leases_free(&L);
}

/* the state file keeps them: encode, decode, and the same leases with
 * no change at the next update */
static void restart_changes_nothing(void **state)
{
	(void)state;
	struct world w;
	struct swstate st = { 0 }, back = { 0 };
	const char *why;
	world_init(&w, 8);
	w.dead[2] = 1;
	update(&w, &st.leases, 1000);
	w.dead[2] = 0;
	w.dead[3] = 1;
	update(&w, &st.leases, 1000);
	char *text = swstate_encode(&st);
	assert_non_null(text);
	assert_int_equal(swstate_decode(&back, text, &why), 0);
	assert_int_equal(back.leases_bad, 0);
	assert_int_equal(back.leases.n, st.leases.n);
	assert_memory_equal(back.leases.v, st.leases.v, st.leases.n * sizeof(*st.leases.v));
	assert_int_equal(update(&w, &back.leases, 1500), 0);
	/* an entry that does not decode is skipped and counted; the rest stay */
	free(text);
	text = strdup("{\"onlink_state\": 1, \"role\": \"switch\", \"leases\": [{\"pool\": \"edge\", \"address\": "
		      "\"192.0.2.10\", \"first\": 10240, \"last\": 11263, \"host\": \"h1\", \"state\": \"held\", "
		      "\"since\": 5}, {\"pool\": \"edge\", \"address\": \"x\"}, {\"pool\": \"edge\", \"address\": "
		      "\"192.0.2.10\", \"first\": 10240, \"last\": 11263, \"host\": \"h2\", \"state\": \"held\", "
		      "\"since\": 5}]}");
	assert_int_equal(swstate_decode(&back, text, &why), 0);
	assert_int_equal(back.leases.n, 1);
	assert_int_equal(back.leases_bad, 2); /* a bad one, and a slice given twice */
	free(text);
	swstate_free(&st);
	swstate_free(&back);
}

/* onlink egress move: a new slice of each family, the old ones free (the
 * new ones are not moved in turn: that looped once) */
static void move_gives_new_slices(void **state)
{
	(void)state;
	struct world w;
	struct leases L = { 0 };
	world_init(&w, 7); /* one slice of each family spare */
	update(&w, &L, 1000);
	struct lease o4 = *held(&L, "h2", AF_INET), o6 = *held(&L, "h2", AF_INET6);
	w.nlog = 0;
	assert_int_equal(leases_move(&L, &w.sw, "h2", 2000, note_fn, &w), 2);
	assert_int_equal(L.n, 14);
	const struct lease *n4 = held(&L, "h2", AF_INET), *n6 = held(&L, "h2", AF_INET6);
	assert_non_null(n4);
	assert_non_null(n6);
	assert_false(n4->first == o4.first && !addr_cmp(&n4->addr, &o4.addr));
	assert_false(n6->first == o6.first && !addr_cmp(&n6->addr, &o6.addr));
	assert_string_equal(w.log[0], "moved h2 10240");
	/* its old slices are free: the next host that needs one gets one */
	assert_int_equal(update(&w, &L, 3000), 0);
	w.pool.nhosts = 8;
	assert_int_equal(update(&w, &L, 3000), 2);
	/* a full pool: nothing to move to */
	assert_int_equal(leases_move(&L, &w.sw, "h3", 4000, note_fn, &w), 0);
	assert_int_equal(leases_move(&L, &w.sw, "nobody", 4000, note_fn, &w), 0);
	leases_free(&L);
}

/* a follower (another switch agent leads): decides nothing, holds the
 * tables the hosts follow, and says so (decided 0) */
static void follower_adopts(void **state)
{
	(void)state;
	struct world w;
	struct leases L = { 0 };
	world_init(&w, 8);
	strcpy(w.pool.leader, "sw2");
	w.dead[0] = 1;
	assert_int_equal(update(&w, &L, 1000), 0);
	assert_int_equal(L.n, 0);
	struct ol_egress *t;
	size_t n;
	assert_int_equal(leases_tables(&L, &w.sw, "sw1", &t, &n), 0);
	assert_int_equal(n, 4); /* every address, empty: the hosts tell it the leader's */
	assert_int_equal(t[0].decided, 0);
	assert_int_equal(t[0].nslices, 0);
	free(t);
	struct ol_egress seen = { .addr = w.pool.addrs[0], .decided = 1, .nslices = 2 };
	strcpy(seen.slices[0].host, "h1");
	seen.slices[0].first = 10240, seen.slices[0].last = 11263;
	strcpy(seen.slices[1].host, "h2");
	seen.slices[1].first = 11264, seen.slices[1].last = 12287;
	assert_int_equal(leases_adopt(&L, &w.pool, &seen, 2000), 2);
	assert_int_equal(leases_adopt(&L, &w.pool, &seen, 2500), 0);
	/* h2's rests at the leader: resting here too, its holder remembered */
	seen.slices[1].host[0] = 0;
	assert_int_equal(leases_adopt(&L, &w.pool, &seen, 3000), 1);
	assert_int_equal(L.v[1].state, LEASE_RESTING);
	assert_string_equal(L.v[1].host, "h2");
	assert_int_equal(L.v[1].until, 3000 + 120000);
	/* deaths and quarantines are the leader's: nothing here */
	assert_int_equal(update(&w, &L, 999999), 0);
	/* gone from the leader's table: gone */
	seen.nslices = 1;
	assert_int_equal(leases_adopt(&L, &w.pool, &seen, 4000), 1);
	assert_int_equal(L.n, 1);
	/* the leader itself decides */
	strcpy(w.pool.leader, "sw1");
	assert_int_equal(leases_tables(&L, &w.sw, "sw1", &t, &n), 0);
	assert_int_equal(t[0].decided, 1);
	free(t);
	leases_free(&L);
}

/* a busy host gets one more slice (of the same address when it can), and
 * gives the extra back once under half used for shrink-after */
static unsigned used_h1;
static unsigned use_fn(void *arg, const struct lease *l)
{
	(void)arg;
	if (strcmp(l->host, "h1"))
		return 0;
	/* h1's use, spread over its slices in the order of their ports */
	unsigned size = l->last - l->first + 1u;
	return l->first == 10240 ? (used_h1 > size ? size : used_h1) : (used_h1 > size ? used_h1 - size : 0);
}

static void busy_host_grows_and_shrinks(void **state)
{
	(void)state;
	struct world w;
	struct leases L = { 0 };
	world_init(&w, 4); /* h1 gets 10240-11263 of the first address of each family */
	w.pool.shrink_after_ms = 60000;
	update(&w, &L, 1000);
	assert_int_equal(held(&L, "h1", AF_INET)->first, 10240);
	used_h1 = 900; /* under 90% of 1024 */
	assert_int_equal(leases_fit(&L, &w.sw, "sw1", 2000, use_fn, NULL, note_fn, &w), 0);
	used_h1 = 930; /* over */
	w.nlog = 0;
	assert_int_equal(leases_fit(&L, &w.sw, "sw1", 3000, use_fn, NULL, note_fn, &w), 2); /* IPv4 and IPv6 */
	assert_string_equal(w.log[0], "grew h1 12288"); /* the same address's next free slice */
	size_t n = 0;
	for (size_t i = 0; i < L.n; i++)
		if (!strcmp(L.v[i].host, "h1") && L.v[i].addr.family == AF_INET) {
			assert_int_equal(addr_cmp(&L.v[i].addr, &w.pool.addrs[0]), 0);
			n++;
		}
	assert_int_equal(n, 2);
	/* over 90% of both (1843 of 2048): a third */
	used_h1 = 1900;
	assert_int_equal(leases_fit(&L, &w.sw, "sw1", 4000, use_fn, NULL, note_fn, &w), 2);
	/* under half of 3072: the minute starts; not before it is over */
	used_h1 = 1000;
	assert_int_equal(leases_fit(&L, &w.sw, "sw1", 5000, use_fn, NULL, note_fn, &w), 0);
	assert_int_equal(leases_fit(&L, &w.sw, "sw1", 64999, use_fn, NULL, note_fn, &w), 0);
	w.nlog = 0;
	assert_int_equal(leases_fit(&L, &w.sw, "sw1", 65000, use_fn, NULL, note_fn, &w), 2);
	assert_true(!strncmp(w.log[0], "shrank h1", 9));
	/* back over half: the clock stops */
	used_h1 = 1100;
	assert_int_equal(leases_fit(&L, &w.sw, "sw1", 200000, use_fn, NULL, note_fn, &w), 0);
	used_h1 = 100;
	assert_int_equal(leases_fit(&L, &w.sw, "sw1", 200001, use_fn, NULL, note_fn, &w), 0);
	assert_int_equal(leases_fit(&L, &w.sw, "sw1", 260001, use_fn, NULL, note_fn, &w), 2);
	/* one slice a family: never given back */
	assert_int_equal(leases_fit(&L, &w.sw, "sw1", 999999, use_fn, NULL, note_fn, &w), 0);
	assert_int_equal(held(&L, "h1", AF_INET)->first, 10240);
	leases_free(&L);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_host_one_per_family),
		cmocka_unit_test(death_rests_then_frees),
		cmocka_unit_test(config_changes),
		cmocka_unit_test(restart_changes_nothing),
		cmocka_unit_test(move_gives_new_slices),
		cmocka_unit_test(follower_adopts),
		cmocka_unit_test(busy_host_grows_and_shrinks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
