/*
 * containers_store.c - container state on disk, and its reconciliation
 * with what really runs after a restart of berthd.
 *
 * <data-root>/containers/<id>/config.v2.json holds everything but the
 * HostConfig, which sits beside it in hostconfig.json (Docker's layout).
 * Every write is atomic (temporary file, fsync, rename: berth/fs.h says
 * why the directory is not synced) and runs in a work job; hostconfig.json
 * is rewritten only when it changed.  Writes of one container never
 * overlap: while one is in flight, further changes only mark the
 * container dirty, and the newest state is written when it completes.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <berth/fs.h>
#include <berth/json.h>

#include "containers.h"

static void
store_ts(json_object *o, const char *key, int64_t ns)
{
	char	buf[64];

	containers_time_fmt(ns, buf, sizeof(buf));
	json_object_object_add(o, key, json_object_new_string(buf));
}

/* Docker's State object (what inspect shows). */
json_object *
containers_state_json(const struct ctr *c)
{
	json_object		*s = json_object_new_object();
	const struct ctr_state	*st = &c->st;

	json_object_object_add(s, "Status", json_object_new_string(
	    containers_status_str(st->status)));
	json_object_object_add(s, "Running", json_object_new_boolean(
	    st->status == CTR_RUNNING || st->status == CTR_PAUSED ||
	    st->status == CTR_RESTARTING));
	json_object_object_add(s, "Paused",
	    json_object_new_boolean(st->status == CTR_PAUSED));
	json_object_object_add(s, "Restarting",
	    json_object_new_boolean(st->status == CTR_RESTARTING));
	json_object_object_add(s, "OOMKilled",
	    json_object_new_boolean(st->oom_killed));
	json_object_object_add(s, "Dead",
	    json_object_new_boolean(st->status == CTR_DEAD));
	json_object_object_add(s, "Pid", json_object_new_int(st->pid));
	json_object_object_add(s, "ExitCode",
	    json_object_new_int(st->exit_code));
	json_object_object_add(s, "Error", json_object_new_string(
	    st->error != NULL ? st->error : ""));
	store_ts(s, "StartedAt", st->started_ns);
	store_ts(s, "FinishedAt", st->finished_ns);
	containers_health_json(c, s);
	return s;
}

static void
store_paths(const struct ctr *c, json_object *o)
{
	char	p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s/resolv.conf", c->cs->root, c->id);
	json_object_object_add(o, "ResolvConfPath", json_object_new_string(p));
	snprintf(p, sizeof(p), "%s/%s/hostname", c->cs->root, c->id);
	json_object_object_add(o, "HostnamePath", json_object_new_string(p));
	snprintf(p, sizeof(p), "%s/%s/hosts", c->cs->root, c->id);
	json_object_object_add(o, "HostsPath", json_object_new_string(p));
	containers_log_path(c, p, sizeof(p));
	json_object_object_add(o, "LogPath", json_object_new_string(p));
}

int
containers_write_atomic(const char *path, const char *data, size_t len,
    mode_t mode)
{
	return berth_write_file(path, data, len, mode, 1);
}

/* config.v2.json: caller puts it. */
json_object *
containers_v2_json(const struct ctr *c)
{
	json_object	*o = json_object_new_object(), *st;

	json_object_object_add(o, "ID", json_object_new_string(c->id));
	store_ts(o, "Created", c->created_ns);
	json_object_object_add(o, "Path", json_object_new_string(c->path));
	json_object_object_add(o, "Args", json_object_get(c->args));
	json_object_object_add(o, "Config", json_object_get(c->config));
	st = containers_state_json(c);
	/* Ours, not Docker's: whether the runtime knows this container. */
	json_object_object_add(st, "RuntimeCreated",
	    json_object_new_boolean(c->st.rt_created));
	json_object_object_add(o, "State", st);
	json_object_object_add(o, "Image", json_object_new_string(c->image_id));
	json_object_object_add(o, "Name", json_object_new_string(c->name));
	json_object_object_add(o, "RestartCount",
	    json_object_new_int(c->restart_count));
	json_object_object_add(o, "Driver", json_object_new_string("overlay2"));
	json_object_object_add(o, "Platform", json_object_new_string("linux"));
	json_object_object_add(o, "Runtime", json_object_new_string(
	    c->runtime != NULL ? c->runtime : ""));
	json_object_object_add(o, "HasBeenStartedBefore",
	    json_object_new_boolean(c->has_been_started));
	json_object_object_add(o, "HasBeenManuallyStopped",
	    json_object_new_boolean(c->manually_stopped));
	json_object_object_add(o, "MountPoints", c->mounts != NULL ?
	    json_object_get(c->mounts) : json_object_new_array());
	json_object_object_add(o, "NetworkSettings", containers_net_inspect(c));
	store_paths(c, o);
	return o;
}

