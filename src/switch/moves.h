/* Slices that change hands while their old owner lives (a config edit, a
 * lease moved): the old owner's live flows keep their ports. Each host
 * reports the ports its flows hold (WM_EGRESS_LIVE); when a slice moves,
 * the old owner's live ports in it are kept for it, and every host steers
 * them to it, until its flows there end (its reports say so) or the
 * move-deadline passes. New flows use the new owner at once (it avoids
 * the kept ports). Pure; kept in the state file. docs/egress.md, "Moves". */
#ifndef OL_MOVES_H
#define OL_MOVES_H
#include "proto/model.h"
#include "proto/ports.h"
#include <jansson.h>
#include <stdint.h>

/* what a host last said of a shared address */
struct live_report {
	char host[OL_NAME_MAX];
	struct ol_addr addr;
	uint16_t in_use;         /* ports with a flow */
	struct ol_ports ports;   /* which (maybe a superset) */
};

struct lives {
	struct live_report *v;
	size_t n, cap;
};

/* ports of a moved range kept for its old owner */
struct move {
	struct ol_addr addr;
	char host[OL_NAME_MAX];  /* the old owner */
	uint16_t first, last;    /* the range that moved */
	struct ol_ports ports;   /* its live ports there */
	int64_t since, until;    /* Unix ms */
};

struct moves {
	struct move *v;
	size_t n, cap;
	unsigned long started, ended, expired; /* moves, those whose flows ended, those cut at the deadline */
};

/* Records a host's report: 1 when it changed, 0 when not, -ENOMEM. */
int lives_put(struct lives *L, const char *host, const struct ol_addr *a, uint16_t in_use, const struct ol_ports *p);
const struct live_report *lives_get(const struct lives *L, const char *host, const struct ol_addr *a);
void lives_free(struct lives *L);

typedef int (*moves_alive_fn)(void *arg, const char *host);

/* The tables before and after a change: each range a living host owned
 * before and no longer owns keeps that host's live ports in it (its last
 * report). The number of moves started, or -ENOMEM. */
int moves_detect(struct moves *M, const struct ol_egress *before, size_t nbefore, const struct ol_egress *after,
		 size_t nafter, const struct lives *L, moves_alive_fn alive, void *arg, int64_t now, uint32_t deadline_ms);
/* Each move follows its host's last report (ports only go: the host opens
 * no new flow there); a move whose flows ended, whose deadline passed or
 * whose host died ends. The number of changes. */
int moves_update(struct moves *M, const struct lives *L, moves_alive_fn alive, void *arg, int64_t now);
/* The ports of an address kept for a host, every move together. */
void moves_kept(const struct moves *M, const struct ol_addr *a, const char *host, struct ol_ports *out);

json_t *moves_to_json(const struct moves *M);
int moves_from_json(struct moves *M, const json_t *arr, unsigned *bad);
void moves_free(struct moves *M);
#endif
