/* The config's schema (schema.h): a parser and a printer per type of
 * value, and the look-ups over the table of keys (table.c). */
#include "conf/schema.h"
#include "conf/parse.h"
#include "base/vec.h"
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define FIELD(obj, k) ((char *)(obj) + (k)->off)
#define CFIELD(obj, k) ((const char *)(obj) + (k)->off)

/* ---- value parsers ---- */

struct unit {
	const char *suffix;
	unsigned long mul;
};

/* A decimal and one of units' suffixes ("" for none, if listed), times the
 * unit, within [min, max] */
static int parse_scaled(const char *v, const struct unit *units, unsigned long min, unsigned long max,
			unsigned long *out)
{
	char *end;
	errno = 0;
	if (!*v || *v < '0' || *v > '9')
		return -EINVAL;
	unsigned long x = strtoul(v, &end, 10);
	if (errno)
		return -ERANGE;
	const struct unit *u = units;
	while (u->suffix && strcmp(end, u->suffix))
		u++;
	if (!u->suffix)
		return -EINVAL;
	if (x > max / u->mul || x * u->mul < min || x * u->mul > max)
		return -ERANGE;
	*out = x * u->mul;
	return 0;
}

/* "30s", "250ms", "2m", or plain seconds; into milliseconds */
static const struct unit durations[] = { { "", 1000 }, { "s", 1000 }, { "ms", 1 }, { "m", 60000 }, { NULL, 0 } };
/* "256k", "4m" (binary: KiB, MiB) or plain bytes */
static const struct unit sizes[] = { { "", 1 }, { "k", 1024 }, { "m", 1024 * 1024 }, { NULL, 0 } };

int cfg_bad(struct parse *p, const struct cfg_key *k, const char *v)
{
	fail(p, p->line, "%s: bad %s '%s'%s%s%s", k->key, k->what ? k->what : "value", v, k->hint ? " (" : "",
	     k->hint ? k->hint : "", k->hint ? ")" : "");
	return -1;
}

int cfg_list_room(struct parse *p, const struct cfg_key *k, void **v, size_t *cap, unsigned n, unsigned max,
		  size_t size)
{
	if (n >= max) {
		fail(p, p->line, "%s: at most %u", k->key, max);
		return -1;
	}
	if (vec_reserve_(v, cap, n + 1, size)) {
		fail(p, p->line, "out of memory");
		return -1;
	}
	return 0;
}

static void store_uint(void *field, size_t size, unsigned long x)
{
	if (size == 2)
		*(uint16_t *)field = (uint16_t)x;
	else if (size == 4)
		*(uint32_t *)field = (uint32_t)x;
	else
		*(unsigned long *)field = x;
}

static unsigned long load_uint(const void *field, size_t size)
{
	return size == 2 ? *(const uint16_t *)field : size == 4 ? *(const uint32_t *)field : *(const unsigned long *)field;
}

int cfg_key_parse(struct parse *p, void *obj, const struct cfg_key *k, const char *v)
{
	unsigned long x;
	char *field = FIELD(obj, k);
	switch (k->type) {
	case CT_STR:
		if (!*v || strlen(v) >= k->size)
			return cfg_bad(p, k, v);
		strcpy(field, v);
		return 0;
	case CT_IFNAME:
		if (!cfg_ifname_valid(v) || strlen(v) >= k->size)
			return cfg_bad(p, k, v);
		strcpy(field, v);
		return 0;
	case CT_NAME:
		if (!name_valid(v) || strlen(v) >= k->size)
			return cfg_bad(p, k, v);
		strcpy(field, v);
		return 0;
	case CT_UINT:
		if (parse_uint(v, k->min, k->max, &x))
			return cfg_bad(p, k, v);
		store_uint(field, k->size, x);
		return 0;
	case CT_TABLE:
		if (parse_uint(v, 1, UINT32_MAX, &x) || x == 253 || x == 254 || x == 255)
			return cfg_bad(p, k, v);
		store_uint(field, k->size, x);
		return 0;
	case CT_DURATION:
		if (parse_scaled(v, durations, k->min, k->max, &x))
			return cfg_bad(p, k, v);
		store_uint(field, k->size, x);
		return 0;
	case CT_SIZE:
		if (parse_scaled(v, sizes, k->min, k->max, &x))
			return cfg_bad(p, k, v);
		store_uint(field, k->size, x);
		return 0;
	case CT_BOOL:
		if (strcmp(v, "yes") && strcmp(v, "no"))
			return cfg_bad(p, k, v);
		*(int *)field = !strcmp(v, "yes");
		return 0;
	case CT_CUSTOM:
		return k->parse(p, obj, k, v);
	}
	return cfg_bad(p, k, v);
}

