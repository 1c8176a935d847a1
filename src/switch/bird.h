/* A client of BIRD's control socket (the birdc protocol) in the event loop:
 * commands are queued and sent one at a time; each reply ends at the first
 * line whose four-digit code is followed by a space. Codes 0xxx are success,
 * 8xxx and 9xxx errors. Reconnects on its own. */
#ifndef OL_BIRD_H
#define OL_BIRD_H
#include <stddef.h>

struct bird;

/* ok: 1 when the reply's final code is a success; 0 on a BIRD error; -1
 * when BIRD could not be reached or went away. text: the reply's lines,
 * codes removed, NUL-terminated (an error text when ok is -1). */
typedef void (*bird_fn)(void *arg, int ok, const char *text);

int bird_open(struct bird **out, const char *path);
void bird_close(struct bird *b);
int bird_up(const struct bird *b);
/* Queues a command; fn may be NULL. 0 or -ENOMEM / -E2BIG. */
int bird_cmd(struct bird *b, const char *cmd, bird_fn fn, void *arg);
/* Commands sent or waiting. */
size_t bird_pending(const struct bird *b);
/* Tries to connect when not connected (call it from a timer). */
void bird_kick(struct bird *b);
/* Drops the connection (failing what waits) when the command sent has
 * had no complete answer for ms milliseconds, or no welcome came. */
void bird_expire(struct bird *b, unsigned ms);

/* Parsing of replies (pure, for the unit tests too). */
/* `show protocols`: calls fn for each protocol row (since: the first word
 * of its "Since" column). Returns rows seen. */
int bird_parse_protocols(const char *text,
			 void (*fn)(void *arg, const char *name, const char *state, const char *since, const char *info),
			 void *arg);
/* `show protocols all NAME`: the "Local AS:" value, or 0. */
unsigned long bird_parse_local_as(const char *text);
#endif
