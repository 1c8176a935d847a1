/* onlink drain|undrain|announce|withdraw|purge: operator changes on the
 * switch agent, which applies them (to the hosts and through BIRD) and logs
 * them with the caller's uid. */
#include "onlink/cmd.h"
#include "base/control.h"
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_SWITCH_SOCK "/run/onlink/switch.sock"

static int usage(const char *cmd, FILE *f)
{
	if (!strcmp(cmd, "announce"))
		fprintf(f, "usage: onlink announce [-s SOCKET] PREFIX --via PROVIDER [--prepend N]\n");
	else if (!strcmp(cmd, "withdraw"))
		fprintf(f, "usage: onlink withdraw [-s SOCKET] PREFIX --via PROVIDER\n");
	else if (!strcmp(cmd, "purge"))
		fprintf(f, "usage: onlink purge [-s SOCKET] PROVIDER [--soft] [--timeout SECONDS]\n");
	else
		fprintf(f, "usage: onlink %s [-s SOCKET] PROVIDER\n", cmd);
	return f == stdout ? 0 : 2;
}

int cmd_operate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' }, { "via", required_argument, NULL, 'v' },
		{ "prepend", required_argument, NULL, 'p' }, { "help", no_argument, NULL, 'h' },
		{ "soft", no_argument, NULL, 'S' }, { "timeout", required_argument, NULL, 't' }, { 0 },
	};
	const char *cmd = argv[0], *sock = DEFAULT_SWITCH_SOCK, *via = NULL;
	int ann = !strcmp(cmd, "announce") || !strcmp(cmd, "withdraw"), opt;
	long prepend = -1, timeout = -1;
	int soft = 0, purge = !strcmp(cmd, "purge");
	char *end;
	while ((opt = getopt_long(argc, argv, "s:h", opts, NULL)) != -1) {
		switch (opt) {
		case 's': sock = optarg; break;
		case 'v': via = optarg; break;
		case 'p':
			prepend = strtol(optarg, &end, 10);
			if (*end || prepend < 0 || prepend > 16) {
				fprintf(stderr, "onlink %s: --prepend: 0 to 16\n", cmd);
				return 2;
			}
			break;
		case 'S': soft = 1; break;
		case 't':
			timeout = strtol(optarg, &end, 10);
			if (*end || timeout < 1 || timeout > 600) {
				fprintf(stderr, "onlink %s: --timeout: 1 to 600 seconds\n", cmd);
				return 2;
			}
			break;
		case 'h': return usage(cmd, stdout);
		default: return usage(cmd, stderr);
		}
	}
	if (optind + 1 != argc || (ann && !via) || (!ann && via) || (prepend >= 0 && strcmp(cmd, "announce")) ||
	    ((soft || timeout >= 0) && !purge))
		return usage(cmd, stderr);
	const char *arg = argv[optind];
	char req[256];
	if (strpbrk(arg, " \t\n") || (via && strpbrk(via, " \t\n"))) {
		fprintf(stderr, "onlink %s: '%s': no spaces allowed\n", cmd, arg);
		return 2;
	}
	if (!strcmp(cmd, "announce"))
		snprintf(req, sizeof(req), "announce %s %s %ld", arg, via, prepend < 0 ? 0 : prepend);
	else if (ann)
		snprintf(req, sizeof(req), "withdraw %s %s", arg, via);
	else if (purge)
		snprintf(req, sizeof(req), "purge %s %s %ld", arg, soft ? "soft" : "hard", timeout < 0 ? 30 : timeout);
	else
		snprintf(req, sizeof(req), "%s %s", cmd, arg);
	char *reply = NULL;
	int r = control_request_wait(sock, req, &reply, purge ? (unsigned)(timeout < 0 ? 30 : timeout) + 15 : 30);
	if (r < 0) {
		fprintf(stderr, "onlink: cannot reach the switch agent at %s: %s\n", sock, control_strerror(r));
		return 2;
	}
	json_error_t jerr;
	json_t *root = json_loads(reply, 0, &jerr);
	free(reply);
	if (!root) {
		fprintf(stderr, "onlink: bad answer from %s: %s\n", sock, jerr.text);
		return 1;
	}
	const char *err = json_string_value(json_object_get(root, "error"));
	int rc = 0;
	if (err) {
		fprintf(stderr, "onlink %s: %s\n", cmd, err);
		rc = 1;
	} else if (purge) {
		int back = json_is_true(json_object_get(root, "back"));
		printf("provider %s: %s purge: %s\n", arg, soft ? "soft" : "hard",
		       back ? "its sessions are back" : "not all its sessions came back in time");
		size_t i;
		json_t *s;
		json_array_foreach(json_object_get(root, "sessions"), i, s)
			printf("  %-16s %-6s %-12s since %s\n", json_string_value(json_object_get(s, "protocol")),
			       json_string_value(json_object_get(s, "state")), json_string_value(json_object_get(s, "info")),
			       json_string_value(json_object_get(s, "since")));
		rc = !back;
	} else if (ann) {
		printf("%s %s via %s%s\n", !strcmp(cmd, "announce") ? "announced" : "withdrew", arg, via,
		       prepend > 0 ? " (prepended)" : "");
	} else {
		printf("provider %s: %s\n", arg, json_string_value(json_object_get(root, "state")));
	}
	const char *warn = json_string_value(json_object_get(root, "warning"));
	if (warn)
		fprintf(stderr, "onlink %s: warning: %s\n", cmd, warn);
	json_decref(root);
	return rc;
}
