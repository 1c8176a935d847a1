/* The host's merged view of every switch agent, and the kernel state it
 * wants, kept up to date in turns. Pure (no I/O), unit-tested.
 *
 * A provider is taken from the first switch agent (in config order) that
 * reports it up, else from the first that reports it at all; an egress
 * table from the first that decides it (a pool's leader), else from the
 * first that has it; hosts from any. A switch held dead reports its
 * providers down. A provider down with a backup takes its backup's MACs
 * (following the backups' own backups, never round a cycle): the backup
 * may be any switch agent's provider.
 *
 * A turn that changes k providers costs O(k log n) searches: each changed
 * provider's objects are built alone and swapped into the sorted desired
 * set, and only their keys are diffed against the kernel. A full rebuild
 * (at start, after a snapshot, an egress or host change, a resync, and as
 * the periodic repair) gives the same set. */
#ifndef OL_MERGE_H
#define OL_MERGE_H
#include "host/desired.h"
#include "host/swview.h"
#include "base/vec.h"
#include "kernel/kobj.h"

struct merge_params {
	struct host_params hp;
	const char *me;         /* this host's name */
	int lo_ifindex;         /* where its shared egress addresses go */
	const uint8_t *dead;    /* per view: 1 when the host holds that switch for
				 * dead (its uplink lost, its echoes unanswered);
				 * NULL: none */
	const struct steer_rule *steer; /* steering overrides in force (host/follow.c) */
	size_t nsteer;
};

/* A provider the host sends to its backup's MACs: published down with a
 * backup (which the switch could not substitute: it is another switch
 * agent's), or of a switch held dead. */
struct subst {
	char name[OL_NAME_MAX];
	char via[OL_NAME_MAX];  /* "": no live backup (see why) */
	const char *why;        /* static text: "no switch announces it", "a cycle", ... */
};

struct hview {
	struct provset merged;  /* sorted by name */
	struct egset egress;
	struct keptset kept;    /* of each address, from the switch its table is from */
	struct hostdir dir;
	struct kobj_set desired; /* sorted by key */
	/* two providers (or a provider and a peer host) want an object of the
	 * same key: turns are full rebuilds until a rebuild finds none */
	int shared_keys;
	unsigned bad_macs;      /* provider addresses with a MAC not installed */
	struct changes changed; /* the providers the last turn changed (rebuild: full) */
	VEC(struct subst) subst; /* providers down with a backup, sorted by name */
	unsigned cycles;        /* providers whose backups lead back to them */
	char cycle[160];        /* the first such, as "a -> b -> a" */
	int tables_changed;     /* the last turn added, removed or renumbered a provider */
};

/* views: the switch agents' views, in config order. 0 or -ENOMEM. */
int merge_rebuild(struct hview *hv, const struct swview *const *views, unsigned n, const struct merge_params *mp);
/* The turn for the providers in ch (ch->full must be 0): their keys, old
 * and new, are appended to touched. 0; -EAGAIN when only a rebuild can
 * tell (keys shared, a backup involved, a switch held dead); -ENOMEM.
 * After an error, rebuild. */
int merge_apply(struct hview *hv, const struct swview *const *views, unsigned n, const struct merge_params *mp,
		const struct changes *ch, struct kobj_set *touched);
/* Another host holds a slice of a shared address this host also serves. */
int merge_peer_steered(const struct hview *hv, const char *me, const char *name);
void hview_free(struct hview *hv);
#endif
