#!/usr/bin/env bash
# A planned move keeps established flows. 200 long-lived flows (100 TCP,
# 100 UDP, a message every 100 ms each) run through h1's proxy, from h1's
# slice of 192.0.2.10; the switch spreads return traffic over h1 and h2
# (ECMP). The config then swaps h1's and h2's slices (a reload): h1's live
# ports stay steered to h1 until its flows end, none breaks and none
# stalls for a second, while new flows of each host use its new slice at
# once. The control: the same swap back with move-deadline 0 breaks flows.
. "$(dirname "$0")/testlib.sh"
export LAB_EGRESS_UDP_IDLE=4
t_lab
lab_egress_clients
lab_egress_client 2
lab_egress_ecmp 2
TOOLS=$LAB_ROOT/lab/tools
SW=$LAB_DIR/switch.sock
LOG=$LAB_DIR/flows.log
: > "$LOG"
lab_spawn flowsrv inet python3 "$TOOLS/longflows.py" server "$LOG" 203.0.113.1:7000 "[2001:db8:ff::1]:7000"
wait_for 5 "flow server" n inet bash -c "exec 3<>/dev/tcp/203.0.113.1/7000"
start_egressd 1
start_egressd 2
for i in 1 2; do
	wait_for 10 "h$i's proxy" bash -c "[ \"\$('$ONLINK' status -s '$LAB_DIR/egress-h$i.sock' --json | jq -r .ipv4.address)\" = 192.0.2.10 ]"
done

# the server's view: each new peer once, "tcp|udp ADDR PORT"
peers_in() { awk -v lo="$1" -v hi="$2" -v skip="${3:-0}" 'NR > skip && ($3 < lo || $3 > hi || $2 != "192.0.2.10") { bad++ } NR > skip { n++ } END { exit bad > 0 || n == 0 }' "$LOG"; }
live_of() { st "$SW" "[.live[] | select(.host == \"$1\" and .address == \"192.0.2.10\") | .in_use] | add // 0"; }
kept_of() { st "$SW" "[.moves[] | select(.host == \"$1\" and .address == \"192.0.2.10\") | .kept] | add // 0"; }
at_least() { [ "$("$1" "$2")" -ge "$3" ]; }
is_zero() { [ "$("$1" "$2")" = 0 ]; }
swap() { # FROM TO: h1's and h2's slice lines exchanged, both families
	sed -i -e "s/^slice = h1 $1$/slice = h1 TMP/" -e "s/^slice = h2 $2$/slice = h2 $1/" -e "s/^slice = h1 TMP$/slice = h1 $2/" \
		"$LAB_DIR/switch.conf"
	kill -HUP "$(lab_pid onlinkd-sw)"
}
flows() { # NAME STOPFILE: 100 TCP and 100 UDP flows from c1 through h1
	rm -f "$2"
	lab_spawn "$1" c1 python3 "$TOOLS/longflows.py" client 203.0.113.1 7000 100 100 "$2"
	wait_for 30 "$1 ready" grep -q '^ready' "$LAB_DIR/$1.log"
}
result() { wait_for 20 "$1 done" grep -q '^{' "$LAB_DIR/$1.log" && grep '^{' "$LAB_DIR/$1.log"; }

: > "$LOG" # the probe above is not a flow
flows long "$LAB_DIR/stop1"
check_eq "200 flows through h1" "$(wc -l < "$LOG")" "200"
check "each from h1's slice" peers_in 10000 19999
# a TCP and a UDP flow may share a port number: the distinct ones
ports=$(awk '{ print $3 }' "$LOG" | sort -u | wc -l)
check "the switch knows the $ports ports h1's flows hold" wait_for 10 "h1 live" at_least live_of h1 "$ports"

mark=$(wc -l < "$LOG")
swap 10000-19999 20000-29999
check "after the swap, the switch keeps those $ports ports of h1's old slice for it" \
	wait_for 10 "kept" at_least kept_of h1 "$ports"
h2_steers_kept() { n h2 nft list chain netdev onlink_steer ingress | grep -q 'comment "h1: kept"'; }
check "h2 steers them to h1" wait_for 10 "h2 kept rule" h2_steers_kept
check "h2's status shows the ports it steers to h1" \
	bash -c "[ \$('$ONLINK' status -s '$(host_sock 2)' --json | jq '[.egress_kept[] | select(.host == \"h1\" and .address == \"192.0.2.10\") | .ports] | add') -ge $ports ]"
