/*
 * pp_run.c - a managed plugin runs as a container of the default
 * runtime (runtime/1), as dockerd runs it (protocols.md D.4): its rootfs
 * read-write, /run/docker/plugins bound to a directory of its own where
 * it makes its socket, the propagated mount shared with the host, the
 * mounts, devices, capabilities and namespaces its config asks for.
 *
 *	start:	files (worker) -> runtime create -> start -> its socket
 *		answers connect() -> drivers provided, waiting calls go
 *	exit:	while enabled, the supervisor deletes it and starts it
 *		again after 0.5 s, 1 s, 2 s, ... (30 s at most); meanwhile
 *		calls fail fast naming why
 *	stop:	SIGTERM, 10 s, SIGKILL; delete; its socket directory goes
 *
 * The plugin's stdout and stderr go to <exec-root>/plugins/<id>/log.json.
 * Like containers, plugins keep running across a restart of berthd; at
 * start an enabled plugin is found again (or started) before any
 * container is restored, and calls made meanwhile wait for it.
 */
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <berth/fs.h>
#include <berth/json.h>
#include <berth/oci.h>
#include <berth/runtime.h>

#include "plugin_proxy.h"

#define RUN_READY_MS	10000	/* socket must answer within this */
#define RUN_POLL_MS	50
#define RUN_STOP_MS	10000	/* SIGTERM, then SIGKILL */
#define RUN_BACKOFF_MAX	30000

static void	run_go(struct pp_plugin *);
static void	run_exited(void *, const char *, const char *, int, int,
		    int64_t);

static const struct berth_runtime_events run_events = {
	.size = sizeof(struct berth_runtime_events),
	.exited = run_exited,
};

/* The one pending start/stop answer of a plugin (a /plugins request). */
struct run_wait {
	pp_done_cb	 cb;
	void		*arg;
};

struct run_ctx {
	struct pp_plugin	*p;
	struct run_wait		 start, stop;
	int			 killed;	/* SIGKILL sent */
	int			 exit_code;
};

static const struct berth_runtime_ops *
runtime(struct pp *pp, void **st)
{
	return pp->h->lookup(pp->h, BERTH_RUNTIME_IFACE,
	    BERTH_RUNTIME_DEFAULT, st);
}

/* Where p's socket lives: <socket-dir>/<id 12>, short for sun_path. */
static void
sock_dir(const struct pp_plugin *p, char *out, size_t len)
{
	snprintf(out, len, "%s/%.12s", p->pp->sock_dir, p->m->id);
}

static struct run_ctx *
ctx(struct pp_plugin *p)
{
	static struct run_ctx	none;

	/* Before the first start there is nothing to answer. */
	return p->m->run != NULL ? p->m->run : &none;
}

static void
answer(struct run_wait *w, int rc, const struct berth_err *err)
{
	pp_done_cb	 cb = w->cb;
	void		*arg = w->arg;

	w->cb = NULL;
	if (cb != NULL)
		cb(arg, rc, err);
}

static void
timer_clear(struct pp_plugin *p)
{
	if (p->m->timer != NULL) {
		p->pp->h->timer_del(p->pp->h, p->m->timer);
		p->m->timer = NULL;
	}
}

/* --- the spec ------------------------------------------------------------- */

static json_object *
jstr(const char *s)
{
	return json_object_new_string(s != NULL ? s : "");
}

static json_object *
mnt(const char *dst, const char *type, const char *src, const char *opts)
{
	json_object	*m = json_object_new_object(), *o;
	char		 buf[256], *tok, *save = NULL;

	json_object_object_add(m, "destination", jstr(dst));
	json_object_object_add(m, "type", jstr(type));
	json_object_object_add(m, "source", jstr(src));
	o = json_object_new_array();
	snprintf(buf, sizeof(buf), "%s", opts);
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save))
		json_object_array_add(o, jstr(tok));
	json_object_object_add(m, "options", o);
	return m;
}

static json_object *
strs(const char *const *v, json_object *more)
{
	json_object	*a = json_object_new_array();
	size_t		 i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		json_object_array_add(a, jstr(v[i]));
	for (i = 0; more != NULL && i < json_object_array_length(more); i++)
		json_object_array_add(a, json_object_get(
		    json_object_array_get_idx(more, i)));
	return a;
}

