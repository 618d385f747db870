/*
 * check_untar.c - berth/untar.h: each kind of entry is written with the
 * archive's owner, mode, times and xattrs (never overlayfs's own); a
 * name already taken, even by a link to outside, is never written
 * through; a truncated archive is told apart from a failed write.
 *
 * Archives are built in memory with libarchive's writer.
 */
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include <berth/fs.h>
#include <berth/untar.h>

#include "unit.h"

#define T_MTIME		1000000000
#define BIG		(1 << 20)

static char	 tmp[PATH_MAX - 64];
static int	 rootfd = -1;
static char	 tarbuf[64 << 10];
static size_t	 tarlen;

static void
setup(void)
{
	char	p[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s/berth-untar-XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	snprintf(p, sizeof(p), "%s/root", tmp);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	rootfd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(rootfd, 0);
	snprintf(p, sizeof(p), "%s/outside", tmp);
	ck_assert_int_eq(berth_write_file(p, "host", 4, 0644, 0), 0);
}

static void
teardown(void)
{
	if (rootfd >= 0)
		close(rootfd);
	rootfd = -1;
	(void)berth_rmtree_at(AT_FDCWD, tmp);
}

/* --- building archives ---------------------------------------------------- */

static struct archive_entry *
entry(const char *name, mode_t type, mode_t perm, uid_t uid, int64_t size)
{
	struct archive_entry	*e = archive_entry_new();

	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, perm);
	archive_entry_set_uid(e, uid);
	archive_entry_set_gid(e, uid + 1);
	archive_entry_set_mtime(e, T_MTIME, 0);
	archive_entry_set_size(e, size);
	return e;
}

static void
put(struct archive *w, struct archive_entry *e, const char *data,
    size_t len)
{
	ck_assert_int_eq(archive_write_header(w, e), ARCHIVE_OK);
	if (len > 0)
		ck_assert_int_eq(archive_write_data(w, data, len), (ssize_t)len);
	archive_entry_free(e);
}

/* f (data, xattrs), d, l -> f, p (fifo), big (1 MiB, 5 bytes of data). */
static void
build(void)
{
	struct archive		*w = archive_write_new();
	struct archive_entry	*e;

	ck_assert_int_eq(archive_write_set_format_pax(w), ARCHIVE_OK);
	ck_assert_int_eq(archive_write_open_memory(w, tarbuf, sizeof(tarbuf),
	    &tarlen), ARCHIVE_OK);
	e = entry("f", AE_IFREG, 0640, 1234, 5);
	archive_entry_xattr_add_entry(e, "trusted.keep", "v", 1);
	archive_entry_xattr_add_entry(e, "trusted.overlay.opaque", "y", 1);
	put(w, e, "hello", 5);
	put(w, entry("d", AE_IFDIR, 0751, 5, 0), NULL, 0);
	e = entry("l", AE_IFLNK, 0777, 7, 0);
	archive_entry_set_symlink(e, "f");
	put(w, e, NULL, 0);
	put(w, entry("p", AE_IFIFO, 0604, 9, 0), NULL, 0);
	e = entry("big", AE_IFREG, 0600, 0, BIG);
	archive_entry_sparse_add_entry(e, 0, 5);
	put(w, e, "start", 5);
	ck_assert_int_eq(archive_write_close(w), ARCHIVE_OK);
	archive_write_free(w);
}

static struct archive *
reader(size_t len)
{
	struct archive	*a = archive_read_new();

	ck_assert_int_eq(archive_read_support_format_tar(a), ARCHIVE_OK);
	ck_assert_int_eq(archive_read_open_memory(a, tarbuf, len), ARCHIVE_OK);
	return a;
}

