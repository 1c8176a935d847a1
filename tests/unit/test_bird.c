/* What onlink reads from BIRD (protocol rows, local AS) and the include file
 * it writes for BIRD (which reads back as the same state). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "switch/announce.h"
#include "switch/bird.h"
#include "switch/birdconf.h"
#include "proto/birdroute.h"

struct row { char name[64], state[16], since[32], info[64]; };
static struct row rows[8];
static int nrows;

static void collect(void *arg, const char *name, const char *state, const char *since, const char *info)
{
	(void)arg;
	if (nrows < 8) {
		snprintf(rows[nrows].since, sizeof(rows[nrows].since), "%s", since);
		snprintf(rows[nrows].name, sizeof(rows[nrows].name), "%s", name);
		snprintf(rows[nrows].state, sizeof(rows[nrows].state), "%s", state);
		snprintf(rows[nrows].info, sizeof(rows[nrows].info), "%s", info);
	}
	nrows++;
}

/* As bird.c hands it over: the lines of `show protocols`, codes removed. */
static void protocols(void **state)
{
	(void)state;
	const char *text = "Name       Proto      Table      State  Since         Info\n"
			   "device1    Device     ---        up     03:04:25.208  \n"
			   "transit_a4 BGP        ---        up     03:04:26.001  Established   \n"
			   "transit_b4 BGP        ---        start  03:04:25.726  Active        Socket: Connection refused\n"
			   "transit_b6 BGP        ---        down   03:05:00.000  \n";
	nrows = 0;
	assert_int_equal(bird_parse_protocols(text, collect, NULL), 4);
	assert_string_equal(rows[1].name, "transit_a4");
	assert_string_equal(rows[1].state, "up");
	assert_string_equal(rows[1].info, "Established");
	assert_string_equal(rows[1].since, "03:04:26.001"); /* a restart changes it (onlink purge) */
	assert_string_equal(rows[2].state, "start");
	assert_string_equal(rows[2].info, "Active        Socket: Connection refused");
	assert_string_equal(rows[3].state, "down");
	assert_string_equal(rows[3].info, "");
	assert_int_equal(bird_parse_local_as("  BGP state: Established\n    Neighbor AS:      65001\n    Local AS:         65000\n"),
			 65000);
	assert_int_equal(bird_parse_local_as("no such thing\n"), 0);
}

static struct cfg_provider provs[2];
static struct config cfg;

static void setup_cfg(void)
{
	memset(&cfg, 0, sizeof(cfg));
	memset(provs, 0, sizeof(provs));
	strcpy(cfg.name, "sw1");
	strcpy(provs[0].name, "transit-a");
	strcpy(provs[0].descr, "Transit A, circuit 1234");
	strcpy(provs[0].bird[0], "transit_a4");
	strcpy(provs[0].bird[1], "transit_a6");
	provs[0].nbird = 2;
	strcpy(provs[1].name, "transit-b");
	strcpy(provs[1].bird[0], "transit_b4");
	provs[1].nbird = 1;
	cfg.sw.providers = provs;
	cfg.sw.nproviders = 2;
}

