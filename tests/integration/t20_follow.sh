#!/usr/bin/env bash
# Hosts follow the switch: a provider's MAC change, a provider port losing
# carrier and coming back, and a non-unicast MAC that must never be installed.
. "$(dirname "$0")/testlib.sh"
t_lab

neigh_mac() { n "$1" ip neigh show "$2" dev eth0 | grep -o 'lladdr [0-9a-f:]*' | cut -d' ' -f2; }
has_mac() { [ "$(neigh_mac "$1" "$2")" == "$3" ]; }
no_neigh() { [ -z "$(n "$1" ip neigh show "$2" dev eth0 proto 177)" ]; }

# 1. the provider's router gets a new MAC; it announces it (gratuitous ARP,
# unsolicited NA) and the switch kernel updates its neighbor entries
NEW=02:00:00:00:01:aa
n pa ip link set eth0 address $NEW
for i in 1 2; do
	check "h$i: IPv4 neighbor of provider A follows the MAC change" wait_for 5 "mac" has_mac h$i 10.0.1.1 $NEW
	check "h$i: IPv6 neighbor of provider A follows the MAC change" wait_for 5 "mac" has_mac h$i 2001:db8:1::1 $NEW
done
check "h1: still reaches 203.0.113.1 through provider A after the change" quiet n h1 ping -c 2 -i 0.1 -W 1 -m 101 203.0.113.1
check "the MAC change replaced the entry in place (no delete seen by the host agent)" \
	bash -c "! grep -q 'delete neighbor 10.0.1.1' '$LAB_DIR/onlinkd-h1.log'"

# 2. provider A's port on the switch loses carrier: the switch's neighbor
# entry stays REACHABLE for a while, so only the bridge port tells
n sw ip link set sw-pa down
for i in 1 2; do
	check "h$i: provider A's neighbors removed after its port went down" wait_for 3 "removed" no_neigh h$i 10.0.1.1
	check "h$i: provider A's peer address removed" wait_for 3 "peer" bash -c "! ip netns exec ${LAB_PREFIX}h$i ip addr show dev eth0 | grep -q 'peer 10.0.1.1'"
done
check_eq "h1: status shows transit-a down" "$(st "$(host_sock 1)" '.providers[] | select(.name=="transit-a") | .state')" "down"
check "h1: traffic marked for the dead provider fails instead of leaking elsewhere" \
	bash -c "ip netns exec ${LAB_PREFIX}h1 ip route get 203.0.113.1 mark 101 2>&1 | grep -q 'No route to host'"
check "h1: provider B untouched" has_mac h1 10.0.2.1 $PROVIDER_MAC_B
n sw ip link set sw-pa up
for i in 1 2; do
	check "h$i: provider A back after its port came up" wait_for 10 "back" has_mac h$i 10.0.1.1 $NEW
done
# (the provider's own BGP session to the switch also went down with the
# port; replies need it back)
check "h1: reaches 203.0.113.1 through provider A again" wait_for 30 "ping" n h1 ping -c 1 -W 1 -m 101 203.0.113.1

# 3. a multicast MAC on the switch is never installed on hosts
n sw ip neigh replace 10.0.2.1 lladdr 01:00:5e:00:00:01 dev br0 nud permanent
check "h1: provider B's IPv4 neighbor withdrawn rather than set to a multicast MAC" wait_for 3 "withdrawn" no_neigh h1 10.0.2.1
check "switch logged the non-unicast MAC" grep -q "non-unicast MAC 01:00:5e:00:00:01" "$LAB_DIR/onlinkd-sw.log"
check "h1: provider B's IPv6 address still installed (separate entry)" has_mac h1 2001:db8:2::1 $PROVIDER_MAC_B
n sw ip neigh del 10.0.2.1 dev br0
check "h1: provider B's IPv4 neighbor back once the switch re-resolves it" wait_for 10 "back" has_mac h1 10.0.2.1 $PROVIDER_MAC_B
check "switch: the re-solicited entry is onlink's managed one" bash -c "ip netns exec ${LAB_PREFIX}sw ip neigh show 10.0.2.1 dev br0 | grep -q 'managed.*proto 177'"

# 4. after all these turns, a full rebuild (SIGHUP with the config
# unchanged) wants what the turns kept: nothing to write, nothing differs
HSOCK=$(host_sock 1)
read -r rebuilds0 writes0 < <("$ONLINK" status -s "$HSOCK" --json | jq -r '[.rebuilds, .kernel_writes] | @tsv')
check "h1: changes came as incremental turns" bash -c "[ \"\$('$ONLINK' status -s '$HSOCK' --json | jq .turns)\" -gt 0 ]"
kill -HUP "$(lab_pid onlinkd-h1)"
check "h1: SIGHUP rebuilds the desired state in full" wait_for 5 "rebuild" \
	bash -c "[ \"\$('$ONLINK' status -s '$HSOCK' --json | jq .rebuilds)\" -gt $rebuilds0 ]"
check_eq "h1: the rebuild found what the turns kept" "$(st "$HSOCK" '.rebuild_mismatches')" "0"
check_eq "h1: and the kernel needed no write" "$(st "$HSOCK" '.kernel_writes')" "$writes0"

