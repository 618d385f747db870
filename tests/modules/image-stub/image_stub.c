/*
 * image-stub - a test-only image/1 driver: one image, a root filesystem
 * directory given in its config, mounted as an overlay per container.
 * It lets the containers service run real containers in tests without
 * the images module (and measures the service, not the image store).
 *
 *   config:
 *     rootfs: /path/to/rootfs	(required)
 *     ref: busybox		(the name it answers to; also ref:latest)
 */
#include <sys/mount.h>
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <berth/host.h>
#include <berth/image.h>
#include <berth/json.h>
#include <berth/module.h>

#define STUB_ID	"sha256:5eb5b5eb5b5eb5b5eb5b5eb5b5eb5b5eb5b5eb5b5eb5b5eb5b5eb5b5eb5b5eb5"

struct stub {
	const struct berth_host	*h;
	char			*rootfs;
	char			*ref;
	char			*dir;		/* <data-root>/image-stub */
	int			 users;
};

static struct stub	stub;

static int
stub_resolve(void *st, const char *ref, char *id, json_object **image,
    struct berth_err *err)
{
	char	full[512];

	snprintf(full, sizeof(full), "%s:latest", stub.ref);
	if (strcmp(ref, stub.ref) != 0 && strcmp(ref, full) != 0 &&
	    strcmp(ref, STUB_ID) != 0 && strcmp(ref, STUB_ID + 7) != 0)
		return berth_err_set(err, -ENOENT, "No such image: %s", ref);
	strcpy(id, STUB_ID);
	if (image != NULL)
		*image = json_tokener_parse("{\"architecture\":\"amd64\","
		    "\"os\":\"linux\",\"config\":{\"Cmd\":[\"sh\"],\"Env\":"
		    "[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:"
		    "/usr/bin:/sbin:/bin\"]}}");
	return 0;
}

static int
stub_use(void *st, const char *id, const char *user, struct berth_err *err)
{
	stub.users++;
	return 0;
}

static void
stub_unuse(void *st, const char *id, const char *user)
{
	stub.users--;
}

struct job {
	char			 owner[65];
	char			 path[PATH_MAX];
	int			 op;	/* 0 mount, 1 unmount, 2 remove */
	int			 rc;
	berth_image_path_cb	 pcb;
	berth_image_done_cb	 dcb;
	void			*arg;
};

static int
rm_rf(const char *p)
{
	char	cmd[PATH_MAX + 32];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", p);
	return system(cmd) == 0 ? 0 : -EIO;
}

static void
job_work(void *arg)
{
	struct job	*j = arg;
	char		 base[PATH_MAX - 16], up[PATH_MAX], wk[PATH_MAX];
	char		 opts[3 * PATH_MAX];

	snprintf(base, sizeof(base), "%s/%s", stub.dir, j->owner);
	snprintf(j->path, sizeof(j->path), "%s/merged", base);
	snprintf(up, sizeof(up), "%s/upper", base);
	snprintf(wk, sizeof(wk), "%s/work", base);
	if (j->op == 0) {
		mkdir(stub.dir, 0700);
		mkdir(base, 0700);
		mkdir(j->path, 0755);
		mkdir(up, 0755);
		mkdir(wk, 0700);
		snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s,workdir=%s",
		    stub.rootfs, up, wk);
		if (mount("overlay", j->path, "overlay", 0, opts) == -1 &&
		    errno != EBUSY)
			j->rc = -errno;
		return;
	}
	if (umount2(j->path, MNT_DETACH) == -1 && errno != EINVAL &&
	    errno != ENOENT)
		j->rc = -errno;
	if (j->op == 2)
		(void)rm_rf(base);
}

static void
job_done(void *arg)
{
	struct job		*j = arg;
	struct berth_err	 err = BERTH_ERR_INIT;

	if (j->rc < 0)
		berth_err_set(&err, j->rc, "image-stub: %s", strerror(-j->rc));
	if (j->op == 0)
		j->pcb(j->arg, j->rc, j->rc < 0 ? NULL : j->path, &err);
	else
		j->dcb(j->arg, j->rc, &err);
	free(j);
}

static void
stub_job(int op, const char *owner, berth_image_path_cb pcb,
    berth_image_done_cb dcb, void *arg)
{
	struct job	*j = calloc(1, sizeof(*j));

	if (j == NULL) {
		if (pcb != NULL)
			pcb(arg, -ENOMEM, NULL, NULL);
		else
			dcb(arg, -ENOMEM, NULL);
		return;
	}
	snprintf(j->owner, sizeof(j->owner), "%s", owner);
	j->op = op;
	j->pcb = pcb;
	j->dcb = dcb;
	j->arg = arg;
	if (stub.h->work(stub.h, job_work, job_done, j) < 0) {
		j->rc = -EAGAIN;
		job_done(j);
	}
}

static void
stub_mount(void *st, const char *id, const char *owner,
    berth_image_path_cb done, void *arg)
{
	stub_job(0, owner, done, NULL, arg);
}

static void
stub_unmount(void *st, const char *owner, berth_image_done_cb done, void *arg)
{
	stub_job(1, owner, NULL, done, arg);
}

static void
stub_remove(void *st, const char *owner, berth_image_done_cb done, void *arg)
{
	stub_job(2, owner, NULL, done, arg);
}

static int
stub_paths(void *st, const char *owner, char *merged, char *upper, size_t len)
{
	snprintf(merged, len, "%s/%s/merged", stub.dir, owner);
	snprintf(upper, len, "%s/%s/upper", stub.dir, owner);
	return 0;
}

static const struct berth_image_ops stub_ops = {
	.size = sizeof(struct berth_image_ops),
	.resolve = stub_resolve,
	.use = stub_use,
	.unuse = stub_unuse,
	.rootfs_mount = stub_mount,
	.rootfs_unmount = stub_unmount,
	.rootfs_remove = stub_remove,
	.rootfs_paths = stub_paths,
};

static const struct berth_conf_key stub_keys[] = {
	{ "rootfs",	BERTH_CONF_PATH,	"the image's root filesystem" },
	{ "ref",	BERTH_CONF_STRING,	"the name it answers to" },
	{ NULL, 0, NULL }
};

static int
stub_init(const struct berth_host *h, const struct berth_conf *conf,
    void **statep, struct berth_err *err)
{
	json_object	*c = h->conf_json(conf);
	const char	*r = berth_json_str(c, "rootfs");
	const char	*ref = berth_json_str(c, "ref");
	char		 p[PATH_MAX];

	if (r == NULL)
		return berth_err_set(err, -EINVAL, "image-stub: rootfs: needed");
	stub.h = h;
	stub.rootfs = strdup(r);
	stub.ref = strdup(ref != NULL ? ref : "busybox");
	snprintf(p, sizeof(p), "%s/image-stub", h->data_root(h));
	stub.dir = strdup(p);
	*statep = &stub;
	return h->provide(h, BERTH_IMAGE_IFACE, BERTH_IMAGE_DRIVER, &stub_ops,
	    &stub, err);
}

static void
stub_fini(void *state)
{
	free(stub.rootfs);
	free(stub.ref);
	free(stub.dir);
}

BERTH_MODULE = {
	.abi = BERTH_ABI_INIT,
	.name = "image-stub",
	.version = "0.1.0",
	.provides = (const char *const[]){ BERTH_IMAGE_IFACE, NULL },
	.conf = stub_keys,
	.init = stub_init,
	.fini = stub_fini,
};
