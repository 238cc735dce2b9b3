// SPDX-License-Identifier: GPL-2.0
/*
 * The lifecycle catalogue: revocation racing every kind of user (a COPY in
 * flight, a killed copier, first faults, removal and rescan, a stubborn or
 * pinned importer, a second revoker), descriptors handed to another
 * process, modules unloaded while in use, and the ways GUP-based paths and
 * mixed ranges must fail cleanly.  docs/lifetime.md states the rules these
 * tests prove.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <uapi/peerbridge.h>

#include "../kmod/pb_test_importer.h"
#include "pbvm.h"

#define PAGE		4096UL
#define RACE_LEN	(128 * 1024UL)	/* two 64 KiB descriptors: seconds on edu */
#define HELD_MSG	"still held"
#define TIMEOUT_KNOB	"/sys/module/peerbridge/parameters/revoke_timeout_ms"

static void lifetime_setup(void)
{
	setup_ctx();
	find_pci(ID_EDU, 0, g_edu);
}

/* a removal test that failed half way must not take the device along */
static void lifetime_teardown(void)
{
	write_file("/sys/module/pb_edu_dma/parameters/cannot_terminate", "0");
	write_file("/sys/module/peerbridge/parameters/host_bridge", "auto");
	write_file("/sys/bus/pci/rescan", "1");
	teardown_ctx();
}

static void sysfs_dev_write(const char *bdf, const char *attr, const char *v)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", bdf, attr);
	ck_assert_msg(write_file(path, v) == 0, "write %s", path);
}

static void rescan(void)
{
	ck_assert_int_eq(write_file("/sys/bus/pci/rescan", "1"), 0);
}

/* --- COPY against revocation -------------------------------------------------- */

struct copy_report {
	int ret;
	int err;
	uint64_t copied;
};

/*
 * In a child: RACE_LEN bytes of a pattern from host memory into VRAM (its
 * own mapping, or an export of it), reported on @rep.  Signals @ready just
 * before the copy starts.
 */
static void copy_child(bool via_export, int ready, int rep)
{
	struct pb_ctx *cc = pb_open();
	unsigned char *host = host_alloc(RACE_LEN), *v;
	struct copy_report r = { .ret = -1, .err = EIO };
	struct pb_copy_result res = { 0 };
	struct pb_buf dst, src = va_side(host);
	size_t len;
	int fd;

	v = cc ? pb_map(cc, g_vram, &len) : NULL;
	if (!v)
		_exit(2);
	memset(v, 0, RACE_LEN);
	pb_fill_pattern(host, RACE_LEN, 0x8118);
	dst = va_side(v);
	if (via_export) {
		fd = pb_export(cc, v, RACE_LEN, 0);
		if (fd < 0)
			_exit(3);
		dst = dmabuf_side(fd, 0);
	}
	if (write(ready, "r", 1) != 1)
		_exit(4);
	r.ret = pb_copy_ex(cc, &dst, &src, RACE_LEN, 0, &res);
	r.err = errno;
	r.copied = res.copied;
	_exit(write(rep, &r, sizeof(r)) == sizeof(r) ? 0 : 5);
}

#define NO_TERMINATE "/sys/module/pb_edu_dma/parameters/cannot_terminate"

static void revoke_races_copy(bool via_export, bool engine_cannot_stop)
{
	int ready[2], rep[2], kmsg, st;
	unsigned char *v, *snap = malloc(RACE_LEN);
	struct copy_report r;
	double t0, t1;
	size_t len;
	pid_t pid;
	char c;

	ck_assert_int_eq(pipe(ready), 0);
	ck_assert_int_eq(pipe(rep), 0);
	if (engine_cannot_stop)
		ck_assert_int_eq(write_file(NO_TERMINATE, "1"), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid)
		copy_child(via_export, ready[1], rep[1]);
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	usleep(1500 * 1000);	/* the first descriptor is under way */

	kmsg = kmsg_from_now();
	t0 = now_s();
	unbind_dev(g_ivshmem);
	t1 = now_s();
	/* look at the memory again at once: it must not change any more */
	bind_dev(g_ivshmem);
	v = map_region(g_vram, &len);
	memcpy(snap, v, RACE_LEN);

	ck_assert_int_eq(read(rep[0], &r, sizeof(r)), sizeof(r));
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	write_file(NO_TERMINATE, "0");
	ck_assert_msg(r.ret == -1 && r.err == ENODEV,
		      "the copy returned %d (%s) across revocation, wanted ENODEV",
		      r.ret, strerror(r.err));
	ck_assert_uint_lt(r.copied, RACE_LEN);
	/* what it reports arrived did arrive */
	ck_assert_int_eq(pb_verify_pattern(v, r.copied, 0x8118), -1);
	ck_assert_msg(t1 - t0 < 5.0, "unbind took %.1f s", t1 - t0);
	ck_assert_msg(!kmsg_find(kmsg, HELD_MSG), "revocation waited for the copy");
	sleep(1);
	ck_assert_msg(!memcmp(snap, v, RACE_LEN),
		      "VRAM changed after unbind returned: the copy kept going");
	close(kmsg);
	free(snap);
}

