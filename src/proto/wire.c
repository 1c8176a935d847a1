/* Wire encoding. All integers are big-endian. */
#include "proto/wire.h"
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

int wire_frame_check(const uint8_t *buf, size_t len, uint8_t *type, size_t *payload_len)
{
	if (len < 1)
		return 0;
	if (buf[0] != WIRE_VERSION)
		return -EPROTO;
	if (len < WIRE_HDR)
		return 0;
	size_t n = (size_t)buf[2] << 8 | buf[3];
	if (buf[1] != WF_HANDSHAKE && buf[1] != WF_SEALED && buf[1] != WF_COOKIE)
		return -EBADMSG;
	if (n > WIRE_PAYLOAD_MAX)
		return -EMSGSIZE;
	if (len < WIRE_HDR + n)
		return 0;
	*type = buf[1];
	*payload_len = n;
	return (int)(WIRE_HDR + n);
}

void wire_put_header(uint8_t hdr[WIRE_HDR], uint8_t type, size_t payload_len)
{
	hdr[0] = WIRE_VERSION;
	hdr[1] = type;
	hdr[2] = (uint8_t)(payload_len >> 8);
	hdr[3] = (uint8_t)payload_len;
}

int wire_rec_put(uint8_t *buf, size_t cap, size_t *len, uint8_t type, const uint8_t *body, size_t n)
{
	if (n > WIRE_BODY_MAX || *len > cap || cap - *len < WIRE_REC_HDR + n)
		return -ENOSPC;
	uint8_t *p = buf + *len;
	p[0] = type;
	p[1] = (uint8_t)(n >> 8);
	p[2] = (uint8_t)n;
	if (n)
		memcpy(p + WIRE_REC_HDR, body, n);
	*len += WIRE_REC_HDR + n;
	return 0;
}

int wire_rec_next(const uint8_t *buf, size_t len, size_t *off, uint8_t *type, const uint8_t **body, size_t *n)
{
	if (len == 0)
		return -EBADMSG;
	if (*off >= len)
		return 0;
	if (len - *off < WIRE_REC_HDR)
		return -EBADMSG;
	const uint8_t *p = buf + *off;
	size_t bl = (size_t)p[1] << 8 | p[2];
	if (len - *off - WIRE_REC_HDR < bl)
		return -EBADMSG;
	*type = p[0];
	*body = p + WIRE_REC_HDR;
	*n = bl;
	*off += WIRE_REC_HDR + bl;
	return 1;
}

int wire_name_encode(uint8_t *buf, size_t cap, const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n >= OL_NAME_MAX || cap < n + 1)
		return -ENOSPC;
	buf[0] = (uint8_t)n;
	memcpy(buf + 1, name, n);
	return (int)(n + 1);
}

/* Reads a name at buf; returns bytes consumed or -EBADMSG. */
static int name_take(const uint8_t *buf, size_t n, char name[OL_NAME_MAX])
{
	if (n < 1 || buf[0] == 0 || buf[0] >= OL_NAME_MAX || n < 1u + buf[0])
		return -EBADMSG;
	memcpy(name, buf + 1, buf[0]);
	name[buf[0]] = 0;
	/* a NUL inside would cut the name short of its length */
	if (strlen(name) != buf[0] || !name_valid(name))
		return -EBADMSG;
	return 1 + buf[0];
}

int wire_name_decode(const uint8_t *buf, size_t n, char name[OL_NAME_MAX])
{
	int r = name_take(buf, n, name);
	return r < 0 || (size_t)r != n ? -EBADMSG : 0;
}

int wire_switch_encode(uint8_t *buf, size_t cap, const char *name, int dead)
{
	int r = wire_name_encode(buf, cap, name);
	if (r < 0 || (size_t)r + 1 > cap)
		return -ENOSPC;
	buf[r] = dead ? 1 : 0;
	return r + 1;
}

int wire_switch_decode(const uint8_t *buf, size_t n, char name[OL_NAME_MAX], int *dead)
{
	int r = name_take(buf, n, name);
	if (r < 0 || (size_t)r + 1 != n || buf[r] > 1)
		return -EBADMSG;
	*dead = buf[r];
	return 0;
}

int wire_hs1_encode(uint8_t *buf, size_t cap, const uint8_t ts[WIRE_TS], const char *name)
{
	if (cap < WIRE_TS)
		return -ENOSPC;
	memcpy(buf, ts, WIRE_TS);
	int r = wire_name_encode(buf + WIRE_TS, cap - WIRE_TS, name);
	return r < 0 ? r : WIRE_TS + r;
}

