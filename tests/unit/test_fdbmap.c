/* The bridge FDB mirror (switch/fdbmap.c) against a plain array, under
 * random learns, moves and deletes with many collisions; its bound; and a
 * churn of learned-then-deleted MACs that leaves nothing behind. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "switch/fdbmap.h"
#include <linux/neighbour.h>
#include "switch/track.h"

#define KEYS 3000

static void mac_of(unsigned k, uint8_t mac[6])
{
	mac[0] = 0x02;
	mac[1] = 0xaa; /* never the provider's 02:00:... */
	mac[2] = (uint8_t)(k >> 24);
	mac[3] = (uint8_t)(k >> 16);
	mac[4] = (uint8_t)(k >> 8);
	mac[5] = (uint8_t)k;
}

static void against_reference(void **state)
{
	(void)state;
	static int ref[2][KEYS]; /* port by (bridge, key); 0: absent */
	struct fdbmap m;
	uint8_t mac[6];
	size_t n = 0;
	memset(ref, 0, sizeof(ref));
	fdbmap_init(&m, 2 * KEYS);
	srand(7);
	for (int op = 0; op < 400000; op++) {
		unsigned k = (unsigned)rand() % KEYS, b = (unsigned)rand() % 2;
		int master = 10 + (int)b, port = 1 + rand() % 5;
		mac_of(k, mac);
		if (rand() % 3) {
			int r = fdbmap_put(&m, master, mac, port);
			assert_int_equal(r, ref[b][k] != port);
			n += !ref[b][k];
			ref[b][k] = port;
		} else {
			assert_int_equal(fdbmap_del(&m, master, mac), ref[b][k] != 0);
			n -= ref[b][k] != 0;
			ref[b][k] = 0;
		}
		assert_int_equal(m.n, n);
		if (op % 997 == 0)
			for (unsigned j = 0; j < KEYS; j++) {
				mac_of(j, mac);
				assert_int_equal(fdbmap_get(&m, 10, mac), ref[0][j]);
				assert_int_equal(fdbmap_get(&m, 11, mac), ref[1][j]);
			}
	}
	fdbmap_free(&m);
}

static void bounded(void **state)
{
	(void)state;
	struct fdbmap m;
	uint8_t mac[6];
	fdbmap_init(&m, 100);
	for (unsigned k = 0; k < 100; k++) {
		mac_of(k, mac);
		assert_int_equal(fdbmap_put(&m, 10, mac, 1), 1);
	}
	mac_of(100, mac);
	assert_int_equal(fdbmap_put(&m, 10, mac, 1), -ENOSPC);
	mac_of(5, mac);
	assert_int_equal(fdbmap_put(&m, 10, mac, 2), 1); /* a move is no new entry */
	assert_int_equal(m.n, 100);
	fdbmap_free(&m);
}

/* three rounds of 100k learned, then deleted: nothing left, memory back */
static void churn_leaves_nothing(void **state)
{
	(void)state;
	struct fdbmap m;
	uint8_t mac[6];
	fdbmap_init(&m, 200000);
	for (int round = 0; round < 3; round++) {
		for (unsigned k = 0; k < 100000; k++) {
			mac_of(k + (unsigned)round * 100000, mac);
			assert_int_equal(fdbmap_put(&m, 10, mac, 3), 1);
		}
		assert_int_equal(m.n, 100000);
		for (unsigned k = 0; k < 100000; k++) {
			mac_of(k + (unsigned)round * 100000, mac);
			assert_int_equal(fdbmap_del(&m, 10, mac), 1);
		}
		assert_int_equal(m.n, 0);
		assert_true(m.cap <= 128);
	}
	fdbmap_free(&m);
}

/* The tracker: a host's random MACs fill the mirror to its bound and are
 * counted beyond it; a provider's MAC is still mirrored, so its port is
 * known and it comes up. */
static void tracker_bound_keeps_providers(void **state)
{
	(void)state;
	static struct config cfg;
	static struct cfg_provider prov;
	struct tracker t;
	memset(&cfg, 0, sizeof(cfg));
	memset(&prov, 0, sizeof(prov));
	strcpy(prov.name, "transit-a");
	strcpy(prov.ifname, "br0");
	prov.table = 101;
	addr_parse("10.0.1.1", &prov.addrs[0]);
	prov.naddrs = 1;
	cfg.sw.providers = &prov;
	cfg.sw.nproviders = 1;
	assert_int_equal(track_init(&t, &cfg.sw), 0);
	struct nl_event ev = { .type = NLE_LINK };
	ev.link = (struct nl_link){ .ifindex = 10, .up = 1 };
	strcpy(ev.link.name, "br0");
	track_event(&t, &ev);
	ev.link = (struct nl_link){ .ifindex = 11, .up = 1, .master = 10 };
	strcpy(ev.link.name, "sw-pa");
	track_event(&t, &ev);
	ev.link = (struct nl_link){ .ifindex = 12, .up = 1, .master = 10 };
	strcpy(ev.link.name, "sw-h1");
	track_event(&t, &ev);
	for (unsigned k = 0; k < TRACK_FDB_MAX + 1000; k++) {
		struct nl_event f = { .type = NLE_FDB };
		f.fdb = (struct nl_fdb){ .master = 10, .port = 12 };
		mac_of(k, f.fdb.mac);
		track_event(&t, &f);
	}
	assert_int_equal(t.fdb.n, TRACK_FDB_MAX);
	assert_int_equal(t.fdb_overflows, 1000);
	/* the provider resolves; the bridge learns its MAC on its port */
	struct nl_event nb = { .type = NLE_NEIGH };
	nb.neigh.ifindex = 10;
	addr_parse("10.0.1.1", &nb.neigh.dst);
	nb.neigh.state = NUD_REACHABLE;
	mac_parse("02:00:00:00:01:01", nb.neigh.lladdr);
	nb.neigh.has_lladdr = 1;
	track_event(&t, &nb);
	struct nl_event f = { .type = NLE_FDB };
	f.fdb = (struct nl_fdb){ .master = 10, .port = 11 };
	mac_parse("02:00:00:00:01:01", f.fdb.mac);
	track_event(&t, &f);
	struct ol_provider p;
	track_state(&t, 0, &p);
	assert_true(provider_up(&p));
	assert_int_equal(t.fdb_overflows, 1000);
	/* the host's MACs deleted: the mirror empties */
	for (unsigned k = 0; k < TRACK_FDB_MAX + 1000; k++) {
		struct nl_event d = { .type = NLE_FDB, .deleted = 1 };
		d.fdb = (struct nl_fdb){ .master = 10, .port = 12 };
		mac_of(k, d.fdb.mac);
		track_event(&t, &d);
	}
	assert_int_equal(t.fdb.n, 1);
	track_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(against_reference),
		cmocka_unit_test(bounded),
		cmocka_unit_test(churn_leaves_nothing),
		cmocka_unit_test(tracker_bound_keeps_providers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
