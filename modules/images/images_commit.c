/*
 * images_commit.c - the last step of an import or a load: what a worker
 * unpacked under tmp/ becomes part of the store.
 *
 * A layer is named by one rename of its complete directory; if the name
 * is taken, the layer is already there and the copy is dropped.  Configs
 * and image records are written atomically.  The commit runs in the
 * serial queue, so no removal can be half-way through what it touches.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "images.h"

struct discard {
	int	rootfd;
	char	path[PATH_MAX];
};

/*
 * The worker frees the job: nothing waits for a removal, and a job still
 * running at shutdown (whose done never comes) leaks nothing.
 */
static void
discard_work(void *arg)
{
	struct discard	*d = arg;

	(void)berth_rmtree_at(d->rootfd, d->path);
	free(d);
}

void
images_discard(struct images *st, const char *tmpdir)
{
	struct discard	*d;

	if (tmpdir == NULL || st->stopping ||
	    (d = calloc(1, sizeof(*d))) == NULL)
		return;		/* the next start clears tmp/ */
	d->rootfd = st->rootfd;
	snprintf(d->path, sizeof(d->path), "%s", tmpdir);
	if (st->h->work(st->h, discard_work, images_nothing, d) < 0)
		free(d);
}

static void
commit_work(void *arg)
{
	struct images_commit		*c = arg;
	struct images_commit_layer	*l;
	struct images_commit_image	*img;
	json_object			*meta;
	char				 path[PATH_MAX];
	size_t				 i;
	int				 fd = c->rootfd, rc;

	if (c->rc != -ECANCELED)
		return;
	for (i = 0; i < c->nlayers; i++) {
		l = &c->layers[i];
		snprintf(path, sizeof(path), "layers/%s", l->hex);
		if (renameat(fd, l->dir, fd, path) == -1 && errno != EEXIST &&
		    errno != ENOTEMPTY) {
			c->rc = berth_err_errno(&c->err, "commit layer %.12s",
			    l->hex);
			return;
		}
		snprintf(path, sizeof(path), "blobs/sha256/%s", l->hex);
		if (l->blob != NULL &&
		    renameat(fd, l->blob, fd, path) == -1) {
			c->rc = berth_err_errno(&c->err, "commit blob %.12s",
			    l->hex);
			return;
		}
	}
	(void)images_fs_fsync_dir(fd, "layers");
	(void)images_fs_fsync_dir(fd, "blobs/sha256");
	for (i = 0; i < c->nimages; i++) {
		img = &c->images[i];
		snprintf(path, sizeof(path), "blobs/sha256/%s", img->hex);
		if ((rc = images_fs_write_atomic(fd, path, img->config,
		    img->config_len, &c->err)) < 0) {
			c->rc = rc;
			return;
		}
		meta = json_object_new_object();
		if (img->last_tag != NULL)
			json_object_object_add(meta, "LastTagTime",
			    json_object_new_string(img->last_tag));
		if (img->parent[0] != '\0')
			json_object_object_add(meta, "Parent",
			    json_object_new_string(img->parent));
		snprintf(path, sizeof(path), "imagedb/%s", img->hex);
		rc = images_fs_write_atomic(fd, path,
		    json_object_to_json_string_ext(meta, JSON_C_TO_STRING_PLAIN),
		    strlen(json_object_to_json_string_ext(meta,
		    JSON_C_TO_STRING_PLAIN)), &c->err);
		json_object_put(meta);
		if (rc < 0) {
			c->rc = rc;
			return;
		}
	}
	c->rc = 0;
}

static void
commit_done(void *arg)
{
	struct images_commit		*c = arg;
	struct images			*st = c->st;
	struct images_commit_image	*ci;
	struct images_image		*img;
	json_object			*cfg;
	size_t				 i;

	if (c->rc == -ECANCELED)
		berth_err_set(&c->err, -ECANCELED, "the daemon is shutting down");
	for (i = 0; c->rc == 0 && i < c->nlayers; i++)
		if (images_layer_add(st, c->layers[i].hex, c->layers[i].size,
		    c->layers[i].tar_size) == NULL)
			c->rc = berth_err_set(&c->err, -ENOMEM, "out of memory");
	for (i = 0; c->rc == 0 && i < c->nimages; i++) {
		ci = &c->images[i];
		if ((cfg = json_tokener_parse(ci->config)) == NULL) {
			c->rc = berth_err_set(&c->err, -EINVAL,
			    "image config is not JSON");
			break;
		}
		c->rc = images_image_add(st, ci->hex, cfg, ci->config,
		    ci->config_len, ci->last_tag, &img, &c->err);
		if (c->rc == 0 && ci->parent[0] != '\0')
			memcpy(img->parent, ci->parent, sizeof(img->parent));
	}
	images_discard(st, c->tmpdir);
	c->cb(c, c->arg);
}

void
images_commit_run(struct images *st, struct images_commit *c)
{
	c->st = st;
	c->rootfd = st->rootfd;
	c->rc = -ECANCELED;
	images_q(st, NULL, commit_work, commit_done, c);
}

void
images_commit_free(struct images_commit *c)
{
	size_t	i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nlayers; i++) {
		free(c->layers[i].dir);
		free(c->layers[i].blob);
	}
	for (i = 0; i < c->nimages; i++) {
		free(c->images[i].config);
		free(c->images[i].last_tag);
	}
	free(c->layers);
	free(c->images);
	free(c->tmpdir);
	free(c);
}
