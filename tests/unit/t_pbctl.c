// SPDX-License-Identifier: GPL-2.0
/*
 * pbctl as a black box: the built binary run against a fake sysfs tree
 * ($PEERBRIDGE_SYSFS), checking exit codes and both renderings.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"

static char root[] = "/tmp/pbctl-sysfs.XXXXXX";

static void put(const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	ck_assert_msg(f, "create %s", path);
	fputs(text, f);
	fclose(f);
}

static void dir(const char *rel)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/%s'", root, rel);
	ck_assert_int_eq(system(cmd), 0);
}

static void fake_region(const char *name, const char *bdf, const char *bar,
			const char *size, bool node)
{
	char rel[256], target[256], link[512];

	snprintf(rel, sizeof(rel), "class/pbmem/%s", name);
	dir(rel);
	snprintf(rel, sizeof(rel), "class/pbmem/%s/bar", name);
	put(rel, bar);
	snprintf(rel, sizeof(rel), "class/pbmem/%s/offset", name);
	put(rel, "0\n");
	snprintf(rel, sizeof(rel), "class/pbmem/%s/size", name);
	put(rel, size);
	snprintf(rel, sizeof(rel), "class/pbmem/%s/state", name);
	put(rel, "live\n");
	snprintf(rel, sizeof(rel), "class/pbmem/%s/wc", name);
	put(rel, "1\n");
	snprintf(rel, sizeof(rel), "class/pbmem/%s/exports", name);
	put(rel, "2\n");
	snprintf(rel, sizeof(rel), "class/pbmem/%s/attachments", name);
	put(rel, "1\n");
	if (node) {
		snprintf(rel, sizeof(rel), "class/pbmem/%s/dev", name);
		put(rel, "240:0\n");
	}
	snprintf(target, sizeof(target), "../../../devices/pci0000:00/%s", bdf);
	snprintf(link, sizeof(link), "%s/class/pbmem/%s/device", root, name);
	ck_assert_int_eq(symlink(target, link), 0);
}

static void setup(void)
{
	strcpy(root, "/tmp/pbctl-sysfs.XXXXXX");
	ck_assert(mkdtemp(root));
	setenv("PEERBRIDGE_SYSFS", root, 1);
	dir("bus/pci/devices/0000:03:00.0");
}

static void teardown(void)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	ck_assert_int_eq(system(cmd), 0);
}

/* run pbctl; stdout (and stderr too when @merge) into out; exit status */
static int run(char *out, size_t outsz, bool merge, const char *args)
{
	char cmd[1024];
	size_t n;
	FILE *f;
	int st;

	/* build/pbctl has no RUNPATH: it finds build/lib by LD_LIBRARY_PATH */
	snprintf(cmd, sizeof(cmd), "LD_LIBRARY_PATH=%s/lib %s/pbctl %s %s",
		 PB_BUILD_DIR, PB_BUILD_DIR, args,
		 merge ? "2>&1" : "2>/dev/null");
	f = popen(cmd, "r");
	ck_assert(f);
	n = fread(out, 1, outsz - 1, f);
	out[n] = '\0';
	st = pclose(f);
	ck_assert(WIFEXITED(st));
	return WEXITSTATUS(st);
}

START_TEST(help_exits_0_and_lists_commands)
{
	char out[4096];

	ck_assert_int_eq(run(out, sizeof(out), false, "--help"), 0);
	ck_assert_ptr_nonnull(strstr(out, "list"));
	ck_assert_ptr_nonnull(strstr(out, "bind"));
	ck_assert_ptr_nonnull(strstr(out, "unbind"));
}
END_TEST

START_TEST(no_command_is_usage_exit_2)
{
	char out[4096];

	ck_assert_int_eq(run(out, sizeof(out), true, ""), 2);
	ck_assert_ptr_nonnull(strstr(out, "usage:"));
}
END_TEST

START_TEST(unknown_command_is_usage_exit_2)
{
	char out[4096];

	ck_assert_int_eq(run(out, sizeof(out), true, "frobnicate"), 2);
	ck_assert_ptr_nonnull(strstr(out, "unknown command 'frobnicate'"));
}
END_TEST

START_TEST(unknown_option_is_usage_exit_2)
{
	char out[4096];

	ck_assert_int_eq(run(out, sizeof(out), false, "--bogus list"), 2);
}
END_TEST

