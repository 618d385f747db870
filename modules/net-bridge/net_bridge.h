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
 *
 * Kernel changes go through berth/rtnl.h in work jobs.
 */
#ifndef NET_BRIDGE_H
#define NET_BRIDGE_H

#include <net/if.h>
#include <stdint.h>

/* Prefix of the bridges of user-defined networks. */
#define NB_PREFIX	"brt-"

#endif
