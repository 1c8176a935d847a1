/* The switch agent's state file (swstate.h). */
#include "switch/swstate.h"
#include "base/file.h"
#include "base/log.h"
#include "base/vec.h"
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

int swstate_decode(struct swstate *st, const char *text, const char **why)
{
	json_error_t err;
	json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &err), *list, *x;
	struct swstate_alias *v = NULL;
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
out:
	json_decref(root);
	if (*why) {
		free(v);
		return -1;
	}
	free(st->aliases);
	st->aliases = v;
	st->n = n;
	st->cap = cap;
	return 0;
}

char *swstate_encode(const struct swstate *st)
{
	json_t *list = json_array();
	for (size_t i = 0; list && i < st->n; i++)
		if (json_array_append_new(list, json_pack("{s:s, s:s}", "port", st->aliases[i].port, "alias",
							  st->aliases[i].alias))) {
			json_decref(list);
			return NULL;
		}
	json_t *root = list ? json_pack("{s:i, s:s, s:o}", "onlink_state", SWSTATE_VERSION, "role", "switch",
					"port_aliases", list) : NULL;
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
	if (!st->path[0])
		return 0;
	char *text = file_read(st->path);
	if (!text) {
		if (errno == ENOENT)
			return 0;
		log_err("state file %s: %s", st->path, strerror(errno));
		return -1;
	}
	int r = swstate_decode(st, text, &why);
	free(text);
	if (r) {
		/* kept aside, not lost and not overwritten by the next save */
		char aside[sizeof(st->path) + 32];
		snprintf(aside, sizeof(aside), "%s.bad-%lld", st->path, (long long)time(NULL));
		int mv = rename(st->path, aside);
		log_err("state file %s: %s; %s, and the agent starts without it", st->path, why,
			mv ? "it could not be moved aside" : "moved aside");
		if (!mv)
			log_err("state file %s: the old one is %s", st->path, aside);
		return mv ? -1 : 0;
	}
	if (st->n)
		log_info("state file %s: %zu port aliases to give back", st->path, st->n);
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
