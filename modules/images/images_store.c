/*
 * images_store.c - the image store: in memory on the loop thread, on
 * disk under <data-root>/images, kept in step by one serial queue.
 *
 * The loop's view is the truth for API answers.  Files change only in
 * queued jobs, one at a time and in the order they were asked for, so a
 * job's start hook (on the loop, just before it runs) can decide from
 * memory what the disk holds: a layer queued for removal that an image
 * took again meanwhile is simply kept.
 *
 * Start-up reads everything back and repairs: temp dirs go, images whose
 * config or layers are missing are dropped, references to missing images
 * are dropped, files nothing references are removed.  It never refuses
 * to start for what it finds on disk.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "images.h"

struct images_qjob {
	TAILQ_ENTRY(images_qjob) entry;
	struct images		*st;
	berth_done_fn		 start;
	berth_work_fn		 fn;
	berth_done_fn		 done;
	void			*arg;
	int			 finished;	/* set by the worker, atomic */
};

#define Q_WAIT_MS	10000	/* at shutdown, for the running job */

struct images_stream {
	TAILQ_ENTRY(images_stream) entry;
	berth_work_fn		 fn;
	berth_done_fn		 done;
	void			*arg;
};

/* --- the serial queue -------------------------------------------------- */

static void	q_next(struct images *);

static void
q_work(void *arg)
{
	struct images_qjob	*q = arg;

	q->fn(q->arg);
	__atomic_store_n(&q->finished, 1, __ATOMIC_RELEASE);
}

static void
q_done(void *arg)
{
	struct images_qjob	*q = arg;
	struct images		*st = q->st;

	st->q_running = 0;
	st->q_current = NULL;
	q->done(q->arg);
	free(q);
	q_next(st);
}

static void
q_next(struct images *st)
{
	struct images_qjob	*q;

	while (!st->q_running && !st->stopping &&
	    (q = TAILQ_FIRST(&st->q)) != NULL) {
		TAILQ_REMOVE(&st->q, q, entry);
		if (q->start != NULL)
			q->start(q->arg);
		st->q_running = 1;
		st->q_current = q;
		if (st->h->work(st->h, q_work, q_done, q) < 0) {
			st->q_running = 0;
			st->q_current = NULL;
			q->done(q->arg);
			free(q);
		}
	}
}

void
images_q(struct images *st, berth_done_fn start, berth_work_fn fn,
    berth_done_fn done, void *arg)
{
	struct images_qjob	*q;

	if (st->stopping || (q = calloc(1, sizeof(*q))) == NULL) {
		/* The job never runs; its done sees the rc it started with. */
		done(arg);
		return;
	}
	q->st = st;
	q->start = start;
	q->fn = fn;
	q->done = done;
	q->arg = arg;
	TAILQ_INSERT_TAIL(&st->q, q, entry);
	q_next(st);
}

/* --- streams: imports, loads and saves, a few at a time ---------------- */

int
images_stream_start(struct images *st, berth_work_fn fn, berth_done_fn done,
    void *arg)
{
	struct images_stream	*s;
	int			 rc;

	if (st->stopping)
		return -ESHUTDOWN;
	if (st->nstreams < IMAGES_STREAMS_MAX) {
		/* Counted first: done may run before work returns. */
		st->nstreams++;
		if ((rc = st->h->work(st->h, fn, done, arg)) < 0) {
			st->nstreams--;
			return rc;
		}
		return 0;
	}
	/* Its body waits in the pipe meanwhile, the client paused. */
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return -ENOMEM;
	s->fn = fn;
	s->done = done;
	s->arg = arg;
	TAILQ_INSERT_TAIL(&st->waiting, s, entry);
	return 0;
}

void
images_stream_end(struct images *st)
{
	struct images_stream	*s;

	st->nstreams--;
	while (!st->stopping && st->nstreams < IMAGES_STREAMS_MAX &&
	    (s = TAILQ_FIRST(&st->waiting)) != NULL) {
		TAILQ_REMOVE(&st->waiting, s, entry);
		st->nstreams++;
		if (st->h->work(st->h, s->fn, s->done, s->arg) < 0)
			s->done(s->arg);	/* rc still -ECANCELED */
		free(s);
	}
}

void
images_tmp_name(struct images *st, const char *kind, char *buf, size_t len)
{
	snprintf(buf, len, "tmp/%s-%llu", kind,
	    (unsigned long long)++st->seq);
}

/* --- lookups ------------------------------------------------------------ */

struct images_image *
images_find_id(struct images *st, const char *hex)
{
	struct images_image	*img;

	TAILQ_FOREACH(img, &st->images, entry)
		if (strcmp(img->hex, hex) == 0)
			return img;
	return NULL;
}

