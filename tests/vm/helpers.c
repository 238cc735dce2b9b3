// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <xf86drm.h>
#include <uapi/peerbridge.h>

#include "../kmod/pb_test_importer.h"
#include "pbvm.h"

char g_ivshmem[PB_BDF_LEN], g_nvme[PB_BDF_LEN], g_vga[PB_BDF_LEN];
char g_vram[PB_REGION_NAME_MAX], g_cmb[PB_REGION_NAME_MAX];
struct pb_ctx *g_ctx;

static unsigned int read_hex_attr(const char *bdf, const char *attr)
{
	char path[PATH_MAX], text[32];
	uint64_t v;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", bdf, attr);
	ck_assert_msg(!pb_read_text(path, text, sizeof(text)), "read %s", path);
	ck_assert_msg(!pb_parse_u64(text, &v), "parse %s: %s", path, text);
	return v;
}

static int pci_filter(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

void find_pci(unsigned int vendor, unsigned int device, int nth,
	      char bdf[PB_BDF_LEN])
{
	struct dirent **ents;
	int i, n, seen = 0;

	bdf[0] = '\0';
	n = scandir("/sys/bus/pci/devices", &ents, pci_filter, alphasort);
	ck_assert_int_ge(n, 0);
	for (i = 0; i < n; i++) {
		if (!bdf[0] &&
		    read_hex_attr(ents[i]->d_name, "vendor") == vendor &&
		    read_hex_attr(ents[i]->d_name, "device") == device &&
		    seen++ == nth)
			snprintf(bdf, PB_BDF_LEN, "%.12s", ents[i]->d_name);
		free(ents[i]);
	}
	free(ents);
	ck_assert_msg(bdf[0], "no PCI device %04x:%04x #%d in the VM", vendor,
		      device, nth);
}

void driver_of(const char *bdf, char *out, size_t outsz)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	n = readlink(path, target, sizeof(target) - 1);
	out[0] = '\0';
	if (n > 0) {
		target[n] = '\0';
		snprintf(out, outsz, "%s", strrchr(target, '/') + 1);
	}
}

static int vpbctl(char *buf, size_t bufsz, const char *fmt, va_list ap)
{
	char cmd[512];
	size_t n = 0;
	FILE *f;
	int st;

	strcpy(cmd, "pbctl ");
	vsnprintf(cmd + 6, sizeof(cmd) - 6, fmt, ap);
	f = popen(cmd, "r");
	ck_assert_msg(f, "popen %s", cmd);
	if (buf) {
		n = fread(buf, 1, bufsz - 1, f);
		buf[n] = '\0';
	} else {
		char sink[4096];

		while (fread(sink, 1, sizeof(sink), f) > 0)
			;
	}
	st = pclose(f);
	ck_assert_msg(WIFEXITED(st), "%s died", cmd);
	return WEXITSTATUS(st);
}

int pbctl(const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vpbctl(NULL, 0, fmt, ap);
	va_end(ap);
	return ret;
}

int pbctl_output(char *buf, size_t bufsz, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vpbctl(buf, bufsz, fmt, ap);
	va_end(ap);
	return ret;
}

void bind_dev(const char *bdf)
{
	ck_assert_msg(pbctl("bind %s", bdf) == 0, "pbctl bind %s failed", bdf);
}

void unbind_dev(const char *bdf)
{
	ck_assert_msg(pbctl("unbind %s", bdf) == 0, "pbctl unbind %s failed",
		      bdf);
}

void region_name(const char *bdf, const char *kind, char *out, size_t outsz)
{
	snprintf(out, outsz, "%s-%s", bdf, kind);
}

bool region_exists(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PB_REGION_DIR "/%s", name);
	return access(path, F_OK) == 0;
}

int open_node(const char *name, int flags)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), PB_REGION_DIR "/%s", name);
	fd = open(path, flags | O_CLOEXEC);
	ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
	return fd;
}

int open_region(const char *name)
{
	return open_node(name, O_RDWR);
}

uint64_t region_attr(const char *name, const char *attr)
{
	uint64_t v = 0;

	ck_assert_msg(!pb_sysfs_region_u64("/sys", name, attr, &v),
		      "read %s/%s: %s", name, attr, strerror(errno));
	return v;
}