/* Fill c from its two documents (load, and unit tests). */
int
containers_from_v2(struct ctr *c, json_object *v2, json_object *hc,
    struct berth_err *err)
{
	json_object	*ns_v;
	json_object	*st = berth_json_get(v2, "State");
	const char	*s;
	int64_t		 ns;

	s = berth_json_str(v2, "ID");
	if (s == NULL || strlen(s) != CONTAINERS_ID_LEN)
		return berth_err_set(err, -EINVAL, "config.v2.json: bad ID");
	memcpy(c->id, s, CONTAINERS_ID_LEN + 1);
	if ((s = berth_json_str(v2, "Name")) == NULL)
		return berth_err_set(err, -EINVAL, "config.v2.json: no Name");
	c->name = strdup(s);
	s = berth_json_str(v2, "Image");
	snprintf(c->image_id, sizeof(c->image_id), "%s", s != NULL ? s : "");
	c->path = strdup((s = berth_json_str(v2, "Path")) != NULL ? s : "");
	c->args = json_object_get(berth_json_get(v2, "Args"));
	if (c->args == NULL)
		c->args = json_object_new_array();
	c->config = json_object_get(berth_json_get(v2, "Config"));
	if (c->config == NULL)
		c->config = json_object_new_object();
	c->hostconfig = json_object_get(hc);
	if (c->hostconfig == NULL)
		c->hostconfig = json_object_new_object();
	c->mounts = berth_json_get(v2, "MountPoints");
	c->mounts = c->mounts != NULL && json_object_is_type(c->mounts,
	    json_type_array) ? json_object_get(c->mounts) :
	    json_object_new_array();
	ns_v = berth_json_get(berth_json_get(v2, "NetworkSettings"),
	    "Networks");
	if (ns_v != NULL && json_object_is_type(ns_v, json_type_object))
		c->networks = json_object_get(ns_v);
	ns_v = berth_json_get(berth_json_get(v2, "NetworkSettings"), "Ports");
	if (ns_v != NULL && json_object_is_type(ns_v, json_type_object) &&
	    json_object_object_length(ns_v) > 0)
		c->ports = json_object_get(ns_v);
	s = berth_json_str(berth_json_get(v2, "NetworkSettings"),
	    "SandboxKey");
	if (s != NULL && *s != '\0')
		c->sandbox = strdup(s);
	if (containers_time_parse(berth_json_str(v2, "Created"), &ns) == 0)
		c->created_ns = ns;
	c->restart_count = json_object_get_int(berth_json_get(v2,
	    "RestartCount"));
	s = berth_json_str(v2, "Runtime");
	c->runtime = strdup(s != NULL && *s != '\0' ? s :
	    (s = berth_json_str(c->hostconfig, "Runtime")) != NULL ? s :
	    "runc");
	c->has_been_started = json_object_get_boolean(berth_json_get(v2,
	    "HasBeenStartedBefore"));
	c->manually_stopped = json_object_get_boolean(berth_json_get(v2,
	    "HasBeenManuallyStopped"));
	if (containers_status_from_str(berth_json_str(st, "Status"),
	    &c->st.status) < 0)
		c->st.status = CTR_CREATED;
	c->st.pid = json_object_get_int(berth_json_get(st, "Pid"));
	c->st.exit_code = json_object_get_int(berth_json_get(st, "ExitCode"));
	c->st.oom_killed = json_object_get_boolean(berth_json_get(st,
	    "OOMKilled"));
	c->st.rt_created = json_object_get_boolean(berth_json_get(st,
	    "RuntimeCreated"));
	if ((s = berth_json_str(st, "Error")) != NULL && *s != '\0')
		c->st.error = strdup(s);
	containers_health_load(c, st);
	if (containers_time_parse(berth_json_str(st, "StartedAt"), &ns) == 0 &&
	    ns > 0)
		c->st.started_ns = ns;
	if (containers_time_parse(berth_json_str(st, "FinishedAt"), &ns) == 0 &&
	    ns > 0)
		c->st.finished_ns = ns;
	/* Go's zero time parses to a negative count: treat it as never. */
	if (c->st.started_ns < 0)
		c->st.started_ns = 0;
	if (c->st.finished_ns < 0)
		c->st.finished_ns = 0;
	if (c->name == NULL || c->path == NULL || c->runtime == NULL)
		return berth_err_set(err, -ENOMEM, "out of memory");
	return 0;
}

