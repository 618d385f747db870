/*
 * builder_step.c - one build, step by step, as Docker's classic builder
 * runs it and prints it.
 *
 * Every step ends with a new image (the stage's current one) or with an
 * error that ends the build.  Steps that only change the config are
 * committed at once, with no layer; WORKDIR, COPY and ADD write into a
 * root filesystem the images service mounts for the step; RUN runs a
 * real container of the containers service, attached so its output is
 * streamed, then committed.  Before making anything, a step asks the
 * cache for an image made from the same parent with the same container
 * config.
 *
 * The job owns everything it holds: the request until its final call,
 * the temporary directory, the step's container and rootfs owners (all
 * removed at the end, whatever happened).
 */
#include <sys/socket.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <berth/fs.h>
#include <berth/id.h>
#include <berth/json.h>

#include "builder.h"

#define DOCKERFILE_MAX	(4u << 20)

struct bld_stage {
	char		*name;		/* AS name, lower case; or NULL */
	char		 image[BERTH_IMAGE_ID_LEN + 1];
	json_object	*config;	/* the run config, owned */
	json_object	*args;		/* declared ARGs: name -> value|null */
	char		*maintainer;
	int		 cmd_set;
};

struct bld {
	struct builder		*b;
	struct berth_req	*req;
	char			 id[BLD_ID_LEN + 1];
	char			 dir[PATH_MAX];		/* tmp/<id> */
	char			 ctx[PATH_MAX + 16];	/* dir/context */
	/* options */
	char			*dockerfile;
	json_object		*tags;		/* array of strings */
	json_object		*buildargs;	/* name -> string|null */
	json_object		*labels;
	char			*target;
	char			*networkmode;
	int			 nocache, rm, forcerm, quiet, pull;
	char			*registry_config;	/* X-Registry-Config */
	/* the context, as the worker found it */
	int			 pending;	/* body and unpack */
	int			 unpack_rc;
	struct berth_err	 unpack_err;
	char			*dftext;
	size_t			 dflen;
	char			*igtext;
	/* the Dockerfile */
	struct bld_file		 file;
	struct bld_ignore	 ignore;
	json_object		*meta;		/* ARGs before the first FROM */
	json_object		*used;		/* build args consumed */
	struct bld_stage	*stages;
	size_t			 nstages;
	struct bld_stage	*cur;
	size_t			 pc, last;	/* next; one past the target's */
	int			 step, nsteps;
	struct bld_instr	*triggers;	/* ONBUILD triggers to run */
	size_t			 ntriggers, ttrig;
	/* the step in flight */
	struct bld_instr	*in;
	json_object		*probe;		/* its container config */
	char			 key[65];
	char			 ctr[BLD_ID_LEN + 1];	/* RUN's container */
	char			 owner[BLD_ID_LEN + 1];	/* a rootfs of ours */
	char			 src_owner[BLD_ID_LEN + 1];
	char			 src_root[PATH_MAX];
	char			 rootfs[PATH_MAX];
	char			*workdir;	/* WORKDIR's, to make */
	struct bld_copy		 copy;
	int			 out_fd;
	struct berth_watch	*out_w;
	unsigned char		 fbuf[8];	/* a frame header */
	size_t			 fhave;
	uint32_t		 fleft;
	int			 exit_code;
	int			 run_done, out_done;
	char			*run_cmd;	/* for the failure message */
	/* a FROM's pull in flight: its progress pipe, its end */
	int			 pull_fd;
	struct berth_watch	*pull_w;
	char			*pull_buf;
	size_t			 pull_len;
	int			 pull_done, pull_eof, pull_rc, pulled;
	struct berth_err	 pull_err;
	/* the response */
	int			 started, gone, ended;
	int			 ntag;
	char			 final[BERTH_IMAGE_ID_LEN + 1];
};

static void	next_step(struct bld *);
static void	fail(struct bld *, int code, const struct berth_err *);
static void	fail_msg(struct bld *, int rc, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));

/* --- output ---------------------------------------------------------------- */

static void
emit(struct bld *j, json_object *msg)
{
	const char	*s;
	char		*line;
	size_t		 n;

	if (j->gone || j->ended) {
		json_object_put(msg);
		return;
	}
	if (!j->started) {
		j->b->h->resp_start(j->req, 200, "application/json");
		j->started = 1;
	}
	s = json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN);
	/* One message, one chunk: docker-py decodes chunk by chunk. */
	n = strlen(s);
	if ((line = malloc(n + 2)) != NULL) {
		memcpy(line, s, n);
		memcpy(line + n, "\r\n", 2);
		(void)j->b->h->resp_write(j->req, line, n + 2);
		free(line);
	}
	json_object_put(msg);
}

static void
stream_raw(struct bld *j, const char *s, size_t n, int always)
{
	json_object	*o;

	if (j->quiet && !always)
		return;
	o = json_object_new_object();
	json_object_object_add(o, "stream", json_object_new_string_len(s,
	    (int)n));
	emit(j, o);
}

static void
out(struct bld *j, const char *fmt, ...)
{
	char	buf[8192];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	stream_raw(j, buf, (size_t)n < sizeof(buf) ? (size_t)n :
	    sizeof(buf) - 1, 0);
}

static const char *
short_id(const char *id)
{
	static char	s[13];

	if (strncmp(id, "sha256:", 7) == 0)
		id += 7;
	else if (strcmp(id, BERTH_IMAGE_SCRATCH) == 0)
		id = "";	/* dockerd prints " ---> " and nothing */
	snprintf(s, sizeof(s), "%.12s", id);
	return s;
}

/* --- the end ------------------------------------------------------------------ */

static void
stage_free(struct bld_stage *s)
{
	free(s->name);
	json_object_put(s->config);
	json_object_put(s->args);
	free(s->maintainer);
}

struct rm_job {
	struct builder	*b;
	char		 dir[PATH_MAX];
};

static void
rm_work(void *arg)
{
	struct rm_job	*r = arg;

	(void)berth_rmtree_at(AT_FDCWD, r->dir);
}

static void
rm_done(void *arg)
{
	struct rm_job	*r = arg;

	r->b->nbuilds--;
	free(r);
}

static void
ignore_done(void *arg, int rc, const struct berth_err *err)
{
	(void)arg;
	(void)rc;
	(void)err;
}

static void
out_close(struct bld *j)
{
	if (j->out_w != NULL) {
		j->b->h->fd_unwatch(j->b->h, j->out_w);
		j->out_w = NULL;
	}
	if (j->out_fd >= 0) {
		close(j->out_fd);
		j->out_fd = -1;
	}
}

static void
copy_clear(struct bld_copy *c)
{
	size_t	i;

	free(c->src_root);
	free(c->dst_root);
	for (i = 0; i < c->nsrcs; i++)
		free(c->srcs[i]);
	free(c->srcs);
	free(c->dest);
	free(c->chown);
	memset(c, 0, sizeof(*c));
}

/* Let go of what the step in flight holds. */
static void
step_clear(struct bld *j)
{
	struct builder	*b = j->b;

	out_close(j);
	if (j->owner[0] != '\0')
		b->img->rootfs_remove(b->img_st, j->owner, ignore_done, NULL);
	if (j->src_owner[0] != '\0')
		b->img->rootfs_remove(b->img_st, j->src_owner, ignore_done,
		    NULL);
	j->owner[0] = j->src_owner[0] = '\0';
	json_object_put(j->probe);
	j->probe = NULL;
	free(j->workdir);
	j->workdir = NULL;
	free(j->run_cmd);
	j->run_cmd = NULL;
	copy_clear(&j->copy);
	j->run_done = j->out_done = 0;
	j->fhave = 0;
	j->fleft = 0;
}

static void
job_free(struct bld *j)
{
	struct builder	*b = j->b;
	struct rm_job	*r;
	size_t		 i;

	step_clear(j);
	/* The request's one final call, whatever happened. */
	if (!j->ended) {
		if (j->started)
			b->h->resp_end(j->req);
		else {
			struct berth_err e = BERTH_ERR_INIT;

			berth_err_set(&e, -ECANCELED, "the build was "
			    "cancelled");
			b->h->resp_error(j->req, &e);
		}
		j->ended = 1;
	}
	for (i = 0; i < j->nstages; i++)
		stage_free(&j->stages[i]);
	free(j->stages);
	for (i = 0; i < j->ntriggers; i++)
		bld_instr_free(&j->triggers[i]);
	free(j->triggers);
	bld_file_free(&j->file);
	bld_ignore_free(&j->ignore);
	json_object_put(j->meta);
	json_object_put(j->used);
	json_object_put(j->tags);
	json_object_put(j->buildargs);
	json_object_put(j->labels);
	free(j->dockerfile);
	free(j->target);
	free(j->networkmode);
	free(j->dftext);
	free(j->igtext);
	free(j->registry_config);
	free(j->pull_buf);
	if (j->pull_w != NULL)
		b->h->fd_unwatch(b->h, j->pull_w);
	if (j->pull_fd >= 0)
		close(j->pull_fd);
	/* The directory goes in a worker; nbuilds counts it till then. */
	if (j->dir[0] != '\0' && (r = calloc(1, sizeof(*r))) != NULL) {
		r->b = b;
		snprintf(r->dir, sizeof(r->dir), "%s", j->dir);
		if (b->h->work(b->h, rm_work, rm_done, r) == 0) {
			free(j);
			return;
		}
		free(r);
	}
	b->nbuilds--;
	free(j);
}

