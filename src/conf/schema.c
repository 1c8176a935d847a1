/* The config's schema (schema.h): the table, and a parser and a printer
 * per type of value. */
#include "conf/schema.h"
#include "conf/parse.h"
#include "base/vec.h"
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define CFG(field) offsetof(struct config, field), sizeof(((struct config *)0)->field)
#define PRV(field) offsetof(struct cfg_provider, field), sizeof(((struct cfg_provider *)0)->field)
#define SWR(field) offsetof(struct cfg_switchref, field), sizeof(((struct cfg_switchref *)0)->field)
#define FIELD(obj, k) ((char *)(obj) + (k)->off)
#define CFIELD(obj, k) ((const char *)(obj) + (k)->off)

/* ---- value parsers ---- */

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

static int bad(struct parse *p, const struct cfg_key *k, const char *v)
{
	fail(p, p->line, "%s: bad %s '%s'%s%s%s", k->key, k->what ? k->what : "value", v, k->hint ? " (" : "",
	     k->hint ? k->hint : "", k->hint ? ")" : "");
	return -1;
}

static void store_uint(void *field, size_t size, unsigned long x)
{
	if (size == 2)
		*(uint16_t *)field = (uint16_t)x;
	else if (size == 4)
		*(uint32_t *)field = (uint32_t)x;
	else
		*(unsigned long *)field = x;
}

static unsigned long load_uint(const void *field, size_t size)
{
	return size == 2 ? *(const uint16_t *)field : size == 4 ? *(const uint32_t *)field : *(const unsigned long *)field;
}

int cfg_key_parse(struct parse *p, void *obj, const struct cfg_key *k, const char *v)
{
	unsigned long x;
	char *field = FIELD(obj, k);
	switch (k->type) {
	case CT_STR:
		if (!*v || strlen(v) >= k->size)
			return bad(p, k, v);
		strcpy(field, v);
		return 0;
	case CT_IFNAME:
		if (!cfg_ifname_valid(v) || strlen(v) >= k->size)
			return bad(p, k, v);
		strcpy(field, v);
		return 0;
	case CT_NAME:
		if (!name_valid(v) || strlen(v) >= k->size)
			return bad(p, k, v);
		strcpy(field, v);
		return 0;
	case CT_UINT:
		if (parse_uint(v, k->min, k->max, &x))
			return bad(p, k, v);
		store_uint(field, k->size, x);
		return 0;
	case CT_TABLE:
		if (parse_uint(v, 1, UINT32_MAX, &x) || x == 253 || x == 254 || x == 255)
			return bad(p, k, v);
		store_uint(field, k->size, x);
		return 0;
	case CT_DURATION:
		if (parse_duration_ms(v, k->min, k->max, &x))
			return bad(p, k, v);
		store_uint(field, k->size, x);
		return 0;
	case CT_BOOL:
		if (strcmp(v, "yes") && strcmp(v, "no"))
			return bad(p, k, v);
		*(int *)field = !strcmp(v, "yes");
		return 0;
	case CT_CUSTOM:
		return k->parse(p, obj, k, v);
	}
	return bad(p, k, v);
}

int cfg_key_is_set(const void *obj, const struct cfg_key *k)
{
	const char *field = CFIELD(obj, k);
	switch (k->type) {
	case CT_STR:
	case CT_NAME:
	case CT_IFNAME:
		return field[0] != 0;
	case CT_UINT:
	case CT_TABLE:
	case CT_DURATION:
		return load_uint(field, k->size) != 0;
	case CT_BOOL:
		return *(const int *)field != 0;
	case CT_CUSTOM:
		return k->is_set ? k->is_set(obj, k) : field[0] != 0; /* a text field */
	}
	return 0;
}

static void print_key(FILE *f, const void *obj, const struct cfg_key *k)
{
	const char *field = CFIELD(obj, k);
	switch (k->type) {
	case CT_STR:
	case CT_NAME:
	case CT_IFNAME:
		fprintf(f, "%s = %s\n", k->key, field);
		break;
	case CT_UINT:
	case CT_TABLE:
		fprintf(f, "%s = %lu\n", k->key, load_uint(field, k->size));
		break;
	case CT_DURATION:
		fprintf(f, "%s = %lums\n", k->key, load_uint(field, k->size));
		break;
	case CT_BOOL:
		fprintf(f, "%s = %s\n", k->key, *(const int *)field ? "yes" : "no");
		break;
	case CT_CUSTOM:
		if (k->print)
			k->print(f, obj, k);
		else
			fprintf(f, "%s = %s\n", k->key, field); /* a text field */
		break;
	}
}

/* ---- custom keys ---- */

