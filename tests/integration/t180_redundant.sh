#!/usr/bin/env bash
# The redundant POP, two-uplink design (lab/redundant.sh): two switches,
# each with its provider, agent and route reflector; every host has an
# uplink to each. Providers on-link on the provider device and steered to
# the right uplink; a backup on the other switch; a whole switch killed
# under a 1000 packets/s ping and brought back; a switch agent killed with
# its switch forwarding; one switch cut off from one host; an uplink gone.
# check: once in the sanitizers pass (slow)
. "$(dirname "$0")/testlib.sh"
export LAB_DESIGN=uplinks LAB_SW_HOLD_DOWN=2s LAB_HOLD_DOWN=2s LAB_METRICS=1
t_setup
lab2_up || { not_ok "two-switch lab came up"; exit 1; }
ok "two-switch lab came up (BGP from both route reflectors, onlink from both agents)"

H1=$(host_sock 1) H2=$(host_sock 2) SA=$LAB_DIR/switch-a.sock
MAC_A=$PROVIDER_MAC_A MAC_B=$PROVIDER_MAC_B
neigh_mac() { n "$1" ip neigh show "$2" dev onlink0 | grep -o 'lladdr [0-9a-f:]*' | cut -d' ' -f2; }
has_mac() { [ "$(neigh_mac "$1" "$2")" == "$3" ]; }
fwd_packets() { # host uplink: packets the steering rule sent out of it
	n "$1" nft -j list table netdev onlink_uplinks |
		jq "[.nftables[] | select(.rule) | .rule | select(any(.expr[]; .fwd.dev == \"$2\")) |
		     .expr[] | select(.counter) | .counter.packets] | add // 0"
}
metric() { n "$1" curl -sf --max-time 5 "http://127.0.0.1:9477/metrics" | awk -v m="$2" '$1 == m { print $2 }'; }
sw_state() { st "$1" ".switches[] | select(.name == \"$2\") | .uplink.forwarding"; }
# ping_loss NS SECS MARK DEST: a 1000/s ping in the background; its loss
# (packets sent and not answered) is read by ping_result
ping_start() { rm -f "$LAB_DIR/ping-$1.out"; n "$1" ping -q -m "$3" -i 0.001 -w "$2" "$4" > "$LAB_DIR/ping-$1.out" 2>&1 & }
ping_result() { # (ping -w ends it; `wait` is not reliable under run.sh's timeout)
	wait_for 20 "ping's summary" grep -q transmitted "$LAB_DIR/ping-$1.out"
	awk '/transmitted/ { print $1 - $4 }' "$LAB_DIR/ping-$1.out"
}

# 1. providers on-link on the provider device, each MAC steered to its
#    switch's uplink, with the tables and rules onlink makes
check "h1: the provider device onlink0 is up" quiet n h1 ip link show onlink0 up
check "h1: transit-a (switch A) on-link on onlink0 with its MAC" has_mac h1 10.0.1.1 "$MAC_A"
check "h1: transit-b (switch B) on-link on onlink0 with its MAC" has_mac h1 10.0.2.1 "$MAC_B"
check "h1: transit-a's IPv6 address too" has_mac h1 2001:db8:1::1 "$MAC_A"
check_eq "h1: BIRD's route names the provider device, not an uplink" \
	"$(n h1 ip -4 route show 198.19.0.0/24 | grep -o 'dev [a-z0-9]*')" "dev onlink0"
check_eq "h1: table 101 (transit-a) default via it on onlink0" "$(n h1 ip -4 route show table 101 | head -1)" \
	"default via 10.0.1.1 dev onlink0 proto 177 src 10.30.0.11 onlink "
check_eq "h1: table 102 (transit-b) default via it on onlink0" "$(n h1 ip -4 route show table 102 | head -1)" \
	"default via 10.0.2.1 dev onlink0 proto 177 src 10.30.0.11 onlink "
