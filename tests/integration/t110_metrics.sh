#!/usr/bin/env bash
# Observability: every daemon serves Prometheus metrics (`metrics =
# ADDR:PORT`); promtool accepts what they serve; the numbers follow what
# happens (a MAC change, a reconnect, egress flows); bad scrapes get an
# HTTP error and the daemon keeps serving.
. "$(dirname "$0")/testlib.sh"
export LAB_METRICS=1
t_lab
PROMTOOL=$LAB_ROOT/build/tools/promtool
lab_egress_clients
start_egressd 1
ESOCK=$LAB_DIR/egress-h1.sock
wait_for 10 "egress ready" bash -c "[ \"\$('$ONLINK' status -s '$ESOCK' --json | jq -r .ipv4.address)\" = 192.0.2.10 ]"

scrape() { n "$1" curl -sf --max-time 5 "http://127.0.0.1:$2/metrics"; }
# metric NS PORT 'NAME{LABELS}': its value
metric() { scrape "$1" "$2" | awk -v m="$3" '$1 == m { print $2 }'; }
lint() { scrape "$1" "$2" > "$LAB_DIR/scrape" && "$PROMTOOL" check metrics < "$LAB_DIR/scrape"; }

check "switch agent: promtool accepts its metrics" lint sw 9477
check "host agent: promtool accepts its metrics" lint h1 9477
check "egress daemon: promtool accepts its metrics" lint h1 9478

# contrib/grafana/onlink.json: valid JSON, and every metric its panels
# query is one the daemons export (h1 probing, with traffic counters)
cat >> "$LAB_DIR/host-h1.conf" <<CONF

[probe]
target = 203.0.113.1
interval = 200ms
CONF
kill -HUP "$(lab_pid onlinkd-h1)"
# and the switch steering by measurement (the dashboard's steering panels)
printf '\n[steer]\nprefix = 203.0.113.0/24\ntarget = 203.0.113.1\nwindow = 2s\n' >> "$LAB_DIR/switch.conf"
kill -HUP "$(lab_pid onlinkd-sw)"
check "switch: steering metrics once [steer] is given" wait_for 15 "steer" \
	bash -c "ip netns exec ${LAB_PREFIX}sw curl -sf http://127.0.0.1:9477/metrics | grep -q '^onlink_steer_reports_total [1-9]'"
check "switch: promtool accepts its metrics with steering" lint sw 9477
check "host: probe metrics once [probe] is given" wait_for 15 "probes" \
	bash -c "ip netns exec ${LAB_PREFIX}h1 curl -sf http://127.0.0.1:9477/metrics | grep -q '^onlink_probe_best{'"
check "host: promtool accepts its metrics with probes and traffic counters" lint h1 9477
DASH=$LAB_ROOT/contrib/grafana/onlink.json
check "the Grafana dashboard is valid JSON with panels" jq -e '.panels | length > 10' "$DASH"
# the families each daemon declares (# TYPE), and the samples it serves
for d in "sw 9477" "h1 9477" "h1 9478"; do scrape $d; done |
	awk '/^# TYPE / { print $3; next } !/^#/ { sub(/[{ ].*/, ""); print }' | sort -u > "$LAB_DIR/exported"
for mname in $(jq -r '.. | .expr? // empty' "$DASH" | grep -oE 'onlink_[a-z_]+' | sort -u); do
	check "the dashboard's $mname is exported" grep -qx "$mname" "$LAB_DIR/exported"
done
check_eq "switch: both hosts connected" "$(metric sw 9477 onlink_switch_peers_connected)" "2"
check_eq "switch: transit-a up" "$(metric sw 9477 'onlink_switch_provider_up{provider="transit-a"}')" "1"
check_eq "host: its switch agent connected" "$(metric h1 9477 'onlink_host_switch_connected{switch="sw1"}')" "1"
check_eq "host: transit-a (table 101) up" "$(metric h1 9477 'onlink_host_provider_up{provider="transit-a",table="101"}')" "1"
check_eq "host: ready" "$(metric h1 9477 onlink_host_ready)" "1"

