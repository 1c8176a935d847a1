/* The provider failure state machine, driven by a fake clock: failover to
 * the backup's MACs, hold-down, flap damping, drain, and what BIRD is told. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include "switch/failover.h"

static struct config cfg;
static struct cfg_provider provs[3];
static struct fo_provider fo[3];
static struct ol_provider obs[3];
static const uint8_t mac_a[6] = { 2, 0, 0, 0, 0, 0xa }, mac_b[6] = { 2, 0, 0, 0, 0, 0xb }, mac_c[6] = { 2, 0, 0, 0, 0, 0xc };

static void provider(int i, const char *name, const char *a4, const char *a6, const uint8_t mac[6], int nbird)
{
	struct cfg_provider *p = &provs[i];
	strcpy(p->name, name);
	p->table = 101 + (uint32_t)i;
	p->hold_down_ms = 30000;
	p->backup_idx = -1;
	p->nbird = (unsigned)nbird;
	addr_parse(a4, &p->addrs[p->naddrs++]);
	if (a6)
		addr_parse(a6, &p->addrs[p->naddrs++]);
	struct ol_provider *o = &obs[i];
	strcpy(o->name, name);
	o->table = p->table;
	o->naddrs = (uint8_t)p->naddrs;
	for (unsigned k = 0; k < p->naddrs; k++) {
		o->addrs[k].addr = p->addrs[k];
		memcpy(o->addrs[k].mac, mac, 6);
		o->addrs[k].up = 1;
	}
}

static int setup(void **state)
{
	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	memset(provs, 0, sizeof(provs));
	memset(obs, 0, sizeof(obs));
	provider(0, "transit-a", "10.0.1.1", "2001:db8:1::1", mac_a, 2);
	provider(1, "transit-b", "10.0.2.1", "2001:db8:2::1", mac_b, 2);
	provider(2, "transit-c", "10.0.3.1", NULL, mac_c, 0);
	provs[0].backup_idx = 1;
	strcpy(provs[0].backup, "transit-b");
	provs[1].backup_idx = 2;
	strcpy(provs[1].backup, "transit-c");
	cfg.sw.providers = provs;
	cfg.sw.nproviders = 3;
	for (int i = 0; i < 3; i++)
		fo_init(&fo[i], 0);
	return 0;
}

static enum fo_action step(int i, int link, int bgp, uint64_t t)
{
	struct fo_obs o = { .link_up = link, .bgp_known = 1, .bgp_up = bgp, .bgp_down = bgp ? NULL : "t4" };
	return fo_step(&fo[i], &provs[i], &o, t);
}

static void all_up(uint64_t t)
{
	for (int i = 0; i < 3; i++)
		assert_int_equal(step(i, 1, 1, t), FO_NONE);
}

/* Carrier loss: the provider is published at once with the backup's MAC for
 * each family, BIRD is told to disable its sessions. */
static void failover_to_backup(void **state)
{
	(void)state;
	all_up(0);
	assert_int_equal(fo[0].state, FO_OK);
	obs[0].addrs[0].up = obs[0].addrs[1].up = 0;
	assert_int_equal(step(0, 0, 1, 1000), FO_BIRD_DISABLE);
	assert_int_equal(fo[0].state, FO_FAILED);
	assert_int_equal(fo[0].failovers, 1);
	struct ol_provider out;
	int via;
	fo_publish(&cfg.sw, fo, obs, 0, &out, &via);
	assert_int_equal(via, 1);
	assert_string_equal(out.name, "transit-a");
	for (int k = 0; k < 2; k++) {
		assert_true(out.addrs[k].up);
		assert_memory_equal(out.addrs[k].mac, mac_b, 6);
	}
}

/* The backup is down too: its own backup (IPv4 only) carries IPv4, and the
 * IPv6 address, with no provider left for it, is published down. */
static void backup_chain(void **state)
{
	(void)state;
	all_up(0);
	step(0, 0, 1, 1000);
	obs[1].addrs[0].up = obs[1].addrs[1].up = 0;
	step(1, 0, 1, 1000);
	struct ol_provider out;
	int via;
	fo_publish(&cfg.sw, fo, obs, 0, &out, &via);
	assert_int_equal(via, 2);
	assert_true(out.addrs[0].up);
	assert_memory_equal(out.addrs[0].mac, mac_c, 6);
	assert_false(out.addrs[1].up);
	/* no backup at all: published down */
	provs[1].backup_idx = -1;
	fo_publish(&cfg.sw, fo, obs, 1, &out, &via);
	assert_int_equal(via, -1);
	assert_false(provider_up(&out));
}

/* Back up: nothing happens before the hold-down; then BIRD is enabled, and
 * the real MAC returns only once every session is established. */