static json_object *
ns(const char *type)
{
	json_object	*o = json_object_new_object();

	json_object_object_add(o, "type", jstr(type));
	return o;
}

static void
dev_rule(json_object *rules, int allow, const char *type, int64_t major,
    int64_t minor, const char *access)
{
	json_object	*r = json_object_new_object();

	json_object_object_add(r, "allow", json_object_new_boolean(allow));
	if (type != NULL)
		json_object_object_add(r, "type", jstr(type));
	if (major >= 0)
		json_object_object_add(r, "major",
		    json_object_new_int64(major));
	if (minor >= 0)
		json_object_object_add(r, "minor",
		    json_object_new_int64(minor));
	json_object_object_add(r, "access", jstr(access));
	json_object_array_add(rules, r);
}

/*
 * Devices the plugin asks for (Settings.Devices paths): the node and a
 * cgroup rule each.  Stats host files: runs in the worker.
 */
static int
spec_devices(json_object *linux_, json_object *rules, json_object *settings,
    struct berth_err *err)
{
	json_object	*want = berth_json_get(settings, "Devices"), *devs, *d;
	const char	*path;
	struct stat	 st;
	size_t		 i;

	devs = json_object_new_array();
	json_object_object_add(linux_, "devices", devs);
	for (i = 0; want != NULL && i < json_object_array_length(want); i++) {
		path = berth_json_str(json_object_array_get_idx(want, i),
		    "Path");
		if (path == NULL || *path == '\0')
			continue;
		if (stat(path, &st) == -1 || (!S_ISCHR(st.st_mode) &&
		    !S_ISBLK(st.st_mode)))
			return berth_err_set(err, -EINVAL, "device %s: not a "
			    "device", path);
		d = json_object_new_object();
		json_object_object_add(d, "path", jstr(path));
		json_object_object_add(d, "type", jstr(S_ISCHR(st.st_mode) ?
		    "c" : "b"));
		json_object_object_add(d, "major",
		    json_object_new_int64(major(st.st_rdev)));
		json_object_object_add(d, "minor",
		    json_object_new_int64(minor(st.st_rdev)));
		json_object_object_add(d, "fileMode",
		    json_object_new_int(st.st_mode & 0777));
		json_object_object_add(d, "uid", json_object_new_int(0));
		json_object_object_add(d, "gid", json_object_new_int(0));
		json_object_array_add(devs, d);
		dev_rule(rules, 1, S_ISCHR(st.st_mode) ? "c" : "b",
		    major(st.st_rdev), minor(st.st_rdev), "rwm");
	}
	return 0;
}

struct start_job {
	struct pp_plugin	*p;
	char			*rootfs, *prop, *sockdir, *bundle;
	json_object		*spec;		/* devices: the worker's */
	json_object		*settings;	/* a copy */
	int			 rc;
	struct berth_err	 err;
};

