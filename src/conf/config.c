/* Config parsing with inih. inih's handler gets no line numbers and its
 * line buffer is fixed (200 bytes in Debian's build), so a custom reader
 * reads whole lines of any length, counts them, refuses NUL bytes, strips
 * inline "#" comments and leading blanks (which also turns off inih's
 * multi-line continuation), and hands inih one line per line read: a
 * comment as an empty line, and a key line too long for inih's buffer as
 * an empty line after calling the handler itself. */
#include "conf/config.h"
#include "conf/parse.h"
#include "conf/schema.h"
#include "base/log.h"
#include "base/vec.h"
#include "kernel/link.h"
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void fail(struct parse *p, int line, const char *fmt, ...)
{
	va_list ap;
	size_t n;
	if (p->failed)
		return;
	p->failed = 1;
	n = (size_t)snprintf(p->c->err, sizeof(p->c->err), "%s:%d: ", p->c->path, line);
	if (n >= sizeof(p->c->err))
		return;
	char msg[sizeof(p->c->err)];
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* a quoted bad value is shown, never its control bytes */
	str_escape_ctl(p->c->err + n, sizeof(p->c->err) - n, msg);
}

int cfg_ifname_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= IFNAMSIZ || !strcmp(s, ".") || !strcmp(s, ".."))
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f || strchr("/:\"\\*?", *s))
			return 0;
	return 1;
}

/* The first control byte in s (below 0x20, or DEL), or 0. */
static int control_byte(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return (unsigned char)*s;
	return 0;
}

/* inih's split of "name = value" ('=' or ':', blanks trimmed), for a line
 * too long for its buffer */
static int handler(void *user, const char *section, const char *name, const char *value);
static int on_section(struct parse *p, const char *section);

