/* onlink drain|undrain|announce|withdraw|purge: operator changes on the
 * switch agent, which applies them (to the hosts and through BIRD) and logs
 * them with the caller's uid. */
#include "onlink/cmd.h"
#include "base/control.h"
#include "proto/opapi.h"
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#define DEFAULT_SWITCH_SOCK "/run/onlink/switch.sock"

static int usage(const char *cmd, FILE *f)
{
	if (!strcmp(cmd, "announce"))
		fprintf(f, "usage: onlink announce [-s SOCKET] PREFIX --via PROVIDER [--prepend N] [--med N] [--no-export]\n"
			   "                       [--community A:B|A:B:C]...\n"
			   "       onlink announce [-s SOCKET] --list\n");
	else if (!strcmp(cmd, "withdraw"))
		fprintf(f, "usage: onlink withdraw [-s SOCKET] PREFIX --via PROVIDER\n");
	else if (!strcmp(cmd, "purge"))
		fprintf(f, "usage: onlink purge [-s SOCKET] PROVIDER [--soft] [--timeout SECONDS]\n");
	else
		fprintf(f, "usage: onlink %s [-s SOCKET] PROVIDER\n", cmd);
	return f == stdout ? 0 : 2;
}

/* onlink announce --list: what the switch agent announces (a typed request) */
static int announce_list(const char *sock)
{
	char *reply = NULL, req[64];
	struct opapi_request rq = { .kind = OP_ANNOUNCEMENTS };
	int r = opapi_request_encode(&rq, req, sizeof(req));
	if (!r)
		r = control_request(sock, req, &reply);
	if (r < 0) {
		fprintf(stderr, "onlink: cannot reach the switch agent at %s: %s\n", sock, control_strerror(r));
		return 2;
	}
	json_t *root = json_loads(reply, 0, NULL);
	free(reply);
	json_t *anns = json_object_get(root, "announcements");
	if (!json_is_array(anns)) {
		const char *err = json_string_value(json_object_get(root, "error"));
		fprintf(stderr, "onlink announce: %s: %s\n", sock, err ? err : "not a switch agent's answer");
		json_decref(root);
		return 1;
	}
	printf("%-24s %-16s %7s %10s %9s %-19s %s\n", "PREFIX", "PROVIDER", "PREPEND", "MED", "NO-EXPORT", "SINCE",
	       "COMMUNITIES");
	size_t i, k;
	json_t *a, *c;
	json_array_foreach(anns, i, a) {
		char since[32] = "-", med[16] = "-", comm[320] = "";
		time_t t = (time_t)json_integer_value(json_object_get(a, "since"));
		struct tm tm;
		if (t && localtime_r(&t, &tm))
			strftime(since, sizeof(since), "%Y-%m-%d %H:%M:%S", &tm);
		if (json_is_integer(json_object_get(a, "med")))
			snprintf(med, sizeof(med), "%lld", (long long)json_integer_value(json_object_get(a, "med")));
		size_t off = 0;
		json_array_foreach(json_object_get(a, "communities"), k, c)
			if (off < sizeof(comm))
				off += (size_t)snprintf(comm + off, sizeof(comm) - off, "%s%s", k ? " " : "", json_string_value(c));
		printf("%-24s %-16s %7lld %10s %9s %-19s %s\n", json_string_value(json_object_get(a, "prefix")),
		       json_string_value(json_object_get(a, "provider")), (long long)json_integer_value(json_object_get(a, "prepend")),
		       med, json_is_true(json_object_get(a, "no_export")) ? "yes" : "no", since, off ? comm : "-");
	}
	json_decref(root);
	return 0;
}

