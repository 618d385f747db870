/*
 * containers_inspect.c - GET /containers/{id}/json: the spec's
 * ContainerJSON, filled from what the service really knows.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <berth/json.h>

#include "containers.h"

static void
inspect_default(json_object *o, const char *key, json_object *v)
{
	if (berth_json_get(o, key) == NULL)
		json_object_object_add(o, key, v);
	else
		json_object_put(v);
}

/* Config with every key Docker always shows. */
static json_object *
inspect_config(const struct ctr *c)
{
	json_object	*o = NULL;

	if (json_object_deep_copy(c->config, &o, NULL) != 0)
		return json_object_new_object();
	inspect_default(o, "Hostname", json_object_new_string(""));
	inspect_default(o, "Domainname", json_object_new_string(""));
	inspect_default(o, "User", json_object_new_string(""));
	inspect_default(o, "AttachStdin", json_object_new_boolean(0));
	inspect_default(o, "AttachStdout", json_object_new_boolean(0));
	inspect_default(o, "AttachStderr", json_object_new_boolean(0));
	inspect_default(o, "Tty", json_object_new_boolean(0));
	inspect_default(o, "OpenStdin", json_object_new_boolean(0));
	inspect_default(o, "StdinOnce", json_object_new_boolean(0));
	inspect_default(o, "Env", NULL);
	inspect_default(o, "Cmd", NULL);
	inspect_default(o, "Image", json_object_new_string(""));
	inspect_default(o, "Volumes", NULL);
	inspect_default(o, "WorkingDir", json_object_new_string(""));
	inspect_default(o, "Entrypoint", NULL);
	inspect_default(o, "OnBuild", NULL);
	inspect_default(o, "Labels", json_object_new_object());
	return o;
}

/* The whole document; caller puts it. */
json_object *
containers_inspect_json(struct ctr *c)
{
	struct containers	*cs = c->cs;
	json_object		*o = json_object_new_object(), *v2, *gd, *d;
	char			 merged[PATH_MAX], upper[PATH_MAX];
	static const char *const copy[] = {
		"Id", "Created", "Path", "Args", "State", "Image",
		"ResolvConfPath", "HostnamePath", "HostsPath", "LogPath",
		"Name", "RestartCount", "Driver", "Platform", NULL
	};
	size_t			 i;
	json_object		*v;

	v2 = containers_v2_json(c);
	json_object_object_add(v2, "Id", json_object_new_string(c->id));
	json_object_object_del(json_object_object_get(v2, "State"),
	    "RuntimeCreated");
	for (i = 0; copy[i] != NULL; i++)
		if (json_object_object_get_ex(v2, copy[i], &v))
			json_object_object_add(o, copy[i], json_object_get(v));
	json_object_put(v2);
	json_object_object_add(o, "MountLabel", json_object_new_string(""));
	json_object_object_add(o, "ProcessLabel", json_object_new_string(""));
	json_object_object_add(o, "AppArmorProfile", json_object_new_string(""));
	json_object_object_add(o, "ExecIDs", json_object_get(c->exec_ids));
	json_object_object_add(o, "HostConfig", json_object_get(c->hostconfig));

	gd = json_object_new_object();
	d = json_object_new_object();
	if (cs->img->rootfs_paths(cs->img_st, c->id, merged, upper,
	    sizeof(merged)) == 0) {
		json_object_object_add(d, "MergedDir",
		    json_object_new_string(merged));
		json_object_object_add(d, "UpperDir",
		    json_object_new_string(upper));
	}
	json_object_object_add(gd, "Data", d);
	json_object_object_add(gd, "Name", json_object_new_string("overlay2"));
	json_object_object_add(o, "GraphDriver", gd);
	json_object_object_add(o, "Mounts", containers_mounts_inspect(c));
	json_object_object_add(o, "Config", inspect_config(c));
	json_object_object_add(o, "NetworkSettings",
	    containers_net_inspect(c));
	return o;
}

/* `docker inspect -s`: the sizes, measured in a work job. */
struct inspect_size {
	struct containers	*cs;
	struct berth_req	*req;
	json_object		*doc;		/* loop-owned, untouched by work */
	char			 merged[PATH_MAX];
	char			 upper[PATH_MAX];
	int64_t			 rw;
	int64_t			 rootfs;
};

static void
inspect_size_work(void *arg)
{
	struct inspect_size	*j = arg;

	if (j->upper[0] != '\0')
		j->rw = containers_du(j->upper, 0);
	if (j->merged[0] != '\0')
		j->rootfs = containers_du(j->merged, 0);
	if (j->rootfs < j->rw)
		j->rootfs = j->rw;
}

static void
inspect_size_done(void *arg)
{
	struct inspect_size	*j = arg;

	json_object_object_add(j->doc, "SizeRw", json_object_new_int64(j->rw));
	json_object_object_add(j->doc, "SizeRootFs",
	    json_object_new_int64(j->rootfs));
	j->cs->h->resp_json(j->req, 200, j->doc);
	json_object_put(j->doc);
	free(j);
}

void
containers_h_inspect(struct berth_req *req, void *state)
{
	struct containers	*cs = state;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct inspect_size	*j;
	struct ctr		*c;
	json_object		*o;

	if ((c = containers_find(cs, cs->h->req_param(req, "id"), &err)) ==
	    NULL) {
		cs->h->resp_error(req, &err);
		return;
	}
	o = containers_inspect_json(c);
	if (cs->h->req_query_bool(req, "size") &&
	    (j = calloc(1, sizeof(*j))) != NULL) {
		j->cs = cs;
		j->req = req;
		j->doc = o;
		(void)cs->img->rootfs_paths(cs->img_st, c->id, j->merged,
		    j->upper, sizeof(j->merged));
		if (cs->h->work(cs->h, inspect_size_work, inspect_size_done,
		    j) == 0)
			return;
		free(j);
	}
	cs->h->resp_json(req, 200, o);
	json_object_put(o);
}
