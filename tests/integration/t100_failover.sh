#!/usr/bin/env bash
# Failover through the backup's MAC, with real BIRD (BFD on the sessions):
# carrier loss under a 2000 packets/s stream, a silent failure BFD finds,
# and 20 flaps in 10 s. docs/failover.md.
# check: once in the sanitizers pass (slow)
. "$(dirname "$0")/testlib.sh"
export LAB_FAILOVER=1 LAB_HOLD_DOWN=3s
t_lab

SW=$LAB_DIR/switch.sock
STREAM=$LAB_ROOT/lab/tools/stream.py
neigh_mac() { n "$1" ip neigh show "$2" dev eth0 | grep -o 'lladdr [0-9a-f:]*' | cut -d' ' -f2; }
has_mac() { [ "$(neigh_mac "$1" "$2")" == "$3" ]; }
route() { n h1 ip -4 route show 198.19.0.0/24; }
via_a_only() { local r; r=$(route); [[ $r == *10.0.1.1* && $r != *10.0.2.1* ]]; }
via_b_only() { local r; r=$(route); [[ $r == *10.0.2.1* && $r != *10.0.1.1* ]]; }
fo() { st "$SW" ".providers[] | select(.name==\"transit-a\") | .failover.$1"; }
both_disabled() { [ "$(bird_state transit_a4)" = down ] && [ "$(bird_state transit_a6)" = down ]; }
both_up() { [ "$(bird_state transit_a4)" = up ] && [ "$(bird_state transit_a6)" = up ]; }
recovered() { [ "$(fo state)" = ok ] && has_mac h1 10.0.1.1 "$PROVIDER_MAC_A"; }

check "h1 routes 198.19.0.0/24 through transit-a only (B's path is longer)" wait_for 20 "A" via_a_only
check_eq "the provider's description from onlink's config is BIRD's" \
	"$(birdc_ sw show protocols all transit_a4 | awk -F': *' '/Description/ { print $2 }')" "Transit A (lab)"

# 1. carrier loss under a steady stream
lab_spawn stream-rx inet python3 "$STREAM" recv 198.19.0.1 9999 30 "$LAB_DIR/rx.json"
wait_for 5 "receiver" n inet ss -uln sport = 9999 | grep -q 9999
lab_spawn stream-tx h1 python3 "$STREAM" send 198.19.0.1 9999 2000 14
rx_count() { cat "$LAB_DIR/rx.json.count" 2>/dev/null || echo 0; }
wait_for 10 "stream flowing" bash -c "[ \$(cat '$LAB_DIR/rx.json.count' 2>/dev/null || echo 0) -gt 2000 ]"
n sw ip link set sw-pa down
check "h1: transit-a's IPv4 neighbor points at transit-b's MAC" wait_for 2 "substituted" has_mac h1 10.0.1.1 "$PROVIDER_MAC_B"
check "h1: transit-a's IPv6 neighbor points at transit-b's MAC" has_mac h1 2001:db8:1::1 "$PROVIDER_MAC_B"
check "h2 too" has_mac h2 10.0.1.1 "$PROVIDER_MAC_B"
check_eq "switch status: transit-a failed, hosts sent to transit-b" "$(fo state) $(fo via)" "failed transit-b"
# honest while substituted: the wire says so, and status, ping and exec too
H1S=$(host_sock 1)
check_eq "h1 status: transit-a substituted by its switch, via transit-b" \
	"$(st "$H1S" '.providers[] | select(.name=="transit-a") | .substituted | "\(.via) \(.by)"')" "transit-b switch"
check "onlink status on h1: 'via backup transit-b'" bash -c "'$ONLINK' status -s '$H1S' | grep -q 'via backup transit-b'"
pj=$(n h1 "$ONLINK" ping -s "$H1S" -c 3 -i 0.05 --json 203.0.113.1)
check_eq "onlink ping: transit-a's row marked, with no RTT of its own" \
	"$(jq -r '.[] | select(.provider=="transit-a") | "\(.substituted_via) \(.rtt_avg_ms) \(.best)"' <<<"$pj")" "transit-b null false"
check_eq "onlink ping: transit-b's row is its own" "$(jq -c '[.[] | select(.provider=="transit-b") | .substituted_via]' <<<"$pj")" "[null]"
check "onlink ping (table): transit-a's row says where its traffic goes" \
	bash -c "ip netns exec ${LAB_PREFIX}h1 '$ONLINK' ping -s '$H1S' -c 2 -i 0.05 203.0.113.1 | grep 'transit-a' | grep -q 'substituted: its traffic goes to transit-b'"
