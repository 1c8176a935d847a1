/* scaleload: the load side of `make bench-scale` (bench/scale.sh).
 * Benchmark tool only. It speaks the real protocol (src/proto/conn.c): each
 * of its sessions makes the Noise handshake with a key of its own (derived
 * from its number: `scaleload -g N` prints the switch config's [host]
 * sections for N sessions) and takes its snapshot like a host agent. It makes the MAC changes itself, on the
 * switch's kernel, and timestamps both ends on one clock (CLOCK_MONOTONIC,
 * shared by every namespace):
 *   t0   just before the netlink message carrying a burst of neighbor
 *        replacements goes to the switch's kernel;
 *   rx   when the bytes of a PROVIDER message with the new MAC reached one
 *        of its session's sockets: the kernel's receive timestamp
 *        (SO_TIMESTAMPNS), so that the time this one process takes to
 *        decrypt for a thousand hosts is not counted as the switch's;
 *   kern when a real host agent's kernel announces the new permanent
 *        neighbor (RTM_NEWNEIGH on a socket opened in that host's
 *        namespace, read by a thread of its own).
 * Both on CLOCK_REALTIME, the clock of the kernel's receive timestamps.
 * For each change: the time to the last session (and to the last host
 * kernel). Prints one JSON object per (subscribers, burst size).
 *
 *   scaleload -g N     (the [host load-NNNN] sections of the switch's config)
 *   scaleload -c ADDR:PORT -k SWITCH_PUBKEY -p PROVIDERS -s SWITCH_NETNS -i IFNAME
 *             [-H HOST_NETNS]... [-S 100,250,500,1000] [-b 1,50,500]
 *             [-r ROUNDS] [-P SWITCH_PID] [-K KEEPALIVE] [-I IDLE_SECS] [-j IFNAME] [-A BASE]
 * -R: reconnect as host agents do and time the sessions' return after the
 * switch agent's restart; with -W SECS, instead watch them SECS seconds
 * (a reload in place) and print how many ended and how many got a new
 * snapshot.
 * -T TARGETS -w WINDOW_MS -D SECS: the steering load (bench/steer.sh):
 * with the first step's sessions up, SECS seconds of keepalives alone (the
 * baseline), then SECS seconds in which every session reports TARGETS
 * targets (198.18.N.1, N < TARGETS) through the first 8 providers each
 * window (WM_STEER_REPORT, as a host agent sends them once a window's
 * probes timed out); prints the switch agent's CPU per window, both ways.
 * -A BASE: session i connects from BASE + i + 1 (IPv4; the addresses must
 * be on this namespace's interface: lab_load_addrs in lab/lib.sh), each
 * simulated host from an address of its own as real hosts are (the switch
 * agent holds at most 8 connections per address before they authenticate).
 * PROVIDERS: one "NAME ADDRESS" line per provider (IPv4), all on IFNAME in
 * the switch's namespace. Subscribers count the real hosts (-H) too: at
 * 1000 with 20 real hosts, the tool holds 980 sessions.
 * When the switch agent names a fast path (WM_FASTPATH), each session joins
 * its group on -j IFNAME (default eth0) with a socket of its own, as a
 * host agent does, and a change counts as received by whichever copy, the
 * datagram's or the session's, came first. The kernel stamps the one frame
 * that reaches this namespace, and every session's copy of it carries that
 * stamp: the time to the last session is then the time to this namespace,
 * not counting the kernel's handing of copies to 980 sockets. The real
 * host agents' kernel times count everything. */
#include "proto/conn.h"
#include "base/log.h"
#include "proto/wire.h"
#include "proto/steerwire.h"
#include "host/fastrx.h"
#include <arpa/inet.h>
#include <math.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_PROV 4096
#define MAX_HOSTS 256
#define MAX_STEPS 8
#define MAX_BURSTS 8
#define TIMEOUT_S 20.0

struct sess {
	struct conn c;
	int fd, connected, up, snap, want_out;
	double backoff, retry_at; /* -R */
	uint32_t idx;
	struct fastrx fast; /* the switch agent's fast path, once it names one */
	uint8_t cookie[COOKIE_MAC]; /* the switch agent's, under load (as a host agent keeps it) */
	int has_cookie;
};
static long cookies; /* cookie replies received */
#define FAST_FLAG (1ull << 32) /* epoll data: a session's fast-path socket */

static struct {
	char name[OL_NAME_MAX];
	uint32_t addr; /* network order */
} prov[MAX_PROV];
static int nprov;

static struct sess *sess;
static int nsess;
static int hostfd[MAX_HOSTS], nhosts;
static struct mnl_socket *swnl;
static int swif, ep;
static uint8_t swpub[32];

/* session i's private key: BLAKE2b("onlink scaleload" || i) */
static void load_key(int i, uint8_t priv[32])
{
	char seed[32];
	int n = snprintf(seed, sizeof(seed), "onlink scaleload %d", i);
	crypto_generichash(priv, 32, (const uint8_t *)seed, (size_t)n, NULL, 0);
}
static struct sockaddr_in target;

