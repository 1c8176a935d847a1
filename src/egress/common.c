/* Shared by the TCP and UDP proxies. */
#include "egress/common.h"
#include "base/knob.h"
#include "base/log.h"
#include <arpa/inet.h>
#include <sodium.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#ifndef IP_LOCAL_PORT_RANGE
#define IP_LOCAL_PORT_RANGE 51 /* Linux 6.3 */
#endif
#ifndef IP_RECVORIGDSTADDR
#define IP_RECVORIGDSTADDR 20
#endif
#ifndef IPV6_RECVORIGDSTADDR
#define IPV6_RECVORIGDSTADDR 74
#endif

void egress_sources_set(struct egress_sources *s4, struct egress_sources *s6, const struct egress_source *v, size_t n)
{
	s4->n = s6->n = 0;
	for (size_t i = 0; i < n; i++) {
		struct egress_sources *s = v[i].addr.family == AF_INET6 ? s6 : s4;
		if (s->n < EGRESS_SLICES_MAX)
			s->s[s->n++] = v[i];
	}
	s4->next %= s4->n ? s4->n : 1;
	s6->next %= s6->n ? s6->n : 1;
}

unsigned egress_sources_ports(const struct egress_sources *s)
{
	unsigned n = 0;
	for (unsigned i = 0; i < s->n; i++)
		n += s->s[i].last - s->s[i].first + 1u;
	return n;
}

socklen_t egress_sa_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
}

/* Linux before 6.3 has no IP_LOCAL_PORT_RANGE (ENOPROTOOPT): learned at
 * the first refusal */
static int no_port_range;

int egress_port_range_missing(void)
{
	return no_port_range || knob("ONLINK_TEST_NO_PORT_RANGE") != NULL;
}

/* said once, whatever made it so */
static void say_own_ports(void)
{
	static int said;
	if (!said++)
		log_warn("egress: this kernel has no IP_LOCAL_PORT_RANGE (Linux 6.3): upstream sockets bind a port of the "
			 "slice themselves");
}

static void source_sockaddr(const struct egress_source *src, uint16_t port, struct sockaddr_storage *b)
{
	memset(b, 0, sizeof(*b));
	b->ss_family = src->addr.family;
	if (src->addr.family == AF_INET) {
		memcpy(&((struct sockaddr_in *)b)->sin_addr, src->addr.bytes, 4);
		((struct sockaddr_in *)b)->sin_port = htons(port);
	} else {
		memcpy(&((struct sockaddr_in6 *)b)->sin6_addr, src->addr.bytes, 16);
		((struct sockaddr_in6 *)b)->sin6_port = htons(port);
	}
}

int egress_bind_port_in_slice(int fd, const struct sockaddr_storage *b, uint16_t first, uint16_t last,
			      const struct ol_ports *skip)
{
	struct sockaddr_storage a = *b;
	uint16_t *port = a.ss_family == AF_INET ? &((struct sockaddr_in *)&a)->sin_port
						: &((struct sockaddr_in6 *)&a)->sin6_port;
	uint32_t n = (uint32_t)last - first + 1;
	/* from a random port on, as the kernel's own search does: a scan from
	 * the first port would cost a full slice every time near the end */
	uint32_t start = randombytes_uniform(n);
	for (uint32_t i = 0; i < n; i++) {
		uint16_t p = (uint16_t)(first + (start + i) % n);
		if (skip && skip->n && ports_has(skip, p))
			continue;
		*port = htons(p);
		if (!bind(fd, (struct sockaddr *)&a, egress_sa_len(&a)))
			return 0;
		if (errno != EADDRINUSE)
			return -errno;
	}
	return -EADDRINUSE;
}

int egress_bind_port(int fd, const struct egress_source *src, uint32_t mark, uint16_t port)
{
	struct sockaddr_storage b;
	source_sockaddr(src, port, &b);
	say_own_ports();
	if ((mark && setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) < 0) ||
	    bind(fd, (struct sockaddr *)&b, egress_sa_len(&b)) < 0)
		return -errno;
	return 0;
}

int egress_bind_in_slice(int fd, const struct egress_source *src, uint32_t mark)
{
	uint32_t range = (uint32_t)src->last << 16 | src->first;
	struct sockaddr_storage b;
	source_sockaddr(src, 0, &b);
	if (mark && setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) < 0)
		return -errno;
	if (!egress_port_range_missing() && !src->reserved.n) {
		if (!setsockopt(fd, IPPROTO_IP, IP_LOCAL_PORT_RANGE, &range, sizeof(range)))
			return bind(fd, (struct sockaddr *)&b, egress_sa_len(&b)) < 0 ? -errno : 0;
		if (errno != ENOPROTOOPT)
			return -errno;
		no_port_range = 1;
	}
	say_own_ports();
	return egress_bind_port_in_slice(fd, &b, src->first, src->last, &src->reserved);
}

static int listener(int family, int type, uint16_t port)
{
	int one = 1, v4 = family == AF_INET;
	int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct sockaddr_storage ss = { .ss_family = (sa_family_t)family };
	if (fd < 0)
		return -errno;
	if (v4)
		((struct sockaddr_in *)&ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (!v4)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (setsockopt(fd, v4 ? IPPROTO_IP : IPPROTO_IPV6, v4 ? IP_TRANSPARENT : IPV6_TRANSPARENT, &one, sizeof(one)) < 0 ||
	    (type == SOCK_DGRAM && setsockopt(fd, v4 ? IPPROTO_IP : IPPROTO_IPV6,
					       v4 ? IP_RECVORIGDSTADDR : IPV6_RECVORIGDSTADDR, &one, sizeof(one)) < 0) ||
	    bind(fd, (struct sockaddr *)&ss, egress_sa_len(&ss)) < 0 || (type == SOCK_STREAM && listen(fd, 4096) < 0)) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

int egress_listen(struct loop_src *l4, struct loop_src *l6, int type, uint16_t port, loop_cb cb, void *arg)
{
	l4->fd = listener(AF_INET, type, port);
	l6->fd = listener(AF_INET6, type, port);
	if (l4->fd < 0 || l6->fd < 0) {
		int r = l4->fd < 0 ? l4->fd : l6->fd;
		if (l4->fd >= 0)
			close(l4->fd);
		if (l6->fd >= 0)
			close(l6->fd);
		return r;
	}
	l4->cb = l6->cb = cb;
	l4->arg = l6->arg = arg;
	int r = loop_add(l4, EPOLLIN);
	if (!r && (r = loop_add(l6, EPOLLIN)))
		loop_del(l4);
	if (r) {
		close(l4->fd);
		close(l6->fd);
		l4->fd = l6->fd = -1;
	}
	return r;
}

void egress_unlisten(struct loop_src *l4, struct loop_src *l6)
{
	loop_del(l4);
	loop_del(l6);
	close(l4->fd);
	close(l6->fd);
}
