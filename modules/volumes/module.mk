MODULES		+= volumes
volumes-SRCS	:= modules/volumes/volumes.c \
		   modules/volumes/volumes_api.c \
		   modules/volumes/volumes_df.c \
		   modules/volumes/volumes_filters.c \
		   modules/volumes/volumes_store.c \
		   modules/volumes/volumes_svc.c
volumes-LIBS	:=
