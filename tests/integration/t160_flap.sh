#!/usr/bin/env bash
# Link flaps: every host's uplink goes down and up 20 times, and so do the
# switch's ports to the hosts and to provider B, while provider B's MAC
# keeps changing. Every agent survives (the ASan pass of `make check` runs
# this too), and once the links stay up every host's kernel holds exactly
# what the switch publishes, with its tables and rules.
#
# A flap once crashed the host agent: the link event's reconcile read its
# dump and ACKs into the buffer the event was being parsed from.
. "$(dirname "$0")/testlib.sh"
t_lab

# Linux drops a link's IPv6 addresses when it goes down: a host's network
# manager adds them back when it comes up (flaps() does it here), and until
# then the host agent's IPv6 routes fail; the provider keeps its own
n pb sysctl -qw net.ipv6.conf.eth0.keep_addr_on_down=1

published() { "$ONLINK" status -s "$LAB_DIR/switch.sock" --json |
	jq -r '.providers[].addresses[] | select(.state == "up") | "\(.address) \(.mac)"' | sort; }
held() { n "$1" ip -j neigh show dev eth0 nud permanent | jq -r '.[] | select(.protocol == "177") | "\(.dst) \(.lladdr)"' | sort; }
agrees() {
	local want; want=$(published) && [ "$(wc -l <<<"$want")" -eq 4 ] &&
		[ "$(held h1)" = "$want" ] && [ "$(held h2)" = "$want" ]
}
tables_ok() { # HOST: both providers' tables and rules, both families
	local h=$1
	n "$h" ip -4 route show table 101 | grep -q "default via 10.0.1.1 dev eth0 proto 177" &&
		n "$h" ip -4 route show table 102 | grep -q "default via 10.0.2.1 dev eth0 proto 177" &&
		n "$h" ip -6 route show table 101 | grep -q "default via 2001:db8:1::1 dev eth0 proto 177" &&
		n "$h" ip -6 route show table 102 | grep -q "default via 2001:db8:2::1 dev eth0 proto 177" &&
		[ "$(n "$h" ip -4 rule show | grep -c 'fwmark 0x6[56] lookup 10[12] proto 177')" -eq 2 ] &&
		[ "$(n "$h" ip -6 rule show | grep -c 'fwmark 0x6[56] lookup 10[12] proto 177')" -eq 2 ] &&
		n "$h" ip -4 addr show dev eth0 | grep -q "peer 10.0.1.1/32" &&
		n "$h" ip -4 addr show dev eth0 | grep -q "peer 10.0.2.1/32"
}
alive() { kill -0 "$(lab_pid "$1")" 2>/dev/null; }

check "start: kernels agree" wait_for 10 "agree" agrees

# provider B's MAC churns in the background (arp_notify announces each one)
churn() {
	local k=0
	while [ ! -f "$LAB_DIR/churn.stop" ]; do
		k=$(( (k + 1) % 4 ))
		ip netns exec "${LAB_PREFIX}pb" ip link set eth0 address "02:00:00:00:02:1$k" 2>/dev/null
		sleep 0.1
	done
	ip netns exec "${LAB_PREFIX}pb" ip link set eth0 address "$PROVIDER_MAC_B"
}
churn &
CHURN=$!
echo "$CHURN churn" >> "$LAB_DIR/pids"

# 20 flaps of every host's uplink (in parallel, a fifth of a second apart,
# each one's IPv6 address put back as a network manager would) and, as fast
# as they go, of the switch's ports
flaps() {
	local where=$1 dev=$2 pause=${3:-} i
	for i in $(seq 20); do
		ip netns exec "$LAB_PREFIX$where" ip link set "$dev" down
		ip netns exec "$LAB_PREFIX$where" ip link set "$dev" up
		if [ -n "$pause" ]; then
			ip netns exec "$LAB_PREFIX$where" ip -6 addr replace "2001:db8:10::$(printf %x $((16 + ${where#h})))/64" dev eth0 nodad
			sleep "$pause"
		fi
	done
}
flaps h1 eth0 0.2 & f1=$!
flaps h2 eth0 0.2 & f2=$!
flaps sw sw-h1 & f3=$!
flaps sw sw-h2 & f4=$!
flaps sw sw-pb & f5=$!
wait $f1 $f2 $f3 $f4 $f5
# and once more with a pause, so that the agents see the link down
for i in 1 2; do n "h$i" ip link set eth0 down; done
check "h1: the agent saw its uplink down" wait_for 10 "down logged" grep -q "uplink eth0 is down" "$LAB_DIR/onlinkd-h1.log"
for i in 1 2; do
	n "h$i" ip link set eth0 up
	n "h$i" ip -6 addr replace "2001:db8:10::$(printf %x $((16 + i)))/64" dev eth0 nodad
done
touch "$LAB_DIR/churn.stop"
wait "$CHURN"

for d in onlinkd-sw onlinkd-h1 onlinkd-h2; do
	check "$d survived the flaps" alive "$d"
done
check "provider B's last MAC published" wait_for 20 "B back" bash -c \
	"'$ONLINK' status -s '$LAB_DIR/switch.sock' --json | jq -e '[.providers[] | select(.name == \"transit-b\") | .addresses[] | select(.state == \"up\" and .mac == \"$PROVIDER_MAC_B\")] | length == 2' >/dev/null"
check "every host's neighbors are exactly what the switch publishes" wait_for 20 "agree" agrees
for i in 1 2; do
	check "h$i: both providers' tables, rules and peer addresses in place" wait_for 20 "tables" tables_ok "h$i"
	check "h$i: reaches 203.0.113.1 through provider B" wait_for 30 "ping B" n "h$i" ping -c 1 -W 1 -m 102 203.0.113.1
done
# the repair timer ran out of things to repair: the state is stable
w1=$(grep -c "repair:" "$LAB_DIR/onlinkd-h1.log")
sleep 2 # two repair periods: nothing must be written in them
check_eq "h1: no repairs once converged" "$(grep -c "repair:" "$LAB_DIR/onlinkd-h1.log")" "$w1"