/* The OCI spec of p, as dockerd derives it (devices: the worker's). */
static json_object *
spec_build(struct pp_plugin *p, const char *rootfs, const char *prop,
    const char *sockdir)
{
	json_object	*c = p->m->config, *s = p->m->settings;
	json_object	*spec = json_object_new_object(), *proc, *o, *a, *caps;
	json_object	*linux_, *mounts, *nss, *res, *rules, *m;
	const char	*net = berth_json_str(berth_json_get(c, "Network"),
			    "Type");
	const char	*pm = berth_json_str(c, "PropagatedMount");
	const char	*wd = berth_json_str(c, "WorkDir");
	size_t		 i;

	json_object_object_add(spec, "ociVersion", jstr("1.0.2"));
	proc = json_object_new_object();
	json_object_object_add(proc, "terminal", json_object_new_boolean(0));
	o = json_object_new_object();
	json_object_object_add(o, "uid", json_object_new_int(0));
	json_object_object_add(o, "gid", json_object_new_int(0));
	json_object_object_add(proc, "user", o);
	/* argv = Entrypoint + Settings.Args (D.1). */
	a = strs(NULL, berth_json_get(c, "Entrypoint"));
	o = berth_json_get(s, "Args");
	for (i = 0; o != NULL && i < json_object_array_length(o); i++)
		json_object_array_add(a, json_object_get(
		    json_object_array_get_idx(o, i)));
	json_object_object_add(proc, "args", a);
	a = json_object_new_array();
	json_object_array_add(a, jstr("PATH=/usr/local/sbin:/usr/local/bin:"
	    "/usr/sbin:/usr/bin:/sbin:/bin"));
	o = berth_json_get(s, "Env");
	for (i = 0; o != NULL && i < json_object_array_length(o); i++)
		json_object_array_add(a, json_object_get(
		    json_object_array_get_idx(o, i)));
	json_object_object_add(proc, "env", a);
	json_object_object_add(proc, "cwd", jstr(wd != NULL && *wd ? wd : "/"));
	/* The config's capabilities, added to all sets. */
	caps = json_object_new_object();
	o = berth_json_get(berth_json_get(c, "Linux"), "Capabilities");
	json_object_object_add(caps, "bounding",
	    strs(berth_oci_default_caps, o));
	json_object_object_add(caps, "effective",
	    strs(berth_oci_default_caps, o));
	json_object_object_add(caps, "permitted",
	    strs(berth_oci_default_caps, o));
	json_object_object_add(caps, "inheritable",
	    strs(berth_oci_default_caps, o));
	json_object_object_add(proc, "capabilities", caps);
	json_object_object_add(spec, "process", proc);
	o = json_object_new_object();
	json_object_object_add(o, "path", jstr(rootfs));
	json_object_object_add(o, "readonly", json_object_new_boolean(0));
	json_object_object_add(spec, "root", o);
	json_object_object_add(spec, "hostname", jstr("plugin"));

	mounts = json_object_new_array();
	json_object_array_add(mounts, mnt("/proc", "proc", "proc",
	    "nosuid,noexec,nodev"));
	json_object_array_add(mounts, mnt("/dev", "tmpfs", "tmpfs",
	    "nosuid,strictatime,mode=755,size=65536k"));
	json_object_array_add(mounts, mnt("/dev/pts", "devpts", "devpts",
	    "nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5"));
	json_object_array_add(mounts, mnt("/dev/shm", "tmpfs", "shm",
	    "nosuid,noexec,nodev,mode=1777,size=65536k"));
	json_object_array_add(mounts, mnt("/dev/mqueue", "mqueue", "mqueue",
	    "nosuid,noexec,nodev"));
	/* Without a network namespace of its own, sysfs is the host's. */
	if (net != NULL && strcmp(net, "host") == 0)
		json_object_array_add(mounts, mnt("/sys", "bind", "/sys",
		    "rbind,nosuid,noexec,nodev,ro"));
	else
		json_object_array_add(mounts, mnt("/sys", "sysfs", "sysfs",
		    "nosuid,noexec,nodev,ro"));
	json_object_array_add(mounts, mnt("/run/docker/plugins", "bind",
	    sockdir, "rbind,rshared"));
	if (pm != NULL && *pm != '\0')
		json_object_array_add(mounts, mnt(pm, "bind", prop,
		    "rbind,rw,rshared"));
	o = berth_json_get(s, "Mounts");
	for (i = 0; o != NULL && i < json_object_array_length(o); i++) {
		json_object *e = json_object_array_get_idx(o, i), *opts;
		const char *src = berth_json_str(e, "Source");

		m = json_object_new_object();
		json_object_object_add(m, "destination",
		    jstr(berth_json_str(e, "Destination")));
		json_object_object_add(m, "type", jstr(berth_json_str(e,
		    "Type") && *berth_json_str(e, "Type") ?
		    berth_json_str(e, "Type") : "bind"));
		json_object_object_add(m, "source", jstr(src));
		opts = berth_json_get(e, "Options");
		json_object_object_add(m, "options", opts != NULL ?
		    json_object_get(opts) : json_object_new_array());
		json_object_array_add(mounts, m);
	}
	/* Any network type but none gets the host's name files (D.1). */
	if (net != NULL && *net != '\0') {
		json_object_array_add(mounts, mnt("/etc/hosts", "bind",
		    "/etc/hosts", "rbind,ro"));
		json_object_array_add(mounts, mnt("/etc/resolv.conf", "bind",
		    "/etc/resolv.conf", "rbind,ro"));
	}
	json_object_object_add(spec, "mounts", mounts);

	linux_ = json_object_new_object();
	nss = json_object_new_array();
	json_object_array_add(nss, ns("mount"));
	json_object_array_add(nss, ns("uts"));
	if (!json_object_get_boolean(berth_json_get(c, "PidHost")))
		json_object_array_add(nss, ns("pid"));
	if (!json_object_get_boolean(berth_json_get(c, "IpcHost")))
		json_object_array_add(nss, ns("ipc"));
	if (net == NULL || strcmp(net, "host") != 0)
		json_object_array_add(nss, ns("network"));
	json_object_object_add(linux_, "namespaces", nss);
	if (pm != NULL && *pm != '\0')
		json_object_object_add(linux_, "rootfsPropagation",
		    jstr("rshared"));
	res = json_object_new_object();
	rules = json_object_new_array();
	if (json_object_get_boolean(berth_json_get(berth_json_get(c, "Linux"),
	    "AllowAllDevices")))
		dev_rule(rules, 1, NULL, -1, -1, "rwm");
	else {
		dev_rule(rules, 0, NULL, -1, -1, "rwm");
		/* Docker's defaults: null, zero, full, random, urandom,
		 * tty, console, ptmx, pts. */
		dev_rule(rules, 1, "c", 1, 3, "rwm");
		dev_rule(rules, 1, "c", 1, 5, "rwm");
		dev_rule(rules, 1, "c", 1, 7, "rwm");
		dev_rule(rules, 1, "c", 1, 8, "rwm");
		dev_rule(rules, 1, "c", 1, 9, "rwm");
		dev_rule(rules, 1, "c", 5, 0, "rwm");
		dev_rule(rules, 1, "c", 5, 1, "rwm");
		dev_rule(rules, 1, "c", 5, 2, "rwm");
		dev_rule(rules, 1, "c", 136, -1, "rwm");
	}
	json_object_object_add(res, "devices", rules);
	json_object_object_add(linux_, "resources", res);
	o = json_object_new_array();
	json_object_object_add(linux_, "maskedPaths",
	    strs(berth_oci_masked, NULL));
	json_object_object_add(linux_, "readonlyPaths",
	    strs(berth_oci_readonly, NULL));
	json_object_put(o);
	{
		char	cg[128];

		snprintf(cg, sizeof(cg), "/berth-plugins/%s", p->m->id);
		json_object_object_add(linux_, "cgroupsPath", jstr(cg));
	}
	json_object_object_add(spec, "linux", linux_);
	return spec;
}

