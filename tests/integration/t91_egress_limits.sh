#!/usr/bin/env bash
# Egress limits: a slice of 8 ports exhausted towards one destination
# refuses the next flow cleanly (RST, counter, log line) without touching
# established flows, and recovers; idle flows are closed. The sanitizers'
# pass runs the proxy as on a kernel without IP_LOCAL_PORT_RANGE (before
# 6.3; its test build has the knob): the proxy picks the slice's ports
# itself, and every limit holds the same.
. "$(dirname "$0")/testlib.sh"
export LAB_SLICE_SIZE=8 LAB_EGRESS_IDLE=3
sanitized && export ONLINK_TEST_NO_PORT_RANGE=1
t_lab
lab_egress_clients
TOOLS=$LAB_ROOT/lab/tools
ESOCK=$LAB_DIR/egress-h1.sock
lab_spawn echo inet python3 "$TOOLS/echo_server.py" "$LAB_DIR/peers.log" 203.0.113.1:9000
wait_for 5 "echo server" n inet bash -c "exec 3<>/dev/tcp/203.0.113.1/9000"
# ports a closed flow left in TIME_WAIT may serve a new flow to the same
# destination (TCP timestamps keep that safe): a small slice needs it
n h1 sysctl -qw net.ipv4.tcp_tw_reuse=1
start_egressd 1
wait_for 5 "egress ready" bash -c "[ \"\$('$ONLINK' status -s '$ESOCK' --json | jq -r .ipv4.last)\" = 10007 ]"

# 8 flows held open use every port of h1's slice towards 203.0.113.1:9000;
# the 9th is refused; the 8 still work; once closed, flows go through again
n c1 python3 - "$LAB_DIR" "$ESOCK" <<'PY' > "$LAB_DIR/hold.out" 2>&1
import socket, sys, time, hashlib, os, json
d = sys.argv[1]
def active():
    c = socket.socket(socket.AF_UNIX); c.settimeout(5); c.connect(sys.argv[2]); c.sendall(b"status\n")
    out = b""
    while True:
        b = c.recv(65536)
        if not b: break
        out += b
    return json.loads(out)["tcp"]["active"]
held = []
for i in range(8):
    s = socket.socket(); s.settimeout(5); s.connect(("203.0.113.1", 9000)); s.sendall(b"x" * 100); held.append(s)
# the proxy holds all eight (each took its port at connect()): a condition,
# not a guess at how long a loaded machine takes
deadline = time.monotonic() + 30
while active() < 8:
    if time.monotonic() > deadline:
        print("the proxy never held the eight flows"); sys.exit(1)
    time.sleep(0.05)
# the typed API lists them: each from its own port of the slice
def ask(req):
    c = socket.socket(socket.AF_UNIX); c.settimeout(5); c.connect(sys.argv[2]); c.sendall(req + b"\n")
    out = b""
    while True:
        b = c.recv(65536)
        if not b: break
        out += b
    return json.loads(out)
fl = ask(b'{"api":1,"request":"flows"}')["flows"]
mine = [f for f in fl if f["proto"] == "tcp" and f["destination"] == "203.0.113.1:9000" and f["source"]
        and f["source"].startswith("192.0.2.10:") and 10000 <= int(f["source"].rsplit(":", 1)[1]) <= 10007]
print("flows listed:", len(mine), "ports:", len(set(f["source"] for f in mine)))
print("slices:", json.dumps(ask(b'{"api":1,"request":"slices"}')["slices"]))
s = socket.socket(); s.settimeout(5)
try:
    # (it only reads: a write racing the reset would fail as a broken pipe)
    s.connect(("203.0.113.1", 9000))
    print("ninth:", "answered" if s.recv(100) else "closed")
except Exception as e:
    print("ninth:", type(e).__name__)
ok = 0
for s in held:
    s.shutdown(socket.SHUT_WR)
    data = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
    ok += data.split(b"\n", 1)[0].decode() == hashlib.sha256(b"x" * 100).hexdigest()
