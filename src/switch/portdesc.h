/* The providers' bridge ports described (IFLA_IFALIAS, as `ip link set dev
 * PORT alias` sets it): "onlink: NAME ASn DESCRIPTION" for each provider
 * on the port. The port's own alias, whole, is kept in the agent's state
 * file (swstate.h), and put back when no provider of the config is on the
 * port any more, after a restart of the agent too. */
#ifndef OL_PORTDESC_H
#define OL_PORTDESC_H
#include "conf/config.h"
#include "switch/swstate.h"
#include "switch/track.h"
#include <stddef.h>

#define PORTDESC_PREFIX "onlink: "

/* Pure: the alias a port should have, given the providers on it (n > 0). */
void portdesc_want(const struct cfg_provider *const *provs, size_t n, char *out, size_t len);
/* Pure: 1 when `now` is an alias onlink wrote; then *was is the port's own
 * alias that agents before the state file kept inside it as "(was: TEXT)"
 * ("" when none), for the migration. */
int portdesc_ours(const char *now, char *was, size_t len);
/* Brings every port's alias to what it should be: the ports the config's
 * providers are pinned to, and ports still carrying our alias; the ports'
 * own aliases go to and come from st. Returns the aliases written (each
 * logged). */
int portdesc_sync(const struct tracker *t, const struct cfg_switch *c, struct swstate *st);
#endif
