# The redundant POP: two switches, each with its own provider, switch
# agent and BIRD route reflector; every host peers with both. Sourced by
# lab/lib.sh. LAB_DESIGN picks the design (docs/failover.md):
#
#  uplinks (the default): each switch has its own segment, and each host
#  has an uplink to each (eth0 to swa, eth1 to swb). A host's own address
#  (10.30.0.1N, 2001:db8:30::1N on lo) is routed by both switches.
#
#        inet ---- pa (AS65001) --- swa 10.10.0.1 ---- eth0  h1, h2 ...
#             \--- pb (AS65002) --- swb 10.20.0.1 ---- eth1
#
#  l2: both switches bridge one segment (MLAG-style), joined by a peer
#  link; hosts are single-homed (odd ones on swa, even ones on swb), at
#  10.10.0.1N. swa is 10.10.0.1 and swb 10.10.0.2 on it.
#
#        inet ---- pa --- swa ==peer== swb --- pb
#                          |            |
#                          h1           h2
#
# transit-a (swa, table 101) has transit-b (swb, table 102) as backup: a
# backup on another switch agent. The Internet's replies to the POP come
# back through pb, so a ping through transit-a measures only the way out.

lab2_sw_of() { # host number -> the switch it hangs off (l2 design)
	if [ $(( $1 % 2 )) = 1 ]; then echo swa; else echo swb; fi
}

lab2_hex() { printf %x $((16 + $1)); }

lab2_topology() {
	local design=${LAB_DESIGN:-uplinks} i p
	for ns in inet pa pb swa swb; do ns_add "$ns"; done
	for i in $(seq "$LAB_HOSTS"); do ns_add "h$i"; done

	lab_providers swa swb
	# replies to the POP's hosts come back through pb
	n inet ip route add 10.10.0.0/24 via 198.51.100.5
	n inet ip route add 10.20.0.0/24 via 198.51.100.5
	n inet ip route add 10.30.0.0/24 via 198.51.100.5
	n inet ip -6 route add 2001:db8:10::/64 via 2001:db8:b::1
	n inet ip -6 route add 2001:db8:20::/64 via 2001:db8:b::1
	n inet ip -6 route add 2001:db8:30::/64 via 2001:db8:b::1

	for p in a b; do
		local idx=1; [ $p = b ] && idx=2
		n "sw$p" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
		n "sw$p" ip link add name br0 type bridge
		n "sw$p" ip link set br0 up
		n "sw$p" ip addr add 10.0.$idx.2/24 dev br0
		n "sw$p" ip -6 addr add 2001:db8:$idx::2/64 dev br0 nodad
		n "sw$p" ip link set "sw$p-p$p" master br0
		n "sw$p" ip link set "sw$p-p$p" up
	done

	if [ "$design" = l2 ]; then
		n swa ip addr add 10.10.0.1/24 dev br0
		n swa ip -6 addr add 2001:db8:10::1/64 dev br0 nodad
		n swb ip addr add 10.10.0.2/24 dev br0
		n swb ip -6 addr add 2001:db8:10::2/64 dev br0 nodad
		# distinct interface indexes at the two ends: the kernel then takes
		# the peer link's carrier change as urgent. With equal ones (likely
		# in two fresh namespaces) it waits for its once-a-second link
		# batch, which the dying switch's own port events, in this same
		# kernel, have just used (docs/failover.md)
		ip -n "${LAB_PREFIX}swa" link add name peer index 4001 type veth peer name peer index 4002 netns "${LAB_PREFIX}swb"
		n swa ip link set peer master br0
		n swb ip link set peer master br0
		n swa ip link set peer up
		n swb ip link set peer up
		for i in $(seq "$LAB_HOSTS"); do
			local sw; sw=$(lab2_sw_of "$i")
			link "$sw" "$sw-h$i" "h$i" eth0
			n "$sw" ip link set "$sw-h$i" master br0
			n "$sw" ip link set "$sw-h$i" up
			n "h$i" ip addr add "10.10.0.$((10 + i))/24" dev eth0
			n "h$i" ip -6 addr add "2001:db8:10::$(lab2_hex "$i")/64" dev eth0 nodad
			n "h$i" ip link set eth0 up
		done
		return 0
	fi
	n swa ip addr add 10.10.0.1/24 dev br0
	n swa ip -6 addr add 2001:db8:10::1/64 dev br0 nodad
	n swb ip addr add 10.20.0.1/24 dev br0
	n swb ip -6 addr add 2001:db8:20::1/64 dev br0 nodad
	for i in $(seq "$LAB_HOSTS"); do
		local x; x=$(lab2_hex "$i")
		link swa "swa-h$i" "h$i" eth0
		link swb "swb-h$i" "h$i" eth1
		for p in a b; do
			n "sw$p" ip link set "sw$p-h$i" master br0
			n "sw$p" ip link set "sw$p-h$i" up
		done
		n "h$i" ip addr add "10.10.0.$((10 + i))/24" dev eth0
		n "h$i" ip -6 addr add "2001:db8:10::$x/64" dev eth0 nodad
		n "h$i" ip addr add "10.20.0.$((10 + i))/24" dev eth1
		n "h$i" ip -6 addr add "2001:db8:20::$x/64" dev eth1 nodad
		n "h$i" ip addr add "10.30.0.$((10 + i))/32" dev lo
		n "h$i" ip -6 addr add "2001:db8:30::$x/128" dev lo
		n "h$i" ip link set eth0 up
		n "h$i" ip link set eth1 up
		# replies come in on either uplink: loose reverse-path filtering,
		# as Debian's default (strict would drop them)
		n "h$i" sysctl -qw net.ipv4.conf.all.rp_filter=2 net.ipv4.conf.default.rp_filter=2
		n swa ip route add "10.30.0.$((10 + i))/32" via "10.10.0.$((10 + i))"
		n swa ip -6 route add "2001:db8:30::$x/128" via "2001:db8:10::$x"
		n swb ip route add "10.30.0.$((10 + i))/32" via "10.20.0.$((10 + i))"
		n swb ip -6 route add "2001:db8:30::$x/128" via "2001:db8:20::$x"
	done
}

