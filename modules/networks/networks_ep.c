/*
 * networks_ep.c - endpoints: networks/1, what the containers service
 * calls to put a container on a network and take it off again, in
 * Docker's order:
 *
 * join:	RequestAddress -> CreateEndpoint -> Join -> the interface
 *		into the sandbox (named, addressed, routed) ->
 *		ProgramExternalConnectivity -> record -> "connect"
 * leave:	RevokeExternalConnectivity -> Leave -> DeleteEndpoint ->
 *		ReleaseAddress -> record gone -> "disconnect"
 *
 * A join that fails part-way undoes what it did.  Records live in
 * <data-root>/networks/endpoints/<endpoint>.json; at start, once its
 * network is restored, each endpoint is asked of IPAM and its driver
 * again (both take a repeat as success), so a container that kept
 * running through a restart keeps its address and its interface.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <berth/cidr.h>
#include <berth/fs.h>
#include <berth/json.h>

#include "networks.h"

/* The network a container names: "default" is the bridge. */
static struct nw_net *
net_named(struct networks *nw, const char *ref)
{
	return networks_find(nw, strcmp(ref, "default") == 0 ? "bridge" : ref);
}

struct nw_ep *
networks_ep_of(struct networks *nw, const char *net_id, const char *container)
{
	struct nw_ep	*e;

	TAILQ_FOREACH(e, &nw->eps, entry)
		if (strcmp(e->net_id, net_id) == 0 &&
		    strcmp(e->container, container) == 0)
			return e;
	return NULL;
}

int
networks_net_in_use(struct networks *nw, const struct nw_net *n)
{
	struct nw_ep	*e;

	TAILQ_FOREACH(e, &nw->eps, entry)
		if (strcmp(e->net_id, n->id) == 0)
			return 1;
	return 0;
}

void
networks_ep_free(struct nw_ep *e)
{
	free(e->container);
	free(e->name);
	json_object_put(e->aliases);
	json_object_put(e->ipam_config);
	free(e->address);
	free(e->mac);
	free(e->gateway);
	free(e->sandbox);
	free(e->ifname);
	json_object_put(e->portmap);
	json_object_put(e->exposed);
	json_object_put(e->dns);
	free(e);
}

static void
ep_path(struct networks *nw, const struct nw_ep *e, char *buf, size_t len)
{
	snprintf(buf, len, "%s/endpoints/%s.json", nw->dir, e->id);
}

/* Network inspect's Containers: ID -> Name, EndpointID, MAC, IPv4. */
json_object *
networks_containers_json(struct networks *nw, const struct nw_net *n)
{
	json_object	*o = json_object_new_object(), *c;
	struct nw_ep	*e;

	TAILQ_FOREACH(e, &nw->eps, entry) {
		if (!e->ready || strcmp(e->net_id, n->id) != 0)
			continue;
		c = json_object_new_object();
		json_object_object_add(c, "Name",
		    json_object_new_string(e->name));
		json_object_object_add(c, "EndpointID",
		    json_object_new_string(e->id));
		json_object_object_add(c, "MacAddress",
		    json_object_new_string(e->mac ? e->mac : ""));
		json_object_object_add(c, "IPv4Address",
		    json_object_new_string(e->address ? e->address : ""));
		json_object_object_add(c, "IPv6Address",
		    json_object_new_string(""));
		json_object_object_add(o, e->container, c);
	}
	return o;
}

/* EndpointSettings as container inspect shows them. */
json_object *
networks_ep_settings(const struct nw_ep *e)
{
	json_object		*o = json_object_new_object();
	struct berth_cidr	 a = { 0, 0 };
	char			 ip[BERTH_CIDR_LEN];

	if (e->address != NULL)
		(void)berth_cidr_parse(e->address, 1, &a);
	json_object_object_add(o, "IPAMConfig",
	    json_object_get(e->ipam_config));
	json_object_object_add(o, "Links", NULL);
	json_object_object_add(o, "Aliases", json_object_get(e->aliases));
	json_object_object_add(o, "NetworkID", json_object_new_string(e->net_id));
	json_object_object_add(o, "EndpointID", json_object_new_string(e->id));
	json_object_object_add(o, "Gateway",
	    json_object_new_string(e->gateway ? e->gateway : ""));
	json_object_object_add(o, "IPAddress", json_object_new_string(
	    e->address ? berth_cidr_fmt(a.addr, -1, ip, sizeof(ip)) : ""));
	json_object_object_add(o, "IPPrefixLen", json_object_new_int(
	    e->address ? a.prefix : 0));
	json_object_object_add(o, "IPv6Gateway", json_object_new_string(""));
	json_object_object_add(o, "GlobalIPv6Address",
	    json_object_new_string(""));
	json_object_object_add(o, "GlobalIPv6PrefixLen", json_object_new_int(0));
	json_object_object_add(o, "MacAddress",
	    json_object_new_string(e->mac ? e->mac : ""));
	json_object_object_add(o, "DriverOpts", NULL);
	return o;
}

