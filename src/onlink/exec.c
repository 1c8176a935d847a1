/* onlink exec --via PROVIDER -- COMMAND: every socket the command and its
 * children create carries the provider's firewall mark, so it leaves
 * through that provider; the command is not changed.
 *
 * How: a cgroup (v2) of its own, with a BPF_CGROUP_INET_SOCK_CREATE program
 * that sets sk->mark at socket creation, for IPv4 and IPv6, raw sockets
 * included. The program is four instructions, loaded with the bpf(2)
 * syscall directly: libbpf and a BPF compiler would be a heavier dependency
 * than the program itself. The cgroup is removed when the command's last
 * process has exited. */
#include "onlink/cmd.h"
#include "onlink/providers.h"
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/bpf.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t child = -1;

static void forward(int sig)
{
	if (child > 0)
		kill(child, sig);
}

static char private_mnt[64];

/* Where cgroup v2 is mounted, and this process's cgroup in it. Under
 * `ip netns exec`, which remounts /sys, no cgroup2 mount is visible: then
 * it is mounted on a temporary directory in a mount namespace of our own
 * (a slave of the current one, so nothing propagates back out). */
static int my_cgroup(char *out, size_t len)
{
	char line[4096], mnt[2048] = "", path[2048] = "";
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - ");
		char m[2048];
		if (sep && !strncmp(sep, " - cgroup2 ", 11) && sscanf(line, "%*s %*s %*s %*s %2047s", m) == 1) {
			snprintf(mnt, sizeof(mnt), "%s", m);
			break;
		}
	}
	fclose(f);
	if (!mnt[0]) {
		snprintf(private_mnt, sizeof(private_mnt), "/tmp/onlink-cgroup.XXXXXX");
		if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0 ||
		    !mkdtemp(private_mnt))
			return -errno;
		if (mount("cgroup2", private_mnt, "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
			int e = errno;
			rmdir(private_mnt);
			private_mnt[0] = 0;
			return -e;
		}
		snprintf(mnt, sizeof(mnt), "%s", private_mnt);
	}
	f = fopen("/proc/self/cgroup", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3)) {
			line[strcspn(line, "\n")] = 0;
			snprintf(path, sizeof(path), "%.2047s", line + 3);
		}
	fclose(f);
	if (snprintf(out, len, "%s%s", mnt, strcmp(path, "/") ? path : "") >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

static int load_prog(uint32_t mark, char *log, size_t loglen)
{
	struct bpf_insn insns[] = {
		/* w2 = mark */
		{ .code = BPF_ALU | BPF_MOV | BPF_K, .dst_reg = BPF_REG_2, .imm = (int32_t)mark },
		/* ((struct bpf_sock *)r1)->mark = w2 */
		{ .code = BPF_STX | BPF_MEM | BPF_W, .dst_reg = BPF_REG_1, .src_reg = BPF_REG_2,
		  .off = offsetof(struct bpf_sock, mark) },
		/* return 1: allow the socket */
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_CGROUP_SOCK;
	a.expected_attach_type = BPF_CGROUP_INET_SOCK_CREATE;
	a.insns = (uintptr_t)insns;
	a.insn_cnt = sizeof(insns) / sizeof(insns[0]);
	a.license = (uintptr_t) "GPL";
	a.log_buf = (uintptr_t)log;
	a.log_size = (uint32_t)loglen;
	a.log_level = 1;
	log[0] = 0;
	return (int)syscall(__NR_bpf, BPF_PROG_LOAD, &a, sizeof(a));
}

static int attach(int cgfd, int prog)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.target_fd = (uint32_t)cgfd;
	a.attach_bpf_fd = (uint32_t)prog;
	a.attach_type = BPF_CGROUP_INET_SOCK_CREATE;
	a.attach_flags = BPF_F_ALLOW_MULTI;
	return (int)syscall(__NR_bpf, BPF_PROG_ATTACH, &a, sizeof(a));
}

/* The kernel releases an exited task's cgroup a moment after waitpid()
 * returns: retry while cgroup.events says nothing runs there. */
static int remove_cgroup(const char *cg)
{
	char events[4200], buf[256];
	snprintf(events, sizeof(events), "%s/cgroup.events", cg);
	for (int i = 0; i < 200; i++) {
		if (rmdir(cg) == 0)
			return 1;
		if (errno != EBUSY)
			return 0;
		int fd = open(events, O_RDONLY | O_CLOEXEC);
		ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
		if (fd >= 0)
			close(fd);
		buf[n > 0 ? n : 0] = 0;
		if (strstr(buf, "populated 1"))
			return 0;
		usleep(5000);
	}
	return 0;
}

static void private_mount_cleanup(void)
{
	if (private_mnt[0]) {
		umount2(private_mnt, MNT_DETACH);
		rmdir(private_mnt);
	}
}

static void usage(FILE *f)
{
	fprintf(f, "usage: onlink exec [-s SOCKET] --via PROVIDER [--strict] -- COMMAND [ARGS...]\n"
		   "       onlink exec --table N -- COMMAND [ARGS...]\n");
}

int cmd_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "via", required_argument, NULL, 'v' },
		{ "table", required_argument, NULL, 'T' },
		{ "strict", no_argument, NULL, 'S' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *sock = DEFAULT_HOST_SOCK, *via = NULL;
	uint32_t mark = 0;
	char err[512], cg[4096], log[4096];
	int opt, strict = 0;

	/* "+": stop at the first non-option, so the command's own options are
	 * left alone even without "--" */
	while ((opt = getopt_long(argc, argv, "+s:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'v': via = optarg; break;
		case 's': sock = optarg; break;
		case 'S': strict = 1; break;
		case 'T':
			if (table_parse(optarg, &mark)) {
				fprintf(stderr, "onlink exec: bad table '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind == argc || (!via == !mark) || (strict && !via)) {
		usage(stderr);
		return 2;
	}
	if (via) {
		struct cli_provider *p;
		size_t n, i;
		if (providers_query(sock, &p, &n, err, sizeof(err))) {
			fprintf(stderr, "onlink exec: %s\n", err);
			return 2;
		}
		for (i = 0; i < n && strcmp(p[i].name, via); i++)
			;
		if (i == n) {
			fprintf(stderr, "onlink exec: unknown provider '%s'\n", via);
			free(p);
			return 2;
		}
		if (!p[i].up)
			fprintf(stderr, "onlink exec: warning: provider '%s' is down; its traffic will fail\n", via);
		/* failed or drained, its table's traffic goes to another
		 * provider's MACs: say so, or refuse (--strict) */
		if (p[i].via[0] && strict) {
			fprintf(stderr, "onlink exec: provider '%s' is substituted: its traffic goes to backup %s's MACs; "
					"refused (--strict)\n", via, p[i].via);
			free(p);
			return 3;
		}
		if (p[i].via[0])
			fprintf(stderr, "onlink exec: warning: provider '%s' is substituted: its traffic goes to backup "
					"%s's MACs\n", via, p[i].via);
		mark = p[i].table;
		free(p);
	}

	int r = my_cgroup(cg, sizeof(cg) - 64);
	if (r) {
		fprintf(stderr, "onlink exec: no cgroup v2 hierarchy: %s\n", strerror(-r));
		return 1;
	}
	size_t l = strlen(cg);
	snprintf(cg + l, sizeof(cg) - l, "/onlink-exec.%d", (int)getpid());
	if (mkdir(cg, 0755) < 0) {
		if (errno == EACCES || errno == EPERM || errno == EROFS)
			fprintf(stderr, "onlink exec: needs root: it makes a cgroup of its own and loads a BPF program into it "
					"(%s: %s)\n", cg, strerror(errno));
		else
			fprintf(stderr, "onlink exec: mkdir %s: %s\n", cg, strerror(errno));
		private_mount_cleanup();
		return 1;
	}
	int cgfd = open(cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int prog = load_prog(mark, log, sizeof(log));
	if (cgfd < 0 || prog < 0 || attach(cgfd, prog) < 0) {
		fprintf(stderr, "onlink exec: cannot mark the command's sockets: %s%s%s\n", strerror(errno),
			log[0] ? "\n" : "", log);
		if (cgfd >= 0)
			close(cgfd);
		rmdir(cg);
		private_mount_cleanup();
		return 1;
	}
	char procs[4200];
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);

	child = fork();
	if (child < 0) {
		perror("onlink exec: fork");
		rmdir(cg);
		private_mount_cleanup();
		return 1;
	}
	if (child == 0) {
		int fd = open(procs, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "0", 1) != 1) {
			fprintf(stderr, "onlink exec: cannot enter %s: %s\n", cg, strerror(errno));
			_exit(126);
		}
		close(fd);
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "onlink exec: %s: %s\n", argv[optind], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	signal(SIGINT, forward);
	signal(SIGTERM, forward);
	signal(SIGHUP, forward);
	int status = 0;
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	close(prog);
	close(cgfd);
	if (!remove_cgroup(cg))
		fprintf(stderr, "onlink exec: processes the command left behind still run in %s (marked %u)\n", cg, mark);
	private_mount_cleanup();
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
