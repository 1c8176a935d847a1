#!/usr/bin/env bash
# The switch agent describes each provider's bridge port (its alias): the
# provider's name, AS and description, keeping the port's own alias as
# "(was: ...)" and putting it back when the provider leaves the config.
. "$(dirname "$0")/testlib.sh"
export LAB_FAILOVER=1
t_lab
alias_of() { n sw ip -d link show "$1" | awk '$1 == "alias" { sub(/^ *alias /, ""); print; exit }'; }
has_alias() { [ "$(alias_of "$1")" = "$2" ]; }
SW=$(lab_pid onlinkd-sw)

check "sw-pa: transit-a's name, AS and description" wait_for 10 "alias" has_alias sw-pa "onlink: transit-a AS65001 Transit A (lab)"
check "sw-pb: transit-b's" wait_for 10 "alias" has_alias sw-pb "onlink: transit-b AS65002 Transit B (lab)"
check_eq "a port with no provider keeps no alias of ours (sw-h1)" "$(alias_of sw-h1)" ""

# someone gives the port an alias of their own: ours again, theirs kept
n sw ip link set sw-pb alias "rack 3 port 7"
check "sw-pb: described again, its own alias kept" wait_for 5 "alias" \
	has_alias sw-pb "onlink: transit-b AS65002 Transit B (lab) (was: rack 3 port 7)"

# transit-b leaves the config: its port's own alias comes back; transit-a's stays
cp "$LAB_DIR/switch.conf" "$LAB_DIR/switch.conf.orig"
python3 - "$LAB_DIR/switch.conf" <<'PY'
import re, sys
p = sys.argv[1]; s = open(p).read()
s = re.sub(r"\[provider transit-b\].*?(?=\n\[|\Z)", "", s, flags=re.S)
open(p, "w").write(s)
PY
kill -HUP "$SW"
check "transit-b gone from the config: sw-pb has its own alias back" wait_for 10 "restored" has_alias sw-pb "rack 3 port 7"
check_eq "...sw-pa unchanged" "$(alias_of sw-pa)" "onlink: transit-a AS65001 Transit A (lab)"
check "...and the switch log says so" grep -q 'port sw-pb: alias "rack 3 port 7" (its own again: no provider on it)' "$LAB_DIR/onlinkd-sw.log"

# back in the config: described again, after a restart of the agent too
cp "$LAB_DIR/switch.conf.orig" "$LAB_DIR/switch.conf"
kill -HUP "$SW"
check "transit-b back: sw-pb described again, its own alias kept" wait_for 15 "again" \
	has_alias sw-pb "onlink: transit-b AS65002 Transit B (lab) (was: rack 3 port 7)"
writes=$(grep -c 'port sw-pb: alias' "$LAB_DIR/onlinkd-sw.log")
lab_stop onlinkd-sw
start_switchd
# once the restarted agent has found transit-b on its port again, it has
# described its ports (the same turn)
check "the restarted agent has transit-b up" wait_for 15 "up" \
	bash -c "[ \"\$('$ONLINK' status -s '$LAB_DIR/switch.sock' --json 2>/dev/null | jq -r '.providers[] | select(.name==\"transit-b\") | .state')\" = up ]"
check_eq "after a restart of the agent: sw-pb unchanged, not written again" \
	"$(alias_of sw-pb) / $(grep -c 'port sw-pb: alias' "$LAB_DIR/onlinkd-sw.log")" \
	"onlink: transit-b AS65002 Transit B (lab) (was: rack 3 port 7) / $writes"
