TEST_MODULES		+= runtime-probe
runtime-probe-SRCS	:= tests/modules/runtime-probe/runtime_probe.c
runtime-probe-LIBS	:=
