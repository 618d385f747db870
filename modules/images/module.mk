MODULES		+= images
images-SRCS	:= $(wildcard modules/images/*.c)
images-LIBS	:= -larchive -lcrypto
