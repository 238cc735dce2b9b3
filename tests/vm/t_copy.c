// SPDX-License-Identifier: GPL-2.0
/*
 * COPY through the edu DMA engine: every data test checks each byte.  edu
 * moves ~4 KiB per 200 ms of virtual time, so sizes stay small.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xf86drm.h>

#include <uapi/peerbridge.h>

#include "../kmod/pb_slow_fault.h"
#include "pbvm.h"

#define PAGE 4096UL
#define MAX_COPIES "/sys/module/peerbridge/parameters/max_copies"
#define MAX_COPIES_DEFAULT "2"
#define EDU_DRIVER "/sys/bus/pci/drivers/pb_edu_dma"

static void copy_setup(void)
{
	char drv[64];

	setup_ctx();
	find_pci(ID_EDU, 0, g_edu);
	/* an earlier test that unbound the engine and failed */
	driver_of(g_edu, drv, sizeof(drv));
	if (strcmp(drv, "pb_edu_dma"))
		write_file(EDU_DRIVER "/bind", g_edu);
}

/* a test that failed half way leaves no parameter changed */
static void copy_teardown(void)
{
	write_file(MAX_COPIES, MAX_COPIES_DEFAULT);
	teardown_ctx();
}

/* a whole-region dma-buf of a freshly mapped region */
static int region_fd(const char *region, unsigned char **map, size_t *len)
{
	*map = map_region(region, len);
	return export_or_fail(*map, *len, PB_EXPORT_CLOEXEC);
}

START_TEST(copy_vram_to_cmb_peer_to_peer_below_switch)
{
	unsigned char *vram, *cmb;
	struct pb_copy_result res;
	size_t vlen, clen, n = 16 * 1024;
	int vfd = region_fd(g_vram, &vram, &vlen);
	int cfd = region_fd(g_cmb, &cmb, &clen);
	struct pb_buf dst = dmabuf_side(cfd, 0), src = dmabuf_side(vfd, 0);

	pb_fill_pattern(vram, n, 0x6006);
	pb_fill_pattern(cmb, n, ~0x6006ULL);
	ck_assert_int_eq(copy_bufs(&dst, &src, n, &res), 0);
	ck_assert_uint_eq(res.copied, n);
	ck_assert_int_eq(pb_verify_pattern(cmb, n, 0x6006), -1);
	/* the engine used the BARs' bus addresses: nothing left the switch */
	ck_assert_uint_eq(res.src_dma, bar_start(g_ivshmem, 2));
	ck_assert_uint_eq(res.dst_dma, bar_start(g_nvme, 2));
	ck_assert_str_eq(res.engine, g_edu);
	ck_assert_msg(!strncmp(res.channel, "dma0chan", 8), "%s", res.channel);
}
END_TEST

START_TEST(copy_region_to_host_memory)
{
	unsigned char *vram, *host = host_alloc(8192);
	size_t vlen;
	int vfd = region_fd(g_vram, &vram, &vlen);
	struct pb_buf dst = va_side(host), src = dmabuf_side(vfd, 64 * PAGE);

	pb_fill_pattern(vram + 64 * PAGE, 8192, 0x7007);
	memset(host, 0, 8192);
	ck_assert_int_eq(copy_bufs(&dst, &src, 8192, NULL), 0);
	ck_assert_int_eq(pb_verify_pattern(host, 8192, 0x7007), -1);
}
END_TEST

START_TEST(copy_host_memory_to_region)
{
	unsigned char *cmb, *host = host_alloc(8192);
	size_t clen;
	int cfd = region_fd(g_cmb, &cmb, &clen);
	struct pb_buf dst = dmabuf_side(cfd, PAGE), src = va_side(host);

	pb_fill_pattern(host, 8192, 0x8008);
	memset(cmb + PAGE, 0, 8192);
	ck_assert_int_eq(copy_bufs(&dst, &src, 8192, NULL), 0);
	ck_assert_int_eq(pb_verify_pattern(cmb + PAGE, 8192, 0x8008), -1);
}
END_TEST

START_TEST(copy_from_user_va_in_region_takes_callback_path)
{
	unsigned char *vram, *host = host_alloc(8192);
	struct pb_copy_result res;
	size_t vlen;
	struct pb_buf dst = va_side(host), src;

	vram = map_region(g_vram, &vlen);
	src = va_side(vram + 5 * PAGE);
	pb_fill_pattern(vram + 5 * PAGE, 8192, 0x9009);
	memset(host, 0, 8192);
	ck_assert_int_eq(copy_bufs(&dst, &src, 8192, &res), 0);
	ck_assert_int_eq(pb_verify_pattern(host, 8192, 0x9009), -1);
	/* bus address straight from the VMA's callbacks, no dma-buf made */
	ck_assert_uint_eq(res.src_dma, bar_start(g_ivshmem, 2) + 5 * PAGE);
	ck_assert_uint_eq(region_attr(g_vram, "exports"), 0);
}
END_TEST

START_TEST(copy_to_user_va_in_region_takes_callback_path)
{
	unsigned char *cmb, *host = host_alloc(8192);
	struct pb_copy_result res;
	size_t clen;
	struct pb_buf dst, src = va_side(host);

	cmb = map_region(g_cmb, &clen);
	dst = va_side(cmb + 2 * PAGE);
	pb_fill_pattern(host, 8192, 0xa00a);
	memset(cmb + 2 * PAGE, 0, 8192);
	ck_assert_int_eq(copy_bufs(&dst, &src, 8192, &res), 0);
	ck_assert_int_eq(pb_verify_pattern(cmb + 2 * PAGE, 8192, 0xa00a), -1);
	ck_assert_uint_eq(res.dst_dma, bar_start(g_nvme, 2) + 2 * PAGE);
}
END_TEST

START_TEST(copy_unaligned_offsets_and_odd_length)
{
	const size_t n = 2 * 4088 + 77, soff = 123, doff = 4567;
	unsigned char *vram, *cmb, before[64], after[64];
	size_t vlen, clen;
	int vfd = region_fd(g_vram, &vram, &vlen);
	int cfd = region_fd(g_cmb, &cmb, &clen);
	struct pb_buf dst = dmabuf_side(cfd, doff), src = dmabuf_side(vfd, soff);

	pb_fill_pattern(vram + soff, n, 0xb00b);
	memset(cmb + doff - 64, 0xee, n + 128);
	memcpy(before, cmb + doff - 64, 64);
	memcpy(after, cmb + doff + n, 64);
	ck_assert_int_eq(copy_bufs(&dst, &src, n, NULL), 0);
	ck_assert_int_eq(pb_verify_pattern(cmb + doff, n, 0xb00b), -1);
	/* not one byte outside the window */
	ck_assert_int_eq(memcmp(before, cmb + doff - 64, 64), 0);
	ck_assert_int_eq(memcmp(after, cmb + doff + n, 64), 0);
}
END_TEST

