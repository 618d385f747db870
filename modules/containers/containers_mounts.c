/*
 * containers_mounts.c - a container's mount points: -v (named, anonymous
 * and bind), --mount (volume, bind, tmpfs), the image's VOLUMEs and
 * --volumes-from, as Docker's MountPoint list (c->mounts, persisted in
 * config.v2.json as MountPoints).
 *
 * create:	parse (pure) -> volumes/1 ensure + use, one by one
 * start:	work job (bind sources created, the image's content at each
 *		volume's destination resolved inside the root) -> volumes/1
 *		mount, one by one -> OCI mounts for the spec
 * exit:	volumes/1 unmount, one by one
 * remove:	unuse; with -v or --rm, anonymous volumes removed
 * restart of berthd: use again; mount again for running containers
 *
 * Volumes go through the volumes service, found in the registry at each
 * call; binds and tmpfs need nothing but the spec.
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
#include <berth/volume.h>

#include "containers.h"

static const struct berth_volumes_ops *
mounts_svc(struct containers *cs, void **stp)
{
	return cs->h->lookup(cs->h, BERTH_VOLUMES_IFACE,
	    BERTH_VOLUMES_SERVICE, stp);
}

static json_object *
jstr(const char *s)
{
	return json_object_new_string(s != NULL ? s : "");
}

static const char *
mstr(json_object *m, const char *k)
{
	const char	*s = berth_json_str(m, k);

	return s != NULL ? s : "";
}

static int
mbool(json_object *m, const char *k)
{
	json_object	*v = berth_json_get(m, k);

	return v != NULL && json_object_get_boolean(v);
}

static int
is_propagation(const char *s)
{
	static const char *const p[] = { "shared", "rshared", "slave",
	    "rslave", "private", "rprivate", NULL };
	size_t	i;

	for (i = 0; p[i] != NULL; i++)
		if (strcmp(s, p[i]) == 0)
			return 1;
	return 0;
}

/* A clean absolute path (no trailing '/', no "//", no "." parts). */
static int
clean_path(const char *in, char *out, size_t len)
{
	const char	*p = in;
	size_t		 n = 0, k;

	if (in == NULL || in[0] != '/')
		return -EINVAL;
	while (*p != '\0') {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		k = strcspn(p, "/");
		if (k == 1 && p[0] == '.') {
			p += k;
			continue;
		}
		if (k == 2 && p[0] == '.' && p[1] == '.') {
			while (n > 0 && out[n - 1] != '/')
				n--;
			if (n > 0)
				n--;
			p += k;
			continue;
		}
		if (n + k + 2 > len)
			return -ENAMETOOLONG;
		out[n++] = '/';
		memcpy(out + n, p, k);
		n += k;
		p += k;
	}
	if (n == 0)
		out[n++] = '/';
	out[n] = '\0';
	return 0;
}

static json_object *
mp_new(const char *type, const char *dst)
{
	json_object	*m = json_object_new_object();

	json_object_object_add(m, "Type", jstr(type));
	json_object_object_add(m, "Name", jstr(""));
	json_object_object_add(m, "Source", jstr(""));
	json_object_object_add(m, "Destination", jstr(dst));
	json_object_object_add(m, "Driver", jstr(""));
	json_object_object_add(m, "Mode", jstr(""));
	json_object_object_add(m, "RW", json_object_new_boolean(1));
	json_object_object_add(m, "Propagation", jstr(""));
	return m;
}

static int
mp_add(json_object *list, json_object *m, struct berth_err *err)
{
	const char	*dst = mstr(m, "Destination");
	size_t		 i;

	for (i = 0; i < json_object_array_length(list); i++)
		if (strcmp(mstr(json_object_array_get_idx(list, i),
		    "Destination"), dst) == 0) {
			json_object_put(m);
			return berth_err_set(err, -EINVAL,
			    "Duplicate mount point: %s", dst);
		}
	json_object_array_add(list, m);
	return 0;
}

static int
mp_dest(const char *type, const char *in, char *out, size_t len,
    struct berth_err *err)
{
	if (in == NULL || *in == '\0')
		return berth_err_set(err, -EINVAL, "invalid mount config for "
		    "type \"%s\": field Target must not be empty", type);
	if (clean_path(in, out, len) < 0)
		return berth_err_set(err, -EINVAL, "invalid mount config for "
		    "type \"%s\": invalid mount path: '%s' mount path must be "
		    "absolute", type, in);
	if (strcmp(out, "/") == 0)
		return berth_err_set(err, -EINVAL, "invalid specification: "
		    "destination can't be '/'");
	return 0;
}

