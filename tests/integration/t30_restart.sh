#!/usr/bin/env bash
# Restarts (SIGKILL) of either agent leave unchanged kernel objects alone;
# foreign objects survive; objects deleted or changed by hand are repaired;
# a host agent started while no switch agent answers keeps everything.
. "$(dirname "$0")/testlib.sh"
t_lab

foreign() {
	n h1 ip neigh show 10.10.0.99 dev eth0
	n h1 ip addr show dev eth0 | grep 'peer 10.99.0.1'
	n h1 ip route show table 101 192.0.2.0/24
	n h1 ip rule show | grep 'fwmark 0x3e7'
	n h1 ip -6 route show 2001:db8:99::/64
}
n h1 ip neigh add 10.10.0.99 lladdr 02:aa:00:00:00:99 dev eth0 nud permanent
n h1 ip addr add 10.10.0.11 peer 10.99.0.1/32 dev eth0
n h1 ip route add 192.0.2.0/24 via 10.10.0.1 table 101
n h1 ip rule add fwmark 999 lookup 101 pref 1000
n h1 ip -6 route add 2001:db8:99::/64 via 2001:db8:10::1 proto static
before=$(foreign)
check_eq "foreign neighbor, address, route, rule in place" "$(wc -l <<<"$before")" "5"

# Watch the host kernel for any change to onlink's objects. A sentinel
# route proves the monitor sees changes before and after each restart.
lab_spawn mon-h1 h1 ip -ts monitor neigh address route rule
MON=$LAB_DIR/mon-h1.log
sentinel() {
	n h1 ip route add "192.0.2.$1/32" dev eth0 table 999
	n h1 ip route del "192.0.2.$1/32" dev eth0 table 999
	wait_for 5 "monitor saw sentinel $1" grep -q "192.0.2.$1 " "$MON"
}
ONLINK_OBJECTS='proto 177|peer 10\.0\.[12]\.1|fwmark 0x6[56]|lookup 10[12]|lladdr 02:00:00:00:0[12]:01'
# onlink's own writes, leaving out the kernel probing a managed neighbor
# entry (its state changes are the kernel's, not onlink's)
onlink_changes() { tail -n +$(($1 + 1)) "$MON" | grep -E "$ONLINK_OBJECTS" | grep -cvE '^\[[^]]*\] [0-9a-f.:]+ dev eth0 lladdr [0-9a-f:]+ managed '; }
check "monitor running" sentinel 1
mark=$(wc -l < "$MON")

# host agent: SIGKILL and restart
logmark=$(wc -l < "$LAB_DIR/onlinkd-h1.log")
lab_stop onlinkd-h1 KILL
start_hostd 1
check "h1 agent back: connected, snapshot applied, reconciled" wait_for 10 "h1 ready" \
	bash -c "[ \"\$('$ONLINK' status -s '$(host_sock 1)' --json | jq -r '.ready and .switches[0].state == \"up\" and .reconciles >= 1')\" == true ]"
check "monitor caught up after the host agent restart" sentinel 2
check_eq "host agent restart: no kernel change to onlink's objects" "$(onlink_changes "$mark")" "0"
check_eq "restarted host agent logged no kernel writes" \
	"$(tail -n +$((logmark + 1)) "$LAB_DIR/onlinkd-h1.log" | grep -cE '(add|replace|delete) (neighbor|address|route|rule)')" "0"
mark=$(wc -l < "$MON")

# switch agent: SIGKILL and restart; hosts reconnect and get a new snapshot
conns=$(grep -c "connected and authenticated" "$LAB_DIR/onlinkd-h1.log")
lab_stop onlinkd-sw KILL
start_switchd
check "h1 reconnected to the restarted switch agent" wait_for 15 "reconnect" \
	bash -c "[ \$(grep -c 'connected and authenticated' '$LAB_DIR/onlinkd-h1.log') -gt $conns ]"
check "h1 applied the new snapshot" wait_for 5 "snapshot" \
	bash -c "[ \$(grep -c 'snapshot of 2 providers' '$LAB_DIR/onlinkd-h1.log') -ge 2 ]"
