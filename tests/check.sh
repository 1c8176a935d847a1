#!/usr/bin/env bash
# `make check`: unit tests (cmocka, ASan+UBSan builds), fuzzing, then integration
# tests in network namespaces; one summary line at the end.
set -u
cd "$(dirname "$0")/.."
up=0 uf=0
for t in build/unit/test_*; do
	echo "== $t"
	out=$("$t" 2>&1); rc=$?
	echo "$out"
	p=$(grep -o '\[  PASSED  \] [0-9]*' <<<"$out" | grep -o '[0-9]*$' | head -n 1)
	f=$(grep -o '\[  FAILED  \] [0-9]* test' <<<"$out" | grep -o '[0-9]*' | head -n 1)
	up=$((up + ${p:-0})) uf=$((uf + ${f:-0}))
	[ "$rc" -ne 0 ] && [ -z "$f" ] && uf=$((uf + 1))
done
echo "unit: $up passed, $uf failed"
# fuzzing: each libFuzzer target (the Makefile's FUZZ_TARGETS) for 20 s
# from its seed corpus
targets=${FUZZ_TARGETS:-wire config control metrics api}
echo "== fuzz (20 s each: $targets)"
# (a copy in a file: `tee /dev/stderr` reopened a redirected log and
# truncated it)
ftmp=$(mktemp)
FUZZ_SECS=20 tests/fuzz/run.sh $targets | tee "$ftmp"
fres=$(tail -n 1 "$ftmp")
rm -f "$ftmp"
fp=$(sed -n 's/^fuzz: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' <<<"$fres")
ff=$(sed -n 's/^fuzz: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' <<<"$fres")
[ -z "$ff" ] && ff=1 fp=0
up=$((up + fp)) uf=$((uf + ff))
# integration: once with the daemons as built, once with their ASan+UBSan
# build (a sanitizer report in a daemon's log fails the test); each slow
# scenario runs in the one pass its "# check: once in the PASS pass" line
# names: the sanitizers' pass, unless it measures memory (ASan's quarantine
# holds freed memory), then the plain one
ip_=0 if_=0
for pass in plain sanitizers; do
	echo "== integration tests, daemons: $pass"
	ires=$(mktemp)
	if [ $pass = sanitizers ]; then
		CHECK_PASS=sanitizers ONLINKD=$PWD/build/asan/onlinkd tests/integration/run.sh | tee "$ires"
	else
		CHECK_PASS=plain tests/integration/run.sh | tee "$ires"
	fi
	irc=${PIPESTATUS[0]}
	p=$(sed -n 's/^integration: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$ires")
	f=$(sed -n 's/^integration: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$ires")
	rm -f "$ires"
	[ -z "$f" ] && f=1 p=0
	[ "$irc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
	ip_=$((ip_ + p)) if_=$((if_ + f))
done
echo "total: $((up + ip_)) passed, $((uf + if_)) failed"
[ $((uf + if_)) -eq 0 ]