static void
fail(struct bld *j, int code, const struct berth_err *err)
{
	json_object	*o, *d;
	struct berth_err e = BERTH_ERR_INIT;

	if (err == NULL) {
		berth_err_set(&e, -EIO, "the build failed");
		err = &e;
	}
	if (!j->started && !j->gone) {
		/* Nothing said yet: a plain HTTP error, as dockerd. */
		j->b->h->resp_error(j->req, err);
		j->ended = 1;
	} else {
		o = json_object_new_object();
		d = json_object_new_object();
		if (code > 0)
			json_object_object_add(d, "code",
			    json_object_new_int(code));
		json_object_object_add(d, "message",
		    json_object_new_string(err->msg));
		json_object_object_add(o, "errorDetail", d);
		json_object_object_add(o, "error",
		    json_object_new_string(err->msg));
		emit(j, o);
	}
	job_free(j);
}

static void
fail_msg(struct bld *j, int rc, const char *fmt, ...)
{
	struct berth_err	err = BERTH_ERR_INIT;
	va_list			ap;

	va_start(ap, fmt);
	berth_err_vset(&err, rc, fmt, ap);
	va_end(ap);
	fail(j, 0, &err);
}

static void
tagged(void *arg, int rc, const struct berth_err *err)
{
	struct bld	*j = arg;
	const char	*t;
	char		 name[1024];

	if (rc < 0) {
		fail(j, 0, err);
		return;
	}
	t = json_object_get_string(json_object_array_get_idx(j->tags,
	    (size_t)j->ntag));
	/* As Docker prints it: the familiar name with its tag. */
	snprintf(name, sizeof(name), "%s%s", t, strchr(strrchr(t, '/') ?
	    strrchr(t, '/') : t, ':') != NULL ? "" : ":latest");
	out(j, "Successfully tagged %s\n", name);
	j->ntag++;
	if ((size_t)j->ntag < json_object_array_length(j->tags)) {
		t = json_object_get_string(json_object_array_get_idx(j->tags,
		    (size_t)j->ntag));
		j->b->img->tag(j->b->img_st, j->final, t, tagged, j);
		return;
	}
	if (j->quiet)
		stream_raw(j, j->final, strlen(j->final), 1),
		stream_raw(j, "\n", 1, 1);
	job_free(j);
}

static int
predefined_arg(const char *k)
{
	static const char *const names[] = { "HTTP_PROXY", "http_proxy",
	    "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy",
	    "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", NULL };
	size_t	i;

	for (i = 0; names[i] != NULL; i++)
		if (strcmp(names[i], k) == 0)
			return 1;
	return 0;
}

static void
finish(struct bld *j)
{
	json_object	*o, *aux;
	char		 unused[1024];
	size_t		 n = 0;

	if (j->cur == NULL || strcmp(j->cur->image, BERTH_IMAGE_SCRATCH) ==
	    0) {
		fail_msg(j, -EINVAL, "No image was generated. Is your "
		    "Dockerfile empty?");
		return;
	}
	snprintf(j->final, sizeof(j->final), "%s", j->cur->image);
	unused[0] = '\0';
	json_object_object_foreach(j->buildargs, k, v) {
		(void)v;
		if (json_object_object_get_ex(j->used, k, NULL) ||
		    predefined_arg(k))
			continue;
		n += (size_t)snprintf(unused + n, n < sizeof(unused) ?
		    sizeof(unused) - n : 0, "%s%s", n ? " " : "", k);
	}
	if (unused[0] != '\0')
		out(j, "[Warning] One or more build-args [%s] were not "
		    "consumed\n", unused);
	o = json_object_new_object();
	aux = json_object_new_object();
	json_object_object_add(aux, "ID", json_object_new_string(j->final));
	json_object_object_add(o, "aux", aux);
	emit(j, o);
	out(j, "Successfully built %s\n", short_id(j->final));
	if (json_object_array_length(j->tags) > 0) {
		j->b->img->tag(j->b->img_st, j->final, json_object_get_string(
		    json_object_array_get_idx(j->tags, 0)), tagged, j);
		return;
	}
	if (j->quiet) {
		stream_raw(j, j->final, strlen(j->final), 1);
		stream_raw(j, "\n", 1, 1);
	}
	job_free(j);
}

/* --- environment and config ---------------------------------------------------- */

/* The config every step starts from: the base image's (a copy). */
json_object *
bld_config_new(json_object *image)
{
	json_object	*c = NULL, *v = berth_json_get(image, "config");

	if (v == NULL || json_object_deep_copy(v, &c, NULL) < 0 || c == NULL)
		c = json_object_new_object();
	if (berth_json_get(c, "Env") == NULL)
		json_object_object_add(c, "Env", json_object_new_array());
	return c;
}

/* The declared ARGs with values, as "K=V", not overridden by ENV. */
static json_object *
arg_env(struct bld *j, int with_predefined)
{
	json_object	*a = json_object_new_array(), *env;
	const char	*s;
	char		*kv;

	env = berth_json_get(j->cur->config, "Env");
	json_object_object_foreach(j->cur->args, k, v) {
		if (v == NULL || bld_env_get(env, k, strlen(k)) != NULL)
			continue;
		s = json_object_get_string(v);
		if ((kv = malloc(strlen(k) + strlen(s) + 2)) == NULL)
			continue;
		sprintf(kv, "%s=%s", k, s);
		json_object_array_add(a, json_object_new_string(kv));
		free(kv);
	}
	if (with_predefined) {
		json_object_object_foreach(j->buildargs, pk, pv) {
			if (!predefined_arg(pk) || pv == NULL ||
			    json_object_object_get_ex(j->cur->args, pk, NULL))
				continue;
			s = json_object_get_string(pv);
			if ((kv = malloc(strlen(pk) + strlen(s) + 2)) == NULL)
				continue;
			sprintf(kv, "%s=%s", pk, s);
			json_object_array_add(a, json_object_new_string(kv));
			free(kv);
		}
	}
	return a;
}

/* What words expand against: ENV first, then the ARGs. */
static json_object *
expand_env(struct bld *j)
{
	json_object	*e = json_object_new_array(), *env, *args;
	size_t		 i;

	if (j->cur == NULL) {
		json_object_object_foreach(j->meta, k, v) {
			char buf[4096];

			if (v == NULL)
				continue;
			snprintf(buf, sizeof(buf), "%s=%s", k,
			    json_object_get_string(v));
			json_object_array_add(e, json_object_new_string(buf));
		}
		return e;
	}
	env = berth_json_get(j->cur->config, "Env");
	for (i = 0; env != NULL && i < json_object_array_length(env); i++)
		json_object_array_add(e, json_object_get(
		    json_object_array_get_idx(env, i)));
	args = arg_env(j, 0);
	for (i = 0; i < json_object_array_length(args); i++)
		json_object_array_add(e, json_object_get(
		    json_object_array_get_idx(args, i)));
	json_object_put(args);
	return e;
}

static int
expand_words(struct bld *j, const char *s, char ***words,
    struct berth_err *err)
{
	json_object	*env = expand_env(j);
	int		 rc;

	rc = bld_expand(s, j->file.escape, env, words, NULL, err);
	json_object_put(env);
	return rc;
}

static int
expand_one(struct bld *j, const char *s, char **one, struct berth_err *err)
{
	json_object	*env = expand_env(j);
	int		 rc;

	rc = bld_expand(s, j->file.escape, env, NULL, one, err);
	json_object_put(env);
	return rc;
}

