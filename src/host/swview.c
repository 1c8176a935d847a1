/* A switch agent's view, as a host holds it (swview.h). */
#include "host/swview.h"
#include "base/vec.h"
#include <errno.h>
#include <sodium.h>
#include <string.h>

const struct ol_provider *provset_find(const struct provset *s, const char *name)
{
	return vec_name_find(s, name);
}

const struct ol_provider *provset_find_addr(const struct provset *s, const struct ol_addr *a)
{
	for (size_t i = 0; i < s->n; i++)
		for (unsigned k = 0; k < s->v[i].naddrs; k++)
			if (!addr_cmp(&s->v[i].addrs[k].addr, a))
				return &s->v[i];
	return NULL;
}

int provset_put(struct provset *s, const struct ol_provider *p)
{
	int fresh;
	struct ol_provider *o = vec_name_put(s, p->name, &fresh);
	if (!o)
		return -ENOMEM;
	*o = *p;
	return 0;
}

int hostdir_put(struct hostdir *d, const char *name, const struct ol_addr *a)
{
	int fresh;
	struct dir_host *e = vec_name_put(d, name, &fresh);
	if (!e)
		return -ENOMEM;
	e->addr = *a;
	return 0;
}

int keptset_put(struct keptset *s, const struct ol_kept *k)
{
	size_t i;
	for (i = 0; i < s->n && (addr_cmp(&s->v[i].addr, &k->addr) || strcmp(s->v[i].host, k->host)); i++)
		;
	if (!k->ports.n) {
		if (i < s->n)
			memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof(s->v[0]));
		s->n -= i < s->n;
		return 0;
	}
	if (i == s->n) {
		if (vec_reserve(s, s->n + 1))
			return -ENOMEM;
		s->n++;
	}
	s->v[i] = *k;
	return 0;
}

int egset_put(struct egset *s, const struct ol_egress *e)
{
	for (size_t i = 0; i < s->n; i++)
		if (!addr_cmp(&s->v[i].addr, &e->addr)) {
			s->v[i] = *e;
			return 0;
		}
	return vec_push(s, *e);
}

int changes_add(struct changes *ch, const char *name)
{
	int fresh;
	if (ch->full)
		return 0;
	if (!vec_name_put(ch, name, &fresh)) {
		ch->full = 1; /* out of memory: everything is looked at */
		return -ENOMEM;
	}
	return 0;
}

void changes_clear(struct changes *ch)
{
	ch->full = 0;
	ch->n = 0;
}

int swview_provider(struct swview *v, struct ol_provider *p, uint64_t gen, struct changes *ch)
{
	const struct ol_provider *o = provset_find(&v->provs, p->name);
	p->gen = gen;
	if (o && gen && o->gen >= gen) {
		v->stale++;
		return 0;
	}
	if (provset_put(&v->provs, p))
		return 0;
	changes_add(ch, p->name);
	return 1;
}

int swview_datagram(struct swview *v, const uint8_t *msg, size_t n, struct changes *ch)
{
	size_t off = 0, bn;
	uint8_t type;
	const uint8_t *body;
	uint64_t gen = 0;
	int r;
	while ((r = wire_rec_next(msg, n, &off, &type, &body, &bn)) == 1) {
		struct ol_provider p;
		if (type == WM_GEN && !wire_gen_decode(body, bn, &gen))
			continue;
		if (type != WM_PROVIDER || !gen || wire_provider_decode(body, bn, &p))
			return -EBADMSG;
		swview_provider(v, &p, gen, ch);
	}
	return r;
}

static void snapshot_end(struct swview *v)
{
	struct provset t = v->provs;
	v->provs = v->stage;
	v->stage = t;
	v->stage.n = 0;
	struct egset te = v->egress;
	v->egress = v->egress_stage;
	v->egress_stage = te;
	v->egress_stage.n = 0;
	struct keptset tk = v->kept;
	v->kept = v->kept_stage;
	v->kept_stage = tk;
	v->kept_stage.n = 0;
	/* hosts accumulate: a restarted switch learns them again one by one as
	 * they reconnect, and a host missing from its first snapshot has not
	 * left the POP (its slices say whether it is steered) */
	for (size_t i = 0; i < v->dir_stage.n; i++)
		hostdir_put(&v->dir, v->dir_stage.v[i].name, &v->dir_stage.v[i].addr);
	v->dir_stage.n = 0;
	v->in_snapshot = 0;
	v->have_snapshot = 1;
}

