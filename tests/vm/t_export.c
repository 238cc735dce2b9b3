// SPDX-License-Identifier: GPL-2.0
/* EXPORT and QUERY: which ranges become dma-bufs, and the ABI rules. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <xf86drm.h>
#include <uapi/peerbridge.h>

#include "pbvm.h"

#define PAGE 4096UL

/* EXPORT through the raw ioctl: 0 or the errno; *fd gets the dma-buf */
static int raw_export(void *buf, unsigned int argsz)
{
	struct peerbridge_export *arg = buf;

	arg->argsz = argsz;
	return ctl_ioctl(PEERBRIDGE_EXPORT, buf);
}

static int export_errno(void *addr, size_t len, unsigned int flags)
{
	int fd = pb_export(g_ctx, addr, len, flags);

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return errno;
}

/* a fresh mapping of @pages pages of @region at region page @pgoff */
static void *map_pages(const char *region, size_t pages, off_t pgoff,
		       void *at, int prot)
{
	char path[128];
	void *p;
	int fd;

	snprintf(path, sizeof(path), PB_REGION_DIR "/%s", region);
	fd = open(path, O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	p = mmap(at, pages * PAGE, prot, MAP_SHARED | (at ? MAP_FIXED : 0),
		 fd, pgoff * PAGE);
	ck_assert_msg(p != MAP_FAILED, "mmap %s: %s", region, strerror(errno));
	close(fd);
	return p;
}

/* @pages pages of address space to place mappings into */
static void *reserve(size_t pages)
{
	void *p = mmap(NULL, pages * PAGE, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ck_assert(p != MAP_FAILED);
	return p;
}

START_TEST(export_of_malloc_memory_is_enoent)
{
	void *p = host_alloc(4 * PAGE);

	ck_assert_int_eq(export_errno(p, 4 * PAGE, 0), ENOENT);
}
END_TEST

START_TEST(export_len_zero_is_einval)
{
	size_t len;
	void *p = map_region(g_vram, &len);

	ck_assert_int_eq(export_errno(p, 0, 0), EINVAL);
}
END_TEST

START_TEST(export_addr_plus_len_overflow_is_einval)
{
	size_t len;
	void *p = map_region(g_vram, &len);

	ck_assert_int_eq(export_errno(p, (size_t)0 - PAGE, 0), EINVAL);
}
END_TEST

START_TEST(export_unaligned_range_is_einval)
{
	size_t len;
	char *p = map_region(g_vram, &len);

	ck_assert_int_eq(export_errno(p + 8, PAGE, 0), EINVAL);
	ck_assert_int_eq(export_errno(p, PAGE + 8, 0), EINVAL);
}
END_TEST

START_TEST(export_range_with_unmapped_hole_is_einval)
{
	char *p = map_pages(g_vram, 3, 0, NULL, PROT_READ | PROT_WRITE);

	ck_assert_int_eq(munmap(p + PAGE, PAGE), 0);
	ck_assert_int_eq(export_errno(p, 3 * PAGE, 0), EINVAL);
}
END_TEST

START_TEST(export_range_spanning_two_regions_is_einval)
{
	char *at = reserve(2);

	map_pages(g_vram, 1, 0, at, PROT_READ | PROT_WRITE);
	map_pages(g_cmb, 1, 0, at + PAGE, PROT_READ | PROT_WRITE);
	ck_assert_int_eq(export_errno(at, 2 * PAGE, 0), EINVAL);
}
END_TEST

START_TEST(export_range_mixing_peer_and_plain_memory_is_einval)
{
	char *at = reserve(2);

	map_pages(g_vram, 1, 0, at, PROT_READ | PROT_WRITE);
	ck_assert(mmap(at + PAGE, PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) !=
		  MAP_FAILED);
	ck_assert_int_eq(export_errno(at, 2 * PAGE, 0), EINVAL);
}
END_TEST

START_TEST(export_unknown_flag_is_einval)
{
	struct peerbridge_export arg = { 0 };
	size_t len;

	arg.addr = (uintptr_t)map_region(g_vram, &len);
	arg.len = PAGE;
	arg.flags = 1U << 7;
	ck_assert_int_eq(raw_export(&arg, sizeof(arg)), EINVAL);
}
END_TEST

START_TEST(export_nonzero_reserved_is_einval)
{
	struct peerbridge_export arg = { 0 };
	size_t len;

	arg.addr = (uintptr_t)map_region(g_vram, &len);
	arg.len = PAGE;
	arg.reserved = 1;
	ck_assert_int_eq(raw_export(&arg, sizeof(arg)), EINVAL);
}
END_TEST

START_TEST(export_argsz_below_v1_is_einval)
{
	struct peerbridge_export arg = { 0 };
	size_t len;

	arg.addr = (uintptr_t)map_region(g_vram, &len);
	arg.len = PAGE;
	ck_assert_int_eq(raw_export(&arg, sizeof(arg) - 8), EINVAL);
}
END_TEST

START_TEST(export_argsz_larger_with_zero_tail_is_accepted)
{
	unsigned char buf[sizeof(struct peerbridge_export) + 32] = { 0 };
	struct peerbridge_export *arg = (void *)buf;
	size_t len;

	arg->addr = (uintptr_t)map_region(g_vram, &len);
	arg->len = PAGE;
	ck_assert_int_eq(raw_export(buf, sizeof(buf)), 0);
	ck_assert_int_ge(arg->fd, 0);
	ck_assert_uint_eq(arg->argsz, sizeof(*arg));
	close(arg->fd);
}
END_TEST

/* argsz is capped at a page, as openat2 and clone3 cap theirs */
START_TEST(export_argsz_beyond_a_page_is_e2big)
{
	unsigned char *buf = calloc(1, 2 * PAGE);
	struct peerbridge_export *arg = (void *)buf;
	size_t len;

	arg->addr = (uintptr_t)map_region(g_vram, &len);
	arg->len = PAGE;
	ck_assert_int_eq(raw_export(buf, 2 * PAGE), E2BIG);
	free(buf);
}
END_TEST

START_TEST(export_argsz_larger_with_nonzero_tail_is_e2big)
{
	unsigned char buf[sizeof(struct peerbridge_export) + 32] = { 0 };
	struct peerbridge_export *arg = (void *)buf;
	size_t len;

	arg->addr = (uintptr_t)map_region(g_vram, &len);
	arg->len = PAGE;
	buf[sizeof(buf) - 1] = 1;
	ck_assert_int_eq(raw_export(buf, sizeof(buf)), E2BIG);
}
END_TEST

START_TEST(export_cloexec_flag_makes_fd_close_on_exec)
{
	size_t len;
	void *p = map_region(g_vram, &len);
	int fd = export_or_fail(p, PAGE, PB_EXPORT_CLOEXEC);

	ck_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
}
END_TEST

START_TEST(export_without_cloexec_fd_is_inherited_by_exec)
{
	size_t len;
	void *p = map_region(g_vram, &len);
	int fd = export_or_fail(p, PAGE, 0);

	ck_assert(!(fcntl(fd, F_GETFD) & FD_CLOEXEC));
	close(fd);
}
END_TEST

START_TEST(export_of_readonly_mapping_is_readonly)
{
	struct peerbridge_export arg = { 0 };

	arg.addr = (uintptr_t)map_pages(g_vram, 2, 0, NULL, PROT_READ);
	arg.len = 2 * PAGE;
	ck_assert_int_eq(raw_export(&arg, sizeof(arg)), 0);
	ck_assert_uint_eq(arg.out_flags & PEERBRIDGE_EXPORT_RDONLY,
			  PEERBRIDGE_EXPORT_RDONLY);
	ck_assert_int_eq(fcntl(arg.fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	close(arg.fd);
}
END_TEST

START_TEST(export_after_revoke_is_enodev)
{
	size_t len;
	void *p = map_region(g_vram, &len);

	unbind_dev(g_ivshmem);
	ck_assert_int_eq(export_errno(p, PAGE, 0), ENODEV);
}
END_TEST

START_TEST(exports_are_counted_in_sysfs_until_closed)
{
	uint64_t before = region_attr(g_vram, "exports");
	size_t len;
	void *p = map_region(g_vram, &len);
	int fd = export_or_fail(p, PAGE, 0);

	ck_assert_uint_eq(region_attr(g_vram, "exports"), before + 1);
	close(fd);
	ck_assert_uint_eq(region_attr(g_vram, "exports"), before);
}
END_TEST

START_TEST(bufinfo_names_our_dmabufs)
{
	char *text = calloc(1, 1 << 16), want[96];
	size_t len;
	void *p = map_region(g_vram, &len);
	int fd = export_or_fail(p, PAGE, 0);
	FILE *f = fopen("/sys/kernel/debug/dma_buf/bufinfo", "r");

	ck_assert_msg(f, "debugfs bufinfo: %s", strerror(errno));
	ck_assert_uint_gt(fread(text, 1, (1 << 16) - 1, f), 0);
	fclose(f);
	snprintf(want, sizeof(want), "%s+0", g_vram);
	ck_assert_msg(strstr(text, "peerbridge"), "%s", text);
	ck_assert_msg(strstr(text, want), "no %s in %s", want, text);
	close(fd);
	free(text);
}
END_TEST

START_TEST(importer_without_peer2peer_is_refused_eopnotsupp)
{
	size_t len;
	void *p = map_region(g_vram, &len);
	int fd = export_or_fail(p, PAGE, 0);
	int vgem = vgem_open();
	uint32_t handle;

	/* vgem imports through plain dma_buf_attach: no peer2peer */
	ck_assert_int_ne(drmPrimeFDToHandle(vgem, fd, &handle), 0);
	ck_assert_int_eq(errno, EOPNOTSUPP);
	close(vgem);
	close(fd);
}
END_TEST

/* --- the dma-buf as the handle: export by node, mmap of the dma-buf ------- */

/* EXPORT_REGION through the raw ioctl on @node: 0 or the errno */
static int node_export(int node, uint64_t off, uint64_t len,
		       struct peerbridge_export *arg)
{
	memset(arg, 0, sizeof(*arg));
	arg->flags = PEERBRIDGE_EXPORT_REGION | PEERBRIDGE_EXPORT_CLOEXEC;
	arg->fd = node;
	arg->addr = off;
	arg->len = len;
	return raw_export(arg, sizeof(*arg));
}

/* an export of 4 pages from region page 2, made with no mapping */
START_TEST(export_region_without_mapping_covers_its_offset_range)
{
	unsigned char *v, *host = host_alloc(4 * PAGE);
	struct pb_buf dst = va_side(host), src;
	size_t len;
	int fd;

	v = map_region(g_vram, &len);
	pb_fill_pattern(v, 8 * PAGE, 0x7227);
	pb_unmap(v, len);
	fd = pb_export_region(g_ctx, g_vram, 2 * PAGE, 4 * PAGE,
			      PB_EXPORT_CLOEXEC);
	ck_assert_msg(fd >= 0, "pb_export_region: %s", pb_strerror(errno));
	src = dmabuf_side(fd, 0);
	ck_assert_int_eq(copy_bufs(&dst, &src, 4 * PAGE, NULL), 0);
	v = map_region(g_vram, &len);
	ck_assert_int_eq(memcmp(host, v + 2 * PAGE, 4 * PAGE), 0);
	close(fd);
}
END_TEST

START_TEST(export_region_of_a_readonly_node_is_readonly)
{
	struct peerbridge_export arg;
	int node = open_node(g_vram, O_RDONLY);

	ck_assert_int_eq(node_export(node, 0, 2 * PAGE, &arg), 0);
	ck_assert_uint_eq(arg.out_flags & PEERBRIDGE_EXPORT_RDONLY,
			  PEERBRIDGE_EXPORT_RDONLY);
	assert_copy_reads_but_never_writes(arg.fd);
	close(arg.fd);
	close(node);
}
END_TEST

START_TEST(export_region_outside_the_region_is_einval)
{
	struct peerbridge_export arg;
	int node = open_node(g_vram, O_RDWR);
	uint64_t size = region_attr(g_vram, "size");

	ck_assert_int_eq(node_export(node, size - PAGE, 2 * PAGE, &arg), EINVAL);
	ck_assert_int_eq(node_export(node, size, PAGE, &arg), EINVAL);
	ck_assert_int_eq(node_export(node, 0, 0, &arg), EINVAL);
	close(node);
}
END_TEST

START_TEST(export_region_of_an_fd_that_is_no_region_node_is_einval)
{
	struct peerbridge_export arg;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC), ctl;

	ck_assert_int_eq(node_export(null, 0, PAGE, &arg), EINVAL);
	ctl = open(PB_CTL_NODE, O_RDWR | O_CLOEXEC);
	ck_assert_int_eq(node_export(ctl, 0, PAGE, &arg), EINVAL);
	close(ctl);
	close(null);
	/* far above any descriptor open here (ctl_ioctl opens one too) */
	ck_assert_int_eq(node_export(1 << 20, 0, PAGE, &arg), EBADF);
}
END_TEST

START_TEST(dmabuf_mmap_reads_and_writes_the_region)
{
	unsigned char *v, *m;
	size_t len;
	int fd;

	v = map_region(g_vram, &len);
	pb_fill_pattern(v, 4 * PAGE, 0x7337);
	fd = pb_export_region(g_ctx, g_vram, 0, 4 * PAGE, PB_EXPORT_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	m = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(m, MAP_FAILED);
	ck_assert_int_eq(pb_verify_pattern(m, 4 * PAGE, 0x7337), -1);
	pb_fill_pattern(m + PAGE, PAGE, 0x7447);
	ck_assert_int_eq(pb_verify_pattern(v + PAGE, PAGE, 0x7447), -1);
	munmap(m, 4 * PAGE);
	close(fd);
}
END_TEST

START_TEST(dmabuf_mmap_private_is_einval)
{
	int fd = pb_export_region(g_ctx, g_vram, 0, PAGE, PB_EXPORT_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_ptr_eq(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 0),
			 MAP_FAILED);
	ck_assert_int_eq(errno, EINVAL);
	close(fd);
}
END_TEST

START_TEST(dmabuf_mmap_of_a_readonly_export_never_becomes_writable)
{
	unsigned char *m;
	int fd = pb_export_region(g_ctx, g_vram, 0, PAGE,
				  PB_EXPORT_CLOEXEC | PB_EXPORT_RDONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_ptr_eq(mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
			      fd, 0), MAP_FAILED);
	ck_assert_int_eq(errno, EACCES);
	m = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(m, MAP_FAILED);
	ck_assert_int_eq(touch_read(m), 0);
	ck_assert_int_eq(mprotect(m, PAGE, PROT_READ | PROT_WRITE), -1);
	ck_assert_int_eq(errno, EACCES);
	munmap(m, PAGE);
	close(fd);
}
END_TEST

START_TEST(dmabuf_mmap_past_its_end_is_einval)
{
	int fd = pb_export_region(g_ctx, g_vram, 0, 2 * PAGE, PB_EXPORT_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_ptr_eq(mmap(NULL, 3 * PAGE, PROT_READ, MAP_SHARED, fd, 0),
			 MAP_FAILED);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_eq(mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 2 * PAGE),
			 MAP_FAILED);
	ck_assert_int_eq(errno, EINVAL);
	close(fd);
}
END_TEST

/* one fd, passed over a unix socket, is all another process needs */
START_TEST(dmabuf_received_over_a_unix_socket_maps_and_reads)
{
	char cbuf[CMSG_SPACE(sizeof(int))], c = 'd';
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	int sv[2], fd, st;
	unsigned char *v;
	size_t len;
	pid_t pid;

	v = map_region(g_vram, &len);
	pb_fill_pattern(v, 2 * PAGE, 0x7557);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		unsigned char *m;
		struct cmsghdr *cm;

		if (recvmsg(sv[1], &msg, 0) != 1)
			_exit(1);
		cm = CMSG_FIRSTHDR(&msg);
		if (!cm || cm->cmsg_type != SCM_RIGHTS)
			_exit(2);
		memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
		m = mmap(NULL, 2 * PAGE, PROT_READ, MAP_SHARED, fd, 0);
		if (m == MAP_FAILED)
			_exit(3);
		_exit(pb_verify_pattern(m, 2 * PAGE, 0x7557) == -1 ? 0 : 4);
	}
	fd = pb_export_region(g_ctx, g_vram, 0, 2 * PAGE, PB_EXPORT_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	CMSG_FIRSTHDR(&msg)->cmsg_level = SOL_SOCKET;
	CMSG_FIRSTHDR(&msg)->cmsg_type = SCM_RIGHTS;
	CMSG_FIRSTHDR(&msg)->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(CMSG_FIRSTHDR(&msg)), &fd, sizeof(fd));
	ck_assert_int_eq(sendmsg(sv[0], &msg, 0), 1);
	close(fd);	/* the message holds its own reference */
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "the receiver failed at step %d", WEXITSTATUS(st));
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(dmabuf_mmap_after_revoke_touch_sigbus)
{
	unsigned char *m;
	int fd = pb_export_region(g_ctx, g_vram, 0, PAGE, PB_EXPORT_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	m = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(m, MAP_FAILED);
	ck_assert_int_eq(touch_write(m), 0);
	unbind_dev(g_ivshmem);
	ck_assert_int_eq(touch_read(m), SIGBUS);
	ck_assert(!iomem_claimed(g_vram));
	munmap(m, PAGE);
	close(fd);
}
END_TEST

START_TEST(query_reports_region_device_bar_and_offset)
{
	struct pb_range_info info;
	size_t len;
	char *p = map_region(g_vram, &len);

	ck_assert_int_eq(pb_query(g_ctx, p + 3 * PAGE, 2 * PAGE, &info), 0);
	ck_assert_str_eq(info.region, g_vram);
	ck_assert_str_eq(info.device, g_ivshmem);
	ck_assert_uint_eq(info.bar, 2);
	ck_assert_uint_eq(info.offset, 3 * PAGE);
	ck_assert_uint_eq(info.region_size, 64 * MiB);
	ck_assert_uint_eq(info.bar_offset, 0);
	ck_assert(info.flags & PB_RANGE_WC);
	ck_assert(!(info.flags & PB_RANGE_RDONLY));
}
END_TEST

START_TEST(query_of_malloc_memory_is_enoent)
{
	struct pb_range_info info;
	void *p = host_alloc(PAGE);

	ck_assert_int_eq(pb_query(g_ctx, p, PAGE, &info), -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

START_TEST(query_spanning_two_regions_is_einval)
{
	struct pb_range_info info;
	char *at = reserve(2);

	map_pages(g_vram, 1, 0, at, PROT_READ | PROT_WRITE);
	map_pages(g_cmb, 1, 0, at + PAGE, PROT_READ | PROT_WRITE);
	ck_assert_int_eq(pb_query(g_ctx, at, 2 * PAGE, &info), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(query_unknown_flag_is_einval)
{
	struct peerbridge_query q = { .argsz = sizeof(q), .flags = 1 };
	size_t len;

	q.addr = (uintptr_t)map_region(g_vram, &len);
	q.len = PAGE;
	ck_assert_int_eq(ctl_ioctl(PEERBRIDGE_QUERY, &q), EINVAL);
}
END_TEST

Suite *suite_export(void)
{
	Suite *s = suite_create("export");
	TCase *tc = tcase_create("export");
	TCase *tq = tcase_create("query");
	TCase *th = tcase_create("handle");

	tcase_add_checked_fixture(tc, setup_ctx, teardown_ctx);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, export_of_malloc_memory_is_enoent);
	tcase_add_test(tc, export_len_zero_is_einval);
	tcase_add_test(tc, export_addr_plus_len_overflow_is_einval);
	tcase_add_test(tc, export_unaligned_range_is_einval);
	tcase_add_test(tc, export_range_with_unmapped_hole_is_einval);
	tcase_add_test(tc, export_range_spanning_two_regions_is_einval);
	tcase_add_test(tc, export_range_mixing_peer_and_plain_memory_is_einval);
	tcase_add_test(tc, export_unknown_flag_is_einval);
	tcase_add_test(tc, export_nonzero_reserved_is_einval);
	tcase_add_test(tc, export_argsz_below_v1_is_einval);
	tcase_add_test(tc, export_argsz_larger_with_zero_tail_is_accepted);
	tcase_add_test(tc, export_argsz_larger_with_nonzero_tail_is_e2big);
	tcase_add_test(tc, export_argsz_beyond_a_page_is_e2big);
	tcase_add_test(tc, export_cloexec_flag_makes_fd_close_on_exec);
	tcase_add_test(tc, export_without_cloexec_fd_is_inherited_by_exec);
	tcase_add_test(tc, export_of_readonly_mapping_is_readonly);
	tcase_add_test(tc, export_after_revoke_is_enodev);
	tcase_add_test(tc, exports_are_counted_in_sysfs_until_closed);
	tcase_add_test(tc, bufinfo_names_our_dmabufs);
	tcase_add_test(tc, importer_without_peer2peer_is_refused_eopnotsupp);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(th, setup_ctx, teardown_ctx);
	tcase_add_test(th, export_region_without_mapping_covers_its_offset_range);
	tcase_add_test(th, export_region_of_a_readonly_node_is_readonly);
	tcase_add_test(th, export_region_outside_the_region_is_einval);
	tcase_add_test(th, export_region_of_an_fd_that_is_no_region_node_is_einval);
	tcase_add_test(th, dmabuf_mmap_reads_and_writes_the_region);
	tcase_add_test(th, dmabuf_mmap_private_is_einval);
	tcase_add_test(th, dmabuf_mmap_of_a_readonly_export_never_becomes_writable);
	tcase_add_test(th, dmabuf_mmap_past_its_end_is_einval);
	tcase_add_test(th, dmabuf_received_over_a_unix_socket_maps_and_reads);
	tcase_add_test(th, dmabuf_mmap_after_revoke_touch_sigbus);
	suite_add_tcase(s, th);

	tcase_add_checked_fixture(tq, setup_ctx, teardown_ctx);
	tcase_add_test(tq, query_reports_region_device_bar_and_offset);
	tcase_add_test(tq, query_of_malloc_memory_is_enoent);
	tcase_add_test(tq, query_spanning_two_regions_is_einval);
	tcase_add_test(tq, query_unknown_flag_is_einval);
	suite_add_tcase(s, tq);
	return s;
}
