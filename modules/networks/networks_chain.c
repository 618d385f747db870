/*
 * networks_chain.c - a network made and unmade in Docker's order, one
 * asynchronous step at a time:
 *
 * create:	GetDefaultAddressSpaces -> per pool: RequestPool ->
 *		RequestAddress (gateway) -> CreateNetwork -> record on disk
 * restore:	the same with replay: the pools and gateways the record
 *		holds are asked for again, exactly, and CreateNetwork
 *		re-creates what a crash or reboot lost (drivers take a second
 *		create of what they have as success); nothing is written
 * destroy:	DeleteNetwork -> per pool: ReleaseAddress (gateway) ->
 *		ReleasePool -> record gone
 *
 * A create that fails part-way releases what it was granted, so a bad
 * request leaves no pool, address, bridge or file behind.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <berth/cidr.h>
#include <berth/json.h>

#include "networks.h"

enum chain_stage {
	ST_SPACES,
	ST_POOL,
	ST_GATEWAY,
	ST_DRIVER,
	ST_SAVE,
	ST_DONE,
};

struct chain {
	struct networks			*nw;
	struct nw_net			*n;
	const struct berth_ipam_ops	*ipam;
	void				*ipam_st;
	const struct berth_network_ops	*drv;
	void				*drv_st;
	char				*space;
	size_t				 i;		/* current pool */
	enum chain_stage		 stage;
	int				 replay;
	nw_done_cb			 cb;
	void				*arg;
};

static void	chain_step(struct chain *);

static void
chain_free(struct chain *c)
{
	networks_net_unref(c->n);
	free(c->space);
	free(c);
}

static void
ignore_done(void *arg, int rc, const struct berth_err *err)
{
}

/* Give back what IPAM granted this network (a failed create, a destroy). */
static void
release_pools(struct chain *c)
{
	struct nw_pool	*p;
	size_t		 i;

	if (c->ipam == NULL)
		return;
	for (i = 0; i < c->n->npools; i++) {
		p = &c->n->pools[i];
		if (p->pool_id == NULL)
			continue;
		if (p->gw_held && p->gateway != NULL)
			c->ipam->release_address(c->ipam_st, p->pool_id,
			    p->gateway, ignore_done, NULL);
		p->gw_held = 0;
		c->ipam->release_pool(c->ipam_st, p->pool_id, ignore_done,
		    NULL);
		free(p->pool_id);
		p->pool_id = NULL;
	}
}

static void
chain_fail(struct chain *c, int rc, const struct berth_err *err)
{
	struct berth_err	e = BERTH_ERR_INIT;

	if (err == NULL || err->msg[0] == '\0') {
		berth_err_set(&e, rc, "%s", strerror(-rc));
		err = &e;
	}
	if (!c->replay)
		release_pools(c);
	c->cb(c->arg, rc, err);
	chain_free(c);
}

static void
spaces_done(void *arg, int rc, const char *local, const char *global,
    const struct berth_err *err)
{
	struct chain	*c = arg;

	if (rc < 0) {
		chain_fail(c, rc, err);
		return;
	}
	if ((c->space = strdup(local != NULL ? local : "")) == NULL) {
		chain_fail(c, -ENOMEM, NULL);
		return;
	}
	c->stage = ST_POOL;
	chain_step(c);
}

static void
pool_done(void *arg, int rc, const char *pool_id, const char *pool,
    json_object *data, const struct berth_err *err)
{
	struct chain	*c = arg;
	struct nw_pool	*p = &c->n->pools[c->i];
	struct berth_cidr gw;
	const char	*dgw;
	char		 buf[BERTH_CIDR_LEN];

	if (rc < 0) {
		chain_fail(c, rc, err);
		return;
	}
	if ((p->pool_id = strdup(pool_id)) == NULL) {
		chain_fail(c, -ENOMEM, NULL);
		return;
	}
	if (p->subnet == NULL && (p->subnet = strdup(pool)) == NULL) {
		chain_fail(c, -ENOMEM, NULL);
		return;
	}
	/* A gateway the driver chose is used without a RequestAddress. */
	dgw = berth_json_str(data, BERTH_IPAM_GATEWAY);
	if (p->gateway == NULL && dgw != NULL &&
	    berth_cidr_parse(dgw, 1, &gw) == 0) {
		if ((p->gateway = strdup(berth_cidr_fmt(gw.addr, -1, buf,
		    sizeof(buf)))) == NULL) {
			chain_fail(c, -ENOMEM, NULL);
			return;
		}
		p->gw_data = 1;
	}
	c->stage = ST_GATEWAY;
	chain_step(c);
}

