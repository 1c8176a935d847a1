/* The BIRD sessions onlink writes from the config: the values of their
 * keys, and the checks of the whole (docs/bird.md). A provider with
 * remote-as and no bird-protocol gets one session per address, named
 * onlink_<name><family>; with bird-hosts = yes every [host NAME] with an
 * address gets one too. */
#include "conf/config.h"
#include "conf/parse.h"
#include "conf/schema.h"
#include <stdio.h>
#include <string.h>

int cfg_bird_name_valid(const char *s)
{
	size_t n = strlen(s);
	if (!n || n >= CFG_BIRD_NAME_MAX || (*s >= '0' && *s <= '9'))
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

int cfg_parse_bird_symbol(struct parse *p, void *obj, const struct cfg_key *k, const char *v)
{
	if (!cfg_bird_name_valid(v)) {
		fail(p, p->line, "%s: bad BIRD name '%s' (letters, digits and '_', not starting with a digit)", k->key, v);
		return -1;
	}
	strcpy((char *)obj + k->off, v);
	return 0;
}

/* BIRD takes any text between double quotes but for '"' and '\'; the
 * kernel's TCP-MD5 key is at most 80 bytes. Printable ASCII only, so that
 * the provider's router can be given the same key. */
int cfg_parse_password(struct parse *p, void *obj, const struct cfg_key *k, const char *v)
{
	struct cfg_provider *pr = obj;
	size_t n = strlen(v);
	(void)k;
	if (!n || n > CFG_PASSWORD_MAX) {
		fail(p, p->line, "password: %zu characters (1 to %d)", n, CFG_PASSWORD_MAX);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (v[i] < 0x20 || v[i] > 0x7e || v[i] == '"' || v[i] == '\\') {
			fail(p, p->line, "password: character %zu is %s (printable ASCII without '\"' and '\\', which BIRD "
					 "cannot take)", i + 1, v[i] == '"' ? "'\"'" : v[i] == '\\' ? "'\\'" : "not printable ASCII");
			return -1;
		}
	strcpy(pr->password, v);
	return 0;
}

/* "N" or "N ACTION": BIRD's import limit. disable is not offered: onlink
 * enables every session it does not itself hold down. */
int cfg_parse_import_limit(struct parse *p, void *obj, const struct cfg_key *k, const char *v)
{
	struct cfg_provider *pr = obj;
	char num[16], action[16] = "restart", extra;
	unsigned long n;
	(void)k;
	int f = sscanf(v, "%15s %15s %c", num, action, &extra);
	if (f < 1 || f > 2 || parse_uint(num, 1, UINT32_MAX, &n)) {
		fail(p, p->line, "import-limit: bad value '%s' (a prefix count, 1 to 4294967295, then optionally "
				 "warn, block or restart)", v);
		return -1;
	}
	if (strcmp(action, "warn") && strcmp(action, "block") && strcmp(action, "restart")) {
		fail(p, p->line, "import-limit: bad action '%s' (warn, block or restart; 'disable' would be undone, as "
				 "onlink keeps enabled every session it does not hold down)", action);
		return -1;
	}
	pr->import_limit = (uint32_t)n;
	strcpy(pr->import_action, action);
	return 0;
}

void cfg_print_import_limit(FILE *f, const void *obj, const struct cfg_key *k)
{
	const struct cfg_provider *pr = obj;
	fprintf(f, "%s = %u %s\n", k->key, pr->import_limit, pr->import_action);
}

int cfg_is_set_import_limit(const void *obj, const struct cfg_key *k)
{
	(void)k;
	return ((const struct cfg_provider *)obj)->import_limit != 0;
}

int cfg_parse_local_pref(struct parse *p, void *obj, const struct cfg_key *k, const char *v)
{
	struct cfg_provider *pr = obj;
	unsigned long n;
	(void)k;
	if (parse_uint(v, 0, UINT32_MAX, &n)) {
		fail(p, p->line, "local-pref: bad value '%s' (0 to 4294967295)", v);
		return -1;
	}
	pr->local_pref = (uint32_t)n;
	pr->has_local_pref = 1;
	return 0;
}

void cfg_print_local_pref(FILE *f, const void *obj, const struct cfg_key *k)
{
	fprintf(f, "%s = %u\n", k->key, ((const struct cfg_provider *)obj)->local_pref);
}

int cfg_is_set_local_pref(const void *obj, const struct cfg_key *k)
{
	(void)k;
	return ((const struct cfg_provider *)obj)->has_local_pref;
}

int cfg_parse_peer_address(struct parse *p, void *obj, const struct cfg_key *k, const char *v)
{
	struct cfg_peerkey *h = obj;
	struct ol_addr a;
	(void)k;
	if (addr_parse(v, &a) || addr_not_host(&a)) {
		fail(p, p->line, "address: bad address '%s' (the host's IPv4 or IPv6 address on the switch's segment)", v);
		return -1;
	}
	for (unsigned i = 0; i < h->naddrs; i++)
		if (!addr_cmp(&h->addrs[i], &a)) {
			fail(p, p->line, "address: '%s' listed twice", v);
			return -1;
		}
	if (h->naddrs == CFG_PEER_ADDRS_MAX) {
		fail(p, p->line, "address: at most %d per host", CFG_PEER_ADDRS_MAX);
		return -1;
	}
	h->addrs[h->naddrs++] = a;
	return 0;
}

void cfg_print_peer_address(FILE *f, const void *obj, const struct cfg_key *k)
{
	const struct cfg_peerkey *h = obj;
	char s[ADDR_STRLEN];
	for (unsigned i = 0; i < h->naddrs; i++)
		fprintf(f, "%s = %s\n", k->key, addr_str(&h->addrs[i], s, sizeof(s)));
}

int cfg_is_set_peer_address(const void *obj, const struct cfg_key *k)
{
	(void)k;
	return ((const struct cfg_peerkey *)obj)->naddrs != 0;
}

int cfg_parse_bird_hosts(struct parse *p, void *obj, const struct cfg_key *k, const char *v)
{
	struct config *c = obj;
	(void)k;
	if (strcmp(v, "yes") && strcmp(v, "no")) {
		fail(p, p->line, "bird-hosts: bad value '%s' (yes or no)", v);
		return -1;
	}
	c->sw.bird_hosts = !strcmp(v, "yes");
	c->sw.bird_hosts_line = p->line;
	return 0;
}

void cfg_print_bird_hosts(FILE *f, const void *obj, const struct cfg_key *k)
{
	fprintf(f, "%s = yes\n", k->key);
	(void)obj;
}

int cfg_is_set_bird_hosts(const void *obj, const struct cfg_key *k)
{
	(void)k;
	return ((const struct config *)obj)->sw.bird_hosts;
}

void cfg_bird_symbol(const char *prefix, const char *name, char *out, size_t len)
{
	snprintf(out, len, "%s%s", prefix, name);
	for (char *s = out + strlen(prefix); *s; s++)
		if (*s == '-' || *s == '.')
			*s = '_';
}

/* The session names of a generated provider: onlink_NAME4, onlink_NAME6,
 * then onlink_NAME4_2 for a second IPv4 address. */
static void name_sessions(struct cfg_provider *a)
{
	char base[OL_NAME_MAX + 8]; /* "onlink_" and a name: 38 at most */
	unsigned n4 = 0, n6 = 0;
	cfg_bird_symbol("onlink_", a->name, base, sizeof(base));
	a->nbird = 0;
	for (unsigned k = 0; k < a->naddrs && a->nbird < CFG_BIRD_PROTOS_MAX; k++) {
		int v4 = a->addrs[k].family == AF_INET;
		unsigned nth = v4 ? ++n4 : ++n6;
		char *out = a->bird[a->nbird++];
		if (nth == 1)
			snprintf(out, CFG_BIRD_NAME_MAX, "%s%d", base, v4 ? 4 : 6);
		else
			snprintf(out, CFG_BIRD_NAME_MAX, "%s%d_%u", base, v4 ? 4 : 6, nth);
	}
}

/* Runs before the failover checks, which then find two providers whose
 * generated names collide (a-b and a_b) as they find any shared name. */
void config_validate_bgp(struct parse *p)
{
	struct config *c = p->c;
	for (unsigned i = 0; i < c->sw.nproviders && !p->failed; i++) {
		struct cfg_provider *a = &c->sw.providers[i];
		a->generated = a->remote_as && !a->nbird && c->sw.bird_socket[0];
		if (a->generated && !c->sw.bird_include[0])
			fail(p, a->line, "[provider %s]: onlink writes its BIRD sessions (remote-as without bird-protocol), "
					 "which needs 'bird-include' in [switch]", a->name);
		else if (a->generated && !c->sw.local_as)
			fail(p, a->line, "[provider %s]: onlink writes its BIRD sessions (remote-as without bird-protocol), "
					 "which needs 'local-as' in [switch]", a->name);
		else if (!a->generated && (a->password[0] || a->bfd || a->import_limit || a->has_local_pref))
			fail(p, a->line, "[provider %s]: %s is for the BIRD sessions onlink writes (remote-as, no bird-protocol, "
					 "and bird-socket in [switch]); write it in BIRD's own config", a->name,
			     a->password[0] ? "password" : a->bfd ? "bfd" : a->import_limit ? "import-limit" : "local-pref");
		else if (a->generated)
			name_sessions(a);
	}
	if (p->failed || !c->sw.bird_hosts)
		return;
	if (!c->sw.local_as || !c->sw.bird_include[0] || !c->sw.bird_socket[0]) {
		fail(p, c->sw.bird_hosts_line, "bird-hosts: needs 'local-as', 'bird-socket' and 'bird-include' in [switch]");
		return;
	}
	for (unsigned i = 0; i < c->sw.nhosts && !p->failed; i++)
		if (!c->sw.hosts[i].naddrs)
			fail(p, c->sw.hosts[i].line, "[host %s]: bird-hosts = yes needs the host's 'address' for its BIRD "
						     "session", c->sw.hosts[i].name);
}

/* ---- own-prefix: what onlink announce may announce ---- */

int cfg_parse_own_prefix(struct parse *p, void *obj, const struct cfg_key *k, const char *v)
{
	struct config *c = obj;
	char buf[ADDR_STRLEN + 16];
	const char *le = NULL;
	unsigned long n = 0;
	(void)k;
	snprintf(buf, sizeof(buf), "%s", v);
	char *sp = strchr(buf, ' ');
	if (sp) {
		*sp = 0;
		le = sp + 1 + strspn(sp + 1, " ");
	}
	struct cfg_own_prefix o = { 0 };
	if (strlen(v) >= sizeof(buf) || cfg_prefix_parse(buf, &o.p)) {
		fail(p, p->line, "own-prefix: bad prefix '%s' (PREFIX [le N], host bits zero: '198.51.100.0/22 le 24')", v);
		return -1;
	}
	unsigned max = o.p.addr.family == AF_INET ? 32 : 128, dflt = o.p.addr.family == AF_INET ? 24 : 48;
	if (le && (strncmp(le, "le ", 3) || parse_uint(le + 3 + strspn(le + 3, " "), o.p.len, max, &n))) {
		fail(p, p->line, "own-prefix: bad '%s' after the prefix (le N, with N from %u to %u)", le, o.p.len, max);
		return -1;
	}
	o.le = (uint8_t)(le ? n : o.p.len > dflt ? o.p.len : dflt);
	if (c->sw.nown == CFG_OWN_MAX) {
		fail(p, p->line, "own-prefix: at most %d", CFG_OWN_MAX);
		return -1;
	}
	c->sw.own[c->sw.nown++] = o;
	return 0;
}

void cfg_print_own_prefix(FILE *f, const void *obj, const struct cfg_key *k)
{
	const struct config *c = obj;
	char a[ADDR_STRLEN];
	for (unsigned i = 0; i < c->sw.nown; i++)
		fprintf(f, "%s = %s/%u le %u\n", k->key, addr_str(&c->sw.own[i].p.addr, a, sizeof(a)), c->sw.own[i].p.len,
			c->sw.own[i].le);
}

int cfg_is_set_own_prefix(const void *obj, const struct cfg_key *k)
{
	(void)k;
	return ((const struct config *)obj)->sw.nown != 0;
}

/* whether p lies within o (same family, no shorter, the same leading bits) */
static int within(const struct cfg_prefix *p, const struct cfg_prefix *o)
{
	if (p->addr.family != o->addr.family || p->len < o->len)
		return 0;
	unsigned full = o->len / 8, rest = o->len % 8;
	if (memcmp(p->addr.bytes, o->addr.bytes, full))
		return 0;
	return !rest || !((p->addr.bytes[full] ^ o->addr.bytes[full]) & (0xff << (8 - rest)));
}

const char *cfg_own_prefix_refusal(const struct cfg_switch *c, const struct cfg_prefix *p)
{
	if (!c->nown)
		return "no own-prefix in [switch] (onlink.conf): onlink announces only prefixes the POP owns, listed there";
	for (unsigned i = 0; i < c->nown; i++)
		if (within(p, &c->own[i].p))
			return p->len <= c->own[i].le ? NULL
						       : "longer than its own-prefix allows (onlink.conf [switch] own-prefix ... le N)";
	return "not within any own-prefix of [switch] (onlink.conf): the POP announces only what it owns";
}
