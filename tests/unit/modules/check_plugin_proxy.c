/*
 * check_plugin_proxy.c - plugin-proxy with the mock host (work runs at
 * once): the resolver serves volume/1 and authz/1 by plugin name and
 * nothing else; legacy discovery finds sockets before spec files, reads
 * .spec URLs and .json Addr/TLSConfig, refuses unknown schemes; names
 * that are paths are never looked up; per-call timeouts from the config;
 * managed plugins: config.json read in any case and kept in Docker's
 * spelling, bad manifests refused, lookup by name, tag, ID and prefix,
 * and docker plugin set (settable fields only, all or nothing).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <berth/authz.h>
#include <berth/module.h>
#include <berth/resolver.h>
#include <berth/volume.h>

#include "../../../modules/plugin-proxy/plugin_proxy.h"
#include "mock_host.h"
#include "unit.h"

extern const struct berth_module berth_module;

static char				 dir[64];
static void				*state;
static const struct berth_resolver_ops	*res;
static void				*res_st;

static void
put(const char *name, const char *text)
{
	char	path[256];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

static void
setup(void)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	json_object		*c, *dirs;
	char			 conf[512];

	snprintf(dir, sizeof(dir), "/tmp/check_pp.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(conf, sizeof(conf), "{\"socket-dir\": \"%s\", "
	    "\"lookup-timeout\": 0, \"timeouts\": {\"VolumeDriver.Get\": 5, "
	    "\"slow/VolumeDriver.Get\": 600}}", dir);
	c = json_tokener_parse(conf);
	dirs = json_object_new_array();
	json_object_array_add(dirs, json_object_new_string(dir));
	json_object_object_add(c, "spec-dirs", dirs);
	mock_reset();
	mock_set_roots(dir, dir);
	ck_assert_msg(berth_module.init(&mock_host, mock_conf(c), &state,
	    &err) == 0, "init: %s", err.msg);
	json_object_put(c);
	res = mock_host.lookup(&mock_host, BERTH_RESOLVER_IFACE,
	    "plugin-proxy", &res_st);
	ck_assert_ptr_nonnull(res);
}

static void
teardown(void)
{
	char	cmd[128];

	berth_module.fini(state);
	mock_reset();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(resolver_serves_plugin_interfaces)
{
	void	*st = NULL, *st2 = NULL;

	ck_assert_ptr_eq(res->resolve(res_st, BERTH_VOLUME_IFACE, "pvol", &st),
	    &pp_volume_ops);
	ck_assert_ptr_nonnull(st);
	ck_assert_ptr_eq(res->resolve(res_st, BERTH_AUTHZ_IFACE, "pvol", &st2),
	    &pp_authz_ops);
	ck_assert_ptr_eq(st2, st);	/* one plugin, whatever it serves */
	ck_assert_ptr_null(res->resolve(res_st, "runtime/1", "pvol", &st));
	ck_assert_ptr_null(res->resolve(res_st, BERTH_VOLUME_IFACE, "../x",
	    &st));
	ck_assert_ptr_null(res->resolve(res_st, BERTH_VOLUME_IFACE, "a/b",
	    &st));
	ck_assert_ptr_null(res->resolve(res_st, BERTH_VOLUME_IFACE, ".hid",
	    &st));
	ck_assert_int_eq(pp_name_ok("my-plugin_1.2"), 1);
	ck_assert_int_eq(pp_name_ok(""), 0);
}
END_TEST

static int		 found_rc;
static struct pp_addr	 found_addr;
static char		 found_msg[BERTH_ERR_MSGLEN];

static void
on_found(struct pp_plugin *p, int rc, const struct berth_err *err)
{
	found_rc = rc;
	found_addr = p->addr;
	snprintf(found_msg, sizeof(found_msg), "%s", err ? err->msg : "");
}

static int
find(const char *name)
{
	struct pp_plugin	*p = pp_plugin_get(state, name);

	ck_assert_ptr_nonnull(p);
	memset(&p->addr, 0, sizeof(p->addr));
	found_rc = 1;
	ck_assert_int_eq(pp_find(p, on_found), 0);
	ck_assert_int_ne(found_rc, 1);		/* work ran at once */
	return found_rc;
}