check "h1: IPv6 table 101 default via transit-a" quiet bash -c "ip netns exec ${LAB_PREFIX}h1 ip -6 route show table 101 | grep -q 'default via 2001:db8:1::1 dev onlink0'"
check "h1: fwmark rules for both providers" quiet bash -c \
	"[ \$(ip netns exec ${LAB_PREFIX}h1 ip rule show | grep -cE 'fwmark 0x6[56] lookup 10[12]') = 2 ]"
e0=$(fwd_packets h1 eth0) e1=$(fwd_packets h1 eth1)
check "h1: a ping through transit-a's table is answered" quiet n h1 ping -c 5 -i 0.05 -W 1 -m 101 198.19.0.1
check "h1: ...and its frames left by eth0 (switch A), none by eth1" \
	test "$(fwd_packets h1 eth0)" -ge $((e0 + 5)) -a "$(fwd_packets h1 eth1)" = "$e1"
check "h1: a ping through transit-b's table leaves by eth1" bash -c \
	"ip netns exec ${LAB_PREFIX}h1 ping -q -c 5 -i 0.05 -W 1 -m 102 198.19.0.1 >/dev/null && [ \$(ip netns exec ${LAB_PREFIX}h1 nft list table netdev onlink_uplinks | grep -c 'fwd to \"eth1\"') = 1 ]"
check_eq "h1 status: switch swa on eth0, forwarding" "$(st "$H1" '.switches[0] | "\(.name) \(.uplink.interface) \(.uplink.carrier) \(.uplink.forwarding)"')" "swa eth0 up forwarding"
check_eq "h1 status: switch swb on eth1, forwarding" "$(st "$H1" '.switches[1] | "\(.name) \(.uplink.interface) \(.uplink.carrier) \(.uplink.forwarding)"')" "swb eth1 up forwarding"
check "h1 status: swa answers echoes through eth0" test "$(st "$H1" '.switches[0].uplink.echo_answered')" -gt 0
check_eq "switch A status: transit-a's backup is another switch agent's" \
	"$(st "$SA" '.remote_backups[] | "\(.provider) \(.backup)"')" "transit-a transit-b"
check "switch A warned once about the backup it does not own" \
	test "$(grep -c 'backup transit-b is not a provider of this switch agent' "$LAB_DIR/onlinkd-swa.log")" = 1
check_eq "h1 metrics: switch swb forwarding, by switch and uplink" \
	"$(metric h1 'onlink_host_switch_forwarding{switch="swb",uplink="eth1"}')" "1"

# 2. a backup on the other switch: transit-a's port goes down on switch A;
#    switch A publishes it down with its backup's name, and the hosts send
#    its traffic to transit-b's MAC, out of eth1
n swa ip link set swa-pa down
check "transit-a failed: h1 sends it to transit-b's MAC" wait_for 10 "substituted" has_mac h1 10.0.1.1 "$MAC_B"
check "...h2 too" wait_for 5 "substituted" has_mac h2 10.0.1.1 "$MAC_B"
check_eq "h1 status: transit-a substituted by this host via transit-b" \
	"$(st "$H1" '.providers[] | select(.name == "transit-a") | .substituted.via')" "transit-b"
e1=$(fwd_packets h1 eth1)
check "a ping through transit-a's table still answered (by way of transit-b)" quiet n h1 ping -c 5 -i 0.05 -W 1 -m 101 198.19.0.1
check "...out of eth1" test "$(fwd_packets h1 eth1)" -ge $((e1 + 5))
n swa ip link set swa-pa up
check "transit-a back (after its hold-down): its own MAC" wait_for 20 "back" has_mac h1 10.0.1.1 "$MAC_A"

