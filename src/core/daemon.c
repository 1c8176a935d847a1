/* Signals as events, never as handlers doing work; start-up's last steps. */
#include "core/daemon.h"
#include "core/log.h"
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>
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

int daemon_ready(const struct config *c, metrics_fn fn, void *arg, const char *status)
{
	log_syslog(c->syslog);
	if (c->metrics.len) {
		int r = metrics_open(&c->metrics.ss, c->metrics.len, fn, arg);
		if (r) {
			log_err("metrics %s: %s", c->metrics.text, strerror(-r));
			return r;
		}
		log_info("metrics on http://%s/metrics", c->metrics.text);
	}
	if (status)
		daemon_notify_ready(status);
	return 0;
}

void daemon_notify_ready(const char *status)
{
	sd_notifyf(0, "READY=1\nSTATUS=%s\nMAINPID=%lu", status, (unsigned long)getpid());
}

void daemon_reloading(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
		   (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000);
}

void daemon_stopping(void)
{
	sd_notify(0, "STOPPING=1");
	metrics_close();
}
