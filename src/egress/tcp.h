/* The egress TCP proxy: connections TPROXY hands over are re-originated
 * from the shared address, inside this host's port slice, and relayed with
 * splice(2). Every flow is a real socket, so the kernel keeps tuples unique
 * against local sockets bound to the same address. */
#ifndef OL_EGRESS_TCP_H
#define OL_EGRESS_TCP_H
#include <jansson.h>
#include "base/addr.h"
#include "egress/clients.h"
#include "egress/common.h"
#include "proto/ports.h"
#include <stdint.h>
#include <sys/socket.h>

struct tcp_stats {
	unsigned long active, accepted, completed, resets, exhausted, connect_failed, no_source, idle_closed;
	unsigned long client_refused[CLIENT_VERDICTS]; /* by clients_admit()'s verdict */
	unsigned long long bytes_up, bytes_down;
};

struct tcp_proxy;

/* Listens (IPv4 and IPv6, IP_TRANSPARENT) on port; each new flow is
 * admitted by clients (shared with the UDP proxy) first. 0 or negative
 * errno. */
int tcp_proxy_start(struct tcp_proxy **out, uint16_t port, unsigned idle_timeout_s, struct clients *clients);
/* [egress] flow-buffer, for flows opened from now on */
void tcp_proxy_set_buffer(struct tcp_proxy *p, unsigned bytes);
void tcp_proxy_stop(struct tcp_proxy *p);
/* The slices it takes source ports from (each with its reserved ports),
 * every family at once. */
void tcp_proxy_set_sources(struct tcp_proxy *px, const struct egress_source *v, size_t n);
void tcp_proxy_set_mark(struct tcp_proxy *p, uint32_t mark);
const struct tcp_stats *tcp_proxy_stats(const struct tcp_proxy *p);
/* Its flows, at most max, each {"proto":"tcp","client","destination",
 * "source","idle_ms"} (appended to the JSON array *out, which becomes
 * NULL when one cannot be built: jappend). */
/* Each flow's upstream socket's local address and port, to fn. */
void tcp_proxy_sources(const struct tcp_proxy *p, void (*fn)(void *arg, const struct sockaddr_storage *ss), void *arg);
void tcp_proxy_flows(const struct tcp_proxy *p, json_t **out, size_t max);
void tcp_proxy_set_idle(struct tcp_proxy *p, unsigned idle_timeout_s);
/* Frees connections closed during the last batch of events; call after
 * each loop_run_once(). */
void tcp_proxy_reap(struct tcp_proxy *p);
#endif
