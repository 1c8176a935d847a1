/* The steering messages (steerwire.h). Big-endian integers. */
#include "proto/steerwire.h"
#include "proto/wire.h"
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

static void put16(uint8_t *b, uint16_t x)
{
	b[0] = (uint8_t)(x >> 8);
	b[1] = (uint8_t)x;
}
static void put32(uint8_t *b, uint32_t x)
{
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(x >> (24 - 8 * i));
}
static uint16_t take16(const uint8_t *b) { return (uint16_t)(b[0] << 8 | b[1]); }
static uint32_t take32(const uint8_t *b) { return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3]; }

/* a name that may be empty: a zero length byte */
static int put_opt_name(uint8_t *buf, size_t cap, const char *name)
{
	if (!name[0]) {
		if (cap < 1)
			return -ENOSPC;
		buf[0] = 0;
		return 1;
	}
	return wire_name_encode(buf, cap, name);
}

static int take_opt_name(const uint8_t *buf, size_t n, char name[OL_NAME_MAX])
{
	if (n < 1)
		return -EBADMSG;
	if (!buf[0]) {
		name[0] = 0;
		return 1;
	}
	if (buf[0] >= OL_NAME_MAX || n < 1u + buf[0])
		return -EBADMSG;
	if (wire_name_decode(buf, 1u + buf[0], name))
		return -EBADMSG;
	return 1 + buf[0];
}

int steer_targets_encode(uint8_t *buf, size_t cap, const struct steer_targets *t)
{
	if (t->n > STEER_TARGETS_MAX || cap < 10u + 17u * t->n)
		return -ENOSPC;
	put32(buf, t->interval_ms);
	put32(buf + 4, t->window_ms);
	put16(buf + 8, t->n);
	size_t off = 10;
	for (unsigned i = 0; i < t->n; i++)
		off += wire_put_addr(buf + off, &t->a[i]);
	return (int)off;
}

int steer_targets_decode(const uint8_t *buf, size_t n, struct steer_targets *t)
{
	if (n < 10)
		return -EBADMSG;
	t->interval_ms = take32(buf);
	t->window_ms = take32(buf + 4);
	t->n = take16(buf + 8);
	if (t->n > STEER_TARGETS_MAX || (t->n && (!t->interval_ms || t->window_ms < t->interval_ms)))
		return -EBADMSG;
	size_t off = 10;
	for (unsigned i = 0; i < t->n; i++) {
		int r = wire_take_addr(buf + off, n - off, &t->a[i]);
		if (r < 0)
			return -EBADMSG;
		off += (size_t)r;
	}
	return off == n ? 0 : -EBADMSG;
}

int steer_report_encode(uint8_t *buf, size_t cap, const struct steer_report *r)
{
	if (cap < 8 + 17 + 1 + OL_NAME_MAX + 1 || r->n > STEER_PROVIDERS_MAX)
		return -ENOSPC;
	wire_put64(buf, r->window);
	size_t off = 8 + wire_put_addr(buf + 8, &r->target);
	int k = put_opt_name(buf + off, cap - off, r->via);
	if (k < 0)
		return k;
	off += (size_t)k;
	buf[off++] = r->n;
	for (unsigned i = 0; i < r->n; i++) {
		k = wire_name_encode(buf + off, cap - off, r->m[i].provider);
		if (k < 0 || cap - off - (size_t)k < 8)
			return -ENOSPC;
		off += (size_t)k;
		put16(buf + off, r->m[i].sent);
		put16(buf + off + 2, r->m[i].ok);
		put32(buf + off + 4, r->m[i].rtt_sum_us);
		off += 8;
	}
	return (int)off;
}

int steer_report_decode(const uint8_t *buf, size_t n, struct steer_report *r)
{
	if (n < 8)
		return -EBADMSG;
	r->window = wire_take64(buf);
	size_t off = 8;
	int k = wire_take_addr(buf + off, n - off, &r->target);
	if (k < 0)
		return -EBADMSG;
	off += (size_t)k;
	if ((k = take_opt_name(buf + off, n - off, r->via)) < 0)
		return -EBADMSG;
	off += (size_t)k;
	if (off >= n || buf[off] > STEER_PROVIDERS_MAX)
		return -EBADMSG;
	r->n = buf[off++];
	for (unsigned i = 0; i < r->n; i++) {
		if (off >= n || (k = take_opt_name(buf + off, n - off, r->m[i].provider)) < 0 || !r->m[i].provider[0])
			return -EBADMSG;
		off += (size_t)k;
		if (n - off < 8)
			return -EBADMSG;
		r->m[i].sent = take16(buf + off);
		r->m[i].ok = take16(buf + off + 2);
		r->m[i].rtt_sum_us = take32(buf + off + 4);
		if (r->m[i].ok > r->m[i].sent)
			return -EBADMSG;
		off += 8;
	}
	return off == n ? 0 : -EBADMSG;
}

int steer_override_encode(uint8_t *buf, size_t cap, const struct steer_override *o)
{
	if (cap < 4 + 18)
		return -ENOSPC;
	put32(buf, o->ttl_ms);
	size_t off = 4 + wire_put_addr(buf + 4, &o->prefix);
	buf[off++] = o->len;
	int k = put_opt_name(buf + off, cap - off, o->provider);
	if (k < 0)
		return k;
	off += (size_t)k;
	if ((k = put_opt_name(buf + off, cap - off, o->from)) < 0)
		return k;
	off += (size_t)k;
	if (cap - off < 20)
		return -ENOSPC;
	wire_put64(buf + off, o->since);
	put32(buf + off + 8, o->rtt_from_us);
	put32(buf + off + 12, o->rtt_to_us);
	put16(buf + off + 16, o->loss_from);
	put16(buf + off + 18, o->loss_to);
	return (int)(off + 20);
}

int steer_override_decode(const uint8_t *buf, size_t n, struct steer_override *o)
{
	if (n < 4)
		return -EBADMSG;
	o->ttl_ms = take32(buf);
	size_t off = 4;
	int k = wire_take_addr(buf + off, n - off, &o->prefix);
	if (k < 0)
		return -EBADMSG;
	off += (size_t)k;
	if (off >= n || !addr_host_bits_zero(&o->prefix, buf[off]))
		return -EBADMSG;
	o->len = buf[off++];
	if ((k = take_opt_name(buf + off, n - off, o->provider)) < 0)
		return -EBADMSG;
	off += (size_t)k;
	if ((k = take_opt_name(buf + off, n - off, o->from)) < 0)
		return -EBADMSG;
	off += (size_t)k;
	if (n - off != 20)
		return -EBADMSG;
	o->since = wire_take64(buf + off);
	o->rtt_from_us = take32(buf + off + 8);
	o->rtt_to_us = take32(buf + off + 12);
	o->loss_from = take16(buf + off + 16);
	o->loss_to = take16(buf + off + 18);
	if (o->loss_from > 1000 || o->loss_to > 1000 || !o->ttl_ms)
		return -EBADMSG;
	return 0;
}
