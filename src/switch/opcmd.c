/* The operator's commands on the switch (provctl.h, proto/opapi.h):
 * drain and undrain, announce and withdraw (through BIRD's include file,
 * checked and loaded by BIRD in steps), the list of announcements, and
 * the replies. Each is logged with who asked and kept in the state file.
 * Part of provctl (provctl_int.h); purges are purge.c's. */
#include "switch/provctl_int.h"
#include "proto/json.h"
#include "base/control.h"
#include "base/file.h"
#include "base/log.h"
#include "base/loop.h"
#include "proto/api.h"
#include "switch/birdconf.h"
#include "switch/failover.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the include file ---- */

static int save(struct provctl *pc, const struct ann_state *st)
{
	if (!pc->c->sw.bird_include[0])
		return 0;
	char *text = ann_render(pc->c, st);
	if (!text)
		return -ENOMEM;
	int r = file_replace(pc->c->sw.bird_include, text, birdconf_mode(pc->c));
	if (r)
		log_err("cannot write %s: %s", pc->c->sw.bird_include, strerror(-r));
	free(text);
	return r;
}

/* ---- operator commands ---- */

char *reply_error(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* the message quotes the request; JSON strings must be UTF-8, and a
	 * refused jpack() left the client without a reply (found by
	 * fuzzing): anything but printable ASCII is shown as '?' */
	for (char *c = msg; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
			*c = '?';
	json_t *j = jpack("{s:i, s:s}", "api", API_VERSION, "error", msg);
	char *s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return s;
}

char *reply_ok(json_t *j)
{
	jset(&j, "api", json_integer(API_VERSION));
	jset(&j, "ok", json_true());
	char *s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return s;
}

static char *cmd_drain(struct provctl *pc, const char *name, int on, const char *who)
{
	int i = provctl_index(pc, name);
	if (i < 0)
		return reply_error("no provider '%s'", name);
	const struct cfg_provider *cp = &pc->c->sw.providers[i];
	enum fo_action a;
	char by[96];
	snprintf(by, sizeof(by), "the operator (%s)", who);
	if (on) {
		if (pc->fo[i].state == FO_DRAINED)
			return reply_ok(jpack("{s:s, s:s}", "provider", name, "state", "drained"));
		a = fo_drain(&pc->fo[i], by, now_ms());
	} else {
		if (pc->fo[i].state != FO_DRAINED)
			return reply_error("provider '%s' is not drained (it is %s)", name, fo_state_str(pc->fo[i].state));
		a = fo_undrain(&pc->fo[i], cp, now_ms());
	}
	ann_set_drained(pc->st->ann, name, on, (int64_t)time(NULL), who);
	swstate_save(pc->st);
	log_info("provider %s %s by %s", name, on ? "drained" : "undrained", who);
	if (a != FO_NONE)
		provctl_bird_set(pc, (size_t)i, a == FO_BIRD_ENABLE);
	pc->changed(pc->arg);
	json_t *j = jpack("{s:s, s:s}", "provider", name, "state", fo_state_str(pc->fo[i].state));
	if (cp->nbird && !bird_up(pc->bird))
		jset(&j, "warning", json_string("BIRD is not reachable: its sessions follow when it is"));
	return reply_ok(j);
}

void provctl_op_end(struct provctl *pc, char *reply)
{
	struct op *op = pc->op;
	control_finish(op->handle, reply);
	free(op->next);
	free(op->old_text);
	free(op);
	pc->op = NULL;
}

static void op_fail(struct provctl *pc, const char *what, const char *text)
{
	struct op *op = pc->op;
	/* put the file back as it was; BIRD still runs the old one */
	if (op->old_text)
		file_replace(pc->c->sw.bird_include, op->old_text, birdconf_mode(pc->c));
	else
		save(pc, pc->st->ann);
	char msg[800];
	snprintf(msg, sizeof(msg), "%s", text);
	size_t l = strlen(msg);
	while (l && msg[l - 1] == '\n')
		msg[--l] = 0;
	char a[ADDR_STRLEN];
	log_warn("%s %s/%u via %s by %s refused: %s: %s", op->withdraw ? "withdraw" : "announce",
		 addr_str(&op->a.prefix.addr, a, sizeof(a)), op->a.prefix.len, op->a.provider, op->who, what, msg);
	provctl_op_end(pc, reply_error("%s: %s; nothing changed", what, msg));
}

static void op_configured(void *arg, int ok, const char *text)
{
	struct provctl *pc = arg;
	struct op *op = pc->op;
	if (ok != 1) {
		op_fail(pc, "BIRD configure failed", text);
		return;
	}
	struct ann_state *t = pc->st->ann;
	pc->st->ann = op->next;
	op->next = t;
	swstate_save(pc->st);
	char a[ADDR_STRLEN];
	char comm[ANN_COMM_MAX * 34], med[24] = "none";
	ann_comm_str(&op->a, comm, sizeof(comm));
	if (op->a.has_med)
		snprintf(med, sizeof(med), "%lu", op->a.med);
	if (op->withdraw)
		log_info("withdrew %s/%u via %s by %s", addr_str(&op->a.prefix.addr, a, sizeof(a)), op->a.prefix.len,
			 op->a.provider, op->who);
	else
		log_info("announced %s/%u via %s (prepend %u, MED %s%s, communities %s) by %s",
			 addr_str(&op->a.prefix.addr, a, sizeof(a)), op->a.prefix.len, op->a.provider, op->a.prepend, med,
			 op->a.no_export ? ", NO_EXPORT" : "", comm[0] ? comm : "none", op->who);
	json_t *j = jpack("{s:s, s:s, s:i}", "prefix", "", "provider", op->a.provider, "prepend", (int)op->a.prepend);
	char p[ADDR_STRLEN + 5];
	snprintf(p, sizeof(p), "%s/%u", a, op->a.prefix.len);
	jset(&j, "prefix", json_string(p));
	provctl_op_end(pc, reply_ok(j));
}

static void op_checked(void *arg, int ok, const char *text)
{
	struct provctl *pc = arg;
	if (ok != 1) {
		op_fail(pc, "BIRD rejected the configuration", text);
		return;
	}
	bird_cmd(pc->bird, "configure", op_configured, pc);
}

static void op_write_and_check(struct provctl *pc)
{
	struct op *op = pc->op;
	op->old_text = file_read(pc->c->sw.bird_include);
	int r = save(pc, op->next);
	if (r) {
		provctl_op_end(pc, reply_error("cannot write %s: %s; nothing changed", pc->c->sw.bird_include, strerror(-r)));
		return;
	}
	bird_cmd(pc->bird, "configure check", op_checked, pc);
}

static void op_asn(void *arg, int ok, const char *text)
{
	struct provctl *pc = arg;
	struct op *op = pc->op;
	unsigned long asn = ok == 1 ? bird_parse_local_as(text) : 0;
	if (!asn) {
		provctl_op_end(pc, reply_error("cannot learn the local AS from BIRD (show protocols all %s): %s",
				       pc->c->sw.providers[provctl_index(pc, op->a.provider)].bird[0], ok == 1 ? "no 'Local AS'" : text));
		return;
	}
	op->a.asn = asn;
	ann_add(op->next, &op->a);
	op_write_and_check(pc);
}

static char *cmd_announce(struct provctl *pc, const char *prefix, const char *name, unsigned prepend, int withdraw,
			  const struct announcement *opts, const char *who)
{
	int i = provctl_index(pc, name);
	struct cfg_prefix pfx;
	if (cfg_prefix_parse(prefix, &pfx))
		return reply_error("bad prefix '%s' (ADDR/LEN with the host bits zero)", prefix);
	/* only what the POP owns; a withdraw of what is announced always goes
	 * (one made before own-prefix was set is kept until withdrawn) */
	const char *refusal = withdraw ? NULL : cfg_own_prefix_refusal(&pc->c->sw, &pfx);
	if (refusal) {
		log_warn("announce %s via %s by %s refused: %s", prefix, name, who, refusal);
		return reply_error("%s: %s; nothing changed", prefix, refusal);
	}
	if (i < 0)
		return reply_error("no provider '%s'", name);
	if (!pc->c->sw.providers[i].nbird)
		return reply_error("provider '%s' has no bird-protocol in the config", name);
	if (!pc->c->sw.bird_include[0])
		return reply_error("no 'bird-include' in [switch]: onlink has no file to announce through");
	if (prepend > ANN_PREPEND_MAX)
		return reply_error("prepend: at most %d", ANN_PREPEND_MAX);
	if (!bird_up(pc->bird))
		return reply_error("BIRD is not reachable at %s", pc->c->sw.bird_socket);
	if (pc->op || pc->configuring)
		return reply_error("%s is in progress; try again", pc->op ? "another announce or withdraw" :
				   "BIRD's configure with the include file of the agent's start");
	struct op *op = calloc(1, sizeof(*op));
	if (!op || !(op->next = malloc(sizeof(*op->next)))) {
		free(op);
		return reply_error("out of memory");
	}
	*op->next = *pc->st->ann;
	op->withdraw = withdraw;
	if (opts)
		op->a = *opts; /* MED, NO_EXPORT, communities */
	op->a.since = (int64_t)time(NULL);
	op->a.prefix = pfx;
	snprintf(op->a.provider, sizeof(op->a.provider), "%s", name);
	op->a.prepend = prepend;
	snprintf(op->who, sizeof(op->who), "%s", who);
	snprintf(op->a.by, sizeof(op->a.by), "%s", who);
	if (withdraw && ann_del(op->next, &pfx, name)) {
		free(op->next);
		free(op);
		return reply_error("%s is not announced via %s", prefix, name);
	}
	if (!withdraw && op->next->n == ANN_MAX) {
		free(op->next);
		free(op);
		return reply_error("at most %d announcements", ANN_MAX);
	}
	op->handle = control_defer();
	pc->op = op;
	if (!withdraw && prepend) {
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "show protocols all %s", pc->c->sw.providers[i].bird[0]);
		bird_cmd(pc->bird, cmd, op_asn, pc);
	} else {
		if (!withdraw)
			ann_add(op->next, &op->a);
		op_write_and_check(pc);
	}
	return NULL;
}