/* One HostConfig.Binds entry: src:dst[:mode] or a lone dst. */
static int
parse_bind(const char *spec, json_object *list, struct berth_err *err)
{
	char		 buf[PATH_MAX * 2 + 64], dst[PATH_MAX], src[PATH_MAX];
	char		 mode[128];
	char		*parts[4], *s, *tok, *sv;
	const char	*prop = NULL;
	json_object	*m;
	int		 n = 0, ro = 0, nocopy = 0, rc;

	if (snprintf(buf, sizeof(buf), "%s", spec) >= (int)sizeof(buf))
		return berth_err_set(err, -EINVAL, "invalid volume "
		    "specification: '%s'", spec);
	for (s = buf; n < 4; ) {
		parts[n++] = s;
		if ((s = strchr(s, ':')) == NULL)
			break;
		*s++ = '\0';
	}
	if (s != NULL || parts[0][0] == '\0' || (n > 1 && parts[1][0] == '\0'))
		return berth_err_set(err, -EINVAL, "invalid volume "
		    "specification: '%s'", spec);
	if (n == 3) {
		for (tok = strtok_r(parts[2], ",", &sv); tok != NULL;
		    tok = strtok_r(NULL, ",", &sv)) {
			if (strcmp(tok, "ro") == 0)
				ro = 1;
			else if (strcmp(tok, "rw") == 0)
				ro = 0;
			else if (strcmp(tok, "nocopy") == 0)
				nocopy = 1;
			else if (is_propagation(tok))
				prop = tok;
			else if (strcmp(tok, "z") != 0 &&
			    strcmp(tok, "Z") != 0 &&
			    strcmp(tok, "consistent") != 0 &&
			    strcmp(tok, "cached") != 0 &&
			    strcmp(tok, "delegated") != 0)
				return berth_err_set(err, -EINVAL,
				    "invalid mode: %s", tok);
		}
		snprintf(mode, sizeof(mode), "%s", spec + strlen(parts[0]) +
		    strlen(parts[1]) + 2);
	}
	if ((rc = mp_dest(parts[0][0] == '/' && n > 1 ? "bind" : "volume",
	    n == 1 ? parts[0] : parts[1], dst, sizeof(dst), err)) < 0)
		return rc;
	if (n == 1) {
		m = mp_new("volume", dst);
		json_object_object_add(m, "Anonymous",
		    json_object_new_boolean(1));
	} else if (parts[0][0] == '/') {
		if (nocopy)
			return berth_err_set(err, -EINVAL, "invalid mode: "
			    "nocopy");
		if (clean_path(parts[0], src, sizeof(src)) < 0)
			return berth_err_set(err, -EINVAL, "invalid volume "
			    "specification: '%s'", spec);
		m = mp_new("bind", dst);
		json_object_object_add(m, "Source", jstr(src));
		json_object_object_add(m, "Propagation",
		    jstr(prop != NULL ? prop : "rprivate"));
		json_object_object_add(m, "BindCreate",
		    json_object_new_boolean(1));
	} else {
		if (prop != NULL)
			return berth_err_set(err, -EINVAL, "invalid mode: %s",
			    prop);
		m = mp_new("volume", dst);
		json_object_object_add(m, "Name", jstr(parts[0]));
		json_object_object_add(m, "Mode", jstr("z"));
	}
	if (n == 3)
		json_object_object_add(m, "Mode", jstr(mode));
	json_object_object_add(m, "RW", json_object_new_boolean(!ro));
	if (nocopy)
		json_object_object_add(m, "NoCopy", json_object_new_boolean(1));
	return mp_add(list, m, err);
}

