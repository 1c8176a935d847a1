# onlink: routing without routers, and soft-unicast egress.
# `make` builds build/onlinkd and build/onlink; see README.md for the rest.

CC       ?= cc
PREFIX   ?= /usr/local
SYSCONFDIR ?= /etc
DESTDIR  ?=
BUILD    ?= build
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -D_GNU_SOURCE -Isrc -I$(BUILD)/gen
LIBS     := -lmnl -linih -lsodium -ljansson -lnftables -lsystemd -lbpf -lm
# the sanitizers' build is a test build: it reads the test knobs (src/base/knob.h)
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all -DONLINK_TEST_KNOBS

# the version: the newest entry of debian/changelog (see `make deb`)
VERSION    := $(shell awk 'NR == 1 && $$1 == "onlink" { gsub(/[()]/, "", $$2); print $$2 }' debian/changelog)

CORE_SRC   := $(wildcard src/base/*.c src/kernel/*.c src/proto/*.c src/conf/*.c)
SWITCH_SRC := $(wildcard src/switch/*.c)
HOST_SRC   := $(wildcard src/host/*.c)
EGRESS_SRC := $(wildcard src/egress/*.c)
CLI_SRC    := $(wildcard src/onlink/*.c)
DAEMON_SRC := src/onlinkd.c $(CORE_SRC) $(SWITCH_SRC) $(HOST_SRC) $(EGRESS_SRC)
# the CLI links only the core it uses: it starts faster without libmnl/libinih
CLI_CORE   := src/kernel/probe.c src/proto/api.c src/proto/ports.c src/proto/json.c src/proto/opapi.c src/proto/model.c src/proto/birdroute.c src/base/vec.c src/base/control.c src/base/stream.c src/base/loop.c src/base/log.c src/base/addr.c src/base/version.c
CLI_ALL    := $(CLI_SRC) $(CLI_CORE)
# ... and it links its libraries statically (libc stays shared): loading
# libsodium, libjansson and libm at run time cost `onlink ping` 0.2 ms of
# its 1 ms budget (bench/ping.sh). The .a files come with the -dev packages.
CLI_LIBS   := -Wl,-Bstatic -lsodium -ljansson -lm -Wl,-Bdynamic
UNIT_TESTS := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c))

# What `make deps` installs: what onlinkd and onlink are built with (the
# package's Build-Depends in debian/control are these, checked by
# tests/integration/t108_package.sh), then what the tests, the package's
# build and the benchmarks need.
BUILD_PKGS := pkg-config libmnl-dev libinih-dev libsodium-dev libjansson-dev libnftables-dev libsystemd-dev \
              libbpf-dev clang bpftool scdoc
DEB_PKGS := gcc make $(BUILD_PKGS) \
            libcmocka-dev bird2 nftables iproute2 iputils-ping tcpdump jq procps fping python3 curl haproxy iperf3 \
            libclang-rt-14-dev valgrind gnuplot-nox debhelper dpkg-dev fakeroot lintian

.PHONY: all dist deb deps check unit unit-build integration demo demo-down bench bench-scale bench-turns install clean fuzz fuzz-build man memcheck

all: $(BUILD)/onlinkd $(BUILD)/onlink $(BUILD)/delayline $(BUILD)/connrate $(BUILD)/bpfstats $(BUILD)/relay $(BUILD)/scaleload $(BUILD)/forge_dgram $(BUILD)/hsbench $(BUILD)/hsflood

# the shipped files: `make install` and the package take these
dist: $(BUILD)/onlinkd $(BUILD)/onlink man

# benchmark tool: connection rate, latency, idle connections (bench/egress.sh)
$(BUILD)/connrate: bench/tools/connrate.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $<

# benchmark tool: the repath program's run count and time (bench/repath.sh)
$(BUILD)/bpfstats: bench/tools/bpfstats.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< -lbpf

# benchmark tool: bare splice and sockmap relays, the egress table's ceiling
$(BUILD)/relay: bench/tools/relay.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< -lpthread

# benchmark tool: a thousand host sessions speaking the real protocol
# (bench/scale.sh, `make bench-scale`)
SCALE_SRC := bench/tools/scaleload.c $(addprefix src/proto/,conn.c cookie.c session.c noise.c wire.c steerwire.c model.c ports.c) $(addprefix src/base/,addr.c log.c vec.c) src/host/fastrx.c
$(BUILD)/scaleload: $(SCALE_SRC) $(wildcard src/*/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $(SCALE_SRC) $(LIBS)

# benchmark tool: the CPU cost of per-node identities (bench/identities.sh);
# linked from the daemon's own objects
HSBENCH_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(CORE_SRC) src/switch/hostkeys.c)
$(BUILD)/hsbench: bench/tools/hsbench.c $(HSBENCH_OBJ)
	$(CC) $(CFLAGS) -o $@ $< $(HSBENCH_OBJ) $(LIBS)

