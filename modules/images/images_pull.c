/*
 * images_pull.c - POST /images/create?fromImage= (`docker pull`).
 *
 * Two steps, as dockerd answers:
 *  1. a work job resolves the reference: the manifest (a manifest list
 *     or OCI index chooses linux/<this arch>) and the image config, both
 *     checked against their digests.  An unknown repository or tag is a
 *     404 before anything streams; an unreachable registry a 500.
 *  2. a stream worker fetches each layer the store lacks into tmp/,
 *     checks its digest, unpacks it (gzip or not) and checks that it
 *     gives the diff ID the config names, writing Docker's progress; then
 *     the loop commits layers and config (images_commit.c) and tags the
 *     image, and the closing lines say so ("Digest: ...", "Status:
 *     Downloaded newer image for ...").
 * Nothing is kept unless every blob checked out.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <berth/json.h>

#include "images.h"

#define READSZ		(128u << 10)
#define MT_LIST		"application/vnd.docker.distribution." \
			"manifest.list.v2+json"
#define MT_INDEX	"application/vnd.oci.image.index.v1+json"
#define ACCEPT		"Accept: application/vnd.docker.distribution." \
			"manifest.v2+json, application/vnd.oci.image." \
			"manifest.v1+json, " MT_LIST ", " MT_INDEX

struct pull_layer {
	char		 digest[IMAGES_ID_LEN + 1];	/* the blob's */
	char		 diff[IMAGES_HEX + 1];		/* the config's */
	int64_t		 size;
	int		 have;		/* in the store already */
	struct images_unpack u;
};

struct pull_job {
	struct images		*st;
	struct berth_req	*req;
	int			 rootfd;
	int			 out;		/* the pipe's write end */
	struct images_ref	 ref;		/* with tag or digest */
	struct images_reg	 reg;
	char			 certs_dir[PATH_MAX];
	char			**insecure;
	char			 tmpdir[IMAGES_TMP_MAX];
	char			 mdigest[IMAGES_ID_LEN + 1];	/* manifest */
	char			 hex[IMAGES_HEX + 1];		/* image ID */
	char			*config;	/* the config blob */
	size_t			 config_len;
	struct pull_layer	*layers;
	size_t			 nlayers;
	struct images_layer	**pinned;	/* loop side: what it had */
	int			 up_to_date;
	uint64_t		 last_progress;
	char			*buf;
	int			 fd;		/* the blob being unpacked */
	int			 rc;
	struct berth_err	 err;
	/* A service's pull (image/1 pull), req NULL: told when done. */
	berth_image_done_cb	 done;
	void			*done_arg;
};

static void
pull_free(struct pull_job *j)
{
	size_t	i;

	j->st->requests--;
	/* After fini the layers are gone from memory: nothing to unpin. */
	for (i = 0; !j->st->stopping && j->pinned != NULL && i < j->nlayers;
	    i++)
		if (j->pinned[i] != NULL)
			images_layer_unpin(j->st, j->pinned[i]);
	if (j->out != -1)
		close(j->out);
	images_strv_free(j->insecure);
	free(j->config);
	free(j->layers);
	free(j->pinned);
	free(j->buf);
	explicit_bzero(&j->reg, sizeof(j->reg));
	free(j);
}

/* --- step 1: the manifest and the config ---------------------------------- */

static int
get_json(struct pull_job *j, const char *path, const char *want_digest,
    char **body, size_t *len, struct images_reg_resp *rs)
{
	int	rc;

	if ((rc = images_reg_get_json(&j->reg, path, want_digest, rs)) < 0)
		return rc;
	*body = rs->body;
	*len = rs->len;
	rs->body = NULL;
	return 0;
}

/* The platform's entry of a manifest list or index. */
static const char *
choose(struct pull_job *j, json_object *list)
{
	json_object	*ms = berth_json_get(list, "manifests"), *m, *p;
	size_t		 i;

	for (i = 0; ms != NULL && i < json_object_array_length(ms); i++) {
		m = json_object_array_get_idx(ms, i);
		p = berth_json_get(m, "platform");
		if (berth_json_str(p, "os") != NULL &&
		    strcmp(berth_json_str(p, "os"), "linux") == 0 &&
		    berth_json_str(p, "architecture") != NULL &&
		    strcmp(berth_json_str(p, "architecture"), j->st->arch) == 0)
			return berth_json_str(m, "digest");
	}
	return NULL;
}

