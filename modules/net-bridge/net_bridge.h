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
 *	net_bridge_nft.c	the nftables table "ip berth": forwarding,
 *				masquerade, isolation, published ports
 *
 * Kernel changes go through berth/rtnl.h in work jobs.
 */
#ifndef NET_BRIDGE_H
#define NET_BRIDGE_H

#include <sys/queue.h>

#include <net/if.h>
#include <stdint.h>

#include <json-c/json.h>

#include <berth/cidr.h>
#include <berth/host.h>
#include <berth/network.h>

/* Prefix of the bridges of user-defined networks. */
#define NB_PREFIX	"brt-"

struct nb_net {
	LIST_ENTRY(nb_net)	 entry;
	char			 id[65];
	char			 bridge[IFNAMSIZ];
	unsigned int		 mtu;
	int			 internal;
	struct berth_cidr	 gw;		/* prefix 0: none */
	struct berth_cidr	 subnet;	/* prefix 0: none */
};
LIST_HEAD(nb_net_list, nb_net);

/* One published port: host (address, port) to the endpoint's port. */
struct nb_port {
	int		 proto;		/* 6 tcp, 17 udp */
	uint32_t	 host_ip;	/* host order; 0: every address */
	uint16_t	 host_port;
	uint16_t	 port;
};

struct nb_ep {
	LIST_ENTRY(nb_ep)	 entry;
	char			 id[65];
	char			 net_id[65];
	uint32_t		 addr;		/* host order */
	struct nb_port		*ports;
	size_t			 nports;
};
LIST_HEAD(nb_ep_list, nb_ep);

/* A caller of nb_nft_apply, answered once its rules are in. */
struct nb_waiter {
	berth_net_done_cb	 done;
	void			*arg;
	struct nb_waiter	*next;
};

struct net_bridge {
	const struct berth_host	*h;
	char			 table[32];	/* "berth", or per exec-root */
	struct nb_net_list	 nets;
	struct nb_ep_list	 eps;
	int			 applying;	/* a ruleset job runs */
	int			 dirty;		/* changed since it began */
	struct nb_waiter	*waiting;	/* for the running job */
	struct nb_waiter	*next_waiting;	/* for the next one */
};

/* net_bridge.c */
void	nb_sysctl_on(const char *);

/* net_bridge_nft.c */
void	nb_nft_apply(struct net_bridge *, berth_net_done_cb, void *);
int	nb_ports_program(struct net_bridge *, struct nb_ep *, json_object *,
	    struct berth_err *);
json_object *nb_ports_json(const struct nb_ep *);

#endif
