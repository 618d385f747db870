/*
 * images_rw.c - the trees beneath a container's changes: what
 * `docker diff` lists and what `docker commit` turns into a layer.
 *
 * Both read the rootfs's upper directory, never the mounted tree, so
 * they work whether the container runs or not.  The upper directory
 * belongs to the container: every name in it is opened relative to its
 * parent's descriptor with O_NOFOLLOW, and nothing in it is followed.
 *
 * The changes are those Docker 20.10's overlay2 driver reports: it
 * compares the container's tree with the image's (the naive differ,
 * archive.ChangesDirs), and only paths the upper directory holds can
 * differ, so it is enough to look at those in the image.  For each:
 *
 *	absent from the image		A (and all beneath it A)
 *	a whiteout (0:0 char device)	D
 *	statDifferent or capabilities	C
 *	a directory with changes in it	C, listed before them
 *	an opaque directory		D of each image entry not in it
 *
 * The order is the walk's, names sorted; Docker's comes from a Go map
 * and is random.  A commit writes the upper directory as a tar with
 * Docker's AUFS-style whiteouts (`.wh.NAME`, `.wh..wh..opq`), as the
 * overlay2 driver's Diff does; the store's ordinary unpack makes it a
 * layer (images_rw_ops.c).
 */
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <dirent.h>
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

#define WH_PREFIX	".wh."
#define WH_OPAQUE	".wh..wh..opq"
#define XATTR_OPAQUE	"trusted.overlay.opaque"
#define XATTR_CAP	"security.capability"
#define CAP_MAX		64	/* vfs_ns_cap_data is 24 bytes */
#define COPYSZ		(128u << 10)

/* --- pure pieces ---------------------------------------------------------- */

static int
is_whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && major(st->st_rdev) == 0 &&
	    minor(st->st_rdev) == 0;
}

int
images_rw_whiteout_name(const char *name, const struct stat *st, char *out,
    size_t len)
{
	int	n;

	if (!is_whiteout(st))
		return 0;
	n = snprintf(out, len, "%s%s", WH_PREFIX, name);
	return n >= 0 && (size_t)n < len ? 1 : -ENAMETOOLONG;
}

/* Go's sameFsTimeSpec: a zero fraction on either side matches any. */
static int
same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && (a->tv_nsec == b->tv_nsec ||
	    a->tv_nsec == 0 || b->tv_nsec == 0);
}

int
images_rw_stat_differ(const struct stat *a, const struct stat *b)
{
	if (a->st_mode != b->st_mode || a->st_uid != b->st_uid ||
	    a->st_gid != b->st_gid || a->st_rdev != b->st_rdev)
		return 1;
	/* A directory's size and mtime say nothing (moby#9874). */
	if (S_ISDIR(a->st_mode))
		return 0;
	return !same_time(&a->st_mtim, &b->st_mtim) || a->st_size != b->st_size;
}

void
images_changes_free(struct images_changes *c)
{
	size_t	i;

	for (i = 0; i < c->n; i++)
		free(c->v[i].path);
	free(c->v);
	c->v = NULL;
	c->n = c->cap = 0;
}

/* Add path at index at (c->n: the end). */
static int
change_insert(struct images_changes *c, size_t at, const char *path, int kind)
{
	struct images_change	*grown;
	char			*p;

	if (c->n == c->cap) {
		if ((grown = realloc(c->v, (c->cap ? c->cap * 2 : 32) *
		    sizeof(*c->v))) == NULL)
			return -ENOMEM;
		c->v = grown;
		c->cap = c->cap ? c->cap * 2 : 32;
	}
	if ((p = strdup(path)) == NULL)
		return -ENOMEM;
	memmove(&c->v[at + 1], &c->v[at], (c->n - at) * sizeof(*c->v));
	c->v[at].path = p;
	c->v[at].kind = kind;
	c->n++;
	return 0;
}

json_object *
images_changes_json(const struct images_changes *c)
{
	json_object	*a, *o;
	size_t		 i;

	if (c->n == 0)
		return NULL;
	a = json_object_new_array();
	for (i = 0; i < c->n; i++) {
		o = json_object_new_object();
		json_object_object_add(o, "Path",
		    json_object_new_string(c->v[i].path));
		json_object_object_add(o, "Kind",
		    json_object_new_int(c->v[i].kind));
		json_object_array_add(a, o);
	}
	return a;
}

/* --- names in a directory, sorted ----------------------------------------- */