/* One HostConfig.Mounts entry (--mount). */
static int
parse_mount(json_object *in, json_object *list, struct berth_err *err)
{
	const char	*type = berth_json_str(in, "Type");
	const char	*src = berth_json_str(in, "Source");
	json_object	*o, *m;
	char		 dst[PATH_MAX], csrc[PATH_MAX];
	struct stat	 st;
	const char	*prop;
	int		 rc;

	if (type == NULL || (strcmp(type, "bind") != 0 &&
	    strcmp(type, "volume") != 0 && strcmp(type, "tmpfs") != 0))
		return berth_err_set(err, -EINVAL, "invalid mount config for "
		    "type \"%s\": mount type unknown", type != NULL ? type :
		    "");
	if ((rc = mp_dest(type, berth_json_str(in, "Target"), dst,
	    sizeof(dst), err)) < 0)
		return rc;
	m = mp_new(type, dst);
	json_object_object_add(m, "RW",
	    json_object_new_boolean(!mbool(in, "ReadOnly")));
	if (strcmp(type, "bind") == 0) {
		if (src == NULL || *src == '\0') {
			json_object_put(m);
			return berth_err_set(err, -EINVAL, "invalid mount "
			    "config for type \"bind\": field Source must not "
			    "be empty");
		}
		if (clean_path(src, csrc, sizeof(csrc)) < 0) {
			json_object_put(m);
			return berth_err_set(err, -EINVAL, "invalid mount "
			    "config for type \"bind\": invalid mount path: "
			    "'%s' mount path must be absolute", src);
		}
		/* A stat: --mount never creates the host path. */
		if (stat(csrc, &st) == -1) {
			json_object_put(m);
			return berth_err_set(err, -EINVAL, "invalid mount "
			    "config for type \"bind\": bind source path does "
			    "not exist: %s", csrc);
		}
		o = berth_json_get(in, "BindOptions");
		prop = berth_json_str(o, "Propagation");
		if (prop != NULL && *prop != '\0' && !is_propagation(prop)) {
			json_object_put(m);
			return berth_err_set(err, -EINVAL, "invalid "
			    "propagation mode: %s", prop);
		}
		json_object_object_add(m, "Source", jstr(csrc));
		json_object_object_add(m, "Propagation", jstr(prop != NULL &&
		    *prop != '\0' ? prop : "rprivate"));
		if (mbool(o, "NonRecursive"))
			json_object_object_add(m, "NonRecursive",
			    json_object_new_boolean(1));
	} else if (strcmp(type, "volume") == 0) {
		o = berth_json_get(in, "VolumeOptions");
		if (src == NULL || *src == '\0')
			json_object_object_add(m, "Anonymous",
			    json_object_new_boolean(1));
		else
			json_object_object_add(m, "Name", jstr(src));
		if (mbool(o, "NoCopy"))
			json_object_object_add(m, "NoCopy",
			    json_object_new_boolean(1));
		if (berth_json_get(o, "Labels") != NULL)
			json_object_object_add(m, "Labels", json_object_get(
			    berth_json_get(o, "Labels")));
		o = berth_json_get(o, "DriverConfig");
		if (berth_json_str(o, "Name") != NULL)
			json_object_object_add(m, "Driver",
			    jstr(berth_json_str(o, "Name")));
		if (berth_json_get(o, "Options") != NULL)
			json_object_object_add(m, "DriverOpts",
			    json_object_get(berth_json_get(o, "Options")));
	} else {
		if (src != NULL && *src != '\0') {
			json_object_put(m);
			return berth_err_set(err, -EINVAL, "invalid mount "
			    "config for type \"tmpfs\": field Source must be "
			    "empty");
		}
		o = berth_json_get(in, "TmpfsOptions");
		if (berth_json_get(o, "SizeBytes") != NULL)
			json_object_object_add(m, "TmpfsSize",
			    json_object_new_int64(json_object_get_int64(
			    berth_json_get(o, "SizeBytes"))));
		if (berth_json_get(o, "Mode") != NULL)
			json_object_object_add(m, "TmpfsMode",
			    json_object_new_int(json_object_get_int(
			    berth_json_get(o, "Mode"))));
	}
	return mp_add(list, m, err);
}

/* --volumes-from ctr[:ro|:rw]: its volumes and binds, not its tmpfs. */
static int
parse_from(struct containers *cs, const char *spec, json_object *list,
    struct berth_err *err)
{
	char		 ref[CONTAINERS_NAME_MAX + 70], *colon;
	struct ctr	*o;
	json_object	*m, *copy;
	int		 mode = -1;
	size_t		 i;

	snprintf(ref, sizeof(ref), "%s", spec);
	if ((colon = strrchr(ref, ':')) != NULL) {
		*colon++ = '\0';
		if (strcmp(colon, "ro") == 0)
			mode = 0;
		else if (strcmp(colon, "rw") == 0)
			mode = 1;
		else
			return berth_err_set(err, -EINVAL,
			    "invalid mode for volumes-from: %s", colon);
	}
	if ((o = containers_find(cs, ref, err)) == NULL)
		return err->code;
	for (i = 0; o->mounts != NULL &&
	    i < json_object_array_length(o->mounts); i++) {
		m = json_object_array_get_idx(o->mounts, i);
		if (strcmp(mstr(m, "Type"), "tmpfs") == 0)
			continue;
		copy = NULL;
		if (json_object_deep_copy(m, &copy, NULL) < 0 || copy == NULL)
			return berth_err_set(err, -ENOMEM, "out of memory");
		/* Theirs, not ours: never removed with this container. */
		json_object_object_del(copy, "Anonymous");
		json_object_object_del(copy, "BindCreate");
		json_object_object_add(copy, "NoCopy",
		    json_object_new_boolean(1));
		if (mode >= 0)
			json_object_object_add(copy, "RW",
			    json_object_new_boolean(mode));
		if (mp_add(list, copy, err) < 0)
			return err->code;
	}
	return 0;
}