START_TEST(spec_files)
{
	char	want[128];

	put("a.spec", "  unix:///run/a.sock\n");
	ck_assert_int_eq(find("a"), 0);
	ck_assert_str_eq(found_addr.unix_path, "/run/a.sock");

	put("t.spec", "tcp://127.0.0.1:9000");
	ck_assert_int_eq(find("t"), 0);
	ck_assert_str_eq(found_addr.url, "http://127.0.0.1:9000");
	ck_assert_int_eq(found_addr.tls, 0);

	put("j.json", "{\"Name\":\"j\",\"Addr\":\"tcp://h:1\",\"TLSConfig\":"
	    "{\"InsecureSkipVerify\":true,\"CAFile\":\"/ca\","
	    "\"CertFile\":\"/c\",\"KeyFile\":\"/k\"}}");
	ck_assert_int_eq(find("j"), 0);
	ck_assert_str_eq(found_addr.url, "https://h:1");
	ck_assert_int_eq(found_addr.tls, 1);
	ck_assert_int_eq(found_addr.insecure, 1);
	ck_assert_str_eq(found_addr.ca_file, "/ca");
	ck_assert_str_eq(found_addr.key_file, "/k");

	/* NAME/NAME.spec, and .spec before .json. */
	snprintf(want, sizeof(want), "%s/s", dir);
	ck_assert_int_eq(mkdir(want, 0755), 0);
	put("s/s.spec", "unix:///run/s.sock");
	put("s.json", "{\"Addr\":\"unix:///run/other.sock\"}");
	ck_assert_int_eq(find("s"), 0);
	ck_assert_str_eq(found_addr.unix_path, "/run/s.sock");

	put("bad.spec", "ftp://x");
	ck_assert_int_eq(find("bad"), -EINVAL);
	ck_assert_str_eq(found_msg, "Unknown protocol");
	put("nojson.json", "[1]");
	ck_assert_int_eq(find("nojson"), -EINVAL);

	ck_assert_int_eq(find("absent"), -ENOENT);
	ck_assert_str_eq(found_msg, "plugin \"absent\" not found");
}
END_TEST

START_TEST(sockets_first)
{
	struct sockaddr_un	sun = { .sun_family = AF_UNIX };
	int			fd;

	put("k.spec", "unix:///run/spec.sock");
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/k.sock", dir);
	ck_assert_int_ge(fd = socket(AF_UNIX, SOCK_STREAM, 0), 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(find("k"), 0);
	ck_assert_str_eq(found_addr.unix_path, sun.sun_path);
	close(fd);
	/* A regular file named like a socket is not one. */
	put("r.sock", "");
	ck_assert_int_eq(find("r"), -ENOENT);
}
END_TEST

START_TEST(timeouts_per_call)
{
	ck_assert_int_eq(pp_timeout_ms(state, "any", "VolumeDriver.Get"), 5000);
	ck_assert_int_eq(pp_timeout_ms(state, "slow", "VolumeDriver.Get"),
	    600000);
	/* dockerd's own limits where the config says nothing. */
	ck_assert_int_eq(pp_timeout_ms(state, "any", "VolumeDriver.Mount"),
	    120000);
	ck_assert_int_eq(pp_timeout_ms(state, "any", "VolumeDriver.Remove"),
	    60000);
}
END_TEST

static const char *const manifest =
    "{\"description\": \"d\", \"entrypoint\": [\"/p\"],"
    " \"interface\": {\"types\": [\"docker.volumedriver/1.0\"],"
    " \"socket\": \"p.sock\"}, \"network\": {\"type\": \"host\"},"
    " \"mounts\": [{\"name\": \"m\", \"settable\": [\"source\"],"
    " \"source\": \"/src\", \"destination\": \"/dst\"}],"
    " \"env\": [{\"name\": \"DEBUG\", \"settable\": [\"value\"],"
    " \"value\": \"0\"}, {\"name\": \"FIXED\", \"value\": null}],"
    " \"args\": {\"name\": \"a\", \"settable\": [\"value\"],"
    " \"value\": [\"--x\"]}}";

static struct pp_plugin *
add(const char *id, const char *ref, const char *cfg, struct berth_err *err)
{
	json_object		*c = json_tokener_parse(cfg);
	struct pp_plugin	*p;
	char			 path[256];

	ck_assert_ptr_nonnull(c);
	snprintf(path, sizeof(path), "%s/plugins/%s", dir, id);
	mkdir(path, 0700);
	p = pp_managed_add(state, id, ref, c, err);
	json_object_put(c);
	return p;
}

#define ID_A "aaaa000000000000000000000000000000000000000000000000000000000001"
#define ID_B "aaab000000000000000000000000000000000000000000000000000000000002"

START_TEST(manifest_in_dockers_spelling)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	struct pp_plugin	*p = add(ID_A, "mp:latest", manifest, &err);
	json_object		*o;

	ck_assert_msg(p != NULL, "%s", err.msg);
	ck_assert_uint_eq(p->implements, PP_VOLUME);
	o = pp_managed_json(p);
	ck_assert_str_eq(json_object_to_json_string_ext(json_object_object_get(
	    json_object_object_get(o, "Config"), "Interface"),
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
	    "{\"Types\":[\"docker.volumedriver/1.0\"],\"Socket\":\"p.sock\"}");
	ck_assert_str_eq(json_object_to_json_string_ext(json_object_object_get(
	    o, "Settings"), JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
	    "{\"Mounts\":[{\"Name\":\"m\",\"Description\":\"\","
	    "\"Settable\":[\"source\"],\"Source\":\"/src\","
	    "\"Destination\":\"/dst\",\"Type\":\"\",\"Options\":[]}],"
	    "\"Env\":[\"DEBUG=0\"],\"Args\":[\"--x\"],\"Devices\":[]}");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(o,
	    "Name")), "mp:latest");
	json_object_put(o);
}
END_TEST

