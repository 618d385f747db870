/*
 * check_modules.c - the loader: every refusal, then start order,
 * requirements, and the unwinding of a failed init.
 *
 * The modules are the fixtures of tests/unit/fixtures, built into
 * FIXTURE_DIR.  Names with an underscore are not valid module names in
 * engine.yaml (they are [a-z0-9-]), so those fixtures are configured by
 * absolute `path:`; good is configured by name with FIXTURE_DIR as the
 * module directory.  Each test leaves the loader, router and registry
 * empty, so the whole run is leak-free under ASan even with CK_FORK=no.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "conf.h"
#include "core.h"
#include "loop.h"
#include "modules.h"
#include "registry.h"
#include "router.h"
#include "unit.h"

#include "fixtures/fixture.h"

/* main.c is not linked into unit tests; host.c reads this. */
struct core_settings	core;

static struct event_base	*base;
static struct engine_conf	*conf;		/* freed by teardown */
static char			 tmpdir[64];	/* mkdtemp, for the mode test */

static void
setup(void)
{
	base = event_base_new();
	ck_assert_ptr_nonnull(base);
	ck_assert_int_eq(loop_init(base, 1), 0);
}

static void
teardown(void)
{
	char	path[PATH_MAX];

	/*
	 * berthd's order: fini the modules while the loop still runs, join
	 * the workers (which may be in a module's work function), and only
	 * then unmap the modules.
	 */
	modules_stop();
	loop_fini();
	modules_free();
	router_clear();
	registry_clear();
	conf_free(conf);
	conf = NULL;
	event_base_free(base);
	base = NULL;
	if (tmpdir[0] != '\0') {
		snprintf(path, sizeof(path), "%s/good.so", tmpdir);
		(void)unlink(path);
		(void)rmdir(tmpdir);
		tmpdir[0] = '\0';
	}
}

static const char *
fixture(const char *name)
{
	static char	buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s/%s.so", FIXTURE_DIR, name);
	return buf;
}

/*
 * The absolute path engine.yaml's `path:` needs.  Four buffers in turn,
 * so that one format can take several.
 */
static const char *
fixture_abs(const char *name)
{
	static char	buf[4][PATH_MAX];
	static int	next;
	char		*b = buf[next++ % 4];

	ck_assert_msg(realpath(fixture(name), b) != NULL,
	    "%s: %s (build the fixtures first)", fixture(name),
	    strerror(errno));
	return b;
}

/*
 * The build id compiled into the core's modules.o.  Not this file's
 * BERTH_BUILD_ID: the two are compiled at different times and nothing
 * rebuilds the core when HEAD moves, so they can differ.  The refusal
 * message of a strict descriptor says it.
 */
static const char *
core_build_id(void)
{
	static char			 id[128];
	struct berth_err		 err = BERTH_ERR_INIT;
	struct berth_module		 d = { .abi = BERTH_ABI_INIT };
	const char			*p;

	d.abi.flags = BERTH_ABI_STRICT;
	d.abi.build_id = "";
	ck_assert_int_eq(modules_check(&d, "x.so", &err), -EPROTO);
	p = strstr(err.msg, "berthd is ");
	ck_assert_msg(p != NULL, "%s", err.msg);
	snprintf(id, sizeof(id), "%s", p + strlen("berthd is "));
	return id;
}

/* --- modules_open: the refusals -------------------------------------- */

static void
open_fails(const char *file, const char *name, int want, const char *msg1,
    const char *msg2)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	struct core_mod		*m = (struct core_mod *)&m;
	int			 rc;

	rc = modules_open(file, name, &m, &err);
	ck_assert_msg(rc == want, "%s: rc %d (%s), want %d", file, rc,
	    err.msg, want);
	ck_assert_int_eq(err.code, want);
	ck_assert_ptr_null(m);
	ck_assert_msg(strstr(err.msg, file) != NULL,
	    "message does not name the file: %s", err.msg);
	if (msg1 != NULL)
		ck_assert_msg(strstr(err.msg, msg1) != NULL,
		    "'%s' not in '%s'", msg1, err.msg);
	if (msg2 != NULL)
		ck_assert_msg(strstr(err.msg, msg2) != NULL,
		    "'%s' not in '%s'", msg2, err.msg);
}

