/*
 * volumes_api.c - POST /volumes/create, GET /volumes, GET
 * /volumes/{name}, DELETE /volumes/{name}, POST /volumes/prune, and the
 * create and remove paths the containers service shares.
 *
 * create:	driver Capabilities -> Create -> Path -> metadata on disk ->
 *		"create"
 * remove:	in use? 409 -> driver Remove -> metadata gone -> "destroy"
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <berth/json.h>

#include "volumes.h"

/* --- create ---------------------------------------------------------------- */

struct create_job {
	struct volumes			*vs;
	struct vs_vol			*v;
	const struct berth_volume_ops	*drv;
	void				*dst;
	vs_vol_cb			 cb;
	void				*arg;
};

static void
create_emit(struct volumes *vs, struct vs_vol *v)
{
	json_object	*a = json_object_new_object();

	json_object_object_add(a, "driver", json_object_new_string(v->driver));
	volumes_emit(vs, "create", v->name, a);
	json_object_put(a);
}

static void
create_finish(struct create_job *j, int rc, const struct berth_err *err)
{
	struct vs_vol		*v = j->v;
	struct vs_waiter	*w;
	struct vs_waiter_list	 todo = TAILQ_HEAD_INITIALIZER(todo);

	v->creating = 0;
	if (rc < 0)
		volumes_unlink(j->vs, v);
	else
		create_emit(j->vs, v);
	TAILQ_CONCAT(&todo, &v->waiters, entry);
	j->cb(j->arg, rc, rc < 0 ? NULL : v, err);
	while ((w = TAILQ_FIRST(&todo)) != NULL) {
		TAILQ_REMOVE(&todo, w, entry);
		if (rc == 0 && w->emit)
			create_emit(j->vs, v);
		w->cb(w->arg, rc, rc < 0 ? NULL : v, err);
		free(w);
	}
	volumes_vol_unref(v);
	free(j);
}

static void
create_saved(void *arg, int rc, const struct berth_err *err)
{
	create_finish(arg, rc, err);
}

static void
create_driver_removed(void *arg, int rc, const struct berth_err *err)
{
	struct create_job	*j = arg;
	struct berth_err	 e = BERTH_ERR_INIT;

	berth_err_set(&e, -EIO, "cannot save the volume's metadata");
	create_finish(j, -EIO, &e);
}

static void
create_pathed(void *arg, int rc, const char *mp, const struct berth_err *err)
{
	struct create_job	*j = arg;

	/* A driver without a path yet (a plugin) fills it at mount. */
	if (rc == 0 && mp != NULL)
		j->v->mountpoint = strdup(mp);
	if (volumes_meta_save(j->vs, j->v, create_saved, j) < 0)
		j->drv->remove(j->dst, j->v->name, create_driver_removed, j);
}

static void
create_created(void *arg, int rc, const struct berth_err *err)
{
	struct create_job	*j = arg;

	if (rc < 0) {
		create_finish(j, rc, err);
		return;
	}
	j->drv->path(j->dst, j->v->name, create_pathed, j);
}

/* The driver's scope is the volume's (a failure here reads as local). */
static void
create_caps(void *arg, int rc, const char *scope, const struct berth_err *err)
{
	struct create_job	*j = arg;

	j->v->global = rc == 0 && scope != NULL &&
	    strcmp(scope, "global") == 0;
	j->drv->create(j->dst, j->v->name, j->v->options, create_created, j);
}

/*
 * Create volume name (NULL or "": anonymous, with a new ID) with driver,
 * or return the existing one of that name; cb(arg, rc, v, err) with v
 * borrowed for the call.  An existing volume emits `create` again, as
 * 20.10 does when a container refers to it.
 */