/*
 * HostConfig.VolumeDriver (--volume-driver) is the driver of the named
 * volumes of Binds and of anonymous volumes, list[from..to); --mount
 * names its own.
 */
static void
set_volume_driver(json_object *list, size_t from, size_t to, const char *drv)
{
	json_object	*m;

	for (; drv != NULL && *drv != '\0' && from < to; from++) {
		m = json_object_array_get_idx(list, from);
		if (strcmp(mstr(m, "Type"), "volume") == 0 &&
		    *mstr(m, "Driver") == '\0')
			json_object_object_add(m, "Driver", jstr(drv));
	}
}

/*
 * All of a new container's mount points, in Docker's precedence: Binds
 * and Mounts, then --volumes-from, then the image's and -v's anonymous
 * VOLUMEs where nothing else is mounted.  *out is new.
 */
int
containers_mounts_parse(struct containers *cs, json_object *cfg,
    json_object *hc, json_object **out, struct berth_err *err)
{
	json_object	*list = json_object_new_array(), *a, *vols, *m;
	const char	*drv;
	char		 dst[PATH_MAX];
	size_t		 i, k, n;
	int		 rc = 0, dup;

	a = berth_json_get(hc, "Binds");
	for (i = 0; rc == 0 && a != NULL &&
	    json_object_is_type(a, json_type_array) &&
	    i < json_object_array_length(a); i++)
		rc = parse_bind(json_object_get_string(
		    json_object_array_get_idx(a, i)), list, err);
	drv = berth_json_str(hc, "VolumeDriver");
	set_volume_driver(list, 0, json_object_array_length(list), drv);
	a = berth_json_get(hc, "Mounts");
	for (i = 0; rc == 0 && a != NULL &&
	    json_object_is_type(a, json_type_array) &&
	    i < json_object_array_length(a); i++)
		rc = parse_mount(json_object_array_get_idx(a, i), list, err);
	a = berth_json_get(hc, "VolumesFrom");
	for (i = 0; rc == 0 && a != NULL &&
	    json_object_is_type(a, json_type_array) &&
	    i < json_object_array_length(a); i++)
		rc = parse_from(cs, json_object_get_string(
		    json_object_array_get_idx(a, i)), list, err);
	vols = berth_json_get(cfg, "Volumes");
	n = json_object_array_length(list);
	if (rc == 0 && vols != NULL &&
	    json_object_is_type(vols, json_type_object)) {
		json_object_object_foreach(vols, k0, v0) {
			(void)v0;
			if (mp_dest("volume", k0, dst, sizeof(dst), err) < 0) {
				rc = err->code;
				break;
			}
			for (k = 0, dup = 0; k < json_object_array_length(list);
			    k++)
				dup |= strcmp(mstr(json_object_array_get_idx(
				    list, k), "Destination"), dst) == 0;
			if (dup)
				continue;
			m = mp_new("volume", dst);
			json_object_object_add(m, "Anonymous",
			    json_object_new_boolean(1));
			json_object_array_add(list, m);
		}
	}
	set_volume_driver(list, n, json_object_array_length(list), drv);
	if (rc < 0) {
		json_object_put(list);
		return rc;
	}
	*out = list;
	return 0;
}

/* Whether any mount point needs the volumes service. */
static int
mounts_need_svc(json_object *list)
{
	size_t	i;

	for (i = 0; list != NULL && i < json_object_array_length(list); i++)
		if (strcmp(mstr(json_object_array_get_idx(list, i), "Type"),
		    "volume") == 0)
			return 1;
	return 0;
}

/* --- create: ensure and use ------------------------------------------------- */

struct mjob {
	struct ctr	*c;
	size_t		 i;
	int		 rc;
	struct berth_err err;
	ctr_done_cb	 cb;
	void		*arg;
	const char	*rootfs;
	json_object	*oci;
	json_object	*copy;		/* per mount point: path or null */
	void		(*mcb)(void *, int, json_object *,
			    const struct berth_err *);
};

static void	create_next(struct mjob *);

