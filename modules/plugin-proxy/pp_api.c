/*
 * pp_api.c - the /plugins endpoints for managed plugins (protocols.md
 * D.3): create from a tar, list, inspect, enable, disable, set, remove.
 * Distribution (privileges, pull, push, upgrade) needs a registry
 * client, which berth does not have yet: those answer 501 saying so.
 *
 * One /plugins operation runs on a plugin at a time (m->busy); another
 * meanwhile is a 409, as dockerd's plugin lock makes clients wait.
 */
#include <sys/mount.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include <berth/filters.h>
#include <berth/fs.h>
#include <berth/id.h>
#include <berth/json.h>
#include <berth/route.h>

#include "plugin_proxy.h"

#define PP_CONFIG_MAX	(1u << 20)	/* a config.json */
#define PP_CREATES_MAX	2		/* creates at once */

struct rjob {
	struct pp		*pp;
	struct berth_req	*req;
	struct pp_plugin	*p;
	const char		*action;	/* its event, when saved */
};

static struct rjob *
rjob_new(struct pp *pp, struct berth_req *req, struct pp_plugin *p)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	struct rjob		*rj;

	if ((rj = calloc(1, sizeof(*rj))) == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		pp->h->resp_error(req, &err);
		return NULL;
	}
	rj->pp = pp;
	rj->req = req;
	rj->p = p;
	if (p != NULL)
		p->m->busy = 1;
	return rj;
}

static void
rjob_end(struct rjob *rj, int status, const struct berth_err *err)
{
	if (rj->p != NULL)
		rj->p->m->busy = 0;
	if (err != NULL)
		rj->pp->h->resp_error(rj->req, err);
	else
		rj->pp->h->resp_status(rj->req, status);
	free(rj);
}

static void
emit(struct pp *pp, const char *action, const char *id, const char *name)
{
	json_object	*a = json_object_new_object();

	json_object_object_add(a, "name", json_object_new_string(name));
	pp->h->emit(pp->h, "plugin", action, id, a);
	json_object_put(a);
}

/* The plugin a {name} names, or NULL with the 404 (or 409) answered. */
static struct pp_plugin *
plugin_of(struct pp *pp, struct berth_req *req, int idle)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	const char		*name = pp->h->req_param(req, "name");
	struct pp_plugin	*p = pp_managed_find(pp, name);

	if (p == NULL) {
		berth_err_set(&err, -ENOENT, "plugin \"%s\" not found", name);
		pp->h->resp_error(req, &err);
		return NULL;
	}
	if (idle && p->m->busy) {
		berth_err_set(&err, -EBUSY, "plugin %s is busy: another "
		    "operation on it is under way", p->m->ref);
		pp->h->resp_error(req, &err);
		return NULL;
	}
	return p;
}

/* --- list, inspect -------------------------------------------------------- */

static int
has_capability(const struct pp_plugin *p, const char *cap)
{
	json_object	*t = berth_json_get(berth_json_get(p->m->config,
			    "Interface"), "Types");
	const char	*s, *dot, *slash;
	size_t		 i;

	for (i = 0; t != NULL && i < json_object_array_length(t); i++) {
		s = json_object_get_string(json_object_array_get_idx(t, i));
		/* "docker.volumedriver/1.0" has capability "volumedriver". */
		if ((dot = strchr(s, '.')) == NULL ||
		    (slash = strchr(dot, '/')) == NULL)
			continue;
		if ((size_t)(slash - dot - 1) == strlen(cap) &&
		    strncmp(dot + 1, cap, strlen(cap)) == 0)
			return 1;
	}
	return 0;
}

