/*
 * images_load.c - POST /images/load (`docker load`): Docker's save
 * format (manifest.json, <id>/layer.tar, <config>.json) and the OCI image
 * layout (index.json, blobs/sha256/...), the archive and its layers
 * compressed or not.
 *
 * The archive is read once, as it arrives: the manifest may come last,
 * so every member that looks like a layer is unpacked into tmp/ on the
 * way (hashing it), and the small JSON members are kept in memory.  At
 * the end the manifest says which of them make which image; diff IDs
 * are checked against the configs, and the commit is queued.
 *
 * The answer is a 200 from the start, as in Docker: progress (unless
 * quiet) and the final "Loaded image" lines, or an in-band error, are
 * written by workers into a pipe that the core streams to the client.
 */
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

#define READSZ		(128u << 10)
#define HEADSZ		512
#define META_MAX	(64u << 20)	/* all JSON members together */
#define LINK_DEPTH	16

#define E_LAYER		1
#define E_JSON		2
#define E_LINK		3

struct load_entry {
	char		*name;		/* cleaned member name */
	int		 kind;
	/* E_LAYER */
	int		 idx;		/* tmp/<load>/L<idx>, B<idx> */
	char		 diff[IMAGES_HEX + 1];
	char		 raw[IMAGES_HEX + 1];
	uint64_t	 size, tar_size;
	/* E_JSON */
	char		*data;
	size_t		 len;
	char		 sha[IMAGES_HEX + 1];
	/* E_LINK */
	char		*target;	/* cleaned, from the archive's root */
};

struct load_image {
	char		 hex[IMAGES_HEX + 1];
	char		*config;
	size_t		 config_len;
	char		**tags;		/* full references */
	size_t		 ntags;
	size_t		*layers;	/* entry indices, diff_ids order */
	size_t		 nlayers;
};

struct load_job {
	struct images		*st;
	struct berth_req	*req;
	int			 refs;		/* the job, the response */
	int			 rootfd;
	int			 fd;		/* body pipe, read end */
	int			 out;		/* response pipe, write end */
	int			 quiet;
	char			 tmpdir[IMAGES_TMP_MAX];
	char			*buf;
	struct archive		*a;
	char			 head[HEADSZ];
	size_t			 headlen;
	struct load_entry	*entries;
	size_t			 nentries;
	size_t			 meta;		/* JSON bytes kept */
	int			 nlayers;
	/* progress of the layer being read */
	char			 pid[16];
	uint64_t		 ptotal, plast;
	/* the result */
	struct load_image	*images;
	size_t			 nimages;
	int			 rc;
	struct berth_err	 err;
	int			 pending;	/* body and worker */
	int			 body_rc;
	char			*tail;		/* last lines for the client */
	struct images_commit	*commit;
};

static void
job_unref(struct load_job *j)
{
	size_t	i, k;

	if (--j->refs > 0)
		return;
	j->st->requests--;
	if (j->fd != -1)
		close(j->fd);
	if (j->out != -1)
		close(j->out);
	for (i = 0; i < j->nentries; i++) {
		free(j->entries[i].name);
		free(j->entries[i].data);
		free(j->entries[i].target);
	}
	free(j->entries);
	for (i = 0; i < j->nimages; i++) {
		free(j->images[i].config);
		for (k = 0; k < j->images[i].ntags; k++)
			free(j->images[i].tags[k]);
		free(j->images[i].tags);
		free(j->images[i].layers);
	}
	free(j->images);
	images_commit_free(j->commit);
	free(j->tail);
	free(j->buf);
	free(j);
}

/* --- messages, as Docker's stream formatter writes them ---------------- */

static char *
line_of(json_object *o)
{
	char	*s;

	if (asprintf(&s, "%s\r\n", json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)) < 0)
		s = NULL;
	json_object_put(o);
	return s;
}

static char *
stream_line(const char *text)
{
	json_object	*o = json_object_new_object();

	json_object_object_add(o, "stream", json_object_new_string(text));
	return line_of(o);
}

static char *
error_line(const char *msg)
{
	json_object	*o = json_object_new_object(), *d;

	d = json_object_new_object();
	json_object_object_add(d, "message", json_object_new_string(msg));
	json_object_object_add(o, "errorDetail", d);
	json_object_object_add(o, "error", json_object_new_string(msg));
	return line_of(o);
}

