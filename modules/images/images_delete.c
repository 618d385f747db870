/*
 * images_delete.c - the calls that change names: POST /images/{name}/tag,
 * DELETE /images/{name} (`docker rmi`) and POST /images/prune.
 *
 * The rules are Docker 20.10's ImageDelete: a name is untagged, and the
 * image goes with its last reference; an ID removes the image's single
 * reference with it; containers block the removal (a running one even
 * with force).  Here "running" is a container whose root filesystem is
 * mounted, "stopped" one that only declared it uses the image.
 *
 * Memory changes at once; the answer waits until repositories.json is
 * on disk.  Files of deleted images go in queued jobs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "images.h"

#define MAX_REFS	256

#define CONFLICT_CHILD		0x1	/* a commit's parent */
#define CONFLICT_RUNNING	0x2
#define CONFLICT_REFERENCE	0x4
#define CONFLICT_STOPPED	0x8
#define CONFLICT_HARD		(CONFLICT_CHILD | CONFLICT_RUNNING)
#define CONFLICT_SOFT		(CONFLICT_REFERENCE | CONFLICT_STOPPED)

struct answer {
	struct images		*st;
	struct berth_req	*req;
	json_object		*body;
	int			 status;
};

static void
answer_saved(void *arg, int rc)
{
	struct answer		*a = arg;
	struct berth_err	 err = BERTH_ERR_INIT;

	if (rc < 0) {
		berth_err_set(&err, rc, "repositories.json was not saved: %s",
		    strerror(-rc));
		a->st->h->resp_error(a->req, &err);
		json_object_put(a->body);
		free(a);
		return;
	}
	a->st->h->resp_json(a->req, a->status, a->body);
	json_object_put(a->body);
	free(a);
}

/* Answer once repositories.json holds what the answer says. */
static void
answer_after_save(struct images *st, struct berth_req *req, int status,
    json_object *body)
{
	struct answer	*a;

	if ((a = calloc(1, sizeof(*a))) == NULL) {
		st->h->resp_json(req, status, body);
		json_object_put(body);
		return;
	}
	a->st = st;
	a->req = req;
	a->body = body;
	a->status = status;
	images_save_tags(st, answer_saved, a);
}

/* --- tag ----------------------------------------------------------------- */

/*
 * Tag image name as repo (with tag, if given, in place of repo's own):
 * TagImage's checks, the record, the tag event.  0 or -errno with err.
 * repositories.json is saved by the caller.
 */
static int
tag_set(struct images *st, const char *name, const char *repo,
    const char *tag, struct berth_err *err)
{
	struct images_image	*img;
	struct images_ref	 ref;
	char			 prev[IMAGES_HEX + 1], fam[1024], now[64];
	int64_t			 sec;
	long			 ns;

	if (images_lookup(st, name, &img, err) < 0)
		return err->code;
	if (images_ref_parse(repo ? repo : "", &ref, err) < 0)
		return err->code;
	if (tag != NULL && *tag != '\0') {
		ref.digest[0] = '\0';
		if (images_ref_set_tag(&ref, tag, err) < 0)
			return err->code;
	}
	if (ref.digest[0] != '\0')
		return berth_err_set(err, -EINVAL,
		    "refusing to create a tag with a digest reference");
	images_ref_default_tag(&ref);
	if (images_tag_set(st, &ref, img->hex, prev, err) < 0)
		return err->code;
	berth_time_now(&sec, &ns);
	berth_time_format(sec, ns, now, sizeof(now));
	free(img->last_tag);
	img->last_tag = strdup(now);
	images_save_meta(st, img);
	images_ref_familiar(&ref, fam, sizeof(fam));
	images_event(st, "tag", img->hex, fam, 1);
	return 0;
}

void
images_tag(struct berth_req *req, void *state)
{
	struct images		*st = state;
	const struct berth_host	*h = st->h;
	struct berth_err	 err = BERTH_ERR_INIT;

	if (tag_set(st, h->req_param(req, "name"), h->req_query(req, "repo",
	    0), h->req_query(req, "tag", 0), &err) < 0) {
		h->resp_error(req, &err);
		return;
	}
	answer_after_save(st, req, 201, NULL);
}

struct tag_op {
	struct images		*st;
	berth_image_done_cb	 done;
	void			*arg;
};

static void
tag_op_saved(void *arg, int rc)
{
	struct tag_op		*t = arg;
	struct berth_err	 err = BERTH_ERR_INIT;

	if (rc < 0)
		berth_err_set(&err, rc, "repositories.json was not saved: %s",
		    strerror(-rc));
	t->done(t->arg, rc, rc < 0 ? &err : NULL);
	free(t);
}

