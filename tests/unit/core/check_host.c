/*
 * check_host.c - the berth_host table a module receives.
 *
 * No slot may be NULL (a module calling one would jump to 0), the table
 * must say its own size and minor, and man/berth-module.3 must document
 * every op.  The op names come from parsing sdk/include/berth/host.h,
 * not from a list kept here, so the test cannot drift from the header.
 * Tests run from the repository root.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "modules.h"
#include "unit.h"

#define HOST_H		"sdk/include/berth/host.h"
#define MAN_PAGE	"man/berth-module.3"
#define MAX_OPS		128

/* main.c is not linked into unit tests; host.c reads this. */
struct core_settings	core;

typedef void	(*slot_fn)(void);

/* The whole of path, NUL-terminated; NULL (with errno) if unreadable. */
static char *
slurp(const char *path)
{
	FILE	*f;
	char	*buf = NULL;
	size_t	 len = 0, cap = 0, n;

	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	for (;;) {
		if (cap - len < 4096) {
			char	*nb = realloc(buf, cap + 65536);

			ck_assert_ptr_nonnull(nb);
			buf = nb;
			cap += 65536;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0)
			break;
	}
	ck_assert_msg(!ferror(f), "%s: read error", path);
	fclose(f);
	buf[len] = '\0';
	return buf;
}