static json_object *
ep_record(const struct nw_ep *e)
{
	json_object	*o = json_object_new_object();

	json_object_object_add(o, "Id", json_object_new_string(e->id));
	json_object_object_add(o, "Network", json_object_new_string(e->net_id));
	json_object_object_add(o, "Container",
	    json_object_new_string(e->container));
	json_object_object_add(o, "Name", json_object_new_string(e->name));
	json_object_object_add(o, "Aliases", json_object_get(e->aliases));
	json_object_object_add(o, "IPAMConfig", json_object_get(e->ipam_config));
#define S(k, v)	if ((v) != NULL) json_object_object_add(o, k, \
			    json_object_new_string(v))
	S("Address", e->address);
	S("MacAddress", e->mac);
	S("Gateway", e->gateway);
	S("Sandbox", e->sandbox);
	S("IfName", e->ifname);
#undef S
	if (e->portmap != NULL)
		json_object_object_add(o, "PortMap", json_object_get(e->portmap));
	if (e->exposed != NULL)
		json_object_object_add(o, "Exposed", json_object_get(e->exposed));
	if (e->dns != NULL)
		json_object_object_add(o, "Dns", json_object_get(e->dns));
	return o;
}

/* The pool of net that holds address (CIDR), or NULL. */
static const struct nw_pool *
pool_of(const struct nw_net *n, const char *address)
{
	struct berth_cidr	a, s;
	size_t			i;

	if (address == NULL || berth_cidr_parse(address, 1, &a) < 0)
		return NULL;
	for (i = 0; i < n->npools; i++)
		if (n->pools[i].pool_id != NULL &&
		    berth_cidr_parse(n->pools[i].subnet, 1, &s) == 0 &&
		    berth_cidr_contains(&s, a.addr))
			return &n->pools[i];
	return NULL;
}

static void
ignore(void *arg, int rc, const struct berth_err *err)
{
}

/* Give e's address back to the IPAM driver of n, if it holds one. */
static void
release_address(const struct berth_ipam_ops *ipam, void *ist,
    const struct nw_net *n, const struct nw_ep *e)
{
	const struct nw_pool	*p;
	struct berth_cidr	 a;
	char			 ip[BERTH_CIDR_LEN];

	if (ipam != NULL && (p = pool_of(n, e->address)) != NULL &&
	    berth_cidr_parse(e->address, 1, &a) == 0)
		ipam->release_address(ist, p->pool_id,
		    berth_cidr_fmt(a.addr, -1, ip, sizeof(ip)), ignore, NULL);
}

/* --- join ------------------------------------------------------------------ */

enum join_stage { J_ADDR, J_CREATE, J_JOIN, J_SANDBOX, J_PROGRAM, J_SAVE,
    J_DONE };

struct join {
	struct networks			*nw;
	struct nw_net			*n;
	struct nw_ep			*e;
	const struct berth_network_ops	*drv;
	void				*drv_st;
	const struct berth_ipam_ops	*ipam;
	void				*ipam_st;
	enum join_stage			 stage;
	int				 replay;
	int				 addr_held, created, joined;
	char				*want_ip;	/* --ip, or NULL */
	char				*src, *prefix;	/* from Join */
	struct berth_rtnl_route		*routes;	/* StaticRoutes */
	size_t				 nroutes;
	char				 ifname[IFNAMSIZ];
	const char			*what;
	int				 rc;
	berth_networks_join_cb		 cb;
	void				*arg;
};

static void	join_step(struct join *);


static void
join_free(struct join *j)
{
	networks_net_unref(j->n);
	free(j->want_ip);
	free(j->src);
	free(j->prefix);
	free(j->routes);
	free(j);
}

static void
join_fail(struct join *j, int rc, const struct berth_err *err)
{
	struct berth_err	 e = BERTH_ERR_INIT;

	if (err == NULL || err->msg[0] == '\0') {
		berth_err_set(&e, rc, "%s", strerror(-rc));
		err = &e;
	}
	if (j->replay) {
		/* Keep the record: a later leave still finds it. */
		j->e->busy = 0;
		j->e->ready = 1;
		j->nw->h->log(j->nw->h, BERTH_LOG_WARN, "endpoint %.12s of %s "
		    "on %s: cannot restore it: %s", j->e->id, j->e->name,
		    j->n->name, err->msg);
		join_free(j);
		return;
	}
	if (j->joined)
		j->drv->leave(j->drv_st, j->n->id, j->e->id, ignore, NULL);
	if (j->created)
		j->drv->delete_endpoint(j->drv_st, j->n->id, j->e->id, ignore,
		    NULL);
	if (j->addr_held)
		release_address(j->ipam, j->ipam_st, j->n, j->e);
	TAILQ_REMOVE(&j->nw->eps, j->e, entry);
	networks_ep_free(j->e);
	j->cb(j->arg, rc, j->n->name, NULL, err);
	join_free(j);
}

