/* onlink ping: one destination (or more), every provider at once. */
#include "onlink/cmd.h"
#include "proto/json.h"
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

/* what was asked, and what it became: the arguments, the providers, one
 * row (and probe stream) per destination address and provider */
struct ping {
	struct probe_opts po;
	const char *sock, *json_file, *plot;
	const char *via[64];
	uint32_t tables[1024];
	size_t nvia, ntables;
	int fam, json;
	long tcp;
	char **dests;
	int ndests;
	struct cli_provider *prov;
	size_t nprov;
	struct row *rows;
	struct probe_stream *st;
	size_t nrows;
	double *rtts;           /* --plot: every probe's RTT, by round */
};

/* ---- the request ---- */

/* the command line into pg: 0, or the exit status (2) after a message */
static int parse_args(struct ping *pg, int argc, char **argv)
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
	double d;
	int opt;
	while ((opt = getopt_long(argc, argv, "46c:i:W:s:h", opts, NULL)) != -1) {
		switch (opt) {
		case '4': pg->fam = AF_INET; break;
		case '6': pg->fam = AF_INET6; break;
		case 'c':
			if (parse_seconds(optarg, 1, 65535, &d) || d != floor(d)) {
				fprintf(stderr, "onlink ping: bad count '%s' (1 to 65535)\n", optarg);
				return 2;
			}
			pg->po.count = (unsigned)d;
			break;
		case 'i':
			if (parse_seconds(optarg, 0.001, 3600, &pg->po.interval_s)) {
				fprintf(stderr, "onlink ping: bad interval '%s' (seconds, at least 0.001)\n", optarg);
				return 2;
			}
			break;
		case 'W':
			if (parse_seconds(optarg, 0.001, 3600, &pg->po.timeout_s)) {
				fprintf(stderr, "onlink ping: bad timeout '%s' (seconds)\n", optarg);
				return 2;
			}
			break;
		case 't': {
			char *end;
			pg->tcp = strtol(optarg, &end, 10);
			if (!*optarg || *end || pg->tcp < 1 || pg->tcp > 65535) {
				fprintf(stderr, "onlink ping: bad port '%s'\n", optarg);
				return 2;
			}
			break;
		}
		case 'j': pg->json = 1; break;
		case 'J': pg->json_file = optarg; break;
		case 'P': pg->plot = optarg; break;
		case 's': pg->sock = optarg; break;
		case 'v':
			if (pg->nvia == sizeof(pg->via) / sizeof(pg->via[0])) {
				fprintf(stderr, "onlink ping: too many --via\n");
				return 2;
			}
			pg->via[pg->nvia++] = optarg;
			break;
		case 'T':
			if (pg->ntables == sizeof(pg->tables) / sizeof(pg->tables[0]) ||
			    table_parse(optarg, &pg->tables[pg->ntables])) {
				fprintf(stderr, "onlink ping: bad table '%s'\n", optarg);
				return 2;
			}
			pg->ntables++;
			break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return 2;
		}
	}
	if (optind == argc) {
		usage(stderr);
		return 2;
	}
	if (pg->ntables && pg->nvia) {
		fprintf(stderr, "onlink ping: --table and --via do not mix\n");
		return 2;
	}
	pg->dests = argv + optind;
	pg->ndests = argc - optind;
	return 0;
}

/* the providers to measure: tables given by hand, or the host agent's
 * (those named, or every live one); 0 or the exit status */
static int choose_providers(struct ping *pg)
{
	char err[256];
	if (pg->ntables) {
		pg->prov = calloc(pg->ntables, sizeof(*pg->prov));
		for (size_t i = 0; pg->prov && i < pg->ntables; i++) {
			snprintf(pg->prov[i].name, sizeof(pg->prov[i].name), "table-%u", pg->tables[i]);
			pg->prov[i].table = pg->tables[i];
			pg->prov[i].up = pg->prov[i].has4 = pg->prov[i].has6 = 1;
		}
		pg->nprov = pg->prov ? pg->ntables : 0;
		return pg->prov ? 0 : 2;
	}
	struct cli_provider *all;
	size_t nall;
	if (providers_query(pg->sock, &all, &nall, err, sizeof(err))) {
		fprintf(stderr, "onlink ping: %s\n", err);
		return 2;
	}
	pg->prov = calloc(nall + 1, sizeof(*pg->prov));
	for (size_t i = 0; pg->prov && i < pg->nvia; i++) {
		size_t k;
		for (k = 0; k < nall && strcmp(all[k].name, pg->via[i]); k++)
			;
		if (k == nall) {
			fprintf(stderr, "onlink ping: unknown provider '%s'\n", pg->via[i]);
			free(all);
			return 2;
		}
		pg->prov[pg->nprov++] = all[k];
	}
	for (size_t k = 0; pg->prov && !pg->nvia && k < nall; k++)
		if (all[k].up)
			pg->prov[pg->nprov++] = all[k];
	free(all);
	if (!pg->nprov) {
		fprintf(stderr, "onlink ping: the host agent knows no live provider\n");
		return 1;
	}
	return 0;
}

