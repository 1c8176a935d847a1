#!/usr/bin/env bash
# What one client's share costs (docs/egress.md, "One client cannot starve
# the others"), same run, same machine:
#  - new connections per second (connrate: connect, one byte each way,
#    close; CONC at a time) through onlink egress with its per-client
#    accounting, the same proxy without it (the benchmark build's knob
#    ONLINK_BENCH_NO_CLIENT_LIMITS: the proxy before it), and HAProxy with
#    a per-source connection limit (a stick table, maxconn 1024 per
#    source), rounds interleaved, medians;
#  - what the ICMP rules of h1's steering table cost every return packet
#    (docs/egress.md, "ICMP errors"): the same connection rate with the two
#    jumps to its ICMP chains taken out of the table, and put back;
#  - the host's TCP memory per slow reader (SLOW connections asking 50 MB
#    each and never reading): onlink with flow-buffer 256k, onlink without
#    it (autotuning: ONLINK_BENCH_NO_FLOW_BUFFER), HAProxy;
#  - the throughput of one other download (iperf3 -R, SECS) through onlink,
#    with the slow readers and without them;
#  - what flow-buffer trades: one download's throughput and the TCP memory
#    per slow reader at FLOW_BUFFERS.
# Knobs: SECS, CONC, ROUNDS, SLOW, FLOW_BUFFERS.
# Runs the benchmark build (build/bench/onlinkd) for its baselines' knobs.
set -u
. "$(dirname "$0")/../lab/lib.sh"
ONLINKD=$LAB_ROOT/build/bench/onlinkd
LAB_DIR=$(mktemp -d /tmp/onlink-bench-fair.XXXXXX)
lab_init "$LAB_DIR"
trap 'lab_down; rm -rf "$LAB_DIR"' EXIT
CR=$LAB_ROOT/build/connrate FAIR=$LAB_ROOT/lab/tools/egress_fair.py
SECS=${SECS:-4} CONC=${CONC:-32} ROUNDS=${ROUNDS:-3} SLOW=${SLOW:-200} FLOW_BUFFERS=${FLOW_BUFFERS:-64k 256k 1m 4m}
echo "bringing up the lab ..."
lab_up || exit 1
lab_egress_clients
n c1 ip addr add 100.64.1.3/24 dev eth0
n h1 sysctl -qw net.ipv4.tcp_tw_reuse=1
n c1 sysctl -qw net.ipv4.tcp_tw_reuse=1 net.ipv4.ip_local_port_range="1024 65535"
lab_spawn iperf inet iperf3 -s -B 203.0.113.1 -p 5201
lab_spawn crserver inet "$CR" server 203.0.113.1 9100
lab_spawn source inet python3 "$FAIR" source 203.0.113.1 9400 52428800
wait_for 5 "servers" n inet bash -c "exec 3<>/dev/tcp/203.0.113.1/9100 && exec 4<>/dev/tcp/203.0.113.1/9400"

# HAProxy on h1's own address (the TPROXY rule leaves it alone), one thread
# as onlinkd egress has one, at most 1024 connections per source address
lab_haproxy_config "$LAB_DIR/haproxy.cfg" <<CFG
listen connrate
	bind 100.64.1.1:9100
	stick-table type ip size 100k store conn_cur
	tcp-request connection track-sc0 src
	tcp-request connection reject if { sc0_conn_cur gt 1024 }
	server s 203.0.113.1:9100 source 192.0.2.10:10000-19999
listen source
	bind 100.64.1.1:9400
	stick-table type ip size 100k store conn_cur
	tcp-request connection track-sc0 src
	tcp-request connection reject if { sc0_conn_cur gt 1024 }
	server s 203.0.113.1:9400 source 192.0.2.10:10000-19999
CFG
lab_spawn haproxy h1 haproxy -db -f "$LAB_DIR/haproxy.cfg"
wait_for 5 "haproxy" n c1 bash -c "exec 3<>/dev/tcp/100.64.1.1/9100"

