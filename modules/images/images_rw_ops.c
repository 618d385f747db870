/*
 * images_rw_ops.c - image/1's changes and commit (`docker diff`,
 * `docker commit`).
 *
 * Both read the rootfs in its owner's turn (images_owner_call), so no
 * mount, unmount or removal of it runs meanwhile, and hold its layers
 * pinned until they are done.  A commit then goes as Docker's
 * CommitImage: the upper directory as a tar (images_rw.c), unpacked by
 * the store's own code into a layer under tmp/; on the loop, the image
 * config (NewChildImage's: the parent's rootfs and history plus one
 * entry, the container and its Config); the store's commit; the parent
 * recorded (rmi of it is refused while the child exists); then the tag
 * and its event.  Everything that can be refused is checked before any
 * of it runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <berth/json.h>

#include "images.h"

#define READSZ	(128u << 10)

struct rw_job {
	struct images		*st;
	int			 rootfd;
	int			 commit;
	char			*owner;
	char			 upper[PATH_MAX];	/* under rootfd; "" */
	char			**lowers;	/* under rootfd, top first */
	size_t			 nlowers;
	int			 init_lower;	/* lowers[0] is the init
						   layer: may not exist */
	struct images_layer	**pins;		/* held until the end */
	size_t			 npins;
	/* the worker's */
	struct images_changes	 changes;
	char			 tmpdir[IMAGES_TMP_MAX];
	struct images_unpack	 u;
	char			*rbuf;
	int			 tarfd;
	int			 rc;
	struct berth_err	 err;
	/* a commit's, on the loop */
	char			 parent[IMAGES_HEX + 1];	/* "" if gone */
	json_object		*parent_config;	/* the parent's, or NULL */
	json_object		*config;	/* the image's Config */
	json_object		*container_config;
	char			*comment, *author;
	struct images_ref	 ref;
	int			 has_ref;
	char			 ref_name[1024];	/* as the event says */
	char			 hex[IMAGES_HEX + 1];
	char			 created[64];
	berth_image_changes_cb	 changes_cb;
	berth_image_id_cb	 id_cb;
	void			*arg;
};

static void
job_free(struct rw_job *j)
{
	size_t	i;

	for (i = 0; i < j->npins; i++)
		images_layer_unpin(j->st, j->pins[i]);
	for (i = 0; i < j->nlowers; i++)
		free(j->lowers[i]);
	images_changes_free(&j->changes);
	json_object_put(j->parent_config);
	json_object_put(j->config);
	json_object_put(j->container_config);
	free(j->lowers);
	free(j->pins);
	free(j->owner);
	free(j->comment);
	free(j->author);
	free(j->rbuf);
	j->st->requests--;
	free(j);
}

/*
 * A job for owner's rootfs (o, or NULL for one never made) over layers
 * (bottom first, as images and owners keep them).
 */
static struct rw_job *
job_new(struct images *st, const char *owner, struct images_owner *o,
    struct images_layer **layers, size_t nlayers)
{
	struct rw_job	*j;
	char		 path[PATH_MAX];
	size_t		 i, k;
	int		 dup;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return NULL;
	j->st = st;
	st->requests++;
	j->rootfd = st->rootfd;
	j->tarfd = -1;
	j->rc = -ECANCELED;
	if ((j->owner = strdup(owner)) == NULL ||
	    (j->lowers = calloc(nlayers + 1, sizeof(*j->lowers))) == NULL ||
	    (nlayers > 0 && (j->pins = calloc(nlayers,
	    sizeof(*j->pins))) == NULL))
		goto oom;
	if (o != NULL) {
		snprintf(j->upper, sizeof(j->upper), "mounts/%s/upper", owner);
		/*
		 * The upper directory is told against the init layer too, as
		 * Docker's diff is: deleting /.dockerenv is a D.
		 */
		snprintf(path, sizeof(path), "mounts/%s/init", owner);
		if ((j->lowers[j->nlowers] = strdup(path)) == NULL)
			goto oom;
		j->nlowers++;
		j->init_lower = 1;
	}
	/* Top first, each layer once: the overlay's lowers. */
	for (i = nlayers; i > 0; i--) {
		if (layers[i - 1] == NULL)
			continue;
		images_layer_pin(layers[i - 1]);
		j->pins[j->npins++] = layers[i - 1];
		for (dup = 0, k = i; k < nlayers; k++)
			dup |= layers[k] == layers[i - 1];
		if (dup)
			continue;
		snprintf(path, sizeof(path), "layers/%s/diff",
		    layers[i - 1]->hex);
		if ((j->lowers[j->nlowers] = strdup(path)) == NULL)
			goto oom;
		j->nlowers++;
	}
	return j;
oom:
	job_free(j);
	return NULL;
}

