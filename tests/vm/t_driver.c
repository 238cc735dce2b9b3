// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel API as driver authors use it: the sample GPU-class driver
 * (samples/pb_vga.c) exporting its own VRAM mappings, and the test
 * importer driver (tests/kmod/pb_test_importer.c) resolving user ranges
 * with peerbridge_map_user().
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../samples/pb_vga.h"
#include "../kmod/pb_test_importer.h"
#include "pbvm.h"

#define PAGE 4096UL

START_TEST(sample_region_is_listed_without_a_node)
{
	char path[PATH_MAX], out[8192];

	snprintf(path, sizeof(path), "/sys/class/pbmem/%s", g_sample);
	ck_assert_msg(access(path, F_OK) == 0, "no %s", path);
	ck_assert(!region_exists(g_sample));	/* no /dev/pbmem node */
	ck_assert_uint_eq(region_attr(g_sample, "size"), 16 * MiB);
	ck_assert_int_eq(pbctl_output(out, sizeof(out), "-j list"), 0);
	ck_assert_msg(strstr(out, g_sample), "%s", out);
	ck_assert_msg(strstr(out, "\"node\": null"), "%s", out);
}
END_TEST

START_TEST(sample_vram_copied_to_cmb_and_back_byte_for_byte)
{
	unsigned char *vram = map_sample(64 * 1024, NULL), *cmb;
	size_t clen, n = 8192;
	int vfd = export_or_fail(vram, 64 * 1024, PB_EXPORT_CLOEXEC), cfd;
	struct pb_buf dst, src;

	cmb = map_region(g_cmb, &clen);
	cfd = export_or_fail(cmb, clen, PB_EXPORT_CLOEXEC);
	pb_fill_pattern(vram, n, 0x2112);
	memset(cmb, 0, n);
	dst = dmabuf_side(cfd, 0);
	src = dmabuf_side(vfd, 0);
	ck_assert_int_eq(copy_bufs(&dst, &src, n, NULL), 0);
	ck_assert_int_eq(pb_verify_pattern(cmb, n, 0x2112), -1);

	/* and back, into the sample's VMA through its own callbacks */
	pb_fill_pattern(cmb, n, 0x2113);
	memset(vram + 4 * PAGE, 0, n);
	dst = va_side(vram + 4 * PAGE);
	src = dmabuf_side(cfd, 0);
	ck_assert_int_eq(copy_bufs(&dst, &src, n, NULL), 0);
	ck_assert_int_eq(pb_verify_pattern(vram + 4 * PAGE, n, 0x2113), -1);
}
END_TEST

START_TEST(sample_mapping_queries_as_its_region)
{
	unsigned char *vram = map_sample(8 * PAGE, NULL);
	struct pb_range_info info;

	ck_assert_int_eq(pb_query(g_ctx, vram + PAGE, PAGE, &info), 0);
	ck_assert_str_eq(info.region, g_sample);
	ck_assert_str_eq(info.device, g_vga);
	ck_assert_uint_eq(info.bar, 0);
	ck_assert_uint_eq(info.offset, PAGE);
}
END_TEST

START_TEST(sample_policy_refuses_the_denied_importer)
{
	unsigned char *vram = map_sample(4 * PAGE, NULL), *host = host_alloc(PAGE);
	int fd = export_or_fail(vram, 4 * PAGE, PB_EXPORT_CLOEXEC);
	struct pb_buf dst = va_side(host), src = dmabuf_side(fd, 0);

	ck_assert_int_eq(write_file("/sys/module/pb_vga/parameters/deny_importer",
				    g_edu), 0);
	ck_assert_int_eq(copy_bufs(&dst, &src, PAGE, NULL), EPERM);
	ck_assert_int_eq(write_file("/sys/module/pb_vga/parameters/deny_importer",
				    "\n"), 0);
	ck_assert_int_eq(copy_bufs(&dst, &src, PAGE, NULL), 0);
}
END_TEST

START_TEST(sample_copy_to_unaligned_address_lands_at_the_byte)
{
	unsigned char *vram = map_sample(4 * PAGE, NULL), *host = host_alloc(PAGE);
	struct pb_buf dst = va_side(vram + PAGE + 1), src = va_side(host);

	memset(vram, 0xee, 4 * PAGE);
	pb_fill_pattern(host, 100, 0x3223);
	/* the sample's p2p_map refuses anything but whole pages */
	ck_assert_int_eq(copy_bufs(&dst, &src, 100, NULL), 0);
	ck_assert_int_eq(pb_verify_pattern(vram + PAGE + 1, 100, 0x3223), -1);
	ck_assert_uint_eq(vram[PAGE], 0xee);
	ck_assert_uint_eq(vram[PAGE + 101], 0xee);
}
END_TEST

