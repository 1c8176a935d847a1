/* Provider failure state machine (failover.h). */
#include "switch/failover.h"
#include <stdio.h>
#include <string.h>

static const char *const names[] = { "down", "ok", "failed", "held-down", "recovering", "drained" };

const char *fo_state_str(enum fo_state s)
{
	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

void fo_init(struct fo_provider *f, uint64_t now_ms)
{
	memset(f, 0, sizeof(*f));
	f->state = FO_DOWN;
	f->since_ms = now_ms;
	snprintf(f->reason, sizeof(f->reason), "not seen up yet");
}

int fo_substituted(const struct fo_provider *f)
{
	return f->state == FO_FAILED || f->state == FO_HELD || f->state == FO_RECOVERING || f->state == FO_DRAINED;
}

static void enter(struct fo_provider *f, enum fo_state s, uint64_t now_ms)
{
	f->state = s;
	f->since_ms = now_ms;
}

/* A failure, first or repeated: the hold-down doubles when failures come
 * close together (flapping), and starts over after a quiet spell. */
static void grow_hold(struct fo_provider *f, const struct cfg_provider *c, uint64_t now_ms)
{
	uint64_t cap = (uint64_t)c->hold_down_ms * FO_HOLD_MAX_FACTOR;
	if (f->last_fail_ms && now_ms - f->last_fail_ms < 4ull * f->hold_ms && f->hold_ms)
		f->hold_ms = (unsigned)(2ull * f->hold_ms > cap ? cap : 2ull * f->hold_ms);
	else
		f->hold_ms = c->hold_down_ms;
	f->last_fail_ms = now_ms;
}

static enum fo_action fail(struct fo_provider *f, const struct cfg_provider *c, uint64_t now_ms, const char *why)
{
	f->failovers++;
	grow_hold(f, c, now_ms);
	snprintf(f->reason, sizeof(f->reason), "%s", why);
	enter(f, FO_FAILED, now_ms);
	return c->nbird ? FO_BIRD_DISABLE : FO_NONE;
}

/* Lost again while holding down or recovering: still substituted, so not
 * a new failover; the hold-down grows. */
static void flap(struct fo_provider *f, const struct cfg_provider *c, uint64_t now_ms)
{
	f->flaps++;
	grow_hold(f, c, now_ms);
	snprintf(f->reason, sizeof(f->reason), "link or neighbor lost again (flapping)");
	enter(f, FO_FAILED, now_ms);
}

enum fo_action fo_step(struct fo_provider *f, const struct cfg_provider *c, const struct fo_obs *o, uint64_t now_ms)
{
	char why[96];
	int bgp_ok = !c->nbird || (o->bgp_known && o->bgp_up);
	/* without BIRD sessions or a backup there is nothing to fail over to
	 * or to damp: the provider follows its link, as published before */
	if (!c->nbird && !c->backup[0] && f->state != FO_DRAINED) {
		enum fo_state want = o->link_up ? FO_OK : FO_DOWN;
		if (f->state != want) {
			enter(f, want, now_ms);
			snprintf(f->reason, sizeof(f->reason), "%s", o->link_up ? "" : "link or neighbor down");
		}
		return FO_NONE;
	}
	switch (f->state) {
	case FO_DOWN:
		if (o->link_up) {
			enter(f, FO_OK, now_ms);
			f->bgp_seen_up = c->nbird && bgp_ok;
			f->reason[0] = 0;
		}
		return FO_NONE;
	case FO_OK:
		if (c->nbird && bgp_ok)
			f->bgp_seen_up = 1;
		if (!o->link_up)
			return fail(f, c, now_ms, "link or neighbor down");
		/* a session that never came up since start is not a failure */
		if (c->nbird && f->bgp_seen_up && o->bgp_known && !o->bgp_up) {
			snprintf(why, sizeof(why), "BGP session %s down", o->bgp_down ? o->bgp_down : "?");
			return fail(f, c, now_ms, why);
		}
		return FO_NONE;
	case FO_FAILED:
		if (o->link_up) {
			f->hold_until_ms = now_ms + f->hold_ms;
			enter(f, FO_HELD, now_ms);
		}
		return FO_NONE;
	case FO_HELD:
		if (!o->link_up) {
			flap(f, c, now_ms);
			return FO_NONE;
		}
		if (now_ms < f->hold_until_ms)
			return FO_NONE;
		f->bgp_seen_up = 0;
		if (!c->nbird) {
			f->recoveries++;
			f->reason[0] = 0;
			enter(f, FO_OK, now_ms);
			return FO_NONE;
		}
		snprintf(f->reason, sizeof(f->reason), "hold-down over: waiting for BGP");
		enter(f, FO_RECOVERING, now_ms);
		return FO_BIRD_ENABLE;
	case FO_RECOVERING:
		if (!o->link_up) {
			flap(f, c, now_ms);
			return c->nbird ? FO_BIRD_DISABLE : FO_NONE;
		}
		if (bgp_ok) {
			f->recoveries++;
			f->bgp_seen_up = 1;
			f->reason[0] = 0;
			enter(f, FO_OK, now_ms);
		}
		return FO_NONE;
	case FO_DRAINED:
		return FO_NONE;
	}
	return FO_NONE;
}

enum fo_action fo_drain(struct fo_provider *f, const char *who, uint64_t now_ms)
{
	if (f->state == FO_DRAINED)
		return FO_NONE;
	snprintf(f->reason, sizeof(f->reason), "drained by %s", who);
	enter(f, FO_DRAINED, now_ms);
	return FO_BIRD_DISABLE;
}

enum fo_action fo_undrain(struct fo_provider *f, const struct cfg_provider *c, uint64_t now_ms)
{
	if (f->state != FO_DRAINED)
		return FO_NONE;
	f->bgp_seen_up = 0;
	snprintf(f->reason, sizeof(f->reason), "undrained: waiting for BGP");
	enter(f, FO_RECOVERING, now_ms);
	return c->nbird ? FO_BIRD_ENABLE : FO_NONE;
}

uint64_t fo_next_ms(const struct fo_provider *f)
{
	return f->state == FO_HELD ? f->hold_until_ms : UINT64_MAX;
}

void fo_publish(const struct cfg_switch *cfg, const struct fo_provider *fo, const struct ol_provider *obs, size_t i,
		struct ol_provider *out, int *via)
{
	*out = obs[i];
	*via = -1;
	if (!fo_substituted(&fo[i]))
		return;
	for (unsigned k = 0; k < out->naddrs; k++)
		out->addrs[k].up = 0;
	/* the chain has no cycle (config validation); bounded all the same */
	int j = cfg->providers[i].backup_idx;
	for (unsigned steps = 0; j >= 0 && steps <= cfg->nproviders; steps++) {
		if (fo[j].state == FO_OK && provider_up(&obs[j]))
			break;
		j = cfg->providers[j].backup_idx;
	}
	if (j < 0 || fo[j].state != FO_OK)
		return;
	*via = j;
	provider_substitute(out, &obs[j]);
	snprintf(out->via, sizeof(out->via), "%s", cfg->providers[j].name);
}
