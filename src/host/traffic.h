/* Per-provider traffic on a host: nftables counters (table inet
 * onlink_traffic) of what the host sends to each provider, matched by the
 * routing next hop being one of the provider's addresses (postrouting:
 * forwarded and local traffic alike; one map look-up per packet). Bytes
 * are the IP packet's length, without the Ethernet header. What comes in
 * from each provider is counted at the switch (switch/portstats.h): the
 * switch routes inbound traffic to the hosts, so on a host it arrives from
 * the switch's MAC, whichever provider it came through. Counters live as
 * long as the table: a rewrite keeps their values. */
#ifndef OL_TRAFFIC_H
#define OL_TRAFFIC_H
#include "host/swview.h"
#include <stdio.h>

#define TRAFFIC_TABLE "onlink_traffic"

/* The script that brings the table in line with the providers and their
 * addresses. 0, or -ENOSPC. */
int traffic_script(char *buf, size_t len, const struct provset *ps);
/* The counters' metrics, read from the kernel (onlink_provider_*_total). */
void traffic_metrics(FILE *f);
#endif
