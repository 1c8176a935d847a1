/* The include file at start (and after a reload, which restarts the
 * agent): what was announced and drained before comes from the state
 * file (or, once, from the "#@" lines of an older agent's file), the file is
 * written for the config now in force, and once BIRD answers it is asked
 * to check the file, then to load it. When BIRD refuses it, the previous
 * file is put back, so that BIRD's running config and the file on disk
 * stay what they were, and BIRD's own message is logged, shown in the
 * status and counted. Part of provctl (provctl_int.h). */
#include "base/file.h"
#include "base/log.h"
#include "base/loop.h"
#include "switch/birdconf.h"
#include "switch/provctl_int.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The text of "protocol bgp NAME ..." up to its closing line, or NULL. */
static const char *session_text(const char *text, const char *name, size_t *len)
{
	char head[CFG_BIRD_NAME_MAX + 16];
	snprintf(head, sizeof(head), "\nprotocol bgp %s ", name);
	const char *p = strstr(text, head), *end;
	if (!p || !(end = strstr(p, "\n}\n")))
		return NULL;
	*len = (size_t)(end - p);
	return p;
}

/* Which generated providers' sessions BIRD will restart: their text is
 * new or changed. */
static void mark_changed(struct provctl *pc, const char *old, const char *text)
{
	for (unsigned i = 0; i < pc->c->sw.nproviders; i++) {
		const struct cfg_provider *cp = &pc->c->sw.providers[i];
		for (unsigned k = 0; cp->generated && k < cp->nbird; k++) {
			size_t lo = 0, ln = 0;
			const char *o = session_text(old, cp->bird[k], &lo), *n = session_text(text, cp->bird[k], &ln);
			if (!o || !n || lo != ln || memcmp(o, n, lo))
				pc->p[i].reconfigured = 1;
		}
	}
}

/* Announcements and drains of providers no longer in the config are
 * dropped (their sessions are gone), each logged. */
static void drop_unknown(struct provctl *pc)
{
	struct ann_state *a = pc->st->ann;
	size_t n0 = a->n, d0 = a->ndrained;
	for (size_t i = a->n; i-- > 0;)
		if (provctl_index(pc, a->a[i].provider) < 0) {
			char ad[ADDR_STRLEN];
			log_warn("announcement %s/%u via %s dropped: no such provider in %s any more",
				 addr_str(&a->a[i].prefix.addr, ad, sizeof(ad)), a->a[i].prefix.len, a->a[i].provider, pc->c->path);
			a->a[i] = a->a[--a->n];
		}
	for (size_t i = a->ndrained; i-- > 0;)
		if (provctl_index(pc, a->drained[i].provider) < 0) {
			log_warn("drain of %s dropped: no such provider in %s any more", a->drained[i].provider, pc->c->path);
			a->drained[i] = a->drained[--a->ndrained];
		}
	if (a->n != n0 || a->ndrained != d0)
		swstate_save(pc->st);
}

int birdsync_start(struct provctl *pc)
{
	const struct config *c = pc->c;
	char *old = c->sw.bird_include[0] ? file_read(c->sw.bird_include) : NULL;
	/* an include of an agent before the state file holds them as "#@"
	 * lines: moved to the state file once */
	if (!pc->st->has_ops && old && ann_parse(c, old, pc->st->ann)) {
		log_info("%s: %zu announcements and %zu drained providers moved from its \"#@\" lines to the state file %s",
			 c->sw.bird_include, pc->st->ann->n, pc->st->ann->ndrained, pc->st->path[0] ? pc->st->path : "(none)");
		pc->st->has_ops = 1;
		swstate_save(pc->st);
	}
	drop_unknown(pc);
	for (size_t k = 0; k < pc->st->ann->ndrained; k++) {
		const struct ann_drain *d = &pc->st->ann->drained[k];
		char by[160];
		snprintf(by, sizeof(by), "%s (before a restart)", d->by[0] ? d->by : "the operator");
		fo_drain(&pc->fo[provctl_index(pc, d->provider)], by, now_ms());
	}
	if (!c->sw.bird_include[0]) {
		free(old);
		return 0;
	}
	return birdsync_render(pc, old);
}

int birdsync_render(struct provctl *pc, char *old)
{
	const struct config *c = pc->c;
	if (!c->sw.bird_include[0]) {
		free(old);
		return 0;
	}
	char *text = ann_render(c, pc->st->ann);
	int r = 0;
	if (text && old && !strcmp(old, text) && pc->config_error[0]) {
		/* the file BIRD runs (the one put back after its refusal) is
		 * what the config wants again */
		log_info("%s as written from %s is the file BIRD runs: its earlier refusal no longer stands",
			 c->sw.bird_include, c->path);
		pc->config_error[0] = 0;
	}
	if (!text || !old || strcmp(old, text)) {
		r = text ? file_replace(c->sw.bird_include, text, birdconf_mode(c)) : -ENOMEM;
		if (r)
			log_err("cannot write %s: %s", c->sw.bird_include, strerror(-r));
		else if (old) {
			mark_changed(pc, old, text);
			pc->need_configure = 1;
			pc->start_old = old;
			old = NULL;
		}
	}
	free(old);
	free(text);
	return r;
}

static void refused(struct provctl *pc, const char *what, const char *text)
{
	char msg[sizeof(pc->config_error) - 64];
	/* BIRD's lines, joined: one log line */
	size_t o = 0;
	for (const char *t = text; *t && o + 3 < sizeof(msg); t++) {
		if (*t != '\n')
			msg[o++] = *t;
		else if (t[1])
			msg[o++] = ';', msg[o++] = ' ';
	}
	msg[o] = 0;
	int r = pc->start_old ? file_replace(pc->c->sw.bird_include, pc->start_old, birdconf_mode(pc->c)) : -ENOENT;
	snprintf(pc->config_error, sizeof(pc->config_error), "%s: %s", what, msg);
	pc->config_refusals++;
	log_err("BIRD refused %s as written from %s (%s: %s); %s, and BIRD keeps running its previous config",
		pc->c->sw.bird_include, pc->c->path, what, msg,
		r ? "the file stays as written (no previous one to put back)" : "the previous file is back");
	pc->configuring = 0;
}

static void configured(void *arg, int ok, const char *text)
{
	struct provctl *pc = arg;
	if (ok != 1) {
		refused(pc, "configure", text);
		return;
	}
	pc->config_error[0] = 0;
	pc->configuring = 0;
	/* BIRD restarts the sessions whose config changed: not a failure */
	for (unsigned i = 0; i < pc->c->sw.nproviders; i++)
		if (pc->p[i].reconfigured) {
			pc->p[i].reconfigured = 0;
			provctl_restarting(pc, i);
		}
	log_info("BIRD: configured with %s as written from %s", pc->c->sw.bird_include, pc->c->path);
}

static void checked(void *arg, int ok, const char *text)
{
	struct provctl *pc = arg;
	if (ok != 1) {
		refused(pc, "configure check", text);
		return;
	}
	bird_cmd(pc->bird, "configure", configured, pc);
}

void birdsync_configure(struct provctl *pc)
{
	pc->need_configure = 0;
	pc->configuring = 1;
	log_info("BIRD: configure check, then configure (onlink's include file changed at start)");
	bird_cmd(pc->bird, "configure check", checked, pc);
}