/* --- saving ------------------------------------------------------------ */

struct store_job {
	struct ctr	*c;
	char		*dir;
	char		*v2;
	char		*hc;
	int		 rc;
};

static void
store_save_work(void *arg)
{
	struct store_job	*j = arg;
	char			 p[PATH_MAX];

	if ((j->rc = berth_mkdirs(j->dir, 0700)) < 0)
		return;
	snprintf(p, sizeof(p), "%s/hostconfig.json", j->dir);
	if (j->hc != NULL && (j->rc = containers_write_atomic(p, j->hc,
	    strlen(j->hc), 0600)) < 0)
		return;
	snprintf(p, sizeof(p), "%s/config.v2.json", j->dir);
	j->rc = containers_write_atomic(p, j->v2, strlen(j->v2), 0600);
}

static int	store_save_start(struct ctr *);

static void
store_save_done(void *arg)
{
	struct store_job	*j = arg;
	struct ctr		*c = j->c;
	struct ctr_op_waiter	*w;
	struct berth_err	 err = BERTH_ERR_INIT;

	if (j->rc < 0)
		c->cs->h->log(c->cs->h, BERTH_LOG_ERR,
		    "container %.12s: saving state: %s", c->id,
		    strerror(-j->rc));
	c->saving = 0;
	if (j->rc == 0 && j->hc != NULL) {
		free(c->hc_saved);
		c->hc_saved = j->hc;
		j->hc = NULL;
	}
	if (c->save_again && !c->removed && !c->state_gone) {
		c->save_again = 0;
		store_save_start(c);
	} else {
		if (j->rc < 0)
			berth_err_set(&err, j->rc, "saving container state: %s",
			    strerror(-j->rc));
		while ((w = TAILQ_FIRST(&c->save_waiters)) != NULL) {
			TAILQ_REMOVE(&c->save_waiters, w, entry);
			w->cb(w->arg, j->rc, &err);
			free(w);
		}
	}
	free(j->dir);
	free(j->v2);
	free(j->hc);
	free(j);
	ctr_unref(c);
}

static int
store_save_start(struct ctr *c)
{
	struct store_job	*j;
	json_object		*v2;
	char			 dir[PATH_MAX];
	const int		 flags = JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		goto fail;
	snprintf(dir, sizeof(dir), "%s/%s", c->cs->root, c->id);
	v2 = containers_v2_json(c);
	j->c = c;
	j->dir = strdup(dir);
	j->v2 = strdup(json_object_to_json_string_ext(v2, flags));
	j->hc = strdup(json_object_to_json_string_ext(c->hostconfig, flags));
	json_object_put(v2);
	if (j->dir == NULL || j->v2 == NULL || j->hc == NULL)
		goto fail;
	/* Most changes are to the state: hostconfig.json stays as it is. */
	if (c->hc_saved != NULL && strcmp(j->hc, c->hc_saved) == 0) {
		free(j->hc);
		j->hc = NULL;
	}
	ctr_ref(c);
	c->saving = 1;
	if (c->cs->h->work(c->cs->h, store_save_work, store_save_done, j) < 0) {
		c->saving = 0;
		ctr_unref(c);
		goto fail;
	}
	return 0;
fail:
	if (j != NULL) {
		free(j->dir);
		free(j->v2);
		free(j->hc);
		free(j);
	}
	c->cs->h->log(c->cs->h, BERTH_LOG_ERR,
	    "container %.12s: cannot queue a state write", c->id);
	return -ENOMEM;
}

