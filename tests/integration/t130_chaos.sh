#!/usr/bin/env bash
# Chaos: kill -9 and restart the switch agent, the host agents and the
# egress daemon in random order, partition a host from the switch agent for
# longer than the keepalive, restart BIRD, flap a provider's link. After
# each step: every host's kernel matches what the switch agent publishes;
# steps that change nothing a host needs cause no write to any onlink
# object; at the end the long-lived daemons hold no more sockets and not
# much more memory than before. CHAOS_SEED=N replays an order.
# check: once in the plain pass (slow: it measures the daemons' memory)
. "$(dirname "$0")/testlib.sh"
export LAB_KEEPALIVE=1
t_lab
lab_egress_clients
start_egressd 1
ESOCK=$LAB_DIR/egress-h1.sock
wait_for 10 "egress ready" bash -c "[ \"\$('$ONLINK' status -s '$ESOCK' --json | jq -r .ipv4.address)\" = 192.0.2.10 ]"
SEED=${CHAOS_SEED:-$RANDOM}
RANDOM=$SEED
echo "# chaos seed $SEED (CHAOS_SEED=$SEED replays this order)"

# every host's permanent neighbors for provider addresses are exactly the
# addresses the switch publishes as up, with their MACs
published() { "$ONLINK" status -s "$LAB_DIR/switch.sock" --json |
	jq -r '.providers[].addresses[] | select(.state == "up") | "\(.address) \(.mac)"' | sort; }
held() { n "$1" ip -j neigh show dev eth0 nud permanent | jq -r '.[] | select(.protocol == "177") | "\(.dst) \(.lladdr)"' | sort; }
agrees() { local want; want=$(published) && [ -n "$want" ] && [ "$(held h1)" = "$want" ] && [ "$(held h2)" = "$want" ]; }
converged() { # description: the hosts' agents are connected and their kernels agree
	wait_for 30 "$1" bash -c "
		for h in 1 2; do [ \"\$('$ONLINK' status -s '$LAB_DIR/host-h'\$h'.sock' --json | jq -r '.switches[0].state')\" = up ] || exit 1; done" &&
		wait_for 10 "$1: kernels agree" agrees
}

# onlink's writes on the hosts, seen by ip monitor (a sentinel route proves
# the monitor is live); the kernel probing a managed entry is not a write
for h in h1 h2; do lab_spawn "mon-$h" "$h" ip -ts monitor neigh address route rule; done
ONLINK_OBJECTS='proto 177|peer 10\.0\.[12]\.1|fwmark 0x6[56]|lookup 10[12]|lladdr 02:00:00:00:0[12]:01'
sentinel() {
	local h
	for h in h1 h2; do
		n $h ip route add "198.18.99.$1/32" dev eth0 table 999
		n $h ip route del "198.18.99.$1/32" dev eth0 table 999
		wait_for 5 "monitor on $h saw sentinel $1" grep -q "198.18.99.$1 " "$LAB_DIR/mon-$h.log" || return 1
	done
}
marks() { echo "$(wc -l < "$LAB_DIR/mon-h1.log") $(wc -l < "$LAB_DIR/mon-h2.log")"; }
writes_since() { # "MARK1 MARK2": onlink writes on h1 and h2 since
	local m1 m2; read -r m1 m2 <<<"$1"
	{ tail -n +$((m1 + 1)) "$LAB_DIR/mon-h1.log"; tail -n +$((m2 + 1)) "$LAB_DIR/mon-h2.log"; } |
		grep -E "$ONLINK_OBJECTS" | grep -vE '^\[[^]]*\] [0-9a-f.:]+ dev eth0 lladdr [0-9a-f:]+ managed ' | sed 's/^/# /'
}
check "monitors running" sentinel 1
check "start: converged" converged "start"

fds() { ls "/proc/$1/fd" | wc -l; }
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }

