/* The proxy's live ports, told to the host agent (live.h). */
#include "egress/live.h"
#include "base/control.h"
#include "base/log.h"
#include "base/loop.h"
#include "proto/api.h"
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#define LIVE_EVERY_MS 2000
#define LIVE_RENEW_MS 10000

struct egress_live {
	const char *path;
	struct tcp_proxy *tcp;
	struct udp_proxy *udp;
	struct timer t;
	struct loop_src req;     /* the request in flight: its answer is read and dropped */
	struct api_ports last[API_LIVE_MAX];
	size_t nlast;
	uint64_t last_ms;
	unsigned long sent;
	/* while collecting: ports per address */
	struct { struct ol_addr addr; uint16_t *p; size_t n, cap; } col[API_LIVE_MAX];
	size_t ncol;
};

static void collect(void *arg, const struct sockaddr_storage *ss)
{
	struct egress_live *l = arg;
	struct ol_addr a = { .family = (uint8_t)ss->ss_family };
	uint16_t port;
	if (ss->ss_family == AF_INET) {
		memcpy(a.bytes, &((const struct sockaddr_in *)ss)->sin_addr, 4);
		port = ntohs(((const struct sockaddr_in *)ss)->sin_port);
	} else {
		memcpy(a.bytes, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
		port = ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	}
	if (!port)
		return;
	size_t i;
	for (i = 0; i < l->ncol && addr_cmp(&l->col[i].addr, &a); i++)
		;
	if (i == l->ncol) {
		if (l->ncol == API_LIVE_MAX)
			return;
		l->col[l->ncol++].addr = a;
	}
	if (l->col[i].n == l->col[i].cap) {
		size_t cap = l->col[i].cap ? 2 * l->col[i].cap : 256;
		uint16_t *p = realloc(l->col[i].p, cap * sizeof(*p));
		if (!p)
			return;
		l->col[i].p = p;
		l->col[i].cap = cap;
	}
	l->col[i].p[l->col[i].n++] = port;
}

static void answered(struct loop_src *src, uint32_t events)
{
	char buf[512];
	(void)events;
	ssize_t r = read(src->fd, buf, sizeof(buf));
	if (r > 0 || (r < 0 && errno == EAGAIN))
		return; /* the rest, or the end, comes next */
	loop_del(src);
	close(src->fd);
	src->fd = -1;
}

static int same(const struct api_ports *a, size_t na, const struct api_ports *b, size_t nb)
{
	if (na != nb)
		return 0;
	for (size_t i = 0; i < na; i++)
		if (addr_cmp(&a[i].addr, &b[i].addr) || a[i].in_use != b[i].in_use || !ports_equal(&a[i].ports, &b[i].ports))
			return 0;
	return 1;
}

static void tick(struct timer *t)
{
	struct egress_live *l = t->arg;
	static struct api_ports now[API_LIVE_MAX];
	size_t n = 0;
	for (size_t i = 0; i < l->ncol; i++)
		l->col[i].n = 0;
	l->ncol = 0;
	tcp_proxy_sources(l->tcp, collect, l);
	udp_proxy_sources(l->udp, collect, l);
	for (size_t i = 0; i < l->ncol; i++) {
		struct api_ports *p = &now[n++];
		p->addr = l->col[i].addr;
		ports_from(&p->ports, l->col[i].p, l->col[i].n);
		p->in_use = (uint16_t)(ports_count(&p->ports) > 65535 ? 65535 : ports_count(&p->ports));
		ports_limit(&p->ports, API_LIVE_RANGES); /* a superset: the request stays small */
	}
	/* an address no flow holds any more is said once, empty */
	for (size_t i = 0; i < l->nlast && n < API_LIVE_MAX; i++) {
		size_t k;
		for (k = 0; k < n && addr_cmp(&now[k].addr, &l->last[i].addr); k++)
			;
		if (k == n && l->last[i].ports.n)
			now[n++] = (struct api_ports){ .addr = l->last[i].addr };
	}
	if (l->req.fd >= 0 || (same(now, n, l->last, l->nlast) && now_ms() - l->last_ms < LIVE_RENEW_MS))
		return;
	char line[CONTROL_REQUEST_MAX];
	if (api_live_encode(now, n, line, sizeof(line) - 1)) {
		log_warn("egress-live: the report does not fit a request");
		return;
	}
	strcat(line, "\n");
	int fd = control_open_stream(l->path, line);
	if (fd < 0)
		return; /* the host agent is away: again at the next tick */
	l->req.fd = fd;
	if (loop_add(&l->req, EPOLLIN)) {
		close(fd);
		l->req.fd = -1;
		return;
	}
	memcpy(l->last, now, n * sizeof(now[0]));
	l->nlast = n;
	l->last_ms = now_ms();
	l->sent++;
}

int egress_live_start(struct egress_live **out, const char *host_control, struct tcp_proxy *tcp, struct udp_proxy *udp)
{
	struct egress_live *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	*l = (struct egress_live){ .path = host_control, .tcp = tcp, .udp = udp, .req = { .fd = -1, .cb = answered } };
	l->req.arg = l;
	int r = timer_init(&l->t, tick, l);
	if (r) {
		free(l);
		return r;
	}
	timer_arm(&l->t, LIVE_EVERY_MS, LIVE_EVERY_MS);
	*out = l;
	return 0;
}

void egress_live_stop(struct egress_live *l)
{
	if (!l)
		return;
	if (l->req.fd >= 0) {
		loop_del(&l->req);
		close(l->req.fd);
	}
	timer_fini(&l->t);
	for (size_t i = 0; i < API_LIVE_MAX; i++)
		free(l->col[i].p);
	free(l);
}

unsigned long egress_live_sent(const struct egress_live *l)
{
	return l ? l->sent : 0;
}
