#!/usr/bin/env bash
# Two hosts share 192.0.2.10; the switch spreads return traffic across both
# by ECMP; a reply that lands on the host not owning its port is handed to
# the owner at layer 2 (netdev ingress, before the IP stack and its early
# demux). Every connection completes.
. "$(dirname "$0")/testlib.sh"
t_lab
lab_egress_clients
lab_egress_ecmp
TOOLS=$LAB_ROOT/lab/tools
lab_spawn echo inet python3 "$TOOLS/echo_server.py" "$LAB_DIR/peers.log" 203.0.113.1:9000 "[2001:db8:ff::1]:9000"
wait_for 5 "echo server" n inet bash -c "exec 3<>/dev/tcp/203.0.113.1/9000"
start_egressd 1

h2mac=$(n h2 cat /sys/class/net/eth0/address)
h1mac=$(n h1 cat /sys/class/net/eth0/address)
check "h1 learned h2's MAC through its managed neighbor entry" wait_for 10 "h2 mac" \
	bash -c "[ \"\$('$ONLINK' status -s '$(host_sock 1)' --json | jq -r '.hosts[] | select(.name == \"h2\") | .mac')\" = $h2mac ]"
check "h2 steers h1's slice to h1's MAC" wait_for 10 "h2 steering" \
	bash -c "ip netns exec ${LAB_PREFIX}h2 nft list table netdev onlink_steer | grep -q 'th dport 10000-19999 .*ether daddr set $h1mac fwd to \"eth0\"'"
check "h1 steers h2's slice to h2, and never its own" \
	bash -c "t=\$(ip netns exec ${LAB_PREFIX}h1 nft list table netdev onlink_steer); grep -q 'dport 20000-29999.*$h2mac' <<<\"\$t\" && ! grep -q 'dport 10000-19999' <<<\"\$t\""
check "h2's peer entry for h1 is onlink's managed neighbor" \
	bash -c "ip netns exec ${LAB_PREFIX}h2 ip neigh show 10.10.0.11 dev eth0 | grep -q 'managed.*proto 177'"

wait_for 10 "egress ready" bash -c "[ \"\$('$ONLINK' status -s '$LAB_DIR/egress-h1.sock' --json | jq -r .ipv4.address)\" = 192.0.2.10 ]"
# TCP resets h2 sends: a reply for h1's port that reached h2's IP stack
h2_rsts() { NSTAT_HISTORY=$LAB_DIR/nstat.h2 n h2 nstat -az TcpOutRsts | awk '/TcpOutRsts/ { print $2 }'; }
rst0=$(h2_rsts)
check "IPv4: 100 connections from h1's clients, return traffic spread over h1 and h2, all complete" \
	quiet n c1 python3 "$TOOLS/echo_client.py" 203.0.113.1 9000 100 10,20000,300000
check "IPv6: 60 connections, all complete" quiet n c1 python3 "$TOOLS/echo_client.py" 2001:db8:ff::1 9000 60 10,20000
steered=$(n h2 nft -j list table netdev onlink_steer | jq '[.nftables[] | select(.rule) | .rule.expr[] | select(.counter | type == "object") | .counter.packets] | add')
check "h2 steered return packets to h1 (${steered:-0} packets)" [ "${steered:-0}" -gt 0 ]
check_eq "with steering, h2 answered none of h1's replies with a reset" "$(( $(h2_rsts) - rst0 ))" "0"

# without h2's steering, the replies that land on h2 meet no socket there
# and h2 resets them (TCP's retransmission, rehashed by the switch onto the
# other host, then hides it here behind a one-second stall)
n h2 nft delete table netdev onlink_steer
rst0=$(h2_rsts)
n c1 python3 "$TOOLS/echo_client.py" 203.0.113.1 9000 40 1000 > /dev/null 2>&1
check "without steering, h2 resets replies meant for h1 ($(( $(h2_rsts) - rst0 )) resets)" [ $(( $(h2_rsts) - rst0 )) -gt 0 ]

# h2's agent restarts: the steering table is back, and then left alone
lab_stop onlinkd-h2 KILL
start_hostd 2
check "h2's restarted agent puts its steering table back" wait_for 10 "steer back" \
	bash -c "ip netns exec ${LAB_PREFIX}h2 nft list table netdev onlink_steer | grep -q 'dport 10000-19999'"
before=$(n h2 nft list table netdev onlink_steer | grep -v counter)
lab_stop onlinkd-h2 KILL
start_hostd 2
wait_for 10 "h2 ready" bash -c "[ \"\$('$ONLINK' status -s '$(host_sock 2)' --json | jq -r .ready)\" = true ]"
check_eq "h2's steering rules unchanged across another restart" "$(n h2 nft list table netdev onlink_steer | grep -v counter)" "$before"
check "connections still complete after the restart" quiet n c1 python3 "$TOOLS/echo_client.py" 203.0.113.1 9000 40 1000
