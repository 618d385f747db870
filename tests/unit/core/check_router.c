/*
 * check_router.c - the /vX.Y prefix, route tables and matching.
 *
 * Owners are opaque to the router, so the tests use the addresses of
 * two local objects as owners A and B.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "router.h"
#include "unit.h"

static char	owner_a, owner_b;
#define A	((struct core_mod *)&owner_a)
#define B	((struct core_mod *)&owner_b)

static int	state_a, state_b;

static void
h1(struct berth_req *r, void *state)
{
}

static void
h2(struct berth_req *r, void *state)
{
}

static void
teardown(void)
{
	router_clear();
}

static void
add_ok(struct core_mod *owner, const struct berth_route *routes, size_t n,
    void *state)
{
	struct berth_err	err = BERTH_ERR_INIT;
	int			rc;

	rc = router_add(owner, routes, n, state, &err);
	ck_assert_msg(rc == 0, "router_add: %d %s", rc, err.msg);
}

/* Match path for method; return the matched route's pattern or NULL. */
static const char *
match(enum berth_method method, const char *path, struct router_match *m,
    int want)
{
	int	rc = router_match(method, path, m);

	ck_assert_msg(rc == want, "%s: rc %d, want %d", path, rc, want);
	return rc == 0 ? m->route->pattern : NULL;
}

static const char *
param(const struct router_match *m, const char *name)
{
	size_t	i;

	for (i = 0; i < m->nparams; i++)
		if (strcmp(m->params[i].name, name) == 0)
			return m->params[i].value;
	return NULL;
}

/* --- version prefix -------------------------------------------------- */

START_TEST(version_prefix)
{
	const char	*rest = NULL;
	int		 v = 0;

	ck_assert_int_eq(router_version("/v1.41/x", &v, &rest), 1);
	ck_assert_int_eq(v, 141);
	ck_assert_str_eq(rest, "/x");

	ck_assert_int_eq(router_version("/v1.24/containers/json", &v, &rest),
	    1);
	ck_assert_int_eq(v, 124);
	ck_assert_str_eq(rest, "/containers/json");

	/* A bare prefix routes to "/". */
	ck_assert_int_eq(router_version("/v1.41", &v, &rest), 1);
	ck_assert_int_eq(v, 141);
	ck_assert_str_eq(rest, "/");
}
END_TEST

START_TEST(version_prefix_absent)
{
	const char	*rest = "untouched";
	int		 v = -7;

	/* "/version" starts with "/v" but is an endpoint, not a prefix. */
	ck_assert_int_eq(router_version("/version", &v, &rest), 0);
	ck_assert_int_eq(router_version("/volumes/v1.41", &v, &rest), 0);
	ck_assert_int_eq(router_version("/containers/json", &v, &rest), 0);
	ck_assert_int_eq(router_version("/", &v, &rest), 0);
	ck_assert_int_eq(router_version("", &v, &rest), 0);
	ck_assert_int_eq(router_version("/v", &v, &rest), 0);
	ck_assert_int_eq(v, -7);
	ck_assert_str_eq(rest, "untouched");
}
END_TEST

START_TEST(version_prefix_malformed)
{
	const char	*rest = "untouched";
	int		 v = -7;

	ck_assert_int_eq(router_version("/v1.4x/y", &v, &rest), -1);
	ck_assert_int_eq(router_version("/v1/x", &v, &rest), -1);
	ck_assert_int_eq(router_version("/v1./x", &v, &rest), -1);
	ck_assert_int_eq(router_version("/v1.41.2/x", &v, &rest), -1);
	ck_assert_int_eq(router_version("/v100.1/x", &v, &rest), -1);
	ck_assert_int_eq(router_version("/v1.100/x", &v, &rest), -1);
	ck_assert_int_eq(router_version("/v99999999999999999999.1/x", &v,
	    &rest), -1);
	ck_assert_int_eq(v, -7);
	ck_assert_str_eq(rest, "untouched");
}
END_TEST

