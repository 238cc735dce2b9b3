// SPDX-License-Identifier: GPL-2.0
/* Parsing and formatting helpers shared by the library and pbctl. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "pb_util.h"
#include "unit.h"

static int bdf(const char *in, char out[PB_BDF_LEN])
{
	out[0] = '\0';
	return pb_parse_bdf(in, out);
}

START_TEST(bdf_full_form_is_kept)
{
	char out[PB_BDF_LEN];

	ck_assert_int_eq(bdf("0000:03:00.0", out), 0);
	ck_assert_str_eq(out, "0000:03:00.0");
}
END_TEST

START_TEST(bdf_short_form_gets_domain_zero)
{
	char out[PB_BDF_LEN];

	ck_assert_int_eq(bdf("3:0.1", out), 0);
	ck_assert_str_eq(out, "0000:03:00.1");
}
END_TEST

START_TEST(bdf_upper_case_hex_is_lowered)
{
	char out[PB_BDF_LEN];

	ck_assert_int_eq(bdf("00AB:Cd:1F.7", out), 0);
	ck_assert_str_eq(out, "00ab:cd:1f.7");
}
END_TEST

static void assert_bdfs_refused(const char *const *bad, unsigned int n)
{
	char out[PB_BDF_LEN];
	unsigned int i;

	for (i = 0; i < n; i++) {
		errno = 0;
		ck_assert_msg(bdf(bad[i], out) == -1, "accepted '%s'", bad[i]);
		ck_assert_int_eq(errno, EINVAL);
	}
}

/* lspci -s takes the domain as a number: leading zeros are just zeros */
START_TEST(bdf_domain_is_a_number_like_lspci)
{
	char out[PB_BDF_LEN];

	ck_assert_int_eq(bdf("00000:03:00.0", out), 0);
	ck_assert_str_eq(out, "0000:03:00.0");
	ck_assert_int_eq(bdf("1:3:0.0", out), 0);
	ck_assert_str_eq(out, "0001:03:00.0");
}
END_TEST

/* a selector that matches many devices, or none we can name, is no BDF */
START_TEST(bdf_rejects_wildcards_and_domains_above_ffff)
{
	static const char *const bad[] = {
		"*:03:00.0", "03:*.0", "03:00.*", "03:00", "10000:03:00.0",
	};

	assert_bdfs_refused(bad, sizeof(bad) / sizeof(bad[0]));
}
END_TEST

START_TEST(bdf_rejects_out_of_range_and_junk)
{
	static const char *const bad[] = {
		"", "03:00", "03:20.0", "03:00.8", "100:00.0", "0:0:0:0.0",
		"03:00.0x", "g3:00.0", "03.00.0", ":00.0",
		"0000:03:00.", "0000::00.0", "0x03:00.0", " 03:00.0",
	};

	assert_bdfs_refused(bad, sizeof(bad) / sizeof(bad[0]));
}
END_TEST

START_TEST(size_formats_whole_units)
{
	char buf[24];

	pb_format_size(64ULL << 20, buf, sizeof(buf));
	ck_assert_str_eq(buf, "64M");
	pb_format_size(16ULL << 30, buf, sizeof(buf));
	ck_assert_str_eq(buf, "16G");
	pb_format_size(4096, buf, sizeof(buf));
	ck_assert_str_eq(buf, "4K");
}
END_TEST

