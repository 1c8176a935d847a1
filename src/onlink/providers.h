/* The providers a local host agent knows, as the CLI needs them. */
#ifndef OL_PROVIDERS_H
#define OL_PROVIDERS_H
#include "proto/model.h"
#include <stddef.h>

struct cli_provider {
	char name[OL_NAME_MAX];
	uint32_t table;
	int up;
	int has4, has6;         /* live addresses per family; both 1 when unknown */
	char via[OL_NAME_MAX];  /* substituted: the provider whose MACs it carries; "": none */
};

#define DEFAULT_HOST_SOCK "/run/onlink/host.sock"

/* 0, or -1 with err set ("cannot reach the host agent at ..."). */
int providers_query(const char *sock, struct cli_provider **out, size_t *n, char *err, size_t errlen);
/* Parses "--table N" values; 0 or -1. */
int table_parse(const char *s, uint32_t *table);
#endif
