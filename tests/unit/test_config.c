/* Config parsing: golden files for good configs, and the exact
 * "FILE:LINE: message" for each kind of bad one. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <fcntl.h>
#include "conf/config.h"
#include "conf/schema.h"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 65536);
	if (f) {
		size_t n = fread(buf, 1, 65535, f);
		buf[n] = 0;
		fclose(f);
	}
	return buf;
}

static void golden(const char *conf, const char *expect)
{
	struct config c;
	char *out = NULL, *want = slurp(expect);
	size_t len = 0;
	int r = config_load(conf, &c);
	if (r)
		fail_msg("%s", c.err);
	FILE *m = open_memstream(&out, &len);
	config_print(&c, m);
	fclose(m);
	assert_string_equal(out, want);
	config_free(&c);
	free(out);
	free(want);
}

static void good_switch(void **state) { (void)state; golden("tests/config/switch.conf", "tests/config/switch.conf.normalized"); }
static void good_host(void **state) { (void)state; golden("tests/config/host.conf", "tests/config/host.conf.normalized"); }

/* The normalized output is itself a valid config that prints the same. */
static void normalized_is_fixed_point(void **state)
{
	(void)state;
	golden("tests/config/switch.conf.normalized", "tests/config/switch.conf.normalized");
}

struct bad { const char *text; int line; const char *msg; };

