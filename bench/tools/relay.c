/* relay: the two textbook ways to relay TCP in a Linux host, bare, for the
 * egress benchmark's ceiling table (bench/egress.sh). Benchmark tool only:
 * no TPROXY, no slices, no timeouts; it shows what any relay that ends the
 * client's TCP connection can reach on this machine.
 *   relay splice  LADDR LPORT SRC DST DPORT
 *       accept on LADDR:LPORT, connect to DST:DPORT from SRC; two blocking
 *       threads per connection, splice(2) through a pipe each way
 *   relay sockmap LADDR LPORT SRC DST DPORT
 *       the same, one connection at a time, the bytes moved by the kernel:
 *       a BPF sk_skb verdict program redirects each socket's incoming data
 *       to the other socket's sending side (a sockmap of two). It passes no
 *       FIN along, so it is measured with `connrate stream`, which needs none.
 * The BPF program is eleven instructions, loaded with bpf(2) directly: libbpf
 * and a BPF compiler for it would outweigh the program. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

static struct sockaddr_in src, dst;

static int sys_bpf(int cmd, union bpf_attr *a)
{
	return (int)syscall(SYS_bpf, cmd, a, sizeof(*a));
}

static int upstream(void)
{
	int one = 1, u = socket(AF_INET, SOCK_STREAM, 0);
	if (u < 0)
		return -1;
	setsockopt(u, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
	if (bind(u, (struct sockaddr *)&src, sizeof(src)) < 0 || connect(u, (struct sockaddr *)&dst, sizeof(dst)) < 0) {
		perror("relay: upstream");
		close(u);
		return -1;
	}
	return u;
}

struct pair {
	int fd[2];
	int left; /* directions still running; the last one closes both */
	pthread_mutex_t lock;
};

struct dir {
	struct pair *p;
	int from, to;
};

static void *pump(void *arg)
{
	struct dir *d = arg;
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) == 0) {
		fcntl(pipefd[1], F_SETPIPE_SZ, 1 << 20);
		ssize_t n;
		while ((n = splice(d->from, NULL, pipefd[1], NULL, 1 << 20, SPLICE_F_MOVE)) > 0) {
			while (n > 0) {
				ssize_t m = splice(pipefd[0], NULL, d->to, NULL, (size_t)n, SPLICE_F_MOVE);
				if (m <= 0)
					break;
				n -= m;
			}
			if (n)
				break; /* the other side failed */
		}
		close(pipefd[0]);
		close(pipefd[1]);
	}
	shutdown(d->to, SHUT_WR);
	struct pair *p = d->p;
	free(d);
	pthread_mutex_lock(&p->lock);
	int last = --p->left == 0;
	pthread_mutex_unlock(&p->lock);
	if (last) {
		close(p->fd[0]);
		close(p->fd[1]);
		free(p);
	}
	return NULL;
}

static void splice_conn(int c, int u)
{
	struct pair *p = calloc(1, sizeof(*p));
	p->fd[0] = c;
	p->fd[1] = u;
	p->left = 2;
	pthread_mutex_init(&p->lock, NULL);
	for (int i = 0; i < 2; i++) {
		struct dir *d = malloc(sizeof(*d));
		*d = (struct dir){ p, p->fd[i], p->fd[!i] };
		pthread_t t;
		pthread_create(&t, NULL, pump, d);
		pthread_detach(t);
	}
}

/* verdict: data that came in on the accepted socket (local port LPORT)
 * leaves through entry 1 (upstream); the rest through entry 0 (client) */