static json_object *
strv(char **v, size_t n)
{
	json_object	*a = json_object_new_array();
	size_t		 i;

	for (i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

/* The stage's SHELL, or Docker's default. */
static json_object *
shell_of(struct bld *j)
{
	json_object	*sh = berth_json_get(j->cur->config, "Shell");
	json_object	*a;

	if (sh != NULL && json_object_is_type(sh, json_type_array) &&
	    json_object_array_length(sh) > 0)
		return json_object_get(sh);
	a = json_object_new_array();
	json_object_array_add(a, json_object_new_string("/bin/sh"));
	json_object_array_add(a, json_object_new_string("-c"));
	return a;
}

/* A config with Cmd = SHELL + ["#(nop) " comment], as withCmdComment. */
static json_object *
comment_config(struct bld *j, const char *comment)
{
	json_object	*c = NULL, *cmd;
	char		*s;

	json_object_deep_copy(j->cur->config, &c, NULL);
	cmd = shell_of(j);
	if ((s = malloc(strlen(comment) + 8)) != NULL) {
		sprintf(s, "#(nop) %s", comment);
		json_object_array_add(cmd, json_object_new_string(s));
		free(s);
	}
	json_object_object_add(c, "Cmd", cmd);
	return c;
}

/* --- commits and the cache ---------------------------------------------------- */

static void
step_done(struct bld *j, const char *id, int cached)
{
	if (cached)
		out(j, " ---> Using cache\n");
	snprintf(j->cur->image, sizeof(j->cur->image), "%s", id);
	out(j, " ---> %s\n", short_id(id));
	step_clear(j);
	next_step(j);
}

/* Served from the cache?  Then the step is done (1). */
static int
probe(struct bld *j)
{
	char	id[BERTH_IMAGE_ID_LEN + 1];

	bld_cache_key(j->cur->image, j->probe, j->key);
	if (j->nocache || bld_cache_get(j->b, j->key, id) < 0)
		return 0;
	step_done(j, id, 1);
	return 1;
}

static void
committed(void *arg, int rc, const char *id, const char *ref,
    const struct berth_err *err)
{
	struct bld	*j = arg;
	char		 copy[BERTH_IMAGE_ID_LEN + 1];

	(void)ref;
	if (rc < 0) {
		fail(j, 0, err);
		return;
	}
	snprintf(copy, sizeof(copy), "%s", id);
	bld_cache_put(j->b, j->key, copy);
	if (j->ctr[0] != '\0') {
		/* RUN's container: gone before the new image is told. */
		if (j->rm || j->forcerm) {
			out(j, "Removing intermediate container %.12s\n",
			    j->ctr);
			j->b->ctr->remove(j->b->ctr_st, j->ctr, ignore_done,
			    NULL);
		}
		j->ctr[0] = '\0';
	}
	step_done(j, copy, 0);
}

/* Commit owner's changes (none: a config-only step) as the step's image. */
static void
commit(struct bld *j, const char *owner)
{
	struct berth_image_commit	 c;
	char				 fresh[BLD_ID_LEN + 1];

	if (owner == NULL) {
		if (berth_id_new(fresh) < 0) {
			fail_msg(j, -EIO, "cannot draw an ID");
			return;
		}
		owner = fresh;
	}
	memset(&c, 0, sizeof(c));
	c.owner = owner;
	c.image = j->cur->image;
	c.container_config = j->probe;
	c.config = j->cur->config;
	c.author = j->cur->maintainer;
	j->b->img->commit_step(j->b->img_st, &c, committed, j);
}

/* A step that changes the config only. */
static void
config_step(struct bld *j, const char *comment)
{
	j->probe = comment_config(j, comment);
	if (probe(j))
		return;
	commit(j, NULL);
}

/* --- rootfs steps: WORKDIR, COPY, ADD ------------------------------------------ */

static void
rootfs_unmounted(void *arg, int rc, const struct berth_err *err)
{
	struct bld	*j = arg;

	if (rc < 0) {
		fail(j, 0, err);
		return;
	}
	commit(j, j->owner);
}

static void
copy_worked(void *arg)
{
	struct bld	*j = arg;

	if (j->copy.rc < 0) {
		fail(j, 0, &j->copy.err);
		return;
	}
	j->b->img->rootfs_unmount(j->b->img_st, j->owner, rootfs_unmounted, j);
}

static void
copy_work(void *arg)
{
	struct bld	*j = arg;

	if (j->workdir != NULL)
		j->copy.rc = bld_mkdir_workdir(j->rootfs, j->workdir,
		    &j->copy.err);
	else
		bld_copy_run(&j->copy);
}

static void
rootfs_mounted(void *arg, int rc, const char *path, const struct berth_err *err)
{
	struct bld	*j = arg;

	if (rc < 0) {
		fail(j, 0, err);
		return;
	}
	snprintf(j->rootfs, sizeof(j->rootfs), "%s", path);
	free(j->copy.dst_root);
	if ((j->copy.dst_root = strdup(path)) == NULL ||
	    j->b->h->work(j->b->h, copy_work, copy_worked, j) < 0)
		fail_msg(j, -ENOMEM, "out of memory");
}

/* Make the step's rootfs and write into it. */
static void
rootfs_step(struct bld *j)
{
	if (berth_id_new(j->owner) < 0) {
		fail_msg(j, -EIO, "cannot draw an ID");
		return;
	}
	j->b->img->rootfs_mount(j->b->img_st, j->cur->image, j->owner,
	    rootfs_mounted, j);
}

static void
hashed(void *arg)
{
	struct bld	*j = arg;
	char		 comment[PATH_MAX + 128];

	if (j->copy.rc < 0) {
		fail(j, 0, &j->copy.err);
		return;
	}
	snprintf(comment, sizeof(comment), "%s %s in %s ", j->copy.add ?
	    "ADD" : "COPY", j->copy.hash, j->copy.dest);
	j->probe = comment_config(j, comment);
	if (probe(j))
		return;
	rootfs_step(j);
}

static void
hash_work(void *arg)
{
	struct bld	*j = arg;

	bld_copy_hash(&j->copy);
}

static void
copy_hash(struct bld *j)
{
	if (j->b->h->work(j->b->h, hash_work, hashed, j) < 0)
		fail_msg(j, -ENOMEM, "cannot start the copy");
}

static void
src_mounted(void *arg, int rc, const char *path, const struct berth_err *err)
{
	struct bld	*j = arg;

	if (rc < 0) {
		fail(j, 0, err);
		return;
	}
	free(j->copy.src_root);
	if ((j->copy.src_root = strdup(path)) == NULL) {
		fail_msg(j, -ENOMEM, "out of memory");
		return;
	}
	copy_hash(j);
}

/* Absolute and clean: WORKDIR's rule for a relative path. */
static char *
abs_path(struct bld *j, const char *p, int keep_slash)
{
	const char	*wd = berth_json_str(j->cur->config, "WorkingDir");
	char		*s, *o, *seg, *save;
	char		 buf[PATH_MAX * 2];
	size_t		 n;
	int		 slash = keep_slash && *p != '\0' &&
			    (p[strlen(p) - 1] == '/' ||
			    strcmp(p + (strlen(p) >= 2 ? strlen(p) - 2 : 0),
			    "/.") == 0 || strcmp(p, ".") == 0);

	if (*p == '/')
		snprintf(buf, sizeof(buf), "%s", p);
	else
		snprintf(buf, sizeof(buf), "%s/%s", wd != NULL && *wd ? wd :
		    "", p);
	if ((o = malloc(strlen(buf) + 3)) == NULL)
		return NULL;
	o[0] = '\0';
	n = 0;
	s = buf;
	for (seg = strtok_r(s, "/", &save); seg != NULL;
	    seg = strtok_r(NULL, "/", &save)) {
		if (strcmp(seg, ".") == 0)
			continue;
		if (strcmp(seg, "..") == 0) {
			while (n > 0 && o[n - 1] != '/')
				n--;
			if (n > 0)
				n--;
			o[n] = '\0';
			continue;
		}
		n += (size_t)sprintf(o + n, "/%s", seg);
	}
	if (n == 0)
		strcpy(o, "/");
	else if (slash)
		strcat(o, "/");
	return o;
}

/* --- RUN ------------------------------------------------------------------------ */

static void run_settle(struct bld *);

static void
out_readable(int fd, int events, void *arg)
{
	struct bld	*j = arg;
	char		 buf[16384];
	ssize_t		 n;
	size_t		 off = 0, take;

	(void)events;
	n = read(fd, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		out_close(j);
		j->out_done = 1;
		run_settle(j);
		return;
	}
	while (off < (size_t)n) {
		if (j->fleft == 0) {
			take = 8 - j->fhave;
			if (take > (size_t)n - off)
				take = (size_t)n - off;
			memcpy(j->fbuf + j->fhave, buf + off, take);
			j->fhave += take;
			off += take;
			if (j->fhave < 8)
				break;
			j->fhave = 0;
			j->fleft = (uint32_t)j->fbuf[4] << 24 |
			    (uint32_t)j->fbuf[5] << 16 |
			    (uint32_t)j->fbuf[6] << 8 | j->fbuf[7];
			continue;
		}
		take = j->fleft;
		if (take > (size_t)n - off)
			take = (size_t)n - off;
		stream_raw(j, buf + off, take, 0);
		j->fleft -= (uint32_t)take;
		off += take;
	}
}

static void
run_exited(void *arg, int rc, int code, const struct berth_err *err)
{
	struct bld	*j = arg;

	if (rc < 0) {
		out_close(j);
		fail(j, 0, err);
		return;
	}
	j->exit_code = code;
	j->run_done = 1;
	run_settle(j);
}

/* Both the exit and the end of the output are in: commit or fail. */
static void
run_settle(struct bld *j)
{
	struct berth_err	err = BERTH_ERR_INIT;

	if (!j->run_done || !j->out_done)
		return;
	if (j->gone) {
		fail_msg(j, -ECANCELED, "the client went away");
		return;
	}
	if (j->exit_code != 0) {
		berth_err_set(&err, -EIO, "The command '%s' returned a "
		    "non-zero code: %d", j->run_cmd, j->exit_code);
		if (j->forcerm) {
			out(j, "Removing intermediate container %.12s\n",
			    j->ctr);
			j->b->ctr->remove(j->b->ctr_st, j->ctr, ignore_done,
			    NULL);
		}
		j->ctr[0] = '\0';
		fail(j, j->exit_code, &err);
		return;
	}
	commit(j, j->ctr);
}

static void
run_started(void *arg, int rc, const struct berth_err *err)
{
	struct bld	*j = arg;

	if (rc < 0) {
		out_close(j);
		if (j->forcerm || j->rm)
			j->b->ctr->remove(j->b->ctr_st, j->ctr, ignore_done,
			    NULL);
		j->ctr[0] = '\0';
		fail(j, 0, err);
		return;
	}
	j->b->ctr->wait(j->b->ctr_st, j->ctr, run_exited, j);
}

static void
run_created(void *arg, int rc, const char *id, const struct berth_err *err)
{
	struct bld		*j = arg;
	struct berth_err	 e = BERTH_ERR_INIT;
	int			 sv[2];

	if (rc < 0) {
		fail(j, 0, err);
		return;
	}
	snprintf(j->ctr, sizeof(j->ctr), "%s", id);
	out(j, " ---> Running in %.12s\n", id);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		fail_msg(j, -errno, "socketpair: %s", strerror(errno));
		return;
	}
	(void)fcntl(sv[0], F_SETFL, O_NONBLOCK);
	j->out_fd = sv[0];
	if (j->b->ctr->attach(j->b->ctr_st, id, sv[1],
	    BERTH_CONTAINER_STDOUT | BERTH_CONTAINER_STDERR, &e) < 0) {
		fail(j, 0, &e);
		return;
	}
	if ((j->out_w = j->b->h->fd_watch(j->b->h, j->out_fd, BERTH_FD_READ,
	    out_readable, j)) == NULL) {
		fail_msg(j, -ENOMEM, "cannot watch the step's output");
		return;
	}
	j->b->ctr->start(j->b->ctr_st, id, run_started, j);
}

static char *
join(json_object *a)
{
	char	*s = NULL, *grown;
	size_t	 len = 0, i, n;
	const char *w;

	for (i = 0; i < json_object_array_length(a); i++) {
		w = json_object_get_string(json_object_array_get_idx(a, i));
		n = strlen(w);
		if ((grown = realloc(s, len + n + 2)) == NULL) {
			free(s);
			return NULL;
		}
		s = grown;
		len += (size_t)sprintf(s + len, "%s%s", i ? " " : "", w);
	}
	return s != NULL ? s : strdup("");
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
do_run(struct bld *j, struct bld_instr *in)
{
	json_object	*cmd, *save, *args, *body = NULL, *hc, *env, *hcheck, *ep;
	const char	**sorted;
	size_t		 i, n;
	char		 pre[32];

	if (in->json != NULL)
		cmd = strv(in->json, in->njson);
	else {
		cmd = shell_of(j);
		json_object_array_add(cmd, json_object_new_string(in->rest));
	}
	/* The cache sees the build args a command ran with: "|N k=v". */
	args = arg_env(j, 0);
	save = json_object_new_array();
	n = json_object_array_length(args);
	if (n > 0 && (sorted = calloc(n, sizeof(*sorted))) != NULL) {
		for (i = 0; i < n; i++)
			sorted[i] = json_object_get_string(
			    json_object_array_get_idx(args, i));
		qsort(sorted, n, sizeof(*sorted), cmp_str);
		snprintf(pre, sizeof(pre), "|%zu", n);
		json_object_array_add(save, json_object_new_string(pre));
		for (i = 0; i < n; i++)
			json_object_array_add(save,
			    json_object_new_string(sorted[i]));
		free(sorted);
	}
	for (i = 0; i < json_object_array_length(cmd); i++)
		json_object_array_add(save, json_object_get(
		    json_object_array_get_idx(cmd, i)));
	json_object_put(args);
	json_object_deep_copy(j->cur->config, &j->probe, NULL);
	json_object_object_add(j->probe, "Cmd", save);
	json_object_object_add(j->probe, "Entrypoint", NULL);
	j->run_cmd = join(cmd);
	if (probe(j)) {
		json_object_put(cmd);
		return;
	}
	/* The container: the run config, the command, the args in Env. */
	json_object_deep_copy(j->cur->config, &body, NULL);
	json_object_object_add(body, "Cmd", cmd);
	ep = json_object_new_array();
	json_object_array_add(ep, json_object_new_string(""));
	json_object_object_add(body, "Entrypoint", ep);
	env = NULL;
	json_object_deep_copy(berth_json_get(j->cur->config, "Env"), &env,
	    NULL);
	if (env == NULL)
		env = json_object_new_array();
	args = arg_env(j, 1);
	for (i = 0; i < json_object_array_length(args); i++)
		json_object_array_add(env, json_object_get(
		    json_object_array_get_idx(args, i)));
	json_object_put(args);
	json_object_object_add(body, "Env", env);
	json_object_object_add(body, "Image",
	    json_object_new_string(j->cur->image));
	hcheck = json_object_new_object();
	ep = json_object_new_array();
	json_object_array_add(ep, json_object_new_string("NONE"));
	json_object_object_add(hcheck, "Test", ep);
	json_object_object_add(body, "Healthcheck", hcheck);
	json_object_object_add(body, "AttachStdout",
	    json_object_new_boolean(1));
	json_object_object_add(body, "AttachStderr",
	    json_object_new_boolean(1));
	hc = json_object_new_object();
	json_object_object_add(hc, "NetworkMode", json_object_new_string(
	    j->networkmode != NULL ? j->networkmode : "default"));
	json_object_object_add(body, "HostConfig", hc);
	j->b->ctr->create(j->b->ctr_st, body, NULL, run_created, j);
	json_object_put(body);
}

/* --- COPY and ADD ------------------------------------------------------------ */

static struct bld_stage *
stage_named(struct bld *j, const char *name)
{
	size_t	i;
	char	*end;
	long	 idx;

	for (i = 0; i < j->nstages; i++)
		if (&j->stages[i] != j->cur && j->stages[i].name != NULL &&
		    strcasecmp(j->stages[i].name, name) == 0)
			return &j->stages[i];
	idx = strtol(name, &end, 10);
	if (*name != '\0' && *end == '\0' && idx >= 0 &&
	    (size_t)idx < j->nstages && &j->stages[idx] != j->cur)
		return &j->stages[idx];
	return NULL;
}

static void
do_copy(struct bld *j, struct bld_instr *in, int add)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	struct bld_copy		*c = &j->copy;
	struct bld_stage	*st;
	const char		*from = bld_flag(in, "from");
	const char		*chown = bld_flag(in, "chown");
	char			**words = NULL, *d;
	char			 id[BERTH_IMAGE_ID_LEN + 1];
	size_t			 n, i;

	if (in->json != NULL) {
		/* The exec form's words are still expanded, one by one. */
		words = calloc(in->njson + 1, sizeof(*words));
		for (i = 0; words != NULL && i < in->njson; i++)
			if (expand_one(j, in->json[i], &words[i], &err) < 0) {
				bld_words_free(words);
				fail(j, 0, &err);
				return;
			}
	} else if (expand_words(j, in->rest, &words, &err) < 0) {
		fail(j, 0, &err);
		return;
	}
	for (n = 0; words != NULL && words[n] != NULL; n++)
		;
	if (n < 2) {
		bld_words_free(words);
		fail_msg(j, -EINVAL, "%s requires at least two arguments, but "
		    "only %zu provided", add ? "ADD" : "COPY", n);
		return;
	}
	for (i = 0; add && i + 1 < n; i++)
		if (strncmp(words[i], "http://", 7) == 0 ||
		    strncmp(words[i], "https://", 8) == 0) {
			bld_words_free(words);
			fail_msg(j, -ENOTSUP, "ADD from a URL is not supported "
			    "by berth's builder: download it in a RUN step");
			return;
		}
	c->add = add;
	c->nsrcs = n - 1;
	c->srcs = words;
	d = words[n - 1];
	words[n - 1] = NULL;
	c->dest = abs_path(j, d, 1);
	c->dest_is_dir = c->nsrcs > 1 || (c->dest != NULL &&
	    c->dest[strlen(c->dest) - 1] == '/');
	free(d);
	if (c->dest == NULL) {
		fail_msg(j, -ENOMEM, "out of memory");
		return;
	}
	if (chown != NULL && expand_one(j, chown, &c->chown, &err) < 0) {
		fail(j, 0, &err);
		return;
	}
	if (from == NULL) {
		c->src_root = strdup(j->ctx);
		c->ignore = &j->ignore;
		copy_hash(j);
		return;
	}
	/* --from: a stage by name or index, else an image. */
	if ((st = stage_named(j, from)) != NULL)
		snprintf(id, sizeof(id), "%s", st->image);
	else if (j->b->img->resolve(j->b->img_st, from, id, NULL, &err) < 0) {
		fail(j, 0, &err);
		return;
	}
	if (berth_id_new(j->src_owner) < 0) {
		fail_msg(j, -EIO, "cannot draw an ID");
		return;
	}
	j->b->img->rootfs_mount(j->b->img_st, id, j->src_owner, src_mounted,
	    j);
}

/* --- config instructions ---------------------------------------------------- */

/* "k=v" pairs (ENV, LABEL, ARG), or the legacy "k v" form. */
static int
pairs(struct bld *j, struct bld_instr *in, json_object **out,
    struct berth_err *err)
{
	char	**w = NULL, *eq, *v = NULL;
	const char *p;
	size_t	 i, kn;
	json_object *a = json_object_new_array();
	int	 rc;

	*out = a;
	if ((rc = expand_words(j, in->rest, &w, err)) < 0)
		return rc;
	if (w[0] != NULL && strchr(w[0], '=') == NULL &&
	    strcmp(in->cmd, "arg") != 0) {
		/* ENV k v w: the rest of the line after k is the value. */
		p = in->rest;
		while (isspace((unsigned char)*p))
			p++;
		while (*p != '\0' && !isspace((unsigned char)*p))
			p++;
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0') {
			bld_words_free(w);
			return berth_err_set(err, -EINVAL, "%s must have two "
			    "arguments", strcmp(in->cmd, "env") == 0 ? "ENV" :
			    "LABEL");
		}
		if ((rc = expand_one(j, p, &v, err)) < 0) {
			bld_words_free(w);
			return rc;
		}
		json_object_array_add(a, json_object_new_string(w[0]));
		json_object_array_add(a, json_object_new_string(v));
		free(v);
		bld_words_free(w);
		return 0;
	}
	for (i = 0; w[i] != NULL; i++) {
		eq = strchr(w[i], '=');
		kn = eq != NULL ? (size_t)(eq - w[i]) : strlen(w[i]);
		if (kn == 0) {
			bld_words_free(w);
			return berth_err_set(err, -EINVAL, "%s names can not "
			    "be blank", strcmp(in->cmd, "label") == 0 ?
			    "LABEL" : strcmp(in->cmd, "arg") == 0 ? "ARG" :
			    "ENV");
		}
		if (eq == NULL && strcmp(in->cmd, "arg") != 0) {
			bld_words_free(w);
			return berth_err_set(err, -EINVAL, "Syntax error - "
			    "can't find = in \"%s\". Must be of the form: "
			    "name=value", w[i]);
		}
		json_object_array_add(a, json_object_new_string_len(w[i],
		    (int)kn));
		json_object_array_add(a, eq != NULL ?
		    json_object_new_string(eq + 1) : NULL);
	}
	bld_words_free(w);
	return 0;
}

