/*
 * berth/rtnl.h - the rtnetlink requests network modules make, through
 * libmnl (link with -lmnl): links (bridge, veth), their settings,
 * addresses and routes.  Static inline, so a module links nothing from
 * the core.
 *
 * Every call opens its own socket in the network namespace of the
 * calling thread, so a worker thread that entered a container's
 * namespace (setns) configures that namespace.  They block for one
 * netlink exchange: call them from `work` functions, never the loop.
 * Each returns 0 or the kernel's -errno.
 */
#ifndef BERTH_RTNL_H
#define BERTH_RTNL_H

#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

struct berth_rtnl_ {
	struct mnl_socket	*sock;
	unsigned int		 portid;
	unsigned int		 seq;
	char			 buf[8192];	/* ample for acks */
};

/* What berth_rtnl_link_set changes; zero fields are left alone. */
struct berth_rtnl_link {
	const char		*name;		/* the link, by name */
	int			 up;		/* 1: set IFF_UP */
	unsigned int		 mtu;
	int			 master;	/* ifindex of a bridge */
	int			 netns_fd;	/* move into (> 0) */
	const char		*new_name;	/* rename */
	const unsigned char	*mac;		/* 6 bytes */
};

static inline struct nlmsghdr *
berth_rtnl_msg_(struct berth_rtnl_ *nl, uint16_t type, uint16_t flags)
{
	struct nlmsghdr	*h = mnl_nlmsg_put_header(nl->buf);

	h->nlmsg_type = type;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	h->nlmsg_seq = ++nl->seq;
	return h;
}

/* Open, send what build puts in the buffer, read the ack, close. */
static inline int
berth_rtnl_once_(void (*build)(struct berth_rtnl_ *, const void *),
    const void *arg)
{
	struct berth_rtnl_	*nl;
	struct nlmsghdr		*h;
	ssize_t			 n;
	int			 rc = 0, r;

	if ((nl = calloc(1, sizeof(*nl))) == NULL)
		return -ENOMEM;
	if ((nl->sock = mnl_socket_open(NETLINK_ROUTE)) == NULL) {
		rc = -errno;
		free(nl);
		return rc;
	}
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		goto out;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (unsigned int)time(NULL);
	build(nl, arg);
	h = (struct nlmsghdr *)nl->buf;
	if (mnl_socket_sendto(nl->sock, h, h->nlmsg_len) < 0) {
		rc = -errno;
		goto out;
	}
	for (;;) {
		if ((n = mnl_socket_recvfrom(nl->sock, nl->buf,
		    sizeof(nl->buf))) < 0) {
			rc = -errno;
			break;
		}
		r = mnl_cb_run(nl->buf, (size_t)n, nl->seq, nl->portid, NULL,
		    NULL);
		if (r == MNL_CB_ERROR) {
			rc = -errno;
			break;
		}
		if (r == MNL_CB_STOP)
			break;
	}
out:
	mnl_socket_close(nl->sock);
	free(nl);
	return rc;
}

struct berth_rtnl_add_ {
	const char	*name;
	const char	*kind;
	const char	*peer;
	unsigned int	 mtu;
	int		 peer_netns_fd;
};

static inline void
berth_rtnl_build_add_(struct berth_rtnl_ *nl, const void *arg)
{
	const struct berth_rtnl_add_	*r = arg;
	struct nlmsghdr			*h;
	struct ifinfomsg		*ifi;
	struct nlattr			*info, *data, *peer;

	h = berth_rtnl_msg_(nl, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(h, IFLA_IFNAME, r->name);
	if (r->mtu != 0)
		mnl_attr_put_u32(h, IFLA_MTU, r->mtu);
	info = mnl_attr_nest_start(h, IFLA_LINKINFO);
	mnl_attr_put_strz(h, IFLA_INFO_KIND, r->kind);
	if (r->peer != NULL) {
		data = mnl_attr_nest_start(h, IFLA_INFO_DATA);
		peer = mnl_attr_nest_start(h, VETH_INFO_PEER);
		ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));
		ifi->ifi_family = AF_UNSPEC;
		mnl_attr_put_strz(h, IFLA_IFNAME, r->peer);
		if (r->mtu != 0)
			mnl_attr_put_u32(h, IFLA_MTU, r->mtu);
		if (r->peer_netns_fd > 0)
			mnl_attr_put_u32(h, IFLA_NET_NS_FD,
			    (uint32_t)r->peer_netns_fd);
		mnl_attr_nest_end(h, peer);
		mnl_attr_nest_end(h, data);
	}
	mnl_attr_nest_end(h, info);
}

/* A link of kind ("bridge"; "veth" with its peer's name). */
static inline int
berth_rtnl_link_add(const char *name, const char *kind, const char *peer,
    unsigned int mtu)
{
	struct berth_rtnl_add_	r = { name, kind, peer, mtu, 0 };

	return berth_rtnl_once_(berth_rtnl_build_add_, &r);
}

/*
 * A veth pair whose peer is made inside the network namespace netns_fd
 * at once: moving a link between namespaces afterwards costs the kernel
 * a grace period (about 15 ms), making it there costs nothing.
 */
static inline int
berth_rtnl_veth_add_in(const char *name, const char *peer, unsigned int mtu,
    int netns_fd)
{
	struct berth_rtnl_add_	r = { name, "veth", peer, mtu, netns_fd };

	return berth_rtnl_once_(berth_rtnl_build_add_, &r);
}

