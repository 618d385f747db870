/*
 * containers_archive.c - `docker cp`: HEAD, GET and PUT
 * /containers/{id}/archive?path=P, on running and stopped containers.
 *
 * HEAD	stat P: the X-Docker-Container-Path-Stat header, base64 of
 *	{"name","size","mode","mtime","linkTarget"} with mode as Go's
 *	os.FileMode (the CLI decodes it); the last part of P is not
 *	followed, and a symlink's linkTarget is where it leads inside the
 *	container.
 * GET	the same header, then a tar of P streamed: a directory's entries
 *	under Base(P) ("dir/..." for /dir, "./..." for /dir/.), a file or
 *	symlink as one entry named Base(P), as Docker's
 *	TarResourceRebaseOpts names them.  Event archive-path.
 * PUT	extract the body (a tar, maybe compressed) into directory P, all
 *	of P followed; noOverwriteDirNonDir, copyUIDGID.  Event
 *	extract-to-dir.
 *
 * The container's filesystem is one root fd (containers_fs.c); every
 * lookup is openat2(RESOLVE_IN_ROOT) from it (containers_tar.c).  The
 * loop does the bookkeeping; stat, tar and untar run in work jobs, the
 * tars as streams (resp_from_fd, req_body_to_fd) so that neither a big
 * copy nor a slow client holds memory or the loop.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <berth/base64.h>
#include <berth/json.h>

#include "containers.h"

enum arch_op {
	ARCH_STAT = 0,
	ARCH_GET,
	ARCH_PUT,
};

struct arch_job {
	struct containers	*cs;
	struct berth_req	*req;
	struct ctr		*c;		/* referenced */
	struct ctr_fs		*fs;
	enum arch_op		 op;
	int			 refs;		/* the job, the answer */
	char			*ref;		/* the container as named */
	char			*path;		/* ?path= as given */
	struct ctr_apath	 ap;
	/* worker results */
	int			 rc;
	struct berth_err	 err;
	int			 dfd;		/* ap.dir, resolved */
	struct stat		 st;
	char			 link[PATH_MAX];
	int			 out;		/* GET: the pipe's writer */
	int			 tries;		/* opens again after a race */
	int			 raced;		/* the filesystem failed */
	/* PUT */
	int			 in;		/* the body's read end */
	int			 pending;	/* the body, the work */
	int			 no_overwrite;
	int			 copy_uidgid;
	int			 ro_rootfs;
	json_object		*mounts;	/* MountPoints copy */
	json_object		*user;		/* {"User": ...} */
};

static void
arch_unref(struct arch_job *j)
{
	if (--j->refs > 0)
		return;
	if (j->fs != NULL)
		containers_fs_close(j->fs);
	if (j->dfd >= 0)
		close(j->dfd);
	if (j->out >= 0)
		close(j->out);
	if (j->in >= 0)
		close(j->in);
	json_object_put(j->mounts);
	json_object_put(j->user);
	if (j->c != NULL)
		ctr_unref(j->c);
	free(j->ref);
	free(j->path);
	free(j);
}

/* Docker's 404 for a path that is not there. */
static int
arch_not_found(struct arch_job *j)
{
	return berth_err_set(&j->err, -ENOENT,
	    "Could not find the file %s in container %s", j->path, j->ref);
}