/* A repeatable key is set once its count is not zero. */
#define IS_SET_COUNT(fn, type, count) \
	static int fn(const void *obj, const struct cfg_key *k) \
	{ \
		(void)k; \
		return ((const type *)obj)->count != 0; \
	}
IS_SET_COUNT(is_set_listen, struct config, sw.nlisten)
IS_SET_COUNT(is_set_clients, struct config, eg.nclients)
IS_SET_COUNT(is_set_provider_address, struct cfg_provider, naddrs)
IS_SET_COUNT(is_set_bird_protocol, struct cfg_provider, nbird)
IS_SET_COUNT(is_set_slice, struct cfg_egress, e.nslices)


static int endpoint_set(struct parse *p, struct cfg_endpoint *e, const struct cfg_key *k, const char *v)
{
	if (endpoint_parse(v, &e->ss, &e->len) || strlen(v) >= sizeof(e->text)) {
		e->len = 0;
		return bad(p, k, v);
	}
	strcpy(e->text, v);
	e->line = p->line;
	return 0;
}

static int is_set_endpoint(const void *obj, const struct cfg_key *k)
{
	return ((const struct cfg_endpoint *)CFIELD(obj, k))->len != 0;
}

static void print_endpoint(FILE *f, const void *obj, const struct cfg_key *k)
{
	fprintf(f, "%s = %s\n", k->key, ((const struct cfg_endpoint *)CFIELD(obj, k))->text);
}

static int parse_metrics(struct parse *p, void *obj, const struct cfg_key *k, const char *v)
{
	return endpoint_set(p, &((struct config *)obj)->metrics, k, v);
}

static int parse_key_file(struct parse *p, void *obj, const struct cfg_key *k, const char *v)
{
	struct config *c = obj;
	p->key_line = p->line;
	if (!*v || strlen(v) >= sizeof(c->private_key_file))
		return bad(p, k, v);
	strcpy(c->private_key_file, v);
	return 0;
}

/* public-key: a field of 32 bytes at k->off, and an int has_pub after it */
static int parse_pubkey(struct parse *p, void *obj, const struct cfg_key *k, const char *v)
{
	uint8_t *pub = (uint8_t *)obj + k->off;
	if (key_parse_public(v, pub))
		return bad(p, k, v);
	*(int *)(pub + 32) = 1;
	return 0;
}

static int is_set_pubkey(const void *obj, const struct cfg_key *k)
{
	return *(const int *)((const uint8_t *)obj + k->off + 32);
}

static void print_pubkey(FILE *f, const void *obj, const struct cfg_key *k)
{
	char b64[48];
	key_print_public((const uint8_t *)obj + k->off, b64);
	fprintf(f, "%s = %s\n", k->key, b64);
}

static int parse_listen(struct parse *p, void *obj, const struct cfg_key *k, const char *v)
{
	struct config *c = obj;
	if (c->sw.nlisten == CFG_LISTEN_MAX) {
		fail(p, p->line, "listen: at most %d", CFG_LISTEN_MAX);
		return -1;
	}
	struct cfg_endpoint *e = &c->sw.listen[c->sw.nlisten];
	if (endpoint_set(p, e, k, v))
		return -1;
	for (unsigned i = 0; i < c->sw.nlisten; i++)
		if (endpoint_clash(&c->sw.listen[i].ss, &e->ss)) {
			fail(p, p->line, "listen: '%s' clashes with '%s' on line %d", v, c->sw.listen[i].text, c->sw.listen[i].line);
			return -1;
		}
	c->sw.nlisten++;
	return 0;
}

static void print_listen(FILE *f, const void *obj, const struct cfg_key *k)
{
	const struct config *c = obj;
	for (unsigned i = 0; i < c->sw.nlisten; i++)
		fprintf(f, "%s = %s\n", k->key, c->sw.listen[i].text);
}

static int parse_fast_path(struct parse *p, void *obj, const struct cfg_key *k, const char *v)
{
	struct config *c = obj;
	struct ol_addr g;
	if (endpoint_set(p, &c->sw.fast_path, k, v))
		return -1;
	if (!endpoint_addr(&c->sw.fast_path.ss, &g) || !addr_is_multicast(&g)) {
		c->sw.fast_path.len = 0;
		return bad(p, k, v);
	}
	c->sw.fast_path_line = p->line;
	return 0;
}

static void print_fast_path(FILE *f, const void *obj, const struct cfg_key *k)
{
	const struct config *c = obj;
	(void)k;
	fprintf(f, "fast-path = %s\nfast-path-interface = %s\nfast-path-delay = %ums\n", c->sw.fast_path.text,
		c->sw.fast_path_if, c->sw.fast_path_delay_ms);
}

