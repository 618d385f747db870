/*
 * check_builder.c - the builder's pure parts: the Dockerfile parser
 * (directives, comments, continuations, flags, exec form, errors as
 * Docker words them), the shell lexer (quotes, escapes, ${V:-w} and
 * ${V:+w}, first ENV wins), .dockerignore matching (**, exceptions,
 * parents), and the cache key (independent of key order).
 */
#include <stdlib.h>
#include <string.h>

#include <berth/module.h>

#include "../../../modules/builder/builder.h"
#include "mock_host.h"
#include "unit.h"

START_TEST(parse_lines)
{
	static const char text[] =
	    "# escape=\\\n"
	    "# a comment\n"
	    "\n"
	    "from busybox AS base\n"
	    "RUN echo a \\\n"
	    "  # a comment inside\n"
	    "    && echo b\n"
	    "COPY --from=base --chown=1:2 /a /b/\n"
	    "CMD [\"sh\", \"-c\", \"x\"]\n"
	    "ENTRYPOINT [not json\n";
	struct bld_file		f;
	struct berth_err	err = BERTH_ERR_INIT;

	ck_assert_int_eq(bld_parse(text, strlen(text), &f, &err), 0);
	ck_assert_uint_eq(f.n, 5);
	ck_assert_str_eq(f.v[0].cmd, "from");
	ck_assert_str_eq(f.v[0].rest, "busybox AS base");
	ck_assert_int_eq(f.v[0].line, 4);
	ck_assert_str_eq(f.v[1].rest, "echo a     && echo b");
	ck_assert_ptr_null(f.v[1].json);
	ck_assert_str_eq(bld_flag(&f.v[2], "from"), "base");
	ck_assert_str_eq(bld_flag(&f.v[2], "chown"), "1:2");
	ck_assert_str_eq(f.v[2].rest, "/a /b/");
	ck_assert_uint_eq(f.v[3].njson, 3);
	ck_assert_str_eq(f.v[3].json[2], "x");
	/* Not JSON: the shell form, as Docker falls back. */
	ck_assert_ptr_null(f.v[4].json);
	ck_assert_str_eq(f.v[4].rest, "[not json");
	bld_file_free(&f);
}
END_TEST

START_TEST(parse_errors)
{
	struct bld_file		f;
	struct berth_err	err = BERTH_ERR_INIT;

	ck_assert_int_eq(bld_parse("FROM x\nFOO bar\n", 15, &f, &err),
	    -EINVAL);
	ck_assert_str_eq(err.msg, "Dockerfile parse error line 2: unknown "
	    "instruction: FOO");
	ck_assert_int_lt(bld_parse("COPY --nope=1 a b\n", 18, &f, &err), 0);
	ck_assert_str_eq(err.msg, "Dockerfile parse error line 1: Unknown "
	    "flag: nope");
	ck_assert_int_lt(bld_parse("SHELL sh -c\n", 12, &f, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "SHELL requires the arguments "
	    "to be in JSON form"));
	ck_assert_int_lt(bld_parse("# only\n\n", 8, &f, &err), 0);
	ck_assert_int_lt(bld_parse("FROM x\0y\n", 9, &f, &err), 0);
	ck_assert_int_lt(bld_parse("# escape=x\nFROM a\n", 18, &f, &err), 0);
}
END_TEST

START_TEST(escape_directive)
{
	static const char text[] = "# escape=`\nRUN dir c:\\ `\n  && x\n";
	struct bld_file		f;
	struct berth_err	err = BERTH_ERR_INIT;

	ck_assert_int_eq(bld_parse(text, strlen(text), &f, &err), 0);
	ck_assert_int_eq(f.escape, '`');
	ck_assert_uint_eq(f.n, 1);
	ck_assert_str_eq(f.v[0].rest, "dir c:\\   && x");
	bld_file_free(&f);
}
END_TEST

static json_object *
env_of(const char *const *kv)
{
	json_object	*a = json_object_new_array();

	for (; *kv != NULL; kv++)
		json_object_array_add(a, json_object_new_string(*kv));
	return a;
}

