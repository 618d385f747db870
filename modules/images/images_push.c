/*
 * images_push.c - POST /images/{name}/push (`docker push`).
 *
 * Every tag of the repository (or the one ?tag= names) goes to its
 * registry as Docker's schema 2 manifest: the image config as its
 * config blob, and each layer as the blob the store keeps, the
 * uncompressed tar (media type ...rootfs.diff.tar), so a layer's digest
 * is its diff ID and nothing is compressed or hashed again.  A blob the
 * registry has is not sent ("Layer already exists"); one another of its
 * repositories has (seen in a push or pull) is mounted from there
 * ("Mounted from x"); any other is uploaded whole (POST, then PUT with
 * its digest).  Then the manifest,
 * and Docker's closing lines: "<tag>: digest: <d> size: <n>" and the
 * aux {Tag, Digest, Size}.  The pushed reference gains a RepoDigest.
 *
 * The work runs in a stream worker (images_registry.c says why) that
 * writes Docker's JSON progress into a pipe the core streams to the
 * client; the layers are pinned meanwhile.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <berth/json.h>

#include "images.h"

#define MT_MANIFEST	"application/vnd.docker.distribution.manifest.v2+json"
#define MT_CONFIG	"application/vnd.docker.container.image.v1+json"
#define MT_LAYER	"application/vnd.docker.image.rootfs.diff.tar"

struct push_tag {
	char			 tag[IMAGES_TAG_MAX + 1];
	char			 hex[IMAGES_HEX + 1];	/* the image */
	char			*config;
	size_t			 config_len;
	char			(*diffs)[IMAGES_HEX + 1];
	int64_t			*sizes;			/* tar bytes */
	size_t			 nlayers;
	struct images_layer	**pinned;		/* loop side */
	char			 digest[IMAGES_ID_LEN + 1];	/* pushed */
};

struct push_job {
	struct images		*st;
	int			 refs;		/* the job, the response */
	int			 rootfd;
	int			 out;		/* the pipe's write end */
	struct images_ref	 ref;		/* name, no tag */
	struct images_reg	 reg;
	struct push_tag		*tags;
	size_t			 ntags;
	char			 certs_dir[PATH_MAX];
	char			**insecure;	/* a copy */
	struct images_seen	*from;		/* this registry's, a copy */
	size_t			 nfrom;
	uint64_t		 last_progress;	/* ms */
	int			 rc;
};

static void
push_unref(struct push_job *j)
{
	size_t	i;

	if (--j->refs > 0)
		return;
	j->st->requests--;
	if (j->out != -1)
		close(j->out);
	for (i = 0; i < j->ntags; i++) {
		free(j->tags[i].config);
		free(j->tags[i].diffs);
		free(j->tags[i].sizes);
		free(j->tags[i].pinned);
	}
	images_strv_free(j->insecure);
	free(j->from);
	free(j->tags);
	explicit_bzero(&j->reg, sizeof(j->reg));
	free(j);
}

/* --- the worker ----------------------------------------------------------- */

static uint64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct upload {
	struct push_job	*j;
	const char	*id;
};

/* "Pushing" with a bar, at most every 100 ms. */
static void
uploading(void *arg, size_t done, size_t total)
{
	struct upload	*u = arg;
	json_object	*o, *d;
	char		 bar[128], h1[32], h2[32];
	size_t		 w = total ? done * 50 / total : 50;

	if (done < total && now_ms() - u->j->last_progress < 100)
		return;
	u->j->last_progress = now_ms();
	images_human_size((double)done, h1, sizeof(h1));
	images_human_size((double)total, h2, sizeof(h2));
	snprintf(bar, sizeof(bar), "[%.*s>%*s]  %s/%s", (int)(w > 0 ? w - 1 :
	    0), "==================================================",
	    (int)(50 - w), "", h1, h2);
	o = json_object_new_object();
	json_object_object_add(o, "status", json_object_new_string("Pushing"));
	d = json_object_new_object();
	json_object_object_add(d, "current", json_object_new_int64(
	    (int64_t)done));
	json_object_object_add(d, "total", json_object_new_int64(
	    (int64_t)total));
	json_object_object_add(o, "progressDetail", d);
	json_object_object_add(o, "progress", json_object_new_string(bar));
	json_object_object_add(o, "id", json_object_new_string(u->id));
	images_progress(u->j->out, o);
}

