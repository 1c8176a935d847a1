/* The switch agent's fast path: signed change datagrams to a multicast group. */
#include "switch/fastpath.h"
#include "proto/session.h"
#include "kernel/link.h"
#include <errno.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* messages per datagram until the interface's MTU is known (within IPv6's
 * minimum MTU of 1280) */
#define MSG_MAX_DEFAULT 1200

/* Which interface the datagrams leave by. The interface may come and go
 * (a bridge made after the agent started): looked up again on failure. */
static int fastpath_bind_if(struct fastpath *f)
{
	f->ifindex = (unsigned)link_index(f->ifname);
	if (!f->ifindex)
		return -ENODEV;
	/* one frame per datagram, never a fragment: a lost fragment would
	 * lose the whole datagram */
	size_t over = (f->info.group.family == AF_INET ? 20 : 40) + 8 + WIRE_DGRAM_HDR + WIRE_SIG;
	int mtu = link_mtu(f->ifname);
	if (mtu > 0 && (size_t)mtu > over + 512)
		f->msg_max = (size_t)mtu - over;
	if (f->msg_max > WIRE_DGRAM_MSG_MAX)
		f->msg_max = WIRE_DGRAM_MSG_MAX;
	if (f->info.group.family == AF_INET) {
		struct ip_mreqn m = { .imr_ifindex = (int)f->ifindex };
		return setsockopt(f->fd, IPPROTO_IP, IP_MULTICAST_IF, &m, sizeof(m)) ? -errno : 0;
	}
	int i = (int)f->ifindex;
	return setsockopt(f->fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &i, sizeof(i)) ? -errno : 0;
}

int fastpath_open(struct fastpath *f, const struct cfg_switch *c)
{
	memset(f, 0, sizeof(*f));
	f->rl = (struct ratelimit)RATELIMIT_INIT(10000, 5);
	f->msg_max = MSG_MAX_DEFAULT;
	f->ifname = c->fast_path_if;
	f->dst = c->fast_path.ss;
	f->dstlen = c->fast_path.len;
	int v6 = f->dst.ss_family == AF_INET6, one = 1, zero = 0;
	struct ol_addr *g = &f->info.group;
	f->info.port = endpoint_addr(&f->dst, g);
	crypto_sign_ed25519_keypair(f->info.pub, f->sk);
	randombytes_buf(&f->info.epoch, sizeof(f->info.epoch));
	f->fd = socket(g->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (f->fd < 0)
		return -errno;
	/* the hosts' segment only, and not back to ourselves */
	if (v6) {
		setsockopt(f->fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &one, sizeof(one));
		setsockopt(f->fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &zero, sizeof(zero));
	} else {
		unsigned char ttl = 1, loop = 0;
		setsockopt(f->fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl));
		setsockopt(f->fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof(loop));
	}
	if (fastpath_bind_if(f))
		log_warn("fast-path: interface %s: not there yet; the hosts get changes by their sessions until it is",
			 f->ifname);
	return 0;
}

void fastpath_close(struct fastpath *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	sodium_memzero(f->sk, sizeof(f->sk));
}

static int send_once(struct fastpath *f, const uint8_t *d, int n)
{
	if (!f->ifindex && fastpath_bind_if(f))
		return -ENODEV;
	return sendto(f->fd, d, (size_t)n, 0, (struct sockaddr *)&f->dst, f->dstlen) == n ? 0 : -errno;
}

static void fastpath_send(struct fastpath *f)
{
	uint8_t d[WIRE_DGRAM_MAX];
	int n = dgram_sign(f->sk, f->info.epoch, f->info.seq + 1, f->msg, f->len, d, sizeof(d));
	f->len = 0;
	if (n < 0)
		return;
	f->info.seq++;
	int r = send_once(f, d, n);
	if (r == -ENODEV || r == -ENXIO || r == -EADDRNOTAVAIL || r == -ENETUNREACH) {
		f->ifindex = 0; /* the interface may have been made again */
		r = send_once(f, d, n);
	}
	if (!r) {
		f->sent++;
		return;
	}
	f->errors++;
	log_limited(&f->rl, LOG_WARNING, "fast-path: send on %s: %s; the sessions carry the change", f->ifname,
		    strerror(-r));
}

static void put_gen(struct fastpath *f)
{
	uint8_t b[8];
	wire_gen_encode(b, sizeof(b), f->gen);
	wire_rec_put(f->msg, f->msg_max, &f->len, WM_GEN, b, sizeof(b));
}

void fastpath_begin(struct fastpath *f, uint64_t gen)
{
	f->gen = gen;
	f->len = 0;
	put_gen(f);
}

void fastpath_add(struct fastpath *f, uint8_t type, const uint8_t *body, size_t n)
{
	if (!wire_rec_put(f->msg, f->msg_max, &f->len, type, body, n))
		return;
	fastpath_send(f);
	put_gen(f);
	/* a message larger than a datagram goes by the sessions alone */
	wire_rec_put(f->msg, f->msg_max, &f->len, type, body, n);
}

void fastpath_end(struct fastpath *f)
{
	if (f->len > WIRE_REC_HDR + 8)
		fastpath_send(f);
	f->len = 0;
}