static void
create_ensured(void *arg, int rc, const char *name, const struct berth_err *err)
{
	struct mjob			*j = arg;
	struct ctr			*c = j->c;
	const struct berth_volumes_ops	*vo;
	void				*vst;
	json_object			*m = json_object_array_get_idx(c->mounts,
	    j->i);

	if (rc < 0) {
		j->cb(j->arg, rc, err);
		ctr_unref(c);
		free(j);
		return;
	}
	json_object_object_add(m, "Name", jstr(name));
	if (*mstr(m, "Driver") == '\0')
		json_object_object_add(m, "Driver", jstr("local"));
	if ((vo = mounts_svc(c->cs, &vst)) == NULL ||
	    (rc = vo->use(vst, name, c->id, &j->err)) < 0) {
		if (vo == NULL)
			berth_err_set(&j->err, -ENOENT, "the volumes service "
			    "went away");
		j->cb(j->arg, j->err.code, &j->err);
		ctr_unref(c);
		free(j);
		return;
	}
	j->i++;
	create_next(j);
}

static void
create_next(struct mjob *j)
{
	struct ctr			*c = j->c;
	const struct berth_volumes_ops	*vo;
	void				*vst;
	json_object			*m;
	const char			*drv;

	for (; j->i < json_object_array_length(c->mounts); j->i++) {
		m = json_object_array_get_idx(c->mounts, j->i);
		if (strcmp(mstr(m, "Type"), "volume") != 0)
			continue;
		if ((vo = mounts_svc(c->cs, &vst)) == NULL)
			break;
		drv = mstr(m, "Driver");
		vo->ensure(vst, mbool(m, "Anonymous") ? NULL : mstr(m, "Name"),
		    *drv != '\0' ? drv : NULL, berth_json_get(m, "DriverOpts"),
		    berth_json_get(m, "Labels"), create_ensured, j);
		return;
	}
	j->cb(j->arg, 0, NULL);
	ctr_unref(c);
	free(j);
}

/*
 * Make c's volumes exist and declare c their user, one after another,
 * then cb.  Without the volumes service, a container that needs a
 * volume is refused with 501 rather than run without it.
 */
void
containers_mounts_create(struct ctr *c, ctr_done_cb cb, void *arg)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	struct mjob		*j;
	void			*vst;

	if (mounts_need_svc(c->mounts) && mounts_svc(c->cs, &vst) == NULL) {
		berth_err_set(&err, -ENOTSUP, "volumes (-v name:/path, "
		    "--mount type=volume, image VOLUMEs) need the volumes "
		    "module, which is not loaded");
		cb(arg, -ENOTSUP, &err);
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		cb(arg, -ENOMEM, &err);
		return;
	}
	j->c = c;
	ctr_ref(c);
	j->cb = cb;
	j->arg = arg;
	create_next(j);
}

/* --- release, restore ---------------------------------------------------------- */

static void
release_removed(void *arg, int rc, const struct berth_err *err)
{
	struct ctr	*c = arg;

	/* Still used (--volumes-from): kept, as Docker keeps it. */
	if (rc < 0 && rc != -ENOENT && rc != -EBUSY)
		c->cs->h->log(c->cs->h, BERTH_LOG_WARN,
		    "container %.12s: removing its volume: %s", c->id,
		    err != NULL ? err->msg : strerror(-rc));
	ctr_unref(c);
}

/* c is gone: drop its uses; with rm -v or --rm, its anonymous volumes. */
void
containers_mounts_release(struct ctr *c, int remove_anon)
{
	const struct berth_volumes_ops	*vo;
	void				*vst;
	json_object			*m;
	size_t				 i;

	if ((vo = mounts_svc(c->cs, &vst)) == NULL)
		return;
	for (i = 0; c->mounts != NULL &&
	    i < json_object_array_length(c->mounts); i++) {
		m = json_object_array_get_idx(c->mounts, i);
		if (strcmp(mstr(m, "Type"), "volume") != 0 ||
		    *mstr(m, "Name") == '\0')
			continue;
		vo->unuse(vst, mstr(m, "Name"), c->id);
		if (remove_anon && mbool(m, "Anonymous")) {
			ctr_ref(c);
			vo->remove(vst, mstr(m, "Name"), 0, release_removed, c);
		}
	}
}

static void
restore_mounted(void *arg, int rc, const char *path,
    const struct berth_err *err)
{
	struct ctr	*c = arg;

	if (rc < 0)
		c->cs->h->log(c->cs->h, BERTH_LOG_WARN,
		    "container %.12s: volume mount at restore: %s", c->id,
		    err != NULL ? err->msg : strerror(-rc));
	ctr_unref(c);
}

/*
 * At berthd's start: declare c's uses again; a container still running
 * holds its mounts, so the service and driver are told again too (the
 * local driver adopts a device it finds still mounted).
 */
static void	restore_do(struct ctr *, int, int);

/* The volumes module started after us: try once the loop runs. */
static void
restore_let_go(void *arg, int rc, const struct berth_err *err)
{
}

