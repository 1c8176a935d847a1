/* The switch's provider tracker, fed with synthetic kernel events. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <linux/neighbour.h>
#include <sys/socket.h>
#include "switch/track.h"
#include "switch/portdesc.h"

static struct config cfg;
static struct cfg_provider provs[1];

static int setup(void **state)
{
	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	memset(provs, 0, sizeof(provs));
	strcpy(provs[0].name, "transit-a");
	strcpy(provs[0].ifname, "br0");
	provs[0].table = 101;
	addr_parse("10.0.1.1", &provs[0].addrs[0]);
	provs[0].naddrs = 1;
	cfg.sw.providers = provs;
	cfg.sw.nproviders = 1;
	return 0;
}

static void ev_link(struct tracker *t, int idx, const char *name, int up, int master)
{
	struct nl_event ev = { .type = NLE_LINK };
	ev.link.ifindex = idx;
	strcpy(ev.link.name, name);
	ev.link.up = (uint8_t)up;
	ev.link.master = master;
	track_event(t, &ev);
}

static void ev_neigh(struct tracker *t, uint16_t nud, const char *mac, int deleted)
{
	struct nl_event ev = { .type = NLE_NEIGH, .deleted = (uint8_t)deleted };
	ev.neigh.ifindex = 10;
	addr_parse("10.0.1.1", &ev.neigh.dst);
	ev.neigh.state = nud;
	if (mac) {
		mac_parse(mac, ev.neigh.lladdr);
		ev.neigh.has_lladdr = 1;
	}
	track_event(t, &ev);
}

static void ev_fdb(struct tracker *t, const char *mac, int port, int deleted)
{
	struct nl_event ev = { .type = NLE_FDB, .deleted = (uint8_t)deleted };
	mac_parse(mac, ev.fdb.mac);
	ev.fdb.port = port;
	ev.fdb.master = 10;
	ev.fdb.state = NUD_REACHABLE;
	track_event(t, &ev);
}

static int changes;
/* What switchd does without failover: the observed state, published when
 * it changed. Counts the publications. */
static void flush(struct tracker *t)
{
	for (size_t i = 0; i < t->n; i++) {
		struct ol_provider now;
		track_state(t, i, &now);
		changes += track_publish(&t->p[i], &now);
	}
}

static int up_now(struct tracker *t)
{
	struct ol_provider p;
	track_state(t, 0, &p);
	return p.addrs[0].up;
}

static void resolved_then_failed(void **state)
{
	(void)state;
	struct tracker t;
	assert_int_equal(track_init(&t, &cfg.sw), 0);
	ev_link(&t, 10, "br0", 1, 0);
	assert_false(up_now(&t));
	ev_neigh(&t, NUD_REACHABLE, "02:00:00:00:01:01", 0);
	assert_true(up_now(&t));
	ev_neigh(&t, NUD_STALE, "02:00:00:00:01:01", 0);
	assert_true(up_now(&t));
	ev_neigh(&t, NUD_FAILED, NULL, 0);
	assert_false(up_now(&t));
	ev_neigh(&t, NUD_REACHABLE, "02:00:00:00:01:01", 0);
	ev_neigh(&t, NUD_REACHABLE, "02:00:00:00:01:01", 1);
	assert_false(up_now(&t));
	track_free(&t);
}

static void port_carrier_loss_is_down(void **state)
{
	(void)state;
	struct tracker t;
	assert_int_equal(track_init(&t, &cfg.sw), 0);
	ev_link(&t, 10, "br0", 1, 0);
	ev_link(&t, 11, "sw-pa", 1, 10);
	ev_fdb(&t, "02:00:00:00:01:01", 11, 0);
	ev_neigh(&t, NUD_REACHABLE, "02:00:00:00:01:01", 0);
	assert_true(up_now(&t));
	/* the port loses carrier; the bridge flushes the FDB entry; the
	 * neighbor stays REACHABLE */
	ev_link(&t, 11, "sw-pa", 0, 10);
	ev_fdb(&t, "02:00:00:00:01:01", 11, 1);
	assert_false(up_now(&t));
	ev_link(&t, 11, "sw-pa", 1, 10);
	assert_true(up_now(&t));
	/* the bridge interface itself going down takes the provider down */
	ev_link(&t, 10, "br0", 0, 0);
	assert_false(up_now(&t));
	track_free(&t);
}