h2_new_slice() { [ "$(st "$(host_sock 2)" '.egress[] | select(.address == "192.0.2.10") | .mine.first')" = 10000 ]; }
wait_for 10 "h2 owns 10000-19999" h2_new_slice
wait_for 10 "h2's proxy reserves h1's ports" grep -q "ports of this host's slices are kept for another host" "$LAB_DIR/onlinkd-egress-h2.log"
proxy_first() { [ "$(st "$LAB_DIR/egress-h$1.sock" .ipv4.first)" = "$2" ]; }
wait_for 10 "h1's proxy uses its new slice" proxy_first 1 20000
wait_for 10 "h2's proxy uses its new slice" proxy_first 2 10000
# new flows: h1's from its new slice, h2's from the moved one (never a
# port h1 keeps)
lab_spawn echosrv inet python3 "$TOOLS/echo_server.py" "$LAB_DIR/echo.log" 203.0.113.1:9000
wait_for 5 "echo server" n inet bash -c "exec 3<>/dev/tcp/203.0.113.1/9000"
: > "$LAB_DIR/echo.log"
n c1 python3 "$TOOLS/echo_client.py" 203.0.113.1 9000 20 1000 >/dev/null 2>&1
check "20 new connections through h1 left from its new slice (20000-29999)" \
	awk '$1 != "192.0.2.10" { next } $2 < 20000 || $2 > 29999 { bad++ } { n++ } END { exit bad > 0 || n != 20 }' "$LAB_DIR/echo.log"
: > "$LAB_DIR/echo.log"
n c2 python3 "$TOOLS/echo_client.py" 203.0.113.1 9000 40 1000 >/dev/null 2>&1
kept_ports=$(st "$SW" '[.moves[] | select(.host == "h1") | .ports[]] | tojson')
in_kept() { python3 -c "
import json, sys
r = json.loads(sys.argv[1])
bad = [p for p in map(int, sys.argv[2:]) if any(a <= p <= b for a, b in r)]
sys.exit(1 if bad or not r else 0)" "$kept_ports" $(awk '$1 == "192.0.2.10" { print $2 }' "$LAB_DIR/echo.log"); }
check "40 new connections through h2 left from the moved slice (10000-19999)" \
	awk '$1 != "192.0.2.10" { next } $2 < 10000 || $2 > 19999 { bad++ } { n++ } END { exit bad > 0 || n != 40 }' "$LAB_DIR/echo.log"
check "none of them from a port kept for h1's flows" in_kept
# the 200 flows run on across the move: 3 s more of messages every 100 ms
sleep 3
touch "$LAB_DIR/stop1"
r=$(result long)
check_eq "the move broke none of the 200 flows" "$(jq .broken <<<"$r")" "0"
check_eq "no flow stalled for a second across it (max gap $(jq .max_gap_ms <<<"$r") ms)" "$(jq .gaps_over_1s <<<"$r")" "0"
# the flows end: the kept ports go with them (the UDP ones after the
# proxy's idle timeout, 4 s here)
lab_stop long
check "once h1's flows ended, nothing is kept" wait_for 30 "move ended" is_zero kept_of h1
check "and nobody steers them any more" wait_for 10 "no kept rule" bash -c "! ip netns exec ${LAB_PREFIX}h2 nft list chain netdev onlink_steer ingress | grep -q kept"
check "the switch logged the move" grep -q 'egress: 1 slices moved from living hosts' "$LAB_DIR/onlinkd-sw.log"

# the control: the same swap back with no deadline for the old flows
sed -i 's/^\[switch\]$/[switch]\nmove-deadline = 0s/' "$LAB_DIR/switch.conf"
mark=$(wc -l < "$LOG")
flows control "$LAB_DIR/stop2"
ports=$(tail -n +$((mark + 1)) "$LOG" | awk '{ print $3 }' | sort -u | wc -l)
wait_for 10 "h1 live again" at_least live_of h1 "$ports"
swap 20000-29999 10000-19999
# a flow is broken when it has had no answer for 3 s (longflows.py): its
# replies now go to h2, which answers TCP ones to the server with resets
# and drops the rest; h1's sockets never hear of it, they only stall
sleep 6
touch "$LAB_DIR/stop2"
r=$(result control)
check "without the kept ports (move-deadline 0), the swap breaks h1's flows ($(jq .broken <<<"$r") broken)" \
	[ "$(jq .broken <<<"$r")" -gt 0 ]
