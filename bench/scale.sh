#!/usr/bin/env bash
# `make bench-scale`: one switch agent, up to 1000 authenticated host
# sessions, 500 providers (bench/README.md has the results and the plot).
#
#   sw    onlinkd switch; bridge br0 (10.20.0.1/16) holding the 500
#         providers' next hops as permanent neighbors (10.2.x.y)
#   hN    HOSTS real host agents (default 20), each on br0
#   ld    bench/tools/scaleload: the other sessions, speaking the real
#         protocol; it also makes the MAC changes on the switch's kernel
#         and watches every real host's kernel, all on one clock
#
# Bursts of 1, 50 and 500 simultaneous MAC changes at 100, 250, 500 and
# 1000 subscribers (real hosts included): time from the switch kernel's
# change to the last session's receipt, and to the last real host's kernel.
# Results go to OUT (default build/bench-scale): results.json, table.md,
# latency.svg (gnuplot). Knobs: PROVIDERS HOSTS ROUNDS STEPS BURSTS
# KEEPALIVE IDLE; FAST_PATH (the switch agent's multicast group, default
# 239.255.71.5:4714; empty: sessions only) and FAST_DELAY (how long the
# sessions' copies wait, default 100ms), MTU (the hosts' segment, default
# 9000 as in a POP's fabric; the fast path sizes datagrams by it) and
# HOSTNICE (the real host agents' nice value, default 19: in a POP each
# host applies changes on its own CPU, here they would take the switch
# agent's); for exploring, RPS=MASK moves the load namespace's
# receive processing to other CPUs, SWCPU/LOADCPU pin the two with taskset.
set -u
. "$(dirname "$0")/../lab/lib.sh"
if [ "$(id -u)" != 0 ]; then echo "the benchmark creates network namespaces: run 'make bench-scale' as root" >&2; exit 1; fi
PROVIDERS=${PROVIDERS:-500} HOSTS=${HOSTS:-20} ROUNDS=${ROUNDS:-20} STEPS=${STEPS:-100,250,500,1000}
BURSTS=${BURSTS:-1,50,500} KEEPALIVE=${KEEPALIVE:-10} IDLE=${IDLE:-30}
FAST_PATH=${FAST_PATH-239.255.71.5:4714} FAST_DELAY=${FAST_DELAY:-100ms} HOSTNICE=${HOSTNICE:-19} MTU=${MTU:-9000}
OUT=${OUT:-$LAB_ROOT/build/bench-scale}
SCALELOAD=$LAB_ROOT/build/scaleload
MAXSUB=${STEPS##*,}
LAB_DIR=$(mktemp -d /tmp/onlink-bench-scale.XXXXXX)
lab_init "$LAB_DIR"
# LOGS=DIR keeps the daemons' logs (the integration test scans them)
trap 'lab_down; [ -n "${LOGS:-}" ] && cp "$LAB_DIR"/*.log "$LOGS"/ 2>/dev/null; rm -rf "$LAB_DIR"' EXIT
mkdir -p "$OUT"

echo "bringing up: switch, $HOSTS real hosts, a load namespace; $PROVIDERS providers ..."
lab_bench_pop "$PROVIDERS" "$MTU" || exit 1
[ -n "${RPS:-}" ] && n ld sh -c "echo $RPS > /sys/class/net/eth0/queues/rx-0/rps_cpus"
peer() { lab_peer "$@"; }

SWPUB=$(lab_key sw1)
{
	printf '[switch]\nname = sw1\nlisten = 10.20.0.1:4710\nprivate-key-file = %s\ncontrol = %s\nstate-file = %s\nkeepalive = %s\n' \
		"$LAB_DIR/sw1.key" "$LAB_DIR/switch.sock" "$LAB_DIR/switch-state.json" "$KEEPALIVE"
	[ -n "$FAST_PATH" ] && printf 'fast-path = %s\nfast-path-interface = br0\nfast-path-delay = %s\n' "$FAST_PATH" "$FAST_DELAY"
	echo
	for i in $(seq 0 $((PROVIDERS - 1))); do
		printf '[provider ix-%d]\naddress = %s\ninterface = br0\ntable = %d\n\n' "$i" "$(peer "$i")" $((1001 + i))
	done
	# every session's identity: the real hosts', and the load tool's
	lab_host_sections "$HOSTS"
	"$SCALELOAD" -g $((MAXSUB - HOSTS))
} > "$LAB_DIR/switch.conf"
"$ONLINKD" -n -q -c "$LAB_DIR/switch.conf" || exit 1
lab_spawn onlinkd-sw sw ${SWCPU:+taskset -c $SWCPU} "$ONLINKD" switch -c "$LAB_DIR/switch.conf"
wait_for 10 "switch agent" test -S "$LAB_DIR/switch.sock" || exit 1

hostns=()
for i in $(seq "$HOSTS"); do
	ns_add "h$i"
	link "h$i" eth0 sw "p$i"
	n "h$i" ip link set eth0 mtu "$MTU"
	n sw ip link set "p$i" mtu "$MTU" master br0 up
	n "h$i" ip addr add "10.20.1.$i/16" dev eth0
	n "h$i" ip link set eth0 up
	cat > "$LAB_DIR/host-h$i.conf" <<CONF
[host]
name = h$i
interface = eth0
address = 10.20.1.$i
private-key-file = $LAB_DIR/h$i.key
control = $LAB_DIR/host-h$i.sock
keepalive = $KEEPALIVE

[switch sw1]
connect = 10.20.0.1:4710
public-key = $SWPUB
CONF
	lab_spawn "onlinkd-h$i" "h$i" nice -n "$HOSTNICE" "$ONLINKD" host -c "$LAB_DIR/host-h$i.conf"
	hostns+=(-H "$LAB_PREFIX""h$i")
done
ready() { [ "$("$ONLINK" status -s "$LAB_DIR/host-h$1.sock" --json | jq '[.providers[] | select(.state == "up")] | length')" = "$PROVIDERS" ]; }
for i in $(seq "$HOSTS"); do
	wait_for 60 "h$i has all $PROVIDERS providers" ready "$i" || { tail -n 5 "$LAB_DIR/onlinkd-h$i.log" "$LAB_DIR/onlinkd-sw.log" >&2; "$ONLINK" status -s "$LAB_DIR/switch.sock" --json | jq -c ".providers[0]" >&2; n sw ip -d link show br0 >&2; exit 1; }
done
# a host agent's kernel writes for its snapshot of 500 providers, and the
# CPU time (ns) of h1's agent over the run: its cost per change applied
kw=0 kb=0 h_rss=0 h_cpu=0 h_cpu0=0 H1=
if [ "$HOSTS" -gt 0 ]; then
	read -r kw kb < <("$ONLINK" status -s "$LAB_DIR/host-h1.sock" --json | jq -r '[.kernel_writes, .kernel_write_batches] | @tsv')
	H1=$(lab_pid onlinkd-h1)
	h_cpu0=$(awk '{ print $1 }' "/proc/$H1/schedstat")
fi

SW=$(lab_pid onlinkd-sw)
lab_load_addrs "$MAXSUB" || exit 1
echo "measuring: subscribers $STEPS, bursts $BURSTS, $ROUNDS rounds each, then ${IDLE} s idle ..."
n ld ${LOADCPU:+taskset -c $LOADCPU} "$SCALELOAD" -c 10.20.0.1:4710 -k "$SWPUB" -p "$LAB_DIR/providers" -s "${LAB_PREFIX}sw" -i br0 \
	"${hostns[@]}" -S "$STEPS" -b "$BURSTS" -r "$ROUNDS" -P "$SW" -K "$KEEPALIVE" -I "$IDLE" -A 10.20.128.0 \
	> "$OUT/results.json" 2> "$LAB_DIR/scaleload.err" &
LOAD=$!
echo "$LOAD scaleload" >> "$LAB_DIR/pids"
wait "$LOAD" || { cat "$LAB_DIR/scaleload.err" >&2; echo "scaleload failed" >&2; exit 1; }
if [ -n "$H1" ]; then
	h_rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$H1/status")
	h_cpu=$(( $(awk '{ print $1 }' "/proc/$H1/schedstat") - h_cpu0 ))
fi
# sessions the switch dropped (not those the load client closed at its end)
# (a load session reset by the client as it exits is the client's close too)
drops=$(grep "disconnected\|dropped" "$LAB_DIR/onlinkd-sw.log" | grep -v "connection closed" | grep -vc "Connection reset by peer")

python3 - "$OUT" "$PROVIDERS" "$HOSTS" "$ROUNDS" "$h_rss" "$kw" "$kb" "$drops" "$h_cpu" "$(nproc)" "${FAST_PATH:-off}" "$FAST_DELAY" \
	"$(uname -r)" "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)" \
	"$(awk '/^MemTotal/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo)" <<'PY'
import json, sys
out, provs, hosts, rounds, h_rss, kw, kb, drops, h_cpu, ncpu, fast, delay, kernel, cpu, mem = sys.argv[1:]
res = [json.loads(l) for l in open(f"{out}/results.json") if l.strip()]
runs = [r for r in res if "burst" in r]
idle = next((r for r in res if "idle_secs" in r), None)
top = max(r["subscribers"] for r in runs)
def at(sub, b): return next(r for r in runs if r["subscribers"] == sub and r["burst"] == b)
lines = []
p = lines.append
p(f"machine: {ncpu} cores ({cpu}), {mem} GiB, Linux {kernel} (a VM); {provs} providers, {hosts} real host agents, "
  f"{rounds} rounds per burst size; fast path: " + (f"{fast}, sessions' copies {delay} later" if fast != "off" else "off"))
p("")
p("| subscribers | burst | changes timed | to last session p50 / p99 / max (ms) | to last real host's kernel p50 / p99 / max (ms) | switch CPU per update delivered (µs) | first by datagram |")
p("|---:|---:|---:|---|---|---:|---:|")
for r in runs:
    s, h = r["session_ms"], r["host_kernel_ms"]
    hk = f"{h[0]:.2f} / {h[1]:.2f} / {h[2]:.2f}" if h[0] >= 0 else "-"
    p(f"| {r['subscribers']} | {r['burst']} | {r['changes']} | {s[0]:.2f} / {s[1]:.2f} / {s[2]:.2f} | "
      f"{hk} | {r['switch_cpu_us_per_delivery']:.2f} | {100 * r['via_fast_path']:.0f}% |")
one, big = at(top, 1), at(top, max(r["burst"] for r in runs))
sw_rss = max(r["switch_rss_kib"] for r in runs if r["subscribers"] == top)
fds = max(r["switch_fds"] for r in runs if r["subscribers"] == top)
def ok(c): return "met" if c else "**missed**"
p("")
p("| at %d subscribers | measured | target |" % top)
p("|---|---:|---|")
ns = one["sessions"]
p(f"| p99 propagation, single change, to the last of {ns} load sessions (ms) | {one['session_ms'][1]:.2f} | < 5: {ok(one['session_ms'][1] < 5)} |")
p(f"| p99 propagation, burst of {big['burst']}, to the last of {ns} load sessions (ms) | {big['session_ms'][1]:.2f} | < 50: {ok(big['session_ms'][1] < 50)} |")
if int(hosts):
    p(f"| p99, single change, to the last of {hosts} real hosts' kernels, applied (ms) | {one['host_kernel_ms'][1]:.2f} | |")
    p(f"| p99, burst of {big['burst']}, to the last of {hosts} real hosts' kernels, applied (ms) | {big['host_kernel_ms'][1]:.2f} | |")
p(f"| switch agent resident memory (MiB) | {sw_rss / 1024:.1f} | < 32: {ok(sw_rss < 32768)} |")
p(f"| switch agent open files | {fds} | one per session + a few |")
if int(hosts):
    p(f"| host agent resident memory, {provs} providers (MiB) | {int(h_rss) / 1024:.1f} | < 8: {ok(int(h_rss) < 8192)} |")
    p(f"| host agent kernel writes for its {provs}-provider snapshot | {kw} in {kb} netlink message(s) | one batch |")
    changes = sum(r["changes"] for r in runs)
    p(f"| host agent CPU per change applied, {provs} providers, all bursts averaged (µs) | {int(h_cpu) / 1e3 / changes:.0f} | |")
if idle:
    p(f"| switch agent CPU in {idle['idle_secs']} s idle (ms) | {idle['switch_cpu_ms']:.1f} | keepalives only |")
    p(f"| switch agent wake-ups in {idle['idle_secs']} s idle | {idle['switch_wakeups']} | "
      f"keepalives in: {idle['keepalives_in']}, timer: {idle['idle_secs'] // idle['keepalive']} |")
p(f"| sessions the switch dropped | {drops} | 0 |")
table = "\n".join(lines)
open(f"{out}/table.md", "w").write(table + "\n")
print(table)
# the plot's data: p50 and p99 to the last load session, by subscribers
with open(f"{out}/latency.dat", "w") as f:
    for b in sorted({r["burst"] for r in runs}):
        f.write(f"# burst {b}\n")
        for r in sorted((r for r in runs if r["burst"] == b), key=lambda r: r["subscribers"]):
            f.write(f"{r['subscribers']} {r['session_ms'][0]:.3f} {r['session_ms'][1]:.3f}\n")
        f.write("\n\n")
PY
[ $? -eq 0 ] || exit 1
bursts=$(tr ',' ' ' <<<"$BURSTS")
plot="" idx=0
for b in $bursts; do
	plot+="'$OUT/latency.dat' index $idx using 1:3 with linespoints title 'burst of $b, p99', "
	plot+="'$OUT/latency.dat' index $idx using 1:2 with linespoints dashtype 2 title 'burst of $b, p50', "
	idx=$((idx + 1))
done
gnuplot <<GP
set terminal svg size 720,440 dynamic font "sans,12"
set output "$OUT/latency.svg"
set title "onlinkd switch: MAC change to the last load session ($PROVIDERS providers)"
set xlabel "subscribers (host sessions)"
set ylabel "propagation (ms)"
set logscale y
set key top left
set grid
set xtics (100, 250, 500, 1000)
plot ${plot}5 with lines dashtype 3 linecolor "black" title 'target, single change (p99)', \
	50 with lines dashtype 3 linecolor "gray" title 'target, burst of 500 (p99)'
GP
echo "results: $OUT/table.md, $OUT/latency.svg"