START_TEST(revoke_races_copy_into_mapping_stops_before_unbind_returns)
{
	revoke_races_copy(false, false);
}
END_TEST

START_TEST(revoke_races_copy_into_export_stops_before_unbind_returns)
{
	revoke_races_copy(true, false);
}
END_TEST

/* like ioat or idxd: the copy waits for its descriptor, then lets go */
START_TEST(revoke_races_copy_on_an_engine_that_cannot_stop)
{
	revoke_races_copy(false, true);
}
END_TEST

START_TEST(kill_during_copy_dies_promptly_then_next_copy_is_verified)
{
	unsigned char *v, *host = host_alloc(8192);
	struct pb_buf dst, src;
	int ready[2], rep[2], st;
	double t0, t1;
	size_t len;
	pid_t pid;
	char c;

	ck_assert_int_eq(pipe(ready), 0);
	ck_assert_int_eq(pipe(rep), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid)
		copy_child(false, ready[1], rep[1]);
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	usleep(1000 * 1000);
	t0 = now_s();
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	t1 = now_s();
	ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	/* one 64 KiB descriptor alone takes seconds: it was cut short */
	ck_assert_msg(t1 - t0 < 2.0, "the killed copier took %.1f s to die",
		      t1 - t0);

	/* the engine is idle and correct */
	v = map_region(g_vram, &len);
	memset(v, 0, 8192);
	pb_fill_pattern(host, 8192, 0x7117);
	dst = va_side(v);
	src = va_side(host);
	ck_assert_int_eq(copy_bufs(&dst, &src, 8192, NULL), 0);
	ck_assert_int_eq(pb_verify_pattern(v, 8192, 0x7117), -1);
}
END_TEST

/* --- revocation is prompt when nothing holds on ------------------------------ */

START_TEST(unbind_with_honouring_users_is_prompt_and_quiet)
{
	size_t len;
	unsigned char *v = map_region(g_vram, &len);
	int fd = export_or_fail(v, 16 * PAGE, 0), tfd = pbti_fd(), kmsg;
	struct pbti_status st = { 0 };
	struct pbti_attach a;
	struct pbti_map m;
	double t0, t1;

	ck_assert_int_eq(touch_write(v), 0);
	ck_assert_int_eq(pbti_map_range(tfd, v, 4 * PAGE, true, &m), 0);
	ck_assert_int_eq(pbti_attach_fd(tfd, fd, false, &a), 0);
	kmsg = kmsg_from_now();
	t0 = now_s();
	unbind_dev(g_ivshmem);
	t1 = now_s();
	/* well under revoke_timeout_ms (10 s), even on a sanitizer kernel */
	ck_assert_msg(t1 - t0 < 5.0, "unbind took %.2f s", t1 - t0);
	ck_assert_msg(!kmsg_find(kmsg, HELD_MSG), "revocation had to wait");
	st.slot = a.slot;
	ck_assert_int_eq(ioctl(tfd, PBTI_ATTACH_STATUS, &st), 0);
	ck_assert_uint_eq(st.released, 1);
	ck_assert_int_eq(ioctl(tfd, PBTI_DETACH, &a.slot), 0);
	pbti_unmap_slot(tfd, m.slot);
	close(kmsg);
	close(tfd);
	close(fd);
}
END_TEST

/* --- pinned importers and explicit revocation -------------------------------- */

static int attach_pinned(int tfd, int dmabuf, struct pbti_attach *a)
{
	memset(a, 0, sizeof(*a));
	a->fd = dmabuf;
	a->pinned = 1;
	return ioctl(tfd, PBTI_ATTACH, a) ? errno : 0;
}

static void region_write(const char *region, const char *attr, const char *v)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/class/pbmem/%s/%s", region, attr);
	ck_assert_msg(write_file(path, v) == 0, "write %s", path);
}

static void region_read(const char *region, const char *attr, char *out,
			size_t size)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/class/pbmem/%s/%s", region, attr);
	ck_assert_msg(!pb_read_text(path, out, size), "read %s", path);
}

START_TEST(pinned_importer_is_waited_for_and_named_as_pinned)
{
	size_t len;
	unsigned char *v = map_region(g_vram, &len);
	int fd = export_or_fail(v, 16 * PAGE, 0), tfd = pbti_fd(), kmsg;
	struct pbti_status st = { 0 };
	char holders[4096], want[128];
	struct pbti_attach a;

	ck_assert_int_eq(attach_pinned(tfd, fd, &a), 0);
	region_read(g_vram, "holders", holders, sizeof(holders));
	snprintf(want, sizeof(want), "importers=%s:pinned:mapped", g_edu);
	ck_assert_msg(strstr(holders, want), "no '%s' in:\n%s", want, holders);

	ck_assert_int_eq(write_file(TIMEOUT_KNOB, "300"), 0);
	kmsg = kmsg_from_now();
	unbind_dev(g_ivshmem);
	ck_assert_int_eq(write_file(TIMEOUT_KNOB, "10000"), 0);
	/* told, like everyone, but it keeps its mapping: waited for, named */
	st.slot = a.slot;
	ck_assert_int_eq(ioctl(tfd, PBTI_ATTACH_STATUS, &st), 0);
	ck_assert_uint_eq(st.invalidated, 1);
	ck_assert_uint_eq(st.released, 0);
	ck_assert_msg(kmsg_find(kmsg, want), "the log does not name '%s'", want);
	ck_assert(iomem_claimed(g_vram));
	ck_assert_int_eq(ioctl(tfd, PBTI_DETACH, &a.slot), 0);
	ck_assert(!iomem_claimed(g_vram));
	close(kmsg);
	close(tfd);
	close(fd);
}
END_TEST