/* The common preamble: the job, the container, the path.  NULL: answered. */
static struct arch_job *
arch_new(struct berth_req *req, struct containers *cs, enum arch_op op)
{
	const struct berth_host	*h = cs->h;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct arch_job		*j;
	const char		*ref = h->req_param(req, "id");
	const char		*path = h->req_query(req, "path", 0);
	struct ctr		*c;

	if ((j = calloc(1, sizeof(*j))) == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		h->resp_error(req, &err);
		return NULL;
	}
	j->cs = cs;
	j->req = req;
	j->op = op;
	j->refs = 1;
	j->dfd = j->out = j->in = -1;
	if ((c = containers_find(cs, ref, &j->err)) == NULL)
		goto fail;
	j->c = c;
	ctr_ref(c);
	/* Docker's words, missing space and all. */
	if (path == NULL || *path == '\0') {
		berth_err_set(&j->err, -EINVAL,
		    "bad parameter: pathcannot be empty");
		goto fail;
	}
	if ((j->ref = strdup(ref)) == NULL ||
	    (j->path = strdup(path)) == NULL) {
		berth_err_set(&j->err, -ENOMEM, "out of memory");
		goto fail;
	}
	if (containers_apath(path, &j->ap) < 0) {
		berth_err_set(&j->err, -EINVAL, "invalid path: %s", path);
		goto fail;
	}
	if ((j->fs = containers_fs_new(c, 0)) == NULL) {
		berth_err_set(&j->err, -ENOMEM, "out of memory");
		goto fail;
	}
	return j;
fail:
	if (op != ARCH_PUT) {
		h->resp_error(req, &j->err);
		arch_unref(j);
		return NULL;
	}
	return j;	/* PUT: answered once its body is read */
}

/* --- HEAD and GET -------------------------------------------------------- */

/* Worker: resolve ap.dir (followed), lstat ap.base in it. */
static void
stat_work(void *arg)
{
	struct arch_job	*j = arg;
	int		 fd, rc;

	if ((j->rc = containers_fs_enter(j->fs, &j->err)) < 0) {
		j->raced = 1;	/* the filesystem, not the path */
		return;
	}
	j->dfd = berth_open_in_root(j->fs->rootfd, j->ap.dir,
	    O_PATH | O_DIRECTORY, 0);
	if (j->dfd < 0) {
		rc = j->dfd;
		j->dfd = -1;
		j->rc = rc == -ENOENT ? arch_not_found(j) : berth_err_set(
		    &j->err, rc, "lstat %s: %s", j->ap.abs, strerror(-rc));
		return;
	}
	if (fstatat(j->dfd, j->ap.base, &j->st, AT_SYMLINK_NOFOLLOW |
	    (j->ap.base[0] == '\0' ? AT_EMPTY_PATH : 0)) == -1) {
		j->rc = errno == ENOENT ? arch_not_found(j) :
		    berth_err_errno(&j->err, "lstat %s", j->ap.abs);
		return;
	}
	if (!S_ISLNK(j->st.st_mode))
		return;
	/* Where the link leads, followed inside the container. */
	fd = berth_open_in_root(j->fs->rootfd, j->ap.abs, O_PATH, 0);
	if (fd >= 0) {
		rc = containers_root_path(j->fs->rootfd, fd, j->link,
		    sizeof(j->link));
		close(fd);
		if (rc == 0)
			return;
	}
	/* Dangling: its target, read from the dir it is in. */
	{
		char	t[PATH_MAX], joined[2 * PATH_MAX + 2];
		ssize_t	n;

		n = readlinkat(j->dfd, j->ap.base, t, sizeof(t) - 1);
		if (n < 0) {
			j->rc = berth_err_errno(&j->err, "readlink %s",
			    j->ap.abs);
			return;
		}
		t[n] = '\0';
		snprintf(joined, sizeof(joined), "%s%s", t[0] == '/' ? "" :
		    j->ap.dir, t);
		(void)containers_path_clean(joined, j->link, sizeof(j->link));
	}
}

/* Worker (a stream): the tar into the pipe, which then closes. */
static void
get_work(void *arg)
{
	struct arch_job	*j = arg;
	const char	*name = j->ap.name;

	if (S_ISDIR(j->st.st_mode))
		/* Docker's root: "/" becomes "", so only "/x..." entries. */
		j->rc = containers_tar_write(j->dfd, j->ap.base, name,
		    strcmp(name, "/") != 0, j->out, &j->err);
	else
		j->rc = containers_tar_write(j->dfd, j->ap.base, name, 1,
		    j->out, &j->err);
	if (j->rc < 0 && j->rc != -EPIPE)
		j->cs->h->log(j->cs->h, BERTH_LOG_WARN, "container %.12s: "
		    "archive of %s: %s", j->c->id, j->ap.abs, j->err.msg);
	close(j->out);
	j->out = -1;
}

