/*
 * pp_volume.c - a VolumeDriver plugin as a volume/1 driver.  Bodies are
 * dockerd's, field for field (protocols.md C.4); a 200 answer with a
 * non-empty "Err" is a failure too, worded "VolumeDriver.<Op>: <Err>".
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <berth/json.h>
#include <berth/volume.h>

#include "plugin_proxy.h"

/* What a volume/1 callback needs, whatever its shape. */
struct vcall {
	struct pp_plugin	*p;
	char			 method[40];
	union {
		berth_volume_done_cb	 done;
		berth_volume_path_cb	 path;
		berth_volume_get_cb	 get;
		berth_volume_list_cb	 list;
		berth_volume_caps_cb	 caps;
	} cb;
	void			*arg;
	void			(*answer)(struct vcall *, json_object *);
};

static json_object *
req_name(const char *name, const char *id)
{
	json_object	*o = json_object_new_object();

	json_object_object_add(o, "Name", json_object_new_string(name));
	if (id != NULL)
		json_object_object_add(o, "ID", json_object_new_string(id));
	return o;
}

/* The failure of v, to whichever callback it has. */
static void
vcall_fail(struct vcall *v, int rc, const struct berth_err *err)
{
	if (v->answer == NULL || strcmp(v->method, "VolumeDriver.Create") == 0 ||
	    strcmp(v->method, "VolumeDriver.Remove") == 0 ||
	    strcmp(v->method, "VolumeDriver.Unmount") == 0)
		v->cb.done(v->arg, rc, err);
	else if (strcmp(v->method, "VolumeDriver.Get") == 0)
		v->cb.get(v->arg, rc, NULL, err);
	else if (strcmp(v->method, "VolumeDriver.List") == 0)
		v->cb.list(v->arg, rc, NULL, 0, err);
	else if (strcmp(v->method, "VolumeDriver.Capabilities") == 0)
		v->cb.caps(v->arg, rc, NULL, err);
	else
		v->cb.path(v->arg, rc, NULL, err);
}

static void
vcall_answered(void *arg, int rc, json_object *resp,
    const struct berth_err *err)
{
	struct vcall		*v = arg;
	struct berth_err	 e = BERTH_ERR_INIT;
	const char		*m;

	if (rc < 0)
		vcall_fail(v, rc, err);
	else if ((m = berth_json_str(resp, "Err")) != NULL && *m != '\0') {
		/* Get's failure means "no such volume" to the service. */
		berth_err_set(&e, strcmp(v->method, "VolumeDriver.Get") == 0 ?
		    -ENOENT : -EIO, "%s: %s", v->method, m);
		vcall_fail(v, e.code, &e);
	} else
		v->answer(v, resp);
	free(v);
}

static void
vcall(struct pp_plugin *p, const char *method, json_object *req,
    void (*answer)(struct vcall *, json_object *), void *cb, void *arg)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	struct vcall		*v;

	if ((v = calloc(1, sizeof(*v))) == NULL) {
		struct vcall tmp = { .answer = answer, .arg = arg };

		snprintf(tmp.method, sizeof(tmp.method), "%s", method);
		tmp.cb.done = (berth_volume_done_cb)cb;
		berth_err_set(&err, -ENOMEM, "out of memory");
		vcall_fail(&tmp, -ENOMEM, &err);
		json_object_put(req);
		return;
	}
	v->p = p;
	snprintf(v->method, sizeof(v->method), "%s", method);
	/* One pointer type stands for all: each answer casts back. */
	v->cb.done = (berth_volume_done_cb)cb;
	v->arg = arg;
	v->answer = answer;
	pp_call(p, PP_VOLUME, method, req, vcall_answered, v);
	json_object_put(req);
}

static void
answer_done(struct vcall *v, json_object *resp)
{
	v->cb.done(v->arg, 0, NULL);
}

static void
answer_path(struct vcall *v, json_object *resp)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	const char		*mp = berth_json_str(resp, "Mountpoint");

	if (mp == NULL || *mp != '/') {
		berth_err_set(&err, -EIO, "%s: the plugin gave no absolute "
		    "Mountpoint", v->method);
		v->cb.path(v->arg, -EIO, NULL, &err);
		return;
	}
	v->cb.path(v->arg, 0, mp, NULL);
}