# 4. provider A changes its MAC again, this time announcing nothing (no
# gratuitous ARP, no unsolicited NA): the switch's entries go stale, its
# unicast probes to the old MAC go unanswered, and its multicast probes
# (mcast_resolicit, set by the switch agent) find the new MAC. The
# provider's addresses move to it without ever being published down.
# (Reachable time cut to 1 s on the switch's bridge, so that this takes
# seconds rather than a minute.)
check "the switch agent made br0 probe by multicast too" bash -c \
	"[ \"\$(ip netns exec ${LAB_PREFIX}sw sysctl -n net.ipv6.neigh.br0.mcast_resolicit)\" = 3 ] && [ \"\$(ip netns exec ${LAB_PREFIX}sw sysctl -n net.ipv4.neigh.br0.mcast_resolicit)\" = 3 ]"
for f in ipv4 ipv6; do
	n sw sysctl -qw net.$f.neigh.br0.base_reachable_time_ms=1000 net.$f.neigh.br0.delay_first_probe_time=1
done
n pa sysctl -qw net.ipv4.conf.all.arp_notify=0 net.ipv6.conf.all.ndisc_notify=0 net.ipv4.conf.eth0.arp_notify=0 net.ipv6.conf.eth0.ndisc_notify=0
# nor does it ever ask the switch anything (its own entries made static):
# only the switch's probes can find the new MAC
n pa ip -4 neigh show dev eth0 | awk '/lladdr/ { print "neigh replace " $1 " lladdr " $3 " dev eth0 nud permanent" }' > "$LAB_DIR/pa-neigh.batch"
n pa ip -6 neigh show dev eth0 | awk '/lladdr/ && $1 !~ /^fe80/ { print "-6 neigh replace " $1 " lladdr " $3 " dev eth0 nud permanent" }' >> "$LAB_DIR/pa-neigh.batch"
n pa ip -batch "$LAB_DIR/pa-neigh.batch"
mon_start h1
m=$(mon_mark h1)
QUIET=02:00:00:00:01:bb
n pa ip link set eth0 address $QUIET
for i in 1 2; do
	check "h$i: IPv4 neighbor of provider A follows a MAC change nobody announced" wait_for 30 "mac" has_mac h$i 10.0.1.1 $QUIET
	check "h$i: IPv6 neighbor of provider A likewise" wait_for 30 "mac" has_mac h$i 2001:db8:1::1 $QUIET
done
# published down, an address's neighbor and routes would be deleted on h1
gone() { local l; l=$(mon_since h1 "$m") || { echo "$l"; return; }; grep -E 'Deleted .*(10\.0\.1\.1|2001:db8:1::1)' <<<"$l"; }
check_eq "...and no address of provider A was ever published down meanwhile (nothing deleted on h1)" "$(gone)" ""

# 5. h2's uplink taken down and up by an operator: the kernel removes its
# IPv6 address (keep_addr_on_down is 0 here, as by default), so its IPv6
# routes through the providers cannot be installed ("Invalid source
# address") whatever the switch says. Status says so, and what to do;
# once the address is back, the routes follow it at once.
warn=$(n h2 "$ONLINKD" host -n -c "$LAB_DIR/host-h2.conf" 2>&1 >/dev/null)
check "onlinkd -n warns that an admin down would remove the IPv6 address" \
	grep -qF "warning: net.ipv6.conf.eth0.keep_addr_on_down is 0: an admin down of eth0 removes this host's IPv6 address" <<<"$warn"
n h2 ip link set eth0 down
n h2 ip link set eth0 up
check "h2: the kernel removed its IPv6 address" bash -c "! ip netns exec ${LAB_PREFIX}h2 ip -6 addr show dev eth0 | grep -q 2001:db8:10::12"
v4_back() { n h2 ip route show table 101 | grep -q "default via 10.0.1.1"; }
check "h2: its IPv4 routes are back" wait_for 15 "table 101" v4_back
check_eq "h2: status says its IPv6 address is missing" \
	"$(st "$(host_sock 2)" '.host_addresses[] | select(.address == "2001:db8:10::12") | .present')" false
check_eq "...and that provider A's IPv6 address, up at the switch, is not installed" \
	"$(st "$(host_sock 2)" '.providers[] | select(.name == "transit-a") | .addresses[] | select(.address == "2001:db8:1::1") | "\(.state) \(.installed) \(.why)"')" \
	"up false the host's address 2001:db8:10::12 is not on eth0"
check "...in words, with the remedy" bash -c "'$ONLINK' status -s '$(host_sock 2)' | grep -qF 'this host'\''s address 2001:db8:10::12 is not on eth0: its routes through the providers cannot be installed until it is back (an admin down removes an IPv6 address unless net.ipv6.conf.eth0.keep_addr_on_down = 1)'"
check_eq "...IPv4 is installed" "$(st "$(host_sock 2)" '[.providers[].addresses[] | select(.address | contains(".")) | .installed] | unique | join(",")')" ""
n h2 ip -6 addr add 2001:db8:10::12/64 dev eth0 nodad
v6_back() { n h2 ip -6 route show 2001:db8:1::1 | grep -q "proto 177" && n h2 ip -6 route show table 101 | grep -q "default via 2001:db8:1::1"; }
check "h2: the operator puts the address back: the IPv6 routes follow within 3 s" wait_for 3 "IPv6 routes" v6_back
check_eq "...and status says they are installed" \
	"$(st "$(host_sock 2)" '[.host_addresses[].present, (.providers[].addresses[] | .installed // true)] | unique | join(",")')" "true"
