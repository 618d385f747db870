/*
 * check_runtime_oci.c - runtime-oci with the mock host: its config and
 * defaults, drivers and /info, reload, the cgroup check, and the codec it
 * shares with berth-monitor (control packets, stream frames, json-file
 * records, detach keys, runtime error logs).
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <berth/module.h>

#include "mock_host.h"
#include "unit.h"

#include "../../modules/runtime-oci/runtime_oci.h"

extern const struct berth_module berth_module;

static int	have_runc, have_crun;

static int
fake_exists(const char *path)
{
	if (strcmp(path, "/usr/sbin/runc") == 0)
		return have_runc;
	if (strcmp(path, "/usr/bin/crun") == 0)
		return have_crun;
	return strcmp(path, "/usr/bin/myrt") == 0;
}

static int
parse(const char *json, struct runtime_oci_conf *c, struct berth_err *err)
{
	json_object	*o = json != NULL ? json_tokener_parse(json) : NULL;
	int		 rc;

	if (json != NULL)
		ck_assert_ptr_nonnull(o);
	rc = runtime_oci_conf_parse(o, fake_exists, c, err);
	json_object_put(o);
	return rc;
}

/* --- configuration ------------------------------------------------------ */

START_TEST(conf_defaults)
{
	struct runtime_oci_conf	c;
	struct berth_err	err = BERTH_ERR_INIT;

	have_runc = have_crun = 1;
	ck_assert_int_eq(parse(NULL, &c, &err), 0);
	ck_assert_uint_eq(c.nrts, 2);
	ck_assert_str_eq(c.rts[0].name, "crun");
	ck_assert_str_eq(c.rts[0].path, "/usr/bin/crun");
	ck_assert_str_eq(c.rts[1].name, "runc");
	ck_assert_str_eq(c.rts[1].path, "/usr/sbin/runc");
	ck_assert_str_eq(c.default_name, "runc");
	ck_assert_ptr_null(c.monitor);
	runtime_oci_conf_free(&c);

	/* No runc: crun is the default, and the only one. */
	have_runc = 0;
	ck_assert_int_eq(parse("{}", &c, &err), 0);
	ck_assert_uint_eq(c.nrts, 1);
	ck_assert_str_eq(c.default_name, "crun");
	runtime_oci_conf_free(&c);

	/* Neither: runc is still configured, so every install has one. */
	have_crun = 0;
	ck_assert_int_eq(parse("{}", &c, &err), 0);
	ck_assert_uint_eq(c.nrts, 1);
	ck_assert_str_eq(c.default_name, "runc");
	runtime_oci_conf_free(&c);
}
END_TEST

START_TEST(conf_runtimes)
{
	struct runtime_oci_conf		 c;
	const struct runtime_oci_rt	*rt;
	struct berth_err		 err = BERTH_ERR_INIT;

	have_runc = have_crun = 1;
	ck_assert_int_eq(parse("{\"runtimes\":{"
	    "\"custom\":{\"path\":\"/opt/rt\",\"args\":[\"--debug\",\"-x\"]},"
	    "\"bare\":{\"path\":\"myrt\"},"
	    "\"runc\":{\"path\":\"/opt/runc\",\"runtimeArgs\":[\"--systemd-cgroup\"]}},"
	    "\"default-runtime\":\"custom\",\"monitor\":\"/m\"}", &c, &err), 0);
	ck_assert_uint_eq(c.nrts, 4);
	/* Sorted, as docker info lists them. */
	ck_assert_str_eq(c.rts[0].name, "bare");
	ck_assert_str_eq(c.rts[1].name, "crun");
	ck_assert_str_eq(c.rts[2].name, "custom");
	ck_assert_str_eq(c.rts[3].name, "runc");
	ck_assert_str_eq(c.default_name, "custom");
	ck_assert_str_eq(c.monitor, "/m");
	rt = runtime_oci_conf_find(&c, "custom");
	ck_assert_uint_eq(rt->nargs, 2);
	ck_assert_str_eq(rt->args[0], "--debug");
	ck_assert_str_eq(rt->args[1], "-x");
	ck_assert_ptr_null(rt->args[2]);
	/* A bare name is looked up as a shell would. */
	ck_assert_str_eq(runtime_oci_conf_find(&c, "bare")->path,
	    "/usr/bin/myrt");
	/* The file overrides the built-in runc. */
	rt = runtime_oci_conf_find(&c, "runc");
	ck_assert_str_eq(rt->path, "/opt/runc");
	ck_assert_str_eq(rt->args[0], "--systemd-cgroup");
	runtime_oci_conf_free(&c);
}
END_TEST