static inline void
berth_rtnl_build_del_(struct berth_rtnl_ *nl, const void *arg)
{
	struct nlmsghdr		*h;
	struct ifinfomsg	*ifi;

	h = berth_rtnl_msg_(nl, RTM_DELLINK, 0);
	ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(h, IFLA_IFNAME, arg);
}

/* Delete a link (a veth takes its peer along); gone already is 0. */
static inline int
berth_rtnl_link_del(const char *name)
{
	int	rc = berth_rtnl_once_(berth_rtnl_build_del_, name);

	return rc == -ENODEV ? 0 : rc;
}

struct berth_rtnl_set_ {
	const struct berth_rtnl_link	*l;
	int				 index;
};

static inline void
berth_rtnl_build_set_(struct berth_rtnl_ *nl, const void *arg)
{
	const struct berth_rtnl_set_	*r = arg;
	const struct berth_rtnl_link	*l = r->l;
	struct nlmsghdr			*h;
	struct ifinfomsg		*ifi;

	h = berth_rtnl_msg_(nl, RTM_NEWLINK, 0);
	ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = r->index;
	if (l->up) {
		ifi->ifi_flags = IFF_UP;
		ifi->ifi_change = IFF_UP;
	}
	if (l->mtu != 0)
		mnl_attr_put_u32(h, IFLA_MTU, l->mtu);
	if (l->master != 0)
		mnl_attr_put_u32(h, IFLA_MASTER, (uint32_t)l->master);
	if (l->netns_fd > 0)
		mnl_attr_put_u32(h, IFLA_NET_NS_FD, (uint32_t)l->netns_fd);
	if (l->new_name != NULL)
		mnl_attr_put_strz(h, IFLA_IFNAME, l->new_name);
	if (l->mac != NULL)
		mnl_attr_put(h, IFLA_ADDRESS, 6, l->mac);
}

/* Change what l names on link l->name. */
static inline int
berth_rtnl_link_set(const struct berth_rtnl_link *l)
{
	struct berth_rtnl_set_	r = { l, 0 };

	if ((r.index = (int)if_nametoindex(l->name)) == 0)
		return -errno;
	return berth_rtnl_once_(berth_rtnl_build_set_, &r);
}

struct berth_rtnl_addr_ {
	int		 index;
	uint32_t	 addr;		/* host order */
	int		 prefix;
};

static inline void
berth_rtnl_build_addr_(struct berth_rtnl_ *nl, const void *arg)
{
	const struct berth_rtnl_addr_	*r = arg;
	struct nlmsghdr			*h;
	struct ifaddrmsg		*ifa;
	uint32_t			 a = htonl(r->addr), mask;

	h = berth_rtnl_msg_(nl, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
	ifa = mnl_nlmsg_put_extra_header(h, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)r->prefix;
	ifa->ifa_index = (unsigned int)r->index;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	mnl_attr_put_u32(h, IFA_LOCAL, a);
	mnl_attr_put_u32(h, IFA_ADDRESS, a);
	if (r->prefix < 31) {
		mask = r->prefix == 0 ? 0 : ~((1u << (32 - r->prefix)) - 1);
		mnl_attr_put_u32(h, IFA_BROADCAST, htonl(r->addr | ~mask));
	}
}

/* addr/prefix (host order) on link name; there already is 0. */
static inline int
berth_rtnl_addr_add(const char *name, uint32_t addr, int prefix)
{
	struct berth_rtnl_addr_	r = { 0, addr, prefix };
	int			rc;

	if ((r.index = (int)if_nametoindex(name)) == 0)
		return -errno;
	rc = berth_rtnl_once_(berth_rtnl_build_addr_, &r);
	return rc == -EEXIST ? 0 : rc;
}

/* A route in the main table: dst/prefix via gw, or on oif (link scope). */
struct berth_rtnl_route {
	uint32_t	 dst;		/* host order; 0/0 is the default */
	int		 prefix;
	uint32_t	 gw;		/* host order; 0: directly connected */
	unsigned	 oif;		/* interface index, or 0 */
};

static inline void
berth_rtnl_build_route_(struct berth_rtnl_ *nl, const void *arg)
{
	const struct berth_rtnl_route	*r = arg;
	struct nlmsghdr			*h;
	struct rtmsg			*rtm;

	h = berth_rtnl_msg_(nl, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
	rtm = mnl_nlmsg_put_extra_header(h, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = (unsigned char)r->prefix;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_scope = r->gw != 0 ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	if (r->prefix > 0)
		mnl_attr_put_u32(h, RTA_DST, htonl(r->dst));
	if (r->gw != 0)
		mnl_attr_put_u32(h, RTA_GATEWAY, htonl(r->gw));
	if (r->oif != 0)
		mnl_attr_put_u32(h, RTA_OIF, r->oif);
}

/* Add route r in the namespace we are in; there already is 0. */
static inline int
berth_rtnl_route_add(const struct berth_rtnl_route *r)
{
	int	rc = berth_rtnl_once_(berth_rtnl_build_route_, r);

	return rc == -EEXIST ? 0 : rc;
}

/* The default route via gw (host order); there already is 0. */
static inline int
berth_rtnl_route_default(uint32_t gw)
{
	struct berth_rtnl_route	r = { 0, 0, gw, 0 };

	return berth_rtnl_route_add(&r);
}

#endif
