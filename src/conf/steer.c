/* [steer] in a switch's config: prefixes whose provider follows the
 * hosts' probes, the targets probed for them, and the guard rails of the
 * decision (switch/steer.c, docs/steering.md). */
#include "conf/config.h"
#include "conf/parse.h"
#include "conf/schema.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int on_steer_section(struct parse *p)
{
	struct config *c = p->c;
	if (c->sw.steer.line) {
		fail(p, p->line, "section '[steer]' repeated (first at line %d)", c->sw.steer.line);
		return 0;
	}
	c->sw.steer.line = p->line;
	cfg_defaults(CS_STEER, c);
	p->sec = CS_STEER;
	p->obj = c;
	return 1;
}

int cfg_parse_steer_prefix(struct parse *p, void *obj, const struct cfg_key *k, const char *v)
{
	struct config *c = obj;
	struct cfg_steer *st = &c->sw.steer;
	struct cfg_steer_prefix e = { .line = p->line };
	if (cfg_prefix_parse(v, &e.p)) {
		fail(p, p->line, "prefix: bad prefix '%s' (ADDR/LEN, host bits zero)", v);
		return -1;
	}
	snprintf(e.text, sizeof(e.text), "%s", v);
	for (unsigned i = 0; i < st->nprefixes; i++)
		if (st->prefixes[i].p.len == e.p.len && !addr_cmp(&st->prefixes[i].p.addr, &e.p.addr)) {
			fail(p, p->line, "prefix: '%s' given twice (first at line %d)", v, st->prefixes[i].line);
			return -1;
		}
	if (cfg_list_room(p, k, (void **)&st->prefixes, &st->capprefixes, st->nprefixes, CFG_STEER_PREFIXES_MAX,
			  sizeof(*st->prefixes)))
		return -1;
	st->prefixes[st->nprefixes++] = e;
	return 0;
}

void cfg_print_steer_prefix(FILE *f, const void *obj, const struct cfg_key *k)
{
	const struct config *c = obj;
	for (unsigned i = 0; i < c->sw.steer.nprefixes; i++)
		fprintf(f, "%s = %s\n", k->key, c->sw.steer.prefixes[i].text);
}

int cfg_is_set_steer_prefix(const void *obj, const struct cfg_key *k)
{
	(void)k;
	return ((const struct config *)obj)->sw.steer.nprefixes != 0;
}

int cfg_parse_steer_target(struct parse *p, void *obj, const struct cfg_key *k, const char *v)
{
	struct config *c = obj;
	struct cfg_steer *st = &c->sw.steer;
	struct cfg_steer_target t = { .line = p->line };
	if (addr_parse(v, &t.addr) || addr_not_host(&t.addr)) {
		fail(p, p->line, "target: bad target '%s' (an IPv4 or IPv6 address)", v);
		return -1;
	}
	for (unsigned i = 0; i < st->ntargets; i++)
		if (!addr_cmp(&st->targets[i].addr, &t.addr)) {
			fail(p, p->line, "target: '%s' given twice (first at line %d)", v, st->targets[i].line);
			return -1;
		}
	if (cfg_list_room(p, k, (void **)&st->targets, &st->captargets, st->ntargets, CFG_STEER_TARGETS_MAX,
			  sizeof(*st->targets)))
		return -1;
	st->targets[st->ntargets++] = t;
	return 0;
}

void cfg_print_steer_target(FILE *f, const void *obj, const struct cfg_key *k)
{
	const struct config *c = obj;
	char a[ADDR_STRLEN];
	for (unsigned i = 0; i < c->sw.steer.ntargets; i++)
		fprintf(f, "%s = %s\n", k->key, addr_str(&c->sw.steer.targets[i].addr, a, sizeof(a)));
}

int cfg_is_set_steer_target(const void *obj, const struct cfg_key *k)
{
	(void)k;
	return ((const struct config *)obj)->sw.steer.ntargets != 0;
}

/* "10%" or "10": a whole percentage, 0 to 100 */
int cfg_parse_percent(struct parse *p, void *obj, const struct cfg_key *k, const char *v)
{
	char buf[16];
	unsigned long n;
	size_t len = strlen(v);
	if (len == 0 || len >= sizeof(buf))
		return cfg_bad(p, k, v);
	memcpy(buf, v, len + 1);
	if (buf[len - 1] == '%')
		buf[len - 1] = 0;
	if (parse_uint(buf, k->min, k->max, &n))
		return cfg_bad(p, k, v);
	*(unsigned *)((char *)obj + k->off) = (unsigned)n;
	return 0;
}

void cfg_print_percent(FILE *f, const void *obj, const struct cfg_key *k)
{
	fprintf(f, "%s = %u%%\n", k->key, *(const unsigned *)((const char *)obj + k->off));
}

/* Once the whole file is read: every target lies in a prefix (its
 * measurements are that prefix's), every prefix has a target. */
void config_validate_steer(struct parse *p)
{
	struct config *c = p->c;
	struct cfg_steer *st = &c->sw.steer;
	char a[ADDR_STRLEN];
	if (!st->line)
		return;
	if (c->role != ROLE_SWITCH) {
		fail(p, st->line, "[steer] belongs in a switch's config");
		return;
	}
	if (!st->nprefixes) {
		fail(p, st->line, "[steer]: no 'prefix'");
		return;
	}
	for (unsigned i = 0; i < st->ntargets; i++) {
		unsigned best = st->nprefixes;
		for (unsigned k = 0; k < st->nprefixes; k++)
			if (addr_in_prefix(&st->targets[i].addr, &st->prefixes[k].p.addr, st->prefixes[k].p.len) &&
			    (best == st->nprefixes || st->prefixes[k].p.len > st->prefixes[best].p.len))
				best = k;
		if (best == st->nprefixes) {
			fail(p, st->targets[i].line, "[steer]: target %s is in no steered prefix",
			     addr_str(&st->targets[i].addr, a, sizeof(a)));
			return;
		}
		st->targets[i].prefix = best;
	}
	for (unsigned k = 0; k < st->nprefixes; k++) {
		unsigned n = 0;
		for (unsigned i = 0; i < st->ntargets; i++)
			n += st->targets[i].prefix == k;
		if (!n) {
			fail(p, st->prefixes[k].line, "[steer]: prefix %s has no target to measure it",
			     st->prefixes[k].text);
			return;
		}
	}
	if (st->window_ms < 2 * st->interval_ms)
		fail(p, st->line, "[steer]: window (%ums) must hold at least two probe intervals (%ums)", st->window_ms,
		     st->interval_ms);
	else if (st->ttl_ms < 2 * st->window_ms)
		fail(p, st->line, "[steer]: ttl (%ums) must be at least two windows (%ums): overrides are renewed each window",
		     st->ttl_ms, 2 * st->window_ms);
}

void config_free_steer(struct config *c)
{
	free(c->sw.steer.prefixes);
	free(c->sw.steer.targets);
	c->sw.steer.prefixes = NULL;
	c->sw.steer.targets = NULL;
	c->sw.steer.nprefixes = c->sw.steer.ntargets = 0;
	c->sw.steer.capprefixes = c->sw.steer.captargets = 0;
}
