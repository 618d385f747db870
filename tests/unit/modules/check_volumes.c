/*
 * check_volumes.c - the volumes service through its routes and volumes/1
 * with the mock host (work runs at once) and a fake "local" driver that
 * records what it is asked, as a VolumeDriver plugin would be: create,
 * the same name again, list filters, in-use refusals with Docker's
 * message, mount IDs reused for Unmount, events and their attributes,
 * metadata that survives a restart while uses do not, prune, df.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <berth/df.h>
#include <berth/json.h>
#include <berth/module.h>
#include <berth/volume.h>

#include "../../../modules/volumes/volumes.h"
#include "mock_host.h"
#include "unit.h"

extern const struct berth_module berth_module;

static char		 scratch[64];
static void		*state;
static const struct berth_volumes_ops *svc;
static void		*svc_st;

/* --- a fake driver ------------------------------------------------------------ */

static char	fake_names[16][80];
static size_t	fake_n;
static char	fake_mount_id[80], fake_unmount_id[80];

static void
fake_create(void *st, const char *name, json_object *opts,
    berth_volume_done_cb done, void *arg)
{
	struct berth_err	err = BERTH_ERR_INIT;

	if (strchr(name, '.') != NULL) {
		berth_err_set(&err, -EINVAL, "fake: bad name %s", name);
		done(arg, -EINVAL, &err);
		return;
	}
	if (fake_n < 16)
		snprintf(fake_names[fake_n++], 80, "%s", name);
	done(arg, 0, NULL);
}

static void
fake_remove(void *st, const char *name, berth_volume_done_cb done, void *arg)
{
	done(arg, 0, NULL);
}

static void
fake_mount(void *st, const char *name, const char *id,
    berth_volume_path_cb done, void *arg)
{
	char	p[128];

	snprintf(fake_mount_id, sizeof(fake_mount_id), "%s", id);
	snprintf(p, sizeof(p), "/fake/%s", name);
	done(arg, 0, p, NULL);
}

static void
fake_unmount(void *st, const char *name, const char *id,
    berth_volume_done_cb done, void *arg)
{
	snprintf(fake_unmount_id, sizeof(fake_unmount_id), "%s", id);
	done(arg, 0, NULL);
}

static void
fake_path(void *st, const char *name, berth_volume_path_cb done, void *arg)
{
	char	p[128];

	snprintf(p, sizeof(p), "/fake/%s", name);
	done(arg, 0, p, NULL);
}

static void
fake_get(void *st, const char *name, berth_volume_get_cb done, void *arg)
{
	struct berth_volume_info	i;
	json_object			*s = json_object_new_object();

	json_object_object_add(s, "hello", json_object_new_string("world"));
	memset(&i, 0, sizeof(i));
	i.name = name;
	i.mountpoint = "/fake";
	i.status = s;
	done(arg, 0, &i, NULL);
	json_object_put(s);
}

static void
fake_list(void *st, berth_volume_list_cb done, void *arg)
{
	done(arg, 0, NULL, 0, NULL);
}

static void
fake_caps(void *st, berth_volume_caps_cb done, void *arg)
{
	done(arg, 0, "local", NULL);
}

static const struct berth_volume_ops fake_ops = {
	.size = sizeof(struct berth_volume_ops),
	.create = fake_create, .remove = fake_remove, .mount = fake_mount,
	.unmount = fake_unmount, .path = fake_path, .get = fake_get,
	.list = fake_list, .capabilities = fake_caps,
};

/* --- helpers -------------------------------------------------------------------- */

static void
rmrf(const char *p)
{
	char	cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", p);
	(void)system(cmd);
}

static void
start(void)
{
	struct berth_err	err = BERTH_ERR_INIT;

	mock_reset();
	mock_set_roots(scratch, "/tmp");
	ck_assert_int_eq(mock_host.provide(&mock_host, BERTH_VOLUME_IFACE,
	    "local", &fake_ops, NULL, &err), 0);
	ck_assert_msg(berth_module.init(&mock_host, mock_conf(NULL), &state,
	    &err) == 0, "%s", err.msg);
	ck_assert_ptr_nonnull(svc = mock_host.lookup(&mock_host,
	    BERTH_VOLUMES_IFACE, BERTH_VOLUMES_SERVICE, &svc_st));
}

