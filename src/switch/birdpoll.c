/* The BIRD poller (provctl_int.h): asks BIRD for its protocols every
 * bird-poll, records each provider session's state for the failover loop
 * (provctl.c), and keeps BIRD's enable state following onlink's wish
 * whoever changed it (a restart of either, a command lost with the
 * connection). */
#include "switch/provctl_int.h"
#include "base/log.h"
#include <stdio.h>
#include <string.h>

#define FIX_INTERVAL_MS 5000
#define BIRD_ANSWER_MS 10000

static struct ratelimit rl_bird = RATELIMIT_INIT(10000, 10);

static void bird_done(void *arg, int ok, const char *text)
{
	const char *what = arg;
	if (ok != 1)
		log_limited(&rl_bird, LOG_WARNING, "BIRD: %s: %s", what, text);
}

void provctl_bird_set(struct provctl *pc, size_t i, int enable)
{
	const struct cfg_provider *cp = &pc->c->sw.providers[i];
	struct pstate *ps = &pc->p[i];
	char cmd[256];
	if (!bird_up(pc->bird))
		return;
	for (unsigned k = 0; k < cp->nbird; k++) {
		if (enable)
			snprintf(cmd, sizeof(cmd), "enable %s", cp->bird[k]);
		else
			snprintf(cmd, sizeof(cmd), "disable %s \"onlink: %s\"", cp->bird[k], pc->fo[i].reason);
		log_info("BIRD: %s", cmd);
		bird_cmd(pc->bird, cmd, bird_done, enable ? "enable" : "disable");
		/* until the next poll says otherwise */
		snprintf(ps->b[k].state, sizeof(ps->b[k].state), "%s", enable ? "start" : "down");
		snprintf(ps->b[k].info, sizeof(ps->b[k].info), "%s", enable ? "(enabled by onlink)" : "(disabled by onlink)");
	}
}

void provctl_restarting(struct provctl *pc, size_t i)
{
	/* what the last poll said is from before the restart */
	for (unsigned k = 0; k < pc->c->sw.providers[i].nbird; k++)
		pc->p[i].b[k].seen = 0;
	pc->p[i].restarting_until_ms = now_ms() + RESTART_GRACE_MS;
}

/* Whether a BIRD protocol is disabled or on its way there: "flush" lasts
 * while BIRD removes the routes of a full table. */
static int bird_off(const char *state)
{
	return !strcmp(state, "down") || !strcmp(state, "flush") || !strcmp(state, "stop");
}

/* Whether onlink wants the provider's BIRD sessions shut: failed, held
 * down, drained. Recovering and OK providers have them enabled. */
static int want_disabled(const struct fo_provider *f)
{
	return f->state == FO_FAILED || f->state == FO_HELD || f->state == FO_DRAINED;
}

static void proto_row(void *arg, const char *name, const char *state, const char *since, const char *info)
{
	struct provctl *pc = arg;
	for (unsigned i = 0; i < pc->c->sw.nproviders; i++)
		for (unsigned k = 0; k < pc->c->sw.providers[i].nbird; k++)
			if (!strcmp(pc->c->sw.providers[i].bird[k], name)) {
				struct bproto *b = &pc->p[i].b[k];
				snprintf(b->state, sizeof(b->state), "%s", state);
				snprintf(b->info, sizeof(b->info), "%s", info);
				snprintf(b->since, sizeof(b->since), "%s", since);
				b->seen = 1;
			}
}

static void polled(void *arg, int ok, const char *text)
{
	struct provctl *pc = arg;
	pc->polling = 0;
	for (unsigned i = 0; i < pc->c->sw.nproviders; i++)
		for (unsigned k = 0; k < pc->c->sw.providers[i].nbird; k++)
			pc->p[i].b[k].seen = 0;
	pc->bird_known = ok == 1;
	if (ok == 1) {
		bird_parse_protocols(text, proto_row, pc);
		if (pc->need_configure)
			birdsync_configure(pc);
		/* BIRD's enable state follows onlink's wish, whoever changed it
		 * (a restart of either, a command lost with a connection) */
		uint64_t now = now_ms();
		for (unsigned i = 0; i < pc->c->sw.nproviders; i++) {
			const struct cfg_provider *cp = &pc->c->sw.providers[i];
			int off = want_disabled(&pc->fo[i]), fix = 0;
			for (unsigned k = 0; k < cp->nbird; k++) {
				const struct bproto *b = &pc->p[i].b[k];
				/* to enable: only once it is all the way down */
				if (b->seen && (off ? !bird_off(b->state) : !strcmp(b->state, "down")))
					fix = 1;
			}
			/* a BIRD that will not follow is asked again, not flooded */
			if (fix && now - pc->p[i].fixed_ms >= FIX_INTERVAL_MS) {
				pc->p[i].fixed_ms = now;
				provctl_bird_set(pc, i, !off);
			}
		}
	}
	purge_polled(pc);
	pc->changed(pc->arg);
}

static void poll_fire(struct timer *t)
{
	struct provctl *pc = t->arg;
	purge_polled(pc); /* its timeout, even while BIRD is away */
	/* a BIRD that takes a command and never answers is dropped; the
	 * reconnect starts over */
	bird_expire(pc->bird, BIRD_ANSWER_MS);
	bird_kick(pc->bird);
	if (!bird_up(pc->bird)) {
		if (pc->bird_known) {
			pc->bird_known = 0;
			pc->changed(pc->arg);
		}
		return;
	}
	/* one poll at a time; a slow BIRD is not asked again meanwhile */
	if (!pc->polling && bird_pending(pc->bird) < 8) {
		pc->polling = 1;
		bird_cmd(pc->bird, "show protocols", polled, pc);
	}
}

int birdpoll_start(struct provctl *pc)
{
	const struct config *c = pc->c;
	if (!c->sw.bird_socket[0])
		return 0;
	int r = bird_open(&pc->bird, c->sw.bird_socket);
	if (r)
		return r;
	if ((r = timer_init(&pc->poll, poll_fire, pc))) {
		bird_close(pc->bird);
		pc->bird = NULL;
		return r;
	}
	timer_arm(&pc->poll, 10, c->sw.bird_poll_ms);
	return 0;
}

void birdpoll_stop(struct provctl *pc)
{
	if (!pc->bird)
		return;
	timer_fini(&pc->poll);
	bird_close(pc->bird);
	pc->bird = NULL;
}