START_TEST(conf_errors)
{
	static const struct {
		const char	*json;
		const char	*msg;
	} bad[] = {
		{ "{\"default-runtime\":\"x\"}",
		    "specified default runtime 'x' does not exist" },
		{ "{\"runtimes\":{\"default\":{\"path\":\"/x\"}}}",
		    "runtime name 'default' is reserved" },
		{ "{\"runtimes\":{\"Bad\":{\"path\":\"/x\"}}}",
		    "invalid runtime name 'Bad'" },
		{ "{\"runtimes\":{\"a\":{}}}", "runtime a: missing path" },
		{ "{\"runtimes\":{\"a\":\"/x\"}}", "runtime a: expected" },
		{ "{\"runtimes\":{\"a\":{\"path\":\"/x\",\"bogus\":1}}}",
		    "runtime a: unknown key 'bogus'" },
		{ "{\"runtimes\":{\"a\":{\"path\":\"/x\",\"args\":[1]}}}",
		    "runtime a: args must be strings" },
		{ "{\"runtimes\":[]}", "runtimes must be a mapping" },
	};
	struct runtime_oci_conf	c;
	struct berth_err	err = BERTH_ERR_INIT;
	size_t			i;

	have_runc = have_crun = 1;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		berth_err_clear(&err);
		ck_assert_int_eq(parse(bad[i].json, &c, &err), -EINVAL);
		ck_assert_msg(strstr(err.msg, bad[i].msg) != NULL,
		    "%s: got '%s'", bad[i].json, err.msg);
	}
}
END_TEST

/* --- the module with the mock host -------------------------------------- */

static void *
start(const char *json, int want)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	json_object		*o = json_tokener_parse(json);
	void			*st = NULL;

	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(berth_module.init(&mock_host, mock_conf(o), &st,
	    &err), want);
	json_object_put(o);
	return st;
}

