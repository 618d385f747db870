# Test builds: Check unit tests, loader fixtures, test-only modules.

CHECK_CFLAGS	:= $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS	:= $(shell pkg-config --libs check 2>/dev/null)

# Core unit tests: check_X links the core objects listed in
# tests/unit/deps.mk as check_X-DEPS (default: every core object but main).
include tests/unit/deps.mk
UNIT_CORE_SRCS	:= $(wildcard tests/unit/core/check_*.c tests/unit/abi/check_*.c)
UNIT_CORE_BINS	:= $(UNIT_CORE_SRCS:%.c=$(BUILD)/%)
unit-deps	= $(if $(check_$(1)-DEPS),$(check_$(1)-DEPS:%=$(BUILD)/%),$(CORE_LIB_OBJS))

define unit-link
	@mkdir -p $(@D)
	$(QLD)$(CC) $(CORE_CFLAGS) $(CHECK_CFLAGS) -Itests/unit -o $@ \
	    $(filter %.c,$^) $(filter %.o,$^) $(CORE_LIBS) $(CHECK_LIBS)
endef

UNIT_HEADERS	:= $(HEADERS) $(wildcard tests/unit/*.h)

$(BUILD)/tests/unit/core/check_%: tests/unit/core/check_%.c tests/unit/main.c \
    tests/unit/mock_host.c $$(call unit-deps,$$*) $(UNIT_HEADERS)
	$(unit-link)

$(BUILD)/tests/unit/abi/check_%: tests/unit/abi/check_%.c tests/unit/main.c \
    $$(call unit-deps,$$*) $(UNIT_HEADERS)
	$(unit-link)

# SDK unit tests: the static inline helpers of sdk/include/berth, alone
# (untar.h is for modules that link libarchive).
UNIT_SDK_SRCS	:= $(wildcard tests/unit/sdk/check_*.c)
UNIT_SDK_BINS	:= $(UNIT_SDK_SRCS:%.c=$(BUILD)/%)

$(BUILD)/tests/unit/sdk/check_%: tests/unit/sdk/check_%.c tests/unit/main.c \
    $(UNIT_HEADERS)
	@mkdir -p $(@D)
	$(QLD)$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -Itests/unit -o $@ \
	    $(filter %.c,$^) -larchive $(PKG_LIBS) $(CHECK_LIBS)

# Module unit tests compile the module's sources with the mock host.
UNIT_MOD_SRCS	:= $(wildcard tests/unit/modules/check_*.c)
UNIT_MOD_BINS	:= $(UNIT_MOD_SRCS:%.c=$(BUILD)/%)

$(BUILD)/tests/unit/modules/check_%: tests/unit/modules/check_%.c \
    tests/unit/main.c tests/unit/mock_host.c $$($$(subst _,-,$$*)-SRCS) \
    $(UNIT_HEADERS)
	@mkdir -p $(@D)
	$(QLD)$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -Itests/unit -o $@ \
	    $(filter %.c,$^) $($(subst _,-,$*)-LIBS) $(PKG_LIBS) $(CHECK_LIBS)

# Deliberately good and bad modules for the loader tests.
FIXTURE_SRCS	:= $(wildcard tests/unit/fixtures/*.c)
FIXTURE_SOS	:= $(FIXTURE_SRCS:tests/unit/fixtures/%.c=$(BUILD)/tests/fixtures/%.so)

$(BUILD)/tests/fixtures/%.so: tests/unit/fixtures/%.c \
    $(wildcard tests/unit/fixtures/*.h) $(HEADERS)
	@mkdir -p $(@D)
	$(QLD)$(CC) $(MODULE_CFLAGS) -o $@ $< -shared -Wl,--no-undefined $(SAN) $(PKG_LIBS)

# Test-only modules (tests/modules/<name>/module.mk), e.g. authz-rules.
TEST_MODULES	:=
include $(sort $(wildcard tests/modules/*/module.mk))
TEST_MODULE_SOS	:= $(TEST_MODULES:%=$(BUILD)/tests/modules/%.so)

$(BUILD)/tests/modules/%.so: $$($$*-SRCS) sdk/module.map $(HEADERS)
	@mkdir -p $(@D)
	$(QLD)$(CC) $(MODULE_CFLAGS) -o $@ $(filter %.c,$^) $(MODULE_LDFLAGS) \
	    $($*-LIBS) $(PKG_LIBS)

tests-build: $(UNIT_CORE_BINS) $(UNIT_SDK_BINS) $(UNIT_MOD_BINS) $(FIXTURE_SOS) $(TEST_MODULE_SOS)

.PHONY: tests-build

# Programs the integration tests run inside containers: static, so they
# need nothing from the image (tests/plugins/pvold.c: a managed plugin).
TEST_PROGS	:= $(BUILD)/tests/plugins/pvold

$(BUILD)/tests/plugins/%: tests/plugins/%.c
	@mkdir -p $(@D)
	$(QLD)$(CC) -static -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -o $@ $<

tests-build: $(TEST_PROGS)
