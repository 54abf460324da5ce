# hrpost: one plain Makefile.  `make run` and `make check` are the two
# commands a newcomer needs; both install missing Debian packages first.

PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
DATADIR  ?= $(PREFIX)/share/hrpost
DESTDIR  ?=
BUILD    ?= build
CC       ?= cc
PKGS      = openssl sqlite3 inih jansson libmicrohttpd libcurl libqrencode \
            cairo pangocairo
TEST_PKGS = check

WARN     = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wpointer-arith -Wformat=2 -Wvla -Werror
# CFLAGS/LDFLAGS are the user's (and asan's/fuzz's); the project's own
# flags are always added on top of them.
CFLAGS   ?= -O2 -g
ALL_CFLAGS = -std=c17 $(WARN) -D_GNU_SOURCE -I. -MMD -MP \
            -fstack-protector-strong \
            -DHRPOST_DATADIR='"$(DATADIR)"' \
            $(shell pkg-config --cflags $(PKGS) 2>/dev/null) \
            $(shell cups-config --cflags 2>/dev/null) $(CFLAGS)
# libcups ships cups-config, not a .pc file.
LDLIBS   += $(shell pkg-config --libs $(PKGS) 2>/dev/null) \
            $(shell cups-config --libs 2>/dev/null) -lpthread
TEST_CFLAGS = $(shell pkg-config --cflags $(TEST_PKGS) 2>/dev/null)
TEST_LIBS   = $(shell pkg-config --libs $(TEST_PKGS) 2>/dev/null)

# Quiet build lines; `make V=1` shows the full commands.
V ?= 0
ifeq ($(V),0)
Q = @
QCC = @echo "  CC      $@";
QLD = @echo "  LD      $@";
else
Q =
QCC =
QLD =
endif

# Explicit source lists: a new module is added here on purpose.
LIB_SRCS = \
	base/util.c base/config.c base/clock.c \
	crypto/hkdf.c crypto/seal.c crypto/key.c crypto/password.c crypto/token.c \
	crypto/pseudonym.c \
	shipping/address.c shipping/catalogue.c shipping/stock.c \
	shipping/packing.c shipping/tracking.c \
	orders/phone.c orders/order.c orders/db.c orders/audit.c \
	orders/store.c orders/outbox.c orders/sms.c orders/inbox.c \
	orders/pull.c orders/recipient.c orders/push.c orders/followup.c \
	orders/report.c orders/sendsms.c \
	printer/qr.c printer/label.c printer/zpl.c printer/slip.c \
	printer/cups.c \
	server/http.c server/form.c server/template.c server/ratelimit.c \
	server/privdrop.c server/intake.c server/smsgw.c server/console.c \
	server/session.c orders/staff.c
CLI_SRCS = main.c cli/common.c cli/init.c cli/order.c cli/queue.c \
	cli/audit.c cli/keygen.c cli/intake.c cli/console.c cli/pull.c \
	cli/catalogue.c cli/stock.c cli/fulfil.c cli/label.c cli/track.c \
	cli/callbacks.c cli/report.c cli/staff.c

# Unit suites: tests/check_<name>.c, one binary each.
UNIT_TESTS = util config seal key password token pseudonym address phone \
	catalogue order store audit outbox qr form template ratelimit sms \
	smsgw inbox stock packing label zpl tracking recipient pull push \
	followup report sendsms session staff
# Integration suites: run the real binary (and later real servers).
INTEG_TESTS = cli intake kannel pull fulfil cups track tracking_page \
	followup report staff console_web
# Shared by the integration suites: starting daemons, Kannel, cupsd.
INTEG_SUPPORT = tests/integration/daemon.c tests/integration/kannel.c \
	tests/integration/cupsd.c
FUZZ_TARGETS = address phone order config catalogue token form template \
	sms addrfmt laposte inbox pull label rules status cookie
BENCHES = crypto_store intake labels report

LIB_OBJS  = $(LIB_SRCS:%.c=$(BUILD)/%.o)
CLI_OBJS  = $(CLI_SRCS:%.c=$(BUILD)/%.o)
UNIT_BINS = $(UNIT_TESTS:%=$(BUILD)/tests/check_%)
INTEG_BINS = $(INTEG_TESTS:%=$(BUILD)/tests/integration/check_%)
BENCH_BINS = $(BENCHES:%=$(BUILD)/bench/bench_%)
HRPOST    = $(BUILD)/hrpost

# Keep objects make would otherwise delete as intermediates.
.PRECIOUS: $(BUILD)/%.o $(BUILD)/tests/%.o $(BUILD)/tests/integration/%.o \
	$(BUILD)/bench/%.o

.PHONY: all deps run stop check unit integration asan valgrind fuzz fuzz-build \
	bench checksrc install uninstall clean

all: $(HRPOST)

deps:
	@scripts/deps

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(QCC)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(QCC)$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -c -o $@ $<