static void
gateway_done(void *arg, int rc, const char *address, json_object *data,
    const struct berth_err *err)
{
	struct chain		*c = arg;
	struct nw_pool		*p = &c->n->pools[c->i];
	struct berth_cidr	 a;
	struct berth_err	 e = BERTH_ERR_INIT;
	char			 buf[BERTH_CIDR_LEN];

	if (rc < 0) {
		berth_err_set(&e, rc, "failed to allocate gateway (%s): %s",
		    p->gateway != NULL ? p->gateway : "",
		    err != NULL ? err->msg : strerror(-rc));
		chain_fail(c, rc, &e);
		return;
	}
	if (berth_cidr_parse(address, 1, &a) < 0) {
		berth_err_set(&e, -EIO, "IPAM driver %s answered a gateway "
		    "that is not an address: %s", c->n->ipam_driver, address);
		chain_fail(c, -EIO, &e);
		return;
	}
	p->gw_held = 1;
	if (p->gateway == NULL &&
	    (p->gateway = strdup(berth_cidr_fmt(a.addr, -1, buf,
	    sizeof(buf)))) == NULL) {
		chain_fail(c, -ENOMEM, NULL);
		return;
	}
	c->i++;
	c->stage = ST_POOL;
	chain_step(c);
}

static void
driver_done(void *arg, int rc, const struct berth_err *err)
{
	struct chain	*c = arg;

	if (rc < 0) {
		chain_fail(c, rc, err);
		return;
	}
	c->stage = c->replay ? ST_DONE : ST_SAVE;
	chain_step(c);
}

static void
saved(void *arg, int rc, const struct berth_err *err)
{
	struct chain	*c = arg;

	if (rc < 0) {
		/* The kernel side goes too: nothing half-made stays. */
		c->drv->delete_network(c->drv_st, c->n->id, ignore_done, NULL);
		chain_fail(c, rc, err);
		return;
	}
	c->stage = ST_DONE;
	chain_step(c);
}

/* The CreateNetwork request from the network and what IPAM granted. */
static void
driver_create(struct chain *c)
{
	struct nw_net			*n = c->n;
	struct berth_net_ipam_data	*v4;
	struct berth_net_create		 req;
	json_object			*opts;
	char				 (*gws)[BERTH_CIDR_LEN];
	struct berth_cidr		 s, g;
	size_t				 i;

	v4 = calloc(n->npools ? n->npools : 1, sizeof(*v4));
	gws = calloc(n->npools ? n->npools : 1, sizeof(*gws));
	opts = json_object_new_object();
	if (v4 == NULL || gws == NULL || opts == NULL) {
		free(v4);
		free(gws);
		json_object_put(opts);
		chain_fail(c, -ENOMEM, NULL);
		return;
	}
	for (i = 0; i < n->npools; i++) {
		v4[i].size = sizeof(v4[i]);
		v4[i].address_space = c->space;
		v4[i].pool = n->pools[i].subnet;
		if (n->pools[i].gateway != NULL &&
		    berth_cidr_parse(n->pools[i].subnet, 1, &s) == 0 &&
		    berth_cidr_parse(n->pools[i].gateway, 0, &g) == 0)
			v4[i].gateway = berth_cidr_fmt(g.addr, s.prefix,
			    gws[i], sizeof(gws[i]));
		v4[i].aux_addresses = n->pools[i].aux;
	}
	json_object_object_add(opts, BERTH_NET_OPT_IPV6,
	    json_object_new_boolean(0));
	json_object_object_add(opts, BERTH_NET_OPT_INTERNAL,
	    json_object_new_boolean(n->internal));
	json_object_object_add(opts, BERTH_NET_OPT_GENERIC,
	    json_object_get(n->options));
	memset(&req, 0, sizeof(req));
	req.size = sizeof(req);
	req.network_id = n->id;
	req.options = opts;
	req.ipv4 = v4;
	req.nipv4 = n->npools;
	c->drv->create_network(c->drv_st, &req, driver_done, c);
	json_object_put(opts);
	free(v4);
	free(gws);
}

