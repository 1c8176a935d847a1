# The install guide (docs/install.md) run as written on the lab's switch
# and host, each with a file system of its own (lab/unit.sh), then the
# agents under their installed units and what an operator does with them:
# the body of t104 (from the source tree, `make install`) and t108 (from
# the Debian package), sourced by both.
#
# installed_up (after t_setup): the lab (providers, egress clients, an echo server, a
#   cgroup for [repath]) and the machines' file systems, views sw and h1
# installed_guide FROM DIR: the guide's blocks for every machine, those
#   marked lab(FROM) among them (source or package), each run in DIR
# installed_checks WHAT TMPFILES: what was installed (WHAT: "make install"
#   or "the package"; TMPFILES: where onlink's tmpfiles entry must be), and
#   how it runs: identity, capabilities, sandbox, BIRD's sessions, the
#   operator's commands, reload, the egress proxy and [repath]

# in a machine's file system and namespace, as root at its shell
on() { local v=$1; shift; view_exec "$v" "$v" "${SV[@]}" "LAB_VIEW=$v" "$@"; }
pub() { on "$1" cat "$2" 2>/dev/null | "$ONLINK" pubkey 2>/dev/null; }
run_block() { # N VIEW
	local f=$LAB_DIR/guide/$1.sh v=$2 swpub h1pub
	swpub=$(pub sw /etc/onlink/switch.key) h1pub=$(pub h1 /etc/onlink/host.key)
	{ echo "cd '$GUIDE_DIR'"; sed -e "s|H1-PUBLIC-KEY|$h1pub|; s|SW1-PUBLIC-KEY|$swpub|" "$f"; } > "$f.$v"
	echo "== block $1 on $v" >> "$LAB_DIR/guide-$v.log"
	on "$v" bash -ex "$f.$v" >> "$LAB_DIR/guide-$v.log" 2>&1
}
connected() { [ "$(on sw onlink status --json | jq -r .bird.connected)" = true ]; }
# a protocol of BIRD on the switch: field N of its line in `birdc show
# protocols` (4: its state, 5: since, BIRD's time of its last state
# change, 6: BGP's state)
bird_field() { on sw birdc show protocols "$1" | awk -v p="$1" -v f="$2" '$1 == p { print $f }'; }
since_at() { bird_field "$1" 5; }

installed_up() {
	# a root shell's environment on the machines
	SV=(env -i HOME=/root "PATH=$LAB_ROOT/lab/shim:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
		"LAB_DIR=$LAB_DIR" "LAB_ROOT=$LAB_ROOT" "LAB_PREFIX=$LAB_PREFIX")
	lab_topology
	lab_bird_providers "$(lab_bfd eth0)" "bfd on;" ""
	start_bird pa pa "$LAB_DIR/bird-pa.conf"
	start_bird pb pb "$LAB_DIR/bird-pb.conf"
	# the egress proxy's clients behind h1 and the routes back to the shared
	# address; an echo server on the Internet
	lab_egress_clients
	lab_spawn echo inet python3 "$LAB_ROOT/lab/tools/echo_server.py" "$LAB_DIR/peers.log" 203.0.113.1:9000
	# a cgroup of the lab's own for [repath] below, mounted before the
	# machines' file systems are made (they see the mounts made before them)
	lab_cgroup h1 > /dev/null && CG=$(lab_cgroup_sys h1)
	view_make sw || { not_ok "the switch's file system"; exit 1; }
	view_make h1 || { not_ok "the host's file system"; exit 1; }
}