static void
h_list(struct berth_req *req, void *state)
{
	static const char *const keys[] = { "capability", "enabled", NULL };
	struct pp		*pp = state;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct pp_plugin	*p;
	json_object		*f, *out;
	const char		*v;
	size_t			 i, n;
	int			 ok;

	if (berth_filters_parse(pp->h->req_query(req, "filters", 0), keys, &f,
	    &err) < 0) {
		pp->h->resp_error(req, &err);
		return;
	}
	for (i = 0; i < berth_filters_len(f, "enabled"); i++) {
		v = berth_filters_at(f, "enabled", i);
		if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0) {
			berth_err_set(&err, -EINVAL,
			    "Invalid filter 'enabled=%s'", v);
			json_object_put(f);
			pp->h->resp_error(req, &err);
			return;
		}
	}
	out = json_object_new_array();
	TAILQ_FOREACH(p, &pp->plugins, entry) {
		if (p->m == NULL)
			continue;
		for (i = 0, ok = (n = berth_filters_len(f, "capability")) == 0;
		    i < n; i++)
			ok |= has_capability(p, berth_filters_at(f,
			    "capability", i));
		for (i = 0, n = berth_filters_len(f, "enabled"); ok && n > 0 &&
		    i < n; i++)
			ok = (strcmp(berth_filters_at(f, "enabled", i),
			    "true") == 0) == (p->m->enabled != 0);
		if (ok)
			json_object_array_add(out, pp_managed_json(p));
	}
	json_object_put(f);
	pp->h->resp_json(req, 200, out);
	json_object_put(out);
}

static void
h_inspect(struct berth_req *req, void *state)
{
	struct pp		*pp = state;
	struct pp_plugin	*p;
	json_object		*o;

	if ((p = plugin_of(pp, req, 0)) == NULL)
		return;
	o = pp_managed_json(p);
	pp->h->resp_json(req, 200, o);
	json_object_put(o);
}

/* --- enable, disable ------------------------------------------------------ */

/* The record says what was done: tell the world, answer 200. */
static void
saved_emit(void *arg, int rc, const struct berth_err *err)
{
	struct rjob	*rj = arg;

	emit(rj->pp, rj->action, rj->p->m->id, rj->p->m->ref);
	rjob_end(rj, 200, NULL);
}

static void
enable_started(void *arg, int rc, const struct berth_err *err)
{
	struct rjob	*rj = arg;

	if (rc < 0) {
		/* dockerd leaves a plugin that would not start disabled. */
		rj->p->m->enabled = 0;
		rjob_end(rj, 0, err);
		return;
	}
	rj->action = "enable";
	pp_managed_save(rj->p, saved_emit, rj);
}

static void
h_enable(struct berth_req *req, void *state)
{
	struct pp		*pp = state;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct pp_plugin	*p;
	struct rjob		*rj;
	const char		*t = pp->h->req_query(req, "timeout", 0);
	json_object		*privs;
	char			*end = NULL;
	long			 secs;
	int			 rc;

	if ((p = plugin_of(pp, req, 1)) == NULL)
		return;
	secs = t != NULL ? strtol(t, &end, 10) : -1;
	if (t == NULL || end == t || *end != '\0' || secs < 0 ||
	    secs > 86400) {
		berth_err_set(&err, -EINVAL, "invalid timeout \"%s\": seconds, "
		    "0 for none", t != NULL ? t : "");
		pp->h->resp_error(req, &err);
		return;
	}
	if (p->m->enabled) {
		berth_err_set(&err, -EEXIST, "plugin already enabled: plugin "
		    "%s is enabled", p->m->ref);
		pp->h->resp_error(req, &err);
		return;
	}
	/* The operator's cap, on what the plugin would get now. */
	privs = pp_privileges(p->m->config, p->m->settings);
	rc = pp_privileges_check(pp->policy, privs, p->m->ref, &err);
	json_object_put(privs);
	if (rc < 0) {
		pp->h->resp_error(req, &err);
		return;
	}
	if ((rj = rjob_new(pp, req, p)) == NULL)
		return;
	p->m->enabled = 1;
	p->m->timeout_ms = secs * 1000;
	pp_run_start(p, enable_started, rj);
}

static void
disable_stopped(void *arg, int rc, const struct berth_err *err)
{
	struct rjob	*rj = arg;

	rj->action = "disable";
	pp_managed_save(rj->p, saved_emit, rj);
}

static int
in_use(struct pp_plugin *p, int force, struct berth_err *err)
{
	if (p->m->uses > 0 && !force)
		return berth_err_set(err, -EBUSY, "plugin %s is in use",
		    p->m->ref);
	return 0;
}

