/* Signals as events, never as handlers doing work; start-up's last steps. */
#include "conf/daemon.h"
#include "base/log.h"
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <linux/close_range.h>
#include <time.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

static volatile int *stop_flag, *reload_flag;
static char **saved_argv;
static char self_path[4096];

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

void daemon_raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
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

void daemon_args(char **argv)
{
	saved_argv = argv;
	/* the binary's path, resolved now (under valgrind /proc/self/exe
	 * names the tool's own binary once exec'd) */
	ssize_t n = readlink("/proc/self/exe", self_path, sizeof(self_path) - 1);
	self_path[n > 0 ? n : 0] = 0;
}

int daemon_reload(const struct config *c)
{
	struct config next;
	if (config_load(c->path, &next)) {
		log_err("reload refused, the running configuration stays: %s", next.err);
		return -1;
	}
	int role_ok = next.role == c->role, same = role_ok && config_same(c, &next);
	config_free(&next);
	if (!role_ok) {
		log_err("reload refused: %s is no longer a config for this daemon", c->path);
		return -1;
	}
	if (same) {
		log_info("reload: %s unchanged", c->path);
		return 0;
	}
	if (!saved_argv) {
		log_err("reload: no command line to restart with");
		return -1;
	}
	log_info("reload: %s changed: restarting in place (same pid); kernel state is kept and reconciled", c->path);
	daemon_reloading();
	/* nothing of this process may leak into the next one */
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	execv(self_path[0] ? self_path : "/proc/self/exe", saved_argv);
	log_err("reload: exec: %s", strerror(errno));
	return -1;
}