static const struct bad bad_cases[] = {
	{ "[switch]\nname = sw1\nmetrics = localhost\n", 3, "metrics: bad address 'localhost' (ADDR:PORT or [ADDR6]:PORT)" },
	{ "[host]\nname = h1\nsyslog = maybe\n", 3, "syslog: bad value 'maybe' (yes or no)" },
	{ "[switch]\nname = sw1\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\n[bogus]\n", 5, "unknown section '[bogus]'" },
	{ "[switch]\nname = sw1\ncolour = blue\n", 3, "unknown key 'colour' in [switch]" },
	{ "[switch]\nname = sw1\nlisten = 10.0.0.300:4710\n", 3, "listen: bad address '10.0.0.300:4710' (ADDR:PORT or [ADDR]:PORT)" },
	{ "[switch]\nname = sw1\nlisten = 2001:db8::1:4710\n", 3, "listen: bad address '2001:db8::1:4710' (ADDR:PORT or [ADDR]:PORT)" },
	{ "[switch]\nname = sw1\nprivate-key-file = tests/config/key\n", 3, "[switch]: missing 'listen'" },
	{ "[switch]\nname = sw1\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\n[provider a]\naddress = 10.0.1.1\ninterface = br0\n", 5, "[provider a]: missing 'table'" },
	{ "[switch]\nname = sw1\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\n[provider a]\naddress = 10.0.1.1\ninterface = br0\ntable = 101\n[provider b]\naddress = 10.0.2.1\ninterface = br0\ntable = 101\n", 9, "[provider b]: table 101 already used by provider 'a' (line 5)" },
	{ "[switch]\nname = sw1\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\n[provider a]\naddress = 10.0.1.1\ninterface = br0\ntable = 101\n[provider b]\naddress = 10.0.1.1\ninterface = br0\ntable = 102\n", 9, "[provider b]: address '10.0.1.1' already used by provider 'a' (line 5)" },
	{ "[switch]\n[provider a]\naddress = 10.0.1.one\n", 3, "address: bad address '10.0.1.one'" },
	{ "[switch]\n[provider a]\ntable = 254\n", 3, "table: bad table id '254' (1 to 4294967295, not 253-255)" },
	{ "[switch]\n[provider a]\ntable = -1\n", 3, "table: bad table id '-1' (1 to 4294967295, not 253-255)" },
	{ "[switch]\n[provider a]\n[provider a]\n", 3, "provider 'a' defined twice (first at line 2)" },
	{ "[switch]\n[provider a/b]\n", 2, "section '[provider a/b]': bad name 'a/b'" },
	{ "[switch]\nname = sw1\nlisten = 10.0.0.1:1\nprivate-key-file = /nonexistent/key\n", 4, "private-key-file: cannot use '/nonexistent/key': No such file or directory" },
	{ "[switch]\nname = sw1\nlisten = 10.0.0.1:1\nprivate-key-file = /tmp/onlink-test-notakey\n", 4, "private-key-file: cannot use '/tmp/onlink-test-notakey': not a base64 key of 32 bytes (make one with 'onlink genkey')" },
	{ "[switch]\nname = sw1\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\n[provider a]\naddress = 10.0.1.1\ninterface = br0\ntable = 101\nbackup = a\n", 9, "backup: provider 'a' cannot back itself up" },
	{ "[switch]\nname = sw1\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\n[provider a]\naddress = 10.0.1.1\ninterface = br0\ntable = 101\nbackup = b\n[provider b]\naddress = 10.0.2.1\ninterface = br0\ntable = 102\nbackup = c\n[provider c]\naddress = 10.0.3.1\ninterface = br0\ntable = 103\nbackup = a\n", 9, "backup: provider 'a' is its own backup through 'b' (a cycle)" },
	{ "[switch]\nname = sw1\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\n[provider a]\naddress = 10.0.1.1\ninterface = br0\ntable = 101\nbird-protocol = t_a4\n", 5, "[provider a]: bird-protocol needs 'bird-socket' in [switch]" },
	{ "[switch]\nname = sw1\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\nbird-socket = /run/bird.ctl\n[provider a]\naddress = 10.0.1.1\ninterface = br0\ntable = 101\nbird-protocol = t_a4\n[provider b]\naddress = 10.0.2.1\ninterface = br0\ntable = 102\nbird-protocol = t_a4\n", 11, "[provider b]: BIRD protocol 't_a4' already belongs to provider 'a'" },
	{ "[switch]\n[provider a]\nbird-protocol = t-a4\n", 3, "bird-protocol: bad BIRD protocol name 't-a4' (letters, digits, '_')" },
	{ "[switch]\n[provider a]\nhold-down = 30 s\n", 3, "hold-down: bad duration '30 s' (0 to 1h, for example '30s')" },
	{ "[switch]\n[provider a]\nhold-down = 2h\n", 3, "hold-down: bad duration '2h' (0 to 1h, for example '30s')" },
	{ "[switch]\nbird-poll = 5ms\n", 2, "bird-poll: bad duration '5ms' (10ms to 60s, for example '250ms')" },
	{ "[switch]\nfast-path = 10.0.0.1:4714\n", 2, "fast-path: bad group '10.0.0.1:4714' (a multicast GROUP:PORT or [GROUP]:PORT)" },
	{ "[switch]\nfast-path = 239.1.2.3:0\n", 2, "fast-path: bad group '239.1.2.3:0' (a multicast GROUP:PORT or [GROUP]:PORT)" },
	{ "[switch]\nfast-path = ff02::1:4714\n", 2, "fast-path: bad group 'ff02::1:4714' (a multicast GROUP:PORT or [GROUP]:PORT)" },
	{ "[switch]\nfast-path-delay = 20s\n", 2, "fast-path-delay: bad duration '20s' (0 to 10s, for example '100ms')" },
	{ "[switch]\nname = sw1\nfast-path = [ff02::4714]:4714\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\n", 3, "fast-path: needs 'fast-path-interface' (the hosts' segment)" },
	{ "[switch]\nname = sw1\nlisten = 10.0.0.1:1\nfast-path-interface = br0\nprivate-key-file = tests/config/key\n", 4, "fast-path-interface: no 'fast-path' to send on it" },
	{ "[switch]\n[provider a]\ndescription = say \"hi\"\n", 3, "description: bad value 'say \"hi\"' (at most 127 characters, no '\"' or '\\')" },
	{ "name = x\n", 1, "key 'name' outside any section" },
	{ "[switch]\nown-prefix = 198.18.0.1/15\n", 2, "own-prefix: bad prefix '198.18.0.1/15' (PREFIX [le N], host bits zero: '198.51.100.0/22 le 24')" },
	{ "[switch]\nown-prefix = 198.18.0.0/15 le 8\n", 2, "own-prefix: bad 'le 8' after the prefix (le N, with N from 15 to 32)" },
	{ "[switch]\nown-prefix = 2001:db8::/32 ge 48\n", 2, "own-prefix: bad 'ge 48' after the prefix (le N, with N from 32 to 128)" },
	{ "[switch]\n[provider a]\naddress = fe80::1\n", 3, "address: 'fe80::1' is link-local (a next hop that names no link once it reaches a host), not a provider's address" },
	{ "[switch]\n[provider a]\naddress = ::ffff:10.0.1.1\n", 3, "address: '::ffff:10.0.1.1' is an IPv4-mapped IPv6 address (write the IPv4 address), not a provider's address" },
	{ "[switch]\n[provider a]\naddress = 127.0.0.1\n", 3, "address: '127.0.0.1' is loopback, not a provider's address" },
	{ "[switch]\n[provider a]\naddress = ::1\n", 3, "address: '::1' is loopback, not a provider's address" },
	{ "[switch]\n[provider a]\naddress = 169.254.0.1\n", 3, "address: '169.254.0.1' is link-local, not a provider's address" },
	{ "[switch]\n[provider a\ntable = 101\n", 2, "syntax error (a section header with no ']')" },
	/* nothing typed reaches BIRD's config, a port's alias or a terminal unchecked */
	{ "[switch]\n[provider a]\ninterface = br0\", \"*\n", 3, "interface: bad interface 'br0\", \"*' (an interface name: at most 15 bytes; no blank, quote, backslash, /, :, * or ?)" },
	{ "[switch]\n[provider a]\ninterface = x\";}#\n", 3, "interface: bad interface 'x\";}#' (an interface name: at most 15 bytes; no blank, quote, backslash, /, :, * or ?)" },
	{ "[switch]\n[provider a]\ninterface = *\n", 3, "interface: bad interface '*' (an interface name: at most 15 bytes; no blank, quote, backslash, /, :, * or ?)" },
	{ "[switch]\n[provider a]\ninterface = br0br0br0br0br0b\n", 3, "interface: bad interface 'br0br0br0br0br0b' (an interface name: at most 15 bytes; no blank, quote, backslash, /, :, * or ?)" },
	{ "[switch]\n[provider a]\nport = sw pa\n", 3, "port: bad interface 'sw pa' (an interface name: at most 15 bytes; no blank, quote, backslash, /, :, * or ?)" },
	{ "[host]\ninterface = eth0:1\n", 2, "interface: bad interface 'eth0:1' (an interface name: at most 15 bytes; no blank, quote, backslash, /, :, * or ?)" },
	{ "[switch]\nfast-path-interface = br\\0\n", 2, "fast-path-interface: bad value 'br\\0'" },
	{ "[switch]\n[provider a]\ndescription = Transit \x1b[31mA\x07\n", 3, "description: a control byte (0x1b) in the value: refused" },
	{ "[switch]\n[provider a]\ndescription = a\rb\n", 3, "description: a control byte (0x0d) in the value: refused" },
	{ "[switch]\n[provider a]\ndescription = del\x7f\n", 3, "description: a control byte (0x7f) in the value: refused" },
	{ "[switch]\nname = s\x01\n", 2, "name: a control byte (0x01) in the value: refused" },
	{ "[switch]\ncol\x1bour = x\n", 2, "col\\x1bour: a control byte (0x1b) in the key: refused" },
	{ "[host]\nname = h1\ninterface = eth0\naddress = 10.0.0.1\naddress = 10.0.0.2\n", 5, "address: a second IPv4 address '10.0.0.2' (one per family)" },
	{ "[host]\nname = h1\ninterface = eth0\naddress = 10.0.0.1\nprivate-key-file = tests/config/key\n", 5, "[host]: no '[switch NAME]' section" },
	{ "[host]\nname = h1\ninterface = eth0\naddress = 10.0.0.1\n[switch sw1]\nconnect = 10.0.0.1\npublic-key = GKjzgjim4M2101d9XVXJ13nTosEj2d61kgKL1IanUWc=\n", 6, "connect: bad address '10.0.0.1' (ADDR:PORT or [ADDR]:PORT)" },
	{ "[host]\nname = h1\n[switch]\n", 3, "section '[switch]' repeated or mixed with '[host]'" },
	{ "[host]\nthis line is not ini\n", 2, "syntax error (expected '[section]' or 'key = value')" },
	{ "[host]\nname = h1 h2\n", 2, "name: bad name 'h1 h2' (letters, digits, '.', '_', '-'; at most 31)" },
	{ "[switch]\nname = s\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\n[host h1]\npublic-key = GKjzgjim4M2101d9XVXJ13nTosEj2d61kgKL1IanUWc=\n[host h2]\npublic-key = e0OhdxV7ANWdeO6Ca5cLY333Ig3PNHe44KVbz0xaBU0=\n[egress-pool p]\naddress = 192.0.2.20\nslice-size = 3000\n", 9, "[egress-pool p]: slice-size 3000 is not a power of two" },
	{ "[switch]\nname = s\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\n[host h1]\npublic-key = GKjzgjim4M2101d9XVXJ13nTosEj2d61kgKL1IanUWc=\n[host h2]\npublic-key = e0OhdxV7ANWdeO6Ca5cLY333Ig3PNHe44KVbz0xaBU0=\n[egress-pool p]\naddress = 192.0.2.20\nslice-size = 128\n", 11, "slice-size: bad size '128' (a power of two from 256 to 32768)" },
	{ "[switch]\nname = s\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\n[host h1]\npublic-key = GKjzgjim4M2101d9XVXJ13nTosEj2d61kgKL1IanUWc=\n[host h2]\npublic-key = e0OhdxV7ANWdeO6Ca5cLY333Ig3PNHe44KVbz0xaBU0=\n[egress-pool p]\naddress = 192.0.2.20\nslice-size = 256\nports = 10000-10600\n", 9, "[egress-pool p]: 1 IPv4 slices (1 per address) for 2 hosts: more addresses, a wider 'ports' or a smaller 'slice-size'" },
	{ "[switch]\nname = s\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\n[host h1]\npublic-key = GKjzgjim4M2101d9XVXJ13nTosEj2d61kgKL1IanUWc=\n[host h2]\npublic-key = e0OhdxV7ANWdeO6Ca5cLY333Ig3PNHe44KVbz0xaBU0=\n[egress-pool p]\naddress = 192.0.2.20\nslice-size = 1024\nports = 10000-10999\n", 12, "[egress-pool p]: ports 10000-10999 hold no whole slice of 1024 aligned ports" },
	{ "[switch]\nname = s\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\n[host h1]\npublic-key = GKjzgjim4M2101d9XVXJ13nTosEj2d61kgKL1IanUWc=\n[host h2]\npublic-key = e0OhdxV7ANWdeO6Ca5cLY333Ig3PNHe44KVbz0xaBU0=\n[egress-pool p]\naddress = 192.0.2.20\nports = 80-1000\n", 11, "ports: bad port range '80-1000' (FIRST-LAST within 1024-65535)" },
	{ "[switch]\nname = s\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\n[host h1]\npublic-key = GKjzgjim4M2101d9XVXJ13nTosEj2d61kgKL1IanUWc=\n[host h2]\npublic-key = e0OhdxV7ANWdeO6Ca5cLY333Ig3PNHe44KVbz0xaBU0=\n[egress-pool p]\naddress = 192.0.2.20\nhosts = h1 h3\n", 11, "hosts: 'h3' is not a known host (give it a '[host h3]' section)" },
	{ "[switch]\nname = s\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\n[host h1]\npublic-key = GKjzgjim4M2101d9XVXJ13nTosEj2d61kgKL1IanUWc=\n[host h2]\npublic-key = e0OhdxV7ANWdeO6Ca5cLY333Ig3PNHe44KVbz0xaBU0=\n[egress-pool p]\naddress = 192.0.2.20\nhosts = h1 h1\n", 11, "hosts: 'h1' listed twice" },
	{ "[switch]\nname = s\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\n[host h1]\npublic-key = GKjzgjim4M2101d9XVXJ13nTosEj2d61kgKL1IanUWc=\n[host h2]\npublic-key = e0OhdxV7ANWdeO6Ca5cLY333Ig3PNHe44KVbz0xaBU0=\n[egress-pool p]\nquarantine = 1m\n", 9, "[egress-pool p]: missing 'address'" },
	{ "[switch]\nname = s\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\n[host h1]\npublic-key = GKjzgjim4M2101d9XVXJ13nTosEj2d61kgKL1IanUWc=\n[host h2]\npublic-key = e0OhdxV7ANWdeO6Ca5cLY333Ig3PNHe44KVbz0xaBU0=\n[egress-pool p]\naddress = 192.0.2.20\n[egress-pool q]\naddress = 192.0.2.20\n", 12, "address: 192.0.2.20 already belongs to pool 'p' (line 10)" },
	{ "[switch]\nname = s\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\n[host h1]\npublic-key = GKjzgjim4M2101d9XVXJ13nTosEj2d61kgKL1IanUWc=\n[host h2]\npublic-key = e0OhdxV7ANWdeO6Ca5cLY333Ig3PNHe44KVbz0xaBU0=\n[egress 192.0.2.20]\nslice = h1 10000-19999\n[egress-pool p]\naddress = 192.0.2.20\n", 12, "address: 192.0.2.20 already has fixed slices ([egress 192.0.2.20], line 9)" },
	{ "[switch]\nname = s\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\n[host h1]\npublic-key = GKjzgjim4M2101d9XVXJ13nTosEj2d61kgKL1IanUWc=\n[host h2]\npublic-key = e0OhdxV7ANWdeO6Ca5cLY333Ig3PNHe44KVbz0xaBU0=\n[egress-pool p]\naddress = 192.0.2.0/24\n", 10, "address: bad address '192.0.2.0/24' (an IPv4 or IPv6 host address)" },
	{ "[switch]\nname = s\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\n[host h1]\npublic-key = GKjzgjim4M2101d9XVXJ13nTosEj2d61kgKL1IanUWc=\n[host h2]\npublic-key = e0OhdxV7ANWdeO6Ca5cLY333Ig3PNHe44KVbz0xaBU0=\n[egress-pool p]\n[egress-pool p]\n", 10, "egress pool 'p' defined twice (first at line 9)" },
	{ "[host]\nname = h1\ninterface = eth0\naddress = 10.0.0.1\nprivate-key-file = tests/config/key\n[switch sw1]\nconnect = 10.0.0.1:1\npublic-key = GKjzgjim4M2101d9XVXJ13nTosEj2d61kgKL1IanUWc=\n[egress-pool p]\naddress = 192.0.2.20\n", 9, "[egress-pool p] belongs in a switch's config" },
	{ "[switch]\nname = s\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\n[host h1]\npublic-key = GKjzgjim4M2101d9XVXJ13nTosEj2d61kgKL1IanUWc=\n[host h2]\npublic-key = e0OhdxV7ANWdeO6Ca5cLY333Ig3PNHe44KVbz0xaBU0=\nhost-dead-after = 100ms\n", 9, "unknown key 'host-dead-after' in [host h2]" },
	{ "", 1, "no '[switch]' or '[host]' section" },
	{ "[switch]\nname = s\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\n[host h1]\npublic-key = GKjzgjim4M2101d9XVXJ13nTosEj2d61kgKL1IanUWc=\n[host h2]\npublic-key = e0OhdxV7ANWdeO6Ca5cLY333Ig3PNHe44KVbz0xaBU0=\n[egress 192.0.2.10]\nslice = h1 10000-19999\nslice = h2 15000-20000\n", 11, "slice: 15000-20000 of 'h2' overlaps 10000-19999 of 'h1' (line 10)" },
	{ "[switch]\nname = s\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\n[host h1]\npublic-key = GKjzgjim4M2101d9XVXJ13nTosEj2d61kgKL1IanUWc=\n[egress 192.0.2.10]\nslice = h3 10000-19999\n", 8, "slice: 'h3' is not a known host (give it a '[host h3]' section)" },
	{ "[switch]\n[egress 192.0.2.10]\nslice = h1 80-1000\n", 3, "slice: bad port range '80-1000' (within 1024-65535, first <= last)" },
	{ "[switch]\n[egress 192.0.2.10]\nslice = h1 20000-10000\n", 3, "slice: bad port range '20000-10000' (within 1024-65535, first <= last)" },
	{ "[switch]\n[egress 192.0.2.10]\nslice = h1\n", 3, "slice: bad value 'h1' (HOST FIRST-LAST, for example 'h1 10000-19999')" },
	{ "[switch]\n[egress 192.0.2.x]\n", 2, "section '[egress 192.0.2.x]': bad address '192.0.2.x'" },
	{ "[switch]\nname = s\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\n[egress 192.0.2.10]\nslice = h1 10000-19999\nslice = h1 30000-39999\n[host h1]\npublic-key = GKjzgjim4M2101d9XVXJ13nTosEj2d61kgKL1IanUWc=\n", 7, "slice: host 'h1' already has a slice of 192.0.2.10 (line 6)" },
	/* per-node keys (protocol version 5): the pre-shared key and the host list are gone, with a pointer to what replaced them */
	{ "[switch]\nname = s\nlisten = 10.0.0.1:1\nkey-file = tests/config/key\n", 4, "key-file: the POP's pre-shared key is gone (protocol version 5): each agent has its own key pair. Give 'private-key-file' here ('onlink genkey'), and each peer's public key ('onlink pubkey') as 'public-key' in a [host NAME] section per host" },
	{ "[host]\nname = h1\ninterface = eth0\naddress = 10.0.0.1\nkey-file = tests/config/key\n", 5, "key-file: the POP's pre-shared key is gone (protocol version 5): each agent has its own key pair. Give 'private-key-file' here ('onlink genkey'), and each peer's public key ('onlink pubkey') as 'public-key' in each [switch NAME]" },
	{ "[switch]\nname = s\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\nhost = h1\n", 5, "host: hosts are now '[host NAME]' sections, each with the host agent's 'public-key' ('onlink pubkey' of its private key)" },
	{ "[switch]\nname = s\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\n[host h1]\n", 5, "[host h1]: missing 'public-key'" },
	{ "[switch]\nname = s\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\n[host h1]\npublic-key = abc\n", 6, "public-key: bad public key 'abc' (base64, from 'onlink pubkey')" },
	{ "[switch]\nname = s\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\n[host h1]\npublic-key = AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", 6, "public-key: bad public key 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' (base64, from 'onlink pubkey')" },
	{ "[switch]\nname = s\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\n[host h1]\npublic-key = GKjzgjim4M2101d9XVXJ13nTosEj2d61kgKL1IanUWc=\n[host h2]\npublic-key = GKjzgjim4M2101d9XVXJ13nTosEj2d61kgKL1IanUWc=\n", 7, "[host h2]: public-key already belongs to host 'h1' (line 5)" },
	{ "[switch]\nname = s\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\n[host h1]\npublic-key = ApF6xHohC02goKk+lYc+nESgPqptarDXs6f6KnSSdH0=\n", 5, "[host h1]: public-key is this switch agent's own (from tests/config/key)" },
	{ "[switch]\nname = s\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\n[host h1]\npublic-key = GKjzgjim4M2101d9XVXJ13nTosEj2d61kgKL1IanUWc=\n[host h1]\npublic-key = e0OhdxV7ANWdeO6Ca5cLY333Ig3PNHe44KVbz0xaBU0=\n", 7, "host 'h1' defined twice (first at line 5)" },
	{ "[host]\nname = h1\ninterface = eth0\naddress = 10.0.0.1\nprivate-key-file = tests/config/key\n[switch s]\nconnect = 10.0.0.2:1\n", 6, "[switch s]: missing 'public-key'" },
	{ "[host]\nname = h1\ninterface = eth0\naddress = 10.0.0.1\nprivate-key-file = tests/config/key\n[switch s]\nconnect = 10.0.0.2:1\npublic-key = ApF6xHohC02goKk+lYc+nESgPqptarDXs6f6KnSSdH0=\n", 6, "[switch s]: public-key is this host agent's own (from tests/config/key)" },
	{ "[host]\nname = h1\ninterface = eth0\naddress = 10.0.0.1\nprivate-key-file = tests/config/key\n[switch s]\nconnect = 10.0.0.2:1\npublic-key = GKjzgjim4M2101d9XVXJ13nTosEj2d61kgKL1IanUWc=\n[host h2]\npublic-key = e0OhdxV7ANWdeO6Ca5cLY333Ig3PNHe44KVbz0xaBU0=\n", 9, "[host h2] belongs in a switch's config" },
	{ "[switch]\nname = s\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\n[egress 192.0.2.10]\n", 5, "[egress 192.0.2.10]: no 'slice'" },
	{ "[switch]\n[egress 192.0.2.10]\n[egress 192.0.2.10]\n", 3, "egress address '192.0.2.10' defined twice (first at line 2)" },
	/* the BIRD sessions onlink writes (docs/bird.md) */
	{ "[switch]\n[provider a]\nremote-as = 0\n", 3, "remote-as: bad AS number '0' (1 to 4294967295)" },
	{ "[switch]\n[provider a]\nremote-as = 4294967296\n", 3, "remote-as: bad AS number '4294967296' (1 to 4294967295)" },
	{ "[switch]\nlocal-as = 65000x\n", 2, "local-as: bad AS number '65000x' (1 to 4294967295)" },
	{ "[switch]\n[provider a]\npassword = say \"hi\"\n", 3, "password: character 5 is '\"' (printable ASCII without '\"' and '\\', which BIRD cannot take)" },
	{ "[switch]\n[provider a]\npassword = a\\b\n", 3, "password: character 2 is '\\' (printable ASCII without '\"' and '\\', which BIRD cannot take)" },
	{ "[switch]\n[provider a]\npassword = caf\xc3\xa9\n", 3, "password: character 4 is not printable ASCII (printable ASCII without '\"' and '\\', which BIRD cannot take)" },
	{ "[switch]\n[provider a]\npassword = xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n", 3, "password: 81 characters (1 to 80)" },
	{ "[switch]\n[provider a]\nimport-limit = 1000 disable\n", 3, "import-limit: bad action 'disable' (warn, block or restart; 'disable' would be undone, as onlink keeps enabled every session it does not hold down)" },
	{ "[switch]\n[provider a]\nimport-limit = lots\n", 3, "import-limit: bad value 'lots' (a prefix count, 1 to 4294967295, then optionally warn, block or restart)" },
	{ "[switch]\n[provider a]\nlocal-pref = -1\n", 3, "local-pref: bad value '-1' (0 to 4294967295)" },
	{ "[switch]\nbird-export = pop-export\n", 2, "bird-export: bad BIRD name 'pop-export' (letters, digits and '_', not starting with a digit)" },
	{ "[switch]\nbird-hosts = maybe\n", 2, "bird-hosts: bad value 'maybe' (yes or no)" },
	{ "[egress]\nclients = 100.64.0.0/10\nflow-buffer = 32k\n", 3, "flow-buffer: bad size '32k' (64k to 64m)" },
	{ "[egress]\nclients = 100.64.0.0/10\nflow-buffer = 1g\n", 3, "flow-buffer: bad size '1g' (64k to 64m)" },
	{ "[egress]\nclients = 100.64.0.0/10\nflow-buffer = 256kk\n", 3, "flow-buffer: bad size '256kk' (64k to 64m)" },
	{ "[egress]\nclients = 100.64.0.0/10\nclient-flows = 0\n", 3, "client-flows: bad value '0' (1 to 1000000)" },
	{ "[switch]\nname = s\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\nbird-socket = /run/bird.ctl\n[provider a]\naddress = 10.0.1.1\ninterface = br0\ntable = 101\nremote-as = 65001\n", 6, "[provider a]: onlink writes its BIRD sessions (remote-as without bird-protocol), which needs 'bird-include' in [switch]" },
	{ "[switch]\nname = s\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\nbird-socket = /run/bird.ctl\nbird-include = /tmp/x.conf\n[provider a]\naddress = 10.0.1.1\ninterface = br0\ntable = 101\nremote-as = 65001\n", 7, "[provider a]: onlink writes its BIRD sessions (remote-as without bird-protocol), which needs 'local-as' in [switch]" },
	{ "[switch]\nname = s\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\nbird-socket = /run/bird.ctl\nbird-include = /tmp/x.conf\n[provider a]\naddress = 10.0.1.1\ninterface = br0\ntable = 101\nbird-protocol = a4\npassword = x\n", 7, "[provider a]: password is for the BIRD sessions onlink writes (remote-as, no bird-protocol, and bird-socket in [switch]); write it in BIRD's own config" },
	{ "[switch]\nname = s\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\nbird-socket = /run/bird.ctl\nbird-include = /tmp/x.conf\nlocal-as = 65000\n[provider a-b]\naddress = 10.0.1.1\ninterface = br0\ntable = 101\nremote-as = 65001\n[provider a_b]\naddress = 10.0.2.1\ninterface = br0\ntable = 102\nremote-as = 65002\n", 13, "[provider a_b]: BIRD protocol 'onlink_a_b4' already belongs to provider 'a-b'" },
	{ "[switch]\nname = s\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\nbird-socket = /run/bird.ctl\nbird-include = /tmp/x.conf\nlocal-as = 65000\nbird-hosts = yes\n[host h1]\npublic-key = GKjzgjim4M2101d9XVXJ13nTosEj2d61kgKL1IanUWc=\n", 9, "[host h1]: bird-hosts = yes needs the host's 'address' for its BIRD session" },
	{ "[switch]\nname = s\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\nbird-hosts = yes\n", 5, "bird-hosts: needs 'local-as', 'bird-socket' and 'bird-include' in [switch]" },
	{ "[switch]\nname = s\n[host h1]\naddress = 10.0.0.300\n", 4, "address: bad address '10.0.0.300' (the host's IPv4 or IPv6 address on the switch's segment)" },
	/* [probe] (host agent) */
	{ "[host]\nname = h1\n[probe]\ntarget = example.com\n", 4, "target: bad target 'example.com' (an IPv4 or IPv6 address, optionally followed by tcp:PORT)" },
	{ "[host]\nname = h1\n[probe]\ntarget = 203.0.113.1 tcp:70000\n", 4, "target: bad target '203.0.113.1 tcp:70000' (an IPv4 or IPv6 address, optionally followed by tcp:PORT)" },
	{ "[host]\nname = h1\n[probe]\ntarget = 224.0.0.1\n", 4, "target: bad target '224.0.0.1' (an IPv4 or IPv6 address, optionally followed by tcp:PORT)" },
	{ "[host]\nname = h1\n[probe]\ntarget = 203.0.113.1\ntarget = 203.0.113.1\n", 5, "target: '203.0.113.1' given twice (first at line 4)" },
	{ "[host]\nname = h1\n[probe]\ninterval = 50ms\n", 4, "interval: bad duration '50ms' (100ms to 60s, for example '1s')" },
	{ "[host]\nname = h1\n[probe]\n[probe]\n", 4, "section '[probe]' repeated (first at line 3)" },
	{ "[host]\nname = h1\ninterface = eth0\naddress = 10.0.0.1\nprivate-key-file = tests/config/key\n[switch s]\nconnect = 10.0.0.2:1\npublic-key = GKjzgjim4M2101d9XVXJ13nTosEj2d61kgKL1IanUWc=\n[probe]\ninterval = 1s\n", 9, "[probe]: no 'target'" },
	{ "[host]\nname = h1\ninterface = eth0\naddress = 10.0.0.1\nprivate-key-file = tests/config/key\n[switch s]\nconnect = 10.0.0.2:1\npublic-key = GKjzgjim4M2101d9XVXJ13nTosEj2d61kgKL1IanUWc=\n[probe]\ntarget = 203.0.113.1\ninterval = 100ms\ntimeout = 2s\n", 9, "[probe]: timeout (2000ms) at most 10 intervals (1000ms)" },
	{ "[switch]\nname = s\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\n[probe]\ntarget = 203.0.113.1\n", 5, "[probe] belongs in a host's config" },
	/* [steer] (switch agent) */
	{ "[switch]\nname = s\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\n[steer]\nprefix = 198.19.0.1/24\n", 6, "prefix: bad prefix '198.19.0.1/24' (ADDR/LEN, host bits zero)" },
	{ "[switch]\nname = s\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\n[steer]\nprefix = 198.19.0.0/24\ntarget = 198.18.0.1\n", 7, "[steer]: target 198.18.0.1 is in no steered prefix" },
	{ "[switch]\nname = s\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\n[steer]\nprefix = 198.19.0.0/24\nprefix = 203.0.113.0/24\ntarget = 198.19.0.1\n", 7, "[steer]: prefix 203.0.113.0/24 has no target to measure it" },
	{ "[switch]\nname = s\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\n[steer]\nprefix = 198.19.0.0/24\ntarget = 198.19.0.1\ninterval = 1s\nwindow = 1s\n", 5, "[steer]: window (1000ms) must hold at least two probe intervals (1000ms)" },
	{ "[switch]\nname = s\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\n[steer]\nprefix = 198.19.0.0/24\ntarget = 198.19.0.1\nttl = 10s\n", 5, "[steer]: ttl (10000ms) must be at least two windows (20000ms): overrides are renewed each window" },
	{ "[switch]\nname = s\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\n[steer]\nmin-gain-ratio = 110%\n", 6, "min-gain-ratio: bad percentage '110%' (0% to 100%)" },
	{ "[switch]\nname = s\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\n[steer]\nloss-gain = two\n", 6, "loss-gain: bad percentage 'two' (0% to 100%)" },
	{ "[switch]\nname = s\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\n[steer]\ntarget = 198.19.0.1\ntarget = 198.19.0.1\n", 7, "target: '198.19.0.1' given twice (first at line 6)" },
	{ "[host]\nname = h1\ninterface = eth0\naddress = 10.0.0.1\nprivate-key-file = tests/config/key\n[switch s]\nconnect = 10.0.0.2:1\npublic-key = GKjzgjim4M2101d9XVXJ13nTosEj2d61kgKL1IanUWc=\n[steer]\nprefix = 198.19.0.0/24\ntarget = 198.19.0.1\n", 9, "[steer] belongs in a switch's config" },
	/* [repath] (host agent) */
	{ "[host]\nname = h1\n[repath]\nafter-rtos = 16\n", 4, "after-rtos: bad count '16' (0 (off) to 15)" },
	{ "[host]\nname = h1\n[repath]\nafter-rtos = two\n", 4, "after-rtos: bad count 'two' (0 (off) to 15)" },
	{ "[host]\nname = h1\n[repath]\nproviders = a b a\n", 4, "providers: 'a' listed twice" },
	{ "[host]\nname = h1\n[repath]\nproviders = a b/c\n", 4, "providers: bad provider name 'b/c'" },
	{ "[host]\nname = h1\n[repath]\n[repath]\n", 4, "section '[repath]' repeated (first at line 3)" },
	{ "[host]\nname = h1\ninterface = eth0\naddress = 10.0.0.1\nprivate-key-file = tests/config/key\n[switch s]\nconnect = 10.0.0.2:1\npublic-key = GKjzgjim4M2101d9XVXJ13nTosEj2d61kgKL1IanUWc=\n[repath]\ncgroup = sys/fs/cgroup\n", 9, "[repath]: cgroup 'sys/fs/cgroup' is not an absolute path" },
	{ "[switch]\nname = s\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\n[repath]\n", 5, "[repath] belongs in a host's config" },
	/* lines of any length, counted exactly (inih's own buffer is 200 bytes) */
	{ "[switch]\nname = sw1\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\n\n\n\n\n\n\n#xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n[bogus]\n", 12, "unknown section '[bogus]'" },
	{ "[switch]\nname = sw1\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\n\n\n\n\n\n#yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\n\nbogus = 1\n", 12, "unknown key 'bogus' in [switch]" },
	{ "[switch]\nlisten = 10.0.0.1:1\nname = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", 3, "name: bad name 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' (letters, digits, '.', '_', '-'; at most 31)" },
	{ "[switch]\nlisten = 10.0.0.1:1\naaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", 3, "syntax error (expected '[section]' or 'key = value')" },
	/* a key given twice is an error, not "the last one wins" */
	{ "[switch]\nname = sw1\nlisten = 10.0.0.1:1\nname = sw2\n", 4, "'name' given twice in [switch] (first on line 2)" },
	{ "[switch]\nname = sw1\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\n[provider a]\naddress = 10.0.1.1\ntable = 101\ninterface = br0\ntable = 102\n", 9, "'table' given twice in [provider a] (first on line 7)" },
	{ "[host]\nname = h1\nkeepalive = 2\n[switch s]\nconnect = 10.0.0.1:1\npublic-key = GKjzgjim4M2101d9XVXJ13nTosEj2d61kgKL1IanUWc=\nconnect = 10.0.0.2:1\npublic-key = GKjzgjim4M2101d9XVXJ13nTosEj2d61kgKL1IanUWc=\n", 7, "'connect' given twice in [switch s] (first on line 5)" },
	/* an address that cannot be a machine's */
	{ "[host]\nname = h1\ninterface = eth0\naddress = ::\n", 4, "address: '::' is unspecified, not this host's address" },
	{ "[host]\nname = h1\naddress = 224.0.0.1\n", 3, "address: '224.0.0.1' is multicast, not this host's address" },
	{ "[host]\nname = h1\naddress = 0.0.0.0\n", 3, "address: '0.0.0.0' is unspecified, not this host's address" },
	{ "[switch]\nname = sw1\nlisten = 10.0.0.1:1\nprivate-key-file = tests/config/key\n[provider a]\naddress = ff02::1\n", 6, "address: 'ff02::1' is multicast, not a provider's address" },
	{ "[host]\nname = h1\n[switch s]\nconnect = 255.255.255.255:4710\npublic-key = GKjzgjim4M2101d9XVXJ13nTosEj2d61kgKL1IanUWc=\n", 4, "connect: '255.255.255.255:4710' is broadcast, not a switch agent's address" },
	/* one listening address, one socket */
	{ "[switch]\nname = sw1\nlisten = 10.0.0.1:4710\nmetrics = 10.0.0.1:4710\nprivate-key-file = tests/config/key\n", 4, "metrics: '10.0.0.1:4710' clashes with 'listen = 10.0.0.1:4710' on line 3" },
	{ "[switch]\nname = sw1\nmetrics = 0.0.0.0:4710\nlisten = 10.0.0.1:4710\nprivate-key-file = tests/config/key\n", 3, "metrics: '0.0.0.0:4710' clashes with 'listen = 10.0.0.1:4710' on line 4" },
	{ "[switch]\nname = sw1\nlisten = 10.0.0.1:4710\nlisten = 10.0.0.1:4710\n", 4, "listen: '10.0.0.1:4710' clashes with '10.0.0.1:4710' on line 3" },
	{ "[switch]\nname = sw1\nlisten = [::]:4710\nlisten = 10.0.0.1:4710\n", 4, "listen: '10.0.0.1:4710' clashes with '[::]:4710' on line 3" },
	{ "[host]\nname = h1\ninterface = eth0\naddress = 10.10.0.11\nprivate-key-file = tests/config/key\n[switch a]\nconnect = 10.10.0.1:4710\npublic-key = GKjzgjim4M2101d9XVXJ13nTosEj2d61kgKL1IanUWc=\n[switch b]\nconnect = 10.10.0.1:4710\npublic-key = GKjzgjim4M2101d9XVXJ13nTosEj2d61kgKL1IanUWc=\n", 9, "[switch b]: the same interface (eth0) and connect (10.10.0.1:4710) as [switch a] on line 6" },
	{ "[host]\nname = h1\ninterface = eth0\naddress = 10.10.0.11\nprivate-key-file = tests/config/key\n[switch a]\nconnect = 10.10.0.1:4710\npublic-key = GKjzgjim4M2101d9XVXJ13nTosEj2d61kgKL1IanUWc=\n[switch b]\nconnect = 10.10.0.1:4710\npublic-key = GKjzgjim4M2101d9XVXJ13nTosEj2d61kgKL1IanUWc=\ninterface = eth1\n[switch c]\nconnect = 10.10.0.1:4710\npublic-key = GKjzgjim4M2101d9XVXJ13nTosEj2d61kgKL1IanUWc=\ninterface = eth1\n", 13, "[switch c]: the same interface (eth1) and connect (10.10.0.1:4710) as [switch b] on line 9" },
	{ "[host]\nname = h1\ninterface = eth0\naddress = 10.10.0.11\nprivate-key-file = tests/config/key\n[switch a]\nconnect = 10.10.0.1:4710\npublic-key = GKjzgjim4M2101d9XVXJ13nTosEj2d61kgKL1IanUWc=\ninterface = onlink0p\n", 6, "[switch a]: interface onlink0p is the provider device's (provider-device)" },
	{ "[host]\nname = h1\ninterface = eth0\naddress = 10.10.0.11\nprivate-key-file = tests/config/key\n[switch a]\nconnect = 10.10.0.1:4710\npublic-key = GKjzgjim4M2101d9XVXJ13nTosEj2d61kgKL1IanUWc=\nprobe-interval = 5ms\n", 6, "[switch a]: probe-interval: at least 10ms, or 0 for none" },
	{ "[host]\nname = h1\ninterface = eth0\naddress = 10.10.0.11\nprivate-key-file = tests/config/key\n[switch a]\nconnect = 10.10.0.1:4710\npublic-key = GKjzgjim4M2101d9XVXJ13nTosEj2d61kgKL1IanUWc=\nprobe-interval = 300ms\n", 6, "[switch a]: dead-after (500ms) must be at least two probe intervals (600ms)" },
};

