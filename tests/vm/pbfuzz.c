// SPDX-License-Identifier: GPL-2.0
/*
 * pbfuzz: a bounded, seeded ioctl fuzzer for /dev/peerbridge and the region
 * nodes.  Usage: pbfuzz [-s seed] [-n calls]
 *
 * Three threads issue ioctls: three in four valid by construction (a live
 * mapping, an in-range offset and length, a live dma-buf, exact argsz),
 * the rest random and mutated (argsz at the boundaries, garbage in flags
 * and reserved fields, wild addresses and fds, argument structures that
 * run into unmapped memory).  Meanwhile a racer thread maps and unmaps the
 * VRAM and CMB regions and the sample driver's buffer objects, touches
 * their pages (catching the SIGBUS of revoked memory), creates, moves and
 * frees buffer objects, opens and closes nodes and dma-bufs, and revokes:
 * it unbinds and rebinds the VRAM device and revokes the CMB region.
 *
 * It prints, per ioctl, how many calls it made and what share the kernel
 * accepted, and fails if that share is under 20% for EXPORT, QUERY or
 * COPY: a fuzzer whose calls all bounce off argument checks tests only
 * argument checks.  Then a normal export and copy must still work, byte
 * for byte.  The seed is printed first; each thread's sequence of calls
 * follows from it (their interleaving does not).  Exit status 0 means the
 * kernel stayed healthy and the fuzzer reached deep (the rig checks dmesg
 * too).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <peerbridge.h>
#include <uapi/peerbridge.h>

#include "../../samples/pb_vga.h"
#include "pb_pattern.h"
#include "pb_util.h"

#define PAGE		4096UL
#define POOL		32
#define NR_CMDS		6	/* five ioctls and "anything else" */
#define THREADS		3	/* issuing ioctls, besides the racer */
#define MIN_SHARE	20	/* % of EXPORT, QUERY, COPY the kernel accepts */
#define HOST_PAGES	16
#define REVOKE_EVERY	2000	/* ioctls between two revocations */

static const unsigned long cmds[NR_CMDS - 1] = {
	PEERBRIDGE_GET_INFO, PEERBRIDGE_EXPORT, PEERBRIDGE_QUERY,
	PEERBRIDGE_COPY, PEERBRIDGE_CHECK,
};
static const char *const cmd_names[NR_CMDS] = {
	"GET_INFO", "EXPORT", "QUERY", "COPY", "CHECK", "other",
};

static char vram_bdf[PB_BDF_LEN], nvme_bdf[PB_BDF_LEN],
	    vram[PB_REGION_NAME_MAX], cmb[PB_REGION_NAME_MAX];
static int ctl, sample = -1;		/* /dev/peerbridge, /dev/pb_vga */
static _Atomic int fds[POOL];		/* dma-bufs and region nodes */
#define MAP_LEN		(16 * PAGE)	/* every mapping in the pool */
static _Atomic(void *) maps[POOL];	/* region and buffer-object mappings */
static atomic_bool stop;
/*
 * Each ioctl thread's own stable host memory to copy into, a mapping of
 * its own with a PROT_NONE page after it: a fuzzed COPY that runs past it
 * fails (EFAULT) instead of DMAing over whatever else is there, and two
 * threads never have a device write one page at once (the fuzzer's bug,
 * which DMA-API debugging rightly reports).
 */
static __thread unsigned char *my_host;	/* HOST_PAGES, then PROT_NONE */
static _Atomic unsigned long ok[NR_CMDS], fail[NR_CMDS], calls_done;
/* what the racer did: mappings, buffer objects, touches, SIGBUS, revocations */
static unsigned long r_maps, r_bos, r_touches, r_sigbus, r_revokes;

/* one ioctl thread: its random state and its argument buffer */
struct fuzzer {
	uint64_t seed;
	unsigned long calls;
	unsigned char *argbuf;		/* 2 pages, the second PROT_NONE */
	unsigned char *host;		/* its my_host */
	pthread_t thread;
};

static uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static uint64_t pick(uint64_t *s, uint64_t n)
{
	return n ? rng_next(s) % n : 0;
}

