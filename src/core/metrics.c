/* Prometheus text exposition over HTTP: the smallest server that answers a
 * scraper, in the daemon's event loop. Each client: read the request head,
 * answer, close. A reply is queued and written as the socket accepts it,
 * so a slow scraper never blocks the daemon. */
#include "core/metrics.h"
#include "core/log.h"
#include "core/loop.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#define MX_CLIENTS 8
#define MX_HEAD 4096
#define MX_TIMEOUT_MS 5000

struct mclient {
	struct loop_src src;
	char in[MX_HEAD];
	size_t inlen;
	char *out;
	size_t outlen, outoff;
	uint64_t since;
	int used;
};

static struct loop_src listener = { .fd = -1 };
static struct mclient clients[MX_CLIENTS];
static struct timer sweep;
static metrics_fn render;
static void *render_arg;
static struct ratelimit rl = RATELIMIT_INIT(60000, 5);

static int nclients;

static void mclient_close(struct mclient *c)
{
	loop_del(&c->src);
	close(c->src.fd);
	free(c->out);
	memset(c, 0, sizeof(*c));
	/* no timer while nobody scrapes: an idle daemon does not wake up */
	if (!--nclients)
		timer_stop(&sweep);
}

/* head: the headers of that body only (HEAD) */
static void respond(struct mclient *c, const char *status, const char *ctype, const char *body, size_t blen, int head)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	if (!f) {
		mclient_close(c);
		return;
	}
	fprintf(f, "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", status, ctype,
		blen);
	if (!head)
		fwrite(body, 1, blen, f);
	if (fclose(f)) {
		free(out);
		mclient_close(c);
		return;
	}
	c->out = out;
	c->outlen = len;
	loop_mod(&c->src, EPOLLOUT);
}

static void answer(struct mclient *c)
{
	/* request line: METHOD SP TARGET SP VERSION */
	char method[8], target[64], version[16];
	if (sscanf(c->in, "%7s %63s %15s", method, target, version) != 3 || strncmp(version, "HTTP/1.", 7)) {
		respond(c, "400 Bad Request", "text/plain", "bad request\n", 12, 0);
		return;
	}
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		respond(c, "405 Method Not Allowed", "text/plain", "GET /metrics\n", 13, 0);
		return;
	}
	/* the path alone: a scraper may add a query string */
	target[strcspn(target, "?")] = 0;
	if (strcmp(target, "/metrics")) {
		respond(c, "404 Not Found", "text/plain", "GET /metrics\n", 13, 0);
		return;
	}
	char *body = NULL;
	size_t blen = 0;
	FILE *f = open_memstream(&body, &blen);
	if (!f) {
		mclient_close(c);
		return;
	}
	render(f, render_arg);
	size_t nk;
	const struct accept_count *ac = loop_accept_counts(&nk);
	mx_family(f, "onlink_accept_paused_total", "counter",
		  "Times a listening socket stopped accepting for 250 ms because the process ran out of file descriptors.");
	for (size_t i = 0; i < nk; i++) {
		char l[64];
		mx_sample(f, "onlink_accept_paused_total", mx_label(l, sizeof(l), "socket", ac[i].what), (double)ac[i].paused);
	}
	if (fclose(f)) {
		free(body);
		mclient_close(c);
		return;
	}
	respond(c, "200 OK", "text/plain; version=0.0.4; charset=utf-8", body, blen, !strcmp(method, "HEAD"));
	free(body);
}

static void mclient_cb(struct loop_src *src, uint32_t events)
{
	struct mclient *c = src->arg;
	if (c->out) {
		if (loop_write_queued(c->src.fd, c->out, c->outlen, &c->outoff) == -EAGAIN)
			return;
		mclient_close(c);
		return;
	}
	if (events & (EPOLLERR | EPOLLHUP) && !(events & EPOLLIN)) {
		mclient_close(c);
		return;
	}
	ssize_t r = read(c->src.fd, c->in + c->inlen, sizeof(c->in) - 1 - c->inlen);
	if (r <= 0) {
		if (r < 0 && errno == EAGAIN)
			return;
		mclient_close(c);
		return;
	}
	c->inlen += (size_t)r;
	c->in[c->inlen] = 0;
	if (memchr(c->in, 0, c->inlen)) {
		respond(c, "400 Bad Request", "text/plain", "bad request\n", 12, 0);
		return;
	}
	if (strstr(c->in, "\r\n\r\n") || strstr(c->in, "\n\n")) {
		answer(c);
		return;
	}
	if (c->inlen == sizeof(c->in) - 1)
		respond(c, "431 Request Header Fields Too Large", "text/plain", "too large\n", 10, 0);
}

