/*
 * check_images.c - the images service: pure parts (references, changes,
 * filters, paths, times) directly; layer extraction on real temp dirs
 * with hostile archives made here; the API through the route handlers
 * with the mock host, whose work runs at once.
 */
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include <berth/image.h>
#include <berth/json.h>
#include <berth/module.h>

#include "../../../modules/images/images.h"
#include "mock_host.h"
#include "unit.h"

extern const struct berth_module berth_module;

/* --- references ------------------------------------------------------------ */

static void
ref_ok(const char *in, const char *full, const char *familiar)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	struct images_ref	 ref;
	char			 buf[1024];

	ck_assert_msg(images_ref_parse(in, &ref, &err) == 0, "%s: %s", in,
	    err.msg);
	images_ref_string(&ref, buf, sizeof(buf));
	ck_assert_str_eq(buf, full);
	images_ref_familiar(&ref, buf, sizeof(buf));
	ck_assert_str_eq(buf, familiar);
}

static void
ref_bad(const char *in, const char *msg)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	struct images_ref	 ref;

	ck_assert_msg(images_ref_parse(in, &ref, &err) == -EINVAL,
	    "%s parsed", in);
	ck_assert_msg(strcmp(err.msg, msg) == 0, "%s: want \"%s\" got \"%s\"",
	    in, msg, err.msg);
}

START_TEST(refs_normalise)
{
	ref_ok("busybox", "docker.io/library/busybox", "busybox");
	ref_ok("busybox:1.36", "docker.io/library/busybox:1.36",
	    "busybox:1.36");
	ref_ok("library/busybox", "docker.io/library/busybox", "busybox");
	ref_ok("docker.io/busybox", "docker.io/library/busybox", "busybox");
	ref_ok("index.docker.io/library/x:y", "docker.io/library/x:y", "x:y");
	ref_ok("foo/bar", "docker.io/foo/bar", "foo/bar");
	ref_ok("docker.io/library/a/b", "docker.io/library/a/b",
	    "library/a/b");
	ref_ok("localhost:5000/spy/busybox:1", "localhost:5000/spy/busybox:1",
	    "localhost:5000/spy/busybox:1");
	ref_ok("localhost/x", "localhost/x", "localhost/x");
	ref_ok("example.com/a@sha256:"
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	    "example.com/a@sha256:"
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	    "example.com/a@sha256:"
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	ref_ok("a_b/c__d/e-f--g.h:T_a.g-1", "docker.io/a_b/c__d/e-f--g.h:T_a.g-1",
	    "a_b/c__d/e-f--g.h:T_a.g-1");
	ref_ok("My.Host:80/x", "My.Host:80/x", "My.Host:80/x");
}
END_TEST

START_TEST(refs_refuse)
{
	char	 long_name[300], *p;

	ref_bad("", "invalid reference format");
	ref_bad("Busybox", "invalid reference format: repository name must "
	    "be lowercase");
	ref_bad("Foo/bar", "invalid reference format: repository name must "
	    "be lowercase");
	ref_bad("localhost:5000/Foo", "invalid reference format: repository "
	    "name must be lowercase");
	ref_bad("a//b", "invalid reference format");
	ref_bad("a:", "invalid reference format");
	ref_bad("-a", "invalid reference format");
	ref_bad("a..b", "invalid reference format");
	ref_bad("a___b", "invalid reference format");
	ref_bad("a:-tag", "invalid reference format");
	ref_bad("a@sha256:abc", "invalid reference format");
	ref_bad("a@sha256:0123456789abcdef0123456789abcdef01234567",
	    "invalid checksum digest length");
	ref_bad("a@md5:0123456789abcdef0123456789abcdef",
	    "unsupported digest algorithm");
	ref_bad("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	    "invalid repository name (0123456789abcdef0123456789abcdef0123456789"
	    "abcdef0123456789abcdef), cannot specify 64-byte hexadecimal "
	    "strings");
	memset(long_name, 'a', sizeof(long_name));
	long_name[sizeof(long_name) - 1] = '\0';
	ref_bad(long_name, "repository name must not be more than 255 "
	    "characters");
	p = long_name + sizeof(long_name) - 1 - 129;
	p[-1] = ':';
	memcpy(long_name, "abc", 3);
	ref_bad(long_name, "invalid reference format");
}
END_TEST

START_TEST(refs_tags_ids)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	struct images_ref	 ref;
	char			 id[IMAGES_HEX + 1], tag[200], buf[1024];
	const char		*hex = "0123456789abcdef0123456789abcdef"
				    "0123456789abcdef0123456789abcdef";

	ck_assert_int_eq(images_ref_parse("busybox", &ref, &err), 0);
	ck_assert_int_eq(images_ref_set_tag(&ref, "-x", &err), -EINVAL);
	ck_assert_str_eq(err.msg, "invalid tag format");
	memset(tag, 'a', 128);
	tag[128] = '\0';
	ck_assert_int_eq(images_ref_set_tag(&ref, tag, &err), 0);
	tag[128] = 'a';
	tag[129] = '\0';
	ck_assert_int_eq(images_ref_set_tag(&ref, tag, &err), -EINVAL);
	ck_assert_int_eq(images_ref_parse("busybox", &ref, &err), 0);
	images_ref_default_tag(&ref);
	images_ref_familiar(&ref, buf, sizeof(buf));
	ck_assert_str_eq(buf, "busybox:latest");

	ck_assert_int_eq(images_ref_parse_any(hex, &ref, id, &err), 1);
	ck_assert_str_eq(id, hex);
	snprintf(buf, sizeof(buf), "sha256:%s", hex);
	ck_assert_int_eq(images_ref_parse_any(buf, &ref, id, &err), 1);
	ck_assert_int_eq(images_ref_parse_any("sha256:abc", &ref, id, &err), 0);
	images_ref_familiar(&ref, buf, sizeof(buf));
	ck_assert_str_eq(buf, "sha256:abc");

	ck_assert(images_ref_is_id_prefix(hex, "0123"));
	ck_assert(images_ref_is_id_prefix(hex, "sha256:0123"));
	ck_assert(!images_ref_is_id_prefix(hex, "busybox"));

	ck_assert_int_eq(images_ref_parse("busybox:latest", &ref, &err), 0);
	ck_assert(images_ref_match("busy*", &ref));
	ck_assert(images_ref_match("busybox:l*", &ref));
	ck_assert(!images_ref_match("busybox:1*", &ref));
	ck_assert_int_eq(images_ref_parse("foo/bar:1", &ref, &err), 0);
	ck_assert(images_ref_match("*/bar", &ref));
	ck_assert(!images_ref_match("bar", &ref));
	ck_assert(!images_ref_match("*", &ref));
}
END_TEST

/* --- changes -------------------------------------------------------------- */

static json_object *
apply(const char *const *changes, size_t n, int want, const char *msg)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	json_object		*c = images_config_new(), *out;
	int			 rc;

	rc = images_changes_apply(c, changes, n, &err);
	ck_assert_msg(rc == want, "rc %d (%s)", rc, err.msg);
	if (msg != NULL)
		ck_assert_str_eq(err.msg, msg);
	out = images_config_canonical(c);
	json_object_put(c);
	return out;
}

static const char *
js(json_object *o, const char *key)
{
	json_object	*v = berth_json_get(o, key);

	return v ? json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE) : "null";
}