/* --- start ---------------------------------------------------------------- */

/*
 * The host side of the propagated mount is a shared mount of its own, so
 * what the plugin mounts under it shows on the host (and in containers).
 */
static int
prop_shared(const char *dir)
{
	/* One bind of its own: none left stacked from an earlier run. */
	while (umount2(dir, MNT_DETACH) == 0)
		;
	if (mount(dir, dir, NULL, MS_BIND | MS_REC, NULL) == -1 ||
	    mount(NULL, dir, NULL, MS_SHARED | MS_REC, NULL) == -1)
		return -errno;
	return 0;
}

static void
start_work(void *arg)
{
	struct start_job	*j = arg;
	json_object		*linux_, *rules;
	const char		*text;
	char			 path[PATH_MAX];
	int			 rc;

	linux_ = berth_json_get(j->spec, "linux");
	rules = berth_json_get(berth_json_get(linux_, "resources"), "devices");
	if ((rc = spec_devices(linux_, rules, j->settings, &j->err)) < 0) {
		j->rc = rc;
		return;
	}
	/* A stale socket from a past run would pass the readiness check. */
	(void)berth_rmtree_at(AT_FDCWD, j->sockdir);
	if ((rc = berth_mkdirs(j->sockdir, 0700)) < 0 ||
	    (rc = berth_mkdirs(j->prop, 0755)) < 0 ||
	    (rc = berth_mkdirs(j->bundle, 0700)) < 0) {
		j->rc = berth_err_set(&j->err, rc, "plugin directories: %s",
		    strerror(-rc));
		return;
	}
	if ((rc = prop_shared(j->prop)) < 0) {
		j->rc = berth_err_set(&j->err, rc, "propagated mount %s: %s",
		    j->prop, strerror(-rc));
		return;
	}
	text = json_object_to_json_string_ext(j->spec, JSON_C_TO_STRING_PLAIN);
	snprintf(path, sizeof(path), "%s/config.json", j->bundle);
	if ((rc = berth_write_file(path, text, strlen(text), 0600, 0)) < 0)
		j->rc = berth_err_set(&j->err, rc, "write %s: %s", path,
		    strerror(-rc));
}