cp "$LAB_DIR/egress-h1.conf" "$LAB_DIR/egress-h1.base"
egress() { # [ENV=1 ...]: onlinkd egress (the benchmark build) started with those knobs, ready
	lab_stop onlinkd-egress-h1
	rm -f "$LAB_DIR/egress-h1.sock"
	lab_spawn onlinkd-egress-h1 h1 env "$@" "$ONLINKD" egress -c "$LAB_DIR/egress-h1.conf"
	wait_for 10 "egress ready" bash -c "[ \"\$('$ONLINK' status -s '$LAB_DIR/egress-h1.sock' --json | jq -r .ipv4.address)\" = 192.0.2.10 ]"
}
rate() { # mode target
	local r
	r=$(n c1 "$CR" client "$2" 9100 "$SECS" "$CONC")
	echo "$1 $(jq -r '"\(.rate) \(.p99_ms) \(.errors)"' <<<"$r")" >> "$LAB_DIR/rates"
}
slowmem() { # mode target: the TCP memory h1's sockets hold with SLOW slow readers, per reader (bytes)
	local max pressured
	rm -f "$LAB_DIR/slow.stop" "$LAB_DIR/slow.log"
	lab_spawn slow c1 python3 "$FAIR" slow "$2" 9400 "$SLOW" 100.64.1.3 "$LAB_DIR/slow.stop"
	wait_for 60 "slow readers" grep -q "slow open" "$LAB_DIR/slow.log"
	read -r max pressured < <(lab_tcpmem_peak h1 15)
	echo "$1 $((max / SLOW)) $pressured $(awk '{ print $3 }' "$LAB_DIR/slow.log")" >> "$LAB_DIR/mem"
}
slow_end() { touch "$LAB_DIR/slow.stop"; lab_stop slow; }
tput() { # label: one download through onlink (iperf3 -R), Gbit/s
	echo "$1 $(n c1 iperf3 -c 203.0.113.1 -p 5201 -R -t "$SECS" -J | jq '.end.sum_received.bits_per_second')" >> "$LAB_DIR/tput"
}

# h1's steering table (h2 holds a slice): every reply to the proxy's
# upstream sockets passes its ingress chain
wait_for 10 "steering table" n h1 nft list chain netdev onlink_steer icmp4
icmp_jumps() { n h1 nft -a list chain netdev onlink_steer ingress | awk '/jump icmp[46]/ { print $NF }'; }
icmp_off() { local h; for h in $(icmp_jumps); do n h1 nft delete rule netdev onlink_steer ingress handle "$h"; done; }
icmp_on() {
	n h1 nft add rule netdev onlink_steer ingress icmp type destination-unreachable jump icmp4
	n h1 nft add rule netdev onlink_steer ingress icmpv6 type '{ destination-unreachable, packet-too-big, time-exceeded, parameter-problem }' jump icmp6
}
for round in $(seq "$ROUNDS"); do
	echo "round $round/$ROUNDS: connections per second ..."
	egress
	# the order alternates: the first measurement after a restart is not
	# favoured either way
	if [ $((round % 2)) = 1 ]; then
		rate onlink 203.0.113.1
		icmp_off; rate noicmp 203.0.113.1; icmp_on
	else
		icmp_off; rate noicmp 203.0.113.1; icmp_on
		rate onlink 203.0.113.1
	fi
	egress ONLINK_BENCH_NO_CLIENT_LIMITS=1
	rate nolimits 203.0.113.1
	rate haproxy 100.64.1.1
	echo "round $round/$ROUNDS: one download, with and without $SLOW slow readers ..."
	egress
	tput alone
	slowmem onlink 203.0.113.1
	tput beside
	slow_end
done
echo "slow readers: without flow-buffer, and HAProxy ..."
egress ONLINK_BENCH_NO_FLOW_BUFFER=1
slowmem autotuned 203.0.113.1
slow_end
lab_stop onlinkd-egress-h1
slowmem haproxy 100.64.1.1
slow_end
for fb in $FLOW_BUFFERS; do
	echo "flow-buffer = $fb ..."
	{ cat "$LAB_DIR/egress-h1.base"; echo "flow-buffer = $fb"; } > "$LAB_DIR/egress-h1.conf"
	egress
	tput "fb$fb"
	slowmem "fb$fb" 203.0.113.1
	slow_end
done

