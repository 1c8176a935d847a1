/* Control socket server (in the daemon's event loop) and client. Output is
 * queued per client and written as the socket accepts it, so a slow reader
 * never blocks the daemon. */
#include "core/control.h"
#include "core/log.h"
#include "core/loop.h"
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define CONTROL_CLIENTS 16
/* A client that sends no whole request, or reads nothing of its reply, for
 * this long is closed: a few idle connections must not lock the operators
 * out. A client waiting for a deferred reply (a drain waiting for BIRD) is
 * not idle. */
#define CONTROL_IDLE_MS 3000

struct client {
	struct loop_src src;
	char in[256];
	size_t inlen;
	char *out;
	size_t outlen, outoff;
	int used, deferred;
	unsigned gen;           /* tells a deferred reply's client from a later one in the slot */
	uint64_t last_ms;       /* accepted, or the reply last made progress */
};

static struct loop_src listener = { .fd = -1 };
static struct client clients[CONTROL_CLIENTS];
static control_fn handler;
static void *handler_arg;
static char sock_path[108];
static struct client *current; /* during a handler call */
static unsigned generation;
static struct timer sweep;
static int nclients;
static struct ratelimit rl = RATELIMIT_INIT(60000, 5);

static void client_close(struct client *c)
{
	loop_del(&c->src);
	close(c->src.fd);
	free(c->out);
	memset(c, 0, sizeof(*c));
	/* no timer while nobody is connected: an idle daemon does not wake up */
	if (!--nclients)
		timer_stop(&sweep);
}

static void sweep_cb(struct timer *t)
{
	(void)t;
	uint64_t now = now_ms();
	for (int i = 0; i < CONTROL_CLIENTS; i++) {
		struct client *c = &clients[i];
		if (c->used && !(c->deferred && !c->out) && now - c->last_ms > CONTROL_IDLE_MS) {
			log_limited(&rl, LOG_INFO, "control: a client %s for %d ms: closed",
				    c->out ? "read nothing of its reply" : "sent no request", CONTROL_IDLE_MS);
			client_close(c);
		}
	}
}