START_TEST(bad_manifests_refused)
{
	static const char *const bad[] = {
		"[]",
		"{\"entrypoint\": [\"/p\"]}",
		"{\"entrypoint\": [\"/p\"], \"interface\": {\"types\": "
		    "[\"docker.volumedriver/1.0\"], \"socket\": \"a/b.sock\"}}",
		"{\"entrypoint\": [\"/p\"], \"interface\": {\"types\": "
		    "[\"docker.spaceship/1.0\"], \"socket\": \"s\"}}",
		"{\"interface\": {\"types\": [\"docker.authz/1.0\"], "
		    "\"socket\": \"s\"}}",
		"{\"entrypoint\": \"/p\", \"interface\": {\"types\": "
		    "[\"docker.authz/1.0\"], \"socket\": \"s\"}}",
		"{\"entrypoint\": [\"/p\"], \"interface\": {\"types\": "
		    "[\"docker.authz/1.0\"], \"socket\": \"s\"}, "
		    "\"mounts\": [{\"destination\": \"rel\"}]}",
	};
	struct berth_err	err;
	size_t			i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		ck_assert_msg(add(ID_A, "bad:latest", bad[i], &err) == NULL,
		    "accepted %s", bad[i]);
		ck_assert_int_eq(err.code, -EINVAL);
	}
}
END_TEST

START_TEST(found_by_name_tag_id_prefix)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	struct pp_plugin	*a = add(ID_A, "mp:latest", manifest, &err);
	struct pp_plugin	*b = add(ID_B, "other/mp:v2", manifest, &err);

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_eq(pp_managed_find(state, "mp"), a);
	ck_assert_ptr_eq(pp_managed_find(state, "mp:latest"), a);
	ck_assert_ptr_eq(pp_managed_find(state, "other/mp:v2"), b);
	ck_assert_ptr_null(pp_managed_find(state, "other/mp"));
	ck_assert_ptr_eq(pp_managed_find(state, ID_B), b);
	ck_assert_ptr_eq(pp_managed_find(state, "aaab"), b);
	ck_assert_ptr_null(pp_managed_find(state, "aaa"));	/* both */
	/* The resolver finds a managed plugin before any legacy one. */
	{
		void *st = NULL;

		ck_assert_ptr_eq(res->resolve(res_st, BERTH_VOLUME_IFACE,
		    "mp", &st), &pp_volume_ops);
		ck_assert_ptr_eq(st, a);
	}
}
END_TEST

static int
set(const char *name, const char *body)
{
	berth_handler		 h;
	struct berth_req	*r = mock_req_new();
	void			*st;
	int			 status;

	h = mock_route_find(BERTH_POST, "/plugins/{name*}/set", &st);
	ck_assert_ptr_nonnull(h);
	mock_req_set_method(r, BERTH_POST);
	mock_req_set_param(r, "name", name);
	mock_req_set_header(r, "Content-Type", "application/json");
	mock_req_set_body(r, body, strlen(body));
	h(r, st);
	status = mock_req_status(r);
	mock_req_free(r);
	return status;
}