static void
addr_done(void *arg, int rc, const char *address, json_object *data,
    const struct berth_err *err)
{
	struct join		*j = arg;
	struct berth_err	 e = BERTH_ERR_INIT;

	if (rc < 0) {
		if (j->want_ip != NULL)
			berth_err_set(&e, rc, "%s", err != NULL ? err->msg :
			    strerror(-rc));
		else
			berth_err_set(&e, rc, "no available IPv4 address on "
			    "network %s: %s", j->n->name, err != NULL ?
			    err->msg : strerror(-rc));
		join_fail(j, rc, &e);
		return;
	}
	j->addr_held = 1;
	if (!j->replay) {
		free(j->e->address);
		if ((j->e->address = strdup(address)) == NULL) {
			join_fail(j, -ENOMEM, NULL);
			return;
		}
	}
	j->stage = J_CREATE;
	join_step(j);
}

static void
created(void *arg, int rc, const struct berth_net_iface *iface,
    const struct berth_err *err)
{
	struct join	*j = arg;

	if (rc < 0) {
		join_fail(j, rc, err);
		return;
	}
	j->created = 1;
	if (j->e->mac == NULL && iface != NULL && iface->mac_address != NULL &&
	    iface->mac_address[0] != '\0' &&
	    (j->e->mac = strdup(iface->mac_address)) == NULL) {
		join_fail(j, -ENOMEM, NULL);
		return;
	}
	j->stage = J_JOIN;
	join_step(j);
}

/* Join's StaticRoutes, parsed for the sandbox job (a stride of size). */
static int
join_routes(struct join *j, const struct berth_net_join_info *info,
    struct berth_err *err)
{
	const struct berth_net_route	*r;
	struct berth_cidr		 dst, hop;
	size_t				 i;

	if (info->nroutes == 0 || info->routes == NULL)
		return 0;
	if ((j->routes = calloc(info->nroutes, sizeof(*j->routes))) == NULL)
		return berth_err_set(err, -ENOMEM, "out of memory");
	for (i = 0; i < info->nroutes; i++) {
		r = (const void *)((const char *)info->routes +
		    i * info->routes->size);
		hop.addr = 0;
		if (r->destination == NULL || berth_cidr_parse(r->destination,
		    strchr(r->destination, '/') != NULL, &dst) < 0 ||
		    (r->route_type == 0 && berth_cidr_parse(r->next_hop, 0,
		    &hop) < 0))
			return berth_err_set(err, -EINVAL, "joining %s: the "
			    "driver's static route %s via %s is not IPv4",
			    j->n->name, r->destination, r->next_hop);
		j->routes[i].dst = dst.addr;
		j->routes[i].prefix = strchr(r->destination, '/') != NULL ?
		    dst.prefix : 32;
		j->routes[i].gw = r->route_type == 0 ? hop.addr : 0;
	}
	j->nroutes = info->nroutes;
	return 0;
}

static void
joined(void *arg, int rc, const struct berth_net_join_info *info,
    const struct berth_err *err)
{
	struct join		*j = arg;
	struct berth_err	 e = BERTH_ERR_INIT;

	if (rc < 0) {
		join_fail(j, rc, err);
		return;
	}
	j->joined = 1;
	if (info != NULL && info->src_name != NULL && *info->src_name &&
	    ((j->src = strdup(info->src_name)) == NULL ||
	    (j->prefix = strdup(info->dst_prefix != NULL &&
	    *info->dst_prefix ? info->dst_prefix : "eth")) == NULL)) {
		join_fail(j, -ENOMEM, NULL);
		return;
	}
	if (!j->replay && info != NULL && info->gateway != NULL &&
	    *info->gateway != '\0') {
		free(j->e->gateway);
		if ((j->e->gateway = strdup(info->gateway)) == NULL) {
			join_fail(j, -ENOMEM, NULL);
			return;
		}
	}
	if (info != NULL && (rc = join_routes(j, info, &e)) < 0) {
		join_fail(j, rc, &e);
		return;
	}
	/* On a replay the interface is in the sandbox already. */
	j->stage = j->src != NULL && !j->replay ? J_SANDBOX : J_PROGRAM;
	join_step(j);
}