static void long_line(struct parse *p, char *s)
{
	char *sep = s + strcspn(s, "=:"), *e;
	if (!*sep) {
		fail(p, p->line, "syntax error (expected '[section]' or 'key = value')");
		return;
	}
	for (e = sep; e > s && (e[-1] == ' ' || e[-1] == '\t'); e--)
		;
	*e = 0;
	char *v = sep + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	for (e = v + strlen(v); e > v && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'); e--)
		;
	*e = 0;
	handler(p, p->section, s, v);
}

static char *reader(char *str, int num, void *stream)
{
	struct parse *p = stream;
	ssize_t n = getline(&p->lbuf, &p->lcap, p->f);
	char *s, *q;
	if (n < 0)
		return NULL;
	p->line++;
	strcpy(str, "\n"); /* what inih sees of a line it need not parse */
	if (p->failed)
		return str;
	if (memchr(p->lbuf, 0, (size_t)n)) {
		fail(p, p->line, "a NUL byte in the line");
		return str;
	}
	/* inline comments: " ;" and " #" */
	for (q = p->lbuf; *q; q++)
		if ((*q == '#' || *q == ';') && q > p->lbuf && (q[-1] == ' ' || q[-1] == '\t')) {
			q[0] = '\n';
			q[1] = 0;
			break;
		}
	for (s = p->lbuf; *s == ' ' || *s == '\t'; s++)
		;
	if (*s == '#' || *s == ';' || *s == '\n' || *s == '\r' || !*s)
		return str; /* a comment or a blank line, however long */
	if (s[0] == '[') {
		/* inih reports sections only through the keys under them; to see
		 * a section (even an empty one) as it starts, it is handed to
		 * on_section here */
		char *close = strchr(s, ']');
		if (close) {
			size_t k = (size_t)(close - s - 1);
			if (k >= sizeof(p->section))
				k = sizeof(p->section) - 1;
			memcpy(p->section, s + 1, k);
			p->section[k] = 0;
			p->nseen = 0;
			on_section(p, p->section);
		} else {
			fail(p, p->line, "syntax error (a section header with no ']')");
			return str;
		}
	}
	if (strlen(s) + 1 < (size_t)num) {
		strcpy(str, s);
		return str;
	}
	if (s[0] == '[')
		fail(p, p->line, "syntax error (a section header of %zu characters)", strlen(s));
	else
		long_line(p, s);
	return str;
}

int parse_uint(const char *v, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	errno = 0;
	if (!*v || *v == '-' || *v == '+')
		return -EINVAL;
	unsigned long x = strtoul(v, &end, 10);
	if (errno || *end || x < min || x > max)
		return -ERANGE;
	*out = x;
	return 0;
}

int cfg_prefix_parse(const char *v, struct cfg_prefix *out)
{
	char buf[ADDR_STRLEN + 4];
	const char *slash = strchr(v, '/');
	unsigned long len;
	if (!slash || (size_t)(slash - v) >= ADDR_STRLEN || parse_uint(slash + 1, 0, 128, &len))
		return -1;
	memcpy(buf, v, (size_t)(slash - v));
	buf[slash - v] = 0;
	if (addr_parse(buf, &out->addr) || len > (out->addr.family == AF_INET ? 32u : 128u))
		return -1;
	out->len = (uint8_t)len;
	/* host bits must be zero: 100.64.0.1/10 is a typo, not a prefix */
	return addr_host_bits_zero(&out->addr, out->len) ? 0 : -1;
}

/* "[provider NAME]" -> kind "provider", arg "NAME" */
static int split_section(const char *section, char *kind, size_t kcap, const char **arg)
{
	const char *sp = strchr(section, ' ');
	size_t n = sp ? (size_t)(sp - section) : strlen(section);
	if (n >= kcap)
		return -1;
	memcpy(kind, section, n);
	kind[n] = 0;
	*arg = NULL;
	if (sp) {
		while (*sp == ' ')
			sp++;
		*arg = sp;
	}
	return 0;
}

static int on_section(struct parse *p, const char *section)
{
	struct config *c = p->c;
	char kind[32];
	const char *arg;

	if (split_section(section, kind, sizeof(kind), &arg)) {
		fail(p, p->line, "unknown section '[%s]'", section);
		return 0;
	}
	if (!strcmp(kind, "switch") && !arg) {
		if (p->seen_switch++ || p->seen_host || p->seen_egressd) {
			fail(p, p->line, "section '[switch]' repeated or mixed with '[host]'");
			return 0;
		}
		c->role = ROLE_SWITCH;
		p->sec = CS_SWITCH;
		p->obj = c;
	} else if (!strcmp(kind, "host") && !arg) {
		if (p->seen_host++ || p->seen_switch || p->seen_egressd) {
			fail(p, p->line, "section '[host]' repeated or mixed with '[switch]'");
			return 0;
		}
		c->role = ROLE_HOST;
		p->sec = CS_HOST;
		p->obj = c;
	} else if (!strcmp(kind, "egress") && !arg) {
		if (p->seen_egressd++ || p->seen_switch || p->seen_host) {
			fail(p, p->line, "section '[egress]' repeated or mixed with '[switch]' or '[host]'");
			return 0;
		}
		c->role = ROLE_EGRESS;
		p->sec = CS_EGRESSD;
		p->obj = c;
	} else if (!strcmp(kind, "egress") && arg) {
		struct ol_addr ea;
		if (addr_parse(arg, &ea)) {
			fail(p, p->line, "section '[%s]': bad address '%s'", section, arg);
			return 0;
		}
		for (unsigned i = 0; i < c->sw.negress; i++)
			if (!addr_cmp(&c->sw.egress[i].e.addr, &ea)) {
				fail(p, p->line, "egress address '%s' defined twice (first at line %d)", arg, c->sw.egress[i].line);
				return 0;
			}
		if (c->sw.negress == CFG_EGRESS_MAX) {
			fail(p, p->line, "at most %d egress addresses", CFG_EGRESS_MAX);
			return 0;
		}
		if (vec_reserve_((void **)&c->sw.egress, &c->sw.capegress, c->sw.negress + 1, sizeof(*c->sw.egress))) {
			fail(p, p->line, "out of memory");
			return 0;
		}
		struct cfg_egress *ce = &c->sw.egress[c->sw.negress++];
		memset(ce, 0, sizeof(*ce));
		ce->e.addr = ea;
		ce->line = p->line;
		p->sec = CS_EGRESS;
		p->obj = ce;
	} else if (!strcmp(kind, "egress-pool") && arg) {
		return on_pool_section(p, arg);
	} else if (!strcmp(kind, "host") && arg) {
		return on_host_section(p, section, arg);
	} else if (!strcmp(kind, "probe") && !arg) {
		return on_probe_section(p);
	} else if (!strcmp(kind, "repath") && !arg) {
		return on_repath_section(p);
	} else if (!strcmp(kind, "steer") && !arg) {
		return on_steer_section(p);
	} else if ((!strcmp(kind, "provider") || !strcmp(kind, "switch")) && arg) {
		if (!name_valid(arg)) {
			fail(p, p->line, "section '[%s]': bad name '%s'", section, arg);
			return 0;
		}
		if (!strcmp(kind, "provider")) {
			for (unsigned i = 0; i < c->sw.nproviders; i++)
				if (!strcmp(c->sw.providers[i].name, arg)) {
					fail(p, p->line, "provider '%s' defined twice (first at line %d)", arg, c->sw.providers[i].line);
					return 0;
				}
			if (c->sw.nproviders == CFG_PROVIDERS_MAX) {
				fail(p, p->line, "at most %d providers", CFG_PROVIDERS_MAX);
				return 0;
			}
			if (vec_reserve_((void **)&c->sw.providers, &c->sw.capproviders, c->sw.nproviders + 1, sizeof(*c->sw.providers))) {
				fail(p, p->line, "out of memory");
				return 0;
			}
			struct cfg_provider *pr = &c->sw.providers[c->sw.nproviders++];
			memset(pr, 0, sizeof(*pr));
			strcpy(pr->name, arg);
			pr->line = p->line;
			pr->backup_idx = -1;
			cfg_defaults(CS_PROVIDER, pr);
			p->sec = CS_PROVIDER;
			p->obj = pr;
		} else {
			for (unsigned i = 0; i < c->host.nswitches; i++)
				if (!strcmp(c->host.switches[i].name, arg)) {
					fail(p, p->line, "switch '%s' defined twice (first at line %d)", arg, c->host.switches[i].line);
					return 0;
				}
			if (c->host.nswitches == CFG_SWITCHES_MAX) {
				fail(p, p->line, "at most %d switches", CFG_SWITCHES_MAX);
				return 0;
			}
			struct cfg_switchref *s = &c->host.switches[c->host.nswitches++];
			memset(s, 0, sizeof(*s));
			strcpy(s->name, arg);
			s->line = p->line;
			cfg_defaults(CS_SWITCHREF, s);
			p->sec = CS_SWITCHREF;
			p->obj = s;
		}
	} else {
		fail(p, p->line, "unknown section '[%s]'", section);
		p->sec = ~0u;
		return 0;
	}
	return 1;
}

/* A key line: looked up in the schema (conf/schema.c) for the section it
 * is in. A key that is not repeatable there, given twice, is an error, not
 * "the last one wins". */
static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;

	if (p->failed)
		return 0;
	if (!p->sec) {
		fail(p, p->line, "key '%s' outside any section", name);
		return 0;
	}
	if (p->sec == ~0u) {
		fail(p, p->line, "key '%s' in an unknown section '[%s]'", name, section);
		return 0;
	}
	int ctl = control_byte(value);
	if (ctl || control_byte(name)) {
		/* they would reach BIRD's file, a port's alias, the log and the
		 * operator's terminal */
		fail(p, p->line, "%s: a control byte (0x%02x) in the %s: refused", name, ctl ? ctl : control_byte(name),
		     ctl ? "value" : "key");
		return 0;
	}
	if (config_obsolete_key(p, name))
		return 0;
	const struct cfg_key *k = cfg_key_find(p->sec, name);
	if (!k) {
		fail(p, p->line, "unknown key '%s' in [%s]", name, section);
		return 0;
	}
	if (!(k->flags & CK_REPEATABLE)) {
		for (int i = 0; i < p->nseen; i++)
			if (!strcmp(p->seen[i].name, name)) {
				fail(p, p->line, "'%s' given twice in [%s] (first on line %d)", name, section, p->seen[i].line);
				return 0;
			}
		if (p->nseen < SEEN_MAX && strlen(name) < sizeof(p->seen[0].name)) {
			strcpy(p->seen[p->nseen].name, name);
			p->seen[p->nseen++].line = p->line;
		}
	}
	return !cfg_key_parse(p, p->obj, k, value);
}