# the address of host i on switch p's segment, and switch p's own there
lab2_host_on() { # p i [6]
	local x; x=$(lab2_hex "$2")
	if [ "${LAB_DESIGN:-uplinks}" = l2 ] || [ "$1" = a ]; then
		[ -n "${3:-}" ] && echo "2001:db8:10::$x" || echo "10.10.0.$((10 + $2))"
	else
		[ -n "${3:-}" ] && echo "2001:db8:20::$x" || echo "10.20.0.$((10 + $2))"
	fi
}
lab2_switch_addr() { # p [6]
	case "${LAB_DESIGN:-uplinks}:$1" in
	*:a) [ -n "${2:-}" ] && echo 2001:db8:10::1 || echo 10.10.0.1 ;;
	l2:b) [ -n "${2:-}" ] && echo 2001:db8:10::2 || echo 10.10.0.2 ;;
	*:b) [ -n "${2:-}" ] && echo 2001:db8:20::1 || echo 10.20.0.1 ;;
	esac
}

# LAB_BFD=1: BFD (100 ms x 3) on the hosts' sessions with the route
# reflectors (bench/switch_failover.sh's BGP-alone baseline)
lab2_bird() {
	local dir=$LAB_ROOT/lab/bird i p bfd="" sbfd="" hbfd=""
	if [ -n "${LAB_BFD:-}" ]; then
		bfd="bfd on;"
		sbfd=$(lab_bfd br0)
		hbfd=$(lab_bfd "eth*")
	fi
	lab_bird_providers "" "" " { bgp_path.prepend(65002); }"
	for p in a b; do
		local idx=1 sessions="" pop4 pop6; [ $p = b ] && idx=2
		sessions+="protocol bgp transit_${p}4 from provider4 { local 10.0.$idx.2 as 65000; neighbor 10.0.$idx.1 as 6500$idx; }\\n"
		sessions+="protocol bgp transit_${p}6 from provider6 { local 2001:db8:$idx::2 as 65000; neighbor 2001:db8:$idx::1 as 6500$idx; }\\n"
		for i in $(seq "$LAB_HOSTS"); do
			sessions+="protocol bgp h${i}_4 from hosts4 { neighbor $(lab2_host_on $p "$i") as 65000; }\\n"
			sessions+="protocol bgp h${i}_6 from hosts6 { neighbor $(lab2_host_on $p "$i" 6) as 65000; }\\n"
		done
		if [ "${LAB_DESIGN:-uplinks}" = l2 ]; then
			pop4="route 10.10.0.0/24 blackhole;" pop6="route 2001:db8:10::/64 blackhole;"
		elif [ $p = a ]; then
			pop4="route 10.10.0.0/24 blackhole; route 10.30.0.0/24 blackhole;"
			pop6="route 2001:db8:10::/64 blackhole; route 2001:db8:30::/64 blackhole;"
		else
			pop4="route 10.20.0.0/24 blackhole; route 10.30.0.0/24 blackhole;"
			pop6="route 2001:db8:20::/64 blackhole; route 2001:db8:30::/64 blackhole;"
		fi
		bird_conf "$dir/switch.conf" "$LAB_DIR/bird-sw$p.conf" "SESSIONS=$sessions" "EXTRA=$sbfd" "BFD=$bfd" \
			"RID=$(lab2_switch_addr $p)" "HOST4=$(lab2_switch_addr $p)" "HOST6=$(lab2_switch_addr $p 6)" \
			"POP4=$pop4" "POP6=$pop6"
	done
	for i in $(seq "$LAB_HOSTS"); do
		local s="" ifs='"eth0", "eth1"'
		[ "${LAB_DESIGN:-uplinks}" = l2 ] && ifs='"eth0"'
		for p in a b; do
			s+="protocol bgp sw${p}4 from rr4 { local $(lab2_host_on $p "$i") as 65000; neighbor $(lab2_switch_addr $p) as 65000; }\\n"
			s+="protocol bgp sw${p}6 from rr6 { local $(lab2_host_on $p "$i" 6) as 65000; neighbor $(lab2_switch_addr $p 6) as 65000; }\\n"
		done
		bird_conf "$dir/host.conf" "$LAB_DIR/bird-h$i.conf" "ID4=$(lab2_host_on a "$i")" "IF=$ifs" "SESSIONS=$s" \
			"EXTRA=$hbfd" "BFD=$bfd"
	done
	for p in pa pb swa swb; do start_bird "$p" "$p" "$LAB_DIR/bird-$p.conf"; done
	for i in $(seq "$LAB_HOSTS"); do start_bird "h$i" "h$i" "$LAB_DIR/bird-h$i.conf"; done
}

