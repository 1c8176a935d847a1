/* onlink: the operator's command line. */
#include "base/version.h"
#include "onlink/cmd.h"
#include <signal.h>
#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} cmds[] = {
	{ "status", cmd_status, "show providers, peers and state of the local agent" },
	{ "ping", cmd_ping, "probe destinations through every provider at once" },
	{ "route", cmd_route, "which provider an address or prefix goes out through, and BIRD's alternatives" },
	{ "exec", cmd_exec, "run a command whose sockets all leave through one provider" },
	{ "drain", cmd_operate, "move traffic off a provider (hosts use its backup; BGP shut down)" },
	{ "undrain", cmd_operate, "take a drained provider back into service" },
	{ "announce", cmd_operate, "announce a prefix to a provider through BIRD (--prepend N)" },
	{ "withdraw", cmd_operate, "withdraw a prefix announced to a provider" },
	{ "purge", cmd_operate, "restart a provider's BGP sessions (--soft: a route refresh) and wait for them" },
	{ "egress", cmd_egress, "move HOST: new egress slices for a host, its flows keeping their old ports" },
	{ "steer", cmd_steer, "--list: the prefixes that follow the probes, their providers and why" },
	{ "genkey", cmd_genkey, "print a new private key (base64, X25519) for private-key-file" },
	{ "pubkey", cmd_pubkey, "read a private key on stdin, print its public key (for public-key)" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: onlink COMMAND [OPTIONS]\n       onlink --version\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].help);
}

int main(int argc, char **argv)
{
	/* a daemon that closes the control connection is reported, not fatal */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("onlink %s\n", onlink_version);
		return 0;
	}
	/* whole words only: no prefix abbreviations */
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "onlink: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
