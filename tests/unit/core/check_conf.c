/*
 * check_conf.c - engine.yaml parsing and module config key checks.
 *
 * Error messages are part of the interface (an operator acts on them),
 * so most tests assert the whole message, line and column included.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "conf.h"

static struct engine_conf *
parse_ok(const char *text)
{
	struct engine_conf	*c = NULL;
	struct berth_err	 err = BERTH_ERR_INIT;
	int			 rc;

	rc = conf_parse_string("t.yaml", text, &c, &err);
	ck_assert_msg(rc == 0, "rc %d: %s", rc, err.msg);
	ck_assert_ptr_nonnull(c);
	return c;
}

static void
parse_fails(const char *text, const char *msg)
{
	struct engine_conf	*c = (struct engine_conf *)&c;
	struct berth_err	 err = BERTH_ERR_INIT;
	int			 rc;

	rc = conf_parse_string("t.yaml", text, &c, &err);
	ck_assert_int_eq(rc, -EINVAL);
	ck_assert_int_eq(err.code, -EINVAL);
	ck_assert_ptr_null(c);
	ck_assert_str_eq(err.msg, msg);
}

/* Only the position and a part of the text: for libyaml's own words. */
static void
parse_fails_at(const char *text, const char *prefix, const char *part)
{
	struct engine_conf	*c = NULL;
	struct berth_err	 err = BERTH_ERR_INIT;
	int			 rc;

	rc = conf_parse_string("t.yaml", text, &c, &err);
	ck_assert_int_eq(rc, -EINVAL);
	ck_assert_ptr_null(c);
	ck_assert_msg(strncmp(err.msg, prefix, strlen(prefix)) == 0,
	    "'%s' does not start with '%s'", err.msg, prefix);
	ck_assert_msg(strstr(err.msg, part) != NULL,
	    "'%s' does not contain '%s'", err.msg, part);
}

static const char full[] =
    "# a complete engine.yaml\n"
    "hosts:\n"
    "  - unix:///run/berth/berth.sock\n"
    "  - tcp://127.0.0.1:2375\n"
    "data-root: /var/lib/berth\n"
    "exec-root: /run/berth\n"
    "pidfile: /run/berth/berthd.pid\n"
    "log-level: Debug\n"
    "module-dir: /usr/local/lib/berth/modules\n"
    "authorization-plugins: [noop, rules]\n"
    "authz-timeout: 5\n"
    "modules:\n"
    "  - name: authz-noop\n"
    "    required: yes\n"
    "  - path: /opt/berth/rules.so\n"
    "    required: Off\n"
    "    config:\n"
    "      file: /etc/berth/rules.json\n"
    "      max: \"42\"\n"
    "      verbose: TRUE\n"
    "      allow: [a, b]\n"
    "      limits: {cpu: 2, mem: 1g}\n"
    "  - name: 9p\n";

