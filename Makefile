# berth - one non-recursive make.  `make` builds build/berthd and
# build/modules/*.so, which run in place; see README.md for the rest.

PREFIX		?= /usr/local
SBINDIR		?= $(PREFIX)/sbin
LIBDIR		?= $(PREFIX)/lib
MODULEDIR	?= $(LIBDIR)/berth/modules
LIBEXECDIR	?= $(PREFIX)/libexec/berth
INCLUDEDIR	?= $(PREFIX)/include
PKGCONFIGDIR	?= $(LIBDIR)/pkgconfig
MANDIR		?= $(PREFIX)/share/man
SYSCONFDIR	?= /etc
SYSTEMDDIR	?= $(LIBDIR)/systemd/system
DESTDIR		?=

VERSION		:= 0.1.0
BUILD		?= build
BUILD_ID	:= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)

CC		?= cc
# A sanitizer build directory remembers its flags, so that any later make
# in it (a test's `make install BUILD=build/asan`) builds it the same way.
-include $(BUILD)/gen/flags.mk
OPT		?= -O2
SAN		?=
CFLAGS		?= $(OPT) -g
WARN		:= -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter \
		   -Wmissing-prototypes -Wstrict-prototypes
PKGS		:= libevent json-c yaml-0.1
PKG_CFLAGS	:= $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS	:= $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# The build ID and module directory live in a header rewritten only when
# they change (a new commit, another PREFIX), so objects are rebuilt
# exactly then and never report a stale value.
BUILD_ID_H	:= $(BUILD)/gen/build_id.h
ALL_CFLAGS	:= -std=gnu11 $(WARN) $(CFLAGS) $(SAN) -D_GNU_SOURCE \
		   -Isdk/include -include $(BUILD_ID_H) $(PKG_CFLAGS)
CORE_CFLAGS	:= $(ALL_CFLAGS) -Icore -DBERTH_VERSION='"$(VERSION)"'
CORE_LIBS	:= $(PKG_LIBS) -lhttp_parser -ldl -lpthread
MODULE_CFLAGS	:= $(ALL_CFLAGS) -fPIC -fvisibility=hidden
MODULE_LDFLAGS	:= -shared -Wl,--no-undefined \
		   -Wl,--version-script=sdk/module.map $(SAN)

CORE_SRCS	:= $(wildcard core/*.c)
CORE_OBJS	:= $(CORE_SRCS:%.c=$(BUILD)/%.o)
# Everything but main, for unit tests that link core files.
CORE_LIB_OBJS	:= $(filter-out $(BUILD)/core/main.o,$(CORE_OBJS))

# A module.mk may also build helper programs (MODULE_BINS, installed to
# LIBEXECDIR); its rules must not become the default goal.
.DEFAULT_GOAL	:= all
MODULES		:=
MODULE_BINS	:=
include $(sort $(wildcard modules/*/module.mk))
MODULE_SOS	:= $(MODULES:%=$(BUILD)/modules/%.so)

# `make V=1` shows the commands.
Q		:= $(if $(V),,@)
QCC		= $(if $(V),,@echo "  CC      $@";)
QLD		= $(if $(V),,@echo "  LD      $@";)

all: $(BUILD)/berthd $(MODULE_SOS) $(MODULE_BINS)

$(BUILD_ID_H): FORCE
	@mkdir -p $(@D)
	@{ echo '#define BERTH_BUILD_ID "$(BUILD_ID)"'; \
	   echo '#define BERTH_MODULEDIR "$(MODULEDIR)"'; } > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv -f $@.tmp $@

HEADERS		:= $(wildcard core/*.h sdk/include/berth/*.h) $(BUILD_ID_H)

$(BUILD)/core/%.o: core/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(QCC)$(CC) $(CORE_CFLAGS) -c -o $@ $<

$(BUILD)/berthd: $(CORE_OBJS)
	$(QLD)$(CC) $(SAN) -o $@ $^ $(CORE_LIBS)

# One .so per module: its SRCS and LIBS come from modules/<name>/module.mk.
.SECONDEXPANSION:
$(BUILD)/modules/%.so: $$($$*-SRCS) $$(wildcard modules/$$*/*.h) sdk/module.map $(HEADERS)
	@mkdir -p $(@D)
	$(QLD)$(CC) $(MODULE_CFLAGS) -o $@ $(filter %.c,$^) $(MODULE_LDFLAGS) \
	    $($*-LIBS) $(PKG_LIBS)

