#!/usr/bin/env bash
# PMTU discovery through shared egress addresses. Three hosts share
# 192.0.2.10 and 2001:db8:e::10, each with a client and a proxy; the
# switch spreads return traffic over the three by ECMP. A hop with MTU 1280
# sits between each provider and the destination, whose server advertises
# a 1460-byte MSS: every upload through a slice sends packets too big for
# that hop, and the provider answers each with "fragmentation needed" (or
# "packet too big") to the shared address. Those errors carry no ports of
# their own, so ECMP hands them all to one host: without onlink, the two
# others never learn the path MTU and their uploads stall. With it, the
# host the error lands on hands it to the owner of the quoted packet's
# source port.
#
#   cI -- hI (proxy, slice I) --+
#                                sw -- pa/pb --[MTU 1280]-- inet (server)
. "$(dirname "$0")/testlib.sh"
export LAB_HOSTS=3 LAB_METRICS=1
t_lab
lab_egress_clients
lab_egress_client 2
lab_egress_client 3
lab_egress_ecmp 3
for p in a b; do
	n p$p ip link set inet mtu 1280
	n inet ip link set to-$p mtu 1280
done
# the server's side of the narrow hop: it advertises the MSS of a
# 1500-byte path, as a server beyond a wider last hop would
n inet ip route replace 192.0.2.10/32 via 198.51.100.1 advmss 1460
n inet ip -6 route replace 2001:db8:e::10/128 via 2001:db8:a::1 advmss 1440
lab_spawn iperf3 inet iperf3 -s -p 5201
wait_for 5 "iperf3 server" n inet bash -c "exec 3<>/dev/tcp/203.0.113.1/5201"
for i in 1 2 3; do start_egressd $i; done
for i in 1 2 3; do
	wait_for 10 "h$i's proxy" bash -c "[ \"\$('$ONLINK' status -s '$LAB_DIR/egress-h$i.sock' --json | jq -r .ipv6.address)\" = 2001:db8:e::10 ]"
	wait_for 10 "h$i steers errors to both others" bash -c "[ \$(ip netns exec ${LAB_PREFIX}h$i nft list chain netdev onlink_steer icmp4 2>/dev/null | grep -c 'icmp_steered.*fwd') = 2 ]"
done

icmp() { st "$(host_sock "$1")" ".steering.$2"; }
# iperf3 through hI's proxy: 10 MB up, then 10 MB down
xfer() { # host dest
	n "c$1" timeout 60 iperf3 -c "$2" -p 5201 -n 10M --connect-timeout 5000 -J > "$LAB_DIR/up-$1.json" &&
		n "c$1" timeout 60 iperf3 -c "$2" -p 5201 -n 10M -R --connect-timeout 5000 -J > "$LAB_DIR/down-$1.json"
}
for i in 1 2 3; do
	own0=$(icmp $i icmp_own)
	check "IPv4: 10 MB up and 10 MB down through h$i's slice" xfer $i 203.0.113.1
	check "h$i counted the frag-needed errors for its own ports ($(( $(icmp $i icmp_own) - own0 )))" \
		[ "$(icmp $i icmp_own)" -gt "$own0" ]
	check "IPv6: 10 MB up and 10 MB down through h$i's slice" xfer $i 2001:db8:ff::1
done
steered=0
for i in 1 2 3; do steered=$((steered + $(icmp $i icmp_steered))); done
check "the errors ECMP brought to the wrong host were steered to the owner ($steered)" [ "$steered" -gt 0 ]
check_eq "none dropped or rate-limited" \
	"$(for i in 1 2 3; do echo $(( $(icmp $i icmp_dropped) + $(icmp $i icmp_limited) )); done | sort -u)" "0"
metric() { n "h$1" curl -sf --max-time 5 http://127.0.0.1:9477/metrics | awk -v m="onlink_host_egress_icmp_total{outcome=\"$2\"}" '$1 == m { print $2 }'; }
check_eq "h1's metric and its status agree on the errors it kept" "$(metric 1 own)" "$(icmp 1 icmp_own)"

# Without the ICMP rules on the host the errors land on, the other hosts
# never learn the path MTU: their uploads stall (the control of this test)
other=""
for i in 1 2 3; do
	if [ "$(icmp $i icmp_steered)" -gt 0 ]; then n h$i nft flush chain netdev onlink_steer icmp4; else other=$i; fi
	n h$i ip route flush cache
done
check "one host is never where the errors land (h${other:-none})" [ -n "$other" ]
check "without steering, h$other's IPv4 upload stalls (its PMTU never learned)" \
	bash -c "! n c$other timeout 8 iperf3 -c 203.0.113.1 -p 5201 -n 10M --connect-timeout 3000 >/dev/null 2>&1"
