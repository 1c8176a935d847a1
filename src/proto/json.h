/* The model as JSON, for the daemons' status answers. */
#ifndef OL_JSON_H
#define OL_JSON_H
#include "proto/model.h"
#include <jansson.h>

/* {"address", "slices": [{"host", "first", "last"}]}, and "mine" (this
 * host's slice or null) when `me` is given. */
json_t *egress_to_json(const struct ol_egress *e, const char *me);
#endif
