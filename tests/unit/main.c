/*
 * The runner shared by every unit test binary: each check_*.c defines
 * suite().  Check forks per test by default, so a crash is a failed test
 * and not a dead runner; CK_FORK=no runs in one process (for debuggers
 * and whole-run leak checks).
 */
#include <stdlib.h>

#include <check.h>

#include "unit.h"

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
