// SPDX-License-Identifier: GPL-2.0
/*
 * pbvm: the VM integration suite.  Prints every test with its verdict
 * (run with CK_VERBOSITY=verbose) and exits nonzero on any failure.
 */
#include <stdlib.h>
#include <string.h>

#include "pbvm.h"

int main(void)
{
	SRunner *sr;
	int failed;

	/* a rig other than the reference one runs its own suite only */
	if (strcmp(rig_topology(), "ref")) {
		sr = srunner_create(rig_iommu() ? suite_topoiommu() :
				    suite_topowide());
		goto run;
	}
	sr = srunner_create(suite_regions());
	srunner_add_suite(sr, suite_ioctl());
	srunner_add_suite(sr, suite_mmap());
	srunner_add_suite(sr, suite_huge());
	srunner_add_suite(sr, suite_lifecycle());
	srunner_add_suite(sr, suite_export());
	srunner_add_suite(sr, suite_copy());
	srunner_add_suite(sr, suite_access());
	srunner_add_suite(sr, suite_driver());
	srunner_add_suite(sr, suite_lifetime());
	srunner_add_suite(sr, suite_topology());
	/*
	 * The sanitizer lane's debug kernel has fault injection; the stock
	 * kernels have rxe, and the lockdown LSM, which cannot be lowered once
	 * raised: last.
	 */
	if (debug_kernel()) {
		srunner_add_suite(sr, suite_faults());
	} else {
		/* rxe: the debug kernel has no RDMA */
		srunner_add_suite(sr, suite_rdma());
		srunner_add_suite(sr, suite_lockdown());
	}
run:
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
