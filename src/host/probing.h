/* The host agent's continuous probing ([probe] in its config): every
 * target through every live provider (up, with an address of the target's
 * family, and not substituted: a substituted provider's probes would
 * measure its backup), one round per interval, with the engine of onlink
 * ping (kernel/probe.h). Statistics per (provider, target) in probestat.h;
 * metrics, and the status's "probe" object. */
#ifndef OL_PROBING_H
#define OL_PROBING_H
#include <jansson.h>
#include <stdio.h>

struct hostd;
struct probing;

/* NULL without targets (nothing to do). */
/* *out: NULL when [probe] has no target. 0, or negative errno (its timer). */
int probing_new(struct hostd *h, struct probing **out);
void probing_free(struct probing *p);
/* The providers may have changed (a turn): the next round checks. */
void probing_changed(struct probing *p);
void probing_metrics(struct probing *p, FILE *f);
json_t *probing_json(struct probing *p);
#endif