START_TEST(open_good)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	struct core_mod		*m = NULL;
	int			 rc;

	rc = modules_open(fixture("good"), "good", &m, &err);
	ck_assert_msg(rc == 0, "%s", err.msg);
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->name, "good");
	ck_assert_str_eq(m->file, fixture("good"));
	ck_assert_ptr_nonnull(m->dl);
	ck_assert_str_eq(m->desc->name, "good");
	ck_assert_str_eq(m->desc->version, "1.0.0");
	ck_assert_uint_eq(m->host.size, sizeof(struct berth_host));
	ck_assert_ptr_eq(CORE_MOD_OF(&m->host), m);
	ck_assert_int_eq(m->running, 0);
	ck_assert_ptr_null(m->state);
	modules_close(m);

	/* No name to check against: the file stem alone must match. */
	ck_assert_int_eq(modules_open(fixture("good"), NULL, &m, &err), 0);
	modules_close(m);
	modules_close(NULL);
}
END_TEST

START_TEST(open_bad_magic)
{
	open_fails(fixture("bad_magic"), "bad_magic", -ENOEXEC,
	    "not a berth module", NULL);
}
END_TEST

START_TEST(open_major_plus1)
{
	char	need[32], have[48];

	/* Both versions named, so the operator knows which side is old. */
	snprintf(need, sizeof(need), "needs ABI %d.0", BERTH_ABI_MAJOR + 1);
	snprintf(have, sizeof(have), "berthd provides %d.%d", BERTH_ABI_MAJOR,
	    BERTH_ABI_MINOR);
	open_fails(fixture("major_plus1"), "major_plus1", -EPROTO, need,
	    have);
}
END_TEST

START_TEST(open_minor_plus1)
{
	char	need[32], have[48];

	snprintf(need, sizeof(need), "needs ABI %d.%d", BERTH_ABI_MAJOR,
	    BERTH_ABI_MINOR + 1);
	snprintf(have, sizeof(have), "berthd provides %d.%d", BERTH_ABI_MAJOR,
	    BERTH_ABI_MINOR);
	open_fails(fixture("minor_plus1"), "minor_plus1", -EPROTO, need,
	    have);
}
END_TEST

START_TEST(open_no_symbol)
{
	open_fails(fixture("no_symbol"), "no_symbol", -ENOEXEC,
	    "not a berth module", "no berth_module symbol");
}
END_TEST

START_TEST(open_wrong_name)
{
	open_fails(fixture("wrong_name"), "wrong_name", -EINVAL,
	    "calls itself other", "expected wrong_name");
	open_fails(fixture("wrong_name"), NULL, -EINVAL,
	    "calls itself other", "expected wrong_name");
	/* The configured name must match as well as the stem. */
	open_fails(fixture("good"), "other", -EINVAL, "calls itself good",
	    "expected other");
}
END_TEST

START_TEST(open_truncated)
{
	open_fails(fixture("truncated"), "truncated", -EPROTO, "truncated",
	    NULL);
}
END_TEST

START_TEST(open_strict_wrong_build)
{
	char	have[160];

	snprintf(have, sizeof(have), "berthd is %s", core_build_id());
	open_fails(fixture("strict_wrong_build"), "strict_wrong_build",
	    -EPROTO, "built by nope", have);
}
END_TEST

START_TEST(open_not_a_file)
{
	open_fails(fixture("does_not_exist"), "does_not_exist", -ENOENT,
	    NULL, NULL);
	open_fails(FIXTURE_DIR, NULL, -EINVAL, "not a regular file", NULL);
}
END_TEST

