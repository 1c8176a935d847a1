#!/usr/bin/env bash
# Continuous probing in the host agent ([probe]): every target through every
# live provider, with the lab's delay lines. The RTTs follow each
# provider's delay, loss on one provider is counted against it alone, the
# best provider follows when the delays are swapped, an unreachable target
# is loss and nothing else, and the metrics and onlink status show it.
. "$(dirname "$0")/testlib.sh"
export LAB_METRICS=1
t_lab
SOCK=$(host_sock 1)
H1PID=$(lab_pid onlinkd-h1)
lab_delay a 10
lab_delay b 20
cat >> "$LAB_DIR/host-h1.conf" <<CONF

[probe]
target = 203.0.113.1
target = 2001:db8:ff::1
target = 203.0.113.1 tcp:9
target = 192.0.2.99
interval = 200ms
timeout = 1s
CONF
kill -HUP "$H1PID"
metrics() { n h1 curl -s http://127.0.0.1:9477/metrics; }
# the status's mean RTT (ms) and loss of a provider to a target, over the last minute
rtt() { st "$SOCK" ".probe.targets[] | select(.target == \"$1\") | .providers[] | select(.provider == \"$2\") | .rtt_ms // \"none\""; }
loss() { st "$SOCK" ".probe.targets[] | select(.target == \"$1\") | .providers[] | select(.provider == \"$2\") | .loss // \"none\""; }
best() { st "$SOCK" ".probe.targets[] | select(.target == \"$1\") | .best // \"none\""; }
answered() { [ "$(st "$SOCK" "[.probe.targets[] | select(.target == \"$1\") | .providers[] | select(.answered >= $2)] | length")" = 2 ]; }
# as t70: on the path of delay D, a mean between D (less 1%) and 1.5 D
near() { awk -v v="$1" -v d="$2" 'BEGIN { exit !(v != "none" && v >= 0.99 * d && v <= 1.5 * d) }'; }
check "the host agent reloaded with [probe], same pid" wait_for 10 "probing" bash -c "'$ONLINK' status -s '$SOCK' --json | jq -e .probe > /dev/null"
check "...same pid" kill -0 "$H1PID"
check "...applied in place ([probe] only), said so" grep -q "reload: .*host-h1.conf changed (\[probe\] and \[repath\] only): applied in place, 4 probe targets" "$LAB_DIR/onlinkd-h1.log"
check_eq "...its switch session kept (sessions_total)" \
	"$(metrics | awk '$1 == "onlink_host_switch_sessions_total{switch=\"sw1\"}" { print $2 }')" 1
check "ten answers per provider for each target within a few seconds" wait_for 20 "answers" \
	eval 'answered 203.0.113.1 10 && answered 2001:db8:ff::1 10 && answered "203.0.113.1 tcp:9" 10'
for t in 203.0.113.1 2001:db8:ff::1 "203.0.113.1 tcp:9"; do
	a=$(rtt "$t" transit-a) b=$(rtt "$t" transit-b)
	check "$t: transit-a's RTT $a ms is its 10 ms path's" near "$a" 10
	check "$t: transit-b's RTT $b ms is its 20 ms path's" near "$b" 20
	check_eq "$t: transit-a is best" "$(best "$t")" transit-a
done
m=$(metrics)
check "metrics: an RTT histogram per provider and target" \
	grep -q 'onlink_probe_rtt_seconds_bucket{provider="transit-b",target="2001:db8:ff::1",le="0.025"}' <<<"$m"
check "metrics: the histogram's mean follows the delay" awk '
	/^onlink_probe_rtt_seconds_sum\{provider="transit-b",target="203.0.113.1"\}/ { s = $2 }
	/^onlink_probe_rtt_seconds_count\{provider="transit-b",target="203.0.113.1"\}/ { c = $2 }
	END { exit !(c > 0 && s / c >= 0.0198 && s / c <= 0.030) }' <<<"$m"
check "metrics: onlink_probe_best names transit-a for 203.0.113.1" \
	grep -qx 'onlink_probe_best{target="203.0.113.1",provider="transit-a"} 1' <<<"$m"
check "metrics: a last success per provider and target" \
	grep -q '^onlink_probe_last_success_timestamp_seconds{provider="transit-a",target="203.0.113.1 tcp:9"} [0-9]' <<<"$m"
check "metrics: loss 0 where nothing is lost" grep -qx 'onlink_probe_loss_ratio{provider="transit-b",target="203.0.113.1"} 0' <<<"$m"
check "metrics: the unreachable target is all loss" grep -qx 'onlink_probe_loss_ratio{provider="transit-a",target="192.0.2.99"} 1' <<<"$m"
check "promtool accepts the metrics, the probes' included" "$LAB_ROOT/build/tools/promtool" check metrics <<<"$m"
check "onlink status prints the probe table" bash -c "'$ONLINK' status -s '$SOCK' | grep -A3 '^PROBES every 200 ms' | grep -q '203.0.113.1 .*transit-a .*\*'"

# loss on transit-a alone: half of what it forwards to 203.0.113.1 dropped
check "half of transit-a's forwarded echo requests dropped (nft)" n pa nft -f - <<'NFT'
table inet lossy {
	chain halve {
		type filter hook forward priority 0;
		ip daddr 203.0.113.1 icmp type echo-request numgen random mod 2 == 0 drop
	}
}
NFT
lost_a() { awk -v l="$(loss 203.0.113.1 transit-a)" 'BEGIN { exit !(l != "none" && l >= 0.1) }'; }
check "loss on transit-a is counted against it" wait_for 20 "loss" lost_a
check_eq "...and not against transit-b" "$(loss 203.0.113.1 transit-b)" "0"
check_eq "...nor against transit-a's other targets" "$(loss 2001:db8:ff::1 transit-a)" "0"
n pa nft delete table inet lossy

# swap: transit-a 40 ms, transit-b 5 ms: the best follows
lab_redelay a 40
lab_redelay b 5
check "with the delays swapped, transit-b becomes best" wait_for 40 "best" eval '[ "$(best 203.0.113.1)" = transit-b ]'
check "...for IPv6 too" wait_for 20 "best" eval '[ "$(best 2001:db8:ff::1)" = transit-b ]'
check "the agent kept running throughout" kill -0 "$H1PID"
