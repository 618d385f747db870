/*
 * pp_managed.c - managed (v2) plugins as records: the plugin object
 * Docker shows (Id, Name, Enabled, Config, Settings), kept in
 * <data-root>/plugins/<id>/plugin.json beside its rootfs/, found by
 * name, name:tag, ID or ID prefix as dockerd finds them.
 *
 * A config.json's keys are matched in any case on input and written
 * back with Docker's capitalisation (protocols.md D.1), so what inspect
 * shows does not depend on how the author spelled them.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <berth/fs.h>
#include <berth/json.h>

#include "plugin_proxy.h"

static const struct {
	const char	*type;		/* Interface.Types, without version */
	unsigned	 bit;
} types[] = {
	{ "docker.volumedriver/",	PP_VOLUME },
	{ "docker.networkdriver/",	PP_NETWORK },
	{ "docker.ipamdriver/",		PP_IPAM },
	{ "docker.authz/",		PP_AUTHZ },
	{ "docker.logdriver/",		0 },
	{ "docker.metricscollector/",	0 },
};

/* --- config.json, as Docker spells it ----------------------------------- */

static json_object *
str_or(json_object *in, const char *key, const char *dflt)
{
	const char	*s = berth_json_str(in, key);

	return json_object_new_string(s != NULL ? s : dflt);
}

static json_object *
boolean(json_object *in, const char *key)
{
	return json_object_new_boolean(json_object_get_boolean(
	    berth_json_get(in, key)));
}

/* An array of strings, or -EINVAL; null or absent: null or [] (dflt_null). */
static int
strv(json_object *in, const char *key, int dflt_null, json_object **out,
    struct berth_err *err)
{
	json_object	*a = berth_json_get(in, key), *v;
	size_t		 i;

	if (a == NULL || json_object_is_type(a, json_type_null)) {
		*out = dflt_null ? NULL : json_object_new_array();
		return 0;
	}
	if (!json_object_is_type(a, json_type_array))
		return berth_err_set(err, -EINVAL, "invalid plugin config: %s "
		    "must be a list of strings", key);
	*out = json_object_new_array();
	for (i = 0; i < json_object_array_length(a); i++) {
		v = json_object_array_get_idx(a, i);
		if (!json_object_is_type(v, json_type_string)) {
			json_object_put(*out);
			return berth_err_set(err, -EINVAL, "invalid plugin "
			    "config: %s must be a list of strings", key);
		}
		json_object_array_add(*out, json_object_get(v));
	}
	return 0;
}

/* A list of objects, each with keys (string fields, "Settable" and
 * "Options" lists, "Value" string-or-null or list for Args). */
static int
objs(json_object *in, const char *key, const char *const *fields,
    json_object **out, struct berth_err *err)
{
	json_object	*a = berth_json_get(in, key), *e, *o, *v, *sv;
	size_t		 i, f;

	*out = json_object_new_array();
	if (a == NULL || json_object_is_type(a, json_type_null))
		return 0;
	if (!json_object_is_type(a, json_type_array))
		goto bad;
	for (i = 0; i < json_object_array_length(a); i++) {
		e = json_object_array_get_idx(a, i);
		if (!json_object_is_type(e, json_type_object))
			goto bad;
		o = json_object_new_object();
		json_object_array_add(*out, o);
		for (f = 0; fields[f] != NULL; f++) {
			v = berth_json_get(e, fields[f]);
			if (strcmp(fields[f], "Settable") == 0 ||
			    strcmp(fields[f], "Options") == 0) {
				if (strv(e, fields[f], 0, &sv, err) < 0)
					goto fail;
				json_object_object_add(o, fields[f], sv);
			} else if (v == NULL ||
			    json_object_is_type(v, json_type_null))
				json_object_object_add(o, fields[f],
				    strcmp(fields[f], "Value") == 0 ||
				    strcmp(fields[f], "Source") == 0 ? NULL :
				    json_object_new_string(""));
			else if (json_object_is_type(v, json_type_string))
				json_object_object_add(o, fields[f],
				    json_object_get(v));
			else
				goto bad;
		}
		if (*berth_json_str(o, "Name") == '\0' &&
		    strcmp(key, "Mounts") != 0)
			goto bad;
	}
	return 0;
bad:
	berth_err_set(err, -EINVAL, "invalid plugin config: %s must be a list "
	    "of objects with string fields", key);
fail:
	json_object_put(*out);
	*out = NULL;
	return err->code;
}

