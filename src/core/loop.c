/* epoll event loop and timerfd timers. */
#include "core/loop.h"
#include "core/log.h"
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

static int epfd = -1;

int loop_init(void)
{
	epfd = epoll_create1(EPOLL_CLOEXEC);
	return epfd < 0 ? -errno : 0;
}

void loop_fini(void)
{
	if (epfd >= 0)
		close(epfd);
	epfd = -1;
}

int loop_add(struct loop_src *s, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = s };
	return epoll_ctl(epfd, EPOLL_CTL_ADD, s->fd, &ev) ? -errno : 0;
}

int loop_mod(struct loop_src *s, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = s };
	return epoll_ctl(epfd, EPOLL_CTL_MOD, s->fd, &ev) ? -errno : 0;
}

/* Sources removed while a batch of events is dispatched: a pending event
 * of theirs in the same batch is dropped (its memory may be reused, as a
 * control client's slot is when an idle one is evicted). */
static struct loop_src *removed[256];
static int nremoved, dispatching;

void loop_del(struct loop_src *s)
{
	if (s->fd >= 0)
		epoll_ctl(epfd, EPOLL_CTL_DEL, s->fd, NULL);
	if (dispatching && nremoved < 256)
		removed[nremoved++] = s;
	else if (dispatching)
		nremoved = 257; /* too many to list: the rest of the batch waits for the next wait */
}

static int was_removed(const struct loop_src *s)
{
	if (nremoved > 256)
		return 1;
	for (int i = 0; i < nremoved; i++)
		if (removed[i] == s)
			return 1;
	return 0;
}

int loop_write_queued(int fd, const char *buf, size_t len, size_t *off)
{
	while (*off < len) {
		ssize_t w = write(fd, buf + *off, len - *off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		*off += (size_t)w;
	}
	return 0;
}

int loop_run_once(int timeout_ms)
{
	struct epoll_event ev[64];
	int n = epoll_wait(epfd, ev, 64, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	dispatching = 1;
	nremoved = 0;
	for (int i = 0; i < n; i++) {
		struct loop_src *s = ev[i].data.ptr;
		if (!was_removed(s))
			s->cb(s, ev[i].events);
	}
	dispatching = 0;
	nremoved = 0;
	return n;
}

static void timer_cb(struct loop_src *src, uint32_t events)
{
	struct timer *t = src->arg;
	uint64_t expirations;
	(void)events;
	if (read(src->fd, &expirations, sizeof(expirations)) != sizeof(expirations))
		return;
	t->fire(t);
}

int timer_init(struct timer *t, void (*fire)(struct timer *t), void *arg)
{
	memset(t, 0, sizeof(*t));
	t->src.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (t->src.fd < 0)
		return -errno;
	t->src.cb = timer_cb;
	t->src.arg = t;
	t->fire = fire;
	t->arg = arg;
	return loop_add(&t->src, EPOLLIN);
}

void timer_arm(struct timer *t, uint64_t first_ms, uint64_t period_ms)
{
	struct itimerspec its = {
		.it_value = { .tv_sec = first_ms / 1000, .tv_nsec = (first_ms % 1000) * 1000000 },
		.it_interval = { .tv_sec = period_ms / 1000, .tv_nsec = (period_ms % 1000) * 1000000 },
	};
	if (!first_ms)
		its.it_value.tv_nsec = 1; /* zero would disarm */
	timerfd_settime(t->src.fd, 0, &its, NULL);
}

void timer_stop(struct timer *t)
{
	struct itimerspec its = { 0 };
	timerfd_settime(t->src.fd, 0, &its, NULL);
}

void timer_fini(struct timer *t)
{
	if (t->src.fd >= 0) {
		loop_del(&t->src);
		close(t->src.fd);
		t->src.fd = -1;
	}
}
