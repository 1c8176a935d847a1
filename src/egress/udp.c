/* UDP relay. TPROXY delivers client datagrams to one transparent listener
 * per family; IP_RECVORIGDSTADDR says where each was going. Flows live in a
 * hash table keyed by (client, destination) and expire when idle. */
#include "egress/udp.h"
#include "proto/json.h"
#include "egress/common.h"
#include "base/log.h"
#include "base/loop.h"
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>


#define BUCKETS 4096
#define DGRAM_MAX 65536

struct uflow {
	struct udp_proxy *px;
	struct sockaddr_storage client, dst;
	struct loop_src up;     /* bound in the slice, connected to dst */
	/* transparent, bound to dst, connected to client: sends the replies,
	 * and receives the client's later datagrams, which TPROXY's lookup of
	 * established sockets hands to it rather than to the listener */
	struct loop_src rep;
	uint64_t last_ms;
	int dead;
	struct uflow *hnext;    /* hash chain */
	struct uflow *next, *prev;
};

struct udp_proxy {
	struct loop_src l4, l6;
	struct egress_sources src4, src6;
	uint32_t mark;
	unsigned idle_ms;
	struct uflow *buckets[BUCKETS];
	struct uflow *flows, *graveyard;
	struct timer sweep;
	struct udp_stats st;
	struct ratelimit rl;
	struct clients *clients;
	int sockbuf;            /* SO_RCVBUF of each flow's two sockets; 0: the default */
	uint8_t buf[DGRAM_MAX];
};

static int sa_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	return a->ss_family == b->ss_family && !memcmp(a, b, egress_sa_len(a));
}

static unsigned hash_of(const struct sockaddr_storage *c, const struct sockaddr_storage *d)
{
	const uint8_t *p = (const uint8_t *)c, *q = (const uint8_t *)d;
	uint32_t h = 2166136261u;
	for (socklen_t i = 0; i < egress_sa_len(c); i++)
		h = (h ^ p[i]) * 16777619u;
	for (socklen_t i = 0; i < egress_sa_len(d); i++)
		h = (h ^ q[i]) * 16777619u;
	return h % BUCKETS;
}

static void flow_close(struct uflow *f, int expired)
{
	struct udp_proxy *px = f->px;
	struct uflow **pp = &px->buckets[hash_of(&f->client, &f->dst)];
	while (*pp && *pp != f)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = f->hnext;
	if (f->prev)
		f->prev->next = f->next;
	else
		px->flows = f->next;
	if (f->next)
		f->next->prev = f->prev;
	loop_del(&f->up);
	loop_del(&f->rep);
	close(f->up.fd);
	close(f->rep.fd);
	f->dead = 1;
	f->next = px->graveyard; /* an event for it may be pending in this batch */
	px->graveyard = f;
	px->st.active--;
	if (f->dst.ss_family == AF_INET)
		px->st.active4--;
	else
		px->st.active6--;
	clients_release(px->clients, (struct sockaddr *)&f->client);
	if (expired)
		px->st.expired++;
	if (!px->flows)
		timer_stop(&px->sweep);
}

void udp_proxy_reap(struct udp_proxy *px)
{
	while (px->graveyard) {
		struct uflow *f = px->graveyard;
		px->graveyard = f->next;
		free(f);
	}
}

/* a reply from upstream: back to the client, from the original destination */
static void up_cb(struct loop_src *src, uint32_t events)
{
	struct uflow *f = src->arg;
	struct udp_proxy *px = f->px;
	(void)events;
	if (f->dead)
		return;
	for (int i = 0; i < 64; i++) {
		ssize_t n = recv(f->up.fd, px->buf, sizeof(px->buf), MSG_DONTWAIT);
		if (n < 0)
			return; /* EAGAIN, or an ICMP error from upstream */
		f->last_ms = now_ms();
		if (send(f->rep.fd, px->buf, (size_t)n, MSG_DONTWAIT) < 0) {
			px->st.errors++;
			continue;
		}
		px->st.datagrams_down++;
		px->st.bytes_down += (unsigned long long)n;
	}
}

/* Tells a client its flow was refused: an ICMP port unreachable from the
 * original destination, quoting the headers of its datagram (rebuilt: TPROXY
 * hands over the payload) so its kernel finds the socket. */
