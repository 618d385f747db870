MODULES			+= runtime-oci
# The module links the codec it shares with the monitor; headers are
# listed so that editing one rebuilds (the rules compile only the .c).
runtime-oci-SRCS	:= modules/runtime-oci/runtime_oci.c \
			   modules/runtime-oci/runtime_oci_conf.c \
			   modules/runtime-oci/runtime_oci_ctr.c \
			   modules/runtime-oci/monitor/monitor_codec.c \
			   modules/runtime-oci/monitor/monitor_codec.h \
			   modules/runtime-oci/runtime_oci.h
runtime-oci-LIBS	:=

# berth-monitor, one per container: static (about 0.6 MB resident
# instead of 1.3) unless sanitizers are on, which cannot link statically.
MONITOR_BIN		:= $(BUILD)/libexec/berth-monitor
MONITOR_SRCS		:= $(wildcard modules/runtime-oci/monitor/*.c)
MONITOR_LDFLAGS		:= $(if $(SAN),$(SAN),-static)
MODULE_BINS		+= $(MONITOR_BIN)

# It shares the SDK's inline file helpers (berth/fs.h), nothing else.
$(MONITOR_BIN): $(MONITOR_SRCS) $(wildcard modules/runtime-oci/monitor/*.h) \
    sdk/include/berth/fs.h
	@mkdir -p $(@D)
	$(QLD)$(CC) -std=gnu11 $(WARN) $(CFLAGS) $(SAN) -D_GNU_SOURCE \
	    -Isdk/include -o $@ $(MONITOR_SRCS) $(MONITOR_LDFLAGS)