/* the round in progress */
static int active;             /* a burst is being timed */
static uint8_t want[MAX_PROV][6];
static int slot[MAX_PROV];     /* provider -> index in the burst, or -1 */
static double t0, *t_sess, *t_host; /* [burst index][session or host] */
static double rx_at;           /* kernel receive time of the bytes being handled */
static int rx_fast;            /* ... and they came by the fast path */
static unsigned long by_fast, by_session; /* first receipts, by path */
static long session_copies;    /* the changes' copies the sessions carried */
static int joinif;             /* the load namespace's interface, for the group */
static long pending;           /* deliveries not seen yet (atomic: two threads) */
static unsigned long snaps_done;
static int reconnect_mode;     /* -R */
static double watch_secs;      /* -W: watch the sessions this long, then say how many ended */
static long drops, resnapshots;
static double first_drop, last_snap;
static int nsnapped;

static double mono(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double wall(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "scaleload: %s\n", what);
	exit(1);
}

static int prov_by_name(const char *name)
{
	/* names are "<prefix><number>" in the bench; fall back to a scan */
	const char *d = strrchr(name, '-');
	if (d) {
		int i = atoi(d + 1);
		if (i >= 0 && i < nprov && !strcmp(prov[i].name, name))
			return i;
	}
	for (int i = 0; i < nprov; i++)
		if (!strcmp(prov[i].name, name))
			return i;
	return -1;
}

static int prov_by_addr(uint32_t a)
{
	for (int i = 0; i < nprov; i++)
		if (prov[i].addr == a)
			return i;
	return -1;
}

static int on_msg(struct conn *c, uint8_t type, const uint8_t *body, size_t n, void *arg, const char **why)
{
	struct sess *s = arg;
	(void)c;
	if (type == WM_SNAP_END) {
		if (s->snap)
			resnapshots++; /* a new snapshot in the session (a reload in place) */
		else
			nsnapped++;
		s->snap = 1;
		snaps_done++;
		s->backoff = 0;
		last_snap = mono();
		return 0;
	}
	if (type == WM_FASTPATH) {
		int one = 1;
		if (wire_fastpath_decode(body, n, &s->fast.info) || fastrx_open(&s->fast, joinif)) {
			*why = "cannot join the fast path's group";
			return -1;
		}
		setsockopt(s->fast.fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
		struct epoll_event e = { .events = EPOLLIN, .data.u64 = s->idx | FAST_FLAG };
		epoll_ctl(ep, EPOLL_CTL_ADD, s->fast.fd, &e);
		return 0;
	}
	if (type != WM_PROVIDER || !active)
		return 0;
	struct ol_provider p;
	if (wire_provider_decode(body, n, &p)) {
		*why = "malformed provider";
		return -1;
	}
	int i = prov_by_name(p.name);
	if (i < 0 || slot[i] < 0 || p.naddrs < 1 || memcmp(p.addrs[0].mac, want[i], 6))
		return 0;
	if (!rx_fast)
		session_copies++;
	double *t = &t_sess[(size_t)slot[i] * (size_t)nsess + s->idx];
	if (*t == 0) {
		*t = rx_at - t0;
		*(rx_fast ? &by_fast : &by_session) += 1;
		__atomic_sub_fetch(&pending, 1, __ATOMIC_RELEASE);
	} else if (rx_at - t0 < *t) {
		/* read second, came first: the kernel's stamps say which */
		*t = rx_at - t0;
		by_fast += rx_fast ? 1 : -1;
		by_session += rx_fast ? -1 : 1;
	}
	return 0;
}

static void sess_drop(struct sess *s, const char *why);

static double cmsg_time(struct msghdr *mh)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec ts;
			memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
			return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
		}
	return wall();
}

/* The datagrams lately opened: the 980 sessions' copies of one datagram
 * are the same bytes, so one is opened and the others are compared with
 * it byte for byte (as good a check, and the load client's CPU is the
 * real hosts' and the switch's too). */
#define OPENED 64
static struct opened {
	size_t len;
	int n;
	uint64_t seq;
	uint8_t raw[WIRE_DGRAM_MAX], msg[WIRE_DGRAM_MSG_MAX];
} opened[OPENED];

static int open_once(struct sess *s, const uint8_t *d, size_t len, uint64_t *seq, const uint8_t **msg)
{
	uint64_t q = len >= WIRE_DGRAM_HDR ? wire_take64(d + WIRE_HDR + 8) : 0;
	struct opened *o = &opened[q % OPENED];
	if (o->len != len || o->seq != q || memcmp(o->raw, d, len)) {
		o->len = 0;
		const uint8_t *m;
		o->n = dgram_verify(s->fast.info.pub, s->fast.info.epoch, d, len, &o->seq, &m);
		if (o->n < 0 || o->seq != q)
			return -1;
		memcpy(o->msg, m, (size_t)o->n);
		memcpy(o->raw, d, len);
		o->len = len;
	}
	*seq = o->seq;
	*msg = o->msg;
	return o->n;
}

/* A session's copy of a fast-path datagram: checked as a host agent
 * checks it (src/host/fastrx.c), then its messages as the session's. */
