// SPDX-License-Identifier: GPL-2.0
/* pb_reg_mr()'s policy: PEERBRIDGE_DMABUF and the per-device probe memory. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pb_rdma_policy.h"
#include "unit.h"

START_TEST(dmabuf_mode_unset_empty_or_auto_is_auto)
{
	ck_assert_int_eq(pb_dmabuf_mode_parse(NULL), PB_DMABUF_AUTO);
	ck_assert_int_eq(pb_dmabuf_mode_parse(""), PB_DMABUF_AUTO);
	ck_assert_int_eq(pb_dmabuf_mode_parse("auto"), PB_DMABUF_AUTO);
}
END_TEST

START_TEST(dmabuf_mode_0_and_1_are_off_and_on)
{
	ck_assert_int_eq(pb_dmabuf_mode_parse("0"), PB_DMABUF_OFF);
	ck_assert_int_eq(pb_dmabuf_mode_parse("1"), PB_DMABUF_ON);
}
END_TEST

START_TEST(dmabuf_mode_anything_else_is_einval)
{
	const char *bad[] = { "yes", "on", "01", "1 ", "AUTO", "2", "-1" };
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		ck_assert_int_eq(pb_dmabuf_mode_parse(bad[i]), -1);
		ck_assert_int_eq(errno, EINVAL);
	}
}
END_TEST

START_TEST(probe_of_an_unseen_device_is_unknown)
{
	struct pb_probe_cache c = PB_PROBE_CACHE_INIT;

	ck_assert_int_eq(pb_probe_get(&c, "mlx5_0"), PB_PROBE_UNKNOWN);
}
END_TEST

START_TEST(probe_is_remembered_per_device_and_can_change)
{
	struct pb_probe_cache c = PB_PROBE_CACHE_INIT;

	pb_probe_set(&c, "rxe0", PB_PROBE_REFUSES);
	pb_probe_set(&c, "mlx5_0", PB_PROBE_IMPORTS);
	ck_assert_int_eq(pb_probe_get(&c, "rxe0"), PB_PROBE_REFUSES);
	ck_assert_int_eq(pb_probe_get(&c, "mlx5_0"), PB_PROBE_IMPORTS);
	pb_probe_set(&c, "rxe0", PB_PROBE_IMPORTS);
	ck_assert_int_eq(pb_probe_get(&c, "rxe0"), PB_PROBE_IMPORTS);
	ck_assert_uint_eq(c.nr, 2);
}
END_TEST

/* bounded: devices past the table, or with overlong names, are re-probed */
START_TEST(probe_table_is_bounded_and_overflow_stays_unknown)
{
	struct pb_probe_cache c = PB_PROBE_CACHE_INIT;
	char name[PB_PROBE_NAME_MAX + 8];
	int i;

	for (i = 0; i <= PB_PROBE_DEVICES; i++) {
		snprintf(name, sizeof(name), "dev%d", i);
		pb_probe_set(&c, name, PB_PROBE_REFUSES);
	}
	ck_assert_uint_eq(c.nr, PB_PROBE_DEVICES);
	ck_assert_int_eq(pb_probe_get(&c, "dev0"), PB_PROBE_REFUSES);
	snprintf(name, sizeof(name), "dev%d", PB_PROBE_DEVICES);
	ck_assert_int_eq(pb_probe_get(&c, name), PB_PROBE_UNKNOWN);

	memset(name, 'x', PB_PROBE_NAME_MAX);
	name[PB_PROBE_NAME_MAX] = '\0';
	c.nr = 0;
	pb_probe_set(&c, name, PB_PROBE_REFUSES);
	ck_assert_int_eq(pb_probe_get(&c, name), PB_PROBE_UNKNOWN);
}
END_TEST

Suite *suite_rdma_policy(void)
{
	Suite *s = suite_create("rdma_policy");
	TCase *tc = tcase_create("policy");

	tcase_add_test(tc, dmabuf_mode_unset_empty_or_auto_is_auto);
	tcase_add_test(tc, dmabuf_mode_0_and_1_are_off_and_on);
	tcase_add_test(tc, dmabuf_mode_anything_else_is_einval);
	tcase_add_test(tc, probe_of_an_unseen_device_is_unknown);
	tcase_add_test(tc, probe_is_remembered_per_device_and_can_change);
	tcase_add_test(tc, probe_table_is_bounded_and_overflow_stays_unknown);
	suite_add_tcase(s, tc);
	return s;
}