include tests/tests.mk

deps:
	@sh scripts/deps.sh

run: deps all
	@sh scripts/run.sh

test: deps
	@$(MAKE) --no-print-directory all tests-build
	@sh tests/run-all.sh $(BUILD)

ASAN_SAN	:= -fsanitize=address,undefined -fno-omit-frame-pointer \
		   -fno-sanitize-recover=undefined

asan:
	@sh scripts/deps.sh
	@mkdir -p build/asan/gen
	@printf 'OPT ?= -O1\nSAN ?= %s\n' '$(ASAN_SAN)' > build/asan/gen/flags.mk
	@$(MAKE) --no-print-directory BUILD=build/asan all tests-build
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    sh tests/run-all.sh build/asan

# The pkg-config file's ABI is abi.h's, read from it (one source).
ABI_MAJOR	:= $(shell sed -n 's/^\#define BERTH_ABI_MAJOR[[:space:]]*\([0-9]*\).*/\1/p' sdk/include/berth/abi.h)
ABI_MINOR	:= $(shell sed -n 's/^\#define BERTH_ABI_MINOR[[:space:]]*\([0-9]*\).*/\1/p' sdk/include/berth/abi.h)

# Order-only: install what is built, never relink it with other flags
# (a test installs build/asan).
install: | $(BUILD)/berthd $(MODULE_SOS) $(MODULE_BINS)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MODULEDIR) \
	    $(DESTDIR)$(INCLUDEDIR)/berth $(DESTDIR)$(PKGCONFIGDIR) \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(SYSCONFDIR)/berth \
	    $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(SYSTEMDDIR)
	install -m 0755 $(BUILD)/berthd $(DESTDIR)$(SBINDIR)/berthd.new
	mv -f $(DESTDIR)$(SBINDIR)/berthd.new $(DESTDIR)$(SBINDIR)/berthd
	@# Modules install by rename, never by overwriting a mapped .so.
	for m in $(MODULE_SOS); do \
	    install -m 0644 $$m $(DESTDIR)$(MODULEDIR)/.$$(basename $$m).new && \
	    mv -f $(DESTDIR)$(MODULEDIR)/.$$(basename $$m).new \
	        $(DESTDIR)$(MODULEDIR)/$$(basename $$m) || exit 1; done
	@# Helpers too: a running monitor keeps its old binary mapped.
	for b in $(MODULE_BINS); do \
	    install -m 0755 $$b $(DESTDIR)$(LIBEXECDIR)/.$$(basename $$b).new && \
	    mv -f $(DESTDIR)$(LIBEXECDIR)/.$$(basename $$b).new \
	        $(DESTDIR)$(LIBEXECDIR)/$$(basename $$b) || exit 1; done
	install -m 0644 sdk/include/berth/*.h $(DESTDIR)$(INCLUDEDIR)/berth/
	install -m 0644 sdk/module.map $(DESTDIR)$(INCLUDEDIR)/berth/module.map
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
	    -e 's|@MODULEDIR@|$(MODULEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
	    -e 's|@ABI_MAJOR@|$(ABI_MAJOR)|g' -e 's|@ABI_MINOR@|$(ABI_MINOR)|g' \
	    sdk/berth-module.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/berth-module.pc
	install -m 0644 man/berthd.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 man/engine.yaml.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 man/berth-module.3 $(DESTDIR)$(MANDIR)/man3/
	sed -e 's|/usr/local/sbin|$(SBINDIR)|' conf/systemd/berthd.service \
	    > $(DESTDIR)$(SYSTEMDDIR)/berthd.service
	install -m 0644 conf/systemd/berthd.socket $(DESTDIR)$(SYSTEMDDIR)/
	[ -e $(DESTDIR)$(SYSCONFDIR)/berth/engine.yaml ] || \
	    install -m 0644 conf/engine.yaml \
	    $(DESTDIR)$(SYSCONFDIR)/berth/engine.yaml

clean:
	rm -rf build

.PHONY: all deps run test asan install clean FORCE
