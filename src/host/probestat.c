/* Continuous probing's statistics (probestat.h). */
#include "host/probestat.h"
#include <stddef.h>

const double probestat_bounds[PS_BUCKETS] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
					      0.05,   0.1,   0.25,   0.5,   1,    2.5 };

void probestat_add(struct probestat *s, time_t now, double rtt_s)
{
	int64_t epoch = (int64_t)now / PS_BUCKET_SECONDS;
	struct ps_window *w = &s->w[(uint64_t)epoch % PS_WINDOW_BUCKETS];
	if (w->epoch != epoch)
		*w = (struct ps_window){ .epoch = epoch };
	w->sent++;
	if (rtt_s < 0) {
		s->lost_run++;
		return;
	}
	s->lost_run = 0;
	w->ok++;
	w->rtt_sum += rtt_s;
	int b = 0;
	while (b < PS_BUCKETS && rtt_s > probestat_bounds[b])
		b++;
	s->le[b]++;
	s->count++;
	s->sum += rtt_s;
	s->last_success = now;
	s->last_rtt = rtt_s;
}

void probestat_minute(const struct probestat *s, time_t now, uint32_t *sent, uint32_t *ok, double *mean)
{
	int64_t epoch = (int64_t)now / PS_BUCKET_SECONDS;
	double sum = 0;
	*sent = *ok = 0;
	for (int i = 0; i < PS_WINDOW_BUCKETS; i++)
		if (s->w[i].epoch > epoch - PS_WINDOW_BUCKETS && s->w[i].epoch <= epoch) {
			*sent += s->w[i].sent;
			*ok += s->w[i].ok;
			sum += s->w[i].rtt_sum;
		}
	*mean = *ok ? sum / *ok : 0;
}

double probestat_loss(const struct probestat *s, time_t now)
{
	uint32_t sent, ok;
	double mean;
	probestat_minute(s, now, &sent, &ok, &mean);
	return sent ? (double)(sent - ok) / sent : -1;
}

int probestat_best(const struct probestat *const *c, int n, time_t now)
{
	int best = -1;
	double bmean = 0, bloss = 0;
	for (int i = 0; i < n; i++) {
		uint32_t sent, ok;
		double mean;
		probestat_minute(c[i], now, &sent, &ok, &mean);
		if (!ok)
			continue;
		double loss = (double)(sent - ok) / sent;
		int better = best < 0 || mean < bmean * 0.99 || (mean <= bmean * 1.01 && loss < bloss);
		if (better) {
			best = i;
			bmean = mean;
			bloss = loss;
		}
	}
	return best;
}

void probestat_acc(struct probestat *s, uint64_t window, double rtt_s)
{
	struct ps_acc *a = &s->acc[window % 2];
	if (a->window != window)
		*a = (struct ps_acc){ .window = window };
	a->sent++;
	if (rtt_s >= 0) {
		a->ok++;
		a->rtt_us += (uint64_t)(rtt_s * 1e6);
	}
}
