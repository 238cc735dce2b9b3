/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * peerbridge ioctl ABI, shared verbatim by peerbridge.ko and libpeerbridge.
 *
 * Rules every structure here follows:
 *  - it opens with __u32 argsz (bytes user space passes) and __u32 flags;
 *  - all fields are naturally aligned, padding is explicit, sizes are
 *    multiples of 8;
 *  - unknown flag bits and nonzero reserved/padding fields are rejected
 *    with EINVAL;
 *  - argsz smaller than the first published version of the structure is
 *    EINVAL; argsz larger than the kernel's structure is accepted when the
 *    extra tail is zero (E2BIG otherwise), so old kernels run new binaries;
 *  - structures grow only at the tail, behind a flag or a capability bit.
 *
 * The ioctls are issued on the control node /dev/peerbridge.
 */
#ifndef _UAPI_PEERBRIDGE_H
#define _UAPI_PEERBRIDGE_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define PEERBRIDGE_TYPE		0xB7
#define PEERBRIDGE_BASE		0x40

/*
 * ABI version: the major number changes only on an incompatible change
 * (which this project promises never to make within a major); the minor
 * number counts compatible additions.
 */
#define PEERBRIDGE_ABI_MAJOR	1
#define PEERBRIDGE_ABI_MINOR	0

/**
 * PEERBRIDGE_GET_INFO - _IO(PEERBRIDGE_TYPE, PEERBRIDGE_BASE + 0),
 *			 struct peerbridge_info
 *
 * Report the module's ABI version and capabilities.  Has no side effects:
 * this is the call to probe "is this supported" with.  On return argsz
 * holds the size of the kernel's structure; only min(argsz, that size)
 * bytes are written back.
 *
 * Return: 0 on success, -errno on failure:
 *  -EFAULT  the structure is not readable or writable;
 *  -EINVAL  argsz below the v1 size, flags nonzero, reserved nonzero;
 *  -E2BIG   argsz beyond the kernel's structure with a nonzero tail.
 */
struct peerbridge_info {
	__u32 argsz;
	__u32 flags;		/* in: must be 0 */
	__u32 abi_major;	/* out: PEERBRIDGE_ABI_MAJOR */
	__u32 abi_minor;	/* out: PEERBRIDGE_ABI_MINOR */
	__aligned_u64 caps;	/* out: PEERBRIDGE_CAP_* */
#define PEERBRIDGE_CAP_REGIONS	(1ULL << 0) /* /dev/pbmem/ regions, mmap */
	__u32 nr_regions;	/* out: regions currently live */
	__u32 reserved;		/* in: must be 0 */
};

#define PEERBRIDGE_GET_INFO	_IO(PEERBRIDGE_TYPE, PEERBRIDGE_BASE + 0)

#endif /* _UAPI_PEERBRIDGE_H */