START_TEST(version_num)
{
	ck_assert_int_eq(router_version_num("1.25"), 125);
	ck_assert_int_eq(router_version_num("1.41"), 141);
	ck_assert_int_eq(router_version_num("1.0"), 100);
	ck_assert_int_eq(router_version_num("0.9"), 9);
	ck_assert_int_eq(router_version_num("99.99"), 9999);
	ck_assert_int_eq(router_version_num(NULL), -1);
	ck_assert_int_eq(router_version_num(""), -1);
	ck_assert_int_eq(router_version_num("1"), -1);
	ck_assert_int_eq(router_version_num("1."), -1);
	ck_assert_int_eq(router_version_num(".1"), -1);
	ck_assert_int_eq(router_version_num("v1.41"), -1);
	ck_assert_int_eq(router_version_num("1.41 "), -1);
	ck_assert_int_eq(router_version_num("1.-1"), -1);
	ck_assert_int_eq(router_version_num("-1.1"), -1);
	ck_assert_int_eq(router_version_num("1.2.3"), -1);
	ck_assert_int_eq(router_version_num("100.0"), -1);
	ck_assert_int_eq(router_version_num("1.100"), -1);
}
END_TEST

/* --- adding and removing --------------------------------------------- */

START_TEST(add_duplicate)
{
	static const struct berth_route	first[] = {
		{ .method = BERTH_GET, .pattern = "/a", .handler = h1 },
	};
	static const struct berth_route	same_path_other_method[] = {
		{ .method = BERTH_POST, .pattern = "/a", .handler = h1 },
	};
	static const struct berth_route	batch[] = {
		{ .method = BERTH_GET, .pattern = "/b", .handler = h2 },
		{ .method = BERTH_GET, .pattern = "/c", .handler = h2 },
		{ .method = BERTH_GET, .pattern = "/a", .handler = h2 },
	};
	struct berth_err	err = BERTH_ERR_INIT;
	struct router_match	m;

	add_ok(A, first, 1, &state_a);
	add_ok(A, same_path_other_method, 1, &state_a);

	/* The third collides: all or nothing, /b and /c stay unserved. */
	ck_assert_int_eq(router_add(B, batch, 3, &state_b, &err), -EEXIST);
	ck_assert_int_eq(err.code, -EEXIST);
	ck_assert_ptr_nonnull(strstr(err.msg, "/a"));
	match(BERTH_GET, "/b", &m, -ENOENT);
	match(BERTH_GET, "/c", &m, -ENOENT);
	ck_assert_ptr_eq(match(BERTH_GET, "/a", &m, 0), first[0].pattern);
	ck_assert_ptr_eq(m.owner, A);
	ck_assert_ptr_eq(m.state, &state_a);
	router_match_clear(&m);
}
END_TEST

START_TEST(add_duplicate_in_batch)
{
	static const struct berth_route	batch[] = {
		{ .method = BERTH_GET, .pattern = "/x", .handler = h1 },
		{ .method = BERTH_GET, .pattern = "/y", .handler = h1 },
		{ .method = BERTH_GET, .pattern = "/x", .handler = h2 },
	};
	struct berth_err	err = BERTH_ERR_INIT;
	struct router_match	m;

	ck_assert_int_eq(router_add(A, batch, 3, NULL, &err), -EEXIST);
	match(BERTH_GET, "/x", &m, -ENOENT);
	match(BERTH_GET, "/y", &m, -ENOENT);
}
END_TEST

START_TEST(add_invalid)
{
	static const struct berth_route	bad[][2] = {
		{ { .method = BERTH_GET, .pattern = "/ok", .handler = h1 },
		  { .method = BERTH_GET, .pattern = NULL, .handler = h1 } },
		{ { .method = BERTH_GET, .pattern = "/ok", .handler = h1 },
		  { .method = BERTH_GET, .pattern = "rel", .handler = h1 } },
		{ { .method = BERTH_GET, .pattern = "/ok", .handler = h1 },
		  { .method = BERTH_GET, .pattern = "/n", .handler = NULL } },
		{ { .method = BERTH_GET, .pattern = "/ok", .handler = h1 },
		  { .method = 0, .pattern = "/n", .handler = h1 } },
		{ { .method = BERTH_GET, .pattern = "/ok", .handler = h1 },
		  { .method = BERTH_GET, .pattern = "/n", .handler = h1,
		    .min_version = "1.x" } },
	};
	struct berth_err	err = BERTH_ERR_INIT;
	struct router_match	m;
	size_t			i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		berth_err_clear(&err);
		ck_assert_int_eq(router_add(A, bad[i], 2, NULL, &err),
		    -EINVAL);
		ck_assert_int_eq(err.code, -EINVAL);
		match(BERTH_GET, "/ok", &m, -ENOENT);
	}
	/* err may be NULL: the code still comes back. */
	ck_assert_int_eq(router_add(A, bad[0], 2, NULL, NULL), -EINVAL);
	ck_assert_int_eq(router_add(A, bad[0], 0, NULL, NULL), 0);
}
END_TEST

