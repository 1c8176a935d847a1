/* Asks the host agent for its providers (the local API, proto/api.h). */
#include "onlink/providers.h"
#include "base/control.h"
#include <errno.h>
#include "proto/api.h"
#include <sys/socket.h>
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
	char *reply, req[64];
	const char *why;
	struct api_request rq = { .kind = API_PROVIDERS };
	struct api_providers p;
	api_request_encode(&rq, req, sizeof(req));
	int r = control_request(sock, req, &reply);
	if (r) {
		snprintf(err, errlen, "cannot reach the host agent at %s: %s (is onlinkd host running? "
			 "--table N probes a table by hand)", sock, control_strerror(r));
		return -1;
	}
	r = api_providers_decode(reply, &p, &why);
	free(reply);
	if (r) {
		snprintf(err, errlen, "%s: not a host agent's answer (%s)", sock, why);
		api_providers_free(&p);
		return -1;
	}
	*out = calloc(p.n + 1, sizeof(**out));
	*n = 0;
	for (size_t i = 0; *out && i < p.n; i++) {
		struct cli_provider *c = &(*out)[(*n)++];
		snprintf(c->name, sizeof(c->name), "%s", p.v[i].name);
		c->table = p.v[i].table;
		c->up = p.v[i].up;
		memcpy(c->via, p.v[i].via, sizeof(c->via));
		for (unsigned k = 0; k < p.v[i].naddrs; k++)
			if (p.v[i].addrs[k].up) {
				if (p.v[i].addrs[k].addr.family == AF_INET6)
					c->has6 = 1;
				else
					c->has4 = 1;
			}
	}
	api_providers_free(&p);
	return *out ? 0 : -1;
}