void
volumes_create(struct volumes *vs, const char *name, const char *driver,
    json_object *opts, json_object *labels, int emit_existing, vs_vol_cb cb,
    void *arg)
{
	struct berth_err		 err = BERTH_ERR_INIT;
	const struct berth_volume_ops	*drv;
	void				*dst;
	struct vs_vol			*v;
	struct create_job		*j;
	char				 id[VOLUMES_ID_LEN + 1];
	char				 now[40];
	int				 anon = 0;

	if (name == NULL || *name == '\0') {
		if (berth_id_new(id) < 0) {
			berth_err_set(&err, -EIO, "cannot draw a volume name");
			cb(arg, -EIO, NULL, &err);
			return;
		}
		name = id;
		anon = 1;
	}
	if (driver != NULL && *driver == '\0')
		driver = NULL;
	if ((v = volumes_find(vs, name)) != NULL) {
		if (driver != NULL && strcmp(driver, v->driver) != 0) {
			berth_err_set(&err, -EEXIST, "create %s: volume name "
			    "must be unique", name);
			cb(arg, -EEXIST, NULL, &err);
			return;
		}
		if (v->creating) {
			struct vs_waiter *w;

			/* Two containers naming a new volume at once. */
			if ((w = calloc(1, sizeof(*w))) == NULL) {
				berth_err_set(&err, -ENOMEM, "out of memory");
				cb(arg, -ENOMEM, NULL, &err);
				return;
			}
			w->cb = cb;
			w->arg = arg;
			w->emit = emit_existing;
			TAILQ_INSERT_TAIL(&v->waiters, w, entry);
			return;
		}
		if (v->removing) {
			berth_err_set(&err, -EBUSY, "create %s: volume is "
			    "being removed", name);
			cb(arg, -EBUSY, NULL, &err);
			return;
		}
		if (emit_existing)
			create_emit(vs, v);
		cb(arg, 0, v, NULL);
		return;
	}
	/* The driver judges names; the service keeps its files safe. */
	if (strchr(name, '/') != NULL || name[0] == '.') {
		berth_err_set(&err, -EINVAL, "\"%s\" includes invalid "
		    "characters for a volume name, only "
		    "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended "
		    "to pass a host directory, use absolute path", name);
		cb(arg, -EINVAL, NULL, &err);
		return;
	}
	if ((drv = volumes_driver(vs, driver, &dst, &err)) == NULL) {
		cb(arg, err.code, NULL, &err);
		return;
	}
	if ((v = calloc(1, sizeof(*v))) == NULL ||
	    (j = calloc(1, sizeof(*j))) == NULL) {
		free(v);
		berth_err_set(&err, -ENOMEM, "out of memory");
		cb(arg, -ENOMEM, NULL, &err);
		return;
	}
	TAILQ_INIT(&v->users);
	TAILQ_INIT(&v->waiters);
	volumes_time_now(now, sizeof(now));
	v->name = strdup(name);
	v->driver = strdup(driver != NULL ? driver : "local");
	v->created_at = strdup(now);
	v->anonymous = anon;
	v->creating = 1;
	v->refs = 2;		/* the table's and the job's */
	if (labels != NULL && json_object_is_type(labels, json_type_object) &&
	    json_object_object_length(labels) > 0)
		json_object_deep_copy(labels, &v->labels, NULL);
	if (opts != NULL && json_object_is_type(opts, json_type_object) &&
	    json_object_object_length(opts) > 0)
		json_object_deep_copy(opts, &v->options, NULL);
	TAILQ_INSERT_TAIL(&vs->vols, v, entry);
	j->vs = vs;
	j->v = v;
	j->drv = drv;
	j->dst = dst;
	j->cb = cb;
	j->arg = arg;
	if (v->name == NULL || v->driver == NULL || v->created_at == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		create_finish(j, -ENOMEM, &err);
		return;
	}
	drv->capabilities(dst, create_caps, j);
}

/* --- remove ---------------------------------------------------------------- */

