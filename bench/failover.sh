#!/usr/bin/env bash
# Loss after a provider's carrier loss, with a synthetic full table in the
# hosts' FIB: onlink's substitution (the dead provider's neighbor entry
# pointed at the backup's MAC) against BGP withdrawal alone (BFD 3 x 100 ms
# detects, BIRD withdraws, the host's BIRD rewrites its kernel routes), in
# the same run. Sizes: SIZES (default "10000 1000000").
#
# Transit A announces the table, transit B the same prefixes with a longer
# AS path, so every route goes through A until it fails. A stream of 2000
# UDP datagrams per second from h1 to 198.19.0.1 (one of the prefixes both
# carry) measures the loss: the largest gap between two arrivals. BGP's
# convergence of the whole table (until h1's kernel has no route left via
# A) is reported beside it.
set -u
. "$(dirname "$0")/../lab/lib.sh"
. "$(dirname "$0")/failover_lib.sh"
if [ "$(id -u)" != 0 ]; then echo "the benchmark creates network namespaces: run as root" >&2; exit 1; fi
SIZES=${SIZES:-10000 1000000}
STREAM=$LAB_ROOT/lab/tools/stream.py
results=$(mktemp /tmp/onlink-bench-failover.XXXXXX)
trap 'rm -f "$results"' EXIT


cut_a() {
	n sw ip link set sw-pa down
	T_DEATH=$(date +%s.%N)
}

for size in $SIZES; do
	LAB_DIR=$(mktemp -d /tmp/onlink-bench-fo.XXXXXX)
	lab_init "$LAB_DIR"
	trap 'lab_down; rm -rf "$LAB_DIR" "$results"' EXIT
	# 1M routes: the whole table must move within SECS for BGP to be measured
	SECS=$(( size > 100000 ? 180 : 30 )) CONVERGE_MAX=$(( size > 100000 ? 170 : 25 ))
	echo "== $size routes: generating the table ..."
	gen_table "$size" "$LAB_DIR/table-a.conf" "$LAB_DIR/table-b.conf"
	export LAB_FAILOVER=1 LAB_HOSTS=1 LAB_HOLD_DOWN=5s LAB_TABLE_A=$LAB_DIR/table-a.conf LAB_TABLE_B=$LAB_DIR/table-b.conf
	echo "== $size routes: bringing up the lab ..."
	lab_up || exit 1
	start=$(date +%s)
	wait_for 1200 "h1's FIB has the table through transit-a" bash -c "[ \$(ip netns exec ${LAB_PREFIX}h1 ip -4 route show | grep -c 'via 10.0.1.1') -ge $size ]" || exit 1
	echo "   table in h1's FIB after $(( $(date +%s) - start )) s"

	echo "== $size routes: onlink substitution ..."
	read -r loss gap rec rx sent conv left <<<"$(stream_run onlink h1 cut_a)"
	echo "onlink $size $loss $gap $conv $left $rx $rec $sent" >> "$results"
	n sw ip link set sw-pa up
	wait_for 600 "recovered, table back through transit-a" bash -c "[ \$(ip netns exec ${LAB_PREFIX}h1 ip -4 route show | grep -c 'via 10.0.1.1') -ge $size ]" || exit 1
	wait_for 60 "transit-a recovered (h1 has its real MAC back)" bash -c \
		"ip netns exec ${LAB_PREFIX}h1 ip neigh show 10.0.1.1 | grep -q $PROVIDER_MAC_A" || exit 1

	# BGP alone: the switch agent stopped, so nothing on the hosts changes
	# (they keep the last state they were sent) and only BIRD moves routes.
	# A switch agent without backup would not do: it would remove the dead
	# provider's peer address from the hosts, and their BIRD would drop its
	# routes as unresolvable at once, which is onlink acting, not BGP.
	echo "== $size routes: BGP withdrawal alone (switch agent stopped) ..."
	lab_stop onlinkd-sw
	read -r loss gap rec rx sent conv left <<<"$(stream_run bgp h1 cut_a)"
	echo "bgp $size $loss $gap $conv $left $rx $rec $sent" >> "$results"
	lab_down
	rm -rf "$LAB_DIR"
done

python3 - "$results" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    mode, size, loss, gap, conv, left, rx, rec, sent = line.split()
    # a stream that never came back: what arrived of what was sent, not a loss figure
    lossv = float(loss) if rec == "true" else f"no recovery: {rx} of {sent} arrived"
    rows[(mode, int(size))] = (lossv, float(gap), float(conv), int(left))
sizes = sorted({s for _, s in rows})
print("\nloss after transit-a's carrier loss (2000 datagrams/s to 198.19.0.1 from h1)")
h = ("routes in FIB", "onlink: loss (ms)", "max gap (ms)", "BGP alone: loss (ms)", "max gap (ms)", "BGP: table moved (s)")
print("  ".join(f"{x:>{max(len(x), 12)}}" for x in h) + "  target")
print("  ".join("-" * max(len(x), 12) for x in h) + "  ------")
for s in sizes:
    o, b = rows.get(("onlink", s), (None,) * 4), rows.get(("bgp", s), (None,) * 4)
    conv = "-" if b[2] is None else (f"{b[2]:.1f}" + ("" if b[3] == 0 else f" ({b[3]} left)"))
    vals = (str(s), o[0], o[1], b[0], b[1], conv)
    print("  ".join(f"{'-' if v is None else v:>{max(len(x), 12)}}" for v, x in zip(vals, h)) + "  onlink loss < 50 ms")
print("(loss: the longest run of datagrams that never arrived, at 0.5 ms each, the tail up to the sender's end")
print(" included; a stream that did not come back before its end is said so; max gap: the largest interval")
print(" between two arrivals, late ones included; BGP alone: BFD 3 x 100 ms, then BIRD on switch and host)")
PY
