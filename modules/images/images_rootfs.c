/*
 * images_rootfs.c - the image/1 provider: images for the containers
 * service, and their root filesystems.
 *
 * A rootfs is mounts/<owner>/{upper,work,merged} plus a `lower` file (the
 * image, then its layers bottom first) written when it is first made, so
 * it survives a restart and the image's deletion: its layers stay pinned
 * while the rootfs exists.  merged is an overlay of the layers' diff
 * dirs, top first, under the owner's own upper and work dirs.
 *
 * The operations on one owner run one after another, each in a worker.
 * Users (use/unuse) live only in memory: the containers service declares
 * them again at every start.
 */
#include <sys/mount.h>
#include <sys/stat.h>

#include <ctype.h>
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

#define OWNER_MAX	128
#define OPTS_MAX	4000	/* mount(2) takes one page of options */

#define OP_MOUNT	1
#define OP_UNMOUNT	2
#define OP_REMOVE	3
#define OP_CALL		4	/* another file's work, in the owner's turn */

struct images_rootfs_op {
	TAILQ_ENTRY(images_rootfs_op) entry;
	struct images		*st;
	struct images_owner	*o;
	int			 kind;
	berth_image_path_cb	 path_cb;
	berth_image_done_cb	 done_cb;
	berth_work_fn		 call_fn;	/* OP_CALL */
	berth_done_fn		 call_done;
	void			*arg;
	/* the worker's */
	int			 rootfd;
	char			 base[PATH_MAX - 64];	/* mounts/<owner> */
	char			 abs[PATH_MAX - 64];	/* its absolute path */
	char			 trash[PATH_MAX];
	char			*lower_file;	/* to write when making it */
	char			**lowers;	/* absolute diff dirs, top first */
	size_t			 nlowers;
	int			 mounted;	/* in: believed; out: is */
	int			 rc;
	struct berth_err	 err;
	int			 finished;	/* set by the worker, atomic */
};

#define OP_WAIT_MS	10000	/* at shutdown, for a running op */

static int
owner_ok(const char *s)
{
	size_t	i, n = strlen(s);

	if (n == 0 || n > OWNER_MAX || !isalnum((unsigned char)s[0]))
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' &&
		    s[i] != '-' && s[i] != '.')
			return 0;
	return 1;
}

struct images_owner *
images_owner_find(struct images *st, const char *owner)
{
	struct images_owner	*o;

	TAILQ_FOREACH(o, &st->owners, entry)
		if (strcmp(o->owner, owner) == 0)
			return o;
	return NULL;
}

static void
owner_free(struct images *st, struct images_owner *o, int unpin)
{
	size_t	i;

	TAILQ_REMOVE(&st->owners, o, entry);
	for (i = 0; unpin && i < o->nlowers; i++)
		if (o->lowers[i] != NULL)
			images_layer_unpin(st, o->lowers[i]);
	free(o->lowers);
	free(o->owner);
	free(o);
}

static struct images_owner *
owner_new(struct images *st, const char *owner, const char *hex,
    size_t nlowers)
{
	struct images_owner	*o;

	if ((o = calloc(1, sizeof(*o))) == NULL ||
	    (o->owner = strdup(owner)) == NULL ||
	    (nlowers > 0 && (o->lowers = calloc(nlowers,
	    sizeof(*o->lowers))) == NULL)) {
		if (o != NULL)
			free(o->owner);
		free(o);
		return NULL;
	}
	snprintf(o->hex, sizeof(o->hex), "%s", hex);
	o->nlowers = nlowers;
	TAILQ_INIT(&o->ops);
	TAILQ_INSERT_TAIL(&st->owners, o, entry);
	return o;
}

/* "sha256:<hex>" or "<hex>" as resolve hands it out; ghosts too. */
static struct images_image *
image_of(struct images *st, const char *id)
{
	struct images_image	*img;

	if (strncmp(id, "sha256:", 7) == 0)
		id += 7;
	if ((img = images_find_id(st, id)) != NULL)
		return img;
	return images_find_ghost(st, id);
}

/* --- users ---------------------------------------------------------------- */

static int
rootfs_resolve(void *state, const char *ref, char *id, json_object **image,
    struct berth_err *err)
{
	struct images		*st = state;
	struct images_image	*img;
	int			 rc;