/* Docker's 409: "remove x: volume is in use - [id, ...]". */
int
volumes_in_use_err(const struct vs_vol *v, struct berth_err *err)
{
	const struct vs_user	*u;
	char			 buf[BERTH_ERR_MSGLEN];
	size_t			 n = 0;

	buf[0] = '\0';
	TAILQ_FOREACH(u, &v->users, entry) {
		if (n + strlen(u->container) + 3 >= sizeof(buf) - 80)
			break;
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s",
		    n > 0 ? ", " : "", u->container);
	}
	return berth_err_set(err, -EBUSY, "remove %s: volume is in use - [%s]",
	    v->name, buf);
}

struct remove_job {
	struct volumes	*vs;
	struct vs_vol	*v;
	vs_done_cb	 cb;
	void		*arg;
	int		 rc;
	struct berth_err err;
};

static void
remove_meta_gone(void *arg, int rc, const struct berth_err *err)
{
	struct remove_job	*j = arg;
	struct vs_vol		*v = j->v;
	json_object		*a;

	if (rc < 0)
		j->vs->h->log(j->vs->h, BERTH_LOG_WARN, "volume %s: %s",
		    v->name, err != NULL ? err->msg : strerror(-rc));
	a = json_object_new_object();
	json_object_object_add(a, "driver", json_object_new_string(v->driver));
	volumes_emit(j->vs, "destroy", v->name, a);
	json_object_put(a);
	volumes_unlink(j->vs, v);
	v->removing = 0;
	j->cb(j->arg, 0, NULL);
	volumes_vol_unref(v);
	free(j);
}

static void
remove_driver_done(void *arg, int rc, const struct berth_err *err)
{
	struct remove_job	*j = arg;
	struct berth_err	 e = BERTH_ERR_INIT;

	/* A driver that no longer knows the volume: purge ours. */
	if (rc < 0 && rc != -ENOENT) {
		j->v->removing = 0;
		if (rc == -EBUSY)
			volumes_in_use_err(j->v, &e);
		else
			berth_err_set(&e, rc, "remove %s: %s", j->v->name,
			    err != NULL ? err->msg : strerror(-rc));
		j->cb(j->arg, e.code, &e);
		volumes_vol_unref(j->v);
		free(j);
		return;
	}
	if (volumes_meta_delete(j->vs, j->v, remove_meta_gone, j) < 0)
		remove_meta_gone(j, -ENOMEM, NULL);
}

/* Remove v: refused while any container holds it, force or not. */
void
volumes_remove(struct volumes *vs, struct vs_vol *v, vs_done_cb cb,
    void *arg)
{
	struct berth_err		 err = BERTH_ERR_INIT;
	const struct berth_volume_ops	*drv;
	void				*dst;
	struct remove_job		*j;

	if (v->creating || v->removing) {
		berth_err_set(&err, -EBUSY, "remove %s: volume is being %s",
		    v->name, v->creating ? "created" : "removed");
		cb(arg, -EBUSY, &err);
		return;
	}
	if (volumes_users(v) > 0) {
		volumes_in_use_err(v, &err);
		cb(arg, -EBUSY, &err);
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		cb(arg, -ENOMEM, &err);
		return;
	}
	j->vs = vs;
	j->v = v;
	j->cb = cb;
	j->arg = arg;
	volumes_vol_ref(v);
	v->removing = 1;
	if ((drv = volumes_driver(vs, v->driver, &dst, &err)) == NULL) {
		/* Its driver is gone: forget the volume. */
		remove_driver_done(j, -ENOENT, &err);
		return;
	}
	drv->remove(dst, v->name, remove_driver_done, j);
}

/* --- handlers ---------------------------------------------------------------- */

struct req_job {
	struct volumes		*vs;
	struct berth_req	*req;
	struct vs_vol		*v;
	json_object		*list;
	json_object		*deleted;
	struct vs_filters	*f;
	int64_t			 reclaimed;
	int			 pending;
};

/* A job for req, or NULL with the 500 answered already. */
static struct req_job *
req_job_new(struct volumes *vs, struct berth_req *req)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	struct req_job		*rj;

	if ((rj = calloc(1, sizeof(*rj))) == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		vs->h->resp_error(req, &err);
		return NULL;
	}
	rj->vs = vs;
	rj->req = req;
	return rj;
}

