#!/usr/bin/env bash
# A pool on both switch agents of a redundant POP (one L2 domain), switch
# A leading: A decides the leases, B holds the same ones, learnt from the
# tables the hosts follow. Switch A's agent dies: every lease stays, on B
# and on the hosts; it comes back: the same. A host dies: A rests its
# slices, and B follows. Both switch agents steer a prefix by the same
# measurement: the same decision, the same window.
# check: once in the sanitizers pass (slow)
. "$(dirname "$0")/testlib.sh"
export LAB_DESIGN=l2 LAB_SW_HOLD_DOWN=2s LAB_HOLD_DOWN=2s LAB_EGRESS_POOL=1 LAB_HOST_DEAD_AFTER=3s \
	LAB_POOL_QUARANTINE=30s
t_setup
lab2_up || { not_ok "two-switch lab with a pool came up"; exit 1; }
ok "two-switch lab with a pool came up"
SA=$LAB_DIR/switch-a.sock SB=$LAB_DIR/switch-b.sock
leases() { st "$1" '[.leases[] | "\(.address) \(.first)-\(.last) \(.host) \(.state)"] | sort | join(",")'; }
same_leases() { local a; a=$(leases "$SA"); [ -n "$a" ] && [ "$a" = "$(leases "$SB")" ]; }
mine() { st "$(host_sock "$1")" '[.egress[] | select(.mine) | "\(.address) \(.mine.first)"] | sort | join(",")'; }

check_eq "switch A leases a slice of each family to each host" "$(st "$SA" '[.leases[] | select(.state == "held")] | length')" "4"
check "switch B holds the same leases (learnt from the hosts)" wait_for 15 "B follows" same_leases
check_eq "A's tables are decided, B's held" "$(st "$SA" '[.egress[].address] | length') $(st "$SB" '.leases | length')" "2 4"
before=$(leases "$SA")
m1=$(mine 1) m2=$(mine 2)

# switch A's agent dies: nothing changes
lab_stop onlinkd-swa KILL
check "agent A killed: h1 notices" wait_for 20 "disconnected" grep -q "switch swa .*disconnected" "$LAB_DIR/onlinkd-h1.log"
sleep 5 # longer than host-dead-after: B decides nothing meanwhile
check_eq "switch B keeps every lease" "$(leases "$SB")" "$before"
check_eq "h1 keeps its slices" "$(mine 1)" "$m1"
check_eq "h2 keeps its slices" "$(mine 2)" "$m2"
lab2_start_switchd a
up_on_a() { [ "$(st "$(host_sock "$1")" '.switches[] | select(.name == "swa") | .state')" = up ]; }
check "agent A back: h1 and h2 reconnect" wait_for 40 "back" bash -c "$(declare -f st host_sock up_on_a); ONLINK='$ONLINK' LAB_DIR='$LAB_DIR'; up_on_a 1 && up_on_a 2"
check_eq "agent A, restarted, holds the same leases" "$(leases "$SA")" "$before"
check_eq "and B too" "$(leases "$SB")" "$before"

# a host dies: A rests its slices, B follows
lab_stop onlinkd-h2 KILL
n h2 ip link set eth0 down
rests_on() { [ "$(st "$1" '[.leases[] | select(.host == "h2" and .state == "resting")] | length')" = 2 ]; }
check "A rests h2's slices after host-dead-after" wait_for 30 "A rests" rests_on "$SA"
check "B holds them resting too (h1 told it)" wait_for 15 "B rests" rests_on "$SB"
check_eq "h1's slices unchanged" "$(mine 1)" "$m1"

# Steering by measurement on both switch agents ([steer] in both configs,
# in place): h1 reports to both, both decide the same windows the same
# way. transit-a 60 ms slower: both move 198.19.0.0/24 to transit-b, in
# the same window, and h1 follows.
lab_delay a 70
lab_delay b 5
for p in a b; do
	printf '\n[steer]\nprefix = 198.19.0.0/24\ntarget = 198.19.0.1\ninterval = 200ms\nwindow = 1s\nwindows = 3\nttl = 4s\n' \
		>> "$LAB_DIR/switch-$p.conf"
	kill -HUP "$(lab_pid onlinkd-sw$p)"
done
steered() { st "$1" '.steer.prefixes[0] | "\(.provider) \(.since) \(.why.reason)"'; }
moved_on() { [ "$(steered "$1" | cut -d' ' -f1)" = transit-b ]; }
check "switch A: 198.19.0.0/24 -> transit-b" wait_for 15 "A moves" moved_on "$SA"
check "switch B: the same" wait_for 3 "B moves" moved_on "$SB"
check_eq "...the same decision, in the same window (provider, since, reason)" "$(steered "$SB")" "$(steered "$SA")"
check_eq "...counted once on each" "$(st "$SA" '[.steer.moves[] | select(.to == "transit-b") | .count] | add') $(st "$SB" '[.steer.moves[] | select(.to == "transit-b") | .count] | add')" "1 1"
check "h1's unmarked traffic to 198.19.0.1 leaves through transit-b" wait_for 5 "h1" \
	bash -c "[ \"\$(ip netns exec ${LAB_PREFIX}h1 ip -j route get 198.19.0.1 | jq -r '.[0].gateway')\" = 10.0.2.1 ]"
check_eq "...from switch A's override (the first in h1's config)" "$(st "$(host_sock 1)" '.steer.overrides[0].switch')" swa