/* image/1 tag: as POST /images/{id}/tag?repo=REF, once on disk. */
void
images_tag_op(void *state, const char *id, const char *ref,
    berth_image_done_cb done, void *arg)
{
	struct images		*st = state;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct tag_op		*t;

	if (tag_set(st, id, ref, NULL, &err) < 0) {
		done(arg, err.code, &err);
		return;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		/* Recorded in memory; the next save writes it. */
		done(arg, 0, NULL);
		return;
	}
	t->st = st;
	t->done = done;
	t->arg = arg;
	images_save_tags(st, tag_op_saved, t);
}

/* --- ImageDelete ---------------------------------------------------------- */

static void
record(json_object *records, const char *key, const char *value)
{
	json_object	*o = json_object_new_object();

	json_object_object_add(o, key, json_object_new_string(value));
	json_object_array_add(records, o);
}

static void
untag(struct images *st, struct images_tag *t, json_object *records)
{
	char	fam[1024], hex[IMAGES_HEX + 1];

	images_ref_familiar(&t->ref, fam, sizeof(fam));
	memcpy(hex, t->hex, sizeof(hex));
	record(records, "Untagged", fam);
	images_tag_remove(st, t);
	images_event(st, "untag", hex, NULL, 1);
}

/* isSingleReference: one tag, or digests of that tag's repository only. */
static int
single_reference(struct images_tag **refs, size_t n)
{
	struct images_tag	*single = NULL;
	size_t			 i, ncanon = 0;
	int			 canon_match = 0;
	char			 a[1024], b[1024];

	if (n <= 1)
		return n == 1;
	for (i = 0; i < n; i++) {
		if (refs[i]->ref.digest[0] != '\0')
			continue;
		if (single != NULL)
			return 0;
		single = refs[i];
	}
	if (single == NULL)
		single = refs[0];
	images_ref_name(&single->ref, a, sizeof(a));
	for (i = 0; i < n; i++) {
		if (refs[i]->ref.digest[0] == '\0')
			continue;
		images_ref_name(&refs[i]->ref, b, sizeof(b));
		if (ncanon == 0 || strcmp(a, b) == 0)
			canon_match = strcmp(a, b) == 0;
		ncanon++;
		if (strcmp(a, b) != 0)
			return 0;
	}
	return ncanon >= 1 && canon_match;
}

/* checkImageDeleteConflict: 0, or -EEXIST with Docker's message. */
static int
conflict(struct images *st, const char *hex, int mask, int *used,
    struct berth_err *err)
{
	struct images_tag	*refs[1];
	const char		*user, *msg = NULL;
	char			 buf[256];
	int			 hard = 0;

	*used = 0;
	if ((mask & CONFLICT_CHILD) && images_has_child(st, hex)) {
		msg = "image has dependent child images";
		hard = 1;
	} else if ((mask & CONFLICT_RUNNING) &&
	    (user = images_mounted_user_of(st, hex)) != NULL) {
		snprintf(buf, sizeof(buf),
		    "image is being used by running container %.12s", user);
		msg = buf;
		hard = *used = 1;
	} else if ((mask & CONFLICT_REFERENCE) &&
	    images_refs_of(st, hex, refs, 1) > 0) {
		msg = "image is referenced in multiple repositories";
	} else if ((mask & CONFLICT_STOPPED) &&
	    (user = images_user_of(st, hex)) != NULL) {
		snprintf(buf, sizeof(buf),
		    "image is being used by stopped container %.12s", user);
		msg = buf;
		*used = 1;
	}
	if (msg == NULL)
		return 0;
	return berth_err_set(err, -EEXIST, "conflict: unable to delete %.12s "
	    "(%s) - %s", hex, hard ? "cannot be forced" : "must be forced", msg);
}

/* imageDeleteHelper */
static int
delete_image(struct images *st, struct images_image *img, int force,
    int quiet, json_object *records, int64_t *reclaimed,
    struct berth_err *err)
{
	struct images_tag	*refs[MAX_REFS];
	char			(*chains)[IMAGES_HEX + 1] = NULL;
	char			 id[IMAGES_ID_LEN + 1], hex[IMAGES_HEX + 1];
	struct berth_err	 cerr = BERTH_ERR_INIT;
	size_t			 i, n;
	int			 used, dangling;

