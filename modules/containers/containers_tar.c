/*
 * containers_tar.c - paths in a container and tar streams out of it,
 * for `docker cp` and `docker export`: the worker side.
 *
 * Every path is taken relative to a directory fd that stands for the
 * container's "/" (containers_fs.c makes it) and resolved with
 * openat2(RESOLVE_IN_ROOT): symlinks and ".." behave as in a chroot, so
 * `ln -s / /lnk` or `ln -s ../../.. /up` inside the container lead back
 * to the container's own root, never to the host's.  Trees are walked
 * with *at calls and O_NOFOLLOW from that first fd on, so no name is
 * ever looked up on the host.
 *
 * The pure parts (Docker's path rules, Go's os.FileMode) are
 * unit tested; the rest runs in work jobs and blocks.
 */
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/xattr.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/magic.h>

#include <archive.h>
#include <archive_entry.h>

#include "containers.h"

#define TAR_BUFSZ	(128u << 10)
#define TAR_DEPTH_MAX	512		/* directories open in a walk */
#define TAR_MQUEUE_MAGIC	0x19800202	/* not in linux/magic.h */

/* Go's os.FileMode bits (io/fs), as the CLI decodes them. */
#define GO_MODE_DIR		(1u << 31)
#define GO_MODE_SYMLINK		(1u << 27)
#define GO_MODE_DEVICE		(1u << 26)
#define GO_MODE_NAMEDPIPE	(1u << 25)
#define GO_MODE_SOCKET		(1u << 24)
#define GO_MODE_SETUID		(1u << 23)
#define GO_MODE_SETGID		(1u << 22)
#define GO_MODE_CHARDEVICE	(1u << 21)
#define GO_MODE_STICKY		(1u << 20)

/* --- pure: paths, modes ------------------------------------------ */

/*
 * Go's path.Clean for a path taken from "/": no empty, "." or ".."
 * parts (".." stops at the root).  out is "/" or "/a/b".
 */
int
containers_path_clean(const char *in, char *out, size_t len)
{
	const char	*p = in, *end;
	size_t		 o = 0, n;

	if (len < 2)
		return -ENAMETOOLONG;
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
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
		} else {
			if (o + 1 + n + 1 > len)
				return -ENAMETOOLONG;
			out[o++] = '/';
			memcpy(out + o, p, n);
			o += n;
		}
		p = end;
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	return 0;
}

/* Go's filepath.Base: trailing slashes dropped, "/" for the root. */
static void
go_base(const char *path, char *out, size_t len)
{
	size_t		 n = strlen(path);
	const char	*b;

	while (n > 1 && path[n - 1] == '/')
		n--;
	if (n == 1 && path[0] == '/') {
		snprintf(out, len, "/");
		return;
	}
	for (b = path + n; b > path && b[-1] != '/'; b--)
		;
	snprintf(out, len, "%.*s", (int)(n - (size_t)(b - path)), b);
}

/*
 * A request's path as Docker reads it (container.ResolvePath and
 * archive.PreserveTrailingDotOrSeparator): taken from "/", cleaned, but
 * a trailing "/." or "/" the client wrote is kept, since `docker cp
 * ctr:/dir/. x` (the content) and `ctr:/dir` (the directory) differ.
 * dir is resolved, following symlinks; base is looked at, not followed.
 */
int
containers_apath(const char *path, struct ctr_apath *ap)
{
	char	clean[PATH_MAX], b[NAME_MAX + 1];
	size_t	n, plen = strlen(path);
	int	dot, slash;

	if (plen == 0 || plen >= PATH_MAX)
		return -EINVAL;
	if (containers_path_clean(path, clean, sizeof(clean)) < 0)
		return -ENAMETOOLONG;
	go_base(path, b, sizeof(b));
	dot = strcmp(b, ".") == 0;
	slash = path[plen - 1] == '/';
	n = strlen(clean);
	if (dot) {
		if (n + 3 > sizeof(clean))
			return -ENAMETOOLONG;
		if (clean[n - 1] != '/')
			clean[n++] = '/';
		clean[n++] = '.';
		clean[n] = '\0';
	}
	if (slash && clean[n - 1] != '/') {
		if (n + 2 > sizeof(clean))
			return -ENAMETOOLONG;
		clean[n++] = '/';
		clean[n] = '\0';
	}
	memcpy(ap->abs, clean, n + 1);
	n = (size_t)(strrchr(clean, '/') - clean) + 1;
	snprintf(ap->dir, sizeof(ap->dir), "%.*s", (int)n, clean);
	if (strlen(clean + n) > NAME_MAX)
		return -ENAMETOOLONG;
	snprintf(ap->base, sizeof(ap->base), "%s", clean + n);
	go_base(ap->abs, ap->name, sizeof(ap->name));
	return 0;
}

