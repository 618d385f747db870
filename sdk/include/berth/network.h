/*
 * berth/network.h - the network driver interface, "network/1".
 *
 * It mirrors Docker's NetworkDriver plugin protocol operation for
 * operation (GetCapabilities, CreateNetwork, DeleteNetwork,
 * CreateEndpoint, EndpointOperInfo, DeleteEndpoint, Join, Leave,
 * DiscoverNew, DiscoverDelete, ProgramExternalConnectivity,
 * RevokeExternalConnectivity), so plugin-proxy can serve it mechanically
 * and an author who knows the plugin docs knows this header.  A driver
 * registers under its Docker name: net-bridge provides "bridge"; the
 * networks service itself provides "host" and "null".
 *
 * The networks service owns names, IDs, IPAM, endpoints and events and
 * calls a driver in Docker's order: RequestPool -> CreateNetwork; for
 * a container RequestAddress -> CreateEndpoint -> Join ->
 * ProgramExternalConnectivity, and back: RevokeExternalConnectivity ->
 * Leave -> DeleteEndpoint -> ReleaseAddress; DeleteNetwork ->
 * ReleasePool.  A driver may be asked again for what it already did
 * (CreateNetwork for a network it has, after a restart) and must treat
 * that as success: it is how berthd reconciles after a crash.
 *
 * JSON option maps are as Docker sends them (BERTH_NET_OPT_* keys).
 * Every struct starts with its size as its writer built it; an array of
 * structs (IPv4Data, StaticRoutes) is walked with its first element's
 * size as the stride, so a later minor version can grow them.
 * All ops run on the loop thread and answer through their callback
 * exactly once, now or later, on the loop thread.  What is passed in is
 * borrowed for the call; what a callback is given is borrowed for the
 * callback.
 */
#ifndef BERTH_NETWORK_H
#define BERTH_NETWORK_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include <berth/err.h>

#define BERTH_NETWORK_IFACE	"network/1"

/* Keys of CreateNetwork's Options. */
#define BERTH_NET_OPT_GENERIC	"com.docker.network.generic"	/* -o map */
#define BERTH_NET_OPT_IPV6	"com.docker.network.enable_ipv6"
#define BERTH_NET_OPT_INTERNAL	"com.docker.network.internal"
/* Keys of CreateEndpoint's and Join's Options. */
#define BERTH_NET_OPT_EXPOSED	"com.docker.network.endpoint.exposedports"
#define BERTH_NET_OPT_PORTMAP	"com.docker.network.portmap"

/* One entry of IPv4Data / IPv6Data. */
struct berth_net_ipam_data {
	uint32_t	 size;
	const char	*address_space;
	const char	*pool;		/* CIDR */
	const char	*gateway;	/* CIDR, or NULL */
	json_object	*aux_addresses;	/* name -> CIDR, or NULL */
};

/* CreateNetwork. */
struct berth_net_create {
	uint32_t			 size;	/* sizeof at the caller's build */
	const char			*network_id;	/* 64 hex */
	json_object			*options;
	const struct berth_net_ipam_data *ipv4;
	size_t				 nipv4;
	const struct berth_net_ipam_data *ipv6;
	size_t				 nipv6;
};

/* An endpoint's interface: CIDR addresses, "" where unset. */
struct berth_net_iface {
	uint32_t	 size;
	const char	*address;
	const char	*address_ipv6;
	const char	*mac_address;
};

/* CreateEndpoint. */
struct berth_net_endpoint {
	uint32_t		 size;
	const char		*network_id;
	const char		*endpoint_id;	/* 64 hex */
	struct berth_net_iface	 iface;
	json_object		*options;
};

/* Join. */
struct berth_net_join {
	uint32_t	 size;
	const char	*network_id;
	const char	*endpoint_id;
	const char	*sandbox_key;	/* the netns file */
	json_object	*options;
};

/* A StaticRoutes entry: route_type 0 via next_hop, 1 connected. */
struct berth_net_route {
	uint32_t	 size;
	const char	*destination;	/* CIDR */
	int		 route_type;
	const char	*next_hop;
};

/* Join's answer. */
struct berth_net_join_info {
	uint32_t			 size;
	/*
	 * src_name - an interface in the host's namespace when the answer
	 * is given, as Docker's protocol has it; the service moves it into
	 * the sandbox and names it dst_prefix plus a number ("eth0").  An
	 * in-tree driver may make it in the sandbox (req->sandbox_key)
	 * instead: the service then finds it there, and the kernel spares
	 * the grace period a move between namespaces costs.
	 */
	const char			*src_name;
	const char			*dst_prefix;
	const char			*gateway;	/* plain, or "" */
	const char			*gateway_ipv6;
	const struct berth_net_route	*routes;
	size_t				 nroutes;
	int				 disable_gateway_service;
};

typedef void	(*berth_net_done_cb)(void *arg, int rc,
		    const struct berth_err *err);
/* scope, connectivity_scope: "local" or "global". */
typedef void	(*berth_net_caps_cb)(void *arg, int rc, const char *scope,
		    const char *connectivity_scope, const struct berth_err *err);
/* CreateEndpoint: only the fields the service left "" may be filled. */
typedef void	(*berth_net_iface_cb)(void *arg, int rc,
		    const struct berth_net_iface *iface,
		    const struct berth_err *err);
/* EndpointOperInfo: the driver's Value map, shown by inspect. */
typedef void	(*berth_net_info_cb)(void *arg, int rc, json_object *value,
		    const struct berth_err *err);
