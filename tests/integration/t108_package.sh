#!/usr/bin/env bash
# The Debian package (debian/), as operators install it:
#  1. `make deb` builds it from the tree (dpkg-buildpackage -us -uc -b),
#     lintian-clean, its Build-Depends what `make deps` installs to build;
#  2. the install guide (docs/install.md) as written on the lab's switch
#     and host, from the package (`apt install ./onlink_*.deb`): the
#     units installed but not started until a config exists, then the
#     same checks as t104 (tests/integration/installed.sh);
#  3. an upgrade (dpkg -i) to a rebuilt package of a higher version while
#     everything runs: the switch and host agents restarted with the new
#     onlinkd, the egress proxy not, and no onlink kernel object on either
#     machine rewritten (ip and nft monitors, each with a sentinel), BIRD's
#     sessions kept, the proxy's client flows kept;
#  4. dpkg -r stops the agents and leaves the kernel state as documented;
#     dpkg --purge removes /var/lib/onlink;
#  5. on a machine without BIRD: the package installs, and installing BIRD
#     after it makes /var/lib/onlink/bird, of group bird (a dpkg trigger).
# check: once in the plain pass (the package's own onlinkd runs, in either pass)
. "$(dirname "$0")/testlib.sh"
export LAB_HOSTS=1
cd "$LAB_ROOT"
. tests/integration/installed.sh
t_setup

# 1. the package
V=$(make -s print-VERSION)
DEB=$LAB_ROOT/build/deb
make_deb() { make -s deb > "$LAB_DIR/deb.log" 2>&1; }
check "make deb: dpkg-buildpackage -us -uc -b builds onlink $V" make_deb ||
	{ tail -n 30 "$LAB_DIR/deb.log"; exit 1; }
PKG=$(ls "$DEB"/onlink_"$V"_*.deb)
if command -v lintian > /dev/null; then
	# make deb runs lintian --fail-on error,warning on the .changes (and so
	# on the .deb): it got this far, so lintian said neither
	check "lintian ran on the .changes and .deb, and found no error and no warning" grep -q "^lintian .*onlink_${V}_.*\.changes" "$LAB_DIR/deb.log"
else
	not_ok "lintian is not installed (make deps installs it)"
fi
bdeps=$(sed -n '/^Build-Depends:/,/^[A-Z]/p' debian/control | sed '1s/^Build-Depends://; $d' | tr ',' '\n' |
	sed 's/^ *//; s/ *$//; s/ .*//' | grep -v '^debhelper-compat$' | grep . | sort | xargs)
check_eq "Build-Depends: what make deps installs to build onlink (BUILD_PKGS), and debhelper-compat" \
	"$bdeps" "$(make -s print-BUILD_PKGS | tr ' ' '\n' | sort | xargs)"
check "...and debhelper compat 13" grep -q 'debhelper-compat (= 13)' debian/control
check_eq "the package's own runtime dependencies come from \${shlibs:Depends}" \
	"$(dpkg-deb -f "$PKG" Depends | tr ',' '\n' | grep -c 'libsodium\|libmnl\|libnftables\|libbpf')" 4
check_eq "...and it recommends BIRD" "$(dpkg-deb -f "$PKG" Recommends)" bird2
contents=$(dpkg-deb -c "$PKG")
for f in ./usr/sbin/onlinkd ./usr/sbin/onlink ./lib/systemd/system/onlinkd-switch.service \
	./lib/systemd/system/onlinkd-host.service ./lib/systemd/system/onlinkd-egress.service \
	./usr/lib/tmpfiles.d/onlink.conf ./etc/iproute2/rt_protos.d/onlink.conf \
	./usr/share/man/man8/onlinkd.8.gz ./usr/share/man/man5/onlink.conf.5.gz ./usr/share/doc/onlink/README.Debian; do
	check "the package holds $f" grep -q " $f\$" <<<"$contents"
done
check "...and /etc/onlink, mode 0750" grep -q '^drwxr-x--- root/root .* ./etc/onlink/$' <<<"$contents"
check "...and no key" bash -c "! grep -q 'etc/onlink/.' <<<'$contents'"

# the same tree, one version up, built again: the upgrade below
V2=$V+lab1
mkdir -p "$LAB_DIR/up"
cp -a "$DEB/src/onlink-$V" "$LAB_DIR/up/onlink-$V2"
{
	printf 'onlink (%s) bookworm; urgency=medium\n\n  * Rebuilt for the upgrade test (t108).\n\n' "$V2"
	printf ' -- %s  %s\n\n' "$(sed -n 's/^ -- \(.*>\)  .*/\1/p' debian/changelog | head -n 1)" "$(date -R)"
	cat debian/changelog
} > "$LAB_DIR/up/onlink-$V2/debian/changelog"
check "a rebuilt package, version $V2 (dpkg-buildpackage)" \
	bash -c "cd '$LAB_DIR/up/onlink-$V2' && dpkg-buildpackage -us -uc -b -Jauto > '$LAB_DIR/deb2.log' 2>&1"
