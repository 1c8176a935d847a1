/* The switch agent's fan-out on more than one core: after a turn of the
 * event loop, the sealing and writing of every host's queued messages is
 * shared between the loop's thread and a few workers. Each item is handled
 * by exactly one thread; the caller keeps everything else (drops, epoll
 * interest) on the loop's thread. Workers sleep on a condition variable
 * between turns: no polling. */
#ifndef OL_FANOUT_H
#define OL_FANOUT_H
#include <stddef.h>

struct fanout;

/* workers: threads besides the caller's; 0 for none. NULL on failure
 * (fanout_run then runs everything on the caller's thread). */
struct fanout *fanout_new(unsigned workers);
void fanout_free(struct fanout *f);
unsigned fanout_workers(const struct fanout *f);
/* fn(arg, i) for every i below n, in parallel; returns when all are done.
 * Small batches run on the caller's thread alone. */
void fanout_run(struct fanout *f, size_t n, void (*fn)(void *arg, size_t i), void *arg);
#endif
