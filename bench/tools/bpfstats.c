/* bpfstats: the run count and run time of loaded BPF programs, for the
 * repath benchmark (bench/repath.sh). Benchmark tool only.
 *   bpfstats NAME   turns the kernel's BPF run-time statistics on for as
 *       long as it runs (BPF_ENABLE_STATS: a file descriptor, not the
 *       sysctl), prints "ready", then for each line on stdin prints
 *       "RUN_CNT RUN_TIME_NS" summed over the programs named NAME. */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void report(const char *name)
{
	unsigned long long cnt = 0, ns = 0;
	__u32 id = 0;
	while (!bpf_prog_get_next_id(id, &id)) {
		int fd = bpf_prog_get_fd_by_id(id);
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && !strcmp(info.name, name)) {
			cnt += info.run_cnt;
			ns += info.run_time_ns;
		}
		close(fd);
	}
	printf("%llu %llu\n", cnt, ns);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	char line[64];
	if (argc != 2) {
		fprintf(stderr, "usage: bpfstats NAME\n");
		return 2;
	}
	int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (fd < 0) {
		fprintf(stderr, "bpfstats: BPF_ENABLE_STATS: %s\n", strerror(errno));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		report(argv[1]);
	close(fd);
	return 0;
}