/* --- buffer objects at fake offsets, as DRM drivers hand them out ----------- */

static int bo_ioctl(int fd, unsigned long req, struct pb_vga_bo *bo)
{
	return ioctl(fd, req, bo) ? errno : 0;
}

/* a buffer object of @pages pages, mapped; the node's fd in *fdp */
static unsigned char *bo_create(size_t pages, struct pb_vga_bo *bo, int *fdp)
{
	int fd = open("/dev/pb_vga", O_RDWR | O_CLOEXEC);
	void *p;

	ck_assert_int_ge(fd, 0);
	memset(bo, 0, sizeof(*bo));
	bo->size = pages * PAGE;
	ck_assert_int_eq(bo_ioctl(fd, PB_VGA_BO_CREATE, bo), 0);
	ck_assert_uint_ge(bo->fake_offset, PB_VGA_BO_BASE);
	p = mmap(NULL, bo->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 bo->fake_offset);
	ck_assert(p != MAP_FAILED);
	*fdp = fd;
	return p;
}

/* the whole VRAM aperture, to see where bytes really landed */
static unsigned char *aperture(void)
{
	return map_sample(16 * MiB, NULL);
}

START_TEST(sample_bo_copy_lands_in_the_buffers_vram_not_at_its_fake_offset)
{
	unsigned char *host = host_alloc(2 * PAGE), *ap = aperture(), *p;
	struct pb_buf dst, src = va_side(host);
	struct pb_vga_bo bo;
	int fd;

	p = bo_create(4, &bo, &fd);
	pb_fill_pattern(host, 2 * PAGE, 0x4224);
	dst = va_side(p + PAGE);
	ck_assert_int_eq(copy_bufs(&dst, &src, 2 * PAGE, NULL), 0);
	ck_assert_int_eq(pb_verify_pattern(ap + bo.vram_offset + PAGE, 2 * PAGE,
					   0x4224), -1);
	ck_assert_int_eq(pb_verify_pattern(p + PAGE, 2 * PAGE, 0x4224), -1);
	close(fd);
}
END_TEST

START_TEST(sample_bo_query_reports_its_vram_offset)
{
	struct pb_range_info info;
	struct pb_vga_bo bo;
	unsigned char *p;
	int fd;

	p = bo_create(4, &bo, &fd);
	ck_assert_int_eq(pb_query(g_ctx, p + PAGE + 5, 10, &info), 0);
	ck_assert_str_eq(info.region, g_sample);
	ck_assert_uint_eq(info.offset, bo.vram_offset + PAGE + 5);
	close(fd);
}
END_TEST

START_TEST(sample_bo_move_revokes_its_exports_and_mappings_follow)
{
	unsigned char *host = host_alloc(4 * PAGE), *p;
	int fd, dfd, dfd2, tfd = pbti_fd();
	struct pbti_status st = { 0 };
	struct pb_range_info info;
	struct pb_buf dst = va_side(host), src;
	struct pbti_attach a;
	struct pb_vga_bo bo;
	uint64_t old;

	p = bo_create(4, &bo, &fd);
	pb_fill_pattern(p, 4 * PAGE, 0x5225);
	dfd = export_or_fail(p, 4 * PAGE, PB_EXPORT_CLOEXEC);
	ck_assert_int_eq(pbti_attach_fd(tfd, dfd, false, &a), 0);
	old = bo.vram_offset;

	ck_assert_int_eq(bo_ioctl(fd, PB_VGA_BO_MOVE, &bo), 0);
	ck_assert_uint_ne(bo.vram_offset, old);
	/* the dynamic importer was told and let go */
	st.slot = a.slot;
	ck_assert_int_eq(ioctl(tfd, PBTI_ATTACH_STATUS, &st), 0);
	ck_assert_uint_eq(st.invalidated, 1);
	ck_assert_uint_eq(st.released, 1);
	ck_assert_int_eq(ioctl(tfd, PBTI_DETACH, &a.slot), 0);
	/* the old export is dead for good */
	src = dmabuf_side(dfd, 0);
	ck_assert_int_eq(copy_bufs(&dst, &src, PAGE, NULL), ENODEV);
	/* the mapping follows the buffer, data and all */
	ck_assert_int_eq(pb_verify_pattern(p, 4 * PAGE, 0x5225), -1);
	ck_assert_int_eq(pb_query(g_ctx, p, PAGE, &info), 0);
	ck_assert_uint_eq(info.offset, bo.vram_offset);
	/* and a new export reaches the new place */
	dfd2 = export_or_fail(p, 4 * PAGE, PB_EXPORT_CLOEXEC);
	src = dmabuf_side(dfd2, 0);
	ck_assert_int_eq(copy_bufs(&dst, &src, 4 * PAGE, NULL), 0);
	ck_assert_int_eq(pb_verify_pattern(host, 4 * PAGE, 0x5225), -1);
	close(dfd2);
	close(dfd);
	close(tfd);
	close(fd);
}
END_TEST

