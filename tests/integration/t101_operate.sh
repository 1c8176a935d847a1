#!/usr/bin/env bash
# Operator commands on the switch agent, applied through real BIRD: drain
# and undrain, announce (with prepend) and withdraw as the providers' BIRD
# sees them, bad input refused with nothing changed, and the state kept
# across a restart of the switch agent. docs/failover.md.
. "$(dirname "$0")/testlib.sh"
export LAB_FAILOVER=1 LAB_HOLD_DOWN=2s
t_lab

SW=$LAB_DIR/switch.sock
INC=$LAB_DIR/bird-onlink.conf
neigh_mac() { n "$1" ip neigh show "$2" dev eth0 | grep -o 'lladdr [0-9a-f:]*' | cut -d' ' -f2; }
has_mac() { [ "$(neigh_mac "$1" "$2")" == "$3" ]; }
fo() { st "$SW" ".providers[] | select(.name==\"$1\") | .failover.$2"; }
# the AS path provider P's BIRD has for a prefix ("" when it has none)
path_at() { birdc_ "$1" show route "$2" all | awk -F': *' '/BGP.as_path/ { print $2 }'; }
has_path() { [ "$(path_at "$1" "$2")" == "$3" ]; }
no_route() { ! birdc_ "$1" show route "$2" | grep -q "$2"; }
both_up() { [ "$(bird_state transit_a4)" = up ] && [ "$(bird_state transit_a6)" = up ]; }

check_eq "control socket is root and group only" "$(stat -c %a "$SW")" "660"

# drain: hosts move to the backup at once, BGP is shut with a message
out=$("$ONLINK" drain -s "$SW" transit-a)
check_eq "drain answers" "$out" "provider transit-a: drained"
check "h1 sends transit-a's traffic to transit-b's MAC" wait_for 2 "drained" has_mac h1 10.0.1.1 "$PROVIDER_MAC_B"
check "BIRD session shut down" wait_for 5 "down" bash -c "[ \"\$(birdc -s '$LAB_DIR/bird-sw.ctl' show protocols transit_a4 | awk '\$1 == \"transit_a4\" { print \$4 }')\" = down ]"
check "the provider received an administrative shutdown with onlink's message" \
	wait_for 5 "message" bash -c "birdc -s '$LAB_DIR/bird-pa.ctl' show protocols all pop4 | grep -q 'Received: Administrative shutdown'"
check "switch log names the operator" grep -q "provider transit-a drained by uid 0" "$LAB_DIR/onlinkd-sw.log"
check "status shows it drained, with the reason" bash -c "'$ONLINK' status -s '$SW' | grep -q 'drained (drained by the operator (uid 0'"
out=$("$ONLINK" undrain -s "$SW" transit-b 2>&1)
check "undrain of a provider not drained: refused, exit 1" [ $? -eq 1 ]
check_eq "  with a clear message" "$out" "onlink undrain: provider 'transit-b' is not drained (it is ok)"
out=$("$ONLINK" drain -s "$SW" transit-zz 2>&1)
check_eq "drain of an unknown provider: refused" "$out" "onlink drain: no provider 'transit-zz'"

# the drain survives a restart of the switch agent (kept in its state file,
# with who and since when; BIRD's include is BIRD config only)
STATE=$LAB_DIR/switch-state.json
check_eq "the state file records the drain and who asked" \
	"$(jq -r '.drained[] | select(.provider == "transit-a") | .by' "$STATE" | sed 's/pid [0-9]*/pid N/')" "uid 0 pid N"
check "BIRD's include holds no record of its own" bash -c "! grep -q '^#@' '$INC'"
lab_stop onlinkd-sw
start_switchd
check "after a switch agent restart transit-a is still drained" \
	wait_for 10 "drained" bash -c "[ \"\$('$ONLINK' status -s '$SW' --json 2>/dev/null | jq -r '.providers[0].failover.state')\" = drained ]"
