/* onlink route: which provider a destination goes out through right now.
 * The host agent answers with the kernel's route and the provider of each
 * next hop (the local API's "route"); BIRD on the host, when it answers,
 * adds each path's AS path and the alternatives it holds. */
#include "onlink/cmd.h"
#include "proto/json.h"
#include "onlink/providers.h" /* DEFAULT_HOST_SOCK */
#include "base/addr.h"
#include "base/control.h"
#include "proto/api.h"
#include "proto/birdroute.h"
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define DEFAULT_BIRD_SOCK "/run/bird/bird.ctl"
#define BIRD_PATHS_MAX 32

static void usage(FILE *f)
{
	fprintf(f, "usage: onlink route [-s SOCKET] [--bird SOCKET] [--json] ADDR|PREFIX\n");
}

/* One BIRD command over its control socket: its reply lines, without their
 * codes, in *out (malloc'd); 0, or -1 (no BIRD, or an error reply). */
static int bird_query(const char *path, const char *cmd, char **out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 2 };
	if (strlen(path) >= sizeof(sa.sun_path))
		return -1;
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	char *buf = NULL, line[1024];
	size_t len = 0;
	int r = -1, greeted = 0;
	FILE *in = NULL, *acc = open_memstream(&buf, &len);
	if (!acc || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || !(in = fdopen(fd, "r")))
		goto out;
	fd = -1;
	while (fgets(line, sizeof(line), in)) {
		/* "NNNN-text", "NNNN text" (the last of a reply), " text" (more) */
		int code = 0, last = 0;
		const char *text = line + 1;
		if (strlen(line) >= 5 && line[0] >= '0' && line[0] <= '9') {
			code = atoi(line);
			last = line[4] == ' ';
			text = line + 5;
		}
		if (!greeted) {
			if (code == 1 && last) {
				greeted = 1;
				if (dprintf(fileno(in), "%s\n", cmd) < 0)
					break;
			}
			continue;
		}
		if (code >= 8000) /* 8xxx, 9xxx: an error */
			break;
		if (code != 0 || !last)
			fputs(text, acc);
		if (last) {
			r = 0;
			break;
		}
	}
out:
	if (in)
		fclose(in);
	if (fd >= 0)
		close(fd);
	if (acc)
		fclose(acc);
	if (r)
		free(buf);
	else
		*out = buf;
	return r;
}

static const char *provider_name(const struct api_route *rt, const struct ol_addr *a)
{
	for (unsigned i = 0; i < rt->nhops; i++)
		if (rt->hops[i].provider[0] && !addr_cmp(&rt->hops[i].gw, a))
			return rt->hops[i].provider;
	return NULL;
}

static const char *path_of(const struct bird_path *bp, size_t nbp, const struct ol_addr *a)
{
	for (size_t i = 0; i < nbp; i++)
		if (!addr_cmp(&bp[i].via, a))
			return bp[i].as_path[0] ? bp[i].as_path : NULL;
	return NULL;
}

static const char *table_name(uint32_t t, char *buf, size_t len)
{
	if (t == 254)
		return "main";
	snprintf(buf, len, "%u", t);
	return buf;
}

