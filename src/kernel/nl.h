/* The kernel, behind one narrow module: the only code that speaks netlink.
 * Three sockets, one per role (BIRD's habit): requests with ACKs, dumps,
 * and notifications. Everything above this file sees parsed structs. */
#ifndef OL_NL_H
#define OL_NL_H
#include "kernel/kobj.h"
#include <net/if.h>
#include <stdint.h>

struct nl;

enum nl_group { NLG_LINK = 1, NLG_NEIGH = 2, NLG_ADDR = 4, NLG_ROUTE = 8, NLG_RULE = 16 };

enum nl_ev_type { NLE_NEIGH = 1, NLE_FDB, NLE_LINK, NLE_KOBJ };

struct nl_neigh {
	int ifindex;
	struct ol_addr dst;
	uint8_t lladdr[6];
	uint8_t has_lladdr;
	uint16_t state;         /* NUD_* */
	uint8_t proto;
	uint8_t managed;
};

struct nl_fdb {
	int port;               /* bridge port the MAC was learned on */
	int master;             /* the bridge */
	uint8_t mac[6];
	uint16_t state;
	uint8_t flags;          /* NTF_* */
};

#define NL_ALIAS_MAX 256          /* the kernel's IFALIASZ */

struct nl_link {
	int ifindex;
	char name[IF_NAMESIZE];
	int master;
	uint8_t up;             /* administratively up and carrier */
	uint8_t admin_up;       /* administratively up (IFF_UP) */
	char alias[NL_ALIAS_MAX]; /* IFLA_IFALIAS ("ip link set dev X alias ..."); "": none */
};

struct nl_event {
	enum nl_ev_type type;
	uint8_t deleted;
	union {
		struct nl_neigh neigh;
		struct nl_fdb fdb;
		struct nl_link link;
		struct kobj kobj;   /* addr, neigh, route (with `proto`), rule */
	};
};

typedef void (*nl_event_fn)(const struct nl_event *ev, void *arg);

/* groups: NLG_* for the notification socket (0: none); rcvbuf: its
 * receive buffer in bytes. */
int nl_open(struct nl **out, unsigned groups, int rcvbuf);
/* The notification buffer the daemons use: 16 MiB (SONiC's neighsyncd uses
 * the same), or ONLINKD_NETLINK_RCVBUF bytes, which tests set small to
 * force overruns. */
int nl_notify_rcvbuf(void);
void nl_close(struct nl *nl);
int nl_notify_fd(const struct nl *nl);

/* Reads pending notifications (at most `budget` messages). Returns
 * -ENOBUFS after an overrun: state was lost and the caller must dump again.
 * fn may dump and apply (other sockets, other buffers), but a nested
 * nl_read_events, like a dump from a dump's callback, gets -EBUSY. */
int nl_read_events(struct nl *nl, nl_event_fn fn, void *arg, int budget);

int nl_dump_links(struct nl *nl, nl_event_fn fn, void *arg);
/* family AF_UNSPEC: IPv4 and IPv6 neighbors; AF_BRIDGE: the bridge FDB */
int nl_dump_neighs(struct nl *nl, int family, nl_event_fn fn, void *arg);

/* What a host reconciles against: every address and neighbor on ifindex
 * (and neighbors on ifindex2, where other hosts are; 0: none), addresses
 * elsewhere and every route and rule carrying proto. */
int nl_dump_owned(struct nl *nl, int ifindex, int ifindex2, uint8_t proto, struct kobj_set *out);
/* Makes a veth pair, both ends up. 0 or a negative errno. */
/* The neighbor table of one interface probes a neighbor whose unicast
 * probes went unanswered this many times more by multicast (the sysctl
 * mcast_resolicit) before it gives up: a neighbor that changed its MAC
 * without announcing it then answers with the new one, and its entry
 * never fails. 0 or negative errno. */
int nl_neigh_mcast_reprobes(int ifindex, int family, unsigned probes);
int nl_veth_add(const char *name, const char *peer);
/* Sets a link's alias ("": removes it). 0 or negative errno. */
int nl_link_alias(int ifindex, const char *alias);

/* Applies ops in order, as few sendmsg() calls as fit the socket's send
 * buffer (one for a snapshot of 500 providers), with one ACK each: the
 * kernel answers a failed request whatever its flags. errs[i] gets 0 or
 * a negative errno; the kernel's extended-ack text for the first failure
 * goes to errmsg. Returns the number of failed ops. */
int nl_apply(struct nl *nl, const struct kop *ops, size_t n, int *errs, char *errmsg, size_t errlen);
/* sendmsg() calls nl_apply made, and the requests they carried */
void nl_apply_counts(const struct nl *nl, unsigned long *sends, unsigned long *requests);


const char *nud_str(uint16_t state);
#endif
