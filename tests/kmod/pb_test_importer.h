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
/* attachments held at once: `make bench` revokes a region under 1000 */
#define PBTI_BUFS	1024

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

/*
 * A dma-buf attached as a dynamic peer2peer importer, mapped and held.
 * stubborn: ignore move_notify, keep the mapping.  pinned: dma_buf_pin()
 * first, as the pinned RDMA importers (efa, irdma, bnxt_re, mana) do, and
 * keep the mapping until detached.
 */
struct pbti_attach {
	__s32 fd;
	__u32 stubborn;
	__u32 slot;		/* out */
	__u32 nr_entries;	/* out: scatterlist entries */
	__u64 first_addr;	/* out: DMA address of the first entry */
	__u32 pinned;
	__u32 nr_ranges;	/* out: runs of contiguous DMA addresses */
};

/*
 * peerbridge_region_create() on any device's BAR, as a driver would call it
 * (no node); a region that is made is destroyed at once.  Returns its errno.
 */
struct pbti_region {
	__u32 domain;
	__u32 bus;
	__u32 devfn;
	__s32 bar;
	__u64 offset;
	__u64 size;
};

#define PBTI_MAP	_IOWR('t', 1, struct pbti_map)
#define PBTI_UNMAP	_IOW('t', 2, __u32)
#define PBTI_STATUS	_IOWR('t', 3, struct pbti_status)
#define PBTI_ATTACH	_IOWR('t', 4, struct pbti_attach)
#define PBTI_DETACH	_IOW('t', 5, __u32)
/* for an attachment: invalidated = move_notify ran, released = unmapped */
#define PBTI_ATTACH_STATUS _IOWR('t', 6, struct pbti_status)
#define PBTI_REGION	_IOW('t', 7, struct pbti_region)
/*
 * Hold a dma-buf's reservation lock (from a kernel worker) until
 * PBTI_DROP_RESV, as an importer busy under it would: one at a time.
 */
#define PBTI_HOLD_RESV	_IOW('t', 8, __s32)
#define PBTI_DROP_RESV	_IO('t', 9)

#endif