/* A switch agent (re)started while the provider's port has no carrier:
 * the kernel still holds a REACHABLE neighbor entry, the bridge has no FDB
 * entry for its MAC (flushed with the carrier). Not up until the bridge
 * learns the MAC on a port with carrier (hosts sent to a dead MAC for
 * 18-50 s with no backup substitution before). */
static void start_without_carrier_is_down(void **state)
{
	(void)state;
	struct tracker t;
	assert_int_equal(track_init(&t, &cfg.sw), 0);
	ev_link(&t, 10, "br0", 1, 0);
	ev_link(&t, 11, "sw-pa", 0, 10);
	ev_link(&t, 12, "sw-h1", 1, 10);
	ev_neigh(&t, NUD_REACHABLE, "02:00:00:00:01:01", 0);
	assert_false(up_now(&t));
	ev_neigh(&t, NUD_STALE, "02:00:00:00:01:01", 0);
	assert_false(up_now(&t));
	/* carrier back, the provider answers: the bridge learns where */
	ev_link(&t, 11, "sw-pa", 1, 10);
	assert_false(up_now(&t));
	ev_fdb(&t, "02:00:00:00:01:01", 11, 0);
	ev_neigh(&t, NUD_REACHABLE, "02:00:00:00:01:01", 0);
	assert_true(up_now(&t));
	track_free(&t);
}

static void mac_change_and_flush(void **state)
{
	(void)state;
	struct tracker t;
	struct ol_provider p;
	assert_int_equal(track_init(&t, &cfg.sw), 0);
	ev_link(&t, 10, "br0", 1, 0);
	ev_neigh(&t, NUD_REACHABLE, "02:00:00:00:01:01", 0);
	changes = 0;
	flush(&t);
	assert_int_equal(changes, 1);
	flush(&t);
	assert_int_equal(changes, 1); /* nothing new: nothing published */
	ev_neigh(&t, NUD_REACHABLE, "02:00:00:00:01:99", 0);
	flush(&t);
	assert_int_equal(changes, 2);
	track_state(&t, 0, &p);
	assert_int_equal(p.addrs[0].mac[5], 0x99);
	track_free(&t);
}

static void non_unicast_mac_is_down(void **state)
{
	(void)state;
	struct tracker t;
	assert_int_equal(track_init(&t, &cfg.sw), 0);
	ev_link(&t, 10, "br0", 1, 0);
	ev_neigh(&t, NUD_PERMANENT, "01:00:5e:00:00:01", 0);
	assert_false(up_now(&t));
	ev_neigh(&t, NUD_PERMANENT, "ff:ff:ff:ff:ff:ff", 0);
	assert_false(up_now(&t));
	ev_neigh(&t, NUD_PERMANENT, "00:00:00:00:00:00", 0);
	assert_false(up_now(&t));
	track_free(&t);
}

static void other_interface_ignored(void **state)
{
	(void)state;
	struct tracker t;
	assert_int_equal(track_init(&t, &cfg.sw), 0);
	ev_link(&t, 10, "br0", 1, 0);
	ev_link(&t, 12, "eth9", 1, 0);
	struct nl_event ev = { .type = NLE_NEIGH };
	ev.neigh.ifindex = 12;
	addr_parse("10.0.1.1", &ev.neigh.dst);
	ev.neigh.state = NUD_REACHABLE;
	mac_parse("02:00:00:00:01:01", ev.neigh.lladdr);
	ev.neigh.has_lladdr = 1;
	track_event(&t, &ev);
	assert_false(up_now(&t));
	track_free(&t);
}