int control_peer(uid_t *uid, pid_t *pid)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	if (!current || getsockopt(current->src.fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return -1;
	*uid = cr.uid;
	*pid = cr.pid;
	return 0;
}

unsigned control_defer(void)
{
	if (!current)
		return 0;
	current->deferred = 1;
	return (unsigned)(current - clients) | current->gen << 8;
}

void control_finish(unsigned handle, char *reply)
{
	struct client *c = &clients[(handle & 0xff) % CONTROL_CLIENTS];
	if (!handle || !c->used || !c->deferred || c->gen != handle >> 8 || !reply) {
		free(reply); /* the client went away meanwhile */
		return;
	}
	c->deferred = 0;
	c->out = reply;
	c->outlen = strlen(reply);
	c->last_ms = now_ms();
	loop_mod(&c->src, EPOLLOUT);
}

static void client_cb(struct loop_src *src, uint32_t events)
{
	struct client *c = src->arg;
	if (c->out) {
		size_t before = c->outoff;
		if (loop_write_queued(c->src.fd, c->out, c->outlen, &c->outoff) == -EAGAIN) {
			if (c->outoff != before)
				c->last_ms = now_ms();
			return;
		}
		client_close(c);
		return;
	}
	if (events & (EPOLLERR | EPOLLHUP) && !(events & EPOLLIN)) {
		client_close(c);
		return;
	}
	if (c->deferred) {
		/* waiting for the reply: a client that closes is forgotten */
		char b;
		if (recv(c->src.fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) == 0)
			client_close(c);
		return;
	}
	ssize_t r = read(c->src.fd, c->in + c->inlen, sizeof(c->in) - 1 - c->inlen);
	if (r <= 0) {
		if (r < 0 && errno == EAGAIN)
			return;
		client_close(c);
		return;
	}
	c->inlen += (size_t)r;
	c->in[c->inlen] = 0;
	/* memchr: a NUL in the request must not hide its newline */
	char *nl = memchr(c->in, '\n', c->inlen);
	if (!nl) {
		if (c->inlen == sizeof(c->in) - 1)
			client_close(c);
		return;
	}
	*nl = 0;
	current = c;
	char *out = handler(c->in, handler_arg);
	current = NULL;
	if (out) {
		c->out = out;
		c->outlen = strlen(out);
		loop_mod(&c->src, EPOLLOUT);
	} else if (c->out) {
		/* deferred, and already finished (control_finish) */
	} else if (c->deferred) {
		loop_mod(&c->src, EPOLLIN); /* only to notice a client that goes away */
	} else {
		client_close(c);
	}
}

/* a free slot, or the one of the client that has waited longest without
 * being served (the oldest idle one); NULL when every client waits for a
 * deferred reply */
static struct client *slot_for_new(void)
{
	struct client *old = NULL;
	for (int i = 0; i < CONTROL_CLIENTS; i++) {
		struct client *c = &clients[i];
		if (!c->used)
			return c;
		if (!(c->deferred && !c->out) && (!old || c->last_ms < old->last_ms))
			old = c;
	}
	if (old) {
		log_limited(&rl, LOG_WARNING, "control: %d clients at once: the oldest idle one closed", CONTROL_CLIENTS);
		nclients++; /* client_close must not stop the sweep */
		client_close(old);
		nclients--;
	}
	return old;
}

static void accept_cb(struct loop_src *src, uint32_t events)
{
	(void)events;
	for (int k = 0; k < 16; k++) {
		int fd = loop_accept(src, "control", NULL, NULL);
		if (fd < 0)
			return;
		struct client *c = slot_for_new();
		if (!c) {
			log_limited(&rl, LOG_WARNING, "control: %d clients wait for replies: one refused", CONTROL_CLIENTS);
			close(fd);
			continue;
		}
		c->used = 1;
		c->gen = ++generation & 0xffffff;
		if (!c->gen)
			c->gen = ++generation & 0xffffff;
		c->last_ms = now_ms();
		c->src.fd = fd;
		c->src.cb = client_cb;
		c->src.arg = c;
		if (loop_add(&c->src, EPOLLIN) < 0) {
			close(fd);
			memset(c, 0, sizeof(*c));
			continue;
		}
		if (!nclients++)
			timer_arm(&sweep, 1000, 1000);
	}
}

int control_open(const char *path, control_fn fn, void *arg)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char dir[108], *slash;
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) && slash != dir) {
		*slash = 0;
		mkdir(dir, 0755);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* a stale socket from a killed daemon: replace it, but never steal a
	 * live one */
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		close(fd);
		return -EADDRINUSE;
	}
	unlink(path);
	mode_t old = umask(0117); /* 0660: root and the socket's group */
	int r = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (r < 0 || listen(fd, 16) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	snprintf(sock_path, sizeof(sock_path), "%s", path);
	handler = fn;
	handler_arg = arg;
	listener.fd = fd;
	listener.cb = accept_cb;
	if ((r = timer_init(&sweep, sweep_cb, NULL)) < 0)
		return r;
	return loop_add(&listener, EPOLLIN);
}

void control_close(void)
{
	for (int i = 0; i < CONTROL_CLIENTS; i++)
		if (clients[i].used)
			client_close(&clients[i]);
	if (listener.fd >= 0) {
		timer_fini(&sweep);
		loop_del(&listener);
		close(listener.fd);
		listener.fd = -1;
		unlink(sock_path);
	}
}

int control_request(const char *path, const char *request, char **reply)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t len = 0, cap = 4096;
	char *buf;
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	struct timeval tv = { .tv_sec = 30 }; /* BIRD reconfiguring a full table takes a while */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	/* MSG_NOSIGNAL: an agent that closes the connection is an error to
	 * report, not a SIGPIPE that kills the CLI */
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    send(fd, request, strlen(request), MSG_NOSIGNAL) < 0 || send(fd, "\n", 1, MSG_NOSIGNAL) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	buf = malloc(cap);
	for (;;) {
		if (!buf) {
			close(fd);
			return -ENOMEM;
		}
		ssize_t r = read(fd, buf + len, cap - len - 1);
		if (r < 0) {
			int e = -errno;
			free(buf);
			close(fd);
			return e;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (cap - len < 1024) {
			char *nb = realloc(buf, cap *= 2);
			if (!nb)
				free(buf);
			buf = nb;
		}
	}
	close(fd);
	buf[len] = 0;
	*reply = buf;
	return len ? 0 : -ECONNRESET;
}

const char *control_strerror(int e)
{
	switch (-e) {
	case EPIPE:
	case ECONNRESET:
		return "the agent closed the connection without answering";
	case EAGAIN:
		return "no answer within 30 s";
	default:
		return strerror(-e);
	}
}