static void
chain_step(struct chain *c)
{
	struct nw_pool			*p;
	struct berth_ipam_pool_req	 req;
	json_object			*o;

	switch (c->stage) {
	case ST_SPACES:
		if (c->ipam == NULL) {
			c->stage = ST_DRIVER;
			chain_step(c);
			return;
		}
		c->ipam->default_address_spaces(c->ipam_st, spaces_done, c);
		return;
	case ST_POOL:
		if (c->i >= c->n->npools) {
			c->stage = ST_DRIVER;
			chain_step(c);
			return;
		}
		p = &c->n->pools[c->i];
		memset(&req, 0, sizeof(req));
		req.size = sizeof(req);
		req.address_space = c->space;
		req.pool = p->subnet != NULL ? p->subnet : "";
		req.sub_pool = p->ip_range != NULL ? p->ip_range : "";
		req.options = c->n->ipam_options;
		req.replay = c->replay;
		c->ipam->request_pool(c->ipam_st, &req, pool_done, c);
		return;
	case ST_GATEWAY:
		p = &c->n->pools[c->i];
		/* A gateway the IPAM driver chose needs no request. */
		if (p->gateway != NULL && !p->gw_held &&
		    (p->gw_data || c->replay)) {
			c->i++;
			c->stage = ST_POOL;
			chain_step(c);
			return;
		}
		o = json_object_new_object();
		json_object_object_add(o, BERTH_IPAM_REQUEST_TYPE,
		    json_object_new_string(BERTH_IPAM_GATEWAY));
		c->ipam->request_address(c->ipam_st, p->pool_id,
		    p->gateway != NULL ? p->gateway : "", o, gateway_done, c);
		json_object_put(o);
		return;
	case ST_DRIVER:
		driver_create(c);
		return;
	case ST_SAVE:
		networks_save(c->nw, c->n, saved, c);
		return;
	case ST_DONE:
		c->cb(c->arg, 0, NULL);
		chain_free(c);
		return;
	}
}

/*
 * A chain for n.  Its driver and IPAM driver must be there to make it
 * (required); to unmake it, a missing one is left NULL and skipped.
 */
static struct chain *
chain_new(struct networks *nw, struct nw_net *n, int required, nw_done_cb cb,
    void *arg, struct berth_err *err)
{
	struct chain	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		berth_err_set(err, -ENOMEM, "out of memory");
		return NULL;
	}
	c->nw = nw;
	c->n = n;
	c->cb = cb;
	c->arg = arg;
	c->drv = networks_driver(nw, n->driver, &c->drv_st, err);
	if (networks_needs_ipam(n->driver))
		c->ipam = networks_ipam(nw, n->ipam_driver, &c->ipam_st, err);
	if (required && (c->drv == NULL ||
	    (networks_needs_ipam(n->driver) && c->ipam == NULL))) {
		free(c);
		return NULL;
	}
	networks_net_ref(n);
	return c;
}

void
networks_create(struct networks *nw, struct nw_net *n, int replay,
    nw_done_cb cb, void *arg)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	struct chain		*c;

	if ((c = chain_new(nw, n, 1, cb, arg, &err)) == NULL) {
		cb(arg, err.code, &err);
		return;
	}
	c->replay = replay;
	c->stage = ST_SPACES;
	chain_step(c);
}

/* --- destroy ------------------------------------------------------------- */

static void
destroy_forgotten(void *arg, int rc, const struct berth_err *err)
{
	struct chain	*c = arg;

	c->cb(c->arg, rc, err);
	chain_free(c);
}

static void
destroy_deleted(void *arg, int rc, const struct berth_err *err)
{
	struct chain	*c = arg;

	if (rc < 0) {
		c->cb(c->arg, rc, err);
		chain_free(c);
		return;
	}
	release_pools(c);
	networks_forget(c->nw, c->n, destroy_forgotten, c);
}

void
networks_destroy(struct networks *nw, struct nw_net *n, nw_done_cb cb,
    void *arg)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	struct chain		*c;

	if ((c = chain_new(nw, n, 0, cb, arg, &err)) == NULL) {
		cb(arg, err.code, &err);
		return;
	}
	/*
	 * Its driver is gone (a module no longer enabled): the network can
	 * still be forgotten; nothing of it can be undone in the kernel by
	 * us.  The same for pools whose IPAM driver is gone.
	 */
	if (c->drv == NULL) {
		release_pools(c);
		networks_forget(nw, n, destroy_forgotten, c);
		return;
	}
	c->drv->delete_network(c->drv_st, n->id, destroy_deleted, c);
}