static void *unbind_run(void *bdf)
{
	unbind_dev(bdf);
	return NULL;
}

static void *close_run(void *fd)
{
	close(*(int *)fd);
	return NULL;
}

/*
 * Revocation walks the region's exports, A then B.  While it waits on A's
 * reservation lock (held by an importer), the last descriptor of B is
 * closed: B's file and inode go, and B's release waits for the walk.  The
 * walk must not reach B's CPU mappings through its freed inode (KASAN
 * reports it on the sanitizer kernel).
 */
START_TEST(revoke_racing_the_last_close_of_an_export_touches_nothing_freed)
{
	size_t len;
	unsigned char *v = map_region(g_vram, &len);
	/* close-on-exec: the pbctl that unbinds must not hold B open */
	int a = export_or_fail(v, PAGE, PB_EXPORT_CLOEXEC);
	int b = export_or_fail(v + PAGE, PAGE, PB_EXPORT_CLOEXEC);
	int tfd = pbti_fd();
	bool unbind_waited, close_waited;
	pthread_t unbinder, closer;
	char state[32];
	int i;

	ck_assert_int_eq(ioctl(tfd, PBTI_HOLD_RESV, &a), 0);
	ck_assert_int_eq(pthread_create(&unbinder, NULL, unbind_run, g_ivshmem), 0);
	/* the walk waits on A once the region is revoking (pbctl is slow) */
	for (i = 0; i < 3000; i++) {
		region_read(g_vram, "state", state, sizeof(state));
		if (strcmp(state, "live"))
			break;
		usleep(10000);
	}
	usleep(300000);
	ck_assert_int_eq(pthread_create(&closer, NULL, close_run, &b), 0);
	usleep(3000000);	/* B's inode freed, past RCU grace periods */
	/* both wait: the test tests something */
	unbind_waited = pthread_tryjoin_np(unbinder, NULL) == EBUSY;
	close_waited = pthread_tryjoin_np(closer, NULL) == EBUSY;
	ck_assert_int_eq(ioctl(tfd, PBTI_DROP_RESV), 0);
	if (unbind_waited)
		ck_assert_int_eq(pthread_join(unbinder, NULL), 0);
	if (close_waited)
		ck_assert_int_eq(pthread_join(closer, NULL), 0);
	ck_assert_msg(unbind_waited, "revocation did not wait on the held export");
	ck_assert_msg(close_waited, "the last close did not wait for the revocation");
	ck_assert(!iomem_claimed(g_vram));
	close(tfd);
	close(a);
}
END_TEST

START_TEST(dynamic_importer_is_listed_as_dynamic_and_released_on_revoke)
{
	size_t len;
	unsigned char *v = map_region(g_vram, &len);
	int fd = export_or_fail(v, 16 * PAGE, 0), tfd = pbti_fd();
	struct pbti_status st = { 0 };
	char holders[4096], want[128];
	struct pbti_attach a;

	ck_assert_int_eq(pbti_attach_fd(tfd, fd, false, &a), 0);
	region_read(g_vram, "holders", holders, sizeof(holders));
	snprintf(want, sizeof(want), "importers=%s:dynamic:mapped", g_edu);
	ck_assert_msg(strstr(holders, want), "no '%s' in:\n%s", want, holders);
	region_write(g_vram, "revoke", "1");
	st.slot = a.slot;
	ck_assert_int_eq(ioctl(tfd, PBTI_ATTACH_STATUS, &st), 0);
	ck_assert_uint_eq(st.released, 1);
	region_read(g_vram, "holders", holders, sizeof(holders));
	ck_assert_msg(strstr(holders, "state=revoked"), "%s", holders);
	ck_assert_int_eq(ioctl(tfd, PBTI_DETACH, &a.slot), 0);
	close(tfd);
	close(fd);
}
END_TEST

START_TEST(pin_of_a_revoked_export_is_enodev)
{
	size_t len;
	unsigned char *v = map_region(g_vram, &len);
	int fd = export_or_fail(v, 16 * PAGE, 0), tfd = pbti_fd();
	struct pbti_attach a;

	region_write(g_vram, "revoke", "1");
	ck_assert_int_eq(attach_pinned(tfd, fd, &a), ENODEV);
	close(tfd);
	close(fd);
}
END_TEST

