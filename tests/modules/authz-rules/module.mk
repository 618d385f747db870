TEST_MODULES		+= authz-rules
authz-rules-SRCS	:= tests/modules/authz-rules/authz_rules.c
authz-rules-LIBS	:=