START_TEST(changes_apply)
{
	const char *const all[] = {
		"CMD [\"/bin/sh\", \"-c\", \"echo hi\"]",
		"ENV A=1 B=\"x y\" C=$A-${A}",
		"ENV D legacy value",
		"env A=2",
		"LABEL a=b \"c d\"=e",
		"EXPOSE 80 53/udp 8000-8002/TCP",
		"VOLUME [\"/data\", \"/x\"]",
		"VOLUME /v1 /v2",
		"WORKDIR /srv",
		"WORKDIR app/../www",
		"USER www:33",
		"STOPSIGNAL SIGUSR1",
		"ONBUILD RUN echo later",
		"# a comment",
		"",
		"HEALTHCHECK --interval=30s --retries=3 CMD curl -f http://x/ \\\n"
		"  || exit 1",
	};
	json_object	*c;

	c = apply(all, sizeof(all) / sizeof(all[0]), 0, NULL);
	ck_assert_str_eq(js(c, "Cmd"), "[\"/bin/sh\",\"-c\",\"echo hi\"]");
	ck_assert_str_eq(js(c, "Env"),
	    "[\"A=2\",\"B=x y\",\"C=1-1\",\"D=legacy value\"]");
	ck_assert_str_eq(js(c, "Labels"), "{\"a\":\"b\",\"c d\":\"e\"}");
	ck_assert_str_eq(js(c, "ExposedPorts"), "{\"80/tcp\":{},\"53/udp\":{},"
	    "\"8000/tcp\":{},\"8001/tcp\":{},\"8002/tcp\":{}}");
	ck_assert_str_eq(js(c, "Volumes"),
	    "{\"/data\":{},\"/x\":{},\"/v1\":{},\"/v2\":{}}");
	ck_assert_str_eq(js(c, "WorkingDir"), "\"/srv/www\"");
	ck_assert_str_eq(js(c, "User"), "\"www:33\"");
	ck_assert_str_eq(js(c, "StopSignal"), "\"SIGUSR1\"");
	ck_assert_str_eq(js(c, "OnBuild"), "[\"RUN echo later\"]");
	ck_assert_str_eq(js(c, "Healthcheck"), "{\"Test\":[\"CMD-SHELL\","
	    "\"curl -f http://x/   || exit 1\"],\"Interval\":30000000000,"
	    "\"Retries\":3}");
	json_object_put(c);
}
END_TEST

START_TEST(changes_forms)
{
	const char *const shell[] = { "CMD echo $HOME" };
	const char *const ep[] = { "ENTRYPOINT [\"/bin/true\"]" };
	const char *const cmd_ep[] = { "CMD [\"x\"]", "ENTRYPOINT /bin/e" };
	const char *const none[] = { "HEALTHCHECK NONE" };
	json_object	*c;

	c = apply(shell, 1, 0, NULL);
	ck_assert_str_eq(js(c, "Cmd"), "[\"/bin/sh\",\"-c\",\"echo $HOME\"]");
	json_object_put(c);
	c = apply(ep, 1, 0, NULL);
	ck_assert_str_eq(js(c, "Entrypoint"), "[\"/bin/true\"]");
	ck_assert_str_eq(js(c, "Cmd"), "null");
	json_object_put(c);
	/* ENTRYPOINT after CMD keeps it. */
	c = apply(cmd_ep, 2, 0, NULL);
	ck_assert_str_eq(js(c, "Cmd"), "[\"x\"]");
	ck_assert_str_eq(js(c, "Entrypoint"), "[\"/bin/sh\",\"-c\",\"/bin/e\"]");
	json_object_put(c);
	c = apply(none, 1, 0, NULL);
	ck_assert_str_eq(js(c, "Healthcheck"), "{\"Test\":[\"NONE\"]}");
	/* Docker's field order, the omitempty ones out when unset. */
	ck_assert_ptr_null(berth_json_get(c, "ExposedPorts"));
	json_object_put(c);
}
END_TEST

START_TEST(changes_refuse)
{
	const char *const run[] = { "RUN echo" };
	const char *const from[] = { "CMD x", "FROM busybox" };
	const char *const env[] = { "ENV A=1 B" };
	const char *const blank[] = { "ENV =x" };
	const char *const port[] = { "EXPOSE 80/tcp 99999" };
	const char *const sig[] = { "STOPSIGNAL SIGNOPE" };
	const char *const user[] = { "USER a b" };
	const char *const onb[] = { "ONBUILD FROM x" };
	const char *const hc[] = { "HEALTHCHECK --interval=5us CMD x" };
	const char *const quote[] = { "ENV A=\"open" };
	json_object	*c;

	c = apply(run, 1, -EINVAL, "run is not a valid change command");
	json_object_put(c);
	/* Every command checked before any runs. */
	c = apply(from, 2, -EINVAL, "from is not a valid change command");
	ck_assert_str_eq(js(c, "Cmd"), "null");
	json_object_put(c);
	json_object_put(apply(env, 1, -EINVAL, "Syntax error - can't find = "
	    "in \"B\". Must be of the form: name=value"));
	json_object_put(apply(blank, 1, -EINVAL, "ENV names can not be blank"));
	json_object_put(apply(port, 1, -EINVAL, "Invalid containerPort: 99999"));
	json_object_put(apply(sig, 1, -EINVAL, "Invalid signal: SIGNOPE"));
	json_object_put(apply(user, 1, -EINVAL,
	    "USER requires exactly one argument"));
	json_object_put(apply(onb, 1, -EINVAL,
	    "FROM isn't allowed as an ONBUILD trigger"));
	json_object_put(apply(hc, 1, -EINVAL,
	    "interval cannot be less than 1ms"));
	json_object_put(apply(quote, 1, -EINVAL, NULL));
}
END_TEST

/* --- filters ---------------------------------------------------------------- */

START_TEST(filters_parse)
{
	static const char *const accepted[] = { "label", "dangling", NULL };
	struct berth_err	 err = BERTH_ERR_INIT;
	struct images_filters	*f;
	json_object		*labels = json_tokener_parse(
				    "{\"a\":\"b\",\"c\":\"\"}");

	ck_assert_int_eq(images_filters_parse(
	    "{\"label\":{\"a=b\":true,\"c\":true},\"dangling\":[\"true\"]}", &f,
	    &err), 0);
	ck_assert_int_eq(images_filters_validate(f, accepted, &err), 0);
	ck_assert(images_filters_has(f, "label"));
	ck_assert_uint_eq(images_filters_count(f, "label"), 2);
	ck_assert(images_filters_exact(f, "dangling", "true"));
	ck_assert(!images_filters_exact(f, "dangling", "false"));
	ck_assert(images_filters_match_kv(f, "label", labels));
	ck_assert(images_filters_match_kv(f, "other", labels));
	ck_assert(!images_filters_match_kv(f, "label", NULL));
	images_filters_free(f);

	ck_assert_int_eq(images_filters_parse("{\"label\":[\"a=x\"]}", &f,
	    &err), 0);
	ck_assert(!images_filters_match_kv(f, "label", labels));
	images_filters_free(f);

	/* A key no images route takes: refused by the parser itself. */
	ck_assert_int_eq(images_filters_parse("{\"nope\":[\"x\"]}", &f, &err),
	    -EINVAL);
	ck_assert_str_eq(err.msg, "Invalid filter 'nope'");
	/* One another route takes: refused by this route's check. */
	ck_assert_int_eq(images_filters_parse("{\"until\":[\"1h\"]}", &f,
	    &err), 0);
	ck_assert_int_eq(images_filters_validate(f, accepted, &err), -EINVAL);
	ck_assert_str_eq(err.msg, "Invalid filter 'until'");
	images_filters_free(f);

	ck_assert_int_eq(images_filters_parse("{\"dangling\":[\"maybe\","
	    "\"no\"]}", &f, &err), 0);
	images_filters_invalid(f, "dangling", &err);
	ck_assert_str_eq(err.msg, "Invalid filter 'dangling=maybe,no'");
	images_filters_free(f);

	/* Malformed filters: 400 (dockerd 20.10 said 500). */
	ck_assert_int_eq(images_filters_parse("{nope", &f, &err), -EINVAL);
	ck_assert_int_eq(images_filters_parse("", &f, &err), 0);
	ck_assert(!images_filters_has(f, "label"));
	images_filters_free(f);
	json_object_put(labels);
}
END_TEST

/* --- paths, sniffing, times -------------------------------------------------- */

