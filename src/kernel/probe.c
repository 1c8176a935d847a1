/* Probe engine (probe.h). One raw socket per family and protocol sends and receives.
 * Each round's probes leave in one sendmmsg() per socket, each message with
 * its stream's mark (SO_MARK control message) and its own TX timestamp id
 * (SCM_TS_OPT_ID, Linux 6.13; older kernels number TX timestamps by the
 * socket's send counter instead). Replies are matched
 * to streams by ICMP id and sequence, or by TCP ports and acknowledgement
 * number. */
#include "kernel/probe.h"
#include "base/addr.h"
#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/random.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef ICMP_FILTER
#define ICMP_FILTER 1
#endif
#ifndef SCM_TS_OPT_ID
#define SCM_TS_OPT_ID 81 /* asm-generic/socket.h, Linux 6.13 */
#endif

struct probe_slot {
	struct timespec tx, rx;     /* kernel timestamps (CLOCK_REALTIME) */
	uint64_t sent_mono_ns;      /* for the timeout only */
	uint32_t round;             /* the round it was sent in: ICMP sequence, TCP sequence - ISN */
	uint8_t sent, has_tx, has_rx, done;
};

struct psock {
	int fd, family, proto;
	uint32_t next_key;          /* counter mode: the socket's next TX timestamp id */
	uint32_t *keymap;           /* counter mode: id -> stream * count + probe */
};

static int per_packet_ids = 1;  /* SCM_TS_OPT_ID accepted */

/* Messages taken from a socket per recvmmsg() call. */
#define RX_BATCH 32
struct rxbatch;
struct outmsg;

struct probe_engine {
	struct psock ps[4];
	struct probe_stream *st;
	size_t n;
	unsigned count;             /* slots per stream (the ring) */
	struct outmsg *om;
	struct mmsghdr *mm;
	struct rxbatch *rb;
	probe_done_fn done;
	void *arg;
};

uint64_t probe_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
#define mono_ns probe_mono_ns

static int fail(char *err, size_t len, const char *what, int e)
{
	snprintf(err, len, "%s: %s", what, strerror(e));
	return -1;
}

static int family_of(const struct probe_stream *s)
{
	return s->dst.ss_family;
}

static const uint8_t *dst_bytes(const struct probe_stream *s)
{
	return family_of(s) == AF_INET ? (const uint8_t *)&((const struct sockaddr_in *)&s->dst)->sin_addr :
					 (const uint8_t *)&((const struct sockaddr_in6 *)&s->dst)->sin6_addr;
}

static int proto_of(const struct probe_stream *s)
{
	return s->tcp_port ? IPPROTO_TCP : family_of(s) == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
}

/* The source address the kernel uses towards dst with this mark (TCP over
 * IPv4 needs it for the checksum; IPv6 has the kernel compute it). */
