/*
 * images_import.c - POST /images/create?fromSrc=- (`docker import`);
 * ?fromImage= is a pull (images_pull.c).
 *
 * The body streams into a pipe (the core pauses the client while the
 * pipe is full); a worker unpacks it as it arrives into tmp/, and only
 * when both the body and the worker are done does the loop build the
 * image config and queue the commit.  Errors before success are plain
 * HTTP errors, as in Docker, where nothing is written before the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "images.h"

#define READSZ	(128u << 10)

struct import_job {
	struct images		*st;
	struct berth_req	*req;
	int			 rootfd;
	int			 fd;		/* the pipe's read end */
	char			 tmpdir[IMAGES_TMP_MAX];
	char			*buf;
	json_object		*config;	/* container Config; loop only */
	struct images_ref	 ref;
	int			 has_ref;
	char			*message;
	int			 pending;	/* body and worker */
	int			 body_rc;
	struct images_unpack	 u;		/* the worker's result */
	int			 rc;
	struct images_commit	*commit;
	char			 hex[IMAGES_HEX + 1];
};

static void
job_free(struct import_job *j)
{
	j->st->requests--;
	if (j->fd != -1)
		close(j->fd);
	json_object_put(j->config);
	images_commit_free(j->commit);
	free(j->message);
	free(j->buf);
	free(j);
}

/* --- the worker ---------------------------------------------------------- */

static ssize_t
pipe_read(void *arg, const void **buf)
{
	struct import_job	*j = arg;
	ssize_t			 n;

	while ((n = read(j->fd, j->buf, READSZ)) < 0 && errno == EINTR)
		;
	*buf = j->buf;
	return n;
}