int wire_hs1_decode(const uint8_t *buf, size_t n, uint8_t ts[WIRE_TS], char name[OL_NAME_MAX])
{
	if (n < WIRE_TS)
		return -EBADMSG;
	memcpy(ts, buf, WIRE_TS);
	return wire_name_decode(buf + WIRE_TS, n - WIRE_TS, name);
}

void wire_tai64n(uint8_t ts[WIRE_TS], uint64_t ns)
{
	wire_put64(ts, (1ull << 62) + ns / 1000000000u);
	uint32_t frac = (uint32_t)(ns % 1000000000u);
	for (int i = 0; i < 4; i++)
		ts[8 + i] = (uint8_t)(frac >> (24 - 8 * i));
}

int wire_provider_encode(uint8_t *buf, size_t cap, const struct ol_provider *p)
{
	size_t off;
	int r = wire_name_encode(buf, cap, p->name);
	if (r < 0)
		return r;
	off = (size_t)r;
	size_t blen = strlen(p->backup), vlen = strlen(p->via);
	if (p->naddrs > OL_PROVIDER_ADDRS_MAX || blen >= OL_NAME_MAX || vlen >= OL_NAME_MAX ||
	    cap < off + 5 + p->naddrs * (1 + 16 + 6 + 1) + 1 + blen + 1 + vlen)
		return -ENOSPC;
	buf[off++] = (uint8_t)(p->table >> 24);
	buf[off++] = (uint8_t)(p->table >> 16);
	buf[off++] = (uint8_t)(p->table >> 8);
	buf[off++] = (uint8_t)p->table;
	buf[off++] = p->naddrs;
	for (unsigned i = 0; i < p->naddrs; i++) {
		const struct ol_paddr *a = &p->addrs[i];
		size_t alen = a->addr.family == AF_INET ? 4 : 16;
		buf[off++] = a->addr.family == AF_INET ? 4 : 6;
		memcpy(buf + off, a->addr.bytes, alen);
		off += alen;
		memcpy(buf + off, a->mac, 6);
		off += 6;
		buf[off++] = a->up ? 1 : 0;
	}
	/* its backup's name, which may be another switch agent's provider; a
	 * zero length: none */
	buf[off++] = (uint8_t)blen;
	memcpy(buf + off, p->backup, blen);
	off += blen;
	/* substituted: whose MACs its addresses carry; zero length: its own */
	buf[off++] = (uint8_t)vlen;
	memcpy(buf + off, p->via, vlen);
	off += vlen;
	return (int)off;
}

/* A provider's optional name of another provider (its backup, its via):
 * a zero length for none; never its own name. 0 or -EBADMSG. */
static int other_name(const uint8_t *buf, size_t n, size_t *off, char out[OL_NAME_MAX], const char *self)
{
	if (*off >= n)
		return -EBADMSG;
	if (buf[*off] == 0) {
		(*off)++;
		return 0;
	}
	int r = name_take(buf + *off, n - *off, out);
	if (r < 0 || !strcmp(out, self))
		return -EBADMSG;
	*off += (size_t)r;
	return 0;
}

int wire_provider_decode(const uint8_t *buf, size_t n, struct ol_provider *p)
{
	size_t off;
	int r;

	memset(p, 0, sizeof(*p));
	r = name_take(buf, n, p->name);
	if (r < 0)
		return r;
	off = (size_t)r;
	if (n < off + 5)
		return -EBADMSG;
	p->table = (uint32_t)buf[off] << 24 | (uint32_t)buf[off + 1] << 16 | (uint32_t)buf[off + 2] << 8 | buf[off + 3];
	off += 4;
	if (p->table == 0 || (p->table >= 253 && p->table <= 255))
		return -EBADMSG;
	p->naddrs = buf[off++];
	if (p->naddrs > OL_PROVIDER_ADDRS_MAX)
		return -EBADMSG;
	for (unsigned i = 0; i < p->naddrs; i++) {
		struct ol_paddr *a = &p->addrs[i];
		size_t alen;
		if (off >= n)
			return -EBADMSG;
		if (buf[off] == 4) {
			a->addr.family = AF_INET;
			alen = 4;
		} else if (buf[off] == 6) {
			a->addr.family = AF_INET6;
			alen = 16;
		} else {
			return -EBADMSG;
		}
		off++;
		if (n < off + alen + 7)
			return -EBADMSG;
		memcpy(a->addr.bytes, buf + off, alen);
		off += alen;
		memcpy(a->mac, buf + off, 6);
		off += 6;
		if (buf[off] > 1)
			return -EBADMSG;
		a->up = buf[off++];
		for (unsigned j = 0; j < i; j++)
			if (!addr_cmp(&p->addrs[j].addr, &a->addr))
				return -EBADMSG;
	}
	if (other_name(buf, n, &off, p->backup, p->name) || other_name(buf, n, &off, p->via, p->name))
		return -EBADMSG;
	return off == n ? 0 : -EBADMSG;
}