static int source_for(const struct probe_stream *s, uint8_t out[16])
{
	struct sockaddr_storage ss, d = s->dst;
	socklen_t len = sizeof(ss);
	int fd = socket(family_of(s), SOCK_DGRAM | SOCK_CLOEXEC, 0), r = 0;
	if (fd < 0)
		return -errno;
	((struct sockaddr_in *)&d)->sin_port = htons(9);
	if (setsockopt(fd, SOL_SOCKET, SO_MARK, &s->mark, sizeof(s->mark)) < 0 ||
	    connect(fd, (struct sockaddr *)&d, s->dstlen) < 0 || getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		r = -errno;
	else
		memcpy(out, &((struct sockaddr_in *)&ss)->sin_addr, 4);
	close(fd);
	return r;
}

static int open_sock(struct psock *p, size_t keys, char *err, size_t errlen)
{
	int ts = SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE |
		 SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_TSONLY;
	p->fd = socket(p->family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, p->proto);
	if (p->fd < 0)
		return fail(err, errlen, "raw socket (onlink ping needs root)", errno);
	if (setsockopt(p->fd, SOL_SOCKET, SO_TIMESTAMPING, &ts, sizeof(ts)) < 0)
		return fail(err, errlen, "SO_TIMESTAMPING", errno);
	/* a round's probes leave in one burst and their answers and TX
	 * timestamps come back in one: room for all of them (about 1 KiB of
	 * buffer each), past the system's default limits where CAP_NET_ADMIN
	 * allows (the daemons' units have it) */
	size_t want = keys * 1024;
	int buf = want > (64u << 20) ? 64 << 20 : want < (256u << 10) ? 256 << 10 : (int)want;
	if (setsockopt(p->fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) < 0)
		setsockopt(p->fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (setsockopt(p->fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf)) < 0)
		setsockopt(p->fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	if (p->proto == IPPROTO_ICMP) {
		uint32_t block = ~(1u << ICMP_ECHOREPLY);
		setsockopt(p->fd, SOL_RAW, ICMP_FILTER, &block, sizeof(block));
	} else if (p->proto == IPPROTO_ICMPV6) {
		struct icmp6_filter f;
		ICMP6_FILTER_SETBLOCKALL(&f);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
		setsockopt(p->fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f));
	} else if (p->family == AF_INET6) {
		int off = 16; /* the kernel fills in the TCP checksum */
		if (setsockopt(p->fd, IPPROTO_IPV6, IPV6_CHECKSUM, &off, sizeof(off)) < 0)
			return fail(err, errlen, "IPV6_CHECKSUM", errno);
	}
	p->keymap = calloc(keys, sizeof(*p->keymap));
	return p->keymap ? 0 : fail(err, errlen, "memory", ENOMEM);
}

/* One outgoing probe, ready for sendmmsg(). */
struct outmsg {
	uint8_t pkt[64];
	struct iovec iov;
	struct sockaddr_storage dst;
	char control[2 * CMSG_SPACE(sizeof(uint32_t))];
	uint32_t id;
	struct probe_stream *s;
	unsigned k;
};

static void put_u32_cmsg(struct cmsghdr *c, int type, uint32_t v)
{
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = type;
	c->cmsg_len = CMSG_LEN(sizeof(uint32_t));
	memcpy(CMSG_DATA(c), &v, sizeof(v));
}

/* Control messages: the stream's mark, and the TX timestamp id unless the
 * kernel numbers them itself. */
static void set_control(struct msghdr *m, struct outmsg *o)
{
	memset(o->control, 0, sizeof(o->control));
	m->msg_control = o->control;
	m->msg_controllen = CMSG_SPACE(sizeof(uint32_t)) * (per_packet_ids ? 2 : 1);
	struct cmsghdr *c = CMSG_FIRSTHDR(m);
	put_u32_cmsg(c, SO_MARK, o->s->mark);
	if (per_packet_ids)
		put_u32_cmsg(CMSG_NXTHDR(m, c), SCM_TS_OPT_ID, o->id);
}

static void build_probe(struct outmsg *o, struct mmsghdr *mm)
{
	struct probe_stream *s = o->s;
	unsigned k = o->k;
	uint32_t round = s->slots[k].round;
	size_t len;

	memset(o->pkt, 0, sizeof(o->pkt));
	if (!s->tcp_port) {
		len = 64;
		if (family_of(s) == AF_INET) {
			struct icmphdr *ic = (struct icmphdr *)o->pkt;
			ic->type = ICMP_ECHO;
			ic->un.echo.id = htons(s->ident);
			ic->un.echo.sequence = htons((uint16_t)round);
			ic->checksum = htons(inet_csum(o->pkt, len, 0));
		} else {
			struct icmp6_hdr *ic = (struct icmp6_hdr *)o->pkt;
			ic->icmp6_type = ICMP6_ECHO_REQUEST;
			ic->icmp6_id = htons(s->ident);
			ic->icmp6_seq = htons((uint16_t)round);
		}
	} else {
		struct tcphdr *th = (struct tcphdr *)o->pkt;
		len = 24;
		th->source = htons((uint16_t)(s->ident + k));
		th->dest = htons(s->tcp_port);
		th->seq = htonl(s->isn + round);
		th->doff = 6;
		th->syn = 1;
		th->window = htons(64240);
		o->pkt[20] = 2; /* MSS 1460 */
		o->pkt[21] = 4;
		o->pkt[22] = 1460 >> 8;
		o->pkt[23] = 1460 & 0xff;
		if (family_of(s) == AF_INET) {
			const uint8_t *d = dst_bytes(s);
			uint32_t sum = ((uint32_t)s->src[0] << 8 | s->src[1]) + ((uint32_t)s->src[2] << 8 | s->src[3]) +
				       ((uint32_t)d[0] << 8 | d[1]) + ((uint32_t)d[2] << 8 | d[3]) + IPPROTO_TCP +
				       (uint32_t)len;
			th->check = htons(inet_csum(o->pkt, len, sum));
		}
	}
	o->dst = s->dst;
	((struct sockaddr_in *)&o->dst)->sin_port = 0; /* raw sockets: that field is the protocol */
	o->iov.iov_base = o->pkt;
	o->iov.iov_len = len;
	memset(mm, 0, sizeof(*mm));
	mm->msg_hdr.msg_name = &o->dst;
	mm->msg_hdr.msg_namelen = s->dstlen;
	mm->msg_hdr.msg_iov = &o->iov;
	mm->msg_hdr.msg_iovlen = 1;
	set_control(&mm->msg_hdr, o);
}

static void mark_sent(struct probe_engine *e, struct psock *p, struct outmsg *o)
{
	struct probe_slot *sl = &o->s->slots[o->k];
	sl->sent_mono_ns = mono_ns();
	sl->sent = 1;
	o->s->sent++;
	if (!per_packet_ids)
		p->keymap[p->next_key++ % (e->n * e->count)] = o->id;
}

static void lost(struct probe_engine *e, struct probe_stream *s, struct probe_slot *sl)
{
	sl->done = 1;
	if (e->done)
		e->done(e->arg, s, sl->round, -1);
}

/* Sends one round's probes on one socket with as few system calls as the
 * kernel allows; a probe that cannot be sent is counted as sent and lost. */
static void send_batch(struct probe_engine *e, struct psock *p, struct outmsg *o, struct mmsghdr *mm, size_t cnt)
{
	size_t off = 0;
	while (off < cnt) {
		int r = sendmmsg(p->fd, mm + off, (unsigned)(cnt - off), 0);
		if (r > 0) {
			for (int i = 0; i < r; i++)
				mark_sent(e, p, &o[off + (size_t)i]);
			off += (size_t)r;
			continue;
		}
		if (r < 0 && errno == EINVAL && per_packet_ids) {
			per_packet_ids = 0; /* a kernel before 6.13: let it count */
			for (size_t i = off; i < cnt; i++)
				set_control(&mm[i].msg_hdr, &o[i]);
			continue;
		}
		struct probe_stream *s = o[off].s;
		s->last_errno = r < 0 ? errno : EIO;
		s->sent++;
		s->slots[o[off].k].sent = 1;
		lost(e, s, &s->slots[o[off].k]);
		off++;
	}
}

static void settle(struct probe_engine *e, struct probe_stream *s, struct probe_slot *sl)
{
	if (sl->done || !sl->has_tx || !sl->has_rx)
		return;
	double ms = (double)(sl->rx.tv_sec - sl->tx.tv_sec) * 1e3 + (double)(sl->rx.tv_nsec - sl->tx.tv_nsec) / 1e6;
	if (ms < 0)
		ms = 0;
	sl->done = 1;
	if (!s->received || ms < s->rtt_min)
		s->rtt_min = ms;
	if (!s->received || ms > s->rtt_max)
		s->rtt_max = ms;
	s->received++;
	s->rtt_sum += ms;
	s->rtt_sum2 += ms * ms;
	if (e->done)
		e->done(e->arg, s, sl->round, ms);
}

/* A batch of receive buffers; replies and TX timestamps need only headers. */
struct rxbatch {
	struct mmsghdr mm[RX_BATCH];
	struct iovec iov[RX_BATCH];
	struct sockaddr_storage from[RX_BATCH];
	uint8_t data[RX_BATCH][192];
	char control[RX_BATCH][256];
};

/* Receives up to RX_BATCH messages without blocking; returns how many. */
static int rx_batch(int fd, struct rxbatch *b, int flags)
{
	for (int i = 0; i < RX_BATCH; i++) {
		b->iov[i] = (struct iovec){ b->data[i], sizeof(b->data[i]) };
		b->mm[i].msg_hdr = (struct msghdr){ .msg_name = &b->from[i], .msg_namelen = sizeof(b->from[i]),
						    .msg_iov = &b->iov[i], .msg_iovlen = 1,
						    .msg_control = b->control[i], .msg_controllen = sizeof(b->control[i]) };
	}
	int r = recvmmsg(fd, b->mm, RX_BATCH, flags | MSG_DONTWAIT, NULL);
	return r < 0 ? 0 : r;
}

static void tx_timestamp(struct probe_engine *e, struct psock *p, struct msghdr *m)
{
	struct probe_stream *st = e->st;
	size_t n = e->n;
	unsigned count = e->count;
	struct scm_timestamping ts;
	int have_ts = 0;
	long key = -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPING) {
			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			have_ts = 1;
		} else if ((c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) ||
			   (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR)) {
			struct sock_extended_err ee;
			memcpy(&ee, CMSG_DATA(c), sizeof(ee));
			if (ee.ee_origin == SO_EE_ORIGIN_TIMESTAMPING && ee.ee_info == SCM_TSTAMP_SND)
				key = ee.ee_data;
		}
	}
	if (!have_ts || key < 0)
		return;
	uint32_t id = (uint32_t)key;
	if (!per_packet_ids) {
		/* the socket's send counter: a ring of one id per slot */
		if (p->next_key - id > n * count)
			return;
		id = p->keymap[id % (n * count)];
	}
	if (id / count >= n)
		return;
	struct probe_slot *sl = &st[id / count].slots[id % count];
	if (!sl->sent || sl->done || sl->has_tx)
		return;
	sl->tx = ts.ts[0];
	sl->has_tx = 1;
	settle(e, &st[id / count], sl);
}

