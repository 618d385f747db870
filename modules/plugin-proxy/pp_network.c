/*
 * pp_network.c - a NetworkDriver plugin (libnetwork's remote driver) as
 * a network/1 driver, with dockerd's request bodies (protocols.md C.5).
 * Errors follow pp_ask's conventions ("remote: <Err>"); a 404 for
 * Program/RevokeExternalConnectivity means the plugin does not do it,
 * which is fine.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <berth/json.h>
#include <berth/network.h>

#include "plugin_proxy.h"

static json_object *
jstr(const char *s)
{
	return json_object_new_string(s != NULL ? s : "");
}

static json_object *
ids(const char *network_id, const char *endpoint_id)
{
	json_object	*o = json_object_new_object();

	json_object_object_add(o, "NetworkID", jstr(network_id));
	if (endpoint_id != NULL)
		json_object_object_add(o, "EndpointID", jstr(endpoint_id));
	return o;
}

static json_object *
opts(json_object *o)
{
	return o != NULL ? json_object_get(o) : json_object_new_object();
}

/* --- done-shaped calls ---------------------------------------------------- */

static void
done_answer(const struct pp_ask *n, json_object *resp)
{
	((berth_net_done_cb)n->cb)(n->arg, 0, NULL);
}

static void
done_fail(const struct pp_ask *n, int rc, const struct berth_err *err)
{
	((berth_net_done_cb)n->cb)(n->arg, rc, err);
}

static const struct pp_shape done_shape = { done_answer, done_fail, 0, 0 };
/* Program/RevokeExternalConnectivity: a 404 is "not implemented", fine. */
static const struct pp_shape optional_shape = { done_answer, done_fail, 0,
    1 };

static void
done_call(void *st, const char *method, json_object *req,
    berth_net_done_cb done, void *arg)
{
	pp_ask(st, PP_NETWORK, method, req, strstr(method,
	    "ExternalConnectivity") != NULL ? &optional_shape : &done_shape,
	    (void (*)(void))done, arg);
}

/* --- GetCapabilities ------------------------------------------------------ */

static void
caps_answer(const struct pp_ask *n, json_object *resp)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	const char		*scope = berth_json_str(resp, "Scope");
	const char		*conn = berth_json_str(resp,
				    "ConnectivityScope");

	if (scope == NULL || (strcmp(scope, "local") != 0 &&
	    strcmp(scope, "global") != 0)) {
		berth_err_set(&err, -EPROTO, "invalid capability: expecting "
		    "'local' or 'global', got %s", scope ? scope : "nothing");
		((berth_net_caps_cb)n->cb)(n->arg, err.code, NULL, NULL, &err);
		return;
	}
	if (conn == NULL || *conn == '\0')
		conn = scope;
	((berth_net_caps_cb)n->cb)(n->arg, 0, scope, conn, NULL);
}

static void
caps_fail(const struct pp_ask *n, int rc, const struct berth_err *err)
{
	((berth_net_caps_cb)n->cb)(n->arg, rc, NULL, NULL, err);
}

static const struct pp_shape caps_shape = { caps_answer, caps_fail, 0, 0 };

static void
pn_capabilities(void *st, berth_net_caps_cb done, void *arg)
{
	pp_ask(st, PP_NETWORK, "NetworkDriver.GetCapabilities", NULL,
	    &caps_shape, (void (*)(void))done, arg);
}

/* --- networks ------------------------------------------------------------- */

static json_object *
ipam_data(const struct berth_net_ipam_data *d, size_t n)
{
	json_object			*a = json_object_new_array(), *o;
	const struct berth_net_ipam_data *e;
	size_t				 i;

	/* The first element's size is the stride (berth/network.h). */
	for (i = 0; i < n; i++) {
		e = (const void *)((const char *)d + i * d->size);
		o = json_object_new_object();
		json_object_object_add(o, "AddressSpace",
		    jstr(e->address_space));
		json_object_object_add(o, "Pool", jstr(e->pool));
		json_object_object_add(o, "Gateway", jstr(e->gateway));
		if (e->aux_addresses != NULL)
			json_object_object_add(o, "AuxAddresses",
			    json_object_get(e->aux_addresses));
		json_object_array_add(a, o);
	}
	return a;
}

