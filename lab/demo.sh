#!/usr/bin/env bash
# `make demo`: bring up the POP lab, show onlink at work, tear it down
# (KEEP=1 leaves it up; `make demo-down` removes it).
set -u
. "$(dirname "$0")/lib.sh"
LAB_DIR=${LAB_DIR:-/run/onlink-lab}
if [ "$(id -u)" != 0 ]; then
	echo "the demo creates network namespaces: run 'make demo' as root" >&2
	exit 1
fi
if [ -f "$LAB_DIR/env" ]; then
	echo "removing the previous demo lab first"
	lab_init "$LAB_DIR"
	lab_down
	rm -rf "$LAB_DIR"
fi
lab_init "$LAB_DIR"
# the switch agent drives BIRD: failover to a backup, drain, announcements;
# and sends changes by its fast path (a multicast group on br0)
export LAB_FAILOVER=1 LAB_HOLD_DOWN=2s LAB_FAST_PATH=239.255.71.4:4714
finish() {
	if [ "${KEEP:-0}" = 1 ]; then
		echo
		echo "The two-switch lab stays up (KEEP=1). Try:"
		echo "  sudo ip netns exec ${LAB_PREFIX}h1 ip route show 198.19.0.0/24"
		echo "  sudo $ONLINK status -s $LAB_DIR/host-h1.sock"
		echo "  sudo ip netns exec ${LAB_PREFIX}h1 ping -m 101 198.19.0.1"
		echo "Remove it with: make demo-down (as root)"
	else
		lab_down
		rm -rf "$LAB_DIR"
		echo
		echo "Lab removed (KEEP=1 leaves it up)."
	fi
}
trap finish EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
# prints the command as typed in that namespace, then runs it
show() {
	if [ "$1" = n ]; then printf '[%s] $ %s\n' "$2" "${*:3}"; else printf '$ %s\n' "$*"; fi
	"$@"
}

step "1. Bringing up the POP: 2 providers (BIRD, eBGP), a switch (bridge, BIRD route reflector, onlinkd switch), 2 hosts (BIRD iBGP, onlinkd host)"
lab_up || { echo "the lab did not converge; logs are in $LAB_DIR"; exit 1; }
echo "converged: both hosts route the providers' prefixes through both providers"
echo "each agent has its own key pair (onlink genkey, onlink pubkey); the switch agent serves only the hosts its config lists:"
grep -A1 '^\[host ' "$LAB_DIR/switch.conf" | grep -v '^--'

step "2. What the switch agent sees (neighbor table, bridge ports) and streams to the hosts"
show "$ONLINK" status -s "$LAB_DIR/switch.sock"

step "3. On host h1: each provider looks directly connected"
show n h1 ip addr show dev eth0
show n h1 ip neigh show nud permanent
show n h1 ip -6 route show proto 177
show n h1 ip rule show
step "   ... so BIRD installs the full table with the providers as next hops"
show n h1 ip route show 203.0.113.0/24
show n h1 ip -6 route show 2001:db8:ff::/48
show "$ONLINK" status -s "$LAB_DIR/host-h1.sock"

step "4. Pinging 203.0.113.1 through each provider's table (firewall mark = table id)"
for t in 101 102; do
	show n h1 ping -q -c 3 -i 0.2 -m $t 203.0.113.1 | grep -v '^$\|^PING\|^---'
done
show n h1 ping -6 -q -c 3 -i 0.2 -m 102 2001:db8:ff::1 | grep -v '^$\|^PING\|^---'

step "5. Provider A's router changes its MAC; the hosts follow (one multicast datagram from the switch agent)"
show n pa ip link set eth0 address 02:00:00:00:01:ee
for i in 1 2; do
	wait_for 5 "h$i follows" bash -c "ip netns exec ${LAB_PREFIX}h$i ip neigh show 10.0.1.1 dev eth0 | grep -q 02:00:00:00:01:ee"
	show n h$i ip neigh show 10.0.1.1 dev eth0
done
show n h1 ping -q -c 3 -i 0.2 -m 101 203.0.113.1 | grep -v '^$\|^PING\|^---'
echo
echo "Host agent log (h1):"
tail -n 6 "$LAB_DIR/onlinkd-h1.log"
show "$ONLINK" status -s "$LAB_DIR/host-h1.sock" | grep "fast path"