static void
start_fail(struct pp_plugin *p, const struct berth_err *err)
{
	struct run_ctx	*r = ctx(p);

	p->pp->h->log(p->pp->h, BERTH_LOG_WARN, "plugin %s: %s", p->name,
	    err->msg);
	snprintf(p->m->lasterr, sizeof(p->m->lasterr), "%s", err->msg);
	pp_plugin_down(p, err);
	answer(&r->start, err->code, err);
}

/* Poll the socket until it takes a connection (dockerd's readiness). */
static void
ready_poll(void *arg)
{
	struct pp_plugin	*p = arg;
	struct sockaddr_un	 sun = { .sun_family = AF_UNIX };
	struct berth_err	 err = BERTH_ERR_INIT;
	char			 dir[PATH_MAX], path[PATH_MAX + 64];
	int			 fd, ok;

	p->m->timer = NULL;
	sock_dir(p, dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, berth_json_str(
	    berth_json_get(p->m->config, "Interface"), "Socket"));
	if (strlen(path) >= sizeof(sun.sun_path)) {
		berth_err_set(&err, -ENAMETOOLONG, "plugin %s: its socket path "
		    "%s is too long for a unix socket (socket-dir)", p->name,
		    path);
		start_fail(p, &err);
		pp_run_stop(p, NULL, NULL);
		return;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ok = fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
	if (fd >= 0)
		close(fd);
	if (ok) {
		snprintf(p->addr.unix_path, sizeof(p->addr.unix_path), "%s",
		    sun.sun_path);
		p->m->crashed = 0;
		p->m->lasterr[0] = '\0';
		p->pp->h->log(p->pp->h, BERTH_LOG_INFO, "plugin %s is up at %s",
		    p->name, sun.sun_path);
		pp_plugin_ready(p);
		answer(&ctx(p)->start, 0, NULL);
		return;
	}
	if (pp_now_ms() - p->m->started < RUN_READY_MS) {
		p->m->timer = p->pp->h->timer_add(p->pp->h, RUN_POLL_MS,
		    ready_poll, p);
		return;
	}
	berth_err_set(&err, -ETIMEDOUT, "plugin %s did not make its socket "
	    "%s within %d s", p->name, sun.sun_path, RUN_READY_MS / 1000);
	/* Not usable: it goes, and stays disabled (dockerd's rule). */
	start_fail(p, &err);
	pp_run_stop(p, NULL, NULL);
}

static void
started(void *arg, int rc, const struct berth_err *err)
{
	struct pp_plugin	*p = arg;

	if (rc < 0) {
		start_fail(p, err);
		pp_run_stop(p, NULL, NULL);
		return;
	}
	p->m->started = pp_now_ms();
	p->m->timer = p->pp->h->timer_add(p->pp->h, RUN_POLL_MS, ready_poll,
	    p);
}

static void
created(void *arg, int rc, const struct berth_err *err)
{
	struct pp_plugin		*p = arg;
	const struct berth_runtime_ops	*rt;
	void				*st;

	if (rc < 0) {
		p->m->running = 0;
		start_fail(p, err);
		return;
	}
	if ((rt = runtime(p->pp, &st)) == NULL)
		return;
	rt->start(st, p->m->id, started, p);
}

static void
start_done(void *arg)
{
	struct start_job		*j = arg;
	struct pp_plugin		*p = j->p;
	const struct berth_runtime_ops	*rt;
	struct berth_runtime_create	 c;
	char				 log[PATH_MAX];
	void				*st;

	if (j->rc < 0)
		start_fail(p, &j->err);
	else if ((rt = runtime(p->pp, &st)) == NULL) {
		berth_err_set(&j->err, -ENOSYS, "plugin %s: no runtime to run "
		    "it (runtime-oci is not loaded)", p->name);
		start_fail(p, &j->err);
	} else {
		memset(&c, 0, sizeof(c));
		snprintf(log, sizeof(log), "%s/log.json", j->bundle);
		c.size = sizeof(c);
		c.id = p->m->id;
		c.bundle = j->bundle;
		c.log_path = log;
		c.events = &run_events;
		c.events_arg = p;
		c.log_max_size = 1 << 20;
		c.log_max_files = 2;
		p->m->running = 1;
		rt->create(st, &c, created, p);
	}
	free(j->rootfs);
	free(j->prop);
	free(j->sockdir);
	free(j->bundle);
	json_object_put(j->spec);
	json_object_put(j->settings);
	free(j);
}

/* Make the container of p and run it; its drivers come once it answers. */
static void
run_go(struct pp_plugin *p)
{
	struct pp		*pp = p->pp;
	struct start_job	*j;
	struct berth_err	 err = BERTH_ERR_INIT;
	char			 buf[PATH_MAX];

	timer_clear(p);
	p->state = PP_STARTING;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		goto nomem;
	j->p = p;
	snprintf(buf, sizeof(buf), "%s/%s/rootfs", pp->data_dir, p->m->id);
	j->rootfs = strdup(buf);
	snprintf(buf, sizeof(buf), "%s/%s/propagated-mount", pp->data_dir,
	    p->m->id);
	j->prop = strdup(buf);
	sock_dir(p, buf, sizeof(buf));
	j->sockdir = strdup(buf);
	snprintf(buf, sizeof(buf), "%s/%s", pp->run_dir, p->m->id);
	j->bundle = strdup(buf);
	json_object_deep_copy(p->m->settings, &j->settings, NULL);
	if (j->rootfs == NULL || j->prop == NULL || j->sockdir == NULL ||
	    j->bundle == NULL || j->settings == NULL) {
		j->rc = -ENOMEM;
		berth_err_set(&j->err, -ENOMEM, "out of memory");
		start_done(j);
		return;
	}
	j->spec = spec_build(p, j->rootfs, j->prop, j->sockdir);
	if (pp->h->work(pp->h, start_work, start_done, j) < 0) {
		j->rc = berth_err_set(&j->err, -ENOMEM, "out of memory");
		start_done(j);
	}
	return;
nomem:
	berth_err_set(&err, -ENOMEM, "out of memory");
	start_fail(p, &err);
}

static struct run_ctx *
ctx_get(struct pp_plugin *p)
{
	if (p->m->run == NULL)
		p->m->run = calloc(1, sizeof(struct run_ctx));
	if (p->m->run != NULL)
		((struct run_ctx *)p->m->run)->p = p;
	return p->m->run;
}

/* Enable: start p; cb once it answers, or with why it could not. */
void
pp_run_start(struct pp_plugin *p, pp_done_cb cb, void *arg)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	struct run_ctx		*r;

	if ((r = ctx_get(p)) == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		cb(arg, -ENOMEM, &err);
		return;
	}
	r->start.cb = cb;
	r->start.arg = arg;
	p->m->crashed = 0;
	p->m->restarts = 0;
	run_go(p);
}