START_TEST(copy_straddling_region_end_is_einval_nothing_written)
{
	unsigned char *vram, *cmb;
	struct pb_copy_result res;
	size_t vlen, clen;
	int vfd = region_fd(g_vram, &vram, &vlen);
	int cfd = region_fd(g_cmb, &cmb, &clen);
	struct pb_buf dst = dmabuf_side(cfd, clen - 100), src = dmabuf_side(vfd, 0);

	pb_fill_pattern(cmb + clen - 100, 100, 0xc00c);
	ck_assert_int_eq(copy_bufs(&dst, &src, 4096, &res), EINVAL);
	ck_assert_uint_eq(res.copied, 0);
	ck_assert_int_eq(pb_verify_pattern(cmb + clen - 100, 100, 0xc00c), -1);
}
END_TEST

START_TEST(copy_past_end_of_peer_mapping_is_einval)
{
	unsigned char *host = host_alloc(3 * PAGE);
	char path[128];
	void *p;
	int fd;
	struct pb_buf dst = va_side(host), src;

	snprintf(path, sizeof(path), PB_REGION_DIR "/%s", g_vram);
	fd = open(path, O_RDWR | O_CLOEXEC);
	p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert(p != MAP_FAILED);
	ck_assert_int_eq(munmap((char *)p + 2 * PAGE, 2 * PAGE), 0);
	src = va_side(p);
	ck_assert_int_eq(copy_bufs(&dst, &src, 3 * PAGE, NULL), EINVAL);
	close(fd);
}
END_TEST

START_TEST(copy_into_readonly_export_is_eacces)
{
	unsigned char *vram, *host = host_alloc(PAGE);
	size_t vlen;
	int fd;
	struct pb_buf dst, src = va_side(host);

	vram = map_region(g_vram, &vlen);
	fd = export_or_fail(vram, vlen, PB_EXPORT_RDONLY);
	dst = dmabuf_side(fd, 0);
	ck_assert_int_eq(copy_bufs(&dst, &src, PAGE, NULL), EACCES);
}
END_TEST

START_TEST(copy_from_readonly_export_works)
{
	unsigned char *vram, *host = host_alloc(PAGE);
	size_t vlen;
	int fd;
	struct pb_buf dst = va_side(host), src;

	vram = map_region(g_vram, &vlen);
	pb_fill_pattern(vram, PAGE, 0xd00d);
	fd = export_or_fail(vram, vlen, PB_EXPORT_RDONLY);
	src = dmabuf_side(fd, 0);
	ck_assert_int_eq(copy_bufs(&dst, &src, PAGE, NULL), 0);
	ck_assert_int_eq(pb_verify_pattern(host, PAGE, 0xd00d), -1);
}
END_TEST

START_TEST(dmabuf_outlives_munmap_and_region_node)
{
	unsigned char *vram, *host = host_alloc(PAGE);
	size_t vlen;
	int fd;
	struct pb_buf dst = va_side(host), src;

	vram = map_region(g_vram, &vlen);
	pb_fill_pattern(vram + PAGE, PAGE, 0xe00e);
	fd = export_or_fail(vram + PAGE, PAGE, 0);
	pb_unmap(vram, vlen);		/* pb_map closed the node already */
	src = dmabuf_side(fd, 0);
	ck_assert_int_eq(copy_bufs(&dst, &src, PAGE, NULL), 0);
	ck_assert_int_eq(pb_verify_pattern(host, PAGE, 0xe00e), -1);
}
END_TEST

START_TEST(export_of_two_adjacent_mappings_keeps_region_order)
{
	unsigned char *host = host_alloc(4 * PAGE), *vram;
	char path[128], *at;
	size_t vlen;
	int nfd, fd;
	struct pb_buf dst = va_side(host), src;

	/* region pages 8-9 then 2-3, adjacent in the address space */
	vram = map_region(g_vram, &vlen);
	pb_fill_pattern(vram + 8 * PAGE, 2 * PAGE, 0xf00f);
	pb_fill_pattern(vram + 2 * PAGE, 2 * PAGE, 0xf10f);
	snprintf(path, sizeof(path), PB_REGION_DIR "/%s", g_vram);
	nfd = open(path, O_RDWR | O_CLOEXEC);
	at = mmap(NULL, 4 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert(mmap(at, 2 * PAGE, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_FIXED, nfd, 8 * PAGE) != MAP_FAILED);
	ck_assert(mmap(at + 2 * PAGE, 2 * PAGE, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_FIXED, nfd, 2 * PAGE) != MAP_FAILED);
	fd = export_or_fail(at, 4 * PAGE, 0);
	src = dmabuf_side(fd, 0);
	ck_assert_int_eq(copy_bufs(&dst, &src, 4 * PAGE, NULL), 0);
	ck_assert_int_eq(pb_verify_pattern(host, 2 * PAGE, 0xf00f), -1);
	ck_assert_int_eq(pb_verify_pattern(host + 2 * PAGE, 2 * PAGE, 0xf10f),
			 -1);
	close(nfd);
}
END_TEST

START_TEST(copy_from_foreign_exporter_dmabuf)
{
	unsigned char *cmb, *buf;
	size_t clen;
	int vgem = vgem_open(), vfd = vgem_dmabuf(vgem, 2 * PAGE);
	int cfd = region_fd(g_cmb, &cmb, &clen);
	struct pb_buf dst = dmabuf_side(cfd, 0), src = dmabuf_side(vfd, 0);

	buf = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, vfd, 0);
	ck_assert(buf != MAP_FAILED);
	pb_fill_pattern(buf, 2 * PAGE, 0x1111);
	memset(cmb, 0, 2 * PAGE);
	ck_assert_int_eq(copy_bufs(&dst, &src, 2 * PAGE, NULL), 0);
	ck_assert_int_eq(pb_verify_pattern(cmb, 2 * PAGE, 0x1111), -1);
}
END_TEST

START_TEST(copy_across_host_bridge_is_refused_exdev)
{
	char far[PB_BDF_LEN], region[PB_REGION_NAME_MAX];
	unsigned char *host = host_alloc(PAGE), *p;
	size_t len;
	int fd;
	struct pb_buf dst = va_side(host), src;

	/* the second ivshmem sits on its own root port */
	find_pci(ID_IVSHMEM, 1, far);
	bind_dev(far);
	region_name(far, "bar2", region, sizeof(region));
	fd = region_fd(region, &p, &len);
	src = dmabuf_side(fd, 0);
	ck_assert_int_eq(copy_bufs(&dst, &src, PAGE, NULL), EXDEV);
	close(fd);
	pb_unmap(p, len);
	unbind_dev(far);
}
END_TEST