START_TEST(full_config)
{
	struct engine_conf	*c = parse_ok(full);
	struct conf_module	*m;
	json_object		*o, *v;

	ck_assert_str_eq(c->file, "t.yaml");
	ck_assert_str_eq(c->hosts[0], "unix:///run/berth/berth.sock");
	ck_assert_str_eq(c->hosts[1], "tcp://127.0.0.1:2375");
	ck_assert_ptr_null(c->hosts[2]);
	ck_assert_str_eq(c->data_root, "/var/lib/berth");
	ck_assert_str_eq(c->exec_root, "/run/berth");
	ck_assert_str_eq(c->pidfile, "/run/berth/berthd.pid");
	ck_assert_str_eq(c->log_level, "debug");
	ck_assert_str_eq(c->module_dir, "/usr/local/lib/berth/modules");
	ck_assert_str_eq(c->authz[0], "noop");
	ck_assert_str_eq(c->authz[1], "rules");
	ck_assert_ptr_null(c->authz[2]);
	ck_assert_int_eq(c->authz_timeout, 5);
	ck_assert_uint_eq(c->nmodules, 3);

	m = &c->modules[0];
	ck_assert_str_eq(m->name, "authz-noop");
	ck_assert_ptr_null(m->path);
	ck_assert_int_eq(m->required, 1);
	ck_assert_int_eq(m->mark.line, 13);
	ck_assert_int_eq(m->mark.col, 5);
	ck_assert(json_object_is_type(m->config.obj, json_type_object));
	ck_assert_int_eq(json_object_object_length(m->config.obj), 0);
	ck_assert_uint_eq(m->nkeys, 0);

	m = &c->modules[1];
	ck_assert_ptr_null(m->name);
	ck_assert_str_eq(m->path, "/opt/berth/rules.so");
	ck_assert_int_eq(m->required, 0);
	ck_assert_uint_eq(m->nkeys, 5);
	ck_assert_str_eq(m->keys[0], "file");
	ck_assert_int_eq(m->key_marks[0].line, 18);
	ck_assert_int_eq(m->key_marks[0].col, 7);
	ck_assert_str_eq(m->keys[4], "limits");
	ck_assert_int_eq(m->key_marks[4].line, 22);
	ck_assert_int_eq(m->key_marks[4].col, 7);
	o = m->config.obj;
	/* Untyped until conf_check_keys: every scalar is its YAML text. */
	ck_assert(json_object_object_get_ex(o, "max", &v));
	ck_assert_str_eq(json_object_get_string(v), "42");
	ck_assert(json_object_object_get_ex(o, "verbose", &v));
	ck_assert(json_object_is_type(v, json_type_string));
	ck_assert_str_eq(json_object_get_string(v), "TRUE");
	ck_assert(json_object_object_get_ex(o, "allow", &v));
	ck_assert_int_eq(json_object_array_length(v), 2);
	ck_assert_str_eq(json_object_get_string(
	    json_object_array_get_idx(v, 1)), "b");
	ck_assert(json_object_object_get_ex(o, "limits", &v));
	ck_assert(json_object_object_get_ex(v, "mem", &v));
	ck_assert_str_eq(json_object_get_string(v), "1g");

	ck_assert_str_eq(c->modules[2].name, "9p");
	conf_free(c);
}
END_TEST

START_TEST(empty_and_defaults)
{
	static const char	*texts[] = { "", "\n\n", "# only a comment\n",
				    "---\n", "---\n...\n", "~\n" };
	struct engine_conf	*c;
	size_t			 i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		c = parse_ok(texts[i]);
		ck_assert_ptr_null(c->hosts);
		ck_assert_ptr_null(c->data_root);
		ck_assert_ptr_null(c->exec_root);
		ck_assert_ptr_null(c->pidfile);
		ck_assert_ptr_null(c->log_level);
		ck_assert_ptr_null(c->module_dir);
		ck_assert_ptr_null(c->authz);
		ck_assert_int_eq(c->authz_timeout, 30);
		ck_assert_ptr_null(c->modules);
		ck_assert_uint_eq(c->nmodules, 0);
		conf_free(c);
	}
	conf_free(NULL);
}
END_TEST

START_TEST(empty_lists_and_null_config)
{
	struct engine_conf	*c;

	c = parse_ok("modules: []\nauthorization-plugins: []\n");
	ck_assert_uint_eq(c->nmodules, 0);
	ck_assert_ptr_nonnull(c->authz);
	ck_assert_ptr_null(c->authz[0]);
	conf_free(c);

	/* Everything under them commented out: nothing, not an error. */
	c = parse_ok("modules:\n#  - name: x\n");
	ck_assert_uint_eq(c->nmodules, 0);
	conf_free(c);
	c = parse_ok("modules:\n  - name: x\n    config:\n#     a: b\n");
	ck_assert_uint_eq(c->nmodules, 1);
	ck_assert_int_eq(json_object_object_length(c->modules[0].config.obj),
	    0);
	conf_free(c);
}
END_TEST

