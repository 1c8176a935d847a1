/* What a host wants in its kernel, from the providers the switches publish. */
#ifndef OL_DESIRED_H
#define OL_DESIRED_H
#include "kernel/kobj.h"
#include "proto/model.h"
#include "proto/ports.h"

struct host_params {
	int ifindex;                    /* where providers are on-link: the uplink, or
					 * the provider device with several uplinks */
	int peer_ifindex;               /* where the other hosts are: [host] interface */
	struct ol_addr local4, local6;  /* family 0: none */
	uint32_t rule_priority;
	uint8_t proto;
};

/* For each live provider address: IPv4: LOCAL peer PROVIDER/32; IPv6: an
 * on-link PROVIDER/128 route with LOCAL6 as source (IPv6 takes one peer per
 * local address); a permanent neighbor with its MAC; table N: default via
 * the provider (first live address of each family); rule fwmark N lookup N
 * per family. A provider that is known but down keeps its rule and gets an
 * unreachable default in table N, so marked traffic fails instead of leaking
 * through another provider. Non-unicast MACs are skipped (counted in
 * *bad_macs). */
int desired_build(const struct ol_provider *provs, size_t n, const struct host_params *hp,
		  struct kobj_set *out, unsigned *bad_macs);
/* Each shared egress address of which `me` owns a slice: on `lo_ifindex`
 * (a /32 or /128), so local sockets can bind it, never on the uplink. */
int desired_egress(const struct ol_egress *eg, size_t n, const struct ol_kept *kept, size_t nkept, const char *me,
		   int lo_ifindex, uint8_t proto, struct kobj_set *out);
/* A steering override (docs/steering.md): unmarked traffic to the prefix
 * leaves through the provider. */
struct steer_rule {
	struct ol_addr prefix;
	uint8_t len;
	char provider[OL_NAME_MAX];
};
/* For each rule whose provider is up (merged view, sorted by name) with an
 * address of the prefix's family: a rule "to PREFIX fwmark 0 lookup N" at
 * rule_priority + 1 + (the family's bits - the prefix length), the more
 * specific first (fwmark 0 with a full mask: unmarked packets only, so
 * marked traffic keeps its provider). A rule to a provider that is down
 * gives nothing: BGP's choice again. */
int desired_steer(const struct ol_provider *provs, size_t n, const struct steer_rule *rules, size_t nrules,
		  const struct host_params *hp, struct kobj_set *out);
#endif