START_TEST(copy_after_revoke_is_enodev)
{
	unsigned char *vram, *host = host_alloc(PAGE);
	size_t vlen;
	int fd = region_fd(g_vram, &vram, &vlen);
	struct pb_buf dst = va_side(host), src = dmabuf_side(fd, 0);

	unbind_dev(g_ivshmem);
	ck_assert_int_eq(copy_bufs(&dst, &src, PAGE, NULL), ENODEV);
}
END_TEST

/*
 * With every edu engine unbound the guest has no DMA_MEMCPY channel.  No
 * assertion until every engine is back: a test that stopped half way
 * would leave the rest of the suite without one (copy_setup binds edu
 * again, too).
 */
START_TEST(copy_without_a_dma_channel_is_enxio_and_says_so)
{
	unsigned char *a = host_alloc(PAGE), *b = host_alloc(PAGE);
	struct pb_buf dst = va_side(b), src = va_side(a);
	char edus[8][PB_BDF_LEN], msg[256];
	DIR *dir = opendir(EDU_DRIVER);
	int i, n = 0, err, unbound = 0, rebound = 0;
	bool off[8] = { false };
	struct dirent *d;

	ck_assert_ptr_nonnull(dir);
	while ((d = readdir(dir)) && n < 8)
		if (strchr(d->d_name, ':'))
			snprintf(edus[n++], PB_BDF_LEN, "%.12s", d->d_name);
	closedir(dir);
	for (i = 0; i < n; i++) {
		off[i] = !write_file(EDU_DRIVER "/unbind", edus[i]);
		unbound += off[i];
	}
	err = copy_bufs(&dst, &src, PAGE, NULL);
	snprintf(msg, sizeof(msg), "%s", pb_strerror(err));
	for (i = 0; i < n; i++)
		rebound += off[i] && !write_file(EDU_DRIVER "/bind", edus[i]);
	ck_assert_int_ge(n, 1);
	ck_assert_int_eq(unbound, n);
	ck_assert_int_eq(rebound, n);
	ck_assert_msg(err == ENXIO, "copy with no channel: %s", strerror(err));
	ck_assert_msg(strstr(msg, "no DMA channel") && !strstr(msg, "revoked"),
		      "%s", msg);
}
END_TEST

START_TEST(copy_failing_part_way_reports_only_what_arrived)
{
	/* two descriptors: the first (64 KiB) completes, the second fails */
	const size_t n = 64 * 1024 + 4096;
	unsigned char *vram, *cmb;
	struct pb_copy_result res;
	size_t vlen, clen;
	int vfd = region_fd(g_vram, &vram, &vlen);
	int cfd = region_fd(g_cmb, &cmb, &clen);
	struct pb_buf dst = dmabuf_side(cfd, 0), src = dmabuf_side(vfd, 0);

	pb_fill_pattern(vram, n, 0x3113);
	memset(cmb, 0, n);
	ck_assert_int_eq(write_file("/sys/module/pb_edu_dma/parameters/fail_nth_desc",
				    "2"), 0);
	ck_assert_int_eq(copy_bufs(&dst, &src, n, &res), EIO);
	ck_assert_uint_eq(res.copied, 64 * 1024);
	ck_assert_int_eq(pb_verify_pattern(cmb, 64 * 1024, 0x3113), -1);
}
END_TEST

/* COPY moves its bytes in windows; these make the windows 8 KiB */
#define COPY_WINDOW "/sys/module/peerbridge/parameters/copy_window_kib"

static void small_windows_setup(void)
{
	copy_setup();
	ck_assert_int_eq(write_file(COPY_WINDOW, "8"), 0);
}

static void small_windows_teardown(void)
{
	write_file(COPY_WINDOW, "1024");
	write_file(MAX_COPIES, MAX_COPIES_DEFAULT);
	teardown_ctx();
}

START_TEST(copy_across_many_windows_from_host_into_peer_mapping)
{
	const size_t n = 5 * 8192 + 1000, hoff = 1000, voff = 3 * PAGE + 512;
	unsigned char *vram, *host = host_alloc(n + 2 * PAGE), guard[64];
	struct pb_copy_result res;
	size_t vlen;
	struct pb_buf dst, src = va_side(host + hoff);

	vram = map_region(g_vram, &vlen);
	dst = va_side(vram + voff);
	pb_fill_pattern(host + hoff, n, 0x5115);
	memset(vram + voff, 0, n + sizeof(guard));
	memset(guard, 0, sizeof(guard));
	ck_assert_int_eq(copy_bufs(&dst, &src, n, &res), 0);
	ck_assert_uint_eq(res.copied, n);
	ck_assert_int_eq(pb_verify_pattern(vram + voff, n, 0x5115), -1);
	ck_assert_int_eq(memcmp(vram + voff + n, guard, sizeof(guard)), 0);
}
END_TEST

START_TEST(copy_across_many_windows_from_export_into_host_memory)
{
	const size_t n = 6 * 8192 + 40, soff = 4568;
	unsigned char *vram, *host = host_alloc(n + PAGE);
	size_t vlen;
	int vfd = region_fd(g_vram, &vram, &vlen);
	struct pb_buf dst = va_side(host + 24), src = dmabuf_side(vfd, soff);

	pb_fill_pattern(vram + soff, n, 0x6226);
	memset(host, 0, n + PAGE);
	ck_assert_int_eq(copy_bufs(&dst, &src, n, NULL), 0);
	ck_assert_int_eq(pb_verify_pattern(host + 24, n, 0x6226), -1);
	ck_assert_int_eq(host[23], 0);
	ck_assert_int_eq(host[24 + n], 0);
}
END_TEST

/* vgem's table has one entry per page: windows start inside entries */
START_TEST(copy_across_many_windows_from_a_foreign_dmabuf_of_scattered_pages)
{
	const size_t n = 11 * PAGE + 200, soff = 1000;
	unsigned char *cmb, *buf;
	size_t clen;
	int vgem = vgem_open(), vfd = vgem_dmabuf(vgem, 12 * PAGE + PAGE);
	int cfd = region_fd(g_cmb, &cmb, &clen);
	struct pb_buf dst = dmabuf_side(cfd, 8), src = dmabuf_side(vfd, soff);

	buf = mmap(NULL, 13 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, vfd, 0);
	ck_assert(buf != MAP_FAILED);
	pb_fill_pattern(buf + soff, n, 0x7337);
	memset(cmb, 0, n + 16);
	ck_assert_int_eq(copy_bufs(&dst, &src, n, NULL), 0);
	ck_assert_int_eq(pb_verify_pattern(cmb + 8, n, 0x7337), -1);
	ck_assert_int_eq(cmb[8 + n], 0);
	munmap(buf, 13 * PAGE);
	close(vfd);
	close(vgem);
}
END_TEST