START_TEST(booleans)
{
	static const char	*yes[] = { "true", "True", "YES", "on", "On" };
	static const char	*no[] = { "false", "FALSE", "no", "No", "off" };
	struct engine_conf	*c;
	char			 buf[128];
	size_t			 i;

	for (i = 0; i < 5; i++) {
		snprintf(buf, sizeof(buf),
		    "modules:\n  - name: a\n    required: %s\n", yes[i]);
		c = parse_ok(buf);
		ck_assert_int_eq(c->modules[0].required, 1);
		conf_free(c);
		snprintf(buf, sizeof(buf),
		    "modules:\n  - name: a\n    required: %s\n", no[i]);
		c = parse_ok(buf);
		ck_assert_int_eq(c->modules[0].required, 0);
		conf_free(c);
	}
}
END_TEST

START_TEST(syntax_errors)
{
	parse_fails_at("hosts: [a, b\n", "t.yaml:2:1: ",
	    "did not find expected ',' or ']'");
	parse_fails_at("a: b\n c: d\n", "t.yaml:2:3: ",
	    "mapping values are not allowed");
	parse_fails_at("data-root: \"/x\n", "t.yaml:2:1: ",
	    "while scanning a quoted scalar at 1:12");
	parse_fails_at("hosts:\n\t- a\n", "t.yaml:2:1: ",
	    "YAML indents with spaces, not tabs");
	parse_fails_at("data-root: /x\xff\n", "t.yaml:1:14: ",
	    "invalid leading UTF-8 octet");
}
END_TEST

START_TEST(structure_errors)
{
	parse_fails("- a\n- b\n",
	    "t.yaml:1:1: the top level must be a mapping of keys, not a list");
	parse_fails("just text\n",
	    "t.yaml:1:1: the top level must be a mapping of keys, "
	    "not a scalar");
	parse_fails("hosts: [a]\nbogus: 1\n",
	    "t.yaml:2:1: unknown key 'bogus'");
	parse_fails("log-level: info\nlog-level: debug\n",
	    "t.yaml:2:1: duplicate key 'log-level'");
	parse_fails("modules:\n  - name: a\n"
	    "    config: {x: 1, y: {z: 1, z: 2}}\n",
	    "t.yaml:3:30: duplicate key 'z'");
	parse_fails("? [a]\n: b\n",
	    "t.yaml:1:3: mapping keys must be plain strings, not a list");
	parse_fails("data-root: /a\n---\ndata-root: /b\n",
	    "t.yaml:2:1: only one YAML document is allowed");
	parse_fails("data-root: &r /a\nexec-root: *r\n",
	    "t.yaml:1:12: YAML anchors ('&r') are not supported");
	parse_fails("exec-root: *r\n",
	    "t.yaml:1:12: YAML aliases ('*r') are not supported");
	parse_fails("data-root: !!str /a\n",
	    "t.yaml:1:12: YAML tags ('tag:yaml.org,2002:str') are not "
	    "supported");
	parse_fails("data-root: \"/a\\0b\"\n",
	    "t.yaml:1:12: NUL character in a string");
}
END_TEST

START_TEST(depth_limit)
{
	char	 buf[512];
	size_t	 i, n;

	/* Top, modules, entry, config: 4 levels, then lists up to 64... */
	n = 0;
	n += (size_t)snprintf(buf, sizeof(buf), "modules:\n - config: {a: ");
	for (i = 0; i < 60; i++)
		buf[n++] = '[';
	for (i = 0; i < 60; i++)
		buf[n++] = ']';
	snprintf(buf + n, sizeof(buf) - n, "}\n   name: x\n");
	conf_free(parse_ok(buf));

	/* ...one more is not. */
	n = (size_t)snprintf(buf, sizeof(buf), "modules:\n - config: {a: ");
	for (i = 0; i < 61; i++)
		buf[n++] = '[';
	for (i = 0; i < 61; i++)
		buf[n++] = ']';
	snprintf(buf + n, sizeof(buf) - n, "}\n   name: x\n");
	parse_fails(buf, "t.yaml:2:76: nested deeper than 64 levels");
}
END_TEST