PKG2=$(ls "$LAB_DIR/up"/onlink_"$V2"_*.deb 2>/dev/null)
[ -n "$PKG2" ] || { tail -n 30 "$LAB_DIR/deb2.log"; exit 1; }

# 2. the install guide, from the package
installed_up
installed_guide package "$DEB"
for m in sw h1; do
	check_eq "$m: dpkg says onlink $V is installed" "$(on $m dpkg-query -W -f '${Status} ${Version}' onlink)" "install ok installed $V"
	check_eq "$m: /etc/onlink is root's, mode 0750" "$(on $m stat -c '%U:%G %a' /etc/onlink)" "root:root 750"
	for u in onlinkd-switch onlinkd-host onlinkd-egress; do
		check_eq "$m: $u enabled by the package" "$(on $m systemctl is-enabled $u.service)" enabled
	done
done
# the package's postinst started each unit (deb-systemd-invoke); each was
# skipped until the guide wrote its config: the first line of its log
for u in sw-unit-onlinkd-switch h1-unit-onlinkd-host h1-unit-onlinkd-egress; do
	check "$u: not started at installation (no config yet: ConditionPathExists)" \
		bash -c "head -n 1 '$LAB_DIR/$u.log' | grep -q 'condition failed'"
done
installed_checks "the package" /usr/lib/tmpfiles.d/onlink.conf

# 3. the upgrade, while everything runs. Client flows through the egress
# proxy: 4 TCP and 4 UDP from c1.
lab_spawn flowsrv inet python3 "$LAB_ROOT/lab/tools/longflows.py" server "$LAB_DIR/flows-peers.log" 203.0.113.1:7000
listening() { n inet ss -ltn | grep -q '203.0.113.1:7000 ' && n inet ss -lun | grep -q '203.0.113.1:7000 '; }
wait_for 20 "the flows' server" listening
lab_spawn flows c1 python3 "$LAB_ROOT/lab/tools/longflows.py" client 203.0.113.1 7000 4 4 "$LAB_DIR/flows.stop"
check "client flows through the egress proxy" wait_for 30 "flows ready" grep -q '^ready' "$LAB_DIR/flows.log"
# the kernel of both machines watched: ip monitor (links, addresses,
# routes, rules, neighbors) and nft monitor (the egress proxy's table)
mon_start h1
mon_start sw
lab_spawn nftmon-h1 h1 nft monitor
nft_sentinel() {
	NFT_SEQ=$((${NFT_SEQ:-0} + 1))
	n h1 nft add table inet "lab_sentinel_$NFT_SEQ" && n h1 nft delete table inet "lab_sentinel_$NFT_SEQ" &&
		wait_for 10 "nft sentinel $NFT_SEQ" grep -q "delete table inet lab_sentinel_$NFT_SEQ" "$LAB_DIR/nftmon-h1.log"
}
check "the nft monitor of h1 shows its sentinel" nft_sentinel
mh1=$(mon_mark h1) msw=$(mon_mark sw) mnft=$(wc -l < "$LAB_DIR/nftmon-h1.log")
# onlink's objects on h1 (its rules, its routes, its neighbor entries,
# whatever their state): the same after the upgrade and after the removal
h1_objects() {
	n h1 ip rule show | grep -E 'lookup 10[12]'
	n h1 ip route show table all | grep -E 'proto (177|onlink)'
	n h1 ip -6 route show table all | grep -E 'proto (177|onlink)'
	n h1 ip neigh show | grep -E 'proto (177|onlink)' | awk '{ print $1, $3, $5 }'
	n h1 ip -6 neigh show | grep -E 'proto (177|onlink)' | awk '{ print $1, $3, $5 }'
}
objects_before=$(h1_objects)
check "h1 holds onlink's rules, routes and neighbors ($(wc -l <<<"$objects_before") objects)" \
	bash -c "[ $(wc -l <<<"$objects_before") -ge 8 ]"
SESS="onlink_transit_a4 onlink_transit_a6 onlink_transit_b4 onlink_transit_b6 onlink_host_h1_4 onlink_host_h1_6"
since_all() { local p out=""; for p in $SESS; do out+="$(since_at "$p") "; done; echo "$out"; }
since_before=$(since_all)
OLD_SW=$(lab_pid sw-unit-onlinkd-switch) OLD_H1=$(lab_pid h1-unit-onlinkd-host) OLD_EG=$(lab_pid h1-unit-onlinkd-egress)