check "monitor caught up after the switch agent restart" sentinel 3
check_eq "switch agent restart: no kernel change to onlink's objects on the host" "$(onlink_changes "$mark")" "0"
check_eq "foreign objects survived both restarts unchanged" "$(foreign)" "$before"

# repairs: what someone deletes or changes by hand comes back within 1 s
repaired() { wait_for 1 "$1" bash -c "$2"; }
n h1 ip neigh del 10.0.1.1 dev eth0
check "deleted IPv4 neighbor restored within 1 s" repaired neigh4 \
	"ip netns exec ${LAB_PREFIX}h1 ip neigh show 10.0.1.1 dev eth0 | grep -q 'lladdr $PROVIDER_MAC_A PERMANENT'"
n h1 ip neigh replace 2001:db8:2::1 lladdr 02:de:ad:be:ef:00 dev eth0 nud permanent
check "IPv6 neighbor rewritten by hand restored within 1 s" repaired neigh6 \
	"ip netns exec ${LAB_PREFIX}h1 ip neigh show 2001:db8:2::1 dev eth0 | grep -q 'lladdr $PROVIDER_MAC_B PERMANENT'"
n h1 ip addr del 10.10.0.11 peer 10.0.2.1/32 dev eth0
check "deleted peer address restored within 1 s" repaired addr \
	"ip netns exec ${LAB_PREFIX}h1 ip addr show dev eth0 | grep -q 'peer 10.0.2.1/32'"
n h1 ip route del default table 102
check "deleted table route restored within 1 s" repaired route \
	"ip netns exec ${LAB_PREFIX}h1 ip route show table 102 | grep -q 'default via 10.0.2.1'"
n h1 ip -6 route del 2001:db8:1::1/128 dev eth0
check "deleted IPv6 on-link route restored within 1 s" repaired route6 \
	"ip netns exec ${LAB_PREFIX}h1 ip -6 route show 2001:db8:1::1 | grep -q 'proto 177'"
n h1 ip rule del fwmark 101 lookup 101 pref 1000
check "deleted rule restored within 1 s" repaired rule \
	"ip netns exec ${LAB_PREFIX}h1 ip rule show | grep -q 'fwmark 0x65 lookup 101'"
check "repairs counted in status" bash -c "[ \$('$ONLINK' status -s '$(host_sock 1)' --json | jq .repairs) -ge 6 ]"
check_eq "foreign objects still unchanged after the repairs" "$(foreign)" "$before"
check "forwarding works after all of it" quiet n h1 ping -c 1 -W 1 -m 102 203.0.113.1

# No switch agent answers: a host agent that starts, or reloads with a
# changed file (which re-executes it), keeps every object onlink installed
# however long that lasts, says so, and its providers keep forwarding.
# (Before: 5 s after start, every rule, table default, neighbor, peer
# address and /128 route was deleted.)
mark=$(wc -l < "$MON")
lab_stop onlinkd-sw KILL
lab_stop onlinkd-h1 KILL
start_hostd 1
check "no switch agent: the restarted host agent says it runs on the kernel's state" wait_for 15 "kernel_state" \
	bash -c "[ \"\$('$ONLINK' status -s '$(host_sock 1)' --json | jq -r '.ready and .kernel_state.running_on == \"kernel\"')\" == true ]"
check "...and why: the switch agent has not given its snapshot" bash -c "'$ONLINK' status -s '$(host_sock 1)' --json | jq -r .kernel_state.why | grep -q 'switch sw1 has not given its snapshot'"
logmark=$(wc -l < "$LAB_DIR/onlinkd-h1.log")
sed -i 's/^keepalive = .*/keepalive = 3/' "$LAB_DIR/host-h1.conf"
kill -HUP "$(lab_pid onlinkd-h1)"
check "a reload with a changed file re-executed the agent" wait_for 10 "re-exec" \
	bash -c "tail -n +$((logmark + 1)) '$LAB_DIR/onlinkd-h1.log' | grep -q 'changed: restarting in place'"
