/*
 * containers_run.c - the life of a container: start, stop, kill,
 * restart, wait, remove, and what happens when its process exits.
 *
 * start:	image/1 rootfs_mount -> networks joined -> volumes mounted ->
 *		work job (spec, /etc files, bundle)
 *		-> runtime create -> held attaches handed over -> runtime
 *		start -> "start" event.
 * exit:	state recorded -> "oom"/"die" events -> waits answered ->
 *		cleanup (runtime delete, networks left, volumes and rootfs
 *		unmounted) -> AutoRemove.
 * remove:	[kill, wait for exit] -> cleanup -> rootfs_remove -> state
 *		directories deleted -> "destroy" event -> removed waits.
 *
 * Operations on one container are serialised by flags (starting,
 * cleaning, removing); a request arriving meanwhile queues behind them.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>


#include <berth/json.h>

#include "containers.h"

static void	run_cleanup(struct ctr *);

static void
run_ops_fire(struct ctr_op_list *l, int rc, const struct berth_err *err)
{
	struct ctr_op_waiter	*w;
	struct ctr_op_list	 todo = TAILQ_HEAD_INITIALIZER(todo);

	/* Callbacks may queue new waiters: run a detached list. */
	TAILQ_CONCAT(&todo, l, entry);
	while ((w = TAILQ_FIRST(&todo)) != NULL) {
		TAILQ_REMOVE(&todo, w, entry);
		w->cb(w->arg, rc, err);
		free(w);
	}
}

static int
run_ops_add(struct ctr_op_list *l, ctr_done_cb cb, void *arg)
{
	struct ctr_op_waiter	*w;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -ENOMEM;
	w->cb = cb;
	w->arg = arg;
	TAILQ_INSERT_TAIL(l, w, entry);
	return 0;
}

/* For the other files: a list of waiters, run once (containers.h). */
int
containers_ops_add(struct ctr_op_list *l, ctr_done_cb cb, void *arg)
{
	return run_ops_add(l, cb, arg);
}

void
containers_ops_fire(struct ctr_op_list *l, int rc, const struct berth_err *err)
{
	run_ops_fire(l, rc, err);
}

static int
run_is_running(const struct ctr *c)
{
	return c->st.status == CTR_RUNNING || c->st.status == CTR_PAUSED ||
	    c->st.status == CTR_RESTARTING;
}

static int
run_autoremove(const struct ctr *c)
{
	json_object	*v = berth_json_get(c->hostconfig, "AutoRemove");

	return v != NULL && json_object_get_boolean(v);
}

/* --- waits ------------------------------------------------------------- */

static void
run_wait_answer(struct ctr_wait *w, int code)
{
	char	buf[64];
	int	n;

	if (w->req == NULL) {
		w->cb(w->cb_arg, 0, code, NULL);
		return;
	}
	n = snprintf(buf, sizeof(buf), "{\"Error\":null,\"StatusCode\":%d}\n",
	    code);
	w->c->cs->h->resp_write(w->req, buf, (size_t)n);
	w->c->cs->h->resp_end(w->req);
}

/*
 * Answer the waits the event satisfies: an exit satisfies not-running
 * and next-exit; removal satisfies them all.
 */
void
containers_waits_answer(struct ctr *c, int removed)
{
	struct ctr_wait	*w, *next;

	TAILQ_FOREACH_SAFE(w, &c->waits, entry, next) {
		if (!removed && w->cond == CTR_WAIT_REMOVED)
			continue;
		TAILQ_REMOVE(&c->waits, w, entry);
		run_wait_answer(w, c->st.exit_code);
		ctr_unref(c);
		free(w);
	}
}

static void
run_wait_closed(void *arg)
{
	struct ctr_wait	*w = arg;
	struct ctr	*c = w->c;

	/* The CLI's `run -d` leaves at once; end its stream quietly. */
	TAILQ_REMOVE(&c->waits, w, entry);
	c->cs->h->resp_end(w->req);
	free(w);
	ctr_unref(c);
}

void
containers_h_wait(struct berth_req *req, void *state)
{
	struct containers	*cs = state;
	const struct berth_host	*h = cs->h;
	struct berth_err	 err = BERTH_ERR_INIT;
	const char		*ref = h->req_param(req, "id");
	const char		*cond = h->req_query(req, "condition", 0);
	struct ctr		*c;
	struct ctr_wait		*w;
	enum ctr_wait_cond	 wc;

	if ((c = containers_find(cs, ref, &err)) == NULL) {
		h->resp_error(req, &err);
		return;
	}
	if (cond == NULL || *cond == '\0' || strcmp(cond, "not-running") == 0)
		wc = CTR_WAIT_NOT_RUNNING;
	else if (strcmp(cond, "next-exit") == 0)
		wc = CTR_WAIT_NEXT_EXIT;
	else if (strcmp(cond, "removed") == 0)
		wc = CTR_WAIT_REMOVED;
	else {
		berth_err_set(&err, -EINVAL, "invalid condition: \"%s\"",
		    cond);
		h->resp_error(req, &err);
		return;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		h->resp_error(req, &err);
		return;
	}
	/* The CLI blocks on these headers before it sends start. */
	h->resp_start(req, 200, "application/json");
	w->c = c;
	w->req = req;
	w->cond = wc;
	if (wc == CTR_WAIT_NOT_RUNNING && !run_is_running(c) && !c->starting) {
		w->c = c;
		run_wait_answer(w, c->st.exit_code);
		free(w);
		return;
	}
	ctr_ref(c);
	TAILQ_INSERT_TAIL(&c->waits, w, entry);
	h->req_on_close(req, run_wait_closed, w);
}

/* --- start --------------------------------------------------------------- */

struct start_job {
	struct ctr			*c;
	const struct berth_runtime_ops	*rt;
	void				*rst;
	char				*rootfs;
	char				*ctr_dir;
	char				*bundle;
	json_object			*config;	/* deep copies: the */
	json_object			*hostconfig;	/* worker owns them */
	json_object			*mounts;	/* OCI: volumes, binds */
	json_object			*networks;	/* joined, a copy */
	char				*netns;		/* the sandbox */
	char				*links;		/* hosts lines, --link */
	pid_t				 net_pid;
	int				 rc;
	int				 pre_runtime;	/* failed before it */
	struct berth_err		 err;
	/* An exit reported before start's own completion. */
	int				 exit_early;
	int				 exit_code;
	int				 exit_oom;
	int64_t				 exit_ns;
};

static void	start_fail(struct start_job *, int, const struct berth_err *);

