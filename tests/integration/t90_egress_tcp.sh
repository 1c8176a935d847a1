#!/usr/bin/env bash
# Soft-unicast egress for TCP: client flows are terminated on h1 and
# re-originated from the shared address inside h1's port slice; local
# sockets using the same address never collide with them, which the
# conntrack SNAT approach gets wrong (shown here too).
. "$(dirname "$0")/testlib.sh"
t_lab
lab_egress_clients
TOOLS=$LAB_ROOT/lab/tools
PEERS=$LAB_DIR/peers.log
lab_spawn echo inet python3 "$TOOLS/echo_server.py" "$PEERS" 203.0.113.1:9000 "[2001:db8:ff::1]:9000"
wait_for 5 "echo server" n inet bash -c "exec 3<>/dev/tcp/203.0.113.1/9000"
: > "$PEERS"
ESOCK=$LAB_DIR/egress-h1.sock
in_slice() { awk -v a="$1" -v lo="$2" -v hi="$3" '$1 != a || $2 < lo || $2 > hi { bad++ } END { exit bad > 0 || NR == 0 }' "$PEERS"; }

# fail closed: a slice outside the system's ephemeral range is refused
n h1 sysctl -qw net.ipv4.ip_local_port_range="32768 60999"
start_egressd 1
check "egress daemon refuses a slice the kernel would ignore" wait_for 5 "refused" \
	grep -q "IPv4 egress refused: slice 10000-19999 is outside net.ipv4.ip_local_port_range" "$LAB_DIR/onlinkd-egress-h1.log"
check "...and flows are reset, not leaked from another port" bash -c "! ip netns exec ${LAB_PREFIX}c1 python3 $TOOLS/echo_client.py 203.0.113.1 9000 1 10"
check_eq "...counted" "$(st "$ESOCK" '.tcp.no_source')" "1"
n h1 sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
kill -HUP "$(lab_pid onlinkd-egress-h1)"
check "SIGHUP: the daemon asks the host agent again" wait_for 5 "ipv4" \
	bash -c "[ \"\$('$ONLINK' status -s '$ESOCK' --json | jq -r .ipv4.address)\" = 192.0.2.10 ]"
: > "$PEERS"

# the egress proxy subscribes to the host agent's slices (the local API):
# a slice change reaches it as the host agent learns it, not at a poll
check_eq "the egress proxy is the host agent's subscriber" "$(st "$(host_sock 1)" '.subscribers')" "1"
slice_change() { # FROM TO: h1's IPv4 slice in the switch's config, then applied
	sed -i "0,/^slice = h1 $1\$/s//slice = h1 $2/" "$LAB_DIR/switch.conf"
	kill -HUP "$(lab_pid onlinkd-sw)"
	wait_for 20 "h1 agent: slice $2" bash -c "[ \"\$('$ONLINK' status -s '$(host_sock 1)' --json | jq -r '.egress[] | select(.address == \"192.0.2.10\") | \"\\(.mine.first)-\\(.mine.last)\"')\" = $2 ]"
}
slice_change 10000-19999 10000-14999
check "a slice change reaches the egress proxy within 2 s of the host agent (it pushes; a poll took up to 5 s)" \
	wait_for 2 "egress proxy: slice 10000-14999" bash -c "[ \"\$('$ONLINK' status -s '$ESOCK' --json | jq -r '.ipv4.last')\" = 14999 ]"
slice_change 10000-14999 10000-19999
check "...and back" wait_for 2 "egress proxy: slice 10000-19999" bash -c "[ \"\$('$ONLINK' status -s '$ESOCK' --json | jq -r '.ipv4.last')\" = 19999 ]"
wait_for 10 "h1 session" bash -c "[ \"\$('$ONLINK' status -s '$(host_sock 1)' --json | jq -r '.switches[0].state')\" = up ]"

# 1. many connections, several sizes, half-closed by the client, both ways intact
check "IPv4: 60 concurrent transfers (0 B to 2 MB) intact both ways" \
	quiet n c1 python3 "$TOOLS/echo_client.py" 203.0.113.1 9000 60 0,1,1460,65536,100000,2000000
check "IPv4: the server saw only 192.0.2.10, ports in h1's slice 10000-19999" in_slice 192.0.2.10 10000 19999
: > "$PEERS"
check "IPv6: 30 concurrent transfers intact both ways" \
	quiet n c1 python3 "$TOOLS/echo_client.py" 2001:db8:ff::1 9000 30 0,7,70000,1000000
check "IPv6: the server saw only 2001:db8:e::10, ports in h1's slice" in_slice 2001:db8:e::10 10000 19999
check_eq "the proxy counted them, all completed" "$(st "$ESOCK" '.tcp | "\(.active) \(.completed >= 90)"')" "0 true"

# A client reusing its source port while the proxy still holds the old
# connection's TIME_WAIT (the server closed first, so the proxy closed
# towards the client first): the new SYN must reach the proxy's listener,
# not the TIME_WAIT socket, which would answer it with a stale ACK and
# cost the client a reset and a retransmitted SYN.
lab_spawn crserver inet "$LAB_ROOT/build/connrate" server 203.0.113.1 9100
wait_for 5 "one-byte server" n inet bash -c "exec 3<>/dev/tcp/203.0.113.1/9100"
exchange() { # PORT: from that client port, a byte each way, the server closes first
	n c1 python3 - "$1" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("100.64.1.2", int(sys.argv[1])))
