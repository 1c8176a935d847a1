/* The egress daemon: the nftables table and policy routing TPROXY needs,
 * the TCP proxy, and what it learns from the local host agent (this host's
 * name, its slices of the shared addresses, provider tables), subscribed
 * through the local API (proto/api.h), so that a slice change arrives as
 * it happens. */
#include "base/version.h"
#include "egress/egressd.h"
#include "proto/json.h"
#include "base/vec.h"
#include "base/control.h"
#include "base/knob.h"
#include "conf/daemon.h"
#include "base/log.h"
#include "base/loop.h"
#include "kernel/nl.h"
#include "egress/nft.h"
#include "egress/live.h"
#include "egress/tcp.h"
#include "egress/udp.h"
#include "egress/clients.h"
#include "proto/api.h"
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>
#include <errno.h>
#include <jansson.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>

/* a host agent that cannot be reached is tried again this often */
#define RETRY_MS 1000
#define AGENT_LINE_MAX (4 << 20)
#define FDS_KEPT 256

struct egressd {
	struct config *cfg;
	struct tcp_proxy *tcp;
	struct udp_proxy *udp;
	struct clients *clients;        /* flows per client address, and the descriptors (clients.h) */
	struct nl *nl;
	struct loop_src sig;
	struct loop_src agent;          /* the subscription to the host agent */
	struct timer retry;
	char *in;
	size_t inlen, incap;
	unsigned agent_tries;
	volatile int stop, reload;
	char host[OL_NAME_MAX];
	struct ol_egress src4, src6;    /* the chosen shared addresses (one slice each) */
	int have4, have6, agent_ok;
	uint32_t mark;
	struct ratelimit rl;
	struct egress_live *live;       /* the flows' ports, told to the host agent (live.h) */
	struct egress_source slices[2 * EGRESS_SLICES_MAX]; /* every slice it takes ports from */
	size_t nslices;
};

/* the TPROXY policy routing: fwmark M lookup T; local default dev lo in T */
static size_t routing_ops(const struct egressd *e, enum kop_type op, struct kop *ops)
{
	static const int fams[2] = { AF_INET, AF_INET6 };
	size_t n = 0;
	for (int i = 0; i < 2; i++) {
		struct kobj rule = { .type = KO_RULE, .family = (uint8_t)fams[i], .proto = OL_PROTO_EGRESS,
				     .table = e->cfg->eg.tproxy_table, .fwmark = e->cfg->eg.tproxy_mark,
				     .priority = 900 };
		struct kobj route = { .type = KO_ROUTE, .family = (uint8_t)fams[i], .proto = OL_PROTO_EGRESS,
				      .table = e->cfg->eg.tproxy_table, .rtype = RTN_LOCAL, .ifindex = 1 };
		route.dst.family = (uint8_t)fams[i];
		ops[n++] = (struct kop){ .op = op, .obj = op == KOP_DEL ? rule : route };
		ops[n++] = (struct kop){ .op = op == KOP_DEL ? KOP_DEL : KOP_ADD, .obj = op == KOP_DEL ? route : rule };
	}
	return n;
}

static int routing(struct egressd *e, enum kop_type op)
{
	struct kop ops[4];
	int errs[4];
	char msg[256];
	size_t n = routing_ops(e, op, ops);
	nl_apply(e->nl, ops, n, errs, msg, sizeof(msg));
	for (size_t i = 0; i < n; i++)
		if (errs[i] && errs[i] != -EEXIST && !(op == KOP_DEL && (errs[i] == -ENOENT || errs[i] == -ESRCH))) {
			char buf[160];
			log_err("%s %s: %s%s%s", op == KOP_DEL ? "delete" : "add", kobj_str(&ops[i].obj, buf, sizeof(buf)),
				strerror(-errs[i]), msg[0] ? ": " : "", msg);
			return -1;
		}
	return 0;
}

/* The kernel honours IP_LOCAL_PORT_RANGE only inside the system's
 * ip_local_port_range, and silently ignores it otherwise: a slice outside
 * that range would leak flows onto other hosts' ports. */
