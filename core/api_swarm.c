/*
 * api_swarm.c - the swarm-mode routes, answered as a Docker engine that
 * is not in a swarm answers them.
 *
 * berth does not implement swarm mode (fleets use an orchestrator over
 * the Docker API), but clients probe these routes: docker-py's tests
 * leave a swarm in every teardown, `docker node ls` and `docker secret
 * ls` print the engine's answer.  So every route answers as dockerd
 * outside a swarm does: 503 "not a swarm manager", or "not part of a
 * swarm" for leave, after a list's `filters` is parsed (400 when it is
 * not valid).  Joining or starting a swarm answers 501, saying why.
 */
#include <errno.h>
#include <string.h>

#include <berth/filters.h>
#include <berth/host.h>

#include "api.h"

static const struct berth_host	*H;

#define NOT_MANAGER	"This node is not a swarm manager. Use \"docker " \
			"swarm init\" or \"docker swarm join\" to connect " \
			"this node to swarm and try again."

/* The filter names dockerd accepts on each list (daemon/cluster). */
static const char *const node_keys[] = { "id", "label", "membership",
	"name", "node.label", "role", NULL };
static const char *const service_keys[] = { "id", "label", "mode", "name",
	NULL };
static const char *const task_keys[] = { "desired-state", "id", "label",
	"name", "node", "service", "_up-to-date", "runtime", NULL };
static const char *const secret_keys[] = { "id", "label", "name", "names",
	NULL };

static void
not_manager(struct berth_req *r, void *state)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	const char *const	*keys = state;
	json_object		*f = NULL;

	if (keys != NULL && berth_filters_parse(H->req_query(r, "filters", 0),
	    keys, &f, &err) < 0) {
		H->resp_error(r, &err);
		return;
	}
	json_object_put(f);
	berth_err_set(&err, -EAGAIN, "%s", NOT_MANAGER);
	H->resp_error(r, &err);
}

static void
leave(struct berth_req *r, void *state)
{
	struct berth_err	err = BERTH_ERR_INIT;

	(void)state;
	berth_err_set(&err, -EAGAIN, "This node is not part of a swarm");
	H->resp_error(r, &err);
}

static void
unsupported(struct berth_req *r, void *state)
{
	struct berth_err	err = BERTH_ERR_INIT;

	(void)state;
	berth_err_set(&err, -ENOTSUP, "swarm mode is not supported by berthd: "
	    "run containers on several engines with an orchestrator that "
	    "speaks the Docker API");
	H->resp_error(r, &err);
}

#define R(m, p, fn)	{ BERTH_##m, p, NULL, fn, 0, 0 }

static const struct berth_route swarm_routes[] = {
	R(GET,		"/swarm",			not_manager),
	R(POST,		"/swarm/init",			unsupported),
	R(POST,		"/swarm/join",			unsupported),
	R(POST,		"/swarm/leave",			leave),
	R(POST,		"/swarm/update",		not_manager),
	R(GET,		"/swarm/unlockkey",		not_manager),
	R(POST,		"/swarm/unlock",		not_manager),
	R(GET,		"/nodes/{id}",			not_manager),
	R(DELETE,	"/nodes/{id}",			not_manager),
	R(POST,		"/nodes/{id}/update",		not_manager),
	R(POST,		"/services/create",		not_manager),
	R(GET,		"/services/{id}",		not_manager),
	R(DELETE,	"/services/{id}",		not_manager),
	R(POST,		"/services/{id}/update",	not_manager),
	R(GET,		"/services/{id}/logs",		not_manager),
	R(GET,		"/tasks/{id}",			not_manager),
	R(GET,		"/tasks/{id}/logs",		not_manager),
	R(POST,		"/secrets/create",		not_manager),
	R(GET,		"/secrets/{id}",		not_manager),
	R(DELETE,	"/secrets/{id}",		not_manager),
	R(POST,		"/secrets/{id}/update",		not_manager),
	R(POST,		"/configs/create",		not_manager),
	R(GET,		"/configs/{id}",		not_manager),
	R(DELETE,	"/configs/{id}",		not_manager),
	R(POST,		"/configs/{id}/update",		not_manager),
};

/* The lists, whose filters are parsed first: one table per key set. */
static const struct berth_route node_list[] = {
	R(GET,		"/nodes",			not_manager),
};
static const struct berth_route service_list[] = {
	R(GET,		"/services",			not_manager),
};
static const struct berth_route task_list[] = {
	R(GET,		"/tasks",			not_manager),
};
static const struct berth_route secret_list[] = {
	R(GET,		"/secrets",			not_manager),
	R(GET,		"/configs",			not_manager),
};

int
api_swarm_init(const struct berth_host *h, struct berth_err *err)
{
	int	rc;

	H = h;
	if ((rc = h->route(h, swarm_routes, sizeof(swarm_routes) /
	    sizeof(swarm_routes[0]), NULL, err)) < 0 ||
	    (rc = h->route(h, node_list, 1, (void *)node_keys, err)) < 0 ||
	    (rc = h->route(h, service_list, 1, (void *)service_keys,
	    err)) < 0 ||
	    (rc = h->route(h, task_list, 1, (void *)task_keys, err)) < 0 ||
	    (rc = h->route(h, secret_list, 2, (void *)secret_keys, err)) < 0)
		return rc;
	return 0;
}