START_TEST(remove_owner)
{
	static const struct berth_route	ra[] = {
		{ .method = BERTH_GET, .pattern = "/a/{x}", .handler = h1 },
		{ .method = BERTH_POST, .pattern = "/shared", .handler = h1 },
	};
	static const struct berth_route	rb[] = {
		{ .method = BERTH_GET, .pattern = "/b", .handler = h2 },
		{ .method = BERTH_GET, .pattern = "/shared", .handler = h2 },
	};
	struct router_match	m;

	add_ok(A, ra, 2, &state_a);
	add_ok(B, rb, 2, &state_b);
	router_remove_owner(A);
	match(BERTH_GET, "/a/1", &m, -ENOENT);
	match(BERTH_POST, "/shared", &m, -EOPNOTSUPP);
	match(BERTH_GET, "/b", &m, 0);
	ck_assert_ptr_eq(m.owner, B);
	router_match_clear(&m);
	match(BERTH_GET, "/shared", &m, 0);
	ck_assert_ptr_eq(m.state, &state_b);
	router_match_clear(&m);

	/* A's pattern is free again, for anyone. */
	add_ok(B, ra, 2, &state_b);
	router_remove_owner(A);		/* nothing left: a no-op */
	match(BERTH_GET, "/a/1", &m, 0);
	router_match_clear(&m);
	router_remove_owner(B);
	match(BERTH_GET, "/b", &m, -ENOENT);
}
END_TEST

/* --- matching -------------------------------------------------------- */

START_TEST(match_params)
{
	static const struct berth_route	r[] = {
		{ .method = BERTH_GET, .pattern = "/containers/json",
		  .handler = h1 },
		{ .method = BERTH_GET, .pattern = "/containers/{id}/json",
		  .handler = h2 },
		{ .method = BERTH_POST,
		  .pattern = "/containers/{id}/exec/{what}", .handler = h2 },
	};
	struct router_match	m;

	add_ok(A, r, 3, &state_a);
	ck_assert_ptr_eq(match(BERTH_GET, "/containers/abc123/json", &m, 0),
	    r[1].pattern);
	ck_assert_uint_eq(m.nparams, 1);
	ck_assert_str_eq(param(&m, "id"), "abc123");
	ck_assert_ptr_eq(m.route->handler, h2);
	ck_assert_ptr_eq(m.state, &state_a);
	ck_assert_ptr_eq(m.owner, A);
	router_match_clear(&m);
	ck_assert_uint_eq(m.nparams, 0);

	ck_assert_ptr_eq(match(BERTH_GET, "/containers/json", &m, 0),
	    r[0].pattern);
	ck_assert_uint_eq(m.nparams, 0);

	match(BERTH_POST, "/containers/c1/exec/run", &m, 0);
	ck_assert_uint_eq(m.nparams, 2);
	ck_assert_str_eq(param(&m, "id"), "c1");
	ck_assert_str_eq(param(&m, "what"), "run");
	router_match_clear(&m);

	/* A parameter is one non-empty segment. */
	match(BERTH_GET, "/containers//json", &m, -ENOENT);
	match(BERTH_GET, "/containers/a/b/json", &m, -ENOENT);
	match(BERTH_GET, "/containers/abc/json/more", &m, -ENOENT);
	match(BERTH_GET, "/containers", &m, -ENOENT);
}
END_TEST