START_TEST(size_limit)
{
	struct engine_conf	*c = NULL;
	struct berth_err	 err = BERTH_ERR_INIT;
	size_t			 len = 1024 * 1024 + 1;
	char			*big;
	int			 rc;

	ck_assert_ptr_nonnull(big = malloc(len + 1));
	memset(big, '#', len);
	big[len] = '\0';
	rc = conf_parse_string("t.yaml", big, &c, &err);
	ck_assert_int_eq(rc, -EFBIG);
	ck_assert_ptr_null(c);
	ck_assert_ptr_nonnull(strstr(err.msg, "t.yaml: larger than"));
	/* Exactly at the cap is still read (and all comment). */
	big[len - 1] = '\0';
	conf_free(parse_ok(big));
	free(big);
}
END_TEST

START_TEST(type_errors)
{
	parse_fails("hosts: unix:///x\n",
	    "t.yaml:1:8: 'hosts' must be a list of strings, not a scalar");
	parse_fails("hosts:\n  - unix:///x\n  - [a]\n",
	    "t.yaml:3:5: 'hosts' must be a list of strings, but an entry "
	    "is a list");
	parse_fails("hosts: []\n", "t.yaml:1:8: 'hosts' must not be empty");
	parse_fails("hosts: [\"\"]\n",
	    "t.yaml:1:9: 'hosts' must be a list of strings, but an entry "
	    "is empty");
	parse_fails("data-root: var/lib/berth\n",
	    "t.yaml:1:12: 'data-root' must be an absolute path, "
	    "not 'var/lib/berth'");
	parse_fails("data-root:\n",
	    "t.yaml:1:11: 'data-root' must be an absolute path, not empty");
	parse_fails("exec-root: [/a]\n",
	    "t.yaml:1:12: 'exec-root' must be an absolute path, not a list");
	parse_fails("pidfile: x.pid\n",
	    "t.yaml:1:10: 'pidfile' must be an absolute path, not 'x.pid'");
	parse_fails("module-dir: ./m\n",
	    "t.yaml:1:13: 'module-dir' must be an absolute path, not './m'");
	parse_fails("log-level: loud\n",
	    "t.yaml:1:12: 'log-level' must be one of debug, info, warn, "
	    "error, not 'loud'");
	parse_fails("authorization-plugins: noop\n",
	    "t.yaml:1:24: 'authorization-plugins' must be a list of "
	    "strings, not a scalar");
	parse_fails("authz-timeout: 0\n",
	    "t.yaml:1:16: 'authz-timeout' must be a positive number of "
	    "seconds, not '0'");
	parse_fails("authz-timeout: -3\n",
	    "t.yaml:1:16: 'authz-timeout' must be a positive number of "
	    "seconds, not '-3'");
	parse_fails("authz-timeout: 10s\n",
	    "t.yaml:1:16: 'authz-timeout' must be a positive number of "
	    "seconds, not '10s'");
	parse_fails("authz-timeout: 99999999999\n",
	    "t.yaml:1:16: 'authz-timeout' must be a positive number of "
	    "seconds, not '99999999999'");
	parse_fails("modules: authz-noop\n",
	    "t.yaml:1:10: 'modules' must be a list of module entries, "
	    "not a scalar");
}
END_TEST

