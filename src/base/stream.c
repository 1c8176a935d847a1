/* The stream server under the control socket and the metrics endpoint
 * (stream.h). */
#include "base/stream.h"
#include "base/addr.h"
#include "base/vec.h"
#include "base/log.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

struct stream_client {
	struct loop_src src;
	struct stream_server *srv;
	char *in;
	size_t inlen;
	char *out;
	size_t outlen, outoff, outcap;
	int used, deferred;
	unsigned topics;        /* subscribed: stays connected for these */
	unsigned gen;           /* tells a deferred reply's client from a later one in the slot */
	uint64_t last_ms;       /* accepted, or the reply last made progress */
	struct ol_addr peer;    /* where it connects from (none: a Unix socket) */
};

static struct ratelimit rl = RATELIMIT_INIT(60000, 5);

static int idle(const struct stream_client *c)
{
	return !c->topics && !(c->deferred && !c->out);
}

static void client_close(struct stream_client *c)
{
	struct stream_server *s = c->srv;
	loop_del(&c->src);
	/* What the client sent that was not read (the rest of an oversize
	 * request) is read and dropped first: closing a Unix socket with
	 * unread input resets the peer, which may then lose the answer
	 * (an error saying why) before it reads it. Bounded: 64 KiB. */
	char junk[4096];
	for (int i = 0; i < 16 && recv(c->src.fd, junk, sizeof(junk), MSG_DONTWAIT) > 0; i++)
		;
	close(c->src.fd);
	free(c->out);
	free(c->in);
	if (c->topics)
		s->nsubs--;
	memset(c, 0, sizeof(*c));
	/* no timer while nobody is connected: an idle daemon does not wake up */
	if (!--s->nclients)
		timer_stop(&s->sweep);
}

static void sweep_cb(struct timer *t)
{
	struct stream_server *s = t->arg;
	uint64_t now = now_ms();
	for (unsigned i = 0; i < s->ops->max_clients; i++) {
		struct stream_client *c = &s->clients[i];
		if (c->used && idle(c) && now - c->last_ms > s->ops->idle_ms) {
			log_limited(&rl, LOG_INFO, "%s: a client %s for %u ms: closed", s->ops->what,
				    c->out ? "read nothing of its reply" : "sent no request", s->ops->idle_ms);
			client_close(c);
		}
	}
}

/* Writes what is queued; the client is closed once a reply is written
 * (not a subscriber's). */
static void flush(struct stream_client *c)
{
	size_t before = c->outoff;
	int r = loop_write_queued(c->src.fd, c->out, c->outlen, &c->outoff);
	if (c->outoff != before)
		c->last_ms = now_ms();
	if (r == -EAGAIN)
		return;
	if (r < 0 || !c->topics) {
		client_close(c);
		return;
	}
	c->outlen = c->outoff = 0; /* all written: the buffer stays for the next message */
	loop_mod(&c->src, EPOLLIN);
}

static void client_cb(struct loop_src *src, uint32_t events)
{
	struct stream_client *c = src->arg;
	struct stream_server *s = c->srv;
	if (c->out && c->outlen > c->outoff && (events & EPOLLOUT)) {
		flush(c);
		return;
	}
	if (events & (EPOLLERR | EPOLLHUP) && !(events & EPOLLIN)) {
		client_close(c);
		return;
	}
	if (c->deferred || c->topics || c->out) {
		/* answered or waiting for the answer: input is not read, but a
		 * client that closes is forgotten */
		char b[256];
		ssize_t r = recv(c->src.fd, b, sizeof(b), MSG_DONTWAIT);
		if (r == 0 || (r < 0 && errno != EAGAIN))
			client_close(c);
		return;
	}
	ssize_t r = read(c->src.fd, c->in + c->inlen, s->ops->in_max - 1 - c->inlen);
	if (r <= 0) {
		if (r < 0 && errno == EAGAIN)
			return;
		client_close(c);
		return;
	}
	c->inlen += (size_t)r;
	c->in[c->inlen] = 0;
	int a = s->ops->input(c, c->in, c->inlen, c->inlen == s->ops->in_max - 1, s->arg);
	if (a < 0 || (a == 0 && c->inlen == s->ops->in_max - 1))
		client_close(c);
	else if (a > 0 && !c->out && !c->deferred && !c->topics)
		client_close(c); /* answered nothing */
}

