/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal helpers shared by libpeerbridge and pbctl (never exported from
 * the shared library): names, sysfs access, parsing and formatting.
 * Every int function returns 0, or -1 with errno set.
 */
#ifndef PB_UTIL_H
#define PB_UTIL_H

#include <stddef.h>
#include <stdint.h>

struct pci_access;
struct pci_dev;

#define PB_CTL_NODE		"/dev/peerbridge"
#define PB_REGION_DIR		"/dev/pbmem"
#define PB_REGION_NAME_MAX	64
#define PB_BDF_LEN		13	/* "dddd:bb:dd.f" + NUL */

/*
 * sysfs mount point: $PEERBRIDGE_SYSFS (for tests) when
 * pb_sysfs_root_ok() takes it, else /sys.  Keeps errno.
 */
const char *pb_sysfs_root(void);
/*
 * 0 when @dir may stand for sysfs: a directory, not a symlink, owned by
 * the effective user and writable by no one else; -1 and errno (ENOTDIR,
 * EPERM or lstat's) otherwise.
 */
int pb_sysfs_root_ok(const char *dir);

/*
 * snprintf() for a path: -1 and ENAMETOOLONG when it does not fit (a
 * truncated path would name another file).
 */
int pb_path(char *buf, size_t bufsz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "/dev/pbmem/X" or "X" -> "X"; rejects empty names and path components */
int pb_region_name(const char *in, char *out, size_t outsz);

/* Read a small sysfs file into buf, without its trailing newline. */
int pb_read_text(const char *path, char *buf, size_t bufsz);
/* Write @text to a (sysfs) file in one write; not through a symlink (ELOOP). */
int pb_write_text(const char *path, const char *text);
int pb_sysfs_region_u64(const char *root, const char *region,
			const char *attr, uint64_t *val);

/* Strict decimal or 0x-hex unsigned 64-bit number, whole string (never octal). */
int pb_parse_u64(const char *s, uint64_t *val);

/*
 * A byte count: decimal with an optional unit k/K, M, G or T (binary, any
 * case) and an optional iB or B after it (4K, 4KiB, 4kB; 4096B), a decimal
 * fraction with a unit if it comes to whole bytes (1.5M), or 0x-hex alone.
 */
int pb_parse_size(const char *s, uint64_t *val);

/*
 * A device selector as lspci -s takes it ([[domain:]bus:]slot.func, hex),
 * naming one device: no wildcards, every field given but the domain, which
 * is 0 when absent (domains above ffff are refused) -> canonical lower-case
 * "dddd:bb:dd.f".
 */
int pb_parse_bdf(const char *s, char out[PB_BDF_LEN]);

/*
 * libpci over $PEERBRIDGE_SYSFS/bus/pci (sysfs access only), the bus
 * scanned.  libpci's error hook exits; here it makes the call fail
 * instead (-1 or NULL, errno EIO, pb_pci_error() says what libpci said),
 * and its warnings are dropped.  Call libpci through these functions
 * only (pci_cleanup(), pci_get_string_property() and the fields aside):
 * a libpci error outside them has nowhere to go.  Free with
 * pci_cleanup().
 */
struct pci_access *pb_pci_open(void);
/* the device at canonical @bdf; NULL and ENODEV if there is none */
struct pci_dev *pb_pci_find(struct pci_access *pacc, const char *bdf);
/* pci_fill_info() without the exit: the fields libpci knows, or -1 */
int pb_pci_fill(struct pci_dev *d, unsigned int flags);
/*
 * The 16-bit word at @offset in @d's extended capability @id (fill
 * PCI_FILL_EXT_CAPS first): 1 and *@val, 0 when @d has no such
 * capability, or -1.
 */
int pb_pci_ext_cap_word(struct pci_dev *d, int id, int offset, uint16_t *val);
/* a device's canonical "dddd:bb:dd.f" */
void pb_pci_bdf(const struct pci_dev *d, char bdf[PB_BDF_LEN]);
/*
 * The vendor's name (@device < 0) or the device's, from the PCI ID
 * database; NULL when the database has none (or cannot be read).
 */
const char *pb_pci_name(struct pci_access *pacc, char *buf, size_t bufsz,
			int vendor, int device);
/* libpci's message for the last failed call of this thread */
const char *pb_pci_error(void);

/*
 * A region, a BDF or a device class entry's name ("mlx5_0", "dma0chan0",
 * "card0", "nvme0", a netdev) -> its PCI device, canonical.  ENODEV: no
 * such device; ENXIO: it exists but is not a PCI device; EIO: libpci
 * could not list the devices (pb_pci_error() says why).
 */
int pb_resolve_pci(const char *name, char bdf[PB_BDF_LEN]);

/* Bytes for people: "64M", "1.5G", "512". */
void pb_format_size(uint64_t bytes, char *buf, size_t bufsz);

#endif /* PB_UTIL_H */
