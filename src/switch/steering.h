/* [steer] in the switch agent (docs/steering.md): the targets every host
 * probes, the hosts' reports gathered per window, one decision per window
 * (steerdec.c) and the overrides sent to every host, renewed each window.
 * Logged with the figures that justified each move, counted, in status. */
#ifndef OL_STEERING_H
#define OL_STEERING_H
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

struct switchd;
struct conn;
struct steering;

/* NULL without [steer]; 0 or negative errno (its timer) */
int steering_new(struct switchd *s, struct steering **out);
void steering_free(struct steering *st);
/* [steer] changed (a reload in place): prefixes still configured keep
 * their state; the hosts get the new targets. */
int steering_reload(struct switchd *s, struct steering **st);
/* WM_STEER_REPORT from a host: 0, or -1 with *why (its session ends) */
int steering_report(struct steering *st, const char *host, const uint8_t *body, size_t n, const char **why);
/* a new session's snapshot: the targets and the overrides */
int steering_snapshot(struct steering *st, struct conn *c);
/* the providers changed: an override to one that is down goes at once */
void steering_providers(struct steering *st);
json_t *steering_json(struct steering *st);
void steering_metrics(struct steering *st, FILE *f);
#endif