static int sockmap_setup(int lport)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_SOCKMAP;
	a.key_size = 4;
	a.value_size = 4;
	a.max_entries = 2;
	int map = sys_bpf(BPF_MAP_CREATE, &a);
	if (map < 0) {
		perror("relay: sockmap");
		return -1;
	}
	struct bpf_insn prog[] = {
		/* r3 = skb->local_port: documented in host order, found in
		 * network order in this program type (kernel 6.18); either */
		{ .code = BPF_LDX | BPF_W | BPF_MEM, .dst_reg = 3, .src_reg = 1,
		  .off = offsetof(struct __sk_buff, local_port) },
		{ .code = BPF_JMP | BPF_JEQ | BPF_K, .dst_reg = 3, .off = 3, .imm = lport },
		{ .code = BPF_JMP | BPF_JEQ | BPF_K, .dst_reg = 3, .off = 2, .imm = htons((uint16_t)lport) },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 3, .imm = 0 },
		{ .code = BPF_JMP | BPF_JA, .off = 1 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 3, .imm = 1 },
		/* r2 = the map; return bpf_sk_redirect_map(skb, map, r3, 0) */
		{ .code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = 2, .src_reg = BPF_PSEUDO_MAP_FD, .imm = map },
		{ 0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 4, .imm = 0 },
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_sk_redirect_map },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	static char log[16384];
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_SK_SKB;
	a.insns = (uintptr_t)prog;
	a.insn_cnt = sizeof(prog) / sizeof(prog[0]);
	a.license = (uintptr_t) "GPL";
	a.log_buf = (uintptr_t)log;
	a.log_size = sizeof(log);
	a.log_level = 1;
	int fd = sys_bpf(BPF_PROG_LOAD, &a);
	if (fd < 0) {
		perror("relay: verdict program");
		fputs(log, stderr);
		return -1;
	}
	memset(&a, 0, sizeof(a));
	a.target_fd = (uint32_t)map;
	a.attach_bpf_fd = (uint32_t)fd;
	a.attach_type = BPF_SK_SKB_VERDICT;
	if (sys_bpf(BPF_PROG_ATTACH, &a) < 0) {
		perror("relay: attach");
		return -1;
	}
	return map;
}

static void sockmap_put(int map, uint32_t k, int fd)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	uint32_t v = (uint32_t)fd;
	a.map_fd = (uint32_t)map;
	a.key = (uintptr_t)&k;
	a.value = (uintptr_t)&v;
	a.flags = BPF_ANY;
	if (sys_bpf(BPF_MAP_UPDATE_ELEM, &a) < 0)
		perror("relay: sockmap update");
}

static void sockmap_conn(int map, int c, int u)
{
	/* Upstream first, so nothing the verdict redirects is dropped. Bytes
	 * the client sent before its socket joins the map are not seen by the
	 * verdict until more arrive, and none may if they filled the window:
	 * copy them by hand, then add the client. */
	sockmap_put(map, 1, u);
	static char buf[1 << 18];
	ssize_t n;
	while ((n = recv(c, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		if (write(u, buf, (size_t)n) != n)
			perror("relay: write");
	sockmap_put(map, 0, c);
	/* the client closes once it has the sink's answer */
	struct pollfd pf = { .fd = c, .events = POLLRDHUP };
	while (poll(&pf, 1, -1) < 0)
		;
	close(c);
	close(u);
}

int main(int argc, char **argv)
{
	if (argc != 7 || (strcmp(argv[1], "splice") && strcmp(argv[1], "sockmap"))) {
		fprintf(stderr, "usage: relay splice|sockmap LADDR LPORT SRC DST DPORT\n");
		return 2;
	}
	int lport = atoi(argv[3]), one = 1, map = -1;
	struct sockaddr_in la = { .sin_family = AF_INET, .sin_port = htons((uint16_t)lport) };
	src = (struct sockaddr_in){ .sin_family = AF_INET };
	dst = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[6])) };
	if (inet_pton(AF_INET, argv[2], &la.sin_addr) != 1 || inet_pton(AF_INET, argv[4], &src.sin_addr) != 1 ||
	    inet_pton(AF_INET, argv[5], &dst.sin_addr) != 1) {
		fprintf(stderr, "relay: bad address\n");
		return 2;
	}
	int l = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l, (struct sockaddr *)&la, sizeof(la)) < 0 || listen(l, 64) < 0) {
		perror("relay: listen");
		return 1;
	}
	if (!strcmp(argv[1], "sockmap") && (map = sockmap_setup(lport)) < 0)
		return 1;
	for (;;) {
		int c = accept(l, NULL, NULL);
		if (c < 0)
			continue;
		int u = upstream();
		if (u < 0) {
			close(c);
			continue;
		}
		if (map >= 0)
			sockmap_conn(map, c, u);
		else
			splice_conn(c, u);
	}
}
