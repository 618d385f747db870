/*
 * images_save.c - GET /images/get and /images/{name}/get (`docker save`).
 *
 * Docker's save format, which every Docker since 1.10 loads:
 *
 *	<v1 id>/VERSION, <v1 id>/json, <v1 id>/layer.tar
 *	<config hex>.json	the config, byte for byte (so the ID holds)
 *	manifest.json		[{"Config","RepoTags","Layers"}]
 *	repositories		{"name":{"tag":"<top v1 id>"}}
 *
 * layer.tar is the layer's blob as it was loaded or imported, so a save
 * gives back the same diff IDs.  A layer already written under another
 * v1 ID is a symlink to it, as Docker writes it.  Times are the image's
 * creation, so saving twice gives the same bytes.
 *
 * A worker writes the tar into a pipe the core streams to the client;
 * the layers are pinned meanwhile so no removal pulls them away.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "images.h"

#define COPYSZ	(128u << 10)

struct save_image {
	char		  hex[IMAGES_HEX + 1];
	char		 *config;		/* copy of the raw config */
	size_t		  config_len;
	int64_t		  created;
	long		  created_ns;
	char		**tags;			/* familiar name:tag */
	size_t		  ntags;
	char		(*diffs)[IMAGES_HEX + 1];
	char		(*chains)[IMAGES_HEX + 1];
	size_t		  nlayers;
	struct images_layer **pinned;		/* loop side */
};

struct save_job {
	struct images		*st;
	int			 refs;		/* the job, the response */
	int			 rootfd;
	int			 out;		/* the pipe's write end */
	struct save_image	*images;
	size_t			 nimages;
	int			 rc;
	struct berth_err	 err;
};

static void
save_unref(struct save_job *j)
{
	size_t	i, k;

	if (--j->refs > 0)
		return;
	j->st->requests--;
	if (j->out != -1)
		close(j->out);
	for (i = 0; i < j->nimages; i++) {
		free(j->images[i].config);
		for (k = 0; k < j->images[i].ntags; k++)
			free(j->images[i].tags[k]);
		free(j->images[i].tags);
		free(j->images[i].diffs);
		free(j->images[i].chains);
		free(j->images[i].pinned);
	}
	free(j->images);
	free(j);
}

/* --- the worker ----------------------------------------------------------- */

static int
put_header(struct archive *a, const char *name, mode_t type, int64_t size,
    int64_t mtime, const char *link)
{
	struct archive_entry	*e;
	int			 r;

	if ((e = archive_entry_new()) == NULL)
		return -1;
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, type == AE_IFDIR ? 0755 :
	    type == AE_IFLNK ? 0777 : 0644);
	archive_entry_set_size(e, size);
	archive_entry_set_mtime(e, mtime, 0);
	if (link != NULL)
		archive_entry_set_symlink(e, link);
	r = archive_write_header(a, e);
	archive_entry_free(e);
	return r == ARCHIVE_OK ? 0 : -1;
}

static int
put_file(struct archive *a, const char *name, const char *data, size_t len,
    int64_t mtime)
{
	if (put_header(a, name, AE_IFREG, (int64_t)len, mtime, NULL) < 0)
		return -1;
	if (len > 0 && archive_write_data(a, data, len) != (la_ssize_t)len)
		return -1;
	return 0;
}

