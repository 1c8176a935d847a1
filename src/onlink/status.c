/* onlink status [-s SOCKET] [--json]: ask a local agent for its state. */
#include "base/control.h"
#include "base/version.h"
#include "onlink/cmd.h"
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *when(json_t *v, char *buf, size_t len)
{
	time_t t = (time_t)json_integer_value(v);
	struct tm tm;
	if (!t)
		return "-";
	localtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
	return buf;
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "-";
}

/* The switch's failover state of a provider, when there is something to say. */
static void print_failover(json_t *f)
{
	size_t k;
	json_t *b;
	if (!f)
		return;
	const char *st = str(f, "state");
	int quiet = !strcmp(st, "ok") || !strcmp(st, "down");
	if (quiet && !json_array_size(json_object_get(f, "bird")) && json_is_null(json_object_get(f, "backup")))
		return;
	printf("  %s", st);
	if (*str(f, "reason") && strcmp(str(f, "reason"), "-"))
		printf(" (%s)", str(f, "reason"));
	printf(" for %.1f s", (double)json_integer_value(json_object_get(f, "for_ms")) / 1000);
	if (!json_is_null(json_object_get(f, "via")) && json_object_get(f, "via"))
		printf(", hosts send to %s's MAC", str(f, "via"));
	else if (!quiet)
		printf(", published down (no backup available)");
	if (json_object_get(f, "hold_remaining_ms"))
		printf(", hold-down ends in %.1f s", (double)json_integer_value(json_object_get(f, "hold_remaining_ms")) / 1000);
	printf("; backup %s; hold-down %.1f s; %lld failovers, %lld recoveries\n", str(f, "backup"),
	       (double)json_integer_value(json_object_get(f, "hold_down_ms")) / 1000,
	       (long long)json_integer_value(json_object_get(f, "failovers")),
	       (long long)json_integer_value(json_object_get(f, "recoveries")));
	json_array_foreach(json_object_get(f, "bird"), k, b)
		printf("    BIRD %-16s %-8s %s\n", str(b, "protocol"), str(b, "state"), str(b, "info"));
}

static void print_providers(json_t *provs)
{
	size_t i, k;
	json_t *p, *a;
	char t[32];
	printf("%-16s %-6s %-5s %-19s  %-26s %-17s %-5s %s\n", "PROVIDER", "TABLE", "STATE", "SINCE", "ADDRESS", "MAC",
	       "STATE", "");
	json_array_foreach(provs, i, p) {
		json_t *addrs = json_object_get(p, "addresses");
		json_array_foreach(addrs, k, a) {
			const char *extra = json_object_get(a, "neighbor") ? str(a, "neighbor") : "";
			const char *port = json_object_get(a, "port") ? str(a, "port") : NULL;
			if (!k)
				printf("%-16s %-6lld %-5s %-19s  ", str(p, "name"),
				       (long long)json_integer_value(json_object_get(p, "table")), str(p, "state"),
				       when(json_object_get(p, "since"), t, sizeof(t)));
			else
				printf("%-16s %-6s %-5s %-19s  ", "", "", "", "");
			if (json_is_false(json_object_get(a, "installed")))
				printf("%-26s %-17s %-5s not installed: %s\n", str(a, "address"), str(a, "mac"), str(a, "state"),
				       str(a, "why"));
			else
				printf("%-26s %-17s %-5s %s%s%s\n", str(a, "address"), str(a, "mac"), str(a, "state"), extra,
				       port ? " port " : "", port ? port : "");
		}
		json_t *pin = json_object_get(p, "pinned");
		if (json_is_object(pin)) {
			const char *from = str(pin, "from");
			if (!strcmp(from, "none"))
				printf("    MAC pinned to: no port yet (the first one the provider answers on)");
			else
				printf("    MAC pinned to port %s (%s%s)", json_object_get(pin, "port") ? str(pin, "port") : "?",
				       !strcmp(from, "config") ? "'port' in the config" : "where it first answered",
				       json_is_true(json_object_get(pin, "present")) ? "" : ", not present");
			printf("; %lld answers from other ports refused\n", (long long)json_integer_value(json_object_get(pin, "refused")));
		}
		print_failover(json_object_get(p, "failover"));
		json_t *sub = json_object_get(p, "substituted");
		if (json_is_true(json_object_get(p, "backup_missing")) && !json_is_object(sub))
			printf("  backup %s: no switch agent announces it\n", str(p, "backup"));
		if (json_is_object(sub)) {
			if (json_is_string(json_object_get(sub, "via")))
				printf("  via backup %s: this host sends its traffic to %s's MACs (%s%s)\n", str(sub, "via"),
				       str(sub, "via"), strcmp(str(p, "backup"), str(sub, "via")) ? "its backup's backup" : "its backup",
				       !strcmp(str(sub, "by"), "switch") ? ", failed or drained on its switch" : "");
			else
				printf("  down; backup %s: %s\n", str(p, "backup"), str(sub, "why"));
		}
	}
}

