/* The switch's view of its providers, fed by neighbor, FDB and link events
 * (from a dump or notifications). Pure logic: no netlink here. */
#ifndef OL_TRACK_H
#define OL_TRACK_H
#include "conf/config.h"
#include "proto/model.h"
#include "kernel/nl.h"
#include "switch/fdbmap.h"
#include <time.h>

struct track_addr {
	struct ol_addr addr;
	uint8_t mac[6];         /* the MAC accepted for publishing */
	uint8_t has_mac;
	uint8_t kmac[6];        /* the switch kernel's entry's MAC, accepted or not */
	uint8_t has_kmac;
	uint8_t kmac_refused;   /* kmac was answered on another port than the pinned one */
	uint8_t present;        /* the switch kernel has an entry */
	uint8_t ours;           /* the entry is onlink's managed one */
	uint8_t need_solicit;   /* absent since the last solicitation attempt */
	uint16_t nud;
	int port;               /* bridge port the MAC was last learned on; 0: unknown */
};

struct track_provider {
	const struct cfg_provider *cfg;
	int ifindex;            /* resolved from cfg->ifname; 0: missing */
	struct track_addr addrs[OL_PROVIDER_ADDRS_MAX];
	struct ol_provider pub; /* what was last published */
	int published;
	time_t since;           /* wall clock of the last up/down change */
	unsigned long mac_changes; /* a published address's MAC replaced by another */
	/* Provider MAC pinning: a MAC is accepted only when the bridge learned
	 * it on the provider's own port, from `port =` or else from where its
	 * address was first seen resolved. */
	int pin_port;           /* the learned port's ifindex; 0: none yet */
	unsigned long mac_refused; /* answers from another port, not published */
	int dirty;              /* the switch agent's: published, not yet sent */
};

struct track_link {
	int ifindex;
	int master;             /* the bridge it is a port of; 0: none */
	char name[IF_NAMESIZE];
	uint8_t up;
	char alias[NL_ALIAS_MAX];
};

/* The FDB mirror holds at most this many MACs, and beyond it still the
 * providers' own (counted in fdb_overflows): a POP's bridge has hundreds. */
#define TRACK_FDB_MAX 65536

/* an answer from another port than the provider's, for the log */
struct track_refusal {
	size_t provider;
	unsigned addr;
	int port;
	uint8_t mac[6];
};
#define TRACK_REFUSALS_MAX 16

struct tracker {
	struct track_provider *p;
	size_t n;
	struct track_refusal refusals[TRACK_REFUSALS_MAX]; /* since the caller last took them */
	size_t nrefusals;
	unsigned long refusals_unlogged;
	struct track_link *links;
	size_t nlinks, caplinks;
	struct fdbmap fdb;      /* where the bridges learned each MAC, deletions honoured */
	unsigned long fdb_overflows; /* learned MACs not mirrored: the bound was reached */
	int ports_changed;      /* a port, its alias or a provider's port changed (portdesc.c) */
};

int track_init(struct tracker *t, const struct cfg_switch *c);
/* After a reload in place (the same providers: conf/reload.c): the
 * providers' config entries are c's. */
void track_reconfig(struct tracker *t, const struct cfg_switch *c);
void track_free(struct tracker *t);
void track_event(struct tracker *t, const struct nl_event *ev);
/* Before a full resync: forget neighbor presence (the dump restores it). */
void track_begin_resync(struct tracker *t);
/* The port a provider is pinned to (ifindex, 0: none yet), and whether it
 * comes from the config. */
int track_pin(const struct tracker *t, const struct track_provider *p, int *from_config);
/* A link's name, or NULL. */
const char *track_link_name(const struct tracker *t, int ifindex);
/* The provider as it should be published now. */
void track_state(const struct tracker *t, size_t i, struct ol_provider *out);
/* Records `now` as what is published for p: 1 when it differs from what
 * was (the caller then tells the hosts), 0 when not. */
int track_publish(struct track_provider *p, const struct ol_provider *now);
#endif
