/*
 * containers_net.c - a container's networks, through the networks
 * service (networks/1), as Docker's daemon keeps them:
 *
 * create:	NetworkMode (and its EndpointsConfig entry) checked and
 *		recorded in NetworkSettings.Networks, nothing joined yet
 * start:	sandbox (the netns) -> join each network, in name order ->
 *		the runtime joins the sandbox
 * exit:	leave each network -> sandbox freed
 * connect:	POST /networks/{id}/connect: joined at once if running,
 *		else recorded for the next start; disconnect the reverse
 *
 * Containers on "host", "none" or "container:<x>" have no endpoints:
 * the runtime gives them their namespace, as before.  Without a
 * networks module, "default" and "bridge" are a namespace with only
 * loopback, as before.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <berth/json.h>
#include <berth/network.h>

#include "containers.h"

static const struct berth_networks_ops *
net_svc(struct containers *cs, void **st)
{
	return cs->h->lookup(cs->h, BERTH_NETWORKS_IFACE,
	    BERTH_NETWORKS_SERVICE, st);
}

/* NetworkMode names a network the service serves (not host, none...). */
static int
mode_joins(const char *nm)
{
	return nm == NULL || *nm == '\0' || (strcmp(nm, "host") != 0 &&
	    strcmp(nm, "none") != 0 && strncmp(nm, "container:", 10) != 0);
}

/* EndpointSettings with what only a join fills emptied. */
static json_object *
settings_idle(json_object *given)
{
	static const char *const keep[] = { "IPAMConfig", "Links", "Aliases",
	    "DriverOpts", NULL };
	json_object	*o = json_object_new_object(), *v;
	size_t		 i;

	for (i = 0; keep[i] != NULL; i++) {
		v = berth_json_get(given, keep[i]);
		json_object_object_add(o, keep[i], json_object_get(v));
	}
	json_object_object_add(o, "NetworkID", json_object_new_string(""));
	json_object_object_add(o, "EndpointID", json_object_new_string(""));
	json_object_object_add(o, "Gateway", json_object_new_string(""));
	json_object_object_add(o, "IPAddress", json_object_new_string(""));
	json_object_object_add(o, "IPPrefixLen", json_object_new_int(0));
	json_object_object_add(o, "IPv6Gateway", json_object_new_string(""));
	json_object_object_add(o, "GlobalIPv6Address",
	    json_object_new_string(""));
	json_object_object_add(o, "GlobalIPv6PrefixLen", json_object_new_int(0));
	v = berth_json_get(given, "MacAddress");
	json_object_object_add(o, "MacAddress", v != NULL ?
	    json_object_get(v) : json_object_new_string(""));
	return o;
}

/*
 * Legacy links (--link name:alias, HostConfig.Links as Docker stores
 * them, "/name:/self/alias"): each must name a container now.  They
 * give /etc/hosts lines at start (containers_net_links).
 */
static int
links_check(struct ctr *c, struct berth_err *err)
{
	json_object	*l = berth_json_get(c->hostconfig, "Links");
	char		 buf[NAME_MAX + 1], *colon;
	size_t		 i;

	for (i = 0; l != NULL && json_object_is_type(l, json_type_array) &&
	    i < json_object_array_length(l); i++) {
		snprintf(buf, sizeof(buf), "%s", json_object_get_string(
		    json_object_array_get_idx(l, i)));
		if ((colon = strchr(buf, ':')) != NULL)
			*colon = '\0';
		if (containers_find(c->cs, buf[0] == '/' ? buf + 1 : buf,
		    NULL) == NULL)
			return berth_err_set(err, -EINVAL, "could not get "
			    "container for %s: No such container: %s",
			    buf[0] == '/' ? buf + 1 : buf,
			    buf[0] == '/' ? buf + 1 : buf);
	}
	return 0;
}

/*
 * /etc/hosts lines for c's links: "IP alias name" for each linked
 * container that has an address on the default bridge now.  Caller
 * puts the string (NULL: none).
 */
