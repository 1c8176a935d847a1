/* What one switch agent has told this host: its providers, shared egress
 * addresses and hosts, with a snapshot staged until it is whole, and each
 * provider's change generation. Pure (no I/O): the session (swlink.c) and
 * the fast path feed it messages; the unit tests feed it sequences. */
#ifndef OL_SWVIEW_H
#define OL_SWVIEW_H
#include "base/vec.h"
#include "proto/model.h"
#include "proto/wire.h"
#include <stddef.h>

/* Sorted by name: a look-up is a binary search (base/vec.h). */
struct provset {
	struct ol_provider *v;
	size_t n, cap;
};

/* In the switch's order. */
struct egset {
	struct ol_egress *v;
	size_t n, cap;
};

/* kept ports, one entry per address and host (WM_EGRESS_KEPT) */
struct keptset {
	struct ol_kept *v;
	size_t n, cap;
};

struct dir_host {
	char name[OL_NAME_MAX];
	struct ol_addr addr;
};

/* Sorted by name. */
struct hostdir {
	struct dir_host *v;
	size_t n, cap;
};

struct name {
	char name[OL_NAME_MAX];
};

/* What messages changed, for the turn that follows: the providers named
 * (sorted, each once), or everything (a snapshot, an egress table, a host:
 * rare, and looked at whole). */
struct changes {
	int full;
	struct name *v;
	size_t n, cap;
};

/* What a switch agent says of another over their peer link (WM_SWITCH). */
struct swreport {
	char name[OL_NAME_MAX];
	int dead;
};

struct swview {
	struct provset provs, stage;
	struct egset egress, egress_stage;
	struct keptset kept, kept_stage;
	struct hostdir dir, dir_stage;
	int in_snapshot, have_snapshot;
	uint64_t gen;           /* WM_GEN: of the session's provider messages that follow */
	unsigned long stale;    /* provider messages older than what is held */
	VEC(struct swreport) reports; /* sorted by name */
	int reports_changed;    /* set by a WM_SWITCH that changed one; the caller clears it */
};

/* A session message. 0; 1 when it named a fast path (decoded into *fp,
 * for the caller to open); -1 with *why when it breaks the protocol (the
 * session is then dropped). */
int swview_msg(struct swview *v, uint8_t type, const uint8_t *body, size_t n, struct changes *ch,
	       struct wire_fastpath *fp, const char **why);
/* A fast path datagram's messages: GEN, then PROVIDERs. 0, or <0 at the
 * first one not understood (those before it stay applied). */
int swview_datagram(struct swview *v, const uint8_t *msg, size_t n, struct changes *ch);
/* A provider's state, by the session or the fast path: taken (1) unless
 * what is held is of the same generation or newer (the other path's copy;
 * counted in stale, 0). */
int swview_provider(struct swview *v, struct ol_provider *p, uint64_t gen, struct changes *ch);
/* The session is gone: a snapshot in progress is discarded; what the last
 * whole snapshot and the changes after it said stays. */
void swview_drop(struct swview *v);
void swview_free(struct swview *v);

const struct ol_provider *provset_find(const struct provset *s, const char *name);
/* The provider one of whose addresses a is; NULL when none. */
const struct ol_provider *provset_find_addr(const struct provset *s, const struct ol_addr *a);
int provset_put(struct provset *s, const struct ol_provider *p);
int hostdir_put(struct hostdir *d, const char *name, const struct ol_addr *a);
int egset_put(struct egset *s, const struct ol_egress *e);
/* Replaces the entry of its address and host; empty ports remove it. 0 or -ENOMEM. */
int keptset_put(struct keptset *s, const struct ol_kept *k);
/* 0, or -ENOMEM */
int changes_add(struct changes *ch, const char *name);
void changes_clear(struct changes *ch);
#endif