static void
pn_create_network(void *st, const struct berth_net_create *req,
    berth_net_done_cb done, void *arg)
{
	json_object	*o = ids(req->network_id, NULL);

	json_object_object_add(o, "Options", opts(req->options));
	json_object_object_add(o, "IPv4Data", ipam_data(req->ipv4, req->nipv4));
	json_object_object_add(o, "IPv6Data", ipam_data(req->ipv6, req->nipv6));
	done_call(st, "NetworkDriver.CreateNetwork", o, done, arg);
}

static void
pn_delete_network(void *st, const char *network_id, berth_net_done_cb done,
    void *arg)
{
	done_call(st, "NetworkDriver.DeleteNetwork", ids(network_id, NULL),
	    done, arg);
}

/* --- endpoints ------------------------------------------------------------ */

static void
iface_answer(const struct pp_ask *n, json_object *resp)
{
	json_object		*i = berth_json_get(resp, "Interface");
	struct berth_net_iface	 f = { .size = sizeof(f) };
	const char		*s;

	f.address = (s = berth_json_str(i, "Address")) ? s : "";
	f.address_ipv6 = (s = berth_json_str(i, "AddressIPv6")) ? s : "";
	f.mac_address = (s = berth_json_str(i, "MacAddress")) ? s : "";
	((berth_net_iface_cb)n->cb)(n->arg, 0, &f, NULL);
}

static void
iface_fail(const struct pp_ask *n, int rc, const struct berth_err *err)
{
	((berth_net_iface_cb)n->cb)(n->arg, rc, NULL, err);
}

static const struct pp_shape iface_shape = { iface_answer, iface_fail, 0, 0 };

static void
pn_create_endpoint(void *st, const struct berth_net_endpoint *req,
    berth_net_iface_cb done, void *arg)
{
	json_object	*o = ids(req->network_id, req->endpoint_id), *i;

	i = json_object_new_object();
	json_object_object_add(i, "Address", jstr(req->iface.address));
	json_object_object_add(i, "AddressIPv6",
	    jstr(req->iface.address_ipv6));
	json_object_object_add(i, "MacAddress", jstr(req->iface.mac_address));
	json_object_object_add(o, "Interface", i);
	json_object_object_add(o, "Options", opts(req->options));
	pp_ask(st, PP_NETWORK, "NetworkDriver.CreateEndpoint", o, &iface_shape,
	    (void (*)(void))done, arg);
}

static void
info_answer(const struct pp_ask *n, json_object *resp)
{
	json_object	*v = berth_json_get(resp, "Value");

	((berth_net_info_cb)n->cb)(n->arg, 0,
	    json_object_is_type(v, json_type_object) ? v : NULL, NULL);
}

static void
info_fail(const struct pp_ask *n, int rc, const struct berth_err *err)
{
	((berth_net_info_cb)n->cb)(n->arg, rc, NULL, err);
}

static const struct pp_shape info_shape = { info_answer, info_fail, 0, 0 };

static void
pn_endpoint_oper_info(void *st, const char *network_id,
    const char *endpoint_id, berth_net_info_cb done, void *arg)
{
	pp_ask(st, PP_NETWORK, "NetworkDriver.EndpointOperInfo",
	    ids(network_id, endpoint_id), &info_shape, (void (*)(void))done,
	    arg);
}

static void
pn_delete_endpoint(void *st, const char *network_id, const char *endpoint_id,
    berth_net_done_cb done, void *arg)
{
	done_call(st, "NetworkDriver.DeleteEndpoint", ids(network_id,
	    endpoint_id), done, arg);
}

/* --- join and leave ------------------------------------------------------- */

