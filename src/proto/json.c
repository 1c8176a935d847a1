/* JSON renderings of the model, and the checked builders. */
#include "proto/json.h"
#include "base/log.h"
#include <stdarg.h>

json_t *jpack_at(const char *file, int line, const char *fmt, ...)
{
	json_error_t err;
	va_list ap;
	va_start(ap, fmt);
	json_t *v = json_vpack_ex(&err, 0, fmt, ap);
	va_end(ap);
	if (!v) {
		static struct ratelimit rl = RATELIMIT_INIT(10000, 5);
		char text[sizeof(err.text) * 4];
		str_escape_ctl(text, sizeof(text), err.text);
		log_limited(&rl, LOG_WARNING, "%s:%d: an answer could not be built: %s", file, line, text);
	}
	return v;
}

int jappend(json_t **to, json_t *v)
{
	if (*to && v && !json_array_append_new(*to, v))
		return 0;
	if (!*to || !v)
		json_decref(v); /* json_array_append_new frees v itself when *to is set */
	json_decref(*to);
	*to = NULL;
	return -1;
}

int jset(json_t **to, const char *key, json_t *v)
{
	if (*to && v && !json_object_set_new(*to, key, v))
		return 0;
	if (!*to || !v)
		json_decref(v);
	json_decref(*to);
	*to = NULL;
	return -1;
}

json_t *egress_to_json(const struct ol_egress *e, const char *me)
{
	char a[ADDR_STRLEN];
	json_t *sl = json_array();
	for (unsigned k = 0; k < e->nslices; k++)
		jappend(&sl, jpack("{s:s, s:i, s:i}", "host", e->slices[k].host, "first", e->slices[k].first, "last",
				   e->slices[k].last));
	json_t *o = jpack("{s:s, s:o}", "address", addr_str(&e->addr, a, sizeof(a)), "slices", sl);
	if (me) {
		const struct ol_slice *mine = egress_slice_of(e, me);
		jset(&o, "mine", mine ? jpack("{s:i, s:i}", "first", mine->first, "last", mine->last) : json_null());
	}
	return o;
}
