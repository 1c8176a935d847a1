# The POP lab in network namespaces; sourced by lab/pop.sh, the tests and
# the benchmarks. Nothing here touches the machine's own network: every
# link and address lives in namespaces this file creates.
#
#                      +-----------------------------+
#                      | inet   203.0.113.1 (A & B)  |
#                      |        198.18.0.1  (A only) |
#                      |        2001:db8:ff::1 (A&B) |
#                      |        2001:db8:fa::1 (A)   |
#                      +------+---------------+------+
#                             |               |
#                   +---------+---+     +-----+-------+
#                   | pa  AS65001 |     | pb  AS65002 |   providers: BIRD eBGP
#                   | 10.0.1.1    |     | 10.0.2.1    |
#                   | 2001:db8:1::1     | 2001:db8:2::1
#                   +------+------+     +------+------+
#                          |                   |
#              +-----------+-------------------+-----------+
#              | sw  bridge br0: 10.0.1.2 10.0.2.2 10.10.0.1 |  BIRD eBGP + iBGP RR,
#              |                 2001:db8:{1,2}::2 2001:db8:10::1   onlinkd switch
#              +-----------+-------------------+-----------+
#                          |                   |
#                   +------+------+     +------+------+
#                   | h1 eth0     |     | h2 eth0     |   BIRD iBGP, onlinkd host
#                   | 10.10.0.11  |     | 10.10.0.12  |
#                   | 2001:db8:10::11   | 2001:db8:10::12
#                   +-------------+     +-------------+
#
# Namespaces are named "$LAB_PREFIX<role>", with a prefix unique to the run.
# Every process started is recorded in $LAB_DIR/pids and stopped by lab_down.

LAB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ONLINKD=${ONLINKD:-$LAB_ROOT/build/onlinkd}
ONLINK=${ONLINK:-$LAB_ROOT/build/onlink}
LAB_HOSTS=${LAB_HOSTS:-2}
PROVIDER_MAC_A=02:00:00:00:01:01
PROVIDER_MAC_B=02:00:00:00:02:01

n() { local ns=$1; shift; ip netns exec "$LAB_PREFIX$ns" "$@"; }

lab_log() { printf '[lab] %s\n' "$*" >&2; }

# lab_init DIR: where state, configs and logs go; the namespace prefix is
# derived from a random id, so concurrent runs never collide.
lab_init() {
	LAB_DIR=$1
	mkdir -p "$LAB_DIR"
	if [ -f "$LAB_DIR/env" ]; then
		. "$LAB_DIR/env"
	else
		LAB_PREFIX="ol$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')-"
		echo "LAB_PREFIX=$LAB_PREFIX" > "$LAB_DIR/env"
	fi
	: > "$LAB_DIR/pids.tmp"
	touch "$LAB_DIR/pids"
}

# Start a process in a namespace in the background and record its pid.
# `ip netns exec` execs the program, so $! is the program's own pid.
lab_spawn() {
	local name=$1 ns=$2; shift 2
	ip netns exec "$LAB_PREFIX$ns" "$@" >>"$LAB_DIR/$name.log" 2>&1 &
	echo "$! $name" >> "$LAB_DIR/pids"
	eval "PID_$(echo "$name" | tr -c 'a-zA-Z0-9\n' _)=$!"
}

# lab_cgroup NAME: a cgroup v2 of the lab's own (for [repath] cgroup),
# removed by lab_down once its processes are gone; prints its path. The
# hierarchy is mounted again under $LAB_DIR: `ip netns exec` mounts a
# fresh /sys, where /sys/fs/cgroup is not.
lab_cgroup() {
	local root=$LAB_DIR/cgroup2
	if ! mountpoint -q "$root"; then
		mkdir -p "$root" && mount -t cgroup2 none "$root" || return 1
	fi
	mkdir -p "$root/$LAB_PREFIX$1" || return 1
	grep -qx "$root/$LAB_PREFIX$1" "$LAB_DIR/cgroups" 2>/dev/null || echo "$root/$LAB_PREFIX$1" >> "$LAB_DIR/cgroups"
	echo "$root/$LAB_PREFIX$1"
}

# lab_cgroup_sys NAME: the same cgroup where the machine mounts the
# hierarchy (/sys/fs/cgroup...): the path a daemon in a machine's own file
# system sees (lab/unit.sh: no fresh /sys there, and a private /tmp)
lab_cgroup_sys() {
	local root
	root=$(awk '{ for (i = 7; i < NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2" && $4 == "/" && $5 ~ /^\/sys\//) { print $5; exit } break } }' /proc/self/mountinfo)
	[ -n "$root" ] && [ -d "$root/$LAB_PREFIX$1" ] && echo "$root/$LAB_PREFIX$1"
}

# lab_spawn_cg NAME NS CGROUP CMD...: lab_spawn with the process in CGROUP
# (the shell joins it, then execs: the pid recorded is the program's)
lab_spawn_cg() {
	local name=$1 ns=$2 cg=$3; shift 3
	sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' sh "$cg" ip netns exec "$LAB_PREFIX$ns" "$@" \
		>>"$LAB_DIR/$name.log" 2>&1 &
	echo "$! $name" >> "$LAB_DIR/pids"
	eval "PID_$(echo "$name" | tr -c 'a-zA-Z0-9\n' _)=$!"
}