static void sweep_cb(struct timer *t)
{
	(void)t;
	uint64_t now = now_ms();
	for (int i = 0; i < MX_CLIENTS; i++)
		if (clients[i].used && now - clients[i].since > MX_TIMEOUT_MS)
			mclient_close(&clients[i]);
}

static void accept_cb(struct loop_src *src, uint32_t events)
{
	(void)events;
	for (int k = 0; k < 64; k++) {
		int fd = loop_accept(src, "metrics", NULL, NULL);
		if (fd < 0)
			return;
		struct mclient *c = NULL;
		for (int i = 0; i < MX_CLIENTS && !c; i++)
			if (!clients[i].used)
				c = &clients[i];
		if (!c) {
			/* full: the oldest client goes, not the newest */
			c = &clients[0];
			for (int i = 1; i < MX_CLIENTS; i++)
				if (clients[i].since < c->since)
					c = &clients[i];
			log_limited(&rl, LOG_WARNING, "metrics: %d clients at once: the oldest closed", MX_CLIENTS);
			nclients++; /* mclient_close must not stop the sweep */
			mclient_close(c);
			nclients--;
		}
		c->used = 1;
		c->since = now_ms();
		c->src = (struct loop_src){ .fd = fd, .cb = mclient_cb, .arg = c };
		if (loop_add(&c->src, EPOLLIN) < 0) {
			close(fd);
			memset(c, 0, sizeof(*c));
		} else if (!nclients++) {
			timer_arm(&sweep, 1000, 1000);
		}
	}
}

int metrics_open(const struct sockaddr_storage *ss, socklen_t len, metrics_fn fn, void *arg)
{
	int one = 1;
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)ss, len) < 0 || listen(fd, 16) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	render = fn;
	render_arg = arg;
	listener = (struct loop_src){ .fd = fd, .cb = accept_cb };
	if (loop_add(&listener, EPOLLIN) < 0 || timer_init(&sweep, sweep_cb, NULL) < 0) {
		close(fd);
		listener.fd = -1;
		return -EIO;
	}
	return 0;
}

void metrics_close(void)
{
	if (listener.fd < 0)
		return;
	for (int i = 0; i < MX_CLIENTS; i++)
		if (clients[i].used)
			mclient_close(&clients[i]);
	timer_fini(&sweep);
	loop_del(&listener);
	close(listener.fd);
	listener.fd = -1;
}

void mx_family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void mx_sample(FILE *f, const char *name, const char *labels, double value)
{
	if (labels && *labels)
		fprintf(f, "%s{%s} %.17g\n", name, labels, value);
	else
		fprintf(f, "%s %.17g\n", name, value);
}

void mx_counters(FILE *f, const struct mx_counter *c, size_t nc, const void *first, size_t stride, size_t n,
		 const char *key, const char *(*name)(const void *arg, size_t i), const void *arg)
{
	char l[300];
	for (size_t k = 0; k < nc; k++) {
		mx_family(f, c[k].name, "counter", c[k].help);
		for (size_t i = 0; i < (key ? n : 1); i++) {
			const char *obj = (const char *)first + i * stride;
			mx_sample(f, c[k].name, key ? mx_label(l, sizeof(l), key, name(arg, i)) : "",
				  (double)*(const unsigned long *)(obj + c[k].off));
		}
	}
}

char *mx_label(char *buf, size_t len, const char *key, const char *value)
{
	size_t o = (size_t)snprintf(buf, len, "%s=\"", key);
	for (const char *v = value; *v && o + 3 < len; v++) {
		if (*v == '\\' || *v == '"')
			buf[o++] = '\\', buf[o++] = *v;
		else if (*v == '\n')
			buf[o++] = '\\', buf[o++] = 'n';
		else
			buf[o++] = *v;
	}
	if (o + 2 <= len) {
		buf[o++] = '"';
		buf[o] = 0;
	}
	return buf;
}
