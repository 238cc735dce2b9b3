// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>

#include "unit.h"

int main(void)
{
	SRunner *sr = srunner_create(suite_util());
	int failed;

	srunner_add_suite(sr, suite_print());
	srunner_add_suite(sr, suite_pbctl());
	srunner_add_suite(sr, suite_library());
	srunner_add_suite(sr, suite_rdma_policy());
	srunner_add_suite(sr, suite_topology());
	srunner_add_suite(sr, suite_bench());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