START_TEST(set_settable_only)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	struct pp_plugin	*p = add(ID_A, "mp:latest", manifest, &err);
	const char		*s;

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(set("mp", "[\"DEBUG=1\", \"args=--a --b\", "
	    "\"m.source=/else\"]"), 204);
	s = json_object_to_json_string_ext(p->m->settings,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	ck_assert_msg(strstr(s, "\"Env\":[\"DEBUG=1\"]") != NULL, "%s", s);
	ck_assert_msg(strstr(s, "\"Args\":[\"--a\",\"--b\"]") != NULL, "%s", s);
	ck_assert_msg(strstr(s, "\"Source\":\"/else\"") != NULL, "%s", s);
	/* FIXED is not settable: refused, and nothing else changed. */
	ck_assert_int_eq(set("mp", "[\"DEBUG=2\", \"FIXED=1\"]"), 400);
	s = json_object_to_json_string_ext(p->m->settings,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	ck_assert_msg(strstr(s, "DEBUG=1") != NULL, "%s", s);
	ck_assert_int_eq(set("mp", "[\"NOSUCH=1\"]"), 400);
	ck_assert_int_eq(set("mp", "[\"m.source=relative\"]"), 400);
	ck_assert_int_eq(set("nope", "[\"DEBUG=1\"]"), 404);
	p->m->enabled = 1;
	ck_assert_int_eq(set("mp", "[\"DEBUG=3\"]"), 409);
	p->m->enabled = 0;
}
END_TEST

/* Docker's list, in Docker's order and words (protocols.md D.2). */
START_TEST(privileges_as_docker_shows_them)
{
	json_object	*c = json_tokener_parse("{\"Network\": {\"Type\": "
	    "\"host\"}, \"PidHost\": true, \"IpcHost\": true, \"Mounts\": "
	    "[{\"Source\": \"/a\"}, {\"Source\": null}, {\"Source\": \"/b\"}],"
	    " \"Linux\": {\"AllowAllDevices\": true, \"Capabilities\": "
	    "[\"CAP_SYS_ADMIN\"], \"Devices\": [{\"Path\": \"/dev/x\"}]}}");
	json_object	*p = pp_privileges(c, NULL), *pol;
	struct berth_err err = BERTH_ERR_INIT;

	ck_assert_str_eq(json_object_to_json_string_ext(p,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
	    "[{\"Name\":\"network\",\"Description\":\"permissions to access "
	    "a network\",\"Value\":[\"host\"]},{\"Name\":\"host ipc "
	    "namespace\",\"Description\":\"allow access to host ipc "
	    "namespace\",\"Value\":[\"true\"]},{\"Name\":\"host pid "
	    "namespace\",\"Description\":\"allow access to host pid "
	    "namespace\",\"Value\":[\"true\"]},{\"Name\":\"mount\","
	    "\"Description\":\"host path to mount\",\"Value\":[\"/a\"]},"
	    "{\"Name\":\"mount\",\"Description\":\"host path to mount\","
	    "\"Value\":[\"/b\"]},{\"Name\":\"device\",\"Description\":"
	    "\"host device to access\",\"Value\":[\"/dev/x\"]},{\"Name\":"
	    "\"allow-all-devices\",\"Description\":\"allow 'rwm' access to "
	    "all devices\",\"Value\":[\"true\"]},{\"Name\":\"capabilities\","
	    "\"Description\":\"list of additional capabilities required\","
	    "\"Value\":[\"CAP_SYS_ADMIN\"]}]");
	ck_assert_int_eq(pp_privileges_check(NULL, p, "x", &err), 0);
	pol = json_tokener_parse("{\"network\": [\"host\"], \"host ipc "
	    "namespace\": [\"true\"], \"host pid namespace\": [\"*\"], "
	    "\"mount\": [\"/a\", \"/b\"], \"device\": [\"/dev/x\"], "
	    "\"allow-all-devices\": [\"true\"], \"capabilities\": "
	    "[\"CAP_SYS_ADMIN\"]}");
	ck_assert_int_eq(pp_privileges_check(pol, p, "x", &err), 0);
	json_object_put(pol);
	pol = json_tokener_parse("{\"network\": [\"host\"], \"mount\": "
	    "[\"/a\"]}");
	ck_assert_int_eq(pp_privileges_check(pol, p, "x:latest", &err), -EPERM);
	ck_assert_str_eq(err.msg, "plugin x:latest asks for privilege host ipc "
	    "namespace: true, which the plugin policy of engine.yaml does "
	    "not allow");
	json_object_put(pol);
	json_object_put(p);
	json_object_put(c);
	/* Nothing asked, nothing listed: bridge is no privilege. */
	c = json_tokener_parse("{\"Network\": {\"Type\": \"bridge\"}}");
	p = pp_privileges(c, NULL);
	ck_assert_int_eq(json_object_array_length(p), 0);
	json_object_put(p);
	json_object_put(c);
}
END_TEST

Suite *
suite(void)
{
	Suite	*s = suite_create("plugin-proxy");
	TCase	*tc = tcase_create("plugin-proxy");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, resolver_serves_plugin_interfaces);
	tcase_add_test(tc, spec_files);
	tcase_add_test(tc, sockets_first);
	tcase_add_test(tc, timeouts_per_call);
	tcase_add_test(tc, manifest_in_dockers_spelling);
	tcase_add_test(tc, bad_manifests_refused);
	tcase_add_test(tc, found_by_name_tag_id_prefix);
	tcase_add_test(tc, set_settable_only);
	tcase_add_test(tc, privileges_as_docker_shows_them);
	suite_add_tcase(s, tc);
	return s;
}
