/*
 * images_fs.c - the store's file primitives: atomic writes, whole-file
 * reads, mkdir -p and a removal that never follows a symlink.
 *
 * Called from workers (and from init, before the socket opens).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "images.h"

#define PIPE_SIZE	(1 << 20)

int
images_pipe(int p[2])
{
	if (pipe2(p, O_CLOEXEC) == -1)
		return -errno;
	/* Best effort: a smaller pipe only costs wake-ups. */
	(void)fcntl(p[1], F_SETPIPE_SZ, PIPE_SIZE);
	return 0;
}

static int
write_all(int fd, const void *data, size_t len)
{
	const char	*p = data;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
images_fs_fsync_dir(int dirfd, const char *name)
{
	int	fd, rc = 0;

	if ((fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1)
		return -errno;
	if (fsync(fd) == -1)
		rc = -errno;
	close(fd);
	return rc;
}

static int
write_file(int dirfd, const char *name, const void *data, size_t len,
    int sync, struct berth_err *err)
{
	char		 tmp[PATH_MAX], dir[PATH_MAX];
	const char	*slash;
	int		 fd, rc;

	/* Unique per thread: two writers of one file never share a temp. */
	snprintf(tmp, sizeof(tmp), "%s.tmp-%d-%lx", name, (int)getpid(),
	    (unsigned long)pthread_self());
	if ((fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1)
		return berth_err_errno(err, "create %s", tmp);
	if ((rc = write_all(fd, data, len)) < 0 || (sync && fsync(fd) == -1)) {
		if (rc == 0)
			rc = -errno;
		close(fd);
		(void)unlinkat(dirfd, tmp, 0);
		return berth_err_set(err, rc, "write %s: %s", name,
		    strerror(-rc));
	}
	if (close(fd) == -1 || renameat(dirfd, tmp, dirfd, name) == -1) {
		rc = berth_err_errno(err, "write %s", name);
		(void)unlinkat(dirfd, tmp, 0);
		return rc;
	}
	if (!sync)
		return 0;
	/* The rename is durable once the directory holding it is. */
	if ((slash = strrchr(name, '/')) != NULL)
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - name), name);
	else
		snprintf(dir, sizeof(dir), ".");
	(void)images_fs_fsync_dir(dirfd, dir);
	return 0;
}

int
images_fs_write_atomic(int dirfd, const char *name, const void *data,
    size_t len, struct berth_err *err)
{
	return write_file(dirfd, name, data, len, 1, err);
}

int
images_fs_write_nosync(int dirfd, const char *name, const void *data,
    size_t len, struct berth_err *err)
{
	return write_file(dirfd, name, data, len, 0, err);
}

int
images_fs_read(int dirfd, const char *name, size_t max, char **bufp,
    size_t *lenp)
{
	struct stat	 st;
	char		*buf = NULL;
	size_t		 len = 0, cap;
	ssize_t		 n;
	int		 fd, rc;

	*bufp = NULL;
	if ((fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return -errno;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		rc = S_ISREG(st.st_mode) ? -errno : -EINVAL;
		goto fail;
	}
	if ((size_t)st.st_size > max) {
		rc = -EFBIG;
		goto fail;
	}
	cap = (size_t)st.st_size + 1;
	if ((buf = malloc(cap)) == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	while (len < cap - 1) {
		if ((n = read(fd, buf + len, cap - 1 - len)) < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	*bufp = buf;
	if (lenp != NULL)
		*lenp = len;
	return 0;
fail:
	free(buf);
	close(fd);
	return rc;
}
