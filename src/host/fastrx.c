/* The host agent's fast-path socket. */
#include "host/fastrx.h"
#include "proto/session.h"
#include <errno.h>
#include <netinet/in.h>
#include <sodium.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int fastrx_open(struct fastrx *f, int ifindex)
{
	const struct ol_addr *g = &f->info.group;
	int one = 1, zero = 0, r = 0;
	f->fd = socket(g->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (f->fd < 0)
		return -errno;
	/* several switch agents may share a group: each session's socket gets
	 * every datagram and keeps those of its own epoch */
	setsockopt(f->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (g->family == AF_INET) {
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(f->info.port) };
		memcpy(&sa.sin_addr, g->bytes, 4);
		struct ip_mreqn m = { .imr_ifindex = ifindex };
		memcpy(&m.imr_multiaddr, g->bytes, 4);
		/* only the group this socket joined, not every group the host is in */
		setsockopt(f->fd, IPPROTO_IP, IP_MULTICAST_ALL, &zero, sizeof(zero));
		if (bind(f->fd, (struct sockaddr *)&sa, sizeof(sa)) ||
		    setsockopt(f->fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof(m)))
			r = -errno;
	} else {
		struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(f->info.port) };
		memcpy(&sa.sin6_addr, g->bytes, 16);
		struct ipv6_mreq m = { .ipv6mr_interface = (unsigned)ifindex };
		memcpy(&m.ipv6mr_multiaddr, g->bytes, 16);
		setsockopt(f->fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, &zero, sizeof(zero));
		if (bind(f->fd, (struct sockaddr *)&sa, sizeof(sa)) ||
		    setsockopt(f->fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &m, sizeof(m)))
			r = -errno;
	}
	if (r)
		fastrx_close(f);
	return r;
}

void fastrx_close(struct fastrx *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

int fastrx_read(struct fastrx *f, uint8_t *msg, size_t cap)
{
	uint8_t d[WIRE_DGRAM_MAX + 1];
	ssize_t n = recv(f->fd, d, sizeof(d), MSG_DONTWAIT);
	if (n < 0)
		return errno == EINTR ? 0 : -EAGAIN;
	uint64_t seq;
	const uint8_t *m;
	int k = dgram_verify(f->info.pub, f->info.epoch, d, (size_t)n, &seq, &m);
	if (k == -ESRCH) {
		f->foreign++;
		return 0;
	}
	if (k < 0 || seq <= f->info.seq) {
		f->rejected++;
		return 0;
	}
	if ((size_t)k > cap) {
		f->rejected++;
		return 0;
	}
	memcpy(msg, m, (size_t)k);
	f->lost += seq - f->info.seq - 1;
	f->info.seq = seq;
	f->received++;
	return k;
}