/* --- exit, stop, restart -------------------------------------------------- */

static void
restart_timer(void *arg)
{
	struct pp_plugin	*p = arg;

	p->m->timer = NULL;
	run_go(p);
}

/* A container left from before berthd's restart is gone: start anew. */
static void
run_restart(void *arg, int rc, const struct berth_err *err)
{
	struct pp_plugin	*p = arg;

	p->m->running = 0;
	run_go(p);
}

static void
gone(void *arg, int rc, const struct berth_err *err)
{
	struct pp_plugin	*p = arg;
	struct run_ctx		*r = ctx(p);
	char			 dir[PATH_MAX];

	p->m->running = 0;
	sock_dir(p, dir, sizeof(dir));
	/* The socket directory is small and on a tmpfs: no worker. */
	(void)berth_rmtree_at(AT_FDCWD, dir);
	if (p->m->stopping) {
		p->m->stopping = 0;
		answer(&r->stop, 0, NULL);
		return;
	}
	if (!p->m->enabled || p->pp->stopping)
		return;
	/* The supervisor: again, after a back-off that grows. */
	{
		uint64_t wait = 500ull << (p->m->restarts < 6 ?
		    p->m->restarts : 6);

		if (wait > RUN_BACKOFF_MAX)
			wait = RUN_BACKOFF_MAX;
		p->m->restarts++;
		p->pp->h->log(p->pp->h, BERTH_LOG_WARN, "plugin %s: restarting "
		    "in %llu ms", p->name, (unsigned long long)wait);
		p->m->timer = p->pp->h->timer_add(p->pp->h, wait,
		    restart_timer, p);
	}
}

static void
run_delete(struct pp_plugin *p)
{
	const struct berth_runtime_ops	*rt;
	void				*st;

	if ((rt = runtime(p->pp, &st)) == NULL) {
		gone(p, 0, NULL);
		return;
	}
	rt->delete(st, p->m->id, gone, p);
}

