// SPDX-License-Identifier: GPL-2.0
/*
 * libpeerbridge without a kernel: ABI surface, argument checks, and the
 * library's side of each call's errors, with /dev/peerbridge faked by
 * interposing open() and ioctl() in this process.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <uapi/peerbridge.h>
#include <peerbridge.h>

#include "unit.h"

/* one name per line, sorted, into buf */
static void names(const char *cmd, char *buf, size_t bufsz)
{
	FILE *f = popen(cmd, "r");
	size_t n;

	ck_assert(f);
	n = fread(buf, 1, bufsz - 1, f);
	buf[n] = '\0';
	ck_assert_int_eq(pclose(f), 0);
}

START_TEST(exported_symbols_are_exactly_the_version_script)
{
	char exported[4096], script[4096];

	names("nm -D --defined-only " PB_BUILD_DIR "/lib/libpeerbridge.so"
	      " | awk '$2 == \"T\" {sub(/@.*/, \"\", $3); print $3}' | sort",
	      exported, sizeof(exported));
	names("sed -n 's/^[[:space:]]*\\(pb_[a-z_]*\\);.*/\\1/p' "
	      PB_SRC_DIR "/lib/libpeerbridge.map | sort",
	      script, sizeof(script));
	ck_assert_msg(strlen(script) > 0, "no symbols in the version script");
	ck_assert_str_eq(exported, script);
}
END_TEST

START_TEST(every_exported_function_has_a_man_page)
{
	char missing[4096];

	names("for f in $(sed -n 's/^[[:space:]]*\\(pb_[a-z_]*\\);.*/\\1/p' "
	      PB_SRC_DIR "/lib/libpeerbridge.map); do "
	      "test -f " PB_SRC_DIR "/man/$f.3 || printf \"%s \" $f; done",
	      missing, sizeof(missing));
	ck_assert_msg(!missing[0], "no man page for: %s", missing);
}
END_TEST

START_TEST(pb_map_without_context_is_einval)
{
	size_t len;

	errno = 0;
	ck_assert_ptr_null(pb_map(NULL, "0000:03:00.0-bar2", &len));
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(pb_close_of_null_is_harmless)
{
	pb_close(NULL);
}
END_TEST

START_TEST(pb_strerror_explains_peerbridge_meanings)
{
	ck_assert_ptr_nonnull(strstr(pb_strerror(EPROTO), "ABI"));
	ck_assert_str_eq(pb_strerror(ENOMEM), strerror(ENOMEM));
	ck_assert_ptr_nonnull(pb_strerror(123456));
}
END_TEST

/*
 * The fake /dev/peerbridge: open() of it gives /dev/null (or fails with
 * fake.open_err), GET_INFO answers as this ABI, and the request fake.req
 * fails with fake.err the first fake.fails times (-1: always).
 */
static struct {
	int on, open_err, fd, minor;
	unsigned long req;
	int err, fails, calls;
} fake;

static void fake_fail(unsigned long req, int err, int fails)
{
	fake.on = 1;
	fake.req = req;
	fake.err = err;
	fake.fails = fails;
}

int open(const char *path, int flags, ...)
{
	int (*real)(const char *, int, ...) = dlsym(RTLD_NEXT, "open");
	mode_t mode = 0;
	va_list ap;

	if (flags & O_CREAT) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (!fake.on || strcmp(path, "/dev/peerbridge"))
		return real(path, flags, mode);
	if (fake.open_err) {
		errno = fake.open_err;
		return -1;
	}
	fake.fd = real("/dev/null", flags);
	return fake.fd;
}

int ioctl(int fd, unsigned long req, ...)
{
	int (*real)(int, unsigned long, ...) = dlsym(RTLD_NEXT, "ioctl");
	void *arg;
	va_list ap;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!fake.on || fd != fake.fd)
		return real(fd, req, arg);
	if (req == fake.req) {
		fake.calls++;
		if (fake.fails < 0 || fake.calls <= fake.fails) {
			errno = fake.err;
			return -1;
		}
	}
	if (req == PEERBRIDGE_GET_INFO) {
		struct peerbridge_info *info = arg;

		info->abi_major = PEERBRIDGE_ABI_MAJOR;
		info->abi_minor = fake.minor ? fake.minor : PEERBRIDGE_ABI_MINOR;
		info->caps = PEERBRIDGE_CAP_COPY;
		info->nr_regions = 3;
	}
	return 0;
}

