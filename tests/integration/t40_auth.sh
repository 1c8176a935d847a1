#!/usr/bin/env bash
# Per-node identities (docs/protocol.md, "Threat model"): what a host that
# holds its own key, or none listed, can and cannot do.
#   1. a host agent whose key no [host NAME] lists: refused, logged with its
#      address and the key's first characters, counted; nothing installed;
#   2. a listed key under another name: refused;
#   3. a host running a switch agent with its own valid key, to which
#      another host is pointed with the real switch's public key: refused,
#      nothing installed;
#   4. fast-path datagrams forged by a host (its own signing key, a real
#      datagram altered or replayed, version 4's shared-key construction):
#      refused and counted, nothing changes;
#   5. rekeys inside the session: new keys, the same session, changes flow;
#   6. key rotation (a host's key, then the switch's): the sessions
#      re-handshake and no kernel object is deleted or rewritten;
#   7. garbage on the switch agent's port disturbs no other host.
# check: once in the sanitizers pass (slow)
. "$(dirname "$0")/testlib.sh"
export LAB_FAST_PATH=239.255.71.6:4714 LAB_METRICS=1
t_lab
SWLOG=$LAB_DIR/onlinkd-sw.log
GROUP=${LAB_FAST_PATH%:*}
metric() { n "$1" curl -sf --max-time 5 http://127.0.0.1:9477/metrics | awk -v k="$2" '$1 == k { print $2 }'; }
refused() { metric sw "onlink_switch_handshakes_refused_total{reason=\"$1\"}"; }
h1_sessions() { st "$(host_sock 1)" '.switches[0].sessions'; }
neigh_mac() { n "$1" ip neigh show "$2" dev eth0 | grep -o 'lladdr [0-9a-f:]*' | cut -d' ' -f2; }

# a namespace of its own on the hosts' segment for the agents that must
# get nothing: what they would install is there alone to see
ns_add vic
link sw sw-vic vic eth0
n sw ip link set sw-vic master br0 up
n vic ip addr add 10.10.0.30/24 dev eth0
n vic ip link set eth0 up
vic_state() { n vic ip neigh show nud permanent; n vic ip rule show; n vic ip route show table all proto 177; n vic ip -6 route show table all proto 177; }
vic_before=$(vic_state)
SWPUB=$(lab_key sw1)
vic_conf() { # NAME KEYFILE CONNECT
	cat > "$LAB_DIR/vic.conf" <<CONF
[host]
name = $1
interface = eth0
address = 10.10.0.30
private-key-file = $2
control = $LAB_DIR/vic.sock

[switch sw1]
connect = $3
public-key = $SWPUB
CONF
}
# a victim agent must never be up or hold a provider, well past the
# start-up grace (5 s) after which it applies what it knows
stays_out() { # WHAT
	local t
	for t in $(seq 14); do
		[ "$(st "$LAB_DIR/vic.sock" '.switches[0].state' 2>/dev/null)" = up ] && return 1
		[ "$(st "$LAB_DIR/vic.sock" '.providers | length' 2>/dev/null)" = 0 ] || [ "$t" -lt 3 ] || return 1
		sleep 0.5
	done
	return 0
}

# 1. an unknown key
(umask 077; "$ONLINK" genkey > "$LAB_DIR/stranger.key")
STRANGER=$("$ONLINK" pubkey < "$LAB_DIR/stranger.key")
vic_conf stranger "$LAB_DIR/stranger.key" 10.10.0.1:4710
r0=$(refused unknown_key)
lab_spawn onlinkd-vic vic "$ONLINKD" host -c "$LAB_DIR/vic.conf"
check "unknown key: never up, no provider (7 s, past the start-up grace)" stays_out
check "unknown key: the switch logs its address and the key's first characters" \
	grep -q "peer 10.10.0.30:[0-9]* dropped before authentication: refused: public key ${STRANGER:0:8}\.\.\. (calling itself 'stranger') is no \[host NAME\]'s" "$SWLOG"
check "unknown key: counted (onlink_switch_handshakes_refused_total{reason=\"unknown_key\"})" \
	test "$(refused unknown_key)" -gt "${r0:-0}"
check "unknown key: the agent counts its failed handshakes" test "$(st "$LAB_DIR/vic.sock" '.switches[0].handshake_failures')" -ge 1
check "unknown key: never listed as a peer by the switch" \
	bash -c "! '$ONLINK' status -s '$LAB_DIR/switch.sock' --json | jq -e '.peers[] | select(.address | startswith(\"10.10.0.30:\"))'"
lab_stop onlinkd-vic
check_eq "unknown key: nothing installed" "$(vic_state)" "$vic_before"
check "the private key is never logged" bash -c "! grep -rqF \"\$(cat '$LAB_DIR/stranger.key')\" '$LAB_DIR'/*.log"

# 2. h2's key (copied) under another name
vic_conf intruder "$LAB_DIR/h2.key" 10.10.0.1:4710
lab_spawn onlinkd-vic vic "$ONLINKD" host -c "$LAB_DIR/vic.conf"
check "h2's key, calling itself 'intruder': refused" wait_for 10 "wrong name" \
	grep -q "refused: the key of host 'h2' (.*), from an agent calling itself 'intruder'" "$SWLOG"
check "...counted" wait_for 5 "metric" test "$(refused wrong_name)" -ge 1
lab_stop onlinkd-vic
check_eq "...nothing installed" "$(vic_state)" "$vic_before"

# 3. h2 runs a switch agent with its own valid key, at its own address; a
# host pointed at it with the real switch's public key
cat > "$LAB_DIR/impostor.conf" <<CONF
[switch]
name = sw1
listen = 10.10.0.12:4710
private-key-file = $LAB_DIR/h2.key
control = $LAB_DIR/impostor.sock
state-file = $LAB_DIR/impostor-state.json

[provider transit-a]
address = 10.0.1.1
interface = eth0
table = 101

[host h1]
public-key = $(lab_key h1)
CONF
lab_spawn onlinkd-impostor h2 "$ONLINKD" switch -c "$LAB_DIR/impostor.conf"
wait_for 10 "impostor" test -S "$LAB_DIR/impostor.sock"
vic_conf h1 "$LAB_DIR/h1.key" 10.10.0.12:4710
lab_spawn onlinkd-vic vic "$ONLINKD" host -c "$LAB_DIR/vic.conf"
check "impostor switch: the host never comes up, holds no provider" stays_out
check "impostor switch: it cannot read the host's handshake" \
	grep -q "dropped before authentication: handshake refused before any key work: its mac1 is not for this switch agent's public key" "$LAB_DIR/onlinkd-impostor.log"
check_eq "impostor switch: it never had a session" "$(st "$LAB_DIR/impostor.sock" '.peers | length')" "0"
check "impostor switch: the host counts the failed handshakes" test "$(st "$LAB_DIR/vic.sock" '.switches[0].handshake_failures')" -ge 1
lab_stop onlinkd-vic
lab_stop onlinkd-impostor
check_eq "impostor switch: nothing installed" "$(vic_state)" "$vic_before"

# 3b. two agents with one key: h1's key and name from another address (a
# cloned VM). Before: two sessions at once, silently, and the other hosts
# kept steering h1's slice to the clone's address after it left.
rep0=$(metric sw onlink_switch_sessions_replaced_total)
vic_conf h1 "$LAB_DIR/h1.key" 10.10.0.1:4710
lab_spawn onlinkd-vic vic "$ONLINKD" host -c "$LAB_DIR/vic.conf"
check "a clone of h1: a warning that its session replaces h1's, with both addresses" wait_for 15 "replaced" \
	grep -q "warning: host h1: a new session from 10.10.0.30:[0-9]* replaces the one from 10.10.0.11:[0-9]*" "$SWLOG"
replaced_more() { [ "$(metric sw onlink_switch_sessions_replaced_total)" -gt "$rep0" ]; }
check "...counted (onlink_switch_sessions_replaced_total)" wait_for 5 "metric" replaced_more
check "...and in the switch's status" test "$(st "$LAB_DIR/switch.sock" .sessions_replaced)" -ge 1
check "...h1 has one session at a time" test "$(st "$LAB_DIR/switch.sock" '[.peers[] | select(.name == "h1")] | length')" -le 1
lab_stop onlinkd-vic
check "the clone gone: the real h1 has the session" wait_for 40 "h1 back" \
	bash -c "[ \"\$('$ONLINK' status -s '$LAB_DIR/switch.sock' --json | jq -r '.peers[] | select(.name == \"h1\") | .address' | cut -d: -f1)\" = 10.10.0.11 ]"
check "...and h2 steers to the real h1 again" wait_for 10 "directory" \
	bash -c "[ \"\$('$ONLINK' status -s '$(host_sock 2)' --json | jq -r '.hosts[] | select(.name == \"h1\") | .address')\" = 10.10.0.11 ]"

# 4. forged fast-path datagrams, sent by h2 into the group
n h2 ip route add 224.0.0.0/4 dev eth0 2>/dev/null
key=$(st "$(host_sock 2)" '.switches[0].fast_path.key')
rej0=$(st "$(host_sock 1)" '.switches[0].fast_path.rejected')
EVIL=02:de:ad:be:ef:01
lab_spawn forge h2 "$LAB_ROOT/build/forge_dgram" 10.10.0.12 "$GROUP" 4714 "$key" transit-a 101 10.0.1.1 $EVIL
check "the forger joined the group (before the change it captures)" wait_for 10 "joined" grep -q "^joined" "$LAB_DIR/forge.log"
MAC=02:00:00:00:01:c1
n pa ip link set eth0 address $MAC
check "the forger captured a real datagram and sent its four forgeries" wait_for 20 "forge" grep -q "^sent 4" "$LAB_DIR/forge.log"
check "h1: the real change arrived" wait_for 5 "mac" bash -c "[ \"\$(ip netns exec ${LAB_PREFIX}h1 ip neigh show 10.0.1.1 dev eth0 | grep -o 'lladdr [0-9a-f:]*')\" = 'lladdr $MAC' ]"
check "h1: the four forgeries refused and counted (fast_path.rejected)" wait_for 5 "rejected" \
	bash -c "[ \"\$('$ONLINK' status -s '$(host_sock 1)' --json | jq .switches[0].fast_path.rejected)\" -ge $((rej0 + 4)) ]"
check "h1: ...and in its metrics" test "$(metric h1 'onlink_host_fastpath_rejected_total{switch="sw1"}')" -ge $((rej0 + 4))
# (all four were refused, as counted: nothing of them is still on its way)
check_eq "h1: provider A still at its real MAC" "$(neigh_mac h1 10.0.1.1)" "$MAC"
check_eq "h2: likewise" "$(neigh_mac h2 10.0.1.1)" "$MAC"
lab_stop forge

# 5. rekeys inside the session: h2 rekeying every 500 ms (the test's knob;
# 110 s as shipped)
lab_stop onlinkd-h2
# (the knob is read by the test build only: src/base/knob.h)
lab_spawn onlinkd-h2 h2 env ONLINK_TEST_REKEY_MS=500 "$LAB_ROOT/build/asan/onlinkd" host -c "$LAB_DIR/host-h2.conf"
check "h2: up again" wait_for 15 "h2 up" bash -c "[ \"\$('$ONLINK' status -s '$(host_sock 2)' --json | jq -r .switches[0].state)\" = up ]"
s2=$(st "$(host_sock 2)" '.switches[0].sessions')
check "h2: three rekeys in its session" wait_for 10 "rekeys" \
	bash -c "[ \"\$('$ONLINK' status -s '$(host_sock 2)' --json | jq .switches[0].rekeys)\" -ge 3 ]"
check_eq "h2: still the same session" "$(st "$(host_sock 2)" '.switches[0].sessions')" "$s2"
check "switch: counts them (onlink_switch_rekeys_total)" test "$(metric sw onlink_switch_rekeys_total)" -ge 3
check "switch: shows them per host" test "$(st "$LAB_DIR/switch.sock" '.peers[] | select(.name == "h2") | .rekeys')" -ge 3
MAC=02:00:00:00:01:c2
n pa ip link set eth0 address $MAC
check "h2: a change still arrives under the new keys" wait_for 10 "mac" bash -c "[ \"\$(ip netns exec ${LAB_PREFIX}h2 ip neigh show 10.0.1.1 dev eth0 | grep -o 'lladdr [0-9a-f:]*')\" = 'lladdr $MAC' ]"
check "h1: and to h1" wait_for 10 "mac" bash -c "[ \"\$(ip netns exec ${LAB_PREFIX}h1 ip neigh show 10.0.1.1 dev eth0 | grep -o 'lladdr [0-9a-f:]*')\" = 'lladdr $MAC' ]"

# 6. key rotation, with a watch on every kernel object onlink holds on h1
provider_events() { # since mark $1, once a sentinel shows the monitor live
	local l
	l=$(mon_since h1 "$1") || { echo "$l"; return; }
	grep -E '10\.0\.[12]\.1|2001:db8:[12]::1|table 10[12]|proto onlink|onlink' <<<"$l" | grep -v -E '^(\[RULE\] *)?[0-9]+:'
}
mon_start h1
m=$(mon_mark h1)
SW=$(lab_pid onlinkd-sw) H1=$(lab_pid onlinkd-h1)
c0=$(h1_sessions)
OLD1=$(lab_key h1)
(umask 077; "$ONLINK" genkey > "$LAB_DIR/h1.new")
NEW1=$("$ONLINK" pubkey < "$LAB_DIR/h1.new")
# the switch first: h1's new public key
sed -i "s|^public-key = $OLD1\$|public-key = $NEW1|" "$LAB_DIR/switch.conf"
kill -HUP "$SW"
check "h1's key: the switch agent restarts in place" wait_for 5 "restart" grep -q "reload: .*switch.conf changed" "$SWLOG"
check "...h1's old key is refused from then on" wait_for 15 "old key" grep -q "refused: public key ${OLD1:0:8}\.\.\. (calling itself 'h1')" "$SWLOG"
# then the host: the same file, the new key
cat "$LAB_DIR/h1.new" > "$LAB_DIR/h1.key"
kill -HUP "$H1"
check "...h1 restarts in place with its new key" wait_for 5 "restart" grep -q "reload: .*host-h1.conf changed: restarting in place" "$LAB_DIR/onlinkd-h1.log"
check "...and has a new session" wait_for 15 "session" bash -c "[ \"\$('$ONLINK' status -s '$(host_sock 1)' --json | jq -r '.switches[0].state')\" = up ]"
check_eq "...same pids" "$(lab_pid onlinkd-sw) $(lab_pid onlinkd-h1)" "$SW $H1"
# the switch's key: the switch, then each host
OLDS=$SWPUB
(umask 077; "$ONLINK" genkey > "$LAB_DIR/sw1.new")
NEWS=$("$ONLINK" pubkey < "$LAB_DIR/sw1.new")
cat "$LAB_DIR/sw1.new" > "$LAB_DIR/sw1.key"
kill -HUP "$SW"
check "the switch's key: h1 can no longer complete a handshake with the old public key" wait_for 15 "refused" \
	bash -c "[ \"\$('$ONLINK' status -s '$(host_sock 1)' --json | jq .switches[0].handshake_failures)\" -ge 1 ]"
for i in 1 2; do
	sed -i "s|^public-key = $OLDS\$|public-key = $NEWS|" "$LAB_DIR/host-h$i.conf"
	kill -HUP "$(lab_pid onlinkd-h$i)"
done
for i in 1 2; do
	check "...h$i up again with the new public key" wait_for 15 "up" \
		bash -c "[ \"\$('$ONLINK' status -s '$(host_sock $i)' --json | jq -r '.switches[0].state')\" = up ]"
done
check "...the switch serves both" wait_for 10 "peers" \
	bash -c "[ \"\$('$ONLINK' status -s '$LAB_DIR/switch.sock' --json | jq -r '[.peers[].name] | sort | join(\",\")')\" = h1,h2 ]"
check_eq "key rotation: no provider address, neighbor, route, rule or device on h1 changed" "$(provider_events "$m")" ""
lab_stop mon-h1

# 7. garbage: random bytes (after a version 0), wrong versions (5, 6, 7
# and 8: agents before mac1, before cookies, before resting slices, before
# steering), an oversized frame, a
# fast-path datagram sent down a session, a handshake of garbage (refused
# by its mac1, before any key work), a frame cut short
send() { n h2 timeout 5 bash -c "exec 3<>/dev/tcp/10.10.0.1/4710; { $1; } >&3 2>/dev/null; sleep 0.2"; }
h1_before=$(h1_sessions)
send "printf '\\x00'; head -c 65536 /dev/urandom"
mac0=$(refused bad_mac1)
send "printf '\\x09\\x02\\xff\\xff'"
send "printf '\\x09\\x03\\x00\\x04abcd'"
# (the agent logs 10 refusals in 10 s, then counts the rest: fewer here)
for v in 5 6 7 8; do send "printf '\\x0$v\\x01\\x00\\x04abcd'"; done
send "printf '\\x09\\x01\\x00\\x60'; head -c 96 /dev/urandom"
send "printf '\\x09\\x01\\x00\\x40'"
check "switch logged the wrong versions (0 and garbage, 5, 6, 7, 8)" wait_for 3 "version" \
	bash -c "[ \$(grep -c 'unsupported protocol version' '$SWLOG') -ge 5 ]"
check "switch logged the datagram sent down a session" wait_for 3 "type" grep -q "unknown frame type" "$SWLOG"
check "switch logged the oversized frame" wait_for 3 "oversized" grep -q "oversized frame" "$SWLOG"
check "switch logged the garbage handshake, refused by its mac1" wait_for 3 "handshake" grep -q "handshake refused before any key work: its mac1 is not for this switch agent's public key" "$SWLOG"
bad_mac1_more() { [ "$(refused bad_mac1)" -gt "$mac0" ]; }
check "...counted (bad_mac1)" wait_for 5 "metric" bad_mac1_more
check "switch agent still running" kill -0 "$(lab_pid onlinkd-sw)"
check_eq "both real hosts still connected" "$(st "$LAB_DIR/switch.sock" '[.peers[].name] | sort | join(",")')" "h1,h2"
check_eq "h1 never lost its session" "$(h1_sessions)" "$h1_before"
MAC=02:00:00:00:02:bb
n pb ip link set eth0 address $MAC
check "a MAC change after all that still reaches h1" wait_for 5 "mac" \
	bash -c "ip netns exec ${LAB_PREFIX}h1 ip neigh show 10.0.2.1 dev eth0 | grep -q $MAC"