static int slice_in_system_range(const struct ol_slice *s, char *why, size_t len)
{
	unsigned lo = 0, hi = 0;
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "re");
	if (!f || fscanf(f, "%u %u", &lo, &hi) != 2) {
		if (f)
			fclose(f);
		snprintf(why, len, "cannot read net.ipv4.ip_local_port_range");
		return 0;
	}
	fclose(f);
	if (s->first < lo || s->last > hi) {
		snprintf(why, len, "slice %u-%u is outside net.ipv4.ip_local_port_range (%u-%u), where the kernel "
			 "would ignore it: widen it, for example to '1024 65535'", s->first, s->last, lo, hi);
		return 0;
	}
	return 1;
}

/* What the host agent says: this host's name, its slices, provider tables. */
static void apply_agent(struct egressd *e, const struct api_egress *x)
{
	snprintf(e->host, sizeof(e->host), "%s", x->host);
	int had4 = e->have4, had6 = e->have6;
	struct ol_egress old4 = e->src4, old6 = e->src6;
	static struct egress_source v[2 * EGRESS_SLICES_MAX];
	size_t nv = 0;
	unsigned reserved = 0;
	char why[256], a[ADDR_STRLEN];
	e->have4 = e->have6 = 0;
	for (size_t i = 0; i < x->slices.n && nv < 2 * EGRESS_SLICES_MAX; i++) {
		const struct api_slice *sl = &x->slices.v[i];
		struct ol_slice s = { .first = sl->first, .last = sl->last };
		if (!slice_in_system_range(&s, why, sizeof(why))) {
			log_limited(&e->rl, LOG_ERR, "%s egress refused: %s", sl->addr.family == AF_INET ? "IPv4" : "IPv6", why);
			continue;
		}
		struct egress_source *src = &v[nv++];
		memset(src, 0, sizeof(*src));
		src->addr = sl->addr;
		src->first = sl->first;
		src->last = sl->last;
		src->valid = 1;
		/* ports of this slice kept for another host's flows (a move) */
		for (size_t k = 0; k < x->reserved.n; k++)
			if (!addr_cmp(&x->reserved.v[k].addr, &sl->addr))
				ports_within(&x->reserved.v[k].ports, sl->first, sl->last, &src->reserved);
		reserved += ports_count(&src->reserved);
		/* the first of each family, for the status and the log */
		struct ol_egress eg = { .nslices = 1, .addr = sl->addr };
		snprintf(eg.slices[0].host, sizeof(eg.slices[0].host), "%s", e->host);
		eg.slices[0].first = sl->first;
		eg.slices[0].last = sl->last;
		if (eg.addr.family == AF_INET && !e->have4) {
			e->src4 = eg;
			e->have4 = 1;
		} else if (eg.addr.family == AF_INET6 && !e->have6) {
			e->src6 = eg;
			e->have6 = 1;
		}
	}
	e->nslices = nv;
	memcpy(e->slices, v, nv * sizeof(v[0]));
	uint32_t mark = 0;
	if (e->cfg->eg.via[0]) {
		for (size_t i = 0; i < x->tables.n; i++)
			if (!strcmp(x->tables.v[i].name, e->cfg->eg.via))
				mark = x->tables.v[i].table;
		if (!mark)
			log_limited(&e->rl, LOG_WARNING, "via: the host agent knows no provider '%s': using the main table",
				    e->cfg->eg.via);
	}
	e->agent_ok = 1;
	e->mark = mark;
	tcp_proxy_set_mark(e->tcp, mark);
	udp_proxy_set_mark(e->udp, mark);
	tcp_proxy_set_sources(e->tcp, v, nv);
	udp_proxy_set_sources(e->udp, v, nv);
	if (reserved)
		log_info("egress: %u ports of this host's slices are kept for another host's flows", reserved);
	if (e->have4 != had4 || (e->have4 && !egress_equal(&e->src4, &old4)))
		log_info("IPv4 egress: %s", e->have4 ? addr_str(&e->src4.addr, a, sizeof(a)) : "none");
	if (e->have6 != had6 || (e->have6 && !egress_equal(&e->src6, &old6)))
		log_info("IPv6 egress: %s", e->have6 ? addr_str(&e->src6.addr, a, sizeof(a)) : "none");
	if (nv > (size_t)(e->have4 + e->have6))
		log_info("egress: %zu slices (a pool leased more to this host)", nv);
}

