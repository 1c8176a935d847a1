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

# BIRD on the switch: a protocol's state, and its "since" (HH:MM:SS.mmm)
bird_state() { birdc_ sw show protocols "$1" | awk -v p="$1" '$1 == p { print $4 }'; }
since_of() { birdc_ sw show protocols "$1" | awk -v p="$1" '$1 == p { print $5 }'; }
# Whether sessions kept their "since" (BIRD's time of their last state
# change) up to 1 s: BIRD moves it by a millisecond or so around a route
# refresh, while a restart moves it by the seconds BGP takes to come back
# (8 s in this lab). kept "A4 A6 ..." "B4 B6 ...", pairwise.
kept() {
	python3 - "$1" "$2" <<'PY'
import sys
def ms(t):
    h, m, s = t.split(":"); return (int(h) * 3600 + int(m) * 60) * 1000 + round(float(s) * 1000)
a, b = sys.argv[1].split(), sys.argv[2].split()
ok = len(a) == len(b) and all(min(abs(ms(x) - ms(y)), 86400000 - abs(ms(x) - ms(y))) < 1000 for x, y in zip(a, b))
sys.exit(0 if ok else 1)
PY
}

# "Nothing changed" checks on a namespace's kernel objects, with proof the
# monitor was live: a sentinel (a blackhole route in table 999, added and
# removed) must show in the log after what is checked. A check that cannot
# see its sentinel fails instead of passing on an empty log.
#   mon_start NS; m=$(mon_mark NS); ...; check_eq "..." "$(mon_since NS $m | filter)" ""
MON_SEQ=0
mon_start() { # NS: `ip monitor` of NS, logged to $LAB_DIR/mon-NS.log
	lab_spawn "mon-$1" "$1" ip -ts monitor address route rule neigh link
	mon_sentinel "$1" || not_ok "the kernel monitor of $1 shows its sentinel"
}
mon_sentinel() { # NS: 0 once the monitor shows a fresh sentinel (10 s at most)
	MON_SEQ=$((MON_SEQ + 1))
	local a="100.127.$((MON_SEQ / 250)).$((MON_SEQ % 250 + 1))"
	n "$1" ip route add blackhole "$a/32" table 999 && n "$1" ip route del blackhole "$a/32" table 999 &&
		wait_for 10 "monitor sentinel $a" grep -q "$a " "$LAB_DIR/mon-$1.log"
}
mon_mark() { # NS: the log's length, once a fresh sentinel is in it
	mon_sentinel "$1" >&2
	wc -l < "$LAB_DIR/mon-$1.log"
}
mon_since() { # NS MARK: what was logged since MARK (sentinels left out), once a fresh sentinel proves the monitor live; 1 if it is not
	mon_sentinel "$1" >&2 || { echo "(the kernel monitor of $1 is not live: no sentinel)"; return 1; }
	tail -n +$(($2 + 1)) "$LAB_DIR/mon-$1.log" | grep -v ' 100\.127\.[0-9]*\.[0-9]* '
}
