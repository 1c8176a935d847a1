/* The egress proxy's own search for a port of its slice, for kernels
 * without IP_LOCAL_PORT_RANGE (egress_bind_port_in_slice, egress/common.h).
 * In a network namespace of its own (root), so that no other process's
 * ports, a concurrent test run's included, can be in the way. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sodium.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "egress/common.h"

static int own_netns(void **state)
{
	(void)state;
	if (unshare(CLONE_NEWNET) < 0)
		return -1; /* not root: the group fails, it does not pass */
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct ifreq ifr = { 0 };
	strcpy(ifr.ifr_name, "lo");
	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return -1;
	ifr.ifr_flags |= IFF_UP;
	int r = ioctl(fd, SIOCSIFFLAGS, &ifr);
	close(fd);
	return r < 0 || sodium_init() < 0 ? -1 : 0;
}

static uint16_t port_of(int fd)
{
	struct sockaddr_in a;
	socklen_t l = sizeof(a);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &l), 0);
	return ntohs(a.sin_port);
}

static void each_port_once(int type)
{
	struct sockaddr_storage b = { .ss_family = AF_INET };
	inet_pton(AF_INET, "127.0.0.1", &((struct sockaddr_in *)&b)->sin_addr);
	int fds[5], seen[4] = { 0 };
	for (int i = 0; i < 4; i++) {
		fds[i] = socket(AF_INET, type, 0);
		assert_int_equal(egress_bind_port_in_slice(fds[i], &b, 40000, 40003, NULL), 0);
		uint16_t p = port_of(fds[i]);
		assert_true(p >= 40000 && p <= 40003);
		assert_int_equal(seen[p - 40000]++, 0); /* each port once */
	}
	/* the slice is full: said as such, not as another error */
	fds[4] = socket(AF_INET, type, 0);
	assert_int_equal(egress_bind_port_in_slice(fds[4], &b, 40000, 40003, NULL), -EADDRINUSE);
	/* a freed port is found again, wherever the search starts */
	uint16_t freed = port_of(fds[2]);
	close(fds[2]);
	assert_int_equal(egress_bind_port_in_slice(fds[4], &b, 40000, 40003, NULL), 0);
	assert_int_equal(port_of(fds[4]), freed);
	for (int i = 0; i < 5; i++)
		if (i != 2)
			close(fds[i]);
}

static void tcp_ports(void **state)
{
	(void)state;
	each_port_once(SOCK_STREAM);
}

static void udp_ports(void **state)
{
	(void)state;
	each_port_once(SOCK_DGRAM);
}

/* A one-port slice, and the search's start spread over a wide one. */
static void edges(void **state)
{
	(void)state;
	struct sockaddr_storage b = { .ss_family = AF_INET };
	inet_pton(AF_INET, "127.0.0.1", &((struct sockaddr_in *)&b)->sin_addr);
	int a = socket(AF_INET, SOCK_DGRAM, 0), c = socket(AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(egress_bind_port_in_slice(a, &b, 50000, 50000, NULL), 0);
	assert_int_equal(port_of(a), 50000);
	assert_int_equal(egress_bind_port_in_slice(c, &b, 50000, 50000, NULL), -EADDRINUSE);
	close(a);
	close(c);
	int lo = 0, hi = 0;
	for (int i = 0; i < 64; i++) {
		int s = socket(AF_INET, SOCK_DGRAM, 0);
		assert_int_equal(egress_bind_port_in_slice(s, &b, 20000, 29999, NULL), 0);
		uint16_t p = port_of(s);
		assert_true(p >= 20000 && p <= 29999);
		lo += p < 25000, hi += p >= 25000;
		close(s);
	}
	assert_true(lo > 8 && hi > 8); /* random starts, not the first port each time */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tcp_ports),
		cmocka_unit_test(udp_ports),
		cmocka_unit_test(edges),
	};
	return cmocka_run_group_tests(tests, own_netns, NULL);
}