/* Copy good.so to tmpdir/good.so (the stem must stay "good"). */
static const char *
copy_good(void)
{
	static char	 dst[PATH_MAX];
	char		 buf[65536];
	ssize_t		 n;
	int		 in, out;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_modules.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(dst, sizeof(dst), "%s/good.so", tmpdir);
	in = open(fixture("good"), O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(in, 0);
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ck_assert_int_ge(out, 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		ck_assert_int_eq(write(out, buf, (size_t)n), n);
	ck_assert_int_eq(n, 0);
	close(in);
	ck_assert_int_eq(close(out), 0);
	return dst;
}

START_TEST(open_writable)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	struct core_mod		*m = NULL;
	const char		*file = copy_good();
	int			 rc;

	/* The copy itself is fine: only the mode may make it fail. */
	ck_assert_int_eq(chmod(file, 0644), 0);
	rc = modules_open(file, "good", &m, &err);
	ck_assert_msg(rc == 0, "%s", err.msg);
	modules_close(m);

	ck_assert_int_eq(chmod(file, 0664), 0);
	open_fails(file, "good", -EPERM, "group- or world-writable", NULL);
	ck_assert_int_eq(chmod(file, 0646), 0);
	open_fails(file, "good", -EPERM, "group- or world-writable", NULL);
}
END_TEST

/* --- modules_check on descriptors built here ------------------------- */

static int
dummy_init(const struct berth_host *h, const struct berth_conf *c,
    void **statep, struct berth_err *err)
{
	return 0;
}

static void
dummy_fini(void *state)
{
}

START_TEST(check_descriptor)
{
	struct berth_err	err = BERTH_ERR_INIT;
	struct berth_module	d;
	const struct berth_module ok = {
		.abi = BERTH_ABI_INIT,
		.name = "x",
		.init = dummy_init,
		.fini = dummy_fini,
	};

	ck_assert_int_eq(modules_check(&ok, "x.so", &err), 0);

	/* A module of this very build may use core-private headers. */
	d = ok;
	d.abi.flags = BERTH_ABI_STRICT;
	d.abi.build_id = core_build_id();
	ck_assert_int_eq(modules_check(&d, "x.so", &err), 0);
	d.abi.build_id = NULL;
	ck_assert_int_eq(modules_check(&d, "x.so", &err), -EPROTO);
	ck_assert_ptr_nonnull(strstr(err.msg, "core-private"));

	d = ok;
	d.name = NULL;
	ck_assert_int_eq(modules_check(&d, "x.so", &err), -EPROTO);
	ck_assert_ptr_nonnull(strstr(err.msg, "lacks"));
	d = ok;
	d.init = NULL;
	ck_assert_int_eq(modules_check(&d, "x.so", &err), -EPROTO);
	d = ok;
	d.fini = NULL;
	ck_assert_int_eq(modules_check(&d, "x.so", &err), -EPROTO);

	/* An older minor is fine; the size a 1.0 descriptor had is too. */
	d = ok;
	d.abi.minor = 0;
	ck_assert_int_eq(modules_check(&d, "x.so", &err), 0);
	d.abi.size = BERTH_MODULE_MIN_SIZE;
	ck_assert_int_eq(modules_check(&d, "x.so", &err), 0);
	d.abi.size = BERTH_MODULE_MIN_SIZE - 1;
	ck_assert_int_eq(modules_check(&d, "x.so", &err), -EPROTO);
	d = ok;
	d.abi.major = BERTH_ABI_MAJOR - 1;
	ck_assert_int_eq(modules_check(&d, "x.so", &err), -EPROTO);
}
END_TEST

/* --- modules_path ---------------------------------------------------- */

static int
path_of(const char *name, char *buf, size_t len)
{
	struct conf_module	cm;
	struct berth_err	err = BERTH_ERR_INIT;

	memset(&cm, 0, sizeof(cm));
	cm.name = (char *)name;
	return modules_path("/mods", &cm, buf, len, &err);
}

START_TEST(path_names)
{
	static const char *const	bad[] = {
		"a/b", "/abs", "..", "../good", "Good", "GOOD", "-x", "a.so",
		"a b", "a_b", "", NULL
	};
	struct conf_module		cm;
	struct berth_err		err = BERTH_ERR_INIT;
	char				buf[PATH_MAX];
	size_t				i;

	for (i = 0; bad[i] != NULL; i++)
		ck_assert_msg(path_of(bad[i], buf, sizeof(buf)) == -EINVAL,
		    "module name '%s' accepted", bad[i]);

	ck_assert_int_eq(path_of("good", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "/mods/good.so");
	ck_assert_int_eq(path_of("authz-noop", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "/mods/authz-noop.so");
	ck_assert_int_eq(path_of("9p", buf, sizeof(buf)), 0);
	ck_assert_int_eq(path_of("good", buf, 8), -ENAMETOOLONG);

	/* A path is taken as given: conf.c made sure it is absolute. */
	memset(&cm, 0, sizeof(cm));
	cm.path = "/opt/x/My_Module.so";
	ck_assert_int_eq(modules_path("/mods", &cm, buf, sizeof(buf), &err),
	    0);
	ck_assert_str_eq(buf, "/opt/x/My_Module.so");
	ck_assert_int_eq(modules_path("/mods", &cm, buf, 4, &err),
	    -ENAMETOOLONG);
}
END_TEST

/* --- modules_start --------------------------------------------------- */

/* Parse an engine.yaml made from fmt into conf (teardown frees it). */
__attribute__((format(printf, 1, 2)))
static void
parse(const char *fmt, ...)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	va_list			 ap;
	char			*text;
	int			 rc;

	va_start(ap, fmt);
	ck_assert_int_ge(vasprintf(&text, fmt, ap), 0);
	va_end(ap);
	conf_free(conf);
	conf = NULL;
	rc = conf_parse_string("t.yaml", text, &conf, &err);
	ck_assert_msg(rc == 0, "%s\n%s", err.msg, text);
	free(text);
}

static int
start(int validate_only, struct berth_err *err)
{
	berth_err_clear(err);
	return modules_start(conf, FIXTURE_DIR, validate_only, err);
}

static size_t
nrunning(void)
{
	struct core_mod	*m;
	size_t		 n = 0;

	for (m = modules_first(); m != NULL; m = m->next)
		n++;
	return n;
}

static int
served(enum berth_method method, const char *path, struct core_mod **owner)
{
	struct router_match	m;
	int			rc;

	rc = router_match(method, path, &m);
	if (rc == 0) {
		if (owner != NULL)
			*owner = m.owner;
		router_match_clear(&m);
	}
	return rc;
}

/* good is running, first, and the sole provider of the test driver. */
static struct core_mod *
assert_good_running(void)
{
	struct core_mod			*g = modules_first(), *owner = NULL;
	const struct fixture_ops	*ops;
	void				*state = NULL;

	ck_assert_ptr_nonnull(g);
	ck_assert_str_eq(g->name, "good");
	ck_assert_int_eq(g->running, 1);
	ck_assert_ptr_nonnull(g->state);
	ops = registry_lookup(FIXTURE_IFACE, FIXTURE_DRIVER, &state);
	ck_assert_ptr_nonnull(ops);
	ck_assert_int_eq(ops->magic, 0x600d);
	ck_assert_ptr_eq(state, g->state);
	ck_assert_ptr_eq(registry_owner(FIXTURE_IFACE, FIXTURE_DRIVER), g);
	ck_assert_int_eq(served(BERTH_GET, "/good", &owner), 0);
	ck_assert_ptr_eq(owner, g);
	return g;
}

START_TEST(start_dependency_order)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	struct core_mod		*g, *n;
	int			 rc;

	/* Listed dependent first: the loader must reorder. */
	parse("modules:\n"
	    "  - path: %s\n"
	    "    required: true\n"
	    "  - name: good\n"
	    "    required: true\n", fixture_abs("needs_good"));
	rc = start(0, &err);
	ck_assert_msg(rc == 0, "rc %d: %s", rc, err.msg);
	g = assert_good_running();
	n = g->next;
	ck_assert_ptr_nonnull(n);
	ck_assert_str_eq(n->name, "needs_good");
	ck_assert_int_eq(n->running, 1);
	ck_assert_ptr_null(n->next);
	ck_assert_ptr_eq(g->conf, &conf->modules[1]);
	ck_assert_ptr_eq(n->conf, &conf->modules[0]);
	ck_assert_int_eq(g->required, 1);

	/* Starting the same list again starts nothing twice. */
	ck_assert_int_eq(start(0, &err), 0);
	ck_assert_uint_eq(nrunning(), 2);
}
END_TEST

START_TEST(start_requirement_missing)
{
	struct berth_err	err = BERTH_ERR_INIT;

	parse("modules:\n"
	    "  - path: %s\n"
	    "    required: true\n", fixture_abs("needs_good"));
	ck_assert_int_eq(start(0, &err), -ENOENT);
	ck_assert_int_eq(err.code, -ENOENT);
	ck_assert_msg(strstr(err.msg, "requires " FIXTURE_IFACE) != NULL,
	    "%s", err.msg);
	ck_assert_ptr_nonnull(strstr(err.msg, "needs_good"));
	ck_assert_ptr_null(modules_first());
}
END_TEST

START_TEST(start_requirement_missing_optional)
{
	struct berth_err	err = BERTH_ERR_INIT;

	parse("modules:\n"
	    "  - path: %s\n", fixture_abs("needs_good"));
	ck_assert_int_eq(start(0, &err), 0);
	ck_assert_int_eq(err.code, 0);
	ck_assert_ptr_null(modules_first());
}
END_TEST

START_TEST(start_init_fails)
{
	struct berth_err	err = BERTH_ERR_INIT;
	int			nev;

	nev = event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED);
	parse("modules:\n"
	    "  - name: good\n"
	    "  - path: %s\n"
	    "    required: true\n", fixture_abs("init_fails"));
	ck_assert_int_eq(start(0, &err), -EIO);
	ck_assert_int_eq(err.code, -EIO);
	/* The module's own message, with which module and which file. */
	ck_assert_msg(strstr(err.msg, "init_fails: deliberate failure") !=
	    NULL, "%s", err.msg);
	ck_assert_ptr_nonnull(strstr(err.msg, "module init_fails ("));
	ck_assert_ptr_nonnull(strstr(err.msg, fixture_abs("init_fails")));
	/* Unwound: its route is gone and its timer no longer pending. */
	ck_assert_int_eq(served(BERTH_GET, "/fail", NULL), -ENOENT);
	ck_assert_int_eq(event_base_get_num_events(base,
	    EVENT_BASE_COUNT_ADDED), nev);
	/* good started before it and is left to the caller to stop. */
	assert_good_running();
	ck_assert_uint_eq(nrunning(), 1);
}
END_TEST