START_TEST(module_drivers_and_info)
{
	const struct berth_runtime_ops	*ops;
	json_object			*info, *rts, *v;
	void				*st, *dst;

	mock_reset();
	mock_set_roots("/tmp/d", "/tmp/e");
	st = start("{\"monitor\":\"/bin/sh\",\"runtimes\":{\"custom\":"
	    "{\"path\":\"/opt/c\",\"args\":[\"-v\"]}}}", 0);
	ck_assert_ptr_nonnull(ops = mock_host.lookup(&mock_host,
	    BERTH_RUNTIME_IFACE, "custom", &dst));
	ck_assert_str_eq(ops->path(dst), "/opt/c");
	ck_assert_ptr_nonnull(ops = mock_host.lookup(&mock_host,
	    BERTH_RUNTIME_IFACE, BERTH_RUNTIME_DEFAULT, &dst));
	ck_assert_str_eq(ops->default_name(dst), "runc");
	ck_assert_str_eq(ops->path(dst), "/usr/sbin/runc");
	ck_assert_ptr_nonnull(mock_host.lookup(&mock_host,
	    BERTH_RUNTIME_IFACE, "runc", NULL));

	info = json_object_new_object();
	ck_assert_int_eq(mock_hook_run(BERTH_HOOK_INFO, info), 1);
	ck_assert(json_object_object_get_ex(info, "Runtimes", &rts));
	ck_assert(json_object_object_get_ex(rts, "custom", &v));
	ck_assert_str_eq(json_object_to_json_string_ext(v,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
	    "{\"path\":\"/opt/c\",\"runtimeArgs\":[\"-v\"]}");
	ck_assert(json_object_object_get_ex(rts, "runc", &v));
	ck_assert_str_eq(json_object_to_json_string_ext(v,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
	    "{\"path\":\"/usr/sbin/runc\"}");
	ck_assert(json_object_object_get_ex(info, "DefaultRuntime", &v));
	ck_assert_str_eq(json_object_get_string(v), "runc");
	json_object_put(info);
	berth_module.fini(st);
}
END_TEST

START_TEST(module_reload)
{
	const struct berth_runtime_ops	*ops;
	struct berth_err		 err = BERTH_ERR_INIT;
	json_object			*o;
	void				*st, *dst;

	mock_reset();
	st = start("{\"monitor\":\"/bin/sh\"}", 0);
	ck_assert_ptr_null(mock_host.lookup(&mock_host, BERTH_RUNTIME_IFACE,
	    "extra", NULL));

	/* A new runtime and a new default: both usable at once. */
	o = json_tokener_parse("{\"monitor\":\"/bin/sh\",\"runtimes\":"
	    "{\"extra\":{\"path\":\"/opt/x\"}},\"default-runtime\":\"extra\"}");
	ck_assert_int_eq(berth_module.reload(st, mock_conf(o), &err), 0);
	json_object_put(o);
	ck_assert_ptr_nonnull(mock_host.lookup(&mock_host,
	    BERTH_RUNTIME_IFACE, "extra", NULL));
	ck_assert_ptr_nonnull(ops = mock_host.lookup(&mock_host,
	    BERTH_RUNTIME_IFACE, BERTH_RUNTIME_DEFAULT, &dst));
	ck_assert_str_eq(ops->path(dst), "/opt/x");

	/* A bad config is refused whole: nothing changes. */
	o = json_tokener_parse("{\"default-runtime\":\"nope\"}");
	ck_assert_int_eq(berth_module.reload(st, mock_conf(o), &err),
	    -EINVAL);
	json_object_put(o);
	ck_assert_ptr_nonnull(mock_host.lookup(&mock_host,
	    BERTH_RUNTIME_IFACE, "extra", NULL));

	/* Removed from the file: withdrawn; the default moves back. */
	o = json_tokener_parse("{\"monitor\":\"/bin/sh\"}");
	ck_assert_int_eq(berth_module.reload(st, mock_conf(o), &err), 0);
	json_object_put(o);
	ck_assert_ptr_null(mock_host.lookup(&mock_host, BERTH_RUNTIME_IFACE,
	    "extra", NULL));
	ck_assert_ptr_nonnull(ops = mock_host.lookup(&mock_host,
	    BERTH_RUNTIME_IFACE, BERTH_RUNTIME_DEFAULT, &dst));
	ck_assert_str_eq(ops->default_name(dst), "runc");
	berth_module.fini(st);
}
END_TEST

START_TEST(module_refusals)
{
	mock_reset();
	start("{\"monitor\":\"/nonexistent/berth-monitor\"}", -ENOENT);
	mock_reset();
	start("{\"monitor\":\"/bin/sh\",\"default-runtime\":\"zz\"}", -EINVAL);
}
END_TEST

static void
op_done(void *arg, int rc, const struct berth_err *err)
{
	int	*got = arg;

	*got = rc;
}

START_TEST(module_ops_without_monitor)
{
	const struct berth_runtime_ops	*ops;
	struct berth_runtime_state	 s;
	struct berth_runtime_create	 c;
	struct berth_err		 err = BERTH_ERR_INIT;
	void				*st, *dst;
	int				 got = 1;

	mock_reset();
	mock_set_roots("/tmp/d", "/nonexistent-exec-root");
	st = start("{\"monitor\":\"/bin/sh\",\"runtimes\":{\"ghost\":"
	    "{\"path\":\"/nonexistent/rt\"}}}", 0);
	ops = mock_host.lookup(&mock_host, BERTH_RUNTIME_IFACE, "ghost", &dst);
	ck_assert_int_eq(ops->state(dst, "nope", &s), -ENOENT);
	ck_assert_int_eq(ops->restore(dst, "nope", NULL, NULL, &s, &err),
	    -ENOENT);
	ck_assert_int_eq(ops->restore(dst, "../x", NULL, NULL, &s, &err),
	    -EINVAL);

	/* Errors found at once are still answered later, on the loop. */
	ops->start(dst, "nope", op_done, &got);
	ck_assert_int_eq(got, 1);
	ck_assert_int_eq(mock_timers_fire(), 1);
	ck_assert_int_eq(got, -ENOENT);

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.id = "abc";
	c.bundle = "/tmp/b";
	got = 1;
	ops->create(dst, &c, op_done, &got);
	ck_assert_int_eq(mock_timers_fire(), 1);
	ck_assert_int_eq(got, -ENOENT);
	c.bundle = "relative";
	ops->create(dst, &c, op_done, &got);
	ck_assert_int_eq(mock_timers_fire(), 1);
	ck_assert_int_eq(got, -EINVAL);

	got = 1;
	ops->attach(dst, "abc", NULL, dup(0), BERTH_ATTACH_STDOUT, "ctrl-",
	    op_done, &got);
	ck_assert_int_eq(mock_timers_fire(), 1);
	ck_assert_int_eq(got, -EINVAL);
	berth_module.fini(st);
}
END_TEST

START_TEST(cgroup_hybrid)
{
	char	dir[] = "/tmp/check_rtoci.XXXXXX", path[256], buf[64];
	FILE	*f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(runtime_oci_cgroup_hybrid(dir, buf, sizeof(buf)), 0);
	snprintf(path, sizeof(path), "%s/unified", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/unified/cgroup.controllers", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs("\n", f);
	fclose(f);
	ck_assert_int_eq(runtime_oci_cgroup_hybrid(dir, buf, sizeof(buf)), 0);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs("hugetlb\n", f);
	fclose(f);
	ck_assert_int_eq(runtime_oci_cgroup_hybrid(dir, buf, sizeof(buf)), 1);
	ck_assert_str_eq(buf, "hugetlb");
	/* Pure cgroup2 at the root: no hybrid layout, nothing to say. */
	snprintf(path, sizeof(path), "%s/cgroup.controllers", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fclose(f);
	ck_assert_int_eq(runtime_oci_cgroup_hybrid(dir, buf, sizeof(buf)), 0);
	unlink(path);
	snprintf(path, sizeof(path), "%s/unified/cgroup.controllers", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/unified", dir);
	rmdir(path);
	rmdir(dir);
}
END_TEST

/* --- the control protocol ------------------------------------------------- */

START_TEST(proto_roundtrip)
{
	struct monitor_pkt	p;
	struct monitor_msg	m;
	char			buf[512];
	size_t			len;

	monitor_pkt_init(&p, buf, sizeof(buf) - 1, "exec");
	monitor_pkt_add(&p, "seq", "7");
	monitor_pkt_add(&p, "msg", "a b=c%d\nnew");
	monitor_pkt_addf(&p, "rows", "%u", 24u);
	monitor_pkt_body(&p, "{\"args\":[\"sh\"]}\n", 16);
	len = monitor_pkt_len(&p);
	ck_assert_uint_gt(len, 0);
	ck_assert(strncmp(buf, "exec seq=7 msg=a%20b%3Dc%25d%0Anew rows=24\n",
	    43) == 0);
	ck_assert_int_eq(monitor_msg_parse(buf, len, &m), 0);
	ck_assert_str_eq(m.verb, "exec");
	ck_assert_uint_eq(m.nf, 3);
	ck_assert_str_eq(monitor_msg_get(&m, "msg"), "a b=c%d\nnew");
	ck_assert_int_eq(monitor_msg_int(&m, "rows", 0), 24);
	ck_assert_int_eq(monitor_msg_int(&m, "seq", 0), 7);
	ck_assert_int_eq(monitor_msg_int(&m, "absent", -3), -3);
	ck_assert_int_eq(monitor_msg_int(&m, "msg", -4), -4);
	ck_assert_ptr_null(monitor_msg_get(&m, "absent"));
	ck_assert_uint_eq(m.bodylen, 16);
	ck_assert(memcmp(m.body, "{\"args\":[\"sh\"]}\n", 16) == 0);
}
END_TEST

START_TEST(proto_limits)
{
	struct monitor_pkt	p;
	struct monitor_msg	m;
	char			buf[32], big[64];

	/* Too long: reported, never truncated silently. */
	monitor_pkt_init(&p, buf, sizeof(buf), "ok");
	monitor_pkt_add(&p, "msg", "0123456789012345678901234567890123");
	ck_assert_uint_eq(monitor_pkt_len(&p), 0);

	strcpy(big, "ok seq=%zz");
	ck_assert_int_eq(monitor_msg_parse(big, strlen(big), &m), -EINVAL);
	strcpy(big, "ok =x");
	ck_assert_int_eq(monitor_msg_parse(big, strlen(big), &m), -EINVAL);
	strcpy(big, "ok noequals");
	ck_assert_int_eq(monitor_msg_parse(big, strlen(big), &m), -EINVAL);
	strcpy(big, "ok a=%00");
	ck_assert_int_eq(monitor_msg_parse(big, strlen(big), &m), -EINVAL);
	strcpy(big, "hello");
	ck_assert_int_eq(monitor_msg_parse(big, strlen(big), &m), 0);
	ck_assert_str_eq(m.verb, "hello");
	ck_assert_uint_eq(m.nf, 0);
	ck_assert_ptr_null(m.body);
}
END_TEST

/* --- frames, time, the json-file log ------------------------------------- */

START_TEST(frame_header)
{
	unsigned char	h[8];
	static const unsigned char want[8] = { 2, 0, 0, 0, 0x01, 0x02, 0x03,
	    0x04 };

	monitor_frame_header(h, 2, 0x01020304u);
	ck_assert(memcmp(h, want, 8) == 0);
	monitor_frame_header(h, 1, 12);
	ck_assert_int_eq(h[0], 1);
	ck_assert_int_eq(h[7], 12);
}
END_TEST

START_TEST(time_format)
{
	char	buf[40];

	ck_assert_str_eq(monitor_time_rfc3339(1704164645123456789LL, buf,
	    sizeof(buf)), "2024-01-02T03:04:05.123456789Z");
	ck_assert_str_eq(monitor_time_rfc3339(1704164645120000000LL, buf,
	    sizeof(buf)), "2024-01-02T03:04:05.12Z");
	ck_assert_str_eq(monitor_time_rfc3339(1704164645000000000LL, buf,
	    sizeof(buf)), "2024-01-02T03:04:05Z");
}
END_TEST

START_TEST(log_record)
{
	char	out[512], dec[512];
	size_t	n;
	ssize_t	d;
	int	stream;
	static const char in[] = "a\"b\\c<d>&\x01\t\xe2\x80\xa8\xff\xc3\xa9\n";

	n = monitor_log_line(out, sizeof(out), in, sizeof(in) - 1, "stderr",
	    1704164645000000000LL);
	ck_assert_uint_eq(n, strlen(out));
	ck_assert_str_eq(out, "{\"log\":\"a\\\"b\\\\c\\u003cd\\u003e\\u0026"
	    "\\u0001\\t\\u2028\\ufffd\xc3\xa9\\n\",\"stream\":\"stderr\","
	    "\"time\":\"2024-01-02T03:04:05Z\"}\n");
	/* Too small: nothing past cap, and the size it needs. */
	ck_assert_uint_eq(monitor_log_line(out, 10, "x", 1, "stdout", 0),
	    strlen("{\"log\":\"x\",\"stream\":\"stdout\","
	    "\"time\":\"1970-01-01T00:00:00Z\"}\n"));

	/* Back again, for a logs=1 replay. */
	n = monitor_log_line(out, sizeof(out), "hi <there>\n", 11, "stderr",
	    1);
	d = monitor_log_parse(out, n - 1, dec, sizeof(dec), &stream);
	ck_assert_int_eq(d, 11);
	ck_assert(memcmp(dec, "hi <there>\n", 11) == 0);
	ck_assert_int_eq(stream, 2);
	ck_assert_int_eq(monitor_log_parse("{\"log\":\"x", 9, dec, sizeof(dec),
	    &stream), -1);
	d = monitor_log_parse("{\"time\":\"t\",\"log\":\"\\ud83d\\ude00\","
	    "\"stream\":\"stdout\",\"attrs\":{\"a\":1}}", 69, dec, sizeof(dec),
	    &stream);
	ck_assert_int_eq(d, 4);
	ck_assert(memcmp(dec, "\xf0\x9f\x98\x80", 4) == 0);
	ck_assert_int_eq(stream, 1);
}
END_TEST

START_TEST(log_split)
{
	char	*big;

	ck_assert_uint_eq(monitor_log_split("ab\ncd\n", 6), 3);
	ck_assert_uint_eq(monitor_log_split("abc", 3), 0);
	ck_assert_uint_eq(monitor_log_split("", 0), 0);
	big = malloc(MONITOR_LOG_LINE_MAX + 10);
	memset(big, 'x', MONITOR_LOG_LINE_MAX + 10);
	/* Docker's 16 KiB partial records. */
	ck_assert_uint_eq(monitor_log_split(big, MONITOR_LOG_LINE_MAX + 10),
	    MONITOR_LOG_LINE_MAX);
	ck_assert_uint_eq(monitor_log_split(big, MONITOR_LOG_LINE_MAX - 1), 0);
	big[MONITOR_LOG_LINE_MAX - 1] = '\n';
	ck_assert_uint_eq(monitor_log_split(big, MONITOR_LOG_LINE_MAX + 10),
	    MONITOR_LOG_LINE_MAX);
	big[100] = '\n';
	ck_assert_uint_eq(monitor_log_split(big, MONITOR_LOG_LINE_MAX + 10),
	    101);
	free(big);
}
END_TEST

/* --- detach keys ------------------------------------------------------- */

START_TEST(detach_parse)
{
	unsigned char	k[MONITOR_DETACH_MAX];

	ck_assert_int_eq(monitor_detach_parse(NULL, k, sizeof(k)), 2);
	ck_assert_int_eq(k[0], 16);
	ck_assert_int_eq(k[1], 17);
	ck_assert_int_eq(monitor_detach_parse("", k, sizeof(k)), 2);
	ck_assert_int_eq(monitor_detach_parse("ctrl-x,e,ctrl-@,ctrl-[,ctrl-_",
	    k, sizeof(k)), 5);
	ck_assert_int_eq(k[0], 24);
	ck_assert_int_eq(k[1], 'e');
	ck_assert_int_eq(k[2], 0);
	ck_assert_int_eq(k[3], 27);
	ck_assert_int_eq(k[4], 31);
	ck_assert_int_eq(monitor_detach_parse("ctrl-", k, sizeof(k)), -EINVAL);
	ck_assert_int_eq(monitor_detach_parse("ctrl-1", k, sizeof(k)),
	    -EINVAL);
	ck_assert_int_eq(monitor_detach_parse("ab", k, sizeof(k)), -EINVAL);
	ck_assert_int_eq(monitor_detach_parse("a,,b", k, sizeof(k)), -EINVAL);
	ck_assert_int_eq(monitor_detach_parse("a,b,c", k, 2), -EINVAL);
}
END_TEST

START_TEST(detach_match)
{
	struct monitor_detach	d = { { 16, 17 }, 2, 0 };
	unsigned char		out[64];
	size_t			n;
	int			det;

	n = monitor_detach_feed(&d, (const unsigned char *)"abc", 3, out, &det);
	ck_assert_uint_eq(n, 3);
	ck_assert(!det);
	/* A prefix is held back until it is decided. */
	n = monitor_detach_feed(&d, (const unsigned char *)"x\x10", 2, out,
	    &det);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(out[0], 'x');
	n = monitor_detach_feed(&d, (const unsigned char *)"\x11zz", 3, out,
	    &det);
	ck_assert(det);
	ck_assert_uint_eq(n, 0);
	/* A broken sequence goes through as typed. */
	n = monitor_detach_feed(&d, (const unsigned char *)"\x10q", 2, out,
	    &det);
	ck_assert(!det);
	ck_assert_uint_eq(n, 2);
	ck_assert(memcmp(out, "\x10q", 2) == 0);
	n = monitor_detach_feed(&d, (const unsigned char *)"\x10\x10\x11", 3,
	    out, &det);
	ck_assert(det);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(out[0], 0x10);
	/* No keys: everything passes. */
	d.nkeys = 0;
	n = monitor_detach_feed(&d, (const unsigned char *)"\x10\x11", 2, out,
	    &det);
	ck_assert_uint_eq(n, 2);
	ck_assert(!det);
}
END_TEST

/* --- runtime error logs ------------------------------------------------ */

START_TEST(runtime_errors)
{
	static const char runc[] =
	    "{\"level\":\"warning\",\"msg\":\"old\",\"time\":\"t\"}\n"
	    "{\"level\":\"error\",\"msg\":\"runc create failed: exec: "
	    "\\\"/bin/nope\\\": stat /bin/nope: no such file\","
	    "\"time\":\"2026-11-28T05:35:31Z\"}\n";
	static const char crun[] =
	    "{\"msg\":\"first\",\"level\":\"error\",\"time\":\"t\"}"
	    "{\"msg\":\"executable file `/bin/nope` not found\","
	    "\"level\":\"error\",\"time\":\"t\"}";
	static const char none[] =
	    "{\"level\":\"info\",\"msg\":\"fine\"}\ngarbage{\"msg\":";
	char	out[256];

	ck_assert_uint_gt(monitor_runtime_error(runc, sizeof(runc) - 1, out,
	    sizeof(out)), 0);
	ck_assert_str_eq(out, "runc create failed: exec: \"/bin/nope\": "
	    "stat /bin/nope: no such file");
	monitor_runtime_error(crun, sizeof(crun) - 1, out, sizeof(out));
	ck_assert_str_eq(out, "executable file `/bin/nope` not found");
	ck_assert_uint_eq(monitor_runtime_error(none, sizeof(none) - 1, out,
	    sizeof(out)), 0);
	ck_assert_str_eq(out, "");
	ck_assert_uint_eq(monitor_runtime_error(runc, sizeof(runc) - 1, out,
	    8), 7);
}
END_TEST

Suite *
suite(void)
{
	Suite	*s = suite_create("runtime-oci");
	TCase	*tc = tcase_create("all");

	tcase_add_test(tc, conf_defaults);
	tcase_add_test(tc, conf_runtimes);
	tcase_add_test(tc, conf_errors);
	tcase_add_test(tc, module_drivers_and_info);
	tcase_add_test(tc, module_reload);
	tcase_add_test(tc, module_refusals);
	tcase_add_test(tc, module_ops_without_monitor);
	tcase_add_test(tc, cgroup_hybrid);
	tcase_add_test(tc, proto_roundtrip);
	tcase_add_test(tc, proto_limits);
	tcase_add_test(tc, frame_header);
	tcase_add_test(tc, time_format);
	tcase_add_test(tc, log_record);
	tcase_add_test(tc, log_split);
	tcase_add_test(tc, detach_parse);
	tcase_add_test(tc, detach_match);
	tcase_add_test(tc, runtime_errors);
	suite_add_tcase(s, tc);
	return s;
}
