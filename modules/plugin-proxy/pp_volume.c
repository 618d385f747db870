/*
 * pp_volume.c - a VolumeDriver plugin as a volume/1 driver.  Bodies are
 * dockerd's, field for field (protocols.md C.4); a 200 answer with a
 * non-empty "Err" is a failure too, worded "VolumeDriver.<Op>: <Err>"
 * (pp_ask).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <berth/json.h>
#include <berth/volume.h>

#include "plugin_proxy.h"

static json_object *
req_name(const char *name, const char *id)
{
	json_object	*o = json_object_new_object();

	json_object_object_add(o, "Name", json_object_new_string(name));
	if (id != NULL)
		json_object_object_add(o, "ID", json_object_new_string(id));
	return o;
}

/*
 * A managed plugin answers with paths as it sees them: one inside its
 * PropagatedMount is <plugin dir>/propagated-mount/<rest> on the host,
 * any other is inside its rootfs (dockerd's rule).  A legacy plugin's
 * paths are the host's already.
 */
static const char *
host_path(const struct pp_plugin *p, const char *mp, char *out, size_t len)
{
	const char	*pm;
	size_t		 n;

	if (p->m == NULL || mp == NULL)
		return mp;
	pm = berth_json_str(p->m->config, "PropagatedMount");
	n = pm != NULL ? strlen(pm) : 0;
	while (n > 1 && pm[n - 1] == '/')
		n--;
	if (n > 0 && strncmp(mp, pm, n) == 0 && (mp[n] == '/' ||
	    mp[n] == '\0'))
		snprintf(out, len, "%s/%s/propagated-mount%s", p->pp->data_dir,
		    p->m->id, mp + n);
	else
		snprintf(out, len, "%s/%s/rootfs%s", p->pp->data_dir, p->m->id,
		    mp);
	return out;
}

static void
answer_done(const struct pp_ask *v, json_object *resp)
{
	((berth_volume_done_cb)v->cb)(v->arg, 0, NULL);
}

static void
answer_path(const struct pp_ask *v, json_object *resp)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	const char		*mp = berth_json_str(resp, "Mountpoint");
	char			 buf[PATH_MAX];

	if (mp == NULL || *mp != '/' || strstr(mp, "/../") != NULL ||
	    (strlen(mp) >= 3 && strcmp(mp + strlen(mp) - 3, "/..") == 0)) {
		berth_err_set(&err, -EIO, "%s: the plugin gave no absolute "
		    "Mountpoint", v->method);
		((berth_volume_path_cb)v->cb)(v->arg, -EIO, NULL, &err);
		return;
	}
	((berth_volume_path_cb)v->cb)(v->arg, 0, host_path(v->p, mp, buf,
	    sizeof(buf)), NULL);
}

static void
info_of(const struct pp_plugin *p, json_object *o, struct berth_volume_info *vi,
    char *buf, size_t len)
{
	json_object	*st = berth_json_get(o, "Status");

	vi->name = berth_json_str(o, "Name");
	vi->mountpoint = berth_json_str(o, "Mountpoint");
	vi->created_at = berth_json_str(o, "CreatedAt");
	vi->status = json_object_is_type(st, json_type_object) ? st : NULL;
	if (vi->mountpoint != NULL && *vi->mountpoint != '/')
		vi->mountpoint = NULL;
	vi->mountpoint = host_path(p, vi->mountpoint, buf, len);
}

static void
answer_get(const struct pp_ask *v, json_object *resp)
{
	struct berth_err		err = BERTH_ERR_INIT;
	struct berth_volume_info	vi;
	json_object			*o = berth_json_get(resp, "Volume");
	char				 buf[PATH_MAX];

	info_of(v->p, o, &vi, buf, sizeof(buf));
	if (vi.name == NULL) {
		berth_err_set(&err, -ENOENT, "%s: no such volume", v->method);
		((berth_volume_get_cb)v->cb)(v->arg, -ENOENT, NULL, &err);
		return;
	}
	((berth_volume_get_cb)v->cb)(v->arg, 0, &vi, NULL);
}

static void
answer_list(const struct pp_ask *v, json_object *resp)
{
	struct berth_err		 err = BERTH_ERR_INIT;
	struct berth_volume_info	*vi;
	json_object			*a = berth_json_get(resp, "Volumes");
	char				(*bufs)[PATH_MAX] = NULL;
	size_t				 n = 0, i, k = 0;

	if (json_object_is_type(a, json_type_array))
		n = json_object_array_length(a);
	if ((vi = calloc(n + 1, sizeof(*vi))) == NULL ||
	    (bufs = calloc(n + 1, sizeof(*bufs))) == NULL) {
		free(vi);
		berth_err_set(&err, -ENOMEM, "out of memory");
		((berth_volume_list_cb)v->cb)(v->arg, -ENOMEM, NULL, 0, &err);
		return;
	}
	for (i = 0; i < n; i++) {
		info_of(v->p, json_object_array_get_idx(a, i), &vi[k], bufs[k],
		    sizeof(bufs[k]));
		if (vi[k].name != NULL && *vi[k].name != '\0')
			k++;
	}
	((berth_volume_list_cb)v->cb)(v->arg, 0, vi, k, NULL);
	free(vi);
	free(bufs);
}

