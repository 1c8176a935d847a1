/* Probe engine. One raw socket per stream sends (it carries the stream's
 * SO_MARK and a drop-all filter, so it queues nothing but its TX
 * timestamps); one raw socket per family and protocol receives every reply
 * with its kernel RX timestamp, and replies are matched to streams by ICMP
 * id and sequence, or by TCP ports and acknowledgement number. */
#include "onlink/probe.h"
#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <linux/filter.h>
#include <linux/net_tstamp.h>
#include <math.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef ICMP_FILTER
#define ICMP_FILTER 1
#endif

struct probe_slot {
	struct timespec tx, rx;     /* kernel timestamps (CLOCK_REALTIME) */
	uint64_t sent_mono_ns;      /* for the timeout only */
	uint8_t sent, has_tx, has_rx, done;
};

struct rxsock {
	int fd, family, proto;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int fail(char *err, size_t len, const char *what, int e)
{
	snprintf(err, len, "%s: %s", what, strerror(e));
	return -1;
}

static uint16_t csum(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;
	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
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

/* The source address the kernel will use towards dst with this mark. */
static int source_for(const struct probe_stream *s, uint8_t out[16])
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd = socket(family_of(s), SOCK_DGRAM | SOCK_CLOEXEC, 0), r = 0;
	struct sockaddr_storage d = s->dst;
	if (fd < 0)
		return -errno;
	((struct sockaddr_in *)&d)->sin_port = htons(9);
	if (setsockopt(fd, SOL_SOCKET, SO_MARK, &s->mark, sizeof(s->mark)) < 0 ||
	    connect(fd, (struct sockaddr *)&d, s->dstlen) < 0 || getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		r = -errno;
	else if (family_of(s) == AF_INET)
		memcpy(out, &((struct sockaddr_in *)&ss)->sin_addr, 4);
	else
		memcpy(out, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
	close(fd);
	return r;
}

static int open_sender(struct probe_stream *s, char *err, size_t errlen)
{
	static struct sock_filter drop_all[] = { BPF_STMT(BPF_RET | BPF_K, 0) };
	struct sock_fprog prog = { .len = 1, .filter = drop_all };
	int ts = SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_OPT_ID |
		 SOF_TIMESTAMPING_OPT_TSONLY;
	int fd = socket(family_of(s), SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto_of(s));
	if (fd < 0)
		return fail(err, errlen, "raw socket (onlink ping needs root)", errno);
	s->fd = fd;
	if (setsockopt(fd, SOL_SOCKET, SO_MARK, &s->mark, sizeof(s->mark)) < 0)
		return fail(err, errlen, "SO_MARK", errno);
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0)
		return fail(err, errlen, "SO_ATTACH_FILTER", errno);
	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &ts, sizeof(ts)) < 0)
		return fail(err, errlen, "SO_TIMESTAMPING", errno);
	if (s->tcp_port && family_of(s) == AF_INET6) {
		int off = 16; /* the kernel fills in the TCP checksum */
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_CHECKSUM, &off, sizeof(off)) < 0)
			return fail(err, errlen, "IPV6_CHECKSUM", errno);
	}
	if (s->tcp_port && family_of(s) == AF_INET) {
		int r = source_for(s, s->src);
		if (r)
			s->last_errno = -r; /* no route: every probe will fail to send */
	}
	return 0;
}

static int open_receiver(struct rxsock *r, char *err, size_t errlen)
{
	int one = 1;
	r->fd = socket(r->family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, r->proto);
	if (r->fd < 0)
		return fail(err, errlen, "raw socket (onlink ping needs root)", errno);
	if (setsockopt(r->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) < 0)
		return fail(err, errlen, "SO_TIMESTAMPNS", errno);
	if (r->proto == IPPROTO_ICMP) {
		uint32_t block = ~(1u << ICMP_ECHOREPLY);
		setsockopt(r->fd, SOL_RAW, ICMP_FILTER, &block, sizeof(block));
	} else if (r->proto == IPPROTO_ICMPV6) {
		struct icmp6_filter f;
		ICMP6_FILTER_SETBLOCKALL(&f);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
		setsockopt(r->fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f));
	}
	return 0;
}

