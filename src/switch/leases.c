/* Egress slice leases (leases.h). */
#include "switch/leases.h"
#include "base/vec.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

const char *lease_state_str(enum lease_state s)
{
	return s == LEASE_HELD ? "held" : s == LEASE_RESTING ? "resting" : "?";
}

static unsigned first_slice_port(const struct cfg_pool *pl)
{
	return (pl->first + pl->slice_size - 1) / pl->slice_size * pl->slice_size;
}

unsigned pool_slices(const struct cfg_pool *pl)
{
	unsigned f = first_slice_port(pl);
	return f + pl->slice_size - 1 > pl->last ? 0 : (pl->last + 1u - f) / pl->slice_size;
}

void pool_slice(const struct cfg_pool *pl, unsigned i, uint16_t *first, uint16_t *last)
{
	unsigned f = first_slice_port(pl) + i * pl->slice_size;
	*first = (uint16_t)f;
	*last = (uint16_t)(f + pl->slice_size - 1);
}

static const struct cfg_pool *pool_of(const struct cfg_switch *sw, const char *name)
{
	for (unsigned i = 0; i < sw->npools; i++)
		if (!strcmp(sw->pools[i].name, name))
			return &sw->pools[i];
	return NULL;
}

static int pool_has_addr(const struct cfg_pool *pl, const struct ol_addr *a)
{
	for (unsigned i = 0; i < pl->naddrs; i++)
		if (!addr_cmp(&pl->addrs[i], a))
			return 1;
	return 0;
}

/* the pool's hosts: those listed, or every [host NAME] */
static unsigned pool_nhosts(const struct cfg_pool *pl, const struct cfg_switch *sw)
{
	return pl->nhosts ? pl->nhosts : sw->nhosts;
}

static const char *pool_host(const struct cfg_pool *pl, const struct cfg_switch *sw, unsigned i)
{
	return pl->nhosts ? pl->hosts[i] : sw->hosts[i].name;
}

static int pool_has_host(const struct cfg_pool *pl, const struct cfg_switch *sw, const char *host)
{
	for (unsigned i = 0; i < pool_nhosts(pl, sw); i++)
		if (!strcmp(pool_host(pl, sw, i), host))
			return 1;
	return 0;
}

/* whether the record is one of the pool's slices as the config cuts them */
static int slice_valid(const struct cfg_pool *pl, const struct lease *l)
{
	unsigned f = first_slice_port(pl);
	return pool_has_addr(pl, &l->addr) && l->first >= f && (l->first - f) % pl->slice_size == 0 &&
	       l->last == l->first + pl->slice_size - 1 && l->last <= pl->last;
}

static void drop(struct leases *L, size_t i)
{
	memmove(&L->v[i], &L->v[i + 1], (L->n - i - 1) * sizeof(*L->v));
	L->n--;
}

static void rest(struct lease *l, const struct cfg_pool *pl, int64_t now)
{
	l->state = LEASE_RESTING;
	l->since = now;
	l->until = now + pl->quarantine_ms;
}

/* the record of the pool's slice of a family a host holds (or, with
 * state LEASE_RESTING, rests from), or NULL */
static struct lease *find(struct leases *L, const char *pool, int family, const char *host, enum lease_state st)
{
	for (size_t i = 0; i < L->n; i++)
		if (L->v[i].state == st && L->v[i].addr.family == family && !strcmp(L->v[i].pool, pool) &&
		    !strcmp(L->v[i].host, host))
			return &L->v[i];
	return NULL;
}

static int slice_taken(const struct leases *L, const struct ol_addr *a, uint16_t first)
{
	for (size_t i = 0; i < L->n; i++)
		if (L->v[i].first == first && !addr_cmp(&L->v[i].addr, a))
			return 1;
	return 0;
}

static unsigned addr_records(const struct leases *L, const struct ol_addr *a)
{
	unsigned n = 0;
	for (size_t i = 0; i < L->n; i++)
		n += !addr_cmp(&L->v[i].addr, a);
	return n;
}