check "h1 still on transit-b's MAC" has_mac h1 10.0.1.1 "$PROVIDER_MAC_B"
check_eq "BIRD session still shut down" "$(bird_state transit_a4)" "down"
"$ONLINK" undrain -s "$SW" transit-a >/dev/null
check "undrain: the sessions come back" wait_for 30 "up" both_up
check "undrain: h1 back on transit-a's MAC once they are up" wait_for 10 "A" has_mac h1 10.0.1.1 "$PROVIDER_MAC_A"

# announce, with and without prepend, per provider, IPv4 and IPv6
check "announce to transit-a with --prepend 2" quiet "$ONLINK" announce -s "$SW" 198.18.77.0/24 --via transit-a --prepend 2
check "transit-a's BIRD sees it with our AS three times" wait_for 5 "prepended" has_path pa 198.18.77.0/24 "65000 65000 65000"
check "transit-b's BIRD does not" no_route pb 198.18.77.0/24
check "announce to transit-b (IPv6), no prepend" quiet "$ONLINK" announce -s "$SW" 2001:db8:77::/48 --via transit-b
check "transit-b's BIRD sees it" wait_for 5 "v6" has_path pb 2001:db8:77::/48 "65000"
check "re-announce to transit-a without prepend replaces the first" quiet "$ONLINK" announce -s "$SW" 198.18.77.0/24 --via transit-a
check "transit-a's BIRD sees the shorter path" wait_for 5 "plain" has_path pa 198.18.77.0/24 "65000"
check_eq "status lists both announcements" "$(st "$SW" '[.bird.announcements[] | "\(.prefix) \(.provider) \(.prepend)"] | sort | join(",")')" \
	"198.18.77.0/24 transit-a 0,2001:db8:77::/48 transit-b 0"

# bad input: nothing changes
before=$(md5sum < "$INC")
out=$("$ONLINK" announce -s "$SW" 198.18.78.1/24 --via transit-a 2>&1)
check "host bits set: refused, exit 1" [ $? -eq 1 ]
check_eq "  with a clear message" "$out" "onlink announce: bad prefix '198.18.78.1/24' (ADDR/LEN with the host bits zero)"
out=$("$ONLINK" announce -s "$SW" 198.18.78.0/24 --via transit-a --prepend 17 2>&1)
check "prepend 17: refused" [ $? -eq 2 ]
out=$("$ONLINK" withdraw -s "$SW" 198.18.99.0/24 --via transit-a 2>&1)
check_eq "withdraw of what was never announced: refused" "$out" "onlink withdraw: 198.18.99.0/24 is not announced via transit-a"
check_eq "the include file did not change" "$(md5sum < "$INC")" "$before"
# BIRD itself refuses (its own config broken meanwhile): BIRD's error shown,
# the include file put back, BIRD still running the old config
cp "$LAB_DIR/bird-sw.conf" "$LAB_DIR/bird-sw.conf.good"
echo "this is not bird syntax" >> "$LAB_DIR/bird-sw.conf"
out=$("$ONLINK" announce -s "$SW" 198.18.79.0/24 --via transit-a 2>&1)
check "BIRD rejects the configuration: exit 1" [ $? -eq 1 ]
check "  and BIRD's own error is shown" bash -c "[[ '$out' == *'BIRD rejected the configuration'*'syntax error'*'nothing changed' ]]"
check_eq "  the include file is as before" "$(md5sum < "$INC")" "$before"
check "  transit-a never saw 198.18.79.0/24" no_route pa 198.18.79.0/24
cp "$LAB_DIR/bird-sw.conf.good" "$LAB_DIR/bird-sw.conf"

# withdraw
check "withdraw from transit-a" quiet "$ONLINK" withdraw -s "$SW" 198.18.77.0/24 --via transit-a
check "transit-a's BIRD no longer has it" wait_for 5 "gone" no_route pa 198.18.77.0/24
check "transit-b keeps its IPv6 announcement" has_path pb 2001:db8:77::/48 "65000"

