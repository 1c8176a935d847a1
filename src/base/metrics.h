/* Prometheus text exposition over HTTP (`metrics = ADDR:PORT` in any
 * daemon's config): GET /metrics answers with what the daemon's callback
 * writes; everything else gets 404 (or 400/405). One request per
 * connection, answered from the event loop; a client that sends nothing
 * for 5 s, or more than 4 KiB of headers, is dropped. */
#ifndef OL_METRICS_H
#define OL_METRICS_H
#include <stdio.h>
#include <sys/socket.h>

/* Writes the exposition to f with the helpers below. */
typedef void (*metrics_fn)(FILE *f, void *arg);

int metrics_open(const struct sockaddr_storage *ss, socklen_t len, metrics_fn fn, void *arg);
void metrics_close(void);

/* A request head read so far (len bytes, NUL-terminated; full: no room
 * for more): what to answer. Pure, for the fuzzer. */
enum mx_verdict { MX_MORE, MX_BAD, MX_TOO_LARGE, MX_METHOD, MX_NOT_FOUND, MX_METRICS };
enum mx_verdict mx_parse_request(const char *in, size_t len, int full, int *head);

/* "# HELP" and "# TYPE" of a family (type: counter, gauge). */
void mx_family(FILE *f, const char *name, const char *type, const char *help);
/* One sample; labels is "" or `key="value",...` already escaped with
 * mx_label(). */
void mx_sample(FILE *f, const char *name, const char *labels, double value);
/* `key="value"` into buf, the value escaped as the format requires;
 * returns buf. */
char *mx_label(char *buf, size_t len, const char *key, const char *value);

/* Counters kept as unsigned long members of a struct, named by offset. */
struct mx_counter {
	const char *name, *help;
	size_t off;
};
/* Each counter's family, then its value in each of n structs, stride
 * bytes apart from first, labelled key="name(arg, i)"; with key NULL, the
 * one struct at first, unlabelled. */
void mx_counters(FILE *f, const struct mx_counter *c, size_t nc, const void *first, size_t stride, size_t n,
		 const char *key, const char *(*name)(const void *arg, size_t i), const void *arg);
#endif