/* The subscription's socket closed, and what was read of it dropped. */
static void agent_unsubscribe(struct egressd *e)
{
	if (e->agent.fd >= 0) {
		loop_del(&e->agent);
		close(e->agent.fd);
		e->agent.fd = -1;
	}
	e->inlen = 0;
}

/* The host agent is away: said once, tried again after RETRY_MS. */
static void agent_close(struct egressd *e, const char *why)
{
	agent_unsubscribe(e);
	if (e->agent_ok || !e->agent_tries)
		log_limited(&e->rl, LOG_WARNING, "host agent at %s: %s; slices as they were, until it answers",
			    e->cfg->eg.host_control, why);
	e->agent_ok = 0;
	e->agent_tries++;
	timer_arm(&e->retry, RETRY_MS, 0);
}

/* The subscription's lines: each the whole egress state. */
static void agent_cb(struct loop_src *src, uint32_t events)
{
	struct egressd *e = src->arg;
	(void)events;
	for (;;) {
		if (e->incap - e->inlen < 4096 &&
		    (e->inlen + 4096 > AGENT_LINE_MAX || vec_reserve_((void **)&e->in, &e->incap, e->inlen + 4096, 1))) {
			agent_close(e, "an answer too long");
			return;
		}
		ssize_t r = read(src->fd, e->in + e->inlen, e->incap - e->inlen - 1);
		if (r < 0 && errno == EAGAIN)
			break;
		if (r <= 0) {
			agent_close(e, r ? strerror(errno) : "it closed the connection");
			return;
		}
		e->inlen += (size_t)r;
	}
	char *line = e->in, *nl;
	while ((nl = memchr(line, '\n', e->inlen - (size_t)(line - e->in)))) {
		*nl = 0;
		struct api_egress x;
		const char *why;
		if (api_egress_decode(line, &x, &why))
			log_limited(&e->rl, LOG_WARNING, "host agent: an answer not understood: %s", why);
		else
			apply_agent(e, &x);
		api_egress_free(&x);
		line = nl + 1;
	}
	e->inlen -= (size_t)(line - e->in);
	memmove(e->in, line, e->inlen);
}

/* Subscribes to the host agent's egress slices: they come as they change. */
static void agent_connect(struct timer *t)
{
	struct egressd *e = t->arg;
	char req[128];
	struct api_request rq = { .kind = API_SUBSCRIBE, .topics = API_TOPIC_EGRESS };
	api_request_encode(&rq, req, sizeof(req));
	int fd = control_open_stream(e->cfg->eg.host_control, req);
	if (fd < 0) {
		agent_close(e, strerror(-fd));
		return;
	}
	e->agent = (struct loop_src){ .fd = fd, .cb = agent_cb, .arg = e };
	if (loop_add(&e->agent, EPOLLIN) < 0) {
		agent_close(e, "event loop");
		return;
	}
	e->agent_tries = 0;
}

/* SIGHUP: the client prefixes, via, the idle timeouts, client-flows,
 * flow-buffer and syslog change in place (flows in progress go on); a
 * change to a key that takes a restart refuses the whole reload. */