static void read_tx_timestamps(struct probe_engine *e, struct psock *p)
{
	struct rxbatch *b = e->rb;
	for (int round = 0; round < 1024 / RX_BATCH; round++) {
		int got = rx_batch(p->fd, b, MSG_ERRQUEUE);
		for (int i = 0; i < got; i++)
			tx_timestamp(e, p, &b->mm[i].msg_hdr);
		if (got < RX_BATCH)
			return;
	}
}

static void on_reply(struct probe_engine *e, int family, int proto, const uint8_t *p, size_t len,
		     const uint8_t *from, const struct timespec *rx)
{
	struct probe_stream *st = e->st;
	size_t n = e->n;
	unsigned count = e->count;
	long idx = -1, k = -1;
	uint32_t round;
	if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
		if (len < 8 || p[0] != (proto == IPPROTO_ICMP ? ICMP_ECHOREPLY : ICMP6_ECHO_REPLY))
			return;
		uint16_t id = (uint16_t)(p[4] << 8 | p[5]), seq = (uint16_t)(p[6] << 8 | p[7]);
		uint16_t off = (uint16_t)(id - st[0].ident);
		if (off >= n || st[off].tcp_port)
			return;
		idx = off;
		k = seq % count;
		if ((uint16_t)st[idx].slots[k].round != seq)
			return;
	} else {
		if (len < 20 || !(p[13] & (TH_RST | TH_SYN)) || !(p[13] & TH_ACK))
			return;
		uint16_t sport = (uint16_t)(p[0] << 8 | p[1]), dport = (uint16_t)(p[2] << 8 | p[3]);
		uint32_t ack = (uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 | (uint32_t)p[10] << 8 | p[11];
		uint16_t off = (uint16_t)(dport - st[0].ident);
		if (off / count >= n)
			return;
		idx = off / count;
		k = off % count;
		round = st[idx].slots[k].round;
		if (st[idx].tcp_port != sport || ack != st[idx].isn + round + 1)
			return;
	}
	struct probe_stream *s = &st[idx];
	if (family_of(s) != family || memcmp(from, dst_bytes(s), family == AF_INET ? 4 : 16))
		return;
	struct probe_slot *sl = &s->slots[k];
	if (!sl->sent || sl->done || sl->has_rx)
		return;
	sl->rx = *rx;
	sl->has_rx = 1;
	settle(e, s, sl);
}