static void fast_io(struct sess *s)
{
	for (;;) {
		uint8_t d[WIRE_DGRAM_MAX + 1], type;
		const uint8_t *m;
		char cbuf[CMSG_SPACE(sizeof(struct timespec))];
		struct iovec iov = { d, sizeof(d) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
		ssize_t r = recvmsg(s->fast.fd, &mh, MSG_DONTWAIT);
		if (r < 0)
			return;
		uint64_t seq;
		int n = open_once(s, d, (size_t)r, &seq, &m);
		if (n < 0 || seq <= s->fast.info.seq)
			continue;
		s->fast.info.seq = seq;
		rx_at = cmsg_time(&mh);
		rx_fast = 1;
		size_t off = 0, bn;
		const uint8_t *body;
		const char *why;
		while (wire_rec_next(m, (size_t)n, &off, &type, &body, &bn) == 1)
			if (type == WM_PROVIDER && on_msg(&s->c, type, body, bn, s, &why) < 0) {
				rx_fast = 0;
				sess_drop(s, why);
				return;
			}
		rx_fast = 0;
	}
}

/* -R: sessions that end come back as a host agent's do (250 ms, doubling
 * up to 30 s, 20% jitter); the time from the first end to the last
 * snapshot again is the switch agent's restart as the hosts see it */
static void sess_start(int i);

static void sess_start(int i);

static void sess_drop(struct sess *s, const char *why)
{
	/* under load the switch agent asks for a cookie: a host agent
	 * connects again at once with it, in either mode */
	if (s->c.got_cookie && !s->has_cookie) {
		memcpy(s->cookie, s->c.cookie, sizeof(s->cookie));
		s->has_cookie = 1;
		cookies++;
		if (s->snap)
			nsnapped--;
		s->snap = s->up = s->connected = 0;
		conn_fini(&s->c);
		s->fd = -1;
		sess_start((int)s->idx);
		return;
	}
	if (!reconnect_mode) {
		fprintf(stderr, "scaleload: session %u: %s\n", s->idx, why);
		exit(1);
	}
	double now = mono();
	drops++;
	if (first_drop == 0)
		first_drop = now;
	if (s->snap)
		nsnapped--;
	s->snap = s->up = s->connected = 0;
	if (s->fast.fd >= 0)
		fastrx_close(&s->fast);
	conn_fini(&s->c);
	s->fd = -1;
	s->backoff = s->backoff ? (s->backoff * 2 > 30 ? 30 : s->backoff * 2) : 0.25;
	s->retry_at = now + s->backoff * (1 + 0.2 * randombytes_uniform(1000) / 1000.0);
}

static void sess_io(struct sess *s, uint32_t ev)
{
	if (!s->connected) {
		int err = 0;
		socklen_t l = sizeof(err);
		getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &l);
		if (err) {
			sess_drop(s, strerror(err));
			return;
		}
		s->connected = 1;
	}
	while (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		const char *why = "?";
		int up = 0;
		char cbuf[CMSG_SPACE(sizeof(struct timespec))];
		struct iovec iov = { s->c.in + s->c.inlen, sizeof(s->c.in) - s->c.inlen };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
		ssize_t r = recvmsg(s->fd, &mh, MSG_DONTWAIT);
		if (r == 0) {
			sess_drop(s, "the switch closed the session");
			return;
		}
		if (r < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			sess_drop(s, strerror(errno));
			return;
		}
		rx_at = cmsg_time(&mh);
		if (conn_input(&s->c, (size_t)r, on_msg, s, &up, &why) < 0) {
			sess_drop(s, why);
			return;
		}
		if (up) {
			s->up = 1;
			s->has_cookie = 0; /* a new cookie may be asked for next time */
		}
	}
	int r = conn_flush(&s->c);
	if (r < 0) {
		sess_drop(s, strerror(-r));
		return;
	}
	if (r != s->want_out) {
		s->want_out = r;
		struct epoll_event e = { .events = EPOLLIN | (r ? EPOLLOUT : 0), .data.u64 = s->idx };
		epoll_ctl(ep, EPOLL_CTL_MOD, s->fd, &e);
	}
}

static void host_io(int h)
{
	static char buf[1 << 16];
	for (;;) {
		ssize_t r = recv(hostfd[h], buf, sizeof(buf), MSG_DONTWAIT);
		if (r < 0) {
			if (errno == ENOBUFS)
				die("a host's neighbor events overran: raise the socket's buffer");
			return;
		}
		double now = wall();
		for (const struct nlmsghdr *nh = (void *)buf; mnl_nlmsg_ok(nh, (int)r); nh = mnl_nlmsg_next(nh, (int *)&r)) {
			if (nh->nlmsg_type != RTM_NEWNEIGH || !__atomic_load_n(&active, __ATOMIC_ACQUIRE))
				continue;
			const struct ndmsg *nd = mnl_nlmsg_get_payload(nh);
			if (nd->ndm_family != AF_INET || !(nd->ndm_state & NUD_PERMANENT))
				continue;
			const struct nlattr *a;
			const uint8_t *ll = NULL;
			uint32_t dst = 0;
			mnl_attr_for_each(a, nh, sizeof(*nd)) {
				if (mnl_attr_get_type(a) == NDA_DST && mnl_attr_get_payload_len(a) == 4)
					memcpy(&dst, mnl_attr_get_payload(a), 4);
				if (mnl_attr_get_type(a) == NDA_LLADDR && mnl_attr_get_payload_len(a) == 6)
					ll = mnl_attr_get_payload(a);
			}
			int i = ll ? prov_by_addr(dst) : -1;
			if (i < 0 || slot[i] < 0 || memcmp(ll, want[i], 6))
				continue;
			double *t = &t_host[(size_t)slot[i] * (size_t)nhosts + (size_t)h];
			if (*t == 0) {
				*t = now - t0;
				__atomic_sub_fetch(&pending, 1, __ATOMIC_RELEASE);
			}
		}
	}
}

