/* Leveled, rate-limited logging. */
#include "base/log.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static const char *log_ident = "onlink";
static int log_level = LOG_INFO;
static int to_syslog;
static int to_journal; /* stderr is journald's stream: "<N>" gives each line its level */

void log_init(const char *ident, int level)
{
	log_ident = ident;
	log_level = level;
	to_journal = getenv("JOURNAL_STREAM") != NULL;
}

void log_syslog(int on)
{
	if (on && !to_syslog)
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	else if (!on && to_syslog)
		closelog();
	to_syslog = on;
}

uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t thread_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int log_enabled(int level)
{
	return level <= log_level;
}

static const char *level_name(int level)
{
	switch (level) {
	case LOG_ERR: return "error";
	case LOG_WARNING: return "warning";
	case LOG_NOTICE: return "notice";
	case LOG_INFO: return "info";
	case LOG_DEBUG: return "debug";
	default: return "log";
	}
}

size_t str_escape_ctl(char *out, size_t len, const char *in)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	if (!len)
		return 0;
	for (const unsigned char *s = (const unsigned char *)in; *s; s++) {
		int ctl = *s < 0x20 || *s == 0x7f;
		if (o + (ctl ? 4 : 1) >= len)
			break;
		if (ctl) {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[*s >> 4];
			out[o++] = hex[*s & 15];
		} else {
			out[o++] = (char)*s;
		}
	}
	out[o] = 0;
	return o;
}

static void log_v(int level, const char *fmt, va_list ap)
{
	/* whatever a peer, a file or an operator put in the message, no
	 * control byte reaches the journal or a terminal: \xNN instead */
	char raw[2048], msg[8192];
	if (!log_enabled(level))
		return;
	vsnprintf(raw, sizeof(raw), fmt, ap);
	str_escape_ctl(msg, sizeof(msg), raw);
	if (to_syslog)
		syslog(level, "%s", msg);
	if (to_journal)
		fprintf(stderr, "<%d>", level);
	fprintf(stderr, "%s: %s: %s\n", log_ident, level_name(level), msg);
}

void log_msg(int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_v(level, fmt, ap);
	va_end(ap);
}

void log_limited(struct ratelimit *rl, int level, const char *fmt, ...)
{
	uint64_t t = now_ms();
	va_list ap;

	if (t - rl->window_start >= rl->interval_ms) {
		rl->window_start = t;
		rl->printed = 0;
	}
	if (rl->printed >= rl->burst) {
		rl->suppressed++;
		return;
	}
	rl->printed++;
	if (rl->suppressed) {
		log_msg(level, "(%u similar messages suppressed)", rl->suppressed);
		rl->suppressed = 0;
	}
	va_start(ap, fmt);
	log_v(level, fmt, ap);
	va_end(ap);
}