static int
put_json(struct archive *a, const char *name, json_object *o, int64_t mtime)
{
	const char	*s = json_object_to_json_string_ext(o,
			    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

	return put_file(a, name, s, strlen(s), mtime);
}

static int
put_blob(struct save_job *j, struct archive *a, const char *name,
    const char *hex, int64_t mtime, char *buf)
{
	struct stat	st;
	char		path[PATH_MAX];
	ssize_t		n;
	int		fd, rc = -1;

	snprintf(path, sizeof(path), "blobs/sha256/%s", hex);
	if ((fd = openat(j->rootfd, path, O_RDONLY | O_CLOEXEC)) == -1) {
		berth_err_errno(&j->err, "layer %.12s", hex);
		return -1;
	}
	if (fstat(fd, &st) == -1 ||
	    put_header(a, name, AE_IFREG, st.st_size, mtime, NULL) < 0)
		goto out;
	while ((n = read(fd, buf, COPYSZ)) > 0)
		if (archive_write_data(a, buf, (size_t)n) != n)
			goto out;
	rc = n == 0 ? 0 : -1;
out:
	close(fd);
	return rc;
}

static void
v1_id(const struct save_image *img, size_t i, char out[IMAGES_HEX + 1])
{
	char	buf[3 * IMAGES_HEX + 8];

	/* The top layer's ID names the image; those below, their chain. */
	if (i + 1 == img->nlayers)
		snprintf(buf, sizeof(buf), "%s %s", img->chains[i], img->hex);
	else
		snprintf(buf, sizeof(buf), "%s", img->chains[i]);
	images_sha256_hex(buf, strlen(buf), out);
}

static int
put_image(struct save_job *j, struct archive *a, struct save_image *img,
    json_object *written, json_object *manifest, json_object *repos,
    char *buf)
{
	json_object	*item, *layers, *tags, *lj, *v, *repo;
	char		 id[IMAGES_HEX + 1], parent[IMAGES_HEX + 1];
	char		 key[IMAGES_HEX + 8];
	char		 name[PATH_MAX], link[PATH_MAX], created[64], *colon;
	const char	*first;
	size_t		 i;

	berth_time_format(img->created, img->created_ns, created,
	    sizeof(created));
	layers = json_object_new_array();
	parent[0] = '\0';
	for (i = 0; i < img->nlayers; i++) {
		v1_id(img, i, id);
		snprintf(name, sizeof(name), "%s/layer.tar", id);
		json_object_array_add(layers, json_object_new_string(name));
		snprintf(key, sizeof(key), "v1:%s", id);
		if (json_object_object_get_ex(written, key, &v)) {
			snprintf(parent, sizeof(parent), "%s", id);
			continue;
		}
		json_object_object_add(written, key, json_object_new_boolean(1));
		snprintf(name, sizeof(name), "%s/", id);
		if (put_header(a, name, AE_IFDIR, 0, img->created, NULL) < 0)
			goto fail;
		snprintf(name, sizeof(name), "%s/VERSION", id);
		if (put_file(a, name, "1.0", 3, img->created) < 0)
			goto fail;
		lj = json_object_new_object();
		json_object_object_add(lj, "id", json_object_new_string(id));
		if (parent[0] != '\0')
			json_object_object_add(lj, "parent",
			    json_object_new_string(parent));
		json_object_object_add(lj, "created",
		    json_object_new_string(created));
		json_object_object_add(lj, "os",
		    json_object_new_string("linux"));
		snprintf(name, sizeof(name), "%s/json", id);
		if (put_json(a, name, lj, img->created) < 0) {
			json_object_put(lj);
			goto fail;
		}
		json_object_put(lj);
		snprintf(name, sizeof(name), "%s/layer.tar", id);
		snprintf(key, sizeof(key), "diff:%s", img->diffs[i]);
		if (json_object_object_get_ex(written, key, &v)) {
			first = json_object_get_string(v);
			snprintf(link, sizeof(link), "../%s/layer.tar", first);
			if (put_header(a, name, AE_IFLNK, 0, img->created,
			    link) < 0)
				goto fail;
		} else {
			json_object_object_add(written, key,
			    json_object_new_string(id));
			if (put_blob(j, a, name, img->diffs[i], img->created,
			    buf) < 0)
				goto fail;
		}
		snprintf(parent, sizeof(parent), "%s", id);
	}
	snprintf(name, sizeof(name), "%s.json", img->hex);
	if (!json_object_object_get_ex(written, name, &v)) {
		json_object_object_add(written, name,
		    json_object_new_boolean(1));
		if (put_file(a, name, img->config, img->config_len,
		    img->created) < 0)
			goto fail;
	}
	item = json_object_new_object();
	json_object_object_add(item, "Config", json_object_new_string(name));
	tags = NULL;
	for (i = 0; i < img->ntags; i++) {
		if (tags == NULL)
			tags = json_object_new_array();
		json_object_array_add(tags, json_object_new_string(img->tags[i]));
		/* repositories: name -> tag -> the top layer's v1 ID. */
		snprintf(name, sizeof(name), "%s", img->tags[i]);
		if ((colon = strrchr(name, ':')) == NULL || img->nlayers == 0)
			continue;
		*colon = '\0';
		if (!json_object_object_get_ex(repos, name, &repo)) {
			repo = json_object_new_object();
			json_object_object_add(repos, name, repo);
		}
		json_object_object_add(repo, colon + 1,
		    json_object_new_string(parent));
	}
	json_object_object_add(item, "RepoTags", tags);
	json_object_object_add(item, "Layers", layers);
	json_object_array_add(manifest, item);
	return 0;
fail:
	json_object_put(layers);
	return -1;
}

static void
save_work(void *arg)
{
	struct save_job	*j = arg;
	struct archive	*a;
	json_object	*written, *manifest, *repos, *eo, *d;
	const char	*line;
	char		*buf;
	size_t		 i;
	int		 rc = -1;

	written = json_object_new_object();
	manifest = json_object_new_array();
	repos = json_object_new_object();
	if ((buf = malloc(COPYSZ)) == NULL || (a = archive_write_new()) == NULL) {
		free(buf);
		berth_err_set(&j->err, -ENOMEM, "out of memory");
		goto out;
	}
	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open_fd(a, j->out) != ARCHIVE_OK)
		goto lib;
	for (i = 0; i < j->nimages; i++)
		if (put_image(j, a, &j->images[i], written, manifest, repos,
		    buf) < 0)
			goto lib;
	if (put_json(a, "manifest.json", manifest, 0) < 0)
		goto lib;
	if (json_object_object_length(repos) > 0 &&
	    put_json(a, "repositories", repos, 0) < 0)
		goto lib;
	if (archive_write_close(a) != ARCHIVE_OK)
		goto lib;
	rc = 0;
lib:
	if (rc < 0 && j->err.code == 0)
		berth_err_set(&j->err, -EIO, "%s",
		    archive_error_string(a) ? archive_error_string(a) :
		    "write failed");
	archive_write_free(a);
	free(buf);
out:
	if (rc < 0 && j->err.code != -EPIPE) {
		/* As Docker: the error, in the stream it spoils. */
		eo = json_object_new_object();
		d = json_object_new_object();
		json_object_object_add(d, "message",
		    json_object_new_string(j->err.msg));
		json_object_object_add(eo, "errorDetail", d);
		json_object_object_add(eo, "error",
		    json_object_new_string(j->err.msg));
		line = json_object_to_json_string_ext(eo,
		    JSON_C_TO_STRING_PLAIN);
		if (write(j->out, line, strlen(line)) > 0)
			(void)write(j->out, "\r\n", 2);
		json_object_put(eo);
	}
	j->rc = rc < 0 ? (j->err.code ? j->err.code : -EIO) : 0;
	json_object_put(written);
	json_object_put(manifest);
	json_object_put(repos);
	close(j->out);
	j->out = -1;
}

