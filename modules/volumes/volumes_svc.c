/*
 * volumes_svc.c - volumes/1, what the containers service calls: ensure a
 * volume, declare and drop a container's use, mount and unmount it for a
 * container (with a fresh VolumeDriver mount ID per mount point), remove
 * anonymous volumes.  Uses live only in memory: the containers service
 * declares them again at every start of berthd, so a count can never
 * drift from the containers that really exist.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "volumes.h"

static struct vs_user *
svc_user(struct vs_vol *v, const char *container, int add)
{
	struct vs_user	*u;

	TAILQ_FOREACH(u, &v->users, entry)
		if (strcmp(u->container, container) == 0)
			return u;
	if (!add || (u = calloc(1, sizeof(*u))) == NULL)
		return NULL;
	if ((u->container = strdup(container)) == NULL) {
		free(u);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&v->users, u, entry);
	return u;
}

static void
svc_user_drop(struct vs_vol *v, struct vs_user *u)
{
	TAILQ_REMOVE(&v->users, u, entry);
	while (u->nmounts > 0)
		free(u->mount_ids[--u->nmounts]);
	free(u->mount_ids);
	free(u->container);
	free(u);
}

/* A fresh VolumeDriver mount ID for one more mount point of u. */
static int
svc_id_add(struct vs_user *u, char *out)
{
	char	**a;

	if (berth_id_new(out) < 0)
		return -EIO;
	if ((a = realloc(u->mount_ids, (u->nmounts + 1) * sizeof(*a))) ==
	    NULL)
		return -ENOMEM;
	u->mount_ids = a;
	if ((a[u->nmounts] = strdup(out)) == NULL)
		return -ENOMEM;
	u->nmounts++;
	return 0;
}

/* Take id (or, with NULL, the latest) out of u; the caller frees it. */
static char *
svc_id_take(struct vs_user *u, const char *id)
{
	char	*s;
	size_t	 i;

	for (i = u->nmounts; i > 0; i--)
		if (id == NULL || strcmp(u->mount_ids[i - 1], id) == 0) {
			s = u->mount_ids[i - 1];
			memmove(&u->mount_ids[i - 1], &u->mount_ids[i],
			    (u->nmounts - i) * sizeof(char *));
			u->nmounts--;
			return s;
		}
	return NULL;
}

static struct vs_vol *
svc_find(struct volumes *vs, const char *name, struct berth_err *err)
{
	struct vs_vol	*v = volumes_find(vs, name);

	if (v == NULL || v->creating) {
		berth_err_set(err, -ENOENT, "get %s: no such volume",
		    name != NULL ? name : "");
		return NULL;
	}
	return v;
}

/* --- ensure ---------------------------------------------------------------- */

struct ensure_job {
	berth_volumes_name_cb	 done;
	void			*arg;
};

static void
ensure_done(void *arg, int rc, struct vs_vol *v, const struct berth_err *err)
{
	struct ensure_job	*j = arg;

	j->done(j->arg, rc, rc == 0 ? v->name : NULL, err);
	free(j);
}

static void
svc_ensure(void *st, const char *name, const char *driver, json_object *opts,
    json_object *labels, berth_volumes_name_cb done, void *arg)
{
	struct ensure_job	*j;
	struct berth_err	 err = BERTH_ERR_INIT;

	if ((j = calloc(1, sizeof(*j))) == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		done(arg, -ENOMEM, NULL, &err);
		return;
	}
	j->done = done;
	j->arg = arg;
	volumes_create(st, name, driver, opts, labels, 1, ensure_done, j);
}

/* --- use ------------------------------------------------------------------- */

static int
svc_use(void *st, const char *name, const char *container,
    struct berth_err *err)
{
	struct vs_vol	*v;
	struct vs_user	*u;

	if ((v = svc_find(st, name, err)) == NULL)
		return err->code;
	if ((u = svc_user(v, container, 1)) == NULL)
		return berth_err_set(err, -ENOMEM, "out of memory");
	u->used = 1;
	return 0;
}

