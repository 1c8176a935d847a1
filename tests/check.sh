#!/usr/bin/env bash
# `make check`: unit tests (cmocka, ASan+UBSan builds), then integration
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
ires=$(mktemp)
tests/integration/run.sh | tee "$ires"
irc=${PIPESTATUS[0]}
ip_=$(sed -n 's/^integration: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$ires")
if_=$(sed -n 's/^integration: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$ires")
rm -f "$ires"
[ -z "$if_" ] && if_=1 ip_=0
[ "$irc" -ne 0 ] && [ "$if_" -eq 0 ] && if_=1
echo "total: $((up + ip_)) passed, $((uf + if_)) failed"
[ $((uf + if_)) -eq 0 ]
