/*
 * containers - the containers service: the /containers API, container
 * state, logs and the OCI spec.  It calls two interfaces and includes
 * no other module's code: image/1 (the images module) for image
 * resolution and root filesystems, runtime/1 (runtime-oci) to run
 * bundles.  It offers container/1 (containers_iface.c) to services that
 * run containers of their own, as the builder's steps.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <berth/json.h>
#include <berth/module.h>

#include "containers.h"

static const struct berth_route containers_routes[] = {
	/* Connecting a container is the containers service's job. */
	{ BERTH_POST,	"/networks/{id}/connect",	NULL,
	    containers_h_net_connect, 0, 0 },
	{ BERTH_POST,	"/networks/{id}/disconnect",	NULL,
	    containers_h_net_disconnect, 0, 0 },
	{ BERTH_POST,	"/containers/create",		NULL,
	    containers_h_create, 0, 0 },
	{ BERTH_GET,	"/containers/json",		NULL,
	    containers_h_list, 0, 0 },
	{ BERTH_GET,	"/containers/{id}/json",	NULL,
	    containers_h_inspect, 0, 0 },
	{ BERTH_POST,	"/containers/{id}/start",	NULL,
	    containers_h_start, 0, 0 },
	{ BERTH_POST,	"/containers/{id}/stop",	NULL,
	    containers_h_stop, 0, 0 },
	{ BERTH_POST,	"/containers/{id}/kill",	NULL,
	    containers_h_kill, 0, 0 },
	{ BERTH_POST,	"/containers/{id}/restart",	NULL,
	    containers_h_restart, 0, 0 },
	{ BERTH_POST,	"/containers/{id}/wait",	NULL,
	    containers_h_wait, 0, 0 },
	{ BERTH_DELETE,	"/containers/{id}",		NULL,
	    containers_h_remove, 0, 0 },
	{ BERTH_POST,	"/containers/{id}/attach",	NULL,
	    containers_h_attach, 0, 0 },
	{ BERTH_POST,	"/containers/{id}/resize",	NULL,
	    containers_h_resize, 0, 0 },
	{ BERTH_GET,	"/containers/{id}/logs",	NULL,
	    containers_h_logs, 0, 0 },
	{ BERTH_POST,	"/containers/{id}/exec",	NULL,
	    containers_h_exec_create, 0, 0 },
	{ BERTH_POST,	"/containers/{id}/pause",	NULL,
	    containers_h_pause, 0, 0 },
	{ BERTH_POST,	"/containers/{id}/unpause",	NULL,
	    containers_h_unpause, 0, 0 },
	{ BERTH_POST,	"/containers/{id}/rename",	NULL,
	    containers_h_rename, 0, 0 },
	{ BERTH_GET,	"/containers/{id}/top",		NULL,
	    containers_h_top, 0, 0 },
	{ BERTH_POST,	"/containers/{id}/update",	NULL,
	    containers_h_update, 0, 0 },
	{ BERTH_GET,	"/containers/{id}/stats",	NULL,
	    containers_h_stats, 0, 0 },
	{ BERTH_POST,	"/containers/prune",		NULL,
	    containers_h_prune, 0, 0 },
	{ BERTH_HEAD,	"/containers/{id}/archive",	NULL,
	    containers_h_archive, 0, 0 },
	{ BERTH_GET,	"/containers/{id}/archive",	NULL,
	    containers_h_archive, 0, 0 },
	{ BERTH_PUT,	"/containers/{id}/archive",	NULL,
	    containers_h_archive_put, BERTH_ROUTE_STREAM_BODY, 0 },
	{ BERTH_GET,	"/containers/{id}/export",	NULL,
	    containers_h_export, 0, 0 },
	{ BERTH_GET,	"/containers/{id}/changes",	NULL,
	    containers_h_changes, 0, 0 },
	{ BERTH_POST,	"/commit",			NULL,
	    containers_h_commit, 0, 0 },
	{ BERTH_POST,	"/exec/{id}/start",		NULL,
	    containers_h_exec_start, 0, 0 },
	{ BERTH_GET,	"/exec/{id}/json",		NULL,
	    containers_h_exec_inspect, 0, 0 },
	{ BERTH_POST,	"/exec/{id}/resize",		NULL,
	    containers_h_exec_resize, 0, 0 },
};