/*
 * Docker's Config from a plugin's config.json (borrowed); NULL with err
 * when it is not a plugin config berthd can run.
 */
static json_object *
config_canon(json_object *in, unsigned *bits, struct berth_err *err)
{
	static const char *const mount_f[] = { "Name", "Description",
	    "Settable", "Source", "Destination", "Type", "Options", NULL };
	static const char *const env_f[] = { "Name", "Description", "Settable",
	    "Value", NULL };
	static const char *const dev_f[] = { "Name", "Description", "Settable",
	    "Path", NULL };
	json_object	*c = json_object_new_object(), *x, *y, *v, *in2;
	const char	*sock, *t;
	size_t		 i, k;

	if (!json_object_is_type(in, json_type_object)) {
		berth_err_set(err, -EINVAL, "invalid plugin config: not a "
		    "JSON object");
		goto fail;
	}
	json_object_object_add(c, "Description", str_or(in, "Description", ""));
	json_object_object_add(c, "Documentation",
	    str_or(in, "Documentation", ""));
	in2 = berth_json_get(in, "Interface");
	if (strv(in2, "Types", 0, &v, err) < 0)
		goto fail;
	*bits = 0;
	for (i = 0; i < json_object_array_length(v); i++) {
		t = json_object_get_string(json_object_array_get_idx(v, i));
		for (k = 0; k < sizeof(types) / sizeof(types[0]); k++)
			if (strncmp(t, types[k].type, strlen(types[k].type)) ==
			    0)
				break;
		if (k == sizeof(types) / sizeof(types[0])) {
			json_object_put(v);
			berth_err_set(err, -EINVAL, "invalid plugin config: "
			    "unknown interface type %s", t);
			goto fail;
		}
		*bits |= types[k].bit;
	}
	sock = berth_json_str(in2, "Socket");
	if (json_object_array_length(v) == 0 || sock == NULL || *sock == '\0' ||
	    strchr(sock, '/') != NULL || strlen(sock) > 32) {
		json_object_put(v);
		berth_err_set(err, -EINVAL, "invalid plugin config: Interface "
		    "needs Types and a Socket file name");
		goto fail;
	}
	x = json_object_new_object();
	json_object_object_add(x, "Types", v);
	json_object_object_add(x, "Socket", json_object_new_string(sock));
	if ((t = berth_json_str(in2, "ProtocolScheme")) != NULL && *t) {
		if (strcmp(t, "moby.plugins.http/v1") != 0) {
			json_object_put(x);
			berth_err_set(err, -EINVAL, "invalid plugin config: "
			    "protocol scheme %s is not supported", t);
			goto fail;
		}
		json_object_object_add(x, "ProtocolScheme",
		    json_object_new_string(t));
	}
	json_object_object_add(c, "Interface", x);
	if (strv(in, "Entrypoint", 0, &v, err) < 0)
		goto fail;
	json_object_object_add(c, "Entrypoint", v);
	if (json_object_array_length(v) == 0) {
		berth_err_set(err, -EINVAL, "invalid plugin config: no "
		    "Entrypoint");
		goto fail;
	}
	json_object_object_add(c, "WorkDir", str_or(in, "WorkDir", ""));
	x = json_object_new_object();
	if ((y = berth_json_get(in, "User")) != NULL &&
	    json_object_is_type(y, json_type_object)) {
		if ((v = berth_json_get(y, "UID")) != NULL)
			json_object_object_add(x, "UID", json_object_new_int64(
			    json_object_get_int64(v)));
		if ((v = berth_json_get(y, "GID")) != NULL)
			json_object_object_add(x, "GID", json_object_new_int64(
			    json_object_get_int64(v)));
	}
	json_object_object_add(c, "User", x);
	x = json_object_new_object();
	json_object_object_add(x, "Type", str_or(berth_json_get(in,
	    "Network"), "Type", ""));
	json_object_object_add(c, "Network", x);
	if (objs(in, "Mounts", mount_f, &v, err) < 0)
		goto fail;
	json_object_object_add(c, "Mounts", v);
	for (i = 0; i < json_object_array_length(v); i++) {
		t = berth_json_str(json_object_array_get_idx(v, i),
		    "Destination");
		if (t == NULL || *t != '/') {
			berth_err_set(err, -EINVAL, "invalid plugin config: "
			    "a mount needs an absolute Destination");
			goto fail;
		}
	}
	json_object_object_add(c, "PropagatedMount",
	    str_or(in, "PropagatedMount", ""));
	t = berth_json_str(c, "PropagatedMount");
	if (*t != '\0' && *t != '/') {
		berth_err_set(err, -EINVAL, "invalid plugin config: "
		    "PropagatedMount must be absolute");
		goto fail;
	}
	json_object_object_add(c, "PidHost", boolean(in, "PidHost"));
	json_object_object_add(c, "IpcHost", boolean(in, "IpcHost"));
	if (objs(in, "Env", env_f, &v, err) < 0)
		goto fail;
	json_object_object_add(c, "Env", v);
	x = json_object_new_object();
	y = berth_json_get(in, "Args");
	json_object_object_add(x, "Name", str_or(y, "Name", ""));
	json_object_object_add(x, "Description", str_or(y, "Description", ""));
	if (strv(y, "Settable", 0, &v, err) < 0) {
		json_object_put(x);
		goto fail;
	}
	json_object_object_add(x, "Settable", v);
	if (strv(y, "Value", 0, &v, err) < 0) {
		json_object_put(x);
		goto fail;
	}
	json_object_object_add(x, "Value", v);
	json_object_object_add(c, "Args", x);
	x = json_object_new_object();
	y = berth_json_get(in, "Linux");
	if (strv(y, "Capabilities", 1, &v, err) < 0) {
		json_object_put(x);
		goto fail;
	}
	json_object_object_add(x, "Capabilities", v);
	json_object_object_add(x, "AllowAllDevices",
	    boolean(y, "AllowAllDevices"));
	if (objs(y, "Devices", dev_f, &v, err) < 0) {
		json_object_put(x);
		goto fail;
	}
	json_object_object_add(x, "Devices", json_object_array_length(v) ?
	    v : NULL);
	if (json_object_array_length(v) == 0)
		json_object_put(v);
	json_object_object_add(c, "Linux", x);
	json_object_object_add(c, "DockerVersion",
	    json_object_new_string("berth-0.1.0"));
	x = json_object_new_object();
	json_object_object_add(x, "type", json_object_new_string("layers"));
	json_object_object_add(x, "diff_ids", json_object_new_array());
	json_object_object_add(c, "rootfs", x);
	return c;
fail:
	json_object_put(c);
	return NULL;
}

