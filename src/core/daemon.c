/* Signals as events, never as handlers doing work. */
#include "core/daemon.h"
#include <errno.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

static volatile int *stop_flag, *reload_flag;

static void sig_cb(struct loop_src *src, uint32_t events)
{
	struct signalfd_siginfo si;
	(void)events;
	while (read(src->fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			*reload_flag = 1;
		else
			*stop_flag = 1;
	}
}

int daemon_signals(struct loop_src *src, volatile int *stop, volatile int *reload)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	stop_flag = stop;
	reload_flag = reload;
	src->fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (src->fd < 0)
		return -errno;
	src->cb = sig_cb;
	return loop_add(src, EPOLLIN);
}
