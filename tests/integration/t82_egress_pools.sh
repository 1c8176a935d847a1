#!/usr/bin/env bash
# Egress pools: the switch agent leases each host of a pool one slice of
# each family (two IPv4 and two IPv6 addresses, 4 slices of 1024 ports
# each; h1-h7 in the pool, h8 joins later). Leases survive a switch agent
# restart. A host without a session for host-dead-after loses its leases:
# they rest for the quarantine (nobody gets them, every host drops their
# return traffic, counted), a host that comes back meanwhile gets its own
# again, and after the quarantine they are free and leased again.
. "$(dirname "$0")/testlib.sh"
export LAB_EGRESS_UDP_IDLE=4 LAB_HOSTS=8 LAB_EGRESS_POOL=1 LAB_METRICS=1 LAB_POOL_HOSTS="h1 h2 h3 h4 h5 h6 h7" \
	LAB_HOST_DEAD_AFTER=3s LAB_POOL_QUARANTINE=10s
t_lab
SW=$LAB_DIR/switch.sock
# a host's leases as "ADDRESS FIRST-LAST" lines, sorted
leases_of() { st "$SW" "[.leases[] | select(.host == \"$1\" and .state == \"${2:-held}\") | \"\(.address) \(.first)-\(.last)\"] | sort | join(\",\")"; }
held() { st "$SW" '[.leases[] | select(.state == "held")] | length'; }
mine() { st "$(host_sock "$1")" '[.egress[] | select(.mine) | "\(.address) \(.mine.first)-\(.mine.last)"] | sort | join(",")'; }
smetric() { n sw curl -sf --max-time 5 http://127.0.0.1:9477/metrics; }

# the lease list of a host ("ADDRESS FIRST-LAST", sorted), as wanted
is_leased() { [ "$(leases_of "$1" "${3:-held}")" = "$2" ]; }
count_leases() { [ "$(st "$SW" "[.leases[] | select(.host == \"$1\" and .state == \"$2\")] | length")" = "$3" ]; }
slices_are_leases() { local m; m=$(mine "$1"); [ -n "$m" ] && [ "$m" = "$(leases_of "h$1")" ] && [ "$(tr , '\n' <<<"$m" | wc -l)" = 2 ]; }
resting_counted() { [ "$(st "$(host_sock 2)" .steering.resting)" -ge "$1" ]; }
rejoined() { [ "$(grep -c 'connected and authenticated' "$LAB_DIR/onlinkd-h7.log")" -gt "$1" ]; }

check_eq "every host of the pool holds one slice of each family (14 leases)" "$(held)" "14"
check_eq "the IPv4 leases are spread over both addresses (4 and 3)" \
	"$(st "$SW" '[.leases[] | select(.address | test("^192")) | .address] | group_by(.) | map(length) | sort | join(",")')" "3,4"
for i in 1 2 3 4 5 6 7; do
	check "h$i: its slices are its leases, one IPv4 and one IPv6" wait_for 10 "h$i slices" slices_are_leases $i
done
for a in $(mine 3 | tr ',' '\n' | cut -d' ' -f1); do
	check "h3 has its leased address $a on lo" bash -c "ip netns exec ${LAB_PREFIX}h3 ip addr show dev lo | grep -q ' $a/'"
done
check_eq "h8, outside the pool, holds no slice" "$(mine 8)" ""
check_eq "the metrics list the 14 leases" "$(smetric | grep -c '^onlink_switch_egress_lease_since_timestamp_seconds{.*state="held"}')" "14"
check_eq "the metrics count the free IPv4 slice" \
	"$(smetric | grep '^onlink_switch_egress_pool_slices{pool="edge",family="ipv4",state="free"}' | cut -d' ' -f2)" "1"
check "onlink status shows the leases" bash -c "'$ONLINK' status -s '$SW' | grep -q '^edge .* h1 .*held since'"

# a switch agent restart changes no lease
before=$(st "$SW" '.leases | sort_by(.address, .first) | tojson')
conns=$(grep -c "connected and authenticated" "$LAB_DIR/onlinkd-h7.log")
lab_stop onlinkd-sw KILL
rm -f "$SW"
start_switchd
wait_for 15 "h7 back" rejoined "$conns"
all_back() { [ "$(st "$SW" '.peers | length')" = 8 ]; }
wait_for 40 "every host back" all_back
check_eq "a restarted switch agent holds the same leases, since included" \
	"$(st "$SW" '.leases | sort_by(.address, .first) | tojson')" "$before"

# h1 dies (its agent and its uplink): after host-dead-after its leases rest
old1=$(leases_of h1)
first4=$(tr , '\n' <<<"$old1" | grep '^192' | cut -d' ' -f2)
addr4=$(tr , '\n' <<<"$old1" | grep '^192' | cut -d' ' -f1)
lab_stop onlinkd-h1 KILL
n h1 ip link set eth0 down
check "3 s after h1's session ended, its leases rest" wait_for 15 "h1 resting" is_leased h1 "$old1" resting
steers_resting() { n h2 nft list chain netdev onlink_steer ingress | grep -q "ip daddr $addr4 .*th dport $first4 counter name \"resting\" drop"; }
check "h2 drops the resting slice's return traffic (no host steers it)" wait_for 10 "h2 resting rule" steers_resting
# replies for the resting ports that reach h2 are dropped there, counted
n inet ip route add 192.0.2.10/31 via 198.51.100.1
n pa ip route add 192.0.2.10/31 via 10.0.1.2
n sw ip route add 192.0.2.10/31 via 10.10.0.12
r0=$(st "$(host_sock 2)" .steering.resting)
n inet python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for p in range(${first4%-*}, ${first4%-*} + 20): s.sendto(b'x', ('$addr4', p))"
check "h2 counted the replies for the resting slice it dropped" wait_for 5 "resting counted" resting_counted $((r0 + 20))

# h8 joins the pool meanwhile: it gets the free slice, never h1's
sed -i 's/^hosts = h1 h2 h3 h4 h5 h6 h7$/hosts = h1 h2 h3 h4 h5 h6 h7 h8/' "$LAB_DIR/switch.conf"
kill -HUP "$(lab_pid onlinkd-sw)"
check "h8, added to the pool by a reload, holds two leases" wait_for 10 "h8 leases" count_leases h8 held 2
check_eq "none of them is h1's resting one" \
	"$(comm -12 <(tr , '\n' <<<"$(leases_of h8)" | sort) <(tr , '\n' <<<"$old1" | sort))" ""

# h1 comes back within the quarantine: its own slices again
n h1 ip link set eth0 up
start_hostd 1
check "h1, back within the quarantine, holds its own slices again" wait_for 15 "h1 back" is_leased h1 "$old1"
check "and its agent installs them" wait_for 10 "h1 mine" slices_are_leases 1

# h1 dies again and stays away: after the quarantine its slices are free
lab_stop onlinkd-h1 KILL
n h1 ip link set eth0 down
wait_for 15 "h1 resting again" count_leases h1 resting 2
check "after the quarantine h1's slices are free (no lease names them)" wait_for 20 "h1 freed" count_leases h1 resting 0
check "the log says so" grep -q "egress pool edge: $addr4 $first4 freed (was h1's)" "$LAB_DIR/onlinkd-sw.log"
# ... and leased again when a host needs one: h1, back
n h1 ip link set eth0 up
start_hostd 1
check "h1, back after the quarantine, is leased its old slices again (the only free ones)" \
	wait_for 15 "h1 leased" is_leased h1 "$old1"
check_eq "16 leases held, none resting" "$(held) $(st "$SW" '[.leases[] | select(.state == "resting")] | length')" "16 0"

# onlink egress move: h2 gets new slices; its live flows keep their ports
# of the old ones, and none breaks
lab_egress_client 2
n inet ip route add 192.0.2.11/32 via 198.51.100.1
n pa ip route add 192.0.2.11/32 via 10.0.1.2
n sw ip route replace 192.0.2.10/31 via 10.10.0.12
start_egressd 2
proxy_up() { [ "$(st "$LAB_DIR/egress-h2.sock" .ipv4.first)" != null ]; }
wait_for 10 "h2's proxy" proxy_up
TOOLS=$LAB_ROOT/lab/tools
lab_spawn flowsrv inet python3 "$TOOLS/longflows.py" server "$LAB_DIR/flows.log" 203.0.113.1:7000
wait_for 5 "flow server" n inet bash -c "exec 3<>/dev/tcp/203.0.113.1/7000"
lab_spawn moved c2 python3 "$TOOLS/longflows.py" client 203.0.113.1 7000 20 20 "$LAB_DIR/stop-moved"
wait_for 30 "flows ready" grep -q '^ready' "$LAB_DIR/moved.log"
old2=$(leases_of h2)
addr2=$(tr , '\n' <<<"$old2" | grep '^192' | cut -d' ' -f1)
live_known() { [ "$(st "$SW" "[.live[] | select(.host == \"h2\" and .address == \"$addr2\") | .in_use] | add // 0")" -ge 30 ]; }
check "the switch knows what h2's 40 flows hold" wait_for 10 "h2 live" live_known
check "the lease shows the ports in use" \
	bash -c "[ \$('$ONLINK' status -s '$SW' --json | jq '[.leases[] | select(.host == \"h2\" and .address == \"$addr2\") | .in_use] | add') -ge 30 ]"
check_eq "a move needs a free slice: refused while the pool is full" "$("$ONLINK" egress move -s "$SW" h2 2>&1)" \
	"onlink egress move: egress-move: h2 holds no lease of a pool with a free slice"
# a wider range: a fifth slice of each address, the leases unchanged
sed -i 's/^ports = 10240-14335$/ports = 10240-15359/' "$LAB_DIR/switch.conf"
kill -HUP "$(lab_pid onlinkd-sw)"
wider() { [ "$(smetric | grep '^onlink_switch_egress_pool_slices{pool="edge",family="ipv4",state="free"}' | cut -d' ' -f2)" = 2 ]; }
check "a reload widens the pool, every lease kept" wait_for 10 "wider" wider
check_eq "h2's leases unchanged by it" "$(leases_of h2)" "$old2"
check "onlink egress move h2" bash -c "'$ONLINK' egress move -s '$SW' h2 | grep -q 'h2 now leases'"
new2=$(leases_of h2)
check "h2 holds two new leases, none of its old ones" \
	bash -c "[ \$(tr , '\\n' <<<'$new2' | wc -l) = 2 ] && [ -z \"\$(comm -12 <(tr , '\\n' <<<'$new2' | sort) <(tr , '\\n' <<<'$old2' | sort))\" ]"
kept_h2() { [ "$(st "$SW" '[.moves[] | select(.host == "h2") | .kept] | add // 0')" -ge 30 ]; }
check "the ports its flows hold of its old IPv4 slice are kept for it" wait_for 10 "kept" kept_h2
sleep 3 # the 40 flows run on across the move
touch "$LAB_DIR/stop-moved"
wait_for 20 "flows done" grep -q '^{' "$LAB_DIR/moved.log"
r=$(grep '^{' "$LAB_DIR/moved.log")
check_eq "none of h2's 40 flows broke, none stalled a second (max gap $(jq .max_gap_ms <<<"$r") ms)" \
	"$(jq -c '[.broken, .gaps_over_1s]' <<<"$r")" "[0,0]"
check_eq "an unknown host is refused" "$("$ONLINK" egress move -s "$SW" h9 2>&1)" "onlink egress move: egress-move: no host 'h9' in the config"

# a busy host: h2's IPv4 slice over 90% in use (922 UDP flows, each a port
# of its 1024: the most its one client gets before the last tenth is kept
# for others) gets one more; idle again, it gives the extra one back after
# shrink-after (3 s here)
sed -i 's/^quarantine = \(.*\)$/quarantine = \1\nshrink-after = 3s/' "$LAB_DIR/switch.conf"
kill -HUP "$(lab_pid onlinkd-sw)"
ipv4_leases() { st "$SW" '[.leases[] | select(.host == "h2" and .state == "held" and (.address | test("^192")))] | length'; }
has_v4() { [ "$(ipv4_leases)" = "$1" ]; }
no_udp() { [ "$(st "$LAB_DIR/egress-h2.sock" .udp.active)" = 0 ]; }
wait_for 15 "the moved flows expired" no_udp
lab_spawn busy c2 python3 "$TOOLS/longflows.py" client 203.0.113.1 7000 0 922 "$LAB_DIR/stop-busy" 1
check "922 UDP flows through h2" wait_for 60 "busy ready" grep -q '^ready' "$LAB_DIR/busy.log"
check "h2, its IPv4 slice over 90% in use, is leased a second one" wait_for 15 "grew" has_v4 2
check "the log says why" grep -q "leased to h2 as well: its slices are over 90% in use" "$LAB_DIR/onlinkd-sw.log"
proxy_slices() { [ "$(st "$LAB_DIR/egress-h2.sock" '[.slices[] | select(.address | test("^192"))] | length')" = 2 ]; }
check "h2's proxy takes ports from both" wait_for 10 "proxy has both" proxy_slices
extra=$(st "$SW" '[.leases[] | select(.host == "h2" and .state == "held" and (.address | test("^192")))] | sort_by(.since) | last | "\(.first) \(.last)"')
: > "$LAB_DIR/flows.log"
n c2 python3 "$TOOLS/udp_echo.py" client 203.0.113.1 7000 20 1 100 >/dev/null 2>&1
in_extra() { awk -v lo="${extra% *}" -v hi="${extra#* }" '$1 == "udp" && $3 >= lo && $3 <= hi { n++ } END { exit n == 0 }' "$LAB_DIR/flows.log"; }
check "new flows of h2 leave from the extra slice too ($extra)" in_extra
touch "$LAB_DIR/stop-busy"
lab_stop busy
check "idle again (its UDP flows expired), h2 gives the extra slice back" wait_for 30 "shrank" has_v4 1
check "the log says so" grep -q "given back by h2: its slices under 50% in use" "$LAB_DIR/onlinkd-sw.log"