START_TEST(pbctl_exports_names_owner_range_importer_and_state)
{
	size_t len;
	unsigned char *v = map_region(g_vram, &len);
	int fd = export_or_fail(v + 4 * PAGE, 8 * PAGE, 0), tfd = pbti_fd();
	char out[8192], want[160];
	struct pbti_attach a;

	ck_assert_int_eq(attach_pinned(tfd, fd, &a), 0);
	ck_assert_int_eq(pbctl_output(out, sizeof(out), "-j exports"), 0);
	snprintf(want, sizeof(want), "\"region\": \"%s\"", g_vram);
	ck_assert_msg(strstr(out, want), "no %s in %s", want, out);
	snprintf(want, sizeof(want), "\"pid\": %d", getpid());
	ck_assert_msg(strstr(out, want), "no %s in %s", want, out);
	ck_assert_msg(strstr(out, "\"offset\": 16384"), "%s", out);
	ck_assert_msg(strstr(out, "\"length\": 32768"), "%s", out);
	ck_assert_msg(strstr(out, "\"mode\": \"rw\""), "%s", out);
	ck_assert_msg(strstr(out, "\"state\": \"live\""), "%s", out);
	snprintf(want, sizeof(want), "\"importers\": [\"%s:pinned:mapped\"]", g_edu);
	ck_assert_msg(strstr(out, want), "no %s in %s", want, out);

	/* people get a table with the same facts */
	ck_assert_int_eq(pbctl_output(out, sizeof(out), "exports"), 0);
	ck_assert_msg(strstr(out, g_vram) && strstr(out, "32K") &&
		      strstr(out, "pinned"), "%s", out);

	ck_assert_int_eq(ioctl(tfd, PBTI_DETACH, &a.slot), 0);
	region_write(g_vram, "revoke", "1");
	ck_assert_int_eq(pbctl_output(out, sizeof(out), "-j exports"), 0);
	ck_assert_msg(strstr(out, "\"state\": \"revoked\"") &&
		      strstr(out, "\"importers\": []"), "%s", out);
	close(tfd);
	close(fd);
	ck_assert_int_eq(pbctl_output(out, sizeof(out), "-j exports"), 0);
	ck_assert_msg(!strstr(out, g_vram), "a closed export is still listed: %s",
		      out);
}
END_TEST

struct revoker {
	const char *region;
	double done;
};

static void *explicit_revoker(void *arg)
{
	struct revoker *r = arg;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/class/pbmem/%s/revoke", r->region);
	write_file(path, "1");
	r->done = now_s();
	return NULL;
}

START_TEST(second_revoke_waits_for_the_first_to_drain)
{
	size_t len;
	unsigned char *v = map_region(g_vram, &len);
	int fd = export_or_fail(v, 16 * PAGE, 0), tfd = pbti_fd();
	struct revoker r = { .region = g_vram };
	struct pbti_attach a;
	pthread_t th;
	double unbound;

	ck_assert_int_eq(attach_pinned(tfd, fd, &a), 0);
	ck_assert_int_eq(write_file(TIMEOUT_KNOB, "2000"), 0);
	ck_assert_int_eq(pthread_create(&th, NULL, explicit_revoker, &r), 0);
	usleep(300 * 1000);		/* the first revocation is waiting */
	unbind_dev(g_ivshmem);		/* the second */
	unbound = now_s();
	pthread_join(th, NULL);
	ck_assert_int_eq(write_file(TIMEOUT_KNOB, "10000"), 0);
	ck_assert_msg(unbound >= r.done,
		      "unbind returned %.2f s before the first revocation finished",
		      r.done - unbound);
	ck_assert_int_eq(ioctl(tfd, PBTI_DETACH, &a.slot), 0);
	close(tfd);
	close(fd);
}
END_TEST

/* --- first faults against revocation ------------------------------------------ */

#define FAULT_THREADS 3

static atomic_int fault_revoked;	/* set once unbind has returned */
static atomic_int fault_violations;
static atomic_int fault_saw_sigbus;
static __thread sigjmp_buf fault_env;

static void fault_handler(int sig)
{
	siglongjmp(fault_env, sig);
}

/* map, first-touch every page of 1 MiB, unmap; until revocation is seen */
static void *fault_thread(void *arg)
{
	struct pb_ctx *cc = pb_open();
	double deadline = now_s() + 60;
	(void)arg;

	while (cc && now_s() < deadline) {
		volatile int after = atomic_load(&fault_revoked);
		volatile size_t i;
		size_t len;
		volatile unsigned char *p = pb_map(cc, g_vram, &len);
		volatile bool bus = false;

		if (!p) {
			if (!after)
				continue;	/* the node is going away */
			break;			/* gone: the end */
		}
		if (after)
			atomic_fetch_add(&fault_violations, 1); /* mapped after revoke */
		for (i = 0; i < 256 && !bus; i++) {
			after = atomic_load(&fault_revoked);
			if (!sigsetjmp(fault_env, 1)) {
				(void)p[i * PAGE];
				if (after)	/* a PTE made after revocation */
					atomic_fetch_add(&fault_violations, 1);
			} else {
				bus = true;
				atomic_store(&fault_saw_sigbus, 1);
			}
		}
		pb_unmap((void *)p, len);
		if (bus && atomic_load(&fault_revoked))
			break;
	}
	pb_close(cc);
	return NULL;
}