typedef void	(*berth_net_join_cb)(void *arg, int rc,
		    const struct berth_net_join_info *info,
		    const struct berth_err *err);

struct berth_network_ops {
	uint32_t	 size;		/* sizeof(struct berth_network_ops) */
	void	(*capabilities)(void *st, berth_net_caps_cb done, void *arg);
	void	(*create_network)(void *st, const struct berth_net_create *req,
		    berth_net_done_cb done, void *arg);
	/* delete_network - a network it does not know is not an error. */
	void	(*delete_network)(void *st, const char *network_id,
		    berth_net_done_cb done, void *arg);
	void	(*create_endpoint)(void *st,
		    const struct berth_net_endpoint *req,
		    berth_net_iface_cb done, void *arg);
	void	(*endpoint_oper_info)(void *st, const char *network_id,
		    const char *endpoint_id, berth_net_info_cb done, void *arg);
	void	(*delete_endpoint)(void *st, const char *network_id,
		    const char *endpoint_id, berth_net_done_cb done, void *arg);
	void	(*join)(void *st, const struct berth_net_join *req,
		    berth_net_join_cb done, void *arg);
	void	(*leave)(void *st, const char *network_id,
		    const char *endpoint_id, berth_net_done_cb done, void *arg);
	/* Node discovery: never sent on a single host; may be NULL. */
	void	(*discover_new)(void *st, int type, json_object *data,
		    berth_net_done_cb done, void *arg);
	void	(*discover_delete)(void *st, int type, json_object *data,
		    berth_net_done_cb done, void *arg);
	/* Published ports and the way out; may be NULL (Docker's 404). */
	void	(*program_external_connectivity)(void *st,
		    const char *network_id, const char *endpoint_id,
		    json_object *options, berth_net_done_cb done, void *arg);
	void	(*revoke_external_connectivity)(void *st,
		    const char *network_id, const char *endpoint_id,
		    berth_net_done_cb done, void *arg);
};

/* --- networks/1: the service, as the containers service sees it -------- */

#define BERTH_NETWORKS_IFACE	"networks/1"
#define BERTH_NETWORKS_SERVICE	"networks"	/* the one provider's name */

/* One endpoint of a container on a network (Docker's connect). */
struct berth_networks_join {
	uint32_t	 size;
	const char	*network;	/* name, ID or ID prefix */
	const char	*container;	/* 64 hex */
	const char	*name;		/* the container's, without '/' */
	const char	*sandbox_key;	/* from sandbox() */
	/*
	 * EndpointSettings as the client gave them (IPAMConfig with
	 * IPv4Address, Aliases, MacAddress, Links, DriverOpts), or NULL.
	 */
	json_object	*endpoint;
	/*
	 * Ports to publish on this endpoint: HostConfig.PortBindings and,
	 * with publish_all (-P), every one of Config.ExposedPorts; NULL or
	 * 0 for none.  The answer then holds "Ports" as NetworkSettings
	 * shows them, host ports chosen.
	 */
	json_object	*port_bindings;
	json_object	*exposed_ports;
	int		 publish_all;
	/*
	 * HostConfig.Dns: where the embedded DNS server of a user network
	 * forwards what it cannot answer (NULL: the host's nameservers).
	 */
	json_object	*dns;
};

typedef void	(*berth_networks_path_cb)(void *arg, int rc, const char *path,
		    const struct berth_err *err);
typedef void	(*berth_networks_done_cb)(void *arg, int rc,
		    const struct berth_err *err);
/*
 * settings: EndpointSettings as container inspect shows them (NetworkID,
 * EndpointID, Gateway, IPAddress, IPPrefixLen, MacAddress, Aliases,
 * ...), plus "Ports" (NetworkSettings.Ports) when ports were asked for;
 * borrowed for the callback; name is the network's.
 */
typedef void	(*berth_networks_join_cb)(void *arg, int rc, const char *name,
		    json_object *settings, const struct berth_err *err);

struct berth_networks_ops {
	uint32_t	 size;		/* sizeof(struct berth_networks_ops) */
	/*
	 * resolve - the network network names now ("default" is the
	 * bridge): 0 with its name and ID copied into name and id
	 * (NAME_MAX + 1 and 65 bytes), or -ENOENT with Docker's "network X
	 * not found".  At once; for create's checks.
	 */
	int	(*resolve)(void *st, const char *network, char *name, char *id,
		    struct berth_err *err);
	/*
	 * sandbox - the container's network namespace, made with loopback
	 * up (or found again after a restart); done gets its file, the
	 * SandboxKey that runtimes join.
	 */
	void	(*sandbox)(void *st, const char *container,
		    berth_networks_path_cb done, void *arg);
	/* sandbox_free - the namespace goes, after every leave. */
	void	(*sandbox_free)(void *st, const char *container,
		    berth_networks_done_cb done, void *arg);
	/*
	 * join - an address, the driver's endpoint and join, the interface
	 * moved into the sandbox, named ethN and configured; emits
	 * "connect".  -EEXIST if the container is there already.
	 */
	void	(*join)(void *st, const struct berth_networks_join *j,
		    berth_networks_join_cb done, void *arg);
	/*
	 * leave - the container's endpoint on network (name or ID) goes;
	 * emits "disconnect".  No such endpoint: 0.
	 */
	void	(*leave)(void *st, const char *network, const char *container,
		    berth_networks_done_cb done, void *arg);
};

#endif
