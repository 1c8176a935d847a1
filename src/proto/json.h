/* The model as JSON, and checked builders for the daemons' answers. */
#ifndef OL_JSON_H
#define OL_JSON_H
#include "proto/model.h"
#include <jansson.h>

/* {"address", "slices": [{"host", "first", "last"}]}, and "mine" (this
 * host's slice or null) when `me` is given. */
json_t *egress_to_json(const struct ol_egress *e, const char *me);

/* json_pack() that names the call site in a log line when it cannot build
 * its value (a NULL string without '?', text that is not UTF-8, no
 * memory), then returns NULL. A NULL packed with "o" fails the outer pack
 * too, so one failure anywhere makes the whole answer NULL, which every
 * agent answers with an error: an answer is never quietly incomplete. */
#define jpack(...) jpack_at(__FILE__, __LINE__, __VA_ARGS__)
json_t *jpack_at(const char *file, int line, const char *fmt, ...);
/* json_array_append_new() and json_object_set_new() that do the same: a
 * NULL value (or a failed insert) frees *to and leaves it NULL. Return
 * 0, or -1 when *to is (now) NULL. */
int jappend(json_t **to, json_t *v);
int jset(json_t **to, const char *key, json_t *v);
#endif
