// SPDX-License-Identifier: GPL-2.0
/*
 * pbbench: the guest half of `make bench`.  It measures, on the running
 * kernel, what registering, mapping, faulting in and revoking peer memory
 * costs with peerbridge, next to what the struct-page ways cost in the same
 * run: ibv_reg_mr() (GUP) on rxe and a udmabuf of a memfd, both attached
 * and mapped by the same importer (pb_test_importer, for QEMU's edu).
 * Each figure is the median of several runs.  One "PB-BENCH <json>" line
 * per measurement goes to stdout; scripts/bench_report.py turns them into
 * the table, the targets, results.json and the plots.
 *
 *   pbbench [-q]	-q: fewer runs, for a smoke test
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <infiniband/verbs.h>
#include <linux/udmabuf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <peerbridge.h>
#include <uapi/peerbridge.h>

#include "pb_util.h"

#include "../tests/kmod/pb_test_importer.h"

#define KiB	(1024ULL)
#define MiB	(1024 * KiB)
#define GiB	(1024 * MiB)
#define SZ_2M	(2 * MiB)
#define PAGE	4096ULL

static const uint64_t sizes[] = { 4 * KiB, 1 * MiB, 64 * MiB, 1 * GiB };
#define NR_SIZES (sizeof(sizes) / sizeof(sizes[0]))
/*
 * Runs per median.  peerbridge's registration takes microseconds, so it
 * gets many more: an emulated guest's timings jitter.
 */
static int runs = 5, pb_runs = 21;
#define MAX_RUNS 32

static struct pb_ctx *ctx;
static int pbfd;			/* /dev/peerbridge */
static int nodefd = -1;			/* /dev/pbmem/<region>, read-write */
static int tfd;				/* /dev/pb_test_importer */
static char bdf[64], region[80];	/* the 1 GiB ivshmem BAR */
static uint64_t region_size;

static void die(const char *what)
{
	fprintf(stderr, "pbbench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The ivshmem whose BAR 2 is 1 GiB: the benchmark's "VRAM". */
static void find_vram(void)
{
	struct dirent *d;
	char path[512];
	DIR *dir = opendir("/sys/bus/pci/devices");

	if (!dir)
		die("/sys/bus/pci/devices");
	while ((d = readdir(dir))) {
		char line[256];
		FILE *f;
		int i;

		char vendor[16];
		uint64_t v;

		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor",
			 d->d_name);
		if (pb_read_text(path, vendor, sizeof(vendor)) ||
		    pb_parse_u64(vendor, &v) || v != 0x1af4)
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource",
			 d->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		for (i = 0; fgets(line, sizeof(line), f); i++) {
			unsigned long long s, e;

			if (i == 2 && sscanf(line, "%llx %llx", &s, &e) == 2 &&
			    e > s && e - s + 1 == GiB)
				snprintf(bdf, sizeof(bdf), "%.60s", d->d_name);
		}
		fclose(f);
	}
	closedir(dir);
	if (!*bdf) {
		errno = ENODEV;
		die("no ivshmem with a 1 GiB BAR 2 (PB_VM_VRAM=1G)");
	}
	snprintf(region, sizeof(region), "%s-bar2", bdf);
	/*
	 * It sits on a root port of its own and the importer, edu, below a
	 * switch: the path crosses the host bridge, which QEMU's q35 is not
	 * listed for.  Real servers differ; what is measured here does not.
	 */
	if (pb_write_text("/sys/module/peerbridge/parameters/host_bridge",
		       "allow"))
		die("host_bridge=allow");
}

/* Bind the device to peerbridge afresh: a live region again, opened. */
static void rebind(void)
{
	char cmd[128], path[512];

	pb_write_text("/sys/bus/pci/drivers/peerbridge/unbind", bdf);
	if (pb_write_text("/sys/bus/pci/drivers/peerbridge/bind", bdf)) {
		snprintf(cmd, sizeof(cmd), "pbctl bind %s >/dev/null", bdf);
		if (system(cmd))
			die("pbctl bind");
	}
	if (nodefd >= 0)
		close(nodefd);
	snprintf(path, sizeof(path), "/dev/pbmem/%s", region);
	nodefd = open(path, O_RDWR | O_CLOEXEC);
	if (nodefd < 0)
		die(path);
}

/*
 * EXPORT of [off, off + len) of the region through its open node: like
 * ibv_reg_mr() on an open device, the registration alone.
 */
static int export_region(uint64_t off, uint64_t len)
{
	struct peerbridge_export e = {
		.argsz = sizeof(e),
		.flags = PEERBRIDGE_EXPORT_REGION | PEERBRIDGE_EXPORT_CLOEXEC,
		.addr = off,
		.len = len,
		.fd = nodefd,
	};

	return ioctl(pbfd, PEERBRIDGE_EXPORT, &e) ? -1 : e.fd;
}

/* peerbridge's own bytes (debugfs peerbridge/kmem), all kinds */
static uint64_t pb_kmem_bytes(uint64_t *objects)
{
	char kind[32];
	long n, bytes;
	uint64_t sum = 0;
	FILE *f = fopen("/sys/kernel/debug/peerbridge/kmem", "re");

	if (objects)
		*objects = 0;
	if (!f)
		die("/sys/kernel/debug/peerbridge/kmem");
	while (fscanf(f, "%31s %ld %ld", kind, &n, &bytes) == 3) {
		sum += bytes;
		if (objects)
			*objects += n;
	}
	fclose(f);
	return sum;
}

/* Bytes in slab objects in use: the sum over /proc/slabinfo's caches. */
static uint64_t slab_bytes(void)
{
	unsigned long long active, total, objsize, sum = 0;
	char line[512], name[64];
	FILE *f = fopen("/proc/slabinfo", "re");

	if (!f)
		die("/proc/slabinfo");
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %llu %llu %llu", name, &active, &total,
			   &objsize) == 4)
			sum += active * objsize;
	fclose(f);
	return sum;
}

