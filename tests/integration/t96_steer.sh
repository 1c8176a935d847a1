#!/usr/bin/env bash
# check: once in the sanitizers pass (75 s: its daemons run under ASan and UBSan there)
# Prefixes follow the probes ([steer], docs/steering.md). Both providers
# carry 198.19.0.0/25 and BIRD prefers transit-a (transit-b prepends);
# its halves 198.19.0.0/25 and 198.19.0.128/25 are steered. Every
# host probes 198.19.0.1 and 198.19.0.129 through both providers; the
# lab's delay lines set each provider's RTT. In order, with one switch
# agent and two hosts:
#  - gains below the thresholds, and gains that come and go every window:
#    0 moves;
#  - transit-a +60 ms: within windows x window + 2 s every host's unmarked
#    traffic to 198.19.0.1 leaves through transit-b (ip route get,
#    transit-b's counters), marked traffic keeps its provider; onlink route
#    and onlink steer say why; max-moves 1 holds the second prefix back;
#  - a dry run (a reload in place, state kept): the overrides go at once,
#    the second prefix's move is logged and counted, no host changes;
#    dry run off: both prefixes through transit-b;
#  - transit-a fast again, transit-b slow: nothing moves before hold-down,
#    then both go back to BGP's choice;
#  - the switch agent killed: the hosts drop its overrides after ttl;
#  - a provider that goes down takes its overrides with it at once.
. "$(dirname "$0")/testlib.sh"
export LAB_METRICS=1
t_lab
ONLINK_SW=$LAB_DIR/switch.sock
n inet ip addr add 198.19.0.129/32 dev lo
lab_delay a 10
lab_delay b 5
metrics() { n sw curl -s http://127.0.0.1:9477/metrics; }
metric() { metrics | awk -v k="$1" '$1 == k { v = $2 } END { print v + 0 }'; }
moves() { metric "onlink_steer_moves_total{prefix=\"$1\",from=\"$2\",to=\"$3\",reason=\"$4\"}"; }
deferred() { metric "onlink_steer_deferred_total{prefix=\"$1\",reason=\"$2\"}"; }
all_moves() { metrics | awk '$1 ~ /^onlink_steer_moves_total/ { s += $2 } END { print s + 0 }'; }
window() { st "$ONLINK_SW" .steer.window; }
# the provider a host's unmarked traffic to ADDR takes (by its next hop)
via() { n "h$1" ip -j route get "$2" | jq -r '.[0].gateway'; }
both_via() { [ "$(via 1 "$1")" = "$2" ] && [ "$(via 2 "$1")" = "$2" ]; }
# wait until the switch agent decided N more windows
windows_pass() { local w0; w0=$(window); wait_for $(( $1 * 2 + 5 )) "$1 windows" bash -c "[ \$('$ONLINK' status -s '$ONLINK_SW' --json | jq .steer.window) -ge $(( w0 + $1 )) ]"; }
steer_conf() { # DRYRUN MAXMOVES: [steer] in the switch's config, a reload in place
	sed -i '/^\[steer\]/,$d' "$LAB_DIR/switch.conf"
	cat >> "$LAB_DIR/switch.conf" <<CONF
[steer]
prefix = 198.19.0.0/25
prefix = 198.19.0.128/25
target = 198.19.0.1
target = 198.19.0.129
interval = 200ms
window = 1s
windows = 3
min-gain = 10ms
min-gain-ratio = 10%
loss-gain = 2%
hold-down = 20s
max-moves = $2
ttl = 4s
dry-run = $1
CONF
	kill -HUP "$(lab_pid onlinkd-sw)"
}
steer_conf no 1
check "[steer] added: applied in place" wait_for 10 "reload" grep -q "reload: .*switch.conf changed: applied in place" "$LAB_DIR/onlinkd-sw.log"
check "...said" grep -q "steer: 2 prefixes, 2 targets probed every 200 ms, windows of 1000 ms$" "$LAB_DIR/onlinkd-sw.log"
for i in 1 2; do
	check "h$i probes the switch's targets" wait_for 10 "targets" bash -c "[ \"\$('$ONLINK' status -s '$(host_sock $i)' --json | jq .steer.targets)\" = 2 ]"
done
check_eq "BGP's choice for both prefixes: transit-a" "$(via 1 198.19.0.1) $(via 1 198.19.0.129)" "10.0.1.1 10.0.1.1"
check "the switch takes every host's reports" wait_for 10 "reports" bash -c "[ \$('$ONLINK' status -s '$ONLINK_SW' --json | jq .steer.reports) -ge 8 ]"

# a gain under min-gain (5 ms, 10 needed): nothing moves in 5 windows
windows_pass 5
check_eq "transit-b 5 ms faster (min-gain 10 ms): no move in 5 windows" "$(all_moves)" 0
check "...the switch measured both (a window's RTT per provider)" bash -c "[ \$('$ONLINK' status -s '$ONLINK_SW' --json | jq '[.steer.prefixes[0].last_window[] | select(.answered > 0)] | length') = 2 ]"
# a gain that comes and goes every window: nothing moves. transit-a's
# traffic goes through a second delay line (70 ms) or its first (10 ms),
# switched by its route at each window's start (windows are aligned to
# the second): no restart, no loss
lab_spawn delay2-pa pa "$LAB_ROOT/build/delayline" dly1 70
wait_for 5 "second delay line" n pa ip link show dly1
n pa ip link set dly1 up
n pa sysctl -qw net.ipv4.conf.dly1.rp_filter=0
a_line() { n pa ip route replace default dev "$1" table 100; }
next_second() { python3 -c 'import time; time.sleep(1 - time.time() % 1 + 0.02)'; }
for k in 1 2 3 4 5 6 7 8; do
	next_second # what is measured: whole windows of each
	if [ $((k % 2)) = 1 ]; then a_line dly1; else a_line dly0; fi
done
windows_pass 2
check_eq "transit-a 60 ms slower every other window, 8 windows: no move" "$(all_moves)" 0

# transit-a stays 60 ms slower: moves within windows x window + 2 s
a_line dly1
t0=$(date +%s%N)
check "transit-a +60 ms: every host's unmarked traffic to 198.19.0.1 leaves through transit-b within 3 x 1 s + 2 s" \
	wait_for 5 "moved" both_via 198.19.0.1 10.0.2.1
lab_log "moved $(( ($(date +%s%N) - t0) / 1000000 )) ms after transit-a slowed"
check "...logged with its figures" grep -q 'steer: 198.19.0.0/25: transit-a -> transit-b (rtt): RTT [0-9.]* vs [0-9.]* ms, loss 0.0% vs 0.0%, 3 windows of 1000 ms in a row' "$LAB_DIR/onlinkd-sw.log"
check_eq "...counted" "$(moves 198.19.0.0/25 transit-a transit-b rtt)" 1
limited() { [ "$(deferred 198.19.0.128/25 max-moves)" -ge 1 ]; }
check "...max-moves 1: 198.19.0.128/25 held back this minute, counted" wait_for 3 "limited" limited
check_eq "...its traffic still on BGP's choice" "$(via 1 198.19.0.129) $(via 2 198.19.0.129)" "10.0.1.1 10.0.1.1"
check_eq "...marked traffic keeps its provider (mark 101: transit-a)" "$(n h1 ip -j route get 198.19.0.1 mark 101 | jq -r '.[0].gateway')" 10.0.1.1
check "...the rule: to the prefix, unmarked only (fwmark 0), transit-b's table, onlink's" bash -c "ip netns exec ${LAB_PREFIX}h1 ip rule show | grep -Eq '^1008:.*to 198.19.0.0/25 fwmark 0 lookup 102 proto (onlink|177)'"
# the providers count h1's pings (1262 bytes: not the probes) as they
# come from the POP (the delay line forwards them a second time)
for p in a b; do
	n p$p nft add table inet cnt && n p$p nft add chain inet cnt f '{ type filter hook forward priority 0; }' &&
		n p$p nft add rule inet cnt f iifname eth0 ip daddr 198.19.0.1 ip length 1262 counter
done
n h1 ping -c 20 -i 0.01 -s 1234 -q 198.19.0.1 > /dev/null
fwd() { n "p$1" nft -j list chain inet cnt f | jq '[.nftables[] | select(.rule) | .rule.expr[] | select(.counter) | .counter.packets] | add'; }
check_eq "...transit-b's counter: the 20 pings; transit-a's: none" "$(fwd b) $(fwd a)" "20 0"
out=$("$ONLINK" route -s "$(host_sock 1)" 198.19.0.1)
check "onlink route says steered by measurement, since when and why ($(grep steered <<<"$out"))" \
	grep -Eq "^steered by measurement to transit-b since [0-9-]+ [0-9:]+ UTC: RTT [0-9.]+ vs [0-9.]+ ms \(transit-a, BGP's choice\)" <<<"$out"
check "onlink steer --list on the switch: the prefix, transit-b, the figures" bash -c "'$ONLINK' steer --list -s '$ONLINK_SW' | grep -Eq '^198.19.0.0/25 +transit-b +transit-a .* rtt: RTT [0-9.]+ vs [0-9.]+ ms'"
check "onlink steer --list on a host: its overrides" bash -c "'$ONLINK' steer --list -s '$(host_sock 2)' | grep -Eq '^198.19.0.0/25 +transit-b +transit-a .* sw1'"
check_eq "the switch's metric: 198.19.0.0/25 on transit-b" "$(metric 'onlink_steer_override{prefix="198.19.0.0/25",provider="transit-b"}')" 1
check_eq "a host's metric likewise" "$(n h1 curl -s http://127.0.0.1:9477/metrics | awk '$1 == "onlink_host_steer_override{prefix=\"198.19.0.0/25\",provider=\"transit-b\"}" { print $2 }')" 1

# a dry run, in place: the overrides go at once; decisions go on, counted
steer_conf yes 10
check "dry run: the overrides go at once, every host on BGP's choice" wait_for 3 "withdrawn" both_via 198.19.0.1 10.0.1.1
check "...198.19.0.128/25's move (max-moves 10 now) is logged as a dry run" wait_for 5 "dry" \
	grep -q "steer: 198.19.0.128/25: transit-a -> transit-b (rtt): .*(dry run: nothing changed)" "$LAB_DIR/onlinkd-sw.log"
check_eq "...counted" "$(moves 198.19.0.128/25 transit-a transit-b rtt)" 1
windows_pass 2
check_eq "...and no host changed its route" "$(via 1 198.19.0.129) $(via 2 198.19.0.129) $(via 1 198.19.0.1)" "10.0.1.1 10.0.1.1 10.0.1.1"
steer_conf no 10
check "dry run off: the decisions take effect, both prefixes through transit-b" wait_for 5 "live" \
	eval 'both_via 198.19.0.1 10.0.2.1 && both_via 198.19.0.129 10.0.2.1'

# hold-down: transit-a fast, transit-b slow; nothing moves for 20 s after
# the move (the dry run's end: when its decision took effect)
lab_redelay a 5
lab_redelay b 70
moved_at=$(date +%s)
held() { [ "$(deferred 198.19.0.0/25 hold-down)" -ge 1 ]; }
check "transit-b now 65 ms slower: the gain holds 3 windows, but the guard rail holds it (hold-down, counted)" \
	wait_for 10 "held" held
check_eq "...still transit-b during hold-down (20 s)" "$(via 1 198.19.0.1)" 10.0.2.1
check "after hold-down: back to BGP's choice (transit-a) on every host" wait_for 20 "back" both_via 198.19.0.1 10.0.1.1
lab_log "back $(( $(date +%s) - moved_at )) s after transit-b slowed"
check "...its rule gone" bash -c "! ip netns exec ${LAB_PREFIX}h1 ip rule show | grep -q 'to 198.19.0.0/25'"
check_eq "...counted" "$(moves 198.19.0.0/25 transit-b transit-a rtt)" 1

# fail-static: moves again (transit-a slow), then the switch agent dies
lab_redelay a 70
lab_redelay b 5
check "transit-a slow again: back on transit-b after hold-down" wait_for 30 "moved" both_via 198.19.0.1 10.0.2.1
lab_stop onlinkd-sw KILL
rm -f "$ONLINK_SW"
check "the switch agent killed: the hosts keep its overrides for now" both_via 198.19.0.1 10.0.2.1
check "...and drop them after ttl (4 s): BGP's choice again" wait_for 8 "expired" both_via 198.19.0.1 10.0.1.1
check "...said so" grep -q "steer: the override of 198.19.0.0/25 (to transit-b, from switch sw1) expired: not renewed for 4000 ms" "$LAB_DIR/onlinkd-h1.log"

# a provider that goes down takes its overrides with it, at once
start_switchd
check "switch agent back: decides again, transit-b" wait_for 20 "moved" both_via 198.19.0.1 10.0.2.1
n pb ip link set eth0 down
check "transit-b down: its overrides go at once (BGP's choice, transit-a)" wait_for 5 "down" both_via 198.19.0.1 10.0.1.1
check "...logged" grep -q "steer: 198.19.0.0/25: transit-b is down: its override goes" "$LAB_DIR/onlinkd-sw.log"
check_eq "...counted" "$(moves 198.19.0.0/25 transit-b transit-a provider-down)" 1
n pb ip link set eth0 up
