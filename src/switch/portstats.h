/* Each provider's traffic as the switch sees it: the kernel's counters of
 * the bridge port it is cabled to (its FDB port, or `port =`), read from
 * sysfs at each scrape. Frame bytes, Ethernet header included; providers
 * sharing a port share its counters. Hosts count what they send to each
 * provider themselves (host/traffic.h); what comes in from a provider is
 * counted here, since the switch routes inbound traffic to the hosts. */
#ifndef OL_PORTSTATS_H
#define OL_PORTSTATS_H
#include "switch/track.h"
#include <stdio.h>

void portstats_metrics(FILE *f, const struct tracker *t);
#endif
