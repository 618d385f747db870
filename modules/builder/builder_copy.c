/*
 * builder_copy.c - COPY and ADD (and WORKDIR's directory): sources from
 * the context or another stage's root filesystem copied into the step's
 * root filesystem, as Docker's classic builder copies them.  Worker side,
 * blocking.
 *
 * Docker's rules: a source directory's contents (not the directory) are
 * copied; a file lands at dest, or in it when dest ends in '/' or is a
 * directory already; several sources need a directory; wildcards match
 * in the context; owners are 0:0 unless --chown names them (looked up in
 * the step's /etc/passwd and /etc/group); modes and times are kept; ADD
 * unpacks a local tar archive (any compression) into dest.
 *
 * Sources are found with RESOLVE_IN_ROOT (a symlink in the context leads
 * back into it); below a source nothing is followed: links are copied as
 * links.  Everything written in the step's rootfs is made under a parent
 * resolved in that root, with calls that do not follow links.
 */
#include <sys/stat.h>

#include <ctype.h>
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
#include <openssl/evp.h>

#include <berth/fs.h>
#include <berth/inroot.h>
#include <berth/untar.h>

#include "builder.h"

#define COPY_BUF	(128u << 10)
#define MAX_DEPTH	256

struct cp {
	struct bld_copy	*c;
	int		 srcfd, dstfd;	/* O_PATH roots */
	uid_t		 uid;
	gid_t		 gid;
	EVP_MD_CTX	*md;		/* hashing, or NULL */
	char		*buf;
};

static int
fail(struct cp *x, int rc, const char *fmt, const char *a)
{
	return berth_err_set(&x->c->err, rc, fmt, a, strerror(-rc));
}

/* --- sources ------------------------------------------------------------ */

static int
has_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

struct list {
	char	**v;
	size_t	  n;
};

static int
list_add(struct list *l, const char *s)
{
	char	**grown;

	if ((grown = realloc(l->v, (l->n + 1) * sizeof(*grown))) == NULL)
		return -ENOMEM;
	l->v = grown;
	if ((l->v[l->n] = strdup(s)) == NULL)
		return -ENOMEM;
	l->n++;
	return 0;
}

