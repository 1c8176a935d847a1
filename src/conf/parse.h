/* The parser's state, shared by the reader (config.c) and the schema's
 * value parsers (schema.c). Private to src/conf. */
#ifndef OL_CONF_PARSE_H
#define OL_CONF_PARSE_H
#include "conf/config.h"
#include <stdio.h>

#define SEEN_MAX 32 /* keys in one section instance, for repeats */

struct parse {
	struct config *c;
	FILE *f;
	char *lbuf;              /* the line being read (getline) */
	size_t lcap;
	char section[128];       /* the current section's header, for errors */
	struct { char name[24]; int line; } seen[SEEN_MAX];
	int nseen;
	int line;
	int failed;
	unsigned sec;            /* CS_*, 0: none, ~0u: an unknown one */
	void *obj;               /* what the current section's keys fill */
	int seen_switch, seen_host, seen_egressd;
	int key_line;            /* private-key-file's */
};

void fail(struct parse *p, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* conf/keys.c: [host NAME] (a switch's hosts); an obsolete key's error
 * (1 after fail); the private key, loaded after the whole file */
int on_host_section(struct parse *p, const char *section, const char *name);
int config_obsolete_key(struct parse *p, const char *name);
void config_load_keys(struct parse *p);
int parse_uint(const char *v, unsigned long min, unsigned long max, unsigned long *out);
#endif
