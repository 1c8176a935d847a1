/* A stream server in the event loop, under the control socket and the
 * metrics endpoint: one listening socket, a fixed number of client slots,
 * a request read into a bounded buffer, and a reply queued and written as
 * the socket accepts it, so that a slow client never blocks the daemon.
 *
 * A client that sends no whole request, or reads nothing of its reply, for
 * idle_ms is closed; when every slot is taken, the client idle the longest
 * is closed to make room for the new one. A client waiting for a deferred
 * reply, or subscribed, is not idle. A subscriber stays connected after
 * its first reply and gets every message published to its topics; one that
 * lets more than STREAM_SUB_QUEUE_MAX bytes queue up is closed. */
#ifndef OL_STREAM_H
#define OL_STREAM_H
#include "base/loop.h"
#include <stddef.h>

#define STREAM_CLIENTS_MAX 64
#define STREAM_SUB_QUEUE_MAX (256 * 1024)

struct stream_client;

struct stream_ops {
	const char *what;       /* "control", "metrics": in logs and onlink_accept_paused_total */
	unsigned max_clients;   /* <= STREAM_CLIENTS_MAX */
	unsigned max_subscribers;
	size_t in_max;          /* request bytes kept, NUL included */
	unsigned idle_ms;
	/* The request's bytes so far (NUL-terminated; len of them, which may
	 * hold NULs); full: no room for more. Returns 0 to wait for more, 1
	 * once it answered (stream_reply, stream_defer or stream_subscribe),
	 * -1 to close the client. */
	int (*input)(struct stream_client *c, const char *in, size_t len, int full, void *arg);
};

struct stream_server {
	const struct stream_ops *ops;
	void *arg;
	struct loop_src listener;
	struct timer sweep;
	struct stream_client *clients;
	unsigned nclients, nsubs, gen;
};

/* Serves connections on a listening socket (taken: closed by stream_close). */
int stream_open(struct stream_server *s, int fd, const struct stream_ops *ops, void *arg);
void stream_close(struct stream_server *s);

/* The reply (malloc'd, taken); the client is closed once it is written. */
void stream_reply(struct stream_client *c, char *out, size_t len);
/* The reply comes later, from stream_finish(handle): a handle that stays
 * valid while the client is connected (a client gone meanwhile is fine). */
unsigned stream_defer(struct stream_client *c);
/* Whether the client waits for a deferred reply or is subscribed. */
int stream_waiting(const struct stream_client *c);
void stream_finish(struct stream_server *s, unsigned handle, char *out);
/* Keeps the client connected for messages on the topics (a bit mask),
 * after `first` (malloc'd, taken). -EBUSY when max_subscribers are
 * connected: first is then freed and the caller replies with an error. */
int stream_subscribe(struct stream_client *c, unsigned topics, char *first, size_t len);
/* Queues a copy of msg to every subscriber of topic. */
void stream_publish(struct stream_server *s, unsigned topic, const char *msg, size_t len);
unsigned stream_subscribers(const struct stream_server *s, unsigned topic);
/* The client's socket, for its credentials. */
int stream_fd(const struct stream_client *c);
#endif
