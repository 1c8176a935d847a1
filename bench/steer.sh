#!/usr/bin/env bash
# [steer]'s controller at scale (docs/steering.md): one switch agent, SUBS
# host sessions speaking the real protocol (bench/tools/scaleload), TARGETS
# steered prefixes of one target each, 8 providers: every session reports
# every target through the 8 providers each window, as host agents do.
# The switch agent's CPU per window with those reports, against the same
# sessions sending keepalives alone (same run), and whether it took every
# report in time. Knobs: SUBS (1000), TARGETS (100), WINDOW (10s), SECS
# (60: each phase), KEEPALIVE.
set -u
. "$(dirname "$0")/../lab/lib.sh"
bench_init steer
SUBS=${SUBS:-1000} TARGETS=${TARGETS:-100} WINDOW=${WINDOW:-10s} SECS=${SECS:-60} KEEPALIVE=${KEEPALIVE:-10}
SCALELOAD=$LAB_ROOT/build/scaleload
lab_bench_pop 8 1500 || exit 1
SWPUB=$(lab_key sw1)
{
	printf '[switch]\nname = sw1\nlisten = 10.20.0.1:4710\nprivate-key-file = %s\ncontrol = %s\nstate-file = %s\nkeepalive = %s\n\n' \
		"$LAB_DIR/sw1.key" "$LAB_DIR/switch.sock" "$LAB_DIR/switch-state.json" "$KEEPALIVE"
	for i in $(seq 0 7); do
		printf '[provider ix-%d]\naddress = %s\ninterface = br0\ntable = %d\n\n' "$i" "$(lab_peer "$i")" $((1001 + i))
	done
	printf '[steer]\nwindow = %s\n' "$WINDOW"
	for t in $(seq 0 $((TARGETS - 1))); do printf 'prefix = 198.18.%d.0/24\ntarget = 198.18.%d.1\n' "$t" "$t"; done
	echo
	"$SCALELOAD" -g "$SUBS"
} > "$LAB_DIR/switch.conf"
"$ONLINKD" -n -q -c "$LAB_DIR/switch.conf" || exit 1
lab_spawn onlinkd-sw sw "$ONLINKD" switch -c "$LAB_DIR/switch.conf"
wait_for 10 "switch agent" test -S "$LAB_DIR/switch.sock" || exit 1
head -n 8 "$LAB_DIR/providers" > "$LAB_DIR/providers8"
lab_load_addrs "$SUBS" || exit 1
SW=$(lab_pid onlinkd-sw)
echo "$SUBS sessions, $TARGETS targets x 8 providers, windows of $WINDOW: $SECS s of keepalives, then $SECS s of reports ..."
n ld "$SCALELOAD" -c 10.20.0.1:4710 -k "$SWPUB" -p "$LAB_DIR/providers8" -s "${LAB_PREFIX}sw" -i br0 -S "$SUBS" -b 1 \
	-P "$SW" -K "$KEEPALIVE" -A 10.20.128.0 -T "$TARGETS" -w "$(( ${WINDOW%s} * 1000 ))" -D "$SECS" \
	> "$LAB_DIR/steer.json" 2> "$LAB_DIR/scaleload.err" || { cat "$LAB_DIR/scaleload.err" >&2; exit 1; }
st=$("$ONLINK" status -s "$LAB_DIR/switch.sock" --json)
base=$(grep '"baseline"' "$LAB_DIR/steer.json") rep=$(grep '"reports"' "$LAB_DIR/steer.json")
b=$(jq .switch_cpu_ms_per_window <<<"$base") r=$(jq .switch_cpu_ms_per_window <<<"$rep")
echo
echo "| the switch agent, $SUBS host sessions, $TARGETS targets x 8 providers, windows of $WINDOW | per window |"
echo "|---|---:|"
echo "| reports sent to it (one target, one window, one host) | $(( $(jq .reports_sent <<<"$rep") / $(jq .windows <<<"$rep") )) |"
echo "| CPU, keepalives alone (baseline, same run) | $b ms |"
echo "| CPU, with every host's reports and the decision | $r ms |"
echo "| reports' and decisions' cost (difference) | $(awk -v a="$r" -v b="$b" 'BEGIN { printf "%.1f", a - b }') ms ($(awk -v a="$r" -v b="$b" -v w="${WINDOW%s}" 'BEGIN { printf "%.2f", (a - b) / (w * 10) }')% of one core) |"
echo "| reports taken / late / unknown target | $(jq -r '"\(.steer.reports) / \(.steer.late) / \(.steer.refused)"' <<<"$st") |"
echo "| resident memory | $(jq .switch_rss_kib <<<"$rep") KiB |"