int cmd_route(int argc, char **argv)
{
	const char *sock = DEFAULT_HOST_SOCK, *bird = DEFAULT_BIRD_SOCK;
	int json = 0, bird_given = 0, opt;
	static const struct option lo[] = { { "json", no_argument, NULL, 'j' }, { "bird", required_argument, NULL, 'b' },
					    { "help", no_argument, NULL, 'h' }, { 0, 0, 0, 0 } };
	while ((opt = getopt_long(argc, argv, "s:h", lo, NULL)) != -1) {
		switch (opt) {
		case 's': sock = optarg; break;
		case 'b': bird = optarg, bird_given = 1; break;
		case 'j': json = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	const char *dest = argv[optind];
	struct api_request rq = { .kind = API_ROUTE };
	char req[160], *reply = NULL;
	const char *why;
	if (strlen(dest) >= sizeof(rq.destination)) {
		fprintf(stderr, "onlink route: bad destination '%s' (an address or a prefix)\n", dest);
		return 2;
	}
	strcpy(rq.destination, dest);
	api_request_encode(&rq, req, sizeof(req));
	int r = control_request(sock, req, &reply);
	if (r) {
		fprintf(stderr, "onlink route: cannot reach the host agent at %s: %s\n", sock, control_strerror(r));
		return 2;
	}
	struct api_route rt;
	r = api_route_decode(reply, &rt, &why);
	free(reply);
	if (r) {
		fprintf(stderr, "onlink route: %s\n", why);
		return 1;
	}
	/* BIRD's paths to the same destination (its address: BIRD takes no prefix in `for`) */
	char a[ADDR_STRLEN], cmdline[128], *btext = NULL;
	snprintf(a, sizeof(a), "%.*s", (int)strcspn(dest, "/"), dest);
	snprintf(cmdline, sizeof(cmdline), "show route for %s all", a);
	struct bird_path bp[BIRD_PATHS_MAX];
	size_t nbp = 0;
	int have_bird = !bird_query(bird, cmdline, &btext);
	if (have_bird)
		nbp = bird_route_paths(btext, bp, BIRD_PATHS_MAX);
	else if (bird_given)
		fprintf(stderr, "onlink route: BIRD does not answer at %s: no AS paths\n", bird);
	free(btext);

	const struct api_route_hop *chosen = rt.nhops ? &rt.hops[0] : NULL;
	for (unsigned i = 0; i < rt.nhops; i++)
		if (rt.hops[i].chosen)
			chosen = &rt.hops[i];
	char pfx[ADDR_STRLEN + 5], g[ADDR_STRLEN], t[16];
	snprintf(pfx, sizeof(pfx), "%s/%u", addr_str(&rt.prefix, g, sizeof(g)), rt.prefix_len);
	if (json) {
		json_t *hops = json_array(), *alts = json_array();
		for (unsigned i = 0; i < rt.nhops; i++) {
			const struct api_route_hop *h = &rt.hops[i];
			jappend(&hops, jpack("{s:s?, s:s?, s:o, s:b, s:s?, s:b, s:s?}", "next_hop",
				h->gw.family ? addr_str(&h->gw, g, sizeof(g)) : NULL, "provider", h->provider[0] ? h->provider : NULL,
				"table", h->provider[0] ? json_integer(h->provider_table) : json_null(), "substituted", h->substituted,
				"via", h->via[0] ? h->via : NULL, "chosen", h->chosen, "as_path", path_of(bp, nbp, &h->gw)));
		}
		for (size_t i = 0; i < nbp; i++) {
			const char *pn = provider_name(&rt, &bp[i].via);
			jappend(&alts, jpack("{s:s?, s:s?, s:s?, s:b}", "next_hop",
				bp[i].via.family ? addr_str(&bp[i].via, g, sizeof(g)) : NULL, "provider", pn, "as_path",
				bp[i].as_path[0] ? bp[i].as_path : NULL, "best", bp[i].best));
		}
		json_t *o = jpack("{s:s, s:s, s:I, s:i, s:s?, s:s?, s:o, s:b, s:s?, s:s?, s:o, s:o}", "destination", dest,
			"prefix", pfx, "kernel_table", (json_int_t)rt.table, "protocol", rt.protocol, "next_hop",
			chosen && chosen->gw.family ? addr_str(&chosen->gw, g, sizeof(g)) : NULL, "provider",
			chosen && chosen->provider[0] ? chosen->provider : NULL, "table",
			chosen && chosen->provider[0] ? json_integer(chosen->provider_table) : json_null(), "substituted",
			chosen && chosen->substituted, "via", chosen && chosen->via[0] ? chosen->via : NULL, "as_path",
			chosen ? path_of(bp, nbp, &chosen->gw) : NULL, "next_hops", hops, "bird",
			have_bird ? alts : (json_decref(alts), json_null()));
		jset(&o, "steered", rt.steered.on ? jpack("{s:s, s:s, s:I, s:f, s:f}", "provider", rt.steered.provider,
							   "from", rt.steered.from, "since", (json_int_t)rt.steered.since,
							   "rtt_from_ms", rt.steered.rtt_from_ms, "rtt_to_ms",
							   rt.steered.rtt_to_ms) : json_null());
		char *s = o ? json_dumps(o, JSON_INDENT(2)) : NULL;
		json_decref(o);
		if (!s) {
			fprintf(stderr, "onlink route: the JSON answer could not be built\n");
			return 2;
		}
		puts(s);
		free(s);
		return 0;
	}
	printf("%s: %s, table %s, protocol %u\n", dest, pfx, table_name(rt.table, t, sizeof(t)), rt.protocol);
	if (rt.steered.on) {
		time_t since = (time_t)rt.steered.since;
		struct tm tm;
		char when[32] = "?";
		if (gmtime_r(&since, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
		printf("steered by measurement to %s since %s: RTT %.1f vs %.1f ms (%s, BGP's choice)\n", rt.steered.provider,
		       when, rt.steered.rtt_to_ms, rt.steered.rtt_from_ms, rt.steered.from[0] ? rt.steered.from : "unknown");
	}
	for (unsigned i = 0; i < rt.nhops; i++) {
		const struct api_route_hop *h = &rt.hops[i];
		const char *path = path_of(bp, nbp, &h->gw);
		char prov[96] = "(not a provider)";
		if (h->provider[0])
			snprintf(prov, sizeof(prov), "%s (table %u)", h->provider, h->provider_table);
		printf("  %s via %-24s %-28s%s%s%s%s\n", h == chosen ? "*" : " ",
		       h->gw.family ? addr_str(&h->gw, g, sizeof(g)) : "(connected)", prov, path ? " AS path " : "",
		       path ? path : "", h->substituted ? ", substituted: via backup " : "",
		       h->substituted ? (h->via[0] ? h->via : "(none)") : "");
	}
	int more = 0;
	for (size_t i = 0; i < nbp; i++) {
		int in_kernel = 0;
		for (unsigned k = 0; k < rt.nhops; k++)
			in_kernel |= !addr_cmp(&rt.hops[k].gw, &bp[i].via);
		if (in_kernel)
			continue;
		if (!more++)
			printf("BIRD also holds:\n");
		printf("    via %-24s AS path %s%s\n", bp[i].via.family ? addr_str(&bp[i].via, g, sizeof(g)) : "?",
		       bp[i].as_path[0] ? bp[i].as_path : "-", bp[i].best ? " (best)" : "");
	}
	printf("(* the next hop the kernel picks for %s)\n", a);
	return 0;
}
