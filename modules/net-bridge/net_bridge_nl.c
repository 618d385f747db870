/*
 * net_bridge_nl.c - the rtnetlink requests the bridge driver makes,
 * through libmnl: links (bridge, veth), addresses, up.  Each call opens
 * its own socket, so any worker thread may make them; they block (a
 * netlink round trip) and never run on the loop.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include "net_bridge.h"

struct nl {
	struct mnl_socket	*sock;
	unsigned int		 portid;
	unsigned int		 seq;
	char			 buf[8192];	/* a page or two: ample for acks */
};

static int
nl_open(struct nl *nl)
{
	if ((nl->sock = mnl_socket_open(NETLINK_ROUTE)) == NULL)
		return -errno;
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		int	rc = -errno;

		mnl_socket_close(nl->sock);
		return rc;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (unsigned int)time(NULL);
	return 0;
}

static void
nl_close(struct nl *nl)
{
	mnl_socket_close(nl->sock);
}

static struct nlmsghdr *
nl_msg(struct nl *nl, uint16_t type, uint16_t flags)
{
	struct nlmsghdr	*h = mnl_nlmsg_put_header(nl->buf);

	h->nlmsg_type = type;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	h->nlmsg_seq = ++nl->seq;
	return h;
}

/* Send h and read its acknowledgement: 0 or the kernel's -errno. */
static int
nl_talk(struct nl *nl, struct nlmsghdr *h)
{
	ssize_t	n;
	int	rc;

	if (mnl_socket_sendto(nl->sock, h, h->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		if ((n = mnl_socket_recvfrom(nl->sock, nl->buf,
		    sizeof(nl->buf))) < 0)
			return -errno;
		rc = mnl_cb_run(nl->buf, (size_t)n, h->nlmsg_seq, nl->portid,
		    NULL, NULL);
		if (rc == MNL_CB_ERROR)
			return -errno;
		if (rc == MNL_CB_STOP)
			return 0;
	}
}

/* One request on a socket of its own. */
static int
nl_once(struct nlmsghdr *(*build)(struct nl *, const void *),
    const void *arg)
{
	struct nl	*nl;
	int		 rc;

	if ((nl = malloc(sizeof(*nl))) == NULL)
		return -ENOMEM;
	if ((rc = nl_open(nl)) == 0) {
		rc = nl_talk(nl, build(nl, arg));
		nl_close(nl);
	}
	free(nl);
	return rc;
}

struct link_req {
	const char	*name;
	const char	*peer;		/* veth */
	const char	*kind;
	unsigned int	 mtu;
	int		 index;
	int		 up;
	int		 master;	/* ifindex, or 0 */
};

static struct nlmsghdr *
build_link_add(struct nl *nl, const void *arg)
{
	const struct link_req	*r = arg;
	struct nlmsghdr		*h;
	struct ifinfomsg	*ifi;
	struct nlattr		*info, *data, *peer;

	h = nl_msg(nl, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
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
		mnl_attr_nest_end(h, peer);
		mnl_attr_nest_end(h, data);
	}
	mnl_attr_nest_end(h, info);
	return h;
}

static struct nlmsghdr *
build_link_del(struct nl *nl, const void *arg)
{
	const struct link_req	*r = arg;
	struct nlmsghdr		*h;
	struct ifinfomsg	*ifi;

	h = nl_msg(nl, RTM_DELLINK, 0);
	ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(h, IFLA_IFNAME, r->name);
	return h;
}

static struct nlmsghdr *
build_link_set(struct nl *nl, const void *arg)
{
	const struct link_req	*r = arg;
	struct nlmsghdr		*h;
	struct ifinfomsg	*ifi;

	h = nl_msg(nl, RTM_NEWLINK, 0);
	ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = r->index;
	if (r->up) {
		ifi->ifi_flags = IFF_UP;
		ifi->ifi_change = IFF_UP;
	}
	if (r->mtu != 0)
		mnl_attr_put_u32(h, IFLA_MTU, r->mtu);
	if (r->master != 0)
		mnl_attr_put_u32(h, IFLA_MASTER, (uint32_t)r->master);
	return h;
}

struct addr_req {
	int		 index;
	uint32_t	 addr;		/* host order */
	int		 prefix;
};

static struct nlmsghdr *
build_addr_add(struct nl *nl, const void *arg)
{
	const struct addr_req	*r = arg;
	struct nlmsghdr		*h;
	struct ifaddrmsg	*ifa;
	uint32_t		 a = htonl(r->addr), b;

	h = nl_msg(nl, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
	ifa = mnl_nlmsg_put_extra_header(h, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)r->prefix;
	ifa->ifa_index = (unsigned int)r->index;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	mnl_attr_put_u32(h, IFA_LOCAL, a);
	mnl_attr_put_u32(h, IFA_ADDRESS, a);
	if (r->prefix < 31) {
		b = htonl(r->addr | ~(r->prefix == 0 ? 0u :
		    ~((1u << (32 - r->prefix)) - 1)));
		mnl_attr_put_u32(h, IFA_BROADCAST, b);
	}
	return h;
}

int
nb_link_up(const char *name, unsigned int mtu, int master)
{
	struct link_req	r = { .name = name, .mtu = mtu, .up = 1,
			      .master = master };

	if ((r.index = (int)if_nametoindex(name)) == 0)
		return -errno;
	return nl_once(build_link_set, &r);
}

int
nb_bridge_add(const char *name, unsigned int mtu)
{
	struct link_req	r = { .name = name, .kind = "bridge", .mtu = mtu };
	int		rc;

	/* A bridge that is already there (a restart) is this one. */
	if ((rc = nl_once(build_link_add, &r)) == -EEXIST)
		rc = 0;
	return rc;
}

int
nb_veth_add(const char *name, const char *peer, unsigned int mtu)
{
	struct link_req	r = { .name = name, .peer = peer, .kind = "veth",
			      .mtu = mtu };

	return nl_once(build_link_add, &r);
}

int
nb_link_del(const char *name)
{
	struct link_req	r = { .name = name };
	int		rc;

	if ((rc = nl_once(build_link_del, &r)) == -ENODEV)
		rc = 0;
	return rc;
}

int
nb_addr_add(const char *name, uint32_t addr, int prefix)
{
	struct addr_req	r = { .addr = addr, .prefix = prefix };
	int		rc;

	if ((r.index = (int)if_nametoindex(name)) == 0)
		return -errno;
	if ((rc = nl_once(build_addr_add, &r)) == -EEXIST)
		rc = 0;
	return rc;
}
