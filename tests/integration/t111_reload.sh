#!/usr/bin/env bash
# SIGHUP: each daemon reads its config again. Unchanged, nothing happens; a
# change is applied (the agents restart in place, same pid) and kernel
# state that did not change is not touched; a config that does not load is
# refused with FILE:LINE and the running one stays.
. "$(dirname "$0")/testlib.sh"
export LAB_METRICS=1
t_lab
HOST=$(lab_pid onlinkd-h1) SW=$(lab_pid onlinkd-sw)
sessions_are() { [ "$(sessions)" = "$1" ]; }
sessions() { n h1 curl -sf --max-time 5 http://127.0.0.1:9477/metrics | awk '$1 == "onlink_host_switch_sessions_total{switch=\"sw1\"}" { print $2 }'; }
# everything onlink holds on h1 for the providers: addresses, neighbors, routes
# (since a mark, and only once a sentinel shows the monitor live)
provider_events() {
	local l
	l=$(mon_since h1 "$1") || { echo "$l"; return; }
	grep -E '10\.0\.[12]\.1|2001:db8:[12]::1|table 10[12]|proto onlink' <<<"$l" | grep -v -E '^(\[RULE\] *)?[0-9]+:'
}
mon_start h1

# unchanged
kill -HUP "$HOST"
check "host agent, unchanged config: says so" wait_for 5 "unchanged" grep -q "reload: .*host-h1.conf unchanged" "$LAB_DIR/onlinkd-h1.log"
check_eq "...and keeps its session (sessions)" "$(sessions)" "1"

# a changed rule priority: the rules move, nothing else on h1 changes
m=$(mon_mark h1)
sed -i 's/^keepalive = .*/&\nrule-priority = 1100/' "$LAB_DIR/host-h1.conf"
kill -HUP "$HOST"
check "host agent, changed config: restarts in place" wait_for 5 "restart" grep -q "reload: .*changed: restarting in place" "$LAB_DIR/onlinkd-h1.log"
check "...its rules move to priority 1100" wait_for 10 "rules" \
	bash -c "ip netns exec ${LAB_PREFIX}h1 ip rule show | grep -q '^1100:.*fwmark 0x65 lookup 101'"
check "...none left at 1000" bash -c "! ip netns exec ${LAB_PREFIX}h1 ip rule show | grep -q '^1000:'"
check_eq "...same pid" "$(lab_pid onlinkd-h1)" "$HOST"
check "...running and reconnected" wait_for 10 "reconnect" sessions_are 1
check "...traffic through transit-a still flows" n h1 ping -c 1 -W 2 -m 101 203.0.113.1
check_eq "...no provider address, neighbor or route on h1 changed" "$(provider_events "$m")" ""

# a config that does not load
cp "$LAB_DIR/host-h1.conf" "$LAB_DIR/host-h1.conf.good"
sed -i 's/^rule-priority = 1100$/rule-priority = lots/' "$LAB_DIR/host-h1.conf"
line=$(grep -n '^rule-priority' "$LAB_DIR/host-h1.conf" | cut -d: -f1)
kill -HUP "$HOST"
check "bad config: refused with FILE:LINE" wait_for 5 "refused" \
	grep -q "reload refused, the running configuration stays: $LAB_DIR/host-h1.conf:$line: rule-priority: bad value 'lots' (1 to 32765)" "$LAB_DIR/onlinkd-h1.log"
check "...the agent still runs, rules untouched" bash -c "kill -0 $HOST && ip netns exec ${LAB_PREFIX}h1 ip rule show | grep -q '^1100:'"
cp "$LAB_DIR/host-h1.conf.good" "$LAB_DIR/host-h1.conf"

# the switch agent: unchanged, then changes it applies in place (no host
# session ends, nothing on h1 is touched), then one that takes a restart
before=$(grep -c "reload: " "$LAB_DIR/onlinkd-sw.log")
kill -HUP "$SW"
check "switch agent, unchanged config: says so" wait_for 5 "unchanged" grep -q "reload: .*switch.conf unchanged" "$LAB_DIR/onlinkd-sw.log"
check_eq "...the hosts keep their sessions" "$(sessions)" "1"
swsessions() { n sw curl -sf --max-time 5 http://127.0.0.1:9477/metrics | awk '$1 == "onlink_switch_sessions_total" { print $2 }'; }
sw0=$(swsessions)
m=$(mon_mark h1)
# a keepalive, a provider's description, and h1's egress
# slice: all in place
sed -i -e 's/^keepalive = .*/keepalive = 3/' -e 's/^slice = h1 10000-19999$/slice = h1 10000-14999/' "$LAB_DIR/switch.conf"
python3 - "$LAB_DIR/switch.conf" <<'PY'
import sys
p = sys.argv[1]; s = open(p).read()
s = s.replace("[provider transit-b]\n", "[provider transit-b]\ndescription = Transit B, circuit 42\n", 1)
open(p, "w").write(s)
PY
kill -HUP "$SW"
check "switch agent, changed config: applied in place, the sessions kept" wait_for 5 "in place" \
	grep -q "reload: .*switch.conf changed: applied in place; 2 host sessions kept, each sent the new egress table" "$LAB_DIR/onlinkd-sw.log"
check_eq "...same pid" "$(lab_pid onlinkd-sw)" "$SW"
check_eq "...no host session ended (h1's sessions)" "$(sessions)" "1"
check_eq "...none at the switch (sessions_total)" "$(swsessions)" "$sw0"
mine() { st "$(host_sock 1)" '.egress[] | select(.address == "192.0.2.10") | .mine | "\(.first)-\(.last)"'; }
check "...h1 has its new slice" wait_for 5 "slice" bash -c "[ \"\$('$ONLINK' status -s '$(host_sock 1)' --json | jq -r '.egress[] | select(.address == \"192.0.2.10\") | .mine | \"\\(.first)-\\(.last)\"')\" = 10000-14999 ]"
alias_b() { n sw ip -d link show sw-pb | awk '$1 == "alias" { sub(/^ *alias /, ""); print; exit }'; }
described() { [ "$(alias_b)" = "onlink: transit-b AS65002 Transit B, circuit 42" ]; }
check "...transit-b's port described anew" wait_for 5 "alias" described
check_eq "...no provider address, neighbor or route on h1 changed" "$(provider_events "$m")" ""
# a host gone from the config: its session ends, the others stay
cp "$LAB_DIR/switch.conf" "$LAB_DIR/switch.conf.two"
python3 - "$LAB_DIR/switch.conf" <<'PY'
import re, sys
p = sys.argv[1]; s = open(p).read()
s = re.sub(r"\[host h2\].*?(?=\n\[|\Z)", "", s, flags=re.S)
s = re.sub(r"(?m)^slice = h2 .*\n", "", s)
open(p, "w").write(s)
PY
kill -HUP "$SW"
check "a host removed from the config: its session ends, said why" wait_for 5 "gone" \
	grep -q "host h2 (.*): no \[host NAME\] has its key any more: its session ends" "$LAB_DIR/onlinkd-sw.log"
check "...h1's is kept" wait_for 5 "kept" grep -q "applied in place; 1 host sessions kept" "$LAB_DIR/onlinkd-sw.log"
check_eq "...h1 still on its first session" "$(sessions)" "1"
cp "$LAB_DIR/switch.conf.two" "$LAB_DIR/switch.conf"
kill -HUP "$SW"
h2_up() { [ "$(st "$(host_sock 2)" '.switches[0].state')" = up ]; }
check "...back in the config: h2 connects again" wait_for 15 "h2" h2_up
# a second listen address: that takes a restart in place (exec), said why
m=$(mon_mark h1)
sed -i 's/^listen = 10.10.0.1:4710$/&\nlisten = 10.10.0.1:4711/' "$LAB_DIR/switch.conf"
kill -HUP "$SW"
check "a changed listen: restarts in place, saying why" wait_for 5 "restart" \
	bash -c "grep -q 'reload: not in place (listen changed)' '$LAB_DIR/onlinkd-sw.log' && grep -q 'reload: .*switch.conf changed: restarting in place' '$LAB_DIR/onlinkd-sw.log'"
check "...the hosts reconnect" wait_for 15 "reconnect" sessions_are 2
check_eq "...same pid" "$(lab_pid onlinkd-sw)" "$SW"
check "...serves metrics again" n sw curl -sf --max-time 5 -o /dev/null http://127.0.0.1:9477/metrics
check_eq "...no provider address, neighbor or route on h1 changed" "$(provider_events "$m")" ""

# the egress daemon: client prefixes change in place; a key that takes a
# restart refuses the reload
lab_egress_clients
start_egressd 1
ESOCK=$LAB_DIR/egress-h1.sock
wait_for 10 "egress ready" bash -c "[ \"\$('$ONLINK' status -s '$ESOCK' --json | jq -r .ipv4.address)\" = 192.0.2.10 ]"
EG=$(lab_pid onlinkd-egress-h1)
sed -i 's|^clients = 100.64.0.0/10|clients = 100.64.0.0/11|' "$LAB_DIR/egress-h1.conf"
kill -HUP "$EG"
check "egress: changed client prefixes applied in place" wait_for 5 "nft" \
	bash -c "ip netns exec ${LAB_PREFIX}h1 nft list table inet onlink_egress | grep -q '100.64.0.0/11'"
printf 'listen-port = 4999\n' >> "$LAB_DIR/egress-h1.conf"
kill -HUP "$EG"
check "egress: a changed listen-port refuses the reload" wait_for 5 "refused" \
	grep -q "reload refused: listen-port changed, which takes a restart" "$LAB_DIR/onlinkd-egress-h1.log"
check "...and it keeps running with the prefixes it had" \
	bash -c "kill -0 $EG && ip netns exec ${LAB_PREFIX}h1 nft list table inet onlink_egress | grep -q '100.64.0.0/11'"

# the host agent: a change to [probe] alone is applied in place, the
# egress proxy's subscription kept
subs0=$(st "$(host_sock 1)" .subscribers)
printf '\n[probe]\ntarget = 203.0.113.1\ninterval = 500ms\ntimeout = 1s\n' >> "$LAB_DIR/host-h1.conf"
kill -HUP "$HOST"
check "host agent, [probe] added: applied in place" wait_for 5 "in place" grep -q "reload: .*host-h1.conf changed (\[probe\] and \[repath\] only): applied in place" "$LAB_DIR/onlinkd-h1.log"
check_eq "...same pid" "$(lab_pid onlinkd-h1)" "$HOST"
check "...probing" wait_for 5 "probe" bash -c "'$ONLINK' status -s '$(host_sock 1)' --json | jq -e .probe > /dev/null"
check_eq "...the egress proxy's subscription kept (subscribers: $subs0)" "$(st "$(host_sock 1)" .subscribers)" "$subs0"
check "...which there is" [ "$subs0" -ge 1 ]

# every agent's typed status answer has the keys docs/api.md lists for it
# (and no key it does not list)
keys_ok() { "$ONLINK" status -s "$1" --json | python3 "$LAB_ROOT/lab/tools/api_keys.py" "$LAB_ROOT/docs/api.md" "$2"; }
check_eq "the host agent's status: the keys of docs/api.md" "$(keys_ok "$(host_sock 1)" "The host agent")" ok
check_eq "the switch agent's status: likewise" "$(keys_ok "$LAB_DIR/switch.sock" "The switch agent")" ok
check_eq "the egress proxy's status: likewise" "$(keys_ok "$ESOCK" "The egress proxy")" ok
check_eq "...each answer typed (api 1, reply status)" \
	"$(for k in "$(host_sock 1)" "$LAB_DIR/switch.sock" "$ESOCK"; do "$ONLINK" status -s "$k" --json | jq -r '"\(.api) \(.reply)"'; done | sort -u)" "1 status"

# systemd's side of it (Type=notify), with a stand-in for its socket: the
# host agent is ready only once the switch's snapshot is applied; a reload
# that restarts in place says RELOADING=1, then READY=1 again; a stop says
# STOPPING=1
lab_spawn notify h2 python3 "$LAB_ROOT/lab/tools/notify_listen.py" "$LAB_DIR/notify.sock" "$LAB_DIR/notify.out"
wait_for 5 "notify socket" test -S "$LAB_DIR/notify.sock"
lab_stop onlinkd-h2
NOTIFY_SOCKET=$LAB_DIR/notify.sock start_hostd 2
check "host agent: READY=1 once it holds the switch's 2 providers" wait_for 10 "ready" \
	grep -q "^READY=1|STATUS=host h2: 2 providers|MAINPID=$(lab_pid onlinkd-h2)$" "$LAB_DIR/notify.out"
sed -i 's/^keepalive = .*/&\nrule-priority = 1200/' "$LAB_DIR/host-h2.conf"
kill -HUP "$(lab_pid onlinkd-h2)"
check "changed config: RELOADING=1, then READY=1 from the same pid" wait_for 10 "reloaded" \
	bash -c "grep -A1 '^RELOADING=1' '$LAB_DIR/notify.out' | grep -q '^READY=1|STATUS=host h2: 2 providers|MAINPID=$(lab_pid onlinkd-h2)$'"
lab_stop onlinkd-h2
check "stopped: STOPPING=1" grep -q '^STOPPING=1$' "$LAB_DIR/notify.out"
