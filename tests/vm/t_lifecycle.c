// SPDX-License-Identifier: GPL-2.0
/* Lifetimes: fork, unbind (revocation) while mapped, rebind. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <peerbridge.h>

#include "pbvm.h"

START_TEST(fork_after_map_child_has_no_mapping)
{
	size_t len;
	volatile unsigned char *p = map_region(g_vram, &len);
	pid_t pid;
	int st;

	pb_fill_pattern(p, 64 * 1024, 0x4004);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		signal(SIGSEGV, SIG_DFL);
		(void)p[0];	/* VM_DONTCOPY: no VMA here */
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV,
		      "child status %#x, wanted SIGSEGV", st);
	ck_assert_int_eq(pb_verify_pattern(p, 64 * 1024, 0x4004), -1);
	pb_unmap((void *)p, len);
}
END_TEST

START_TEST(revoke_by_unbind_then_touch_sigbus)
{
	size_t len;
	volatile unsigned char *p = map_region(g_vram, &len);

	ck_assert_int_eq(touch_write(p), 0);
	unbind_dev(g_ivshmem);		/* must return while mapped */
	ck_assert_int_eq(touch_read(p), SIGBUS);
	ck_assert_int_eq(touch_write(p + len - 1), SIGBUS);
	ck_assert_int_eq(pb_unmap((void *)p, len), 0);
}
END_TEST

START_TEST(revoke_by_unbind_zaps_mappings_in_every_process)
{
	int go[2], ready[2];
	pid_t pid;
	char c;
	int st;

	ck_assert_int_eq(pipe(go), 0);
	ck_assert_int_eq(pipe(ready), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		struct pb_ctx *cc = pb_open();
		size_t l;
		volatile unsigned char *q = cc ? pb_map(cc, g_vram, &l) : NULL;

		if (!q || touch_write(q))
			_exit(2);
		ck_assert_int_eq(write(ready[1], "r", 1), 1);
		ck_assert_int_eq(read(go[0], &c, 1), 1);
		_exit(touch_read(q) == SIGBUS ? 0 : 1);
	}
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	unbind_dev(g_ivshmem);
	ck_assert_int_eq(write(go[1], "g", 1), 1);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "child saw no SIGBUS after revoke (status %#x)", st);
}
END_TEST

START_TEST(revoke_then_mmap_of_open_node_is_enodev)
{
	int fd = open_region(g_vram);
	void *p;

	unbind_dev(g_ivshmem);
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	ck_assert(p == MAP_FAILED);
	ck_assert_int_eq(errno, ENODEV);
	ck_assert_int_eq(close(fd), 0);
}
END_TEST

START_TEST(rebind_after_revoke_maps_again_with_data_intact)
{
	size_t len;
	volatile unsigned char *p = map_region(g_vram, &len);

	pb_fill_pattern(p, len, 0x5005);
	pb_unmap((void *)p, len);
	unbind_dev(g_ivshmem);
	ck_assert(!region_exists(g_vram));
	bind_dev(g_ivshmem);
	p = map_region(g_vram, &len);
	/* the exporter never touches the memory: it survives a rebind */
	ck_assert_int_eq(pb_verify_pattern(p, len, 0x5005), -1);
	pb_unmap((void *)p, len);
}
END_TEST

START_TEST(unbind_nvme_while_cmb_mapped_then_touch_sigbus)
{
	size_t len;
	volatile unsigned char *p = map_region(g_cmb, &len);

	ck_assert_int_eq(touch_write(p), 0);
	unbind_dev(g_nvme);
	ck_assert_int_eq(touch_write(p), SIGBUS);
	pb_unmap((void *)p, len);
}
END_TEST

Suite *suite_lifecycle(void)
{
	Suite *s = suite_create("lifecycle");
	TCase *tc = tcase_create("lifecycle");

	tcase_add_checked_fixture(tc, setup_ctx, teardown_ctx);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, fork_after_map_child_has_no_mapping);
	tcase_add_test(tc, revoke_by_unbind_then_touch_sigbus);
	tcase_add_test(tc, revoke_by_unbind_zaps_mappings_in_every_process);
	tcase_add_test(tc, revoke_then_mmap_of_open_node_is_enodev);
	tcase_add_test(tc, rebind_after_revoke_maps_again_with_data_intact);
	tcase_add_test(tc, unbind_nvme_while_cmb_mapped_then_touch_sigbus);
	suite_add_tcase(s, tc);
	return s;
}