	if ((rc = images_lookup(st, ref, &img, err)) < 0)
		return rc;
	snprintf(id, BERTH_IMAGE_ID_LEN + 1, "sha256:%s", img->hex);
	if (image != NULL)
		*image = json_tokener_parse(img->raw);
	return 0;
}

static int
rootfs_use(void *state, const char *id, const char *user,
    struct berth_err *err)
{
	struct images		*st = state;
	struct images_image	*img;
	struct images_user	*u;
	char			 old[IMAGES_HEX + 1];

	if ((img = image_of(st, id)) == NULL)
		return berth_err_set(err, -ENOENT, "No such image: %s", id);
	TAILQ_FOREACH(u, &st->users, entry) {
		if (strcmp(u->user, user) != 0)
			continue;
		/* A container has one image: the latest word stands. */
		memcpy(old, u->hex, sizeof(old));
		snprintf(u->hex, sizeof(u->hex), "%s", img->hex);
		images_ghost_release(st, old);
		return 0;
	}
	if ((u = calloc(1, sizeof(*u))) == NULL ||
	    (u->user = strdup(user)) == NULL) {
		free(u);
		return berth_err_set(err, -ENOMEM, "out of memory");
	}
	snprintf(u->hex, sizeof(u->hex), "%s", img->hex);
	TAILQ_INSERT_TAIL(&st->users, u, entry);
	return 0;
}

static void
rootfs_unuse(void *state, const char *id, const char *user)
{
	struct images		*st = state;
	struct images_user	*u;
	char			 hex[IMAGES_HEX + 1];

	TAILQ_FOREACH(u, &st->users, entry) {
		if (strcmp(u->user, user) != 0)
			continue;
		TAILQ_REMOVE(&st->users, u, entry);
		memcpy(hex, u->hex, sizeof(hex));
		free(u->user);
		free(u);
		images_ghost_release(st, hex);
		return;
	}
}

const char *
images_user_of(struct images *st, const char *hex)
{
	struct images_user	*u;

	TAILQ_FOREACH(u, &st->users, entry)
		if (strcmp(u->hex, hex) == 0)
			return u->user;
	return NULL;
}

int
images_users_count(struct images *st, const char *hex)
{
	struct images_user	*u;
	int			 n = 0;

	TAILQ_FOREACH(u, &st->users, entry)
		if (strcmp(u->hex, hex) == 0)
			n++;
	return n;
}

const char *
images_mounted_user_of(struct images *st, const char *hex)
{
	struct images_owner	*o;

	TAILQ_FOREACH(o, &st->owners, entry)
		if (o->mounted && strcmp(o->hex, hex) == 0)
			return o->owner;
	return NULL;
}

/* --- the worker ----------------------------------------------------------- */

static int
is_mounted(const char *merged, const char *parent)
{
	struct stat	a, b;

	if (stat(merged, &a) == -1 || stat(parent, &b) == -1)
		return 0;
	return a.st_dev != b.st_dev;
}

static int
mkdir_ok(int dirfd, const char *path, mode_t mode)
{
	return mkdirat(dirfd, path, mode) == 0 || errno == EEXIST;
}