START_TEST(start_init_fails_optional)
{
	struct berth_err	err = BERTH_ERR_INIT;
	int			nev;

	nev = event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED);
	parse("modules:\n"
	    "  - path: %s\n"
	    "  - name: good\n", fixture_abs("init_fails"));
	ck_assert_int_eq(start(0, &err), 0);
	ck_assert_int_eq(served(BERTH_GET, "/fail", NULL), -ENOENT);
	assert_good_running();
	ck_assert_uint_eq(nrunning(), 1);
	/* good added nothing to the loop; init_fails' timer is gone. */
	ck_assert_int_eq(event_base_get_num_events(base,
	    EVENT_BASE_COUNT_ADDED), nev);
}
END_TEST

START_TEST(start_init_fails_work_pending)
{
	struct berth_err	err = BERTH_ERR_INIT;

	/*
	 * Its work function is still sleeping on the worker when init has
	 * failed.  Had the loader unmapped the module, the worker would
	 * return into nothing when teardown joins it.
	 */
	parse("modules:\n"
	    "  - path: %s\n"
	    "    required: true\n", fixture_abs("init_work_fails"));
	ck_assert_int_eq(start(0, &err), -EIO);
	ck_assert_ptr_nonnull(strstr(err.msg, "deliberate failure"));
	ck_assert_ptr_null(modules_first());

	/* Optional: the same, and the loader carries on. */
	parse("modules:\n"
	    "  - path: %s\n"
	    "  - name: good\n", fixture_abs("init_work_fails"));
	ck_assert_int_eq(start(0, &err), 0);
	assert_good_running();
}
END_TEST