/* The real hosts' kernels, watched by a thread of its own so that their
 * events are timed when they come, not after a thousand sessions' reads. */
static int hep;
static void *host_thread(void *arg)
{
	(void)arg;
	struct epoll_event ev[MAX_HOSTS];
	for (;;) {
		int n = epoll_wait(hep, ev, MAX_HOSTS, -1);
		for (int i = 0; i < n; i++)
			host_io((int)ev[i].data.u64);
	}
	return NULL;
}

/* Runs the event loop until cond() holds or the deadline passes. */
static int run_until(int (*cond)(void), double secs)
{
	double end = mono() + secs;
	struct epoll_event ev[256];
	while (!cond()) {
		double left = end - mono();
		if (left <= 0)
			return -1;
		/* at most 2 ms: the host thread may be the one to finish; the
		 * times themselves are taken where the data arrives */
		int n = epoll_wait(ep, ev, 256, left < 0.002 ? (int)(left * 1000) + 1 : 2);
		for (int i = 0; i < n; i++) {
			if (ev[i].data.u64 & FAST_FLAG)
				fast_io(&sess[(uint32_t)ev[i].data.u64]);
			else
				sess_io(&sess[ev[i].data.u64], ev[i].events);
		}
	}
	return 0;
}

static int target_snaps;
static int all_snapped(void) { return snaps_done >= (unsigned long)target_snaps; }
static int none_pending(void) { return __atomic_load_n(&pending, __ATOMIC_ACQUIRE) <= 0; }
static int never(void) { return 0; }
static long want_copies;
static int all_copies(void) { return session_copies >= want_copies; }

static uint32_t src_base; /* -A: sessions' source addresses (host order); 0: the kernel's choice */

/* session i connects (again) and starts its handshake */
static void sess_start(int i)
{
	char name[OL_NAME_MAX];
	struct sess *s = &sess[i];
	s->idx = (uint32_t)i;
	s->fast.fd = -1;
	s->want_out = 0;
	s->retry_at = 0;
	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		die("socket: out of descriptors?");
	int one = 1;
	setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(s->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
	if (src_base) {
		struct sockaddr_in src = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(src_base + (uint32_t)i + 1) };
		if (bind(s->fd, (struct sockaddr *)&src, sizeof(src)) < 0)
			die("bind to the session's source address (lab_load_addrs?)");
	}
	if (connect(s->fd, (struct sockaddr *)&target, sizeof(target)) < 0 && errno != EINPROGRESS)
		die("connect");
	snprintf(name, sizeof(name), "load-%04d", i);
	uint8_t priv[32];
	load_key(i, priv);
	if (conn_init_host(&s->c, s->fd, name, priv, swpub, s->has_cookie ? s->cookie : NULL))
		die("conn_init");
	sodium_memzero(priv, sizeof(priv));
	struct epoll_event e = { .events = EPOLLIN | EPOLLOUT, .data.u64 = (uint64_t)i };
	epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &e);
}

static void open_sessions(int upto)
{
	for (int i = nsess; i < upto; i++) {
		sess_start(i);
		nsess = i + 1;
		/* a few at a time: the switch's accept backlog is finite */
		if (i % 64 == 63) {
			target_snaps = i + 1;
			if (run_until(all_snapped, 30))
				die("sessions did not come up within 30 s");
		}
	}
	target_snaps = upto;
	if (run_until(all_snapped, 60))
		die("sessions did not all get their snapshot within 60 s");
}

static void keepalive_all(void)
{
	for (int i = 0; i < nsess; i++) {
		if (conn_send(&sess[i].c, WM_KEEPALIVE, NULL, 0) < 0)
			sess_drop(&sess[i], "cannot queue a keepalive");
		sess_io(&sess[i], 0);
	}
}

/* CPU time the switch agent has used, all its threads, in seconds
 * (schedstat: exact). */
static double proc_cpu(int pid)
{
	char p[96];
	unsigned long long sum = 0, ns;
	snprintf(p, sizeof(p), "/proc/%d/task", pid);
	DIR *d = opendir(p);
	for (struct dirent *e; d && (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/proc/%d/task/%.16s/schedstat", pid, e->d_name);
		FILE *f = fopen(p, "r");
		if (f && fscanf(f, "%llu", &ns) == 1)
			sum += ns;
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	return (double)sum / 1e9;
}

static long proc_status(int pid, const char *key)
{
	char p[64], line[256];
	long v = -1;
	snprintf(p, sizeof(p), "/proc/%d/status", pid);
	FILE *f = fopen(p, "r");
	size_t kl = strlen(key);
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl) && line[kl] == ':')
			v = atol(line + kl + 1);
	if (f)
		fclose(f);
	return v;
}

