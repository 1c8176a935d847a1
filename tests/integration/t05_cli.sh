#!/usr/bin/env bash
# The command lines: config checking, exit statuses, error messages.
. "$(dirname "$0")/testlib.sh"
cd "$LAB_ROOT"
LAB_DIR=$(mktemp -d /tmp/onlink-test.XXXXXX)
trap 'rm -rf "$LAB_DIR"; echo "$T_PASS $T_FAIL" > "${T_RESULT:-/dev/null}"' EXIT
chmod 600 tests/config/key # git keeps no mode but the executable bit: the test key is secret

out=$("$ONLINKD" -n -c tests/config/switch.conf); rc=$?
check_eq "onlinkd -n: exit 0 for a good switch config" "$rc" "0"
check_eq "onlinkd -n: prints the config normalized" "$(sed '/^# ---- /,$d' <<<"$out" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}')" \
	"$(cat tests/config/switch.conf.normalized)"
check "onlinkd -n: then the BIRD include file it would write" \
	grep -qx '# ---- /etc/bird/onlink.conf, as onlinkd switch would write it ----' <<<"$out"
# test and benchmark knobs are in the test builds only: the daemon as
# installed does not even hold their names
for k in ONLINK_TEST_REKEY_MS ONLINK_BENCH_FULL_TURNS ONLINKD_NETLINK_RCVBUF ONLINK_BENCH_NO_LOADGATE; do
	check "the shipped daemon reads no $k" sh -c "! grep -qa $k '$LAB_ROOT/build/onlinkd'"
	check "...the test build does" grep -qa "$k" "$LAB_ROOT/build/asan/onlinkd"
done
# (in a network namespace of its own, with only lo: br0 and eth0 do not exist)
werr=$(unshare -n "$ONLINKD" -n -c tests/config/switch.conf 2>&1 >/dev/null); rc=$?
check_eq "onlinkd -n: a provider interface that does not exist: exit 0" "$rc" "0"
check "...with a warning naming FILE:LINE and the interface" grep -qxF "tests/config/switch.conf:14: warning: [provider transit-a] interface 'br0' does not exist here (onlinkd would wait for it)" <<<"$werr"
werr=$(unshare -n "$ONLINKD" host -n -c tests/config/host.conf 2>&1 >/dev/null)
check "...and the host's interface" grep -q "warning: \[host\] interface 'eth0' does not exist here" <<<"$werr"
check_eq "onlinkd --help: usage on stdout, exit 0" "$("$ONLINKD" --help >/dev/null 2>&1; echo $?):$("$ONLINKD" --help 2>/dev/null | head -c 14)" "0:usage: onlinkd"
check_eq "onlinkd -n -q: checks and prints nothing" "$("$ONLINKD" -n -q -c tests/config/switch.conf; echo "rc=$?")" "rc=0"

# BIRD sessions from onlink.conf: what -n prints is what BIRD parses
cat > "$LAB_DIR/gen.conf" <<EOF
[switch]
name = sw1
listen = 10.0.0.1:4710
private-key-file = $LAB_ROOT/tests/config/key
bird-socket = $LAB_DIR/bird.ctl
bird-include = $LAB_DIR/onlink-bird.conf
local-as = 65000
bird-export = pop_export
bird-import = provider_import
bird-template = provider
bird-hosts = yes
[provider transit-a]
address = 10.0.1.1
address = 2001:db8:1::1
interface = br0
table = 101
remote-as = 65001
description = Transit A, circuit 1234
password = s3cret pass!
bfd = yes
import-limit = 1000000
local-pref = 200
[provider transit.b]
address = 10.0.2.1
address = 10.0.2.2
interface = br1
table = 102
remote-as = 4200000000
import-limit = 500 warn
[provider by-hand]
address = 10.0.3.1
interface = br0
table = 103
remote-as = 65003
bird-protocol = by_hand4
[host h1]
public-key = GKjzgjim4M2101d9XVXJ13nTosEj2d61kgKL1IanUWc=
address = 10.10.0.11
address = 2001:db8:10::11
EOF
out=$("$ONLINKD" -n -c "$LAB_DIR/gen.conf"); rc=$?
check_eq "onlinkd -n: a config with generated BIRD sessions is good" "$rc" "0"
sed '1,/^# ---- /d' <<<"$out" > "$LAB_DIR/onlink-bird.conf"
cat > "$LAB_DIR/bird.conf" <<EOF
router id 10.0.0.1;
protocol device { }
function pop_export() { return false; }
function provider_import() { return net.len <= 24; }
template bgp provider { hold time 9; }
protocol bgp by_hand4 { local as 65000; neighbor 10.0.3.1 as 65003; ipv4 { import all; export none; }; }
include "$LAB_DIR/onlink-bird.conf";
EOF
berr=$(bird -p -c "$LAB_DIR/bird.conf" 2>&1)
check "BIRD parses the include file onlinkd -n prints ($berr)" test -z "$berr"
# nothing typed in onlink.conf reaches BIRD unchecked: each of these was
# once accepted, and BIRD loaded (or choked on) what it became
for bad in 'interface = br0", "*' 'interface = x";}#' 'interface = *' $'description = Transit \e[31mA\a' 'port = sw pa'; do
	sed "0,/^interface = br0$/s//$(sed 's/[\/&]/\\&/g' <<<"$bad")/" "$LAB_DIR/gen.conf" > "$LAB_DIR/hostile.conf"
	grep -qF -- "$bad" "$LAB_DIR/hostile.conf" || sed -i "/^\[provider transit-a\]/a $bad" "$LAB_DIR/hostile.conf"
	hout=$("$ONLINKD" -n -c "$LAB_DIR/hostile.conf" 2>"$LAB_DIR/hostile.err"); rc=$?
	check_eq "onlinkd -n refuses '$(printf %q "$bad")' with exit 2" "$rc" "2"
	check "...with FILE:LINE ($(head -c 160 "$LAB_DIR/hostile.err"))" grep -qE "^$LAB_DIR/hostile.conf:[0-9]+: " "$LAB_DIR/hostile.err"
	check "...no control byte on the terminal" sh -c "! grep -qP '[\\x00-\\x08\\x0b-\\x1f\\x7f]' '$LAB_DIR/hostile.err'"
	check_eq "...and prints nothing" "$hout" ""