static void
h_disable(struct berth_req *req, void *state)
{
	struct pp		*pp = state;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct pp_plugin	*p;
	struct rjob		*rj;
	int			 force = pp->h->req_query_bool(req, "force");

	if ((p = plugin_of(pp, req, 1)) == NULL)
		return;
	if (!p->m->enabled) {
		berth_err_set(&err, -EEXIST, "plugin %s is already disabled",
		    p->m->ref);
		pp->h->resp_error(req, &err);
		return;
	}
	if (in_use(p, force, &err) < 0) {
		pp->h->resp_error(req, &err);
		return;
	}
	if ((rj = rjob_new(pp, req, p)) == NULL)
		return;
	p->m->enabled = 0;
	pp_run_stop(p, disable_stopped, rj);
}

/* --- remove --------------------------------------------------------------- */

struct rm_job {
	struct rjob	*rj;
	char		 dir[PATH_MAX], bundle[PATH_MAX], prop[PATH_MAX + 32];
	int		 rc;
};

static void
rm_work(void *arg)
{
	struct rm_job	*j = arg;

	while (umount2(j->prop, MNT_DETACH) == 0)
		;
	(void)berth_rmtree_at(AT_FDCWD, j->bundle);
	j->rc = berth_rmtree_at(AT_FDCWD, j->dir);
}

static void
rm_done(void *arg)
{
	struct rm_job		*j = arg;
	struct rjob		*rj = j->rj;
	struct pp_plugin	*p = rj->p;
	char			 id[65], ref[PP_NAME_MAX + 16];

	snprintf(id, sizeof(id), "%s", p->m->id);
	snprintf(ref, sizeof(ref), "%s", p->m->ref);
	if (j->rc < 0)
		rj->pp->h->log(rj->pp->h, BERTH_LOG_WARN, "plugin %s: removing "
		    "%s: %s", ref, j->dir, strerror(-j->rc));
	rj->p = NULL;
	pp_managed_forget(p);
	emit(rj->pp, "remove", id, ref);
	rjob_end(rj, 200, NULL);
	free(j);
}

static void
rm_files(void *arg, int rc, const struct berth_err *err)
{
	struct rjob	*rj = arg;
	struct pp	*pp = rj->pp;
	struct rm_job	*j;

	if ((j = calloc(1, sizeof(*j))) == NULL) {
		struct berth_err e = BERTH_ERR_INIT;

		berth_err_set(&e, -ENOMEM, "out of memory");
		rjob_end(rj, 0, &e);
		return;
	}
	j->rj = rj;
	snprintf(j->dir, sizeof(j->dir), "%s/%s", pp->data_dir, rj->p->m->id);
	snprintf(j->prop, sizeof(j->prop), "%s/propagated-mount", j->dir);
	snprintf(j->bundle, sizeof(j->bundle), "%s/%s", pp->run_dir,
	    rj->p->m->id);
	if (pp->h->work(pp->h, rm_work, rm_done, j) < 0) {
		j->rc = -ENOMEM;
		rm_done(j);
	}
}

static void
h_remove(struct berth_req *req, void *state)
{
	struct pp		*pp = state;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct pp_plugin	*p;
	struct rjob		*rj;
	int			 force = pp->h->req_query_bool(req, "force");

	if ((p = plugin_of(pp, req, 1)) == NULL)
		return;
	if (p->m->enabled && !force) {
		berth_err_set(&err, -EBUSY, "plugin %s is enabled", p->m->ref);
		pp->h->resp_error(req, &err);
		return;
	}
	if (in_use(p, force, &err) < 0) {
		pp->h->resp_error(req, &err);
		return;
	}
	if ((rj = rjob_new(pp, req, p)) == NULL)
		return;
	if (p->m->enabled || p->m->running) {
		p->m->enabled = 0;
		pp_run_stop(p, rm_files, rj);
	} else
		rm_files(rj, 0, NULL);
}

/* --- set ------------------------------------------------------------------ */

