#!/usr/bin/env bash
# `make memcheck`: integration tests with every daemon under valgrind's
# memcheck. Each daemon process writes build/memcheck/NAME.PID.log; the run
# fails on any invalid read or write, use of uninitialised memory, or
# definitely lost block. The tests whose timing valgrind's slowdown breaks
# (failover under a packet stream, the benchmarks) are not run here.
set -u
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
	echo "memcheck needs root (network namespaces): run 'sudo make memcheck'" >&2
	exit 1
fi
out=$PWD/build/memcheck
rm -rf "$out"
mkdir -p "$out"
cat > "$out/onlinkd" <<SH
#!/bin/sh
exec valgrind --quiet --vgdb=no --tool=memcheck --suppressions=$PWD/tests/valgrind.supp --leak-check=full --errors-for-leak-kinds=definite \\
	--show-leak-kinds=definite --track-origins=yes --trace-children=yes \\
	--log-file=$out/onlinkd.%p.log $PWD/build/onlinkd "\$@"
SH
chmod +x "$out/onlinkd"
# a daemon under valgrind needs longer to stop and to start
export ONLINKD=$out/onlinkd LAB_VALGRIND=1
TESTS=${TESTS:-"t10_forwarding.sh t20_follow.sh t30_restart.sh t40_auth.sh t80_egress_slices.sh t90_egress_tcp.sh t93_egress_udp.sh t110_metrics.sh t111_reload.sh"} \
	tests/integration/run.sh
irc=$?
bad=0 n=0
for f in "$out"/onlinkd.*.log; do
	[ -e "$f" ] || continue
	n=$((n + 1))
	if [ -s "$f" ]; then
		echo "== $f"
		head -n 40 "$f"
		bad=$((bad + 1))
	fi
done
echo "memcheck: $n daemon processes, $bad with valgrind reports"
[ "$n" -gt 0 ] && [ "$bad" -eq 0 ] && [ "$irc" -eq 0 ]
