#!/usr/bin/env bash
# The switch agent under a flood of real first messages: build/hsflood
# sends, from ADDRS addresses of namespace ld, Noise first messages with good
# macs from a key the switch does not know (each costs the switch two
# X25519 if it takes it to key work, as a replayed host's would), for SECS
# seconds, answering cookie replies with good mac2s as any attacker who
# knows the public key can. One second in, a real host agent starts.
# Measured twice in the same run: the switch agent as shipped (under load:
# cookie replies, then 20 handshakes a second per address), and the same
# binary with the load gate off (ONLINK_BENCH_NO_LOADGATE=1, the test
# build's knob): the baseline. Targets: key work at most 400 + 5 + 20 a
# second per address, the switch's CPU per first message under a quarter
# of the baseline's (the flood sends as fast as the switch takes them),
# the host authenticated within 1 s. Part of `make bench`; alone:
# `bench/hsflood.sh` as root. Knobs: SECS (10), ADDRS (16: the flood's
# addresses, 8 connections in flight from each).
set -u
# (before lab/lib.sh, which names the shipped build otherwise)
ONLINKD=${ONLINKD:-$(cd "$(dirname "$0")/.." && pwd)/build/bench/onlinkd}
. "$(dirname "$0")/../lab/lib.sh"
[ -x "$ONLINKD" ] || { echo "bench/hsflood.sh: $ONLINKD is missing: make build/bench/onlinkd" >&2; exit 1; }
SECS=${SECS:-10}
bench_init hsflood
ADDRS=${ADDRS:-16}
lab_one_host_pop "$ADDRS" "metrics = 127.0.0.1:9477" || exit 1

mx() { n sw curl -sf --max-time 5 http://127.0.0.1:9477/metrics | awk -v k="$1" '$1 == k { print $2 }'; }
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
up() { [ "$("$ONLINK" status -s "$LAB_DIR/host-h1.sock" --json 2>/dev/null | jq -r '.switches[0].state')" = up ]; }

# one run: GATE (on or off); prints its JSON fields
run() {
	local gate=$1 env=() sw t0 c0 k0 ms
	[ "$gate" = off ] && env=(env ONLINK_BENCH_NO_LOADGATE=1)
	lab_spawn onlinkd-sw sw "${env[@]}" "$ONLINKD" switch -c "$LAB_DIR/switch.conf"
	wait_for 10 "switch agent" test -S "$LAB_DIR/switch.sock" || return 1
	wait_for 10 "metrics" mx onlink_switch_peers_connected > /dev/null || return 1
	sw=$(lab_pid onlinkd-sw)
	k0=$(mx 'onlink_switch_handshakes_refused_total{reason="unknown_key"}')
	c0=$(ticks "$sw")
	: > "$LAB_DIR/hsflood-$gate.log"
	lab_spawn "hsflood-$gate" ld "$LAB_ROOT/build/hsflood" -c 10.20.0.1:4710 -p "$SWPUB" -t "$SECS" -i $((8 * ADDRS)) -b 10.20.128.1 -a "$ADDRS"
	sleep 1 # the flood has begun: the host agent starts into it
	t0=$(date +%s%N)
	lab_spawn onlinkd-h1 h1 "$ONLINKD" host -c "$LAB_DIR/host-h1.conf"
	wait_for 30 "h1 authenticated" up || return 1
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	wait_for $((SECS + 10)) "the flood's end" grep -q first_messages "$LAB_DIR/hsflood-$gate.log" || return 1
	printf '"%s": {"host_authenticated_ms": %d, "switch_cpu_ticks": %d, "key_work": %d, "flood": %s}' "$gate" "$ms" \
		$(( $(ticks "$sw") - c0 )) $(( $(mx 'onlink_switch_handshakes_refused_total{reason="unknown_key"}') - k0 )) \
		"$(cat "$LAB_DIR/hsflood-$gate.log")"
	lab_stop onlinkd-h1
	lab_stop onlinkd-sw
	rm -f "$LAB_DIR/switch.sock"
}
on=$(run on) || exit 1
off=$(run off) || exit 1
python3 - "{$on, $off}" "$SECS" "$(getconf CLK_TCK)" "$ADDRS" <<'PY' | tee "${BENCH_OUT:-/dev/null}"
import json, sys
r, secs, hz, addrs = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
on, off = r["on"], r["off"]
# per first message: the flood sends as fast as the switch takes them, so
# a switch that spends less on each is sent more
per = [x["switch_cpu_ticks"] / hz / max(x["flood"]["first_messages"], 1) * 1e6 for x in (on, off)]
ratio = per[0] / per[1] if per[1] else 1
ok = (on["key_work"] <= 400 + addrs * (5 + 20 * (secs + 1)) and ratio <= 0.25 and on["host_authenticated_ms"] <= 1000)
print(json.dumps({"secs": secs, "attacker_addresses": addrs,
                  "first_messages": [on["flood"]["first_messages"], off["flood"]["first_messages"]],
                  "key_work": [on["key_work"], off["key_work"]],
                  "switch_cpu_s": [on["switch_cpu_ticks"] / hz, off["switch_cpu_ticks"] / hz],
                  "switch_cpu_us_per_first_message": [round(per[0], 1), round(per[1], 1)],
                  "cpu_ratio": round(ratio, 3),
                  "cookies_to_the_flood": on["flood"]["cookies"],
                  "host_authenticated_ms": [on["host_authenticated_ms"], off["host_authenticated_ms"]],
                  "order": "[gate on (as shipped), gate off (baseline)]",
                  "targets": "key work <= 400 + (5 + 20/s) per address, CPU per first message <= 1/4 of the baseline, host in <= 1000 ms",
                  "met": bool(ok)}))
PY
