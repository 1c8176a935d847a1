/* delayline: a fixed delay on a packet path, for the lab on kernels without
 * netem (CONFIG_NET_SCH_NETEM). It opens a TUN device, and every packet the
 * kernel routes into it is written back into it DELAY later, in order; the
 * provider namespace's policy routing sends forwarded traffic through it.
 *
 *   delayline IFNAME DELAY_MS
 *
 * Lab tool only: part of the test harness, not of onlink. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define SLOTS 4096
#define MTU 2048

struct slot {
	uint64_t due_ns;
	uint16_t len;
	uint8_t data[MTU];
};

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	struct ifreq ifr = { 0 };
	static struct slot q[SLOTS];
	size_t head = 0, tail = 0;
	char *end;
	double ms;
	int fd;

	if (argc != 3 || (ms = strtod(argv[2], &end)) < 0 || *end || strlen(argv[1]) >= IFNAMSIZ) {
		fprintf(stderr, "usage: delayline IFNAME DELAY_MS\n");
		return 2;
	}
	uint64_t delay = (uint64_t)(ms * 1e6);
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror("/dev/net/tun");
		return 1;
	}
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	strcpy(ifr.ifr_name, argv[1]);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		perror("TUNSETIFF");
		return 1;
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	signal(SIGTERM, SIG_DFL);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		struct timespec to, *top = NULL;
		if (head != tail) {
			uint64_t now = mono_ns(), due = q[head % SLOTS].due_ns;
			uint64_t wait = due > now ? due - now : 0;
			to.tv_sec = (time_t)(wait / 1000000000ull);
			to.tv_nsec = (long)(wait % 1000000000ull);
			top = &to;
		}
		if (ppoll(&p, 1, top, NULL) < 0 && errno != EINTR)
			return 1;
		if (p.revents & POLLIN) {
			for (;;) {
				struct slot *s = &q[tail % SLOTS];
				if (tail - head == SLOTS)
					break; /* full: leave it in the kernel's queue */
				ssize_t n = read(fd, s->data, sizeof(s->data));
				if (n <= 0)
					break;
				s->len = (uint16_t)n;
				s->due_ns = mono_ns() + delay;
				tail++;
			}
		}
		uint64_t now = mono_ns();
		while (head != tail && q[head % SLOTS].due_ns <= now) {
			struct slot *s = &q[head % SLOTS];
			if (write(fd, s->data, s->len) < 0 && errno == EAGAIN)
				break;
			head++;
		}
	}
}