/* The first required key the object lacks, as "LABEL: missing 'KEY'" at
 * line; 0 when it has them all. */
static int check_required(struct parse *p, unsigned section, const void *obj, int line, const char *label)
{
	size_t n;
	const struct cfg_key *t = cfg_schema(&n);
	for (size_t i = 0; i < n && !p->failed; i++)
		if ((t[i].sections & section) && (t[i].flags & CK_REQUIRED) && !(t[i].flags & CK_CHECKED_LATE) &&
		    !cfg_key_is_set(obj, &t[i])) {
			fail(p, line, "%s: missing '%s'", label, t[i].key);
			return -1;
		}
	return 0;
}


/* bird-protocol needs bird-socket and is unique; a backup is not the
 * provider itself, and following this switch's backups never comes back
 * round (a backup it does not own is left to the hosts). */
static void validate_failover(struct parse *p)
{
	struct config *c = p->c;
	for (unsigned i = 0; i < c->sw.nproviders && !p->failed; i++) {
		struct cfg_provider *a = &c->sw.providers[i];
		a->backup_idx = -1;
		if (a->nbird && !c->sw.bird_socket[0])
			fail(p, a->line, "[provider %s]: bird-protocol needs 'bird-socket' in [switch]", a->name);
		for (unsigned k = 0; k < a->nbird && !p->failed; k++)
			for (unsigned j = 0; j <= i && !p->failed; j++)
				for (unsigned l = 0; l < (j == i ? k : c->sw.providers[j].nbird) && !p->failed; l++)
					if (!strcmp(a->bird[k], c->sw.providers[j].bird[l]))
						fail(p, a->line, "[provider %s]: BIRD protocol '%s' already belongs to provider '%s'",
						     a->name, a->bird[k], c->sw.providers[j].name);
		if (!a->backup[0] || p->failed)
			continue;
		for (unsigned j = 0; j < c->sw.nproviders; j++)
			if (!strcmp(c->sw.providers[j].name, a->backup))
				a->backup_idx = (int)j;
		/* a name this switch does not own is another switch agent's
		 * provider: the hosts resolve it (switchd warns) */
		if (a->backup_idx >= 0 && (unsigned)a->backup_idx == i)
			fail(p, a->backup_line, "backup: provider '%s' cannot back itself up", a->name);
	}
	for (unsigned i = 0; i < c->sw.nproviders && !p->failed; i++) {
		/* at most nproviders steps without a cycle */
		int j = c->sw.providers[i].backup_idx;
		for (unsigned steps = 0; j >= 0 && !p->failed; steps++, j = c->sw.providers[j].backup_idx)
			if ((unsigned)j == i || steps > c->sw.nproviders)
				fail(p, c->sw.providers[i].backup_line, "backup: provider '%s' is its own backup through '%s' (a cycle)",
				     c->sw.providers[i].name, c->sw.providers[i].backup);
	}
}