/* Many layers: the new mount API takes them one by one (lowerdir+). */
static int
mount_fsconfig(struct images_rootfs_op *op, const char *upper,
    const char *work, const char *merged)
{
	size_t	i;
	int	fd, mfd, rc = 0;

	if ((fd = fsopen("overlay", FSOPEN_CLOEXEC)) == -1)
		return -errno;
	for (i = 0; i < op->nlowers && rc == 0; i++)
		if (fsconfig(fd, FSCONFIG_SET_STRING, "lowerdir+",
		    op->lowers[i], 0) == -1)
			rc = -errno;
	if (rc == 0 && (fsconfig(fd, FSCONFIG_SET_STRING, "upperdir", upper,
	    0) == -1 || fsconfig(fd, FSCONFIG_SET_STRING, "workdir", work,
	    0) == -1 || fsconfig(fd, FSCONFIG_SET_STRING, "index", "off",
	    0) == -1 || fsconfig(fd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == -1))
		rc = -errno;
	if (rc == 0) {
		if ((mfd = fsmount(fd, FSMOUNT_CLOEXEC, 0)) == -1)
			rc = -errno;
		else {
			if (move_mount(mfd, "", AT_FDCWD, merged,
			    MOVE_MOUNT_F_EMPTY_PATH) == -1)
				rc = -errno;
			close(mfd);
		}
	}
	close(fd);
	return rc;
}

/*
 * Docker's init layer (daemon/initlayer): what every container has,
 * whatever its image, in a layer of its own between the image and the
 * container's upper directory: the mount points the runtime would
 * otherwise make in the upper directory, /.dockerenv, and /etc/mtab.
 * So neither diff nor commit shows them, and a container that deletes
 * one shows a D line, as with Docker.  Made once; what is there stays.
 */
static int
init_layer(int rootfd, const char *base)
{
	static const struct {
		const char	*path;
		const char	*link;	/* NULL: a dir (ends in /) or a file */
	} ents[] = {
		{ "init/", NULL }, { "init/dev/", NULL },
		{ "init/dev/pts/", NULL }, { "init/dev/shm/", NULL },
		{ "init/proc/", NULL }, { "init/sys/", NULL },
		{ "init/etc/", NULL }, { "init/.dockerenv", NULL },
		{ "init/etc/resolv.conf", NULL }, { "init/etc/hosts", NULL },
		{ "init/etc/hostname", NULL }, { "init/dev/console", NULL },
		{ "init/etc/mtab", "/proc/mounts" },
	};
	char	path[PATH_MAX];
	size_t	i, n;
	int	fd;

	for (i = 0; i < sizeof(ents) / sizeof(ents[0]); i++) {
		n = (size_t)snprintf(path, sizeof(path), "%s/%s", base,
		    ents[i].path);
		if (n >= sizeof(path))
			return -ENAMETOOLONG;
		if (ents[i].link != NULL) {
			if (symlinkat(ents[i].link, rootfd, path) == -1 &&
			    errno != EEXIST)
				return -errno;
		} else if (path[n - 1] == '/') {
			path[n - 1] = '\0';
			if (!mkdir_ok(rootfd, path, 0755))
				return -errno;
		} else {
			/* As Docker: 0755, empty. */
			if ((fd = openat(rootfd, path, O_WRONLY | O_CREAT |
			    O_NOFOLLOW | O_CLOEXEC, 0755)) == -1)
				return -errno;
			close(fd);
		}
	}
	return 0;
}

static void
op_mount(struct images_rootfs_op *op)
{
	char	 upper[PATH_MAX], work[PATH_MAX], merged[PATH_MAX];
	char	 path[PATH_MAX], *opts = NULL, *grown;
	size_t	 i, len;
	int	 rc;

	snprintf(upper, sizeof(upper), "%s/upper", op->abs);
	snprintf(work, sizeof(work), "%s/work", op->abs);
	snprintf(merged, sizeof(merged), "%s/merged", op->abs);
	if (!mkdir_ok(op->rootfd, op->base, 0700)) {
		op->rc = berth_err_errno(&op->err, "mkdir %s", op->base);
		return;
	}
	snprintf(path, sizeof(path), "%s/upper", op->base);
	if (!mkdir_ok(op->rootfd, path, 0755)) {
		op->rc = berth_err_errno(&op->err, "mkdir %s", path);
		return;
	}
	snprintf(path, sizeof(path), "%s/work", op->base);
	if (!mkdir_ok(op->rootfd, path, 0700)) {
		op->rc = berth_err_errno(&op->err, "mkdir %s", path);
		return;
	}
	snprintf(path, sizeof(path), "%s/merged", op->base);
	if (!mkdir_ok(op->rootfd, path, 0755)) {
		op->rc = berth_err_errno(&op->err, "mkdir %s", path);
		return;
	}
	if ((rc = init_layer(op->rootfd, op->base)) < 0) {
		op->rc = berth_err_set(&op->err, rc, "init layer of %s: %s",
		    op->base, strerror(-rc));
		return;
	}
	/*
	 * Not synced, as Docker's overlay2 does not sync its: the file is
	 * written at a container's first start, right before what runs in
	 * it writes (unsynced) into upper/; a power cut that eats it finds
	 * the rootfs unfinished at the next start, and the container starts
	 * again from its image.  Two disk flushes off every first start.
	 */
	if (op->lower_file != NULL) {
		snprintf(path, sizeof(path), "%s/lower", op->base);
		if ((rc = images_fs_write_nosync(op->rootfd, path,
		    op->lower_file, strlen(op->lower_file), &op->err)) < 0) {
			op->rc = rc;
			return;
		}
	}
	if (is_mounted(merged, op->abs)) {
		op->mounted = 1;
		op->rc = 0;
		return;
	}
	len = strlen("lowerdir=");
	if ((opts = strdup("lowerdir=")) == NULL)
		goto oom;
	for (i = 0; i < op->nlowers; i++) {
		if ((grown = realloc(opts, len + strlen(op->lowers[i]) + 2)) ==
		    NULL)
			goto oom;
		opts = grown;
		len += (size_t)sprintf(opts + len, "%s%s", i ? ":" : "",
		    op->lowers[i]);
	}
	if ((grown = realloc(opts, len + strlen(upper) + strlen(work) + 40)) ==
	    NULL)
		goto oom;
	opts = grown;
	sprintf(opts + len, ",upperdir=%s,workdir=%s,index=off", upper, work);
	if (strlen(opts) < OPTS_MAX)
		rc = mount("overlay", merged, "overlay", 0, opts) == -1 ?
		    -errno : 0;
	else
		rc = mount_fsconfig(op, upper, work, merged);
	free(opts);
	if (rc < 0) {
		op->rc = berth_err_set(&op->err, rc, "mount %s: %s", op->base,
		    strerror(-rc));
		return;
	}
	op->mounted = 1;
	op->rc = 0;
	return;
oom:
	free(opts);
	op->rc = berth_err_set(&op->err, -ENOMEM, "out of memory");
}

static void
op_unmount(struct images_rootfs_op *op)
{
	char	merged[PATH_MAX];

	snprintf(merged, sizeof(merged), "%s/merged", op->abs);
	if (is_mounted(merged, op->abs) && umount2(merged, MNT_DETACH) == -1 &&
	    errno != EINVAL && errno != ENOENT) {
		op->rc = berth_err_errno(&op->err, "unmount %s", merged);
		return;
	}
	op->mounted = 0;
	op->rc = 0;
}

static void
op_work(void *arg)
{
	struct images_rootfs_op	*op = arg;
	int			 rc;

	switch (op->kind) {
	case OP_MOUNT:
		op_mount(op);
		break;
	case OP_UNMOUNT:
		op_unmount(op);
		break;
	case OP_CALL:
		op->call_fn(op->arg);	/* mounted stays as it was */
		op->rc = 0;
		break;
	case OP_REMOVE:
		op_unmount(op);
		if (op->rc < 0)
			break;
		if (renameat(op->rootfd, op->base, op->rootfd, op->trash) ==
		    -1 && errno != ENOENT) {
			op->rc = berth_err_errno(&op->err, "remove %s",
			    op->base);
			break;
		}
		if ((rc = berth_rmtree_at(op->rootfd, op->trash)) < 0)
			op->rc = berth_err_set(&op->err, rc, "remove %s: %s",
			    op->base, strerror(-rc));
		break;
	}
	__atomic_store_n(&op->finished, 1, __ATOMIC_RELEASE);
}

/* --- on the loop ----------------------------------------------------------- */

static void	op_next(struct images *, struct images_owner *);

static void
op_free(struct images_rootfs_op *op)
{
	size_t	i;

	for (i = 0; i < op->nlowers; i++)
		free(op->lowers[i]);
	free(op->lowers);
	free(op->lower_file);
	free(op);
}

static void
op_answer(struct images_rootfs_op *op, int rc, const struct berth_err *err)
{
	char	merged[PATH_MAX];

	if (op->kind == OP_MOUNT) {
		snprintf(merged, sizeof(merged), "%s/merged", op->abs);
		op->path_cb(op->arg, rc, rc < 0 ? NULL : merged, err);
	} else if (op->kind == OP_CALL)
		op->call_done(op->arg);
	else
		op->done_cb(op->arg, rc, err);
}

static void
op_done(void *arg)
{
	struct images_rootfs_op	*op = arg;
	struct images		*st = op->st;
	struct images_owner	*o = op->o;
	struct images_rootfs_op	*next;

	if (op->rc == -ECANCELED)
		berth_err_set(&op->err, -ECANCELED,
		    "the daemon is shutting down");
	o->busy = 0;
	o->current = NULL;
	if (op->rc == 0 || op->kind != OP_MOUNT)
		o->mounted = op->mounted;
	op_answer(op, op->rc, &op->err);
	if (op->kind == OP_REMOVE && op->rc == 0) {
		/* Whatever waited for a rootfs that is gone now fails. */
		while ((next = TAILQ_FIRST(&o->ops)) != NULL) {
			TAILQ_REMOVE(&o->ops, next, entry);
			berth_err_set(&next->err, -ENOENT,
			    "the rootfs of %s was removed", o->owner);
			op_answer(next, -ENOENT, &next->err);
			op_free(next);
		}
		owner_free(st, o, 1);
	} else
		op_next(st, o);
	op_free(op);
}

static void
op_next(struct images *st, struct images_owner *o)
{
	struct images_rootfs_op	*op;

	if (o->busy || (op = TAILQ_FIRST(&o->ops)) == NULL)
		return;
	TAILQ_REMOVE(&o->ops, op, entry);
	o->busy = 1;
	o->current = op;
	op->mounted = o->mounted;
	if (st->stopping || st->h->work(st->h, op_work, op_done, op) < 0)
		op_done(op);
}

static struct images_rootfs_op *
op_new(struct images *st, struct images_owner *o, int kind)
{
	struct images_rootfs_op	*op;

	if ((op = calloc(1, sizeof(*op))) == NULL)
		return NULL;
	op->st = st;
	op->o = o;
	op->kind = kind;
	op->rootfd = st->rootfd;
	op->rc = -ECANCELED;
	snprintf(op->base, sizeof(op->base), "mounts/%s", o->owner);
	snprintf(op->abs, sizeof(op->abs), "%s/mounts/%s", st->root, o->owner);
	snprintf(op->trash, sizeof(op->trash), "trash/rootfs-%s-%llu",
	    o->owner, (unsigned long long)++st->seq);
	return op;
}

/* The lower dirs, top first, each layer once (the topmost wins). */
static int
op_lowers(struct images *st, struct images_rootfs_op *op,
    struct images_owner *o)
{
	char	path[PATH_MAX];
	size_t	i, k;
	int	dup;

	if ((op->lowers = calloc(o->nlowers + 1, sizeof(*op->lowers))) == NULL)
		return -ENOMEM;
	/* The init layer on top of the image's (made by op_mount). */
	snprintf(path, sizeof(path), "%s/mounts/%s/init", st->root, o->owner);
	if ((op->lowers[op->nlowers++] = strdup(path)) == NULL)
		return -ENOMEM;
	for (i = o->nlowers; i > 0; i--) {
		dup = 0;
		for (k = i; k < o->nlowers; k++)
			if (o->lowers[k] == o->lowers[i - 1])
				dup = 1;
		if (dup)
			continue;
		snprintf(path, sizeof(path), "%s/layers/%s/diff", st->root,
		    o->lowers[i - 1]->hex);
		if ((op->lowers[op->nlowers++] = strdup(path)) == NULL)
			return -ENOMEM;
	}
	return 0;
}

static char *
lower_file(struct images_owner *o)
{
	char	*s;
	size_t	 i, len = 0;

	if ((s = malloc((o->nlowers + 1) * (IMAGES_HEX + 1) + 1)) == NULL)
		return NULL;
	len += (size_t)sprintf(s, "%s\n", o->hex);
	for (i = 0; i < o->nlowers; i++)
		len += (size_t)sprintf(s + len, "%s\n", o->lowers[i]->hex);
	return s;
}

static void
rootfs_mount(void *state, const char *id, const char *owner,
    berth_image_path_cb done, void *arg)
{
	struct images		*st = state;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct images_owner	*o;
	struct images_image	*img;
	struct images_rootfs_op	*op;
	size_t			 i;
	int			 fresh = 0;

	if (!owner_ok(owner)) {
		berth_err_set(&err, -EINVAL, "invalid rootfs owner \"%s\"",
		    owner);
		done(arg, err.code, NULL, &err);
		return;
	}
	if ((o = images_owner_find(st, owner)) == NULL &&
	    strcmp(id, BERTH_IMAGE_SCRATCH) == 0) {
		/* FROM scratch: nothing below the init layer. */
		if ((o = owner_new(st, owner, BERTH_IMAGE_SCRATCH, 0)) ==
		    NULL) {
			berth_err_set(&err, -ENOMEM, "out of memory");
			done(arg, err.code, NULL, &err);
			return;
		}
		fresh = 1;
	} else if (o == NULL) {
		if ((img = image_of(st, id)) == NULL) {
			berth_err_set(&err, -ENOENT, "No such image: %s", id);
			done(arg, err.code, NULL, &err);
			return;
		}
		if ((o = owner_new(st, owner, img->hex, img->nlayers)) ==
		    NULL) {
			berth_err_set(&err, -ENOMEM, "out of memory");
			done(arg, err.code, NULL, &err);
			return;
		}
		for (i = 0; i < img->nlayers; i++) {
			o->lowers[i] = img->layers[i];
			images_layer_pin(o->lowers[i]);
		}
		fresh = 1;
	}
	if (o->broken) {
		berth_err_set(&err, -EIO, "the rootfs of %s lost a layer of "
		    "its image", owner);
		done(arg, err.code, NULL, &err);
		return;
	}
	if ((op = op_new(st, o, OP_MOUNT)) == NULL ||
	    op_lowers(st, op, o) < 0 ||
	    (fresh && (op->lower_file = lower_file(o)) == NULL)) {
		if (op != NULL)
			op_free(op);
		if (fresh)
			owner_free(st, o, 1);
		berth_err_set(&err, -ENOMEM, "out of memory");
		done(arg, err.code, NULL, &err);
		return;
	}
	op->path_cb = done;
	op->arg = arg;
	TAILQ_INSERT_TAIL(&o->ops, op, entry);
	op_next(st, o);
}

static void
rootfs_op(struct images *st, const char *owner, int kind,
    berth_image_done_cb done, void *arg)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	struct images_owner	*o;
	struct images_rootfs_op	*op;

	if (!owner_ok(owner) || (o = images_owner_find(st, owner)) == NULL) {
		/* Nothing to undo is done already. */
		done(arg, 0, NULL);
		return;
	}
	if ((op = op_new(st, o, kind)) == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		done(arg, err.code, &err);
		return;
	}
	op->done_cb = done;
	op->arg = arg;
	TAILQ_INSERT_TAIL(&o->ops, op, entry);
	op_next(st, o);
}

