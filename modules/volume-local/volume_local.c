/*
 * volume_local.c - the "local" volume driver (volume/1): Docker's local
 * driver, op for op.  The loop thread owns the volume table; mkdir,
 * mount(2), umount and removal run in work jobs, one at a time per volume
 * (a queue), so two mounts of one volume never race to mount its device.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <berth/host.h>
#include <berth/json.h>
#include <berth/module.h>
#include <berth/volume.h>

#include "volume_local.h"

enum vl_op { VL_CREATE, VL_REMOVE, VL_MOUNT, VL_UNMOUNT };

struct vl_job {
	TAILQ_ENTRY(vl_job)	 entry;
	struct volume_local	*vl;
	struct vl_vol		*v;
	enum vl_op		 op;
	char			*id;		/* mount ID */
	char			*opts_text;	/* opts.json to write */
	int			 do_mount;
	int			 do_unmount;
	int			 rc;
	struct berth_err	 err;
	berth_volume_done_cb	 done;
	berth_volume_path_cb	 path_done;
	void			*arg;
};

/* Jobs waiting for their volume; a vl_vol is freed only when idle. */
static TAILQ_HEAD(, vl_job)	vl_waiting = TAILQ_HEAD_INITIALIZER(vl_waiting);

static struct vl_vol *
vl_find(struct volume_local *vl, const char *name)
{
	struct vl_vol	*v;

	TAILQ_FOREACH(v, &vl->vols, entry)
		if (!v->removed && strcmp(v->name, name) == 0)
			return v;
	return NULL;
}

static void
vl_vol_free(struct vl_vol *v)
{
	struct vl_ref	*r;

	if (v == NULL)
		return;
	while ((r = TAILQ_FIRST(&v->refs)) != NULL) {
		TAILQ_REMOVE(&v->refs, r, entry);
		free(r->id);
		free(r);
	}
	json_object_put(v->opts);
	free(v->name);
	free(v->dir);
	free(v->data);
	free(v);
}

static struct vl_vol *
vl_vol_new(struct volume_local *vl, const char *name)
{
	struct vl_vol	*v;
	char		 p[PATH_MAX];

	if ((v = calloc(1, sizeof(*v))) == NULL)
		return NULL;
	TAILQ_INIT(&v->refs);
	snprintf(p, sizeof(p), "%s/%s", vl->root, name);
	v->name = strdup(name);
	v->dir = strdup(p);
	snprintf(p, sizeof(p), "%s/%s/_data", vl->root, name);
	v->data = strdup(p);
	if (v->name == NULL || v->dir == NULL || v->data == NULL) {
		vl_vol_free(v);
		return NULL;
	}
	return v;
}

static int
vl_has_device(const struct vl_vol *v)
{
	const char	*d = berth_json_str(v->opts, "device");

	return d != NULL && *d != '\0';
}

static struct vl_ref *
vl_ref_find(struct vl_vol *v, const char *id)
{
	struct vl_ref	*r;

	TAILQ_FOREACH(r, &v->refs, entry)
		if (strcmp(r->id, id) == 0)
			return r;
	return NULL;
}

/* --- jobs ---------------------------------------------------------------- */