	if (conflict(st, img->hex, CONFLICT_HARD | (force ? 0 :
	    CONFLICT_SOFT), &used, &cerr) < 0) {
		dangling = images_refs_of(st, img->hex, refs, 1) == 0 &&
		    !images_has_child(st, img->hex);
		/* An untag that leaves the image in use is not an error. */
		if (quiet && (!dangling || used))
			return 0;
		*err = cerr;
		return err->code;
	}
	while ((n = images_refs_of(st, img->hex, refs, MAX_REFS)) > 0)
		for (i = 0; i < n && i < MAX_REFS; i++)
			untag(st, refs[i], records);
	memcpy(hex, img->hex, sizeof(hex));
	if (img->nlayers > 0 &&
	    (chains = calloc(img->nlayers, sizeof(*chains))) != NULL)
		images_chain_ids(img, chains);
	snprintf(id, sizeof(id), "sha256:%s", hex);
	record(records, "Deleted", id);
	/* The layers only this image held go with it (not if in use). */
	for (i = img->nlayers; images_users_count(st, hex) == 0 && i > 0;
	    i--) {
		if (img->layers[i - 1]->refs != 1 ||
		    img->layers[i - 1]->pins > 0)
			continue;
		if (reclaimed != NULL)
			*reclaimed += img->layers[i - 1]->size;
		if (chains != NULL) {
			snprintf(id, sizeof(id), "sha256:%s", chains[i - 1]);
			record(records, "Deleted", id);
		}
	}
	free(chains);
	images_image_remove(st, img);
	images_event(st, "delete", hex, NULL, 0);
	return 0;
}

int
images_delete_ref(struct images *st, const char *s, int force, int prune,
    json_object *records, int64_t *reclaimed, struct berth_err *err)
{
	struct images_image	*img;
	struct images_tag	*refs[MAX_REFS], *t;
	struct images_ref	 ref;
	const char		*user;
	char			 name[1024], other[1024];
	size_t			 n, i;
	int			 rc, used, has_tag;

	if ((rc = images_lookup(st, s, &img, err)) < 0)
		return rc;
	n = images_refs_of(st, img->hex, refs, MAX_REFS);
	if (!images_ref_is_id_prefix(img->hex, s)) {
		/* A name: untag it first. */
		if (!force && single_reference(refs, n) &&
		    (user = images_user_of(st, img->hex)) != NULL)
			return berth_err_set(err, -EEXIST, "conflict: unable to "
			    "remove repository reference \"%s\" (must force) - "
			    "container %.12s is using its referenced image "
			    "%.12s", s, user, img->hex);
		if ((rc = images_ref_parse(s, &ref, err)) < 0)
			return rc;
		images_ref_default_tag(&ref);
		if ((t = images_tag_find(st, &ref)) == NULL)
			return berth_err_set(err, -ENOENT,
			    "reference does not exist");
		untag(st, t, records);
		/* A tag gone, its repository's digests go if no tag stays. */
		if (ref.tag[0] != '\0') {
			images_ref_name(&ref, name, sizeof(name));
			n = images_refs_of(st, img->hex, refs, MAX_REFS);
			has_tag = 0;
			for (i = 0; i < n && i < MAX_REFS; i++) {
				images_ref_name(&refs[i]->ref, other,
				    sizeof(other));
				if (strcmp(name, other) == 0 &&
				    refs[i]->ref.tag[0] != '\0')
					has_tag = 1;
			}
			for (i = 0; !has_tag && i < n && i < MAX_REFS; i++) {
				images_ref_name(&refs[i]->ref, other,
				    sizeof(other));
				if (strcmp(name, other) == 0)
					untag(st, refs[i], records);
			}
		}
		if (images_refs_of(st, img->hex, refs, 1) > 0)
			return 0;
		return delete_image(st, img, force, 1, records, reclaimed,
		    err);
	}
	/* An ID: its one reference goes with it. */
	if (single_reference(refs, n)) {
		if ((rc = conflict(st, img->hex, CONFLICT_HARD | (force ? 0 :
		    CONFLICT_STOPPED), &used, err)) < 0)
			return rc;
		for (i = 0; i < n && i < MAX_REFS; i++)
			untag(st, refs[i], records);
	}
	(void)prune;
	return delete_image(st, img, force, 0, records, reclaimed, err);
}

void
images_delete(struct berth_req *req, void *state)
{
	struct images		*st = state;
	const struct berth_host	*h = st->h;
	struct berth_err	 err = BERTH_ERR_INIT;
	json_object		*records = json_object_new_array();

	if (images_delete_ref(st, h->req_param(req, "name"),
	    h->req_query_bool(req, "force"), !h->req_query_bool(req,
	    "noprune"), records, NULL, &err) < 0) {
		json_object_put(records);
		/* What was untagged before the refusal stays untagged. */
		images_save_tags(st, NULL, NULL);
		h->resp_error(req, &err);
		return;
	}
	answer_after_save(st, req, 200, records);
}

/* --- prune ---------------------------------------------------------------- */

static int
labels_match(const struct images_filters *f, json_object *labels)
{
	if (!images_filters_match_kv(f, "label", labels))
		return 0;
	if (images_filters_has(f, "label!") &&
	    images_filters_match_kv(f, "label!", labels))
		return 0;
	return 1;
}

