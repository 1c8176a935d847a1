#!/usr/bin/env bash
# The switch agent describes each provider's bridge port (its alias): the
# provider's name, AS and description. The port's own alias is kept whole
# in the agent's state file (`state-file`), not inside ours, and put back
# when the provider leaves the config, after a restart of the agent too.
. "$(dirname "$0")/testlib.sh"
export LAB_FAILOVER=1
t_lab
alias_of() { n sw ip -d link show "$1" | awk '$1 == "alias" { sub(/^ *alias /, ""); print; exit }'; }
has_alias() { [ "$(alias_of "$1")" = "$2" ]; }
kept() { jq -r --arg p "$1" '.port_aliases[] | select(.port == $p) | .alias' "$LAB_DIR/switch-state.json" 2>/dev/null; }
SW=$(lab_pid onlinkd-sw)
OURS_B="onlink: transit-b AS65002 Transit B (lab)"

check "sw-pa: transit-a's name, AS and description" wait_for 10 "alias" has_alias sw-pa "onlink: transit-a AS65001 Transit A (lab)"
check "sw-pb: transit-b's" wait_for 10 "alias" has_alias sw-pb "$OURS_B"
check_eq "a port with no provider keeps no alias of ours (sw-h1)" "$(alias_of sw-h1)" ""

# someone gives the port an alias of their own, 200 characters long: ours
# again, theirs kept whole in the state file (agents before it kept the
# first 120 inside ours)
OWN="rack 3 port 7, patch panel B, $(printf 'x%.0s' $(seq 170))"
n sw ip link set sw-pb alias "$OWN"
check "sw-pb: described again" wait_for 5 "alias" has_alias sw-pb "$OURS_B"
check_eq "...its own alias kept whole (${#OWN} characters) in the state file" "$(kept sw-pb)" "$OWN"
check_eq "...and shown by onlink status --json" \
	"$(st "$LAB_DIR/switch.sock" '.port_aliases[] | select(.port == "sw-pb") | .alias')" "$OWN"

# transit-b leaves the config: its port's own alias comes back; transit-a's stays
cp "$LAB_DIR/switch.conf" "$LAB_DIR/switch.conf.orig"
python3 - "$LAB_DIR/switch.conf" <<'PY'
import re, sys
p = sys.argv[1]; s = open(p).read()
s = re.sub(r"\[provider transit-b\].*?(?=\n\[|\Z)", "", s, flags=re.S)
open(p, "w").write(s)
PY
kill -HUP "$SW"
check "transit-b gone from the config: sw-pb has its own alias back, whole" wait_for 10 "restored" has_alias sw-pb "$OWN"
check_eq "...sw-pa unchanged" "$(alias_of sw-pa)" "onlink: transit-a AS65001 Transit A (lab)"
check "...and the switch log says so" grep -qF "port sw-pb: alias \"$OWN\" (its own again: no provider on it)" "$LAB_DIR/onlinkd-sw.log"
check_eq "...the state file no longer holds it" "$(kept sw-pb)" ""

# back in the config: described again; then the agent is restarted while
# it holds the port: the state file brings the alias back afterwards
cp "$LAB_DIR/switch.conf.orig" "$LAB_DIR/switch.conf"
kill -HUP "$SW"
check "transit-b back: sw-pb described again" wait_for 15 "again" has_alias sw-pb "$OURS_B"
check_eq "...its own alias kept again" "$(kept sw-pb)" "$OWN"
writes=$(grep -c 'port sw-pb: alias' "$LAB_DIR/onlinkd-sw.log")
lab_stop onlinkd-sw
start_switchd
# once the restarted agent has found transit-b on its port again, it has
# described its ports (the same turn)
check "the restarted agent has transit-b up" wait_for 15 "up" \
	bash -c "[ \"\$('$ONLINK' status -s '$LAB_DIR/switch.sock' --json 2>/dev/null | jq -r '.providers[] | select(.name==\"transit-b\") | .state')\" = up ]"
check_eq "after a restart of the agent: sw-pb unchanged, not written again" \
	"$(alias_of sw-pb) / $(grep -c 'port sw-pb: alias' "$LAB_DIR/onlinkd-sw.log")" "$OURS_B / $writes"
python3 - "$LAB_DIR/switch.conf" <<'PY'
import re, sys
p = sys.argv[1]; s = open(p).read()
s = re.sub(r"\[provider transit-b\].*?(?=\n\[|\Z)", "", s, flags=re.S)
open(p, "w").write(s)
PY
kill -HUP "$(lab_pid onlinkd-sw)"
check "...and when transit-b leaves, its own alias comes back whole" wait_for 10 "restored" has_alias sw-pb "$OWN"
cp "$LAB_DIR/switch.conf.orig" "$LAB_DIR/switch.conf"
kill -HUP "$(lab_pid onlinkd-sw)"
check "transit-b back once more" wait_for 15 "again" has_alias sw-pb "$OURS_B"

# an alias written by an agent before the state file ("(was: ...)" inside
# ours), found by a new agent with no record: moved to the state file
lab_stop onlinkd-sw
rm -f "$LAB_DIR/switch-state.json"
n sw ip link set sw-pb alias "$OURS_B (was: rack 9)"
start_switchd
check "an old alias with (was: ...): ours again, without it" wait_for 15 "migrated" has_alias sw-pb "$OURS_B"
check_eq "...its (was: ...) moved to the state file" "$(kept sw-pb)" "rack 9"
check "...with a log line" grep -qF 'port sw-pb: its own alias "rack 9" moved from the alias to the state file' "$LAB_DIR/onlinkd-sw.log"

# a state file that does not decode: kept aside, the agent starts anyway
lab_stop onlinkd-sw
echo '{"onlink_state": 1, "role": "switch", "port_aliases": [{"port": 7}]}' > "$LAB_DIR/switch-state.json"
start_switchd
check "a bad state file: the agent starts" wait_for 15 "up" quiet "$ONLINK" status -s "$LAB_DIR/switch.sock"
check "...says why, and keeps the file aside" grep -q "state file $LAB_DIR/switch-state.json: a port alias that is not .*; moved aside" "$LAB_DIR/onlinkd-sw.log"
check "...whole" bash -c "grep -q '\"port\": 7' '$LAB_DIR'/switch-state.json.bad-*"