# a MAC change on the provider's side: counted once for each of its
# addresses (IPv4 and IPv6)
before=$(metric sw 9477 'onlink_switch_mac_changes_total{provider="transit-a"}')
n pa ip link set eth0 address 02:00:00:00:01:99
check "switch: the MAC change is counted for both addresses" wait_for 5 "mac change" \
	bash -c "[ \"\$(ip netns exec ${LAB_PREFIX}sw curl -sf http://127.0.0.1:9477/metrics | awk '\$1 == \"onlink_switch_mac_changes_total{provider=\\\"transit-a\\\"}\" { print \$2 }')\" = $((before + 2)) ]"
n pa ip link set eth0 address "$PROVIDER_MAC_A"

# the host agent's reconnect after a switch agent restart
check_eq "host: one session so far" "$(metric h1 9477 'onlink_host_switch_sessions_total{switch="sw1"}')" "1"
lab_stop onlinkd-sw
start_switchd
check "host: the reconnect is counted" wait_for 15 "reconnect" \
	bash -c "ip netns exec ${LAB_PREFIX}h1 curl -sf http://127.0.0.1:9477/metrics | grep -qx 'onlink_host_switch_sessions_total{switch=\"sw1\"} 2'"
check "switch agent restarted: serves metrics again" lint sw 9477

# egress flows and bytes
lab_spawn echo inet python3 "$LAB_ROOT/lab/tools/echo_server.py" "$LAB_DIR/peers.log" 203.0.113.1:9000
wait_for 5 "echo server" n inet bash -c "exec 3<>/dev/tcp/203.0.113.1/9000"
check "egress: 5 transfers through the proxy" quiet n c1 python3 "$LAB_ROOT/lab/tools/echo_client.py" 203.0.113.1 9000 5 100000
check_eq "egress: 5 TCP flows counted" "$(metric h1 9478 'onlink_egress_flows_total{proto="tcp"}')" "5"
check "egress: bytes up counted (5 x 100000)" \
	[ "$(metric h1 9478 'onlink_egress_bytes_total{proto="tcp",direction="up"}')" -ge 500000 ]
check_eq "egress: h1's IPv4 slice is 10000 ports" "$(metric h1 9478 'onlink_egress_slice_ports{family="ipv4"}')" "10000"
check "egress: still valid after traffic" lint h1 9478