/* Settings at install: what the config gives as defaults. */
static json_object *
settings_new(json_object *c)
{
	json_object	*s = json_object_new_object(), *env, *e, *v;
	json_object	*devs = berth_json_get(berth_json_get(c, "Linux"),
			    "Devices");
	char		 buf[4096];
	size_t		 i;

	env = json_object_new_array();
	v = berth_json_get(c, "Env");
	for (i = 0; i < json_object_array_length(v); i++) {
		e = json_object_array_get_idx(v, i);
		if (berth_json_str(e, "Value") == NULL)
			continue;
		snprintf(buf, sizeof(buf), "%s=%s", berth_json_str(e, "Name"),
		    berth_json_str(e, "Value"));
		json_object_array_add(env, json_object_new_string(buf));
	}
	json_object_object_add(s, "Mounts", json_object_get(
	    berth_json_get(c, "Mounts")));
	json_object_object_add(s, "Env", env);
	json_object_object_add(s, "Args", json_object_get(berth_json_get(
	    berth_json_get(c, "Args"), "Value")));
	json_object_object_add(s, "Devices", devs != NULL ?
	    json_object_get(devs) : json_object_new_array());
	return s;
}

/* --- the table ------------------------------------------------------------ */

/* "name" -> "name:latest"; a tag after the last '/' is kept. */
static void
ref_norm(const char *name, char *out, size_t len)
{
	const char	*slash = strrchr(name, '/');
	const char	*colon = strrchr(slash != NULL ? slash : name, ':');

	snprintf(out, len, "%s%s", name, colon != NULL ? "" : ":latest");
}