char *
containers_net_links(struct ctr *c)
{
	json_object	*l = berth_json_get(c->hostconfig, "Links");
	char		 buf[NAME_MAX + 1], *colon, *alias, *out = NULL;
	const char	*ip;
	struct ctr	*o;
	size_t		 i, len = 0;
	FILE		*f;

	if (l == NULL || !json_object_is_type(l, json_type_array) ||
	    (f = open_memstream(&out, &len)) == NULL)
		return NULL;
	for (i = 0; i < json_object_array_length(l); i++) {
		snprintf(buf, sizeof(buf), "%s", json_object_get_string(
		    json_object_array_get_idx(l, i)));
		alias = NULL;
		if ((colon = strchr(buf, ':')) != NULL) {
			*colon = '\0';
			alias = strrchr(colon + 1, '/');
			alias = alias != NULL ? alias + 1 : colon + 1;
		}
		if ((o = containers_find(c->cs, buf[0] == '/' ? buf + 1 : buf,
		    NULL)) == NULL || o->networks == NULL ||
		    (ip = berth_json_str(json_object_object_get(o->networks,
		    "bridge"), "IPAddress")) == NULL || *ip == '\0')
			continue;
		fprintf(f, "%s\t%s %s %.12s\n", ip, alias != NULL ? alias :
		    o->name + 1, o->name + 1, o->id);
	}
	fclose(f);
	return out;
}

/*
 * At create: the network NetworkMode names, with its entry of
 * NetworkingConfig.EndpointsConfig, into c->networks.  -ENOENT with
 * Docker's "network X not found" for one that does not exist.
 */
int
containers_net_create(struct ctr *c, json_object *netcfg, struct berth_err *err)
{
	const struct berth_networks_ops	*svc;
	void				*st;
	const char			*nm, *mac;
	json_object			*eps, *given, *pb, *s;
	char				 name[NAME_MAX + 1], id[65];
	int				 rc;

	nm = berth_json_str(c->hostconfig, "NetworkMode");
	if (!mode_joins(nm))
		return 0;
	pb = berth_json_get(c->hostconfig, "PortBindings");
	if ((svc = net_svc(c->cs, &st)) == NULL) {
		/* Publishing needs the networks service. */
		if (pb != NULL && json_object_is_type(pb, json_type_object) &&
		    json_object_object_length(pb) > 0)
			return berth_err_set(err, -ENOTSUP, "publishing ports "
			    "(-p) needs bridge networking: enable the networks "
			    "and net-bridge modules");
		/* Without the service only the default network exists. */
		if (nm != NULL && *nm != '\0' && strcmp(nm, "default") != 0 &&
		    strcmp(nm, "bridge") != 0)
			return berth_err_set(err, -ENOENT, "network %s not "
			    "found", nm);
		return 0;
	}
	if (nm == NULL || *nm == '\0')
		nm = "default";
	if (svc->resolve(st, nm, name, id, err) < 0)
		return err->code;
	eps = berth_json_get(netcfg, "EndpointsConfig");
	if (eps != NULL && json_object_is_type(eps, json_type_object) &&
	    json_object_object_length(eps) > 1) {
		/* Docker's words, naming them (API 1.41 takes one). */
		char	list[256];
		size_t	n = 0;

		list[0] = '\0';
		json_object_object_foreach(eps, ek, ev) {
			(void)ev;
			n += (size_t)snprintf(list + n, n < sizeof(list) ?
			    sizeof(list) - n : 0, "%s%s", n > 0 ? ", " : "", ek);
			if (n >= sizeof(list))
				break;
		}
		return berth_err_set(err, -EINVAL, "Container cannot be "
		    "connected to network endpoints: %s", list);
	}
	given = berth_json_get(eps, nm);
	if (given == NULL)
		given = berth_json_get(eps, name);
	if ((rc = links_check(c, err)) < 0)
		return rc;
	json_object_put(c->networks);
	c->networks = json_object_new_object();
	s = settings_idle(given);
	/* --mac-address arrives in Config, for the first network. */
	mac = berth_json_str(c->config, "MacAddress");
	if (mac != NULL && *mac != '\0')
		json_object_object_add(s, "MacAddress",
		    json_object_new_string(mac));
	json_object_object_add(c->networks, name, s);
	return 0;
}

