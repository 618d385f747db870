/*
 * check_uri.c - one canonical request target: every spelling of a path
 * gives the router and the drivers the same string, or is refused.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "uri.h"
#include "unit.h"

/* Canonicalise raw; check the decoded and encoded forms. */
static void
canon_ok(const char *raw, const char *want_dec, const char *want_enc)
{
	const char	*why = NULL;
	char		*dec, *enc, *again, *enc2;
	int		 rc;

	rc = uri_canon_path(raw, strlen(raw), &dec, &enc, &why);
	ck_assert_msg(rc == 0, "%s: refused (%s)", raw, why);
	ck_assert_str_eq(dec, want_dec);
	ck_assert_str_eq(enc, want_enc);
	/* The drivers' spelling is a fixed point: it reads back as itself. */
	rc = uri_canon_path(enc, strlen(enc), &again, &enc2, &why);
	ck_assert_msg(rc == 0, "%s: encoded form %s refused", raw, enc);
	ck_assert_str_eq(again, dec);
	ck_assert_str_eq(enc2, enc);
	free(dec);
	free(enc);
	free(again);
	free(enc2);
}

static void
canon_bad(const char *raw, const char *why_part)
{
	const char	*why = NULL;
	char		*dec = (char *)1, *enc = (char *)1;
	int		 rc;

	rc = uri_canon_path(raw, strlen(raw), &dec, &enc, &why);
	ck_assert_msg(rc == -EINVAL, "%s: accepted as %s", raw, rc ? "?" : dec);
	ck_assert_ptr_null(dec);
	ck_assert_ptr_null(enc);
	ck_assert_msg(why != NULL && strstr(why, why_part) != NULL,
	    "%s: why '%s', want '%s'", raw, why ? why : "(null)", why_part);
}

START_TEST(plain_paths)
{
	canon_ok("/", "/", "/");
	canon_ok("/_ping", "/_ping", "/_ping");
	canon_ok("/v1.41/containers/json", "/v1.41/containers/json",
	    "/v1.41/containers/json");
	canon_ok("/images/localhost:5000/a/b/json",
	    "/images/localhost:5000/a/b/json",
	    "/images/localhost:5000/a/b/json");
}
END_TEST

START_TEST(escapes_decode_once)
{
	canon_ok("/%76olumes/x", "/volumes/x", "/volumes/x");
	canon_ok("/v1.41/%76olumes/NAME", "/v1.41/volumes/NAME",
	    "/v1.41/volumes/NAME");
	canon_ok("/%56OLUMES/x", "/VOLUMES/x", "/VOLUMES/x");
	/* Double encoding is a '%' in a name, never a second decode. */
	canon_ok("/volumes/%252F", "/volumes/%2F", "/volumes/%252F");
	canon_ok("/volumes/a%20b", "/volumes/a b", "/volumes/a%20b");
	canon_ok("/volumes/a%3Fb", "/volumes/a?b", "/volumes/a%3Fb");
	canon_ok("/volumes/a+b", "/volumes/a+b", "/volumes/a+b");
	canon_ok("/volumes/%c3%a9", "/volumes/\xc3\xa9", "/volumes/%C3%A9");
}
END_TEST

START_TEST(empty_segments_dropped)
{
	canon_ok("//volumes//x", "/volumes/x", "/volumes/x");
	canon_ok("/volumes/x/", "/volumes/x", "/volumes/x");
	canon_ok("///", "/", "/");
	canon_ok("", "/", "/");
}
END_TEST

START_TEST(ambiguous_refused)
{
	canon_bad("/volumes%2FNAME", "escaped '/'");
	canon_bad("/volumes%2fNAME", "escaped '/'");
	canon_bad("/%2Fvolumes%2FNAME", "escaped '/'");
	canon_bad("/v1.41%2Fvolumes%2FNAME", "escaped '/'");
	canon_bad("/volumes/a%00b", "NUL");
	canon_bad("/v1.41/containers/../volumes/x", "'..'");
	canon_bad("/v1.41/./volumes/x", "'.'");
	canon_bad("/v1.41/%2e%2E/volumes/x", "'..'");
	canon_bad("/v1.41/%2e/volumes/x", "'.'");
	canon_bad("/volumes/%zz", "malformed escape");
	canon_bad("/volumes/%2", "malformed escape");
	canon_bad("/volumes/%", "malformed escape");
}
END_TEST

START_TEST(dots_inside_names_kept)
{
	canon_ok("/volumes/.x", "/volumes/.x", "/volumes/.x");
	canon_ok("/volumes/...", "/volumes/...", "/volumes/...");
	canon_ok("/images/a.b:1.0/json", "/images/a.b:1.0/json",
	    "/images/a.b:1.0/json");
}
END_TEST

START_TEST(target_with_query)
{
	struct http_kv	 q[3] = {
		{ "force", "1" }, { "filters", "{\"a\":[\"b c&d=e+f\"]}" },
		{ "v", "" },
	};
	char		*t;

	t = uri_target("/v1.41/volumes/x", NULL, 0);
	ck_assert_str_eq(t, "/v1.41/volumes/x");
	free(t);
	t = uri_target("/v1.41/volumes/x", q, 3);
	ck_assert_str_eq(t, "/v1.41/volumes/x?force=1&filters="
	    "%7B%22a%22:%5B%22b%20c%26d%3De%2Bf%22%5D%7D&v");
	free(t);
}
END_TEST

START_TEST(query_decoding)
{
	char	*s;

	s = uri_pct_decode("a+b%20c%2B%zz%", 14, 1);
	ck_assert_str_eq(s, "a b c+%zz%");
	free(s);
	s = uri_pct_decode("a+b", 3, 0);
	ck_assert_str_eq(s, "a+b");
	free(s);
}
END_TEST

Suite *
suite(void)
{
	Suite	*s = suite_create("uri");
	TCase	*tc = tcase_create("uri");

	tcase_add_test(tc, plain_paths);
	tcase_add_test(tc, escapes_decode_once);
	tcase_add_test(tc, empty_segments_dropped);
	tcase_add_test(tc, ambiguous_refused);
	tcase_add_test(tc, dots_inside_names_kept);
	tcase_add_test(tc, target_with_query);
	tcase_add_test(tc, query_decoding);
	suite_add_tcase(s, tc);
	return s;
}
