/* Port sets as ranges (ports.h). */
#include "proto/ports.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

void ports_from(struct ol_ports *s, uint16_t *ports, size_t n)
{
	s->n = 0;
	qsort(ports, n, sizeof(*ports), cmp16);
	/* ranges of consecutive ports; past the limit, the pair of
	 * neighbours with the smallest gap is joined, until one is free */
	for (size_t i = 0; i < n; i++) {
		if (s->n && ports[i] <= s->r[s->n - 1].last + 1u) {
			if (ports[i] > s->r[s->n - 1].last)
				s->r[s->n - 1].last = ports[i];
			continue;
		}
		if (s->n == OL_RANGES_MAX) {
			unsigned best = 0, gap = 65536;
			for (unsigned k = 0; k + 1 < s->n; k++)
				if ((unsigned)(s->r[k + 1].first - s->r[k].last) < gap) {
					gap = (unsigned)(s->r[k + 1].first - s->r[k].last);
					best = k;
				}
			/* the new port's own gap may be the smallest */
			if ((unsigned)(ports[i] - s->r[s->n - 1].last) <= gap) {
				s->r[s->n - 1].last = ports[i];
				continue;
			}
			s->r[best].last = s->r[best + 1].last;
			memmove(&s->r[best + 1], &s->r[best + 2], (s->n - best - 2) * sizeof(s->r[0]));
			s->n--;
		}
		s->r[s->n].first = s->r[s->n].last = ports[i];
		s->n++;
	}
}

void ports_within(const struct ol_ports *s, uint16_t first, uint16_t last, struct ol_ports *out)
{
	out->n = 0;
	for (unsigned i = 0; i < s->n; i++) {
		if (s->r[i].last < first || s->r[i].first > last)
			continue;
		out->r[out->n].first = s->r[i].first < first ? first : s->r[i].first;
		out->r[out->n].last = s->r[i].last > last ? last : s->r[i].last;
		out->n++;
	}
}

int ports_has(const struct ol_ports *s, uint16_t port)
{
	for (unsigned i = 0; i < s->n; i++)
		if (port >= s->r[i].first && port <= s->r[i].last)
			return 1;
	return 0;
}

unsigned ports_count(const struct ol_ports *s)
{
	unsigned c = 0;
	for (unsigned i = 0; i < s->n; i++)
		c += s->r[i].last - s->r[i].first + 1u;
	return c;
}

int ports_valid(const struct ol_ports *s)
{
	if (s->n > OL_RANGES_MAX)
		return 0;
	for (unsigned i = 0; i < s->n; i++)
		if (s->r[i].first > s->r[i].last || (i && s->r[i].first <= s->r[i - 1].last + 1u))
			return 0;
	return 1;
}

int ports_equal(const struct ol_ports *a, const struct ol_ports *b)
{
	return a->n == b->n && !memcmp(a->r, b->r, a->n * sizeof(a->r[0]));
}

void ports_str(const struct ol_ports *s, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = 0;
	for (unsigned i = 0; i < s->n; i++) {
		int n = s->r[i].first == s->r[i].last ? snprintf(buf + off, len - off, "%s%u", i ? "," : "", s->r[i].first)
						      : snprintf(buf + off, len - off, "%s%u-%u", i ? "," : "", s->r[i].first,
								 s->r[i].last);
		if (n < 0 || (size_t)n >= len - off) {
			if (len > 4)
				strcpy(buf + len - 4, "...");
			return;
		}
		off += (size_t)n;
	}
}

static int cmp_range(const void *a, const void *b)
{
	const uint16_t *x = a, *y = b;
	return (int)x[0] - (int)y[0];
}

/* a's and b's ranges sorted and joined; past the limit, the closest are
 * joined (a superset) */
void ports_union(const struct ol_ports *a, const struct ol_ports *b, struct ol_ports *out)
{
	static uint16_t r[2 * OL_RANGES_MAX][2];
	size_t n = 0;
	for (unsigned i = 0; i < a->n; i++, n++)
		r[n][0] = a->r[i].first, r[n][1] = a->r[i].last;
	for (unsigned i = 0; i < b->n; i++, n++)
		r[n][0] = b->r[i].first, r[n][1] = b->r[i].last;
	qsort(r, n, sizeof(r[0]), cmp_range);
	out->n = 0;
	for (size_t i = 0; i < n; i++) {
		if (out->n && r[i][0] <= out->r[out->n - 1].last + 1u) {
			if (r[i][1] > out->r[out->n - 1].last)
				out->r[out->n - 1].last = r[i][1];
			continue;
		}
		if (out->n == OL_RANGES_MAX) { /* join the last one: a superset */
			if (r[i][1] > out->r[out->n - 1].last)
				out->r[out->n - 1].last = r[i][1];
			continue;
		}
		out->r[out->n].first = r[i][0];
		out->r[out->n].last = r[i][1];
		out->n++;
	}
}

void ports_minus_range(struct ol_ports *s, uint16_t first, uint16_t last)
{
	struct ol_ports t = { 0 };
	for (unsigned i = 0; i < s->n; i++) {
		uint16_t f = s->r[i].first, l = s->r[i].last;
		if (l < first || f > last) {
			t.r[t.n].first = f, t.r[t.n++].last = l;
			continue;
		}
		if (f < first && l > last && t.n + 2 > OL_RANGES_MAX) {
			t.r[t.n].first = f, t.r[t.n++].last = l; /* kept whole: a superset */
			continue;
		}
		if (f < first)
			t.r[t.n].first = f, t.r[t.n++].last = (uint16_t)(first - 1);
		if (l > last)
			t.r[t.n].first = (uint16_t)(last + 1), t.r[t.n++].last = l;
	}
	*s = t;
}

void ports_limit(struct ol_ports *s, unsigned max)
{
	while (s->n > max && s->n > 1) {
		unsigned best = 0, gap = 65536;
		for (unsigned k = 0; k + 1 < s->n; k++)
			if ((unsigned)(s->r[k + 1].first - s->r[k].last) < gap) {
				gap = (unsigned)(s->r[k + 1].first - s->r[k].last);
				best = k;
			}
		s->r[best].last = s->r[best + 1].last;
		memmove(&s->r[best + 1], &s->r[best + 2], (s->n - best - 2) * sizeof(s->r[0]));
		s->n--;
	}
}
