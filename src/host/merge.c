/* The merged view and the desired state, in full and in turns (merge.h). */
#include "host/merge.h"
#include "base/vec.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int merge_peer_steered(const struct hview *hv, const char *me, const char *name)
{
	if (!strcmp(name, me))
		return 0;
	for (size_t i = 0; i < hv->egress.n; i++)
		if (egress_slice_of(&hv->egress.v[i], name))
			return 1;
	for (size_t i = 0; i < hv->kept.n; i++)
		if (!strcmp(hv->kept.v[i].host, name))
			return 1;
	return 0;
}

/* The merged state of one provider: 1 and *out, or 0 when no switch has it.
 * (Turns run only while no switch is held dead.) */
static int merge_one(const struct swview *const *views, unsigned n, const char *name, struct ol_provider *out)
{
	int found = 0;
	for (unsigned i = 0; i < n; i++) {
		const struct ol_provider *p = provset_find(&views[i]->provs, name);
		if (!p)
			continue;
		if (provider_up(p)) {
			*out = *p;
			return 1;
		}
		if (!found)
			*out = *p;
		found = 1;
	}
	return found;
}

/* Whether a provider names `name` as its backup. */
static int is_backup(const struct provset *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].backup, name))
			return 1;
	return 0;
}

/* Each provider down with a backup takes the MACs of the first live one
 * along its backups. Resolved on the merged states before any is taken, so
 * a substituted provider never stands in for another. */
/* Whether following p's backups comes back to p: a cycle, which the
 * switch agents' configs make together (each sees only its own part).
 * Its path goes to buf. */
static int in_cycle(const struct hview *hv, const struct ol_provider *p, char *buf, size_t len)
{
	const struct ol_provider *q = p;
	size_t off = (size_t)snprintf(buf, len, "%s", p->name);
	for (size_t steps = 0; q->backup[0] && steps < hv->merged.n; steps++) {
		if (!(q = provset_find(&hv->merged, q->backup)))
			return 0;
		if (off < len)
			off += (size_t)snprintf(buf + off, len - off, " -> %s", q->name);
		if (q == p)
			return 1;
	}
	return 0;
}

