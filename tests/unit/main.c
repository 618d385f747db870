/*
 * The runner shared by every unit test binary: each check_*.c defines
 * suite(), this runs it in forked mode so a crash is a failed test and
 * not a dead runner.
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
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