static void
get_worked(void *arg)
{
	struct arch_job	*j = arg;

	containers_stream_end(j->cs);
	arch_unref(j);
}

static void
get_sent(void *arg, int rc)
{
	arch_unref(arg);
}

/* The stat as Docker's types.ContainerPathStat, base64 in a header. */
static int
stat_header(struct arch_job *j)
{
	json_object	*o = json_object_new_object();
	const char	*s;
	char		 t[64], b64[4 * PATH_MAX];
	int64_t		 ns;
	int		 rc;

	ns = (int64_t)j->st.st_mtim.tv_sec * 1000000000LL +
	    j->st.st_mtim.tv_nsec;
	containers_time_fmt(ns, t, sizeof(t));
	json_object_object_add(o, "name", json_object_new_string(j->ap.name));
	json_object_object_add(o, "size",
	    json_object_new_int64((int64_t)j->st.st_size));
	json_object_object_add(o, "mode", json_object_new_int64(
	    (int64_t)containers_go_filemode(j->st.st_mode)));
	json_object_object_add(o, "mtime", json_object_new_string(t));
	json_object_object_add(o, "linkTarget",
	    json_object_new_string(j->link));
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	if ((rc = berth_b64(s, strlen(s), b64, sizeof(b64))) == 0)
		j->cs->h->resp_header(j->req, "X-Docker-Container-Path-Stat",
		    b64);
	json_object_put(o);
	return rc;
}

static void	arch_opened(void *, int, const struct berth_err *);

/*
 * The container started, stopped or went while the copy opened its
 * filesystem (the rootfs unmounted under it, the process gone from
 * /proc): open it again as it is now, a few times; a container that is
 * going is Docker's 404.  1 if it was taken care of.
 */
static int
arch_raced(struct arch_job *j)
{
	if (j->c->removing || j->c->removed) {
		berth_err_set(&j->err, -ENOENT, "No such container: %s",
		    j->ref);
		return 0;
	}
	if (!j->raced || j->tries >= 3)
		return 0;
	j->tries++;
	j->raced = 0;
	containers_fs_close(j->fs);
	if (j->dfd >= 0)
		close(j->dfd);
	j->dfd = -1;
	j->rc = 0;
	if ((j->fs = containers_fs_new(j->c, 0)) == NULL)
		return 0;
	containers_fs_open(j->fs, arch_opened, j);
	return 1;
}

static void
stat_done(void *arg)
{
	struct arch_job		*j = arg;
	const struct berth_host	*h = j->cs->h;
	int			 p[2], rc;

	if (j->rc < 0 && arch_raced(j))
		return;
	if (j->rc == 0 && stat_header(j) < 0)
		j->rc = berth_err_set(&j->err, -ENAMETOOLONG,
		    "the stat of %s is too long", j->path);
	if (j->rc < 0) {
		h->resp_error(j->req, &j->err);
		arch_unref(j);
		return;
	}
	if (j->op == ARCH_STAT) {
		h->resp_status(j->req, 200);
		arch_unref(j);
		return;
	}
	if (pipe2(p, O_CLOEXEC) == -1) {
		berth_err_errno(&j->err, "pipe");
		h->resp_error(j->req, &j->err);
		arch_unref(j);
		return;
	}
	j->out = p[1];
	j->refs++;		/* for the answer, until get_sent */
	if ((rc = containers_stream_start(j->cs, get_work, get_worked,
	    j)) < 0) {
		j->refs--;
		close(p[0]);
		berth_err_set(&j->err, rc, "cannot start the copy: %s",
		    strerror(-rc));
		h->resp_error(j->req, &j->err);
		arch_unref(j);
		return;
	}
	containers_emit(j->c, "archive-path", NULL);
	h->resp_from_fd(j->req, 200, "application/x-tar", p[0], get_sent, j);
}

