/* The switch agent's mirror of the bridge's forwarding database: where
 * (which port) each MAC was learned, by bridge. Pure: a hash table with
 * open addressing, O(1) per learn, move, delete and look-up, and a bound
 * on its size, so that a host sending from random source MACs can cost
 * the agent neither time nor memory without limit (the kernel's own FDB
 * is unbounded by default). */
#ifndef OL_FDBMAP_H
#define OL_FDBMAP_H
#include <stddef.h>
#include <stdint.h>

struct fdb_slot {
	uint8_t mac[6];
	uint8_t used;
	int master, port;
};

struct fdbmap {
	struct fdb_slot *v;
	size_t n, cap;           /* entries, slots (a power of two, or 0) */
	size_t max;              /* at most this many entries */
};

/* A map of at most max entries (max > 0). */
void fdbmap_init(struct fdbmap *m, size_t max);
void fdbmap_free(struct fdbmap *m);
/* Learns or moves (master, mac) to port: 1 when that changed something,
 * 0 when it was so already; -ENOSPC at the bound, -ENOMEM. */
int fdbmap_put(struct fdbmap *m, int master, const uint8_t mac[6], int port);
/* The port, or 0 when not known. */
int fdbmap_get(const struct fdbmap *m, int master, const uint8_t mac[6]);
/* 1 when it was there. */
int fdbmap_del(struct fdbmap *m, int master, const uint8_t mac[6]);
#endif