static sigjmp_buf touch_env;

static void touch_handler(int sig)
{
	siglongjmp(touch_env, sig);
}

static int touch(volatile void *addr, bool write)
{
	struct sigaction sa = { .sa_handler = touch_handler }, obus, osegv;
	volatile unsigned char *p = addr;
	int sig;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &obus);
	sigaction(SIGSEGV, &sa, &osegv);
	sig = sigsetjmp(touch_env, 1);
	if (!sig) {
		if (write)
			*p = 0x5a;
		else
			(void)*p;
	}
	sigaction(SIGBUS, &obus, NULL);
	sigaction(SIGSEGV, &osegv, NULL);
	return sig;
}

int touch_read(const volatile void *addr)
{
	return touch((volatile void *)addr, false);
}

int touch_write(volatile void *addr)
{
	return touch(addr, true);
}

static int kmsg_fd = -1;

bool debug_kernel(void)
{
	return access("/sys/kernel/debug/kmemleak", F_OK) == 0;
}

/* whether the kernel command line has @word */
static bool cmdline_has(const char *word)
{
	char line[4096], *tok, *save;
	FILE *f = fopen("/proc/cmdline", "re");
	bool found = false;

	if (!f)
		return false;
	if (fgets(line, sizeof(line), f))
		for (tok = strtok_r(line, " \n", &save); tok && !found;
		     tok = strtok_r(NULL, " \n", &save))
			found = !strcmp(tok, word);
	fclose(f);
	return found;
}

const char *rig_topology(void)
{
	return cmdline_has("pb.topo=wide") ? "wide" : "ref";
}

bool rig_iommu(void)
{
	return cmdline_has("intel_iommu=on");
}

int kmsg_from_now(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	lseek(fd, 0, SEEK_END);
	return fd;
}

/* the next record from @fd into @rec; false at the end of the log */
static bool kmsg_next(int fd, char *rec, size_t size)
{
	ssize_t n;

	while ((n = read(fd, rec, size - 1)) < 0 && errno == EPIPE)
		;	/* records overwritten meanwhile: read on */
	if (n <= 0)
		return false;
	rec[n] = '\0';
	return true;
}

bool kmsg_find(int fd, const char *needle)
{
	char rec[2048];

	while (kmsg_next(fd, rec, sizeof(rec)))
		if (strstr(rec, needle))
			return true;
	return false;
}

static void kmsg_mark(void)
{
	if (kmsg_fd >= 0)
		close(kmsg_fd);
	kmsg_fd = kmsg_from_now();
}

static const char *const splats[] = {
	"BUG:", "WARNING:", "Oops", "KASAN", "possible circular locking",
	"possible recursive locking", "inconsistent lock state",
	"sleeping function called from invalid context", "hung_task",
	"blocked for more than", "DMA-API", "general protection fault",
	"list_add corruption", "list_del corruption",
};

void check_kernel_health(void)
{
	char rec[2048], text[64];
	unsigned int i;

	ck_assert_int_ge(kmsg_fd, 0);
	while (kmsg_next(kmsg_fd, rec, sizeof(rec))) {
		for (i = 0; i < sizeof(splats) / sizeof(splats[0]); i++)
			ck_assert_msg(!strstr(rec, splats[i]),
				      "kernel splat during the test: %s", rec);
	}
	if (!debug_kernel())
		return;
	ck_assert_msg(!pb_read_text("/sys/kernel/debug/dma-api/error_count",
				    text, sizeof(text)) && !strcmp(text, "0"),
		      "DMA-API debugging counted errors: %s", text);
	ck_assert_msg(!system("grep -q 'debug_locks: *1' /proc/lockdep_stats"),
		      "lockdep turned itself off (debug_locks is 0)");
}

static bool region_revoked(const char *name)
{
	char path[PATH_MAX], state[32];

	snprintf(path, sizeof(path), "/sys/class/pbmem/%s/state", name);
	return !pb_read_text(path, state, sizeof(state)) &&
	       strcmp(state, "live");
}

