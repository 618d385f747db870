/*
 * volume_local_fs.c - the blocking half of the local driver: name and
 * option rules, mount(2) of a volume's device, removal that never leaves
 * the volume's own filesystem, atomic small files.  Everything here but
 * the two validators runs in work jobs.
 */
#include <sys/mount.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <berth/json.h>

#include "volume_local.h"

/*
 * Docker's rule, [a-zA-Z0-9][a-zA-Z0-9_.-]+, which already keeps out
 * '/', "..", and empty names; the length cap keeps the path a path.
 */
int
volume_local_name_valid(const char *name, struct berth_err *err)
{
	const char	*p;

	if (name == NULL || *name == '\0')
		return berth_err_set(err, -EINVAL,
		    "volume name cannot be empty");
	if (strlen(name) > VOLUME_LOCAL_NAME_MAX)
		return berth_err_set(err, -EINVAL, "volume name is too long "
		    "(%zu characters, at most %d)", strlen(name),
		    VOLUME_LOCAL_NAME_MAX);
	for (p = name; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9'))
			continue;
		if (p != name && (*p == '_' || *p == '.' || *p == '-'))
			continue;
		return berth_err_set(err, -EINVAL, "\"%s\" includes invalid "
		    "characters for a local volume name, only "
		    "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you "
		    "intended to pass a host directory, use absolute path",
		    name);
	}
	if (name[1] == '\0')
		return berth_err_set(err, -EINVAL, "volume name is too short, "
		    "names should be at least two alphanumeric characters");
	return 0;
}

int
volume_local_opts_valid(json_object *opts, struct berth_err *err)
{
	const char	*type, *dev;

	if (opts == NULL)
		return 0;
	if (!json_object_is_type(opts, json_type_object))
		return berth_err_set(err, -EINVAL, "options must be a map");
	json_object_object_foreach(opts, k, v) {
		if (strcmp(k, "type") != 0 && strcmp(k, "device") != 0 &&
		    strcmp(k, "o") != 0)
			return berth_err_set(err, -EINVAL,
			    "invalid option key: \"%s\"", k);
		if (!json_object_is_type(v, json_type_string))
			return berth_err_set(err, -EINVAL,
			    "option %s must be a string", k);
	}
	type = berth_json_str(opts, "type");
	dev = berth_json_str(opts, "device");
	if (json_object_object_length(opts) > 0 &&
	    (type == NULL || *type == '\0') && (dev == NULL || *dev == '\0'))
		return berth_err_set(err, -EINVAL, "missing required option: "
		    "\"device\"");
	if (type != NULL && *type != '\0' && (dev == NULL || *dev == '\0'))
		return berth_err_set(err, -EINVAL, "missing required option: "
		    "\"device\"");
	return 0;
}

static const struct {
	const char	*name;
	int		 clear;
	unsigned long	 flag;
} vl_flags[] = {
	{ "defaults", 0, 0 },		{ "rw", 1, MS_RDONLY },
	{ "ro", 0, MS_RDONLY },		{ "suid", 1, MS_NOSUID },
	{ "nosuid", 0, MS_NOSUID },	{ "dev", 1, MS_NODEV },
	{ "nodev", 0, MS_NODEV },	{ "exec", 1, MS_NOEXEC },
	{ "noexec", 0, MS_NOEXEC },	{ "sync", 0, MS_SYNCHRONOUS },
	{ "async", 1, MS_SYNCHRONOUS },	{ "dirsync", 0, MS_DIRSYNC },
	{ "atime", 1, MS_NOATIME },	{ "noatime", 0, MS_NOATIME },
	{ "diratime", 1, MS_NODIRATIME }, { "nodiratime", 0, MS_NODIRATIME },
	{ "relatime", 0, MS_RELATIME },	{ "strictatime", 0, MS_STRICTATIME },
	{ "bind", 0, MS_BIND },		{ "rbind", 0, MS_BIND | MS_REC },
};

/*
 * Split o= into mount flags and the data string the filesystem gets,
 * as mount(8) does.
 */
