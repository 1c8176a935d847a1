/* TCP relay. Per connection: the accepted client socket (its local address
 * is the original destination, thanks to TPROXY) and the upstream socket.
 * A direction starts by copying through one shared buffer with recv/send,
 * which is what short request/response flows need; it gets its own pipe for
 * splice(2) the first time the other side cannot take everything at once
 * (the pipe then holds the rest) or a read fills the whole buffer (a bulk
 * transfer); from then on that direction also sends with Nagle's algorithm
 * (copy mode sends with TCP_NODELAY, as requests and answers need).
 * Level-triggered epoll; a side is read only while its pipe has
 * room and written only while it holds data. */
#include "egress/tcp.h"
#include "proto/json.h"
#include "egress/common.h"
#include "egress/portset.h"
#include <sodium.h>
#include "base/log.h"
#include "base/loop.h"
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

/* A direction's kernel buffering, [egress] flow-buffer B: the upstream
 * socket's buffer (receive for a download, send for an upload) gets 5/8 of
 * B, the client socket's 1/8, the splice pipe between them 1/8, and a
 * splice into the sending socket may pass its buffer by up to a pipe's
 * worth: B in all. SO_RCVBUF and SO_SNDBUF are given half of those shares:
 * the kernel doubles what it is given, for its overhead. The upstream side
 * gets the most because its round trips are the long ones (a window is
 * what bounds a flow's throughput there); the client is in the POP.
 * Without the socket options autotuning would let a client that never
 * reads hold tens of MiB of the host's TCP memory per flow. With no
 * flow-buffer (before the config is applied) pipes are PIPE_CAP: bigger
 * pipes mean fewer splice calls per megabyte, and the kernel allocates
 * their pages only as data fills them. */
#define PIPE_CAP (1 << 20)
/* copy mode's buffer, shared by every connection (one thread); a read
 * takes at most a pipe's capacity, so that what a send leaves always fits
 * in the new pipe */
#define COPY_BUF (64 * 1024)
static uint8_t copy_buf[COPY_BUF];

struct tconn;

struct side {
	struct loop_src src;
	struct tconn *c;
	uint32_t events;
	uint8_t rdhup;             /* the peer behind this socket sent its FIN */
};

struct tconn {
	struct tcp_proxy *px;
	struct side cl, up;        /* client, upstream */
	int c2u[2], u2c[2];
	size_t c2u_n, u2c_n;       /* bytes in the pipes */
	size_t c2u_cap, u2c_cap;   /* the pipes' capacity; copy mode: a buffer's worth */
	uint8_t connecting, c_eof, u_eof, c_shut, u_shut, dead;
	uint64_t last_ms;
	struct sockaddr_storage peer; /* the client, as clients_admit() counted it */
	/* the proxy's own choice of port (no IP_LOCAL_PORT_RANGE), as known to
	 * px->ports; own_port 0: the kernel's choice */
	union { struct sockaddr sa; struct sockaddr_in in; struct sockaddr_in6 in6; } dst;
	uint16_t own_port;
	struct tconn *prev, *next;
};

struct tcp_proxy {
	struct loop_src l4, l6;
	struct egress_sources src4, src6;
	uint32_t mark;
	unsigned idle_ms;
	struct tconn *conns;
	struct tconn *graveyard;   /* closed, freed after the current batch of events */
	struct timer sweep;
	struct tcp_stats st;
	struct ratelimit rl;
	struct clients *clients;
	int upbuf, clbuf;          /* SO_RCVBUF and SO_SNDBUF, upstream and client side; 0: autotuning */
	size_t pipe_cap;
	struct portset *ports;     /* the pairs own ports hold (portset.h); made when first needed */
};

static void rst_close(int fd)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

enum close_how { CLOSE_DONE, CLOSE_RESET, CLOSE_IDLE };