static void
vl_work(void *arg)
{
	struct vl_job	*j = arg;
	struct vl_vol	*v = j->v;
	char		 p[PATH_MAX];
	int		 rc;

	switch (j->op) {
	case VL_CREATE:
		if ((rc = berth_mkdirs(v->dir, 0755)) < 0 ||
		    (rc = berth_mkdirs(v->data, 0755)) < 0) {
			j->rc = berth_err_set(&j->err, rc, "error while "
			    "creating volume root path '%s': %s", v->dir,
			    strerror(-rc));
			break;
		}
		if (j->opts_text != NULL) {
			snprintf(p, sizeof(p), "%s/opts.json", v->dir);
			if ((rc = berth_write_file(p, j->opts_text,
			    strlen(j->opts_text), 0600, 1)) < 0) {
				j->rc = berth_err_set(&j->err, rc, "writing "
				    "%s: %s", p, strerror(-rc));
				(void)volume_local_rm_tree(v->dir);
			}
		}
		break;
	case VL_REMOVE:
		if (j->do_unmount &&
		    (j->rc = volume_local_unmount(v->data, &j->err)) < 0)
			break;
		if ((rc = volume_local_rm_tree(v->dir)) < 0)
			j->rc = berth_err_set(&j->err, rc, "error while "
			    "removing volume path '%s': %s", v->dir,
			    strerror(-rc));
		break;
	case VL_MOUNT:
		/* A mount left by an earlier berthd is adopted. */
		if (j->do_mount && !volume_local_is_mountpoint(v->data))
			j->rc = volume_local_mount(v->data, v->opts, &j->err);
		break;
	case VL_UNMOUNT:
		if (j->do_unmount)
			j->rc = volume_local_unmount(v->data, &j->err);
		break;
	}
}

static void	vl_job_start(struct vl_job *);

static void
vl_job_free(struct vl_job *j)
{
	free(j->id);
	free(j->opts_text);
	free(j);
}

static void
vl_next(struct vl_vol *v)
{
	struct vl_job	*j;

	TAILQ_FOREACH(j, &vl_waiting, entry)
		if (j->v == v) {
			TAILQ_REMOVE(&vl_waiting, j, entry);
			vl_job_start(j);
			return;
		}
}

/* v is gone: what waited for it finds no such volume. */
static void
vl_drop_waiting(struct vl_vol *v)
{
	struct vl_job		*j, *next;
	struct berth_err	 err = BERTH_ERR_INIT;

	berth_err_set(&err, -ENOENT, "no such volume");
	for (j = TAILQ_FIRST(&vl_waiting); j != NULL; j = next) {
		next = TAILQ_NEXT(j, entry);
		if (j->v != v)
			continue;
		TAILQ_REMOVE(&vl_waiting, j, entry);
		if (j->op == VL_MOUNT)
			j->path_done(j->arg, -ENOENT, NULL, &err);
		else
			j->done(j->arg, -ENOENT, &err);
		vl_job_free(j);
		next = TAILQ_FIRST(&vl_waiting);
	}
}

static void
vl_done(void *arg)
{
	struct vl_job		*j = arg;
	struct volume_local	*vl = j->vl;
	struct vl_vol		*v = j->v;
	struct vl_ref		*r;

	v->busy = 0;
	switch (j->op) {
	case VL_CREATE:
		if (j->rc < 0) {
			v->removed = 1;
			TAILQ_REMOVE(&vl->vols, v, entry);
		}
		j->done(j->arg, j->rc, j->rc < 0 ? &j->err : NULL);
		if (j->rc < 0) {
			vl_drop_waiting(v);
			vl_vol_free(v);
			vl_job_free(j);
			return;
		}
		break;
	case VL_REMOVE:
		if (j->rc == 0) {
			v->removed = 1;
			TAILQ_REMOVE(&vl->vols, v, entry);
		}
		j->done(j->arg, j->rc, j->rc < 0 ? &j->err : NULL);
		if (j->rc == 0) {
			vl_drop_waiting(v);
			vl_vol_free(v);
			vl_job_free(j);
			return;
		}
		break;
	case VL_MOUNT:
		if (j->rc == 0 && j->do_mount)
			v->mounted = 1;
		if (j->rc < 0 && (r = vl_ref_find(v, j->id)) != NULL) {
			TAILQ_REMOVE(&v->refs, r, entry);
			free(r->id);
			free(r);
		}
		j->path_done(j->arg, j->rc, j->rc < 0 ? NULL : v->data,
		    j->rc < 0 ? &j->err : NULL);
		break;
	case VL_UNMOUNT:
		if (j->rc == 0 && j->do_unmount)
			v->mounted = 0;
		j->done(j->arg, j->rc, j->rc < 0 ? &j->err : NULL);
		break;
	}
	vl_next(v);
	vl_job_free(j);
}

