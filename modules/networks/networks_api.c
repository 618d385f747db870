/*
 * networks_api.c - POST /networks/create, GET /networks, GET
 * /networks/{id}, DELETE /networks/{id}, POST /networks/prune, with
 * Docker's statuses and words.
 *
 * create:	checks -> IPAM pools and gateways -> driver -> record ->
 *		"create" -> 201 {"Id","Warning"}
 * remove:	predefined? 403 -> driver -> IPAM released -> record gone ->
 *		"destroy" -> 204
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <berth/cidr.h>
#include <berth/json.h>

#include "networks.h"

/* libnetwork's rule for names: [a-zA-Z0-9][a-zA-Z0-9_.-]* */
static int
name_valid(const char *s)
{
	size_t	len = strlen(s);

	if (len == 0 || len > 255)
		return 0;
	if (strchr("_.-", s[0]) != NULL)
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_.-") == len;
}

static int
is_true(json_object *body, const char *key)
{
	json_object	*x = berth_json_get(body, key);

	return x != NULL && json_object_is_type(x, json_type_boolean) &&
	    json_object_get_boolean(x);
}

static char *
dup_or_null(const char *s)
{
	return s != NULL && *s != '\0' ? strdup(s) : NULL;
}

/* IPAM.Config into n->pools, each entry checked as the CLI would. */
static int
pools_from_config(struct nw_net *n, json_object *cfg, struct berth_err *err)
{
	struct berth_cidr	 sub = { 0, 0 }, rng, gw, other;
	const char		*s, *r, *g;
	json_object		*e, *aux;
	size_t			 i, j, cnt;

	cnt = cfg != NULL && json_object_is_type(cfg, json_type_array) ?
	    json_object_array_length(cfg) : 0;
	if (cfg != NULL && !json_object_is_type(cfg, json_type_null) &&
	    !json_object_is_type(cfg, json_type_array))
		return berth_err_set(err, -EINVAL, "IPAM.Config must be a list");
	if (cnt == 0 && networks_needs_ipam(n->driver))
		cnt = 1;		/* one pool, any free one */
	if (cnt == 0)
		return 0;
	if ((n->pools = calloc(cnt, sizeof(*n->pools))) == NULL)
		return berth_err_set(err, -ENOMEM, "out of memory");
	n->npools = cnt;
	for (i = 0; cfg != NULL && i < json_object_array_length(cfg); i++) {
		e = json_object_array_get_idx(cfg, i);
		s = berth_json_str(e, "Subnet");
		r = berth_json_str(e, "IPRange");
		g = berth_json_str(e, "Gateway");
		aux = berth_json_get(e, "AuxiliaryAddresses");
		if (s == NULL || *s == '\0') {
			if ((r != NULL && *r != '\0') || (g != NULL && *g))
				return berth_err_set(err, -EINVAL, "an IP "
				    "range or a gateway needs a subnet");
		} else if (berth_cidr_parse(s, 1, &sub) < 0)
			return berth_err_set(err, -EINVAL, "invalid CIDR "
			    "address: %s", s);
		if (r != NULL && *r != '\0' &&
		    (berth_cidr_parse(r, 1, &rng) < 0 ||
		    rng.prefix < sub.prefix ||
		    !berth_cidr_contains(&sub, rng.addr)))
			return berth_err_set(err, -EINVAL, "no matching "
			    "subnet for range %s", r);
		if (g != NULL && *g != '\0' &&
		    (berth_cidr_parse(g, 0, &gw) < 0 ||
		    !berth_cidr_contains(&sub, gw.addr)))
			return berth_err_set(err, -EINVAL, "no matching "
			    "subnet for gateway %s", g);
		for (j = 0; s != NULL && *s != '\0' && j < i; j++)
			if (n->pools[j].subnet != NULL &&
			    berth_cidr_parse(n->pools[j].subnet, 1, &other) ==
			    0 && berth_cidr_overlap(&sub, &other))
				return berth_err_set(err, -EINVAL, "multiple "
				    "overlapping subnet configuration is not "
				    "supported");
		if (aux != NULL && berth_json_string_map(aux, "AuxiliaryAddresses",
		    err) < 0)
			return err->code;
		n->pools[i].subnet = dup_or_null(s);
		n->pools[i].ip_range = dup_or_null(r);
		n->pools[i].gateway = dup_or_null(g);
		if (aux != NULL && json_object_is_type(aux, json_type_object))
			n->pools[i].aux = json_object_get(aux);
	}
	return 0;
}