/* The importer attaches and maps a dma-buf; what its sg_table looks like. */
static int attach(int dmabuf, struct pbti_attach *a)
{
	memset(a, 0, sizeof(*a));
	a->fd = dmabuf;
	return ioctl(tfd, PBTI_ATTACH, a);
}

static void detach(const struct pbti_attach *a)
{
	if (ioctl(tfd, PBTI_DETACH, &a->slot))
		die("PBTI_DETACH");
}

/* --- registration and metadata ------------------------------------------- */

/* One peerbridge registration: EXPORT, then the importer's attach + map. */
static void pb_register_once(uint64_t size, uint64_t *total, uint64_t *export,
			     struct pbti_attach *a)
{
	uint64_t t0 = now_ns(), t1;
	int fd = export_region(0, size);

	if (fd < 0)
		die("EXPORT");
	t1 = now_ns();
	if (attach(fd, a))
		die("PBTI_ATTACH (peerbridge)");
	*total = now_ns() - t0;
	*export = t1 - t0;
	detach(a);
	close(fd);
}

/*
 * peerbridge at every size, the sizes taken in turn within each run, so
 * that whatever the emulator does meanwhile weighs on all of them alike;
 * then, per size, what an export costs in kernel memory.
 */
static void bench_pb_registration(void)
{
	static uint64_t t[NR_SIZES][MAX_RUNS], te[NR_SIZES][MAX_RUNS];
	static struct pbti_attach as[256];
	static int fds[256];
	const int nslab = 256;
	uint64_t kmem, objects, slab0 = 0, slab1 = 0, dummy;
	struct pbti_attach a;
	unsigned int s;
	int i, r;

	for (s = 0; s < NR_SIZES; s++)	/* a warm-up, not counted */
		pb_register_once(sizes[s], &dummy, &dummy, &a);
	for (i = 0; i < pb_runs; i++)
		for (s = 0; s < NR_SIZES; s++)
			pb_register_once(sizes[s], &t[s][i], &te[s][i], &a);

	for (s = 0; s < NR_SIZES; s++) {
		int fd = export_region(0, sizes[s]);

		if (fd < 0 || attach(fd, &a))
			die("export for the kmem count");
		kmem = pb_kmem_bytes(&objects);
		detach(&a);
		close(fd);
		/*
		 * The cross-check: slab growth over many exports held at
		 * once, the second time round (the first grows the caches).
		 */
		for (r = 0; r < 2; r++) {
			slab0 = slab_bytes();
			for (i = 0; i < nslab; i++) {
				fds[i] = export_region(0, sizes[s]);
				if (fds[i] < 0 || attach(fds[i], &as[i]))
					die("export for the slab count");
			}
			slab1 = slab_bytes();
			for (i = 0; i < nslab; i++) {
				detach(&as[i]);
				close(fds[i]);
			}
		}
		printf("PB-BENCH {\"kind\":\"registration\",\"method\":\"peerbridge\","
		       "\"size\":%llu,\"ns\":%llu,\"export_ns\":%llu,"
		       "\"entries\":%u,\"ranges\":%u,"
		       "\"kmem\":%llu,\"kmem_objects\":%llu,\"slab_per_export\":%lld}\n",
		       (unsigned long long)sizes[s],
		       (unsigned long long)median(t[s], pb_runs),
		       (unsigned long long)median(te[s], pb_runs),
		       a.nr_entries, a.nr_ranges, (unsigned long long)kmem,
		       (unsigned long long)objects,
		       (long long)(slab1 - slab0) / nslab);
	}
	fflush(stdout);
}

