/*
 * networks_builtin.c - the "host" and "null" drivers, as Docker has
 * them built in: a network with no addresses, whose endpoints have no
 * interface.  A container on "host" shares berthd's namespace; one on
 * "null" ("none") has its own with only loopback.  There is nothing to
 * make, so every operation succeeds at once; Docker allows one network
 * of each, which the service enforces (they are predefined).
 */
#include <stddef.h>

#include "networks.h"

static void
caps(void *st, berth_net_caps_cb done, void *arg)
{
	done(arg, 0, "local", "local", NULL);
}

static void
create_network(void *st, const struct berth_net_create *req,
    berth_net_done_cb done, void *arg)
{
	done(arg, 0, NULL);
}

static void
by_id(void *st, const char *network_id, berth_net_done_cb done, void *arg)
{
	done(arg, 0, NULL);
}

static void
by_ep(void *st, const char *network_id, const char *endpoint_id,
    berth_net_done_cb done, void *arg)
{
	done(arg, 0, NULL);
}

static void
create_endpoint(void *st, const struct berth_net_endpoint *req,
    berth_net_iface_cb done, void *arg)
{
	static const struct berth_net_iface	none = {
		sizeof(struct berth_net_iface), "", "", "",
	};

	done(arg, 0, &none, NULL);
}

static void
oper_info(void *st, const char *network_id, const char *endpoint_id,
    berth_net_info_cb done, void *arg)
{
	done(arg, 0, NULL, NULL);
}

static void
join(void *st, const struct berth_net_join *req, berth_net_join_cb done,
    void *arg)
{
	static const struct berth_net_join_info	nothing = {
		.size = sizeof(struct berth_net_join_info),
		.gateway = "", .gateway_ipv6 = "",
	};

	done(arg, 0, &nothing, NULL);
}

static void
program(void *st, const char *network_id, const char *endpoint_id,
    json_object *options, berth_net_done_cb done, void *arg)
{
	done(arg, 0, NULL);
}

/* Served under both names. */
const struct berth_network_ops networks_builtin_ops = {
	.size = sizeof(struct berth_network_ops),
	.capabilities = caps,
	.create_network = create_network,
	.delete_network = by_id,
	.create_endpoint = create_endpoint,
	.endpoint_oper_info = oper_info,
	.delete_endpoint = by_ep,
	.join = join,
	.leave = by_ep,
	.program_external_connectivity = program,
	.revoke_external_connectivity = by_ep,
};
