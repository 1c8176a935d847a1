#!/usr/bin/env bash
# Probing one destination through 64 providers (tables 101..164) at once:
# wall time against the RTT, and CPU time per probe against fping's, in the
# same run. Namespaces: cli (64 tables, 64 rules) -- rtr (10 ms delay) -- far.
set -u
. "$(dirname "$0")/../lab/lib.sh"
LAB_DIR=$(mktemp -d /tmp/onlink-bench-ping.XXXXXX)
lab_init "$LAB_DIR"
trap 'lab_down; rm -rf "$LAB_DIR"' EXIT
RUNS=${RUNS:-30}

for ns in cli rtr far; do ns_add $ns; done
link cli c0 rtr c0
link rtr f0 far f0
n cli ip addr add 10.97.0.1/24 dev c0
n rtr ip addr add 10.97.0.2/24 dev c0
n rtr ip addr add 10.98.0.2/24 dev f0
n far ip addr add 10.98.0.1/24 dev f0
for x in "cli c0" "rtr c0" "rtr f0" "far f0"; do set -- $x; n "$1" ip link set "$2" up; done
n rtr sysctl -qw net.ipv4.ip_forward=1
n far ip route add default via 10.98.0.2
for t in $(seq 101 164); do
	echo "route add default via 10.97.0.2 dev c0 table $t"
	echo "rule add fwmark $t lookup $t pref 1000"
done > "$LAB_DIR/tables.batch"
n cli ip -batch "$LAB_DIR/tables.batch"
# 10 ms on the way out, in rtr (netem, or the lab's delay line)
if ! n rtr tc qdisc replace dev f0 root netem delay 10ms 2>/dev/null; then
	lab_spawn delay rtr "$LAB_ROOT/build/delayline" dly0 10
	wait_for 5 "delay line" n rtr ip link show dly0 || exit 1
	n rtr ip link set dly0 up
	n rtr sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.dly0.rp_filter=0
	n rtr ip rule add iif c0 lookup 100 pref 100
	n rtr ip route add default dev dly0 table 100
fi
wait_for 5 "path" n cli ping -c 1 -W 1 -m 101 10.98.0.1 || exit 1

tables=$(seq -f '--table %g' 101 164 | tr '\n' ' ')
n cli python3 - "$ONLINK" "$RUNS" "$tables" <<'PY'
import resource, statistics, subprocess, sys, time
onlink, runs, tables = sys.argv[1], int(sys.argv[2]), sys.argv[3].split()
def cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime
def timed(cmd):
    c0 = cpu(); t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True)
    return out, (time.perf_counter() - t0) * 1000, cpu() - c0
base = statistics.median(timed(["/bin/true"])[1] for _ in range(runs))
walls, rtts, overheads, cpus = [], [], [], []
for _ in range(runs):
    out, wall, c = timed([onlink, "ping", "-c", "1", "-W", "1", *tables, "10.98.0.1"])
    rows = [l.split() for l in out.stdout.splitlines() if "table-" in l]
    assert len(rows) == 64 and out.returncode == 0, out.stdout[:400]
    # columns from the end: MIN AVG MAX MDEV [*best]
    rtt = max(float(r[-3] if r[-1] != "*best" else r[-4]) for r in rows)
    walls.append(wall); rtts.append(rtt); overheads.append(wall - base - rtt); cpus.append(c / 64 * 1e6)
fcpu = []
for _ in range(runs):
    _, _, c = timed(["fping", "-q", "-C", "1", "-i", "1", "-t", "1000"] + ["10.98.0.1"] * 64)
    fcpu.append(c / 64 * 1e6)
med = statistics.median
rows = [
    ("probes per run (one per provider table)", "64", ""),
    ("RTT of the slowest probe (ms, median of runs)", f"{med(rtts):.3f}", ""),
    ("wall time of the run (ms, median)", f"{med(walls):.3f}", ""),
    ("process spawn and reap by the harness (ms, /bin/true)", f"{base:.3f}", ""),
    ("tool overhead: wall - spawn - RTT (ms, median)", f"{med(overheads):.3f}", "< 1"),
    ("tool overhead (ms, worst run)", f"{max(overheads):.3f}", ""),
    ("onlink ping CPU per probe (us, median)", f"{med(cpus):.1f}", ""),
    ("fping CPU per probe (us, median; 64 probes 1 ms apart)", f"{med(fcpu):.1f}", ""),
]
w = max(len(r[0]) for r in rows)
print(f"\n{'onlink ping, one destination, 64 providers':<{w}}  {'value':>10}  target")
print(f"{'-' * w}  {'-' * 10}  {'-' * 6}")
for r in rows:
    print(f"{r[0]:<{w}}  {r[1]:>10}  {r[2]}")
print(f"({runs} runs; the overhead includes loading the binary, sending 64 probes\n"
      f" (the kernel forwards each one through the lab inside sendmmsg()) and writing the table)")
PY
