/* The stream server (base/stream.c) under the control socket, in the real
 * event loop over a Unix socket: replies, subscribers and what they get,
 * the subscriber limit, and a subscriber that reads nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "base/control.h"
#include "base/loop.h"

static char sock[64];

static char *handler(const char *req, void *arg)
{
	(void)arg;
	if (!strcmp(req, "nothing"))
		return NULL; /* an answer that could not be built */
	if (!strcmp(req, "sub")) {
		char *first = strdup("first\n");
		if (control_subscribe(1, first))
			return strdup("busy\n");
		return NULL;
	}
	char *out = malloc(strlen(req) + 8);
	sprintf(out, "echo %s\n", req);
	return out;
}

static int client(const char *req)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	strcpy(sun.sun_path, sock);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	assert_int_equal(write(fd, "\n", 1), 1);
	return fd;
}

/* runs the loop until fd has n bytes (or EOF), into buf */
static size_t read_n(int fd, char *buf, size_t n)
{
	size_t got = 0;
	for (int i = 0; i < 200 && got < n; i++) {
		loop_run_once(10);
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 0) == 1) {
			ssize_t r = read(fd, buf + got, n - got);
			if (r <= 0)
				break;
			got += (size_t)r;
		}
	}
	buf[got] = 0;
	return got;
}

static int setup(void **state)
{
	(void)state;
	snprintf(sock, sizeof(sock), "/tmp/onlink-stream-%d.sock", getpid());
	assert_int_equal(loop_init(), 0);
	assert_int_equal(control_open(sock, handler, NULL), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	control_close();
	loop_fini();
	return 0;
}

/* The longest request is served whole; a longer one gets an error that
 * names the limit (it was closed without a word at 256 bytes). */
static void request_limit(void **state)
{
	(void)state;
	static char req[CONTROL_REQUEST_MAX + 1000], buf[CONTROL_REQUEST_MAX + 64];
	memset(req, 'a', CONTROL_REQUEST_MAX - 1);
	req[CONTROL_REQUEST_MAX - 1] = 0;
	int a = client(req);
	assert_int_equal(read_n(a, buf, sizeof(buf) - 1), strlen(req) + 6);
	assert_memory_equal(buf, "echo aaaa", 9);
	close(a);
	memset(req, 'a', sizeof(req) - 1);
	req[sizeof(req) - 1] = 0;
	a = client(req);
	read_n(a, buf, sizeof(buf) - 1);
	assert_string_equal(buf, "{\"api\": 1, \"error\": \"request over 4095 bytes: refused\"}\n");
	close(a);
	/* an answer the agent could not build: an error, never a silent close */
	a = client("nothing");
	memset(buf, 0, sizeof(buf));
	read_n(a, buf, sizeof(buf) - 1);
	assert_string_equal(buf, "{\"api\": 1, \"error\": \"the agent could not build its answer (see its log)\"}\n");
	close(a);
	/* and it still serves */
	a = client("hello");
	assert_int_equal(read_n(a, buf, 200), 11);
	close(a);
}

static void never(struct timer *t)
{
	(void)t;
	fail_msg("a timer that was not made fired");
}

/* A timer that cannot be made says so, and what is done to it after
 * touches no descriptor (a zeroed timer holds fd 0: stdin). */
static void timer_that_cannot_be_made(void **state)
{
	(void)state;
	struct rlimit old, low;
	struct timer t;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	/* every descriptor from 3 on is taken: none left for a timerfd */
	int top = dup(0);
	assert_true(top >= 0);
	close(top);
	low = old;
	low.rlim_cur = (rlim_t)top;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	int r = timer_init(&t, never, NULL);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	assert_int_equal(r, -EMFILE);
	timer_arm(&t, 1, 0);
	timer_stop(&t);
	timer_fini(&t);
	/* a zeroed timer: timer_fini leaves fd 0 (made sure to be open) alone */
	int null = open("/dev/null", O_RDONLY);
	assert_true(null >= 0);
	if (fcntl(0, F_GETFD) < 0)
		dup2(null, 0);
	close(null);
	struct timer z;
	memset(&z, 0, sizeof(z));
	timer_arm(&z, 1, 0);
	timer_fini(&z);
	assert_true(fcntl(0, F_GETFD) >= 0);
	assert_int_equal(fcntl(t.src.fd, F_GETFD) < 0 || t.src.fd == -1, 1);
	for (int i = 0; i < 3; i++)
		loop_run_once(5);
}

static void replies_and_subscribers(void **state)
{
	(void)state;
	char buf[256];
	int a = client("hello");
	assert_int_equal(read_n(a, buf, 200), 11);
	assert_string_equal(buf, "echo hello\n"); /* then EOF: a reply closes */
	close(a);
	int s = client("sub");
	assert_int_equal(read_n(s, buf, 6), 6);
	assert_string_equal(buf, "first\n");
	assert_int_equal(control_subscribers(1), 1);
	assert_int_equal(control_subscribers(2), 0);
	control_publish(1, "one\n");
	control_publish(2, "not for it\n");
	control_publish(1, "two\n");
	assert_int_equal(read_n(s, buf, 8), 8);
	assert_string_equal(buf, "one\ntwo\n");
	/* a subscriber is not idle: still there after the idle timeout */
	for (int i = 0; i < 40; i++)
		loop_run_once(100);
	assert_int_equal(control_subscribers(1), 1);
	close(s);
	for (int i = 0; i < 5; i++)
		loop_run_once(10);
	assert_int_equal(control_subscribers(1), 0);
}

static void subscriber_limit_and_slow_subscriber(void **state)
{
	(void)state;
	char buf[64];
	int subs[8], extra;
	for (int i = 0; i < 8; i++) {
		subs[i] = client("sub");
		assert_int_equal(read_n(subs[i], buf, 6), 6);
	}
	assert_int_equal(control_subscribers(1), 8);
	extra = client("sub"); /* half of 16 slots at most */
	read_n(extra, buf, 5);
	assert_string_equal(buf, "busy\n");
	close(extra);
	/* a subscriber that reads nothing is closed once 256 KiB wait for it */
	char line[1025];
	memset(line, 'x', 1023);
	line[1023] = '\n';
	line[1024] = 0;
	for (int i = 0; i < 1024; i++) { /* 1 MiB: more than the socket and the queue hold */
		control_publish(1, line);
		loop_run_once(0);
	}
	assert_int_equal(control_subscribers(1), 0);
	for (int i = 0; i < 8; i++)
		close(subs[i]);
	for (int i = 0; i < 5; i++)
		loop_run_once(10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(request_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(timer_that_cannot_be_made, setup, teardown),
		cmocka_unit_test_setup_teardown(replies_and_subscribers, setup, teardown),
		cmocka_unit_test_setup_teardown(subscriber_limit_and_slow_subscriber, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
