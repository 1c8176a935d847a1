/* One thread, one epoll loop. Timers are timerfds (CLOCK_MONOTONIC);
 * signals arrive through a signalfd and only set flags. */
#ifndef OL_LOOP_H
#define OL_LOOP_H
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct loop_src;
typedef void (*loop_cb)(struct loop_src *src, uint32_t events);

struct loop_src {
	int fd;
	loop_cb cb;
	void *arg;
};

int loop_init(void);
void loop_fini(void);
int loop_add(struct loop_src *s, uint32_t events) __attribute__((warn_unused_result));
int loop_mod(struct loop_src *s, uint32_t events);
void loop_del(struct loop_src *s);
/* Waits up to timeout_ms (-1: forever) and dispatches at most 64 events. */
int loop_run_once(int timeout_ms);

/* Writes what is left of a reply queued for a non-blocking socket (from
 * *off on). 0: all written; -EAGAIN: the rest when the socket is writable
 * again; another negative errno: the peer is gone. */
int loop_write_queued(int fd, const char *buf, size_t len, size_t *off);

/* accept4 (non-blocking, close-on-exec) on a listening source of the
 * loop; the connection's descriptor, or -1 when none can be taken now.
 * Out of descriptors (EMFILE, ENFILE) or memory, the connection stays in
 * the backlog and the socket stays readable, and a level-triggered loop
 * would spin on it: the listener then leaves the loop for 250 ms, which is
 * logged (at most 4 times a minute) and counted under `what`. */
int loop_accept(struct loop_src *ls, const char *what, struct sockaddr *sa, socklen_t *len);
#define ACCEPT_KINDS_MAX 8
struct accept_count {
	const char *what;
	unsigned long paused;
};
/* how often each kind of listener was paused, for the metrics */
const struct accept_count *loop_accept_counts(size_t *n);

/* A one-shot or periodic timer on its own timerfd. */
struct timer {
	struct loop_src src;
	void (*fire)(struct timer *t);
	void *arg;
};
/* 0, or negative errno (no timerfd, or epoll refused it): the timer is
 * then not made, and timer_arm, timer_stop and timer_fini do nothing to
 * it. A caller that needs it fails with a message; nothing runs on with a
 * keepalive or a repair silently dead. */
int timer_init(struct timer *t, void (*fire)(struct timer *t), void *arg)
	__attribute__((warn_unused_result));
void timer_arm(struct timer *t, uint64_t first_ms, uint64_t period_ms);
void timer_stop(struct timer *t);
void timer_fini(struct timer *t);
#endif
