/* Every key of onlink.conf: its row in the schema (schema.h: section,
 * type, range, default, field, help) and the parsers and printers of the
 * values that are not a plain type. onlink.conf(5) is checked against
 * this table (tests/unit/test_config.c). */
#include "conf/schema.h"
#include "conf/parse.h"
#include "base/vec.h"
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define CFG(field) .off = offsetof(struct config, field), .size = sizeof(((struct config *)0)->field)
#define PRV(field) .off = offsetof(struct cfg_provider, field), .size = sizeof(((struct cfg_provider *)0)->field)
#define SWR(field) .off = offsetof(struct cfg_switchref, field), .size = sizeof(((struct cfg_switchref *)0)->field)
#define FIELD(obj, k) ((char *)(obj) + (k)->off)
#define CFIELD(obj, k) ((const char *)(obj) + (k)->off)

/* ---- values of their own ---- */

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
		return cfg_bad(p, k, v);
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
		return cfg_bad(p, k, v);
	strcpy(c->private_key_file, v);
	return 0;
}

/* public-key: a field of 32 bytes at k->off, and an int has_pub after it */
static int parse_pubkey(struct parse *p, void *obj, const struct cfg_key *k, const char *v)
{
	uint8_t *pub = (uint8_t *)obj + k->off;
	if (key_parse_public(v, pub))
		return cfg_bad(p, k, v);
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
		return cfg_bad(p, k, v);
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
		return cfg_bad(p, k, v);
	strcpy(c->sw.fast_path_if, v);
	return 0;
}

static int parse_host_address(struct parse *p, void *obj, const struct cfg_key *k, const char *v)
{
	struct config *c = obj;
	struct ol_addr a;
	if (addr_parse(v, &a))
		return cfg_bad(p, k, v);
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
		return cfg_bad(p, k, v);
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
		return cfg_bad(p, k, v);
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
		return cfg_bad(p, k, v);
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
		return cfg_bad(p, k, v);
	strcpy(pr->backup, v);
	pr->backup_line = p->line;
	return 0;
}

static int parse_description(struct parse *p, void *obj, const struct cfg_key *k, const char *v)
{
	struct cfg_provider *pr = obj;
	if (strlen(v) >= sizeof(pr->descr) || strpbrk(v, "\"\\"))
		return cfg_bad(p, k, v);
	strcpy(pr->descr, v);
	return 0;
}