# lab_spawn_cg_run NS CGROUP CMD...: runs CMD in NS and CGROUP, in the
# foreground (its output on stdout)
lab_spawn_cg_run() {
	local ns=$1 cg=$2; shift 2
	sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' sh "$cg" ip netns exec "$LAB_PREFIX$ns" "$@"
}

lab_pid() { awk -v n="$1" '$2 == n { p = $1 } END { print p }' "$LAB_DIR/pids"; }

# Stop one recorded process (by pid) and forget it.
lab_stop() {
	local name=$1 sig=${2:-TERM} pid
	pid=$(lab_pid "$name")
	[ -n "$pid" ] || return 0
	kill "-$sig" "$pid" 2>/dev/null
	local waits=${LAB_VALGRIND:+300}
	for _ in $(seq "${waits:-100}"); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	awk -v n="$name" '$2 != n' "$LAB_DIR/pids" > "$LAB_DIR/pids.tmp" && mv "$LAB_DIR/pids.tmp" "$LAB_DIR/pids"
}

lab_down() {
	[ -n "${LAB_DIR:-}" ] && [ -f "$LAB_DIR/pids" ] || return 0
	local pid name
	while read -r pid name; do
		kill -TERM "$pid" 2>/dev/null
	done < "$LAB_DIR/pids"
	# under valgrind (make memcheck) a daemon takes longer to stop
	local waits=${LAB_VALGRIND:+300}
	while read -r pid name; do
		for _ in $(seq "${waits:-60}"); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
		kill -KILL "$pid" 2>/dev/null
	done < "$LAB_DIR/pids"
	: > "$LAB_DIR/pids"
	if [ -f "$LAB_DIR/cgroups" ]; then
		local cg
		while read -r cg; do
			for _ in $(seq 40); do rmdir "$cg" 2>/dev/null && break; sleep 0.05; done
		done < "$LAB_DIR/cgroups"
		rm -f "$LAB_DIR/cgroups"
		umount "$LAB_DIR/cgroup2" 2>/dev/null && rmdir "$LAB_DIR/cgroup2"
	fi
	views_down
	for ns in $(ip netns list | awk '{print $1}' | grep "^$LAB_PREFIX" || true); do
		ip netns del "$ns" 2>/dev/null
	done
	# per-namespace files `ip netns exec` binds over /etc (lab_hosts)
	rm -rf /etc/netns/"$LAB_PREFIX"*
	rmdir /etc/netns 2>/dev/null || true
}

# lab_hosts NS LINE...: an /etc/hosts seen only inside namespace NS
# (`ip netns exec` binds /etc/netns/NAME/hosts over /etc/hosts).
lab_hosts() {
	local ns=$1; shift
	mkdir -p "/etc/netns/$LAB_PREFIX$ns"
	printf '%s\n' "$@" > "/etc/netns/$LAB_PREFIX$ns/hosts"
}

# wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND until it succeeds.
wait_for() {
	local t=$1 what=$2 end; shift 2
	end=$(( $(date +%s%N) + t * 1000000000 ))
	until "$@" >/dev/null 2>&1; do
		if [ "$(date +%s%N)" -gt "$end" ]; then
			lab_log "timed out after ${t}s waiting for: $what"
			return 1
		fi
		sleep 0.05
	done
}

ns_add() {
	ip netns add "$LAB_PREFIX$1"
	n "$1" ip link set lo up
	n "$1" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
}

# veth between two namespaces: link NS1 IF1 NS2 IF2
link() {
	ip -n "$LAB_PREFIX$1" link add name "$2" type veth peer name "$4" netns "$LAB_PREFIX$3"
}

