/* What the daemons share: signal handling through a signalfd, and the
 * last steps of start-up (syslog, the metrics endpoint, telling systemd). */
#ifndef OL_DAEMON_H
#define OL_DAEMON_H
#include "conf/config.h"
#include "base/loop.h"
#include "base/metrics.h"

/* Blocks SIGINT, SIGTERM, SIGHUP and SIGPIPE and delivers the first three
 * through the loop: *stop is set on INT/TERM, *reload on HUP. */
int daemon_signals(struct loop_src *src, volatile int *stop, volatile int *reload);

/* Raises the soft limit on open files to the hard one: a switch agent holds
 * one descriptor per host, the egress proxy several per connection. */
void daemon_raise_nofile(void);

/* Start-up done: syslog if configured, the metrics endpoint if configured
 * (0, or negative errno with the reason logged), then, with a status,
 * READY=1 to systemd (Type=notify; nothing without $NOTIFY_SOCKET). A
 * daemon that is ready only later passes NULL and calls
 * daemon_notify_ready() then. */
int daemon_ready(const struct config *c, metrics_fn fn, void *arg, const char *status);
/* systemd: ready (after start-up or a reload), with a status line; a
 * reload starts (RELOADING=1); stopping (STOPPING=1). */
void daemon_notify_ready(const char *status);
/* The command line, for daemon_reload(). */
void daemon_args(char **argv);
/* SIGHUP for the switch and host agents: loads the config file again. -1:
 * it does not load (the reason is logged; the running config stays); 0:
 * nothing changed; otherwise the daemon execs itself with the same command
 * line (same pid), and the new process starts from the kernel's state like
 * any restart: unchanged kernel objects are not touched. */
int daemon_reload(const struct config *c);
void daemon_reloading(void);
void daemon_stopping(void);
#endif
