/*
 * images_layer.c - unpack one layer, safely, while computing its diff ID.
 *
 * The raw stream (maybe gzip, bzip2, xz or zstd) goes through two
 * libarchive readers: a "raw" one that only decompresses, whose output
 * is hashed (the diff ID) and copied to the layer's blob, and a tar one
 * that reads from it.  Both digests and the blob come from the one pass.
 *
 * Extraction never leaves the layer's directory.  Every path is resolved
 * with openat2(RESOLVE_IN_ROOT), which confines absolute symlinks and
 * ".." to the layer as a chroot would (that is how Docker unpacks: in a
 * chroot).  On top, as Docker refuses them: names that are absolute or
 * climb out lexically, relative symlinks that point out, hardlinks to
 * outside.  Files are created with O_EXCL|O_NOFOLLOW relative to their
 * parent's fd, so nothing is ever written through a symlink.
 *
 * AUFS whiteouts become overlayfs ones: ".wh.NAME" a 0:0 character
 * device NAME, ".wh..wh..opq" the trusted.overlay.opaque xattr.  The
 * blob keeps the original entries, so a save gives the layer back
 * byte for byte.
 */
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


#include <archive.h>
#include <archive_entry.h>

#include <berth/inroot.h>
#include <berth/untar.h>

#include "images.h"

#define BUFSZ		(128u << 10)
#define WH_PREFIX	".wh."
#define WH_META		".wh..wh."
#define WH_OPAQUE	".wh..wh..opq"

struct dirtime {
	char		*name;
	struct timespec	 ts[2];
};

struct xctx {
	struct images_unpack	*u;
	struct archive		*raw;		/* decompresses */
	struct archive		*tar;		/* reads the tar from raw */
	struct images_sha	*diff;
	struct images_sha	*rawsha;
	char			*buf;		/* the tar reader's window */
	int			 read_failed;	/* the source, not the data */
	int			 blob_failed;
	struct berth_parent	 parent;	/* the last one resolved */
	struct dirtime		*dirs;
	size_t			 ndirs, capdirs;
};

/* --- paths ------------------------------------------------------------- */

int
images_path_clean(const char *in, char *out, size_t len, int clamp)
{
	const char	*p = in, *end;
	size_t		 o = 0, n;

	if (*p == '/' && !clamp)
		return -EINVAL;
	out[0] = '\0';
	while (*p != '\0') {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		for (end = p; *end != '\0' && *end != '/'; end++)
			;
		n = (size_t)(end - p);
		if (n == 1 && p[0] == '.') {
			/* nothing */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (o == 0) {
				if (!clamp)
					return -EINVAL;
			} else {
				while (o > 0 && out[o - 1] != '/')
					o--;
				if (o > 0)
					o--;
				out[o] = '\0';
			}
		} else {
			if (o + (o > 0) + n + 1 > len)
				return -ENAMETOOLONG;
			if (o > 0)
				out[o++] = '/';
			memcpy(out + o, p, n);
			o += n;
			out[o] = '\0';
		}
		p = end;
	}
	return 0;
}

int
images_symlink_inside(const char *name, const char *target)
{
	char		 joined[2 * PATH_MAX + 2], clean[PATH_MAX];
	const char	*slash;

	if (target[0] == '/')
		return 1;	/* resolved in the root, like a chroot */
	slash = strrchr(name, '/');
	snprintf(joined, sizeof(joined), "%.*s/%s",
	    slash ? (int)(slash - name) : 0, name, target);
	return images_path_clean(joined[0] == '/' ? joined + 1 : joined,
	    clean, sizeof(clean), 0) == 0;
}

int
images_sniff(const void *buf, size_t len)
{
	static const unsigned char	 xz[] = { 0xfd, '7', 'z', 'X', 'Z', 0 };
	static const unsigned char	 zstd[] = { 0x28, 0xb5, 0x2f, 0xfd };
	const unsigned char		*b = buf;
	size_t				 i;

	if (len >= 2 && b[0] == 0x1f && b[1] == 0x8b)
		return IMAGES_SNIFF_TAR;
	if (len >= 3 && memcmp(b, "BZh", 3) == 0)
		return IMAGES_SNIFF_TAR;
	if (len >= sizeof(xz) && memcmp(b, xz, sizeof(xz)) == 0)
		return IMAGES_SNIFF_TAR;
	if (len >= sizeof(zstd) && memcmp(b, zstd, sizeof(zstd)) == 0)
		return IMAGES_SNIFF_TAR;
	if (len >= 262 && memcmp(b + 257, "ustar", 5) == 0)
		return IMAGES_SNIFF_TAR;
	if (len >= 512) {
		for (i = 0; i < 512 && b[i] == 0; i++)
			;
		if (i == 512)
			return IMAGES_SNIFF_TAR;	/* an empty tar */
	}
	for (i = 0; i < len && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' ||
	    b[i] == '\t'); i++)
		;
	if (i < len && (b[i] == '{' || b[i] == '['))
		return IMAGES_SNIFF_JSON;
	return IMAGES_SNIFF_OTHER;
}

