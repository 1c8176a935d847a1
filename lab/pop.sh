#!/usr/bin/env bash
# lab/pop.sh up|down: bring the demo POP up (and leave it) or remove it.
# State, configs and logs live in $LAB_DIR (default /run/onlink-lab).
set -u
. "$(dirname "$0")/lib.sh"
LAB_DIR=${LAB_DIR:-/run/onlink-lab}
case "${1:-}" in
up)
	lab_init "$LAB_DIR"
	lab_up || { lab_down; exit 1; }
	echo "POP up; namespaces: $(ip netns list | awk '{print $1}' | grep "^$LAB_PREFIX" | tr '\n' ' ')"
	;;
down)
	if [ -f "$LAB_DIR/env" ]; then
		lab_init "$LAB_DIR"
		lab_down
		rm -rf "$LAB_DIR"
		echo "POP removed"
	else
		echo "no lab at $LAB_DIR"
	fi
	;;
*)
	echo "usage: lab/pop.sh up|down" >&2
	exit 2
	;;
esac