static void reload(struct egressd *e)
{
	struct config *c = e->cfg, next;
	if (config_load(c->path, &next)) {
		log_err("reload refused, the running configuration stays: %s", next.err);
		return;
	}
	const char *fixed = next.role != ROLE_EGRESS ? "the section ([egress])"
			    : next.eg.listen_port != c->eg.listen_port ? "listen-port"
			    : next.eg.tproxy_mark != c->eg.tproxy_mark ? "tproxy-mark"
			    : next.eg.tproxy_table != c->eg.tproxy_table ? "tproxy-table"
			    : strcmp(next.control, c->control) ? "control"
			    : strcmp(next.eg.host_control, c->eg.host_control) ? "host-control"
			    : strcmp(next.metrics.text, c->metrics.text) ? "metrics" : NULL;
	if (fixed) {
		log_err("reload refused: %s changed, which takes a restart; the running configuration stays", fixed);
		config_free(&next);
		return;
	}
	if (config_same(c, &next)) {
		log_info("reload: %s unchanged; asking the host agent again", c->path);
	} else {
		char err[512] = "";
		if (egress_nft_install(&next.eg, err, sizeof(err))) {
			log_err("reload refused: %s; the running configuration stays", err);
			config_free(&next);
			return;
		}
		memcpy(c->eg.clients, next.eg.clients, sizeof(c->eg.clients));
		c->eg.nclients = next.eg.nclients;
		memcpy(c->eg.via, next.eg.via, sizeof(c->eg.via));
		c->eg.idle_timeout = next.eg.idle_timeout;
		c->eg.udp_idle_timeout = next.eg.udp_idle_timeout;
		c->eg.client_flows = next.eg.client_flows;
		c->eg.flow_buffer = next.eg.flow_buffer;
		clients_set_limit(e->clients, c->eg.client_flows);
		tcp_proxy_set_buffer(e->tcp, c->eg.flow_buffer);
		udp_proxy_set_buffer(e->udp, c->eg.flow_buffer);
		c->syslog = next.syslog;
		log_syslog(c->syslog);
		tcp_proxy_set_idle(e->tcp, c->eg.idle_timeout);
		udp_proxy_set_idle(e->udp, c->eg.udp_idle_timeout);
		log_info("reload: %s applied (%u client prefixes, via %s)", c->path, c->eg.nclients, c->eg.via[0] ? c->eg.via : "-");
	}
	config_free(&next);
	agent_unsubscribe(e); /* subscribed again: the whole state comes first */
	agent_connect(&e->retry);
	daemon_notify_ready("egress proxy: reloaded");
}

#define TOP_CLIENTS 5

