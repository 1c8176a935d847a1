#!/usr/bin/env bash
# `make bench-turns`: a host agent's CPU for a turn of one change, with 500
# providers (bench/README.md). One switch agent; two host agents on the
# same segment: h1 as shipped (incremental turns), h2 with
# ONLINK_BENCH_FULL_TURNS=1, which makes every turn a full rebuild (sort
# and diff of the whole desired state), as every turn was before; the
# ratio of the two is the figure that holds on a noisy machine.
#
#   sw    onlinkd switch; bridge br0 holding the providers' next hops as
#         permanent neighbors (10.2.x.y)
#   h1    onlinkd host (incremental turns)
#   h2    onlinkd host (full rebuild every turn: the baseline)
#
# CHANGES single MAC changes (default 200), one at a time: each waits
# until both hosts' kernels hold the new MAC. A host agent's CPU comes
# from /proc/PID/schedstat over the whole run (the fast path's datagram,
# the session's copy 100 ms later, the kernel's echoes: everything a
# change costs it), divided by the changes. Knobs: PROVIDERS CHANGES.
set -u
# the benchmarks' build: as shipped, plus the knob for the baseline
# (an installed daemon reads no knob from its environment: src/base/knob.h)
ONLINKD=${ONLINKD:-$(cd "$(dirname "$0")/.." && pwd)/build/bench/onlinkd}
. "$(dirname "$0")/../lab/lib.sh"
[ -x "$ONLINKD" ] || { echo "bench/turns.sh: $ONLINKD is missing: make build/bench/onlinkd" >&2; exit 1; }
if [ "$(id -u)" != 0 ]; then echo "the benchmark creates network namespaces: run 'make bench-turns' as root" >&2; exit 1; fi
PROVIDERS=${PROVIDERS:-500} CHANGES=${CHANGES:-200}
LAB_DIR=$(mktemp -d /tmp/onlink-bench-turns.XXXXXX)
lab_init "$LAB_DIR"
trap 'lab_down; rm -rf "$LAB_DIR"' EXIT

ns_add sw
n sw ip link add br0 address 02:00:00:00:00:fe type bridge
n sw ip addr add 10.20.0.1/16 dev br0
n sw ip link set br0 up
peer() { echo "10.2.$(($1 / 250)).$(($1 % 250 + 1))"; }
mac() { printf '02:00:00:%02x:%02x:%02x' $(($2 % 256)) $(($1 / 256)) $(($1 % 256)); }
for i in $(seq 0 $((PROVIDERS - 1))); do
	echo "neigh replace $(peer "$i") lladdr $(mac "$i" 0) dev br0 nud permanent"
done > "$LAB_DIR/neigh.batch"
n sw ip -batch "$LAB_DIR/neigh.batch" || exit 1
SWPUB=$(lab_key sw1)
{
	printf '[switch]\nname = sw1\nlisten = 10.20.0.1:4710\nprivate-key-file = %s\ncontrol = %s\nstate-file = %s\n' "$LAB_DIR/sw1.key" "$LAB_DIR/switch.sock" "$LAB_DIR/switch-state.json"
	printf 'fast-path = 239.255.71.5:4714\nfast-path-interface = br0\n\n'
	for i in $(seq 0 $((PROVIDERS - 1))); do
		printf '[provider ix-%d]\naddress = %s\ninterface = br0\ntable = %d\n\n' "$i" "$(peer "$i")" $((1001 + i))
	done
	lab_host_sections 2
} > "$LAB_DIR/switch.conf"
lab_spawn onlinkd-sw sw "$ONLINKD" switch -c "$LAB_DIR/switch.conf"
wait_for 10 "switch agent" test -S "$LAB_DIR/switch.sock" || exit 1
for i in 1 2; do
	ns_add "h$i"
	link "h$i" eth0 sw "p$i"
	n sw ip link set "p$i" master br0 up
	n "h$i" ip addr add "10.20.1.$i/16" dev eth0
	n "h$i" ip link set eth0 up
	printf '[host]\nname = h%d\ninterface = eth0\naddress = 10.20.1.%d\nprivate-key-file = %s\ncontrol = %s\n\n[switch sw1]\nconnect = 10.20.0.1:4710\npublic-key = %s\n' \
		"$i" "$i" "$LAB_DIR/h$i.key" "$LAB_DIR/host-h$i.sock" "$SWPUB" > "$LAB_DIR/host-h$i.conf"
