#!/usr/bin/env bash
# Protective repath ([repath], docs/steering.md), same run, same machine:
#  - what the sock_ops program costs: new connections per second from h1
#    (connrate: connect, a byte each way, close; CONC at a time) with the
#    program attached and without it (after-rtos 0: detached), rounds
#    interleaved, medians; its run time per connection and per timeout
#    (the kernel's BPF statistics, on while bpfstats runs);
#  - the outage of a silent black hole (transit-a drops what it forwards
#    from the POP for BLACKHOLE s; BGP stays up): FLOWS connections from h1
#    (a message every 100 ms), with repath and without;
#  - what 1% random loss on transit-a (each way) for LOSS_SECS moves: FLOWS
#    connections from h1 and FLOWS through its egress proxy.
# Knobs: SECS, CONC, ROUNDS, FLOWS, BLACKHOLE, LOSS_SECS.
set -u
. "$(dirname "$0")/../lab/lib.sh"
bench_init repath
export LAB_HOSTS=1 LAB_METRICS=1
CR=$LAB_ROOT/build/connrate TOOLS=$LAB_ROOT/lab/tools
SECS=${SECS:-4} CONC=${CONC:-32} ROUNDS=${ROUNDS:-3} FLOWS=${FLOWS:-200} BLACKHOLE=${BLACKHOLE:-10} LOSS_SECS=${LOSS_SECS:-300}
CG=$(lab_cgroup h1)
echo "bringing up the lab ..."
lab_up || exit 1
lab_egress_clients
SOCK=$LAB_DIR/host-h1.sock
n h1 sysctl -qw net.ipv4.tcp_tw_reuse=1 net.ipv4.ip_local_port_range="1024 65535"
lab_spawn crserver inet "$CR" server 198.19.0.1 9100
lab_spawn flowsrv inet python3 "$TOOLS/longflows.py" server "$LAB_DIR/peers.log" 198.19.0.1:7000
wait_for 5 "servers" n inet bash -c "exec 3<>/dev/tcp/198.19.0.1/9100 && exec 4<>/dev/tcp/198.19.0.1/7000"
lab_repath_conf 1 "$CG"
repath() { # on|off: in place (SIGHUP)
	local want=2 state=on
	[ "$1" = off ] && want=0 state=off
	sed -i "s/^after-rtos = .*/after-rtos = $want/" "$LAB_DIR/host-h1.conf"
	kill -HUP "$(lab_pid onlinkd-h1)"
	wait_for 10 "repath $1" bash -c "[ \"\$('$ONLINK' status -s '$SOCK' --json | jq -r .repath.state)\" = $state ]"
}
blackhole() { lab_blackhole a "$1"; }
repath on || exit 1
lab_stop onlinkd-egress-h1
rm -f "$LAB_DIR/egress-h1.sock"
lab_spawn_cg onlinkd-egress-h1 h1 "$CG" "$ONLINKD" egress -c "$LAB_DIR/egress-h1.conf"
wait_for 10 "egress" bash -c "[ \"\$('$ONLINK' status -s '$LAB_DIR/egress-h1.sock' --json | jq -r .ipv4.address)\" = 192.0.2.10 ]" || exit 1

# the BPF statistics, on while this runs
coproc STATS { exec "$LAB_ROOT/build/bpfstats" onlink_repath; }
read -r _ <&"${STATS[0]}"
stats() { echo >&"${STATS[1]}"; read -r "$1" "$2" <&"${STATS[0]}"; }

echo "connection rate, $ROUNDS rounds of $SECS s, with and without the program ..."
: > "$LAB_DIR/rates"
for r in $(seq "$ROUNDS"); do
	for mode in on off; do
		[ $((r % 2)) = 0 ] && mode=$([ $mode = on ] && echo off || echo on)
		repath "$mode"
		stats c0 t0
		out=$(lab_spawn_cg_run h1 "$CG" "$CR" client 198.19.0.1 9100 "$SECS" "$CONC")
		stats c1 t1
		echo "$mode $(jq -r '"\(.rate) \(.conns)"' <<<"$out") $((c1 - c0)) $((t1 - t0))" >> "$LAB_DIR/rates"
	done
done
med() { sort -n | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : 0 }'; }
rate_on=$(awk '$1 == "on" { print $2 }' "$LAB_DIR/rates" | med)
rate_off=$(awk '$1 == "off" { print $2 }' "$LAB_DIR/rates" | med)
# the program's run time, over the "on" rounds (fields: mode rate conns calls ns)
per_conn=$(awk '$1 == "on" { t += $5; n += $3 } END { printf "%.0f", n ? t / n : 0 }' "$LAB_DIR/rates")
calls_per_conn=$(awk '$1 == "on" { c += $4; n += $3 } END { printf "%.1f", n ? c / n : 0 }' "$LAB_DIR/rates")
ns_per_call=$(awk '$1 == "on" { t += $5; c += $4 } END { printf "%.0f", c ? t / c : 0 }' "$LAB_DIR/rates")

