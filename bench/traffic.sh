#!/usr/bin/env bash
# What the per-provider traffic counters (table inet onlink_traffic on each
# host) cost: iperf3 TCP throughput from h1 through transit-a with the
# counters, against the same without them (the table deleted: the agent
# writes it again only when its providers change, and nothing changes
# during the run), in alternating runs of the same lab. Target: at most 2%
# less. Part of `make bench`; `sudo bench/traffic.sh` alone. Knobs: RUNS
# (5 pairs), SECS (4).
set -u
. "$(dirname "$0")/../lab/lib.sh"
RUNS=${RUNS:-5} SECS=${SECS:-4}
bench_init traffic
export LAB_HOSTS=1
lab_up || exit 1
lab_spawn iperf inet iperf3 -s -B 198.18.0.1 -p 5201
wait_for 10 "iperf3 server" n inet bash -c "exec 3<>/dev/tcp/198.18.0.1/5201" || exit 1
wait_for 10 "the counters' table" n h1 nft list table inet onlink_traffic || exit 1
n h1 nft list table inet onlink_traffic > "$LAB_DIR/traffic.nft"
tput() { n h1 iperf3 -c 198.18.0.1 -p 5201 -t "$SECS" -J | jq '.end.sum_received.bits_per_second'; }
on=() off=()
for r in $(seq "$RUNS"); do
	on+=("$(tput)")
	n h1 nft delete table inet onlink_traffic
	off+=("$(tput)")
	n h1 nft -f "$LAB_DIR/traffic.nft"
done
python3 - "${on[*]}" "${off[*]}" <<'PY' | tee "${BENCH_OUT:-/dev/null}"
import json, statistics, sys
on = [float(x) for x in sys.argv[1].split()]
off = [float(x) for x in sys.argv[2].split()]
m_on, m_off = statistics.median(on), statistics.median(off)
cost = (m_off - m_on) / m_off * 100
print(json.dumps({"runs": len(on), "with_counters_gbps": round(m_on / 1e9, 3), "without_gbps": round(m_off / 1e9, 3),
                  "cost_pct": round(cost, 2), "target_pct": 2, "met": cost <= 2}))
PY