static void include_file(void **state)
{
	(void)state;
	setup_cfg();
	struct ann_state *st = calloc(1, sizeof(*st)), *back = calloc(1, sizeof(*back));
	struct announcement a = { .prepend = 2, .asn = 65000 };
	strcpy(a.provider, "transit-a");
	assert_int_equal(cfg_prefix_parse("198.18.5.0/24", &a.prefix), 0);
	assert_int_equal(ann_add(st, &a), 0);
	a.prepend = 0;
	strcpy(a.provider, "transit-b");
	assert_int_equal(ann_add(st, &a), 0);
	assert_int_equal(cfg_prefix_parse("2001:db8:5::/48", &a.prefix), 0);
	assert_int_equal(ann_add(st, &a), 0);
	assert_int_equal(ann_set_drained(st, "transit-b", 1), 0);
	/* host bits set is not a prefix */
	struct cfg_prefix bad;
	assert_int_equal(cfg_prefix_parse("198.18.5.1/24", &bad), -1);

	char *text = ann_render(&cfg, st);
	assert_non_null(text);
	assert_non_null(strstr(text, "define onlink_description_transit_a4 = \"Transit A, circuit 1234\";\n"));
	assert_non_null(strstr(text, "define onlink_description_transit_b4 = \"transit-b\";\n"));
	/* one static route for a prefix announced to two providers */
	const char *r = strstr(text, "\troute 198.18.5.0/24 blackhole;\n");
	assert_non_null(r);
	assert_null(strstr(r + 1, "\troute 198.18.5.0/24 blackhole;\n"));
	assert_non_null(strstr(text, "\troute 2001:db8:5::/48 blackhole;\n"));
	assert_non_null(strstr(text, "\tif (peer = \"transit_a4\" || peer = \"transit_a6\") && net = 198.18.5.0/24 then {\n"
				     "\t\tbgp_path.prepend(65000);\n\t\tbgp_path.prepend(65000);\n\t\treturn true;\n\t}\n"));

	assert_int_equal(ann_parse(&cfg, text, back), 4);
	assert_int_equal(back->n, 3);
	assert_true(ann_drained(back, "transit-b"));
	assert_false(ann_drained(back, "transit-a"));
	char *again = ann_render(&cfg, back);
	assert_string_equal(text, again);

	/* withdrawn: gone from the record and from the function */
	assert_int_equal(cfg_prefix_parse("198.18.5.0/24", &a.prefix), 0);
	assert_int_equal(ann_del(back, &a.prefix, "transit-a"), 0);
	assert_int_equal(ann_del(back, &a.prefix, "transit-a"), -ENOENT);
	char *third = ann_render(&cfg, back);
	assert_null(strstr(third, "peer = \"transit_a4\""));
	assert_non_null(strstr(third, "\troute 198.18.5.0/24 blackhole;\n"));

	/* a provider no longer in the config is dropped on reading */
	strcpy(provs[1].name, "transit-z");
	assert_int_equal(ann_parse(&cfg, text, back), 1);
	free(text);
	free(again);
	free(third);
	free(st);
	free(back);
}

/* communities as written on the command line: A:B of 16 bits each, or a
 * large A:B:C of 32 bits each, nothing else */
static void communities(void **state)
{
	(void)state;
	struct ann_comm c;
	assert_int_equal(ann_comm_parse("65000:100", &c), 0);
	assert_true(!c.large && c.v[0] == 65000 && c.v[1] == 100);
	assert_int_equal(ann_comm_parse("4200000000:1:4294967295", &c), 0);
	assert_true(c.large && c.v[0] == 4200000000u && c.v[2] == 4294967295u);
	static const char *const bad[] = { "", "65000", "65536:1", "1:65536", "1:2:3:4", "a:b", "-1:5", "1:-5", "+1:5",
					   "1 :5", "1:", ":1", "4294967296:1:1", "1:2:", "99999999999999999999:1:1" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!ann_comm_parse(bad[i], &c))
			fail_msg("'%s' taken for a community", bad[i]);
}

/* MED, NO_EXPORT and communities: in the export function, in the record,
 * and read back the same */
