/* Config parsing with inih. inih's handler gets no line numbers and its
 * line buffer is fixed (200 bytes in Debian's build), so a custom reader
 * reads whole lines of any length, counts them, refuses NUL bytes, strips
 * inline "#" comments and leading blanks (which also turns off inih's
 * multi-line continuation), and hands inih one line per line read: a
 * comment as an empty line, and a key line too long for inih's buffer as
 * an empty line after calling the handler itself. */
#include "conf/config.h"
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SEEN_MAX 32 /* keys in one section instance, for repeats */

struct parse {
	struct config *c;
	FILE *f;
	char *lbuf;              /* the line being read (getline) */
	size_t lcap;
	char section[128];       /* the current section's header, for the handler */
	struct { char name[24]; int line; } seen[SEEN_MAX];
	int nseen;
	int line;
	int failed;
	enum { SEC_NONE, SEC_SWITCH, SEC_HOST, SEC_PROVIDER, SEC_SWITCHREF, SEC_EGRESS, SEC_EGRESSD, SEC_BAD } sec;
	int seen_switch, seen_host, seen_egressd;
	int key_line;
};

static void fail(struct parse *p, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(struct parse *p, int line, const char *fmt, ...)
{
	va_list ap;
	size_t n;
	if (p->failed)
		return;
	p->failed = 1;
	n = (size_t)snprintf(p->c->err, sizeof(p->c->err), "%s:%d: ", p->c->path, line);
	if (n >= sizeof(p->c->err))
		return;
	va_start(ap, fmt);
	vsnprintf(p->c->err + n, sizeof(p->c->err) - n, fmt, ap);
	va_end(ap);
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

static int parse_uint(const char *v, unsigned long min, unsigned long max, unsigned long *out)
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

/* "30s", "250ms", "2m", or plain seconds; into milliseconds */
static int parse_duration_ms(const char *v, unsigned long min_ms, unsigned long max_ms, unsigned long *out)
{
	char *end;
	errno = 0;
	if (!*v || *v < '0' || *v > '9')
		return -EINVAL;
	unsigned long x = strtoul(v, &end, 10), mul = 1000;
	if (errno)
		return -ERANGE;
	if (!strcmp(end, "ms"))
		mul = 1;
	else if (!strcmp(end, "m"))
		mul = 60000;
	else if (*end && strcmp(end, "s"))
		return -EINVAL;
	if (x > max_ms / mul || x * mul < min_ms || x * mul > max_ms)
		return -ERANGE;
	*out = x * mul;
	return 0;
}

/* A BIRD symbol: what `birdc disable NAME` takes without quotes */
static int bird_name_valid(const char *s)
{
	size_t n = strlen(s);
	if (!n || n >= CFG_BIRD_NAME_MAX || (*s >= '0' && *s <= '9'))
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

static int set_str(struct parse *p, char *dst, size_t cap, const char *key, const char *v)
{
	if (strlen(v) >= cap || !*v) {
		fail(p, p->line, "%s: bad value '%s'", key, v);
		return 0;
	}
	strcpy(dst, v);
	return 1;
}

static int common_key(struct parse *p, const char *name, const char *v, int *handled)
{
	struct config *c = p->c;
	unsigned long x;
	*handled = 1;
	if (!strcmp(name, "name")) {
		if (!name_valid(v)) {
			fail(p, p->line, "name: bad name '%s' (letters, digits, '.', '_', '-'; at most %d)", v, OL_NAME_MAX - 1);
			return 0;
		}
		strcpy(c->name, v);
	} else if (!strcmp(name, "key-file")) {
		p->key_line = p->line;
		return set_str(p, c->key_file, sizeof(c->key_file), name, v);
	} else if (!strcmp(name, "control")) {
		return set_str(p, c->control, sizeof(c->control), name, v);
	} else if (!strcmp(name, "metrics")) {
		if (endpoint_parse(v, &c->metrics.ss, &c->metrics.len) || strlen(v) >= sizeof(c->metrics.text)) {
			fail(p, p->line, "metrics: bad address '%s' (ADDR:PORT or [ADDR6]:PORT)", v);
			return 0;
		}
		strcpy(c->metrics.text, v);
		c->metrics.line = p->line;
	} else if (!strcmp(name, "syslog")) {
		if (strcmp(v, "yes") && strcmp(v, "no")) {
			fail(p, p->line, "syslog: bad value '%s' (yes or no)", v);
			return 0;
		}
		c->syslog = !strcmp(v, "yes");
	} else if (!strcmp(name, "keepalive")) {
		if (parse_uint(v, 1, 3600, &x)) {
			fail(p, p->line, "keepalive: bad value '%s' (seconds, 1 to 3600)", v);
			return 0;
		}
		c->keepalive = (unsigned)x;
	} else {
		*handled = 0;
	}
	return 1;
}

static int handle_switch(struct parse *p, const char *name, const char *v)
{
	struct config *c = p->c;
	int handled;
	if (!common_key(p, name, v, &handled) || handled)
		return !p->failed;
	if (!strcmp(name, "listen")) {
		if (c->nlisten == CFG_LISTEN_MAX) {
			fail(p, p->line, "listen: at most %d", CFG_LISTEN_MAX);
			return 0;
		}
		struct cfg_endpoint *e = &c->listen[c->nlisten];
		if (endpoint_parse(v, &e->ss, &e->len) || strlen(v) >= sizeof(e->text)) {
			fail(p, p->line, "listen: bad address '%s' (ADDR:PORT or [ADDR]:PORT)", v);
			return 0;
		}
		for (unsigned i = 0; i < c->nlisten; i++)
			if (endpoint_clash(&c->listen[i].ss, &e->ss)) {
				fail(p, p->line, "listen: '%s' clashes with '%s' on line %d", v, c->listen[i].text, c->listen[i].line);
				return 0;
			}
		strcpy(e->text, v);
		e->line = p->line;
		c->nlisten++;
		return 1;
	}
	if (!strcmp(name, "host")) {
		if (!name_valid(v)) {
			fail(p, p->line, "host: bad name '%s'", v);
			return 0;
		}
		for (unsigned i = 0; i < c->nhosts; i++)
			if (!strcmp(c->hosts[i], v)) {
				fail(p, p->line, "host: '%s' listed twice", v);
				return 0;
			}
		if (c->nhosts == CFG_HOSTS_MAX) {
			fail(p, p->line, "host: at most %d", CFG_HOSTS_MAX);
			return 0;
		}
		if (c->nhosts % 64 == 0) {
			void *n = realloc(c->hosts, (c->nhosts + 64) * sizeof(*c->hosts));
			if (!n) {
				fail(p, p->line, "out of memory");
				return 0;
			}
			c->hosts = n;
		}
		strcpy(c->hosts[c->nhosts++], v);
		if (!c->host_line)
			c->host_line = p->line;
		return 1;
	}
	if (!strcmp(name, "bird-socket"))
		return set_str(p, c->bird_socket, sizeof(c->bird_socket), name, v);
	if (!strcmp(name, "bird-include"))
		return set_str(p, c->bird_include, sizeof(c->bird_include), name, v);
	if (!strcmp(name, "bird-poll")) {
		unsigned long ms;
		if (parse_duration_ms(v, 10, 60000, &ms)) {
			fail(p, p->line, "bird-poll: bad duration '%s' (10ms to 60s, for example '250ms')", v);
			return 0;
		}
		c->bird_poll_ms = (unsigned)ms;
		return 1;
	}
	if (!strcmp(name, "fast-path")) {
		struct cfg_endpoint *e = &c->fast_path;
		struct ol_addr g;
		if (endpoint_parse(v, &e->ss, &e->len) || strlen(v) >= sizeof(e->text) || !endpoint_addr(&e->ss, &g) ||
		    !addr_is_multicast(&g)) {
			e->len = 0;
			fail(p, p->line, "fast-path: bad group '%s' (a multicast GROUP:PORT or [GROUP]:PORT)", v);
			return 0;
		}
		strcpy(e->text, v);
		c->fast_path_line = p->line;
		return 1;
	}
	if (!strcmp(name, "fast-path-interface")) {
		if (!c->fast_path.len)
			c->fast_path_line = p->line; /* for the error if no fast-path follows */
		return set_str(p, c->fast_path_if, sizeof(c->fast_path_if), name, v);
	}
	if (!strcmp(name, "fast-path-delay")) {
		unsigned long ms;
		if (parse_duration_ms(v, 0, 10000, &ms)) {
			fail(p, p->line, "fast-path-delay: bad duration '%s' (0 to 10s, for example '100ms')", v);
			return 0;
		}
		c->fast_path_delay_ms = (unsigned)ms;
		return 1;
	}
	fail(p, p->line, "unknown key '%s' in [switch]", name);
	return 0;
}

static int handle_host(struct parse *p, const char *name, const char *v)
{
	struct config *c = p->c;
	unsigned long x;
	int handled;
	if (!common_key(p, name, v, &handled) || handled)
		return !p->failed;
	if (!strcmp(name, "interface")) {
		return set_str(p, c->ifname, sizeof(c->ifname), name, v);
	} else if (!strcmp(name, "address")) {
		struct ol_addr a;
		if (addr_parse(v, &a)) {
			fail(p, p->line, "address: bad address '%s'", v);
			return 0;
		}
		if (addr_not_host(&a)) {
			fail(p, p->line, "address: '%s' is %s, not this host's address", v, addr_not_host(&a));
			return 0;
		}
		struct ol_addr *slot = a.family == AF_INET ? &c->local4 : &c->local6;
		if (slot->family) {
			fail(p, p->line, "address: a second %s address '%s' (one per family)",
			     a.family == AF_INET ? "IPv4" : "IPv6", v);
			return 0;
		}
		*slot = a;
	} else if (!strcmp(name, "rule-priority")) {
		if (parse_uint(v, 1, 32765, &x)) {
			fail(p, p->line, "rule-priority: bad value '%s' (1 to 32765)", v);
			return 0;
		}
		c->rule_priority = (unsigned)x;
	} else {
		fail(p, p->line, "unknown key '%s' in [host]", name);
		return 0;
	}
	return 1;
}

static int handle_provider(struct parse *p, const char *name, const char *v)
{
	struct cfg_provider *pr = &p->c->providers[p->c->nproviders - 1];
	unsigned long x;
	if (!strcmp(name, "address")) {
		struct ol_addr a;
		if (addr_parse(v, &a)) {
			fail(p, p->line, "address: bad address '%s'", v);
			return 0;
		}
		if (addr_not_host(&a)) {
			fail(p, p->line, "address: '%s' is %s, not a provider's address", v, addr_not_host(&a));
			return 0;
		}
		if (pr->naddrs == OL_PROVIDER_ADDRS_MAX) {
			fail(p, p->line, "address: at most %d per provider", OL_PROVIDER_ADDRS_MAX);
			return 0;
		}
		pr->addrs[pr->naddrs++] = a;
	} else if (!strcmp(name, "interface")) {
		return set_str(p, pr->ifname, sizeof(pr->ifname), name, v);
	} else if (!strcmp(name, "port")) {
		return set_str(p, pr->port, sizeof(pr->port), name, v);
	} else if (!strcmp(name, "table")) {
		if (parse_uint(v, 1, UINT32_MAX, &x) || x == 253 || x == 254 || x == 255) {
			fail(p, p->line, "table: bad table id '%s' (1 to 4294967295, not 253-255)", v);
			return 0;
		}
		pr->table = (uint32_t)x;
	} else if (!strcmp(name, "bird-protocol")) {
		if (!bird_name_valid(v)) {
			fail(p, p->line, "bird-protocol: bad BIRD protocol name '%s' (letters, digits, '_')", v);
			return 0;
		}
		if (pr->nbird == CFG_BIRD_PROTOS_MAX) {
			fail(p, p->line, "bird-protocol: at most %d per provider", CFG_BIRD_PROTOS_MAX);
			return 0;
		}
		strcpy(pr->bird[pr->nbird++], v);
	} else if (!strcmp(name, "backup")) {
		if (!name_valid(v)) {
			fail(p, p->line, "backup: bad provider name '%s'", v);
			return 0;
		}
		strcpy(pr->backup, v);
		pr->backup_line = p->line;
	} else if (!strcmp(name, "hold-down")) {
		if (parse_duration_ms(v, 0, 3600000, &x)) {
			fail(p, p->line, "hold-down: bad duration '%s' (0 to 1h, for example '30s')", v);
			return 0;
		}
		pr->hold_down_ms = (unsigned)x;
	} else if (!strcmp(name, "description")) {
		if (strlen(v) >= sizeof(pr->descr) || strpbrk(v, "\"\\")) {
			fail(p, p->line, "description: bad value '%s' (at most %zu characters, no '\"' or '\\')", v,
			     sizeof(pr->descr) - 1);
			return 0;
		}
		strcpy(pr->descr, v);
	} else {
		fail(p, p->line, "unknown key '%s' in [provider %s]", name, pr->name);
		return 0;
	}
	return 1;
}

static int handle_egress(struct parse *p, const char *name, const char *v)
{
	struct cfg_egress *ce = &p->c->egress[p->c->negress - 1];
	char host[OL_NAME_MAX + 1], a[ADDR_STRLEN];
	unsigned long first, last;
	char tail;
	if (strcmp(name, "slice")) {
		fail(p, p->line, "unknown key '%s' in [egress %s]", name, addr_str(&ce->e.addr, a, sizeof(a)));
		return 0;
	}
	if (sscanf(v, "%32s %lu-%lu %c", host, &first, &last, &tail) != 3 || !name_valid(host)) {
		fail(p, p->line, "slice: bad value '%s' (HOST FIRST-LAST, for example 'h1 10000-19999')", v);
		return 0;
	}
	if (first < OL_PORT_MIN || last > 65535 || first > last) {
		fail(p, p->line, "slice: bad port range '%lu-%lu' (within %d-65535, first <= last)", first, last, OL_PORT_MIN);
		return 0;
	}
	if (ce->e.nslices == OL_SLICES_MAX) {
		fail(p, p->line, "slice: at most %d per address", OL_SLICES_MAX);
		return 0;
	}
	struct ol_slice *sl = &ce->e.slices[ce->e.nslices];
	memcpy(sl->host, host, sizeof(sl->host)); /* name_valid: shorter than OL_NAME_MAX */
	sl->first = (uint16_t)first;
	sl->last = (uint16_t)last;
	ce->slice_line[ce->e.nslices++] = p->line;
	return 1;
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
	for (unsigned b = (unsigned)len; b < (out->addr.family == AF_INET ? 32u : 128u); b++)
		if (out->addr.bytes[b / 8] & (0x80 >> (b % 8)))
			return -1;
	return 0;
}

static int handle_egressd(struct parse *p, const char *name, const char *v)
{
	struct config *c = p->c;
	unsigned long x;
	int handled;
	if (!common_key(p, name, v, &handled) || handled)
		return !p->failed;
	if (!strcmp(name, "host-control"))
		return set_str(p, c->host_control, sizeof(c->host_control), name, v);
	if (!strcmp(name, "clients")) {
		if (c->nclients == CFG_CLIENTS_MAX) {
			fail(p, p->line, "clients: at most %d", CFG_CLIENTS_MAX);
			return 0;
		}
		if (cfg_prefix_parse(v, &c->clients[c->nclients])) {
			fail(p, p->line, "clients: bad prefix '%s' (ADDR/LEN, host bits zero)", v);
			return 0;
		}
		c->nclients++;
		return 1;
	}
	if (!strcmp(name, "via")) {
		if (!name_valid(v)) {
			fail(p, p->line, "via: bad provider name '%s'", v);
			return 0;
		}
		strcpy(c->via, v);
		return 1;
	}
	if (!strcmp(name, "listen-port")) {
		if (parse_uint(v, 1, 65535, &x)) {
			fail(p, p->line, "listen-port: bad value '%s'", v);
			return 0;
		}
		c->listen_port = (uint16_t)x;
		return 1;
	}
	if (!strcmp(name, "tproxy-mark") || !strcmp(name, "tproxy-table")) {
		if (parse_uint(v, 1, UINT32_MAX, &x) || (!strcmp(name, "tproxy-table") && x >= 253 && x <= 255)) {
			fail(p, p->line, "%s: bad value '%s'", name, v);
			return 0;
		}
		*(!strcmp(name, "tproxy-mark") ? &c->tproxy_mark : &c->tproxy_table) = (uint32_t)x;
		return 1;
	}
	if (!strcmp(name, "idle-timeout") || !strcmp(name, "udp-idle-timeout")) {
		if (parse_uint(v, 1, 86400, &x)) {
			fail(p, p->line, "%s: bad value '%s' (seconds)", name, v);
			return 0;
		}
		*(!strcmp(name, "idle-timeout") ? &c->idle_timeout : &c->udp_idle_timeout) = (unsigned)x;
		return 1;
	}
	fail(p, p->line, "unknown key '%s' in [egress]", name);
	return 0;
}

static int handle_switchref(struct parse *p, const char *name, const char *v)
{
	struct cfg_switchref *s = &p->c->switches[p->c->nswitches - 1];
	if (!strcmp(name, "connect")) {
		if (endpoint_parse(v, &s->connect.ss, &s->connect.len) || strlen(v) >= sizeof(s->connect.text)) {
			fail(p, p->line, "connect: bad address '%s' (ADDR:PORT or [ADDR]:PORT)", v);
			return 0;
		}
		struct ol_addr a;
		endpoint_addr(&s->connect.ss, &a);
		if (addr_not_host(&a)) {
			fail(p, p->line, "connect: '%s' is %s, not a switch agent's address", v, addr_not_host(&a));
			return 0;
		}
		strcpy(s->connect.text, v);
		s->connect.line = p->line;
		return 1;
	}
	fail(p, p->line, "unknown key '%s' in [switch %s]", name, s->name);
	return 0;
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
		p->sec = SEC_SWITCH;
	} else if (!strcmp(kind, "host") && !arg) {
		if (p->seen_host++ || p->seen_switch || p->seen_egressd) {
			fail(p, p->line, "section '[host]' repeated or mixed with '[switch]'");
			return 0;
		}
		c->role = ROLE_HOST;
		p->sec = SEC_HOST;
	} else if (!strcmp(kind, "egress") && !arg) {
		if (p->seen_egressd++ || p->seen_switch || p->seen_host) {
			fail(p, p->line, "section '[egress]' repeated or mixed with '[switch]' or '[host]'");
			return 0;
		}
		c->role = ROLE_EGRESS;
		p->sec = SEC_EGRESSD;
	} else if (!strcmp(kind, "egress") && arg) {
		struct ol_addr ea;
		if (addr_parse(arg, &ea)) {
			fail(p, p->line, "section '[%s]': bad address '%s'", section, arg);
			return 0;
		}
		for (unsigned i = 0; i < c->negress; i++)
			if (!addr_cmp(&c->egress[i].e.addr, &ea)) {
				fail(p, p->line, "egress address '%s' defined twice (first at line %d)", arg, c->egress[i].line);
				return 0;
			}
		if (c->negress == CFG_EGRESS_MAX) {
			fail(p, p->line, "at most %d egress addresses", CFG_EGRESS_MAX);
			return 0;
		}
		if (c->negress % 16 == 0) {
			void *n = realloc(c->egress, (c->negress + 16) * sizeof(*c->egress));
			if (!n) {
				fail(p, p->line, "out of memory");
				return 0;
			}
			c->egress = n;
		}
		struct cfg_egress *ce = &c->egress[c->negress++];
		memset(ce, 0, sizeof(*ce));
		ce->e.addr = ea;
		ce->line = p->line;
		p->sec = SEC_EGRESS;
	} else if ((!strcmp(kind, "provider") || !strcmp(kind, "switch")) && arg) {
		if (!name_valid(arg)) {
			fail(p, p->line, "section '[%s]': bad name '%s'", section, arg);
			return 0;
		}
		if (!strcmp(kind, "provider")) {
			for (unsigned i = 0; i < c->nproviders; i++)
				if (!strcmp(c->providers[i].name, arg)) {
					fail(p, p->line, "provider '%s' defined twice (first at line %d)", arg, c->providers[i].line);
					return 0;
				}
			if (c->nproviders == CFG_PROVIDERS_MAX) {
				fail(p, p->line, "at most %d providers", CFG_PROVIDERS_MAX);
				return 0;
			}
			if (c->nproviders % 64 == 0) {
				void *n = realloc(c->providers, (c->nproviders + 64) * sizeof(*c->providers));
				if (!n) {
					fail(p, p->line, "out of memory");
					return 0;
				}
				c->providers = n;
			}
			struct cfg_provider *pr = &c->providers[c->nproviders++];
			memset(pr, 0, sizeof(*pr));
			strcpy(pr->name, arg);
			pr->line = p->line;
			pr->hold_down_ms = 30000;
			pr->backup_idx = -1;
			p->sec = SEC_PROVIDER;
		} else {
			for (unsigned i = 0; i < c->nswitches; i++)
				if (!strcmp(c->switches[i].name, arg)) {
					fail(p, p->line, "switch '%s' defined twice (first at line %d)", arg, c->switches[i].line);
					return 0;
				}
			if (c->nswitches == CFG_SWITCHES_MAX) {
				fail(p, p->line, "at most %d switches", CFG_SWITCHES_MAX);
				return 0;
			}
			struct cfg_switchref *s = &c->switches[c->nswitches++];
			memset(s, 0, sizeof(*s));
			strcpy(s->name, arg);
			s->line = p->line;
			p->sec = SEC_SWITCHREF;
		}
	} else {
		fail(p, p->line, "unknown section '[%s]'", section);
		p->sec = SEC_BAD;
		return 0;
	}
	return 1;
}

/* The keys that may be given more than once in a section; every other
 * key given twice is an error, not "the last one wins". */
static int repeatable(int sec, const char *name)
{
	switch (sec) {
	case SEC_SWITCH: return !strcmp(name, "listen") || !strcmp(name, "host");
	case SEC_HOST: return !strcmp(name, "address"); /* one per family, checked there */
	case SEC_PROVIDER: return !strcmp(name, "address") || !strcmp(name, "bird-protocol");
	case SEC_EGRESS: return !strcmp(name, "slice");
	case SEC_EGRESSD: return !strcmp(name, "clients");
	default: return 0;
	}
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;

	if (p->failed)
		return 0;
	if (!repeatable(p->sec, name)) {
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
	/* p->sec was set by reader() when the header line went by */
	switch (p->sec) {
	case SEC_SWITCH: return handle_switch(p, name, value);
	case SEC_HOST: return handle_host(p, name, value);
	case SEC_PROVIDER: return handle_provider(p, name, value);
	case SEC_SWITCHREF: return handle_switchref(p, name, value);
	case SEC_EGRESS: return handle_egress(p, name, value);
	case SEC_EGRESSD: return handle_egressd(p, name, value);
	case SEC_NONE:
		if (!*section) {
			fail(p, p->line, "key '%s' outside any section", name);
			return 0;
		}
		/* fall through */
	default:
		fail(p, p->line, "key '%s' in an unknown section '[%s]'", name, section);
		return 0;
	}
}

int key_load(const char *path, uint8_t key[32], unsigned *mode)
{
	char buf[128];
	size_t binlen;
	struct stat st;
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
		int e = errno ? -errno : -EINVAL;
		fclose(f);
		return e;
	}
	*mode = st.st_mode & 07777;
	if (st.st_mode & 077) {
		fclose(f);
		return -EPERM;
	}
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' ' || buf[n - 1] == '\r'))
		buf[--n] = 0;
	int r = 0;
	if (sodium_base642bin(key, 32, buf, n, NULL, &binlen, NULL, sodium_base64_VARIANT_ORIGINAL) || binlen != 32)
		r = -EINVAL;
	sodium_memzero(buf, sizeof(buf));
	return r;
}