static void read_replies(struct probe_engine *e, struct psock *r)
{
	struct rxbatch *b = e->rb;
	for (int round = 0; round < 1024 / RX_BATCH; round++) {
		int got = rx_batch(r->fd, b, 0);
		for (int i = 0; i < got; i++) {
			struct msghdr *m = &b->mm[i].msg_hdr;
			struct scm_timestamping ts;
			int have = 0;
			for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c))
				if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPING) {
					memcpy(&ts, CMSG_DATA(c), sizeof(ts));
					have = 1;
				}
			if (!have)
				continue;
			const uint8_t *buf = b->data[i], *p = buf, *src;
			size_t plen = b->mm[i].msg_len;
			if (plen > sizeof(b->data[i]))
				plen = sizeof(b->data[i]);
			if (r->family == AF_INET) {
				/* IPv4 raw sockets see the IP header */
				if (plen < 20 || (buf[0] >> 4) != 4)
					continue;
				size_t ihl = (size_t)(buf[0] & 15) * 4;
				if (plen < ihl)
					continue;
				src = buf + 12;
				p += ihl;
				plen -= ihl;
			} else {
				src = (const uint8_t *)&((struct sockaddr_in6 *)&b->from[i])->sin6_addr;
			}
			on_reply(e, r->family, r->proto, p, plen, src, &ts.ts[0]);
		}
		if (got < RX_BATCH)
			return;
	}
}

