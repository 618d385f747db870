MODULES		+= networks
networks-SRCS	:= modules/networks/networks.c \
		   modules/networks/networks_api.c \
		   modules/networks/networks_builtin.c \
		   modules/networks/networks_chain.c \
		   modules/networks/networks_dns.c \
		   modules/networks/networks_ep.c \
		   modules/networks/networks_filters.c \
		   modules/networks/networks_ipam.c \
		   modules/networks/networks_ports.c \
		   modules/networks/networks_sandbox.c \
		   modules/networks/networks_store.c
networks-LIBS	:= -lmnl
