/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ABI of the test-only importer module (/dev/pb_test_importer), shared by
 * the module and the VM suite.  It resolves user ranges through
 * peerbridge_map_user() for QEMU's edu device and reports the segments.
 */
#ifndef _PB_TEST_IMPORTER_H
#define _PB_TEST_IMPORTER_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define PBTI_MAX_SEGS	8
#define PBTI_SLOTS	8

struct pbti_map {
	__u64 addr;
	__u64 len;
	__u32 write;
	__u32 slot;		/* out: handle for UNMAP and STATUS */
	__u32 nr_segs;		/* out */
	__u32 pad;
	struct {
		__u64 addr;
		__u64 len;
	} segs[PBTI_MAX_SEGS];	/* out */
};

struct pbti_status {
	__u32 slot;
	__u32 invalidated;	/* out: the invalidate callback ran */
	__u32 released;		/* out: the mapping was unmapped after it */
	__u32 pad;
};

#define PBTI_MAP	_IOWR('t', 1, struct pbti_map)
#define PBTI_UNMAP	_IOW('t', 2, __u32)
#define PBTI_STATUS	_IOWR('t', 3, struct pbti_status)

#endif
