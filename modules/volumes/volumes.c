/*
 * volumes - the volumes service: the /volumes API, volumes/1 for the
 * containers service, volume events, Plugins.Volume in /info.  Drivers
 * are found by name through volume/1 in the registry; this module never
 * touches a volume's data itself.
 */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <berth/df.h>
#include <berth/host.h>
#include <berth/info.h>
#include <berth/json.h>
#include <berth/module.h>
#include <berth/route.h>

#include "volumes.h"

static const struct berth_route volumes_routes[] = {
	{ BERTH_GET,	"/volumes",			NULL,
	    volumes_h_list, 0, 0 },
	{ BERTH_POST,	"/volumes/create",		NULL,
	    volumes_h_create, 0, 0 },
	{ BERTH_POST,	"/volumes/prune",		"1.25",
	    volumes_h_prune, 0, 0 },
	{ BERTH_GET,	"/volumes/{name}",		NULL,
	    volumes_h_inspect, 0, 0 },
	{ BERTH_DELETE,	"/volumes/{name}",		NULL,
	    volumes_h_remove, 0, 0 },
};

struct vs_vol *
volumes_find(struct volumes *vs, const char *name)
{
	struct vs_vol	*v;

	if (name == NULL)
		return NULL;
	TAILQ_FOREACH(v, &vs->vols, entry)
		if (strcmp(v->name, name) == 0)
			return v;
	return NULL;
}

const struct berth_volume_ops *
volumes_driver(struct volumes *vs, const char *name, void **stp,
    struct berth_err *err)
{
	const struct berth_volume_ops	*ops;

	if (name == NULL || *name == '\0')
		name = "local";
	ops = vs->h->lookup(vs->h, BERTH_VOLUME_IFACE, name, stp);
	if (ops == NULL)
		berth_err_set(err, -ENOENT, "error looking up volume plugin "
		    "%s: plugin \"%s\" not found", name, name);
	return ops;
}

void
volumes_emit(struct volumes *vs, const char *action, const char *name,
    json_object *attrs)
{
	vs->h->emit(vs->h, "volume", action, name, attrs);
}

void
volumes_vol_ref(struct vs_vol *v)
{
	v->refs++;
}

void
volumes_vol_unref(struct vs_vol *v)
{
	struct vs_user		*u;
	struct vs_waiter	*w;

	if (--v->refs > 0)
		return;
	while ((u = TAILQ_FIRST(&v->users)) != NULL) {
		TAILQ_REMOVE(&v->users, u, entry);
		free(u->container);
		while (u->nmounts > 0)
			free(u->mount_ids[--u->nmounts]);
		free(u->mount_ids);
		free(u);
	}
	while ((w = TAILQ_FIRST(&v->waiters)) != NULL) {
		TAILQ_REMOVE(&v->waiters, w, entry);
		free(w);
	}
	json_object_put(v->labels);
	json_object_put(v->options);
	free(v->name);
	free(v->driver);
	free(v->mountpoint);
	free(v->created_at);
	free(v);
}

/* Take v out of the table (it lives on while someone holds a ref). */
void
volumes_unlink(struct volumes *vs, struct vs_vol *v)
{
	if (v->gone)
		return;
	TAILQ_REMOVE(&vs->vols, v, entry);
	v->gone = 1;
	volumes_vol_unref(v);
}

/* Containers that hold v (declared users or mounts). */
int
volumes_users(const struct vs_vol *v)
{
	const struct vs_user	*u;
	int			 n = 0;

	TAILQ_FOREACH(u, &v->users, entry)
		n++;
	return n;
}

/* The spec's Volume; usage is UsageData or NULL. */
json_object *
volumes_json(const struct vs_vol *v, json_object *usage)
{
	json_object	*o = json_object_new_object();

	json_object_object_add(o, "CreatedAt",
	    json_object_new_string(v->created_at));
	json_object_object_add(o, "Driver", json_object_new_string(v->driver));
	json_object_object_add(o, "Labels", v->labels != NULL ?
	    json_object_get(v->labels) : json_object_new_object());
	json_object_object_add(o, "Mountpoint",
	    json_object_new_string(v->mountpoint != NULL ? v->mountpoint : ""));
	json_object_object_add(o, "Name", json_object_new_string(v->name));
	json_object_object_add(o, "Options", json_object_get(v->options));
	json_object_object_add(o, "Scope", json_object_new_string(v->global ?
	    "global" : "local"));
	if (usage != NULL)
		json_object_object_add(o, "UsageData", usage);
	return o;
}

/* Plugins.Volume: every volume/1 driver in the registry. */
static void
volumes_info(void *state, json_object *out)
{
	struct volumes	*vs = state;

	berth_info_plugins(vs->h, out, BERTH_VOLUME_IFACE, "Volume");
}

static void
volumes_fill_path(void *arg, int rc, const char *mp,
    const struct berth_err *err)
{
	struct vs_vol	*v = arg;

	if (rc == 0 && mp != NULL && v->mountpoint == NULL)
		v->mountpoint = strdup(mp);
	volumes_vol_unref(v);
}

/*
 * Volumes a driver has and we have no file for (berthd died between the
 * driver's Create and our metadata, made behind our back, or a plugin's
 * own) are taken in, as Docker's store lists what its drivers hold.
 */