static void
clean(const char *in, int clamp, int rc, const char *want)
{
	char	out[256];

	ck_assert_msg(images_path_clean(in, out, sizeof(out), clamp) == rc,
	    "%s", in);
	if (rc == 0)
		ck_assert_str_eq(out, want);
}

START_TEST(paths_clean)
{
	clean("a/b/c", 0, 0, "a/b/c");
	clean("./a//b/./c/", 0, 0, "a/b/c");
	clean("a/../b", 0, 0, "b");
	clean(".", 0, 0, "");
	clean("./", 0, 0, "");
	clean("../x", 0, -EINVAL, NULL);
	clean("a/../../x", 0, -EINVAL, NULL);
	clean("/etc/passwd", 0, -EINVAL, NULL);
	clean("/srv/../../x", 1, 0, "x");
	clean("/a/b/../c", 1, 0, "a/c");

	ck_assert(images_symlink_inside("a/b", "c"));
	ck_assert(images_symlink_inside("a/b", "../c"));
	ck_assert(!images_symlink_inside("a/b", "../../c"));
	ck_assert(!images_symlink_inside("evil", "../../../tmp"));
	/* Absolute targets resolve in the root, as in a chroot. */
	ck_assert(images_symlink_inside("evil", "/etc/passwd"));
	ck_assert(images_symlink_inside("a/b/c", "../../x/../y"));
}
END_TEST

START_TEST(paths_sniff)
{
	unsigned char	buf[1024];

	memset(buf, 0, sizeof(buf));
	ck_assert_int_eq(images_sniff(buf, 1024), IMAGES_SNIFF_TAR);
	ck_assert_int_eq(images_sniff(buf, 100), IMAGES_SNIFF_OTHER);
	memcpy(buf, "\x1f\x8b", 2);
	ck_assert_int_eq(images_sniff(buf, 10), IMAGES_SNIFF_TAR);
	memcpy(buf, "\x28\xb5\x2f\xfd", 4);
	ck_assert_int_eq(images_sniff(buf, 10), IMAGES_SNIFF_TAR);
	memcpy(buf, "\xfd" "7zXZ\0", 6);
	ck_assert_int_eq(images_sniff(buf, 10), IMAGES_SNIFF_TAR);
	memset(buf, 'x', sizeof(buf));
	memcpy(buf + 257, "ustar", 5);
	ck_assert_int_eq(images_sniff(buf, 512), IMAGES_SNIFF_TAR);
	ck_assert_int_eq(images_sniff(" \n{\"a\":1}", 9), IMAGES_SNIFF_JSON);
	ck_assert_int_eq(images_sniff("1.0", 3), IMAGES_SNIFF_OTHER);
}
END_TEST