static void print_egress(json_t *eg)
{
	size_t i, k;
	json_t *e, *s;
	if (!json_array_size(eg))
		return;
	printf("\n%-26s %-16s %s\n", "EGRESS ADDRESS", "HOST", "PORTS");
	json_array_foreach(eg, i, e) {
		json_t *mine = json_object_get(e, "mine");
		json_array_foreach(json_object_get(e, "slices"), k, s) {
			const char *host = json_string_value(json_object_get(s, "host"));
			int is_mine = json_is_object(mine) &&
				      json_integer_value(json_object_get(mine, "first")) ==
					      json_integer_value(json_object_get(s, "first"));
			printf("%-26s %-16s %lld-%lld%s\n", k ? "" : json_string_value(json_object_get(e, "address")),
			       !host ? "?" : host[0] ? host : "(resting)", (long long)json_integer_value(json_object_get(s, "first")),
			       (long long)json_integer_value(json_object_get(s, "last")), is_mine ? "  (this host)" : "");
		}
	}
}

/* the switch agent's egress leases */
static void print_leases(json_t *ls)
{
	size_t i;
	json_t *x;
	if (!json_array_size(ls))
		return;
	printf("\n%-12s %-26s %-12s %-16s %-7s %s\n", "POOL", "LEASE", "PORTS", "HOST", "IN USE", "STATE");
	json_array_foreach(ls, i, x) {
		char ports[16], when[64];
		time_t t = (time_t)json_integer_value(json_object_get(x, json_is_integer(json_object_get(x, "until")) ? "until" : "since"));
		strftime(when, sizeof(when), "%F %T", localtime(&t));
		snprintf(ports, sizeof(ports), "%lld-%lld", (long long)json_integer_value(json_object_get(x, "first")),
			 (long long)json_integer_value(json_object_get(x, "last")));
		char use[16] = "-";
		if (json_is_integer(json_object_get(x, "in_use")))
			snprintf(use, sizeof(use), "%lld", (long long)json_integer_value(json_object_get(x, "in_use")));
		printf("%-12s %-26s %-12s %-16s %-7s %s %s\n", str(x, "pool"), str(x, "address"), ports, str(x, "host"), use,
		       !strcmp(str(x, "state"), "resting") ? "resting until" : "held since", when);
	}
}