void probe_free(struct probe_stream *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(s[i].slots);
		s[i].slots = NULL;
	}
}

void probe_engine_free(struct probe_engine *e)
{
	if (!e)
		return;
	for (int k = 0; k < 4; k++) {
		if (e->ps[k].fd >= 0)
			close(e->ps[k].fd);
		free(e->ps[k].keymap);
	}
	probe_free(e->st, e->n);
	free(e->om);
	free(e->mm);
	free(e->rb);
	free(e);
}

int probe_engine_new(struct probe_engine **out, struct probe_stream *st, size_t n, unsigned ring, probe_done_fn done,
		     void *arg, char *err, size_t errlen)
{
	static const struct psock init[4] = {
		{ -1, AF_INET, IPPROTO_ICMP, 0, NULL }, { -1, AF_INET6, IPPROTO_ICMPV6, 0, NULL },
		{ -1, AF_INET, IPPROTO_TCP, 0, NULL }, { -1, AF_INET6, IPPROTO_TCP, 0, NULL },
	};
	uint32_t rnd[2] = { 0, 0 };
	/* ICMP: one id per stream; TCP: one source port per slot */
	if (n == 0 || ring == 0 || ring > 65535 || n > 32768 || n * ring > 65536) {
		snprintf(err, errlen, "too many probes (streams x slots at most 65536)");
		return -1;
	}
	struct probe_engine *e = calloc(1, sizeof(*e));
	if (!e)
		return fail(err, errlen, "memory", ENOMEM);
	memcpy(e->ps, init, sizeof(init));
	e->st = st, e->n = n, e->count = ring, e->done = done, e->arg = arg;
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		rnd[0] = (uint32_t)mono_ns(), rnd[1] = (uint32_t)(mono_ns() >> 7);
	uint16_t base = (uint16_t)(32768 + rnd[0] % 16384);
	for (size_t i = 0; i < n; i++) {
		struct probe_stream *s = &st[i];
		s->sent = s->received = 0;
		s->slots = calloc(ring, sizeof(*s->slots));
		if (!s->slots) {
			fail(err, errlen, "memory", ENOMEM);
			goto fail;
		}
		/* consecutive ids (ICMP) or port ranges (TCP) from a random base */
		s->ident = s->tcp_port ? (uint16_t)(base + i * ring) : (uint16_t)(base + i);
		s->isn = rnd[1] + (uint32_t)(i * 65536);
		for (int k = 0; k < 4; k++)
			if (e->ps[k].family == family_of(s) && e->ps[k].proto == proto_of(s)) {
				if (e->ps[k].fd < 0 && open_sock(&e->ps[k], n * ring, err, errlen))
					goto fail;
				s->sock = k;
			}
		if (s->tcp_port && family_of(s) == AF_INET) {
			int r = source_for(s, s->src);
			if (r)
				s->last_errno = -r; /* no route: its probes will fail to send */
		}
	}
	e->om = calloc(n, sizeof(*e->om));
	e->mm = calloc(n, sizeof(*e->mm));
	e->rb = malloc(sizeof(*e->rb));
	if (!e->om || !e->mm || !e->rb) {
		fail(err, errlen, "memory", ENOMEM);
		goto fail;
	}
	*out = e;
	return 0;
fail:
	probe_engine_free(e);
	return -1;
}

