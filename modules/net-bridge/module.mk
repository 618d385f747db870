MODULES			+= net-bridge
net-bridge-SRCS		:= modules/net-bridge/net_bridge.c \
			   modules/net-bridge/net_bridge_nft.c
net-bridge-LIBS		:= -lmnl