/* COPY's argument rules, through the raw ioctl */
static int raw_copy(struct peerbridge_copy *arg)
{
	arg->argsz = sizeof(*arg);
	return ctl_ioctl(PEERBRIDGE_COPY, arg);
}

static void host_to_host(struct peerbridge_copy *arg, size_t len)
{
	void *a = host_alloc(len), *b = host_alloc(len);

	memset(arg, 0, sizeof(*arg));
	arg->dst = (struct peerbridge_copy_side){ PEERBRIDGE_SIDE_VA, -1,
						  (uintptr_t)a };
	arg->src = (struct peerbridge_copy_side){ PEERBRIDGE_SIDE_VA, -1,
						  (uintptr_t)b };
	arg->len = len;
}

/*
 * Lengths past the caller's memory fail before anything is pinned or
 * allocated for them: no page array sized by len, no allocator warning.
 */
START_TEST(copy_longer_than_host_memory_fails_fast_with_efault)
{
	static const uint64_t lens[] = { 1ULL << 40, 16ULL << 30 };
	struct peerbridge_copy arg;
	unsigned int i;

	for (i = 0; i < 2; i++) {
		host_to_host(&arg, 64 * 1024);
		arg.len = lens[i];
		ck_assert_int_eq(raw_copy(&arg), EFAULT);
		ck_assert_uint_eq(arg.copied, 0);
	}
}
END_TEST

START_TEST(copy_len_zero_is_einval)
{
	struct peerbridge_copy arg;

	host_to_host(&arg, PAGE);
	arg.len = 0;
	ck_assert_int_eq(raw_copy(&arg), EINVAL);
}
END_TEST

START_TEST(copy_unknown_flag_is_einval)
{
	struct peerbridge_copy arg;

	host_to_host(&arg, PAGE);
	arg.flags = 1;
	ck_assert_int_eq(raw_copy(&arg), EINVAL);
}
END_TEST

START_TEST(copy_nonzero_reserved_is_einval)
{
	struct peerbridge_copy arg;

	host_to_host(&arg, PAGE);
	arg.reserved = 1;
	ck_assert_int_eq(raw_copy(&arg), EINVAL);
}
END_TEST

START_TEST(copy_unknown_side_type_is_einval)
{
	struct peerbridge_copy arg;

	host_to_host(&arg, PAGE);
	arg.src.type = 7;
	ck_assert_int_eq(raw_copy(&arg), EINVAL);
}
END_TEST

START_TEST(copy_from_closed_fd_is_ebadf)
{
	struct peerbridge_copy arg;

	host_to_host(&arg, PAGE);
	arg.src = (struct peerbridge_copy_side){ PEERBRIDGE_SIDE_DMABUF, 999, 0 };
	ck_assert_int_eq(raw_copy(&arg), EBADF);
}
END_TEST

START_TEST(copy_from_fd_that_is_not_a_dmabuf_is_einval)
{
	struct peerbridge_copy arg;
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	host_to_host(&arg, PAGE);
	arg.src = (struct peerbridge_copy_side){ PEERBRIDGE_SIDE_DMABUF, fd, 0 };
	ck_assert_int_eq(raw_copy(&arg), EINVAL);
	close(fd);
}
END_TEST

START_TEST(copy_from_unmapped_user_memory_is_efault)
{
	struct peerbridge_copy arg;
	void *p = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	host_to_host(&arg, PAGE);
	munmap(p, PAGE);
	arg.src.addr = (uintptr_t)p;
	ck_assert_int_eq(raw_copy(&arg), EFAULT);
}
END_TEST

START_TEST(pbctl_copy_vram_to_cmb_verifies_every_byte)
{
	char out[4096];

	ck_assert_int_eq(pbctl_output(out, sizeof(out), "copy %s@4096 %s@8192 12K --verify",
				      g_vram, g_cmb), 0);
	ck_assert_msg(strstr(out, "bytes: 12K"), "%s", out);
	ck_assert_msg(strstr(out, "DMA channel: dma0chan0"), "%s", out);
	ck_assert_msg(strstr(out, "verified byte for byte: yes"), "%s", out);
}
END_TEST

START_TEST(pbctl_copy_json_reports_exact_bytes_and_addresses)
{
	char out[4096], want[128];

	ck_assert_int_eq(pbctl_output(out, sizeof(out), "-j copy host %s@100 8253 --verify",
				      g_cmb), 0);
	ck_assert_msg(strstr(out, "\"bytes\": 8253"), "%s", out);
	snprintf(want, sizeof(want), "\"destination_dma\": \"%#llx\"",
		 (unsigned long long)bar_start(g_nvme, 2) + 100);
	ck_assert_msg(strstr(out, want), "no %s in %s", want, out);
	ck_assert_msg(strstr(out, "\"verified\": true"), "%s", out);
}
END_TEST

START_TEST(pbctl_copy_past_region_end_fails_with_exit_1)
{
	char out[4096];

	ck_assert_int_eq(pbctl_output(out, sizeof(out), "copy host %s@16777000 4K",
				      g_cmb), 1);
}
END_TEST

START_TEST(copy_into_readonly_foreign_dmabuf_is_eacces)
{
	int vgem = vgem_open(), fd;
	struct drm_mode_create_dumb create = {
		.width = PAGE / 4, .height = 1, .bpp = 32,
	};

	ck_assert_int_eq(drmIoctl(vgem, DRM_IOCTL_MODE_CREATE_DUMB, &create), 0);
	/* exported without DRM_RDWR: a read-only dma-buf file */
	ck_assert_int_eq(drmPrimeHandleToFD(vgem, create.handle, DRM_CLOEXEC,
					    &fd), 0);
	assert_copy_reads_but_never_writes(fd);
	close(fd);
	close(vgem);
}
END_TEST

/* physical, bus and IOVA addresses are not for everyone */
START_TEST(copy_as_unprivileged_user_reports_no_dma_addresses)
{
	pid_t pid = fork();
	int st;

	ck_assert_int_ge(pid, 0);
	if (!pid) {
		unsigned char *a = host_alloc(PAGE), *b = host_alloc(PAGE);
		struct pb_buf dst = va_side(b), src = va_side(a);
		struct pb_copy_result res;
		struct pb_ctx *cc;

		if (drop_to_nobody(true))
			_exit(1);
		cc = pb_open();
		if (!cc) {
			fprintf(stderr, "unprivileged pb_open: %s\n", strerror(errno));
			_exit(2);
		}
		pb_fill_pattern(a, PAGE, 0x8228);
		if (pb_copy_ex(cc, &dst, &src, PAGE, 0, &res)) {
			fprintf(stderr, "unprivileged copy: %s\n", strerror(errno));
			_exit(3);
		}
		if (pb_verify_pattern(b, PAGE, 0x8228) != -1)
			_exit(4);
		_exit(res.src_dma || res.dst_dma ? 5 : 0);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "the unprivileged copy failed at step %d", WEXITSTATUS(st));
}
END_TEST

