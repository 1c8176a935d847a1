/* The ports the proxy's flows hold, per shared address, told to the host
 * agent (the local API's egress-live) every 2 s when they changed and
 * every 10 s anyway: a slice that moves away from this host keeps them
 * (switch/moves.h). */
#ifndef OL_EGRESS_LIVE_H
#define OL_EGRESS_LIVE_H
#include "egress/tcp.h"
#include "egress/udp.h"

struct egress_live;
/* 0, or negative errno (its timer) */
int egress_live_start(struct egress_live **out, const char *host_control, struct tcp_proxy *tcp, struct udp_proxy *udp);
void egress_live_stop(struct egress_live *l);
unsigned long egress_live_sent(const struct egress_live *l);
#endif
