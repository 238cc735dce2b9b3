/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * ABI of the sample driver's node /dev/pb_vga (samples/pb_vga.c), shared
 * with the VM suite.  The mmap offset space is laid out the way DRM drivers
 * lay theirs out:
 *  - [0, VRAM size): the whole VRAM aperture, linearly;
 *  - from PB_VGA_BO_BASE on: buffer objects, each at the fake offset its
 *    creation returned.  A buffer object's VRAM can move (BO_MOVE) or be
 *    freed (BO_FREE); its mappings follow it, its peer exports are revoked.
 */
#ifndef _PB_VGA_H
#define _PB_VGA_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define PB_VGA_BO_BASE		(1ULL << 32)

struct pb_vga_bo {
	__u64 size;		/* in: BO_CREATE, page multiple */
	__u64 fake_offset;	/* out: where to mmap it */
	__u64 vram_offset;	/* out: where it lives in VRAM now */
	__u32 handle;		/* out of BO_CREATE; in otherwise */
	__u32 pad;
};

#define PB_VGA_BO_CREATE	_IOWR('V', 1, struct pb_vga_bo)
#define PB_VGA_BO_MOVE		_IOWR('V', 2, struct pb_vga_bo)
#define PB_VGA_BO_FREE		_IOW('V', 3, struct pb_vga_bo)

#endif
