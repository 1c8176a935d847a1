#!/usr/bin/env bash
# Protective repath ([repath], docs/steering.md): transit-a, the provider
# BIRD prefers for 198.19.0.0/24, silently drops every packet it forwards
# from the POP (its link, ARP and BGP stay up: nothing withdraws). TCP
# connections from h1 and through h1's egress proxy time out, and the
# host agent's sock_ops program moves each to transit-b on its second
# timeout in a row: at least 95% resume within 3 s, all within 10 s. The
# control, in the same lab: with repath off the same black hole stalls
# every connection. Counted per provider, logged, shown by onlink status.
#
#   c1 --- h1 (onlinkd host + egress, in the lab's cgroup) --- sw --- pa (black hole) --- inet 198.19.0.1
#                                                                 \-- pb ---------------/
. "$(dirname "$0")/testlib.sh"
export LAB_HOSTS=1 LAB_METRICS=1
t_setup
# the lab's cgroup hierarchy is mounted before the daemons start: each
# sees the mounts made before it (`ip netns exec`)
CG=$(lab_cgroup h1)
check "a cgroup of the lab's own" test -d "$CG"
lab_up || { not_ok "lab came up"; exit 1; }
ok "lab came up (BGP and onlink converged)"
lab_egress_clients
TOOLS=$LAB_ROOT/lab/tools
SOCK=$(host_sock 1)
ESOCK=$LAB_DIR/egress-h1.sock
metrics() { n h1 curl -s http://127.0.0.1:9477/metrics; }
moved() { # FROM TO: onlink_repath_total{from,to}
	metrics | awk -v k="onlink_repath_total{from=\"$1\",to=\"$2\"}" '$1 == k { v = $2 } END { print v + 0 }'
}
# transit-a's black hole: what it forwards from the POP is dropped
blackhole() { lab_blackhole a "$1"; }

lab_spawn flowsrv inet python3 "$TOOLS/longflows.py" server "$LAB_DIR/flows-peers.log" 198.19.0.1:7000
wait_for 5 "flow server" n inet bash -c "exec 3<>/dev/tcp/198.19.0.1/7000"
check_eq "BIRD's choice for 198.19.0.1 is transit-a" "$(n h1 ip -j route get 198.19.0.1 | jq -r '.[0].gateway')" 10.0.1.1

lab_repath_conf 1 "$LAB_DIR"
# a program that cannot attach (no cgroup there): said once, the agent
# runs on without it
kill -HUP "$(lab_pid onlinkd-h1)"
check "[repath] on a directory that is no cgroup: unavailable, in place" wait_for 10 "reload" \
	bash -c "[ \"\$('$ONLINK' status -s '$SOCK' --json | jq -r .repath.state)\" = unavailable ]"
check "...said once, with why" test "$(grep -c "repath: the BPF program: attach to $LAB_DIR: .*: running without repath" "$LAB_DIR/onlinkd-h1.log")" = 1
check "...onlink status says why" bash -c "'$ONLINK' status -s '$SOCK' | grep -q 'repath: unavailable (attach to $LAB_DIR: .*): running without it'"
check_eq "...onlink_repath_on 0" "$(metrics | awk '$1 == "onlink_repath_on" { print $2 }')" 0
check_eq "...the agent runs on: same pid, its switch session kept" \
	"$(kill -0 "$(lab_pid onlinkd-h1)" && metrics | awk '$1 == "onlink_host_switch_sessions_total{switch=\"sw1\"}" { print $2 }')" 1
sed -i "s|^after-rtos = 2\$|after-rtos = 0|; s|^cgroup = $LAB_DIR\$|cgroup = $CG|" "$LAB_DIR/host-h1.conf"
kill -HUP "$(lab_pid onlinkd-h1)"
check "[repath] with after-rtos 0: off, in place" wait_for 10 "reload" \
	bash -c "[ \"\$('$ONLINK' status -s '$SOCK' --json | jq -r .repath.state)\" = off ]"
check "...in place" grep -q "reload: .*host-h1.conf changed (\[probe\] and \[repath\] only): applied in place" "$LAB_DIR/onlinkd-h1.log"

# flows: FLOWSNAME NS N STOPFILE [CGROUP]
flows() {
	if [ -n "${5:-}" ]; then
		lab_spawn_cg "$1" "$2" "$5" python3 "$TOOLS/longflows.py" client 198.19.0.1 7000 "$3" 0 "$4"
	else
		lab_spawn "$1" "$2" python3 "$TOOLS/longflows.py" client 198.19.0.1 7000 "$3" 0 "$4"
	fi
}
result() { # FLOWSNAME KEY: once the client printed its result
	wait_for 20 "$1's result" grep -q '^{' "$LAB_DIR/$1.log" && grep '^{' "$LAB_DIR/$1.log" | jq -r ".$2"
}

# control: repath off, the same black hole stalls every connection
flows ctl h1 20 "$LAB_DIR/ctl.stop" "$CG"
check "control: 20 connections from h1" wait_for 20 "ready" grep -q ready "$LAB_DIR/ctl.log"
check "transit-a drops what it forwards from the POP" blackhole on
sleep 5 # what is measured: connections left 5 s in the black hole
touch "$LAB_DIR/ctl.stop"
check_eq "control (repath off): every connection stalled (no answer in its last 3 s)" "$(result ctl broken)" 20
lab_stop ctl
check "transit-a forwards again" blackhole off

# repath on (second timeout in a row), in place
sed -i 's/^after-rtos = 0$/after-rtos = 2/' "$LAB_DIR/host-h1.conf"
kill -HUP "$(lab_pid onlinkd-h1)"
check "[repath] on: the program attached to the lab's cgroup" wait_for 10 "repath on" \
	bash -c "[ \"\$('$ONLINK' status -s '$SOCK' --json | jq -r .repath.state)\" = on ]"
check "...said so" grep -q "repath: on: connections in $CG move on their 2nd consecutive timeout" "$LAB_DIR/onlinkd-h1.log"
check_eq "...onlink_repath_on 1" "$(metrics | awk '$1 == "onlink_repath_on" { print $2 }')" 1
check_eq "...candidates: both providers (the probes answer)" \
	"$(st "$SOCK" '.repath.candidates4 | join(" ")')" "transit-a transit-b"

lab_stop onlinkd-egress-h1
rm -f "$ESOCK"
lab_spawn_cg onlinkd-egress-h1 h1 "$CG" "$ONLINKD" egress -c "$LAB_DIR/egress-h1.conf"
check "egress proxy (in the cgroup) up" wait_for 10 "egress" \
	bash -c "[ \"\$('$ONLINK' status -s '$ESOCK' --json | jq -r .ipv4.address)\" = 192.0.2.10 ]"
flows host h1 200 "$LAB_DIR/flows.stop" "$CG"
flows proxied c1 200 "$LAB_DIR/flows.stop"
check "200 connections from h1 and 200 through its egress proxy, answering" \
	wait_for 30 "ready" eval 'grep -q ready "$LAB_DIR/host.log" && grep -q ready "$LAB_DIR/proxied.log"'
check_eq "...none moved yet" "$(st "$SOCK" .repath.moved)" 0

check "transit-a drops what it forwards from the POP" blackhole on
check "the probes show transit-a failing: it is no candidate" wait_for 10 "candidates" \
	bash -c "[ \"\$('$ONLINK' status -s '$SOCK' --json | jq -r '.repath.candidates4 | join(\" \")')\" = transit-b ]"
check_eq "...and failing" "$(st "$SOCK" '.repath.failing4 | join(" ")')" transit-a
sleep 8 # the measured span: 10 s after the black hole began, at least
touch "$LAB_DIR/flows.stop"
for f in host proxied; do
	check_eq "$f: no connection broken" "$(result $f broken)" 0
	over3=$(result $f gaps_over_3s)
	check "$f: at least 95% resumed within 3 s ($over3 of 200 took longer)" test "$over3" -le 10
	check_eq "$f: all within 10 s" "$(result $f gaps_over_10s)" 0
done
lab_log "longest stalls: host $(result host max_gap_ms) ms, proxied $(result proxied max_gap_ms) ms"
# a connection unmarked goes by BIRD's choice, which the program cannot
# see: its first move may name transit-a itself (still a candidate until
# the probes fail it), its next one then transit-b
n=$(( $(moved main transit-b) + $(moved transit-a transit-b) ))
check "every connection moved to transit-b, once or twice ($n moves)" test "$n" -ge 400 -a "$n" -le 800
check_eq "...none from transit-b" "$(st "$SOCK" '[.repath.moves[] | select(.from == "transit-b")] | length')" 0
check "...logged in bursts" grep -Eq "repath: [0-9]+ connections moved after 2 timeouts in a row: .*main -> transit-b [0-9]+" "$LAB_DIR/onlinkd-h1.log"
check "...a few lines for 400 connections" test "$(grep -c 'repath: .* connections moved' "$LAB_DIR/onlinkd-h1.log")" -le 12
check "onlink status shows it" bash -c "'$ONLINK' status -s '$SOCK' | grep -q 'repath: on for $CG: a connection moves on its timeout 2 in a row when the probes show its provider failing, on its timeout 4 in any case; failing: transit-a (IPv4), none (IPv6); IPv4 to transit-b'"

# Left alone: a connection to a destination reached without a provider
# (c1, on h1's own prefix) and one carrying the application's own mark
# (7). The sentinel that proves the program was watching meanwhile: a
# connection carrying transit-a's mark (101) moves, once.
lab_spawn flowsrv-c1 c1 python3 "$TOOLS/longflows.py" server "$LAB_DIR/c1-peers.log" 100.64.1.2:7000
wait_for 5 "c1's flow server" n h1 bash -c "exec 3<>/dev/tcp/100.64.1.2/7000"
lab_spawn_cg local h1 "$CG" python3 "$TOOLS/longflows.py" client 100.64.1.2 7000 10 0 "$LAB_DIR/left.stop"
check "transit-a forwards again" blackhole off
lab_spawn_cg app-marked h1 "$CG" env LONGFLOWS_MARK=7 python3 "$TOOLS/longflows.py" client 198.19.0.1 7000 10 0 "$LAB_DIR/left.stop"
lab_spawn_cg sentinel h1 "$CG" env LONGFLOWS_MARK=101 python3 "$TOOLS/longflows.py" client 198.19.0.1 7000 1 0 "$LAB_DIR/left.stop"
check "10 to c1, 10 marked 7 and 1 marked 101 (transit-a's table), answering" \
	wait_for 30 "ready" eval 'grep -q ready "$LAB_DIR/local.log" && grep -q ready "$LAB_DIR/app-marked.log" && grep -q ready "$LAB_DIR/sentinel.log"'
before_main=$(st "$SOCK" '[.repath.moves[] | select(.from == "main") | .connections] | add')
before_a=$(moved transit-a transit-b)
check "transit-a drops what it forwards from the POP" blackhole on
check "c1 drops what h1 sends it" n c1 nft -f - <<'NFT'
table inet stall {
	chain incoming {
		type filter hook input priority 0;
		tcp dport 7000 drop
	}
}
NFT
check "the sentinel moved (transit-a -> transit-b, once)" wait_for 10 "sentinel" \
	bash -c "[ \$(( \$('$ONLINK' status -s '$SOCK' --json | jq '[.repath.moves[] | select(.from == \"transit-a\") | .connections] | add') - $before_a )) -ge 1 ]"
sleep 3 # the others' third and fourth timeouts: a move would show by now
touch "$LAB_DIR/left.stop"
check_eq "...c1's connections stalled" "$(result local broken)" 10
check_eq "...so did the app-marked ones" "$(result app-marked broken)" 10
check_eq "...the sentinel resumed" "$(result sentinel broken)" 0
check_eq "...and nothing else moved (unmarked: c1's)" "$(st "$SOCK" '[.repath.moves[] | select(.from == "main") | .connections] | add')" "$before_main"
check_eq "...nor from mark 7" "$(st "$SOCK" '[.repath.moves[] | select(.from != "main" and .from != "transit-a")] | length')" 0
check_eq "...the sentinel once" "$(( $(moved transit-a transit-b) - before_a ))" 1
n c1 nft delete table inet stall
check "transit-a forwards again" blackhole off
check "transit-a answers again: a candidate again" wait_for 10 "candidates" \
	bash -c "[ \"\$('$ONLINK' status -s '$SOCK' --json | jq -r '.repath.candidates4 | join(\" \")')\" = 'transit-a transit-b' ]"

# 1% random loss each way on transit-a (probes and connections both see
# it): a connection's second timeout in a row comes a few times a minute
# across 400 connections, but the probes never show transit-a failing,
# so nothing moves before a fourth. 60 s here, in the plain pass only
# (bench/repath.sh runs 5 minutes).
if [ "${CHECK_PASS:-plain}" != sanitizers ]; then
	rm -f "$LAB_DIR/loss.stop"
	flows loss-host h1 200 "$LAB_DIR/loss.stop" "$CG"
	flows loss-proxied c1 200 "$LAB_DIR/loss.stop"
	check "loss: 200 connections from h1 and 200 through its proxy" \
		wait_for 30 "ready" eval 'grep -q ready "$LAB_DIR/loss-host.log" && grep -q ready "$LAB_DIR/loss-proxied.log"'
	moved0=$(st "$SOCK" .repath.moved)
	to0=$(n h1 nstat -az TcpExtTCPTimeouts | awk '$1 == "TcpExtTCPTimeouts" { print $2 }')
	check "transit-a loses 1% of what it forwards, each way" lab_loss a on
	sleep 60 # what is measured: a minute of loss
	dropped=$(lab_loss a dropped)
	lab_loss a off
	to1=$(n h1 nstat -az TcpExtTCPTimeouts | awk '$1 == "TcpExtTCPTimeouts" { print $2 }')
	touch "$LAB_DIR/loss.stop"
	check "...it dropped packets ($dropped) and connections timed out ($((to1 - to0)) timeouts): the loss was real" \
		test "$dropped" -gt 1000 -a "$((to1 - to0))" -gt 0
	check_eq "...no connection moved" "$(st "$SOCK" .repath.moved)" "$moved0"
	check_eq "...none broken (from h1)" "$(result loss-host broken)" 0
	check_eq "...none broken (proxied)" "$(result loss-proxied broken)" 0
fi