static int
valid_signal(const char *s)
{
	static const char *const names[] = { "HUP", "INT", "QUIT", "ILL",
	    "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2",
	    "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP",
	    "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ", "VTALRM", "PROF",
	    "WINCH", "IO", "PWR", "SYS", "RTMIN", "RTMAX", NULL };
	size_t	i;
	char	*end;
	long	 n;

	n = strtol(s, &end, 10);
	if (*s != '\0' && *end == '\0')
		return n > 0 && n < 65;
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (i = 0; names[i] != NULL; i++)
		if (strcasecmp(s, names[i]) == 0)
			return 1;
	return 0;
}

/* Go's time.ParseDuration for the forms HEALTHCHECK takes; -1 if bad. */
static int64_t
duration(const char *s)
{
	double		 v;
	char		*end;
	int64_t		 total = 0;

	if (strcmp(s, "0") == 0)
		return 0;
	while (*s != '\0') {
		v = strtod(s, &end);
		if (end == s)
			return -1;
		s = end;
		if (strncmp(s, "ms", 2) == 0) {
			total += (int64_t)(v * 1e6);
			s += 2;
		} else if (strncmp(s, "us", 2) == 0) {
			total += (int64_t)(v * 1e3);
			s += 2;
		} else if (strncmp(s, "ns", 2) == 0) {
			total += (int64_t)v;
			s += 2;
		} else if (*s == 's') {
			total += (int64_t)(v * 1e9);
			s++;
		} else if (*s == 'm') {
			total += (int64_t)(v * 60e9);
			s++;
		} else if (*s == 'h') {
			total += (int64_t)(v * 3600e9);
			s++;
		} else
			return -1;
	}
	return total;
}