void probe_engine_send(struct probe_engine *e, uint32_t round)
{
	unsigned k = round % e->count;
	/* every stream's probe of this round, grouped by socket */
	for (int q = 0; q < 4; q++) {
		size_t cnt = 0;
		for (size_t i = 0; i < e->n; i++) {
			struct probe_stream *s = &e->st[i];
			if (s->sock != q)
				continue;
			struct probe_slot *sl = &s->slots[k];
			if (sl->sent && !sl->done)
				lost(e, s, sl); /* its slot is needed: it waited a whole ring */
			*sl = (struct probe_slot){ .round = round };
			e->om[cnt] = (struct outmsg){ .s = s, .k = k, .id = (uint32_t)(i * e->count + k) };
			build_probe(&e->om[cnt], &e->mm[cnt]);
			cnt++;
		}
		if (cnt)
			send_batch(e, &e->ps[q], e->om, e->mm, cnt);
	}
}

size_t probe_engine_fds(const struct probe_engine *e, int fds[4])
{
	size_t n = 0;
	for (int k = 0; k < 4; k++)
		if (e->ps[k].fd >= 0)
			fds[n++] = e->ps[k].fd;
	return n;
}

void probe_engine_read(struct probe_engine *e, int fd)
{
	for (int k = 0; k < 4; k++)
		if (e->ps[k].fd == fd) {
			read_tx_timestamps(e, &e->ps[k]);
			read_replies(e, &e->ps[k]);
		}
}

uint64_t probe_engine_expire(struct probe_engine *e, uint64_t now, uint64_t timeout)
{
	uint64_t wake = UINT64_MAX;
	for (size_t i = 0; i < e->n; i++)
		for (unsigned k = 0; k < e->count; k++) {
			struct probe_slot *sl = &e->st[i].slots[k];
			if (!sl->sent || sl->done)
				continue;
			if (now >= sl->sent_mono_ns + timeout) {
				lost(e, &e->st[i], sl);
				continue;
			}
			if (sl->sent_mono_ns + timeout < wake)
				wake = sl->sent_mono_ns + timeout;
		}
	return wake;
}

int probe_run(struct probe_stream *st, size_t n, const struct probe_opts *o, char *err, size_t errlen)
{
	struct probe_engine *e;
	if (o->count == 0 || o->count > 65535 || n * o->count > 16384) {
		snprintf(err, errlen, "too many probes (destinations x providers x count at most 16384)");
		return -1;
	}
	if (probe_engine_new(&e, st, n, o->count, o->done, o->arg, err, errlen))
		return -1;
	int fds[4], r = -1;
	size_t nfd = probe_engine_fds(e, fds);
	struct pollfd pf[4];
	uint64_t start = mono_ns(), interval = (uint64_t)(o->interval_s * 1e9), timeout = (uint64_t)(o->timeout_s * 1e9);
	unsigned next = 0;
	for (;;) {
		uint64_t now = mono_ns();
		while (next < o->count && now >= start + next * interval)
			probe_engine_send(e, next++);
		uint64_t wake = probe_engine_expire(e, now, timeout);
		if (next >= o->count && wake == UINT64_MAX)
			break;
		if (next < o->count && start + next * interval < wake)
			wake = start + next * interval;
		for (size_t k = 0; k < nfd; k++)
			pf[k] = (struct pollfd){ .fd = fds[k], .events = POLLIN }; /* POLLERR: TX timestamps */
		uint64_t w = wake > now ? wake - now : 0;
		struct timespec to = { .tv_sec = (time_t)(w / 1000000000ull), .tv_nsec = (long)(w % 1000000000ull) };
		if (ppoll(pf, nfd, &to, NULL) < 0 && errno != EINTR) {
			fail(err, errlen, "poll", errno);
			goto out;
		}
		for (size_t k = 0; k < nfd; k++)
			if (pf[k].revents & (POLLIN | POLLERR))
				probe_engine_read(e, fds[k]);
	}
	r = 0;
out:
	/* the caller reads the streams' results: keep their slots out of the
	 * engine's free */
	for (size_t i = 0; i < n; i++)
		free(st[i].slots), st[i].slots = NULL;
	probe_engine_free(e);
	return r;
}
