/* The egress proxy's clients: how many flows (TCP and UDP together) each
 * client address holds, and whether it may open one more. Pure logic: the
 * proxies (tcp.c, udp.c) ask before they open a flow and tell when it
 * ends. The rules, in order:
 *   - every flow takes descriptors, two sockets at least and a pipe per
 *     busy TCP direction: within max_fds (the descriptor limit, less
 *     what the control socket and the rest keep) a flow is opened only
 *     with two to spare, and a pipe only with its two;
 *   - a client holds at most `limit` flows ([egress] client-flows);
 *   - when the slice a flow would use is 90% full or more ("tight", for
 *     UDP, whose flows each hold a port of it), a client holding at least
 *     the average number of flows of the clients that hold any is
 *     refused: the heaviest go first, and the last tenth of the slice
 *     stays for clients holding less, new ones included (a lone client is
 *     refused too: it holds the average). */
#ifndef OL_EGRESS_CLIENTS_H
#define OL_EGRESS_CLIENTS_H
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

enum client_verdict {
	CLIENT_OK,              /* admitted, and counted */
	CLIENT_OVER_LIMIT,      /* it holds client-flows already */
	CLIENT_HEAVY,           /* the slice is tight and it holds its share */
	CLIENT_NO_ROOM,         /* the proxy's descriptors are all taken */
	CLIENT_VERDICTS
};

/* Every function takes a NULL table too: it admits everything and counts
 * nothing (the benchmark's baseline, bench/egress_fair.sh). */
struct clients;

struct client_count {
	struct sockaddr_storage addr; /* port 0 */
	unsigned flows;
};

#define CLIENT_FLOW_FDS 2       /* a flow's two sockets */

/* 0, or -ENOMEM */
int clients_new(struct clients **out, unsigned limit, unsigned long max_fds);
void clients_free(struct clients *t);
/* client-flows changed by a reload: flows above it stay, new ones wait */
void clients_set_limit(struct clients *t, unsigned limit);
unsigned clients_limit(const struct clients *t);
unsigned long clients_max_fds(const struct clients *t);
unsigned long clients_fds(const struct clients *t);
/* One more flow of client's address (its port is not part of it), with
 * its CLIENT_FLOW_FDS descriptors, or why not; refusals are counted by
 * verdict. */
enum client_verdict clients_admit(struct clients *t, const struct sockaddr *client, int tight);
/* The end of a flow clients_admit() admitted (its sockets closed). */
void clients_release(struct clients *t, const struct sockaddr *client);
/* n more descriptors (a pipe's two): 0, or -1 when they would pass
 * max_fds (counted as a CLIENT_NO_ROOM refusal); and given back. */
int clients_fds_take(struct clients *t, unsigned n);
void clients_fds_give(struct clients *t, unsigned n);
/* Addresses holding a flow, and the flows they hold. */
size_t clients_active(const struct clients *t);
unsigned long clients_flows(const struct clients *t);
/* The flows of one address (0: none). */
unsigned clients_of(const struct clients *t, const struct sockaddr *client);
unsigned long clients_refused(const struct clients *t, enum client_verdict v);
/* The n addresses holding the most flows, most first; how many written. */
size_t clients_top(const struct clients *t, struct client_count *out, size_t n);
const char *client_verdict_str(enum client_verdict v);
#endif
