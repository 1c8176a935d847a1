/* The statistics of one (provider, target) of the host agent's continuous
 * probing: an RTT histogram since start, the loss and mean RTT over the
 * last minute (six buckets of ten seconds), and the last success. Pure:
 * the caller gives the time. */
#ifndef OL_PROBESTAT_H
#define OL_PROBESTAT_H
#include <stdint.h>
#include <time.h>

/* the histogram's upper bounds, in seconds (then +Inf) */
#define PS_BUCKETS 12
extern const double probestat_bounds[PS_BUCKETS];
#define PS_WINDOW_BUCKETS 6
#define PS_BUCKET_SECONDS 10

struct ps_window {
	int64_t epoch;          /* which ten seconds (unix time / 10) it counts */
	uint32_t sent, ok;
	double rtt_sum;         /* seconds, of the ok ones */
};

struct probestat {
	uint64_t le[PS_BUCKETS + 1]; /* per bucket, not cumulative; the last: +Inf */
	uint64_t count;
	double sum;             /* seconds */
	struct ps_window w[PS_WINDOW_BUCKETS];
	time_t last_success;    /* unix time; 0: never */
	double last_rtt;        /* seconds */
	uint32_t lost_run;      /* probes lost in a row, the last ones */
	/* steering's windows, by the probes' send time (host/follow.c) */
	struct ps_acc {
		uint64_t window;
		uint32_t sent, ok;
		uint64_t rtt_us;
	} acc[2];
};

/* A probe sent in window (its send time / the window's length): counted
 * in that window's slot (the older of two is reused). */
void probestat_acc(struct probestat *s, uint64_t window, double rtt_s);

/* A provider whose every target lost its last PS_FAILING_RUN probes is
 * failing: repath takes no connection there, and moves its connections
 * early (host/repath.c). Three: 1% random loss each way makes two in a row
 * a few times an hour at 5 probes a second, three about never. */
#define PS_FAILING_RUN 3

/* A probe's outcome at unix time now: its RTT in seconds, or < 0 lost. */
void probestat_add(struct probestat *s, time_t now, double rtt_s);
/* Over the last minute at now: probes counted, answered, their mean RTT
 * (seconds; 0 when none answered). */
void probestat_minute(const struct probestat *s, time_t now, uint32_t *sent, uint32_t *ok, double *mean);
/* The loss ratio over the last minute; -1 with no probe in it. */
double probestat_loss(const struct probestat *s, time_t now);
/* Which of n candidates is best for a target over the last minute: the
 * lowest mean RTT among those that answered at all, a lower loss breaking
 * near-ties (within 1%); -1 when none answered. */
int probestat_best(const struct probestat *const *c, int n, time_t now);
#endif