START_TEST(missing_argument_is_usage_exit_2)
{
	char out[4096];

	ck_assert_int_eq(run(out, sizeof(out), true, "bind"), 2);
	ck_assert_ptr_nonnull(strstr(out, "pbctl bind <BDF>"));
}
END_TEST

START_TEST(malformed_bdf_is_usage_exit_2)
{
	char out[4096];

	ck_assert_int_eq(run(out, sizeof(out), true, "bind 03:00.9"), 2);
	ck_assert_ptr_nonnull(strstr(out, "not a PCI address"));
}
END_TEST

START_TEST(absent_device_is_runtime_exit_1)
{
	char out[4096];

	ck_assert_int_eq(run(out, sizeof(out), true, "bind 04:00.0"), 1);
	ck_assert_ptr_nonnull(strstr(out, "no PCI device 0000:04:00.0"));
}
END_TEST

START_TEST(bind_without_module_says_to_load_it)
{
	char out[4096];

	ck_assert_int_eq(run(out, sizeof(out), true, "bind 03:00.0"), 1);
	ck_assert_ptr_nonnull(strstr(out, "peerbridge.ko is not loaded"));
}
END_TEST

START_TEST(unbind_of_unbound_device_is_exit_1)
{
	char out[4096];

	ck_assert_int_eq(run(out, sizeof(out), true, "unbind 0000:03:00.0"), 1);
	ck_assert_ptr_nonnull(strstr(out, "not bound to peerbridge"));
}
END_TEST