static void send_probe(struct probe_stream *s, unsigned k)
{
	uint8_t pkt[64] = { 0 };
	size_t len;
	struct probe_slot *sl = &s->slots[k];

	if (!s->tcp_port) {
		len = 64;
		if (family_of(s) == AF_INET) {
			struct icmphdr *ic = (struct icmphdr *)pkt;
			ic->type = ICMP_ECHO;
			ic->un.echo.id = htons(s->ident);
			ic->un.echo.sequence = htons((uint16_t)k);
			ic->checksum = htons(csum(pkt, len, 0));
		} else {
			struct icmp6_hdr *ic = (struct icmp6_hdr *)pkt;
			ic->icmp6_type = ICMP6_ECHO_REQUEST;
			ic->icmp6_id = htons(s->ident);
			ic->icmp6_seq = htons((uint16_t)k);
		}
	} else {
		struct tcphdr *th = (struct tcphdr *)pkt;
		len = 24;
		th->source = htons((uint16_t)(s->ident + k));
		th->dest = htons(s->tcp_port);
		th->seq = htonl(s->isn + k);
		th->doff = 6;
		th->syn = 1;
		th->window = htons(64240);
		pkt[20] = 2; /* MSS 1460 */
		pkt[21] = 4;
		pkt[22] = 1460 >> 8;
		pkt[23] = 1460 & 0xff;
		if (family_of(s) == AF_INET) {
			uint32_t sum = 0;
			const uint8_t *d = dst_bytes(s);
			sum += (uint32_t)s->src[0] << 8 | s->src[1];
			sum += (uint32_t)s->src[2] << 8 | s->src[3];
			sum += (uint32_t)d[0] << 8 | d[1];
			sum += (uint32_t)d[2] << 8 | d[3];
			sum += IPPROTO_TCP + (uint32_t)len;
			th->check = htons(csum(pkt, len, sum));
		}
	}
	sl->sent_mono_ns = mono_ns();
	sl->sent = 1;
	s->sent++;
	struct sockaddr_storage d = s->dst;
	((struct sockaddr_in *)&d)->sin_port = 0; /* raw sockets: the port field is the protocol */
	if (sendto(s->fd, pkt, len, 0, (struct sockaddr *)&d, s->dstlen) < 0) {
		s->last_errno = errno;
		sl->done = 1; /* lost */
	}
}

static void settle(struct probe_stream *s, struct probe_slot *sl)
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
}

static void read_tx_timestamps(struct probe_stream *s, unsigned count)
{
	for (;;) {
		char control[512];
		uint8_t data[64];
		struct iovec iov = { data, sizeof(data) };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
				    .msg_controllen = sizeof(control) };
		if (recvmsg(s->fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			return;
		struct timespec ts = { 0 };
		int have_ts = 0;
		long key = -1;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPING) {
				memcpy(&ts, CMSG_DATA(c), sizeof(ts)); /* ts[0]: software */
				have_ts = 1;
			} else if ((c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) ||
				   (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR)) {
				struct sock_extended_err ee;
				memcpy(&ee, CMSG_DATA(c), sizeof(ee));
				if (ee.ee_origin == SO_EE_ORIGIN_TIMESTAMPING && ee.ee_info == SCM_TSTAMP_SND)
					key = ee.ee_data;
			}
		}
		if (have_ts && key >= 0 && (unsigned long)key < count) {
			struct probe_slot *sl = &s->slots[key];
			sl->tx = ts;
			sl->has_tx = 1;
			settle(s, sl);
		}
	}
}

/* A reply: which stream and probe, or -1. */
static void on_reply(struct probe_stream *st, size_t n, unsigned count, int family, int proto, const uint8_t *p,
		     size_t len, const uint8_t *from, const struct timespec *rx)
{
	long idx = -1, k = -1;
	if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
		if (len < 8 || p[0] != (proto == IPPROTO_ICMP ? ICMP_ECHOREPLY : ICMP6_ECHO_REPLY))
			return;
		uint16_t id = (uint16_t)(p[4] << 8 | p[5]), seq = (uint16_t)(p[6] << 8 | p[7]);
		uint16_t off = (uint16_t)(id - st[0].ident);
		if (off < n && seq < count && !st[off].tcp_port)
			idx = off, k = seq;
	} else {
		if (len < 20 || !(p[13] & (TH_RST | TH_SYN)) || !(p[13] & TH_ACK))
			return;
		uint16_t sport = (uint16_t)(p[0] << 8 | p[1]), dport = (uint16_t)(p[2] << 8 | p[3]);
		uint32_t ack = (uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 | (uint32_t)p[10] << 8 | p[11];
		uint16_t off = (uint16_t)(dport - st[0].ident);
		if (off / count < n) {
			idx = off / count;
			k = off % count;
			if (st[idx].tcp_port != sport || ack != st[idx].isn + (uint32_t)k + 1)
				return;
		}
	}
	if (idx < 0)
		return;
	struct probe_stream *s = &st[idx];
	if (family_of(s) != family || memcmp(from, dst_bytes(s), family == AF_INET ? 4 : 16))
		return;
	struct probe_slot *sl = &s->slots[k];
	if (!sl->sent || sl->done || sl->has_rx)
		return;
	sl->rx = *rx;
	sl->has_rx = 1;
	settle(s, sl);
}

