// SPDX-License-Identifier: GPL-2.0
/* /dev/peerbridge ioctl ABI rules, one failure mode per test. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <peerbridge.h>
#include <uapi/peerbridge.h>

#include "pbvm.h"

static int ctl_fd = -1;

static void open_ctl(void)
{
	setup_bound();
	ctl_fd = open(PB_CTL_NODE, O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(ctl_fd, 0);
}

static void close_ctl(void)
{
	close(ctl_fd);
	check_kernel_health();
}

/* GET_INFO's first published size */
#define INFO_V1_SIZE	32

/* GET_INFO with a buffer of @argsz bytes; errno-style result */
static int get_info(void *buf, unsigned int argsz)
{
	struct peerbridge_info *info = buf;

	info->argsz = argsz;
	return ioctl(ctl_fd, PEERBRIDGE_GET_INFO, buf) ? errno : 0;
}

START_TEST(get_info_reports_abi_caps_and_regions)
{
	struct peerbridge_info info = { 0 };

	ck_assert_int_eq(get_info(&info, sizeof(info)), 0);
	ck_assert_uint_eq(info.argsz, sizeof(info));
	ck_assert_uint_eq(info.abi_major, PEERBRIDGE_ABI_MAJOR);
	ck_assert_uint_eq(info.abi_minor, PEERBRIDGE_ABI_MINOR);
	ck_assert(info.caps & PEERBRIDGE_CAP_REGIONS);
	ck_assert_uint_ge(info.nr_regions, 2);	/* VRAM and CMB */
}
END_TEST

/*
 * ABI 1's ioctl type (0xB7) is nsfs's and remoteproc's too: none of those
 * numbers means anything here any more.
 */
START_TEST(ioctl_numbers_of_abi_1_are_enotty)
{
	struct peerbridge_info info = { .argsz = sizeof(info) };
	unsigned int nr;

	for (nr = 0x40; nr <= 0x43; nr++)
		ck_assert_int_eq(ctl_ioctl(_IO(0xB7, nr), &info), ENOTTY);
	ck_assert_int_eq(ctl_ioctl(_IO(0xB7, 0x1), &info), ENOTTY); /* NS_GET_USERNS */
	ck_assert_uint_eq(PEERBRIDGE_ABI_MAJOR, 2);
}
END_TEST

START_TEST(get_info_argsz_below_v1_is_einval)
{
	struct peerbridge_info info = { 0 };

	/* v1 ended with reserved */
	ck_assert_int_eq(get_info(&info, INFO_V1_SIZE - 8), EINVAL);
}
END_TEST

START_TEST(get_info_unknown_flag_is_einval)
{
	struct peerbridge_info info = { .flags = 1 };

	ck_assert_int_eq(get_info(&info, sizeof(info)), EINVAL);
}
END_TEST

START_TEST(get_info_nonzero_reserved_is_einval)
{
	struct peerbridge_info info = { .reserved = 1 };

	ck_assert_int_eq(get_info(&info, sizeof(info)), EINVAL);
}
END_TEST

START_TEST(get_info_larger_argsz_with_zero_tail_is_accepted)
{
	unsigned char buf[sizeof(struct peerbridge_info) + 64] = { 0 };
	struct peerbridge_info *info = (void *)buf;

	ck_assert_int_eq(get_info(buf, sizeof(buf)), 0);
	ck_assert_uint_eq(info->abi_major, PEERBRIDGE_ABI_MAJOR);
	ck_assert_uint_eq(info->argsz, sizeof(*info));
}
END_TEST

START_TEST(get_info_larger_argsz_with_nonzero_tail_is_e2big)
{
	unsigned char buf[sizeof(struct peerbridge_info) + 64] = { 0 };

	buf[sizeof(buf) - 1] = 1;
	ck_assert_int_eq(get_info(buf, sizeof(buf)), E2BIG);
}
END_TEST

START_TEST(get_info_bad_pointer_is_efault)
{
	ck_assert_int_eq(ioctl(ctl_fd, PEERBRIDGE_GET_INFO, (void *)8), -1);
	ck_assert_int_eq(errno, EFAULT);
}
END_TEST

START_TEST(unknown_ioctl_is_enotty)
{
	struct peerbridge_info info = { .argsz = sizeof(info) };

	ck_assert_int_eq(ioctl(ctl_fd, _IO(PEERBRIDGE_TYPE, 0x7f), &info), -1);
	ck_assert_int_eq(errno, ENOTTY);
}
END_TEST

START_TEST(pb_open_checks_abi_and_closes)
{
	struct pb_ctx *ctx = pb_open();

	ck_assert_msg(ctx, "pb_open: %s", pb_strerror(errno));
	pb_close(ctx);
}
END_TEST

START_TEST(ctl_node_fd_is_close_on_exec_from_library)
{
	/* pb_open's descriptor must not leak into exec'd children */
	struct pb_ctx *ctx = pb_open();
	int fd, flags, found = 0;

	ck_assert(ctx);
	for (fd = 3; fd < 64; fd++) {
		char link[64], target[256];
		ssize_t n;

		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strcmp(target, PB_CTL_NODE) || fd == ctl_fd)
			continue;
		flags = fcntl(fd, F_GETFD);
		ck_assert(flags & FD_CLOEXEC);
		found = 1;
	}
	ck_assert(found);
	pb_close(ctx);
}
END_TEST

Suite *suite_ioctl(void)
{
	Suite *s = suite_create("ioctl");
	TCase *tc = tcase_create("get_info");

	tcase_add_checked_fixture(tc, open_ctl, close_ctl);
	tcase_add_test(tc, get_info_reports_abi_caps_and_regions);
	tcase_add_test(tc, get_info_argsz_below_v1_is_einval);
	tcase_add_test(tc, ioctl_numbers_of_abi_1_are_enotty);
	tcase_add_test(tc, get_info_unknown_flag_is_einval);
	tcase_add_test(tc, get_info_nonzero_reserved_is_einval);
	tcase_add_test(tc, get_info_larger_argsz_with_zero_tail_is_accepted);
	tcase_add_test(tc, get_info_larger_argsz_with_nonzero_tail_is_e2big);
	tcase_add_test(tc, get_info_bad_pointer_is_efault);
	tcase_add_test(tc, unknown_ioctl_is_enotty);
	tcase_add_test(tc, pb_open_checks_abi_and_closes);
	tcase_add_test(tc, ctl_node_fd_is_close_on_exec_from_library);
	suite_add_tcase(s, tc);
	return s;
}