static void
h_create_done(void *arg, int rc, struct vs_vol *v, const struct berth_err *err)
{
	struct req_job	*rj = arg;
	json_object	*o;

	if (rc < 0)
		rj->vs->h->resp_error(rj->req, err);
	else {
		o = volumes_json(v, NULL);
		rj->vs->h->resp_json(rj->req, 201, o);
		json_object_put(o);
	}
	free(rj);
}

void
volumes_h_create(struct berth_req *req, void *state)
{
	struct volumes		*vs = state;
	const struct berth_host	*h = vs->h;
	struct berth_err	 err = BERTH_ERR_INIT;
	json_object		*body, *opts, *labels, *name;
	struct req_job		*rj;

	if (h->req_json(req, &body, &err) < 0) {
		h->resp_error(req, &err);
		return;
	}
	if (body != NULL && !json_object_is_type(body, json_type_object)) {
		berth_err_set(&err, -EINVAL, "invalid JSON: not an object");
		h->resp_error(req, &err);
		return;
	}
	/*
	 * No Name makes an anonymous volume (what the CLI sends for a bare
	 * `docker volume create`); a Name that is there but empty or not a
	 * string is a mistake, refused rather than guessed at.
	 */
	name = berth_json_get(body, "Name");
	if (name != NULL && (!json_object_is_type(name, json_type_string) ||
	    *json_object_get_string(name) == '\0')) {
		berth_err_set(&err, -EINVAL, "volume name cannot be empty: "
		    "leave Name out for an anonymous volume");
		h->resp_error(req, &err);
		return;
	}
	opts = berth_json_get(body, "DriverOpts");
	labels = berth_json_get(body, "Labels");
	if (berth_json_string_map(opts, "DriverOpts", &err) < 0 ||
	    berth_json_string_map(labels, "Labels", &err) < 0) {
		h->resp_error(req, &err);
		return;
	}
	if ((rj = req_job_new(vs, req)) == NULL)
		return;
	volumes_create(vs, berth_json_str(body, "Name"),
	    berth_json_str(body, "Driver"),
	    json_object_is_type(opts, json_type_object) ? opts : NULL,
	    json_object_is_type(labels, json_type_object) ? labels : NULL, 0,
	    h_create_done, rj);
}

/*
 * GET /volumes: what the store knows, and what every driver lists (a
 * plugin's volumes made behind our back are adopted); a driver that
 * cannot list is a warning, as in Docker, not a failure.
 */
struct list_job {
	struct volumes		*vs;
	struct berth_req	*req;
	struct vs_filters	*f;
	json_object		*warnings;
	int			 pending;
};

struct list_ask {
	struct list_job		*lj;
	char			*driver;
};

static void
list_step(struct list_job *lj)
{
	const struct berth_host	*h = lj->vs->h;
	struct vs_vol		*v;
	json_object		*out, *list;

	if (--lj->pending > 0)
		return;
	list = json_object_new_array();
	TAILQ_FOREACH(v, &lj->vs->vols, entry)
		if (!v->creating && volumes_filters_match(lj->f, v))
			json_object_array_add(list, volumes_json(v, NULL));
	out = json_object_new_object();
	json_object_object_add(out, "Volumes", list);
	json_object_object_add(out, "Warnings", lj->warnings);
	h->resp_json(lj->req, 200, out);
	json_object_put(out);
	volumes_filters_free(lj->f);
	free(lj);
}

static void
list_listed(void *arg, int rc, const struct berth_volume_info *vi, size_t n,
    const struct berth_err *err)
{
	struct list_ask	*a = arg;
	struct list_job	*lj = a->lj;

	if (rc == 0)
		volumes_adopt(lj->vs, a->driver, vi, n);
	else {
		if (lj->warnings == NULL)
			lj->warnings = json_object_new_array();
		json_object_array_add(lj->warnings, json_object_new_string(
		    err != NULL ? err->msg : strerror(-rc)));
	}
	free(a->driver);
	free(a);
	list_step(lj);
}