static int
reg_fail(struct push_job *j, const char *what, struct images_reg_resp *rs)
{
	char	msg[512];

	images_reg_errmsg(rs, msg, sizeof(msg));
	return berth_err_set(&j->reg.err, rs->status == 401 ||
	    rs->status == 403 ? -EACCES : -EIO, "%s: %s", what, msg);
}

/* A repository name in a query: '/' as %2F, as Go's url.Values has it. */
static char *
query_escape(const char *repo)
{
	char	*out = malloc(strlen(repo) * 3 + 1), *o = out;

	if (out == NULL)
		return strdup("");
	for (; *repo != '\0'; repo++) {
		if (*repo == '/') {
			memcpy(o, "%2F", 3);
			o += 3;
		} else
			*o++ = *repo;
	}
	*o = '\0';
	return out;
}

/* A repository of this registry known to hold blob hex, or NULL. */
static const char *
mount_from(const struct push_job *j, const char *hex)
{
	size_t	i;

	for (i = 0; i < j->nfrom; i++)
		if (strcmp(j->from[i].hex, hex) == 0 &&
		    strcmp(j->from[i].repo, j->ref.path) != 0)
			return j->from[i].repo;
	return NULL;
}

/*
 * Blob hex, the file blobs/sha256/<hex> of len bytes, into the registry
 * unless it is there.  id: the short ID progress is shown under, or
 * NULL for the config.  *sent: PUSH_SENT if it was uploaded,
 * PUSH_MOUNTED if mounted from *from, 0 if it was there.
 */
#define PUSH_SENT	1
#define PUSH_MOUNTED	2

static int
push_blob(struct push_job *j, const char *hex, size_t len, const char *id,
    int *sent, const char **from)
{
	struct images_reg_resp	 rs;
	struct images_reg_body	 b;
	struct upload		 u = { j, id };
	char			 path[IMAGES_NAME_MAX + 128], url[4096];
	char			 loc[IMAGES_REG_HDR_MAX];
	int			 fd, rc;

	memset(&rs, 0, sizeof(rs));
	rs.fd = -1;
	*sent = 0;
	*from = NULL;
	snprintf(path, sizeof(path), "/v2/%s/blobs/sha256:%s", j->ref.path,
	    hex);
	if ((rc = images_reg_do(&j->reg, "HEAD", path, NULL, &rs, 0)) < 0)
		goto out;
	if (rs.status == 200)
		goto out;
	/* Mounted from a sibling, or an upload begun (202) as usual. */
	if ((*from = mount_from(j, hex)) != NULL) {
		char *esc = query_escape(*from);

		snprintf(path, sizeof(path), "/v2/%s/blobs/uploads/?mount="
		    "sha256:%s&from=%s", j->ref.path, hex, esc);
		free(esc);
	} else
		snprintf(path, sizeof(path), "/v2/%s/blobs/uploads/",
		    j->ref.path);
	if ((rc = images_reg_do(&j->reg, "POST", path, NULL, &rs, 0)) < 0)
		goto out;
	if (rs.status == 201 && *from != NULL) {
		*sent = PUSH_MOUNTED;
		goto out;
	}
	if (rs.status != 202 || rs.location[0] == '\0') {
		rc = reg_fail(j, "starting an upload", &rs);
		goto out;
	}
	snprintf(loc, sizeof(loc), "%s", rs.location);
	snprintf(url, sizeof(url), "%s%sdigest=sha256:%s", loc,
	    strchr(loc, '?') != NULL ? "&" : "?", hex);
	snprintf(path, sizeof(path), "blobs/sha256/%s", hex);
	if ((fd = openat(j->rootfd, path, O_RDONLY | O_CLOEXEC)) == -1) {
		rc = berth_err_errno(&j->reg.err, "open the blob sha256:%s",
		    hex);
		goto out;
	}
	memset(&b, 0, sizeof(b));
	b.fd = fd;
	b.len = len;
	b.ctype = "application/octet-stream";
	if (id != NULL) {
		b.progress = uploading;
		b.progress_arg = &u;
	}
	rc = images_reg_do(&j->reg, "PUT", url, &b, &rs, 0);
	close(fd);
	if (rc == 0 && rs.status != 201)
		rc = reg_fail(j, "uploading a blob", &rs);
	*sent = rc == 0 ? PUSH_SENT : 0;
out:
	free(rs.body);
	return rc;
}