static void
out_write(struct load_job *j, const char *s)
{
	size_t	len = strlen(s);
	ssize_t	n;

	/* A client that left closed the read end: EPIPE, and we go on. */
	while (len > 0) {
		if ((n = write(j->out, s, len)) < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		s += n;
		len -= (size_t)n;
	}
}

static void
progress(void *arg, uint64_t cur)
{
	struct load_job	*j = arg;
	json_object	*o, *d;
	char		 bar[64], a[32], b[32], text[160], *s;
	int		 pct, i;

	if (j->quiet || (cur - j->plast < (1u << 20) && cur < j->ptotal))
		return;
	j->plast = cur;
	pct = j->ptotal ? (int)((double)cur / (double)j->ptotal * 100) / 2 : 0;
	if (pct > 50)
		pct = 50;
	for (i = 0; i < pct; i++)
		bar[i] = '=';
	bar[i++] = '>';
	for (; i < 51; i++)
		bar[i] = ' ';
	bar[i] = '\0';
	images_human_size((double)cur, a, sizeof(a));
	images_human_size((double)j->ptotal, b, sizeof(b));
	snprintf(text, sizeof(text), "[%s] %8s/%s", bar, a, b);
	o = json_object_new_object();
	json_object_object_add(o, "status",
	    json_object_new_string("Loading layer"));
	d = json_object_new_object();
	json_object_object_add(d, "current", json_object_new_int64((int64_t)cur));
	json_object_object_add(d, "total",
	    json_object_new_int64((int64_t)j->ptotal));
	json_object_object_add(o, "progressDetail", d);
	json_object_object_add(o, "progress", json_object_new_string(text));
	json_object_object_add(o, "id", json_object_new_string(j->pid));
	if ((s = line_of(o)) != NULL) {
		out_write(j, s);
		free(s);
	}
}

/* --- reading the archive (worker) --------------------------------------- */

static la_ssize_t
body_read(struct archive *a, void *arg, const void **buf)
{
	struct load_job	*j = arg;
	ssize_t		 n;

	while ((n = read(j->fd, j->buf, READSZ)) < 0 && errno == EINTR)
		;
	*buf = j->buf;
	return n < 0 ? -1 : n;
}

/* A member's bytes for the layer reader: the sniffed head, then the rest. */
static ssize_t
member_read(void *arg, const void **buf)
{
	struct load_job		*j = arg;
	la_ssize_t		 n;
	size_t			 len;

	if (j->headlen > 0) {
		*buf = j->head;
		len = j->headlen;
		j->headlen = 0;
		return (ssize_t)len;
	}
	n = archive_read_data(j->a, j->buf + READSZ, READSZ);
	*buf = j->buf + READSZ;
	if (n < 0) {
		berth_err_set(&j->err, -EINVAL, "Error processing tar file: %s",
		    archive_error_string(j->a) ? archive_error_string(j->a) :
		    "unexpected EOF");
		return -1;
	}
	return n;
}

static struct load_entry *
entry_new(struct load_job *j, const char *name, int kind)
{
	struct load_entry	*grown, *e;

	if ((grown = realloc(j->entries, (j->nentries + 1) *
	    sizeof(*grown))) == NULL)
		return NULL;
	j->entries = grown;
	e = &j->entries[j->nentries];
	memset(e, 0, sizeof(*e));
	if ((e->name = strdup(name)) == NULL)
		return NULL;
	e->kind = kind;
	j->nentries++;
	return e;
}

static int
read_head(struct load_job *j)
{
	la_ssize_t	n;

	j->headlen = 0;
	while (j->headlen < HEADSZ) {
		n = archive_read_data(j->a, j->head + j->headlen,
		    HEADSZ - j->headlen);
		if (n < 0)
			return berth_err_set(&j->err, -EINVAL,
			    "Error processing tar file: %s",
			    archive_error_string(j->a) ?
			    archive_error_string(j->a) : "unexpected EOF");
		if (n == 0)
			break;
		j->headlen += (size_t)n;
	}
	return 0;
}

static int
keep_json(struct load_job *j, const char *name, la_int64_t size)
{
	struct load_entry	*e;
	char			*data;
	size_t			 len = j->headlen;
	la_ssize_t		 n;

	if (size > IMAGES_JSON_MAX || j->meta + (size_t)size > META_MAX)
		return berth_err_set(&j->err, -EINVAL,
		    "invalid archive: %s is too large", name);
	if ((data = malloc((size_t)size + 1)) == NULL)
		return berth_err_set(&j->err, -ENOMEM, "out of memory");
	memcpy(data, j->head, len);
	while ((n = archive_read_data(j->a, data + len,
	    (size_t)size + 1 - len)) > 0 && len < (size_t)size)
		len += (size_t)n;
	if (n < 0 || len > (size_t)size) {
		free(data);
		return berth_err_set(&j->err, -EINVAL,
		    "Error processing tar file: %s",
		    archive_error_string(j->a) ?
		    archive_error_string(j->a) : "unexpected EOF");
	}
	data[len] = '\0';
	if ((e = entry_new(j, name, E_JSON)) == NULL) {
		free(data);
		return berth_err_set(&j->err, -ENOMEM, "out of memory");
	}
	e->data = data;
	e->len = len;
	images_sha256_hex(data, len, e->sha);
	j->meta += len;
	return 0;
}

static void
progress_id(const char *name, char id[16])
{
	const char	*p = name, *slash;

	if (strncmp(name, "blobs/", 6) == 0 &&
	    (slash = strrchr(name, '/')) != NULL)
		p = slash + 1;
	snprintf(id, 13, "%.12s", p);
	if ((slash = strchr(id, '/')) != NULL)
		*(char *)slash = '\0';
}

static int
unpack_member(struct load_job *j, const char *name, la_int64_t size)
{
	struct images_unpack	 u;
	struct load_entry	*e;
	char			 path[PATH_MAX], line[64];
	int			 ldir = -1, diff = -1, blob = -1, idx, rc;

	idx = j->nlayers++;
	snprintf(path, sizeof(path), "%s/L%d", j->tmpdir, idx);
	if (mkdirat(j->rootfd, path, 0700) == -1 ||
	    (ldir = openat(j->rootfd, path, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || mkdirat(ldir, "diff", 0755) == -1 ||
	    (diff = openat(ldir, "diff", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1) {
		rc = berth_err_errno(&j->err, "mkdir %s", path);
		goto out;
	}
	snprintf(path, sizeof(path), "%s/B%d", j->tmpdir, idx);
	if ((blob = openat(j->rootfd, path, O_WRONLY | O_CREAT | O_EXCL |
	    O_CLOEXEC, 0644)) == -1) {
		rc = berth_err_errno(&j->err, "create %s", path);
		goto out;
	}
	memset(&u, 0, sizeof(u));
	u.dirfd = diff;
	u.blobfd = blob;
	u.read = member_read;
	u.read_arg = j;
	u.progress = progress;
	u.progress_arg = j;
	progress_id(name, j->pid);
	j->ptotal = size > 0 ? (uint64_t)size : 0;
	j->plast = 0;
	berth_err_clear(&j->err);
	if ((rc = images_layer_unpack(&u)) < 0) {
		/* The outer archive's own error, when it was the cause. */
		if (j->err.code == 0)
			j->err = u.err;
		goto out;
	}
	snprintf(line, sizeof(line), "%llu %llu\n",
	    (unsigned long long)u.size, (unsigned long long)u.tar_size);
	if ((rc = images_fs_write_atomic(ldir, "size", line, strlen(line),
	    &j->err)) < 0)
		goto out;
	if ((e = entry_new(j, name, E_LAYER)) == NULL) {
		rc = berth_err_set(&j->err, -ENOMEM, "out of memory");
		goto out;
	}
	e->idx = idx;
	memcpy(e->diff, u.diff_hex, sizeof(e->diff));
	memcpy(e->raw, u.raw_hex, sizeof(e->raw));
	e->size = u.size;
	e->tar_size = u.tar_size;
	rc = 0;
out:
	if (blob != -1)
		close(blob);
	if (diff != -1)
		close(diff);
	if (ldir != -1)
		close(ldir);
	return rc;
}

static int
is_meta_name(const char *name)
{
	size_t	n = strlen(name);

	return strcmp(name, "repositories") == 0 ||
	    strcmp(name, "oci-layout") == 0 || (n > 5 &&
	    strcmp(name + n - 5, ".json") == 0) || (n >= 7 &&
	    strcmp(name + n - 7, "VERSION") == 0) || (n >= 4 &&
	    strcmp(name + n - 4, "json") == 0 && strchr(name, '/') != NULL &&
	    strcmp(strrchr(name, '/'), "/json") == 0);
}

static int
read_archive(struct load_job *j)
{
	struct archive_entry	*ae;
	struct load_entry	*e;
	const char		*path, *target;
	char			 name[PATH_MAX], joined[2 * PATH_MAX + 2];
	char			 clean[PATH_MAX];
	const char		*slash;
	int			 r, kind;

	if ((j->a = archive_read_new()) == NULL)
		return berth_err_set(&j->err, -ENOMEM, "out of memory");
	if (archive_read_support_filter_gzip(j->a) != ARCHIVE_OK ||
	    archive_read_support_filter_bzip2(j->a) != ARCHIVE_OK ||
	    archive_read_support_filter_xz(j->a) != ARCHIVE_OK ||
	    archive_read_support_filter_zstd(j->a) != ARCHIVE_OK ||
	    archive_read_support_format_tar(j->a) != ARCHIVE_OK)
		return berth_err_set(&j->err, -ENOTSUP,
		    "libarchive lacks a decompressor");
	if (archive_read_open(j->a, j, NULL, body_read, NULL) != ARCHIVE_OK)
		goto lib;
	for (;;) {
		r = archive_read_next_header(j->a, &ae);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r < ARCHIVE_WARN)
			goto lib;
		path = archive_entry_pathname(ae);
		if (path == NULL || images_path_clean(path, name, sizeof(name),
		    0) < 0)
			return berth_err_set(&j->err, -EINVAL,
			    "invalid archive: \"%s\" is outside of the archive",
			    path ? path : "?");
		if (name[0] == '\0')
			continue;
		if ((target = archive_entry_hardlink(ae)) != NULL ||
		    archive_entry_filetype(ae) == AE_IFLNK) {
			if (target == NULL) {
				target = archive_entry_symlink(ae);
				slash = strrchr(name, '/');
				snprintf(joined, sizeof(joined), "%.*s%s%s",
				    slash ? (int)(slash - name) : 0, name,
				    slash ? "/" : "", target ? target : "");
				target = joined;
			}
			/* A link out of the archive leads nowhere we read. */
			if (images_path_clean(target, clean, sizeof(clean),
			    0) < 0)
				continue;
			if ((e = entry_new(j, name, E_LINK)) == NULL ||
			    (e->target = strdup(clean)) == NULL)
				return berth_err_set(&j->err, -ENOMEM,
				    "out of memory");
			continue;
		}
		if (archive_entry_filetype(ae) != AE_IFREG)
			continue;
		if (read_head(j) < 0)
			return j->err.code;
		kind = is_meta_name(name) ? IMAGES_SNIFF_JSON :
		    images_sniff(j->head, j->headlen);
		if (kind == IMAGES_SNIFF_TAR) {
			if (unpack_member(j, name, archive_entry_size(ae)) < 0)
				return j->err.code;
		} else if (kind == IMAGES_SNIFF_JSON ||
		    archive_entry_size(ae) <= 4096) {
			if (keep_json(j, name, archive_entry_size(ae)) < 0)
				return j->err.code;
		}
		/* Anything else is not ours to read: libarchive skips it. */
	}
lib:
	if (j->err.code != 0)
		return j->err.code;
	return berth_err_set(&j->err, -EINVAL, "Error processing tar file: %s",
	    archive_error_string(j->a) ? archive_error_string(j->a) :
	    "unexpected EOF");
}

/* A member by name, through the archive's own links. */
static struct load_entry *
entry_find(struct load_job *j, const char *name, int kind)
{
	char		 clean[PATH_MAX], cur[PATH_MAX];
	size_t		 i;
	int		 depth;

	if (images_path_clean(name, clean, sizeof(clean), 0) < 0)
		return NULL;
	snprintf(cur, sizeof(cur), "%s", clean);
	for (depth = 0; depth < LINK_DEPTH; depth++) {
		for (i = j->nentries; i > 0; i--)
			if (strcmp(j->entries[i - 1].name, cur) == 0)
				break;
		if (i == 0)
			return NULL;
		if (j->entries[i - 1].kind != E_LINK)
			return j->entries[i - 1].kind == kind ?
			    &j->entries[i - 1] : NULL;
		snprintf(cur, sizeof(cur), "%s", j->entries[i - 1].target);
	}
	return NULL;
}

static struct load_entry *
blob_find(struct load_job *j, const char *digest, int kind)
{
	char	name[PATH_MAX];

	if (digest == NULL || strncmp(digest, "sha256:", 7) != 0 ||
	    strlen(digest) != IMAGES_ID_LEN || !images_is_hex(digest + 7,
	    IMAGES_HEX))
		return NULL;
	snprintf(name, sizeof(name), "blobs/sha256/%s", digest + 7);
	return entry_find(j, name, kind);
}

static json_object *
entry_json(struct load_entry *e)
{
	return e ? json_tokener_parse(e->data) : NULL;
}

static struct load_image *
image_new(struct load_job *j)
{
	struct load_image	*grown;

	if ((grown = realloc(j->images, (j->nimages + 1) *
	    sizeof(*grown))) == NULL)
		return NULL;
	j->images = grown;
	memset(&grown[j->nimages], 0, sizeof(*grown));
	return &grown[j->nimages++];
}

/* Config + layers into an image; diff IDs checked as Docker does. */
static int
image_from(struct load_job *j, struct load_entry *ce, json_object *layers,
    int oci)
{
	struct load_image	*img;
	struct load_entry	*le;
	json_object		*cfg, *ids, *l;
	const char		*os, *want, *path;
	size_t			 i, n;
	int			 rc = 0;

	if ((cfg = entry_json(ce)) == NULL)
		return berth_err_set(&j->err, -EINVAL,
		    "invalid image config %s", ce->name);
	ids = berth_json_get(berth_json_get(cfg, "rootfs"), "diff_ids");
	n = json_object_array_length(layers);
	if (ids == NULL || !json_object_is_type(ids, json_type_array) ||
	    json_object_array_length(ids) != n) {
		rc = berth_err_set(&j->err, -EINVAL, "invalid manifest, layers "
		    "length mismatch: expected %zu, got %zu", n, ids &&
		    json_object_is_type(ids, json_type_array) ?
		    json_object_array_length(ids) : 0);
		goto out;
	}
	if ((os = berth_json_str(cfg, "os")) != NULL && *os != '\0' &&
	    strcmp(os, "linux") != 0) {
		rc = berth_err_set(&j->err, -EINVAL, "image operating system "
		    "\"%s\" cannot be used on this platform", os);
		goto out;
	}
	if ((img = image_new(j)) == NULL || (n > 0 &&
	    (img->layers = calloc(n, sizeof(*img->layers))) == NULL) ||
	    (img->config = malloc(ce->len + 1)) == NULL) {
		rc = berth_err_set(&j->err, -ENOMEM, "out of memory");
		goto out;
	}
	memcpy(img->config, ce->data, ce->len + 1);
	img->config_len = ce->len;
	memcpy(img->hex, ce->sha, sizeof(img->hex));
	for (i = 0; i < n; i++) {
		l = json_object_array_get_idx(layers, i);
		if (oci) {
			path = berth_json_str(l, "digest");
			le = blob_find(j, path, E_LAYER);
			if (le != NULL && strcmp(le->raw, path + 7) != 0) {
				rc = berth_err_set(&j->err, -EINVAL,
				    "layer %s: digest mismatch", path);
				goto out;
			}
		} else {
			path = json_object_get_string(l);
			le = path ? entry_find(j, path, E_LAYER) : NULL;
		}
		if (le == NULL) {
			rc = berth_err_set(&j->err, -EINVAL, "invalid archive: "
			    "layer %s is missing or not a tar",
			    path ? path : "?");
			goto out;
		}
		want = json_object_get_string(json_object_array_get_idx(ids,
		    i));
		if (want == NULL || strncmp(want, "sha256:", 7) != 0 ||
		    strcmp(want + 7, le->diff) != 0) {
			rc = berth_err_set(&j->err, -EINVAL, "invalid diffID "
			    "for layer %zu: expected \"%s\", got "
			    "\"sha256:%s\"", i, want ? want : "", le->diff);
			goto out;
		}
		img->layers[i] = (size_t)(le - j->entries);
		img->nlayers++;
	}
out:
	json_object_put(cfg);
	return rc;
}

static int
add_tag(struct load_job *j, const char *tag, int strict)
{
	struct load_image	*img = &j->images[j->nimages - 1];
	struct images_ref	 ref;
	struct berth_err	 err = BERTH_ERR_INIT;
	char			 full[1024], **grown;

	if (images_ref_parse(tag, &ref, &err) < 0 || ref.tag[0] == '\0' ||
	    ref.digest[0] != '\0') {
		if (!strict)
			return 0;
		if (err.code != 0)
			return berth_err_set(&j->err, -EINVAL, "%s", err.msg);
		return berth_err_set(&j->err, -EINVAL, "invalid tag \"%s\"",
		    tag);
	}
	images_ref_string(&ref, full, sizeof(full));
	if ((grown = realloc(img->tags, (img->ntags + 1) *
	    sizeof(*grown))) == NULL ||
	    (grown[img->ntags] = strdup(full)) == NULL) {
		if (grown != NULL)
			img->tags = grown;
		return berth_err_set(&j->err, -ENOMEM, "out of memory");
	}
	img->tags = grown;
	img->ntags++;
	return 0;
}

static int
docker_manifest(struct load_job *j, struct load_entry *me)
{
	json_object		*m, *item, *tags, *layers;
	struct load_entry	*ce;
	const char		*cfg;
	size_t			 i, k;
	int			 rc = 0;

	if ((m = entry_json(me)) == NULL ||
	    !json_object_is_type(m, json_type_array)) {
		json_object_put(m);
		return berth_err_set(&j->err, -EINVAL,
		    "invalid archive: manifest.json is not a list");
	}
	for (i = 0; rc == 0 && i < json_object_array_length(m); i++) {
		item = json_object_array_get_idx(m, i);
		cfg = berth_json_str(item, "Config");
		layers = berth_json_get(item, "Layers");
		if (cfg == NULL || (ce = entry_find(j, cfg, E_JSON)) == NULL) {
			rc = berth_err_set(&j->err, -EINVAL, "invalid archive: "
			    "config %s not found", cfg ? cfg : "(none)");
			break;
		}
		if (layers == NULL)
			layers = json_object_new_array();
		else
			json_object_get(layers);
		if (!json_object_is_type(layers, json_type_array)) {
			json_object_put(layers);
			rc = berth_err_set(&j->err, -EINVAL,
			    "invalid archive: Layers is not a list");
			break;
		}
		rc = image_from(j, ce, layers, 0);
		json_object_put(layers);
		tags = berth_json_get(item, "RepoTags");
		for (k = 0; rc == 0 && tags != NULL &&
		    json_object_is_type(tags, json_type_array) &&
		    k < json_object_array_length(tags); k++)
			rc = add_tag(j, json_object_get_string(
			    json_object_array_get_idx(tags, k)), 1);
	}
	json_object_put(m);
	return rc;
}

/* The platform of this machine, or a descriptor without one. */
static int
platform_ok(struct load_job *j, json_object *desc)
{
	json_object	*p = berth_json_get(desc, "platform");
	const char	*os, *arch;

	if (p == NULL)
		return 1;
	os = berth_json_str(p, "os");
	arch = berth_json_str(p, "architecture");
	return (os == NULL || strcmp(os, "linux") == 0) &&
	    (arch == NULL || strcmp(arch, j->st->arch) == 0);
}

static int
oci_manifest(struct load_job *j, json_object *desc, int depth)
{
	struct load_entry	*me, *ce;
	json_object		*m, *list, *ann;
	const char		*name, *digest, *cdigest;
	size_t			 i;
	int			 rc, found = 0;

	if (depth > 4)
		return berth_err_set(&j->err, -EINVAL,
		    "invalid archive: indexes nest too deep");
	if ((digest = berth_json_str(desc, "digest")) == NULL ||
	    (me = blob_find(j, digest, E_JSON)) == NULL ||
	    strcmp(me->sha, digest + 7) != 0)
		return berth_err_set(&j->err, -EINVAL, "invalid archive: "
		    "blob %s is missing or damaged", digest ? digest : "(none)");
	if ((m = entry_json(me)) == NULL)
		return berth_err_set(&j->err, -EINVAL,
		    "invalid archive: %s is not JSON", me->name);
	if ((list = berth_json_get(m, "manifests")) != NULL) {
		/* An index: the manifest for this platform. */
		rc = 0;
		for (i = 0; rc == 0 && !found &&
		    json_object_is_type(list, json_type_array) &&
		    i < json_object_array_length(list); i++) {
			if (!platform_ok(j, json_object_array_get_idx(list, i)))
				continue;
			rc = oci_manifest(j, json_object_array_get_idx(list, i),
			    depth + 1);
			found = rc == 0;
		}
		if (rc == 0 && !found)
			rc = berth_err_set(&j->err, -EINVAL, "invalid archive: "
			    "no image for linux/%s", j->st->arch);
		json_object_put(m);
		return rc;
	}
	cdigest = berth_json_str(berth_json_get(m, "config"), "digest");
	if (cdigest == NULL || (ce = blob_find(j, cdigest, E_JSON)) == NULL ||
	    strcmp(ce->sha, cdigest + 7) != 0) {
		json_object_put(m);
		return berth_err_set(&j->err, -EINVAL,
		    "invalid archive: an image config is missing or damaged");
	}
	list = berth_json_get(m, "layers");
	if (list == NULL || !json_object_is_type(list, json_type_array)) {
		json_object_put(m);
		return berth_err_set(&j->err, -EINVAL,
		    "invalid archive: a manifest has no layers");
	}
	rc = image_from(j, ce, list, 1);
	json_object_put(m);
	if (rc < 0)
		return rc;
	/* The name: containerd's annotation, or a full ref.name. */
	ann = berth_json_get(desc, "annotations");
	if ((name = berth_json_str(ann, "io.containerd.image.name")) != NULL)
		return add_tag(j, name, 0);
	if ((name = berth_json_str(ann, "org.opencontainers.image.ref.name")) !=
	    NULL)
		return add_tag(j, name, 0);
	return 0;
}

static int
oci_index(struct load_job *j, struct load_entry *ie)
{
	json_object	*idx, *list;
	size_t		 i;
	int		 rc = 0;

	if ((idx = entry_json(ie)) == NULL ||
	    (list = berth_json_get(idx, "manifests")) == NULL ||
	    !json_object_is_type(list, json_type_array)) {
		json_object_put(idx);
		return berth_err_set(&j->err, -EINVAL,
		    "invalid archive: index.json has no manifests");
	}
	for (i = 0; rc == 0 && i < json_object_array_length(list); i++)
		rc = oci_manifest(j, json_object_array_get_idx(list, i), 0);
	json_object_put(idx);
	return rc;
}

static void
load_work(void *arg)
{
	struct load_job		*j = arg;
	struct load_entry	*e;

	if (mkdirat(j->rootfd, j->tmpdir, 0700) == -1) {
		j->rc = berth_err_errno(&j->err, "mkdir %s", j->tmpdir);
		goto out;
	}
	if ((j->rc = read_archive(j)) < 0)
		goto out;
	if ((e = entry_find(j, "manifest.json", E_JSON)) != NULL)
		j->rc = docker_manifest(j, e);
	else if ((e = entry_find(j, "index.json", E_JSON)) != NULL)
		j->rc = oci_index(j, e);
	else
		j->rc = berth_err_set(&j->err, -EINVAL, "invalid archive: "
		    "it has neither manifest.json nor index.json");
	if (j->rc == 0 && j->nimages == 0)
		j->rc = berth_err_set(&j->err, -EINVAL,
		    "invalid archive: no image in it");
out:
	if (j->a != NULL)
		archive_read_free(j->a);
	j->a = NULL;
	close(j->fd);
	j->fd = -1;
}

/* --- the end of the answer ---------------------------------------------- */

static void
tail_work(void *arg)
{
	struct load_job	*j = arg;

	if (j->tail != NULL)
		out_write(j, j->tail);
	close(j->out);
	j->out = -1;
}

static void
tail_done(void *arg)
{
	job_unref(arg);
}

static void
tail_send(struct load_job *j)
{
	if (j->st->stopping ||
	    j->st->h->work(j->st->h, tail_work, tail_done, j) < 0) {
		/* Ending the pipe ends the answer. */
		close(j->out);
		j->out = -1;
		job_unref(j);
	}
}

static void
tail_error(struct load_job *j, const struct berth_err *err)
{
	free(j->tail);
	j->tail = error_line(err->msg);
	images_discard(j->st, j->tmpdir);
	tail_send(j);
}

static void
tags_saved(void *arg, int rc)
{
	struct load_job		*j = arg;
	struct berth_err	 err = BERTH_ERR_INIT;
	size_t			 i;

	if (rc < 0) {
		berth_err_set(&err, rc, "the images are in, their names were "
		    "not saved: %s", strerror(-rc));
		tail_error(j, &err);
		return;
	}
	for (i = 0; i < j->nimages; i++)
		images_event(j->st, "load", j->images[i].hex, NULL, 1);
	tail_send(j);
}

static void
tail_add(struct load_job *j, const char *text)
{
	char	*line, *grown;
	size_t	 a, b;

	if ((line = stream_line(text)) == NULL)
		return;
	a = j->tail ? strlen(j->tail) : 0;
	b = strlen(line);
	if ((grown = realloc(j->tail, a + b + 1)) != NULL) {
		memcpy(grown + a, line, b + 1);
		j->tail = grown;
	}
	free(line);
}

static void
committed(struct images_commit *c, void *arg)
{
	struct load_job		*j = arg;
	struct images		*st = j->st;
	struct images_ref	 ref;
	struct berth_err	 err = BERTH_ERR_INIT;
	char			 prev[IMAGES_HEX + 1], fam[1024], text[1200];
	size_t			 i, k;

	j->commit = NULL;
	if (c->rc < 0) {
		err = c->err;
		images_commit_free(c);
		tail_error(j, &err);
		return;
	}
	images_commit_free(c);
	for (i = 0; i < j->nimages; i++) {
		for (k = 0; k < j->images[i].ntags; k++) {
			if (images_ref_parse(j->images[i].tags[k], &ref,
			    &err) < 0 || images_tag_set(st, &ref,
			    j->images[i].hex, prev, &err) < 0) {
				tail_error(j, &err);
				return;
			}
			images_ref_familiar(&ref, fam, sizeof(fam));
			if (prev[0] != '\0') {
				snprintf(text, sizeof(text), "The image %s "
				    "already exists, renaming the old one with "
				    "ID sha256:%s to empty string\n", fam,
				    prev);
				tail_add(j, text);
			}
			snprintf(text, sizeof(text), "Loaded image: %s\n", fam);
			tail_add(j, text);
		}
		if (j->images[i].ntags == 0) {
			snprintf(text, sizeof(text),
			    "Loaded image ID: sha256:%s\n", j->images[i].hex);
			tail_add(j, text);
		}
	}
	images_save_tags(st, tags_saved, j);
}

static void
finish(struct load_job *j)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	struct images_commit	*c;
	struct load_entry	*e;
	struct load_image	*img;
	char			 path[PATH_MAX];
	size_t			 i, k, n;

	if (--j->pending > 0)
		return;
	if (j->st->stopping) {
		berth_err_set(&err, -ECANCELED, "the daemon is shutting down");
		tail_error(j, &err);
		return;
	}
	if (j->rc < 0) {
		tail_error(j, &j->err);
		return;
	}
	if (j->body_rc < 0) {
		berth_err_set(&err, j->body_rc, "the upload failed: %s",
		    strerror(-j->body_rc));
		tail_error(j, &err);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->images = calloc(j->nimages, sizeof(*c->images))) == NULL ||
	    (c->tmpdir = strdup(j->tmpdir)) == NULL)
		goto oom;
	/* Each layer once, however many images or positions use it. */
	for (i = 0; i < j->nentries; i++)
		if (j->entries[i].kind == E_LAYER)
			c->nlayers++;
	if (c->nlayers > 0 && (c->layers = calloc(c->nlayers,
	    sizeof(*c->layers))) == NULL)
		goto oom;
	n = 0;
	for (i = 0; i < j->nimages; i++) {
		img = &j->images[i];
		for (k = 0; k < img->nlayers; k++) {
			e = &j->entries[img->layers[k]];
			if (e->kind != E_LAYER)
				continue;
			e->kind = -E_LAYER;	/* taken */
			memcpy(c->layers[n].hex, e->diff, sizeof(e->diff));
			snprintf(path, sizeof(path), "%s/L%d", j->tmpdir,
			    e->idx);
			c->layers[n].dir = strdup(path);
			snprintf(path, sizeof(path), "%s/B%d", j->tmpdir,
			    e->idx);
			c->layers[n].blob = strdup(path);
			c->layers[n].size = (int64_t)e->size;
			c->layers[n].tar_size = (int64_t)e->tar_size;
			if (c->layers[n].dir == NULL ||
			    c->layers[n].blob == NULL) {
				n++;
				c->nlayers = n;
				goto oom;
			}
			n++;
		}
		memcpy(c->images[i].hex, img->hex, sizeof(img->hex));
		c->images[i].config = img->config;
		c->images[i].config_len = img->config_len;
		img->config = NULL;
		c->nimages++;
	}
	c->nlayers = n;
	c->cb = committed;
	c->arg = j;
	j->commit = c;
	images_commit_run(j->st, c);
	return;
oom:
	images_commit_free(c);
	berth_err_set(&err, -ENOMEM, "out of memory");
	tail_error(j, &err);
}

static void
load_worked(void *arg)
{
	struct load_job	*j = arg;

	images_stream_end(j->st);
	if (j->rc == -ECANCELED)
		berth_err_set(&j->err, -ECANCELED,
		    "the daemon is shutting down");
	finish(j);
}

static void
load_body_done(void *arg, int rc)
{
	struct load_job	*j = arg;

	j->body_rc = rc == -EPIPE ? 0 : rc;
	finish(j);
}

static void
load_sent(void *arg, int rc)
{
	job_unref(arg);
}

void
images_load(struct berth_req *req, void *state)
{
	struct images		*st = state;
	const struct berth_host	*h = st->h;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct load_job		*j;
	const char		*quiet;
	int			 in[2] = { -1, -1 }, out[2] = { -1, -1 }, rc;

	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->buf = malloc(2 * READSZ)) == NULL) {
		free(j);
		berth_err_set(&err, -ENOMEM, "out of memory");
		h->resp_error(req, &err);
		return;
	}
	j->st = st;
	st->requests++;
	j->req = req;
	j->refs = 1;
	j->rootfd = st->rootfd;
	j->fd = j->out = -1;
	j->rc = -ECANCELED;
	/* Docker: quiet unless asked otherwise. */
	quiet = h->req_query(req, "quiet", 0);
	j->quiet = quiet == NULL || h->req_query_bool(req, "quiet");
	images_tmp_name(st, "load", j->tmpdir, sizeof(j->tmpdir));
	if (images_pipe(in) < 0 || pipe2(out, O_CLOEXEC) == -1) {
		berth_err_errno(&err, "pipe");
		goto fail;
	}
	j->fd = in[0];
	j->out = out[1];
	j->pending = 2;
	j->refs++;		/* for the answer, until load_sent */
	/* The body first, for a host whose work runs at once (the mock). */
	h->req_body_to_fd(req, in[1], load_body_done, j);
	if ((rc = images_stream_start(st, load_work, load_worked, j)) < 0) {
		j->rc = berth_err_set(&j->err, rc, "cannot start the load: %s",
		    strerror(-rc));
		close(j->fd);		/* the body's writer drops the rest */
		j->fd = -1;
		finish(j);		/* in the worker's stead */
	}
	h->resp_from_fd(req, 200, "application/json", out[0], load_sent, j);
	return;
fail:
	if (in[1] != -1)
		close(in[1]);
	if (out[0] != -1)
		close(out[0]);
	h->resp_error(req, &err);
	job_unref(j);
}
