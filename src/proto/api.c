/* The local API's encoding (api.h): JSON lines, through jansson. Decoders
 * check every field's type and range: a reply comes from another process. */
#include "proto/api.h"
#include "proto/json.h"
#include "base/vec.h"
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kinds[] = {
	[API_PROVIDERS] = "providers", [API_EGRESS_SLICES] = "egress-slices", [API_STATUS] = "status",
	[API_SUBSCRIBE] = "subscribe", [API_ROUTE] = "route", [API_FLOWS] = "flows", [API_SLICES] = "slices",
	[API_EGRESS_LIVE] = "egress-live",
};
static const char *const topics[] = { "egress-slices", "providers" };
#define NTOPICS (sizeof(topics) / sizeof(topics[0]))

int api_is_request(const char *line)
{
	line += strspn(line, " \t");
	return *line == '{';
}

int api_request_encode(const struct api_request *r, char *buf, size_t len)
{
	json_t *o = jpack("{s:i, s:s}", "api", API_VERSION, "request", kinds[r->kind]);
	if (o && r->kind == API_SUBSCRIBE) {
		json_t *t = json_array();
		for (unsigned i = 0; i < NTOPICS; i++)
			if (r->topics & 1u << i)
				jappend(&t, json_string(topics[i]));
		jset(&o, "topics", t);
	}
	if (o && r->kind == API_ROUTE)
		jset(&o, "destination", json_string(r->destination));
	size_t n = o ? json_dumpb(o, buf, len, JSON_COMPACT | JSON_PRESERVE_ORDER) : 0;
	json_decref(o);
	if (!n || n >= len)
		return -ENOSPC;
	buf[n] = 0;
	return 0;
}

/* root's "api" is this version: 0, or -EPROTONOSUPPORT / -EINVAL */
static int check_version(json_t *root, const char **why)
{
	json_t *v = json_object_get(root, "api");
	if (!json_is_integer(v)) {
		*why = "no API version (\"api\": 1)";
		return -EINVAL;
	}
	if (json_integer_value(v) != API_VERSION) {
		*why = "API version not served (this agent serves version 1)";
		return -EPROTONOSUPPORT;
	}
	return 0;
}

int api_request_decode(const char *line, struct api_request *r, const char **why)
{
	json_error_t jerr;
	json_t *root = json_loads(line, JSON_REJECT_DUPLICATES, &jerr), *t;
	int ret = -EINVAL;
	size_t i;
	memset(r, 0, sizeof(*r));
	*why = "not a JSON object";
	if (!json_is_object(root) || (ret = check_version(root, why)))
		goto out;
	ret = -EINVAL;
	const char *k = json_string_value(json_object_get(root, "request"));
	*why = "unknown request";
	for (unsigned n = API_PROVIDERS; k && n <= API_EGRESS_LIVE; n++)
		if (!strcmp(k, kinds[n]))
			r->kind = (enum api_kind)n;
	if (!r->kind)
		goto out;
	if (r->kind == API_SUBSCRIBE) {
		*why = "subscribe: \"topics\" must list egress-slices or providers";
		if (!json_is_array(json_object_get(root, "topics")))
			goto out;
		json_array_foreach(json_object_get(root, "topics"), i, t) {
			unsigned n;
			for (n = 0; n < NTOPICS; n++)
				if (json_is_string(t) && !strcmp(json_string_value(t), topics[n]))
					break;
			if (n == NTOPICS)
				goto out;
			r->topics |= 1u << n;
		}
		if (!r->topics)
			goto out;
	}
	if (r->kind == API_ROUTE) {
		const char *d = json_string_value(json_object_get(root, "destination"));
		*why = "route: \"destination\" must be an address or a prefix";
		if (!d || !*d || strlen(d) >= sizeof(r->destination))
			goto out;
		strcpy(r->destination, d);
	}
	ret = 0;
out:
	json_decref(root);
	return ret;
}