/* A stat mode as Go's os.FileMode (what fillFileStatFromSys makes). */
uint32_t
containers_go_filemode(mode_t m)
{
	uint32_t	fm = (uint32_t)(m & 0777);

	switch (m & S_IFMT) {
	case S_IFBLK:
		fm |= GO_MODE_DEVICE;
		break;
	case S_IFCHR:
		fm |= GO_MODE_DEVICE | GO_MODE_CHARDEVICE;
		break;
	case S_IFDIR:
		fm |= GO_MODE_DIR;
		break;
	case S_IFIFO:
		fm |= GO_MODE_NAMEDPIPE;
		break;
	case S_IFLNK:
		fm |= GO_MODE_SYMLINK;
		break;
	case S_IFSOCK:
		fm |= GO_MODE_SOCKET;
		break;
	}
	if (m & S_ISUID)
		fm |= GO_MODE_SETUID;
	if (m & S_ISGID)
		fm |= GO_MODE_SETGID;
	if (m & S_ISVTX)
		fm |= GO_MODE_STICKY;
	return fm;
}

/* --- resolving in the container's root ----------------------------------- */

/*
 * Where fd is, as a path in the container: the kernel's name for it
 * (relative to the top of its mount tree, which for a container's
 * namespace or a detached tree is the container's "/"), less the
 * root's own name when the root is reachable from ours.
 */
int
containers_root_path(int rootfd, int fd, char *out, size_t len)
{
	char	 proc[64], root[PATH_MAX], at[PATH_MAX];
	ssize_t	 n, r;
	size_t	 rl;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", rootfd);
	if ((r = readlink(proc, root, sizeof(root) - 1)) < 0)
		return -errno;
	root[r] = '\0';
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if ((n = readlink(proc, at, sizeof(at) - 1)) < 0)
		return -errno;
	at[n] = '\0';
	rl = strcmp(root, "/") == 0 ? 0 : (size_t)r;
	if (rl > 0 && (strncmp(at, root, rl) != 0 ||
	    (at[rl] != '/' && at[rl] != '\0')))
		return -EXDEV;
	if (snprintf(out, len, "%s", at[rl] != '\0' ? at + rl : "/") >=
	    (int)len)
		return -ENAMETOOLONG;
	return 0;
}

/* --- writing a tree ------------------------------------------------------ */

struct tar_w {
	struct archive				*a;
	struct archive_entry_linkresolver	*lr;
	char					*buf;
	struct berth_err			*err;
	int					 depth;
};

static int
tw_lib(struct tar_w *w)
{
	const char	*msg = archive_error_string(w->a);
	int		 e = archive_errno(w->a);

	if (w->err->code != 0)
		return w->err->code;
	if (e == EPIPE)
		return berth_err_set(w->err, -EPIPE, "the client went away");
	return berth_err_set(w->err, -EIO, "writing the archive: %s",
	    msg != NULL ? msg : "failed");
}

static int
tw_data(struct tar_w *w, int fd, int64_t size)
{
	ssize_t	n;

	while (size > 0) {
		n = read(fd, w->buf, (size_t)size < TAR_BUFSZ ? (size_t)size :
		    TAR_BUFSZ);
		if (n < 0 && errno == EINTR)
			continue;
		/*
		 * Shrank meanwhile, or unreadable (as Docker, which logs and
		 * goes on): libarchive pads the entry, the tar stays whole.
		 */
		if (n <= 0)
			break;
		if (archive_write_data(w->a, w->buf, (size_t)n) < 0)
			return tw_lib(w);
		size -= n;
	}
	return 0;
}

