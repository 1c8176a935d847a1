# What the failover benchmarks (bench/failover.sh, bench/switch_failover.sh)
# share: the synthetic full table, and the stream that measures the loss.

# gen_table N FILE-A FILE-B: a synthetic full table, as BIRD static
# protocols: transit A announces every prefix, transit B the same ones with
# a longer AS path, so every route goes through A until it fails.
#
# A prefix-length mix like the IPv4 table's (about 60% /24, the rest
# mostly /19-/23), allocated upwards from 1.0.0.0, skipping the lab's and
# special-use ranges.
gen_table() { # N FILE-A FILE-B
	python3 - "$@" <<'PY'
import random, sys
n, fa, fb = int(sys.argv[1]), sys.argv[2], sys.argv[3]
random.seed(1)
mix = [(24, 60), (23, 10), (22, 12), (21, 5), (20, 5), (19, 3), (18, 2), (17, 1), (16, 1.5), (15, 0.3), (14, 0.2)]
seen = set()
lens = [l for l, _ in mix]; weights = [w for _, w in mix]
skip = [(10 << 24, 8), (100 << 24 | 64 << 16, 10), (127 << 24, 8), (169 << 24 | 254 << 16, 16), (172 << 24 | 16 << 16, 12),
        (192 << 24 | 0 << 16, 16), (198 << 24 | 18 << 16, 15), (198 << 24 | 51 << 16, 16), (203 << 24, 16)]
def bad(a, l):
    for s, sl in skip:
        m = (0xffffffff << (32 - min(l, sl))) & 0xffffffff
        if (a & m) == (s & m):
            return True
    return a >= 224 << 24
addr = 1 << 24
with open(fa, "w") as A, open(fb, "w") as B:
    A.write("protocol static table4 {\n\tipv4;\n")
    B.write("protocol static table4 {\n\tipv4;\n")
    for _ in range(n):
        l = random.choices(lens, weights)[0]
        size = 1 << (32 - l)
        addr = (addr + size - 1) & ~(size - 1)
        while True:
            if addr >= 224 << 24:
                # the space is used up: go round again; what follows are
                # more-specifics of earlier prefixes, as in the real table
                addr = (1 << 24) + random.randrange(1 << 20) * 256
                addr = (addr + size - 1) & ~(size - 1)
            if not bad(addr, l) and (addr, l) not in seen:
                break
            addr += size
        seen.add((addr, l))
        p = "%d.%d.%d.%d/%d" % (addr >> 24, addr >> 16 & 255, addr >> 8 & 255, addr & 255, l)
        A.write("route %s via 198.51.100.2;\n" % p)
        B.write("route %s via 198.51.100.6 { bgp_path.prepend(65002); };\n" % p)
        addr += size
    A.write("}\n")
    B.write("}\n")
PY
}

# stream_run LABEL HOST ACTION: a stream of 2000 UDP datagrams a second
# from HOST to 198.19.0.1 for SECS seconds, ACTION under it. ACTION sets
# T_DEATH, the moment the failure began. Prints: the loss (ms: the longest
# run of datagrams that never arrived, the tail included), the largest gap
# between arrivals (ms), whether the stream came back, what arrived and
# what was sent (a stream that never came back has no loss figure), and
# BGP's time to move the table (s: until HOST's FIB has no route via
# transit-a, at most CONVERGE_MAX) with the routes left then.
stream_run() {
	local label=$1 host=$2 action=$3 t1 left p sent
	rm -f "$LAB_DIR/rx.json" "$LAB_DIR/rx.json.count"
	# the receiver waits past the sender's end for its end mark
	lab_spawn "rx-$label" inet python3 "$STREAM" recv 198.19.0.1 9999 "$((SECS + 10))" "$LAB_DIR/rx.json"
	wait_for 5 "receiver" n inet ss -uln sport = 9999 >/dev/null
	lab_spawn "tx-$label" "$host" python3 "$STREAM" send 198.19.0.1 9999 2000 "$SECS"
	wait_for 10 "stream" bash -c "[ \$(cat '$LAB_DIR/rx.json.count' 2>/dev/null || echo 0) -gt 2000 ]" || return 1
	T_DEATH=
	$action
	while left=$(n "$host" ip -4 route show | grep -c 'via 10.0.1.1'); [ "$left" -gt 0 ]; do
		t1=$(date +%s.%N)
		awk -v a="$t1" -v b="$T_DEATH" -v m="$CONVERGE_MAX" 'BEGIN { exit !(a - b > m) }' && break
		sleep 0.2
	done
	t1=$(date +%s.%N)
	for p in "tx-$label" "rx-$label"; do
		p=$(lab_pid "$p")
		while kill -0 "$p" 2>/dev/null; do sleep 0.2; done
	done
	echo "   $label: $(jq -c . "$LAB_DIR/rx.json")" >&2
	sent=$(jq -r 'select(.sent) | .sent' "$LAB_DIR/tx-$label.log" 2>/dev/null | tail -n 1)
	echo "$(jq '.max_lost_run / 2' "$LAB_DIR/rx.json") $(jq .max_gap_ms "$LAB_DIR/rx.json") $(jq .recovered "$LAB_DIR/rx.json")" \
		"$(jq .received "$LAB_DIR/rx.json") ${sent:-0} $(awk -v a="$t1" -v b="$T_DEATH" 'BEGIN { printf "%.2f", a - b }') $left"
}