static void
run_exited(void *arg, const char *id, const char *exec_id, int exit_code,
    int oom, int64_t finished)
{
	struct pp_plugin	*p = arg;
	struct berth_err	 err = BERTH_ERR_INIT;

	if (exec_id != NULL)
		return;
	timer_clear(p);
	if (!p->m->stopping) {
		berth_err_set(&err, -EHOSTDOWN, "plugin %s exited with "
		    "status %d", p->name, exit_code);
		snprintf(p->m->lasterr, sizeof(p->m->lasterr), "exited with "
		    "status %d", exit_code);
		p->pp->h->log(p->pp->h, BERTH_LOG_WARN, "%s", err.msg);
		p->m->crashed = 1;
		pp_plugin_down(p, &err);
		answer(&ctx(p)->start, err.code, &err);
	}
	run_delete(p);
}

static void
kill_sent(void *arg, int rc, const struct berth_err *err)
{
	struct pp_plugin	*p = arg;

	/* Gone already (no such process): nothing will exit, delete now. */
	if (rc == -ENOENT || rc == -ESRCH)
		run_delete(p);
}

static void
stop_kill(void *arg)
{
	struct pp_plugin		*p = arg;
	const struct berth_runtime_ops	*rt;
	void				*st;

	p->m->timer = NULL;
	if ((rt = runtime(p->pp, &st)) != NULL)
		rt->kill(st, p->m->id, SIGKILL, 1, kill_sent, p);
}

/* Disable: SIGTERM, SIGKILL after 10 s, then delete; cb after. */
void
pp_run_stop(struct pp_plugin *p, pp_done_cb cb, void *arg)
{
	const struct berth_runtime_ops	*rt;
	struct berth_runtime_state	 rs;
	struct run_ctx			*r = ctx_get(p);
	struct berth_err		 err = BERTH_ERR_INIT;
	void				*st;

	timer_clear(p);
	berth_err_set(&err, -EHOSTDOWN, "plugin %s is being disabled",
	    p->name);
	pp_plugin_down(p, &err);
	pp_plugin_withdraw(p);
	if (r != NULL) {
		r->stop.cb = cb;
		r->stop.arg = arg;
	}
	p->m->stopping = 1;
	if ((rt = runtime(p->pp, &st)) == NULL ||
	    rt->state(st, p->m->id, &rs) < 0) {
		gone(p, 0, NULL);
		return;
	}
	if (rs.status != BERTH_RT_RUNNING && rs.status != BERTH_RT_PAUSED) {
		run_delete(p);
		return;
	}
	p->m->timer = p->pp->h->timer_add(p->pp->h, RUN_STOP_MS, stop_kill, p);
	rt->kill(st, p->m->id, SIGTERM, 0, kill_sent, p);
}

/* At berthd's start: find an enabled plugin again, or start it. */
void
pp_run_restore(struct pp_plugin *p)
{
	const struct berth_runtime_ops	*rt;
	struct berth_runtime_state	 rs;
	struct berth_err		 err = BERTH_ERR_INIT;
	void				*st;

	if (ctx_get(p) == NULL)
		return;
	memset(&rs, 0, sizeof(rs));
	p->state = PP_STARTING;
	if ((rt = runtime(p->pp, &st)) == NULL) {
		berth_err_set(&err, -ENOSYS, "plugin %s: no runtime to run it "
		    "(runtime-oci is not loaded)", p->name);
		start_fail(p, &err);
		return;
	}
	if (rt->restore(st, p->m->id, &run_events, p, &rs, &err) == 0 &&
	    rs.status == BERTH_RT_RUNNING) {
		p->m->running = 1;
		started(p, 0, NULL);	/* wait for its socket, as at start */
		return;
	}
	if (rs.status == BERTH_RT_STOPPED || rs.status == BERTH_RT_CREATED) {
		/* Left behind: delete it, then start afresh. */
		p->m->running = 1;
		rt->delete(st, p->m->id, run_restart, p);
		return;
	}
	run_go(p);
}

/* At berthd's stop or a plugin's removal: forget timers and answers. */
void
pp_run_fini(struct pp_plugin *p)
{
	timer_clear(p);
	free(p->m->run);
	p->m->run = NULL;
}