static void bench_udmabuf_registration(uint64_t size)
{
	uint64_t t[MAX_RUNS];
	struct pbti_attach a;
	int i, dev, memfd, fd;

	dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		printf("PB-BENCH {\"kind\":\"registration\",\"method\":\"udmabuf\","
		       "\"size\":%llu,\"missing\":\"no /dev/udmabuf (CONFIG_UDMABUF)\"}\n",
		       (unsigned long long)size);
		return;
	}
	memfd = memfd_create("pbbench", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	if (memfd < 0 || ftruncate(memfd, size) ||
	    fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK) ||
	    fallocate(memfd, 0, 0, size))
		die("memfd");
	for (i = -1; i < runs; i++) {	/* -1: a warm-up, not counted */
		struct udmabuf_create c = {
			.memfd = memfd, .flags = UDMABUF_FLAGS_CLOEXEC,
			.offset = 0, .size = size,
		};
		uint64_t t0 = now_ns();

		fd = ioctl(dev, UDMABUF_CREATE, &c);
		if (fd < 0)
			die("UDMABUF_CREATE");
		if (attach(fd, &a))
			die("PBTI_ATTACH (udmabuf)");
		if (i >= 0)
			t[i] = now_ns() - t0;
		detach(&a);
		close(fd);
	}
	close(memfd);
	close(dev);
	printf("PB-BENCH {\"kind\":\"registration\",\"method\":\"udmabuf\","
	       "\"size\":%llu,\"ns\":%llu,\"entries\":%u,\"ranges\":%u}\n",
	       (unsigned long long)size, (unsigned long long)median(t, runs),
	       a.nr_entries, a.nr_ranges);
	fflush(stdout);
}

static struct ibv_pd *rxe_pd(void)
{
	static struct ibv_pd *pd;
	struct ibv_device **list;
	struct ibv_context *verbs;
	int n;

	if (pd)
		return pd;
	list = ibv_get_device_list(&n);
	if (!list || !n)
		return NULL;
	verbs = ibv_open_device(list[0]);
	ibv_free_device_list(list);
	pd = verbs ? ibv_alloc_pd(verbs) : NULL;
	return pd;
}

static void bench_gup_registration(uint64_t size)
{
	struct ibv_pd *pd = rxe_pd();
	uint64_t t[MAX_RUNS];
	struct ibv_mr *mr;
	void *buf;
	int i;

	if (!pd) {
		printf("PB-BENCH {\"kind\":\"registration\",\"method\":\"gup\","
		       "\"size\":%llu,\"missing\":\"no RDMA device (rxe)\"}\n",
		       (unsigned long long)size);
		return;
	}
	/* populated first: the pin is measured, not page allocation */
	buf = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (buf == MAP_FAILED)
		die("mmap host memory");
	for (i = -1; i < runs; i++) {	/* -1: a warm-up, not counted */
		uint64_t t0 = now_ns();

		mr = ibv_reg_mr(pd, buf, size, IBV_ACCESS_LOCAL_WRITE |
				IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_WRITE);
		if (!mr)
			die("ibv_reg_mr");
		if (i >= 0)
			t[i] = now_ns() - t0;
		ibv_dereg_mr(mr);
	}
	munmap(buf, size);
	printf("PB-BENCH {\"kind\":\"registration\",\"method\":\"gup\","
	       "\"size\":%llu,\"ns\":%llu}\n",
	       (unsigned long long)size, (unsigned long long)median(t, runs));
	fflush(stdout);
}