static int
is_ident(int c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/*
 * The ops of struct berth_host, in declaration order: every "(*NAME)("
 * between "struct berth_host {" and the closing "};".  Comments are
 * skipped so that prose mentioning a pointer cannot count as an op.
 */
static size_t
host_op_names(char names[][64], size_t max)
{
	char		*src, *p, *end, *q;
	size_t		 n = 0, len;

	src = slurp(HOST_H);
	ck_assert_msg(src != NULL, "%s: %s", HOST_H, strerror(errno));
	p = strstr(src, "struct berth_host {");
	ck_assert_msg(p != NULL, "%s: no struct berth_host", HOST_H);
	end = strstr(p, "\n};");
	ck_assert_msg(end != NULL, "%s: struct berth_host not closed", HOST_H);
	/* Blank out comments in place. */
	for (q = p; q < end; q++) {
		if (q[0] == '/' && q[1] == '*') {
			while (q < end && !(q[0] == '*' && q[1] == '/'))
				*q++ = ' ';
			if (q < end)
				q[0] = q[1] = ' ';
		}
	}
	while ((q = strstr(p, "(*")) != NULL && q < end) {
		q += 2;
		for (len = 0; is_ident(q[len]); len++)
			;
		p = q + len;
		if (len == 0 || q[len] != ')' || q[len + 1] != '(')
			continue;
		ck_assert_msg(n < max && len < 64, "too many or too long ops");
		memcpy(names[n], q, len);
		names[n][len] = '\0';
		n++;
	}
	free(src);
	return n;
}

/*
 * Documented: the op appears as a whole identifier on an mdoc macro line
 * (".It Fn resp_hijack", ".Fo log"), or as "(*op)" anywhere (a literal
 * synopsis of the struct).  A whole identifier, because req_query must
 * not pass on the strength of req_query_bool.
 */
static int
documented(const char *man, const char *op)
{
	size_t		 len = strlen(op);
	const char	*p, *bol;
	char		 ptr[80];

	snprintf(ptr, sizeof(ptr), "(*%s)", op);
	if (strstr(man, ptr) != NULL)
		return 1;
	for (p = man; (p = strstr(p, op)) != NULL; p += len) {
		if ((p > man && is_ident(p[-1])) || is_ident(p[len]))
			continue;
		for (bol = p; bol > man && bol[-1] != '\n'; bol--)
			;
		if (bol[0] == '.')
			return 1;
	}
	return 0;
}

START_TEST(host_slots_filled)
{
	static struct core_mod	 m;
	const slot_fn		*slot;
	size_t			 i, n, first;

	host_init(&m);
	first = offsetof(struct berth_host, log);
	ck_assert_uint_eq((sizeof(struct berth_host) - first) % sizeof(slot_fn),
	    0);
	n = (sizeof(struct berth_host) - first) / sizeof(slot_fn);
	slot = (const slot_fn *)(const void *)((const char *)&m.host + first);
	for (i = 0; i < n; i++)
		ck_assert_msg(slot[i] != NULL,
		    "berth_host slot %zu (offset %zu) is NULL: add the op to "
		    "HOST_OPS in core/host.c", i, first + i * sizeof(slot_fn));
	ck_assert_msg(n == host_nslots(),
	    "struct berth_host has %zu ops, HOST_OPS lists %zu", n,
	    host_nslots());
}
END_TEST

START_TEST(host_header_fields)
{
	static struct core_mod	m;

	host_init(&m);
	ck_assert_uint_eq(m.host.size, sizeof(struct berth_host));
	ck_assert_uint_eq(m.host.version, BERTH_ABI_MINOR);
	/* Every op a module may test for is there by the table's size. */
	ck_assert(BERTH_HOST_HAS(&m.host, log));
	ck_assert(BERTH_HOST_HAS(&m.host, resp_hijack));
}
END_TEST

START_TEST(host_tables_private)
{
	static struct core_mod	a, b;

	/* Each module its own copy, so a call identifies its caller. */
	host_init(&a);
	host_init(&b);
	ck_assert_ptr_ne(&a.host, &b.host);
	ck_assert_ptr_eq(CORE_MOD_OF(&a.host), &a);
	ck_assert_ptr_eq(CORE_MOD_OF(&b.host), &b);
	ck_assert_int_eq(memcmp(&a.host, &b.host, sizeof(a.host)), 0);
}
END_TEST

START_TEST(host_header_parsed)
{
	char	names[MAX_OPS][64];
	size_t	n;

	/* The parser agrees with the compiler, or the next test is moot. */
	n = host_op_names(names, MAX_OPS);
	ck_assert_msg(n == host_nslots(),
	    "parsed %zu ops from %s, HOST_OPS lists %zu", n, HOST_H,
	    host_nslots());
	ck_assert_str_eq(names[0], "log");
	ck_assert_msg((n + 1) * sizeof(slot_fn) == sizeof(struct berth_host),
	    "parsed %zu ops but the struct holds %zu", n,
	    (sizeof(struct berth_host) - sizeof(slot_fn)) / sizeof(slot_fn));
}
END_TEST

START_TEST(host_ops_documented)
{
	char	names[MAX_OPS][64], missing[2048];
	char	*man;
	size_t	i, n, nmissing = 0, off = 0;

	n = host_op_names(names, MAX_OPS);
	man = slurp(MAN_PAGE);
	ck_assert_msg(man != NULL, "%s: %s (the SDK manual must document "
	    "every berth_host op)", MAN_PAGE, strerror(errno));
	missing[0] = '\0';
	for (i = 0; i < n; i++) {
		if (documented(man, names[i]))
			continue;
		nmissing++;
		if (off < sizeof(missing))
			off += (size_t)snprintf(missing + off,
			    sizeof(missing) - off, " %s", names[i]);
	}
	free(man);
	ck_assert_msg(nmissing == 0, "%s does not document %zu of %zu "
	    "berth_host ops:%s", MAN_PAGE, nmissing, n, missing);
}
END_TEST

Suite *
suite(void)
{
	Suite	*s = suite_create("host");
	TCase	*tc;

	tc = tcase_create("table");
	tcase_add_test(tc, host_slots_filled);
	tcase_add_test(tc, host_header_fields);
	tcase_add_test(tc, host_tables_private);
	suite_add_tcase(s, tc);

	tc = tcase_create("docs");
	tcase_add_test(tc, host_header_parsed);
	tcase_add_test(tc, host_ops_documented);
	suite_add_tcase(s, tc);
	return s;
}
