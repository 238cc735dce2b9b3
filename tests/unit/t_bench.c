// SPDX-License-Identifier: GPL-2.0
/*
 * `make bench`'s host half, scripts/bench_report.py, on recorded guest
 * measurements (tests/unit/data/bench/, from a real run): the seven target
 * lines, the JSON agreeing with them, a miss saying by how much, and a run
 * that stopped half way refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"

#define K61	"6.1.0-56-amd64"
#define K612	"6.12.117+deb12-amd64"

static char dir[64];

/* a scratch copy of the recorded measurements, keeping @lines of 6.12's */
static void stage(int lines)
{
	char cmd[512];

	snprintf(dir, sizeof(dir), "/tmp/pbbench.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd),
		 "cp %s/tests/unit/data/bench/" K61 ".jsonl %s/ && "
		 "head -n %d %s/tests/unit/data/bench/" K612 ".jsonl > %s/" K612 ".jsonl",
		 PB_SRC_DIR, dir, lines, PB_SRC_DIR, dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void unstage(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* the report's output (stdout and stderr) into out; its exit status */
static int report(char *out, size_t outsz)
{
	char cmd[512];
	size_t n;
	FILE *f;
	int st;

	snprintf(cmd, sizeof(cmd),
		 "python3 %s/scripts/bench_report.py %s " K61 " " K612 " 2>&1",
		 PB_SRC_DIR, dir);
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(out, 1, outsz - 1, f);
	out[n] = 0;
	st = pclose(f);
	ck_assert(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (; (hay = strstr(hay, needle)); hay += strlen(needle))
		n++;
	return n;
}

static const char *const ids[] = {
	"registration-vs-gup", "registration-flat", "sg-entries",
	"kmem-per-export", "huge-fault-speed", "huge-fault-count", "revoke-1000",
};

START_TEST(report_prints_seven_targets_and_the_json_agrees)
{
	static char out[32768], json[32768];
	char path[128];
	unsigned int i;
	size_t n;
	FILE *f;

	stage(1000);
	ck_assert_int_eq(report(out, sizeof(out)), 0);
	ck_assert_int_eq(count(out, "\ntarget "), 7);
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		char line[64];

		snprintf(line, sizeof(line), "\ntarget %s: ", ids[i]);
		ck_assert_msg(strstr(out, line), "no line for %s in:\n%.3000s",
			      ids[i], out);
	}
	snprintf(path, sizeof(path), "%s/results.json", dir);
	f = fopen(path, "re");
	ck_assert_ptr_nonnull(f);
	n = fread(json, 1, sizeof(json) - 1, f);
	json[n] = 0;
	fclose(f);
	/* as many met in the JSON as printed */
	ck_assert_int_eq(count(json, "\"met\": true"), count(out, ") met\n"));
	ck_assert_int_eq(count(json, "\"met\": false"), count(out, ") missed\n"));
	unstage();
}
END_TEST

START_TEST(missed_target_says_by_how_much)
{
	static char out[32768];

	stage(1000);
	ck_assert_int_eq(report(out, sizeof(out)), 0);
	/* the recorded run: 825x and 791x against 1000x */
	ck_assert_msg(strstr(out, "target registration-vs-gup: 6.1 825x, 6.12 791x "
			     "(goal >= 1000x faster than 1 GiB ibv_reg_mr) missed"),
		      "%.3000s", out);
	ck_assert_ptr_nonnull(strstr(out, "registration-vs-gup missed: 6.1 is 1.2x short; "
				     "6.12 is 1.3x short"));
	ck_assert_ptr_nonnull(strstr(out, "target huge-fault-count: 6.12 512x"));
	unstage();
}
END_TEST

START_TEST(run_that_stopped_half_way_is_refused)
{
	static char out[4096];

	stage(6);
	ck_assert_int_eq(report(out, sizeof(out)), 1);
	ck_assert_ptr_nonnull(strstr(out, K612 ": incomplete measurements"));
	unstage();
}
END_TEST

Suite *suite_bench(void)
{
	Suite *s = suite_create("bench");
	TCase *tc = tcase_create("report");

	tcase_add_test(tc, report_prints_seven_targets_and_the_json_agrees);
	tcase_add_test(tc, missed_target_says_by_how_much);
	tcase_add_test(tc, run_that_stopped_half_way_is_refused);
	suite_add_tcase(s, tc);
	return s;
}