size_t wire_put_addr(uint8_t *buf, const struct ol_addr *a)
{
	size_t alen = a->family == AF_INET ? 4 : 16;
	buf[0] = a->family == AF_INET ? 4 : 6;
	memcpy(buf + 1, a->bytes, alen);
	return 1 + alen;
}

int wire_take_addr(const uint8_t *buf, size_t n, struct ol_addr *a)
{
	size_t alen;
	memset(a, 0, sizeof(*a));
	if (n < 1 || (buf[0] != 4 && buf[0] != 6))
		return -EBADMSG;
	alen = buf[0] == 4 ? 4 : 16;
	if (n < 1 + alen)
		return -EBADMSG;
	a->family = buf[0] == 4 ? AF_INET : AF_INET6;
	memcpy(a->bytes, buf + 1, alen);
	return (int)(1 + alen);
}

int wire_egress_encode(uint8_t *buf, size_t cap, const struct ol_egress *e)
{
	size_t off;
	if (e->nslices > OL_SLICES_MAX || e->decided > 1 || cap < 19 + (size_t)e->nslices * (OL_NAME_MAX + 4))
		return -ENOSPC;
	off = wire_put_addr(buf, &e->addr);
	buf[off++] = e->decided;
	buf[off++] = e->nslices;
	for (unsigned i = 0; i < e->nslices; i++) {
		const struct ol_slice *s = &e->slices[i];
		int r = s->host[0] ? wire_name_encode(buf + off, cap - off, s->host) : (buf[off] = 0, 1);
		if (r < 0)
			return r;
		off += (size_t)r;
		buf[off++] = (uint8_t)(s->first >> 8);
		buf[off++] = (uint8_t)s->first;
		buf[off++] = (uint8_t)(s->last >> 8);
		buf[off++] = (uint8_t)s->last;
	}
	return (int)off;
}

int wire_egress_decode(const uint8_t *buf, size_t n, struct ol_egress *e)
{
	int r;
	size_t off;
	memset(e, 0, sizeof(*e));
	if ((r = wire_take_addr(buf, n, &e->addr)) < 0)
		return r;
	off = (size_t)r;
	if (off + 1 >= n || buf[off] > 1 || buf[off + 1] > OL_SLICES_MAX)
		return -EBADMSG;
	e->decided = buf[off++];
	e->nslices = buf[off++];
	for (unsigned i = 0; i < e->nslices; i++) {
		struct ol_slice *s = &e->slices[i];
		/* a name of length 0: the slice rests (its host died), and
		 * nobody holds or steers it */
		if (off < n && buf[off] == 0)
			r = 1, s->host[0] = 0;
		else if ((r = name_take(buf + off, n - off, s->host)) < 0)
			return r;
		off += (size_t)r;
		if (n < off + 4)
			return -EBADMSG;
		s->first = (uint16_t)(buf[off] << 8 | buf[off + 1]);
		s->last = (uint16_t)(buf[off + 2] << 8 | buf[off + 3]);
		off += 4;
		if (s->first < OL_PORT_MIN || s->first > s->last)
			return -EBADMSG;
		/* a host may hold more than one (a pool leases more to a busy host) */
		for (unsigned k = 0; k < i; k++)
			if (s->first <= e->slices[k].last && e->slices[k].first <= s->last)
				return -EBADMSG;
	}
	return off == n ? 0 : -EBADMSG;
}

static int put_ports(uint8_t *buf, size_t cap, const struct ol_ports *p)
{
	if (!ports_valid(p) || cap < 2 + 4 * (size_t)p->n)
		return -ENOSPC;
	buf[0] = (uint8_t)(p->n >> 8);
	buf[1] = (uint8_t)p->n;
	for (unsigned i = 0; i < p->n; i++) {
		uint8_t *b = buf + 2 + 4 * i;
		b[0] = (uint8_t)(p->r[i].first >> 8);
		b[1] = (uint8_t)p->r[i].first;
		b[2] = (uint8_t)(p->r[i].last >> 8);
		b[3] = (uint8_t)p->r[i].last;
	}
	return 2 + 4 * (int)p->n;
}

/* the ranges, to the end of the message */
static int take_ports(const uint8_t *buf, size_t n, struct ol_ports *p)
{
	if (n < 2)
		return -EBADMSG;
	unsigned count = (unsigned)(buf[0] << 8 | buf[1]);
	if (count > OL_RANGES_MAX || n != 2 + 4 * (size_t)count)
		return -EBADMSG;
	p->n = (uint16_t)count;
	for (unsigned i = 0; i < count; i++) {
		const uint8_t *b = buf + 2 + 4 * i;
		p->r[i].first = (uint16_t)(b[0] << 8 | b[1]);
		p->r[i].last = (uint16_t)(b[2] << 8 | b[3]);
		if (p->r[i].first < OL_PORT_MIN)
			return -EBADMSG;
	}
	return ports_valid(p) ? 0 : -EBADMSG;
}

