/*
 * images_api.c - the read-only answers: GET /images/json, /images/{name}/json,
 * /images/{name}/history, the image part of GET /system/df and of /info.
 * Shapes and field order are Docker 20.10's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <berth/df.h>

#include "images.h"

#define MAX_REFS	256

static json_object *
str_or_empty(json_object *cfg, const char *key)
{
	const char	*s = berth_json_str(cfg, key);

	return json_object_new_string(s ? s : "");
}

static json_object *
labels_of(struct images_image *img)
{
	json_object	*labels;

	labels = berth_json_get(berth_json_get(img->config, "config"), "Labels");
	if (labels == NULL || !json_object_is_type(labels, json_type_object))
		return NULL;
	return labels;
}

static int64_t
shared_size(struct images_image *img)
{
	int64_t	n = 0;
	size_t	i;

	for (i = 0; i < img->nlayers; i++)
		if (img->layers[i]->refs > 1)
			n += img->layers[i]->size;
	return n;
}

json_object *
images_summary(struct images *st, struct images_image *img, int extra)
{
	json_object	*o, *labels;
	char		 id[IMAGES_ID_LEN + 1];

	o = json_object_new_object();
	json_object_object_add(o, "Containers",
	    json_object_new_int(extra ? images_users_count(st, img->hex) : -1));
	json_object_object_add(o, "Created", json_object_new_int64(img->created));
	snprintf(id, sizeof(id), "sha256:%s", img->hex);
	json_object_object_add(o, "Id", json_object_new_string(id));
	labels = labels_of(img);
	json_object_object_add(o, "Labels", labels ? json_object_get(labels) :
	    NULL);
	json_object_object_add(o, "ParentId", json_object_new_string(""));
	json_object_object_add(o, "RepoDigests", NULL);
	json_object_object_add(o, "RepoTags", NULL);
	json_object_object_add(o, "SharedSize",
	    json_object_new_int64(extra ? shared_size(img) : -1));
	json_object_object_add(o, "Size", json_object_new_int64(img->size));
	json_object_object_add(o, "VirtualSize",
	    json_object_new_int64(img->size));
	return o;
}

static int
newer(const struct images_image *a, const struct images_image *b)
{
	if (a->created != b->created)
		return a->created > b->created;
	return a->created_ns > b->created_ns;
}

/* Images newest first, as Docker sorts them. */
static size_t
sorted(struct images *st, struct images_image ***out)
{
	struct images_image	*img, **v, *t;
	size_t			 n = 0, i, k;

	TAILQ_FOREACH(img, &st->images, entry)
		n++;
	if ((v = calloc(n + 1, sizeof(*v))) == NULL) {
		*out = NULL;
		return 0;
	}
	i = 0;
	TAILQ_FOREACH(img, &st->images, entry)
		v[i++] = img;
	for (i = 1; i < n; i++)
		for (k = i; k > 0 && newer(v[k], v[k - 1]); k--) {
			t = v[k];
			v[k] = v[k - 1];
			v[k - 1] = t;
		}
	*out = v;
	return n;
}

static void
add_str(json_object *o, const char *key, const char *s)
{
	json_object	*a;

	if (!json_object_object_get_ex(o, key, &a) || a == NULL) {
		a = json_object_new_array();
		json_object_object_add(o, key, a);
	}
	json_object_array_add(a, json_object_new_string(s));
}

static void
add_refs(struct images *st, struct images_image *img, json_object *o,
    const struct images_filters *f)
{
	struct images_tag	*refs[MAX_REFS];
	char			 fam[1024];
	size_t			 n, i, k;
	int			 found;

	n = images_refs_of(st, img->hex, refs, MAX_REFS);
	for (i = 0; i < n && i < MAX_REFS; i++) {
		if (f != NULL && images_filters_has(f, "reference")) {
			found = 0;
			for (k = 0; !found &&
			    k < images_filters_count(f, "reference"); k++)
				found = images_ref_match(images_filters_value(f,
				    "reference", k), &refs[i]->ref);
			if (!found)
				continue;
		}
		images_ref_familiar(&refs[i]->ref, fam, sizeof(fam));
		if (refs[i]->ref.digest[0] != '\0')
			add_str(o, "RepoDigests", fam);
		if (refs[i]->ref.tag[0] != '\0')
			add_str(o, "RepoTags", fam);
	}
}

