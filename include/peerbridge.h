/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libpeerbridge: user-space access to peerbridge regions.
 *
 * Conventions (as in libibverbs): a call returning a pointer returns NULL
 * on failure, a call returning int returns -1; either way errno says why,
 * and pb_strerror() explains it the way peerbridge means it.
 */
#ifndef PEERBRIDGE_H
#define PEERBRIDGE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct pb_ctx;

/* Open /dev/peerbridge and check the module speaks this library's ABI. */
struct pb_ctx *pb_open(void);
void pb_close(struct pb_ctx *ctx);

/*
 * Map a whole region ("0000:03:00.0-bar2" or "/dev/pbmem/0000:03:00.0-bar2")
 * shared and read-write; *len receives its size.
 */
void *pb_map(struct pb_ctx *ctx, const char *region, size_t *len);
int pb_unmap(void *addr, size_t len);

/*
 * Export [addr, addr + len) of peer mappings (page aligned) as a dma-buf.
 * Returns the dma-buf fd, or -1 with errno.
 */
#define PB_EXPORT_RDONLY	(1U << 0)	/* importers may only read */
#define PB_EXPORT_CLOEXEC	(1U << 1)	/* the fd is close-on-exec */
int pb_export(struct pb_ctx *ctx, void *addr, size_t len, unsigned int flags);

/*
 * Export [offset, offset + len) (page aligned) of a region without mapping
 * it: the node is opened read-write, or read-only with PB_EXPORT_RDONLY.
 * A peerbridge dma-buf fd can itself be mmap()ed, MAP_SHARED.
 */
int pb_export_region(struct pb_ctx *ctx, const char *region, uint64_t offset,
		     size_t len, unsigned int flags);

/* What peer memory [addr, addr + len) is. */
struct pb_range_info {
	char region[64];	/* e.g. "0000:03:00.0-bar2" */
	char device[32];	/* PCI device, "dddd:bb:dd.f" */
	unsigned int bar;
	uint64_t offset;	/* of addr within the region */
	uint64_t region_size;
	uint64_t bar_offset;	/* of the region within the BAR */
	unsigned int flags;
#define PB_RANGE_WC		(1U << 0)	/* write-combining mapping */
#define PB_RANGE_RDONLY		(1U << 1)	/* a covered mapping is read-only */
};
int pb_query(struct pb_ctx *ctx, const void *addr, size_t len,
	     struct pb_range_info *out);

/* One side of a copy: a dma-buf fd and an offset in it, or a user address. */
enum pb_buf_type {
	PB_BUF_DMABUF = 1,
	PB_BUF_VA = 2,
};
struct pb_buf {
	enum pb_buf_type type;
	int fd;			/* PB_BUF_DMABUF */
	uint64_t offset;	/* PB_BUF_DMABUF */
	void *addr;		/* PB_BUF_VA: peer mapping or ordinary memory */
};

/* What a copy did. */
struct pb_copy_result {
	uint64_t copied;	/* bytes known to have arrived, also on failure */
	uint64_t dst_dma;	/* first DMA address written */
	uint64_t src_dma;	/* first DMA address read */
	char channel[32];	/* dmaengine channel, e.g. "dma0chan0" */
	char engine[32];	/* the channel's device */
};

/*
 * Move len bytes from src to dst with a kernel DMA engine (flags: 0).
 * pb_copy_ex() also reports what happened, on failure too.
 */
int pb_copy(struct pb_ctx *ctx, const struct pb_buf *dst,
	    const struct pb_buf *src, size_t len, unsigned int flags);
int pb_copy_ex(struct pb_ctx *ctx, const struct pb_buf *dst,
	       const struct pb_buf *src, size_t len, unsigned int flags,
	       struct pb_copy_result *result);

/*
 * RDMA memory regions (link with -libverbs too).  pb_reg_mr() registers
 * peer memory as a dma-buf with ibv_reg_dmabuf_mr() at iova = addr, and
 * ordinary memory with ibv_reg_mr(); a range mixing both is EINVAL.
 * PEERBRIDGE_DMABUF=auto|0|1 steers it (see pb_reg_mr(3)).
 * pb_reg_dmabuf_mr() registers a dma-buf fd of any exporter, which stays
 * the caller's.  Release either with pb_dereg_mr().
 */
struct ibv_pd;
struct ibv_mr;
struct ibv_mr *pb_reg_mr(struct ibv_pd *pd, void *addr, size_t len,
			 int access);
struct ibv_mr *pb_reg_dmabuf_mr(struct ibv_pd *pd, int fd, uint64_t offset,
				size_t len, uint64_t iova, int access);
int pb_dereg_mr(struct ibv_mr *mr);

/*
 * A message for an errno value as peerbridge calls return it; after a
 * failed call that knows more (pb_reg_mr() on a NIC without dma-buf
 * support), that call's own one-line explanation, in the same thread.
 */
const char *pb_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif /* PEERBRIDGE_H */