static void bad_configs(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		char path[] = "/tmp/onlink-cfg-XXXXXX", want[512];
		struct config c;
		int fd = mkstemp(path);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, bad_cases[i].text, strlen(bad_cases[i].text)), (ssize_t)strlen(bad_cases[i].text));
		close(fd);
		if (config_load(path, &c) != -1)
			fail_msg("case %zu: loaded", i);
		snprintf(want, sizeof(want), "%s:%d: %s", path, bad_cases[i].line, bad_cases[i].msg);
		if (strcmp(c.err, want))
			fail_msg("case %zu:\n  got:  %s\n  want: %s", i, c.err, want);
		config_free(&c);
		unlink(path);
	}
}

/* [probe]: at most 1024 targets; the 1025th is refused at its line */
static void probe_targets_max(void **state)
{
	(void)state;
	char path[] = "/tmp/onlink-cfg-XXXXXX", want[256];
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fprintf(f, "[host]\nname = h1\n[probe]\n");
	for (int i = 0; i < 1025; i++)
		fprintf(f, "target = 10.%d.%d.1\n", i / 256, i % 256);
	fclose(f);
	struct config c;
	assert_int_equal(config_load(path, &c), -1);
	snprintf(want, sizeof(want), "%s:1028: target: at most 1024 targets", path);
	assert_string_equal(c.err, want);
	config_free(&c);
	unlink(path);
}