/* Persist c's current state (asynchronously, coalescing). */
int
containers_save(struct ctr *c)
{
	if (c->removed)
		return -ENOENT;
	if (c->state_gone)
		return 0;	/* the removal wins */
	if (c->saving) {
		c->save_again = 1;
		return 0;
	}
	return store_save_start(c);
}

/* Persist, and call cb once the state (or a newer one) is on disk. */
void
containers_save_sync_wait(struct ctr *c, ctr_done_cb cb, void *arg)
{
	struct ctr_op_waiter	*w;
	struct berth_err	 err = BERTH_ERR_INIT;

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		cb(arg, -ENOMEM, &err);
		return;
	}
	w->cb = cb;
	w->arg = arg;
	TAILQ_INSERT_TAIL(&c->save_waiters, w, entry);
	if (containers_save(c) < 0) {
		/* The write could not even be queued. */
		TAILQ_REMOVE(&c->save_waiters, w, entry);
		free(w);
		berth_err_set(&err, -EIO, "cannot save container state");
		cb(arg, -EIO, &err);
	}
}

/* --- removing ------------------------------------------------------------ */

struct store_rm {
	struct ctr	*c;
	char		*dir;
	char		*bundle;
	int		 phase;
	ctr_done_cb	 cb;
	void		*arg;
	int		 rc;
};

static int
store_rm_contents(const char *dir, int keep_state)
{
	DIR		*d;
	struct dirent	*e;
	char		 p[PATH_MAX];
	int		 rc = 0, r;

	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		/* The state and its writes in flight (".tmp") stay. */
		if (keep_state && (strncmp(e->d_name, "config.v2.json",
		    14) == 0 || strncmp(e->d_name, "hostconfig.json", 15) == 0))
			continue;
		if (containers_path_join(p, sizeof(p), dir, e->d_name) < 0)
			continue;
		if ((r = berth_rmtree_at(AT_FDCWD, p)) < 0 && rc == 0)
			rc = r;
	}
	closedir(d);
	return rc;
}

static void
store_rm_work(void *arg)
{
	struct store_rm	*j = arg;
	char		 p[PATH_MAX];

	if (j->phase == 0) {
		/* Logs and /etc files; the state stays until the end. */
		j->rc = store_rm_contents(j->dir, 1);
		return;
	}
	/* The state file first: a crash midway leaves no half container. */
	if (containers_path_join(p, sizeof(p), j->dir, "config.v2.json") == 0)
		(void)unlink(p);
	j->rc = berth_rmtree_at(AT_FDCWD, j->dir);
	(void)berth_rmtree_at(AT_FDCWD, j->bundle);
}

static void
store_rm_done(void *arg)
{
	struct store_rm		*j = arg;
	struct berth_err	 err = BERTH_ERR_INIT;

	if (j->rc < 0)
		berth_err_set(&err, j->rc, "unable to remove filesystem for %s: %s",
		    j->c->id, strerror(-j->rc));
	j->cb(j->arg, j->rc, &err);
	ctr_unref(j->c);
	free(j->dir);
	free(j->bundle);
	free(j);
}

/*
 * Delete the container's directories.  Phase 0 (any time after the
 * exit): its logs and /etc files.  Phase 1 (once the runtime has
 * deleted it, since the runtime logs into the bundle meanwhile and the
 * state is what a restart would reconcile): config.v2.json first, then
 * everything else and the bundle.
 */
void
containers_store_remove(struct ctr *c, int phase, ctr_done_cb cb, void *arg)
{
	struct store_rm		*j;
	struct berth_err	 err = BERTH_ERR_INIT;
	char			 p[PATH_MAX];

	if ((j = calloc(1, sizeof(*j))) == NULL)
		goto fail;
	snprintf(p, sizeof(p), "%s/%s", c->cs->root, c->id);
	j->dir = strdup(p);
	snprintf(p, sizeof(p), "%s/%s", c->cs->exec_root, c->id);
	j->bundle = strdup(p);
	if (j->dir == NULL || j->bundle == NULL)
		goto fail;
	j->phase = phase;
	j->c = c;
	j->cb = cb;
	j->arg = arg;
	ctr_ref(c);
	if (c->cs->h->work(c->cs->h, store_rm_work, store_rm_done, j) == 0)
		return;
	ctr_unref(c);
fail:
	if (j != NULL) {
		free(j->dir);
		free(j->bundle);
	}
	free(j);
	berth_err_set(&err, -ENOMEM, "out of memory");
	cb(arg, -ENOMEM, &err);
}

