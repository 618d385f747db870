/*
 * containers_untar.c - extract a tar into a directory of a container
 * (PUT /containers/{id}/archive): the worker side.
 *
 * Docker's rules (pkg/archive's Untar, run chrooted in the container's
 * root): every name is taken under the destination, and one that
 * climbs out of it ("../x", "a/../../x") fails the extraction; an
 * absolute name lands under the destination too.  A symlink whose
 * relative target climbs out of the destination, or a hard link to a
 * name outside it, fails the same way.  What is in the way is replaced,
 * unless both are directories (or noOverwriteDirNonDir forbids a
 * directory/non-directory swap).  Owners are the archive's, or the
 * container user's with copyUIDGID; directory times are set last.
 *
 * Containment does not rest on those checks.  Each entry's parent is
 * resolved with openat2(RESOLVE_IN_ROOT) from the container's root fd,
 * so a symlink extracted earlier (or one a running container swaps in)
 * leads back into the container, never to the host; the entry itself is
 * made with O_EXCL|O_NOFOLLOW or *at calls that do not follow, and
 * changed only through an fd of its own.
 */
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include <berth/untar.h>

#include "containers.h"

#define UNTAR_READSZ	(64u << 10)

struct ux_dir {
	char		*path;		/* in the container */
	struct timespec	 ts[2];
};

struct ux {
	int			 rootfd;
	const struct ctr_untar	*o;
	struct archive		*a;
	struct berth_err	*err;
	size_t			 dlen;		/* strlen(dest) */
	struct berth_parent	 parent;	/* the last one resolved */
	struct ux_dir		*dirs;
	size_t			 ndirs, capdirs;
};

/* path is dest itself or below it (both clean). */
static int
ux_under(const struct ux *x, const char *path)
{
	const char	*d = x->o->dest;

	if (strcmp(d, "/") == 0)
		return 1;
	return strncmp(path, d, x->dlen) == 0 &&
	    (path[x->dlen] == '\0' || path[x->dlen] == '/');
}

/*
 * Docker's rule for an existing name: an error with noOverwriteDirNonDir
 * for a directory/non-directory swap; kept if both are directories;
 * removed otherwise.  1 if a directory stays, 0 if the way is clear.
 */
static int
ux_clear(struct ux *x, int pfd, const char *base, const char *path,
    int isdir)
{
	struct stat	st;
	int		rc;

	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return errno == ENOENT ? 0 :
		    berth_err_errno(x->err, "lstat %s", path);
	if (x->o->no_overwrite && S_ISDIR(st.st_mode) && !isdir)
		return berth_err_set(x->err, -EIO,
		    "cannot overwrite directory \"%s\" "
		    "with non-directory \"%s\"", path, x->o->dest);
	if (x->o->no_overwrite && !S_ISDIR(st.st_mode) && isdir)
		return berth_err_set(x->err, -EIO,
		    "cannot overwrite non-directory "
		    "\"%s\" with directory \"%s\"", path, x->o->dest);
	if (S_ISDIR(st.st_mode) && isdir)
		return 1;
	if ((rc = berth_rmtree_at(pfd, base)) < 0)
		return berth_err_set(x->err, rc,
		    "remove %s: %s", path, strerror(-rc));
	return 0;
}

/* --- one entry ----------------------------------------------------------- */

static uid_t
ux_uid(struct ux *x, struct archive_entry *e)
{
	return x->o->chown ? x->o->uid : (uid_t)archive_entry_uid(e);
}

static gid_t
ux_gid(struct ux *x, struct archive_entry *e)
{
	return x->o->chown ? x->o->gid : (gid_t)archive_entry_gid(e);
}

static int
ux_file(struct ux *x, struct archive_entry *e, int pfd, const char *base,
    const char *path)
{
	int	rc;

	rc = berth_untar_file(x->a, e, pfd, base, ux_uid(x, e), ux_gid(x, e),
	    path, NULL, x->err);
	if (rc == BERTH_UNTAR_EARCHIVE)
		return berth_err_set(x->err, -EIO,
		    "Error processing tar file: %s",
		    archive_error_string(x->a) ? archive_error_string(x->a) :
		    "unexpected EOF");
	return rc;
}

