/* The providers' bridge ports described (IFLA_IFALIAS, as `ip link set dev
 * PORT alias` sets it): "onlink: NAME ASn DESCRIPTION" for each provider
 * on the port, then "(was: TEXT)" keeping the port's own alias, so that it
 * comes back when no provider of the config is on the port any more, after
 * a restart of the agent too (the text is the record). */
#ifndef OL_PORTDESC_H
#define OL_PORTDESC_H
#include "conf/config.h"
#include "switch/track.h"
#include <stddef.h>

#define PORTDESC_PREFIX "onlink: "

/* Pure: the alias a port should have, given the providers on it (n > 0)
 * and its alias now. */
void portdesc_want(const struct cfg_provider *const *provs, size_t n, const char *now, char *out, size_t len);
/* Pure: the port's own alias inside one of ours ("" when none); 0 when
 * `now` is not ours. */
int portdesc_own(const char *now, char *out, size_t len);
/* Brings every port's alias to what it should be: the ports the config's
 * providers are pinned to, and ports still carrying our alias. Returns the
 * aliases written (each logged). */
int portdesc_sync(const struct tracker *t, const struct cfg_switch *c);
#endif