s.settimeout(5)
s.connect(("203.0.113.1", 9100))
s.sendall(b"x")
assert s.recv(1) == b"x" and s.recv(1) == b""
s.close()
PY
}
c1_syn_counters() { NSTAT_HISTORY=$LAB_DIR/nstat.c1 n c1 nstat -az TcpExtTCPSynRetrans TcpOutRsts | awk 'NR > 1 { print $2 }' | paste -sd' '; }
check "first connection from client port 33333" exchange 33333
check "...the proxy holds its TIME_WAIT" \
	bash -c "ip netns exec ${LAB_PREFIX}h1 ss -Htan state time-wait '( dport = :33333 )' | grep -q 203.0.113.1:9100"
NSTAT_HISTORY=$LAB_DIR/nstat.c1 n c1 nstat -n
check "the client reuses port 33333 at once: the connection completes" exchange 33333
check_eq "...with no reset and no retransmitted SYN (SYN retransmits, resets)" "$(c1_syn_counters)" "0 0"

# connect failure upstream: the client gets a reset. (The client only
# reads: a write racing the reset would fail as a broken pipe instead.)
err=$(n c1 python3 -c '
import socket
s = socket.socket(); s.settimeout(20); s.connect(("203.0.113.1", 9999))
try:
    print("read", s.recv(1))
except Exception as e:
    print(type(e).__name__, e)' 2>&1)
check "a refused upstream connection reaches the client as a reset ($err)" grep -q "^ConnectionResetError" <<<"$err"

# 2. coexistence: local sockets bound to the shared address in h1's slice,
# at the same time as client flows: no failure, no tuple used twice
: > "$PEERS"
n h1 python3 "$TOOLS/echo_client.py" 203.0.113.1 9000 150 1000,50000 192.0.2.10:10000-19999 > "$LAB_DIR/local.out" 2>&1 &
lpid=$!
n c1 python3 "$TOOLS/echo_client.py" 203.0.113.1 9000 150 1000,50000 > "$LAB_DIR/client.out" 2>&1
crc=$?
wait $lpid
lrc=$?
check_eq "coexistence: 150 local and 150 proxied connections, none failed" "$lrc $crc" "0 0"
check_eq "coexistence: 300 distinct source tuples" "$(awk '{ print $1, $2 }' "$PEERS" | sort -u | wc -l)" "300"
check "coexistence: all inside h1's slice" in_slice 192.0.2.10 10000 19999

# the egress daemon killed and restarted: routing untouched, new flows work
routing_state() { n h1 ip neigh show nud permanent; n h1 ip -4 rule show; n h1 ip -6 rule show; n h1 ip route show table all proto 177; n h1 ip -6 route show table all proto 177; n h1 ip addr show; }
before=$(routing_state)
lab_stop onlinkd-egress-h1 KILL
start_egressd 1
check "restarted egress daemon serves new flows" wait_for 10 "egress back" \
	n c1 python3 "$TOOLS/echo_client.py" 203.0.113.1 9000 5 1000
check_eq "the host agent's routing state did not change" "$(routing_state)" "$before"
check_eq "one TPROXY rule per family after the restart" \
	"$(n h1 ip -4 rule show | grep -c 'lookup 4713') $(n h1 ip -6 rule show | grep -c 'lookup 4713')" "1 1"

# and it cleans up after itself
lab_stop onlinkd-egress-h1
check "stopped: its nftables table is gone" bash -c "! ip netns exec ${LAB_PREFIX}h1 nft list table inet onlink_egress 2>/dev/null"
check_eq "stopped: its rules are gone (IPv4, IPv6)" \
	"$(n h1 ip -4 rule show | grep -c 'lookup 4713') $(n h1 ip -6 rule show | grep -c 'lookup 4713')" "0 0"

# The failure mode onlink exists to avoid: conntrack SNAT into the slice.
# A local socket holds 192.0.2.10:40000 -> server; a client flow SNATed to
# the same source port finds its tuple taken and its SYNs are dropped.
# (Port 40000: no earlier flow of this test used it, none is in TIME_WAIT.)
check "SNAT demo: nat rule into port 40000 of the shared address" n h1 nft -f - <<'NFT'
table ip snatdemo {
	chain post {
		type nat hook postrouting priority srcnat;
		ip saddr 100.64.0.0/10 tcp dport 9000 snat to 192.0.2.10:40000
	}
}
NFT
n h1 python3 -c '
import socket, time, sys
s = socket.socket(); s.bind(("192.0.2.10", 40000)); s.connect(("203.0.113.1", 9000))
print("held", flush=True); time.sleep(8)' > "$LAB_DIR/held.out" 2>&1 &
hpid=$!
check "SNAT demo: a local socket holds 192.0.2.10:40000 -> server" wait_for 5 "local socket holds the tuple" grep -q held "$LAB_DIR/held.out"
out=$(n c1 timeout 5 python3 -c '
import socket
s = socket.socket(); s.settimeout(3)
try:
    s.connect(("203.0.113.1", 9000)); print("connected")
except Exception as e:
    print("failed:", e)')
check "SNAT demo: the client flow colliding with a local socket's tuple breaks ($out)" grep -q "failed" <<<"$out"
kill "$hpid" 2>/dev/null; wait "$hpid" 2>/dev/null
n h1 nft delete table ip snatdemo