static int pool_fd(uint64_t *s)
{
	switch (pick(s, 6)) {
	case 0:
		return -1;
	case 1:
		return ctl;
	case 2:
		return (int)pick(s, 1024);
	default:
		return atomic_load(&fds[pick(s, POOL)]);
	}
}

static uint64_t fuzz_addr(uint64_t *s)
{
	void *m = atomic_load(&maps[pick(s, POOL)]);
	size_t l = MAP_LEN;

	switch (pick(s, 10)) {
	case 0:
		return 0;
	case 1:
		return 0xffff888000000000ULL + pick(s, 1 << 20) * PAGE;
	case 2:
		return 0x7ffffffff000ULL - pick(s, 4) * PAGE;
	case 3:
		return rng_next(s);
	case 4:
		return (uintptr_t)my_host + pick(s, HOST_PAGES) * PAGE;
	case 5:
		return (uintptr_t)my_host + HOST_PAGES * PAGE;	/* PROT_NONE */
	default:
		return m ? (uintptr_t)m + pick(s, l / PAGE + 2) * PAGE +
			   (pick(s, 8) ? 0 : pick(s, PAGE)) : rng_next(s);
	}
}

static uint64_t fuzz_len(uint64_t *s, bool copy)
{
	static const uint64_t lens[] = {
		0, 1, 7, PAGE - 1, PAGE, PAGE + 1, 2 * PAGE, 16 * PAGE,
		16ULL << 20, 64ULL << 20, (64ULL << 20) + PAGE, ~0ULL,
		~0ULL - PAGE + 1, 1ULL << 63,
	};
	uint64_t len = pick(s, 4) ? lens[pick(s, sizeof(lens) / 8)] :
				    rng_next(s);

	/* edu needs 200 ms per 4 KiB: keep the copies that go through short */
	if (copy && len && len <= (64ULL << 20) && pick(s, 16))
		len = 1 + pick(s, 64);
	return len;
}

static uint32_t fuzz_argsz(uint64_t *s, uint32_t size)
{
	static const int32_t deltas[] = { 0, 0, 0, 0, -8, -4, -1, 1, 4, 8, 64 };

	switch (pick(s, 8)) {
	case 0:
		return (uint32_t)rng_next(s);
	case 1:
		return pick(s, 2) ? 0 : PAGE * 2;
	default:
		return size + deltas[pick(s, sizeof(deltas) / 4)];
	}
}

static uint32_t fuzz_flags(uint64_t *s, uint32_t valid)
{
	switch (pick(s, 4)) {
	case 0:
		return (uint32_t)rng_next(s);
	case 1:
		return valid & (uint32_t)rng_next(s);
	default:
		return 0;
	}
}

static void fuzz_side(uint64_t *s, struct peerbridge_copy_side *side)
{
	side->type = pick(s, 8) ? 1 + pick(s, 2) : (uint32_t)rng_next(s);
	side->fd = side->type == PEERBRIDGE_SIDE_VA && pick(s, 8) ? -1 :
		   pool_fd(s);
	side->addr = side->type == PEERBRIDGE_SIDE_DMABUF && pick(s, 2) ?
		     pick(s, 3) * PAGE + pick(s, 64) : fuzz_addr(s);
}

/* a live mapping from the pool and a page range inside it, or false */
static bool live_range(uint64_t *s, uint64_t *addr, uint64_t *len)
{
	unsigned int i, slot = pick(s, POOL);
	uint64_t first, pages;
	void *m = NULL;

	for (i = 0; i < POOL && !m; i++)
		m = atomic_load(&maps[(slot + i) % POOL]);
	if (!m)
		return false;
	first = pick(s, MAP_LEN / PAGE);
	pages = 1 + pick(s, MAP_LEN / PAGE - first);
	*addr = (uintptr_t)m + first * PAGE;
	*len = pages * PAGE;
	return true;
}

/* a dma-buf from the pool (exports are kept there), or -1 */
static int live_dmabuf(uint64_t *s)
{
	unsigned int i, slot = pick(s, POOL);
	char link[64], path[32];

	for (i = 0; i < POOL; i++) {
		int fd = atomic_load(&fds[(slot + i) % POOL]);
		ssize_t n;

		if (fd < 0)
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n = readlink(path, link, sizeof(link) - 1);
		if (n > 0 && !strncmp(link, "/dmabuf:", 8))
			return fd;
	}
	return -1;
}