/* the host agent's continuous probes: one row per target and provider */
static void print_probe(json_t *pr)
{
	size_t i, k;
	json_t *t, *x;
	if (!json_is_object(pr))
		return;
	printf("\nPROBES every %lld ms, over the last minute (* best)\n%-30s %-16s %9s %7s  %s\n",
	       (long long)json_integer_value(json_object_get(pr, "interval_ms")), "TARGET", "PROVIDER", "RTT ms", "LOSS", "");
	json_array_foreach(json_object_get(pr, "targets"), i, t) {
		const char *best = json_string_value(json_object_get(t, "best"));
		json_array_foreach(json_object_get(t, "providers"), k, x) {
			json_t *rtt = json_object_get(x, "rtt_ms"), *loss = json_object_get(x, "loss");
			char r[16] = "-", l[16] = "-";
			if (json_is_number(rtt))
				snprintf(r, sizeof(r), "%.3f", json_number_value(rtt));
			if (json_is_number(loss))
				snprintf(l, sizeof(l), "%.1f%%", 100 * json_number_value(loss));
			printf("%-30s %-16s %9s %7s  %s\n", k ? "" : str(t, "target"), str(x, "provider"), r, l,
			       best && !strcmp(best, str(x, "provider")) ? "*" :
			       json_is_true(json_object_get(x, "live")) ? "" : "(not live)");
		}
		if (!json_array_size(json_object_get(t, "providers")))
			printf("%-30s %s\n", str(t, "target"), "(no live provider)");
	}
}

static void print_names(json_t *a)
{
	size_t i;
	json_t *x;
	if (!json_array_size(a))
		printf(" none");
	json_array_foreach(a, i, x)
		printf(" %s", json_string_value(x));
}

/* protective repath: on or why not, where stalled connections may go, and
 * where they went */
static void print_repath(json_t *rp)
{
	size_t i;
	json_t *x;
	const char *state = str(rp, "state");
	if (!json_is_object(rp) || !strcmp(state, "off"))
		return;
	if (!strcmp(state, "on")) {
		json_t *alone = json_object_get(rp, "unconfirmed_rtos");
		long long after = json_integer_value(json_object_get(rp, "after_rtos"));
		printf("\nrepath: on for %s: a connection moves on its timeout %lld in a row", str(rp, "cgroup"), after);
		if (!json_is_integer(alone))
			printf(" when the probes show its provider failing");
		else if (json_integer_value(alone) != after)
			printf(" when the probes show its provider failing, on its timeout %lld in any case",
			       (long long)json_integer_value(alone));
		printf("; failing:");
		print_names(json_object_get(rp, "failing4"));
		printf(" (IPv4),");
		print_names(json_object_get(rp, "failing6"));
		printf(" (IPv6); IPv4 to");
		print_names(json_object_get(rp, "candidates4"));
		printf(", IPv6 to");
		print_names(json_object_get(rp, "candidates6"));
		printf("; %lld moved\n", (long long)json_integer_value(json_object_get(rp, "moved")));
	} else {
		printf("\nrepath: unavailable (%s): running without it\n", str(rp, "why"));
	}
	json_array_foreach(json_object_get(rp, "moves"), i, x)
		printf("  %-16s -> %-16s %lld\n", str(x, "from"), str(x, "to"),
		       (long long)json_integer_value(json_object_get(x, "connections")));
}

/* the egress proxy's view: its shared addresses and slices, its flows,
 * and what it refused */
