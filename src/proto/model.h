/* The one data model: what a switch agent publishes about each provider.
 * The config, the wire decoder and the switch's neighbor tracker all fill
 * these structs; the host turns them into kernel objects (desired.c). */
#ifndef OL_MODEL_H
#define OL_MODEL_H
#include "base/addr.h"
#include <stdint.h>

#define OL_NAME_MAX 32          /* provider, host and switch names, with NUL */
#define OL_PROVIDER_ADDRS_MAX 8
#define OL_PROTO 177            /* onlink's protocol id on every kernel object */
/* The egress daemon's own objects (TPROXY policy routing): a second id, so
 * neither daemon's reconciler ever takes the other's objects for stale. */
#define OL_PROTO_EGRESS 178

struct ol_paddr {
	struct ol_addr addr;
	uint8_t mac[6];
	uint8_t up;             /* resolved, carrier on the port it was learned on */
};

struct ol_provider {
	char name[OL_NAME_MAX];
	uint32_t table;         /* routing table id and firewall mark */
	uint8_t naddrs;
	struct ol_paddr addrs[OL_PROVIDER_ADDRS_MAX];
	char backup[OL_NAME_MAX]; /* "": none; may name another switch agent's provider */
	char via[OL_NAME_MAX];  /* "": its own MACs; else substituted: failed or
				 * drained, and its addresses carry this
				 * provider's MACs (a backup along its chain) */
	uint64_t gen;           /* host agent: the switch's change generation of
				 * this state (WM_GEN), to tell it from an older copy */
};

/* Soft-unicast egress: a shared address, and which host owns which slice
 * of its ports. */
#define OL_SLICES_MAX 64
#define OL_PORT_MIN 1024

struct ol_slice {
	char host[OL_NAME_MAX];
	uint16_t first, last;   /* inclusive */
};

struct ol_egress {
	struct ol_addr addr;
	uint8_t decided;        /* this switch agent decides the table (fixed slices, or a pool it
				 * leads); 0: it holds what the leader decided (hosts prefer 1) */
	uint8_t nslices;
	struct ol_slice slices[OL_SLICES_MAX];
};

int egress_equal(const struct ol_egress *a, const struct ol_egress *b);
/* The slice of `host`, or NULL. */
const struct ol_slice *egress_slice_of(const struct ol_egress *e, const char *host);

/* Names: [A-Za-z0-9._-], 1..31 characters. */
int name_valid(const char *s);
int provider_up(const struct ol_provider *p);
/* It has an address of family (AF_INET, AF_INET6) that is up. */
int provider_has_family(const struct ol_provider *p, int family);
int provider_equal(const struct ol_provider *a, const struct ol_provider *b);
/* p's traffic to b: each address of p takes the MAC of b's first live
 * address of its family, and is up only if b has one. */
void provider_substitute(struct ol_provider *p, const struct ol_provider *b);
#endif
