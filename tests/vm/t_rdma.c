// SPDX-License-Identifier: GPL-2.0
/*
 * RDMA memory regions through pb_reg_mr() on rxe (soft RoCE over the
 * guest's dummy0, set up by init): the verbs path with host memory, RC
 * loopback between two QPs, every byte checked; what a user of peer
 * memory sees on a NIC that cannot import dma-bufs, as rxe cannot, also
 * through the preload shim; and what a NIC that can would see: the
 * kernel's own ib_umem code on our dma-bufs (pb_test_umem), with edu
 * moving the bytes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../kmod/pb_test_umem.h"
#include "pbvm.h"
#include "rc_loop.h"

#define PAGE 4096UL
#define RXE "rxe0"

static struct rc_loop g_rxe;

static void rdma_setup(void)
{
	const char *what;

	setup_ctx();
	unsetenv("PEERBRIDGE_DMABUF");
	ck_assert_msg(!rc_loop_open(&g_rxe, RXE, &what),
		      "%s on %s: %s (did init's rdma link add fail?)", what, RXE,
		      strerror(errno));
}

static void rdma_teardown(void)
{
	unsetenv("PEERBRIDGE_DMABUF");
	rc_loop_close(&g_rxe);
	teardown_ctx();
}

/* one RDMA WRITE or READ from QP 0, waited for */
static int rdma_op(enum ibv_wr_opcode op, struct ibv_mr *local,
		   struct ibv_mr *remote, size_t len)
{
	int status = rc_loop_op(&g_rxe, op, local, remote, len);

	ck_assert_msg(status >= 0, "RDMA op: %s", strerror(errno));
	return status;
}

/*
 * RDMA @op of @len bytes from QP 0 between MRs from pb_reg_mr() on host
 * memory: the local one for a WRITE's source or a READ's target, the
 * remote one (@remote_access) the other side; every byte checked.
 */
static void rdma_between_pb_mrs(enum ibv_wr_opcode op, size_t len,
				int remote_access, uint64_t seed)
{
	unsigned char *local = host_alloc(len), *remote = host_alloc(len);
	bool write = op == IBV_WR_RDMA_WRITE;
	struct ibv_mr *ml, *mr;

	pb_fill_pattern(write ? local : remote, len, seed);
	memset(write ? remote : local, 0, len);
	ml = pb_reg_mr(g_rxe.pd, local, len, IBV_ACCESS_LOCAL_WRITE);
	mr = pb_reg_mr(g_rxe.pd, remote, len, remote_access);
	ck_assert_msg(ml && mr, "pb_reg_mr: %s", pb_strerror(errno));
	ck_assert_int_eq(rdma_op(op, ml, mr, len), IBV_WC_SUCCESS);
	ck_assert_int_eq(pb_verify_pattern(write ? remote : local, len, seed), -1);
	ck_assert_int_eq(pb_dereg_mr(ml), 0);
	ck_assert_int_eq(pb_dereg_mr(mr), 0);
	free(local);
	free(remote);
}

START_TEST(rdma_write_between_qps_on_pb_reg_mr_host_memory_arrives)
{
	rdma_between_pb_mrs(IBV_WR_RDMA_WRITE, 3 * PAGE + 123,
			    IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE,
			    0x5115);
}
END_TEST

START_TEST(rdma_read_between_qps_on_pb_reg_mr_host_memory_arrives)
{
	rdma_between_pb_mrs(IBV_WR_RDMA_READ, 2 * PAGE, IBV_ACCESS_REMOTE_READ,
			    0x5225);
}
END_TEST

static int open_fds(void)
{
	struct dirent *e;
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1;	/* the directory's own */
}