int cmd_operate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' }, { "via", required_argument, NULL, 'v' },
		{ "prepend", required_argument, NULL, 'p' }, { "help", no_argument, NULL, 'h' },
		{ "soft", no_argument, NULL, 'S' }, { "timeout", required_argument, NULL, 't' },
		{ "med", required_argument, NULL, 'm' }, { "no-export", no_argument, NULL, 'n' },
		{ "community", required_argument, NULL, 'c' }, { "list", no_argument, NULL, 'l' }, { 0 },
	};
	const char *cmd = argv[0], *sock = DEFAULT_SWITCH_SOCK, *via = NULL;
	int ann = !strcmp(cmd, "announce") || !strcmp(cmd, "withdraw"), opt;
	long prepend = -1, timeout = -1;
	int soft = 0, purge = !strcmp(cmd, "purge"), no_export = 0, list = 0;
	const char *med = NULL, *comm[9];
	size_t ncomm = 0;
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
		case 'm': med = optarg; break;
		case 'n': no_export = 1; break;
		case 'l': list = 1; break;
		case 'c':
			if (ncomm == 8) {
				fprintf(stderr, "onlink %s: --community: at most 8\n", cmd);
				return 2;
			}
			comm[ncomm++] = optarg;
			break;
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
	int is_ann = !strcmp(cmd, "announce");
	if ((med || no_export || ncomm || list) && !is_ann)
		return usage(cmd, stderr);
	if (list)
		return optind == argc && !via && prepend < 0 && !med && !no_export && !ncomm ? announce_list(sock)
											   : usage(cmd, stderr);
	if (optind + 1 != argc || (ann && !via) || (!ann && via) || (prepend >= 0 && strcmp(cmd, "announce")) ||
	    ((soft || timeout >= 0) && !purge))
		return usage(cmd, stderr);
	const char *arg = argv[optind];
	char req[1024];
	struct opapi_request rq = { .kind = purge ? OP_PURGE : is_ann ? OP_ANNOUNCE : ann ? OP_WITHDRAW :
					   !strcmp(cmd, "drain") ? OP_DRAIN : OP_UNDRAIN,
				    .soft = soft, .timeout_s = timeout < 0 ? OPAPI_TIMEOUT_DEFAULT : (unsigned)timeout,
				    .prepend = prepend < 0 ? 0 : (unsigned)prepend, .no_export = no_export };
	const char *name = ann ? via : arg;
	if (strlen(name) >= sizeof(rq.provider) || (ann && strlen(arg) >= sizeof(rq.prefix))) {
		fprintf(stderr, "onlink %s: %s: too long\n", cmd, strlen(name) >= sizeof(rq.provider) ? name : arg);
		return 2;
	}
	snprintf(rq.provider, sizeof(rq.provider), "%s", name);
	if (ann)
		snprintf(rq.prefix, sizeof(rq.prefix), "%s", arg);
	if (med) {
		unsigned long long m = strtoull(med, &end, 10);
		if (*end || med[0] < '0' || med[0] > '9' || m > UINT32_MAX) {
			fprintf(stderr, "onlink %s: med: bad value '%s' (0 to 4294967295); nothing changed\n", cmd, med);
			return 1;
		}
		rq.has_med = 1;
		rq.med = (uint32_t)m;
	}
	for (size_t i = 0; i < ncomm; i++) {
		if (strlen(comm[i]) >= OPAPI_COMM_LEN) {
			fprintf(stderr, "onlink %s: community: bad '%s'; nothing changed\n", cmd, comm[i]);
			return 1;
		}
		snprintf(rq.communities[rq.ncomm++], OPAPI_COMM_LEN, "%s", comm[i]);
	}
	if (opapi_request_encode(&rq, req, sizeof(req))) {
		fprintf(stderr, "onlink %s: arguments too long\n", cmd);
		return 2;
	}
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
		       prepend > 0 || med || no_export || ncomm ? " (with its attributes)" : "");
	} else {
		printf("provider %s: %s\n", arg, json_string_value(json_object_get(root, "state")));
	}
	const char *warn = json_string_value(json_object_get(root, "warning"));
	if (warn)
		fprintf(stderr, "onlink %s: warning: %s\n", cmd, warn);
	json_decref(root);
	return rc;
}