START_TEST(start_dup_provide)
{
	struct berth_err	err = BERTH_ERR_INIT;

	parse("modules:\n"
	    "  - name: good\n"
	    "    required: true\n"
	    "  - path: %s\n"
	    "    required: true\n", fixture_abs("dup_provide"));
	ck_assert_int_eq(start(0, &err), -EEXIST);
	ck_assert_ptr_nonnull(strstr(err.msg, "already provided"));
	ck_assert_ptr_nonnull(strstr(err.msg, "dup_provide"));
	/* Its route went with it; good's driver did not. */
	ck_assert_int_eq(served(BERTH_GET, "/dup", NULL), -ENOENT);
	assert_good_running();
	ck_assert_uint_eq(nrunning(), 1);
}
END_TEST

START_TEST(start_dup_provide_optional)
{
	struct berth_err	err = BERTH_ERR_INIT;

	parse("modules:\n"
	    "  - name: good\n"
	    "  - path: %s\n", fixture_abs("dup_provide"));
	ck_assert_int_eq(start(0, &err), 0);
	ck_assert_int_eq(served(BERTH_GET, "/dup", NULL), -ENOENT);
	assert_good_running();
	ck_assert_uint_eq(nrunning(), 1);
}
END_TEST

START_TEST(start_refused_module)
{
	struct berth_err	err = BERTH_ERR_INIT;

	/* A required module that fails its checks: nothing starts. */
	parse("modules:\n"
	    "  - name: good\n"
	    "  - path: %s\n"
	    "    required: true\n", fixture_abs("bad_magic"));
	ck_assert_int_eq(start(0, &err), -ENOEXEC);
	ck_assert_ptr_nonnull(strstr(err.msg, "not a berth module"));
	ck_assert_ptr_null(modules_first());
	ck_assert_ptr_null(registry_lookup(FIXTURE_IFACE, FIXTURE_DRIVER,
	    NULL));

	/* Optional: skipped, the rest starts. */
	parse("modules:\n"
	    "  - path: %s\n"
	    "  - path: %s\n"
	    "  - name: good\n", fixture_abs("bad_magic"),
	    fixture_abs("minor_plus1"));
	ck_assert_int_eq(start(0, &err), 0);
	assert_good_running();
	ck_assert_uint_eq(nrunning(), 1);
}
END_TEST

