/*
 * images - the images service: the /images API, the image store under
 * <data-root>/images, and root filesystems for containers through the
 * "image/1" interface (sdk/include/berth/image.h).
 *
 * This file starts and stops it: the routes, the provider, the /info
 * contribution.  See images.h for how the pieces fit.
 */
#include <sys/statfs.h>
#include <sys/utsname.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <berth/module.h>

#include "images.h"

static const struct berth_route images_routes[] = {
	{ BERTH_GET,	"/images/json",			NULL,
	    images_list, 0, 0 },
	{ BERTH_POST,	"/images/create",		NULL,
	    images_import, BERTH_ROUTE_STREAM_BODY, 0 },
	{ BERTH_POST,	"/images/load",			NULL,
	    images_load, BERTH_ROUTE_STREAM_BODY, 0 },
	{ BERTH_GET,	"/images/get",			NULL,
	    images_save, 0, 0 },
	{ BERTH_POST,	"/auth",			NULL,
	    images_auth, 0, 0 },
	{ BERTH_GET,	"/distribution/{name*}/json",	"1.30",
	    images_distribution, 0, 0 },
	{ BERTH_POST,	"/images/prune",		"1.25",
	    images_prune, 0, 0 },
	{ BERTH_GET,	"/images/{name*}/json",		NULL,
	    images_inspect, 0, 0 },
	{ BERTH_GET,	"/images/{name*}/history",	NULL,
	    images_history, 0, 0 },
	{ BERTH_GET,	"/images/{name*}/get",		NULL,
	    images_save, 0, 0 },
	{ BERTH_POST,	"/images/{name*}/tag",		NULL,
	    images_tag, 0, 0 },
	{ BERTH_POST,	"/images/{name*}/push",		NULL,
	    images_push, 0, 0 },
	{ BERTH_DELETE,	"/images/{name*}",		NULL,
	    images_delete, 0, 0 },
};

/* Until a service of its own serves /system/df, the images part does. */
static const struct berth_route images_df_route[] = {
	{ BERTH_GET,	"/system/df",			NULL,
	    images_df, 0, 0 },
};

/* Docker's names for the filesystem under overlay2 (fsutils). */
static void
backing_fs(struct images *st)
{
	static const struct {
		unsigned long	 magic;
		const char	*name;
	} names[] = {
		{ 0xef53, "extfs" }, { 0x58465342, "xfs" },
		{ 0x9123683e, "btrfs" }, { 0x01021994, "tmpfs" },
		{ 0x2fc12fc1, "zfs" }, { 0xf2f52010, "f2fs" },
		{ 0x794c7630, "overlayfs" }, { 0x858458f6, "ramfs" },
	};
	struct statfs	sfs;
	size_t		i;

	snprintf(st->backing_fs, sizeof(st->backing_fs), "<unknown>");
	if (statfs(st->root, &sfs) == -1)
		return;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if ((unsigned long)sfs.f_type == names[i].magic)
			snprintf(st->backing_fs, sizeof(st->backing_fs), "%s",
			    names[i].name);
}

/* runtime.GOARCH for this machine, what image configs say. */
static void
machine_arch(struct images *st)
{
	static const char *const map[][2] = {
		{ "x86_64", "amd64" }, { "aarch64", "arm64" },
		{ "armv7l", "arm" }, { "armv6l", "arm" }, { "i686", "386" },
		{ "i386", "386" }, { "ppc64le", "ppc64le" },
		{ "s390x", "s390x" }, { "riscv64", "riscv64" },
	};
	struct utsname	u;
	size_t		i;

	snprintf(st->arch, sizeof(st->arch), "amd64");
	if (uname(&u) == -1)
		return;
	snprintf(st->arch, sizeof(st->arch), "%.15s", u.machine);
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(u.machine, map[i][0]) == 0)
			snprintf(st->arch, sizeof(st->arch), "%s", map[i][1]);
}