static void announce_attributes(void **state)
{
	(void)state;
	setup_cfg();
	struct ann_state *st = calloc(1, sizeof(*st)), *back = calloc(1, sizeof(*back));
	struct announcement a = { .since = 1764150000 };
	char err[200];
	strcpy(a.provider, "transit-b");
	assert_int_equal(cfg_prefix_parse("198.18.90.0/24", &a.prefix), 0);
	assert_int_equal(ann_option(&a, "med=50", err, sizeof(err)), 0);
	assert_int_equal(ann_option(&a, "no-export", err, sizeof(err)), 0);
	assert_int_equal(ann_option(&a, "community=65000:100", err, sizeof(err)), 0);
	assert_int_equal(ann_option(&a, "community=65000:1:2", err, sizeof(err)), 0);
	assert_int_equal(ann_option(&a, "community=65000:100", err, sizeof(err)), 0); /* once */
	assert_int_equal(a.ncomm, 2);
	assert_int_equal(ann_option(&a, "med=-1", err, sizeof(err)), -1);
	assert_string_equal(err, "med: bad value '-1' (0 to 4294967295)");
	assert_int_equal(ann_option(&a, "color=red", err, sizeof(err)), -1);
	assert_int_equal(ann_add(st, &a), 0);
	char *text = ann_render(&cfg, st);
	assert_non_null(strstr(text, "#@ announce 198.18.90.0/24 transit-b 0 0 since=1764150000 med=50 no-export=1 "
				     "communities=65000:100,65000:1:2\n"));
	assert_non_null(strstr(text, "\t\tbgp_med = 50;\n\t\tbgp_community.add((65535, 65281)); # NO_EXPORT\n"
				     "\t\tbgp_community.add((65000, 100));\n\t\tbgp_large_community.add((65000, 1, 2));\n"
				     "\t\treturn true;\n"));
	assert_int_equal(ann_parse(&cfg, text, back), 1);
	assert_true(back->a[0].has_med && back->a[0].med == 50 && back->a[0].no_export && back->a[0].ncomm == 2 &&
		    back->a[0].since == 1764150000);
	char *again = ann_render(&cfg, back);
	assert_string_equal(text, again);
	/* a record of an agent before attributes: four fields, none of them */
	assert_int_equal(ann_parse(&cfg, "#@ announce 198.18.90.0/24 transit-b 0 0\n", back), 1);
	assert_true(!back->a[0].has_med && !back->a[0].no_export && !back->a[0].ncomm);
	free(text);
	free(again);
	free(st);
	free(back);
}

/* The sessions onlink writes: a generated provider's, per address, with its
 * options; none for a provider written by hand; the file's mode. */
/* Whatever reached the config by another door, nothing leaves BIRD's
 * quotes or the comment line: a path with a line break, quotes and
 * control bytes in a description, an interface or a password. */
static void nothing_breaks_out(void **state)
{
	(void)state;
	setup_cfg();
	cfg.sw.local_as = 65000;
	snprintf(cfg.path, sizeof(cfg.path), "/etc/onlink/x\nprotocol static evil { ipv4; route 0.0.0.0/0 blackhole; }\n#");
	struct cfg_provider *b = &provs[1];
	b->generated = 1;
	b->remote_as = 65002;
	strcpy(b->ifname, "br0\", \"*");
	strcpy(b->descr, "a\"; import all; #\x1b[31m");
	strcpy(b->password, "p\"w\\");
	addr_parse("10.0.2.1", &b->addrs[0]);
	b->naddrs = 1;
	strcpy(b->bird[0], "onlink_transit_b4");
	b->nbird = 1;
	b->bfd = 1;
	char *text = NULL;
	size_t len;
	FILE *f = open_memstream(&text, &len);
	birdconf_sessions(f, &cfg);
	fclose(f);
	assert_null(strstr(text, "\nprotocol static"));
	assert_null(strchr(text, '\x1b'));
	assert_non_null(strstr(text, "/etc/onlink/x\\x0aprotocol static evil"));
	assert_non_null(strstr(text, "\tinterface \"br0?, ?*\" {"));
	assert_non_null(strstr(text, "\tdescription \"transit-b (AS65002): a?; import all; #?[31m\";\n"));
	assert_non_null(strstr(text, "\tpassword \"p?w?\";\n"));
	/* every quote opened on a line is closed on it */
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		size_t q = 0;
		for (char *c = line; *c; c++)
			q += *c == '"';
		assert_int_equal(q % 2, 0);
	}
	free(text);
}

