#!/usr/bin/env bash
# How soon a slice change reaches the egress proxy (bench/README.md): the
# POP lab with h1's egress proxy subscribed to its host agent (the local
# API). ROUNDS times (default 10), h1's IPv4 slice is changed in the
# switch's config and the switch agent reloaded; a subscriber of its own
# to the host agent (the same API the proxy uses) stamps when the host
# agent publishes the new slice, and a tight loop on the proxy's control
# socket stamps when the proxy uses it. Both on one clock (monotonic, one
# process). Targets: under 100 ms from the host agent to the proxy, and
# under 100 ms from the switch agent's SIGHUP (median and max): the switch
# agent applies a slice change in place and sends each session a new
# snapshot (before, a reload restarted it: 278-300 ms).
set -u
. "$(dirname "$0")/../lab/lib.sh"
if [ "$(id -u)" != 0 ]; then echo "the benchmark creates network namespaces: run 'make bench' as root" >&2; exit 1; fi
ROUNDS=${ROUNDS:-10}
LAB_DIR=$(mktemp -d /tmp/onlink-bench-slices.XXXXXX)
lab_init "$LAB_DIR"
trap 'lab_down; rm -rf "$LAB_DIR"' EXIT
echo "bringing up the lab ..."
lab_up || exit 1
lab_egress_clients
start_egressd 1
wait_for 10 "egress proxy" bash -c "[ \"\$('$ONLINK' status -s '$LAB_DIR/egress-h1.sock' --json | jq -r .ipv4.last)\" = 19999 ]" || exit 1
echo "measuring: $ROUNDS slice changes ..."
python3 - "$LAB_DIR" "$(lab_pid onlinkd-sw)" "$ROUNDS" <<'PY'
import json, os, re, select, signal, socket, statistics, sys, time
lab, swpid, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
# one thread: the subscriber's lines are read (and stamped) between two
# queries of the proxy, each a fraction of a millisecond
sub = socket.socket(socket.AF_UNIX); sub.connect(f"{lab}/host-h1.sock")
sub.sendall(b'{"api":1,"request":"subscribe","topics":["egress-slices"]}\n')
buf = b""
def published():
    """(when, h1's last port of 192.0.2.10) for each line the host agent sent since"""
    global buf
    out = []
    while select.select([sub], [], [], 0)[0]:
        d = sub.recv(65536)
        if not d: sys.exit("the host agent closed the subscription")
        now = time.monotonic()
        buf += d
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            for sl in json.loads(line).get("slices", []):
                if sl["address"] == "192.0.2.10": out.append((now, sl["last"]))
    return out
def proxy_last():
    s = socket.socket(socket.AF_UNIX); s.connect(f"{lab}/egress-h1.sock"); s.sendall(b"status\n")
    out = b""
    while True:
        d = s.recv(65536)
        if not d: break
        out += d
    s.close()
    v = json.loads(out).get("ipv4")
    return v and v["last"]
conf = f"{lab}/switch.conf"
host_to_proxy, reload_to_proxy = [], []
last = 19999
time.sleep(0.2); published()  # the subscription's first answer
for r in range(rounds):
    new = 15000 + r if last == 19999 else 19999
    text = open(conf).read()
    text = re.sub(rf"^slice = h1 10000-{last}$", f"slice = h1 10000-{new}", text, count=1, flags=re.M)
    open(conf, "w").write(text)
    t0 = time.monotonic()
    os.kill(swpid, signal.SIGHUP)
    t1 = None
    while True:
        for when, v in published():
            if v == new and t1 is None: t1 = when
        if proxy_last() == new: break
        if time.monotonic() - t0 > 30: sys.exit("the proxy never got the slice")
    t2 = time.monotonic()
    while t1 is None and time.monotonic() - t2 < 1:
        for when, v in published():
            if v == new and t1 is None: t1 = when
    if t1 is None: sys.exit("the host agent never published the slice")
    host_to_proxy.append(max(0.0, (t2 - t1) * 1000)); reload_to_proxy.append((t2 - t0) * 1000)
    if os.environ.get("VERBOSE"): print(r, new, round((t1 - t0) * 1000, 1), round((t2 - t0) * 1000, 1), file=sys.stderr)
    last = new
    time.sleep(0.5)
def row(name, v):
    v = sorted(v)
    print(f"| {name} | {statistics.median(v):.1f} | {v[-1]:.1f} |")
print(f"\n{rounds} slice changes\n")
print("| from ... to the egress proxy using the new slice (ms) | median | max |")
print("|---|---:|---:|")
row("the host agent publishing it (target < 100)", host_to_proxy)
row("the switch agent's SIGHUP (a reload in place: a new snapshot in each session) (target < 100)", reload_to_proxy)
ok = max(host_to_proxy) < 100
print(f"\ntarget (host agent to proxy under 100 ms, every change): {'met' if ok else '**missed**'}")
ok = statistics.median(reload_to_proxy) < 100 and max(reload_to_proxy) < 100
print(f"target (switch agent's SIGHUP to proxy under 100 ms, median and max): {'met' if ok else '**missed**'}")
PY