struct copy_job {
	struct pb_buf dst, src;
	size_t len;
	int err;
	bool done;		/* err is set; the thread may still be exiting */
	pthread_t thread;
};

static void *copy_job_run(void *arg)
{
	struct copy_job *job = arg;

	job->err = copy_bufs(&job->dst, &job->src, job->len, NULL);
	__atomic_store_n(&job->done, true, __ATOMIC_RELEASE);
	return NULL;
}

static void copy_job_start(struct copy_job *job, size_t len, uint64_t seed)
{
	job->len = len;
	job->dst = va_side(host_alloc(len));
	job->src = va_side(host_alloc(len));
	pb_fill_pattern(job->src.addr, len, seed);
	ck_assert_int_eq(pthread_create(&job->thread, NULL, copy_job_run, job), 0);
}

/* true when the job ended within @secs */
static bool copy_job_ends_within(struct copy_job *job, int secs)
{
	struct timespec deadline;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += secs;
	return pthread_timedjoin_np(job->thread, NULL, &deadline) == 0;
}

/*
 * A copy busy on the engine for seconds (128 KiB: edu moves ~4 KiB per
 * 200 ms), from a VRAM export into host memory; it holds its channel once
 * the export shows its attachment.
 */
struct busy_copy {
	unsigned char *vram;
	size_t vlen;
	int fd;
	bool joined;
	struct copy_job job;
};

#define BUSY_LEN (128 * 1024)

static void busy_copy_start(struct busy_copy *bc)
{
	int i;

	bc->fd = region_fd(g_vram, &bc->vram, &bc->vlen);
	pb_fill_pattern(bc->vram, BUSY_LEN, 0x4334);
	bc->job.len = BUSY_LEN;
	bc->job.dst = va_side(host_alloc(BUSY_LEN));
	bc->job.src = dmabuf_side(bc->fd, 0);
	bc->joined = false;
	ck_assert_int_eq(pthread_create(&bc->job.thread, NULL, copy_job_run,
					&bc->job), 0);
	for (i = 0; i < 3000 && !region_attr(g_vram, "attachments"); i++)
		usleep(10000);
	ck_assert_msg(region_attr(g_vram, "attachments"),
		      "the first copy never attached its source");
}

/* it must complete, byte for byte */
static void busy_copy_finish(struct busy_copy *bc)
{
	if (!bc->joined)
		ck_assert_int_eq(pthread_join(bc->job.thread, NULL), 0);
	ck_assert_int_eq(bc->job.err, 0);
	ck_assert_int_eq(pb_verify_pattern(bc->job.dst.addr, BUSY_LEN, 0x4334),
			 -1);
	close(bc->fd);
}

START_TEST(copy_proceeds_on_a_second_channel_while_another_copy_runs)
{
	struct busy_copy bc;
	struct copy_job b;
	bool a_running;

	busy_copy_start(&bc);
	copy_job_start(&b, PAGE, 0x4224);
	ck_assert_int_eq(pthread_join(b.thread, NULL), 0);
	/* still moving its 128 KiB: the two ran side by side */
	a_running = pthread_tryjoin_np(bc.job.thread, NULL) == EBUSY;
	bc.joined = !a_running;
	ck_assert_int_eq(b.err, 0);
	ck_assert_int_eq(pb_verify_pattern(b.dst.addr, PAGE, 0x4224), -1);
	ck_assert_msg(a_running, "the second copy waited for the first one to end");
	busy_copy_finish(&bc);
}
END_TEST


/* peerbridge never takes more than max_copies channels from the system */
START_TEST(copy_beyond_max_copies_waits_for_a_channel_then_completes)
{
	struct busy_copy bc;
	struct copy_job b;
	bool b_early;

	ck_assert_int_eq(write_file(MAX_COPIES, "1"), 0);
	busy_copy_start(&bc);
	copy_job_start(&b, PAGE, 0x4554);
	b_early = copy_job_ends_within(&b, 2);
	busy_copy_finish(&bc);
	write_file(MAX_COPIES, MAX_COPIES_DEFAULT);
	if (!b_early)
		ck_assert_int_eq(pthread_join(b.thread, NULL), 0);
	ck_assert_msg(!b_early, "a second copy took a channel beyond max_copies=1");
	ck_assert_int_eq(b.err, 0);
	ck_assert_int_eq(pb_verify_pattern(b.dst.addr, PAGE, 0x4554), -1);
}
END_TEST

/* faults served in the guest's own time, as a FUSE daemon's are */
#define SLOW_LEN (16 * 1024)

static int slow_faults_waiting(int fd)
{
	char text[16] = "";

	if (pread(fd, text, sizeof(text) - 1, 0) <= 0)
		return -1;
	return atoi(text);
}

/* whether a fault on @fd's mapping waits, within 10 s */
static bool slow_fault_waits(int fd)
{
	int i;

	for (i = 0; i < 1000; i++, usleep(10000))
		if (slow_faults_waiting(fd) > 0)
			return true;
	return false;
}

