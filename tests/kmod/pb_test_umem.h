/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ABI of the test-only module /dev/pb_test_umem, shared by the module and
 * the VM suite.  It drives the kernel's own RDMA umem code,
 * ib_umem_dmabuf_get() (dynamic, as mlx5 uses it) and
 * ib_umem_dmabuf_get_pinned() (as efa, irdma, bnxt_re and mana do), on
 * dma-bufs, for an ib_device whose DMA device is QEMU's edu, and moves
 * bytes with edu to and from the addresses in the umem's scatter list.
 */
#ifndef _PB_TEST_UMEM_H
#define _PB_TEST_UMEM_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define PBTU_DEV	"/dev/pb_test_umem"
#define PBTU_SLOTS	4
#define PBTU_MAX_LEN	(64 * 1024)

/* a umem on [offset, offset + len) of dma-buf fd */
struct pbtu_get {
	__s32 fd;
	__u32 pinned;		/* ib_umem_dmabuf_get_pinned(): mapped at once */
	__u64 offset;
	__u64 len;
	__u32 slot;		/* out */
	__u32 pad;
};

/* map a dynamic umem now (ib_umem_dmabuf_map_pages), as on a page fault */
struct pbtu_map {
	__u32 slot;
	__u32 nr_entries;	/* out: scatter entries of the umem */
};

/* DMA @len bytes between the umem, from its start, and user memory @buf */
struct pbtu_dma {
	__u32 slot;
	__u32 to_umem;		/* 1: buf -> umem, 0: umem -> buf */
	__u64 len;
	__u64 buf;
};

struct pbtu_status {
	__u32 slot;
	__u32 invalidated;	/* out: move_notify calls */
	__u32 mapped;		/* out: the umem holds a mapping */
	__u32 pad;
};

#define PBTU_GET	_IOWR('P', 0x70, struct pbtu_get)
#define PBTU_MAP	_IOWR('P', 0x71, struct pbtu_map)
#define PBTU_DMA	_IOW('P', 0x72, struct pbtu_dma)
#define PBTU_STATUS	_IOWR('P', 0x73, struct pbtu_status)
#define PBTU_PUT	_IOW('P', 0x74, __u32)

#endif
