#!/usr/bin/env bash
# Loss when a whole switch of the redundant POP dies (lab/redundant.sh),
# with a synthetic full table, in both designs, against BGP alone in the
# same run. Sizes: SIZES (default "10000 1000000"); designs: DESIGNS
# (default "uplinks l2").
#
# Transit A (switch A) announces the table, transit B (switch B) the same
# prefixes with a longer AS path, so every route goes through A. A stream
# of 2000 UDP datagrams per second to 198.19.0.1 (one of the prefixes)
# from a host that survives (two uplinks: h1; one L2 domain: h2, on switch
# B) measures the loss: the longest run of datagrams that never arrived.
#  - onlink, switch dies: its ports go dark, its BIRD and agent are killed;
#    the host sees its uplink's carrier go (two uplinks), or switch B tells
#    it that its peer link went (one L2);
#  - onlink, switch silent: switch A drops everything, its links up; the
#    host finds it by its unanswered echoes (dead-after 500 ms);
#  - BGP alone: the host agent stopped (its kernel state stays), BFD
#    (3 x 100 ms) on the host's sessions with the route reflectors, and
#    BIRD moves every route.
set -u
. "$(dirname "$0")/../lab/lib.sh"
. "$(dirname "$0")/failover_lib.sh"
if [ "$(id -u)" != 0 ]; then echo "the benchmark creates network namespaces: run as root" >&2; exit 1; fi
SIZES=${SIZES:-10000 1000000}
DESIGNS=${DESIGNS:-uplinks l2}
STREAM=$LAB_ROOT/lab/tools/stream.py
results=$(mktemp /tmp/onlink-bench-swfo.XXXXXX)
trap 'rm -f "$results"' EXIT

silence() { # switch A drops everything, its links up
	lab2_silence a
	T_DEATH=$(date +%s.%N)
}

# each action sets T_DEATH, the moment the switch died or fell silent.
# Switch A's BIRD and agent are killed without waiting (this runs in a
# subshell, which cannot reap them); reaped() forgets them afterwards.
kill_a() {
	lab2_ports_set a down
	T_DEATH=$(date +%s.%N)
	kill -KILL "$(lab_pid bird-swa)" "$(lab_pid onlinkd-swa)"
}
reaped() { lab_stop bird-swa KILL; lab_stop onlinkd-swa KILL; }
# back to the start: the table through A again, and switch A used again
settle() {
	wait_for 900 "$H's FIB back through transit-a" bash -c "[ \$(ip netns exec ${LAB_PREFIX}$H ip -4 route show | grep -c 'via 10.0.1.1') -ge $size ]" || exit 1
	wait_for 60 "switch A used again" bash -c "[ \"\$('$ONLINK' status -s '$LAB_DIR/host-$H.sock' --json | jq -r '.switches[0].uplink.forwarding')\" = forwarding ]" || exit 1
	wait_for 30 "transit-a's own MAC again" bash -c "ip netns exec ${LAB_PREFIX}$H ip neigh show 10.0.1.1 | grep -q $PROVIDER_MAC_A" || exit 1
}

for design in $DESIGNS; do
	for size in $SIZES; do
		LAB_DIR=$(mktemp -d /tmp/onlink-bench-swfo.XXXXXX)
		lab_init "$LAB_DIR"
		trap 'lab_down; rm -rf "$LAB_DIR" "$results"' EXIT
		SECS=$(( size > 100000 ? 180 : 30 )) CONVERGE_MAX=$(( size > 100000 ? 170 : 25 ))
		H=h1
		[ "$design" = l2 ] && H=h2
		echo "== $design, $size routes: generating the table ..."
		gen_table "$size" "$LAB_DIR/table-a.conf" "$LAB_DIR/table-b.conf"
		export LAB_DESIGN=$design LAB_HOSTS=2 LAB_BFD=1 LAB_SW_HOLD_DOWN=5s LAB_HOLD_DOWN=5s \
			LAB_TABLE_A=$LAB_DIR/table-a.conf LAB_TABLE_B=$LAB_DIR/table-b.conf
		echo "== $design, $size routes: bringing up the lab ..."
		lab2_up || exit 1
		start=$(date +%s)
		wait_for 1200 "$H's FIB has the table through transit-a" bash -c "[ \$(ip netns exec ${LAB_PREFIX}$H ip -4 route show | grep -c 'via 10.0.1.1') -ge $size ]" || exit 1
		echo "   table in $H's FIB after $(( $(date +%s) - start )) s"

		echo "== $design, $size routes: onlink, switch A dies ..."
		read -r loss gap rec rx sent conv left <<<"$(stream_run dies "$H" kill_a)"
		echo "$design $size dies $loss $rec $rx $sent $conv $left" >> "$results"
		reaped
		lab2_revive_switch a
		settle

		echo "== $design, $size routes: onlink, switch A silent (links up) ..."
		read -r loss gap rec rx sent conv left <<<"$(stream_run silent "$H" silence)"
		echo "$design $size silent $loss $rec $rx $sent $conv $left" >> "$results"
		lab2_unsilence a
		settle

		echo "== $design, $size routes: BGP alone (host agent stopped), switch A dies ..."
		lab_stop "onlinkd-$H"
		read -r loss gap rec rx sent conv left <<<"$(stream_run bgp "$H" kill_a)"
		echo "$design $size bgp $loss $rec $rx $sent $conv $left" >> "$results"
		reaped
		lab_down
		rm -rf "$LAB_DIR"
	done
done

python3 - "$results" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    design, size, mode, loss, rec, rx, sent, conv, left = line.split()
    v = float(loss) if rec == "true" else f"no recovery: {rx} of {sent} arrived"
    rows[(design, int(size), mode)] = (v, float(conv), int(left))
print("\nloss when switch A dies (2000 datagrams/s to 198.19.0.1, through transit-a on switch A)")
h = ("design", "routes in FIB", "onlink: dies (ms)", "onlink: silent (ms)", "BGP alone: dies (ms)", "BGP: table moved (s)")
print("  ".join(f"{x:>{max(len(x), 10)}}" for x in h))
print("  ".join("-" * max(len(x), 10) for x in h))
for design, size in sorted({(d, s) for d, s, _ in rows}, key=lambda k: (k[0] != "uplinks", k[1])):
    d, s, b = (rows.get((design, size, m)) for m in ("dies", "silent", "bgp"))
    conv = "-" if b is None else (f"{b[1]:.1f}" + ("" if b[2] == 0 else f" ({b[2]} left)"))
    vals = (design, size, d and d[0], s and s[0], b and b[0], conv)
    print("  ".join(f"{'-' if v is None else v:>{max(len(x), 10)}}" for v, x in zip(vals, h)))
print("(targets: dies <= 50 ms at 1M routes; silent <= 1 s. loss: the longest run of datagrams that never")
print(" arrived, 0.5 ms each, the tail included; uplinks: h1, two uplinks, carrier lost; l2: h2 on switch B,")
print(" which tells it its peer link went; silent: found by echoes; BGP alone: BFD 3 x 100 ms, then BIRD)")
PY