static long proc_fds(int pid)
{
	char p[64];
	long n = 0;
	snprintf(p, sizeof(p), "/proc/%d/fd", pid);
	DIR *d = opendir(p);
	if (!d)
		return -1;
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double pct(const double *v, size_t n, double p)
{
	if (!n)
		return -1;
	size_t i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

/* One burst of b changes: new MACs for providers [first, first + b). */
static void burst(int b, int first, uint8_t tag[3], double *last_sess, double *last_host, double *last_all)
{
	char buf[MNL_SOCKET_BUFFER_SIZE * 16];
	size_t off = 0;
	uint32_t seq = (uint32_t)time(NULL);
	memset(buf, 0, sizeof(buf));
	for (int i = 0; i < nprov; i++)
		slot[i] = -1;
	memset(t_sess, 0, (size_t)b * (size_t)nsess * sizeof(double));
	memset(t_host, 0, (size_t)b * (size_t)(nhosts ? nhosts : 1) * sizeof(double));
	struct nlmsghdr *nh = NULL;
	for (int k = 0; k < b; k++) {
		int i = (first + k) % nprov;
		slot[i] = k;
		uint8_t mac[6] = { 0x02, tag[0], tag[1], tag[2], (uint8_t)(i >> 8), (uint8_t)i };
		memcpy(want[i], mac, 6);
		nh = mnl_nlmsg_put_header(buf + off);
		nh->nlmsg_type = RTM_NEWNEIGH;
		nh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE;
		nh->nlmsg_seq = ++seq;
		struct ndmsg *nd = mnl_nlmsg_put_extra_header(nh, sizeof(*nd));
		nd->ndm_family = AF_INET;
		nd->ndm_ifindex = swif;
		nd->ndm_state = NUD_PERMANENT;
		mnl_attr_put(nh, NDA_DST, 4, &prov[i].addr);
		mnl_attr_put(nh, NDA_LLADDR, 6, mac);
		off += NLMSG_ALIGN(nh->nlmsg_len);
		if (off + 256 > sizeof(buf))
			die("burst too big for one netlink message");
	}
	nh->nlmsg_flags |= NLM_F_ACK;
	__atomic_store_n(&pending, (long)b * (nsess + nhosts), __ATOMIC_RELEASE);
	session_copies = 0;
	want_copies = (long)b * nsess;
	__atomic_store_n(&active, 1, __ATOMIC_RELEASE);
	t0 = wall();
	if (mnl_socket_sendto(swnl, buf, off) < 0)
		die("netlink send to the switch's kernel");
	ssize_t r = mnl_socket_recvfrom(swnl, buf, sizeof(buf));
	if (r < 0)
		die("netlink ack from the switch's kernel");
	for (const struct nlmsghdr *h = (void *)buf; mnl_nlmsg_ok(h, (int)r); h = mnl_nlmsg_next(h, (int *)&r))
		if (h->nlmsg_type == NLMSG_ERROR && ((const struct nlmsgerr *)mnl_nlmsg_get_payload(h))->error)
			die("the switch's kernel refused a neighbor change");
	if (run_until(none_pending, TIMEOUT_S)) {
		fprintf(stderr, "scaleload: %ld deliveries missing after %.0f s\n", pending, TIMEOUT_S);
		exit(1);
	}
	/* With the fast path, the sessions' copies come fast-path-delay
	 * later: the next change waits for them, so that each is timed on
	 * its own and not against the last one's session writes (a burst
	 * times load) */
	if (run_until(all_copies, TIMEOUT_S)) {
		fprintf(stderr, "scaleload: %ld session copies missing after %.0f s\n", want_copies - session_copies,
			TIMEOUT_S);
		exit(1);
	}
	__atomic_store_n(&active, 0, __ATOMIC_RELEASE);
	for (int k = 0; k < b; k++) {
		double ms = 0, mh = 0;
		for (int s = 0; s < nsess; s++)
			ms = t_sess[(size_t)k * (size_t)nsess + (size_t)s] > ms ? t_sess[(size_t)k * (size_t)nsess + (size_t)s] : ms;
		for (int h = 0; h < nhosts; h++)
			mh = t_host[(size_t)k * (size_t)nhosts + (size_t)h] > mh ? t_host[(size_t)k * (size_t)nhosts + (size_t)h] : mh;
		last_sess[k] = ms * 1e3;
		last_host[k] = mh * 1e3;
		last_all[k] = (ms > mh ? ms : mh) * 1e3;
	}
}

static int parse_list(const char *s, int *v, int max)
{
	int n = 0;
	for (const char *p = s; *p && n < max; ) {
		v[n++] = atoi(p);
		p = strchr(p, ',');
		if (!p)
			break;
		p++;
	}
	return n;
}

static int netns_socket(const char *ns, unsigned group, int *ifindex, const char *ifname)
{
	char path[256];
	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), fd = open(path, O_RDONLY | O_CLOEXEC);
	if (self < 0 || fd < 0 || setns(fd, CLONE_NEWNET))
		die("cannot enter a namespace");
	int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = group };
	int rb = 8 << 20;
	setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &rb, sizeof(rb));
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)))
		die("netlink socket");
	if (ifindex && !(*ifindex = (int)if_nametoindex(ifname)))
		die("no such interface in the switch's namespace");
	if (setns(self, CLONE_NEWNET))
		die("cannot come back from a namespace");
	close(self);
	close(fd);
	return s;
}

