/* What the host agent and its sock_ops program (repath.bpf.c) share: the
 * maps' layouts and the choice of the next provider. Included by the BPF
 * program (clang -target bpf) and by C, so it holds only fixed-size types
 * and one inline function with no library call. */
#ifndef OL_BPF_REPATH_H
#define OL_BPF_REPATH_H
#include <linux/types.h>

#define RP_CAND_MAX 16          /* providers a connection may move to, per family */
#define RP_MARKS_MAX 64         /* onlink's provider marks */

/* The one element of the "conf" array map, written whole by the agent. */
struct rp_conf {
	__u64 netns;            /* the agent's network namespace (cookie): other namespaces are left alone */
	__u32 after_rtos;       /* move on this consecutive RTO and each after it; 0: off */
	__u32 after_rtos_alone; /* before this one, only when the probes confirm (its
				 * provider failing; unmarked: any); 0: no confirming */
	__u32 nmarks;
	__u32 marks[RP_MARKS_MAX]; /* every provider's mark: a socket carrying another mark is the application's */
};

/* The "cands" array map: element 0 for IPv4, 1 for IPv6 (a map element
 * each, so that the program never chooses between two pointers: the
 * verifier refuses that without CAP_PERFMON). */
struct rp_cands {
	__u32 n;
	__u32 v[RP_CAND_MAX];   /* marks (= tables) of healthy providers, sorted */
	__u32 nfail;
	__u32 fail[RP_CAND_MAX]; /* marks of live providers the probes show failing */
};

/* The "moves" hash map: connections moved, from one mark to another (0:
 * the main table, no mark). */
struct rp_move {
	__u32 from, to;
};

/* The "stay" LPM tries (one per family): destinations not reached through
 * a provider (the host's connected prefixes, loopback, link-local). An
 * unmarked connection to them is never moved. */
struct rp_lpm4 {
	__u32 prefixlen;
	__u8 addr[4];
};
struct rp_lpm6 {
	__u32 prefixlen;
	__u8 addr[16];
};

/* A connection's hash: its four-tuple's words mixed (murmur3's finalizer
 * after each), so that the connections of one provider spread over the
 * others. */
static inline __u32 rp_mix(__u32 h, __u32 v)
{
	h ^= v;
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

/* The candidate a connection of hash h goes to on its attempt-th move
 * (0 first): the attempt-th after its hash's place among the candidates
 * other than the one it is on (index cur; -1: none of them), so that it
 * always leaves while there is another, and the connections leaving one
 * provider spread evenly over the others. n >= 1; returns an index < n.
 * Arithmetic only: the program reads the arrays at constant offsets (the
 * verifier refuses variable ones without CAP_PERFMON). */
static inline __u32 rp_pick(__u32 h, __u32 attempt, __u32 n, int cur)
{
	if (cur < 0 || (__u32)cur >= n || n == 1)
		return (h + attempt) % n;
	__u32 i = (h + attempt) % (n - 1);
	return i >= (__u32)cur ? i + 1 : i;
}
#endif