/* The request body into a new network, or NULL with err set. */
static struct nw_net *
net_from_body(struct networks *nw, json_object *body, struct berth_err *err)
{
	struct nw_net	*n;
	json_object	*ipam, *opts, *labels, *iopts;
	const char	*name, *drv, *idrv;
	char		 now[48];
	void		*st;

	name = berth_json_str(body, "Name");
	drv = berth_json_str(body, "Driver");
	if (drv == NULL || *drv == '\0')
		drv = "bridge";
	ipam = berth_json_get(body, "IPAM");
	idrv = berth_json_str(ipam, "Driver");
	if (idrv == NULL || *idrv == '\0')
		idrv = "default";
	opts = berth_json_get(body, "Options");
	labels = berth_json_get(body, "Labels");
	iopts = berth_json_get(ipam, "Options");
	if (name == NULL || *name == '\0') {
		berth_err_set(err, -EINVAL, "network name cannot be empty");
		return NULL;
	}
	if (networks_is_predefined(name)) {
		berth_err_set(err, -EPERM, "operation is not permitted on "
		    "predefined %s network", name);
		return NULL;
	}
	if (!name_valid(name)) {
		berth_err_set(err, -EINVAL, "invalid name: \"%s\" includes "
		    "invalid characters for a network name, only "
		    "[a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name);
		return NULL;
	}
	if (networks_by_name(nw, name) != NULL) {
		berth_err_set(err, -EEXIST, "network with name %s already "
		    "exists", name);
		return NULL;
	}
	if (is_true(body, "EnableIPv6")) {
		berth_err_set(err, -EINVAL, "IPv6 networks are not supported "
		    "by berth yet: leave out --ipv6");
		return NULL;
	}
	if (is_true(body, "Ingress") || is_true(body, "ConfigOnly") ||
	    berth_json_str(berth_json_get(body, "ConfigFrom"), "Network")) {
		berth_err_set(err, -EINVAL, "ingress and config-only networks "
		    "are swarm features, which berth does not have");
		return NULL;
	}
	if (berth_json_string_map(opts, "Options", err) < 0 ||
	    berth_json_string_map(labels, "Labels", err) < 0 ||
	    berth_json_string_map(iopts, "IPAM.Options", err) < 0)
		return NULL;
	if (!networks_needs_ipam(drv)) {
		berth_err_set(err, -EPERM, "only one instance of \"%s\" "
		    "network is allowed", drv);
		return NULL;
	}
	if (networks_driver(nw, drv, &st, err) == NULL ||
	    networks_ipam(nw, idrv, &st, err) == NULL)
		return NULL;
	if ((n = networks_net_new()) == NULL) {
		berth_err_set(err, -ENOMEM, "out of memory");
		return NULL;
	}
	networks_time_now(now, sizeof(now));
	n->name = strdup(name);
	n->driver = strdup(drv);
	n->ipam_driver = strdup(idrv);
	n->created = strdup(now);
	n->internal = is_true(body, "Internal");
	n->attachable = is_true(body, "Attachable");
	if (iopts != NULL && json_object_is_type(iopts, json_type_object))
		n->ipam_options = json_object_get(iopts);
	if (opts != NULL && json_object_is_type(opts, json_type_object)) {
		json_object_put(n->options);
		n->options = json_object_get(opts);
	}
	if (labels != NULL && json_object_is_type(labels, json_type_object)) {
		json_object_put(n->labels);
		n->labels = json_object_get(labels);
	}
	if (n->name == NULL || n->driver == NULL || n->ipam_driver == NULL ||
	    n->created == NULL || berth_id_new(n->id) < 0) {
		berth_err_set(err, -ENOMEM, "out of memory");
		networks_net_unref(n);
		return NULL;
	}
	if (pools_from_config(n, berth_json_get(ipam, "Config"), err) < 0) {
		networks_net_unref(n);
		return NULL;
	}
	return n;
}

struct req_job {
	struct networks		*nw;
	struct berth_req	*req;
	struct nw_net		*n;
	json_object		*deleted;	/* prune */
	int			 pending;	/* prune */
};

static struct req_job *
req_job_new(struct networks *nw, struct berth_req *req, struct nw_net *n)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	struct req_job		*rj;

	if ((rj = calloc(1, sizeof(*rj))) == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		nw->h->resp_error(req, &err);
		return NULL;
	}
	rj->nw = nw;
	rj->req = req;
	rj->n = n;
	return rj;
}