/* Children: Docker's imageStore.Children, from the Parent we record. */
int
images_has_child(struct images *st, const char *hex)
{
	struct images_image	*img;

	TAILQ_FOREACH(img, &st->images, entry)
		if (strcmp(img->parent, hex) == 0)
			return 1;
	return 0;
}

struct images_layer *
images_find_layer(struct images *st, const char *hex)
{
	struct images_layer	*l;

	TAILQ_FOREACH(l, &st->layers, entry)
		if (strcmp(l->hex, hex) == 0)
			return l;
	return NULL;
}

struct images_tag *
images_tag_find(struct images *st, const struct images_ref *ref)
{
	struct images_tag	*t;
	char			 full[1024];

	images_ref_string(ref, full, sizeof(full));
	TAILQ_FOREACH(t, &st->tags, entry)
		if (strcmp(t->full, full) == 0)
			return t;
	return NULL;
}

size_t
images_refs_of(struct images *st, const char *hex, struct images_tag **out,
    size_t max)
{
	struct images_tag	*t;
	size_t			 n = 0;

	TAILQ_FOREACH(t, &st->tags, entry) {
		if (strcmp(t->hex, hex) != 0)
			continue;
		if (n < max)
			out[n] = t;
		n++;
	}
	return n;
}

/* The image store's Search: a unique ID prefix, with or without sha256:. */
static struct images_image *
search_prefix(struct images *st, const char *s)
{
	struct images_image	*img, *found = NULL;
	size_t			 n;

	if (strncmp(s, "sha256:", 7) == 0)
		s += 7;
	n = strlen(s);
	if (n == 0 || n > IMAGES_HEX || !images_is_hex(s, n))
		return NULL;
	TAILQ_FOREACH(img, &st->images, entry) {
		if (strncmp(img->hex, s, n) != 0)
			continue;
		if (found != NULL)
			return NULL;	/* ambiguous */
		found = img;
	}
	return found;
}

int
images_lookup(struct images *st, const char *s, struct images_image **imgp,
    struct berth_err *err)
{
	struct images_ref	 ref;
	struct images_tag	*t;
	char			 id[IMAGES_HEX + 1], fam[1024];
	int			 rc;

	*imgp = NULL;
	if ((rc = images_ref_parse_any(s, &ref, id, err)) < 0)
		return rc;
	if (rc == 1) {
		if ((*imgp = images_find_id(st, id)) != NULL)
			return 0;
		return berth_err_set(err, -ENOENT, "No such image: sha256:%s",
		    id);
	}
	images_ref_default_tag(&ref);
	if ((t = images_tag_find(st, &ref)) != NULL &&
	    (*imgp = images_find_id(st, t->hex)) != NULL)
		return 0;
	if ((*imgp = search_prefix(st, s)) != NULL)
		return 0;
	images_ref_familiar(&ref, fam, sizeof(fam));
	return berth_err_set(err, -ENOENT, "No such image: %s", fam);
}

/* --- registering -------------------------------------------------------- */

void
images_chain_ids(const struct images_image *img, char (*out)[IMAGES_HEX + 1])
{
	char	buf[2 * IMAGES_ID_LEN + 2];
	size_t	i;

	for (i = 0; i < img->nlayers; i++) {
		if (i == 0) {
			memcpy(out[0], img->layers[0]->hex, IMAGES_HEX + 1);
			continue;
		}
		snprintf(buf, sizeof(buf), "sha256:%s sha256:%s", out[i - 1],
		    img->layers[i]->hex);
		images_sha256_hex(buf, strlen(buf), out[i]);
	}
}

struct images_layer *
images_layer_add(struct images *st, const char *hex, int64_t size,
    int64_t tar_size)
{
	struct images_layer	*l;

	if ((l = images_find_layer(st, hex)) != NULL)
		return l;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	snprintf(l->hex, sizeof(l->hex), "%s", hex);
	l->size = size;
	l->tar_size = tar_size;
	TAILQ_INSERT_TAIL(&st->layers, l, entry);
	return l;
}

static void
image_free(struct images_image *img)
{
	json_object_put(img->config);
	free(img->raw);
	free(img->layers);
	free(img->last_tag);
	free(img);
}

int
images_image_add(struct images *st, const char *hex, json_object *config,
    const char *raw, size_t raw_len, const char *last_tag,
    struct images_image **out, struct berth_err *err)
{
	struct images_image	*img;
	json_object		*rootfs, *ids;
	const char		*id, *created;
	size_t			 i, n;