START_TEST(size_formats_bytes_and_fractions)
{
	char buf[24];

	pb_format_size(0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "0");
	pb_format_size(1023, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1023");
	pb_format_size(3ULL << 29, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1.5G");
	pb_format_size(UINT64_MAX, buf, sizeof(buf));
	ck_assert_str_eq(buf, "16.0E");
}
END_TEST

START_TEST(u64_parses_decimal_and_hex_only_whole)
{
	uint64_t v;

	ck_assert_int_eq(pb_parse_u64("67108864", &v), 0);
	ck_assert_uint_eq(v, 67108864);
	ck_assert_int_eq(pb_parse_u64("0x40000", &v), 0);
	ck_assert_uint_eq(v, 0x40000);
	ck_assert_int_eq(pb_parse_u64("18446744073709551615", &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	ck_assert_int_eq(pb_parse_u64("18446744073709551616", &v), -1);
	ck_assert_int_eq(errno, ERANGE);
	ck_assert_int_eq(pb_parse_u64("-1", &v), -1);
	ck_assert_int_eq(pb_parse_u64("12k", &v), -1);
	ck_assert_int_eq(pb_parse_u64("", &v), -1);
}
END_TEST

START_TEST(region_name_strips_node_dir_and_rejects_paths)
{
	char out[PB_REGION_NAME_MAX];

	ck_assert_int_eq(pb_region_name("/dev/pbmem/0000:03:00.0-bar2", out,
					sizeof(out)), 0);
	ck_assert_str_eq(out, "0000:03:00.0-bar2");
	ck_assert_int_eq(pb_region_name("0000:03:00.0-cmb", out, sizeof(out)),
			 0);
	ck_assert_str_eq(out, "0000:03:00.0-cmb");
	ck_assert_int_eq(pb_region_name("../x", out, sizeof(out)), -1);
	ck_assert_int_eq(pb_region_name("/dev/pbmem/", out, sizeof(out)), -1);
	ck_assert_int_eq(pb_region_name("..", out, sizeof(out)), -1);
	ck_assert_int_eq(pb_region_name("/etc/passwd", out, sizeof(out)), -1);
}
END_TEST

START_TEST(region_name_too_long_is_einval)
{
	char in[PB_REGION_NAME_MAX + 8], out[PB_REGION_NAME_MAX];

	memset(in, 'a', sizeof(in) - 1);
	in[sizeof(in) - 1] = '\0';
	ck_assert_int_eq(pb_region_name(in, out, sizeof(out)), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

/* what pb_parse_size() makes of each input: its value, or -1 and errno */
struct size_case {
	const char *in;
	uint64_t want;		/* when err is 0 */
	int err;
};

static void check_sizes(const struct size_case *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t v = 0;
		int ret;

		errno = 0;
		ret = pb_parse_size(c[i].in, &v);
		if (c[i].err)
			ck_assert_msg(ret == -1 && errno == c[i].err,
				      "\"%s\": %d, errno %d, wanted errno %d",
				      c[i].in, ret, errno, c[i].err);
		else
			ck_assert_msg(!ret && v == c[i].want,
				      "\"%s\": %d, %llu, wanted %llu", c[i].in,
				      ret, (unsigned long long)v,
				      (unsigned long long)c[i].want);
	}
}

#define OK(in, want)	{ (in), (want), 0 }
#define BAD(in, err)	{ (in), 0, (err) }
#define CHECK_SIZES(...)						\
	do {								\
		static const struct size_case cases[] = { __VA_ARGS__ };	\
		check_sizes(cases, sizeof(cases) / sizeof(cases[0]));	\
	} while (0)

START_TEST(size_parses_binary_suffixes)
{
	CHECK_SIZES(OK("64K", 65536), OK("16M", 16ULL << 20),
		    OK("2G", 2ULL << 30), OK("0x1000", 4096), OK("8253", 8253));
}
END_TEST

START_TEST(size_rejects_junk_and_overflow)
{
	CHECK_SIZES(BAD("", EINVAL), BAD("K", EINVAL), BAD("KB", EINVAL),
		    BAD("4iB", EINVAL), BAD("4KK", EINVAL),
		    BAD("4P", EINVAL), BAD("-4K", EINVAL),
		    BAD("17179869184G", ERANGE), BAD("16777216T", ERANGE));
}
END_TEST

START_TEST(size_leading_zero_is_decimal_not_octal)
{
	uint64_t v;

	/* hex takes no suffix: 0x1B is 27, not 1 byte */
	CHECK_SIZES(OK("010", 10), OK("08", 8), OK("0x10", 16), OK("0x1B", 27),
		    BAD("0x10K", EINVAL));
	ck_assert_int_eq(pb_parse_u64("010", &v), 0);
	ck_assert_uint_eq(v, 10);
}
END_TEST

START_TEST(size_takes_lower_case_units_and_ib_or_b)
{
	CHECK_SIZES(OK("4k", 4096), OK("4KiB", 4096), OK("4kB", 4096),
		    OK("4096B", 4096), OK("2MiB", 2ULL << 20), OK("1t", 1ULL << 40));
}
END_TEST

START_TEST(size_fraction_must_come_to_whole_bytes)
{
	/* 0.3K is 307.2 bytes; 1.5 has no unit */
	CHECK_SIZES(OK("1.5M", 3ULL << 19), OK("0.5K", 512),
		    OK("2.25GiB", 9ULL << 28), BAD("0.3K", EINVAL),
		    BAD("1.5", EINVAL), BAD("1.K", EINVAL), BAD(".5K", EINVAL),
		    BAD("1.5.5K", EINVAL));
}
END_TEST

Suite *suite_util(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("util");

	tcase_add_test(tc, bdf_full_form_is_kept);
	tcase_add_test(tc, bdf_short_form_gets_domain_zero);
	tcase_add_test(tc, bdf_upper_case_hex_is_lowered);
	tcase_add_test(tc, bdf_rejects_out_of_range_and_junk);
	tcase_add_test(tc, bdf_domain_is_a_number_like_lspci);
	tcase_add_test(tc, bdf_rejects_wildcards_and_domains_above_ffff);
	tcase_add_test(tc, size_formats_whole_units);
	tcase_add_test(tc, size_formats_bytes_and_fractions);
	tcase_add_test(tc, u64_parses_decimal_and_hex_only_whole);
	tcase_add_test(tc, region_name_strips_node_dir_and_rejects_paths);
	tcase_add_test(tc, region_name_too_long_is_einval);
	tcase_add_test(tc, size_parses_binary_suffixes);
	tcase_add_test(tc, size_rejects_junk_and_overflow);
	tcase_add_test(tc, size_leading_zero_is_decimal_not_octal);
	tcase_add_test(tc, size_takes_lower_case_units_and_ib_or_b);
	tcase_add_test(tc, size_fraction_must_come_to_whole_bytes);
	suite_add_tcase(s, tc);
	return s;
}