static int
settable(json_object *entry, const char *field)
{
	json_object	*s = berth_json_get(entry, "Settable");
	size_t		 i;

	for (i = 0; s != NULL && i < json_object_array_length(s); i++)
		if (strcmp(json_object_get_string(
		    json_object_array_get_idx(s, i)), field) == 0)
			return 1;
	return 0;
}

/*
 * One "key=value" of docker plugin set: an Env variable, "args", or
 * "<mount>.source" / "<device>.path" (the field may be left out when it
 * is the only settable one).
 */
static int
set_one(struct pp_plugin *p, const char *kv, struct berth_err *err)
{
	json_object	*c = p->m->config, *s = p->m->settings, *list, *e, *a;
	char		 key[256], buf[4096];
	const char	*eq = strchr(kv, '='), *val, *field, *dot;
	size_t		 i, n;

	if (eq == NULL || eq == kv || (size_t)(eq - kv) >= sizeof(key))
		return berth_err_set(err, -EINVAL, "invalid setting %s: "
		    "want key=value", kv);
	memcpy(key, kv, (size_t)(eq - kv));
	key[eq - kv] = '\0';
	val = eq + 1;
	if (strcmp(key, "args") == 0) {
		if (!settable(berth_json_get(c, "Args"), "value"))
			return berth_err_set(err, -EINVAL, "\"args\" is not "
			    "settable");
		a = json_object_new_array();
		snprintf(buf, sizeof(buf), "%s", val);
		for (char *save = NULL, *t = strtok_r(buf, " \t", &save);
		    t != NULL; t = strtok_r(NULL, " \t", &save))
			json_object_array_add(a, json_object_new_string(t));
		json_object_object_add(s, "Args", a);
		return 0;
	}
	/* An environment variable. */
	list = berth_json_get(c, "Env");
	for (i = 0; list != NULL && i < json_object_array_length(list); i++) {
		e = json_object_array_get_idx(list, i);
		if (strcmp(berth_json_str(e, "Name"), key) != 0)
			continue;
		if (!settable(e, "value"))
			return berth_err_set(err, -EINVAL, "\"%s\" is not "
			    "settable", key);
		a = berth_json_get(s, "Env");
		n = strlen(key);
		for (i = 0; i < json_object_array_length(a); i++) {
			const char *cur = json_object_get_string(
			    json_object_array_get_idx(a, i));

			if (strncmp(cur, key, n) == 0 && cur[n] == '=') {
				json_object_array_put_idx(a, i,
				    json_object_new_string(kv));
				return 0;
			}
		}
		json_object_array_add(a, json_object_new_string(kv));
		return 0;
	}
	/* <mount>.source or <device>.path. */
	dot = strchr(key, '.');
	field = dot != NULL ? dot + 1 : NULL;
	if (dot != NULL)
		key[dot - key] = '\0';
	for (n = 0; n < 2; n++) {
		const char *what = n == 0 ? "Mounts" : "Devices";
		const char *fld = n == 0 ? "source" : "path";
		const char *jf = n == 0 ? "Source" : "Path";

		if (field != NULL && strcmp(field, fld) != 0)
			continue;
		list = berth_json_get(s, what);
		for (i = 0; list != NULL && i < json_object_array_length(list);
		    i++) {
			e = json_object_array_get_idx(list, i);
			if (strcmp(berth_json_str(e, "Name") ?
			    berth_json_str(e, "Name") : "", key) != 0)
				continue;
			if (!settable(e, fld))
				return berth_err_set(err, -EINVAL, "\"%s.%s\" "
				    "is not settable", key, fld);
			if (*val != '/')
				return berth_err_set(err, -EINVAL, "%s.%s: "
				    "an absolute path is needed", key, fld);
			json_object_object_add(e, jf,
			    json_object_new_string(val));
			return 0;
		}
	}
	return berth_err_set(err, -EINVAL, "setting %s: the plugin has no "
	    "such setting", key);
}

static void
set_saved(void *arg, int rc, const struct berth_err *err)
{
	rjob_end(arg, rc < 0 ? 0 : 204, rc < 0 ? err : NULL);
}