static void
h_create_done(void *arg, int rc, const struct berth_err *err)
{
	struct req_job	*rj = arg;
	struct nw_net	*n = rj->n;
	json_object	*o;

	networks_net_settled(rj->nw, n);
	if (rc < 0) {
		networks_unlink(rj->nw, n);
		rj->nw->h->resp_error(rj->req, err);
	} else {
		n->ready = 1;
		networks_emit(rj->nw, "create", n, NULL);
		o = json_object_new_object();
		json_object_object_add(o, "Id", json_object_new_string(n->id));
		json_object_object_add(o, "Warning", json_object_new_string(""));
		rj->nw->h->resp_json(rj->req, 201, o);
		json_object_put(o);
	}
	networks_net_unref(n);
	free(rj);
}

void
networks_h_create(struct berth_req *req, void *state)
{
	struct networks		*nw = state;
	const struct berth_host	*h = nw->h;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct req_job		*rj;
	json_object		*body;
	struct nw_net		*n;

	if (h->req_json(req, &body, &err) < 0) {
		h->resp_error(req, &err);
		return;
	}
	if (body == NULL || !json_object_is_type(body, json_type_object)) {
		berth_err_set(&err, -EINVAL, "invalid JSON: want an object");
		h->resp_error(req, &err);
		return;
	}
	if ((n = net_from_body(nw, body, &err)) == NULL) {
		h->resp_error(req, &err);
		return;
	}
	if ((rj = req_job_new(nw, req, n)) == NULL) {
		networks_net_unref(n);
		return;
	}
	/* In the table at once, so a second create of the name is a 409. */
	n->busy = 1;
	networks_link(nw, n);
	networks_create(nw, n, 0, h_create_done, rj);
}

void
networks_h_list(struct berth_req *req, void *state)
{
	struct networks		*nw = state;
	const struct berth_host	*h = nw->h;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct nw_filters	*f = NULL;
	struct nw_net		*n;
	json_object		*list;

	if (networks_filters_parse(h->req_query(req, "filters", 0), 0, &f,
	    &err) < 0) {
		h->resp_error(req, &err);
		return;
	}
	list = json_object_new_array();
	TAILQ_FOREACH(n, &nw->nets, entry)
		if (n->ready && networks_filters_match(nw, f, n))
			json_object_array_add(list, networks_json(nw, n));
	networks_filters_free(f);
	h->resp_json(req, 200, list);
	json_object_put(list);
}

/* The network a path names, or NULL with Docker's 404 answered. */
static struct nw_net *
find_or_404(struct networks *nw, struct berth_req *req)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	const char		*ref = nw->h->req_param(req, "id");
	struct nw_net		*n;

	if ((n = networks_find(nw, ref)) == NULL) {
		berth_err_set(&err, -ENOENT, "network %s not found", ref);
		nw->h->resp_error(req, &err);
	}
	return n;
}

void
networks_h_inspect(struct berth_req *req, void *state)
{
	struct networks	*nw = state;
	struct nw_net	*n;
	json_object	*o;

	if ((n = find_or_404(nw, req)) == NULL)
		return;
	o = networks_json(nw, n);
	nw->h->resp_json(req, 200, o);
	json_object_put(o);
}

/* Refuse what Docker refuses before a network goes; 0 if it may. */
static int
remove_check(struct networks *nw, const struct nw_net *n,
    struct berth_err *err)
{
	if (n->predefined)
		return berth_err_set(err, -EPERM, "%s is a pre-defined network "
		    "and cannot be removed", n->name);
	if (n->busy)
		return berth_err_set(err, -EBUSY, "network %s is being created "
		    "or removed", n->name);
	if (networks_net_in_use(nw, n))
		return berth_err_set(err, -EPERM, "error while removing network: "
		    "network %s id %s has active endpoints", n->name, n->id);
	return 0;
}

