#!/usr/bin/env bash
# Soft-unicast egress against the alternatives, same run, same machine:
# single-stream throughput (iperf3), new connections per second and their
# latency (connrate: connect, one byte each way, close), and memory per idle
# connection, for: direct (routed, no proxy), onlink egress, and HAProxy in
# TCP mode doing the same job (source 192.0.2.10:10000-19999, one thread,
# as onlinkd egress has one). A second table gives the ceiling: one 4 GiB
# stream (connrate stream) through each of them and through two bare relays
# (bench/tools/relay.c: splice, sockmap), the best a proxy that ends the
# client's TCP can do on this machine (docs/egress.md).
# Knobs: SECS, CONC, IDLE, ROUNDS, MIB (the stream's size).
set -u
. "$(dirname "$0")/../lab/lib.sh"
LAB_DIR=$(mktemp -d /tmp/onlink-bench-egress.XXXXXX)
lab_init "$LAB_DIR"
trap 'lab_down; rm -rf "$LAB_DIR"' EXIT
CR=$LAB_ROOT/build/connrate RELAY=$LAB_ROOT/build/relay
SECS=${SECS:-4} CONC=${CONC:-32} IDLE=${IDLE:-2000} ROUNDS=${ROUNDS:-3} MIB=${MIB:-4096}
echo "bringing up the lab ..."
lab_up || exit 1
lab_egress_clients
# "direct": the clients' own addresses are routed back to them
n inet ip route add 100.64.0.0/10 via 198.51.100.1
n pa ip route add 100.64.0.0/10 via 10.0.1.2
n sw ip route add 100.64.0.0/10 via 10.10.0.11
n h1 sysctl -qw net.ipv4.tcp_tw_reuse=1
# The load client closes first half the time, so its ports pile up in
# TIME_WAIT: with the default range and no reuse, its own connect() (the
# port search) became the bottleneck of every mode, not the path measured.
n c1 sysctl -qw net.ipv4.tcp_tw_reuse=1 net.ipv4.ip_local_port_range="1024 65535"
# "direct" has servers of its own (ports 5202, 9101): h1 keeps the proxy's
# client-side sockets in TIME_WAIT for a minute, and early demux would hand
# a routed packet of the same 4-tuple to such a socket (and ip_forward drops
# it), stalling the next round's direct connections on reused ports.
lab_spawn iperf inet iperf3 -s -B 203.0.113.1 -p 5201
lab_spawn iperf-direct inet iperf3 -s -B 203.0.113.1 -p 5202
lab_spawn crserver inet "$CR" server 203.0.113.1 9100
lab_spawn crserver-direct inet "$CR" server 203.0.113.1 9101
lab_spawn sink inet "$CR" sink 203.0.113.1 9300
lab_spawn sink-direct inet "$CR" sink 203.0.113.1 9301
# the ceiling: bare relays on h1's own address, as HAProxy (bench/tools/relay.c)
lab_spawn relay-splice h1 "$RELAY" splice 100.64.1.1 9201 192.0.2.10 203.0.113.1 9300
lab_spawn relay-sockmap h1 "$RELAY" sockmap 100.64.1.1 9202 192.0.2.10 203.0.113.1 9300
wait_for 5 "servers" n inet bash -c "exec 3<>/dev/tcp/203.0.113.1/9100"
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }

results=$LAB_DIR/results ceiling=$LAB_DIR/ceiling
# one connection sending MIB mebibytes, no half-close (connrate stream)
stream() { # mode target port
	local g
	g=$(n c1 "$CR" stream "$2" "$3" "$MIB") || g=null
	echo "$1 $g" >> "$ceiling"
}
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
measure() { # mode target [pid-of-proxy [measure-idle-memory]]
	local mode=$1 target=$2 pid=${3:-} mem=${4:-} tput cr idle before after ip=5201 cp=9100 t0 t1 cpu=null
	[ "$mode" = direct ] && ip=5202 cp=9101
	sleep 0.5
	tput=$(n c1 iperf3 -c "$target" -p $ip -t "$SECS" -J | jq '.end.sum_received.bits_per_second')
	sleep 1
	[ -n "$pid" ] && t0=$(cpu_ticks "$pid")
	cr=$(n c1 "$CR" client "$target" $cp "$SECS" "$CONC")
	# the proxy's own CPU time (user + system, which includes the packet
	# processing its syscalls run inline) per connection, in microseconds
	[ -n "$pid" ] && t1=$(cpu_ticks "$pid") &&
		cpu=$(jq -r --argjson t "$((t1 - t0))" --argjson hz "$(getconf CLK_TCK)" '$t / $hz / .conns * 1e6' <<<"$cr")
	idle=null
	if [ -n "$mem" ]; then
		sleep 1
		before=$(rss "$pid")
		n c1 "$CR" hold "$target" 9100 "$IDLE" 8 > "$LAB_DIR/hold.out" &
		local hp=$!
		wait_for 30 "idle connections held" grep -q held "$LAB_DIR/hold.out"
		sleep 1
		after=$(rss "$pid")
		idle=$(( (after - before) * 1024 / IDLE ))
		wait $hp
	fi
	echo "$mode $tput $(jq -r '"\(.rate) \(.p50_ms) \(.p99_ms) \(.errors)"' <<<"$cr") $idle $cpu" >> "$results"
}

# HAProxy listens on h1's own address, which the TPROXY rule leaves alone:
# it runs through every round. "direct" needs onlinkd egress stopped.
lab_haproxy_config "$LAB_DIR/haproxy.cfg" <<CFG
listen iperf
	bind 100.64.1.1:5201
	server s 203.0.113.1:5201 source 192.0.2.10:10000-19999
listen connrate
	bind 100.64.1.1:9100
	server s 203.0.113.1:9100 source 192.0.2.10:10000-19999
listen stream
	bind 100.64.1.1:9203
	server s 203.0.113.1:9300 source 192.0.2.10:10000-19999
CFG
lab_spawn haproxy h1 haproxy -db -f "$LAB_DIR/haproxy.cfg"
wait_for 5 "haproxy" n c1 bash -c "exec 3<>/dev/tcp/100.64.1.1/9100"

# Rounds of all three, interleaved, so that drift of this shared VM over the
# run (and TIME_WAIT piling up) hits every mode alike; medians are reported.
# Memory per idle connection is measured in the first round only.
for round in $(seq "$ROUNDS"); do
	first=$([ "$round" = 1 ] && echo 1)
	echo "round $round/$ROUNDS: direct ..."
	measure direct 203.0.113.1
	stream direct 203.0.113.1 9301
	echo "round $round/$ROUNDS: onlink egress ..."
	start_egressd 1
	wait_for 10 "egress ready" bash -c "[ \"\$('$ONLINK' status -s '$LAB_DIR/egress-h1.sock' --json | jq -r .ipv4.address)\" = 192.0.2.10 ]"
	measure onlink 203.0.113.1 "$(lab_pid onlinkd-egress-h1)" "$first"
	stream onlink 203.0.113.1 9300
	lab_stop onlinkd-egress-h1
	echo "round $round/$ROUNDS: haproxy ..."
	measure haproxy 100.64.1.1 "$(lab_pid haproxy)" "$first"
	stream haproxy 100.64.1.1 9203
	echo "round $round/$ROUNDS: bare relays ..."
	stream splice 100.64.1.1 9201
	stream sockmap 100.64.1.1 9202
done

python3 - "$results" "$SECS" "$CONC" "$IDLE" "$ROUNDS" "$ceiling" "$MIB" <<'PY'
import statistics, sys
path, secs, conc, idle, rounds, ceiling, mib = sys.argv[1:]
runs = {}
for line in open(path):
    m, tput, rate, p50, p99, err, mem, cpu = line.split()
    runs.setdefault(m, []).append(dict(tput=float(tput) / 1e9, rate=float(rate), p50=float(p50), p99=float(p99),
                                       err=int(err), mem=None if mem == "null" else int(mem),
                                       cpu=None if cpu == "null" else float(cpu)))