char *provctl_op(struct provctl *pc, const struct opapi_request *rq, const char *who)
{
	char err[200];
	struct announcement opts = { 0 };
	switch (rq->kind) {
	case OP_DRAIN:
	case OP_UNDRAIN:
		return cmd_drain(pc, rq->provider, rq->kind == OP_DRAIN, who);
	case OP_ANNOUNCE:
		opts.has_med = rq->has_med;
		opts.med = rq->med;
		opts.no_export = rq->no_export;
		for (unsigned k = 0; k < rq->ncomm; k++) {
			char opt[16 + OPAPI_COMM_LEN];
			snprintf(opt, sizeof(opt), "community=%s", rq->communities[k]);
			if (ann_option(&opts, opt, err, sizeof(err)))
				return reply_error("%s; nothing changed", err);
		}
		return cmd_announce(pc, rq->prefix, rq->provider, rq->prepend, 0, &opts, who);
	case OP_WITHDRAW:
		return cmd_announce(pc, rq->prefix, rq->provider, 0, 1, NULL, who);
	case OP_PURGE:
		return purge_command(pc, rq->provider, rq->soft, rq->timeout_s, who);
	case OP_ANNOUNCEMENTS:
		return reply_ok(jpack("{s:o}", "announcements", provctl_announcements_json(pc)));
	case OP_STATUS:
	case OP_SUBSCRIBE:
	case OP_EGRESS_MOVE:
		break; /* the agent's own (switch/status.c) */
	}
	return reply_error("unknown request");
}