/* the object as a line, the object taken */
static char *line_of(json_t *o)
{
	if (!o)
		return NULL;
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!s)
		return NULL;
	size_t n = strlen(s);
	char *l = realloc(s, n + 2);
	if (!l) {
		free(s);
		return NULL;
	}
	l[n] = '\n';
	l[n + 1] = 0;
	return l;
}

static json_t *reply(const char *kind)
{
	return jpack("{s:i, s:s}", "api", API_VERSION, "reply", kind);
}

char *api_error_encode(const char *msg)
{
	return line_of(jpack("{s:i, s:s}", "api", API_VERSION, "error", msg));
}

char *api_providers_encode(const struct api_providers *p)
{
	char a[ADDR_STRLEN], m[MAC_STRLEN];
	json_t *arr = json_array();
	for (size_t i = 0; i < p->n; i++) {
		const struct api_provider *x = &p->v[i];
		json_t *addrs = json_array();
		for (unsigned k = 0; k < x->naddrs; k++)
			jappend(&addrs, jpack("{s:s, s:s, s:b}", "address",
				addr_str(&x->addrs[k].addr, a, sizeof(a)), "mac", mac_str(x->addrs[k].mac, m, sizeof(m)),
				"up", x->addrs[k].up));
		jappend(&arr, jpack("{s:s, s:I, s:b, s:I, s:o, s:s?}", "name", x->name, "table",
			(json_int_t)x->table, "up", x->up, "since", (json_int_t)x->since, "addresses", addrs,
			"via", x->via[0] ? x->via : NULL));
	}
	json_t *o = reply("providers");
	jset(&o, "providers", arr);
	return line_of(o);
}

static int get_int(json_t *o, const char *key, json_int_t min, json_int_t max, json_int_t *v);

static json_t *ports_json(const struct ol_ports *p)
{
	json_t *a = json_array();
	for (unsigned i = 0; i < p->n; i++)
		jappend(&a, jpack("[i, i]", (int)p->r[i].first, (int)p->r[i].last));
	return a;
}

/* [[F, L], ...]: sorted, disjoint, within 1024-65535 */
static int ports_take(json_t *a, unsigned max, struct ol_ports *p)
{
	size_t i;
	json_t *x;
	p->n = 0;
	if (!json_is_array(a) || json_array_size(a) > max)
		return -1;
	json_array_foreach(a, i, x) {
		json_int_t f, l;
		if (json_unpack(x, "[I, I]", &f, &l) || f < OL_PORT_MIN || l > 65535 || f > l)
			return -1;
		p->r[p->n].first = (uint16_t)f;
		p->r[p->n++].last = (uint16_t)l;
	}
	return ports_valid(p) ? 0 : -1;
}

static json_t *api_ports_json(const struct api_ports *v, size_t n, int with_use)
{
	char a[ADDR_STRLEN];
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *o = jpack("{s:s, s:o}", "address", addr_str(&v[i].addr, a, sizeof(a)), "ports", ports_json(&v[i].ports));
		if (with_use)
			jset(&o, "in_use", json_integer(v[i].in_use));
		jappend(&arr, o);
	}
	return arr;
}

static int api_ports_take(json_t *arr, size_t max, unsigned ranges, int with_use, struct api_ports **v, size_t *n)
{
	size_t i;
	json_t *x;
	*v = NULL;
	*n = 0;
	if (!json_is_array(arr) || json_array_size(arr) > max)
		return -1;
	if (!json_array_size(arr))
		return 0;
	if (!(*v = calloc(json_array_size(arr), sizeof(**v))))
		return -1;
	json_array_foreach(arr, i, x) {
		struct api_ports *p = &(*v)[i];
		json_int_t use = 0;
		if (addr_parse(json_string_value(json_object_get(x, "address")) ?: "", &p->addr) ||
		    ports_take(json_object_get(x, "ports"), ranges, &p->ports) ||
		    (with_use && get_int(x, "in_use", 0, 65535, &use)))
			return -1;
		p->in_use = (uint16_t)use;
		(*n)++;
	}
	return 0;
}