/* Valid lines longer than inih's buffer, with exact line numbers after them */
static void long_lines(void **state)
{
	(void)state;
	char path[] = "/tmp/onlink-cfg-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	struct config c;
	assert_non_null(f);
	fprintf(f, "[switch]\nname = sw1\n# %0*d\nlisten = 10.0.0.1:1   # %0*d\n", 5000, 0, 3000, 0);
	fprintf(f, "private-key-file = tests/config/key\n[provider a]\naddress = 10.0.1.1\ninterface = br0\ntable = 101\n");
	fprintf(f, "description = %0*d\n", 60, 7);
	fclose(f);
	if (config_load(path, &c))
		fail_msg("%s", c.err);
	assert_int_equal(c.sw.nlisten, 1);
	assert_int_equal(c.sw.providers[0].table, 101);
	config_free(&c);
	unlink(path);
}

/* A NUL byte does not cut a value short: the line is refused */
static void nul_byte(void **state)
{
	(void)state;
	static const char text[] = "[switch]\nname = s\0w1\nlisten = 10.0.0.1:1\n";
	char path[] = "/tmp/onlink-cfg-XXXXXX", want[300];
	int fd = mkstemp(path);
	struct config c;
	assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	close(fd);
	assert_int_equal(config_load(path, &c), -1);
	snprintf(want, sizeof(want), "%s:2: a NUL byte in the line", path);
	assert_string_equal(c.err, want);
	config_free(&c);
	unlink(path);
}