/* the clients' share: limits, what is held, refusals, the heaviest */
static json_t *clients_json(const struct egressd *e)
{
	const struct tcp_stats *t = tcp_proxy_stats(e->tcp);
	const struct udp_stats *u = udp_proxy_stats(e->udp);
	struct client_count top[TOP_CLIENTS];
	size_t n = clients_top(e->clients, top, TOP_CLIENTS);
	json_t *tj = json_array(), *rj = json_object();
	for (size_t i = 0; i < n; i++) {
		char a[INET6_ADDRSTRLEN] = "?";
		const struct sockaddr_storage *ss = &top[i].addr;
		inet_ntop(ss->ss_family, ss->ss_family == AF_INET ? (const void *)&((const struct sockaddr_in *)ss)->sin_addr
								  : (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr,
			  a, sizeof(a));
		jappend(&tj, jpack("{s:s, s:I}", "client", a, "flows", (json_int_t)top[i].flows));
	}
	for (int v = CLIENT_OVER_LIMIT; v < CLIENT_VERDICTS; v++)
		jset(&rj, client_verdict_str((enum client_verdict)v),
		     jpack("{s:I, s:I}", "tcp", (json_int_t)t->client_refused[v], "udp", (json_int_t)u->client_refused[v]));
	return jpack("{s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o}", "client_flows", (json_int_t)clients_limit(e->clients),
		     "flow_buffer", (json_int_t)e->cfg->eg.flow_buffer, "active", (json_int_t)clients_active(e->clients),
		     "flows", (json_int_t)clients_flows(e->clients), "descriptors", (json_int_t)clients_fds(e->clients),
		     "descriptors_max", (json_int_t)clients_max_fds(e->clients), "refused", rj, "top", tj);
}

static json_t *slice_json(const struct egress_source *s)
{
	char a[ADDR_STRLEN];
	return jpack("{s:s, s:i, s:i, s:i}", "address", addr_str(&s->addr, a, sizeof(a)), "first", (int)s->first, "last",
		     (int)s->last, "reserved", (int)ports_count(&s->reserved));
}

static json_t *source_json(const struct ol_egress *s, int have)
{
	char a[ADDR_STRLEN];
	if (!have)
		return json_null();
	return jpack("{s:s, s:i, s:i}", "address", addr_str(&s->addr, a, sizeof(a)), "first", s->slices[0].first,
			 "last", s->slices[0].last);
}

#define EGRESS_FLOWS_MAX 4096

static char *control_cb(const char *req, void *arg)
{
	struct egressd *e = arg;
	json_t *root;
	struct api_request rq;
	const char *why = "unknown request: the egress proxy answers the typed requests of docs/api.md";
	/* the typed request, or the bare word of CLIs before it */
	int status = !strcmp(req, "status");
	if (!status && api_is_request(req) && !api_request_decode(req, &rq, &why)) {
		status = rq.kind == API_STATUS;
		if (rq.kind == API_FLOWS || rq.kind == API_SLICES) {
			json_t *a = json_array();
			if (rq.kind == API_FLOWS) {
				/* at most 4096: a reply stays a reply */
				tcp_proxy_flows(e->tcp, &a, EGRESS_FLOWS_MAX);
				udp_proxy_flows(e->udp, &a, EGRESS_FLOWS_MAX - json_array_size(a));
			} else {
				for (size_t i = 0; i < e->nslices; i++)
					jappend(&a, slice_json(&e->slices[i]));
			}
			root = jpack("{s:i, s:s, s:o}", "api", API_VERSION, "reply", rq.kind == API_FLOWS ? "flows" : "slices",
					 rq.kind == API_FLOWS ? "flows" : "slices", a);
			goto out;
		}
		why = "unknown request: the egress proxy answers status, flows and slices";
	}
	if (!status) {
		root = jpack("{s:i, s:s}", "api", API_VERSION, "error", why);
	} else {
		const struct tcp_stats *t = tcp_proxy_stats(e->tcp);
		const struct udp_stats *u = udp_proxy_stats(e->udp);
		root = jpack("{s:s, s:s, s:s, s:b, s:o, s:o, s:s?, s:I, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}}",
			"role", "egress", "version", onlink_version, "host", e->host, "agent", e->agent_ok,
			"ipv4", source_json(&e->src4, e->have4), "ipv6", source_json(&e->src6, e->have6),
			"via", e->cfg->eg.via[0] ? e->cfg->eg.via : NULL, "mark", (json_int_t)e->mark,
			"tcp", "active", (json_int_t)t->active, "accepted", (json_int_t)t->accepted,
			"completed", (json_int_t)t->completed, "resets", (json_int_t)t->resets,
			"exhausted", (json_int_t)t->exhausted, "connect_failed", (json_int_t)t->connect_failed,
			"no_source", (json_int_t)t->no_source, "idle_closed", (json_int_t)t->idle_closed,
			"bytes_up", (json_int_t)t->bytes_up, "bytes_down", (json_int_t)t->bytes_down);
		jset(&root, "udp", jpack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			"active", (json_int_t)u->active, "created", (json_int_t)u->created, "expired", (json_int_t)u->expired,
			"exhausted", (json_int_t)u->exhausted, "no_source", (json_int_t)u->no_source,
			"errors", (json_int_t)u->errors, "datagrams_up", (json_int_t)u->datagrams_up,
			"datagrams_down", (json_int_t)u->datagrams_down, "bytes_up", (json_int_t)u->bytes_up,
			"bytes_down", (json_int_t)u->bytes_down));
		jset(&root, "clients", clients_json(e));
		json_t *sl = json_array();
		for (size_t i = 0; i < e->nslices; i++)
			jappend(&sl, slice_json(&e->slices[i]));
		jset(&root, "slices", sl);
		jset(&root, "api", json_integer(API_VERSION));
		jset(&root, "reply", json_string("status"));
	}
out:
	char *out = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return out;
}

