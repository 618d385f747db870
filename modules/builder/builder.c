/*
 * builder - the classic builder, `docker build` without BuildKit: POST
 * /build and POST /build/prune.  It includes no other module's code: it
 * calls image/1 (the images module) for images, root filesystems,
 * commits and tags, and container/1 (the containers service) to run each
 * RUN step in a real container.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <berth/fs.h>
#include <berth/module.h>

#include "builder.h"

static const struct berth_route builder_routes[] = {
	{ BERTH_POST,	"/build",	NULL, bld_h_build,
	    BERTH_ROUTE_STREAM_BODY, 0 },
	{ BERTH_POST,	"/build/prune",	"1.31", bld_h_prune, 0, 0 },
};

/* Builds cut short by a stop leave their directories: gone at start. */
static void
tmp_clear_work(void *arg)
{
	struct builder	*b = arg;
	char		 path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/tmp", b->root);
	(void)berth_rmtree_at(AT_FDCWD, path);
	(void)berth_mkdirs(path, 0700);
}

static void
tmp_cleared(void *arg)
{
	struct builder	*b = arg;

	b->nbuilds--;
}

static int
builder_init(const struct berth_host *h, const struct berth_conf *conf,
    void **statep, struct berth_err *err)
{
	struct builder	*b;
	char		 path[PATH_MAX];
	int		 rc;

	(void)conf;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return berth_err_set(err, -ENOMEM, "out of memory");
	b->h = h;
	b->rootfd = -1;
	b->img = h->lookup(h, BERTH_IMAGE_IFACE, BERTH_IMAGE_DRIVER,
	    &b->img_st);
	b->ctr = h->lookup(h, BERTH_CONTAINER_IFACE, BERTH_CONTAINER_DRIVER,
	    &b->ctr_st);
	if (b->img == NULL || !BERTH_IMAGE_HAS(b->img, commit_step) ||
	    !BERTH_IMAGE_HAS(b->img, tag) || b->ctr == NULL) {
		free(b);
		return berth_err_set(err, -ENOENT, "the builder needs %s "
		    "(images, with commit_step) and %s (containers)",
		    BERTH_IMAGE_IFACE, BERTH_CONTAINER_IFACE);
	}
	snprintf(path, sizeof(path), "%s/builder", h->data_root(h));
	if ((b->root = strdup(path)) == NULL) {
		free(b);
		return berth_err_set(err, -ENOMEM, "out of memory");
	}
	if (berth_mkdirs(path, 0700) < 0) {
		rc = berth_err_errno(err, "mkdir %s", path);
		goto fail;
	}
	/* cache.json's temporary, if a kill -9 cut a write short. */
	(void)berth_sweep_tmp(path);
	bld_cache_load(b);
	if ((rc = h->route(h, builder_routes, sizeof(builder_routes) /
	    sizeof(builder_routes[0]), b, err)) < 0)
		goto fail;
	b->nbuilds++;
	if (h->work(h, tmp_clear_work, tmp_cleared, b) < 0)
		b->nbuilds--;
	*statep = b;
	return 0;
fail:
	bld_cache_fini(b);
	free(b->root);
	free(b);
	return rc;
}

static void
builder_fini(void *state)
{
	struct builder	*b = state;

	b->stopping = 1;
	bld_cache_fini(b);
	/* Builds in flight end with their connections; their jobs and
	 * directories are left (the next start clears tmp/). */
	free(b->root);
	if (b->nbuilds == 0)
		free(b);
}

BERTH_MODULE = {
	.abi = BERTH_ABI_INIT,
	.name = "builder",
	.version = "0.1.0",
	.requires = (const char *const[]){ BERTH_IMAGE_IFACE,
	    BERTH_CONTAINER_IFACE, NULL },
	.init = builder_init,
	.fini = builder_fini,
};
