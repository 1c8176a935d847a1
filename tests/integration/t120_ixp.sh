#!/usr/bin/env bash
# An exchange LAN: 500 provider sections on the switch, their next hops on
# the switch's bridge. Every host ends with every provider on-link (address,
# permanent neighbor with the right MAC, table, rule); the switch agent's
# start-up to the hosts' convergence and the agents' memory are reported.
. "$(dirname "$0")/testlib.sh"
t_lab
N=500
# peers 10.2.0.1 ... 10.2.1.250, MAC 02:00:00:bb:HI:LO, tables 1001 ...
peer() { echo "10.2.$(($1 / 250)).$(($1 % 250 + 1))"; }
mac() { printf '02:00:00:bb:%02x:%02x' $(($1 / 256)) $(($1 % 256)); }
for i in $(seq 0 $((N - 1))); do
	printf '[provider ix-%d]\naddress = %s\ninterface = br0\ntable = %d\n\n' "$i" "$(peer "$i")" $((1001 + i))
done > "$LAB_DIR/ixp.conf"
for i in $(seq 0 $((N - 1))); do
	echo "neigh replace $(peer "$i") lladdr $(mac "$i") dev br0 nud permanent"
done > "$LAB_DIR/ixp.batch"
for i in $(seq 0 $((N - 1))); do echo "$(peer "$i") $(mac "$i")"; done | sort > "$LAB_DIR/ixp.want"
n sw ip -batch "$LAB_DIR/ixp.batch"

# a cold start of the switch agent with the 500 extra sections
kw() { "$ONLINK" status -s "$(host_sock 1)" --json | jq -r "[.kernel_writes, .kernel_write_batches] | @tsv"; }
read -r w0 b0 <<<"$(kw)"
lab_stop onlinkd-sw
cat "$LAB_DIR/ixp.conf" >> "$LAB_DIR/switch.conf"
check "the config with $((N + 2)) providers is valid" quiet "$ONLINKD" -n -c "$LAB_DIR/switch.conf"
t0=$(date +%s%N)
start_switchd
all_up() { [ "$("$ONLINK" status -s "$(host_sock "$1")" --json | jq '[.providers[] | select(.state == "up")] | length')" = $((N + 2)) ]; }
check "h1: all $((N + 2)) providers up" wait_for 60 "h1" all_up 1
check "h2: all $((N + 2)) providers up" wait_for 60 "h2" all_up 2
t1=$(date +%s%N)
have() { # NS: the permanent neighbors it holds for the exchange's peers, "ADDR MAC"
	n "$1" ip -4 neigh show dev eth0 nud permanent | awk '$1 ~ /^10\.2\./ { print $1, $3 }' | sort
}
for h in h1 h2; do
	check "$h: $N permanent neighbors, each with its peer's MAC" cmp -s <(have $h) "$LAB_DIR/ixp.want"
	check_eq "$h: $N rules, one per table" "$(n $h ip -4 rule show | grep -cE 'fwmark 0x[0-9a-f]+ lookup (1[0-4][0-9][0-9]|1500) proto 177')" "$N"
	check_eq "$h: $N tables with a default route" \
		"$(n $h ip -4 route show table all proto 177 | grep -cE '^default via 10\.2\.[01]\.[0-9]+ dev eth0 table (1[0-4][0-9][0-9]|1500)')" "$N"
done

# the snapshot's address, neighbor, route and rule per provider: written
# in one netlink batch (or a few), not one round trip each
read -r w1 b1 <<<"$(kw)"
echo "# h1 wrote $((w1 - w0)) kernel objects for the snapshot in $((b1 - b0)) netlink messages"
check "h1: at least $((2 * N)) kernel writes for the snapshot ($((w1 - w0)))" [ $((w1 - w0)) -ge $((2 * N)) ]
check "h1: ... in at most 3 netlink messages ($((b1 - b0)))" [ $((b1 - b0)) -le 3 ]
check "h1: the snapshot's writes logged as a summary line ..." \
	grep -qE "info: [0-9]{4,} kernel writes: [0-9]{4,} added, [0-9]+ replaced, [0-9]+ deleted, 0 failed" "$LAB_DIR/onlinkd-h1.log"
check "h1: ... not as a line each" bash -c "! grep -q 'info: add neighbor 10\.2\.' '$LAB_DIR/onlinkd-h1.log'"

rss() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
# measured once h1 has done its last large piece of work, the traffic
# counters' map of every provider address (written 200 ms after the turn
# that changed them; libnftables' parse of it is the agent's peak, given
# back at once): not in the middle of it
counted() { [ "$(n h1 nft -j list map inet onlink_traffic nh4 | jq '[.nftables[] | select(.map) | .map.elem // [] | length] | add')" -ge $((N + 2)) ]; }
check "h1: the traffic counters' map holds every provider address" wait_for 20 "counters" counted
sw_kb=$(rss "$(lab_pid onlinkd-sw)") h1_kb=$(rss "$(lab_pid onlinkd-h1)")
echo "# $((N + 2)) providers: switch agent start to both hosts converged: $(( (t1 - t0) / 1000000 )) ms (includes the status polling)"
echo "# resident memory: switch agent ${sw_kb} KiB, host agent ${h1_kb} KiB"
if ! sanitized; then
	check "host agent under 8 MiB with $((N + 2)) providers (${h1_kb} KiB)" [ "$h1_kb" -lt 8192 ]
	check "switch agent under 32 MiB (${sw_kb} KiB)" [ "$sw_kb" -lt 32768 ]
fi

# one peer's MAC changes among the 500: both hosts follow, nothing else moves
n sw ip neigh replace "$(peer 321)" lladdr 02:00:00:cc:01:41 dev br0 nud permanent
for h in h1 h2; do
	check "$h: the one changed MAC followed" wait_for 5 "mac" \
		bash -c "ip netns exec ${LAB_PREFIX}$h ip neigh show $(peer 321) dev eth0 | grep -q 02:00:00:cc:01:41"
done
sed -i "s/^$(peer 321) .*/$(peer 321) 02:00:00:cc:01:41/" "$LAB_DIR/ixp.want"
check "h1: the other $((N - 1)) unchanged" cmp -s <(have h1) "$LAB_DIR/ixp.want"
