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

START_TEST(bdf_rejects_out_of_range_and_junk)
{
	static const char *const bad[] = {
		"", "03:00", "03:20.0", "03:00.8", "100:00.0", "0:0:0:0.0",
		"03:00.0x", "g3:00.0", "00000:03:00.0", "03.00.0", ":00.0",
		"0000:03:00.", "0000::00.0",
	};
	char out[PB_BDF_LEN];
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		ck_assert_msg(bdf(bad[i], out) == -1, "accepted '%s'", bad[i]);
		ck_assert_int_eq(errno, EINVAL);
	}
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

START_TEST(size_parses_binary_suffixes)
{
	uint64_t v;

	ck_assert_int_eq(pb_parse_size("64K", &v), 0);
	ck_assert_uint_eq(v, 65536);
	ck_assert_int_eq(pb_parse_size("16M", &v), 0);
	ck_assert_uint_eq(v, 16ULL << 20);
	ck_assert_int_eq(pb_parse_size("2G", &v), 0);
	ck_assert_uint_eq(v, 2ULL << 30);
	ck_assert_int_eq(pb_parse_size("0x1000", &v), 0);
	ck_assert_uint_eq(v, 4096);
	ck_assert_int_eq(pb_parse_size("8253", &v), 0);
	ck_assert_uint_eq(v, 8253);
}
END_TEST

START_TEST(size_rejects_junk_and_overflow)
{
	uint64_t v;

	ck_assert_int_eq(pb_parse_size("", &v), -1);
	ck_assert_int_eq(pb_parse_size("K", &v), -1);
	ck_assert_int_eq(pb_parse_size("KB", &v), -1);
	ck_assert_int_eq(pb_parse_size("4iB", &v), -1);
	ck_assert_int_eq(pb_parse_size("4KK", &v), -1);
	ck_assert_int_eq(pb_parse_size("4P", &v), -1);
	ck_assert_int_eq(pb_parse_size("-4K", &v), -1);
	ck_assert_int_eq(pb_parse_size("17179869184G", &v), -1);
	ck_assert_int_eq(errno, ERANGE);
	ck_assert_int_eq(pb_parse_size("16777216T", &v), -1);
	ck_assert_int_eq(errno, ERANGE);
}
END_TEST

START_TEST(size_leading_zero_is_decimal_not_octal)
{
	uint64_t v;

	ck_assert_int_eq(pb_parse_size("010", &v), 0);
	ck_assert_uint_eq(v, 10);
	ck_assert_int_eq(pb_parse_u64("010", &v), 0);
	ck_assert_uint_eq(v, 10);
	ck_assert_int_eq(pb_parse_size("08", &v), 0);
	ck_assert_uint_eq(v, 8);
	ck_assert_int_eq(pb_parse_size("0x10", &v), 0);
	ck_assert_uint_eq(v, 16);
	/* hex takes no suffix: 0x1B is 27, not 1 byte */
	ck_assert_int_eq(pb_parse_size("0x1B", &v), 0);
	ck_assert_uint_eq(v, 27);
	ck_assert_int_eq(pb_parse_size("0x10K", &v), -1);
}
END_TEST

START_TEST(size_takes_lower_case_units_and_ib_or_b)
{
	uint64_t v;

	ck_assert_int_eq(pb_parse_size("4k", &v), 0);
	ck_assert_uint_eq(v, 4096);
	ck_assert_int_eq(pb_parse_size("4KiB", &v), 0);
	ck_assert_uint_eq(v, 4096);
	ck_assert_int_eq(pb_parse_size("4kB", &v), 0);
	ck_assert_uint_eq(v, 4096);
	ck_assert_int_eq(pb_parse_size("4096B", &v), 0);
	ck_assert_uint_eq(v, 4096);
	ck_assert_int_eq(pb_parse_size("2MiB", &v), 0);
	ck_assert_uint_eq(v, 2ULL << 20);
	ck_assert_int_eq(pb_parse_size("1t", &v), 0);
	ck_assert_uint_eq(v, 1ULL << 40);
}
END_TEST

START_TEST(size_fraction_must_come_to_whole_bytes)
{
	uint64_t v;

	ck_assert_int_eq(pb_parse_size("1.5M", &v), 0);
	ck_assert_uint_eq(v, 3ULL << 19);
	ck_assert_int_eq(pb_parse_size("0.5K", &v), 0);
	ck_assert_uint_eq(v, 512);
	ck_assert_int_eq(pb_parse_size("2.25GiB", &v), 0);
	ck_assert_uint_eq(v, 9ULL << 28);
	ck_assert_int_eq(pb_parse_size("0.3K", &v), -1);	/* 307.2 bytes */
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(pb_parse_size("1.5", &v), -1);	/* no unit */
	ck_assert_int_eq(pb_parse_size("1.K", &v), -1);
	ck_assert_int_eq(pb_parse_size(".5K", &v), -1);
	ck_assert_int_eq(pb_parse_size("1.5.5K", &v), -1);
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