START_TEST(words_and_variables)
{
	static const char *const kv[] = { "A=one", "B=", "A=shadowed",
	    "P=/x y", NULL };
	json_object		*env = env_of(kv);
	struct berth_err	 err = BERTH_ERR_INIT;
	char			**w, *one;

	ck_assert_int_eq(bld_expand("$A ${A}x '$A' \"$A $P\" \\$A "
	    "${B:-dflt} ${A:+set} ${C:+set}end ${NOPE}", '\\', env, &w, NULL,
	    &err), 0);
	ck_assert_str_eq(w[0], "one");
	ck_assert_str_eq(w[1], "onex");
	ck_assert_str_eq(w[2], "$A");
	ck_assert_str_eq(w[3], "one /x y");
	ck_assert_str_eq(w[4], "$A");
	ck_assert_str_eq(w[5], "dflt");
	ck_assert_str_eq(w[6], "set");
	ck_assert_str_eq(w[7], "end");
	ck_assert_str_eq(w[8], "");
	ck_assert_ptr_null(w[9]);
	bld_words_free(w);
	/* A value is never split again; one word keeps its blanks. */
	ck_assert_int_eq(bld_expand("$P", '\\', env, &w, NULL, &err), 0);
	ck_assert_str_eq(w[0], "/x y");
	ck_assert_ptr_null(w[1]);
	bld_words_free(w);
	ck_assert_int_eq(bld_expand("a  \"b c\"  $A", '\\', env, NULL, &one,
	    &err), 0);
	ck_assert_str_eq(one, "a  b c  one");
	free(one);
	ck_assert_int_lt(bld_expand("'open", '\\', env, &w, NULL, &err), 0);
	ck_assert_int_lt(bld_expand("${A", '\\', env, &w, NULL, &err), 0);
	ck_assert_int_lt(bld_expand("${}", '\\', env, &w, NULL, &err), 0);
	bld_env_set(env, "B", "now");
	ck_assert_str_eq(bld_env_get(env, "B", 1), "now");
	json_object_put(env);
}
END_TEST

START_TEST(ignore_patterns)
{
	struct bld_ignore	ig;

	ck_assert_int_eq(bld_ignore_load(&ig, "# c\n*.key\n/build/\n"
	    "**/*.tmp\n!keep.tmp\nnode_modules\n./docs/*.md\n"), 0);
	ck_assert(bld_ignore_match(&ig, "a.key"));
	ck_assert(!bld_ignore_match(&ig, "sub/a.key"));
	ck_assert(bld_ignore_match(&ig, "build"));
	ck_assert(bld_ignore_match(&ig, "build/x/y"));
	ck_assert(bld_ignore_match(&ig, "deep/er/x.tmp"));
	ck_assert(bld_ignore_match(&ig, "x.tmp"));
	ck_assert(!bld_ignore_match(&ig, "keep.tmp"));
	ck_assert(bld_ignore_match(&ig, "node_modules/m/index.js"));
	ck_assert(bld_ignore_match(&ig, "docs/a.md"));
	ck_assert(!bld_ignore_match(&ig, "docs/sub/a.md"));
	ck_assert(!bld_ignore_match(&ig, "src/main.c"));
	bld_ignore_free(&ig);
	ck_assert(bld_glob("src/*.c", "src/a.c"));
	ck_assert(!bld_glob("src/*.c", "src/d/a.c"));
	ck_assert(bld_glob("**", "any/thing"));
	ck_assert(bld_glob("a/**/z", "a/z"));
	ck_assert(bld_glob("a/**/z", "a/b/c/z"));
	ck_assert(bld_glob("f?le[0-9]", "file7"));
}
END_TEST

START_TEST(cache_key_canonical)
{
	json_object	*a = json_tokener_parse("{\"Cmd\":[\"x\"],"
	    "\"Labels\":{\"b\":\"2\",\"a\":\"1\"},\"User\":\"\"}");
	json_object	*b = json_tokener_parse("{\"User\":\"\",\"Labels\":"
	    "{\"a\":\"1\",\"b\":\"2\"},\"Cmd\":[\"x\"]}");
	json_object	*c = json_tokener_parse("{\"User\":\"u\",\"Labels\":"
	    "{\"a\":\"1\",\"b\":\"2\"},\"Cmd\":[\"x\"]}");
	char		 ka[65], kb[65], kc[65], kd[65];
	char		*s;

	bld_cache_key("sha256:p", a, ka);
	bld_cache_key("sha256:p", b, kb);
	bld_cache_key("sha256:p", c, kc);
	bld_cache_key("sha256:q", a, kd);
	ck_assert_uint_eq(strlen(ka), 64);
	ck_assert_str_eq(ka, kb);
	ck_assert_str_ne(ka, kc);
	ck_assert_str_ne(ka, kd);
	s = bld_json_canonical(b);
	ck_assert_str_eq(s, "{\"Cmd\":[\"x\"],\"Labels\":{\"a\":\"1\","
	    "\"b\":\"2\"},\"User\":\"\"}");
	free(s);
	json_object_put(a);
	json_object_put(b);
	json_object_put(c);
}
END_TEST

Suite *
suite(void)
{
	Suite	*s = suite_create("builder");
	TCase	*tc = tcase_create("builder");

	tcase_add_test(tc, parse_lines);
	tcase_add_test(tc, parse_errors);
	tcase_add_test(tc, escape_directive);
	tcase_add_test(tc, words_and_variables);
	tcase_add_test(tc, ignore_patterns);
	tcase_add_test(tc, cache_key_canonical);
	suite_add_tcase(s, tc);
	return s;
}