static int parse_fast_path_if(struct parse *p, void *obj, const struct cfg_key *k, const char *v)
{
	struct config *c = obj;
	if (!c->sw.fast_path.len)
		c->sw.fast_path_line = p->line; /* for the error if no fast-path follows */
	if (!cfg_ifname_valid(v) || strlen(v) >= sizeof(c->sw.fast_path_if))
		return bad(p, k, v);
	strcpy(c->sw.fast_path_if, v);
	return 0;
}

static int parse_host_address(struct parse *p, void *obj, const struct cfg_key *k, const char *v)
{
	struct config *c = obj;
	struct ol_addr a;
	if (addr_parse(v, &a))
		return bad(p, k, v);
	if (addr_not_host(&a)) {
		fail(p, p->line, "address: '%s' is %s, not this host's address", v, addr_not_host(&a));
		return -1;
	}
	struct ol_addr *slot = a.family == AF_INET ? &c->host.local4 : &c->host.local6;
	if (slot->family) {
		fail(p, p->line, "address: a second %s address '%s' (one per family)", a.family == AF_INET ? "IPv4" : "IPv6", v);
		return -1;
	}
	*slot = a;
	return 0;
}

static int is_set_host_address(const void *obj, const struct cfg_key *k)
{
	(void)k;
	return ((const struct config *)obj)->host.local4.family || ((const struct config *)obj)->host.local6.family;
}

static void print_host_address(FILE *f, const void *obj, const struct cfg_key *k)
{
	const struct config *c = obj;
	char s[ADDR_STRLEN];
	if (c->host.local4.family)
		fprintf(f, "%s = %s\n", k->key, addr_str(&c->host.local4, s, sizeof(s)));
	if (c->host.local6.family)
		fprintf(f, "%s = %s\n", k->key, addr_str(&c->host.local6, s, sizeof(s)));
}

static int parse_clients(struct parse *p, void *obj, const struct cfg_key *k, const char *v)
{
	struct config *c = obj;
	if (c->eg.nclients == CFG_CLIENTS_MAX) {
		fail(p, p->line, "clients: at most %d", CFG_CLIENTS_MAX);
		return -1;
	}
	if (cfg_prefix_parse(v, &c->eg.clients[c->eg.nclients]))
		return bad(p, k, v);
	c->eg.nclients++;
	return 0;
}

static void print_clients(FILE *f, const void *obj, const struct cfg_key *k)
{
	const struct config *c = obj;
	char s[ADDR_STRLEN];
	for (unsigned i = 0; i < c->eg.nclients; i++)
		fprintf(f, "%s = %s/%u\n", k->key, addr_str(&c->eg.clients[i].addr, s, sizeof(s)), c->eg.clients[i].len);
}

static int parse_provider_address(struct parse *p, void *obj, const struct cfg_key *k, const char *v)
{
	struct cfg_provider *pr = obj;
	struct ol_addr a;
	if (addr_parse(v, &a))
		return bad(p, k, v);
	if (addr_not_next_hop(&a)) {
		fail(p, p->line, "address: '%s' is %s, not a provider's address", v, addr_not_next_hop(&a));
		return -1;
	}
	if (pr->naddrs == OL_PROVIDER_ADDRS_MAX) {
		fail(p, p->line, "address: at most %d per provider", OL_PROVIDER_ADDRS_MAX);
		return -1;
	}
	pr->addrs[pr->naddrs++] = a;
	return 0;
}

static void print_provider_address(FILE *f, const void *obj, const struct cfg_key *k)
{
	const struct cfg_provider *pr = obj;
	char s[ADDR_STRLEN];
	for (unsigned i = 0; i < pr->naddrs; i++)
		fprintf(f, "%s = %s\n", k->key, addr_str(&pr->addrs[i], s, sizeof(s)));
}

static int parse_bird_protocol(struct parse *p, void *obj, const struct cfg_key *k, const char *v)
{
	struct cfg_provider *pr = obj;
	if (!cfg_bird_name_valid(v))
		return bad(p, k, v);
	if (pr->nbird == CFG_BIRD_PROTOS_MAX) {
		fail(p, p->line, "bird-protocol: at most %d per provider", CFG_BIRD_PROTOS_MAX);
		return -1;
	}
	strcpy(pr->bird[pr->nbird++], v);
	return 0;
}

static void print_bird_protocol(FILE *f, const void *obj, const struct cfg_key *k)
{
	const struct cfg_provider *pr = obj;
	if (pr->generated)
		return; /* named by onlink */
	for (unsigned i = 0; i < pr->nbird; i++)
		fprintf(f, "%s = %s\n", k->key, pr->bird[i]);
}

static int parse_backup(struct parse *p, void *obj, const struct cfg_key *k, const char *v)
{
	struct cfg_provider *pr = obj;
	if (!name_valid(v))
		return bad(p, k, v);
	strcpy(pr->backup, v);
	pr->backup_line = p->line;
	return 0;
}