static void print_egress_proxy(json_t *root)
{
	json_t *tcp = json_object_get(root, "tcp"), *udp = json_object_get(root, "udp");
	const char *fam[] = { "ipv4", "ipv6" };
	printf("egress proxy on host %s, host agent %s%s%s (onlinkd %s)\n\n", str(root, "host"),
	       json_is_true(json_object_get(root, "agent")) ? "connected" : "NOT connected (slices as last known)",
	       json_is_string(json_object_get(root, "via")) ? ", via " : "",
	       json_is_string(json_object_get(root, "via")) ? str(root, "via") : "", str(root, "version"));
	printf("%-6s %-40s %s\n", "FAMILY", "SHARED ADDRESS", "THIS HOST'S PORTS");
	for (int k = 0; k < 2; k++) {
		json_t *s = json_object_get(root, fam[k]);
		if (json_is_object(s))
			printf("%-6s %-40s %lld-%lld\n", fam[k], str(s, "address"),
			       (long long)json_integer_value(json_object_get(s, "first")),
			       (long long)json_integer_value(json_object_get(s, "last")));
		else
			printf("%-6s %-40s %s\n", fam[k], "-", "no slice: flows of this family are refused");
	}
#define N(o, k) ((long long)json_integer_value(json_object_get(o, k)))
	printf("\n%-5s %8s %10s %10s %10s %10s %10s\n", "", "ACTIVE", "TOTAL", "EXHAUSTED", "NO SLICE", "FAILED", "IDLE/EXP");
	printf("%-5s %8lld %10lld %10lld %10lld %10lld %10lld\n", "tcp", N(tcp, "active"), N(tcp, "accepted"),
	       N(tcp, "exhausted"), N(tcp, "no_source"), N(tcp, "connect_failed"), N(tcp, "idle_closed"));
	printf("%-5s %8lld %10lld %10lld %10lld %10lld %10lld\n", "udp", N(udp, "active"), N(udp, "created"),
	       N(udp, "exhausted"), N(udp, "no_source"), N(udp, "errors"), N(udp, "expired"));
	printf("\nbytes: tcp %lld up, %lld down; udp %lld up, %lld down\n", N(tcp, "bytes_up"), N(tcp, "bytes_down"),
	       N(udp, "bytes_up"), N(udp, "bytes_down"));
	json_t *cl = json_object_get(root, "clients");
	if (json_is_object(cl)) {
		json_t *rf = json_object_get(cl, "refused"), *top = json_object_get(cl, "top"), *x;
		printf("\nclients: %lld addresses hold %lld flows (at most %lld each; %lld KiB of kernel buffering per "
		       "direction); descriptors %lld of %lld\n", N(cl, "active"), N(cl, "flows"), N(cl, "client_flows"),
		       N(cl, "flow_buffer") / 1024, N(cl, "descriptors"), N(cl, "descriptors_max"));
		const char *why;
		json_object_foreach(rf, why, x)
			if (N(x, "tcp") || N(x, "udp"))
				printf("  refused (%s): %lld tcp, %lld udp\n", why, N(x, "tcp"), N(x, "udp"));
		size_t i;
		json_array_foreach(top, i, x)
			printf("  %-40s %6lld flows\n", str(x, "client"), N(x, "flows"));
	}
#undef N
}

/* A session's state as the CLI shows it: "up", or "up, silent 12s" when
 * the switch has said nothing for longer than a keepalive or two while its
 * uplink does not forward (the session lapses at the keepalive timeout). */
static const char *session_state(json_t *sw, char *buf, size_t len)
{
	json_int_t silent = json_integer_value(json_object_get(sw, "silent_ms"));
	const char *fwd = str(json_object_get(sw, "uplink"), "forwarding");
	if (!strcmp(str(sw, "state"), "up") && silent > 2500 && !strcmp(fwd, "dead")) {
		snprintf(buf, len, "up, silent %llds", (long long)(silent / 1000));
		return buf;
	}
	return str(sw, "state");
}

/* An agent running another onlinkd than the one installed with this
 * onlink: a package upgrade leaves the egress proxy running, or an agent
 * could not be restarted. */
static void print_version_note(json_t *root)
{
	const char *v = json_string_value(json_object_get(root, "version"));
	if (v && strcmp(v, onlink_version))
		printf("\nnote: this agent runs onlinkd %s; %s is installed: `systemctl restart onlinkd-%s` runs it\n", v,
		       onlink_version, str(root, "role"));
}

