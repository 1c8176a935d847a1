/* Prometheus text exposition over HTTP: the smallest server that answers a
 * scraper, on the stream server. Each client: read the request head,
 * answer, close. */
#include "base/version.h"
#include "base/metrics.h"
#include "base/log.h"
#include "base/loop.h"
#include "base/stream.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#define MX_CLIENTS 8
#define MX_HEAD 4096
#define MX_TIMEOUT_MS 5000

static struct stream_server server;
static metrics_fn render;
static void *render_arg;

/* head: the headers of that body only (HEAD) */
static void respond(struct stream_client *c, const char *status, const char *ctype, const char *body, size_t blen,
		    int head)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	if (!f)
		return;
	fprintf(f, "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", status, ctype,
		blen);
	if (!head)
		fwrite(body, 1, blen, f);
	if (fclose(f)) {
		free(out);
		return;
	}
	stream_reply(c, out, len);
}

static void render_all(FILE *f)
{
	render(f, render_arg);
	char l[64];
	mx_family(f, "onlink_build_info", "gauge", "1, labelled with the version of onlinkd running (debian/changelog's).");
	mx_sample(f, "onlink_build_info", mx_label(l, sizeof(l), "version", onlink_version), 1);
	size_t nk;
	const struct accept_count *ac = loop_accept_counts(&nk);
	mx_family(f, "onlink_accept_paused_total", "counter",
		  "Times a listening socket stopped accepting for 250 ms because the process ran out of file descriptors.");
	for (size_t i = 0; i < nk; i++) {
		mx_sample(f, "onlink_accept_paused_total", mx_label(l, sizeof(l), "socket", ac[i].what), (double)ac[i].paused);
	}
}

enum mx_verdict mx_parse_request(const char *in, size_t len, int full, int *head)
{
	*head = 0;
	if (memchr(in, 0, len))
		return MX_BAD;
	if (!strstr(in, "\r\n\r\n") && !strstr(in, "\n\n"))
		return full ? MX_TOO_LARGE : MX_MORE;
	/* request line: METHOD SP TARGET SP VERSION */
	char method[8], target[64], version[16];
	if (sscanf(in, "%7s %63s %15s", method, target, version) != 3 || strncmp(version, "HTTP/1.", 7))
		return MX_BAD;
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return MX_METHOD;
	/* the path alone: a scraper may add a query string */
	target[strcspn(target, "?")] = 0;
	if (strcmp(target, "/metrics"))
		return MX_NOT_FOUND;
	*head = !strcmp(method, "HEAD");
	return MX_METRICS;
}

static int input(struct stream_client *c, const char *in, size_t len, int full, void *arg)
{
	int head;
	(void)arg;
	switch (mx_parse_request(in, len, full, &head)) {
	case MX_MORE:
		return 0;
	case MX_BAD:
		respond(c, "400 Bad Request", "text/plain", "bad request\n", 12, 0);
		return 1;
	case MX_TOO_LARGE:
		respond(c, "431 Request Header Fields Too Large", "text/plain", "too large\n", 10, 0);
		return 1;
	case MX_METHOD:
		respond(c, "405 Method Not Allowed", "text/plain", "GET /metrics\n", 13, 0);
		return 1;
	case MX_NOT_FOUND:
		respond(c, "404 Not Found", "text/plain", "GET /metrics\n", 13, 0);
		return 1;
	case MX_METRICS:
		break;
	}
	char *body = NULL;
	size_t blen = 0;
	FILE *f = open_memstream(&body, &blen);
	if (!f)
		return -1;
	render_all(f);
	if (fclose(f)) {
		free(body);
		return -1;
	}
	respond(c, "200 OK", "text/plain; version=0.0.4; charset=utf-8", body, blen, head);
	free(body);
	return 1;
}

static const struct stream_ops metrics_ops = {
	.what = "metrics", .max_clients = MX_CLIENTS, .in_max = MX_HEAD, .idle_ms = MX_TIMEOUT_MS, .input = input,
};

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
	return stream_open(&server, fd, &metrics_ops, NULL);
}

void metrics_close(void)
{
	stream_close(&server);
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