/* A private key readable by others is refused, as ssh refuses it */
static void key_mode(void **state)
{
	(void)state;
	char key[] = "/tmp/onlink-key-XXXXXX", conf[] = "/tmp/onlink-cfg-XXXXXX", want[600];
	int kfd = mkstemp(key), cfd = mkstemp(conf);
	struct config c;
	assert_true(kfd >= 0 && cfd >= 0);
	dprintf(kfd, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n");
	dprintf(cfd, "[switch]\nname = sw1\nlisten = 10.0.0.1:1\nprivate-key-file = %s\n", key);
	close(kfd);
	close(cfd);
	static const unsigned modes[] = { 0644, 0666, 0640, 0604, 0620 };
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		assert_int_equal(chmod(key, modes[i]), 0);
		assert_int_equal(config_load(conf, &c), -1);
		snprintf(want, sizeof(want),
			 "%s:4: private-key-file: '%s' has mode %04o: a private key must not be readable or writable by group or others (chmod 600 '%s')",
			 conf, key, modes[i], key);
		assert_string_equal(c.err, want);
		config_free(&c);
	}
	assert_int_equal(chmod(key, 0600), 0);
	assert_int_equal(config_load(conf, &c), 0);
	config_free(&c);
	assert_int_equal(chmod(key, 0400), 0);
	assert_int_equal(config_load(conf, &c), 0);
	config_free(&c);
	unlink(key);
	unlink(conf);
}

