MODULES		+= builder
builder-SRCS	:= modules/builder/builder.c \
		   modules/builder/builder_cache.c \
		   modules/builder/builder_context.c \
		   modules/builder/builder_copy.c \
		   modules/builder/builder_ignore.c \
		   modules/builder/builder_parse.c \
		   modules/builder/builder_step.c \
		   modules/builder/builder_words.c
builder-LIBS	:= -larchive -lcrypto