/* Write every entry of the archive into the root, as a module would. */
static int
extract(struct archive *a, struct berth_err *err, int64_t *total)
{
	struct archive_entry	*e;
	const char		*n;
	int64_t			 size;
	int			 r, rc = 0;

	while (rc == 0 && (r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		n = archive_entry_pathname(e);
		switch (archive_entry_filetype(e)) {
		case AE_IFREG:
			size = 0;
			rc = berth_untar_file(a, e, rootfd, n,
			    archive_entry_uid(e), archive_entry_gid(e), n,
			    &size, err);
			*total += size;
			break;
		case AE_IFDIR:
			rc = berth_untar_dir(e, rootfd, n, 0,
			    archive_entry_uid(e), archive_entry_gid(e), n, err);
			break;
		case AE_IFLNK:
			rc = berth_untar_symlink(e, rootfd, n,
			    archive_entry_symlink(e), archive_entry_uid(e),
			    archive_entry_gid(e), n, err);
			break;
		default:
			rc = berth_untar_node(e, rootfd, n, S_IFIFO, 0,
			    archive_entry_uid(e), archive_entry_gid(e), n, err);
		}
	}
	return rc;
}

static void
stat_in(const char *name, struct stat *st)
{
	ck_assert_int_eq(fstatat(rootfd, name, st, AT_SYMLINK_NOFOLLOW), 0);
}

/* --- tests ---------------------------------------------------------------- */

START_TEST(every_kind)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	struct archive		*a;
	struct stat		 st;
	char			 buf[16];
	int64_t			 total = 0;
	int			 fd;
	ssize_t			 n;

	build();
	a = reader(tarlen);
	ck_assert_int_eq(extract(a, &err, &total), 0);
	archive_read_free(a);
	ck_assert_int_eq(total, 5 + BIG);

	stat_in("f", &st);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(st.st_mode & 07777, 0640);
	ck_assert_int_eq(st.st_uid, 1234);
	ck_assert_int_eq(st.st_gid, 1235);
	ck_assert_int_eq(st.st_mtime, T_MTIME);
	ck_assert_int_eq(st.st_size, 5);
	fd = openat(rootfd, "f", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	/* Kept where the filesystem takes trusted.* (ext4, tmpfs do). */
	if (fsetxattr(fd, "trusted.probe", "p", 1, 0) == 0) {
		n = fgetxattr(fd, "trusted.keep", buf, sizeof(buf));
		ck_assert_int_eq(n, 1);
	}
	/* Only the layer store says what overlayfs sees. */
	ck_assert_int_eq(fgetxattr(fd, "trusted.overlay.opaque", buf,
	    sizeof(buf)), -1);
	close(fd);

	stat_in("d", &st);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_int_eq(st.st_mode & 07777, 0751);
	ck_assert_int_eq(st.st_uid, 5);

	stat_in("l", &st);
	ck_assert(S_ISLNK(st.st_mode));
	ck_assert_int_eq(st.st_uid, 7);
	ck_assert_int_eq(st.st_mtime, T_MTIME);
	n = readlinkat(rootfd, "l", buf, sizeof(buf));
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(buf[0], 'f');

	stat_in("p", &st);
	ck_assert(S_ISFIFO(st.st_mode));
	ck_assert_int_eq(st.st_mode & 07777, 0604);
	ck_assert_int_eq(st.st_uid, 9);
	ck_assert_int_eq(st.st_mtime, T_MTIME);

	/* A sparse file keeps its length, and its hole. */
	stat_in("big", &st);
	ck_assert_int_eq(st.st_size, BIG);
	ck_assert_int_lt(st.st_blocks * 512, BIG);

	/* A hard link to f, through an O_PATH fd on it. */
	fd = openat(rootfd, "f", O_PATH | O_NOFOLLOW | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(berth_untar_hardlink(fd, rootfd, "h", "h", &err), 0);
	close(fd);
	stat_in("h", &st);
	ck_assert_int_eq(st.st_nlink, 2);
}
END_TEST

START_TEST(never_through_a_name_taken)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	struct archive		*a;
	struct archive_entry	*e;
	char			 p[PATH_MAX], buf[8];
	int64_t			 size;
	int			 fd;

	build();
	/* "f" is a link to the host's file: it must not be written. */
	snprintf(p, sizeof(p), "%s/outside", tmp);
	ck_assert_int_eq(symlinkat(p, rootfd, "f"), 0);
	a = reader(tarlen);
	ck_assert_int_eq(archive_read_next_header(a, &e), ARCHIVE_OK);
	ck_assert_int_eq(berth_untar_file(a, e, rootfd, "f", 0, 0, "f", &size,
	    &err), -EEXIST);
	ck_assert_int_eq(err.code, -EEXIST);
	ck_assert_ptr_nonnull(strstr(err.msg, "create f"));
	archive_read_free(a);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(read(fd, buf, sizeof(buf)), 4);
	ck_assert_int_eq(memcmp(buf, "host", 4), 0);
	close(fd);
	/* A directory through a link: refused, not followed. */
	ck_assert_int_eq(symlinkat(tmp, rootfd, "d"), 0);
	e = entry("d", AE_IFDIR, 0777, 0, 0);
	ck_assert_int_lt(berth_untar_dir(e, rootfd, "d", 1, 0, 0, "d", &err),
	    0);
	archive_entry_free(e);
}
END_TEST

START_TEST(truncated_archive)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	struct archive		*w = archive_write_new(), *a;
	struct archive_entry	*e;
	static char		 data[32 << 10];
	int64_t			 size = 0;

	/* One 32 KiB file, cut 10000 bytes into its data. */
	memset(data, 'x', sizeof(data));
	ck_assert_int_eq(archive_write_set_format_ustar(w), ARCHIVE_OK);
	ck_assert_int_eq(archive_write_open_memory(w, tarbuf, sizeof(tarbuf),
	    &tarlen), ARCHIVE_OK);
	put(w, entry("f", AE_IFREG, 0644, 0, sizeof(data)), data,
	    sizeof(data));
	ck_assert_int_eq(archive_write_close(w), ARCHIVE_OK);
	archive_write_free(w);
	a = reader(512 + 10000);
	ck_assert_int_eq(archive_read_next_header(a, &e), ARCHIVE_OK);
	ck_assert_int_eq(berth_untar_file(a, e, rootfd, "f", 0, 0, "f", &size,
	    &err), BERTH_UNTAR_EARCHIVE);
	/* The archive's fault, for the caller to word: err untouched. */
	ck_assert_int_eq(err.code, 0);
	archive_read_free(a);
}
END_TEST

Suite *
suite(void)
{
	Suite	*s = suite_create("untar");
	TCase	*tc = tcase_create("untar");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, every_kind);
	tcase_add_test(tc, never_through_a_name_taken);
	tcase_add_test(tc, truncated_archive);
	suite_add_tcase(s, tc);
	return s;
}
