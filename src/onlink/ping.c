/* onlink ping: one destination (or more), every provider at once. */
#include "onlink/cmd.h"
#include "kernel/probe.h"
#include "onlink/plot.h"
#include "onlink/providers.h"
#include "base/addr.h"
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct row {
	const char *dest;
	char addr[ADDR_STRLEN];
	const struct cli_provider *prov;
	struct probe_stream *s;
	int best;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: onlink ping [-4|-6] [-c COUNT] [-i INTERVAL] [-W TIMEOUT] [--tcp PORT]\n"
		   "                   [--json | --json-file FILE] [--plot FILE.svg]\n"
		   "                   [-s SOCKET] [--via PROVIDER]... [--table N]... DEST...\n");
}

static void record(void *arg, struct probe_stream *s, uint32_t round, double rtt_ms)
{
	const struct probe_opts *po = arg;
	double *r = s->user;
	if (r && round < po->count)
		r[round] = rtt_ms < 0 ? -1 : rtt_ms;
}

static int parse_seconds(const char *s, double min, double max, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (!*s || *end || !(v >= min && v <= max))
		return -1;
	*out = v;
	return 0;
}

/* The first address of each wanted family. */
static int resolve(const char *name, int fam, struct sockaddr_storage out[2], socklen_t len[2], int *nout)
{
	struct addrinfo hints = { .ai_family = fam, .ai_socktype = SOCK_DGRAM }, *res, *ai;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&out[0];
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&out[0];
	int have4 = 0, have6 = 0, e;
	*nout = 0;
	/* a literal address needs no resolver */
	memset(&out[0], 0, sizeof(out[0]));
	if (fam != AF_INET6 && inet_pton(AF_INET, name, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		len[0] = sizeof(*in4);
		*nout = 1;
		return 0;
	}
	if (fam != AF_INET && inet_pton(AF_INET6, name, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		len[0] = sizeof(*in6);
		*nout = 1;
		return 0;
	}
	e = getaddrinfo(name, NULL, &hints, &res);
	if (e)
		return e;
	for (ai = res; ai && *nout < 2; ai = ai->ai_next) {
		if ((ai->ai_family == AF_INET && have4) || (ai->ai_family == AF_INET6 && have6))
			continue;
		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		memcpy(&out[*nout], ai->ai_addr, ai->ai_addrlen);
		len[*nout] = ai->ai_addrlen;
		(*nout)++;
		if (ai->ai_family == AF_INET)
			have4 = 1;
		else
			have6 = 1;
	}
	freeaddrinfo(res);
	return 0;
}

static double avg(const struct probe_stream *s) { return s->received ? s->rtt_sum / s->received : 0; }
static double mdev(const struct probe_stream *s)
{
	if (!s->received)
		return 0;
	double m = avg(s), v = s->rtt_sum2 / s->received - m * m;
	return v > 0 ? sqrt(v) : 0;
}
static double loss(const struct probe_stream *s)
{
	return s->sent ? 100.0 * (s->sent - s->received) / s->sent : 100.0;
}

static json_t *num_or_null(const struct probe_stream *s, double v)
{
	return s->received ? json_real(round(v * 1000) / 1000) : json_null();
}

int cmd_ping(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tcp", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "json-file", required_argument, NULL, 'J' },
		{ "via", required_argument, NULL, 'v' },
		{ "table", required_argument, NULL, 'T' },
		{ "plot", required_argument, NULL, 'P' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct probe_opts po = { .count = 5, .interval_s = 0.2, .timeout_s = 1.0 };
	const char *sock = DEFAULT_HOST_SOCK, *json_file = NULL, *plot = NULL;
	const char *via[64];
	uint32_t tables[1024];
	size_t nvia = 0, ntables = 0, nprov = 0;
	int fam = AF_UNSPEC, json = 0, opt;
	long tcp = 0;
	double d;
	char err[256];
	struct cli_provider *prov = NULL;

	while ((opt = getopt_long(argc, argv, "46c:i:W:s:h", opts, NULL)) != -1) {
		switch (opt) {
		case '4': fam = AF_INET; break;
		case '6': fam = AF_INET6; break;
		case 'c':
			if (parse_seconds(optarg, 1, 65535, &d) || d != floor(d)) {
				fprintf(stderr, "onlink ping: bad count '%s' (1 to 65535)\n", optarg);
				return 2;
			}
			po.count = (unsigned)d;
			break;
		case 'i':
			if (parse_seconds(optarg, 0.001, 3600, &po.interval_s)) {
				fprintf(stderr, "onlink ping: bad interval '%s' (seconds, at least 0.001)\n", optarg);
				return 2;
			}
			break;
		case 'W':
			if (parse_seconds(optarg, 0.001, 3600, &po.timeout_s)) {
				fprintf(stderr, "onlink ping: bad timeout '%s' (seconds)\n", optarg);
				return 2;
			}
			break;
		case 't': {
			char *end;
			tcp = strtol(optarg, &end, 10);
			if (!*optarg || *end || tcp < 1 || tcp > 65535) {
				fprintf(stderr, "onlink ping: bad port '%s'\n", optarg);
				return 2;
			}
			break;
		}
		case 'j': json = 1; break;
		case 'J': json_file = optarg; break;
		case 'P': plot = optarg; break;
		case 's': sock = optarg; break;
		case 'v':
			if (nvia == sizeof(via) / sizeof(via[0])) {
				fprintf(stderr, "onlink ping: too many --via\n");
				return 2;
			}
			via[nvia++] = optarg;
			break;
		case 'T':
			if (ntables == sizeof(tables) / sizeof(tables[0]) || table_parse(optarg, &tables[ntables])) {
				fprintf(stderr, "onlink ping: bad table '%s'\n", optarg);
				return 2;
			}
			ntables++;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind == argc) {
		usage(stderr);
		return 2;
	}
	if (ntables && nvia) {
		fprintf(stderr, "onlink ping: --table and --via do not mix\n");
		return 2;
	}

	/* providers: by hand, or from the agent */
	if (ntables) {
		prov = calloc(ntables, sizeof(*prov));
		for (size_t i = 0; i < ntables; i++) {
			snprintf(prov[i].name, sizeof(prov[i].name), "table-%u", tables[i]);
			prov[i].table = tables[i];
			prov[i].up = prov[i].has4 = prov[i].has6 = 1;
		}
		nprov = ntables;
	} else {
		struct cli_provider *all;
		size_t nall;
		if (providers_query(sock, &all, &nall, err, sizeof(err))) {
			fprintf(stderr, "onlink ping: %s\n", err);
			return 2;
		}
		prov = calloc(nall + 1, sizeof(*prov));
		for (size_t i = 0; i < nvia; i++) {
			size_t k;
			for (k = 0; k < nall && strcmp(all[k].name, via[i]); k++)
				;
			if (k == nall) {
				fprintf(stderr, "onlink ping: unknown provider '%s'\n", via[i]);
				free(all);
				free(prov);
				return 2;
			}
			prov[nprov++] = all[k];
		}
		for (size_t k = 0; !nvia && k < nall; k++)
			if (all[k].up)
				prov[nprov++] = all[k];
		free(all);
		if (!nprov) {
			fprintf(stderr, "onlink ping: the host agent knows no live provider\n");
			free(prov);
			return 1;
		}
	}

	/* destinations x providers */
	size_t cap = (size_t)(argc - optind) * 2 * nprov, nrows = 0;
	struct row *rows = calloc(cap + 1, sizeof(*rows));
	struct probe_stream *st = calloc(cap + 1, sizeof(*st));
	for (int a = optind; a < argc; a++) {
		struct sockaddr_storage ss[2];
		socklen_t sl[2];
		int nres, e = resolve(argv[a], fam, ss, sl, &nres);
		if (e || !nres) {
			fprintf(stderr, "onlink ping: %s: %s\n", argv[a], e ? gai_strerror(e) : "no address");
			free(rows);
			free(st);
			free(prov);
			return 2;
		}
		for (int r = 0; r < nres; r++)
			for (size_t p = 0; p < nprov; p++) {
				int is6 = ss[r].ss_family == AF_INET6;
				if ((is6 && !prov[p].has6) || (!is6 && !prov[p].has4))
					continue; /* the provider has no next hop of that family */
				struct row *rw = &rows[nrows];
				rw->dest = argv[a];
				rw->prov = &prov[p];
				rw->s = &st[nrows];
				st[nrows].dst = ss[r];
				st[nrows].dstlen = sl[r];
				st[nrows].mark = prov[p].table;
				st[nrows].tcp_port = (uint16_t)tcp;
				inet_ntop(ss[r].ss_family,
					  is6 ? (void *)&((struct sockaddr_in6 *)&ss[r])->sin6_addr
					      : (void *)&((struct sockaddr_in *)&ss[r])->sin_addr,
					  rw->addr, sizeof(rw->addr));
				nrows++;
			}
	}
	if (!nrows) {
		fprintf(stderr, "onlink ping: no provider has a next hop of the destination's address family\n");
		free(rows);
		free(st);
		free(prov);
		return 1;
	}
	/* --plot: every probe's RTT, by round */
	double *rtts = NULL;
	if (plot) {
		rtts = malloc(nrows * po.count * sizeof(*rtts));
		for (size_t i = 0; rtts && i < nrows * po.count; i++)
			rtts[i] = NAN;
		for (size_t i = 0; i < nrows; i++)
			st[i].user = rtts ? &rtts[i * po.count] : NULL;
		po.done = record, po.arg = &po;
	}
	if (probe_run(st, nrows, &po, err, sizeof(err))) {
		fprintf(stderr, "onlink ping: %s\n", err);
		probe_free(st, nrows);
		free(rows);
		free(st);
		free(prov);
		free(rtts);
		return 2;
	}
	int plot_failed = 0;
	if (plot) {
		struct plot_series *ps = calloc(nrows, sizeof(*ps));
		char title[160];
		for (size_t i = 0; ps && rtts && i < nrows; i++) {
			snprintf(ps[i].label, sizeof(ps[i].label), "%s via %s%s", rows[i].addr, rows[i].prov->name,
				 rows[i].prov->via[0] ? " (substituted)" : "");
			ps[i].rtt_ms = &rtts[i * po.count];
			ps[i].n = po.count;
		}
		snprintf(title, sizeof(title), "onlink ping: RTT per provider, %u probes every %g s", po.count, po.interval_s);
		if (!ps || !rtts || plot_svg(plot, title, ps, nrows, po.interval_s)) {
			fprintf(stderr, "onlink ping: --plot %s: %s\n", plot, strerror(errno));
			plot_failed = 1;
		}
		free(ps);
		free(rtts);
	}

	/* Rows come grouped by destination address. Best provider per address:
	 * lowest average RTT among those that answered, then lowest loss. A
	 * destination answered if any of its rows did. */
	int all_answered = 1;
	for (size_t g = 0; g < nrows;) {
		size_t end = g;
		struct row *b = NULL;
		while (end < nrows && rows[end].dest == rows[g].dest && !strcmp(rows[end].addr, rows[g].addr))
			end++;
		for (size_t k = g; k < end; k++) {
			const struct probe_stream *s = rows[k].s;
			if (rows[k].prov->via[0])
				continue; /* what it measures is its backup's */
			if (s->received && (!b || avg(s) < avg(b->s) || (avg(s) == avg(b->s) && loss(s) < loss(b->s))))
				b = &rows[k];
		}
		if (b)
			b->best = 1;
		g = end;
	}
	for (size_t g = 0; g < nrows;) {
		size_t end = g;
		int any = 0;
		while (end < nrows && rows[end].dest == rows[g].dest)
			any |= rows[end++].s->received > 0;
		all_answered &= any;
		g = end;
	}

	if (json || json_file) {
		json_t *arr = json_array();
		for (size_t i = 0; i < nrows; i++) {
			const struct probe_stream *s = rows[i].s;
			json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:s, s:I, s:I, s:f, s:o, s:o, s:o, s:o, s:b}",
				"destination", rows[i].dest, "address", rows[i].addr, "provider", rows[i].prov->name,
				"table", (json_int_t)rows[i].prov->table, "probe", tcp ? "tcp" : "icmp",
				"sent", (json_int_t)s->sent, "received", (json_int_t)s->received,
				"loss_pct", round(loss(s) * 10) / 10,
				"rtt_min_ms", num_or_null(s, s->rtt_min), "rtt_avg_ms", num_or_null(s, avg(s)),
				"rtt_max_ms", num_or_null(s, s->rtt_max), "rtt_mdev_ms", num_or_null(s, mdev(s)),
				"best", rows[i].best);
			if (tcp)
				json_object_set_new(o, "port", json_integer(tcp));
			/* substituted: this table's traffic goes to another provider */
			if (rows[i].prov->via[0]) {
				json_object_set_new(o, "substituted_via", json_string(rows[i].prov->via));
				static const char *const rtt[] = { "rtt_min_ms", "rtt_avg_ms", "rtt_max_ms", "rtt_mdev_ms" };
				for (size_t k = 0; k < 4; k++) /* not its own: its backup's */
					json_object_set_new(o, rtt[k], json_null());
			}
			if (s->last_errno && s->received < s->sent)
				json_object_set_new(o, "error", json_string(strerror(s->last_errno)));
			json_array_append_new(arr, o);
		}
		/* indented for a person, compact (and quicker) for a program */
		size_t flags = (isatty(STDOUT_FILENO) ? JSON_INDENT(2) : JSON_COMPACT) | JSON_PRESERVE_ORDER |
			       JSON_REAL_PRECISION(10);
		if (json_file && json_dump_file(arr, json_file, flags))
			fprintf(stderr, "onlink ping: cannot write %s\n", json_file);
		if (json) {
			char *txt = json_dumps(arr, flags);
			puts(txt);
			free(txt);
		}
		json_decref(arr);
	}
	if (!json) {
		printf("%-24s %-26s %-16s %6s %5s %5s %6s %9s %9s %9s %9s\n", "DESTINATION", "ADDRESS", "PROVIDER",
		       "TABLE", "SENT", "RECV", "LOSS", "MIN", "AVG", "MAX", "MDEV");
		for (size_t i = 0; i < nrows; i++) {
			const struct probe_stream *s = rows[i].s;
			int first = i == 0 || strcmp(rows[i - 1].dest, rows[i].dest) || strcmp(rows[i - 1].addr, rows[i].addr);
			printf("%-24s %-26s %-16s %6u %5u %5u %5.1f%%", first ? rows[i].dest : "", first ? rows[i].addr : "",
			       rows[i].prov->name, rows[i].prov->table, s->sent, s->received, loss(s));
			if (rows[i].prov->via[0])
				printf(" %9s %9s %9s %9s  substituted: its traffic goes to %s (see its row)\n", "-", "-", "-",
				       "-", rows[i].prov->via);
			else if (s->received)
				printf(" %9.3f %9.3f %9.3f %9.3f%s\n", s->rtt_min, avg(s), s->rtt_max, mdev(s),
				       rows[i].best ? "  *best" : "");
			else
				printf(" %9s %9s %9s %9s%s%s\n", "-", "-", "-", "-", s->last_errno ? "  " : "",
				       s->last_errno ? strerror(s->last_errno) : "");
		}
		printf("(RTT in ms, from kernel timestamps%s)\n", tcp ? "; SYN-ACK or RST counts as an answer" : "");
	}
	probe_free(st, nrows);
	free(rows);
	free(st);
	free(prov);
	return plot_failed ? 2 : all_answered ? 0 : 1;
}
