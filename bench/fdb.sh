#!/usr/bin/env bash
# The switch agent under a hostile segment's FDB churn: a host's port
# learns ENTRIES MACs that are then deleted, ROUNDS times (bridge fdb
# add/del in batches, as a host sending from random source MACs and the
# bridge ageing them out would). The agent follows learns and deletes in
# its FDB mirror (switch/fdbmap.c). Measured in the same run: the agent's
# CPU per 10k events in each round, against round 1's (target: round 3
# within 1.2x), and its RSS after each round (target: flat after round 1,
# within 5%). Before, deletions were ignored and each event scanned the
# whole mirror: the first 100k events took 2.6 s, the next 100k 7.2 s.
# Part of `make bench`; `bench/fdb.sh` alone, as root. Knobs: ENTRIES
# (100000), ROUNDS (3).
set -u
. "$(dirname "$0")/../lab/lib.sh"
ENTRIES=${ENTRIES:-100000} ROUNDS=${ROUNDS:-3}
bench_init fdb
lab_bench_pop 1 1500 || exit 1
# the host's port, on the bridge like every host's
ns_add h1
link h1 eth0 sw sw-h1
n sw ip link set sw-h1 master br0 up
n h1 ip link set eth0 up
# no ageing while a round is in the bridge
n sw ip link set br0 type bridge ageing_time 100000
{
	printf '[switch]\nname = sw1\nlisten = 10.20.0.1:4710\nprivate-key-file = %s\ncontrol = %s\nstate-file = %s\n\n' \
		"$LAB_DIR/sw1.key" "$LAB_DIR/switch.sock" "$LAB_DIR/switch-state.json"
	printf '[provider ix-0]\naddress = %s\ninterface = br0\ntable = 1001\n\n' "$(lab_peer 0)"
	lab_host_sections 1
} > "$LAB_DIR/switch.conf"
lab_key sw1 >/dev/null
"$ONLINKD" -n -q -c "$LAB_DIR/switch.conf" || exit 1
lab_spawn onlinkd-sw sw "$ONLINKD" switch -c "$LAB_DIR/switch.conf"
wait_for 10 "switch agent" test -S "$LAB_DIR/switch.sock" || exit 1
PID=$(lab_pid onlinkd-sw)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$PID/stat"; }
rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$PID/status"; }
fdb_entries() { n sw bridge fdb show br br0 | grep -c ' dynamic'; }
for r in $(seq "$ROUNDS"); do
	for i in $(seq 0 $((ENTRIES - 1))); do
		printf 'fdb add 02:ee:%02x:%02x:%02x:%02x dev sw-h1 master dynamic\n' \
			$((r)) $((i >> 16 & 255)) $((i >> 8 & 255)) $((i & 255))
	done > "$LAB_DIR/add.batch"
	sed 's/^fdb add/fdb del/; s/ dynamic$//' "$LAB_DIR/add.batch" > "$LAB_DIR/del.batch"
	c0=$(cpu_ticks) t0=$(date +%s%N)
	n sw bridge -batch "$LAB_DIR/add.batch" || exit 1
	n sw bridge -batch "$LAB_DIR/del.batch" || exit 1
	# the agent has read every event once it is idle: its CPU stops moving
	prev=-1
	until [ "$(cpu_ticks)" = "$prev" ]; do prev=$(cpu_ticks); sleep 0.5; done
	c1=$(cpu_ticks)
	echo "$r $((c1 - c0)) $(rss_kb) $(( ($(date +%s%N) - t0) / 1000000 ))" >> "$LAB_DIR/rounds"
done
python3 - "$LAB_DIR/rounds" "$ENTRIES" "$(getconf CLK_TCK)" <<'PY' | tee "${BENCH_OUT:-/dev/null}"
import json, sys
rounds = [l.split() for l in open(sys.argv[1])]
events, hz = 2 * int(sys.argv[2]), int(sys.argv[3])
per10k = [int(r[1]) / hz * 1000 / (events / 10000) for r in rounds]  # ms of CPU per 10k events
rss = [int(r[2]) for r in rounds]
ratio = per10k[-1] / per10k[0] if per10k[0] else float("inf")
flat = max(rss[1:]) <= rss[0] * 1.05 if len(rss) > 1 else True
print(json.dumps({"events_per_round": events, "cpu_ms_per_10k": [round(x, 2) for x in per10k],
                  "rss_kib": rss, "last_vs_first": round(ratio, 2), "target_ratio": 1.2,
                  "rss_flat": flat, "met": ratio <= 1.2 and flat}))
PY