static void
restore_later_running(void *arg)
{
	struct ctr	*c = arg;
	int		 gone = !c->vols_mounted;

	if (!c->removed) {
		restore_do(c, 1, 1);
		/* It exited meanwhile: its devices are let go now. */
		if (gone)
			containers_mounts_unmount(c, restore_let_go, NULL);
	}
	ctr_unref(c);
}

static void
restore_later_idle(void *arg)
{
	struct ctr	*c = arg;

	if (!c->removed)
		restore_do(c, 0, 1);
	ctr_unref(c);
}

void
containers_mounts_restore(struct ctr *c, int running)
{
	restore_do(c, running, 0);
}

static void
restore_do(struct ctr *c, int running, int late)
{
	const struct berth_volumes_ops	*vo;
	void				*vst;
	struct berth_volumes_mount	 vm;
	struct berth_err		 err = BERTH_ERR_INIT;
	json_object			*m;
	size_t				 i;

	if (!mounts_need_svc(c->mounts))
		return;
	if ((vo = mounts_svc(c->cs, &vst)) == NULL) {
		/* Modules start in the file's order: maybe it comes next. */
		if (!late) {
			ctr_ref(c);
			if (running)
				c->vols_mounted = 1;
			if (c->cs->h->timer_add(c->cs->h, 0, running ?
			    restore_later_running : restore_later_idle, c) !=
			    NULL)
				return;
			ctr_unref(c);
		}
		c->cs->h->log(c->cs->h, BERTH_LOG_WARN, "container %.12s: "
		    "its volumes are not held: no volumes service", c->id);
		return;
	}
	for (i = 0; i < json_object_array_length(c->mounts); i++) {
		m = json_object_array_get_idx(c->mounts, i);
		if (strcmp(mstr(m, "Type"), "volume") != 0 ||
		    *mstr(m, "Name") == '\0')
			continue;
		if (vo->use(vst, mstr(m, "Name"), c->id, &err) < 0) {
			c->cs->h->log(c->cs->h, BERTH_LOG_WARN,
			    "container %.12s: %s", c->id, err.msg);
			continue;
		}
		if (!running)
			continue;
		memset(&vm, 0, sizeof(vm));
		vm.size = sizeof(vm);
		vm.name = mstr(m, "Name");
		vm.container = c->id;
		vm.destination = mstr(m, "Destination");
		vm.rw = mbool(m, "RW");
		vm.propagation = mstr(m, "Propagation");
		vm.restore = 1;
		ctr_ref(c);
		vo->mount(vst, &vm, restore_mounted, c);
	}
	if (running)
		c->vols_mounted = 1;
}

/* --- start: mount ----------------------------------------------------------- */

static json_object *
oci_bind(json_object *m, const char *src)
{
	json_object	*o = json_object_new_object(), *opts;
	const char	*prop = mstr(m, "Propagation");

	json_object_object_add(o, "destination", jstr(mstr(m, "Destination")));
	json_object_object_add(o, "type", jstr("bind"));
	json_object_object_add(o, "source", jstr(src));
	opts = json_object_new_array();
	json_object_array_add(opts, jstr(mbool(m, "NonRecursive") ? "bind" :
	    "rbind"));
	json_object_array_add(opts, jstr(*prop != '\0' ? prop : "rprivate"));
	if (!mbool(m, "RW"))
		json_object_array_add(opts, jstr("ro"));
	json_object_object_add(o, "options", opts);
	return o;
}

static json_object *
oci_tmpfs(json_object *m)
{
	json_object	*o = json_object_new_object(), *opts;
	char		 buf[64];

	json_object_object_add(o, "destination", jstr(mstr(m, "Destination")));
	json_object_object_add(o, "type", jstr("tmpfs"));
	json_object_object_add(o, "source", jstr("tmpfs"));
	opts = json_object_new_array();
	json_object_array_add(opts, jstr("nosuid"));
	json_object_array_add(opts, jstr("nodev"));
	json_object_array_add(opts, jstr("noexec"));
	if (!mbool(m, "RW"))
		json_object_array_add(opts, jstr("ro"));
	if (json_object_get_int64(berth_json_get(m, "TmpfsSize")) > 0) {
		snprintf(buf, sizeof(buf), "size=%lld", (long long)
		    json_object_get_int64(berth_json_get(m, "TmpfsSize")));
		json_object_array_add(opts, jstr(buf));
	}
	if (berth_json_get(m, "TmpfsMode") != NULL) {
		snprintf(buf, sizeof(buf), "mode=%o",
		    json_object_get_int(berth_json_get(m, "TmpfsMode")));
		json_object_array_add(opts, jstr(buf));
	}
	json_object_object_add(o, "options", opts);
	return o;
}