static int parse_slice(struct parse *p, void *obj, const struct cfg_key *k, const char *v)
{
	struct cfg_egress *ce = obj;
	char host[OL_NAME_MAX + 1], tail;
	unsigned long first, last;
	if (sscanf(v, "%32s %lu-%lu %c", host, &first, &last, &tail) != 3 || !name_valid(host))
		return cfg_bad(p, k, v);
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
		return cfg_bad(p, k, v);
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
		return cfg_bad(p, k, v);
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

const struct cfg_key cfg_table[] = {
	{ .key = "name", .sections = CS_SWITCH | CS_HOST, .type = CT_NAME, .flags = CK_REQUIRED, CFG(name),
	  .what = "name", .hint = "letters, digits, '.', '_', '-'; at most 31", .doc = "This agent's name." },
	{ .key = "listen", .sections = CS_SWITCH, .type = CT_CUSTOM,
	  .flags = CK_REQUIRED | CK_REPEATABLE, CFG(sw.listen), .what = "address", .hint = "ADDR:PORT or [ADDR]:PORT",
	  .doc = "Where host agents connect.", .parse = parse_listen, .print = print_listen,
	  .is_set = is_set_listen },
	{ .key = "bird-socket", .sections = CS_SWITCH, .type = CT_STR, .flags = CK_SET_ONLY, CFG(sw.bird_socket),
	  .doc = "BIRD's control socket." },
	{ .key = "bird-include", .sections = CS_SWITCH, .type = CT_STR, .flags = CK_SET_ONLY, CFG(sw.bird_include),
	  .doc = "The file onlinkd writes for BIRD to include." },
	{ .key = "state-file", .sections = CS_SWITCH, .type = CT_STR,
	  .def = "/var/lib/onlink/switch.json", CFG(sw.state_file),
	  .doc = "The agent's own state: announcements, drains, a purge under way, the ports' own aliases it replaced." },
	{ .key = "local-as", .sections = CS_SWITCH, .type = CT_UINT, .flags = CK_SET_ONLY, .min = 1,
	  .max = UINT32_MAX, CFG(sw.local_as), .what = "AS number", .hint = "1 to 4294967295",
	  .doc = "The POP's AS, in the BIRD sessions onlink writes." },
	{ .key = "own-prefix", .sections = CS_SWITCH, .type = CT_CUSTOM, .flags = CK_REPEATABLE, CFG(sw.own),
	  .what = "prefix", .hint = "PREFIX [le N]",
	  .doc = "A prefix of the POP's own: onlink announce takes it and its more-specifics up to le N (IPv4 /24, IPv6 /48 by default).",
	  .parse = cfg_parse_own_prefix, .print = cfg_print_own_prefix, .is_set = cfg_is_set_own_prefix },
	{ .key = "bird-export", .sections = CS_SWITCH, .type = CT_CUSTOM, .flags = CK_SET_ONLY, CFG(sw.bird_export),
	  .doc = "A BIRD function: the POP's own routes each provider gets.", .parse = cfg_parse_bird_symbol },
	{ .key = "bird-import", .sections = CS_SWITCH, .type = CT_CUSTOM, .flags = CK_SET_ONLY, CFG(sw.bird_import),
	  .doc = "A BIRD function: the providers' routes BIRD takes.", .parse = cfg_parse_bird_symbol },
	{ .key = "bird-template", .sections = CS_SWITCH, .type = CT_CUSTOM,
	  .flags = CK_SET_ONLY, CFG(sw.bird_template), .doc = "A BIRD template the provider sessions are made from.",
	  .parse = cfg_parse_bird_symbol },
	{ .key = "bird-hosts", .sections = CS_SWITCH, .type = CT_CUSTOM, .flags = CK_SET_ONLY,
	  .def = "no", CFG(sw.bird_hosts), .doc = "Whether onlink writes the route reflector's host sessions.",
	  .parse = cfg_parse_bird_hosts, .print = cfg_print_bird_hosts, .is_set = cfg_is_set_bird_hosts },
	{ .key = "bird-host-template", .sections = CS_SWITCH, .type = CT_CUSTOM,
	  .flags = CK_SET_ONLY, CFG(sw.bird_host_template), .doc = "A BIRD template the host sessions are made from.",
	  .parse = cfg_parse_bird_symbol },
	{ .key = "bfd-interval", .sections = CS_SWITCH, .type = CT_DURATION, .min = 10, .max = 10000,
	  .def = "100ms", CFG(sw.bfd_interval_ms), .what = "duration", .hint = "10ms to 10s",
	  .doc = "BFD's interval on the provider sessions with bfd = yes." },
	{ .key = "bfd-multiplier", .sections = CS_SWITCH, .type = CT_UINT, .min = 1, .max = 255,
	  .def = "3", CFG(sw.bfd_multiplier), .what = "count", .hint = "1 to 255",
	  .doc = "BFD intervals missed before a provider is down." },
	{ .key = "bird-poll", .sections = CS_SWITCH, .type = CT_DURATION, .min = 10, .max = 60000,
	  .def = "250ms", CFG(sw.bird_poll_ms), .what = "duration", .hint = "10ms to 60s, for example '250ms'",
	  .doc = "How often BIRD's session states are read." },
	{ .key = "fast-path", .sections = CS_SWITCH, .type = CT_CUSTOM, .flags = CK_SET_ONLY, CFG(sw.fast_path),
	  .what = "group", .hint = "a multicast GROUP:PORT or [GROUP]:PORT",
	  .doc = "A multicast group on the hosts' segment for changes.", .parse = parse_fast_path,
	  .print = print_fast_path, .is_set = is_set_endpoint },
	{ .key = "fast-path-interface", .sections = CS_SWITCH, .type = CT_CUSTOM,
	  .flags = CK_NO_PRINT, CFG(sw.fast_path_if), .doc = "Where the fast path's datagrams leave.",
	  .parse = parse_fast_path_if },
	{ .key = "fast-path-delay", .sections = CS_SWITCH, .type = CT_DURATION, .flags = CK_NO_PRINT, .max = 10000,
	  .def = "100ms", CFG(sw.fast_path_delay_ms), .what = "duration", .hint = "0 to 10s, for example '100ms'",
	  .doc = "How long the sessions' copies of a change wait." },
	{ .key = "host-dead-after", .sections = CS_SWITCH, .type = CT_DURATION, .min = 1000, .max = 3600000,
	  .def = "30s", CFG(sw.host_dead_after_ms), .what = "duration", .hint = "1s to 1h, for example '30s'",
	  .doc = "A host without a session this long loses its egress leases." },
	{ .key = "move-deadline", .sections = CS_SWITCH, .type = CT_DURATION, .max = 86400000,
	  .def = "10m", CFG(sw.move_deadline_ms), .what = "duration", .hint = "0 to 24h, for example '10m'",
	  .doc = "How long a moved slice's old owner keeps the ports of its live flows at most." },
	{ .key = "peer-link", .sections = CS_SWITCH, .type = CT_CUSTOM, .flags = CK_SET_ONLY, CFG(sw.peer_link),
	  .doc = "The link to the other switch of one L2 domain.", .parse = parse_peer, .print = print_text },
	{ .key = "peer-switch", .sections = CS_SWITCH, .type = CT_CUSTOM, .flags = CK_SET_ONLY, CFG(sw.peer_switch),
	  .what = "name", .doc = "The switch agent across the peer link.", .parse = parse_peer, .print = print_text },
	{ .key = "interface", .sections = CS_HOST, .type = CT_IFNAME, .flags = CK_REQUIRED, CFG(host.ifname),
	  .what = "interface", .hint = "an interface name: at most 15 bytes; no blank, quote, backslash, /, :, * or ?",
	  .doc = "The uplink on which providers are made on-link." },
	{ .key = "address", .sections = CS_HOST, .type = CT_CUSTOM,
	  .flags = CK_REQUIRED | CK_REPEATABLE, CFG(host.local4), .what = "address",
	  .doc = "The host's address, one per family.", .parse = parse_host_address, .print = print_host_address,
	  .is_set = is_set_host_address },
	{ .key = "provider-device", .sections = CS_HOST, .type = CT_IFNAME, .def = "onlink0", CFG(host.provider_dev),
	  .what = "interface",
	  .hint = "an interface name of at most 14 bytes; no blank, quote, backslash, /, :, * or ?",
	  .doc = "With several uplinks: the device the agent makes for providers." },
	{ .key = "rule-priority", .sections = CS_HOST, .type = CT_UINT, .min = 1, .max = 32765,
	  .def = "1000", CFG(host.rule_priority), .hint = "1 to 32765", .doc = "Priority of the fwmark rules." },
	{ .key = "host-control", .sections = CS_EGRESSD, .type = CT_STR,
	  .def = "/run/onlink/host.sock", CFG(eg.host_control), .doc = "The host agent's control socket." },
	{ .key = "clients", .sections = CS_EGRESSD, .type = CT_CUSTOM,
	  .flags = CK_REQUIRED | CK_REPEATABLE, CFG(eg.clients), .what = "prefix", .hint = "ADDR/LEN, host bits zero",
	  .doc = "Source prefixes whose traffic is proxied.", .parse = parse_clients, .print = print_clients,
	  .is_set = is_set_clients },
	{ .key = "via", .sections = CS_EGRESSD, .type = CT_NAME, .flags = CK_SET_ONLY, CFG(eg.via),
	  .what = "provider name", .doc = "The provider whose table upstream sockets use." },
	{ .key = "listen-port", .sections = CS_EGRESSD, .type = CT_UINT, .min = 1, .max = 65535,
	  .def = "4713", CFG(eg.listen_port), .doc = "Where TPROXY delivers." },
	{ .key = "tproxy-mark", .sections = CS_EGRESSD, .type = CT_UINT, .min = 1, .max = UINT32_MAX,
	  .def = "20300", CFG(eg.tproxy_mark), .doc = "The firewall mark of TPROXY's policy routing." },
	{ .key = "tproxy-table", .sections = CS_EGRESSD, .type = CT_TABLE, .def = "4713", CFG(eg.tproxy_table),
	  .doc = "The routing table of TPROXY's policy routing." },
	{ .key = "idle-timeout", .sections = CS_EGRESSD, .type = CT_UINT, .min = 1, .max = 86400,
	  .def = "300", CFG(eg.idle_timeout), .hint = "seconds", .doc = "A TCP flow idle this long is closed." },
	{ .key = "udp-idle-timeout", .sections = CS_EGRESSD, .type = CT_UINT, .min = 1, .max = 86400,
	  .def = "60", CFG(eg.udp_idle_timeout), .hint = "seconds",
	  .doc = "A UDP flow idle this long is forgotten." },
	{ .key = "client-flows", .sections = CS_EGRESSD, .type = CT_UINT, .min = 1, .max = 1000000,
	  .def = "1024", CFG(eg.client_flows), .hint = "1 to 1000000",
	  .doc = "Flows (TCP and UDP together) one client address may hold; beyond: an RST or an ICMP port unreachable." },
	{ .key = "flow-buffer", .sections = CS_EGRESSD, .type = CT_SIZE, .min = 64 * 1024, .max = 64 * 1024 * 1024,
	  .def = "256k", CFG(eg.flow_buffer), .what = "size", .hint = "64k to 64m",
	  .doc = "What the kernel may buffer for each direction of a flow, its two sockets together." },
	{ .key = "private-key-file", .sections = CS_SWITCH | CS_HOST, .type = CT_CUSTOM,
	  .flags = CK_REQUIRED | CK_CHECKED_LATE, CFG(private_key_file),
	  .doc = "This agent's private key (onlink genkey), mode 0600.", .parse = parse_key_file },
	{ .key = "control", .sections = ROLES, .type = CT_STR, CFG(control),
	  .doc = "The control socket for onlink(8)." },
	{ .key = "keepalive", .sections = CS_SWITCH | CS_HOST, .type = CT_UINT, .min = 1, .max = 3600,
	  .def = "10", CFG(keepalive), .hint = "seconds, 1 to 3600",
	  .doc = "A peer silent for three intervals is dropped." },
	{ .key = "metrics", .sections = ROLES, .type = CT_CUSTOM, .flags = CK_SET_ONLY, CFG(metrics),
	  .what = "address", .hint = "ADDR:PORT or [ADDR6]:PORT", .doc = "Where Prometheus metrics are served.",
	  .parse = parse_metrics, .print = print_endpoint, .is_set = is_set_endpoint },
	{ .key = "syslog", .sections = ROLES, .type = CT_BOOL, .flags = CK_SET_ONLY, .def = "no", CFG(syslog),
	  .hint = "yes or no", .doc = "Log to syslog as well as to standard error." },
	{ .key = "address", .sections = CS_PROVIDER, .type = CT_CUSTOM,
	  .flags = CK_REQUIRED | CK_REPEATABLE, PRV(addrs), .what = "address",
	  .doc = "The provider's next-hop addresses.", .parse = parse_provider_address,
	  .print = print_provider_address, .is_set = is_set_provider_address },
	{ .key = "interface", .sections = CS_PROVIDER, .type = CT_IFNAME, .flags = CK_REQUIRED, PRV(ifname),
	  .what = "interface", .hint = "an interface name: at most 15 bytes; no blank, quote, backslash, /, :, * or ?",
	  .doc = "The switch interface whose neighbor table holds them." },
	{ .key = "port", .sections = CS_PROVIDER, .type = CT_IFNAME, .flags = CK_SET_ONLY, PRV(port),
	  .what = "interface", .hint = "an interface name: at most 15 bytes; no blank, quote, backslash, /, :, * or ?",
	  .doc = "The bridge port the provider is cabled to." },
	{ .key = "table", .sections = CS_PROVIDER, .type = CT_TABLE, .flags = CK_REQUIRED, PRV(table),
	  .what = "table id", .hint = "1 to 4294967295, not 253-255",
	  .doc = "Routing table id and firewall mark on the hosts." },
	{ .key = "description", .sections = CS_PROVIDER, .type = CT_CUSTOM, .flags = CK_SET_ONLY, PRV(descr),
	  .hint = "at most 127 characters, no '\"' or '\\'", .doc = "Set as the description of its BIRD sessions.",
	  .parse = parse_description },
	{ .key = "remote-as", .sections = CS_PROVIDER, .type = CT_UINT, .flags = CK_SET_ONLY, .min = 1,
	  .max = UINT32_MAX, PRV(remote_as), .what = "AS number", .hint = "1 to 4294967295",
	  .doc = "The provider's AS; without bird-protocol, onlink writes its BIRD sessions." },
	{ .key = "password", .sections = CS_PROVIDER, .type = CT_CUSTOM, .flags = CK_SET_ONLY, PRV(password),
	  .doc = "The sessions' TCP-MD5 password.", .parse = cfg_parse_password },
	{ .key = "bfd", .sections = CS_PROVIDER, .type = CT_BOOL, .flags = CK_SET_ONLY, .def = "no", PRV(bfd),
	  .doc = "Whether the sessions run BFD." },
	{ .key = "import-limit", .sections = CS_PROVIDER, .type = CT_CUSTOM, .flags = CK_SET_ONLY, PRV(import_limit),
	  .doc = "The most prefixes taken, and what BIRD does beyond.", .parse = cfg_parse_import_limit,
	  .print = cfg_print_import_limit, .is_set = cfg_is_set_import_limit },
	{ .key = "local-pref", .sections = CS_PROVIDER, .type = CT_CUSTOM, .flags = CK_SET_ONLY, PRV(local_pref),
	  .doc = "The local preference of the provider's routes.", .parse = cfg_parse_local_pref,
	  .print = cfg_print_local_pref, .is_set = cfg_is_set_local_pref },
	{ .key = "bird-protocol", .sections = CS_PROVIDER, .type = CT_CUSTOM,
	  .flags = CK_REPEATABLE | CK_SET_ONLY, PRV(bird), .what = "BIRD protocol name",
	  .hint = "letters, digits, '_'", .doc = "Its BGP sessions' protocol names in BIRD.",
	  .parse = parse_bird_protocol, .print = print_bird_protocol, .is_set = is_set_bird_protocol },
	{ .key = "backup", .sections = CS_PROVIDER, .type = CT_CUSTOM, .flags = CK_SET_ONLY, PRV(backup),
	  .what = "provider name", .doc = "The provider whose MACs the hosts use while this one is failed.",
	  .parse = parse_backup },
	{ .key = "hold-down", .sections = CS_PROVIDER, .type = CT_DURATION, .max = 3600000,
	  .def = "30s", PRV(hold_down_ms), .what = "duration", .hint = "0 to 1h, for example '30s'",
	  .doc = "How long a recovered provider waits." },
	{ .key = "slice", .sections = CS_EGRESS, .type = CT_CUSTOM,
	  .flags = CK_REQUIRED | CK_REPEATABLE | CK_CHECKED_LATE, .off = 0, .size = 0, .what = "value",
	  .hint = "HOST FIRST-LAST, for example 'h1 10000-19999'", .doc = "A host's inclusive port range.",
	  .parse = parse_slice, .print = print_slice, .is_set = is_set_slice },
	{ .key = "address", .sections = CS_POOL, .type = CT_CUSTOM, .flags = CK_REQUIRED | CK_REPEATABLE | CK_CHECKED_LATE,
	  .off = 0, .size = 0, .what = "address", .hint = "an IPv4 or IPv6 host address",
	  .doc = "A shared address whose ports the pool leases.", .parse = cfg_parse_pool_address,
	  .print = cfg_print_pool_address, .is_set = cfg_is_set_pool_address },
	{ .key = "slice-size", .sections = CS_POOL, .type = CT_UINT, .min = 256, .max = 32768, .def = "2048",
	  .off = offsetof(struct cfg_pool, slice_size), .size = sizeof(unsigned), .what = "size",
	  .hint = "a power of two from 256 to 32768", .doc = "Ports per slice." },
	{ .key = "ports", .sections = CS_POOL, .type = CT_CUSTOM, .def = "2048-65535", .off = 0, .size = 0,
	  .what = "port range", .hint = "FIRST-LAST within 1024-65535", .doc = "The range cut into slices.",
	  .parse = cfg_parse_pool_ports, .print = cfg_print_pool_ports },
	{ .key = "hosts", .sections = CS_POOL, .type = CT_CUSTOM, .flags = CK_REPEATABLE | CK_SET_ONLY, .off = 0,
	  .size = 0, .what = "host names", .doc = "Who leases from it (default: every [host]).",
	  .parse = cfg_parse_pool_hosts, .print = cfg_print_pool_hosts, .is_set = cfg_is_set_pool_hosts },
	{ .key = "quarantine", .sections = CS_POOL, .type = CT_DURATION, .max = 3600000, .def = "120s",
	  .off = offsetof(struct cfg_pool, quarantine_ms), .size = sizeof(unsigned), .what = "duration",
	  .hint = "0 to 1h, for example '120s'", .doc = "How long a freed slice rests before anyone gets it." },
	{ .key = "shrink-after", .sections = CS_POOL, .type = CT_DURATION, .min = 1000, .max = 86400000, .def = "1m",
	  .off = offsetof(struct cfg_pool, shrink_after_ms), .size = sizeof(unsigned), .what = "duration",
	  .hint = "1s to 24h, for example '1m'", .doc = "How long an extra slice stays under half used before it goes back." },
	{ .key = "leader", .sections = CS_POOL, .type = CT_NAME, .flags = CK_SET_ONLY,
	  .off = offsetof(struct cfg_pool, leader), .size = OL_NAME_MAX, .what = "switch agent name",
	  .doc = "The switch agent that decides the leases (default: this one); the others hold them." },
	{ .key = "connect", .sections = CS_SWITCHREF, .type = CT_CUSTOM, .flags = CK_REQUIRED, SWR(connect),
	  .what = "address", .hint = "ADDR:PORT or [ADDR]:PORT", .doc = "The switch agent.", .parse = parse_connect,
	  .print = print_endpoint, .is_set = is_set_endpoint },
	{ .key = "public-key", .sections = CS_SWITCHREF, .type = CT_CUSTOM, .flags = CK_REQUIRED, SWR(pub),
	  .what = "public key", .hint = "base64, from 'onlink pubkey'", .doc = "The switch agent's public key.",
	  .parse = parse_pubkey, .print = print_pubkey, .is_set = is_set_pubkey },
	{ .key = "interface", .sections = CS_SWITCHREF, .type = CT_CUSTOM, .flags = CK_SET_ONLY, SWR(ifname),
	  .doc = "The uplink to this switch; [host] interface when not set.", .parse = parse_uplink,
	  .print = print_uplink },
	{ .key = "probe-interval", .sections = CS_SWITCHREF, .type = CT_DURATION, .max = 10000,
	  .def = "100ms", SWR(probe_interval_ms), .what = "duration", .hint = "0 (no probes) or 10ms to 10s",
	  .doc = "How often the switch is pinged through the uplink." },
	{ .key = "dead-after", .sections = CS_SWITCHREF, .type = CT_DURATION, .min = 50, .max = 60000,
	  .def = "500ms", SWR(dead_after_ms), .what = "duration", .hint = "50ms to 60s",
	  .doc = "No echo answered for this long: the switch is dead." },
	{ .key = "hold-down", .sections = CS_SWITCHREF, .type = CT_DURATION, .max = 3600000,
	  .def = "30s", SWR(hold_down_ms), .what = "duration", .hint = "0 to 1h, for example '30s'",
	  .doc = "How long a switch back from the dead waits." },
	{ .key = "public-key", .sections = CS_HOSTKEY, .type = CT_CUSTOM, .flags = CK_REQUIRED,
	  .off = offsetof(struct cfg_peerkey, pub), .size = 32, .what = "public key",
	  .hint = "base64, from 'onlink pubkey'", .doc = "The host agent's public key.", .parse = parse_pubkey,
	  .print = print_pubkey, .is_set = is_set_pubkey },
	{ .key = "target", .sections = CS_PROBE, .type = CT_CUSTOM,
	  .flags = CK_REQUIRED | CK_REPEATABLE, CFG(host.probe),
	  .doc = "A destination probed through every live provider.", .parse = cfg_parse_probe_target,
	  .print = cfg_print_probe_target, .is_set = cfg_is_set_probe_target },
	{ .key = "interval", .sections = CS_PROBE, .type = CT_DURATION, .min = 100, .max = 60000,
	  .def = "1s", CFG(host.probe_interval_ms), .what = "duration", .hint = "100ms to 60s, for example '1s'",
	  .doc = "How often each target is probed through each provider." },
	{ .key = "timeout", .sections = CS_PROBE, .type = CT_DURATION, .min = 10, .max = 60000,
	  .def = "1s", CFG(host.probe_timeout_ms), .what = "duration", .hint = "10ms to 60s, for example '1s'",
	  .doc = "A probe unanswered for this long is lost." },
	{ .key = "after-rtos", .sections = CS_REPATH, .type = CT_UINT, .max = 15, .def = "2",
	  CFG(host.repath_after_rtos), .what = "count", .hint = "0 (off) to 15",
	  .doc = "A connection moves on its Nth consecutive retransmission timeout, and on each after it." },
	{ .key = "unconfirmed-rtos", .sections = CS_REPATH, .type = CT_UINT, .max = 15, .def = "4",
	  CFG(host.repath_unconfirmed), .what = "count", .hint = "0 (never) to 15",
	  .doc = "With [probe], a move before this timeout needs the probes to show the provider failing." },
	{ .key = "providers", .sections = CS_REPATH, .type = CT_CUSTOM, .flags = CK_REPEATABLE | CK_SET_ONLY,
	  CFG(host.repath_providers), .what = "provider names",
	  .doc = "Where a stalled connection may go (default: every live provider).",
	  .parse = cfg_parse_repath_providers, .print = cfg_print_repath_providers,
	  .is_set = cfg_is_set_repath_providers },
	{ .key = "cgroup", .sections = CS_REPATH, .type = CT_STR, .flags = CK_SET_ONLY, CFG(host.repath_cgroup),
	  .what = "path", .hint = "a cgroup v2 directory",
	  .doc = "Whose connections are watched (default: the cgroup v2 root, every process)." },
	{ .key = "prefix", .sections = CS_STEER, .type = CT_CUSTOM, .flags = CK_REQUIRED | CK_REPEATABLE,
	  CFG(sw.steer.prefixes), .what = "prefix", .doc = "A prefix whose provider follows the probes.",
	  .parse = cfg_parse_steer_prefix, .print = cfg_print_steer_prefix, .is_set = cfg_is_set_steer_prefix },
	{ .key = "target", .sections = CS_STEER, .type = CT_CUSTOM, .flags = CK_REQUIRED | CK_REPEATABLE,
	  CFG(sw.steer.targets), .what = "address",
	  .doc = "An address in a steered prefix, probed by every host through every provider.",
	  .parse = cfg_parse_steer_target, .print = cfg_print_steer_target, .is_set = cfg_is_set_steer_target },
	{ .key = "interval", .sections = CS_STEER, .type = CT_DURATION, .min = 100, .max = 60000, .def = "1s",
	  CFG(sw.steer.interval_ms), .what = "duration", .hint = "100ms to 60s",
	  .doc = "How often the hosts probe each target through each provider." },
	{ .key = "window", .sections = CS_STEER, .type = CT_DURATION, .min = 1000, .max = 3600000, .def = "10s",
	  CFG(sw.steer.window_ms), .what = "duration", .hint = "1s to 1h", .doc = "One decision window." },
	{ .key = "windows", .sections = CS_STEER, .type = CT_UINT, .min = 1, .max = 100, .def = "3",
	  CFG(sw.steer.windows), .what = "count", .hint = "1 to 100",
	  .doc = "A gain must hold this many windows in a row." },
	{ .key = "min-gain", .sections = CS_STEER, .type = CT_DURATION, .max = 10000, .def = "10ms",
	  CFG(sw.steer.min_gain_ms), .what = "duration", .hint = "0 to 10s",
	  .doc = "A move by RTT needs it better by this much..." },
	{ .key = "min-gain-ratio", .sections = CS_STEER, .type = CT_CUSTOM, .max = 100, .def = "10%",
	  CFG(sw.steer.min_gain_ratio), .what = "percentage", .hint = "0% to 100%",
	  .doc = "... and by this share of the current provider's RTT.", .parse = cfg_parse_percent,
	  .print = cfg_print_percent },
	{ .key = "loss-gain", .sections = CS_STEER, .type = CT_CUSTOM, .max = 100, .def = "2%",
	  CFG(sw.steer.loss_gain), .what = "percentage", .hint = "0% to 100%",
	  .doc = "Or loss better by this many points.", .parse = cfg_parse_percent, .print = cfg_print_percent },
	{ .key = "hold-down", .sections = CS_STEER, .type = CT_DURATION, .max = 86400000, .def = "10m",
	  CFG(sw.steer.hold_down_ms), .what = "duration", .hint = "0 to 24h",
	  .doc = "A moved prefix stays at least this long." },
	{ .key = "max-moves", .sections = CS_STEER, .type = CT_UINT, .min = 1, .max = 100000, .def = "10",
	  CFG(sw.steer.max_moves), .what = "count", .hint = "1 to 100000", .doc = "Moves per minute, POP-wide." },
	{ .key = "ttl", .sections = CS_STEER, .type = CT_DURATION, .min = 1000, .max = 86400000, .def = "5m",
	  CFG(sw.steer.ttl_ms), .what = "duration", .hint = "1s to 24h",
	  .doc = "An override nobody renews is dropped by the hosts." },
	{ .key = "dry-run", .sections = CS_STEER, .type = CT_BOOL, .def = "no", CFG(sw.steer.dry_run),
	  .what = "boolean", .hint = "yes or no", .doc = "Decide, log and count; change nothing." },
	{ .key = "address", .sections = CS_HOSTKEY, .type = CT_CUSTOM, .flags = CK_SET_ONLY | CK_REPEATABLE,
	  .off = offsetof(struct cfg_peerkey, addrs), .size = sizeof(((struct cfg_peerkey *)0)->addrs),
	  .what = "address", .doc = "The host's address, for its BIRD session.", .parse = cfg_parse_peer_address,
	  .print = cfg_print_peer_address, .is_set = cfg_is_set_peer_address },
};

const size_t cfg_table_n = sizeof(cfg_table) / sizeof(cfg_table[0]);
