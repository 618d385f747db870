/*
 * networks - the networks service: the /networks API, network events,
 * Plugins.Network in /info, Docker's default IPAM ("default") and the
 * "host" and "null" drivers, and networks/1 for the containers service.
 * Bridges, veths and rules are a driver's business (net-bridge); this
 * module makes only containers' network namespaces and sets up the
 * interfaces drivers hand it inside them, as Docker's sandbox does.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <berth/cidr.h>
#include <berth/conf.h>
#include <berth/host.h>
#include <berth/info.h>
#include <berth/json.h>
#include <berth/module.h>
#include <berth/route.h>
#include <berth/timefmt.h>

#include "networks.h"

static const struct berth_route networks_routes[] = {
	{ BERTH_GET,	"/networks",			NULL,
	    networks_h_list, 0, 0 },
	{ BERTH_POST,	"/networks/create",		NULL,
	    networks_h_create, 0, 0 },
	{ BERTH_POST,	"/networks/prune",		"1.25",
	    networks_h_prune, 0, 0 },
	{ BERTH_GET,	"/networks/{id}",		NULL,
	    networks_h_inspect, 0, 0 },
	{ BERTH_DELETE,	"/networks/{id}",		NULL,
	    networks_h_remove, 0, 0 },
};

static const struct berth_conf_key networks_conf_keys[] = {
	{ "bridge",	BERTH_CONF_STRING,
	    "Linux name of the default bridge network's bridge (berth0)" },
	{ NULL, 0, NULL }
};

/* The names Docker reserves, with the driver each one is. */
static const struct {
	const char	*name;
	const char	*driver;
} predefined[] = {
	{ "bridge", "bridge" }, { "host", "host" }, { "none", "null" },
};

int
networks_is_predefined(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof(predefined) / sizeof(predefined[0]); i++)
		if (strcmp(predefined[i].name, name) == 0)
			return 1;
	return strcmp(name, "default") == 0;
}

/* host and null networks have no addresses: Docker gives them no IPAM. */
int
networks_needs_ipam(const char *driver)
{
	return strcmp(driver, "host") != 0 && strcmp(driver, "null") != 0;
}

struct nw_net *
networks_by_name(struct networks *nw, const char *name)
{
	struct nw_net	*n;

	TAILQ_FOREACH(n, &nw->nets, entry)
		if (strcmp(n->name, name) == 0)
			return n;
	return NULL;
}

/* Docker's order: full ID, then exact name, then a unique ID prefix. */
struct nw_net *
networks_find(struct networks *nw, const char *ref)
{
	struct nw_net	*n, *found = NULL;
	size_t		 len;

	if (ref == NULL || *ref == '\0')
		return NULL;
	TAILQ_FOREACH(n, &nw->nets, entry)
		if (n->ready && strcmp(n->id, ref) == 0)
			return n;
	TAILQ_FOREACH(n, &nw->nets, entry)
		if (n->ready && strcmp(n->name, ref) == 0)
			return n;
	len = strlen(ref);
	TAILQ_FOREACH(n, &nw->nets, entry) {
		if (!n->ready || strncmp(n->id, ref, len) != 0)
			continue;
		if (found != NULL)
			return NULL;
		found = n;
	}
	return found;
}

const struct berth_network_ops *
networks_driver(struct networks *nw, const char *name, void **stp,
    struct berth_err *err)
{
	const struct berth_network_ops	*ops;

	ops = nw->h->lookup(nw->h, BERTH_NETWORK_IFACE, name, stp);
	if (ops == NULL)
		berth_err_set(err, -ENOENT, "plugin \"%s\" not found", name);
	return ops;
}

const struct berth_ipam_ops *
networks_ipam(struct networks *nw, const char *name, void **stp,
    struct berth_err *err)
{
	const struct berth_ipam_ops	*ops;

	ops = nw->h->lookup(nw->h, BERTH_IPAM_IFACE, name, stp);
	if (ops == NULL)
		berth_err_set(err, -ENOENT, "plugin \"%s\" not found", name);
	return ops;
}

/*
 * Docker's network events: Actor.ID the network ID, name and type, and
 * the container for connect and disconnect (NULL otherwise).
 */
void
networks_emit(struct networks *nw, const char *action, const struct nw_net *n,
    const char *container)
{
	json_object	*a = json_object_new_object();

	if (container != NULL)
		json_object_object_add(a, "container",
		    json_object_new_string(container));
	json_object_object_add(a, "name", json_object_new_string(n->name));
	json_object_object_add(a, "type", json_object_new_string(n->driver));
	nw->h->emit(nw->h, "network", action, n->id, a);
	json_object_put(a);
}