static void
sandbox_work(void *arg)
{
	struct join		*j = arg;
	struct nw_iface		 in;
	struct berth_cidr	 gw = { 0, 0 };

	memset(&in, 0, sizeof(in));
	in.src = j->src;
	in.prefix = j->prefix;
	in.address = j->e->address;
	in.mac = j->e->mac;
	in.routes = j->routes;
	in.nroutes = j->nroutes;
	/*
	 * The first network joined routes by its gateway, as Docker: a
	 * later one finds the default route taken (berth_rtnl_route_default
	 * takes that as done).  An internal network has no way out.
	 */
	if (j->e->gateway != NULL && berth_cidr_parse(j->e->gateway, 0,
	    &gw) == 0 && !j->n->internal)
		in.gateway = gw.addr;
	j->rc = networks_netns_iface(j->e->sandbox, &in, j->ifname, &j->what);
}

static void
sandbox_done(void *arg)
{
	struct join		*j = arg;
	struct berth_err	 e = BERTH_ERR_INIT;

	if (j->rc < 0) {
		berth_err_set(&e, j->rc, "joining %s: %s: %s", j->n->name,
		    j->what, strerror(-j->rc));
		join_fail(j, j->rc, &e);
		return;
	}
	if ((j->e->ifname = strdup(j->ifname)) == NULL) {
		join_fail(j, -ENOMEM, NULL);
		return;
	}
	j->stage = J_PROGRAM;
	join_step(j);
}

/* The ports as the driver programmed them, host ports chosen. */
static void
oper_info(void *arg, int rc, json_object *value, const struct berth_err *err)
{
	struct join	*j = arg;
	json_object	*pm = berth_json_get(value, BERTH_NET_OPT_PORTMAP);

	if (rc == 0 && pm != NULL && json_object_is_type(pm, json_type_array)) {
		json_object_put(j->e->portmap);
		j->e->portmap = json_object_get(pm);
	}
	j->stage = j->replay ? J_DONE : J_SAVE;
	join_step(j);
}

static void
programmed(void *arg, int rc, const struct berth_err *err)
{
	struct join		*j = arg;
	struct berth_err	 e = BERTH_ERR_INIT;

	if (rc < 0 && rc != -ENOTSUP) {
		berth_err_set(&e, rc, "driver failed programming external "
		    "connectivity on endpoint %s (%s): %s", j->e->name,
		    j->e->id, err != NULL ? err->msg : strerror(-rc));
		join_fail(j, rc, &e);
		return;
	}
	if (j->e->portmap != NULL && j->drv->endpoint_oper_info != NULL) {
		j->drv->endpoint_oper_info(j->drv_st, j->n->id, j->e->id,
		    oper_info, j);
		return;
	}
	j->stage = j->replay ? J_DONE : J_SAVE;
	join_step(j);
}

static void
saved(void *arg, int rc, const struct berth_err *err)
{
	struct join	*j = arg;

	if (rc < 0) {
		join_fail(j, rc, err);
		return;
	}
	j->stage = J_DONE;
	join_step(j);
}

