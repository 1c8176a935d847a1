/* Moved slices and their kept ports (moves.h). */
#include "switch/moves.h"
#include "base/vec.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

int lives_put(struct lives *L, const char *host, const struct ol_addr *a, uint16_t in_use, const struct ol_ports *p)
{
	struct live_report *r = (struct live_report *)lives_get(L, host, a);
	if (r) {
		if (r->in_use == in_use && ports_equal(&r->ports, p))
			return 0;
	} else {
		if (vec_reserve_((void **)&L->v, &L->cap, L->n + 1, sizeof(*L->v)))
			return -ENOMEM;
		r = &L->v[L->n++];
		memset(r, 0, sizeof(*r));
		snprintf(r->host, sizeof(r->host), "%s", host);
		r->addr = *a;
	}
	r->in_use = in_use;
	r->ports = *p;
	return 1;
}

const struct live_report *lives_get(const struct lives *L, const char *host, const struct ol_addr *a)
{
	for (size_t i = 0; i < L->n; i++)
		if (!strcmp(L->v[i].host, host) && !addr_cmp(&L->v[i].addr, a))
			return &L->v[i];
	return NULL;
}

void lives_free(struct lives *L)
{
	free(L->v);
	memset(L, 0, sizeof(*L));
}

static const struct ol_egress *table_of(const struct ol_egress *t, size_t n, const struct ol_addr *a)
{
	for (size_t i = 0; i < n; i++)
		if (!addr_cmp(&t[i].addr, a))
			return &t[i];
	return NULL;
}

/* ports of `s` less those the host owns in `t` */
static void less_owned(struct ol_ports *s, const struct ol_egress *t, const char *host)
{
	for (unsigned k = 0; t && k < t->nslices; k++)
		if (!strcmp(t->slices[k].host, host))
			ports_minus_range(s, t->slices[k].first, t->slices[k].last);
}

int moves_detect(struct moves *M, const struct ol_egress *before, size_t nbefore, const struct ol_egress *after,
		 size_t nafter, const struct lives *L, moves_alive_fn alive, void *arg, int64_t now, uint32_t deadline_ms)
{
	int started = 0;
	for (size_t i = 0; i < nbefore; i++) {
		const struct ol_egress *b = &before[i], *a = table_of(after, nafter, &b->addr);
		for (unsigned k = 0; k < b->nslices; k++) {
			const struct ol_slice *s = &b->slices[k];
			if (!s->host[0] || !alive(arg, s->host))
				continue;
			const struct live_report *r = lives_get(L, s->host, &b->addr);
			if (!r)
				continue;
			struct move m = { .addr = b->addr, .first = s->first, .last = s->last, .since = now,
					  .until = now + deadline_ms };
			snprintf(m.host, sizeof(m.host), "%s", s->host);
			ports_within(&r->ports, s->first, s->last, &m.ports);
			less_owned(&m.ports, a, s->host); /* what it still owns is not moved */
			if (!m.ports.n)
				continue;
			if (vec_reserve_((void **)&M->v, &M->cap, M->n + 1, sizeof(*M->v)))
				return -ENOMEM;
			M->v[M->n++] = m;
			M->started++;
			started++;
		}
	}
	return started;
}