static void
arch_opened(void *arg, int rc, const struct berth_err *err)
{
	struct arch_job		*j = arg;
	const struct berth_host	*h = j->cs->h;

	if (rc == 0 && (rc = h->work(h, stat_work, stat_done, j)) == 0)
		return;
	if (err != NULL)
		j->err = *err;
	else
		berth_err_set(&j->err, rc, "cannot queue the copy");
	if (j->c->removing || j->c->removed)
		berth_err_set(&j->err, -ENOENT, "No such container: %s",
		    j->ref);
	h->resp_error(j->req, &j->err);
	arch_unref(j);
}

/* HEAD and GET /containers/{id}/archive */
void
containers_h_archive(struct berth_req *req, void *state)
{
	struct containers	*cs = state;
	struct arch_job		*j;

	if ((j = arch_new(req, cs, cs->h->req_method(req) == BERTH_HEAD ?
	    ARCH_STAT : ARCH_GET)) == NULL)
		return;
	containers_fs_open(j->fs, arch_opened, j);
}

/* --- PUT ----------------------------------------------------------------- */

/* The longest mount point holding path (clean, absolute), or NULL. */
static json_object *
put_mount_of(json_object *mounts, const char *path)
{
	json_object	*m, *best = NULL;
	const char	*d;
	size_t		 i, n, bestn = 0;

	for (i = 0; mounts != NULL && i < json_object_array_length(mounts);
	    i++) {
		m = json_object_array_get_idx(mounts, i);
		if ((d = berth_json_str(m, "Destination")) == NULL)
			continue;
		n = strlen(d);
		if (strncmp(path, d, n) == 0 && (path[n] == '\0' ||
		    path[n] == '/' || strcmp(d, "/") == 0) && n > bestn) {
			best = m;
			bestn = n;
		}
	}
	return best;
}

/* Worker (a stream): resolve the destination, check it, extract. */
static void
put_work(void *arg)
{
	struct arch_job		*j = arg;
	struct ctr_untar	 o;
	struct spec_user	 u;
	json_object		*m;
	char			 dest[PATH_MAX], clean[PATH_MAX], root[64];
	int			 fd, rc;

	if ((j->rc = containers_fs_enter(j->fs, &j->err)) < 0)
		goto out;
	/* All of it followed: a symlink to a directory is a directory. */
	(void)containers_path_clean(j->path, clean, sizeof(clean));
	if ((fd = berth_open_in_root(j->fs->rootfd, clean, O_PATH, 0)) < 0) {
		j->rc = fd == -ENOENT ? arch_not_found(j) : berth_err_set(
		    &j->err, fd, "%s: %s", j->path, strerror(-fd));
		goto out;
	}
	if (fstat(fd, &j->st) == -1 || !S_ISDIR(j->st.st_mode)) {
		close(fd);
		j->rc = berth_err_set(&j->err, -EINVAL,
		    "extraction point is not a directory");
		goto out;
	}
	rc = containers_root_path(j->fs->rootfd, fd, dest, sizeof(dest));
	close(fd);
	if (rc < 0) {
		j->rc = berth_err_set(&j->err, rc, "%s: %s", j->path,
		    strerror(-rc));
		goto out;
	}
	/* Docker's checks, on where the path really leads. */
	if ((m = put_mount_of(j->mounts, dest)) != NULL) {
		if (!json_object_get_boolean(berth_json_get(m, "RW"))) {
			j->rc = berth_err_set(&j->err, -EINVAL,
			    "mounted volume is marked read-only");
			goto out;
		}
	} else if (j->ro_rootfs) {
		j->rc = berth_err_set(&j->err, -EINVAL,
		    "container rootfs is marked read-only");
		goto out;
	}
	memset(&o, 0, sizeof(o));
	o.dest = dest;
	o.no_overwrite = j->no_overwrite;
	if (j->copy_uidgid) {
		/* The container's user, looked up in its own files. */
		snprintf(root, sizeof(root), "/proc/self/fd/%d",
		    j->fs->rootfd);
		memset(&u, 0, sizeof(u));
		if ((j->rc = containers_user_resolve(root, NULL, NULL,
		    j->user, &u, &j->err)) < 0)
			goto out;
		o.chown = 1;
		o.uid = u.uid;
		o.gid = u.gid;
	}
	j->rc = containers_untar(j->fs->rootfd, &o, j->in, &j->err);
out:
	/* The rest of the body, if any, is read and dropped. */
	close(j->in);
	j->in = -1;
}