void setup_bound(void)
{
	kmsg_mark();
	find_pci(ID_IVSHMEM, 0, g_ivshmem);
	find_pci(ID_NVME, 0, g_nvme);
	find_pci(ID_VGA, 0, g_vga);
	region_name(g_ivshmem, "bar2", g_vram, sizeof(g_vram));
	region_name(g_nvme, "cmb", g_cmb, sizeof(g_cmb));
	/* a region an earlier test revoked explicitly comes back fresh */
	if (region_revoked(g_vram))
		unbind_dev(g_ivshmem);
	bind_dev(g_ivshmem);
	bind_dev(g_nvme);
}

void setup_ctx(void)
{
	setup_bound();
	g_ctx = pb_open();
	ck_assert_msg(g_ctx, "pb_open: %s", pb_strerror(errno));
}

void teardown_ctx(void)
{
	pb_close(g_ctx);
	g_ctx = NULL;
	check_kernel_health();
}

int write_file(const char *path, const char *text)
{
	return pb_write_text(path, text) ? errno : 0;
}

int ctl_ioctl(unsigned long req, void *arg)
{
	int fd = open(PB_CTL_NODE, O_RDWR | O_CLOEXEC), ret;

	ck_assert_int_ge(fd, 0);
	ret = ioctl(fd, req, arg) ? errno : 0;
	close(fd);
	return ret;
}

uint64_t bar_start(const char *bdf, int bar)
{
	char path[PATH_MAX], line[128];
	unsigned long long start = 0;
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource", bdf);
	f = fopen(path, "r");
	ck_assert_msg(f, "open %s", path);
	for (i = 0; i <= bar && fgets(line, sizeof(line), f); i++)
		start = strtoull(line, NULL, 16);
	fclose(f);
	ck_assert_int_eq(i, bar + 1);
	return start;
}

void *map_region(const char *name, size_t *len)
{
	void *p = pb_map(g_ctx, name, len);

	ck_assert_msg(p, "pb_map %s: %s", name, pb_strerror(errno));
	return p;
}

int export_or_fail(void *addr, size_t len, unsigned int flags)
{
	int fd = pb_export(g_ctx, addr, len, flags);

	ck_assert_msg(fd >= 0, "pb_export: %s", pb_strerror(errno));
	return fd;
}

int copy_bufs(const struct pb_buf *dst, const struct pb_buf *src, size_t len,
	      struct pb_copy_result *res)
{
	struct pb_copy_result local;

	return pb_copy_ex(g_ctx, dst, src, len, 0, res ? res : &local) ?
	       errno : 0;
}

struct pb_buf dmabuf_side(int fd, uint64_t offset)
{
	return (struct pb_buf){ .type = PB_BUF_DMABUF, .fd = fd,
				.offset = offset };
}

struct pb_buf va_side(void *addr)
{
	return (struct pb_buf){ .type = PB_BUF_VA, .addr = addr };
}

/* a dma-buf its holder may read but not write: COPY reads it, never into it */
void assert_copy_reads_but_never_writes(int fd)
{
	unsigned char *host = host_alloc(4096);
	struct pb_buf dst = dmabuf_side(fd, 0), src = va_side(host);

	ck_assert_int_eq(copy_bufs(&dst, &src, 4096, NULL), EACCES);
	dst = va_side(host);
	src = dmabuf_side(fd, 0);
	ck_assert_int_eq(copy_bufs(&dst, &src, 4096, NULL), 0);
	free(host);
}

void *host_alloc(size_t len)
{
	void *p = NULL;

	ck_assert_int_eq(posix_memalign(&p, 4096, len), 0);
	return p;
}

int vgem_open(void)
{
	struct dirent **ents;
	int i, n, fd = -1;

	/* vgem is the only DRM driver in the rig */
	n = scandir("/dev/dri", &ents, pci_filter, alphasort);
	ck_assert_msg(n > 0, "no /dev/dri nodes: is vgem loaded?");
	for (i = 0; i < n; i++) {
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "/dev/dri/%s", ents[i]->d_name);
		if (fd < 0 && !strncmp(ents[i]->d_name, "card", 4))
			fd = open(path, O_RDWR | O_CLOEXEC);
		free(ents[i]);
	}
	free(ents);
	ck_assert_msg(fd >= 0, "cannot open a vgem card node");
	return fd;
}