/*
 * An argument valid by construction, as a real caller would build it; the
 * racer may still pull its memory away.  Returns its size, 0 when there is
 * nothing live to build it from.
 */
/*
 * A PCI function: mostly one of the rig's (the VRAM, the NVMe, the bridges
 * above them), else any, with @valid the padding left zero.
 */
static void fuzz_pci_addr(uint64_t *s, struct peerbridge_pci_addr *a,
			  bool valid)
{
	unsigned int d, b, sl, f;

	if (pick(s, 4) && sscanf(pick(s, 2) ? vram_bdf : nvme_bdf,
				 "%x:%x:%x.%x", &d, &b, &sl, &f) == 4) {
		/* the device, or a bus or two up: a bridge, or nothing */
		*a = (struct peerbridge_pci_addr){ .domain = d,
			.bus = b - pick(s, 3), .devfn = pick(s, 2) ? sl << 3 | f : 0 };
	} else {
		*a = (struct peerbridge_pci_addr){
			.domain = pick(s, 4) ? 0 : (uint32_t)rng_next(s),
			.bus = pick(s, 16), .devfn = pick(s, 256) };
	}
	if (!valid)
		a->pad = pick(s, 8) ? 0 : (uint16_t)rng_next(s);
}

static size_t valid_arg(uint64_t *s, int which, void *buf)
{
	uint64_t addr, len;

	if (which == 0) {
		struct peerbridge_info *a = buf;

		a->argsz = sizeof(*a);
		return sizeof(*a);
	}
	if (which == 4) {
		struct peerbridge_check *a = buf;

		a->argsz = sizeof(*a);
		fuzz_pci_addr(s, &a->exporter, true);
		fuzz_pci_addr(s, &a->importer, true);
		return sizeof(*a);
	}
	if (which == 3) {
		struct peerbridge_copy *a = buf;
		uint64_t n = 8 + pick(s, 512 / 8) * 8, off = pick(s, 8) * 64;
		int fd;

		a->argsz = sizeof(*a);
		a->len = n;
		/* into this thread's host pages: never over the fuzzer's own */
		a->dst = (struct peerbridge_copy_side){ PEERBRIDGE_SIDE_VA, -1,
			(uintptr_t)my_host + pick(s, HOST_PAGES - 1) * PAGE };
		switch (pick(s, 3)) {
		case 0:
			if (live_range(s, &addr, &len)) {
				a->src = (struct peerbridge_copy_side){
					PEERBRIDGE_SIDE_VA, -1, addr };
				return sizeof(*a);
			}
			break;
		case 1:
			fd = live_dmabuf(s);
			if (fd >= 0) {
				a->src = (struct peerbridge_copy_side){
					PEERBRIDGE_SIDE_DMABUF, fd, off };
				return sizeof(*a);
			}
			break;
		}
		a->src = (struct peerbridge_copy_side){ PEERBRIDGE_SIDE_VA, -1,
			(uintptr_t)my_host + (HOST_PAGES - 1) * PAGE };
		return sizeof(*a);
	}
	if (!live_range(s, &addr, &len))
		return 0;
	if (which == 1) {
		struct peerbridge_export *a = buf;

		a->argsz = sizeof(*a);
		a->flags = PEERBRIDGE_EXPORT_CLOEXEC |
			   (pick(s, 4) ? 0 : PEERBRIDGE_EXPORT_RDONLY);
		a->addr = addr;
		a->len = len;
		return sizeof(*a);
	} else {
		struct peerbridge_query *a = buf;

		a->argsz = sizeof(*a);
		a->addr = addr;
		a->len = len;
		return sizeof(*a);
	}
}

/*
 * Build one argument; returns the pointer to pass.  Three in four are
 * valid by construction; the rest are built in a scratch buffer and
 * copied into the thread's argbuf, usually at its start, sometimes so that
 * the tail would run into the PROT_NONE guard page (that tail is then
 * simply not there).
 */