static void hold_down_then_recovery(void **state)
{
	(void)state;
	all_up(0);
	step(0, 0, 1, 1000);
	assert_int_equal(step(0, 1, 0, 2000), FO_NONE);
	assert_int_equal(fo[0].state, FO_HELD);
	assert_int_equal(fo_next_ms(&fo[0]), 32000);
	assert_int_equal(step(0, 1, 0, 31999), FO_NONE);
	assert_int_equal(fo[0].state, FO_HELD);
	assert_int_equal(step(0, 1, 0, 32000), FO_BIRD_ENABLE);
	assert_int_equal(fo[0].state, FO_RECOVERING);
	assert_true(fo_substituted(&fo[0]));
	assert_int_equal(step(0, 1, 0, 33000), FO_NONE);
	assert_int_equal(fo[0].state, FO_RECOVERING);
	assert_int_equal(step(0, 1, 1, 34000), FO_NONE);
	assert_int_equal(fo[0].state, FO_OK);
	assert_int_equal(fo[0].recoveries, 1);
	struct ol_provider out;
	int via;
	fo_publish(&cfg.sw, fo, obs, 0, &out, &via);
	assert_int_equal(via, -1);
	assert_memory_equal(out.addrs[0].mac, mac_a, 6);
}

/* A BGP session lost with the link up (BFD): a failure, but only once the
 * session had been established; a session still coming up is not one. */
static void bgp_session_loss(void **state)
{
	(void)state;
	assert_int_equal(step(0, 1, 0, 0), FO_NONE);
	assert_int_equal(fo[0].state, FO_OK);
	assert_int_equal(step(0, 1, 0, 500), FO_NONE);
	assert_int_equal(fo[0].state, FO_OK);
	step(0, 1, 1, 1000);
	assert_int_equal(step(0, 1, 0, 2000), FO_BIRD_DISABLE);
	assert_int_equal(fo[0].state, FO_FAILED);
	assert_string_equal(fo[0].reason, "BGP session t4 down");
}

/* 20 flaps in 10 s: one failover, and one recovery after they stop; the
 * hold-down grew while it flapped. */
static void flapping_is_damped(void **state)
{
	(void)state;
	all_up(0);
	int disables = 0, enables = 0;
	uint64_t t = 1000;
	for (int n = 0; n < 20; n++, t += 500) {
		disables += step(0, 0, 0, t) == FO_BIRD_DISABLE;
		enables += step(0, 1, 0, t + 250) == FO_BIRD_ENABLE;
	}
	assert_int_equal(fo[0].failovers, 1);
	assert_int_equal(disables, 1);
	assert_int_equal(enables, 0);
	assert_true(fo[0].hold_ms > provs[0].hold_down_ms);
	assert_true(fo[0].hold_ms <= provs[0].hold_down_ms * FO_HOLD_MAX_FACTOR);
	uint64_t until = fo_next_ms(&fo[0]);
	assert_int_equal(step(0, 1, 0, until), FO_BIRD_ENABLE);
	assert_int_equal(step(0, 1, 1, until + 1000), FO_NONE);
	assert_int_equal(fo[0].state, FO_OK);
	assert_int_equal(fo[0].recoveries, 1);
	/* a failure long after: the hold-down is the configured one again */
	step(0, 0, 1, until + 3600000);
	assert_int_equal(fo[0].hold_ms, provs[0].hold_down_ms);
}

static void drain_and_undrain(void **state)
{
	(void)state;
	all_up(0);
	assert_int_equal(fo_drain(&fo[0], "uid 0", 100), FO_BIRD_DISABLE);
	assert_int_equal(fo_drain(&fo[0], "uid 0", 200), FO_NONE);
	assert_int_equal(fo[0].state, FO_DRAINED);
	/* the link going away and back changes nothing while drained */
	assert_int_equal(step(0, 0, 0, 300), FO_NONE);
	assert_int_equal(step(0, 1, 0, 400), FO_NONE);
	assert_int_equal(fo[0].state, FO_DRAINED);
	struct ol_provider out;
	int via;
	fo_publish(&cfg.sw, fo, obs, 0, &out, &via);
	assert_int_equal(via, 1);
	assert_int_equal(fo_undrain(&fo[0], &provs[0], 500), FO_BIRD_ENABLE);
	assert_int_equal(fo[0].state, FO_RECOVERING);
	step(0, 1, 1, 600);
	assert_int_equal(fo[0].state, FO_OK);
	/* without BIRD sessions, undrain is immediate */
	fo_drain(&fo[2], "uid 0", 700);
	assert_int_equal(fo_undrain(&fo[2], &provs[2], 800), FO_NONE);
	step(2, 1, 0, 900);
	assert_int_equal(fo[2].state, FO_OK);
}

/* No backup, no BIRD sessions: the link alone, no hold-down, no failover. */
static void plain_provider(void **state)
{
	(void)state;
	assert_int_equal(step(2, 1, 0, 0), FO_NONE);
	assert_int_equal(fo[2].state, FO_OK);
	assert_int_equal(step(2, 0, 0, 100), FO_NONE);
	assert_int_equal(fo[2].state, FO_DOWN);
	assert_false(fo_substituted(&fo[2]));
	assert_int_equal(step(2, 1, 0, 200), FO_NONE);
	assert_int_equal(fo[2].state, FO_OK);
	assert_int_equal(fo[2].failovers, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(failover_to_backup, setup),
		cmocka_unit_test_setup(backup_chain, setup),
		cmocka_unit_test_setup(hold_down_then_recovery, setup),
		cmocka_unit_test_setup(bgp_session_loss, setup),
		cmocka_unit_test_setup(flapping_is_damped, setup),
		cmocka_unit_test_setup(drain_and_undrain, setup),
		cmocka_unit_test_setup(plain_provider, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
