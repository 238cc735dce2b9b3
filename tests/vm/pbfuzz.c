// SPDX-License-Identifier: GPL-2.0
/*
 * pbfuzz: a bounded, seeded ioctl fuzzer for /dev/peerbridge and the region
 * nodes.  Usage: pbfuzz [-s seed] [-n calls]
 *
 * It throws random and mutated ioctls — argsz at the boundaries, garbage in
 * flags and reserved fields, wild addresses and fds, argument structures
 * that run into unmapped memory — while a second thread maps and unmaps
 * regions, opens and closes nodes and dma-bufs, and unbinds and rebinds the
 * "VRAM" device under it.  Then it checks that a normal export and copy
 * still work, byte for byte.  The seed is printed first, so any run can be
 * repeated.  Exit status 0 means the kernel stayed healthy (the rig checks
 * dmesg too).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
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

#include "pb_pattern.h"
#include "pb_util.h"

#define PAGE		4096UL
#define POOL		32
#define NR_CMDS		5	/* four ioctls and "anything else" */

static const unsigned long cmds[4] = {
	PEERBRIDGE_GET_INFO, PEERBRIDGE_EXPORT, PEERBRIDGE_QUERY,
	PEERBRIDGE_COPY,
};
static const char *const cmd_names[NR_CMDS] = {
	"GET_INFO", "EXPORT", "QUERY", "COPY", "other",
};

static char vram_bdf[PB_BDF_LEN], vram[PB_REGION_NAME_MAX],
	    cmb[PB_REGION_NAME_MAX];
static int ctl;
static _Atomic int fds[POOL];		/* dma-bufs and region nodes */
static _Atomic(void *) maps[POOL];	/* region mappings */
static _Atomic size_t map_len[POOL];
/*
 * Stable host memory, 64 KiB, a mapping of its own with a PROT_NONE page
 * after it: a fuzzed COPY that runs past it fails to pin (EFAULT) instead
 * of DMAing over whatever the heap keeps there.
 */
static unsigned char *host;
static unsigned char *argbuf;		/* 2 pages, the second PROT_NONE */
static atomic_bool stop;
static unsigned long ok[NR_CMDS], fail[NR_CMDS], calls_done;

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
	size_t l = atomic_load(&map_len[pick(s, POOL)]);

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
		return (uintptr_t)host + pick(s, 16) * PAGE;
	case 5:
		return (uintptr_t)argbuf + PAGE;	/* PROT_NONE */
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

/*
 * Build one argument; returns the pointer to pass.  It is built in a
 * scratch buffer and copied into argbuf, usually at its start, sometimes so
 * that its tail would run into the PROT_NONE guard page (that tail is then
 * simply not there).
 */
