/* onlink egress move HOST: the switch agent leases HOST a new slice of
 * each pool it leases from; its old slices are free at once, and the
 * ports its live flows hold there stay steered to it until they end (or
 * the switch's move-deadline). A typed request (docs/api.md). */
#include "onlink/cmd.h"
#include "base/control.h"
#include "proto/opapi.h"
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(FILE *f)
{
	fprintf(f, "usage: onlink egress move [-s SOCKET] HOST\n");
	return f == stdout ? 0 : 2;
}

int cmd_egress(int argc, char **argv)
{
	static const struct option opts[] = { { "socket", required_argument, NULL, 's' },
					       { "help", no_argument, NULL, 'h' }, { 0 } };
	const char *sock = "/run/onlink/switch.sock";
	int c;
	while ((c = getopt_long(argc, argv, "s:h", opts, NULL)) != -1) {
		if (c == 's')
			sock = optarg;
		else
			return usage(c == 'h' ? stdout : stderr);
	}
	if (argc - optind != 2 || strcmp(argv[optind], "move"))
		return usage(stderr);
	struct opapi_request rq = { .kind = OP_EGRESS_MOVE };
	if (strlen(argv[optind + 1]) >= sizeof(rq.host)) {
		fprintf(stderr, "onlink egress move: '%s' is not a host name\n", argv[optind + 1]);
		return 2;
	}
	strcpy(rq.host, argv[optind + 1]);
	char req[256], *reply = NULL;
	int r = opapi_request_encode(&rq, req, sizeof(req));
	if (!r)
		r = control_request(sock, req, &reply);
	if (r < 0) {
		fprintf(stderr, "onlink: cannot reach the switch agent at %s: %s\n", sock, control_strerror(r));
		return 2;
	}
	json_t *root = json_loads(reply, 0, NULL), *l;
	free(reply);
	if (!json_is_true(json_object_get(root, "ok"))) {
		const char *err = json_string_value(json_object_get(root, "error"));
		fprintf(stderr, "onlink egress move: %s\n", err ? err : "not a switch agent's answer");
		json_decref(root);
		return 1;
	}
	size_t i;
	printf("%s now leases:\n", rq.host);
	json_array_foreach(json_object_get(root, "leases"), i, l)
		printf("  %-12s %-26s %lld-%lld\n", json_string_value(json_object_get(l, "pool")),
		       json_string_value(json_object_get(l, "address")), (long long)json_integer_value(json_object_get(l, "first")),
		       (long long)json_integer_value(json_object_get(l, "last")));
	printf("its flows keep the ports they hold of its old slices until they end\n");
	json_decref(root);
	return 0;
}