# The templates path is compiled in: rebuild what uses it when DATADIR
# changes (make install PREFIX=/opt/hrpost after a plain make).
$(BUILD)/datadir.txt: FORCE
	@mkdir -p $(BUILD)
	@echo '$(DATADIR)' | cmp -s - $@ || echo '$(DATADIR)' > $@
$(BUILD)/cli/common.o: $(BUILD)/datadir.txt

$(BUILD)/libhrpost.a: $(LIB_OBJS)
	$(Q)$(AR) rcs $@ $^

$(HRPOST): $(CLI_OBJS) $(BUILD)/libhrpost.a
	$(QLD)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/check_%: $(BUILD)/tests/check_%.o $(BUILD)/tests/testutil.o $(BUILD)/libhrpost.a
	$(QLD)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(TEST_LIBS) $(LDLIBS)

INTEG_OBJS = $(INTEG_SUPPORT:%.c=$(BUILD)/%.o)
$(BUILD)/tests/integration/check_%: $(BUILD)/tests/integration/check_%.o $(BUILD)/tests/testutil.o $(INTEG_OBJS) $(BUILD)/libhrpost.a
	$(QLD)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(TEST_LIBS) $(LDLIBS)

$(BUILD)/bench/bench_%: $(BUILD)/bench/bench_%.o $(BUILD)/libhrpost.a
	$(QLD)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The demo centre lives in ./var; `make run` creates it once.
run: deps all
	@scripts/run $(HRPOST)

stop:
	@scripts/stop

unit: $(UNIT_BINS)
	@scripts/run-tests unit $(UNIT_BINS)

integration: $(HRPOST) $(INTEG_BINS)
	@HRPOST_BIN=$(abspath $(HRPOST)) HRPOST_ARTIFACTS=$(abspath $(BUILD))/artifacts \
	    scripts/run-tests integration $(INTEG_BINS)

check: deps
	@$(MAKE) --no-print-directory checksrc
	@$(MAKE) --no-print-directory all $(UNIT_BINS) $(INTEG_BINS)
	@$(MAKE) --no-print-directory fuzz-regress
	@$(MAKE) --no-print-directory integration
	@$(MAKE) --no-print-directory unit

# ASan + UBSan build of the unit and integration suites, in its own
# build directory (LeakSanitizer included: a leak fails the run).
asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan CC=clang \
	    CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all" \
	    LDFLAGS="-fsanitize=address,undefined" unit integration

# The unit suites under valgrind (no fork, so valgrind sees every test).
valgrind: $(UNIT_BINS)
	@CK_FORK=no scripts/run-tests valgrind $(UNIT_BINS)

# libFuzzer targets: tests/fuzz/fuzz_<name>.c, seeds in tests/fuzz/corpus/<name>.
FUZZ_BUILD = build-fuzz
FUZZ_CFLAGS = -O1 -g -fsanitize=fuzzer-no-link,address,undefined
FUZZ_BINS = $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/tests/fuzz/fuzz_%)
FUZZ_SECONDS ?= 60

# The sanitizer library is rebuilt by a sub-make (its own BUILD and CC);
# a target relinks only when the library or its source changed.
ifneq ($(BUILD),$(FUZZ_BUILD))
$(FUZZ_BUILD)/libhrpost.a: FORCE
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=clang \
	    CFLAGS="$(FUZZ_CFLAGS)" $(FUZZ_BUILD)/libhrpost.a
endif

$(FUZZ_BUILD)/tests/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_BUILD)/libhrpost.a
	@mkdir -p $(dir $@)
	$(QLD)clang -std=c17 $(WARN) -D_GNU_SOURCE -I. $(FUZZ_CFLAGS) -fsanitize=fuzzer \
	    $(shell pkg-config --cflags $(PKGS)) -o $@ $< $(FUZZ_BUILD)/libhrpost.a $(LDLIBS)
FORCE:

fuzz-build: $(FUZZ_BINS)

# Run every target over its seed corpus only: a quick regression in `check`.
fuzz-regress: fuzz-build
	@scripts/run-fuzz regress $(FUZZ_BINS)

fuzz: fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/run-fuzz explore $(FUZZ_BINS)

bench: all $(BENCH_BINS)
	@for b in $(BENCH_BINS); do $$b || exit 1; done

checksrc:
	@scripts/checksrc $(LIB_SRCS) $(CLI_SRCS) $(wildcard $(LIB_SRCS:.c=.h)) \
	    $(wildcard cli/*.h) $(UNIT_TESTS:%=tests/check_%.c) $(INTEG_SUPPORT)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)
	install -m 0755 $(HRPOST) $(DESTDIR)$(BINDIR)/hrpost
	cp -R templates $(DESTDIR)$(DATADIR)/
	find $(DESTDIR)$(DATADIR)/templates -type d -exec chmod 0755 {} +
	find $(DESTDIR)$(DATADIR)/templates -type f -exec chmod 0644 {} +

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/hrpost
	rm -rf $(DESTDIR)$(DATADIR)

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