static const struct berth_conf_key containers_conf_keys[] = {
	{ "init-path",	BERTH_CONF_PATH,
	    "the init for --init (default: docker-init or tini-static)" },
	{ "log-driver",	BERTH_CONF_STRING,
	    "containers' default log driver: json-file (default) or none" },
	{ "log-opts",	BERTH_CONF_MAP,
	    "default options of that driver, as dockerd's (max-size, ...)" },
	{ NULL, 0, NULL }
};

struct ctr *
ctr_new(struct containers *cs)
{
	struct ctr	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->cs = cs;
	c->refs = 1;
	TAILQ_INIT(&c->start_waiters);
	TAILQ_INIT(&c->pause_waiters);
	TAILQ_INIT(&c->exit_waiters);
	TAILQ_INIT(&c->save_waiters);
	TAILQ_INIT(&c->after_cleanup);
	TAILQ_INIT(&c->waits);
	TAILQ_INIT(&c->attaches);
	return c;
}

void
ctr_free(struct ctr *c)
{
	if (c == NULL)
		return;
	containers_attach_drop(c);
	containers_health_free(c);
	free(c->name);
	free(c->path);
	free(c->runtime);
	free(c->st.error);
	json_object_put(c->config);
	json_object_put(c->hostconfig);
	free(c->hc_saved);
	json_object_put(c->args);
	json_object_put(c->exec_ids);
	json_object_put(c->mounts);
	json_object_put(c->networks);
	free(c->sandbox);
	json_object_put(c->ports);
	free(c);
}

void
ctr_ref(struct ctr *c)
{
	c->refs++;
}

/* The list holds one reference; every async operation holds another. */
void
ctr_unref(struct ctr *c)
{
	if (--c->refs == 0)
		ctr_free(c);
}

/* By name, with or without the leading '/'. */
struct ctr *
containers_find_name(struct containers *cs, const char *name)
{
	struct ctr	*c;

	TAILQ_FOREACH(c, &cs->list, entry)
		if (strcmp(c->name + 1, name[0] == '/' ? name + 1 : name) == 0)
			return c;
	return NULL;
}

/*
 * The error a runtime call answered with, as Docker words it: a call
 * still queued when the process exited and the runtime let the
 * container go (-ECANCELED) met a container that is not running.
 * Returns err, or buf filled.
 */
const struct berth_err *
containers_rt_err(const struct ctr *c, int rc, const struct berth_err *err,
    struct berth_err *buf)
{
	if (rc != -ECANCELED && !c->removing && !c->removed &&
	    containers_init_alive(c))
		return err;
	berth_err_set(buf, -EBUSY, "Container %s is not running", c->id);
	return buf;
}

/*
 * A runtime call on c failed.  If a kill, a stop or a removal raced it,
 * that is Docker's 409 "not running": said at once when the process is
 * gone or the run it was meant for (run_ns, c->st.started_ns then) has
 * ended, and otherwise after RT_RACE_MS, the time a dying process takes
 * to become a zombie, if it has.  cb(arg, err) gets the error to answer
 * with, borrowed for the call.
 */
#define RT_RACE_MS	100

struct rt_race {
	struct ctr		*c;
	int64_t			 run_ns;
	struct berth_err	 err;
	void			(*cb)(void *, const struct berth_err *);
	void			*arg;
};

static int
rt_raced(const struct ctr *c, int rc, int64_t run_ns)
{
	return rc == -ECANCELED || c->removing || c->removed ||
	    c->st.started_ns != run_ns || !containers_init_alive(c) ||
	    (c->st.status != CTR_RUNNING && c->st.status != CTR_PAUSED);
}

static void
rt_race_judged(void *arg)
{
	struct rt_race		*r = arg;
	struct berth_err	 e = BERTH_ERR_INIT;

	if (rt_raced(r->c, r->err.code, r->run_ns)) {
		berth_err_set(&e, -EBUSY, "Container %s is not running",
		    r->c->id);
		r->cb(r->arg, &e);
	} else
		r->cb(r->arg, &r->err);
	ctr_unref(r->c);
	free(r);
}