static void
removed(struct networks *nw, struct nw_net *n)
{
	networks_emit(nw, "destroy", n, NULL);
	networks_unlink(nw, n);
}

static void
h_remove_done(void *arg, int rc, const struct berth_err *err)
{
	struct req_job	*rj = arg;

	networks_net_settled(rj->nw, rj->n);
	if (rc < 0)
		rj->nw->h->resp_error(rj->req, err);
	else {
		removed(rj->nw, rj->n);
		rj->nw->h->resp_status(rj->req, 204);
	}
	networks_net_unref(rj->n);
	free(rj);
}

void
networks_h_remove(struct berth_req *req, void *state)
{
	struct networks	*nw = state;
	struct berth_err err = BERTH_ERR_INIT;
	struct req_job	*rj;
	struct nw_net	*n;

	if ((n = find_or_404(nw, req)) == NULL)
		return;
	if (remove_check(nw, n, &err) < 0) {
		nw->h->resp_error(req, &err);
		return;
	}
	if ((rj = req_job_new(nw, req, n)) == NULL)
		return;
	n->busy = 1;
	networks_net_ref(n);
	networks_destroy(nw, n, h_remove_done, rj);
}

/* --- prune ----------------------------------------------------------------- */

static void
prune_answer(struct req_job *rj)
{
	json_object	*o, *a;

	o = json_object_new_object();
	json_object_object_add(o, "NetworksDeleted",
	    json_object_get(rj->deleted));
	a = json_object_new_object();
	json_object_object_add(a, "reclaimed", json_object_new_string("0"));
	rj->nw->h->emit(rj->nw->h, "network", "prune", "", a);
	json_object_put(a);
	rj->nw->h->resp_json(rj->req, 200, o);
	json_object_put(o);
	json_object_put(rj->deleted);
	free(rj);
}

struct prune_one {
	struct req_job	*rj;
	struct nw_net	*n;
};

static void
prune_one_done(void *arg, int rc, const struct berth_err *err)
{
	struct prune_one	*p = arg;
	struct req_job		*rj = p->rj;

	networks_net_settled(rj->nw, p->n);
	if (rc == 0) {
		json_object_array_add(rj->deleted,
		    json_object_new_string(p->n->name));
		removed(rj->nw, p->n);
	} else
		rj->nw->h->log(rj->nw->h, BERTH_LOG_WARN, "prune %s: %s",
		    p->n->name, err != NULL ? err->msg : strerror(-rc));
	networks_net_unref(p->n);
	free(p);
	if (--rj->pending == 0)
		prune_answer(rj);
}

void
networks_h_prune(struct berth_req *req, void *state)
{
	struct networks		*nw = state;
	const struct berth_host	*h = nw->h;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct nw_filters	*f = NULL;
	struct prune_one	*p;
	struct req_job		*rj;
	struct nw_net		*n, *next;

	if (networks_filters_parse(h->req_query(req, "filters", 0), 1, &f,
	    &err) < 0) {
		h->resp_error(req, &err);
		return;
	}
	if ((rj = req_job_new(nw, req, NULL)) == NULL) {
		networks_filters_free(f);
		return;
	}
	rj->deleted = json_object_new_array();
	rj->pending = 1;		/* until every removal has started */
	TAILQ_FOREACH_SAFE(n, &nw->nets, entry, next) {
		if (!n->ready || n->predefined || n->busy ||
		    networks_net_in_use(nw, n) ||
		    !networks_filters_match(nw, f, n) ||
		    (p = calloc(1, sizeof(*p))) == NULL)
			continue;
		p->rj = rj;
		p->n = n;
		n->busy = 1;
		networks_net_ref(n);
		rj->pending++;
		networks_destroy(nw, n, prune_one_done, p);
	}
	networks_filters_free(f);
	if (--rj->pending == 0)
		prune_answer(rj);
}
