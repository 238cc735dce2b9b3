// SPDX-License-Identifier: LGPL-2.1-or-later
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pci/pci.h>

#include "pb_util.h"

int pb_sysfs_root_ok(const char *dir)
{
	struct stat st;

	/* lstat: a symlink could be pointed elsewhere by whoever owns it */
	if (lstat(dir, &st))
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

const char *pb_sysfs_root(void)
{
	/* never from the environment of a set-user-ID caller */
	const char *root = secure_getenv("PEERBRIDGE_SYSFS");
	int err = errno;
	bool ok;

	/*
	 * Nor a tree someone else controls: root run with sudo -E would
	 * write where another user's symlinks lead.  Silently: a library
	 * does not print; pbctl warns.
	 */
	ok = root && *root && !pb_sysfs_root_ok(root);
	errno = err;
	return ok ? root : "/sys";
}

int pb_path(char *buf, size_t bufsz, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, bufsz, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= bufsz) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int pb_region_name(const char *in, char *out, size_t outsz)
{
	static const char prefix[] = PB_REGION_DIR "/";
	size_t len;

	if (!strncmp(in, prefix, sizeof(prefix) - 1))
		in += sizeof(prefix) - 1;
	len = strlen(in);
	if (!len || len >= outsz || strchr(in, '/') ||
	    !strcmp(in, ".") || !strcmp(in, "..")) {
		errno = EINVAL;
		return -1;
	}
	memcpy(out, in, len + 1);
	return 0;
}

int pb_read_text(const char *path, char *buf, size_t bufsz)
{
	ssize_t n;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, bufsz - 1);
	err = errno;
	close(fd);
	if (n < 0) {
		errno = err;
		return -1;
	}
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

int pb_write_text(const char *path, const char *text)
{
	size_t len = strlen(text);
	ssize_t n;
	int fd, err;

	/* sysfs attributes are files: a symlink here is someone's trap */
	fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = write(fd, text, len);
	err = errno;
	close(fd);
	if (n != (ssize_t)len) {
		errno = n < 0 ? err : EIO;
		return -1;
	}
	return 0;
}

/* a pbmem class device's attribute: not a PCI device, nothing for libpci */
int pb_sysfs_region_u64(const char *root, const char *region,
			const char *attr, uint64_t *val)
{
	char path[PATH_MAX], text[32];

	if (pb_path(path, sizeof(path), "%s/class/pbmem/%s/%s", root, region,
		    attr))
		return -1;
	if (pb_read_text(path, text, sizeof(text)))
		return -1;
	return pb_parse_u64(text, val);
}

int pb_parse_u64(const char *s, uint64_t *val)
{
	unsigned long long v;
	int base = 10;
	char *end;

	/* decimal, or hex after 0x: never octal, so "010" is ten */
	if (s && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		base = 16;
	}
	if (!s || !isxdigit((unsigned char)*s) ||
	    (base == 10 && !isdigit((unsigned char)*s))) {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || *end) {
		errno = errno ? errno : EINVAL;
		return -1;
	}
	*val = v;
	return 0;
}

/* the shift of a unit letter (k, K, M, G, T; any case), -1 if none */
static int pb_unit_shift(char c)
{
	static const char units[] = "KMGT";
	const char *u = c ? strchr(units, toupper((unsigned char)c)) : NULL;

	return u ? 10 * (int)(u - units + 1) : -1;
}

int pb_parse_size(const char *s, uint64_t *val)
{
	uint64_t whole, frac = 0, scale = 1, v;
	size_t len = s ? strlen(s) : 0;
	int shift = 0, digits = 0;
	bool binary = false;
	char num[32], *dot;

	if (!len || len >= sizeof(num)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(num, s, len + 1);
	/* 0x-hex takes no suffix: its B would be a digit */
	if (num[0] == '0' && (num[1] == 'x' || num[1] == 'X'))
		return pb_parse_u64(num, val);
	/* from the end: an optional B, an optional i, a unit (4KiB, 4kB, 4K) */
	if (len > 1 && num[len - 1] == 'B')
		num[--len] = '\0';
	if (len > 1 && num[len - 1] == 'i') {
		num[--len] = '\0';
		binary = true;
	}
	if (len > 1 && pb_unit_shift(num[len - 1]) > 0) {
		shift = pb_unit_shift(num[len - 1]);
		num[--len] = '\0';
	} else if (binary) {
		errno = EINVAL;		/* "iB" needs a unit before it */
		return -1;
	}
	/* a decimal fraction, only with a unit: 1.5M */
	dot = strchr(num, '.');
	if (dot) {
		const char *f;

		*dot = '\0';
		for (f = dot + 1; *f; f++, digits++) {
			if (!isdigit((unsigned char)*f) || digits >= 18) {
				errno = EINVAL;
				return -1;
			}
			frac = frac * 10 + (uint64_t)(*f - '0');
			scale *= 10;
		}
		if (!shift || !digits) {
			errno = EINVAL;
			return -1;
		}
	}
	if (pb_parse_u64(num, &whole))
		return -1;
	if (whole > (UINT64_MAX >> shift)) {
		errno = ERANGE;
		return -1;
	}
	v = whole << shift;
	if (digits) {
		/* frac < scale <= 1e18 and shift <= 40: fits 128 bits */
		unsigned __int128 part = (unsigned __int128)frac << shift;

		if (part % scale) {
			errno = EINVAL;		/* not a whole number of bytes */
			return -1;
		}
		if (v > UINT64_MAX - (uint64_t)(part / scale)) {
			errno = ERANGE;
			return -1;
		}
		v += (uint64_t)(part / scale);
	}
	*val = v;
	return 0;
}

int pb_parse_bdf(const char *s, char out[PB_BDF_LEN])
{
	struct pci_filter f;
	char text[64];

	/* lspci -s's own parser; a wildcard or a missing field selects no one device */
	pci_filter_init(NULL, &f);
	if (!s || strlen(s) >= sizeof(text) || strchr(s, '*')) {
		errno = EINVAL;
		return -1;
	}
	memcpy(text, s, strlen(s) + 1);
	if (pci_filter_parse_slot(&f, text) || f.bus < 0 || f.slot < 0 ||
	    f.func < 0 || f.domain > 0xffff) {
		errno = EINVAL;
		return -1;
	}
	snprintf(out, PB_BDF_LEN, "%04x:%02x:%02x.%x",
		 f.domain < 0 ? 0 : f.domain & 0xffff, f.bus & 0xff,
		 f.slot & 0x1f, f.func & 7);
	return 0;
}

void pb_format_size(uint64_t bytes, char *buf, size_t bufsz)
{
	static const char units[] = "KMGTPE";
	uint64_t scale = 1;
	int u = -1;

	while (u < (int)sizeof(units) - 2 && bytes >= scale * 1024) {
		scale *= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, bufsz, "%" PRIu64, bytes);
	else if (bytes % scale == 0)
		snprintf(buf, bufsz, "%" PRIu64 "%c", bytes / scale, units[u]);
	else
		snprintf(buf, bufsz, "%.1f%c", (double)bytes / scale, units[u]);
}

/*
 * libpci's error hook must not return (its callers go on as if it had
 * exited): it jumps back to pb_pci_guard(), which fails the call.  Every
 * libpci call of the library's and pbctl's that can report an error goes
 * through a guard (pb_pci_*); the rest (pci_cleanup(),
 * pci_get_string_property(), pci_filter_*()) report none.
 *
 * Known limits, libpci's own: an error in the middle of a call leaves
 * what libpci had allocated or opened so far (a directory of the bus
 * scan, a half-read device) to leak: pci_cleanup() frees only what is
 * linked in already.  And pci_alloc() running out of memory exits the
 * process through libpci's default handler, before ours is installed.
 */
static __thread jmp_buf *pb_pci_jmp;
static __thread char pb_pci_msg[256];

static void __attribute__((noreturn)) pb_pci_fatal(char *msg, ...)
{
	va_list ap;

	va_start(ap, msg);
	vsnprintf(pb_pci_msg, sizeof(pb_pci_msg), msg, ap);
	va_end(ap);
	/*
	 * Returning is no way out: libpci is built trusting the hook not to
	 * return (pci_read_word() falls into __stack_chk_fail() after it).
	 * So every call that can report is guarded, and a call that is not
	 * is a bug of ours: stop here rather than jump through NULL.
	 */
	if (!pb_pci_jmp)
		abort();
	longjmp(*pb_pci_jmp, 1);
}

/* libpci's warnings: the caller decides what to say */
static void pb_pci_quiet(char *msg, ...)
{
}

/* @fn(@arg) with libpci's errors made a return: 0, or -1 with EIO */
static int pb_pci_guard(void (*fn)(void *arg), void *arg)
{
	jmp_buf env, *outer = pb_pci_jmp;

	if (setjmp(env)) {
		pb_pci_jmp = outer;
		errno = EIO;
		return -1;
	}
	pb_pci_jmp = &env;
	fn(arg);
	pb_pci_jmp = outer;
	return 0;
}

const char *pb_pci_error(void)
{
	return pb_pci_msg;
}

struct pb_pci_start_args {
	struct pci_access *pacc;
	const char *sysfs;
};

static void pb_pci_start(void *arg)
{
	struct pb_pci_start_args *a = arg;

	/* pci_set_param() allocates: it too may report */
	pci_set_param(a->pacc, "sysfs.path", (char *)a->sysfs);
	pci_init(a->pacc);
	pci_scan_bus(a->pacc);
}

struct pci_access *pb_pci_open(void)
{
	struct pci_access *pacc = pci_alloc();
	char path[PATH_MAX];
	struct pb_pci_start_args a = { .pacc = pacc, .sysfs = path };

	if (!pacc) {
		snprintf(pb_pci_msg, sizeof(pb_pci_msg), "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	pacc->error = pb_pci_fatal;
	pacc->warning = pb_pci_quiet;
	pacc->debug = pb_pci_quiet;
	/* sysfs only, so that $PEERBRIDGE_SYSFS holds for libpci too */
	pacc->method = PCI_ACCESS_SYS_BUS_PCI;
	if (pb_path(path, sizeof(path), "%s/bus/pci", pb_sysfs_root())) {
		snprintf(pb_pci_msg, sizeof(pb_pci_msg),
			 "the path of bus/pci under $PEERBRIDGE_SYSFS is too long");
		pci_cleanup(pacc);
		errno = ENAMETOOLONG;
		return NULL;
	}
	if (pb_pci_guard(pb_pci_start, &a)) {
		pci_cleanup(pacc);
		errno = EIO;
		return NULL;
	}
	return pacc;
}

void pb_pci_bdf(const struct pci_dev *d, char bdf[PB_BDF_LEN])
{
	/* pb_pci_open() reads sysfs, which names no domain above ffff here */
	snprintf(bdf, PB_BDF_LEN, "%04x:%02x:%02x.%x", d->domain & 0xffff,
		 d->bus, d->dev & 0x1f, d->func & 7);
}

struct pci_dev *pb_pci_find(struct pci_access *pacc, const char *bdf)
{
	char at[PB_BDF_LEN];
	struct pci_dev *d;

	for (d = pacc->devices; d; d = d->next) {
		pb_pci_bdf(d, at);
		if (!strcmp(at, bdf))
			return d;
	}
	errno = ENODEV;
	return NULL;
}

struct pb_pci_fill_args {
	struct pci_dev *d;
	unsigned int flags;
	int known;
};

static void pb_pci_fill_fn(void *arg)
{
	struct pb_pci_fill_args *a = arg;

	a->known = pci_fill_info(a->d, a->flags);
}

int pb_pci_fill(struct pci_dev *d, unsigned int flags)
{
	struct pb_pci_fill_args a = { .d = d, .flags = flags };

	return pb_pci_guard(pb_pci_fill_fn, &a) ? -1 : a.known;
}

struct pb_pci_cap_args {
	struct pci_dev *d;
	int id, offset;
	bool found;
	uint16_t val;
};

static void pb_pci_cap_fn(void *arg)
{
	struct pb_pci_cap_args *a = arg;
	struct pci_cap *cap = pci_find_cap(a->d, a->id, PCI_CAP_EXTENDED);

	a->found = cap;
	if (cap)
		a->val = pci_read_word(a->d, cap->addr + a->offset);
}

int pb_pci_ext_cap_word(struct pci_dev *d, int id, int offset, uint16_t *val)
{
	struct pb_pci_cap_args a = { .d = d, .id = id, .offset = offset };

	if (pb_pci_guard(pb_pci_cap_fn, &a))
		return -1;
	*val = a.val;
	return a.found;
}

struct pb_pci_name_args {
	struct pci_access *pacc;
	char *buf;
	size_t bufsz;
	int vendor, device;
	const char *name;
};

static void pb_pci_name_fn(void *arg)
{
	struct pb_pci_name_args *a = arg;

	if (a->device < 0)
		a->name = pci_lookup_name(a->pacc, a->buf, a->bufsz,
					  PCI_LOOKUP_VENDOR | PCI_LOOKUP_NO_NUMBERS,
					  a->vendor);
	else
		a->name = pci_lookup_name(a->pacc, a->buf, a->bufsz,
					  PCI_LOOKUP_DEVICE | PCI_LOOKUP_NO_NUMBERS,
					  a->vendor, a->device);
}

const char *pb_pci_name(struct pci_access *pacc, char *buf, size_t bufsz,
			int vendor, int device)
{
	struct pb_pci_name_args a = {
		.pacc = pacc, .buf = buf, .bufsz = bufsz, .vendor = vendor,
		.device = device,
	};

	/* a database that cannot be parsed names nothing */
	return pb_pci_guard(pb_pci_name_fn, &a) ? NULL : a.name;
}

/* the device classes whose entries name a device by its own name */
static const char *const pb_classes[] = {
	"pbmem", "infiniband", "dma", "drm", "nvme", "net",
};

/*
 * A region, a BDF or a class entry's name -> the PCI device, canonical.
 * ENODEV: no such device; ENXIO: it exists but is not a PCI device.
 */
int pb_resolve_pci(const char *name, char bdf[PB_BDF_LEN])
{
	const char *root = pb_sysfs_root();
	char path[PATH_MAX], *real, *base;
	unsigned int i;

	if (!name || !*name || strchr(name, '/') || !strcmp(name, ".") ||
	    !strcmp(name, "..")) {
		errno = EINVAL;
		return -1;
	}
	if (!pb_parse_bdf(name, bdf)) {
		struct pci_access *pacc = pb_pci_open();
		bool found;

		if (!pacc)
			return -1;	/* EIO: libpci failed, pb_pci_error() says why */
		found = pb_pci_find(pacc, bdf);
		pci_cleanup(pacc);
		errno = ENODEV;
		return found ? 0 : -1;
	}
	/* class devices (netdevs, RDMA, DMA channels): libpci knows none of them */
	for (i = 0; i < sizeof(pb_classes) / sizeof(pb_classes[0]); i++) {
		if (pb_path(path, sizeof(path), "%s/class/%s/%s", root,
			    pb_classes[i], name))
			return -1;
		if (access(path, F_OK))
			continue;
		/* the entry exists: its device is PCI, or it has none */
		if (pb_path(path, sizeof(path), "%s/class/%s/%s/device", root,
			    pb_classes[i], name))
			return -1;
		real = realpath(path, NULL);
		base = real ? strrchr(real, '/') : NULL;
		if (base && !pb_parse_bdf(base + 1, bdf) &&
		    strstr(real, "/pci")) {
			free(real);
			return 0;
		}
		free(real);
		errno = ENXIO;
		return -1;
	}
	errno = ENODEV;
	return -1;
}
