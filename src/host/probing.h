/* The host agent's continuous probing ([probe] in its config): every
 * target through every live provider (up, with an address of the target's
 * family, and not substituted: a substituted provider's probes would
 * measure its backup), one round per interval, with the engine of onlink
 * ping (kernel/probe.h). Statistics per (provider, target) in probestat.h;
 * metrics, and the status's "probe" object. */
#ifndef OL_PROBING_H
#define OL_PROBING_H
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

struct hostd;
struct probing;

/* NULL without targets (nothing to do). */
/* *out: NULL when [probe] has no target. 0, or negative errno (its timer). */
int probing_new(struct hostd *h, struct probing **out);
/* The same engine for other targets (steering's, host/follow.c): tg must
 * outlive it. window_ms: results also kept by the window (of that length)
 * they were sent in, for probing_take; 0: not. */
struct cfg_probe_target;
int probing_new_targets(struct hostd *h, const struct cfg_probe_target *tg, unsigned n, unsigned interval_ms,
			unsigned timeout_ms, unsigned window_ms, struct probing **out);
void probing_free(struct probing *p);
/* The providers may have changed (a turn): the next round checks. */
void probing_changed(struct probing *p);
void probing_metrics(struct probing *p, FILE *f);
json_t *probing_json(struct probing *p);
/* What the probes say of a live provider now: 1 answering, 0 failing (every
 * target it is probed to lost its last PS_FAILING_RUN probes), -1 not
 * probed (no [probe], or no target of the family). family: AF_INET or
 * AF_INET6. */
int probing_health(const struct probing *p, const char *provider, int family);
/* What the probes of target (its index) sent in window gave through each
 * provider (taken once: the slot is emptied): at most cap providers, those
 * with a probe sent then. Take a window once its last probes are answered
 * or timed out. */
struct probe_take {
	const char *provider;
	uint32_t sent, ok;
	uint64_t rtt_sum_us;
};
size_t probing_take(struct probing *p, unsigned target, uint64_t window, struct probe_take *out, size_t cap);
#endif