START_TEST(concurrent_fault_while_revoking_never_maps_revoked_memory)
{
	struct sigaction sa = { .sa_handler = fault_handler }, old;
	pthread_t th[FAULT_THREADS];
	int i;

	sigemptyset(&sa.sa_mask);
	ck_assert_int_eq(sigaction(SIGBUS, &sa, &old), 0);
	for (i = 0; i < FAULT_THREADS; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, fault_thread, NULL), 0);
	usleep(300 * 1000);
	unbind_dev(g_ivshmem);
	atomic_store(&fault_revoked, 1);
	for (i = 0; i < FAULT_THREADS; i++)
		pthread_join(th[i], NULL);
	sigaction(SIGBUS, &old, NULL);
	ck_assert_int_eq(atomic_load(&fault_violations), 0);
}
END_TEST

/* --- removal and rescan ------------------------------------------------------- */

START_TEST(remove_and_rescan_with_mapping_export_and_importer)
{
	size_t len;
	unsigned char *v = map_region(g_vram, &len);
	int fd = export_or_fail(v, 16 * PAGE, 0), tfd = pbti_fd();
	int kmsg_held = kmsg_from_now(), kmsg_res = kmsg_from_now();
	struct pbti_status st = { 0 };
	struct pbti_attach a;
	struct pbti_map m;
	char path[PATH_MAX];
	double t0, t1;

	ck_assert_int_eq(touch_write(v), 0);
	ck_assert_int_eq(pbti_map_range(tfd, v, 4 * PAGE, true, &m), 0);
	ck_assert_int_eq(pbti_attach_fd(tfd, fd, false, &a), 0);
	t0 = now_s();
	sysfs_dev_write(g_ivshmem, "remove", "1");
	t1 = now_s();
	ck_assert_msg(t1 - t0 < 1.0, "remove took %.2f s", t1 - t0);
	ck_assert_int_eq(touch_read(v), SIGBUS);
	st.slot = m.slot;
	ck_assert_int_eq(ioctl(tfd, PBTI_STATUS, &st), 0);
	ck_assert_uint_eq(st.invalidated, 1);
	st.slot = a.slot;
	ck_assert_int_eq(ioctl(tfd, PBTI_ATTACH_STATUS, &st), 0);
	ck_assert_uint_eq(st.released, 1);
	pbti_unmap_slot(tfd, m.slot);
	ck_assert_int_eq(ioctl(tfd, PBTI_DETACH, &a.slot), 0);
	ck_assert(!iomem_claimed(g_vram));
	pb_unmap(v, len);
	close(fd);
	close(tfd);

	rescan();
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", g_ivshmem);
	ck_assert_msg(access(path, F_OK) == 0, "%s did not come back", g_ivshmem);
	bind_dev(g_ivshmem);
	v = map_region(g_vram, &len);
	ck_assert_int_eq(touch_write(v), 0);
	ck_assert(iomem_claimed(g_vram));
	ck_assert(!kmsg_find(kmsg_held, HELD_MSG));
	ck_assert(!kmsg_find(kmsg_res, "nonexistent resource"));
	close(kmsg_held);
	close(kmsg_res);
}
END_TEST

START_TEST(remove_with_stubborn_importer_keeps_window_reserved_until_release)
{
	size_t len;
	unsigned char *v = map_region(g_vram, &len);
	int fd = export_or_fail(v, 16 * PAGE, 0), tfd = pbti_fd();
	int kmsg = kmsg_from_now();
	uint64_t held = bar_start(g_ivshmem, 2);
	struct pbti_attach a;

	ck_assert_int_eq(pbti_attach_fd(tfd, fd, true, &a), 0);
	pb_unmap(v, len);
	close(fd);
	ck_assert_int_eq(write_file(TIMEOUT_KNOB, "300"), 0);
	sysfs_dev_write(g_ivshmem, "remove", "1");
	ck_assert_int_eq(write_file(TIMEOUT_KNOB, "10000"), 0);
	/* the device is gone, a device may still DMA to its window */
	ck_assert_msg(iomem_claimed(g_vram), "the window lost its claim on removal");
	rescan();
	ck_assert_msg(bar_start(g_ivshmem, 2) != held,
		      "the rescanned device was given the held window");

	ck_assert_int_eq(ioctl(tfd, PBTI_DETACH, &a.slot), 0);
	close(tfd);
	ck_assert(!iomem_claimed(g_vram));
	ck_assert(!kmsg_find(kmsg, "nonexistent resource"));
	close(kmsg);

	/* with the window free the device gets its BAR back */
	sysfs_dev_write(g_ivshmem, "remove", "1");
	rescan();
	ck_assert_uint_ne(bar_start(g_ivshmem, 2), 0);
	bind_dev(g_ivshmem);
	v = map_region(g_vram, &len);
	ck_assert_int_eq(touch_write(v), 0);
}
END_TEST