START_TEST(sample_bo_free_revokes_its_exports_and_mapping_sigbus)
{
	unsigned char *host = host_alloc(PAGE), *p;
	struct pb_buf dst = va_side(host), src;
	struct pb_range_info info;
	struct pb_vga_bo bo;
	int fd, dfd;

	p = bo_create(2, &bo, &fd);
	dfd = export_or_fail(p, 2 * PAGE, PB_EXPORT_CLOEXEC);
	ck_assert_int_eq(bo_ioctl(fd, PB_VGA_BO_FREE, &bo), 0);
	src = dmabuf_side(dfd, 0);
	ck_assert_int_eq(copy_bufs(&dst, &src, PAGE, NULL), ENODEV);
	ck_assert_int_eq(touch_read(p), SIGBUS);
	ck_assert_int_eq(pb_query(g_ctx, p, PAGE, &info), -1);
	ck_assert_int_eq(errno, ENODEV);
	close(dfd);
	close(fd);
}
END_TEST

/* --- an exporter that rewrites host-bridge addresses ------------------------- */

#define HB_POLICY	"/sys/module/peerbridge/parameters/host_bridge"
#define HB_BIAS		"/sys/module/pb_vga/parameters/host_bridge_bias"

static char g_far[PB_BDF_LEN];	/* the ivshmem behind the second root port */

static void far_teardown(void)
{
	char path[PATH_MAX];

	write_file(HB_BIAS, "0");
	write_file(HB_POLICY, "auto");
	write_file("/sys/bus/pci/drivers/pb_vga/unbind", g_far);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override",
		 g_far);
	write_file(path, "\n");
	teardown_ctx();
}

/* the sample driving the far ivshmem, reached through the host bridge */
static void far_setup(void)
{
	char path[PATH_MAX];

	setup_sample();
	find_pci(ID_IVSHMEM, 1, g_far);
	/* one /dev/pb_vga at a time */
	ck_assert_int_eq(write_file("/sys/bus/pci/drivers/pb_vga/unbind",
				    g_vga), 0);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override",
		 g_far);
	ck_assert_int_eq(write_file(path, "pb_vga"), 0);
	ck_assert_int_eq(write_file("/sys/bus/pci/drivers_probe", g_far), 0);
	ck_assert_int_eq(write_file(HB_POLICY, "allow"), 0);
}

/*
 * The exporter's policy moves the address the importer sees; what is
 * unmapped must still be what dma_map_resource() returned (DMA-API
 * debugging in the sanitizer lane counts anything else as an error).
 */
START_TEST(host_bridge_address_rewritten_by_the_exporter_is_unmapped_as_mapped)
{
	unsigned char *vram = map_sample(4 * PAGE, NULL);
	int tfd = pbti_fd(), fd = export_or_fail(vram, 4 * PAGE, 0);
	struct pbti_attach a;

	ck_assert_int_eq(write_file(HB_BIAS, "1048576"), 0);
	ck_assert_int_eq(pbti_attach_fd(tfd, fd, false, &a), 0);
	/* no IOMMU in the rig: dma_map_resource() returns the CPU address */
	ck_assert_uint_eq(a.first_addr, bar_start(g_far, 2) + 1048576);
	ck_assert_int_eq(ioctl(tfd, PBTI_DETACH, &a.slot), 0);
	close(fd);
	close(tfd);
}
END_TEST

/* --- the importer API ------------------------------------------------------ */