static void validate_switch(struct parse *p)
{
	struct config *c = p->c;
	check_required(p, CS_SWITCH, c, p->line, "[switch]");
	if (c->host.nswitches)
		fail(p, c->host.switches[0].line, "[switch %s] belongs in a host's config", c->host.switches[0].name);
	if (!p->failed && c->sw.fast_path.len && !c->sw.fast_path_if[0])
		fail(p, c->sw.fast_path_line, "fast-path: needs 'fast-path-interface' (the hosts' segment)");
	if (!p->failed && !c->sw.fast_path.len && c->sw.fast_path_if[0])
		fail(p, c->sw.fast_path_line, "fast-path-interface: no 'fast-path' to send on it");
	if (!p->failed && c->sw.peer_link[0] && !c->sw.peer_switch[0])
		fail(p, c->sw.peer_link_line, "peer-link: needs 'peer-switch' (the switch agent across it)");
	if (!p->failed && !c->sw.peer_link[0] && c->sw.peer_switch[0])
		fail(p, c->sw.peer_switch_line, "peer-switch: needs 'peer-link' (the link to it)");
	if (!p->failed && c->sw.peer_switch[0] && !strcmp(c->sw.peer_switch, c->name))
		fail(p, c->sw.peer_switch_line, "peer-switch: '%s' is this switch agent's own name", c->name);
	for (unsigned i = 0; i < c->sw.nhosts && !p->failed; i++) {
		char label[OL_NAME_MAX + 16];
		snprintf(label, sizeof(label), "[host %s]", c->sw.hosts[i].name);
		check_required(p, CS_HOSTKEY, &c->sw.hosts[i], c->sw.hosts[i].line, label);
	}
	config_validate_egress(p);
	config_validate_pools(p);
	for (unsigned i = 0; i < c->sw.nproviders && !p->failed; i++) {
		struct cfg_provider *a = &c->sw.providers[i];
		char label[OL_NAME_MAX + 16];
		snprintf(label, sizeof(label), "[provider %s]", a->name);
		check_required(p, CS_PROVIDER, a, a->line, label);
		for (unsigned j = 0; j < i && !p->failed; j++) {
			struct cfg_provider *b = &c->sw.providers[j];
			if (a->table == b->table)
				fail(p, a->line, "[provider %s]: table %u already used by provider '%s' (line %d)",
				     a->name, a->table, b->name, b->line);
			for (unsigned k = 0; k < a->naddrs && !p->failed; k++)
				for (unsigned l = 0; l < b->naddrs && !p->failed; l++)
					if (!addr_cmp(&a->addrs[k], &b->addrs[l])) {
						char s[ADDR_STRLEN];
						fail(p, a->line, "[provider %s]: address '%s' already used by provider '%s' (line %d)",
						     a->name, addr_str(&a->addrs[k], s, sizeof(s)), b->name, b->line);
					}
		}
		for (unsigned k = 0; k < a->naddrs && !p->failed; k++)
			for (unsigned l = 0; l < k && !p->failed; l++)
				if (!addr_cmp(&a->addrs[k], &a->addrs[l])) {
					char s[ADDR_STRLEN];
					fail(p, a->line, "[provider %s]: address '%s' listed twice", a->name,
					     addr_str(&a->addrs[k], s, sizeof(s)));
				}
	}
	config_validate_bgp(p);
	validate_failover(p);
}