/* the bridge (root or switch port) @bdf sits below, into @out */
static void parent_bridge(const char *bdf, char out[PB_BDF_LEN])
{
	char path[PATH_MAX], target[PATH_MAX], *slash;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", bdf);
	n = readlink(path, target, sizeof(target) - 1);
	ck_assert_int_gt(n, 0);
	target[n] = '\0';
	*strrchr(target, '/') = '\0';
	slash = strrchr(target, '/');
	snprintf(out, PB_BDF_LEN, "%.12s", slash + 1);
}

START_TEST(remove_of_the_bridge_above_keeps_a_held_window_reserved)
{
	char far[PB_BDF_LEN], port[PB_BDF_LEN], region[PB_REGION_NAME_MAX];
	int fd, tfd = pbti_fd();
	struct pbti_attach a;
	unsigned char *v;
	size_t len;

	find_pci(ID_IVSHMEM, 1, far);
	parent_bridge(far, port);
	region_name(far, "bar2", region, sizeof(region));
	bind_dev(far);
	ck_assert_int_eq(write_file("/sys/module/peerbridge/parameters/host_bridge",
				    "allow"), 0);
	v = map_region(region, &len);
	fd = export_or_fail(v, 4 * PAGE, 0);
	ck_assert_int_eq(pbti_attach_fd(tfd, fd, true, &a), 0);
	pb_unmap(v, len);
	close(fd);
	ck_assert_int_eq(write_file(TIMEOUT_KNOB, "300"), 0);
	sysfs_dev_write(port, "remove", "1");	/* the port and the device */
	ck_assert_int_eq(write_file(TIMEOUT_KNOB, "10000"), 0);
	ck_assert_msg(iomem_claimed(region),
		      "the window lost its reservation with the bridge above");
	ck_assert_int_eq(ioctl(tfd, PBTI_DETACH, &a.slot), 0);
	close(tfd);
	ck_assert(!iomem_claimed(region));
	rescan();
	/* a port placed while the window was reserved may need a second go */
	sysfs_dev_write(port, "remove", "1");
	rescan();
	ck_assert_uint_ne(bar_start(far, 2), 0);
}
END_TEST

/* --- descriptors handed to another process ------------------------------------ */

/* a child that exits with the number of the step that failed, 0 if none */
static void wait_child_ok(pid_t pid)
{
	int st;

	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "the child failed at step %d (status %#x)",
		      WEXITSTATUS(st), st);
}

static void send_fds(int sock, const int *fds, int n)
{
	char data = 'f', ctl[CMSG_SPACE(2 * sizeof(int))];
	struct iovec iov = { .iov_base = &data, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl, .msg_controllen = CMSG_SPACE(n * sizeof(int)),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, n * sizeof(int));
	ck_assert_int_eq(sendmsg(sock, &msg, 0), 1);
}

/* in the receiver: 0 when both descriptors work, else a step number */
static int fd_receiver(int sock)
{
	char data, ctl[CMSG_SPACE(2 * sizeof(int))];
	struct iovec iov = { .iov_base = &data, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl, .msg_controllen = sizeof(ctl),
	};
	unsigned char *host = host_alloc(4 * PAGE), *p;
	struct pb_buf dst = va_side(host), src;
	struct cmsghdr *cm;
	struct pb_ctx *cc;
	int fds[2];

	if (recvmsg(sock, &msg, 0) != 1)
		return 1;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return 2;
	memcpy(fds, CMSG_DATA(cm), sizeof(fds));
	/* the region node: the open file is the authority to map */
	p = mmap(NULL, 4 * PAGE, PROT_READ, MAP_SHARED, fds[0], 0);
	if (p == MAP_FAILED || pb_verify_pattern(p, 4 * PAGE, 0x6116) != -1)
		return 3;
	/* the dma-buf: the fd is the authority to copy from it */
	cc = pb_open();
	src = dmabuf_side(fds[1], 0);
	if (!cc || pb_copy(cc, &dst, &src, 4 * PAGE, 0))
		return 4;
	return pb_verify_pattern(host, 4 * PAGE, 0x6116) == -1 ? 0 : 5;
}

START_TEST(fd_passed_over_unix_socket_maps_and_copies_in_the_receiver)
{
	char path[PATH_MAX];
	int sv[2], fds[2];
	unsigned char *v;
	pid_t pid;

	/* the receiver exists before the descriptors do */
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid)
		_exit(fd_receiver(sv[1]));

	snprintf(path, sizeof(path), PB_REGION_DIR "/%s", g_vram);
	fds[0] = open(path, O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fds[0], 0);
	v = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fds[0], 0);
	ck_assert(v != MAP_FAILED);
	pb_fill_pattern(v, 4 * PAGE, 0x6116);
	fds[1] = export_or_fail(v, 4 * PAGE, PB_EXPORT_CLOEXEC);
	send_fds(sv[0], fds, 2);
	wait_child_ok(pid);
}
END_TEST