START_TEST(start_unknown_config_key)
{
	struct berth_err	err = BERTH_ERR_INIT;

	/* good declares no keys: any config is refused before init. */
	parse("modules:\n"
	    "  - name: good\n"
	    "    required: true\n"
	    "    config: { colour: blue }\n");
	ck_assert_int_eq(start(0, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "colour"));
	ck_assert_ptr_null(modules_first());
	ck_assert_int_eq(served(BERTH_GET, "/good", NULL), -ENOENT);
}
END_TEST

START_TEST(start_validate_only)
{
	struct berth_err	err = BERTH_ERR_INIT;
	int			rc;

	parse("modules:\n"
	    "  - path: %s\n"
	    "    required: true\n"
	    "  - name: good\n"
	    "    required: true\n", fixture_abs("needs_good"));
	rc = start(1, &err);
	ck_assert_msg(rc == 0, "rc %d: %s", rc, err.msg);
	/* Opened and checked, never initialised. */
	ck_assert_ptr_null(modules_first());
	ck_assert_int_eq(served(BERTH_GET, "/good", NULL), -ENOENT);
	ck_assert_ptr_null(registry_lookup(FIXTURE_IFACE, FIXTURE_DRIVER,
	    NULL));

	/* And it left nothing behind that a real start would trip on. */
	rc = start(0, &err);
	ck_assert_msg(rc == 0, "rc %d: %s", rc, err.msg);
	ck_assert_uint_eq(nrunning(), 2);
}
END_TEST

START_TEST(start_validate_only_refusals)
{
	struct berth_err	err = BERTH_ERR_INIT;

	/* --validate still sees a requirement nothing provides... */
	parse("modules:\n"
	    "  - path: %s\n"
	    "    required: true\n", fixture_abs("needs_good"));
	ck_assert_int_eq(start(1, &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err.msg, "requires " FIXTURE_IFACE));
	/* ...and every check made on data. */
	parse("modules:\n"
	    "  - path: %s\n"
	    "    required: true\n", fixture_abs("strict_wrong_build"));
	ck_assert_int_eq(start(1, &err), -EPROTO);
	ck_assert_ptr_null(modules_first());
}
END_TEST

Suite *
suite(void)
{
	Suite	*s = suite_create("modules");
	TCase	*tc;

	tc = tcase_create("open");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, open_good);
	tcase_add_test(tc, open_bad_magic);
	tcase_add_test(tc, open_major_plus1);
	tcase_add_test(tc, open_minor_plus1);
	tcase_add_test(tc, open_no_symbol);
	tcase_add_test(tc, open_wrong_name);
	tcase_add_test(tc, open_truncated);
	tcase_add_test(tc, open_strict_wrong_build);
	tcase_add_test(tc, open_not_a_file);
	tcase_add_test(tc, open_writable);
	tcase_add_test(tc, check_descriptor);
	tcase_add_test(tc, path_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("start");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, start_dependency_order);
	tcase_add_test(tc, start_requirement_missing);
	tcase_add_test(tc, start_requirement_missing_optional);
	tcase_add_test(tc, start_init_fails);
	tcase_add_test(tc, start_init_fails_optional);
	tcase_add_test(tc, start_init_fails_work_pending);
	tcase_add_test(tc, start_dup_provide);
	tcase_add_test(tc, start_dup_provide_optional);
	tcase_add_test(tc, start_refused_module);
	tcase_add_test(tc, start_unknown_config_key);
	tcase_add_test(tc, start_validate_only);
	tcase_add_test(tc, start_validate_only_refusals);
	suite_add_tcase(s, tc);
	return s;
}
