/* onlinkd: the daemons. `onlinkd switch -c FILE`, `onlinkd host -c FILE`,
 * `onlinkd -n -c FILE` (check a config and print it normalized, and a
 * switch's BIRD include file as it would write it). */
#include "conf/config.h"
#include "conf/daemon.h"
#include "base/log.h"
#include "egress/egressd.h"
#include "host/hostd.h"
#include "base/file.h"
#include "base/version.h"
#include "switch/announce.h"
#include "switch/switchd.h"
#include <stdlib.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: onlinkd switch|host|egress -c FILE [-v]\n"
		   "       onlinkd [switch|host|egress] -n [-q] -c FILE   check FILE and print it normalized\n"
		   "                                   (and a switch's BIRD include file); -q: print nothing\n"
		   "       onlinkd -V|--version\n"
		   "       onlinkd -h|--help\n"
		   "long options: --config FILE, --check, --quiet, --verbose\n");
}

/* What the switch agent would write to bird-include now: its sessions,
 * and what the file holds of announcements and drains. */
static int print_bird_include(const struct config *c)
{
	struct ann_state *st = calloc(1, sizeof(*st));
	char *old = file_read(c->sw.bird_include), *text = NULL;
	if (st && old)
		ann_parse(c, old, st);
	if (st)
		text = ann_render(c, st);
	if (text)
		printf("\n# ---- %s, as onlinkd switch would write it ----\n%s", c->sw.bird_include, text);
	free(old);
	free(st);
	free(text);
	return text ? 0 : -1;
}

int main(int argc, char **argv)
{
	const char *file = NULL, *role = NULL;
	int check = 0, quiet = 0, verbose = 0, opt;
	struct config cfg;
	/* the command line as given, for a reload that restarts in place:
	 * getopt() reorders argv */
	static char *orig[64];
	int orig_argc = argc;
	for (int i = 0; i < argc && i < 63; i++)
		orig[i] = argv[i];

	if (argc > 1 && argv[1][0] != '-') {
		role = argv[1];
		argv++;
		argc--;
	}
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' }, { "check", no_argument, NULL, 'n' },
		{ "quiet", no_argument, NULL, 'q' }, { "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' }, { "version", no_argument, NULL, 'V' }, { 0 },
	};
	while ((opt = getopt_long(argc, argv, "c:nqvhV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': file = optarg; break;
		case 'n': check = 1; break;
		case 'q': quiet = 1; break;
		case 'v': verbose = 1; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("onlinkd %s\n", onlink_version); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!file || optind != argc || (role && strcmp(role, "switch") && strcmp(role, "host") && strcmp(role, "egress")) || (!role && !check) || (quiet && !check)) {
		usage(stderr);
		return 2;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "onlinkd: libsodium failed to initialize\n");
		return 1;
	}
	if (config_load(file, &cfg)) {
		fprintf(stderr, "%s\n", cfg.err);
		config_free(&cfg);
		return 2;
	}
	static const char *const roles[] = { [ROLE_SWITCH] = "switch", [ROLE_HOST] = "host", [ROLE_EGRESS] = "egress" };
	if (role && strcmp(role, roles[cfg.role])) {
		fprintf(stderr, "%s:1: this is a %s config, not a %s config\n", file, roles[cfg.role], role);
		config_free(&cfg);
		return 2;
	}
	if (check && config_check_system(&cfg)) {
		fprintf(stderr, "%s\n", cfg.err);
		config_free(&cfg);
		return 2;
	}
	if (check && quiet) {
		config_free(&cfg);
		return 0;
	}
	if (check)
		config_warn_system(&cfg, stderr);
	if (check) {
		config_print(&cfg, stdout);
		int r = cfg.role == ROLE_SWITCH && cfg.sw.bird_include[0] ? print_bird_include(&cfg) : 0;
		config_free(&cfg);
		return r ? 1 : 0;
	}
	static const char *const idents[] = { [ROLE_SWITCH] = "onlinkd-switch", [ROLE_HOST] = "onlinkd-host",
					      [ROLE_EGRESS] = "onlinkd-egress" };
	log_init(idents[cfg.role], verbose ? LOG_DEBUG : LOG_INFO);
	log_info("onlinkd %s, %s agent, config %s", onlink_version, roles[cfg.role], file);
	daemon_args(orig_argc < 64 ? orig : NULL);
	int r = cfg.role == ROLE_SWITCH ? switchd_run(&cfg) : cfg.role == ROLE_HOST ? hostd_run(&cfg) : egressd_run(&cfg);
	config_free(&cfg);
	return r;
}