static void print_text(json_t *root)
{
	size_t i;
	json_t *x;
	char t[32], t2[32];
	if (!strcmp(str(root, "role"), "egress")) {
		print_egress_proxy(root);
		return;
	}
	if (!strcmp(str(root, "role"), "switch")) {
		printf("switch %s (onlinkd %s)\n", str(root, "name"), str(root, "version"));
		json_t *fp = json_object_get(root, "fast_path");
		if (fp)
			printf("fast path: %s on %s, sessions %lld ms later; %lld datagrams sent, %lld failed\n", str(fp, "group"),
			       str(fp, "interface"), (long long)json_integer_value(json_object_get(fp, "delay_ms")),
			       (long long)json_integer_value(json_object_get(fp, "datagrams")),
			       (long long)json_integer_value(json_object_get(fp, "errors")));
		printf("\n");
		print_providers(json_object_get(root, "providers"));
		printf("\n%-16s %-40s %s\n", "HOST", "ADDRESS", "SINCE");
		json_array_foreach(json_object_get(root, "peers"), i, x)
			printf("%-16s %-40s %s\n", str(x, "name"), str(x, "address"), when(json_object_get(x, "since"), t, sizeof(t)));
		long long replaced = (long long)json_integer_value(json_object_get(root, "sessions_replaced"));
		if (replaced)
			printf("%lld sessions replaced by a newer one with the same key (two agents with one key, if it repeats)\n",
			       replaced);
		if (json_is_true(json_object_get(root, "under_load")))
			printf("under load (%lld connections not yet authenticated): a first message needs a cookie for its "
			       "address, and each address has 20 handshakes a second\n",
			       (long long)json_integer_value(json_object_get(root, "unauthenticated")));
		if (json_array_size(json_object_get(root, "replays"))) {
			printf("\n%-16s %-9s %-14s %s\n", "HOST", "REFUSED", "BEHIND (s)", "LAST (handshakes older than the last accepted: a replay, or a clock set back)");
			json_array_foreach(json_object_get(root, "replays"), i, x)
				printf("%-16s %-9lld %-14.3f %s\n", str(x, "host"), (long long)json_integer_value(json_object_get(x, "refused")),
				       json_real_value(json_object_get(x, "behind_s")), when(json_object_get(x, "last"), t, sizeof(t)));
		}
		print_egress(json_object_get(root, "egress"));
		print_leases(json_object_get(root, "leases"));
		json_array_foreach(json_object_get(json_object_get(root, "bird"), "announcements"), i, x)
			if (json_is_string(json_object_get(x, "outside_own_prefix")))
				printf("announcement %s via %s is kept until withdrawn, but %s\n", str(x, "prefix"),
				       str(x, "provider"), str(x, "outside_own_prefix"));
		if (json_array_size(json_object_get(root, "remote_backups"))) {
			printf("\n%-16s %s\n", "PROVIDER", "BACKUP ON ANOTHER SWITCH AGENT (resolved by the hosts)");
			json_array_foreach(json_object_get(root, "remote_backups"), i, x)
				printf("%-16s %s\n", str(x, "provider"), str(x, "backup"));
		}
	} else {
		printf("host %s, providers on %s%s (onlinkd %s)\n\n", str(root, "name"), str(root, "interface"),
		       json_is_true(json_object_get(root, "ready")) ? "" : " (waiting for switch snapshots)",
		       str(root, "version"));
		json_t *ks = json_object_get(root, "kernel_state");
		if (json_is_object(ks))
			printf("running on the kernel's state since %s: %s; %lld objects onlink installed are kept "
			       "(nothing is deleted until every switch agent has answered)\n\n",
			       when(json_object_get(ks, "since"), t, sizeof(t)), str(ks, "why"),
			       (long long)json_integer_value(json_object_get(ks, "objects_kept")));
		printf("%-16s %-40s %-14s %-19s %s\n", "SWITCH", "CONNECT", "STATE", "SINCE", "PROVIDERS");
		json_array_foreach(json_object_get(root, "switches"), i, x)
			printf("%-16s %-40s %-14s %-19s %lld\n", str(x, "name"), str(x, "connect"), session_state(x, t2, sizeof(t2)),
			       when(json_object_get(x, "since"), t, sizeof(t)),
			       (long long)json_integer_value(json_object_get(x, "providers")));
		printf("\n%-16s %-15s %-8s %-11s %-19s %s\n", "SWITCH", "UPLINK", "CARRIER", "FORWARDING", "SINCE", "");
		json_array_foreach(json_object_get(root, "switches"), i, x) {
			json_t *u = json_object_get(x, "uplink");
			printf("%-16s %-15s %-8s %-11s %-19s %s\n", str(x, "name"), str(u, "interface"),
			       json_is_true(json_object_get(u, "present")) ? str(u, "carrier") : "missing", str(u, "forwarding"),
			       when(json_object_get(u, "since"), t, sizeof(t)), str(u, "why"));
		}
		json_array_foreach(json_object_get(root, "switches"), i, x) {
			json_t *fp = json_object_get(x, "fast_path");
			if (fp)
				printf("%-16s fast path %s port %lld: %lld datagrams, %lld lost, %lld rejected\n", str(x, "name"),
				       str(fp, "group"), (long long)json_integer_value(json_object_get(fp, "port")),
				       (long long)json_integer_value(json_object_get(fp, "datagrams")),
				       (long long)json_integer_value(json_object_get(fp, "lost")),
				       (long long)json_integer_value(json_object_get(fp, "rejected")));
		}
		/* an isolated host: say that what it shows is kept on purpose */
		size_t nsw = json_array_size(json_object_get(root, "switches")), cut = 0;
		json_array_foreach(json_object_get(root, "switches"), i, x)
			cut += strcmp(str(x, "state"), "up") || !strcmp(str(json_object_get(x, "uplink"), "forwarding"), "dead");
		if (nsw && cut == nsw)
			printf("\nno switch agent is reachable: the providers below are as last known, kept on purpose "
			       "(forwarding never waits for an agent; nothing is removed until a switch agent says so)\n");
		printf("\n");
		json_array_foreach(json_object_get(root, "host_addresses"), i, x)
			if (json_is_false(json_object_get(x, "present")))
				printf("this host's address %s is not on %s: its routes through the providers cannot be installed "
				       "until it is back (an admin down removes an IPv6 address unless "
				       "net.ipv6.conf.%s.keep_addr_on_down = 1)\n\n", str(x, "address"), str(x, "interface"),
				       str(x, "interface"));
		if (json_is_string(json_object_get(root, "backup_cycle")))
			printf("backups go round in a cycle, not followed: %s\n\n", str(root, "backup_cycle"));
		print_providers(json_object_get(root, "providers"));
		print_egress(json_object_get(root, "egress"));
		print_probe(json_object_get(root, "probe"));
		print_repath(json_object_get(root, "repath"));
	}
}

