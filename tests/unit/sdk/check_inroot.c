/*
 * check_inroot.c - berth/inroot.h and berth_rmtree_at of berth/fs.h:
 * paths from images and clients stay inside their root, and rm -rf
 * never follows a link out of the tree it removes.
 *
 * Every test works in a fresh scratch directory: <tmp>/outside is the
 * "host", <tmp>/root the root the helpers are given.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <berth/fs.h>
#include <berth/inroot.h>

#include "unit.h"

static char	tmp[PATH_MAX];
static int	rootfd = -1;

static void
path_of(char *out, size_t len, const char *rel)
{
	ck_assert_int_lt(snprintf(out, len, "%s/%s", tmp, rel), (int)len);
}

static void
mk(const char *rel)
{
	char	p[PATH_MAX];

	path_of(p, sizeof(p), rel);
	ck_assert_int_eq(berth_mkdirs(p, 0755), 0);
}

static void
ln(const char *target, const char *rel)
{
	char	p[PATH_MAX];

	path_of(p, sizeof(p), rel);
	ck_assert_int_eq(symlink(target, p), 0);
}

static void
touch(const char *rel)
{
	char	p[PATH_MAX];

	path_of(p, sizeof(p), rel);
	ck_assert_int_eq(berth_write_file(p, "x", 1, 0644, 0), 0);
}

static int
exists(const char *rel)
{
	char		p[PATH_MAX];
	struct stat	st;

	path_of(p, sizeof(p), rel);
	return lstat(p, &st) == 0;
}

static void
setup(void)
{
	char	p[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s/berth-inroot-XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	mk("root");
	mk("outside");
	touch("outside/secret");
	path_of(p, sizeof(p), "root");
	rootfd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(rootfd, 0);
	/* The classic escapes, as an image or a container would plant them. */
	ln("/", "root/lnk");
	ln("../../..", "root/up");
	ln("../outside", "root/side");
}

static void
teardown(void)
{
	if (rootfd >= 0)
		close(rootfd);
	rootfd = -1;
	(void)berth_rmtree_at(AT_FDCWD, tmp);
}

/* --- berth_open_in_root --------------------------------------------------- */

START_TEST(open_stays_inside)
{
	static const char	*escapes[] = {
		"lnk/outside/secret", "up/outside/secret",
		"side/secret", "../outside/secret", "/../../outside/secret",
	};
	size_t			 i;
	int			 fd;

	for (i = 0; i < sizeof(escapes) / sizeof(escapes[0]); i++) {
		fd = berth_open_in_root(rootfd, escapes[i], O_RDONLY, 0);
		ck_assert_msg(fd == -ENOENT, "%s: got %d, want -ENOENT",
		    escapes[i], fd);
	}
	/* The same names planted inside are what is found. */
	mk("root/outside");
	touch("root/outside/secret");
	fd = berth_open_in_root(rootfd, "up/outside/secret", O_RDONLY, 0);
	ck_assert_int_ge(fd, 0);
	close(fd);
}
END_TEST

START_TEST(open_root_and_nofollow)
{
	struct stat	a, b;
	int		fd;

	fd = berth_open_in_root(rootfd, "/", O_PATH | O_DIRECTORY, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &a), 0);
	ck_assert_int_eq(fstat(rootfd, &b), 0);
	ck_assert(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	close(fd);
	/* O_NOFOLLOW | O_PATH: the link itself. */
	fd = berth_open_in_root(rootfd, "lnk", O_PATH | O_NOFOLLOW, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &a), 0);
	ck_assert(S_ISLNK(a.st_mode));
	close(fd);
	ck_assert_int_eq(berth_open_in_root(rootfd, "missing", O_RDONLY, 0),
	    -ENOENT);
}
END_TEST

START_TEST(open_magic_links_refused)
{
	char	p[PATH_MAX], link[64];
	int	slash, sfd, fd;

	/*
	 * /proc/self/fd/N names a file wherever it is: with the host's "/"
	 * as the root, a magic link must still be refused.
	 */
	path_of(p, sizeof(p), "outside/secret");
	ck_assert_int_ge(sfd = open(p, O_RDONLY | O_CLOEXEC), 0);
	ck_assert_int_ge(slash = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC),
	    0);
	snprintf(link, sizeof(link), "proc/self/fd/%d", sfd);
	fd = berth_open_in_root(slash, link, O_RDONLY, 0);
	ck_assert_int_eq(fd, -ELOOP);
	close(slash);
	close(sfd);
}
END_TEST

/* --- berth_mkdirs_in_root ------------------------------------------------- */