# bad scrapes: an HTTP error each, and the daemon keeps serving
code() { n sw curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@"; }
check_eq "another path: 404" "$(code http://127.0.0.1:9477/nope)" "404"
check_eq "another method: 405" "$(code -X POST http://127.0.0.1:9477/metrics)" "405"
check "HEAD: the headers of the metrics, no body" bash -c "
	ip netns exec ${LAB_PREFIX}sw curl -sI --max-time 5 http://127.0.0.1:9477/metrics > '$LAB_DIR/head' &&
	grep -q '^HTTP/1.1 200' '$LAB_DIR/head' && [ \$(awk 'tolower(\$1) == \"content-length:\" { print \$2 + 0 }' '$LAB_DIR/head') -gt 1000 ]"
check_eq "a query string is ignored" "$(code 'http://127.0.0.1:9477/metrics?x=1')" "200"
garbage=$(n sw python3 -c '
import socket
s = socket.create_connection(("127.0.0.1", 9477), 5)
s.sendall(b"\x00\xff garbage\r\n\r\n")
print(s.recv(100).split(b"\r\n")[0].decode())')
check_eq "garbage: 400" "$garbage" "HTTP/1.1 400 Bad Request"
silent=$(n sw python3 -c '
import socket, time
s = socket.create_connection(("127.0.0.1", 9477), 5)
s.settimeout(10); t = time.time()
print("closed" if s.recv(100) == b"" else "answered", round(time.time() - t))')
check "a client that sends nothing is dropped within 7 s ($silent)" bash -c "[[ '$silent' =~ ^closed\ [5-7]$ ]]"
check "still serving" lint sw 9477
check "switch agent still running" kill -0 "$(lab_pid onlinkd-sw)"

# a bad value in the config is refused with FILE:LINE
printf '[egress]\nclients = 100.64.0.0/10\nmetrics = 127.0.0.1\n' > "$LAB_DIR/bad.conf"
out=$("$ONLINKD" -n -c "$LAB_DIR/bad.conf" 2>&1)
check_eq "bad metrics address: FILE:LINE" "$out" "$LAB_DIR/bad.conf:3: metrics: bad address '127.0.0.1' (ADDR:PORT or [ADDR6]:PORT)"

# syslog = yes: the same lines reach syslog, facility daemon, with their
# level. The test gives the daemon its own /dev/log (a private mount
# namespace with a tmpfs /dev) and reads what arrives there.
ns_add obs
cat > "$LAB_DIR/syslog-egress.conf" <<CONF
[egress]
host-control = $LAB_DIR/nobody.sock
clients = 100.64.0.0/10
control = $LAB_DIR/syslog-egress.sock
syslog = yes
CONF
n obs unshare -m --propagation private bash -c "
	mkdir -p '$LAB_DIR/realdev' && mount --bind /dev '$LAB_DIR/realdev' && mount -t tmpfs none /dev || exit 1
	for f in null zero urandom random; do touch /dev/\$f && mount --bind '$LAB_DIR/realdev/'\$f /dev/\$f || exit 1; done
	timeout 10 python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(\"/dev/log\"); s.settimeout(3)
with open(sys.argv[1], \"w\") as out:
    try:
        while True:
            out.write(s.recv(4096).decode(errors=\"replace\") + \"\n\"); out.flush()
    except socket.timeout:
        pass
' '$LAB_DIR/syslog.out' &
	for _ in \$(seq 50); do [ -S /dev/log ] && break; sleep 0.05; done
	timeout -s TERM 2 '$ONLINKD' egress -c '$LAB_DIR/syslog-egress.conf' 2>/dev/null
	wait" 
check "syslog = yes: the start-up line reaches syslog as daemon.info from onlinkd-egress" \
	grep -qE '^<30>.*onlinkd-egress\[[0-9]+\]: egress proxy running' "$LAB_DIR/syslog.out"
check "...and a warning as daemon.warning" grep -qE '^<28>.*onlinkd-egress\[[0-9]+\]: host agent at .*nobody.sock' "$LAB_DIR/syslog.out"

# A connect flood to the switch's metrics port from one address (127.0.0.2,
# holding every slot and connecting again as fast as it can) never costs
# a scraper from another address (127.0.0.1) its answer: slots are given
# up by the address that holds the most. Before, the oldest idle client
# was closed, and a flood closed the scraper's before it had sent its
# request.
cat > "$LAB_DIR/mxflood.py" <<'PY'
import os, socket, struct, sys, time
# until the stop file exists (the test's scrapes may be slow under ASan),
# 300 s at most. Each socket is closed with a reset (SO_LINGER 0): closed
# the ordinary way, a minute of flooding leaves every port of 127.0.0.2 in
# TIME_WAIT and the flood stops by itself.
end, stop, out = time.monotonic() + 300, sys.argv[1], sys.argv[2]
held, made, told = [], 0, 0
while time.monotonic() < end and not os.path.exists(stop):
    if made - told >= 20:  # how many so far, for the test
        with open(out + ".tmp", "w") as f:
            f.write("%d\n" % made)
        os.rename(out + ".tmp", out); told = made
    try:
        s = socket.socket(); s.setblocking(False)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.bind(("127.0.0.2", 0))
        s.connect_ex(("127.0.0.1", 9477)); held.append(s); made += 1
    except OSError:
        s.close()
    if len(held) > 300:
        held.pop(0).close()
print(made)
PY
lab_spawn mxflood sw python3 "$LAB_DIR/mxflood.py" "$LAB_DIR/mxflood.stop" "$LAB_DIR/mxflood.made"
flooding() { [ "$(n sw ss -Htn state established '( dport = :9477 )' src 127.0.0.2 | wc -l)" -ge 8 ]; }
check "a connect flood from one address holds the metrics port's slots" wait_for 5 "flood" flooding
made0=$(cat "$LAB_DIR/mxflood.made")
ok_scrapes=0
for i in $(seq 20); do
	n sw curl -sf --max-time 5 --interface 127.0.0.1 -o /dev/null http://127.0.0.1:9477/metrics && ok_scrapes=$((ok_scrapes + 1))
done
made1=$(cat "$LAB_DIR/mxflood.made")
check "...the flood went on during the scrapes ($made0 -> $made1 connections)" [ "$made1" -gt $((made0 + 50)) ]
check_eq "...20 scrapes from another address during it: all answered" "$ok_scrapes" "20"
check "...the switch agent said which address it closed slots of" wait_for 10 "log" grep -q "metrics: 8 clients at once: the oldest idle one of 127.0.0.2" "$LAB_DIR/onlinkd-sw.log"
touch "$LAB_DIR/mxflood.stop"
lab_stop mxflood