/* Decide on the loop thread, just before the job runs, what it does. */
static void
vl_job_start(struct vl_job *j)
{
	struct vl_vol		*v = j->v;
	struct vl_ref		*r;
	const struct berth_host	*h = j->vl->h;

	if (v->busy) {
		TAILQ_INSERT_TAIL(&vl_waiting, j, entry);
		return;
	}
	switch (j->op) {
	case VL_REMOVE:
		if (!TAILQ_EMPTY(&v->refs)) {
			berth_err_set(&j->err, -EBUSY, "volume is in use");
			j->done(j->arg, -EBUSY, &j->err);
			vl_job_free(j);
			vl_next(v);
			return;
		}
		j->do_unmount = v->mounted;
		break;
	case VL_MOUNT:
		j->do_mount = vl_has_device(v) && !v->mounted;
		if (vl_ref_find(v, j->id) == NULL) {
			if ((r = calloc(1, sizeof(*r))) == NULL ||
			    (r->id = strdup(j->id)) == NULL) {
				free(r);
				berth_err_set(&j->err, -ENOMEM,
				    "out of memory");
				j->path_done(j->arg, -ENOMEM, NULL, &j->err);
				vl_job_free(j);
				vl_next(v);
				return;
			}
			TAILQ_INSERT_TAIL(&v->refs, r, entry);
		}
		break;
	case VL_UNMOUNT:
		if ((r = vl_ref_find(v, j->id)) != NULL) {
			TAILQ_REMOVE(&v->refs, r, entry);
			free(r->id);
			free(r);
		}
		j->do_unmount = TAILQ_EMPTY(&v->refs) && v->mounted;
		break;
	default:
		break;
	}
	v->busy = 1;
	if (h->work(h, vl_work, vl_done, j) < 0) {
		j->rc = berth_err_set(&j->err, -ENOMEM,
		    "cannot queue the volume job");
		vl_done(j);
	}
}

static struct vl_job *
vl_job_new(struct volume_local *vl, struct vl_vol *v, enum vl_op op)
{
	struct vl_job	*j;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return NULL;
	j->vl = vl;
	j->v = v;
	j->op = op;
	return j;
}

/* --- volume/1 ---------------------------------------------------------------- */

static void
vl_create(void *st, const char *name, json_object *opts,
    berth_volume_done_cb done, void *arg)
{
	struct volume_local	*vl = st;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct vl_vol		*v;
	struct vl_job		*j;

	if (volume_local_name_valid(name, &err) < 0 ||
	    volume_local_opts_valid(opts, &err) < 0) {
		done(arg, err.code, &err);
		return;
	}
	if (vl_find(vl, name) != NULL) {
		done(arg, 0, NULL);
		return;
	}
	if ((v = vl_vol_new(vl, name)) == NULL ||
	    (j = vl_job_new(vl, v, VL_CREATE)) == NULL) {
		vl_vol_free(v);
		berth_err_set(&err, -ENOMEM, "out of memory");
		done(arg, -ENOMEM, &err);
		return;
	}
	if (opts != NULL && json_object_object_length(opts) > 0) {
		v->opts = json_object_get(opts);
		if ((j->opts_text = strdup(json_object_to_json_string_ext(opts,
		    JSON_C_TO_STRING_PLAIN))) == NULL) {
			vl_job_free(j);
			vl_vol_free(v);
			berth_err_set(&err, -ENOMEM, "out of memory");
			done(arg, -ENOMEM, &err);
			return;
		}
	}
	volume_local_time(time(NULL), v->created, sizeof(v->created));
	j->done = done;
	j->arg = arg;
	TAILQ_INSERT_TAIL(&vl->vols, v, entry);
	vl_job_start(j);
}

static struct vl_vol *
vl_get_or_fail(struct volume_local *vl, const char *name,
    struct berth_err *err)
{
	struct vl_vol	*v;

