/* The local API: what programs on a host (the egress proxy, the CLI) ask
 * the host agent over its control socket, and the one place where its
 * requests and replies are encoded and decoded.
 *
 * Each request and each reply is one line of JSON carrying the API's
 * version ("api": 1). A request names what it wants:
 *   {"api":1,"request":"providers"}       the merged providers
 *   {"api":1,"request":"egress-slices"}   this host's slices, provider tables
 *   {"api":1,"request":"status"}          the agent's state, in short
 *   {"api":1,"request":"subscribe","topics":["egress-slices"]}
 *   {"api":1,"request":"route","destination":"ADDR or PREFIX"}
 *                                         the kernel's route to it, by provider
 *   {"api":1,"request":"egress-live","live":[{"address","in_use","ports":[[F,L],...]}]}
 *                                         the egress proxy's flows' ports (moves)
 * The egress proxy answers "status" and:
 *   {"api":1,"request":"flows"}           its flows: client, destination, source
 *   {"api":1,"request":"slices"}          the sources it uses: address, ports
 * A subscriber gets the topic's current reply at once, then a new one each
 * time it changes, for as long as it stays connected. An error is
 * {"api":1,"error":"..."}. A request of another version is refused with an
 * error that names the versions served.
 *
 * The agents' "status" request (a bare word) is the human view behind
 * `onlink status --json`: it may change between releases; this API does
 * not, within a version. */
#ifndef OL_API_H
#define OL_API_H
#include "proto/model.h"
#include "proto/ports.h"
#include <stddef.h>
#include <stdint.h>

#define API_VERSION 1

enum api_kind { API_PROVIDERS = 1, API_EGRESS_SLICES, API_STATUS, API_SUBSCRIBE, API_ROUTE, API_FLOWS, API_SLICES,
		API_EGRESS_LIVE };
/* subscription topics: a bit each */
enum { API_TOPIC_EGRESS = 1, API_TOPIC_PROVIDERS = 2 };

struct api_request {
	enum api_kind kind;
	unsigned topics;        /* subscribe */
	char destination[64];   /* route: an address or a prefix, as given */
};

/* Whether a control request is one of this API's (a JSON object), not a
 * bare word of the human interface. */
int api_is_request(const char *line);
/* A request line (no newline): 0, or -ENOSPC. */
int api_request_encode(const struct api_request *r, char *buf, size_t len);
/* 0, or negative errno with *why: -EPROTONOSUPPORT for another version,
 * -EINVAL for anything else not understood. */
int api_request_decode(const char *line, struct api_request *r, const char **why);

struct api_provider {
	char name[OL_NAME_MAX];
	uint32_t table;
	uint8_t up;
	int64_t since;          /* unix time of its last change up or down; 0: unknown */
	char via[OL_NAME_MAX];  /* "": its own MACs; else the provider whose MACs it
				 * carries while failed or drained */
	uint8_t naddrs;
	struct ol_paddr addrs[OL_PROVIDER_ADDRS_MAX];
};

struct api_providers {
	struct api_provider *v;
	size_t n, cap;
};

struct api_slice {
	struct ol_addr addr;
	uint16_t first, last;
};

struct api_table {
	char name[OL_NAME_MAX];
	uint32_t table;
};

/* What an egress proxy on this host needs: the host's name, its slices of
 * the shared addresses (in the switch's order) and each provider's table
 * (for `via`). */
/* ports of a shared address: kept for another host inside this host's
 * slice (reserved: not for new flows), or live (the proxy's report) */
struct api_ports {
	struct ol_addr addr;
	uint16_t in_use;
	struct ol_ports ports;
};
#define API_LIVE_RANGES 96      /* a report's ranges per address: a request stays under 4 KiB */
#define API_LIVE_MAX 4          /* addresses per report */

struct api_egress {
	char host[OL_NAME_MAX];
	struct { struct api_slice *v; size_t n, cap; } slices;
	struct { struct api_table *v; size_t n, cap; } tables;
	struct { struct api_ports *v; size_t n, cap; } reserved;
};

/* egress-live: the request's "live" array; *v malloc'd (free it) */
int api_live_encode(const struct api_ports *v, size_t n, char *buf, size_t len);
int api_live_decode(const char *line, struct api_ports **v, size_t *n, const char **why);

struct api_switch {
	char name[OL_NAME_MAX];
	char state[16];         /* "up", "connecting", "authenticating", "down" */
	int64_t since;
	uint64_t providers;
};

struct api_status {
	char name[OL_NAME_MAX];
	char interface[16];
	uint8_t ready;
	struct { struct api_switch *v; size_t n, cap; } switches;
};

#define API_ROUTE_HOPS_MAX 32

/* A next hop of the kernel's route, and the provider it is. */
struct api_route_hop {
	struct ol_addr gw;      /* family 0: directly connected */
	char provider[OL_NAME_MAX]; /* "": no provider's address */
	uint32_t provider_table;
	char via[OL_NAME_MAX];  /* substituted: the provider whose MACs it carries now */
	uint8_t substituted;
	uint8_t chosen;         /* the one the kernel picks for a flow to the destination */
};

struct api_route {
	struct ol_addr prefix;  /* of the route that matches */
	uint8_t prefix_len;
	uint32_t table;
	uint8_t protocol;
	struct api_route_hop hops[API_ROUTE_HOPS_MAX];
	unsigned nhops;
	/* a steering override covers the destination (docs/steering.md):
	 * unmarked traffic goes through provider, not BGP's choice (from) */
	struct {
		uint8_t on;
		char provider[OL_NAME_MAX], from[OL_NAME_MAX];
		int64_t since;          /* unix s */
		double rtt_from_ms, rtt_to_ms;
	} steered;
};

/* Replies: a malloc'd line ending in a newline, or NULL when out of memory. */
char *api_route_encode(const struct api_route *r);
char *api_providers_encode(const struct api_providers *p);
char *api_egress_encode(const struct api_egress *e);
char *api_status_encode(const struct api_status *s);
char *api_error_encode(const char *msg);
/* 0; -EPROTO with *why for an error reply or one of another version or
 * kind; -EINVAL for anything malformed. The result is freed with the
 * matching _free even on failure. */
int api_providers_decode(const char *line, struct api_providers *p, const char **why);
int api_egress_decode(const char *line, struct api_egress *e, const char **why);
int api_status_decode(const char *line, struct api_status *s, const char **why);
int api_route_decode(const char *line, struct api_route *r, const char **why);
void api_providers_free(struct api_providers *p);
void api_egress_free(struct api_egress *e);
void api_status_free(struct api_status *s);
int api_egress_equal(const struct api_egress *a, const struct api_egress *b);
#endif