static void
h_set(struct berth_req *req, void *state)
{
	struct pp		*pp = state;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct pp_plugin	*p;
	struct rjob		*rj;
	json_object		*body, *old = NULL, *v;
	size_t			 i;

	if ((p = plugin_of(pp, req, 1)) == NULL)
		return;
	if (pp->h->req_json(req, &body, &err) < 0 ||
	    (body != NULL && !json_object_is_type(body, json_type_array) &&
	    berth_err_set(&err, -EINVAL, "want a JSON list of key=value") <
	    0)) {
		pp->h->resp_error(req, &err);
		return;
	}
	if (p->m->enabled) {
		berth_err_set(&err, -EBUSY, "cannot set on an active plugin, "
		    "disable plugin before setting");
		pp->h->resp_error(req, &err);
		return;
	}
	/* All or nothing: a bad key leaves the settings as they were. */
	json_object_deep_copy(p->m->settings, &old, NULL);
	for (i = 0; body != NULL && i < json_object_array_length(body); i++) {
		v = json_object_array_get_idx(body, i);
		if (!json_object_is_type(v, json_type_string)) {
			berth_err_set(&err, -EINVAL, "want a JSON list of "
			    "key=value");
			break;
		}
		if (set_one(p, json_object_get_string(v), &err) < 0)
			break;
	}
	if (err.code < 0) {
		json_object_put(p->m->settings);
		p->m->settings = old;
		pp->h->resp_error(req, &err);
		return;
	}
	json_object_put(old);
	if ((rj = rjob_new(pp, req, p)) == NULL)
		return;
	pp_managed_save(p, set_saved, rj);
}

/* --- create --------------------------------------------------------------- */

struct create_job {
	struct pp		*pp;
	struct berth_req	*req;
	char			 id[65];
	char			 ref[PP_NAME_MAX + 16];
	char			 tmp[PATH_MAX], dir[PATH_MAX];
	int			 fd;		/* the body, for the worker */
	int			 pending;	/* body and worker */
	int			 body_rc;
	char			*config;	/* config.json text */
	int			 rc;
	struct berth_err	 err;
};

static int	pp_creating;

/* "rootfs/x" stays "rootfs/x"; "./a" is "a"; absolute or ".." refused. */
static int
entry_name(const char *in, char *out, size_t len)
{
	while (in[0] == '.' && in[1] == '/')
		in += 2;
	if (*in == '/' || strcmp(in, "..") == 0 || strncmp(in, "../", 3) == 0 ||
	    strstr(in, "/../") != NULL ||
	    (strlen(in) >= 3 && strcmp(in + strlen(in) - 3, "/..") == 0))
		return -EINVAL;
	return snprintf(out, len, "%s", in) < (int)len ? 0 : -ENAMETOOLONG;
}

static int
copy_data(struct archive *a, struct archive *w)
{
	const void	*buf;
	size_t		 len;
	la_int64_t	 off;
	int		 r;

	while ((r = archive_read_data_block(a, &buf, &len, &off)) ==
	    ARCHIVE_OK)
		if (archive_write_data_block(w, buf, len, off) != ARCHIVE_OK)
			return -1;
	return r == ARCHIVE_EOF ? 0 : -1;
}

/*
 * The worker: config.json kept in memory, rootfs/ written below tmp by
 * libarchive's own safe extraction (no "..", never through a symlink),
 * every other entry skipped.
 */