/* destinations x providers: a row each where the provider has a next hop
 * of the address's family; 0 or the exit status */
static int make_rows(struct ping *pg)
{
	size_t cap = (size_t)pg->ndests * 2 * pg->nprov;
	pg->rows = calloc(cap + 1, sizeof(*pg->rows));
	pg->st = calloc(cap + 1, sizeof(*pg->st));
	if (!pg->rows || !pg->st)
		return 2;
	for (int a = 0; a < pg->ndests; a++) {
		struct sockaddr_storage ss[2];
		socklen_t sl[2];
		int nres, e = resolve(pg->dests[a], pg->fam, ss, sl, &nres);
		if (e || !nres) {
			fprintf(stderr, "onlink ping: %s: %s\n", pg->dests[a], e ? gai_strerror(e) : "no address");
			return 2;
		}
		for (int r = 0; r < nres; r++)
			for (size_t p = 0; p < pg->nprov; p++) {
				int is6 = ss[r].ss_family == AF_INET6;
				if ((is6 && !pg->prov[p].has6) || (!is6 && !pg->prov[p].has4))
					continue; /* the provider has no next hop of that family */
				struct row *rw = &pg->rows[pg->nrows];
				struct probe_stream *st = &pg->st[pg->nrows];
				rw->dest = pg->dests[a];
				rw->prov = &pg->prov[p];
				rw->s = st;
				st->dst = ss[r];
				st->dstlen = sl[r];
				st->mark = pg->prov[p].table;
				st->tcp_port = (uint16_t)pg->tcp;
				inet_ntop(ss[r].ss_family,
					  is6 ? (void *)&((struct sockaddr_in6 *)&ss[r])->sin6_addr
					      : (void *)&((struct sockaddr_in *)&ss[r])->sin_addr,
					  rw->addr, sizeof(rw->addr));
				pg->nrows++;
			}
	}
	if (!pg->nrows) {
		fprintf(stderr, "onlink ping: no provider has a next hop of the destination's address family\n");
		return 1;
	}
	return 0;
}

/* every row's probes at once (kernel/probe.c); 0 or the exit status */
static int run(struct ping *pg)
{
	char err[256];
	if (pg->plot) {
		pg->rtts = malloc(pg->nrows * pg->po.count * sizeof(*pg->rtts));
		for (size_t i = 0; pg->rtts && i < pg->nrows * pg->po.count; i++)
			pg->rtts[i] = NAN;
		for (size_t i = 0; i < pg->nrows; i++)
			pg->st[i].user = pg->rtts ? &pg->rtts[i * pg->po.count] : NULL;
		pg->po.done = record, pg->po.arg = &pg->po;
	}
	if (probe_run(pg->st, pg->nrows, &pg->po, err, sizeof(err))) {
		fprintf(stderr, "onlink ping: %s\n", err);
		return 2;
	}
	return 0;
}

/* ---- the rendering ---- */

/* Rows come grouped by destination address. Best provider per address:
 * lowest average RTT among those that answered, then lowest loss. A
 * destination answered if any of its rows did: 1 when every one did. */