struct names {
	char	**v;
	size_t	  n;
};

static void
names_free(struct names *nm)
{
	size_t	i;

	for (i = 0; i < nm->n; i++)
		free(nm->v[i]);
	free(nm->v);
	nm->v = NULL;
	nm->n = 0;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* dfd is not consumed: the listing reads a dup of it. */
static int
names_read(int dfd, struct names *nm)
{
	struct dirent	*de;
	DIR		*d;
	char		**grown;
	size_t		 cap = 0;
	int		 fd, rc = 0;

	nm->v = NULL;
	nm->n = 0;
	if ((fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -errno;
	if ((d = fdopendir(fd)) == NULL) {
		rc = -errno;
		close(fd);
		return rc;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (nm->n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((grown = realloc(nm->v, cap * sizeof(*grown))) ==
			    NULL) {
				rc = -ENOMEM;
				break;
			}
			nm->v = grown;
		}
		if ((nm->v[nm->n] = strdup(de->d_name)) == NULL) {
			rc = -ENOMEM;
			break;
		}
		nm->n++;
	}
	closedir(d);
	if (rc < 0) {
		names_free(nm);
		return rc;
	}
	if (nm->n > 1)
		qsort(nm->v, nm->n, sizeof(*nm->v), name_cmp);
	return 0;
}

static int
change_cmp(const void *a, const void *b)
{
	return strcmp(((const struct images_change *)a)->path,
	    ((const struct images_change *)b)->path);
}

static int
names_has(const struct names *nm, const char *name)
{
	return nm->n > 0 && bsearch(&name, nm->v, nm->n, sizeof(*nm->v),
	    name_cmp) != NULL;
}

/* --- xattrs through a directory fd, never following the name ------------ */

static ssize_t
xattr_at(int dfd, const char *name, const char *attr, void *buf, size_t len)
{
	char	path[PATH_MAX + 32];
	ssize_t	n;
	int	k;

	k = snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dfd, name);
	if (k < 0 || (size_t)k >= sizeof(path))
		return -ENAMETOOLONG;
	n = lgetxattr(path, attr, buf, len);
	return n < 0 ? -errno : n;
}

static int
is_opaque(int dfd, const char *name)
{
	char	v[4];

	return xattr_at(dfd, name, XATTR_OPAQUE, v, sizeof(v)) == 1 &&
	    v[0] == 'y';
}

/* --- the image's tree ------------------------------------------------------ */

#define PROBE_ABSENT	0	/* not in this layer: look below */
#define PROBE_FOUND	1
#define PROBE_HIDDEN	2	/* this layer hides it from those below */

/*
 * rel (clean, relative) in one layer.  Every directory on the way is
 * checked with lstat first, so the final lookup crosses no symlink.
 * *stop says the layers below are hidden at rel (an opaque directory
 * on the way or at rel).
 */
static int
layer_probe(int lfd, const char *rel, struct stat *st, int *stop)
{
	char		 prefix[PATH_MAX];
	const char	*slash;
	size_t		 n;
	int		 opaque = 0;

	*stop = 0;
	for (slash = strchr(rel, '/'); slash != NULL;
	    slash = strchr(slash + 1, '/')) {
		n = (size_t)(slash - rel);
		if (n >= sizeof(prefix))
			return PROBE_HIDDEN;
		memcpy(prefix, rel, n);
		prefix[n] = '\0';
		if (fstatat(lfd, prefix, st, AT_SYMLINK_NOFOLLOW) == -1)
			return opaque ? PROBE_HIDDEN : PROBE_ABSENT;
		if (!S_ISDIR(st->st_mode))
			return PROBE_HIDDEN;	/* a whiteout, or a file */
		if (is_opaque(lfd, prefix))
			opaque = 1;
	}
	if (fstatat(lfd, rel, st, AT_SYMLINK_NOFOLLOW) == -1)
		return opaque ? PROBE_HIDDEN : PROBE_ABSENT;
	if (is_whiteout(st))
		return PROBE_HIDDEN;
	*stop = opaque || (S_ISDIR(st->st_mode) && is_opaque(lfd, rel));
	return PROBE_FOUND;
}

/* rel as the image shows it: 0 and *st, or -ENOENT. */
static int
image_stat(const struct images_rw_tree *t, const char *rel, struct stat *st,
    size_t *layer)
{
	size_t	i;
	int	stop;

	for (i = 0; i < t->nlowers; i++) {
		switch (layer_probe(t->lowers[i], rel, st, &stop)) {
		case PROBE_FOUND:
			if (layer != NULL)
				*layer = i;
			return 0;
		case PROBE_HIDDEN:
			return -ENOENT;
		}
	}
	return -ENOENT;
}

/* Are the image's capabilities of rel (found in layer i) those of name? */
static int
caps_differ(const struct images_rw_tree *t, size_t layer, const char *rel,
    int dfd, const char *name)
{
	char		 a[CAP_MAX], b[CAP_MAX], dir[PATH_MAX];
	const char	*slash, *base;
	ssize_t		 na, nb;
	int		 pfd;

	nb = xattr_at(dfd, name, XATTR_CAP, b, sizeof(b));
	slash = strrchr(rel, '/');
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - rel) : 1,
	    slash ? rel : ".");
	base = slash ? slash + 1 : rel;
	if ((pfd = openat(t->lowers[layer], dir, O_PATH | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC)) == -1)
		na = -errno;
	else {
		na = xattr_at(pfd, base, XATTR_CAP, a, sizeof(a));
		close(pfd);
	}
	if (na < 0 && nb < 0)
		return 0;
	return na != nb || memcmp(a, b, (size_t)na) != 0;
}

