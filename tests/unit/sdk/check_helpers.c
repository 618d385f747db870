/*
 * check_helpers.c - the SDK's small inline helpers: base64 (base64.h),
 * IPv4 prefixes (cidr.h), Docker's filters= (filters.h) and its time
 * formats (timefmt.h).
 */
#include <stdlib.h>
#include <string.h>

#include <berth/base64.h>
#include <berth/cidr.h>
#include <berth/filters.h>
#include <berth/timefmt.h>

#include "unit.h"

START_TEST(base64_std_padded)
{
	char	b[64];

	ck_assert_int_eq(berth_b64("", 0, b, sizeof(b)), 0);
	ck_assert_str_eq(b, "");
	ck_assert_int_eq(berth_b64("f", 1, b, sizeof(b)), 0);
	ck_assert_str_eq(b, "Zg==");
	ck_assert_int_eq(berth_b64("fo", 2, b, sizeof(b)), 0);
	ck_assert_str_eq(b, "Zm8=");
	ck_assert_int_eq(berth_b64("foobar", 6, b, sizeof(b)), 0);
	ck_assert_str_eq(b, "Zm9vYmFy");
	ck_assert_int_lt(berth_b64("foobar", 6, b, 8), 0);
	{
		char	d[16];
		size_t	n;

		ck_assert_int_eq(berth_b64_decode("Zm9vYmFy", d, sizeof(d), &n),
		    0);
		ck_assert_uint_eq(n, 6);
		ck_assert_int_eq(memcmp(d, "foobar", 6), 0);
		ck_assert_int_eq(berth_b64_decode("Zm8=", d, sizeof(d), &n), 0);
		ck_assert_uint_eq(n, 2);
		/* e30= is {}; URL alphabet and no padding read too. */
		ck_assert_int_eq(berth_b64_decode("e30", d, sizeof(d), &n), 0);
		ck_assert_int_eq(memcmp(d, "{}", 2), 0);
		ck_assert_int_eq(berth_b64_decode("-_8", d, sizeof(d), &n), 0);
		ck_assert_int_eq((unsigned char)d[0], 0xfb);
		ck_assert_int_eq(berth_b64_decode("a*b", d, sizeof(d), &n),
		    -EINVAL);
		ck_assert_int_eq(berth_b64_decode("Zm9vYmFy", d, 3, &n),
		    -ENAMETOOLONG);
	}
}
END_TEST

START_TEST(cidr_parse_and_format)
{
	struct berth_cidr	c, d;
	char			buf[BERTH_CIDR_LEN];

	ck_assert_int_eq(berth_cidr_parse("10.1.2.3/24", 1, &c), 0);
	ck_assert_uint_eq(c.addr, 0x0a010203u);
	ck_assert_int_eq(c.prefix, 24);
	ck_assert_uint_eq(berth_cidr_net(&c), 0x0a010200u);
	ck_assert_str_eq(berth_cidr_fmt(berth_cidr_net(&c), c.prefix, buf,
	    sizeof(buf)), "10.1.2.0/24");
	ck_assert_str_eq(berth_cidr_fmt(c.addr, -1, buf, sizeof(buf)),
	    "10.1.2.3");
	/* A prefix where none is wanted, and the other way round. */
	ck_assert_int_eq(berth_cidr_parse("10.1.2.3/24", 0, &c), -1);
	ck_assert_int_eq(berth_cidr_parse("10.1.2.3", 1, &c), -1);
	ck_assert_int_eq(berth_cidr_parse("10.1.2.3", 0, &c), 0);
	ck_assert_int_eq(c.prefix, 32);
	ck_assert_int_eq(berth_cidr_parse("10.1.2.3/33", 1, &c), -1);
	ck_assert_int_eq(berth_cidr_parse("10.1.2.3/", 1, &c), -1);
	ck_assert_int_eq(berth_cidr_parse("10.1.2/24", 1, &c), -1);
	ck_assert_int_eq(berth_cidr_parse(NULL, 1, &c), -1);
	ck_assert_int_eq(berth_cidr_parse("10.0.0.0/8", 1, &c), 0);
	ck_assert_int_eq(berth_cidr_parse("10.200.0.0/16", 1, &d), 0);
	ck_assert(berth_cidr_overlap(&c, &d));
	ck_assert(berth_cidr_contains(&c, d.addr));
	ck_assert_int_eq(berth_cidr_parse("11.0.0.0/8", 1, &d), 0);
	ck_assert(!berth_cidr_overlap(&c, &d));
	ck_assert_uint_eq(berth_cidr_mask(0), 0);
	ck_assert_uint_eq(berth_cidr_mask(32), 0xffffffffu);
}
END_TEST