/* --- the worker ------------------------------------------------------------- */

static ssize_t
tar_read(void *arg, const void **buf)
{
	struct rw_job	*j = arg;
	ssize_t		 n;

	while ((n = read(j->tarfd, j->rbuf, READSZ)) < 0 && errno == EINTR)
		;
	*buf = j->rbuf;
	return n;
}

/* The upper dir as a tar in tmp/, then unpacked as any layer is. */
static int
commit_layer(struct rw_job *j, const struct images_rw_tree *t)
{
	char	path[PATH_MAX];
	int	ldir = -1, diff = -1, rc;

	j->u.dirfd = j->u.blobfd = -1;
	if (mkdirat(j->rootfd, j->tmpdir, 0700) == -1)
		return berth_err_errno(&j->err, "mkdir %s", j->tmpdir);
	snprintf(path, sizeof(path), "%s/blob", j->tmpdir);
	if ((j->tarfd = openat(j->rootfd, path, O_RDWR | O_CREAT | O_EXCL |
	    O_CLOEXEC, 0644)) == -1)
		return berth_err_errno(&j->err, "create %s", path);
	if ((rc = images_rw_tar(t, j->tarfd, &j->err)) < 0)
		return rc;
	if (lseek(j->tarfd, 0, SEEK_SET) == -1)
		return berth_err_errno(&j->err, "seek %s", path);
	snprintf(path, sizeof(path), "%s/layer", j->tmpdir);
	if (mkdirat(j->rootfd, path, 0700) == -1 ||
	    (ldir = openat(j->rootfd, path, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || mkdirat(ldir, "diff", 0755) == -1 ||
	    (diff = openat(ldir, "diff", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1) {
		rc = berth_err_errno(&j->err, "mkdir %s", path);
		goto out;
	}
	j->u.dirfd = diff;
	j->u.read = tar_read;
	j->u.read_arg = j;
	if ((rc = images_layer_unpack(&j->u)) < 0) {
		j->err = j->u.err;
		goto out;
	}
	rc = images_layer_write_size(ldir, &j->u, &j->err);
out:
	if (diff != -1)
		close(diff);
	if (ldir != -1)
		close(ldir);
	return rc;
}

static void
rw_work(void *arg)
{
	struct rw_job		*j = arg;
	struct images_rw_tree	 t;
	int			*fds;
	size_t			 i;

	if ((fds = calloc(j->nlowers + 1, sizeof(*fds))) == NULL) {
		j->rc = berth_err_set(&j->err, -ENOMEM, "out of memory");
		return;
	}
	memset(&t, 0, sizeof(t));
	t.upper = -1;
	t.lowers = fds;
	for (i = 0; i < j->nlowers; i++)
		fds[i] = -1;
	for (i = 0; i < j->nlowers; i++)
		if ((fds[t.nlowers] = openat(j->rootfd, j->lowers[i], O_PATH |
		    O_DIRECTORY | O_CLOEXEC)) != -1)
			t.nlowers++;
		else if (!(i == 0 && j->init_lower && errno == ENOENT)) {
			/* (A rootfs from before init layers has none.) */
			j->rc = berth_err_errno(&j->err, "open %s",
			    j->lowers[i]);
			goto out;
		}
	/* A rootfs made but never written to may have no upper yet. */
	if (j->upper[0] != '\0' && (t.upper = openat(j->rootfd, j->upper,
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1 &&
	    errno != ENOENT) {
		j->rc = berth_err_errno(&j->err, "open %s", j->upper);
		goto out;
	}
	if (j->commit)
		j->rc = commit_layer(j, &t);
	else
		j->rc = images_rw_changes(&t, &j->changes, &j->err);
out:
	if (j->tarfd != -1) {
		close(j->tarfd);
		j->tarfd = -1;
	}
	if (t.upper != -1)
		close(t.upper);
	for (i = 0; i < j->nlowers; i++)
		if (fds[i] != -1)
			close(fds[i]);
	free(fds);
}

/* --- changes ---------------------------------------------------------------- */

/* A job that never ran: berthd stops, or the rootfs went first. */
static void
not_run(struct rw_job *j)
{
	if (j->st->stopping)
		berth_err_set(&j->err, -ECANCELED,
		    "the daemon is shutting down");
	else
		j->rc = berth_err_set(&j->err, -ENOENT,
		    "the rootfs of %s was removed", j->owner);
}

static void
changes_done(void *arg)
{
	struct rw_job	*j = arg;
	json_object	*out;

	if (j->rc == -ECANCELED)
		not_run(j);
	out = j->rc < 0 ? NULL : images_changes_json(&j->changes);
	j->changes_cb(j->arg, j->rc, out, j->rc < 0 ? &j->err : NULL);
	json_object_put(out);
	job_free(j);
}

void
images_rw_changes_op(void *state, const char *owner,
    berth_image_changes_cb done, void *arg)
{
	struct images		*st = state;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct images_owner	*o;
	struct rw_job		*j;
	int			 rc;

	/* A container never started has no rootfs yet: no changes. */
	if ((o = images_owner_find(st, owner)) == NULL) {
		done(arg, 0, NULL, NULL);
		return;
	}
	if ((j = job_new(st, owner, o, o->lowers, o->nlowers)) == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		done(arg, err.code, NULL, &err);
		return;
	}
	j->changes_cb = done;
	j->arg = arg;
	if ((rc = images_owner_call(st, owner, rw_work, changes_done, j)) < 0) {
		berth_err_set(&err, rc, "changes of %s: %s", owner,
		    strerror(-rc));
		job_free(j);
		done(arg, rc, NULL, &err);
	}
}

/* --- the commit's config ------------------------------------------------------ */

static int
empty(json_object *o, const char *key)
{
	json_object	*v = berth_json_get(o, key);

	if (v == NULL)
		return 1;
	switch (json_object_get_type(v)) {
	case json_type_string:
		return json_object_get_string_len(v) == 0;
	case json_type_array:
		return json_object_array_length(v) == 0;
	case json_type_object:
		return json_object_object_length(v) == 0;
	case json_type_int:
		return json_object_get_int64(v) == 0;
	default:
		return 0;
	}
}

static void
take(json_object *to, const char *key, json_object *from)
{
	json_object	*v = berth_json_get(from, key);

	json_object_object_add(to, key, v ? json_object_get(v) : NULL);
}

/* Keys of from that to lacks (overwrite: all of them). */
static void
merge_keys(json_object *to, const char *key, json_object *from, int overwrite)
{
	json_object	*t = berth_json_get(to, key);
	json_object	*f = berth_json_get(from, key);

	if (f == NULL || !json_object_is_type(f, json_type_object) ||
	    t == NULL || !json_object_is_type(t, json_type_object))
		return;
	json_object_object_foreach(f, k, v)
		if (overwrite || !json_object_object_get_ex(t, k, NULL))
			json_object_object_add(t, k, json_object_get(v));
}

static int
env_has(json_object *env, const char *kv)
{
	const char	*s;
	size_t		 i, n = strcspn(kv, "=");

	for (i = 0; i < json_object_array_length(env); i++) {
		s = json_object_get_string(json_object_array_get_idx(env, i));
		if (s != NULL && strncmp(s, kv, n) == 0 &&
		    (s[n] == '=' || s[n] == '\0'))
			return 1;
	}
	return 0;
}

/* daemon/commit.go's merge: what the user's Config lacks, from the
 * container's. */
static void
config_merge(json_object *u, json_object *c)
{
	json_object	*env, *cenv, *v, *hc, *chc;
	size_t		 i;

	if (empty(u, "User"))
		take(u, "User", c);
	if (empty(u, "ExposedPorts"))
		take(u, "ExposedPorts", c);
	else
		merge_keys(u, "ExposedPorts", c, 0);
	env = berth_json_get(u, "Env");
	cenv = berth_json_get(c, "Env");
	if (empty(u, "Env") || !json_object_is_type(env, json_type_array))
		take(u, "Env", c);
	else if (cenv != NULL && json_object_is_type(cenv, json_type_array))
		for (i = 0; i < json_object_array_length(cenv); i++) {
			v = json_object_array_get_idx(cenv, i);
			if (json_object_get_string(v) != NULL &&
			    !env_has(env, json_object_get_string(v)))
				json_object_array_add(env, json_object_get(v));
		}
	if (!json_object_is_type(berth_json_get(u, "Labels"),
	    json_type_object))
		json_object_object_add(u, "Labels", json_object_new_object());
	merge_keys(u, "Labels", c, 0);
	if (empty(u, "Entrypoint")) {
		if (empty(u, "Cmd"))
			take(u, "Cmd", c);
		if (berth_json_get(u, "Entrypoint") == NULL)
			take(u, "Entrypoint", c);
	}
	if ((chc = berth_json_get(c, "Healthcheck")) != NULL) {
		if ((hc = berth_json_get(u, "Healthcheck")) == NULL)
			take(u, "Healthcheck", c);
		else {
			static const char *const keys[] = { "Test", "Interval",
			    "Timeout", "StartPeriod", "Retries" };

			for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
				if (empty(hc, keys[i]))
					take(hc, keys[i], chc);
		}
	}
	if (empty(u, "WorkingDir"))
		take(u, "WorkingDir", c);
	if (empty(u, "Volumes"))
		take(u, "Volumes", c);
	else
		merge_keys(u, "Volumes", c, 1);
	if (empty(u, "StopSignal") && berth_json_get(c, "StopSignal") != NULL)
		take(u, "StopSignal", c);
}

static json_object *
copy(json_object *o)
{
	json_object	*out = NULL;

	if (o == NULL || json_object_deep_copy(o, &out, NULL) < 0)
		return NULL;
	return out;
}

/* History's created_by: the container's Cmd joined with spaces. */
static json_object *
created_by(json_object *cc)
{
	json_object	*cmd = berth_json_get(cc, "Cmd");
	char		*s = NULL, *grown;
	const char	*w;
	size_t		 i, len = 0, n;
	json_object	*out;

	if (cmd == NULL || !json_object_is_type(cmd, json_type_array) ||
	    json_object_array_length(cmd) == 0)
		return NULL;
	for (i = 0; i < json_object_array_length(cmd); i++) {
		w = json_object_get_string(json_object_array_get_idx(cmd, i));
		n = w ? strlen(w) : 0;
		if ((grown = realloc(s, len + n + 2)) == NULL) {
			free(s);
			return NULL;
		}
		s = grown;
		len += (size_t)sprintf(s + len, "%s%s", i ? " " : "",
		    w ? w : "");
	}
	out = json_object_new_string(s);
	free(s);
	return out;
}

/*
 * NewChildImage, marshalled as Docker does (through a map: keys sorted;
 * empty optional fields left out).
 */
static json_object *
child_config(struct rw_job *j, int empty_layer)
{
	json_object	*o, *p = j->parent_config, *hist, *h, *rootfs, *ids;
	json_object	*v, *by;
	char		 id[IMAGES_ID_LEN + 1];
	size_t		 i;

	o = json_object_new_object();
	v = berth_json_get(p, "architecture");
	json_object_object_add(o, "architecture", v ? json_object_get(v) :
	    json_object_new_string(j->st->arch));
	if (j->author != NULL && *j->author != '\0')
		json_object_object_add(o, "author",
		    json_object_new_string(j->author));
	/* No top-level comment: NewChildImage puts it in the history. */
	json_object_object_add(o, "config", images_config_canonical(j->config));
	json_object_object_add(o, "container", json_object_new_string(j->owner));
	json_object_object_add(o, "container_config",
	    images_config_canonical(j->container_config));
	json_object_object_add(o, "created", json_object_new_string(j->created));
	hist = json_object_new_array();
	v = berth_json_get(p, "history");
	for (i = 0; v != NULL && json_object_is_type(v, json_type_array) &&
	    i < json_object_array_length(v); i++)
		json_object_array_add(hist,
		    json_object_get(json_object_array_get_idx(v, i)));
	h = json_object_new_object();
	json_object_object_add(h, "created", json_object_new_string(j->created));
	if (j->author != NULL && *j->author != '\0')
		json_object_object_add(h, "author",
		    json_object_new_string(j->author));
	if ((by = created_by(j->container_config)) != NULL)
		json_object_object_add(h, "created_by", by);
	if (j->comment != NULL && *j->comment != '\0')
		json_object_object_add(h, "comment",
		    json_object_new_string(j->comment));
	if (empty_layer)
		json_object_object_add(h, "empty_layer",
		    json_object_new_boolean(1));
	json_object_array_add(hist, h);
	json_object_object_add(o, "history", hist);
	v = berth_json_get(p, "os");
	json_object_object_add(o, "os", v ? json_object_get(v) :
	    json_object_new_string("linux"));
	if ((v = berth_json_get(p, "os.features")) != NULL)
		json_object_object_add(o, "os.features", json_object_get(v));
	if ((v = berth_json_get(p, "os.version")) != NULL)
		json_object_object_add(o, "os.version", json_object_get(v));
	rootfs = json_object_new_object();
	json_object_object_add(rootfs, "type", json_object_new_string("layers"));
	ids = json_object_new_array();
	/* The lowers are the parent's layers, top first. */
	for (i = j->npins; i > 0; i--) {
		snprintf(id, sizeof(id), "sha256:%s", j->pins[i - 1]->hex);
		json_object_array_add(ids, json_object_new_string(id));
	}
	if (!empty_layer) {
		snprintf(id, sizeof(id), "sha256:%s", j->u.diff_hex);
		json_object_array_add(ids, json_object_new_string(id));
	}
	json_object_object_add(rootfs, "diff_ids", ids);
	json_object_object_add(o, "rootfs", rootfs);
	if ((v = berth_json_get(p, "variant")) != NULL)
		json_object_object_add(o, "variant", json_object_get(v));
	return o;
}

/* --- the commit ----------------------------------------------------------------- */

static void
commit_fail(struct rw_job *j, const struct berth_err *err)
{
	images_discard(j->st, j->tmpdir[0] ? j->tmpdir : NULL);
	j->id_cb(j->arg, err->code, NULL, NULL, err);
	job_free(j);
}

static void
commit_answer(struct rw_job *j)
{
	char	id[IMAGES_ID_LEN + 1];

	snprintf(id, sizeof(id), "sha256:%s", j->hex);
	j->id_cb(j->arg, 0, id, j->has_ref ? j->ref_name : "", NULL);
	job_free(j);
}

static void
tags_saved(void *arg, int rc)
{
	struct rw_job		*j = arg;
	struct berth_err	 err = BERTH_ERR_INIT;

	if (rc < 0) {
		berth_err_set(&err, rc, "the image is in, its name was not "
		    "saved: %s", strerror(-rc));
		j->id_cb(j->arg, rc, NULL, NULL, &err);
		job_free(j);
		return;
	}
	images_event(j->st, "tag", j->hex, j->ref_name, 1);
	commit_answer(j);
}

static void
committed(struct images_commit *c, void *arg)
{
	struct rw_job		*j = arg;
	struct berth_err	 err = BERTH_ERR_INIT;
	char			 prev[IMAGES_HEX + 1];

	if (c->rc < 0) {
		err = c->err;
		images_commit_free(c);
		j->id_cb(j->arg, err.code, NULL, NULL, &err);
		job_free(j);
		return;
	}
	images_commit_free(c);
	if (!j->has_ref) {
		commit_answer(j);
		return;
	}
	if (images_tag_set(j->st, &j->ref, j->hex, prev, &err) < 0) {
		j->id_cb(j->arg, err.code, NULL, NULL, &err);
		job_free(j);
		return;
	}
	images_save_tags(j->st, tags_saved, j);
}

static void
commit_worked(void *arg)
{
	struct rw_job		*j = arg;
	struct images		*st = j->st;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct images_commit	*c;
	json_object		*cfg;
	const char		*bytes;
	char			 path[PATH_MAX];
	int64_t			 sec;
	long			 nsec;
	int			 empty_layer;

	if (st->stopping || j->rc == -ECANCELED) {
		not_run(j);
		commit_fail(j, &j->err);
		return;
	}
	if (j->rc < 0) {
		commit_fail(j, &j->err);
		return;
	}
	/* Nothing changed: no layer, as NewChildImage's IsEmpty. */
	empty_layer = strcmp(j->u.diff_hex, IMAGES_EMPTY_TAR) == 0;
	berth_time_now(&sec, &nsec);
	berth_time_format(sec, nsec, j->created, sizeof(j->created));
	cfg = child_config(j, empty_layer);
	bytes = json_object_to_json_string_ext(cfg, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	images_sha256_hex(bytes, strlen(bytes), j->hex);
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->layers = calloc(1, sizeof(*c->layers))) == NULL ||
	    (c->images = calloc(1, sizeof(*c->images))) == NULL)
		goto oom;
	c->nimages = 1;
	if (!empty_layer) {
		c->nlayers = 1;
		snprintf(c->layers[0].hex, sizeof(c->layers[0].hex), "%s",
		    j->u.diff_hex);
		snprintf(path, sizeof(path), "%s/layer", j->tmpdir);
		c->layers[0].dir = strdup(path);
		snprintf(path, sizeof(path), "%s/blob", j->tmpdir);
		c->layers[0].blob = strdup(path);
		c->layers[0].size = (int64_t)j->u.size;
		c->layers[0].tar_size = (int64_t)j->u.tar_size;
		if (c->layers[0].dir == NULL || c->layers[0].blob == NULL)
			goto oom;
	}
	snprintf(c->images[0].hex, sizeof(c->images[0].hex), "%s", j->hex);
	snprintf(c->images[0].parent, sizeof(c->images[0].parent), "%s",
	    j->parent);
	c->images[0].config = strdup(bytes);
	c->images[0].config_len = strlen(bytes);
	/* Tagging sets LastTagTime, as TagImageWithReference does. */
	if (j->has_ref)
		c->images[0].last_tag = strdup(j->created);
	c->tmpdir = strdup(j->tmpdir);
	if (c->images[0].config == NULL || c->tmpdir == NULL ||
	    (j->has_ref && c->images[0].last_tag == NULL))
		goto oom;
	json_object_put(cfg);
	c->cb = committed;
	c->arg = j;
	images_commit_run(st, c);
	return;
oom:
	json_object_put(cfg);
	images_commit_free(c);
	berth_err_set(&err, -ENOMEM, "out of memory");
	commit_fail(j, &err);
}

/* TagImage's reference: repo, then tag if given. */
static int
commit_ref(struct rw_job *j, const char *repo, const char *tag,
    struct berth_err *err)
{
	int	rc;

	if (repo == NULL || *repo == '\0')
		return 0;
	if ((rc = images_ref_parse(repo, &j->ref, err)) < 0)
		return rc;
	if (tag != NULL && *tag != '\0') {
		j->ref.digest[0] = '\0';	/* TrimNamed */
		j->ref.tag[0] = '\0';
		if ((rc = images_ref_set_tag(&j->ref, tag, err)) < 0)
			return rc;
	} else if (j->ref.digest[0] != '\0')
		return berth_err_set(err, -EINVAL,
		    "refusing to create a tag with a digest reference");
	images_ref_familiar(&j->ref, j->ref_name, sizeof(j->ref_name));
	images_ref_default_tag(&j->ref);
	j->has_ref = 1;
	return 0;
}

/* The Config the image gets: BuildFromConfig, then merge. */
static int
commit_config(struct rw_job *j, const struct berth_image_commit *c, int step,
    struct berth_err *err)
{
	json_object	*base;
	int		 rc;

	if ((j->container_config = copy(c->container_config)) == NULL)
		j->container_config = images_config_new();
	base = c->config != NULL && json_object_is_type(c->config,
	    json_type_object) ? c->config : j->container_config;
	if ((j->config = copy(base)) == NULL)
		j->config = images_config_new();
	/* The body is a ContainerConfigWrapper: only its Config counts. */
	json_object_object_del(j->config, "HostConfig");
	json_object_object_del(j->config, "NetworkingConfig");
	if (step)
		return 0;
	if ((rc = images_changes_apply(j->config, c->changes, c->nchanges,
	    err)) < 0)
		return rc;
	config_merge(j->config, j->container_config);
	return 0;
}

static void	commit_op(void *, const struct berth_image_commit *, int,
		    berth_image_id_cb, void *);

void
images_rw_commit_op(void *state, const struct berth_image_commit *c,
    berth_image_id_cb done, void *arg)
{
	commit_op(state, c, 0, done, arg);
}

/* A builder's step: its Config as given, untagged. */
void
images_rw_commit_step_op(void *state, const struct berth_image_commit *c,
    berth_image_id_cb done, void *arg)
{
	commit_op(state, c, 1, done, arg);
}

static void
commit_op(void *state, const struct berth_image_commit *c, int step,
    berth_image_id_cb done, void *arg)
{
	struct images		*st = state;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct images_owner	*o;
	struct images_image	*img;
	struct rw_job		*j;
	const char		*id = c->image != NULL ? c->image : "";
	int			 rc;

	if (strncmp(id, "sha256:", 7) == 0)
		id += 7;
	o = images_owner_find(st, c->owner);
	if (o != NULL && o->broken) {
		berth_err_set(&err, -EIO, "the rootfs of %s lost a layer of "
		    "its image", c->owner);
		done(arg, err.code, NULL, NULL, &err);
		return;
	}
	if (o != NULL)
		id = o->hex;	/* what the rootfs really stands on */
	if ((img = images_find_id(st, id)) == NULL)
		img = images_find_ghost(st, id);
	if (o == NULL && img == NULL && strcmp(id, BERTH_IMAGE_SCRATCH) != 0) {
		berth_err_set(&err, -ENOENT, "No such image: %s", c->image ?
		    c->image : "");
		done(arg, err.code, NULL, NULL, &err);
		return;
	}
	/* Without either, the image is scratch's: no layers, no parent. */
	j = o != NULL ? job_new(st, c->owner, o, o->lowers, o->nlowers) :
	    img != NULL ? job_new(st, c->owner, NULL, img->layers,
	    img->nlayers) : job_new(st, c->owner, NULL, NULL, 0);
	if (j == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		done(arg, err.code, NULL, NULL, &err);
		return;
	}
	j->commit = 1;
	j->id_cb = done;
	j->arg = arg;
	if (img != NULL) {
		j->parent_config = json_object_get(img->config);
		/* A deleted image (still in use) is no one's parent. */
		if (images_find_id(st, img->hex) != NULL)
			snprintf(j->parent, sizeof(j->parent), "%s", img->hex);
	}
	if ((!step && (rc = commit_ref(j, c->repo, c->tag, &err)) < 0) ||
	    (rc = commit_config(j, c, step, &err)) < 0)
		goto fail;
	if ((c->comment != NULL && (j->comment = strdup(c->comment)) ==
	    NULL) || (c->author != NULL && (j->author = strdup(c->author)) ==
	    NULL) || (j->rbuf = malloc(READSZ)) == NULL) {
		rc = berth_err_set(&err, -ENOMEM, "out of memory");
		goto fail;
	}
	images_tmp_name(st, "commit", j->tmpdir, sizeof(j->tmpdir));
	if (o != NULL)
		rc = images_owner_call(st, c->owner, rw_work, commit_worked, j);
	else
		rc = st->h->work(st->h, rw_work, commit_worked, j);
	if (rc < 0) {
		berth_err_set(&err, rc, "cannot start the commit: %s",
		    strerror(-rc));
		goto fail;
	}
	return;
fail:
	j->tmpdir[0] = '\0';
	job_free(j);
	done(arg, err.code, NULL, NULL, &err);
}
