/* onlinkd: the daemons. `onlinkd switch -c FILE`, `onlinkd host -c FILE`,
 * `onlinkd -n -c FILE` (check a config and print it normalized). */
#include "conf/config.h"
#include "conf/daemon.h"
#include "base/log.h"
#include "egress/egressd.h"
#include "host/hostd.h"
#include "switch/switchd.h"
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: onlinkd switch|host|egress -c FILE [-v]\n"
		   "       onlinkd [switch|host|egress] -n -c FILE   check FILE and print it normalized\n");
}

int main(int argc, char **argv)
{
	const char *file = NULL, *role = NULL;
	int check = 0, verbose = 0, opt;
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
	while ((opt = getopt(argc, argv, "c:nvh")) != -1) {
		switch (opt) {
		case 'c': file = optarg; break;
		case 'n': check = 1; break;
		case 'v': verbose = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!file || optind != argc || (role && strcmp(role, "switch") && strcmp(role, "host") && strcmp(role, "egress")) || (!role && !check)) {
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
	if (check) {
		config_print(&cfg, stdout);
		config_free(&cfg);
		return 0;
	}
	static const char *const idents[] = { [ROLE_SWITCH] = "onlinkd-switch", [ROLE_HOST] = "onlinkd-host",
					      [ROLE_EGRESS] = "onlinkd-egress" };
	log_init(idents[cfg.role], verbose ? LOG_DEBUG : LOG_INFO);
	daemon_args(orig_argc < 64 ? orig : NULL);
	int r = cfg.role == ROLE_SWITCH ? switchd_run(&cfg) : cfg.role == ROLE_HOST ? hostd_run(&cfg) : egressd_run(&cfg);
	config_free(&cfg);
	return r;
}
