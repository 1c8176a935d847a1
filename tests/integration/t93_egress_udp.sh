#!/usr/bin/env bash
# Soft-unicast egress for UDP: each client flow gets an upstream socket
# bound inside h1's slice of the shared address; answers come back to the
# client from the address it sent to; idle flows expire.
. "$(dirname "$0")/testlib.sh"
export LAB_EGRESS_UDP_IDLE=3
t_lab
lab_egress_clients
TOOLS=$LAB_ROOT/lab/tools
ESOCK=$LAB_DIR/egress-h1.sock
PEERS=$LAB_DIR/udp-peers.log
lab_spawn udpecho inet python3 "$TOOLS/udp_echo.py" server "$PEERS" 203.0.113.1:5353 "[2001:db8:ff::1]:5353"
start_egressd 1
wait_for 10 "egress ready" bash -c "[ \"\$('$ONLINK' status -s '$ESOCK' --json | jq -r .ipv4.address)\" = 192.0.2.10 ]"
in_slice() { awk -v a="$1" '$1 != a || $2 < 10000 || $2 > 19999 { bad++ } END { exit bad > 0 || NR == 0 }' "$PEERS"; }

check "IPv4: 40 flows x 10 datagrams (1200 B), every answer right" \
	n c1 python3 "$TOOLS/udp_echo.py" client 203.0.113.1 5353 40 10 1200
check "IPv4: the server saw only 192.0.2.10, ports in h1's slice" in_slice 192.0.2.10
check_eq "IPv4: one upstream port per flow (40 distinct ports)" "$(awk '{ print $2 }' "$PEERS" | sort -u | wc -l)" "40"
: > "$PEERS"
check "IPv6: 20 flows x 5 datagrams (8000 B), every answer right" \
	n c1 python3 "$TOOLS/udp_echo.py" client 2001:db8:ff::1 5353 20 5 8000
check "IPv6: the server saw only 2001:db8:e::10, ports in h1's slice" in_slice 2001:db8:e::10
# (a datagram the client had to retry crosses the proxy twice)
check_eq "the proxy counted 60 flows and relayed every answer the clients got" \
	"$(st "$ESOCK" '.udp | "\(.created) \(.datagrams_down >= 500) \(.datagrams_up >= .datagrams_down)"')" "60 true true"
check "idle flows expire (3 s here)" wait_for 10 "expiry" \
	bash -c "[ \"\$('$ONLINK' status -s '$ESOCK' --json | jq -r '.udp | \"\(.active) \(.expired)\"')\" = '0 60' ]"
out=$(n c1 python3 -c '
import socket
s = socket.socket(); s.settimeout(3)
try:
    s.connect(("203.0.113.1", 5353))  # the reset may come during or after the handshake
    print("read", s.recv(1))
except Exception as e:
    print(type(e).__name__)')
check_eq "TCP next to UDP: a TCP flow to a port with no server is reset" "$out" "ConnectionResetError"