static int
ux_dir(struct ux *x, struct archive_entry *e, int pfd, const char *base,
    const char *path, int exists)
{
	struct ux_dir	*grown;
	size_t		 cap;
	int		 rc;

	if ((rc = berth_untar_dir(e, pfd, base, exists, ux_uid(x, e),
	    ux_gid(x, e), path, x->err)) < 0)
		return rc;
	/* Times last: whatever lands inside would move them. */
	if (x->ndirs == x->capdirs) {
		cap = x->capdirs ? x->capdirs * 2 : 64;
		if ((grown = realloc(x->dirs, cap * sizeof(*grown))) == NULL)
			return berth_err_set(x->err, -ENOMEM, "out of memory");
		x->dirs = grown;
		x->capdirs = cap;
	}
	if ((x->dirs[x->ndirs].path = strdup(path)) == NULL)
		return berth_err_set(x->err, -ENOMEM, "out of memory");
	berth_untar_times(e, x->dirs[x->ndirs].ts);
	x->ndirs++;
	return 0;
}

static int
ux_symlink(struct ux *x, struct archive_entry *e, int pfd, const char *base,
    const char *path)
{
	const char	*target = archive_entry_symlink(e);
	char		 joined[2 * PATH_MAX + 2], clean[PATH_MAX];

	if (target == NULL || *target == '\0')
		return berth_err_set(x->err, -EIO,
		    "invalid symlink \"%s\"", path);
	/* Docker's check: the target taken from the link's directory. */
	snprintf(joined, sizeof(joined), "%.*s/%s",
	    (int)(strrchr(path, '/') - path), path, target);
	if (containers_path_clean(joined, clean, sizeof(clean)) < 0 ||
	    !ux_under(x, clean))
		return berth_err_set(x->err, -EIO,
		    "invalid symlink \"%s\" -> \"%s\"",
		    path, target);
	return berth_untar_symlink(e, pfd, base, target, ux_uid(x, e),
	    ux_gid(x, e), path, x->err);
}

static int
ux_hardlink(struct ux *x, struct archive_entry *e, int pfd,
    const char *base, const char *path)
{
	const char	*target = archive_entry_hardlink(e);
	char		 joined[2 * PATH_MAX + 2], clean[PATH_MAX];
	struct stat	 st;
	int		 tfd, rc;

	/* Docker's: the target is a name in the archive, under dest. */
	snprintf(joined, sizeof(joined), "%s/%s", x->o->dest, target);
	if (containers_path_clean(joined, clean, sizeof(clean)) < 0 ||
	    !ux_under(x, clean))
		return berth_err_set(x->err, -EIO,
		    "invalid hardlink \"%s\" -> \"%s\"",
		    path, target);
	if ((tfd = berth_open_in_root(x->rootfd, clean, O_PATH | O_NOFOLLOW,
	    0)) < 0)
		return berth_err_set(x->err, tfd,
		    "invalid hardlink \"%s\" -> \"%s\": %s",
		    path, target, strerror(-tfd));
	if (fstat(tfd, &st) == -1 || S_ISDIR(st.st_mode)) {
		close(tfd);
		return berth_err_set(x->err, -EIO,
		    "invalid hardlink \"%s\" -> \"%s\"",
		    path, target);
	}
	rc = berth_untar_hardlink(tfd, pfd, base, path, x->err);
	close(tfd);
	return rc;
}