r = {}
for m, l in runs.items():
    r[m] = {k: statistics.median(x[k] for x in l) for k in ("tput", "rate", "p50", "p99")}
    r[m]["err"] = sum(x["err"] for x in l)
    r[m]["mem"] = next((x["mem"] for x in l if x["mem"] is not None), None)
    r[m]["cpu"] = statistics.median(x["cpu"] for x in l) if l[0]["cpu"] is not None else None
d, o, h = r["direct"], r["onlink"], r["haproxy"]
rows = [
    ("single-stream throughput (Gbit/s)", f"{d['tput']:.2f}", f"{o['tput']:.2f}", f"{h['tput']:.2f}", f">= 0.9 x direct: {o['tput'] / d['tput']:.2f}"),
    ("new connections per second", f"{d['rate']:.0f}", f"{o['rate']:.0f}", f"{h['rate']:.0f}", f">= haproxy: {o['rate'] / h['rate']:.2f} x"),
    ("connection latency p50 (ms)", f"{d['p50']:.3f}", f"{o['p50']:.3f}", f"{h['p50']:.3f}", f"added: {o['p50'] - d['p50']:+.3f} / {h['p50'] - d['p50']:+.3f}"),
    ("connection latency p99 (ms)", f"{d['p99']:.3f}", f"{o['p99']:.3f}", f"{h['p99']:.3f}", f"added: {o['p99'] - d['p99']:+.3f} / {h['p99'] - d['p99']:+.3f}"),
    ("proxy CPU per connection (us, user + system)", "-", f"{o['cpu']:.0f}", f"{h['cpu']:.0f}", f"onlink / haproxy: {o['cpu'] / h['cpu']:.2f}"),
    ("connection errors (all rounds)", str(d['err']), str(o['err']), str(h['err']), "0"),
    ("resident memory per idle connection (bytes)", "-", str(o['mem']), str(h['mem']), "<= haproxy"),
]
print(f"\n{'egress, one client namespace behind h1':<44}  {'direct':>9}  {'onlink':>9}  {'haproxy':>9}  target")
print(f"{'-' * 44}  {'-' * 9}  {'-' * 9}  {'-' * 9}  {'-' * 24}")
for row in rows:
    print(f"{row[0]:<44}  {row[1]:>9}  {row[2]:>9}  {row[3]:>9}  {row[4]}")
print(f"(medians of {rounds} interleaved rounds; {secs} s per measurement, {conc} connections at a time, {idle} idle connections;"
      f"\n added latency is against direct: onlink / haproxy; memory is the proxy's resident set only)")

# The ceiling: the same path, one connection, no half-close, for onlink and
# for the two bare ways any relay that ends the client's TCP can move bytes.
c = {}
for line in open(ceiling):
    m, g = line.split()
    c.setdefault(m, []).append(None if g == "null" else float(g))
names = [("direct", "direct (routed, no relay)"), ("onlink", "onlink egress"), ("haproxy", "haproxy"),
         ("splice", "bare splice relay, 2 threads"), ("sockmap", "bare sockmap relay (bpf verdict)")]
base = statistics.median(x for x in c["direct"] if x is not None)
print(f"\n{'one stream of ' + mib + ' MiB (connrate stream)':<44}  {'Gbit/s':>9}  {'x direct':>9}  failed")
print(f"{'-' * 44}  {'-' * 9}  {'-' * 9}  {'-' * 6}")
for key, name in names:
    ok = [x for x in c.get(key, []) if x is not None]
    med = statistics.median(ok) if ok else float("nan")
    print(f"{name:<44}  {med:>9.2f}  {med / base:>9.2f}  {len(c.get(key, [])) - len(ok):>6}")
print(f"(medians of {rounds} rounds; relays on h1, as HAProxy, from 192.0.2.10 to the same sink)")
PY