# announcements survive a restart of the switch agent and BIRD's reload
lab_stop onlinkd-sw
start_switchd
check "after a restart the switch agent reports the announcement" \
	wait_for 10 "kept" bash -c "[ \"\$('$ONLINK' status -s '$SW' --json 2>/dev/null | jq -r '.bird.announcements[0].prefix')\" = 2001:db8:77::/48 ]"
birdc_ sw configure >/dev/null
check "and BIRD, reloaded, still announces it" wait_for 5 "still" has_path pb 2001:db8:77::/48 "65000"
check_eq "...as the state file records it, with who asked" \
	"$(jq -r '.announcements[] | "\(.prefix) \(.provider) \(.by)"' "$STATE" | sed 's/pid [0-9]*/pid N/')" \
	"2001:db8:77::/48 transit-b uid 0 pid N"
check "every operation is in the switch log" bash -c "grep -c 'by uid 0' '$LAB_DIR/onlinkd-sw.log' | grep -qx '[6-9]'"

# malformed requests straight on the control socket: an error each, the
# agent keeps serving (a NUL in a request, trailing words, a huge word)
raw() {
	python3 - "$SW" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode().replace(b"\\0", b"\0").replace(b"\\xff", b"\xff") + b"\n")
out = b""
while True:
    d = s.recv(65536)
    if not d: break
    out += d
print(out.decode())
PY
}
check_eq "a NUL in a request: an error, not a hang" "$(raw '\0drain transit-a' | jq -r .error)" \
	"unknown request: the switch agent takes the typed requests of docs/api.md"
check_eq "the words of agents before the typed API: an error that says what it takes" "$(raw 'drain transit-a' | jq -r .error)" \
	"unknown request: the switch agent takes the typed requests of docs/api.md"
check_eq "a name that is not UTF-8: an error, not a hang" "$(raw '{"api":1,"request":"drain","provider":"transit-\xff"}' | jq -r .error)" "not a JSON object"
check_eq "a key the request does not take: refused, named" \
	"$(raw '{"api":1,"request":"withdraw","prefix":"2001:db8:77::/48","provider":"transit-b","now":true}' | jq -r .error)" "withdraw takes no key 'now'"
check_eq "a negative prepend: refused" "$(raw '{"api":1,"request":"announce","prefix":"198.18.80.0/24","provider":"transit-a","prepend":-1}' | jq -r .error)" "prepend: 0 to 16"
check_eq "a prepend that is a string: refused" "$(raw '{"api":1,"request":"announce","prefix":"198.18.80.0/24","provider":"transit-a","prepend":"2"}' | jq -r .error)" "prepend: 0 to 16"
check_eq "a 200-character name: refused" "$(raw "{\"api\":1,\"request\":\"drain\",\"provider\":\"$(printf 'a%.0s' $(seq 200))\"}" | jq -r .error)" \
	"provider: not a name (letters, digits, '.', '_', '-'; at most 31)"
check_eq "another api version: refused, naming the one served" "$(raw '{"api":2,"request":"drain","provider":"transit-a"}' | jq -r .error)" \
	"api version not served (this agent serves api 1)"
check_eq "every answer carries the api version" "$(raw '{"api":1,"request":"announcements"}' | jq -r '.api')" 1
check_eq "still serving, nothing changed" "$(st "$SW" '[.bird.announcements[].prefix] | join(",")')" "2001:db8:77::/48"