static int
ux_entry(struct ux *x, struct archive_entry *e)
{
	const char	*name = archive_entry_pathname(e), *base;
	char		 joined[2 * PATH_MAX + 2], path[PATH_MAX];
	char		 dir[PATH_MAX];
	mode_t		 type = archive_entry_filetype(e);
	int		 isdir, pfd, rc;

	if (name == NULL)
		return berth_err_set(x->err, -EIO,
		    "an entry has no usable name");
	snprintf(joined, sizeof(joined), "%s/%s", x->o->dest, name);
	if (containers_path_clean(joined, path, sizeof(path)) < 0)
		return berth_err_set(x->err, -EIO,
		    "\"%s\" has too long a name", name);
	if (!ux_under(x, path))
		return berth_err_set(x->err, -EIO,
		    "\"%s\" is outside of \"%s\"", name,
		    x->o->dest);
	isdir = type == AE_IFDIR && archive_entry_hardlink(e) == NULL;
	if (strcmp(path, x->o->dest) == 0)
		return 0;	/* the destination itself: it stays */
	base = strrchr(path, '/') + 1;
	snprintf(dir, sizeof(dir), "%.*s",
	    base - 1 == path ? 1 : (int)(base - 1 - path), path);
	if ((pfd = berth_parent_get(&x->parent, x->rootfd, dir, 0)) < 0)
		return berth_err_set(x->err, pfd,
		    "cannot extract \"%s\": %s", name,
		    strerror(-pfd));
	if ((rc = ux_clear(x, pfd, base, path, isdir)) < 0)
		return rc;
	if (archive_entry_hardlink(e) != NULL)
		return ux_hardlink(x, e, pfd, base, path);
	switch (type) {
	case AE_IFREG:
		return ux_file(x, e, pfd, base, path);
	case AE_IFDIR:
		return ux_dir(x, e, pfd, base, path, rc == 1);
	case AE_IFLNK:
		return ux_symlink(x, e, pfd, base, path);
	case AE_IFCHR:
	case AE_IFBLK:
		return berth_untar_node(e, pfd, base,
		    type == AE_IFCHR ? S_IFCHR : S_IFBLK,
		    makedev(archive_entry_rdevmajor(e),
		    archive_entry_rdevminor(e)), ux_uid(x, e), ux_gid(x, e),
		    path, x->err);
	case AE_IFIFO:
		return berth_untar_node(e, pfd, base, S_IFIFO, 0, ux_uid(x, e),
		    ux_gid(x, e), path, x->err);
	default:
		return 0;	/* as Docker: what it cannot make, skipped */
	}
}

static void
ux_dir_times(struct ux *x)
{
	size_t	i;
	int	fd;

	for (i = x->ndirs; i > 0; i--) {
		fd = berth_open_in_root(x->rootfd, x->dirs[i - 1].path,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
		if (fd < 0)
			continue;
		(void)futimens(fd, x->dirs[i - 1].ts);
		close(fd);
	}
}

/*
 * Extract the tar (maybe gzip, bzip2 or xz compressed) read from in into
 * o->dest, a clean absolute directory of the container whose root is
 * rootfd.  in stays the caller's.  0 or -errno with err.
 */
int
containers_untar(int rootfd, const struct ctr_untar *o, int in,
    struct berth_err *err)
{
	struct archive_entry	*e;
	struct ux		 x;
	size_t			 i;
	int			 r, rc = 0;

	memset(&x, 0, sizeof(x));
	x.rootfd = rootfd;
	x.o = o;
	x.err = err;
	x.parent = (struct berth_parent)BERTH_PARENT_INIT;
	x.dlen = strlen(o->dest);
	if ((x.a = archive_read_new()) == NULL)
		return berth_err_set(err, -ENOMEM, "out of memory");
	/* Decompressors in-process only: never a helper program. */
	(void)archive_read_support_filter_gzip(x.a);
	if (archive_bzlib_version() != NULL)
		(void)archive_read_support_filter_bzip2(x.a);
	if (archive_liblzma_version() != NULL)
		(void)archive_read_support_filter_xz(x.a);
	if (archive_read_support_format_tar(x.a) != ARCHIVE_OK ||
	    archive_read_open_fd(x.a, in, UNTAR_READSZ) != ARCHIVE_OK) {
		rc = berth_err_set(x.err, -EIO, "Error processing tar file: %s",
		    archive_error_string(x.a) ? archive_error_string(x.a) :
		    "cannot read");
		goto out;
	}
	for (;;) {
		r = archive_read_next_header(x.a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			rc = berth_err_set(x.err, -EIO,
			    "Error processing tar file: %s",
			    archive_error_string(x.a) ?
			    archive_error_string(x.a) : "unexpected EOF");
			goto out;
		}
		if ((rc = ux_entry(&x, e)) < 0)
			goto out;
		rc = 0;
	}
	ux_dir_times(&x);
out:
	berth_parent_forget(&x.parent);
	for (i = 0; i < x.ndirs; i++)
		free(x.dirs[i].path);
	free(x.dirs);
	archive_read_free(x.a);
	return rc;
}