static void *fuzz_arg(uint64_t *s, int which, unsigned char *argbuf)
{
	uint64_t tmp[PAGE / 8];
	unsigned char *p;
	size_t size = PAGE, room;

	memset(tmp, 0, sizeof(tmp));
	if (which < NR_CMDS - 1 && pick(s, 4)) {
		size = valid_arg(s, which, tmp);
		if (size) {
			memcpy(argbuf, tmp, size);
			return argbuf;
		}
		size = PAGE;
	}
	switch (which) {
	case 0: {
		struct peerbridge_info *a = (void *)tmp;

		size = sizeof(*a);
		a->argsz = fuzz_argsz(s, size);
		a->flags = fuzz_flags(s, 0);
		a->reserved = pick(s, 8) ? 0 : (uint32_t)rng_next(s);
		break;
	}
	case 1: {
		struct peerbridge_export *a = (void *)tmp;

		size = sizeof(*a);
		a->argsz = fuzz_argsz(s, size);
		a->flags = fuzz_flags(s, 3);
		a->addr = fuzz_addr(s);
		a->len = fuzz_len(s, false);
		a->reserved = pick(s, 8) ? 0 : rng_next(s);
		break;
	}
	case 2: {
		struct peerbridge_query *a = (void *)tmp;

		size = sizeof(*a);
		a->argsz = fuzz_argsz(s, size);
		a->flags = fuzz_flags(s, 0);
		a->addr = fuzz_addr(s);
		a->len = fuzz_len(s, false);
		a->reserved = pick(s, 8) ? 0 : rng_next(s);
		break;
	}
	case 3: {
		struct peerbridge_copy *a = (void *)tmp;

		size = sizeof(*a);
		a->argsz = fuzz_argsz(s, size);
		a->flags = fuzz_flags(s, 0);
		fuzz_side(s, &a->dst);
		fuzz_side(s, &a->src);
		a->len = fuzz_len(s, true);
		a->reserved = pick(s, 8) ? 0 : rng_next(s);
		break;
	}
	case 4: {
		struct peerbridge_check *a = (void *)tmp;

		size = sizeof(*a);
		a->argsz = fuzz_argsz(s, size);
		a->flags = fuzz_flags(s, 0);
		fuzz_pci_addr(s, &a->exporter, false);
		fuzz_pci_addr(s, &a->importer, false);
		a->reserved = pick(s, 8) ? 0 : rng_next(s);
		break;
	}
	default:
		for (room = 0; room < PAGE / 8; room++)
			tmp[room] = rng_next(s);
		break;
	}
	p = pick(s, 8) ? argbuf : argbuf + PAGE - size + 1 + pick(s, size - 1);
	room = argbuf + PAGE - p;
	memcpy(p, tmp, room < size ? room : size);

	/* sometimes no valid pointer at all */
	switch (pick(s, 32)) {
	case 0:
		return NULL;
	case 1:
		return (void *)(uintptr_t)fuzz_addr(s);
	default:
		return p;
	}
}

static void keep_fd(uint64_t *s, int fd)
{
	int old = atomic_exchange(&fds[pick(s, POOL)], fd);

	if (old > 2 && old != ctl)
		close(old);
}

/* the racer touches pages that revocation may have taken away */
static sigjmp_buf touch_env;
static volatile sig_atomic_t touching;	/* the racer is inside race_touch() */