/* region pages @a and @b mapped adjacently, two pages each */
static char *two_adjacent_mappings(const char *region, off_t a, off_t b)
{
	char path[PATH_MAX], *at;
	int fd;

	snprintf(path, sizeof(path), PB_REGION_DIR "/%s", region);
	fd = open(path, O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	at = mmap(NULL, 4 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert(mmap(at, 2 * PAGE, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_FIXED, fd, a * PAGE) != MAP_FAILED);
	ck_assert(mmap(at + 2 * PAGE, 2 * PAGE, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_FIXED, fd, b * PAGE) != MAP_FAILED);
	close(fd);
	return at;
}

START_TEST(importer_adjacent_contiguous_mappings_resolve_to_one_segment)
{
	char *at = two_adjacent_mappings(g_cmb, 0, 2);
	int fd = pbti_fd();
	struct pbti_map m;

	ck_assert_int_eq(pbti_map_range(fd, at, 4 * PAGE, true, &m), 0);
	ck_assert_uint_eq(m.nr_segs, 1);
	ck_assert_uint_eq(m.segs[0].addr, bar_start(g_nvme, 2));
	ck_assert_uint_eq(m.segs[0].len, 4 * PAGE);
	pbti_unmap_slot(fd, m.slot);
	close(fd);
}
END_TEST

START_TEST(importer_adjacent_noncontiguous_mappings_resolve_to_two_segments)
{
	char *at = two_adjacent_mappings(g_cmb, 8, 2);
	int fd = pbti_fd();
	struct pbti_map m;

	ck_assert_int_eq(pbti_map_range(fd, at, 4 * PAGE, false, &m), 0);
	ck_assert_uint_eq(m.nr_segs, 2);
	ck_assert_uint_eq(m.segs[0].addr, bar_start(g_nvme, 2) + 8 * PAGE);
	ck_assert_uint_eq(m.segs[0].len, 2 * PAGE);
	ck_assert_uint_eq(m.segs[1].addr, bar_start(g_nvme, 2) + 2 * PAGE);
	ck_assert_uint_eq(m.segs[1].len, 2 * PAGE);
	pbti_unmap_slot(fd, m.slot);
	close(fd);
}
END_TEST

START_TEST(importer_invalidated_on_revoke_then_resolution_fails)
{
	size_t len;
	unsigned char *vram = map_region(g_vram, &len);
	int fd = pbti_fd();
	struct pbti_status st = { 0 };
	struct pbti_map m;

	ck_assert_int_eq(pbti_map_range(fd, vram, 4 * PAGE, true, &m), 0);
	unbind_dev(g_ivshmem);		/* revokes the region */
	st.slot = m.slot;
	ck_assert_int_eq(ioctl(fd, PBTI_STATUS, &st), 0);
	ck_assert_uint_eq(st.invalidated, 1);
	ck_assert_uint_eq(st.released, 1);
	pbti_unmap_slot(fd, m.slot);
	/* the VMA is still there, the memory is not */
	ck_assert_int_eq(pbti_map_range(fd, vram, PAGE, false, &m), ENODEV);
	close(fd);
}
END_TEST

START_TEST(importer_of_plain_memory_is_enoent)
{
	int fd = pbti_fd();
	struct pbti_map m;

	ck_assert_int_eq(pbti_map_range(fd, host_alloc(PAGE), PAGE, false, &m),
			 ENOENT);
	close(fd);
}
END_TEST

START_TEST(importer_write_to_readonly_mapping_is_eacces)
{
	char path[PATH_MAX];
	int nfd, fd = pbti_fd();
	struct pbti_map m;
	void *p;

	snprintf(path, sizeof(path), PB_REGION_DIR "/%s", g_vram);
	nfd = open(path, O_RDWR | O_CLOEXEC);
	p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, nfd, 0);
	ck_assert(p != MAP_FAILED);
	ck_assert_int_eq(pbti_map_range(fd, p, PAGE, true, &m), EACCES);
	close(nfd);
	close(fd);
}
END_TEST

/* --- the sample going away while everything is in use ---------------------- */

START_TEST(unbind_sample_with_mapping_export_and_importer_is_safe)
{
	int nfd, tfd = pbti_fd();
	unsigned char *vram = map_sample(8 * PAGE, &nfd), *host = host_alloc(PAGE);
	int fd = export_or_fail(vram, 8 * PAGE, PB_EXPORT_CLOEXEC);
	struct pb_buf dst = va_side(host), src = dmabuf_side(fd, 0);
	struct pbti_status st = { 0 };
	struct pbti_map m;

	ck_assert_int_eq(touch_write(vram), 0);
	ck_assert_int_eq(pbti_map_range(tfd, vram + PAGE, PAGE, false, &m), 0);
	ck_assert_int_eq(write_file("/sys/bus/pci/drivers/pb_vga/unbind",
				    g_vga), 0);
	ck_assert_int_eq(touch_read(vram), SIGBUS);
	ck_assert_int_eq(copy_bufs(&dst, &src, PAGE, NULL), ENODEV);
	st.slot = m.slot;
	ck_assert_int_eq(ioctl(tfd, PBTI_STATUS, &st), 0);
	ck_assert_uint_eq(st.invalidated, 1);
	pbti_unmap_slot(tfd, m.slot);
	close(fd);
	close(nfd);
	close(tfd);
	ck_assert_int_eq(write_file("/sys/bus/pci/drivers/pb_vga/bind", g_vga), 0);
	ck_assert_int_eq(access("/dev/pb_vga", F_OK), 0);
}
END_TEST

START_TEST(nodeless_region_after_driver_unbind_query_export_and_map_are_enodev)
{
	unsigned char *vram = map_sample(4 * PAGE, NULL), *host = host_alloc(PAGE);
	struct pb_buf dst = va_side(host), src = va_side(vram);
	struct pb_range_info info;
	int tfd = pbti_fd();
	struct pbti_map m;

	ck_assert_int_eq(touch_write(vram), 0);
	/* no export: only the VMA refers to the sample's region */
	ck_assert_int_eq(write_file("/sys/bus/pci/drivers/pb_vga/unbind",
				    g_vga), 0);
	ck_assert_int_eq(pb_query(g_ctx, vram, PAGE, &info), -1);
	ck_assert_int_eq(errno, ENODEV);
	ck_assert_int_eq(pb_export(g_ctx, vram, PAGE, 0), -1);
	ck_assert_int_eq(errno, ENODEV);
	ck_assert_int_eq(copy_bufs(&dst, &src, PAGE, NULL), ENODEV);
	ck_assert_int_eq(pbti_map_range(tfd, vram, PAGE, false, &m), ENODEV);
	close(tfd);
	munmap(vram, 4 * PAGE);
	ck_assert_int_eq(write_file("/sys/bus/pci/drivers/pb_vga/bind", g_vga), 0);
}
END_TEST

/*
 * The driver zaps buffer mappings through the inode its node was last
 * opened by.  A second node, opened and then deleted, must not leave it
 * holding a freed inode (KASAN in the sanitizer lane).
 */
START_TEST(sample_bo_move_after_a_second_node_is_gone_is_clean)
{
	const char *second = "/tmp/pb_vga_second";
	struct pb_vga_bo bo;
	struct stat st;
	int fd, fd2;

	fd = open("/dev/pb_vga", O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_int_eq(mknod(second, S_IFCHR | 0600, st.st_rdev), 0);
	fd2 = open(second, O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fd2, 0);
	memset(&bo, 0, sizeof(bo));
	bo.size = PAGE;
	ck_assert_int_eq(bo_ioctl(fd2, PB_VGA_BO_CREATE, &bo), 0);
	close(fd2);
	ck_assert_int_eq(unlink(second), 0);
	sleep(1);		/* inodes are freed after an RCU grace period */
	ck_assert_int_eq(bo_ioctl(fd, PB_VGA_BO_MOVE, &bo), 0);
	close(fd);
}
END_TEST

START_TEST(unload_sample_with_live_export_then_it_maps_enodev)
{
	unsigned char *vram = map_sample(8 * PAGE, NULL), *host = host_alloc(PAGE);
	int fd = export_or_fail(vram, 8 * PAGE, PB_EXPORT_CLOEXEC);
	struct pb_buf dst = va_side(host), src = dmabuf_side(fd, 0);

	munmap(vram, 8 * PAGE);		/* only the dma-buf is left */
	ck_assert_int_eq(system("rmmod pb_vga"), 0);
	ck_assert_int_eq(copy_bufs(&dst, &src, PAGE, NULL), ENODEV);
	close(fd);
	ck_assert_int_eq(system("insmod /lib/modules/pb_vga.ko"), 0);
	ck_assert_int_eq(access("/dev/pb_vga", F_OK), 0);
}
END_TEST

START_TEST(held_attachment_is_notified_and_drained_when_sample_goes)
{
	unsigned char *vram = map_sample(8 * PAGE, NULL);
	int tfd = pbti_fd(), fd = export_or_fail(vram, 8 * PAGE, 0);
	struct pbti_status st = { 0 };
	struct pbti_attach a;

	ck_assert_int_eq(pbti_attach_fd(tfd, fd, false, &a), 0);
	ck_assert_uint_eq(a.nr_entries, 1);
	ck_assert_uint_eq(a.first_addr, bar_start(g_vga, 0));
	ck_assert_uint_eq(region_attr(g_sample, "attachments"), 1);
	ck_assert_int_eq(write_file("/sys/bus/pci/drivers/pb_vga/unbind",
				    g_vga), 0);
	st.slot = a.slot;
	ck_assert_int_eq(ioctl(tfd, PBTI_ATTACH_STATUS, &st), 0);
	ck_assert_uint_eq(st.invalidated, 1);	/* dma_buf_move_notify */
	ck_assert_uint_eq(st.released, 1);
	ck_assert_int_eq(ioctl(tfd, PBTI_DETACH, &a.slot), 0);
	close(fd);
	close(tfd);
	ck_assert_int_eq(write_file("/sys/bus/pci/drivers/pb_vga/bind", g_vga), 0);
}
END_TEST

START_TEST(stubborn_importer_bounds_revocation_and_is_named)
{
	unsigned char *vram = map_sample(8 * PAGE, NULL);
	int tfd = pbti_fd(), fd = export_or_fail(vram, 8 * PAGE, 0), kmsg;
	const char *knob = "/sys/module/peerbridge/parameters/revoke_timeout_ms";
	struct pbti_attach a;
	char want[96];

	ck_assert_int_eq(pbti_attach_fd(tfd, fd, true, &a), 0);
	ck_assert_int_eq(write_file(knob, "300"), 0);
	kmsg = kmsg_from_now();
	/* the importer never lets go: unbind must still come back */
	ck_assert_int_eq(write_file("/sys/bus/pci/drivers/pb_vga/unbind",
				    g_vga), 0);
	ck_assert_int_eq(write_file(knob, "10000"), 0);
	/* a dynamic importer that ignored move_notify, and still maps */
	snprintf(want, sizeof(want), "importers=%s:dynamic:mapped", g_edu);
	ck_assert_msg(kmsg_find(kmsg, want), "no '%s' in the log", want);
	ck_assert_int_eq(ioctl(tfd, PBTI_DETACH, &a.slot), 0);
	close(kmsg);
	close(fd);
	close(tfd);
	ck_assert_int_eq(write_file("/sys/bus/pci/drivers/pb_vga/bind", g_vga), 0);
}
END_TEST

START_TEST(window_stays_claimed_while_a_device_may_still_dma)
{
	unsigned char *vram = map_sample(8 * PAGE, NULL);
	int tfd = pbti_fd(), fd = export_or_fail(vram, 8 * PAGE, 0);
	const char *knob = "/sys/module/peerbridge/parameters/revoke_timeout_ms";
	struct pbti_attach a;
	char drv[64];

	ck_assert(iomem_claimed(g_sample));
	ck_assert_int_eq(pbti_attach_fd(tfd, fd, true, &a), 0);
	ck_assert_int_eq(write_file(knob, "300"), 0);
	ck_assert_int_eq(write_file("/sys/bus/pci/drivers/pb_vga/unbind",
				    g_vga), 0);
	ck_assert_int_eq(write_file(knob, "10000"), 0);
	/* the importer still maps VRAM: nobody may take the window */
	ck_assert(iomem_claimed(g_sample));
	write_file("/sys/bus/pci/drivers/pb_vga/bind", g_vga);
	driver_of(g_vga, drv, sizeof(drv));
	ck_assert_str_ne(drv, "pb_vga");
	/* its last mapping gone, the window is free again */
	ck_assert_int_eq(ioctl(tfd, PBTI_DETACH, &a.slot), 0);
	ck_assert(!iomem_claimed(g_sample));
	close(fd);
	close(tfd);
	ck_assert_int_eq(write_file("/sys/bus/pci/drivers/pb_vga/bind", g_vga), 0);
	ck_assert(iomem_claimed(g_sample));
}
END_TEST

/* --- peerbridge_region_create() refuses what it cannot map ------------------ */

static int try_region(const char *bdf, int bar, uint64_t offset, uint64_t size)
{
	unsigned int dom, bus, dev, fn;
	struct pbti_region r = { .bar = bar, .offset = offset, .size = size };
	int fd = pbti_fd(), err;

	ck_assert_int_eq(sscanf(bdf, "%x:%x:%x.%x", &dom, &bus, &dev, &fn), 4);
	r.domain = dom;
	r.bus = bus;
	r.devfn = dev << 3 | fn;
	err = ioctl(fd, PBTI_REGION, &r) ? errno : 0;
	close(fd);
	return err;
}

/* the first I/O port BAR of the machine (q35's AHCI and SMBus have them) */
static int find_io_bar(char *bdf)
{
	struct dirent **ents;
	int i, n, bar = -1;

	n = scandir("/sys/bus/pci/devices", &ents, NULL, alphasort);
	for (i = 0; i < n; i++) {
		char path[PATH_MAX], line[128];
		unsigned long long start, end, flags;
		FILE *f;
		int b;

		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource",
			 ents[i]->d_name);
		f = bar < 0 ? fopen(path, "r") : NULL;
		for (b = 0; f && b < 6 && fgets(line, sizeof(line), f); b++) {
			if (sscanf(line, "%llx %llx %llx", &start, &end, &flags) == 3 &&
			    (flags & 0x100) && end > start) {	/* IORESOURCE_IO */
				snprintf(bdf, PB_BDF_LEN, "%.12s", ents[i]->d_name);
				bar = b;
				break;
			}
		}
		if (f)
			fclose(f);
		free(ents[i]);
	}
	free(ents);
	return bar;
}

START_TEST(region_create_on_an_io_port_bar_is_einval)
{
	char bdf[PB_BDF_LEN];
	int bar = find_io_bar(bdf);

	ck_assert_msg(bar >= 0, "no I/O port BAR in the rig");
	/* a port number must never become a "physical address" to map */
	ck_assert_int_eq(try_region(bdf, bar, 0, 4096), EINVAL);
}
END_TEST

START_TEST(region_create_with_a_bar_index_or_range_it_cannot_map_is_einval)
{
	ck_assert_int_eq(try_region(g_edu, -1, 0, 4096), EINVAL);
	ck_assert_int_eq(try_region(g_edu, 6, 0, 4096), EINVAL);	/* ROM */
	ck_assert_int_eq(try_region(g_edu, 1, 0, 4096), EINVAL);	/* none */
	ck_assert_int_eq(try_region(g_edu, 0, 0, 100), EINVAL);
	ck_assert_int_eq(try_region(g_edu, 0, 1 << 20, 4096), EINVAL);
	ck_assert_int_eq(try_region(g_edu, 0, 0, 2 << 20), EINVAL);
}
END_TEST

/*
 * Where the device's MSI-X table and PBA are: their BAR indices and
 * offsets, read from its config space as the kernel does.  false without
 * an MSI-X capability.
 */
static bool msix_layout(const char *bdf, int *tbar, uint64_t *toff,
			int *pbar, uint64_t *poff)
{
	unsigned char cfg[256];
	char path[PATH_MAX];
	unsigned int pos, guard;
	uint32_t table, pba;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", bdf);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	n = pread(fd, cfg, sizeof(cfg), 0);
	close(fd);
	ck_assert_int_eq(n, sizeof(cfg));
	if (!(cfg[0x06] & 0x10))	/* PCI_STATUS_CAP_LIST */
		return false;
	for (pos = cfg[0x34] & ~3u, guard = 0; pos && guard < 48;
	     pos = cfg[pos + 1] & ~3u, guard++) {
		if (cfg[pos] != 0x11)	/* PCI_CAP_ID_MSIX */
			continue;
		memcpy(&table, cfg + pos + 4, 4);
		memcpy(&pba, cfg + pos + 8, 4);
		*tbar = table & 7;
		*toff = table & ~7u;
		*pbar = pba & 7;
		*poff = pba & ~7u;
		return true;
	}
	return false;
}

/* nobody may map interrupt messages: not by CPU, not by peer DMA */
START_TEST(region_create_over_the_msix_table_or_pba_is_einval)
{
	int tbar, pbar;
	uint64_t toff, poff;

	/* QEMU's NVMe keeps both in BAR0, after its registers and doorbells */
	ck_assert_msg(msix_layout(g_nvme, &tbar, &toff, &pbar, &poff),
		      "nvme has no MSI-X capability");
	ck_assert_int_eq(try_region(g_nvme, tbar, toff & ~(PAGE - 1), PAGE),
			 EINVAL);
	ck_assert_int_eq(try_region(g_nvme, pbar, poff & ~(PAGE - 1), PAGE),
			 EINVAL);
	/* a window that merely reaches the table's page is refused whole */
	ck_assert_int_eq(try_region(g_nvme, tbar, 0, (toff & ~(PAGE - 1)) + PAGE),
			 EINVAL);
	/* the pages before it are fine (peerbridge holds nvme, not BAR0) */
	ck_assert_uint_gt(toff, PAGE);
	ck_assert_int_eq(try_region(g_nvme, tbar, 0, PAGE), 0);
}
END_TEST

/* objects and bytes of debugfs peerbridge/kmem, per kind */
struct kmem_counts {
	long objects[3], bytes[3];
};

static void read_kmem(struct kmem_counts *k)
{
	FILE *f = fopen("/sys/kernel/debug/peerbridge/kmem", "re");
	char kind[32];
	int i;

	ck_assert_msg(f, "debugfs peerbridge/kmem: %s", strerror(errno));
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(fscanf(f, "%31s %ld %ld", kind, &k->objects[i],
					&k->bytes[i]), 3);
	fclose(f);
}

START_TEST(kmem_counts_an_export_its_attachment_and_mapping_then_none)
{
	struct kmem_counts k0, k1, k2;
	struct pbti_attach a;
	int i, fd, tfd = pbti_fd();

	read_kmem(&k0);
	fd = pb_export_region(g_ctx, g_vram, 0, 2 * MiB, PB_EXPORT_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pbti_attach_fd(tfd, fd, false, &a), 0);
	read_kmem(&k1);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(k1.objects[i], k0.objects[i] + 1);
		ck_assert_int_gt(k1.bytes[i], k0.bytes[i]);
	}
	ck_assert_int_le(k1.bytes[0] + k1.bytes[1] + k1.bytes[2] -
			 k0.bytes[0] - k0.bytes[1] - k0.bytes[2], 2048);
	ck_assert_int_eq(ioctl(tfd, PBTI_DETACH, &a.slot), 0);
	close(fd);
	read_kmem(&k2);
	ck_assert_mem_eq(&k2, &k0, sizeof(k0));
	close(tfd);
}
END_TEST