# a backup that no switch agent announces shows on the hosts before it is
# needed (switch A's config changed and reloaded)
backup_is() { [ "$(st "$H1" '.providers[] | select(.name == "transit-a") | "\(.backup) \(.backup_missing)"')" = "$1" ]; }
sed -i 's/^backup = transit-b$/backup = transit-zz/' "$LAB_DIR/switch-a.conf"
kill -HUP "$(lab_pid onlinkd-swa)"
check "h1 status: transit-a's backup transit-zz is announced by no switch agent" wait_for 10 "backup" backup_is "transit-zz true"
check "...and onlink status says so" bash -c "'$ONLINK' status -s '$H1' | grep -q 'backup transit-zz: no switch agent announces it'"
sed -i 's/^backup = transit-zz$/backup = transit-b/' "$LAB_DIR/switch-a.conf"
kill -HUP "$(lab_pid onlinkd-swa)"
check "switch A reloaded back: transit-a's backup is transit-b again" wait_for 10 "backup" backup_is "transit-b null"

# 3. the switch agent dies while its switch forwards: nothing changes
writes() { grep -c 'neighbor 10.0.1.1' "$LAB_DIR/onlinkd-h1.log"; }
w0=$(writes)
lab_stop onlinkd-swa KILL
check "agent killed: h1 notices the session is gone" wait_for 20 "disconnected" grep -q "switch swa .*disconnected" "$LAB_DIR/onlinkd-h1.log"
check_eq "...and still holds switch A for forwarding (its echoes are answered)" "$(sw_state "$H1" swa)" "forwarding"
check_eq "...no write to transit-a's neighbor" "$(writes)" "$w0"
check "...transit-a's MAC kept" has_mac h1 10.0.1.1 "$MAC_A"
lab2_start_switchd a
check "agent restarted: h1 reconnects" wait_for 20 "reconnect" bash -c "[ \"\$('$ONLINK' status -s '$H1' --json | jq -r '.switches[0].state')\" = up ]"
check_eq "...and wrote nothing" "$(writes)" "$w0"

# 4. the whole switch A dies (ports dark, BIRD and agent killed) under a
#    1000/s ping through transit-a's table
ping_start h1 6 101 198.19.0.1
sleep 2
lab2_kill_switch a
lost=$(ping_result h1)
echo "# whole switch A killed (carrier): $lost pings lost at 1000/s"
check "switch A dead: h1 sent transit-a's traffic to transit-b within 300 ms ($lost lost)" test "$lost" -le 300
check "...h1 uses transit-b's MAC for transit-a" has_mac h1 10.0.1.1 "$MAC_B"
check "...h2 too" wait_for 5 "h2" has_mac h2 10.0.1.1 "$MAC_B"
check_eq "h1 status: swa dead, why" "$(st "$H1" '.switches[0].uplink | "\(.forwarding): \(.why)"')" "dead: uplink carrier lost"
check_eq "h1 metrics: swa not forwarding" "$(metric h1 'onlink_host_switch_forwarding{switch="swa",uplink="eth0"}')" "0"
check_eq "h1 metrics: one death of swa counted" "$(metric h1 'onlink_host_switch_deaths_total{switch="swa"}')" "1"
check_eq "h1 metrics: transit-a substituted" "$(metric h1 'onlink_host_provider_substituted{provider="transit-a"}')" "1"
check "BIRD on h1 moved 198.19.0.0/24 to transit-b" wait_for 30 "BGP" bash -c "ip netns exec ${LAB_PREFIX}h1 ip route show 198.19.0.0/24 | grep -q 10.0.2.1"

# 5. switch A comes back: held down 2 s, then its providers again, and
#    the ping through transit-a's table loses nothing
ping_start h1 8 101 198.19.0.1
sleep 1
lab2_revive_switch a
check_eq "switch A back: held down first" "$(wait_for 5 held bash -c "[ \"\$('$ONLINK' status -s '$H1' --json | jq -r '.switches[0].uplink.forwarding')\" = held-down ]"; echo $?)" "0"
check "...then transit-a's own MAC again" wait_for 20 "back" has_mac h1 10.0.1.1 "$MAC_A"
lost=$(ping_result h1)
echo "# switch A back: $lost pings lost"
check "...with at most 50 pings lost meanwhile ($lost)" test "$lost" -le 50
check "BIRD on h1 back on transit-a for 198.19.0.0/24" wait_for 60 "BGP" bash -c "ip netns exec ${LAB_PREFIX}h1 ip route show 198.19.0.0/24 | grep -q 10.0.1.1"