/* A new record at the end, or NULL (no memory) */
static struct lease *lease_add(struct leases *L, const struct cfg_pool *pl, const char *host, const struct ol_addr *a,
			       uint16_t first, uint16_t last, enum lease_state st, int64_t now)
{
	if (vec_reserve_((void **)&L->v, &L->cap, L->n + 1, sizeof(*L->v)))
		return NULL;
	struct lease *l = &L->v[L->n++];
	memset(l, 0, sizeof(*l));
	snprintf(l->pool, sizeof(l->pool), "%s", pl->name);
	snprintf(l->host, sizeof(l->host), "%s", host);
	l->addr = *a;
	l->first = first;
	l->last = last;
	l->state = st;
	l->since = now;
	return l;
}

/* A new lease for host: the address of the family with the fewest
 * records (the first in the config on a tie), its lowest free slice. */
static int grant_at(struct leases *L, const struct cfg_pool *pl, int family, const char *host, int64_t now,
		    const struct ol_addr *prefer, struct lease **out)
{
	const struct ol_addr *best = NULL;
	unsigned best_n = 0;
	*out = NULL;
	if (prefer && addr_records(L, prefer) < pool_slices(pl))
		best = prefer;
	for (unsigned k = 0; k < pl->naddrs && !(prefer && best); k++) {
		const struct ol_addr *a = &pl->addrs[k];
		unsigned n = addr_records(L, a);
		if (a->family != family || n >= pool_slices(pl) || (best && n >= best_n))
			continue;
		best = a;
		best_n = n;
	}
	if (!best)
		return 0;
	for (unsigned i = 0; i < pool_slices(pl); i++) {
		uint16_t first, last;
		pool_slice(pl, i, &first, &last);
		if (slice_taken(L, best, first))
			continue;
		if (!(*out = lease_add(L, pl, host, best, first, last, LEASE_HELD, now)))
			return -ENOMEM;
		return 1;
	}
	return 0;
}

static int grant(struct leases *L, const struct cfg_pool *pl, int family, const char *host, int64_t now,
		 struct lease **out)
{
	return grant_at(L, pl, family, host, now, NULL, out);
}

int pool_decides(const struct cfg_pool *pl, const char *me)
{
	return !pl->leader[0] || !strcmp(pl->leader, me);
}

int leases_update(struct leases *L, const struct cfg_switch *sw, const char *me, int64_t now, lease_dead_fn dead,
		  void *dead_arg, lease_note_fn note, void *note_arg)
{
	int changes = 0;
	for (size_t i = 0; i < L->n;) {
		struct lease *l = &L->v[i];
		const struct cfg_pool *pl = pool_of(sw, l->pool);
		if (!pl || !slice_valid(pl, l)) {
			/* the config cut the pool anew, or dropped it: the slice
			 * may overlap new ones, so it cannot rest */
			note(note_arg, l, "ended");
			drop(L, i);
			changes++;
			continue;
		}
		if (!pool_decides(pl, me)) { /* its leader decides: held as the hosts follow it */
			i++;
			continue;
		}
		if (l->state == LEASE_RESTING && now >= l->until) {
			note(note_arg, l, "freed");
			drop(L, i);
			changes++;
			continue;
		}
		if (l->state == LEASE_HELD && (!pool_has_host(pl, sw, l->host) || dead(dead_arg, l->host))) {
			rest(l, pl, now);
			note(note_arg, l, "rests");
			changes++;
		}
		i++;
	}
	for (unsigned p = 0; p < sw->npools; p++) {
		const struct cfg_pool *pl = &sw->pools[p];
		if (!pool_decides(pl, me))
			continue;
		for (unsigned h = 0; h < pool_nhosts(pl, sw); h++) {
			const char *host = pool_host(pl, sw, h);
			if (dead(dead_arg, host))
				continue;
			static const int fams[2] = { AF_INET, AF_INET6 };
			for (int f = 0; f < 2; f++) {
				int has = 0;
				for (unsigned k = 0; k < pl->naddrs; k++)
					has |= pl->addrs[k].family == fams[f];
				if (!has || find(L, pl->name, fams[f], host, LEASE_HELD))
					continue;
				struct lease *l = find(L, pl->name, fams[f], host, LEASE_RESTING);
				if (l) { /* its own, resting unused: back at once */
					l->state = LEASE_HELD;
					l->since = now;
					l->until = 0;
					note(note_arg, l, "back");
					changes++;
					continue;
				}
				int r = grant(L, pl, fams[f], host, now, &l);
				if (r < 0)
					return r;
				if (r) {
					note(note_arg, l, "leased");
					changes++;
				} else {
					struct lease none = { .addr.family = (uint8_t)fams[f] };
					snprintf(none.pool, sizeof(none.pool), "%s", pl->name);
					snprintf(none.host, sizeof(none.host), "%s", host);
					L->exhausted++;
					note(note_arg, &none, "exhausted");
				}
			}
		}
	}
	return changes;
}