int api_live_encode(const struct api_ports *v, size_t n, char *buf, size_t len)
{
	json_t *o = jpack("{s:i, s:s, s:o}", "api", API_VERSION, "request", kinds[API_EGRESS_LIVE], "live",
			  api_ports_json(v, n, 1));
	size_t m = o ? json_dumpb(o, buf, len, JSON_COMPACT | JSON_PRESERVE_ORDER) : 0;
	json_decref(o);
	if (!m || m >= len)
		return -ENOSPC;
	buf[m] = 0;
	return 0;
}

int api_live_decode(const char *line, struct api_ports **v, size_t *n, const char **why)
{
	json_t *root = json_loads(line, JSON_REJECT_DUPLICATES, NULL);
	int r = -EINVAL;
	*v = NULL;
	*n = 0;
	*why = "egress-live: \"live\" must list at most 4 addresses, each {\"address\", \"in_use\", \"ports\": [[F, L], ...]}";
	if (json_is_object(root) && !api_ports_take(json_object_get(root, "live"), API_LIVE_MAX, API_LIVE_RANGES, 1, v, n))
		r = 0;
	json_decref(root);
	return r;
}

char *api_egress_encode(const struct api_egress *e)
{
	char a[ADDR_STRLEN];
	json_t *sl = json_array(), *tb = json_array();
	for (size_t i = 0; i < e->slices.n; i++)
		jappend(&sl, jpack("{s:s, s:i, s:i}", "address",
			addr_str(&e->slices.v[i].addr, a, sizeof(a)), "first", e->slices.v[i].first, "last", e->slices.v[i].last));
	for (size_t i = 0; i < e->tables.n; i++)
		jappend(&tb, jpack("{s:s, s:I}", "provider", e->tables.v[i].name, "table",
			(json_int_t)e->tables.v[i].table));
	json_t *o = reply("egress-slices");
	jset(&o, "host", json_string(e->host));
	jset(&o, "slices", sl);
	jset(&o, "tables", tb);
	if (e->reserved.n)
		jset(&o, "reserved", api_ports_json(e->reserved.v, e->reserved.n, 0));
	return line_of(o);
}

char *api_status_encode(const struct api_status *s)
{
	json_t *sw = json_array();
	for (size_t i = 0; i < s->switches.n; i++)
		jappend(&sw, jpack("{s:s, s:s, s:I, s:I}", "name", s->switches.v[i].name, "state",
			s->switches.v[i].state, "since", (json_int_t)s->switches.v[i].since, "providers",
			(json_int_t)s->switches.v[i].providers));
	json_t *o = reply("status");
	jset(&o, "name", json_string(s->name));
	jset(&o, "interface", json_string(s->interface));
	jset(&o, "ready", json_boolean(s->ready));
	jset(&o, "switches", sw);
	return line_of(o);
}

char *api_route_encode(const struct api_route *r)
{
	char a[ADDR_STRLEN], pfx[ADDR_STRLEN + 5];
	json_t *hops = json_array();
	for (unsigned i = 0; i < r->nhops; i++) {
		const struct api_route_hop *h = &r->hops[i];
		jappend(&hops, jpack("{s:s?, s:s?, s:I, s:b, s:s?, s:b}", "next_hop",
			h->gw.family ? addr_str(&h->gw, a, sizeof(a)) : NULL, "provider", h->provider[0] ? h->provider : NULL,
			"provider_table", (json_int_t)h->provider_table, "substituted", h->substituted, "via",
			h->via[0] ? h->via : NULL, "chosen", h->chosen));
	}
	snprintf(pfx, sizeof(pfx), "%s/%u", addr_str(&r->prefix, a, sizeof(a)), r->prefix_len);
	json_t *o = reply("route");
	jset(&o, "prefix", json_string(pfx));
	jset(&o, "table", json_integer(r->table));
	jset(&o, "protocol", json_integer(r->protocol));
	jset(&o, "next_hops", hops);
	jset(&o, "steered", r->steered.on ? jpack("{s:s, s:s, s:I, s:f, s:f}", "provider", r->steered.provider, "from",
						 r->steered.from, "since", (json_int_t)r->steered.since, "rtt_from_ms",
						 r->steered.rtt_from_ms, "rtt_to_ms", r->steered.rtt_to_ms) :
					json_null());
	return line_of(o);
}

