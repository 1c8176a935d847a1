/* The probe engine over loopback (needs CAP_NET_RAW; skipped without it):
 * continuous rounds on a small ring, across the ICMP sequence's wrap at
 * 65536, every probe answered once and matched to its own round. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include "kernel/probe.h"

struct tally {
	unsigned answered, lost;
	uint32_t last_round[2];
	int out_of_order;
};

static void done(void *arg, struct probe_stream *s, uint32_t round, double rtt_ms)
{
	struct tally *t = arg;
	int i = (int)(intptr_t)s->user;
	if (rtt_ms < 0) {
		t->lost++;
		return;
	}
	t->answered++;
	if (t->last_round[i] && round != t->last_round[i] + 1)
		t->out_of_order++;
	t->last_round[i] = round;
}

static void wraps(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	struct probe_stream st[2];
	memset(st, 0, sizeof(st));
	struct sockaddr_in *a4 = (struct sockaddr_in *)&st[0].dst;
	a4->sin_family = AF_INET;
	inet_pton(AF_INET, "127.0.0.1", &a4->sin_addr);
	st[0].dstlen = sizeof(*a4);
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&st[1].dst;
	a6->sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::1", &a6->sin6_addr);
	st[1].dstlen = sizeof(*a6);
	st[0].user = (void *)(intptr_t)0;
	st[1].user = (void *)(intptr_t)1;
	struct tally t = { 0 };
	struct probe_engine *e;
	char err[128];
	assert_int_equal(probe_engine_new(&e, st, 2, 4, done, &t, err, sizeof(err)), 0);
	int fds[4];
	size_t nfd = probe_engine_fds(e, fds);
	assert_int_equal(nfd, 2);
	for (uint32_t round = 65530; round < 65546; round++) {
		probe_engine_send(e, round);
		/* each round's answers (loopback: well within 200 ms) */
		uint64_t until = probe_mono_ns() + 200000000ull;
		while (t.answered + t.lost < (round - 65529) * 2 && probe_mono_ns() < until) {
			struct pollfd pf[4];
			for (size_t i = 0; i < nfd; i++)
				pf[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
			poll(pf, nfd, 20);
			for (size_t i = 0; i < nfd; i++)
				if (pf[i].revents)
					probe_engine_read(e, fds[i]);
		}
	}
	probe_engine_expire(e, probe_mono_ns() + 10000000000ull, 1);
	probe_engine_free(e);
	assert_int_equal(t.answered, 32);
	assert_int_equal(t.lost, 0);
	assert_int_equal(t.out_of_order, 0);
	assert_int_equal(t.last_round[0], 65545);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(wraps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