static void
do_healthcheck(struct bld *j, struct bld_instr *in)
{
	static const char *const flags[] = { "interval", "timeout",
	    "start-period" };
	static const char *const keys[] = { "Interval", "Timeout",
	    "StartPeriod" };
	json_object		*hc, *test;
	struct bld_instr	 sub;
	struct berth_err	 err = BERTH_ERR_INIT;
	const char		*v;
	char			*comment;
	int64_t			 d;
	size_t			 i;

	hc = json_object_new_object();
	if (strcasecmp(in->rest, "NONE") == 0) {
		test = json_object_new_array();
		json_object_array_add(test, json_object_new_string("NONE"));
		json_object_object_add(hc, "Test", test);
	} else {
		if (strncasecmp(in->rest, "CMD", 3) != 0 ||
		    !isspace((unsigned char)in->rest[3])) {
			json_object_put(hc);
			fail_msg(j, -EINVAL, "Unknown type \"%.16s\" in "
			    "HEALTHCHECK (try CMD)", in->rest);
			return;
		}
		if (bld_parse_line(in->rest, in->line, j->file.escape, &sub,
		    &err) < 0) {
			json_object_put(hc);
			fail(j, 0, &err);
			return;
		}
		test = json_object_new_array();
		if (sub.json != NULL) {
			json_object_array_add(test,
			    json_object_new_string("CMD"));
			for (i = 0; i < sub.njson; i++)
				json_object_array_add(test,
				    json_object_new_string(sub.json[i]));
		} else {
			json_object_array_add(test,
			    json_object_new_string("CMD-SHELL"));
			json_object_array_add(test,
			    json_object_new_string(sub.rest));
		}
		bld_instr_free(&sub);
		json_object_object_add(hc, "Test", test);
		for (i = 0; i < 3; i++) {
			if ((v = bld_flag(in, flags[i])) == NULL)
				continue;
			if ((d = duration(v)) < 0 || (d > 0 && d < 1000000)) {
				json_object_put(hc);
				fail_msg(j, -EINVAL, "Interval \"%s\" cannot "
				    "be less than 1ms", flags[i]);
				return;
			}
			json_object_object_add(hc, keys[i],
			    json_object_new_int64(d));
		}
		if ((v = bld_flag(in, "retries")) != NULL) {
			if (atoi(v) < 0) {
				json_object_put(hc);
				fail_msg(j, -EINVAL, "--retries cannot be "
				    "negative (%s)", v);
				return;
			}
			json_object_object_add(hc, "Retries",
			    json_object_new_int(atoi(v)));
		}
	}
	json_object_object_add(j->cur->config, "Healthcheck", hc);
	comment = bld_json_canonical(hc);
	{
		char buf[8192];

		snprintf(buf, sizeof(buf), "HEALTHCHECK %s", comment ?
		    comment : "");
		free(comment);
		config_step(j, buf);
	}
}

/* CMD and ENTRYPOINT: exec form, or shell form under SHELL. */
static json_object *
command_of(struct bld *j, struct bld_instr *in)
{
	json_object	*a;

	if (in->json != NULL)
		return strv(in->json, in->njson);
	if (in->rest[0] == '\0')
		return NULL;
	a = shell_of(j);
	json_object_array_add(a, json_object_new_string(in->rest));
	return a;
}

static void
config_cmd_step(struct bld *j, const char *what, json_object *v)
{
	char	*s = bld_json_canonical(v);
	char	 buf[8192];

	snprintf(buf, sizeof(buf), "%s %s", what, s != NULL ? s : "[]");
	free(s);
	config_step(j, buf);
}