START_TEST(module_errors)
{
	parse_fails("modules:\n  - authz-noop\n",
	    "t.yaml:2:5: a module entry must be a mapping with 'name' or "
	    "'path', not a scalar");
	parse_fails("modules:\n  - required: true\n",
	    "t.yaml:2:5: module entry needs 'name' or 'path'");
	parse_fails("modules:\n  - name: a\n    path: /a.so\n",
	    "t.yaml:2:5: module entry has both 'name' and 'path'; give one");
	parse_fails("modules:\n  - path: a.so\n",
	    "t.yaml:2:11: 'path' must be an absolute path, not 'a.so'");
	parse_fails("modules:\n  - name: a\n  - name: b\n  - name: a\n",
	    "t.yaml:4:11: module name 'a' is listed twice");
	parse_fails("modules:\n  - path: /a.so\n  - path: /a.so\n",
	    "t.yaml:3:11: module path '/a.so' is listed twice");
	parse_fails("modules:\n  - name: a\n    requred: true\n",
	    "t.yaml:3:5: unknown key 'requred' in module entry (expected "
	    "name, path, required or config)");
	parse_fails("modules:\n  - name: a\n    required: maybe\n",
	    "t.yaml:3:15: 'required' must be true or false, not 'maybe'");
	parse_fails("modules:\n  - name: a\n    required: [true]\n",
	    "t.yaml:3:15: 'required' must be true or false, not a list");
	parse_fails("modules:\n  - name: a\n    config: [x]\n",
	    "t.yaml:3:13: 'config' must be a mapping, not a list");
	parse_fails("modules:\n  - name: a\n    config: x\n",
	    "t.yaml:3:13: 'config' must be a mapping, not a scalar");
}
END_TEST

START_TEST(module_names)
{
	static const char	*bad[] = { "../evil", "/abs", "Foo", "-a",
				    "a/b", "a.so", "a_b", "a b", ".." };
	static const char	*good[] = { "a", "0", "authz-noop", "a-",
				    "x9-y" };
	struct engine_conf	*c = NULL;
	struct berth_err	 err = BERTH_ERR_INIT;
	char			 buf[128], want[64];
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf), "modules:\n  - name: \"%s\"\n",
		    bad[i]);
		ck_assert_int_eq(conf_parse_string("t.yaml", buf, &c, &err),
		    -EINVAL);
		snprintf(want, sizeof(want),
		    "t.yaml:2:11: invalid module name '%s'", bad[i]);
		ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0,
		    "%s", err.msg);
		ck_assert_ptr_nonnull(strstr(err.msg, "module directory"));
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(buf, sizeof(buf), "modules:\n  - name: %s\n",
		    good[i]);
		c = parse_ok(buf);
		ck_assert_str_eq(c->modules[0].name, good[i]);
		conf_free(c);
	}
}
END_TEST

static const struct berth_conf_key rules_keys[] = {
	{ "file",	BERTH_CONF_PATH,	"rules file" },
	{ "max",	BERTH_CONF_INT,		"most rules" },
	{ "verbose",	BERTH_CONF_BOOL,	"log every decision" },
	{ "allow",	BERTH_CONF_LIST,	"allowed users" },
	{ "limits",	BERTH_CONF_MAP,		"per-resource limits" },
	{ "label",	BERTH_CONF_STRING,	"a label" },
	{ NULL,		0,			NULL }
};

START_TEST(check_keys_converts)
{
	struct engine_conf	*c;
	struct conf_module	*m;
	struct berth_err	 err = BERTH_ERR_INIT;
	json_object		*v;
	int			 rc;

	c = parse_ok("modules:\n  - name: rules\n    config:\n"
	    "      file: /etc/rules.json\n      max: \"-42\"\n"
	    "      verbose: off\n      allow: [a]\n      limits: {cpu: 2}\n"
	    "      label: 007\n");
	m = &c->modules[0];
	rc = conf_check_keys(c, m, "rules", rules_keys, &err);
	ck_assert_msg(rc == 0, "%s", err.msg);
	ck_assert(json_object_object_get_ex(m->config.obj, "max", &v));
	ck_assert(json_object_is_type(v, json_type_int));
	ck_assert_int_eq(json_object_get_int64(v), -42);
	ck_assert(json_object_object_get_ex(m->config.obj, "verbose", &v));
	ck_assert(json_object_is_type(v, json_type_boolean));
	ck_assert(!json_object_get_boolean(v));
	ck_assert(json_object_object_get_ex(m->config.obj, "file", &v));
	ck_assert_str_eq(json_object_get_string(v), "/etc/rules.json");
	ck_assert(json_object_object_get_ex(m->config.obj, "label", &v));
	ck_assert(json_object_is_type(v, json_type_string));
	ck_assert_str_eq(json_object_get_string(v), "007");
	ck_assert(json_object_object_get_ex(m->config.obj, "limits", &v));
	ck_assert(json_object_object_get_ex(v, "cpu", &v));
	ck_assert_str_eq(json_object_get_string(v), "2");
	/* Key order survives the conversion. */
	ck_assert_str_eq(json_object_to_json_string_ext(m->config.obj,
	    JSON_C_TO_STRING_PLAIN),
	    "{\"file\":\"\\/etc\\/rules.json\",\"max\":-42,\"verbose\":false,"
	    "\"allow\":[\"a\"],\"limits\":{\"cpu\":\"2\"},\"label\":\"007\"}");

	/* A second check of the converted values passes and keeps them. */
	rc = conf_check_keys(c, m, "rules", rules_keys, &err);
	ck_assert_msg(rc == 0, "%s", err.msg);
	ck_assert(json_object_object_get_ex(m->config.obj, "max", &v));
	ck_assert_int_eq(json_object_get_int64(v), -42);
	conf_free(c);
}
END_TEST