static void validate_host(struct parse *p)
{
	struct config *c = p->c;
	if (!check_required(p, CS_HOST, c, p->line, "[host]") && !c->host.nswitches)
		fail(p, p->line, "[host]: no '[switch NAME]' section");
	if (c->sw.nproviders)
		fail(p, c->sw.providers[0].line, "[provider %s] belongs in a switch's config", c->sw.providers[0].name);
	if (c->sw.negress)
		fail(p, c->sw.egress[0].line, "[egress ...] belongs in a switch's config");
	if (c->sw.npools)
		fail(p, c->sw.pools[0].line, "[egress-pool %s] belongs in a switch's config", c->sw.pools[0].name);
	if (c->sw.nhosts)
		fail(p, c->sw.hosts[0].line, "[host %s] belongs in a switch's config", c->sw.hosts[0].name);
	for (unsigned i = 0; i < c->host.nswitches && !p->failed; i++) {
		char label[OL_NAME_MAX + 16];
		snprintf(label, sizeof(label), "[switch %s]", c->host.switches[i].name);
		check_required(p, CS_SWITCHREF, &c->host.switches[i], c->host.switches[i].line, label);
	}
	snprintf(c->host.provider_peer, sizeof(c->host.provider_peer), "%sp", c->host.provider_dev);
	for (unsigned i = 0; i < c->host.nswitches && !p->failed; i++) {
		const struct cfg_switchref *s = &c->host.switches[i];
		const char *up = cfg_switch_uplink(&c->host, s);
		if (strcmp(up, c->host.ifname))
			c->host.multi_uplink = 1;
		if (s->probe_interval_ms && s->probe_interval_ms < 10)
			fail(p, s->line, "[switch %s]: probe-interval: at least 10ms, or 0 for none", s->name);
		else if (s->probe_interval_ms && s->dead_after_ms < 2 * s->probe_interval_ms)
			fail(p, s->line, "[switch %s]: dead-after (%ums) must be at least two probe intervals (%ums)", s->name,
			     s->dead_after_ms, 2 * s->probe_interval_ms);
		for (unsigned j = 0; j < i && !p->failed; j++) {
			const struct cfg_switchref *o = &c->host.switches[j];
			if (!strcmp(up, cfg_switch_uplink(&c->host, o)) && !strcmp(s->connect.text, o->connect.text))
				fail(p, s->line, "[switch %s]: the same interface (%s) and connect (%s) as [switch %s] on line %d",
				     s->name, up, s->connect.text, o->name, o->line);
		}
		if (!strcmp(up, c->host.provider_dev) || !strcmp(up, c->host.provider_peer))
			fail(p, s->line, "[switch %s]: interface %s is the provider device's (provider-device)", s->name, up);
	}
}