static void
join_step(struct join *j)
{
	struct berth_net_endpoint	 ce;
	struct berth_net_join		 jr;
	struct berth_err		 e = BERTH_ERR_INIT;
	const struct nw_pool		*p;
	struct berth_cidr		 a;
	json_object			*o;
	char				 path[PATH_MAX], ip[BERTH_CIDR_LEN];

	switch (j->stage) {
	case J_ADDR:
		if (j->ipam == NULL || j->n->npools == 0) {
			j->stage = J_CREATE;
			join_step(j);
			return;
		}
		p = &j->n->pools[0];
		if (j->replay && j->e->address != NULL &&
		    berth_cidr_parse(j->e->address, 1, &a) == 0) {
			if ((p = pool_of(j->n, j->e->address)) == NULL) {
				join_fail(j, -ENOENT, NULL);
				return;
			}
			berth_cidr_fmt(a.addr, -1, ip, sizeof(ip));
		} else
			snprintf(ip, sizeof(ip), "%s",
			    j->want_ip != NULL ? j->want_ip : "");
		if (p->pool_id == NULL) {
			berth_err_set(&e, -EIO, "network %s has no address "
			    "pool (it could not be restored)", j->n->name);
			join_fail(j, -EIO, &e);
			return;
		}
		j->ipam->request_address(j->ipam_st, p->pool_id, ip, NULL,
		    addr_done, j);
		return;
	case J_CREATE:
		memset(&ce, 0, sizeof(ce));
		ce.size = sizeof(ce);
		ce.network_id = j->n->id;
		ce.endpoint_id = j->e->id;
		ce.iface.size = sizeof(ce.iface);
		ce.iface.address = j->e->address != NULL ? j->e->address : "";
		ce.iface.address_ipv6 = "";
		ce.iface.mac_address = j->e->mac != NULL ? j->e->mac : "";
		j->drv->create_endpoint(j->drv_st, &ce, created, j);
		return;
	case J_JOIN:
		memset(&jr, 0, sizeof(jr));
		jr.size = sizeof(jr);
		jr.network_id = j->n->id;
		jr.endpoint_id = j->e->id;
		jr.sandbox_key = j->e->sandbox;
		j->drv->join(j->drv_st, &jr, joined, j);
		return;
	case J_SANDBOX:
		if (j->nw->h->work(j->nw->h, sandbox_work, sandbox_done, j) < 0)
			join_fail(j, -ENOMEM, NULL);
		return;
	case J_PROGRAM:
		if (j->drv->program_external_connectivity == NULL) {
			programmed(j, 0, NULL);
			return;
		}
		o = json_object_new_object();
		if (j->e->portmap != NULL)
			json_object_object_add(o, BERTH_NET_OPT_PORTMAP,
			    json_object_get(j->e->portmap));
		if (j->e->exposed != NULL)
			json_object_object_add(o, BERTH_NET_OPT_EXPOSED,
			    json_object_get(j->e->exposed));
		j->drv->program_external_connectivity(j->drv_st, j->n->id,
		    j->e->id, o, programmed, j);
		json_object_put(o);
		return;
	case J_SAVE:
		ep_path(j->nw, j->e, path, sizeof(path));
		o = ep_record(j->e);
		networks_write(j->nw, path, o, saved, j);
		json_object_put(o);
		return;
	case J_DONE:
		j->e->busy = 0;
		j->e->ready = 1;
		/* User-defined networks resolve names: Docker's 127.0.0.11. */
		if (!j->n->predefined && j->e->sandbox != NULL)
			networks_dns_start(j->nw, j->e->container,
			    j->e->sandbox, j->e->dns);
		if (!j->replay) {
			networks_emit(j->nw, "connect", j->n, j->e->container);
			o = networks_ep_settings(j->e);
			if (j->e->portmap != NULL || j->e->exposed != NULL)
				json_object_object_add(o, "Ports",
				    networks_ports_json(j->e));
			j->cb(j->arg, 0, j->n->name, o, NULL);
			json_object_put(o);
		}
		join_free(j);
		return;
	}
}

static struct join *
join_new(struct networks *nw, struct nw_net *n, struct nw_ep *e,
    struct berth_err *err)
{
	struct join	*j;

	if ((j = calloc(1, sizeof(*j))) == NULL) {
		berth_err_set(err, -ENOMEM, "out of memory");
		return NULL;
	}
	j->nw = nw;
	j->n = n;
	j->e = e;
	if ((j->drv = networks_driver(nw, n->driver, &j->drv_st, err)) ==
	    NULL || (networks_needs_ipam(n->driver) &&
	    (j->ipam = networks_ipam(nw, n->ipam_driver, &j->ipam_st, err)) ==
	    NULL)) {
		free(j);
		return NULL;
	}
	networks_net_ref(n);
	return j;
}

/* The aliases of an endpoint: the short ID first on user networks. */
static json_object *
ep_aliases(const struct nw_net *n, const char *container, json_object *cfg)
{
	json_object	*a, *given = berth_json_get(cfg, "Aliases");
	char		 shortid[13];
	size_t		 i;

	if (n->predefined)
		return given != NULL && json_object_is_type(given,
		    json_type_array) ? json_object_get(given) : NULL;
	a = json_object_new_array();
	snprintf(shortid, sizeof(shortid), "%.12s", container);
	json_object_array_add(a, json_object_new_string(shortid));
	for (i = 0; given != NULL && json_object_is_type(given,
	    json_type_array) && i < json_object_array_length(given); i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(
		    given, i)), shortid) != 0)
			json_object_array_add(a, json_object_get(
			    json_object_array_get_idx(given, i)));
	return a;
}

/*
 * A join that finds its network still being made or restored (berthd
 * has just started) waits for it: the request is copied (the caller's
 * is borrowed) and tried again whenever a network settles.
 */
struct nw_defer {
	TAILQ_ENTRY(nw_defer)		 entry;
	struct berth_networks_join	 req;
	char				*network, *container, *name, *sandbox;
	berth_networks_join_cb		 cb;
	void				*arg;
};

static void	join_now(struct networks *, const struct berth_networks_join *,
		    berth_networks_join_cb, void *);