void
containers_rt_judge(struct ctr *c, int rc, const struct berth_err *err,
    int64_t run_ns, void (*cb)(void *, const struct berth_err *), void *arg)
{
	const struct berth_host	*h = c->cs->h;
	struct berth_err	 e = BERTH_ERR_INIT;
	struct rt_race		*r;

	if (err == NULL) {
		berth_err_set(&e, rc, "%s", strerror(-rc));
		err = &e;
	}
	if (rt_raced(c, rc, run_ns)) {
		berth_err_set(&e, -EBUSY, "Container %s is not running", c->id);
		cb(arg, &e);
		return;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		cb(arg, err);
		return;
	}
	r->c = c;
	ctr_ref(c);
	r->run_ns = run_ns;
	r->err = *err;
	r->err.code = rc;
	r->cb = cb;
	r->arg = arg;
	if (h->timer_add(h, RT_RACE_MS, rt_race_judged, r) == NULL)
		rt_race_judged(r);
}

/*
 * Is c's init process still there and not a zombie?  A runtime call that
 * failed while the process was dying (a kill or an rm -f racing a pause
 * or an exec) met a container that is not running, even before its exit
 * has reached berthd: /proc says so at once.
 */
int
containers_init_alive(const struct ctr *c)
{
	char	path[64], buf[256], *p;
	int	fd;
	ssize_t	n;

	if (c->st.pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)c->st.pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* "pid (comm) S ...": the state follows the last ')'. */
	if ((p = strrchr(buf, ')')) == NULL || p[1] != ' ')
		return 0;
	return p[2] != 'Z' && p[2] != 'X' && p[2] != 'x';
}

/*
 * Docker's lookup order: full ID, then name, then a unique ID prefix.
 * Not found is -ENOENT with "No such container: x".
 */
struct ctr *
containers_find(struct containers *cs, const char *ref, struct berth_err *err)
{
	struct ctr	*c, *hit = NULL;
	size_t		 len;

	if (ref == NULL || *ref == '\0') {
		berth_err_set(err, -ENOENT, "No such container: %s",
		    ref != NULL ? ref : "");
		return NULL;
	}
	len = strlen(ref);
	TAILQ_FOREACH(c, &cs->list, entry)
		if (strcmp(c->id, ref) == 0)
			return c;
	if ((c = containers_find_name(cs, ref)) != NULL)
		return c;
	TAILQ_FOREACH(c, &cs->list, entry) {
		if (strncmp(c->id, ref, len) != 0)
			continue;
		if (hit != NULL) {
			berth_err_set(err, -EINVAL,
			    "Multiple IDs found with provided prefix: %s", ref);
			return NULL;
		}
		hit = c;
	}
	if (hit == NULL)
		berth_err_set(err, -ENOENT, "No such container: %s", ref);
	return hit;
}

void
containers_not_found(const struct berth_host *h, struct berth_req *req,
    const char *ref)
{
	struct berth_err	err = BERTH_ERR_INIT;

	berth_err_set(&err, -ENOENT, "No such container: %s", ref);
	h->resp_error(req, &err);
}

/*
 * A container event: image (Config.Image as given), name (no '/') and
 * every label, plus extra's members.  extra is borrowed.
 */
void
containers_emit(struct ctr *c, const char *action, json_object *extra)
{
	json_object	*attrs = json_object_new_object(), *labels;
	const char	*img = berth_json_str(c->config, "Image");

	labels = berth_json_get(c->config, "Labels");
	if (labels != NULL && json_object_is_type(labels, json_type_object)) {
		json_object_object_foreach(labels, k, v)
			if (json_object_is_type(v, json_type_string))
				json_object_object_add(attrs, k,
				    json_object_get(v));
	}
	json_object_object_add(attrs, "image",
	    json_object_new_string(img != NULL ? img : c->image_id));
	json_object_object_add(attrs, "name",
	    json_object_new_string(c->name + 1));
	if (extra != NULL) {
		json_object_object_foreach(extra, k, v)
			json_object_object_add(attrs, k, json_object_get(v));
	}
	c->cs->h->emit(c->cs->h, "container", action, c->id, attrs);
	json_object_put(attrs);
}

