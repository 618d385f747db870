/*
 * plugin-proxy - Docker's out-of-process plugins as berth drivers.
 *
 * It provides one resolver (berth/resolver.h): asked for a volume/1,
 * network/1, ipam/1 or authz/1 driver nobody registered, it answers
 * with an adapter bound to a plugin of that name, which is found and
 * activated on its first call (pp_plugin.c).  Services never know a
 * driver is a plugin.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <berth/authz.h>
#include <berth/fs.h>
#include <berth/host.h>
#include <berth/ipam.h>
#include <berth/json.h>
#include <berth/module.h>
#include <berth/network.h>
#include <berth/resolver.h>
#include <berth/volume.h>

#include "plugin_proxy.h"

#define PP_SOCK_DIR		"/run/docker/plugins"
#define PP_LOOKUP_S		30

static const char *const pp_spec_dirs[] = { "/etc/docker/plugins",
    "/usr/lib/docker/plugins", NULL };

static const struct berth_conf_key pp_conf[] = {
	{ "socket-dir", BERTH_CONF_PATH,
	    "where legacy plugins' sockets are (/run/docker/plugins)" },
	{ "spec-dirs", BERTH_CONF_LIST,
	    "where .spec and .json files are (/etc/docker/plugins, "
	    "/usr/lib/docker/plugins)" },
	{ "lookup-timeout", BERTH_CONF_INT,
	    "seconds to wait for a plugin to appear or answer (30)" },
	{ "timeouts", BERTH_CONF_MAP,
	    "seconds per call: \"Method\" or \"plugin/Method\" keys" },
	{ "privileges", BERTH_CONF_MAP,
	    "the privileges managed plugins may be given: name -> [values]" },
	{ NULL, 0, NULL },
};

/* dockerd's own limits for volume calls; everything else gets 60 s. */
static long
default_timeout_ms(const char *method)
{
	if (strcmp(method, "VolumeDriver.Create") == 0 ||
	    strcmp(method, "VolumeDriver.Mount") == 0)
		return 120000;
	return 60000;
}

long
pp_timeout_ms(const struct pp *pp, const char *plugin, const char *method)
{
	char	key[PP_NAME_MAX + 64];
	size_t	i;

	snprintf(key, sizeof(key), "%s/%s", plugin, method);
	for (i = 0; i < pp->ntimeouts; i++)
		if (strcmp(pp->timeouts[i].key, key) == 0)
			return pp->timeouts[i].ms;
	for (i = 0; i < pp->ntimeouts; i++)
		if (strcmp(pp->timeouts[i].key, method) == 0)
			return pp->timeouts[i].ms;
	return default_timeout_ms(method);
}

static const void *
pp_resolve(void *st, const char *iface, const char *name, void **statep)
{
	struct pp		*pp = st;
	struct pp_plugin	*p;
	const void		*ops;

	if (strcmp(iface, BERTH_VOLUME_IFACE) == 0)
		ops = &pp_volume_ops;
	else if (strcmp(iface, BERTH_NETWORK_IFACE) == 0)
		ops = &pp_network_ops;
	else if (strcmp(iface, BERTH_IPAM_IFACE) == 0)
		ops = &pp_ipam_ops;
	else if (strcmp(iface, BERTH_AUTHZ_IFACE) == 0)
		ops = &pp_authz_ops;
	else
		return NULL;
	/* Managed plugins first: they shadow legacy ones of that name. */
	if (pp->stopping || ((p = pp_managed_find(pp, name)) == NULL &&
	    (p = pp_plugin_get(pp, name)) == NULL))
		return NULL;
	*statep = p;
	return ops;
}

/* GET /info: the drivers services list come from the registry; this
 * only has legacy plugins found and activated, as dockerd does. */
static void
pp_info(void *state, json_object *out)
{
	pp_scan(state);
}

static const struct berth_resolver_ops pp_resolver_ops = {
	.size = sizeof(struct berth_resolver_ops),
	.resolve = pp_resolve,
};

static void
pp_free(struct pp *pp)
{
	size_t	i;

	pp->stopping = 1;
	pp_plugin_free_all(pp);
	pp_http_free(pp->http);
	for (i = 0; pp->spec_dirs != NULL && pp->spec_dirs[i] != NULL; i++)
		free(pp->spec_dirs[i]);
	free(pp->spec_dirs);
	for (i = 0; i < pp->ntimeouts; i++)
		free(pp->timeouts[i].key);
	free(pp->timeouts);
	json_object_put(pp->policy);
	free(pp->sock_dir);
	free(pp->data_dir);
	free(pp->run_dir);
	free(pp);
}

