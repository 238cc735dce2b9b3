// SPDX-License-Identifier: GPL-2.0
/*
 * 2 MiB PFN mappings of a region: from 6.12 (with THP) a mapping is placed
 * 2 MiB-aligned with its BAR and each 2 MiB it covers whole is one fault
 * and one PMD; before that, and wherever alignment fails, 4 KiB PTEs.  The
 * data, revocation, write protection and partial unmaps must
 * all behave the same either way.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <peerbridge.h>

#include "pbvm.h"

#define PAGE	4096UL
#define SZ_2M	(2 * MiB)

/* whether this kernel maps PFNs with PMDs (kmod/pb_compat.h) */
static bool huge_pfnmap(void)
{
	char buf[64] = "";
	struct utsname u;
	int major = 0, minor = 0;
	FILE *f;

	uname(&u);
	sscanf(u.release, "%d.%d", &major, &minor);
	if (major < 6 || (major == 6 && minor < 12))
		return false;
	f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "re");
	if (!f)
		return false;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return !strstr(buf, "[never]");
}

static long faults_so_far(void)
{
	struct rusage r;

	getrusage(RUSAGE_SELF, &r);
	return r.ru_minflt + r.ru_majflt;
}

/* the whole VRAM region, one page off 2 MiB alignment: no PMD fits */
static unsigned char *map_misaligned(size_t len)
{
	unsigned char *res, *p;
	int fd = open_region(g_vram);

	res = mmap(NULL, len + 2 * SZ_2M, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(res, MAP_FAILED);
	p = (unsigned char *)(((uintptr_t)res + SZ_2M - 1) & ~(SZ_2M - 1)) +
	    PAGE;
	p = mmap(p, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	close(fd);
	return p;
}

START_TEST(region_mapping_is_placed_2m_aligned_with_its_bar)
{
	size_t len;
	unsigned char *p = map_region(g_vram, &len);
	uint64_t bar = bar_start(g_ivshmem, 2);

	if (huge_pfnmap())
		ck_assert_msg(((uintptr_t)p - bar) % SZ_2M == 0,
			      "mapped at %p, BAR at %#llx: not 2 MiB-congruent",
			      (void *)p, (unsigned long long)bar);
	/* and a hint the caller gives still wins, on every kernel */
	pb_unmap(p, len);
	{
		int fd = open_region(g_vram);
		void *want = p + PAGE;
		void *q = mmap(want, PAGE, PROT_READ, MAP_SHARED, fd, 0);

		ck_assert_ptr_eq(q, want);
		munmap(q, PAGE);
		close(fd);
	}
}
END_TEST

START_TEST(first_touch_faults_once_per_2m_from_6_12_else_per_page)
{
	size_t len, off;
	volatile unsigned char *p = map_region(g_vram, &len);
	long before, faults;

	before = faults_so_far();
	for (off = 0; off < len; off += PAGE)
		(void)p[off];
	faults = faults_so_far() - before;
	if (huge_pfnmap())
		ck_assert_msg(faults >= (long)(len / SZ_2M) &&
			      faults <= (long)(len / SZ_2M) + 8,
			      "%ld faults for %zu MiB, wanted one per 2 MiB",
			      faults, (size_t)(len / MiB));
	else
		ck_assert_msg(faults >= (long)(len / PAGE),
			      "%ld faults for %zu pages", faults, len / PAGE);
	pb_unmap((void *)p, len);
}
END_TEST

START_TEST(pmd_mapping_and_pte_mapping_agree_byte_for_byte)
{
	size_t len;
	unsigned char *a = map_region(g_vram, &len);
	unsigned char *b = map_misaligned(len);

	pb_fill_pattern(a, len, 0x7001);
	ck_assert_int_eq(pb_verify_pattern(b, len, 0x7001), -1);
	pb_fill_pattern(b, len, 0x7002);
	ck_assert_int_eq(pb_verify_pattern(a, len, 0x7002), -1);
	pb_unmap(a, len);
	munmap(b, len);
}
END_TEST

START_TEST(revoke_then_touch_pmd_mapping_sigbus)
{
	char path[256];
	size_t len;
	volatile unsigned char *p = map_region(g_vram, &len);

	ck_assert_int_eq(touch_write(p + SZ_2M + PAGE), 0);
	snprintf(path, sizeof(path), "/sys/class/pbmem/%s/revoke", g_vram);
	ck_assert_int_eq(write_file(path, "1"), 0);
	ck_assert_int_eq(touch_read(p + SZ_2M + PAGE), SIGBUS);
	ck_assert_int_eq(touch_read(p + SZ_2M), SIGBUS);
	ck_assert_int_eq(pb_unmap((void *)p, len), 0);
}
END_TEST

/*
 * mprotect() read-only and back write-protects the PMD (a PMD comes back
 * writable only if it is dirty): the next write faults on a PMD that is
 * there and must make it writable, not loop (the alarm ends a loop with a
 * failure).
 */
START_TEST(write_after_mprotect_round_trip_lands_through_pmd_mapping)
{
	size_t len;
	volatile unsigned char *p = map_region(g_vram, &len);
	unsigned char *q = map_misaligned(len);

	(void)p[SZ_2M];		/* a read fault maps the PMD clean */
	ck_assert_int_eq(mprotect((void *)p, len, PROT_READ), 0);
	ck_assert_int_eq(touch_write(p + SZ_2M), SIGSEGV);
	ck_assert_int_eq(mprotect((void *)p, len, PROT_READ | PROT_WRITE), 0);
	alarm(30);
	p[SZ_2M + 3 * PAGE] = 0x22;
	alarm(0);
	ck_assert_uint_eq(q[SZ_2M + 3 * PAGE], 0x22);
	pb_unmap((void *)p, len);
	munmap(q, len);
}
END_TEST

START_TEST(munmap_inside_a_pmd_keeps_the_rest_of_it)
{
	size_t len;
	unsigned char *p = map_region(g_vram, &len);
	unsigned char *hole = p + SZ_2M + 16 * PAGE;

	pb_fill_pattern(p, 4 * SZ_2M, 0x7003);
	ck_assert_int_eq(munmap(hole, PAGE), 0);
	ck_assert_int_eq(touch_read(hole), SIGSEGV);
	ck_assert_int_eq(pb_verify_pattern(p, SZ_2M + 16 * PAGE, 0x7003), -1);
	/* the pattern restarts nowhere: check the tail against a fresh map */
	{
		size_t l2;
		unsigned char *r = map_region(g_vram, &l2);

		ck_assert_int_eq(memcmp(hole + PAGE, r + (hole + PAGE - p),
					3 * SZ_2M - 17 * PAGE), 0);
		ck_assert_int_eq(pb_verify_pattern(r, 4 * SZ_2M, 0x7003), -1);
		pb_unmap(r, l2);
	}
	munmap(p, hole - p);
	munmap(hole + PAGE, len - (hole + PAGE - p));
}
END_TEST

Suite *suite_huge(void)
{
	Suite *s = suite_create("huge");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup_ctx, teardown_ctx);
	tcase_add_test(tc, region_mapping_is_placed_2m_aligned_with_its_bar);
	tcase_add_test(tc, first_touch_faults_once_per_2m_from_6_12_else_per_page);
	tcase_add_test(tc, pmd_mapping_and_pte_mapping_agree_byte_for_byte);
	tcase_add_test(tc, revoke_then_touch_pmd_mapping_sigbus);
	tcase_add_test(tc, write_after_mprotect_round_trip_lands_through_pmd_mapping);
	tcase_add_test(tc, munmap_inside_a_pmd_keeps_the_rest_of_it);
	suite_add_tcase(s, tc);
	return s;
}
