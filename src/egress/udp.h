/* The egress UDP proxy: per flow (client, original destination), an
 * upstream socket bound inside this host's slice of the shared address, and
 * a transparent reply socket bound to the original destination, so replies
 * reach the client from the address it sent to. */
#ifndef OL_EGRESS_UDP_H
#define OL_EGRESS_UDP_H
#include <jansson.h>
#include "base/addr.h"
#include "egress/clients.h"
#include "egress/common.h"
#include "proto/ports.h"
#include <stdint.h>
#include <sys/socket.h>

struct udp_stats {
	unsigned long active, created, expired, exhausted, no_source, errors;
	unsigned long active4, active6;
	unsigned long client_refused[CLIENT_VERDICTS]; /* by clients_admit()'s verdict */
	unsigned long long datagrams_up, datagrams_down, bytes_up, bytes_down;
};

struct udp_proxy;

/* Each new flow is admitted by clients (shared with the TCP proxy) first;
 * a refused one gets an ICMP port unreachable. */
int udp_proxy_start(struct udp_proxy **out, uint16_t port, unsigned idle_timeout_s, struct clients *clients);
/* [egress] flow-buffer, for flows created from now on */
void udp_proxy_set_buffer(struct udp_proxy *p, unsigned bytes);
void udp_proxy_stop(struct udp_proxy *p);
/* The slices it takes source ports from (each with its reserved ports),
 * every family at once. */
void udp_proxy_set_sources(struct udp_proxy *px, const struct egress_source *v, size_t n);
void udp_proxy_set_mark(struct udp_proxy *p, uint32_t mark);
void udp_proxy_set_idle(struct udp_proxy *p, unsigned idle_timeout_s);
const struct udp_stats *udp_proxy_stats(const struct udp_proxy *p);
/* Each flow's upstream socket's local address and port, to fn. */
void udp_proxy_sources(const struct udp_proxy *p, void (*fn)(void *arg, const struct sockaddr_storage *ss), void *arg);
/* Its flows, at most max, as tcp_proxy_flows's, "proto":"udp". */
void udp_proxy_flows(const struct udp_proxy *p, json_t **out, size_t max);
/* Frees flows closed during the last batch of events. */
void udp_proxy_reap(struct udp_proxy *p);
#endif