outage() { # MODE: FLOWS connections from h1 through BLACKHOLE s of black hole; their JSON
	rm -f "$LAB_DIR/o.stop" "$LAB_DIR/o-$1.log"
	lab_spawn_cg "o-$1" h1 "$CG" python3 "$TOOLS/longflows.py" client 198.19.0.1 7000 "$FLOWS" 0 "$LAB_DIR/o.stop"
	wait_for 30 "flows" grep -q ready "$LAB_DIR/o-$1.log" || return 1
	blackhole on
	sleep "$BLACKHOLE"
	blackhole off
	sleep 15 # without repath, the last retransmissions back off for seconds
	touch "$LAB_DIR/o.stop"
	wait_for 10 "result" grep -q '^{' "$LAB_DIR/o-$1.log"
	lab_stop "o-$1"
}
echo "outage of a ${BLACKHOLE} s black hole, $FLOWS connections, with repath and without ..."
stats b0 bt0
tm0=$(n h1 nstat -az TcpExtTCPTimeouts | awk '$1 == "TcpExtTCPTimeouts" { print $2 }')
repath on && outage with
stats b1 bt1
tm1=$(n h1 nstat -az TcpExtTCPTimeouts | awk '$1 == "TcpExtTCPTimeouts" { print $2 }')
repath off && outage without
repath on
w=$(grep '^{' "$LAB_DIR/o-with.log") wo=$(grep '^{' "$LAB_DIR/o-without.log")
# the run time per timeout: the black hole's phase, whose callbacks are
# the flows' start (as measured above) and their timeouts
rto_ns=$(awk -v c="$((b1 - b0))" -v t="$((bt1 - bt0))" -v to="$((tm1 - tm0))" -v f="$FLOWS" -v cpc="$calls_per_conn" -v npc="$ns_per_call" \
	'BEGIN { rc = c - f * cpc; if (rc < 1 || to < 1) { print "-"; exit } printf "%.0f", (t - f * cpc * npc) / rc }')

echo "1% random loss on transit-a for $LOSS_SECS s, $FLOWS connections from h1 and $FLOWS through its proxy ..."
moved0=$(st() { "$ONLINK" status -s "$SOCK" --json | jq -r .repath.moved; }; st)
rm -f "$LAB_DIR/l.stop"
lab_spawn_cg l-host h1 "$CG" python3 "$TOOLS/longflows.py" client 198.19.0.1 7000 "$FLOWS" 0 "$LAB_DIR/l.stop"
lab_spawn l-proxied c1 python3 "$TOOLS/longflows.py" client 198.19.0.1 7000 "$FLOWS" 0 "$LAB_DIR/l.stop"
wait_for 30 "flows" eval 'grep -q ready "$LAB_DIR/l-host.log" && grep -q ready "$LAB_DIR/l-proxied.log"' || exit 1
lt0=$(n h1 nstat -az TcpExtTCPTimeouts | awk '$1 == "TcpExtTCPTimeouts" { print $2 }')
lab_loss a on
sleep "$LOSS_SECS"
dropped=$(lab_loss a dropped)
lab_loss a off
lt1=$(n h1 nstat -az TcpExtTCPTimeouts | awk '$1 == "TcpExtTCPTimeouts" { print $2 }')
touch "$LAB_DIR/l.stop"
wait_for 10 "results" eval 'grep -q "^{" "$LAB_DIR/l-host.log" && grep -q "^{" "$LAB_DIR/l-proxied.log"'
moved1=$("$ONLINK" status -s "$SOCK" --json | jq -r .repath.moved)
broken=$(( $(grep '^{' "$LAB_DIR/l-host.log" | jq .broken) + $(grep '^{' "$LAB_DIR/l-proxied.log" | jq .broken) ))

echo
echo "| repath's program, same run | with | without | ratio |"
echo "|---|---:|---:|---:|"
echo "| new connections per second from h1 (median of $ROUNDS) | $rate_on | $rate_off | $(awk -v a="$rate_on" -v b="$rate_off" 'BEGIN { printf "%.2f", b ? a / b : 0 }') |"
echo "| its run time per connection (ns: $calls_per_conn callbacks of $ns_per_call) | $per_conn | | |"
echo "| its run time per timeout (ns; $((tm1 - tm0)) timeouts in the black hole with repath) | $rto_ns | | |"
echo
echo "| a ${BLACKHOLE} s silent black hole on transit-a, $FLOWS connections from h1 | with repath | without |"
echo "|---|---:|---:|"
for k in gap_p50_ms gap_p95_ms max_gap_ms broken; do
	echo "| $k | $(jq -r ".$k" <<<"$w") | $(jq -r ".$k" <<<"$wo") |"
done
echo
echo "| 1% random loss on transit-a each way for $LOSS_SECS s, $((2 * FLOWS)) connections | |"
echo "|---|---:|"
echo "| packets transit-a dropped | $dropped |"
echo "| TCP timeouts on h1 | $((lt1 - lt0)) |"
echo "| connections moved (target 0) | $((moved1 - moved0)) |"
echo "| connections broken | $broken |"