/*
 * What one system call costs in this guest: GET_INFO, which does nothing
 * but copy a structure in and out.  Registration above is a few of these.
 */
static void bench_null_ioctl(void)
{
	uint64_t t[MAX_RUNS];
	int i, j;

	for (i = 0; i < runs; i++) {
		uint64_t t0 = now_ns();

		for (j = 0; j < 1000; j++) {
			struct peerbridge_info info = { .argsz = sizeof(info) };

			if (ioctl(pbfd, PEERBRIDGE_GET_INFO, &info))
				die("GET_INFO");
		}
		t[i] = (now_ns() - t0) / 1000;
	}
	printf("PB-BENCH {\"kind\":\"syscall\",\"ns\":%llu}\n",
	       (unsigned long long)median(t, runs));
}

/* --- CPU fault-in -------------------------------------------------------- */

/*
 * First touch of every 4 KiB page of the whole region.  aligned: where the
 * kernel places the mapping (2 MiB-aligned with the BAR, on 6.12); else
 * one page off that, so that no 2 MiB of it can be one PMD.
 */
static void bench_fault(int aligned)
{
	uint64_t t[MAX_RUNS], faults[MAX_RUNS];
	int i, fd, nruns = runs < 3 ? runs : 3;
	int congruent = 0;
	char path[512];

	snprintf(path, sizeof(path), "/dev/pbmem/%s", region);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die(path);
	for (i = 0; i < nruns; i++) {
		volatile const uint8_t *p;
		struct rusage r0, r1;
		void *want = NULL, *res = NULL;
		uint64_t off, t0, sum = 0;
		int flags = MAP_SHARED;

		if (!aligned) {
			res = mmap(NULL, region_size + 2 * SZ_2M, PROT_NONE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (res == MAP_FAILED)
				die("reserve");
			want = (void *)((((uintptr_t)res + SZ_2M - 1) &
					 ~(SZ_2M - 1)) + PAGE);
			flags |= MAP_FIXED;
		}
		p = mmap(want, region_size, PROT_READ, flags, fd, 0);
		if (p == MAP_FAILED)
			die("mmap region");
		congruent = ((uintptr_t)p % SZ_2M) == 0;
		getrusage(RUSAGE_SELF, &r0);
		t0 = now_ns();
		for (off = 0; off < region_size; off += PAGE)
			sum += p[off];
		t[i] = now_ns() - t0;
		getrusage(RUSAGE_SELF, &r1);
		faults[i] = (r1.ru_minflt - r0.ru_minflt) +
			    (r1.ru_majflt - r0.ru_majflt);
		munmap((void *)p, region_size);
		if (res)
			munmap(res, region_size + 2 * SZ_2M);
		(void)sum;
	}
	close(fd);
	printf("PB-BENCH {\"kind\":\"fault\",\"placement\":\"%s\","
	       "\"size\":%llu,\"ns\":%llu,\"faults\":%llu,\"aligned_2m\":%s}\n",
	       aligned ? "kernel" : "off-by-one-page",
	       (unsigned long long)region_size,
	       (unsigned long long)median(t, nruns),
	       (unsigned long long)median(faults, nruns),
	       congruent ? "true" : "false");
	fflush(stdout);
}

/* --- revocation ---------------------------------------------------------- */

/*
 * n exports of the live region, each attached and mapped by the importer
 * and (with cpu) mmap()ed and touched by this process; then the time that
 * writing sysfs "revoke" takes to zap, notify and drain them all.
 */
static void bench_revoke(int n, int cpu)
{
	int *fds = calloc(n, sizeof(*fds));
	void **maps = calloc(n, sizeof(*maps));
	struct pbti_attach *as = calloc(n, sizeof(*as));
	uint64_t t[MAX_RUNS];
	char path[512];
	int r, i, nruns = 3;

	if (!fds || !maps || !as)
		die("calloc");
	snprintf(path, sizeof(path), "/sys/class/pbmem/%s/revoke", region);
	for (r = 0; r < nruns; r++) {
		uint64_t t0;

		rebind();
		for (i = 0; i < n; i++) {
			uint64_t off = (uint64_t)(i % 512) * SZ_2M;

			fds[i] = export_region(off, SZ_2M);
			if (fds[i] < 0)
				die("export for revoke");
			if (attach(fds[i], &as[i]))
				die("PBTI_ATTACH for revoke");
			if (!cpu)
				continue;
			maps[i] = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
				       MAP_SHARED, fds[i], 0);
			if (maps[i] == MAP_FAILED)
				die("mmap dma-buf");
			*(volatile uint8_t *)maps[i] = 0x5a;
		}
		t0 = now_ns();
		if (pb_write_text(path, "1"))
			die("revoke");
		t[r] = now_ns() - t0;
		for (i = 0; i < n; i++) {
			if (cpu)
				munmap(maps[i], PAGE);
			detach(&as[i]);
			close(fds[i]);
		}
	}
	rebind();
	printf("PB-BENCH {\"kind\":\"revoke\",\"exports\":%d,\"cpu_maps\":%s,"
	       "\"ns\":%llu}\n", n, cpu ? "true" : "false",
	       (unsigned long long)median(t, nruns));
	fflush(stdout);
	free(fds);
	free(maps);
	free(as);
}

