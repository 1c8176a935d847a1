/* Control socket server (on the stream server, in the daemon's event loop)
 * and client. */
#include "base/control.h"
#include "base/log.h"
#include "base/loop.h"
#include "base/stream.h"
#include "base/vec.h"
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
 * out. A client waiting for a deferred reply (a drain waiting for BIRD),
 * or subscribed, is not idle. */
#define CONTROL_IDLE_MS 3000
/* subscribers are daemons on the same host (the egress proxy): half the
 * slots at most, so that they can never lock the operators out */
#define CONTROL_SUBSCRIBERS (CONTROL_CLIENTS / 2)

static struct stream_server server;
static control_fn handler;
static void *handler_arg;
static char sock_path[108];
static struct stream_client *current; /* during a handler call */

int control_peer(uid_t *uid, pid_t *pid)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	if (!current || getsockopt(stream_fd(current), SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return -1;
	*uid = cr.uid;
	*pid = cr.pid;
	return 0;
}

unsigned control_defer(void)
{
	return current ? stream_defer(current) : 0;
}

void control_finish(unsigned handle, char *reply)
{
	stream_finish(&server, handle, reply);
}

int control_subscribe(unsigned topics, char *first)
{
	if (!current) {
		free(first);
		return -EINVAL;
	}
	return stream_subscribe(current, topics, first, strlen(first));
}

void control_publish(unsigned topic, const char *msg)
{
	stream_publish(&server, topic, msg, strlen(msg));
}

unsigned control_subscribers(unsigned topic)
{
	return stream_subscribers(&server, topic);
}

static int input(struct stream_client *c, const char *in, size_t len, int full, void *arg)
{
	(void)arg;
	/* memchr: a NUL in the request must not hide its newline */
	const char *nl = memchr(in, '\n', len);
	if (!nl && full) {
		static struct ratelimit rl = RATELIMIT_INIT(10000, 5);
		char *out = NULL;
		log_limited(&rl, LOG_WARNING, "control: a request over %d bytes: refused", CONTROL_REQUEST_MAX - 1);
		if (asprintf(&out, "{\"api\": 1, \"error\": \"request over %d bytes: refused\"}\n", CONTROL_REQUEST_MAX - 1) < 0)
			return -1;
		stream_reply(c, out, strlen(out));
		return 1;
	}
	if (!nl)
		return 0;
	char req[CONTROL_REQUEST_MAX];
	size_t n = (size_t)(nl - in); /* the stream holds at most in_max - 1 bytes */
	memcpy(req, in, n);
	req[n] = 0;
	current = c;
	char *out = handler(req, handler_arg);
	current = NULL;
	if (!out && !stream_waiting(c)) {
		/* no answer built (out of memory, or a value JSON cannot
		 * hold): said, never a silent close */
		static struct ratelimit rl = RATELIMIT_INIT(10000, 5);
		log_limited(&rl, LOG_ERR, "control: no answer could be built for a request");
		out = strdup("{\"api\": 1, \"error\": \"the agent could not build its answer (see its log)\"}\n");
		if (!out)
			return -1;
	}
	if (out)
		stream_reply(c, out, strlen(out));
	return 1;
}

static const struct stream_ops control_ops = {
	.what = "control", .max_clients = CONTROL_CLIENTS, .max_subscribers = CONTROL_SUBSCRIBERS,
	.in_max = CONTROL_REQUEST_MAX + 1, .idle_ms = CONTROL_IDLE_MS, .input = input,
};

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
	return stream_open(&server, fd, &control_ops, NULL);
}

void control_close(void)
{
	if (!server.clients)
		return;
	stream_close(&server);
	unlink(sock_path);
}

/* A blocking Unix socket connected to path that has sent the request
 * line, or negative errno. MSG_NOSIGNAL: an agent that closes the
 * connection is an error to report, not a SIGPIPE that kills the CLI. A
 * Unix socket connects at once, and a request line fits its buffer. */
static int connect_send(const char *path, const char *request)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    send(fd, request, strlen(request), MSG_NOSIGNAL) < 0 || send(fd, "\n", 1, MSG_NOSIGNAL) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

int control_request(const char *path, const char *request, char **reply)
{
	return control_request_wait(path, request, reply, 30); /* BIRD reconfiguring a full table takes a while */
}

int control_request_wait(const char *path, const char *request, char **reply, unsigned seconds)
{
	size_t len = 0, cap = 0;
	char *buf = NULL;
	int fd = connect_send(path, request);
	if (fd < 0)
		return fd;
	struct timeval tv = { .tv_sec = seconds };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (;;) {
		if (vec_reserve_((void **)&buf, &cap, len + 4096, 1)) {
			free(buf);
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
	}
	close(fd);
	buf[len] = 0;
	*reply = buf;
	return len ? 0 : -ECONNRESET;
}

int control_open_stream(const char *path, const char *request)
{
	int fd = connect_send(path, request);
	if (fd >= 0 && fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
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