int leases_fit(struct leases *L, const struct cfg_switch *sw, const char *me, int64_t now, lease_use_fn use,
	       void *use_arg, lease_note_fn note, void *note_arg)
{
	int changes = 0;
	for (unsigned p = 0; p < sw->npools; p++) {
		const struct cfg_pool *pl = &sw->pools[p];
		if (!pool_decides(pl, me))
			continue;
		for (unsigned h = 0; h < pool_nhosts(pl, sw); h++) {
			const char *host = pool_host(pl, sw, h);
			for (int f = 0; f < 2; f++) {
				int family = f ? AF_INET6 : AF_INET;
				size_t idx[LEASES_PER_FAMILY_MAX + 1], c = 0;
				unsigned long total = 0, used = 0;
				for (size_t i = 0; i < L->n && c <= LEASES_PER_FAMILY_MAX; i++) {
					struct lease *l = &L->v[i];
					if (l->state != LEASE_HELD || l->addr.family != family || strcmp(l->pool, pl->name) ||
					    strcmp(l->host, host))
						continue;
					idx[c++] = i;
					total += l->last - l->first + 1u;
					used += use(use_arg, l);
				}
				if (!c)
					continue;
				if (used * 10 > total * 9 && c < LEASES_PER_FAMILY_MAX) {
					struct lease *nl;
					struct ol_addr at = L->v[idx[0]].addr;
					int r = grant_at(L, pl, family, host, now, &at, &nl);
					if (r < 0)
						return r;
					if (r) {
						note(note_arg, nl, "grew");
						changes++;
					}
					continue;
				}
				/* the extra lease (the newest) keeps the time it went under half */
				size_t newest = idx[0];
				for (size_t k = 1; k < c; k++)
					if (L->v[idx[k]].since >= L->v[newest].since)
						newest = idx[k];
				if (c < 2 || used * 2 >= total) {
					for (size_t k = 0; k < c; k++)
						L->v[idx[k]].low_since = 0;
					continue;
				}
				struct lease *x = &L->v[newest];
				if (!x->low_since) {
					x->low_since = now;
					continue;
				}
				if (now - x->low_since < (int64_t)pl->shrink_after_ms)
					continue;
				/* the least used of its leases goes back (not its first:
				 * the oldest stays) */
				size_t oldest = idx[0], give = newest;
				for (size_t k = 1; k < c; k++)
					if (L->v[idx[k]].since < L->v[oldest].since)
						oldest = idx[k];
				unsigned least = ~0u;
				for (size_t k = 0; k < c; k++)
					if (idx[k] != oldest && use(use_arg, &L->v[idx[k]]) < least) {
						least = use(use_arg, &L->v[idx[k]]);
						give = idx[k];
					}
				note(note_arg, &L->v[give], "shrank");
				drop(L, give);
				changes++;
			}
		}
	}
	return changes;
}