void
volumes_adopt(struct volumes *vs, const char *driver,
    const struct berth_volume_info *vi, size_t n)
{
	struct vs_vol	*v;
	char		 now[40];
	size_t		 i;

	for (i = 0; i < n; i++) {
		if (volumes_find(vs, vi[i].name) != NULL ||
		    (v = calloc(1, sizeof(*v))) == NULL)
			continue;
		TAILQ_INIT(&v->users);
		TAILQ_INIT(&v->waiters);
		volumes_time_now(now, sizeof(now));
		v->name = strdup(vi[i].name);
		v->driver = strdup(driver);
		v->created_at = strdup(vi[i].created_at != NULL ?
		    vi[i].created_at : now);
		v->mountpoint = vi[i].mountpoint != NULL ?
		    strdup(vi[i].mountpoint) : NULL;
		v->refs = 1;
		if (v->name == NULL || v->driver == NULL ||
		    v->created_at == NULL) {
			volumes_vol_unref(v);
			continue;
		}
		TAILQ_INSERT_TAIL(&vs->vols, v, entry);
		vs->h->log(vs->h, BERTH_LOG_INFO, "volume %s of driver %s "
		    "had no metadata: adopted", v->name, v->driver);
	}
}

struct adopt {
	struct volumes	*vs;
	char		*driver;
};

static void
volumes_adopt_list(void *arg, int rc, const struct berth_volume_info *vi,
    size_t n, const struct berth_err *err)
{
	struct adopt	*a = arg;

	if (rc == 0)
		volumes_adopt(a->vs, a->driver, vi, n);
	free(a->driver);
	free(a);
}

static void
volumes_adopt_driver(const char *name, const void *ops, void *st, void *arg)
{
	const struct berth_volume_ops	*d = ops;
	struct adopt			*a;

	if (d == NULL || d->list == NULL ||
	    (a = calloc(1, sizeof(*a))) == NULL)
		return;
	a->vs = arg;
	if ((a->driver = strdup(name)) == NULL) {
		free(a);
		return;
	}
	d->list(st, volumes_adopt_list, a);
}

/* Paths the drivers know, for volumes loaded from our files. */
static void
volumes_fill_paths(struct volumes *vs)
{
	const struct berth_volume_ops	*d;
	struct berth_err		 err = BERTH_ERR_INIT;
	struct vs_vol			*v;
	void				*st;

	TAILQ_FOREACH(v, &vs->vols, entry) {
		if (v->mountpoint != NULL || strcmp(v->driver, "local") != 0 ||
		    (d = volumes_driver(vs, v->driver, &st, &err)) == NULL)
			continue;
		volumes_vol_ref(v);
		d->path(st, v->name, volumes_fill_path, v);
	}
}

static void
volumes_free(struct volumes *vs)
{
	struct vs_vol	*v;

	while ((v = TAILQ_FIRST(&vs->vols)) != NULL)
		volumes_unlink(vs, v);
	free(vs->meta);
	free(vs);
}

static int
volumes_init(const struct berth_host *h, const struct berth_conf *conf,
    void **statep, struct berth_err *err)
{
	struct volumes	*vs;
	char		 p[PATH_MAX];
	int		 rc;

	if ((vs = calloc(1, sizeof(*vs))) == NULL)
		return berth_err_set(err, -ENOMEM, "out of memory");
	vs->h = h;
	TAILQ_INIT(&vs->vols);
	snprintf(p, sizeof(p), "%s/volumes/_meta", h->data_root(h));
	if ((vs->meta = strdup(p)) == NULL) {
		free(vs);
		return berth_err_set(err, -ENOMEM, "out of memory");
	}
	if ((rc = volumes_load(vs, err)) == 0) {
		volumes_fill_paths(vs);
		h->drivers(h, BERTH_VOLUME_IFACE, volumes_adopt_driver, vs);
	}
	if (rc < 0 ||
	    (rc = h->route(h, volumes_routes, sizeof(volumes_routes) /
	    sizeof(volumes_routes[0]), vs, err)) < 0 ||
	    (rc = h->provide(h, BERTH_VOLUMES_IFACE, BERTH_VOLUMES_SERVICE,
	    &volumes_svc_ops, vs, err)) < 0 ||
	    (rc = h->provide(h, BERTH_DF_IFACE, "volumes", &volumes_df_ops,
	    vs, err)) < 0 ||
	    (rc = h->hook(h, BERTH_HOOK_INFO, volumes_info, vs, err)) < 0) {
		volumes_free(vs);
		return rc;
	}
	*statep = vs;
	return 0;
}

static void
volumes_fini(void *state)
{
	struct volumes	*vs = state;

	vs->stopping = 1;
	volumes_free(vs);
}

BERTH_MODULE = {
	.abi = BERTH_ABI_INIT,
	.name = "volumes",
	.version = "0.1.0",
	.provides = (const char *const[]){ BERTH_VOLUMES_IFACE,
	    BERTH_DF_IFACE, NULL },
	.requires = (const char *const[]){ BERTH_VOLUME_IFACE, NULL },
	.init = volumes_init,
	.fini = volumes_fini,
};
