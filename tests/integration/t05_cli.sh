#!/usr/bin/env bash
# The command lines: config checking, exit statuses, error messages.
. "$(dirname "$0")/testlib.sh"
cd "$LAB_ROOT"
LAB_DIR=$(mktemp -d /tmp/onlink-test.XXXXXX)
trap 'rm -rf "$LAB_DIR"; echo "$T_PASS $T_FAIL" > "${T_RESULT:-/dev/null}"' EXIT

out=$("$ONLINKD" -n -c tests/config/switch.conf); rc=$?
check_eq "onlinkd -n: exit 0 for a good switch config" "$rc" "0"
check_eq "onlinkd -n: prints the config normalized" "$out" "$(cat tests/config/switch.conf.normalized)"
check_eq "onlinkd host -n: good host config" "$("$ONLINKD" host -n -c tests/config/host.conf)" "$(cat tests/config/host.conf.normalized)"

printf '[switch]\nname = sw1\nlisten = 10.0.0.1:4710\nkey-file = tests/config/key\n\n[provider a]\naddress = 10.0.1.1\naddress = fe80::zz\n' > "$LAB_DIR/bad.conf"
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
check_eq "onlink status with no agent: exit 1, says so" "$rc:$err" "1:onlink: cannot reach the agent at $LAB_DIR/nobody.sock: No such file or directory"
"$ONLINK" stat >/dev/null 2>&1; check_eq "onlink takes no abbreviations ('stat'): exit 2" "$?" "2"
"$ONLINK" status --bogus >/dev/null 2>&1; check_eq "onlink status with a bad option: exit 2" "$?" "2"
check_eq "onlink genkey: a 32-byte base64 key" "$("$ONLINK" genkey | base64 -d | wc -c)" "32"
check "two keys differ" bash -c "[ \"\$('$ONLINK' genkey)\" != \"\$('$ONLINK' genkey)\" ]"

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
rm -rf "$inst"