START_TEST(match_greedy)
{
	static const struct berth_route	r[] = {
		{ .method = BERTH_GET, .pattern = "/images/json",
		  .handler = h1 },
		{ .method = BERTH_GET, .pattern = "/images/{name*}/json",
		  .handler = h2 },
		{ .method = BERTH_POST, .pattern = "/images/{name*}/tag",
		  .handler = h2 },
		{ .method = BERTH_DELETE, .pattern = "/images/{name*}",
		  .handler = h2 },
	};
	struct router_match	m;

	add_ok(A, r, 4, NULL);
	ck_assert_ptr_eq(match(BERTH_GET,
	    "/images/localhost:5000/a/b:1/json", &m, 0), r[1].pattern);
	ck_assert_uint_eq(m.nparams, 1);
	ck_assert_str_eq(param(&m, "name"), "localhost:5000/a/b:1");
	router_match_clear(&m);

	ck_assert_ptr_eq(match(BERTH_GET, "/images/alpine/json", &m, 0),
	    r[1].pattern);
	ck_assert_str_eq(param(&m, "name"), "alpine");
	router_match_clear(&m);

	/* The list, not the inspect of an image called "json". */
	ck_assert_ptr_eq(match(BERTH_GET, "/images/json", &m, 0),
	    r[0].pattern);
	ck_assert_uint_eq(m.nparams, 0);
	/* ...but an image called "json" can still be inspected. */
	ck_assert_ptr_eq(match(BERTH_GET, "/images/json/json", &m, 0),
	    r[1].pattern);
	ck_assert_str_eq(param(&m, "name"), "json");
	router_match_clear(&m);

	/* As few segments as possible while the tail still matches. */
	ck_assert_ptr_eq(match(BERTH_GET, "/images/a/json/json", &m, 0),
	    r[1].pattern);
	ck_assert_str_eq(param(&m, "name"), "a/json");
	router_match_clear(&m);

	ck_assert_ptr_eq(match(BERTH_DELETE, "/images/localhost:5000/a/b:1",
	    &m, 0), r[3].pattern);
	ck_assert_str_eq(param(&m, "name"), "localhost:5000/a/b:1");
	router_match_clear(&m);
	ck_assert_ptr_eq(match(BERTH_DELETE, "/images/a/json", &m, 0),
	    r[3].pattern);
	ck_assert_str_eq(param(&m, "name"), "a/json");
	router_match_clear(&m);

	match(BERTH_POST, "/images/docker.io/library/x:2/tag", &m, 0);
	ck_assert_str_eq(param(&m, "name"), "docker.io/library/x:2");
	router_match_clear(&m);

	/* A greedy parameter still needs at least one segment. */
	match(BERTH_DELETE, "/images", &m, -ENOENT);
	match(BERTH_DELETE, "/images/", &m, -ENOENT);
	/* No name before /tag; only DELETE serves an image called "tag". */
	match(BERTH_POST, "/images/tag", &m, -EOPNOTSUPP);
}
END_TEST

static void
literal_over_param(int literal_first)
{
	static const struct berth_route	lit[] = {
		{ .method = BERTH_POST, .pattern = "/volumes/prune",
		  .handler = h1 },
	};
	static const struct berth_route	par[] = {
		{ .method = BERTH_POST, .pattern = "/volumes/{name}",
		  .handler = h2 },
	};
	struct router_match	m;

	if (literal_first) {
		add_ok(A, lit, 1, &state_a);
		add_ok(B, par, 1, &state_b);
	} else {
		add_ok(B, par, 1, &state_b);
		add_ok(A, lit, 1, &state_a);
	}
	ck_assert_ptr_eq(match(BERTH_POST, "/volumes/prune", &m, 0),
	    lit[0].pattern);
	ck_assert_ptr_eq(m.owner, A);
	ck_assert_ptr_eq(m.state, &state_a);
	ck_assert_uint_eq(m.nparams, 0);
	router_match_clear(&m);
	ck_assert_ptr_eq(match(BERTH_POST, "/volumes/data", &m, 0),
	    par[0].pattern);
	ck_assert_ptr_eq(m.owner, B);
	ck_assert_str_eq(param(&m, "name"), "data");
	router_match_clear(&m);
}

START_TEST(match_literal_first)
{
	/* Whichever order the tables arrive in. */
	literal_over_param(1);
	router_clear();
	literal_over_param(0);
}
END_TEST