/* --- the loop ------------------------------------------------------------ */

static void
save_worked(void *arg)
{
	struct save_job		*j = arg;
	struct save_image	*img;
	size_t			 i, k;

	images_stream_end(j->st);
	/* After fini the layers are gone from memory: nothing to unpin. */
	for (i = 0; !j->st->stopping && i < j->nimages; i++) {
		img = &j->images[i];
		for (k = 0; k < img->nlayers && img->pinned != NULL; k++)
			images_layer_unpin(j->st, img->pinned[k]);
		if (j->rc == 0)
			images_event(j->st, "save", img->hex, NULL, 1);
	}
	save_unref(j);
}

static void
save_sent(void *arg, int rc)
{
	save_unref(arg);
}

/* One image into the job, or the tag it is saved under if already in. */
static int
add_image(struct save_job *j, struct images_image *img, const char *tag)
{
	struct save_image	*si = NULL, *grown;
	char			**tags;
	size_t			 i;

	for (i = 0; i < j->nimages; i++)
		if (strcmp(j->images[i].hex, img->hex) == 0)
			si = &j->images[i];
	if (si == NULL) {
		if ((grown = realloc(j->images, (j->nimages + 1) *
		    sizeof(*grown))) == NULL)
			return -ENOMEM;
		j->images = grown;
		si = &grown[j->nimages];
		memset(si, 0, sizeof(*si));
		j->nimages++;
		memcpy(si->hex, img->hex, sizeof(si->hex));
		si->created = img->created;
		si->created_ns = img->created_ns;
		if ((si->config = malloc(img->raw_len + 1)) == NULL ||
		    (img->nlayers > 0 && ((si->diffs = calloc(img->nlayers,
		    sizeof(*si->diffs))) == NULL || (si->chains =
		    calloc(img->nlayers, sizeof(*si->chains))) == NULL ||
		    (si->pinned = calloc(img->nlayers,
		    sizeof(*si->pinned))) == NULL)))
			return -ENOMEM;
		memcpy(si->config, img->raw, img->raw_len + 1);
		si->config_len = img->raw_len;
		images_chain_ids(img, si->chains);
		for (i = 0; i < img->nlayers; i++) {
			memcpy(si->diffs[i], img->layers[i]->hex,
			    IMAGES_HEX + 1);
			si->pinned[i] = img->layers[i];
			images_layer_pin(img->layers[i]);
		}
		si->nlayers = img->nlayers;
	}
	if (tag == NULL)
		return 0;
	for (i = 0; i < si->ntags; i++)
		if (strcmp(si->tags[i], tag) == 0)
			return 0;
	if ((tags = realloc(si->tags, (si->ntags + 1) * sizeof(*tags))) ==
	    NULL)
		return -ENOMEM;
	si->tags = tags;
	if ((tags[si->ntags] = strdup(tag)) == NULL)
		return -ENOMEM;
	si->ntags++;
	return 0;
}

