/* The switch agent's operator API (opapi.h). */
#include "proto/opapi.h"
#include "proto/json.h"
#include "proto/api.h"
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kinds[] = {
	[OP_DRAIN] = "drain", [OP_UNDRAIN] = "undrain", [OP_ANNOUNCE] = "announce",
	[OP_WITHDRAW] = "withdraw", [OP_PURGE] = "purge", [OP_ANNOUNCEMENTS] = "announcements",
	[OP_STATUS] = "status", [OP_SUBSCRIBE] = "subscribe", [OP_EGRESS_MOVE] = "egress-move",
};
static const char *const topic_names[OP_TOPICS] = { "providers", "sessions", "bird" };

const char *opapi_topic_str(unsigned bit)
{
	for (unsigned i = 0; i < OP_TOPICS; i++)
		if (bit == 1u << i)
			return topic_names[i];
	return "?";
}
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

/* the keys each request takes, besides "api" and "request" */
static const char *const keys[NKINDS][8] = {
	[OP_DRAIN] = { "provider" }, [OP_UNDRAIN] = { "provider" },
	[OP_ANNOUNCE] = { "prefix", "provider", "prepend", "med", "no_export", "communities" },
	[OP_WITHDRAW] = { "prefix", "provider" }, [OP_PURGE] = { "provider", "soft", "timeout" },
	[OP_ANNOUNCEMENTS] = { NULL }, [OP_STATUS] = { NULL }, [OP_SUBSCRIBE] = { "topics" },
	[OP_EGRESS_MOVE] = { "host" },
};

const char *opapi_kind_str(enum opapi_kind k)
{
	return k > 0 && (size_t)k < NKINDS ? kinds[k] : "?";
}

int opapi_request_encode(const struct opapi_request *r, char *buf, size_t len)
{
	json_t *o = jpack("{s:i, s:s}", "api", API_VERSION, "request", opapi_kind_str(r->kind));
	int bad = !o;
	if (!bad && r->kind == OP_SUBSCRIBE) {
		json_t *t = json_array();
		for (unsigned i = 0; t && i < OP_TOPICS; i++)
			if (r->topics & 1u << i)
				jappend(&t, json_string(topic_names[i]));
		bad = jset(&o, "topics", t);
	}
	if (!bad && r->kind == OP_EGRESS_MOVE)
		bad = jset(&o, "host", json_string(r->host));
	if (!bad && r->kind != OP_ANNOUNCEMENTS && r->kind != OP_STATUS && r->kind != OP_SUBSCRIBE &&
	    r->kind != OP_EGRESS_MOVE)
		bad = jset(&o, "provider", json_string(r->provider));
	if (!bad && (r->kind == OP_ANNOUNCE || r->kind == OP_WITHDRAW))
		bad = jset(&o, "prefix", json_string(r->prefix));
	if (!bad && r->kind == OP_ANNOUNCE) {
		json_t *cs = json_array();
		for (unsigned i = 0; cs && i < r->ncomm; i++)
			jappend(&cs, json_string(r->communities[i]));
		bad = jset(&o, "prepend", json_integer(r->prepend)) ||
		      (r->has_med && jset(&o, "med", json_integer(r->med))) ||
		      jset(&o, "no_export", json_boolean(r->no_export)) ||
		      jset(&o, "communities", cs);
	}
	if (!bad && r->kind == OP_PURGE)
		bad = jset(&o, "soft", json_boolean(r->soft)) ||
		      jset(&o, "timeout", json_integer(r->timeout_s));
	char *s = bad ? NULL : json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!s)
		return -ENOMEM;
	int r2 = strlen(s) < len ? (snprintf(buf, len, "%s", s), 0) : -ENOSPC;
	free(s);
	return r2;
}

/* a string that fits, of printable ASCII */
static int text_of(json_t *x, char *out, size_t len)
{
	const char *s = json_string_value(x);
	if (!s || strlen(s) >= len)
		return 0;
	for (const char *c = s; *c; c++)
		if ((unsigned char)*c < 0x21 || (unsigned char)*c > 0x7e)
			return 0;
	snprintf(out, len, "%s", s);
	return 1;
}

static int uint_of(json_t *x, unsigned long long max, unsigned long long *out)
{
	if (!json_is_integer(x) || json_integer_value(x) < 0 || (unsigned long long)json_integer_value(x) > max)
		return 0;
	*out = (unsigned long long)json_integer_value(x);
	return 1;
}

static int fail(const char **why, const char *msg, int err)
{
	*why = msg;
	return err;
}