# lab tool: what a host can forge against the fast path (tests/integration/t41)
FORGE_SRC := lab/tools/forge_dgram.c $(addprefix src/proto/,session.c noise.c wire.c model.c ports.c) src/base/addr.c
$(BUILD)/forge_dgram: $(FORGE_SRC) $(wildcard src/*/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $(FORGE_SRC) -lsodium

# lab tool: first messages with good macs as fast as one address can send
# them (tests/integration/t170, bench/preauth.sh)
HSFLOOD_SRC := lab/tools/hsflood.c $(addprefix src/proto/,conn.c cookie.c session.c noise.c wire.c model.c ports.c) $(addprefix src/base/,addr.c log.c vec.c)
$(BUILD)/hsflood: $(HSFLOOD_SRC) $(wildcard src/*/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $(HSFLOOD_SRC) -lsodium -lsystemd

# lab tool: a delay line for kernels without netem (see lab/tools/delayline.c)
$(BUILD)/delayline: lab/tools/delayline.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $<

$(BUILD)/%.o: %.c $(wildcard src/*/*.h src/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# The protective repath program (src/bpf/repath.bpf.c), compiled for the
# kernel's BPF machine and built into the daemon as bpftool's skeleton
# (kernel/bpf.c includes it).
BPF_CFLAGS := -O2 -g -target bpf -Wall -Werror -I/usr/include/$(shell $(CC) -dumpmachine) -Isrc
$(BUILD)/gen/repath.bpf.o: src/bpf/repath.bpf.c src/bpf/repath.h
	@mkdir -p $(dir $@)
	clang $(BPF_CFLAGS) -c -o $@ $<
$(BUILD)/gen/repath.skel.h: $(BUILD)/gen/repath.bpf.o
	bpftool gen skeleton $< name repath > $@.tmp && mv $@.tmp $@
$(foreach f,$(BUILD) $(BUILD)/asan $(BUILD)/bench $(BUILD)/fuzzobj,$(f)/src/kernel/bpf.o): $(BUILD)/gen/repath.skel.h

# the version, rewritten only when debian/changelog's newest entry changed
$(BUILD)/gen/onlink_version.h: debian/changelog
	@mkdir -p $(dir $@)
	@test -n "$(VERSION)" || { echo "debian/changelog: no version in its first line" >&2; exit 1; }
	@echo '#define ONLINK_VERSION "$(VERSION)"' > $@.tmp
	@if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi
$(foreach f,$(BUILD) $(BUILD)/asan $(BUILD)/bench $(BUILD)/fuzzobj,$(f)/src/base/version.o): $(BUILD)/gen/onlink_version.h

$(BUILD)/onlinkd: $(patsubst %.c,$(BUILD)/%.o,$(DAEMON_SRC))
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/onlink: $(patsubst %.c,$(BUILD)/%.o,$(CLI_ALL))
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(CLI_LIBS)

# Each source is compiled once per flavour: plain (above), ASan+UBSan
# (build/asan: the second integration pass's daemons and the unit tests),
# and clang's fuzzing build (build/fuzzobj). The unit tests and the fuzzers
# link the core and role logic (never a daemon's main) from a static
# library of their flavour.
UNIT_LIB_SRC := $(CORE_SRC) $(filter-out %/switchd.c,$(SWITCH_SRC)) $(filter-out %/hostd.c,$(HOST_SRC)) src/egress/clients.c src/egress/common.c src/egress/portset.c src/egress/keycount.c

$(BUILD)/asan/%.o: %.c $(wildcard src/*/*.h src/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SANFLAGS) -c -o $@ $<

$(BUILD)/asan/libonlink.a: $(patsubst %.c,$(BUILD)/asan/%.o,$(UNIT_LIB_SRC))
	rm -f $@
	ar rcs $@ $^

# The daemons built with ASan and UBSan: the integration tests run once
# more with them (tests/check.sh), and any sanitizer report fails the test.
$(BUILD)/asan/onlinkd: $(patsubst %.c,$(BUILD)/asan/%.o,$(DAEMON_SRC))
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ $(LIBS)

# The benchmarks' daemon: optimized as shipped, plus the test knobs
# (src/base/knob.h) that bench/turns.sh's baseline needs.
$(BUILD)/bench/%.o: %.c $(wildcard src/*/*.h src/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DONLINK_TEST_KNOBS -c -o $@ $<

$(BUILD)/bench/onlinkd: $(patsubst %.c,$(BUILD)/bench/%.o,$(DAEMON_SRC))
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

# Unit tests: built with ASan and UBSan.
$(BUILD)/unit/%: tests/unit/%.c $(BUILD)/asan/libonlink.a $(wildcard src/*/*.h) tests/unit/fake_kernel.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SANFLAGS) -Itests/unit -o $@ $< $(BUILD)/asan/libonlink.a $(LIBS) -lcmocka