static void read_replies(struct rxsock *r, struct probe_stream *st, size_t n, unsigned count)
{
	for (int i = 0; i < 256; i++) {
		uint8_t buf[2048];
		char control[256];
		struct sockaddr_storage from;
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr m = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1,
				    .msg_control = control, .msg_controllen = sizeof(control) };
		ssize_t len = recvmsg(r->fd, &m, MSG_DONTWAIT);
		if (len < 0)
			return;
		struct timespec rx = { 0 };
		int have = 0;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPNS) {
				memcpy(&rx, CMSG_DATA(c), sizeof(rx));
				have = 1;
			}
		if (!have)
			continue;
		const uint8_t *p = buf, *src;
		size_t plen = (size_t)len;
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
			src = (const uint8_t *)&((struct sockaddr_in6 *)&from)->sin6_addr;
		}
		on_reply(st, n, count, r->family, r->proto, p, plen, src, &rx);
	}
}

void probe_free(struct probe_stream *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i].fd >= 0)
			close(s[i].fd);
		s[i].fd = -1;
		free(s[i].slots);
		s[i].slots = NULL;
	}
}

int probe_run(struct probe_stream *st, size_t n, const struct probe_opts *o, char *err, size_t errlen)
{
	struct rxsock rx[4] = {
		{ -1, AF_INET, IPPROTO_ICMP }, { -1, AF_INET6, IPPROTO_ICMPV6 },
		{ -1, AF_INET, IPPROTO_TCP }, { -1, AF_INET6, IPPROTO_TCP },
	};
	struct pollfd *pf = NULL;
	uint16_t base = (uint16_t)(32768 + randombytes_uniform(16384));
	int r = -1;

	if (n == 0 || o->count == 0 || o->count > 65535 || n * o->count > 16384) {
		snprintf(err, errlen, "too many probes (destinations x providers x count at most 16384)");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		st[i].fd = -1;
	for (size_t i = 0; i < n; i++) {
		struct probe_stream *s = &st[i];
		s->sent = s->received = 0;
		s->slots = calloc(o->count, sizeof(*s->slots));
		/* consecutive ids (ICMP) or port ranges (TCP) from a random base */
		s->ident = s->tcp_port ? (uint16_t)(base + i * o->count) : (uint16_t)(base + i);
		s->isn = randombytes_random();
		if (!s->slots || open_sender(s, err, errlen))
			goto out;
		for (int k = 0; k < 4; k++)
			if (rx[k].fd < 0 && rx[k].family == family_of(s) && rx[k].proto == proto_of(s) &&
			    open_receiver(&rx[k], err, errlen))
				goto out;
	}
	pf = calloc(n + 4, sizeof(*pf));
	if (!pf)
		goto out;

	uint64_t start = mono_ns(), interval = (uint64_t)(o->interval_s * 1e9), timeout = (uint64_t)(o->timeout_s * 1e9);
	unsigned next = 0;
	for (;;) {
		uint64_t now = mono_ns();
		while (next < o->count && now >= start + next * interval) {
			for (size_t i = 0; i < n; i++)
				send_probe(&st[i], next);
			next++;
		}
		/* expire probes past their timeout; see whether anything is left */
		int pending = next < o->count;
		for (size_t i = 0; i < n; i++)
			for (unsigned k = 0; k < next; k++) {
				struct probe_slot *sl = &st[i].slots[k];
				if (sl->done)
					continue;
				if (now >= sl->sent_mono_ns + timeout)
					sl->done = 1;
				else
					pending = 1;
			}
		if (!pending)
			break;
		uint64_t wake = next < o->count ? start + next * interval : UINT64_MAX;
		for (size_t i = 0; i < n; i++)
			for (unsigned k = 0; k < next; k++)
				if (!st[i].slots[k].done && st[i].slots[k].sent_mono_ns + timeout < wake)
					wake = st[i].slots[k].sent_mono_ns + timeout;
		size_t np = 0;
		for (size_t i = 0; i < n; i++)
			pf[np++] = (struct pollfd){ .fd = st[i].fd, .events = 0 }; /* POLLERR: a TX timestamp */
		for (int k = 0; k < 4; k++)
			if (rx[k].fd >= 0)
				pf[np++] = (struct pollfd){ .fd = rx[k].fd, .events = POLLIN };
		struct timespec to = { 0 };
		uint64_t w = wake > now ? wake - now : 0;
		to.tv_sec = (time_t)(w / 1000000000ull);
		to.tv_nsec = (long)(w % 1000000000ull);
		if (ppoll(pf, np, &to, NULL) < 0 && errno != EINTR) {
			fail(err, errlen, "poll", errno);
			goto out;
		}
		for (size_t i = 0; i < n; i++)
			if (pf[i].revents & POLLERR)
				read_tx_timestamps(&st[i], o->count);
		for (int k = 0; k < 4; k++)
			if (rx[k].fd >= 0)
				read_replies(&rx[k], st, n, o->count);
	}
	r = 0;
out:
	free(pf);
	for (int k = 0; k < 4; k++)
		if (rx[k].fd >= 0)
			close(rx[k].fd);
	return r;
}
