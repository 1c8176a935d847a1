/* connrate: the connection-rate, latency and idle-connection load for the
 * egress benchmark (bench/egress.sh). Benchmark tool only.
 *   connrate server ADDR PORT             answer one byte with one byte, close
 *   connrate client ADDR PORT SECS CONC   CONC connections at a time, each
 *       connect, send a byte, read a byte, close; prints JSON: conns,
 *       rate, latency p50/p99 (ms, connect to answer), errors
 *   connrate hold ADDR PORT N SECS        open N connections, hold them
 *   connrate sink ADDR PORT               one connection at a time: read the
 *       size (8 bytes) and that many bytes, answer with the count, close
 *   connrate stream ADDR PORT MIB         send MIB mebibytes on one
 *       connection, print Gbit/s, timed from connect to the sink's answer */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double mono(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static socklen_t addr_of(const char *a, int port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, a, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		return sizeof(*s4);
	}
	inet_pton(AF_INET6, a, &s6->sin6_addr);
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons((uint16_t)port);
	return sizeof(*s6);
}

static int server(const char *a, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = addr_of(a, port, &ss);
	int one = 1, l = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0), ep = epoll_create1(0);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l, (struct sockaddr *)&ss, len) < 0 || listen(l, 65535) < 0) {
		perror("listen");
		return 1;
	}
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = l }, evs[256];
	epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev);
	for (;;) {
		int n = epoll_wait(ep, evs, 256, -1);
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == l) {
				int c;
				while ((c = accept4(l, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					struct epoll_event ce = { .events = EPOLLIN, .data.fd = c };
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
				}
				continue;
			}
			char b;
			ssize_t r = read(fd, &b, 1);
			if (r == 1 && write(fd, &b, 1) != 1)
				r = -1; /* nothing to do but close */
			if (r >= 0 || errno != EAGAIN)
				close(fd);
		}
	}
}

struct slot {
	int fd;
	double start;
	int sent;
};

static int cmpd(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return a < b ? -1 : a > b;
}

static int client(const char *a, int port, double secs, int conc)
{
	struct sockaddr_storage ss;
	socklen_t len = addr_of(a, port, &ss);
	int ep = epoll_create1(0);
	struct slot *s = calloc((size_t)conc, sizeof(*s));
	size_t cap = 1 << 20, n = 0;
	double *lat = malloc(cap * sizeof(double)), end = mono() + secs;
	unsigned long errors = 0;
	for (int i = 0; i < conc; i++)
		s[i].fd = -1;
	for (;;) {
		double now = mono();
		for (int i = 0; i < conc && now < end; i++) {
			if (s[i].fd >= 0)
				continue;
			int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			s[i] = (struct slot){ .fd = fd, .start = mono() };
			if (connect(fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS) {
				errors++;
				close(fd);
				s[i].fd = -1;
				continue;
			}
			struct epoll_event ev = { .events = EPOLLOUT, .data.u32 = (uint32_t)i };
			epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
		}
		int open = 0;
		for (int i = 0; i < conc; i++)
			open += s[i].fd >= 0;
		if (!open && now >= end)
			break;
		struct epoll_event evs[256];
		int k = epoll_wait(ep, evs, 256, 100);
		for (int j = 0; j < k; j++) {
			struct slot *sl = &s[evs[j].data.u32];
			char b = 'x';
			if (evs[j].events & (EPOLLERR | EPOLLHUP) && !(evs[j].events & EPOLLIN)) {
				errors++;
				close(sl->fd);
				sl->fd = -1;
				continue;
			}
			if (!sl->sent) {
				if (write(sl->fd, &b, 1) != 1) {
					errors++;
					close(sl->fd);
					sl->fd = -1;
					continue;
				}
				sl->sent = 1;
				struct epoll_event ev = { .events = EPOLLIN, .data.u32 = evs[j].data.u32 };
				epoll_ctl(ep, EPOLL_CTL_MOD, sl->fd, &ev);
				continue;
			}
			if (read(sl->fd, &b, 1) == 1) {
				if (n < cap)
					lat[n++] = (mono() - sl->start) * 1000;
			} else {
				errors++;
			}
			close(sl->fd);
			sl->fd = -1;
		}
	}
	qsort(lat, n, sizeof(double), cmpd);
	printf("{\"conns\": %zu, \"rate\": %.0f, \"p50_ms\": %.3f, \"p99_ms\": %.3f, \"errors\": %lu}\n", n, n / secs,
	       n ? lat[n / 2] : 0, n ? lat[(size_t)(n * 0.99)] : 0, errors);
	return 0;
}

static int hold(const char *a, int port, int count, int secs)
{
	struct sockaddr_storage ss;
	socklen_t len = addr_of(a, port, &ss);
	int ok = 0;
	for (int i = 0; i < count; i++) {
		int fd = socket(ss.ss_family, SOCK_STREAM, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&ss, len) == 0)
			ok++;
	}
	printf("held %d\n", ok);
	fflush(stdout);
	sleep((unsigned)secs);
	return 0;
}