static void
list_free(struct list *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

/* Every path under rel matching pat (walk order: sorted per directory). */
static void
walk_glob(struct cp *x, int dirfd, const char *rel, const char *pat,
    struct list *out, int depth)
{
	char		 path[PATH_MAX];
	int		 n, i, fd, sub;
	DIR		*d;
	struct dirent	*de;
	struct list	 tmp = { 0 };

	if (depth > MAX_DEPTH || (fd = openat(dirfd, ".", O_RDONLY |
	    O_DIRECTORY | O_CLOEXEC)) == -1 || (d = fdopendir(fd)) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			(void)list_add(&tmp, de->d_name);
	closedir(d);
	/* Sorted, as Go's filepath.Walk walks. */
	for (i = 0; i < (int)tmp.n; i++) {
		int j;

		for (j = i + 1; j < (int)tmp.n; j++)
			if (strcmp(tmp.v[j], tmp.v[i]) < 0) {
				char *t = tmp.v[i];

				tmp.v[i] = tmp.v[j];
				tmp.v[j] = t;
			}
	}
	for (i = 0, n = (int)tmp.n; i < n; i++) {
		snprintf(path, sizeof(path), "%s%s%s", rel, *rel ? "/" : "",
		    tmp.v[i]);
		if (x->c->ignore != NULL && bld_ignore_match(x->c->ignore,
		    path))
			continue;
		if (bld_glob(pat, path)) {
			(void)list_add(out, path);
			continue;
		}
		if ((sub = openat(dirfd, tmp.v[i], O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC)) >= 0) {
			walk_glob(x, sub, path, pat, out, depth + 1);
			close(sub);
		}
	}
	list_free(&tmp);
}

static int
sources(struct cp *x, struct list *out)
{
	struct bld_copy	*c = x->c;
	const char	*s;
	size_t		 i, before;
	int		 fd;

	for (i = 0; i < c->nsrcs; i++) {
		s = c->srcs[i];
		while (*s == '/')
			s++;
		while (s[0] == '.' && s[1] == '/')
			s += 2;
		if (has_glob(s)) {
			before = out->n;
			if ((fd = openat(x->srcfd, ".", O_RDONLY |
			    O_DIRECTORY | O_CLOEXEC)) >= 0) {
				walk_glob(x, fd, "", s, out, 0);
				close(fd);
			}
			if (out->n == before)
				return berth_err_set(&c->err, -ENOENT,
				    "COPY failed: no source files were "
				    "specified");
			continue;
		}
		if (strcmp(s, ".") == 0)
			s = "";
		fd = berth_open_in_root(x->srcfd, s, O_PATH, RESOLVE_IN_ROOT);
		if (fd < 0 || (c->ignore != NULL && *s != '\0' &&
		    bld_ignore_match(c->ignore, s))) {
			if (fd >= 0)
				close(fd);
			return berth_err_set(&c->err, -ENOENT, "COPY failed: "
			    "file not found in build context or excluded by "
			    ".dockerignore: stat %s: file does not exist",
			    c->srcs[i]);
		}
		close(fd);
		if (list_add(out, s) < 0)
			return berth_err_set(&c->err, -ENOMEM, "out of memory");
	}
	return 0;
}

/* --- owners ---------------------------------------------------------------- */

/* The id of name in the step's /etc/passwd (field 3, or 4: gid). */
static int
lookup_id(struct cp *x, const char *file, const char *name, int field,
    unsigned long *out)
{
	char	 buf[64 << 10], *line, *save, *f, *fs;
	ssize_t	 n;
	int	 fd, i;

	if ((fd = berth_open_in_root(x->dstfd, file, O_RDONLY,
	    RESOLVE_IN_ROOT)) < 0)
		return -ENOENT;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ENOENT;
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		f = strtok_r(line, ":", &fs);
		if (f == NULL || strcmp(f, name) != 0)
			continue;
		for (i = 1; i < field && (f = strtok_r(NULL, ":", &fs)) !=
		    NULL; i++)
			;
		if (f == NULL || i != field || !isdigit((unsigned char)*f))
			return -ENOENT;
		*out = strtoul(f, NULL, 10);
		return 0;
	}
	return -ENOENT;
}

static int
numeric(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

static int
owners(struct cp *x)
{
	char		 user[256], *group;
	unsigned long	 u = 0, g = 0;

	x->uid = 0;
	x->gid = 0;
	if (x->c->chown == NULL || *x->c->chown == '\0')
		return 0;
	snprintf(user, sizeof(user), "%s", x->c->chown);
	if ((group = strchr(user, ':')) != NULL)
		*group++ = '\0';
	if (numeric(user))
		u = strtoul(user, NULL, 10);
	else if (lookup_id(x, "/etc/passwd", user, 3, &u) < 0)
		return berth_err_set(&x->c->err, -EINVAL, "unable to convert "
		    "uid/gid chown string to host mapping: can't find uid for "
		    "user %s: no such user: %s", user, user);
	if (group == NULL) {
		if (numeric(user))
			g = u;
		else if (lookup_id(x, "/etc/group", user, 3, &g) < 0 &&
		    lookup_id(x, "/etc/passwd", user, 4, &g) < 0)
			g = u;
	} else if (numeric(group))
		g = strtoul(group, NULL, 10);
	else if (lookup_id(x, "/etc/group", group, 3, &g) < 0)
		return berth_err_set(&x->c->err, -EINVAL, "unable to convert "
		    "uid/gid chown string to host mapping: can't find gid for "
		    "group %s: no such group: %s", group, group);
	x->uid = (uid_t)u;
	x->gid = (gid_t)g;
	return 0;
}

/* --- hashing and copying --------------------------------------------------- */

static void
md_add(struct cp *x, const void *p, size_t n)
{
	if (x->md != NULL)
		(void)EVP_DigestUpdate(x->md, p, n);
}

static void
md_str(struct cp *x, const char *s)
{
	md_add(x, s, strlen(s) + 1);
}

static void
set_times(int fd, const struct stat *st)
{
	struct timespec	ts[2] = { st->st_atim, st->st_mtim };

	(void)futimens(fd, ts);
}

static int	copy_node(struct cp *, int, const char *, int, const char *,
		    const char *, int);

static int
copy_file(struct cp *x, int sfd, const struct stat *st, int pfd,
    const char *base, const char *rel)
{
	ssize_t	 n, w, off;
	int	 dfd = -1, rc = 0;

	if (pfd >= 0) {
		(void)unlinkat(pfd, base, 0);
		if ((dfd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0600)) == -1)
			return fail(x, -errno, "COPY failed: create %s: %s",
			    rel);
	}
	for (;;) {
		if ((n = read(sfd, x->buf, COPY_BUF)) < 0) {
			if (errno == EINTR)
				continue;
			rc = fail(x, -errno, "COPY failed: read %s: %s", rel);
			goto out;
		}
		if (n == 0)
			break;
		md_add(x, x->buf, (size_t)n);
		for (off = 0; dfd >= 0 && off < n; off += w)
			if ((w = write(dfd, x->buf + off, (size_t)(n - off))) <
			    0) {
				if (errno == EINTR) {
					w = 0;
					continue;
				}
				rc = fail(x, -errno, "COPY failed: write %s: %s",
				    rel);
				goto out;
			}
	}
	if (dfd >= 0) {
		if (fchown(dfd, x->uid, x->gid) == -1 ||
		    fchmod(dfd, st->st_mode & 07777) == -1)
			rc = fail(x, -errno, "COPY failed: chown %s: %s", rel);
		set_times(dfd, st);
	}
out:
	if (dfd >= 0)
		close(dfd);
	return rc;
}

/* The entries of directory sfd into directory dfd (-1: hash only). */
static int
copy_children(struct cp *x, int sfd, int dfd, const char *rel, int depth)
{
	struct list	 names = { 0 };
	struct dirent	*de;
	DIR		*d;
	char		 path[PATH_MAX];
	size_t		 i, j;
	int		 fd, rc = 0;

	if (depth > MAX_DEPTH)
		return berth_err_set(&x->c->err, -ELOOP, "COPY failed: %s "
		    "is too deep", rel);
	if ((fd = openat(sfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return fail(x, -errno, "COPY failed: open %s: %s", rel);
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return fail(x, -errno, "COPY failed: open %s: %s", rel);
	}
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0 &&
		    list_add(&names, de->d_name) < 0) {
			rc = berth_err_set(&x->c->err, -ENOMEM,
			    "out of memory");
			break;
		}
	closedir(d);
	/* Sorted, so the hash does not depend on the directory's order. */
	for (i = 0; i < names.n; i++)
		for (j = i + 1; j < names.n; j++)
			if (strcmp(names.v[j], names.v[i]) < 0) {
				char *t = names.v[i];

				names.v[i] = names.v[j];
				names.v[j] = t;
			}
	for (i = 0; rc == 0 && i < names.n; i++) {
		snprintf(path, sizeof(path), "%s/%s", rel, names.v[i]);
		rc = copy_node(x, sfd, names.v[i], dfd, names.v[i], path,
		    depth + 1);
	}
	list_free(&names);
	return rc;
}

/*
 * Source name in sdir to dest base in ddir (-1: hash only).  Nothing is
 * followed: a link is copied as a link.
 */
static int
copy_node(struct cp *x, int sdir, const char *name, int ddir,
    const char *base, const char *rel, int depth)
{
	struct stat	 st, dst;
	char		 target[PATH_MAX];
	ssize_t		 n;
	int		 sfd, dfd = -1, rc;

	if (fstatat(sdir, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return fail(x, -errno, "COPY failed: stat %s: %s", rel);
	md_str(x, rel);
	md_add(x, &st.st_mode, sizeof(st.st_mode));
	if (S_ISLNK(st.st_mode)) {
		if ((n = readlinkat(sdir, name, target, sizeof(target) - 1)) <
		    0)
			return fail(x, -errno, "COPY failed: readlink %s: %s",
			    rel);
		target[n] = '\0';
		md_str(x, target);
		if (ddir < 0)
			return 0;
		if (fstatat(ddir, base, &dst, AT_SYMLINK_NOFOLLOW) == 0)
			(void)(S_ISDIR(dst.st_mode) ? berth_rmtree_at(ddir,
			    base) : unlinkat(ddir, base, 0));
		if (symlinkat(target, ddir, base) == -1)
			return fail(x, -errno, "COPY failed: symlink %s: %s",
			    rel);
		(void)fchownat(ddir, base, x->uid, x->gid,
		    AT_SYMLINK_NOFOLLOW);
		return 0;
	}
	if (S_ISREG(st.st_mode)) {
		if ((sfd = openat(sdir, name, O_RDONLY | O_NOFOLLOW |
		    O_CLOEXEC)) == -1)
			return fail(x, -errno, "COPY failed: open %s: %s", rel);
		rc = copy_file(x, sfd, &st, ddir, base, rel);
		close(sfd);
		return rc;
	}
	if (!S_ISDIR(st.st_mode))
		return 0;	/* sockets, devices: not copied */
	if ((sfd = openat(sdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return fail(x, -errno, "COPY failed: open %s: %s", rel);
	if (ddir >= 0) {
		if (fstatat(ddir, base, &dst, AT_SYMLINK_NOFOLLOW) == 0 &&
		    !S_ISDIR(dst.st_mode))
			(void)unlinkat(ddir, base, 0);
		if (mkdirat(ddir, base, 0700) == -1 && errno != EEXIST) {
			close(sfd);
			return fail(x, -errno, "COPY failed: mkdir %s: %s",
			    rel);
		}
		if ((dfd = openat(ddir, base, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC)) == -1) {
			close(sfd);
			return fail(x, -errno, "COPY failed: open %s: %s",
			    rel);
		}
		(void)fchown(dfd, x->uid, x->gid);
		(void)fchmod(dfd, st.st_mode & 07777);
	}
	rc = copy_children(x, sfd, dfd, rel, depth);
	if (dfd >= 0) {
		set_times(dfd, &st);
		close(dfd);
	}
	close(sfd);
	return rc;
}

/* An O_DIRECTORY fd on dir in the step's root, made (0755) if missing. */
static int
dest_dir(struct cp *x, const char *dir)
{
	int	pfd, fd;

	pfd = berth_mkdirs_in_root(x->dstfd, dir, 0755, x->uid, x->gid,
	    RESOLVE_IN_ROOT);
	if (pfd < 0)
		return fail(x, pfd, "COPY failed: mkdir %s: %s", dir);
	fd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	close(pfd);
	if (fd == -1)
		return fail(x, -errno, "COPY failed: open %s: %s", dir);
	return fd;
}

static int
climbs(const char *n)
{
	const char	*p;

	for (p = n; p != NULL; p = strchr(p, '/') ? strchr(p, '/') + 1 : NULL)
		if (p[0] == '.' && p[1] == '.' && (p[2] == '/' || p[2] == '\0'))
			return 1;
	return 0;
}

/* ADD of a local archive: unpacked into dest.  1 if it was one. */
static int
add_archive(struct cp *x, const char *src, const char *dest)
{
	struct archive		*a;
	struct archive_entry	*e;
	struct berth_parent	 par = BERTH_PARENT_INIT;
	char			 path[PATH_MAX], *slash;
	int			 fd, dfd, r, rc = 1, pfd;

	if ((fd = berth_open_in_root(x->srcfd, src, O_RDONLY,
	    RESOLVE_IN_ROOT)) < 0 || (a = archive_read_new()) == NULL) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	if (archive_read_open_fd(a, fd, 64 << 10) != ARCHIVE_OK ||
	    archive_read_next_header(a, &e) != ARCHIVE_OK) {
		archive_read_free(a);
		close(fd);
		return 0;	/* not an archive: copied as a file */
	}
	if ((dfd = dest_dir(x, dest)) < 0) {
		rc = dfd;
		goto out;
	}
	do {
		const char *n = archive_entry_pathname(e), *base;

		while (*n == '/' || (n[0] == '.' && n[1] == '/'))
			n += *n == '/' ? 1 : 2;
		/* Nothing that climbs is written (Docker fails it). */
		if (*n == '\0' || climbs(n))
			continue;
		snprintf(path, sizeof(path), "%s", n);
		while (strlen(path) > 1 && path[strlen(path) - 1] == '/')
			path[strlen(path) - 1] = '\0';
		base = (slash = strrchr(path, '/')) != NULL ? slash + 1 : path;
		{
			char b[NAME_MAX + 1];

			if (strlen(base) > NAME_MAX)
				continue;
			memcpy(b, base, strlen(base) + 1);
			if (slash != NULL)
				*slash = '\0';
			else
				path[0] = '\0';
			if ((pfd = berth_parent_get(&par, dfd, path,
			    RESOLVE_IN_ROOT)) < 0) {
				rc = fail(x, pfd, "ADD failed: %s: %s", n);
				break;
			}
			if (archive_entry_filetype(e) != AE_IFDIR)
				(void)unlinkat(pfd, b, 0);
			switch (archive_entry_filetype(e)) {
			case AE_IFDIR:
				r = berth_untar_dir(e, pfd, b, 0,
				    archive_entry_uid(e), archive_entry_gid(e),
				    n, &x->c->err);
				break;
			case AE_IFREG:
				r = archive_entry_hardlink(e) != NULL ? 0 :
				    berth_untar_file(a, e, pfd, b,
				    archive_entry_uid(e), archive_entry_gid(e),
				    n, NULL, &x->c->err);
				break;
			case AE_IFLNK:
				r = berth_untar_symlink(e, pfd, b,
				    archive_entry_symlink(e),
				    archive_entry_uid(e), archive_entry_gid(e),
				    n, &x->c->err);
				break;
			default:
				r = 0;
			}
			if (r < 0) {
				rc = r == BERTH_UNTAR_EARCHIVE ? berth_err_set(
				    &x->c->err, -EINVAL, "ADD failed: %s is "
				    "truncated", src) : r;
				break;
			}
		}
	} while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK);
	berth_parent_forget(&par);
	close(dfd);
out:
	archive_read_free(a);
	close(fd);
	return rc;
}

static int
copy_one(struct cp *x, const char *src)
{
	struct bld_copy	*c = x->c;
	struct stat	 st, dst;
	char		 dir[PATH_MAX], base[PATH_MAX];
	const char	*slash, *sbase;
	int		 sfd, ddir = -1, rc, into;

	if ((sfd = berth_open_in_root(x->srcfd, src, O_PATH,
	    RESOLVE_IN_ROOT)) < 0)
		return fail(x, sfd, "COPY failed: stat %s: %s", src);
	if (fstat(sfd, &st) == -1) {
		rc = fail(x, -errno, "COPY failed: stat %s: %s", src);
		close(sfd);
		return rc;
	}
	md_str(x, src);
	if (S_ISDIR(st.st_mode)) {
		/* Its contents into dest. */
		int dfd = -1, rfd;

		if (c->dst_root != NULL && (dfd = dest_dir(x, c->dest)) < 0) {
			close(sfd);
			return dfd;
		}
		rfd = openat(sfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		rc = rfd < 0 ? fail(x, -errno, "COPY failed: open %s: %s",
		    src) : copy_children(x, rfd, dfd, "", 0);
		if (rfd >= 0)
			close(rfd);
		if (dfd >= 0)
			close(dfd);
		close(sfd);
		return rc;
	}
	close(sfd);
	if (c->add && c->dst_root != NULL && (rc = add_archive(x, src,
	    c->dest)) != 0)
		return rc < 0 ? rc : 0;
	sbase = (slash = strrchr(src, '/')) != NULL ? slash + 1 : src;
	/* Into dest, or as dest. */
	into = c->dest_is_dir;
	if (!into && c->dst_root != NULL && (sfd = berth_open_in_root(
	    x->dstfd, c->dest, O_PATH, RESOLVE_IN_ROOT)) >= 0) {
		into = fstat(sfd, &dst) == 0 && S_ISDIR(dst.st_mode);
		close(sfd);
	}
	if (into) {
		snprintf(dir, sizeof(dir), "%s", c->dest);
		snprintf(base, sizeof(base), "%s", sbase);
	} else {
		snprintf(dir, sizeof(dir), "%s", c->dest);
		if ((slash = strrchr(dir, '/')) != NULL) {
			snprintf(base, sizeof(base), "%s", slash + 1);
			dir[slash - dir] = '\0';
		} else
			snprintf(base, sizeof(base), "%s", dir);
	}
	if (c->dst_root != NULL && (ddir = dest_dir(x, dir)) < 0)
		return ddir;
	/* The source itself may be a link in the context: its target. */
	if ((sfd = berth_open_in_root(x->srcfd, src, O_RDONLY,
	    RESOLVE_IN_ROOT)) < 0) {
		rc = fail(x, sfd, "COPY failed: open %s: %s", src);
	} else {
		md_add(x, &st.st_mode, sizeof(st.st_mode));
		rc = copy_file(x, sfd, &st, ddir, base, src);
		close(sfd);
	}
	if (ddir >= 0)
		close(ddir);
	return rc;
}

static void
run(struct bld_copy *c, int hash)
{
	struct cp	 x = { .c = c, .srcfd = -1, .dstfd = -1 };
	struct list	 srcs = { 0 };
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0, i;
	size_t		 k;
	struct stat	 st;
	const char	*kind = "file";

	c->rc = 0;
	if ((x.buf = malloc(COPY_BUF)) == NULL) {
		c->rc = berth_err_set(&c->err, -ENOMEM, "out of memory");
		return;
	}
	if ((x.srcfd = open(c->src_root, O_PATH | O_DIRECTORY |
	    O_CLOEXEC)) == -1) {
		c->rc = berth_err_errno(&c->err, "open %s", c->src_root);
		goto out;
	}
	if (!hash && (x.dstfd = open(c->dst_root, O_PATH | O_DIRECTORY |
	    O_CLOEXEC)) == -1) {
		c->rc = berth_err_errno(&c->err, "open %s", c->dst_root);
		goto out;
	}
	if (hash && ((x.md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(x.md, EVP_sha256(), NULL) != 1)) {
		c->rc = berth_err_set(&c->err, -ENOMEM, "out of memory");
		goto out;
	}
	if ((c->rc = sources(&x, &srcs)) < 0)
		goto out;
	if (srcs.n > 1 && !c->dest_is_dir) {
		c->rc = berth_err_set(&c->err, -EINVAL, "When using COPY with "
		    "more than one source file, the destination must be a "
		    "directory and end with a /");
		goto out;
	}
	if (!hash && (c->rc = owners(&x)) < 0)
		goto out;
	for (k = 0; k < srcs.n; k++)
		if ((c->rc = copy_one(&x, srcs.v[k])) < 0)
			goto out;
	if (hash) {
		(void)EVP_DigestFinal_ex(x.md, md, &mdlen);
		if (srcs.n > 1)
			kind = "multi";
		else if (srcs.n == 1 && fstatat(x.srcfd, *srcs.v[0] ?
		    srcs.v[0] : ".", &st, 0) == 0 && S_ISDIR(st.st_mode))
			kind = "dir";
		k = (size_t)snprintf(c->hash, sizeof(c->hash), "%s:", kind);
		for (i = 0; i < mdlen && k + 3 <= sizeof(c->hash); i++)
			k += (size_t)snprintf(c->hash + k, sizeof(c->hash) - k,
			    "%02x", md[i]);
	}
out:
	if (x.md != NULL)
		EVP_MD_CTX_free(x.md);
	if (x.srcfd >= 0)
		close(x.srcfd);
	if (x.dstfd >= 0)
		close(x.dstfd);
	list_free(&srcs);
	free(x.buf);
}

void
bld_copy_hash(struct bld_copy *c)
{
	char	*dst = c->dst_root;

	c->dst_root = NULL;
	run(c, 1);
	c->dst_root = dst;
}

void
bld_copy_run(struct bld_copy *c)
{
	run(c, 0);
}

int
bld_mkdir_workdir(const char *root, const char *dir, struct berth_err *err)
{
	int	rootfd, fd;

	if ((rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
		return berth_err_errno(err, "open %s", root);
	fd = berth_mkdirs_in_root(rootfd, dir, 0755, 0, 0, RESOLVE_IN_ROOT);
	close(rootfd);
	if (fd < 0)
		return berth_err_set(err, fd, "mkdir %s: %s", dir,
		    strerror(-fd));
	close(fd);
	return 0;
}