int leases_move(struct leases *L, const struct cfg_switch *sw, const char *host, int64_t now, lease_note_fn note,
		void *note_arg)
{
	/* the host's leases now: each gets a successor, then goes (the new
	 * ones are appended, and must not be moved in turn) */
	size_t n0 = L->n, moved = 0;
	struct lease *old = calloc(n0 + 1, sizeof(*old));
	size_t nold = 0;
	if (!old)
		return -ENOMEM;
	for (size_t i = 0; i < n0; i++)
		if (L->v[i].state == LEASE_HELD && !strcmp(L->v[i].host, host) && pool_of(sw, L->v[i].pool))
			old[nold++] = L->v[i];
	for (size_t k = 0; k < nold; k++) {
		struct lease *nl;
		int r = grant(L, pool_of(sw, old[k].pool), old[k].addr.family, host, now, &nl); /* the old one still taken */
		if (r < 0) {
			free(old);
			return r;
		}
		if (!r)
			continue;
		note(note_arg, &old[k], "moved");
		note(note_arg, nl, "leased");
		for (size_t i = 0; i < L->n; i++)
			if (L->v[i].first == old[k].first && !addr_cmp(&L->v[i].addr, &old[k].addr)) {
				drop(L, i); /* free at once: what its flows hold is kept for it (moves.h) */
				break;
			}
		moved++;
	}
	free(old);
	return (int)moved;
}

static int slice_cmp(const void *a, const void *b)
{
	const struct ol_slice *x = a, *y = b;
	return (int)x->first - (int)y->first;
}

int leases_adopt(struct leases *L, const struct cfg_pool *pl, const struct ol_egress *t, int64_t now)
{
	int changes = 0;
	/* a slice it held for a host that now rests: resting, its last holder known */
	for (size_t i = 0; i < L->n; i++) {
		struct lease *l = &L->v[i];
		for (unsigned k = 0; !addr_cmp(&l->addr, &t->addr) && l->state == LEASE_HELD && k < t->nslices; k++)
			if (!t->slices[k].host[0] && t->slices[k].first == l->first && t->slices[k].last == l->last) {
				rest(l, pl, now);
				changes++;
			}
	}
	/* what it held of the address and the table no longer has goes */
	for (size_t i = 0; i < L->n;) {
		struct lease *l = &L->v[i];
		int keep = 0;
		for (unsigned k = 0; addr_cmp(&l->addr, &t->addr) == 0 && k < t->nslices && !keep; k++)
			keep = t->slices[k].first == l->first && t->slices[k].last == l->last &&
			       (t->slices[k].host[0] ? l->state == LEASE_HELD && !strcmp(t->slices[k].host, l->host)
						     : l->state == LEASE_RESTING);
		if (!addr_cmp(&l->addr, &t->addr) && !keep) {
			drop(L, i);
			changes++;
			continue;
		}
		i++;
	}
	for (unsigned k = 0; k < t->nslices; k++) {
		const struct ol_slice *s = &t->slices[k];
		if (slice_taken(L, &t->addr, s->first))
			continue;
		struct lease *l = lease_add(L, pl, s->host, &t->addr, s->first, s->last,
					    s->host[0] ? LEASE_HELD : LEASE_RESTING, now);
		if (!l)
			return -ENOMEM;
		l->until = s->host[0] ? 0 : now + pl->quarantine_ms;
		changes++;
	}
	return changes;
}

