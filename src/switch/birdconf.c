/* The BIRD sessions onlink writes from onlink.conf (birdconf.h). */
#include "switch/birdconf.h"
#include "base/log.h"
#include <string.h>

/* A string inside BIRD's quotes. BIRD's strings have no escapes, so what
 * could end one (a quote, a backslash, a line break) or confuse a reader
 * (a control byte) is written as '?'. The config refuses all of them
 * (FILE:LINE); this is the second door, for whatever path a value took. */
static void bird_str(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f || *s == '"' || *s == '\\' ? '?' : *s, f);
}

static void provider_session(FILE *f, const struct config *c, const struct cfg_provider *p, unsigned k)
{
	char a[ADDR_STRLEN];
	int v4 = p->addrs[k].family == AF_INET;
	fprintf(f, "protocol bgp %s%s%s {\n", p->bird[k], c->sw.bird_template[0] ? " from " : "", c->sw.bird_template);
	fprintf(f, "\tdescription \"");
	bird_str(f, p->name);
	fprintf(f, " (AS%u)%s", p->remote_as, p->descr[0] ? ": " : "");
	bird_str(f, p->descr);
	fprintf(f, "\";\n");
	fprintf(f, "\tlocal as %u;\n\tneighbor %s as %u;\n", c->sw.local_as, addr_str(&p->addrs[k], a, sizeof(a)),
		p->remote_as);
	if (p->password[0]) {
		fprintf(f, "\tpassword \"");
		bird_str(f, p->password);
		fprintf(f, "\";\n");
	}
	if (p->bfd)
		fprintf(f, "\tbfd on;\n");
	if (p->has_local_pref)
		fprintf(f, "\tdefault bgp_local_pref %u;\n", p->local_pref);
	fprintf(f, "\tipv%d {\n", v4 ? 4 : 6);
	if (p->import_limit)
		fprintf(f, "\t\timport limit %u action %s;\n", p->import_limit, p->import_action);
	if (c->sw.bird_import[0])
		fprintf(f, "\t\timport where %s();\n", c->sw.bird_import);
	else
		fprintf(f, "\t\timport all;\n");
	fprintf(f, "\t\texport where %s%s%sonlink_export(\"%s\");\n", c->sw.bird_export, c->sw.bird_export[0] ? "()" : "",
		c->sw.bird_export[0] ? " || " : "", p->bird[k]);
	fprintf(f, "\t};\n}\n");
}

/* The route reflector's side, as docs/bird.md explains it for sessions
 * written by hand: every provider path, next hop unchanged, IPv6 with
 * its global next hop only. */
static void host_session(FILE *f, const struct config *c, const struct cfg_peerkey *h, unsigned k)
{
	char a[ADDR_STRLEN], name[OL_NAME_MAX + 16];
	int v4 = h->addrs[k].family == AF_INET;
	unsigned nth = 1;
	for (unsigned j = 0; j < k; j++)
		nth += h->addrs[j].family == h->addrs[k].family;
	cfg_bird_symbol("onlink_host_", h->name, name, sizeof(name));
	fprintf(f, "protocol bgp %s_%d", name, v4 ? 4 : 6);
	if (nth > 1)
		fprintf(f, "_%u", nth);
	fprintf(f, "%s%s {\n", c->sw.bird_host_template[0] ? " from " : "", c->sw.bird_host_template);
	fprintf(f, "\tdescription \"host ");
	bird_str(f, h->name);
	fprintf(f, "\";\n\tlocal as %u;\n\tneighbor %s as %u;\n\trr client;\n", c->sw.local_as, addr_str(&h->addrs[k], a, sizeof(a)), c->sw.local_as);
	if (v4)
		fprintf(f, "\tdirect;\n\tipv4 { import none; export where source = RTS_BGP; next hop keep; add paths tx; };\n");
	else
		fprintf(f, "\tipv6 {\n\t\timport none;\n"
			   "\t\texport filter { if source != RTS_BGP then reject; bgp_next_hop = bgp_next_hop; accept; };\n"
			   "\t\tnext hop keep;\n\t\tadd paths tx;\n\t};\n");
	fprintf(f, "}\n");
}

void birdconf_sessions(FILE *f, const struct config *c)
{
	int any = 0;
	for (unsigned i = 0; i < c->sw.nproviders; i++)
		any |= c->sw.providers[i].generated;
	if (!any && !c->sw.bird_hosts)
		return;
	/* the path in a comment: a line break in it must not start a line
	 * of config */
	char path[4 * sizeof(c->path)];
	str_escape_ctl(path, sizeof(path), c->path);
	fprintf(f, "\n# The BGP sessions onlink writes from %s (docs/bird.md).\n", path);
	/* one BFD protocol for the interfaces of the providers with bfd = yes */
	int bfd = 0;
	for (unsigned i = 0; i < c->sw.nproviders; i++) {
		const struct cfg_provider *p = &c->sw.providers[i];
		int first = 1;
		for (unsigned j = 0; j < i; j++)
			first &= !(c->sw.providers[j].generated && c->sw.providers[j].bfd &&
				   !strcmp(c->sw.providers[j].ifname, p->ifname));
		if (!p->generated || !p->bfd || !first)
			continue;
		if (!bfd++)
			fprintf(f, "protocol bfd onlink_bfd {\n");
		fprintf(f, "\tinterface \"");
		bird_str(f, p->ifname);
		fprintf(f, "\" { min rx interval %u ms; min tx interval %u ms; multiplier %u; };\n", c->sw.bfd_interval_ms,
			c->sw.bfd_interval_ms, c->sw.bfd_multiplier);
	}
	if (bfd)
		fprintf(f, "}\n");
	for (unsigned i = 0; i < c->sw.nproviders; i++)
		for (unsigned k = 0; c->sw.providers[i].generated && k < c->sw.providers[i].nbird; k++)
			provider_session(f, c, &c->sw.providers[i], k);
	for (unsigned i = 0; c->sw.bird_hosts && i < c->sw.nhosts; i++)
		for (unsigned k = 0; k < c->sw.hosts[i].naddrs; k++)
			host_session(f, c, &c->sw.hosts[i], k);
}

unsigned birdconf_mode(const struct config *c)
{
	for (unsigned i = 0; i < c->sw.nproviders; i++)
		if (c->sw.providers[i].generated && c->sw.providers[i].password[0])
			return 0640;
	return 0644;
}
