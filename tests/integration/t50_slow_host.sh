#!/usr/bin/env bash
# A host agent that stops reading (SIGSTOP) never delays the others; the
# switch drops it after the keepalive timeout; once it runs again it
# reconnects, and the host kept forwarding with its last state meanwhile.
. "$(dirname "$0")/testlib.sh"
t_lab
H2=$(lab_pid onlinkd-h2)
kill -STOP "$H2"

t0=$(date +%s%N)
for k in 1 2 3 4 5; do
	mac=02:00:00:00:02:c$k
	n sw ip neigh replace 10.0.2.1 lladdr $mac dev br0 nud permanent
	wait_for 2 "h1 follows" bash -c "ip netns exec ${LAB_PREFIX}h1 ip neigh show 10.0.2.1 dev eth0 | grep -q $mac" || break
done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "5 changes reached h1 while h2's agent was stopped (${ms} ms in all)" [ "$ms" -lt 2000 ]
check "h2 kept its last state and still forwards while its agent is stopped" \
	quiet n h2 ping -c 1 -W 1 -m 101 203.0.113.1
# keepalive is 2 s in the lab: dropped after 3 silent intervals
check "switch dropped the silent host after the keepalive timeout" wait_for 10 "drop" \
	grep -q "host h2 .* disconnected: keepalive timeout" "$LAB_DIR/onlinkd-sw.log"
check_eq "switch lists only h1 now" "$(st "$LAB_DIR/switch.sock" '[.peers[].name] | join(",")')" "h1"
kill -CONT "$H2"
check "h2 reconnects and catches up with the latest MAC" wait_for 15 "h2 caught up" \
	bash -c "ip netns exec ${LAB_PREFIX}h2 ip neigh show 10.0.2.1 dev eth0 | grep -q 02:00:00:00:02:c5"
# (the MAC may come from frames queued before the drop; the new session follows)
check "switch lists both hosts again" wait_for 10 "h2 back" \
	bash -c "[ \"\$('$ONLINK' status -s '$LAB_DIR/switch.sock' --json | jq -r '[.peers[].name] | sort | join(\",\")')\" == h1,h2 ]"