python3 - "$LAB_DIR" "$SECS" "$CONC" "$ROUNDS" "$SLOW" <<'PY'
import statistics, sys
d, secs, conc, rounds, slow = sys.argv[1:]
def table(name):
    t = {}
    for line in open(f"{d}/{name}"):
        k, *v = line.split()
        t.setdefault(k, []).append([float(x) for x in v])
    return t
r, m, t = table("rates"), table("mem"), table("tput")
med = lambda l, i: statistics.median(x[i] for x in l)
o, b, h = med(r["onlink"], 0), med(r["nolimits"], 0), med(r["haproxy"], 0)
print(f"\n{'per-client limits: the cost':<48}  {'onlink':>9}  {'no limits':>9}  {'haproxy':>9}  target")
print(f"{'-' * 48}  {'-' * 9}  {'-' * 9}  {'-' * 9}  {'-' * 26}")
print(f"{'new connections per second':<48}  {o:>9.0f}  {b:>9.0f}  {h:>9.0f}  >= 0.95 x no limits: {o / b:.2f}; x haproxy: {o / h:.2f}")
print(f"{'connection latency p99 (ms)':<48}  {med(r['onlink'], 1):>9.3f}  {med(r['nolimits'], 1):>9.3f}  {med(r['haproxy'], 1):>9.3f}")
ni = med(r["noicmp"], 0)
print(f"{'... without the ICMP steering rules':<48}  {ni:>9.0f}  {'':>9}  {'':>9}  their cost: onlink {o / ni:.2f} x this")
print(f"{'connection errors (all rounds)':<48}  {sum(x[2] for x in r['onlink']):>9.0f}  {sum(x[2] for x in r['nolimits']):>9.0f}  {sum(x[2] for x in r['haproxy']):>9.0f}  0")
om, am, hm = med(m["onlink"], 0), m["autotuned"][0][0], m["haproxy"][0][0]
print(f"\n{slow + ' slow readers (50 MB each, never read)':<48}  {'onlink':>9}  {'autotuned':>9}  {'haproxy':>9}  target")
print(f"{'-' * 48}  {'-' * 9}  {'-' * 9}  {'-' * 9}  {'-' * 26}")
print(f"{'host TCP memory per slow reader (KiB)':<48}  {om / 1024:>9.0f}  {am / 1024:>9.0f}  {hm / 1024:>9.0f}  x {slow}: < 64 MiB: {om * int(slow) / 2**20:.0f} MiB")
print(f"{'tcp_mem pressure entered':<48}  {'yes' if any(x[1] for x in m['onlink']) else 'no':>9}  {'yes' if m['autotuned'][0][1] else 'no':>9}  {'yes' if m['haproxy'][0][1] else 'no':>9}  no")
alone, beside = med(t["alone"], 0) / 1e9, med(t["beside"], 0) / 1e9
print(f"{'another download through onlink (Gbit/s)':<48}  {beside:>9.2f}  {'':>9}  {'':>9}  >= 0.9 x alone ({alone:.2f}): {beside / alone:.2f}")
print(f"(medians of {rounds} interleaved rounds; {secs} s per measurement, {conc} connections at a time;"
      f"\n memory: the most the TCP sockets of h1 held over 3 s, divided by the readers; autotuned and haproxy: one round)")
print(f"\n{'flow-buffer: what it trades':<48}  {'download':>9}  {'per slow':>9}  {'x ' + slow:>9}")
print(f"{'':<48}  {'Gbit/s':>9}  {'KiB':>9}  {'MiB':>9}")
print(f"{'-' * 48}  {'-' * 9}  {'-' * 9}  {'-' * 9}")
for k in t:
    if k.startswith("fb"):
        per = m[k][0][0]
        print(f"{'flow-buffer = ' + k[2:]:<48}  {t[k][0][0] / 1e9:>9.2f}  {per / 1024:>9.0f}  {per * int(slow) / 2**20:>9.0f}")
print(f"{'none (autotuning)':<48}  {'':>9}  {am / 1024:>9.0f}  {am * int(slow) / 2**20:>9.0f}")
print("(one round each; the lab's round trips are tens of microseconds: on a real path a flow's throughput is its window over the round trip)")
PY