int
images_owner_call(struct images *st, const char *owner, berth_work_fn fn,
    berth_done_fn done, void *arg)
{
	struct images_owner	*o;
	struct images_rootfs_op	*op;

	if (!owner_ok(owner) || (o = images_owner_find(st, owner)) == NULL)
		return -ENOENT;
	if ((op = op_new(st, o, OP_CALL)) == NULL)
		return -ENOMEM;
	op->call_fn = fn;
	op->call_done = done;
	op->arg = arg;
	TAILQ_INSERT_TAIL(&o->ops, op, entry);
	op_next(st, o);
	return 0;
}

static void
rootfs_unmount(void *state, const char *owner, berth_image_done_cb done,
    void *arg)
{
	rootfs_op(state, owner, OP_UNMOUNT, done, arg);
}

static void
rootfs_remove(void *state, const char *owner, berth_image_done_cb done,
    void *arg)
{
	rootfs_op(state, owner, OP_REMOVE, done, arg);
}

static int
rootfs_paths(void *state, const char *owner, char *merged, char *upper,
    size_t len)
{
	struct images	*st = state;
	int		 a, b;

	if (!owner_ok(owner) || images_owner_find(st, owner) == NULL)
		return -ENOENT;
	a = snprintf(merged, len, "%s/mounts/%s/merged", st->root, owner);
	b = snprintf(upper, len, "%s/mounts/%s/upper", st->root, owner);
	if (a < 0 || b < 0 || (size_t)a >= len || (size_t)b >= len)
		return -ERANGE;
	return 0;
}