static void published_mac(struct tracker *t, const char *want)
{
	struct ol_provider p;
	uint8_t m[6];
	track_state(t, 0, &p);
	mac_parse(want, m);
	assert_memory_equal(p.addrs[0].mac, m, 6);
}

/* a bridge br0 (10) with the provider on sw-pa (11) and a host on sw-h1
 * (12); the provider answered from its port */
static void provider_on_sw_pa(struct tracker *t)
{
	ev_link(t, 10, "br0", 1, 0);
	ev_link(t, 11, "sw-pa", 1, 10);
	ev_link(t, 12, "sw-h1", 1, 10);
	ev_fdb(t, "02:00:00:00:01:01", 11, 0);
	ev_neigh(t, NUD_REACHABLE, "02:00:00:00:01:01", 0);
}

/* one forged answer from a host's port does not move the provider */
static void learned_pin_refuses_other_ports(void **state)
{
	(void)state;
	struct tracker t;
	int from_config;
	assert_int_equal(track_init(&t, &cfg.sw), 0);
	provider_on_sw_pa(&t);
	assert_true(up_now(&t));
	assert_int_equal(track_pin(&t, &t.p[0], &from_config), 11);
	assert_false(from_config);
	/* h1 claims the address: the bridge learned h1's MAC on sw-h1 */
	ev_fdb(&t, "02:00:00:00:0b:01", 12, 0);
	ev_neigh(&t, NUD_STALE, "02:00:00:00:0b:01", 0);
	assert_true(up_now(&t));
	published_mac(&t, "02:00:00:00:01:01");
	assert_int_equal(t.p[0].mac_refused, 1);
	assert_int_equal(t.nrefusals, 1);
	assert_int_equal(t.refusals[0].port, 12);
	/* the same answer changing state is not a new refusal */
	ev_neigh(&t, NUD_DELAY, "02:00:00:00:0b:01", 0);
	assert_int_equal(t.p[0].mac_refused, 1);
	/* the provider answers again, then really changes its MAC */
	ev_neigh(&t, NUD_REACHABLE, "02:00:00:00:01:01", 0);
	published_mac(&t, "02:00:00:00:01:01");
	ev_fdb(&t, "02:00:00:00:01:aa", 11, 0);
	ev_neigh(&t, NUD_REACHABLE, "02:00:00:00:01:aa", 0);
	published_mac(&t, "02:00:00:00:01:aa");
	assert_true(up_now(&t));
	assert_int_equal(t.p[0].mac_refused, 1);
	/* an operator's static entry is taken as it is */
	ev_neigh(&t, NUD_PERMANENT, "02:00:00:00:01:cc", 0);
	published_mac(&t, "02:00:00:00:01:cc");
	ev_neigh(&t, NUD_REACHABLE, "02:00:00:00:01:aa", 0);
	published_mac(&t, "02:00:00:00:01:aa");
	/* the pinned port's carrier decides, wherever the MAC is seen */
	ev_link(&t, 11, "sw-pa", 0, 10);
	assert_false(up_now(&t));
	track_free(&t);
}

/* the neighbor entry can change before the bridge reports the port */
static void answer_waits_for_its_port(void **state)
{
	(void)state;
	struct tracker t;
	assert_int_equal(track_init(&t, &cfg.sw), 0);
	provider_on_sw_pa(&t);
	ev_neigh(&t, NUD_REACHABLE, "02:00:00:00:01:bb", 0);
	published_mac(&t, "02:00:00:00:01:01");
	ev_fdb(&t, "02:00:00:00:01:bb", 11, 0);
	published_mac(&t, "02:00:00:00:01:bb");
	/* and a forger's MAC reported late is refused when it is */
	ev_neigh(&t, NUD_REACHABLE, "02:00:00:00:0b:01", 0);
	ev_fdb(&t, "02:00:00:00:0b:01", 12, 0);
	published_mac(&t, "02:00:00:00:01:bb");
	assert_int_equal(t.p[0].mac_refused, 1);
	track_free(&t);
}

