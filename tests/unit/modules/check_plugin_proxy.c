/*
 * check_plugin_proxy.c - plugin-proxy with the mock host (work runs at
 * once): the resolver serves volume/1 and authz/1 by plugin name and
 * nothing else; legacy discovery finds sockets before spec files, reads
 * .spec URLs and .json Addr/TLSConfig, refuses unknown schemes; names
 * that are paths are never looked up; per-call timeouts from the config.
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
	suite_add_tcase(s, tc);
	return s;
}