static void
list_ask_driver(const char *name, const void *ops, void *st, void *arg)
{
	const struct berth_volume_ops	*d = ops;
	struct list_job			*lj = arg;
	struct list_ask			*a;

	if (d->list == NULL || (a = calloc(1, sizeof(*a))) == NULL)
		return;
	if ((a->driver = strdup(name)) == NULL) {
		free(a);
		return;
	}
	a->lj = lj;
	lj->pending++;
	d->list(st, list_listed, a);
}

void
volumes_h_list(struct berth_req *req, void *state)
{
	struct volumes		*vs = state;
	const struct berth_host	*h = vs->h;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct vs_filters	*f = NULL;
	struct list_job		*lj;

	if (volumes_filters_parse(h->req_query(req, "filters", 0), 0, &f,
	    &err) < 0) {
		h->resp_error(req, &err);
		return;
	}
	if ((lj = calloc(1, sizeof(*lj))) == NULL) {
		volumes_filters_free(f);
		berth_err_set(&err, -ENOMEM, "out of memory");
		h->resp_error(req, &err);
		return;
	}
	lj->vs = vs;
	lj->req = req;
	lj->f = f;
	lj->pending = 1;	/* ours, until every driver is asked */
	h->drivers(h, BERTH_VOLUME_IFACE, list_ask_driver, lj);
	list_step(lj);
}

static void
h_inspect_got(void *arg, int rc, const struct berth_volume_info *i,
    const struct berth_err *err)
{
	struct req_job	*rj = arg;
	json_object	*o;

	if (rj->v->gone) {
		struct berth_err e = BERTH_ERR_INIT;

		berth_err_set(&e, -ENOENT, "get %s: no such volume",
		    rj->v->name);
		rj->vs->h->resp_error(rj->req, &e);
	} else {
		o = volumes_json(rj->v, NULL);
		if (rc == 0 && i != NULL && i->status != NULL)
			json_object_object_add(o, "Status",
			    json_object_get(i->status));
		rj->vs->h->resp_json(rj->req, 200, o);
		json_object_put(o);
	}
	volumes_vol_unref(rj->v);
	free(rj);
}

void
volumes_h_inspect(struct berth_req *req, void *state)
{
	struct volumes			*vs = state;
	const struct berth_host		*h = vs->h;
	struct berth_err		 err = BERTH_ERR_INIT;
	const char			*name = h->req_param(req, "name");
	const struct berth_volume_ops	*drv;
	void				*dst;
	struct vs_vol			*v;
	struct req_job			*rj;

	if ((v = volumes_find(vs, name)) == NULL || v->creating) {
		berth_err_set(&err, -ENOENT, "get %s: no such volume", name);
		h->resp_error(req, &err);
		return;
	}
	if ((rj = req_job_new(vs, req)) == NULL)
		return;
	rj->v = v;
	volumes_vol_ref(v);
	/* The driver's Status, as Docker shows it; none if it is gone. */
	if ((drv = volumes_driver(vs, v->driver, &dst, &err)) == NULL) {
		h_inspect_got(rj, err.code, NULL, &err);
		return;
	}
	drv->get(dst, v->name, h_inspect_got, rj);
}

static void
h_remove_done(void *arg, int rc, const struct berth_err *err)
{
	struct req_job	*rj = arg;

	if (rc < 0)
		rj->vs->h->resp_error(rj->req, err);
	else
		rj->vs->h->resp_status(rj->req, 204);
	free(rj);
}

void
volumes_h_remove(struct berth_req *req, void *state)
{
	struct volumes		*vs = state;
	const struct berth_host	*h = vs->h;
	struct berth_err	 err = BERTH_ERR_INIT;
	const char		*name = h->req_param(req, "name");
	struct vs_vol		*v;
	struct req_job		*rj;

	if ((v = volumes_find(vs, name)) == NULL || v->creating) {
		if (h->req_query_bool(req, "force")) {
			h->resp_status(req, 204);
			return;
		}
		berth_err_set(&err, -ENOENT, "get %s: no such volume", name);
		h->resp_error(req, &err);
		return;
	}
	if ((rj = req_job_new(vs, req)) == NULL)
		return;
	volumes_remove(vs, v, h_remove_done, rj);
}

