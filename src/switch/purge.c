/* onlink purge: a provider's BGP sessions restarted (hard) or asked to
 * send their routes again and resent ours (soft, a route refresh), through
 * BIRD; the answer waits until they are back, or a timeout. One purge at a
 * time; logged with who asked. */
#include "switch/provctl_int.h"
#include "proto/json.h"
#include "base/control.h"
#include "base/log.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct purge {
	unsigned handle;        /* the waiting control client */
	int idx;                /* the provider */
	int soft;
	unsigned asked, answered;
	char before[CFG_BIRD_PROTOS_MAX][64]; /* each session's "since" before */
	uint64_t deadline_ms;
	char who[64];
};

static json_t *sessions(const struct provctl *pc, int idx)
{
	const struct cfg_provider *cp = &pc->c->sw.providers[idx];
	json_t *a = json_array();
	for (unsigned k = 0; k < cp->nbird; k++) {
		const struct bproto *b = &pc->p[idx].b[k];
		jappend(&a, jpack("{s:s, s:s, s:s, s:s}", "protocol", cp->bird[k], "state",
						   b->seen ? b->state : "unknown", "info", b->info, "since", b->since));
	}
	return a;
}

static void finish(struct provctl *pc, char *reply)
{
	struct purge *pg = pc->purge;
	control_finish(pg->handle, reply);
	free(pg);
	pc->purge = NULL;
	pc->st->purge.active = 0;
	swstate_save(pc->st);
}

static void done(struct provctl *pc, int timed_out)
{
	struct purge *pg = pc->purge;
	const char *name = pc->c->sw.providers[pg->idx].name;
	log_info("provider %s: %s purge by %s: %s", name, pg->soft ? "soft" : "hard", pg->who,
		 timed_out ? "its sessions were not all back in time" : "its sessions are back");
	json_t *j = jpack("{s:s, s:s, s:b, s:o}", "provider", name, "kind", pg->soft ? "soft" : "hard", "back",
			      !timed_out, "sessions", sessions(pc, pg->idx));
	finish(pc, reply_ok(j));
}

static void answered(void *arg, int ok, const char *text)
{
	struct provctl *pc = arg;
	struct purge *pg = pc->purge;
	if (!pg)
		return;
	if (ok != 1) {
		char msg[300];
		snprintf(msg, sizeof(msg), "%s", text);
		msg[strcspn(msg, "\n")] = 0;
		log_warn("provider %s: purge by %s: BIRD refused: %s", pc->c->sw.providers[pg->idx].name, pg->who, msg);
		finish(pc, reply_error("BIRD refused: %s", msg));
		return;
	}
	pg->answered++;
}

/* Back: every session established again, and (hard) with a "since" of
 * after the purge. */
void purge_polled(struct provctl *pc)
{
	struct purge *pg = pc->purge;
	if (!pg || pg->answered < pg->asked)
		return;
	const struct cfg_provider *cp = &pc->c->sw.providers[pg->idx];
	int back = 1;
	for (unsigned k = 0; k < cp->nbird; k++) {
		const struct bproto *b = &pc->p[pg->idx].b[k];
		if (!b->seen || strcmp(b->info, "Established") || (!pg->soft && !strcmp(b->since, pg->before[k])))
			back = 0;
	}
	if (back || now_ms() >= pg->deadline_ms)
		done(pc, !back);
}

char *purge_command(struct provctl *pc, const char *name, int soft, unsigned timeout_s, const char *who)
{
	int i = provctl_index(pc, name);
	if (i < 0)
		return reply_error("no provider '%s'", name);
	const struct cfg_provider *cp = &pc->c->sw.providers[i];
	if (!cp->nbird)
		return reply_error("provider '%s' has no BGP sessions in BIRD for onlink to purge ('bird-protocol' in its "
				   "[provider] section)", name);
	if (!bird_up(pc->bird))
		return reply_error("BIRD is not reachable at %s", pc->c->sw.bird_socket);
	if (pc->fo[i].state == FO_DRAINED || pc->fo[i].state == FO_FAILED || pc->fo[i].state == FO_HELD)
		return reply_error("provider '%s' is %s: its sessions are shut; nothing to purge", name,
				   fo_state_str(pc->fo[i].state));
	if (pc->purge)
		return reply_error("a purge of provider '%s' is in progress; try again", pc->c->sw.providers[pc->purge->idx].name);
	struct purge *pg = calloc(1, sizeof(*pg));
	if (!pg)
		return reply_error("out of memory");
	pg->idx = i;
	pg->soft = soft;
	pg->deadline_ms = now_ms() + timeout_s * 1000ull;
	snprintf(pg->who, sizeof(pg->who), "%s", who);
	for (unsigned k = 0; k < cp->nbird; k++)
		snprintf(pg->before[k], sizeof(pg->before[k]), "%s", pc->p[i].b[k].since);
	pg->handle = control_defer();
	pc->purge = pg;
	/* in the state file while it runs: an agent that dies meanwhile says
	 * so when it starts again */
	struct swstate_purge *sp = &pc->st->purge;
	*sp = (struct swstate_purge){ .active = 1, .soft = soft, .since = (int64_t)time(NULL) };
	snprintf(sp->provider, sizeof(sp->provider), "%s", name);
	snprintf(sp->by, sizeof(sp->by), "%s", who);
	swstate_save(pc->st);
	log_info("provider %s: %s purge of its BGP sessions (%s) by %s", name, soft ? "soft" : "hard",
		 soft ? "route refresh" : "restart", who);
	for (unsigned k = 0; k < cp->nbird; k++) {
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "%s %s", soft ? "reload" : "restart", cp->bird[k]);
		pg->asked++;
		bird_cmd(pc->bird, cmd, answered, pc);
	}
	if (!soft)
		provctl_restarting(pc, (size_t)i);
	return NULL;
}

void purge_interrupted(struct provctl *pc)
{
	struct swstate_purge *sp = &pc->st->purge;
	if (!sp->active)
		return;
	log_warn("a %s purge of provider %s by %s was under way when the agent stopped: its sessions are as BIRD says "
		 "(onlink status)", sp->soft ? "soft" : "hard", sp->provider, sp->by);
	pc->interrupted = *sp;
	sp->active = 0;
	swstate_save(pc->st);
}

void purge_stop(struct provctl *pc)
{
	if (pc->purge)
		finish(pc, reply_error("the switch agent is stopping"));
}