static void icmp_refuse(const struct sockaddr_storage *client, const struct sockaddr_storage *dst, size_t len)
{
	uint8_t pkt[8 + 40 + 8] = { 0 };
	size_t n;
	int one = 1, v4 = dst->ss_family == AF_INET;
	int fd = socket(dst->ss_family, SOCK_RAW | SOCK_CLOEXEC, v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6);
	if (fd < 0)
		return;
	if (setsockopt(fd, v4 ? IPPROTO_IP : IPPROTO_IPV6, v4 ? IP_TRANSPARENT : IPV6_TRANSPARENT, &one, sizeof(one)) < 0 ||
	    bind(fd, (const struct sockaddr *)dst, egress_sa_len(dst)) < 0) {
		close(fd);
		return;
	}
	uint8_t *q = pkt + 8; /* the quoted datagram: IP header, UDP header */
	uint16_t sport = v4 ? ((const struct sockaddr_in *)client)->sin_port : ((const struct sockaddr_in6 *)client)->sin6_port;
	uint16_t dport = v4 ? ((const struct sockaddr_in *)dst)->sin_port : ((const struct sockaddr_in6 *)dst)->sin6_port;
	if (v4) {
		pkt[0] = 3; /* destination unreachable */
		pkt[1] = 3; /* port unreachable */
		q[0] = 0x45;
		q[2] = (uint8_t)((20 + 8 + len) >> 8);
		q[3] = (uint8_t)(20 + 8 + len);
		q[8] = 64;
		q[9] = IPPROTO_UDP;
		memcpy(q + 12, &((const struct sockaddr_in *)client)->sin_addr, 4);
		memcpy(q + 16, &((const struct sockaddr_in *)dst)->sin_addr, 4);
		q += 20;
	} else {
		pkt[0] = 1; /* destination unreachable */
		pkt[1] = 4; /* port unreachable */
		q[0] = 0x60;
		q[4] = (uint8_t)((8 + len) >> 8);
		q[5] = (uint8_t)(8 + len);
		q[6] = IPPROTO_UDP;
		q[7] = 64;
		memcpy(q + 8, &((const struct sockaddr_in6 *)client)->sin6_addr, 16);
		memcpy(q + 24, &((const struct sockaddr_in6 *)dst)->sin6_addr, 16);
		q += 40;
	}
	memcpy(q, &sport, 2);
	memcpy(q + 2, &dport, 2);
	q[4] = (uint8_t)((8 + len) >> 8);
	q[5] = (uint8_t)(8 + len);
	n = (size_t)(q + 8 - pkt);
	if (v4) {
		uint32_t sum = 0;
		for (size_t i = 0; i < 20; i += 2) /* the quoted IPv4 header's checksum */
			sum += (uint32_t)(pkt[8 + i] << 8 | pkt[8 + i + 1]);
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		pkt[8 + 10] = (uint8_t)(~sum >> 8);
		pkt[8 + 11] = (uint8_t)~sum;
		sum = 0;
		for (size_t i = 0; i < n; i += 2)
			sum += (uint32_t)(pkt[i] << 8 | (i + 1 < n ? pkt[i + 1] : 0));
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		pkt[2] = (uint8_t)(~sum >> 8);
		pkt[3] = (uint8_t)~sum;
	} /* ICMPv6: the kernel computes the checksum */
	struct sockaddr_storage to = *client;
	((struct sockaddr_in *)&to)->sin_port = 0;
	sendto(fd, pkt, n, 0, (struct sockaddr *)&to, egress_sa_len(&to));
	close(fd);
}

static void upstream_send(struct uflow *f, size_t n)
{
	struct udp_proxy *px = f->px;
	f->last_ms = now_ms();
	if (send(f->up.fd, px->buf, n, MSG_DONTWAIT) < 0) {
		px->st.errors++;
		return;
	}
	px->st.datagrams_up++;
	px->st.bytes_up += (unsigned long long)n;
}

/* the client's later datagrams of a flow */
static void rep_cb(struct loop_src *src, uint32_t events)
{
	struct uflow *f = src->arg;
	(void)events;
	if (f->dead)
		return;
	for (int i = 0; i < 64; i++) {
		ssize_t n = recv(f->rep.fd, f->px->buf, sizeof(f->px->buf), MSG_DONTWAIT);
		if (n < 0)
			return;
		upstream_send(f, (size_t)n);
	}
}

