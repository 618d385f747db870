/*
 * check_registry.c - drivers by (interface, name): registered ones first,
 * then resolvers for the ones nobody registered.
 */
#include <stdlib.h>
#include <string.h>

#include <berth/resolver.h>

#include "registry.h"
#include "unit.h"

static const int	 volume_ops = 1, plugin_ops = 2;
static int		 local_state, plugin_state;
static int		 asked;
static char		 asked_iface[32], asked_name[32];

/* Serves "volume/1" drivers whose name starts with "p-", nothing else. */
static const void *
test_resolve(void *st, const char *iface, const char *name, void **statep)
{
	asked++;
	snprintf(asked_iface, sizeof(asked_iface), "%s", iface);
	snprintf(asked_name, sizeof(asked_name), "%s", name);
	if (strcmp(iface, "volume/1") != 0 || strncmp(name, "p-", 2) != 0)
		return NULL;
	*statep = &plugin_state;
	return &plugin_ops;
}

static const struct berth_resolver_ops resolver = {
	.size = sizeof(resolver),
	.resolve = test_resolve,
};

static void
setup(void)
{
	struct berth_err	err = BERTH_ERR_INIT;

	asked = 0;
	ck_assert_int_eq(registry_provide(NULL, "volume/1", "local",
	    &volume_ops, &local_state, &err), 0);
}

static void
teardown(void)
{
	registry_clear();
}

START_TEST(registered_first)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	void			*st = NULL;

	ck_assert_int_eq(registry_provide(NULL, BERTH_RESOLVER_IFACE, "r",
	    &resolver, NULL, &err), 0);
	ck_assert_ptr_eq(registry_lookup("volume/1", "local", &st),
	    &volume_ops);
	ck_assert_ptr_eq(st, &local_state);
	ck_assert_int_eq(asked, 0);
}
END_TEST

START_TEST(resolver_serves_the_rest)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	void			*st = NULL;

	ck_assert_ptr_null(registry_lookup("volume/1", "p-x", &st));
	ck_assert_int_eq(registry_provide(NULL, BERTH_RESOLVER_IFACE, "r",
	    &resolver, NULL, &err), 0);
	ck_assert_ptr_eq(registry_lookup("volume/1", "p-x", &st),
	    &plugin_ops);
	ck_assert_ptr_eq(st, &plugin_state);
	ck_assert_str_eq(asked_name, "p-x");
	/* A name it refuses, another interface: still nothing. */
	ck_assert_ptr_null(registry_lookup("volume/1", "other", &st));
	ck_assert_ptr_null(registry_lookup("network/1", "p-x", &st));
	ck_assert_str_eq(asked_iface, "network/1");
	/* Resolved drivers are not listed as registered ones. */
	ck_assert_ptr_null(registry_owner("volume/1", "p-x"));
}
END_TEST

START_TEST(never_asked_about_itself_or_nothing)
{
	struct berth_err	 err = BERTH_ERR_INIT;

	ck_assert_int_eq(registry_provide(NULL, BERTH_RESOLVER_IFACE, "r",
	    &resolver, NULL, &err), 0);
	ck_assert_ptr_null(registry_lookup(BERTH_RESOLVER_IFACE, "p-x", NULL));
	ck_assert_ptr_null(registry_lookup("volume/1", "", NULL));
	ck_assert_ptr_null(registry_lookup("volume/1", NULL, NULL));
	ck_assert_int_eq(asked, 0);
}
END_TEST

Suite *
suite(void)
{
	Suite	*s = suite_create("registry");
	TCase	*tc = tcase_create("registry");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, registered_first);
	tcase_add_test(tc, resolver_serves_the_rest);
	tcase_add_test(tc, never_asked_about_itself_or_nothing);
	suite_add_tcase(s, tc);
	return s;
}