/* @len bytes of a fresh pb_slow_fault file, read-only; its fd in *fdp */
static unsigned char *slow_map(size_t len, int *fdp)
{
	unsigned char *p;

	*fdp = open(PBSF_DEV, O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(*fdp, 0);
	p = mmap(NULL, len, PROT_READ, MAP_SHARED, *fdp, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	return p;
}

/* @p holds what pb_slow_fault maps from file offset @off on, byte for byte */
static void assert_pbsf_bytes(const unsigned char *p, size_t len, size_t off)
{
	size_t i;

	for (i = 0; i < len; i++)
		ck_assert_uint_eq(p[i], pbsf_byte(off + i));
}

/*
 * A child copies SLOW_LEN bytes from @slow, whose first fault waits until
 * released, into @dst, or, with @dst NULL, into fresh memory of its own
 * that it then checks byte for byte.  It exits 0 when all went well.
 */
static pid_t slow_copy_fork(const struct pb_buf *dst, unsigned char *slow)
{
	pid_t pid = fork();
	int i;

	ck_assert_int_ge(pid, 0);
	if (!pid) {
		unsigned char *own = host_alloc(SLOW_LEN);
		struct pb_buf d = dst ? *dst : va_side(own), src = va_side(slow);

		prctl(PR_SET_PDEATHSIG, SIGKILL);	/* a failed test ends it */
		if (copy_bufs(&d, &src, SLOW_LEN, NULL))
			_exit(1);
		for (i = 0; !dst && i < SLOW_LEN; i++)
			if (own[i] != pbsf_byte(i))
				_exit(2);
		_exit(0);
	}
	return pid;
}

static void slow_copy_succeeded(pid_t pid, int fd)
{
	int st;

	ck_assert_int_eq(write(fd, "1", 1), 1);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "the slow copy failed at step %d", WEXITSTATUS(st));
}

/*
 * A child copies from a mapping whose first fault waits until released;
 * its mm stays locked meanwhile, so the other copy runs in the parent.
 */
START_TEST(copy_waiting_on_a_slow_page_fault_leaves_its_channel_to_others)
{
	bool waited, b_early;
	unsigned char *slow;
	struct copy_job b;
	pid_t pid;
	int fd;

	slow = slow_map(SLOW_LEN, &fd);
	ck_assert_int_eq(write_file(MAX_COPIES, "1"), 0);
	pid = slow_copy_fork(NULL, slow);
	waited = slow_fault_waits(fd);
	/* without a channel of its own it would wait, then fail with EBUSY */
	copy_job_start(&b, PAGE, 0x4664);
	b_early = copy_job_ends_within(&b, 10);
	slow_copy_succeeded(pid, fd);
	write_file(MAX_COPIES, MAX_COPIES_DEFAULT);
	if (!b_early)
		ck_assert_int_eq(pthread_join(b.thread, NULL), 0);
	ck_assert_msg(waited, "the child's copy never waited on its fault");
	ck_assert_msg(b_early, "a copy waited for the channel of a copy stalled on a page fault");
	ck_assert_int_eq(b.err, 0);
	ck_assert_int_eq(pb_verify_pattern(b.dst.addr, PAGE, 0x4664), -1);
	munmap(slow, SLOW_LEN);
	close(fd);
}
END_TEST

/* pages pinned (FOLL_PIN) in the whole guest right now */
static long pinned_pages(void)
{
	long acquired = -1, released = -1, v;
	char line[128];
	FILE *f;

	/* fold every CPU's pending counts in */
	ck_assert_int_eq(write_file("/proc/sys/vm/stat_refresh", "1"), 0);
	f = fopen("/proc/vmstat", "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "nr_foll_pin_acquired %ld", &v) == 1)
			acquired = v;
		else if (sscanf(line, "nr_foll_pin_released %ld", &v) == 1)
			released = v;
	}
	fclose(f);
	ck_assert_msg(acquired >= 0 && released >= 0,
		      "/proc/vmstat has no FOLL_PIN counts");
	return acquired - released;
}

/*
 * The child's destination pins at once, its source waits on a fault: the
 * copy lets go of the destination's pages while it waits, so however many
 * copies wait, none holds memory pinned.
 */
START_TEST(copy_parked_on_a_slow_fault_keeps_no_pages_pinned)
{
	unsigned char *slow;
	long before, parked;
	bool waited;
	pid_t pid;
	int fd;

	slow = slow_map(SLOW_LEN, &fd);
	before = pinned_pages();
	pid = slow_copy_fork(NULL, slow);
	waited = slow_fault_waits(fd);
	parked = pinned_pages();
	slow_copy_succeeded(pid, fd);
	ck_assert_msg(waited, "the child's copy never waited on its fault");
	ck_assert_msg(parked == before,
		      "a copy waiting on a fault kept %ld pages pinned",
		      parked - before);
	munmap(slow, SLOW_LEN);
	close(fd);
}
END_TEST

/* likewise for a dma-buf destination: detached while the copy waits */
START_TEST(copy_parked_on_a_slow_fault_keeps_no_dmabuf_attached)
{
	unsigned char *slow, *vram;
	uint64_t parked;
	struct pb_buf d;
	bool waited;
	size_t vlen;
	int fd, vfd;
	pid_t pid;

	vfd = region_fd(g_vram, &vram, &vlen);
	d = dmabuf_side(vfd, 0);
	slow = slow_map(SLOW_LEN, &fd);
	pid = slow_copy_fork(&d, slow);
	waited = slow_fault_waits(fd);
	parked = region_attr(g_vram, "attachments");
	slow_copy_succeeded(pid, fd);
	ck_assert_msg(waited, "the child's copy never waited on its fault");
	ck_assert_msg(parked == 0,
		      "a copy waiting on a fault kept its dma-buf attached");
	assert_pbsf_bytes(vram, SLOW_LEN, 0);
	munmap(slow, SLOW_LEN);
	close(fd);
	close(vfd);
}
END_TEST

/*
 * A shared mapping whose pages the kernel tracks dirty (page_mkwrite, as
 * FUSE's): a long-term pin to write it is refused, as GUP refuses it from
 * 6.5 on, before a byte is written.
 */
START_TEST(copy_into_a_shared_mapping_that_tracks_dirty_pages_is_efault)
{
	unsigned char *dst, *src = host_alloc(PAGE);
	struct pb_buf d, s;
	int fd;

	fd = open(PBSF_DEV, O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "1", 1), 1);	/* faults do not wait */
	dst = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(dst, MAP_FAILED);
	pb_fill_pattern(src, PAGE, 0x4dd4);
	d = va_side(dst);
	s = va_side(src);
	ck_assert_int_eq(copy_bufs(&d, &s, PAGE, NULL), EFAULT);
	assert_pbsf_bytes(dst, PAGE, 0);
	munmap(dst, PAGE);
	close(fd);
	free(src);
}
END_TEST

/* a thread that waits for a byte on @go, then does its one thing */
struct blocker {
	int go[2];
	const volatile unsigned char *touch;	/* read this byte */
	void *unmap;				/* or munmap this page */
	unsigned char got;
	pthread_t thread;
};

static void *blocker_run(void *arg)
{
	struct blocker *b = arg;
	char c;

	if (read(b->go[0], &c, 1) != 1)
		return NULL;
	if (b->touch)
		b->got = *b->touch;
	else
		munmap(b->unmap, PAGE);
	return NULL;
}

/* threads are created before the mm is blocked: creating one maps */
static void blocker_start(struct blocker *b)
{
	ck_assert_int_eq(pipe2(b->go, O_CLOEXEC), 0);
	ck_assert_int_eq(pthread_create(&b->thread, NULL, blocker_run, b), 0);
}

static void blocker_go(struct blocker *b)
{
	ck_assert_int_eq(write(b->go[1], "g", 1), 1);
}

/*
 * The test process's mmap lock held up the way user space can: one thread
 * stalled in a fault pb_slow_fault serves (holding the lock for reading),
 * another's munmap queued behind it for writing.
 */
struct mm_block {
	int fd;
	unsigned char *slow;
	struct blocker toucher, unmapper;
	bool waited;
};

