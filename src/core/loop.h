/* One thread, one epoll loop. Timers are timerfds (CLOCK_MONOTONIC);
 * signals arrive through a signalfd and only set flags. */
#ifndef OL_LOOP_H
#define OL_LOOP_H
#include <stddef.h>
#include <stdint.h>

struct loop_src;
typedef void (*loop_cb)(struct loop_src *src, uint32_t events);

struct loop_src {
	int fd;
	loop_cb cb;
	void *arg;
};

int loop_init(void);
void loop_fini(void);
int loop_add(struct loop_src *s, uint32_t events);
int loop_mod(struct loop_src *s, uint32_t events);
void loop_del(struct loop_src *s);
/* Waits up to timeout_ms (-1: forever) and dispatches at most 64 events. */
int loop_run_once(int timeout_ms);

/* Writes what is left of a reply queued for a non-blocking socket (from
 * *off on). 0: all written; -EAGAIN: the rest when the socket is writable
 * again; another negative errno: the peer is gone. */
int loop_write_queued(int fd, const char *buf, size_t len, size_t *off);

/* A one-shot or periodic timer on its own timerfd. */
struct timer {
	struct loop_src src;
	void (*fire)(struct timer *t);
	void *arg;
};
int timer_init(struct timer *t, void (*fire)(struct timer *t), void *arg);
void timer_arm(struct timer *t, uint64_t first_ms, uint64_t period_ms);
void timer_stop(struct timer *t);
void timer_fini(struct timer *t);
#endif