void
images_prune(struct berth_req *req, void *state)
{
	static const char *const accepted[] = {
		"dangling", "label", "label!", "until", NULL
	};
	struct images		*st = state;
	const struct berth_host	*h = st->h;
	struct berth_err	 err = BERTH_ERR_INIT, derr;
	struct images_filters	*f = NULL;
	struct images_image	*img, **v = NULL;
	struct images_tag	*refs[MAX_REFS];
	json_object		*deleted, *out, *attrs, *cfg;
	char			 full[1024], num[32];
	int64_t			 until = 0, now, reclaimed = 0;
	long			 until_ns = 0, now_ns;
	size_t			 n = 0, i, k, nrefs;
	int			 dangling_only = 1, has_tag;

	if (images_filters_parse(h->req_query(req, "filters", 0), &f,
	    &err) < 0 || images_filters_validate(f, accepted, &err) < 0)
		goto fail;
	if (images_filters_has(f, "dangling")) {
		if (images_filters_count(f, "dangling") > 0 &&
		    (images_filters_exact(f, "dangling", "false") ||
		    images_filters_exact(f, "dangling", "0")))
			dangling_only = 0;
		else if (!images_filters_exact(f, "dangling", "true") &&
		    !images_filters_exact(f, "dangling", "1")) {
			images_filters_invalid(f, "dangling", &err);
			goto fail;
		}
	}
	berth_time_now(&now, &now_ns);
	for (i = 0; i < images_filters_count(f, "until"); i++)
		if (berth_timestamp_parse(images_filters_value(f, "until", i),
		    now, &until, &until_ns) < 0) {
			berth_err_set(&err, -EINVAL, "failed to parse value as "
			    "time or duration: \"%s\"",
			    images_filters_value(f, "until", i));
			goto fail;
		}
	/* Pick first: deleting changes the list. */
	TAILQ_FOREACH(img, &st->images, entry)
		n++;
	if ((v = calloc(n + 1, sizeof(*v))) == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		goto fail;
	}
	n = 0;
	TAILQ_FOREACH(img, &st->images, entry) {
		if (until != 0 && (img->created > until ||
		    (img->created == until && img->created_ns > until_ns)))
			continue;
		cfg = berth_json_get(img->config, "config");
		if (cfg != NULL && !labels_match(f, berth_json_get(cfg,
		    "Labels")))
			continue;
		/* A commit's parent goes only with its children: Heads(),
		 * and no untagged intermediate image. */
		if (images_has_child(st, img->hex) && (dangling_only ||
		    images_refs_of(st, img->hex, refs, 1) == 0))
			continue;
		v[n++] = img;
	}
	deleted = json_object_new_array();
	for (i = 0; i < n; i++) {
		img = v[i];
		nrefs = images_refs_of(st, img->hex, refs, MAX_REFS);
		derr.code = 0;
		if (nrefs == 0) {
			(void)images_delete_ref(st, img->hex, 0, 1, deleted,
			    &reclaimed, &derr);
			continue;
		}
		has_tag = 0;
		for (k = 0; k < nrefs && k < MAX_REFS; k++)
			if (refs[k]->ref.tag[0] != '\0')
				has_tag = 1;
		if (dangling_only && has_tag)
			continue;
		/* By their full names: a deletion may free the next one. */
		for (k = nrefs; k > 0; k--) {
			nrefs = images_refs_of(st, v[i]->hex, refs, MAX_REFS);
			if (nrefs == 0)
				break;
			images_ref_string(&refs[0]->ref, full, sizeof(full));
			if (images_delete_ref(st, full, 0, 1, deleted,
			    &reclaimed, &derr) < 0)
				break;
			if (images_find_id(st, v[i]->hex) == NULL)
				break;
		}
	}
	free(v);
	images_filters_free(f);
	attrs = json_object_new_object();
	snprintf(num, sizeof(num), "%lld", (long long)reclaimed);
	json_object_object_add(attrs, "reclaimed", json_object_new_string(num));
	h->emit(h, "image", "prune", "", attrs);
	json_object_put(attrs);
	out = json_object_new_object();
	if (json_object_array_length(deleted) > 0)
		json_object_object_add(out, "ImagesDeleted", deleted);
	else {
		json_object_put(deleted);
		json_object_object_add(out, "ImagesDeleted", NULL);
	}
	json_object_object_add(out, "SpaceReclaimed",
	    json_object_new_int64(reclaimed));
	answer_after_save(st, req, 200, out);
	return;
fail:
	free(v);
	images_filters_free(f);
	h->resp_error(req, &err);
}