static void
defer_free(struct nw_defer *d)
{
	free(d->network);
	free(d->container);
	free(d->name);
	free(d->sandbox);
	json_object_put(d->req.endpoint);
	json_object_put(d->req.port_bindings);
	json_object_put(d->req.exposed_ports);
	json_object_put(d->req.dns);
	free(d);
}

static int
defer_join(struct networks *nw, const struct berth_networks_join *req,
    berth_networks_join_cb cb, void *arg)
{
	struct nw_defer	*d;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return -1;
	d->cb = cb;
	d->arg = arg;
	d->req = *req;
	d->req.network = d->network = strdup(req->network);
	d->req.container = d->container = strdup(req->container);
	d->req.name = d->name = strdup(req->name);
	d->req.sandbox_key = d->sandbox = strdup(req->sandbox_key);
	json_object_get(d->req.endpoint);
	json_object_get(d->req.port_bindings);
	json_object_get(d->req.exposed_ports);
	json_object_get(d->req.dns);
	if (d->network == NULL || d->container == NULL || d->name == NULL ||
	    d->sandbox == NULL) {
		defer_free(d);
		return -1;
	}
	TAILQ_INSERT_TAIL(&nw->deferred, d, entry);
	return 0;
}

/* A network stopped being busy: the joins that waited go again. */
void
networks_net_settled(struct networks *nw, struct nw_net *n)
{
	struct nw_defer_list	 todo = TAILQ_HEAD_INITIALIZER(todo);
	struct nw_defer		*d;

	n->busy = 0;
	/* One still waiting on another network queues itself again. */
	TAILQ_CONCAT(&todo, &nw->deferred, entry);
	while ((d = TAILQ_FIRST(&todo)) != NULL) {
		TAILQ_REMOVE(&todo, d, entry);
		join_now(nw, &d->req, d->cb, d->arg);
		defer_free(d);
	}
}

/* At fini: nobody is left to answer. */
void
networks_ep_forget_deferred(struct networks *nw)
{
	struct nw_defer	*d;

	while ((d = TAILQ_FIRST(&nw->deferred)) != NULL) {
		TAILQ_REMOVE(&nw->deferred, d, entry);
		defer_free(d);
	}
}

static void
svc_join(void *st, const struct berth_networks_join *req,
    berth_networks_join_cb cb, void *arg)
{
	join_now(st, req, cb, arg);
}

static void
join_now(struct networks *nw, const struct berth_networks_join *req,
    berth_networks_join_cb cb, void *arg)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	struct nw_net		*n;
	struct nw_ep		*e = NULL;
	struct join		*j;
	json_object		*ipc;
	const char		*ip, *mac;
	struct berth_cidr	 a;

	n = net_named(nw, req->network);
	if (n == NULL) {
		berth_err_set(&err, -ENOENT, "network %s not found",
		    req->network);
		goto fail;
	}
	if (n->busy) {
		if (defer_join(nw, req, cb, arg) == 0)
			return;
		berth_err_set(&err, -ENOMEM, "out of memory");
		goto fail;
	}
	if (networks_ep_of(nw, n->id, req->container) != NULL) {
		berth_err_set(&err, -EPERM, "endpoint with name %s already "
		    "exists in network %s", req->name, n->name);
		goto fail;
	}
	ipc = berth_json_get(req->endpoint, "IPAMConfig");
	ip = berth_json_str(ipc, "IPv4Address");
	if (ip != NULL && *ip == '\0')
		ip = NULL;
	if (ip != NULL && (n->predefined || n->npools == 0)) {
		berth_err_set(&err, -EINVAL, "user specified IP address is "
		    "supported on user defined networks only");
		goto fail;
	}
	if (ip != NULL && berth_cidr_parse(ip, 0, &a) < 0) {
		berth_err_set(&err, -EINVAL, "invalid IPv4 address: %s", ip);
		goto fail;
	}
	mac = berth_json_str(req->endpoint, "MacAddress");
	if ((e = calloc(1, sizeof(*e))) == NULL ||
	    berth_id_new(e->id) < 0 ||
	    (e->container = strdup(req->container)) == NULL ||
	    (e->name = strdup(req->name)) == NULL ||
	    (e->sandbox = strdup(req->sandbox_key)) == NULL ||
	    (mac != NULL && *mac != '\0' && (e->mac = strdup(mac)) == NULL)) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		goto fail;
	}
	snprintf(e->net_id, sizeof(e->net_id), "%s", n->id);
	e->aliases = ep_aliases(n, req->container, req->endpoint);
	if (networks_ports_request(e, req, &err) < 0)
		goto fail;
	if (req->dns != NULL &&
	    json_object_is_type(req->dns, json_type_array) &&
	    json_object_array_length(req->dns) > 0)
		e->dns = json_object_get(req->dns);
	if (ipc != NULL && json_object_is_type(ipc, json_type_object))
		e->ipam_config = json_object_get(ipc);
	if ((j = join_new(nw, n, e, &err)) == NULL)
		goto fail;
	if (ip != NULL && (j->want_ip = strdup(ip)) == NULL) {
		join_free(j);
		berth_err_set(&err, -ENOMEM, "out of memory");
		goto fail;
	}
	j->cb = cb;
	j->arg = arg;
	e->busy = 1;
	TAILQ_INSERT_TAIL(&nw->eps, e, entry);
	j->stage = J_ADDR;
	join_step(j);
	return;
