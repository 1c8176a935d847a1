# Helpers for integration tests: each test file brings up its own POP lab
# (unique namespace names), asserts, and always tears it down.
. "$(dirname "${BASH_SOURCE[0]}")/../../lab/lib.sh"

T_PASS=0
T_FAIL=0
T_NAME=$(basename "$0" .sh)

ok() { T_PASS=$((T_PASS + 1)); echo "ok - $T_NAME: $*"; }
not_ok() { T_FAIL=$((T_FAIL + 1)); echo "not ok - $T_NAME: $*"; }
# check DESCRIPTION COMMAND...: one assertion
check() { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
# check_eq DESCRIPTION GOT WANT
check_eq() {
	if [ "$2" == "$3" ]; then ok "$1"; else not_ok "$1 (got '$2', want '$3')"; fi
}

t_cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	# stop everything first: a sanitizer build reports leaks as it exits
	lab_down
	local f
	for f in "$LAB_DIR"/onlinkd-*.log; do
		[ -f "$f" ] || continue
		if grep -qE "AddressSanitizer|LeakSanitizer|runtime error:" "$f"; then
			not_ok "sanitizer report in $(basename "$f"):"
			grep -m1 -A15 -E "AddressSanitizer|LeakSanitizer|runtime error:" "$f"
		fi
	done
	if [ -n "${KEEP_LOGS:-}" ]; then mkdir -p "$KEEP_LOGS"; cp "$LAB_DIR"/*.log "$KEEP_LOGS"/ 2>/dev/null; fi
	if [ "$T_FAIL" -gt 0 ] || [ "$rc" -ne 0 ]; then
		for f in "$LAB_DIR"/onlinkd-*.log; do
			[ -f "$f" ] || continue
			echo "---- $(basename "$f") (last 30 lines)"
			tail -n 30 "$f"
		done
	fi
	rm -rf "$LAB_DIR"
	echo "$T_PASS $T_FAIL" > "${T_RESULT:-/dev/null}"
	[ "$rc" -ne 0 ] && [ "$T_FAIL" -eq 0 ] && echo "not ok - $T_NAME: aborted (exit $rc)"
	exit $(( rc != 0 || T_FAIL > 0 ))
}

t_setup() {
	LAB_DIR=$(mktemp -d /tmp/onlink-test.XXXXXX)
	lab_init "$LAB_DIR"
	trap t_cleanup EXIT
	trap 'exit 130' INT TERM
}

t_lab() { t_setup; lab_up || { not_ok "lab came up"; exit 1; }; ok "lab came up (BGP and onlink converged)"; }

# jq over a daemon's status
st() { local sock=$1; shift; "$ONLINK" status -s "$sock" --json | jq -r "$@"; }
host_sock() { echo "$LAB_DIR/host-h$1.sock"; }

# nft named counter value in a namespace
counter() { n "$1" nft -j list counter inet t "$2" | jq '.nftables[] | select(.counter) | .counter.packets'; }
quiet() { "$@" >/dev/null 2>&1; }

# the daemons are the ASan+UBSan build (tests/check.sh's second pass):
# their memory use says nothing about onlink's
sanitized() { [[ $ONLINKD == */asan/* ]]; }