static void
api_setup(void)
{
	snprintf(scratch, sizeof(scratch), "/tmp/check_volumes.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(scratch));
	fake_n = 0;
	start();
}

static void
api_teardown(void)
{
	berth_module.fini(state);
	mock_reset();
	rmrf(scratch);
}

static struct berth_req *
call(enum berth_method m, const char *pattern, const char *name,
    const char *const *query, const char *body)
{
	struct berth_req	*r = mock_req_new();
	berth_handler		 fn;
	void			*st;
	size_t			 i;

	ck_assert_ptr_nonnull(fn = mock_route_find(m, pattern, &st));
	mock_req_set_method(r, m);
	if (name != NULL)
		mock_req_set_param(r, "name", name);
	for (i = 0; query != NULL && query[i] != NULL; i += 2)
		mock_req_set_query(r, query[i], query[i + 1]);
	if (body != NULL) {
		mock_req_set_header(r, "Content-Type", "application/json");
		mock_req_set_body(r, body, strlen(body));
	}
	fn(r, st);
	ck_assert_int_eq(mock_req_ended(r), 1);
	return r;
}

static int
status_of(enum berth_method m, const char *pattern, const char *name,
    const char *const *query, const char *body, char *out, size_t len)
{
	struct berth_req	*r = call(m, pattern, name, query, body);
	int			 st = mock_req_status(r);

	if (out != NULL)
		snprintf(out, len, "%s", mock_req_output(r));
	mock_req_free(r);
	return st;
}

static const char *
last_attr(const char *k)
{
	const struct mock_event	*e = mock_last_event();

	return berth_json_str(e->attrs, k);
}

/* --- tests ----------------------------------------------------------------------------- */

START_TEST(create_list_inspect)
{
	char		 out[4096];
	char		 p[256];
	const char	*q[] = { "filters", NULL, NULL };

	ck_assert_int_eq(status_of(BERTH_POST, "/volumes/create", NULL, NULL,
	    "{\"Name\":\"v1\",\"Labels\":{\"a\":\"b\"}}", out, sizeof(out)),
	    201);
	ck_assert_msg(strstr(out, "\"Mountpoint\":\"/fake/v1\"") != NULL ||
	    strstr(out, "\"Mountpoint\":\"\\/fake\\/v1\"") != NULL, "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "\"Scope\":\"local\""));
	ck_assert_str_eq(mock_last_event()->type, "volume");
	ck_assert_str_eq(mock_last_event()->action, "create");
	ck_assert_str_eq(mock_last_event()->actor_id, "v1");
	ck_assert_str_eq(last_attr("driver"), "local");
	/* The same name again is the same volume, not a second create. */
	ck_assert_int_eq(status_of(BERTH_POST, "/volumes/create", NULL, NULL,
	    "{\"Name\":\"v1\"}", NULL, 0), 201);
	ck_assert_int_eq(fake_n, 1);
	ck_assert_int_eq(status_of(BERTH_POST, "/volumes/create", NULL, NULL,
	    "{\"Name\":\"v1\",\"Driver\":\"other\"}", out, sizeof(out)), 409);
	ck_assert_ptr_nonnull(strstr(out, "volume name must be unique"));
	ck_assert_int_eq(status_of(BERTH_POST, "/volumes/create", NULL, NULL,
	    "{\"Name\":\"v2\",\"Driver\":\"nope\"}", out, sizeof(out)), 404);
	ck_assert_int_eq(status_of(BERTH_POST, "/volumes/create", NULL, NULL,
	    "{\"Name\":\"../x\"}", out, sizeof(out)), 400);
	ck_assert_int_eq(status_of(BERTH_POST, "/volumes/create", NULL, NULL,
	    "{\"Name\":\"a.b\"}", out, sizeof(out)), 400);
	ck_assert_ptr_nonnull(strstr(out, "fake: bad name"));
	snprintf(p, sizeof(p), "%s/volumes/_meta/v1.json", scratch);
	ck_assert_int_eq(access(p, F_OK), 0);

	q[1] = "{\"label\":{\"a=b\":true}}";
	ck_assert_int_eq(status_of(BERTH_GET, "/volumes", NULL, q, NULL, out,
	    sizeof(out)), 200);
	ck_assert_ptr_nonnull(strstr(out, "\"Name\":\"v1\""));
	q[1] = "{\"name\":[\"zz\"]}";
	status_of(BERTH_GET, "/volumes", NULL, q, NULL, out, sizeof(out));
	ck_assert_ptr_null(strstr(out, "\"Name\":\"v1\""));
	q[1] = "{\"dangling\":{\"true\":true}}";
	status_of(BERTH_GET, "/volumes", NULL, q, NULL, out, sizeof(out));
	ck_assert_ptr_nonnull(strstr(out, "\"Name\":\"v1\""));
	q[1] = "{\"bogus\":{\"x\":true}}";
	ck_assert_int_eq(status_of(BERTH_GET, "/volumes", NULL, q, NULL, out,
	    sizeof(out)), 400);
	ck_assert_ptr_nonnull(strstr(out, "Invalid filter 'bogus'"));
	q[1] = "{not json";
	ck_assert_int_eq(status_of(BERTH_GET, "/volumes", NULL, q, NULL, out,
	    sizeof(out)), 500);

	ck_assert_int_eq(status_of(BERTH_GET, "/volumes/{name}", "v1", NULL,
	    NULL, out, sizeof(out)), 200);
	ck_assert_ptr_nonnull(strstr(out, "\"Status\":{\"hello\":\"world\"}"));
	ck_assert_int_eq(status_of(BERTH_GET, "/volumes/{name}", "nope", NULL,
	    NULL, out, sizeof(out)), 404);
	ck_assert_ptr_nonnull(strstr(out, "get nope: no such volume"));
}
END_TEST