static void metrics_cb(FILE *f, void *arg)
{
	struct egressd *e = arg;
	const struct tcp_stats *t = tcp_proxy_stats(e->tcp);
	const struct udp_stats *u = udp_proxy_stats(e->udp);
	const struct {
		const char *name, *type, *help, *labels;
		double v;
	} m[] = {
		{ "onlink_egress_host_agent_reachable", "gauge", "1 while subscribed to the host agent and its answers are understood.", "",
		  e->agent_ok },
		{ "onlink_egress_flows_active", "gauge", "Flows relayed now.", "proto=\"tcp\"", (double)t->active },
		{ NULL, NULL, NULL, "proto=\"udp\"", (double)u->active },
		{ "onlink_egress_flows_total", "counter", "Flows accepted (TCP) or created (UDP).", "proto=\"tcp\"",
		  (double)t->accepted },
		{ NULL, NULL, NULL, "proto=\"udp\"", (double)u->created },
		{ "onlink_egress_slice_exhausted_total", "counter",
		  "New flows refused because the slice had no free port towards the destination.", "proto=\"tcp\"",
		  (double)t->exhausted },
		{ NULL, NULL, NULL, "proto=\"udp\"", (double)u->exhausted },
		{ "onlink_egress_no_source_total", "counter", "New flows refused: no shared address with a slice for this host.",
		  "proto=\"tcp\"", (double)t->no_source },
		{ NULL, NULL, NULL, "proto=\"udp\"", (double)u->no_source },
		{ "onlink_egress_tcp_resets_total", "counter", "TCP flows ended by a reset on either side.", "",
		  (double)t->resets },
		{ "onlink_egress_tcp_connect_failed_total", "counter", "Upstream connections that failed.", "",
		  (double)t->connect_failed },
		{ "onlink_egress_idle_closed_total", "counter", "Flows closed after their idle timeout.", "proto=\"tcp\"",
		  (double)t->idle_closed },
		{ NULL, NULL, NULL, "proto=\"udp\"", (double)u->expired },
		{ "onlink_egress_bytes_total", "counter", "Payload bytes relayed.", "proto=\"tcp\",direction=\"up\"",
		  (double)t->bytes_up },
		{ NULL, NULL, NULL, "proto=\"tcp\",direction=\"down\"", (double)t->bytes_down },
		{ NULL, NULL, NULL, "proto=\"udp\",direction=\"up\"", (double)u->bytes_up },
		{ NULL, NULL, NULL, "proto=\"udp\",direction=\"down\"", (double)u->bytes_down },
		{ "onlink_egress_slice_ports", "gauge", "Ports in this host's slice of the shared address (0: no slice).",
		  "family=\"ipv4\"", e->have4 ? (double)(e->src4.slices[0].last - e->src4.slices[0].first + 1) : 0 },
		{ NULL, NULL, NULL, "family=\"ipv6\"",
		  e->have6 ? (double)(e->src6.slices[0].last - e->src6.slices[0].first + 1) : 0 },
	};
	const char *name = NULL;
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		if (m[i].name) {
			name = m[i].name;
			mx_family(f, name, m[i].type, m[i].help);
		}
		mx_sample(f, name, m[i].labels, m[i].v);
	}
	mx_family(f, "onlink_egress_client_refused_total", "counter",
		  "New flows refused for their client: over client-flows, holding its share of a slice 90% full, or no "
		  "descriptors left.");
	for (int v = CLIENT_OVER_LIMIT; v < CLIENT_VERDICTS; v++) {
		char l[96];
		snprintf(l, sizeof(l), "proto=\"tcp\",reason=\"%s\"", client_verdict_str((enum client_verdict)v));
		mx_sample(f, "onlink_egress_client_refused_total", l, (double)t->client_refused[v]);
		snprintf(l, sizeof(l), "proto=\"udp\",reason=\"%s\"", client_verdict_str((enum client_verdict)v));
		mx_sample(f, "onlink_egress_client_refused_total", l, (double)u->client_refused[v]);
	}
	mx_family(f, "onlink_egress_clients", "gauge", "Client addresses holding a flow.");
	mx_sample(f, "onlink_egress_clients", "", (double)clients_active(e->clients));
	mx_family(f, "onlink_egress_descriptors", "gauge",
		  "Descriptors the flows hold (sockets and pipes), and the most they may (the limit less what the rest keeps).");
	mx_sample(f, "onlink_egress_descriptors", "kind=\"held\"", (double)clients_fds(e->clients));
	mx_sample(f, "onlink_egress_descriptors", "kind=\"max\"", (double)clients_max_fds(e->clients));
}