int config_check_system(struct config *c)
{
	for (unsigned i = 0; c->role == ROLE_HOST && i < c->host.nswitches; i++) {
		const struct cfg_switchref *s = &c->host.switches[i];
		if (s->ifname[0] && !link_index(s->ifname)) {
			snprintf(c->err, sizeof(c->err), "%s:%d: interface: '%s' does not exist (onlinkd would wait for it)",
				 c->path, s->ifname_line, s->ifname);
			return -1;
		}
	}
	return 0;
}

void config_warn_system(const struct config *c, FILE *f)
{
	/* interfaces the agent would wait for: worth a word, not a refusal
	 * (a check may run before the links are made) */
	char path[4 * sizeof(c->path)];
	str_escape_ctl(path, sizeof(path), c->path);
	if (c->role == ROLE_HOST && !c->host.multi_uplink && !link_index(c->host.ifname))
		fprintf(f, "%s: warning: [host] interface '%s' does not exist here (onlinkd would wait for it)\n", path,
			c->host.ifname);
	/* an admin down of the interface removes its IPv6 addresses: the
	 * source of the routes through the providers, until put back */
	char k[96], v[8] = "";
	snprintf(k, sizeof(k), "/proc/sys/net/ipv6/conf/%s/keep_addr_on_down", c->host.ifname);
	FILE *kf = c->role == ROLE_HOST && c->host.local6.family ? fopen(k, "r") : NULL;
	if (kf && fgets(v, sizeof(v), kf) && atoi(v) <= 0)
		fprintf(f, "%s: warning: net.ipv6.conf.%s.keep_addr_on_down is %d: an admin down of %s removes this host's "
			"IPv6 address, and its IPv6 routes through the providers wait until it is back (1 keeps it)\n",
			path, c->host.ifname, atoi(v), c->host.ifname);
	if (kf)
		fclose(kf);
	for (unsigned i = 0; c->role == ROLE_SWITCH && i < c->sw.nproviders; i++) {
		const struct cfg_provider *p = &c->sw.providers[i];
		if (!link_index(p->ifname))
			fprintf(f, "%s:%d: warning: [provider %s] interface '%s' does not exist here (onlinkd would wait for it)\n",
				path, p->line, p->name, p->ifname);
		if (p->port[0] && !link_index(p->port))
			fprintf(f, "%s:%d: warning: [provider %s] port '%s' does not exist here\n", path, p->line, p->name,
				p->port);
	}
}

const char *cfg_switch_uplink(const struct cfg_host *h, const struct cfg_switchref *s)
{
	return s->ifname[0] ? s->ifname : h->ifname;
}

int config_load(const char *path, struct config *c)
{
	struct parse p = { .c = c };
	int r;

	memset(c, 0, sizeof(*c));
	snprintf(c->path, sizeof(c->path), "%s", path);
	/* the role is not known yet: the defaults of every role's keys */
	cfg_defaults(CS_SWITCH | CS_HOST | CS_EGRESSD, c);
	p.f = fopen(path, "re");
	if (!p.f) {
		snprintf(c->err, sizeof(c->err), "%s:0: cannot read: %s", path, strerror(errno));
		return -1;
	}
	r = ini_parse_stream(reader, &p, handler, &p);
	fclose(p.f);
	free(p.lbuf);
	if (r > 0 && !p.failed)
		fail(&p, r, "syntax error (expected '[section]' or 'key = value')");
	if (r < 0 && !p.failed)
		fail(&p, 0, "out of memory");
	if (p.failed)
		goto refused;
	p.line = p.line ? p.line : 1;
	switch (c->role) {
	case ROLE_SWITCH: validate_switch(&p); break;
	case ROLE_HOST: validate_host(&p); break;
	case ROLE_EGRESS:
		check_required(&p, CS_EGRESSD, c, p.line, "[egress]");
		if (c->sw.nproviders || c->host.nswitches || c->sw.negress || c->sw.npools)
			fail(&p, p.line, "[egress] stands alone in the egress daemon's config");
		break;
	default: fail(&p, 1, "no '[switch]' or '[host]' section"); break;
	}
	if (!p.failed)
		config_validate_probe(&p);
	if (!p.failed)
		config_validate_steer(&p);
	for (unsigned i = 0; i < c->sw.nlisten && c->metrics.len && !p.failed; i++)
		if (endpoint_clash(&c->metrics.ss, &c->sw.listen[i].ss))
			fail(&p, c->metrics.line, "metrics: '%s' clashes with 'listen = %s' on line %d", c->metrics.text,
			     c->sw.listen[i].text, c->sw.listen[i].line);
	if (!p.failed && c->role == ROLE_EGRESS) {
		/* no key: it talks only to the local host agent's control socket */
		if (!c->control[0])
			snprintf(c->control, sizeof(c->control), "/run/onlink/egress.sock");
		return 0;
	}
	if (!p.failed)
		config_load_keys(&p);
	if (!p.failed && !c->control[0])
		snprintf(c->control, sizeof(c->control), "/run/onlink/%s.sock", c->role == ROLE_SWITCH ? "switch" : "host");
	if (!p.failed)
		return 0;
refused:
	/* nothing of a refused config stays allocated (found by fuzzing);
	 * c->err keeps the message */
	config_free(c);
	return -1;
}