static int	cb_rc;
static char	cb_name[128];
static char	cb_path[128];

static void
name_cb(void *arg, int rc, const char *name, const struct berth_err *err)
{
	cb_rc = rc;
	snprintf(cb_name, sizeof(cb_name), "%s", name != NULL ? name : "");
}

static void
path_cb(void *arg, int rc, const char *path, const struct berth_err *err)
{
	cb_rc = rc;
	snprintf(cb_path, sizeof(cb_path), "%s", path != NULL ? path : "");
}

static void
done_cb(void *arg, int rc, const struct berth_err *err)
{
	cb_rc = rc;
}

START_TEST(in_use_mount_restart)
{
	struct berth_err		 err = BERTH_ERR_INIT;
	struct berth_volumes_mount	 m;
	const char			*force[] = { "force", "1", NULL };
	char				 out[1024], anon[128];
	char				 first_id[80];
	int				 before;

	svc->ensure(svc_st, "v1", NULL, NULL, NULL, name_cb, NULL);
	ck_assert_int_eq(cb_rc, 0);
	ck_assert_str_eq(cb_name, "v1");
	ck_assert_int_eq(svc->use(svc_st, "v1", "ctrA", &err), 0);
	ck_assert_int_eq(svc->use(svc_st, "nope", "ctrA", &err), -ENOENT);
	ck_assert_int_eq(status_of(BERTH_DELETE, "/volumes/{name}", "v1", NULL,
	    NULL, out, sizeof(out)), 409);
	ck_assert_ptr_nonnull(strstr(out,
	    "remove v1: volume is in use - [ctrA]"));
	ck_assert_int_eq(status_of(BERTH_DELETE, "/volumes/{name}", "v1", force,
	    NULL, out, sizeof(out)), 409);

	/* Referring to an existing volume emits create again (20.10). */
	before = mock_last_event()->count;
	svc->ensure(svc_st, "v1", "local", NULL, NULL, name_cb, NULL);
	ck_assert_int_eq(mock_last_event()->count, before + 1);

	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.name = "v1";
	m.container = "ctrA";
	m.destination = "/d";
	m.rw = 1;
	m.propagation = "";
	svc->mount(svc_st, &m, path_cb, NULL);
	ck_assert_int_eq(cb_rc, 0);
	ck_assert_str_eq(cb_path, "/fake/v1");
	ck_assert_str_eq(mock_last_event()->action, "mount");
	ck_assert_str_eq(last_attr("container"), "ctrA");
	ck_assert_str_eq(last_attr("destination"), "/d");
	ck_assert_str_eq(last_attr("driver"), "local");
	ck_assert_str_eq(last_attr("propagation"), "");
	ck_assert_str_eq(last_attr("read/write"), "true");
	ck_assert_int_eq(strlen(fake_mount_id), 64);
	svc->unmount(svc_st, "v1", "ctrA", done_cb, NULL);
	ck_assert_str_eq(mock_last_event()->action, "unmount");
	ck_assert_str_eq(fake_unmount_id, fake_mount_id);

	/* Two mount points of one container: two IDs, two unmounts. */
	svc->mount(svc_st, &m, path_cb, NULL);
	snprintf(first_id, sizeof(first_id), "%s", fake_mount_id);
	m.destination = "/e";
	svc->mount(svc_st, &m, path_cb, NULL);
	ck_assert_str_ne(first_id, fake_mount_id);
	before = mock_last_event()->count;
	svc->unmount(svc_st, "v1", "ctrA", done_cb, NULL);
	ck_assert_str_eq(fake_unmount_id, fake_mount_id);
	svc->unmount(svc_st, "v1", "ctrA", done_cb, NULL);
	ck_assert_str_eq(fake_unmount_id, first_id);
	ck_assert_int_eq(mock_last_event()->count, before + 2);
	svc->unmount(svc_st, "v1", "ctrA", done_cb, NULL);
	ck_assert_int_eq(mock_last_event()->count, before + 2);

	/* Anonymous: a 64-hex name. */
	svc->ensure(svc_st, NULL, NULL, NULL, NULL, name_cb, NULL);
	ck_assert_int_eq(strlen(cb_name), 64);
	snprintf(anon, sizeof(anon), "%s", cb_name);

	/* A restart keeps the volumes and forgets the uses. */
	berth_module.fini(state);
	start();
	ck_assert_int_eq(status_of(BERTH_GET, "/volumes/{name}", anon, NULL,
	    NULL, out, sizeof(out)), 200);
	/* The mountpoint is asked of the driver again at start. */
	ck_assert_msg(strstr(out, "fake") != NULL, "%s", out);
	ck_assert_int_eq(status_of(BERTH_DELETE, "/volumes/{name}", "v1", NULL,
	    NULL, NULL, 0), 204);
	ck_assert_str_eq(mock_last_event()->action, "destroy");
	ck_assert_str_eq(last_attr("driver"), "local");
	ck_assert_int_eq(status_of(BERTH_DELETE, "/volumes/{name}", "v1", NULL,
	    NULL, out, sizeof(out)), 404);
	ck_assert_ptr_nonnull(strstr(out, "get v1: no such volume"));
	ck_assert_int_eq(status_of(BERTH_DELETE, "/volumes/{name}", "v1", force,
	    NULL, NULL, 0), 204);
	svc->remove(svc_st, anon, 0, done_cb, NULL);
	ck_assert_int_eq(cb_rc, 0);
}
END_TEST