# purge: a provider's BGP sessions restarted through BIRD (their "since"
# changes), the answer once they are back; a soft purge (route refresh)
# restarts nothing; who asked is logged; an unknown provider changes nothing
sessions_since() { echo "$(since_of transit_a4) $(since_of transit_a6) $(since_of transit_b4) $(since_of transit_b6)"; }
b_up() { [ "$(bird_state transit_b4)" = up ] && [ "$(bird_state transit_b6)" = up ]; }
check "transit-a's sessions are up before the purge" wait_for 30 "up" both_up
# transit-b's too (the restart above brought every session up again): its
# "since" is then the time it came up, and a purge of transit-a leaves it
check "transit-b's sessions are up before the purge" wait_for 30 "up" b_up
before=$(sessions_since)
out=$("$ONLINK" purge -s "$SW" transit-a --timeout 60); rc=$?
check_eq "purge: exit 0 once its sessions are back" "$rc" "0"
check "purge: says so" grep -q "^provider transit-a: hard purge: its sessions are back" <<<"$out"
check "purge: lists each session, established" bash -c "[ \$(grep -c 'transit_a[46] *up *Established' <<<\"\$1\") = 2 ]" _ "$out"
after=$(sessions_since)
read -r a4 a6 b4 b6 <<<"$before"
read -r A4 A6 B4 B6 <<<"$after"
check "purge: transit_a4 and transit_a6 restarted (since $a4 $a6 -> $A4 $A6)" bash -c "$(declare -f kept); ! kept '$a4' '$A4' && ! kept '$a6' '$A6'"
check "purge: transit-b's sessions untouched ($b4 $b6 -> $B4 $B6)" kept "$b4 $b6" "$B4 $B6"
check "purge: BIRD shows them up" both_up
check "purge: the switch log names who asked" grep -q "provider transit-a: hard purge of its BGP sessions (restart) by uid 0" "$LAB_DIR/onlinkd-sw.log"
a_since() { echo "$(since_of transit_a4) $(since_of transit_a6)"; }
before=$(a_since)
out=$("$ONLINK" purge -s "$SW" transit-a --soft); rc=$?
check_eq "soft purge: exit 0, its sessions still up" "$rc:$(head -n 1 <<<"$out")" "0:provider transit-a: soft purge: its sessions are back"
check "soft purge: nothing restarted ($before -> $(a_since))" kept "$before" "$(a_since)"
check "soft purge: logged" grep -q "provider transit-a: soft purge of its BGP sessions (route refresh) by uid 0" "$LAB_DIR/onlinkd-sw.log"
out=$("$ONLINK" purge -s "$SW" transit-zz 2>&1); rc=$?
check_eq "purge of an unknown provider: refused, exit 1" "$rc:$out" "1:onlink purge: no provider 'transit-zz'"
"$ONLINK" purge -s "$SW" transit-a --timeout 0 >/dev/null 2>&1
check_eq "purge --timeout 0: a usage error, exit 2" "$?" "2"
check "...nothing restarted in BIRD ($before -> $(a_since))" kept "$before" "$(a_since)"

# announcements with BGP attributes: communities (and a large one), MED,
# NO_EXPORT, as the provider's BIRD receives them; listed; kept across a
# restart of the switch agent; a bad community refused, nothing changed
attr() { birdc_ pb show route 198.18.90.0/24 all | awk -F': *' -v k="$1" '$1 ~ k { print $2 }'; }
out=$("$ONLINK" announce -s "$SW" 198.18.90.0/24 --via transit-b --community 65000:100 --community 65000:1:2 --med 50 --no-export); rc=$?
check_eq "announce with attributes: exit 0" "$rc:$out" "0:announced 198.18.90.0/24 via transit-b (with its attributes)"
check "transit-b's BIRD has the route" wait_for 10 "route" bash -c "birdc -s '$LAB_DIR/bird-pb.ctl' show route 198.18.90.0/24 | grep -q 198.18.90.0/24"
check_eq "...with the communities, NO_EXPORT among them" "$(attr 'BGP.community' | tr ' ' '\n' | sort | tr '\n' ' ')" "(65000,100) (65535,65281) "
check_eq "...the large community" "$(attr 'BGP.large_community')" "(65000, 1, 2)"
check_eq "...the MED" "$(attr 'BGP.med')" "50"
check "...and transit-a's BIRD has none of it" no_route pa 198.18.90.0/24
# the longest request the CLI builds: 8 large communities, MED, NO_EXPORT,
# a prepend (past the control socket's old 256 bytes: the agent closed it
# without a word, and the CLI said it could not reach the switch agent)
big=()
for i in 1 2 3 4 5 6 7 8; do big+=(--community "4200000000:10000$i:100"); done
out=$("$ONLINK" announce -s "$SW" 198.18.92.0/24 --via transit-b --med 100 --no-export --prepend 2 "${big[@]}" 2>&1); rc=$?
check_eq "announce with 8 large communities, MED, NO_EXPORT and a prepend: exit 0" "$rc:$out" \
	"0:announced 198.18.92.0/24 via transit-b (with its attributes)"