/* The driver for a runtime name ("" or NULL: the default). */
const struct berth_runtime_ops *
containers_runtime(struct containers *cs, const char *name, void **stp,
    struct berth_err *err)
{
	const struct berth_runtime_ops	*ops;

	if (name == NULL || *name == '\0')
		name = BERTH_RUNTIME_DEFAULT;
	ops = cs->h->lookup(cs->h, BERTH_RUNTIME_IFACE, name, stp);
	if (ops == NULL)
		berth_err_set(err, -EINVAL, "Unknown runtime specified %s",
		    name);
	return ops;
}

/*
 * The driver that runs c.  A runtime removed from the configuration
 * (SIGHUP) still has to stop, kill and delete what it started: then the
 * default driver is asked, which finds the container by its ID.
 */
const struct berth_runtime_ops *
containers_runtime_of(struct ctr *c, void **stp, struct berth_err *err)
{
	const struct berth_runtime_ops	*ops;

	if ((ops = containers_runtime(c->cs, c->runtime, stp, err)) != NULL)
		return ops;
	if ((ops = containers_runtime(c->cs, NULL, stp, NULL)) != NULL)
		berth_err_clear(err);
	return ops;
}

static void
containers_info(void *state, json_object *out)
{
	struct containers	*cs = state;
	struct ctr		*c;
	int			 n = 0, running = 0, paused = 0, stopped = 0;
	json_object		*sec, *plugins, *logs;

	TAILQ_FOREACH(c, &cs->list, entry) {
		n++;
		if (c->st.status == CTR_PAUSED)
			paused++;
		else if (c->st.status == CTR_RUNNING ||
		    c->st.status == CTR_RESTARTING)
			running++;
		else
			stopped++;
	}
	json_object_object_add(out, "Containers", json_object_new_int(n));
	json_object_object_add(out, "ContainersRunning",
	    json_object_new_int(running));
	json_object_object_add(out, "ContainersPaused",
	    json_object_new_int(paused));
	json_object_object_add(out, "ContainersStopped",
	    json_object_new_int(stopped));
	if (!json_object_object_get_ex(out, "SecurityOptions", &sec) ||
	    !json_object_is_type(sec, json_type_array)) {
		sec = json_object_new_array();
		json_object_object_add(out, "SecurityOptions", sec);
	}
	json_object_array_add(sec, json_object_new_string(
	    "name=seccomp,profile=default"));
	if (cs->init_path != NULL)
		json_object_object_add(out, "InitBinary",
		    json_object_new_string("docker-init"));
	json_object_object_add(out, "LoggingDriver", json_object_new_string(
	    berth_json_str(cs->log_default, "Type")));
	/* Plugins.Log: the log drivers a container may name here. */
	if (json_object_object_get_ex(out, "Plugins", &plugins) &&
	    json_object_is_type(plugins, json_type_object)) {
		logs = json_object_new_array();
		json_object_array_add(logs, json_object_new_string("json-file"));
		json_object_array_add(logs, json_object_new_string("none"));
		json_object_object_add(plugins, "Log", logs);
	}
}

/* The --init binary: configured, or the first of Docker's and tini's. */
static char *
containers_find_init(json_object *conf)
{
	static const char *const cands[] = {
		"/usr/libexec/docker/docker-init", "/usr/bin/docker-init",
		"/usr/local/bin/docker-init", "/usr/bin/tini-static",
		"/usr/bin/tini", NULL
	};
	const char	*p = berth_json_str(conf, "init-path");
	size_t		 i;

	if (p != NULL)
		return strdup(p);
	for (i = 0; cands[i] != NULL; i++)
		if (access(cands[i], X_OK) == 0)
			return strdup(cands[i]);
	return NULL;
}