check "dpkg -i onlink $V2 on the switch, its agent running" on sw dpkg -i "$PKG2"
check "dpkg -i onlink $V2 on h1, its agents running" on h1 dpkg -i "$PKG2"
for m in sw h1; do
	check_eq "$m: onlink $V2 installed" "$(on $m dpkg-query -W -f '${Status} ${Version}' onlink)" "install ok installed $V2"
done
NEW_SW=$(lab_pid sw-unit-onlinkd-switch) NEW_H1=$(lab_pid h1-unit-onlinkd-host)
check "the switch agent restarted by the upgrade ($OLD_SW -> $NEW_SW)" bash -c "[ -n '$NEW_SW' ] && [ '$NEW_SW' != '$OLD_SW' ] && kill -0 $NEW_SW"
check "the host agent restarted by the upgrade ($OLD_H1 -> $NEW_H1)" bash -c "[ -n '$NEW_H1' ] && [ '$NEW_H1' != '$OLD_H1' ] && kill -0 $NEW_H1"
check_eq "...the switch agent runs $V2 (onlink status)" "$(on sw onlink status --json | jq -r .version)" "$V2"
check_eq "...the host agent runs $V2" "$(on h1 onlink status --json | jq -r .version)" "$V2"
check_eq "the egress proxy was not restarted (same pid)" "$(lab_pid h1-unit-onlinkd-egress)" "$OLD_EG"
check_eq "...it still runs $V until the operator restarts it" \
	"$(on h1 onlink status -s /run/onlink/egress.sock --json | jq -r .version)" "$V"
h1_up() { [ "$(on h1 onlink status --json | jq -r '.ready and .switches[0].state == "up"')" = true ]; }
check "h1's new agent: connected to the new switch agent, ready" wait_for 20 "h1 up" h1_up
egress_agent() { [ "$(on h1 onlink status -s /run/onlink/egress.sock --json | jq -r .agent)" = true ]; }
check "the egress proxy is connected to the new host agent" wait_for 20 "egress agent" egress_agent
check_eq "h1: onlink's objects as they were" "$(h1_objects)" "$objects_before"
check "BIRD's sessions on the switch (transit-a, transit-b, h1) kept through the upgrade" kept "$since_before" "$(since_all)"
# what the kernels saw meanwhile: nothing but the sentinels, the kernel's
# own neighbor probing (an entry's state, not a write) and link
# notifications that carry no alias, the one link attribute onlink writes
# (a port's description): the bridge's and the kernel's own about a port,
# seen here now and then around a restart, and without one.
kernel_writes() { # NS MARK
	local l
	l=$(mon_since "$1" "$2") || { echo "$l"; return; }
	awk '
		function flush() { if (g != "" && !(link && g !~ /\n +alias /)) printf "%s", g; g = ""; link = 0 }
		/^\[/ { flush(); g = $0 "\n"; link = ($0 ~ /^\[[^]]*\] [0-9]+: /); next }
		{ g = g $0 "\n" }
		END { flush() }' <<<"$l" |
		grep -vE '^\[[^]]*\] [0-9a-f.:]+ dev [^ ]+ (lladdr [0-9a-f:]+ )?(router )?(managed )?(REACHABLE|STALE|DELAY|PROBE|FAILED|INCOMPLETE)( proto [0-9a-z-]+)? *$' |
		grep -vE '^\[[^]]*\] Deleted [0-9a-f.:]+ dev [^ ]+ (lladdr [0-9a-f:]+ )?(router )?(STALE|FAILED|INCOMPLETE) *$' | grep .
}
check_eq "h1: the upgrade rewrote no kernel object (ip monitor)" "$(kernel_writes h1 "$mh1")" ""
check_eq "the switch: likewise" "$(kernel_writes sw "$msw")" ""
since_new() { sed -n "/onlinkd $V2/,\$p" "$LAB_DIR/$1.log"; }
check_eq "...and the new agents logged no kernel write" \
	"$({ since_new sw-unit-onlinkd-switch; since_new h1-unit-onlinkd-host; } |
		grep -E "(add|replace|delete) (neighbor|address|route|rule)|alias \"|restored|table updated")" ""
nft_changes() { nft_sentinel > /dev/null || { echo "(the nft monitor is not live)"; return; }; tail -n +$((mnft + 1)) "$LAB_DIR/nftmon-h1.log" | grep -v 'lab_sentinel_\|^# new generation'; }
check_eq "h1: the egress proxy's nftables table untouched (nft monitor)" "$(nft_changes)" ""
touch "$LAB_DIR/flows.stop"
wait_for 20 "flows done" grep -q '^{' "$LAB_DIR/flows.log"
res=$(grep '^{' "$LAB_DIR/flows.log")
check_eq "the proxy's 8 client flows lived through the upgrade: none broken ($res)" "$(jq .broken <<<"$res")" 0