check "...transit-b's BIRD has it" wait_for 10 "route" bash -c "birdc -s '$LAB_DIR/bird-pb.ctl' show route 198.18.92.0/24 | grep -q 198.18.92.0/24"
check_eq "...with all 8 large communities" \
	"$(birdc_ pb show route 198.18.92.0/24 all | awk -F': *' '$1 ~ /BGP.large_community/ { print $2 }')" \
	"$(for i in 1 2 3 4 5 6 7 8; do printf '(4200000000, 10000%d, 100) ' "$i"; done | sed 's/ $//')"
check_eq "a request over the control socket's limit: an error naming it" \
	"$(raw "drain $(head -c 5000 /dev/zero | tr '\0' a)" | jq -r .error)" "request over 4095 bytes: refused"
check "...and the agent still answers" bash -c "'$ONLINK' status -s '$SW' --json | jq -e .providers >/dev/null"
"$ONLINK" withdraw -s "$SW" 198.18.92.0/24 --via transit-b >/dev/null
list=$("$ONLINK" announce -s "$SW" --list)
check "announce --list: prefix, provider, MED, NO_EXPORT, communities" \
	grep -Eq '^198.18.90.0/24 +transit-b +0 +50 +yes +[0-9-]+ [0-9:]+ +65000:100 65000:1:2$' <<<"$list"
since=$(st "$SW" '.bird.announcements[] | select(.prefix == "198.18.90.0/24") | .since')
lab_stop onlinkd-sw
start_switchd
wait_for 10 "switch agent" test -S "$SW"
check_eq "after a restart of the switch agent: the same announcement, attributes and since" \
	"$(st "$SW" '.bird.announcements[] | select(.prefix == "198.18.90.0/24") | "\(.med) \(.no_export) \(.communities | join(",")) \(.since)"')" \
	"50 true 65000:100,65000:1:2 $since"
check_eq "...still at transit-b with its MED" "$(attr 'BGP.med')" "50"
before=$(cat "$INC")
for bad in 65536:1 1:2:3:4 a:b 65000 -1:5 4294967296:1:1; do
	out=$("$ONLINK" announce -s "$SW" 198.18.91.0/24 --via transit-b --community "$bad" 2>&1); rc=$?
	check_eq "a community of the wrong form ($bad): refused, exit 1" "$rc:$out" \
		"1:onlink announce: community: bad '$bad' (A:B with each part 0 to 65535, or a large community A:B:C with each part 0 to 4294967295); nothing changed"
done
out=$("$ONLINK" announce -s "$SW" 198.18.91.0/24 --via transit-b --med 4294967296 2>&1); rc=$?
check_eq "a MED out of range: refused" "$rc:$out" "1:onlink announce: med: bad value '4294967296' (0 to 4294967295); nothing changed"
check_eq "...BIRD's include file unchanged" "$(cat "$INC")" "$before"

# only what the POP owns ([switch] own-prefix = 198.18.0.0/15 and
# 2001:db8:70::/44 in the lab): before, 8.8.8.0/24, 0.0.0.0/0 and ::/0
# were accepted with exit 0 and reached the providers
for bad in 8.8.8.0/24 0.0.0.0/0 ::/0 198.18.91.128/25 2001:db8:77:1::/64 198.16.0.0/14; do
	out=$("$ONLINK" announce -s "$SW" "$bad" --via transit-a 2>&1); rc=$?
	check "announce $bad: refused, exit 1, naming own-prefix ($out)" \
		bash -c "[ $rc = 1 ] && grep -q 'own-prefix' <<<'$out' && grep -q 'nothing changed' <<<'$out'"