lab2_onlink_configs() {
	local i p hosts mx=${LAB_METRICS:+metrics = 127.0.0.1:9477} puba pubb
	hosts=$(lab_host_sections "$LAB_HOSTS")
	puba=$(lab_key swa) pubb=$(lab_key swb)
	for p in a b; do
		local idx=1 extra="" peer="" other=b; [ $p = b ] && idx=2 other=a
		[ $p = a ] && extra="backup = transit-b"
		# one L2 domain: the peer link's carrier tells of the other switch
		[ "${LAB_DESIGN:-uplinks}" = l2 ] && [ -z "${LAB_NO_PEER_LINK:-}" ] &&
			peer="peer-link = peer"$'\n'"peer-switch = sw$other"
		# LAB_EGRESS_POOL=1: a pool both switch agents hold, switch A
		# deciding its leases
		local pool=""
		if [ -n "${LAB_EGRESS_POOL:-}" ]; then
			pool="[egress-pool edge]
address = 192.0.2.10
address = 2001:db8:e::10
slice-size = 1024
ports = 10240-14335
leader = swa
quarantine = ${LAB_POOL_QUARANTINE:-120s}"
			peer+=$'\n'"host-dead-after = ${LAB_HOST_DEAD_AFTER:-30s}"
		fi
		cat > "$LAB_DIR/switch-$p.conf" <<CONF
[switch]
name = sw$p
listen = $(lab2_switch_addr $p):4710
listen = [$(lab2_switch_addr $p 6)]:4710
private-key-file = $LAB_DIR/sw$p.key
control = $LAB_DIR/switch-$p.sock
state-file = $LAB_DIR/switch-$p-state.json
keepalive = ${LAB_KEEPALIVE:-2}
$mx
$peer

[provider transit-$p]
address = 10.0.$idx.1
address = 2001:db8:$idx::1
interface = br0
table = 10$idx
hold-down = ${LAB_HOLD_DOWN:-2s}
$extra

$pool

$hosts
CONF
	done
	for i in $(seq "$LAB_HOSTS"); do
		local x; x=$(lab2_hex "$i")
		local a4=10.30.0.$((10 + i)) a6=2001:db8:30::$x ifb="interface = eth1"
		if [ "${LAB_DESIGN:-uplinks}" = l2 ]; then
			a4=10.10.0.$((10 + i)) a6=2001:db8:10::$x ifb=""
		fi
		cat > "$LAB_DIR/host-h$i.conf" <<CONF
[host]
name = h$i
interface = eth0
address = $a4
address = $a6
private-key-file = $LAB_DIR/h$i.key
control = $LAB_DIR/host-h$i.sock
keepalive = ${LAB_KEEPALIVE:-2}
$mx

[switch swa]
connect = $(lab2_switch_addr a):4710
public-key = $puba
hold-down = ${LAB_SW_HOLD_DOWN:-2s}

[switch swb]
connect = $(lab2_switch_addr b):4710
public-key = $pubb
$ifb
hold-down = ${LAB_SW_HOLD_DOWN:-2s}
CONF
	done
}

