/* The parser's state, shared by the reader (config.c) and the schema's
 * value parsers (schema.c). Private to src/conf. */
#ifndef OL_CONF_PARSE_H
#define OL_CONF_PARSE_H
#include "conf/config.h"
#include <stdio.h>

struct cfg_key;

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
/* conf/bgp.c: the keys of the BIRD sessions onlink writes, and their
 * checks once the whole file is read (before the failover checks) */
int cfg_bird_name_valid(const char *s);
/* "KEY: bad WHAT 'VALUE' (HINT)" for a key's value, at the line being
 * read; returns -1 (schema.c) */
struct cfg_key;
int cfg_bad(struct parse *p, const struct cfg_key *k, const char *v);
/* Room for one more of a repeatable key's list (*v, *cap, n held): 0, or
 * -1 after "KEY: at most MAX" or "out of memory" at the line being read */
int cfg_list_room(struct parse *p, const struct cfg_key *k, void **v, size_t *cap, unsigned n, unsigned max,
		  size_t size);
int cfg_parse_bird_symbol(struct parse *p, void *obj, const struct cfg_key *k, const char *v);
int cfg_parse_password(struct parse *p, void *obj, const struct cfg_key *k, const char *v);
int cfg_parse_import_limit(struct parse *p, void *obj, const struct cfg_key *k, const char *v);
void cfg_print_import_limit(FILE *f, const void *obj, const struct cfg_key *k);
int cfg_is_set_import_limit(const void *obj, const struct cfg_key *k);
int cfg_parse_local_pref(struct parse *p, void *obj, const struct cfg_key *k, const char *v);
void cfg_print_local_pref(FILE *f, const void *obj, const struct cfg_key *k);
int cfg_is_set_local_pref(const void *obj, const struct cfg_key *k);
int cfg_parse_own_prefix(struct parse *p, void *obj, const struct cfg_key *k, const char *v);
void cfg_print_own_prefix(FILE *f, const void *obj, const struct cfg_key *k);
int cfg_is_set_own_prefix(const void *obj, const struct cfg_key *k);
int cfg_parse_peer_address(struct parse *p, void *obj, const struct cfg_key *k, const char *v);
void cfg_print_peer_address(FILE *f, const void *obj, const struct cfg_key *k);
int cfg_is_set_peer_address(const void *obj, const struct cfg_key *k);
int cfg_parse_bird_hosts(struct parse *p, void *obj, const struct cfg_key *k, const char *v);
void cfg_print_bird_hosts(FILE *f, const void *obj, const struct cfg_key *k);
int cfg_is_set_bird_hosts(const void *obj, const struct cfg_key *k);
void config_validate_bgp(struct parse *p);
/* conf/probe.c: [probe] */
int on_probe_section(struct parse *p);
int cfg_parse_probe_target(struct parse *p, void *obj, const struct cfg_key *k, const char *v);
void cfg_print_probe_target(FILE *f, const void *obj, const struct cfg_key *k);
int cfg_is_set_probe_target(const void *obj, const struct cfg_key *k);
void config_validate_probe(struct parse *p);
/* conf/probe.c: [repath] */
int on_repath_section(struct parse *p);
int cfg_parse_repath_providers(struct parse *p, void *obj, const struct cfg_key *k, const char *v);
void cfg_print_repath_providers(FILE *f, const void *obj, const struct cfg_key *k);
int cfg_is_set_repath_providers(const void *obj, const struct cfg_key *k);
/* conf/steer.c: [steer] */
int on_steer_section(struct parse *p);
int cfg_parse_steer_prefix(struct parse *p, void *obj, const struct cfg_key *k, const char *v);
void cfg_print_steer_prefix(FILE *f, const void *obj, const struct cfg_key *k);
int cfg_is_set_steer_prefix(const void *obj, const struct cfg_key *k);
int cfg_parse_steer_target(struct parse *p, void *obj, const struct cfg_key *k, const char *v);
void cfg_print_steer_target(FILE *f, const void *obj, const struct cfg_key *k);
int cfg_is_set_steer_target(const void *obj, const struct cfg_key *k);
int cfg_parse_percent(struct parse *p, void *obj, const struct cfg_key *k, const char *v);
void cfg_print_percent(FILE *f, const void *obj, const struct cfg_key *k);
void config_validate_steer(struct parse *p);
void config_free_steer(struct config *c);
/* conf/egress.c: [egress ADDR]'s checks, [egress-pool NAME] */
void config_validate_egress(struct parse *p);
int on_pool_section(struct parse *p, const char *name);
int cfg_parse_pool_address(struct parse *p, void *obj, const struct cfg_key *k, const char *v);
void cfg_print_pool_address(FILE *f, const void *obj, const struct cfg_key *k);
int cfg_is_set_pool_address(const void *obj, const struct cfg_key *k);
int cfg_parse_pool_ports(struct parse *p, void *obj, const struct cfg_key *k, const char *v);
void cfg_print_pool_ports(FILE *f, const void *obj, const struct cfg_key *k);
int cfg_parse_pool_hosts(struct parse *p, void *obj, const struct cfg_key *k, const char *v);
void cfg_print_pool_hosts(FILE *f, const void *obj, const struct cfg_key *k);
int cfg_is_set_pool_hosts(const void *obj, const struct cfg_key *k);
void config_validate_pools(struct parse *p);
void config_free_pools(struct config *c);
int parse_uint(const char *v, unsigned long min, unsigned long max, unsigned long *out);
#endif
