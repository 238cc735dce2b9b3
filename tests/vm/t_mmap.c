// SPDX-License-Identifier: GPL-2.0
/* Mapping regions: data round trips and the mmap rules. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <peerbridge.h>

#include "pbvm.h"

#define PAGE 4096UL

/* errno of an mmap of @len bytes at @off of the VRAM region, 0 if it mapped */
static int try_mmap(size_t len, off_t off, int flags)
{
	int fd = open_region(g_vram), err = 0;
	void *p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, off);
	if (p == MAP_FAILED)
		err = errno;
	else
		munmap(p, len);
	close(fd);
	return err;
}

/* write through one mapping, read back through an independent one */
static void round_trip(const char *region, uint64_t seed)
{
	size_t la, lb;
	void *a = pb_map(g_ctx, region, &la);
	void *b = pb_map(g_ctx, region, &lb);

	ck_assert_msg(a && b, "pb_map %s: %s", region, pb_strerror(errno));
	ck_assert_ptr_ne(a, b);
	ck_assert_uint_eq(la, region_attr(region, "size"));
	ck_assert_uint_eq(la, lb);
	pb_fill_pattern(a, la, seed);
	ck_assert_int_eq(pb_verify_pattern(b, lb, seed), -1);
	ck_assert_int_eq(pb_unmap(a, la), 0);
	ck_assert_int_eq(pb_unmap(b, lb), 0);
}

START_TEST(vram_write_reads_back_through_second_mapping)
{
	round_trip(g_vram, 0x1001);
}
END_TEST

START_TEST(cmb_write_reads_back_through_second_mapping)
{
	round_trip(g_cmb, 0x2002);
}
END_TEST

START_TEST(vram_write_is_seen_by_another_process)
{
	size_t len;
	void *a = map_region(g_vram, &len);
	pid_t pid;
	int st;

	pb_fill_pattern(a, len, 0x3003);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		/* the child maps the region on its own (mappings are not
		 * inherited) and checks every byte
		 */
		struct pb_ctx *c = pb_open();
		size_t l;
		void *b = c ? pb_map(c, g_vram, &l) : NULL;

		_exit(b && l == len && pb_verify_pattern(b, l, 0x3003) == -1 ?
		      0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	pb_unmap(a, len);
}
END_TEST

START_TEST(map_private_is_einval)
{
	ck_assert_int_eq(try_mmap(4096, 0, MAP_PRIVATE), EINVAL);
}
END_TEST

START_TEST(map_past_region_end_is_einval)
{
	ck_assert_int_eq(try_mmap(8192, 64 * MiB - 4096, MAP_SHARED), EINVAL);
}
END_TEST

START_TEST(map_at_region_end_is_einval)
{
	ck_assert_int_eq(try_mmap(4096, 64 * MiB, MAP_SHARED), EINVAL);
}
END_TEST

START_TEST(map_offset_plus_len_overflowing_loff_t_is_einval)
{
	/* offset + len overflows a signed 64-bit file offset */
	ck_assert_int_eq(try_mmap(8192, 0x7ffffffffffff000LL, MAP_SHARED),
			 EINVAL);
}
END_TEST

START_TEST(map_offset_plus_len_wrapping_64_bits_is_eoverflow)
{
	/* refused by the core before the driver is asked */
	ck_assert_int_eq(try_mmap(8192, (off_t)0xfffffffffffff000ULL,
				  MAP_SHARED), EOVERFLOW);
}
END_TEST

START_TEST(map_last_page_exactly_works)
{
	ck_assert_int_eq(try_mmap(4096, 64 * MiB - 4096, MAP_SHARED), 0);
}
END_TEST

START_TEST(mremap_cannot_grow_a_region_mapping)
{
	int fd = open_region(g_vram);
	void *p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);

	ck_assert(p != MAP_FAILED);
	ck_assert(mremap(p, 4096, 8192, MREMAP_MAYMOVE) == MAP_FAILED);
	munmap(p, 4096);
	close(fd);
}
END_TEST

