#!/usr/bin/env bash
# The redundant POP, one-L2 design (lab/redundant.sh): two switches bridge
# one segment, joined by a peer link; h1 hangs off switch A, h2 off switch
# B. Switch A dies whole: switch B sees its peer link lose carrier and
# tells the hosts, and h2 sends transit-a's traffic to transit-b at once;
# switch A comes back; switch A stops forwarding with its links up (h2
# finds it by its unanswered echoes); switch A's agent dies alone.
# check: once in the sanitizers pass (slow)
. "$(dirname "$0")/testlib.sh"
export LAB_DESIGN=l2 LAB_SW_HOLD_DOWN=2s LAB_HOLD_DOWN=2s LAB_METRICS=1
t_setup
lab2_up || { not_ok "two-switch lab (one L2 domain) came up"; exit 1; }
ok "two-switch lab (one L2 domain) came up"

H2=$(host_sock 2) SB=$LAB_DIR/switch-b.sock
MAC_A=$PROVIDER_MAC_A MAC_B=$PROVIDER_MAC_B
neigh_mac() { n "$1" ip neigh show "$2" dev eth0 | grep -o 'lladdr [0-9a-f:]*' | cut -d' ' -f2; }
has_mac() { [ "$(neigh_mac "$1" "$2")" == "$3" ]; }
metric() { n "$1" curl -sf --max-time 5 "http://127.0.0.1:9477/metrics" | awk -v m="$2" '$1 == m { print $2 }'; }
sw_state() { st "$1" ".switches[] | select(.name == \"$2\") | .uplink.forwarding"; }
ping_start() { rm -f "$LAB_DIR/ping-$1.out"; n "$1" ping -q -m "$3" -i 0.001 -w "$2" "$4" > "$LAB_DIR/ping-$1.out" 2>&1 & }
ping_result() {
	wait_for 20 "ping's summary" grep -q transmitted "$LAB_DIR/ping-$1.out"
	awk '/transmitted/ { print $1 - $4 }' "$LAB_DIR/ping-$1.out"
}

check "h2 (on switch B): transit-a (switch A, across the peer link) on-link on eth0 with its MAC" has_mac h2 10.0.1.1 "$MAC_A"
check "h2: no provider device with one uplink" bash -c "! ip netns exec ${LAB_PREFIX}h2 ip link show onlink0 >/dev/null 2>&1"
check "h2: a ping through transit-a's table is answered" quiet n h2 ping -c 3 -i 0.05 -W 1 -m 101 198.19.0.1
check_eq "switch B status: its peer link to swa has carrier" "$(st "$SB" '.peer_link | "\(.interface) \(.switch) \(.carrier)"')" "peer swa up"
check_eq "h2 status: both switches forwarding on eth0" "$(st "$H2" '[.switches[] | "\(.name) \(.uplink.interface) \(.uplink.forwarding)"] | join(", ")')" \
	"swa eth0 forwarding, swb eth0 forwarding"

# 1. switch A dies whole: h2 learns it from switch B (peer link carrier)
ping_start h2 6 101 198.19.0.1
sleep 2
lab2_kill_switch a
lost=$(ping_result h2)
echo "# one L2, switch A killed (peer link carrier): $lost pings lost at 1000/s"
check "h2 sent transit-a's traffic to transit-b within 300 ms ($lost lost)" test "$lost" -le 300
check "h2 uses transit-b's MAC for transit-a" has_mac h2 10.0.1.1 "$MAC_B"
check_eq "h2 status: swa dead, by switch B's word" "$(st "$H2" '.switches[0].uplink | "\(.forwarding): \(.why)"')" \
	"dead: swb lost its peer link to it"
check "switch B logged the peer link's loss" grep -q "peer link peer lost carrier: telling the hosts switch swa is dead" "$LAB_DIR/onlinkd-swb.log"
check_eq "switch B metrics: the peer link down, one loss" \
	"$(metric swb 'onlink_switch_peer_link_up{switch="swa"}') $(metric swb 'onlink_switch_peer_link_losses_total{switch="swa"}')" "0 1"
check_eq "h2 status: switch B's word on swa" "$(st "$H2" '.switches[1].peer_reports[0] | "\(.switch) \(.state)"')" "swa dead"

# 2. switch A back: held down, then transit-a's own MAC; nothing lost
ping_start h2 8 101 198.19.0.1
sleep 1
lab2_revive_switch a
check "switch A back: transit-a's own MAC after the hold-down" wait_for 20 "back" has_mac h2 10.0.1.1 "$MAC_A"
lost=$(ping_result h2)
echo "# one L2, switch A back: $lost pings lost"
check "...with at most 50 pings lost meanwhile ($lost)" test "$lost" -le 50
check_eq "h2 status: swa forwarding" "$(sw_state "$H2" swa)" "forwarding"

# 3. switch A forwards nothing, its links up (no carrier lost anywhere):
#    h2 finds it by its unanswered echoes
lab2_silence a
ping_start h2 5 101 198.19.0.1
sleep 0.2
check "switch A silent: h2 holds it dead from its echoes within 1.5 s" wait_for 2 "dead" bash -c \
	"[ \"\$('$ONLINK' status -s '$H2' --json | jq -r '.switches[0].uplink.forwarding')\" = dead ]"
lost=$(ping_result h2)
echo "# one L2, switch A silent (links up): $lost pings lost"
check "h2: transit-a's traffic to transit-b within 2 s ($lost lost)" test "$lost" -le 2000
check "h2: transit-a substituted" has_mac h2 10.0.1.1 "$MAC_B"
lab2_unsilence a
check "switch A forwarding again: h2 back on transit-a after the hold-down" wait_for 20 "back" has_mac h2 10.0.1.1 "$MAC_A"

# 4. switch A's agent dies, its switch forwarding: nothing changes
w0=$(grep -c 'neighbor 10.0.1.1' "$LAB_DIR/onlinkd-h2.log")
lab_stop onlinkd-swa KILL
check "agent killed: h2 notices" wait_for 20 "disconnected" grep -q "switch swa .*disconnected" "$LAB_DIR/onlinkd-h2.log"
check_eq "...still forwarding" "$(sw_state "$H2" swa)" "forwarding"
check_eq "...no write to transit-a's neighbor" "$(grep -c 'neighbor 10.0.1.1' "$LAB_DIR/onlinkd-h2.log")" "$w0"
lab2_start_switchd a

# bad switch configs
bad() { printf '%s\n' "[switch]" "name = swa" "listen = 10.10.0.1:4710" "private-key-file = $LAB_DIR/swa.key" "$@" > "$LAB_DIR/bad.conf"; "$ONLINKD" switch -n -c "$LAB_DIR/bad.conf" 2>&1; }
check_eq "onlinkd -n: peer-link without peer-switch" "$(bad "peer-link = peer")" \
	"$LAB_DIR/bad.conf:5: peer-link: needs 'peer-switch' (the switch agent across it)"
check_eq "onlinkd -n: peer-switch naming this switch" "$(bad "peer-link = peer" "peer-switch = swa")" \
	"$LAB_DIR/bad.conf:6: peer-switch: 'swa' is this switch agent's own name"