START_TEST(times_and_sizes)
{
	char	buf[64];
	int64_t	sec, ns64;
	long	ns;

	berth_time_format(0, 0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1970-01-01T00:00:00Z");
	berth_time_format(1704164645, 123456000, buf, sizeof(buf));
	ck_assert_str_eq(buf, "2024-01-02T03:04:05.123456Z");
	ck_assert_int_eq(berth_time_parse("2024-01-02T03:04:05.123456789Z",
	    &sec, &ns), 0);
	ck_assert_int_eq(sec, 1704164645);
	ck_assert_int_eq(ns, 123456789);
	ck_assert_int_eq(berth_time_parse("2024-01-02T05:04:05+02:00", &sec,
	    &ns), 0);
	ck_assert_int_eq(sec, 1704164645);
	ck_assert_int_eq(berth_time_parse("2024-01-02", &sec, &ns), -EINVAL);
	ck_assert_int_eq(berth_duration_parse("1h30m", &ns64), 0);
	ck_assert_int_eq(ns64, 5400000000000LL);
	ck_assert_int_eq(berth_duration_parse("1.5s", &ns64), 0);
	ck_assert_int_eq(ns64, 1500000000LL);
	ck_assert_int_eq(berth_duration_parse("10", &ns64), -EINVAL);
	ck_assert_int_eq(berth_timestamp_parse("10m", 1000, &sec, &ns), 0);
	ck_assert_int_eq(sec, 400);
	ck_assert_int_eq(berth_timestamp_parse("1704164645.5", 0, &sec, &ns),
	    0);
	ck_assert_int_eq(sec, 1704164645);
	ck_assert_int_eq(ns, 500000000);
	ck_assert_int_eq(berth_timestamp_parse("2024-01-02T03:04:05Z", 0, &sec,
	    &ns), 0);
	ck_assert_int_eq(sec, 1704164645);
	ck_assert_int_eq(berth_timestamp_parse("yesterday", 0, &sec, &ns),
	    -EINVAL);
	images_human_size(10240, buf, sizeof(buf));
	ck_assert_str_eq(buf, "10.24kB");
	images_human_size(131, buf, sizeof(buf));
	ck_assert_str_eq(buf, "131B");
	images_human_size(1984293, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1.984MB");
}
END_TEST

/* --- archives made here ------------------------------------------------------ */

struct ent {
	const char	*name;
	int		 type;		/* AE_IF* */
	const char	*data;		/* file content or link target */
	int		 hardlink;
	unsigned	 rdev;		/* for devices: makedev(8, 0) */
};

/* A tar of ents in memory; the caller frees *out. */
static size_t
mk_tar(const struct ent *ents, size_t n, char **out)
{
	struct archive		*a = archive_write_new();
	struct archive_entry	*e;
	size_t			 cap = 1 << 20, used = 0, i;

	*out = malloc(cap);
	ck_assert_ptr_nonnull(*out);
	archive_write_set_format_pax_restricted(a);
	archive_write_set_bytes_in_last_block(a, 1);
	ck_assert_int_eq(archive_write_open_memory(a, *out, cap, &used),
	    ARCHIVE_OK);
	for (i = 0; i < n; i++) {
		e = archive_entry_new();
		archive_entry_set_pathname(e, ents[i].name);
		if (ents[i].hardlink) {
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_hardlink(e, ents[i].data);
		} else
			archive_entry_set_filetype(e, ents[i].type);
		archive_entry_set_perm(e, ents[i].type == AE_IFDIR ? 0755 :
		    0644);
		archive_entry_set_mtime(e, 1000000, 0);
		if (ents[i].type == AE_IFLNK)
			archive_entry_set_symlink(e, ents[i].data);
		if (ents[i].type == AE_IFCHR || ents[i].type == AE_IFBLK)
			archive_entry_set_rdev(e, ents[i].rdev);
		if (ents[i].type == AE_IFREG && !ents[i].hardlink &&
		    ents[i].data != NULL)
			archive_entry_set_size(e, (la_int64_t)strlen(
			    ents[i].data));
		ck_assert_int_eq(archive_write_header(a, e), ARCHIVE_OK);
		if (ents[i].type == AE_IFREG && !ents[i].hardlink &&
		    ents[i].data != NULL)
			archive_write_data(a, ents[i].data, strlen(ents[i].data));
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
	return used;
}

struct membuf {
	const char	*p;
	size_t		 left;
};

static ssize_t
mem_read(void *arg, const void **buf)
{
	struct membuf	*m = arg;
	size_t		 n = m->left > 4096 ? 4096 : m->left;

	*buf = m->p;
	m->p += n;
	m->left -= n;
	return (ssize_t)n;
}

static char	scratch[256];

static void
scratch_setup(void)
{
	snprintf(scratch, sizeof(scratch), "/tmp/check_images.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(scratch));
}

static void
scratch_teardown(void)
{
	berth_rmtree_at(AT_FDCWD, scratch);
}

/* Unpack ents into scratch/<dir>; the rc, with the message in err. */
static int
unpack(const struct ent *ents, size_t n, const char *dir,
    struct images_unpack *u)
{
	struct membuf	 m;
	char		 path[512], *tar;
	size_t		 len;
	int		 fd, rc;

	len = mk_tar(ents, n, &tar);
	snprintf(path, sizeof(path), "%s/%s", scratch, dir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	ck_assert_int_ge(fd = open(path, O_RDONLY | O_DIRECTORY), 0);
	memset(u, 0, sizeof(*u));
	m.p = tar;
	m.left = len;
	u->dirfd = fd;
	u->blobfd = -1;
	u->read = mem_read;
	u->read_arg = &m;
	rc = images_layer_unpack(u);
	close(fd);
	free(tar);
	return rc;
}

static int
exists(const char *rel)
{
	char		path[512];
	struct stat	st;

	snprintf(path, sizeof(path), "%s/%s", scratch, rel);
	return lstat(path, &st) == 0;
}

START_TEST(layer_unpacks)
{
	static const struct ent ents[] = {
		{ "etc/", AE_IFDIR, NULL, 0, 0 },
		{ "etc/hello", AE_IFREG, "hello\n", 0, 0 },
		{ "etc/link", AE_IFLNK, "hello", 0, 0 },
		{ "etc/abs", AE_IFLNK, "/etc/hello", 0, 0 },
		{ "etc/hard", AE_IFREG, "etc/hello", 1, 0 },
		{ "deep/er/file", AE_IFREG, "x", 0, 0 },
		{ "gone/.wh.old", AE_IFREG, "", 0, 0 },
		{ "opq/.wh..wh..opq", AE_IFREG, "", 0, 0 },
		{ ".wh..wh.plnk", AE_IFREG, "", 0, 0 },
		{ "dev/sda", AE_IFBLK, NULL, 0, 0x800 },
		{ "fifo", AE_IFIFO, NULL, 0, 0 },
		{ "etc/hello", AE_IFREG, "replaced\n", 0, 0 },
	};
	struct images_unpack	 u;
	struct stat		 st, st2;
	char			 path[512], buf[64];
	ssize_t			 n;
	int			 fd;

	ck_assert_msg(unpack(ents, sizeof(ents) / sizeof(ents[0]), "l", &u) ==
	    0, "%s", u.err.msg);
	snprintf(path, sizeof(path), "%s/l/etc/hello", scratch);
	ck_assert_int_ge(fd = open(path, O_RDONLY), 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	ck_assert_str_eq(buf, "replaced\n");
	ck_assert(exists("l/etc/link") && exists("l/etc/abs"));
	ck_assert(exists("l/deep/er/file"));
	/* The hardlink kept the first file, before it was replaced. */
	snprintf(path, sizeof(path), "%s/l/etc/hard", scratch);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_size, 6);
	/* Whiteouts as overlayfs wants them. */
	snprintf(path, sizeof(path), "%s/l/gone/old", scratch);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0));
	ck_assert(!exists("l/gone/.wh.old"));
	snprintf(path, sizeof(path), "%s/l/opq", scratch);
	ck_assert_int_eq(getxattr(path, "trusted.overlay.opaque", buf,
	    sizeof(buf)), 1);
	ck_assert(!exists("l/.wh..wh.plnk"));
	snprintf(path, sizeof(path), "%s/l/dev/sda", scratch);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISBLK(st.st_mode));
	snprintf(path, sizeof(path), "%s/l/fifo", scratch);
	ck_assert_int_eq(lstat(path, &st2), 0);
	ck_assert(S_ISFIFO(st2.st_mode));
	/* Docker's DiffSize: regular files (links once) and link targets. */
	ck_assert_uint_eq(u.size, 6 + 5 + 10 + 1 + 9);
	ck_assert_uint_eq(strlen(u.diff_hex), 64);
	ck_assert_str_eq(u.diff_hex, u.raw_hex);
}
END_TEST

static void
refused(const struct ent *ents, size_t n, const char *dir, const char *msg)
{
	struct images_unpack	u;

	ck_assert_int_lt(unpack(ents, n, dir, &u), 0);
	ck_assert_int_eq(u.err.code, -EINVAL);
	if (msg != NULL)
		ck_assert_msg(strstr(u.err.msg, msg) != NULL, "%s", u.err.msg);
}

START_TEST(layer_refuses_escapes)
{
	static const struct ent dotdot[] = {
		{ "../outside", AE_IFREG, "x", 0, 0 } };
	static const struct ent deep[] = {
		{ "a/../../outside", AE_IFREG, "x", 0, 0 } };
	static const struct ent absolute[] = {
		{ "/outside", AE_IFREG, "x", 0, 0 } };
	static const struct ent symrel[] = {
		{ "evil", AE_IFLNK, "../", 0, 0 },
		{ "evil/outside", AE_IFREG, "x", 0, 0 } };
	static const struct ent symabs[] = {
		{ "evil", AE_IFLNK, "/", 0, 0 },
		{ "evil/../outside", AE_IFREG, "x", 0, 0 } };
	static const struct ent symdir[] = {
		{ "evil", AE_IFLNK, "/nowhere", 0, 0 },
		{ "evil/outside", AE_IFREG, "x", 0, 0 } };
	static const struct ent hard[] = {
		{ "pw", AE_IFREG, "/etc/passwd", 1, 0 } };
	static const struct ent hardrel[] = {
		{ "pw", AE_IFREG, "../x/victim", 1, 0 } };
	static const struct ent hardsym[] = {
		{ "up", AE_IFLNK, "/", 0, 0 },
		{ "pw", AE_IFREG, "up/../x/victim", 1, 0 } };
	struct images_unpack	u;
	char			path[512];
	int			fd;

	/* A victim next to the layer dirs: nothing may reach it. */
	snprintf(path, sizeof(path), "%s/x", scratch);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/x/victim", scratch);
	ck_assert_int_ge(fd = open(path, O_CREAT | O_WRONLY, 0644), 0);
	close(fd);

	refused(dotdot, 1, "l1", "is outside of the layer");
	refused(deep, 1, "l2", "is outside of the layer");
	refused(absolute, 1, "l3", "is outside of the layer");
	refused(symrel, 2, "l4", "invalid symlink");
	refused(symdir, 2, "l6", "cannot unpack");
	refused(hard, 1, "l7", "invalid hardlink");
	refused(hardrel, 1, "l8", "invalid hardlink");
	refused(hardsym, 2, "l9", "invalid hardlink");
	/* "/" is the layer's root: this one lands inside, harmlessly. */
	ck_assert_int_eq(unpack(symabs, 2, "l5", &u), 0);
	ck_assert(exists("l5/outside"));
	ck_assert(!exists("outside"));
	snprintf(path, sizeof(path), "%s/x/victim", scratch);
	{
		struct stat	st;

		ck_assert_int_eq(stat(path, &st), 0);
		ck_assert_int_eq(st.st_nlink, 1);
		ck_assert_int_eq(st.st_size, 0);
	}
}
END_TEST

START_TEST(layer_refuses_garbage)
{
	struct images_unpack	 u;
	struct membuf		 m;
	char			 path[512], junk[4096], *tar;
	size_t			 len;
	int			 fd;
	static const struct ent big[] = {
		{ "f", AE_IFREG, NULL, 0, 0 } };
	static char		 data[100000];
	struct ent		 ents[1];

	snprintf(path, sizeof(path), "%s/g", scratch);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	ck_assert_int_ge(fd = open(path, O_RDONLY | O_DIRECTORY), 0);
	memset(junk, 'j', sizeof(junk));
	memset(&u, 0, sizeof(u));
	m.p = junk;
	m.left = sizeof(junk);
	u.dirfd = fd;
	u.blobfd = -1;
	u.read = mem_read;
	u.read_arg = &m;
	ck_assert_int_eq(images_layer_unpack(&u), -EINVAL);
	ck_assert_ptr_nonnull(strstr(u.err.msg, "Unrecognized archive"));

	/* Truncated in the middle of a member. */
	(void)big;
	memset(data, 'd', sizeof(data) - 1);
	ents[0].name = "f";
	ents[0].type = AE_IFREG;
	ents[0].data = data;
	ents[0].hardlink = 0;
	ents[0].rdev = 0;
	len = mk_tar(ents, 1, &tar);
	m.p = tar;
	m.left = len / 2;
	ck_assert_int_eq(images_layer_unpack(&u), -EINVAL);
	ck_assert_ptr_nonnull(strstr(u.err.msg, "Truncated"));
	free(tar);
	close(fd);
}
END_TEST

/* --- a container's changes: docker diff and the commit's tar ------------------- */

START_TEST(rw_whiteouts_and_stats)
{
	struct stat	a, b;
	char		out[64];

	memset(&a, 0, sizeof(a));
	a.st_mode = S_IFCHR | 0600;
	a.st_rdev = makedev(0, 0);
	ck_assert_int_eq(images_rw_whiteout_name("vi", &a, out, sizeof(out)),
	    1);
	ck_assert_str_eq(out, ".wh.vi");
	a.st_rdev = makedev(1, 3);	/* /dev/null is no whiteout */
	ck_assert_int_eq(images_rw_whiteout_name("null", &a, out,
	    sizeof(out)), 0);
	a.st_mode = S_IFREG | 0644;
	a.st_rdev = 0;
	ck_assert_int_eq(images_rw_whiteout_name("f", &a, out, sizeof(out)),
	    0);
	ck_assert_int_eq(images_rw_whiteout_name("f", &(struct stat){
	    .st_mode = S_IFCHR }, out, 4), -ENAMETOOLONG);

	/* Docker's statDifferent. */
	memset(&a, 0, sizeof(a));
	a.st_mode = S_IFREG | 0644;
	a.st_size = 5;
	a.st_mtim.tv_sec = 100;
	a.st_mtim.tv_nsec = 5;
	b = a;
	ck_assert(!images_rw_stat_differ(&a, &b));
	b.st_mtim.tv_nsec = 0;		/* no fraction on one side: same */
	ck_assert(!images_rw_stat_differ(&a, &b));
	b.st_mtim.tv_nsec = 6;
	ck_assert(images_rw_stat_differ(&a, &b));
	b = a;
	b.st_size = 6;
	ck_assert(images_rw_stat_differ(&a, &b));
	b = a;
	b.st_uid = 1;
	ck_assert(images_rw_stat_differ(&a, &b));
	/* A directory's size and mtime are no change; its mode is. */
	a.st_mode = b.st_mode = S_IFDIR | 0755;
	b = a;
	b.st_size = 4096;
	b.st_mtim.tv_sec = 200;
	ck_assert(!images_rw_stat_differ(&a, &b));
	b.st_mode = S_IFDIR | 0700;
	ck_assert(images_rw_stat_differ(&a, &b));
}
END_TEST

static void
rw_file(const char *rel, const char *content)
{
	char		 path[512], dir[512], *slash;
	struct timespec	 ts[2] = { { 1000, 0 }, { 1000, 0 } };
	int		 fd;

	snprintf(path, sizeof(path), "%s/%s", scratch, rel);
	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		ck_assert_int_eq(berth_mkdirs(dir, 0755), 0);
	}
	ck_assert_int_ge(fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644),
	    0);
	ck_assert_int_eq(write(fd, content, strlen(content)),
	    (ssize_t)strlen(content));
	/* One mtime for all: only sizes, modes and kinds differ. */
	ck_assert_int_eq(futimens(fd, ts), 0);
	close(fd);
}

