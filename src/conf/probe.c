/* [probe] in a host's config: the destinations the host agent probes
 * through every live provider, continuously (host/probing.c); and
 * [repath], which moves stalled connections to the providers those probes
 * show healthy (host/repath.c). */
#include "conf/config.h"
#include "conf/parse.h"
#include "conf/schema.h"
#include "base/vec.h"
#include "bpf/repath.h"
#include <stdio.h>
#include <string.h>

int on_probe_section(struct parse *p)
{
	struct config *c = p->c;
	if (c->host.probe_line) {
		fail(p, p->line, "section '[probe]' repeated (first at line %d)", c->host.probe_line);
		return 0;
	}
	c->host.probe_line = p->line;
	cfg_defaults(CS_PROBE, c);
	p->sec = CS_PROBE;
	p->obj = c;
	return 1;
}

/* "ADDR" (ICMP echo) or "ADDR tcp:PORT" (TCP SYN) */
int cfg_parse_probe_target(struct parse *p, void *obj, const struct cfg_key *k, const char *v)
{
	struct config *c = obj;
	struct cfg_probe_target t = { .line = p->line };
	char addr[64], port[16], extra;
	unsigned long n = 0;
	int f = sscanf(v, "%63s %15s %c", addr, port, &extra);
	(void)k;
	if (f < 1 || f > 2 || addr_parse(addr, &t.addr) || addr_not_host(&t.addr) ||
	    (f == 2 && (strncmp(port, "tcp:", 4) || parse_uint(port + 4, 1, 65535, &n)))) {
		fail(p, p->line, "target: bad target '%s' (an IPv4 or IPv6 address, optionally followed by tcp:PORT)", v);
		return -1;
	}
	t.port = (uint16_t)n;
	snprintf(t.text, sizeof(t.text), "%s", v);
	for (unsigned i = 0; i < c->host.nprobe; i++)
		if (!addr_cmp(&c->host.probe[i].addr, &t.addr) && c->host.probe[i].port == t.port) {
			fail(p, p->line, "target: '%s' given twice (first at line %d)", v, c->host.probe[i].line);
			return -1;
		}
	if (c->host.nprobe == CFG_PROBE_TARGETS_MAX) {
		fail(p, p->line, "target: at most %d targets", CFG_PROBE_TARGETS_MAX);
		return -1;
	}
	if (vec_reserve_((void **)&c->host.probe, &c->host.capprobe, c->host.nprobe + 1, sizeof(*c->host.probe))) {
		fail(p, p->line, "out of memory");
		return -1;
	}
	c->host.probe[c->host.nprobe++] = t;
	return 0;
}

void cfg_print_probe_target(FILE *f, const void *obj, const struct cfg_key *k)
{
	const struct config *c = obj;
	for (unsigned i = 0; i < c->host.nprobe; i++)
		fprintf(f, "%s = %s\n", k->key, c->host.probe[i].text);
}

int cfg_is_set_probe_target(const void *obj, const struct cfg_key *k)
{
	(void)k;
	return ((const struct config *)obj)->host.nprobe != 0;
}

int on_repath_section(struct parse *p)
{
	struct config *c = p->c;
	if (c->host.repath_line) {
		fail(p, p->line, "section '[repath]' repeated (first at line %d)", c->host.repath_line);
		return 0;
	}
	c->host.repath_line = p->line;
	cfg_defaults(CS_REPATH, c);
	p->sec = CS_REPATH;
	p->obj = c;
	return 1;
}

/* "a b c": provider names, as the switch agents publish them */
int cfg_parse_repath_providers(struct parse *p, void *obj, const struct cfg_key *k, const char *v)
{
	struct config *c = obj;
	char buf[1024], *save = NULL;
	if (strlen(v) >= sizeof(buf))
		return cfg_bad(p, k, v);
	strcpy(buf, v);
	for (char *t = strtok_r(buf, " \t,", &save); t; t = strtok_r(NULL, " \t,", &save)) {
		if (!name_valid(t)) {
			fail(p, p->line, "providers: bad provider name '%s'", t);
			return -1;
		}
		for (unsigned i = 0; i < c->host.nrepath_providers; i++)
			if (!strcmp(c->host.repath_providers[i], t)) {
				fail(p, p->line, "providers: '%s' listed twice", t);
				return -1;
			}
		if (cfg_list_room(p, k, (void **)&c->host.repath_providers, &c->host.caprepath_providers,
				  c->host.nrepath_providers, RP_CAND_MAX, sizeof(*c->host.repath_providers)))
			return -1;
		snprintf(c->host.repath_providers[c->host.nrepath_providers++], OL_NAME_MAX, "%s", t);
	}
	return 0;
}

void cfg_print_repath_providers(FILE *f, const void *obj, const struct cfg_key *k)
{
	const struct config *c = obj;
	fprintf(f, "%s =", k->key);
	for (unsigned i = 0; i < c->host.nrepath_providers; i++)
		fprintf(f, " %s", c->host.repath_providers[i]);
	fprintf(f, "\n");
}

int cfg_is_set_repath_providers(const void *obj, const struct cfg_key *k)
{
	(void)k;
	return ((const struct config *)obj)->host.nrepath_providers != 0;
}

void config_validate_probe(struct parse *p)
{
	struct config *c = p->c;
	if (c->host.repath_line && c->role != ROLE_HOST) {
		fail(p, c->host.repath_line, "[repath] belongs in a host's config");
		return;
	}
	if (c->host.repath_line && c->host.repath_cgroup[0] && c->host.repath_cgroup[0] != '/') {
		fail(p, c->host.repath_line, "[repath]: cgroup '%s' is not an absolute path", c->host.repath_cgroup);
		return;
	}
	if (!c->host.probe_line)
		return;
	if (c->role != ROLE_HOST)
		fail(p, c->host.probe_line, "[probe] belongs in a host's config");
	else if (!c->host.nprobe)
		fail(p, c->host.probe_line, "[probe]: no 'target'");
	else if (c->host.probe_timeout_ms > 10 * c->host.probe_interval_ms)
		fail(p, c->host.probe_line, "[probe]: timeout (%ums) at most 10 intervals (%ums)", c->host.probe_timeout_ms,
		     10 * c->host.probe_interval_ms);
}
