/* libFuzzer target: the switch agent's operator requests (drain, undrain,
 * announce, withdraw, purge, announcements: decoded by src/proto/opapi.c,
 * carried out by src/switch/provctl.c, its state in memory) and the parser
 * of the "#@" record older agents kept in BIRD's include file
 * (src/switch/announce.c), which an agent reads once to migrate it. Each
 * input line is one request, as the control socket hands them over; the
 * whole input is also parsed as an include file. Oracle beyond "no
 * crash": every request decoded gets a JSON reply with "api": 1 and "ok"
 * or "error", and what an include file's record parses to renders to an
 * include file with no record of its own. */
#include "conf/config.h"
#include "base/loop.h"
#include "switch/announce.h"
#include "switch/provctl.h"
#include "switch/swstate.h"
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct config cfg;
static struct provctl *pc;
static struct swstate st; /* in memory only */
static char dir[] = "/tmp/onlink-fuzz.XXXXXX";

/* the fuzzer leaves nothing behind in /tmp */
static void remove_dir(void)
{
	static const char *const files[] = { "key", "switch.conf", "onlink.conf" };
	char path[128];
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

static void changed(void *arg)
{
	(void)arg;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	char path[128], text[1024];
	if (!mkdtemp(dir) || loop_init())
		abort();
	atexit(remove_dir);
	/* two providers, one with BIRD sessions (no BIRD running: the
	 * requests that need it are refused, the rest go through) */
	snprintf(text, sizeof(text),
		 "[switch]\nname = sw1\nlisten = 127.0.0.1:4710\nprivate-key-file = %s/key\nbird-socket = %s/bird.ctl\n"
		 "bird-include = %s/onlink.conf\n[host h1]\npublic-key = GKjzgjim4M2101d9XVXJ13nTosEj2d61kgKL1IanUWc=\n"
		 "[provider transit-a]\naddress = 10.0.1.1\ninterface = br0\ntable = 101\nbird-protocol = ta4\n"
		 "backup = transit-b\n[provider transit-b]\naddress = 10.0.2.1\ninterface = br0\ntable = 102\n",
		 dir, dir, dir);
	snprintf(path, sizeof(path), "%s/key", dir);
	FILE *f = fopen(path, "w");
	fputs("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", f);
	fclose(f);
	chmod(path, 0600); /* a key others may read is refused */
	snprintf(path, sizeof(path), "%s/switch.conf", dir);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	if (config_load(path, &cfg)) {
		fprintf(stderr, "%s\n", cfg.err);
		abort();
	}
	if (swstate_load(&st, "") || provctl_init(&pc, &cfg, &st, changed, NULL))
		abort();
	return 0;
}

static void request(const char *req)
{
	struct opapi_request rq;
	const char *why;
	if (opapi_request_decode(req, &rq, &why))
		return; /* refused by the codec: fuzz_api's */
	char *reply = provctl_op(pc, &rq, "fuzz");
	json_t *j = reply ? json_loads(reply, 0, NULL) : NULL;
	if (!j || json_integer_value(json_object_get(j, "api")) != 1 ||
	    !(json_is_true(json_object_get(j, "ok")) || json_is_string(json_object_get(j, "error"))))
		abort();
	json_decref(j);
	free(reply);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = 0;
	for (char *line = text, *end; line; line = end) {
		end = strchr(line, '\n');
		if (end)
			*end++ = 0;
		request(line);
	}
	memcpy(text, data, size);
	text[size] = 0;
	struct ann_state *old = calloc(1, sizeof(*old)), *again = calloc(1, sizeof(*again));
	if (ann_parse(&cfg, text, old) >= 0) {
		char *r = ann_render(&cfg, old);
		if (!r || ann_parse(&cfg, r, again) != 0 || strstr(r, "\n#@"))
			abort();
		free(r);
	}
	free(old);
	free(again);
	free(text);
	return 0;
}
