/*
 * runtime_oci_conf.c - runtime-oci's config subtree:
 *
 *	runtimes:
 *	  crun: { path: /usr/bin/crun }
 *	  custom: { path: /opt/rt, args: [--debug] }
 *	default-runtime: runc
 *	monitor: /usr/local/libexec/berth/berth-monitor
 *
 * berthd's --add-runtime NAME=PATH and --default-runtime NAME land in
 * the same keys before this runs.  Also: the cgroup check for crun.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime_oci.h"

#define RUNC_PATH	"/usr/sbin/runc"
#define CRUN_PATH	"/usr/bin/crun"

static int
exists_default(const char *path)
{
	return access(path, X_OK) == 0;
}

static void
rt_free(struct runtime_oci_rt *rt)
{
	size_t	i;

	free(rt->name);
	free(rt->path);
	for (i = 0; i < rt->nargs; i++)
		free(rt->args[i]);
	free(rt->args);
	memset(rt, 0, sizeof(*rt));
}

void
runtime_oci_conf_free(struct runtime_oci_conf *c)
{
	size_t	i;

	for (i = 0; i < c->nrts; i++)
		rt_free(&c->rts[i]);
	free(c->rts);
	free(c->default_name);
	free(c->monitor);
	memset(c, 0, sizeof(*c));
}

const struct runtime_oci_rt *
runtime_oci_conf_find(const struct runtime_oci_conf *c, const char *name)
{
	size_t	i;

	for (i = 0; i < c->nrts; i++)
		if (strcmp(c->rts[i].name, name) == 0)
			return &c->rts[i];
	return NULL;
}

static int
name_valid(const char *s)
{
	const char	*p;

	if (*s == '\0' || strlen(s) > 64)
		return 0;
	for (p = s; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    (p != s && (*p == '-' || *p == '_' || *p == '.'))))
			return 0;
	return 1;
}

/* A bare name is looked up in the usual directories, as a shell would. */
static char *
resolve_path(const char *path, runtime_oci_exists_fn exists)
{
	static const char *const dirs[] = { "/usr/local/sbin",
	    "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin", NULL };
	char	buf[4096];
	int	i;

	if (path[0] == '/' || strchr(path, '/') != NULL)
		return strdup(path);
	for (i = 0; dirs[i] != NULL; i++) {
		snprintf(buf, sizeof(buf), "%s/%s", dirs[i], path);
		if (exists(buf))
			return strdup(buf);
	}
	return strdup(path);
}

/* Add or replace a runtime; takes nothing, copies everything. */
static int
rt_set(struct runtime_oci_conf *c, const char *name, const char *path,
    json_object *args, runtime_oci_exists_fn exists, struct berth_err *err)
{
	struct runtime_oci_rt	 rt, *np;
	size_t			 i, n;
	json_object		*a;

	memset(&rt, 0, sizeof(rt));
	if ((rt.name = strdup(name)) == NULL ||
	    (rt.path = resolve_path(path, exists)) == NULL)
		goto oom;
	n = args != NULL ? json_object_array_length(args) : 0;
	if (n > 0) {
		if ((rt.args = calloc(n + 1, sizeof(*rt.args))) == NULL)
			goto oom;
		for (i = 0; i < n; i++) {
			a = json_object_array_get_idx(args, i);
			if (!json_object_is_type(a, json_type_string)) {
				rt_free(&rt);
				return berth_err_set(err, -EINVAL, "runtime "
				    "%s: args must be strings", name);
			}
			if ((rt.args[i] = strdup(json_object_get_string(a))) ==
			    NULL)
				goto oom;
			rt.nargs++;
		}
	}
	for (i = 0; i < c->nrts; i++)
		if (strcmp(c->rts[i].name, name) == 0) {
			rt_free(&c->rts[i]);
			c->rts[i] = rt;
			return 0;
		}
	if ((np = reallocarray(c->rts, c->nrts + 1, sizeof(*np))) == NULL)
		goto oom;
	c->rts = np;
	/* Keep the list sorted: /info and docker info list names in order. */
	for (i = c->nrts; i > 0 && strcmp(c->rts[i - 1].name, name) > 0; i--)
		c->rts[i] = c->rts[i - 1];
	c->rts[i] = rt;
	c->nrts++;
	return 0;
oom:
	rt_free(&rt);
	return berth_err_set(err, -ENOMEM, "out of memory");
}

