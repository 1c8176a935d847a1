/* The protective repath program (bpf/repath.bpf.c) in the kernel: loaded,
 * attached to a cgroup (a BPF link: it goes when the agent's process ends),
 * and its maps read and written. The only place onlink speaks bpf(2).
 * Needs CAP_BPF and CAP_NET_ADMIN. */
#ifndef OL_KERNEL_BPF_H
#define OL_KERNEL_BPF_H
#include "bpf/repath.h"
#include <stddef.h>
#include <stdint.h>

struct bpf_repath;

/* A stay prefix: family (AF_INET, AF_INET6), bytes, length. */
struct rp_prefix {
	int family;
	uint8_t addr[16];
	uint8_t len;
};

struct rp_count {
	uint32_t from, to;      /* marks; 0: the main table */
	uint64_t n;
};

/* 0; or negative errno with err saying what failed (loading, the cgroup,
 * attaching). */
int bpf_repath_open(const char *cgroup, struct bpf_repath **out, char *err, size_t errlen);
void bpf_repath_close(struct bpf_repath *b);
/* The candidates first, then the rest (after_rtos 0 turns it off). */
int bpf_repath_set_conf(struct bpf_repath *b, const struct rp_conf *c, const struct rp_cands cand[2]);
/* The stay tries become exactly v (new entries first, then the old ones
 * go, so that no destination is unprotected in between). */
int bpf_repath_set_stay(struct bpf_repath *b, const struct rp_prefix *v, size_t n);
/* The move counters, at most cap of them: how many there are, or negative errno. */
int bpf_repath_counts(struct bpf_repath *b, struct rp_count *out, size_t cap);
/* Where the cgroup v2 hierarchy's root is mounted: 0, or negative errno. */
int bpf_cgroup2_root(char *out, size_t len);
/* The destinations this host reaches without a provider: its interfaces'
 * prefixes (an address and its netmask), loopback and link-local; at most
 * cap of them. How many, or negative errno. */
int bpf_local_prefixes(struct rp_prefix *out, size_t cap);
/* This process's network namespace cookie; 0 when the kernel cannot tell. */
uint64_t bpf_netns_cookie(void);
#endif
