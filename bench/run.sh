#!/usr/bin/env bash
# `make bench`: onlink's figures in the POP lab, printed as tables.
#  - propagation: switch kernel neighbor change -> every host kernel's
#    neighbor change (timestamps from `ip -ts monitor` in each namespace;
#    all namespaces share one clock), CHANGES changes over HOSTS hosts;
#  - resident memory of each daemon;
#  - wake-ups while idle, against what the keepalives alone explain;
#  - onlink ping through 64 providers at once (bench/ping.sh);
#  - soft-unicast egress against direct routing and HAProxy (bench/egress.sh);
#    what one client's share costs: connections per second with and without
#    the per-client limits and against HAProxy's, TCP memory per slow reader
#    (bench/egress_fair.sh); connect() as a slice fills, with the kernel
#    choosing the port and with the proxy choosing it (bench/egress_ports.sh);
#  - how soon a slice change reaches the egress proxy (bench/slices.sh);
#  - loss after a provider's failure (bench/failover.sh) and a whole
#    switch's (bench/switch_failover.sh), with 10k and 1M routes;
#  - per-node identities: handshakes, 1000 hosts reconnecting, signed
#    datagrams (bench/identities.sh);
#  - continuous probing at 64 providers x 50 targets: probes per second and
#    the host agent's CPU (bench/probe.sh); the traffic counters' cost in
#    throughput (bench/traffic.sh);
#  - the switch agent under FDB churn from random source MACs (bench/fdb.sh);
#  - the switch agent before authentication: 15000 idle connections and a
#    flood of garbage first messages, from 1 address and from 200
#    (bench/preauth.sh); a flood of real first messages with good macs,
#    against the same switch agent without its load gate (bench/hsflood.sh);
#  - egress by measurement: the repath program's cost, a black hole's
#    outage with and without it, 5 minutes of 1% loss (bench/repath.sh);
#    the steering controller's CPU at 1000 hosts x 100 targets x 8
#    providers of reports (bench/steer.sh).
set -u
. "$(dirname "$0")/../lab/lib.sh"
if [ "$(id -u)" != 0 ]; then echo "the benchmark creates network namespaces: run 'make bench' as root" >&2; exit 1; fi
CHANGES=${CHANGES:-300}
ROUTES=${ROUTES:-100000}   # routes put in each host's FIB besides BIRD's
export LAB_HOSTS=${HOSTS:-4} LAB_KEEPALIVE=${KEEPALIVE:-5}
LAB_DIR=$(mktemp -d /tmp/onlink-bench.XXXXXX)
lab_init "$LAB_DIR"
trap 'lab_down; rm -rf "$LAB_DIR"' EXIT
echo "bringing up the lab: $LAB_HOSTS hosts, 2 providers ..."
lab_up || exit 1
echo "adding $ROUTES routes to each host's FIB ..."
python3 -c "
import sys
n = int(sys.argv[1])
for i in range(n):
    print('route add %d.%d.%d.0/24 via 10.10.0.1 proto static' % (100 + (i >> 16) % 100, (i >> 8) & 255, i & 255))
" "$ROUTES" > "$LAB_DIR/fib.batch"
for i in $(seq "$LAB_HOSTS"); do n "h$i" ip -batch "$LAB_DIR/fib.batch" || exit 1; done
dumps_before=$("$ONLINK" status -s "$LAB_DIR/host-h1.sock" --json | jq ".kernel_dumps // 0")

# monitors, with a sentinel each so none misses the first change
lab_spawn mon-sw sw ip -ts monitor neigh
for i in $(seq "$LAB_HOSTS"); do lab_spawn "mon-h$i" "h$i" ip -ts monitor neigh; done
n sw ip neigh replace 10.0.2.1 lladdr 02:00:00:ff:ff:ff dev br0 nud permanent
for m in sw $(seq -f 'h%g' "$LAB_HOSTS"); do
	wait_for 5 "monitor $m" grep -q "02:00:00:ff:ff:ff" "$LAB_DIR/mon-$m.log" || exit 1
done

echo "making $CHANGES MAC changes on the switch, 20 ms apart ..."
for k in $(seq "$CHANGES"); do
	n sw ip neigh replace 10.0.2.1 lladdr "$(printf '02:00:00:ee:%02x:%02x' $((k / 256)) $((k % 256)))" dev br0 nud permanent
	sleep 0.02
done
last=$(printf '02:00:00:ee:%02x:%02x' $((CHANGES / 256)) $((CHANGES % 256)))
for i in $(seq "$LAB_HOSTS"); do
	wait_for 10 "h$i saw the last change" grep -q "$last" "$LAB_DIR/mon-h$i.log" || exit 1