START_TEST(mkdirs_through_links)
{
	int	fd;

	fd = berth_mkdirs_in_root(rootfd, "lnk/a/b", 0755, (uid_t)-1,
	    (gid_t)-1, 0);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert(exists("root/a/b"));
	fd = berth_mkdirs_in_root(rootfd, "/up/outside/made", 0700,
	    (uid_t)-1, (gid_t)-1, 0);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert(exists("root/outside/made"));
	ck_assert(!exists("outside/made"));
	fd = berth_mkdirs_in_root(rootfd, "side/x", 0755, (uid_t)-1,
	    (gid_t)-1, 0);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert(!exists("outside/x"));
	ck_assert(exists("root/outside/x"));
}
END_TEST

START_TEST(mkdirs_modes_owner_and_errors)
{
	char		p[PATH_MAX];
	struct stat	st;
	int		fd;

	fd = berth_mkdirs_in_root(rootfd, "w/x//y/", 0700, 1234, 4321, 0);
	ck_assert_int_ge(fd, 0);
	close(fd);
	path_of(p, sizeof(p), "root/w/x/y");
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0700);
	ck_assert_int_eq(st.st_uid, 1234);
	ck_assert_int_eq(st.st_gid, 4321);
	/* Existing ones keep theirs. */
	path_of(p, sizeof(p), "root/a");
	ck_assert_int_eq(mkdir(p, 0711), 0);
	fd = berth_mkdirs_in_root(rootfd, "a/new", 0755, 1, 1, 0);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_uid, 0);
	/* A file in the way, a dangling link in the way. */
	touch("root/file");
	ck_assert_int_eq(berth_mkdirs_in_root(rootfd, "file/sub", 0755,
	    (uid_t)-1, (gid_t)-1, 0), -ENOTDIR);
	ln("/nowhere/at/all", "root/dangling");
	ck_assert_int_lt(berth_mkdirs_in_root(rootfd, "dangling/sub", 0755,
	    (uid_t)-1, (gid_t)-1, 0), 0);
	ck_assert(!exists("root/nowhere"));
}
END_TEST

/* --- berth_parent_get ----------------------------------------------------- */

START_TEST(parent_cache)
{
	struct berth_parent	bp = BERTH_PARENT_INIT;
	int			fd, again;

	fd = berth_parent_get(&bp, rootfd, "d/e", 0);
	ck_assert_int_ge(fd, 0);
	again = berth_parent_get(&bp, rootfd, "d/e", 0);
	ck_assert_int_eq(fd, again);
	ck_assert(exists("root/d/e"));
	fd = berth_parent_get(&bp, rootfd, "up/f", 0);
	ck_assert_int_ge(fd, 0);
	ck_assert(exists("root/f"));
	fd = berth_parent_get(&bp, rootfd, "lnk/../outside/y", 0);
	ck_assert_int_ge(fd, 0);
	ck_assert(exists("root/outside/y"));
	ck_assert(!exists("outside/y"));
	berth_parent_forget(&bp);
	ck_assert_int_eq(bp.fd, -1);
	berth_parent_forget(&bp);
}
END_TEST

/* --- berth_rmtree_at ------------------------------------------------------ */

START_TEST(rmtree_never_follows)
{
	char	p[PATH_MAX];

	mk("root/t/a/b/c");
	touch("root/t/a/b/c/f");
	touch("root/t/top");
	ln("../../outside", "root/t/a/out");
	ln("/", "root/t/slash");
	path_of(p, sizeof(p), "root/t/a/b");
	ck_assert_int_eq(chmod(p, 0500), 0);	/* read-only, still goes */
	ck_assert_int_eq(berth_rmtree_at(rootfd, "t"), 0);
	ck_assert(!exists("root/t"));
	ck_assert(exists("outside/secret"));
	/* A missing name, a plain file, a path from AT_FDCWD. */
	ck_assert_int_eq(berth_rmtree_at(rootfd, "t"), 0);
	touch("root/plain");
	ck_assert_int_eq(berth_rmtree_at(rootfd, "plain"), 0);
	ck_assert(!exists("root/plain"));
	mk("root/u/v");
	path_of(p, sizeof(p), "root/u");
	ck_assert_int_eq(berth_rmtree_at(AT_FDCWD, p), 0);
	ck_assert(!exists("root/u"));
}
END_TEST

START_TEST(rmtree_wide)
{
	char	name[64];
	int	i;

	mk("root/wide");
	for (i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "root/wide/f%04d", i);
		touch(name);
	}
	ck_assert_int_eq(berth_rmtree_at(rootfd, "wide"), 0);
	ck_assert(!exists("root/wide"));
}
END_TEST

Suite *
suite(void)
{
	Suite	*s = suite_create("inroot");
	TCase	*tc = tcase_create("inroot");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, open_stays_inside);
	tcase_add_test(tc, open_root_and_nofollow);
	tcase_add_test(tc, open_magic_links_refused);
	tcase_add_test(tc, mkdirs_through_links);
	tcase_add_test(tc, mkdirs_modes_owner_and_errors);
	tcase_add_test(tc, parent_cache);
	tcase_add_test(tc, rmtree_never_follows);
	tcase_add_test(tc, rmtree_wide);
	suite_add_tcase(s, tc);
	return s;
}
