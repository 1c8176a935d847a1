/* The decision of [steer] (steerdec.h). */
#include "switch/steerdec.h"
#include <stdio.h>
#include <string.h>

const char *const sd_reason_label[3] = { "rtt", "loss", "provider-down" };

uint32_t sd_rtt(const struct sd_meas *m)
{
	return m->ok ? (uint32_t)(m->rtt_sum_us / m->ok) : 0;
}

uint16_t sd_loss(const struct sd_meas *m)
{
	return m->sent ? (uint16_t)(1000 - (uint64_t)m->ok * 1000 / m->sent) : 0;
}

static const struct sd_meas *find(const struct sd_meas *m, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(m[i].provider, name))
			return &m[i];
	return NULL;
}

/* How much better c is than e: the reason and a gain to rank candidates
 * by (loss first); 0 when not better by the thresholds. */
static uint64_t gain(const struct sd_meas *e, const struct sd_meas *c, const struct sd_params *p, enum sd_reason *why)
{
	uint16_t le = sd_loss(e), lc = sd_loss(c);
	if (!c->ok)
		return 0;
	if (le > lc && (unsigned)(le - lc) >= p->loss_gain && p->loss_gain) {
		*why = SD_LOSS;
		return (uint64_t)(le - lc) << 32;
	}
	if (!e->ok)
		return 0;
	uint32_t re = sd_rtt(e), rc = sd_rtt(c);
	/* a faster path that loses more (by loss-gain) is no better */
	if (rc >= re || (unsigned)lc > le + p->loss_gain)
		return 0;
	uint32_t d = re - rc;
	if (d < p->min_gain_us || (uint64_t)d * 100 < (uint64_t)p->min_gain_ratio * re)
		return 0;
	*why = SD_RTT;
	return d;
}

static unsigned recent_count(struct sd_recent *r, uint64_t now_ms)
{
	unsigned n = 0;
	for (unsigned i = 0; i < r->n; i++)
		if (r->at_ms[i] + 60000 > now_ms)
			n++;
	return n;
}

static void recent_add(struct sd_recent *r, uint64_t now_ms)
{
	const unsigned cap = sizeof(r->at_ms) / sizeof(r->at_ms[0]);
	r->at_ms[r->head] = now_ms;
	r->head = (r->head + 1) % cap;
	if (r->n < cap)
		r->n++;
}

void steer_decide(struct sd_prefix *st, const struct sd_meas *m, size_t n, const char *bgp, const struct sd_params *p,
		  struct sd_recent *recent, uint64_t now_ms, struct sd_decision *out)
{
	memset(out, 0, sizeof(*out));
	if (bgp && bgp[0])
		snprintf(st->bgp, sizeof(st->bgp), "%s", bgp);
	const char *eff = st->cur[0] ? st->cur : st->bgp;
	const struct sd_meas *e = eff[0] ? find(m, n, eff) : NULL;
	const struct sd_meas *best = NULL;
	enum sd_reason best_why = SD_RTT;
	uint64_t best_gain = 0;
	for (size_t i = 0; e && e->sent && i < n; i++) {
		enum sd_reason why;
		uint64_t g;
		if (&m[i] == e || !m[i].live || !m[i].sent)
			continue;
		if ((g = gain(e, &m[i], p, &why)) > best_gain ||
		    (g && g == best_gain && strcmp(m[i].provider, best->provider) < 0)) {
			best = &m[i];
			best_gain = g;
			best_why = why;
		}
	}
	if (!best) {
		st->cand[0] = 0;
		st->streak = 0;
		return;
	}
	if (strcmp(st->cand, best->provider)) {
		snprintf(st->cand, sizeof(st->cand), "%s", best->provider);
		st->streak = 0;
	}
	if (st->streak < p->windows)
		st->streak++;
	if (st->streak < p->windows)
		return;
	snprintf(out->from, sizeof(out->from), "%s", eff);
	snprintf(out->to, sizeof(out->to), "%s", best->provider);
	out->reason = best_why;
	out->rtt_from_us = sd_rtt(e);
	out->rtt_to_us = sd_rtt(best);
	out->loss_from = sd_loss(e);
	out->loss_to = sd_loss(best);
	if (st->moved_ms && now_ms < st->moved_ms + p->hold_down_ms) {
		out->outcome = SD_HELD;
		return;
	}
	if (recent_count(recent, now_ms) >= p->max_moves) {
		out->outcome = SD_LIMITED;
		return;
	}
	out->outcome = SD_MOVED;
	recent_add(recent, now_ms);
	/* back to BGP's own choice: the override goes */
	if (!strcmp(best->provider, st->bgp)) {
		st->cur[0] = 0;
		out->reason = best_why;
	} else {
		snprintf(st->cur, sizeof(st->cur), "%s", best->provider);
	}
	st->since_ms = now_ms;
	st->moved_ms = now_ms;
	st->cand[0] = 0;
	st->streak = 0;
	st->reason = out->reason;
	st->rtt_from_us = out->rtt_from_us;
	st->rtt_to_us = out->rtt_to_us;
	st->loss_from = out->loss_from;
	st->loss_to = out->loss_to;
}

int steer_provider_down(struct sd_prefix *st, const char *provider, uint64_t now_ms, struct sd_decision *out)
{
	memset(out, 0, sizeof(*out));
	if (!st->cur[0] || strcmp(st->cur, provider))
		return 0;
	out->outcome = SD_MOVED;
	out->reason = SD_DOWN;
	snprintf(out->from, sizeof(out->from), "%s", provider);
	snprintf(out->to, sizeof(out->to), "%s", st->bgp);
	st->cur[0] = 0;
	st->since_ms = now_ms;
	st->cand[0] = 0;
	st->streak = 0;
	st->reason = SD_DOWN;
	return 1;
}