static void mm_block_prepare(struct mm_block *mb)
{
	memset(mb, 0, sizeof(*mb));
	mb->slow = slow_map(PAGE, &mb->fd);
	mb->toucher.touch = mb->slow;
	mb->unmapper.unmap = mmap(NULL, PAGE, PROT_READ,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(mb->unmapper.unmap, MAP_FAILED);
	blocker_start(&mb->toucher);
	blocker_start(&mb->unmapper);
}

/* from here until mm_block_release(), no fault in this process ends */
static void mm_block_engage(struct mm_block *mb)
{
	blocker_go(&mb->toucher);
	mb->waited = slow_fault_waits(mb->fd);
	blocker_go(&mb->unmapper);
}

static void mm_block_release(struct mm_block *mb)
{
	ck_assert_int_eq(write(mb->fd, "1", 1), 1);
	ck_assert_int_eq(pthread_join(mb->toucher.thread, NULL), 0);
	ck_assert_int_eq(pthread_join(mb->unmapper.thread, NULL), 0);
}

/* after the verdicts: the fault really waited, and mapped what it should */
static void mm_block_close(struct mm_block *mb)
{
	ck_assert_msg(mb->waited, "the fault never waited");
	ck_assert_uint_eq(mb->toucher.got, pbsf_byte(0));
	munmap(mb->slow, PAGE);
	close(mb->fd);
}

/* touch the stack the calls after this one will use */
static __attribute__((noinline)) void prefault_stack(void)
{
	volatile unsigned char stack[64 * 1024];
	size_t i;

	for (i = 0; i < sizeof(stack); i += PAGE)
		stack[i] = 0;
}

/*
 * A copy that faults nothing in, once its code has run before: on 6.1
 * every fault, even of the thread's stack or of library text, takes the
 * mmap lock, which the test holds up.
 */
static void *copy_job_run_prefaulted(void *arg)
{
	prefault_stack();
	return copy_job_run(arg);
}

/*
 * Run one page of @job's copy here first, so that its code is mapped,
 * then start the job; it returns once the job's first 8 KiB window has
 * arrived in @dst_bytes (@seed's pattern): past its checks, into its
 * windows.
 */
static void copy_job_start_warm(struct copy_job *job,
				unsigned char *dst_bytes, uint64_t seed)
{
	struct copy_job warm = { .dst = job->dst, .src = job->src, .len = PAGE };
	int i;

	copy_job_run_prefaulted(&warm);
	ck_assert_int_eq(warm.err, 0);
	memset(dst_bytes, 0, job->len);
	ck_assert_int_eq(pthread_create(&job->thread, NULL,
				       copy_job_run_prefaulted, job), 0);
	for (i = 0; i < 3000 && pb_verify_pattern(dst_bytes, 8192, seed) != -1; i++)
		usleep(10000);
}

static bool copy_job_done(struct copy_job *job)
{
	return __atomic_load_n(&job->done, __ATOMIC_ACQUIRE);
}

/*
 * The destination passes COPY's checks as anonymous memory; while the
 * first of its four windows moves, its last window becomes a shared
 * mapping whose pages the kernel tracks dirty.  Each window's pin checks
 * the range as it is then: the copy stops there, and nothing of the new
 * mapping is written.
 */
START_TEST(copy_into_memory_remapped_to_track_dirty_pages_midway_is_efault)
{
	const size_t len = 4 * 8192, off = 3 * 8192, remap_off = 64 * 1024;
	struct copy_job c = { .len = len };
	unsigned char *dst, *tail;
	int fd;

	fd = open(PBSF_DEV, O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "1", 1), 1);	/* its faults do not wait */
	dst = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(dst, MAP_FAILED);
	c.dst = va_side(dst);
	c.src = va_side(host_alloc(len));
	pb_fill_pattern(c.src.addr, len, 0x4ee4);
	copy_job_start_warm(&c, dst, 0x4ee4);	/* the first window arrived */
	ck_assert_msg(!copy_job_done(&c), "the copy ended before the remap");
	tail = mmap(dst + off, len - off, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_FIXED, fd, remap_off);
	ck_assert_ptr_eq(tail, dst + off);
	ck_assert_int_eq(pthread_join(c.thread, NULL), 0);
	ck_assert_int_eq(c.err, EFAULT);
	assert_pbsf_bytes(tail, len - off, remap_off);
	munmap(dst, len);
	close(fd);
}
END_TEST

/*
 * One thread of the process stalls in a fault user space serves, holding
 * the mmap lock; another's munmap queues for it; a copy of present memory
 * in that process neither waits for the lock while it holds a channel nor
 * stops: ordinary memory already mapped is pinned without the lock.
 */
START_TEST(copy_keeps_moving_while_a_stalled_fault_and_a_munmap_block_its_mm)
{
	const size_t len = 8 * 8192;	/* eight windows, ~3 s on edu */
	struct copy_job c = { .len = len };
	struct mm_block mb;
	bool early, done;
	int i;

	mm_block_prepare(&mb);
	c.dst = va_side(host_alloc(len));
	c.src = va_side(host_alloc(len));
	pb_fill_pattern(c.src.addr, len, 0x4994);
	copy_job_start_warm(&c, c.dst.addr, 0x4994);	/* dst present, writable */
	mm_block_engage(&mb);
	usleep(100000);
	/* still copying once the mm is blocked: the test tests something */
	early = copy_job_done(&c);
	for (i = 0; i < 2000 && !copy_job_done(&c); i++)
		usleep(10000);
	done = copy_job_done(&c);
	mm_block_release(&mb);
	ck_assert_int_eq(pthread_join(c.thread, NULL), 0);
	ck_assert_msg(!early, "the copy ended before the mm was blocked");
	ck_assert_msg(done, "the copy stopped while the process's mmap lock was contended");
	ck_assert_int_eq(c.err, 0);
	ck_assert_int_eq(pb_verify_pattern(c.dst.addr, len, 0x4994), -1);
	mm_block_close(&mb);
}
END_TEST

/*
 * The same block, with a copy from a dma-buf into peer memory, which it
 * reaches through the mmap lock: the copy waits for the lock, but without
 * its channel, which a copy of another process (forked before the mm is
 * blocked: fork takes the lock) then gets under max_copies=1.
 */
