#!/usr/bin/env bash
# A host agent with the wrong key learns nothing and installs nothing;
# garbage sent to the switch agent's port disturbs no other host.
. "$(dirname "$0")/testlib.sh"
t_lab
SWLOG=$LAB_DIR/onlinkd-sw.log

h1_conns() { grep -c "connected and authenticated" "$LAB_DIR/onlinkd-h1.log"; }
conns_before=$(h1_conns)

# an agent with another key, in h2's namespace
(umask 077; "$ONLINK" genkey > "$LAB_DIR/wrong.key")
sed -e "s|^key-file = .*|key-file = $LAB_DIR/wrong.key|" -e "s|^control = .*|control = $LAB_DIR/intruder.sock|" \
	-e "s|^name = h2|name = intruder|" "$LAB_DIR/host-h2.conf" > "$LAB_DIR/intruder.conf"
h2_state() { n h2 ip neigh show nud permanent; n h2 ip -br addr show dev eth0; n h2 ip rule show; n h2 ip route show table all proto 177; }
h2_before=$(h2_state)
lab_spawn onlinkd-intruder h2 "$ONLINKD" host -c "$LAB_DIR/intruder.conf"
check "switch logged the failed authentication" wait_for 5 "auth failure" grep -q "authentication failed" "$SWLOG"
check "intruder's agent logged the failed authentication" wait_for 5 "intruder log" grep -q "authentication failed" "$LAB_DIR/onlinkd-intruder.log"
check_eq "wrong key: the agent learned no provider" "$(st "$LAB_DIR/intruder.sock" '.providers | length')" "0"
check_eq "wrong key: the agent never reached 'up'" "$(st "$LAB_DIR/intruder.sock" '.switches[0].state')" "down"
check "wrong key: never listed as a peer by the switch" bash -c "! '$ONLINK' status -s '$LAB_DIR/switch.sock' --json | jq -e '.peers[] | select(.name==\"intruder\")'"
lab_stop onlinkd-intruder
check_eq "wrong key: nothing changed in h2's kernel" "$(h2_state)" "$h2_before"

# garbage: random bytes (after a version 0), wrong versions (1: an agent older than batched
# frames; 2: one older than generations and the fast path; 3: one older
# than backups named on the wire), an oversized
# frame, a fast-path datagram sent down a session, a hello claiming the
# switch's role, and a frame cut short by a closed connection
send() { n h2 timeout 5 bash -c "exec 3<>/dev/tcp/10.10.0.1/4710; { $1; } >&3 2>/dev/null; sleep 0.2"; }
send "printf '\\x00'; head -c 65536 /dev/urandom"
send "printf '\\x01\\x01\\x00\\x04abcd'"
send "printf '\\x02\\x01\\x00\\x04abcd'"
send "printf '\\x03\\x01\\x00\\x04abcd'"
send "printf '\\x04\\x02\\xff\\xff'"
send "printf '\\x04\\x03\\x00\\x04abcd'"
send "printf '\\x04\\x01\\x00\\x24\\x01'; head -c 32 /dev/zero; printf '\\x02sw'"
send "printf '\\x04\\x01\\x00\\x40'"
check "switch logged the wrong versions (0 and garbage, 1, 2, 3)" wait_for 3 "version" \
	bash -c "[ \$(grep -c 'unsupported protocol version' '$SWLOG') -ge 4 ]"
check "switch logged the datagram sent down a session" wait_for 3 "type" grep -q "unknown frame type" "$SWLOG"
check "switch logged the oversized frame" wait_for 3 "oversized" grep -q "oversized frame" "$SWLOG"
check "switch logged the hello with the wrong role" wait_for 3 "role" grep -q "peer has the same role" "$SWLOG"
check "switch agent still running" kill -0 "$(lab_pid onlinkd-sw)"
check_eq "both real hosts still connected" "$(st "$LAB_DIR/switch.sock" '[.peers[].name] | sort | join(",")')" "h1,h2"
check_eq "h1 never lost its session" "$(h1_conns)" "$conns_before"

# and the switch still streams changes to them
n pb ip link set eth0 address 02:00:00:00:02:bb
check "a MAC change after all that still reaches h1" wait_for 5 "mac" \
	bash -c "ip netns exec ${LAB_PREFIX}h1 ip neigh show 10.0.2.1 dev eth0 | grep -q 02:00:00:00:02:bb"