static void
create_work(void *arg)
{
	struct create_job	*j = arg;
	struct archive		*a = archive_read_new();
	struct archive		*w = archive_write_disk_new();
	struct archive_entry	*e;
	char			 name[PATH_MAX], full[PATH_MAX * 2];
	const char		*hl;
	la_ssize_t		 n;
	size_t			 got = 0;
	int			 r;

	archive_read_support_format_tar(a);
	archive_read_support_filter_gzip(a);
	archive_write_disk_set_options(w, ARCHIVE_EXTRACT_SECURE_SYMLINKS |
	    ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_PERM |
	    ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_TIME |
	    ARCHIVE_EXTRACT_UNLINK);
	if ((r = berth_mkdirs(j->tmp, 0700)) < 0) {
		j->rc = berth_err_set(&j->err, r, "%s: %s", j->tmp,
		    strerror(-r));
		goto out;
	}
	if (archive_read_open_fd(a, j->fd, 64 << 10) != ARCHIVE_OK)
		goto bad;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		if (entry_name(archive_entry_pathname(e), name,
		    sizeof(name)) < 0) {
			j->rc = berth_err_set(&j->err, -EINVAL, "invalid path "
			    "in the plugin archive: %s",
			    archive_entry_pathname(e));
			goto out;
		}
		if (strcmp(name, "config.json") == 0) {
			if (archive_entry_size(e) > PP_CONFIG_MAX ||
			    (j->config = calloc(1, PP_CONFIG_MAX + 1)) ==
			    NULL) {
				j->rc = berth_err_set(&j->err, -EINVAL,
				    "config.json is too large");
				goto out;
			}
			while ((n = archive_read_data(a, j->config + got,
			    PP_CONFIG_MAX - got)) > 0)
				got += (size_t)n;
			if (n < 0)
				goto bad;
			continue;
		}
		if (strcmp(name, "rootfs") != 0 &&
		    strncmp(name, "rootfs/", 7) != 0)
			continue;
		snprintf(full, sizeof(full), "%s/%s", j->tmp, name);
		archive_entry_set_pathname(e, full);
		if ((hl = archive_entry_hardlink(e)) != NULL) {
			if (entry_name(hl, name, sizeof(name)) < 0 ||
			    strncmp(name, "rootfs/", 7) != 0) {
				j->rc = berth_err_set(&j->err, -EINVAL,
				    "invalid hard link in the plugin archive: "
				    "%s", hl);
				goto out;
			}
			snprintf(full, sizeof(full), "%s/%s", j->tmp, name);
			archive_entry_set_hardlink(e, full);
		}
		if (archive_write_header(w, e) != ARCHIVE_OK) {
			j->rc = berth_err_set(&j->err, -EINVAL, "cannot unpack "
			    "%s: %s", archive_entry_pathname(e),
			    archive_error_string(w));
			goto out;
		}
		if (copy_data(a, w) < 0) {
			j->rc = berth_err_set(&j->err, -EINVAL, "cannot unpack "
			    "%s: %s", archive_entry_pathname(e),
			    archive_error_string(w) ? archive_error_string(w) :
			    archive_error_string(a));
			goto out;
		}
		if (archive_write_finish_entry(w) != ARCHIVE_OK) {
			j->rc = berth_err_set(&j->err, -EIO, "cannot unpack "
			    "%s: %s", archive_entry_pathname(e),
			    archive_error_string(w));
			goto out;
		}
	}
	if (r != ARCHIVE_EOF)
		goto bad;
	if (j->config == NULL) {
		j->rc = berth_err_set(&j->err, -EINVAL, "the plugin archive "
		    "has no config.json");
		goto out;
	}
	snprintf(full, sizeof(full), "%s/rootfs", j->tmp);
	if ((r = berth_mkdirs(full, 0755)) < 0)
		j->rc = berth_err_set(&j->err, r, "%s: %s", full, strerror(-r));
	goto out;
bad:
	j->rc = berth_err_set(&j->err, -EINVAL, "invalid plugin archive: %s",
	    archive_error_string(a) ? archive_error_string(a) : "read error");
out:
	archive_read_free(a);
	archive_write_free(w);
	close(j->fd);		/* the body's writer drops the rest */
	j->fd = -1;
	if (j->rc < 0)
		(void)berth_rmtree_at(AT_FDCWD, j->tmp);
}

static void
rm_later_work(void *arg)
{
	(void)berth_rmtree_at(AT_FDCWD, arg);
}

/* rm -rf path off the loop (a failed create's tree). */
static void
rm_later(struct pp *pp, const char *path)
{
	char	*p = strdup(path);

	if (p != NULL && pp->h->work(pp->h, rm_later_work, free, p) < 0)
		free(p);
}