START_TEST(pb_reg_mr_of_peer_memory_on_rxe_is_eopnotsupp_and_leaves_nothing)
{
	unsigned char *vram;
	char out[4096];
	size_t vlen;
	int fds;

	vram = map_region(g_vram, &vlen);
	ck_assert_ptr_null(pb_reg_mr(g_rxe.pd, vram + 100, 2 * PAGE,
				     IBV_ACCESS_LOCAL_WRITE));
	ck_assert_int_eq(errno, EOPNOTSUPP);
	ck_assert_msg(strstr(pb_strerror(EOPNOTSUPP), RXE) &&
		      strstr(pb_strerror(EOPNOTSUPP), "mlx5"),
		      "the message names neither the device nor what works: %s",
		      pb_strerror(EOPNOTSUPP));
	ck_assert_uint_eq(region_attr(g_vram, "exports"), 0);
	/* from here on the library holds its one /dev/peerbridge descriptor */
	fds = open_fds();
	/* asked again, it knows the answer */
	ck_assert_ptr_null(pb_reg_mr(g_rxe.pd, vram, PAGE, 0));
	ck_assert_int_eq(errno, EOPNOTSUPP);
	/* told to try each time, it exports, is refused, and closes */
	ck_assert_int_eq(setenv("PEERBRIDGE_DMABUF", "1", 1), 0);
	ck_assert_ptr_null(pb_reg_mr(g_rxe.pd, vram, PAGE, 0));
	ck_assert_int_eq(errno, EOPNOTSUPP);
	ck_assert_int_eq(open_fds(), fds);
	ck_assert_uint_eq(region_attr(g_vram, "exports"), 0);
	ck_assert_int_eq(pbctl_output(out, sizeof(out), "-j exports"), 0);
	ck_assert_msg(strstr(out, "\"exports\": []"), "%s", out);
	pb_unmap(vram, vlen);
}
END_TEST

/* PEERBRIDGE_DMABUF=0: peer memory goes to ibv_reg_mr, which cannot pin it */
START_TEST(pb_reg_mr_with_dmabuf_off_hands_peer_memory_to_ibv_reg_mr)
{
	unsigned char *vram;
	size_t vlen;

	vram = map_region(g_vram, &vlen);
	ck_assert_int_eq(setenv("PEERBRIDGE_DMABUF", "0", 1), 0);
	ck_assert_ptr_null(pb_reg_mr(g_rxe.pd, vram, PAGE,
				     IBV_ACCESS_LOCAL_WRITE));
	ck_assert_int_eq(errno, EFAULT);
	ck_assert_uint_eq(region_attr(g_vram, "exports"), 0);
	pb_unmap(vram, vlen);
}
END_TEST

START_TEST(pb_reg_mr_with_an_unknown_dmabuf_setting_is_einval)
{
	unsigned char *a = host_alloc(PAGE);

	ck_assert_int_eq(setenv("PEERBRIDGE_DMABUF", "yes", 1), 0);
	ck_assert_ptr_null(pb_reg_mr(g_rxe.pd, a, PAGE, 0));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_nonnull(strstr(pb_strerror(EINVAL), "PEERBRIDGE_DMABUF"));
	free(a);
}
END_TEST

/* a range that runs past the end of a peer mapping is not one kind of memory */
START_TEST(pb_reg_mr_past_the_end_of_peer_memory_is_einval)
{
	unsigned char *vram;
	size_t vlen;

	vram = map_region(g_vram, &vlen);
	ck_assert_ptr_null(pb_reg_mr(g_rxe.pd, vram + vlen - PAGE, 2 * PAGE, 0));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_uint_eq(region_attr(g_vram, "exports"), 0);
	pb_unmap(vram, vlen);
}
END_TEST

/*
 * A DRM PRIME buffer registers through the foreign path: rxe refuses it,
 * the fd stays the caller's, and COPY moves the buffer into a region.
 */
START_TEST(pb_reg_dmabuf_mr_of_a_vgem_buffer_is_eopnotsupp_on_rxe_and_copy_moves_it)
{
	int vgem = vgem_open(), vfd = vgem_dmabuf(vgem, 2 * PAGE);
	struct pb_buf dst, src = dmabuf_side(vfd, 0);
	unsigned char *buf, *vram;
	size_t vlen;

	buf = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, vfd, 0);
	ck_assert_ptr_ne(buf, MAP_FAILED);
	pb_fill_pattern(buf, 2 * PAGE, 0x5335);
	ck_assert_ptr_null(pb_reg_dmabuf_mr(g_rxe.pd, vfd, 0, 2 * PAGE, 0,
					    IBV_ACCESS_LOCAL_WRITE));
	ck_assert_int_eq(errno, EOPNOTSUPP);
	ck_assert_int_ge(fcntl(vfd, F_GETFD), 0);	/* still the caller's */
	vram = map_region(g_vram, &vlen);
	memset(vram, 0, 2 * PAGE);
	dst = va_side(vram);
	ck_assert_int_eq(copy_bufs(&dst, &src, 2 * PAGE, NULL), 0);
	ck_assert_int_eq(pb_verify_pattern(vram, 2 * PAGE, 0x5335), -1);
	pb_unmap(vram, vlen);
	munmap(buf, 2 * PAGE);
	close(vfd);
	close(vgem);
}
END_TEST

#define SHIM "LD_PRELOAD=/usr/lib/libpeerbridge-preload.so "

