/*
 * containers_fs.c - a container's filesystem as one directory fd, for
 * `docker cp` and `docker export`, running or not.
 *
 * Running (or paused): /proc/<pid>/root.  That fd stands for the root
 * of the container's own mount namespace, so the container's volumes,
 * binds, tmpfs mounts, read-only mounts and /etc files are all seen as
 * the process sees them, with nothing to map by hand.
 *
 * Stopped (created, exited, restarting): the rootfs is mounted through
 * image/1 (and unmounted again afterwards if nothing else holds it, so
 * the container is left as it was found), its volumes are mounted
 * through volumes/1 for the copy (their mount/unmount events, as
 * Docker's), and a worker builds a detached mount tree: the rootfs with
 * a clone of each volume, bind source and /etc file on its destination,
 * read-only where the mount point is.  Mounting onto a detached tree
 * needs Linux 6.15, so the tree is put together in a mount namespace of
 * its own (a thread's private copy of berthd's, see fs_build_tree) and
 * cloned out of it whole: the same calls on every kernel from 5.12 on,
 * Debian 12's 6.1 included.  The tree lives in no namespace: nothing
 * appears on the host, a concurrent start sees nothing of it, a crash
 * leaves nothing behind, and closing the fd takes it all down.
 *
 * Export wants the root filesystem alone, without volumes (as Docker):
 * the stopped path without the mounts, whatever the state.
 *
 * Streams (a tar out, a tar in) hold a worker for as long as the client
 * takes; at most CONTAINERS_STREAMS_MAX run at once, so slow clients
 * can never take the whole pool from starts, logs and the rest.
 */
#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/mount.h>

#include <berth/json.h>
#include <berth/volume.h>

#include "containers.h"

struct ctr_stream {
	TAILQ_ENTRY(ctr_stream)	 entry;
	berth_work_fn		 fn;
	berth_done_fn		 done;
	void			*arg;
};

static const char *const fs_etc[] = { "hostname", "hosts", "resolv.conf" };

static const char *
fs_str(json_object *m, const char *k)
{
	const char	*s = berth_json_str(m, k);

	return s != NULL ? s : "";
}

static int
fs_depth(const char *p)
{
	int	n = 0;

	for (; *p != '\0'; p++)
		n += *p == '/';
	return n;
}

/* Shallow destinations first, so /a is in place before /a/b. */
static int
fs_cmp(const void *a, const void *b)
{
	json_object	*x = *(json_object *const *)a;
	json_object	*y = *(json_object *const *)b;

	return fs_depth(fs_str(x, "Destination")) -
	    fs_depth(fs_str(y, "Destination"));
}

static void
fs_attach_add(struct ctr_fs *fs, const char *dst, const char *src, int rw,
    int file)
{
	json_object	*o = json_object_new_object();

	json_object_object_add(o, "Destination", json_object_new_string(dst));
	json_object_object_add(o, "Source", json_object_new_string(src));
	json_object_object_add(o, "RW", json_object_new_boolean(rw));
	json_object_object_add(o, "File", json_object_new_boolean(file));
	json_object_array_add(fs->attach, o);
}

struct ctr_fs *
containers_fs_new(struct ctr *c, int rootfs_only)
{
	struct ctr_fs	*fs;

	if ((fs = calloc(1, sizeof(*fs))) == NULL)
		return NULL;
	if ((fs->attach = json_object_new_array()) == NULL ||
	    (fs->vols = json_object_new_array()) == NULL) {
		json_object_put(fs->attach);
		free(fs);
		return NULL;
	}
	fs->c = c;
	ctr_ref(c);
	fs->rootfd = -1;
	fs->rootfs_only = rootfs_only;
	return fs;
}

static void
fs_opened(struct ctr_fs *fs, int rc, const struct berth_err *err)
{
	ctr_done_cb	 cb = fs->cb;

	fs->cb = NULL;
	if (rc == 0) {
		json_object_array_sort(fs->attach, fs_cmp);
		fs->rootfs_only = fs->rootfs_only ||
		    json_object_array_length(fs->attach) == 0;
	}
	cb(fs->arg, rc, err);
}

static void	fs_mount_next(struct ctr_fs *);