done
# the config's path goes into a comment of the include: a line break in it
# starts no line of BIRD config
nl_dir="$LAB_DIR/x"$'\n''protocol static evil { ipv4; route 0.0.0.0/0 blackhole; }'$'\n''#'
mkdir -p "$nl_dir"
cp "$LAB_DIR/gen.conf" "$nl_dir/onlink.conf"
"$ONLINKD" -n -c "$nl_dir/onlink.conf" | sed '1,/^# ---- /d' > "$LAB_DIR/onlink-bird.conf"
berr=$(bird -p -c "$LAB_DIR/bird.conf" 2>&1)
check "a config path with a line break: BIRD still parses the include ($berr)" test -z "$berr"
check "...which has its sessions" grep -q "^protocol bgp onlink_transit_a4" "$LAB_DIR/onlink-bird.conf"
check "...and it holds no protocol from the path" sh -c "! grep -q '^protocol static evil' '$LAB_DIR/onlink-bird.conf'"
rm -rf "$nl_dir"
for want in 'protocol bgp onlink_transit_a4 from provider {' 'protocol bgp onlink_transit_a6 from provider {' \
	'protocol bgp onlink_transit_b4 from provider {' 'protocol bgp onlink_transit_b4_2 from provider {' \
	'protocol bgp onlink_host_h1_4 {' 'protocol bgp onlink_host_h1_6 {' $'\tneighbor 10.0.2.2 as 4200000000;' \
	$'\tpassword "s3cret pass!";' $'\tdefault bgp_local_pref 200;' $'\t\timport limit 1000000 action restart;' \
	$'\t\timport limit 500 action warn;' $'\t\timport where provider_import();' \
	$'\t\texport where pop_export() || onlink_export("onlink_transit_a6");' \
	$'\tinterface "br0" { min rx interval 100 ms; min tx interval 100 ms; multiplier 3; };' \
	'define onlink_description_by_hand4 = "by-hand";'; do
	check "the include holds: $want" grep -qxF -- "$want" "$LAB_DIR/onlink-bird.conf"
done
check "no session is written for a provider with bird-protocol" \
	sh -c "! grep -q 'onlink_by_hand\|10.0.3.1' '$LAB_DIR/onlink-bird.conf'"
check "no BFD protocol for the interface of providers without bfd" sh -c "! grep -q br1 '$LAB_DIR/onlink-bird.conf'"
check_eq "onlinkd host -n: good host config" "$("$ONLINKD" host -n -c tests/config/host.conf)" "$(cat tests/config/host.conf.normalized)"