static int parse_description(struct parse *p, void *obj, const struct cfg_key *k, const char *v)
{
	struct cfg_provider *pr = obj;
	if (strlen(v) >= sizeof(pr->descr) || strpbrk(v, "\"\\"))
		return bad(p, k, v);
	strcpy(pr->descr, v);
	return 0;
}

static int parse_slice(struct parse *p, void *obj, const struct cfg_key *k, const char *v)
{
	struct cfg_egress *ce = obj;
	char host[OL_NAME_MAX + 1], tail;
	unsigned long first, last;
	if (sscanf(v, "%32s %lu-%lu %c", host, &first, &last, &tail) != 3 || !name_valid(host))
		return bad(p, k, v);
	if (first < OL_PORT_MIN || last > 65535 || first > last) {
		fail(p, p->line, "slice: bad port range '%lu-%lu' (within %d-65535, first <= last)", first, last, OL_PORT_MIN);
		return -1;
	}
	if (ce->e.nslices == OL_SLICES_MAX) {
		fail(p, p->line, "slice: at most %d per address", OL_SLICES_MAX);
		return -1;
	}
	struct ol_slice *sl = &ce->e.slices[ce->e.nslices];
	memcpy(sl->host, host, sizeof(sl->host)); /* name_valid: shorter than OL_NAME_MAX */
	sl->first = (uint16_t)first;
	sl->last = (uint16_t)last;
	ce->slice_line[ce->e.nslices++] = p->line;
	return 0;
}

static void print_slice(FILE *f, const void *obj, const struct cfg_key *k)
{
	const struct ol_egress *e = &((const struct cfg_egress *)obj)->e;
	for (unsigned i = 0; i < e->nslices; i++)
		fprintf(f, "%s = %s %u-%u\n", k->key, e->slices[i].host, e->slices[i].first, e->slices[i].last);
}

static int parse_connect(struct parse *p, void *obj, const struct cfg_key *k, const char *v)
{
	struct cfg_switchref *s = obj;
	struct ol_addr a;
	if (endpoint_set(p, &s->connect, k, v))
		return -1;
	endpoint_addr(&s->connect.ss, &a);
	if (addr_not_host(&a)) {
		s->connect.len = 0;
		fail(p, p->line, "connect: '%s' is %s, not a switch agent's address", v, addr_not_host(&a));
		return -1;
	}
	return 0;
}

/* peer-link (an interface) and peer-switch (a name), with their lines */
static int parse_peer(struct parse *p, void *obj, const struct cfg_key *k, const char *v)
{
	struct config *c = obj;
	int is_link = !strcmp(k->key, "peer-link");
	if (is_link ? (!cfg_ifname_valid(v) || strlen(v) >= sizeof(c->sw.peer_link))
		    : (!name_valid(v)))
		return bad(p, k, v);
	strcpy(is_link ? c->sw.peer_link : c->sw.peer_switch, v);
	*(is_link ? &c->sw.peer_link_line : &c->sw.peer_switch_line) = p->line;
	return 0;
}

static void print_text(FILE *f, const void *obj, const struct cfg_key *k)
{
	fprintf(f, "%s = %s\n", k->key, (const char *)obj + k->off);
}

static int parse_uplink(struct parse *p, void *obj, const struct cfg_key *k, const char *v)
{
	struct cfg_switchref *s = obj;
	if (!cfg_ifname_valid(v) || strlen(v) >= sizeof(s->ifname))
		return bad(p, k, v);
	strcpy(s->ifname, v);
	s->ifname_line = p->line;
	return 0;
}

static void print_uplink(FILE *f, const void *obj, const struct cfg_key *k)
{
	fprintf(f, "%s = %s\n", k->key, ((const struct cfg_switchref *)obj)->ifname);
}

/* ---- the table, in print order ---- */

#define ROLES (CS_SWITCH | CS_HOST | CS_EGRESSD)

