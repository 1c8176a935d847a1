/* Protective repath: a TCP connection that times out `after_rtos` times in
 * a row moves to another provider's table (its mark), and again on each
 * further timeout, before the retransmission the timeout sends (docs/
 * steering.md). Loaded by the host agent (kernel/bpf.c) on a cgroup. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "bpf/repath.h"

#define AF_INET 2
#define AF_INET6 10
#define SOL_SOCKET 1
#define SO_MARK 36

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rp_conf);
} conf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct rp_cands);
} cands SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct rp_move);
	__type(value, __u64);
} moves SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 256);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct rp_lpm4);
	__type(value, __u8);
} stay4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 256);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct rp_lpm6);
	__type(value, __u8);
} stay6 SEC(".maps");

/* 1 when the destination is reached without a provider */
static int stays(struct bpf_sock_ops *s)
{
	if (s->family == AF_INET) {
		struct rp_lpm4 k = { .prefixlen = 32 };
		__u32 a = s->remote_ip4;
		__builtin_memcpy(k.addr, &a, 4);
		return bpf_map_lookup_elem(&stay4, &k) != 0;
	}
	struct rp_lpm6 k = { .prefixlen = 128 };
	__u32 w[4] = { s->remote_ip6[0], s->remote_ip6[1], s->remote_ip6[2], s->remote_ip6[3] };
	__builtin_memcpy(k.addr, w, 16);
	return bpf_map_lookup_elem(&stay6, &k) != 0;
}

static __u32 conn_hash(struct bpf_sock_ops *s)
{
	__u32 h = rp_mix(0x9e3779b9u, s->local_port ^ (s->remote_port << 16));
	if (s->family == AF_INET)
		return rp_mix(rp_mix(h, s->local_ip4), s->remote_ip4);
	for (int i = 0; i < 4; i++)
		h = rp_mix(rp_mix(h, s->local_ip6[i]), s->remote_ip6[i]);
	return h;
}

static void count(__u32 from, __u32 to)
{
	struct rp_move k = { .from = from, .to = to };
	__u64 one = 1, *v = bpf_map_lookup_elem(&moves, &k);
	if (v) {
		__sync_fetch_and_add(v, 1);
		return;
	}
	if (bpf_map_update_elem(&moves, &k, &one, BPF_NOEXIST))
		if ((v = bpf_map_lookup_elem(&moves, &k)))
			__sync_fetch_and_add(v, 1);
}

/* Index of mark in v[0..n), or -1. Unrolled: constant offsets only. */
#define FIND(v, cap, n, mark, out)                                  \
	do {                                                        \
		_Pragma("unroll") for (int j_ = 0; j_ < (cap); j_++) \
			if (j_ < (int)(n) && (v)[j_] == (mark))      \
				(out) = j_;                         \
	} while (0)
/* v[i], i < cap, likewise */
#define AT(v, cap, i, out)                                          \
	do {                                                        \
		_Pragma("unroll") for (int j_ = 0; j_ < (cap); j_++) \
			if (j_ == (int)(i))                          \
				(out) = (v)[j_];                    \
	} while (0)

static void repath(struct bpf_sock_ops *s, const struct rp_conf *c)
{
	__u32 rtos = s->args[0] + 1; /* the kernel counts the timeouts before this one */
	__u32 fam = s->family == AF_INET ? 0 : 1;
	if (rtos < c->after_rtos)
		return;
	if (s->family != AF_INET && s->family != AF_INET6)
		return;
	const struct rp_cands *cd = bpf_map_lookup_elem(&cands, &fam);
	if (!cd)
		return;
	__u32 n = cd->n;
	if (!n || n > RP_CAND_MAX)
		return;
	int mark = 0;
	if (bpf_getsockopt(s, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)))
		return;
	if (mark) {
		int ours = -1;
		FIND(c->marks, RP_MARKS_MAX, c->nmarks, (__u32)mark, ours);
		if (ours < 0)
			return; /* the application's own */
	} else if (stays(s)) {
		return;
	}
	if (c->after_rtos_alone && rtos < c->after_rtos_alone) {
		/* early: only when the probes see its provider failing (an
		 * unmarked connection's is BIRD's choice, unknown here: any) */
		int failing = -1;
		if (mark)
			FIND(cd->fail, RP_CAND_MAX, cd->nfail, (__u32)mark, failing);
		else if (cd->nfail)
			failing = 0;
		if (failing < 0)
			return;
	}
	int cur = -1;
	__u32 to = 0;
	FIND(cd->v, RP_CAND_MAX, n, (__u32)mark, cur);
	__u32 i = rp_pick(conn_hash(s), rtos - c->after_rtos, n, cur);
	AT(cd->v, RP_CAND_MAX, i, to);
	if (!to || to == (__u32)mark)
		return; /* the only healthy provider is where it is */
	int m = (int)to;
	if (bpf_setsockopt(s, SOL_SOCKET, SO_MARK, &m, sizeof(m)))
		return;
	count((__u32)mark, to);
}

SEC("sockops")
int onlink_repath(struct bpf_sock_ops *s)
{
	__u32 zero = 0;
	const struct rp_conf *c = bpf_map_lookup_elem(&conf, &zero);
	if (!c || !c->after_rtos || bpf_get_netns_cookie(s) != c->netns)
		return 1;
	switch (s->op) {
	case BPF_SOCK_OPS_TCP_CONNECT_CB:
	case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
		/* ask for the timeouts' callback (a flag of the socket's own) */
		bpf_sock_ops_cb_flags_set(s, s->bpf_sock_ops_cb_flags | BPF_SOCK_OPS_RTO_CB_FLAG);
		break;
	case BPF_SOCK_OPS_RTO_CB:
		repath(s, c);
		break;
	}
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
