#!/usr/bin/env bash
# One client cannot starve the others (docs/egress.md), with the defaults
# (client-flows 1024, flow-buffer 256k) and a slice of 2000 ports:
#  - client A sends one datagram from each of 20 000 source ports; client B
#    then opens 100 UDP and 100 TCP flows: all 200 answered (before, A took
#    every port of the slice and B's UDP flows were refused for a minute),
#    A holds 1024 flows, its refusals are counted, the proxy's descriptors
#    stay within its budget;
#  - 200 slow readers each asking 50 MB and never reading: the TCP memory of
#    the proxy's host stays under 64 MiB (it was over 1 GiB for 100 with
#    autotuning), the kernel never enters tcp_mem pressure, and a 10 MB
#    download of another client completes meanwhile.
. "$(dirname "$0")/testlib.sh"
export LAB_SLICE_SIZE=2000
t_lab
lab_egress_clients
n c1 ip addr add 100.64.1.3/24 dev eth0
n c1 ip addr add 100.64.1.4/24 dev eth0
A=100.64.1.2 B=100.64.1.3 C=100.64.1.4
FAIR="$LAB_ROOT/lab/tools/egress_fair.py"
ESOCK=$LAB_DIR/egress-h1.sock
lab_spawn udpecho inet python3 "$LAB_ROOT/lab/tools/udp_echo.py" server "$LAB_DIR/udp.log" 203.0.113.1:5353
lab_spawn tcpecho inet python3 "$LAB_ROOT/lab/tools/egress_load.py" server 203.0.113.1:9000
lab_spawn source inet python3 "$FAIR" source 203.0.113.1 9100 52428800
wait_for 5 "servers" n inet bash -c "exec 3<>/dev/tcp/203.0.113.1/9000 && exec 4<>/dev/tcp/203.0.113.1/9100"
start_egressd 1
wait_for 5 "egress ready" bash -c "[ \"\$('$ONLINK' status -s '$ESOCK' --json | jq -r .ipv4.last)\" = 11999 ]"
pid=$(lab_pid onlinkd-egress-h1)

out=$(n c1 python3 "$FAIR" spray 203.0.113.1 5353 20000 $A)
check_eq "client A sprays 20000 source ports" "$out" "spray sent 20000"
a_at_limit() { [ "$(st "$ESOCK" "[.clients.top[] | select(.client == \"$A\") | .flows][0]")" = 1024 ]; }
check "client A holds client-flows (1024) UDP flows" wait_for 10 "A at its limit" a_at_limit
check "its other datagrams are refused and counted" \
	[ "$(st "$ESOCK" '.clients.refused["client-flows"].udp')" -ge 1000 ]
out=$(n c1 python3 "$FAIR" mixed 203.0.113.1 5353 9000 100 $B)
check_eq "meanwhile client B opens 100 UDP and 100 TCP flows: all answered" "$out" "mixed udp 100/100 tcp 100/100"
check "the proxy's descriptors stay within its budget" \
	[ "$(ls /proc/$pid/fd | wc -l)" -lt "$(st "$ESOCK" .clients.descriptors_max)" ]
check "client A's refusals are logged, with the reason" grep -q "client $A:[0-9]* holds 1024 flows: UDP flow refused (client-flows)" \
	"$LAB_DIR/onlinkd-egress-h1.log"
check "onlink status shows the clients" bash -c "'$ONLINK' status -s '$ESOCK' | grep -qE '^  $A +1024 flows'"

# slow readers: the kernel's buffering per flow is flow-buffer, not what
# autotuning would grow to
lab_spawn slow c1 python3 "$FAIR" slow 203.0.113.1 9100 200 $C "$LAB_DIR/slow.stop"
check "200 slow readers connected" wait_for 60 "slow" grep -qx "slow open 200" "$LAB_DIR/slow.log"
# their queues fill within a second; sampled for five more
read -r max pressured < <(lab_tcpmem_peak h1 25)
check "the proxy host's TCP memory stays under 64 MiB with 200 slow readers ($((max >> 20)) MiB)" [ "$max" -lt $((64 << 20)) ]
check "...and they do hold memory: the measure is live ($((max >> 10)) KiB)" [ "$max" -gt $((200 * 64 << 10)) ]
check_eq "the kernel never entered tcp_mem pressure" "$pressured" 0
out=$(n c1 python3 "$FAIR" fetch 203.0.113.1 9100 10485760 $B)
check "meanwhile client B downloads 10 MB ($out)" grep -q "^fetch got 10485760 in" <<<"$out"
touch "$LAB_DIR/slow.stop"
check "the slow readers' flows end with them" wait_for 30 "closed" bash -c "[ \"\$('$ONLINK' status -s '$ESOCK' --json | jq .tcp.active)\" = 0 ]"