/* --- fork ----------------------------------------------------------------------- */

START_TEST(copy_after_fork_lands_in_the_parents_region_and_memory)
{
	size_t len;
	unsigned char *v = map_region(g_vram, &len), *v2 = map_region(g_vram, &len);
	unsigned char *host = host_alloc(2 * PAGE);
	struct pb_buf dst, src;
	int go[2];
	pid_t pid;
	char c;

	pb_fill_pattern(host, 2 * PAGE, 0x5115);
	memset(v, 0, 2 * PAGE);
	ck_assert_int_eq(pipe(go), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		struct pb_buf cd = va_side(v), cs = va_side(host);

		/* the child has no mapping of the region (VM_DONTCOPY) */
		if (!pb_copy(g_ctx, &cd, &cs, PAGE, 0) || errno != EFAULT)
			_exit(1);
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		/* its copy of the host buffer was never written */
		_exit(pb_verify_pattern(host, 2 * PAGE, 0x5115) == -1 ? 0 : 3);
	}
	/* host -> region: lands in the region the parent maps */
	dst = va_side(v);
	src = va_side(host);
	ck_assert_int_eq(copy_bufs(&dst, &src, 2 * PAGE, NULL), 0);
	ck_assert_int_eq(pb_verify_pattern(v2, 2 * PAGE, 0x5115), -1);
	/* region -> host: lands in the parent's pages, not the shared COW ones */
	pb_fill_pattern(v, 2 * PAGE, 0x5116);
	dst = va_side(host);
	src = va_side(v);
	ck_assert_int_eq(copy_bufs(&dst, &src, 2 * PAGE, NULL), 0);
	ck_assert_int_eq(pb_verify_pattern(host, 2 * PAGE, 0x5116), -1);
	ck_assert_int_eq(write(go[1], "g", 1), 1);
	wait_child_ok(pid);
}
END_TEST

/* --- GUP-based paths refuse peer memory cleanly -------------------------------- */

START_TEST(odirect_read_into_region_mapping_is_efault)
{
	size_t len;
	unsigned char *v = map_region(g_vram, &len);
	int fd = -1, i;

	unbind_dev(g_nvme);		/* back to the nvme driver */
	for (i = 0; i < 100 && fd < 0; i++) {
		fd = open("/dev/nvme0n1", O_RDONLY | O_DIRECT | O_CLOEXEC);
		if (fd < 0)
			usleep(100 * 1000);
	}
	ck_assert_msg(fd >= 0, "/dev/nvme0n1: %s", strerror(errno));
	ck_assert_int_eq(pread(fd, v, PAGE, 0), -1);
	ck_assert_int_eq(errno, EFAULT);
	close(fd);
}
END_TEST

START_TEST(process_vm_readv_of_region_mapping_is_efault)
{
	size_t len;
	unsigned char *v = map_region(g_vram, &len), *host = host_alloc(PAGE);
	struct iovec local = { .iov_base = host, .iov_len = PAGE };
	struct iovec remote = { .iov_base = v, .iov_len = PAGE };

	ck_assert_int_eq(process_vm_readv(getpid(), &local, 1, &remote, 1, 0), -1);
	if (errno == ENOSYS) {		/* the debug kernel has no CMA */
		printf("process_vm_readv: not in this kernel\n");
		return;
	}
	ck_assert_int_eq(errno, EFAULT);
	ck_assert_int_eq(process_vm_writev(getpid(), &local, 1, &remote, 1, 0), -1);
	ck_assert_int_eq(errno, EFAULT);
}
END_TEST

/* --- ordinary memory followed by peer memory ---------------------------------- */

