/* Protective repath in the host agent ([repath]): the sock_ops program
 * (bpf/repath.bpf.c) on a cgroup moves a TCP connection to another
 * provider's table on its Nth consecutive retransmission timeout; this
 * part keeps the program's candidates (live providers the probes do not
 * show failing: repathsel.c), its stay prefixes and its netns current,
 * and turns its counters into metrics, status and log lines. With the
 * program unloadable the agent says so once and runs without it. */
#ifndef OL_HOST_REPATH_H
#define OL_HOST_REPATH_H
#include <jansson.h>
#include <stdio.h>

struct hostd;
struct repath;

/* *out: NULL without [repath] or with after-rtos 0. 0, or negative errno
 * (out of memory, its timer); a program that does not load is not an
 * error. */
int repath_new(struct hostd *h, struct repath **out);
void repath_free(struct repath *r);
/* [repath] reloaded: the program stays attached unless its cgroup
 * changed; the counters are kept. */
int repath_reload(struct hostd *h, struct repath **r);
/* The providers or the probes changed: the candidates again, now. */
void repath_changed(struct repath *r);
void repath_metrics(struct repath *r, FILE *f);
json_t *repath_json(struct repath *r);
#endif