done
check_eq "...BIRD's include file unchanged" "$(cat "$INC")" "$before"
check "...and transit-a's BIRD has none of them" bash -c "! birdc -s '$LAB_DIR/bird-pa.ctl' show route 8.8.8.0/24 | grep -q 8.8.8.0 && ! birdc -s '$LAB_DIR/bird-pa.ctl' show route 0.0.0.0/0 exact | grep -q 0.0.0.0/0"
# own-prefix narrowed by a reload: an announcement made before is kept
# (until withdrawn) and reported
cp "$LAB_DIR/switch.conf" "$LAB_DIR/switch.conf.good"
sed -i 's|^own-prefix = 198.18.0.0/15$|own-prefix = 198.18.0.0/18|' "$LAB_DIR/switch.conf"
kill -HUP "$(lab_pid onlinkd-sw)"
outside() { [ "$(st "$SW" '.bird.announcements[] | select(.prefix == "198.18.90.0/24") | .outside_own_prefix // ""')" != "" ]; }
check "own-prefix narrowed: 198.18.90.0/24 is reported outside it" wait_for 10 "outside" outside
check "...kept at transit-b" has_path pb 198.18.90.0/24 "65000"
check "...onlink status says so" bash -c "'$ONLINK' status -s '$SW' | grep -q 'announcement 198.18.90.0/24 via transit-b is kept until withdrawn, but not within any own-prefix'"
out=$("$ONLINK" withdraw -s "$SW" 198.18.90.0/24 --via transit-b 2>&1); rc=$?
check_eq "...and can be withdrawn" "$rc:$out" "0:withdrew 198.18.90.0/24 via transit-b"
cp "$LAB_DIR/switch.conf.good" "$LAB_DIR/switch.conf"

# an include file of an agent before the state file (the record as "#@"
# lines) and no state file: moved to the state file once, with a log line;
# the announcement still reaches the provider
printf '%s\n' '#@ announce 198.18.93.0/24 transit-b 0 0 since=1764150000 med=70 no-export=0 communities=65000:7' \
	'#@ drained transit-b' > "$LAB_DIR/old-record"
lab_stop onlinkd-sw
rm -f "$STATE"
cat "$LAB_DIR/old-record" "$INC" > "$INC.old" && mv "$INC.old" "$INC"
start_switchd
wait_for 10 "switch agent" test -S "$SW"
check "an old include's record: moved to the state file, logged" \
	grep -qF "bird-onlink.conf: 1 announcements and 1 drained providers moved from its \"#@\" lines to the state file $STATE" "$LAB_DIR/onlinkd-sw.log"
check_eq "...in the state file, every attribute" \
	"$(jq -r '(.announcements[] | "\(.prefix) \(.provider) \(.med) \(.communities | join(",")) \(.since)"), (.drained[] | .provider)' "$STATE")" \
	"198.18.93.0/24 transit-b 70 65000:7 1764150000
transit-b"
check "...BIRD's include rewritten without it" bash -c "! grep -q '^#@' '$INC'"
b_state() { st "$SW" '.providers[] | select(.name == "transit-b") | .failover.state'; }
b_drained() { [ "$(b_state)" = drained ]; }
check "...transit-b drained again" wait_for 10 "drained" b_drained
"$ONLINK" undrain -s "$SW" transit-b > /dev/null
b_med() { birdc -s "$LAB_DIR/bird-pb.ctl" show route 198.18.93.0/24 all | grep -q 'BGP.med: 70'; }
check "...and once undrained, 198.18.93.0/24 reaches transit-b with its MED" wait_for 30 "announced" b_med
"$ONLINK" withdraw -s "$SW" 198.18.93.0/24 --via transit-b > /dev/null