lab2_start_switchd() { lab_spawn "onlinkd-sw$1" "sw$1" "$ONLINKD" switch -c "$LAB_DIR/switch-$1.conf"; }

# True when host i's kernel routes 198.19.0.0/24 (IPv4 and IPv6 through
# the prefixes both providers carry) and onlink made both providers live.
lab2_converged() {
	local r
	r=$(n "h$1" ip -4 route show 198.19.0.0/24)
	[[ $r == *10.0.1.1* ]] || return 1
	r=$(n "h$1" ip -6 route show 2001:db8:ff::/48)
	[[ $r == *2001:db8:1::1* ]] || return 1
	[ "$("$ONLINK" status -s "$LAB_DIR/host-h$1.sock" --json | jq '[.providers[] | select(.state == "up")] | length')" = 2 ]
}

# True when both providers route the POP's prefixes back (BGP from the switches).
lab2_providers_converged() {
	local p pfx=10.30.0.0/24
	[ "${LAB_DESIGN:-uplinks}" = l2 ] && pfx=10.10.0.0/24
	for p in a b; do
		n "p$p" ip -4 route show "$pfx" | grep -q via || return 1
	done
}

lab2_up() {
	lab2_topology
	lab2_onlink_configs
	lab2_start_switchd a
	lab2_start_switchd b
	lab2_bird
	local i
	for i in $(seq "$LAB_HOSTS"); do start_hostd "$i"; done
	for i in $(seq "$LAB_HOSTS"); do
		wait_for 60 "h$i converged (BGP from both switches + onlink)" lab2_converged "$i" || return 1
	done
	wait_for 60 "the providers route the POP's prefixes" lab2_providers_converged
}

# a switch's ports (its bridge's), and all of them up or down in one
# command: a switch dies at once, not port by port
lab2_ports() { n "sw$1" ip -o link show master br0 | awk -F': ' '{print $2}' | cut -d@ -f1; }
lab2_ports_set() { lab2_ports "$1" | sed "s/^/link set dev /; s/\$/ $2/" | n "sw$1" ip -batch -; }

# lab2_kill_switch a|b: the switch dies whole: every port goes dark, its
# BIRD and its agent are killed at once.
lab2_kill_switch() {
	lab2_ports_set "$1" down
	lab_stop "bird-sw$1" KILL
	lab_stop "onlinkd-sw$1" KILL
}

# lab2_revive_switch a|b: BIRD and the agent started again, ports up.
lab2_revive_switch() {
	lab2_start_switchd "$1"
	start_bird "sw$1" "sw$1" "$LAB_DIR/bird-sw$1.conf"
	lab2_ports_set "$1" up
}

# lab2_silence a|b: the switch forwards nothing (and answers nothing), its
# links up; lab2_unsilence undoes it.
lab2_silence() {
	local l
	for l in $(lab2_ports "$1"); do
		printf 'table netdev cut_%s {\n\tchain c {\n\t\ttype filter hook ingress device "%s" priority 0; policy drop;\n\t}\n}\n' \
			"${l//-/_}" "$l"
	done | n "sw$1" nft -f -
}
lab2_unsilence() { n "sw$1" nft flush ruleset; }
