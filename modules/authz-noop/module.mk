MODULES		+= authz-noop
authz-noop-SRCS	:= modules/authz-noop/authz_noop.c
authz-noop-LIBS	:=
