#!/usr/bin/env bash
# The switch agent before authentication, under a hostile segment: one
# namespace (ld) opens IDLE idle connections, then sends first handshake
# messages of garbage on fresh connections as fast as it can for SECS
# seconds, from ADDRS addresses of its own (1: a hostile host; more: the
# switch agent's limit of 512 unauthenticated connections in all, with the
# oldest closed for each new one, rather than its 8 per address).
# Meanwhile a real host agent starts, and `onlink status` is asked of the
# switch agent again and again. Targets: the host agent authenticated
# within 1 s of its start, every status answered within 100 ms, the
# switch agent's peak RSS under 32 MiB. Part of `make bench`;
# `bench/preauth.sh` alone, as root. Knobs: SECS (10), IDLE (15000),
# ADDRS (1).
set -u
. "$(dirname "$0")/../lab/lib.sh"
SECS=${SECS:-10} IDLE=${IDLE:-15000} ADDRS=${ADDRS:-1}
bench_init preauth
[ -n "${KEEP_BENCH:-}" ] && trap 'lab_down' EXIT
# Each attacker address takes an entry in the kernel's neighbor table,
# whose limit (gc_thresh3, 1024) is shared by every namespace of the
# machine: a few hundred at most, so that the benchmark never crowds out
# the machine's own entries. (At 2000, the switch's kernel could not
# answer the real host's ARP: the kernel's limit, not onlink's, refused
# it.)
[ "$ADDRS" -ge 1 ] && [ "$ADDRS" -le 256 ] || { echo "bench/preauth.sh: ADDRS from 1 to 256" >&2; exit 2; }
NADDR=$ADDRS
lab_one_host_pop "$NADDR" || exit 1
lab_spawn onlinkd-sw sw "$ONLINKD" switch -c "$LAB_DIR/switch.conf"
wait_for 10 "switch agent" test -S "$LAB_DIR/switch.sock" || exit 1
SW=$(lab_pid onlinkd-sw)

# the attacker: IDLE idle connections, 8 from each of its addresses, then
# garbage first messages (a version-7 handshake frame of random bytes, the
# size of a real one) on fresh connections, as fast as it can
cat > "$LAB_DIR/flood.py" <<'PY'
import os, resource, select, socket, sys, time
secs, idle, naddr = float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
lim = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
resource.setrlimit(resource.RLIMIT_NOFILE, (min(idle + 4096, lim), lim))
def addr(i):  # lab_load_addrs: 10.20.128.0 + i, i from 1
    return "10.20.%d.%d" % (128 + i // 256, i % 256)
held = []
for i in range(idle):
    s = socket.socket(); s.setblocking(False)
    s.bind((addr(1 + i % naddr), 0))
    s.connect_ex(("10.20.0.1", 4710))
    held.append(s)
print("idle %d" % len(held), flush=True)
frame = bytes([7, 1, 0, 146])
sent, end, i = 0, time.monotonic() + secs, 0
open_ = []
while time.monotonic() < end:
    for _ in range(64):
        s = socket.socket(); s.setblocking(False)
        try:
            s.bind((addr(1 + (i % naddr)), 0)); i += 1
            s.connect_ex(("10.20.0.1", 4710))
            open_.append(s)
        except OSError:
            s.close()
    p = select.poll()
    byfd = {s.fileno(): s for s in open_}
    for fd in byfd:
        p.register(fd, select.POLLOUT)
    for fd, ev in p.poll(10):
        s = byfd[fd]
        if ev & select.POLLOUT:
            try:
                s.send(frame + os.urandom(146)); sent += 1
            except OSError:
                pass
        s.close(); open_.remove(s)
    if len(open_) > 2000:
        for s in open_[:1000]:
            s.close()
        del open_[:1000]
print("garbage %d" % sent, flush=True)
PY
lab_spawn flood ld python3 "$LAB_DIR/flood.py" "$SECS" "$IDLE" "$NADDR"
wait_for 60 "the idle connections" grep -q "^idle" "$LAB_DIR/flood.log" || exit 1
sleep 1 # the garbage has begun: the host agent starts into it
t0=$(date +%s%N)
lab_spawn onlinkd-h1 h1 "$ONLINKD" host -c "$LAB_DIR/host-h1.conf"
up() { [ "$("$ONLINK" status -s "$LAB_DIR/host-h1.sock" --json 2>/dev/null | jq -r '.switches[0].state')" = up ]; }
wait_for 30 "h1 authenticated" up
t_auth=$(( ($(date +%s%N) - t0) / 1000000 ))
# the operator's view, again and again while the flood lasts
: > "$LAB_DIR/status-ms"
while kill -0 "$(lab_pid flood)" 2>/dev/null; do
	s0=$(date +%s%N)
	"$ONLINK" status -s "$LAB_DIR/switch.sock" --json > /dev/null || echo "failed" >> "$LAB_DIR/status-ms"
	echo $(( ($(date +%s%N) - s0) / 1000000 )) >> "$LAB_DIR/status-ms"
	sleep 0.2
done
hwm=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$SW/status")
python3 - "$t_auth" "$LAB_DIR/status-ms" "$hwm" "$LAB_DIR/flood.log" "$ADDRS" <<'PY' | tee "${BENCH_OUT:-/dev/null}"
import json, sys
t_auth, hwm = int(sys.argv[1]), int(sys.argv[3])
ms = [l.strip() for l in open(sys.argv[2])]
failed = ms.count("failed")
lat = [int(x) for x in ms if x != "failed"]
flood = dict(l.split() for l in open(sys.argv[4]) if l.split()[0] in ("idle", "garbage"))
ok = t_auth <= 1000 and lat and max(lat) <= 100 and not failed and hwm < 32 * 1024
print(json.dumps({"attacker_addresses": int(sys.argv[5]), "idle_connections": int(flood.get("idle", 0)), "garbage_messages": int(flood.get("garbage", 0)),
                  "host_authenticated_ms": t_auth, "status_max_ms": max(lat) if lat else None,
                  "status_answers": len(lat), "status_failed": failed, "switch_peak_rss_kib": hwm,
                  "targets": "auth <= 1000 ms, status <= 100 ms, RSS < 32 MiB", "met": bool(ok)}))
PY