static void
tw_join(char *out, size_t len, const char *dir, const char *name)
{
	size_t	n = strlen(dir);

	if (n == 0)
		snprintf(out, len, "%s", name);
	else if (dir[n - 1] == '/')
		snprintf(out, len, "%s%s", dir, name);
	else
		snprintf(out, len, "%s/%s", dir, name);
}

static int
tw_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int	tw_node(struct tar_w *, int, const char *, const char *, int);

/*
 * The kernel's own filesystems, mounted in a running container (its
 * /proc, /sys, /dev/pts...): kept as empty directories, as Docker's
 * view of the rootfs and volumes shows them, never read.
 */
static int
tw_pseudo(int fd)
{
	struct statfs	sf;

	if (fstatfs(fd, &sf) == -1)
		return 0;
	switch ((unsigned long)sf.f_type) {
	case PROC_SUPER_MAGIC:
	case SYSFS_MAGIC:
	case DEVPTS_SUPER_MAGIC:
	case TAR_MQUEUE_MAGIC:
	case CGROUP_SUPER_MAGIC:
	case CGROUP2_SUPER_MAGIC:
	case SECURITYFS_MAGIC:
	case DEBUGFS_MAGIC:
	case TRACEFS_MAGIC:
	case BPF_FS_MAGIC:
	case PSTOREFS_MAGIC:
	case BINFMTFS_MAGIC:
	case SELINUX_MAGIC:
	case EFIVARFS_MAGIC:
	case NSFS_MAGIC:
		return 1;
	default:
		return 0;
	}
}

/* Docker keeps one extended attribute in its tars: file capabilities. */
static void
tw_xattrs(struct archive_entry *e, int fd)
{
	char	v[256];
	ssize_t	n;

	if ((n = fgetxattr(fd, "security.capability", v, sizeof(v))) > 0)
		archive_entry_xattr_add_entry(e, "security.capability", v,
		    (size_t)n);
}