unit-build: $(addprefix $(BUILD)/unit/,$(UNIT_TESTS))

# Fuzzing (libFuzzer, clang, with ASan and UBSan): the wire decoders, the
# config parser, and the switch agent's control requests. `make fuzz` runs
# each for FUZZ_SECS (default 120); `make check` runs each for 20 s. Seeds
# are in tests/fuzz/corpus/NAME; what the fuzzer finds goes to
# build/fuzz/corpus-NAME, a crash to build/fuzz/crash-NAME-*.
FUZZ_TARGETS := wire handshake config control metrics api
FUZZ_SECS    ?= 120
FUZZ_CC      ?= clang
FUZZ_CFLAGS  := -g -O1 -std=gnu11 -D_GNU_SOURCE -Isrc -I$(BUILD)/gen -fno-sanitize-recover=all
$(BUILD)/fuzzobj/%.o: %.c $(wildcard src/*/*.h src/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -c -o $@ $<

$(BUILD)/fuzzobj/libonlink.a: $(patsubst %.c,$(BUILD)/fuzzobj/%.o,$(UNIT_LIB_SRC))
	rm -f $@
	ar rcs $@ $^

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(BUILD)/fuzzobj/libonlink.a $(wildcard src/*/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< $(BUILD)/fuzzobj/libonlink.a $(LIBS)

# promtool, to check the metrics endpoints (tests/integration/t110): taken
# out of Debian's prometheus package without installing it, because the
# package's post-install would start a Prometheus server on the machine.
$(BUILD)/tools/promtool:
	@mkdir -p $(BUILD)/tools/deb
	@cd $(BUILD)/tools/deb && rm -f prometheus_*.deb && \
		{ apt-get download -q prometheus 2>/dev/null || { apt-get update -qq && apt-get download -q prometheus; }; }
	dpkg-deb -x $(BUILD)/tools/deb/prometheus_*.deb $(BUILD)/tools/root
	ln -sf root/usr/bin/promtool $@

# bird2's own package, for the package's test (t108): BIRD installed after
# onlink on a machine that had no BIRD
$(BUILD)/tools/bird2.deb:
	@mkdir -p $(BUILD)/tools/deb
	@cd $(BUILD)/tools/deb && rm -f bird2_*.deb && \
		{ apt-get download -q bird2 2>/dev/null || { apt-get update -qq && apt-get download -q bird2; }; }
	ln -sf deb/$$(cd $(BUILD)/tools/deb && ls bird2_*.deb | head -n 1) $@

# `make -s print-VAR`: a variable's value, for the tests
print-%:
	@echo $($*)

fuzz-build: $(addprefix $(BUILD)/fuzz/fuzz_,$(FUZZ_TARGETS))

fuzz: fuzz-build
	@FUZZ_SECS=$(FUZZ_SECS) tests/fuzz/run.sh $(FUZZ_TARGETS)

unit: unit-build
	@set -e; for t in $(addprefix $(BUILD)/unit/,$(UNIT_TESTS)); do echo "== $$t"; $$t; done

# `deps` installs only what is missing, non-interactively.
deps:
	@missing=$$(for p in $(DEB_PKGS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq && apt-get install -y -q --no-install-recommends $$missing; \
	fi

integration: all
	@tests/integration/run.sh

# the integration tests with every daemon under valgrind (tests/memcheck.sh)
memcheck: deps
	@$(MAKE) --no-print-directory all
	@tests/memcheck.sh

check: deps
	@$(MAKE) --no-print-directory all unit-build fuzz-build $(BUILD)/asan/onlinkd $(BUILD)/tools/promtool $(BUILD)/tools/bird2.deb
	@FUZZ_TARGETS="$(FUZZ_TARGETS)" tests/check.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@lab/demo.sh

demo-down:
	@lab/pop.sh down

bench: deps
	@$(MAKE) --no-print-directory all $(BUILD)/bench/onlinkd
	@bench/run.sh

# a host agent's CPU for a turn of one change at 500 providers (bench/README.md)
bench-turns: deps
	@$(MAKE) --no-print-directory all $(BUILD)/bench/onlinkd
	@bench/turns.sh

# one switch agent, 1000 host sessions, 500 providers (bench/README.md)
bench-scale: deps
	@$(MAKE) --no-print-directory all
	@bench/scale.sh

# man pages (scdoc) and systemd units
MAN_PAGES := onlinkd.8 onlink.8 onlink.conf.5
UNITS     := onlinkd-switch.service onlinkd-host.service onlinkd-egress.service
UNITDIR   ?= $(PREFIX)/lib/systemd/system
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
$(BUILD)/man/%: docs/man/%.scd
	@mkdir -p $(dir $@)
	scdoc < $< > $@
man: $(addprefix $(BUILD)/man/,$(MAN_PAGES))

install: dist
	install -D -m 0755 $(BUILD)/onlinkd $(DESTDIR)$(PREFIX)/sbin/onlinkd
	install -D -m 0755 $(BUILD)/onlink $(DESTDIR)$(PREFIX)/sbin/onlink
	install -D -m 0644 lab/rt_protos.onlink $(DESTDIR)$(SYSCONFDIR)/iproute2/rt_protos.d/onlink.conf
	install -D -m 0644 -t $(DESTDIR)$(PREFIX)/share/man/man8 $(BUILD)/man/onlinkd.8 $(BUILD)/man/onlink.8
	install -D -m 0644 -t $(DESTDIR)$(PREFIX)/share/man/man5 $(BUILD)/man/onlink.conf.5
	install -d $(DESTDIR)$(UNITDIR)
	for u in $(UNITS); do sed 's|@SBINDIR@|$(PREFIX)/sbin|g' systemd/$$u.in > $(DESTDIR)$(UNITDIR)/$$u; done
	install -D -m 0644 systemd/onlink.tmpfiles $(DESTDIR)$(TMPFILESDIR)/onlink.conf
	@# installing on this machine (no DESTDIR, into a directory systemd reads):
	@# its directories now, as a package's postinst would
	case "$(DESTDIR)$(TMPFILESDIR)" in /usr/lib/tmpfiles.d|/usr/local/lib/tmpfiles.d) \
		if command -v systemd-tmpfiles >/dev/null; then systemd-tmpfiles --create onlink.conf; fi ;; esac

# The Debian package (debian/), built by dpkg-buildpackage from a copy of
# the source tree in $(BUILD)/deb/src, so that its `clean` leaves this
# tree's build alone: build/deb/onlink_VERSION_ARCH.deb (and its .changes,
# -dbgsym and .buildinfo), checked by lintian when it is installed.
DEBDIR := $(BUILD)/deb
deb:
	@rm -rf $(DEBDIR)/src && mkdir -p $(DEBDIR)/src/onlink-$(VERSION)
	tar -c --exclude=./$(BUILD) --exclude=./.git . | tar -x -C $(DEBDIR)/src/onlink-$(VERSION)
	rm -f $(DEBDIR)/onlink_* $(DEBDIR)/onlink-dbgsym_*
	cd $(DEBDIR)/src/onlink-$(VERSION) && dpkg-buildpackage -us -uc -b -Jauto
	mv $(DEBDIR)/src/onlink_* $(DEBDIR)/src/onlink-dbgsym_* $(DEBDIR)/
	@if command -v lintian >/dev/null; then \
		echo "lintian $(DEBDIR)/onlink_$(VERSION)_*.changes"; \
		lintian --fail-on error,warning $(DEBDIR)/onlink_$(VERSION)_*.changes; \
	fi
	@ls -1 $(DEBDIR)/onlink_$(VERSION)_*.deb

clean:
	rm -rf $(BUILD)
