#!/usr/bin/env bash
# The install guide (docs/install.md), run as written on the lab's switch
# and host, each with a file system of its own (lab/unit.sh): make
# install, keys, configs, then the agents started by their installed units
# with the units' identity, capabilities and file-system view, beside
# Debian's own bird.service (BIRD as user bird). Then what an operator
# does with it, under that identity: drain, purge, announce
# (tests/integration/installed.sh, shared with t108, the same from the
# Debian package).
# check: once in the plain pass (the daemons are the ones make install installs, in either pass)
. "$(dirname "$0")/testlib.sh"
export LAB_HOSTS=1
cd "$LAB_ROOT"
. tests/integration/installed.sh
t_setup
installed_up
installed_guide source "$LAB_ROOT"
installed_checks "make install" /usr/local/lib/tmpfiles.d/onlink.conf