printf '[switch]\nname = sw1\nlisten = 10.0.0.1:4710\nprivate-key-file = tests/config/key\n\n[provider a]\naddress = 10.0.1.1\naddress = fe80::zz\n' > "$LAB_DIR/bad.conf"
err=$("$ONLINKD" switch -n -c "$LAB_DIR/bad.conf" 2>&1); rc=$?
check_eq "bad config: exit 2" "$rc" "2"
check_eq "bad config: FILE:LINE: message quoting the value" "$err" "$LAB_DIR/bad.conf:8: address: bad address 'fe80::zz'"
err=$("$ONLINKD" switch -c "$LAB_DIR/missing.conf" 2>&1); rc=$?
check_eq "unreadable config: exit 2 with the reason" "$rc:$err" "2:$LAB_DIR/missing.conf:0: cannot read: No such file or directory"
err=$("$ONLINKD" switch -c tests/config/host.conf 2>&1); rc=$?
check_eq "host config given to 'onlinkd switch': exit 2" "$rc:$err" "2:tests/config/host.conf:1: this is a host config, not a switch config"
"$ONLINKD" >/dev/null 2>&1; check_eq "onlinkd without arguments: usage, exit 2" "$?" "2"
"$ONLINKD" router -c tests/config/host.conf >/dev/null 2>&1; check_eq "onlinkd with an unknown role: exit 2" "$?" "2"

err=$("$ONLINK" status -s "$LAB_DIR/nobody.sock" 2>&1); rc=$?
check_eq "onlink status with no agent: exit 2, says so" "$rc:$err" "2:onlink: cannot reach the agent at $LAB_DIR/nobody.sock: No such file or directory"
"$ONLINK" stat >/dev/null 2>&1; check_eq "onlink takes no abbreviations ('stat'): exit 2" "$?" "2"
"$ONLINK" status --bogus >/dev/null 2>&1; check_eq "onlink status with a bad option: exit 2" "$?" "2"
check_eq "onlink genkey: a 32-byte base64 key" "$("$ONLINK" genkey | base64 -d | wc -c)" "32"
check "two keys differ" bash -c "[ \"\$('$ONLINK' genkey)\" != \"\$('$ONLINK' genkey)\" ]"
# RFC 7748, section 6.1: Alice's X25519 private key and its public key
check_eq "onlink pubkey: RFC 7748's test vector" "$(echo dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo= | "$ONLINK" pubkey)" \
	"hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo="
check_eq "onlink pubkey: of a new key, a 32-byte base64 key" "$("$ONLINK" genkey | "$ONLINK" pubkey | base64 -d | wc -c)" "32"
err=$(echo not-a-key | "$ONLINK" pubkey 2>&1); rc=$?
check_eq "onlink pubkey: garbage on stdin, exit 1 and why" "$rc:$err" \
	"1:onlink: pubkey: standard input is not a base64 private key of 32 bytes (make one with 'onlink genkey')"
# a config that still names the pre-shared key says what replaced it
printf '[host]\nname = h1\ninterface = eth0\naddress = 10.0.0.1\nkey-file = tests/config/key\n' > "$LAB_DIR/psk.conf"
err=$("$ONLINKD" -n -c "$LAB_DIR/psk.conf" 2>&1); rc=$?
check_eq "key-file (protocol version 4): refused, pointing at what replaced it" "$rc:$err" \
	"2:$LAB_DIR/psk.conf:5: key-file: the POP's pre-shared key is gone (protocol version 5): each agent has its own key pair. Give 'private-key-file' here ('onlink genkey'), and each peer's public key ('onlink pubkey') as 'public-key' in each [switch NAME]"
# a key others may read is refused, as ssh refuses one
err=$(umask 022; "$ONLINK" genkey 2>&1 > "$LAB_DIR/open.key")
check "onlink genkey warns when the file is open to others" grep -q "writing the key to a file of mode 0644, which onlinkd refuses" <<<"$err"
sed "s|^private-key-file = .*|private-key-file = $LAB_DIR/open.key|" tests/config/switch.conf > "$LAB_DIR/open.conf"
err=$("$ONLINKD" -n -c "$LAB_DIR/open.conf" 2>&1); rc=$?
check "onlinkd -n refuses a key of mode 0644, naming the file and its mode ($rc)" \
	bash -c "[ $rc != 0 ] && grep -q \"private-key-file: '$LAB_DIR/open.key' has mode 0644\" <<<\"\$1\"" _ "$err"
check "...and never prints the key" bash -c "! grep -qF \"\$(cat '$LAB_DIR/open.key')\" <<<\"\$1\"" _ "$err"
sed "s|^private-key-file = .*|private-key-file = $LAB_DIR/open.key|" tests/config/host.conf > "$LAB_DIR/open-host.conf"
err=$("$ONLINKD" host -c "$LAB_DIR/open-host.conf" 2>&1); rc=$?
check "onlinkd host refuses to start with it, exit 2 ($rc)" \
	bash -c "[ $rc = 2 ] && grep -q \"private-key-file: '$LAB_DIR/open.key' has mode 0644: a private key must not be readable\" <<<\"\$1\"" _ "$err"
err=$(umask 077; "$ONLINK" genkey 2>&1 > "$LAB_DIR/closed.key")
check_eq "no warning with umask 077" "$err" ""