static double unix_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* -T: each session's reports of one window, as host agents send them */
static long steer_reports(int ntargets, uint64_t window)
{
	struct steer_report r = { .window = window, .n = 8 };
	uint8_t body[WIRE_BODY_MAX];
	long sent = 0;
	for (int k = 0; k < 8 && k < nprov; k++)
		memcpy(r.m[k].provider, prov[k].name, OL_NAME_MAX);
	memcpy(r.via, prov[0].name, OL_NAME_MAX);
	for (int i = 0; i < nsess; i++) {
		for (int t = 0; t < ntargets; t++) {
			r.target.family = AF_INET;
			r.target.bytes[0] = 198, r.target.bytes[1] = 18, r.target.bytes[2] = (uint8_t)t, r.target.bytes[3] = 1;
			for (int k = 0; k < 8; k++) {
				r.m[k].sent = 10;
				r.m[k].ok = 10;
				r.m[k].rtt_sum_us = 10u * (uint32_t)(5000 + 1000 * k + (i + t) % 300);
			}
			int n = steer_report_encode(body, sizeof(body), &r);
			if (n > 0 && conn_send(&sess[i].c, WM_STEER_REPORT, body, (size_t)n) >= 0)
				sent++;
		}
		sess_io(&sess[i], 0);
	}
	return sent;
}

static void steer_mode(int ntargets, int window_ms, double secs, int swpid, int ka)
{
	double W = window_ms / 1000.0, last_ka = mono();
	for (int phase = 0; phase < 2; phase++) {
		/* start at a window's start, run whole windows */
		double t = unix_s(), start = (floor(t / W) + 1) * W;
		run_until(never, start - t);
		double c0 = proc_cpu(swpid), end = start + secs;
		long sent = 0, windows = 0;
		while (unix_s() < end) {
			double now = unix_s(), due = (floor(now / W) + 1) * W + 0.3;
			run_until(never, due - now);
			if (mono() - last_ka > ka / 2.0) {
				keepalive_all();
				last_ka = mono();
			}
			if (phase)
				sent += steer_reports(ntargets, (uint64_t)floor((unix_s() - 0.3) / W) - 1);
			windows++;
		}
		double cpu = proc_cpu(swpid) - c0;
		printf("{\"steer\": \"%s\", \"sessions\": %d, \"targets\": %d, \"providers\": 8, \"window_ms\": %d, "
		       "\"windows\": %ld, \"reports_sent\": %ld, \"switch_cpu_ms\": %.1f, \"switch_cpu_ms_per_window\": %.2f, "
		       "\"switch_rss_kib\": %ld}\n",
		       phase ? "reports" : "baseline", nsess, ntargets, window_ms, windows, sent, cpu * 1e3,
		       windows ? cpu * 1e3 / (double)windows : 0, proc_status(swpid, "VmRSS"));
		fflush(stdout);
	}
}