installed_guide() {
	GUIDE_DIR=$2
	# the guide's blocks, in its order: $LAB_DIR/guide/N.sh, and "N MACHINE,..."
	# lines in $LAB_DIR/guide/list
	mkdir -p "$LAB_DIR/guide"
	awk -v dir="$LAB_DIR/guide" -v from="$1" '
		# "<!-- lab: MACHINE -->", or "<!-- lab(source): MACHINE -->" and
		# "<!-- lab(package): MACHINE -->" for the two ways of installing
		/^<!-- lab(\([a-z]+\))?: .* -->$/ {
			s = substr($0, 9); v = ""
			if (substr(s, 1, 1) == "(") { v = substr(s, 2, index(s, ")") - 2); s = substr(s, index(s, ")") + 1) }
			if (v == "" || v == from) m = m (m ? "," : "") substr(s, 3, length(s) - 6)
			next
		}
		/^```/ {
			if (inb) { inb = 0; if (f) close(f); f = ""; m = "" }
			else { inb = 1; if (m) { n++; f = dir "/" n ".sh"; print n, m > (dir "/list") } }
			next
		}
		inb && f { print > f }
	' docs/install.md
	check "docs/install.md has lab blocks for the switch and the host" \
		bash -c "grep -q switch '$LAB_DIR/guide/list' && grep -q 'host h1' '$LAB_DIR/guide/list'"

	while read -r n machines; do
		IFS=, read -ra ms <<<"$machines"
		for m in "${ms[@]}"; do
			case $m in switch) v=sw ;; "host h1") v=h1 ;; *) not_ok "block $n: unknown machine '$m'"; continue ;; esac
			# the operator's commands need the agent connected to BIRD, as
			# `onlink status` shows it
			grep -q '^onlink drain' "$LAB_DIR/guide/$n.sh" && wait_for 20 "BIRD connected" connected
			check "docs/install.md block $n runs as written on $m" run_block "$n" "$v" ||
				{ tail -n 20 "$LAB_DIR/guide-$v.log"; exit 1; }
		done
	done < "$LAB_DIR/guide/list"
}

installed_checks() {
	# what was installed, and runs as installed
	check "$1 put onlink's tmpfiles in place ($2)" on sw test -f "$2"
	check_eq "/var/lib/onlink/bird: root, group bird, set-group-ID" "$(on sw stat -c '%U:%G %a' /var/lib/onlink/bird)" "root:bird 2750"
	check_eq "the include file: group bird, mode 0640 (the unit's umask)" \
		"$(on sw stat -c '%U:%G %a' /var/lib/onlink/bird/onlink.conf)" "root:bird 640"
	SWPID=$(lab_pid sw-unit-onlinkd-switch) H1PID=$(lab_pid h1-unit-onlinkd-host) BPID=$(lab_pid sw-unit-bird)
	EGPID=$(lab_pid h1-unit-onlinkd-egress)
	check "the switch agent runs under its unit" kill -0 "$SWPID"
	check "the host agent runs under its unit" kill -0 "$H1PID"
	check "the egress proxy runs under its unit" kill -0 "$EGPID"
	bird_gid=$(getent group bird | cut -d: -f3)
	for p in "switch:$SWPID:0000000000003000" "host:$H1PID:0000008000003000" "egress:$EGPID:0000000000003000"; do
		IFS=: read -r who pid caps <<<"$p"
		st=/proc/$pid/status
		# only what the unit file gives: CAP_NET_ADMIN and CAP_NET_RAW, and
		# CAP_BPF for the host agent's repath program
		check_eq "$who agent: effective capabilities as its unit says ($caps)" "$(awk '/^CapEff/ { print $2 }' "$st")" "$caps"
		check_eq "$who agent: bounding set likewise" "$(awk '/^CapBnd/ { print $2 }' "$st")" "$caps"
		check_eq "$who agent: no new privileges" "$(awk '/^NoNewPrivs/ { print $2 }' "$st")" 1
	done
	check_eq "switch agent: groups root and bird" "$(awk '/^Groups/ { $1 = ""; print }' "/proc/$SWPID/status" | xargs)" "0 $bird_gid"
	check_eq "BIRD on the switch runs as user bird (Debian's bird.service)" "$(ps -o user= -p "$(on sw cat /run/bird/bird.pid 2>/dev/null || echo "$BPID")" | xargs)" bird
	check_eq "BIRD's socket is bird:bird 0660" "$(on sw stat -c '%U:%G %a' /run/bird/bird.ctl)" "bird:bird 660"
	# the sandbox is real: without group bird the same identity cannot reach
	# BIRD, and the agent's view of /etc is read-only
	out=$(on sw setpriv --bounding-set -all,+net_admin,+net_raw --clear-groups -- birdc show status 2>&1)
	check "without group bird, CAP_NET_ADMIN and CAP_NET_RAW alone cannot reach BIRD's socket ($out)" grep -q "Permission denied" <<<"$out"
	out=$(nsenter -t "$SWPID" -m touch /etc/onlink/probe 2>&1)
	check "the switch agent's /etc is read-only ($out)" grep -q "Read-only file system" <<<"$out"
	check "...and its /var/lib/onlink writable" nsenter -t "$SWPID" -m sh -c 'touch /var/lib/onlink/probe && rm /var/lib/onlink/probe'

	# working: BGP up through the sessions onlink wrote, the host converged
	up_at() { [ "$(bird_field "$1" 6)" = Established ]; }
	all_up() { up_at onlink_transit_a4 && up_at onlink_transit_b6 && up_at onlink_host_h1_4 && up_at onlink_host_h1_6; }
	check "BIRD (user bird) runs the sessions onlink wrote: transit-a, transit-b, h1" wait_for 60 "Established" all_up
	check "h1 routes through both providers (BGP and onlink, as installed)" wait_for 60 "converged" host_converged 1

	# the agent's state file, under the unit: a provider port's own alias
	# (set by someone after onlink described it) kept whole in
	# /var/lib/onlink/switch.json, mode 0640 (the unit's umask)
	port_of() { n sw ip -o -d link show | awk -v p="alias onlink: $1" 'index($0, p) { sub(/:$/, "", $2); sub(/@.*/, "", $2); print $2; exit }'; }
	described() { [ -n "$(port_of transit-a)" ]; }
	check "transit-a's port is described" wait_for 20 "described" described
	PA_PORT=$(port_of transit-a)
	n sw ip link set "$PA_PORT" alias "rack 1 port 1"
	kept_in_state() { on sw jq -e --arg p "$PA_PORT" '.port_aliases[] | select(.port == $p and .alias == "rack 1 port 1")' /var/lib/onlink/switch.json > /dev/null 2>&1; }
	check "...its own alias kept in /var/lib/onlink/switch.json by the agent under its unit" wait_for 10 "state" kept_in_state
	check_eq "...the state file: root, mode 0640" "$(on sw stat -c '%U %a' /var/lib/onlink/switch.json)" "root 640"

	# the operator's commands under the unit's identity, seen at the providers
	has_mac() { [ "$(n h1 ip neigh show 10.0.1.1 dev eth0 | grep -o 'lladdr [0-9a-f:]*' | cut -d' ' -f2)" == "$1" ]; }
	sw_state() { bird_field "$1" 4; }
	check "drain: answered" on sw onlink drain transit-a
	check "...h1 sends transit-a's traffic to transit-b's MAC" wait_for 5 "drained" has_mac "$PROVIDER_MAC_B"
	a_down() { [ "$(sw_state onlink_transit_a4)" = down ]; }
	check "...BIRD (user bird) shut transit-a's sessions" wait_for 10 "down" a_down
	check "...the provider saw the administrative shutdown" wait_for 10 "shutdown" bash -c "birdc -s '$LAB_DIR/bird-pa.ctl' show protocols all pop4 | grep -q 'Administrative shutdown'"
	check "undrain: answered" on sw onlink undrain transit-a
	check "...h1 back on transit-a's MAC" wait_for 30 "undrained" has_mac "$PROVIDER_MAC_A"
	check "announce with a community and MED: answered" on sw onlink announce 198.18.90.0/24 --via transit-a --community 65000:90 --med 10
	check "...transit-a's BIRD has it with the community and MED" wait_for 20 "announced" bash -c \
		"birdc -s '$LAB_DIR/bird-pa.ctl' show route 198.18.90.0/24 all | grep -q 'BGP.community: (65000,90)' &&
		 birdc -s '$LAB_DIR/bird-pa.ctl' show route 198.18.90.0/24 all | grep -q 'BGP.med: 10'"
	check "withdraw: answered" on sw onlink withdraw 198.18.90.0/24 --via transit-a
	check "...gone at transit-a" wait_for 20 "withdrawn" bash -c "! birdc -s '$LAB_DIR/bird-pa.ctl' show route 198.18.90.0/24 | grep -q 198.18.90"
	before=$(since_at onlink_transit_b4)
	out=$(on sw onlink purge transit-b --timeout 60 2>&1)
	check "purge: transit-b's sessions restarted and back ($out)" grep -q "onlink_transit_b4.*up" <<<"$out"
	after=$(since_at onlink_transit_b4)
	check "...BIRD's since moved ($before -> $after)" eval '! kept "$before" "$after"'
	check "the switch agent logged who did it" grep -q "provider transit-a drained by uid 0" "$LAB_DIR/sw-unit-onlinkd-switch.log"

	# reload under the unit: same pid, still its identity
	sed_add='/^\[provider transit-b\]/a local-pref = 90'
	check "systemctl reload after an edit" on sw bash -c "sed -i '$sed_add' /etc/onlink/switch.conf && systemctl reload onlinkd-switch"
	check "...the agent applied it in place, its sessions kept" wait_for 10 "reloaded" grep -q "reload: .* changed: applied in place; 1 host sessions kept" "$LAB_DIR/sw-unit-onlinkd-switch.log"
	pref90() { on sw birdc show route 203.0.113.0/24 protocol onlink_transit_b4 all | grep -q 'BGP.local_pref: 90'; }
	check "...BIRD took the new file (transit-b's routes at local-pref 90)" wait_for 30 "local pref" pref90
	check_eq "...same pid, same capabilities" "$(kill -0 "$SWPID" && awk '/^CapEff/ { print $2 }' "/proc/$SWPID/status")" 0000000000003000
	# BIRD restarting transit-b's sessions for the purge and for the new
	# local-pref was onlink's doing: not a provider failure
	check "neither the purge nor the reload failed transit-b over" \
		bash -c "! grep -q 'provider transit-b failed' '$LAB_DIR/sw-unit-onlinkd-switch.log'"
	check "...the agent said why" grep -q "provider transit-b: its BGP sessions are up again after onlink restarted them" \
		"$LAB_DIR/sw-unit-onlinkd-switch.log"

	# the egress proxy under its unit: a client's connections leave from the
	# shared address, inside h1's slice
	check "a client's TCP connections through the egress proxy (as installed) work both ways" \
		wait_for 30 "echo" n c1 python3 "$LAB_ROOT/lab/tools/echo_client.py" 203.0.113.1 9000 4 0,1460,100000
	check "...the server saw only 192.0.2.10, from ports in h1's slice" \
		awk '$1 != "192.0.2.10" || $2 < 10000 || $2 > 19999 { bad++ } END { exit bad > 0 || NR == 0 }' "$LAB_DIR/peers.log"

	# [repath] under the unit: its capabilities load and attach the sock_ops
	# program (on the lab's cgroup: never the machine's own)
	check "[repath] added, systemctl reload" on h1 bash -c "printf '\n[repath]\ncgroup = %s\n' '$CG' >> /etc/onlink/host.conf && systemctl reload onlinkd-host"
	repath_on() { [ "$(on h1 onlink status --json | jq -r .repath.state)" = on ]; }
	check "...the host agent's repath program is on, under its unit" wait_for 10 "repath" repath_on
	check "...in place, same pid" kill -0 "$H1PID"
	out=$(nsenter -t "$H1PID" -m touch "$CG/cgroup.procs" 2>&1)
	check "...the unit's cgroup hierarchy is read-only (ProtectControlGroups) ($out)" grep -q "Read-only file system" <<<"$out"
}