err=$(n h1 "$ONLINK" exec -s "$H1S" --via transit-a -- true 2>&1); rc=$?
check_eq "onlink exec --via transit-a: runs, and says where its traffic goes" "$rc:$err" \
	"0:onlink exec: warning: provider 'transit-a' is substituted: its traffic goes to backup transit-b's MACs"
err=$(n h1 "$ONLINK" exec -s "$H1S" --via transit-a --strict -- true 2>&1); rc=$?
check_eq "onlink exec --strict: refuses, exit 3" "$rc:$err" \
	"3:onlink exec: provider 'transit-a' is substituted: its traffic goes to backup transit-b's MACs; refused (--strict)"
check "BIRD on the switch shows transit-a's sessions disabled" wait_for 5 "disabled" both_disabled
check "after BGP converges, h1's kernel no longer lists transit-a for 198.19.0.0/24" wait_for 20 "B" via_b_only
n sw ip link set sw-pa up
check_eq "link back: held down first" "$(fo state)" "held-down"
check "after the hold-down, BIRD's sessions are enabled and come up" wait_for 30 "up" both_up
check "recovery restores transit-a's own MAC" wait_for 10 "real MAC" recovered
check_eq "...and h1 no longer reports it substituted" \
	"$(st "$H1S" '.providers[] | select(.name=="transit-a") | .substituted')" "null"
check "and the original path" wait_for 30 "A again" via_a_only
lab_wait_pid() { local p; p=$(lab_pid "$1"); while kill -0 "$p" 2>/dev/null; do sleep 0.2; done; }
lab_wait_pid stream-tx
lab_wait_pid stream-rx
rx=$LAB_DIR/rx.json
gap=$(jq .max_gap_ms "$rx")
echo "# stream: $(jq -c . "$rx")"
check "traffic resumed through transit-b while transit-a was down (arrived on to-b)" \
	[ "$(jq '.per_if["to-b"] // 0' "$rx")" -gt 1000 ]
loss=$(jq '.max_lost_run / 2' "$rx")
check "the stream kept flowing: longest loss $loss ms (< 100; largest gap $gap ms)" jq -e '.max_lost_run < 200' "$rx"
check "at least 95% of 28000 datagrams arrived" jq -e '.received > 26600' "$rx"

# 2. silent failure: transit-a stops answering, its link stays up; BFD (3
# x 100 ms) takes its sessions down in BIRD, onlink fails over
before=$(fo failovers)
printf 'table netdev silent {\n chain in {\n  type filter hook ingress device "eth0" priority 0; policy drop;\n }\n}\n' |
	n pa nft -f -
check "silent failure: h1 moved to transit-b's MAC within 2 s" wait_for 2 "substituted" has_mac h1 10.0.1.1 "$PROVIDER_MAC_B"
check "the reason is the BGP session, found by BFD" bash -c "[[ '$(fo reason)' == 'BGP session transit_a'* ]]"
check_eq "one more failover" "$(fo failovers)" "$((before + 1))"
check "after the hold-down BIRD retries, but the sessions cannot come up: still substituted" \
	wait_for 15 "recovering" bash -c "[ \"\$('$ONLINK' status -s '$SW' --json | jq -r '.providers[0].failover.state')\" = recovering ]"
check "h1 still sends to transit-b's MAC while recovering" has_mac h1 10.0.1.1 "$PROVIDER_MAC_B"
n pa nft delete table netdev silent
check "transit-a answers again: recovered" wait_for 30 "recovered" recovered

# 3. flapping: 20 link flaps in 10 s, at most one failover and one recovery
f0=$(fo failovers) r0=$(fo recoveries)
for i in $(seq 20); do
	n sw ip link set sw-pa down
	sleep 0.25
	n sw ip link set sw-pa up
	sleep 0.25
done
check_eq "20 flaps: one failover" "$(fo failovers)" "$((f0 + 1))"
check_eq "no recovery while flapping" "$(fo recoveries)" "$r0"
check "the hold-down grew (flap damping)" [ "$(fo hold_down_ms)" -gt 3000 ]
check "one recovery once the flapping stopped" wait_for 120 "recovered" recovered
check_eq "exactly one" "$(fo recoveries)" "$((r0 + 1))"
check_eq "and still one failover" "$(fo failovers)" "$((f0 + 1))"
check "switch log: no error" bash -c "! grep -q ': error:' '$LAB_DIR/onlinkd-sw.log'"