static void validate_egress(struct parse *p);

/* bird-protocol needs bird-socket and is unique; a backup exists, is not
 * the provider itself, and following backups never comes back round. */
static void validate_failover(struct parse *p)
{
	struct config *c = p->c;
	for (unsigned i = 0; i < c->nproviders && !p->failed; i++) {
		struct cfg_provider *a = &c->providers[i];
		a->backup_idx = -1;
		if (a->nbird && !c->bird_socket[0])
			fail(p, a->line, "[provider %s]: bird-protocol needs 'bird-socket' in [switch]", a->name);
		for (unsigned k = 0; k < a->nbird && !p->failed; k++)
			for (unsigned j = 0; j <= i && !p->failed; j++)
				for (unsigned l = 0; l < (j == i ? k : c->providers[j].nbird) && !p->failed; l++)
					if (!strcmp(a->bird[k], c->providers[j].bird[l]))
						fail(p, a->line, "[provider %s]: BIRD protocol '%s' already belongs to provider '%s'",
						     a->name, a->bird[k], c->providers[j].name);
		if (!a->backup[0] || p->failed)
			continue;
		for (unsigned j = 0; j < c->nproviders; j++)
			if (!strcmp(c->providers[j].name, a->backup))
				a->backup_idx = (int)j;
		if (a->backup_idx < 0)
			fail(p, a->backup_line, "backup: no provider '%s'", a->backup);
		else if ((unsigned)a->backup_idx == i)
			fail(p, a->backup_line, "backup: provider '%s' cannot back itself up", a->name);
	}
	for (unsigned i = 0; i < c->nproviders && !p->failed; i++) {
		/* at most nproviders steps without a cycle */
		int j = c->providers[i].backup_idx;
		for (unsigned steps = 0; j >= 0 && !p->failed; steps++, j = c->providers[j].backup_idx)
			if ((unsigned)j == i || steps > c->nproviders)
				fail(p, c->providers[i].backup_line, "backup: provider '%s' is its own backup through '%s' (a cycle)",
				     c->providers[i].name, c->providers[i].backup);
	}
}

