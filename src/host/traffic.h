/* Per-provider traffic on a host: nftables counters (table inet
 * onlink_traffic) of what the host sends to each provider, matched by the
 * routing next hop being one of the provider's addresses (postrouting:
 * forwarded and local traffic alike), and of what it receives from each,
 * matched by the frame's source MAC being the provider's (prerouting):
 * what a provider sends straight to the host. Inbound traffic the switch
 * routes (the POP's prefixes are announced with the switch as next hop)
 * arrives from the switch's MAC and is counted against no provider.
 * Bytes are the IP packet's length (the kernel's counters at the IP
 * hooks), without the Ethernet header. Counters live as long as the table:
 * a rewrite keeps their values. */
#ifndef OL_TRAFFIC_H
#define OL_TRAFFIC_H
#include "host/swview.h"
#include <stdio.h>

#define TRAFFIC_TABLE "onlink_traffic"

/* The script that brings the table in line with the providers (their
 * addresses, and the MACs of those not substituted). 0, or -ENOSPC. */
int traffic_script(char *buf, size_t len, const struct provset *ps);
/* The counters' metrics, read from the kernel (onlink_provider_*_total). */
void traffic_metrics(FILE *f);
#endif