fail:
	if (e != NULL)
		networks_ep_free(e);
	cb(arg, err.code, n != NULL ? n->name : req->network, NULL, &err);
}

/* At start, after net is restored: its endpoints asked for again. */
void
networks_ep_replay(struct networks *nw, const struct nw_net *net)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	struct nw_ep		*e;
	struct nw_net		*n;
	struct join		*j;

	if ((n = networks_find(nw, net->id)) == NULL)
		return;
	TAILQ_FOREACH(e, &nw->eps, entry) {
		if (strcmp(e->net_id, n->id) != 0 || e->busy)
			continue;
		if ((j = join_new(nw, n, e, &err)) == NULL) {
			e->ready = 1;
			continue;
		}
		j->replay = 1;
		e->busy = 1;
		j->stage = J_ADDR;
		join_step(j);
	}
}

/* --- leave ----------------------------------------------------------------- */

struct leave {
	struct networks			*nw;
	struct nw_net			*n;
	struct nw_ep			*e;
	const struct berth_network_ops	*drv;
	void				*drv_st;
	berth_networks_done_cb		 cb;
	void				*arg;
};

static void
left_forgotten(void *arg, int rc, const struct berth_err *err)
{
	struct leave	*l = arg;

	if (rc < 0)
		l->nw->h->log(l->nw->h, BERTH_LOG_WARN, "endpoint %.12s: %s",
		    l->e->id, err != NULL ? err->msg : strerror(-rc));
	networks_emit(l->nw, "disconnect", l->n, l->e->container);
	TAILQ_REMOVE(&l->nw->eps, l->e, entry);
	networks_ep_free(l->e);
	l->cb(l->arg, 0, NULL);
	networks_net_unref(l->n);
	free(l);
}

static void
left_deleted(void *arg, int rc, const struct berth_err *err)
{
	struct leave		*l = arg;
	const struct berth_ipam_ops *ipam = NULL;
	char			 path[PATH_MAX];
	void			*ist = NULL;

	/* The endpoint is ours to forget whatever the driver said. */
	if (rc < 0)
		l->nw->h->log(l->nw->h, BERTH_LOG_WARN, "endpoint %.12s: %s",
		    l->e->id, err != NULL ? err->msg : strerror(-rc));
	if (networks_needs_ipam(l->n->driver))
		ipam = networks_ipam(l->nw, l->n->ipam_driver, &ist, NULL);
	release_address(ipam, ist, l->n, l->e);
	ep_path(l->nw, l->e, path, sizeof(path));
	networks_write(l->nw, path, NULL, left_forgotten, l);
}

static void
left(void *arg, int rc, const struct berth_err *err)
{
	struct leave	*l = arg;

	l->drv->delete_endpoint(l->drv_st, l->n->id, l->e->id, left_deleted, l);
}

static void
revoked(void *arg, int rc, const struct berth_err *err)
{
	struct leave	*l = arg;

	l->drv->leave(l->drv_st, l->n->id, l->e->id, left, l);
}

static void
svc_leave(void *st, const char *network, const char *container,
    berth_networks_done_cb cb, void *arg)
{
	struct networks		*nw = st;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct nw_net		*n;
	struct nw_ep		*e;
	struct leave		*l;

	if ((n = net_named(nw, network)) == NULL ||
	    (e = networks_ep_of(nw, n->id, container)) == NULL) {
		cb(arg, 0, NULL);
		return;
	}
	if (e->busy) {
		berth_err_set(&err, -EBUSY, "the endpoint of %s on %s is busy",
		    e->name, n->name);
		cb(arg, -EBUSY, &err);
		return;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		cb(arg, -ENOMEM, &err);
		return;
	}
	l->nw = nw;
	l->n = n;
	l->e = e;
	l->cb = cb;
	l->arg = arg;
	networks_net_ref(n);
	e->busy = 1;
	e->ready = 0;
	if ((l->drv = networks_driver(nw, n->driver, &l->drv_st, NULL)) ==
	    NULL) {
		/* Its driver is gone: the endpoint is only ours now. */
		left_deleted(l, 0, NULL);
		return;
	}
	if (l->drv->revoke_external_connectivity != NULL)
		l->drv->revoke_external_connectivity(l->drv_st, n->id, e->id,
		    revoked, l);
	else
		revoked(l, 0, NULL);
}