void config_free(struct config *c)
{
	free(c->sw.providers);
	c->sw.providers = NULL;
	c->sw.nproviders = 0;
	c->sw.capproviders = 0;
	free(c->sw.hosts);
	c->sw.hosts = NULL;
	c->sw.nhosts = 0;
	c->sw.caphosts = 0;
	free(c->sw.egress);
	c->sw.egress = NULL;
	c->sw.negress = 0;
	c->sw.capegress = 0;
	config_free_pools(c);
	config_free_steer(c);
	free(c->host.probe);
	c->host.probe = NULL;
	c->host.nprobe = 0;
	c->host.capprobe = 0;
	free(c->host.repath_providers);
	c->host.repath_providers = NULL;
	c->host.nrepath_providers = 0;
	c->host.caprepath_providers = 0;
	sodium_memzero(c->priv, sizeof(c->priv));
}

int config_same(const struct config *a, const struct config *b)
{
	char *ta = NULL, *tb = NULL;
	size_t la = 0, lb = 0;
	FILE *fa = open_memstream(&ta, &la), *fb = open_memstream(&tb, &lb);
	if (fa)
		config_print(a, fa), fclose(fa);
	if (fb)
		config_print(b, fb), fclose(fb);
	int same = fa && fb && la == lb && !memcmp(ta, tb, la) && !sodium_memcmp(a->priv, b->priv, sizeof(a->priv));
	free(ta);
	free(tb);
	return same;
}

void config_print(const struct config *c, FILE *f)
{
	char s[ADDR_STRLEN];
	fprintf(f, "%s\n", c->role == ROLE_EGRESS ? "[egress]" : c->role == ROLE_SWITCH ? "[switch]" : "[host]");
	cfg_print_section(f, c->role == ROLE_EGRESS ? CS_EGRESSD : c->role == ROLE_SWITCH ? CS_SWITCH : CS_HOST, c);
	for (unsigned i = 0; i < c->sw.nproviders; i++) {
		fprintf(f, "\n[provider %s]\n", c->sw.providers[i].name);
		cfg_print_section(f, CS_PROVIDER, &c->sw.providers[i]);
	}
	for (unsigned i = 0; i < c->sw.negress; i++) {
		fprintf(f, "\n[egress %s]\n", addr_str(&c->sw.egress[i].e.addr, s, sizeof(s)));
		cfg_print_section(f, CS_EGRESS, &c->sw.egress[i]);
	}
	for (unsigned i = 0; i < c->sw.npools; i++) {
		fprintf(f, "\n[egress-pool %s]\n", c->sw.pools[i].name);
		cfg_print_section(f, CS_POOL, &c->sw.pools[i]);
	}
	for (unsigned i = 0; i < c->host.nswitches; i++) {
		fprintf(f, "\n[switch %s]\n", c->host.switches[i].name);
		cfg_print_section(f, CS_SWITCHREF, &c->host.switches[i]);
	}
	if (c->host.probe_line) {
		fprintf(f, "\n[probe]\n");
		cfg_print_section(f, CS_PROBE, c);
	}
	if (c->host.repath_line) {
		fprintf(f, "\n[repath]\n");
		cfg_print_section(f, CS_REPATH, c);
	}
	if (c->sw.steer.line) {
		fprintf(f, "\n[steer]\n");
		cfg_print_section(f, CS_STEER, c);
	}
	for (unsigned i = 0; i < c->sw.nhosts; i++) {
		fprintf(f, "\n[host %s]\n", c->sw.hosts[i].name);
		cfg_print_section(f, CS_HOSTKEY, &c->sw.hosts[i]);
	}
}
