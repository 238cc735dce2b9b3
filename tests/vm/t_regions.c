// SPDX-License-Identifier: GPL-2.0
/* Binding devices to the generic PCI exporter and the regions it makes. */
#include <stdio.h>
#include <string.h>

#include "pbvm.h"

START_TEST(bind_ivshmem_creates_64m_bar2_region)
{
	char drv[64];

	bind_dev(g_ivshmem);
	driver_of(g_ivshmem, drv, sizeof(drv));
	ck_assert_str_eq(drv, "peerbridge");
	ck_assert(region_exists(g_vram));
	ck_assert_uint_eq(region_attr(g_vram, "size"), 64 * MiB);
	ck_assert_uint_eq(region_attr(g_vram, "bar"), 2);
	ck_assert_uint_eq(region_attr(g_vram, "offset"), 0);
	ck_assert_uint_eq(region_attr(g_vram, "wc"), 1);
}
END_TEST

START_TEST(bind_ivshmem_never_exports_register_bar0)
{
	char name[PB_REGION_NAME_MAX];

	region_name(g_ivshmem, "bar0", name, sizeof(name));
	ck_assert(!region_exists(name));
}
END_TEST

START_TEST(bind_nvme_takes_device_from_nvme_driver)
{
	char drv[64];

	/* the fixture bound it; give it back first so pbctl must take it */
	unbind_dev(g_nvme);
	driver_of(g_nvme, drv, sizeof(drv));
	ck_assert_str_eq(drv, "nvme");
	bind_dev(g_nvme);
	driver_of(g_nvme, drv, sizeof(drv));
	ck_assert_str_eq(drv, "peerbridge");
}
END_TEST

START_TEST(bind_nvme_creates_16m_cmb_region_instead_of_its_bar)
{
	char bar2[PB_REGION_NAME_MAX];

	ck_assert(region_exists(g_cmb));
	ck_assert_uint_eq(region_attr(g_cmb, "size"), 16 * MiB);
	ck_assert_uint_eq(region_attr(g_cmb, "bar"), 2);
	region_name(g_nvme, "bar2", bar2, sizeof(bar2));
	ck_assert(!region_exists(bar2));
}
END_TEST

START_TEST(bind_vga_exports_prefetchable_vram_bar_only)
{
	char bar0[PB_REGION_NAME_MAX], bar2[PB_REGION_NAME_MAX];

	bind_dev(g_vga);
	region_name(g_vga, "bar0", bar0, sizeof(bar0));
	region_name(g_vga, "bar2", bar2, sizeof(bar2));
	ck_assert(region_exists(bar0));
	ck_assert_uint_eq(region_attr(bar0, "size"), 16 * MiB);
	ck_assert(!region_exists(bar2));	/* MMIO registers */
	unbind_dev(g_vga);
	ck_assert(!region_exists(bar0));
}
END_TEST

START_TEST(bind_twice_is_idempotent)
{
	bind_dev(g_ivshmem);
	bind_dev(g_ivshmem);
	ck_assert(region_exists(g_vram));
}
END_TEST

START_TEST(unbind_nvme_returns_it_to_nvme_driver)
{
	char drv[64];

	unbind_dev(g_nvme);
	ck_assert(!region_exists(g_cmb));
	driver_of(g_nvme, drv, sizeof(drv));
	ck_assert_str_eq(drv, "nvme");
}
END_TEST

START_TEST(unbind_of_device_not_bound_fails_with_exit_1)
{
	ck_assert_int_eq(pbctl("unbind %s", g_vga), 1);
}
END_TEST

START_TEST(bind_of_absent_device_fails_with_exit_1)
{
	ck_assert_int_eq(pbctl("bind 0000:7f:1f.7"), 1);
}
END_TEST

START_TEST(pbctl_list_json_reports_exact_sizes)
{
	char out[8192], want[256];

	ck_assert_int_eq(pbctl_output(out, sizeof(out), "-j list"), 0);
	ck_assert_msg(strstr(out, "\"schema\": 2"), "%s", out);
	snprintf(want, sizeof(want),
		 "\"name\": \"%s\", \"device\": \"%s\", \"bar\": 2, \"offset\": 0, \"size\": 67108864, \"state\": \"live\"",
		 g_vram, g_ivshmem);
	ck_assert_msg(strstr(out, want), "missing %s in %s", want, out);
	snprintf(want, sizeof(want), "\"name\": \"%s\"", g_cmb);
	ck_assert_msg(strstr(out, want), "missing %s in %s", want, out);
}
END_TEST

START_TEST(pbctl_list_text_shows_sizes_for_people)
{
	char out[8192];

	ck_assert_int_eq(pbctl_output(out, sizeof(out), "list"), 0);
	ck_assert_msg(strstr(out, "REGION"), "%s", out);
	ck_assert_msg(strstr(out, g_vram) && strstr(out, "64M"), "%s", out);
	ck_assert_msg(strstr(out, g_cmb) && strstr(out, "16M"), "%s", out);
}
END_TEST

Suite *suite_regions(void)
{
	Suite *s = suite_create("regions");
	TCase *tc = tcase_create("regions");

	tcase_add_checked_fixture(tc, setup_bound, check_kernel_health);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, bind_ivshmem_creates_64m_bar2_region);
	tcase_add_test(tc, bind_ivshmem_never_exports_register_bar0);
	tcase_add_test(tc, bind_nvme_takes_device_from_nvme_driver);
	tcase_add_test(tc, bind_nvme_creates_16m_cmb_region_instead_of_its_bar);
	tcase_add_test(tc, bind_vga_exports_prefetchable_vram_bar_only);
	tcase_add_test(tc, bind_twice_is_idempotent);
	tcase_add_test(tc, unbind_nvme_returns_it_to_nvme_driver);
	tcase_add_test(tc, unbind_of_device_not_bound_fails_with_exit_1);
	tcase_add_test(tc, bind_of_absent_device_fails_with_exit_1);
	tcase_add_test(tc, pbctl_list_json_reports_exact_sizes);
	tcase_add_test(tc, pbctl_list_text_shows_sizes_for_people);
	suite_add_tcase(s, tc);
	return s;
}