/* Both the body and the worker are done: keep the plugin, or undo. */
static void
create_finish(struct create_job *j)
{
	struct pp		*pp = j->pp;
	struct pp_plugin	*p;
	json_object		*cfg;

	if (--j->pending > 0)
		return;
	pp_creating--;
	if (j->rc == 0 && j->body_rc < 0)
		j->rc = berth_err_set(&j->err, j->body_rc, "the plugin archive "
		    "did not arrive whole");
	if (j->rc == 0) {
		if ((cfg = json_tokener_parse(j->config)) == NULL)
			j->rc = berth_err_set(&j->err, -EINVAL, "invalid "
			    "config.json: not JSON");
		else if (pp_managed_find(pp, j->ref) != NULL)
			j->rc = berth_err_set(&j->err, -EEXIST, "plugin %s "
			    "already exists", j->ref);
		else if (rename(j->tmp, j->dir) == -1)
			j->rc = berth_err_errno(&j->err, "rename %s", j->tmp);
		else if ((p = pp_managed_add(pp, j->id, j->ref, cfg,
		    &j->err)) == NULL)
			j->rc = j->err.code;
		else {
			pp_managed_save(p, NULL, NULL);
			emit(pp, "create", j->id, j->ref);
			pp->h->log(pp->h, BERTH_LOG_INFO, "plugin %s created "
			    "(%.12s)", j->ref, j->id);
		}
		json_object_put(cfg);
	}
	if (j->rc < 0) {
		rm_later(pp, j->tmp);
		rm_later(pp, j->dir);
		pp->h->resp_error(j->req, &j->err);
	} else
		pp->h->resp_status(j->req, 204);
	free(j->config);
	free(j);
}

static void
create_body_done(void *arg, int rc)
{
	struct create_job	*j = arg;

	j->body_rc = rc == -EPIPE ? 0 : rc;	/* the worker stopped early */
	create_finish(j);
}

static void
create_worked(void *arg)
{
	create_finish(arg);
}

/*
 * A plugin name as a reference: lower-case name components separated by
 * '/', each [a-z0-9] runs joined by '.', '_', '__' or '-', an optional
 * ":tag" ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}); no tag is ":latest".
 */
static int
ref_ok(const char *name, char *out, size_t len, struct berth_err *err)
{
	const char	*slash = strrchr(name, '/');
	const char	*colon = strrchr(slash != NULL ? slash : name, ':');
	size_t		 n = colon != NULL ? (size_t)(colon - name) :
			    strlen(name);
	size_t		 i;

	if (n == 0 || n > PP_NAME_MAX - 8)
		goto bad;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			continue;
		if ((c == '.' || c == '_' || c == '-' || c == '/') && i > 0 &&
		    i + 1 < n)
			continue;
		if (c >= 'A' && c <= 'Z')
			return berth_err_set(err, -EINVAL, "invalid reference "
			    "format: repository name must be lowercase");
		goto bad;
	}
	if (colon != NULL) {
		if (colon[1] == '\0' || strlen(colon + 1) > 128 ||
		    strspn(colon + 1, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") !=
		    strlen(colon + 1) || colon[1] == '.' || colon[1] == '-')
			goto bad;
	}
	snprintf(out, len, "%s%s", name, colon != NULL ? "" : ":latest");
	return 0;
bad:
	return berth_err_set(err, -EINVAL, "invalid reference format");
}

struct refusal {
	struct pp		*pp;
	struct berth_req	*req;
	struct berth_err	 err;
};

static void
refused_body_read(void *arg, int rc)
{
	struct refusal	*r = arg;

	r->pp->h->resp_error(r->req, &r->err);
	free(r);
}

/*
 * A create refused before its archive is read: the archive is read and
 * dropped first, so the client, still sending it, gets the message
 * rather than a broken pipe.
 */
static void
refuse_after_body(struct pp *pp, struct berth_req *req,
    const struct berth_err *err)
{
	struct refusal	*r;
	int		 fds[2];

	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    pipe2(fds, O_CLOEXEC) == -1) {
		free(r);
		pp->h->resp_error(req, err);
		return;
	}
	close(fds[0]);
	r->pp = pp;
	r->req = req;
	r->err = *err;
	pp->h->req_body_to_fd(req, fds[1], refused_body_read, r);
}

