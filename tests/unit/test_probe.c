/* The probe engine over loopback (needs CAP_NET_RAW; skipped without it):
 * continuous rounds on a small ring, across the ICMP sequence's wrap at
 * 65536: every probe ends once, each answer in its own round. Waits are
 * for conditions, never judged by the clock (a loaded machine failed the
 * 200 ms per round this test once allowed). */
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
	/* an answer in a round no later than one already answered: a reply
	 * taken for the wrong round */
	if (t->last_round[i] && round <= t->last_round[i])
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
	/* Rounds from before the wrap until both streams have had answers in
	 * rounds past it. Each round waits for its answers, however long a
	 * loaded machine holds them back: nothing here is judged by the clock.
	 * Loopback shares the per-CPU backlog with every namespace's veths,
	 * so a busy machine can drop a probe: a round whose answers are not
	 * in after 5 s is expired, counted as lost, and the test goes on with
	 * the next round. What is checked holds under load: every probe ends
	 * exactly once, answers come each in its own round, and the sequence
	 * crosses 65535 -> 0 with answers on both sides. */
	uint32_t round = 65530, rounds = 0;
	while (round < 65546 || t.last_round[0] < 65546 || t.last_round[1] < 65546) {
		if (rounds == 200)
			fail_msg("200 rounds and still no answer past the wrap on both streams");
		probe_engine_send(e, round);
		rounds++;
		uint64_t wait_until = probe_mono_ns() + 5000000000ull;
		while (t.answered + t.lost < rounds * 2 && probe_mono_ns() < wait_until) {
			struct pollfd pf[4];
			for (size_t i = 0; i < nfd; i++)
				pf[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
			poll(pf, nfd, 100);
			for (size_t i = 0; i < nfd; i++)
				if (pf[i].revents)
					probe_engine_read(e, fds[i]);
		}
		if (t.answered + t.lost < rounds * 2)
			probe_engine_expire(e, probe_mono_ns(), 0);
		assert_int_equal(t.answered + t.lost, rounds * 2);
		round++;
	}
	/* nothing is pending: every probe ended in its round */
	assert_true(probe_engine_expire(e, probe_mono_ns() + 10000000000ull, 1) == UINT64_MAX);
	probe_engine_free(e);
	assert_true(t.answered > t.lost);
	assert_int_equal(t.out_of_order, 0);
	assert_true(t.last_round[0] >= 65546 && t.last_round[1] >= 65546);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(wraps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