	if ((v = vl_find(vl, name)) == NULL)
		berth_err_set(err, -ENOENT, "no such volume");
	return v;
}

static void
vl_remove(void *st, const char *name, berth_volume_done_cb done, void *arg)
{
	struct volume_local	*vl = st;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct vl_vol		*v;
	struct vl_job		*j;

	if ((v = vl_get_or_fail(vl, name, &err)) == NULL) {
		done(arg, err.code, &err);
		return;
	}
	if ((j = vl_job_new(vl, v, VL_REMOVE)) == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		done(arg, -ENOMEM, &err);
		return;
	}
	j->done = done;
	j->arg = arg;
	vl_job_start(j);
}

static void
vl_mount(void *st, const char *name, const char *id,
    berth_volume_path_cb done, void *arg)
{
	struct volume_local	*vl = st;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct vl_vol		*v;
	struct vl_job		*j;

	if ((v = vl_get_or_fail(vl, name, &err)) == NULL) {
		done(arg, err.code, NULL, &err);
		return;
	}
	if ((j = vl_job_new(vl, v, VL_MOUNT)) == NULL ||
	    (j->id = strdup(id)) == NULL) {
		free(j);
		berth_err_set(&err, -ENOMEM, "out of memory");
		done(arg, -ENOMEM, NULL, &err);
		return;
	}
	j->path_done = done;
	j->arg = arg;
	vl_job_start(j);
}

static void
vl_unmount(void *st, const char *name, const char *id,
    berth_volume_done_cb done, void *arg)
{
	struct volume_local	*vl = st;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct vl_vol		*v;
	struct vl_job		*j;

	if ((v = vl_get_or_fail(vl, name, &err)) == NULL) {
		done(arg, err.code, &err);
		return;
	}
	if ((j = vl_job_new(vl, v, VL_UNMOUNT)) == NULL ||
	    (j->id = strdup(id)) == NULL) {
		free(j);
		berth_err_set(&err, -ENOMEM, "out of memory");
		done(arg, -ENOMEM, &err);
		return;
	}
	j->done = done;
	j->arg = arg;
	vl_job_start(j);
}

static void
vl_path(void *st, const char *name, berth_volume_path_cb done, void *arg)
{
	struct volume_local	*vl = st;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct vl_vol		*v;

	if ((v = vl_get_or_fail(vl, name, &err)) == NULL)
		done(arg, err.code, NULL, &err);
	else
		done(arg, 0, v->data, NULL);
}

static void
vl_info(const struct vl_vol *v, struct berth_volume_info *i)
{
	memset(i, 0, sizeof(*i));
	i->name = v->name;
	i->mountpoint = v->data;
	i->created_at = v->created;
}

static void
vl_get(void *st, const char *name, berth_volume_get_cb done, void *arg)
{
	struct volume_local	*vl = st;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct berth_volume_info i;
	struct vl_vol		*v;

	if ((v = vl_get_or_fail(vl, name, &err)) == NULL) {
		done(arg, err.code, NULL, &err);
		return;
	}
	vl_info(v, &i);
	done(arg, 0, &i, NULL);
}

static void
vl_list(void *st, berth_volume_list_cb done, void *arg)
{
	struct volume_local	*vl = st;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct berth_volume_info *is;
	struct vl_vol		*v;
	size_t			 n = 0;

	TAILQ_FOREACH(v, &vl->vols, entry)
		n++;
	if ((is = calloc(n ? n : 1, sizeof(*is))) == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		done(arg, -ENOMEM, NULL, 0, &err);
		return;
	}
	n = 0;
	TAILQ_FOREACH(v, &vl->vols, entry)
		vl_info(v, &is[n++]);
	done(arg, 0, is, n, NULL);
	free(is);
}

static void
vl_caps(void *st, berth_volume_caps_cb done, void *arg)
{
	done(arg, 0, "local", NULL);
}