static void conn_free(struct tconn *c, enum close_how how)
{
	int reset = how == CLOSE_RESET;
	struct tcp_proxy *px = c->px;
	int fds[2] = { c->cl.src.fd, c->up.src.fd };
	for (int i = 0; i < 2; i++) {
		if (fds[i] < 0)
			continue;
		/* no loop_del: the only reference closed, epoll drops the fd */
		if (reset)
			rst_close(fds[i]);
		else
			close(fds[i]);
	}
	for (int i = 0; i < 2; i++) {
		if (c->c2u[i] >= 0)
			close(c->c2u[i]);
		if (c->u2c[i] >= 0)
			close(c->u2c[i]);
	}
	clients_fds_give(px->clients, (c->c2u[0] >= 0 ? 2 : 0) + (c->u2c[0] >= 0 ? 2 : 0));
	if (c->prev)
		c->prev->next = c->next;
	else
		px->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	/* the same epoll batch may still hold an event for the other side:
	 * free later (tcp_proxy_reap) */
	c->dead = 1;
	c->cl.src.fd = c->up.src.fd = -1;
	c->next = px->graveyard;
	px->graveyard = c;
	px->st.active--;
	clients_release(px->clients, (struct sockaddr *)&c->peer);
	if (c->own_port)
		portset_del(px->ports, &c->dst.sa, c->own_port);
	if (how == CLOSE_RESET)
		px->st.resets++;
	else if (how == CLOSE_IDLE)
		px->st.idle_closed++;
	else
		px->st.completed++;
	if (!px->conns)
		timer_stop(&px->sweep);
}

void tcp_proxy_reap(struct tcp_proxy *px)
{
	while (px->graveyard) {
		struct tconn *c = px->graveyard;
		px->graveyard = c->next;
		free(c);
	}
}

static void set_events(struct side *s, uint32_t ev)
{
	if (s->src.fd >= 0 && ev != s->events) {
		loop_mod(&s->src, ev);
		s->events = ev;
	}
}

/* A direction's pipe, made when it first needs one; its capacity in *cap. */
static int make_pipe(struct clients *cl, int pipefd[2], size_t *cap)
{
	/* the proxy's descriptor budget (clients.h) */
	if (clients_fds_take(cl, 2) < 0) {
		errno = EMFILE;
		return -1;
	}
	if (pipe2(pipefd, O_NONBLOCK | O_CLOEXEC) < 0) {
		clients_fds_give(cl, 2);
		return -1;
	}
	/* best effort: an unprivileged limit may refuse; the default (64 KiB)
	 * is never less than a copy-mode read */
	int sz = fcntl(pipefd[1], F_SETPIPE_SZ, (int)*cap);
	*cap = sz > 0 ? (size_t)sz : 65536;
	return 0;
}

/* Copy mode: one recv, one send. What dst does not take goes into a new
 * pipe, as does everything after a read that filled the buffer. When the
 * FIN is known to follow the data (rdhup), the data is sent with MSG_MORE:
 * the shutdown() that relay() does next puts the FIN in the same segment,
 * as the origin sent them. */
static int copy(struct clients *cl, int src, int pipefd[2], int dst, size_t *pending, uint8_t *eof,
		unsigned long long *bytes, size_t *cap, int rdhup)
{
	int more = 0;
	size_t room = *cap < sizeof(copy_buf) ? *cap : sizeof(copy_buf);
	ssize_t n = recv(src, copy_buf, room, MSG_DONTWAIT);
	if (n == 0) {
		*eof = 1;
		return 0;
	}
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if (rdhup && n < (ssize_t)room) {
		ssize_t m = recv(src, copy_buf + n, room - (size_t)n, MSG_DONTWAIT);
		if (m == 0)
			*eof = 1, more = MSG_MORE;
		else if (m > 0)
			n += m;
	}
	ssize_t w = send(dst, copy_buf, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL | more);
	if (w < 0) {
		if (errno != EAGAIN && errno != EINTR)
			return -1;
		w = 0;
	}
	*bytes += (unsigned long long)w;
	if (w == n && n < (ssize_t)room)
		return 0;
	if (make_pipe(cl, pipefd, cap) < 0)
		return -2;
	/* A bulk direction sends with Nagle's algorithm again: with TCP_NODELAY
	 * every splice pushed its sub-MSS tail as a segment of its own, and
	 * forwarding those small segments cost a tenth of the throughput.
	 * Linux's Nagle (Minshall's variant) holds a small segment only while
	 * another small one is unacknowledged, so the tail of a transfer is not
	 * held up behind full ones. */
	int off = 0;
	setsockopt(dst, IPPROTO_TCP, TCP_NODELAY, &off, sizeof(off));
	if (w < n) {
		/* a read took at most the pipe's capacity: the rest fits */
		ssize_t p = write(pipefd[1], copy_buf + w, (size_t)(n - w));
		if (p != n - w)
			return -1;
		*pending = (size_t)p;
	}
	return 0;
}