done

dumps=$(( $("$ONLINK" status -s "$LAB_DIR/host-h1.sock" --json | jq ".kernel_dumps // 0") - dumps_before ))

# idle: no change for a while, count the daemons' wake-ups
ctx() { awk '/^voluntary_ctxt_switches|^nonvoluntary_ctxt_switches/ { s += $2 } END { print s }' "/proc/$1/status"; }
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
SW=$(lab_pid onlinkd-sw) H1=$(lab_pid onlinkd-h1)
IDLE=20
sleep 1
c_sw=$(ctx "$SW") c_h1=$(ctx "$H1")
sleep "$IDLE"
w_sw=$(( $(ctx "$SW") - c_sw )) w_h1=$(( $(ctx "$H1") - c_h1 ))

python3 - "$LAB_DIR" "$LAB_HOSTS" "$CHANGES" "$(rss "$SW")" "$(rss "$H1")" "$w_sw" "$w_h1" "$IDLE" "$LAB_KEEPALIVE" "$ROUTES" "$dumps" <<'PY'
import re, sys, datetime
d, hosts, changes, rss_sw, rss_h1, w_sw, w_h1, idle, ka, routes, dumps = sys.argv[1:]
hosts, changes, idle, ka = int(hosts), int(changes), int(idle), int(ka)
pat = re.compile(r'^\[([0-9T:.\-]+)\].*lladdr (02:00:00:ee:[0-9a-f:]{5})')
def times(path):
    t = {}
    for line in open(path):
        m = pat.search(line)
        if m and m.group(2) not in t:
            t[m.group(2)] = datetime.datetime.fromisoformat(m.group(1)).timestamp()
    return t
sw = times(f"{d}/mon-sw.log")
lat = []
missing = 0
for i in range(1, hosts + 1):
    h = times(f"{d}/mon-h{i}.log")
    for mac, t0 in sw.items():
        if mac in h:
            lat.append((h[mac] - t0) * 1000)
        else:
            missing += 1
lat.sort()
def pct(p): return lat[min(len(lat) - 1, int(round(p / 100 * (len(lat) - 1))))]
rows = [
    ("routes in each host's FIB (besides BIRD's)", routes, ""),
    ("propagation samples (changes x hosts)", f"{len(lat)} ({len(sw)} x {hosts})", ">= 200"),
    ("changes a host never saw", str(missing), "0"),
    ("propagation p50 (ms)", f"{pct(50):.3f}", ""),
    ("propagation p99 (ms)", f"{pct(99):.3f}", "< 5"),
    ("propagation max (ms)", f"{lat[-1]:.3f}", ""),
    ("kernel dumps by h1's agent during the changes", dumps, "0: no FIB walk"),
    ("onlinkd switch resident memory (KiB)", rss_sw, "< 8192"),
    ("onlinkd host resident memory (KiB)", rss_h1, "< 8192"),
    (f"onlinkd switch wake-ups in {idle} s idle", w_sw,
     f"keepalives explain ~{(idle // ka) * (hosts + 1)}"),
    (f"onlinkd host wake-ups in {idle} s idle", w_h1, f"keepalives explain ~{(idle // ka) * 2}"),
]
w = max(len(r[0]) for r in rows)
print(f"\n{'metric':<{w}}  {'value':>16}  target")
print(f"{'-' * w}  {'-' * 16}  {'-' * 22}")
for r in rows:
    print(f"{r[0]:<{w}}  {r[1]:>16}  {r[2]}")
ok = pct(99) < 5 and int(rss_sw) < 8192 and int(rss_h1) < 8192 and missing == 0 and len(lat) >= 200 and dumps == "0"
print("\nall targets met" if ok else "\nSOME TARGETS MISSED")
PY
lab_down
rm -rf "$LAB_DIR"
trap - EXIT

bash "$(dirname "$0")/ping.sh"
bash "$(dirname "$0")/egress.sh"
bash "$(dirname "$0")/egress_fair.sh"
bash "$(dirname "$0")/egress_ports.sh"
bash "$(dirname "$0")/slices.sh"
bash "$(dirname "$0")/failover.sh"
bash "$(dirname "$0")/switch_failover.sh"
bash "$(dirname "$0")/identities.sh"
bash "$(dirname "$0")/probe.sh"
bash "$(dirname "$0")/traffic.sh"
bash "$(dirname "$0")/fdb.sh"
bash "$(dirname "$0")/preauth.sh"
ADDRS=200 bash "$(dirname "$0")/preauth.sh"
bash "$(dirname "$0")/hsflood.sh"
bash "$(dirname "$0")/repath.sh"
bash "$(dirname "$0")/steer.sh"
