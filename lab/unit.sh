# Machines as installed, in the lab (sourced by lab/lib.sh).
#
# view_make NAME: a machine's own file system, for a namespace of the lab:
# a mount namespace pinned at $LAB_DIR/view-NAME/ns where /etc, /usr and
# /var are overlays (copy-on-write) over this machine's and /run is empty,
# as after a boot under systemd (/run/systemd/system says so to a
# package's maintainer scripts, which then start and restart units through
# systemctl: lab/shim/systemctl). What `make install`, an install guide, a
# package or a daemon writes there stays in $LAB_DIR/view-NAME: the machine itself is not
# touched. view_exec NAME NS CMD... runs CMD in that file system and in the
# lab's network namespace NS.
#
# unit_start NAME NS VIEW UNITFILE [LOGNAME]: runs a systemd service as
# systemd would, in VIEW and NS, with what its unit file says (read from
# the file itself, so that the test and the unit cannot drift):
#   User, Group, SupplementaryGroups; CapabilityBoundingSet and
#   AmbientCapabilities; NoNewPrivileges; UMask; EnvironmentFile;
#   ExecStartPre, then ExecStart; RuntimeDirectory and StateDirectory
#   (with their modes); ProtectSystem=strict (everything read-only but
#   /dev, /proc, /sys, ReadWritePaths and the unit's own directories);
#   ProtectSystem=full (/usr, /boot, /efi and /etc); PrivateTmp;
#   ProtectHome; ProtectKernelTunables (/proc/sys and /sys read-only);
#   ProtectControlGroups (the cgroup hierarchies read-only).
# Not applied (no systemd here): the seccomp filters (SystemCallFilter,
# MemoryDenyWriteExecute, RestrictAddressFamilies, RestrictNamespaces,
# LockPersonality), PrivateDevices, ProtectKernelModules/Logs,
# ProtectClock. The pid recorded is the daemon's own.

view_make() {
	local v=$LAB_DIR/view-$1 d
	mkdir -p "$v"
	for d in etc usr var; do mkdir -p "$v/$d.up" "$v/$d.work"; done
	# the file pinning the namespace lives on a private mount of its own
	mount --bind "$v" "$v" && mount --make-private "$v" || return 1
	touch "$v/ns"
	unshare --mount="$v/ns" --propagation private sh -ec "
		for d in etc usr var; do
			mount -t overlay overlay -o lowerdir=/\$d,upperdir=$v/\$d.up,workdir=$v/\$d.work /\$d
		done
		mount -t tmpfs -o mode=0755 tmpfs /run
		mkdir -p /run/lock /run/systemd/system
		# a machine, not a container image: services start
		# (deb-systemd-invoke asks policy-rc.d)
		rm -f /usr/sbin/policy-rc.d
		# systemctl is the lab's (below), systemd's own beside it
		mv /usr/bin/systemctl /usr/bin/systemctl.lab-real" || return 1
	# the lab's systemctl (lab/shim/systemctl), whatever the PATH: apt runs
	# dpkg, and so the maintainer scripts, with a PATH of its own
	nsenter --mount="$v/ns" sh -c 'cat > /usr/bin/systemctl && chmod 755 /usr/bin/systemctl' <<EOF || return 1
#!/bin/sh
exec env LAB_DIR='$LAB_DIR' LAB_ROOT='$LAB_ROOT' LAB_PREFIX='$LAB_PREFIX' LAB_VIEW='$1' '$LAB_ROOT/lab/shim/systemctl' "\$@"
EOF
	echo "$v" >> "$LAB_DIR/views"
}

view_exec() {
	local v=$LAB_DIR/view-$1 ns=$2; shift 2
	nsenter --mount="$v/ns" --net="/run/netns/$LAB_PREFIX$ns" -- "$@"
}

# At lab_down: the pins go; each namespace goes with its last process.
views_down() {
	[ -f "$LAB_DIR/views" ] || return 0
	local v
	while read -r v; do
		umount "$v/ns" 2>/dev/null
		umount -l "$v" 2>/dev/null
	done < "$LAB_DIR/views"
	rm -f "$LAB_DIR/views"
}

