// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel lockdown (stock kernels only: they carry the lockdown LSM).  Raw
 * BAR access is what lockdown's "integrity" level takes away from sysfs
 * resourceN; peerbridge's region nodes and generic exporter are the same
 * access and must go with it.  Lockdown cannot be lowered again, so this
 * suite runs last.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <unistd.h>

#include "pbvm.h"

#define LOCKDOWN "/sys/kernel/security/lockdown"

static void raise_lockdown(void)
{
	char text[128];

	if (access(LOCKDOWN, F_OK))
		mount("none", "/sys/kernel/security", "securityfs", 0, NULL);
	ck_assert_msg(!pb_read_text(LOCKDOWN, text, sizeof(text)),
		      "no lockdown LSM: %s", strerror(errno));
	/* the level can only be raised: once is enough */
	if (!strstr(text, "[integrity]"))
		ck_assert_int_eq(write_file(LOCKDOWN, "integrity"), 0);
	ck_assert(!pb_read_text(LOCKDOWN, text, sizeof(text)));
	ck_assert_msg(strstr(text, "[integrity]"), "lockdown: %s", text);
}

static void lockdown_setup(void)
{
	setup_ctx();
	raise_lockdown();
}

/*
 * A dma-buf exported before lockdown (the first test of the suite, the one
 * that raises it) is no raw BAR access afterwards: mmap of it is refused,
 * as is exporting a region by its node.
 */
START_TEST(dmabuf_mmap_and_export_region_under_lockdown_are_eperm)
{
	int fd = pb_export_region(g_ctx, g_vram, 0, 4096, PB_EXPORT_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	raise_lockdown();
	ck_assert(mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_int_eq(pb_export_region(g_ctx, g_vram, 0, 4096, 0), -1);
	ck_assert_int_eq(errno, EPERM);
	close(fd);
}
END_TEST

START_TEST(mmap_of_a_region_node_under_lockdown_is_eperm)
{
	int fd = open_region(g_vram);
	void *p;

	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert(p == MAP_FAILED);
	ck_assert_int_eq(errno, EPERM);
	close(fd);
}
END_TEST

START_TEST(bind_of_the_generic_exporter_under_lockdown_is_refused)
{
	char region[PB_REGION_NAME_MAX], drv[64];

	region_name(g_nvme, "cmb", region, sizeof(region));
	ck_assert_int_eq(write_file("/sys/bus/pci/drivers/peerbridge/unbind",
				    g_nvme), 0);
	ck_assert_int_eq(write_file("/sys/bus/pci/drivers/peerbridge/bind",
				    g_nvme), EPERM);
	driver_of(g_nvme, drv, sizeof(drv));
	ck_assert_str_ne(drv, "peerbridge");
	ck_assert(!region_exists(region));
}
END_TEST

/*
 * pbctl bind of a device its own driver has, under lockdown: peerbridge's
 * probe fails, and pbctl gives the controller back to nvme rather than
 * leave it driverless with driver_override set.
 */
START_TEST(pbctl_bind_that_fails_gives_the_device_back_to_its_driver)
{
	char out[4096], drv[64], path[PATH_MAX], text[64];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override",
		 g_nvme);
	driver_of(g_nvme, drv, sizeof(drv));
	if (strcmp(drv, "nvme")) {
		if (drv[0])
			unbind_dev(g_nvme);
		ck_assert_int_eq(write_file(path, "\n"), 0);
		write_file("/sys/bus/pci/drivers/nvme/bind", g_nvme);
	}
	driver_of(g_nvme, drv, sizeof(drv));
	ck_assert_str_eq(drv, "nvme");

	ck_assert_int_eq(pbctl_output(out, sizeof(out), "bind %s 2>&1", g_nvme), 1);
	ck_assert_msg(strstr(out, "rolled back: driver_override cleared, bound to nvme again"),
		      "%s", out);
	driver_of(g_nvme, drv, sizeof(drv));
	ck_assert_str_eq(drv, "nvme");
	ck_assert_int_eq(pb_read_text(path, text, sizeof(text)), 0);
	ck_assert_str_eq(text, "(null)");
}
END_TEST

static void rollback_setup(void)
{
	find_pci(ID_NVME, 0, g_nvme);
	raise_lockdown();
}

Suite *suite_lockdown(void)
{
	Suite *s = suite_create("lockdown");
	TCase *tr = tcase_create("raising"), *tc = tcase_create("integrity");
	TCase *tb = tcase_create("pbctl");

	tcase_add_checked_fixture(tr, setup_ctx, teardown_ctx);
	tcase_add_test(tr, dmabuf_mmap_and_export_region_under_lockdown_are_eperm);
	suite_add_tcase(s, tr);

	tcase_add_checked_fixture(tc, lockdown_setup, teardown_ctx);
	tcase_add_test(tc, mmap_of_a_region_node_under_lockdown_is_eperm);
	tcase_add_test(tc, bind_of_the_generic_exporter_under_lockdown_is_refused);
	suite_add_tcase(s, tc);

	/* after the tests above: setup_bound() cannot bind under lockdown */
	tcase_add_checked_fixture(tb, rollback_setup, NULL);
	tcase_add_test(tb, pbctl_bind_that_fails_gives_the_device_back_to_its_driver);
	suite_add_tcase(s, tb);
	return s;
}