static void
rw_dir(const char *rel, int opaque)
{
	char	path[512];

	snprintf(path, sizeof(path), "%s/%s", scratch, rel);
	ck_assert_int_eq(berth_mkdirs(path, 0755), 0);
	if (opaque)
		ck_assert_int_eq(setxattr(path, "trusted.overlay.opaque", "y",
		    1, 0), 0);
}

static void
rw_whiteout(const char *rel)
{
	char	path[512];

	snprintf(path, sizeof(path), "%s/%s", scratch, rel);
	ck_assert_int_eq(mknod(path, S_IFCHR | 0600, makedev(0, 0)), 0);
}

/*
 * Two image layers and an upper dir: every kind of change, whiteouts
 * and opaque dirs both in the image and in the upper dir.
 */
static void
rw_tree(void)
{
	/* the image's bottom layer */
	rw_file("l0/a/keep", "k");
	rw_file("l0/a/old", "old");
	rw_file("l0/b/x", "x");
	rw_file("l0/c/c1", "1");
	rw_file("l0/c/c2", "2");
	rw_file("l0/d/d0", "0");
	rw_file("l0/f", "f");
	/* its top layer: b/x deleted, d replaced by an opaque dir */
	rw_dir("l1/b", 0);
	rw_whiteout("l1/b/x");
	rw_dir("l1/d", 1);
	rw_file("l1/d/d1", "1");
	/* the container's upper dir */
	rw_dir("up/a", 0);
	rw_file("up/a/added", "new");
	rw_whiteout("up/a/keep");
	rw_file("up/a/old", "changed");
	rw_file("up/b/x", "x again");
	rw_dir("up/c", 1);
	rw_file("up/c/c2", "two");
	rw_file("up/d/d0", "0");
	rw_file("up/e/f", "f");
	rw_whiteout("up/f");
}

static int
rw_open(const char *rel)
{
	char	path[512];
	int	fd;

	snprintf(path, sizeof(path), "%s/%s", scratch, rel);
	ck_assert_int_ge(fd = open(path, O_RDONLY | O_DIRECTORY), 0);
	return fd;
}

START_TEST(rw_changes_as_docker)
{
	static const char *const want =
	    "C /a\nA /a/added\nC /a/old\nD /a/keep\n"
	    "C /b\nA /b/x\n"
	    "C /c\nC /c/c2\nD /c/c1\n"
	    "C /d\nA /d/d0\n"
	    "A /e\nA /e/f\n"
	    "D /f\n";
	struct berth_err	 err = BERTH_ERR_INIT;
	struct images_changes	 ch;
	struct images_rw_tree	 t;
	json_object		*j;
	char			 got[1024];
	size_t			 i, len = 0;
	int			 lowers[2];

	rw_tree();
	lowers[0] = rw_open("l1");	/* top first */
	lowers[1] = rw_open("l0");
	t.upper = rw_open("up");
	t.lowers = lowers;
	t.nlowers = 2;
	ck_assert_msg(images_rw_changes(&t, &ch, &err) == 0, "%s", err.msg);
	got[0] = '\0';
	for (i = 0; i < ch.n; i++)
		len += (size_t)snprintf(got + len, sizeof(got) - len, "%c %s\n",
		    "CAD"[ch.v[i].kind], ch.v[i].path);
	ck_assert_str_eq(got, want);
	j = images_changes_json(&ch);
	ck_assert_str_eq(json_object_to_json_string_ext(
	    json_object_array_get_idx(j, 0), JSON_C_TO_STRING_PLAIN),
	    "{\"Path\":\"\\/a\",\"Kind\":0}");
	json_object_put(j);
	images_changes_free(&ch);

	/* No upper dir (never started): nothing, and JSON null. */
	t.upper = -1;
	ck_assert_int_eq(images_rw_changes(&t, &ch, &err), 0);
	ck_assert_uint_eq(ch.n, 0);
	ck_assert_ptr_null(images_changes_json(&ch));
	close(lowers[0]);
	close(lowers[1]);
}
END_TEST