static void touch_fault(int sig)
{
	if (!touching) {		/* anyone else's fault is a real one */
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	siglongjmp(touch_env, 1);
}

static void keep_map(uint64_t *s, void *m)
{
	void *old = atomic_exchange(&maps[pick(s, POOL)], m);

	if (old)
		munmap(old, MAP_LEN);
}

/* map a region node, 16 pages at a random page offset */
static void race_map_region(uint64_t *s)
{
	char path[PATH_MAX];
	void *m;
	int fd;

	snprintf(path, sizeof(path), PB_REGION_DIR "/%s",
		 pick(s, 2) ? vram : cmb);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return;
	m = mmap(NULL, MAP_LEN, pick(s, 4) ? PROT_READ | PROT_WRITE : PROT_READ,
		 MAP_SHARED, fd, pick(s, 64) * PAGE);
	if (m != MAP_FAILED) {
		keep_map(s, m);
		r_maps++;
	}
	keep_fd(s, fd);
}

/* the sample driver: buffer objects at fake offsets that move and go */
static void race_sample(uint64_t *s)
{
	static uint32_t handles[8];
	struct pb_vga_bo bo = { .handle = handles[pick(s, 8)] };
	void *m;

	if (sample < 0)
		return;
	switch (pick(s, 4)) {
	case 0:
	case 1:
		bo.size = MAP_LEN;
		if (ioctl(sample, PB_VGA_BO_CREATE, &bo))
			return;
		handles[pick(s, 8)] = bo.handle;
		r_bos++;
		m = mmap(NULL, MAP_LEN, PROT_READ | PROT_WRITE, MAP_SHARED,
			 sample, bo.fake_offset);
		if (m != MAP_FAILED)
			keep_map(s, m);
		break;
	case 2:
		ioctl(sample, PB_VGA_BO_MOVE, &bo);
		break;
	default:
		ioctl(sample, PB_VGA_BO_FREE, &bo);
		break;
	}
}

/* read and write a page of a pooled mapping; SIGBUS once it is revoked */
static void race_touch(uint64_t *s)
{
	volatile unsigned char *m = atomic_load(&maps[pick(s, POOL)]);
	unsigned long off = pick(s, MAP_LEN / PAGE) * PAGE;

	if (!m)
		return;
	r_touches++;
	if (!sigsetjmp(touch_env, 1)) {
		touching = 1;
		m[off] = m[off] + 1;
	} else {
		r_sigbus++;
	}
	touching = 0;
}

/* The racing thread: mappings, faults, nodes, dma-bufs, revocation. */
static void *racer(void *arg)
{
	uint64_t s = *(uint64_t *)arg ^ 0x5eed;
	struct sigaction sa = { .sa_handler = touch_fault };
	unsigned long n = 0;
	unsigned int slot, i;
	void *m;
	int fd;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	while (!atomic_load(&stop)) {
		slot = pick(&s, POOL);
		switch (pick(&s, 12)) {
		case 0:
		case 1:
		case 2:
			race_map_region(&s);
			break;
		case 3:
		case 4:
			race_sample(&s);
			break;
		case 5:
		case 6:
			race_touch(&s);
			break;
		case 7:
			m = atomic_exchange(&maps[slot], NULL);
			if (m)
				munmap(m, MAP_LEN);
			break;
		case 8:
			keep_fd(&s, -1);
			break;
		case 9:
			fd = atomic_load(&fds[slot]);
			if (fd > 2)
				keep_fd(&s, dup(fd));
			break;
		default:
			/* a revocation every REVOKE_EVERY ioctls */
			if (atomic_load(&calls_done) / REVOKE_EVERY == n)
				break;
			n = atomic_load(&calls_done) / REVOKE_EVERY;
			r_revokes++;
			if (pick(&s, 2)) {
				/* revoke all of VRAM, then bring it back */
				pb_write_text("/sys/bus/pci/drivers/peerbridge/unbind",
					      vram_bdf);
				pb_write_text("/sys/bus/pci/drivers/peerbridge/bind",
					      vram_bdf);
			} else {
				char path[PATH_MAX];

				/* revoke the CMB region in place, then rebind */
				snprintf(path, sizeof(path),
					 "/sys/class/pbmem/%s/revoke", cmb);
				pb_write_text(path, "1");
				pb_write_text("/sys/bus/pci/drivers/peerbridge/unbind",
					      nvme_bdf);
				pb_write_text("/sys/bus/pci/drivers/peerbridge/bind",
					      nvme_bdf);
			}
			/* what was mapped is gone: map afresh */
			for (i = 0; i < POOL / 2; i++)
				race_map_region(&s);
			break;
		}
	}
	return NULL;
}

/* one of THREADS issuing ioctls; faults in them are not caught */
static void *fuzz_thread(void *arg)
{
	struct fuzzer *f = arg;
	uint64_t *s = &f->seed;
	unsigned long i;

	my_host = f->host;
	for (i = 0; i < f->calls; i++) {
		int which = pick(s, 200);
		unsigned long cmd;
		void *a;
		int fd;

		/*
		 * GET_INFO 10%, EXPORT 40%, QUERY 34%, COPY 1% (edu takes
		 * 200 ms a copy), CHECK 5%, other 10%
		 */
		which = which < 20 ? 0 : which < 100 ? 1 : which < 168 ? 2 :
			which < 170 ? 3 : which < 180 ? 4 : 5;
		cmd = which < NR_CMDS - 1 ? cmds[which] :
		      pick(s, 2) ? _IO(PEERBRIDGE_TYPE, pick(s, 256)) :
				   (unsigned long)rng_next(s);
		a = fuzz_arg(s, which, f->argbuf);
		fd = pick(s, 16) ? ctl : pool_fd(s);
		if (ioctl(fd, cmd, a) == 0) {
			ok[which]++;
			/* a new dma-buf: keep it for later calls */
			if (which == 1 && fd == ctl && a == f->argbuf)
				keep_fd(s, ((struct peerbridge_export *)a)->fd);
		} else {
			fail[which]++;
		}
		calls_done++;
	}
	return NULL;
}

/* the first PCI device with this "0xVVVV:0xDDDD" */
static int find_dev(const char *id, char *bdf)
{
	char cmd[256];
	FILE *f;
	int found;

	snprintf(cmd, sizeof(cmd), "for d in /sys/bus/pci/devices/*; do "
		 "[ \"$(cat $d/vendor):$(cat $d/device)\" = %s ] && "
		 "basename $d && break; done", id);
	f = popen(cmd, "r");
	found = f && fscanf(f, "%12s", bdf) == 1;
	if (f)
		pclose(f);
	return found ? 0 : -1;
}

/* bind @bdf to @driver, away from whatever driver has it */
static void bind_to(const char *bdf, const char *driver)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind",
		 bdf);
	pb_write_text(path, bdf);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override",
		 bdf);
	pb_write_text(path, driver);
	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/bind", driver);
	pb_write_text(path, bdf);
}