static int
push_tag(struct push_job *j, struct push_tag *t)
{
	struct images_reg_resp	 rs;
	struct images_reg_body	 b;
	json_object		*m, *c, *layers, *l;
	char			 path[IMAGES_NAME_MAX + IMAGES_TAG_MAX + 64];
	char			 id[13], hex[IMAGES_HEX + 1], name[1024];
	const char		*text, *from;
	size_t			 i;
	int			 rc, sent;

	for (i = 0; i < t->nlayers; i++) {
		snprintf(id, sizeof(id), "%.12s", t->diffs[i]);
		images_progress_status(j->out, id, "Preparing");
	}
	for (i = t->nlayers; i-- > 0;) {
		snprintf(id, sizeof(id), "%.12s", t->diffs[i]);
		if ((rc = push_blob(j, t->diffs[i], (size_t)t->sizes[i], id,
		    &sent, &from)) < 0)
			return rc;
		if (sent == PUSH_MOUNTED)
			images_progress_status(j->out, id, "Mounted from %s",
			    from);
		else
			images_progress_status(j->out, id, sent ? "Pushed" :
			    "Layer already exists");
	}
	if ((rc = push_blob(j, t->hex, t->config_len, NULL, &sent,
	    &from)) < 0)
		return rc;
	m = json_object_new_object();
	json_object_object_add(m, "schemaVersion", json_object_new_int(2));
	json_object_object_add(m, "mediaType",
	    json_object_new_string(MT_MANIFEST));
	c = json_object_new_object();
	json_object_object_add(c, "mediaType",
	    json_object_new_string(MT_CONFIG));
	json_object_object_add(c, "size",
	    json_object_new_int64((int64_t)t->config_len));
	snprintf(name, sizeof(name), "sha256:%s", t->hex);
	json_object_object_add(c, "digest", json_object_new_string(name));
	json_object_object_add(m, "config", c);
	layers = json_object_new_array();
	for (i = 0; i < t->nlayers; i++) {
		l = json_object_new_object();
		json_object_object_add(l, "mediaType",
		    json_object_new_string(MT_LAYER));
		json_object_object_add(l, "size",
		    json_object_new_int64(t->sizes[i]));
		snprintf(name, sizeof(name), "sha256:%s", t->diffs[i]);
		json_object_object_add(l, "digest",
		    json_object_new_string(name));
		json_object_array_add(layers, l);
	}
	json_object_object_add(m, "layers", layers);
	text = json_object_to_json_string_ext(m, JSON_C_TO_STRING_PRETTY |
	    JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
	memset(&b, 0, sizeof(b));
	b.data = text;
	b.fd = -1;
	b.len = strlen(text);
	b.ctype = MT_MANIFEST;
	memset(&rs, 0, sizeof(rs));
	rs.fd = -1;
	snprintf(path, sizeof(path), "/v2/%s/manifests/%s", j->ref.path,
	    t->tag);
	rc = images_reg_do(&j->reg, "PUT", path, &b, &rs, 0);
	if (rc == 0 && rs.status != 201)
		rc = reg_fail(j, "uploading the manifest", &rs);
	free(rs.body);
	if (rc == 0) {
		images_sha256_hex(text, b.len, hex);
		snprintf(t->digest, sizeof(t->digest), "sha256:%s", hex);
		images_progress_status(j->out, NULL, "%s: digest: %s size: %zu",
		    t->tag, t->digest, b.len);
		c = json_object_new_object();
		json_object_object_add(c, "progressDetail",
		    json_object_new_object());
		l = json_object_new_object();
		json_object_object_add(l, "Tag",
		    json_object_new_string(t->tag));
		json_object_object_add(l, "Digest",
		    json_object_new_string(t->digest));
		json_object_object_add(l, "Size",
		    json_object_new_int64((int64_t)b.len));
		json_object_object_add(c, "aux", l);
		images_progress(j->out, c);
	}
	json_object_put(m);
	return rc;
}

static void
push_work(void *arg)
{
	struct push_job	*j = arg;
	char		 name[1024];
	size_t		 i;

	images_ref_name(&j->ref, name, sizeof(name));
	images_progress_status(j->out, NULL, "The push refers to repository "
	    "[%s]", name);
	j->rc = images_reg_open(&j->reg, &j->ref, "pull,push", j->certs_dir,
	    j->insecure);
	for (i = 0; j->rc == 0 && i < j->ntags; i++)
		j->rc = push_tag(j, &j->tags[i]);
	images_reg_close(&j->reg);
	if (j->rc < 0)
		images_progress_error(j->out, j->reg.err.msg);
	close(j->out);
	j->out = -1;
}

static void
push_worked(void *arg)
{
	struct push_job		*j = arg;
	struct images_ref	 ref;
	struct push_tag		*t;
	char			 prev[IMAGES_HEX + 1], name[1024];
	size_t			 i, k;
	int			 tagged = 0;

	images_stream_end(j->st);
	for (i = 0; !j->st->stopping && i < j->ntags; i++) {
		t = &j->tags[i];
		for (k = 0; k < t->nlayers && t->pinned != NULL; k++)
			images_layer_unpin(j->st, t->pinned[k]);
		if (t->digest[0] == '\0')
			continue;
		/* The registry has these now: a later push may mount them. */
		images_seen_add(j->st, t->hex, j->ref.domain, j->ref.path);
		for (k = 0; k < t->nlayers; k++)
			images_seen_add(j->st, t->diffs[k], j->ref.domain,
			    j->ref.path);
		if (images_find_id(j->st, t->hex) == NULL)
			continue;
		/* name@digest: the image's RepoDigest from now on. */
		ref = j->ref;
		ref.tag[0] = '\0';
		snprintf(ref.digest, sizeof(ref.digest), "%s", t->digest);
		if (images_tag_set(j->st, &ref, t->hex, prev,
		    &j->reg.err) == 0)
			tagged = 1;
		ref = j->ref;
		snprintf(ref.tag, sizeof(ref.tag), "%s", t->tag);
		images_ref_familiar(&ref, name, sizeof(name));
		images_event(j->st, "push", t->hex, name, 0);
	}
	if (tagged)
		images_save_tags(j->st, NULL, NULL);
	push_unref(j);
}

static void
push_sent(void *arg, int rc)
{
	push_unref(arg);
}

/* --- the request ---------------------------------------------------------- */

static int
add_tag(struct push_job *j, struct images *st, struct images_tag *tg)
{
	struct images_image	*img = images_find_id(st, tg->hex);
	struct push_tag		*t, *grown;
	size_t			 i;

	if (img == NULL)
		return 0;
	if ((grown = realloc(j->tags, (j->ntags + 1) * sizeof(*grown))) ==
	    NULL)
		return -ENOMEM;
	j->tags = grown;
	t = &grown[j->ntags];
	memset(t, 0, sizeof(*t));
	j->ntags++;
	snprintf(t->tag, sizeof(t->tag), "%s", tg->ref.tag);
	memcpy(t->hex, img->hex, sizeof(t->hex));
	if ((t->config = malloc(img->raw_len + 1)) == NULL ||
	    (t->diffs = calloc(img->nlayers + 1, sizeof(*t->diffs))) == NULL ||
	    (t->sizes = calloc(img->nlayers + 1, sizeof(*t->sizes))) == NULL ||
	    (t->pinned = calloc(img->nlayers + 1, sizeof(*t->pinned))) == NULL)
		return -ENOMEM;
	memcpy(t->config, img->raw, img->raw_len);
	t->config_len = img->raw_len;
	for (i = 0; i < img->nlayers; i++) {
		memcpy(t->diffs[i], img->layers[i]->hex, IMAGES_HEX + 1);
		t->sizes[i] = img->layers[i]->tar_size;
		images_layer_pin(img->layers[i]);
		t->pinned[i] = img->layers[i];
	}
	t->nlayers = img->nlayers;
	return 0;
}

void
images_push(struct berth_req *req, void *state)
{
	struct images		*st = state;
	const struct berth_host	*h = st->h;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct push_job		*j;
	struct images_tag	*tg;
	const char		*name = h->req_param(req, "name");
	const char		*tag = h->req_query(req, "tag", 0);
	char			 want[1024], have[1024], fam[1024];
	size_t			 i, k;
	int			 p[2], rc;

	if ((j = calloc(1, sizeof(*j))) == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		h->resp_error(req, &err);
		return;
	}
	j->st = st;
	st->requests++;
	j->refs = 1;
	j->rootfd = st->rootfd;
	j->out = -1;
	if (images_ref_parse(name, &j->ref, &err) < 0)
		goto fail;
	if (j->ref.tag[0] != '\0' && tag != NULL && *tag != '\0' &&
	    strcmp(tag, j->ref.tag) != 0) {
		berth_err_set(&err, -EINVAL, "tag given twice");
		goto fail;
	}
	if (tag != NULL && *tag != '\0' &&
	    images_ref_set_tag(&j->ref, tag, &err) < 0)
		goto fail;
	images_ref_name(&j->ref, want, sizeof(want));
	/* One tag, or every tag of the repository (docker push -a). */
	TAILQ_FOREACH(tg, &st->tags, entry) {
		images_ref_name(&tg->ref, have, sizeof(have));
		if (strcmp(have, want) != 0 || tg->ref.tag[0] == '\0' ||
		    (j->ref.tag[0] != '\0' && strcmp(tg->ref.tag,
		    j->ref.tag) != 0))
			continue;
		if ((rc = add_tag(j, st, tg)) < 0) {
			berth_err_set(&err, rc, "out of memory");
			goto fail;
		}
	}
	if (j->ntags == 0) {
		images_ref_familiar(&j->ref, fam, sizeof(fam));
		if (j->ref.tag[0] != '\0')
			berth_err_set(&err, -ENOENT, "tag does not exist: %s",
			    fam);
		else
			berth_err_set(&err, -ENOENT, "An image does not exist "
			    "locally with the tag: %s", want);
		goto fail;
	}
	j->ref.tag[0] = '\0';
	snprintf(j->certs_dir, sizeof(j->certs_dir), "%s", st->certs_dir);
	if ((j->insecure = images_insecure_copy(st)) == NULL)
		goto nomem;
	if (st->nseen > 0 && (j->from = calloc(st->nseen,
	    sizeof(*j->from))) == NULL)
		goto nomem;
	for (i = 0; i < st->nseen; i++)
		if (strcmp(st->seen[i].domain, j->ref.domain) == 0)
			j->from[j->nfrom++] = st->seen[i];
	if (images_reg_auth(&j->reg, h->req_header(req,
	    "X-Registry-Auth")) < 0) {
		err = j->reg.err;
		goto fail;
	}
	if (images_pipe(p) < 0) {
		berth_err_errno(&err, "pipe");
		goto fail;
	}
	j->out = p[1];
	j->refs++;		/* for the answer, until push_sent */
	if ((rc = images_stream_start(st, push_work, push_worked, j)) < 0) {
		j->refs--;
		close(p[0]);
		berth_err_set(&err, rc, "cannot start the push: %s",
		    strerror(-rc));
		goto fail;
	}
	h->resp_from_fd(req, 200, "application/json", p[0], push_sent, j);
	return;
nomem:
	berth_err_set(&err, -ENOMEM, "out of memory");
fail:
	h->resp_error(req, &err);
	for (i = 0; i < j->ntags; i++)
		for (k = 0; k < j->tags[i].nlayers &&
		    j->tags[i].pinned != NULL; k++)
			if (j->tags[i].pinned[k] != NULL)
				images_layer_unpin(st, j->tags[i].pinned[k]);
	push_unref(j);
}
