/*
 * check_volume_local.c - the local volume driver: Docker's name and
 * option rules directly; create, get, list, mount counting and removal
 * through volume/1 with the mock host (whose work runs at once) on a
 * scratch data root; a tmpfs volume mounted at the first mount ID and
 * unmounted at the last when running as root.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <berth/module.h>
#include <berth/volume.h>

#include "../../../modules/volume-local/volume_local.h"
#include "mock_host.h"
#include "unit.h"

extern const struct berth_module berth_module;

static char			 scratch[64];
static void			*state;
static const struct berth_volume_ops *ops;
static void			*dst;

/* --- names and options ---------------------------------------------------------- */

static void
name_bad(const char *name, const char *msg)
{
	struct berth_err	err = BERTH_ERR_INIT;

	ck_assert_int_eq(volume_local_name_valid(name, &err), -EINVAL);
	ck_assert_msg(strstr(err.msg, msg) != NULL, "%s: %s", name, err.msg);
}

START_TEST(names)
{
	char	long_name[301];

	ck_assert_int_eq(volume_local_name_valid("v1", NULL), 0);
	ck_assert_int_eq(volume_local_name_valid("a.b_c-d", NULL), 0);
	ck_assert_int_eq(volume_local_name_valid(
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	    NULL), 0);
	name_bad("../x", "includes invalid characters");
	name_bad("/etc", "includes invalid characters");
	name_bad("a/b", "includes invalid characters");
	name_bad(".hidden", "includes invalid characters");
	name_bad("..", "includes invalid characters");
	name_bad("x", "too short");
	name_bad("", "cannot be empty");
	name_bad(NULL, "cannot be empty");
	memset(long_name, 'a', 300);
	long_name[300] = '\0';
	name_bad(long_name, "too long");
}
END_TEST

START_TEST(options)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	json_object		*o;

	ck_assert_int_eq(volume_local_opts_valid(NULL, &err), 0);
	o = json_tokener_parse("{\"type\":\"tmpfs\",\"device\":\"tmpfs\","
	    "\"o\":\"size=1m\"}");
	ck_assert_int_eq(volume_local_opts_valid(o, &err), 0);
	json_object_put(o);
	o = json_tokener_parse("{\"size\":\"1m\"}");
	ck_assert_int_eq(volume_local_opts_valid(o, &err), -EINVAL);
	ck_assert_str_eq(err.msg, "invalid option key: \"size\"");
	json_object_put(o);
	o = json_tokener_parse("{\"type\":\"tmpfs\"}");
	ck_assert_int_eq(volume_local_opts_valid(o, &err), -EINVAL);
	ck_assert_str_eq(err.msg, "missing required option: \"device\"");
	json_object_put(o);
}
END_TEST

/* --- the driver through volume/1 ------------------------------------------------ */

static int		 got_rc;
static char		 got_path[4096];
static char		 got_err[BERTH_ERR_MSGLEN];
static size_t		 got_n;

static void
done_cb(void *arg, int rc, const struct berth_err *err)
{
	got_rc = rc;
	snprintf(got_err, sizeof(got_err), "%s", err != NULL ? err->msg : "");
}

static void
path_cb(void *arg, int rc, const char *path, const struct berth_err *err)
{
	got_rc = rc;
	snprintf(got_path, sizeof(got_path), "%s", path != NULL ? path : "");
}

static void
list_cb(void *arg, int rc, const struct berth_volume_info *v, size_t n,
    const struct berth_err *err)
{
	got_rc = rc;
	got_n = n;
}

static void
get_cb(void *arg, int rc, const struct berth_volume_info *v,
    const struct berth_err *err)
{
	got_rc = rc;
	snprintf(got_path, sizeof(got_path), "%s", v != NULL ?
	    v->mountpoint : "");
}