static void *fuzz_arg(uint64_t *s, int which)
{
	static uint64_t tmp[PAGE / 8];
	unsigned char *p;
	size_t size = PAGE, room;

	memset(tmp, 0, sizeof(tmp));
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

/* The racing thread: mappings, nodes, dma-bufs, and revocation. */
static void *racer(void *arg)
{
	uint64_t s = *(uint64_t *)arg ^ 0x5eed;
	unsigned long n = 0;
	char path[PATH_MAX];

	while (!atomic_load(&stop)) {
		unsigned int slot = pick(&s, POOL);
		void *m;
		int fd;

		switch (pick(&s, 8)) {
		case 0:
		case 1:
		case 2:
			snprintf(path, sizeof(path), PB_REGION_DIR "/%s",
				 pick(&s, 2) ? vram : cmb);
			fd = open(path, O_RDWR | O_CLOEXEC);
			if (fd < 0)
				break;
			m = mmap(NULL, 16 * PAGE, pick(&s, 4) ? PROT_READ | PROT_WRITE :
				 PROT_READ, MAP_SHARED, fd, pick(&s, 64) * PAGE);
			if (m != MAP_FAILED) {
				void *old = atomic_exchange(&maps[slot], m);
				size_t ol = atomic_exchange(&map_len[slot],
							    16 * PAGE);

				if (old)
					munmap(old, ol);
			}
			keep_fd(&s, fd);
			break;
		case 3:
			m = atomic_exchange(&maps[slot], NULL);
			if (m)
				munmap(m, atomic_load(&map_len[slot]));
			break;
		case 4:
			keep_fd(&s, -1);
			break;
		case 5:
			fd = atomic_load(&fds[slot]);
			if (fd > 2)
				keep_fd(&s, dup(fd));
			break;
		default:
			if (++n % 64)
				break;
			/* revoke everything of the VRAM region, then bring it back */
			pb_write_text("/sys/bus/pci/drivers/peerbridge/unbind",
				    vram_bdf);
			pb_write_text("/sys/bus/pci/drivers/peerbridge/bind",
				    vram_bdf);
			break;
		}
	}
	return NULL;
}

static int find_vram(void)
{
	FILE *f = popen("for d in /sys/bus/pci/devices/*; do "
			"[ \"$(cat $d/vendor):$(cat $d/device)\" = 0x1af4:0x1110 ] && "
			"basename $d && break; done", "r");
	int ok = f && fscanf(f, "%12s", vram_bdf) == 1;

	if (f)
		pclose(f);
	return ok ? 0 : -1;
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
	unsigned long calls = 100000, i;
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
	printf("pbfuzz: seed %#llx, %lu calls (repeat with: pbfuzz -s %#llx -n %lu)\n",
	       (unsigned long long)seed, calls, (unsigned long long)seed,
	       calls);
	fflush(stdout);

	if (find_vram())
		return 1;
	snprintf(vram, sizeof(vram), "%s-bar2", vram_bdf);
	{
		FILE *f = popen("ls /dev/pbmem | grep -- -cmb | head -n1", "r");

		if (!f || fscanf(f, "%63s", cmb) != 1)
			return 1;
		pclose(f);
	}
	ctl = open(PB_CTL_NODE, O_RDWR | O_CLOEXEC);
	host = mmap(NULL, 17 * PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	argbuf = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ctl < 0 || host == MAP_FAILED || argbuf == MAP_FAILED ||
	    mprotect(host + 16 * PAGE, PAGE, PROT_NONE) ||
	    mprotect(argbuf + PAGE, PAGE, PROT_NONE))
		return 1;
	memset(host, 0xab, 16 * PAGE);
	for (i = 0; i < POOL; i++)
		atomic_store(&fds[i], -1);

	if (pthread_create(&thr, NULL, racer, &seed0))
		return 1;
	for (i = 0; i < calls; i++) {
		uint64_t *s = &seed;
		int which = pick(s, 20);
		unsigned long cmd;
		void *arg;
		int fd, ret;

		/* GET_INFO 15%, EXPORT 35%, QUERY 30%, COPY 10%, other 10% */
		which = which < 3 ? 0 : which < 10 ? 1 : which < 16 ? 2 :
			which < 18 ? 3 : 4;
		cmd = which < 4 ? cmds[which] :
		      pick(s, 2) ? _IO(PEERBRIDGE_TYPE, pick(s, 256)) :
				   (unsigned long)rng_next(s);
		arg = fuzz_arg(s, which);
		fd = pick(s, 16) ? ctl : pool_fd(s);
		ret = ioctl(fd, cmd, arg);
		if (ret == 0) {
			ok[which]++;
			/* a new dma-buf: keep it for later calls */
			if (which == 1 && fd == ctl && (unsigned char *)arg == argbuf)
				keep_fd(s, ((struct peerbridge_export *)arg)->fd);
		} else {
			fail[which]++;
		}
	}
	calls_done = i;
	atomic_store(&stop, true);
	pthread_join(thr, NULL);
	for (i = 0; i < POOL; i++) {
		int fd = atomic_exchange(&fds[i], -1);
		void *m = atomic_exchange(&maps[i], NULL);

		if (fd > 2 && fd != ctl)
			close(fd);
		if (m)
			munmap(m, atomic_load(&map_len[i]));
	}
	/* the racer may have left the device unbound */
	pb_write_text("/sys/bus/pci/drivers/peerbridge/bind", vram_bdf);

	for (w = 0; w < NR_CMDS; w++)
		printf("pbfuzz: %-8s %7lu accepted, %7lu refused\n",
		       cmd_names[w], ok[w], fail[w]);
	w = health_check();
	printf("PB-FUZZ seed=%#llx calls=%lu health=%s\n",
	       (unsigned long long)seed0, calls_done, w ? "FAILED" : "ok");
	return w ? 1 : 0;
}