/* ---- decoding ---- */

static json_t *open_reply(const char *line, const char *kind, const char **why, int *r)
{
	json_error_t jerr;
	json_t *root = json_loads(line, 0, &jerr);
	*r = -EINVAL;
	*why = "not a JSON object";
	if (!json_is_object(root))
		goto bad;
	if ((*r = check_version(root, why))) {
		*r = -EPROTO;
		goto bad;
	}
	const char *err = json_string_value(json_object_get(root, "error"));
	if (err) {
		/* the text lives in root: copied where it stays */
		static __thread char msg[256];
		snprintf(msg, sizeof(msg), "%s", err);
		*why = msg;
		*r = -EPROTO;
		goto bad;
	}
	const char *k = json_string_value(json_object_get(root, "reply"));
	if (!k || strcmp(k, kind)) {
		*why = "a reply to another request";
		*r = -EPROTO;
		goto bad;
	}
	*r = 0;
	return root;
bad:
	json_decref(root);
	return NULL;
}

static int get_name(json_t *o, const char *key, char *out, size_t len)
{
	const char *s = json_string_value(json_object_get(o, key));
	if (!s || strlen(s) >= len)
		return -1;
	snprintf(out, len, "%s", s);
	return 0;
}

static int get_int(json_t *o, const char *key, json_int_t min, json_int_t max, json_int_t *v)
{
	json_t *x = json_object_get(o, key);
	if (!json_is_integer(x) || json_integer_value(x) < min || json_integer_value(x) > max)
		return -1;
	*v = json_integer_value(x);
	return 0;
}

int api_providers_decode(const char *line, struct api_providers *p, const char **why)
{
	int r;
	size_t i, k;
	json_t *root = open_reply(line, "providers", why, &r), *x, *a;
	memset(p, 0, sizeof(*p));
	if (!root)
		return r;
	*why = "malformed provider";
	r = -EINVAL;
	json_t *arr = json_object_get(root, "providers");
	if (!json_is_array(arr))
		goto out;
	json_array_foreach(arr, i, x) {
		struct api_provider v = { 0 };
		json_int_t t, since;
		json_t *addrs = json_object_get(x, "addresses");
		if (get_name(x, "name", v.name, sizeof(v.name)) || get_int(x, "table", 1, UINT32_MAX, &t) ||
		    !json_is_boolean(json_object_get(x, "up")) || get_int(x, "since", 0, INT64_MAX, &since) ||
		    !json_is_array(addrs) || json_array_size(addrs) > OL_PROVIDER_ADDRS_MAX)
			goto out;
		v.table = (uint32_t)t;
		v.up = json_is_true(json_object_get(x, "up"));
		/* an agent before substitutions were told says nothing of them */
		json_t *vj = json_object_get(x, "via");
		if (vj && !json_is_null(vj) && get_name(x, "via", v.via, sizeof(v.via)))
			goto out;
		v.since = since;
		json_array_foreach(addrs, k, a) {
			struct ol_paddr *pa = &v.addrs[v.naddrs++];
			if (addr_parse(json_string_value(json_object_get(a, "address")) ?: "", &pa->addr) ||
			    mac_parse(json_string_value(json_object_get(a, "mac")) ?: "", pa->mac) ||
			    !json_is_boolean(json_object_get(a, "up")))
				goto out;
			pa->up = json_is_true(json_object_get(a, "up"));
		}
		if (vec_push(p, v))
			goto out;
	}
	r = 0;
out:
	json_decref(root);
	return r;
}