struct pp_plugin *
pp_managed_find(struct pp *pp, const char *name)
{
	struct pp_plugin	*p, *hit = NULL;
	char			 ref[PP_NAME_MAX + 16];
	size_t			 n = strlen(name);

	if (n == 0)
		return NULL;
	ref_norm(name, ref, sizeof(ref));
	TAILQ_FOREACH(p, &pp->plugins, entry)
		if (p->m != NULL && (strcmp(p->m->ref, ref) == 0 ||
		    strcmp(p->m->id, name) == 0))
			return p;
	/* A unique ID prefix. */
	if (strspn(name, "0123456789abcdef") != n)
		return NULL;
	TAILQ_FOREACH(p, &pp->plugins, entry)
		if (p->m != NULL && strncmp(p->m->id, name, n) == 0) {
			if (hit != NULL)
				return NULL;
			hit = p;
		}
	return hit;
}

json_object *
pp_managed_json(const struct pp_plugin *p)
{
	json_object	*o = json_object_new_object();

	json_object_object_add(o, "Id", json_object_new_string(p->m->id));
	json_object_object_add(o, "Name", json_object_new_string(p->m->ref));
	json_object_object_add(o, "Enabled",
	    json_object_new_boolean(p->m->enabled));
	json_object_object_add(o, "PluginReference",
	    json_object_new_string(p->m->ref));
	json_object_object_add(o, "Config", json_object_get(p->m->config));
	json_object_object_add(o, "Settings", json_object_get(p->m->settings));
	return o;
}

struct save_job {
	struct pp	*pp;
	char		*path;
	char		*text;
	char		*ref;
	int		 rc;
	pp_done_cb	 cb;
	void		*arg;
};

static void
save_work(void *arg)
{
	struct save_job	*j = arg;

	j->rc = berth_write_file(j->path, j->text, strlen(j->text), 0600, 1);
}

static void
save_done(void *arg)
{
	struct save_job		*j = arg;
	struct berth_err	 err = BERTH_ERR_INIT;

	if (j->rc < 0) {
		berth_err_set(&err, j->rc, "save plugin %s: %s", j->ref,
		    strerror(-j->rc));
		j->pp->h->log(j->pp->h, BERTH_LOG_ERR, "%s", err.msg);
	}
	if (j->cb != NULL)
		j->cb(j->arg, j->rc, j->rc < 0 ? &err : NULL);
	free(j->path);
	free(j->text);
	free(j->ref);
	free(j);
}

/*
 * The record of p, written whole and atomically off the loop; cb (may
 * be NULL) after.  Only the /plugins operations save, one at a time per
 * plugin (m->busy), so two writes of one record never race.
 */
void
pp_managed_save(struct pp_plugin *p, pp_done_cb cb, void *arg)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	struct save_job		*j;
	json_object		*o = pp_managed_json(p);
	char			 path[PATH_MAX];

	json_object_object_add(o, "TimeoutMs",
	    json_object_new_int64(p->m->timeout_ms));
	snprintf(path, sizeof(path), "%s/%s/plugin.json", p->pp->data_dir,
	    p->m->id);
	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->path = strdup(path)) == NULL ||
	    (j->ref = strdup(p->m->ref)) == NULL ||
	    (j->text = strdup(json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN))) == NULL) {
		json_object_put(o);
		if (j != NULL) {
			free(j->path);
			free(j->ref);
		}
		free(j);
		berth_err_set(&err, -ENOMEM, "out of memory");
		if (cb != NULL)
			cb(arg, -ENOMEM, &err);
		return;
	}
	json_object_put(o);
	j->pp = p->pp;
	j->cb = cb;
	j->arg = arg;
	if (p->pp->h->work(p->pp->h, save_work, save_done, j) < 0) {
		j->rc = -ENOMEM;
		save_done(j);
	}
}

