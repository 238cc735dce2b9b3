// SPDX-License-Identifier: GPL-2.0
/*
 * Who may open the nodes: root only by the module's own default, group
 * peerbridge (mode 0660, never 0666) once the installed udev rule has
 * been applied -- here by the guest's mdev, from an /etc/mdev.conf made
 * from udev/60-peerbridge.rules.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pbvm.h"

#define CTL_NODE	"/dev/peerbridge"
/* the control node's mode, owner and group as the module made it, noted
 * by the guest's init before it applied the rule */
#define CTL_AT_LOAD	"/tmp/peerbridge-node-at-load"

static void region_path(char *path, size_t pathsz)
{
	snprintf(path, pathsz, PB_REGION_DIR "/%s", g_vram);
}

static void assert_node(const char *path, mode_t mode, gid_t gid)
{
	struct stat st;

	ck_assert_msg(!stat(path, &st), "stat %s: %s", path, strerror(errno));
	ck_assert_msg((st.st_mode & 07777) == mode && st.st_uid == 0 &&
		      st.st_gid == gid, "%s: mode %04o %u:%u, not %04o 0:%u",
		      path, st.st_mode & 07777, st.st_uid, st.st_gid, mode, gid);
}

/* open @path read-write as nobody, in group peerbridge or not: 0 or errno */
static int open_as_nobody(const char *path, bool in_group)
{
	pid_t pid = fork();
	int st, fd;

	ck_assert_int_ge(pid, 0);
	if (!pid) {
		if (drop_to_nobody(in_group))
			_exit(255);
		fd = open(path, O_RDWR | O_CLOEXEC);
		_exit(fd >= 0 ? 0 : errno);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) != 255,
		      "could not become nobody: status %#x", st);
	return WEXITSTATUS(st);
}

START_TEST(control_node_is_root_only_without_the_rule)
{
	char text[64] = "";
	FILE *f = fopen(CTL_AT_LOAD, "r");

	ck_assert_msg(f, "%s: %s", CTL_AT_LOAD, strerror(errno));
	ck_assert_ptr_nonnull(fgets(text, sizeof(text), f));
	fclose(f);
	ck_assert_str_eq(text, "600 0 0\n");
}
END_TEST

START_TEST(new_region_node_is_root_only_until_the_rule_applies)
{
	char path[PATH_MAX];

	/* a fresh node, made after init applied the rule */
	unbind_dev(g_ivshmem);
	bind_dev(g_ivshmem);
	region_path(path, sizeof(path));
	assert_node(path, 0600, 0);
	ck_assert_int_eq(open_as_nobody(path, true), EACCES);

	apply_udev_rule();
	assert_node(path, 0660, peerbridge_gid());
	assert_node(CTL_NODE, 0660, peerbridge_gid());
}
END_TEST

START_TEST(group_member_opens_maps_and_exports)
{
	pid_t pid;
	int st;

	apply_udev_rule();
	ck_assert_int_eq(open_as_nobody(CTL_NODE, true), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		volatile unsigned char *p;
		struct pb_ctx *ctx;
		size_t len;
		int fd;

		if (drop_to_nobody(true))
			_exit(1);
		ctx = pb_open();
		if (!ctx)
			_exit(2);
		p = pb_map(ctx, g_vram, &len);
		if (!p)
			_exit(3);
		p[0] = 0x5a;
		if (p[0] != 0x5a)
			_exit(4);
		fd = pb_export(ctx, (void *)p, 4096, PB_EXPORT_CLOEXEC);
		_exit(fd >= 0 ? 0 : 5);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "a member of group peerbridge failed at step %d",
		      WEXITSTATUS(st));
}
END_TEST

START_TEST(user_outside_the_group_gets_eacces)
{
	char path[PATH_MAX];

	apply_udev_rule();
	region_path(path, sizeof(path));
	ck_assert_int_eq(open_as_nobody(CTL_NODE, false), EACCES);
	ck_assert_int_eq(open_as_nobody(path, false), EACCES);
}
END_TEST

Suite *suite_access(void)
{
	Suite *s = suite_create("access");
	TCase *tc = tcase_create("access");

	tcase_add_checked_fixture(tc, setup_bound, check_kernel_health);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, control_node_is_root_only_without_the_rule);
	tcase_add_test(tc, new_region_node_is_root_only_until_the_rule_applies);
	tcase_add_test(tc, group_member_opens_maps_and_exports);
	tcase_add_test(tc, user_outside_the_group_gets_eacces);
	suite_add_tcase(s, tc);
	return s;
}
