#!/usr/bin/env bash
# Per-node identities (docs/protocol.md): what the Noise handshakes and the
# fast path's signatures cost. Part of `make bench`; `sudo bench/identities.sh`
# alone. All inside network namespaces it creates.
#   1. build/hsbench: the switch agent's CPU per handshake (judged against
#      1000 [host NAME] keys), a host's, and the added cost per fast-path
#      datagram of a burst of 500 (Ed25519 against version 4's shared-key
#      AEAD, the baseline, in the same run);
#   2. 1000 host sessions (bench/tools/scaleload -R: the real protocol,
#      each with its own key) on a switch agent with 500 providers; the
#      switch agent is restarted (stop, start: as `systemctl restart`) and
#      again reloaded with a changed config (restart in place); the time
#      from the first session's end to the last session's snapshot, with
#      the hosts' own reconnect back-off (250 ms, 20% jitter).
# Knobs: SESSIONS (1000), PROVIDERS (500).
set -u
. "$(dirname "$0")/../lab/lib.sh"
if [ "$(id -u)" != 0 ]; then echo "the benchmark creates network namespaces: run it as root" >&2; exit 1; fi
SESSIONS=${SESSIONS:-1000} PROVIDERS=${PROVIDERS:-500}
SCALELOAD=$LAB_ROOT/build/scaleload HSBENCH=$LAB_ROOT/build/hsbench
LAB_DIR=$(mktemp -d /tmp/onlink-bench-id.XXXXXX)
lab_init "$LAB_DIR"
trap 'lab_down; rm -rf "$LAB_DIR"' EXIT

echo "hsbench: handshakes and datagram signatures (CPU, one thread) ..."
"$HSBENCH" -n 2000 -H 1000 -r 200 > "$LAB_DIR/hsbench.json" || { echo "hsbench failed" >&2; exit 1; }

echo "bringing up: a switch agent with $PROVIDERS providers, $SESSIONS host sessions ..."
lab_bench_pop "$PROVIDERS" 1500 || exit 1
peer() { lab_peer "$@"; }
SWPUB=$(lab_key sw1)
{
	printf '[switch]\nname = sw1\nlisten = 10.20.0.1:4710\nprivate-key-file = %s\ncontrol = %s\nstate-file = %s\nkeepalive = 30\n' \
		"$LAB_DIR/sw1.key" "$LAB_DIR/switch.sock" "$LAB_DIR/switch-state.json"
	printf 'fast-path = 239.255.71.7:4714\nfast-path-interface = br0\n\n'
	for i in $(seq 0 $((PROVIDERS - 1))); do
		printf '[provider ix-%d]\naddress = %s\ninterface = br0\ntable = %d\n\n' "$i" "$(peer "$i")" $((1001 + i))
	done
	"$SCALELOAD" -g "$SESSIONS"
} > "$LAB_DIR/switch.conf"
"$ONLINKD" -n -q -c "$LAB_DIR/switch.conf" || exit 1
lab_spawn onlinkd-sw sw "$ONLINKD" switch -c "$LAB_DIR/switch.conf"
wait_for 10 "switch agent" test -S "$LAB_DIR/switch.sock" || exit 1
lab_load_addrs "$SESSIONS" || exit 1

# run HOW: every session up, then the restart HOW does; prints its JSON line
# (inplace: the sessions watched 5 s after a reload the agent applies in
# place: how many ended)
reconnect() {
	local how=$1 out="$LAB_DIR/reconnect-$1.json" watch=()
	[ "$how" = inplace ] && watch=(-W 5)
	n ld "$SCALELOAD" -R "${watch[@]}" -c 10.20.0.1:4710 -k "$SWPUB" -p "$LAB_DIR/providers" -s "${LAB_PREFIX}sw" -i br0 \
		-S "$SESSIONS" -P "$(lab_pid onlinkd-sw)" -A 10.20.128.0 > "$out" 2> "$LAB_DIR/scaleload-$how.err" &
	local load=$!
	echo "$load scaleload-$how" >> "$LAB_DIR/pids"
	wait_for 120 "$SESSIONS sessions up" grep -q '^ready' "$out" || { cat "$LAB_DIR/scaleload-$how.err" >&2; return 1; }
	case $how in
	restart)
		lab_stop onlinkd-sw
		lab_spawn onlinkd-sw sw "$ONLINKD" switch -c "$LAB_DIR/switch.conf" ;;
	reload)
		# a second listen address: that takes a restart in place (exec)
		sed -i 's/^listen = 10.20.0.1:4710$/&\nlisten = 10.20.0.1:4711/' "$LAB_DIR/switch.conf"
		kill -HUP "$(lab_pid onlinkd-sw)" ;;
	inplace)
		# a provider's description and the keepalive: applied in place
		sed -i -e 's/^keepalive = 30$/keepalive = 29/' -e 's/^\[provider ix-0\]$/&\ndescription = reloaded in place/' \
			"$LAB_DIR/switch.conf"
		kill -HUP "$(lab_pid onlinkd-sw)" ;;
	esac
	wait "$load" || { cat "$LAB_DIR/scaleload-$how.err" >&2; return 1; }
	awk -v n="scaleload-$how" '$2 != n' "$LAB_DIR/pids" > "$LAB_DIR/pids.tmp" && mv "$LAB_DIR/pids.tmp" "$LAB_DIR/pids"
	grep '^{' "$out"
}
echo "restart: stop and start the switch agent under $SESSIONS sessions ..."
reconnect restart > "$LAB_DIR/restart.json" || exit 1
echo "reload: a changed listen, the switch agent restarting in place (exec) ..."
reconnect reload > "$LAB_DIR/reload.json" || exit 1
echo "reload in place: a changed description and keepalive, applied by the running agent ..."
reconnect inplace > "$LAB_DIR/inplace.json" || exit 1
grep -q "applied in place; $SESSIONS host sessions kept" "$LAB_DIR/onlinkd-sw.log" ||
	{ echo "the switch agent did not say it applied the reload in place with $SESSIONS sessions kept" >&2; exit 1; }
