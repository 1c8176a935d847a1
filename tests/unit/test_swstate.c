/* The switch agent's state file (switch/swstate.c): what decodes, what is
 * refused and why, the round trip, and the file itself: written whole,
 * read back, a bad one kept aside and never overwritten unseen. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "base/file.h"
#include "switch/swstate.h"

static void decode_and_refuse(void **state)
{
	(void)state;
	struct swstate st = { 0 };
	const char *why;
	assert_int_equal(swstate_decode(&st, "{\"onlink_state\": 1, \"role\": \"switch\", \"port_aliases\": "
					     "[{\"port\": \"sw-pb\", \"alias\": \"rack 3 port 7\"}]}", &why), 0);
	assert_int_equal(st.n, 1);
	assert_string_equal(swstate_alias(&st, "sw-pb"), "rack 3 port 7");
	assert_null(swstate_alias(&st, "sw-pa"));
	static const struct { const char *text, *why; } bad[] = {
		{ "", "not a JSON object" },
		{ "[]", "not a JSON object" },
		{ "{\"role\": \"switch\"}", "no \"onlink_state\" version" },
		{ "{\"onlink_state\": 2, \"role\": \"switch\"}", "written by a newer onlink (version above 1)" },
		{ "{\"onlink_state\": 1, \"role\": \"host\"}", "not a switch agent's state (\"role\")" },
		{ "{\"onlink_state\": 1, \"role\": \"switch\", \"port_aliases\": {}}", "\"port_aliases\" is not an array" },
		{ "{\"onlink_state\": 1, \"role\": \"switch\", \"port_aliases\": [{\"port\": \"sw-pb\"}]}",
		  "a port alias that is not {\"port\": NAME, \"alias\": TEXT}" },
		{ "{\"onlink_state\": 1, \"role\": \"switch\", \"port_aliases\": [{\"port\": \"a-name-of-16-chr\", \"alias\": \"x\"}]}",
		  "a port alias that is not {\"port\": NAME, \"alias\": TEXT}" },
		{ "{\"onlink_state\": 1, \"role\": \"switch\", \"port_aliases\": [{\"port\": \"a\\u001b\", \"alias\": \"x\"}]}",
		  "a port alias that is not {\"port\": NAME, \"alias\": TEXT}" },
		{ "{\"onlink_state\": 1, \"role\": \"switch\", \"port_aliases\": [{\"port\": \"a\", \"alias\": \"x\"}, "
		  "{\"port\": \"a\", \"alias\": \"y\"}]}", "a port named twice in \"port_aliases\"" },
		{ "{\"onlink_state\": 1, \"onlink_state\": 1, \"role\": \"switch\"}", "not a JSON object" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(swstate_decode(&st, bad[i].text, &why), -1);
		assert_string_equal(why, bad[i].why);
		/* the state before is untouched */
		assert_string_equal(swstate_alias(&st, "sw-pb"), "rack 3 port 7");
	}
	/* an alias as long as the kernel allows, control bytes and all */
	char big[300];
	memset(big, 'x', 255);
	big[255] = 0;
	big[10] = '\x1b';
	st.path[0] = 0;
	assert_int_equal(swstate_alias_set(&st, "sw-pa", big), 0);
	char *text = swstate_encode(&st);
	assert_non_null(text);
	struct swstate back = { 0 };
	assert_int_equal(swstate_decode(&back, text, &why), 0);
	assert_string_equal(swstate_alias(&back, "sw-pa"), big);
	assert_string_equal(swstate_alias(&back, "sw-pb"), "rack 3 port 7");
	free(text);
	swstate_alias_del(&back, "sw-pb");
	assert_null(swstate_alias(&back, "sw-pb"));
	assert_int_equal(back.n, 1);
	swstate_free(&back);
	swstate_free(&st);
}

/* announcements (every attribute), drains and a purge: the round trip,
 * and what is refused */
