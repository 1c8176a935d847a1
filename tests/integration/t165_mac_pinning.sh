#!/usr/bin/env bash
# Provider MAC pinning: a host that answers ARP for a provider's address
# (one forged gratuitous reply) poisons the switch kernel's neighbor entry,
# but the switch agent publishes a provider's MAC only when the bridge
# learned it on the provider's own port: every host keeps sending to the
# real provider, and the switch's entry is put back. transit-a's port is learned, transit-b's is configured
# (`port = sw-pb`). A real MAC change on the provider's port still goes
# through at once.
. "$(dirname "$0")/testlib.sh"
export LAB_METRICS=1 LAB_PIN_PORTS=1
t_lab
GARP="$LAB_ROOT/lab/tools/garp.py"

neigh_mac() { n "$1" ip neigh show "$2" dev "$3" | grep -o 'lladdr [0-9a-f:]*' | cut -d' ' -f2; }
hosts_keep() { # ADDR MAC: both hosts' entries stay MAC for 2 s
	local k
	for k in $(seq 20); do
		[ "$(neigh_mac h1 "$1" eth0)" = "$2" ] && [ "$(neigh_mac h2 "$1" eth0)" = "$2" ] || return 1
		sleep 0.1
	done
}
pin() { st "$LAB_DIR/switch.sock" ".providers[] | select(.name == \"$1\") | .pinned.$2"; }
refused() { n sw curl -sf http://127.0.0.1:9477/metrics | awk -v p="$1" '$1 == "onlink_switch_mac_refused_total{provider=\"" p "\"}" { print $2 }'; }

check_eq "transit-a: pinned to the port it answered on" "$(pin transit-a port) $(pin transit-a from)" "sw-pa learned"
check_eq "transit-b: pinned to its configured port" "$(pin transit-b port) $(pin transit-b from)" "sw-pb config"
check "onlink status shows the pinned ports" bash -c "'$ONLINK' status -s '$LAB_DIR/switch.sock' | grep -q 'MAC pinned to port sw-pa (where it first answered); 0 answers' &&
	'$ONLINK' status -s '$LAB_DIR/switch.sock' | grep -q \"MAC pinned to port sw-pb ('port' in the config)\""

# every neighbor change on the hosts, from before the attack on (a
# sentinel entry proves each monitor is live)
for h in h1 h2; do
	lab_spawn "mon-$h" "$h" ip -ts monitor neigh
	n $h ip neigh add 10.10.0.99 lladdr 02:00:00:00:99:99 dev eth0
	n $h ip neigh del 10.10.0.99 dev eth0
	check "$h: neighbor monitor live" wait_for 5 "monitor" grep -q "10.10.0.99 " "$LAB_DIR/mon-$h.log"
done

# h1 claims transit-a's address, h2 transit-b's
H1_MAC=$(n h1 cat /sys/class/net/eth0/address)
H2_MAC=$(n h2 cat /sys/class/net/eth0/address)
n h1 python3 "$GARP" eth0 10.0.1.1 5 0.3 & g1=$!
n h2 python3 "$GARP" eth0 10.0.2.1 5 0.3 & g2=$!
wait $g1 $g2
check "the forged answers reached the switch kernel (the attack landed)" wait_for 5 "poisoned" bash -c "
	[ \"\$(ip netns exec ${LAB_PREFIX}sw ip neigh show 10.0.1.1 dev br0 | grep -o 'lladdr [0-9a-f:]*')\" = 'lladdr $H1_MAC' ] ||
	grep -q 'provider transit-a: 10.0.1.1 answered as $H1_MAC' '$LAB_DIR/onlinkd-sw.log'"
check "the switch agent logged the refusal with the port and the MAC" wait_for 5 "logged" \
	grep -q "provider transit-a: 10.0.1.1 answered as $H1_MAC on port sw-h1, not on its own port sw-pa: not published" "$LAB_DIR/onlinkd-sw.log"
check "and for transit-b, pinned by the config" wait_for 5 "logged" \
	grep -q "provider transit-b: 10.0.2.1 answered as $H2_MAC on port sw-h2, not on its own port sw-pb: not published" "$LAB_DIR/onlinkd-sw.log"
check "the switch's own entry for transit-a is put back, managed" wait_for 5 "restored" bash -c "
	ip netns exec ${LAB_PREFIX}sw ip neigh show 10.0.1.1 dev br0 | grep -q 'lladdr $PROVIDER_MAC_A managed'"
check "every host keeps transit-a's real MAC" hosts_keep 10.0.1.1 "$PROVIDER_MAC_A"
check "every host keeps transit-b's real MAC" hosts_keep 10.0.2.1 "$PROVIDER_MAC_B"
for h in h1 h2; do
	check_eq "$h: no entry for a provider ever pointed at a forger" \
		"$(grep -E "10\.0\.[12]\.1 dev eth0 lladdr ($H1_MAC|$H2_MAC)" "$LAB_DIR/mon-$h.log")" ""
done
check_eq "the switch still publishes transit-a's real MAC" \
	"$(st "$LAB_DIR/switch.sock" '.providers[] | select(.name == "transit-a") | .addresses[] | select(.address == "10.0.1.1") | .mac')" "$PROVIDER_MAC_A"
a=$(refused transit-a) b=$(refused transit-b)
check "the refusals are counted (transit-a ${a:-none}, transit-b ${b:-none})" [ "${a:-0}" -ge 1 ] && [ "${b:-0}" -ge 1 ]
check "h1 still reaches the Internet through transit-a" wait_for 10 "ping" n h1 ping -c 1 -W 1 -m 101 203.0.113.1

# a real MAC change on the provider's own port goes through
NEW=02:00:00:00:01:aa
n pa ip link set eth0 address $NEW
for i in 1 2; do
	check "h$i: follows transit-a's real MAC change" wait_for 5 "mac" bash -c "[ \"\$(ip netns exec ${LAB_PREFIX}h$i ip neigh show 10.0.1.1 dev eth0 | grep -o 'lladdr [0-9a-f:]*')\" = 'lladdr $NEW' ]"
done