static void
put_finish(struct arch_job *j)
{
	const struct berth_host	*h = j->cs->h;

	if (--j->pending > 0)
		return;
	if (j->rc < 0) {
		h->resp_error(j->req, &j->err);
	} else {
		containers_emit(j->c, "extract-to-dir", NULL);
		h->resp_status(j->req, 200);
	}
	arch_unref(j);
}

static void
put_worked(void *arg)
{
	struct arch_job	*j = arg;

	containers_stream_end(j->cs);
	if (j->rc == -ECANCELED)
		berth_err_set(&j->err, -ECANCELED,
		    "the daemon is shutting down");
	if (j->in >= 0) {
		close(j->in);	/* never ran: the body's writer drops it */
		j->in = -1;
	}
	put_finish(j);
}

static void
put_body_done(void *arg, int rc)
{
	struct arch_job	*j = arg;

	/* The extraction answers for an early end (-EPIPE: it stopped). */
	if (rc < 0 && rc != -EPIPE && j->rc == 0)
		j->rc = berth_err_set(&j->err, rc,
		    "the archive ended early: the client went away");
	put_finish(j);
}

static void
put_opened(void *arg, int rc, const struct berth_err *err)
{
	struct arch_job	*j = arg;

	if (rc == 0) {
		j->rc = -ECANCELED;	/* until the worker says otherwise */
		if ((rc = containers_stream_start(j->cs, put_work, put_worked,
		    j)) == 0)
			return;
		err = NULL;
	}
	if (err != NULL)
		j->err = *err;
	else
		berth_err_set(&j->err, rc, "cannot start the copy: %s",
		    strerror(-rc));
	j->rc = j->err.code;
	close(j->in);		/* the body's writer drops the rest */
	j->in = -1;
	put_finish(j);		/* in the worker's stead */
}

/* PUT /containers/{id}/archive */
void
containers_h_archive_put(struct berth_req *req, void *state)
{
	struct containers	*cs = state;
	const struct berth_host	*h = cs->h;
	struct arch_job		*j;
	struct ctr		*c;
	json_object		*ro;
	int			 p[2];

	if ((j = arch_new(req, cs, ARCH_PUT)) == NULL)
		return;
	if (pipe2(p, O_CLOEXEC) == -1) {
		if (j->err.code == 0)
			berth_err_errno(&j->err, "pipe");
		h->resp_error(req, &j->err);
		arch_unref(j);
		return;
	}
	j->in = p[0];
	j->pending = 2;
	h->req_body_to_fd(req, p[1], put_body_done, j);
	if (j->err.code != 0) {
		/* Refused before anything: the body goes to waste. */
		j->rc = j->err.code;
		close(j->in);
		j->in = -1;
		put_finish(j);
		return;
	}
	c = j->c;
	j->no_overwrite = h->req_query_bool(req, "noOverwriteDirNonDir");
	j->copy_uidgid = h->req_query_bool(req, "copyUIDGID");
	ro = berth_json_get(c->hostconfig, "ReadonlyRootfs");
	j->ro_rootfs = ro != NULL && json_object_get_boolean(ro);
	if (c->mounts != NULL)
		json_object_deep_copy(c->mounts, &j->mounts, NULL);
	j->user = json_object_new_object();
	json_object_object_add(j->user, "User", json_object_new_string(
	    berth_json_str(c->config, "User") != NULL ?
	    berth_json_str(c->config, "User") : ""));
	containers_fs_open(j->fs, put_opened, j);
}