struct nw_net *
networks_net_new(void)
{
	struct nw_net	*n;

	if ((n = calloc(1, sizeof(*n))) == NULL)
		return NULL;
	n->refs = 1;
	n->gone = 1;		/* not in the table until linked */
	n->options = json_object_new_object();
	n->labels = json_object_new_object();
	return n;
}

void
networks_net_ref(struct nw_net *n)
{
	n->refs++;
}

void
networks_net_unref(struct nw_net *n)
{
	size_t	i;

	if (--n->refs > 0)
		return;
	for (i = 0; i < n->npools; i++) {
		free(n->pools[i].subnet);
		free(n->pools[i].ip_range);
		free(n->pools[i].gateway);
		free(n->pools[i].pool_id);
		json_object_put(n->pools[i].aux);
	}
	free(n->pools);
	json_object_put(n->ipam_options);
	json_object_put(n->options);
	json_object_put(n->labels);
	free(n->name);
	free(n->driver);
	free(n->created);
	free(n->ipam_driver);
	free(n);
}

/* Put n in the table; the table holds a reference. */
void
networks_link(struct networks *nw, struct nw_net *n)
{
	TAILQ_INSERT_TAIL(&nw->nets, n, entry);
	n->gone = 0;
	networks_net_ref(n);
}

void
networks_unlink(struct networks *nw, struct nw_net *n)
{
	if (n->gone)
		return;
	TAILQ_REMOVE(&nw->nets, n, entry);
	n->gone = 1;
	networks_net_unref(n);
}

static json_object *
str_or_empty(const char *s)
{
	return json_object_new_string(s != NULL ? s : "");
}

/* The spec's Network object, as GET /networks/{id} answers it. */
json_object *
networks_json(struct networks *nw, const struct nw_net *n)
{
	json_object	*o = json_object_new_object(), *ipam, *cfg, *c, *from;
	size_t		 i;

	json_object_object_add(o, "Name", json_object_new_string(n->name));
	json_object_object_add(o, "Id", json_object_new_string(n->id));
	json_object_object_add(o, "Created", str_or_empty(n->created));
	json_object_object_add(o, "Scope", json_object_new_string("local"));
	json_object_object_add(o, "Driver", json_object_new_string(n->driver));
	json_object_object_add(o, "EnableIPv6", json_object_new_boolean(0));
	ipam = json_object_new_object();
	json_object_object_add(ipam, "Driver",
	    json_object_new_string(n->ipam_driver));
	json_object_object_add(ipam, "Options",
	    json_object_get(n->ipam_options));
	cfg = json_object_new_array();
	for (i = 0; i < n->npools; i++) {
		c = json_object_new_object();
		json_object_object_add(c, "Subnet",
		    str_or_empty(n->pools[i].subnet));
		if (n->pools[i].ip_range != NULL)
			json_object_object_add(c, "IPRange",
			    json_object_new_string(n->pools[i].ip_range));
		if (n->pools[i].gateway != NULL)
			json_object_object_add(c, "Gateway",
			    json_object_new_string(n->pools[i].gateway));
		if (n->pools[i].aux != NULL)
			json_object_object_add(c, "AuxiliaryAddresses",
			    json_object_get(n->pools[i].aux));
		json_object_array_add(cfg, c);
	}
	json_object_object_add(ipam, "Config", cfg);
	json_object_object_add(o, "IPAM", ipam);
	json_object_object_add(o, "Internal",
	    json_object_new_boolean(n->internal));
	json_object_object_add(o, "Attachable",
	    json_object_new_boolean(n->attachable));
	json_object_object_add(o, "Ingress", json_object_new_boolean(0));
	from = json_object_new_object();
	json_object_object_add(from, "Network", json_object_new_string(""));
	json_object_object_add(o, "ConfigFrom", from);
	json_object_object_add(o, "ConfigOnly", json_object_new_boolean(0));
	json_object_object_add(o, "Containers",
	    networks_containers_json(nw, n));
	json_object_object_add(o, "Options", json_object_get(n->options));
	json_object_object_add(o, "Labels", json_object_get(n->labels));
	return o;
}

/* RFC 3339 with nanoseconds, as Go prints a network's Created. */
void
networks_time_now(char *buf, size_t len)
{
	int64_t	sec;
	long	ns;

	berth_time_now(&sec, &ns);
	berth_time_format(sec, ns, buf, len);
}

/* Plugins.Network: every network/1 driver in the registry. */
static void
networks_info(void *state, json_object *out)
{
	struct networks	*nw = state;

	berth_info_plugins(nw->h, out, BERTH_NETWORK_IFACE, "Network");
}

