#!/usr/bin/env bash
# Runs each libFuzzer target named for FUZZ_SECS seconds (make fuzz, make
# check) from its seed corpus, and prints one line per target and a summary
# line. A crash, leak or oracle failure leaves its input in
# build/fuzz/crash-NAME-*; reproduce with build/fuzz/fuzz_NAME FILE.
# Before it fuzzes, each target replays every input a fuzzer ever crashed
# it on (tests/fuzz/regressions/NAME/): copy a crash there with its fix.
set -u
cd "$(dirname "$0")/../.."
secs=${FUZZ_SECS:-30} pass=0 fail=0
for t in "$@"; do
	work=build/fuzz/corpus-$t
	mkdir -p "$work"
	log=build/fuzz/$t.log
	regs=(tests/fuzz/regressions/"$t"/*)
	if [ -e "${regs[0]}" ]; then
		if build/fuzz/fuzz_"$t" -timeout=10 -rss_limit_mb=1024 "${regs[@]}" >"$log.regressions" 2>&1; then
			echo "ok - fuzz $t: ${#regs[@]} regression inputs replayed"
			pass=$((pass + 1))
		else
			echo "not ok - fuzz $t: a regression input crashes again: see $log.regressions"
			grep -E 'ERROR|SUMMARY|Running: ' "$log.regressions" | tail -n 5
			fail=$((fail + 1))
		fi
	fi
	if build/fuzz/fuzz_"$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
		-artifact_prefix="build/fuzz/crash-$t-" "$work" "tests/fuzz/corpus/$t" >"$log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
		echo "ok - fuzz $t: ${secs} s, ${runs:-?} inputs, ${cov:-cov: ?}, no crash"
		pass=$((pass + 1))
	else
		echo "not ok - fuzz $t: see $log"
		grep -E 'ERROR|SUMMARY|Test unit written' "$log" | head -n 5
		fail=$((fail + 1))
	fi
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
