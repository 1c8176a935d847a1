#!/usr/bin/env bash
# Per-provider traffic: what h1 sends to each provider, counted on h1 in IP
# bytes (host/traffic.h), and what the POP receives from and sends to each,
# counted at the switch's port of the provider in frame bytes
# (switch/portstats.h), match what iperf3 sent within 1%, each against
# that provider alone.
. "$(dirname "$0")/testlib.sh"
export LAB_METRICS=1
t_lab
lab_spawn iperf inet iperf3 -s -B 198.18.0.1 -p 5201
wait_for 10 "iperf3 server" n inet bash -c "exec 3<>/dev/tcp/198.18.0.1/5201"
metric() { n h1 curl -sf --max-time 5 http://127.0.0.1:9477/metrics | awk -v m="$1" '$1 == m { print $2 }'; }
m() { metric "onlink_provider_$1_total{provider=\"$2\"}"; }
check "the counters are exported for each provider" test -n "$(m tx_bytes transit-b)"
# within 1%: |got - want| <= want / 100
within() { awk -v g="$1" -v w="$2" 'BEGIN { d = g - w; if (d < 0) d = -d; exit !(w > 0 && d <= w / 100) }'; }

# UDP, fixed-size datagrams: each is 1200 bytes of payload + 8 (UDP) + 20 (IPv4)
tx0=$(m tx_bytes transit-a) b0=$(m tx_bytes transit-b)
n h1 iperf3 -c 198.18.0.1 -p 5201 -u -b 100M -l 1200 -n 12M -J > "$LAB_DIR/up.json"
sent=$(jq '.end.sum.packets' "$LAB_DIR/up.json")
tx1=$(m tx_bytes transit-a) b1=$(m tx_bytes transit-b)
want=$((sent * 1228))
check "h1 -> transit-a: $((tx1 - tx0)) bytes counted for $sent datagrams ($want IP bytes)" within "$((tx1 - tx0))" "$want"
check "...nothing of it counted against transit-b ($((b1 - b0)) bytes)" [ "$((b1 - b0))" -lt "$((want / 100))" ]

# the reverse: the server sends, through transit-a (the Internet's route
# back to the POP), whose router sends it to the switch: counted on the
# switch, at transit-a's port, in frames (IP + 14 bytes of Ethernet)
sm() { n sw curl -sf --max-time 5 http://127.0.0.1:9477/metrics | awk -v m="onlink_switch_port_$1_total{provider=\"$2\",port=\"$3\"}" '$1 == m { print $2 }'; }
rx0=$(sm rx_bytes transit-a sw-pa) rb0=$(sm rx_bytes transit-b sw-pb)
n h1 iperf3 -c 198.18.0.1 -p 5201 -u -b 50M -l 1200 -n 12M -R -J > "$LAB_DIR/down.json"
got=$(jq '.end.sum.packets' "$LAB_DIR/down.json")
rx1=$(sm rx_bytes transit-a sw-pa) rb1=$(sm rx_bytes transit-b sw-pb)
want=$((got * 1242))
check "transit-a -> the POP: $((rx1 - rx0)) bytes on the switch's transit-a port for $got datagrams ($want frame bytes)" \
	within "$((rx1 - rx0))" "$want"
check "...and not on transit-b's port ($((rb1 - rb0)) bytes)" [ "$((rb1 - rb0))" -lt "$((want / 100))" ]
tx0=$(sm tx_bytes transit-a sw-pa)
n h1 iperf3 -c 198.18.0.1 -p 5201 -u -b 50M -l 1200 -n 6M -J > "$LAB_DIR/up2.json"
sent=$(jq '.end.sum.packets' "$LAB_DIR/up2.json")
tx1=$(sm tx_bytes transit-a sw-pa)
check "the POP -> transit-a: $((tx1 - tx0)) bytes out of its port for $sent datagrams" within "$((tx1 - tx0))" "$((sent * 1242))"
check "packets are counted too" [ "$(m tx_packets transit-a)" -ge "$sent" ]
n h1 curl -sf http://127.0.0.1:9477/metrics > "$LAB_DIR/scrape"
check "promtool accepts the metrics" "$LAB_ROOT/build/tools/promtool" check metrics < "$LAB_DIR/scrape"