/* `port =` pins from the start: not even the first answer may come from
 * elsewhere */
static void configured_pin(void **state)
{
	(void)state;
	struct tracker t;
	int from_config;
	strcpy(provs[0].port, "sw-pa");
	assert_int_equal(track_init(&t, &cfg.sw), 0);
	ev_link(&t, 10, "br0", 1, 0);
	ev_link(&t, 12, "sw-h1", 1, 10);
	ev_fdb(&t, "02:00:00:00:0b:01", 12, 0);
	ev_neigh(&t, NUD_REACHABLE, "02:00:00:00:0b:01", 0);
	assert_false(up_now(&t)); /* sw-pa does not exist: nothing can be its answer */
	assert_int_equal(track_pin(&t, &t.p[0], &from_config), 0);
	assert_true(from_config);
	ev_link(&t, 11, "sw-pa", 1, 10);
	ev_neigh(&t, NUD_REACHABLE, "02:00:00:00:0b:01", 0);
	assert_false(up_now(&t));
	assert_int_equal(t.p[0].mac_refused, 1);
	ev_fdb(&t, "02:00:00:00:01:01", 11, 0);
	ev_neigh(&t, NUD_REACHABLE, "02:00:00:00:01:01", 0);
	assert_true(up_now(&t));
	published_mac(&t, "02:00:00:00:01:01");
	assert_int_equal(track_pin(&t, &t.p[0], &from_config), 11);
	track_free(&t);
}

/* A port's alias: each provider on it; ours is recognized, theirs is
 * not; the "(was: ...)" of agents before the state file is read back */
static void port_descriptions(void **state)
{
	(void)state;
	struct cfg_provider a = { .name = "transit-a", .remote_as = 65001, .descr = "Transit A" },
			    b = { .name = "ix-peer" };
	const struct cfg_provider *one[] = { &a }, *two[] = { &a, &b };
	char out[NL_ALIAS_MAX], was[NL_ALIAS_MAX];
	portdesc_want(one, 1, out, sizeof(out));
	assert_string_equal(out, "onlink: transit-a AS65001 Transit A");
	portdesc_want(two, 2, out, sizeof(out));
	assert_string_equal(out, "onlink: transit-a AS65001 Transit A; ix-peer");
	assert_int_equal(portdesc_ours(out, was, sizeof(was)), 1);
	assert_string_equal(was, "");
	assert_int_equal(portdesc_ours("rack 3", was, sizeof(was)), 0);
	/* written by an agent before the state file */
	assert_int_equal(portdesc_ours("onlink: transit-a AS65001 Transit A (was: rack 3)", was, sizeof(was)), 1);
	assert_string_equal(was, "rack 3");
	/* too long for the kernel's 256 bytes: cut, and ended */
	const struct cfg_provider *many[40];
	for (int i = 0; i < 40; i++)
		many[i] = &a;
	portdesc_want(many, 40, out, sizeof(out));
	assert_int_equal(strlen(out), NL_ALIAS_MAX - 1);
	assert_int_equal(portdesc_ours(out, was, sizeof(was)), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(resolved_then_failed, setup),
		cmocka_unit_test_setup(port_carrier_loss_is_down, setup),
		cmocka_unit_test_setup(start_without_carrier_is_down, setup),
		cmocka_unit_test_setup(mac_change_and_flush, setup),
		cmocka_unit_test_setup(non_unicast_mac_is_down, setup),
		cmocka_unit_test_setup(other_interface_ignored, setup),
		cmocka_unit_test_setup(learned_pin_refuses_other_ports, setup),
		cmocka_unit_test_setup(answer_waits_for_its_port, setup),
		cmocka_unit_test_setup(configured_pin, setup),
		cmocka_unit_test(port_descriptions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
