/* The switch agent's state file (swstate.h). */
#include "switch/swstate.h"
#include "proto/json.h"
#include "base/file.h"
#include "base/log.h"
#include "base/vec.h"
#include "proto/model.h"
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* "by": a string that fits, printable */
static int by_ok(json_t *x, char *out, size_t len)
{
	const char *s = json_string_value(x);
	if (!x)
		return out[0] = 0, 1;
	if (!s || strlen(s) >= len || !printable(s))
		return 0;
	snprintf(out, len, "%s", s);
	return 1;
}

static int u32_of(json_t *x, unsigned long max, unsigned long *out)
{
	if (!json_is_integer(x) || json_integer_value(x) < 0 || (unsigned long long)json_integer_value(x) > max)
		return 0;
	*out = (unsigned long)json_integer_value(x);
	return 1;
}

static const char *decode_announcement(json_t *x, struct announcement *a)
{
	unsigned long v;
	const char *pfx = json_string_value(json_object_get(x, "prefix"));
	const char *prov = json_string_value(json_object_get(x, "provider"));
	json_t *med = json_object_get(x, "med"), *comms = json_object_get(x, "communities"), *c;
	size_t k;
	memset(a, 0, sizeof(*a));
	if (!json_is_object(x) || !pfx || cfg_prefix_parse(pfx, &a->prefix))
		return "an announcement without a prefix (ADDR/LEN)";
	if (!prov || !name_valid(prov))
		return "an announcement without a provider name";
	snprintf(a->provider, sizeof(a->provider), "%s", prov);
	if (!u32_of(json_object_get(x, "prepend"), ANN_PREPEND_MAX, &v))
		return "an announcement's prepend is not 0 to 16";
	a->prepend = (unsigned)v;
	if (!u32_of(json_object_get(x, "asn"), UINT32_MAX, &a->asn))
		return "an announcement's asn is not 0 to 4294967295";
	if (med && !json_is_null(med)) {
		if (!u32_of(med, UINT32_MAX, &a->med))
			return "an announcement's med is not 0 to 4294967295";
		a->has_med = 1;
	}
	if (json_object_get(x, "no_export") && !json_is_boolean(json_object_get(x, "no_export")))
		return "an announcement's no_export is not true or false";
	a->no_export = json_is_true(json_object_get(x, "no_export"));
	if (comms && (!json_is_array(comms) || json_array_size(comms) > ANN_COMM_MAX))
		return "an announcement's communities are not a list of at most 8";
	json_array_foreach(comms, k, c) {
		const char *cs = json_string_value(c);
		if (!cs || ann_comm_parse(cs, &a->comm[a->ncomm]))
			return "an announcement's community is not A:B or A:B:C";
		for (unsigned j = 0; j < a->ncomm; j++)
			if (!memcmp(&a->comm[j], &a->comm[a->ncomm], sizeof(a->comm[j])))
				return "an announcement's community is listed twice";
		a->ncomm++;
	}
	json_t *since = json_object_get(x, "since");
	if (since && !json_is_integer(since))
		return "an announcement's since is not a time";
	a->since = since ? (int64_t)json_integer_value(since) : 0;
	if (!by_ok(json_object_get(x, "by"), a->by, sizeof(a->by)))
		return "an announcement's by is not a short text";
	return NULL;
}