static void
answer_caps(const struct pp_ask *v, json_object *resp)
{
	const char	*scope = berth_json_str(berth_json_get(resp,
			    "Capabilities"), "Scope");

	/* Anything but "global" is local, as dockerd reads it. */
	scope = scope != NULL && strcmp(scope, "global") == 0 ? "global" :
	    "local";
	free(v->p->scope);
	v->p->scope = strdup(scope);
	((berth_volume_caps_cb)v->cb)(v->arg, 0, scope, NULL);
}

static void
fail_done(const struct pp_ask *v, int rc, const struct berth_err *err)
{
	((berth_volume_done_cb)v->cb)(v->arg, rc, err);
}

static void
fail_path(const struct pp_ask *v, int rc, const struct berth_err *err)
{
	((berth_volume_path_cb)v->cb)(v->arg, rc, NULL, err);
}

static void
fail_get(const struct pp_ask *v, int rc, const struct berth_err *err)
{
	((berth_volume_get_cb)v->cb)(v->arg, rc, NULL, err);
}

static void
fail_list(const struct pp_ask *v, int rc, const struct berth_err *err)
{
	((berth_volume_list_cb)v->cb)(v->arg, rc, NULL, 0, err);
}

static void
fail_caps(const struct pp_ask *v, int rc, const struct berth_err *err)
{
	((berth_volume_caps_cb)v->cb)(v->arg, rc, NULL, err);
}

static const struct pp_shape done_shape = { answer_done, fail_done, 0, 0 };
static const struct pp_shape path_shape = { answer_path, fail_path, 0, 0 };
/* Get's failure means "no such volume" to the service. */
static const struct pp_shape get_shape = { answer_get, fail_get, -ENOENT, 0 };
static const struct pp_shape list_shape = { answer_list, fail_list, 0, 0 };
static const struct pp_shape caps_shape = { answer_caps, fail_caps, 0, 0 };

static void
vcall(struct pp_plugin *p, const char *method, json_object *req,
    const struct pp_shape *shape, void (*cb)(void), void *arg)
{
	pp_ask(p, PP_VOLUME, method, req, shape, cb, arg);
}

static void
pv_create(void *st, const char *name, json_object *opts,
    berth_volume_done_cb done, void *arg)
{
	json_object	*req = req_name(name, NULL);

	/* "Opts" is null without -o; labels are the daemon's, not sent. */
	json_object_object_add(req, "Opts", opts != NULL ?
	    json_object_get(opts) : NULL);
	vcall(st, "VolumeDriver.Create", req, &done_shape,
	    (void (*)(void))done, arg);
}

static void
pv_remove(void *st, const char *name, berth_volume_done_cb done, void *arg)
{
	vcall(st, "VolumeDriver.Remove", req_name(name, NULL), &done_shape,
	    (void (*)(void))done, arg);
}

static void
pv_mount(void *st, const char *name, const char *id,
    berth_volume_path_cb done, void *arg)
{
	vcall(st, "VolumeDriver.Mount", req_name(name, id), &path_shape,
	    (void (*)(void))done, arg);
}

static void
pv_unmount(void *st, const char *name, const char *id,
    berth_volume_done_cb done, void *arg)
{
	vcall(st, "VolumeDriver.Unmount", req_name(name, id), &done_shape,
	    (void (*)(void))done, arg);
}

static void
pv_path(void *st, const char *name, berth_volume_path_cb done, void *arg)
{
	vcall(st, "VolumeDriver.Path", req_name(name, NULL), &path_shape,
	    (void (*)(void))done, arg);
}

static void
pv_get(void *st, const char *name, berth_volume_get_cb done, void *arg)
{
	vcall(st, "VolumeDriver.Get", req_name(name, NULL), &get_shape,
	    (void (*)(void))done, arg);
}

static void
pv_list(void *st, berth_volume_list_cb done, void *arg)
{
	vcall(st, "VolumeDriver.List", json_object_new_object(), &list_shape,
	    (void (*)(void))done, arg);
}

static void
pv_capabilities(void *st, berth_volume_caps_cb done, void *arg)
{
	struct pp_plugin	*p = st;

	/* Asked once per plugin, as dockerd caches it. */
	if (p->scope != NULL) {
		done(arg, 0, p->scope, NULL);
		return;
	}
	vcall(st, "VolumeDriver.Capabilities", json_object_new_object(),
	    &caps_shape, (void (*)(void))done, arg);
}

const struct berth_volume_ops pp_volume_ops = {
	.size = sizeof(struct berth_volume_ops),
	.create = pv_create,
	.remove = pv_remove,
	.mount = pv_mount,
	.unmount = pv_unmount,
	.path = pv_path,
	.get = pv_get,
	.list = pv_list,
	.capabilities = pv_capabilities,
};
