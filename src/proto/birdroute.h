/* BIRD's answer to `show route for ADDR all` (its reply lines without
 * their codes): each path's next hop, AS path, and whether it is BIRD's
 * best. For `onlink route`. Pure. */
#ifndef OL_BIRDROUTE_H
#define OL_BIRDROUTE_H
#include "base/addr.h"
#include <stddef.h>

struct bird_path {
	struct ol_addr via;     /* family 0: none given */
	char as_path[128];
	int best;
};

/* Paths found, at most cap. */
size_t bird_route_paths(const char *text, struct bird_path *p, size_t cap);
#endif
