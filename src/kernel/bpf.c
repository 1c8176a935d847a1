/* The repath program through libbpf (kernel/bpf.h). The program's object
 * is built into the daemon (bpftool's skeleton, $(BUILD)/gen). */
#include "kernel/bpf.h"
#include "repath.skel.h"
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

struct bpf_repath {
	struct repath *skel;
	struct bpf_link *link;
	int cgroup_fd;
};

/* libbpf's own messages: only the last warning, for the error text */
static char last_msg[160];
static int on_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN) {
		vsnprintf(last_msg, sizeof(last_msg), fmt, ap);
		last_msg[strcspn(last_msg, "\n")] = 0;
	}
	return 0;
}

int bpf_repath_open(const char *cgroup, struct bpf_repath **out, char *err, size_t errlen)
{
	struct bpf_repath *b = calloc(1, sizeof(*b));
	int r;
	*out = NULL;
	if (!b)
		return -ENOMEM;
	b->cgroup_fd = -1;
	libbpf_set_print(on_print);
	last_msg[0] = 0;
	if (!(b->skel = repath__open())) {
		r = -errno;
		snprintf(err, errlen, "open: %s", strerror(-r));
		goto fail;
	}
	if ((r = repath__load(b->skel))) {
		snprintf(err, errlen, "load: %s%s%s", strerror(-r), last_msg[0] ? ": " : "", last_msg);
		goto fail;
	}
	if ((b->cgroup_fd = open(cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		r = -errno;
		snprintf(err, errlen, "cgroup %s: %s", cgroup, strerror(-r));
		goto fail;
	}
	b->link = bpf_program__attach_cgroup(b->skel->progs.onlink_repath, b->cgroup_fd);
	if (!b->link) {
		r = -errno;
		snprintf(err, errlen, "attach to %s: %s", cgroup, strerror(-r));
		goto fail;
	}
	*out = b;
	return 0;
fail:
	bpf_repath_close(b);
	return r < 0 ? r : -EINVAL;
}

void bpf_repath_close(struct bpf_repath *b)
{
	if (!b)
		return;
	bpf_link__destroy(b->link);
	if (b->cgroup_fd >= 0)
		close(b->cgroup_fd);
	repath__destroy(b->skel);
	free(b);
}

int bpf_repath_set_conf(struct bpf_repath *b, const struct rp_conf *c, const struct rp_cands cand[2])
{
	for (uint32_t f = 0; f < 2; f++)
		if (bpf_map__update_elem(b->skel->maps.cands, &f, sizeof(f), &cand[f], sizeof(cand[f]), BPF_ANY))
			return -errno;
	uint32_t zero = 0;
	return bpf_map__update_elem(b->skel->maps.conf, &zero, sizeof(zero), c, sizeof(*c), BPF_ANY) ? -errno : 0;
}

static int same_key(const struct rp_prefix *p, const void *key)
{
	const struct rp_lpm6 *k = key; /* the v4 key is its prefix: same layout up to 4 bytes */
	return k->prefixlen == p->len && !memcmp(k->addr, p->addr, p->family == AF_INET ? 4 : 16);
}

static int stay_sync(struct bpf_map *m, int family, const struct rp_prefix *v, size_t n)
{
	struct rp_lpm6 key, next;
	size_t ksz = family == AF_INET ? sizeof(struct rp_lpm4) : sizeof(struct rp_lpm6);
	uint8_t one = 1;
	int r = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i].family != family)
			continue;
		memset(&key, 0, sizeof(key));
		key.prefixlen = v[i].len;
		memcpy(key.addr, v[i].addr, family == AF_INET ? 4 : 16);
		if (bpf_map__update_elem(m, &key, ksz, &one, 1, BPF_ANY))
			r = -errno;
	}
	/* then what is no longer there; the walk restarts after a delete */
	for (int again = 1; again;) {
		again = 0;
		void *prev = NULL;
		while (!bpf_map__get_next_key(m, prev, &next, ksz)) {
			size_t i;
			for (i = 0; i < n; i++)
				if (v[i].family == family && same_key(&v[i], &next))
					break;
			if (i == n) {
				if (bpf_map__delete_elem(m, &next, ksz, 0))
					return -errno;
				again = 1;
				break;
			}
			key = next;
			prev = &key;
		}
	}
	return r;
}