static void
drv_setup(void)
{
	struct berth_err	err = BERTH_ERR_INIT;

	snprintf(scratch, sizeof(scratch), "/tmp/check_vl.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(scratch));
	mock_reset();
	mock_set_roots(scratch, "/tmp");
	ck_assert_msg(berth_module.init(&mock_host, mock_conf(NULL), &state,
	    &err) == 0, "%s", err.msg);
	ck_assert_ptr_nonnull(ops = mock_host.lookup(&mock_host,
	    BERTH_VOLUME_IFACE, "local", &dst));
}

static void
drv_teardown(void)
{
	berth_module.fini(state);
	mock_reset();
	(void)volume_local_rm_tree(scratch);
}

START_TEST(create_get_remove)
{
	char		 p[256];
	struct stat	 st;

	ops->create(dst, "v1", NULL, done_cb, NULL);
	ck_assert_int_eq(got_rc, 0);
	snprintf(p, sizeof(p), "%s/volumes/v1/_data", scratch);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ops->get(dst, "v1", get_cb, NULL);
	ck_assert_int_eq(got_rc, 0);
	ck_assert_str_eq(got_path, p);
	ops->list(dst, list_cb, NULL);
	ck_assert_int_eq(got_n, 1);
	/* Creating it again is not an error (Docker's local driver). */
	ops->create(dst, "v1", NULL, done_cb, NULL);
	ck_assert_int_eq(got_rc, 0);
	ops->get(dst, "nope", get_cb, NULL);
	ck_assert_int_eq(got_rc, -ENOENT);

	/* A mounted volume is not removed; the last unmount frees it. */
	ops->mount(dst, "v1", "id1", path_cb, NULL);
	ck_assert_int_eq(got_rc, 0);
	ck_assert_str_eq(got_path, p);
	ops->mount(dst, "v1", "id2", path_cb, NULL);
	ops->unmount(dst, "v1", "id1", done_cb, NULL);
	ops->remove(dst, "v1", done_cb, NULL);
	ck_assert_int_eq(got_rc, -EBUSY);
	ops->unmount(dst, "v1", "id2", done_cb, NULL);
	ops->remove(dst, "v1", done_cb, NULL);
	ck_assert_int_eq(got_rc, 0);
	snprintf(p, sizeof(p), "%s/volumes/v1", scratch);
	ck_assert_int_eq(access(p, F_OK), -1);
	ops->remove(dst, "v1", done_cb, NULL);
	ck_assert_int_eq(got_rc, -ENOENT);
}
END_TEST

START_TEST(hostile_names)
{
	static const char *const bad[] = { "../x", "/etc", "..", "", "a/../../b",
	    NULL };
	char		 p[256];
	size_t		 i;

	for (i = 0; bad[i] != NULL; i++) {
		ops->create(dst, bad[i], NULL, done_cb, NULL);
		ck_assert_int_eq(got_rc, -EINVAL);
		ck_assert(got_err[0] != '\0');
	}
	snprintf(p, sizeof(p), "%s/x", scratch);
	ck_assert_int_eq(access(p, F_OK), -1);
	ops->list(dst, list_cb, NULL);
	ck_assert_int_eq(got_n, 0);
}
END_TEST

START_TEST(reload_keeps_options)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	json_object		*o;
	char			 p[256];

	o = json_tokener_parse("{\"type\":\"tmpfs\",\"device\":\"tmpfs\"}");
	ops->create(dst, "t1", o, done_cb, NULL);
	json_object_put(o);
	ck_assert_int_eq(got_rc, 0);
	snprintf(p, sizeof(p), "%s/volumes/t1/opts.json", scratch);
	ck_assert_int_eq(access(p, F_OK), 0);
	berth_module.fini(state);
	mock_reset();
	ck_assert_int_eq(berth_module.init(&mock_host, mock_conf(NULL), &state,
	    &err), 0);
	ck_assert_ptr_nonnull(ops = mock_host.lookup(&mock_host,
	    BERTH_VOLUME_IFACE, "local", &dst));
	ops->list(dst, list_cb, NULL);
	ck_assert_int_eq(got_n, 1);
	if (geteuid() != 0)
		return;
	/* As root: a tmpfs at the first mount ID, gone at the last. */
	snprintf(p, sizeof(p), "%s/volumes/t1/_data", scratch);
	ops->mount(dst, "t1", "a", path_cb, NULL);
	ck_assert_int_eq(got_rc, 0);
	ck_assert(volume_local_is_mountpoint(p));
	ops->mount(dst, "t1", "b", path_cb, NULL);
	ops->unmount(dst, "t1", "a", done_cb, NULL);
	ck_assert(volume_local_is_mountpoint(p));
	ops->unmount(dst, "t1", "b", done_cb, NULL);
	ck_assert(!volume_local_is_mountpoint(p));
	ops->remove(dst, "t1", done_cb, NULL);
	ck_assert_int_eq(got_rc, 0);
}
END_TEST

Suite *
suite(void)
{
	Suite	*s = suite_create("volume_local");
	TCase	*tc = tcase_create("pure");
	TCase	*drv = tcase_create("driver");

	tcase_add_test(tc, names);
	tcase_add_test(tc, options);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(drv, drv_setup, drv_teardown);
	tcase_add_test(drv, create_get_remove);
	tcase_add_test(drv, hostile_names);
	tcase_add_test(drv, reload_keeps_options);
	suite_add_tcase(s, drv);
	return s;
}