static void unreadable_file(void **state)
{
	(void)state;
	struct config c;
	assert_int_equal(config_load("/nonexistent/onlink.conf", &c), -1);
	assert_string_equal(c.err, "/nonexistent/onlink.conf:0: cannot read: No such file or directory");
	config_free(&c);
}


/* onlink.conf(5)'s key reference against the schema: every key of every
 * section is documented under that section's heading (or under EVERY
 * DAEMON when every daemon takes it), with the same default and the same
 * "required" and "repeatable"; and the man page documents no key the
 * schema does not have. */
struct doc_key { unsigned sections; char key[32]; char def[64]; int required, repeatable; };

static unsigned heading_section(const char *h)
{
	if (!strncmp(h, "EVERY DAEMON", 12)) return CS_SWITCH | CS_HOST | CS_EGRESSD;
	if (!strncmp(h, "[switch]", 8)) return CS_SWITCH;
	if (!strncmp(h, "[host]", 6)) return CS_HOST;
	if (!strncmp(h, "[egress]", 8)) return CS_EGRESSD;
	if (!strncmp(h, "[provider NAME]", 15)) return CS_PROVIDER;
	if (!strncmp(h, "[switch NAME]", 13)) return CS_SWITCHREF;
	if (!strncmp(h, "[egress ADDR]", 13)) return CS_EGRESS;
	if (!strncmp(h, "[host NAME]", 11)) return CS_HOSTKEY;
	if (!strncmp(h, "[probe]", 7)) return CS_PROBE;
	if (!strncmp(h, "[egress-pool NAME]", 18)) return CS_POOL;
	if (!strncmp(h, "[repath]", 8)) return CS_REPATH;
	if (!strncmp(h, "[steer]", 7)) return CS_STEER;
	return 0;
}

