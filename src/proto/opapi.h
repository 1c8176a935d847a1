/* The switch agent's operator API: what `onlink drain`, `undrain`,
 * `announce`, `withdraw` and `purge` ask the switch agent over its
 * control socket, in the local API's form (proto/api.h: one line of JSON,
 * "api": 1, a "request"), encoded and decoded here only. docs/api.md
 * specifies every request and reply; a unit test reads its examples.
 *
 *   {"api":1,"request":"drain","provider":"transit-a"}
 *   {"api":1,"request":"undrain","provider":"transit-a"}
 *   {"api":1,"request":"announce","prefix":"198.18.77.0/24","provider":"transit-a",
 *    "prepend":2,"med":50,"no_export":true,"communities":["65000:100","65000:1:2"]}
 *   {"api":1,"request":"withdraw","prefix":"198.18.77.0/24","provider":"transit-a"}
 *   {"api":1,"request":"purge","provider":"transit-a","soft":false,"timeout":30}
 *   {"api":1,"request":"announcements"}
 *   {"api":1,"request":"status"}        (the switch agent's state, whole)
 *   {"api":1,"request":"subscribe","topics":["providers","sessions","bird"]}
 *   {"api":1,"request":"egress-move","host":"h1"}  (new leases for h1; its flows keep the old ports)
 *
 * Every field is checked for its type and range; a key the request does
 * not take is refused. What only the switch agent can judge (a provider
 * of its config, a prefix it owns, a community's numbers) it judges, and
 * says why in its error reply. */
#ifndef OL_OPAPI_H
#define OL_OPAPI_H
#include "proto/model.h"
#include <stddef.h>
#include <stdint.h>

enum opapi_kind { OP_DRAIN = 1, OP_UNDRAIN, OP_ANNOUNCE, OP_WITHDRAW, OP_PURGE, OP_ANNOUNCEMENTS, OP_STATUS,
		  OP_SUBSCRIBE, OP_EGRESS_MOVE };
/* the switch agent's subscription topics: a bit each */
enum { OP_TOPIC_PROVIDERS = 1, OP_TOPIC_SESSIONS = 2, OP_TOPIC_BIRD = 4 };
#define OP_TOPICS 3
#define OPAPI_PREPEND_MAX 16
#define OPAPI_COMM_MAX 8
#define OPAPI_COMM_LEN 32        /* "4294967295:4294967295:4294967295" and its NUL */
#define OPAPI_TIMEOUT_DEFAULT 30
#define OPAPI_TIMEOUT_MAX 600

struct opapi_request {
	enum opapi_kind kind;
	char provider[OL_NAME_MAX];
	char prefix[64];                 /* announce, withdraw: ADDR/LEN as given */
	unsigned prepend;                /* announce: 0 to 16 */
	int has_med;
	uint32_t med;
	int no_export;
	char communities[OPAPI_COMM_MAX][OPAPI_COMM_LEN]; /* "A:B" or "A:B:C", as given */
	unsigned ncomm;
	int soft;                        /* purge */
	unsigned timeout_s;              /* purge: 1 to 600 */
	unsigned topics;                 /* subscribe: OP_TOPIC_* */
	char host[OL_NAME_MAX];          /* egress-move */
};
/* a topic's name ("providers", ...), by its bit */
const char *opapi_topic_str(unsigned bit);

/* The request's name, as on the wire ("drain", ...). */
const char *opapi_kind_str(enum opapi_kind k);
/* A request line (no newline): 0, or -ENOSPC. */
int opapi_request_encode(const struct opapi_request *r, char *buf, size_t len);
/* 0, or negative errno with *why: -EPROTONOSUPPORT for another version,
 * -ENOENT for a request that is not one of these (the host agent's API
 * is another), -EINVAL for anything else not understood. */
int opapi_request_decode(const char *line, struct opapi_request *r, const char **why);
#endif