static struct pb_ctx *fake_open(void)
{
	struct pb_ctx *ctx;

	fake.on = 1;
	ctx = pb_open();
	ck_assert_msg(ctx, "pb_open on the fake node: %s", strerror(errno));
	return ctx;
}

/* @msg has @want and none of the words that would name another cause */
static void assert_says(const char *msg, const char *want, const char *never)
{
	ck_assert_msg(strstr(msg, want), "\"%s\" does not say \"%s\"", msg, want);
	ck_assert_msg(!never || !strstr(msg, never), "\"%s\" says \"%s\"",
		      msg, never);
}

START_TEST(open_without_module_says_not_loaded)
{
	fake.on = 1;
	fake.open_err = ENOENT;
	ck_assert_ptr_null(pb_open());
	ck_assert_int_eq(errno, ENOENT);
	assert_says(pb_strerror(errno), "peerbridge.ko is not loaded", "region");
}
END_TEST

START_TEST(open_without_permission_names_the_group)
{
	fake.on = 1;
	fake.open_err = EACCES;
	ck_assert_ptr_null(pb_open());
	ck_assert_int_eq(errno, EACCES);
	assert_says(pb_strerror(errno), "group peerbridge", "region node");
}
END_TEST

static int fake_copy(int err)
{
	struct pb_ctx *ctx = fake_open();
	char a[64], b[64];
	struct pb_buf dst = { .type = PB_BUF_VA, .addr = a };
	struct pb_buf src = { .type = PB_BUF_VA, .addr = b };
	int ret;

	fake_fail(PEERBRIDGE_COPY, err, -1);
	ret = pb_copy(ctx, &dst, &src, sizeof(a), 0);
	ck_assert_int_eq(ret, -1);
	ck_assert_int_eq(errno, err);
	pb_close(ctx);
	return errno;
}

START_TEST(copy_without_dma_channel_says_no_channel)
{
	assert_says(pb_strerror(fake_copy(ENXIO)), "no DMA channel", "revoked");
}
END_TEST

START_TEST(copy_refused_by_topology_says_the_channel_cannot_reach_both_sides)
{
	assert_says(pb_strerror(fake_copy(EXDEV)),
		    "channel cannot reach both sides", NULL);
}
END_TEST

START_TEST(copy_of_revoked_memory_says_revoked)
{
	assert_says(pb_strerror(fake_copy(ENODEV)), "revoked", "no DMA channel:");
}
END_TEST

/* before ABI 2.3 the module said ENODEV for both */
START_TEST(copy_enodev_from_a_2_2_module_names_both_causes)
{
	fake.minor = 2;
	assert_says(pb_strerror(fake_copy(ENODEV)), "no DMA_MEMCPY channel",
		    NULL);
	assert_says(pb_strerror(ENODEV), "revoked", NULL);
}
END_TEST

START_TEST(query_of_ordinary_memory_says_not_peer_memory)
{
	struct pb_ctx *ctx = fake_open();
	struct pb_range_info info;
	char buf[64];

	fake_fail(PEERBRIDGE_QUERY, ENOENT, -1);
	ck_assert_int_eq(pb_query(ctx, buf, sizeof(buf), &info), -1);
	ck_assert_int_eq(errno, ENOENT);
	assert_says(pb_strerror(errno), "not peer memory", "not loaded");
	pb_close(ctx);
}
END_TEST

START_TEST(map_of_missing_region_says_no_such_region)
{
	struct pb_ctx *ctx = fake_open();
	size_t len;

	setenv("PEERBRIDGE_SYSFS", "/nonexistent", 1);
	ck_assert_ptr_null(pb_map(ctx, "0000:03:00.0-bar2", &len));
	ck_assert_int_eq(errno, ENOENT);
	assert_says(pb_strerror(errno), "no such region", "not loaded");
	pb_close(ctx);
}
END_TEST

