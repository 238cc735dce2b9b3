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

#define PB_CTL_NODE		"/dev/peerbridge"
#define PB_REGION_DIR		"/dev/pbmem"
#define PB_REGION_NAME_MAX	64
#define PB_BDF_LEN		13	/* "dddd:bb:dd.f" + NUL */

/* sysfs mount point: $PEERBRIDGE_SYSFS (for tests) or /sys */
const char *pb_sysfs_root(void);

/* "/dev/pbmem/X" or "X" -> "X"; rejects empty names and path components */
int pb_region_name(const char *in, char *out, size_t outsz);

/* Read a small sysfs file into buf, without its trailing newline. */
int pb_read_text(const char *path, char *buf, size_t bufsz);
/* Write @text to a (sysfs) file in one write. */
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

/* "dddd:bb:dd.f" or "bb:dd.f" (hex) -> canonical lower-case "dddd:bb:dd.f" */
int pb_parse_bdf(const char *s, char out[PB_BDF_LEN]);

/*
 * A region, a BDF or a device class entry's name ("mlx5_0", "dma0chan0",
 * "card0", "nvme0", a netdev) -> its PCI device, canonical.  ENODEV: no
 * such device; ENXIO: it exists but is not a PCI device.
 */
int pb_resolve_pci(const char *name, char bdf[PB_BDF_LEN]);

/* Bytes for people: "64M", "1.5G", "512". */
void pb_format_size(uint64_t bytes, char *buf, size_t bufsz);

#endif /* PB_UTIL_H */
