/* epoll event loop and timerfd timers. */
#include "base/loop.h"
#include "base/log.h"
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

static int epfd = -1;

static void resume_fire(struct timer *t);
static struct timer resume_t; /* listeners paused for want of descriptors */

int loop_init(void)
{
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		return -errno;
	/* made now: when it is needed, no descriptor may be left for it */
	return timer_init(&resume_t, resume_fire, NULL);
}

void loop_fini(void)
{
	if (resume_t.fire && resume_t.src.fd >= 0)
		close(resume_t.src.fd);
	memset(&resume_t, 0, sizeof(resume_t));
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

static void accept_forget(const struct loop_src *s);

void loop_del(struct loop_src *s)
{
	accept_forget(s);
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
	int r = loop_add(&t->src, EPOLLIN);
	if (r < 0) {
		close(t->src.fd);
		t->src.fd = -1;
		return r;
	}
	t->fire = fire; /* set only once it works: see timer_fini */
	t->arg = arg;
	return 0;
}

void timer_arm(struct timer *t, uint64_t first_ms, uint64_t period_ms)
{
	struct itimerspec its = {
		.it_value = { .tv_sec = first_ms / 1000, .tv_nsec = (first_ms % 1000) * 1000000 },
		.it_interval = { .tv_sec = period_ms / 1000, .tv_nsec = (period_ms % 1000) * 1000000 },
	};
	if (!first_ms)
		its.it_value.tv_nsec = 1; /* zero would disarm */
	if (t->fire) /* never a descriptor of a timer that was not made */
		timerfd_settime(t->src.fd, 0, &its, NULL);
}

void timer_stop(struct timer *t)
{
	struct itimerspec its = { 0 };
	if (t->fire)
		timerfd_settime(t->src.fd, 0, &its, NULL);
}

void timer_fini(struct timer *t)
{
	/* a zeroed timer that timer_init never made holds fd 0, not its own */
	if (t->fire && t->src.fd >= 0) {
		loop_del(&t->src);
		close(t->src.fd);
	}
	t->src.fd = -1;
	t->fire = NULL;
}

/* ---- listeners out of descriptors ---- */

#define ACCEPT_PAUSE_MS 250
#define PAUSED_MAX 16

static struct paused {
	struct loop_src *ls;
	uint64_t until;
} paused[PAUSED_MAX];
static int npaused;
static struct accept_count counts[ACCEPT_KINDS_MAX];
static size_t ncounts;

static void accept_forget(const struct loop_src *s)
{
	for (int i = 0; i < npaused; i++)
		if (paused[i].ls == s) {
			paused[i] = paused[--npaused];
			return;
		}
}

static void resume_fire(struct timer *t)
{
	uint64_t now = now_ms(), next = 0;
	(void)t;
	for (int i = 0; i < npaused;) {
		if (paused[i].until <= now) {
			loop_mod(paused[i].ls, EPOLLIN);
			paused[i] = paused[--npaused];
			continue;
		}
		if (!next || paused[i].until < next)
			next = paused[i].until;
		i++;
	}
	if (next)
		timer_arm(&resume_t, next - now, 0);
}

/* the kind's counter, registered on its first accept so that it shows as 0 */
static struct accept_count *count_of(const char *what)
{
	size_t i;
	for (i = 0; i < ncounts && strcmp(counts[i].what, what); i++)
		;
	if (i == ncounts && ncounts < ACCEPT_KINDS_MAX)
		counts[ncounts++].what = what;
	return i < ncounts ? &counts[i] : NULL;
}

static void count_pause(struct accept_count *c, const char *what)
{
	static struct ratelimit rl = RATELIMIT_INIT(60000, 4);
	if (c)
		c->paused++;
	log_limited(&rl, LOG_WARNING, "%s: out of file descriptors (%s): not accepting for %d ms", what, strerror(errno),
		    ACCEPT_PAUSE_MS);
}

int loop_accept(struct loop_src *ls, const char *what, struct sockaddr *sa, socklen_t *len)
{
	struct accept_count *c = count_of(what);
	for (;;) {
		int fd = accept4(ls->fd, sa, len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0)
			return fd;
		if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
			continue; /* that one is gone: the next */
		if (errno != EMFILE && errno != ENFILE && errno != ENOBUFS && errno != ENOMEM)
			return -1; /* EAGAIN: nothing waiting */
		/* the connection stays in the backlog and the socket readable:
		 * out of the loop for a while instead of spinning on it */
		count_pause(c, what);
		if (npaused == PAUSED_MAX || !resume_t.fire)
			return -1;
		accept_forget(ls);
		paused[npaused].ls = ls;
		paused[npaused++].until = now_ms() + ACCEPT_PAUSE_MS;
		loop_mod(ls, 0);
		timer_arm(&resume_t, ACCEPT_PAUSE_MS, 0);
		return -1;
	}
}

const struct accept_count *loop_accept_counts(size_t *n)
{
	*n = ncounts;
	return counts;
}