done
lab_spawn onlinkd-h1 h1 "$ONLINKD" host -c "$LAB_DIR/host-h1.conf"
lab_spawn onlinkd-h2 h2 env ONLINK_BENCH_FULL_TURNS=1 "$ONLINKD" host -c "$LAB_DIR/host-h2.conf"
ready() { [ "$("$ONLINK" status -s "$LAB_DIR/host-h$1.sock" --json | jq '[.providers[] | select(.state == "up")] | length')" = "$PROVIDERS" ]; }
for i in 1 2; do wait_for 60 "h$i has all $PROVIDERS providers" ready "$i" || exit 1; done
sleep 1 # the snapshot's kernel echoes are read before the count starts
H1=$(lab_pid onlinkd-h1) H2=$(lab_pid onlinkd-h2)
cpu() { awk '{ print $1 }' "/proc/$1/schedstat"; }
wake() { awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/$1/status"; }
t1=$(cpu "$H1") t2=$(cpu "$H2") w1=$(wake "$H1")
read -r turns1 tc1 kw1 < <("$ONLINK" status -s "$LAB_DIR/host-h1.sock" --json | jq -r '[.turns, .turn_cpu_ns, .kernel_write_cpu_ns] | @tsv')
rc2=$("$ONLINK" status -s "$LAB_DIR/host-h2.sock" --json | jq .rebuild_cpu_ns)
echo "measuring: $CHANGES single changes at $PROVIDERS providers ..."
for c in $(seq 1 "$CHANGES"); do
	i=$(( (c * 37) % PROVIDERS ))
	m=$(mac "$i" "$c")
	n sw ip neigh replace "$(peer "$i")" lladdr "$m" dev br0 nud permanent
	for h in 1 2; do
		wait_for 10 "h$h: change $c" bash -c "ip -n ${LAB_PREFIX}h$h neigh show $(peer "$i") dev eth0 | grep -q '$m'" || exit 1
	done
done
sleep 0.3 # the sessions' copies (100 ms later) are counted too
d1=$(( $(cpu "$H1") - t1 )) d2=$(( $(cpu "$H2") - t2 )) dw=$(( $(wake "$H1") - w1 ))
read -r turns tc kw < <("$ONLINK" status -s "$LAB_DIR/host-h1.sock" --json | jq -r '[.turns, .turn_cpu_ns, .kernel_write_cpu_ns] | @tsv')
turns=$((turns - turns1)) tc=$((tc - tc1)) kw=$((kw - kw1))
rc=$(( $("$ONLINK" status -s "$LAB_DIR/host-h2.sock" --json | jq .rebuild_cpu_ns) - rc2 ))
mism=$("$ONLINK" status -s "$LAB_DIR/host-h1.sock" --json | jq .rebuild_mismatches)
inc=$(awk -v d="$d1" -v n="$CHANGES" 'BEGIN { printf "%.1f", d / n / 1000 }')
full=$(awk -v d="$d2" -v n="$CHANGES" 'BEGIN { printf "%.1f", d / n / 1000 }')
ratio=$(awk -v a="$d2" -v b="$d1" 'BEGIN { printf "%.1f", a / b }')
met=$(awk -v x="$inc" 'BEGIN { print (x < 50) ? "met" : "**missed**" }')
cat <<TABLE
machine: $(nproc) cores, Linux $(uname -r); $PROVIDERS providers, $CHANGES single MAC changes, one at a time

| host agent CPU per change (µs), from /proc/PID/schedstat | measured | target |
|---|---:|---|
| incremental turns (as shipped) | $inc | < 50: $met (see bench/README.md) |
| full rebuild every turn (the baseline, ONLINK_BENCH_FULL_TURNS=1) | $full | |
| baseline / incremental | ${ratio}x | |
| of which the turn itself (merge, diff, netlink write and ACK), incremental | $(awk -v d="$tc" -v n="$CHANGES" 'BEGIN { printf "%.1f", d / n / 1000 }') | |
| of which the incremental turn without its netlink write (merge, diff, logging) | $(awk -v d="$((tc - kw))" -v n="$CHANGES" 'BEGIN { printf "%.1f", d / n / 1000 }') | < 50: $(awk -v d="$((tc - kw))" -v n="$CHANGES" 'BEGIN { print (d / n / 1000 < 50) ? "met" : "**missed**" }') |
| of which the turn itself, full rebuild | $(awk -v d="$rc" -v n="$CHANGES" 'BEGIN { printf "%.1f", d / n / 1000 }') | |
| turns counted by the incremental agent | $turns | one per change |
| wake-ups of the incremental agent per change | $(awk -v w="$dw" -v n="$CHANGES" 'BEGIN { printf "%.1f", w / n }') | |
| rebuild mismatches | $mism | 0 |
TABLE
