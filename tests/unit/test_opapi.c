/* The switch agent's operator API (proto/opapi.c): each request encoded
 * and decoded the same; what is refused, and why; and every request
 * example of docs/api.md decodes (the host agent's with api.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/file.h"
#include "proto/api.h"
#include "proto/opapi.h"

static void round_trip(void **state)
{
	(void)state;
	struct opapi_request in[] = {
		{ .kind = OP_DRAIN, .provider = "transit-a" },
		{ .kind = OP_UNDRAIN, .provider = "transit-a" },
		{ .kind = OP_ANNOUNCE, .provider = "transit-b", .prefix = "198.18.90.0/24", .prepend = 16, .has_med = 1,
		  .med = UINT32_MAX, .no_export = 1, .ncomm = 8 },
		{ .kind = OP_WITHDRAW, .provider = "transit-b", .prefix = "2001:db8:77::/48" },
		{ .kind = OP_PURGE, .provider = "transit-a", .soft = 1, .timeout_s = 600 },
		{ .kind = OP_ANNOUNCEMENTS },
		{ .kind = OP_STATUS },
		{ .kind = OP_SUBSCRIBE, .topics = OP_TOPIC_PROVIDERS | OP_TOPIC_SESSIONS | OP_TOPIC_BIRD },
		{ .kind = OP_SUBSCRIBE, .topics = OP_TOPIC_BIRD },
	};
	for (unsigned i = 0; i < 8; i++)
		snprintf(in[2].communities[i], OPAPI_COMM_LEN, "4200000000:10000%u:100", i);
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		char line[1024];
		const char *why;
		struct opapi_request out;
		if (in[i].kind != OP_PURGE)
			in[i].timeout_s = OPAPI_TIMEOUT_DEFAULT;
		assert_int_equal(opapi_request_encode(&in[i], line, sizeof(line)), 0);
		assert_int_equal(opapi_request_decode(line, &out, &why), 0);
		assert_memory_equal(&in[i], &out, sizeof(out));
	}
	/* the longest the CLI builds fits the control socket's 4095 bytes */
	char line[4096];
	assert_int_equal(opapi_request_encode(&in[2], line, sizeof(line)), 0);
	assert_true(strlen(line) < 1024);
	assert_int_equal(opapi_request_encode(&in[2], line, 64), -ENOSPC);
}