# a purge under way is in the state file: an agent killed in the middle
# says so when it starts again (log, status), and forgets it. (BIRD held
# stopped meanwhile: the purge waits on it, whatever the machine's speed.)
purging() { [ "$(jq -r '.purge.provider // ""' "$STATE")" = transit-a ]; }
BIRDSW=$(cat "$LAB_DIR/bird-sw.pid")
kill -STOP "$BIRDSW"
"$ONLINK" purge -s "$SW" transit-a --timeout 60 > "$LAB_DIR/purge-killed.out" 2>&1 &
purge_cli=$!
check "a purge under way: in the state file" wait_for 10 "purge" purging
lab_stop onlinkd-sw KILL
kill -CONT "$BIRDSW"
wait "$purge_cli"
check_eq "...the CLI, its agent killed, says so (exit 2)" "$?" 2
rm -f "$SW" # (a killed agent leaves its socket: the new one's is waited for)
start_switchd
wait_for 10 "switch agent" test -S "$SW"
check "...the restarted agent logs it" wait_for 10 "logged" grep -q "a hard purge of provider transit-a by uid 0 pid [0-9]* was under way when the agent stopped" "$LAB_DIR/onlinkd-sw.log"
interrupted() { [ "$(st "$SW" '.bird.purge_interrupted | "\(.provider) \(.soft)"')" = "transit-a false" ]; }
check "...shows it in its status" wait_for 10 "status" interrupted
check_eq "...and the state file no longer holds it" "$(jq -r '.purge' "$STATE")" "null"

# a subscriber of the switch agent (the typed API): each topic's line at
# once, then a line each time it changes: a drain (bird: the provider's
# failover state; providers: transit-a carried by its backup), a host
# agent's restart (sessions: h2 gone, then back)
cat > "$LAB_DIR/sub.py" <<'PY'
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b'{"api":1,"request":"subscribe","topics":["providers","sessions","bird"]}\n')
out, buf = open(sys.argv[2], "a"), b""
while True:
    d = s.recv(65536)
    if not d: break
    buf += d
    while b"\n" in buf:
        line, buf = buf.split(b"\n", 1)
        out.write(line.decode() + "\n"); out.flush()
PY
SUBLOG=$LAB_DIR/sub.log
: > "$SUBLOG"
lab_spawn sub sw python3 "$LAB_DIR/sub.py" "$SW" "$SUBLOG"
lines_of() { jq -c --arg r "$1" 'select(.reply == $r)' "$SUBLOG"; }
first_three() { [ "$(jq -r .reply "$SUBLOG" | sort -u | tr '\n' ' ')" = "bird providers sessions " ]; }
check "subscribed: each topic's line at once" wait_for 5 "lines" first_three
bird_drained() { lines_of bird | tail -n 1 | jq -e '.providers[] | select(.provider == "transit-a") | .state == "drained"' > /dev/null; }
via_b() { lines_of providers | tail -n 1 | jq -e '.providers[] | select(.name == "transit-a") | .via == "transit-b"' > /dev/null; }
"$ONLINK" drain -s "$SW" transit-a > /dev/null
check "...a drain: a bird line with transit-a drained" wait_for 5 "bird" bird_drained
check "...and a providers line: transit-a carried by transit-b's MACs" wait_for 5 "via" via_b
"$ONLINK" undrain -s "$SW" transit-a > /dev/null
n1=$(lines_of sessions | wc -l)
lab_stop onlinkd-h2
no_h2() { lines_of sessions | tail -n 1 | jq -e '[.sessions[].name] | index("h2") == null' > /dev/null; }
check "...a host agent stops: a sessions line without h2" wait_for 10 "gone" no_h2
start_hostd 2
h2_back() { lines_of sessions | tail -n 1 | jq -e '[.sessions[].name] | index("h2") != null' > /dev/null; }
check "...it comes back: a sessions line with h2" wait_for 15 "back" h2_back
check "...a line only when something changed (sessions: $(lines_of sessions | wc -l) lines)" \
	[ "$(lines_of sessions | wc -l)" -le $((n1 + 4)) ]
lab_stop sub
