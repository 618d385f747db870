/*
 * builder_context.c - the build context: the request's tar (plain,
 * gzip, bzip2 or xz) unpacked into a directory of the build's own, then
 * what .dockerignore excludes removed from it.  Worker side, blocking.
 *
 * Every name is taken under the directory: one that climbs out of it
 * fails the build ("invalid context"); each entry's parent is resolved
 * with RESOLVE_IN_ROOT and the entry is made with calls that do not
 * follow links, so a symlink in the context never leads outside.  Owners
 * are root's, as COPY gives them anyway.
 */
#include <sys/stat.h>

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
#include <linux/openat2.h>

#include <berth/fs.h>
#include <berth/inroot.h>
#include <berth/untar.h>

#include "builder.h"

/* name made relative and clean; -EINVAL if it climbs out. */
static int
clean_name(const char *in, char *out, size_t len)
{
	const char	*p = in, *e;
	size_t		 o = 0, n;

	out[0] = '\0';
	while (*p != '\0') {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		e = strchr(p, '/');
		n = e != NULL ? (size_t)(e - p) : strlen(p);
		if (n == 1 && p[0] == '.')
			;
		else if (n == 2 && p[0] == '.' && p[1] == '.')
			return -EINVAL;
		else {
			if (o + n + 2 > len)
				return -ENAMETOOLONG;
			if (o > 0)
				out[o++] = '/';
			memcpy(out + o, p, n);
			o += n;
			out[o] = '\0';
		}
		p += n;
	}
	return 0;
}

static int
unpack_entry(struct archive *a, struct archive_entry *e, int rootfd,
    struct berth_parent *par, struct berth_err *err)
{
	char		 name[PATH_MAX], dir[PATH_MAX], target[PATH_MAX];
	const char	*base, *link;
	char		*slash;
	struct stat	 st;
	int		 pfd, tfd, rc, exists = 0;
	mode_t		 type = archive_entry_filetype(e);

	if (clean_name(archive_entry_pathname(e), name, sizeof(name)) < 0)
		return berth_err_set(err, -EINVAL, "invalid context: %s "
		    "climbs out of it", archive_entry_pathname(e));
	if (name[0] == '\0')
		return 0;	/* "./" itself */
	snprintf(dir, sizeof(dir), "%s", name);
	if ((slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		base = name + (slash - dir) + 1;
	} else {
		dir[0] = '\0';
		base = name;
	}
	if ((pfd = berth_parent_get(par, rootfd, dir, RESOLVE_IN_ROOT)) < 0)
		return berth_err_set(err, pfd, "invalid context: %s: %s",
		    name, strerror(-pfd));
	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISDIR(st.st_mode) && type == AE_IFDIR)
			exists = 1;
		else if (S_ISDIR(st.st_mode))
			(void)berth_rmtree_at(pfd, base);
		else
			(void)unlinkat(pfd, base, 0);
	}
	switch (type) {
	case AE_IFDIR:
		return berth_untar_dir(e, pfd, base, exists, 0, 0, name, err);
	case AE_IFREG:
		if ((link = archive_entry_hardlink(e)) != NULL) {
			if (clean_name(link, target, sizeof(target)) < 0)
				return berth_err_set(err, -EINVAL, "invalid "
				    "context: link %s climbs out", name);
			if ((tfd = berth_open_in_root(rootfd, target, O_PATH |
			    O_NOFOLLOW, RESOLVE_IN_ROOT)) < 0)
				return berth_err_set(err, tfd, "invalid "
				    "context: link %s to a missing %s", name,
				    target);
			rc = berth_untar_hardlink(tfd, pfd, base, name, err);
			close(tfd);
			return rc;
		}
		return berth_untar_file(a, e, pfd, base, 0, 0, name, NULL,
		    err);
	case AE_IFLNK:
		return berth_untar_symlink(e, pfd, base,
		    archive_entry_symlink(e), 0, 0, name, err);
	default:
		return 0;	/* devices and fifos have no place here */
	}
}

int
bld_context_unpack(int fd, const char *dir, struct berth_err *err)
{
	struct archive		*a;
	struct archive_entry	*e;
	struct berth_parent	 par = BERTH_PARENT_INIT;
	int			 rootfd, r, rc = 0;

	if (berth_mkdirs(dir, 0755) < 0)
		return berth_err_errno(err, "mkdir %s", dir);
	if ((rootfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
		return berth_err_errno(err, "open %s", dir);
	if ((a = archive_read_new()) == NULL) {
		close(rootfd);
		return berth_err_set(err, -ENOMEM, "out of memory");
	}
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	/* Not a tar at all: the body is the Dockerfile (as dockerd takes
	 * a bare Dockerfile posted by curl). */
	archive_read_support_format_raw(a);
	if (archive_read_open_fd(a, fd, 64 << 10) != ARCHIVE_OK) {
		rc = berth_err_set(err, -EINVAL, "the build context is not "
		    "a tar archive: %s", archive_error_string(a));
		goto out;
	}
	for (;;) {
		r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			rc = berth_err_set(err, -EINVAL, "the build context is "
			    "not a valid tar archive: %s",
			    archive_error_string(a));
			break;
		}
		if (archive_format(a) == ARCHIVE_FORMAT_RAW) {
			archive_entry_set_pathname(e, "Dockerfile");
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_perm(e, 0644);
		}
		if ((rc = unpack_entry(a, e, rootfd, &par, err)) < 0) {
			if (rc == BERTH_UNTAR_EARCHIVE)
				rc = berth_err_set(err, -EINVAL, "the build "
				    "context is truncated: %s",
				    archive_error_string(a));
			break;
		}
	}
out:
	berth_parent_forget(&par);
	archive_read_free(a);
	close(rootfd);
	return rc;
}

/* Remove what ig excludes under rel (a directory of dirfd's tree). */
static void
filter_dir(int dirfd, const char *rel, const struct bld_ignore *ig,
    int depth)
{
	DIR		*d;
	struct dirent	*de;
	char		 path[PATH_MAX];
	int		 fd;

	if (depth > 128 || (fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (snprintf(path, sizeof(path), "%s%s%s", rel, *rel ? "/" : "",
		    de->d_name) >= (int)sizeof(path))
			continue;
		/* The Dockerfile and .dockerignore were read already: an
		 * excluded one goes too, as dockerd removes it. */
		if (bld_ignore_match(ig, path)) {
			if (de->d_type == DT_DIR)
				(void)berth_rmtree_at(dirfd, de->d_name);
			else
				(void)unlinkat(dirfd, de->d_name, 0);
			continue;
		}
		if (de->d_type == DT_DIR) {
			int sub = openat(dirfd, de->d_name, O_RDONLY |
			    O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (sub >= 0) {
				filter_dir(sub, path, ig, depth + 1);
				close(sub);
			}
		}
	}
	closedir(d);
}

int
bld_context_filter(const char *dir, const struct bld_ignore *ig)
{
	int	fd;

	if (ig == NULL || ig->n == 0)
		return 0;
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -errno;
	filter_dir(fd, "", ig, 0);
	close(fd);
	return 0;
}
