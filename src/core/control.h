/* The control socket: a Unix stream socket; a client writes one request
 * line ("status") and reads one JSON document until EOF. */
#ifndef OL_CONTROL_H
#define OL_CONTROL_H
#include <stddef.h>
#include <sys/types.h>

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
/* Client side, for the CLI: 0 and a malloc'd reply, or negative errno. */
int control_request(const char *path, const char *request, char **reply);
/* control_request's error, for a person */
const char *control_strerror(int e);
#endif