/* run a shell command, its stdout and stderr into @out: its exit status */
static int run(char *out, size_t outsz, const char *cmd)
{
	size_t n = 0;
	FILE *f;
	int st;

	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	while (n + 1 < outsz && fgets(out + n, outsz - n, f))
		n += strlen(out + n);
	out[n] = '\0';
	st = pclose(f);
	ck_assert_msg(WIFEXITED(st), "%s did not exit", cmd);
	return WEXITSTATUS(st);
}

/*
 * pbverbs knows nothing of peerbridge: its ibv_reg_mr() of a region node
 * mapping fails as GUP fails (EFAULT); under the shim the same call takes
 * the dma-buf route, which rxe refuses, and the shim says so.
 */
START_TEST(shim_routes_an_unmodified_programs_peer_memory_to_dmabuf)
{
	char cmd[256], out[1024];

	snprintf(cmd, sizeof(cmd), "pbverbs " PB_REGION_DIR "/%s 8192 2>&1",
		 g_vram);
	ck_assert_int_eq(run(out, sizeof(out), cmd), 3);
	ck_assert_msg(strstr(out, strerror(EFAULT)), "without the shim: %s", out);
	snprintf(cmd, sizeof(cmd), SHIM "pbverbs " PB_REGION_DIR "/%s 8192 2>&1",
		 g_vram);
	ck_assert_int_eq(run(out, sizeof(out), cmd), 3);
	ck_assert_msg(strstr(out, "rxe0 cannot register dma-buf memory") &&
		      strstr(out, strerror(EOPNOTSUPP)), "under the shim: %s", out);
	ck_assert_uint_eq(region_attr(g_vram, "exports"), 0);
}
END_TEST

START_TEST(shim_leaves_an_unmodified_programs_host_memory_rdma_working)
{
	char out[1024];

	ck_assert_int_eq(run(out, sizeof(out), SHIM "pbverbs - 12288 2>&1"), 0);
	ck_assert_msg(strstr(out, "every one checked"), "%s", out);
	/* the shim was there to leave it alone */
	ck_assert_msg(!strstr(out, "cannot be preloaded"), "%s", out);
}
END_TEST

/*
 * perftest's ib_write_bw, server and client over rxe0 on this machine,
 * both under the shim, its output in @out: the client's exit status.
 */
static int ib_write_bw(char *out, size_t outsz, const char *client_opts)
{
	char cmd[768];

	snprintf(cmd, sizeof(cmd),
		 "sh -c '" SHIM "timeout 60 ib_write_bw -d %s -x %d -F -n 5 -s 4096 -p 18515 >/tmp/ibwbw.srv 2>&1 & "
		 "sleep 2; " SHIM "timeout 60 ib_write_bw -d %s -x %d -F -n 5 -s 4096 -p 18515 %s 127.0.0.1 2>&1; "
		 "c=$?; kill $! 2>/dev/null; wait; cat /tmp/ibwbw.srv; exit $c'",
		 RXE, g_rxe.gid_index, RXE, g_rxe.gid_index, client_opts);
	return run(out, outsz, cmd);
}

START_TEST(perftest_ib_write_bw_runs_on_host_memory_under_the_shim)
{
	char out[8192];

	ck_assert_msg(ib_write_bw(out, sizeof(out), "") == 0, "%s", out);
	ck_assert_msg(strstr(out, "#bytes") && !strstr(out, "cannot be preloaded"),
		      "%s", out);
}
END_TEST

/* its --mmap of a region node takes the dma-buf route, which rxe refuses */
START_TEST(perftest_ib_write_bw_mmap_of_a_region_is_routed_to_dmabuf)
{
	char opts[128], out[8192];

	snprintf(opts, sizeof(opts), "--mmap=" PB_REGION_DIR "/%s", g_vram);
	ck_assert_int_ne(ib_write_bw(out, sizeof(out), opts), 0);
	ck_assert_msg(strstr(out, "rxe0 cannot register dma-buf memory"), "%s", out);
	ck_assert_uint_eq(region_attr(g_vram, "exports"), 0);
}
END_TEST

/* --- the kernel's own umem code on peerbridge dma-bufs ----------------------- */

#define UMEM_TIMEOUT_KNOB "/sys/module/peerbridge/parameters/revoke_timeout_ms"

static void umem_setup(void)
{
	setup_ctx();
	find_pci(ID_EDU, 0, g_edu);
}

static void umem_teardown(void)
{
	write_file(UMEM_TIMEOUT_KNOB, "10000");
	teardown_ctx();
}