static int mark_best(struct ping *pg)
{
	struct row *rows = pg->rows;
	int all_answered = 1;
	for (size_t g = 0; g < pg->nrows;) {
		size_t end = g;
		struct row *b = NULL;
		while (end < pg->nrows && rows[end].dest == rows[g].dest && !strcmp(rows[end].addr, rows[g].addr))
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
	for (size_t g = 0; g < pg->nrows;) {
		size_t end = g;
		int any = 0;
		while (end < pg->nrows && rows[end].dest == rows[g].dest)
			any |= rows[end++].s->received > 0;
		all_answered &= any;
		g = end;
	}
	return all_answered;
}

/* --plot FILE.svg: every probe's RTT, a series per row; 0 or -1 */
static int render_plot(const struct ping *pg)
{
	struct plot_series *ps = calloc(pg->nrows, sizeof(*ps));
	char title[160];
	for (size_t i = 0; ps && pg->rtts && i < pg->nrows; i++) {
		snprintf(ps[i].label, sizeof(ps[i].label), "%s via %s%s", pg->rows[i].addr, pg->rows[i].prov->name,
			 pg->rows[i].prov->via[0] ? " (substituted)" : "");
		ps[i].rtt_ms = &pg->rtts[i * pg->po.count];
		ps[i].n = pg->po.count;
	}
	snprintf(title, sizeof(title), "onlink ping: RTT per provider, %u probes every %g s", pg->po.count,
		 pg->po.interval_s);
	int r = !ps || !pg->rtts || plot_svg(pg->plot, title, ps, pg->nrows, pg->po.interval_s) ? -1 : 0;
	if (r)
		fprintf(stderr, "onlink ping: --plot %s: %s\n", pg->plot, strerror(errno));
	free(ps);
	return r;
}

/* 0, or 2 when the answer could not be built (jpack says where) */
static int render_json(const struct ping *pg)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < pg->nrows; i++) {
		const struct row *rw = &pg->rows[i];
		const struct probe_stream *s = rw->s;
		json_t *o = jpack("{s:s, s:s, s:s, s:I, s:s, s:I, s:I, s:f, s:o, s:o, s:o, s:o, s:b}",
			"destination", rw->dest, "address", rw->addr, "provider", rw->prov->name,
			"table", (json_int_t)rw->prov->table, "probe", pg->tcp ? "tcp" : "icmp",
			"sent", (json_int_t)s->sent, "received", (json_int_t)s->received,
			"loss_pct", round(loss(s) * 10) / 10,
			"rtt_min_ms", num_or_null(s, s->rtt_min), "rtt_avg_ms", num_or_null(s, avg(s)),
			"rtt_max_ms", num_or_null(s, s->rtt_max), "rtt_mdev_ms", num_or_null(s, mdev(s)),
			"best", rw->best);
		if (pg->tcp)
			jset(&o, "port", json_integer(pg->tcp));
		/* substituted: this table's traffic goes to another provider */
		if (rw->prov->via[0]) {
			jset(&o, "substituted_via", json_string(rw->prov->via));
			static const char *const rtt[] = { "rtt_min_ms", "rtt_avg_ms", "rtt_max_ms", "rtt_mdev_ms" };
			for (size_t k = 0; k < 4; k++) /* not its own: its backup's */
				jset(&o, rtt[k], json_null());
		}
		if (s->last_errno && s->received < s->sent)
			jset(&o, "error", json_string(strerror(s->last_errno)));
		jappend(&arr, o);
	}
	if (!arr) {
		fprintf(stderr, "onlink ping: the JSON answer could not be built\n");
		return 2;
	}
	/* indented for a person, compact (and quicker) for a program */
	size_t flags = (isatty(STDOUT_FILENO) ? JSON_INDENT(2) : JSON_COMPACT) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10);
	if (pg->json_file && json_dump_file(arr, pg->json_file, flags))
		fprintf(stderr, "onlink ping: cannot write %s\n", pg->json_file);
	if (pg->json) {
		char *txt = json_dumps(arr, flags);
		if (txt)
			puts(txt);
		free(txt);
	}
	json_decref(arr);
	return 0;
}

static void render_table(const struct ping *pg)
{
	printf("%-24s %-26s %-16s %6s %5s %5s %6s %9s %9s %9s %9s\n", "DESTINATION", "ADDRESS", "PROVIDER", "TABLE",
	       "SENT", "RECV", "LOSS", "MIN", "AVG", "MAX", "MDEV");
	for (size_t i = 0; i < pg->nrows; i++) {
		const struct row *rw = &pg->rows[i];
		const struct probe_stream *s = rw->s;
		int first = i == 0 || strcmp(pg->rows[i - 1].dest, rw->dest) || strcmp(pg->rows[i - 1].addr, rw->addr);
		printf("%-24s %-26s %-16s %6u %5u %5u %5.1f%%", first ? rw->dest : "", first ? rw->addr : "",
		       rw->prov->name, rw->prov->table, s->sent, s->received, loss(s));
		if (rw->prov->via[0])
			printf(" %9s %9s %9s %9s  substituted: its traffic goes to %s (see its row)\n", "-", "-", "-", "-",
			       rw->prov->via);
		else if (s->received)
			printf(" %9.3f %9.3f %9.3f %9.3f%s\n", s->rtt_min, avg(s), s->rtt_max, mdev(s),
			       rw->best ? "  *best" : "");
		else
			printf(" %9s %9s %9s %9s%s%s\n", "-", "-", "-", "-", s->last_errno ? "  " : "",
			       s->last_errno ? strerror(s->last_errno) : "");
	}
	printf("(RTT in ms, from kernel timestamps%s)\n", pg->tcp ? "; SYN-ACK or RST counts as an answer" : "");
}

int cmd_ping(int argc, char **argv)
{
	struct ping pg = { .po = { .count = 5, .interval_s = 0.2, .timeout_s = 1.0 }, .sock = DEFAULT_HOST_SOCK,
			   .fam = AF_UNSPEC };
	int rc = parse_args(&pg, argc, argv);
	if (!rc)
		rc = choose_providers(&pg);
	if (!rc)
		rc = make_rows(&pg);
	if (!rc)
		rc = run(&pg);
	if (!rc) {
		int plot_failed = pg.plot && render_plot(&pg);
		int all_answered = mark_best(&pg);
		int json_failed = (pg.json || pg.json_file) && render_json(&pg);
		if (!pg.json)
			render_table(&pg);
		rc = plot_failed || json_failed ? 2 : all_answered ? 0 : 1;
	}
	if (pg.st)
		probe_free(pg.st, pg.nrows);
	free(pg.rows);
	free(pg.st);
	free(pg.prov);
	free(pg.rtts);
	return rc;
}