static void
do_config(struct bld *j, struct bld_instr *in)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	json_object		*kv = NULL, *o, *v;
	char			 buf[8192], *one = NULL, **w = NULL;
	const char		*k;
	size_t			 i, n = 0;

	if (strcmp(in->cmd, "env") == 0 || strcmp(in->cmd, "label") == 0) {
		int env = strcmp(in->cmd, "env") == 0;

		if (pairs(j, in, &kv, &err) < 0) {
			json_object_put(kv);
			fail(j, 0, &err);
			return;
		}
		n = (size_t)snprintf(buf, sizeof(buf), "%s", env ? "ENV" :
		    "LABEL");
		o = berth_json_get(j->cur->config, env ? "Env" : "Labels");
		if (!env && (o == NULL || !json_object_is_type(o,
		    json_type_object))) {
			o = json_object_new_object();
			json_object_object_add(j->cur->config, "Labels", o);
		}
		for (i = 0; i + 1 < json_object_array_length(kv); i += 2) {
			k = json_object_get_string(json_object_array_get_idx(
			    kv, i));
			v = json_object_array_get_idx(kv, i + 1);
			if (env)
				bld_env_set(o, k, json_object_get_string(v));
			else
				json_object_object_add(o, k,
				    json_object_get(v));
			if (n < sizeof(buf))
				n += (size_t)snprintf(buf + n, sizeof(buf) - n,
				    " %s=%s", k, json_object_get_string(v));
		}
		json_object_put(kv);
		config_step(j, buf);
		return;
	}
	if (strcmp(in->cmd, "arg") == 0) {
		if (pairs(j, in, &kv, &err) < 0) {
			json_object_put(kv);
			fail(j, 0, &err);
			return;
		}
		n = (size_t)snprintf(buf, sizeof(buf), "ARG");
		for (i = 0; i + 1 < json_object_array_length(kv); i += 2) {
			k = json_object_get_string(json_object_array_get_idx(
			    kv, i));
			v = json_object_array_get_idx(kv, i + 1);
			json_object_object_add(j->used, k, NULL);
			/* A build arg wins; then the default; then the
			 * value of the meta ARG of that name. */
			if (json_object_object_get_ex(j->buildargs, k, &o) &&
			    o != NULL)
				v = o;
			else if (v == NULL && j->cur != NULL)
				v = berth_json_get(j->meta, k);
			json_object_object_add(j->cur != NULL ? j->cur->args :
			    j->meta, k, json_object_get(v));
			if (n < sizeof(buf))
				n += (size_t)snprintf(buf + n, sizeof(buf) - n,
				    " %s%s%s", k, json_object_array_get_idx(kv,
				    i + 1) ? "=" : "", json_object_array_get_idx(
				    kv, i + 1) ? json_object_get_string(
				    json_object_array_get_idx(kv, i + 1)) : "");
		}
		json_object_put(kv);
		if (j->cur == NULL) {
			next_step(j);	/* a meta ARG commits nothing */
			return;
		}
		config_step(j, buf);
		return;
	}
	if (strcmp(in->cmd, "maintainer") == 0) {
		free(j->cur->maintainer);
		j->cur->maintainer = strdup(in->rest);
		snprintf(buf, sizeof(buf), "MAINTAINER %s", in->rest);
		config_step(j, buf);
		return;
	}
	if (strcmp(in->cmd, "user") == 0 || strcmp(in->cmd, "stopsignal") ==
	    0) {
		int user = in->cmd[0] == 'u';

		if (expand_one(j, in->rest, &one, &err) < 0) {
			fail(j, 0, &err);
			return;
		}
		if (!user && !valid_signal(one)) {
			fail_msg(j, -EINVAL, "Invalid signal: %s", one);
			free(one);
			return;
		}
		json_object_object_add(j->cur->config, user ? "User" :
		    "StopSignal", json_object_new_string(one));
		snprintf(buf, sizeof(buf), "%s %s", user ? "USER" :
		    "STOPSIGNAL", one);
		free(one);
		config_step(j, buf);
		return;
	}
	if (strcmp(in->cmd, "expose") == 0 || strcmp(in->cmd, "volume") == 0) {
		int expose = in->cmd[0] == 'e';
		const char *key = expose ? "ExposedPorts" : "Volumes";

		if (in->json != NULL) {
			w = calloc(in->njson + 1, sizeof(*w));
			for (i = 0; w != NULL && i < in->njson; i++)
				if (expand_one(j, in->json[i], &w[i],
				    &err) < 0) {
					bld_words_free(w);
					fail(j, 0, &err);
					return;
				}
		} else if (expand_words(j, in->rest, &w, &err) < 0) {
			fail(j, 0, &err);
			return;
		}
		o = berth_json_get(j->cur->config, key);
		if (o == NULL || !json_object_is_type(o, json_type_object)) {
			o = json_object_new_object();
			json_object_object_add(j->cur->config, key, o);
		}
		n = (size_t)snprintf(buf, sizeof(buf), "%s", expose ?
		    "EXPOSE" : "VOLUME [");
		for (i = 0; w != NULL && w[i] != NULL; i++) {
			char	port[64];

			if (!expose && w[i][0] == '\0') {
				bld_words_free(w);
				fail_msg(j, -EINVAL, "VOLUME specified can not "
				    "be an empty string");
				return;
			}
			if (expose) {
				if (strspn(w[i], "0123456789-/tcpudsp") !=
				    strlen(w[i]) || !isdigit((unsigned char)
				    w[i][0])) {
					fail_msg(j, -EINVAL, "Invalid "
					    "containerPort: %s", w[i]);
					bld_words_free(w);
					return;
				}
				snprintf(port, sizeof(port), "%s%s", w[i],
				    strchr(w[i], '/') ? "" : "/tcp");
			}
			json_object_object_add(o, expose ? port : w[i],
			    json_object_new_object());
			if (n < sizeof(buf))
				n += (size_t)snprintf(buf + n, sizeof(buf) - n,
				    "%s%s", expose || i > 0 ? " " : "",
				    expose ? port : w[i]);
		}
		if (!expose && n < sizeof(buf))
			snprintf(buf + n, sizeof(buf) - n, "]");
		bld_words_free(w);
		config_step(j, buf);
		return;
	}
	if (strcmp(in->cmd, "cmd") == 0) {
		v = command_of(j, in);
		json_object_object_add(j->cur->config, "Cmd", v);
		j->cur->cmd_set = 1;
		config_cmd_step(j, "CMD", v);
		return;
	}
	if (strcmp(in->cmd, "entrypoint") == 0) {
		v = command_of(j, in);
		json_object_object_add(j->cur->config, "Entrypoint", v);
		/* A new entrypoint drops an inherited CMD. */
		if (!j->cur->cmd_set)
			json_object_object_add(j->cur->config, "Cmd", NULL);
		config_cmd_step(j, "ENTRYPOINT", v);
		return;
	}
	if (strcmp(in->cmd, "shell") == 0) {
		v = strv(in->json, in->njson);
		json_object_object_add(j->cur->config, "Shell", v);
		config_cmd_step(j, "SHELL", v);
		return;
	}
	if (strcmp(in->cmd, "onbuild") == 0) {
		char	kw[16];

		snprintf(kw, sizeof(kw), "%.*s", (int)strcspn(in->rest,
		    " \t"), in->rest);
		if (strcasecmp(kw, "ONBUILD") == 0 || strcasecmp(kw, "FROM") ==
		    0 || strcasecmp(kw, "MAINTAINER") == 0) {
			for (i = 0; kw[i] != '\0'; i++)
				kw[i] = (char)toupper((unsigned char)kw[i]);
			fail_msg(j, -EINVAL, "%s isn't allowed as an ONBUILD "
			    "trigger", kw);
			return;
		}
		o = berth_json_get(j->cur->config, "OnBuild");
		if (o == NULL || !json_object_is_type(o, json_type_array)) {
			o = json_object_new_array();
			json_object_object_add(j->cur->config, "OnBuild", o);
		}
		json_object_array_add(o, json_object_new_string(in->rest));
		snprintf(buf, sizeof(buf), "ONBUILD %s", in->rest);
		config_step(j, buf);
		return;
	}
	if (strcmp(in->cmd, "healthcheck") == 0) {
		do_healthcheck(j, in);
		return;
	}
	fail_msg(j, -EINVAL, "unknown instruction: %s", in->cmd);
}

static void
do_workdir(struct bld *j, struct bld_instr *in)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	char			*one = NULL, buf[PATH_MAX + 16];

	if (expand_one(j, in->rest, &one, &err) < 0) {
		fail(j, 0, &err);
		return;
	}
	j->workdir = abs_path(j, one, 0);
	free(one);
	if (j->workdir == NULL) {
		fail_msg(j, -ENOMEM, "out of memory");
		return;
	}
	json_object_object_add(j->cur->config, "WorkingDir",
	    json_object_new_string(j->workdir));
	snprintf(buf, sizeof(buf), "WORKDIR %s", j->workdir);
	j->probe = comment_config(j, buf);
	if (probe(j))
		return;
	rootfs_step(j);
}

/* --- FROM and the loop ------------------------------------------------------ */

static void	do_from(struct bld *, struct bld_instr *);

/* The pull's progress and its end are both in: FROM again, or fail. */
static void
pull_settle(struct bld *j)
{
	if (!j->pull_done || !j->pull_eof)
		return;
	if (j->pull_rc < 0) {
		fail(j, 0, &j->pull_err);
		return;
	}
	j->pulled = 1;
	do_from(j, j->in);
}

/* Docker's pull messages, passed on as they come (errors come by done). */
static void
pull_line(struct bld *j, const char *line, size_t n)
{
	json_object	*o;

	if (n == 0 || j->quiet || (o = json_tokener_parse(line)) == NULL)
		return;
	if (!json_object_is_type(o, json_type_object) ||
	    json_object_object_get_ex(o, "error", NULL) ||
	    json_object_object_get_ex(o, "errorDetail", NULL)) {
		json_object_put(o);
		return;
	}
	emit(j, o);
}

static void
pull_readable(int fd, int events, void *arg)
{
	struct bld	*j = arg;
	char		 buf[16384], *nl, *grown;
	ssize_t		 n;
	size_t		 off;

	(void)events;
	n = read(fd, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0 && (grown = realloc(j->pull_buf, j->pull_len + (size_t)n +
	    1)) != NULL) {
		j->pull_buf = grown;
		memcpy(j->pull_buf + j->pull_len, buf, (size_t)n);
		j->pull_len += (size_t)n;
		j->pull_buf[j->pull_len] = '\0';
		off = 0;
		while ((nl = memchr(j->pull_buf + off, '\n', j->pull_len -
		    off)) != NULL) {
			*nl = '\0';
			pull_line(j, j->pull_buf + off, (size_t)(nl -
			    (j->pull_buf + off)));
			off = (size_t)(nl - j->pull_buf) + 1;
		}
		memmove(j->pull_buf, j->pull_buf + off, j->pull_len - off);
		j->pull_len -= off;
		return;
	}
	j->b->h->fd_unwatch(j->b->h, j->pull_w);
	j->pull_w = NULL;
	close(j->pull_fd);
	j->pull_fd = -1;
	j->pull_eof = 1;
	pull_settle(j);
}

