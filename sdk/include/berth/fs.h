/*
 * berth/fs.h - the file helpers every service needs: mkdir -p, an
 * atomic write and rm -rf.  Static inline, so a module links nothing
 * from the core.  They block: call them from `work` functions, never the
 * loop.  (Paths that come from an image or a client: berth/inroot.h.)
 */
#ifndef BERTH_FS_H
#define BERTH_FS_H

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* mkdir -p: missing parents 0755, path itself mode.  0 or -errno. */
static inline int
berth_mkdirs(const char *path, mode_t mode)
{
	char	buf[PATH_MAX], *p;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) == -1 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) == -1 && errno != EEXIST)
		return -errno;
	return 0;
}

/*
 * Write data to path.tmp, rename it over path: readers see the old file
 * or the new one, never half.  The one atomic write of the core, the
 * modules and the monitor.
 *
 * durable BERTH_WRITE_DURABLE (1) also fsyncs the file before the rename,
 * so a power cut leaves the new content or the old, never an empty file.
 * The directory is not synced (Docker's atomic writes do not either):
 * after a power cut the rename itself may be undone, which loses the
 * newest state, never the file.  Syncing the directory as well doubled
 * the disk flushes on the `docker run` path, for a difference only a
 * power cut can show and a crash of berthd cannot.  BERTH_WRITE_DIRSYNC
 * (2, since ABI 1.7) syncs the directory too, for the few files whose
 * rename must outlive a power cut (an exit status, the engine ID).
 * With 0 only atomicity is kept (files rebuilt at every start).
 * 0 or -errno.
 */
#define BERTH_WRITE_DURABLE	1
#define BERTH_WRITE_DIRSYNC	2
static inline int
berth_write_file(const char *path, const void *data, size_t len, mode_t mode,
    int durable)
{
	char		 tmp[PATH_MAX];
	const char	*p = data;
	ssize_t		 n;
	int		 fd, rc = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    mode)) == -1)
		return -errno;
	while (len > 0) {
		if ((n = write(fd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	if (rc == 0 && durable && fsync(fd) == -1)
		rc = -errno;
	if (close(fd) == -1 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) == -1)
		rc = -errno;
	if (rc < 0) {
		(void)unlink(tmp);
		return rc;
	}
	if (durable >= BERTH_WRITE_DIRSYNC) {
		/* The rename itself must reach the disk too. */
		char	 dir[PATH_MAX], *slash;
		int	 dfd;

		snprintf(dir, sizeof(dir), "%s", path);
		if ((slash = strrchr(dir, '/')) == NULL)
			snprintf(dir, sizeof(dir), ".");
		else if (slash == dir)
			dir[1] = '\0';
		else
			*slash = '\0';
		if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
			(void)fsync(dfd);
			close(dfd);
		}
	}
	return 0;
}

/*
 * Remove what a killed writer left of its atomic writes in dir: regular
 * files named "*.tmp" (berth_write_file's) or "*.tmp-*" (per-writer
 * temporaries).  Only the directory itself, never below it.  A store
 * calls it on each of its own directories at start, before reading them
 * (since ABI 1.7).  Returns how many went.
 */
static inline int
berth_sweep_tmp(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	size_t		 n;
	int		 fd, gone = 0;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return 0;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		n = strlen(de->d_name);
		if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN)
			continue;
		if (!(n > 4 && strcmp(de->d_name + n - 4, ".tmp") == 0) &&
		    strstr(de->d_name, ".tmp-") == NULL)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			gone++;
	}
	closedir(d);
	return gone;
}

/*
 * Read a small file whole into buf (len bytes, NUL-terminated; what does
 * not fit is not read), never through a symlink at its last component.
 * 0 or -errno.
 */
static inline int
berth_read_small(const char *path, char *buf, size_t len)
{
	ssize_t	n;
	int	fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -EIO;
	buf[n] = '\0';
	return 0;
}

/*
 * rm -rf of name in dirfd (AT_FDCWD: a path), never following a link.
 * A directory's names are read and its DIR closed before descending, so
 * a tree holds one fd per level, however wide.  0 (also when name is
 * missing) or the first -errno; removal goes on past a failure.
 */
static inline int
berth_rmtree_at(int dirfd, const char *name)
{
	struct stat	 st;
	struct dirent	*de;
	DIR		*d;
	char		*names = NULL, *p, *grown;
	size_t		 len = 0, cap = 0, nlen;
	int		 fd, dfd, rc = 0, r;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dirfd, name, 0) == -1 && errno != ENOENT ?
		    -errno : 0;
	if ((fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return -errno;
	if ((dfd = dup(fd)) == -1 || (d = fdopendir(dfd)) == NULL) {
		rc = -errno;
		if (dfd != -1)
			close(dfd);
		close(fd);
		return rc;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		nlen = strlen(de->d_name) + 1;
		if (len + nlen > cap) {
			cap = (cap + nlen) * 2;
			if ((grown = realloc(names, cap)) == NULL) {
				rc = -ENOMEM;
				break;
			}
			names = grown;
		}
		memcpy(names + len, de->d_name, nlen);
		len += nlen;
	}
	closedir(d);
	for (p = names; p != NULL && p < names + len; p += strlen(p) + 1)
		if ((r = berth_rmtree_at(fd, p)) < 0 && rc == 0)
			rc = r;
	free(names);
	close(fd);
	if (rc == 0 && unlinkat(dirfd, name, AT_REMOVEDIR) == -1 &&
	    errno != ENOENT)
		rc = -errno;
	return rc;
}

#endif
