/* The switch's control over its providers beyond what the kernel shows:
 * failure state and hold-down (failover.c), BIRD (bird.c: session states,
 * enable/disable, announcements through the generated include file
 * announce.c), and the operator commands drain, undrain, announce and
 * withdraw. switchd feeds it the observed providers and publishes what
 * provctl_publish() says. */
#ifndef OL_PROVCTL_H
#define OL_PROVCTL_H
#include "switch/swstate.h"
#include "conf/config.h"
#include "proto/model.h"
#include "proto/opapi.h"
#include <jansson.h>
#include <stdio.h>
#include <stdint.h>

struct provctl;

/* changed(arg) asks the owner to evaluate and publish again (BIRD told
 * something new, a hold-down ended). */
int provctl_init(struct provctl **out, const struct config *c, struct swstate *st, void (*changed)(void *arg),
		 void *arg);
void provctl_free(struct provctl *pc);
/* One step of every provider's state machine against the observed
 * providers, and what to publish for each (both indexed like
 * c->providers). */
void provctl_evaluate(struct provctl *pc, const struct ol_provider *obs, struct ol_provider *out, uint64_t now);
/* The "failover" object of provider i in the switch's status. */
json_t *provctl_provider_json(const struct provctl *pc, size_t i, uint64_t now);
/* The "bird" object of the switch's status: socket, connected, announcements. */
json_t *provctl_json(const struct provctl *pc);
/* Prometheus families: failover state and counters per provider, BIRD. */
void provctl_metrics(const struct provctl *pc, FILE *f);
/* An operator request of the typed API (proto/opapi.h). who: for the log
 * and the state file. Returns the reply (a malloc'd line of JSON), or NULL
 * when it was deferred (see control_defer). */
char *provctl_op(struct provctl *pc, const struct opapi_request *rq, const char *who);
/* A reload in place must wait for nothing: 1 (why set) while an announce,
 * a withdraw or BIRD's configure is in progress. */
int provctl_busy(const struct provctl *pc, char *why, size_t len);
/* After a reload in place (its config's content replaced): the include
 * file rendered again, BIRD told when it changed. 0 or negative errno. */
int provctl_reload(struct provctl *pc);
#endif