static void
import_work(void *arg)
{
	struct import_job	*j = arg;
	char			 path[PATH_MAX];
	int			 ldir = -1, diff = -1, blob = -1;

	j->u.dirfd = j->u.blobfd = -1;
	if (mkdirat(j->rootfd, j->tmpdir, 0700) == -1) {
		j->rc = berth_err_errno(&j->u.err, "mkdir %s", j->tmpdir);
		goto out;
	}
	snprintf(path, sizeof(path), "%s/layer", j->tmpdir);
	if (mkdirat(j->rootfd, path, 0700) == -1 ||
	    (ldir = openat(j->rootfd, path, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || mkdirat(ldir, "diff", 0755) == -1 ||
	    (diff = openat(ldir, "diff", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1) {
		j->rc = berth_err_errno(&j->u.err, "mkdir %s", path);
		goto out;
	}
	snprintf(path, sizeof(path), "%s/blob", j->tmpdir);
	if ((blob = openat(j->rootfd, path, O_WRONLY | O_CREAT | O_EXCL |
	    O_CLOEXEC, 0644)) == -1) {
		j->rc = berth_err_errno(&j->u.err, "create %s", path);
		goto out;
	}
	j->u.dirfd = diff;
	j->u.blobfd = blob;
	j->u.read = pipe_read;
	j->u.read_arg = j;
	if ((j->rc = images_layer_unpack(&j->u)) < 0)
		goto out;
	j->rc = images_layer_write_size(ldir, &j->u, &j->u.err);
out:
	if (blob != -1)
		close(blob);
	if (diff != -1)
		close(diff);
	if (ldir != -1)
		close(ldir);
	/* Closing tells the body's writer to drop the rest. */
	close(j->fd);
	j->fd = -1;
}

/* --- back on the loop ---------------------------------------------------- */

static json_object *
image_config(struct import_job *j, char *created, const char *diff)
{
	json_object	*o, *cc, *hist, *h, *rootfs, *ids;
	char		 id[IMAGES_ID_LEN + 1];

	o = json_object_new_object();
	json_object_object_add(o, "comment", json_object_new_string(j->message));
	json_object_object_add(o, "created", json_object_new_string(created));
	cc = images_config_new();
	json_object_object_add(o, "container_config",
	    images_config_canonical(cc));
	json_object_put(cc);
	json_object_object_add(o, "config", images_config_canonical(j->config));
	json_object_object_add(o, "architecture",
	    json_object_new_string(j->st->arch));
	json_object_object_add(o, "os", json_object_new_string("linux"));
	rootfs = json_object_new_object();
	json_object_object_add(rootfs, "type", json_object_new_string("layers"));
	ids = json_object_new_array();
	snprintf(id, sizeof(id), "sha256:%s", diff);
	json_object_array_add(ids, json_object_new_string(id));
	json_object_object_add(rootfs, "diff_ids", ids);
	json_object_object_add(o, "rootfs", rootfs);
	hist = json_object_new_array();
	h = json_object_new_object();
	json_object_object_add(h, "created", json_object_new_string(created));
	json_object_object_add(h, "comment", json_object_new_string(j->message));
	json_object_array_add(hist, h);
	json_object_object_add(o, "history", hist);
	return o;
}

static void
answer_error(struct import_job *j, const struct berth_err *err)
{
	j->st->h->resp_error(j->req, err);
	images_discard(j->st, j->tmpdir);
	job_free(j);
}

static void
tags_saved(void *arg, int rc)
{
	struct import_job	*j = arg;
	struct images		*st = j->st;
	struct berth_err	 err = BERTH_ERR_INIT;
	char			 line[128], fam[1024];

	if (rc < 0) {
		berth_err_set(&err, rc, "the image is in, its name was not "
		    "saved: %s", strerror(-rc));
		st->h->resp_error(j->req, &err);
		job_free(j);
		return;
	}
	if (j->has_ref) {
		images_ref_familiar(&j->ref, fam, sizeof(fam));
		images_event(st, "tag", j->hex, fam, 1);
	}
	images_event(st, "import", j->hex, NULL, 1);
	snprintf(line, sizeof(line), "{\"status\":\"sha256:%s\"}\r\n", j->hex);
	st->h->resp_raw(j->req, 200, "application/json", line, strlen(line));
	job_free(j);
}

static void
committed(struct images_commit *c, void *arg)
{
	struct import_job	*j = arg;
	struct images		*st = j->st;
	struct berth_err	 err = BERTH_ERR_INIT;
	char			 prev[IMAGES_HEX + 1];

	j->commit = NULL;
	if (c->rc < 0) {
		st->h->resp_error(j->req, &c->err);
		images_commit_free(c);
		job_free(j);
		return;
	}
	images_commit_free(c);
	if (!j->has_ref) {
		tags_saved(j, 0);
		return;
	}
	if (images_tag_set(st, &j->ref, j->hex, prev, &err) < 0) {
		st->h->resp_error(j->req, &err);
		job_free(j);
		return;
	}
	images_save_tags(st, tags_saved, j);
}

static void
finish(struct import_job *j)
{
	struct images		*st = j->st;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct images_commit	*c;
	json_object		*cfg;
	const char		*bytes;
	char			 created[64], path[PATH_MAX];
	int64_t			 sec;
	long			 nsec;

	if (--j->pending > 0)
		return;
	if (st->stopping) {
		berth_err_set(&err, -ECANCELED, "the daemon is shutting down");
		answer_error(j, &err);
		return;
	}
	if (j->rc < 0) {
		answer_error(j, &j->u.err);
		return;
	}
	if (j->body_rc < 0) {
		berth_err_set(&err, j->body_rc, "the upload failed: %s",
		    strerror(-j->body_rc));
		answer_error(j, &err);
		return;
	}
	berth_time_now(&sec, &nsec);
	berth_time_format(sec, nsec, created, sizeof(created));
	cfg = image_config(j, created, j->u.diff_hex);
	bytes = json_object_to_json_string_ext(cfg, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	images_sha256_hex(bytes, strlen(bytes), j->hex);
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->layers = calloc(1, sizeof(*c->layers))) == NULL ||
	    (c->images = calloc(1, sizeof(*c->images))) == NULL) {
		json_object_put(cfg);
		images_commit_free(c);
		berth_err_set(&err, -ENOMEM, "out of memory");
		answer_error(j, &err);
		return;
	}
	c->nlayers = c->nimages = 1;
	snprintf(c->layers[0].hex, sizeof(c->layers[0].hex), "%s",
	    j->u.diff_hex);
	snprintf(path, sizeof(path), "%s/layer", j->tmpdir);
	c->layers[0].dir = strdup(path);
	snprintf(path, sizeof(path), "%s/blob", j->tmpdir);
	c->layers[0].blob = strdup(path);
	c->layers[0].size = (int64_t)j->u.size;
	c->layers[0].tar_size = (int64_t)j->u.tar_size;
	snprintf(c->images[0].hex, sizeof(c->images[0].hex), "%s", j->hex);
	c->images[0].config = strdup(bytes);
	c->images[0].config_len = strlen(bytes);
	/* Tagging sets LastTagTime, as TagImageWithReference does. */
	if (j->has_ref)
		c->images[0].last_tag = strdup(created);
	c->tmpdir = strdup(j->tmpdir);
	json_object_put(cfg);
	if (c->layers[0].dir == NULL || c->layers[0].blob == NULL ||
	    c->images[0].config == NULL || c->tmpdir == NULL) {
		images_commit_free(c);
		berth_err_set(&err, -ENOMEM, "out of memory");
		answer_error(j, &err);
		return;
	}
	c->cb = committed;
	c->arg = j;
	j->commit = c;
	images_commit_run(st, c);
}

static void
import_worked(void *arg)
{
	struct import_job	*j = arg;

	images_stream_end(j->st);
	if (j->rc == -ECANCELED)
		berth_err_set(&j->u.err, -ECANCELED,
		    "the daemon is shutting down");
	finish(j);
}

static void
import_body_done(void *arg, int rc)
{
	struct import_job	*j = arg;

	/* -EPIPE: the worker stopped reading; its error says why. */
	j->body_rc = rc == -EPIPE ? 0 : rc;
	finish(j);
}

/* --- the handler ---------------------------------------------------------- */

struct refusal {
	struct images		*st;
	struct berth_req	*req;
	struct berth_err	 err;
};

static void
refused(void *arg, int rc)
{
	struct refusal	*r = arg;

	r->st->h->resp_error(r->req, &r->err);
	free(r);
}

/*
 * An error found before the body is read: the body is read and dropped
 * first, so that a client still sending it gets the answer, not EPIPE.
 */
static void
refuse(struct images *st, struct berth_req *req, const struct berth_err *err)
{
	struct refusal	*r;
	int		 p[2];

	if ((r = calloc(1, sizeof(*r))) == NULL || pipe2(p, O_CLOEXEC) == -1) {
		free(r);
		st->h->resp_error(req, err);
		return;
	}
	r->st = st;
	r->req = req;
	r->err = *err;
	close(p[0]);
	st->h->req_body_to_fd(req, p[1], refused, r);
}

void
images_import(struct berth_req *req, void *state)
{
	struct images		*st = state;
	const struct berth_host	*h = st->h;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct import_job	*j = NULL;
	const char		*from_image, *src, *repo, *tag, *msg;
	const char		*changes[64];
	size_t			 n;
	int			 p[2], rc;

	from_image = h->req_query(req, "fromImage", 0);
	src = h->req_query(req, "fromSrc", 0);
	if (from_image != NULL && *from_image != '\0') {
		images_pull(st, req, from_image, h->req_query(req, "tag", 0));
		return;
	}
	if (src == NULL || strcmp(src, "-") != 0) {
		berth_err_set(&err, src && *src ? -ENOTSUP : -EINVAL,
		    src && *src ? "importing from a URL is not supported: "
		    "use fromSrc=- with the archive as the body" :
		    "fromImage or fromSrc is required");
		goto fail;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->buf = malloc(READSZ)) == NULL) {
		free(j);
		j = NULL;
		berth_err_set(&err, -ENOMEM, "out of memory");
		goto fail;
	}
	j->st = st;
	st->requests++;
	j->req = req;
	j->rootfd = st->rootfd;
	j->fd = -1;
	j->rc = -ECANCELED;
	repo = h->req_query(req, "repo", 0);
	tag = h->req_query(req, "tag", 0);
	if (repo != NULL && *repo != '\0') {
		if (images_ref_parse(repo, &j->ref, &err) < 0)
			goto fail;
		if (j->ref.digest[0] != '\0') {
			berth_err_set(&err, -EINVAL,
			    "cannot import digest reference");
			goto fail;
		}
		if (tag != NULL && *tag != '\0' &&
		    images_ref_set_tag(&j->ref, tag, &err) < 0)
			goto fail;
		images_ref_default_tag(&j->ref);
		j->has_ref = 1;
	}
	for (n = 0; n < sizeof(changes) / sizeof(changes[0]) &&
	    (changes[n] = h->req_query(req, "changes", n)) != NULL; n++)
		;
	j->config = images_config_new();
	if (images_changes_apply(j->config, changes, n, &err) < 0)
		goto fail;
	msg = h->req_query(req, "message", 0);
	if (msg != NULL && *msg != '\0')
		j->message = strdup(msg);
	else
		j->message = strdup("Imported from -");
	if (j->message == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		goto fail;
	}
	images_tmp_name(st, "import", j->tmpdir, sizeof(j->tmpdir));
	if (images_pipe(p) < 0) {
		berth_err_errno(&err, "pipe");
		goto fail;
	}
	j->fd = p[0];
	j->pending = 2;
	/*
	 * The body first: a host whose work runs at once (the unit tests'
	 * mock) then finds it in the pipe.  The order is free otherwise.
	 */
	h->req_body_to_fd(req, p[1], import_body_done, j);
	if ((rc = images_stream_start(st, import_work, import_worked, j)) < 0) {
		j->rc = berth_err_set(&j->u.err, rc,
		    "cannot start the import: %s", strerror(-rc));
		close(j->fd);		/* the body's writer drops the rest */
		j->fd = -1;
		finish(j);		/* in the worker's stead */
	}
	return;
fail:
	refuse(st, req, &err);
	if (j != NULL)
		job_free(j);
}