/* mkdir -p of path inside root, resolving as if root were "/". */
static int
start_mkdir_in_root(const char *root, const char *path, uid_t uid, gid_t gid)
{
	int	rfd, fd;

	if (path == NULL || *path == '\0')
		return 0;
	if ((rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -errno;
	fd = berth_mkdirs_in_root(rfd, path, 0755, uid, gid, 0);
	close(rfd);
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

static int
start_write(const char *path, const char *text)
{
	int	fd, rc = 0;
	size_t	len = strlen(text);
	ssize_t	n;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1)
		return -errno;
	while (len > 0) {
		if ((n = write(fd, text, len)) < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		text += n;
		len -= (size_t)n;
	}
	if (close(fd) == -1 && rc == 0)
		rc = -errno;
	return rc;
}

/* Worker: the /etc files, the working directory and config.json. */
static void
start_spec_work(void *arg)
{
	struct start_job	*j = arg;
	struct spec_in		 in;
	struct spec_user	 u;
	json_object		*spec = NULL, *o;
	char			 p[PATH_MAX];
	int			 rc;

	memset(&in, 0, sizeof(in));
	in.id = j->c->id;
	in.config = j->config;
	in.hostconfig = j->hostconfig;
	in.rootfs = j->rootfs;
	in.ctr_dir = j->ctr_dir;
	in.init_path = j->c->cs->init_path;
	in.net_pid = j->net_pid;
	in.netns = j->netns;
	in.links = j->links;
	in.networks = j->networks;
	in.host_devices = 1;
	in.mounts = j->mounts;
	if ((rc = berth_mkdirs(j->ctr_dir, 0700)) < 0) {
		j->rc = berth_err_set(&j->err, rc, "%s: %s", j->ctr_dir,
		    strerror(-rc));
		return;
	}
	if ((j->rc = containers_write_etc(&in, &j->err)) < 0)
		return;
	if ((j->rc = containers_spec(&in, &spec, &j->err)) < 0)
		return;
	/* Docker creates a missing WorkingDir, owned by the user. */
	o = json_object_object_get(spec, "process");
	if (containers_user_resolve(j->rootfs, NULL, NULL, j->config, &u,
	    NULL) == 0)
		(void)start_mkdir_in_root(j->rootfs, json_object_get_string(
		    json_object_object_get(o, "cwd")), u.uid, u.gid);
	if ((rc = berth_mkdirs(j->bundle, 0700)) < 0 ||
	    (rc = containers_path_join(p, sizeof(p), j->bundle,
	    "config.json")) < 0 ||
	    (rc = start_write(p, json_object_to_json_string_ext(spec,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE))) < 0)
		j->rc = berth_err_set(&j->err, rc, "writing the bundle: %s",
		    strerror(-rc));
	json_object_put(spec);
}

static void
start_free(struct start_job *j)
{
	if (j->c->start_job == j)
		j->c->start_job = NULL;
	free(j->rootfs);
	free(j->ctr_dir);
	free(j->bundle);
	json_object_put(j->config);
	json_object_put(j->hostconfig);
	json_object_put(j->mounts);
	json_object_put(j->networks);
	free(j->netns);
	free(j->links);
	ctr_unref(j->c);
	free(j);
}

static void
start_succeeded(struct start_job *j)
{
	struct ctr			*c = j->c;
	struct berth_runtime_state	 rs;

	c->starting = 0;
	c->start_failed = 0;
	c->st.status = CTR_RUNNING;
	c->st.exit_code = 0;
	c->st.oom_killed = 0;
	free(c->st.error);
	c->st.error = NULL;
	c->st.started_ns = containers_now_ns();
	c->st.finished_ns = 0;
	c->has_been_started = 1;
	c->manually_stopped = 0;
	memset(&rs, 0, sizeof(rs));
	if (j->rt->state(j->rst, c->id, &rs) == 0) {
		c->st.pid = rs.pid;
		if (rs.started_ns != 0)
			c->st.started_ns = rs.started_ns;
	}
	containers_save(c);
	containers_emit(c, "start", NULL);
	containers_health_start(c, 1);
	run_ops_fire(&c->start_waiters, 0, NULL);
	if (j->exit_early)
		containers_exited(c, j->exit_code, j->exit_oom, j->exit_ns, 0);
	start_free(j);
}

static void
start_started(void *arg, int rc, const struct berth_err *err)
{
	struct start_job	*j = arg;

	if (rc < 0 && !j->exit_early) {
		start_fail(j, rc, err);
		return;
	}
	start_succeeded(j);
}

static void
start_attached(void *arg, int rc, const struct berth_err *err)
{
	struct start_job	*j = arg;

	/* A failed attach ends that client's stream, not the start. */
	j->rt->start(j->rst, j->c->id, start_started, j);
}

static void
start_created(void *arg, int rc, const struct berth_err *err)
{
	struct start_job	*j = arg;

	if (rc < 0) {
		start_fail(j, rc, err);
		return;
	}
	j->c->st.rt_created = 1;
	containers_attach_flush(j->c, start_attached, j);
}

static void
start_spec_done(void *arg)
{
	struct start_job		*j = arg;
	struct ctr			*c = j->c;
	struct berth_runtime_create	 cr;
	struct berth_err		 lerr = BERTH_ERR_INIT;
	char				 log[PATH_MAX];
	json_object			*v;

	if (j->rc < 0) {
		j->pre_runtime = 1;
		start_fail(j, j->rc, &j->err);
		return;
	}
	containers_log_path(c, log, sizeof(log));
	memset(&cr, 0, sizeof(cr));
	cr.size = sizeof(cr);
	cr.id = c->id;
	cr.bundle = j->bundle;
	cr.log_path = containers_log_none(c) ? NULL : log;
	v = berth_json_get(c->config, "Tty");
	cr.terminal = v != NULL && json_object_get_boolean(v);
	v = berth_json_get(c->config, "OpenStdin");
	cr.open_stdin = v != NULL && json_object_get_boolean(v);
	v = berth_json_get(c->config, "StdinOnce");
	cr.stdin_once = v != NULL && json_object_get_boolean(v);
	cr.events = &containers_rt_events;
	cr.events_arg = c->cs;
	/* Checked at create; a hostconfig from before that check: none. */
	if (containers_log_opts(c->hostconfig, &cr.log_max_size,
	    &cr.log_max_files, &lerr) < 0)
		cr.log_max_size = 0;
	j->rt->create(j->rst, &cr, start_created, j);
}

/* Volumes mounted (volume "mount" events): now the spec. */
static void
start_vols_mounted(void *arg, int rc, json_object *oci,
    const struct berth_err *err)
{
	struct start_job	*j = arg;
	struct ctr		*c = j->c;
	struct berth_err	 e = BERTH_ERR_INIT;

	if (rc < 0) {
		j->pre_runtime = 1;
		start_fail(j, rc, err);
		return;
	}
	json_object_deep_copy(oci, &j->mounts, NULL);
	if (j->mounts == NULL ||
	    c->cs->h->work(c->cs->h, start_spec_work, start_spec_done, j) < 0) {
		berth_err_set(&e, -ENOMEM, "cannot queue the bundle");
		start_fail(j, -ENOMEM, &e);
	}
}

/* Networks joined ("connect" events): now the volumes. */
static void
start_joined(void *arg, int rc, const struct berth_err *err)
{
	struct start_job	*j = arg;
	struct ctr		*c = j->c;
	struct berth_err	 e = BERTH_ERR_INIT;

	if (rc < 0) {
		j->pre_runtime = 1;
		start_fail(j, rc, err);
		return;
	}
	if (c->networks != NULL)
		json_object_deep_copy(c->networks, &j->networks, NULL);
	j->links = containers_net_links(c);
	if ((c->sandbox != NULL && (j->netns = strdup(c->sandbox)) == NULL) ||
	    (c->networks != NULL && j->networks == NULL)) {
		berth_err_set(&e, -ENOMEM, "out of memory");
		start_fail(j, -ENOMEM, &e);
		return;
	}
	containers_mounts_mount(c, j->rootfs, start_vols_mounted, j);
}

static void
start_mounted(void *arg, int rc, const char *path, const struct berth_err *err)
{
	struct start_job	*j = arg;
	struct ctr		*c = j->c;

	if (rc < 0) {
		start_fail(j, rc, err);
		return;
	}
	c->mounted = 1;
	if ((j->rootfs = strdup(path)) == NULL) {
		struct berth_err e = BERTH_ERR_INIT;

		berth_err_set(&e, -ENOMEM, "out of memory");
		start_fail(j, -ENOMEM, &e);
		return;
	}
	containers_net_join(c, start_joined, j);
}

static void
start_go(struct start_job *j)
{
	struct ctr	*c = j->c;

	c->cs->img->rootfs_mount(c->cs->img_st, c->image_id, c->id,
	    start_mounted, j);
}

static void
start_stale_deleted(void *arg, int rc, const struct berth_err *err)
{
	struct start_job	*j = arg;

	j->c->st.rt_created = 0;
	start_go(j);
}

/*
 * Docker's exit codes for a process that never ran: 127 when the
 * command is missing, 126 when it cannot be executed.  The CLI picks
 * its own exit code from the same words, so they are kept in the text.
 */
static int
start_fail_code(const char *msg)
{
	if (strcasestr(msg, "executable file not found") != NULL ||
	    strcasestr(msg, "no such file or directory") != NULL ||
	    (strcasestr(msg, "executable file") != NULL &&
	    strcasestr(msg, "not found") != NULL))
		return 127;
	/* crun says "open executable: Operation not permitted". */
	if (strcasestr(msg, "permission denied") != NULL ||
	    strcasestr(msg, "is a directory") != NULL ||
	    strcasestr(msg, "open executable") != NULL)
		return 126;
	return 128;
}

static void
start_fail_unmounted(void *arg, int rc, const struct berth_err *err)
{
	struct ctr	*c = arg;

	ctr_unref(c);
}

static void
start_fail_deleted(void *arg, int rc, const struct berth_err *err)
{
	struct ctr	*c = arg;

	c->st.rt_created = 0;
	containers_save(c);
	ctr_unref(c);
}


static void
start_fail(struct start_job *j, int rc, const struct berth_err *err)
{
	struct ctr		*c = j->c;
	struct berth_err	 e = BERTH_ERR_INIT;
	const char		*msg = err != NULL && err->msg[0] != '\0' ?
	    err->msg : strerror(-rc);
	int			 code;

	code = start_fail_code(msg);
	/* The CLI picks 127 and 126 from Docker's words: keep them in. */
	if (code == 127 && strcasestr(msg, "executable file not found") ==
	    NULL)
		berth_err_set(&e, -EINVAL, "%s%s: exec: \"%s\": executable "
		    "file not found in $PATH", strstr(msg, "OCI runtime") ?
		    "" : "OCI runtime create failed: ", msg, c->path);
	else if (code == 126 && strcasestr(msg, "permission denied") ==
	    NULL && strcasestr(msg, "is a directory") == NULL)
		berth_err_set(&e, -EINVAL, "%s%s: exec: \"%s\": permission "
		    "denied", strstr(msg, "OCI runtime") ? "" :
		    "OCI runtime create failed: ", msg, c->path);
	else if (strstr(msg, "OCI runtime") != NULL || j->pre_runtime)
		berth_err_set(&e, -EINVAL, "%s", msg);
	else if (rc == -ENOENT || rc == -EINVAL || c->st.rt_created ||
	    code != 128)
		berth_err_set(&e, -EINVAL, "OCI runtime create failed: %s",
		    msg);
	else
		berth_err_set(&e, rc, "%s", msg);
	c->starting = 0;
	c->start_failed = 1;
	c->st.exit_code = code;
	free(c->st.error);
	c->st.error = strdup(e.msg);
	if (c->st.rt_created) {
		ctr_ref(c);
		j->rt->delete(j->rst, c->id, start_fail_deleted, c);
	}
	if (c->mounted) {
		c->mounted = 0;
		ctr_ref(c);
		c->cs->img->rootfs_unmount(c->cs->img_st, c->id,
		    start_fail_unmounted, c);
	}
	if (c->vols_mounted) {
		ctr_ref(c);
		containers_mounts_unmount(c, start_fail_unmounted, c);
	}
	if (c->sandbox != NULL) {
		ctr_ref(c);
		containers_net_leave(c, start_fail_unmounted, c);
	}
	containers_attach_drop(c);
	containers_save(c);
	run_ops_fire(&c->start_waiters, e.code, &e);
	if (run_autoremove(c) && !c->removing)
		containers_remove_bg(c, "auto-remove");
	start_free(j);
}

/*
 * Start c; cb(arg, rc, err) when it runs or failed.  -EALREADY if it
 * already runs (the API's 304).
 */
void
containers_start(struct ctr *c, ctr_done_cb cb, void *arg)
{
	struct start_job	*j;
	struct berth_err	 err = BERTH_ERR_INIT;
	const char		*nm;
	struct ctr		*other;
	struct berth_runtime_state rs;

	if (c->starting) {
		if (run_ops_add(&c->start_waiters, cb, arg) < 0) {
			berth_err_set(&err, -ENOMEM, "out of memory");
			cb(arg, -ENOMEM, &err);
		}
		return;
	}
	if (run_is_running(c)) {
		berth_err_set(&err, -EALREADY, "container already started");
		cb(arg, -EALREADY, &err);
		return;
	}
	if (c->removing || c->st.status == CTR_REMOVING) {
		berth_err_set(&err, -EBUSY, "container is marked for removal "
		    "and cannot be started");
		cb(arg, -EBUSY, &err);
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    run_ops_add(&c->start_waiters, cb, arg) < 0) {
		free(j);
		berth_err_set(&err, -ENOMEM, "out of memory");
		cb(arg, -ENOMEM, &err);
		return;
	}
	j->c = c;
	ctr_ref(c);
	c->starting = 1;
	c->start_job = j;
	if ((j->rt = containers_runtime(c->cs, c->runtime, &j->rst, &err)) ==
	    NULL) {
		start_fail(j, err.code, &err);
		return;
	}
	nm = berth_json_str(c->hostconfig, "NetworkMode");
	if (nm != NULL && strncmp(nm, "container:", 10) == 0) {
		other = containers_find(c->cs, nm + 10, &err);
		if (other == NULL || !run_is_running(other) ||
		    j->rt->state(j->rst, other->id, &rs) < 0 || rs.pid <= 0) {
			if (other != NULL)
				berth_err_set(&err, -EBUSY,
				    "cannot join network of a non running "
				    "container: %s", other->id);
			start_fail(j, err.code, &err);
			return;
		}
		j->net_pid = rs.pid;
	}
	{
		char	p[PATH_MAX];

		snprintf(p, sizeof(p), "%s/%s", c->cs->root, c->id);
		j->ctr_dir = strdup(p);
		snprintf(p, sizeof(p), "%s/%s", c->cs->exec_root, c->id);
		j->bundle = strdup(p);
	}
	json_object_deep_copy(c->config, &j->config, NULL);
	json_object_deep_copy(c->hostconfig, &j->hostconfig, NULL);
	if (j->ctr_dir == NULL || j->bundle == NULL || j->config == NULL ||
	    j->hostconfig == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		start_fail(j, -ENOMEM, &err);
		return;
	}
	/* A runtime container left by an interrupted start goes first. */
	if (c->st.rt_created) {
		j->rt->delete(j->rst, c->id, start_stale_deleted, j);
		return;
	}
	start_go(j);
}

struct req_job {
	struct containers	*cs;
	struct berth_req	*req;
	struct ctr		*c;
	int			 timeout;
	int			 signo;
};

static struct req_job *
req_job_new(struct containers *cs, struct berth_req *req, struct ctr *c)
{
	struct req_job	*rj;

	if ((rj = calloc(1, sizeof(*rj))) == NULL)
		return NULL;
	rj->cs = cs;
	rj->req = req;
	rj->c = c;
	ctr_ref(c);
	return rj;
}

/* The container named by the path and a job for it; NULL once answered. */
static struct req_job *
req_job_for(struct containers *cs, struct berth_req *req)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	struct ctr		*c;
	struct req_job		*rj;

	if ((c = containers_find(cs, cs->h->req_param(req, "id"), &err)) ==
	    NULL) {
		cs->h->resp_error(req, &err);
		return NULL;
	}
	if ((rj = req_job_new(cs, req, c)) == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		cs->h->resp_error(req, &err);
	}
	return rj;
}

static void
req_job_free(struct req_job *rj)
{
	ctr_unref(rj->c);
	free(rj);
}

static void
start_h_done(void *arg, int rc, const struct berth_err *err)
{
	struct req_job	*rj = arg;

	if (rc == -EALREADY)
		rj->cs->h->resp_status(rj->req, 304);
	else if (rc < 0)
		rj->cs->h->resp_error(rj->req, err);
	else
		rj->cs->h->resp_status(rj->req, 204);
	req_job_free(rj);
}

static void
run_after_cleanup(struct ctr *c, ctr_done_cb cb, void *arg);

struct start_user {
	struct ctr	*c;
	ctr_done_cb	 cb;
	void		*arg;
};

static void
start_user_done(void *arg, int rc, const struct berth_err *err)
{
	struct start_user	*su = arg;

	su->cb(su->arg, rc, err);
	ctr_unref(su->c);
	free(su);
}

static void
start_user_go(void *arg, int rc, const struct berth_err *err)
{
	struct start_user	*su = arg;

	containers_start(su->c, start_user_done, su);
}

/*
 * A start a user asked for (the API, or a service on a user's behalf):
 * once any cleanup of the last run is over; -EALREADY if it runs.
 */
void
containers_start_user(struct ctr *c, ctr_done_cb cb, void *arg)
{
	struct start_user	*su;
	struct berth_err	 err = BERTH_ERR_INIT;

	if ((su = calloc(1, sizeof(*su))) == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		cb(arg, -ENOMEM, &err);
		return;
	}
	su->c = c;
	su->cb = cb;
	su->arg = arg;
	ctr_ref(c);
	/* A start by hand counts the policy's restarts from zero again. */
	if (!run_is_running(c) || c->st.status == CTR_RESTARTING) {
		containers_policy_cancel(c);
		c->restart_count = 0;
		c->restart_backoff_ms = 0;
	}
	run_after_cleanup(c, start_user_go, su);
}

void
containers_h_start(struct berth_req *req, void *state)
{
	struct containers	*cs = state;
	struct req_job		*rj;

	if ((rj = req_job_for(cs, req)) == NULL)
		return;
	containers_start_user(rj->c, start_h_done, rj);
}

/*
 * Wait (not-running) for a service: cb(arg, 0, exit code) once c is
 * not running, maybe at once.
 */
int
containers_wait_cb(struct ctr *c, berth_container_exit_cb cb, void *arg)
{
	struct ctr_wait	*w;

	if (!run_is_running(c) && !c->starting) {
		cb(arg, 0, c->st.exit_code, NULL);
		return 0;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -ENOMEM;
	w->c = c;
	w->cond = CTR_WAIT_NOT_RUNNING;
	w->cb = cb;
	w->cb_arg = arg;
	ctr_ref(c);
	TAILQ_INSERT_TAIL(&c->waits, w, entry);
	return 0;
}

/* --- exit and cleanup ----------------------------------------------------- */

/*
 * Cleanup after an exit: runtime delete, then rootfs unmount.  A start
 * or remove asked for meanwhile runs once it is over.
 */
struct cleanup_state {
	struct ctr	*c;
};

static void
cleanup_finish(struct ctr *c)
{
	c->cleaning = 0;
	containers_save(c);
	run_ops_fire(&c->after_cleanup, 0, NULL);
	ctr_unref(c);
}

static void
cleanup_unmounted(void *arg, int rc, const struct berth_err *err)
{
	struct ctr	*c = arg;

	if (rc < 0)
		c->cs->h->log(c->cs->h, BERTH_LOG_WARN,
		    "container %.12s: rootfs unmount: %s", c->id,
		    err != NULL ? err->msg : strerror(-rc));
	cleanup_finish(c);
}

static void
cleanup_vols_unmounted(void *arg, int rc, const struct berth_err *err)
{
	struct ctr	*c = arg;

	if (c->mounted) {
		c->mounted = 0;
		/*
		 * A docker cp holding the rootfs (it asked while the
		 * container was still running, or just before its exit was
		 * heard) would lose it mid-copy: the copy's end unmounts it.
		 */
		if (c->fs_users > 0) {
			c->fs_mounted = 1;
			cleanup_finish(c);
			return;
		}
		c->cs->img->rootfs_unmount(c->cs->img_st, c->id,
		    cleanup_unmounted, c);
		return;
	}
	cleanup_finish(c);
}

/* Networks left ("disconnect" events): now the volumes. */
static void
cleanup_left(void *arg, int rc, const struct berth_err *err)
{
	struct ctr	*c = arg;

	containers_mounts_unmount(c, cleanup_vols_unmounted, c);
}

static void
cleanup_deleted(void *arg, int rc, const struct berth_err *err)
{
	struct ctr	*c = arg;

	/* -ECANCELED: the monitor deleted it first, which is what we asked. */
	if (rc < 0 && rc != -ENOENT && rc != -ECANCELED)
		c->cs->h->log(c->cs->h, BERTH_LOG_WARN,
		    "container %.12s: runtime delete: %s", c->id,
		    err != NULL ? err->msg : strerror(-rc));
	c->st.rt_created = 0;
	containers_net_leave(c, cleanup_left, c);
}

static void
run_cleanup(struct ctr *c)
{
	const struct berth_runtime_ops	*rt;
	void				*rst;
	struct berth_err		 err = BERTH_ERR_INIT;

	if (c->cleaning)
		return;
	c->cleaning = 1;
	ctr_ref(c);
	if (c->st.rt_created &&
	    (rt = containers_runtime_of(c, &rst, &err)) != NULL) {
		rt->delete(rst, c->id, cleanup_deleted, c);
		return;
	}
	cleanup_deleted(c, 0, NULL);
}

static void
run_after_cleanup(struct ctr *c, ctr_done_cb cb, void *arg)
{
	struct berth_err	err = BERTH_ERR_INIT;

	if (!c->cleaning) {
		cb(arg, 0, NULL);
		return;
	}
	if (run_ops_add(&c->after_cleanup, cb, arg) < 0) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		cb(arg, -ENOMEM, &err);
	}
}

struct remove_bg {
	struct ctr	*c;
	const char	*why;		/* static */
};

static void
remove_bg_done(void *arg, int rc, const struct berth_err *err)
{
	struct remove_bg	*bg = arg;

	if (rc < 0)
		bg->c->cs->h->log(bg->c->cs->h, BERTH_LOG_WARN,
		    "container %.12s: %s: %s", bg->c->id, bg->why,
		    err != NULL ? err->msg : strerror(-rc));
	ctr_unref(bg->c);
	free(bg);
}

/* Remove c with nobody waiting (AutoRemove, a Dead one at start). */
void
containers_remove_bg(struct ctr *c, const char *why)
{
	struct remove_bg	*bg;

	if ((bg = malloc(sizeof(*bg))) == NULL) {
		c->cs->h->log(c->cs->h, BERTH_LOG_ERR, "container %.12s: %s: "
		    "out of memory", c->id, why);
		return;
	}
	bg->c = c;
	bg->why = why;
	ctr_ref(c);
	containers_remove(c, 1, remove_bg_done, bg);
}

/*
 * The process of c exited (or, with quiet, is found gone at restore
 * without having run): record it, tell the waiters, clean up.
 */
void
containers_exited(struct ctr *c, int code, int oom, int64_t finished_ns,
    int quiet)
{
	json_object	*a;
	char		 buf[16];

	if (c->stop_timer != NULL) {
		c->cs->h->timer_del(c->cs->h, c->stop_timer);
		c->stop_timer = NULL;
	}
	containers_health_stop(c);
	if (!quiet) {
		c->st.status = CTR_EXITED;
		c->st.pid = 0;
		c->st.exit_code = code;
		c->st.oom_killed = oom;
		c->st.finished_ns = finished_ns != 0 ? finished_ns :
		    containers_now_ns();
		if (oom)
			containers_emit(c, "oom", NULL);
		a = json_object_new_object();
		snprintf(buf, sizeof(buf), "%d", code);
		json_object_object_add(a, "exitCode",
		    json_object_new_string(buf));
		containers_emit(c, "die", a);
		json_object_put(a);
	} else if (run_is_running(c))
		c->st.status = CTR_EXITED;
	ctr_ref(c);
	/* A removal (rm -f, AutoRemove) deletes and unmounts in one go. */
	if (quiet || (!run_autoremove(c) && !c->removing)) {
		/* The restart policy: RESTARTING, with a timer, or the end. */
		if (!quiet && !c->cs->stopping)
			(void)containers_policy_exited(c);
		containers_save(c);
		run_cleanup(c);
	}
	run_ops_fire(&c->exit_waiters, 0, NULL);
	containers_waits_answer(c, 0);
	if (!quiet && run_autoremove(c) && !c->removing && !c->removed)
		containers_remove_bg(c, "auto-remove");
	ctr_unref(c);
}

static void
run_rt_exited(void *arg, const char *id, const char *exec_id, int code,
    int oom, int64_t finished_ns)
{
	struct containers	*cs = arg;
	struct ctr		*c;
	struct start_job	*j;

	if (cs->stopping)
		return;
	if (exec_id != NULL) {
		containers_exec_exited(cs, id, exec_id, code);
		return;
	}
	TAILQ_FOREACH(c, &cs->list, entry)
		if (strcmp(c->id, id) == 0)
			break;
	if (c == NULL)
		return;
	if (c->starting) {
		/* start's own completion has not come back yet. */
		j = c->start_job;
		if (j != NULL) {
			j->exit_early = 1;
			j->exit_code = code;
			j->exit_oom = oom;
			j->exit_ns = finished_ns;
		}
		return;
	}
	/* Restarting: this exit was told already (restore, then hello). */
	if (!run_is_running(c) || c->st.status == CTR_RESTARTING)
		return;
	containers_exited(c, code, oom, finished_ns, 0);
}

/* Docker's detach and exec_detach: a client typed the detach keys. */
static void
run_rt_detached(void *arg, const char *id, const char *exec_id)
{
	struct containers	*cs = arg;
	struct ctr		*c;

	if (cs->stopping)
		return;
	if (exec_id != NULL) {
		containers_exec_detached(cs, id, exec_id);
		return;
	}
	TAILQ_FOREACH(c, &cs->list, entry)
		if (strcmp(c->id, id) == 0) {
			containers_emit(c, "detach", NULL);
			break;
		}
}

const struct berth_runtime_events containers_rt_events = {
	.size = sizeof(struct berth_runtime_events),
	.exited = run_rt_exited,
	.detached = run_rt_detached,
};

/* --- stop, kill, restart --------------------------------------------------- */

static void
kill_emit(struct ctr *c, int signo)
{
	json_object	*a = json_object_new_object();
	char		 buf[16];

	snprintf(buf, sizeof(buf), "%d", signo);
	json_object_object_add(a, "signal", json_object_new_string(buf));
	containers_emit(c, "kill", a);
	json_object_put(a);
}

static void
kill_sent(void *arg, int rc, const struct berth_err *err)
{
	struct ctr	*c = arg;

	/*
	 * Gone already is not a failure: -ECANCELED is a kill still queued
	 * when the process exited and its monitor deleted the container.
	 */
	if (rc < 0 && rc != -ENOENT && rc != -ESRCH && rc != -ECANCELED)
		c->cs->h->log(c->cs->h, BERTH_LOG_WARN,
		    "container %.12s: kill: %s", c->id,
		    err != NULL ? err->msg : strerror(-rc));
	ctr_unref(c);
}

static int
run_kill(struct ctr *c, int signo, struct berth_err *err)
{
	const struct berth_runtime_ops	*rt;
	void				*rst;

	if ((rt = containers_runtime_of(c, &rst, err)) == NULL)
		return err->code;
	kill_emit(c, signo);
	ctr_ref(c);
	rt->kill(rst, c->id, signo, 0, kill_sent, c);
	/*
	 * A frozen process cannot die: after a SIGKILL (rm -f, stop's
	 * timeout) thaw it, as Docker does.
	 */
	if (signo == SIGKILL && c->st.status == CTR_PAUSED) {
		ctr_ref(c);
		rt->resume(rst, c->id, kill_sent, c);
	}
	return 0;
}

static void
stop_timeout(void *arg)
{
	struct ctr		*c = arg;
	struct berth_err	 err = BERTH_ERR_INIT;

	c->stop_timer = NULL;
	if (run_is_running(c))
		(void)run_kill(c, SIGKILL, &err);
}

static int
stop_signal(const struct ctr *c)
{
	const char	*s = berth_json_str(c->config, "StopSignal");
	int		 signo;

	if (s == NULL || containers_signal_parse(s, &signo) < 0)
		return SIGTERM;
	return signo;
}

/*
 * Stop c: its stop signal, then SIGKILL after timeout seconds (< 0:
 * never).  cb when it has exited; -EALREADY if it was not running.
 */
void
containers_stop(struct ctr *c, int timeout, ctr_done_cb cb, void *arg)
{
	struct berth_err	err = BERTH_ERR_INIT;
	int			rc;

	/* A restart pending is called off: the container stays down. */
	if (c->st.status == CTR_RESTARTING) {
		c->manually_stopped = 1;
		containers_policy_cancel(c);
	}
	if (!run_is_running(c)) {
		berth_err_set(&err, -EALREADY, "container already stopped");
		cb(arg, -EALREADY, &err);
		return;
	}
	if (run_ops_add(&c->exit_waiters, cb, arg) < 0) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		cb(arg, -ENOMEM, &err);
		return;
	}
	c->manually_stopped = 1;
	if ((rc = run_kill(c, timeout == 0 ? SIGKILL : stop_signal(c),
	    &err)) < 0) {
		struct ctr_op_waiter *w = TAILQ_LAST(&c->exit_waiters,
		    ctr_op_list);

		TAILQ_REMOVE(&c->exit_waiters, w, entry);
		free(w);
		cb(arg, rc, &err);
		return;
	}
	if (timeout > 0 && c->stop_timer == NULL)
		c->stop_timer = c->cs->h->timer_add(c->cs->h,
		    (uint64_t)timeout * 1000, stop_timeout, c);
}

static int
req_timeout(const struct berth_host *h, struct berth_req *req,
    const struct ctr *c)
{
	const char	*t = h->req_query(req, "t", 0);
	json_object	*v;

	if (t != NULL && *t != '\0')
		return atoi(t);
	if ((v = berth_json_get(c->config, "StopTimeout")) != NULL &&
	    json_object_is_type(v, json_type_int))
		return json_object_get_int(v);
	return CONTAINERS_STOP_TIMEOUT;
}

static void
stop_h_done(void *arg, int rc, const struct berth_err *err)
{
	struct req_job	*rj = arg;

	if (rc == -EALREADY)
		rj->cs->h->resp_status(rj->req, 304);
	else if (rc < 0)
		rj->cs->h->resp_error(rj->req, err);
	else {
		containers_emit(rj->c, "stop", NULL);
		rj->cs->h->resp_status(rj->req, 204);
	}
	req_job_free(rj);
}

void
containers_h_stop(struct berth_req *req, void *state)
{
	struct containers	*cs = state;
	struct ctr		*c;
	struct req_job		*rj;

	if ((rj = req_job_for(cs, req)) == NULL)
		return;
	c = rj->c;
	containers_stop(c, req_timeout(cs->h, req, c), stop_h_done, rj);
}

static void
kill_h_exited(void *arg, int rc, const struct berth_err *err)
{
	struct req_job	*rj = arg;

	rj->cs->h->resp_status(rj->req, 204);
	req_job_free(rj);
}

void
containers_h_kill(struct berth_req *req, void *state)
{
	struct containers	*cs = state;
	struct berth_err	 err = BERTH_ERR_INIT;
	const char		*ref = cs->h->req_param(req, "id");
	const char		*sig = cs->h->req_query(req, "signal", 0);
	struct ctr		*c;
	struct req_job		*rj;
	int			 signo = SIGKILL;

	if ((c = containers_find(cs, ref, &err)) == NULL) {
		cs->h->resp_error(req, &err);
		return;
	}
	if (sig != NULL && *sig != '\0' &&
	    containers_signal_parse(sig, &signo) < 0) {
		berth_err_set(&err, -EINVAL, "Invalid signal: %s", sig);
		cs->h->resp_error(req, &err);
		return;
	}
	/* Restarting: no process to signal; the restart is called off. */
	if (c->st.status == CTR_RESTARTING) {
		c->manually_stopped = 1;
		containers_policy_cancel(c);
		kill_emit(c, signo);
		cs->h->resp_status(req, 204);
		return;
	}
	if (!run_is_running(c)) {
		berth_err_set(&err, -EBUSY, "Cannot kill container: %s: "
		    "Container %s is not running", ref, c->id);
		cs->h->resp_error(req, &err);
		return;
	}
	/* Docker's rule: SIGKILL or the stop signal ends the policy too. */
	if (signo == SIGKILL || signo == stop_signal(c))
		c->manually_stopped = 1;
	if (run_kill(c, signo, &err) < 0) {
		cs->h->resp_error(req, &err);
		return;
	}
	/* Like Docker, a SIGKILL answers once the container is gone. */
	if (signo == SIGKILL && (rj = req_job_new(cs, req, c)) != NULL &&
	    run_ops_add(&c->exit_waiters, kill_h_exited, rj) == 0)
		return;
	cs->h->resp_status(req, 204);
}

static void
restart_started(void *arg, int rc, const struct berth_err *err)
{
	struct req_job	*rj = arg;

	if (rc < 0 && rc != -EALREADY)
		rj->cs->h->resp_error(rj->req, err);
	else {
		/* Only a restart policy counts in RestartCount, as in Docker. */
		containers_emit(rj->c, "restart", NULL);
		rj->cs->h->resp_status(rj->req, 204);
	}
	req_job_free(rj);
}

static void
restart_cleaned(void *arg, int rc, const struct berth_err *err)
{
	struct req_job	*rj = arg;

	containers_start(rj->c, restart_started, rj);
}

static void
restart_stopped(void *arg, int rc, const struct berth_err *err)
{
	struct req_job	*rj = arg;

	if (rc < 0 && rc != -EALREADY) {
		rj->cs->h->resp_error(rj->req, err);
		req_job_free(rj);
		return;
	}
	if (rc == 0)
		containers_emit(rj->c, "stop", NULL);
	run_after_cleanup(rj->c, restart_cleaned, rj);
}

void
containers_h_restart(struct berth_req *req, void *state)
{
	struct containers	*cs = state;
	struct ctr		*c;
	struct req_job		*rj;

	if ((rj = req_job_for(cs, req)) == NULL)
		return;
	c = rj->c;
	containers_stop(c, req_timeout(cs->h, req, c), restart_stopped, rj);
}

/* --- remove ------------------------------------------------------------------ */

struct remove_job {
	TAILQ_ENTRY(remove_job)	 entry;		/* in cs->removals */
	struct ctr		*c;
	ctr_done_cb		 cb;		/* NULL once answered */
	void			*arg;
	int			 pending;	/* pieces before the answer */
	int			 tail;		/* pieces before the state goes */
	int			 listed;	/* in cs->removals */
};

static void
remove_answer(struct remove_job *rm, int rc, const struct berth_err *err)
{
	struct berth_err	e = BERTH_ERR_INIT;
	ctr_done_cb		cb = rm->cb;

	if (cb == NULL)
		return;
	rm->cb = NULL;
	if (rc < 0 && err == NULL) {
		berth_err_set(&e, rc, "%s", strerror(-rc));
		err = &e;
	}
	cb(rm->arg, rc, err);
}

static void
remove_finish(struct remove_job *rm, int rc, const struct berth_err *err)
{
	struct ctr	*c = rm->c;

	c->removing = 0;
	remove_answer(rm, rc, err);
	ctr_unref(c);
	free(rm);
}

/* The state and the bundle, last: no write may land after them. */
static void
remove_state_done(void *arg, int rc, const struct berth_err *err)
{
	struct remove_job	*rm = arg;

	if (rc < 0 && rc != -ENOENT)
		rm->c->cs->h->log(rm->c->cs->h, BERTH_LOG_WARN,
		    "container %.12s: remove: %s", rm->c->id,
		    err != NULL ? err->msg : strerror(-rc));
	remove_finish(rm, 0, NULL);
}

static void
remove_state_go(void *arg, int rc, const struct berth_err *err)
{
	struct remove_job	*rm = arg;

	containers_store_remove(rm->c, 1, remove_state_done, rm);
}

/*
 * Once the container is gone for users and the rest of it (its rootfs,
 * its logs, the runtime's record) is too: stop writes, let one in flight
 * finish, then delete the state.
 */
static void
remove_tail(struct remove_job *rm)
{
	struct ctr	*c = rm->c;

	if (rm->pending > 0 || rm->tail > 0)
		return;
	if (rm->listed) {
		TAILQ_REMOVE(&c->cs->removals, rm, entry);
		rm->listed = 0;
	}
	c->state_gone = 1;
	c->save_again = 0;
	if (c->saving && run_ops_add(&c->save_waiters, remove_state_go,
	    rm) == 0)
		return;
	remove_state_go(rm, 0, NULL);
}

/*
 * The state on disk says Dead and the volumes are let go: the container
 * is gone for users.  This is what `docker rm` and `docker run --rm` wait
 * for.  The runtime's delete (its monitor started it at the exit and
 * sees it through whatever happens to berthd), the rootfs and the logs
 * may still be going; the state says Dead until they are gone, so a
 * restart in between finishes the job.  The image is let go now: a layer
 * the rootfs still uses stays pinned until the rootfs is gone.
 */
static void
remove_piece_done(void *arg, int rc, const struct berth_err *err)
{
	struct remove_job	*rm = arg;
	struct ctr		*c = rm->c;
	struct containers	*cs = c->cs;

	if (rc < 0 && rc != -ENOENT)
		cs->h->log(cs->h, BERTH_LOG_WARN, "container %.12s: remove: %s",
		    c->id, err != NULL ? err->msg : strerror(-rc));
	if (--rm->pending > 0)
		return;
	c->mounted = 0;
	if (c->image_used) {
		cs->img->unuse(cs->img_st, c->image_id, c->id);
		c->image_used = 0;
	}
	if (!c->removed) {
		TAILQ_REMOVE(&cs->list, c, entry);
		c->removed = 1;
		containers_emit(c, "destroy", NULL);
		containers_mounts_release(c, c->remove_volumes ||
		    run_autoremove(c));
		containers_attach_drop(c);
		containers_waits_answer(c, 1);
		run_ops_fire(&c->exit_waiters, 0, NULL);
		ctr_unref(c);	/* the list's reference */
	}
	remove_answer(rm, 0, NULL);
	if (rm->tail > 0) {
		TAILQ_INSERT_TAIL(&cs->removals, rm, entry);
		rm->listed = 1;
	}
	remove_tail(rm);
}

static void
remove_tail_done(void *arg, int rc, const struct berth_err *err)
{
	struct remove_job	*rm = arg;

	if (rc < 0 && rc != -ENOENT)
		rm->c->cs->h->log(rm->c->cs->h, BERTH_LOG_WARN,
		    "container %.12s: remove: %s", rm->c->id,
		    err != NULL ? err->msg : strerror(-rc));
	rm->tail--;
	remove_tail(rm);
}

/*
 * At fini: removals answered but not finished (the runtime's answer, or
 * a work job's, cannot come now) let go of their containers; the state
 * says "removing", and the next start finishes them.
 */
void
containers_run_fini(struct containers *cs)
{
	struct remove_job	*rm;

	while ((rm = TAILQ_FIRST(&cs->removals)) != NULL) {
		TAILQ_REMOVE(&cs->removals, rm, entry);
		rm->c->removing = 0;
		ctr_unref(rm->c);
		free(rm);
	}
}

static void
remove_rt_deleted(void *arg, int rc, const struct berth_err *err)
{
	struct remove_job	*rm = arg;

	if (rc < 0 && rc != -ENOENT && rc != -ECANCELED)
		rm->c->cs->h->log(rm->c->cs->h, BERTH_LOG_WARN,
		    "container %.12s: runtime delete: %s", rm->c->id,
		    err != NULL ? err->msg : strerror(-rc));
	rm->c->st.rt_created = 0;
	rm->tail--;
	remove_tail(rm);
}

static void
remove_net_left(void *arg, int rc, const struct berth_err *err)
{
	struct remove_job	*rm = arg;

	containers_mounts_unmount(rm->c, remove_piece_done, rm);
}

static void
remove_cleaned(void *arg, int rc, const struct berth_err *err)
{
	struct remove_job		*rm = arg;
	struct ctr			*c = rm->c;
	const struct berth_runtime_ops	*rt = NULL;
	void				*rst;
	struct berth_err		 e = BERTH_ERR_INIT;

	/* Dead, on disk before the answer (Docker's SetDead). */
	c->st.status = CTR_REMOVING;
	if (c->st.rt_created)
		rt = containers_runtime_of(c, &rst, &e);
	/* Before the answer: the volumes and the Dead state. */
	rm->pending = 2;
	/* After it, before the state goes: rootfs, logs, runtime record. */
	rm->tail = rt != NULL ? 3 : 2;
	/* Docker's order: network disconnect, then volume unmount. */
	containers_net_leave(c, remove_net_left, rm);
	containers_save_sync_wait(c, remove_piece_done, rm);
	c->cs->img->rootfs_remove(c->cs->img_st, c->id, remove_tail_done, rm);
	containers_store_remove(c, 0, remove_tail_done, rm);
	if (rt != NULL)
		rt->delete(rst, c->id, remove_rt_deleted, rm);
}

static void
remove_killed(void *arg, int rc, const struct berth_err *err)
{
	struct remove_job	*rm = arg;

	run_after_cleanup(rm->c, remove_cleaned, rm);
}

/* After a start settled: kill what it started, or go on. */
static void
remove_after_start(void *arg, int rc, const struct berth_err *err)
{
	struct remove_job	*rm = arg;
	struct ctr		*c = rm->c;
	struct berth_err	 e = BERTH_ERR_INIT;

	if (!run_is_running(c)) {
		run_after_cleanup(c, remove_cleaned, rm);
		return;
	}
	if (run_ops_add(&c->exit_waiters, remove_killed, rm) < 0 ||
	    run_kill(c, SIGKILL, &e) < 0)
		remove_finish(rm, e.code != 0 ? e.code : -ENOMEM, &e);
}

/*
 * Remove c (force: kill it first if it runs).  Running without force is
 * -EBUSY with Docker's message.
 */
void
containers_remove(struct ctr *c, int force, ctr_done_cb cb, void *arg)
{
	struct remove_job	*rm;
	struct berth_err	 err = BERTH_ERR_INIT;

	if (c->removing || c->removed) {
		berth_err_set(&err, -EBUSY,
		    "removal of container %s is already in progress", c->id);
		cb(arg, -EBUSY, &err);
		return;
	}
	if (force && c->st.status == CTR_RESTARTING)
		containers_policy_cancel(c);
	if ((run_is_running(c) || c->starting) && !force) {
		berth_err_set(&err, -EBUSY, "You cannot remove a running "
		    "container %s. Stop the container before attempting "
		    "removal or force remove", c->id);
		cb(arg, -EBUSY, &err);
		return;
	}
	if ((rm = calloc(1, sizeof(*rm))) == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		cb(arg, -ENOMEM, &err);
		return;
	}
	rm->c = c;
	rm->cb = cb;
	rm->arg = arg;
	ctr_ref(c);
	c->removing = 1;
	if (c->starting) {
		/* Let the start settle, then kill what it started. */
		if (run_ops_add(&c->start_waiters, remove_after_start, rm) < 0)
			remove_finish(rm, -ENOMEM, NULL);
		return;
	}
	if (run_is_running(c)) {
		if (run_ops_add(&c->exit_waiters, remove_killed, rm) < 0 ||
		    run_kill(c, SIGKILL, &err) < 0) {
			remove_finish(rm, err.code != 0 ? err.code : -ENOMEM,
			    &err);
		}
		return;
	}
	run_after_cleanup(c, remove_cleaned, rm);
}

static void
remove_h_done(void *arg, int rc, const struct berth_err *err)
{
	struct req_job	*rj = arg;

	if (rc < 0)
		rj->cs->h->resp_error(rj->req, err);
	else
		rj->cs->h->resp_status(rj->req, 204);
	req_job_free(rj);
}

void
containers_h_remove(struct berth_req *req, void *state)
{
	struct containers	*cs = state;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct ctr		*c;
	struct req_job		*rj;

	if ((c = containers_find(cs, cs->h->req_param(req, "id"), &err)) ==
	    NULL) {
		cs->h->resp_error(req, &err);
		return;
	}
	if (cs->h->req_query_bool(req, "link")) {
		berth_err_set(&err, -EINVAL, "Conflict, cannot remove the "
		    "default link name of the container");
		cs->h->resp_error(req, &err);
		return;
	}
	if ((rj = req_job_new(cs, req, c)) == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		cs->h->resp_error(req, &err);
		return;
	}
	/* rm -v: its anonymous volumes go with it. */
	if (cs->h->req_query_bool(req, "v"))
		c->remove_volumes = 1;
	containers_remove(c, cs->h->req_query_bool(req, "force"),
	    remove_h_done, rj);
}