# the start-up grace, then a periodic repair (every 30 s): both on the
# kernel's state, with the switch agent still gone
check "a periodic repair ran after the reload, with no switch agent" wait_for 45 "periodic repair" \
	bash -c "[ \"\$('$ONLINK' status -s '$(host_sock 1)' --json | jq -r '.kernel_state != null and .rebuilds >= 2 and .reconciles >= 2')\" == true ]"
check "onlink status says so" bash -c "'$ONLINK' status -s '$(host_sock 1)' | grep -q \"running on the kernel's state since\""
check "...and that the providers it shows are kept on purpose" bash -c "'$ONLINK' status -s '$(host_sock 1)' | grep -q 'no switch agent is reachable: the providers below are as last known, kept on purpose'"
check "monitor caught up with no switch agent" sentinel 4
check_eq "no switch agent for 35 s and two starts: no kernel change to onlink's objects" "$(onlink_changes "$mark")" "0"
check "IPv4 through transit-a still flows" quiet n h1 ping -c 1 -W 2 -m 101 203.0.113.1
check "IPv4 through transit-b still flows" quiet n h1 ping -c 1 -W 2 -m 102 203.0.113.1
check "IPv6 through transit-a still flows" quiet n h1 ping -6 -c 1 -W 2 -m 101 2001:db8:ff::1
check "IPv6 through transit-b still flows" quiet n h1 ping -6 -c 1 -W 2 -m 102 2001:db8:ff::1
# the switch agent back: the host follows it again, and it says the same
mark=$(wc -l < "$MON")
start_switchd
check "switch agent back: the host agent follows the switches again" wait_for 20 "trusted" \
	bash -c "[ \"\$('$ONLINK' status -s '$(host_sock 1)' --json | jq -r '.kernel_state == null and .switches[0].state == \"up\"')\" == true ]"
check "monitor caught up after the switch agent came back" sentinel 5
changed=$(onlink_changes "$mark")
check_eq "its snapshot matched the kernel: no change to onlink's objects" "$changed" "0"
[ "$changed" = 0 ] || tail -n +$((mark + 1)) "$MON" | grep -E "$ONLINK_OBJECTS" | sed 's/^/# changed: /'


# A switch agent started while a provider's port has no carrier (a provider
# without `port =`): the kernel's neighbor entry is still REACHABLE, the
# bridge has flushed the provider's FDB entry. Not up: before, it was
# published up from the stale entry and hosts sent to a dead MAC.
pstate() { "$ONLINK" status -s "$LAB_DIR/switch.sock" --json 2>/dev/null | jq -r ".providers[] | select(.name==\"$1\") | .state"; }
lab_stop onlinkd-sw KILL
n pa ip link set eth0 down
check "transit-a's port lost carrier; the switch kernel still holds its entry" bash -c \
	"ip netns exec ${LAB_PREFIX}sw ip neigh show 10.0.1.1 | grep -q lladdr"
start_switchd
check "switch agent restarted without transit-a's carrier: transit-a down" wait_for 10 "status" bash -c "[ \"\$('$ONLINK' status -s '$LAB_DIR/switch.sock' --json 2>/dev/null | jq -r '.providers[] | select(.name==\"transit-a\") | .state')\" = down ]"
check_eq "...and transit-b up" "$(pstate transit-b)" "up"
check "h1 follows: transit-a down" wait_for 10 "h1" bash -c "[ \"\$('$ONLINK' status -s '$(host_sock 1)' --json | jq -r '.providers[] | select(.name==\"transit-a\") | .state')\" = down ]"
n pa ip link set eth0 up
check "carrier back: transit-a up again once it answers" wait_for 20 "transit-a up" bash -c "[ \"\$('$ONLINK' status -s '$LAB_DIR/switch.sock' --json 2>/dev/null | jq -r '.providers[] | select(.name==\"transit-a\") | .state')\" = up ]"
check "...and forwards from h1" wait_for 10 "ping" n h1 ping -c 1 -W 1 -m 101 203.0.113.1