START_TEST(copy_into_peer_memory_waits_for_its_blocked_mm_without_a_channel)
{
	const size_t len = 8 * 8192;
	struct copy_job c = { .len = len };
	bool other_done = false, parked;
	unsigned char *vram, *cmb;
	int cfd, go[2], i, st = -1;
	struct mm_block mb;
	size_t vlen, clen;
	pid_t other;

	vram = map_region(g_vram, &vlen);
	c.dst = va_side(vram);
	/* a dma-buf source: no ordinary memory, whose pin would park first */
	cfd = region_fd(g_cmb, &cmb, &clen);
	pb_fill_pattern(cmb, len, 0x4bb4);
	c.src = dmabuf_side(cfd, 0);

	ck_assert_int_eq(pipe2(go, O_CLOEXEC), 0);
	other = fork();
	ck_assert_int_ge(other, 0);
	if (!other) {
		unsigned char *a = host_alloc(PAGE), *b = host_alloc(PAGE);
		struct pb_buf d = va_side(b), sr = va_side(a);
		char ch;

		close(go[1]);		/* the parent's end: EOF if it dies */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		pb_fill_pattern(a, PAGE, 0x4cc4);
		if (read(go[0], &ch, 1) != 1)
			_exit(1);
		if (copy_bufs(&d, &sr, PAGE, NULL))
			_exit(2);
		_exit(pb_verify_pattern(b, PAGE, 0x4cc4) == -1 ? 0 : 3);
	}
	close(go[0]);
	ck_assert_int_eq(write_file(MAX_COPIES, "1"), 0);
	mm_block_prepare(&mb);
	copy_job_start_warm(&c, vram, 0x4bb4);	/* every VRAM page mapped */
	waitpid(other, NULL, WNOHANG);	/* its code is mapped before the block */
	mm_block_engage(&mb);
	/* past a window's end (0.4 s): the copy reaches its peer side */
	usleep(1000000);
	ck_assert_int_eq(write(go[1], "g", 1), 1);
	for (i = 0; i < 1000 && !other_done; i++) {
		other_done = waitpid(other, &st, WNOHANG) == other;
		usleep(10000);
	}
	/* the copy was still held up: the test tests something */
	parked = !copy_job_done(&c);
	mm_block_release(&mb);
	ck_assert_int_eq(pthread_join(c.thread, NULL), 0);
	if (!other_done)
		ck_assert_int_eq(waitpid(other, &st, 0), other);
	write_file(MAX_COPIES, MAX_COPIES_DEFAULT);
	close(go[1]);
	ck_assert_msg(parked, "the copy ended before the other one ran");
	ck_assert_msg(other_done, "a copy waited for the channel of a copy blocked on its mmap lock");
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "the other process's copy failed at step %d", WEXITSTATUS(st));
	ck_assert_int_eq(c.err, 0);
	ck_assert_int_eq(pb_verify_pattern(vram, len, 0x4bb4), -1);
	mm_block_close(&mb);
	close(cfd);
}
END_TEST

Suite *suite_copy(void)
{
	Suite *s = suite_create("copy");
	TCase *tc = tcase_create("data");
	TCase *ta = tcase_create("abi");
	TCase *tp = tcase_create("pbctl");
	TCase *tw = tcase_create("windows");

	tcase_add_checked_fixture(tc, copy_setup, copy_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, copy_vram_to_cmb_peer_to_peer_below_switch);
	tcase_add_test(tc, copy_region_to_host_memory);
	tcase_add_test(tc, copy_host_memory_to_region);
	tcase_add_test(tc, copy_from_user_va_in_region_takes_callback_path);
	tcase_add_test(tc, copy_to_user_va_in_region_takes_callback_path);
	tcase_add_test(tc, copy_unaligned_offsets_and_odd_length);
	tcase_add_test(tc, copy_straddling_region_end_is_einval_nothing_written);
	tcase_add_test(tc, copy_past_end_of_peer_mapping_is_einval);
	tcase_add_test(tc, copy_into_readonly_export_is_eacces);
	tcase_add_test(tc, copy_from_readonly_export_works);
	tcase_add_test(tc, dmabuf_outlives_munmap_and_region_node);
	tcase_add_test(tc, export_of_two_adjacent_mappings_keeps_region_order);
	tcase_add_test(tc, copy_from_foreign_exporter_dmabuf);
	tcase_add_test(tc, copy_into_readonly_foreign_dmabuf_is_eacces);
	tcase_add_test(tc, copy_as_unprivileged_user_reports_no_dma_addresses);
	tcase_add_test(tc, copy_across_host_bridge_is_refused_exdev);
	tcase_add_test(tc, copy_after_revoke_is_enodev);
	tcase_add_test(tc, copy_without_a_dma_channel_is_enxio_and_says_so);
	tcase_add_test(tc, copy_failing_part_way_reports_only_what_arrived);
	tcase_add_test(tc, copy_proceeds_on_a_second_channel_while_another_copy_runs);
	tcase_add_test(tc, copy_beyond_max_copies_waits_for_a_channel_then_completes);
	tcase_add_test(tc, copy_waiting_on_a_slow_page_fault_leaves_its_channel_to_others);
	tcase_add_test(tc, copy_parked_on_a_slow_fault_keeps_no_pages_pinned);
	tcase_add_test(tc, copy_parked_on_a_slow_fault_keeps_no_dmabuf_attached);
	tcase_add_test(tc, copy_into_a_shared_mapping_that_tracks_dirty_pages_is_efault);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(tw, small_windows_setup, small_windows_teardown);
	tcase_set_timeout(tw, 120);
	tcase_add_test(tw, copy_across_many_windows_from_host_into_peer_mapping);
	tcase_add_test(tw, copy_across_many_windows_from_export_into_host_memory);
	tcase_add_test(tw, copy_across_many_windows_from_a_foreign_dmabuf_of_scattered_pages);
	tcase_add_test(tw, copy_keeps_moving_while_a_stalled_fault_and_a_munmap_block_its_mm);
	tcase_add_test(tw, copy_into_peer_memory_waits_for_its_blocked_mm_without_a_channel);
	tcase_add_test(tw, copy_into_memory_remapped_to_track_dirty_pages_midway_is_efault);
	suite_add_tcase(s, tw);

	tcase_add_checked_fixture(ta, setup_ctx, teardown_ctx);
	tcase_add_test(ta, copy_len_zero_is_einval);
	tcase_add_test(ta, copy_longer_than_host_memory_fails_fast_with_efault);
	tcase_add_test(ta, copy_unknown_flag_is_einval);
	tcase_add_test(ta, copy_nonzero_reserved_is_einval);
	tcase_add_test(ta, copy_unknown_side_type_is_einval);
	tcase_add_test(ta, copy_from_closed_fd_is_ebadf);
	tcase_add_test(ta, copy_from_fd_that_is_not_a_dmabuf_is_einval);
	tcase_add_test(ta, copy_from_unmapped_user_memory_is_efault);
	suite_add_tcase(s, ta);

	tcase_add_checked_fixture(tp, setup_ctx, teardown_ctx);
	tcase_set_timeout(tp, 120);
	tcase_add_test(tp, pbctl_copy_vram_to_cmb_verifies_every_byte);
	tcase_add_test(tp, pbctl_copy_json_reports_exact_bytes_and_addresses);
	tcase_add_test(tp, pbctl_copy_past_region_end_fails_with_exit_1);
	suite_add_tcase(s, tp);
	return s;
}