static int
containers_init(const struct berth_host *h, const struct berth_conf *conf,
    void **statep, struct berth_err *err)
{
	struct containers	*cs;
	char			 p[PATH_MAX];
	int			 rc;

	if ((cs = calloc(1, sizeof(*cs))) == NULL)
		return berth_err_set(err, -ENOMEM, "out of memory");
	cs->h = h;
	TAILQ_INIT(&cs->list);
	TAILQ_INIT(&cs->execs);
	TAILQ_INIT(&cs->streams);
	TAILQ_INIT(&cs->removals);
	cs->img = h->lookup(h, BERTH_IMAGE_IFACE, BERTH_IMAGE_DRIVER,
	    &cs->img_st);
	if (cs->img == NULL) {
		free(cs);
		return berth_err_set(err, -ENOENT,
		    "no %s driver: the images module must start first",
		    BERTH_IMAGE_IFACE);
	}
	snprintf(p, sizeof(p), "%s/containers", h->data_root(h));
	cs->root = strdup(p);
	snprintf(p, sizeof(p), "%s/containers", h->exec_root(h));
	cs->exec_root = strdup(p);
	cs->init_path = containers_find_init(h->conf_json(conf));
	if ((cs->log_default = containers_log_default(h->conf_json(conf),
	    err)) == NULL) {
		rc = err->code;
		goto fail;
	}
	containers_sysinfo_probe(&cs->sys);
	if (cs->root == NULL || cs->exec_root == NULL) {
		rc = berth_err_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	if ((rc = containers_load(cs, err)) < 0)
		goto fail;
	if ((rc = h->route(h, containers_routes, sizeof(containers_routes) /
	    sizeof(containers_routes[0]), cs, err)) < 0)
		goto fail;
	if ((rc = h->hook(h, BERTH_HOOK_INFO, containers_info, cs, err)) < 0)
		goto fail;
	if ((rc = containers_iface_provide(cs, err)) < 0)
		goto fail;
	if (cs->init_path == NULL)
		h->log(h, BERTH_LOG_INFO, "no docker-init or tini found: "
		    "--init is refused until one is installed");
	containers_restore(cs);
	containers_policy_restore(cs);
	*statep = cs;
	return 0;
fail:
	{
		struct ctr	*c;

		while ((c = TAILQ_FIRST(&cs->list)) != NULL) {
			TAILQ_REMOVE(&cs->list, c, entry);
			ctr_free(c);
		}
	}
	free(cs->root);
	free(cs->exec_root);
	free(cs->init_path);
	json_object_put(cs->log_default);
	free(cs);
	return rc;
}

/*
 * At shutdown containers keep running (live restore): only memory is
 * freed.  Pending waits and attaches end with their connections.
 */
static void
containers_fini(void *state)
{
	struct containers	*cs = state;
	struct ctr		*c;
	struct ctr_wait		*w;

	cs->stopping = 1;
	/* Probes first: an exec let go below must find no monitor to tell. */
	TAILQ_FOREACH(c, &cs->list, entry)
		containers_health_stop(c);
	containers_exec_fini(cs);
	containers_policy_fini(cs);
	containers_stream_fini(cs);
	containers_run_fini(cs);
	while ((c = TAILQ_FIRST(&cs->list)) != NULL) {
		TAILQ_REMOVE(&cs->list, c, entry);
		c->removed = 1;
		if (c->stop_timer != NULL) {
			cs->h->timer_del(cs->h, c->stop_timer);
			c->stop_timer = NULL;
		}
		while ((w = TAILQ_FIRST(&c->waits)) != NULL) {
			TAILQ_REMOVE(&c->waits, w, entry);
			/* A service's wait ends with the service's own fini. */
			if (w->req != NULL)
				cs->h->resp_end(w->req);
			free(w);
			ctr_unref(c);	/* the wait's; the list's is below */
		}
		/* A cleanup waits on the runtime, whose answer cannot come now. */
		if (c->cleaning) {
			c->cleaning = 0;
			ctr_unref(c);
		}
		ctr_unref(c);
	}
	free(cs->root);
	free(cs->exec_root);
	free(cs->init_path);
	json_object_put(cs->log_default);
	free(cs);
}

BERTH_MODULE = {
	.abi = BERTH_ABI_INIT,
	.name = "containers",
	.version = "0.1.0",
	.provides = (const char *const[]){ BERTH_CONTAINER_IFACE, NULL },
	.requires = (const char *const[]){ BERTH_IMAGE_IFACE,
	    BERTH_RUNTIME_IFACE, NULL },
	.conf = containers_conf_keys,
	.init = containers_init,
	.fini = containers_fini,
};
