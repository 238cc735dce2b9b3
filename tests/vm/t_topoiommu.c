// SPDX-License-Identifier: GPL-2.0
/*
 * The topology policy under an IOMMU (run.sh PB_VM_TOPO=wide
 * PB_VM_IOMMU=1): the same verdicts, the importer's addresses named IOVAs,
 * ACS redirect at the root ports told (to every caller), and a copy through
 * the host bridge by an IOVA the IOMMU translates.  QEMU's IOMMU also
 * translates peer traffic below a switch, which real switches turn around
 * before any IOMMU, so bus-address copies prove nothing here and are left
 * to the other rigs.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pbvm.h"
#include "topo_helpers.h"


/* the root port above @bdf */
static const char *root_port_of(const char *bdf)
{
	static char port[PB_BDF_LEN];
	char path[PATH_MAX], real[PATH_MAX], *p;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", bdf);
	ck_assert(realpath(path, real));
	/* /sys/devices/pci0000:00/<root port>/... */
	p = strchr(real + strlen("/sys/devices/"), '/');
	ck_assert(p);
	snprintf(port, sizeof(port), "%.12s", p + 1);
	return port;
}

static void iommu_setup(void)
{
	setup_ctx();
	topo_find(topo_wide, WIDE_NDEV);
}

START_TEST(check_verdicts_for_every_pair_under_an_iommu)
{
	topo_assert_every_pair(topo_wide, WIDE_NDEV, topo_wide_want, true);
}
END_TEST

START_TEST(copy_through_an_allowed_host_bridge_goes_by_an_iova_and_arrives)
{
	struct pb_copy_result res;

	ck_assert_int_eq(write_file(HB_POLICY, "allow"), 0);
	topo_copy_round_trip(topo_wide[W_IVC].bdf, 0x7337, &res);
	/* the engine wrote to an IOVA, not to the BAR's address */
	ck_assert_uint_ne(res.dst_dma, 0);
	ck_assert_uint_ne(res.dst_dma, bar_start(topo_wide[W_IVC].bdf, 2));
}
END_TEST

START_TEST(acs_redirect_bridges_are_named_to_every_caller)
{
	struct pb_path_info v;
	pid_t pid;
	int status;

	/* Linux turns ACS redirect on at QEMU's root ports for the IOMMU */
	topo_check(topo_wide[W_EDU].bdf, topo_wide[W_IVC].bdf, &v);
	ck_assert_msg(v.flags & PB_PATH_ACS_REDIRECT, "%s", v.reason_text);
	ck_assert_uint_eq(v.nr_acs, 2);
	/* the root ports above each: the path has no common bridge */
	ck_assert_str_eq(v.acs[0], root_port_of(topo_wide[W_EDU].bdf));
	ck_assert_str_eq(v.acs[1], root_port_of(topo_wide[W_IVC].bdf));

	/* it is no secret: nobody's user gets the same */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		struct pb_path_info u;
		struct pb_ctx *ctx;

		if (drop_to_nobody(true))
			_exit(10);
		ctx = pb_open();
		if (!ctx || pb_check(ctx, topo_wide[W_EDU].bdf,
				     topo_wide[W_IVC].bdf, &u))
			_exit(11);
		_exit(u.nr_acs == 2 && !strcmp(u.acs[0], v.acs[0]) &&
		      !strcmp(u.acs[1], v.acs[1]) ? 0 : 12);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "unprivileged CHECK: status %#x", status);
}
END_TEST

Suite *suite_topoiommu(void)
{
	Suite *s = suite_create("topoiommu");
	TCase *tc = tcase_create("iommu");

	tcase_add_checked_fixture(tc, iommu_setup, topo_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, check_verdicts_for_every_pair_under_an_iommu);
	tcase_add_test(tc, copy_through_an_allowed_host_bridge_goes_by_an_iova_and_arrives);
	tcase_add_test(tc, acs_redirect_bridges_are_named_to_every_caller);
	suite_add_tcase(s, tc);
	return s;
}