# unit_key FILE KEY: the values of KEY in FILE's [Service] section, one
# per line (a key given twice, as systemd lists accumulate)
unit_key() {
	awk -v k="$2" '/^\[/ { s = ($0 == "[Service]") } s && index($0, k "=") == 1 { print substr($0, length(k) + 2) }' "$1"
}

# capability names for setpriv: "CAP_NET_ADMIN CAP_NET_RAW" -> "-all,+net_admin,+net_raw"
unit_caps() {
	local out=-all c
	for c in $1; do out+=",+$(tr 'A-Z' 'a-z' <<<"${c#CAP_}")"; done
	echo "$out"
}

# The shell that sets up a unit's sandbox inside a new mount namespace and
# execs its command: written to a file, run by unit_start.
unit_script() {
	local file=$1 out=$2 v user group supp bound amb nnp umask rw="" d mode ps pt ph pkt pcg envf
	user=$(unit_key "$file" User | tail -n 1); group=$(unit_key "$file" Group | tail -n 1)
	supp=$(unit_key "$file" SupplementaryGroups | tr '\n' ' ')
	bound=$(unit_key "$file" CapabilityBoundingSet | tr '\n' ' ')
	amb=$(unit_key "$file" AmbientCapabilities | tr '\n' ' ')
	nnp=$(unit_key "$file" NoNewPrivileges | tail -n 1); umask=$(unit_key "$file" UMask | tail -n 1)
	ps=$(unit_key "$file" ProtectSystem | tail -n 1); pt=$(unit_key "$file" PrivateTmp | tail -n 1)
	pcg=$(unit_key "$file" ProtectControlGroups | tail -n 1)
	ph=$(unit_key "$file" ProtectHome | tail -n 1); pkt=$(unit_key "$file" ProtectKernelTunables | tail -n 1)
	{
		echo 'set -e'
		echo 'mount --make-rprivate /'
		for envf in $(unit_key "$file" EnvironmentFile); do
			echo "set -a; . ${envf#-}; set +a"
		done
		# the unit's own directories, made as systemd makes them
		mode=$(unit_key "$file" RuntimeDirectoryMode | tail -n 1)
		for d in $(unit_key "$file" RuntimeDirectory); do
			echo "mkdir -p /run/$d; chmod ${mode:-0755} /run/$d; chown ${user:-root}:${group:-root} /run/$d"
			rw+=" /run/$d"
		done
		mode=$(unit_key "$file" StateDirectoryMode | tail -n 1)
		for d in $(unit_key "$file" StateDirectory); do
			echo "mkdir -p /var/lib/$d; chmod ${mode:-0755} /var/lib/$d; chown ${user:-root}:${group:-root} /var/lib/$d"
			rw+=" /var/lib/$d"
		done
		for d in $(unit_key "$file" ReadWritePaths); do
			# "-PATH": ignored when it does not exist
			if [ "${d#-}" != "$d" ]; then echo "if [ -e ${d#-} ]; then mount --bind ${d#-} ${d#-}; fi"
			else echo "mount --bind $d $d"; fi
		done
		for d in $rw; do echo "mount --bind $d $d"; done
		local ro=""
		case $ps in
		strict) ro=/ ;;
		full) ro="/usr /etc /boot /efi" ;;
		yes|true) ro="/usr /boot /efi" ;;
		esac
		if [ -n "$ro" ]; then
			# every mount under those, but the API file systems and the
			# writable paths (bound to themselves above)
			echo "for m in \$(findmnt -rno TARGET | sort); do"
			echo "  case \$m in /proc|/proc/*|/sys|/sys/*|/dev|/dev/*) continue ;; esac"
			echo "  skip=; for w in $(unit_key "$file" ReadWritePaths | tr -d '-' | tr '\n' ' ') $rw; do [ \"\$m\" = \"\$w\" ] && skip=1; done"
			echo "  [ -n \"\$skip\" ] && continue"
			echo "  for r in $ro; do if [ \"\$r\" = / ] || [ \"\$m\" = \"\$r\" ] || [ \"\${m#\"\$r\"/}\" != \"\$m\" ]; then"
			echo "    mount -o remount,bind,ro \"\$m\" 2>/dev/null || true; fi; done"
			echo "done"
		fi
		case $pt in yes|true) echo 'mount -t tmpfs -o mode=1777 tmpfs /tmp; mount -t tmpfs -o mode=1777 tmpfs /var/tmp' ;; esac
		case $ph in yes|true) echo 'for h in /home /root /run/user; do [ -d $h ] && mount -t tmpfs -o ro,mode=0000 tmpfs $h; done; true' ;; esac
		# /sys read-only with what is mounted under it (the cgroup
		# hierarchies stay, as with systemd); ProtectControlGroups: those
		# read-only too
		case $pkt in yes|true) echo 'mount --bind /proc/sys /proc/sys; mount -o remount,bind,ro /proc/sys; mount --rbind /sys /sys; mount -o remount,bind,ro /sys' ;; esac
		case $pcg in yes|true) echo 'for m in $(findmnt -rno TARGET | grep "^/sys/fs/cgroup"); do mount -o remount,bind,ro "$m" 2>/dev/null || true; done' ;; esac
		[ -n "$umask" ] && echo "umask $umask"
		# the identity: setpriv as systemd's exec does it
		local sp="setpriv"
		[ -n "$user" ] && sp+=" --reuid $user"
		[ -n "$group" ] && sp+=" --regid $group"
		# systemd: the user's groups (initgroups), then SupplementaryGroups
		if [ -n "$supp" ]; then sp+=" --groups $(id -G "${user:-root}" | tr ' ' ','),$(tr ' ' ',' <<<"${supp% }")"
		elif [ -n "$user" ]; then sp+=" --init-groups"; fi
		[ -n "$bound" ] && sp+=" --bounding-set $(unit_caps "$bound")"
		[ -n "$amb" ] && sp+=" --inh-caps $(unit_caps "$amb") --ambient-caps $(unit_caps "$amb")"
		case $nnp in yes|true) sp+=" --no-new-privs" ;; esac
		[ "$sp" = setpriv ] && sp="" || sp+=" --"
		local c
		while IFS= read -r c; do [ -n "$c" ] && echo "$sp ${c#-}"; done < <(unit_key "$file" ExecStartPre)
		echo "exec $sp $(unit_key "$file" ExecStart | tail -n 1)"
	} > "$out"
}