START_TEST(check_keys_empty)
{
	struct engine_conf	*c = parse_ok("modules:\n  - name: a\n");
	struct berth_err	 err = BERTH_ERR_INIT;

	/* No config and no keys declared: nothing to refuse. */
	ck_assert_int_eq(conf_check_keys(c, &c->modules[0], "a", NULL, &err),
	    0);
	ck_assert_int_eq(conf_check_keys(c, &c->modules[0], "a", rules_keys,
	    &err), 0);
	conf_free(c);
}
END_TEST

static void
check_keys_fails(const char *cfg, const struct berth_conf_key *keys,
    const char *msg)
{
	struct engine_conf	*c;
	struct berth_err	 err = BERTH_ERR_INIT;
	char			*text, *before;
	int			 rc;

	ck_assert_int_ne(asprintf(&text,
	    "modules:\n  - name: rules\n    config:\n%s", cfg), -1);
	c = parse_ok(text);
	free(text);
	before = strdup(json_object_to_json_string(c->modules[0].config.obj));
	rc = conf_check_keys(c, &c->modules[0], "rules", keys, &err);
	ck_assert_int_eq(rc, -EINVAL);
	ck_assert_str_eq(err.msg, msg);
	/* All or nothing: a failed check converts nothing. */
	ck_assert_str_eq(json_object_to_json_string(c->modules[0].config.obj),
	    before);
	free(before);
	conf_free(c);
}

START_TEST(check_keys_errors)
{
	check_keys_fails("      max: 1\n      colour: red\n", rules_keys,
	    "t.yaml:5:7: module rules: unknown config key 'colour'");
	check_keys_fails("      max: 1\n", NULL,
	    "t.yaml:4:7: module rules: unknown config key 'max'");
	check_keys_fails("      verbose: on\n      max: 1.5\n", rules_keys,
	    "t.yaml:5:7: module rules: config key 'max' must be an integer");
	check_keys_fails("      max: 99999999999999999999\n", rules_keys,
	    "t.yaml:4:7: module rules: config key 'max' must be an integer");
	check_keys_fails("      max: [1]\n", rules_keys,
	    "t.yaml:4:7: module rules: config key 'max' must be an integer");
	check_keys_fails("      max: \" 1\"\n", rules_keys,
	    "t.yaml:4:7: module rules: config key 'max' must be an integer");
	check_keys_fails("      verbose: 1\n", rules_keys,
	    "t.yaml:4:7: module rules: config key 'verbose' must be true "
	    "or false");
	check_keys_fails("      file: rules.json\n", rules_keys,
	    "t.yaml:4:7: module rules: config key 'file' must be an "
	    "absolute path");
	check_keys_fails("      allow: a\n", rules_keys,
	    "t.yaml:4:7: module rules: config key 'allow' must be a list");
	check_keys_fails("      limits: [a]\n", rules_keys,
	    "t.yaml:4:7: module rules: config key 'limits' must be a "
	    "mapping");
	check_keys_fails("      label: {a: b}\n", rules_keys,
	    "t.yaml:4:7: module rules: config key 'label' must be a string");
}
END_TEST