static void
fs_vol_mounted(void *arg, int rc, const char *path,
    const struct berth_err *err)
{
	struct ctr_fs	*fs = arg;
	json_object	*m = json_object_array_get_idx(fs->c->mounts, fs->i);

	if (rc < 0) {
		fs_opened(fs, rc, err);
		return;
	}
	json_object_array_add(fs->vols,
	    json_object_new_string(fs_str(m, "Name")));
	fs_attach_add(fs, fs_str(m, "Destination"), path,
	    json_object_get_boolean(berth_json_get(m, "RW")), 0);
	fs->i++;
	fs_mount_next(fs);
}

/* The mount points, one by one: volumes through volumes/1. */
static void
fs_mount_next(struct ctr_fs *fs)
{
	struct ctr			*c = fs->c;
	const struct berth_volumes_ops	*vo;
	struct berth_volumes_mount	 vm;
	struct berth_err		 err = BERTH_ERR_INIT;
	json_object			*m;
	const char			*type;
	char				 p[PATH_MAX];
	void				*vst;
	size_t				 i;

	for (; c->mounts != NULL &&
	    fs->i < json_object_array_length(c->mounts); fs->i++) {
		m = json_object_array_get_idx(c->mounts, fs->i);
		type = fs_str(m, "Type");
		if (strcmp(type, "bind") == 0) {
			fs_attach_add(fs, fs_str(m, "Destination"),
			    fs_str(m, "Source"), json_object_get_boolean(
			    berth_json_get(m, "RW")), 0);
			continue;
		}
		if (strcmp(type, "volume") != 0)
			continue;	/* a tmpfs has nothing until it runs */
		if ((vo = c->cs->h->lookup(c->cs->h, BERTH_VOLUMES_IFACE,
		    BERTH_VOLUMES_SERVICE, &vst)) == NULL) {
			berth_err_set(&err, -ENOTSUP, "volumes need the "
			    "volumes module, which is not loaded");
			fs_opened(fs, -ENOTSUP, &err);
			return;
		}
		memset(&vm, 0, sizeof(vm));
		vm.size = sizeof(vm);
		vm.name = fs_str(m, "Name");
		vm.container = c->id;
		vm.destination = fs_str(m, "Destination");
		vm.rw = json_object_get_boolean(berth_json_get(m, "RW"));
		vm.propagation = fs_str(m, "Propagation");
		vo->mount(vst, &vm, fs_vol_mounted, fs);
		return;
	}
	/* The /etc files start writes there; the worker skips missing ones. */
	for (i = 0; i < sizeof(fs_etc) / sizeof(fs_etc[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s/%s", c->cs->root, c->id,
		    fs_etc[i]);
		fs_attach_add(fs, i == 0 ? "/etc/hostname" : i == 1 ?
		    "/etc/hosts" : "/etc/resolv.conf", p, 1, 1);
	}
	fs_opened(fs, 0, NULL);
}

static void
fs_rootfs_mounted(void *arg, int rc, const char *path,
    const struct berth_err *err)
{
	struct ctr_fs	*fs = arg;
	struct ctr	*c = fs->c;
	struct berth_err e = BERTH_ERR_INIT;

	if (rc < 0) {
		fs_opened(fs, rc, err);
		return;
	}
	if ((fs->rootfs = strdup(path)) == NULL) {
		berth_err_set(&e, -ENOMEM, "out of memory");
		fs_opened(fs, -ENOMEM, &e);
		return;
	}
	/* Ours to unmount at the end unless a start takes it meanwhile. */
	if (!c->mounted)
		c->fs_mounted = 1;
	if (fs->rootfs_only) {
		fs_opened(fs, 0, NULL);
		return;
	}
	fs_mount_next(fs);
}

/*
 * Make fs ready for containers_fs_enter; cb(arg, rc, err) once, on the
 * loop.  On failure, containers_fs_close still undoes what was done.
 */
void
containers_fs_open(struct ctr_fs *fs, ctr_done_cb cb, void *arg)
{
	struct ctr	*c = fs->c;

	fs->cb = cb;
	fs->arg = arg;
	if (!fs->rootfs_only && (c->st.status == CTR_RUNNING ||
	    c->st.status == CTR_PAUSED) && c->st.pid > 0) {
		fs->pid = c->st.pid;
		fs_opened(fs, 0, NULL);
		return;
	}
	if (c->removing || c->removed) {
		struct berth_err e = BERTH_ERR_INIT;

		berth_err_set(&e, -ENOENT, "No such container: %s", c->id);
		fs_opened(fs, -ENOENT, &e);
		return;
	}
	/*
	 * Held from the request on: an unmount asked for by the last user
	 * before ours would otherwise be queued behind our mount and pull
	 * the rootfs away before the worker clones it.
	 */
	c->fs_users++;
	fs->held = 1;
	c->cs->img->rootfs_mount(c->cs->img_st, c->image_id, c->id,
	    fs_rootfs_mounted, fs);
}

/* --- the worker side ----------------------------------------------------- */

/* On the build thread: m's clone onto its place under root, in its ns. */
static int
fs_attach(struct ctr_fs *fs, int root, json_object *m, struct berth_err *err)
{
	const char		*dst = fs_str(m, "Destination");
	const char		*src = fs_str(m, "Source");
	int			 file = json_object_get_boolean(
				    berth_json_get(m, "File"));
	struct mount_attr	 attr;
	struct stat		 st;
	int			 dfd, sfd, rc = 0;

	if (file) {
		/* Only where both the file and its place exist. */
		if (stat(src, &st) == -1 || !S_ISREG(st.st_mode) ||
		    (dfd = berth_open_in_root(root, dst, O_PATH | O_NOFOLLOW, 0)) < 0)
			return 0;
		if (fstat(dfd, &st) == -1 || !S_ISREG(st.st_mode)) {
			close(dfd);
			return 0;
		}
	} else if ((dfd = berth_mkdirs_in_root(root, dst, 0755,
	    (uid_t)-1, (gid_t)-1, 0)) < 0)
		return berth_err_set(err, dfd, "cannot make the mount point "
		    "%s in the container: %s", dst, strerror(-dfd));
	sfd = (int)syscall(SYS_open_tree, AT_FDCWD, src, OPEN_TREE_CLONE |
	    OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (sfd == -1) {
		rc = berth_err_errno(err, "cannot open %s for %s", src, dst);
		goto out;
	}
	memset(&attr, 0, sizeof(attr));
	attr.attr_set = MOUNT_ATTR_RDONLY;
	if (!json_object_get_boolean(berth_json_get(m, "RW")) &&
	    syscall(SYS_mount_setattr, sfd, "", AT_EMPTY_PATH | AT_RECURSIVE,
	    &attr, sizeof(attr)) == -1) {
		rc = berth_err_errno(err, "cannot make %s read-only", dst);
		goto out;
	}
	/*
	 * A file mount is best-effort, as above: a start going on meanwhile
	 * rewrites the /etc files by rename, and the file just cloned may
	 * be gone already (ENOENT); the copy then shows the rootfs's own.
	 */
	if (syscall(SYS_move_mount, sfd, "", dfd, "",
	    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) == -1 &&
	    !(file && errno == ENOENT))
		rc = berth_err_errno(err, "cannot mount %s at %s", src, dst);
out:
	if (sfd != -1)
		close(sfd);
	close(dfd);
	return rc;
}

/*
 * The tree, built on a thread of its own.  unshare(CLONE_NEWNS) gives
 * that thread alone (it takes the thread's root and cwd with it, never
 * the process's) a copy of berthd's mounts, made private at once so
 * that nothing mounted there propagates back to the host.  There the
 * clones are moved onto the rootfs as onto any mount of one's own
 * namespace (Linux 5.2), and a recursive open_tree clone of the result
 * is the tree, detached.  When the thread ends, its namespace ends with
 * it: the copies of the host's other mounts (other containers' rootfs,
 * a disk someone means to unmount) are held for milliseconds, never for
 * the length of a copy, and a pool worker is never left in another
 * namespace.
 */
struct fs_build {
	struct ctr_fs		*fs;
	struct berth_err	*err;
	int			 rc;	/* the tree's fd, or -errno */
};

static int
fs_build_tree(struct ctr_fs *fs, struct berth_err *err)
{
	struct mount_attr	 attr;
	struct stat		 st, pst;
	char			 parent[PATH_MAX];
	size_t			 i;
	int			 r, t, rc;

	if (unshare(CLONE_NEWNS) == -1)
		return berth_err_errno(err, "cannot make a mount namespace "
		    "for the copy");
	memset(&attr, 0, sizeof(attr));
	attr.propagation = MS_PRIVATE;
	if (syscall(SYS_mount_setattr, AT_FDCWD, "/", AT_RECURSIVE, &attr,
	    sizeof(attr)) == -1)
		return berth_err_errno(err, "cannot make the copy's mounts "
		    "private");
	if ((r = open(fs->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
		return berth_err_errno(err, "cannot open the root "
		    "filesystem %s", fs->rootfs);
	/* The mount itself, not the directory under it (a start and exit
	 * of the container meanwhile can unmount it). */
	snprintf(parent, sizeof(parent), "%s/..", fs->rootfs);
	if (fstat(r, &st) == -1 || stat(parent, &pst) == -1 ||
	    st.st_dev == pst.st_dev) {
		close(r);
		return berth_err_set(err, -EAGAIN, "the root filesystem of "
		    "the container was unmounted meanwhile: try again");
	}
	for (i = 0; !fs->rootfs_only &&
	    i < json_object_array_length(fs->attach); i++)
		if ((rc = fs_attach(fs, r, json_object_array_get_idx(
		    fs->attach, i), err)) < 0) {
			close(r);
			return rc;
		}
	/* Export wants the rootfs alone; else all that is on it now. */
	t = (int)syscall(SYS_open_tree, r, "", OPEN_TREE_CLONE |
	    OPEN_TREE_CLOEXEC | AT_EMPTY_PATH |
	    (fs->rootfs_only ? 0 : AT_RECURSIVE));
	if (t == -1)
		rc = berth_err_errno(err, "cannot open the root filesystem "
		    "%s", fs->rootfs);
	close(r);
	return t == -1 ? rc : t;
}

static void *
fs_build_main(void *arg)
{
	struct fs_build	*b = arg;

	b->rc = fs_build_tree(b->fs, b->err);
	return NULL;
}

/*
 * Worker: set fs->rootfd, the container's "/", once.  0 or -errno.
 */
int
containers_fs_enter(struct ctr_fs *fs, struct berth_err *err)
{
	struct fs_build	 b;
	pthread_t	 th;
	char		 p[64];
	int		 rc;

	if (fs->rootfd >= 0)
		return 0;
	if (fs->pid > 0) {
		snprintf(p, sizeof(p), "/proc/%d/root", (int)fs->pid);
		if ((fs->rootfd = open(p, O_PATH | O_DIRECTORY |
		    O_CLOEXEC)) == -1)
			return berth_err_errno(err, "the container's root");
		return 0;
	}
	b.fs = fs;
	b.err = err;
	b.rc = -EINVAL;
	if ((rc = pthread_create(&th, NULL, fs_build_main, &b)) != 0)
		return berth_err_set(err, -rc, "cannot start a thread for "
		    "the copy: %s", strerror(rc));
	(void)pthread_join(th, NULL);
	if (b.rc < 0)
		return b.rc;
	fs->rootfd = b.rc;
	return 0;
}

/* --- closing ------------------------------------------------------------- */

static void
fs_free(struct ctr_fs *fs)
{
	json_object_put(fs->attach);
	json_object_put(fs->vols);
	free(fs->rootfs);
	ctr_unref(fs->c);
	free(fs);
}

static void
fs_rootfs_unmounted(void *arg, int rc, const struct berth_err *err)
{
	struct ctr_fs	*fs = arg;

	if (rc < 0 && rc != -ENOENT)
		fs->c->cs->h->log(fs->c->cs->h, BERTH_LOG_WARN,
		    "container %.12s: rootfs unmount after a copy: %s",
		    fs->c->id, err != NULL ? err->msg : strerror(-rc));
	fs_free(fs);
}

static void
fs_release(struct ctr_fs *fs)
{
	struct ctr	*c = fs->c;

	if (!fs->held) {
		fs_free(fs);
		return;
	}
	fs->held = 0;
	if (--c->fs_users > 0 || !c->fs_mounted) {
		fs_free(fs);
		return;
	}
	c->fs_mounted = 0;
	/* A start since then owns the mount now. */
	if (c->mounted || c->starting || c->cs->stopping) {
		fs_free(fs);
		return;
	}
	/*
	 * A removal: its rootfs_remove may have run before our mount made
	 * the rootfs again (one owner's operations run in the order they
	 * were asked).  Removing it once more is harmless either way.
	 */
	if (c->removing || c->removed) {
		c->cs->img->rootfs_remove(c->cs->img_st, c->id,
		    fs_rootfs_unmounted, fs);
		return;
	}
	c->cs->img->rootfs_unmount(c->cs->img_st, c->id, fs_rootfs_unmounted,
	    fs);
}

static void
fs_vol_unmounted(void *arg, int rc, const struct berth_err *err)
{
	struct ctr_fs	*fs = arg;

	if (rc < 0)
		fs->c->cs->h->log(fs->c->cs->h, BERTH_LOG_WARN,
		    "container %.12s: volume unmount after a copy: %s",
		    fs->c->id, err != NULL ? err->msg : strerror(-rc));
	containers_fs_close(fs);
}

/*
 * Loop: undo containers_fs_open (volumes unmounted, the rootfs
 * unmounted if the copy mounted it and nothing took it over) and free
 * fs.  The tree goes with its fd.
 */
void
containers_fs_close(struct ctr_fs *fs)
{
	struct ctr			*c = fs->c;
	const struct berth_volumes_ops	*vo;
	void				*vst;
	size_t				 n;
	char				*name;

	if (fs->rootfd >= 0) {
		close(fs->rootfd);
		fs->rootfd = -1;
	}
	n = json_object_array_length(fs->vols);
	if (n > 0 && !c->cs->stopping && (vo = c->cs->h->lookup(c->cs->h,
	    BERTH_VOLUMES_IFACE, BERTH_VOLUMES_SERVICE, &vst)) != NULL) {
		name = strdup(json_object_get_string(
		    json_object_array_get_idx(fs->vols, n - 1)));
		json_object_array_del_idx(fs->vols, n - 1, 1);
		if (name != NULL) {
			vo->unmount(vst, name, c->id, fs_vol_unmounted, fs);
			free(name);
			return;
		}
	}
	fs_release(fs);
}

/* --- streams ------------------------------------------------------------- */

/*
 * Run fn (a stream: it blocks on a client) when fewer than
 * CONTAINERS_STREAMS_MAX run; done must call containers_stream_end.
 */
int
containers_stream_start(struct containers *cs, berth_work_fn fn,
    berth_done_fn done, void *arg)
{
	struct ctr_stream	*s;
	int			 rc;

	if (cs->stopping)
		return -ESHUTDOWN;
	if (cs->nstreams < CONTAINERS_STREAMS_MAX) {
		cs->nstreams++;
		if ((rc = cs->h->work(cs->h, fn, done, arg)) < 0)
			cs->nstreams--;
		return rc;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return -ENOMEM;
	s->fn = fn;
	s->done = done;
	s->arg = arg;
	TAILQ_INSERT_TAIL(&cs->streams, s, entry);
	return 0;
}

void
containers_stream_end(struct containers *cs)
{
	struct ctr_stream	*s;

	cs->nstreams--;
	while (!cs->stopping && cs->nstreams < CONTAINERS_STREAMS_MAX &&
	    (s = TAILQ_FIRST(&cs->streams)) != NULL) {
		TAILQ_REMOVE(&cs->streams, s, entry);
		cs->nstreams++;
		if (cs->h->work(cs->h, s->fn, s->done, s->arg) < 0) {
			/* Its done sees the job's rc, still "not run". */
			s->done(s->arg);
		}
		free(s);
	}
}

/* At fini: queued streams never run; their requests end with berthd. */
void
containers_stream_fini(struct containers *cs)
{
	struct ctr_stream	*s;

	while ((s = TAILQ_FIRST(&cs->streams)) != NULL) {
		TAILQ_REMOVE(&cs->streams, s, entry);
		free(s);
	}
}
