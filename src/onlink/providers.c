/* Asks the host agent (control socket, "status") for its providers. */
#include "onlink/providers.h"
#include "base/control.h"
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int table_parse(const char *s, uint32_t *table)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || !*s || *end || *s == '-' || v == 0 || v > UINT32_MAX)
		return -1;
	*table = (uint32_t)v;
	return 0;
}

int providers_query(const char *sock, struct cli_provider **out, size_t *n, char *err, size_t errlen)
{
	char *reply;
	json_error_t jerr;
	json_t *root, *provs, *p;
	size_t i;
	int r = control_request(sock, "status", &reply);
	if (r) {
		snprintf(err, errlen, "cannot reach the host agent at %s: %s (is onlinkd host running? "
			 "--table N probes a table by hand)", sock, control_strerror(r));
		return -1;
	}
	root = json_loads(reply, 0, &jerr);
	free(reply);
	provs = root ? json_object_get(root, "providers") : NULL;
	if (!json_is_array(provs) || strcmp(json_string_value(json_object_get(root, "role")) ?: "", "host")) {
		snprintf(err, errlen, "%s is not a host agent's control socket", sock);
		json_decref(root);
		return -1;
	}
	*out = calloc(json_array_size(provs) + 1, sizeof(**out));
	*n = 0;
	json_array_foreach(provs, i, p) {
		struct cli_provider *c = &(*out)[(*n)++];
		json_t *a;
		size_t k;
		snprintf(c->name, sizeof(c->name), "%s", json_string_value(json_object_get(p, "name")) ?: "?");
		c->table = (uint32_t)json_integer_value(json_object_get(p, "table"));
		c->up = !strcmp(json_string_value(json_object_get(p, "state")) ?: "", "up");
		json_array_foreach(json_object_get(p, "addresses"), k, a) {
			const char *addr = json_string_value(json_object_get(a, "address")) ?: "";
			int up = !strcmp(json_string_value(json_object_get(a, "state")) ?: "", "up");
			if (up && strchr(addr, ':'))
				c->has6 = 1;
			else if (up)
				c->has4 = 1;
		}
	}
	json_decref(root);
	return 0;
}