int api_egress_decode(const char *line, struct api_egress *e, const char **why)
{
	int r;
	size_t i;
	json_t *root = open_reply(line, "egress-slices", why, &r), *x;
	memset(e, 0, sizeof(*e));
	if (!root)
		return r;
	r = -EINVAL;
	*why = "malformed egress slices";
	json_t *sl = json_object_get(root, "slices"), *tb = json_object_get(root, "tables");
	if (get_name(root, "host", e->host, sizeof(e->host)) || !json_is_array(sl) || !json_is_array(tb))
		goto out;
	json_array_foreach(sl, i, x) {
		struct api_slice s = { 0 };
		json_int_t first, last;
		if (addr_parse(json_string_value(json_object_get(x, "address")) ?: "", &s.addr) ||
		    get_int(x, "first", 1, 65535, &first) || get_int(x, "last", first, 65535, &last))
			goto out;
		s.first = (uint16_t)first;
		s.last = (uint16_t)last;
		if (vec_push(&e->slices, s))
			goto out;
	}
	if (json_object_get(root, "reserved")) {
		struct api_ports *v;
		size_t n;
		if (api_ports_take(json_object_get(root, "reserved"), 64, OL_RANGES_MAX, 0, &v, &n)) {
			free(v);
			goto out;
		}
		e->reserved.v = v;
		e->reserved.n = e->reserved.cap = n;
	}
	json_array_foreach(tb, i, x) {
		struct api_table t = { 0 };
		json_int_t v;
		if (get_name(x, "provider", t.name, sizeof(t.name)) || get_int(x, "table", 1, UINT32_MAX, &v))
			goto out;
		t.table = (uint32_t)v;
		if (vec_push(&e->tables, t))
			goto out;
	}
	r = 0;
out:
	json_decref(root);
	return r;
}

int api_status_decode(const char *line, struct api_status *s, const char **why)
{
	int r;
	size_t i;
	json_t *root = open_reply(line, "status", why, &r), *x;
	memset(s, 0, sizeof(*s));
	if (!root)
		return r;
	r = -EINVAL;
	*why = "malformed status";
	json_t *sw = json_object_get(root, "switches");
	if (get_name(root, "name", s->name, sizeof(s->name)) ||
	    get_name(root, "interface", s->interface, sizeof(s->interface)) ||
	    !json_is_boolean(json_object_get(root, "ready")) || !json_is_array(sw))
		goto out;
	s->ready = json_is_true(json_object_get(root, "ready"));
	json_array_foreach(sw, i, x) {
		struct api_switch w = { 0 };
		json_int_t since, n;
		if (get_name(x, "name", w.name, sizeof(w.name)) || get_name(x, "state", w.state, sizeof(w.state)) ||
		    get_int(x, "since", 0, INT64_MAX, &since) || get_int(x, "providers", 0, INT64_MAX, &n))
			goto out;
		w.since = since;
		w.providers = (uint64_t)n;
		if (vec_push(&s->switches, w))
			goto out;
	}
	r = 0;
out:
	json_decref(root);
	return r;
}

void api_providers_free(struct api_providers *p)
{
	vec_free(p);
}

void api_egress_free(struct api_egress *e)
{
	vec_free(&e->slices);
	vec_free(&e->tables);
	vec_free(&e->reserved);
}

void api_status_free(struct api_status *s)
{
	vec_free(&s->switches);
}

int api_egress_equal(const struct api_egress *a, const struct api_egress *b)
{
	if (strcmp(a->host, b->host) || a->slices.n != b->slices.n || a->tables.n != b->tables.n)
		return 0;
	for (size_t i = 0; i < a->slices.n; i++)
		if (addr_cmp(&a->slices.v[i].addr, &b->slices.v[i].addr) || a->slices.v[i].first != b->slices.v[i].first ||
		    a->slices.v[i].last != b->slices.v[i].last)
			return 0;
	for (size_t i = 0; i < a->tables.n; i++)
		if (strcmp(a->tables.v[i].name, b->tables.v[i].name) || a->tables.v[i].table != b->tables.v[i].table)
			return 0;
	if (a->reserved.n != b->reserved.n)
		return 0;
	for (size_t i = 0; i < a->reserved.n; i++)
		if (addr_cmp(&a->reserved.v[i].addr, &b->reserved.v[i].addr) ||
		    !ports_equal(&a->reserved.v[i].ports, &b->reserved.v[i].ports))
			return 0;
	return 1;
}