static int
before(const struct images_image *a, const struct images_image *b)
{
	return newer(b, a);
}

void
images_list(struct berth_req *req, void *state)
{
	static const char *const accepted[] = {
		"dangling", "label", "before", "since", "reference", NULL
	};
	struct images		*st = state;
	const struct berth_host	*h = st->h;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct images_filters	*f = NULL;
	struct images_image	**v = NULL, *img, *bf = NULL, *sf = NULL;
	json_object		*out = NULL, *o, *tags, *digests;
	size_t			 n, i;
	int			 dangling_only = 0, all;

	all = h->req_query_bool(req, "all");
	if (images_filters_parse(h->req_query(req, "filters", 0), &f,
	    &err) < 0 || images_filters_validate(f, accepted, &err) < 0)
		goto fail;
	if (images_filters_has(f, "dangling")) {
		if (images_filters_exact(f, "dangling", "true") &&
		    images_filters_count(f, "dangling") > 0)
			dangling_only = 1;
		else if (!images_filters_exact(f, "dangling", "false")) {
			images_filters_invalid(f, "dangling", &err);
			goto fail;
		}
	}
	for (i = 0; i < images_filters_count(f, "before"); i++)
		if (images_lookup(st, images_filters_value(f, "before", i), &bf,
		    &err) < 0)
			goto fail;
	for (i = 0; i < images_filters_count(f, "since"); i++)
		if (images_lookup(st, images_filters_value(f, "since", i), &sf,
		    &err) < 0)
			goto fail;
	out = json_object_new_array();
	n = sorted(st, &v);
	for (i = 0; i < n; i++) {
		img = v[i];
		if (bf != NULL && !before(img, bf))
			continue;
		if (sf != NULL && !newer(img, sf))
			continue;
		if (images_filters_has(f, "label") &&
		    !images_filters_match_kv(f, "label", labels_of(img)))
			continue;
		o = images_summary(st, img, 0);
		add_refs(st, img, o, f);
		json_object_object_get_ex(o, "RepoTags", &tags);
		json_object_object_get_ex(o, "RepoDigests", &digests);
		/* Untagged parents of commits only with all=1 (Heads()
		 * for dangling=true), as Docker lists them. */
		if ((tags == NULL && digests == NULL && !all &&
		    images_has_child(st, img->hex)) ||
		    (dangling_only && images_has_child(st, img->hex))) {
			json_object_put(o);
			continue;
		}
		if (tags == NULL && digests == NULL) {
			if ((images_filters_has(f, "dangling") &&
			    !dangling_only) ||
			    images_filters_has(f, "reference")) {
				json_object_put(o);
				continue;
			}
			add_str(o, "RepoDigests", "<none>@<none>");
			add_str(o, "RepoTags", "<none>:<none>");
		} else if (dangling_only && tags != NULL) {
			json_object_put(o);
			continue;
		}
		json_object_array_add(out, o);
	}
	free(v);
	images_filters_free(f);
	h->resp_json(req, 200, out);
	json_object_put(out);
	return;
fail:
	images_filters_free(f);
	h->resp_error(req, &err);
}

