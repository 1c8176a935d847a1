/* A set of ports as sorted, disjoint, inclusive ranges: what a host keeps
 * of a slice it no longer owns (its live flows' ports), and what it
 * reports as live. Pure. */
#ifndef OL_PORTS_H
#define OL_PORTS_H
#include "proto/model.h"
#include <stddef.h>
#include <stdint.h>

#define OL_RANGES_MAX 512       /* fits one wire message */

struct ol_ports {
	uint16_t n;
	struct { uint16_t first, last; } r[OL_RANGES_MAX];
};

/* ports of a shared address kept for a host that no longer owns them
 * (WM_EGRESS_KEPT) */
struct ol_kept {
	struct ol_addr addr;
	char host[OL_NAME_MAX];
	struct ol_ports ports;
};

/* The set of the given ports (any order, repeats allowed; sorted in
 * place). Beyond OL_RANGES_MAX ranges, the closest ranges are joined: the
 * set grows to a superset, never loses a port. */
void ports_from(struct ol_ports *s, uint16_t *ports, size_t n);
/* s and [first, last] into out. */
void ports_within(const struct ol_ports *s, uint16_t first, uint16_t last, struct ol_ports *out);
int ports_has(const struct ol_ports *s, uint16_t port);
/* How many ports the set holds. */
unsigned ports_count(const struct ol_ports *s);
/* Sorted, disjoint, not touching, first <= last, at most OL_RANGES_MAX. */
int ports_valid(const struct ol_ports *s);
int ports_equal(const struct ol_ports *a, const struct ol_ports *b);
/* a and b, in out (not thread-safe: a static buffer) */
void ports_union(const struct ol_ports *a, const struct ol_ports *b, struct ol_ports *out);
/* s less [first, last] (a range it would cut in two past OL_RANGES_MAX
 * stays whole: a superset) */
void ports_minus_range(struct ol_ports *s, uint16_t first, uint16_t last);
/* At most max ranges: the closest neighbours joined (a superset). */
void ports_limit(struct ol_ports *s, unsigned max);
/* "10000-10003,10007" into buf (truncated with "..." when long). */
void ports_str(const struct ol_ports *s, char *buf, size_t len);
#endif
