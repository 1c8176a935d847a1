/* The switch agent's fan-out on more than one core: after a turn of the
 * event loop, the sealing and writing of every host's queued messages is
 * shared between the loop's thread and a few workers. Each connection is
 * flushed by exactly one thread; everything else about the peers (drops,
 * epoll interest) stays on the loop's thread. Workers sleep on a condition
 * variable between turns: no polling. */
#ifndef OL_FANOUT_H
#define OL_FANOUT_H
#include "core/conn.h"
#include <stddef.h>

struct fanout;

/* workers: threads besides the caller's; 0 for none. NULL on failure
 * (then flush inline). */
struct fanout *fanout_new(unsigned workers);
void fanout_free(struct fanout *f);
unsigned fanout_workers(const struct fanout *f);
/* rc[i] = conn_flush(c[i]) for every i, in parallel; returns when all are
 * done. Small batches run on the caller's thread alone. */
void fanout_flush(struct fanout *f, struct conn **c, int *rc, size_t n);
#endif
