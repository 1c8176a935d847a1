#!/usr/bin/env bash
# onlink route: the provider a destination goes out through now, for a
# prefix one provider announces, one both announce, and one whose provider
# is substituted (its link cut: the hosts send its traffic to its backup's
# MAC while BGP still holds its routes); BIRD's AS paths and alternatives.
. "$(dirname "$0")/testlib.sh"
t_lab
SOCK=$(host_sock 1)
route() { n h1 "$ONLINK" route -s "$SOCK" --bird "$LAB_DIR/bird-h1.ctl" "$@"; }
j() { route --json "$1" | jq -r "$2"; }

# 198.18.0.0/24: transit-a alone
check_eq "an address transit-a alone announces: its prefix" "$(j 198.18.0.1 .prefix)" "198.18.0.0/24"
check_eq "...the provider" "$(j 198.18.0.1 .provider)" "transit-a"
check_eq "...its next hop" "$(j 198.18.0.1 .next_hop)" "10.0.1.1"
check_eq "...its table" "$(j 198.18.0.1 .table)" "101"
check_eq "...not substituted" "$(j 198.18.0.1 .substituted)" "false"
check_eq "...the AS path BIRD has for it" "$(j 198.18.0.1 .as_path)" "65001"
check_eq "a prefix as the destination: the route that covers it" "$(j 198.18.0.0/24 .provider)" "transit-a"
# 203.0.113.0/24: both (a multipath route); the kernel picks one
check_eq "an address both announce: both next hops" \
	"$(j 203.0.113.1 '[.next_hops[].provider] | sort | join(",")')" "transit-a,transit-b"
check_eq "...one of them chosen, and it is the one reported" \
	"$(j 203.0.113.1 '([.next_hops[] | select(.chosen)] | length | tostring) + " " + ((.provider == ([.next_hops[] | select(.chosen)][0].provider)) | tostring)')" "1 true"
check_eq "...BIRD's paths with their AS paths" \
	"$(j 203.0.113.1 '[.bird[] | .provider + ":" + .as_path] | sort | join(",")')" "transit-a:65001,transit-b:65002"
check_eq "IPv6: 2001:db8:fa::/48 (transit-a alone)" "$(j 2001:db8:fa::1 .provider)" "transit-a"
out=$(route 198.18.0.1)
check "the text names the prefix" grep -q '^198.18.0.1: 198.18.0.0/24' <<<"$out"
check "...and the provider with its table and AS path ($out)" grep -q '^  \* via 10.0.1.1 .*transit-a (table 101) *AS path 65001' <<<"$out"
out=$(route 192.0.2.300 2>&1); rc=$?
check "a bad destination: refused ($out)" [ "$rc" -eq 1 ]
check_eq "...with the reason" "$out" "onlink route: bad destination '192.0.2.300' (an address or a prefix)"

# transit-a substituted: transit-b backs it up; its link is cut at the
# switch while its BGP session lives on (hold time 60 s on this one)
sed -i 's/^\(\s*\)hold time 9;/\1hold time 60;/' "$LAB_DIR/bird-pa.conf"
birdc_ pa configure > /dev/null
sed -i '/^\[provider transit-a\]/a backup = transit-b' "$LAB_DIR/switch.conf"
kill -HUP "$(lab_pid onlinkd-sw)"
wait_for 30 "transit-a back" eval '[ "$(j 198.18.0.1 .provider)" = transit-a ]'
n sw ip link set sw-pa down
subst() { [ "$(j 198.18.0.1 .substituted)" = true ]; }
check "with its link cut, transit-a's route is reported substituted" wait_for 10 "substituted" subst
check_eq "...still transit-a's, via backup transit-b" "$(j 198.18.0.1 '.provider + " via " + .via')" "transit-a via transit-b"
out=$(route 198.18.0.1)
check "...and the text says so ($out)" grep -q 'transit-a (table 101).*substituted: via backup transit-b' <<<"$out"
n sw ip link set sw-pa up
