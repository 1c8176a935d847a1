#!/usr/bin/env bash
# Per-provider traffic on a host: what h1 sends to each provider, counted
# in IP bytes (traffic.h), matches what iperf3 sent within 1%, and is
# counted against that provider alone.
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

# the reverse: the server sends. The Internet's route back to the POP
# goes through transit-a, whose router sends it to the switch, which routes
# it to h1: it arrives from the switch's MAC, not a provider's, and is
# counted against no provider (traffic.h: received is what comes from a
# provider's own MAC)
rx0=$(m rx_bytes transit-a) rb0=$(m rx_bytes transit-b)
n h1 iperf3 -c 198.18.0.1 -p 5201 -u -b 50M -l 1200 -n 12M -R -J > "$LAB_DIR/down.json"
got=$(jq '.end.sum.packets - .end.sum.lost_packets' "$LAB_DIR/down.json")
rx1=$(m rx_bytes transit-a) rb1=$(m rx_bytes transit-b)
check "transit-a -> h1 through the switch's routing ($got datagrams): not counted as from a provider ($((rx1 - rx0)), $((rb1 - rb0)) bytes)" \
	[ "$((rx1 - rx0 + rb1 - rb0))" -lt "$((got * 1228 / 100))" ]
check "packets are counted too" [ "$(m tx_packets transit-a)" -ge "$sent" ]
n h1 curl -sf http://127.0.0.1:9477/metrics > "$LAB_DIR/scrape"
check "promtool accepts the metrics" "$LAB_ROOT/build/tools/promtool" check metrics < "$LAB_DIR/scrape"
