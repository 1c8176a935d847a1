#!/usr/bin/env bash
# Runs each libFuzzer target named for FUZZ_SECS seconds (make fuzz, make
# check) from its seed corpus, and prints one line per target and a summary
# line. A crash, leak or oracle failure leaves its input in
# build/fuzz/crash-NAME-*; reproduce with build/fuzz/fuzz_NAME FILE.
set -u
cd "$(dirname "$0")/../.."
secs=${FUZZ_SECS:-30} pass=0 fail=0
for t in "$@"; do
	work=build/fuzz/corpus-$t
	mkdir -p "$work"
	log=build/fuzz/$t.log
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