/* Docker's overlay2 metadata for an image's top layer. */
static json_object *
graph_driver(struct images *st, struct images_image *img)
{
	json_object	*gd, *data;
	char		*lower = NULL, *grown, path[1024];
	size_t		 i, len = 0, n;

	gd = json_object_new_object();
	data = json_object_new_object();
	if (img->nlayers > 0) {
		for (i = img->nlayers - 1; i > 0; i--) {
			n = (size_t)snprintf(path, sizeof(path),
			    "%s%s/layers/%s/diff", len ? ":" : "", st->root,
			    img->layers[i - 1]->hex);
			if ((grown = realloc(lower, len + n + 1)) == NULL)
				break;
			lower = grown;
			memcpy(lower + len, path, n + 1);
			len += n;
		}
		if (lower != NULL)
			json_object_object_add(data, "LowerDir",
			    json_object_new_string(lower));
		free(lower);
		snprintf(path, sizeof(path), "%s/layers/%s/merged", st->root,
		    img->layers[img->nlayers - 1]->hex);
		json_object_object_add(data, "MergedDir",
		    json_object_new_string(path));
		snprintf(path, sizeof(path), "%s/layers/%s/diff", st->root,
		    img->layers[img->nlayers - 1]->hex);
		json_object_object_add(data, "UpperDir",
		    json_object_new_string(path));
		snprintf(path, sizeof(path), "%s/layers/%s/work", st->root,
		    img->layers[img->nlayers - 1]->hex);
		json_object_object_add(data, "WorkDir",
		    json_object_new_string(path));
	}
	json_object_object_add(gd, "Data", data);
	json_object_object_add(gd, "Name", json_object_new_string("overlay2"));
	return gd;
}

static json_object *
inspect_json(struct images *st, struct images_image *img)
{
	json_object	*o, *c = img->config, *v, *hist, *rootfs, *ids, *meta;
	json_object	*cc, *empty, *tags, *digests;
	const char	*comment, *s;
	char		 id[IMAGES_ID_LEN + 1], created[64];
	size_t		 n;

	o = json_object_new_object();
	snprintf(id, sizeof(id), "sha256:%s", img->hex);
	json_object_object_add(o, "Id", json_object_new_string(id));
	tags = json_object_new_object();
	add_refs(st, img, tags, NULL);
	json_object_object_get_ex(tags, "RepoTags", &v);
	json_object_object_add(o, "RepoTags", v ? json_object_get(v) :
	    json_object_new_array());
	json_object_object_get_ex(tags, "RepoDigests", &digests);
	json_object_object_add(o, "RepoDigests", digests ?
	    json_object_get(digests) : json_object_new_array());
	json_object_put(tags);
	if (img->parent[0] != '\0') {
		snprintf(id, sizeof(id), "sha256:%s", img->parent);
		json_object_object_add(o, "Parent", json_object_new_string(id));
	} else
		json_object_object_add(o, "Parent", str_or_empty(c, "parent"));
	comment = berth_json_str(c, "comment");
	hist = berth_json_get(c, "history");
	if ((comment == NULL || *comment == '\0') && hist != NULL &&
	    json_object_is_type(hist, json_type_array) &&
	    (n = json_object_array_length(hist)) > 0)
		comment = berth_json_str(json_object_array_get_idx(hist, n - 1),
		    "comment");
	json_object_object_add(o, "Comment",
	    json_object_new_string(comment ? comment : ""));
	berth_time_format(img->created, img->created_ns, created,
	    sizeof(created));
	json_object_object_add(o, "Created", json_object_new_string(created));
	json_object_object_add(o, "Container", str_or_empty(c, "container"));
	cc = berth_json_get(c, "container_config");
	if (cc != NULL && json_object_is_type(cc, json_type_object))
		json_object_object_add(o, "ContainerConfig",
		    images_config_canonical(cc));
	else {
		empty = images_config_new();
		json_object_object_add(o, "ContainerConfig",
		    images_config_canonical(empty));
		json_object_put(empty);
	}
	json_object_object_add(o, "DockerVersion",
	    str_or_empty(c, "docker_version"));
	json_object_object_add(o, "Author", str_or_empty(c, "author"));
	v = berth_json_get(c, "config");
	json_object_object_add(o, "Config", v != NULL &&
	    json_object_is_type(v, json_type_object) ?
	    images_config_canonical(v) : NULL);
	json_object_object_add(o, "Architecture",
	    str_or_empty(c, "architecture"));
	if ((s = berth_json_str(c, "variant")) != NULL && *s != '\0')
		json_object_object_add(o, "Variant", json_object_new_string(s));
	s = berth_json_str(c, "os");
	json_object_object_add(o, "Os", json_object_new_string(s && *s ? s :
	    "linux"));
	if ((s = berth_json_str(c, "os.version")) != NULL && *s != '\0')
		json_object_object_add(o, "OsVersion",
		    json_object_new_string(s));
	json_object_object_add(o, "Size", json_object_new_int64(img->size));
	json_object_object_add(o, "VirtualSize",
	    json_object_new_int64(img->size));
	json_object_object_add(o, "GraphDriver", graph_driver(st, img));
	rootfs = json_object_new_object();
	v = berth_json_get(c, "rootfs");
	s = berth_json_str(v, "type");
	json_object_object_add(rootfs, "Type",
	    json_object_new_string(s ? s : "layers"));
	ids = berth_json_get(v, "diff_ids");
	if (ids != NULL && json_object_is_type(ids, json_type_array) &&
	    json_object_array_length(ids) > 0)
		json_object_object_add(rootfs, "Layers", json_object_get(ids));
	json_object_object_add(o, "RootFS", rootfs);
	meta = json_object_new_object();
	json_object_object_add(meta, "LastTagTime", json_object_new_string(
	    img->last_tag ? img->last_tag : "0001-01-01T00:00:00Z"));
	json_object_object_add(o, "Metadata", meta);
	return o;
}