/* "announcements", "drained" and "purge" into ann and purge */
static const char *decode_ops(json_t *root, struct ann_state *ann, struct swstate_purge *pg)
{
	json_t *list = json_object_get(root, "announcements"), *x;
	size_t i;
	const char *why;
	if (list && !json_is_array(list))
		return "\"announcements\" is not an array";
	if (json_array_size(list) > ANN_MAX)
		return "more than 4096 announcements";
	json_array_foreach(list, i, x) {
		struct announcement a;
		if ((why = decode_announcement(x, &a)))
			return why;
		for (size_t k = 0; k < ann->n; k++)
			if (!strcmp(ann->a[k].provider, a.provider) && ann->a[k].prefix.len == a.prefix.len &&
			    !addr_cmp(&ann->a[k].prefix.addr, &a.prefix.addr))
				return "an announcement listed twice";
		ann->a[ann->n++] = a;
	}
	list = json_object_get(root, "drained");
	if (list && !json_is_array(list))
		return "\"drained\" is not an array";
	if (json_array_size(list) > sizeof(ann->drained) / sizeof(ann->drained[0]))
		return "too many drained providers";
	json_array_foreach(list, i, x) {
		const char *prov = json_string_value(json_object_get(x, "provider"));
		json_t *since = json_object_get(x, "since");
		char by[64];
		if (!json_is_object(x) || !prov || !name_valid(prov) || (since && !json_is_integer(since)) ||
		    !by_ok(json_object_get(x, "by"), by, sizeof(by)))
			return "a drained provider that is not {\"provider\": NAME, \"since\": TIME, \"by\": TEXT}";
		if (ann_drained(ann, prov))
			return "a provider drained twice";
		ann_set_drained(ann, prov, 1, since ? (int64_t)json_integer_value(since) : 0, by);
	}
	x = json_object_get(root, "purge");
	if (x && !json_is_null(x)) {
		const char *prov = json_string_value(json_object_get(x, "provider"));
		json_t *since = json_object_get(x, "since");
		if (!json_is_object(x) || !prov || !name_valid(prov) || !json_is_boolean(json_object_get(x, "soft")) ||
		    (since && !json_is_integer(since)) || !by_ok(json_object_get(x, "by"), pg->by, sizeof(pg->by)))
			return "a purge that is not {\"provider\": NAME, \"soft\": BOOL, \"since\": TIME, \"by\": TEXT}";
		pg->active = 1;
		snprintf(pg->provider, sizeof(pg->provider), "%s", prov);
		pg->soft = json_is_true(json_object_get(x, "soft"));
		pg->since = since ? (int64_t)json_integer_value(since) : 0;
	}
	return NULL;
}

int swstate_decode(struct swstate *st, const char *text, const char **why)
{
	json_error_t err;
	json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &err), *list, *x;
	struct swstate_alias *v = NULL;
	struct ann_state *ann = NULL;
	struct swstate_purge pg = { 0 };
	int has_ops = 0;
	struct leases leases = { 0 };
	struct moves moves = { 0 };
	unsigned leases_bad = 0, moves_bad = 0;
	size_t n = 0, cap = 0, i;
	*why = NULL;
	if (!root || !json_is_object(root)) {
		*why = "not a JSON object";
		goto out;
	}
	json_t *ver = json_object_get(root, "onlink_state");
	if (!json_is_integer(ver) || json_integer_value(ver) < 1) {
		*why = "no \"onlink_state\" version";
		goto out;
	}
	if (json_integer_value(ver) > SWSTATE_VERSION) {
		*why = "written by a newer onlink (version above 1)";
		goto out;
	}
	if (!json_is_string(json_object_get(root, "role")) || strcmp(json_string_value(json_object_get(root, "role")), "switch")) {
		*why = "not a switch agent's state (\"role\")";
		goto out;
	}
	list = json_object_get(root, "port_aliases");
	if (list && !json_is_array(list)) {
		*why = "\"port_aliases\" is not an array";
		goto out;
	}
	if (json_array_size(list) > SWSTATE_ALIASES_MAX) {
		*why = "more than 4096 port aliases";
		goto out;
	}
	json_array_foreach(list, i, x) {
		const char *port = json_string_value(json_object_get(x, "port"));
		const char *alias = json_string_value(json_object_get(x, "alias"));
		if (!json_is_object(x) || !port || !alias || !port[0] || strlen(port) >= IF_NAMESIZE ||
		    strlen(alias) >= SWSTATE_ALIAS_MAX || !printable(port) ||
		    strchr(port, ' ') || strchr(port, '/')) {
			*why = "a port alias that is not {\"port\": NAME, \"alias\": TEXT}";
			goto out;
		}
		for (size_t k = 0; k < n; k++)
			if (!strcmp(v[k].port, port)) {
				*why = "a port named twice in \"port_aliases\"";
				goto out;
			}
		if (vec_reserve_((void **)&v, &cap, n + 1, sizeof(*v))) {
			*why = "out of memory";
			goto out;
		}
		snprintf(v[n].port, sizeof(v[n].port), "%s", port);
		snprintf(v[n].alias, sizeof(v[n].alias), "%s", alias);
		n++;
	}
	if (!(ann = calloc(1, sizeof(*ann)))) {
		*why = "out of memory";
		goto out;
	}
	has_ops = json_object_get(root, "announcements") || json_object_get(root, "drained");
	*why = decode_ops(root, ann, &pg);
	list = json_object_get(root, "leases");
	if (!*why && list && !json_is_array(list))
		*why = "\"leases\" is not an array";
	if (!*why && leases_from_json(&leases, list, &leases_bad))
		*why = "out of memory";
	list = json_object_get(root, "moves");
	if (!*why && list && !json_is_array(list))
		*why = "\"moves\" is not an array";
	if (!*why && moves_from_json(&moves, list, &moves_bad))
		*why = "out of memory";