static json_object	*df_part_got;

static void
df_cb(void *arg, json_object *part)
{
	df_part_got = part != NULL ? json_object_get(part) : NULL;
}

START_TEST(prune_df)
{
	struct berth_err		 err = BERTH_ERR_INIT;
	const struct berth_df_ops	*df;
	void				*dfst;
	const char			*q[] = { "filters",
	    "{\"label!\":{\"keep\":true}}", NULL };
	char				 out[2048];

	svc->ensure(svc_st, "p1", NULL, NULL, NULL, name_cb, NULL);
	svc->ensure(svc_st, "p2", NULL, NULL, NULL, name_cb, NULL);
	ck_assert_int_eq(status_of(BERTH_POST, "/volumes/create", NULL, NULL,
	    "{\"Name\":\"k1\",\"Labels\":{\"keep\":\"\"}}", NULL, 0), 201);
	ck_assert_int_eq(svc->use(svc_st, "p2", "ctrB", &err), 0);

	ck_assert_ptr_nonnull(df = mock_host.lookup(&mock_host, BERTH_DF_IFACE,
	    "volumes", &dfst));
	df->df(dfst, df_cb, NULL);
	ck_assert_ptr_nonnull(df_part_got);
	ck_assert_int_eq(json_object_array_length(berth_json_get(df_part_got,
	    "Volumes")), 3);
	ck_assert_ptr_nonnull(strstr(json_object_to_json_string_ext(
	    df_part_got, JSON_C_TO_STRING_PLAIN), "\"RefCount\":1"));
	json_object_put(df_part_got);

	ck_assert_int_eq(status_of(BERTH_POST, "/volumes/prune", NULL, q, NULL,
	    out, sizeof(out)), 200);
	ck_assert_ptr_nonnull(strstr(out, "\"VolumesDeleted\":[\"p1\"]"));
	ck_assert_ptr_nonnull(strstr(out, "\"SpaceReclaimed\":0"));
	ck_assert_str_eq(mock_last_event()->action, "prune");
	ck_assert_str_eq(last_attr("reclaimed"), "0");
	svc->unuse(svc_st, "p2", "ctrB");
	q[1] = "{\"bogus\":{\"x\":true}}";
	ck_assert_int_eq(status_of(BERTH_POST, "/volumes/prune", NULL, q, NULL,
	    NULL, 0), 400);
}
END_TEST

Suite *
suite(void)
{
	Suite	*s = suite_create("volumes");
	TCase	*api = tcase_create("api");

	tcase_add_checked_fixture(api, api_setup, api_teardown);
	tcase_add_test(api, create_list_inspect);
	tcase_add_test(api, in_use_mount_restart);
	tcase_add_test(api, prune_df);
	suite_add_tcase(s, api);
	return s;
}