void
images_inspect(struct berth_req *req, void *state)
{
	struct images		*st = state;
	const struct berth_host	*h = st->h;
	struct berth_err	 err = BERTH_ERR_INIT, wrapped = BERTH_ERR_INIT;
	struct images_image	*img;
	const char		*name = h->req_param(req, "name");
	json_object		*o;

	if (images_lookup(st, name, &img, &err) < 0) {
		/* LookupImage wraps GetImage's error. */
		berth_err_set(&wrapped, err.code, "no such image: %s: %s", name,
		    err.msg);
		h->resp_error(req, &wrapped);
		return;
	}
	o = inspect_json(st, img);
	h->resp_json(req, 200, o);
	json_object_put(o);
}

void
images_history(struct berth_req *req, void *state)
{
	struct images		*st = state;
	const struct berth_host	*h = st->h;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct images_image	*img;
	json_object		*out, *hist, *e, *item, *tags;
	const char		*created, *s;
	char			 id[IMAGES_ID_LEN + 1];
	int64_t			 sec;
	long			 ns;
	size_t			 i, n, layer = 0;
	int			 empty;

	if (images_lookup(st, h->req_param(req, "name"), &img, &err) < 0) {
		h->resp_error(req, &err);
		return;
	}
	out = json_object_new_array();
	hist = berth_json_get(img->config, "history");
	n = hist && json_object_is_type(hist, json_type_array) ?
	    json_object_array_length(hist) : 0;
	/* Newest first; only the top entry carries the ID and tags. */
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(hist, i);
		empty = json_object_get_boolean(berth_json_get(e,
		    "empty_layer"));
		item = json_object_new_object();
		json_object_object_add(item, "Id",
		    json_object_new_string("<missing>"));
		sec = 0;
		if ((created = berth_json_str(e, "created")) == NULL ||
		    berth_time_parse(created, &sec, &ns) < 0)
			sec = 0;
		json_object_object_add(item, "Created",
		    json_object_new_int64(sec));
		s = berth_json_str(e, "created_by");
		json_object_object_add(item, "CreatedBy",
		    json_object_new_string(s ? s : ""));
		json_object_object_add(item, "Tags", NULL);
		json_object_object_add(item, "Size", json_object_new_int64(
		    !empty && layer < img->nlayers ?
		    img->layers[layer]->size : 0));
		if (!empty)
			layer++;
		s = berth_json_str(e, "comment");
		json_object_object_add(item, "Comment",
		    json_object_new_string(s ? s : ""));
		json_object_array_put_idx(out, n - 1 - i, item);
	}
	/* The top entry is the image's; those below, its parents' in turn
	 * (a commit's), as Docker's ImageHistory walks them. */
	for (i = 0; i < n && img != NULL; i++) {
		item = json_object_array_get_idx(out, i);
		snprintf(id, sizeof(id), "sha256:%s", img->hex);
		json_object_object_add(item, "Id", json_object_new_string(id));
		tags = json_object_new_object();
		add_refs(st, img, tags, NULL);
		json_object_object_get_ex(tags, "RepoTags", &e);
		json_object_object_add(item, "Tags", e ? json_object_get(e) :
		    NULL);
		json_object_put(tags);
		img = img->parent[0] != '\0' ? images_find_id(st, img->parent) :
		    NULL;
	}
	h->resp_json(req, 200, out);
	json_object_put(out);
}