step "6. Provider A's port on the switch goes dark: every route through A moves to B at once"
show n h1 ip route show 198.19.0.0/24
show n sw ip link set sw-pa down
wait_for 5 "h1 substitutes" bash -c "ip netns exec ${LAB_PREFIX}h1 ip neigh show 10.0.1.1 dev eth0 | grep -q $PROVIDER_MAC_B"
show n h1 ip neigh show 10.0.1.1 dev eth0
echo "(that is provider B's MAC: the routes via 10.0.1.1 now reach B, and BGP converges behind)"
show "$ONLINK" status -s "$LAB_DIR/switch.sock" | sed -n '4,10p'
show n sw ip link set sw-pa up
echo "waiting for the hold-down (2 s) and A's BGP sessions ..."
wait_for 60 "recovered" bash -c "ip netns exec ${LAB_PREFIX}h1 ip neigh show 10.0.1.1 dev eth0 | grep -q 02:00:00:00:01:ee"
show n h1 ip neigh show 10.0.1.1 dev eth0
grep -E "failed|recovered|BIRD: (dis|en)able" "$LAB_DIR/onlinkd-sw.log" | tail -n 6

step "7. Announcing a prefix to provider B only, prepended, through BIRD"
show "$ONLINK" announce -s "$LAB_DIR/switch.sock" 198.18.77.0/24 --via transit-b --prepend 2
wait_for 5 "B sees it" bash -c "birdc -s '$LAB_DIR/bird-pb.ctl' show route 198.18.77.0/24 | grep -q 198.18.77"
show birdc -s "$LAB_DIR/bird-pb.ctl" show route 198.18.77.0/24 all | grep -E "198.18|as_path"

step "8. A redundant POP: two switches, each with its provider, agent and BIRD route reflector; each host has an uplink to each"
lab_down
rm -rf "$LAB_DIR"
lab_init "$LAB_DIR"
export LAB_DESIGN=uplinks LAB_SW_HOLD_DOWN=2s
unset LAB_FAILOVER LAB_FAST_PATH
lab2_up || { echo "the two-switch lab did not converge; logs are in $LAB_DIR"; exit 1; }
echo "converged: h1 peers with both route reflectors; transit-a is on switch A (eth0), transit-b on switch B (eth1)"
show "$ONLINK" status -s "$LAB_DIR/host-h1.sock"
step "   providers are on-link on one device, onlink0; each frame goes to the uplink of the switch that announced its MAC"
show n h1 ip neigh show dev onlink0 nud permanent
show n h1 ip route show 198.19.0.0/24
show n h1 nft list table netdev onlink_uplinks

step "9. Switch A dies whole (every port dark, its BIRD and agent killed) under a 1000/s ping through transit-a's table"
n h1 ping -q -m 101 -i 0.001 -w 5 198.19.0.1 > "$LAB_DIR/ping.out" 2>&1 &
sleep 1.5
printf '[swa] $ ip link set ... down (every port at once); kill -9 bird onlinkd\n'
lab2_kill_switch a
wait_for 20 "the ping's summary" grep -q transmitted "$LAB_DIR/ping.out"
grep transmitted "$LAB_DIR/ping.out"
echo "(each lost ping is a millisecond: h1 saw eth0 lose carrier and pointed transit-a's neighbors at transit-b's MAC,"
echo " which the steering table sends out of eth1; BIRD's routes, which name onlink0, did not have to move)"
show n h1 ip neigh show 10.0.1.1 dev onlink0
show "$ONLINK" status -s "$LAB_DIR/host-h1.sock" | sed -n '/UPLINK/,/^$/p'
grep -E "switch swa: dead" "$LAB_DIR/onlinkd-h1.log" | tail -n 1

step "10. Switch A comes back: its providers are used again after the hold-down (2 s)"
lab2_revive_switch a
wait_for 30 "back" bash -c "ip netns exec ${LAB_PREFIX}h1 ip neigh show 10.0.1.1 dev onlink0 | grep -q $PROVIDER_MAC_A"
show n h1 ip neigh show 10.0.1.1 dev onlink0
grep -E "switch swa: forwarding" "$LAB_DIR/onlinkd-h1.log" | tail -n 2
