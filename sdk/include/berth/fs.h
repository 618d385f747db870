/*
 * berth/fs.h - the two file helpers every service needs: mkdir -p and
 * an atomic write.  Static inline, so a module links nothing from the
 * core.  They block: call them from `work` functions, never the loop.
 */
#ifndef BERTH_FS_H
#define BERTH_FS_H

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
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
 * or the new one, never half.  durable also fsyncs the file before the
 * rename, so a power cut leaves the new content or the old, never an
 * empty file.  The directory is not synced (Docker's atomic writes do not
 * either): after a power cut the rename itself may be undone, which
 * loses the newest state, never the file.  Syncing the directory as well
 * doubled the disk flushes on the `docker run` path, for a difference
 * only a power cut can show and a crash of berthd cannot.
 * Without durable only atomicity is kept (files rebuilt at every start).
 * 0 or -errno.
 */
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
	return 0;
}

#endif
