#!/usr/bin/env bash
# Hosts reach provider prefixes with the provider as next hop; the switch
# only bridges (TTL decremented by the provider alone); a firewall mark
# sends traffic through that provider only. IPv4 and IPv6.
. "$(dirname "$0")/testlib.sh"
t_lab

# next hops on the hosts are the providers themselves
for i in 1 2; do
	r4=$(n h$i ip -4 route show 198.18.0.0/24)
	check "h$i: A-only IPv4 prefix via provider A, on the uplink" grep -q "via 10.0.1.1 dev eth0" <<<"$r4"
	r6=$(n h$i ip -6 route show 2001:db8:fa::/48)
	check "h$i: A-only IPv6 prefix via provider A's global address" grep -q "via 2001:db8:1::1 dev eth0" <<<"$r6"
done

# count echo requests arriving in "inet" by TTL / hop limit
n inet nft -f - <<'NFT'
table inet t {
	counter v4_ttl63 { }
	counter v4_other { }
	counter v6_hl63 { }
	counter v6_other { }
	chain in {
		type filter hook input priority 0; policy accept;
		icmp type echo-request ip ttl 63 counter name v4_ttl63
		icmp type echo-request ip ttl != 63 counter name v4_other
		icmpv6 type echo-request ip6 hoplimit 63 counter name v6_hl63
		icmpv6 type echo-request ip6 hoplimit != 63 counter name v6_other
	}
}
NFT
check "h1 pings 203.0.113.1 (IPv4)" quiet n h1 ping -q -c 5 -i 0.05 -W 1 -t 64 203.0.113.1
check "h1 pings 2001:db8:ff::1 (IPv6)" quiet n h1 ping -6 -q -c 5 -i 0.05 -W 1 -t 64 2001:db8:ff::1
check_eq "IPv4: every request arrived with TTL 63 (only the provider routed it)" "$(counter inet v4_ttl63)/$(counter inet v4_other)" "5/0"
check_eq "IPv6: every request arrived with hop limit 63" "$(counter inet v6_hl63)/$(counter inet v6_other)" "5/0"

# on the switch, frames to the Internet cross the bridge (bridge "forward")
# and none is handed to the switch's own IP stack (bridge "input") to route
n sw nft -f - <<'NFT'
table bridge t {
	counter bridged { }
	counter to_stack { }
	chain forward_c { type filter hook forward priority 0; policy accept;
		ip daddr 203.0.113.1 counter name bridged
	}
	chain input_c { type filter hook input priority 0; policy accept;
		ip daddr 203.0.113.1 counter name to_stack
	}
}
NFT
n h1 ping -q -c 3 -i 0.05 -W 1 203.0.113.1 >/dev/null
check_eq "switch: outbound frames bridged, none routed (bridged/to IP stack)" \
	"$(n sw nft -j list counter bridge t bridged | jq '.nftables[] | select(.counter) | .counter.packets')/$(n sw nft -j list counter bridge t to_stack | jq '.nftables[] | select(.counter) | .counter.packets')" "3/0"

# a mark selects the provider; counted on the provider side
for p in a b; do
	n p$p nft -f - <<'NFT'
table inet t {
	counter out4 { }
	counter out6 { }
	chain forward_c { type filter hook forward priority 0; policy accept;
		ip saddr 10.10.0.11 ip daddr 203.0.113.1 counter name out4
		ip6 saddr 2001:db8:10::11 ip6 daddr 2001:db8:ff::1 counter name out6
	}
}
NFT
done
n h1 ping -q -c 7 -i 0.05 -W 1 -m 102 203.0.113.1 >/dev/null
n h1 ping -6 -q -c 4 -i 0.05 -W 1 -m 102 2001:db8:ff::1 >/dev/null
check_eq "mark 102: IPv4 left through provider B only (A/B)" "$(counter pa out4)/$(counter pb out4)" "0/7"
check_eq "mark 102: IPv6 left through provider B only (A/B)" "$(counter pa out6)/$(counter pb out6)" "0/4"
n h1 ping -q -c 6 -i 0.05 -W 1 -m 101 203.0.113.1 >/dev/null
n h1 ping -6 -q -c 3 -i 0.05 -W 1 -m 101 2001:db8:ff::1 >/dev/null
check_eq "mark 101: IPv4 left through provider A only (A/B)" "$(counter pa out4)/$(counter pb out4)" "6/7"
check_eq "mark 101: IPv6 left through provider A only (A/B)" "$(counter pa out6)/$(counter pb out6)" "3/4"

# status: both providers up with their MACs, as JSON scripts can read
check_eq "onlink status --json on h2: providers and MACs" \
	"$(st "$(host_sock 2)" '[.providers[] | .name + "=" + .state + "@" + .addresses[0].mac] | sort | join(",")')" \
	"transit-a=up@$PROVIDER_MAC_A,transit-b=up@$PROVIDER_MAC_B"
check_eq "onlink status --json on the switch: both hosts connected" \
	"$(st "$LAB_DIR/switch.sock" '[.peers[].name] | sort | join(",")')" "h1,h2"
check "onlink status (table) names both providers" bash -c "'$ONLINK' status -s '$(host_sock 1)' | grep -q 'transit-b *102 *up'"

# Routes that reach a host's BIRD before onlink has made their provider
# on-link (a provider published up a moment after its session came up at
# the switch, or BIRD started before the agent) wait for it: BIRD resolves
# next hops recursively (docs/bird.md). With `gateway direct` BIRD dropped
# such IPv4 routes for good and the host never used the provider again.
lab_stop onlinkd-h1
n h1 ip addr del 10.10.0.11 peer 10.0.2.1/32 dev eth0
n h1 ip -6 route del 2001:db8:2::1/128 dev eth0
lab_stop bird-h1
start_bird h1 h1 "$LAB_DIR/bird-h1.conf"
via_a_only() {
	local r4 r6
	r4=$(n h1 ip -4 route show 203.0.113.0/24) r6=$(n h1 ip -6 route show 2001:db8:ff::/48)
	[[ $r4 == *10.0.1.1* && $r4 != *10.0.2.1* && $r6 == *2001:db8:1::1* && $r6 != *2001:db8:2::1* ]]
}
holds_b() {
	birdc -s "$LAB_DIR/bird-h1.ctl" show route 203.0.113.0/24 all | grep -q 'BGP.next_hop: 10.0.2.1' &&
		birdc -s "$LAB_DIR/bird-h1.ctl" show route 2001:db8:ff::/48 all | grep -q 'BGP.next_hop: 2001:db8:2::1'
}
check "BIRD restarted on h1 with transit-b not on-link: it holds transit-b's paths" wait_for 20 "paths via transit-b" holds_b
check "...unresolved: the kernel routes through transit-a only" wait_for 10 "routes via transit-a" via_a_only
start_hostd 1
check "the host agent installs transit-b: the held routes resolve through it" wait_for 15 "h1 converged" host_converged 1