/* the text of a "(default X" annotation after p, without scdoc's * and _ */
static void doc_default(const char *p, char *out, size_t len)
{
	const char *d = strstr(p, "(default ");
	const char *next = strstr(p + 1, ", *");
	size_t o = 0;
	out[0] = 0;
	if (!d || (next && d > next))
		return;
	for (d += 9; *d && *d != ')' && *d != ';' && *d != ',' && o + 1 < len; d++)
		if (*d != '*' && *d != '_')
			out[o++] = *d;
	out[o] = 0;
}

static size_t read_man(struct doc_key *keys, size_t cap)
{
	FILE *f = fopen("docs/man/onlink.conf.5.scd", "r");
	char line[1024];
	unsigned sec = 0;
	size_t n = 0;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#' && line[1] == ' ') {
			sec = heading_section(line + 2);
			continue;
		}
		if (!sec || line[0] != '*')
			continue;
		/* "*key* = ..." and, on one line, ", *key2* = ..." */
		for (const char *p = line; p && *p == '*'; ) {
			const char *end = strchr(p + 1, '*');
			if (!end || strncmp(end, "* =", 3))
				break;
			assert_true(n < cap);
			struct doc_key *k = &keys[n++];
			memset(k, 0, sizeof(*k));
			k->sections = sec;
			snprintf(k->key, sizeof(k->key), "%.*s", (int)(end - p - 1), p + 1);
			const char *next = strstr(end, ", *");
			size_t span = next ? (size_t)(next - end) : strlen(end);
			char ann[512];
			snprintf(ann, sizeof(ann), "%.*s", (int)span, end);
			k->required = strstr(ann, "(required)") || strstr(ann, "(required,");
			k->repeatable = strstr(ann, "repeatable") != NULL;
			doc_default(ann, k->def, sizeof(k->def));
			p = next ? next + 2 : NULL;
		}
	}
	fclose(f);
	return n;
}