START_TEST(rw_tar_aufs_whiteouts)
{
	static const char *const want =
	    "a/ a/added a/.wh.keep a/old b/ b/x c/ c/.wh..wh..opq c/c2 "
	    "d/ d/d0 e/ e/f .wh.f ";
	struct berth_err	 err = BERTH_ERR_INIT;
	struct images_rw_tree	 t;
	struct archive		*a;
	struct archive_entry	*e;
	struct stat		 st;
	char			 path[512], got[1024], hex[IMAGES_HEX + 1];
	char			 buf[2048], *p;
	size_t			 len = 0;
	int			 fd;

	rw_tree();
	memset(&t, 0, sizeof(t));
	t.upper = rw_open("up");
	snprintf(path, sizeof(path), "%s/up.tar", scratch);
	ck_assert_int_ge(fd = open(path, O_RDWR | O_CREAT, 0644), 0);
	ck_assert_msg(images_rw_tar(&t, fd, &err) == 0, "%s", err.msg);
	close(fd);
	close(t.upper);
	ck_assert_ptr_nonnull(a = archive_read_new());
	archive_read_support_format_tar(a);
	ck_assert_int_eq(archive_read_open_filename(a, path, 10240),
	    ARCHIVE_OK);
	got[0] = '\0';
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		len += (size_t)snprintf(got + len, sizeof(got) - len, "%s%s ",
		    archive_entry_pathname(e),
		    archive_entry_filetype(e) == AE_IFDIR ? "/" : "");
		if (strstr(archive_entry_pathname(e), ".wh.") != NULL) {
			ck_assert_int_eq(archive_entry_filetype(e), AE_IFREG);
			ck_assert_int_eq(archive_entry_size(e), 0);
		}
	}
	archive_read_free(a);
	/* libarchive may end a directory's name with '/': one form. */
	for (p = got; (p = strstr(p, "// ")) != NULL; )
		memmove(p, p + 1, strlen(p));
	ck_assert_str_eq(got, want);

	/* Nothing changed: the empty tar, Docker's empty layer, whose
	 * diff ID the commit recognises. */
	snprintf(path, sizeof(path), "%s/up2", scratch);
	ck_assert_int_eq(berth_mkdirs(path, 0755), 0);
	t.upper = rw_open("up2");
	snprintf(path, sizeof(path), "%s/up2.tar", scratch);
	ck_assert_int_ge(fd = open(path, O_RDWR | O_CREAT, 0644), 0);
	ck_assert_msg(images_rw_tar(&t, fd, &err) == 0, "%s", err.msg);
	close(t.upper);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_int_eq(st.st_size, 1024);
	ck_assert_int_eq(pread(fd, buf, sizeof(buf), 0), 1024);
	images_sha256_hex(buf, 1024, hex);
	ck_assert_str_eq(hex, IMAGES_EMPTY_TAR);
	close(fd);
}
END_TEST

/* --- the API through the mock host -------------------------------------------- */

static void	*state;

static void
api_setup(void)
{
	struct berth_err	err = BERTH_ERR_INIT;

	scratch_setup();
	mock_reset();
	mock_set_roots(scratch, "/tmp");
	ck_assert_msg(berth_module.init(&mock_host, mock_conf(NULL), &state,
	    &err) == 0, "%s", err.msg);
}

static void
api_teardown(void)
{
	berth_module.fini(state);
	mock_reset();
	scratch_teardown();
}

static struct berth_req *
call(enum berth_method m, const char *pattern, const char *name,
    const char *const *query, const void *body, size_t len)
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
	if (body != NULL)
		mock_req_set_body(r, body, len);
	fn(r, st);
	ck_assert_int_eq(mock_req_ended(r), 1);
	return r;
}

static json_object *
out_json(struct berth_req *r)
{
	json_object	*o = json_tokener_parse(mock_req_output(r));

	ck_assert_msg(o != NULL, "not JSON: %s", mock_req_output(r));
	return o;
}

/* Import a small tar as name; the image ID in id. */
static void
import(const char *name, const char *change, char *id)
{
	static const struct ent ents[] = {
		{ "bin/", AE_IFDIR, NULL, 0, 0 },
		{ "bin/sh", AE_IFREG, "#!/bin/true\n", 0, 0 },
		{ "etc/passwd", AE_IFREG, "root:x:0:0::/:/bin/sh\n", 0, 0 },
	};
	const char		*q[] = { "fromSrc", "-", "repo", name,
				    "changes", change, NULL };
	struct berth_req	*r;
	const char		*p;
	char			*tar;
	size_t			 len;

	if (change == NULL)
		q[4] = NULL;
	if (name == NULL)
		q[2] = NULL;
	len = mk_tar(ents, 3, &tar);
	r = call(BERTH_POST, "/images/create", NULL, q, tar, len);
	free(tar);
	ck_assert_msg(mock_req_status(r) == 200, "%d %s", mock_req_status(r),
	    mock_req_output(r));
	ck_assert_ptr_nonnull(p = strstr(mock_req_output(r), "sha256:"));
	snprintf(id, IMAGES_ID_LEN + 1, "%.71s", p);
	mock_req_free(r);
}

START_TEST(api_import_list_inspect)
{
	const char		*q[] = { "filters",
				    "{\"reference\":{\"b*\":true}}", NULL };
	const char		*ql[] = { "filters",
				    "{\"label\":{\"k=v\":true}}", NULL };
	struct berth_req	*r;
	json_object		*o, *img;
	char			 id[IMAGES_ID_LEN + 1], id2[IMAGES_ID_LEN + 1];
	json_object		*info;

	import("busybox", NULL, id);
	ck_assert_str_eq(mock_last_event()->action, "import");
	ck_assert_str_eq(mock_last_event()->actor_id, id);
	import("other:2", "LABEL k=v", id2);
	ck_assert_str_ne(id, id2);

	r = call(BERTH_GET, "/images/json", NULL, q, NULL, 0);
	o = out_json(r);
	ck_assert_uint_eq(json_object_array_length(o), 1);
	img = json_object_array_get_idx(o, 0);
	ck_assert_str_eq(berth_json_str(img, "Id"), id);
	ck_assert_str_eq(js(img, "RepoTags"), "[\"busybox:latest\"]");
	ck_assert_str_eq(js(img, "Containers"), "-1");
	json_object_put(o);
	mock_req_free(r);

	r = call(BERTH_GET, "/images/json", NULL, ql, NULL, 0);
	o = out_json(r);
	ck_assert_uint_eq(json_object_array_length(o), 1);
	ck_assert_str_eq(js(json_object_array_get_idx(o, 0), "RepoTags"),
	    "[\"other:2\"]");
	json_object_put(o);
	mock_req_free(r);

	r = call(BERTH_GET, "/images/{name*}/json", "busybox", NULL, NULL, 0);
	o = out_json(r);
	ck_assert_str_eq(berth_json_str(o, "Id"), id);
	ck_assert_str_eq(berth_json_str(o, "Os"), "linux");
	ck_assert_str_eq(berth_json_str(o, "Comment"), "Imported from -");
	ck_assert_str_eq(berth_json_str(berth_json_get(o, "GraphDriver"),
	    "Name"), "overlay2");
	json_object_put(o);
	mock_req_free(r);

	r = call(BERTH_GET, "/images/{name*}/json", "nope", NULL, NULL, 0);
	ck_assert_int_eq(mock_req_status(r), 404);
	ck_assert_str_eq(mock_req_output(r), "{\"message\":\"no such image: "
	    "nope: No such image: nope:latest\"}\n");
	mock_req_free(r);

	/* An ID prefix finds it too. */
	r = call(BERTH_GET, "/images/{name*}/history", id + 7 + 0, NULL, NULL,
	    0);
	o = out_json(r);
	ck_assert_uint_eq(json_object_array_length(o), 1);
	ck_assert_str_eq(berth_json_str(json_object_array_get_idx(o, 0), "Id"),
	    id);
	json_object_put(o);
	mock_req_free(r);

	info = json_object_new_object();
	ck_assert_int_eq(mock_hook_run(BERTH_HOOK_INFO, info), 1);
	ck_assert_str_eq(js(info, "Images"), "2");
	ck_assert_str_eq(berth_json_str(info, "Driver"), "overlay2");
	json_object_put(info);
}
END_TEST