out:
	json_decref(root);
	if (*why) {
		free(v);
		free(ann);
		leases_free(&leases);
		moves_free(&moves);
		return -1;
	}
	leases_free(&st->leases);
	st->leases = leases;
	st->leases_bad = leases_bad;
	moves_free(&st->moves);
	st->moves = moves;
	st->moves_bad = moves_bad;
	free(st->aliases);
	st->aliases = v;
	st->n = n;
	st->cap = cap;
	free(st->ann);
	st->ann = ann;
	st->has_ops = has_ops;
	st->purge = pg;
	return 0;
}

static json_t *encode_announcement(const struct announcement *a)
{
	char pfx[ADDR_STRLEN + 5], ad[ADDR_STRLEN], comm[ANN_COMM_MAX * 34];
	snprintf(pfx, sizeof(pfx), "%s/%u", addr_str(&a->prefix.addr, ad, sizeof(ad)), a->prefix.len);
	json_t *cs = json_array();
	ann_comm_str(a, comm, sizeof(comm));
	for (char *save = NULL, *c = comm[0] ? strtok_r(comm, ",", &save) : NULL; cs && c; c = strtok_r(NULL, ",", &save))
		jappend(&cs, json_string(c));
	return jpack("{s:s, s:s, s:i, s:I, s:o, s:b, s:o, s:I, s:s}", "prefix", pfx, "provider", a->provider,
			 "prepend", (int)a->prepend, "asn", (json_int_t)a->asn,
			 "med", a->has_med ? json_integer((json_int_t)a->med) : json_null(), "no_export", a->no_export,
			 "communities", cs ? cs : json_array(), "since", (json_int_t)a->since, "by", a->by);
}

char *swstate_encode(const struct swstate *st)
{
	json_t *list = json_array(), *anns = json_array(), *drained = json_array();
	int bad = !list || !anns || !drained;
	for (size_t i = 0; !bad && i < st->n; i++)
		bad = jappend(&list, jpack("{s:s, s:s}", "port", st->aliases[i].port, "alias",
							    st->aliases[i].alias));
	for (size_t i = 0; !bad && st->ann && i < st->ann->n; i++)
		bad = jappend(&anns, encode_announcement(&st->ann->a[i]));
	for (size_t i = 0; !bad && st->ann && i < st->ann->ndrained; i++) {
		const struct ann_drain *d = &st->ann->drained[i];
		bad = jappend(&drained, jpack("{s:s, s:I, s:s}", "provider", d->provider, "since",
							       (json_int_t)d->since, "by", d->by));
	}
	json_t *purge = !st->purge.active ? json_null() :
		jpack("{s:s, s:b, s:I, s:s}", "provider", st->purge.provider, "soft", st->purge.soft, "since",
			  (json_int_t)st->purge.since, "by", st->purge.by);
	json_t *leases = leases_to_json(&st->leases), *moves = moves_to_json(&st->moves);
	json_t *root = !bad && purge && leases && moves ?
		jpack("{s:i, s:s, s:O, s:O, s:O, s:O, s:O, s:O}", "onlink_state", SWSTATE_VERSION, "role", "switch",
		      "announcements", anns, "drained", drained, "purge", purge, "port_aliases", list, "leases", leases,
		      "moves", moves) : NULL;
	json_decref(leases);
	json_decref(moves);
	json_decref(list);
	json_decref(anns);
	json_decref(drained);
	json_decref(purge);
	char *s = root ? json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(root);
	if (s) {
		size_t l = strlen(s);
		char *t = realloc(s, l + 2);
		if (!t) {
			free(s);
			return NULL;
		}
		t[l] = '\n';
		t[l + 1] = 0;
		s = t;
	}
	return s;
}