/*
 * The host path of dst inside root, every part resolved in the root (an
 * image's symlink can never point the copy at a host directory).
 */
static int
resolve_in_root(const char *root, const char *dst, char *out, size_t len)
{
	char		 fdp[64];
	ssize_t		 n;
	int		 rfd, fd;

	if ((rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -errno;
	fd = berth_open_in_root(rfd, dst, O_PATH, 0);
	close(rfd);
	if (fd < 0)
		return fd;
	snprintf(fdp, sizeof(fdp), "/proc/self/fd/%d", fd);
	n = readlink(fdp, out, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	out[n] = '\0';
	if (strncmp(out, root, strlen(root)) != 0)
		return -EXDEV;
	return 0;
}

/* Worker: bind sources -v names are created; image paths resolved. */
static void
mount_prep_work(void *arg)
{
	struct mjob	*j = arg;
	json_object	*m;
	char		 p[PATH_MAX], *s;
	const char	*src;
	size_t		 i;

	for (i = 0; i < json_object_array_length(j->copy); i++) {
		m = json_object_array_get_idx(j->copy, i);
		if (mbool(m, "BindCreate")) {
			src = mstr(m, "Source");
			snprintf(p, sizeof(p), "%s", src);
			for (s = p + 1; (s = strchr(s, '/')) != NULL; s++) {
				*s = '\0';
				(void)mkdir(p, 0755);
				*s = '/';
			}
			if (mkdir(p, 0755) == -1 && errno != EEXIST) {
				j->rc = berth_err_errno(&j->err, "error while "
				    "creating mount source path '%s'", src);
				return;
			}
		}
		if (strcmp(mstr(m, "Type"), "volume") == 0 &&
		    !mbool(m, "NoCopy") && resolve_in_root(j->rootfs,
		    mstr(m, "Destination"), p, sizeof(p)) == 0)
			json_object_object_add(m, "CopyFrom", jstr(p));
	}
}

static void	mount_next(struct mjob *);

static void
mount_finish(struct mjob *j, int rc, const struct berth_err *err)
{
	j->mcb(j->arg, rc, rc < 0 ? NULL : j->oci, err);
	json_object_put(j->oci);
	json_object_put(j->copy);
	ctr_unref(j->c);
	free(j);
}

static void
mount_done(void *arg, int rc, const char *path, const struct berth_err *err)
{
	struct mjob	*j = arg;
	json_object	*m = json_object_array_get_idx(j->c->mounts, j->i);

	if (rc < 0) {
		mount_finish(j, rc, err);
		return;
	}
	json_object_object_add(m, "Source", jstr(path));
	json_object_array_add(j->oci, oci_bind(m, path));
	j->i++;
	mount_next(j);
}

static void
mount_next(struct mjob *j)
{
	struct ctr			*c = j->c;
	const struct berth_volumes_ops	*vo;
	void				*vst;
	struct berth_volumes_mount	 vm;
	struct berth_err		 err = BERTH_ERR_INIT;
	json_object			*m, *cm;
	const char			*type, *cf;

	for (; j->i < json_object_array_length(c->mounts); j->i++) {
		m = json_object_array_get_idx(c->mounts, j->i);
		type = mstr(m, "Type");
		if (strcmp(type, "bind") == 0) {
			json_object_array_add(j->oci, oci_bind(m,
			    mstr(m, "Source")));
			continue;
		}
		if (strcmp(type, "tmpfs") == 0) {
			json_object_array_add(j->oci, oci_tmpfs(m));
			continue;
		}
		if ((vo = mounts_svc(c->cs, &vst)) == NULL) {
			berth_err_set(&err, -ENOTSUP, "volumes need the "
			    "volumes module, which is not loaded");
			mount_finish(j, -ENOTSUP, &err);
			return;
		}
		cm = json_object_array_get_idx(j->copy, j->i);
		cf = berth_json_str(cm, "CopyFrom");
		memset(&vm, 0, sizeof(vm));
		vm.size = sizeof(vm);
		vm.name = mstr(m, "Name");
		vm.container = c->id;
		vm.destination = mstr(m, "Destination");
		vm.rw = mbool(m, "RW");
		vm.propagation = mstr(m, "Propagation");
		vm.copy_from = cf;
		c->vols_mounted = 1;
		vo->mount(vst, &vm, mount_done, j);
		return;
	}
	mount_finish(j, 0, NULL);
}

static void
mount_prep_done(void *arg)
{
	struct mjob	*j = arg;

	if (j->rc < 0) {
		mount_finish(j, j->rc, &j->err);
		return;
	}
	mount_next(j);
}

/*
 * Mount c's volumes for a start, with rootfs mounted; mcb gets the OCI
 * mounts (borrowed) to add to the spec.
 */
void
containers_mounts_mount(struct ctr *c, const char *rootfs,
    void (*mcb)(void *, int, json_object *, const struct berth_err *),
    void *arg)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	struct mjob		*j;

	if ((j = calloc(1, sizeof(*j))) == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		mcb(arg, -ENOMEM, NULL, &err);
		return;
	}
	j->c = c;
	ctr_ref(c);
	j->mcb = mcb;
	j->arg = arg;
	j->rootfs = rootfs;
	j->oci = json_object_new_array();
	if (c->mounts == NULL)
		c->mounts = json_object_new_array();
	json_object_deep_copy(c->mounts, &j->copy, NULL);
	if (j->copy == NULL ||
	    c->cs->h->work(c->cs->h, mount_prep_work, mount_prep_done, j) < 0) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		mount_finish(j, -ENOMEM, &err);
	}
}

/* --- unmount ----------------------------------------------------------------- */

static void	unmount_next(struct mjob *);

static void
unmount_done(void *arg, int rc, const struct berth_err *err)
{
	struct mjob	*j = arg;

	if (rc < 0)
		j->c->cs->h->log(j->c->cs->h, BERTH_LOG_WARN,
		    "container %.12s: volume unmount: %s", j->c->id,
		    err != NULL ? err->msg : strerror(-rc));
	j->i++;
	unmount_next(j);
}

static void
unmount_next(struct mjob *j)
{
	struct ctr			*c = j->c;
	const struct berth_volumes_ops	*vo;
	void				*vst;
	json_object			*m;

	for (; j->i < json_object_array_length(c->mounts) &&
	    (vo = mounts_svc(c->cs, &vst)) != NULL; j->i++) {
		m = json_object_array_get_idx(c->mounts, j->i);
		if (strcmp(mstr(m, "Type"), "volume") != 0 ||
		    *mstr(m, "Name") == '\0')
			continue;
		vo->unmount(vst, mstr(m, "Name"), c->id, unmount_done, j);
		return;
	}
	j->cb(j->arg, 0, NULL);
	ctr_unref(c);
	free(j);
}

/* Unmount c's volumes after its exit (or a failed start), then cb. */
void
containers_mounts_unmount(struct ctr *c, ctr_done_cb cb, void *arg)
{
	struct mjob	*j;

	if (!c->vols_mounted || c->mounts == NULL ||
	    (j = calloc(1, sizeof(*j))) == NULL) {
		cb(arg, 0, NULL);
		return;
	}
	c->vols_mounted = 0;
	j->c = c;
	ctr_ref(c);
	j->cb = cb;
	j->arg = arg;
	unmount_next(j);
}

/* --- inspect ------------------------------------------------------------------ */

/* Docker's Mounts: Type, Name, Source, Destination, Driver, Mode, RW... */
json_object *
containers_mounts_inspect(const struct ctr *c)
{
	json_object	*a = json_object_new_array(), *m, *o;
	size_t		 i;
	const char	*type;

	for (i = 0; c->mounts != NULL &&
	    i < json_object_array_length(c->mounts); i++) {
		m = json_object_array_get_idx(c->mounts, i);
		type = mstr(m, "Type");
		o = json_object_new_object();
		json_object_object_add(o, "Type", jstr(type));
		if (strcmp(type, "volume") == 0)
			json_object_object_add(o, "Name", jstr(mstr(m, "Name")));
		json_object_object_add(o, "Source", jstr(mstr(m, "Source")));
		json_object_object_add(o, "Destination",
		    jstr(mstr(m, "Destination")));
		if (strcmp(type, "volume") == 0)
			json_object_object_add(o, "Driver",
			    jstr(mstr(m, "Driver")));
		json_object_object_add(o, "Mode", jstr(mstr(m, "Mode")));
		json_object_object_add(o, "RW",
		    json_object_new_boolean(mbool(m, "RW")));
		json_object_object_add(o, "Propagation",
		    jstr(mstr(m, "Propagation")));
		json_object_array_add(a, o);
	}
	return a;
}

/* docker ps --filter volume=x: a volume's name, a source or destination. */
int
containers_mounts_match(const struct ctr *c, const char *want)
{
	json_object	*m;
	size_t		 i;

	for (i = 0; c->mounts != NULL &&
	    i < json_object_array_length(c->mounts); i++) {
		m = json_object_array_get_idx(c->mounts, i);
		if (strcmp(mstr(m, "Name"), want) == 0 ||
		    strcmp(mstr(m, "Source"), want) == 0 ||
		    strcmp(mstr(m, "Destination"), want) == 0)
			return 1;
	}
	return 0;
}
