/* JSON renderings of the model. */
#include "proto/json.h"

json_t *egress_to_json(const struct ol_egress *e, const char *me)
{
	char a[ADDR_STRLEN];
	json_t *sl = json_array();
	for (unsigned k = 0; k < e->nslices; k++)
		json_array_append_new(sl, json_pack("{s:s, s:i, s:i}", "host", e->slices[k].host, "first",
						    e->slices[k].first, "last", e->slices[k].last));
	json_t *o = json_pack("{s:s, s:o}", "address", addr_str(&e->addr, a, sizeof(a)), "slices", sl);
	if (me) {
		const struct ol_slice *mine = egress_slice_of(e, me);
		json_object_set_new(o, "mine", mine ? json_pack("{s:i, s:i}", "first", mine->first, "last", mine->last)
						  : json_null());
	}
	return o;
}
