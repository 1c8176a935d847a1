/* The failover loop on the switch (provctl.h): each provider's state from
 * its link and its BIRD sessions (failover.c decides), what the hosts are
 * told, the hold-down timer; with its status and metrics. BIRD is polled
 * and kept following in birdpoll.c, operator commands are opcmd.c's,
 * purges purge.c's. */
#include "switch/provctl.h"
#include "proto/json.h"
#include "base/file.h"
#include "base/control.h"
#include "base/log.h"
#include "base/loop.h"
#include "base/metrics.h"
#include "switch/announce.h"
#include "switch/bird.h"
#include "switch/birdconf.h"
#include "switch/failover.h"
#include "switch/provctl_int.h"
#include "proto/api.h"
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void schedule_hold(struct provctl *pc);

int provctl_index(const struct provctl *pc, const char *name)
{
	for (unsigned i = 0; i < pc->c->sw.nproviders; i++)
		if (!strcmp(pc->c->sw.providers[i].name, name))
			return (int)i;
	return -1;
}

/* ---- the state machine ---- */

static void hold_fire(struct timer *t)
{
	struct provctl *pc = t->arg;
	pc->changed(pc->arg);
}

static void schedule_hold(struct provctl *pc)
{
	uint64_t next = UINT64_MAX;
	for (unsigned i = 0; i < pc->c->sw.nproviders; i++) {
		uint64_t n = fo_next_ms(&pc->fo[i]);
		if (n < next)
			next = n;
	}
	if (next == UINT64_MAX)
		timer_stop(&pc->hold);
	else
		timer_arm(&pc->hold, next > pc->now ? next - pc->now : 1, 0);
}

void provctl_evaluate(struct provctl *pc, const struct ol_provider *obs, struct ol_provider *out, uint64_t now)
{
	pc->now = now;
	for (unsigned i = 0; i < pc->c->sw.nproviders; i++) {
		const struct cfg_provider *cp = &pc->c->sw.providers[i];
		struct pstate *ps = &pc->p[i];
		struct fo_obs o = { .link_up = provider_up(&obs[i]), .bgp_known = pc->bird_known && bird_up(pc->bird) };
		o.bgp_up = 1;
		for (unsigned k = 0; k < cp->nbird; k++) {
			if (!ps->b[k].seen)
				o.bgp_known = 0;
			else if (strcmp(ps->b[k].state, "up") && o.bgp_up) {
				o.bgp_up = 0;
				o.bgp_down = cp->bird[k];
			}
		}
		if (ps->restarting_until_ms) {
			if ((o.bgp_known && o.bgp_up) || now >= ps->restarting_until_ms) {
				log_info("provider %s: its BGP sessions %s after onlink restarted them", cp->name,
					 o.bgp_known && o.bgp_up ? "are up again" : "are judged again (60 s)");
				ps->restarting_until_ms = 0;
			} else {
				o.bgp_known = 0;
			}
		}
		enum fo_state before = pc->fo[i].state;
		unsigned long flaps = pc->fo[i].flaps;
		enum fo_action a = fo_step(&pc->fo[i], cp, &o, now);
		if (pc->fo[i].state != before || pc->fo[i].flaps != flaps) {
			if (pc->fo[i].state == FO_FAILED && before == FO_OK)
				log_warn("provider %s failed: %s; hold-down %u ms", cp->name, pc->fo[i].reason, pc->fo[i].hold_ms);
			else if (pc->fo[i].state == FO_FAILED)
				log_warn("provider %s %s; hold-down now %u ms", cp->name, pc->fo[i].reason, pc->fo[i].hold_ms);
			else if (pc->fo[i].state == FO_OK && before != FO_DOWN)
				log_info("provider %s recovered (%s before)", cp->name, fo_state_str(before));
			else
				log_info("provider %s: %s -> %s", cp->name, fo_state_str(before), fo_state_str(pc->fo[i].state));
		}
		if (a != FO_NONE) {
			provctl_bird_set(pc, i, a == FO_BIRD_ENABLE);
			ps->fixed_ms = now;
		}
	}
	for (unsigned i = 0; i < pc->c->sw.nproviders; i++) {
		int via;
		fo_publish(&pc->c->sw, pc->fo, obs, i, &out[i], &via);
		if (via != pc->p[i].via) {
			if (via >= 0)
				log_warn("provider %s: hosts send its traffic to %s's MAC", pc->c->sw.providers[i].name,
					 pc->c->sw.providers[via].name);
			else if (fo_substituted(&pc->fo[i]))
				log_warn("provider %s: no backup available, published down", pc->c->sw.providers[i].name);
			pc->p[i].via = via;
		}
	}
	schedule_hold(pc);
}

