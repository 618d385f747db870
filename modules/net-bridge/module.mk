MODULES			+= net-bridge
net-bridge-SRCS		:= modules/net-bridge/net_bridge.c
net-bridge-LIBS		:= -lmnl
