#!/usr/bin/env bash
# A netlink overrun (ENOBUFS) means state was lost: both agents dump again
# and converge; neither exits nor ignores it. The agents run with a small
# notification buffer and are stopped while the kernel churns, so the
# overrun is certain.
# check: once in the sanitizers pass (slow)
. "$(dirname "$0")/testlib.sh"
# the knob is read by the test build only (src/base/knob.h)
ONLINKD=$LAB_ROOT/build/asan/onlinkd
export ONLINKD_NETLINK_RCVBUF=65536
t_lab
SW=$(lab_pid onlinkd-sw) H1=$(lab_pid onlinkd-h1)

# switch: while its agent is stopped, a storm of 10,000 neighbor entries
# comes and a provider's MAC changes; the change's notification is lost in
# the overrun
kill -STOP "$SW"
n sw bash -c 'for i in $(seq 0 9999); do echo "neigh add 10.0.$((100 + i / 250)).$((i % 250 + 1)) lladdr 02:00:00:aa:$(printf %02x $((i / 256))):$(printf %02x $((i % 256))) dev br0 nud permanent"; done' > "$LAB_DIR/storm.batch"
n sw ip -batch "$LAB_DIR/storm.batch"
n sw ip neigh replace 10.0.1.1 lladdr 02:00:00:00:01:dd dev br0 nud permanent
kill -CONT "$SW"
check "switch agent logged the overrun and resynchronized" wait_for 5 "overrun" grep -q "netlink overrun: resynchronizing" "$LAB_DIR/onlinkd-sw.log"
check "switch agent still running" kill -0 "$SW"
check "status counts the resync" bash -c "[ \$('$ONLINK' status -s '$LAB_DIR/switch.sock' --json | jq .netlink_resyncs) -ge 1 ]"
for h in h1 h2; do
	check "the MAC change lost in the overrun reached $h after the resync" wait_for 20 "mac" \
		bash -c "ip netns exec ${LAB_PREFIX}$h ip neigh show 10.0.1.1 dev eth0 | grep -q 02:00:00:00:01:dd"
	check_eq "$h holds exactly the providers' 4 neighbors, none of the storm's" \
		"$(n $h ip -j neigh show dev eth0 nud permanent | jq -r '[.[] | select(.protocol == "177") | .dst] | sort | join(" ")')" \
		"10.0.1.1 10.0.2.1 2001:db8:1::1 2001:db8:2::1"
done

# host: while its agent is stopped, thousands of foreign route events, and
# someone deletes one of onlink's neighbors; the deletion is lost
kill -STOP "$H1"
n h1 bash -c 'for i in $(seq 0 2999); do echo "route add 192.0.$((i / 250)).$((i % 250))/32 dev eth0 table 500"; done' > "$LAB_DIR/routes.batch"
n h1 ip -batch "$LAB_DIR/routes.batch"
n h1 ip neigh del 10.0.2.1 dev eth0
kill -CONT "$H1"
check "host agent logged the overrun and reconciled" wait_for 5 "overrun" grep -q "netlink overrun: reconciling" "$LAB_DIR/onlinkd-h1.log"
check "host agent still running" kill -0 "$H1"
check "the neighbor deleted during the overrun is restored" wait_for 5 "restored" \
	bash -c "ip netns exec ${LAB_PREFIX}h1 ip neigh show 10.0.2.1 dev eth0 | grep -q 'PERMANENT'"
check_eq "foreign routes untouched" "$(n h1 ip route show table 500 | wc -l)" "3000"