	if ((img = images_find_id(st, hex)) != NULL) {
		json_object_put(config);
		*out = img;
		return 0;
	}
	rootfs = berth_json_get(config, "rootfs");
	ids = berth_json_get(rootfs, "diff_ids");
	n = ids && json_object_is_type(ids, json_type_array) ?
	    json_object_array_length(ids) : 0;
	if ((img = calloc(1, sizeof(*img))) == NULL ||
	    (n > 0 && (img->layers = calloc(n, sizeof(*img->layers))) ==
	    NULL) || (img->raw = malloc(raw_len + 1)) == NULL) {
		if (img != NULL)
			free(img->layers);
		free(img);
		json_object_put(config);
		return berth_err_set(err, -ENOMEM, "out of memory");
	}
	for (i = 0; i < n; i++) {
		id = json_object_get_string(json_object_array_get_idx(ids, i));
		if (id == NULL || strncmp(id, "sha256:", 7) != 0 ||
		    (img->layers[i] = images_find_layer(st, id + 7)) == NULL) {
			free(img->layers);
			free(img->raw);
			free(img);
			json_object_put(config);
			return berth_err_set(err, -EINVAL,
			    "image %.12s: layer %s is missing", hex,
			    id ? id : "?");
		}
	}
	for (i = 0; i < n; i++) {
		img->layers[i]->refs++;
		img->size += img->layers[i]->size;
	}
	img->nlayers = n;
	memcpy(img->raw, raw, raw_len);
	img->raw[raw_len] = '\0';
	img->raw_len = raw_len;
	snprintf(img->hex, sizeof(img->hex), "%s", hex);
	img->config = config;
	if ((created = berth_json_str(config, "created")) == NULL ||
	    berth_time_parse(created, &img->created, &img->created_ns) < 0)
		img->created = img->created_ns = 0;
	if (last_tag != NULL)
		img->last_tag = strdup(last_tag);
	TAILQ_INSERT_TAIL(&st->images, img, entry);
	*out = img;
	return 0;
}

int
images_tag_set(struct images *st, const struct images_ref *ref,
    const char *hex, char prev[IMAGES_HEX + 1], struct berth_err *err)
{
	struct images_tag	*t, *at;
	char			 full[1024], fam[1024];

	prev[0] = '\0';
	images_ref_familiar_name(ref, fam, sizeof(fam));
	if (strcmp(fam, "sha256") == 0)
		return berth_err_set(err, -EINVAL, "refusing to create an "
		    "ambiguous tag using digest algorithm as name");
	if ((t = images_tag_find(st, ref)) != NULL) {
		if (strcmp(t->hex, hex) == 0)
			return 0;
		if (ref->digest[0] != '\0')
			return berth_err_set(err, -EEXIST,
			    "Cannot overwrite digest %s", ref->digest);
		snprintf(prev, IMAGES_HEX + 1, "%s", t->hex);
		snprintf(t->hex, sizeof(t->hex), "%s", hex);
		return 0;
	}
	images_ref_string(ref, full, sizeof(full));
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->full = strdup(full)) == NULL) {
		free(t);
		return berth_err_set(err, -ENOMEM, "out of memory");
	}
	t->ref = *ref;
	snprintf(t->hex, sizeof(t->hex), "%s", hex);
	/* Kept sorted, as the refstore lists references. */
	TAILQ_FOREACH(at, &st->tags, entry)
		if (strcmp(at->full, full) > 0)
			break;
	if (at != NULL)
		TAILQ_INSERT_BEFORE(at, t, entry);
	else
		TAILQ_INSERT_TAIL(&st->tags, t, entry);
	return 0;
}

void
images_tag_remove(struct images *st, struct images_tag *t)
{
	TAILQ_REMOVE(&st->tags, t, entry);
	free(t->full);
	free(t);
}

void
images_layer_pin(struct images_layer *l)
{
	l->pins++;
}

/* --- removal ------------------------------------------------------------ */

struct rm_job {
	struct images		*st;		/* loop side only */
	int			 rootfd;
	struct images_layer	*layer;		/* or, for an image: */
	char			 hex[IMAGES_HEX + 1];
	char			 trash[PATH_MAX];
	int			 skip;
	int			 rc;
};

void
images_nothing(void *arg)
{
}

/* As discard_work: the worker frees its job. */
static void
trash_work(void *arg)
{
	struct rm_job	*j = arg;

	(void)berth_rmtree_at(j->rootfd, j->trash);
	free(j);
}

static void
layer_rm_start(void *arg)
{
	struct rm_job	*j = arg;

	/* Taken again since the removal was asked for: keep it. */
	if (j->layer->refs > 0 || j->layer->pins > 0) {
		j->skip = 1;
		j->layer->removing = 0;
	}
}

static void
layer_rm_work(void *arg)
{
	struct rm_job	*j = arg;
	char		 path[PATH_MAX];
	int		 fd = j->rootfd;

	if (j->skip)
		return;
	snprintf(path, sizeof(path), "layers/%s", j->hex);
	if (renameat(fd, path, fd, j->trash) == -1 && errno != ENOENT)
		j->rc = -errno;
	snprintf(path, sizeof(path), "blobs/sha256/%s", j->hex);
	if (unlinkat(fd, path, 0) == -1 && errno != ENOENT && j->rc == 0)
		j->rc = -errno;
	(void)images_fs_fsync_dir(fd, "layers");
}

