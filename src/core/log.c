/* Leveled, rate-limited logging. */
#include "core/log.h"
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static const char *log_ident = "onlink";
static int log_level = LOG_INFO;

void log_init(const char *ident, int level)
{
	log_ident = ident;
	log_level = level;
}

uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
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

static void log_v(int level, const char *fmt, va_list ap)
{
	if (level > log_level)
		return;
	fprintf(stderr, "%s: %s: ", log_ident, level_name(level));
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
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