/* an anonymous page, then a page of VRAM right after it */
static unsigned char *plain_then_peer(void)
{
	char path[PATH_MAX];
	unsigned char *at;
	int fd;

	snprintf(path, sizeof(path), PB_REGION_DIR "/%s", g_vram);
	fd = open(path, O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	at = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert(at != MAP_FAILED);
	ck_assert(mmap(at + PAGE, PAGE, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_FIXED, fd, 0) != MAP_FAILED);
	close(fd);
	at[0] = 1;
	return at;
}

START_TEST(query_of_plain_then_peer_range_is_einval)
{
	struct pb_range_info info;

	ck_assert_int_eq(pb_query(g_ctx, plain_then_peer(), 2 * PAGE, &info), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(copy_into_plain_then_peer_range_is_einval)
{
	unsigned char *host = host_alloc(2 * PAGE);
	struct pb_buf dst = va_side(plain_then_peer()), src = va_side(host);

	ck_assert_int_eq(copy_bufs(&dst, &src, 2 * PAGE, NULL), EINVAL);
}
END_TEST

START_TEST(importer_of_plain_then_peer_range_is_einval)
{
	int tfd = pbti_fd();
	struct pbti_map m;

	ck_assert_int_eq(pbti_map_range(tfd, plain_then_peer(), 2 * PAGE, false, &m),
			 EINVAL);
	close(tfd);
}
END_TEST

/* --- modules --------------------------------------------------------------------- */

static const char *const our_modules[] = {
	"peerbridge", "pb_edu_dma", "pb_test_importer", "pb_vga",
};

static bool module_loaded(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", name);
	return access(path, F_OK) == 0;
}

/* whatever a test unloaded comes back, in dependency order */
static void reload_modules(void)
{
	char cmd[PATH_MAX];
	unsigned int i;

	for (i = 0; i < sizeof(our_modules) / sizeof(our_modules[0]); i++) {
		if (module_loaded(our_modules[i]))
			continue;
		snprintf(cmd, sizeof(cmd), "insmod /lib/modules/%s.ko", our_modules[i]);
		ck_assert_msg(system(cmd) == 0, "%s failed", cmd);
	}
}

static void modules_teardown(void)
{
	reload_modules();
	teardown_ctx();
}

START_TEST(module_unload_while_in_use_is_refused_then_clean)
{
	int nfd, tfd = pbti_fd(), fd;
	unsigned char *vram = map_sample(8 * PAGE, &nfd);
	struct pbti_map m;

	ck_assert_int_eq(pbti_map_range(tfd, vram, PAGE, false, &m), 0);
	fd = export_or_fail(vram, 8 * PAGE, 0);
	/* an open node of the sample's */
	ck_assert_int_ne(system("rmmod pb_vga 2>/dev/null"), 0);
	munmap(vram, 8 * PAGE);
	close(nfd);
	/* an importer mapping made through the sample's p2p_map */
	ck_assert_int_ne(system("rmmod pb_vga 2>/dev/null"), 0);
	pbti_unmap_slot(tfd, m.slot);
	close(tfd);
	ck_assert_int_eq(system("rmmod pb_vga"), 0);

	ck_assert_int_eq(system("rmmod pb_test_importer && rmmod pb_edu_dma"), 0);
	pb_close(g_ctx);
	g_ctx = NULL;
	/* a dma-buf whose operations live in peerbridge */
	ck_assert_int_ne(system("rmmod peerbridge 2>/dev/null"), 0);
	close(fd);
	ck_assert_int_eq(system("rmmod peerbridge"), 0);
	reload_modules();
	ck_assert_int_eq(access("/dev/pb_vga", F_OK), 0);
}
END_TEST

Suite *suite_lifetime(void)
{
	Suite *s = suite_create("lifetime");
	TCase *tc = tcase_create("revocation");
	TCase *tp = tcase_create("processes");
	TCase *tm = tcase_create("modules");

	tcase_add_checked_fixture(tc, lifetime_setup, lifetime_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, revoke_races_copy_into_mapping_stops_before_unbind_returns);
	tcase_add_test(tc, revoke_races_copy_into_export_stops_before_unbind_returns);
	tcase_add_test(tc, revoke_races_copy_on_an_engine_that_cannot_stop);
	tcase_add_test(tc, kill_during_copy_dies_promptly_then_next_copy_is_verified);
	tcase_add_test(tc, unbind_with_honouring_users_is_prompt_and_quiet);
	tcase_add_test(tc, pinned_importer_is_waited_for_and_named_as_pinned);
	tcase_add_test(tc, revoke_racing_the_last_close_of_an_export_touches_nothing_freed);
	tcase_add_test(tc, dynamic_importer_is_listed_as_dynamic_and_released_on_revoke);
	tcase_add_test(tc, pin_of_a_revoked_export_is_enodev);
	tcase_add_test(tc, pbctl_exports_names_owner_range_importer_and_state);
	tcase_add_test(tc, second_revoke_waits_for_the_first_to_drain);
	tcase_add_test(tc, concurrent_fault_while_revoking_never_maps_revoked_memory);
	tcase_add_test(tc, remove_and_rescan_with_mapping_export_and_importer);
	tcase_add_test(tc, remove_with_stubborn_importer_keeps_window_reserved_until_release);
	tcase_add_test(tc, remove_of_the_bridge_above_keeps_a_held_window_reserved);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(tp, lifetime_setup, teardown_ctx);
	tcase_set_timeout(tp, 60);
	tcase_add_test(tp, fd_passed_over_unix_socket_maps_and_copies_in_the_receiver);
	tcase_add_test(tp, copy_after_fork_lands_in_the_parents_region_and_memory);
	tcase_add_test(tp, odirect_read_into_region_mapping_is_efault);
	tcase_add_test(tp, process_vm_readv_of_region_mapping_is_efault);
	tcase_add_test(tp, query_of_plain_then_peer_range_is_einval);
	tcase_add_test(tp, copy_into_plain_then_peer_range_is_einval);
	tcase_add_test(tp, importer_of_plain_then_peer_range_is_einval);
	suite_add_tcase(s, tp);

	tcase_add_checked_fixture(tm, setup_sample, modules_teardown);
	tcase_set_timeout(tm, 60);
	tcase_add_test(tm, module_unload_while_in_use_is_refused_then_clean);
	suite_add_tcase(s, tm);
	return s;
}
