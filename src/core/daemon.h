/* What the daemons share: signal handling through a signalfd, and the
 * last steps of start-up (syslog, the metrics endpoint, telling systemd). */
#ifndef OL_DAEMON_H
#define OL_DAEMON_H
#include "core/config.h"
#include "core/loop.h"
#include "core/metrics.h"

/* Blocks SIGINT, SIGTERM, SIGHUP and SIGPIPE and delivers the first three
 * through the loop: *stop is set on INT/TERM, *reload on HUP. */
int daemon_signals(struct loop_src *src, volatile int *stop, volatile int *reload);

/* Start-up done: syslog if configured, the metrics endpoint if configured
 * (0, or negative errno with the reason logged), then, with a status,
 * READY=1 to systemd (Type=notify; nothing without $NOTIFY_SOCKET). A
 * daemon that is ready only later passes NULL and calls
 * daemon_notify_ready() then. */
int daemon_ready(const struct config *c, metrics_fn fn, void *arg, const char *status);
/* systemd: ready (after start-up or a reload), with a status line; a
 * reload starts (RELOADING=1); stopping (STOPPING=1). */
void daemon_notify_ready(const char *status);
void daemon_reloading(void);
void daemon_stopping(void);
#endif
