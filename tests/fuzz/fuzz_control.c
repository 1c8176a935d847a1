/* libFuzzer target: the switch agent's control requests (drain, undrain,
 * announce, withdraw: src/switch/provctl.c) and the parser of the state it
 * keeps in BIRD's include file (src/switch/announce.c), which it reads back
 * at start. Each input line is one request, as the control socket hands
 * them over; the whole input is also parsed as an include file. Oracle
 * beyond "no crash": every request gets a JSON reply with "ok", and an
 * include file that parses renders to one that parses to the same state. */
#include "conf/config.h"
#include "base/loop.h"
#include "switch/announce.h"
#include "switch/provctl.h"
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
	if (provctl_init(&pc, &cfg, changed, NULL))
		abort();
	return 0;
}

static void request(const char *req)
{
	int handled;
	char *reply = provctl_command(pc, req, "fuzz", &handled);
	if (!handled)
		return; /* not one of provctl's verbs */
	json_t *j = reply ? json_loads(reply, 0, NULL) : NULL;
	if (!j || !(json_is_true(json_object_get(j, "ok")) || json_is_string(json_object_get(j, "error"))))
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
	struct ann_state *st = calloc(1, sizeof(*st)), *again = calloc(1, sizeof(*again));
	if (ann_parse(&cfg, text, st) >= 0) {
		char *r = ann_render(&cfg, st);
		if (!r || ann_parse(&cfg, r, again) < 0 || again->n != st->n || again->ndrained != st->ndrained)
			abort();
		free(r);
	}
	free(st);
	free(again);
	free(text);
	return 0;
}
