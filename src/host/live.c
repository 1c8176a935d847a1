/* A switch's liveness as the host sees it (live.h). */
#include "host/live.h"
#include <stdio.h>

const char *live_state_str(enum live_state s)
{
	switch (s) {
	case LIVE_UP: return "forwarding";
	case LIVE_DEAD: return "dead";
	default: return "held-down";
	}
}

void live_init(struct live *l, uint64_t now_ms)
{
	*l = (struct live){ .state = LIVE_UP, .since_ms = now_ms };
}

static void enter(struct live *l, enum live_state s, uint64_t now_ms)
{
	l->state = s;
	l->since_ms = now_ms;
}

int live_step(struct live *l, const struct live_cfg *c, int carrier, uint64_t last_answer_ms, const char *reported_by,
	      uint64_t now_ms)
{
	char why[64] = "";
	enum live_state before = l->state;
	if (c->carrier_counts && carrier == 0)
		snprintf(why, sizeof(why), "uplink carrier lost");
	else if (reported_by)
		snprintf(why, sizeof(why), "%s lost its peer link to it", reported_by);
	else if (c->probing && now_ms > last_answer_ms && now_ms - last_answer_ms > c->dead_after_ms)
		snprintf(why, sizeof(why), "no echo answered for %llu ms", (unsigned long long)(now_ms - last_answer_ms));
	switch (l->state) {
	case LIVE_UP:
		if (why[0]) {
			l->deaths++;
			snprintf(l->why, sizeof(l->why), "%s", why);
			enter(l, LIVE_DEAD, now_ms);
		}
		break;
	case LIVE_DEAD:
		if (why[0])
			break;
		l->good_since_ms = now_ms;
		snprintf(l->why, sizeof(l->why), "back; hold-down %u ms", c->hold_down_ms);
		enter(l, LIVE_HELD, now_ms);
		/* a hold-down of 0 ends at once */
		__attribute__((fallthrough));
	case LIVE_HELD:
		if (why[0]) {
			l->flaps++;
			snprintf(l->why, sizeof(l->why), "%s (flapping)", why);
			enter(l, LIVE_DEAD, now_ms);
		} else if (now_ms - l->good_since_ms >= c->hold_down_ms) {
			l->why[0] = 0;
			enter(l, LIVE_UP, now_ms);
		}
		break;
	}
	return l->state != before;
}

uint64_t live_next_ms(const struct live *l, const struct live_cfg *c, uint64_t last_answer_ms)
{
	if (l->state == LIVE_HELD)
		return l->good_since_ms + c->hold_down_ms;
	if (l->state == LIVE_UP && c->probing)
		return last_answer_ms + c->dead_after_ms + 1;
	return UINT64_MAX;
}