/* what a call means by an errno value is that call's, not the one before */
START_TEST(message_follows_the_last_call)
{
	struct pb_ctx *ctx = fake_open();
	struct pb_range_info info;
	char buf[64];

	fake_copy(ENXIO);
	fake_fail(PEERBRIDGE_QUERY, ENODEV, -1);
	ck_assert_int_eq(pb_query(ctx, buf, sizeof(buf), &info), -1);
	assert_says(pb_strerror(ENODEV), "revoked", "DMA");
	pb_close(ctx);
}
END_TEST

START_TEST(eagain_is_retried_a_bounded_number_of_times)
{
	struct pb_ctx *ctx = fake_open();
	struct pb_range_info info;
	char buf[64];

	fake_fail(PEERBRIDGE_QUERY, EAGAIN, -1);
	ck_assert_int_eq(pb_query(ctx, buf, sizeof(buf), &info), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_int_eq(fake.calls, 10);
	assert_says(pb_strerror(errno), "try again", NULL);
	pb_close(ctx);
}
END_TEST

START_TEST(eagain_then_success_succeeds)
{
	struct pb_ctx *ctx = fake_open();
	struct pb_range_info info;
	char buf[64];

	fake_fail(PEERBRIDGE_QUERY, EAGAIN, 3);
	ck_assert_int_eq(pb_query(ctx, buf, sizeof(buf), &info), 0);
	ck_assert_int_eq(fake.calls, 4);
	pb_close(ctx);
}
END_TEST

START_TEST(get_info_reports_the_module)
{
	struct pb_ctx *ctx = fake_open();
	struct pb_info info;

	memset(&info, 0xff, sizeof(info));
	ck_assert_int_eq(pb_get_info(ctx, &info), 0);
	ck_assert_uint_eq(info.abi_major, PEERBRIDGE_ABI_MAJOR);
	ck_assert_uint_eq(info.abi_minor, PEERBRIDGE_ABI_MINOR);
	ck_assert_uint_eq(info.nr_regions, 3);
	ck_assert_uint_eq(info.caps, PB_CAP_COPY);
	/* no optional fields filled, whatever the caller's struct claimed */
	ck_assert_uint_eq(info.comp_mask, 0);
	pb_close(ctx);
}
END_TEST

START_TEST(copy_side_with_unknown_comp_mask_is_einval)
{
	struct pb_ctx *ctx = fake_open();
	char a[64], b[64];
	struct pb_buf dst = { .type = PB_BUF_VA, .addr = a };
	struct pb_buf src = { .comp_mask = 1, .type = PB_BUF_VA, .addr = b };

	ck_assert_int_eq(pb_copy(ctx, &dst, &src, sizeof(a), 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(fake.calls, 0);
	pb_close(ctx);
}
END_TEST

START_TEST(version_is_major_minor_patch)
{
	unsigned int a, b, c;
	char end;

	ck_assert_int_eq(sscanf(pb_version(), "%u.%u.%u%c", &a, &b, &c, &end), 3);
}
END_TEST

/*
 * The ioctl ABI as published: a field that moves or a structure that
 * changes size breaks every binary built before it.
 */
static const struct {
	const char *what;
	size_t is, was;
} uapi_layout[] = {
#define SIZE(s, n)	{ #s, sizeof(struct s), n }
#define AT(s, f, n)	{ #s "." #f, offsetof(struct s, f), n }
#define NR(r, n)	{ #r, r, n }
	SIZE(peerbridge_info, 40),
	AT(peerbridge_info, abi_major, 8), AT(peerbridge_info, caps, 16),
	AT(peerbridge_info, nr_regions, 24), AT(peerbridge_info, kconfig, 32),
	SIZE(peerbridge_export, 40),
	AT(peerbridge_export, addr, 8), AT(peerbridge_export, len, 16),
	AT(peerbridge_export, fd, 24), AT(peerbridge_export, out_flags, 28),
	AT(peerbridge_export, reserved, 32),
	SIZE(peerbridge_query, 160),
	AT(peerbridge_query, addr, 8), AT(peerbridge_query, offset, 24),
	AT(peerbridge_query, bar, 48), AT(peerbridge_query, region, 56),
	AT(peerbridge_query, device, 120), AT(peerbridge_query, reserved, 152),
	SIZE(peerbridge_copy_side, 16),
	AT(peerbridge_copy_side, fd, 4), AT(peerbridge_copy_side, addr, 8),
	SIZE(peerbridge_copy, 144),
	AT(peerbridge_copy, dst, 8), AT(peerbridge_copy, src, 24),
	AT(peerbridge_copy, len, 40), AT(peerbridge_copy, copied, 48),
	AT(peerbridge_copy, dst_dma, 56), AT(peerbridge_copy, channel, 72),
	AT(peerbridge_copy, engine, 104), AT(peerbridge_copy, reserved, 136),
	SIZE(peerbridge_pci_addr, 8),
	AT(peerbridge_pci_addr, bus, 4), AT(peerbridge_pci_addr, devfn, 5),
	SIZE(peerbridge_check, 136),
	AT(peerbridge_check, exporter, 8), AT(peerbridge_check, importer, 16),
	AT(peerbridge_check, common, 24), AT(peerbridge_check, path, 32),
	AT(peerbridge_check, facts, 48), AT(peerbridge_check, acs, 64),
	AT(peerbridge_check, reserved, 128),
	NR(PEERBRIDGE_GET_INFO, 0xc740), NR(PEERBRIDGE_EXPORT, 0xc741),
	NR(PEERBRIDGE_QUERY, 0xc742), NR(PEERBRIDGE_COPY, 0xc743),
	NR(PEERBRIDGE_CHECK, 0xc744),
#undef SIZE
#undef AT
#undef NR
};

START_TEST(uapi_structs_keep_their_sizes_and_offsets)
{
	size_t i;

	for (i = 0; i < sizeof(uapi_layout) / sizeof(uapi_layout[0]); i++)
		ck_assert_msg(uapi_layout[i].is == uapi_layout[i].was,
			      "%s: %zu, published as %zu", uapi_layout[i].what,
			      uapi_layout[i].is, uapi_layout[i].was);
}
END_TEST

Suite *suite_library(void)
{
	Suite *s = suite_create("library");
	TCase *tc = tcase_create("library");

	tcase_add_test(tc, exported_symbols_are_exactly_the_version_script);
	tcase_add_test(tc, every_exported_function_has_a_man_page);
	tcase_add_test(tc, pb_map_without_context_is_einval);
	tcase_add_test(tc, pb_close_of_null_is_harmless);
	tcase_add_test(tc, pb_strerror_explains_peerbridge_meanings);
	tcase_add_test(tc, open_without_module_says_not_loaded);
	tcase_add_test(tc, open_without_permission_names_the_group);
	tcase_add_test(tc, copy_without_dma_channel_says_no_channel);
	tcase_add_test(tc, copy_refused_by_topology_says_the_channel_cannot_reach_both_sides);
	tcase_add_test(tc, copy_of_revoked_memory_says_revoked);
	tcase_add_test(tc, copy_enodev_from_a_2_2_module_names_both_causes);
	tcase_add_test(tc, query_of_ordinary_memory_says_not_peer_memory);
	tcase_add_test(tc, map_of_missing_region_says_no_such_region);
	tcase_add_test(tc, message_follows_the_last_call);
	tcase_add_test(tc, eagain_is_retried_a_bounded_number_of_times);
	tcase_add_test(tc, eagain_then_success_succeeds);
	tcase_add_test(tc, get_info_reports_the_module);
	tcase_add_test(tc, copy_side_with_unknown_comp_mask_is_einval);
	tcase_add_test(tc, version_is_major_minor_patch);
	tcase_add_test(tc, uapi_structs_keep_their_sizes_and_offsets);
	suite_add_tcase(s, tc);
	return s;
}