START_TEST(api_tag_delete)
{
	const char		*tq[] = { "repo", "localhost:5000/a/b", "tag", "t",
				    NULL };
	const char		*bad[] = { "repo", "Bad", NULL };
	const char		*force[] = { "force", "1", NULL };
	struct berth_req	*r;
	const struct berth_image_ops *ops;
	void			*st;
	char			 id[IMAGES_ID_LEN + 1];
	struct berth_err	 err = BERTH_ERR_INIT;

	import("busybox", NULL, id);
	r = call(BERTH_POST, "/images/{name*}/tag", "busybox", tq, NULL, 0);
	ck_assert_int_eq(mock_req_status(r), 201);
	mock_req_free(r);
	ck_assert_str_eq(mock_last_event()->action, "tag");
	ck_assert_str_eq(berth_json_str(mock_last_event()->attrs, "name"),
	    "localhost:5000/a/b:t");
	r = call(BERTH_POST, "/images/{name*}/tag", "busybox", bad, NULL, 0);
	ck_assert_int_eq(mock_req_status(r), 400);
	mock_req_free(r);

	/* A container uses it: Docker's 409 for the single reference. */
	ck_assert_ptr_nonnull(ops = mock_host.lookup(&mock_host,
	    BERTH_IMAGE_IFACE, BERTH_IMAGE_DRIVER, &st));
	ck_assert_int_eq(ops->use(st, id, "c0ffee0123456789abcdef", &err), 0);
	r = call(BERTH_DELETE, "/images/{name*}", "localhost:5000/a/b:t", NULL,
	    NULL, 0);
	ck_assert_int_eq(mock_req_status(r), 200);	/* not the last ref */
	ck_assert_str_eq(mock_req_output(r),
	    "[{\"Untagged\":\"localhost:5000/a/b:t\"}]\n");
	mock_req_free(r);
	r = call(BERTH_DELETE, "/images/{name*}", "busybox", NULL, NULL, 0);
	ck_assert_int_eq(mock_req_status(r), 409);
	ck_assert_msg(strstr(mock_req_output(r), "conflict: unable to remove "
	    "repository reference \\\"busybox\\\" (must force) - container "
	    "c0ffee012345 is using its referenced image ") != NULL, "%s",
	    mock_req_output(r));
	mock_req_free(r);
	ops->unuse(st, id, "c0ffee0123456789abcdef");

	r = call(BERTH_DELETE, "/images/{name*}", "nope", NULL, NULL, 0);
	ck_assert_int_eq(mock_req_status(r), 404);
	ck_assert_str_eq(mock_req_output(r),
	    "{\"message\":\"No such image: nope:latest\"}\n");
	mock_req_free(r);

	r = call(BERTH_DELETE, "/images/{name*}", "busybox", force, NULL, 0);
	ck_assert_int_eq(mock_req_status(r), 200);
	ck_assert_ptr_nonnull(strstr(mock_req_output(r), "{\"Deleted\":"));
	mock_req_free(r);
	ck_assert_str_eq(mock_last_event()->action, "delete");
	ck_assert_str_eq(ops->resolve(st, id, id, NULL, &err) == -ENOENT ?
	    "gone" : "there", "gone");
}
END_TEST

START_TEST(api_save_load)
{
	const char		*names[] = { "names", "busybox", NULL };
	const char		*quiet[] = { "quiet", "0", NULL };
	struct berth_req	*r, *l;
	char			 id[IMAGES_ID_LEN + 1], id2[IMAGES_ID_LEN + 1];
	char			*tar;
	size_t			 len;

	import("busybox", "CMD [\"/bin/sh\"]", id);
	r = call(BERTH_GET, "/images/get", NULL, names, NULL, 0);
	ck_assert_int_eq(mock_req_status(r), 200);
	ck_assert_str_eq(mock_req_content_type(r), "application/x-tar");
	len = mock_req_output_len(r);
	ck_assert_ptr_nonnull(tar = malloc(len));
	memcpy(tar, mock_req_output(r), len);
	mock_req_free(r);
	ck_assert_str_eq(mock_last_event()->action, "save");

	r = call(BERTH_DELETE, "/images/{name*}", "busybox", NULL, NULL, 0);
	ck_assert_int_eq(mock_req_status(r), 200);
	mock_req_free(r);

	l = call(BERTH_POST, "/images/load", NULL, quiet, tar, len);
	free(tar);
	ck_assert_int_eq(mock_req_status(l), 200);
	ck_assert_msg(strstr(mock_req_output(l), "{\"stream\":\"Loaded image: "
	    "busybox:latest\\n\"}\r\n") != NULL, "%s", mock_req_output(l));
	ck_assert_ptr_nonnull(strstr(mock_req_output(l), "Loading layer"));
	mock_req_free(l);
	ck_assert_str_eq(mock_last_event()->action, "load");
	ck_assert_str_eq(mock_last_event()->actor_id, id);

	/* Garbage: still a 200, and the error in the stream. */
	l = call(BERTH_POST, "/images/load", NULL, NULL, "garbage", 7);
	ck_assert_int_eq(mock_req_status(l), 200);
	ck_assert_ptr_nonnull(strstr(mock_req_output(l), "\"errorDetail\""));
	mock_req_free(l);
	import(NULL, NULL, id2);
	ck_assert_str_ne(id, id2);
}
END_TEST

START_TEST(api_prune_df)
{
	const char		*all[] = { "filters", "{\"dangling\":[\"false\"]}",
				    NULL };
	struct berth_req	*r;
	json_object		*o;
	char			 id[IMAGES_ID_LEN + 1], id2[IMAGES_ID_LEN + 1];

	import(NULL, "LABEL dangling=yes", id);
	import("kept", NULL, id2);
	r = call(BERTH_GET, "/system/df", NULL, NULL, NULL, 0);
	o = out_json(r);
	ck_assert_uint_eq(json_object_array_length(berth_json_get(o, "Images")),
	    2);
	ck_assert_str_eq(js(o, "Containers"), "[]");
	json_object_put(o);
	mock_req_free(r);

	r = call(BERTH_POST, "/images/prune", NULL, NULL, NULL, 0);
	o = out_json(r);
	ck_assert_msg(strstr(js(o, "ImagesDeleted"), id) != NULL, "%s",
	    mock_req_output(r));
	ck_assert_ptr_null(strstr(js(o, "ImagesDeleted"), id2));
	json_object_put(o);
	mock_req_free(r);
	ck_assert_str_eq(mock_last_event()->action, "prune");
	ck_assert_ptr_nonnull(berth_json_get(mock_last_event()->attrs,
	    "reclaimed"));

	r = call(BERTH_POST, "/images/prune", NULL, all, NULL, 0);
	o = out_json(r);
	ck_assert_ptr_nonnull(strstr(js(o, "ImagesDeleted"), id2));
	json_object_put(o);
	mock_req_free(r);
}
END_TEST

struct cb_result {
	int	rc;
	char	path[512];
	int	calls;
};

static void
path_cb(void *arg, int rc, const char *path, const struct berth_err *err)
{
	struct cb_result	*res = arg;

	res->rc = rc;
	res->calls++;
	snprintf(res->path, sizeof(res->path), "%s", path ? path : "");
}

static void
done_cb(void *arg, int rc, const struct berth_err *err)
{
	struct cb_result	*res = arg;

	res->rc = rc;
	res->calls++;
}