static const struct cfg_key schema[] = {
	{ "name", CS_SWITCH | CS_HOST, CT_NAME, CK_REQUIRED, 0, 0, NULL, CFG(name), "name",
	  "letters, digits, '.', '_', '-'; at most 31", "This agent's name.", NULL, NULL, NULL },
	{ "listen", CS_SWITCH, CT_CUSTOM, CK_REQUIRED | CK_REPEATABLE, 0, 0, NULL, CFG(sw.listen), "address", "ADDR:PORT or [ADDR]:PORT",
	  "Where host agents connect.", parse_listen, print_listen, is_set_listen },
	{ "bird-socket", CS_SWITCH, CT_STR, CK_SET_ONLY, 0, 0, NULL, CFG(sw.bird_socket), NULL, NULL, "BIRD's control socket.", NULL, NULL, NULL },
	{ "bird-include", CS_SWITCH, CT_STR, CK_SET_ONLY, 0, 0, NULL, CFG(sw.bird_include), NULL, NULL,
	  "The file onlinkd writes for BIRD to include.", NULL, NULL, NULL },
	{ "state-file", CS_SWITCH, CT_STR, 0, 0, 0, "/var/lib/onlink/switch.json", CFG(sw.state_file), NULL, NULL,
	  "The agent's own state: announcements, drains, a purge under way, the ports' own aliases it replaced.", NULL, NULL, NULL },
	{ "local-as", CS_SWITCH, CT_UINT, CK_SET_ONLY, 1, UINT32_MAX, NULL, CFG(sw.local_as), "AS number", "1 to 4294967295",
	  "The POP's AS, in the BIRD sessions onlink writes.", NULL, NULL, NULL },
	{ "own-prefix", CS_SWITCH, CT_CUSTOM, CK_REPEATABLE, 0, 0, NULL, CFG(sw.own), "prefix", "PREFIX [le N]",
	  "A prefix of the POP's own: onlink announce takes it and its more-specifics up to le N (IPv4 /24, IPv6 /48 by default).",
	  cfg_parse_own_prefix, cfg_print_own_prefix, cfg_is_set_own_prefix },
	{ "bird-export", CS_SWITCH, CT_CUSTOM, CK_SET_ONLY, 0, 0, NULL, CFG(sw.bird_export), NULL, NULL,
	  "A BIRD function: the POP's own routes each provider gets.", cfg_parse_bird_symbol, NULL, NULL },
	{ "bird-import", CS_SWITCH, CT_CUSTOM, CK_SET_ONLY, 0, 0, NULL, CFG(sw.bird_import), NULL, NULL,
	  "A BIRD function: the providers' routes BIRD takes.", cfg_parse_bird_symbol, NULL, NULL },
	{ "bird-template", CS_SWITCH, CT_CUSTOM, CK_SET_ONLY, 0, 0, NULL, CFG(sw.bird_template), NULL, NULL,
	  "A BIRD template the provider sessions are made from.", cfg_parse_bird_symbol, NULL, NULL },
	{ "bird-hosts", CS_SWITCH, CT_CUSTOM, CK_SET_ONLY, 0, 0, "no", CFG(sw.bird_hosts), NULL, NULL,
	  "Whether onlink writes the route reflector's host sessions.", cfg_parse_bird_hosts, cfg_print_bird_hosts,
	  cfg_is_set_bird_hosts },
	{ "bird-host-template", CS_SWITCH, CT_CUSTOM, CK_SET_ONLY, 0, 0, NULL, CFG(sw.bird_host_template), NULL, NULL,
	  "A BIRD template the host sessions are made from.", cfg_parse_bird_symbol, NULL, NULL },
	{ "bfd-interval", CS_SWITCH, CT_DURATION, 0, 10, 10000, "100ms", CFG(sw.bfd_interval_ms), "duration",
	  "10ms to 10s", "BFD's interval on the provider sessions with bfd = yes.", NULL, NULL, NULL },
	{ "bfd-multiplier", CS_SWITCH, CT_UINT, 0, 1, 255, "3", CFG(sw.bfd_multiplier), "count", "1 to 255",
	  "BFD intervals missed before a provider is down.", NULL, NULL, NULL },
	{ "bird-poll", CS_SWITCH, CT_DURATION, 0, 10, 60000, "250ms", CFG(sw.bird_poll_ms), "duration",
	  "10ms to 60s, for example '250ms'", "How often BIRD's session states are read.", NULL, NULL, NULL },
	{ "fast-path", CS_SWITCH, CT_CUSTOM, CK_SET_ONLY, 0, 0, NULL, CFG(sw.fast_path), "group",
	  "a multicast GROUP:PORT or [GROUP]:PORT", "A multicast group on the hosts' segment for changes.",
	  parse_fast_path, print_fast_path, is_set_endpoint },
	{ "fast-path-interface", CS_SWITCH, CT_CUSTOM, CK_NO_PRINT, 0, 0, NULL, CFG(sw.fast_path_if), NULL, NULL,
	  "Where the fast path's datagrams leave.", parse_fast_path_if, NULL, NULL },
	{ "fast-path-delay", CS_SWITCH, CT_DURATION, CK_NO_PRINT, 0, 10000, "100ms", CFG(sw.fast_path_delay_ms), "duration",
	  "0 to 10s, for example '100ms'", "How long the sessions' copies of a change wait.", NULL, NULL, NULL },
	{ "peer-link", CS_SWITCH, CT_CUSTOM, CK_SET_ONLY, 0, 0, NULL, CFG(sw.peer_link), NULL, NULL,
	  "The link to the other switch of one L2 domain.", parse_peer, print_text, NULL },
	{ "peer-switch", CS_SWITCH, CT_CUSTOM, CK_SET_ONLY, 0, 0, NULL, CFG(sw.peer_switch), "name", NULL,
	  "The switch agent across the peer link.", parse_peer, print_text, NULL },
	{ "interface", CS_HOST, CT_IFNAME, CK_REQUIRED, 0, 0, NULL, CFG(host.ifname), "interface", "an interface name: at most 15 bytes; no blank, quote, backslash, /, :, * or ?",
	  "The uplink on which providers are made on-link.", NULL, NULL, NULL },
	{ "address", CS_HOST, CT_CUSTOM, CK_REQUIRED | CK_REPEATABLE, 0, 0, NULL, CFG(host.local4), "address", NULL,
	  "The host's address, one per family.", parse_host_address, print_host_address, is_set_host_address },
	{ "provider-device", CS_HOST, CT_IFNAME, 0, 0, 0, "onlink0", CFG(host.provider_dev), "interface", "an interface name of at most 14 bytes; no blank, quote, backslash, /, :, * or ?",
	  "With several uplinks: the device the agent makes for providers.", NULL, NULL, NULL },
	{ "rule-priority", CS_HOST, CT_UINT, 0, 1, 32765, "1000", CFG(host.rule_priority), NULL, "1 to 32765",
	  "Priority of the fwmark rules.", NULL, NULL, NULL },
	{ "host-control", CS_EGRESSD, CT_STR, 0, 0, 0, "/run/onlink/host.sock", CFG(eg.host_control), NULL, NULL,
	  "The host agent's control socket.", NULL, NULL, NULL },
	{ "clients", CS_EGRESSD, CT_CUSTOM, CK_REQUIRED | CK_REPEATABLE, 0, 0, NULL, CFG(eg.clients), "prefix",
	  "ADDR/LEN, host bits zero", "Source prefixes whose traffic is proxied.",
	  parse_clients, print_clients, is_set_clients },
	{ "via", CS_EGRESSD, CT_NAME, CK_SET_ONLY, 0, 0, NULL, CFG(eg.via), "provider name", NULL,
	  "The provider whose table upstream sockets use.", NULL, NULL, NULL },
	{ "listen-port", CS_EGRESSD, CT_UINT, 0, 1, 65535, "4713", CFG(eg.listen_port), NULL, NULL, "Where TPROXY delivers.", NULL, NULL, NULL },
	{ "tproxy-mark", CS_EGRESSD, CT_UINT, 0, 1, UINT32_MAX, "20300", CFG(eg.tproxy_mark), NULL, NULL,
	  "The firewall mark of TPROXY's policy routing.", NULL, NULL, NULL },
	{ "tproxy-table", CS_EGRESSD, CT_TABLE, 0, 0, 0, "4713", CFG(eg.tproxy_table), NULL, NULL,
	  "The routing table of TPROXY's policy routing.", NULL, NULL, NULL },
	{ "idle-timeout", CS_EGRESSD, CT_UINT, 0, 1, 86400, "300", CFG(eg.idle_timeout), NULL, "seconds",
	  "A TCP flow idle this long is closed.", NULL, NULL, NULL },
	{ "udp-idle-timeout", CS_EGRESSD, CT_UINT, 0, 1, 86400, "60", CFG(eg.udp_idle_timeout), NULL, "seconds",
	  "A UDP flow idle this long is forgotten.", NULL, NULL, NULL },
	{ "private-key-file", CS_SWITCH | CS_HOST, CT_CUSTOM, CK_REQUIRED | CK_CHECKED_LATE, 0, 0, NULL, CFG(private_key_file),
	  NULL, NULL, "This agent's private key (onlink genkey), mode 0600.", parse_key_file, NULL, NULL },
	{ "control", ROLES, CT_STR, 0, 0, 0, NULL, CFG(control), NULL, NULL, "The control socket for onlink(8).", NULL, NULL, NULL },
	{ "keepalive", CS_SWITCH | CS_HOST, CT_UINT, 0, 1, 3600, "10", CFG(keepalive), NULL, "seconds, 1 to 3600",
	  "A peer silent for three intervals is dropped.", NULL, NULL, NULL },
	{ "metrics", ROLES, CT_CUSTOM, CK_SET_ONLY, 0, 0, NULL, CFG(metrics), "address", "ADDR:PORT or [ADDR6]:PORT",
	  "Where Prometheus metrics are served.", parse_metrics, print_endpoint, is_set_endpoint },
	{ "syslog", ROLES, CT_BOOL, CK_SET_ONLY, 0, 0, "no", CFG(syslog), NULL, "yes or no",
	  "Log to syslog as well as to standard error.", NULL, NULL, NULL },
	{ "address", CS_PROVIDER, CT_CUSTOM, CK_REQUIRED | CK_REPEATABLE, 0, 0, NULL, PRV(addrs), "address", NULL,
	  "The provider's next-hop addresses.", parse_provider_address, print_provider_address, is_set_provider_address },
	{ "interface", CS_PROVIDER, CT_IFNAME, CK_REQUIRED, 0, 0, NULL, PRV(ifname), "interface", "an interface name: at most 15 bytes; no blank, quote, backslash, /, :, * or ?",
	  "The switch interface whose neighbor table holds them.", NULL, NULL, NULL },
	{ "port", CS_PROVIDER, CT_IFNAME, CK_SET_ONLY, 0, 0, NULL, PRV(port), "interface", "an interface name: at most 15 bytes; no blank, quote, backslash, /, :, * or ?",
	  "The bridge port the provider is cabled to.", NULL, NULL, NULL },
	{ "table", CS_PROVIDER, CT_TABLE, CK_REQUIRED, 0, 0, NULL, PRV(table), "table id", "1 to 4294967295, not 253-255",
	  "Routing table id and firewall mark on the hosts.", NULL, NULL, NULL },
	{ "description", CS_PROVIDER, CT_CUSTOM, CK_SET_ONLY, 0, 0, NULL, PRV(descr), NULL, "at most 127 characters, no '\"' or '\\'",
	  "Set as the description of its BIRD sessions.", parse_description, NULL, NULL },
	{ "remote-as", CS_PROVIDER, CT_UINT, CK_SET_ONLY, 1, UINT32_MAX, NULL, PRV(remote_as), "AS number",
	  "1 to 4294967295", "The provider's AS; without bird-protocol, onlink writes its BIRD sessions.", NULL, NULL, NULL },
	{ "password", CS_PROVIDER, CT_CUSTOM, CK_SET_ONLY, 0, 0, NULL, PRV(password), NULL, NULL,
	  "The sessions' TCP-MD5 password.", cfg_parse_password, NULL, NULL },
	{ "bfd", CS_PROVIDER, CT_BOOL, CK_SET_ONLY, 0, 0, "no", PRV(bfd), NULL, NULL,
	  "Whether the sessions run BFD.", NULL, NULL, NULL },
	{ "import-limit", CS_PROVIDER, CT_CUSTOM, CK_SET_ONLY, 0, 0, NULL, PRV(import_limit), NULL, NULL,
	  "The most prefixes taken, and what BIRD does beyond.", cfg_parse_import_limit, cfg_print_import_limit,
	  cfg_is_set_import_limit },
	{ "local-pref", CS_PROVIDER, CT_CUSTOM, CK_SET_ONLY, 0, 0, NULL, PRV(local_pref), NULL, NULL,
	  "The local preference of the provider's routes.", cfg_parse_local_pref, cfg_print_local_pref,
	  cfg_is_set_local_pref },
	{ "bird-protocol", CS_PROVIDER, CT_CUSTOM, CK_REPEATABLE | CK_SET_ONLY, 0, 0, NULL, PRV(bird), "BIRD protocol name",
	  "letters, digits, '_'", "Its BGP sessions' protocol names in BIRD.",
	  parse_bird_protocol, print_bird_protocol, is_set_bird_protocol },
	{ "backup", CS_PROVIDER, CT_CUSTOM, CK_SET_ONLY, 0, 0, NULL, PRV(backup), "provider name", NULL,
	  "The provider whose MACs the hosts use while this one is failed.", parse_backup, NULL, NULL },
	{ "hold-down", CS_PROVIDER, CT_DURATION, 0, 0, 3600000, "30s", PRV(hold_down_ms), "duration",
	  "0 to 1h, for example '30s'", "How long a recovered provider waits.", NULL, NULL, NULL },
	{ "slice", CS_EGRESS, CT_CUSTOM, CK_REQUIRED | CK_REPEATABLE | CK_CHECKED_LATE, 0, 0, NULL, 0, 0, "value",
	  "HOST FIRST-LAST, for example 'h1 10000-19999'", "A host's inclusive port range.",
	  parse_slice, print_slice, is_set_slice },
	{ "connect", CS_SWITCHREF, CT_CUSTOM, CK_REQUIRED, 0, 0, NULL, SWR(connect), "address", "ADDR:PORT or [ADDR]:PORT",
	  "The switch agent.", parse_connect, print_endpoint, is_set_endpoint },
	{ "public-key", CS_SWITCHREF, CT_CUSTOM, CK_REQUIRED, 0, 0, NULL, SWR(pub), "public key", "base64, from 'onlink pubkey'",
	  "The switch agent's public key.", parse_pubkey, print_pubkey, is_set_pubkey },
	{ "interface", CS_SWITCHREF, CT_CUSTOM, CK_SET_ONLY, 0, 0, NULL, SWR(ifname), NULL, NULL,
	  "The uplink to this switch; [host] interface when not set.", parse_uplink, print_uplink, NULL },
	{ "probe-interval", CS_SWITCHREF, CT_DURATION, 0, 0, 10000, "100ms", SWR(probe_interval_ms), "duration",
	  "0 (no probes) or 10ms to 10s", "How often the switch is pinged through the uplink.", NULL, NULL, NULL },
	{ "dead-after", CS_SWITCHREF, CT_DURATION, 0, 50, 60000, "500ms", SWR(dead_after_ms), "duration",
	  "50ms to 60s", "No echo answered for this long: the switch is dead.", NULL, NULL, NULL },
	{ "hold-down", CS_SWITCHREF, CT_DURATION, 0, 0, 3600000, "30s", SWR(hold_down_ms), "duration",
	  "0 to 1h, for example '30s'", "How long a switch back from the dead waits.", NULL, NULL, NULL },
	{ "public-key", CS_HOSTKEY, CT_CUSTOM, CK_REQUIRED, 0, 0, NULL, offsetof(struct cfg_peerkey, pub), 32, "public key",
	  "base64, from 'onlink pubkey'", "The host agent's public key.", parse_pubkey, print_pubkey, is_set_pubkey },
	{ "target", CS_PROBE, CT_CUSTOM, CK_REQUIRED | CK_REPEATABLE, 0, 0, NULL, CFG(host.probe), NULL, NULL,
	  "A destination probed through every live provider.", cfg_parse_probe_target, cfg_print_probe_target,
	  cfg_is_set_probe_target },
	{ "interval", CS_PROBE, CT_DURATION, 0, 100, 60000, "1s", CFG(host.probe_interval_ms), "duration",
	  "100ms to 60s, for example '1s'", "How often each target is probed through each provider.", NULL, NULL, NULL },
	{ "timeout", CS_PROBE, CT_DURATION, 0, 10, 60000, "1s", CFG(host.probe_timeout_ms), "duration",
	  "10ms to 60s, for example '1s'", "A probe unanswered for this long is lost.", NULL, NULL, NULL },
	{ "address", CS_HOSTKEY, CT_CUSTOM, CK_SET_ONLY | CK_REPEATABLE, 0, 0, NULL, offsetof(struct cfg_peerkey, addrs),
	  sizeof(((struct cfg_peerkey *)0)->addrs), "address", NULL, "The host's address, for its BIRD session.",
	  cfg_parse_peer_address, cfg_print_peer_address, cfg_is_set_peer_address },
};