Suite *suite_driver(void)
{
	Suite *s = suite_create("driver-api");
	TCase *ts = tcase_create("sample");
	TCase *ti = tcase_create("importer");
	TCase *tf = tcase_create("host-bridge");

	tcase_add_checked_fixture(ts, setup_sample, teardown_ctx);
	tcase_set_timeout(ts, 120);
	tcase_add_test(ts, sample_region_is_listed_without_a_node);
	tcase_add_test(ts, sample_vram_copied_to_cmb_and_back_byte_for_byte);
	tcase_add_test(ts, sample_mapping_queries_as_its_region);
	tcase_add_test(ts, sample_policy_refuses_the_denied_importer);
	tcase_add_test(ts, sample_copy_to_unaligned_address_lands_at_the_byte);
	tcase_add_test(ts, sample_bo_copy_lands_in_the_buffers_vram_not_at_its_fake_offset);
	tcase_add_test(ts, sample_bo_query_reports_its_vram_offset);
	tcase_add_test(ts, sample_bo_move_revokes_its_exports_and_mappings_follow);
	tcase_add_test(ts, sample_bo_free_revokes_its_exports_and_mapping_sigbus);
	tcase_add_test(ts, sample_bo_move_after_a_second_node_is_gone_is_clean);
	tcase_add_test(ts, unbind_sample_with_mapping_export_and_importer_is_safe);
	tcase_add_test(ts, nodeless_region_after_driver_unbind_query_export_and_map_are_enodev);
	tcase_add_test(ts, unload_sample_with_live_export_then_it_maps_enodev);
	tcase_add_test(ts, held_attachment_is_notified_and_drained_when_sample_goes);
	tcase_add_test(ts, stubborn_importer_bounds_revocation_and_is_named);
	tcase_add_test(ts, window_stays_claimed_while_a_device_may_still_dma);
	suite_add_tcase(s, ts);

	tcase_add_checked_fixture(tf, far_setup, far_teardown);
	tcase_set_timeout(tf, 60);
	tcase_add_test(tf, host_bridge_address_rewritten_by_the_exporter_is_unmapped_as_mapped);
	suite_add_tcase(s, tf);

	tcase_add_checked_fixture(ti, setup_sample, teardown_ctx);
	tcase_set_timeout(ti, 60);
	tcase_add_test(ti, importer_adjacent_contiguous_mappings_resolve_to_one_segment);
	tcase_add_test(ti, importer_adjacent_noncontiguous_mappings_resolve_to_two_segments);
	tcase_add_test(ti, importer_invalidated_on_revoke_then_resolution_fails);
	tcase_add_test(ti, importer_of_plain_memory_is_enoent);
	tcase_add_test(ti, importer_write_to_readonly_mapping_is_eacces);
	tcase_add_test(ti, region_create_on_an_io_port_bar_is_einval);
	tcase_add_test(ti, region_create_with_a_bar_index_or_range_it_cannot_map_is_einval);
	tcase_add_test(ti, region_create_over_the_msix_table_or_pba_is_einval);
	tcase_add_test(ti, kmem_counts_an_export_its_attachment_and_mapping_then_none);
	suite_add_tcase(s, ti);
	return s;
}