static void
layer_rm_done(void *arg)
{
	struct rm_job	*j = arg;
	struct images	*st = j->st;

	if (j->skip) {
		free(j);
		return;
	}
	if (j->rc < 0)
		st->h->log(st->h, BERTH_LOG_WARN, "remove layer %.12s: %s",
		    j->hex, strerror(-j->rc));
	if (j->layer->refs == 0 && j->layer->pins == 0) {
		TAILQ_REMOVE(&st->layers, j->layer, entry);
		free(j->layer);
	} else
		j->layer->removing = 0;
	j->layer = NULL;
	/* The bulk of the deletion runs outside the queue. */
	if (st->stopping || st->h->work(st->h, trash_work, images_nothing, j) < 0)
		free(j);
}

static void
layer_rm(struct images *st, struct images_layer *l)
{
	struct rm_job	*j;

	if (l->refs > 0 || l->pins > 0 || l->removing)
		return;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return;		/* left for the next start's clean-up */
	l->removing = 1;
	j->st = st;
	j->rootfd = st->rootfd;
	j->layer = l;
	snprintf(j->hex, sizeof(j->hex), "%s", l->hex);
	snprintf(j->trash, sizeof(j->trash), "trash/layer-%s-%llu", l->hex,
	    (unsigned long long)++st->seq);
	images_q(st, layer_rm_start, layer_rm_work, layer_rm_done, j);
}

void
images_layer_unref(struct images *st, struct images_layer *l)
{
	if (l->refs > 0)
		l->refs--;
	layer_rm(st, l);
}

void
images_layer_unpin(struct images *st, struct images_layer *l)
{
	if (l->pins > 0)
		l->pins--;
	layer_rm(st, l);
}

static void
image_rm_start(void *arg)
{
	struct rm_job	*j = arg;

	j->skip = images_find_id(j->st, j->hex) != NULL;
}

static void
image_rm_work(void *arg)
{
	struct rm_job	*j = arg;
	char		 path[PATH_MAX];

	if (j->skip)
		return;
	snprintf(path, sizeof(path), "imagedb/%s", j->hex);
	if (unlinkat(j->rootfd, path, 0) == -1 && errno != ENOENT)
		j->rc = -errno;
	(void)images_fs_fsync_dir(j->rootfd, "imagedb");
	snprintf(path, sizeof(path), "blobs/sha256/%s", j->hex);
	(void)unlinkat(j->rootfd, path, 0);
}

static void
image_rm_done(void *arg)
{
	struct rm_job	*j = arg;

	if (j->rc < 0)
		j->st->h->log(j->st->h, BERTH_LOG_WARN, "remove image %.12s: %s",
		    j->hex, strerror(-j->rc));
	free(j);
}

void
images_image_remove(struct images *st, struct images_image *img)
{
	struct rm_job	*j;
	size_t		 i;

	TAILQ_REMOVE(&st->images, img, entry);
	/* The image's record goes first, then the layers nobody holds. */
	if ((j = calloc(1, sizeof(*j))) != NULL) {
		j->st = st;
		j->rootfd = st->rootfd;
		snprintf(j->hex, sizeof(j->hex), "%s", img->hex);
		images_q(st, image_rm_start, image_rm_work, image_rm_done, j);
	}
	/*
	 * Containers still use it (rmi -f): as in Docker, they keep its
	 * layers.  It lives on, unseen, until the last of them lets go.
	 */
	if (images_users_count(st, img->hex) > 0) {
		TAILQ_INSERT_TAIL(&st->ghosts, img, entry);
		return;
	}
	for (i = 0; i < img->nlayers; i++)
		images_layer_unref(st, img->layers[i]);
	image_free(img);
}

struct images_image *
images_find_ghost(struct images *st, const char *hex)
{
	struct images_image	*img;

	TAILQ_FOREACH(img, &st->ghosts, entry)
		if (strcmp(img->hex, hex) == 0)
			return img;
	return NULL;
}

void
images_ghost_release(struct images *st, const char *hex)
{
	struct images_image	*img;
	size_t			 i;

	if ((img = images_find_ghost(st, hex)) == NULL ||
	    images_users_count(st, hex) > 0)
		return;
	TAILQ_REMOVE(&st->ghosts, img, entry);
	for (i = 0; i < img->nlayers; i++)
		images_layer_unref(st, img->layers[i]);
	image_free(img);
}

/* --- persisting ---------------------------------------------------------- */

struct waiter {
	void	(*cb)(void *, int);
	void	*arg;
};