/* --- loading and restoring ------------------------------------------- */

static json_object *
store_read(const char *dir, const char *name)
{
	char	p[PATH_MAX];

	if (containers_path_join(p, sizeof(p), dir, name) < 0)
		return NULL;
	return json_object_from_file(p);
}

/*
 * Read every container's state.  This runs in init, before berthd
 * serves anything: a few small files per container, read once, so the
 * service never answers with a partial list.
 */
int
containers_load(struct containers *cs, struct berth_err *err)
{
	DIR		*d;
	struct dirent	*e;
	char		 dir[PATH_MAX];
	json_object	*v2, *hc;
	struct ctr	*c, *t;
	struct berth_err e2 = BERTH_ERR_INIT;
	int		 rc;

	if ((rc = berth_mkdirs(cs->root, 0700)) < 0)
		return berth_err_set(err, rc, "%s: %s", cs->root,
		    strerror(-rc));
	if ((rc = berth_mkdirs(cs->exec_root, 0700)) < 0)
		return berth_err_set(err, rc, "%s: %s", cs->exec_root,
		    strerror(-rc));
	if ((d = opendir(cs->root)) == NULL)
		return berth_err_errno(err, "%s", cs->root);
	while ((e = readdir(d)) != NULL) {
		if (strlen(e->d_name) != CONTAINERS_ID_LEN)
			continue;
		if (containers_path_join(dir, sizeof(dir), cs->root,
		    e->d_name) < 0)
			continue;
		/* A write a kill -9 cut short leaves its temporary. */
		(void)berth_sweep_tmp(dir);
		if ((v2 = store_read(dir, "config.v2.json")) == NULL) {
			cs->h->log(cs->h, BERTH_LOG_WARN,
			    "container %.12s: no readable config.v2.json; "
			    "skipped", e->d_name);
			continue;
		}
		hc = store_read(dir, "hostconfig.json");
		if ((c = ctr_new(cs)) == NULL) {
			json_object_put(v2);
			json_object_put(hc);
			closedir(d);
			return berth_err_set(err, -ENOMEM, "out of memory");
		}
		rc = containers_from_v2(c, v2, hc, &e2);
		json_object_put(v2);
		json_object_put(hc);
		if (rc < 0) {
			cs->h->log(cs->h, BERTH_LOG_WARN,
			    "container %.12s: %s; skipped", e->d_name, e2.msg);
			ctr_free(c);
			continue;
		}
		/* Creation order, as `docker ps` lists newest first. */
		TAILQ_FOREACH(t, &cs->list, entry)
			if (t->created_ns > c->created_ns)
				break;
		if (t != NULL)
			TAILQ_INSERT_BEFORE(t, c, entry);
		else
			TAILQ_INSERT_TAIL(&cs->list, c, entry);
	}
	closedir(d);
	return 0;
}

/*
 * After a restart: declare image users again, and find the monitor of
 * every container the runtime knew.  Those that exited while berthd was
 * away get their exit recorded now (and a die event); those with no
 * trace at all are marked exited with 255 and an error saying why.
 */