/*
 * A new managed plugin named ref (already normalised) with ID id, from
 * a config.json (borrowed); its rootfs is in place.
 */
struct pp_plugin *
pp_managed_add(struct pp *pp, const char *id, const char *ref,
    json_object *cfg, struct berth_err *err)
{
	struct pp_plugin	*p;
	struct pp_managed	*m;
	json_object		*c;
	unsigned		 bits = 0;

	if ((c = config_canon(cfg, &bits, err)) == NULL)
		return NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->ref = strdup(ref)) == NULL ||
	    (p = pp_plugin_new(pp, ref)) == NULL) {
		if (m != NULL)
			free(m->ref);
		free(m);
		json_object_put(c);
		berth_err_set(err, -ENOMEM, "out of memory");
		return NULL;
	}
	snprintf(m->id, sizeof(m->id), "%s", id);
	m->config = c;
	m->settings = settings_new(c);
	m->types = bits;
	p->m = m;
	p->implements = bits;
	return p;
}

/* p leaves the table (its files are the caller's to remove). */
void
pp_managed_forget(struct pp_plugin *p)
{
	struct berth_err	err = BERTH_ERR_INIT;

	berth_err_set(&err, -ENOENT, "plugin %s was removed", p->name);
	pp_plugin_down(p, &err);
	pp_plugin_withdraw(p);
	pp_plugin_free(p);
}

static void
load_one(struct pp *pp, const char *id)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	struct pp_plugin	*p;
	json_object		*o, *x;
	char			 path[PATH_MAX];
	const char		*ref;

	snprintf(path, sizeof(path), "%s/%s/plugin.json", pp->data_dir, id);
	if ((o = json_object_from_file(path)) == NULL ||
	    (ref = berth_json_str(o, "Name")) == NULL ||
	    (p = pp_managed_add(pp, id, ref, berth_json_get(o, "Config"),
	    &err)) == NULL) {
		pp->h->log(pp->h, BERTH_LOG_WARN, "plugin %s: unreadable "
		    "record, left alone: %s", id, err.msg[0] ? err.msg :
		    "not a plugin record");
		json_object_put(o);
		return;
	}
	/* What the config says now, what the user set then. */
	if ((x = berth_json_get(o, "Settings")) != NULL &&
	    json_object_is_type(x, json_type_object)) {
		json_object_put(p->m->settings);
		p->m->settings = json_object_get(x);
	}
	p->m->enabled = json_object_get_boolean(berth_json_get(o, "Enabled"));
	p->m->timeout_ms = (long)json_object_get_int64(berth_json_get(o,
	    "TimeoutMs"));
	json_object_put(o);
}

/* At start (init): every record; enabled ones are started by the caller. */
int
pp_managed_load(struct pp *pp, struct berth_err *err)
{
	struct dirent	*de;
	DIR		*d;

	if ((d = opendir(pp->data_dir)) == NULL)
		return berth_err_errno(err, "%s", pp->data_dir);
	while ((de = readdir(d)) != NULL)
		if (strlen(de->d_name) == 64 &&
		    strspn(de->d_name, "0123456789abcdef") == 64) {
			char	dir[PATH_MAX];

			/* A write a kill -9 cut short leaves its temporary. */
			snprintf(dir, sizeof(dir), "%s/%s", pp->data_dir,
			    de->d_name);
			(void)berth_sweep_tmp(dir);
			load_one(pp, de->d_name);
		}
	closedir(d);
	return 0;
}