const struct cfg_key *cfg_schema(size_t *n)
{
	*n = sizeof(schema) / sizeof(schema[0]);
	return schema;
}

const struct cfg_key *cfg_key_find(unsigned section, const char *key)
{
	for (size_t i = 0; i < sizeof(schema) / sizeof(schema[0]); i++)
		if ((schema[i].sections & section) && !strcmp(schema[i].key, key))
			return &schema[i];
	return NULL;
}

void cfg_defaults(unsigned section, void *obj)
{
	struct config scratch = { 0 };
	struct parse p = { .c = &scratch };
	for (size_t i = 0; i < sizeof(schema) / sizeof(schema[0]); i++)
		if ((schema[i].sections & section) && schema[i].def)
			cfg_key_parse(&p, obj, &schema[i], schema[i].def); /* the table's defaults are valid */
}

void cfg_print_section(FILE *f, unsigned section, const void *obj)
{
	for (size_t i = 0; i < sizeof(schema) / sizeof(schema[0]); i++) {
		const struct cfg_key *k = &schema[i];
		if (!(k->sections & section) || (k->flags & CK_NO_PRINT))
			continue;
		if ((k->flags & CK_SET_ONLY) && !cfg_key_is_set(obj, k))
			continue;
		print_key(f, obj, k);
	}
}

const char *cfg_section_name(unsigned section)
{
	switch (section) {
	case CS_SWITCH: return "[switch]";
	case CS_HOST: return "[host]";
	case CS_EGRESSD: return "[egress]";
	case CS_PROVIDER: return "[provider NAME]";
	case CS_SWITCHREF: return "[switch NAME]";
	case CS_EGRESS: return "[egress ADDR]";
	case CS_HOSTKEY: return "[host NAME]";
	case CS_PROBE: return "[probe]";
	default: return "?";
	}
}