print("held intact:", ok)
PY
check "the 9th flow on an exhausted slice gets a reset" grep -q "ninth: ConnectionResetError" "$LAB_DIR/hold.out"
check "the 8 established flows finished intact" grep -q "held intact: 8" "$LAB_DIR/hold.out"
check "the typed API listed the 8 flows, each from its own port of the slice" grep -q "flows listed: 8 ports: 8" "$LAB_DIR/hold.out"
check "...and the slice" grep -qF 'slices: [{"address": "192.0.2.10", "first": 10000, "last": 10007, "reserved": 0}' "$LAB_DIR/hold.out"
check_eq "exhaustion counted" "$(st "$ESOCK" .tcp.exhausted)" "1"
# the human view of the egress proxy (it printed "host -, providers on -")
out=$("$ONLINK" status -s "$ESOCK")
check "onlink status -s EGRESS.sock: the proxy's view" grep -q "^egress proxy on host h1, host agent connected" <<<"$out"
check "...its IPv4 slice" grep -Eq "^ipv4 +192.0.2.10 +10000-10007$" <<<"$out"
check "...and the refusal in its flow table" grep -Eq "^tcp +[0-9]+ +[0-9]+ +1 " <<<"$out"
check "exhaustion logged" grep -q "slice 10000-10007 exhausted" "$LAB_DIR/onlinkd-egress-h1.log"
# (tcp_tw_reuse takes a TIME_WAIT port back a second after its last segment)
check "after the flows closed, new flows to the same destination go through" \
	wait_for 10 "recovery" n c1 python3 "$TOOLS/echo_client.py" 203.0.113.1 9000 4 100

# idle timeout (3 s here): the proxy closes a silent flow
out=$(n c1 python3 -c '
import socket, time
s = socket.socket(); s.connect(("203.0.113.1", 9000)); s.settimeout(10)
t = time.monotonic(); b = s.recv(10)
print("closed after %.0f s" % (time.monotonic() - t) if not b else "data")')
check "an idle flow is closed by the proxy ($out)" grep -qE "closed after [3-5] s" <<<"$out"
check "idle close counted" bash -c "[ \$('$ONLINK' status -s '$ESOCK' --json | jq .tcp.idle_closed) -ge 1 ]"

# UDP: the slice's 8 ports taken by 8 flows to one destination; the 9th
# flow is refused and its client told so (ICMP port unreachable, from the
# address it sent to); the 8 keep working
lab_spawn udpecho inet python3 "$TOOLS/udp_echo.py" server "$LAB_DIR/udp.log" 203.0.113.1:5353
n c1 python3 - <<'PY' > "$LAB_DIR/udp.out" 2>&1
import socket
flows = []
for i in range(8):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
    s.connect(("203.0.113.1", 5353))
    for attempt in range(3):
        s.send(b"hello %d" % i)
        try:
            s.recv(100); break
        except socket.timeout:
            pass
    flows.append(s)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
s.connect(("203.0.113.1", 5353)); s.send(b"ninth")
try:
    s.recv(100); print("ninth: answered")
except Exception as e:
    print("ninth:", type(e).__name__)
ok = 0
for s in flows:
    s.send(b"again")
    try:
        ok += len(s.recv(100)) == 64
    except Exception:
        pass
print("eight still answered:", ok)
PY
check "UDP: the 9th flow on an exhausted slice is refused with an ICMP port unreachable" \
	grep -q "ninth: ConnectionRefusedError" "$LAB_DIR/udp.out"
check "UDP: the 8 flows keep working" grep -q "eight still answered: 8" "$LAB_DIR/udp.out"
# the lone client holds the whole slice, so it is refused as the client
# holding the most of a slice 90% full (docs/egress.md), before the slice
# itself has no port left
check "UDP: the refusal counted, for the client" bash -c "[ \$('$ONLINK' status -s '$ESOCK' --json | jq '.clients.refused[\"slice-tight\"].udp') -ge 1 ]"
if sanitized; then
	check "without IP_LOCAL_PORT_RANGE the proxy says it binds the slice's ports itself" \
		grep -q "no IP_LOCAL_PORT_RANGE (Linux 6.3): upstream sockets bind a port of the slice themselves" \
		"$LAB_DIR/onlinkd-egress-h1.log"
fi