static struct uflow *flow_new(struct udp_proxy *px, const struct sockaddr_storage *client,
			      const struct sockaddr_storage *dst)
{
	struct egress_sources *srcs = dst->ss_family == AF_INET ? &px->src4 : &px->src6;
	const struct egress_source *src = NULL;
	int one = 1, up = -1, rep = -1;

	if (!srcs->n) {
		px->st.no_source++;
		log_limited(&px->rl, LOG_WARNING, "egress: no %s shared address with a slice for this host: datagram dropped",
			    dst->ss_family == AF_INET ? "IPv4" : "IPv6");
		return NULL;
	}
	/* a slice 90% full of flows (each holds its port: bound before
	 * connect): the heaviest clients are refused first */
	unsigned long active = dst->ss_family == AF_INET ? px->st.active4 : px->st.active6;
	int tight = active * 10 >= (unsigned long)egress_sources_ports(srcs) * 9;
	enum client_verdict v = clients_admit(px->clients, (const struct sockaddr *)client, tight);
	if (v != CLIENT_OK) {
		char a[ADDR_STRLEN + 8];
		px->st.client_refused[v]++;
		log_limited(&px->rl, LOG_WARNING, "egress: client %s holds %u flows: UDP flow refused (%s)",
			    endpoint_str((const struct sockaddr *)client, a, sizeof(a)),
			    clients_of(px->clients, (const struct sockaddr *)client), client_verdict_str(v));
		return NULL;
	}
	up = socket(dst->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (up < 0)
		goto fail;
	/* the slices in turn; the next when one is full */
	int br = -EADDRINUSE;
	for (unsigned k = 0; k < srcs->n && br == -EADDRINUSE; k++) {
		src = &srcs->s[(srcs->next + k) % srcs->n];
		br = egress_bind_in_slice(up, src, px->mark);
	}
	srcs->next = (srcs->next + 1) % srcs->n;
	if (br < 0) {
		errno = -br;
		if (errno == EADDRINUSE) {
			/* no free port left in the slice */
			px->st.exhausted++;
			log_limited(&px->rl, LOG_WARNING, "egress: slice %u-%u exhausted: UDP flow refused", src->first,
				    src->last);
			close(up);
			clients_release(px->clients, (const struct sockaddr *)client);
			return NULL;
		}
		goto fail;
	}
	if (px->sockbuf)
		setsockopt(up, SOL_SOCKET, SO_RCVBUF, &px->sockbuf, sizeof(px->sockbuf));
	if (connect(up, (const struct sockaddr *)dst, egress_sa_len(dst)) < 0)
		goto fail;
	rep = socket(dst->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (rep < 0 || setsockopt(rep, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(rep, dst->ss_family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6,
		       dst->ss_family == AF_INET ? IP_TRANSPARENT : IPV6_TRANSPARENT, &one, sizeof(one)) < 0 ||
	    bind(rep, (const struct sockaddr *)dst, egress_sa_len(dst)) < 0 ||
	    connect(rep, (const struct sockaddr *)client, egress_sa_len(client)) < 0)
		goto fail;
	if (px->sockbuf)
		setsockopt(rep, SOL_SOCKET, SO_RCVBUF, &px->sockbuf, sizeof(px->sockbuf));
	struct uflow *f = calloc(1, sizeof(*f));
	if (!f)
		goto fail;
	f->px = px;
	f->client = *client;
	f->dst = *dst;
	f->up = (struct loop_src){ .fd = up, .cb = up_cb, .arg = f };
	f->rep = (struct loop_src){ .fd = rep, .cb = rep_cb, .arg = f };
	f->last_ms = now_ms();
	int r = loop_add(&f->up, EPOLLIN);
	if (!r && (r = loop_add(&f->rep, EPOLLIN)))
		loop_del(&f->up);
	if (r) {
		free(f);
		errno = -r;
		goto fail;
	}
	unsigned h = hash_of(client, dst);
	f->hnext = px->buckets[h];
	px->buckets[h] = f;
	f->next = px->flows;
	if (px->flows)
		px->flows->prev = f;
	px->flows = f;
	px->st.created++;
	if (dst->ss_family == AF_INET)
		px->st.active4++;
	else
		px->st.active6++;
	if (!px->st.active++)
		timer_arm(&px->sweep, 1000, 1000);
	return f;
fail:
	px->st.errors++;
	log_limited(&px->rl, LOG_ERR, "egress: UDP flow: %s", strerror(errno));
	clients_release(px->clients, (const struct sockaddr *)client);
	if (up >= 0)
		close(up);
	if (rep >= 0)
		close(rep);
	return NULL;
}

static void listen_cb(struct loop_src *src, uint32_t events)
{
	struct udp_proxy *px = src->arg;
	(void)events;
	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage client, dst = { 0 };
		char control[128];
		struct iovec iov = { px->buf, sizeof(px->buf) };
		struct msghdr m = { .msg_name = &client, .msg_namelen = sizeof(client), .msg_iov = &iov, .msg_iovlen = 1,
				    .msg_control = control, .msg_controllen = sizeof(control) };
		ssize_t n = recvmsg(src->fd, &m, MSG_DONTWAIT);
		if (n < 0)
			return;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
			if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_ORIGDSTADDR) ||
			    (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_ORIGDSTADDR))
				memcpy(&dst, CMSG_DATA(c), c->cmsg_level == IPPROTO_IP ? sizeof(struct sockaddr_in)
										   : sizeof(struct sockaddr_in6));
		if (!dst.ss_family)
			continue;
		struct uflow *f;
		for (f = px->buckets[hash_of(&client, &dst)]; f; f = f->hnext)
			if (sa_equal(&f->client, &client) && sa_equal(&f->dst, &dst))
				break;
		if (!f && !(f = flow_new(px, &client, &dst))) {
			icmp_refuse(&client, &dst, (size_t)n);
			continue;
		}
		upstream_send(f, (size_t)n);
	}
}