static void
h_create(struct berth_req *req, void *state)
{
	struct pp		*pp = state;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct create_job	*j;
	const char		*name = pp->h->req_query(req, "name", 0);
	int			 fds[2];

	if ((j = calloc(1, sizeof(*j))) == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		pp->h->resp_error(req, &err);
		return;
	}
	if (name == NULL || *name == '\0')
		berth_err_set(&err, -EINVAL, "a plugin name is required");
	else if (ref_ok(name, j->ref, sizeof(j->ref), &err) == 0 &&
	    pp_managed_find(pp, j->ref) != NULL)
		berth_err_set(&err, -EEXIST, "plugin %s already exists",
		    j->ref);
	else if (err.code == 0 && pp_creating >= PP_CREATES_MAX)
		berth_err_set(&err, -EBUSY, "%d plugin creates are under way: "
		    "try again when one ends", pp_creating);
	else if (err.code == 0 && berth_id_new(j->id) < 0)
		berth_err_set(&err, -EIO, "cannot draw a plugin ID");
	else if (err.code == 0 && pipe2(fds, O_CLOEXEC) == -1)
		berth_err_errno(&err, "pipe");
	if (err.code < 0) {
		free(j);
		refuse_after_body(pp, req, &err);
		return;
	}
	j->pp = pp;
	j->req = req;
	j->fd = fds[0];
	j->pending = 2;
	snprintf(j->tmp, sizeof(j->tmp), "%s/tmp-%s", pp->data_dir, j->id);
	snprintf(j->dir, sizeof(j->dir), "%s/%s", pp->data_dir, j->id);
	pp_creating++;
	pp->h->req_body_to_fd(req, fds[1], create_body_done, j);
	if (pp->h->work(pp->h, create_work, create_worked, j) < 0) {
		j->rc = berth_err_set(&j->err, -ENOMEM, "out of memory");
		close(j->fd);
		create_finish(j);
	}
}

/* --- distribution: not without a registry client -------------------------- */

static void
h_nodist(struct berth_req *req, void *state)
{
	struct pp		*pp = state;
	struct berth_err	 err = BERTH_ERR_INIT;

	berth_err_set(&err, -ENOSYS, "plugin distribution (privileges, "
	    "pull, push, upgrade) needs a registry client, which this berthd "
	    "does not have yet: use docker plugin create");
	pp->h->resp_error(req, &err);
}

static const struct berth_route pp_routes[] = {
	{ BERTH_GET,	"/plugins",			"1.25",
	    h_list, 0, 0 },
	{ BERTH_GET,	"/plugins/privileges",		"1.25",
	    h_nodist, 0, 0 },
	{ BERTH_POST,	"/plugins/pull",		"1.25",
	    h_nodist, 0, 0 },
	{ BERTH_POST,	"/plugins/create",		"1.25",
	    h_create, BERTH_ROUTE_STREAM_BODY, 0 },
	/* {name*}: a plugin's name may hold slashes (org/plugin:tag). */
	{ BERTH_GET,	"/plugins/{name*}/json",	"1.25",
	    h_inspect, 0, 0 },
	{ BERTH_POST,	"/plugins/{name*}/enable",	"1.25",
	    h_enable, 0, 0 },
	{ BERTH_POST,	"/plugins/{name*}/disable",	"1.25",
	    h_disable, 0, 0 },
	{ BERTH_DELETE,	"/plugins/{name*}",		"1.25",
	    h_remove, 0, 0 },
	{ BERTH_POST,	"/plugins/{name*}/set",		"1.25",
	    h_set, 0, 0 },
	{ BERTH_POST,	"/plugins/{name*}/push",	"1.25",
	    h_nodist, 0, 0 },
	{ BERTH_POST,	"/plugins/{name*}/upgrade",	"1.26",
	    h_nodist, 0, 0 },
};

int
pp_api_init(struct pp *pp, struct berth_err *err)
{
	return pp->h->route(pp->h, pp_routes,
	    sizeof(pp_routes) / sizeof(pp_routes[0]), pp, err);
}