int wire_kept_encode(uint8_t *buf, size_t cap, const struct ol_addr *a, const char *host, const struct ol_ports *p)
{
	if (cap < 17)
		return -ENOSPC;
	size_t off = wire_put_addr(buf, a);
	int r = wire_name_encode(buf + off, cap - off, host);
	if (r < 0)
		return r;
	off += (size_t)r;
	if ((r = put_ports(buf + off, cap - off, p)) < 0)
		return r;
	return (int)off + r;
}

int wire_kept_decode(const uint8_t *buf, size_t n, struct ol_addr *a, char host[OL_NAME_MAX], struct ol_ports *p)
{
	int r = wire_take_addr(buf, n, a);
	if (r < 0)
		return r;
	size_t off = (size_t)r;
	if ((r = name_take(buf + off, n - off, host)) < 0)
		return r;
	off += (size_t)r;
	return take_ports(buf + off, n - off, p);
}

int wire_live_encode(uint8_t *buf, size_t cap, const struct ol_addr *a, uint16_t in_use, const struct ol_ports *p)
{
	if (cap < 19)
		return -ENOSPC;
	size_t off = wire_put_addr(buf, a);
	buf[off++] = (uint8_t)(in_use >> 8);
	buf[off++] = (uint8_t)in_use;
	int r = put_ports(buf + off, cap - off, p);
	return r < 0 ? r : (int)off + r;
}

int wire_live_decode(const uint8_t *buf, size_t n, struct ol_addr *a, uint16_t *in_use, struct ol_ports *p)
{
	int r = wire_take_addr(buf, n, a);
	if (r < 0)
		return r;
	size_t off = (size_t)r;
	if (n < off + 2)
		return -EBADMSG;
	*in_use = (uint16_t)(buf[off] << 8 | buf[off + 1]);
	return take_ports(buf + off + 2, n - off - 2, p);
}

int wire_host_encode(uint8_t *buf, size_t cap, const char *name, const struct ol_addr *a)
{
	int r = wire_name_encode(buf, cap, name);
	if (r < 0 || cap < (size_t)r + 17)
		return -ENOSPC;
	return r + (int)wire_put_addr(buf + r, a);
}

int wire_host_decode(const uint8_t *buf, size_t n, char name[OL_NAME_MAX], struct ol_addr *a)
{
	int r = name_take(buf, n, name), k;
	if (r < 0 || (k = wire_take_addr(buf + r, n - (size_t)r, a)) < 0)
		return -EBADMSG;
	return (size_t)(r + k) == n ? 0 : -EBADMSG;
}

void wire_put64(uint8_t *b, uint64_t x)
{
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(x >> (56 - 8 * i));
}

uint64_t wire_take64(const uint8_t *b)
{
	uint64_t x = 0;
	for (int i = 0; i < 8; i++)
		x = x << 8 | b[i];
	return x;
}

int wire_gen_encode(uint8_t *buf, size_t cap, uint64_t gen)
{
	if (cap < 8)
		return -ENOSPC;
	wire_put64(buf, gen);
	return 8;
}

int wire_gen_decode(const uint8_t *buf, size_t n, uint64_t *gen)
{
	if (n != 8)
		return -EBADMSG;
	*gen = wire_take64(buf);
	return 0;
}

int wire_fastpath_encode(uint8_t *buf, size_t cap, const struct wire_fastpath *f)
{
	if (cap < 17 + 2 + 16 + 32)
		return -ENOSPC;
	size_t off = wire_put_addr(buf, &f->group);
	buf[off++] = (uint8_t)(f->port >> 8);
	buf[off++] = (uint8_t)f->port;
	wire_put64(buf + off, f->epoch);
	wire_put64(buf + off + 8, f->seq);
	memcpy(buf + off + 16, f->pub, 32);
	return (int)(off + 48);
}

int wire_fastpath_decode(const uint8_t *buf, size_t n, struct wire_fastpath *f)
{
	int k = wire_take_addr(buf, n, &f->group);
	if (k < 0 || n != (size_t)k + 50 || !addr_is_multicast(&f->group))
		return -EBADMSG;
	f->port = (uint16_t)(buf[k] << 8 | buf[k + 1]);
	f->epoch = wire_take64(buf + k + 2);
	f->seq = wire_take64(buf + k + 10);
	memcpy(f->pub, buf + k + 18, 32);
	return f->port ? 0 : -EBADMSG;
}