static int umem_open(void)
{
	int fd = open(PBTU_DEV, O_RDWR | O_CLOEXEC);

	ck_assert_msg(fd >= 0, "%s: %s", PBTU_DEV, strerror(errno));
	return fd;
}

/* a umem on [off, off + len) of dma-buf @dmabuf; its slot, or -errno */
static int umem_get(int tfd, int dmabuf, uint64_t off, uint64_t len, bool pinned)
{
	struct pbtu_get g = { .fd = dmabuf, .pinned = pinned, .offset = off,
			      .len = len };

	return ioctl(tfd, PBTU_GET, &g) ? -errno : (int)g.slot;
}

/* map it now; its scatter entries, or -errno */
static int umem_map(int tfd, int slot)
{
	struct pbtu_map m = { .slot = slot };

	return ioctl(tfd, PBTU_MAP, &m) ? -errno : (int)m.nr_entries;
}

/* edu DMA between the umem's addresses and @buf: 0 or errno */
static int umem_dma(int tfd, int slot, void *buf, size_t len, bool to_umem)
{
	struct pbtu_dma d = { .slot = slot, .to_umem = to_umem, .len = len,
			      .buf = (uintptr_t)buf };

	return ioctl(tfd, PBTU_DMA, &d) ? errno : 0;
}

static struct pbtu_status umem_status(int tfd, int slot)
{
	struct pbtu_status st = { .slot = slot };

	ck_assert_int_eq(ioctl(tfd, PBTU_STATUS, &st), 0);
	return st;
}

/*
 * The umem covers 8 KiB from 4 KiB into a 16 KiB export of VRAM: one
 * scatter entry, and edu moves the right bytes both ways through its
 * addresses.
 */
static void umem_round_trip(bool pinned)
{
	const size_t off = PAGE, len = 2 * PAGE;
	unsigned char *v, *buf = host_alloc(len);
	int fd, tfd = umem_open(), slot;
	size_t vlen;

	v = map_region(g_vram, &vlen);
	pb_fill_pattern(v, 4 * PAGE, 0x6116);
	fd = export_or_fail(v, 4 * PAGE, PB_EXPORT_CLOEXEC);
	slot = umem_get(tfd, fd, off, len, pinned);
	ck_assert_msg(slot >= 0, "ib_umem: %s", strerror(-slot));
	ck_assert_int_eq(umem_map(tfd, slot), 1);
	ck_assert_int_eq(umem_dma(tfd, slot, buf, len, false), 0);
	for (size_t i = 0; i < len; i++)
		ck_assert_uint_eq(buf[i], v[off + i]);
	pb_fill_pattern(buf, len, 0x6226);
	ck_assert_int_eq(umem_dma(tfd, slot, buf, len, true), 0);
	ck_assert_int_eq(pb_verify_pattern(v + off, len, 0x6226), -1);
	ck_assert_int_eq(ioctl(tfd, PBTU_PUT, &(uint32_t){ slot }), 0);
	close(tfd);
	close(fd);
	free(buf);
}

START_TEST(ib_umem_dmabuf_get_dynamic_maps_vram_for_edu_dma_both_ways)
{
	umem_round_trip(false);
}
END_TEST

START_TEST(ib_umem_dmabuf_get_pinned_maps_vram_for_edu_dma_both_ways)
{
	umem_round_trip(true);
}
END_TEST

/*
 * The kernel's umem maps a dma-buf for both directions, whatever the MR
 * will do: a read-only export refuses it (which is why pb_reg_mr() exports
 * writable and leaves the limits to the MR's access flags).
 */
START_TEST(ib_umem_of_a_readonly_export_is_eacces)
{
	unsigned char *v;
	int fd, tfd = umem_open();
	size_t vlen;

	v = map_region(g_vram, &vlen);
	fd = export_or_fail(v, 4 * PAGE, PB_EXPORT_CLOEXEC | PB_EXPORT_RDONLY);
	ck_assert_int_eq(umem_get(tfd, fd, 0, 4 * PAGE, true), -EACCES);
	close(tfd);
	close(fd);
}
END_TEST

