# destctl - destination controls for outbound mail on Postfix and Sendmail.
#
#   make            build everything under build/
#   make check      install missing Debian packages, build normally and with
#                   AddressSanitizer+UBSan, run every test (prove)
#   make demo       install missing packages, build, show destctl at work
#   make bench      run the benchmarks in bench/
#   make fuzz       libFuzzer targets for every parser (fuzz/Makefile.inc):
#                   FUZZ_SECONDS=60 each, or FUZZ_RUNS=10000000
#   make install    PREFIX=/usr/local DESTDIR= (staging when DESTDIR is set)
#   make deps       install the Debian packages the project needs (idempotent)
#   make clean

PREFIX    ?= /usr/local
SBINDIR   ?= $(PREFIX)/sbin
MANDIR    ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc/destctl
STATEDIR  ?= /var/lib/destctl
SYSTEMDDIR ?= /etc/systemd/system
DESTDIR   ?=

BUILD     ?= build
SAN_FLAGS ?=
CC        ?= cc
PKGS      := libconfig libidn2 libunbound libevent libcurl sqlite3 libcrypto
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS  := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lconfig -lidn2 -lunbound -levent -lcurl -lsqlite3 -lcrypto)
# The milter needs the shared code's libraries and OpenSSL (BATV), nothing of
# the agent's (no libunbound, libcurl, libevent or SQLite).
MILTER_PKGS := libconfig libidn2 libcrypto
MILTER_PKG_LIBS := $(shell pkg-config --libs $(MILTER_PKGS) 2>/dev/null || echo -lconfig -lidn2 -lcrypto)
CFLAGS    ?= -O2 -g
WARN      := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
             -Wformat=2 -Wno-format-nonliteral
# agent/ is layered: dns/ (resolver, DANE, TLSA, MX), sts/ (MTA-STS),
# policy/ (decide, render), cli/ (destctl); the daemon's own modules on top.
AGENT_DIRS := agent agent/dns agent/sts agent/policy agent/cli
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(SAN_FLAGS) \
             -Ishared $(AGENT_DIRS:%=-I%) -Imilter -It $(PKG_CFLAGS) -MMD -MP
ALL_LDFLAGS = $(LDFLAGS) $(SAN_FLAGS)

SHARED_SRC := $(wildcard shared/*.c)
CLI_SRC    := $(wildcard agent/cli/*.c)
AGENTD_SRC := $(wildcard agent/destctld.c)
# The agent's modules, shared by destctld, destctl (check, explain) and tests.
AGENT_SRC  := $(filter-out $(CLI_SRC) $(AGENTD_SRC),$(wildcard $(AGENT_DIRS:%=%/*.c)))
MILTERD_SRC := $(wildcard milter/destctl-milter.c)
# The milter's modules (everything but its main), shared with tests.
MILTER_SRC := $(filter-out $(MILTERD_SRC),$(wildcard milter/*.c))
UNIT_SRC   := $(wildcard t/unit-*.c)
BENCH_SRC  := $(wildcard bench/*.c)

SHARED_OBJ := $(SHARED_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ    := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
AGENT_OBJ  := $(AGENT_SRC:%.c=$(BUILD)/obj/%.o)
MILTER_OBJ := $(MILTER_SRC:%.c=$(BUILD)/obj/%.o)
# tap.c and any other test helper (t/*.c that is not a unit test itself)
TAP_OBJ    := $(patsubst %.c,$(BUILD)/obj/%.o,$(filter-out $(UNIT_SRC),$(wildcard t/*.c)))
UNIT_BIN   := $(UNIT_SRC:t/%.c=$(BUILD)/%.t)
BENCH_BIN  := $(BENCH_SRC:bench/%.c=$(BUILD)/%)
PROGRAMS   := $(BUILD)/destctl $(AGENTD_SRC:agent/%.c=$(BUILD)/%) \
              $(MILTERD_SRC:milter/%.c=$(BUILD)/%)
LIBSHARED  := $(BUILD)/libdestctl.a
LIBAGENT   := $(BUILD)/libagent.a
LIBMILTER  := $(BUILD)/libdmilter.a
LIBS       := $(LIBMILTER) $(LIBAGENT) $(LIBSHARED)
# libmilter has no pkg-config file; Debian's libmilter-dev puts it in the path.
MILTER_LIBS := -lmilter -lpthread

# Debian packages: to build and test the C code, plus what the lab runs.
DEB_BUILD  := gcc make libc6-dev pkg-config perl libconfig-dev libidn2-dev \
              libunbound-dev libevent-dev libcurl4-openssl-dev libsqlite3-dev \
              libssl-dev libmilter-dev dns-root-data
# What the tests drive besides the lab: libmilter's test driver, a real
# HTTP proxy for MTA-STS fetches, an SMTP client.
DEB_TEST   := miltertest tinyproxy swaks
DEB_LAB    := $(shell cat t/lab/packages 2>/dev/null | sed 's/\#.*//')
DEB_FUZZ   := $(shell cat fuzz/packages 2>/dev/null | sed 's/\#.*//')
ASAN_ENV   := ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1 \
              UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

.PHONY: all programs units check unit-check asan deps demo bench install clean

all: programs units $(BENCH_BIN)

# Keep objects make would see as intermediate (bench, unit tests).
.SECONDARY:

programs: $(PROGRAMS)
units: $(UNIT_BIN)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBSHARED): $(SHARED_OBJ)
	rm -f $@
	ar rcs $@ $^