int moves_update(struct moves *M, const struct lives *L, moves_alive_fn alive, void *arg, int64_t now)
{
	int changes = 0;
	for (size_t i = 0; i < M->n;) {
		struct move *m = &M->v[i];
		const struct live_report *r = lives_get(L, m->host, &m->addr);
		if (r) {
			struct ol_ports p;
			ports_within(&r->ports, m->first, m->last, &p);
			/* only ports it kept: a later report cannot add any */
			struct ol_ports q = { 0 };
			for (unsigned k = 0; k < p.n; k++)
				for (unsigned j = 0; j < m->ports.n; j++) {
					uint16_t f = p.r[k].first > m->ports.r[j].first ? p.r[k].first : m->ports.r[j].first;
					uint16_t l = p.r[k].last < m->ports.r[j].last ? p.r[k].last : m->ports.r[j].last;
					if (f <= l && q.n < OL_RANGES_MAX)
						q.r[q.n].first = f, q.r[q.n++].last = l;
				}
			if (!ports_equal(&q, &m->ports)) {
				m->ports = q;
				changes++;
			}
		}
		int ended = !m->ports.n, expired = now >= m->until, dead = !alive(arg, m->host);
		if (ended || expired || dead) {
			M->ended += ended;
			M->expired += !ended && (expired || dead);
			memmove(m, m + 1, (M->n - i - 1) * sizeof(*m));
			M->n--;
			changes++;
			continue;
		}
		i++;
	}
	return changes;
}

void moves_kept(const struct moves *M, const struct ol_addr *a, const char *host, struct ol_ports *out)
{
	static struct ol_ports t;
	out->n = 0;
	for (size_t i = 0; i < M->n; i++)
		if (!strcmp(M->v[i].host, host) && !addr_cmp(&M->v[i].addr, a)) {
			ports_union(out, &M->v[i].ports, &t);
			*out = t;
		}
}

json_t *moves_to_json(const struct moves *M)
{
	json_t *arr = json_array();
	char a[ADDR_STRLEN];
	for (size_t i = 0; arr && i < M->n; i++) {
		const struct move *m = &M->v[i];
		json_t *ports = json_array();
		for (unsigned k = 0; ports && k < m->ports.n; k++)
			json_array_append_new(ports, json_pack("[i, i]", (int)m->ports.r[k].first, (int)m->ports.r[k].last));
		json_t *o = ports ? json_pack("{s:s, s:s, s:i, s:i, s:o, s:I, s:I}", "address", addr_str(&m->addr, a, sizeof(a)),
					      "host", m->host, "first", (int)m->first, "last", (int)m->last, "ports", ports,
					      "since", (json_int_t)m->since, "until", (json_int_t)m->until) : NULL;
		if (!o || json_array_append_new(arr, o)) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

int moves_from_json(struct moves *M, const json_t *arr, unsigned *bad)
{
	size_t i, k;
	json_t *o, *x;
	*bad = 0;
	json_array_foreach(arr, i, o) {
		struct move m = { 0 };
		const char *addr = NULL, *host = NULL;
		json_t *ports = NULL;
		json_int_t first = 0, last = 0;
		int ok = !json_unpack(o, "{s:s, s:s, s:I, s:I, s:o, s:I, s:I}", "address", &addr, "host", &host, "first",
				      &first, "last", &last, "ports", &ports, "since", &m.since, "until", &m.until) &&
			 !addr_parse(addr, &m.addr) && name_valid(host) && first >= OL_PORT_MIN && last <= 65535 &&
			 first <= last && json_is_array(ports) && json_array_size(ports) <= OL_RANGES_MAX;
		json_array_foreach(ok ? ports : NULL, k, x) {
			json_int_t f, l;
			if (json_unpack(x, "[I, I]", &f, &l) || f < first || l > last || f > l) {
				ok = 0;
				break;
			}
			m.ports.r[m.ports.n].first = (uint16_t)f;
			m.ports.r[m.ports.n++].last = (uint16_t)l;
		}
		if (!ok || !ports_valid(&m.ports)) {
			(*bad)++;
			continue;
		}
		snprintf(m.host, sizeof(m.host), "%s", host);
		m.first = (uint16_t)first;
		m.last = (uint16_t)last;
		if (vec_reserve_((void **)&M->v, &M->cap, M->n + 1, sizeof(*M->v)))
			return -ENOMEM;
		M->v[M->n++] = m;
	}
	return 0;
}

void moves_free(struct moves *M)
{
	free(M->v);
	memset(M, 0, sizeof(*M));
}
