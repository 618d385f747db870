/*
 * volumes_store.c - what the service keeps on disk: one JSON file per
 * volume (Name, Driver, Labels, Options, CreatedAt), written atomically
 * in a work job (temporary file, fsync, rename, fsync of the directory)
 * and read once at start; plus the blocking helpers for sizes (df,
 * prune) and for filling a new volume from the image.
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

#include <berth/fs.h>
#include <berth/json.h>

#include "volumes.h"

struct meta_job {
	struct volumes	*vs;
	char		*path;
	char		*text;		/* NULL: delete */
	int		 rc;
	vs_done_cb	 cb;
	void		*arg;
};

void
volumes_time_now(char *buf, size_t len)
{
	struct tm	tm;
	time_t		t = time(NULL);

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int
meta_fsync_dir(const char *file)
{
	char	 d[PATH_MAX], *s;
	int	 fd, rc = 0;

	snprintf(d, sizeof(d), "%s", file);
	if ((s = strrchr(d, '/')) != NULL)
		*s = '\0';
	if ((fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -errno;
	if (fsync(fd) == -1)
		rc = -errno;
	close(fd);
	return rc;
}

static void
meta_work(void *arg)
{
	struct meta_job	*j = arg;
	char		 tmp[PATH_MAX];
	const char	*p;
	size_t		 len;
	ssize_t		 n;
	int		 fd;

	if (j->text == NULL) {
		if (unlink(j->path) == -1 && errno != ENOENT)
			j->rc = -errno;
		else
			j->rc = meta_fsync_dir(j->path);
		return;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", j->path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1) {
		j->rc = -errno;
		return;
	}
	for (p = j->text, len = strlen(p); len > 0 && j->rc == 0; ) {
		if ((n = write(fd, p, len)) < 0) {
			if (errno != EINTR)
				j->rc = -errno;
			continue;
		}
		p += n;
		len -= (size_t)n;
	}
	if (j->rc == 0 && fsync(fd) == -1)
		j->rc = -errno;
	if (close(fd) == -1 && j->rc == 0)
		j->rc = -errno;
	if (j->rc == 0 && rename(tmp, j->path) == -1)
		j->rc = -errno;
	if (j->rc < 0)
		(void)unlink(tmp);
	else
		j->rc = meta_fsync_dir(j->path);
}

static void
meta_done(void *arg)
{
	struct meta_job		*j = arg;
	struct berth_err	 err = BERTH_ERR_INIT;

	if (j->rc < 0)
		berth_err_set(&err, j->rc, "volume metadata %s: %s", j->path,
		    strerror(-j->rc));
	j->cb(j->arg, j->rc, j->rc < 0 ? &err : NULL);
	free(j->path);
	free(j->text);
	free(j);
}

static int
meta_go(struct volumes *vs, struct vs_vol *v, int del, vs_done_cb cb,
    void *arg)
{
	struct meta_job	*j;
	json_object	*o;
	char		 p[PATH_MAX];

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return -ENOMEM;
	snprintf(p, sizeof(p), "%s/%s.json", vs->meta, v->name);
	j->vs = vs;
	j->cb = cb;
	j->arg = arg;
	j->path = strdup(p);
	if (!del) {
		o = json_object_new_object();
		json_object_object_add(o, "Name",
		    json_object_new_string(v->name));
		json_object_object_add(o, "Driver",
		    json_object_new_string(v->driver));
		json_object_object_add(o, "CreatedAt",
		    json_object_new_string(v->created_at));
		json_object_object_add(o, "Labels", json_object_get(v->labels));
		json_object_object_add(o, "Options",
		    json_object_get(v->options));
		json_object_object_add(o, "Anonymous",
		    json_object_new_boolean(v->anonymous));
		if (v->global)
			json_object_object_add(o, "Scope",
			    json_object_new_string("global"));
		j->text = strdup(json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
	}
	if (j->path == NULL || (!del && j->text == NULL) ||
	    vs->h->work(vs->h, meta_work, meta_done, j) < 0) {
		free(j->path);
		free(j->text);
		free(j);
		return -ENOMEM;
	}
	return 0;
}

int
volumes_meta_save(struct volumes *vs, struct vs_vol *v, vs_done_cb cb,
    void *arg)
{
	return meta_go(vs, v, 0, cb, arg);
}

int
volumes_meta_delete(struct volumes *vs, struct vs_vol *v, vs_done_cb cb,
    void *arg)
{
	return meta_go(vs, v, 1, cb, arg);
}

static int
load_one(struct volumes *vs, const char *file)
{
	json_object	*o, *x;
	struct vs_vol	*v;
	const char	*name, *drv, *cr;

	if ((o = json_object_from_file(file)) == NULL)
		return -EINVAL;
	name = berth_json_str(o, "Name");
	drv = berth_json_str(o, "Driver");
	cr = berth_json_str(o, "CreatedAt");
	if (name == NULL || drv == NULL || volumes_find(vs, name) != NULL ||
	    (v = calloc(1, sizeof(*v))) == NULL) {
		json_object_put(o);
		return -EINVAL;
	}
	TAILQ_INIT(&v->users);
	TAILQ_INIT(&v->waiters);
	v->name = strdup(name);
	v->driver = strdup(drv);
	v->created_at = strdup(cr != NULL ? cr : "");
	if ((x = berth_json_get(o, "Labels")) != NULL &&
	    json_object_is_type(x, json_type_object))
		v->labels = json_object_get(x);
	if ((x = berth_json_get(o, "Options")) != NULL &&
	    json_object_is_type(x, json_type_object))
		v->options = json_object_get(x);
	x = berth_json_get(o, "Anonymous");
	v->anonymous = x != NULL && json_object_get_boolean(x);
	v->global = (cr = berth_json_str(o, "Scope")) != NULL &&
	    strcmp(cr, "global") == 0;
	v->refs = 1;
	json_object_put(o);
	if (v->name == NULL || v->driver == NULL || v->created_at == NULL) {
		volumes_vol_unref(v);
		return -ENOMEM;
	}
	TAILQ_INSERT_TAIL(&vs->vols, v, entry);
	return 0;
}

/* Read every metadata file once, before berthd serves. */
int
volumes_load(struct volumes *vs, struct berth_err *err)
{
	DIR		*d;
	struct dirent	*e;
	char		 p[PATH_MAX];
	size_t		 n;
	int		 rc;

	if ((rc = berth_mkdirs(vs->meta, 0700)) < 0)
		return berth_err_set(err, rc, "%s: %s", vs->meta,
		    strerror(-rc));
	/* A write a kill -9 cut short leaves its temporary. */
	(void)berth_sweep_tmp(vs->meta);
	if ((d = opendir(vs->meta)) == NULL)
		return berth_err_errno(err, "%s", vs->meta);
	while ((e = readdir(d)) != NULL) {
		n = strlen(e->d_name);
		if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", vs->meta, e->d_name);
		if (load_one(vs, p) < 0)
			vs->h->log(vs->h, BERTH_LOG_WARN,
			    "%s: unreadable volume metadata, skipped", p);
	}
	closedir(d);
	return 0;
}

/* The apparent size of a tree, not following links nor leaving its fs. */
static int64_t
du_at(int dirfd, dev_t dev)
{
	DIR		*d;
	struct dirent	*e;
	struct stat	 st;
	int64_t		 total = 0;
	int		 fd;

	if ((d = fdopendir(dirfd)) == NULL) {
		close(dirfd);
		return 0;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (st.st_dev != dev)
				continue;
			fd = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
			if (fd != -1)
				total += du_at(fd, dev);
		} else if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode))
			total += st.st_size;
	}
	closedir(d);
	return total;
}

int64_t
volumes_du(const char *path)
{
	struct stat	st;
	int		fd;

	if (path == NULL || stat(path, &st) == -1)
		return -1;
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	return du_at(fd, st.st_dev);
}

/* Copy src's entries into dst (fds), keeping modes and owners. */
static int
copy_at(int sfd, int dfd)
{
	DIR		*d;
	struct dirent	*e;
	struct stat	 st;
	char		 buf[65536], link[PATH_MAX];
	ssize_t		 n;
	int		 in, out, rc = 0;

	if ((d = fdopendir(sfd)) == NULL) {
		close(sfd);
		return -errno;
	}
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (fstatat(sfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (mkdirat(dfd, e->d_name, st.st_mode & 07777) == -1 &&
			    errno != EEXIST) {
				rc = -errno;
				break;
			}
			in = openat(sfd, e->d_name, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
			out = openat(dfd, e->d_name, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
			if (in == -1 || out == -1) {
				rc = -errno;
				if (in != -1)
					close(in);
				if (out != -1)
					close(out);
				break;
			}
			rc = copy_at(in, out);
			(void)fchownat(dfd, e->d_name, st.st_uid, st.st_gid,
			    AT_SYMLINK_NOFOLLOW);
			(void)fchmodat(dfd, e->d_name, st.st_mode & 07777, 0);
			close(out);
		} else if (S_ISREG(st.st_mode)) {
			in = openat(sfd, e->d_name, O_RDONLY | O_NOFOLLOW |
			    O_CLOEXEC);
			out = openat(dfd, e->d_name, O_WRONLY | O_CREAT |
			    O_EXCL | O_NOFOLLOW | O_CLOEXEC, st.st_mode & 07777);
			if (in == -1 || out == -1) {
				rc = -errno;
				if (in != -1)
					close(in);
				if (out != -1)
					close(out);
				break;
			}
			while ((n = read(in, buf, sizeof(buf))) > 0)
				if (write(out, buf, (size_t)n) != n) {
					rc = -EIO;
					break;
				}
			(void)fchown(out, st.st_uid, st.st_gid);
			(void)fchmod(out, st.st_mode & 07777);
			close(in);
			close(out);
		} else if (S_ISLNK(st.st_mode)) {
			n = readlinkat(sfd, e->d_name, link, sizeof(link) - 1);
			if (n < 0)
				continue;
			link[n] = '\0';
			if (symlinkat(link, dfd, e->d_name) == 0)
				(void)fchownat(dfd, e->d_name, st.st_uid,
				    st.st_gid, AT_SYMLINK_NOFOLLOW);
		} else if (mknodat(dfd, e->d_name, st.st_mode, st.st_rdev) ==
		    0)
			(void)fchownat(dfd, e->d_name, st.st_uid, st.st_gid,
			    AT_SYMLINK_NOFOLLOW);
	}
	closedir(d);
	return rc;
}

/*
 * Fill dst from src when dst is empty, as Docker fills a new volume with
 * the image's content at its mount point.  src is opened with
 * O_NOFOLLOW on its last part only: the caller resolved it in the root.
 */
int
volumes_copy_if_empty(const char *src, const char *dst,
    struct berth_err *err)
{
	DIR		*d;
	struct dirent	*e;
	struct stat	 st;
	int		 sfd, dfd, empty = 1, rc;

	if ((d = opendir(dst)) == NULL)
		return berth_err_errno(err, "%s", dst);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			empty = 0;
	closedir(d);
	if (!empty)
		return 0;
	if ((sfd = open(src, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return 0;	/* nothing there in the image */
	if ((dfd = open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		rc = berth_err_errno(err, "%s", dst);
		close(sfd);
		return rc;
	}
	/* The volume's root takes the image directory's owner and mode. */
	if (fstat(sfd, &st) == 0) {
		(void)fchown(dfd, st.st_uid, st.st_gid);
		(void)fchmod(dfd, st.st_mode & 07777);
	}
	rc = copy_at(sfd, dfd);
	close(dfd);
	if (rc < 0)
		return berth_err_set(err, rc, "copying the image's %s into "
		    "the volume: %s", src, strerror(-rc));
	return 0;
}