static int
svc_resolve(void *st, const char *network, char *name, char *id,
    struct berth_err *err)
{
	struct networks	*nw = st;
	struct nw_net	*n;

	n = net_named(nw, network);
	if (n == NULL)
		return berth_err_set(err, -ENOENT, "network %s not found",
		    network);
	snprintf(name, NAME_MAX + 1, "%s", n->name);
	snprintf(id, NW_ID_LEN + 1, "%s", n->id);
	return 0;
}

const struct berth_networks_ops networks_svc_ops = {
	.size = sizeof(struct berth_networks_ops),
	.resolve = svc_resolve,
	.sandbox = networks_svc_sandbox,
	.sandbox_free = networks_svc_sandbox_free,
	.join = svc_join,
	.leave = svc_leave,
};

/* --- records at start ------------------------------------------------------- */

static struct nw_ep *
ep_from_record(json_object *o)
{
	struct nw_ep	*e;
	const char	*id = berth_json_str(o, "Id"), *net, *c, *name;
	json_object	*x;

	net = berth_json_str(o, "Network");
	c = berth_json_str(o, "Container");
	name = berth_json_str(o, "Name");
	if (id == NULL || net == NULL || c == NULL || name == NULL ||
	    strlen(id) != NW_ID_LEN || strlen(net) != NW_ID_LEN ||
	    (e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	memcpy(e->id, id, NW_ID_LEN + 1);
	memcpy(e->net_id, net, NW_ID_LEN + 1);
	e->container = strdup(c);
	e->name = strdup(name);
#define S(k, f)	if (berth_json_str(o, k) != NULL) \
			e->f = strdup(berth_json_str(o, k))
	S("Address", address);
	S("MacAddress", mac);
	S("Gateway", gateway);
	S("Sandbox", sandbox);
	S("IfName", ifname);
#undef S
	if ((x = berth_json_get(o, "Aliases")) != NULL &&
	    json_object_is_type(x, json_type_array))
		e->aliases = json_object_get(x);
	if ((x = berth_json_get(o, "IPAMConfig")) != NULL &&
	    json_object_is_type(x, json_type_object))
		e->ipam_config = json_object_get(x);
	if ((x = berth_json_get(o, "PortMap")) != NULL &&
	    json_object_is_type(x, json_type_array))
		e->portmap = json_object_get(x);
	if ((x = berth_json_get(o, "Exposed")) != NULL &&
	    json_object_is_type(x, json_type_array))
		e->exposed = json_object_get(x);
	if ((x = berth_json_get(o, "Dns")) != NULL &&
	    json_object_is_type(x, json_type_array))
		e->dns = json_object_get(x);
	if (e->container == NULL || e->name == NULL || e->sandbox == NULL) {
		networks_ep_free(e);
		return NULL;
	}
	return e;
}

/* Read every endpoint record once, before berthd serves. */
int
networks_ep_load(struct networks *nw, const char *dir)
{
	struct dirent	*d;
	struct nw_ep	*e;
	json_object	*o;
	DIR		*dp;
	char		 p[PATH_MAX];
	size_t		 len;
	int		 rc;

	if ((rc = berth_mkdirs(dir, 0700)) < 0 || (dp = opendir(dir)) == NULL) {
		nw->h->log(nw->h, BERTH_LOG_WARN, "%s: %s", dir,
		    strerror(rc < 0 ? -rc : errno));
		return 0;
	}
	while ((d = readdir(dp)) != NULL) {
		len = strlen(d->d_name);
		snprintf(p, sizeof(p), "%s/%s", dir, d->d_name);
		if (len > 9 && strcmp(d->d_name + len - 9, ".json.tmp") == 0) {
			(void)unlink(p);
			continue;
		}
		if (len < 6 || strcmp(d->d_name + len - 5, ".json") != 0)
			continue;
		e = NULL;
		if ((o = json_object_from_file(p)) != NULL)
			e = ep_from_record(o);
		json_object_put(o);
		if (e == NULL || net_named(nw, e->net_id) == NULL) {
			/* Of a network that is gone: nothing can use it. */
			nw->h->log(nw->h, BERTH_LOG_WARN, "%s: endpoint record "
			    "of no network, removed", p);
			if (e != NULL)
				networks_ep_free(e);
			(void)unlink(p);
			continue;
		}
		TAILQ_INSERT_TAIL(&nw->eps, e, entry);
	}
	closedir(dp);
	return 0;
}
