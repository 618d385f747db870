TEST_MODULES		+= image-stub
image-stub-SRCS		:= tests/modules/image-stub/image_stub.c
image-stub-LIBS		:=