static int
pp_configure(struct pp *pp, json_object *c, struct berth_err *err)
{
	json_object	*dirs = berth_json_get(c, "spec-dirs");
	json_object	*tos = berth_json_get(c, "timeouts");
	json_object	*lt = berth_json_get(c, "lookup-timeout");
	json_object	*pol;
	const char	*sd = berth_json_str(c, "socket-dir");
	size_t		 n, i;

	if ((pp->sock_dir = strdup(sd != NULL ? sd : PP_SOCK_DIR)) == NULL)
		return berth_err_set(err, -ENOMEM, "out of memory");
	pp->lookup_ms = (lt != NULL ? json_object_get_int64(lt) : PP_LOOKUP_S) *
	    1000;
	if (pp->lookup_ms < 0 || pp->lookup_ms > 3600 * 1000)
		return berth_err_set(err, -EINVAL, "lookup-timeout: between 0 "
		    "and 3600 seconds");
	n = dirs != NULL ? json_object_array_length(dirs) : 2;
	if ((pp->spec_dirs = calloc(n + 1, sizeof(char *))) == NULL)
		return berth_err_set(err, -ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		const char *d = dirs != NULL ? json_object_get_string(
		    json_object_array_get_idx(dirs, i)) : pp_spec_dirs[i];

		if (d == NULL || *d != '/')
			return berth_err_set(err, -EINVAL, "spec-dirs: "
			    "absolute paths only");
		if ((pp->spec_dirs[i] = strdup(d)) == NULL)
			return berth_err_set(err, -ENOMEM, "out of memory");
	}
	if ((pol = berth_json_get(c, "privileges")) != NULL) {
		json_object_object_foreach(pol, k, v) {
			if (!json_object_is_type(v, json_type_array))
				return berth_err_set(err, -EINVAL,
				    "privileges: %s: a list of the values "
				    "allowed", k);
		}
		pp->policy = json_object_get(pol);
	}
	if (tos == NULL)
		return 0;
	n = (size_t)json_object_object_length(tos);
	if ((pp->timeouts = calloc(n + 1, sizeof(*pp->timeouts))) == NULL)
		return berth_err_set(err, -ENOMEM, "out of memory");
	json_object_object_foreach(tos, k, v) {
		/* A map's scalars stay YAML text: "120" as well as 120. */
		const char	*t = json_object_get_string(v);
		char		*end = NULL;
		long		 s = t != NULL ? strtol(t, &end, 10) : 0;

		if (end == NULL || end == t || *end != '\0' || s <= 0 ||
		    s > 86400)
			return berth_err_set(err, -EINVAL, "timeouts: %s: "
			    "seconds, 1 to 86400", k);
		if ((pp->timeouts[pp->ntimeouts].key = strdup(k)) == NULL)
			return berth_err_set(err, -ENOMEM, "out of memory");
		pp->timeouts[pp->ntimeouts++].ms = (long)s * 1000;
	}
	return 0;
}

/*
 * <data-root>/plugins (records and rootfs; resolved, since libarchive
 * refuses to extract through a symlink anywhere in the path) and
 * <exec-root>/plugins (bundles and logs).
 */
static int
pp_dirs(struct pp *pp, struct berth_err *err)
{
	const struct berth_host	*h = pp->h;
	char			 p[PATH_MAX], real[PATH_MAX];
	int			 rc;

	snprintf(p, sizeof(p), "%s/plugins", h->data_root(h));
	if ((rc = berth_mkdirs(p, 0700)) < 0)
		return berth_err_set(err, rc, "%s: %s", p, strerror(-rc));
	if (realpath(p, real) == NULL)
		return berth_err_errno(err, "%s", p);
	if ((pp->data_dir = strdup(real)) == NULL)
		return berth_err_set(err, -ENOMEM, "out of memory");
	snprintf(p, sizeof(p), "%s/plugins", h->exec_root(h));
	if ((pp->run_dir = strdup(p)) == NULL)
		return berth_err_set(err, -ENOMEM, "out of memory");
	return 0;
}

static int
pp_init(const struct berth_host *h, const struct berth_conf *conf,
    void **statep, struct berth_err *err)
{
	struct pp		*pp;
	struct pp_plugin	*p;
	int			 rc;

	if ((pp = calloc(1, sizeof(*pp))) == NULL)
		return berth_err_set(err, -ENOMEM, "out of memory");
	pp->h = h;
	TAILQ_INIT(&pp->plugins);
	if ((rc = pp_configure(pp, h->conf_json(conf), err)) < 0 ||
	    (rc = pp_dirs(pp, err)) < 0 ||
	    (rc = (pp->http = pp_http_new(h)) == NULL ? berth_err_set(err,
	    -ENOMEM, "out of memory") : 0) < 0 ||
	    (rc = pp_managed_load(pp, err)) < 0 ||
	    (rc = pp_api_init(pp, err)) < 0 ||
	    (rc = h->provide(h, BERTH_RESOLVER_IFACE, "plugin-proxy",
	    &pp_resolver_ops, pp, err)) < 0 ||
	    (rc = h->hook(h, BERTH_HOOK_INFO, pp_info, pp, err)) < 0) {
		pp_free(pp);
		return rc;
	}
	/*
	 * Enabled plugins come back before any module after us (the
	 * containers service) restores a container; a call to a plugin
	 * still starting waits for it.
	 */
	TAILQ_FOREACH(p, &pp->plugins, entry)
		if (p->m != NULL && p->m->enabled)
			pp_run_restore(p);
	*statep = pp;
	return 0;
}

static void
pp_fini(void *state)
{
	pp_free(state);
}

BERTH_MODULE = {
	.abi = BERTH_ABI_INIT,
	.name = "plugin-proxy",
	.version = "0.1.0",
	.provides = (const char *const[]){ BERTH_RESOLVER_IFACE, NULL },
	.conf = pp_conf,
	.init = pp_init,
	.fini = pp_fini,
};
