/* The config's schema: one table of every key (its sections, type, range,
 * default, whether it is required or repeatable, the field it fills and a
 * line of documentation). It drives parsing, defaults, `onlinkd -n`
 * printing, and the check of onlink.conf(5)'s key reference (a unit test
 * reads the man page against it). */
#ifndef OL_SCHEMA_H
#define OL_SCHEMA_H
#include "conf/config.h"

/* sections: a bit each */
enum {
	CS_SWITCH = 1,          /* [switch] */
	CS_HOST = 2,            /* [host] */
	CS_EGRESSD = 4,         /* [egress] (the egress proxy) */
	CS_PROVIDER = 8,        /* [provider NAME] */
	CS_SWITCHREF = 16,      /* [switch NAME] (a host's switch agent) */
	CS_EGRESS = 32,         /* [egress ADDR] (a shared address's slices) */
	CS_HOSTKEY = 64,        /* [host NAME] (a switch's host and its key) */
	CS_PROBE = 128,         /* [probe] (a host's continuous probes) */
	CS_POOL = 256,          /* [egress-pool NAME] (slices leased by the switch) */
	CS_REPATH = 512,        /* [repath] (a host's stalled connections moved, host/repath.c) */
	CS_STEER = 1024,        /* [steer] (prefixes that follow the probes, switch/steer.c) */
};

enum cfg_type {
	CT_STR,                 /* text, not empty, shorter than the field */
	CT_NAME,                /* a name (name_valid) */
	CT_IFNAME,              /* an interface name (cfg_ifname_valid), shorter than the field */
	CT_UINT,                /* a decimal in [min, max]; field of `size` bytes */
	CT_TABLE,               /* a routing table id: 1 to 2^32-1, not 253-255 */
	CT_DURATION,            /* "250ms", "30s", "2m" or seconds, into ms, in [min, max] */
	CT_BOOL,                /* yes or no, into an int */
	CT_SIZE,                /* bytes: "256k", "1m" (KiB, MiB) or a plain number, in [min, max] */
	CT_CUSTOM,              /* its own parse and print functions */
};

enum {
	CK_REQUIRED = 1,        /* a section without it is refused */
	CK_REPEATABLE = 2,      /* given more than once: more values, not an error */
	CK_SET_ONLY = 4,        /* printed only when not zero or empty */
	CK_NO_PRINT = 8,        /* printed by another key's print function */
	CK_CHECKED_LATE = 16,   /* required, but checked after the whole file (private-key-file) */
};

struct parse;

struct cfg_key {
	const char *key;
	unsigned sections;
	enum cfg_type type;
	unsigned flags;
	unsigned long min, max; /* CT_UINT, CT_DURATION (ms) */
	const char *def;        /* the default, as a file would say it; NULL: none */
	size_t off, size;       /* the field in the section's object */
	const char *what, *hint; /* in errors: "KEY: bad WHAT 'VALUE' (HINT)" */
	const char *doc;        /* one line */
	/* CT_CUSTOM: 0, or -1 after fail() */
	int (*parse)(struct parse *p, void *obj, const struct cfg_key *k, const char *v);
	void (*print)(FILE *f, const void *obj, const struct cfg_key *k);
	/* CT_CUSTOM and CK_REQUIRED: whether the object has it */
	int (*is_set)(const void *obj, const struct cfg_key *k);
};

/* The table of every key, in print order (table.c). */
extern const struct cfg_key cfg_table[];
extern const size_t cfg_table_n;
/* The same, for callers outside conf/. */
const struct cfg_key *cfg_schema(size_t *n);
/* The row of key in a section, or NULL. */
const struct cfg_key *cfg_key_find(unsigned section, const char *key);
/* Applies every default of a section's rows to a fresh object. */
void cfg_defaults(unsigned section, void *obj);
/* Parses a value into obj: 0, or -1 after fail(). */
int cfg_key_parse(struct parse *p, void *obj, const struct cfg_key *k, const char *v);
/* Whether obj has a value for k. */
int cfg_key_is_set(const void *obj, const struct cfg_key *k);
/* Prints obj's keys of a section, as `onlinkd -n` does. */
void cfg_print_section(FILE *f, unsigned section, const void *obj);
/* "[switch]", "[provider NAME]": a section's name in the man page and errors */
const char *cfg_section_name(unsigned section);
#endif