/* --- the streams ------------------------------------------------------- */

static la_ssize_t
raw_read(struct archive *a, void *arg, const void **buf)
{
	struct xctx	*x = arg;
	ssize_t		 n;

	n = x->u->read(x->u->read_arg, buf);
	if (n < 0) {
		/* The reader may have said why in u->err. */
		x->read_failed = 1;
		if (x->u->err.code == 0)
			berth_err_set(&x->u->err, -EIO,
			    "reading the archive failed");
		archive_set_error(a, EIO, "%s", x->u->err.msg);
		return -1;
	}
	images_sha_update(x->rawsha, *buf, (size_t)n);
	x->u->raw_size += (uint64_t)n;
	if (x->u->progress != NULL && n > 0)
		x->u->progress(x->u->progress_arg, x->u->raw_size);
	return n;
}

static int
blob_write(struct xctx *x, const char *p, size_t len)
{
	ssize_t	n;

	while (len > 0 && x->u->blobfd >= 0 && !x->blob_failed) {
		if ((n = write(x->u->blobfd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			x->blob_failed = errno;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return x->blob_failed ? -1 : 0;
}

/* Decompressed bytes: hashed, kept in the blob, then handed to tar. */
static ssize_t
pull(struct xctx *x)
{
	la_ssize_t	n;

	n = archive_read_data(x->raw, x->buf, BUFSZ);
	if (n <= 0)
		return n;
	images_sha_update(x->diff, x->buf, (size_t)n);
	x->u->tar_size += (uint64_t)n;
	if (blob_write(x, x->buf, (size_t)n) < 0)
		return -1;
	return n;
}

static la_ssize_t
tee_read(struct archive *a, void *arg, const void **buf)
{
	struct xctx	*x = arg;
	ssize_t		 n;

	*buf = x->buf;
	if ((n = pull(x)) < 0) {
		archive_set_error(a, EIO, "%s", x->blob_failed ?
		    strerror(x->blob_failed) :
		    archive_error_string(x->raw) ? archive_error_string(x->raw) :
		    "decompression failed");
		return -1;
	}
	return n;
}

/* --- one entry ---------------------------------------------------------- */

__attribute__((format(printf, 3, 4)))
static int
x_fail(struct xctx *x, int code, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	berth_err_vset(&x->u->err, code, fmt, ap);
	va_end(ap);
	return code;
}

/* Errors that say the archive is bad, not the machine: 400s. */
static int
content_err(int rc)
{
	switch (rc) {
	case -ENOENT:
	case -ENOTDIR:
	case -EXDEV:
	case -ELOOP:
	case -ENAMETOOLONG:
	case -EEXIST:
	case -EISDIR:
		return -EINVAL;
	default:
		return rc;
	}
}

static int
x_file(struct xctx *x, struct archive_entry *e, int pfd, const char *base,
    const char *name)
{
	int64_t	size = 0;
	int	rc;

	rc = berth_untar_file(x->tar, e, pfd, base, (uid_t)archive_entry_uid(e),
	    (gid_t)archive_entry_gid(e), name, &size, &x->u->err);
	if (rc == BERTH_UNTAR_EARCHIVE)
		return -EINVAL;		/* lib_error words it */
	if (rc == 0)
		x->u->size += (uint64_t)size;
	return rc;
}

static int
x_dir(struct xctx *x, struct archive_entry *e, int pfd, const char *base,
    const char *name)
{
	struct dirtime	*grown;
	size_t		 cap;
	int		 rc;

	if ((rc = berth_untar_dir(e, pfd, base, 0, (uid_t)archive_entry_uid(e),
	    (gid_t)archive_entry_gid(e), name, &x->u->err)) < 0)
		return rc;
	/* Times last: whatever lands inside would move them. */
	if (x->ndirs == x->capdirs) {
		cap = x->capdirs ? x->capdirs * 2 : 64;
		if ((grown = realloc(x->dirs, cap * sizeof(*grown))) == NULL)
			return berth_err_set(&x->u->err, -ENOMEM,
			    "out of memory");
		x->dirs = grown;
		x->capdirs = cap;
	}
	if ((x->dirs[x->ndirs].name = strdup(name)) == NULL)
		return berth_err_set(&x->u->err, -ENOMEM, "out of memory");
	berth_untar_times(e, x->dirs[x->ndirs].ts);
	x->ndirs++;
	return 0;
}

static int
x_link(struct xctx *x, struct archive_entry *e, int pfd, const char *base,
    const char *name)
{
	const char	*target = archive_entry_hardlink(e);
	char		 clean[PATH_MAX];
	struct stat	 st;
	int		 tfd, rc;

	if (images_path_clean(target, clean, sizeof(clean), 0) < 0 ||
	    clean[0] == '\0')
		return x_fail(x, -EINVAL, "invalid hardlink \"%s\" -> \"%s\"",
		    name, target);
	if ((tfd = berth_open_in_root(x->u->dirfd, clean, O_PATH | O_NOFOLLOW,
	    RESOLVE_NO_XDEV)) < 0)
		return x_fail(x, -EINVAL, "invalid hardlink \"%s\" -> \"%s\": "
		    "no such file in the layer", name, target);
	if (fstat(tfd, &st) == -1 || S_ISDIR(st.st_mode)) {
		close(tfd);
		return x_fail(x, -EINVAL, "invalid hardlink \"%s\" -> \"%s\"",
		    name, target);
	}
	rc = berth_untar_hardlink(tfd, pfd, base, name, &x->u->err);
	close(tfd);
	return rc;
}

static int
x_symlink(struct xctx *x, struct archive_entry *e, int pfd, const char *base,
    const char *name)
{
	const char	*target = archive_entry_symlink(e);
	int		 rc;

	if (target == NULL || !images_symlink_inside(name, target))
		return x_fail(x, -EINVAL, "invalid symlink \"%s\" -> \"%s\"",
		    name, target ? target : "");
	if ((rc = berth_untar_symlink(e, pfd, base, target,
	    (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e), name,
	    &x->u->err)) < 0)
		return rc;
	x->u->size += strlen(target);
	return 0;
}

/*
 * Replace what is at base, unless both are directories (Docker's rule).
 * The cached parent stays right: it is base's parent, not inside it.
 */
static int
x_clear(struct xctx *x, int pfd, const char *base, int isdir,
    const char *name)
{
	struct stat	st;
	int		rc;

	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return errno == ENOENT ? 0 :
		    berth_err_errno(&x->u->err, "stat %s", name);
	if (isdir && S_ISDIR(st.st_mode))
		return 0;
	if ((rc = berth_rmtree_at(pfd, base)) < 0)
		return berth_err_set(&x->u->err, rc, "remove %s: %s", name,
		    strerror(-rc));
	return 0;
}

static int
x_whiteout(struct xctx *x, struct archive_entry *e, const char *dir,
    const char *base, const char *name)
{
	const char	*target = base + sizeof(WH_PREFIX) - 1;
	struct timespec	 ts[2];
	int		 pfd, fd, rc;

	if ((pfd = berth_parent_get(&x->parent, x->u->dirfd, dir,
	    RESOLVE_NO_XDEV)) < 0)
		return x_fail(x, content_err(pfd), "cannot unpack \"%s\": %s",
		    name, strerror(-pfd));
	if (strcmp(base, WH_OPAQUE) == 0) {
		if ((fd = openat(pfd, ".", O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC)) == -1)
			return berth_err_errno(&x->u->err, "open %s", dir);
		rc = fsetxattr(fd, "trusted.overlay.opaque", "y", 1, 0);
		close(fd);
		if (rc == -1)
			return berth_err_errno(&x->u->err,
			    "mark %s opaque", dir);
		return 0;
	}
	if (strncmp(base, WH_META, sizeof(WH_META) - 1) == 0)
		return 0;	/* AUFS bookkeeping: nothing to carry */
	if (*target == '\0' || strcmp(target, ".") == 0 ||
	    strcmp(target, "..") == 0)
		return x_fail(x, -EINVAL, "invalid whiteout \"%s\"", name);
	if ((rc = x_clear(x, pfd, target, 0, name)) < 0)
		return rc;
	if (mknodat(pfd, target, S_IFCHR, makedev(0, 0)) == -1)
		return berth_err_errno(&x->u->err, "whiteout %s", name);
	(void)fchownat(pfd, target, (uid_t)archive_entry_uid(e),
	    (gid_t)archive_entry_gid(e), AT_SYMLINK_NOFOLLOW);
	berth_untar_times(e, ts);
	(void)utimensat(pfd, target, ts, AT_SYMLINK_NOFOLLOW);
	return 0;
}

static int
x_entry(struct xctx *x, struct archive_entry *e)
{
	const char	*path = archive_entry_pathname(e), *slash, *base;
	char		 name[PATH_MAX], dir[PATH_MAX];
	mode_t		 type = archive_entry_filetype(e);
	int		 pfd, rc;

	if (path == NULL)
		return x_fail(x, -EINVAL, "an entry has no usable name");
	if ((rc = images_path_clean(path, name, sizeof(name), 0)) < 0)
		return x_fail(x, -EINVAL, "\"%s\" %s", path,
		    rc == -ENAMETOOLONG ? "has too long a name" :
		    "is outside of the layer");
	if (name[0] == '\0')
		return 0;	/* the root itself */
	slash = strrchr(name, '/');
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - name) : 0,
	    name);
	base = slash ? slash + 1 : name;
	if (strncmp(base, WH_PREFIX, sizeof(WH_PREFIX) - 1) == 0)
		return x_whiteout(x, e, dir, base, name);

	if ((pfd = berth_parent_get(&x->parent, x->u->dirfd, dir,
	    RESOLVE_NO_XDEV)) < 0)
		return x_fail(x, content_err(pfd), "cannot unpack \"%s\": %s",
		    name, strerror(-pfd));
	if ((rc = x_clear(x, pfd, base, type == AE_IFDIR &&
	    archive_entry_hardlink(e) == NULL, name)) < 0)
		return rc;
	if (archive_entry_hardlink(e) != NULL)
		return x_link(x, e, pfd, base, name);
	switch (type) {
	case AE_IFREG:
		return x_file(x, e, pfd, base, name);
	case AE_IFDIR:
		return x_dir(x, e, pfd, base, name);
	case AE_IFLNK:
		return x_symlink(x, e, pfd, base, name);
	case AE_IFCHR:
	case AE_IFBLK:
		return berth_untar_node(e, pfd, base,
		    type == AE_IFCHR ? S_IFCHR : S_IFBLK,
		    makedev(archive_entry_rdevmajor(e),
		    archive_entry_rdevminor(e)), (uid_t)archive_entry_uid(e),
		    (gid_t)archive_entry_gid(e), name, &x->u->err);
	case AE_IFIFO:
		return berth_untar_node(e, pfd, base, S_IFIFO, 0,
		    (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e),
		    name, &x->u->err);
	default:
		return 0;	/* sockets and the unknown: as Docker, skip */
	}
}

static void
x_dir_times(struct xctx *x)
{
	char		 parent[PATH_MAX];
	const char	*slash, *base;
	size_t		 i;
	int		 pfd;

	berth_parent_forget(&x->parent);
	for (i = x->ndirs; i > 0; i--) {
		slash = strrchr(x->dirs[i - 1].name, '/');
		snprintf(parent, sizeof(parent), "%.*s",
		    slash ? (int)(slash - x->dirs[i - 1].name) : 0,
		    x->dirs[i - 1].name);
		base = slash ? slash + 1 : x->dirs[i - 1].name;
		if ((pfd = berth_open_in_root(x->u->dirfd, parent,
		    O_PATH | O_DIRECTORY, RESOLVE_NO_XDEV)) < 0)
			continue;
		(void)utimensat(pfd, base, x->dirs[i - 1].ts,
		    AT_SYMLINK_NOFOLLOW);
		close(pfd);
	}
}

/* Decompressors in-process only: never a helper program from a worker. */
static int
add_filters(struct archive *a)
{
	if (archive_read_support_filter_gzip(a) != ARCHIVE_OK ||
	    archive_read_support_filter_bzip2(a) != ARCHIVE_OK ||
	    archive_read_support_filter_xz(a) != ARCHIVE_OK ||
	    archive_read_support_filter_zstd(a) != ARCHIVE_OK)
		return -1;
	return 0;
}

static int
lib_error(struct xctx *x, struct archive *a)
{
	const char	*msg = archive_error_string(a);

	if (x->u->err.code != 0)
		return x->u->err.code;
	if (x->read_failed)
		return berth_err_set(&x->u->err, -EPIPE,
		    "the archive ended early: the client went away");
	if (x->blob_failed)
		return berth_err_set(&x->u->err, -x->blob_failed,
		    "write layer blob: %s", strerror(x->blob_failed));
	return berth_err_set(&x->u->err, -EINVAL,
	    "Error processing tar file: %s", msg ? msg : "unexpected EOF");
}

int
images_layer_unpack(struct images_unpack *u)
{
	struct xctx		 x;
	struct archive_entry	*e;
	size_t			 i;
	int			 r, rc = 0;

	memset(&x, 0, sizeof(x));
	x.u = u;
	x.parent.fd = -1;
	u->size = u->tar_size = u->raw_size = 0;
	berth_err_clear(&u->err);
	if ((x.buf = malloc(BUFSZ)) == NULL ||
	    (x.diff = images_sha_new()) == NULL ||
	    (x.rawsha = images_sha_new()) == NULL ||
	    (x.raw = archive_read_new()) == NULL ||
	    (x.tar = archive_read_new()) == NULL) {
		rc = berth_err_set(&u->err, -ENOMEM, "out of memory");
		goto out;
	}
	if (add_filters(x.raw) < 0 ||
	    archive_read_support_format_raw(x.raw) != ARCHIVE_OK ||
	    archive_read_support_format_tar(x.tar) != ARCHIVE_OK) {
		rc = berth_err_set(&u->err, -ENOTSUP,
		    "libarchive lacks a decompressor");
		goto out;
	}
	if (archive_read_open(x.raw, &x, NULL, raw_read, NULL) != ARCHIVE_OK ||
	    archive_read_next_header(x.raw, &e) != ARCHIVE_OK) {
		rc = lib_error(&x, x.raw);
		goto out;
	}
	if (archive_read_open(x.tar, &x, NULL, tee_read, NULL) != ARCHIVE_OK) {
		rc = lib_error(&x, x.tar);
		goto out;
	}
	for (;;) {
		r = archive_read_next_header(x.tar, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			rc = lib_error(&x, x.tar);
			goto out;
		}
		if ((rc = x_entry(&x, e)) < 0) {
			if (u->err.code == 0)
				rc = lib_error(&x, x.tar);
			goto out;
		}
	}
	/* The tar's end is not the stream's: hash the padding too. */
	while ((r = (int)pull(&x)) > 0)
		;
	if (r < 0) {
		rc = lib_error(&x, x.raw);
		goto out;
	}
	x_dir_times(&x);
	if (u->blobfd >= 0 && fsync(u->blobfd) == -1) {
		rc = berth_err_errno(&u->err, "fsync layer blob");
		goto out;
	}
	/* One flush for every file unpacked, before the layer is named. */
	if (syncfs(u->dirfd) == -1) {
		rc = berth_err_errno(&u->err, "sync layer");
		goto out;
	}
	images_sha_final(x.diff, u->diff_hex);
	images_sha_final(x.rawsha, u->raw_hex);
	x.diff = x.rawsha = NULL;
out:
	berth_parent_forget(&x.parent);
	for (i = 0; i < x.ndirs; i++)
		free(x.dirs[i].name);
	free(x.dirs);
	if (x.tar != NULL)
		archive_read_free(x.tar);
	if (x.raw != NULL)
		archive_read_free(x.raw);
	images_sha_free(x.diff);
	images_sha_free(x.rawsha);
	free(x.buf);
	if (rc < 0 && u->err.code == 0)
		berth_err_set(&u->err, rc, "unpack failed");
	return rc < 0 ? rc : 0;
}

int
images_layer_write_size(int dirfd, const struct images_unpack *u,
    struct berth_err *err)
{
	char	line[64];

	snprintf(line, sizeof(line), "%llu %llu\n",
	    (unsigned long long)u->size, (unsigned long long)u->tar_size);
	return images_fs_write_atomic(dirfd, "size", line, strlen(line), err);
}
