MODULES			+= plugin-proxy
plugin-proxy-SRCS	:= modules/plugin-proxy/plugin_proxy.c \
			   modules/plugin-proxy/pp_api.c \
			   modules/plugin-proxy/pp_authz.c \
			   modules/plugin-proxy/pp_find.c \
			   modules/plugin-proxy/pp_http.c \
			   modules/plugin-proxy/pp_ipam.c \
			   modules/plugin-proxy/pp_managed.c \
			   modules/plugin-proxy/pp_network.c \
			   modules/plugin-proxy/pp_plugin.c \
			   modules/plugin-proxy/pp_privs.c \
			   modules/plugin-proxy/pp_run.c \
			   modules/plugin-proxy/pp_volume.c
plugin-proxy-LIBS	:= -larchive