static int
parse_runtimes(json_object *map, runtime_oci_exists_fn exists,
    struct runtime_oci_conf *c, struct berth_err *err)
{
	json_object	*path, *args;
	int		 rc;

	json_object_object_foreach(map, name, v) {
		if (!name_valid(name))
			return berth_err_set(err, -EINVAL, "invalid runtime "
			    "name '%s': lower-case letters, digits, '-', '_' "
			    "and '.'", name);
		if (strcmp(name, BERTH_RUNTIME_DEFAULT) == 0)
			return berth_err_set(err, -EINVAL,
			    "runtime name '%s' is reserved", name);
		if (!json_object_is_type(v, json_type_object))
			return berth_err_set(err, -EINVAL, "runtime %s: "
			    "expected a mapping with a path", name);
		args = NULL;
		json_object_object_foreach(v, key, val) {
			if (strcmp(key, "path") == 0)
				continue;
			if (strcmp(key, "args") != 0 &&
			    strcmp(key, "runtimeArgs") != 0)
				return berth_err_set(err, -EINVAL, "runtime "
				    "%s: unknown key '%s' (path, args)", name,
				    key);
			if (!json_object_is_type(val, json_type_array))
				return berth_err_set(err, -EINVAL, "runtime "
				    "%s: %s must be a list", name, key);
			args = val;
		}
		if (!json_object_object_get_ex(v, "path", &path) ||
		    !json_object_is_type(path, json_type_string) ||
		    json_object_get_string_len(path) == 0)
			return berth_err_set(err, -EINVAL, "runtime %s: "
			    "missing path", name);
		if ((rc = rt_set(c, name, json_object_get_string(path), args,
		    exists, err)) < 0)
			return rc;
	}
	return 0;
}

int
runtime_oci_conf_parse(json_object *cfg, runtime_oci_exists_fn exists,
    struct runtime_oci_conf *out, struct berth_err *err)
{
	struct runtime_oci_conf	 c;
	json_object		*v;
	const char		*def = NULL;
	int			 rc, have_runc, have_crun;

	memset(&c, 0, sizeof(c));
	if (exists == NULL)
		exists = exists_default;
	have_runc = exists(RUNC_PATH);
	have_crun = exists(CRUN_PATH);
	/* Debian's runc and crun, where installed; the file may override. */
	if ((have_runc || !have_crun) && (rc = rt_set(&c, "runc", RUNC_PATH,
	    NULL, exists, err)) < 0)
		goto fail;
	if (have_crun && (rc = rt_set(&c, "crun", CRUN_PATH, NULL, exists,
	    err)) < 0)
		goto fail;
	if (cfg != NULL && json_object_object_get_ex(cfg, "runtimes", &v) &&
	    v != NULL) {
		if (!json_object_is_type(v, json_type_object)) {
			rc = berth_err_set(err, -EINVAL,
			    "runtimes must be a mapping");
			goto fail;
		}
		if ((rc = parse_runtimes(v, exists, &c, err)) < 0)
			goto fail;
	}
	if (cfg != NULL && json_object_object_get_ex(cfg, "default-runtime",
	    &v) && json_object_is_type(v, json_type_string) &&
	    json_object_get_string_len(v) > 0)
		def = json_object_get_string(v);
	if (def == NULL)
		def = have_runc || !have_crun ? "runc" : "crun";
	if (runtime_oci_conf_find(&c, def) == NULL) {
		rc = berth_err_set(err, -EINVAL,
		    "specified default runtime '%s' does not exist", def);
		goto fail;
	}
	if ((c.default_name = strdup(def)) == NULL) {
		rc = berth_err_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	if (cfg != NULL && json_object_object_get_ex(cfg, "monitor", &v) &&
	    json_object_is_type(v, json_type_string) &&
	    (c.monitor = strdup(json_object_get_string(v))) == NULL) {
		rc = berth_err_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	*out = c;
	return 0;
fail:
	runtime_oci_conf_free(&c);
	return rc;
}

int
runtime_oci_cgroup_hybrid(const char *root, char *buf, size_t len)
{
	char	path[4096];
	ssize_t	n;
	int	fd;

	buf[0] = '\0';
	/* Pure cgroup2 (the root itself is the unified hierarchy): fine. */
	snprintf(path, sizeof(path), "%s/cgroup.controllers", root);
	if (access(path, F_OK) == 0)
		return 0;
	snprintf(path, sizeof(path), "%s/unified/cgroup.controllers", root);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0) {
		buf[0] = '\0';
		return 0;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return buf[0] != '\0';
}
