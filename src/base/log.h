/* Leveled logging to stderr (journald picks it up, each line with its
 * level) and optionally syslog, with rate limits so a
 * repeated kernel or peer error never floods the log. */
#ifndef OL_LOG_H
#define OL_LOG_H
#include <syslog.h>
#include <stddef.h>
#include <stdint.h>

void log_init(const char *ident, int level);
/* Also to syslog(3) (facility daemon), from `syslog = yes` in the config. */
void log_syslog(int on);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Whether a message of this level would be logged: to skip building it. */
int log_enabled(int level);

#define log_err(...)   log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* At most `burst` messages per `interval_ms`; the rest are counted and the
 * count is reported with the next message let through. */
struct ratelimit {
	uint32_t interval_ms, burst;
	uint64_t window_start;
	uint32_t printed, suppressed;
};
#define RATELIMIT_INIT(ms, n) { .interval_ms = (ms), .burst = (n) }
void log_limited(struct ratelimit *rl, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* in, with every control byte (below 0x20, and 0x7f) written as \xNN,
 * into out (cut to fit, always terminated); returns the length. */
size_t str_escape_ctl(char *out, size_t len, const char *in);

uint64_t now_ms(void); /* CLOCK_MONOTONIC */
uint64_t wall_ms(void); /* CLOCK_REALTIME: unix ms (steering's windows are aligned to it) */
/* CPU time of the calling thread, in ns (for the cost of a piece of work) */
uint64_t thread_cpu_ns(void);
#endif