refused=$(grep -c "dropped before authentication" "$LAB_DIR/onlinkd-sw.log")
grep "dropped before authentication" "$LAB_DIR/onlinkd-sw.log" | sed 's/.*dropped before authentication: //' | sort | uniq -c >&2

python3 - "$LAB_DIR" "$SESSIONS" "$PROVIDERS" "$refused" "$(nproc)" <<'PY'
import json, sys
d, sessions, provs, refused, ncpu = sys.argv[1:]
hs = json.load(open(f"{d}/hsbench.json"))
rs = json.loads(open(f"{d}/restart.json").read())
rl = json.loads(open(f"{d}/reload.json").read())
ip = json.loads(open(f"{d}/inplace.json").read())
print(f"\n### Identities: handshakes, reconnects, signed datagrams\n")
print(f"{ncpu} cores; {sessions} sessions (each its own key) on a switch agent with {provs} providers and the fast path\n")
print("| | measured | target |")
print("|---|---:|---|")
print(f"| switch agent: handshakes per second, one core, judged against {hs['hosts_listed']} keys | {hs['switch_handshakes_per_s']:.0f} | |")
print(f"| switch agent: CPU per handshake (µs) | {hs['switch_us_per_handshake']:.0f} | |")
print(f"| host agent: CPU per handshake (µs) | {hs['host_us_per_handshake']:.0f} | |")
met = lambda v, t: "met" if v < t else "**missed**"
print(f"| {sessions} hosts back after a switch agent restart (stop, start) (ms) | {rs['reconnect_ms']:.0f} | < 2000: {met(rs['reconnect_ms'], 2000)} |")
print(f"| {sessions} hosts back after a reload that restarts it in place (ms) | {rl['reconnect_ms']:.0f} | < 2000: {met(rl['reconnect_ms'], 2000)} |")
print(f"| switch agent CPU for those {rl['sessions']} handshakes and snapshots, reload (ms) | {rl['switch_cpu_ms_since_ready']:.0f} | |")
print(f"| a reload applied in place (a description, the keepalive): sessions that ended, of {ip['sessions']} | {ip['drops']} | 0: {'met' if ip['drops'] == 0 else '**missed**'} |")
print(f"| ...new snapshots sent (none needed: no egress change) | {ip['resnapshots']} | 0 |")
print(f"| ...switch agent CPU for it (ms) | {ip['switch_cpu_ms_since_ready']:.0f} | |")
print(f"| handshakes refused meanwhile | {refused} | 0 |")
print(f"| cookie replies meanwhile (under load; the host connects again at once with its mac2): restart / reload | {rs['cookies']} / {rl['cookies']} | |")
for mtu in ("mtu9000", "mtu1500"):
    m = hs[mtu]
    print(f"| MTU {mtu[3:]}: datagrams per burst of 500 | {m['datagrams_per_burst']} | |")
    print(f"| MTU {mtu[3:]}: switch agent per datagram, sign (µs) / version 4's seal | {m['sign_us']:.1f} / {m['v4_seal_us']:.1f} | |")
    print(f"| MTU {mtu[3:]}: host per datagram, verify (µs) / version 4's open | {m['verify_us']:.1f} / {m['v4_open_us']:.1f} | |")
    print(f"| MTU {mtu[3:]}: added per burst of 500: switch / each host (µs) | {m['burst_switch_us'] - m['burst_v4_switch_us']:.0f} / {m['burst_host_us'] - m['burst_v4_host_us']:.0f} | |")
PY
