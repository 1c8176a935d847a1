/* The control socket: a Unix stream socket; a client writes one request
 * line and reads one JSON document until EOF, or (subscribed) one JSON
 * document per line for as long as it stays connected. */
#ifndef OL_CONTROL_H
#define OL_CONTROL_H
#include <stddef.h>
#include <sys/types.h>

/* The longest request line, its newline included: far more than any
 * request onlink(8) builds (an announcement with 8 large communities is
 * under 600 bytes). A longer one is answered {"error": "..."} naming the
 * limit, never closed without a word. */
#define CONTROL_REQUEST_MAX 4096

/* Returns a malloc'd JSON text, or NULL with *status set to an error text. */
typedef char *(*control_fn)(const char *request, void *arg);

int control_open(const char *path, control_fn fn, void *arg);
/* During a handler call: the client's credentials (SO_PEERCRED). */
int control_peer(uid_t *uid, pid_t *pid);
/* During a handler call: the reply comes later. The handler returns NULL,
 * and the reply (malloc'd, taken) is given to control_finish(handle, ...);
 * a client gone meanwhile is fine. */
unsigned control_defer(void);
void control_finish(unsigned handle, char *reply);
void control_close(void);
/* During a handler call: the client stays connected and gets `first`
 * (malloc'd, taken; a line) now, then every message published to its
 * topics (a bit mask). The handler then returns NULL. -EBUSY when half
 * the slots hold subscribers already (first is freed). */
int control_subscribe(unsigned topics, char *first);
/* A line to every subscriber of the topic. */
void control_publish(unsigned topic, const char *msg);
unsigned control_subscribers(unsigned topic);
/* Client side, for the CLI: 0 and a malloc'd reply, or negative errno. */
int control_request(const char *path, const char *request, char **reply);
/* The same, waiting up to `seconds` for the answer (control_request: 30). */
int control_request_wait(const char *path, const char *request, char **reply, unsigned seconds);
/* Client side, for a daemon that subscribes: a connected, non-blocking
 * socket that has sent the request, or negative errno. */
int control_open_stream(const char *path, const char *request);
/* control_request's error, for a person */
const char *control_strerror(int e);
#endif
