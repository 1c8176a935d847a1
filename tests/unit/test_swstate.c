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
		cmocka_unit_test(file_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