static void
info_of(json_object *o, struct berth_volume_info *vi)
{
	json_object	*st = berth_json_get(o, "Status");

	vi->name = berth_json_str(o, "Name");
	vi->mountpoint = berth_json_str(o, "Mountpoint");
	vi->created_at = berth_json_str(o, "CreatedAt");
	vi->status = json_object_is_type(st, json_type_object) ? st : NULL;
	if (vi->mountpoint != NULL && *vi->mountpoint == '\0')
		vi->mountpoint = NULL;
}

static void
answer_get(struct vcall *v, json_object *resp)
{
	struct berth_err		err = BERTH_ERR_INIT;
	struct berth_volume_info	vi;
	json_object			*o = berth_json_get(resp, "Volume");

	info_of(o, &vi);
	if (vi.name == NULL) {
		berth_err_set(&err, -ENOENT, "%s: no such volume", v->method);
		v->cb.get(v->arg, -ENOENT, NULL, &err);
		return;
	}
	v->cb.get(v->arg, 0, &vi, NULL);
}

static void
answer_list(struct vcall *v, json_object *resp)
{
	struct berth_err		 err = BERTH_ERR_INIT;
	struct berth_volume_info	*vi;
	json_object			*a = berth_json_get(resp, "Volumes");
	size_t				 n = 0, i, k = 0;

	if (json_object_is_type(a, json_type_array))
		n = json_object_array_length(a);
	if ((vi = calloc(n + 1, sizeof(*vi))) == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		v->cb.list(v->arg, -ENOMEM, NULL, 0, &err);
		return;
	}
	for (i = 0; i < n; i++) {
		info_of(json_object_array_get_idx(a, i), &vi[k]);
		if (vi[k].name != NULL && *vi[k].name != '\0')
			k++;
	}
	v->cb.list(v->arg, 0, vi, k, NULL);
	free(vi);
}

static void
answer_caps(struct vcall *v, json_object *resp)
{
	const char	*scope = berth_json_str(berth_json_get(resp,
			    "Capabilities"), "Scope");

	/* Anything but "global" is local, as dockerd reads it. */
	scope = scope != NULL && strcmp(scope, "global") == 0 ? "global" :
	    "local";
	free(v->p->scope);
	v->p->scope = strdup(scope);
	v->cb.caps(v->arg, 0, scope, NULL);
}

static void
pv_create(void *st, const char *name, json_object *opts,
    berth_volume_done_cb done, void *arg)
{
	json_object	*req = req_name(name, NULL);

	/* "Opts" is null without -o; labels are the daemon's, not sent. */
	json_object_object_add(req, "Opts", opts != NULL ?
	    json_object_get(opts) : NULL);
	vcall(st, "VolumeDriver.Create", req, answer_done, (void *)done, arg);
}

static void
pv_remove(void *st, const char *name, berth_volume_done_cb done, void *arg)
{
	vcall(st, "VolumeDriver.Remove", req_name(name, NULL), answer_done,
	    (void *)done, arg);
}

static void
pv_mount(void *st, const char *name, const char *id,
    berth_volume_path_cb done, void *arg)
{
	vcall(st, "VolumeDriver.Mount", req_name(name, id), answer_path,
	    (void *)done, arg);
}

static void
pv_unmount(void *st, const char *name, const char *id,
    berth_volume_done_cb done, void *arg)
{
	vcall(st, "VolumeDriver.Unmount", req_name(name, id), answer_done,
	    (void *)done, arg);
}

static void
pv_path(void *st, const char *name, berth_volume_path_cb done, void *arg)
{
	vcall(st, "VolumeDriver.Path", req_name(name, NULL), answer_path,
	    (void *)done, arg);
}

static void
pv_get(void *st, const char *name, berth_volume_get_cb done, void *arg)
{
	vcall(st, "VolumeDriver.Get", req_name(name, NULL), answer_get,
	    (void *)done, arg);
}

static void
pv_list(void *st, berth_volume_list_cb done, void *arg)
{
	vcall(st, "VolumeDriver.List", json_object_new_object(), answer_list,
	    (void *)done, arg);
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
	    answer_caps, (void *)done, arg);
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