void
containers_restore(struct containers *cs)
{
	struct ctr			*c, *next;
	const struct berth_runtime_ops	*rt;
	void				*rst;
	struct berth_runtime_state	 out;
	struct berth_err		 err = BERTH_ERR_INIT;
	int				 rc, n = 0;

	TAILQ_FOREACH_SAFE(c, &cs->list, entry, next) {
		if (cs->img != NULL && c->image_id[0] != '\0' &&
		    cs->img->use(cs->img_st, c->image_id, c->id, &err) == 0)
			c->image_used = 1;
		/* Volume users are declared again, never counted on disk. */
		containers_mounts_restore(c, 0);
		/* A removal berthd did not live to finish: finished below. */
		if (c->st.status == CTR_REMOVING) {
			c->st.status = CTR_EXITED;
			c->dead_at_load = 1;
		}
		/*
		 * A created container may have reached the runtime in a start
		 * that berthd did not live to record: ask for it too.
		 */
		if (!c->st.rt_created && c->st.status != CTR_CREATED &&
		    c->st.status != CTR_RUNNING && c->st.status != CTR_PAUSED)
			continue;
		memset(&out, 0, sizeof(out));
		rt = containers_runtime_of(c, &rst, &err);
		rc = rt == NULL ? -ENOENT : rt->restore(rst, c->id,
		    &containers_rt_events, cs, &out, &err);
		if ((rc < 0 || out.status == BERTH_RT_UNKNOWN) &&
		    !c->st.rt_created && c->st.status == CTR_CREATED)
			continue;	/* never reached the runtime */
		if ((rc < 0 || out.status == BERTH_RT_UNKNOWN) &&
		    c->dead_at_load) {
			c->st.rt_created = 0;	/* the runtime let go already */
			continue;
		}
		if (rc < 0 || out.status == BERTH_RT_UNKNOWN) {
			cs->h->log(cs->h, BERTH_LOG_WARN,
			    "container %.12s: monitor lost (%s); marked exited",
			    c->id, rc < 0 ? err.msg : "no trace");
			c->st.rt_created = 0;
			if (c->st.status == CTR_RUNNING ||
			    c->st.status == CTR_PAUSED) {
				free(c->st.error);
				c->st.error = strdup("container monitor lost "
				    "while berthd was down");
				containers_exited(c, 255, 0,
				    containers_now_ns(), 0);
			} else
				containers_save(c);
			continue;
		}
		n++;
		c->mounted = 1;
		c->st.rt_created = 1;
		/*
		 * Its volumes were mounted for it: hold them again, so that
		 * the exit path (now, or later) unmounts them.
		 */
		containers_mounts_restore(c, 1);
		if (c->dead_at_load) {
			/* Its removal kills it if it somehow runs: no news. */
			if (out.status == BERTH_RT_RUNNING ||
			    out.status == BERTH_RT_PAUSED) {
				c->st.status = CTR_RUNNING;
				c->st.pid = out.pid;
			}
			continue;
		}
		switch (out.status) {
		case BERTH_RT_RUNNING:
		case BERTH_RT_PAUSED:
			c->st.status = out.status == BERTH_RT_PAUSED ?
			    CTR_PAUSED : CTR_RUNNING;
			c->st.pid = out.pid;
			if (out.started_ns != 0 && c->st.started_ns == 0)
				c->st.started_ns = out.started_ns;
			containers_save(c);
			containers_health_start(c, 0);
			break;
		case BERTH_RT_CREATED:
			/* Created by a start that never finished. */
			c->st.status = CTR_CREATED;
			containers_save(c);
			break;
		case BERTH_RT_STOPPED:
		default:
			/*
			 * Stopped in the runtime while we had it created: it
			 * was started (a created one would say so) and berthd
			 * died before it recorded the start.  Either way it
			 * ran, and its exit is news.
			 */
			if (c->st.status == CTR_RUNNING ||
			    c->st.status == CTR_PAUSED ||
			    (c->st.status == CTR_CREATED && c->st.error == NULL)) {
				if (c->st.status == CTR_CREATED) {
					c->st.status = CTR_RUNNING;
					c->has_been_started = 1;
					if (out.started_ns != 0)
						c->st.started_ns =
						    out.started_ns;
				}
				containers_exited(c, out.exit_code,
				    out.oom_killed, out.finished_ns != 0 ?
				    out.finished_ns : containers_now_ns(), 0);
			} else
				containers_exited(c, c->st.exit_code, 0,
				    c->st.finished_ns, 1);
			break;
		}
	}
	if (n > 0)
		cs->h->log(cs->h, BERTH_LOG_INFO, "restored %d container%s",
		    n, n == 1 ? "" : "s");
	TAILQ_FOREACH_SAFE(c, &cs->list, entry, next)
		if (c->dead_at_load)
			containers_remove_bg(c, "finishing its removal");
}