/* a region to fuzz, its device bound to the generic exporter if need be */
static void need_region(const char *bdf, const char *region)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PB_REGION_DIR "/%s", region);
	if (access(path, F_OK))
		bind_to(bdf, "peerbridge");
}

/* the sample driver's node, bound to the VGA device if need be */
static int open_sample(void)
{
	int fd = open("/dev/pb_vga", O_RDWR | O_CLOEXEC);
	char bdf[PB_BDF_LEN];

	if (fd >= 0 || find_dev("0x1234:0x1111", bdf))
		return fd;
	bind_to(bdf, "pb_vga");
	return open("/dev/pb_vga", O_RDWR | O_CLOEXEC);
}

/* after the storm: a normal export and copy must still work */
static int health_check(void)
{
	struct pb_ctx *ctx = pb_open();
	struct pb_buf dst, src;
	unsigned char *v, *buf;
	size_t len;
	int fd, ret = -1;

	if (!ctx)
		return -1;
	v = pb_map(ctx, vram, &len);
	buf = aligned_alloc(PAGE, PAGE);
	if (!v || !buf)
		goto out;
	pb_fill_pattern(v, PAGE, 0xf022);
	fd = pb_export(ctx, v, len, PB_EXPORT_CLOEXEC);
	if (fd < 0)
		goto out;
	src = (struct pb_buf){ .type = PB_BUF_DMABUF, .fd = fd };
	dst = (struct pb_buf){ .type = PB_BUF_VA, .addr = buf };
	memset(buf, 0, PAGE);
	if (!pb_copy(ctx, &dst, &src, PAGE, 0) &&
	    pb_verify_pattern(buf, PAGE, 0xf022) == -1)
		ret = 0;
	close(fd);
out:
	free(buf);
	if (v)
		pb_unmap(v, len);
	pb_close(ctx);
	return ret;
}

