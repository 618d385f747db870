/* Shared by the unit tests: each check_*.c defines suite(). */
#ifndef BERTH_TESTS_UNIT_H
#define BERTH_TESTS_UNIT_H

#include <check.h>

Suite	*suite(void);

/* Where the build put fixtures; set by tests/run-all.sh. */
#define FIXTURE_DIR	(getenv("BERTH_FIXTURES") ? getenv("BERTH_FIXTURES") : \
			    "build/tests/fixtures")

#endif
