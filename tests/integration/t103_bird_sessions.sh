#!/usr/bin/env bash
# BIRD's sessions written by the switch agent from onlink.conf (local-as,
# remote-as, bird-hosts; docs/bird.md): they reach Established; a reload
# that adds, changes or removes a provider changes only that provider's
# sessions; a password reaches the provider; a file BIRD refuses is put
# back with BIRD's message logged, and BIRD keeps running what it had.
. "$(dirname "$0")/testlib.sh"
export LAB_FAILOVER=1 LAB_BIRD_GEN=1 LAB_HOLD_DOWN=2s
t_lab

SW=$LAB_DIR/switch.sock
INC=$LAB_DIR/bird-onlink.conf
CONF=$LAB_DIR/switch.conf
SWPID=$(lab_pid onlinkd-sw)
up_all() { local p; for p in "$@"; do [ "$(bird_state "$p")" = up ] || return 1; done; }
since_all() { local p; for p in "$@"; do printf '%s ' "$(since_of "$p")"; done; }
info_of() { birdc_ sw show protocols "$1" | awk -v p="$1" '$1 == p { print $6 }'; }
# reload: SIGHUP, then the agent (same pid) answering with a config it read
# after the signal: applied in place (a provider's sessions changed) or by
# a restart in place (a provider added or removed)
reload() {
	local n
	n=$(grep -cE "reload: .* changed: (restarting in place|applied in place)" "$LAB_DIR/onlinkd-sw.log")
	kill -HUP "$SWPID"
	wait_for 10 "reloaded" bash -c "[ \$(grep -cE 'reload: .* changed: (restarting in place|applied in place)' '$LAB_DIR/onlinkd-sw.log') -gt $n ]" &&
		wait_for 10 "answering" quiet "$ONLINK" status -s "$SW"
}
A="onlink_transit_a4 onlink_transit_a6" B="onlink_transit_b4 onlink_transit_b6"
H="onlink_host_h1_4 onlink_host_h1_6 onlink_host_h2_4 onlink_host_h2_6"

check "the providers' and hosts' sessions onlink wrote are Established" wait_for 30 "up" up_all $A $B $H
check_eq "transit-a's session says whose it is" "$(birdc_ sw show protocols all onlink_transit_a4 | sed -n 's/^ *Description: *//p')" \
	"transit-a (AS65001): Transit A (lab)"
check "BFD runs on the sessions with bfd = yes" \
	wait_for 10 "BFD up" bash -c "birdc -s '$LAB_DIR/bird-sw.ctl' show bfd sessions | grep -q '10.0.1.1 .* Up'"
check_eq "status lists the generated sessions as transit-a's" \
	"$(st "$SW" '.providers[] | select(.name=="transit-a") | .failover.bird | map(.protocol) | join(" ")')" "$A"
check_eq "the include file is world-readable without a password" "$(stat -c %a "$INC")" "644"

# add a provider: only its sessions appear; none of the others restarts
cp "$CONF" "$LAB_DIR/switch.conf.orig"
cat >> "$CONF" <<EOF

[provider transit-c]
address = 10.0.3.1
interface = br0
table = 103
remote-as = 65003
EOF
before=$(since_all $A $B $H)
check "reload adding transit-c" reload
check "transit-c's session appears in BIRD" wait_for 10 "added" bash -c "birdc -s '$LAB_DIR/bird-sw.ctl' show protocols onlink_transit_c4 | grep -q onlink_transit_c4"
check "...and no other session restarted ($before -> $(since_all $A $B $H))" kept "$before" "$(since_all $A $B $H)"
check "...all still up" up_all $A $B $H

# change a provider: transit-b's routes get local-pref 150; transit-a and
# the hosts are untouched
sed -i '/^\[provider transit-b\]/a local-pref = 150' "$CONF"
before=$(since_all $A $H)
check "reload changing transit-b" reload
check "transit-b's routes have local-pref 150 in BIRD" wait_for 30 "local pref" bash -c \
	"birdc -s '$LAB_DIR/bird-sw.ctl' show route 203.0.113.0/24 protocol onlink_transit_b4 all | grep -q 'BGP.local_pref: 150'"
check "...transit-a's and the hosts' sessions did not restart ($before -> $(since_all $A $H))" kept "$before" "$(since_all $A $H)"
check "...transit-b is back up" wait_for 30 "up" up_all $B
check "...and BIRD's restart of its sessions (onlink's doing) did not fail it over" \
	bash -c "! grep -q 'provider transit-b failed' '$LAB_DIR/onlinkd-sw.log'"

