/* BIRD control socket client (bird.h). */
#include "switch/bird.h"
#include "base/vec.h"
#include "base/log.h"
#include "base/loop.h"
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define BIRD_CMD_MAX 4096
#define BIRD_REPLY_MAX (4 << 20)

struct bird_cmd {
	char *text;             /* with its newline */
	bird_fn fn;
	void *arg;
	struct bird_cmd *next;
};

struct bird {
	struct loop_src src;
	char path[108];
	int connected;          /* the welcome line was read */
	int sent;               /* the head command was written */
	size_t woff;            /* bytes of it written */
	struct bird_cmd *head, *tail;
	size_t npending;
	char *in;               /* raw bytes read, up to a whole line */
	size_t inlen, incap;
	char *reply;            /* the current reply, codes stripped */
	size_t rlen, rcap;
	int logged_down;
	uint64_t since_ms;      /* when the command in flight was sent, or the connect made */
	unsigned drops;         /* connections dropped: a walk of `in` stops when one is */
};

static void drop(struct bird *b, const char *why);

static int append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > BIRD_REPLY_MAX)
		return -E2BIG;
	if (vec_reserve_((void **)buf, cap, *len + n + 1, 1))
		return -ENOMEM;
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = 0;
	return 0;
}

/* Writable is wanted only with something to write: a Unix socket is
 * connected at once (or refused), and BIRD speaks first. */
static void want(struct bird *b)
{
	if (b->src.fd >= 0)
		loop_mod(&b->src, EPOLLIN | (b->connected && b->head && (!b->sent || b->woff < strlen(b->head->text))
						     ? EPOLLOUT : 0));
}

static void complete(struct bird *b, int ok, const char *text)
{
	struct bird_cmd *c = b->head;
	b->head = c->next;
	if (!b->head)
		b->tail = NULL;
	b->npending--;
	b->sent = 0;
	b->woff = 0;
	if (c->fn)
		c->fn(c->arg, ok, text);
	free(c->text);
	free(c);
}

/* One whole line from BIRD. */
static void line(struct bird *b, const char *l)
{
	int code = -1, last = 0;
	const char *body = l;
	if (strlen(l) >= 5 && isdigit((unsigned char)l[0]) && isdigit((unsigned char)l[1]) &&
	    isdigit((unsigned char)l[2]) && isdigit((unsigned char)l[3]) && (l[4] == ' ' || l[4] == '-')) {
		code = atoi(l) ;
		last = l[4] == ' ';
		body = l + 5;
	} else if (l[0] == ' ') {
		body = l + 1;
	}
	if (!b->connected) {
		/* the welcome: "0001 BIRD x.y ready." */
		if (last && code == 1) {
			b->connected = 1;
			b->logged_down = 0;
			log_info("BIRD: connected to %s", b->path);
			want(b);
		}
		return;
	}
	if (!b->sent)
		return; /* nothing asked: ignore */
	if (append(&b->reply, &b->rlen, &b->rcap, body, strlen(body)) || append(&b->reply, &b->rlen, &b->rcap, "\n", 1)) {
		drop(b, "reply too long");
		return;
	}
	if (last) {
		int ok = code < 8000;
		b->rlen = 0;
		complete(b, ok, b->reply ? b->reply : "");
		if (b->reply)
			b->reply[0] = 0;
		want(b);
	}
}

static void on_read(struct bird *b)
{
	char buf[16384];
	for (;;) {
		ssize_t n = read(b->src.fd, buf, sizeof(buf));
		if (n == 0) {
			drop(b, "BIRD closed the connection");
			return;
		}
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				drop(b, strerror(errno));
			return;
		}
		if (append(&b->in, &b->inlen, &b->incap, buf, (size_t)n)) {
			drop(b, "line too long");
			return;
		}
		char *start = b->in, *nl;
		unsigned drops = b->drops;
		while ((nl = memchr(start, '\n', b->inlen - (size_t)(start - b->in)))) {
			*nl = 0;
			line(b, start); /* a completion's callback may drop the connection */
			if (b->drops != drops)
				return; /* dropped meanwhile: `in` was emptied, whatever came since */
			start = nl + 1;
		}
		size_t rest = b->inlen - (size_t)(start - b->in);
		memmove(b->in, start, rest);
		b->inlen = rest;
		if ((size_t)n < sizeof(buf))
			return;
	}
}

static void on_write(struct bird *b)
{
	if (!b->connected || !b->head)
		return;
	if (!b->sent)
		b->since_ms = now_ms();
	b->sent = 1;
	const char *t = b->head->text;
	size_t len = strlen(t);
	while (b->woff < len) {
		ssize_t w = write(b->src.fd, t + b->woff, len - b->woff);
		if (w < 0) {
			if (errno != EAGAIN && errno != EINTR)
				drop(b, strerror(errno));
			break;
		}
		b->woff += (size_t)w;
	}
	if (b->src.fd >= 0)
		want(b);
}

