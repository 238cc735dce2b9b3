// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pbvm.h"

char g_ivshmem[PB_BDF_LEN], g_nvme[PB_BDF_LEN], g_vga[PB_BDF_LEN];
char g_vram[PB_REGION_NAME_MAX], g_cmb[PB_REGION_NAME_MAX];

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

void setup_bound(void)
{
	find_pci(ID_IVSHMEM, 0, g_ivshmem);
	find_pci(ID_NVME, 0, g_nvme);
	find_pci(ID_VGA, 0, g_vga);
	bind_dev(g_ivshmem);
	bind_dev(g_nvme);
	region_name(g_ivshmem, "bar2", g_vram, sizeof(g_vram));
	region_name(g_nvme, "cmb", g_cmb, sizeof(g_cmb));
}
