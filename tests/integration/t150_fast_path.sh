#!/usr/bin/env bash
# The fast path: a provider change reaches the hosts as one multicast
# datagram on the hosts' segment, long before the sessions' copy (held
# back 5 s here); a host that missed the datagram is repaired by its
# session; garbage in the group changes nothing.
. "$(dirname "$0")/testlib.sh"
export LAB_FAST_PATH=239.255.71.4:4714 LAB_FAST_PATH_DELAY=5s
t_lab

GROUP=239.255.71.4
neigh_mac() { n "$1" ip neigh show "$2" dev eth0 | grep -o 'lladdr [0-9a-f:]*' | cut -d' ' -f2; }
has_mac() { [ "$(neigh_mac "$1" "$2")" == "$3" ]; }
fp() { st "$(host_sock "$1")" ".switches[0].fast_path.$2"; }
stale() { st "$(host_sock "$1")" '.switches[0].stale_updates'; }

for i in 1 2; do
	check_eq "h$i: joined the switch agent's group" "$(fp $i group)" "$GROUP"
done
check "h1: onlink status shows the fast path" \
	bash -c "'$ONLINK' status -s '$(host_sock 1)' | grep -q '^sw1 *fast path $GROUP port 4714: '"
check_eq "switch: status shows the fast path" \
	"$(st "$LAB_DIR/switch.sock" '.fast_path | "\(.group) \(.interface) \(.delay_ms)"')" "$GROUP:4714 br0 5000"

# 1. a MAC change: both hosts follow well within the 5 s the sessions'
# copy waits, so by the datagram; the session's copy, when it comes, is
# recognized as the same generation and changes nothing
d0=$(fp 1 datagrams) s0=$(stale 1)
MAC1=02:00:00:00:01:b1
n pa ip link set eth0 address $MAC1
for i in 1 2; do
	check "h$i: follows the MAC change within 3 s (the session's copy waits 5 s)" \
		wait_for 3 "mac" has_mac h$i 10.0.1.1 $MAC1
done
check "h1: took datagrams for it" test "$(fp 1 datagrams)" -gt "$d0"
check "h1: the session's copy, 5 s later, counted as already applied" \
	wait_for 10 "stale" bash -c "[ \"\$('$ONLINK' status -s '$(host_sock 1)' --json | jq .switches[0].stale_updates)\" -gt $s0 ]"
check_eq "h1: no datagram lost" "$(fp 1 lost)" "0"

# 2. h2 drops the group's datagrams: the change reaches it by its session,
# after the delay; h1 meanwhile has it at once
n h2 nft -f - <<'NFT'
table inet t150 {
	chain in {
		type filter hook input priority 0;
		udp dport 4714 drop
	}
}
NFT
MAC2=02:00:00:00:01:b2
n pa ip link set eth0 address $MAC2
check "h1: follows the second change by the datagram" wait_for 3 "mac" has_mac h1 10.0.1.1 $MAC2
check "h2: has not heard of it yet (its datagrams are dropped)" has_mac h2 10.0.1.1 $MAC1
check "h2: repaired by its session after the delay" wait_for 10 "mac" has_mac h2 10.0.1.1 $MAC2
n h2 nft delete table inet t150
MAC3=02:00:00:00:01:b3
n pa ip link set eth0 address $MAC3
check "h2: back on the fast path for the next change" wait_for 3 "mac" has_mac h2 10.0.1.1 $MAC3
check "h2: counts the datagrams it missed" test "$(fp 2 lost)" -ge 1

# 3. garbage in the group: counted, and nothing changes; the next change
# still arrives
n pa ip route add 224.0.0.0/4 dev eth0
r0=$(fp 1 rejected)
n pa bash -c "printf 'not a datagram' > /dev/udp/$GROUP/4714; printf '%0200d' 0 > /dev/udp/$GROUP/4714"
check "h1: the two bad datagrams are rejected" wait_for 5 "rejected" \
	bash -c "[ \"\$('$ONLINK' status -s '$(host_sock 1)' --json | jq .switches[0].fast_path.rejected)\" -ge $((r0 + 2)) ]"
check "h1: provider A unchanged" has_mac h1 10.0.1.1 $MAC3
MAC4=02:00:00:00:01:b4
n pa ip link set eth0 address $MAC4
for i in 1 2; do
	check "h$i: still follows changes by the fast path" wait_for 3 "mac" has_mac h$i 10.0.1.1 $MAC4
done

# 4. the switch agent restarts with a new key and epoch; hosts take them
# with their new session
s0=$(st "$(host_sock 1)" '.switches[0].sessions') d0=$(fp 1 datagrams)
lab_stop onlinkd-sw
start_switchd
check "h1: a new session, and the fast path joined again with it" wait_for 15 "fast path" \
	bash -c "[ \"\$('$ONLINK' status -s '$(host_sock 1)' --json | jq -r '(.switches[0].sessions|tostring) + \" \" + .switches[0].fast_path.group')\" = '$((s0 + 1)) $GROUP' ]"
MAC5=02:00:00:00:01:b5
n pa ip link set eth0 address $MAC5
check "h1: follows a change by the new key's datagrams" wait_for 3 "mac" has_mac h1 10.0.1.1 $MAC5
check "h1: took it as a datagram" test "$(fp 1 datagrams)" -gt "$d0"
