/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libpeerbridge: user-space access to peerbridge regions.
 *
 * Conventions (as in libibverbs): a call returning a pointer returns NULL
 * on failure, a call returning int returns -1; either way errno says why,
 * and pb_strerror() explains it the way peerbridge means it.
 *
 * Structures grow without new symbols: each starts with a comp_mask.  In a
 * structure the caller fills (struct pb_buf), comp_mask holds the
 * PB_*_COMP_* bits of the optional fields it set; a call refuses bits it
 * does not know (EINVAL).  In a structure the library fills, the caller
 * sets comp_mask to the optional fields its copy of the structure has room
 * for (zero-initialize the structure; no optional fields exist yet), and
 * the library writes the base fields and those, and returns in comp_mask
 * the ones it filled.
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

/* The library's version, "major.minor.patch". */
const char *pb_version(void);

/* What the loaded module is and can do. */
struct pb_info {
	uint32_t comp_mask;
	uint32_t abi_major;	/* the module's ABI */
	uint32_t abi_minor;
	uint32_t nr_regions;	/* regions currently live */
	uint64_t caps;
#define PB_CAP_REGIONS		(1ULL << 0)	/* /dev/pbmem/ regions, mmap */
#define PB_CAP_EXPORT		(1ULL << 1)	/* pb_export(), pb_query() */
#define PB_CAP_COPY		(1ULL << 2)	/* pb_copy() */
#define PB_CAP_CHECK		(1ULL << 3)	/* pb_check() */
	uint64_t kconfig;	/* how the running kernel is built */
#define PB_KCONFIG_P2PDMA	(1ULL << 0)	/* CONFIG_PCI_P2PDMA */
#define PB_KCONFIG_MOVE_NOTIFY	(1ULL << 1)	/* CONFIG_DMABUF_MOVE_NOTIFY */
#define PB_KCONFIG_IOMMU	(1ULL << 2)	/* CONFIG_IOMMU_API */
#define PB_KCONFIG_IB_UMEM	(1ULL << 3)	/* CONFIG_INFINIBAND_USER_MEM */
};
int pb_get_info(struct pb_ctx *ctx, struct pb_info *out);

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
	uint32_t comp_mask;
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
	uint32_t comp_mask;
	enum pb_buf_type type;
	int fd;			/* PB_BUF_DMABUF */
	uint64_t offset;	/* PB_BUF_DMABUF */
	void *addr;		/* PB_BUF_VA: peer mapping or ordinary memory */
};

/* What a copy did. */
struct pb_copy_result {
	uint32_t comp_mask;
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
 * Can @importer reach memory of @exporter, and how?  Each is a region name,
 * a PCI device ("dddd:bb:dd.f" or "bb:dd.f") or the name of a device class
 * entry with a PCI parent (an RDMA device "mlx5_0", a DMA channel
 * "dma0chan0", "card0", "nvme0", a network interface).  The verdict is the
 * one every peerbridge data path reaches for the pair right now.
 */
enum pb_path {
	PB_PATH_X,	/* the same device */
	PB_PATH_PIX,	/* one PCIe switch */
	PB_PATH_PXB,	/* several switches, below the host bridge */
	PB_PATH_PHB,	/* through a host bridge */
	PB_PATH_NODE,	/* between host bridges of one NUMA node */
	PB_PATH_SYS,	/* between NUMA nodes */
};
enum pb_map {
	PB_MAP_NONE,		/* refused: data paths fail with EXDEV */
	PB_MAP_BUS,		/* PCI bus address, turning around in a bridge */
	PB_MAP_HOST_BRIDGE,	/* through the host bridge (and the IOMMU) */
};
struct pb_path_info {
	uint32_t comp_mask;
	char exporter[16];	/* the PCI devices, "dddd:bb:dd.f" */
	char importer[16];
	char common[16];	/* the bridge both are below, or "" */
	enum pb_path path;
	enum pb_map map;
	unsigned int distance;	/* hops to the common bridge, both sides */
	unsigned int reason;	/* what decided: PB_REASON_* */
#define PB_REASON_SAME_DEVICE		1
#define PB_REASON_COMMON_BRIDGE		2
#define PB_REASON_HB_ALLOWED		3	/* host_bridge=allow */
#define PB_REASON_HB_WHITELISTED	4	/* auto: a root complex known to route it */
#define PB_REASON_HB_CPU		5	/* auto: AMD Zen or later */
#define PB_REASON_HB_DENIED		6	/* host_bridge=deny */
#define PB_REASON_HB_UNKNOWN		7	/* auto: root complex not known to route it */
#define PB_REASON_HB_NOT_SAME		8	/* auto: it routes only within one host bridge */
#define PB_REASON_HB_NOT_PCI		9	/* auto: the importer is not on PCI */
	unsigned int flags;
#define PB_PATH_ACS_REDIRECT	(1U << 0)	/* a bridge on the path redirects upstream */
#define PB_PATH_NO_COMMON	(1U << 1)	/* no common bridge below the host bridge */
#define PB_PATH_HOST_BRIDGES	(1U << 2)	/* below different host bridges */
#define PB_PATH_NUMA		(1U << 3)	/* on different NUMA nodes */
#define PB_PATH_IOMMU		(1U << 4)	/* the importer's addresses are IOVAs */
#define PB_PATH_IOMMU_PT	(1U << 5)	/* the importer's IOMMU passes through */
#define PB_PATH_NOT_PCI		(1U << 6)	/* the importer is not on PCI */
#define PB_PATH_DEEP		(1U << 7)	/* deeper than the 12 bridges looked at */
#define PB_PATH_UNREAD		(1U << 8)	/* a bridge's ACS could not be read: taken as redirect */
	char host_bridge[8];	/* the policy in force: auto, allow, deny */
	unsigned int nr_acs;	/* bridges with ACS redirect on the path */
	char acs[8][16];	/* the first of them */
	char reason_text[256];	/* why, in one sentence */
	char fix[512];		/* what to change, or "" */
};
int pb_check(struct pb_ctx *ctx, const char *exporter, const char *importer,
	     struct pb_path_info *out);
/* "X", "PIX", ... and "none", "bus", "host-bridge" (NULL if out of range) */
const char *pb_path_name(enum pb_path path);
const char *pb_map_name(enum pb_map map);

/*
 * A message for an errno value as this thread's last peerbridge call meant
 * it (ENOENT from pb_open() is a module that is not loaded, from pb_query()
 * a range that is not peer memory); after a failed call that knows more
 * (pb_reg_mr() on a NIC without dma-buf support), that call's own
 * sentence.  Static or per-thread storage: valid until the thread's next
 * peerbridge call.
 */
const char *pb_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif /* PEERBRIDGE_H */
