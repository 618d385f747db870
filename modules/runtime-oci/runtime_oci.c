/*
 * runtime-oci - the OCI runtime driver: one runtime/1 driver per
 * configured runtime binary (runc, crun, anything added), plus the alias
 * "default".  Containers run under berth-monitor (monitor/), one per
 * container, which outlives berthd; see runtime_oci_ctr.c for the ops.
 */
#include <sys/wait.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <berth/host.h>
#include <berth/module.h>
#include <berth/runtime.h>

#include "runtime_oci.h"

static const struct berth_conf_key runtime_oci_keys[] = {
	{ "runtimes",		BERTH_CONF_MAP,
	    "name: {path: BINARY, args: [ARG...]} for each OCI runtime" },
	{ "default-runtime",	BERTH_CONF_STRING,
	    "the runtime of containers that name none (runc)" },
	{ "monitor",		BERTH_CONF_PATH,
	    "the berth-monitor binary (found next to the module)" },
	{ NULL,			0,			NULL }
};

/*
 * berth-monitor: the build tree has build/modules/X.so and
 * build/libexec/berth-monitor; an install has PREFIX/lib/berth/modules
 * and PREFIX/libexec/berth/berth-monitor.
 */
static char *
find_monitor(void)
{
	static const char *const rel[] = { "../libexec/berth-monitor",
	    "../../../libexec/berth/berth-monitor", NULL };
	static const char *const abs[] = {
	    "/usr/local/libexec/berth/berth-monitor",
	    "/usr/libexec/berth/berth-monitor", NULL };
	char	 dir[PATH_MAX], path[PATH_MAX + 64], *slash;
	Dl_info	 dli;
	int	 i;

	if (dladdr((void *)find_monitor, &dli) != 0 && dli.dli_fname != NULL &&
	    realpath(dli.dli_fname, dir) != NULL &&
	    (slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		for (i = 0; rel[i] != NULL; i++) {
			snprintf(path, sizeof(path), "%s/%s", dir, rel[i]);
			if (access(path, X_OK) == 0)
				return realpath(path, NULL);
		}
	}
	for (i = 0; abs[i] != NULL; i++)
		if (access(abs[i], X_OK) == 0)
			return strdup(abs[i]);
	return NULL;
}

static struct runtime_oci_drv *
drv_find(struct runtime_oci *ro, const char *name)
{
	struct runtime_oci_drv	*d;

	for (d = ro->drvs; d != NULL; d = d->next)
		if (strcmp(d->rt.name, name) == 0)
			return d;
	return NULL;
}

/* Copy rt into d's own; on failure d keeps what it had. */
static int
drv_take_rt(struct runtime_oci_drv *d, const struct runtime_oci_rt *rt)
{
	struct runtime_oci_rt	 n;
	size_t			 i;

	memset(&n, 0, sizeof(n));
	if ((n.name = strdup(rt->name)) == NULL ||
	    (n.path = strdup(rt->path)) == NULL ||
	    (rt->nargs > 0 && (n.args = calloc(rt->nargs + 1,
	    sizeof(*n.args))) == NULL))
		goto oom;
	for (i = 0; i < rt->nargs; i++) {
		if ((n.args[i] = strdup(rt->args[i])) == NULL)
			goto oom;
		n.nargs++;
	}
	for (i = 0; i < d->rt.nargs; i++)
		free(d->rt.args[i]);
	free(d->rt.args);
	free(d->rt.name);
	free(d->rt.path);
	d->rt = n;
	return 0;
oom:
	for (i = 0; i < n.nargs; i++)
		free(n.args[i]);
	free(n.args);
	free(n.name);
	free(n.path);
	return -ENOMEM;
}

static int
same_rt(const struct runtime_oci_rt *a, const struct runtime_oci_rt *b)
{
	size_t	i;

	if (strcmp(a->path, b->path) != 0 || a->nargs != b->nargs)
		return 0;
	for (i = 0; i < a->nargs; i++)
		if (strcmp(a->args[i], b->args[i]) != 0)
			return 0;
	return 1;
}

static void
warn_cgroups(struct runtime_oci *ro)
{
	struct runtime_oci_drv	*d;
	const char		*base;
	char			 ctl[256], first[64];

	for (d = ro->drvs; d != NULL; d = d->next) {
		base = strrchr(d->rt.path, '/');
		base = base ? base + 1 : d->rt.path;
		if (d->provided && strcmp(base, "crun") == 0)
			break;
	}
	/* Once: a reload that changes nothing of it should not repeat it. */
	if (d == NULL || ro->cgroup_warned ||
	    !runtime_oci_cgroup_hybrid("/sys/fs/cgroup", ctl, sizeof(ctl)))
		return;
	ro->cgroup_warned = 1;
	snprintf(first, sizeof(first), "%.*s", (int)strcspn(ctl, " "), ctl);
	ro->h->log(ro->h, BERTH_LOG_WARN, "runtime %s will refuse to run "
	    "containers (\"cgroups in hybrid mode not supported\"): cgroup "
	    "controller(s) '%s' sit on the cgroup2 hierarchy "
	    "/sys/fs/cgroup/unified of this hybrid layout; fix: mount each "
	    "as cgroup v1, e.g. mkdir -p /sys/fs/cgroup/%s && mount -t cgroup "
	    "-o %s cgroup /sys/fs/cgroup/%s", d->rt.name, ctl, first, first,
	    first);
}

static void
probe_done(pid_t pid, int wstatus, void *arg)
{
	struct runtime_oci_drv	*d = arg;

	if (pid != d->probe_pid)
		return;		/* an older runtime's answer */
	d->probe_pid = 0;
	d->has_run = WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;
	d->ro->h->log(d->ro->h, BERTH_LOG_DEBUG, "runtime %s: %s", d->rt.name,
	    d->has_run ? "run --detach starts containers" :
	    "no `run`: create, then start");
}

/* Ask d's runtime whether it has `run` (see has_run). */
static void
probe_run(struct runtime_oci_drv *d)
{
	const struct berth_host	*h = d->ro->h;
	struct berth_spawn_opts	 opts;
	const char		**argv;
	size_t			 n = 0, i;
	pid_t			 pid;
	int			 null;

	d->has_run = 0;
	d->probe_pid = 0;
	if ((argv = calloc(d->rt.nargs + 4, sizeof(*argv))) == NULL)
		return;
	argv[n++] = d->rt.path;
	for (i = 0; i < d->rt.nargs; i++)
		argv[n++] = d->rt.args[i];
	argv[n++] = "run";
	argv[n++] = "--help";
	argv[n] = NULL;
	null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	memset(&opts, 0, sizeof(opts));
	opts.size = sizeof(opts);
	opts.stdin_fd = -1;
	opts.stdout_fd = -1;
	opts.stderr_fd = null;
	pid = h->spawn(h, argv, &opts, probe_done, d);
	if (null != -1)
		close(null);
	free(argv);
	if (pid > 0)
		d->probe_pid = pid;
}

/*
 * Make the drivers what c says: provide the new, withdraw the gone,
 * update the changed, move the alias.  announce: log each newcomer.
 */
static int
apply_conf(struct runtime_oci *ro, const struct runtime_oci_conf *c,
    int announce, struct berth_err *err)
{
	const struct berth_host	*h = ro->h;
	struct runtime_oci_drv	*d, *def, **dp;
	size_t			 i;
	int			 rc;

	for (d = ro->drvs; d != NULL; d = d->next)
		if (d->provided && runtime_oci_conf_find(c, d->rt.name) ==
		    NULL) {
			(void)h->withdraw(h, BERTH_RUNTIME_IFACE, d->rt.name);
			d->provided = 0;
			h->log(h, BERTH_LOG_INFO, "runtime %s removed",
			    d->rt.name);
		}
	for (i = 0; i < c->nrts; i++) {
		const struct runtime_oci_rt	*rt = &c->rts[i];

		if ((d = drv_find(ro, rt->name)) == NULL) {
			if ((d = calloc(1, sizeof(*d))) == NULL)
				return berth_err_set(err, -ENOMEM,
				    "out of memory");
			d->ro = ro;
			if (drv_take_rt(d, rt) < 0) {
				free(d);
				return berth_err_set(err, -ENOMEM,
				    "out of memory");
			}
			/* In name order: /info lists them so, as dockerd. */
			for (dp = &ro->drvs; *dp != NULL &&
			    strcmp((*dp)->rt.name, d->rt.name) < 0;
			    dp = &(*dp)->next)
				;
			d->next = *dp;
			*dp = d;
			probe_run(d);
		} else if (!same_rt(&d->rt, rt)) {
			if (drv_take_rt(d, rt) < 0)
				return berth_err_set(err, -ENOMEM,
				    "out of memory");
			if (announce)
				h->log(h, BERTH_LOG_INFO, "runtime %s now runs "
				    "%s", rt->name, rt->path);
			probe_run(d);
		}
		if (d->provided)
			continue;
		if ((rc = h->provide(h, BERTH_RUNTIME_IFACE, d->rt.name,
		    &runtime_oci_ops, d, err)) < 0)
			return rc;
		d->provided = 1;
		if (announce)
			h->log(h, BERTH_LOG_INFO, "runtime %s (%s) is usable",
			    d->rt.name, d->rt.path);
	}
	def = drv_find(ro, c->default_name);
	if (def != ro->def) {
		if (ro->def != NULL)
			(void)h->withdraw(h, BERTH_RUNTIME_IFACE,
			    BERTH_RUNTIME_DEFAULT);
		ro->def = NULL;
		if ((rc = h->provide(h, BERTH_RUNTIME_IFACE,
		    BERTH_RUNTIME_DEFAULT, &runtime_oci_ops, def, err)) < 0)
			return rc;
		ro->def = def;
		if (announce)
			h->log(h, BERTH_LOG_INFO, "default runtime is %s",
			    def->rt.name);
	}
	return 0;
}

/* GET /info: Runtimes and DefaultRuntime, as dockerd writes them. */
static void
runtime_oci_info(void *state, json_object *out)
{
	struct runtime_oci	*ro = state;
	struct runtime_oci_drv	*d;
	json_object		*rts, *o, *args;
	size_t			 i;

	if ((rts = json_object_new_object()) == NULL)
		return;
	for (d = ro->drvs; d != NULL; d = d->next) {
		if (!d->provided || (o = json_object_new_object()) == NULL)
			continue;
		json_object_object_add(o, "path",
		    json_object_new_string(d->rt.path));
		if (d->rt.nargs > 0 && (args = json_object_new_array()) !=
		    NULL) {
			for (i = 0; i < d->rt.nargs; i++)
				json_object_array_add(args,
				    json_object_new_string(d->rt.args[i]));
			json_object_object_add(o, "runtimeArgs", args);
		}
		json_object_object_add(rts, d->rt.name, o);
	}
	json_object_object_add(out, "Runtimes", rts);
	if (ro->def != NULL)
		json_object_object_add(out, "DefaultRuntime",
		    json_object_new_string(ro->def->rt.name));
}

static void
drvs_free(struct runtime_oci *ro)
{
	struct runtime_oci_drv	*d;
	size_t			 i;

	while ((d = ro->drvs) != NULL) {
		ro->drvs = d->next;
		for (i = 0; i < d->rt.nargs; i++)
			free(d->rt.args[i]);
		free(d->rt.args);
		free(d->rt.name);
		free(d->rt.path);
		free(d);
	}
}

static void
ro_free(struct runtime_oci *ro)
{
	runtime_oci_ctrs_free(ro);
	drvs_free(ro);
	free(ro->monitor);
	free(ro->pkt);
	free(ro);
}

static int
runtime_oci_init(const struct berth_host *h, const struct berth_conf *conf,
    void **statep, struct berth_err *err)
{
	struct runtime_oci_conf	 c;
	struct runtime_oci	*ro;
	int			 rc;

	if ((rc = runtime_oci_conf_parse(h->conf_json(conf), NULL, &c,
	    err)) < 0)
		return rc;
	if ((ro = calloc(1, sizeof(*ro))) == NULL ||
	    (ro->pkt = malloc(MONITOR_PKT_MAX_BUF)) == NULL) {
		free(ro);
		runtime_oci_conf_free(&c);
		return berth_err_set(err, -ENOMEM, "out of memory");
	}
	ro->h = h;
	ro->monitor = c.monitor != NULL ? strdup(c.monitor) : find_monitor();
	if (ro->monitor == NULL || access(ro->monitor, X_OK) == -1) {
		rc = berth_err_set(err, -ENOENT, "berth-monitor not found%s%s "
		    "(set the monitor: key)", ro->monitor ? " at " : "",
		    ro->monitor ? ro->monitor : "");
		goto fail;
	}
	if ((rc = apply_conf(ro, &c, 0, err)) < 0 ||
	    (rc = h->hook(h, BERTH_HOOK_INFO, runtime_oci_info, ro, err)) < 0)
		goto fail;
	h->log(h, BERTH_LOG_INFO, "default runtime %s (%s); monitor %s",
	    ro->def->rt.name, ro->def->rt.path, ro->monitor);
	warn_cgroups(ro);
	runtime_oci_conf_free(&c);
	*statep = ro;
	return 0;
fail:
	runtime_oci_conf_free(&c);
	ro_free(ro);
	return rc;
}

static int
runtime_oci_reload(void *state, const struct berth_conf *conf,
    struct berth_err *err)
{
	struct runtime_oci	*ro = state;
	struct runtime_oci_conf	 c;
	int			 rc;

	if ((rc = runtime_oci_conf_parse(ro->h->conf_json(conf), NULL, &c,
	    err)) < 0)
		return rc;
	rc = apply_conf(ro, &c, 1, err);
	if (rc == 0 && c.monitor != NULL && strcmp(c.monitor,
	    ro->monitor) != 0) {
		free(ro->monitor);
		ro->monitor = strdup(c.monitor);
	}
	if (rc == 0)
		warn_cgroups(ro);
	runtime_oci_conf_free(&c);
	return rc;
}

static void
runtime_oci_fini(void *state)
{
	/* Monitors run on: the next berthd finds them (restore). */
	ro_free(state);
}

BERTH_MODULE = {
	.abi = BERTH_ABI_INIT,
	.name = "runtime-oci",
	.version = "0.1.0",
	.provides = (const char *const[]){ BERTH_RUNTIME_IFACE, NULL },
	.conf = runtime_oci_keys,
	.init = runtime_oci_init,
	.reload = runtime_oci_reload,
	.fini = runtime_oci_fini,
};