int vgem_dmabuf(int vgem, size_t len)
{
	struct drm_mode_create_dumb create = {
		.width = len / 4, .height = 1, .bpp = 32,
	};
	int fd = -1;

	ck_assert_int_eq(drmIoctl(vgem, DRM_IOCTL_MODE_CREATE_DUMB, &create), 0);
	ck_assert_int_eq(drmPrimeHandleToFD(vgem, create.handle,
					    DRM_CLOEXEC | DRM_RDWR, &fd), 0);
	return fd;
}

/* --- the sample driver and the test importer -------------------------------- */

char g_edu[PB_BDF_LEN], g_sample[PB_REGION_NAME_MAX];

void setup_sample(void)
{
	char drv[64], path[PATH_MAX];

	setup_ctx();
	find_pci(ID_EDU, 0, g_edu);
	region_name(g_vga, "vram", g_sample, sizeof(g_sample));
	ck_assert_int_eq(write_file("/sys/module/pb_vga/parameters/deny_importer",
				    "\n"), 0);
	driver_of(g_vga, drv, sizeof(drv));
	if (!strcmp(drv, "pb_vga"))
		return;
	if (!strcmp(drv, "peerbridge"))
		unbind_dev(g_vga);	/* clears driver_override, reprobes */
	driver_of(g_vga, drv, sizeof(drv));
	if (strcmp(drv, "pb_vga")) {
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override",
			 g_vga);
		write_file(path, "\n");
		ck_assert_int_eq(write_file("/sys/bus/pci/drivers/pb_vga/bind",
					    g_vga), 0);
	}
}

unsigned char *map_sample(size_t len, int *fdp)
{
	int fd = open("/dev/pb_vga", O_RDWR | O_CLOEXEC);
	void *p;

	ck_assert_msg(fd >= 0, "/dev/pb_vga: %s", strerror(errno));
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert(p != MAP_FAILED);
	if (fdp)
		*fdp = fd;
	else
		close(fd);
	return p;
}

int pbti_fd(void)
{
	int fd = open("/dev/pb_test_importer", O_RDWR | O_CLOEXEC);

	ck_assert_msg(fd >= 0, "/dev/pb_test_importer: %s", strerror(errno));
	return fd;
}

int pbti_map_range(int fd, void *addr, size_t len, bool write,
		   struct pbti_map *m)
{
	memset(m, 0, sizeof(*m));
	m->addr = (uintptr_t)addr;
	m->len = len;
	m->write = write;
	return ioctl(fd, PBTI_MAP, m) ? errno : 0;
}

void pbti_unmap_slot(int fd, unsigned int slot)
{
	ck_assert_int_eq(ioctl(fd, PBTI_UNMAP, &slot), 0);
}

int pbti_attach_fd(int tfd, int dmabuf, bool stubborn, struct pbti_attach *a)
{
	memset(a, 0, sizeof(*a));
	a->fd = dmabuf;
	a->stubborn = stubborn;
	return ioctl(tfd, PBTI_ATTACH, a) ? errno : 0;
}

void apply_udev_rule(void)
{
	ck_assert_int_eq(system("mdev -s"), 0);
}

gid_t peerbridge_gid(void)
{
	struct group *g = getgrnam("peerbridge");

	ck_assert_msg(g, "no group peerbridge in the guest's /etc/group");
	return g->gr_gid;
}

int drop_to_nobody(bool in_group_peerbridge)
{
	struct group *g = getgrnam("peerbridge");
	gid_t gid;

	if (!g)
		return -1;
	gid = g->gr_gid;
	if (setgroups(in_group_peerbridge ? 1 : 0, &gid))
		return -1;
	return setgid(65534) || setuid(65534) ? -1 : 0;
}

bool iomem_claimed(const char *name)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "grep -q ' : %s$' /proc/iomem", name);
	return system(cmd) == 0;
}

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}