static void
svc_unuse(void *st, const char *name, const char *container)
{
	struct vs_vol	*v;
	struct vs_user	*u;

	if ((v = volumes_find(st, name)) == NULL ||
	    (u = svc_user(v, container, 0)) == NULL)
		return;
	u->used = 0;
	if (u->nmounts == 0)
		svc_user_drop(v, u);
}

/* --- mount ------------------------------------------------------------------- */

struct mount_job {
	struct volumes		*vs;
	struct vs_vol		*v;
	char			*container;
	char			*destination;
	char			*propagation;
	char			*copy_from;
	char			*path;
	char			 id[VOLUMES_ID_LEN + 1];
	int			 rw;
	int			 restore;	/* no event: see volume.h */
	int			 rc;
	struct berth_err	 err;
	berth_volume_path_cb	 done;
	void			*arg;
};

static void
mount_job_free(struct mount_job *j)
{
	volumes_vol_unref(j->v);
	free(j->container);
	free(j->destination);
	free(j->propagation);
	free(j->copy_from);
	free(j->path);
	free(j);
}

static void
mount_finish(struct mount_job *j)
{
	struct vs_user	*u;
	json_object	*a;

	u = svc_user(j->v, j->container, 0);
	if (j->rc < 0) {
		if (u != NULL)
			free(svc_id_take(u, j->id));
		if (u != NULL && u->nmounts == 0 && !u->used)
			svc_user_drop(j->v, u);
		j->done(j->arg, j->rc, NULL, &j->err);
		mount_job_free(j);
		return;
	}
	if (j->restore) {
		j->done(j->arg, 0, j->path, NULL);
		mount_job_free(j);
		return;
	}
	a = json_object_new_object();
	json_object_object_add(a, "container",
	    json_object_new_string(j->container));
	json_object_object_add(a, "destination",
	    json_object_new_string(j->destination));
	json_object_object_add(a, "driver", json_object_new_string(
	    j->v->driver));
	json_object_object_add(a, "propagation",
	    json_object_new_string(j->propagation));
	json_object_object_add(a, "read/write",
	    json_object_new_string(j->rw ? "true" : "false"));
	volumes_emit(j->vs, "mount", j->v->name, a);
	json_object_put(a);
	j->done(j->arg, 0, j->path, NULL);
	mount_job_free(j);
}

static void
mount_copy_work(void *arg)
{
	struct mount_job	*j = arg;

	j->rc = volumes_copy_if_empty(j->copy_from, j->path, &j->err);
}

static void
mount_copy_done(void *arg)
{
	mount_finish(arg);
}

static void
mount_driver_done(void *arg, int rc, const char *path,
    const struct berth_err *err)
{
	struct mount_job	*j = arg;

	if (rc < 0 || path == NULL) {
		j->rc = rc < 0 ? rc : -EIO;
		berth_err_set(&j->err, j->rc, "error while mounting volume "
		    "'%s': %s", j->v->name, err != NULL ? err->msg :
		    "the driver gave no path");
		mount_finish(j);
		return;
	}
	if ((j->path = strdup(path)) == NULL) {
		j->rc = berth_err_set(&j->err, -ENOMEM, "out of memory");
		mount_finish(j);
		return;
	}
	if (j->v->mountpoint == NULL)
		j->v->mountpoint = strdup(path);
	if (j->copy_from != NULL &&
	    j->vs->h->work(j->vs->h, mount_copy_work, mount_copy_done, j) == 0)
		return;
	mount_finish(j);
}