/* --- start: restore what the records hold, then the predefined ------------ */

struct start_job {
	struct networks	*nw;
	struct nw_net	*n;
	int		 replay;
};

static void
start_done(void *arg, int rc, const struct berth_err *err)
{
	struct start_job	*j = arg;

	if (rc < 0)
		j->nw->h->log(j->nw->h, BERTH_LOG_WARN, "network %s: %s%s",
		    j->n->name, j->replay ? "cannot restore it: " : "",
		    err != NULL ? err->msg : strerror(-rc));
	/*
	 * A network that cannot be restored (its driver is gone) stays
	 * listed so that it can be seen and removed; a predefined one that
	 * could not be made is simply not there.
	 */
	if (rc < 0 && !j->replay)
		networks_unlink(j->nw, j->n);
	else
		j->n->ready = 1;
	if (rc == 0 && j->replay)
		networks_ep_replay(j->nw, j->n);
	networks_net_settled(j->nw, j->n);
	networks_net_unref(j->n);
	free(j);
}

static void
start_one(struct networks *nw, struct nw_net *n, int replay)
{
	struct start_job	*j;

	if ((j = calloc(1, sizeof(*j))) == NULL) {
		n->ready = 1;
		return;
	}
	j->nw = nw;
	j->n = n;
	j->replay = replay;
	n->busy = 1;
	networks_net_ref(n);
	networks_create(nw, n, replay, start_done, j);
}

/* The default bridge's options, as Docker shows them. */
static void
predef_bridge_options(json_object *o, const char *bridge)
{
	static const char *const kv[][2] = {
		{ "com.docker.network.bridge.default_bridge", "true" },
		{ "com.docker.network.bridge.enable_icc", "true" },
		{ "com.docker.network.bridge.enable_ip_masquerade", "true" },
		{ "com.docker.network.bridge.host_binding_ipv4", "0.0.0.0" },
		{ "com.docker.network.bridge.name", NULL },
		{ "com.docker.network.driver.mtu", "1500" },
	};
	size_t	i;

	for (i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
		json_object_object_add(o, kv[i][0],
		    json_object_new_string(kv[i][1] ? kv[i][1] : bridge));
}

/*
 * A default bridge already on the host (a data-root made anew, another
 * berthd before) keeps its address: its subnet and gateway become the
 * network's, as Docker does with an existing docker0, so the bridge
 * never gathers a second address.
 */
static void
predef_adopt(const char *bridge, struct nw_pool *p)
{
	struct ifaddrs		*ifs, *i;
	struct sockaddr_in	*sa, *mask;
	char			 buf[BERTH_CIDR_LEN];
	uint32_t		 a;
	int			 prefix;

	if (getifaddrs(&ifs) == -1)
		return;
	for (i = ifs; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET ||
		    i->ifa_netmask == NULL || strcmp(i->ifa_name, bridge) != 0)
			continue;
		sa = (struct sockaddr_in *)i->ifa_addr;
		mask = (struct sockaddr_in *)i->ifa_netmask;
		a = ntohl(sa->sin_addr.s_addr);
		prefix = __builtin_popcount(mask->sin_addr.s_addr);
		free(p->subnet);
		free(p->gateway);
		p->subnet = strdup(berth_cidr_fmt(a & berth_cidr_mask(prefix),
		    prefix, buf, sizeof(buf)));
		p->gateway = strdup(berth_cidr_fmt(a, -1, buf, sizeof(buf)));
		break;
	}
	freeifaddrs(ifs);
}

static void
predef_make(struct networks *nw, const char *name, const char *driver)
{
	struct nw_net		*n;
	char			 now[48];
	void			*st;

	if (networks_by_name(nw, name) != NULL)
		return;
	if (nw->h->lookup(nw->h, BERTH_NETWORK_IFACE, driver, &st) == NULL) {
		nw->h->log(nw->h, BERTH_LOG_INFO, "no \"%s\" driver: no %s "
		    "network (enable the module that provides it)", driver,
		    name);
		return;
	}
	if ((n = networks_net_new()) == NULL)
		return;
	networks_time_now(now, sizeof(now));
	n->name = strdup(name);
	n->driver = strdup(driver);
	n->ipam_driver = strdup("default");
	n->created = strdup(now);
	n->predefined = 1;
	if (berth_id_new(n->id) < 0 || n->name == NULL ||
	    n->driver == NULL || n->ipam_driver == NULL || n->created == NULL) {
		networks_net_unref(n);
		return;
	}
	if (strcmp(driver, "bridge") == 0) {
		predef_bridge_options(n->options, nw->bridge);
		if ((n->pools = calloc(1, sizeof(*n->pools))) != NULL) {
			n->npools = 1;
			predef_adopt(nw->bridge, &n->pools[0]);
		}
	}
	/* Listed at once, as Docker's are when it answers; busy until made. */
	n->ready = 1;
	networks_link(nw, n);
	start_one(nw, n, 0);
	networks_net_unref(n);
}