/* --- join at start ------------------------------------------------------ */

struct netjob {
	struct ctr	*c;
	char		**names;	/* left to join or leave */
	size_t		 n, i;
	int		 one;		/* connect/disconnect: no sandbox */
	ctr_done_cb	 cb;
	void		*arg;
};

static void
netjob_end(struct netjob *j, int rc, const struct berth_err *err)
{
	size_t	i;

	j->cb(j->arg, rc, err);
	for (i = 0; i < j->n; i++)
		free(j->names[i]);
	free(j->names);
	ctr_unref(j->c);
	free(j);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The network NetworkMode names goes first, as in Docker: it gives the
 * default route and publishes the ports (join_next).
 */
static void
primary_first(struct ctr *c, char **names, size_t n)
{
	const struct berth_networks_ops	*svc;
	const char			*nm;
	char				 name[NAME_MAX + 1], id[65], *p;
	size_t				 i;
	void				*st;

	nm = berth_json_str(c->hostconfig, "NetworkMode");
	if ((svc = net_svc(c->cs, &st)) == NULL || svc->resolve(st,
	    nm != NULL && *nm != '\0' ? nm : "default", name, id, NULL) < 0)
		return;
	for (i = 1; i < n; i++)
		if (strcmp(names[i], name) == 0) {
			p = names[i];
			memmove(names + 1, names, i * sizeof(*names));
			names[0] = p;
			return;
		}
}

/* A job over c's networks (joined ones only: joined = 1). */
static struct netjob *
netjob_new(struct ctr *c, int joined, ctr_done_cb cb, void *arg)
{
	struct netjob	*j;
	const char	*eid;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return NULL;
	j->c = c;
	j->cb = cb;
	j->arg = arg;
	if (c->networks != NULL && (j->names = calloc(
	    json_object_object_length(c->networks) + 1, sizeof(char *))) ==
	    NULL) {
		free(j);
		return NULL;
	}
	json_object_object_foreach(c->networks, k, v) {
		eid = berth_json_str(v, "EndpointID");
		if (joined && (eid == NULL || *eid == '\0'))
			continue;
		if ((j->names[j->n] = strdup(k)) == NULL)
			break;
		j->n++;
	}
	qsort(j->names, j->n, sizeof(char *), cmp_str);
	primary_first(c, j->names, j->n);
	ctr_ref(c);
	return j;
}

static void	join_next(struct netjob *);

static void
join_done(void *arg, int rc, const char *name, json_object *settings,
    const struct berth_err *err)
{
	struct netjob	*j = arg;
	json_object	*ports;

	if (rc < 0) {
		netjob_end(j, rc, err);
		return;
	}
	/* NetworkSettings.Ports is the container's, not the endpoint's. */
	if ((ports = json_object_object_get(settings, "Ports")) != NULL) {
		json_object_put(j->c->ports);
		j->c->ports = json_object_get(ports);
		json_object_object_del(settings, "Ports");
	}
	/* Keyed by the network's name now, as Docker's inspect shows. */
	json_object_object_del(j->c->networks, j->names[j->i]);
	json_object_object_add(j->c->networks, name,
	    json_object_get(settings));
	j->i++;
	join_next(j);
}

static void
join_next(struct netjob *j)
{
	const struct berth_networks_ops	*svc;
	struct berth_networks_join	 req;
	struct berth_err		 err = BERTH_ERR_INIT;
	void				*st;

	if (j->i >= j->n) {
		netjob_end(j, 0, NULL);
		return;
	}
	if ((svc = net_svc(j->c->cs, &st)) == NULL) {
		berth_err_set(&err, -ENOENT, "network %s not found: no "
		    "networks module", j->names[j->i]);
		netjob_end(j, -ENOENT, &err);
		return;
	}
	memset(&req, 0, sizeof(req));
	req.size = sizeof(req);
	req.network = j->names[j->i];
	req.container = j->c->id;
	req.name = j->c->name + 1;
	req.sandbox_key = j->c->sandbox;
	req.endpoint = json_object_object_get(j->c->networks, j->names[j->i]);
	req.dns = berth_json_get(j->c->hostconfig, "Dns");
	/* The network NetworkMode names (first) publishes the ports. */
	if (!j->one && j->i == 0) {
		req.port_bindings = berth_json_get(j->c->hostconfig,
		    "PortBindings");
		req.exposed_ports = berth_json_get(j->c->config,
		    "ExposedPorts");
		req.publish_all = berth_json_get(j->c->hostconfig,
		    "PublishAllPorts") != NULL && json_object_get_boolean(
		    berth_json_get(j->c->hostconfig, "PublishAllPorts"));
	}
	svc->join(st, &req, join_done, j);
}

static void
sandboxed(void *arg, int rc, const char *path, const struct berth_err *err)
{
	struct netjob	*j = arg;

	if (rc < 0) {
		netjob_end(j, rc, err);
		return;
	}
	free(j->c->sandbox);
	if ((j->c->sandbox = strdup(path)) == NULL) {
		struct berth_err e = BERTH_ERR_INIT;

		berth_err_set(&e, -ENOMEM, "out of memory");
		netjob_end(j, -ENOMEM, &e);
		return;
	}
	join_next(j);
}

/* Start: the sandbox, then every network of c; cb when all joined. */
void
containers_net_join(struct ctr *c, ctr_done_cb cb, void *arg)
{
	const struct berth_networks_ops	*svc;
	struct berth_err		 err = BERTH_ERR_INIT;
	struct netjob			*j;
	void				*st;

	if (c->networks == NULL || json_object_object_length(c->networks) ==
	    0 || !mode_joins(berth_json_str(c->hostconfig, "NetworkMode")) ||
	    (svc = net_svc(c->cs, &st)) == NULL) {
		cb(arg, 0, NULL);
		return;
	}
	if ((j = netjob_new(c, 0, cb, arg)) == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		cb(arg, -ENOMEM, &err);
		return;
	}
	svc->sandbox(st, c->id, sandboxed, j);
}

/* --- leave at exit -------------------------------------------------------- */

static void	leave_next(struct netjob *);

static void
sandbox_freed(void *arg, int rc, const struct berth_err *err)
{
	struct netjob	*j = arg;

	if (rc < 0)
		j->c->cs->h->log(j->c->cs->h, BERTH_LOG_WARN, "container "
		    "%.12s: %s", j->c->id, err != NULL ? err->msg :
		    strerror(-rc));
	free(j->c->sandbox);
	j->c->sandbox = NULL;
	json_object_put(j->c->ports);
	j->c->ports = NULL;
	netjob_end(j, 0, NULL);
}

static void
left(void *arg, int rc, const struct berth_err *err)
{
	struct netjob	*j = arg;
	json_object	*s;

	if (rc < 0)
		j->c->cs->h->log(j->c->cs->h, BERTH_LOG_WARN, "container "
		    "%.12s: leaving %s: %s", j->c->id, j->names[j->i],
		    err != NULL ? err->msg : strerror(-rc));
	/* Docker keeps the entry, emptied, for the next start. */
	s = json_object_object_get(j->c->networks, j->names[j->i]);
	if (s != NULL)
		json_object_object_add(j->c->networks, j->names[j->i],
		    settings_idle(s));
	j->i++;
	leave_next(j);
}

static void
leave_next(struct netjob *j)
{
	const struct berth_networks_ops	*svc;
	void				*st;

	if ((svc = net_svc(j->c->cs, &st)) == NULL) {
		netjob_end(j, 0, NULL);
		return;
	}
	if (j->i < j->n) {
		svc->leave(st, j->names[j->i], j->c->id, left, j);
		return;
	}
	if (j->c->sandbox != NULL && !j->one)
		svc->sandbox_free(st, j->c->id, sandbox_freed, j);
	else
		netjob_end(j, 0, NULL);
}

/* Exit: leave every network joined, free the sandbox; never fails. */
void
containers_net_leave(struct ctr *c, ctr_done_cb cb, void *arg)
{
	struct netjob	*j;

	if (c->sandbox == NULL || (j = netjob_new(c, 1, cb, arg)) == NULL) {
		cb(arg, 0, NULL);
		return;
	}
	leave_next(j);
}

/* --- inspect ---------------------------------------------------------------- */

/* NetworkSettings: Networks, and the default bridge's legacy fields. */
json_object *
containers_net_inspect(const struct ctr *c)
{
	json_object	*n = json_object_new_object(), *b;
	const char	*s;

#define STR(k, v)	json_object_object_add(n, k, json_object_new_string(v))
#define BSTR(k)		s = berth_json_str(b, k); STR(k, s != NULL ? s : "")
	b = c->networks != NULL ? json_object_object_get(c->networks,
	    "bridge") : NULL;
	STR("Bridge", "");
	STR("SandboxID", c->sandbox != NULL ? c->id : "");
	json_object_object_add(n, "HairpinMode", json_object_new_boolean(0));
	STR("LinkLocalIPv6Address", "");
	json_object_object_add(n, "LinkLocalIPv6PrefixLen",
	    json_object_new_int(0));
	json_object_object_add(n, "Ports", c->ports != NULL ?
	    json_object_get(c->ports) : json_object_new_object());
	STR("SandboxKey", c->sandbox != NULL ? c->sandbox : "");
	json_object_object_add(n, "SecondaryIPAddresses", NULL);
	json_object_object_add(n, "SecondaryIPv6Addresses", NULL);
	BSTR("EndpointID");
	BSTR("Gateway");
	STR("GlobalIPv6Address", "");
	json_object_object_add(n, "GlobalIPv6PrefixLen",
	    json_object_new_int(0));
	BSTR("IPAddress");
	json_object_object_add(n, "IPPrefixLen", json_object_new_int(
	    b != NULL && berth_json_get(b, "IPPrefixLen") != NULL ?
	    json_object_get_int(berth_json_get(b, "IPPrefixLen")) : 0));
	STR("IPv6Gateway", "");
	BSTR("MacAddress");
	json_object_object_add(n, "Networks", c->networks != NULL ?
	    json_object_get(c->networks) : json_object_new_object());
#undef BSTR
#undef STR
	return n;
}

/* --- connect and disconnect ------------------------------------------------ */

struct connreq {
	struct containers	*cs;
	struct berth_req	*req;
	struct ctr		*c;
	char			 name[NAME_MAX + 1];
	int			 disconnect;
};

static void
conn_done(void *arg, int rc, const struct berth_err *err)
{
	struct connreq	*r = arg;

	if (rc < 0) {
		/* A failed connect leaves no entry behind. */
		if (!r->disconnect)
			json_object_object_del(r->c->networks, r->name);
		r->cs->h->resp_error(r->req, err);
	} else {
		if (r->disconnect)
			json_object_object_del(r->c->networks, r->name);
		containers_save(r->c);
		r->cs->h->resp_status(r->req, 200);
	}
	ctr_unref(r->c);
	free(r);
}

/* The container and network of a connect or disconnect body. */
static struct connreq *
conn_begin(struct containers *cs, struct berth_req *req, json_object **body,
    int disconnect)
{
	const struct berth_networks_ops	*svc;
	struct berth_err		 err = BERTH_ERR_INIT;
	struct connreq			*r;
	struct ctr			*c;
	const char			*ref, *nm;
	char				 id[65];
	void				*st;

	if (cs->h->req_json(req, body, &err) < 0)
		goto fail;
	if ((ref = berth_json_str(*body, "Container")) == NULL || *ref == 0) {
		berth_err_set(&err, -EINVAL, "no container given");
		goto fail;
	}
	if ((svc = net_svc(cs, &st)) == NULL) {
		berth_err_set(&err, -ENOTSUP, "no networks module is loaded");
		goto fail;
	}
	if ((c = containers_find(cs, ref, &err)) == NULL)
		goto fail;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		goto fail;
	}
	if (svc->resolve(st, cs->h->req_param(req, "id"), r->name, id,
	    &err) < 0) {
		free(r);
		goto fail;
	}
	nm = berth_json_str(c->hostconfig, "NetworkMode");
	if (!mode_joins(nm)) {
		berth_err_set(&err, -EINVAL, "container cannot be %s network "
		    "%s: it runs on the %s network", disconnect ?
		    "disconnected from" : "connected to", r->name, nm);
		free(r);
		goto fail;
	}
	if (c->networks == NULL)
		c->networks = json_object_new_object();
	r->cs = cs;
	r->req = req;
	r->c = c;
	r->disconnect = disconnect;
	ctr_ref(c);
	return r;
fail:
	cs->h->resp_error(req, &err);
	return NULL;
}