$(LIBAGENT): $(AGENT_OBJ)
	rm -f $@
	ar rcs $@ $^

$(LIBMILTER): $(MILTER_OBJ)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/destctl-milter: $(BUILD)/obj/milter/destctl-milter.o $(LIBMILTER) $(LIBSHARED)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBMILTER) $(LIBSHARED) $(MILTER_PKG_LIBS) $(MILTER_LIBS)

$(BUILD)/destctl: $(CLI_OBJ) $(LIBS)
	$(CC) $(ALL_LDFLAGS) -o $@ $(CLI_OBJ) $(LIBS) $(PKG_LIBS)

$(BUILD)/destctld: $(BUILD)/obj/agent/destctld.o $(LIBS)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBS) $(PKG_LIBS)

$(BUILD)/%.t: $(BUILD)/obj/t/%.o $(TAP_OBJ) $(LIBS)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(TAP_OBJ) $(LIBS) $(PKG_LIBS)

$(BUILD)/bench-%: $(BUILD)/obj/bench/bench-%.o $(LIBS)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBS) $(PKG_LIBS)

# The sanitizer build: the same tree, its own output directory.
asan:
	$(MAKE) BUILD=build/asan \
	    SAN_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	    CFLAGS="-O1 -g" all

# check: both builds, then every test. Unit tests run under both builds; the
# integration tests (t/*.t) find the programs through DESTCTL_BUILDS.
check: deps
	$(MAKE) all
	$(MAKE) asan
	$(ASAN_ENV) DESTCTL_BUILDS="build build/asan" prove -v --timer \
	    $(UNIT_SRC:t/%.c=build/%.t) \
	    $(UNIT_SRC:t/%.c=build/asan/%.t) $(wildcard t/*.t)
	$(MAKE) fuzz-check

deps:
	@sh t/deps.sh $(DEB_BUILD) $(DEB_TEST) $(DEB_LAB) $(DEB_FUZZ)

demo: deps
	$(MAKE) all
	sh t/demo.sh

bench: all $(BENCH_BIN)
	@set -e; for b in $(BENCH_BIN); do echo "== $$b"; $$b; done; \
	for b in bench/*.sh; do echo "== $$b"; sh $$b; done

install: programs
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(SYSCONFDIR) $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(PROGRAMS) $(DESTDIR)$(SBINDIR)/
	install -d $(DESTDIR)$(SYSTEMDDIR)
	for u in destctld.service destctl-milter.service destctl-sweep.service \
	    destctl-sweep.timer; do \
	    sed 's|/usr/local/sbin|$(SBINDIR)|g' conf/systemd/$$u \
	        >$(DESTDIR)$(SYSTEMDDIR)/$$u; \
	    chmod 0644 $(DESTDIR)$(SYSTEMDDIR)/$$u; \
	done
	for f in conf/destctl.conf conf/destinations.conf; do \
	    t=$(DESTDIR)$(SYSCONFDIR)/$$(basename $$f); \
	    if [ -e "$$t" ]; then echo "keeping existing $$t"; \
	    else install -m 0644 $$f "$$t"; fi; \
	done
	if [ -z "$(DESTDIR)" ]; then \
	    getent passwd destctl >/dev/null || \
	        adduser --system --group --no-create-home --home $(STATEDIR) destctl; \
	    install -d -o destctl -g destctl -m 0750 $(STATEDIR); \
	else \
	    install -d $(DESTDIR)$(STATEDIR); \
	fi

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)

# libFuzzer targets: make fuzz, make fuzz-check (run by check).
-include fuzz/Makefile.inc