static void man_page_matches_schema(void **state)
{
	(void)state;
	static struct doc_key doc[256];
	size_t nd = read_man(doc, 256), nk;
	const struct cfg_key *t = cfg_schema(&nk);
	const unsigned roles = CS_SWITCH | CS_HOST | CS_EGRESSD;
	for (size_t i = 0; i < nk; i++) {
		unsigned want = (t[i].sections & roles) == roles ? roles : t[i].sections;
		for (unsigned bit = 1; bit <= CS_HOSTKEY; bit <<= 1) {
			if (!(want & bit) || (want == roles && bit != CS_SWITCH))
				continue;
			unsigned where = want == roles ? roles : bit;
			const struct doc_key *d = NULL;
			for (size_t j = 0; j < nd && !d; j++)
				if (doc[j].sections == where && !strcmp(doc[j].key, t[i].key))
					d = &doc[j];
			if (!d)
				fail_msg("onlink.conf(5): no '%s' under %s", t[i].key,
					 where == roles ? "EVERY DAEMON" : cfg_section_name(bit));
			if (d->required != !!(t[i].flags & CK_REQUIRED))
				fail_msg("onlink.conf(5): '%s' in %s: 'required' is %s, the schema says %s", t[i].key,
					 cfg_section_name(bit), d->required ? "there" : "missing", (t[i].flags & CK_REQUIRED) ? "yes" : "no");
			if (d->repeatable != !!(t[i].flags & CK_REPEATABLE))
				fail_msg("onlink.conf(5): '%s' in %s: 'repeatable' is %s, the schema says %s", t[i].key,
					 cfg_section_name(bit), d->repeatable ? "there" : "missing",
					 (t[i].flags & CK_REPEATABLE) ? "yes" : "no");
			if (strcmp(d->def, t[i].def ? t[i].def : ""))
				fail_msg("onlink.conf(5): '%s' in %s: default '%s', the schema says '%s'", t[i].key,
					 cfg_section_name(bit), d->def, t[i].def ? t[i].def : "");
		}
	}
	for (size_t j = 0; j < nd; j++) {
		const struct cfg_key *k = cfg_key_find(doc[j].sections, doc[j].key);
		if (!k || ((k->sections & doc[j].sections) != doc[j].sections))
			fail_msg("onlink.conf(5) documents '%s', which the schema does not have there", doc[j].key);
	}
}

/* What onlink announce may announce: own-prefix and its more-specifics up
 * to le N (IPv4 /24, IPv6 /48 by default); nothing without one. */
static void own_prefixes(void **state)
{
	(void)state;
	struct cfg_switch sw;
	struct cfg_prefix p;
	memset(&sw, 0, sizeof(sw));
	cfg_prefix_parse("198.18.0.0/24", &p);
	assert_non_null(strstr(cfg_own_prefix_refusal(&sw, &p), "no own-prefix"));
	cfg_prefix_parse("198.18.0.0/15", &sw.own[0].p);
	sw.own[0].le = 24;
	cfg_prefix_parse("2001:db8:70::/44", &sw.own[1].p);
	sw.own[1].le = 48;
	sw.nown = 2;
	static const char *const ok[] = { "198.18.0.0/15", "198.19.255.0/24", "198.18.128.0/17", "2001:db8:77::/48",
					  "2001:db8:70::/44" };
	static const char *const no[] = { "8.8.8.0/24", "0.0.0.0/0", "::/0", "198.16.0.0/14", "198.18.0.0/25",
					  "198.20.0.0/24", "2001:db8:80::/48", "2001:db8:77::/49", "::ffff:198.18.0.0/120" };
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(cfg_prefix_parse(ok[i], &p), 0);
		if (cfg_own_prefix_refusal(&sw, &p))
			fail_msg("%s refused", ok[i]);
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		assert_int_equal(cfg_prefix_parse(no[i], &p), 0);
		if (!cfg_own_prefix_refusal(&sw, &p))
			fail_msg("%s taken", no[i]);
	}
}

/* What a running switch agent can take in place, and what takes a restart
 * (conf/reload.c), each named */
static void reload_in_place(void **state)
{
	(void)state;
	static struct config run, next;
	char why[160];
	assert_int_equal(config_load("tests/config/switch.conf", &run), 0);
	/* descriptions, backups, keepalive, egress, hosts: in place */
	assert_int_equal(config_load("tests/config/switch.conf", &next), 0);
	snprintf(next.sw.providers[0].descr, sizeof(next.sw.providers[0].descr), "another");
	next.keepalive++;
	next.sw.nhosts = 0;
	next.sw.negress = 0;
	assert_int_equal(config_in_place(&run, &next, why, sizeof(why)), 1);
	/* what takes a restart, named */
	next.sw.nlisten++;
	assert_int_equal(config_in_place(&run, &next, why, sizeof(why)), 0);
	assert_string_equal(why, "listen changed");
	next.sw.nlisten--;
	next.sw.providers[0].table++;
	assert_int_equal(config_in_place(&run, &next, why, sizeof(why)), 0);
	assert_string_equal(why, "provider transit-a changed (its name, addresses, interface, port or table)");
	next.sw.providers[0].table--;
	next.sw.providers[1].addrs[0].bytes[3]++;
	assert_int_equal(config_in_place(&run, &next, why, sizeof(why)), 0);
	next.sw.providers[1].addrs[0].bytes[3]--;
	next.priv[0] ^= 1;
	assert_int_equal(config_in_place(&run, &next, why, sizeof(why)), 0);
	assert_string_equal(why, "the private key changed");
	next.priv[0] ^= 1;
	snprintf(next.sw.state_file, sizeof(next.sw.state_file), "/elsewhere");
	assert_int_equal(config_in_place(&run, &next, why, sizeof(why)), 0);
	assert_string_equal(why, "state-file changed");
	next.sw.nhosts = run.sw.nhosts;
	next.sw.negress = run.sw.negress;
	config_free(&next);
	config_free(&run);
}

int main(void)
{
	/* git keeps no modes but the executable bit: the test key is secret */
	if (chmod("tests/config/key", 0600))
		perror("chmod tests/config/key");
	int nk = open("/tmp/onlink-test-notakey", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (nk < 0 || write(nk, "not a key\n", 10) != 10)
		perror("/tmp/onlink-test-notakey");
	close(nk);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(good_switch),
		cmocka_unit_test(good_host),
		cmocka_unit_test(normalized_is_fixed_point),
		cmocka_unit_test(bad_configs),
		cmocka_unit_test(own_prefixes),
		cmocka_unit_test(probe_targets_max),
		cmocka_unit_test(long_lines),
		cmocka_unit_test(nul_byte),
		cmocka_unit_test(key_mode),
		cmocka_unit_test(unreadable_file),
		cmocka_unit_test(man_page_matches_schema),
		cmocka_unit_test(reload_in_place),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	unlink("/tmp/onlink-test-notakey");
	return r;
}
