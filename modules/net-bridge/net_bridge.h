/*
 * net_bridge.h - the "bridge" network driver, private to
 * modules/net-bridge.
 *
 * The driver owns the kernel side of a bridge network: the Linux bridge
 * (berth0 for the default network, brt-<id> for the others; never
 * another engine's docker0 or br-<id>) and its gateway address.  It
 * keeps nothing on disk: the networks service asks for every network
 * again at start (CreateNetwork), and a second create of what exists is
 * success, which is how a reboot or a crash is repaired.
 *
 *	net_bridge.c		init/fini, network/1 ops, the network table
 *	net_bridge_nl.c		rtnetlink through libmnl (worker threads)
 */
#ifndef NET_BRIDGE_H
#define NET_BRIDGE_H

#include <net/if.h>
#include <stdint.h>

/* Prefix of the bridges of user-defined networks. */
#define NB_PREFIX	"brt-"

/* net_bridge_nl.c: 0 or -errno; each blocks for one netlink exchange. */
int	nb_bridge_add(const char *name, unsigned int mtu);
int	nb_veth_add(const char *name, const char *peer, unsigned int mtu);
int	nb_link_del(const char *name);
int	nb_link_up(const char *name, unsigned int mtu, int master);
int	nb_addr_add(const char *name, uint32_t addr, int prefix);

#endif