static int substitute(struct hview *hv)
{
	size_t n = hv->merged.n;
	int *via = NULL;
	char path[160];
	hv->subst.n = 0;
	hv->cycles = 0;
	hv->cycle[0] = 0;
	if (!n)
		return 0;
	if (!(via = malloc(n * sizeof(*via))))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct ol_provider *p = &hv->merged.v[i];
		via[i] = -1;
		if (!p->backup[0])
			continue;
		if (in_cycle(hv, p, path, sizeof(path)) && !hv->cycles++)
			snprintf(hv->cycle, sizeof(hv->cycle), "%s", path);
		if (provider_up(p))
			continue;
		struct subst blank = { .why = "no switch agent announces it" };
		if (vec_push(&hv->subst, blank)) {
			free(via);
			return -ENOMEM;
		}
		struct subst *st = &hv->subst.v[hv->subst.n - 1];
		snprintf(st->name, sizeof(st->name), "%s", p->name);
		/* the first live provider along its backups, never round a cycle */
		const struct ol_provider *q = p;
		for (size_t steps = 0; q->backup[0]; steps++) {
			const struct ol_provider *b = provset_find(&hv->merged, q->backup);
			if (!b)
				break;
			if (b == p || steps >= n) {
				st->why = "its backups go round in a cycle";
				break;
			}
			if (provider_up(b)) {
				via[i] = (int)(b - hv->merged.v);
				snprintf(st->via, sizeof(st->via), "%s", b->name);
				st->why = "";
				break;
			}
			st->why = "no backup is up";
			q = b;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (via[i] >= 0) {
			provider_substitute(&hv->merged.v[i], &hv->merged.v[via[i]]);
			memcpy(hv->merged.v[i].via, hv->merged.v[via[i]].name, OL_NAME_MAX);
		}
	free(via);
	return 0;
}

int merge_rebuild(struct hview *hv, const struct swview *const *views, unsigned n, const struct merge_params *mp)
{
	const struct host_params *hp = &mp->hp;
	int r = 0;

	hv->merged.n = hv->egress.n = hv->kept.n = hv->dir.n = 0;
	hv->desired.n = 0;
	changes_clear(&hv->changed);
	hv->changed.full = 1;
	hv->tables_changed = 1;
	for (unsigned i = 0; i < n && !r; i++) {
		const struct swview *s = views[i];
		for (size_t k = 0; k < s->dir.n && !r; k++) {
			int fresh;
			struct dir_host *d = vec_name_put(&hv->dir, s->dir.v[k].name, &fresh);
			if (!d)
				r = -ENOMEM;
			else if (fresh)
				d->addr = s->dir.v[k].addr;
		}
	}
	/* each shared address's table from the first switch agent that decides
	 * it (a pool's leader), else from the first that has it */
	for (int decided = 1; decided >= 0 && !r; decided--)
		for (unsigned i = 0; i < n && !r; i++) {
			const struct swview *s = views[i];
			for (size_t k = 0; k < s->egress.n && !r; k++) {
				size_t m;
				if (s->egress.v[k].decided != decided)
					continue;
				for (m = 0; m < hv->egress.n; m++)
					if (!addr_cmp(&hv->egress.v[m].addr, &s->egress.v[k].addr))
						break;
				if (m < hv->egress.n)
					continue;
				r = egset_put(&hv->egress, &s->egress.v[k]);
				for (size_t j = 0; j < s->kept.n && !r; j++)
					if (!addr_cmp(&s->kept.v[j].addr, &s->egress.v[k].addr))
						r = keptset_put(&hv->kept, &s->kept.v[j]);
			}
		}
	for (unsigned i = 0; i < n && !r; i++) {
		const struct swview *s = views[i];
		int dead = mp->dead && mp->dead[i];
		for (size_t k = 0; k < s->provs.n; k++) {
			struct ol_provider p = s->provs.v[k];
			int fresh;
			if (dead)
				for (unsigned a = 0; a < p.naddrs; a++)
					p.addrs[a].up = 0;
			struct ol_provider *m = vec_name_put(&hv->merged, p.name, &fresh);
			if (!m) {
				r = -ENOMEM;
				break;
			}
			if (fresh || (!provider_up(m) && provider_up(&p)))
				*m = p;
		}
	}
	if (!r)
		r = substitute(hv);
	if (!r)
		r = desired_build(hv->merged.v, hv->merged.n, hp, &hv->desired, &hv->bad_macs);
	if (!r)
		r = desired_egress(hv->egress.v, hv->egress.n, hv->kept.v, hv->kept.n, mp->me, mp->lo_ifindex, hp->proto,
				   &hv->desired);
	if (!r)
		r = desired_steer(hv->merged.v, hv->merged.n, mp->steer, mp->nsteer, hp, &hv->desired);
	/* the other hosts that share egress addresses: the kernel keeps their
	 * MACs resolved, for steering return traffic to them */
	for (size_t i = 0; i < hv->dir.n && !r; i++) {
		const struct dir_host *d = &hv->dir.v[i];
		const struct ol_addr *local = d->addr.family == AF_INET ? &hp->local4 : &hp->local6;
		if (!merge_peer_steered(hv, mp->me, d->name) || !local->family)
			continue;
		struct kobj nb = { .type = KO_NEIGH, .family = d->addr.family, .proto = hp->proto,
				   .ifindex = hp->peer_ifindex, .dst = d->addr, .managed = 1 };
		r = kobj_set_add(&hv->desired, &nb);
	}
	kobj_set_sort(&hv->desired);
	hv->shared_keys = 0;
	for (size_t i = 1; i < hv->desired.n; i++)
		if (!kobj_key_cmp(&hv->desired.v[i - 1], &hv->desired.v[i]))
			hv->shared_keys = 1;
	return r;
}

/* whether a (small) set holds an object of o's key */
static int in_set(const struct kobj_set *s, const struct kobj *o)
{
	for (size_t i = 0; i < s->n; i++)
		if (!kobj_key_cmp(&s->v[i], o))
			return 1;
	return 0;
}

/* Appends each object of one provider (absent: none) to out. */
static int objects_of(const struct ol_provider *p, int have, const struct host_params *hp, struct kobj_set *out,
		      unsigned *bad)
{
	*bad = 0;
	return have ? desired_build(p, 1, hp, out, bad) : 0;
}

int merge_apply(struct hview *hv, const struct swview *const *views, unsigned n, const struct merge_params *mp,
		const struct changes *ch, struct kobj_set *touched)
{
	struct kobj obuf[4 * OL_PROVIDER_ADDRS_MAX + 8], nbuf[4 * OL_PROVIDER_ADDRS_MAX + 8];
	int r = 0;

	changes_clear(&hv->changed);
	hv->tables_changed = 0;
	if (hv->shared_keys || ch->full || hv->subst.n)
		return -EAGAIN;
	for (unsigned i = 0; mp->dead && i < n; i++)
		if (mp->dead[i])
			return -EAGAIN;
	/* a provider a steering override names: its rule follows it */
	for (size_t c = 0; c < ch->n; c++)
		for (size_t k = 0; k < mp->nsteer; k++)
			if (!strcmp(ch->v[c].name, mp->steer[k].provider))
				return -EAGAIN;
	for (size_t c = 0; c < ch->n && !r; c++) {
		const char *name = ch->v[c].name;
		const struct ol_provider *held = provset_find(&hv->merged, name);
		struct ol_provider old, now;
		int had = held != NULL, has = merge_one(views, n, name, &now);
		unsigned obad, nbad;
		if (had)
			old = *held;
		if (!had && !has)
			continue;
		/* a backup's change moves the providers it stands in for */
		if ((had && old.backup[0]) || (has && now.backup[0]) || is_backup(&hv->merged, name))
			return -EAGAIN;
		if (had && has && provider_equal(&old, &now)) {
			provset_put(&hv->merged, &now); /* its generation */
			continue;
		}
		/* a provider's objects are few: built on the stack */
		struct kobj_set os = { .v = obuf, .cap = sizeof(obuf) / sizeof(obuf[0]) };
		struct kobj_set ns = { .v = nbuf, .cap = sizeof(nbuf) / sizeof(nbuf[0]) };
		if ((r = objects_of(&old, had, &mp->hp, &os, &obad)) || (r = objects_of(&now, has, &mp->hp, &ns, &nbad)))
			break;
		/* an object of the same key (a MAC change: its neighbor) is
		 * replaced where it is: no move of the array's tail */
		for (size_t i = 0; i < os.n && !r; i++) {
			if (!in_set(&ns, &os.v[i]))
				kobj_set_remove(&hv->desired, &os.v[i]);
			r = kobj_set_add(touched, &os.v[i]);
		}
		for (size_t i = 0; i < ns.n && !r; i++) {
			struct kobj *cur = kobj_set_find(&hv->desired, &ns.v[i]);
			if (cur && !in_set(&os, &ns.v[i]))
				r = -EAGAIN; /* held by another provider or a peer host */
			else if (cur)
				*cur = ns.v[i];
			else
				r = kobj_set_upsert(&hv->desired, &ns.v[i]);
			if (!r)
				r = kobj_set_add(touched, &ns.v[i]);
		}
		if (r)
			break;
		hv->bad_macs = hv->bad_macs + nbad - obad;
		if (!had || !has || old.table != now.table)
			hv->tables_changed = 1;
		if (has)
			r = provset_put(&hv->merged, &now);
		else
			vec_name_del(&hv->merged, name);
		if (!r)
			r = changes_add(&hv->changed, name);
	}
	return r;
}

void hview_free(struct hview *hv)
{
	vec_free(&hv->merged);
	vec_free(&hv->egress);
	vec_free(&hv->kept);
	vec_free(&hv->dir);
	kobj_set_free(&hv->desired);
	vec_free(&hv->changed);
	vec_free(&hv->subst);
}