START_TEST(pb_map_of_unknown_region_is_enoent)
{
	size_t len;

	ck_assert_ptr_null(pb_map(g_ctx, "0000:7f:00.0-bar2", &len));
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

START_TEST(pb_map_accepts_device_node_path)
{
	char path[PATH_MAX];
	size_t len;
	void *p;

	snprintf(path, sizeof(path), PB_REGION_DIR "/%s", g_cmb);
	p = pb_map(g_ctx, path, &len);
	ck_assert(p);
	ck_assert_uint_eq(len, 16 * MiB);
	pb_unmap(p, len);
}
END_TEST

/* a read-only node maps read-only, and stays that way */
START_TEST(readonly_node_maps_prot_read_and_mprotect_write_is_eacces)
{
	size_t len;
	unsigned char *rw = map_region(g_vram, &len), *ro;
	int fd = open_node(g_vram, O_RDONLY);

	pb_fill_pattern(rw, PAGE, 0x7227);
	ro = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
	ck_assert_msg(ro != MAP_FAILED, "mmap: %s", strerror(errno));
	ck_assert_int_eq(pb_verify_pattern(ro, PAGE, 0x7227), -1);
	ck_assert_int_eq(mprotect(ro, PAGE, PROT_READ | PROT_WRITE), -1);
	ck_assert_int_eq(errno, EACCES);
	ck_assert_int_eq(touch_write(ro), SIGSEGV);
	close(fd);
}
END_TEST

START_TEST(export_of_readonly_node_mapping_refuses_writers)
{
	int fd = open_node(g_vram, O_RDONLY), dfd;
	unsigned char *ro = mmap(NULL, 2 * PAGE, PROT_READ, MAP_SHARED, fd, 0);
	struct pb_range_info info;

	ck_assert(ro != MAP_FAILED);
	ck_assert_int_eq(pb_query(g_ctx, ro, PAGE, &info), 0);
	ck_assert(info.flags & PB_RANGE_RDONLY);
	dfd = export_or_fail(ro, 2 * PAGE, PB_EXPORT_CLOEXEC);
	/* reading it is what it is for */
	assert_copy_reads_but_never_writes(dfd);
	close(dfd);
	close(fd);
}
END_TEST

/* the PAT memtype list of debugfs: does it say @type for @start? */
static int pat_says(uint64_t start, const char *type)
{
	char line[256], want[64];
	FILE *f = fopen("/sys/kernel/debug/x86/pat_memtype_list", "r");
	int found = 0;

	if (!f)
		return -1;
	snprintf(want, sizeof(want), "[mem 0x%016llx-", (unsigned long long)start);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, want) && strstr(line, type))
			found = 1;
	fclose(f);
	return found;
}

START_TEST(prefetchable_region_is_write_combining_in_pat)
{
	size_t len;
	unsigned char *v = map_region(g_vram, &len);
	int says;

	ck_assert_int_eq(touch_write(v), 0);
	ck_assert_uint_eq(region_attr(g_vram, "wc"), 1);
	says = pat_says(bar_start(g_ivshmem, 2), "write-combining");
	if (says < 0) {
		printf("no PAT memtype list in this kernel\n");
		return;
	}
	ck_assert_msg(says == 1, "PAT has no write-combining entry for the BAR");
}
END_TEST

Suite *suite_mmap(void)
{
	Suite *s = suite_create("mmap");
	TCase *tc = tcase_create("mmap");

	tcase_add_checked_fixture(tc, setup_ctx, teardown_ctx);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, vram_write_reads_back_through_second_mapping);
	tcase_add_test(tc, cmb_write_reads_back_through_second_mapping);
	tcase_add_test(tc, vram_write_is_seen_by_another_process);
	tcase_add_test(tc, readonly_node_maps_prot_read_and_mprotect_write_is_eacces);
	tcase_add_test(tc, export_of_readonly_node_mapping_refuses_writers);
	tcase_add_test(tc, prefetchable_region_is_write_combining_in_pat);
	tcase_add_test(tc, map_private_is_einval);
	tcase_add_test(tc, map_past_region_end_is_einval);
	tcase_add_test(tc, map_at_region_end_is_einval);
	tcase_add_test(tc, map_offset_plus_len_overflowing_loff_t_is_einval);
	tcase_add_test(tc, map_offset_plus_len_wrapping_64_bits_is_eoverflow);
	tcase_add_test(tc, map_last_page_exactly_works);
	tcase_add_test(tc, mremap_cannot_grow_a_region_mapping);
	tcase_add_test(tc, pb_map_of_unknown_region_is_enoent);
	tcase_add_test(tc, pb_map_accepts_device_node_path);
	suite_add_tcase(s, tc);
	return s;
}