/* Moves what it can from src through the pipe to dst. -1: a side failed;
 * -2: no pipe could be made (out of file descriptors or memory). */
static int pump(struct clients *cl, int src, int pipefd[2], int dst, size_t *pending, uint8_t *eof,
		unsigned long long *bytes, size_t *cap, int rdhup)
{
	if (pipefd[0] < 0)
		return *eof ? 0 : copy(cl, src, pipefd, dst, pending, eof, bytes, cap, rdhup);
	if (!*eof && *pending < *cap) {
		ssize_t n = splice(src, NULL, pipefd[1], NULL, *cap - *pending, SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
		if (n > 0)
			*pending += (size_t)n;
		else if (n == 0)
			*eof = 1;
		else if (errno != EAGAIN && errno != EINTR)
			return -1;
	}
	while (*pending) {
		ssize_t n = splice(pipefd[0], NULL, dst, NULL, *pending, SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
		if (n > 0) {
			*pending -= (size_t)n;
			*bytes += (unsigned long long)n;
		} else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			break;
		} else {
			return -1;
		}
	}
	return 0;
}

static void relay(struct tconn *c)
{
	struct tcp_proxy *px = c->px;
	c->last_ms = now_ms();
	int r = pump(px->clients, c->cl.src.fd, c->c2u, c->up.src.fd, &c->c2u_n, &c->c_eof, &px->st.bytes_up, &c->c2u_cap,
		     c->cl.rdhup);
	if (!r)
		r = pump(px->clients, c->up.src.fd, c->u2c, c->cl.src.fd, &c->u2c_n, &c->u_eof, &px->st.bytes_down, &c->u2c_cap,
			 c->up.rdhup);
	if (r < 0) {
		if (r == -2)
			log_limited(&px->rl, LOG_ERR, "egress: pipe: %s: connection reset", strerror(errno));
		/* a reset (or an error) on one side resets the other */
		conn_free(c, CLOSE_RESET);
		return;
	}
	/* half-close: a FIN travels once the data before it has */
	if (c->c_eof && !c->c2u_n && c->u_eof && !c->u2c_n) {
		/* both directions done: close() sends the FINs still owed */
		conn_free(c, CLOSE_DONE);
		return;
	}
	if (c->c_eof && !c->c2u_n && !c->u_shut) {
		shutdown(c->up.src.fd, SHUT_WR);
		c->u_shut = 1;
	}
	if (c->u_eof && !c->u2c_n && !c->c_shut) {
		shutdown(c->cl.src.fd, SHUT_WR);
		c->c_shut = 1;
	}
	if (c->c_shut && c->u_shut) {
		conn_free(c, CLOSE_DONE);
		return;
	}
	set_events(&c->cl, (!c->c_eof && c->c2u_n < c->c2u_cap ? EPOLLIN | EPOLLRDHUP : 0) | (c->u2c_n ? EPOLLOUT : 0));
	set_events(&c->up, (!c->u_eof && c->u2c_n < c->u2c_cap ? EPOLLIN | EPOLLRDHUP : 0) | (c->c2u_n ? EPOLLOUT : 0));
}

static void side_cb(struct loop_src *src, uint32_t events)
{
	struct side *s = src->arg;
	struct tconn *c = s->c;
	if (c->dead)
		return;
	if (events & EPOLLRDHUP)
		s->rdhup = 1;
	if (c->connecting) {
		if (s != &c->up)
			return; /* the client waits for the upstream connection */
		int err = 0;
		socklen_t len = sizeof(err);
		getsockopt(c->up.src.fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err || (events & (EPOLLERR | EPOLLHUP))) {
			/* connect failure: the client gets an RST */
			c->px->st.connect_failed++;
			conn_free(c, CLOSE_RESET);
			return;
		}
		c->connecting = 0;
		/* the client is read from now on */
		if (loop_add(&c->cl.src, EPOLLIN | EPOLLRDHUP) < 0) {
			conn_free(c, CLOSE_RESET);
			return;
		}
		c->cl.events = EPOLLIN | EPOLLRDHUP;
	}
	relay(c);
}

/* A socket for the upstream side of a flow: options set, not bound. */
static int upstream_socket(const struct tcp_proxy *px, int family, int share)
{
	int one = 1, u = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (u < 0)
		return -errno;
	/* the port is chosen at connect(), in the slice, unique for the 4-tuple */
	if (setsockopt(u, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one)) < 0 ||
	    (share && setsockopt(u, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)) {
		int r = -errno;
		close(u);
		return r;
	}
	setsockopt(u, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (px->upbuf) { /* before connect(): the window scale follows SO_RCVBUF */
		setsockopt(u, SOL_SOCKET, SO_RCVBUF, &px->upbuf, sizeof(px->upbuf));
		setsockopt(u, SOL_SOCKET, SO_SNDBUF, &px->upbuf, sizeof(px->upbuf));
	}
	return u;
}

/* Without IP_LOCAL_PORT_RANGE, tried at most this many ports of a slice */
#define OWN_PORT_TRIES 1024

/* The upstream socket of a new flow, connecting (non-blocking) to orig
 * from the shared address and a port of the slice; or -errno,
 * -EADDRNOTAVAIL when no port of the slice is free towards orig. The
 * kernel picks the port (IP_LOCAL_PORT_RANGE, Linux 6.3). Without it the
 * proxy walks the slice from a random port on, sharing each port across
 * destinations as the kernel does (SO_REUSEADDR): it skips the ports its
 * own flows hold towards orig (px->ports), and a port whose 4-tuple is
 * taken all the same (a TIME_WAIT) fails connect() with EADDRNOTAVAIL and
 * the next is tried. *own_port: the port it chose (0: the kernel's). */
static int upstream_connect(struct tcp_proxy *px, const struct egress_source *src, const struct sockaddr_storage *orig,
			    socklen_t ol, uint16_t *own_port)
{
	*own_port = 0;
	int u, r;
	if (!egress_port_range_missing() && !src->reserved.n) {
		if ((u = upstream_socket(px, orig->ss_family, 0)) < 0)
			return u;
		if ((r = egress_bind_in_slice(u, src, px->mark)) < 0)
			goto fail;
		if (connect(u, (const struct sockaddr *)orig, ol) == 0 || errno == EINPROGRESS)
			return u;
		r = -errno;
		close(u);
		/* unless this first socket learned the kernel has no IP_LOCAL_PORT_RANGE */
		if (!egress_port_range_missing())
			return r;
	}
	if (!px->ports && portset_new(&px->ports))
		px->ports = NULL; /* no memory: every port is tried */
	uint32_t n = (uint32_t)src->last - src->first + 1, start = randombytes_uniform(n), tries = 0;
	r = -EADDRNOTAVAIL;
	for (uint32_t i = 0; i < n && tries < OWN_PORT_TRIES; i++) {
		uint16_t port = (uint16_t)(src->first + (start + i) % n);
		if ((px->ports && portset_has(px->ports, (const struct sockaddr *)orig, port)) ||
		    (src->reserved.n && ports_has(&src->reserved, port)))
			continue;
		tries++;
		if ((u = upstream_socket(px, orig->ss_family, 1)) < 0)
			return u;
		r = egress_bind_port(u, src, px->mark, port);
		if (!r && (connect(u, (const struct sockaddr *)orig, ol) == 0 || errno == EINPROGRESS)) {
			*own_port = port;
			return u;
		}
		if (!r)
			r = -errno;
		close(u);
		/* EADDRINUSE: a listening socket holds the port */
		if (r != -EADDRNOTAVAIL && r != -EADDRINUSE)
			return r;
	}
	return -EADDRNOTAVAIL;
fail:
	close(u);
	return r;
}

/* 0: one connection taken (or refused); -1: none waiting */
static int accept_one(struct tcp_proxy *px, struct loop_src *ls)
{
	struct sockaddr_storage orig, peer;
	socklen_t ol = sizeof(orig), pl = sizeof(peer);
	int one = 1;
	int fd = loop_accept(ls, "egress", (struct sockaddr *)&peer, &pl);
	if (fd < 0)
		return -1;
	px->st.accepted++;
	getsockname(fd, (struct sockaddr *)&orig, &ol);
	/* an IPv4 client may come in on the IPv6 listener as ::ffff:a.b.c.d: it
	 * never does here, the listener is IPV6_V6ONLY */
	struct egress_sources *srcs = orig.ss_family == AF_INET ? &px->src4 : &px->src6;
	if (!srcs->n) {
		px->st.no_source++;
		log_limited(&px->rl, LOG_WARNING, "egress: no %s shared address with a slice for this host: flow refused",
			    orig.ss_family == AF_INET ? "IPv4" : "IPv6");
		rst_close(fd);
		return 0;
	}
	/* client-flows and the descriptors; never "tight": TCP flows share
	 * the slice's ports across destinations (a port is unique per
	 * 4-tuple), so no count of flows says the slice is full (udp.c's are
	 * exclusive) */
	enum client_verdict v = clients_admit(px->clients, (struct sockaddr *)&peer, 0);
	if (v != CLIENT_OK) {
		char a[ADDR_STRLEN + 8];
		px->st.client_refused[v]++;
		log_limited(&px->rl, LOG_WARNING, "egress: client %s holds %u flows: TCP flow refused (%s)",
			    endpoint_str((struct sockaddr *)&peer, a, sizeof(a)),
			    clients_of(px->clients, (struct sockaddr *)&peer), client_verdict_str(v));
		rst_close(fd);
		return 0;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (px->clbuf) {
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &px->clbuf, sizeof(px->clbuf));
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &px->clbuf, sizeof(px->clbuf));
	}
	uint16_t own_port;
	/* the slices in turn; the next when one has no port free towards
	 * this destination */
	const struct egress_source *src = NULL;
	int u = -EADDRNOTAVAIL;
	for (unsigned k = 0; k < srcs->n && (u == -EADDRNOTAVAIL || u == -EADDRINUSE); k++) {
		src = &srcs->s[(srcs->next + k) % srcs->n];
		u = upstream_connect(px, src, &orig, ol, &own_port);
	}
	srcs->next = (srcs->next + 1) % srcs->n;
	if (u < 0) {
		if (u == -EADDRNOTAVAIL || u == -EADDRINUSE) {
			/* every port of every slice is in use towards this destination */
			px->st.exhausted++;
			log_limited(&px->rl, LOG_WARNING, "egress: slice %u-%u exhausted: flow refused", src->first,
				    src->last);
		} else if (u == -ECONNREFUSED || u == -ENETUNREACH || u == -EHOSTUNREACH) {
			px->st.connect_failed++;
		} else {
			px->st.connect_failed++;
			log_limited(&px->rl, LOG_ERR, "egress: upstream socket: %s", strerror(-u));
		}
		goto refuse;
	}
	struct tconn *c = calloc(1, sizeof(*c));
	if (!c) {
		close(u);
		goto refuse;
	}
	c->px = px;
	c->peer = peer;
	if (own_port && !portset_add(px->ports, (struct sockaddr *)&orig, own_port)) {
		memcpy(&c->dst, &orig, egress_sa_len(&orig));
		c->own_port = own_port;
	}
	c->c2u[0] = c->c2u[1] = c->u2c[0] = c->u2c[1] = -1;
	c->c2u_cap = c->u2c_cap = px->pipe_cap;
	c->connecting = 1;
	c->last_ms = now_ms();
	c->cl = (struct side){ .src = { .fd = fd, .cb = side_cb }, .c = c };
	c->up = (struct side){ .src = { .fd = u, .cb = side_cb }, .c = c, .events = EPOLLOUT };
	c->cl.src.arg = &c->cl;
	c->up.src.arg = &c->up;
	if (loop_add(&c->up.src, EPOLLOUT) < 0) {
		close(u);
		if (c->own_port)
			portset_del(px->ports, &c->dst.sa, c->own_port);
		free(c);
		goto refuse;
	}
	c->next = px->conns;
	if (px->conns)
		px->conns->prev = c;
	px->conns = c;
	if (!px->st.active++)
		timer_arm(&px->sweep, 1000, 1000);
	return 0;
refuse:
	clients_release(px->clients, (struct sockaddr *)&peer);
	rst_close(fd);
	return 0;
}

static void listen_cb(struct loop_src *src, uint32_t events)
{
	(void)events;
	for (int i = 0; i < 64; i++)
		if (accept_one(src->arg, src) < 0)
			break;
}

static void sweep(struct timer *t)
{
	struct tcp_proxy *px = t->arg;
	uint64_t now = now_ms();
	for (struct tconn *c = px->conns, *n; c; c = n) {
		n = c->next;
		if (now - c->last_ms > px->idle_ms)
			conn_free(c, CLOSE_IDLE);
	}
}

void tcp_proxy_set_buffer(struct tcp_proxy *px, unsigned bytes)
{
	px->upbuf = (int)(bytes / 16 * 5);
	px->clbuf = (int)(bytes / 16);
	px->pipe_cap = bytes / 8 < PIPE_CAP ? bytes / 8 : PIPE_CAP;
}

int tcp_proxy_start(struct tcp_proxy **out, uint16_t port, unsigned idle_timeout_s, struct clients *clients)
{
	struct tcp_proxy *px = calloc(1, sizeof(*px));
	int r;
	if (!px)
		return -ENOMEM;
	px->clients = clients;
	px->pipe_cap = PIPE_CAP; /* no flow-buffer: autotuning, and the biggest pipes */
	px->idle_ms = idle_timeout_s * 1000u;
	px->rl = (struct ratelimit)RATELIMIT_INIT(10000, 10);
	if ((r = egress_listen(&px->l4, &px->l6, SOCK_STREAM, port, listen_cb, px))) {
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

void tcp_proxy_stop(struct tcp_proxy *px)
{
	while (px->conns)
		conn_free(px->conns, CLOSE_RESET);
	tcp_proxy_reap(px);
	egress_unlisten(&px->l4, &px->l6);
	timer_fini(&px->sweep);
	portset_free(px->ports);
	free(px);
}

void tcp_proxy_set_sources(struct tcp_proxy *px, const struct egress_source *v, size_t n)
{
	egress_sources_set(&px->src4, &px->src6, v, n);
}

void tcp_proxy_set_idle(struct tcp_proxy *px, unsigned idle_timeout_s)
{
	px->idle_ms = idle_timeout_s * 1000u;
}

void tcp_proxy_set_mark(struct tcp_proxy *px, uint32_t mark)
{
	px->mark = mark;
}

const struct tcp_stats *tcp_proxy_stats(const struct tcp_proxy *px)
{
	return &px->st;
}

/* a socket's end as ADDR:PORT ([ADDR]:PORT), or NULL */
static json_t *end_of(int fd, int peer)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char buf[ADDR_STRLEN + 8];
	if (fd < 0 || (peer ? getpeername(fd, (struct sockaddr *)&ss, &len) : getsockname(fd, (struct sockaddr *)&ss, &len)))
		return json_null();
	return json_string(endpoint_str((struct sockaddr *)&ss, buf, sizeof(buf)));
}

void tcp_proxy_sources(const struct tcp_proxy *p, void (*fn)(void *arg, const struct sockaddr_storage *ss), void *arg)
{
	for (const struct tconn *c = p->conns; c; c = c->next) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		if (!c->dead && c->up.src.fd >= 0 && !getsockname(c->up.src.fd, (struct sockaddr *)&ss, &len))
			fn(arg, &ss);
	}
}

void tcp_proxy_flows(const struct tcp_proxy *p, json_t **out, size_t max)
{
	uint64_t now = now_ms();
	for (const struct tconn *c = p->conns; c && max; c = c->next) {
		if (c->dead)
			continue;
		/* the client's socket is transparent: its local end is the
		 * destination the client asked for */
		jappend(out, jpack("{s:s, s:o, s:o, s:o, s:I, s:b}", "proto", "tcp", "client",
			end_of(c->cl.src.fd, 1), "destination", end_of(c->cl.src.fd, 0), "source", end_of(c->up.src.fd, 0),
			"idle_ms", (json_int_t)(now - c->last_ms), "connecting", c->connecting));
		max--;
	}
}