# unit_start NAME UNITFILE: from inside a view (lab/tools/systemctl):
# starts the unit in the background, its output in $LAB_DIR/NAME.log and
# its pid in $LAB_DIR/pids under NAME.
# Type=notify: as systemd, it returns once the service said READY=1 on
# its NOTIFY_SOCKET (60 s at most), and fails if it exits first.
unit_start() {
	local name=$1 file=$2 script=$LAB_DIR/unit-$1.sh notify="" lpid pid
	unit_script "$file" "$script" || return 1
	if [ "$(unit_key "$file" Type | tail -n 1)" = notify ]; then
		notify=/run/lab-notify-$name.sock
		rm -f "$notify"
		python3 - "$notify" > "$LAB_DIR/$name.ready" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("bound", flush=True)
s.settimeout(60)
try:
    while True:
        if "READY=1" in s.recv(4096).decode(errors="replace").split("\n"):
            print("ready", flush=True)
            break
except socket.timeout:
    pass
PY
		lpid=$!
		for _ in $(seq 100); do grep -q bound "$LAB_DIR/$name.ready" 2>/dev/null && break; sleep 0.05; done
	fi
	NOTIFY_SOCKET=$notify unshare -m --propagation private -- bash "$script" >>"$LAB_DIR/$name.log" 2>&1 < /dev/null &
	pid=$!
	echo "$pid $name" >> "$LAB_DIR/pids"
	[ -n "$notify" ] || return 0
	while kill -0 "$lpid" 2>/dev/null; do
		kill -0 "$pid" 2>/dev/null || { kill "$lpid" 2>/dev/null; echo "$name: exited before READY=1" >&2; return 1; }
		sleep 0.05
	done
	rm -f "$notify"
	grep -q ready "$LAB_DIR/$name.ready" || { echo "$name: no READY=1 within 60 s" >&2; return 1; }
}