# remove transit-c: its session goes, the others stay
sed -i '/^\[provider transit-c\]/,$d' "$CONF"
before=$(since_all $A $B $H)
check "reload removing transit-c" reload
check "transit-c's session is gone from BIRD" wait_for 10 "removed" bash -c "! birdc -s '$LAB_DIR/bird-sw.ctl' show protocols onlink_transit_c4 | grep -q onlink_transit_c4"
check "...and no other session restarted ($before -> $(since_all $A $B $H))" kept "$before" "$(since_all $A $B $H)"

# a password: onlink's side and the provider's; the session comes back
# with TCP-MD5, the file is no longer world-readable
sed -i '/^\[provider transit-a\]/a password = lab s3cret!' "$CONF"
sed -i 's/^\(\s*\)neighbor \(.*\) as 65000;/&\n\1password "lab s3cret!";/' "$LAB_DIR/bird-pa.conf"
birdc_ pa configure > /dev/null
check "reload with a password for transit-a" reload
check "transit-a is Established again, with the password on both sides" wait_for 40 "up" up_all $A
check_eq "the include file holding a password is mode 640" "$(stat -c %a "$INC")" "640"
out=$(n sw ss -tnie state established dst 10.0.1.1)
check "the session's socket carries TCP-MD5 ($out)" grep -q md5 <<<"$out"

# BIRD refusing the file: the previous file is put back, BIRD keeps what it
# runs, its message is logged and shown
cp "$INC" "$LAB_DIR/inc.before"
before=$(since_all $A $B $H)
sed -i 's/^bird-export = pop_export/bird-export = no_such_function/' "$CONF"
check "reload with an export function BIRD does not know" reload
check "the agent logs BIRD's refusal with BIRD's message" wait_for 10 "refused" \
	grep -q "BIRD refused $INC as written from $CONF (configure check: .*bird-onlink.conf:[0-9:]* syntax error.*); the previous file is back" "$LAB_DIR/onlinkd-sw.log"
check "the previous include file is back" cmp -s "$INC" "$LAB_DIR/inc.before"
check "status shows BIRD's message" bash -c "'$ONLINK' status -s '$SW' --json | jq -e '.bird.config_error | test(\"syntax error\")' > /dev/null"
check "BIRD still runs every session as before ($before -> $(since_all $A $B $H))" kept "$before" "$(since_all $A $B $H)"
out=$("$ONLINK" announce -s "$SW" 198.18.90.0/24 --via transit-a 2>&1)
check "an announce with that config is refused with BIRD's message ($out)" grep -q 'syntax error' <<<"$out"
check "...and the file is still the previous one" cmp -s "$INC" "$LAB_DIR/inc.before"
sed -i 's/^bird-export = no_such_function/bird-export = pop_export/' "$CONF"
check "reload with the config put right" reload
check "BIRD takes it: the error is gone" wait_for 10 "configured" bash -c "[ \"\$('$ONLINK' status -s '$SW' --json | jq -r '.bird.config_error')\" = null ]"

# bad input in onlink.conf: the reload is refused with FILE:LINE, and
# nothing changes in BIRD or in the file
cp "$INC" "$LAB_DIR/inc.before"
before=$(since_all $A $B $H)
for bad in 'remote-as = 4294967296' 'password = say "hi"'; do
	cp "$CONF" "$LAB_DIR/switch.conf.good"
	sed -i "/^\[provider transit-b\]/a $bad" "$CONF"
	line=$(grep -nF -- "$bad" "$CONF" | cut -d: -f1)
	n=$(grep -c "reload refused" "$LAB_DIR/onlinkd-sw.log")
	kill -HUP "$SWPID"
	check "reload with '$bad': refused with FILE:LINE" wait_for 10 "refused" \
		bash -c "[ \$(grep -c 'reload refused, the running configuration stays: $CONF:$line: ' '$LAB_DIR/onlinkd-sw.log') -gt $n ]"
	cp "$LAB_DIR/switch.conf.good" "$CONF"
done
check "...the include file is unchanged" cmp -s "$INC" "$LAB_DIR/inc.before"
check "...no BIRD session restarted ($before -> $(since_all $A $B $H))" kept "$before" "$(since_all $A $B $H)"
check "...the agent kept running (same pid)" kill -0 "$SWPID"