static char *
write_tmp(const char *text, size_t len)
{
	char	*path;
	int	 fd;

	ck_assert_ptr_nonnull(path = strdup("/tmp/check_conf.XXXXXX"));
	ck_assert_int_ge(fd = mkstemp(path), 0);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
	return path;
}

START_TEST(load_file)
{
	struct engine_conf	*c = NULL;
	struct berth_err	 err = BERTH_ERR_INIT;
	char			*path, want[128];
	int			 rc;

	path = write_tmp(full, sizeof(full) - 1);
	rc = conf_load(path, &c, &err);
	ck_assert_msg(rc == 0, "%s", err.msg);
	ck_assert_str_eq(c->file, path);
	ck_assert_uint_eq(c->nmodules, 3);
	conf_free(c);
	unlink(path);
	free(path);

	/* The file name, not "t.yaml", leads every message. */
	path = write_tmp("data-root: x\n", 13);
	ck_assert_int_eq(conf_load(path, &c, &err), -EINVAL);
	snprintf(want, sizeof(want), "%s:1:12: 'data-root'", path);
	ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0, "%s",
	    err.msg);
	unlink(path);
	free(path);

	/* A NUL byte in the file is refused, not taken as its end. */
	path = write_tmp("data-root: /x\0\n", 15);
	ck_assert_int_eq(conf_load(path, &c, &err), -EINVAL);
	snprintf(want, sizeof(want), "%s:1:14: ", path);
	ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0, "%s",
	    err.msg);
	unlink(path);
	free(path);
}
END_TEST

START_TEST(load_missing)
{
	struct engine_conf	*c = (struct engine_conf *)&c;
	struct berth_err	 err = BERTH_ERR_INIT;
	int			 rc;

	rc = conf_load("/nonexistent/berth/engine.yaml", &c, &err);
	ck_assert_int_eq(rc, -ENOENT);
	ck_assert_int_eq(err.code, -ENOENT);
	ck_assert_ptr_null(c);
	ck_assert_str_eq(err.msg,
	    "/nonexistent/berth/engine.yaml: No such file or directory");

	ck_assert_int_eq(conf_load("/", &c, &err), -EISDIR);
	ck_assert_ptr_null(c);
}
END_TEST

START_TEST(load_too_big)
{
	struct engine_conf	*c = NULL;
	struct berth_err	 err = BERTH_ERR_INIT;
	size_t			 len = 1024 * 1024 + 100;
	char			*big, *path;

	ck_assert_ptr_nonnull(big = malloc(len));
	memset(big, '\n', len);
	path = write_tmp(big, len);
	free(big);
	ck_assert_int_eq(conf_load(path, &c, &err), -EFBIG);
	ck_assert_ptr_null(c);
	ck_assert_ptr_nonnull(strstr(err.msg, path));
	unlink(path);
	free(path);
}
END_TEST

Suite *
suite(void)
{
	Suite	*s = suite_create("conf");
	TCase	*tc;

	tc = tcase_create("parse");
	tcase_add_test(tc, full_config);
	tcase_add_test(tc, empty_and_defaults);
	tcase_add_test(tc, empty_lists_and_null_config);
	tcase_add_test(tc, booleans);
	tcase_add_test(tc, syntax_errors);
	tcase_add_test(tc, structure_errors);
	tcase_add_test(tc, depth_limit);
	tcase_add_test(tc, size_limit);
	tcase_add_test(tc, type_errors);
	tcase_add_test(tc, module_errors);
	tcase_add_test(tc, module_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("check_keys");
	tcase_add_test(tc, check_keys_converts);
	tcase_add_test(tc, check_keys_empty);
	tcase_add_test(tc, check_keys_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("load");
	tcase_add_test(tc, load_file);
	tcase_add_test(tc, load_missing);
	tcase_add_test(tc, load_too_big);
	suite_add_tcase(s, tc);
	return s;
}