static void
pulled(void *arg, int rc, const struct berth_err *err)
{
	struct bld	*j = arg;

	j->pull_done = 1;
	j->pull_rc = rc;
	if (rc < 0 && err != NULL)
		j->pull_err = *err;
	else if (rc < 0)
		berth_err_set(&j->pull_err, rc, "the pull failed");
	pull_settle(j);
}

/* FROM of an image not here (or with --pull): the images service pulls. */
static void
pull_base(struct bld *j, const char *ref)
{
	int	p[2];

	if (pipe2(p, O_CLOEXEC) == -1) {
		fail_msg(j, -errno, "pipe: %s", strerror(errno));
		return;
	}
	(void)fcntl(p[0], F_SETFL, O_NONBLOCK);
	j->pull_fd = p[0];
	j->pull_done = j->pull_eof = 0;
	j->pull_len = 0;
	if ((j->pull_w = j->b->h->fd_watch(j->b->h, p[0], BERTH_FD_READ,
	    pull_readable, j)) == NULL) {
		close(p[1]);
		fail_msg(j, -ENOMEM, "cannot watch the pull");
		return;
	}
	j->b->img->pull(j->b->img_st, ref, j->registry_config, p[1], pulled, j);
}

static void
do_from(struct bld *j, struct bld_instr *in)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	struct bld_stage	*st, *base = NULL, *grown;
	json_object		*image = NULL, *ob;
	char			**w = NULL, *name = NULL;
	char			 id[BERTH_IMAGE_ID_LEN + 1];
	size_t			 i, n;

	j->cur = NULL;		/* FROM expands with the meta ARGs only */
	if (expand_words(j, in->rest, &w, &err) < 0) {
		fail(j, 0, &err);
		return;
	}
	for (n = 0; w[n] != NULL; n++)
		;
	if (n == 3 && strcasecmp(w[1], "AS") == 0) {
		name = w[2];
		for (i = 0; name[i] != '\0'; i++)
			name[i] = (char)tolower((unsigned char)name[i]);
		if (!isalpha((unsigned char)name[0]) || strspn(name,
		    "abcdefghijklmnopqrstuvwxyz0123456789_.-") !=
		    strlen(name)) {
			fail_msg(j, -EINVAL, "invalid name for build stage: "
			    "\"%s\", name can't start with a number or "
			    "contain symbols", name);
			bld_words_free(w);
			return;
		}
	} else if (n != 1) {
		bld_words_free(w);
		fail_msg(j, -EINVAL, "FROM requires either one or three "
		    "arguments");
		return;
	}
	for (i = 0; i < j->nstages; i++)
		if (j->stages[i].name != NULL &&
		    strcasecmp(j->stages[i].name, w[0]) == 0)
			base = &j->stages[i];
	if (base != NULL)
		snprintf(id, sizeof(id), "%s", base->image);
	else if (strcasecmp(w[0], "scratch") == 0)
		snprintf(id, sizeof(id), "%s", BERTH_IMAGE_SCRATCH);
	else if ((j->pull && !j->pulled && BERTH_IMAGE_HAS(j->b->img,
	    pull)) || j->b->img->resolve(j->b->img_st, w[0], id, &image,
	    &err) < 0) {
		/* Not here (or --pull): pulled, as dockerd does, once. */
		if ((err.code == -ENOENT || err.code == 0) && !j->pulled &&
		    BERTH_IMAGE_HAS(j->b->img, pull)) {
			pull_base(j, w[0]);
			bld_words_free(w);
			return;
		}
		bld_words_free(w);
		fail(j, 0, &err);
		return;
	}
	if ((grown = realloc(j->stages, (j->nstages + 1) *
	    sizeof(*grown))) == NULL) {
		bld_words_free(w);
		json_object_put(image);
		fail_msg(j, -ENOMEM, "out of memory");
		return;
	}
	j->stages = grown;
	st = &j->stages[j->nstages++];
	memset(st, 0, sizeof(*st));
	st->name = name != NULL ? strdup(name) : NULL;
	snprintf(st->image, sizeof(st->image), "%s", id);
	if (base != NULL)
		json_object_deep_copy(base->config, &st->config, NULL);
	else
		st->config = bld_config_new(image);
	st->args = json_object_new_object();
	/* As dockerd: a PATH for images that set none (scratch's). */
	if (bld_env_get(berth_json_get(st->config, "Env"), "PATH", 4) == NULL)
		bld_env_set(berth_json_get(st->config, "Env"), "PATH",
		    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
		    "/sbin:/bin");
	json_object_put(image);
	bld_words_free(w);
	j->cur = st;
	/* ONBUILD triggers of the base run first, then are forgotten. */
	ob = berth_json_get(st->config, "OnBuild");
	n = ob != NULL && json_object_is_type(ob, json_type_array) ?
	    json_object_array_length(ob) : 0;
	if (n > 0) {
		out(j, " ---> %s\n", short_id(id));
		out(j, "Executing %zu build trigger%s\n", n, n > 1 ? "s" : "");
		if ((j->triggers = calloc(n, sizeof(*j->triggers))) == NULL) {
			fail_msg(j, -ENOMEM, "out of memory");
			return;
		}
		for (i = 0; i < n; i++) {
			if (bld_parse_line(json_object_get_string(
			    json_object_array_get_idx(ob, i)), in->line,
			    j->file.escape, &j->triggers[i], &err) < 0) {
				j->ntriggers = i;
				fail(j, 0, &err);
				return;
			}
			j->ntriggers = i + 1;
		}
		j->ttrig = 0;
		json_object_object_add(st->config, "OnBuild", NULL);
		next_step(j);
		return;
	}
	step_done(j, id, 0);
}

static void
dispatch(struct bld *j, struct bld_instr *in)
{
	j->in = in;
	if (strcmp(in->cmd, "from") == 0)
		do_from(j, in);
	else if (j->cur == NULL && strcmp(in->cmd, "arg") != 0)
		fail_msg(j, -EINVAL, "Please provide a source image with "
		    "`from` prior to commit");
	else if (strcmp(in->cmd, "run") == 0)
		do_run(j, in);
	else if (strcmp(in->cmd, "copy") == 0)
		do_copy(j, in, 0);
	else if (strcmp(in->cmd, "add") == 0)
		do_copy(j, in, 1);
	else if (strcmp(in->cmd, "workdir") == 0)
		do_workdir(j, in);
	else
		do_config(j, in);
}

static void
next_step(struct bld *j)
{
	struct bld_instr	*in;

	if (j->gone) {
		fail_msg(j, -ECANCELED, "the client went away");
		return;
	}
	if (j->ttrig < j->ntriggers) {
		in = &j->triggers[j->ttrig++];
		out(j, "Step %d/%d : %s\n", j->step, j->nsteps, in->original);
		dispatch(j, in);
		return;
	}
	if (j->pc >= j->last) {
		finish(j);
		return;
	}
	in = &j->file.v[j->pc++];
	j->step++;
	out(j, "Step %d/%d : %s\n", j->step, j->nsteps, in->original);
	dispatch(j, in);
}

/* --- the request --------------------------------------------------------------- */

/* The instructions up to the target's last, the build's labels added. */
static int
plan(struct bld *j, struct berth_err *err)
{
	size_t	 i;
	int	 seen = 0, found = j->target == NULL;

	j->last = j->file.n;
	for (i = 0; i < j->file.n; i++) {
		struct bld_instr *in = &j->file.v[i];

		if (strcmp(in->cmd, "from") != 0)
			continue;
		if (seen && found && j->target != NULL) {
			j->last = i;
			break;
		}
		seen = 1;
		if (j->target != NULL) {
			const char *as = in->rest, *p;

			/* "image AS name": the last word, lower case. */
			p = strrchr(as, ' ');
			if (p != NULL && strcasecmp(p + 1, j->target) == 0)
				found = 1;
		}
	}
	if (!seen)
		return berth_err_set(err, -EINVAL, "No build stage in current "
		    "context");
	if (!found)
		return berth_err_set(err, -EINVAL, "failed to reach build "
		    "target %s in Dockerfile", j->target);
	if (json_object_object_length(j->labels) > 0) {
		/* As dockerd: one LABEL more at the end of the target. */
		char		 *line, *grown;
		size_t		  len = 6;
		struct bld_instr *v;

		if ((line = strdup("LABEL")) == NULL)
			return berth_err_set(err, -ENOMEM, "out of memory");
		json_object_object_foreach(j->labels, k, val) {
			json_object *ks = json_object_new_string(k);
			json_object *vs = json_object_new_string(val ?
			    json_object_get_string(val) : "");
			const char *a = json_object_to_json_string(ks);
			const char *b = json_object_to_json_string(vs);

			if ((grown = realloc(line, len + strlen(a) +
			    strlen(b) + 3)) != NULL) {
				line = grown;
				len += (size_t)sprintf(line + len - 1,
				    " %s=%s", a, b);
			}
			json_object_put(ks);
			json_object_put(vs);
		}
		if ((v = realloc(j->file.v, (j->file.n + 1) *
		    sizeof(*v))) == NULL) {
			free(line);
			return berth_err_set(err, -ENOMEM, "out of memory");
		}
		j->file.v = v;
		memmove(&v[j->last + 1], &v[j->last], (j->file.n - j->last) *
		    sizeof(*v));
		if (bld_parse_line(line, 0, j->file.escape, &v[j->last],
		    err) < 0) {
			memmove(&v[j->last], &v[j->last + 1], (j->file.n -
			    j->last) * sizeof(*v));
			free(line);
			return err->code;
		}
		free(line);
		j->file.n++;
		j->last++;
	}
	j->nsteps = (int)j->last;
	return 0;
}

