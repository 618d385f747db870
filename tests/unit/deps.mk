# Core objects each core unit test links (paths relative to $(BUILD)).
check_abi-DEPS		:= core/log.o
check_conf-DEPS		:= core/conf.o core/log.o
check_loop-DEPS		:= core/loop.o core/log.o
check_events-DEPS	:= core/events.o core/log.o
check_router-DEPS	:= core/router.o core/log.o
check_uri-DEPS		:= core/uri.o
check_registry-DEPS	:= core/registry.o