/* as mlx5's: told on unbind, it unmaps, and unbind does not wait for it */
START_TEST(ib_umem_dynamic_is_invalidated_on_unbind_which_does_not_wait)
{
	unsigned char *v;
	int fd, tfd = umem_open(), slot, kmsg;
	struct pbtu_status st;
	size_t vlen;

	v = map_region(g_vram, &vlen);
	fd = export_or_fail(v, 4 * PAGE, PB_EXPORT_CLOEXEC);
	slot = umem_get(tfd, fd, 0, 4 * PAGE, false);
	ck_assert_int_ge(slot, 0);
	ck_assert_int_eq(umem_map(tfd, slot), 1);
	kmsg = kmsg_from_now();
	unbind_dev(g_ivshmem);
	ck_assert_msg(!kmsg_find(kmsg, "still held"), "revocation had to wait");
	ck_assert(!iomem_claimed(g_vram));
	st = umem_status(tfd, slot);
	ck_assert_uint_eq(st.invalidated, 1);
	ck_assert_uint_eq(st.mapped, 0);
	/* mapped again, as on the NIC's next page fault: the memory is gone */
	ck_assert_int_eq(umem_map(tfd, slot), -ENODEV);
	ck_assert_int_eq(ioctl(tfd, PBTU_PUT, &(uint32_t){ slot }), 0);
	close(kmsg);
	close(tfd);
	close(fd);
}
END_TEST

/* as efa's, irdma's, bnxt_re's, mana's: waited for, named, let go on release */
START_TEST(ib_umem_pinned_is_waited_for_named_and_freed_by_dereg)
{
	unsigned char *v;
	int fd, tfd = umem_open(), slot, kmsg;
	char want[128];
	size_t vlen;

	v = map_region(g_vram, &vlen);
	fd = export_or_fail(v, 4 * PAGE, PB_EXPORT_CLOEXEC);
	slot = umem_get(tfd, fd, 0, 4 * PAGE, true);
	ck_assert_int_ge(slot, 0);
	ck_assert_int_eq(write_file(UMEM_TIMEOUT_KNOB, "300"), 0);
	kmsg = kmsg_from_now();
	unbind_dev(g_ivshmem);
	snprintf(want, sizeof(want), "importers=%s:pinned:mapped", g_edu);
	ck_assert_msg(kmsg_find(kmsg, want), "the log does not name '%s'", want);
	ck_assert(iomem_claimed(g_vram));
	ck_assert_uint_eq(umem_status(tfd, slot).mapped, 1);
	ck_assert_int_eq(ioctl(tfd, PBTU_PUT, &(uint32_t){ slot }), 0);
	ck_assert(!iomem_claimed(g_vram));
	close(kmsg);
	close(tfd);
	close(fd);
}
END_TEST

Suite *suite_rdma(void)
{
	Suite *s = suite_create("rdma");
	TCase *tc = tcase_create("rxe"), *tu = tcase_create("ib_umem");

	tcase_add_checked_fixture(tc, rdma_setup, rdma_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, rdma_write_between_qps_on_pb_reg_mr_host_memory_arrives);
	tcase_add_test(tc, rdma_read_between_qps_on_pb_reg_mr_host_memory_arrives);
	tcase_add_test(tc, pb_reg_mr_of_peer_memory_on_rxe_is_eopnotsupp_and_leaves_nothing);
	tcase_add_test(tc, pb_reg_mr_with_dmabuf_off_hands_peer_memory_to_ibv_reg_mr);
	tcase_add_test(tc, pb_reg_mr_with_an_unknown_dmabuf_setting_is_einval);
	tcase_add_test(tc, pb_reg_mr_past_the_end_of_peer_memory_is_einval);
	tcase_add_test(tc, pb_reg_dmabuf_mr_of_a_vgem_buffer_is_eopnotsupp_on_rxe_and_copy_moves_it);
	tcase_add_test(tc, shim_routes_an_unmodified_programs_peer_memory_to_dmabuf);
	tcase_add_test(tc, shim_leaves_an_unmodified_programs_host_memory_rdma_working);
	tcase_add_test(tc, perftest_ib_write_bw_runs_on_host_memory_under_the_shim);
	tcase_add_test(tc, perftest_ib_write_bw_mmap_of_a_region_is_routed_to_dmabuf);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(tu, umem_setup, umem_teardown);
	tcase_set_timeout(tu, 60);
	tcase_add_test(tu, ib_umem_dmabuf_get_dynamic_maps_vram_for_edu_dma_both_ways);
	tcase_add_test(tu, ib_umem_dmabuf_get_pinned_maps_vram_for_edu_dma_both_ways);
	tcase_add_test(tu, ib_umem_of_a_readonly_export_is_eacces);
	tcase_add_test(tu, ib_umem_dynamic_is_invalidated_on_unbind_which_does_not_wait);
	tcase_add_test(tu, ib_umem_pinned_is_waited_for_named_and_freed_by_dereg);
	suite_add_tcase(s, tu);
	return s;
}
