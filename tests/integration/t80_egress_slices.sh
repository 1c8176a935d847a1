#!/usr/bin/env bash
# Soft-unicast egress, first part: the switch's slice table reaches every
# host, each host installs the shared addresses it owns a slice of (on lo,
# so local sockets can bind them), and only known hosts are served.
. "$(dirname "$0")/testlib.sh"
t_lab

for i in 1 2; do
	check "h$i: 192.0.2.10/32 installed on lo" bash -c "ip netns exec ${LAB_PREFIX}h$i ip -4 addr show dev lo | grep -q '192.0.2.10/32'"
	check "h$i: 2001:db8:e::10/128 installed on lo" bash -c "ip netns exec ${LAB_PREFIX}h$i ip -6 addr show dev lo | grep -q '2001:db8:e::10/128'"
	check "h$i: the shared address is not on the uplink" bash -c "! ip netns exec ${LAB_PREFIX}h$i ip addr show dev eth0 | grep -q '192.0.2.10'"
	check_eq "h$i: status shows its own slice" \
		"$(st "$(host_sock $i)" '.egress[] | select(.address == "192.0.2.10") | "\(.mine.first)-\(.mine.last)"')" \
		"$((i * 10000))-$((i * 10000 + 9999))"
	check_eq "h$i: status knows every host's slice (for return steering)" \
		"$(st "$(host_sock $i)" '[.egress[] | select(.address == "192.0.2.10") | .slices[] | .host + ":" + (.first | tostring)] | join(",")')" \
		"h1:10000,h2:20000"
done
check_eq "switch status lists the table" \
	"$(st "$LAB_DIR/switch.sock" '[.egress[].address] | join(",")')" "192.0.2.10,2001:db8:e::10"
check "onlink status prints the egress table" bash -c "'$ONLINK' status -s '$(host_sock 1)' | grep -q '10000-19999  (this host)'"

# a local process binds the shared address inside this host's slice
out=$(n h1 python3 -c '
import socket, struct
s = socket.socket()
s.setsockopt(socket.IPPROTO_IP, 24, 1)                              # IP_BIND_ADDRESS_NO_PORT
s.setsockopt(socket.IPPROTO_IP, 51, struct.pack("I", 19999 << 16 | 10000))  # IP_LOCAL_PORT_RANGE
s.bind(("192.0.2.10", 0))
s2 = socket.socket(); s2.bind(("192.0.2.10", 0)); print(s2.getsockname()[0])
' 2>&1)
check_eq "h1: a local socket can bind the shared address" "$out" "192.0.2.10"

# h2's key under a name the switch does not know: refused (the name comes
# from the key's [host NAME] section, not from the agent)
sed -e "s|^name = h2|name = h9|" -e "s|^control = .*|control = $LAB_DIR/h9.sock|" "$LAB_DIR/host-h2.conf" > "$LAB_DIR/h9.conf"
lab_spawn onlinkd-h9 h2 "$ONLINKD" host -c "$LAB_DIR/h9.conf"
check "switch refuses a host name it does not know" wait_for 5 "refused" grep -q "refused: the key of host 'h2' (.*), from an agent calling itself 'h9'" "$LAB_DIR/onlinkd-sw.log"
check_eq "...which learns no provider" "$(st "$LAB_DIR/h9.sock" '.providers | length')" "0"
lab_stop onlinkd-h9

# the agent's restart leaves the shared addresses alone
lab_spawn mon-h1 h1 ip -ts monitor address
n h1 ip addr add 192.0.2.99/32 dev lo && n h1 ip addr del 192.0.2.99/32 dev lo
wait_for 5 "monitor" grep -q "192.0.2.99" "$LAB_DIR/mon-h1.log"
mark=$(wc -l < "$LAB_DIR/mon-h1.log")
lab_stop onlinkd-h1 KILL
start_hostd 1
check "h1 agent back" wait_for 10 "h1 ready" bash -c "[ \"\$('$ONLINK' status -s '$(host_sock 1)' --json | jq -r '.ready and .reconciles >= 1')\" == true ]"
n h1 ip addr add 192.0.2.98/32 dev lo && n h1 ip addr del 192.0.2.98/32 dev lo
wait_for 5 "monitor" grep -q "192.0.2.98" "$LAB_DIR/mon-h1.log"
check_eq "restart: no change to the shared addresses" "$(tail -n +$((mark + 1)) "$LAB_DIR/mon-h1.log" | grep -c '192.0.2.10\|2001:db8:e::10')" "0"
n h1 ip addr del 192.0.2.10/32 dev lo
check "a shared address deleted by hand is restored" wait_for 1 "restored" bash -c "ip netns exec ${LAB_PREFIX}h1 ip -4 addr show dev lo | grep -q '192.0.2.10/32'"