static int decode(json_t *o, struct opapi_request *r, const char **why)
{
	unsigned long long v;
	const char *key;
	json_t *x;
	json_t *ver = json_object_get(o, "api");
	if (!json_is_integer(ver))
		return fail(why, "no \"api\" version (this agent serves api 1)", -EINVAL);
	if (json_integer_value(ver) != API_VERSION)
		return fail(why, "api version not served (this agent serves api 1)", -EPROTONOSUPPORT);
	const char *req = json_string_value(json_object_get(o, "request"));
	size_t k = 1;
	while (req && k < NKINDS && strcmp(kinds[k], req))
		k++;
	if (!req || k == NKINDS)
		return fail(why, "unknown request", -ENOENT);
	r->kind = (enum opapi_kind)k;
	json_object_foreach(o, key, x) {
		int known = !strcmp(key, "api") || !strcmp(key, "request");
		for (size_t i = 0; !known && i < 8 && keys[k][i]; i++)
			known = !strcmp(key, keys[k][i]);
		if (!known) {
			static char msg[96];
			snprintf(msg, sizeof(msg), "%s takes no key '%.32s'", kinds[k], key);
			for (char *c = msg; *c; c++)
				if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
					*c = '?';
			return fail(why, msg, -EINVAL);
		}
	}
	if (r->kind == OP_SUBSCRIBE) {
		size_t i;
		json_t *t = json_object_get(o, "topics"), *n;
		if (!json_is_array(t) || !json_array_size(t))
			return fail(why, "topics: a list of providers, sessions, bird", -EINVAL);
		json_array_foreach(t, i, n) {
			unsigned bit = 0;
			for (unsigned j = 0; j < OP_TOPICS && json_is_string(n); j++)
				if (!strcmp(json_string_value(n), topic_names[j]))
					bit = 1u << j;
			if (!bit || (r->topics & bit))
				return fail(why, "topics: a list of providers, sessions, bird (each once)", -EINVAL);
			r->topics |= bit;
		}
		return 0;
	}
	if (r->kind == OP_EGRESS_MOVE) {
		if (!text_of(json_object_get(o, "host"), r->host, sizeof(r->host)) || !name_valid(r->host))
			return fail(why, "host: not a name (letters, digits, '.', '_', '-'; at most 31)", -EINVAL);
		return 0;
	}
	if (r->kind != OP_ANNOUNCEMENTS && r->kind != OP_STATUS &&
	    (!text_of(json_object_get(o, "provider"), r->provider, sizeof(r->provider)) || !name_valid(r->provider)))
		return fail(why, "provider: not a name (letters, digits, '.', '_', '-'; at most 31)", -EINVAL);
	if ((r->kind == OP_ANNOUNCE || r->kind == OP_WITHDRAW) &&
	    !text_of(json_object_get(o, "prefix"), r->prefix, sizeof(r->prefix)))
		return fail(why, "prefix: not ADDR/LEN", -EINVAL);
	if (r->kind == OP_ANNOUNCE) {
		if ((x = json_object_get(o, "prepend"))) {
			if (!uint_of(x, OPAPI_PREPEND_MAX, &v))
				return fail(why, "prepend: 0 to 16", -EINVAL);
			r->prepend = (unsigned)v;
		}
		if ((x = json_object_get(o, "med"))) {
			if (!uint_of(x, UINT32_MAX, &v))
				return fail(why, "med: 0 to 4294967295", -EINVAL);
			r->has_med = 1;
			r->med = (uint32_t)v;
		}
		if ((x = json_object_get(o, "no_export"))) {
			if (!json_is_boolean(x))
				return fail(why, "no_export: true or false", -EINVAL);
			r->no_export = json_is_true(x);
		}
		if ((x = json_object_get(o, "communities"))) {
			size_t i;
			json_t *c;
			if (!json_is_array(x) || json_array_size(x) > OPAPI_COMM_MAX)
				return fail(why, "communities: a list of at most 8", -EINVAL);
			json_array_foreach(x, i, c)
				if (!text_of(c, r->communities[r->ncomm++], OPAPI_COMM_LEN))
					return fail(why, "communities: each a string A:B or A:B:C", -EINVAL);
		}
	}
	if (r->kind == OP_PURGE) {
		if ((x = json_object_get(o, "soft"))) {
			if (!json_is_boolean(x))
				return fail(why, "soft: true or false", -EINVAL);
			r->soft = json_is_true(x);
		}
		if ((x = json_object_get(o, "timeout"))) {
			if (!uint_of(x, OPAPI_TIMEOUT_MAX, &v) || !v)
				return fail(why, "timeout: 1 to 600 seconds", -EINVAL);
			r->timeout_s = (unsigned)v;
		}
	}
	return 0;
}

int opapi_request_decode(const char *line, struct opapi_request *r, const char **why)
{
	memset(r, 0, sizeof(*r));
	r->timeout_s = OPAPI_TIMEOUT_DEFAULT;
	json_t *o = json_loads(line, JSON_REJECT_DUPLICATES, NULL);
	int ret = json_is_object(o) ? decode(o, r, why) : fail(why, "not a JSON object", -EINVAL);
	json_decref(o);
	return ret;
}
