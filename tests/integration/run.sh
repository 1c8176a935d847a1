#!/usr/bin/env bash
# Runs every integration test (tests/integration/t*.sh), one lab each, and
# prints one summary line. Needs root: the tests create network namespaces.
set -u
cd "$(dirname "$0")"
if [ "$(id -u)" != 0 ]; then
	echo "integration tests need root (network namespaces): run 'make check' as root" >&2
	exit 1
fi
pass=0 fail=0 failed_files=""
res=$(mktemp)
for t in ${TESTS:-t[0-9]*.sh}; do
	# slow scenarios run in one pass of make check only: a line
	# "# check: once in the PASS pass" (plain or sanitizers) names it, and
	# tests/check.sh says which pass this is (CHECK_PASS)
	once=$(sed -n 's/^# check: once in the \([a-z]*\) pass.*/\1/p' "$t")
	if [ -n "${CHECK_PASS:-}" ] && [ -n "$once" ] && [ "$once" != "$CHECK_PASS" ]; then
		echo "== $t: in the $once pass only"
		continue
	fi
	echo "== $t"
	: > "$res"
	t0=$SECONDS
	T_RESULT=$res timeout 600 bash "$t"
	rc=$?
	echo "== $t: $((SECONDS - t0)) s"
	read -r p f < "$res" || { p=0; f=1; }
	[ "$rc" -ne 0 ] && [ "${f:-0}" -eq 0 ] && f=1
	pass=$((pass + p)) fail=$((fail + f))
	[ "$rc" -ne 0 ] && failed_files+=" $t"
done
rm -f "$res"
[ -n "$failed_files" ] && echo "failed:$failed_files"
echo "integration: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
