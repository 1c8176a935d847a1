/* What both daemons share: signal handling through a signalfd. */
#ifndef OL_DAEMON_H
#define OL_DAEMON_H
#include "core/loop.h"

/* Blocks SIGINT, SIGTERM, SIGHUP and SIGPIPE and delivers the first three
 * through the loop: *stop is set on INT/TERM, *reload on HUP. */
int daemon_signals(struct loop_src *src, volatile int *stop, volatile int *reload);
#endif