# 6. switch A cut off from h1 only (its port to h1 drops everything, the
#    carrier stays): h1 finds it by its unanswered echoes; h2 keeps it
printf 'table netdev cut {\n\tchain c {\n\t\ttype filter hook ingress device "swa-h1" priority 0; policy drop;\n\t}\n}\n' |
	n swa nft -f -
ping_start h1 5 101 198.19.0.1
# its session with switch A, cut too, lapses only at the keepalive
# timeout (3 keepalives): meanwhile status says it is silent, not plain up
silent_shown() { "$ONLINK" status -s "$H1" | grep -qE '^swa +[^ ]+ +up, silent [0-9]+s'; }
check "h1: its session with switch A shown 'up, silent Ns' while the keepalives lapse" wait_for 6 "silent" silent_shown
lost=$(ping_result h1)
echo "# switch A cut off from h1 (no carrier loss): $lost pings lost"
check "h1: switch A held dead from its echoes" test "$(sw_state "$H1" swa)" = dead
check_eq "h1: why" "$(st "$H1" '.switches[0].uplink.why' | sed 's/[0-9]* ms/N ms/')" "no echo answered for N ms"
check "h1: transit-a's traffic to transit-b within 2 s ($lost lost)" test "$lost" -le 2000
check "h1: transit-a substituted" has_mac h1 10.0.1.1 "$MAC_B"
check_eq "h2: switch A still forwarding" "$(sw_state "$H2" swa)" "forwarding"
check "h2: transit-a's own MAC" has_mac h2 10.0.1.1 "$MAC_A"
n swa nft delete table netdev cut
check "cut repaired: h1 back on transit-a after the hold-down" wait_for 20 "back" has_mac h1 10.0.1.1 "$MAC_A"

# 7. an uplink that goes away: logged, shown, retried
n h2 ip link set eth1 down
n h2 ip link set eth1 name eth1x
check "h2: uplink eth1 gone, logged" wait_for 5 "gone" grep -q "switch swb: uplink eth1 is gone" "$LAB_DIR/onlinkd-h2.log"
check_eq "h2 status: swb's uplink missing, switch dead" "$(st "$H2" '.switches[1].uplink | "\(.present) \(.forwarding)"')" "false dead"
n h2 ip link set eth1x name eth1
n h2 ip link set eth1 up
check "h2: eth1 back, swb forwarding again after its hold-down" wait_for 20 "back" bash -c "[ \"\$('$ONLINK' status -s '$H2' --json | jq -r '.switches[1].uplink.forwarding')\" = forwarding ]"

# 8. bad host configs, where they can be seen
bad() { printf '%s\n' "[host]" "name = h9" "interface = eth0" "address = 10.30.0.19" "private-key-file = $LAB_DIR/h1.key" "$@" > "$LAB_DIR/bad.conf"; n h1 "$ONLINKD" host -n -c "$LAB_DIR/bad.conf" 2>&1; }
K=$(lab_key swa)
check_eq "onlinkd -n: an interface that does not exist" "$(bad "[switch a]" "connect = 10.10.0.1:4710" "interface = eth7" "public-key = $K")" \
	"$LAB_DIR/bad.conf:8: interface: 'eth7' does not exist (onlinkd would wait for it)"
check_eq "onlinkd -n: two switches on the same interface and connect" \
	"$(bad "[switch a]" "connect = 10.10.0.1:4710" "public-key = $K" "[switch b]" "connect = 10.10.0.1:4710" "interface = eth0" "public-key = $K")" \
	"$LAB_DIR/bad.conf:9: [switch b]: the same interface (eth0) and connect (10.10.0.1:4710) as [switch a] on line 6"
check "onlinkd -n: the good two-uplink config passes" quiet n h1 "$ONLINKD" host -n -c "$LAB_DIR/host-h1.conf"
