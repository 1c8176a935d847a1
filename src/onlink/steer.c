/* onlink steer --list: the prefixes that follow the probes (docs/
 * steering.md), from an agent's status (the typed local API): the switch
 * agent's decisions, with the figures behind each override, or the
 * overrides a host agent holds. */
#include "onlink/cmd.h"
#include "base/control.h"
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *s_(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));
	return v ? v : "-";
}

static void when(json_t *o, const char *k, char *buf, size_t len)
{
	json_t *v = json_object_get(o, k);
	time_t t = (time_t)json_integer_value(v);
	struct tm tm;
	snprintf(buf, len, "-");
	if (json_is_integer(v) && gmtime_r(&t, &tm))
		strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: onlink steer --list [-s SOCKET] [--json]\n");
}

int cmd_steer(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "list", no_argument, NULL, 'l' },
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *sock = NULL;
	int json = 0, list = 0, opt;
	char *reply = NULL;
	json_error_t jerr;
	while ((opt = getopt_long(argc, argv, "ls:jh", opts, NULL)) != -1) {
		switch (opt) {
		case 'l': list = 1; break;
		case 's': sock = optarg; break;
		case 'j': json = 1; break;
		default:
			usage(opt == 'h' ? stdout : stderr);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (optind != argc || !list) {
		usage(stderr);
		return 2;
	}
	if (!sock)
		sock = access("/run/onlink/switch.sock", F_OK) == 0 ? "/run/onlink/switch.sock" : "/run/onlink/host.sock";
	int r = control_request(sock, "{\"api\":1,\"request\":\"status\"}", &reply);
	if (r) {
		fprintf(stderr, "onlink steer: cannot reach the agent at %s: %s\n", sock, control_strerror(r));
		return 2;
	}
	json_t *root = json_loads(reply, 0, &jerr);
	free(reply);
	json_t *st = json_object_get(root, "steer");
	if (!root || json_object_get(root, "error")) {
		fprintf(stderr, "onlink steer: bad answer from %s\n", sock);
		json_decref(root);
		return 1;
	}
	if (!json_is_object(st)) {
		fprintf(stderr, "onlink steer: the agent at %s steers nothing (no [steer] in the switch agent's config)\n", sock);
		json_decref(root);
		return 1;
	}
	if (json) {
		char *pretty = json_dumps(st, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		puts(pretty);
		free(pretty);
		json_decref(root);
		return 0;
	}
	size_t i;
	json_t *x;
	char t[32];
	if (json_object_get(st, "prefixes")) { /* the switch agent: every prefix and its decision */
		printf("windows of %lld ms, %lld in a row%s\n", (long long)json_integer_value(json_object_get(st, "window_ms")),
		       (long long)json_integer_value(json_object_get(st, "windows")),
		       json_is_true(json_object_get(st, "dry_run")) ? "; DRY RUN: decided, nothing changed" : "");
		printf("%-22s %-14s %-14s %-19s %s\n", "PREFIX", "PROVIDER", "BGP", "SINCE (UTC)", "WHY");
		json_array_foreach(json_object_get(st, "prefixes"), i, x) {
			json_t *why = json_object_get(x, "why");
			char w[128] = "-";
			when(x, "since", t, sizeof(t));
			if (json_is_object(why))
				snprintf(w, sizeof(w), "%s: RTT %.1f vs %.1f ms, loss %.1f%% vs %.1f%%", s_(why, "reason"),
					 json_number_value(json_object_get(why, "rtt_to_ms")),
					 json_number_value(json_object_get(why, "rtt_from_ms")),
					 100 * json_number_value(json_object_get(why, "loss_to")),
					 100 * json_number_value(json_object_get(why, "loss_from")));
			printf("%-22s %-14s %-14s %-19s %s\n", s_(x, "prefix"),
			       json_is_string(json_object_get(x, "provider")) ? s_(x, "provider") : "(BGP's)", s_(x, "bgp"), t, w);
		}
	} else { /* a host agent: the overrides it holds */
		printf("%-22s %-14s %-14s %-19s %-12s %s\n", "PREFIX", "PROVIDER", "BGP", "SINCE (UTC)", "FROM SWITCH", "RTT");
		json_array_foreach(json_object_get(st, "overrides"), i, x) {
			when(x, "since", t, sizeof(t));
			printf("%-22s %-14s %-14s %-19s %-12s %.1f vs %.1f ms\n", s_(x, "prefix"), s_(x, "provider"), s_(x, "from"), t,
			       s_(x, "switch"), json_number_value(json_object_get(x, "rtt_to_ms")),
			       json_number_value(json_object_get(x, "rtt_from_ms")));
		}
		if (!json_array_size(json_object_get(st, "overrides")))
			printf("(no override: every prefix goes by BGP's choice)\n");
	}
	json_decref(root);
	return 0;
}