struct tags_job {
	struct images	*st;		/* loop side only */
	int		 rootfd;
	char		*json;
	struct waiter	*waiters;
	size_t		 nwaiters;
	int		 rc;
	struct berth_err err;
};

static json_object *
tags_json(struct images *st)
{
	json_object		*root, *repos, *repo;
	struct images_tag	*t;
	char			 name[1024], id[IMAGES_ID_LEN + 1];

	root = json_object_new_object();
	repos = json_object_new_object();
	json_object_object_add(root, "Repositories", repos);
	TAILQ_FOREACH(t, &st->tags, entry) {
		images_ref_name(&t->ref, name, sizeof(name));
		if (!json_object_object_get_ex(repos, name, &repo)) {
			repo = json_object_new_object();
			json_object_object_add(repos, name, repo);
		}
		snprintf(id, sizeof(id), "sha256:%s", t->hex);
		json_object_object_add(repo, t->full,
		    json_object_new_string(id));
	}
	return root;
}

static void
tags_start(void *arg)
{
	struct tags_job	*j = arg;
	json_object	*o;

	if (j->st->tags_pending == j)
		j->st->tags_pending = NULL;
	/* The freshest state: later changes joined this job as waiters. */
	o = tags_json(j->st);
	j->json = strdup(json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static void
tags_work(void *arg)
{
	struct tags_job	*j = arg;

	if (j->json == NULL) {
		j->rc = berth_err_set(&j->err, -ENOMEM, "out of memory");
		return;
	}
	j->rc = images_fs_write_atomic(j->rootfd, "repositories.json",
	    j->json, strlen(j->json), &j->err);
}

static void
tags_done(void *arg)
{
	struct tags_job	*j = arg;
	size_t		 i;

	if (j->st->tags_pending == j)
		j->st->tags_pending = NULL;
	if (j->rc < 0)
		j->st->h->log(j->st->h, BERTH_LOG_ERR, "%s", j->err.msg);
	for (i = 0; i < j->nwaiters; i++)
		j->waiters[i].cb(j->waiters[i].arg, j->rc);
	free(j->waiters);
	free(j->json);
	free(j);
}

void
images_save_tags(struct images *st, void (*cb)(void *, int), void *arg)
{
	struct tags_job	*j = st->tags_pending;
	struct waiter	*grown;

	if (j == NULL) {
		if ((j = calloc(1, sizeof(*j))) == NULL) {
			if (cb != NULL)
				cb(arg, -ENOMEM);
			return;
		}
		j->st = st;
		j->rootfd = st->rootfd;
		j->rc = -ECANCELED;
		st->tags_pending = j;
		if (cb != NULL && (j->waiters = calloc(1,
		    sizeof(*j->waiters))) != NULL) {
			j->waiters[0].cb = cb;
			j->waiters[0].arg = arg;
			j->nwaiters = 1;
		} else if (cb != NULL)
			cb(arg, -ENOMEM);
		images_q(st, tags_start, tags_work, tags_done, j);
		return;
	}
	if (cb == NULL)
		return;
	if ((grown = realloc(j->waiters, (j->nwaiters + 1) *
	    sizeof(*grown))) == NULL) {
		cb(arg, -ENOMEM);
		return;
	}
	j->waiters = grown;
	j->waiters[j->nwaiters].cb = cb;
	j->waiters[j->nwaiters].arg = arg;
	j->nwaiters++;
}

struct meta_job {
	struct images	*st;		/* loop side only */
	int		 rootfd;
	char		 hex[IMAGES_HEX + 1];
	char		*json;
	int		 rc;
	struct berth_err err;
};

static void
meta_start(void *arg)
{
	struct meta_job		*j = arg;
	struct images_image	*img = images_find_id(j->st, j->hex);
	json_object		*o;

	if (img == NULL)
		return;
	o = json_object_new_object();
	if (img->last_tag != NULL)
		json_object_object_add(o, "LastTagTime",
		    json_object_new_string(img->last_tag));
	if (img->parent[0] != '\0')
		json_object_object_add(o, "Parent",
		    json_object_new_string(img->parent));
	j->json = strdup(json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

static void
meta_work(void *arg)
{
	struct meta_job	*j = arg;
	char		 path[PATH_MAX];

	if (j->json == NULL)
		return;
	snprintf(path, sizeof(path), "imagedb/%s", j->hex);
	j->rc = images_fs_write_atomic(j->rootfd, path, j->json,
	    strlen(j->json), &j->err);
}

static void
meta_done(void *arg)
{
	struct meta_job	*j = arg;

	if (j->rc < 0)
		j->st->h->log(j->st->h, BERTH_LOG_WARN, "%s", j->err.msg);
	free(j->json);
	free(j);
}

void
images_save_meta(struct images *st, struct images_image *img)
{
	struct meta_job	*j;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return;
	j->st = st;
	j->rootfd = st->rootfd;
	snprintf(j->hex, sizeof(j->hex), "%s", img->hex);
	images_q(st, meta_start, meta_work, meta_done, j);
}

/* --- events ------------------------------------------------------------- */

void
images_event(struct images *st, const char *action, const char *hex,
    const char *name, int with_labels)
{
	struct images_image	*img;
	json_object		*attrs, *cfg, *labels;
	char			 id[IMAGES_ID_LEN + 1];

	attrs = json_object_new_object();
	if (with_labels && (img = images_find_id(st, hex)) != NULL) {
		cfg = berth_json_get(img->config, "config");
		labels = berth_json_get(cfg, "Labels");
		if (labels != NULL && json_object_is_type(labels,
		    json_type_object)) {
			json_object_object_foreach(labels, k, v)
				json_object_object_add(attrs, k,
				    json_object_get(v));
		}
	}
	snprintf(id, sizeof(id), "sha256:%s", hex);
	json_object_object_add(attrs, "name",
	    json_object_new_string(name ? name : id));
	st->h->emit(st->h, "image", action, id, attrs);
	json_object_put(attrs);
}

/* --- start-up ------------------------------------------------------------ */

static int
read_layer(struct images *st, const char *hex)
{
	char	 path[PATH_MAX], *buf;
	long long size, tar;
	struct stat sb;

	snprintf(path, sizeof(path), "layers/%s/diff", hex);
	if (fstatat(st->rootfd, path, &sb, AT_SYMLINK_NOFOLLOW) == -1 ||
	    !S_ISDIR(sb.st_mode))
		return -ENOENT;
	snprintf(path, sizeof(path), "layers/%s/size", hex);
	if (images_fs_read(st->rootfd, path, 64, &buf, NULL) < 0)
		return -ENOENT;
	if (sscanf(buf, "%lld %lld", &size, &tar) != 2) {
		free(buf);
		return -EINVAL;
	}
	free(buf);
	return images_layer_add(st, hex, size, tar) ? 0 : -ENOMEM;
}

static void
to_trash(struct images *st, const char *dir, const char *name)
{
	char	from[PATH_MAX], to[PATH_MAX];

	snprintf(from, sizeof(from), "%s/%s", dir, name);
	snprintf(to, sizeof(to), "trash/%s-%s-%llu", dir, name,
	    (unsigned long long)++st->seq);
	if (renameat(st->rootfd, from, st->rootfd, to) == -1)
		(void)berth_rmtree_at(st->rootfd, from);
}

static int
is_temp(const char *name)
{
	return name[0] == '.' || strstr(name, ".tmp-") != NULL;
}

static void
load_layers(struct images *st)
{
	struct dirent	*de;
	DIR		*d;
	int		 fd;

	if ((fd = openat(st->rootfd, "layers", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || (d = fdopendir(fd)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (strlen(de->d_name) != IMAGES_HEX ||
		    !images_is_hex(de->d_name, IMAGES_HEX) ||
		    read_layer(st, de->d_name) < 0) {
			st->h->log(st->h, BERTH_LOG_WARN,
			    "dropping incomplete layer %s", de->d_name);
			to_trash(st, "layers", de->d_name);
		}
	}
	closedir(d);
}

static int
read_image(struct images *st, const char *hex, struct berth_err *err)
{
	struct images_image	*img;
	char			 path[PATH_MAX], *buf, *meta = NULL;
	char			 sum[IMAGES_HEX + 1];
	json_object		*cfg, *m;
	const char		*last = NULL, *parent;
	size_t			 len;
	int			 rc;

	snprintf(path, sizeof(path), "blobs/sha256/%s", hex);
	if ((rc = images_fs_read(st->rootfd, path, IMAGES_JSON_MAX, &buf,
	    &len)) < 0)
		return berth_err_set(err, rc, "config: %s", strerror(-rc));
	images_sha256_hex(buf, len, sum);
	if (strcmp(sum, hex) != 0 || (cfg = json_tokener_parse(buf)) == NULL) {
		free(buf);
		return berth_err_set(err, -EINVAL, "config is damaged");
	}
	snprintf(path, sizeof(path), "imagedb/%s", hex);
	m = NULL;
	if (images_fs_read(st->rootfd, path, 65536, &meta, NULL) == 0 &&
	    (m = json_tokener_parse(meta)) != NULL)
		last = berth_json_str(m, "LastTagTime");
	rc = images_image_add(st, hex, cfg, buf, len, last, &img, err);
	parent = berth_json_str(m, "Parent");
	if (rc == 0 && parent != NULL && strlen(parent) == IMAGES_HEX &&
	    images_is_hex(parent, IMAGES_HEX))
		memcpy(img->parent, parent, sizeof(img->parent));
	json_object_put(m);
	free(meta);
	free(buf);
	return rc;
}

static void
load_images(struct images *st)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	struct dirent		*de;
	DIR			*d;
	char			 path[PATH_MAX];
	int			 fd;

	if ((fd = openat(st->rootfd, "imagedb", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || (d = fdopendir(fd)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "imagedb/%s", de->d_name);
		if (is_temp(de->d_name) || strlen(de->d_name) != IMAGES_HEX ||
		    !images_is_hex(de->d_name, IMAGES_HEX)) {
			(void)unlinkat(st->rootfd, path, 0);
			continue;
		}
		if (read_image(st, de->d_name, &err) < 0) {
			st->h->log(st->h, BERTH_LOG_WARN,
			    "dropping image %.12s: %s", de->d_name, err.msg);
			(void)unlinkat(st->rootfd, path, 0);
		}
	}
	closedir(d);
}

static int
load_tags(struct images *st)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	struct images_ref	 ref;
	json_object		*root, *repos;
	char			*buf, prev[IMAGES_HEX + 1];
	const char		*id;
	int			 dropped = 0;

	/* A write a kill -9 cut short leaves its temporary. */
	(void)berth_sweep_tmp(st->root);
	if (images_fs_read(st->rootfd, "repositories.json", IMAGES_JSON_MAX,
	    &buf, NULL) < 0)
		return 0;
	root = json_tokener_parse(buf);
	free(buf);
	if ((repos = berth_json_get(root, "Repositories")) == NULL ||
	    !json_object_is_type(repos, json_type_object)) {
		json_object_put(root);
		st->h->log(st->h, BERTH_LOG_WARN,
		    "repositories.json is damaged: references dropped");
		return 1;
	}
	json_object_object_foreach(repos, name, refs) {
		(void)name;
		if (!json_object_is_type(refs, json_type_object))
			continue;
		json_object_object_foreach(refs, r, v) {
			id = json_object_get_string(v);
			if (id == NULL || strncmp(id, "sha256:", 7) != 0 ||
			    images_find_id(st, id + 7) == NULL ||
			    images_ref_parse(r, &ref, &err) < 0 ||
			    images_tag_set(st, &ref, id + 7, prev, &err) < 0) {
				st->h->log(st->h, BERTH_LOG_WARN,
				    "dropping reference %s", r);
				dropped++;
			}
		}
	}
	json_object_put(root);
	return dropped;
}

/* Blobs nothing references and stray temp files, queued after start. */
struct gc_job {
	struct images	*st;		/* loop side only */
	int		 rootfd;
	char		*live;		/* sorted "hex\0hex\0..." */
	size_t		 nlive;
};

static int
hexcmp(const void *a, const void *b)
{
	return memcmp(a, b, IMAGES_HEX);
}

static void
gc_start(void *arg)
{
	struct gc_job		*j = arg;
	struct images_image	*img;
	struct images_layer	*l;
	size_t			 n = 0;

	TAILQ_FOREACH(img, &j->st->images, entry)
		n++;
	TAILQ_FOREACH(l, &j->st->layers, entry)
		n++;
	if ((j->live = malloc(n * IMAGES_HEX + 1)) == NULL)
		return;
	TAILQ_FOREACH(img, &j->st->images, entry)
		memcpy(j->live + IMAGES_HEX * j->nlive++, img->hex, IMAGES_HEX);
	TAILQ_FOREACH(l, &j->st->layers, entry)
		memcpy(j->live + IMAGES_HEX * j->nlive++, l->hex, IMAGES_HEX);
	qsort(j->live, j->nlive, IMAGES_HEX, hexcmp);
}

static void
gc_work(void *arg)
{
	struct gc_job	*j = arg;
	struct dirent	*de;
	DIR		*d;
	char		 path[PATH_MAX];
	int		 fd;

	if (j->live == NULL)
		return;
	if ((fd = openat(j->rootfd, "blobs/sha256", O_RDONLY |
	    O_DIRECTORY | O_CLOEXEC)) == -1 || (d = fdopendir(fd)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (strlen(de->d_name) == IMAGES_HEX && !is_temp(de->d_name) &&
		    bsearch(de->d_name, j->live, j->nlive, IMAGES_HEX,
		    hexcmp) != NULL)
			continue;
		snprintf(path, sizeof(path), "blobs/sha256/%s", de->d_name);
		(void)unlinkat(j->rootfd, path, 0);
	}
	closedir(d);
}

static void
gc_done(void *arg)
{
	struct gc_job	*j = arg;

	free(j->live);
	free(j);
}

struct trash_all {
	int	rootfd;
};

static void
trash_all_work(void *arg)
{
	struct trash_all	*t = arg;
	struct dirent		*de;
	DIR			*d;
	int			 fd;

	if ((fd = openat(t->rootfd, "trash", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || (d = fdopendir(fd)) == NULL) {
		free(t);
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			(void)berth_rmtree_at(dirfd(d), de->d_name);
	closedir(d);
	free(t);
}

int
images_store_open(struct images *st, struct berth_err *err)
{
	static const char *const dirs[] = {
		"", "/blobs/sha256", "/layers", "/imagedb", "/mounts", "/tmp",
		"/trash",
	};
	struct images_layer	*l, *lnext;
	struct gc_job		*gc;
	struct trash_all	*ta;
	char			 path[PATH_MAX], to[PATH_MAX];
	size_t			 i;
	int			 rc;

	TAILQ_INIT(&st->images);
	TAILQ_INIT(&st->ghosts);
	TAILQ_INIT(&st->layers);
	TAILQ_INIT(&st->tags);
	TAILQ_INIT(&st->users);
	TAILQ_INIT(&st->owners);
	TAILQ_INIT(&st->q);
	TAILQ_INIT(&st->waiting);
	st->rootfd = -1;
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", st->root, dirs[i]);
		if ((rc = berth_mkdirs(path, 0700)) < 0)
			return berth_err_set(err, rc, "mkdir %s: %s", path,
			    strerror(-rc));
	}
	if ((st->rootfd = open(st->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1)
		return berth_err_errno(err, "open %s", st->root);
	/* Work a crash interrupted: out of the way now, deleted later. */
	snprintf(to, sizeof(to), "trash/tmp-%llu-%d",
	    (unsigned long long)time(NULL), (int)getpid());
	if (renameat(st->rootfd, "tmp", st->rootfd, to) == -1 ||
	    mkdirat(st->rootfd, "tmp", 0700) == -1)
		st->h->log(st->h, BERTH_LOG_WARN, "cannot clear %s/tmp: %s",
		    st->root, strerror(errno));
	load_layers(st);
	load_images(st);
	if (load_tags(st) > 0)
		images_save_tags(st, NULL, NULL);
	(void)images_rootfs_open(st);
	/* Layers no image or rootfs holds: a crash between two steps. */
	for (l = TAILQ_FIRST(&st->layers); l != NULL; l = lnext) {
		lnext = TAILQ_NEXT(l, entry);
		layer_rm(st, l);
	}
	if ((gc = calloc(1, sizeof(*gc))) != NULL) {
		gc->st = st;
		gc->rootfd = st->rootfd;
		images_q(st, gc_start, gc_work, gc_done, gc);
	}
	if ((ta = calloc(1, sizeof(*ta))) != NULL) {
		ta->rootfd = st->rootfd;
		if (st->h->work(st->h, trash_all_work, images_nothing, ta) < 0)
			free(ta);
	}
	return 0;
}

void
images_store_close(struct images *st)
{
	struct images_qjob	*q;
	struct images_stream	*s;
	struct images_image	*img;
	struct images_layer	*l;
	struct images_tag	*t;
	int			 i;

	st->stopping = 1;
	/*
	 * The running store job is short (renames, small writes): wait for
	 * it, so the store is left as it said and its memory freed; the
	 * core will not call its done after fini.
	 */
	if ((q = st->q_current) != NULL) {
		for (i = 0; i < Q_WAIT_MS &&
		    !__atomic_load_n(&q->finished, __ATOMIC_ACQUIRE); i++)
			(void)nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
		if (__atomic_load_n(&q->finished, __ATOMIC_ACQUIRE)) {
			st->q_current = NULL;
			st->q_running = 0;
			q->done(q->arg);
			free(q);
		} else
			st->h->log(st->h, BERTH_LOG_WARN,
			    "a store job is still running at shutdown");
	}
	/* Jobs that never started: their done sees -ECANCELED. */
	while ((q = TAILQ_FIRST(&st->q)) != NULL) {
		TAILQ_REMOVE(&st->q, q, entry);
		q->done(q->arg);
		free(q);
	}
	while ((s = TAILQ_FIRST(&st->waiting)) != NULL) {
		TAILQ_REMOVE(&st->waiting, s, entry);
		st->nstreams++;		/* its done ends a stream */
		s->done(s->arg);
		free(s);
	}
	images_rootfs_close(st);
	while ((t = TAILQ_FIRST(&st->tags)) != NULL)
		images_tag_remove(st, t);
	while ((img = TAILQ_FIRST(&st->images)) != NULL) {
		TAILQ_REMOVE(&st->images, img, entry);
		image_free(img);
	}
	while ((img = TAILQ_FIRST(&st->ghosts)) != NULL) {
		TAILQ_REMOVE(&st->ghosts, img, entry);
		image_free(img);
	}
	while ((l = TAILQ_FIRST(&st->layers)) != NULL) {
		TAILQ_REMOVE(&st->layers, l, entry);
		free(l);
	}
	if (st->rootfd != -1)
		close(st->rootfd);
	st->rootfd = -1;
}
