#!/usr/bin/env bash
# connect() as a slice fills (issue 29, item 6): the latency of new
# connections through onlink egress (connrate client: connect, one byte
# each way, close; p50 and p99 from connect to the answer) while 10%, 50%
# and 90% of a 2000-port slice are held by idle connections to the same
# destination, so that every new upstream connection must find a free
# port of the slice towards it. Twice: with the kernel choosing the port
# (IP_LOCAL_PORT_RANGE, Linux 6.3), and with the proxy choosing it, as on
# older kernels (the benchmark build's ONLINK_TEST_NO_PORT_RANGE).
# Knobs: SECS, CONC, ROUNDS.
set -u
. "$(dirname "$0")/../lab/lib.sh"
ONLINKD=$LAB_ROOT/build/bench/onlinkd
LAB_DIR=$(mktemp -d /tmp/onlink-bench-ports.XXXXXX)
lab_init "$LAB_DIR"
trap 'lab_down; rm -rf "$LAB_DIR"' EXIT
CR=$LAB_ROOT/build/connrate
SECS=${SECS:-3} CONC=${CONC:-4} ROUNDS=${ROUNDS:-2} SLICE=2000
export LAB_SLICE_SIZE=$SLICE LAB_EGRESS_CLIENT_FLOWS=4000
echo "bringing up the lab ..."
lab_up || exit 1
lab_egress_clients
n h1 sysctl -qw net.ipv4.tcp_tw_reuse=1
n c1 sysctl -qw net.ipv4.tcp_tw_reuse=1 net.ipv4.ip_local_port_range="1024 65535"
# a destination port of its own for each measurement: the churn of one
# (its TIME_WAITs towards that destination) stays out of the next
for i in $(seq 0 $((ROUNDS * 6 - 1))); do lab_spawn "crserver$i" inet "$CR" server 203.0.113.1 $((9100 + i)); done
wait_for 5 "servers" n inet bash -c "exec 3<>/dev/tcp/203.0.113.1/$((9100 + ROUNDS * 6 - 1))"
DPORT=9100
ESOCK=$LAB_DIR/egress-h1.sock

egress() { # [ENV=1 ...]
	lab_stop onlinkd-egress-h1
	rm -f "$ESOCK"
	lab_spawn onlinkd-egress-h1 h1 env "$@" "$ONLINKD" egress -c "$LAB_DIR/egress-h1.conf"
	wait_for 10 "egress ready" bash -c "[ \"\$('$ONLINK' status -s '$ESOCK' --json | jq -r .ipv4.last)\" = $((10000 + SLICE - 1)) ]"
}
active() { "$ONLINK" status -s "$ESOCK" --json | jq .tcp.active; }
level() { # mode percent
	local held=$((SLICE * $2 / 100)) r hp port=$DPORT
	DPORT=$((DPORT + 1))
	rm -f "$LAB_DIR/hold.out"
	n c1 "$CR" hold 203.0.113.1 $port "$held" $((SECS + 20)) > "$LAB_DIR/hold.out" 2>&1 &
	hp=$!
	wait_for 30 "held" grep -q held "$LAB_DIR/hold.out"
	wait_for 30 "the proxy holds them" bash -c "[ \$('$ONLINK' status -s '$ESOCK' --json | jq .tcp.active) -ge $held ]"
	local got
	got=$(active)
	r=$(n c1 "$CR" client 203.0.113.1 $port "$SECS" "$CONC")
	echo "$1 $2 $(jq -r '"\(.p50_ms) \(.p99_ms) \(.rate) \(.errors)"' <<<"$r") $got" >> "$LAB_DIR/results"
	kill "$hp" 2>/dev/null
	wait "$hp" 2>/dev/null
	wait_for 60 "released" bash -c "[ \$('$ONLINK' status -s '$ESOCK' --json | jq .tcp.active) = 0 ]"
}

# The modes do not mix: the TIME_WAITs one leaves in the slice are bound
# in a way the other cannot share (the kernel's choice skips ports bound
# explicitly; an explicit bind, even with SO_REUSEADDR, conflicts with a
# TIME_WAIT of a socket without it), so a mode starts once the other's
# have expired (60 s). A proxy only ever runs one of them.
tw_gone() { [ "$(n h1 ss -Htan state time-wait src 192.0.2.10 | wc -l)" = 0 ]; }
for round in $(seq "$ROUNDS"); do
	for mode in kernel own; do
		echo "round $round/$ROUNDS: the port chosen by the $mode (once the last mode's TIME_WAITs are gone) ..."
		lab_stop onlinkd-egress-h1
		wait_for 90 "no TIME_WAIT in the slice" tw_gone
		if [ $mode = own ]; then egress ONLINK_TEST_NO_PORT_RANGE=1; else egress; fi
		for pct in 10 50 90; do level $mode $pct; done
	done
done
if ! grep -q "no IP_LOCAL_PORT_RANGE" "$LAB_DIR/onlinkd-egress-h1.log"; then
	echo "the proxy did not choose its ports itself in the 'own' rounds" >&2
	exit 1
fi

python3 - "$LAB_DIR/results" "$SLICE" "$SECS" "$CONC" "$ROUNDS" <<'PY'
import statistics, sys
path, slice_, secs, conc, rounds = sys.argv[1:]
r = {}
for line in open(path):
    mode, pct, p50, p99, rate, err, held = line.split()
    r.setdefault((mode, int(pct)), []).append((float(p50), float(p99), float(rate), int(err), int(held)))
print(f"\n{'connect() as the slice fills (' + slice_ + ' ports)':<44}  {'held':>6}  {'p50 ms':>8}  {'p99 ms':>8}  {'conn/s':>8}  {'errors':>6}  target")
print(f"{'-' * 44}  {'-' * 6}  {'-' * 8}  {'-' * 8}  {'-' * 8}  {'-' * 6}  {'-' * 24}")
for mode, name in (("kernel", "kernel's choice (IP_LOCAL_PORT_RANGE)"), ("own", "proxy's choice (kernels before 6.3)")):
    base = statistics.median(x[1] for x in r[(mode, 10)])
    for pct in (10, 50, 90):
        l = r[(mode, pct)]
        p99 = statistics.median(x[1] for x in l)
        target = f"p99 <= 2 x at 10%: {p99 / base:.2f}" if pct == 90 else ""
        print(f"{name + ', ' + str(pct) + '% held':<44}  {min(x[4] for x in l):>6}  {statistics.median(x[0] for x in l):>8.3f}  {p99:>8.3f}  "
              f"{statistics.median(x[2] for x in l):>8.0f}  {sum(x[3] for x in l):>6}  {target}")
print(f"(medians of {rounds} rounds; {secs} s per measurement, {conc} connections at a time, to the destination the"
      f"\n held connections go to)")
PY