static void
start(struct bld *j)
{
	struct berth_err	err = BERTH_ERR_INIT;

	if (j->unpack_rc < 0) {
		fail(j, 0, &j->unpack_err);
		return;
	}
	if (bld_parse(j->dftext, j->dflen, &j->file, &err) < 0 ||
	    plan(j, &err) < 0) {
		fail(j, 0, &err);
		return;
	}
	if (j->igtext != NULL && bld_ignore_load(&j->ignore, j->igtext) < 0) {
		fail_msg(j, -ENOMEM, "out of memory");
		return;
	}
	next_step(j);
}

/* Worker: unpack, read the Dockerfile and .dockerignore, filter. */
static void
unpack_work(void *arg)
{
	struct bld		*j = arg;
	struct bld_ignore	 ig;
	char			 path[PATH_MAX * 2];
	int			 fd, tries;
	const char		*names[2];
	ssize_t			 n;
	size_t			 cap = 0;

	fd = j->out_fd;		/* the pipe's read end, for this phase */
	j->out_fd = -1;
	j->unpack_rc = bld_context_unpack(fd, j->ctx, &j->unpack_err);
	close(fd);
	if (j->unpack_rc < 0)
		return;
	names[0] = j->dockerfile;
	names[1] = strcmp(j->dockerfile, "Dockerfile") == 0 ? "dockerfile" :
	    NULL;
	fd = -1;
	for (tries = 0; tries < 2 && fd < 0 && names[tries] != NULL; tries++) {
		if (strstr(names[tries], "..") != NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s", j->ctx, names[tries]);
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0) {
		j->unpack_rc = berth_err_set(&j->unpack_err, -EINVAL,
		    "Cannot locate specified Dockerfile: %s", j->dockerfile);
		return;
	}
	for (;;) {
		if (j->dflen + 65536 + 1 > cap) {
			char *grown;

			cap = (j->dflen + 65536 + 1) * 2;
			if (cap > DOCKERFILE_MAX + 65536 + 1 ||
			    (grown = realloc(j->dftext, cap)) == NULL)
				break;
			j->dftext = grown;
		}
		if ((n = read(fd, j->dftext + j->dflen, 65536)) <= 0)
			break;
		j->dflen += (size_t)n;
		if (j->dflen > DOCKERFILE_MAX) {
			close(fd);
			j->unpack_rc = berth_err_set(&j->unpack_err, -EINVAL,
			    "the Dockerfile is larger than %u bytes",
			    DOCKERFILE_MAX);
			return;
		}
	}
	close(fd);
	if (j->dftext == NULL) {
		j->unpack_rc = berth_err_set(&j->unpack_err, -EINVAL,
		    "the Dockerfile (%s) cannot be empty", j->dockerfile);
		return;
	}
	j->dftext[j->dflen] = '\0';
	snprintf(path, sizeof(path), "%s/.dockerignore", j->ctx);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) >= 0) {
		char buf[256 << 10];

		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			buf[n] = '\0';
			j->igtext = strdup(buf);
			if (j->igtext != NULL && bld_ignore_load(&ig,
			    j->igtext) == 0) {
				(void)bld_context_filter(j->ctx, &ig);
				bld_ignore_free(&ig);
			}
		}
	}
}

static void
phase_done(struct bld *j)
{
	if (--j->pending > 0)
		return;
	start(j);
}

static void
unpack_done(void *arg)
{
	phase_done(arg);
}

static void
body_done(void *arg, int rc)
{
	struct bld	*j = arg;

	if (rc == -ECONNRESET)
		j->gone = 1;
	phase_done(j);
}

static void
client_gone(void *arg)
{
	struct bld	*j = arg;

	j->gone = 1;
	/* A running step is stopped; the loop notices at its end. */
	if (j->ctr[0] != '\0')
		j->b->ctr->remove(j->b->ctr_st, j->ctr, ignore_done, NULL);
}

static int
json_param(struct bld *j, const char *name, json_object **out,
    struct berth_err *err)
{
	const char	*s = j->b->h->req_query(j->req, name, 0);

	*out = NULL;
	if (s == NULL || *s == '\0') {
		*out = json_object_new_object();
		return 0;
	}
	if ((*out = json_tokener_parse(s)) == NULL ||
	    !json_object_is_type(*out, json_type_object)) {
		json_object_put(*out);
		*out = NULL;
		return berth_err_set(err, -EINVAL, "invalid %s: %s", name,
		    "not a JSON object");
	}
	json_object_object_foreach(*out, k, v) {
		(void)k;
		if (v != NULL && !json_object_is_type(v, json_type_string))
			return berth_err_set(err, -EINVAL, "invalid %s: "
			    "values must be strings", name);
	}
	return 0;
}

void
bld_h_build(struct berth_req *req, void *state)
{
	struct builder		*b = state;
	const struct berth_host	*h = b->h;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct bld		*j;
	const char		*s, *t;
	size_t			 i;
	int			 p[2];

	if ((j = calloc(1, sizeof(*j))) == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		h->resp_error(req, &err);
		return;
	}
	b->nbuilds++;
	j->b = b;
	j->req = req;
	j->out_fd = -1;
	j->pull_fd = -1;
	j->used = json_object_new_object();
	j->meta = json_object_new_object();
	j->tags = json_object_new_array();
	s = h->req_query(req, "remote", 0);
	if (s != NULL && *s != '\0') {
		berth_err_set(&err, -ENOTSUP, "remote build contexts are not "
		    "supported by berth's builder: send the context as a tar");
		goto fail;
	}
	if ((s = h->req_query(req, "version", 0)) != NULL && strcmp(s, "2") ==
	    0) {
		berth_err_set(&err, -ENOTSUP, "BuildKit is not supported by "
		    "berthd: build with the classic builder (version=1)");
		goto fail;
	}
	s = h->req_query(req, "dockerfile", 0);
	j->dockerfile = strdup(s != NULL && *s != '\0' ? s : "Dockerfile");
	for (i = 0; (t = h->req_query(req, "t", i)) != NULL; i++) {
		if (*t == '\0')
			continue;
		if (strlen(t) > 255 || strpbrk(t, " \t\n\"'") != NULL) {
			berth_err_set(&err, -EINVAL, "invalid reference "
			    "format: %s", t);
			goto fail;
		}
		json_object_array_add(j->tags, json_object_new_string(t));
	}
	if (json_param(j, "buildargs", &j->buildargs, &err) < 0 ||
	    json_param(j, "labels", &j->labels, &err) < 0)
		goto fail;
	if ((s = h->req_query(req, "target", 0)) != NULL && *s != '\0')
		j->target = strdup(s);
	if ((s = h->req_query(req, "networkmode", 0)) != NULL && *s != '\0')
		j->networkmode = strdup(s);
	j->nocache = h->req_query_bool(req, "nocache");
	s = h->req_query(req, "rm", 0);
	j->rm = s == NULL || h->req_query_bool(req, "rm");
	j->forcerm = h->req_query_bool(req, "forcerm");
	j->quiet = h->req_query_bool(req, "q");
	j->pull = h->req_query_bool(req, "pull");
	if ((s = h->req_header(req, "X-Registry-Config")) != NULL)
		j->registry_config = strdup(s);
	if (berth_id_new(j->id) < 0) {
		berth_err_set(&err, -EIO, "cannot draw an ID");
		goto fail;
	}
	snprintf(j->dir, sizeof(j->dir), "%s/tmp/%s", b->root, j->id);
	snprintf(j->ctx, sizeof(j->ctx), "%s/context", j->dir);
	if (pipe2(p, O_CLOEXEC) == -1) {
		berth_err_set(&err, -errno, "pipe: %s", strerror(errno));
		j->dir[0] = '\0';
		goto fail;
	}
	j->out_fd = p[0];	/* the worker takes it */
	j->pending = 2;
	if (h->work(h, unpack_work, unpack_done, j) < 0) {
		close(p[0]);
		close(p[1]);
		j->out_fd = -1;
		j->dir[0] = '\0';
		berth_err_set(&err, -EAGAIN, "cannot start the build");
		goto fail;
	}
	h->req_on_close(req, client_gone, j);
	h->req_body_to_fd(req, p[1], body_done, j);
	return;
fail:
	h->resp_error(req, &err);
	j->ended = 1;
	job_free(j);
}

void
bld_h_prune(struct berth_req *req, void *state)
{
	struct builder	*b = state;
	json_object	*o;
	int		 n = 0;

	(void)bld_cache_prune(b, &n);
	o = json_object_new_object();
	json_object_object_add(o, "CachesDeleted", json_object_new_array());
	json_object_object_add(o, "SpaceReclaimed", json_object_new_int64(0));
	b->h->resp_json(req, 200, o);
	json_object_put(o);
}
