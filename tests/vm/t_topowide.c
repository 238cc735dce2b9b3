// SPDX-License-Identifier: GPL-2.0
/*
 * The topology policy in the wide rig (run.sh PB_VM_TOPO=wide): nested
 * switches (PXB), a device on a second root port and one on the root bus
 * (PHB).  Data moves by bus address through both switches, to a BAR
 * placed above 4 GiB.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pbvm.h"
#include "topo_helpers.h"


static void wide_setup(void)
{
	setup_ctx();
	topo_find(topo_wide, WIDE_NDEV);
}

START_TEST(check_verdicts_for_every_pair_of_the_nested_topology)
{
	topo_assert_every_pair(topo_wide, WIDE_NDEV, topo_wide_want, false);
}
END_TEST

START_TEST(copy_through_nested_switches_arrives_byte_for_byte)
{
	struct pb_copy_result res;

	/* edu below the inner switch, ivshmem #1 below the outer one */
	ck_assert_uint_gt(bar_start(topo_wide[W_IVB].bdf, 2), 0xffffffffULL);
	topo_copy_round_trip(topo_wide[W_IVB].bdf, 0x7227, &res);
	/* by bus address: in this rig the BAR's CPU address */
	ck_assert_uint_eq(res.dst_dma, bar_start(topo_wide[W_IVB].bdf, 2));
}
END_TEST

START_TEST(pbctl_topo_marks_refused_paths_and_says_why)
{
	char out[32768];

	/* the VGA on the root bus is a GPU with peer memory: PHB to the rest */
	ck_assert_int_eq(pbctl_output(out, sizeof(out), "-j topo"), 0);
	ck_assert_msg(strstr(out, "\"PHB!\""), "%.3000s", out);
	ck_assert_msg(strstr(out, "\"refusals\": [{\"exporter\": "), "%.3000s", out);
	ck_assert_msg(strstr(out, "not one known to route peer-to-peer"), "%s",
		      out);
	ck_assert_int_eq(pbctl_output(out, sizeof(out), "topo"), 0);
	ck_assert_msg(strstr(out, "legend: "), "%.3000s", out);
}
END_TEST

Suite *suite_topowide(void)
{
	Suite *s = suite_create("topowide");
	TCase *tc = tcase_create("nested");

	tcase_add_checked_fixture(tc, wide_setup, topo_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, check_verdicts_for_every_pair_of_the_nested_topology);
	tcase_add_test(tc, copy_through_nested_switches_arrives_byte_for_byte);
	tcase_add_test(tc, pbctl_topo_marks_refused_paths_and_says_why);
	suite_add_tcase(s, tc);
	return s;
}
