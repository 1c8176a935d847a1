/* The control socket: a Unix stream socket; a client writes one request
 * line ("status") and reads one JSON document until EOF. */
#ifndef OL_CONTROL_H
#define OL_CONTROL_H
#include <stddef.h>

/* Returns a malloc'd JSON text, or NULL with *status set to an error text. */
typedef char *(*control_fn)(const char *request, void *arg);

int control_open(const char *path, control_fn fn, void *arg);
void control_close(void);
/* Client side, for the CLI: 0 and a malloc'd reply, or negative errno. */
int control_request(const char *path, const char *request, char **reply);
#endif