int main(int argc, char **argv)
{
	const char *connect_to = NULL, *keyfile = NULL, *provfile = NULL, *swns = NULL, *ifname = NULL, *jname = "eth0";
	const char *hostns[MAX_HOSTS];
	int steps[MAX_STEPS] = { 100, 250, 500, 1000 }, nsteps = 4, bursts[MAX_BURSTS] = { 1, 50, 500 }, nbursts = 3;
	int rounds = 20, swpid = 0, ka = 10, idle = 0, opt, steer_targets = 0, steer_window = 10000;
	double steer_secs = 30;
	while ((opt = getopt(argc, argv, "RW:g:c:k:p:s:i:j:H:S:b:r:P:K:I:A:T:w:D:")) != -1) {
		switch (opt) {
		case 'R': reconnect_mode = 1; break;
		case 'T': steer_targets = atoi(optarg); break;
		case 'w': steer_window = atoi(optarg); break;
		case 'D': steer_secs = atof(optarg); break;
		case 'W': watch_secs = atof(optarg); break;
		case 'g':
			if (sodium_init() < 0)
				return 1;
			for (int i = 0; i < atoi(optarg); i++) {
				uint8_t priv[32], pub[32];
				char b64[48];
				load_key(i, priv);
				crypto_scalarmult_base(pub, priv);
				sodium_bin2base64(b64, sizeof(b64), pub, 32, sodium_base64_VARIANT_ORIGINAL);
				printf("[host load-%04d]\npublic-key = %s\n\n", i, b64);
			}
			return 0;
		case 'c': connect_to = optarg; break;
		case 'k': keyfile = optarg; break;
		case 'p': provfile = optarg; break;
		case 's': swns = optarg; break;
		case 'i': ifname = optarg; break;
		case 'j': jname = optarg; break;
		case 'H': if (nhosts < MAX_HOSTS) hostns[nhosts++] = optarg; break;
		case 'S': nsteps = parse_list(optarg, steps, MAX_STEPS); break;
		case 'b': nbursts = parse_list(optarg, bursts, MAX_BURSTS); break;
		case 'r': rounds = atoi(optarg); break;
		case 'P': swpid = atoi(optarg); break;
		case 'K': ka = atoi(optarg); break;
		case 'I': idle = atoi(optarg); break;
		case 'A': {
			struct in_addr a;
			if (inet_pton(AF_INET, optarg, &a) != 1)
				die("-A: an IPv4 address");
			src_base = ntohl(a.s_addr);
			break;
		}
		default: die("see the usage at the top of bench/tools/scaleload.c");
		}
	}
	if (!connect_to || !keyfile || !provfile || !swns || !ifname || sodium_init() < 0)
		die("-c, -k, -p, -s and -i are required");
	signal(SIGPIPE, SIG_IGN);
	struct rlimit rl;
	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	/* the switch agent's public key, as onlink pubkey prints it */
	size_t bl;
	if (sodium_base642bin(swpub, 32, keyfile, strlen(keyfile), NULL, &bl, NULL, sodium_base64_VARIANT_ORIGINAL) ||
	    bl != 32)
		die("-k: the switch agent's public key, base64");
	char host[64];
	const char *colon = strrchr(connect_to, ':');
	if (!colon || (size_t)(colon - connect_to) >= sizeof(host))
		die("-c ADDR:PORT");
	memcpy(host, connect_to, (size_t)(colon - connect_to));
	host[colon - connect_to] = 0;
	target.sin_family = AF_INET;
	target.sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &target.sin_addr) != 1)
		die("-c: an IPv4 address");
	FILE *pf = fopen(provfile, "r");
	char line[256], name[OL_NAME_MAX], addr[64];
	while (pf && fgets(line, sizeof(line), pf) && nprov < MAX_PROV) {
		if (sscanf(line, "%31s %63s", name, addr) != 2)
			continue;
		snprintf(prov[nprov].name, sizeof(prov[nprov].name), "%s", name);
		if (inet_pton(AF_INET, addr, &prov[nprov].addr) != 1)
			die("providers: an IPv4 address per line");
		nprov++;
	}
	if (pf)
		fclose(pf);
	if (!nprov)
		die("no providers");

	int maxb = 0;
	for (int i = 0; i < nbursts; i++) {
		if (bursts[i] < 1 || bursts[i] > nprov)
			die("a burst must be 1 .. the number of providers");
		maxb = bursts[i] > maxb ? bursts[i] : maxb;
	}
	int maxs = steps[nsteps - 1] - nhosts;
	if (maxs < 1)
		die("more real hosts than subscribers");
	sess = calloc((size_t)maxs, sizeof(*sess));
	t_sess = calloc((size_t)maxb * (size_t)maxs, sizeof(double));
	t_host = calloc((size_t)maxb * (size_t)(nhosts ? nhosts : 1), sizeof(double));
	double *ls = calloc((size_t)maxb * (size_t)rounds, sizeof(double)), *lh = calloc((size_t)maxb * (size_t)rounds, sizeof(double)),
	       *la = calloc((size_t)maxb * (size_t)rounds, sizeof(double));
	if (!sess || !t_sess || !t_host || !ls || !lh || !la)
		die("out of memory");

	joinif = (int)if_nametoindex(jname);
	ep = epoll_create1(EPOLL_CLOEXEC);
	hep = epoll_create1(EPOLL_CLOEXEC);
	int sfd = netns_socket(swns, 0, &swif, ifname);
	swnl = mnl_socket_fdopen(sfd);
	for (int h = 0; h < nhosts; h++) {
		hostfd[h] = netns_socket(hostns[h], RTMGRP_NEIGH, NULL, NULL);
		struct epoll_event e = { .events = EPOLLIN, .data.u64 = (uint64_t)h };
		epoll_ctl(hep, EPOLL_CTL_ADD, hostfd[h], &e);
	}
	pthread_t ht;
	if (nhosts && pthread_create(&ht, NULL, host_thread, NULL))
		die("cannot start the host thread");

	if (reconnect_mode) {
		/* all the sessions, then the switch agent's restart (the
		 * script's), as the hosts see it */
		open_sessions(maxs);
		double c0 = swpid ? proc_cpu(swpid) : 0;
		printf("ready\n");
		fflush(stdout);
		double give_up = mono() + (watch_secs > 0 ? watch_secs : 120);
		drops = resnapshots = 0;
		while (mono() < give_up && (watch_secs > 0 || !(first_drop && nsnapped == nsess))) {
			struct epoll_event ev[256];
			int n = epoll_wait(ep, ev, 256, 2);
			for (int i = 0; i < n; i++) {
				struct sess *s = &sess[(uint32_t)ev[i].data.u64];
				if (s->fd < 0)
					continue;
				if (ev[i].data.u64 & FAST_FLAG)
					fast_io(s);
				else
					sess_io(s, ev[i].events);
			}
			double now = mono();
			for (int i = 0; i < nsess; i++)
				if (sess[i].fd < 0 && sess[i].retry_at <= now)
					sess_start(i);
		}
		if (watch_secs > 0) {
			printf("{\"sessions\": %d, \"drops\": %ld, \"resnapshots\": %ld, \"switch_cpu_ms_since_ready\": %.1f}\n",
			       nsess, drops, resnapshots, swpid ? (proc_cpu(swpid) - c0) * 1e3 : -1);
			return 0;
		}
		if (!(first_drop && nsnapped == nsess))
			die("the sessions did not all come back within 120 s");
		printf("{\"sessions\": %d, \"cookies\": %ld, \"reconnect_ms\": %.1f, \"switch_cpu_ms_since_ready\": %.1f}\n", nsess, cookies,
		       (last_snap - first_drop) * 1e3, swpid ? (proc_cpu(swpid) - c0) * 1e3 : -1);
		return 0;
	}
	if (steer_targets) {
		if (!swpid || steer_targets > 256 || steer_window < 1000)
			die("-T needs -P, at most 256 targets and -w of 1000 ms or more");
		open_sessions(steps[0] - nhosts);
		run_until(never, 2.0);
		steer_mode(steer_targets, steer_window, steer_secs, swpid, ka);
		return 0;
	}
	double last_ka = mono();
	for (int st = 0; st < nsteps; st++) {
		int want_sess = steps[st] - nhosts;
		if (want_sess < nsess)
			continue;
		open_sessions(want_sess);
		run_until(never, 0.5); /* let the connect storm's HOST messages drain */
		for (int bi = 0; bi < nbursts; bi++) {
			int b = bursts[bi];
			double c0 = swpid ? proc_cpu(swpid) : 0;
			by_fast = by_session = 0;
			for (int r = 0; r < rounds; r++) {
				if (mono() - last_ka > ka / 2.0) {
					keepalive_all();
					last_ka = mono();
				}
				uint8_t tag[3] = { (uint8_t)(st + 1), (uint8_t)(bi + 1), (uint8_t)r };
				burst(b, r * b, tag, ls + (size_t)r * (size_t)b, lh + (size_t)r * (size_t)b, la + (size_t)r * (size_t)b);
				run_until(never, 0.02);
			}
			double cpu = swpid ? proc_cpu(swpid) - c0 : 0;
			size_t n = (size_t)b * (size_t)rounds;
			qsort(ls, n, sizeof(double), cmp_d);
			qsort(lh, n, sizeof(double), cmp_d);
			qsort(la, n, sizeof(double), cmp_d);
			printf("{\"subscribers\": %d, \"sessions\": %d, \"hosts\": %d, \"burst\": %d, \"changes\": %zu, "
			       "\"session_ms\": [%.3f, %.3f, %.3f], \"host_kernel_ms\": [%.3f, %.3f, %.3f], "
			       "\"all_ms\": [%.3f, %.3f, %.3f], \"switch_cpu_us_per_delivery\": %.3f, "
			       "\"switch_rss_kib\": %ld, \"switch_fds\": %ld, \"via_fast_path\": %.4f}\n",
			       nsess + nhosts, nsess, nhosts, b, n, pct(ls, n, 50), pct(ls, n, 99), ls[n - 1],
			       nhosts ? pct(lh, n, 50) : -1, nhosts ? pct(lh, n, 99) : -1, nhosts ? lh[n - 1] : -1,
			       pct(la, n, 50), pct(la, n, 99), la[n - 1],
			       swpid ? cpu * 1e6 / ((double)n * (nsess + nhosts)) : -1,
			       swpid ? proc_status(swpid, "VmRSS") : -1, swpid ? proc_fds(swpid) : -1,
			       by_fast + by_session ? (double)by_fast / (double)(by_fast + by_session) : 0);
			fflush(stdout);
		}
	}
	if (idle && swpid) {
		/* no changes: what the switch agent does with keepalives alone
		 * (after a second for the last burst's hosts to settle) */
		run_until(never, 1.0);
		keepalive_all();
		last_ka = mono();
		double c0 = proc_cpu(swpid), end = mono() + idle;
		long w0 = proc_status(swpid, "voluntary_ctxt_switches") + proc_status(swpid, "nonvoluntary_ctxt_switches");
		while (mono() < end) {
			double until = last_ka + ka < end ? last_ka + ka : end;
			run_until(never, until - mono());
			if (mono() - last_ka >= ka) {
				keepalive_all();
				last_ka = mono();
			}
		}
		double cpu = proc_cpu(swpid) - c0;
		long w = proc_status(swpid, "voluntary_ctxt_switches") + proc_status(swpid, "nonvoluntary_ctxt_switches") - w0;
		printf("{\"idle_secs\": %d, \"subscribers\": %d, \"keepalive\": %d, \"switch_cpu_ms\": %.3f, "
		       "\"switch_wakeups\": %ld, \"keepalives_in\": %ld}\n",
		       idle, nsess + nhosts, ka, cpu * 1e3, w, (long)(nsess + nhosts) * (idle / ka));
	}
	return 0;
}