static const char *const keys[] = { "label", "label!", "name", "dangling",
    NULL };

START_TEST(filters_both_forms)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	json_object		*f, *labels;
	int			 b;

	ck_assert_int_eq(berth_filters_parse(NULL, keys, &f, &err), 0);
	ck_assert_ptr_null(f);
	ck_assert_int_eq(berth_filters_parse("{\"name\":{\"a\":true},"
	    "\"label\":[\"x=1\",\"y\"]}", keys, &f, &err), 0);
	ck_assert_int_eq(berth_filters_len(f, "name"), 1);
	ck_assert_str_eq(berth_filters_at(f, "name", 0), "a");
	ck_assert_int_eq(berth_filters_len(f, "label"), 2);
	ck_assert_int_eq(berth_filters_len(f, "dangling"), 0);
	labels = json_tokener_parse("{\"x\":\"1\",\"y\":\"\"}");
	ck_assert(berth_filters_labels(f, labels));
	json_object_object_add(labels, "x", json_object_new_string("2"));
	ck_assert(!berth_filters_labels(f, labels));
	json_object_put(labels);
	json_object_put(f);

	ck_assert_int_eq(berth_filters_parse("{\"dangling\":[\"maybe\"]}",
	    keys, &f, &err), 0);
	ck_assert_int_eq(berth_filters_bool(f, "dangling", &b, &err), -EINVAL);
	ck_assert_str_eq(err.msg, "Invalid filter 'dangling=maybe'");
	json_object_put(f);
}
END_TEST

START_TEST(filters_refusals)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	json_object		*f;

	ck_assert_int_eq(berth_filters_parse("{{{", keys, &f, &err), -EINVAL);
	ck_assert_ptr_null(f);
	ck_assert_ptr_nonnull(strstr(err.msg, "invalid filters parameter"));
	ck_assert_int_eq(berth_filters_parse("[1]", keys, &f, &err), -EINVAL);
	ck_assert_int_eq(berth_filters_parse("{\"colour\":[\"red\"]}", keys,
	    &f, &err), -EINVAL);
	ck_assert_str_eq(err.msg, "Invalid filter 'colour'");
	ck_assert_int_eq(berth_filters_parse("{\"name\":[1]}", keys, &f,
	    &err), -EINVAL);
	ck_assert_int_eq(berth_filters_parse("{\"name\":\"a\"}", keys, &f,
	    &err), -EINVAL);
}
END_TEST

START_TEST(time_formats)
{
	int64_t	sec, ns;
	long	nsec;
	char	buf[64];

	berth_time_format(1700000000, 120000000, buf, sizeof(buf));
	ck_assert_str_eq(buf, "2023-11-14T22:13:20.12Z");
	berth_time_format(1700000000, 0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "2023-11-14T22:13:20Z");
	ck_assert_int_eq(berth_time_parse("2023-11-14T22:13:20.5+01:00", &sec,
	    &nsec), 0);
	ck_assert_int_eq(sec, 1700000000 - 3600);
	ck_assert_int_eq(nsec, 500000000);
	ck_assert_int_eq(berth_duration_parse("1h30m", &ns), 0);
	ck_assert_int_eq(ns, 5400LL * 1000000000LL);
	ck_assert_int_eq(berth_duration_parse("1x", &ns), -EINVAL);
	ck_assert_int_eq(berth_timestamp_parse("10m", 1000, &sec, &nsec), 0);
	ck_assert_int_eq(sec, 400);
	ck_assert_int_eq(berth_timestamp_parse("1234.5", 0, &sec, &nsec), 0);
	ck_assert_int_eq(sec, 1234);
	ck_assert_int_eq(nsec, 500000000);
	ck_assert_int_eq(berth_timestamp_parse("soon", 0, &sec, &nsec),
	    -EINVAL);
}
END_TEST

Suite *
suite(void)
{
	Suite	*s = suite_create("helpers");
	TCase	*tc = tcase_create("helpers");

	tcase_add_test(tc, base64_std_padded);
	tcase_add_test(tc, cidr_parse_and_format);
	tcase_add_test(tc, filters_both_forms);
	tcase_add_test(tc, filters_refusals);
	tcase_add_test(tc, time_formats);
	suite_add_tcase(s, tc);
	return s;
}