int cfg_key_is_set(const void *obj, const struct cfg_key *k)
{
	const char *field = CFIELD(obj, k);
	switch (k->type) {
	case CT_STR:
	case CT_NAME:
	case CT_IFNAME:
		return field[0] != 0;
	case CT_UINT:
	case CT_TABLE:
	case CT_DURATION:
	case CT_SIZE:
		return load_uint(field, k->size) != 0;
	case CT_BOOL:
		return *(const int *)field != 0;
	case CT_CUSTOM:
		return k->is_set ? k->is_set(obj, k) : field[0] != 0; /* a text field */
	}
	return 0;
}

static void print_key(FILE *f, const void *obj, const struct cfg_key *k)
{
	const char *field = CFIELD(obj, k);
	switch (k->type) {
	case CT_STR:
	case CT_NAME:
	case CT_IFNAME:
		fprintf(f, "%s = %s\n", k->key, field);
		break;
	case CT_UINT:
	case CT_TABLE:
		fprintf(f, "%s = %lu\n", k->key, load_uint(field, k->size));
		break;
	case CT_DURATION:
		fprintf(f, "%s = %lums\n", k->key, load_uint(field, k->size));
		break;
	case CT_SIZE: {
		unsigned long x = load_uint(field, k->size);
		if (x && !(x % (1024 * 1024)))
			fprintf(f, "%s = %lum\n", k->key, x / (1024 * 1024));
		else if (x && !(x % 1024))
			fprintf(f, "%s = %luk\n", k->key, x / 1024);
		else
			fprintf(f, "%s = %lu\n", k->key, x);
		break;
	}
	case CT_BOOL:
		fprintf(f, "%s = %s\n", k->key, *(const int *)field ? "yes" : "no");
		break;
	case CT_CUSTOM:
		if (k->print)
			k->print(f, obj, k);
		else
			fprintf(f, "%s = %s\n", k->key, field); /* a text field */
		break;
	}
}

const struct cfg_key *cfg_schema(size_t *n)
{
	*n = cfg_table_n;
	return cfg_table;
}

const struct cfg_key *cfg_key_find(unsigned section, const char *key)
{
	for (size_t i = 0; i < cfg_table_n; i++)
		if ((cfg_table[i].sections & section) && !strcmp(cfg_table[i].key, key))
			return &cfg_table[i];
	return NULL;
}

void cfg_defaults(unsigned section, void *obj)
{
	struct config scratch = { 0 };
	struct parse p = { .c = &scratch };
	for (size_t i = 0; i < cfg_table_n; i++)
		if ((cfg_table[i].sections & section) && cfg_table[i].def)
			cfg_key_parse(&p, obj, &cfg_table[i], cfg_table[i].def); /* the table's defaults are valid */
}

void cfg_print_section(FILE *f, unsigned section, const void *obj)
{
	for (size_t i = 0; i < cfg_table_n; i++) {
		const struct cfg_key *k = &cfg_table[i];
		if (!(k->sections & section) || (k->flags & CK_NO_PRINT))
			continue;
		if ((k->flags & CK_SET_ONLY) && !cfg_key_is_set(obj, k))
			continue;
		print_key(f, obj, k);
	}
}

const char *cfg_section_name(unsigned section)
{
	switch (section) {
	case CS_SWITCH: return "[switch]";
	case CS_HOST: return "[host]";
	case CS_EGRESSD: return "[egress]";
	case CS_PROVIDER: return "[provider NAME]";
	case CS_SWITCHREF: return "[switch NAME]";
	case CS_EGRESS: return "[egress ADDR]";
	case CS_HOSTKEY: return "[host NAME]";
	case CS_PROBE: return "[probe]";
	case CS_REPATH: return "[repath]";
	case CS_STEER: return "[steer]";
	case CS_POOL: return "[egress-pool NAME]";
	default: return "?";
	}
}