kill_switch() { lab_stop onlinkd-sw KILL; start_switchd; }
kill_host() { local i=$((RANDOM % 2 + 1)); echo "# host h$i"; lab_stop "onlinkd-h$i" KILL; start_hostd "$i"; }
kill_egress() {
	lab_stop onlinkd-egress-h1 KILL
	start_egressd 1
	wait_for 10 "egress back" bash -c "[ \"\$('$ONLINK' status -s '$ESOCK' --json | jq -r .ipv4.address)\" = 192.0.2.10 ]" &&
		n c1 python3 "$LAB_ROOT/lab/tools/echo_client.py" 203.0.113.1 9000 3 1000 >/dev/null
}
partition() { # h2 cut off from the switch agent for 4 keepalives
	n h2 nft -f - <<'NFT'
table inet chaos {
	chain out {
		type filter hook output priority 0;
		tcp dport 4710 drop
	}
	chain in {
		type filter hook input priority 0;
		tcp sport 4710 drop
	}
}
NFT
	local r=0
	wait_for 10 "h2 notices" bash -c "tail -n +$plog '$LAB_DIR/onlinkd-h2.log' | grep -q 'disconnected: keepalive timeout'" || r=1
	sleep 2 # partitioned for longer than the keepalive: that is the point of the step
	n h2 nft delete table inet chaos
	return $r
}
bgp_established() { # NAME: every BGP session of that BIRD is Established
	birdc -s "$LAB_DIR/bird-$1.ctl" show protocols |
		awk '$2 == "BGP" { n++; if ($6 != "Established") bad++ } END { exit n == 0 || bad > 0 }'
}
restart_bird() { # done once both hosts have the Internet's routes from BGP again
	lab_stop bird-sw KILL
	start_bird sw sw "$LAB_DIR/bird-sw.conf"
	# the new BIRD's sessions up means the hosts' old ones went down first
	wait_for 60 "the switch's BGP sessions up" bgp_established sw &&
	wait_for 60 "BGP routes back on the hosts" bash -c "
		for h in h1 h2; do ip netns exec ${LAB_PREFIX}\$h ip route show 203.0.113.0/24 proto bird | grep -q . || exit 1; done"
}
flap_link() {
	# a real router keeps its addresses across a link flap; Linux drops
	# IPv6 ones unless told not to
	n pa sysctl -qw net.ipv6.conf.eth0.keep_addr_on_down=1
	n pa ip link set eth0 down && wait_for 5 "down" bash -c "! '$ONLINK' status -s '$LAB_DIR/switch.sock' --json | jq -e '.providers[0].state == \"up\"' >/dev/null" &&
		n pa ip link set eth0 up &&
		# the link going down took provider A's static routes back to the
		# shared egress addresses with it (the lab's, not onlink's); they
		# can be put back once the link's own routes are
		wait_for 10 "provider A's routes" bash -c "ip netns exec ${LAB_PREFIX}pa ip route replace 192.0.2.10/32 via 10.0.1.2 &&
			ip netns exec ${LAB_PREFIX}pa ip -6 route replace 2001:db8:e::10/128 via 2001:db8:1::2" &&
		# the flap is over when provider A's BGP sessions are back and it
		# routes the POP's prefix again (the Internet's replies go through it)
		wait_for 60 "provider A's BGP sessions up" bgp_established pa &&
		wait_for 10 "provider A routes the POP again" bash -c "ip netns exec ${LAB_PREFIX}pa ip route show 10.10.0.0/24 proto bird | grep -q ."
}

lab_spawn echo inet python3 "$LAB_ROOT/lab/tools/echo_server.py" "$LAB_DIR/peers.log" 203.0.113.1:9000
wait_for 5 "echo server" n inet bash -c "exec 3<>/dev/tcp/203.0.113.1/9000"

# baseline of the daemons that live through the whole run
check "baseline: converged" converged "baseline"
steps=(kill_switch kill_host kill_egress partition restart_bird kill_switch kill_host partition restart_bird kill_egress)
# shuffle (Fisher-Yates with the seeded RANDOM); the link flap goes in the middle
for ((i = ${#steps[@]} - 1; i > 0; i--)); do
	j=$((RANDOM % (i + 1))); t=${steps[i]}; steps[i]=${steps[j]}; steps[j]=$t
done
steps=("${steps[@]:0:5}" flap_link "${steps[@]:5}")
k=2
for step in "${steps[@]}"; do
	plog=$(($(wc -l < "$LAB_DIR/onlinkd-h2.log") + 1))
	m=$(marks)
	check "$step: done" "$step"
	check "$step: converged, every host's kernel as the switch publishes" converged "$step"
	check "$step: monitors still live" sentinel $((k++))
	if [ "$step" != flap_link ]; then
		w=$(writes_since "$m")
		check_eq "$step: no write to an onlink object on either host" "$(grep -c . <<<"$w")" "0"
		[ -n "$w" ] && echo "$w"
	fi
done

# nothing leaked by the switch agent, which serves every session: hosts
# killed and restarted leave no descriptor and little memory behind
pid=$(lab_pid onlinkd-sw)
before=$(fds "$pid")
for _ in 1 2 3; do lab_stop onlinkd-h2 KILL; start_hostd 2; converged "h2 back" >/dev/null; done
check_eq "switch agent: three host restarts leave no descriptor behind" "$(fds "$pid")" "$before"
if ! sanitized; then # (ASan holds freed memory in quarantine)
	rss0=$(rss "$pid")
	for _ in 1 2 3 4 5; do lab_stop onlinkd-h2 KILL; start_hostd 2; converged "h2 back" >/dev/null; done
	check "switch agent: five more host restarts grow it by under 256 KiB ($rss0 -> $(rss "$pid") KiB)" \
		[ $(( $(rss "$pid") - rss0 )) -lt 256 ]
fi
# (through transit-b: the link flap took the lab's static routes in
# provider A's namespace with it)
check "still forwarding through transit-b from both hosts" bash -c "ip netns exec ${LAB_PREFIX}h1 ping -c 1 -W 2 -m 102 203.0.113.1 && ip netns exec ${LAB_PREFIX}h2 ping -c 1 -W 2 -m 102 203.0.113.1"