void stream_reply(struct stream_client *c, char *out, size_t len)
{
	free(c->out);
	c->out = out;
	c->outlen = len;
	c->outcap = len;
	c->outoff = 0;
	c->deferred = 0;
	c->last_ms = now_ms();
	loop_mod(&c->src, EPOLLOUT);
}

int stream_waiting(const struct stream_client *c)
{
	return c->deferred || c->topics;
}

unsigned stream_defer(struct stream_client *c)
{
	c->deferred = 1;
	loop_mod(&c->src, EPOLLIN); /* only to notice a client that goes away */
	return (unsigned)(c - c->srv->clients) | c->gen << 8;
}

void stream_finish(struct stream_server *s, unsigned handle, char *out)
{
	struct stream_client *c = s->clients ? &s->clients[(handle & 0xff) % s->ops->max_clients] : NULL;
	if (!handle || !c || !c->used || !c->deferred || c->gen != handle >> 8 || !out) {
		free(out); /* the client went away meanwhile */
		return;
	}
	stream_reply(c, out, strlen(out));
}

int stream_subscribe(struct stream_client *c, unsigned topics, char *first, size_t len)
{
	struct stream_server *s = c->srv;
	if (s->nsubs >= s->ops->max_subscribers) {
		free(first);
		return -EBUSY;
	}
	s->nsubs++;
	c->topics = topics;
	stream_reply(c, first, len);
	return 0;
}

void stream_publish(struct stream_server *s, unsigned topic, const char *msg, size_t len)
{
	for (unsigned i = 0; s->clients && i < s->ops->max_clients; i++) {
		struct stream_client *c = &s->clients[i];
		if (!c->used || !(c->topics & topic))
			continue;
		size_t queued = c->outlen - c->outoff;
		if (queued + len > STREAM_SUB_QUEUE_MAX) {
			log_limited(&rl, LOG_WARNING, "%s: a subscriber read nothing of %zu bytes: closed", s->ops->what,
				    queued);
			client_close(c);
			continue;
		}
		if (c->outoff) { /* the written part goes first */
			memmove(c->out, c->out + c->outoff, queued);
			c->outlen = queued;
			c->outoff = 0;
		}
		if (vec_reserve_((void **)&c->out, &c->outcap, c->outlen + len, 1)) {
			client_close(c);
			continue;
		}
		memcpy(c->out + c->outlen, msg, len);
		c->outlen += len;
		if (!queued)
			loop_mod(&c->src, EPOLLOUT);
	}
}

unsigned stream_subscribers(const struct stream_server *s, unsigned topic)
{
	unsigned n = 0;
	for (unsigned i = 0; s->clients && i < s->ops->max_clients; i++)
		n += s->clients[i].used && (s->clients[i].topics & topic);
	return n;
}

int stream_fd(const struct stream_client *c)
{
	return c->src.fd;
}

static unsigned slots_of(const struct stream_server *s, const struct ol_addr *a)
{
	unsigned n = 0;
	for (unsigned i = 0; i < s->ops->max_clients; i++)
		n += s->clients[i].used && !addr_cmp(&s->clients[i].peer, a);
	return n;
}

/* A free slot; or, all taken, one given up by the source address that
 * holds the most (its client idle the longest): a flood of connections
 * from one address takes slots only from itself, and a client from any
 * other address (a Prometheus scraper) is always served. NULL when that
 * address has no idle client. */