static int
vl_parse_o(const char *o, unsigned long *flags, char *data, size_t len)
{
	char	*s, *tok, *sv;
	size_t	 i, n = 0;
	int	 known;

	*flags = 0;
	data[0] = '\0';
	if (o == NULL || *o == '\0')
		return 0;
	if ((s = strdup(o)) == NULL)
		return -ENOMEM;
	for (tok = strtok_r(s, ",", &sv); tok != NULL;
	    tok = strtok_r(NULL, ",", &sv)) {
		known = 0;
		for (i = 0; i < sizeof(vl_flags) / sizeof(vl_flags[0]); i++)
			if (strcmp(tok, vl_flags[i].name) == 0) {
				if (vl_flags[i].clear)
					*flags &= ~vl_flags[i].flag;
				else
					*flags |= vl_flags[i].flag;
				known = 1;
				break;
			}
		if (known)
			continue;
		if (n + strlen(tok) + 2 > len) {
			free(s);
			return -E2BIG;
		}
		n += (size_t)snprintf(data + n, len - n, "%s%s",
		    n > 0 ? "," : "", tok);
	}
	free(s);
	return 0;
}

/* Mount the volume's device on data, as Docker's local driver does. */
int
volume_local_mount(const char *data, json_object *opts,
    struct berth_err *err)
{
	const char	*type = berth_json_str(opts, "type");
	const char	*dev = berth_json_str(opts, "device");
	unsigned long	 flags, first;
	char		 d[4096];
	int		 rc;

	if ((rc = vl_parse_o(berth_json_str(opts, "o"), &flags, d,
	    sizeof(d))) < 0)
		return berth_err_set(err, rc, "error while mounting volume "
		    "'%s': bad o= option", data);
	if (type == NULL || *type == '\0')
		type = "none";
	first = (flags & MS_BIND) ? flags & (MS_BIND | MS_REC) : flags;
	if (mount(dev, data, type, first, d[0] != '\0' ? d : NULL) == -1)
		return berth_err_errno(err, "error while mounting volume "
		    "'%s' (device %s, type %s)", data, dev, type);
	/* A bind takes its other flags only on a remount. */
	if ((flags & MS_BIND) && (flags & ~(MS_BIND | MS_REC)) != 0 &&
	    mount(NULL, data, NULL, MS_REMOUNT | MS_BIND |
	    (flags & ~(unsigned long)MS_REC), NULL) == -1) {
		rc = berth_err_errno(err, "error while remounting volume '%s'",
		    data);
		(void)umount2(data, MNT_DETACH);
		return rc;
	}
	return 0;
}

int
volume_local_unmount(const char *data, struct berth_err *err)
{
	if (umount2(data, MNT_DETACH) == -1 && errno != EINVAL &&
	    errno != ENOENT)
		return berth_err_errno(err, "error while unmounting volume "
		    "path '%s'", data);
	return 0;
}

/* A different device than its parent: something is mounted there. */
int
volume_local_is_mountpoint(const char *path)
{
	struct stat	 a, b;
	char		 parent[PATH_MAX];

	if (snprintf(parent, sizeof(parent), "%s/..", path) >=
	    (int)sizeof(parent))
		return 0;
	if (stat(path, &a) == -1 || stat(parent, &b) == -1)
		return 0;
	return a.st_dev != b.st_dev || a.st_ino == b.st_ino;
}

/*
 * Remove dirfd's entries, depth first, staying on dev: a mount still
 * inside a volume (a bind of a host path) is never descended into.
 */
static int
vl_rm_at(int dirfd, dev_t dev)
{
	DIR		*d;
	struct dirent	*e;
	struct stat	 st;
	int		 fd, rc = 0;

	if ((d = fdopendir(dirfd)) == NULL) {
		close(dirfd);
		return -errno;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (st.st_dev != dev) {
				rc = -EBUSY;
				continue;
			}
			fd = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
			if (fd == -1) {
				rc = -errno;
				continue;
			}
			if (vl_rm_at(fd, dev) < 0)
				rc = -EBUSY;
			if (unlinkat(dirfd, e->d_name, AT_REMOVEDIR) == -1 &&
			    rc == 0)
				rc = -errno;
		} else if (unlinkat(dirfd, e->d_name, 0) == -1 && rc == 0)
			rc = -errno;
	}
	closedir(d);
	return rc;
}

int
volume_local_rm_tree(const char *path)
{
	struct stat	 st;
	int		 fd, rc;

	if (lstat(path, &st) == -1)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlink(path) == -1 ? -errno : 0;
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return -errno;
	if ((rc = vl_rm_at(fd, st.st_dev)) < 0)
		return rc;
	return rmdir(path) == -1 ? -errno : 0;
}

void
volume_local_time(time_t t, char *buf, size_t len)
{
	struct tm	tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