/* --- prune ------------------------------------------------------------------- */

struct prune_one {
	struct req_job	*rj;
	struct vs_vol	*v;
	char		*path;
	int64_t		 size;
};

static void
prune_answer(struct req_job *rj)
{
	json_object	*out, *a;
	char		 buf[32];

	snprintf(buf, sizeof(buf), "%lld", (long long)rj->reclaimed);
	a = json_object_new_object();
	json_object_object_add(a, "reclaimed", json_object_new_string(buf));
	volumes_emit(rj->vs, "prune", "", a);
	json_object_put(a);
	out = json_object_new_object();
	json_object_object_add(out, "VolumesDeleted", rj->deleted);
	json_object_object_add(out, "SpaceReclaimed",
	    json_object_new_int64(rj->reclaimed));
	rj->vs->h->resp_json(rj->req, 200, out);
	json_object_put(out);
	volumes_filters_free(rj->f);
	free(rj);
}

static void
prune_removed(void *arg, int rc, const struct berth_err *err)
{
	struct prune_one	*p = arg;
	struct req_job		*rj = p->rj;

	if (rc == 0) {
		json_object_array_add(rj->deleted,
		    json_object_new_string(p->v->name));
		if (p->size > 0)
			rj->reclaimed += p->size;
	}
	volumes_vol_unref(p->v);
	free(p->path);
	free(p);
	if (--rj->pending == 0)
		prune_answer(rj);
}

static void
prune_sized_work(void *arg)
{
	struct prune_one	*p = arg;

	p->size = volumes_du(p->path);
}

static void
prune_sized(void *arg)
{
	struct prune_one	*p = arg;

	/* Someone took it meanwhile: volumes_remove refuses then. */
	if (p->v->gone) {
		prune_removed(p, -ENOENT, NULL);
		return;
	}
	volumes_remove(p->rj->vs, p->v, prune_removed, p);
}

void
volumes_h_prune(struct berth_req *req, void *state)
{
	struct volumes		*vs = state;
	const struct berth_host	*h = vs->h;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct req_job		*rj;
	struct prune_one	*p, **all;
	struct vs_vol		*v;
	size_t			 n, i;

	if ((rj = req_job_new(vs, req)) == NULL)
		return;
	if (volumes_filters_parse(h->req_query(req, "filters", 0), 1, &rj->f,
	    &err) < 0) {
		free(rj);
		h->resp_error(req, &err);
		return;
	}
	rj->deleted = json_object_new_array();
	rj->pending = 1;
	/* Chosen first, then measured and removed: removal edits the list. */
	n = 0;
	TAILQ_FOREACH(v, &vs->vols, entry)
		n++;
	if ((all = calloc(n + 1, sizeof(*all))) == NULL) {
		prune_answer(rj);
		return;
	}
	n = 0;
	TAILQ_FOREACH(v, &vs->vols, entry) {
		if (v->creating || v->removing || volumes_users(v) > 0 ||
		    !volumes_filters_match(rj->f, v))
			continue;
		if ((p = calloc(1, sizeof(*p))) == NULL)
			break;
		p->rj = rj;
		p->v = v;
		p->path = v->mountpoint != NULL &&
		    strcmp(v->driver, "local") == 0 ? strdup(v->mountpoint) :
		    NULL;
		volumes_vol_ref(v);
		rj->pending++;
		all[n++] = p;
	}
	for (i = 0; i < n; i++)
		if (h->work(h, prune_sized_work, prune_sized, all[i]) < 0)
			prune_sized(all[i]);
	free(all);
	if (--rj->pending == 0)
		prune_answer(rj);
}
