/*
 * berth/untar.h - writing one tar entry, the half of a safe extraction
 * that does not depend on whose rules decide the names.
 *
 * The caller reads the archive (libarchive), decides what a name means
 * and whether it may be written (Docker's cp rules, a layer's whiteouts),
 * resolves the entry's parent with berth/inroot.h and clears what is in
 * the way.  These then make the entry as a name in that parent fd: made
 * with O_EXCL, O_NOFOLLOW or *at calls that do not follow, and changed
 * only through an fd of its own, so a link swapped in meanwhile (a running
 * container can) is never followed out of the root.
 *
 * For modules that link libarchive themselves; the SDK does not require
 * it otherwise.  Static inline, blocking: work functions only.  Every
 * function that fails sets err (name is the entry's name for it) and
 * returns -errno, except where BERTH_UNTAR_EARCHIVE is said.
 */
#ifndef BERTH_UNTAR_H
#define BERTH_UNTAR_H

#include <sys/stat.h>
#include <sys/xattr.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include <berth/err.h>

/* The archive itself failed to read: err untouched, the caller words it. */
#define BERTH_UNTAR_EARCHIVE	(-EBADMSG)

/* The entry's access and modification times (atime: mtime if unset). */
static inline void
berth_untar_times(struct archive_entry *e, struct timespec ts[2])
{
	ts[1].tv_sec = archive_entry_mtime(e);
	ts[1].tv_nsec = archive_entry_mtime_nsec(e);
	if (archive_entry_atime_is_set(e)) {
		ts[0].tv_sec = archive_entry_atime(e);
		ts[0].tv_nsec = archive_entry_atime_nsec(e);
	} else
		ts[0] = ts[1];
}

/*
 * The entry's extended attributes, as Docker restores them: one the
 * filesystem refuses is skipped.  overlayfs's own never: only the layer
 * store says what overlayfs sees.
 */
static inline void
berth_untar_xattrs(struct archive_entry *e, int fd)
{
	const char	*name;
	const void	*value;
	size_t		 size;

	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &name, &value, &size) ==
	    ARCHIVE_OK)
		if (strncmp(name, "trusted.overlay.", 16) != 0)
			(void)fsetxattr(fd, name, value, size, 0);
}

/* Owner, mode, xattrs and (if times) times, all through fd. */
static inline int
berth_untar_attrs(struct archive_entry *e, int fd, uid_t uid, gid_t gid,
    int times, const char *name, struct berth_err *err)
{
	struct timespec	ts[2];

	if (fchown(fd, uid, gid) == -1 ||
	    fchmod(fd, archive_entry_perm(e) & 07777) == -1)
		return berth_err_errno(err, "set owner and mode of %s", name);
	/* After the chown, which clears security.capability. */
	berth_untar_xattrs(e, fd);
	if (times) {
		berth_untar_times(e, ts);
		(void)futimens(fd, ts);
	}
	return 0;
}

/*
 * A regular file: base made in pfd, the entry's data read from a (holes
 * kept: a sparse file stays sparse, and may end in one), then its owner,
 * mode, xattrs and times.  *size gets the bytes the file holds.
 * BERTH_UNTAR_EARCHIVE if reading a failed.
 */
static inline int
berth_untar_file(struct archive *a, struct archive_entry *e, int pfd,
    const char *base, uid_t uid, gid_t gid, const char *name,
    int64_t *size, struct berth_err *err)
{
	const void	*buf;
	size_t		 len;
	la_int64_t	 off, end = 0;
	ssize_t		 n;
	int		 fd, r, rc = 0;

	if ((fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1)
		return berth_err_errno(err, "create %s", name);
	for (;;) {
		r = archive_read_data_block(a, &buf, &len, &off);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			rc = BERTH_UNTAR_EARCHIVE;
			goto out;
		}
		while (len > 0) {
			if ((n = pwrite(fd, buf, len, off)) < 0) {
				if (errno == EINTR)
					continue;
				rc = berth_err_errno(err, "write %s", name);
				goto out;
			}
			buf = (const char *)buf + n;
			len -= (size_t)n;
			off += n;
		}
		if (off > end)
			end = off;
	}
	if (archive_entry_size_is_set(e) && archive_entry_size(e) > end) {
		if (ftruncate(fd, archive_entry_size(e)) == -1) {
			rc = berth_err_errno(err, "truncate %s", name);
			goto out;
		}
		end = archive_entry_size(e);
	}
	if (size != NULL)
		*size = end;
	rc = berth_untar_attrs(e, fd, uid, gid, 1, name, err);
out:
	close(fd);
	return rc;
}