static void
svc_mount(void *st, const struct berth_volumes_mount *m,
    berth_volume_path_cb done, void *arg)
{
	struct volumes			*vs = st;
	struct berth_err		 err = BERTH_ERR_INIT;
	const struct berth_volume_ops	*drv;
	void				*dst;
	struct vs_vol			*v;
	struct vs_user			*u;
	struct mount_job		*j;

	if ((v = svc_find(vs, m->name, &err)) == NULL ||
	    (drv = volumes_driver(vs, v->driver, &dst, &err)) == NULL) {
		done(arg, err.code, NULL, &err);
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (u = svc_user(v, m->container, 1)) == NULL) {
		free(j);
		berth_err_set(&err, -ENOMEM, "out of memory");
		done(arg, -ENOMEM, NULL, &err);
		return;
	}
	j->vs = vs;
	j->v = v;
	volumes_vol_ref(v);
	j->container = strdup(m->container);
	j->destination = strdup(m->destination != NULL ? m->destination : "");
	j->propagation = strdup(m->propagation != NULL ? m->propagation : "");
	j->copy_from = m->copy_from != NULL ? strdup(m->copy_from) : NULL;
	j->rw = m->rw;
	j->restore = m->size >= offsetof(struct berth_volumes_mount,
	    restore) + sizeof(m->restore) && m->restore;
	j->done = done;
	j->arg = arg;
	/* One mount ID per container mount point, kept for Unmount. */
	if (svc_id_add(u, j->id) < 0) {
		j->rc = berth_err_set(&j->err, -ENOMEM, "out of memory");
		mount_finish(j);
		return;
	}
	if (j->container == NULL || j->destination == NULL ||
	    j->propagation == NULL ||
	    (m->copy_from != NULL && j->copy_from == NULL)) {
		j->rc = berth_err_set(&j->err, -ENOMEM, "out of memory");
		mount_finish(j);
		return;
	}
	drv->mount(dst, v->name, j->id, mount_driver_done, j);
}

/* --- unmount ------------------------------------------------------------------ */

struct unmount_job {
	struct volumes		*vs;
	struct vs_vol		*v;
	char			*container;
	berth_volume_done_cb	 done;
	void			*arg;
};

static void
unmount_driver_done(void *arg, int rc, const struct berth_err *err)
{
	struct unmount_job	*j = arg;
	json_object		*a;

	a = json_object_new_object();
	json_object_object_add(a, "container",
	    json_object_new_string(j->container));
	json_object_object_add(a, "driver", json_object_new_string(
	    j->v->driver));
	volumes_emit(j->vs, "unmount", j->v->name, a);
	json_object_put(a);
	j->done(j->arg, rc, err);
	volumes_vol_unref(j->v);
	free(j->container);
	free(j);
}

static void
svc_unmount(void *st, const char *name, const char *container,
    berth_volume_done_cb done, void *arg)
{
	struct volumes			*vs = st;
	struct berth_err		 err = BERTH_ERR_INIT;
	const struct berth_volume_ops	*drv;
	void				*dst;
	struct vs_vol			*v;
	struct vs_user			*u;
	struct unmount_job		*j = NULL;
	char				*id;

	if ((v = svc_find(vs, name, &err)) == NULL) {
		done(arg, err.code, &err);
		return;
	}
	if ((u = svc_user(v, container, 0)) == NULL ||
	    (id = svc_id_take(u, NULL)) == NULL) {
		done(arg, 0, NULL);	/* not mounted for it: nothing to do */
		return;
	}
	if (u->nmounts == 0 && !u->used)
		svc_user_drop(v, u);
	if ((drv = volumes_driver(vs, v->driver, &dst, &err)) == NULL ||
	    (j = calloc(1, sizeof(*j))) == NULL ||
	    (j->container = strdup(container)) == NULL) {
		free(j);
		free(id);
		if (err.code == 0)
			berth_err_set(&err, -ENOMEM, "out of memory");
		done(arg, err.code, &err);
		return;
	}
	j->vs = vs;
	j->v = v;
	volumes_vol_ref(v);
	j->done = done;
	j->arg = arg;
	drv->unmount(dst, v->name, id, unmount_driver_done, j);
	free(id);
}

/* --- remove ------------------------------------------------------------------- */

static void
svc_remove(void *st, const char *name, int force, berth_volume_done_cb done,
    void *arg)
{
	struct volumes		*vs = st;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct vs_vol		*v;

	if ((v = svc_find(vs, name, &err)) == NULL) {
		if (force)
			err.code = 0;
		done(arg, err.code, err.code < 0 ? &err : NULL);
		return;
	}
	volumes_remove(vs, v, done, arg);
}

const struct berth_volumes_ops volumes_svc_ops = {
	.size = sizeof(struct berth_volumes_ops),
	.ensure = svc_ensure,
	.use = svc_use,
	.unuse = svc_unuse,
	.mount = svc_mount,
	.unmount = svc_unmount,
	.remove = svc_remove,
};
