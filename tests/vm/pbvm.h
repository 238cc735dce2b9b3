/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The in-guest VM suite: helpers shared by its test files.  It runs as
 * root inside the rig's VM, with peerbridge.ko loaded and pbctl on PATH.
 */
#ifndef PBVM_H
#define PBVM_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <peerbridge.h>

#include "pb_pattern.h"
#include "pb_util.h"

#define MiB (1024ULL * 1024)

/* devices of the reference topology, as vendor:device */
#define ID_IVSHMEM	0x1af4, 0x1110
#define ID_NVME		0x1b36, 0x0010
#define ID_VGA		0x1234, 0x1111
#define ID_EDU		0x1234, 0x11e8

/* BDF of the nth (0-based, in bus order) device with these IDs */
void find_pci(unsigned int vendor, unsigned int device, int nth,
	      char bdf[PB_BDF_LEN]);
/* driver bound to a device, "" if none */
void driver_of(const char *bdf, char *out, size_t outsz);
/* run pbctl with printf-style arguments; its exit status */
int pbctl(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* output of pbctl into buf; its exit status */
int pbctl_output(char *buf, size_t bufsz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void bind_dev(const char *bdf);
void unbind_dev(const char *bdf);

/* "<bdf>-<kind>" into out */
void region_name(const char *bdf, const char *kind, char *out, size_t outsz);
bool region_exists(const char *name);
int open_region(const char *name);	/* its node, read-write */
int open_node(const char *name, int flags);	/* its node, O_CLOEXEC */
uint64_t region_attr(const char *name, const char *attr);


/* touch one byte: 0, or the signal (SIGBUS, SIGSEGV) the access raised */
int touch_read(const volatile void *addr);
int touch_write(volatile void *addr);

/* the fixtures every test case uses: ivshmem #0 and nvme bound */
extern char g_ivshmem[PB_BDF_LEN], g_nvme[PB_BDF_LEN], g_vga[PB_BDF_LEN];
extern char g_vram[PB_REGION_NAME_MAX], g_cmb[PB_REGION_NAME_MAX];
void setup_bound(void);
/*
 * Kernel health around every test: setup_bound() notes where the kernel
 * log is; check_kernel_health() (every teardown) fails the test if a splat
 * was logged since, and on the debug kernel if lockdep switched itself off
 * or DMA-API debugging counted an error.
 */
void check_kernel_health(void);
bool debug_kernel(void);
/* a /dev/kmsg reader positioned at the end of the log */
int kmsg_from_now(void);
/* whether a record read from @fd contains @needle */
bool kmsg_find(int fd, const char *needle);

/* ... plus a library context in g_ctx */
extern struct pb_ctx *g_ctx;
void setup_ctx(void);
void teardown_ctx(void);

/* write a (sysfs) file: 0 or the errno */
int write_file(const char *path, const char *text);
/* an ioctl on a fresh /dev/peerbridge descriptor: 0 or the errno */
int ctl_ioctl(unsigned long req, void *arg);
/* start address of a BAR (CPU physical == bus address in the rig) */
uint64_t bar_start(const char *bdf, int bar);
/* map a whole region through g_ctx, or fail the test */
void *map_region(const char *name, size_t *len);
/* pb_export through g_ctx, or fail the test */
int export_or_fail(void *addr, size_t len, unsigned int flags);
/* pb_copy_ex through g_ctx: 0 or the errno */
int copy_bufs(const struct pb_buf *dst, const struct pb_buf *src, size_t len,
	      struct pb_copy_result *res);
struct pb_buf dmabuf_side(int fd, uint64_t offset);
struct pb_buf va_side(void *addr);
/* page-aligned host memory, freed by the test's process exit */
void *host_alloc(size_t len);
void assert_copy_reads_but_never_writes(int dmabuf_fd);

/* vgem: a DRM device whose dma-bufs are ordinary shmem */
int vgem_open(void);
/* a vgem buffer of @len bytes exported as a dma-buf fd */
int vgem_dmabuf(int vgem, size_t len);

/* the sample driver (samples/pb_vga.c) bound to the VGA device */
extern char g_edu[PB_BDF_LEN], g_sample[PB_REGION_NAME_MAX];
void setup_sample(void);
/* map @len bytes of /dev/pb_vga; its fd in *fdp, or closed if NULL */
unsigned char *map_sample(size_t len, int *fdp);

/* the test importer driver (tests/kmod/pb_test_importer.c) */
struct pbti_map;
struct pbti_attach;
int pbti_fd(void);
/* resolve a range through peerbridge_map_user(): 0 or the errno */
int pbti_map_range(int fd, void *addr, size_t len, bool write,
		   struct pbti_map *m);
void pbti_unmap_slot(int fd, unsigned int slot);
/* attach a dma-buf and map it (held until detached): 0 or the errno */
int pbti_attach_fd(int tfd, int dmabuf, bool stubborn, struct pbti_attach *a);

/*
 * Access by group: the guest's init applies the installed udev rule with
 * busybox mdev (/etc/mdev.conf is made from it); apply_udev_rule() does it
 * again for nodes made since, like `udevadm trigger` and `settle`.
 */
void apply_udev_rule(void);
gid_t peerbridge_gid(void);
/* become nobody, in group peerbridge or in no group at all: 0 or -1 */
int drop_to_nobody(bool in_group_peerbridge);

/* whether /proc/iomem shows a claim named @name */
bool iomem_claimed(const char *name);
/* CLOCK_MONOTONIC in seconds */
double now_s(void);

Suite *suite_regions(void);
Suite *suite_mmap(void);
Suite *suite_huge(void);
Suite *suite_lifecycle(void);
Suite *suite_ioctl(void);
Suite *suite_export(void);
Suite *suite_copy(void);
Suite *suite_access(void);
Suite *suite_faults(void);
Suite *suite_driver(void);
Suite *suite_lifetime(void);
Suite *suite_lockdown(void);
Suite *suite_rdma(void);
Suite *suite_topology(void);
Suite *suite_topowide(void);
Suite *suite_topoiommu(void);
/* the rig's topology (pb.topo=) and whether it has an IOMMU */
const char *rig_topology(void);
bool rig_iommu(void);

#endif /* PBVM_H */
