#!/usr/bin/env bash
# Continuous probing ([probe] in a host agent's config): what it costs at
# 64 providers x 50 targets. A switch agent publishes 64 providers; the host
# agent probes 50 targets through each, once a second (3200 probes/s) and
# ten times a second (32000/s). The providers' next hops all resolve to the
# switch namespace's bridge, which owns the targets and answers. Reported:
# probes per second, the share answered, and the host agent's CPU (its
# /proc/PID/stat, user + system) with probing against the same agent
# without it, in the same run. Part of `make bench`; `sudo bench/probe.sh`
# alone. Knobs: PROVIDERS (64), TARGETS (50), SECS (20).
set -u
. "$(dirname "$0")/../lab/lib.sh"
PROVIDERS=${PROVIDERS:-64} TARGETS=${TARGETS:-50} SECS=${SECS:-20}
bench_init probe

lab_bench_pop "$PROVIDERS" 1500 || exit 1
# every provider's next hop answers with the bridge's MAC: the switch
# namespace receives the probes and owns the targets
for i in $(seq 0 $((PROVIDERS - 1))); do
	echo "neigh replace $(lab_peer "$i") lladdr 02:00:00:00:00:fe dev br0 nud permanent"
done > "$LAB_DIR/neigh2.batch"
n sw ip -batch "$LAB_DIR/neigh2.batch" || exit 1
for t in $(seq 1 "$TARGETS"); do n sw ip addr add "10.99.$((t / 250)).$((t % 250 + 1))/32" dev lo; done
SWPUB=$(lab_key sw1) LDPUB=$(lab_key ld)
{
	printf '[switch]\nname = sw1\nlisten = 10.20.0.1:4710\nprivate-key-file = %s\ncontrol = %s\nstate-file = %s\n\n' "$LAB_DIR/sw1.key" "$LAB_DIR/switch.sock" "$LAB_DIR/switch-state.json"
	for i in $(seq 0 $((PROVIDERS - 1))); do
		printf '[provider ix-%d]\naddress = %s\ninterface = br0\ntable = %d\n\n' "$i" "$(lab_peer "$i")" $((1001 + i))
	done
	printf '[host ld]\npublic-key = %s\n' "$LDPUB"
} > "$LAB_DIR/switch.conf"
host_conf() { # [INTERVAL]: the host agent's config, probing every INTERVAL
	printf '[host]\nname = ld\ninterface = eth0\naddress = 10.20.255.1\nprivate-key-file = %s\ncontrol = %s\n\n' \
		"$LAB_DIR/ld.key" "$LAB_DIR/host.sock"
	printf '[switch sw1]\nconnect = 10.20.0.1:4710\npublic-key = %s\n' "$SWPUB"
	if [ -n "${1:-}" ]; then
		printf '\n[probe]\ninterval = %s\ntimeout = 1s\n' "$1"
		for t in $(seq 1 "$TARGETS"); do echo "target = 10.99.$((t / 250)).$((t % 250 + 1))"; done
	fi
}
host_conf > "$LAB_DIR/host.conf"
lab_spawn onlinkd-sw sw "$ONLINKD" switch -c "$LAB_DIR/switch.conf"
wait_for 10 "switch agent" test -S "$LAB_DIR/switch.sock" || exit 1
lab_spawn onlinkd-ld ld "$ONLINKD" host -c "$LAB_DIR/host.conf"
HPID=$(lab_pid onlinkd-ld)
wait_for 30 "$PROVIDERS providers on the host" bash -c \
	"[ \"\$('$ONLINK' status -s '$LAB_DIR/host.sock' --json 2>/dev/null | jq '[.providers[] | select(.state == \"up\")] | length')\" = $PROVIDERS ]" || exit 1

ticks() { awk '{ print $14 + $15 }' "/proc/$HPID/stat"; }
HZ=$(getconf CLK_TCK)
cpu_over() { # seconds: the agent's CPU share of one core over them (percent)
	local t0 t1
	t0=$(ticks); sleep "$1"; t1=$(ticks)
	awk -v d=$((t1 - t0)) -v hz="$HZ" -v s="$1" 'BEGIN { printf "%.2f", d / hz / s * 100 }'
}
# answered over sent, in the last minute, from one status
answered_ratio() { "$ONLINK" status -s "$LAB_DIR/host.sock" --json |
	jq '[.probe.targets[].providers[]] | (map(.answered) | add) / (map(.sent) | add) * 10000 | round / 10000'; }

base=$(cpu_over "$SECS")
declare -A cpu ratio
for iv in 1s 100ms; do
	host_conf "$iv" > "$LAB_DIR/host.conf"
	kill -HUP "$HPID"
	wait_for 20 "probing every $iv" bash -c "[ \"\$('$ONLINK' status -s '$LAB_DIR/host.sock' --json | jq '.probe.streams')\" = $((PROVIDERS * TARGETS)) ]" || exit 1
	sleep 2 # the first rounds out of the measure
	cpu[$iv]=$(cpu_over "$SECS")
	ratio[$iv]=$(answered_ratio)
done
pps1=$((PROVIDERS * TARGETS)) pps2=$((PROVIDERS * TARGETS * 10))
cost=$(printf '{"providers": %d, "targets": %d, "agent_cpu_pct_without": %s, "every_1s": {"probes_per_s": %d, "agent_cpu_pct": %s, "answered": %s}, "every_100ms": {"probes_per_s": %d, "agent_cpu_pct": %s, "answered": %s}}' \
	"$PROVIDERS" "$TARGETS" "$base" "$pps1" "${cpu[1s]}" "${ratio[1s]}" "$pps2" "${cpu[100ms]}" "${ratio[100ms]}")
lab_down

# accuracy, in the POP lab
LAB_HOSTS=1 lab_up || exit 1
lab_delay a 10
lab_delay b 20
printf '\n[probe]\ntarget = 203.0.113.1\ntarget = 2001:db8:ff::1\ninterval = 100ms\n' >> "$LAB_DIR/host-h1.conf"
kill -HUP "$(lab_pid onlinkd-h1)"
wait_for 20 "probing" bash -c "'$ONLINK' status -s '$LAB_DIR/host-h1.sock' --json | jq -e '.probe.targets[0].providers | length == 2' > /dev/null" || exit 1
sleep "$SECS"
acc=$("$ONLINK" status -s "$LAB_DIR/host-h1.sock" --json | jq -c '[.probe.targets[] | .target as $t | .providers[] |
	{target: $t, provider, rtt_ms: (.rtt_ms * 1000 | round / 1000), delay_ms: (if .provider == "transit-a" then 10 else 20 end)} |
	.error_pct = (((.rtt_ms - .delay_ms) / .delay_ms * 1000 | round) / 10)]')
echo "$cost" | jq -c --argjson acc "$acc" '. + {accuracy: $acc, accuracy_max_error_pct: ([$acc[].error_pct | fabs] | max), accuracy_target_pct: 10}' |
	tee "${BENCH_OUT:-/dev/null}"