static const struct berth_volume_ops volume_local_ops = {
	.size = sizeof(struct berth_volume_ops),
	.create = vl_create,
	.remove = vl_remove,
	.mount = vl_mount,
	.unmount = vl_unmount,
	.path = vl_path,
	.get = vl_get,
	.list = vl_list,
	.capabilities = vl_caps,
};

/* --- load, init, fini ----------------------------------------------------- */

static json_object *
vl_read_opts(const char *dir)
{
	char	p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/opts.json", dir);
	if (access(p, F_OK) != 0)
		return NULL;
	return json_object_from_file(p);
}

/* A few directory entries, read once before berthd serves. */
static int
vl_load(struct volume_local *vl, struct berth_err *err)
{
	DIR		*d;
	struct dirent	*e;
	struct vl_vol	*v;
	struct stat	 st;
	int		 rc;

	if ((rc = berth_mkdirs(vl->root, 0701)) < 0)
		return berth_err_set(err, rc, "%s: %s", vl->root,
		    strerror(-rc));
	if ((d = opendir(vl->root)) == NULL)
		return berth_err_errno(err, "%s", vl->root);
	while ((e = readdir(d)) != NULL) {
		if (volume_local_name_valid(e->d_name, NULL) < 0)
			continue;
		if ((v = vl_vol_new(vl, e->d_name)) == NULL) {
			closedir(d);
			return berth_err_set(err, -ENOMEM, "out of memory");
		}
		if (stat(v->data, &st) == -1 || !S_ISDIR(st.st_mode)) {
			vl_vol_free(v);
			continue;
		}
		volume_local_time(st.st_mtime, v->created,
		    sizeof(v->created));
		if (stat(v->dir, &st) == 0)
			volume_local_time(st.st_mtime, v->created,
			    sizeof(v->created));
		v->opts = vl_read_opts(v->dir);
		v->mounted = vl_has_device(v) &&
		    volume_local_is_mountpoint(v->data);
		TAILQ_INSERT_TAIL(&vl->vols, v, entry);
	}
	closedir(d);
	return 0;
}

static void
vl_free(struct volume_local *vl)
{
	struct vl_vol	*v;
	struct vl_job	*j;

	while ((j = TAILQ_FIRST(&vl_waiting)) != NULL) {
		TAILQ_REMOVE(&vl_waiting, j, entry);
		vl_job_free(j);
	}
	while ((v = TAILQ_FIRST(&vl->vols)) != NULL) {
		TAILQ_REMOVE(&vl->vols, v, entry);
		vl_vol_free(v);
	}
	free(vl->root);
	free(vl);
}

static int
volume_local_init(const struct berth_host *h, const struct berth_conf *conf,
    void **statep, struct berth_err *err)
{
	struct volume_local	*vl;
	char			 p[PATH_MAX];
	int			 rc;

	if ((vl = calloc(1, sizeof(*vl))) == NULL)
		return berth_err_set(err, -ENOMEM, "out of memory");
	vl->h = h;
	TAILQ_INIT(&vl->vols);
	snprintf(p, sizeof(p), "%s/volumes", h->data_root(h));
	if ((vl->root = strdup(p)) == NULL) {
		free(vl);
		return berth_err_set(err, -ENOMEM, "out of memory");
	}
	if ((rc = vl_load(vl, err)) < 0 ||
	    (rc = h->provide(h, BERTH_VOLUME_IFACE, "local",
	    &volume_local_ops, vl, err)) < 0) {
		vl_free(vl);
		return rc;
	}
	*statep = vl;
	return 0;
}

static void
volume_local_fini(void *state)
{
	vl_free(state);
}

BERTH_MODULE = {
	.abi = BERTH_ABI_INIT,
	.name = "volume-local",
	.version = "0.1.0",
	.provides = (const char *const[]){ BERTH_VOLUME_IFACE, NULL },
	.init = volume_local_init,
	.fini = volume_local_fini,
};