static void
images_free(struct images *st)
{
	images_store_close(st);
	/*
	 * A request still in the core's hands (an upload cut by shutdown)
	 * calls back later: it finds an empty store, not freed memory.
	 */
	if (st->requests > 0) {
		st->h->log(st->h, BERTH_LOG_WARN,
		    "%d requests unfinished at shutdown", st->requests);
		return;
	}
	for (size_t i = 0; st->insecure != NULL && st->insecure[i] != NULL; i++)
		free(st->insecure[i]);
	free(st->insecure);
	free(st->certs_dir);
	free(st->seen);
	free(st->root);
	free(st);
}

static const struct berth_conf_key images_conf[] = {
	{ "insecure-registries", BERTH_CONF_LIST,
	    "registries (host[:port]) reached without TLS verification or "
	    "over plain HTTP; localhost and 127.0.0.0/8 always are" },
	{ "certs-dir", BERTH_CONF_PATH,
	    "where <host[:port]>/ca.crt, client.cert and client.key are "
	    "(/etc/docker/certs.d)" },
	{ NULL, 0, NULL },
};

static int
images_configure(struct images *st, json_object *c, struct berth_err *err)
{
	json_object	*list = berth_json_get(c, "insecure-registries");
	const char	*dir = berth_json_str(c, "certs-dir");
	size_t		 n = list != NULL ? json_object_array_length(list) : 0;
	size_t		 i;

	if ((st->certs_dir = strdup(dir != NULL ? dir :
	    "/etc/docker/certs.d")) == NULL ||
	    (st->insecure = calloc(n + 1, sizeof(char *))) == NULL)
		return berth_err_set(err, -ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		const char *s = json_object_get_string(
		    json_object_array_get_idx(list, i));

		if (s == NULL || *s == '\0' || strchr(s, '/') != NULL)
			return berth_err_set(err, -EINVAL, "insecure-"
			    "registries: host[:port] names, not \"%s\"",
			    s != NULL ? s : "");
		if ((st->insecure[i] = strdup(s)) == NULL)
			return berth_err_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}

static int
images_init(const struct berth_host *h, const struct berth_conf *conf,
    void **statep, struct berth_err *err)
{
	struct images	*st;
	int		 rc;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		return berth_err_set(err, -ENOMEM, "out of memory");
	st->h = h;
	st->rootfd = -1;
	if (asprintf(&st->root, "%s/images", h->data_root(h)) < 0) {
		free(st);
		return berth_err_set(err, -ENOMEM, "out of memory");
	}
	machine_arch(st);
	if ((rc = images_configure(st, h->conf_json(conf), err)) < 0 ||
	    (rc = images_store_open(st, err)) < 0)
		goto fail;
	backing_fs(st);
	if ((rc = h->route(h, images_routes,
	    sizeof(images_routes) / sizeof(images_routes[0]), st, err)) < 0)
		goto fail;
	if ((rc = h->route(h, images_df_route, 1, st, err)) == -EEXIST) {
		h->log(h, BERTH_LOG_INFO, "/system/df is served elsewhere");
		berth_err_clear(err);
	} else if (rc < 0)
		goto fail;
	if ((rc = h->provide(h, BERTH_IMAGE_IFACE, BERTH_IMAGE_DRIVER,
	    &images_rootfs_ops, st, err)) < 0 ||
	    (rc = h->hook(h, BERTH_HOOK_INFO, images_info, st, err)) < 0)
		goto fail;
	*statep = st;
	return 0;
fail:
	images_free(st);
	return rc;
}

static void
images_fini(void *state)
{
	images_free(state);
}

BERTH_MODULE = {
	.abi = BERTH_ABI_INIT,
	.name = "images",
	.version = "0.1.0",
	.provides = (const char *const[]){ BERTH_IMAGE_IFACE, NULL },
	.conf = images_conf,
	.init = images_init,
	.fini = images_fini,
};