/* The names the image's directory rel holds (rel "" is the root). */
static int
image_list(const struct images_rw_tree *t, const char *rel,
    struct names *out)
{
	struct names	 seen = { 0 }, gone = { 0 }, here, *to;
	struct stat	 st;
	char		**grown;
	size_t		 i, k;
	int		 fd, stop = 0, rc = 0, r;

	out->v = NULL;
	out->n = 0;
	for (i = 0; i < t->nlowers && !stop; i++) {
		if (*rel == '\0') {
			fd = dup(t->lowers[i]);
			stop = 0;
		} else {
			r = layer_probe(t->lowers[i], rel, &st, &stop);
			if (r == PROBE_HIDDEN)
				break;
			if (r == PROBE_ABSENT)
				continue;
			if (!S_ISDIR(st.st_mode))
				break;
			fd = openat(t->lowers[i], rel, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
		}
		if (fd == -1)
			continue;
		rc = names_read(fd, &here);
		if (rc < 0) {
			close(fd);
			break;
		}
		for (k = 0; k < here.n && rc == 0; k++) {
			if (names_has(&seen, here.v[k]) ||
			    names_has(&gone, here.v[k]))
				continue;
			r = fstatat(fd, here.v[k], &st, AT_SYMLINK_NOFOLLOW);
			to = r == 0 && is_whiteout(&st) ? &gone : &seen;
			if ((grown = realloc(to->v, (to->n + 1) *
			    sizeof(*grown))) == NULL) {
				rc = -ENOMEM;
				break;
			}
			to->v = grown;
			to->v[to->n++] = here.v[k];
			here.v[k] = NULL;
			qsort(to->v, to->n, sizeof(*to->v), name_cmp);
		}
		for (k = 0; k < here.n; k++)
			free(here.v[k]);
		free(here.v);
		close(fd);
	}
	names_free(&gone);
	if (rc < 0) {
		names_free(&seen);
		return rc;
	}
	*out = seen;
	return 0;
}

/* --- the walk of the upper directory ------------------------------------- */

struct walk {
	const struct images_rw_tree	*t;
	struct images_changes		*out;
	struct berth_err		*err;
	char				 path[PATH_MAX];	/* "/a/b" */
	int				 depth;
};

#define WALK_DEPTH_MAX	1024

static int	walk_dir(struct walk *, int, size_t, int, int);

/* One entry of the upper directory dfd, already named in w->path. */
static int
walk_entry(struct walk *w, int dfd, const char *name, size_t len,
    int image_dir, struct images_changes *deletes)
{
	struct images_changes	*out = w->out;
	struct stat		 us, is;
	size_t			 layer = 0, mark;
	const char		*rel = w->path + 1;
	int			 in_image, added = 0, cfd, rc;

	if (fstatat(dfd, name, &us, AT_SYMLINK_NOFOLLOW) == -1)
		return 0;	/* gone meanwhile (a running container) */
	in_image = image_dir && image_stat(w->t, rel, &is, &layer) == 0;
	if (is_whiteout(&us)) {
		if (in_image)
			return change_insert(deletes, deletes->n, w->path,
			    IMAGES_CHANGE_DELETE);
		return 0;
	}
	mark = out->n;
	if (!in_image) {
		if ((rc = change_insert(out, out->n, w->path,
		    IMAGES_CHANGE_ADD)) < 0)
			return rc;
		added = 1;
	} else if (images_rw_stat_differ(&is, &us) ||
	    caps_differ(w->t, layer, rel, dfd, name)) {
		if ((rc = change_insert(out, out->n, w->path,
		    IMAGES_CHANGE_MODIFY)) < 0)
			return rc;
		added = 1;
	}
	if (!S_ISDIR(us.st_mode))
		return 0;
	if ((cfd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return 0;	/* replaced meanwhile */
	rc = walk_dir(w, cfd, len, in_image && S_ISDIR(is.st_mode),
	    in_image && is_opaque(dfd, name));
	close(cfd);
	/* Changes inside a directory make it one too, listed first. */
	if (rc == 0 && !added && out->n > mark)
		rc = change_insert(out, mark, w->path, IMAGES_CHANGE_MODIFY);
	return rc;
}

/*
 * The upper directory dfd at w->path[0..len).  image_dir: the image has
 * a directory there; opaque: the upper one hides it.
 */
static int
walk_dir(struct walk *w, int dfd, size_t len, int image_dir, int opaque)
{
	struct images_changes	 deletes = { 0 };
	struct names		 nm, img;
	size_t			 i, n;
	int			 rc;

	if (++w->depth > WALK_DEPTH_MAX) {
		w->depth--;
		return berth_err_set(w->err, -ELOOP, "%s: too deep", w->path);
	}
	if ((rc = names_read(dfd, &nm)) < 0) {
		w->depth--;
		return berth_err_set(w->err, rc, "read %s: %s",
		    len ? w->path : "/", strerror(-rc));
	}
	for (i = 0; i < nm.n && rc == 0; i++) {
		n = (size_t)snprintf(w->path + len, sizeof(w->path) - len,
		    "/%s", nm.v[i]);
		if (len + n >= sizeof(w->path)) {
			rc = berth_err_set(w->err, -ENAMETOOLONG,
			    "%.64s...: name too long", w->path);
			break;
		}
		rc = walk_entry(w, dfd, nm.v[i], len + n, image_dir, &deletes);
		if (rc < 0 && w->err->code == 0)
			berth_err_set(w->err, rc, "%s: %s", w->path,
			    strerror(-rc));
	}
	/* An opaque directory deletes what the image had in it. */
	w->path[len] = '\0';
	if (rc == 0 && opaque && image_dir &&
	    (rc = image_list(w->t, len ? w->path + 1 : "", &img)) == 0) {
		for (i = 0; i < img.n && rc == 0; i++) {
			if (names_has(&nm, img.v[i]))
				continue;
			snprintf(w->path + len, sizeof(w->path) - len, "/%s",
			    img.v[i]);
			rc = change_insert(&deletes, deletes.n, w->path,
			    IMAGES_CHANGE_DELETE);
		}
		names_free(&img);
		w->path[len] = '\0';
	}
	/* Deletions after the rest, as Docker's addChanges puts them. */
	if (deletes.n > 1)
		qsort(deletes.v, deletes.n, sizeof(*deletes.v), change_cmp);
	for (i = 0; i < deletes.n && rc == 0; i++)
		rc = change_insert(w->out, w->out->n, deletes.v[i].path,
		    IMAGES_CHANGE_DELETE);
	images_changes_free(&deletes);
	names_free(&nm);
	w->depth--;
	if (rc < 0 && w->err->code == 0)
		berth_err_set(w->err, rc, "%s: %s", w->path, strerror(-rc));
	return rc;
}

int
images_rw_changes(const struct images_rw_tree *t, struct images_changes *out,
    struct berth_err *err)
{
	struct walk	*w;
	int		 rc;

	out->v = NULL;
	out->n = out->cap = 0;
	if (t->upper < 0)
		return 0;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return berth_err_set(err, -ENOMEM, "out of memory");
	w->t = t;
	w->out = out;
	w->err = err;
	rc = walk_dir(w, t->upper, 0, 1, 0);
	free(w);
	if (rc < 0)
		images_changes_free(out);
	return rc;
}

/* --- the upper directory as a tar ------------------------------------------- */

struct hardlink {
	dev_t	 dev;
	ino_t	 ino;
	char	*name;
};

struct tarw {
	const struct images_rw_tree	*t;
	struct archive			*a;
	struct berth_err		*err;
	char				*buf;
	char				 path[PATH_MAX];	/* "a/b" */
	struct hardlink			*links;
	size_t				 nlinks;
	int				 depth;
};

static int
tar_fail(struct tarw *tw, const char *what)
{
	return berth_err_set(tw->err, -EIO, "commit: %s %s: %s", what,
	    tw->path, archive_error_string(tw->a) ?
	    archive_error_string(tw->a) : "tar failed");
}

static struct archive_entry *
tar_entry(const char *name, const struct stat *st)
{
	struct archive_entry	*e;

	if ((e = archive_entry_new()) == NULL)
		return NULL;
	archive_entry_set_pathname(e, name);
	archive_entry_set_uid(e, st->st_uid);
	archive_entry_set_gid(e, st->st_gid);
	archive_entry_set_mtime(e, st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
	return e;
}

/* An empty regular file standing for a whiteout. */
static int
tar_marker(struct tarw *tw, const char *name, const struct stat *st,
    mode_t perm)
{
	struct archive_entry	*e;
	int			 r;

	if ((e = tar_entry(name, st)) == NULL)
		return berth_err_set(tw->err, -ENOMEM, "out of memory");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, perm);
	archive_entry_set_size(e, 0);
	r = archive_write_header(tw->a, e);
	archive_entry_free(e);
	return r < ARCHIVE_WARN ? tar_fail(tw, "write") : 0;
}

static int
tar_data(struct tarw *tw, int dfd, const char *name, off_t size)
{
	off_t	done = 0;
	ssize_t	n = 0;
	size_t	want;
	int	fd, rc = 0;

	/* O_NONBLOCK: something swapped in for a FIFO must not hang us. */
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK |
	    O_CLOEXEC);
	while (done < size) {
		want = (size_t)(size - done) < COPYSZ ?
		    (size_t)(size - done) : COPYSZ;
		if (fd == -1 || (n = read(fd, tw->buf, want)) <= 0) {
			if (fd != -1 && n < 0 && errno == EINTR)
				continue;
			/* Shrunk meanwhile: the header said size, pad. */
			memset(tw->buf, 0, want);
			n = (ssize_t)want;
		}
		if (archive_write_data(tw->a, tw->buf, (size_t)n) != n) {
			rc = tar_fail(tw, "write");
			break;
		}
		done += n;
	}
	if (fd != -1)
		close(fd);
	return rc;
}

/* A regular file seen before under another name: its path, or NULL. */
static const char *
tar_link(struct tarw *tw, const struct stat *st, int *rc)
{
	struct hardlink	*grown;
	size_t		 i;

	*rc = 0;
	if (st->st_nlink < 2)
		return NULL;
	for (i = 0; i < tw->nlinks; i++)
		if (tw->links[i].dev == st->st_dev &&
		    tw->links[i].ino == st->st_ino)
			return tw->links[i].name;
	if ((grown = realloc(tw->links, (tw->nlinks + 1) *
	    sizeof(*grown))) == NULL ||
	    (grown[tw->nlinks].name = strdup(tw->path)) == NULL) {
		if (grown != NULL)
			tw->links = grown;
		*rc = berth_err_set(tw->err, -ENOMEM, "out of memory");
		return NULL;
	}
	tw->links = grown;
	grown[tw->nlinks].dev = st->st_dev;
	grown[tw->nlinks].ino = st->st_ino;
	tw->nlinks++;
	return NULL;
}

static int	tar_dir(struct tarw *, int, size_t);

static int
tar_one(struct tarw *tw, int dfd, const char *name, size_t len)
{
	struct archive_entry	*e;
	struct stat		 st;
	char			 wh[NAME_MAX + 8], target[PATH_MAX];
	char			 cap[CAP_MAX];
	const char		*slash, *link = NULL;
	ssize_t			 n;
	int			 rc = 0, cfd;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return 0;
	if (images_rw_whiteout_name(name, &st, wh, sizeof(wh)) == 1) {
		slash = strrchr(tw->path, '/');
		snprintf(target, sizeof(target), "%.*s%s",
		    slash ? (int)(slash - tw->path + 1) : 0, tw->path, wh);
		return tar_marker(tw, target, &st, 0600);
	}
	if ((e = tar_entry(tw->path, &st)) == NULL)
		return berth_err_set(tw->err, -ENOMEM, "out of memory");
	archive_entry_set_mode(e, st.st_mode);
	if (S_ISREG(st.st_mode)) {
		if ((link = tar_link(tw, &st, &rc)) != NULL)
			archive_entry_set_hardlink(e, link);
		else
			archive_entry_set_size(e, st.st_size);
	} else if (S_ISLNK(st.st_mode)) {
		if ((n = readlinkat(dfd, name, target, sizeof(target) - 1)) < 0)
			n = 0;
		target[n] = '\0';
		archive_entry_set_symlink(e, target);
	} else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
		archive_entry_set_rdevmajor(e, major(st.st_rdev));
		archive_entry_set_rdevminor(e, minor(st.st_rdev));
	} else if (S_ISSOCK(st.st_mode)) {
		archive_entry_free(e);
		return 0;	/* tar has no sockets; Go's skips them too */
	}
	if (!S_ISLNK(st.st_mode) && (n = xattr_at(dfd, name, XATTR_CAP, cap,
	    sizeof(cap))) > 0)
		archive_entry_xattr_add_entry(e, XATTR_CAP, cap, (size_t)n);
	if (rc == 0 && archive_write_header(tw->a, e) < ARCHIVE_WARN)
		rc = tar_fail(tw, "write");
	archive_entry_free(e);
	if (rc < 0)
		return rc;
	if (S_ISREG(st.st_mode) && link == NULL)
		return tar_data(tw, dfd, name, st.st_size);
	if (!S_ISDIR(st.st_mode))
		return 0;
	if (is_opaque(dfd, name)) {
		if (snprintf(target, sizeof(target), "%s/%s", tw->path,
		    WH_OPAQUE) >= (int)sizeof(target))
			return berth_err_set(tw->err, -ENAMETOOLONG,
			    "%.64s...: name too long", tw->path);
		if ((rc = tar_marker(tw, target, &st, st.st_mode & 0777)) < 0)
			return rc;
	}
	if ((cfd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return 0;
	rc = tar_dir(tw, cfd, len);
	close(cfd);
	return rc;
}

static int
tar_dir(struct tarw *tw, int dfd, size_t len)
{
	struct names	nm;
	size_t		i, n;
	int		rc;

	if (++tw->depth > WALK_DEPTH_MAX) {
		tw->depth--;
		return berth_err_set(tw->err, -ELOOP, "%s: too deep",
		    tw->path);
	}
	if ((rc = names_read(dfd, &nm)) < 0) {
		tw->depth--;
		return berth_err_set(tw->err, rc, "read /%s: %s", tw->path,
		    strerror(-rc));
	}
	for (i = 0; i < nm.n && rc == 0; i++) {
		n = (size_t)snprintf(tw->path + len, sizeof(tw->path) - len,
		    "%s%s", len ? "/" : "", nm.v[i]);
		if (len + n >= sizeof(tw->path)) {
			rc = berth_err_set(tw->err, -ENAMETOOLONG,
			    "%.64s...: name too long", tw->path);
			break;
		}
		rc = tar_one(tw, dfd, nm.v[i], len + n);
	}
	tw->path[len] = '\0';
	names_free(&nm);
	tw->depth--;
	return rc;
}

int
images_rw_tar(const struct images_rw_tree *t, int fd, struct berth_err *err)
{
	struct tarw	tw;
	size_t		i;
	int		rc = 0;

	memset(&tw, 0, sizeof(tw));
	tw.t = t;
	tw.err = err;
	if ((tw.buf = malloc(COPYSZ)) == NULL ||
	    (tw.a = archive_write_new()) == NULL) {
		free(tw.buf);
		return berth_err_set(err, -ENOMEM, "out of memory");
	}
	/* One block at the end: an empty tree is the empty tar's 1024. */
	if (archive_write_set_format_pax_restricted(tw.a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(tw.a, 1) != ARCHIVE_OK ||
	    archive_write_open_fd(tw.a, fd) != ARCHIVE_OK)
		rc = tar_fail(&tw, "open");
	if (rc == 0 && t->upper >= 0)
		rc = tar_dir(&tw, t->upper, 0);
	if (rc == 0 && archive_write_close(tw.a) != ARCHIVE_OK)
		rc = tar_fail(&tw, "close");
	archive_write_free(tw.a);
	for (i = 0; i < tw.nlinks; i++)
		free(tw.links[i].name);
	free(tw.links);
	free(tw.buf);
	return rc;
}