int api_route_decode(const char *line, struct api_route *r, const char **why)
{
	int ret;
	size_t i;
	json_t *root = open_reply(line, "route", why, &ret), *x;
	memset(r, 0, sizeof(*r));
	if (!root)
		return ret;
	json_int_t v;
	const char *pfx = json_string_value(json_object_get(root, "prefix"));
	char a[ADDR_STRLEN + 8], *slash;
	*why = "route: bad prefix";
	ret = -EINVAL;
	if (!pfx || strlen(pfx) >= sizeof(a))
		goto out;
	strcpy(a, pfx);
	if (!(slash = strchr(a, '/')))
		goto out;
	*slash = 0;
	char *end;
	unsigned long len = strtoul(slash + 1, &end, 10);
	if (addr_parse(a, &r->prefix) || *end || !slash[1] || len > (r->prefix.family == AF_INET ? 32u : 128u))
		goto out;
	r->prefix_len = (uint8_t)len;
	*why = "route: bad table or protocol";
	if (get_int(root, "table", 0, UINT32_MAX, &v))
		goto out;
	r->table = (uint32_t)v;
	if (get_int(root, "protocol", 0, 255, &v))
		goto out;
	r->protocol = (uint8_t)v;
	*why = "route: bad next_hops";
	json_t *hops = json_object_get(root, "next_hops");
	if (!json_is_array(hops) || json_array_size(hops) > API_ROUTE_HOPS_MAX)
		goto out;
	json_array_foreach(hops, i, x) {
		struct api_route_hop *h = &r->hops[r->nhops++];
		json_t *g = json_object_get(x, "next_hop"), *p = json_object_get(x, "provider"), *via = json_object_get(x, "via");
		if (!json_is_object(x) || (!json_is_null(g) && (!json_is_string(g) || addr_parse(json_string_value(g), &h->gw))))
			goto out;
		if (!json_is_null(p) && get_name(x, "provider", h->provider, sizeof(h->provider)))
			goto out;
		if (!json_is_null(via) && get_name(x, "via", h->via, sizeof(h->via)))
			goto out;
		if (get_int(x, "provider_table", 0, UINT32_MAX, &v) || !json_is_boolean(json_object_get(x, "substituted")) ||
		    !json_is_boolean(json_object_get(x, "chosen")))
			goto out;
		h->provider_table = (uint32_t)v;
		h->substituted = json_is_true(json_object_get(x, "substituted"));
		h->chosen = json_is_true(json_object_get(x, "chosen"));
	}
	*why = "route: bad steered";
	json_t *st = json_object_get(root, "steered");
	if (st && !json_is_null(st)) {
		json_t *rf = json_object_get(st, "rtt_from_ms"), *rt = json_object_get(st, "rtt_to_ms");
		const char *from = json_string_value(json_object_get(st, "from"));
		if (!json_is_object(st) || get_name(st, "provider", r->steered.provider, sizeof(r->steered.provider)) ||
		    !from || strlen(from) >= sizeof(r->steered.from) || get_int(st, "since", 0, INT64_MAX, &v) ||
		    !json_is_number(rf) || !json_is_number(rt))
			goto out;
		snprintf(r->steered.from, sizeof(r->steered.from), "%s", from);
		r->steered.since = v;
		r->steered.rtt_from_ms = json_number_value(rf);
		r->steered.rtt_to_ms = json_number_value(rt);
		r->steered.on = 1;
	}
	ret = 0;
out:
	json_decref(root);
	return ret;
}