/* ---- status ---- */

json_t *provctl_provider_json(const struct provctl *pc, size_t i, uint64_t now)
{
	const struct pstate *ps = &pc->p[i];
	const struct cfg_provider *cp = &pc->c->sw.providers[i];
	json_t *b = json_array();
	for (unsigned k = 0; k < cp->nbird; k++)
		jappend(&b, jpack("{s:s, s:s, s:s}", "protocol", cp->bird[k], "state",
						   ps->b[k].seen ? ps->b[k].state : "unknown", "info", ps->b[k].info));
	json_t *j = jpack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:o}", "state", fo_state_str(pc->fo[i].state), "reason",
			      pc->fo[i].reason, "for_ms", (json_int_t)(now - pc->fo[i].since_ms), "hold_down_ms",
			      (json_int_t)(pc->fo[i].hold_ms ? pc->fo[i].hold_ms : cp->hold_down_ms), "failovers",
			      (json_int_t)pc->fo[i].failovers, "recoveries", (json_int_t)pc->fo[i].recoveries, "flaps",
			      (json_int_t)pc->fo[i].flaps, "bird", b);
	jset(&j, "backup", cp->backup[0] ? json_string(cp->backup) : json_null());
	jset(&j, "via", ps->via >= 0 ? json_string(pc->c->sw.providers[ps->via].name) : json_null());
	if (pc->fo[i].state == FO_HELD)
		jset(&j, "hold_remaining_ms",
				    json_integer((json_int_t)(pc->fo[i].hold_until_ms > now ? pc->fo[i].hold_until_ms - now : 0)));
	return j;
}

json_t *provctl_json(const struct provctl *pc)
{
	json_t *anns = provctl_announcements_json(pc);
	json_t *drained = json_array();
	for (size_t i = 0; i < pc->st->ann->ndrained; i++) {
		const struct ann_drain *d = &pc->st->ann->drained[i];
		jappend(&drained, jpack("{s:s, s:I, s:s}", "provider", d->provider, "since",
							 (json_int_t)d->since, "by", d->by));
	}
	json_t *j = jpack("{s:s?, s:s?, s:b, s:o, s:o, s:s?}", "socket", pc->c->sw.bird_socket[0] ? pc->c->sw.bird_socket : NULL,
			      "include", pc->c->sw.bird_include[0] ? pc->c->sw.bird_include : NULL, "connected", bird_up(pc->bird),
			      "announcements", anns, "drained", drained,
			      "config_error", pc->config_error[0] ? pc->config_error : NULL);
	const struct swstate_purge *ip = &pc->interrupted;
	if (ip->provider[0])
		jset(&j, "purge_interrupted", jpack("{s:s, s:b, s:I, s:s}", "provider", ip->provider,
			"soft", ip->soft, "since", (json_int_t)ip->since, "by", ip->by));
	return j;
}

static const char *provider_name(const void *arg, size_t i)
{
	return ((const struct provctl *)arg)->c->sw.providers[i].name;
}