/* tarexport's parseNames: a name, all its tags; name:tag; an ID. */
static int
add_name(struct images *st, struct save_job *j, const char *s,
    struct berth_err *err)
{
	struct images_ref	 ref;
	struct images_image	*img;
	struct images_tag	*t;
	char			 id[IMAGES_HEX + 1], fam[1024], name[1024];
	char			 tname[1024];
	int			 rc, any = 0;

	if ((rc = images_ref_parse_any(s, &ref, id, err)) < 0)
		return rc;
	if (rc == 1) {
		if ((img = images_find_id(st, id)) == NULL)
			return berth_err_set(err, -ENOENT,
			    "No such image: sha256:%s", id);
		return add_image(j, img, NULL);
	}
	images_ref_familiar_name(&ref, fam, sizeof(fam));
	if (ref.tag[0] == '\0' && ref.digest[0] == '\0') {
		images_ref_name(&ref, name, sizeof(name));
		TAILQ_FOREACH(t, &st->tags, entry) {
			images_ref_name(&t->ref, tname, sizeof(tname));
			if (strcmp(tname, name) != 0 || t->ref.tag[0] == '\0' ||
			    (img = images_find_id(st, t->hex)) == NULL)
				continue;
			images_ref_familiar(&t->ref, fam, sizeof(fam));
			if ((rc = add_image(j, img, fam)) < 0)
				return berth_err_set(err, rc, "out of memory");
			any = 1;
		}
		if (any)
			return 0;
		/* No such repository: maybe an ID prefix. */
		if (images_lookup(st, s, &img, err) < 0 ||
		    !images_ref_is_id_prefix(img->hex, s))
			return berth_err_set(err, -ENOENT,
			    "No such image: %s", s);
		return add_image(j, img, NULL);
	}
	if ((t = images_tag_find(st, &ref)) == NULL ||
	    (img = images_find_id(st, t->hex)) == NULL)
		return berth_err_set(err, -ENOENT, "reference does not exist");
	images_ref_familiar(&ref, fam, sizeof(fam));
	return add_image(j, img, ref.tag[0] ? fam : NULL);
}

void
images_save(struct berth_req *req, void *state)
{
	struct images		*st = state;
	const struct berth_host	*h = st->h;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct save_job		*j;
	const char		*name;
	size_t			 i, k;
	int			 p[2] = { -1, -1 }, rc;

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
	j->rc = -ECANCELED;
	if ((name = h->req_param(req, "name")) != NULL) {
		if ((rc = add_name(st, j, name, &err)) < 0)
			goto fail;
	} else {
		for (i = 0; (name = h->req_query(req, "names", i)) != NULL;
		    i++)
			if ((rc = add_name(st, j, name, &err)) < 0)
				goto fail;
	}
	if (images_pipe(p) < 0) {
		berth_err_errno(&err, "pipe");
		goto fail;
	}
	j->out = p[1];
	j->refs++;		/* for the answer, until save_sent */
	if ((rc = images_stream_start(st, save_work, save_worked, j)) < 0) {
		j->refs--;
		close(p[0]);
		berth_err_set(&err, rc, "cannot start the save: %s",
		    strerror(-rc));
		goto fail;
	}
	h->resp_from_fd(req, 200, "application/x-tar", p[0], save_sent, j);
	return;
fail:
	if (err.code == 0)
		berth_err_set(&err, -ENOMEM, "out of memory");
	h->resp_error(req, &err);
	for (i = 0; i < j->nimages; i++)
		for (k = 0; k < j->images[i].nlayers &&
		    j->images[i].pinned != NULL; k++)
			if (j->images[i].pinned[k] != NULL)
				images_layer_unpin(st, j->images[i].pinned[k]);
	save_unref(j);
}