int main(int argc, char **argv)
{
	uint64_t seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32), seed0;
	static struct fuzzer f[THREADS];
	unsigned long calls = 100000, i;
	bool shallow = false;
	pthread_t thr;
	int opt, w;

	while ((opt = getopt(argc, argv, "s:n:")) != -1) {
		if (opt == 's')
			seed = strtoull(optarg, NULL, 0);
		else if (opt == 'n')
			calls = strtoul(optarg, NULL, 0);
		else
			return 2;
	}
	if (!seed)
		seed = 1;
	seed0 = seed;
	printf("pbfuzz: seed %#llx, %lu calls in %d threads (repeat with: pbfuzz -s %#llx -n %lu)\n",
	       (unsigned long long)seed, calls, THREADS,
	       (unsigned long long)seed, calls);
	fflush(stdout);

	if (find_dev("0x1af4:0x1110", vram_bdf) ||
	    find_dev("0x1b36:0x0010", nvme_bdf))
		return 1;
	snprintf(vram, sizeof(vram), "%s-bar2", vram_bdf);
	snprintf(cmb, sizeof(cmb), "%s-cmb", nvme_bdf);
	need_region(vram_bdf, vram);
	need_region(nvme_bdf, cmb);
	ctl = open(PB_CTL_NODE, O_RDWR | O_CLOEXEC);
	sample = open_sample();
	if (ctl < 0)
		return 1;
	for (i = 0; i < POOL; i++)
		atomic_store(&fds[i], -1);

	if (pthread_create(&thr, NULL, racer, &seed0))
		return 1;
	for (w = 0; w < THREADS; w++) {
		f[w].seed = rng_next(&seed) | 1;
		f[w].host = mmap(NULL, (HOST_PAGES + 1) * PAGE,
				 PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (f[w].host == MAP_FAILED ||
		    mprotect(f[w].host + HOST_PAGES * PAGE, PAGE, PROT_NONE))
			return 1;
		memset(f[w].host, 0xab, HOST_PAGES * PAGE);
		f[w].calls = calls / THREADS + (w < (int)(calls % THREADS));
		f[w].argbuf = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (f[w].argbuf == MAP_FAILED ||
		    mprotect(f[w].argbuf + PAGE, PAGE, PROT_NONE) ||
		    pthread_create(&f[w].thread, NULL, fuzz_thread, &f[w]))
			return 1;
	}
	for (w = 0; w < THREADS; w++)
		pthread_join(f[w].thread, NULL);
	atomic_store(&stop, true);
	pthread_join(thr, NULL);
	for (i = 0; i < POOL; i++) {
		int fd = atomic_exchange(&fds[i], -1);
		void *m = atomic_exchange(&maps[i], NULL);

		if (fd > 2 && fd != ctl)
			close(fd);
		if (m)
			munmap(m, MAP_LEN);
	}
	if (sample >= 0)
		close(sample);
	/* the racer may have left the devices unbound */
	pb_write_text("/sys/bus/pci/drivers/peerbridge/bind", vram_bdf);
	pb_write_text("/sys/bus/pci/drivers/peerbridge/bind", nvme_bdf);

	for (w = 0; w < NR_CMDS; w++) {
		unsigned long n = ok[w] + fail[w];
		unsigned int share = n ? ok[w] * 100 / n : 0;

		printf("pbfuzz: %-8s %7lu calls, %3u%% accepted\n",
		       cmd_names[w], n, share);
		if (w >= 1 && w <= 3 && share < MIN_SHARE) {
			printf("pbfuzz: %s: under %d%% accepted: the calls do not reach past the argument checks\n",
			       cmd_names[w], MIN_SHARE);
			shallow = true;
		}
	}
	printf("pbfuzz: racer: %lu region mappings, %lu buffer objects, %lu touches (%lu SIGBUS), %lu revocations\n",
	       r_maps, r_bos, r_touches, r_sigbus, r_revokes);
	w = health_check();
	printf("PB-FUZZ seed=%#llx calls=%lu threads=%d depth=%s health=%s\n",
	       (unsigned long long)seed0, (unsigned long)calls_done, THREADS,
	       shallow ? "SHALLOW" : "ok", w ? "FAILED" : "ok");
	return w || shallow ? 1 : 0;
}