# bird_conf TEMPLATE OUT KEY=VALUE...: @KEY@ in TEMPLATE replaced by VALUE
# ("\n" in VALUE: a newline). In bash: a python3 per key took 11 s of
# every lab's start on a slow machine.
bird_conf() {
	local tpl=$1 out=$2 s k v restore; shift 2
	s=$(cat "$tpl"; echo .) && s=${s%.}
	restore=$(shopt -p patsub_replacement 2>/dev/null) # bash 5.2: '&' in a replacement is the match
	shopt -u patsub_replacement 2>/dev/null
	while [ $# -gt 0 ]; do
		k=${1%%=*} v=${1#*=}
		v=${v//\\n/$'\n'}
		s=${s//@$k@/$v}
		shift
	done
	eval "$restore"
	printf '%s' "$s" > "$out"
}

start_bird() { # name ns conf
	lab_spawn "bird-$1" "$2" bird -f -c "$3" -s "$LAB_DIR/bird-$1.ctl" -P "$LAB_DIR/bird-$1.pid"
}

# The switch's BIRD; LAB_BIRD_USER=bird: as Debian runs it (-u bird -g
# bird), its socket then bird:bird 0660 (bird -u does that itself).
start_bird_switch() {
	if [ -n "${LAB_BIRD_USER:-}" ]; then
		lab_spawn bird-sw sw bird -f -c "$LAB_DIR/bird-sw.conf" -s "$LAB_DIR/bird-sw.ctl" -P "$LAB_DIR/bird-sw.pid" \
			-u "$LAB_BIRD_USER" -g "$LAB_BIRD_USER"
	else
		start_bird sw sw "$LAB_DIR/bird-sw.conf"
	fi
}

birdc_() { local name=$1; shift; birdc -s "$LAB_DIR/bird-$name.ctl" "$@"; }


# lab_providers NS-A NS-B: the Internet (inet) behind two providers, pa
# (AS65001) and pb (AS65002), each cabled to its switch's namespace (NS-A,
# NS-B) by a port named NS-pa, NS-pb there, not yet bridged. Both carry
# 203.0.113.0/24, 198.19.0.0/24 and 2001:db8:ff::/48; A alone 198.18.0.0/24
# and 2001:db8:fa::/48. The caller routes the POP's prefixes back.
lab_providers() {
	local p
	link inet to-a pa inet
	link inet to-b pb inet
	n inet ip addr add 198.51.100.2/30 dev to-a
	n inet ip addr add 198.51.100.6/30 dev to-b
	n inet ip -6 addr add 2001:db8:a::2/64 dev to-a nodad
	n inet ip -6 addr add 2001:db8:b::2/64 dev to-b nodad
	n inet ip addr add 203.0.113.1/32 dev lo
	n inet ip addr add 198.18.0.1/32 dev lo
	# 198.19.0.0/24: both providers carry it, B announces it prepended, so
	# the POP prefers A: the failover tests' stream goes there
	n inet ip addr add 198.19.0.1/32 dev lo
	n inet ip -6 addr add 2001:db8:ff::1/128 dev lo
	n inet ip -6 addr add 2001:db8:fa::1/128 dev lo
	n inet ip link set to-a up
	n inet ip link set to-b up
	for p in a b; do
		local idx=1 mac=$PROVIDER_MAC_A inet4=198.51.100.2 inet6=2001:db8:a::2 my4=198.51.100.1 my6=2001:db8:a::1 sw=$1
		[ $p = b ] && idx=2 mac=$PROVIDER_MAC_B inet4=198.51.100.6 inet6=2001:db8:b::2 my4=198.51.100.5 my6=2001:db8:b::1 sw=$2
		n p$p sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
			net.ipv4.conf.all.arp_notify=1 net.ipv6.conf.all.ndisc_notify=1
		n p$p ip addr add $my4/30 dev inet
		n p$p ip -6 addr add $my6/64 dev inet nodad
		n p$p ip link set inet up
		n p$p ip route add 203.0.113.0/24 via $inet4
		n p$p ip route add 198.19.0.0/24 via $inet4
		n p$p ip -6 route add 2001:db8:ff::/48 via $inet6
		if [ $p = a ]; then
			n pa ip route add 198.18.0.0/24 via $inet4
			n pa ip -6 route add 2001:db8:fa::/48 via $inet6
		fi
		link "$sw" "$sw-p$p" p$p eth0
		n p$p ip link set eth0 address $mac
		n p$p ip addr add 10.0.$idx.1/24 dev eth0
		n p$p ip -6 addr add 2001:db8:$idx::1/64 dev eth0 nodad
		n p$p ip link set eth0 up
	done
}

lab_topology() {
	local i
	for ns in inet pa pb sw; do ns_add "$ns"; done
	for i in $(seq "$LAB_HOSTS"); do ns_add "h$i"; done

	lab_providers sw sw
	# replies to the POP leave through provider A
	n inet ip route add 10.10.0.0/24 via 198.51.100.1
	n inet ip -6 route add 2001:db8:10::/64 via 2001:db8:a::1

	# the switch: one bridge, all ports
	n sw sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	n sw ip link add name br0 type bridge
	n sw ip link set br0 up
	n sw ip addr add 10.0.1.2/24 dev br0
	n sw ip addr add 10.0.2.2/24 dev br0
	n sw ip addr add 10.10.0.1/24 dev br0
	n sw ip -6 addr add 2001:db8:1::2/64 dev br0 nodad
	n sw ip -6 addr add 2001:db8:2::2/64 dev br0 nodad
	n sw ip -6 addr add 2001:db8:10::1/64 dev br0 nodad
	n sw ip link set sw-pa master br0
	n sw ip link set sw-pb master br0
	n sw ip link set sw-pa up
	n sw ip link set sw-pb up

	for i in $(seq "$LAB_HOSTS"); do
		link sw "sw-h$i" "h$i" eth0
		n sw ip link set "sw-h$i" master br0
		n sw ip link set "sw-h$i" up
		n "h$i" ip addr add "10.10.0.$((10 + i))/24" dev eth0
		n "h$i" ip -6 addr add "2001:db8:10::$(printf %x $((16 + i)))/64" dev eth0 nodad
		n "h$i" ip link set eth0 up
	done
}

# lab_bfd IFACE: BIRD's BFD on interfaces matching IFACE, 3 x 100 ms
lab_bfd() { printf 'protocol bfd { interface "%s" { min rx interval 100 ms; min tx interval 100 ms; multiplier 3; }; }' "$1"; }

# lab_bird_providers EXTRA BFDON B6: the providers' BIRD configs. EXTRA goes
# in both (and LAB_TABLE_A / LAB_TABLE_B: BIRD files with more routes each
# announces, a synthetic full table, bench/failover.sh); B6 is what
# transit B does to its IPv6 route (a prepend, or nothing for a tie).
lab_bird_providers() {
	local dir=$LAB_ROOT/lab/bird ta="" tb=""
	[ -n "${LAB_TABLE_A:-}" ] && ta="\\ninclude \"$LAB_TABLE_A\";"
	[ -n "${LAB_TABLE_B:-}" ] && tb="\\ninclude \"$LAB_TABLE_B\";"
	bird_conf "$dir/provider.conf" "$LAB_DIR/bird-pa.conf" ID4=10.0.1.1 ID6=2001:db8:1::1 ASN=65001 \
		"EXTRA=$1$ta" "BFDON=$2" SW4=10.0.1.2 SW6=2001:db8:1::2 \
		"STATIC4=route 203.0.113.0/24 via 198.51.100.2; route 198.18.0.0/24 via 198.51.100.2; route 198.19.0.0/24 via 198.51.100.2;" \
		"STATIC6=route 2001:db8:ff::/48 via 2001:db8:a::2; route 2001:db8:fa::/48 via 2001:db8:a::2;"
	bird_conf "$dir/provider.conf" "$LAB_DIR/bird-pb.conf" ID4=10.0.2.1 ID6=2001:db8:2::1 ASN=65002 \
		"EXTRA=$1$tb" "BFDON=$2" SW4=10.0.2.2 SW6=2001:db8:2::2 \
		"STATIC4=route 203.0.113.0/24 via 198.51.100.6; route 198.19.0.0/24 via 198.51.100.6 { bgp_path.prepend(65002); };" \
		"STATIC6=route 2001:db8:ff::/48 via 2001:db8:b::2$3;"
}

# LAB_FAILOVER=1: the switch agent drives BIRD (docs/failover.md): each
# provider's sessions are its bird-protocol, with BFD (100 ms x 3), the
# description and announcements from onlink's include file, and transit-a
# has transit-b as backup (hold-down LAB_HOLD_DOWN, default 2s).
#
# LAB_BIRD_GEN=1 (with LAB_FAILOVER=1): onlink writes the providers' and the
# hosts' sessions from onlink.conf (local-as, remote-as, bird-hosts): the
# switch's BIRD config holds only the POP's export function and the timer
# templates, then includes onlink's file (docs/bird.md).
lab_bird() {
	local dir=$LAB_ROOT/lab/bird i p sessions="" extra="" pextra="" bfdon=""
	if [ -n "${LAB_BIRD_GEN:-}" ]; then
		pextra=$(lab_bfd eth0)
		bfdon="bfd on;"
		sessions='function pop_export() { return proto = "pop4" || proto = "pop6"; }\n'
		sessions+='template bgp lab_provider { hold time 9; connect delay time 1; connect retry time 2; error wait time 1, 5; }\n'
		sessions+='template bgp lab_host { hold time 9; connect delay time 1; connect retry time 2; error wait time 1, 5; }\n'
		sessions+="include \"$LAB_DIR/bird-onlink.conf\";\n"
	elif [ -n "${LAB_FAILOVER:-}" ]; then
		extra="include \"$LAB_DIR/bird-onlink.conf\";\n$(lab_bfd br0)"
		pextra=$(lab_bfd eth0)
		bfdon="bfd on;"
	fi
	lab_bird_providers "$pextra" "$bfdon" ""
	for p in a b; do
		[ -n "${LAB_BIRD_GEN:-}" ] && break
		local idx=1 f4="" f6=""; [ $p = b ] && idx=2
		if [ -n "${LAB_FAILOVER:-}" ]; then
			f4="bfd on; description onlink_description_transit_${p}4; ipv4 { export where proto = \"pop4\" || onlink_export(\"transit_${p}4\"); };"
			f6="bfd on; description onlink_description_transit_${p}6; ipv6 { export where proto = \"pop6\" || onlink_export(\"transit_${p}6\"); };"
		fi
		sessions+="protocol bgp transit_${p}4 from provider4 { local 10.0.$idx.2 as 65000; neighbor 10.0.$idx.1 as 6500$idx; $f4 }\\n"
		sessions+="protocol bgp transit_${p}6 from provider6 { local 2001:db8:$idx::2 as 65000; neighbor 2001:db8:$idx::1 as 6500$idx; $f6 }\\n"
	done
	for i in $(seq "$LAB_HOSTS"); do
		[ -n "${LAB_BIRD_GEN:-}" ] && break
		sessions+="protocol bgp h${i}_4 from hosts4 { neighbor 10.10.0.$((10 + i)) as 65000; }\\n"
		sessions+="protocol bgp h${i}_6 from hosts6 { neighbor 2001:db8:10::$(printf %x $((16 + i))) as 65000; }\\n"
	done
	bird_conf "$dir/switch.conf" "$LAB_DIR/bird-sw.conf" "SESSIONS=$sessions" "EXTRA=$extra" BFD= RID=10.10.0.1 \
		HOST4=10.10.0.1 HOST6=2001:db8:10::1 "POP4=route 10.10.0.0/24 blackhole;" \
		"POP6=route 2001:db8:10::/64 blackhole;"
	for i in $(seq "$LAB_HOSTS"); do
		local id4=10.10.0.$((10 + i)) id6=2001:db8:10::$(printf %x $((16 + i)))
		bird_conf "$dir/host.conf" "$LAB_DIR/bird-h$i.conf" "ID4=$id4" IF='"eth0"' EXTRA= BFD= \
			"SESSIONS=protocol bgp sw4 from rr4 { local $id4 as 65000; neighbor 10.10.0.1 as 65000; }\nprotocol bgp sw6 from rr6 { local $id6 as 65000; neighbor 2001:db8:10::1 as 65000; }"
	done
	for p in pa pb; do start_bird "$p" "$p" "$LAB_DIR/bird-$p.conf"; done
	start_bird_switch
	for i in $(seq "$LAB_HOSTS"); do start_bird "h$i" "h$i" "$LAB_DIR/bird-h$i.conf"; done
}

# LAB_PIN_PORTS=1: transit-b's MAC is pinned to its port by `port = sw-pb`
# (transit-a's is learned where it first answers).
# lab_key NODE: NODE's private key file, $LAB_DIR/NODE.key (made once,
# mode 0600); prints its public key
lab_key() {
	local f="$LAB_DIR/$1.key"
	[ -f "$f" ] || (umask 077; "$ONLINK" genkey > "$f")
	chmod 600 "$f"
	"$ONLINK" pubkey < "$f"
}

# The benchmarks' switch (bench/scale.sh, bench/identities.sh): namespace
# sw with bridge br0 (10.20.0.1/16) holding PROVIDERS next hops as
# permanent neighbors (peer N: 10.2.x.y), and namespace ld on it
# (10.20.255.1/16, its eth0); $LAB_DIR/providers lists "NAME ADDRESS".
# lab_bench_pop PROVIDERS MTU
lab_peer() { echo "10.2.$(($1 / 250)).$(($1 % 250 + 1))"; }
lab_bench_pop() {
	local provs=$1 mtu=$2 i
	ns_add sw
	# a fixed MAC: a bridge otherwise takes its lowest port's, and a MAC
	# change flushes every neighbor entry on it, permanent ones included
	n sw ip link add br0 address 02:00:00:00:00:fe mtu "$mtu" type bridge
	n sw ip addr add 10.20.0.1/16 dev br0
	n sw ip link set br0 up
	ns_add ld
	link ld eth0 sw ld0
	n ld ip link set eth0 mtu "$mtu"
	n sw ip link set ld0 mtu "$mtu" master br0 up
	n ld ip addr add 10.20.255.1/16 dev eth0
	n ld ip link set eth0 up
	for i in $(seq 0 $((provs - 1))); do
		echo "neigh replace $(lab_peer "$i") lladdr $(printf '02:00:00:bb:%02x:%02x' $((i / 256)) $((i % 256))) dev br0 nud permanent"
	done > "$LAB_DIR/neigh.batch"
	n sw ip -batch "$LAB_DIR/neigh.batch" || return 1
	for i in $(seq 0 $((provs - 1))); do echo "ix-$i $(lab_peer "$i")"; done > "$LAB_DIR/providers"
}

# lab_load_addrs N: addresses 10.20.128.1 on, one per simulated host, on
# ld's eth0, for scaleload -A 10.20.128.0 (each host from an address of its
# own, as on a real segment)
lab_load_addrs() {
	local i
	for i in $(seq "$1"); do
		echo "addr add $(( 10 )).20.$((128 + i / 256)).$((i % 256))/16 dev eth0"
	done > "$LAB_DIR/load-addrs.batch"
	n ld ip -batch "$LAB_DIR/load-addrs.batch"
}

# lab_one_host_pop ADDRS [SWITCH_EXTRA]: the benchmarks' POP of one
# provider and one real host h1 (10.20.1.1), with ADDRS addresses of ld's
# for an attacker; the switch's config (SWITCH_EXTRA: more [switch] lines)
# and h1's, written and checked (bench/preauth.sh, bench/hsflood.sh)
lab_one_host_pop() {
	local addrs=$1 extra=${2:-}
	lab_bench_pop 1 1500 || return 1
	lab_load_addrs "$addrs" || return 1
	ns_add h1
	link h1 eth0 sw sw-h1
	n sw ip link set sw-h1 master br0 up
	n h1 ip addr add 10.20.1.1/16 dev eth0
	n h1 ip link set eth0 up
	SWPUB=$(lab_key sw1)
	{
		printf '[switch]\nname = sw1\nlisten = 10.20.0.1:4710\nprivate-key-file = %s\ncontrol = %s\nstate-file = %s\n%s\n' \
			"$LAB_DIR/sw1.key" "$LAB_DIR/switch.sock" "$LAB_DIR/switch-state.json" "$extra"
		printf '[provider ix-0]\naddress = %s\ninterface = br0\ntable = 1001\n\n' "$(lab_peer 0)"
		lab_host_sections 1
	} > "$LAB_DIR/switch.conf"
	printf '[host]\nname = h1\ninterface = eth0\naddress = 10.20.1.1\nprivate-key-file = %s\ncontrol = %s\n\n[switch sw1]\nconnect = 10.20.0.1:4710\npublic-key = %s\n' \
		"$LAB_DIR/h1.key" "$LAB_DIR/host-h1.sock" "$SWPUB" > "$LAB_DIR/host-h1.conf"
	"$ONLINKD" -n -q -c "$LAB_DIR/switch.conf"
}

# lab_host_sections HOSTS: a switch's [host hN] sections, with each host's key
lab_host_sections() {
	local i
	for i in $(seq "$1"); do
		printf '[host h%s]\npublic-key = %s\n' "$i" "$(lab_key "h$i")"
		[ -n "${LAB_BIRD_GEN:-}" ] && printf 'address = 10.10.0.%s\naddress = 2001:db8:10::%x\n' $((10 + i)) $((16 + i))
		echo
	done
}

lab_onlink_configs() {
	local i hosts slices4="" slices6="" swpub
	hosts=$(lab_host_sections "$LAB_HOSTS")
	swpub=$(lab_key sw1)
	# every host gets a slice of the shared egress addresses: h1 10000-19999,
	# h2 20000-29999, ... (LAB_SLICE_SIZE ports each)
	for i in $(seq "$LAB_HOSTS"); do
		if [ "$i" -le 5 ]; then
			slices4+="slice = h$i $((i * 10000))-$((i * 10000 + ${LAB_SLICE_SIZE:-10000} - 1))"$'\n'
			slices6+="slice = h$i $((i * 10000))-$((i * 10000 + ${LAB_SLICE_SIZE:-10000} - 1))"$'\n'
		fi
	done
	local fo_sw="" fo_a="" fo_b=""
	if [ -n "${LAB_FAILOVER:-}" ]; then
		fo_sw="bird-socket = $LAB_DIR/bird-sw.ctl"$'\n'"bird-include = $LAB_DIR/bird-onlink.conf"$'\n'"bird-poll = ${LAB_BIRD_POLL:-100ms}"
		# what the lab's POP owns: onlink announce takes these only
		fo_sw+=$'\n'"own-prefix = 198.18.0.0/15"$'\n'"own-prefix = 2001:db8:70::/44"
		fo_a="description = Transit A (lab)"$'\n'"bird-protocol = transit_a4"$'\n'"bird-protocol = transit_a6"$'\n'"backup = transit-b"$'\n'"hold-down = ${LAB_HOLD_DOWN:-2s}"
		fo_b="description = Transit B (lab)"$'\n'"bird-protocol = transit_b4"$'\n'"bird-protocol = transit_b6"$'\n'"hold-down = ${LAB_HOLD_DOWN:-2s}"
	fi
	if [ -n "${LAB_BIRD_GEN:-}" ]; then
		fo_sw+=$'\n'"local-as = 65000"$'\n'"bird-export = pop_export"$'\n'"bird-template = lab_provider"
		fo_sw+=$'\n'"bird-hosts = yes"$'\n'"bird-host-template = lab_host"
		fo_a="description = Transit A (lab)"$'\n'"bfd = yes"$'\n'"backup = transit-b"$'\n'"hold-down = ${LAB_HOLD_DOWN:-2s}"
		fo_b="description = Transit B (lab)"$'\n'"bfd = yes"$'\n'"hold-down = ${LAB_HOLD_DOWN:-2s}"
	fi
	# LAB_METRICS=1: every daemon serves Prometheus metrics on its own
	# namespace's loopback, port 9477
	local mx=${LAB_METRICS:+metrics = 127.0.0.1:9477}
	# LAB_FAST_PATH=GROUP:PORT: changes also go out as datagrams on br0
	local fp=""
	if [ -n "${LAB_FAST_PATH:-}" ]; then
		fp="fast-path = $LAB_FAST_PATH"$'\n'"fast-path-interface = br0"$'\n'"fast-path-delay = ${LAB_FAST_PATH_DELAY:-100ms}"
	fi
	# LAB_EGRESS_POOL=1: the shared addresses (two of each family) are a
	# pool the switch leases from, not fixed slices
	local egress="[egress 192.0.2.10]
$slices4
[egress 2001:db8:e::10]
$slices6"
	if [ -n "${LAB_EGRESS_POOL:-}" ]; then
		fo_sw+=$'\n'"host-dead-after = ${LAB_HOST_DEAD_AFTER:-30s}"
		egress="[egress-pool edge]
address = 192.0.2.10
address = 192.0.2.11
address = 2001:db8:e::10
address = 2001:db8:e::11
slice-size = ${LAB_POOL_SLICE_SIZE:-1024}
ports = ${LAB_POOL_PORTS:-10240-14335}
${LAB_POOL_HOSTS:+hosts = $LAB_POOL_HOSTS}
quarantine = ${LAB_POOL_QUARANTINE:-120s}
"
	fi
	cat > "$LAB_DIR/switch.conf" <<CONF
[switch]
$fo_sw
$mx
$fp
name = sw1
listen = 10.10.0.1:4710
listen = [2001:db8:10::1]:4710
private-key-file = $LAB_DIR/sw1.key
control = $LAB_DIR/switch.sock
state-file = $LAB_DIR/switch-state.json
keepalive = ${LAB_KEEPALIVE:-2}

[provider transit-a]
address = 10.0.1.1
address = 2001:db8:1::1
interface = br0
table = 101
remote-as = 65001
$fo_a

[provider transit-b]
address = 10.0.2.1
address = 2001:db8:2::1
interface = br0
${LAB_PIN_PORTS:+port = sw-pb}
table = 102
remote-as = 65002
$fo_b

$egress
$hosts
CONF
	for i in $(seq "$LAB_HOSTS"); do
		cat > "$LAB_DIR/host-h$i.conf" <<CONF
[host]
name = h$i
interface = eth0
address = 10.10.0.$((10 + i))
address = 2001:db8:10::$(printf %x $((16 + i)))
private-key-file = $LAB_DIR/h$i.key
control = $LAB_DIR/host-h$i.sock
keepalive = ${LAB_KEEPALIVE:-2}
$mx

[switch sw1]
connect = 10.10.0.1:4710
public-key = $swpub
CONF
	done
}

start_switchd() { lab_spawn onlinkd-sw sw "$ONLINKD" switch -c "$LAB_DIR/switch.conf"; }
start_hostd() { lab_spawn "onlinkd-h$1" "h$1" "$ONLINKD" host -c "$LAB_DIR/host-h$1.conf"; }

status_json() { # sock
	"$ONLINK" status -s "$1" --json
}

# True when host i's kernel routes 203.0.113.0/24 through both providers.
host_converged() {
	local r
	r=$(n "h$1" ip -4 route show 203.0.113.0/24)
	[[ $r == *10.0.1.1* && $r == *10.0.2.1* ]] || return 1
	r=$(n "h$1" ip -6 route show 2001:db8:ff::/48)
	[[ $r == *2001:db8:1::1* && $r == *2001:db8:2::1* ]]
}

lab_up() {
	lab_topology
	lab_onlink_configs
	# the switch agent writes the include file BIRD on the switch reads
	start_switchd
	if [ -n "${LAB_FAILOVER:-}" ]; then
		wait_for 10 "switch agent wrote bird-onlink.conf" test -s "$LAB_DIR/bird-onlink.conf" || return 1
	fi
	lab_bird
	local i
	for i in $(seq "$LAB_HOSTS"); do start_hostd "$i"; done
	for i in $(seq "$LAB_HOSTS"); do
		wait_for 60 "h$i converged (BGP + onlink)" host_converged "$i" || return 1
	done
}

# lab_delay a|b MS: delay traffic the provider forwards towards the
# Internet by MS milliseconds (one way: requests are delayed, replies are
# not, so a round trip through the provider takes MS more). netem when the
# kernel has it; otherwise a TUN delay line (build/delayline) that the
# provider's policy routing sends forwarded traffic through.
lab_delay() {
	local p=$1 ms=$2
	if n "p$p" tc qdisc replace dev inet root netem delay "${ms}ms" 2>/dev/null; then
		return 0
	fi
	lab_spawn "delay-p$p" "p$p" "$LAB_ROOT/build/delayline" dly0 "$ms"
	wait_for 5 "delay line in p$p" n "p$p" ip link show dly0 || return 1
	n "p$p" ip link set dly0 up
	n "p$p" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.dly0.rp_filter=0
	n "p$p" ip rule add iif eth0 lookup 100 pref 100
	n "p$p" ip route add default dev dly0 table 100
	n "p$p" ip -6 rule add iif eth0 lookup 100 pref 100
	n "p$p" ip -6 route add default dev dly0 table 100
}

# lab_blackhole a|b on|off: the provider silently drops every packet it
# forwards from the POP (its link, ARP and BGP stay up: nothing withdraws)
lab_blackhole() {
	if [ "$2" = on ]; then
		n "p$1" nft -f - <<'NFT'
table inet bh {
	chain forwarded {
		type filter hook forward priority 0;
		iifname "eth0" counter drop
	}
}
NFT
	else
		n "p$1" nft delete table inet bh
	fi
}

# lab_repath_conf I CGROUP: host hI probes 198.19.0.1 (BIRD's choice:
# transit-a) every 200 ms and repaths stalled connections of CGROUP on
# their 2nd timeout in a row ([probe] and [repath] added to its config;
# the caller reloads it)
lab_repath_conf() {
	cat >> "$LAB_DIR/host-h$1.conf" <<CONF

[probe]
target = 198.19.0.1
interval = 200ms
timeout = 500ms

[repath]
after-rtos = 2
cgroup = $2
CONF
}

# lab_loss a|b on|off: the provider drops 1% of what it forwards, each way,
# at random; "lab_loss a dropped" prints how many it dropped so far
lab_loss() {
	case $2 in
	on) n "p$1" nft -f - <<'NFT'
table inet loss {
	chain forwarded {
		type filter hook forward priority 0;
		numgen random mod 100 0 counter drop
	}
}
NFT
	;;
	dropped) n "p$1" nft -j list table inet loss | jq '[.nftables[] | select(.rule) | .rule.expr[] | select(.counter) | .counter.packets] | add' ;;
	*) n "p$1" nft delete table inet loss ;;
	esac
}

# bench_init NAME: a benchmark's start (root only): its lab directory,
# with the lab stopped and the directory removed on exit
bench_init() {
	if [ "$(id -u)" != 0 ]; then echo "the benchmark creates network namespaces: run it as root" >&2; exit 1; fi
	LAB_DIR=$(mktemp -d "/tmp/onlink-bench-$1.XXXXXX")
	lab_init "$LAB_DIR"
	trap 'lab_down; rm -rf "$LAB_DIR"' EXIT
}

# lab_redelay a|b MS: the provider's delay changed to MS (netem, or a new
# delay line in place of the old one).
lab_redelay() {
	local p=$1 ms=$2
	if n "p$p" tc qdisc replace dev inet root netem delay "${ms}ms" 2>/dev/null; then
		return 0
	fi
	lab_stop "delay-p$p"
	lab_spawn "delay-p$p" "p$p" "$LAB_ROOT/build/delayline" dly0 "$ms"
	wait_for 5 "delay line in p$p" n "p$p" ip link show dly0 || return 1
	n "p$p" ip link set dly0 up
	n "p$p" sysctl -qw net.ipv4.conf.dly0.rp_filter=0
	n "p$p" ip route replace default dev dly0 table 100
	n "p$p" ip -6 route replace default dev dly0 table 100
}

# lab_egress_clients: the shared addresses routed to the POP (h1 by the
# switch, lab_egress_ecmp spreads them), and a client namespace on h1
lab_egress_clients() {
	n inet ip route add 192.0.2.10/32 via 198.51.100.1
	n inet ip -6 route add 2001:db8:e::10/128 via 2001:db8:a::1
	n pa ip route add 192.0.2.10/32 via 10.0.1.2
	n pa ip -6 route add 2001:db8:e::10/128 via 2001:db8:1::2
	n pb ip route add 192.0.2.10/32 via 10.0.2.2
	n pb ip -6 route add 2001:db8:e::10/128 via 2001:db8:2::2
	n sw ip route add 192.0.2.10/32 via 10.10.0.11
	n sw ip -6 route add 2001:db8:e::10/128 via 2001:db8:10::11
	lab_egress_client 1
}

# lab_egress_client I: client namespace cI (100.64.I.2, fd64:I::2) behind
# hI, and hI's egress proxy config (start_egressd I)
lab_egress_client() {
	local i=$1
	ns_add "c$i"
	link "h$i" cl0 "c$i" eth0
	n "h$i" ip addr add "100.64.$i.1/24" dev cl0
	n "h$i" ip -6 addr add "fd64:$i::1/64" dev cl0 nodad
	n "h$i" ip link set cl0 up
	# slices must lie inside the system's ephemeral range (see egressd.c)
	n "h$i" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 net.ipv4.ip_local_port_range="1024 65535"
	n "c$i" ip addr add "100.64.$i.2/24" dev eth0
	n "c$i" ip -6 addr add "fd64:$i::2/64" dev eth0 nodad
	n "c$i" ip link set eth0 up
	n "c$i" ip route add default via "100.64.$i.1"
	n "c$i" ip -6 route add default via "fd64:$i::1"
	cat > "$LAB_DIR/egress-h$i.conf" <<CONF
[egress]
host-control = $LAB_DIR/host-h$i.sock
clients = 100.64.0.0/10
clients = fd64::/16
control = $LAB_DIR/egress-h$i.sock
idle-timeout = ${LAB_EGRESS_IDLE:-300}
udp-idle-timeout = ${LAB_EGRESS_UDP_IDLE:-60}
${LAB_METRICS:+metrics = 127.0.0.1:9478}
${LAB_EGRESS_CLIENT_FLOWS:+client-flows = $LAB_EGRESS_CLIENT_FLOWS}
CONF
}

start_egressd() { lab_spawn "onlinkd-egress-h$1" "h$1" "$ONLINKD" egress -c "$LAB_DIR/egress-h$1.conf"; }

# lab_haproxy_config FILE, then `listen` sections on stdin: HAProxy as the
# egress benchmarks compare it, in TCP mode with one thread (as onlinkd
# egress has one), on h1's own address (which the TPROXY rule leaves alone)
lab_haproxy_config() {
	{
		printf 'global\n\tmaxconn 8000\n\tnbthread 1\n'
		printf 'defaults\n\tmode tcp\n\ttimeout connect 5s\n\ttimeout client 60s\n\ttimeout server 60s\n'
		cat
	} > "$1"
}

# lab_tcpmem NS: bytes the TCP sockets of namespace NS hold: their receive
# and send queues and forward allocations (ss's skmem r, w and f), what the
# host's TCP memory (tcp_mem) counts for them
lab_tcpmem() {
	n "$1" ss -tmnH | grep -o 'skmem:([^)]*)' |
		awk -F'[(),]' '{ for (i = 2; i <= NF; i++) if ($i ~ /^(r|w|f)[0-9]/) s += substr($i, 2) + 0 } END { print s + 0 }'
}
# lab_tcp_pressure: whether the kernel is in tcp_mem pressure (all namespaces share it)
lab_tcp_pressure() { awk '$1 == "TCP" || $1 == "TCPv6" { if ($5 == "yes") p = 1 } END { exit !p }' /proc/net/protocols; }
# lab_tcpmem_peak NS SAMPLES: "MAX PRESSURED": the most lab_tcpmem NS gave
# over SAMPLES samples 0.2 s apart, and 1 if tcp_mem pressure was seen
lab_tcpmem_peak() {
	local max=0 m pressured=0 i
	for ((i = 0; i < $2; i++)); do
		m=$(lab_tcpmem "$1")
		[ "$m" -gt "$max" ] && max=$m
		lab_tcp_pressure && pressured=1
		sleep 0.2
	done
	echo "$max $pressured"
}

# lab_egress_ecmp [N]: the switch spreads return traffic for the shared
# egress addresses across h1..hN (default 2; ECMP, hashed on ports).
lab_egress_ecmp() {
	local i nh4="" nh6=""
	for i in $(seq "${1:-2}"); do
		nh4+=" nexthop via 10.10.0.$((10 + i))"
		nh6+=" nexthop via 2001:db8:10::$(printf %x $((16 + i)))"
	done
	n sw sysctl -qw net.ipv4.fib_multipath_hash_policy=1 net.ipv6.fib_multipath_hash_policy=1
	n sw ip route replace 192.0.2.10/32 $nh4
	n sw ip -6 route replace 2001:db8:e::10/128 $nh6
}

# the redundant POP (two switches): lab/redundant.sh
. "$LAB_ROOT/lab/redundant.sh"
. "$LAB_ROOT/lab/unit.sh"