START_TEST(failed_json_command_leaves_stdout_empty)
{
	char out[4096];

	ck_assert_int_eq(run(out, sizeof(out), false, "-j bind 04:00.0"), 1);
	ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(list_text_shows_regions_sorted_with_human_sizes)
{
	char out[4096];

	fake_region("0000:06:00.0-cmb", "0000:06:00.0", "2\n", "16777216\n", true);
	fake_region("0000:03:00.0-bar2", "0000:03:00.0", "2\n", "67108864\n", true);
	fake_region("0000:05:00.0-vram", "0000:05:00.0", "0\n", "16777216\n", false);
	ck_assert_int_eq(run(out, sizeof(out), false, "list"), 0);
	ck_assert_str_eq(out,
		"REGION             DEVICE        BAR  OFFSET  SIZE  STATE  WC   EXPORTS  ATTACHED  NODE\n"
		"0000:03:00.0-bar2  0000:03:00.0  2    0       64M   live   yes  2        1         /dev/pbmem/0000:03:00.0-bar2\n"
		"0000:05:00.0-vram  0000:05:00.0  0    0       16M   live   yes  2        1         -\n"
		"0000:06:00.0-cmb   0000:06:00.0  2    0       16M   live   yes  2        1         /dev/pbmem/0000:06:00.0-cmb\n");
}
END_TEST

START_TEST(list_json_carries_exact_bytes)
{
	char out[4096];

	fake_region("0000:03:00.0-bar2", "0000:03:00.0", "2\n", "67108864\n", true);
	ck_assert_int_eq(run(out, sizeof(out), false, "--json list"), 0);
	ck_assert_str_eq(out,
		"{\"schema\": 1, \"regions\": [{\"name\": \"0000:03:00.0-bar2\", "
		"\"device\": \"0000:03:00.0\", \"bar\": 2, \"offset\": 0, "
		"\"size\": 67108864, \"state\": \"live\", \"write_combining\": true, "
		"\"exports\": 2, \"attachments\": 1, "
		"\"node\": \"/dev/pbmem/0000:03:00.0-bar2\"}]}\n");
}
END_TEST

START_TEST(list_without_module_reports_no_regions)
{
	char out[4096];

	ck_assert_int_eq(run(out, sizeof(out), false, "list"), 0);
	ck_assert_ptr_nonnull(strstr(out, "no regions"));
	ck_assert_int_eq(run(out, sizeof(out), false, "-j list"), 0);
	ck_assert_str_eq(out, "{\"schema\": 1, \"regions\": []}\n");
}
END_TEST

START_TEST(copy_with_bad_side_is_usage_exit_2)
{
	char out[4096];

	ck_assert_int_eq(run(out, sizeof(out), true, "copy @12 host 4K"), 2);
	ck_assert_ptr_nonnull(strstr(out, "not a copy side"));
	ck_assert_int_eq(run(out, sizeof(out), true, "copy a-bar2@x host 4K"), 2);
}
END_TEST

START_TEST(copy_with_bad_length_is_usage_exit_2)
{
	char out[4096];

	ck_assert_int_eq(run(out, sizeof(out), true, "copy host host 0"), 2);
	ck_assert_int_eq(run(out, sizeof(out), true, "copy host host 4Q"), 2);
	ck_assert_ptr_nonnull(strstr(out, "is not a length"));
}
END_TEST

START_TEST(copy_with_unknown_option_is_usage_exit_2)
{
	char out[4096];

	ck_assert_int_eq(run(out, sizeof(out), true,
			     "copy host host 4K --fast"), 2);
	ck_assert_ptr_nonnull(strstr(out, "unknown copy option '--fast'"));
}
END_TEST

START_TEST(copy_without_module_is_runtime_exit_1)
{
	char out[4096];

	/* the host never has /dev/peerbridge: the module runs in VMs only */
	ck_assert_int_eq(run(out, sizeof(out), true, "copy host host 4K"), 1);
	ck_assert_ptr_nonnull(strstr(out, "peerbridge.ko loaded"));
}
END_TEST

START_TEST(list_json_region_without_node_has_null_node)
{
	char out[4096];

	fake_region("0000:05:00.0-vram", "0000:05:00.0", "0\n", "16777216\n", false);
	ck_assert_int_eq(run(out, sizeof(out), false, "-j list"), 0);
	ck_assert_ptr_nonnull(strstr(out, "\"attachments\": 1, \"node\": null}"));
}
END_TEST

static const char holders_text[] =
	"pins 3\n"
	"dmabuf ino=4242 pid=77 offset=0x4000 len=0x8000 ranges=1 mode=rw state=live importers=0000:04:00.0:pinned:mapped,0000:05:00.0:dynamic:idle\n"
	"dmabuf ino=4243 pid=78 offset=0x0 len=0x1000 ranges=2 mode=ro state=revoked importers=-\n"
	"mapping device=0000:04:00.0 pid=77 offset=0x0 len=0x1000 ranges=1 state=live\n";

START_TEST(exports_json_parses_every_dmabuf_of_every_region)
{
	char out[4096];

	fake_region("0000:03:00.0-bar2", "0000:03:00.0", "2\n", "67108864\n", true);
	put("class/pbmem/0000:03:00.0-bar2/holders", holders_text);
	ck_assert_int_eq(run(out, sizeof(out), false, "-j exports"), 0);
	ck_assert_msg(strstr(out, "{\"region\": \"0000:03:00.0-bar2\", \"pid\": 77, "
			      "\"offset\": 16384, \"length\": 32768, \"ranges\": 1, "
			      "\"mode\": \"rw\", \"state\": \"live\", \"importers\": "
			      "[\"0000:04:00.0:pinned:mapped\", \"0000:05:00.0:dynamic:idle\"], "
			      "\"inode\": 4242}"), "%.3000s", out);
	ck_assert_msg(strstr(out, "\"state\": \"revoked\", \"importers\": [], "
			      "\"inode\": 4243}"), "%.3000s", out);
	/* importer mappings are not exports */
	ck_assert_ptr_null(strstr(out, "mapping"));
}
END_TEST

START_TEST(exports_text_is_a_table_for_people)
{
	char out[4096];

	fake_region("0000:03:00.0-bar2", "0000:03:00.0", "2\n", "67108864\n", true);
	put("class/pbmem/0000:03:00.0-bar2/holders", holders_text);
	ck_assert_int_eq(run(out, sizeof(out), false, "exports"), 0);
	ck_assert_msg(strstr(out, "REGION") && strstr(out, "32K") &&
		      strstr(out, "0000:04:00.0:pinned:mapped,0000:05:00.0:dynamic:idle"),
		      "%.3000s", out);
}
END_TEST

START_TEST(exports_without_module_reports_none)
{
	char out[4096];

	ck_assert_int_eq(run(out, sizeof(out), false, "exports"), 0);
	ck_assert_ptr_nonnull(strstr(out, "no exports"));
	ck_assert_int_eq(run(out, sizeof(out), false, "-j exports"), 0);
	ck_assert_ptr_nonnull(strstr(out, "\"exports\": []"));
}
END_TEST

START_TEST(doctor_without_module_fails_that_check_and_runs_every_other)
{
	static const char *const checks[] = {
		"module", "nodes", "p2pdma", "move_notify", "iommu", "lockdown",
		"rdma", "host_bridge", "acs",
	};
	char out[16384], want[64];
	unsigned int i;

	ck_assert_int_eq(run(out, sizeof(out), false, "-j doctor"), 1);
	ck_assert_msg(strstr(out, "\"check\": \"module\", \"status\": \"FAIL\""),
		      "%.3000s", out);
	for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		snprintf(want, sizeof(want), "\"check\": \"%s\", \"status\": \"",
			 checks[i]);
		ck_assert_msg(strstr(out, want), "no %s in %.3000s", checks[i], out);
	}
	ck_assert_msg(strstr(out, "\"result\": \"FAIL\"}"), "%.3000s", out);
	/* people get a table and the same verdict */
	ck_assert_int_eq(run(out, sizeof(out), false, "doctor"), 1);
	ck_assert_msg(strstr(out, "WHAT TO DO") && strstr(out, "result: FAIL"),
		      "%.3000s", out);
}
END_TEST