START_TEST(match_literal_other_method)
{
	static const struct berth_route	r[] = {
		{ .method = BERTH_POST, .pattern = "/volumes/prune",
		  .handler = h1 },
		{ .method = BERTH_GET, .pattern = "/volumes/{name}",
		  .handler = h2 },
		{ .method = BERTH_DELETE, .pattern = "/volumes/{name}",
		  .handler = h2 },
	};
	struct router_match	m;

	/* GET /volumes/prune inspects a volume named "prune". */
	add_ok(A, r, 3, NULL);
	ck_assert_ptr_eq(match(BERTH_GET, "/volumes/prune", &m, 0),
	    r[1].pattern);
	ck_assert_str_eq(param(&m, "name"), "prune");
	router_match_clear(&m);
	ck_assert_ptr_eq(match(BERTH_POST, "/volumes/prune", &m, 0),
	    r[0].pattern);
	router_match_clear(&m);
	ck_assert_ptr_eq(match(BERTH_DELETE, "/volumes/x", &m, 0),
	    r[2].pattern);
	router_match_clear(&m);
}
END_TEST

START_TEST(match_wrong_method)
{
	static const struct berth_route	r[] = {
		{ .method = BERTH_POST, .pattern = "/containers/{id}/start",
		  .handler = h1 },
		{ .method = BERTH_GET, .pattern = "/_ping", .handler = h1 },
		{ .method = BERTH_HEAD, .pattern = "/_ping", .handler = h1 },
	};
	struct router_match	m;

	add_ok(A, r, 3, NULL);
	match(BERTH_GET, "/containers/c1/start", &m, -EOPNOTSUPP);
	ck_assert_ptr_null(m.route);
	ck_assert_uint_eq(m.nparams, 0);	/* nothing left to free */
	match(BERTH_DELETE, "/_ping", &m, -EOPNOTSUPP);
	match(BERTH_POST, "/_ping", &m, -EOPNOTSUPP);
	match(BERTH_HEAD, "/_ping", &m, 0);
	router_match_clear(&m);
}
END_TEST

START_TEST(match_not_found)
{
	static const struct berth_route	r[] = {
		{ .method = BERTH_GET, .pattern = "/info", .handler = h1 },
	};
	struct router_match	m;

	match(BERTH_GET, "/info", &m, -ENOENT);		/* empty table */
	add_ok(A, r, 1, NULL);
	match(BERTH_GET, "/info", &m, 0);
	router_match_clear(&m);
	match(BERTH_GET, "/infos", &m, -ENOENT);
	match(BERTH_GET, "/info/x", &m, -ENOENT);
	match(BERTH_GET, "/", &m, -ENOENT);
	match(BERTH_GET, "", &m, -ENOENT);
}
END_TEST

START_TEST(match_limits)
{
	static const struct berth_route	r[] = {
		{ .method = BERTH_GET, .pattern = "/files/{p*}",
		  .handler = h1 },
	};
	struct router_match	m;
	char			path[8192];
	size_t			i, off;

	add_ok(A, r, 1, NULL);
	/* Too many segments, or too long a path: no match, no overflow. */
	off = (size_t)snprintf(path, sizeof(path), "/files");
	for (i = 0; i < 40; i++)
		off += (size_t)snprintf(path + off, sizeof(path) - off, "/s");
	match(BERTH_GET, path, &m, -ENOENT);
	memset(path, 'a', sizeof(path) - 1);
	memcpy(path, "/files/", 7);
	path[sizeof(path) - 1] = '\0';
	match(BERTH_GET, path, &m, -ENOENT);
	match(BERTH_GET, "/files/a/b/c", &m, 0);
	ck_assert_str_eq(param(&m, "p"), "a/b/c");
	router_match_clear(&m);
}
END_TEST

Suite *
suite(void)
{
	Suite	*s = suite_create("router");
	TCase	*tc;

	tc = tcase_create("version");
	tcase_add_test(tc, version_prefix);
	tcase_add_test(tc, version_prefix_absent);
	tcase_add_test(tc, version_prefix_malformed);
	tcase_add_test(tc, version_num);
	suite_add_tcase(s, tc);

	tc = tcase_create("table");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, add_duplicate);
	tcase_add_test(tc, add_duplicate_in_batch);
	tcase_add_test(tc, add_invalid);
	tcase_add_test(tc, remove_owner);
	suite_add_tcase(s, tc);

	tc = tcase_create("match");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, match_params);
	tcase_add_test(tc, match_greedy);
	tcase_add_test(tc, match_literal_first);
	tcase_add_test(tc, match_literal_other_method);
	tcase_add_test(tc, match_wrong_method);
	tcase_add_test(tc, match_not_found);
	tcase_add_test(tc, match_limits);
	suite_add_tcase(s, tc);
	return s;
}