# docs/bird.md's example: what onlinkd -n prints for its onlink.conf
block() { awk -v f="<!-- $1 -->" '$0 == f { on = 1; getline; next } on && /^```$/ { exit } on { print }' docs/bird.md; }
block "example: onlink.conf" | sed "s|/etc/onlink/switch.key|$LAB_ROOT/tests/config/key|" > "$LAB_DIR/example.conf"
check_eq "docs/bird.md shows the sessions onlinkd -n prints for its example" \
	"$("$ONLINKD" -n -c "$LAB_DIR/example.conf" | sed -n '/^protocol bfd onlink_bfd/,$p')" "$(block "example: generated")"

# docs/bird.md shows exactly the BIRD configurations the lab runs
for f in lab/bird/switch.conf lab/bird/host.conf lab/bird/provider.conf; do
	shown=$(awk -v f="<!-- $f -->" '$0 == f { on = 1; getline; next } on && /^```$/ { exit } on { print }' docs/bird.md)
	check_eq "docs/bird.md shows $f as the lab runs it" "$shown" "$(cat "$f")"
done

# make install: binaries and the iproute2 protocol name, under DESTDIR
inst=$(mktemp -d)
make -s -C "$LAB_ROOT" install DESTDIR="$inst" PREFIX=/usr >/dev/null 2>&1
check "make install puts onlinkd and onlink under DESTDIR/PREFIX/sbin" test -x "$inst/usr/sbin/onlinkd" -a -x "$inst/usr/sbin/onlink"
check_eq "make install registers protocols 177 and 178 for iproute2" "$(cat "$inst/etc/iproute2/rt_protos.d/onlink.conf")" "$(printf '177\tonlink\n178\tonlink-egress')"
check "make install puts onlink's tmpfiles.d entry in place (/var/lib/onlink/bird, group bird)" \
	grep -qx 'd /var/lib/onlink/bird 2750 root bird -' "$inst/usr/lib/tmpfiles.d/onlink.conf"
for m in man8/onlinkd.8 man8/onlink.8 man5/onlink.conf.5; do
	check "make install puts the man page $m in place" test -s "$inst/usr/share/man/$m"
	check_eq "...groff renders $m without a warning" "$(groff -man -ww -z "$inst/usr/share/man/$m" 2>&1)" ""
done
check "onlinkd(8) documents every role and SIGHUP" bash -c "MANWIDTH=100 man -l '$inst/usr/share/man/man8/onlinkd.8' 2>/dev/null | tr -s ' ' | grep -q 'onlinkd switch|host|egress -c FILE' && MANWIDTH=100 man -l '$inst/usr/share/man/man8/onlinkd.8' 2>/dev/null | grep -q SIGHUP"
check "onlink.conf(5) documents every key the parser knows" bash -c "
	man -l '$inst/usr/share/man/man5/onlink.conf.5' 2>/dev/null > '$inst/conf.txt'
	for k in \$(grep -o '!strcmp(name, \"[a-z-]*\")' '$LAB_ROOT/src/conf/config.c' | cut -d'\"' -f2 | sort -u); do
		grep -q -- \"\$k\" '$inst/conf.txt' || { echo \"missing: \$k\"; exit 1; }
	done"
for u in switch host egress; do
	check "make install puts onlinkd-$u.service in place, running onlinkd as installed" \
		grep -qx "ExecStart=/usr/sbin/onlinkd $u -c /etc/onlink/$u.conf" "$inst/usr/lib/systemd/system/onlinkd-$u.service"
done
rm -rf "$inst"
# the units pass systemd-analyze verify (with their binary where they say)
inst=$(mktemp -d)
make -s -C "$LAB_ROOT" install PREFIX="$inst/usr" SYSCONFDIR="$inst/etc" >/dev/null 2>&1
check_eq "systemd-analyze verify: the three units, not a warning" \
	"$(systemd-analyze verify --man=no "$inst"/usr/lib/systemd/system/onlinkd-*.service 2>&1)" ""
check "the units are Type=notify, reload with SIGHUP, and keep only CAP_NET_ADMIN and CAP_NET_RAW (and CAP_BPF for the host agent's repath)" bash -c "
	for u in '$inst'/usr/lib/systemd/system/onlinkd-*.service; do
		caps='CAP_NET_ADMIN CAP_NET_RAW'
		case \$u in *onlinkd-host.service) caps='CAP_NET_ADMIN CAP_NET_RAW CAP_BPF' ;; esac
		grep -qx 'Type=notify' \$u && grep -qx 'ExecReload=/bin/kill -HUP \$MAINPID' \$u &&
		grep -qx \"CapabilityBoundingSet=\$caps\" \$u && grep -qx 'ProtectSystem=strict' \$u || exit 1
	done"
rm -rf "$inst"