static void cb(struct loop_src *src, uint32_t events)
{
	struct bird *b = src->arg;
	if (events & (EPOLLERR | EPOLLHUP) && !(events & EPOLLIN)) {
		int err = 0;
		socklen_t l = sizeof(err);
		getsockopt(b->src.fd, SOL_SOCKET, SO_ERROR, &err, &l);
		drop(b, err ? strerror(err) : "connection closed");
		return;
	}
	if (events & EPOLLIN)
		on_read(b);
	if (b->src.fd >= 0 && events & EPOLLOUT)
		on_write(b);
}

/* Every waiting command fails: BIRD may or may not have run the one sent. */
static void drop(struct bird *b, const char *why)
{
	b->drops++;
	if (b->src.fd >= 0) {
		loop_del(&b->src);
		close(b->src.fd);
		b->src.fd = -1;
	}
	if (b->connected || !b->logged_down)
		log_warn("BIRD: %s: %s", b->path, why);
	b->logged_down = 1;
	b->connected = 0;
	b->inlen = 0;
	b->rlen = 0;
	char msg[200];
	snprintf(msg, sizeof(msg), "BIRD not reachable at %s: %s", b->path, why);
	while (b->head)
		complete(b, -1, msg);
}

void bird_kick(struct bird *b)
{
	if (b->src.fd >= 0)
		return;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", b->path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	/* EAGAIN (BIRD's backlog full) is a failure too: tried again later */
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int e = errno;
		close(fd);
		b->src.fd = -1;
		/* commands queued while BIRD is away fail now, not later */
		drop(b, strerror(e));
		return;
	}
	b->src.fd = fd;
	b->since_ms = now_ms();
	if (loop_add(&b->src, EPOLLIN) < 0) {
		close(fd);
		b->src.fd = -1;
	}
}

void bird_expire(struct bird *b, unsigned ms)
{
	if (b->src.fd < 0 || (b->connected && !b->sent))
		return;
	if (now_ms() - b->since_ms > ms)
		drop(b, b->connected ? "no answer" : "no welcome");
}

int bird_open(struct bird **out, const char *path)
{
	struct bird *b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	snprintf(b->path, sizeof(b->path), "%s", path);
	b->src.fd = -1;
	b->src.cb = cb;
	b->src.arg = b;
	*out = b;
	bird_kick(b);
	return 0;
}

void bird_close(struct bird *b)
{
	if (!b)
		return;
	if (b->src.fd >= 0) {
		loop_del(&b->src);
		close(b->src.fd);
		b->src.fd = -1;
	}
	b->connected = 0;
	while (b->head)
		complete(b, -1, "stopping");
	free(b->in);
	free(b->reply);
	free(b);
}

int bird_up(const struct bird *b)
{
	return b && b->connected;
}

size_t bird_pending(const struct bird *b)
{
	return b->npending;
}

int bird_cmd(struct bird *b, const char *cmd, bird_fn fn, void *arg)
{
	size_t n = strlen(cmd);
	if (n + 2 > BIRD_CMD_MAX || strchr(cmd, '\n'))
		return -E2BIG;
	if (!b->connected) {
		if (fn)
			fn(arg, -1, "BIRD not reachable");
		return 0;
	}
	struct bird_cmd *c = calloc(1, sizeof(*c));
	if (!c || !(c->text = malloc(n + 2))) {
		free(c);
		return -ENOMEM;
	}
	memcpy(c->text, cmd, n);
	c->text[n] = '\n';
	c->text[n + 1] = 0;
	c->fn = fn;
	c->arg = arg;
	if (b->tail)
		b->tail->next = c;
	else
		b->head = c;
	b->tail = c;
	b->npending++;
	want(b);
	return 0;
}

int bird_parse_protocols(const char *text,
			 void (*fn)(void *arg, const char *name, const char *state, const char *since, const char *info),
			 void *arg)
{
	int rows = 0;
	const char *p = text;
	while (*p) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		char l[512], name[128], proto[64], table[64], state[32], since[64];
		int off = 0;
		if (len < sizeof(l)) {
			memcpy(l, p, len);
			l[len] = 0;
			if (sscanf(l, "%127s %63s %63s %31s %63s %n", name, proto, table, state, since, &off) >= 5 &&
			    strcmp(name, "Name")) {
				char *info = off ? l + off : l + len;
				size_t il = strlen(info);
				while (il && isspace((unsigned char)info[il - 1]))
					info[--il] = 0;
				fn(arg, name, state, since, info);
				rows++;
			}
		}
		p += len + (e ? 1 : 0);
	}
	return rows;
}

unsigned long bird_parse_local_as(const char *text)
{
	const char *p = strstr(text, "Local AS:");
	return p ? strtoul(p + 9, NULL, 10) : 0;
}