int bpf_repath_set_stay(struct bpf_repath *b, const struct rp_prefix *v, size_t n)
{
	int r4 = stay_sync(b->skel->maps.stay4, AF_INET, v, n);
	int r6 = stay_sync(b->skel->maps.stay6, AF_INET6, v, n);
	return r4 ? r4 : r6;
}

int bpf_repath_counts(struct bpf_repath *b, struct rp_count *out, size_t cap)
{
	struct rp_move key, next;
	void *prev = NULL;
	size_t n = 0;
	while (!bpf_map__get_next_key(b->skel->maps.moves, prev, &next, sizeof(next))) {
		uint64_t v;
		if (!bpf_map__lookup_elem(b->skel->maps.moves, &next, sizeof(next), &v, sizeof(v), 0) && n < cap)
			out[n++] = (struct rp_count){ .from = next.from, .to = next.to, .n = v };
		key = next;
		prev = &key;
	}
	return (int)n;
}

uint64_t bpf_netns_cookie(void)
{
	uint64_t cookie = 0;
	socklen_t len = sizeof(cookie);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len))
		cookie = 0;
	close(fd);
	return cookie;
}

int bpf_cgroup2_root(char *out, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[1024];
	int r = -ENOENT;
	if (!f)
		return -errno;
	/* "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS ... - FSTYPE SOURCE ..." */
	while (r && fgets(line, sizeof(line), f)) {
		char root[256], mnt[256];
		const char *dash = strstr(line, " - ");
		if (!dash || strncmp(dash + 3, "cgroup2 ", 8))
			continue;
		if (sscanf(line, "%*s %*s %*s %255s %255s", root, mnt) == 2 && !strcmp(root, "/")) {
			snprintf(out, len, "%s", mnt);
			r = 0;
		}
	}
	fclose(f);
	return r;
}

static void add_prefix(struct rp_prefix *out, size_t cap, size_t *n, int family, const void *addr, const void *mask)
{
	struct rp_prefix p = { .family = family };
	size_t bytes = family == AF_INET ? 4 : 16;
	const uint8_t *a = addr, *m = mask;
	for (size_t i = 0; i < bytes; i++) {
		p.addr[i] = a[i] & m[i];
		p.len += (uint8_t)__builtin_popcount(m[i]);
	}
	for (size_t i = 0; i < *n; i++)
		if (out[i].family == family && out[i].len == p.len && !memcmp(out[i].addr, p.addr, bytes))
			return;
	if (*n < cap)
		out[(*n)++] = p;
}

int bpf_local_prefixes(struct rp_prefix *out, size_t cap)
{
	static const uint8_t lo4[4] = { 127, 0, 0, 0 }, m8[4] = { 255, 0, 0, 0 };
	static const uint8_t ll4[4] = { 169, 254, 0, 0 }, m16[4] = { 255, 255, 0, 0 };
	static const uint8_t lo6[16] = { [15] = 1 }, m128[16] = { 255, 255, 255, 255, 255, 255, 255, 255,
								   255, 255, 255, 255, 255, 255, 255, 255 };
	static const uint8_t ll6[16] = { 0xfe, 0x80 }, m10[16] = { 0xff, 0xc0 };
	struct ifaddrs *ifa, *i;
	size_t n = 0;
	add_prefix(out, cap, &n, AF_INET, lo4, m8);
	add_prefix(out, cap, &n, AF_INET, ll4, m16);
	add_prefix(out, cap, &n, AF_INET6, lo6, m128);
	add_prefix(out, cap, &n, AF_INET6, ll6, m10);
	if (getifaddrs(&ifa))
		return -errno;
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || !i->ifa_netmask)
			continue;
		if (i->ifa_addr->sa_family == AF_INET)
			add_prefix(out, cap, &n, AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr,
				   &((struct sockaddr_in *)i->ifa_netmask)->sin_addr);
		else if (i->ifa_addr->sa_family == AF_INET6)
			add_prefix(out, cap, &n, AF_INET6, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr,
				   &((struct sockaddr_in6 *)i->ifa_netmask)->sin6_addr);
	}
	freeifaddrs(ifa);
	return (int)n;
}