static void sweep(struct timer *t)
{
	struct udp_proxy *px = t->arg;
	uint64_t now = now_ms();
	for (struct uflow *f = px->flows, *n; f; f = n) {
		n = f->next;
		if (now - f->last_ms > px->idle_ms)
			flow_close(f, 1);
	}
}

void udp_proxy_set_buffer(struct udp_proxy *px, unsigned bytes)
{
	px->sockbuf = (int)(bytes / 2); /* the kernel doubles it: a direction's whole buffer is its receiving socket's */
}

int udp_proxy_start(struct udp_proxy **out, uint16_t port, unsigned idle_timeout_s, struct clients *clients)
{
	struct udp_proxy *px = calloc(1, sizeof(*px));
	int r;
	if (!px)
		return -ENOMEM;
	px->clients = clients;
	px->idle_ms = idle_timeout_s * 1000u;
	px->rl = (struct ratelimit)RATELIMIT_INIT(10000, 10);
	if ((r = egress_listen(&px->l4, &px->l6, SOCK_DGRAM, port, listen_cb, px))) {
		free(px);
		return r;
	}
	if ((r = timer_init(&px->sweep, sweep, px))) {
		egress_unlisten(&px->l4, &px->l6);
		free(px);
		return r;
	}
	*out = px;
	return 0;
}

void udp_proxy_stop(struct udp_proxy *px)
{
	while (px->flows)
		flow_close(px->flows, 0);
	udp_proxy_reap(px);
	egress_unlisten(&px->l4, &px->l6);
	timer_fini(&px->sweep);
	free(px);
}

void udp_proxy_set_sources(struct udp_proxy *px, const struct egress_source *v, size_t n)
{
	egress_sources_set(&px->src4, &px->src6, v, n);
}

void udp_proxy_set_idle(struct udp_proxy *px, unsigned idle_timeout_s)
{
	px->idle_ms = idle_timeout_s * 1000u;
}

void udp_proxy_set_mark(struct udp_proxy *px, uint32_t mark)
{
	px->mark = mark;
}

const struct udp_stats *udp_proxy_stats(const struct udp_proxy *px)
{
	return &px->st;
}

void udp_proxy_sources(const struct udp_proxy *p, void (*fn)(void *arg, const struct sockaddr_storage *ss), void *arg)
{
	for (const struct uflow *f = p->flows; f; f = f->next) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		if (!f->dead && f->up.fd >= 0 && !getsockname(f->up.fd, (struct sockaddr *)&ss, &len))
			fn(arg, &ss);
	}
}

void udp_proxy_flows(const struct udp_proxy *p, json_t **out, size_t max)
{
	uint64_t now = now_ms();
	char c[ADDR_STRLEN + 8], d[ADDR_STRLEN + 8], src[ADDR_STRLEN + 8];
	for (const struct uflow *f = p->flows; f && max; f = f->next) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		if (f->dead)
			continue;
		int have = f->up.fd >= 0 && !getsockname(f->up.fd, (struct sockaddr *)&ss, &len);
		jappend(out, jpack("{s:s, s:s, s:s, s:s?, s:I}", "proto", "udp", "client",
			endpoint_str((const struct sockaddr *)&f->client, c, sizeof(c)), "destination",
			endpoint_str((const struct sockaddr *)&f->dst, d, sizeof(d)), "source",
			have ? endpoint_str((struct sockaddr *)&ss, src, sizeof(src)) : NULL, "idle_ms",
			(json_int_t)(now - f->last_ms)));
		max--;
	}
}