/* A directory's entries, in name order (filepath.Walk's). */
static int
tw_children(struct tar_w *w, int dfd, const char *name)
{
	DIR		 *d;
	struct dirent	 *de;
	char		**names = NULL, **grown, child[PATH_MAX];
	size_t		  n = 0, cap = 0, i;
	int		  fd, rc = 0;

	if (++w->depth > TAR_DEPTH_MAX) {
		w->depth--;
		return berth_err_set(w->err, -ELOOP, "%s: nested too deeply",
		    name);
	}
	if ((fd = dup(dfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		rc = berth_err_errno(w->err, "open %s", name);
		if (fd != -1)
			close(fd);
		w->depth--;
		return rc;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			if ((grown = realloc(names, cap * sizeof(*names))) ==
			    NULL) {
				rc = berth_err_set(w->err, -ENOMEM,
				    "out of memory");
				goto out;
			}
			names = grown;
		}
		if ((names[n] = strdup(de->d_name)) == NULL) {
			rc = berth_err_set(w->err, -ENOMEM, "out of memory");
			goto out;
		}
		n++;
	}
	if (n > 0)
		qsort(names, n, sizeof(*names), tw_cmp);
	for (i = 0; i < n && rc == 0; i++) {
		tw_join(child, sizeof(child), name, names[i]);
		rc = tw_node(w, dfd, names[i], child, 1);
	}
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	w->depth--;
	return rc;
}

/*
 * One file, and a directory's content, under the name `name`.  base is
 * looked up in pfd without following a symlink; "" is pfd itself.
 * emit 0 leaves the top out (export, Docker's root).
 */
static int
tw_node(struct tar_w *w, int pfd, const char *base, const char *name,
    int emit)
{
	struct archive_entry	*e = NULL, *spare = NULL;
	struct stat		 st;
	char			 path[PATH_MAX + 1], link[PATH_MAX];
	ssize_t			 n;
	int			 fd = -1, rc = 0, write_data;

	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW |
	    (*base == '\0' ? AT_EMPTY_PATH : 0)) == -1) {
		/* Gone since the directory was read: as Docker, skip it. */
		if (errno == ENOENT)
			return 0;
		return berth_err_errno(w->err, "lstat %s", name);
	}
	if (S_ISSOCK(st.st_mode))
		return 0;	/* tar has no sockets; Docker skips them */
	if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
		/* O_NONBLOCK: a FIFO swapped in meanwhile must not hang us. */
		fd = openat(pfd, *base != '\0' ? base : ".", O_RDONLY |
		    O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
		    (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
		if (fd == -1 && errno == ENOENT)
			return 0;
		if (fd == -1)
			return berth_err_errno(w->err, "open %s", name);
		if (fstat(fd, &st) == -1 || (!S_ISREG(st.st_mode) &&
		    !S_ISDIR(st.st_mode))) {
			close(fd);
			return 0;
		}
	}
	if (emit) {
		if ((e = archive_entry_new()) == NULL) {
			rc = berth_err_set(w->err, -ENOMEM, "out of memory");
			goto out;
		}
		archive_entry_copy_stat(e, &st);
		snprintf(path, sizeof(path), "%s%s", name,
		    S_ISDIR(st.st_mode) && name[strlen(name) - 1] != '/' ?
		    "/" : "");
		archive_entry_set_pathname(e, path);
		if (!S_ISREG(st.st_mode))
			archive_entry_set_size(e, 0);
		if (S_ISLNK(st.st_mode)) {
			if ((n = readlinkat(pfd, base, link,
			    sizeof(link) - 1)) < 0) {
				rc = errno == ENOENT ? 0 : berth_err_errno(
				    w->err, "readlink %s", name);
				goto out;
			}
			link[n] = '\0';
			archive_entry_set_symlink(e, link);
		}
		if (S_ISREG(st.st_mode))
			tw_xattrs(e, fd);
		/* Hard links inside the tree stay hard links. */
		if (!S_ISDIR(st.st_mode) && st.st_nlink > 1)
			archive_entry_linkify(w->lr, &e, &spare);
		write_data = S_ISREG(st.st_mode) && e != NULL &&
		    archive_entry_hardlink(e) == NULL;
		if (e != NULL && archive_write_header(w->a, e) != ARCHIVE_OK) {
			rc = tw_lib(w);
			goto out;
		}
		if (write_data && (rc = tw_data(w, fd, st.st_size)) < 0)
			goto out;
	}
	if (S_ISDIR(st.st_mode) && !tw_pseudo(fd))
		rc = tw_children(w, fd, name);
out:
	if (e != NULL)
		archive_entry_free(e);
	if (spare != NULL)
		archive_entry_free(spare);
	if (fd != -1)
		close(fd);
	return rc;
}

/*
 * Write a tar of base (in pfd; "" for pfd itself) into out, its top
 * named `name` and everything below it name/...; top 0 leaves the top
 * entry out.  out stays the caller's.  0 or -errno with err.
 */
int
containers_tar_write(int pfd, const char *base, const char *name, int top,
    int out, struct berth_err *err)
{
	struct tar_w	w;
	int		rc;

	memset(&w, 0, sizeof(w));
	w.err = err;
	if ((w.buf = malloc(TAR_BUFSZ)) == NULL ||
	    (w.a = archive_write_new()) == NULL ||
	    (w.lr = archive_entry_linkresolver_new()) == NULL) {
		rc = berth_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	archive_entry_linkresolver_set_strategy(w.lr,
	    ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
	if (archive_write_set_format_pax_restricted(w.a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(w.a, 1) != ARCHIVE_OK ||
	    archive_write_open_fd(w.a, out) != ARCHIVE_OK) {
		rc = tw_lib(&w);
		goto out;
	}
	if ((rc = tw_node(&w, pfd, base, name, top)) < 0)
		goto out;
	if (archive_write_close(w.a) != ARCHIVE_OK)
		rc = tw_lib(&w);
out:
	if (w.lr != NULL)
		archive_entry_linkresolver_free(w.lr);
	if (w.a != NULL)
		archive_write_free(w.a);
	free(w.buf);
	return rc;
}