static void
join_answer(const struct pp_ask *n, json_object *resp)
{
	struct berth_net_join_info	 ji = { .size = sizeof(ji) };
	struct berth_net_route		*rt = NULL;
	struct berth_err		 err = BERTH_ERR_INIT;
	json_object			*ifn = berth_json_get(resp,
					    "InterfaceName");
	json_object			*sr = berth_json_get(resp,
					    "StaticRoutes"), *e;
	const char			*s;
	size_t				 i, nr = 0;

	ji.src_name = berth_json_str(ifn, "SrcName");
	ji.dst_prefix = berth_json_str(ifn, "DstPrefix");
	if (ji.src_name == NULL || *ji.src_name == '\0') {
		berth_err_set(&err, -EPROTO, "remote: Join gave no "
		    "InterfaceName.SrcName");
		((berth_net_join_cb)n->cb)(n->arg, err.code, NULL, &err);
		return;
	}
	if (ji.dst_prefix == NULL || *ji.dst_prefix == '\0')
		ji.dst_prefix = "eth";
	ji.gateway = (s = berth_json_str(resp, "Gateway")) ? s : "";
	ji.gateway_ipv6 = (s = berth_json_str(resp, "GatewayIPv6")) ? s : "";
	ji.disable_gateway_service = json_object_get_boolean(
	    berth_json_get(resp, "DisableGatewayService"));
	if (json_object_is_type(sr, json_type_array) &&
	    (nr = json_object_array_length(sr)) > 0 &&
	    (rt = calloc(nr, sizeof(*rt))) == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		((berth_net_join_cb)n->cb)(n->arg, err.code, NULL, &err);
		return;
	}
	for (i = 0; i < nr; i++) {
		e = json_object_array_get_idx(sr, i);
		rt[i].size = sizeof(rt[i]);
		rt[i].destination = (s = berth_json_str(e, "Destination")) ?
		    s : "";
		rt[i].route_type = json_object_get_int(berth_json_get(e,
		    "RouteType"));
		rt[i].next_hop = (s = berth_json_str(e, "NextHop")) ? s : "";
	}
	ji.routes = rt;
	ji.nroutes = nr;
	((berth_net_join_cb)n->cb)(n->arg, 0, &ji, NULL);
	free(rt);
}

static void
join_fail(const struct pp_ask *n, int rc, const struct berth_err *err)
{
	((berth_net_join_cb)n->cb)(n->arg, rc, NULL, err);
}

static const struct pp_shape join_shape = { join_answer, join_fail, 0, 0 };

static void
pn_join(void *st, const struct berth_net_join *req, berth_net_join_cb done,
    void *arg)
{
	json_object	*o = ids(req->network_id, req->endpoint_id);

	json_object_object_add(o, "SandboxKey", jstr(req->sandbox_key));
	json_object_object_add(o, "Options", opts(req->options));
	pp_ask(st, PP_NETWORK, "NetworkDriver.Join", o, &join_shape,
	    (void (*)(void))done, arg);
}

static void
pn_leave(void *st, const char *network_id, const char *endpoint_id,
    berth_net_done_cb done, void *arg)
{
	done_call(st, "NetworkDriver.Leave", ids(network_id, endpoint_id),
	    done, arg);
}

/* --- the rest ------------------------------------------------------------- */

static json_object *
discovery(int type, json_object *data)
{
	json_object	*o = json_object_new_object();

	json_object_object_add(o, "DiscoveryType", json_object_new_int(type));
	json_object_object_add(o, "DiscoveryData", data != NULL ?
	    json_object_get(data) : NULL);
	return o;
}

static void
pn_discover_new(void *st, int type, json_object *data,
    berth_net_done_cb done, void *arg)
{
	done_call(st, "NetworkDriver.DiscoverNew", discovery(type, data), done,
	    arg);
}

static void
pn_discover_delete(void *st, int type, json_object *data,
    berth_net_done_cb done, void *arg)
{
	done_call(st, "NetworkDriver.DiscoverDelete", discovery(type, data),
	    done, arg);
}

static void
pn_program(void *st, const char *network_id, const char *endpoint_id,
    json_object *options, berth_net_done_cb done, void *arg)
{
	json_object	*o = ids(network_id, endpoint_id);

	json_object_object_add(o, "Options", opts(options));
	done_call(st, "NetworkDriver.ProgramExternalConnectivity", o, done,
	    arg);
}

static void
pn_revoke(void *st, const char *network_id, const char *endpoint_id,
    berth_net_done_cb done, void *arg)
{
	done_call(st, "NetworkDriver.RevokeExternalConnectivity",
	    ids(network_id, endpoint_id), done, arg);
}

const struct berth_network_ops pp_network_ops = {
	.size = sizeof(struct berth_network_ops),
	.capabilities = pn_capabilities,
	.create_network = pn_create_network,
	.delete_network = pn_delete_network,
	.create_endpoint = pn_create_endpoint,
	.endpoint_oper_info = pn_endpoint_oper_info,
	.delete_endpoint = pn_delete_endpoint,
	.join = pn_join,
	.leave = pn_leave,
	.discover_new = pn_discover_new,
	.discover_delete = pn_discover_delete,
	.program_external_connectivity = pn_program,
	.revoke_external_connectivity = pn_revoke,
};
