/*
 * berth/inroot.h - paths taken inside a directory as if it were "/".
 *
 * Every path that comes from an image, a container or a client (an
 * image's /etc/passwd, a WorkingDir, a `docker cp` destination, a
 * layer's entries, a volume's mount point) is resolved with these, never
 * with open(2) on a joined string: openat2's RESOLVE_IN_ROOT makes "..",
 * absolute symlinks and relative ones that climb stop at the root, so a
 * hostile link leads back inside, never to the host.  Needs Linux 5.6.
 *
 * `resolve` adds RESOLVE_* bits to RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS
 * (RESOLVE_NO_XDEV where no mount may be crossed, 0 otherwise).
 *
 * Static inline, so a module links nothing from the core.  They block:
 * call them from `work` functions, never the loop.  Every fd returned is
 * O_CLOEXEC and the caller's to close, except berth_parent_get's.
 */
#ifndef BERTH_INROOT_H
#define BERTH_INROOT_H

#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/openat2.h>

/*
 * open path under rootfd (absolute or relative: both are taken from the
 * root; "" and "/" are the root itself).  flags as openat's; O_NOFOLLOW
 * leaves the last part unfollowed.  An fd or -errno.
 */
static inline int
berth_open_in_root(int rootfd, const char *path, int flags, uint64_t resolve)
{
	struct open_how	how;
	long		fd;

	while (*path == '/')
		path++;
	memset(&how, 0, sizeof(how));
	how.flags = (uint64_t)(unsigned)(flags | O_CLOEXEC);
	how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | resolve;
	/* EAGAIN: a rename raced the walk; the kernel asks for a retry. */
	do
		fd = syscall(SYS_openat2, rootfd, *path != '\0' ? path : ".",
		    &how, sizeof(how));
	while (fd < 0 && errno == EAGAIN);
	return fd < 0 ? -errno : (int)fd;
}

/*
 * mkdir -p of dir under rootfd: each missing part is made with mode in
 * its parent as resolved from the root, so a symlink met on the way is
 * followed inside the root.  Parts made here get uid and gid unless both
 * are -1.  An O_PATH fd on dir, or -errno (-ENOTDIR where a part is not
 * a directory, -ENOENT for a dangling link in the way).
 */
static inline int
berth_mkdirs_in_root(int rootfd, const char *dir, mode_t mode, uid_t uid,
    gid_t gid, uint64_t resolve)
{
	char	 buf[PATH_MAX], *p, *end;
	int	 pfd, fd;

	fd = berth_open_in_root(rootfd, dir, O_PATH | O_DIRECTORY, resolve);
	if (fd != -ENOENT)
		return fd;
	while (*dir == '/')
		dir++;
	if (snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	/* Walk down from the root: pfd is always buf's prefix so far. */
	if ((pfd = berth_open_in_root(rootfd, "", O_PATH | O_DIRECTORY,
	    resolve)) < 0)
		return pfd;
	for (p = buf; *p != '\0'; p = end) {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		for (end = p; *end != '\0' && *end != '/'; end++)
			;
		*end = '\0';	/* buf is the prefix up to this part */
		fd = berth_open_in_root(rootfd, buf, O_PATH | O_DIRECTORY,
		    resolve);
		if (fd == -ENOENT) {
			if (mkdirat(pfd, p, mode) == 0) {
				if (uid != (uid_t)-1 || gid != (gid_t)-1)
					(void)fchownat(pfd, p, uid, gid,
					    AT_SYMLINK_NOFOLLOW);
			} else if (errno != EEXIST) {
				fd = -errno;
				close(pfd);
				return fd;
			}
			fd = berth_open_in_root(rootfd, buf,
			    O_PATH | O_DIRECTORY, resolve);
		}
		close(pfd);
		if (fd < 0)
			return fd;
		pfd = fd;
		if (end - buf < (long)strlen(dir))
			*end++ = '/';
	}
	return pfd;
}

/*
 * The last parent directory resolved, kept open: an archive's entries
 * come mostly in directory order, so most need no walk at all.  The
 * cache is right across entries because an entry is made inside its
 * parent, never in place of it.
 */
struct berth_parent {
	char	dir[PATH_MAX];
	int	fd;		/* -1: none */
};

#define BERTH_PARENT_INIT	{ "", -1 }

static inline void
berth_parent_forget(struct berth_parent *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	p->dir[0] = '\0';
}

/*
 * An O_PATH fd on dir under rootfd, made (0755, as Docker's MkdirAll
 * under umask 022) if missing.  The fd stays p's: do not close it; it is
 * good until the next call or berth_parent_forget.  -errno on failure.
 */
static inline int
berth_parent_get(struct berth_parent *p, int rootfd, const char *dir,
    uint64_t resolve)
{
	int	fd;

	if (p->fd >= 0 && strcmp(dir, p->dir) == 0)
		return p->fd;
	berth_parent_forget(p);
	fd = berth_mkdirs_in_root(rootfd, dir, 0755, (uid_t)-1, (gid_t)-1,
	    resolve);
	if (fd < 0)
		return fd;
	if (snprintf(p->dir, sizeof(p->dir), "%s", dir) >= (int)sizeof(p->dir)) {
		close(fd);
		p->dir[0] = '\0';
		return -ENAMETOOLONG;
	}
	p->fd = fd;
	return fd;
}

#endif