/* --- COPY ---------------------------------------------------------------- */

/*
 * The edu engine against memcpy() of the same bytes, BAR to host memory.
 * edu finishes each 4 KiB transfer on a 100 ms timer of QEMU's: slow by
 * design, so this is informational only.
 */
static void bench_copy(void)
{
	const uint64_t len = 64 * KiB;
	uint64_t tc[MAX_RUNS], tm[MAX_RUNS];
	int i, fd, nruns = 3;
	uint8_t *host, *bar;
	size_t maplen;

	host = aligned_alloc(PAGE, len);
	bar = pb_map(ctx, region, &maplen);
	fd = export_region(0, len);
	if (!host || !bar || fd < 0)
		die("copy setup");
	memset(bar, 0xa5, len);
	for (i = 0; i < nruns; i++) {
		struct pb_buf src = { .type = PB_BUF_DMABUF, .fd = fd };
		struct pb_buf dst = { .type = PB_BUF_VA, .addr = host };
		uint64_t t0 = now_ns();

		if (pb_copy(ctx, &dst, &src, len, 0))
			die("pb_copy");
		tc[i] = now_ns() - t0;
		memset(host, 0, len);
		t0 = now_ns();
		memcpy(host, bar, len);
		tm[i] = now_ns() - t0;
		if (host[len - 1] != 0xa5) {
			errno = EIO;
			die("memcpy check");
		}
	}
	close(fd);
	pb_unmap(bar, maplen);
	free(host);
	printf("PB-BENCH {\"kind\":\"copy\",\"bytes\":%llu,\"copy_ns\":%llu,"
	       "\"memcpy_ns\":%llu}\n", (unsigned long long)len,
	       (unsigned long long)median(tc, nruns),
	       (unsigned long long)median(tm, nruns));
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct rlimit nofile = { 4096, 4096 };
	struct utsname u;
	unsigned int s;

	if (argc > 1 && !strcmp(argv[1], "-q")) {
		runs = 3;
		pb_runs = 5;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (setrlimit(RLIMIT_NOFILE, &nofile))
		die("RLIMIT_NOFILE");
	find_vram();
	rebind();
	ctx = pb_open();
	pbfd = open("/dev/peerbridge", O_RDWR | O_CLOEXEC);
	tfd = open("/dev/pb_test_importer", O_RDWR | O_CLOEXEC);
	if (!ctx || pbfd < 0 || tfd < 0)
		die("open");
	region_size = GiB;
	uname(&u);
	printf("PB-BENCH {\"kind\":\"kernel\",\"release\":\"%s\",\"runs\":%d,"
	       "\"pb_runs\":%d,\"device\":\"%s\"}\n", u.release, runs, pb_runs,
	       bdf);

	bench_null_ioctl();
	bench_pb_registration();
	for (s = 0; s < NR_SIZES; s++) {
		bench_udmabuf_registration(sizes[s]);
		bench_gup_registration(sizes[s]);
	}
	bench_fault(1);
	bench_fault(0);
	bench_revoke(1, 1);
	bench_revoke(100, 1);
	bench_revoke(1000, 1);
	bench_revoke(1000, 0);
	bench_copy();
	pb_close(ctx);
	close(tfd);
	return 0;
}
