/* Prefixes that follow the probes, on a host (docs/steering.md): the
 * targets the switch agents name are probed through every provider (the
 * engine of [probe]), each window's figures are reported to every switch
 * agent (WM_STEER_REPORT), and the overrides they decide become rules that
 * send unmarked traffic to a prefix through the chosen provider
 * (desired_steer). An override not renewed for its ttl goes (fail-static:
 * BGP's choice again when no switch agent speaks). */
#ifndef OL_HOST_FOLLOW_H
#define OL_HOST_FOLLOW_H
#include "base/addr.h"
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct hostd;
struct follow;
struct steer_rule;

int follow_new(struct hostd *h, struct follow **out);
void follow_free(struct follow *f);
/* WM_STEER_TARGETS, WM_STEER_OVERRIDE from switch sw (config order): 0,
 * or -1 with *why (malformed: the session ends) */
int follow_msg(struct hostd *h, unsigned sw, uint8_t type, const uint8_t *body, size_t n, const char **why);
/* The rules in force: one per prefix, from the first switch agent (config
 * order) that overrides it. */
const struct steer_rule *follow_rules(const struct follow *f, size_t *n);
/* The override in force covering a (longest prefix); NULL: none */
struct steer_override;
const struct steer_override *follow_route(const struct follow *f, const struct ol_addr *a);
json_t *follow_json(const struct follow *f);
void follow_metrics(const struct follow *f, FILE *out);
#endif
