#!/usr/bin/env bash
# The scale harness (bench/scale.sh, `make bench-scale`) at a size the
# check can afford: one switch agent, 100 providers, 3 real host agents and
# 97 sessions of the load client speaking the real protocol, bursts of 1
# and 50 MAC changes. Every change must reach every session and every real
# host's kernel (the load client fails otherwise), by the fast path
# (bench/scale.sh turns it on) or the sessions; the switch agent must
# drop no session, and a host must write its snapshot in one batch.
. "$(dirname "$0")/testlib.sh"
t_setup
OUT=$LAB_DIR/out
mkdir -p "$OUT"
check "the harness ran to the end" env OUT="$OUT" LOGS="$LAB_DIR" PROVIDERS=100 HOSTS=3 ROUNDS=3 STEPS=50,100 \
	BURSTS=1,50 IDLE=2 KEEPALIVE=1 bash "$(dirname "$0")/../../bench/scale.sh"
r() { jq -s -r "$1" "$OUT/results.json"; }
check_eq "a result per subscriber count and burst size" "$(r '[.[] | select(.burst) | "\(.subscribers)/\(.burst)"] | join(" ")')" \
	"50/1 50/50 100/1 100/50"
check_eq "every change timed at every size" "$(r '[.[] | select(.burst) | .changes] | join(" ")')" "3 150 3 150"
check "every real host's kernel followed (a positive time for each)" \
	test "$(r '[.[] | select(.burst) | .host_kernel_ms[2] > 0] | all')" = true
check "the switch agent holds one descriptor per session, and a few" \
	test "$(r '[.[] | select(.subscribers == 100 and .burst) | .switch_fds] | max')" -ge 100
check "the switch agent dropped no session" grep -q "| sessions the switch dropped | 0 |" "$OUT/table.md"
check "a host wrote its 100-provider snapshot in one netlink message" \
	grep -qE "\| host agent kernel writes for its 100-provider snapshot \| [0-9]+ in 1 netlink message" "$OUT/table.md"
# keepalive 1 s, 2 s idle: the switch is woken by keepalives, not spinning
check "idle: the switch agent used under 100 ms of CPU in 2 s" \
	test "$(r '[.[] | select(.idle_secs) | .switch_cpu_ms < 100] | all')" = true
check "most changes reached the sessions first by the fast path's datagrams" \
	test "$(r '[.[] | select(.burst) | .via_fast_path > 0.5] | all')" = true
check "the plot was drawn" grep -q "<svg" "$OUT/latency.svg"