/*
 * A directory: base made in pfd unless exists says it is one already,
 * then its owner, mode and xattrs.  Not its times: whatever lands inside
 * would move them, so the caller sets them last (berth_untar_times).
 */
static inline int
berth_untar_dir(struct archive_entry *e, int pfd, const char *base,
    int exists, uid_t uid, gid_t gid, const char *name,
    struct berth_err *err)
{
	int	fd, rc;

	if (!exists && mkdirat(pfd, base, 0700) == -1 && errno != EEXIST)
		return berth_err_errno(err, "mkdir %s", name);
	if ((fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return berth_err_errno(err, "open %s", name);
	rc = berth_untar_attrs(e, fd, uid, gid, 0, name, err);
	close(fd);
	return rc;
}

/* A symlink to target (the caller has judged it), its owner and times. */
static inline int
berth_untar_symlink(struct archive_entry *e, int pfd, const char *base,
    const char *target, uid_t uid, gid_t gid, const char *name,
    struct berth_err *err)
{
	struct timespec	ts[2];

	if (symlinkat(target, pfd, base) == -1)
		return berth_err_errno(err, "symlink %s", name);
	(void)fchownat(pfd, base, uid, gid, AT_SYMLINK_NOFOLLOW);
	berth_untar_times(e, ts);
	(void)utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW);
	return 0;
}

/*
 * A hard link to tfd (an O_PATH fd on the target, resolved by the caller
 * inside the root, never a directory).
 */
static inline int
berth_untar_hardlink(int tfd, int pfd, const char *base, const char *name,
    struct berth_err *err)
{
	char	proc[64];

	if (linkat(tfd, "", pfd, base, AT_EMPTY_PATH) == 0)
		return 0;
	/* Without CAP_DAC_READ_SEARCH: through the fd's proc link. */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", tfd);
	if (linkat(AT_FDCWD, proc, pfd, base, AT_SYMLINK_FOLLOW) == -1)
		return berth_err_errno(err, "link %s", name);
	return 0;
}

/*
 * A device or a fifo (type S_IFCHR, S_IFBLK or S_IFIFO), its owner, mode
 * and times.  A node cannot be opened for them without opening the
 * device, so they go through its O_PATH fd's proc link, which names that
 * node and nothing swapped in for it.
 */
static inline int
berth_untar_node(struct archive_entry *e, int pfd, const char *base,
    mode_t type, dev_t dev, uid_t uid, gid_t gid, const char *name,
    struct berth_err *err)
{
	struct timespec	ts[2];
	struct stat	st;
	char		proc[64];
	int		fd, rc = 0;

	if (mknodat(pfd, base, type | 0600, dev) == -1)
		return berth_err_errno(err, "mknod %s", name);
	if ((fd = openat(pfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return berth_err_errno(err, "open %s", name);
	if (fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) != type) {
		close(fd);	/* not the node just made */
		return berth_err_set(err, -EEXIST, "%s was replaced while "
		    "being extracted", name);
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	berth_untar_times(e, ts);
	if (fchownat(fd, "", uid, gid, AT_EMPTY_PATH) == -1 ||
	    chmod(proc, archive_entry_perm(e) & 07777) == -1)
		rc = berth_err_errno(err, "set owner and mode of %s", name);
	else
		(void)utimensat(AT_FDCWD, proc, ts, 0);
	close(fd);
	return rc;
}

#endif