int egressd_run(struct config *c)
{
	struct egressd e = { .cfg = c, .rl = RATELIMIT_INIT(10000, 5), .agent = { .fd = -1 } };
	char err[512];
	int r, rc = 1;

	daemon_raise_nofile();
	if ((r = loop_init()) || (r = nl_open(&e.nl, 0, 0))) {
		log_err("start-up: %s", strerror(-r));
		return 1;
	}
	daemon_signals(&e.sig, &e.stop, &e.reload);
	/* the flows' descriptors stop FDS_KEPT short of the limit: the
	 * control socket, the metrics and the host agent's keep working */
	struct rlimit nofile = { 0 };
	getrlimit(RLIMIT_NOFILE, &nofile);
	unsigned long max_fds = nofile.rlim_cur > 2 * FDS_KEPT ? (unsigned long)nofile.rlim_cur - FDS_KEPT : FDS_KEPT;
	/* bench/egress_fair.sh's baselines: the proxy as it was before the
	 * per-client limits, and before flow-buffer (autotuning) */
	int no_limits = knob("ONLINK_BENCH_NO_CLIENT_LIMITS") != NULL, no_buffer = knob("ONLINK_BENCH_NO_FLOW_BUFFER") != NULL;
	if (!no_limits && (r = clients_new(&e.clients, c->eg.client_flows, max_fds))) {
		log_err("start-up: %s", strerror(-r));
		goto out;
	}
	if ((r = tcp_proxy_start(&e.tcp, c->eg.listen_port, c->eg.idle_timeout, e.clients))) {
		log_err("listen on port %u: %s", c->eg.listen_port, strerror(-r));
		goto out;
	}
	if ((r = udp_proxy_start(&e.udp, c->eg.listen_port, c->eg.udp_idle_timeout, e.clients))) {
		log_err("UDP port %u: %s", c->eg.listen_port, strerror(-r));
		tcp_proxy_stop(e.tcp);
		goto out;
	}
	if (!no_buffer) {
		tcp_proxy_set_buffer(e.tcp, c->eg.flow_buffer);
		udp_proxy_set_buffer(e.udp, c->eg.flow_buffer);
	}
	if (routing(&e, KOP_REPLACE) || egress_nft_install(&c->eg, err, sizeof(err))) {
		if (err[0])
			log_err("%s", err);
		goto undo;
	}
	if ((r = control_open(c->control, control_cb, &e))) {
		log_err("control socket %s: %s", c->control, strerror(-r));
		goto undo;
	}
	if ((r = timer_init(&e.retry, agent_connect, &e))) {
		log_err("start-up: a timer: %s", strerror(-r));
		goto undo;
	}
	timer_arm(&e.retry, 0, 0); /* from the loop: after start-up, so that syslog (if asked for) has what it says */
	if ((r = egress_live_start(&e.live, c->eg.host_control, e.tcp, e.udp))) {
		log_err("start-up: a timer: %s", strerror(-r));
		timer_fini(&e.retry);
		control_close();
		goto undo;
	}
	char status[96];
	snprintf(status, sizeof(status), "egress proxy: TPROXY port %u", c->eg.listen_port);
	if (daemon_ready(c, metrics_cb, &e, status)) {
		timer_fini(&e.retry);
		egress_live_stop(e.live);
		control_close();
		goto undo;
	}
	log_info("egress proxy running: TPROXY port %u, mark %u, table %u", c->eg.listen_port, c->eg.tproxy_mark,
		 c->eg.tproxy_table);
	while (!e.stop) {
		loop_run_once(-1);
		tcp_proxy_reap(e.tcp);
		udp_proxy_reap(e.udp);
		if (e.reload) {
			e.reload = 0;
			reload(&e);
		}
	}
	log_info("stopping: removing the nftables table and policy routing");
	daemon_stopping();
	rc = 0;
	timer_fini(&e.retry);
	egress_live_stop(e.live);
	agent_unsubscribe(&e);
	free(e.in);
	control_close();
undo:
	err[0] = 0;
	if (egress_nft_remove(err, sizeof(err)))
		log_warn("%s", err);
	routing(&e, KOP_DEL);
	tcp_proxy_stop(e.tcp);
	udp_proxy_stop(e.udp);
out:
	clients_free(e.clients);
	nl_close(e.nl);
	loop_fini();
	return rc;
}