static void refused(void **state)
{
	(void)state;
	static const struct { const char *line, *why; int err; } bad[] = {
		{ "drain transit-a", "not a JSON object", -EINVAL },
		{ "[]", "not a JSON object", -EINVAL },
		{ "{\"request\":\"drain\",\"provider\":\"a\"}", "no \"api\" version (this agent serves api 1)", -EINVAL },
		{ "{\"api\":2,\"request\":\"drain\",\"provider\":\"a\"}", "api version not served (this agent serves api 1)",
		  -EPROTONOSUPPORT },
		{ "{\"api\":1,\"request\":\"providers\"}", "unknown request", -ENOENT },
		{ "{\"api\":1,\"request\":\"drain\"}", "provider: not a name (letters, digits, '.', '_', '-'; at most 31)", -EINVAL },
		{ "{\"api\":1,\"request\":\"drain\",\"provider\":\"a b\"}",
		  "provider: not a name (letters, digits, '.', '_', '-'; at most 31)", -EINVAL },
		{ "{\"api\":1,\"request\":\"drain\",\"provider\":7}",
		  "provider: not a name (letters, digits, '.', '_', '-'; at most 31)", -EINVAL },
		{ "{\"api\":1,\"request\":\"drain\",\"provider\":\"a\",\"soft\":true}", "drain takes no key 'soft'", -EINVAL },
		{ "{\"api\":1,\"request\":\"drain\",\"provider\":\"a\",\"provider\":\"b\"}", "not a JSON object", -EINVAL },
		{ "{\"api\":1,\"request\":\"withdraw\",\"provider\":\"a\"}", "prefix: not ADDR/LEN", -EINVAL },
		{ "{\"api\":1,\"request\":\"announce\",\"provider\":\"a\",\"prefix\":\"1.2.3.0/24\",\"prepend\":17}",
		  "prepend: 0 to 16", -EINVAL },
		{ "{\"api\":1,\"request\":\"announce\",\"provider\":\"a\",\"prefix\":\"1.2.3.0/24\",\"prepend\":1.5}",
		  "prepend: 0 to 16", -EINVAL },
		{ "{\"api\":1,\"request\":\"announce\",\"provider\":\"a\",\"prefix\":\"1.2.3.0/24\",\"med\":4294967296}",
		  "med: 0 to 4294967295", -EINVAL },
		{ "{\"api\":1,\"request\":\"announce\",\"provider\":\"a\",\"prefix\":\"1.2.3.0/24\",\"no_export\":1}",
		  "no_export: true or false", -EINVAL },
		{ "{\"api\":1,\"request\":\"announce\",\"provider\":\"a\",\"prefix\":\"1.2.3.0/24\",\"communities\":\"1:2\"}",
		  "communities: a list of at most 8", -EINVAL },
		{ "{\"api\":1,\"request\":\"announce\",\"provider\":\"a\",\"prefix\":\"1.2.3.0/24\",\"communities\":"
		  "[\"1:1\",\"1:2\",\"1:3\",\"1:4\",\"1:5\",\"1:6\",\"1:7\",\"1:8\",\"1:9\"]}", "communities: a list of at most 8", -EINVAL },
		{ "{\"api\":1,\"request\":\"announce\",\"provider\":\"a\",\"prefix\":\"1.2.3.0/24\",\"communities\":[1]}",
		  "communities: each a string A:B or A:B:C", -EINVAL },
		{ "{\"api\":1,\"request\":\"purge\",\"provider\":\"a\",\"timeout\":0}", "timeout: 1 to 600 seconds", -EINVAL },
		{ "{\"api\":1,\"request\":\"purge\",\"provider\":\"a\",\"timeout\":601}", "timeout: 1 to 600 seconds", -EINVAL },
		{ "{\"api\":1,\"request\":\"purge\",\"provider\":\"a\",\"soft\":\"yes\"}", "soft: true or false", -EINVAL },
		{ "{\"api\":1,\"request\":\"subscribe\"}", "topics: a list of providers, sessions, bird", -EINVAL },
		{ "{\"api\":1,\"request\":\"subscribe\",\"topics\":[]}", "topics: a list of providers, sessions, bird", -EINVAL },
		{ "{\"api\":1,\"request\":\"subscribe\",\"topics\":[\"bird\",\"bird\"]}",
		  "topics: a list of providers, sessions, bird (each once)", -EINVAL },
		{ "{\"api\":1,\"request\":\"subscribe\",\"topics\":[\"egress-slices\"]}",
		  "topics: a list of providers, sessions, bird (each once)", -EINVAL },
		{ "{\"api\":1,\"request\":\"status\",\"verbose\":true}", "status takes no key 'verbose'", -EINVAL },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct opapi_request r;
		const char *why = NULL;
		int e = opapi_request_decode(bad[i].line, &r, &why);
		if (e != bad[i].err || !why || strcmp(why, bad[i].why))
			fail_msg("%s: %d '%s', not %d '%s'", bad[i].line, e, why ? why : "", bad[i].err, bad[i].why);
	}
}

/* docs/api.md: each request example, in its section's codec */
static void documented_examples(void **state)
{
	(void)state;
	char *doc = file_read("docs/api.md");
	assert_non_null(doc);
	unsigned host = 0, sw = 0;
	int in_switch = 0;
	for (char *line = strtok(doc, "\n"); line; line = strtok(NULL, "\n")) {
		if (!strncmp(line, "## ", 3)) /* the switch agent's codec, or the local API's (host, egress) */
			in_switch = !strncmp(line, "## The switch agent", 19);
		if (strncmp(line, "{\"api\":1,\"request\"", 18))
			continue;
		const char *why = NULL;
		if (in_switch) {
			struct opapi_request r;
			if (opapi_request_decode(line, &r, &why))
				fail_msg("docs/api.md: %s: %s", line, why);
			sw++;
		} else {
			struct api_request r;
			if (api_request_decode(line, &r, &why))
				fail_msg("docs/api.md: %s: %s", line, why);
			host++;
		}
	}
	free(doc);
	assert_true(host >= 6);
	assert_true(sw >= 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(refused),
		cmocka_unit_test(documented_examples),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