static void
networks_start(void *arg)
{
	struct networks	*nw = arg;
	struct nw_net	*n, *next;
	size_t		 i;

	nw->start = NULL;
	TAILQ_FOREACH_SAFE(n, &nw->nets, entry, next)
		start_one(nw, n, 1);
	for (i = 0; i < sizeof(predefined) / sizeof(predefined[0]); i++)
		predef_make(nw, predefined[i].name, predefined[i].driver);
}

static void
networks_free(struct networks *nw)
{
	struct nw_net	*n;
	struct nw_ep	*e;

	networks_ep_forget_deferred(nw);
	networks_dns_stop_all(nw);
	while ((e = TAILQ_FIRST(&nw->eps)) != NULL) {
		TAILQ_REMOVE(&nw->eps, e, entry);
		networks_ep_free(e);
	}
	while ((n = TAILQ_FIRST(&nw->nets)) != NULL)
		networks_unlink(nw, n);
	networks_ipam_free(nw->ipam);
	free(nw->dir);
	free(nw->bridge);
	free(nw);
}

static int
networks_init(const struct berth_host *h, const struct berth_conf *conf,
    void **statep, struct berth_err *err)
{
	struct networks	*nw;
	const char	*br;
	char		 p[4096];
	int		 rc;

	br = berth_json_str(h->conf_json(conf), "bridge");
	if (br == NULL)
		br = NW_DEFAULT_BRIDGE;
	if (strlen(br) == 0 || strlen(br) > 15 ||
	    strspn(br, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_.-") != strlen(br))
		return berth_err_set(err, -EINVAL, "bridge: invalid interface "
		    "name '%s'", br);
	if ((nw = calloc(1, sizeof(*nw))) == NULL)
		return berth_err_set(err, -ENOMEM, "out of memory");
	nw->h = h;
	TAILQ_INIT(&nw->nets);
	TAILQ_INIT(&nw->eps);
	LIST_INIT(&nw->dns);
	TAILQ_INIT(&nw->deferred);
	if ((nw->bridge = strdup(br)) == NULL) {
		free(nw);
		return berth_err_set(err, -ENOMEM, "out of memory");
	}
	snprintf(p, sizeof(p), "%s/networks", h->data_root(h));
	if ((nw->dir = strdup(p)) == NULL ||
	    (nw->ipam = networks_ipam_new()) == NULL) {
		networks_free(nw);
		return berth_err_set(err, -ENOMEM, "out of memory");
	}
	if ((rc = networks_load(nw, err)) < 0 ||
	    (rc = h->route(h, networks_routes, sizeof(networks_routes) /
	    sizeof(networks_routes[0]), nw, err)) < 0 ||
	    (rc = h->provide(h, BERTH_IPAM_IFACE, "default",
	    &networks_ipam_ops, nw->ipam, err)) < 0 ||
	    (rc = h->provide(h, BERTH_NETWORKS_IFACE, BERTH_NETWORKS_SERVICE,
	    &networks_svc_ops, nw, err)) < 0 ||
	    (rc = h->provide(h, BERTH_NETWORK_IFACE, "host",
	    &networks_builtin_ops, nw, err)) < 0 ||
	    (rc = h->provide(h, BERTH_NETWORK_IFACE, "null",
	    &networks_builtin_ops, nw, err)) < 0 ||
	    (rc = h->hook(h, BERTH_HOOK_INFO, networks_info, nw, err)) < 0) {
		networks_free(nw);
		return rc;
	}
	/*
	 * Drivers from modules that start after this one are not in the
	 * registry yet: restore once every module has started.
	 */
	nw->start = h->timer_add(h, 0, networks_start, nw);
	*statep = nw;
	return 0;
}

static void
networks_fini(void *state)
{
	struct networks	*nw = state;

	nw->stopping = 1;
	if (nw->start != NULL)
		nw->h->timer_del(nw->h, nw->start);
	networks_free(nw);
}

BERTH_MODULE = {
	.abi = BERTH_ABI_INIT,
	.name = "networks",
	.version = "0.1.0",
	.provides = (const char *const[]){ BERTH_IPAM_IFACE,
	    BERTH_NETWORK_IFACE, BERTH_NETWORKS_IFACE, NULL },
	.conf = networks_conf_keys,
	.init = networks_init,
	.fini = networks_fini,
};