static void
conn_one(struct connreq *r, int leave)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	struct netjob		*j;

	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->names = calloc(1, sizeof(char *))) == NULL ||
	    (j->names[0] = strdup(r->name)) == NULL) {
		if (j != NULL)
			free(j->names);
		free(j);
		berth_err_set(&err, -ENOMEM, "out of memory");
		conn_done(r, -ENOMEM, &err);
		return;
	}
	j->c = r->c;
	j->n = 1;
	j->one = 1;
	j->cb = conn_done;
	j->arg = r;
	ctr_ref(r->c);
	if (leave)
		leave_next(j);
	else
		join_next(j);
}

/* POST /networks/{id}/connect: at once if it runs, else at its start. */
void
containers_h_net_connect(struct berth_req *req, void *state)
{
	struct connreq		*r;
	struct berth_err	 err = BERTH_ERR_INIT;
	json_object		*body;

	if ((r = conn_begin(state, req, &body, 0)) == NULL)
		return;
	if (json_object_object_get(r->c->networks, r->name) != NULL) {
		berth_err_set(&err, -EPERM, "endpoint with name %s already "
		    "exists in network %s", r->c->name + 1, r->name);
		r->disconnect = 1;	/* keep the entry that is there */
		r->cs->h->resp_error(req, &err);
		ctr_unref(r->c);
		free(r);
		return;
	}
	json_object_object_add(r->c->networks, r->name,
	    settings_idle(berth_json_get(body, "EndpointConfig")));
	/* Running: now; created, stopped or on its way down: at start. */
	if (r->c->sandbox != NULL && !r->c->starting && !r->c->cleaning &&
	    (r->c->st.status == CTR_RUNNING || r->c->st.status == CTR_PAUSED))
		conn_one(r, 0);
	else
		conn_done(r, 0, NULL);
}

/* POST /networks/{id}/disconnect. */
void
containers_h_net_disconnect(struct berth_req *req, void *state)
{
	struct connreq		*r;
	struct berth_err	 err = BERTH_ERR_INIT;
	json_object		*body, *s;
	const char		*eid;

	if ((r = conn_begin(state, req, &body, 1)) == NULL)
		return;
	if ((s = json_object_object_get(r->c->networks, r->name)) == NULL) {
		berth_err_set(&err, -EINVAL, "container %s is not connected "
		    "to network %s", r->c->id, r->name);
		conn_done(r, err.code, &err);
		return;
	}
	eid = berth_json_str(s, "EndpointID");
	if (r->c->sandbox != NULL && eid != NULL && *eid != '\0')
		conn_one(r, 1);
	else
		conn_done(r, 0, NULL);
}
