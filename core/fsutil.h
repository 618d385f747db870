/* fsutil.h - small file helpers for the core. */
#ifndef BERTH_CORE_FSUTIL_H
#define BERTH_CORE_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

/* Write, fsync, rename: the file is either old or new, never half. */
int	fsutil_write_atomic(const char *path, const void *data, size_t len,
	    mode_t mode);
/* mkdir -p; 0 or -1 with errno. */
int	fsutil_mkdir_p(const char *path, mode_t mode);

#endif