void provctl_metrics(const struct provctl *pc, FILE *f)
{
	static const struct mx_counter counters[] = {
		{ "onlink_switch_failovers_total", "Times a provider failed and its traffic moved to its backup.",
		  offsetof(struct fo_provider, failovers) },
		{ "onlink_switch_recoveries_total", "Times a failed provider took its traffic back.",
		  offsetof(struct fo_provider, recoveries) },
		{ "onlink_switch_flaps_total", "Failures of a provider within its hold-down after a recovery.",
		  offsetof(struct fo_provider, flaps) },
	};
	char l[160], st[48];
	mx_family(f, "onlink_switch_provider_state", "gauge",
		  "1 for the provider's failover state (down, ok, failed, held-down, recovering, drained).");
	for (unsigned i = 0; i < pc->c->sw.nproviders; i++)
		for (int k = FO_DOWN; k <= FO_DRAINED; k++) {
			char both[220];
			snprintf(both, sizeof(both), "%s,%s", mx_label(l, sizeof(l), "provider", pc->c->sw.providers[i].name),
				 mx_label(st, sizeof(st), "state", fo_state_str((enum fo_state)k)));
			mx_sample(f, "onlink_switch_provider_state", both, pc->fo[i].state == (enum fo_state)k);
		}
	mx_counters(f, counters, sizeof(counters) / sizeof(counters[0]), pc->fo, sizeof(*pc->fo), pc->c->sw.nproviders,
		    "provider", provider_name, pc);
	mx_family(f, "onlink_switch_bird_connected", "gauge", "1 when BIRD's control socket answers (0 without bird-socket).");
	mx_sample(f, "onlink_switch_bird_connected", "", pc->bird && bird_up(pc->bird));
	mx_family(f, "onlink_switch_bird_config_refusals_total", "counter",
		  "Times BIRD refused the include file onlink wrote at start (the previous one was put back).");
	mx_sample(f, "onlink_switch_bird_config_refusals_total", "", (double)pc->config_refusals);
	mx_family(f, "onlink_switch_announcements", "gauge", "Prefixes onlink announces through BIRD.");
	mx_sample(f, "onlink_switch_announcements", "", (double)pc->st->ann->n);
}

/* ---- life ---- */

int provctl_init(struct provctl **out, const struct config *c, struct swstate *st, void (*changed)(void *arg),
		 void *arg)
{
	struct provctl *pc = calloc(1, sizeof(*pc));
	if (!pc)
		return -ENOMEM;
	pc->c = c;
	pc->changed = changed;
	pc->arg = arg;
	pc->p = calloc(c->sw.nproviders ? c->sw.nproviders : 1, sizeof(*pc->p));
	pc->fo = calloc(c->sw.nproviders ? c->sw.nproviders : 1, sizeof(*pc->fo));
	pc->st = st;
	if (!pc->p || !pc->fo || !st->ann) {
		free(pc->p);
		free(pc->fo);
		free(pc);
		return -ENOMEM;
	}
	uint64_t now = now_ms();
	for (unsigned i = 0; i < c->sw.nproviders; i++) {
		fo_init(&pc->fo[i], now);
		pc->p[i].via = -1;
		if (c->sw.providers[i].backup[0] && c->sw.providers[i].backup_idx < 0)
			log_warn("provider %s: backup %s is not a provider of this switch agent: the hosts resolve it among "
				 "their other switch agents' providers", c->sw.providers[i].name, c->sw.providers[i].backup);
	}
	int r = timer_init(&pc->hold, hold_fire, pc);
	if (!r)
		r = birdsync_start(pc);
	purge_interrupted(pc);
	if (r) {
		provctl_free(pc);
		return r;
	}
	if ((r = birdpoll_start(pc))) {
		provctl_free(pc);
		return r;
	}
	*out = pc;
	return 0;
}

int provctl_busy(const struct provctl *pc, char *why, size_t len)
{
	if (pc->op || pc->configuring || pc->need_configure)
		snprintf(why, len, "%s is in progress", pc->op ? "an announce or withdraw" : "BIRD's configure");
	return pc->op || pc->configuring || pc->need_configure;
}

int provctl_reload(struct provctl *pc)
{
	free(pc->start_old);
	pc->start_old = NULL;
	return birdsync_render(pc, pc->c->sw.bird_include[0] ? file_read(pc->c->sw.bird_include) : NULL);
}

void provctl_free(struct provctl *pc)
{
	if (!pc)
		return;
	if (pc->op)
		provctl_op_end(pc, reply_error("the switch agent is stopping"));
	purge_stop(pc);
	birdpoll_stop(pc);
	timer_fini(&pc->hold);
	free(pc->p);
	free(pc->fo);
	free(pc->start_old);
	free(pc);
}