static struct stream_client *slot_for_new(struct stream_server *s, const struct ol_addr *from)
{
	struct stream_client *old = NULL;
	unsigned most = 0;
	const struct ol_addr *heavy = from;
	for (unsigned i = 0; i < s->ops->max_clients; i++) {
		struct stream_client *c = &s->clients[i];
		if (!c->used)
			return c;
		unsigned n = slots_of(s, &c->peer);
		if (n > most && idle(c))
			most = n, heavy = &c->peer;
	}
	struct ol_addr h = *heavy;
	for (unsigned i = 0; i < s->ops->max_clients; i++) {
		struct stream_client *c = &s->clients[i];
		if (idle(c) && !addr_cmp(&c->peer, &h) && (!old || c->last_ms < old->last_ms))
			old = c;
	}
	if (old) {
		char a[ADDR_STRLEN];
		log_limited(&rl, LOG_WARNING, "%s: %u clients at once: the oldest idle one of %s (which holds %u) closed",
			    s->ops->what, s->ops->max_clients, h.family ? addr_str(&h, a, sizeof(a)) : "the socket", most);
		s->nclients++; /* client_close must not stop the sweep */
		client_close(old);
		s->nclients--;
	}
	return old;
}

static void accept_cb(struct loop_src *src, uint32_t events)
{
	struct stream_server *s = src->arg;
	(void)events;
	for (int k = 0; k < 16; k++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		struct ol_addr from = { 0 };
		int fd = loop_accept(src, s->ops->what, (struct sockaddr *)&ss, &sl);
		if (fd < 0)
			return;
		if (ss.ss_family == AF_INET || ss.ss_family == AF_INET6)
			endpoint_addr(&ss, &from);
		struct stream_client *c = slot_for_new(s, &from);
		char *in = c ? malloc(s->ops->in_max) : NULL;
		if (!in) {
			if (c)
				log_limited(&rl, LOG_WARNING, "%s: out of memory: a client refused", s->ops->what);
			else
				log_limited(&rl, LOG_WARNING, "%s: %u clients wait for replies: one refused", s->ops->what,
					    s->ops->max_clients);
			close(fd);
			continue;
		}
		memset(c, 0, sizeof(*c));
		c->srv = s;
		c->in = in;
		c->used = 1;
		c->gen = ++s->gen & 0xffffff;
		if (!c->gen)
			c->gen = ++s->gen & 0xffffff;
		c->last_ms = now_ms();
		c->peer = from;
		c->src = (struct loop_src){ .fd = fd, .cb = client_cb, .arg = c };
		if (loop_add(&c->src, EPOLLIN) < 0) {
			close(fd);
			free(in);
			memset(c, 0, sizeof(*c));
			continue;
		}
		if (!s->nclients++)
			timer_arm(&s->sweep, 1000, 1000);
	}
}

int stream_open(struct stream_server *s, int fd, const struct stream_ops *ops, void *arg)
{
	int r;
	memset(s, 0, sizeof(*s));
	s->listener.fd = -1;
	if (ops->max_clients > STREAM_CLIENTS_MAX || !ops->max_clients || ops->in_max < 2) {
		close(fd);
		return -EINVAL;
	}
	s->ops = ops;
	s->arg = arg;
	s->clients = calloc(ops->max_clients, sizeof(*s->clients));
	if (!s->clients) {
		close(fd);
		return -ENOMEM;
	}
	if ((r = timer_init(&s->sweep, sweep_cb, s)) < 0) {
		free(s->clients);
		s->clients = NULL;
		close(fd);
		return r;
	}
	s->listener = (struct loop_src){ .fd = fd, .cb = accept_cb, .arg = s };
	if ((r = loop_add(&s->listener, EPOLLIN)) < 0) {
		stream_close(s);
		return r;
	}
	return 0;
}

void stream_close(struct stream_server *s)
{
	if (!s->clients)
		return;
	for (unsigned i = 0; i < s->ops->max_clients; i++)
		if (s->clients[i].used)
			client_close(&s->clients[i]);
	timer_fini(&s->sweep);
	loop_del(&s->listener);
	close(s->listener.fd);
	s->listener.fd = -1;
	free(s->clients);
	s->clients = NULL;
}