int swview_msg(struct swview *v, uint8_t type, const uint8_t *body, size_t n, struct changes *ch,
	       struct wire_fastpath *fp, const char **why)
{
	struct ol_provider p;
	char name[OL_NAME_MAX];
	switch (type) {
	case WM_SNAP_BEGIN:
		if (v->in_snapshot || n) {
			*why = "snapshot out of order";
			return -1;
		}
		v->in_snapshot = 1;
		v->gen = 0;
		v->stage.n = 0;
		v->egress_stage.n = 0;
		v->kept_stage.n = 0;
		v->dir_stage.n = 0;
		return 0;
	case WM_PROVIDER:
		if (wire_provider_decode(body, n, &p)) {
			*why = "malformed provider";
			return -1;
		}
		if (v->in_snapshot) {
			p.gen = v->gen;
			return provset_put(&v->stage, &p) ? (*why = "out of memory", -1) : 0;
		}
		if (!v->have_snapshot) {
			*why = "provider before snapshot";
			return -1;
		}
		swview_provider(v, &p, v->gen, ch);
		return 0;
	case WM_GEN:
		if (wire_gen_decode(body, n, &v->gen)) {
			*why = "malformed generation";
			return -1;
		}
		return 0;
	case WM_FASTPATH:
		if (wire_fastpath_decode(body, n, fp) || !v->have_snapshot) {
			sodium_memzero(fp, sizeof(*fp));
			*why = "malformed or early fast path";
			return -1;
		}
		return 1;
	case WM_EGRESS: {
		struct ol_egress e;
		if (wire_egress_decode(body, n, &e)) {
			*why = "malformed egress table";
			return -1;
		}
		if (v->in_snapshot)
			return egset_put(&v->egress_stage, &e) ? (*why = "out of memory", -1) : 0;
		if (!v->have_snapshot) {
			*why = "egress table before snapshot";
			return -1;
		}
		egset_put(&v->egress, &e);
		ch->full = 1;
		return 0;
	}
	case WM_EGRESS_KEPT: {
		static struct ol_kept k;
		if (wire_kept_decode(body, n, &k.addr, k.host, &k.ports)) {
			*why = "malformed kept ports";
			return -1;
		}
		if (v->in_snapshot)
			return keptset_put(&v->kept_stage, &k) ? (*why = "out of memory", -1) : 0;
		if (!v->have_snapshot) {
			*why = "kept ports before snapshot";
			return -1;
		}
		if (keptset_put(&v->kept, &k)) {
			*why = "out of memory";
			return -1;
		}
		ch->full = 1;
		return 0;
	}
	case WM_HOST: {
		struct ol_addr a;
		if (wire_host_decode(body, n, name, &a)) {
			*why = "malformed host";
			return -1;
		}
		if (v->in_snapshot)
			return hostdir_put(&v->dir_stage, name, &a) ? (*why = "out of memory", -1) : 0;
		if (!v->have_snapshot) {
			*why = "host before snapshot";
			return -1;
		}
		hostdir_put(&v->dir, name, &a);
		ch->full = 1;
		return 0;
	}
	case WM_SWITCH: {
		int dead, fresh;
		if (wire_switch_decode(body, n, name, &dead)) {
			*why = "malformed switch report";
			return -1;
		}
		struct swreport *r = vec_name_put(&v->reports, name, &fresh);
		if (!r) {
			*why = "out of memory";
			return -1;
		}
		if (fresh || r->dead != dead)
			v->reports_changed = 1;
		r->dead = dead;
		return 0;
	}
	case WM_PROVIDER_DEL:
		if (wire_name_decode(body, n, name) || v->in_snapshot) {
			*why = "malformed or out-of-order removal";
			return -1;
		}
		if (vec_name_del(&v->provs, name))
			changes_add(ch, name);
		return 0;
	case WM_SNAP_END:
		if (!v->in_snapshot || n) {
			*why = "snapshot end out of order";
			return -1;
		}
		snapshot_end(v);
		ch->full = 1;
		return 0;
	}
	*why = "unknown message type";
	return -1;
}

void swview_drop(struct swview *v)
{
	v->in_snapshot = 0;
	v->stage.n = 0;
	v->egress_stage.n = 0;
	v->kept_stage.n = 0;
	v->dir_stage.n = 0;
}

void swview_free(struct swview *v)
{
	vec_free(&v->provs);
	vec_free(&v->stage);
	vec_free(&v->egress);
	vec_free(&v->egress_stage);
	vec_free(&v->kept);
	vec_free(&v->kept_stage);
	vec_free(&v->dir);
	vec_free(&v->dir_stage);
	vec_free(&v->reports);
}