START_TEST(api_rootfs)
{
	const struct berth_image_ops	*ops;
	struct cb_result		 res = { 0 };
	struct berth_err		 err = BERTH_ERR_INIT;
	json_object			*cfg = NULL;
	void				*st;
	char				 id[IMAGES_ID_LEN + 1];
	char				 rid[BERTH_IMAGE_ID_LEN + 1];
	char				 merged[512], upper[512], path[600];
	struct berth_req		*r;

	import("busybox", "ENV X=1", id);
	ck_assert_ptr_nonnull(ops = mock_host.lookup(&mock_host,
	    BERTH_IMAGE_IFACE, BERTH_IMAGE_DRIVER, &st));
	ck_assert_int_eq(ops->resolve(st, "busybox", rid, &cfg, &err), 0);
	ck_assert_str_eq(rid, id);
	ck_assert_str_eq(js(berth_json_get(cfg, "config"), "Env"),
	    "[\"X=1\"]");
	json_object_put(cfg);
	ck_assert_int_eq(ops->resolve(st, "Bad", rid, NULL, &err), -EINVAL);
	ck_assert_int_eq(ops->rootfs_paths(st, "c1", merged, upper,
	    sizeof(merged)), -ENOENT);

	ops->rootfs_mount(st, id, "c1", path_cb, &res);
	ck_assert_int_eq(res.calls, 1);
	if (res.rc == -EPERM) {
		/* Not root: nothing more to see here. */
		return;
	}
	ck_assert_msg(res.rc == 0, "mount: %d", res.rc);
	snprintf(path, sizeof(path), "%s/bin/sh", res.path);
	ck_assert_int_eq(access(path, F_OK), 0);
	ck_assert_int_eq(ops->rootfs_paths(st, "c1", merged, upper,
	    sizeof(merged)), 0);
	ck_assert_str_eq(merged, res.path);
	/* Mounting again is fine, and gives the same path. */
	ops->rootfs_mount(st, id, "c1", path_cb, &res);
	ck_assert_int_eq(res.rc, 0);
	ck_assert_str_eq(merged, res.path);

	/* A running container: deletion cannot be forced. */
	ck_assert_int_eq(ops->use(st, id, "c1", &err), 0);
	{
		const char	*force[] = { "force", "1", NULL };

		r = call(BERTH_DELETE, "/images/{name*}", id + 7, force, NULL,
		    0);
		ck_assert_int_eq(mock_req_status(r), 409);
		ck_assert_ptr_nonnull(strstr(mock_req_output(r),
		    "(cannot be forced) - image is being used by running "
		    "container c1"));
		mock_req_free(r);
	}
	ops->rootfs_unmount(st, "c1", done_cb, &res);
	ck_assert_int_eq(res.rc, 0);
	ops->rootfs_remove(st, "c1", done_cb, &res);
	ck_assert_int_eq(res.rc, 0);
	ck_assert_int_eq(access(merged, F_OK), -1);
	ck_assert_int_eq(ops->rootfs_paths(st, "c1", merged, upper,
	    sizeof(merged)), -ENOENT);
	ops->unuse(st, id, "c1");
	ops->rootfs_mount(st, id, "../x", path_cb, &res);
	ck_assert_int_eq(res.rc, -EINVAL);
}
END_TEST

START_TEST(api_force_keeps_layers)
{
	const char			*force[] = { "force", "1", NULL };
	const struct berth_image_ops	*ops;
	struct cb_result		 res = { 0 };
	struct berth_err		 err = BERTH_ERR_INIT;
	struct berth_req		*r;
	void				*st;
	char				 id[IMAGES_ID_LEN + 1], path[600];

	import("busybox", NULL, id);
	ck_assert_ptr_nonnull(ops = mock_host.lookup(&mock_host,
	    BERTH_IMAGE_IFACE, BERTH_IMAGE_DRIVER, &st));
	ck_assert_int_eq(ops->use(st, id, "stopped1", &err), 0);
	/* Without -f: Docker's 409; with it, the image goes... */
	r = call(BERTH_DELETE, "/images/{name*}", id + 7, NULL, NULL, 0);
	ck_assert_int_eq(mock_req_status(r), 409);
	ck_assert_ptr_nonnull(strstr(mock_req_output(r), "(must be forced) - "
	    "image is being used by stopped container stopped1"));
	mock_req_free(r);
	r = call(BERTH_DELETE, "/images/{name*}", id + 7, force, NULL, 0);
	ck_assert_int_eq(mock_req_status(r), 200);
	/* The image is deleted; its layer, still in use, is not. */
	ck_assert_ptr_nonnull(strstr(mock_req_output(r), "Deleted"));
	ck_assert_ptr_null(strstr(strstr(mock_req_output(r), "Deleted") + 1,
	    "Deleted"));
	mock_req_free(r);
	ck_assert_int_eq(ops->resolve(st, id, id, NULL, &err), -ENOENT);
	/* ...but the container still starts from its layers. */
	ops->rootfs_mount(st, id, "stopped1", path_cb, &res);
	if (res.rc == -EPERM)
		return;
	ck_assert_int_eq(res.rc, 0);
	snprintf(path, sizeof(path), "%s/bin/sh", res.path);
	ck_assert_int_eq(access(path, F_OK), 0);
	ops->rootfs_remove(st, "stopped1", done_cb, &res);
	ck_assert_int_eq(res.rc, 0);
	ops->unuse(st, id, "stopped1");
	/* The last user gone, so are the layers. */
	snprintf(path, sizeof(path), "%s/images/layers", scratch);
	ck_assert_int_eq(rmdir(path), 0);
	ck_assert_int_eq(mkdir(path, 0700), 0);
}
END_TEST

START_TEST(api_restart_repairs)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	struct berth_req	*r;
	json_object		*o;
	char			 id[IMAGES_ID_LEN + 1], path[600];
	int			 fd;

	import("busybox", NULL, id);
	import("two", "LABEL x=y", path);
	berth_module.fini(state);
	mock_reset();
	/* A half-made tmp dir, a config gone, a stray blob. */
	snprintf(path, sizeof(path), "%s/images/tmp/import-99", scratch);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/images/blobs/sha256/%s", scratch,
	    id + 7);
	ck_assert_int_eq(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/images/blobs/sha256/stray", scratch);
	ck_assert_int_ge(fd = open(path, O_CREAT | O_WRONLY, 0644), 0);
	close(fd);
	ck_assert_msg(berth_module.init(&mock_host, mock_conf(NULL), &state,
	    &err) == 0, "%s", err.msg);
	r = call(BERTH_GET, "/images/json", NULL, NULL, NULL, 0);
	o = out_json(r);
	ck_assert_uint_eq(json_object_array_length(o), 1);
	ck_assert_str_eq(js(json_object_array_get_idx(o, 0), "RepoTags"),
	    "[\"two:latest\"]");
	json_object_put(o);
	mock_req_free(r);
	ck_assert_int_eq(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/images/tmp/import-99", scratch);
	ck_assert_int_eq(access(path, F_OK), -1);
}
END_TEST

Suite *
suite(void)
{
	Suite	*s = suite_create("images");
	TCase	*tc = tcase_create("pure");
	TCase	*lay = tcase_create("layers");
	TCase	*api = tcase_create("api");

	tcase_add_test(tc, refs_normalise);
	tcase_add_test(tc, refs_refuse);
	tcase_add_test(tc, refs_tags_ids);
	tcase_add_test(tc, changes_apply);
	tcase_add_test(tc, changes_forms);
	tcase_add_test(tc, changes_refuse);
	tcase_add_test(tc, filters_parse);
	tcase_add_test(tc, paths_clean);
	tcase_add_test(tc, paths_sniff);
	tcase_add_test(tc, times_and_sizes);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(lay, scratch_setup, scratch_teardown);
	tcase_add_test(lay, layer_unpacks);
	tcase_add_test(lay, layer_refuses_escapes);
	tcase_add_test(lay, layer_refuses_garbage);
	tcase_add_test(lay, rw_whiteouts_and_stats);
	tcase_add_test(lay, rw_changes_as_docker);
	tcase_add_test(lay, rw_tar_aufs_whiteouts);
	suite_add_tcase(s, lay);
	tcase_add_checked_fixture(api, api_setup, api_teardown);
	tcase_set_timeout(api, 30);
	tcase_add_test(api, api_import_list_inspect);
	tcase_add_test(api, api_tag_delete);
	tcase_add_test(api, api_save_load);
	tcase_add_test(api, api_prune_df);
	tcase_add_test(api, api_rootfs);
	tcase_add_test(api, api_force_keeps_layers);
	tcase_add_test(api, api_restart_repairs);
	suite_add_tcase(s, api);
	return s;
}