static void validate_switch(struct parse *p)
{
	struct config *c = p->c;
	if (!c->name[0])
		fail(p, p->line, "[switch]: missing 'name'");
	if (!c->nlisten)
		fail(p, p->line, "[switch]: missing 'listen'");
	if (c->nswitches)
		fail(p, c->switches[0].line, "[switch %s] belongs in a host's config", c->switches[0].name);
	if (!p->failed && c->fast_path.len && !c->fast_path_if[0])
		fail(p, c->fast_path_line, "fast-path: needs 'fast-path-interface' (the hosts' segment)");
	if (!p->failed && !c->fast_path.len && c->fast_path_if[0])
		fail(p, c->fast_path_line, "fast-path-interface: no 'fast-path' to send on it");
	validate_egress(p);
	for (unsigned i = 0; i < c->nproviders && !p->failed; i++) {
		struct cfg_provider *a = &c->providers[i];
		if (!a->naddrs)
			fail(p, a->line, "[provider %s]: missing 'address'", a->name);
		else if (!a->ifname[0])
			fail(p, a->line, "[provider %s]: missing 'interface'", a->name);
		else if (!a->table)
			fail(p, a->line, "[provider %s]: missing 'table'", a->name);
		for (unsigned j = 0; j < i && !p->failed; j++) {
			struct cfg_provider *b = &c->providers[j];
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
	validate_failover(p);
}

int config_host_known(const struct config *c, const char *name)
{
	for (unsigned i = 0; i < c->nhosts; i++)
		if (!strcmp(c->hosts[i], name))
			return 1;
	return 0;
}

static void validate_egress(struct parse *p)
{
	struct config *c = p->c;
	char a[ADDR_STRLEN];
	for (unsigned i = 0; i < c->negress && !p->failed; i++) {
		struct cfg_egress *ce = &c->egress[i];
		addr_str(&ce->e.addr, a, sizeof(a));
		if (!ce->e.nslices)
			fail(p, ce->line, "[egress %s]: no 'slice'", a);
		for (unsigned k = 0; k < ce->e.nslices && !p->failed; k++) {
			const struct ol_slice *x = &ce->e.slices[k];
			if (!config_host_known(c, x->host))
				fail(p, ce->slice_line[k], "slice: '%s' is not a known host (list it as 'host = %s' in [switch])",
				     x->host, x->host);
			for (unsigned l = 0; l < k && !p->failed; l++) {
				const struct ol_slice *y = &ce->e.slices[l];
				if (!strcmp(x->host, y->host))
					fail(p, ce->slice_line[k], "slice: host '%s' already has a slice of %s (line %d)", x->host, a,
					     ce->slice_line[l]);
				else if (x->first <= y->last && y->first <= x->last)
					fail(p, ce->slice_line[k], "slice: %u-%u of '%s' overlaps %u-%u of '%s' (line %d)", x->first,
					     x->last, x->host, y->first, y->last, y->host, ce->slice_line[l]);
			}
		}
	}
}

static void validate_host(struct parse *p)
{
	struct config *c = p->c;
	if (!c->name[0])
		fail(p, p->line, "[host]: missing 'name'");
	else if (!c->ifname[0])
		fail(p, p->line, "[host]: missing 'interface'");
	else if (!c->local4.family && !c->local6.family)
		fail(p, p->line, "[host]: missing 'address'");
	else if (!c->nswitches)
		fail(p, p->line, "[host]: no '[switch NAME]' section");
	if (c->nproviders)
		fail(p, c->providers[0].line, "[provider %s] belongs in a switch's config", c->providers[0].name);
	if (c->negress)
		fail(p, c->egress[0].line, "[egress ...] belongs in a switch's config");
	if (c->nhosts)
		fail(p, c->host_line, "'host' belongs in a switch's config");
	for (unsigned i = 0; i < c->nswitches && !p->failed; i++)
		if (!c->switches[i].connect.len)
			fail(p, c->switches[i].line, "[switch %s]: missing 'connect'", c->switches[i].name);
}

int config_load(const char *path, struct config *c)
{
	struct parse p = { .c = c };
	int r;

	memset(c, 0, sizeof(*c));
	snprintf(c->path, sizeof(c->path), "%s", path);
	c->keepalive = 10;
	c->rule_priority = 1000;
	c->listen_port = 4713;
	c->tproxy_mark = 0x4f4c;
	c->tproxy_table = 4713;
	c->idle_timeout = 300;
	c->bird_poll_ms = 250;
	c->fast_path_delay_ms = 100;
	c->udp_idle_timeout = 60;
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
		if (!c->nclients)
			fail(&p, p.line, "[egress]: missing 'clients'");
		if (c->nproviders || c->nswitches || c->negress)
			fail(&p, p.line, "[egress] stands alone in the egress daemon's config");
		break;
	default: fail(&p, 1, "no '[switch]' or '[host]' section"); break;
	}
	for (unsigned i = 0; i < c->nlisten && c->metrics.len && !p.failed; i++)
		if (endpoint_clash(&c->metrics.ss, &c->listen[i].ss))
			fail(&p, c->metrics.line, "metrics: '%s' clashes with 'listen = %s' on line %d", c->metrics.text,
			     c->listen[i].text, c->listen[i].line);
	if (!p.failed && c->role == ROLE_EGRESS) {
		/* no key: it talks only to the local host agent's control socket */
		if (!c->host_control[0])
			snprintf(c->host_control, sizeof(c->host_control), "/run/onlink/host.sock");
		if (!c->control[0])
			snprintf(c->control, sizeof(c->control), "/run/onlink/egress.sock");
		return 0;
	}
	if (!p.failed && !c->key_file[0])
		fail(&p, p.line, "missing 'key-file'");
	if (!p.failed) {
		unsigned mode = 0;
		int e = key_load(c->key_file, c->key, &mode);
		if (e == -EPERM)
			fail(&p, p.key_line, "key-file: '%s' has mode %04o: a secret key must not be readable or writable by group or others (chmod 600 '%s')",
			     c->key_file, mode, c->key_file);
		else if (e)
			fail(&p, p.key_line, "key-file: cannot use '%s': %s", c->key_file,
			     e == -EINVAL ? "not a base64 key of 32 bytes (make one with 'onlink genkey')" : strerror(-e));
	}
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
	free(c->providers);
	c->providers = NULL;
	c->nproviders = 0;
	free(c->hosts);
	c->hosts = NULL;
	c->nhosts = 0;
	free(c->egress);
	c->egress = NULL;
	c->negress = 0;
	sodium_memzero(c->key, sizeof(c->key));
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
	int same = fa && fb && la == lb && !memcmp(ta, tb, la) && !sodium_memcmp(a->key, b->key, sizeof(a->key));
	free(ta);
	free(tb);
	return same;
}

static void print_observability(const struct config *c, FILE *f)
{
	if (c->metrics.len)
		fprintf(f, "metrics = %s\n", c->metrics.text);
	if (c->syslog)
		fprintf(f, "syslog = yes\n");
}

void config_print(const struct config *c, FILE *f)
{
	char s[ADDR_STRLEN];
	if (c->role == ROLE_EGRESS) {
		fprintf(f, "[egress]\nhost-control = %s\n", c->host_control);
		for (unsigned i = 0; i < c->nclients; i++)
			fprintf(f, "clients = %s/%u\n", addr_str(&c->clients[i].addr, s, sizeof(s)), c->clients[i].len);
		if (c->via[0])
			fprintf(f, "via = %s\n", c->via);
		fprintf(f, "listen-port = %u\ntproxy-mark = %u\ntproxy-table = %u\nidle-timeout = %u\nudp-idle-timeout = %u\n"
			"control = %s\n", c->listen_port, c->tproxy_mark, c->tproxy_table, c->idle_timeout,
			c->udp_idle_timeout, c->control);
		print_observability(c, f);
		return;
	}
	if (c->role == ROLE_SWITCH) {
		fprintf(f, "[switch]\nname = %s\n", c->name);
		for (unsigned i = 0; i < c->nlisten; i++)
			fprintf(f, "listen = %s\n", c->listen[i].text);
		for (unsigned i = 0; i < c->nhosts; i++)
			fprintf(f, "host = %s\n", c->hosts[i]);
		if (c->bird_socket[0])
			fprintf(f, "bird-socket = %s\n", c->bird_socket);
		if (c->bird_include[0])
			fprintf(f, "bird-include = %s\n", c->bird_include);
		fprintf(f, "bird-poll = %ums\n", c->bird_poll_ms);
		if (c->fast_path.len)
			fprintf(f, "fast-path = %s\nfast-path-interface = %s\nfast-path-delay = %ums\n", c->fast_path.text,
				c->fast_path_if, c->fast_path_delay_ms);
	} else {
		fprintf(f, "[host]\nname = %s\ninterface = %s\n", c->name, c->ifname);
		if (c->local4.family)
			fprintf(f, "address = %s\n", addr_str(&c->local4, s, sizeof(s)));
		if (c->local6.family)
			fprintf(f, "address = %s\n", addr_str(&c->local6, s, sizeof(s)));
		fprintf(f, "rule-priority = %u\n", c->rule_priority);
	}
	fprintf(f, "key-file = %s\ncontrol = %s\nkeepalive = %u\n", c->key_file, c->control, c->keepalive);
	print_observability(c, f);
	for (unsigned i = 0; i < c->nproviders; i++) {
		const struct cfg_provider *pr = &c->providers[i];
		fprintf(f, "\n[provider %s]\n", pr->name);
		for (unsigned k = 0; k < pr->naddrs; k++)
			fprintf(f, "address = %s\n", addr_str(&pr->addrs[k], s, sizeof(s)));
		fprintf(f, "interface = %s\n", pr->ifname);
		if (pr->port[0])
			fprintf(f, "port = %s\n", pr->port);
		fprintf(f, "table = %u\n", pr->table);
		if (pr->descr[0])
			fprintf(f, "description = %s\n", pr->descr);
		for (unsigned k = 0; k < pr->nbird; k++)
			fprintf(f, "bird-protocol = %s\n", pr->bird[k]);
		if (pr->backup[0])
			fprintf(f, "backup = %s\n", pr->backup);
		fprintf(f, "hold-down = %ums\n", pr->hold_down_ms);
	}
	for (unsigned i = 0; i < c->negress; i++) {
		const struct ol_egress *e = &c->egress[i].e;
		fprintf(f, "\n[egress %s]\n", addr_str(&e->addr, s, sizeof(s)));
		for (unsigned k = 0; k < e->nslices; k++)
			fprintf(f, "slice = %s %u-%u\n", e->slices[k].host, e->slices[k].first, e->slices[k].last);
	}
	for (unsigned i = 0; i < c->nswitches; i++)
		fprintf(f, "\n[switch %s]\nconnect = %s\n", c->switches[i].name, c->switches[i].connect.text);
}