const struct berth_image_ops images_rootfs_ops = {
	.size = sizeof(struct berth_image_ops),
	.resolve = rootfs_resolve,
	.use = rootfs_use,
	.unuse = rootfs_unuse,
	.rootfs_mount = rootfs_mount,
	.rootfs_unmount = rootfs_unmount,
	.rootfs_remove = rootfs_remove,
	.rootfs_paths = rootfs_paths,
	.changes = images_rw_changes_op,
	.commit = images_rw_commit_op,
	.tag = images_tag_op,
	.commit_step = images_rw_commit_step_op,
	.pull = images_pull_op,
};

/* --- start and stop -------------------------------------------------------- */

static void
owner_load(struct images *st, const char *name)
{
	struct images_owner	*o;
	struct images_layer	*l;
	char			 path[PATH_MAX], parent[PATH_MAX], *buf, *p;
	char			*line, *save;
	char			 hex[IMAGES_HEX + 1];
	size_t			 n = 0, i = 0;

	snprintf(path, sizeof(path), "mounts/%s/lower", name);
	if (!owner_ok(name) || images_fs_read(st->rootfd, path, 1u << 20, &buf,
	    NULL) < 0) {
		/* Never finished being made: nothing is in it. */
		snprintf(path, sizeof(path), "mounts/%s", name);
		snprintf(parent, sizeof(parent), "trash/rootfs-%s-%llu", name,
		    (unsigned long long)++st->seq);
		if (renameat(st->rootfd, path, st->rootfd, parent) == -1)
			(void)berth_rmtree_at(st->rootfd, path);
		return;
	}
	for (p = buf; *p != '\0'; p++)
		n += *p == '\n';
	if (n == 0 || sscanf(buf, "%64s", hex) != 1 ||
	    (o = owner_new(st, name, hex, n - 1)) == NULL) {
		free(buf);
		return;
	}
	for (line = strtok_r(strchr(buf, '\n'), "\n", &save);
	    line != NULL && i < o->nlowers; line = strtok_r(NULL, "\n", &save)) {
		if ((l = images_find_layer(st, line)) == NULL) {
			st->h->log(st->h, BERTH_LOG_WARN, "the rootfs of %s "
			    "lost layer %.12s", name, line);
			o->broken = 1;
			o->lowers[i++] = NULL;
			continue;
		}
		images_layer_pin(l);
		o->lowers[i++] = l;
	}
	free(buf);
	snprintf(path, sizeof(path), "%s/mounts/%s/merged", st->root, name);
	snprintf(parent, sizeof(parent), "%s/mounts/%s", st->root, name);
	o->mounted = is_mounted(path, parent);
}