static void generated_sessions(void **state)
{
	(void)state;
	setup_cfg();
	cfg.sw.local_as = 65000;
	strcpy(cfg.sw.bird_export, "pop_export");
	cfg.sw.bfd_interval_ms = 100, cfg.sw.bfd_multiplier = 3;
	struct cfg_provider *b = &provs[1];
	b->generated = 1;
	b->remote_as = 65002;
	strcpy(b->ifname, "br0");
	addr_parse("10.0.2.1", &b->addrs[0]);
	addr_parse("10.0.2.2", &b->addrs[1]);
	b->naddrs = 2;
	strcpy(b->bird[0], "onlink_transit_b4");
	strcpy(b->bird[1], "onlink_transit_b4_2");
	b->nbird = 2;
	b->bfd = 1;
	b->import_limit = 500;
	strcpy(b->import_action, "warn");
	assert_int_equal(birdconf_mode(&cfg), 0644);
	char *text = NULL;
	size_t len;
	FILE *f = open_memstream(&text, &len);
	birdconf_sessions(f, &cfg);
	fclose(f);
	assert_non_null(strstr(text, "protocol bfd onlink_bfd {\n\tinterface \"br0\" { min rx interval 100 ms; "
				     "min tx interval 100 ms; multiplier 3; };\n}\n"));
	assert_non_null(strstr(text, "protocol bgp onlink_transit_b4 {\n\tdescription \"transit-b (AS65002)\";\n"
				     "\tlocal as 65000;\n\tneighbor 10.0.2.1 as 65002;\n\tbfd on;\n\tipv4 {\n"
				     "\t\timport limit 500 action warn;\n\t\timport all;\n"
				     "\t\texport where pop_export() || onlink_export(\"onlink_transit_b4\");\n\t};\n}\n"));
	assert_non_null(strstr(text, "protocol bgp onlink_transit_b4_2 {"));
	assert_non_null(strstr(text, "neighbor 10.0.2.2 as 65002;"));
	assert_null(strstr(text, "transit_a")); /* written by hand: not here */
	free(text);
	strcpy(b->password, "x");
	assert_int_equal(birdconf_mode(&cfg), 0640);
	/* nothing generated: nothing written */
	b->generated = 0;
	f = open_memstream(&text, &len);
	birdconf_sessions(f, &cfg);
	fclose(f);
	assert_string_equal(text, "");
	free(text);
}

/* `show route for ADDR all` as onlink route reads it: every path, its next
 * hop, AS path and whether it is the best; lines of other paths' attributes
 * never start a path */
static void route_paths(void **state)
{
	(void)state;
	char *text = NULL;
	FILE *f = fopen("tests/fuzz/corpus/api/bird-show-route-all.txt", "r");
	assert_non_null(f);
	size_t len = 0;
	assert_true(getdelim(&text, &len, 0, f) > 0);
	fclose(f);
	struct bird_path p[8];
	char a[ADDR_STRLEN];
	assert_int_equal(bird_route_paths(text, p, 8), 2);
	assert_string_equal(addr_str(&p[0].via, a, sizeof(a)), "10.0.1.1");
	assert_string_equal(p[0].as_path, "65001");
	assert_true(p[0].best);
	assert_string_equal(addr_str(&p[1].via, a, sizeof(a)), "10.0.2.1");
	assert_string_equal(p[1].as_path, "65002 64999");
	assert_false(p[1].best);
	assert_int_equal(bird_route_paths(text, p, 1), 1); /* at most cap */
	assert_int_equal(bird_route_paths("0000 \n", p, 8), 0);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(protocols),
		cmocka_unit_test(include_file),
		cmocka_unit_test(communities),
		cmocka_unit_test(announce_attributes),
		cmocka_unit_test(generated_sessions),
		cmocka_unit_test(nothing_breaks_out),
		cmocka_unit_test(route_paths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