static void operator_state(void **state)
{
	(void)state;
	struct swstate st = { 0 }, back = { 0 };
	const char *why;
	static const char text[] =
		"{\"onlink_state\": 1, \"role\": \"switch\", \"announcements\": ["
		"{\"prefix\": \"198.18.5.0/24\", \"provider\": \"transit-a\", \"prepend\": 2, \"asn\": 65000, "
		"\"med\": 50, \"no_export\": true, \"communities\": [\"65000:100\", \"4200000000:1:2\"], "
		"\"since\": 1764150000, \"by\": \"uid 0 (root)\"},"
		"{\"prefix\": \"2001:db8:5::/48\", \"provider\": \"transit-b\", \"prepend\": 0, \"asn\": 0, "
		"\"med\": null, \"no_export\": false, \"communities\": [], \"since\": 1, \"by\": \"\"}], "
		"\"drained\": [{\"provider\": \"transit-b\", \"since\": 1764150001, \"by\": \"uid 1000 (ops)\"}], "
		"\"purge\": {\"provider\": \"transit-a\", \"soft\": true, \"since\": 1764150002, \"by\": \"x\"}}";
	assert_int_equal(swstate_decode(&st, text, &why), 0);
	assert_true(st.has_ops);
	assert_int_equal(st.ann->n, 2);
	const struct announcement *a = &st.ann->a[0];
	assert_string_equal(a->provider, "transit-a");
	assert_true(a->prepend == 2 && a->asn == 65000 && a->has_med && a->med == 50 && a->no_export && a->ncomm == 2 &&
		    a->comm[1].large && a->since == 1764150000);
	assert_string_equal(a->by, "uid 0 (root)");
	assert_false(st.ann->a[1].has_med);
	assert_true(ann_drained(st.ann, "transit-b"));
	assert_int_equal(st.ann->drained[0].since, 1764150001);
	assert_true(st.purge.active && st.purge.soft);
	assert_string_equal(st.purge.provider, "transit-a");
	char *enc = swstate_encode(&st);
	assert_non_null(enc);
	assert_int_equal(swstate_decode(&back, enc, &why), 0);
	char *enc2 = swstate_encode(&back);
	assert_string_equal(enc, enc2);
	free(enc);
	free(enc2);
	/* a file of before announcements: none, and has_ops says so */
	assert_int_equal(swstate_decode(&back, "{\"onlink_state\": 1, \"role\": \"switch\"}", &why), 0);
	assert_false(back.has_ops);
	assert_int_equal(back.ann->n, 0);
	static const struct { const char *ops, *why; } bad[] = {
		{ "\"announcements\": [{\"prefix\": \"198.18.5.1/24\", \"provider\": \"a\", \"prepend\": 0, \"asn\": 0}]",
		  "an announcement without a prefix (ADDR/LEN)" },
		{ "\"announcements\": [{\"prefix\": \"198.18.5.0/24\", \"provider\": \"a b\", \"prepend\": 0, \"asn\": 0}]",
		  "an announcement without a provider name" },
		{ "\"announcements\": [{\"prefix\": \"198.18.5.0/24\", \"provider\": \"a\", \"prepend\": 17, \"asn\": 0}]",
		  "an announcement's prepend is not 0 to 16" },
		{ "\"announcements\": [{\"prefix\": \"198.18.5.0/24\", \"provider\": \"a\", \"prepend\": 0, \"asn\": 4294967296}]",
		  "an announcement's asn is not 0 to 4294967295" },
		{ "\"announcements\": [{\"prefix\": \"198.18.5.0/24\", \"provider\": \"a\", \"prepend\": 0, \"asn\": 0, \"med\": -1}]",
		  "an announcement's med is not 0 to 4294967295" },
		{ "\"announcements\": [{\"prefix\": \"198.18.5.0/24\", \"provider\": \"a\", \"prepend\": 0, \"asn\": 0, "
		  "\"communities\": [\"1:2\", \"1:2\"]}]", "an announcement's community is listed twice" },
		{ "\"announcements\": [{\"prefix\": \"198.18.5.0/24\", \"provider\": \"a\", \"prepend\": 0, \"asn\": 0, "
		  "\"communities\": [\"65536:1\"]}]", "an announcement's community is not A:B or A:B:C" },
		{ "\"announcements\": [{\"prefix\": \"198.18.5.0/24\", \"provider\": \"a\", \"prepend\": 0, \"asn\": 0}, "
		  "{\"prefix\": \"198.18.5.0/24\", \"provider\": \"a\", \"prepend\": 1, \"asn\": 0}]", "an announcement listed twice" },
		{ "\"drained\": [{\"provider\": \"a\"}, {\"provider\": \"a\"}]", "a provider drained twice" },
		{ "\"drained\": [\"a\"]", "a drained provider that is not {\"provider\": NAME, \"since\": TIME, \"by\": TEXT}" },
		{ "\"purge\": {\"provider\": \"a\"}", "a purge that is not {\"provider\": NAME, \"soft\": BOOL, \"since\": TIME, \"by\": TEXT}" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char t[600];
		snprintf(t, sizeof(t), "{\"onlink_state\": 1, \"role\": \"switch\", %s}", bad[i].ops);
		assert_int_equal(swstate_decode(&st, t, &why), -1);
		if (strcmp(why, bad[i].why))
			fail_msg("%s: '%s', not '%s'", bad[i].ops, why, bad[i].why);
		assert_int_equal(st.ann->n, 2); /* untouched */
	}
	swstate_free(&st);
	swstate_free(&back);
}

static int count_aside(const char *dir)
{
	int n = 0;
	DIR *d = opendir(dir);
	for (struct dirent *e; d && (e = readdir(d));)
		n += !!strstr(e->d_name, "state.json.bad-");
	if (d)
		closedir(d);
	return n;
}

static void file_round_trip(void **state)
{
	(void)state;
	char dir[] = "/tmp/onlink-test-swstate.XXXXXX", path[128];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state.json", dir);
	struct swstate st = { 0 };
	/* missing: empty, not an error */
	assert_int_equal(swstate_load(&st, path), 0);
	assert_int_equal(st.n, 0);
	assert_int_equal(swstate_alias_set(&st, "sw-pb", "rack 3 port 7"), 0);
	swstate_free(&st);
	assert_int_equal(swstate_load(&st, path), 0);
	assert_string_equal(swstate_alias(&st, "sw-pb"), "rack 3 port 7");
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777 & ~0640, 0);
	swstate_free(&st);
	/* a file that does not decode: kept aside, the agent starts empty,
	 * and the next save does not destroy it */
	assert_int_equal(file_replace(path, "{\"onlink_state\": 9, \"role\": \"switch\"}\n", 0640), 0);
	assert_int_equal(swstate_load(&st, path), 0);
	assert_int_equal(st.n, 0);
	assert_int_equal(count_aside(dir), 1);
	assert_int_equal(swstate_alias_set(&st, "sw-pa", "mine"), 0);
	assert_int_equal(count_aside(dir), 1);
	swstate_free(&st);
	/* no path: in memory only */
	assert_int_equal(swstate_load(&st, ""), 0);
	assert_int_equal(swstate_alias_set(&st, "sw-pa", "mine"), 0);
	swstate_free(&st);
	/* a directory it cannot write: kept in memory, an error said */
	struct swstate ro = { 0 };
	assert_int_equal(swstate_load(&ro, "/proc/onlink-nowhere/state.json"), 0);
	assert_true(swstate_alias_set(&ro, "sw-pa", "mine") < 0);
	assert_string_equal(swstate_alias(&ro, "sw-pa"), "mine");
	assert_true(ro.save_failed);
	swstate_free(&ro);
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decode_and_refuse),
		cmocka_unit_test(operator_state),
		cmocka_unit_test(file_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