int
images_rootfs_open(struct images *st)
{
	struct dirent	*de;
	DIR		*d;
	int		 fd;

	if ((fd = openat(st->rootfd, "mounts", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || (d = fdopendir(fd)) == NULL)
		return -errno;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			owner_load(st, de->d_name);
	closedir(d);
	return 0;
}

void
images_rootfs_close(struct images *st)
{
	struct images_owner	*o;
	struct images_rootfs_op	*op;
	struct images_user	*u;
	int			 i;

	/* Running ops are short: let them end, and answer them now. */
	TAILQ_FOREACH(o, &st->owners, entry) {
		if ((op = o->current) == NULL)
			continue;
		for (i = 0; i < OP_WAIT_MS &&
		    !__atomic_load_n(&op->finished, __ATOMIC_ACQUIRE); i++)
			(void)nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
		if (!__atomic_load_n(&op->finished, __ATOMIC_ACQUIRE)) {
			st->h->log(st->h, BERTH_LOG_WARN, "a rootfs operation "
			    "of %s is still running at shutdown", o->owner);
			o->current = NULL;
			continue;
		}
		o->current = NULL;
		o->busy = 0;
		if (op->rc == 0 || op->kind != OP_MOUNT)
			o->mounted = op->mounted;
		op_answer(op, op->rc, &op->err);
		op_free(op);
	}
	while ((o = TAILQ_FIRST(&st->owners)) != NULL) {
		while ((op = TAILQ_FIRST(&o->ops)) != NULL) {
			TAILQ_REMOVE(&o->ops, op, entry);
			berth_err_set(&op->err, -ECANCELED,
			    "the daemon is shutting down");
			op_answer(op, -ECANCELED, &op->err);
			op_free(op);
		}
		owner_free(st, o, 0);
	}
	while ((u = TAILQ_FIRST(&st->users)) != NULL) {
		TAILQ_REMOVE(&st->users, u, entry);
		free(u->user);
		free(u);
	}
}