int swstate_load(struct swstate *st, const char *path)
{
	const char *why;
	snprintf(st->path, sizeof(st->path), "%s", path ? path : "");
	if (!st->ann && !(st->ann = calloc(1, sizeof(*st->ann))))
		return -1;
	if (!st->path[0])
		return 0;
	char *text = file_read(st->path);
	if (!text) {
		if (errno == ENOENT)
			return 0;
		log_err("state file %s: %s: not started, so that it is not overwritten unread (fix it, or move it away)",
			st->path, strerror(errno));
		return -1;
	}
	int r = swstate_decode(st, text, &why);
	free(text);
	if (r) {
		/* kept aside, not lost and not overwritten by the next save */
		char aside[sizeof(st->path) + 32];
		snprintf(aside, sizeof(aside), "%s.bad-%lld", st->path, (long long)time(NULL));
		int mv = rename(st->path, aside);
		if (mv) {
			log_err("state file %s: %s, and it cannot be moved aside (%s): not started, so that it is not "
				"overwritten unread (fix it, or move it away)", st->path, why, strerror(errno));
			return -1;
		}
		log_err("state file %s: %s; moved aside as %s, and the agent starts without it", st->path, why, aside);
		return 0;
	}
	log_info("state file %s: %zu announcements, %zu drained providers, %zu port aliases to give back", st->path,
		 st->ann->n, st->ann->ndrained, st->n);
	return 0;
}

int swstate_save(struct swstate *st)
{
	if (!st->path[0])
		return 0;
	char *text = swstate_encode(st);
	int r = text ? file_replace(st->path, text, 0640) : -ENOMEM;
	free(text);
	if (r && !st->save_failed)
		log_err("state file %s: cannot write it: %s (kept in memory; written at the next change)", st->path,
			strerror(-r));
	else if (!r && st->save_failed)
		log_info("state file %s: written again", st->path);
	st->save_failed = r != 0;
	return r;
}

void swstate_free(struct swstate *st)
{
	free(st->aliases);
	st->aliases = NULL;
	st->n = st->cap = 0;
	free(st->ann);
	st->ann = NULL;
	leases_free(&st->leases);
	moves_free(&st->moves);
}

static struct swstate_alias *find(const struct swstate *st, const char *port)
{
	for (size_t i = 0; i < st->n; i++)
		if (!strcmp(st->aliases[i].port, port))
			return &st->aliases[i];
	return NULL;
}

const char *swstate_alias(const struct swstate *st, const char *port)
{
	const struct swstate_alias *a = find(st, port);
	return a ? a->alias : NULL;
}

int swstate_alias_set(struct swstate *st, const char *port, const char *alias)
{
	struct swstate_alias *a = find(st, port);
	if (a && !strcmp(a->alias, alias))
		return 0;
	if (!a) {
		if (st->n >= SWSTATE_ALIASES_MAX || vec_reserve_((void **)&st->aliases, &st->cap, st->n + 1, sizeof(*a)))
			return -ENOMEM;
		a = &st->aliases[st->n++];
		snprintf(a->port, sizeof(a->port), "%s", port);
	}
	snprintf(a->alias, sizeof(a->alias), "%s", alias);
	return swstate_save(st);
}

void swstate_alias_del(struct swstate *st, const char *port)
{
	struct swstate_alias *a = find(st, port);
	if (!a)
		return;
	*a = st->aliases[--st->n];
	swstate_save(st);
}