static uint8_t bulk[128 * 1024];

/* reads exactly len bytes; 0 at the peer's end or an error */
static int read_full(int fd, void *buf, size_t len)
{
	for (size_t got = 0; got < len;) {
		ssize_t n = read(fd, (uint8_t *)buf + got, len - got);
		if (n <= 0)
			return 0;
		got += (size_t)n;
	}
	return 1;
}

static int sink(const char *a, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = addr_of(a, port, &ss);
	int one = 1, l = socket(ss.ss_family, SOCK_STREAM, 0);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l, (struct sockaddr *)&ss, len) < 0 || listen(l, 16) < 0) {
		perror("listen");
		return 1;
	}
	for (;;) {
		int c = accept(l, NULL, NULL);
		if (c < 0)
			continue;
		uint64_t want, total = 0;
		if (read_full(c, &want, sizeof(want))) {
			while (total < want) {
				size_t chunk = want - total < sizeof(bulk) ? (size_t)(want - total) : sizeof(bulk);
				ssize_t n = read(c, bulk, chunk);
				if (n <= 0)
					break;
				total += (uint64_t)n;
			}
			if (write(c, &total, sizeof(total)) != sizeof(total))
				perror("sink: write");
		}
		close(c);
	}
}

/* No half-close: the sink knows the size from the first 8 bytes, so a relay
 * that cannot pass a FIN along (a sockmap redirect) is measured alike. */
static int stream(const char *a, int port, uint64_t mib)
{
	struct sockaddr_storage ss;
	socklen_t len = addr_of(a, port, &ss);
	int fd = socket(ss.ss_family, SOCK_STREAM, 0);
	uint64_t want = mib << 20, sent = 0, total;
	double t0 = mono();
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len) < 0) {
		perror("stream: connect");
		return 1;
	}
	if (write(fd, &want, sizeof(want)) != sizeof(want)) {
		perror("stream: write");
		return 1;
	}
	while (sent < want) {
		size_t chunk = want - sent < sizeof(bulk) ? (size_t)(want - sent) : sizeof(bulk);
		ssize_t n = write(fd, bulk, chunk);
		if (n < 0) {
			perror("stream: write");
			return 1;
		}
		sent += (uint64_t)n;
	}
	if (!read_full(fd, &total, sizeof(total)) || total != want) {
		fprintf(stderr, "stream: the sink did not count all %llu bytes\n", (unsigned long long)want);
		return 1;
	}
	printf("%.3f\n", (double)total * 8 / (mono() - t0) / 1e9);
	return 0;
}

int main(int argc, char **argv)
{
	struct rlimit rl = { 65536, 65536 };
	setrlimit(RLIMIT_NOFILE, &rl);
	if (argc == 4 && !strcmp(argv[1], "server"))
		return server(argv[2], atoi(argv[3]));
	if (argc == 6 && !strcmp(argv[1], "client"))
		return client(argv[2], atoi(argv[3]), atof(argv[4]), atoi(argv[5]));
	if (argc == 6 && !strcmp(argv[1], "hold"))
		return hold(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
	if (argc == 4 && !strcmp(argv[1], "sink"))
		return sink(argv[2], atoi(argv[3]));
	if (argc == 5 && !strcmp(argv[1], "stream"))
		return stream(argv[2], atoi(argv[3]), strtoull(argv[4], NULL, 10));
	fprintf(stderr, "usage: connrate server ADDR PORT | client ADDR PORT SECS CONC | hold ADDR PORT N SECS\n"
			"       connrate sink ADDR PORT | stream ADDR PORT MIB\n");
	return 2;
}