int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *sock = NULL;
	int json = 0, opt;
	char *reply;
	json_error_t jerr;

	while ((opt = getopt_long(argc, argv, "s:jh", opts, NULL)) != -1) {
		switch (opt) {
		case 's': sock = optarg; break;
		case 'j': json = 1; break;
		default:
			fprintf(opt == 'h' ? stdout : stderr, "usage: onlink status [-s SOCKET] [--json]\n");
			return opt == 'h' ? 0 : 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "usage: onlink status [-s SOCKET] [--json]\n");
		return 2;
	}
	int guessed = !sock;
	if (!sock) /* the host's agent, as onlink(8) says, unless this is a switch */
		sock = access("/run/onlink/switch.sock", F_OK) == 0 && access("/run/onlink/host.sock", F_OK) != 0
			       ? "/run/onlink/switch.sock" : "/run/onlink/host.sock";
	int r = control_request(sock, "{\"api\":1,\"request\":\"status\"}", &reply);
	if (r) {
		fprintf(stderr, "onlink: cannot reach the agent at %s: %s%s\n", sock, control_strerror(r),
			guessed ? " (no agent runs here? give its socket with -s: the switch agent's is /run/onlink/switch.sock, "
				  "the egress proxy's /run/onlink/egress.sock)" : "");
		return 2;
	}
	json_t *root = json_loads(reply, 0, &jerr);
	if (!root || json_object_get(root, "error")) {
		fprintf(stderr, "onlink: bad answer from %s: %s\n", sock, root ? str(root, "error") : jerr.text);
		free(reply);
		json_decref(root);
		return 1;
	}
	if (json) {
		char *pretty = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		puts(pretty);
		free(pretty);
	} else {
		print_text(root);
		print_version_note(root);
	}
	json_decref(root);
	free(reply);
	return 0;
}
