// SPDX-License-Identifier: GPL-2.0
/* libpeerbridge without a kernel: ABI surface and argument checks. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

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
	ck_assert_ptr_nonnull(strstr(pb_strerror(ENODEV), "revoked"));
	ck_assert_ptr_nonnull(strstr(pb_strerror(EPROTO), "ABI"));
	ck_assert_str_eq(pb_strerror(ENOMEM), strerror(ENOMEM));
	ck_assert_ptr_nonnull(pb_strerror(123456));
}
END_TEST

Suite *suite_library(void)
{
	Suite *s = suite_create("library");
	TCase *tc = tcase_create("library");

	tcase_add_test(tc, exported_symbols_are_exactly_the_version_script);
	tcase_add_test(tc, pb_map_without_context_is_einval);
	tcase_add_test(tc, pb_close_of_null_is_harmless);
	tcase_add_test(tc, pb_strerror_explains_peerbridge_meanings);
	suite_add_tcase(s, tc);
	return s;
}