START_TEST(check_and_topo_without_module_are_runtime_exit_1)
{
	char out[4096];

	ck_assert_int_eq(run(out, sizeof(out), false, "check 03:00.0 03:00.0"), 1);
	ck_assert_int_eq(run(out, sizeof(out), false, "-j topo"), 1);
	ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(check_usage_errors_exit_2)
{
	char out[4096];

	ck_assert_int_eq(run(out, sizeof(out), false, "check 03:00.0"), 2);
	ck_assert_int_eq(run(out, sizeof(out), true,
			     "check 03:00.0 03:00.0 --bogus"), 2);
	ck_assert_msg(strstr(out, "unknown check option '--bogus'"), "%.3000s", out);
	ck_assert_int_eq(run(out, sizeof(out), false,
			     "check 03:00.0 03:00.0 --validate=x"), 2);
}
END_TEST

Suite *suite_pbctl(void)
{
	Suite *s = suite_create("pbctl");
	TCase *tc = tcase_create("pbctl");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, help_exits_0_and_lists_commands);
	tcase_add_test(tc, no_command_is_usage_exit_2);
	tcase_add_test(tc, unknown_command_is_usage_exit_2);
	tcase_add_test(tc, unknown_option_is_usage_exit_2);
	tcase_add_test(tc, missing_argument_is_usage_exit_2);
	tcase_add_test(tc, malformed_bdf_is_usage_exit_2);
	tcase_add_test(tc, absent_device_is_runtime_exit_1);
	tcase_add_test(tc, bind_without_module_says_to_load_it);
	tcase_add_test(tc, unbind_of_unbound_device_is_exit_1);
	tcase_add_test(tc, failed_json_command_leaves_stdout_empty);
	tcase_add_test(tc, list_text_shows_regions_sorted_with_human_sizes);
	tcase_add_test(tc, list_json_carries_exact_bytes);
	tcase_add_test(tc, list_json_region_without_node_has_null_node);
	tcase_add_test(tc, list_without_module_reports_no_regions);
	tcase_add_test(tc, copy_with_bad_side_is_usage_exit_2);
	tcase_add_test(tc, copy_with_bad_length_is_usage_exit_2);
	tcase_add_test(tc, copy_with_unknown_option_is_usage_exit_2);
	tcase_add_test(tc, copy_without_module_is_runtime_exit_1);
	tcase_add_test(tc, exports_json_parses_every_dmabuf_of_every_region);
	tcase_add_test(tc, exports_text_is_a_table_for_people);
	tcase_add_test(tc, exports_without_module_reports_none);
	tcase_add_test(tc, doctor_without_module_fails_that_check_and_runs_every_other);
	tcase_add_test(tc, check_and_topo_without_module_are_runtime_exit_1);
	tcase_add_test(tc, check_usage_errors_exit_2);
	suite_add_tcase(s, tc);
	return s;
}
