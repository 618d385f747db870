MODULES			+= volume-local
volume-local-SRCS	:= modules/volume-local/volume_local.c \
			   modules/volume-local/volume_local_fs.c
volume-local-LIBS	:=
