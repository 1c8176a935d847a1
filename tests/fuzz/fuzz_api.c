/* libFuzzer target: the local API's decoders (src/proto/api.c), which read
 * what another process wrote on a control socket: requests (the host
 * agent's side) and replies (the egress proxy's and the CLI's side); and
 * the other text onlink reads from local daemons: BIRD's answers
 * (switch/bird.c, proto/birdroute.c) and the kernel's route messages;
 * the switch agent's operator requests (proto/opapi.c); and the switch
 * agent's state file (switch/swstate.c).
 * Oracle beyond "no crash": what decodes encodes to a line that decodes to
 * the same thing. */
#include "proto/api.h"
#define CONTROL_LINE_MAX 65536
#include "proto/opapi.h"
#include "kernel/route.h"
#include "proto/birdroute.h"
#include "switch/bird.h"
#include "switch/swstate.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void row(void *arg, const char *name, const char *state, const char *since, const char *info)
{
	(void)arg;
	/* each field a string that ends */
	if (strlen(name) + strlen(state) + strlen(since) + strlen(info) > (size_t)1 << 20)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size + 1);
	const char *why;
	if (!in)
		return 0;
	memcpy(in, data, size);
	in[size] = 0;
	struct api_request rq, rq2;
	if (!api_request_decode(in, &rq, &why)) {
		char buf[256];
		if (api_request_encode(&rq, buf, sizeof(buf)) || api_request_decode(buf, &rq2, &why) ||
		    rq.kind != rq2.kind || rq.topics != rq2.topics || strcmp(rq.destination, rq2.destination))
			abort();
	}
	/* egress-live: its "live" array, back and forth */
	struct api_ports *lv = NULL, *lv2 = NULL;
	size_t nl = 0, nl2 = 0;
	if (!api_live_decode(in, &lv, &nl, &why)) {
		static char buf[CONTROL_LINE_MAX];
		if (api_live_encode(lv, nl, buf, sizeof(buf)) || api_live_decode(buf, &lv2, &nl2, &why) || nl != nl2)
			abort();
		for (size_t i = 0; i < nl; i++)
			if (addr_cmp(&lv[i].addr, &lv2[i].addr) || lv[i].in_use != lv2[i].in_use ||
			    !ports_equal(&lv[i].ports, &lv2[i].ports))
				abort();
	}
	free(lv);
	free(lv2);
	struct api_egress e, e2;
	if (!api_egress_decode(in, &e, &why)) {
		char *l = api_egress_encode(&e);
		if (!l || api_egress_decode(l, &e2, &why) || !api_egress_equal(&e, &e2))
			abort();
		free(l);
		api_egress_free(&e2);
	}
	api_egress_free(&e);
	struct api_providers p, p2;
	if (!api_providers_decode(in, &p, &why)) {
		char *l = api_providers_encode(&p);
		if (!l || api_providers_decode(l, &p2, &why) || p.n != p2.n)
			abort();
		for (size_t i = 0; i < p.n; i++)
			if (strcmp(p.v[i].name, p2.v[i].name) || p.v[i].table != p2.v[i].table || p.v[i].naddrs != p2.v[i].naddrs)
				abort();
		free(l);
		api_providers_free(&p2);
	}
	api_providers_free(&p);
	struct api_status s;
	api_status_decode(in, &s, &why);
	api_status_free(&s);
	struct api_route r, r2;
	if (!api_route_decode(in, &r, &why)) {
		char *l = api_route_encode(&r);
		if (!l || api_route_decode(l, &r2, &why) || r.nhops != r2.nhops || r.prefix_len != r2.prefix_len ||
		    r.table != r2.table || addr_cmp(&r.prefix, &r2.prefix))
			abort();
		for (unsigned i = 0; i < r.nhops; i++)
			if (addr_cmp(&r.hops[i].gw, &r2.hops[i].gw) || strcmp(r.hops[i].provider, r2.hops[i].provider) ||
			    r.hops[i].chosen != r2.hops[i].chosen || r.hops[i].substituted != r2.hops[i].substituted)
				abort();
		free(l);
	}
	/* the same text as a switch agent's operator request */
	struct opapi_request op, op2;
	if (!opapi_request_decode(in, &op, &why)) {
		char buf[2048];
		if (opapi_request_encode(&op, buf, sizeof(buf)) || opapi_request_decode(buf, &op2, &why) ||
		    memcmp(&op, &op2, sizeof(op)))
			abort();
	}
	/* the same text as the switch agent's state file */
	struct swstate st = { 0 }, st2 = { 0 };
	if (!swstate_decode(&st, in, &why)) {
		char *l = swstate_encode(&st);
		if (!l || swstate_decode(&st2, l, &why) || st.n != st2.n || st.leases.n != st2.leases.n ||
		    st.moves.n != st2.moves.n)
			abort();
		for (size_t i = 0; i < st.n; i++)
			if (strcmp(swstate_alias(&st2, st.aliases[i].port), st.aliases[i].alias))
				abort();
		free(l);
	}
	swstate_free(&st);
	swstate_free(&st2);
	/* the same text as BIRD's answers */
	struct bird_path bp[4];
	if (bird_route_paths(in, bp, 4) > 4)
		abort();
	bird_parse_protocols(in, row, NULL);
	bird_parse_local_as(in);
	/* the same bytes as a kernel's RTM_NEWROUTE (what route_get reads) */
	struct route_info ri;
	if (!route_parse(data, size, &ri) && (ri.nhops > ROUTE_HOPS_MAX || ri.dst_len > 128))
		abort();
	free(in);
	return 0;
}