int leases_tables(const struct leases *L, const struct cfg_switch *sw, const char *me, struct ol_egress **out,
		  size_t *n)
{
	size_t cap = sw->negress;
	for (unsigned p = 0; p < sw->npools; p++)
		cap += sw->pools[p].naddrs;
	struct ol_egress *t = calloc(cap + 1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	size_t k = 0;
	for (unsigned i = 0; i < sw->negress; i++) {
		t[k] = sw->egress[i].e;
		t[k++].decided = 1; /* the config's: every switch agent says the same */
	}
	for (unsigned p = 0; p < sw->npools; p++)
		for (unsigned a = 0; a < sw->pools[p].naddrs; a++) {
			struct ol_egress *e = &t[k];
			e->addr = sw->pools[p].addrs[a];
			e->decided = (uint8_t)pool_decides(&sw->pools[p], me);
			/* held first, then resting while the table has room: a
			 * resting slice left out is only not dropped early */
			for (int pass = LEASE_HELD; pass <= LEASE_RESTING; pass++)
				for (size_t i = 0; i < L->n && e->nslices < OL_SLICES_MAX; i++) {
					const struct lease *l = &L->v[i];
					if (l->state != (enum lease_state)pass || addr_cmp(&l->addr, &e->addr))
						continue;
					struct ol_slice *s = &e->slices[e->nslices++];
					memset(s, 0, sizeof(*s));
					if (l->state == LEASE_HELD)
						snprintf(s->host, sizeof(s->host), "%s", l->host);
					s->first = l->first;
					s->last = l->last;
				}
			qsort(e->slices, e->nslices, sizeof(e->slices[0]), slice_cmp);
			/* a follower's address goes even empty: the hosts tell it
			 * the leader's table only where it holds one */
			if (e->nslices || !e->decided)
				k++;
		}
	*out = t;
	*n = k;
	return 0;
}

json_t *leases_to_json(const struct leases *L)
{
	json_t *arr = json_array();
	char a[ADDR_STRLEN];
	for (size_t i = 0; arr && i < L->n; i++) {
		const struct lease *l = &L->v[i];
		json_t *o = json_pack("{s:s, s:s, s:i, s:i, s:s, s:s, s:I}", "pool", l->pool, "address",
				      addr_str(&l->addr, a, sizeof(a)), "first", (int)l->first, "last", (int)l->last, "host",
				      l->host, "state", lease_state_str(l->state), "since", (json_int_t)l->since);
		if (o && l->state == LEASE_RESTING)
			json_object_set_new(o, "until", json_integer((json_int_t)l->until));
		if (!o || json_array_append_new(arr, o)) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

int leases_from_json(struct leases *L, const json_t *arr, unsigned *bad)
{
	size_t i;
	json_t *o;
	*bad = 0;
	json_array_foreach(arr, i, o) {
		struct lease l = { 0 };
		const char *pool = NULL, *addr = NULL, *host = NULL, *state = NULL;
		json_int_t first = 0, last = 0, since = 0, until = 0;
		if (json_unpack(o, "{s:s, s:s, s:I, s:I, s:s, s:s, s:I, s?:I}", "pool", &pool, "address", &addr, "first",
				&first, "last", &last, "host", &host, "state", &state, "since", &since, "until", &until) ||
		    !name_valid(pool) || !name_valid(host) || addr_parse(addr, &l.addr) || first < OL_PORT_MIN ||
		    last > 65535 || first > last || (strcmp(state, "held") && strcmp(state, "resting")) ||
		    slice_taken(L, &l.addr, (uint16_t)first)) {
			(*bad)++;
			continue;
		}
		snprintf(l.pool, sizeof(l.pool), "%s", pool);
		snprintf(l.host, sizeof(l.host), "%s", host);
		l.first = (uint16_t)first;
		l.last = (uint16_t)last;
		l.state = strcmp(state, "held") ? LEASE_RESTING : LEASE_HELD;
		l.since = since;
		l.until = until;
		if (vec_reserve_((void **)&L->v, &L->cap, L->n + 1, sizeof(*L->v)))
			return -ENOMEM;
		L->v[L->n++] = l;
	}
	return 0;
}

void leases_free(struct leases *L)
{
	free(L->v);
	memset(L, 0, sizeof(*L));
}