json_t *provctl_announcements_json(const struct provctl *pc)
{
	json_t *anns = json_array();
	char a[ADDR_STRLEN], p[ADDR_STRLEN + 5];
	for (size_t i = 0; i < pc->st->ann->n; i++) {
		const struct announcement *x = &pc->st->ann->a[i];
		snprintf(p, sizeof(p), "%s/%u", addr_str(&x->prefix.addr, a, sizeof(a)), x->prefix.len);
		char comm[ANN_COMM_MAX * 34];
		ann_comm_str(x, comm, sizeof(comm));
		json_t *cs = json_array();
		for (char *c = comm[0] ? strtok(comm, ",") : NULL; c; c = strtok(NULL, ","))
			jappend(&cs, json_string(c));
		json_t *aj = jpack("{s:s, s:s, s:i, s:o, s:b, s:o, s:I}", "prefix", p, "provider", x->provider, "prepend",
				       (int)x->prepend, "med", x->has_med ? json_integer((json_int_t)x->med) : json_null(),
				       "no_export", x->no_export, "communities", cs, "since", (json_int_t)x->since);
		jset(&aj, "by", json_string(x->by));
		/* made before own-prefix said otherwise: kept until withdrawn, said */
		const char *why = cfg_own_prefix_refusal(&pc->c->sw, &x->prefix);
		if (why)
			jset(&aj, "outside_own_prefix", json_string(why));
		jappend(&anns, aj);
	}
	return anns;
}