/*
 * The other parts of /system/df come from the df/1 providers (see
 * berth/df.h): each is asked, and the answer goes once all have given
 * theirs.
 */
struct df_job {
	const struct berth_host	*h;
	struct berth_req	*req;
	json_object		*out;
	int			 pending;
};

static void
df_part(void *arg, json_object *part)
{
	struct df_job	*j = arg;

	if (part != NULL && json_object_is_type(part, json_type_object)) {
		json_object_object_foreach(part, k, v)
			json_object_object_add(j->out, k, json_object_get(v));
	}
	if (--j->pending > 0)
		return;
	j->h->resp_json(j->req, 200, j->out);
	json_object_put(j->out);
	free(j);
}

static void
df_provider(const char *name, const void *ops, void *st, void *arg)
{
	const struct berth_df_ops	*d = ops;
	struct df_job			*j = arg;

	if (d == NULL || d->size < sizeof(*d) || d->df == NULL)
		return;
	j->pending++;
	d->df(st, df_part, j);
}

static void
df_gather(const struct berth_host *h, struct berth_req *req, json_object *out)
{
	struct df_job	*j;

	if ((j = calloc(1, sizeof(*j))) == NULL) {
		h->resp_json(req, 200, out);
		json_object_put(out);
		return;
	}
	j->h = h;
	j->req = req;
	j->out = out;
	j->pending = 1;
	h->drivers(h, BERTH_DF_IFACE, df_provider, j);
	df_part(j, NULL);
}

void
images_df(struct berth_req *req, void *state)
{
	struct images		*st = state;
	const struct berth_host	*h = st->h;
	struct images_image	**v = NULL;
	struct images_layer	*l;
	json_object		*out, *list, *o, *tags;
	int64_t			 total = 0;
	size_t			 n, i;

	TAILQ_FOREACH(l, &st->layers, entry)
		if (!l->removing)
			total += l->size;
	out = json_object_new_object();
	json_object_object_add(out, "LayersSize", json_object_new_int64(total));
	list = json_object_new_array();
	n = sorted(st, &v);
	for (i = 0; i < n; i++) {
		o = images_summary(st, v[i], 1);
		add_refs(st, v[i], o, NULL);
		if (!json_object_object_get_ex(o, "RepoTags", &tags) ||
		    tags == NULL) {
			add_str(o, "RepoDigests", "<none>@<none>");
			add_str(o, "RepoTags", "<none>:<none>");
		}
		json_object_array_add(list, o);
	}
	free(v);
	json_object_object_add(out, "Images", list);
	/* Empty until a df/1 provider (volumes, ...) gives its part. */
	json_object_object_add(out, "Containers", json_object_new_array());
	json_object_object_add(out, "Volumes", json_object_new_array());
	json_object_object_add(out, "BuildCache", json_object_new_array());
	df_gather(h, req, out);
}

void
images_info(void *state, json_object *out)
{
	struct images		*st = state;
	struct images_image	*img;
	json_object		*status, *row;
	int			 n = 0;
	size_t			 i;
	const char		*rows[][2] = {
		{ "Backing Filesystem", st->backing_fs },
		{ "Supports d_type", "true" },
		{ "Native Overlay Diff", "true" },
		{ "userxattr", "false" },
	};

	TAILQ_FOREACH(img, &st->images, entry)
		n++;
	json_object_object_add(out, "Images", json_object_new_int(n));
	json_object_object_add(out, "Driver", json_object_new_string("overlay2"));
	status = json_object_new_array();
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		row = json_object_new_array();
		json_object_array_add(row, json_object_new_string(rows[i][0]));
		json_object_array_add(row, json_object_new_string(rows[i][1]));
		json_object_array_add(status, row);
	}
	json_object_object_add(out, "DriverStatus", status);
}
