TEST_MODULES		+= http-probe
http-probe-SRCS		:= tests/modules/http-probe/http_probe.c
http-probe-LIBS		:=