static void
resolve_work(void *arg)
{
	struct pull_job		*j = arg;
	struct images_reg_resp	 rs;
	json_object		*m = NULL, *cfg = NULL, *ls, *ids;
	const char		*mt, *d;
	const char		*ref = j->ref.digest[0] ? j->ref.digest :
				    j->ref.tag;
	char			 path[IMAGES_NAME_MAX * 2 + 64], *body = NULL;
	size_t			 len, i;

	memset(&rs, 0, sizeof(rs));
	if ((j->rc = images_reg_open(&j->reg, &j->ref, "pull", j->certs_dir,
	    j->insecure)) < 0)
		goto out;
	j->reg.accept = ACCEPT;
	snprintf(path, sizeof(path), "/v2/%s/manifests/%s", j->ref.path, ref);
	if ((j->rc = get_json(j, path, j->ref.digest[0] ? j->ref.digest :
	    NULL, &body, &len, &rs)) < 0)
		goto out;
	images_sha256_hex(body, len, j->hex);
	snprintf(j->mdigest, sizeof(j->mdigest), "sha256:%s", j->hex);
	m = json_tokener_parse(body);
	mt = berth_json_str(m, "mediaType");
	if (mt != NULL && (strcmp(mt, MT_LIST) == 0 || strcmp(mt, MT_INDEX) ==
	    0)) {
		if ((d = choose(j, m)) == NULL) {
			j->rc = berth_err_set(&j->reg.err, -ENOENT, "no "
			    "matching manifest for linux/%s in the manifest "
			    "list entries", j->st->arch);
			goto out;
		}
		snprintf(path, sizeof(path), "/v2/%s/manifests/%s",
		    j->ref.path, d);
		json_object_put(m);
		free(body);
		body = NULL;
		m = NULL;
		if ((j->rc = get_json(j, path, d, &body, &len, &rs)) < 0)
			goto out;
		m = json_tokener_parse(body);
	}
	if (json_object_get_int(berth_json_get(m, "schemaVersion")) != 2 ||
	    (d = berth_json_str(berth_json_get(m, "config"), "digest")) ==
	    NULL) {
		j->rc = berth_err_set(&j->reg.err, -EPROTO, "unsupported "
		    "manifest: schema 2 and OCI manifests only");
		goto out;
	}
	/* The config: the image, whose ID is its digest. */
	snprintf(path, sizeof(path), "/v2/%s/blobs/%s", j->ref.path, d);
	if ((j->rc = get_json(j, path, d, &j->config, &j->config_len,
	    &rs)) < 0)
		goto out;
	snprintf(j->hex, sizeof(j->hex), "%s", d + 7);
	cfg = json_tokener_parse(j->config);
	ids = berth_json_get(berth_json_get(cfg, "rootfs"), "diff_ids");
	ls = berth_json_get(m, "layers");
	j->nlayers = ls != NULL ? json_object_array_length(ls) : 0;
	if (ids == NULL || json_object_array_length(ids) != j->nlayers) {
		j->rc = berth_err_set(&j->reg.err, -EPROTO, "the manifest's "
		    "layers do not match the config's diff IDs");
		goto out;
	}
	if ((j->layers = calloc(j->nlayers + 1, sizeof(*j->layers))) == NULL) {
		j->rc = berth_err_set(&j->reg.err, -ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < j->nlayers; i++) {
		json_object *l = json_object_array_get_idx(ls, i);
		const char *ld = berth_json_str(l, "digest");
		const char *di = json_object_get_string(
		    json_object_array_get_idx(ids, i));

		if (ld == NULL || strncmp(ld, "sha256:", 7) != 0 ||
		    strlen(ld) != IMAGES_ID_LEN || di == NULL ||
		    strncmp(di, "sha256:", 7) != 0 ||
		    strlen(di) != IMAGES_ID_LEN ||
		    !images_is_hex(ld + 7, IMAGES_HEX) ||
		    !images_is_hex(di + 7, IMAGES_HEX)) {
			j->rc = berth_err_set(&j->reg.err, -EPROTO, "a layer "
			    "of the manifest has no sha256 digest");
			goto out;
		}
		snprintf(j->layers[i].digest, sizeof(j->layers[i].digest),
		    "%s", ld);
		snprintf(j->layers[i].diff, sizeof(j->layers[i].diff), "%s",
		    di + 7);
		j->layers[i].size = json_object_get_int64(berth_json_get(l,
		    "size"));
	}
out:
	json_object_put(m);
	json_object_put(cfg);
	free(body);
	free(rs.body);
}

/* --- step 2: the layers --------------------------------------------------- */

static ssize_t
file_read(void *arg, const void **buf)
{
	struct pull_job	*j = arg;
	ssize_t		 n;

	while ((n = read(j->fd, j->buf, READSZ)) < 0 && errno == EINTR)
		;
	*buf = j->buf;
	return n;
}

/* On an unpack's failure only: is the downloaded blob the one named? */
static int
blob_matches(struct pull_job *j, const char *hex)
{
	struct images_sha	*sha;
	char			 got[IMAGES_HEX + 1];
	ssize_t			 n;

	if ((sha = images_sha_new()) == NULL ||
	    lseek(j->fd, 0, SEEK_SET) == -1) {
		images_sha_free(sha);
		return 1;	/* the unpack's own error stands */
	}
	while ((n = read(j->fd, j->buf, READSZ)) > 0)
		images_sha_update(sha, j->buf, (size_t)n);
	images_sha_final(sha, got);
	return n < 0 || strcmp(got, hex) == 0;
}

/* Download, check and unpack layer i into tmp/<n>/<i>/. */
static int
fetch_layer(struct pull_job *j, size_t i)
{
	struct pull_layer	*l = &j->layers[i];
	struct images_reg_resp	 rs;
	char			 path[PATH_MAX], id[13], msg[512];
	int			 ldir = -1, diff = -1, blob = -1, rc;

	snprintf(id, sizeof(id), "%.12s", l->digest + 7);
	memset(&rs, 0, sizeof(rs));
	snprintf(path, sizeof(path), "%s/%zu.raw", j->tmpdir, i);
	if ((rs.fd = openat(j->rootfd, path, O_RDWR | O_CREAT | O_EXCL |
	    O_CLOEXEC, 0600)) == -1)
		return berth_err_errno(&j->reg.err, "create %s", path);
	images_progress_status(j->out, id, "Downloading");
	snprintf(path, sizeof(path), "/v2/%s/blobs/%s", j->ref.path, l->digest);
	if ((rc = images_reg_do(&j->reg, "GET", path, NULL, &rs, 0)) == 0 &&
	    rs.status != 200) {
		images_reg_errmsg(&rs, msg, sizeof(msg));
		rc = berth_err_set(&j->reg.err, -EIO, "blob %s: %s",
		    l->digest, msg);
	}
	j->fd = rs.fd;
	free(rs.body);
	if (rc < 0)
		goto out;
	images_progress_status(j->out, id, "Download complete");
	lseek(j->fd, 0, SEEK_SET);
	/* tmp/pull-N/<i>/{diff,size}, and the tar beside: <i>.blob. */
	snprintf(path, sizeof(path), "%s/%zu", j->tmpdir, i);
	if (mkdirat(j->rootfd, path, 0700) == -1 ||
	    (ldir = openat(j->rootfd, path, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || mkdirat(ldir, "diff", 0755) == -1 ||
	    (diff = openat(ldir, "diff", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1) {
		rc = berth_err_errno(&j->reg.err, "mkdir %s", path);
		goto out;
	}
	snprintf(path, sizeof(path), "%s/%zu.blob", j->tmpdir, i);
	if ((blob = openat(j->rootfd, path, O_WRONLY | O_CREAT | O_EXCL |
	    O_CLOEXEC, 0644)) == -1) {
		rc = berth_err_errno(&j->reg.err, "create %s", path);
		goto out;
	}
	images_progress_status(j->out, id, "Extracting");
	l->u.dirfd = diff;
	l->u.blobfd = blob;
	l->u.read = file_read;
	l->u.read_arg = j;
	if ((rc = images_layer_unpack(&l->u)) < 0) {
		/* A blob that is not what was asked for says so first. */
		j->reg.err = l->u.err;
		if (!blob_matches(j, l->digest + 7))
			rc = berth_err_set(&j->reg.err, -EPROTO, "filesystem "
			    "layer verification failed for digest %s",
			    l->digest);
		goto out;
	}
	/*
	 * The blob's digest comes from the same read that unpacks it (into
	 * tmp/, dropped unless every check passes): one pass over it.
	 */
	if (strcmp(l->u.raw_hex, l->digest + 7) != 0) {
		rc = berth_err_set(&j->reg.err, -EPROTO, "filesystem layer "
		    "verification failed for digest %s", l->digest);
		goto out;
	}
	if (strcmp(l->u.diff_hex, l->diff) != 0) {
		rc = berth_err_set(&j->reg.err, -EPROTO, "layer %s gives diff "
		    "ID sha256:%s, the config says sha256:%s", l->digest,
		    l->u.diff_hex, l->diff);
		goto out;
	}
	if ((rc = images_layer_write_size(ldir, &l->u, &j->reg.err)) < 0)
		goto out;
	images_progress_status(j->out, id, "Pull complete");
out:
	if (j->fd != -1)
		close(j->fd);
	j->fd = -1;
	if (blob != -1)
		close(blob);
	if (diff != -1)
		close(diff);
	if (ldir != -1)
		close(ldir);
	return rc;
}

static void
pull_work(void *arg)
{
	struct pull_job	*j = arg;
	char		 id[13];
	size_t		 i;

	images_progress_status(j->out, j->ref.tag[0] ? j->ref.tag :
	    j->ref.digest, "Pulling from %s", j->ref.path);
	if (mkdirat(j->rootfd, j->tmpdir, 0700) == -1) {
		j->rc = berth_err_errno(&j->reg.err, "mkdir %s", j->tmpdir);
		return;
	}
	for (i = 0; i < j->nlayers; i++) {
		snprintf(id, sizeof(id), "%.12s", j->layers[i].digest + 7);
		images_progress_status(j->out, id, j->layers[i].have ?
		    "Already exists" : "Pulling fs layer");
	}
	for (i = 0; j->rc == 0 && i < j->nlayers; i++)
		if (!j->layers[i].have)
			j->rc = fetch_layer(j, i);
	images_reg_close(&j->reg);
}

/* --- back on the loop ----------------------------------------------------- */

static void
finish_stream(struct pull_job *j, const struct berth_err *err)
{
	char		 name[1024];

	/* The worker is done: the loop writes the last lines, never waiting. */
	(void)fcntl(j->out, F_SETFL, O_NONBLOCK);
	if (err != NULL)
		images_progress_error(j->out, err->msg);
	else {
		images_ref_string(&j->ref, name, sizeof(name));
		images_progress_status(j->out, NULL, "Digest: %s", j->mdigest);
		images_progress_status(j->out, NULL, "Status: %s for %s",
		    j->up_to_date ? "Image is up to date" :
		    "Downloaded newer image", name);
	}
	close(j->out);
	j->out = -1;
	if (j->done != NULL)
		j->done(j->done_arg, err != NULL ? (err->code != 0 ? err->code :
		    -EIO) : 0, err);
	pull_free(j);
}

/* Before any stream: the API's error answer, or the service's. */
static void
pull_refuse(struct pull_job *j, const struct berth_err *err)
{
	if (j->req != NULL)
		j->st->h->resp_error(j->req, err);
	else {
		if (j->out != -1)
			close(j->out);
		j->out = -1;
		j->done(j->done_arg, err->code != 0 ? err->code : -EIO, err);
	}
}

static void
tags_saved(void *arg, int rc)
{
	finish_stream(arg, NULL);
}

/* The image is in the store: tag it (name:tag, or name@digest). */
static void
tag_it(struct pull_job *j)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	struct images_ref	 dref = j->ref;
	char			 prev[IMAGES_HEX + 1], name[1024];

	if (images_tag_set(j->st, &j->ref, j->hex, prev, &err) < 0) {
		finish_stream(j, &err);
		return;
	}
	/* Blobs that are berth's own layers: a later push may mount them. */
	images_seen_add(j->st, j->hex, j->ref.domain, j->ref.path);
	for (size_t i = 0; i < j->nlayers; i++)
		if (strcmp(j->layers[i].digest + 7, j->layers[i].diff) == 0)
			images_seen_add(j->st, j->layers[i].diff,
			    j->ref.domain, j->ref.path);
	/* And the digest it came by: its RepoDigest. */
	dref.tag[0] = '\0';
	snprintf(dref.digest, sizeof(dref.digest), "%s", j->mdigest);
	(void)images_tag_set(j->st, &dref, j->hex, prev, &err);
	images_ref_familiar(&j->ref, name, sizeof(name));
	images_event(j->st, "pull", j->hex, name, 1);
	images_save_tags(j->st, tags_saved, j);
}

static void
committed(struct images_commit *c, void *arg)
{
	struct pull_job	*j = arg;

	if (c->rc < 0) {
		finish_stream(j, &c->err);
		images_commit_free(c);
		return;
	}
	images_commit_free(c);
	tag_it(j);
}

static void
pull_worked(void *arg)
{
	struct pull_job		*j = arg;
	struct images_commit	*c;
	struct berth_err	 err = BERTH_ERR_INIT;
	char			 path[PATH_MAX];
	size_t			 i, k;

	images_stream_end(j->st);
	if (j->rc < 0 || j->st->stopping) {
		images_discard(j->st, j->tmpdir);
		if (j->rc == 0)
			berth_err_set(&j->reg.err, -ECANCELED, "the daemon is "
			    "shutting down");
		finish_stream(j, &j->reg.err);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->layers = calloc(j->nlayers + 1, sizeof(*c->layers))) == NULL ||
	    (c->images = calloc(1, sizeof(*c->images))) == NULL ||
	    (c->tmpdir = strdup(j->tmpdir)) == NULL ||
	    (c->images[0].config = malloc(j->config_len + 1)) == NULL)
		goto nomem;
	for (i = k = 0; i < j->nlayers; i++) {
		if (j->layers[i].have)
			continue;
		snprintf(c->layers[k].hex, sizeof(c->layers[k].hex), "%s",
		    j->layers[i].diff);
		snprintf(path, sizeof(path), "%s/%zu", j->tmpdir, i);
		c->layers[k].dir = strdup(path);
		snprintf(path, sizeof(path), "%s/%zu.blob", j->tmpdir, i);
		c->layers[k].blob = strdup(path);
		c->layers[k].size = (int64_t)j->layers[i].u.size;
		c->layers[k].tar_size = (int64_t)j->layers[i].u.tar_size;
		if (c->layers[k].dir == NULL || c->layers[k].blob == NULL)
			goto nomem;
		k++;
	}
	c->nlayers = k;
	c->nimages = 1;
	snprintf(c->images[0].hex, sizeof(c->images[0].hex), "%s", j->hex);
	memcpy(c->images[0].config, j->config, j->config_len);
	c->images[0].config[j->config_len] = '\0';
	c->images[0].config_len = j->config_len;
	c->cb = committed;
	c->arg = j;
	images_commit_run(j->st, c);
	return;
nomem:
	images_commit_free(c);
	images_discard(j->st, j->tmpdir);
	berth_err_set(&err, -ENOMEM, "out of memory");
	finish_stream(j, &err);
}

static void
pull_sent(void *arg, int rc)
{
	/* The pipe's reader is the core's; the job ends with the stream. */
}

/* Step 1 answered: an error now, or the stream. */
static void
resolved(void *arg)
{
	struct pull_job		*j = arg;
	const struct berth_host	*h = j->st->h;
	struct berth_err	 err = BERTH_ERR_INIT;
	char			 name[1024];
	size_t			 i;
	int			 p[2], rc;

	if (j->rc < 0) {
		images_ref_string(&j->ref, name, sizeof(name));
		if (j->rc == -ENOENT)
			berth_err_set(&err, -ENOENT, "manifest for %s not "
			    "found: %s", name, j->reg.err.msg);
		else
			err = j->reg.err;
		pull_refuse(j, &err);
		images_reg_close(&j->reg);
		pull_free(j);
		return;
	}
	/* Have it already, under this name? */
	if (images_find_id(j->st, j->hex) != NULL) {
		struct images_tag *t = images_tag_find(j->st, &j->ref);

		j->up_to_date = t != NULL && strcmp(t->hex, j->hex) == 0;
	}
	/* Layers the store has are not fetched, and held till the end. */
	if ((j->pinned = calloc(j->nlayers + 1, sizeof(*j->pinned))) == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		pull_refuse(j, &err);
		images_reg_close(&j->reg);
		pull_free(j);
		return;
	}
	for (i = 0; i < j->nlayers; i++)
		if ((j->pinned[i] = images_find_layer(j->st,
		    j->layers[i].diff)) != NULL) {
			images_layer_pin(j->pinned[i]);
			j->layers[i].have = 1;
		}
	images_tmp_name(j->st, "pull", j->tmpdir, sizeof(j->tmpdir));
	p[0] = -1;
	if (j->req != NULL) {
		if (images_pipe(p) < 0) {
			berth_err_errno(&err, "pipe");
			pull_refuse(j, &err);
			images_reg_close(&j->reg);
			pull_free(j);
			return;
		}
		j->out = p[1];
	}
	if ((rc = images_stream_start(j->st, pull_work, pull_worked, j)) < 0) {
		if (p[0] != -1)
			close(p[0]);
		berth_err_set(&err, rc, "cannot start the pull: %s",
		    strerror(-rc));
		pull_refuse(j, &err);
		images_reg_close(&j->reg);
		pull_free(j);
		return;
	}
	if (j->req != NULL)
		h->resp_from_fd(j->req, 200, "application/json", p[0],
		    pull_sent, j);
}

/*
 * A pull for the API (req) or for a service (out: the progress pipe,
 * taken; done when it is over).  auth is X-Registry-Auth, or with
 * is_config the build's X-Registry-Config.
 */
static void
pull_start(struct images *st, struct berth_req *req, const char *image,
    const char *tag, const char *auth, int is_config, int out,
    berth_image_done_cb done, void *arg)
{
	const struct berth_host	*h = st->h;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct pull_job		*j;

	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->buf = malloc(READSZ)) == NULL) {
		free(j);
		berth_err_set(&err, -ENOMEM, "out of memory");
		if (req != NULL)
			h->resp_error(req, &err);
		else {
			if (out != -1)
				close(out);
			done(arg, -ENOMEM, &err);
		}
		return;
	}
	j->st = st;
	st->requests++;
	j->req = req;
	j->done = done;
	j->done_arg = arg;
	j->rootfd = st->rootfd;
	j->fd = -1;
	j->out = out;
	if (images_ref_parse(image, &j->ref, &err) < 0)
		goto fail;
	if (tag != NULL && *tag != '\0') {
		/* ?tag= may carry a digest (docker pull name@sha256:...). */
		if (strncmp(tag, "sha256:", 7) == 0) {
			if (strlen(tag) != IMAGES_ID_LEN ||
			    !images_is_hex(tag + 7, IMAGES_HEX)) {
				berth_err_set(&err, -EINVAL, "invalid digest "
				    "format");
				goto fail;
			}
			snprintf(j->ref.digest, sizeof(j->ref.digest), "%s",
			    tag);
		} else if (images_ref_set_tag(&j->ref, tag, &err) < 0)
			goto fail;
	}
	images_ref_default_tag(&j->ref);
	snprintf(j->certs_dir, sizeof(j->certs_dir), "%s", st->certs_dir);
	if ((j->insecure = images_insecure_copy(st)) == NULL)
		goto nomem;
	if (is_config)
		(void)images_reg_auth_config(&j->reg, auth, j->ref.domain);
	else if (images_reg_auth(&j->reg, auth) < 0) {
		err = j->reg.err;
		goto fail;
	}
	if (h->work(h, resolve_work, resolved, j) < 0)
		goto nomem;
	return;
nomem:
	berth_err_set(&err, -ENOMEM, "out of memory");
fail:
	pull_refuse(j, &err);
	pull_free(j);
}

void
images_pull(struct images *st, struct berth_req *req, const char *image,
    const char *tag)
{
	pull_start(st, req, image, tag, st->h->req_header(req,
	    "X-Registry-Auth"), 0, -1, NULL, NULL);
}

/* image/1 pull: a builder's FROM of an image not here (or --pull). */
void
images_pull_op(void *state, const char *ref, const char *registry_config,
    int progress_fd, berth_image_done_cb done, void *arg)
{
	pull_start(state, NULL, ref, NULL, registry_config, 1, progress_fd,
	    done, arg);
}