# the egress proxy says it runs the old onlinkd; restarted by the operator
# (README.Debian), it runs the new one, and new client connections work
out=$(on h1 onlink status -s /run/onlink/egress.sock 2>&1)
check "onlink status of the egress proxy says to restart it ($(grep note <<<"$out"))" \
	grep -q "runs onlinkd $V; $V2 is installed: \`systemctl restart onlinkd-egress\`" <<<"$out"
check "the operator restarts the egress proxy" on h1 systemctl restart onlinkd-egress
check_eq "...it runs $V2" "$(on h1 onlink status -s /run/onlink/egress.sock --json | jq -r .version)" "$V2"
check "...no note any more" eval '! on h1 onlink status -s /run/onlink/egress.sock | grep -q "^note:"'
check "...clients' connections through it work" \
	wait_for 30 "echo" n c1 python3 "$LAB_ROOT/lab/tools/echo_client.py" 203.0.113.1 9000 4 0,1460,100000
EG=$(lab_pid h1-unit-onlinkd-egress)

# 4. removal: the agents stop; the host keeps its kernel state (it goes
# on forwarding), the egress proxy removes its table (onlinkd(8))
check "dpkg -r onlink on h1" on h1 dpkg -r onlink
check "...its agents stopped" bash -c "! kill -0 $NEW_H1 2>/dev/null && ! kill -0 $EG 2>/dev/null"
check_eq "...the host's kernel state kept: onlink's objects as they were" "$(h1_objects)" "$objects_before"
rules_kept() { n h1 ip rule show | grep -q 'lookup 101'; }
check "...onlink's rules kept" rules_kept
egress_table() { n h1 nft list table inet onlink_egress > /dev/null 2>&1; }
check "...the egress proxy's table removed" eval '! egress_table'
check "...the binaries and units gone" on h1 bash -c "[ ! -e /usr/sbin/onlinkd ] && [ ! -e /lib/systemd/system/onlinkd-host.service ]"
check "dpkg -r onlink on the switch" on sw dpkg -r onlink
check "...its agent stopped" bash -c "! kill -0 $NEW_SW 2>/dev/null"
check "...BIRD's sessions kept (its include file stays until the purge)" \
	bash -c "[ \"\$(birdc -s '$LAB_DIR/bird-pa.ctl' show protocols pop4 | awk '\$1 == \"pop4\" { print \$6 }')\" = Established ]"
check "...and /var/lib/onlink" on sw test -f /var/lib/onlink/bird/onlink.conf
out=$(on sw dpkg --purge onlink 2>&1)
check "dpkg --purge onlink on the switch: /var/lib/onlink removed" on sw test ! -e /var/lib/onlink
check "...with a word about BIRD's include ($out)" grep -q "still includes a file under /var/lib/onlink" <<<"$out"
check "...the operator's keys and configs kept in /etc/onlink" on sw test -f /etc/onlink/switch.key
check "...the units' links gone" on sw bash -c "! ls /etc/systemd/system/*.wants/onlinkd-* 2>/dev/null | grep -q ."
check "dpkg --purge onlink on h1" on h1 dpkg --purge onlink
check "...dpkg knows it no more" eval '! on h1 dpkg-query -W onlink > /dev/null 2>&1'

# 5. a machine without BIRD: onlink first, BIRD after it
ns_add nb
view_make nb || { not_ok "the third machine's file system"; exit 1; }
nb_log() { on nb "$@" >> "$LAB_DIR/nb.log" 2>&1; }
# no service starts on it (policy-rc.d, as in a chroot), BIRD purged
on nb bash -c "printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d"
nb_log dpkg --purge bird2
# userdel refuses while the lab's BIRDs run as user bird: the machine's
# own files, as if it never had BIRD
on nb sed -i '/^bird:/d' /etc/passwd /etc/shadow /etc/group /etc/gshadow
check "nb: no BIRD, no group bird" on nb bash -c "! dpkg-query -W -f '\${Status}' bird2 2>/dev/null | grep -q 'ok installed' && ! getent group bird"
check "nb: dpkg -i onlink without BIRD" nb_log dpkg -i "$PKG"
check "...installed, /var/lib/onlink made" on nb bash -c "dpkg-query -W -f '\${Status}' onlink | grep -q 'install ok installed' && [ -d /var/lib/onlink ]"
check "...but not /var/lib/onlink/bird: group bird does not exist" on nb test ! -e /var/lib/onlink/bird
check "nb: dpkg -i bird2 after onlink" nb_log dpkg -i "$LAB_ROOT/build/tools/bird2.deb"
check_eq "...its trigger made /var/lib/onlink/bird: root, group bird, set-group-ID" \
	"$(on nb stat -c '%U:%G %a' /var/lib/onlink/bird 2>&1)" "root:bird 2750"
