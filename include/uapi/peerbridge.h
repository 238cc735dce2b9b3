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
 *    argsz larger than a page is E2BIG;
 *  - structures grow only at the tail, behind a flag or a capability bit.
 *
 * The ioctls are issued on the control node /dev/peerbridge.
 */
#ifndef _UAPI_PEERBRIDGE_H
#define _UAPI_PEERBRIDGE_H

#include <linux/ioctl.h>
#include <linux/types.h>

/*
 * 0xC7 is unassigned in Documentation/userspace-api/ioctl/ioctl-number.rst.
 * ABI 1 used 0xB7, which nsfs (NSIO) and remoteproc also use: an ioctl
 * sent to the wrong file could then mean something there.
 */
#define PEERBRIDGE_TYPE		0xC7
#define PEERBRIDGE_BASE		0x40

/*
 * ABI version: the major number changes only on an incompatible change
 * (which this project promises never to make within a major); the minor
 * number counts compatible additions, and refinements of an errno value
 * that used to mean two things (portable callers read "ENXIO, or ENODEV
 * below 2.3" as COPY's "no channel").
 */
#define PEERBRIDGE_ABI_MAJOR	2
/* 1: EXPORT_REGION, dma-buf mmap; 2: CHECK; 3: COPY's ENXIO for no channel */
#define PEERBRIDGE_ABI_MINOR	3

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
#define PEERBRIDGE_CAP_EXPORT	(1ULL << 1) /* EXPORT, QUERY */
#define PEERBRIDGE_CAP_COPY	(1ULL << 2) /* COPY */
#define PEERBRIDGE_CAP_CHECK	(1ULL << 3) /* CHECK */
	__u32 nr_regions;	/* out: regions currently live */
	__u32 reserved;		/* in: must be 0 */
	__aligned_u64 kconfig;	/* out (ABI 2.2): how the running kernel is built */
#define PEERBRIDGE_KCONFIG_P2PDMA	(1ULL << 0) /* CONFIG_PCI_P2PDMA */
#define PEERBRIDGE_KCONFIG_MOVE_NOTIFY	(1ULL << 1) /* CONFIG_DMABUF_MOVE_NOTIFY */
#define PEERBRIDGE_KCONFIG_IOMMU	(1ULL << 2) /* CONFIG_IOMMU_API */
#define PEERBRIDGE_KCONFIG_IB_UMEM	(1ULL << 3) /* CONFIG_INFINIBAND_USER_MEM */
};

#define PEERBRIDGE_GET_INFO	_IO(PEERBRIDGE_TYPE, PEERBRIDGE_BASE + 0)

/**
 * PEERBRIDGE_EXPORT - _IO(PEERBRIDGE_TYPE, PEERBRIDGE_BASE + 1),
 *		       struct peerbridge_export
 *
 * Turn [addr, addr + len) of the caller's own peer mappings (mmaps of
 * /dev/pbmem/ regions, or of a driver that registered peer callbacks)
 * into a dma-buf.  The range may cover several mappings of one region; the
 * dma-buf has one scatterlist entry per contiguous run of the region.  It
 * keeps the region alive after the mappings and the region node are gone,
 * until the region is revoked, after which mapping it fails with ENODEV.
 * If any covered mapping is not writable, or RDONLY is asked for, the
 * export is read-only: importers may map it DMA_TO_DEVICE only.
 *
 * What a mapping maps is what its exporter says (its p2p_resolve callback),
 * never derived from the mmap offset.
 *
 * With PEERBRIDGE_EXPORT_REGION (ABI 2.1), no mapping is needed: @fd is an
 * open /dev/pbmem/ node and [addr, addr + len) an offset range of its
 * region; a node opened read-only exports read-only.
 *
 * The dma-buf can be mmap()ed, MAP_SHARED only and read-only if the export
 * is, with the region's caching; after revocation a touch raises SIGBUS.
 *
 * Return: 0 on success, -errno on failure:
 *  -EINVAL  argsz below v1, unknown flags, nonzero reserved, len 0, addr or
 *           len not page aligned, addr + len overflows, peer memory together
 *           with a hole or ordinary memory, or two regions; EXPORT_REGION:
 *           fd not a region node, or the range outside the region;
 *  -EBADF   EXPORT_REGION: fd not open (or an O_PATH descriptor);
 *  -EACCES  EXPORT_REGION: the node is not open for reading;
 *  -EPERM   EXPORT_REGION under kernel lockdown;
 *  -ENOENT  the range is not peer memory at all;
 *  -ENODEV  the region has been revoked, or the exporter says the memory is
 *           gone (a freed buffer object);
 *  -EAGAIN  revocations of parts of the region kept racing the export;
 *  -EMFILE  no descriptor is free.
 */
struct peerbridge_export {
	__u32 argsz;
	__u32 flags;
#define PEERBRIDGE_EXPORT_RDONLY	(1U << 0)
#define PEERBRIDGE_EXPORT_CLOEXEC	(1U << 1)
#define PEERBRIDGE_EXPORT_REGION	(1U << 2)	/* fd + offset, no mapping */
	__aligned_u64 addr;	/* in: user address, or region offset */
	__aligned_u64 len;
	__s32 fd;		/* in: the region node (EXPORT_REGION); out: the dma-buf */
	__u32 out_flags;	/* out: PEERBRIDGE_EXPORT_RDONLY if read-only */
	__aligned_u64 reserved;	/* in: must be 0 */
};

#define PEERBRIDGE_EXPORT	_IO(PEERBRIDGE_TYPE, PEERBRIDGE_BASE + 1)

/**
 * PEERBRIDGE_QUERY - _IO(PEERBRIDGE_TYPE, PEERBRIDGE_BASE + 2),
 *		      struct peerbridge_query
 *
 * Say what peer memory [addr, addr + len) of the caller's address space is.
 * No side effects.
 *
 * Return: 0 on success, -errno on failure:
 *  -EINVAL  argsz below v1, flags or reserved nonzero, len 0, overflow, peer
 *           memory together with a hole or ordinary memory, two regions;
 *  -ENOENT  the range is not peer memory;
 *  -ENODEV  the region has been revoked, or the memory is gone.
 */
struct peerbridge_query {
	__u32 argsz;
	__u32 flags;		/* in: must be 0 */
	__aligned_u64 addr;
	__aligned_u64 len;
	__aligned_u64 offset;		/* out: of addr within the region */
	__aligned_u64 region_size;	/* out */
	__aligned_u64 bar_offset;	/* out: of the region within its BAR */
	__u32 bar;			/* out */
	__u32 out_flags;		/* out: */
#define PEERBRIDGE_QUERY_WC		(1U << 0) /* mapped write-combining */
#define PEERBRIDGE_QUERY_RDONLY		(1U << 1) /* a mapping is read-only */
	char region[64];		/* out: region name, NUL-terminated */
	char device[32];		/* out: PCI device, "dddd:bb:dd.f" */
	__aligned_u64 reserved;		/* in: must be 0 */
};

#define PEERBRIDGE_QUERY	_IO(PEERBRIDGE_TYPE, PEERBRIDGE_BASE + 2)

/* One side of a COPY. */
struct peerbridge_copy_side {
	__u32 type;
#define PEERBRIDGE_SIDE_DMABUF	1	/* fd is a dma-buf, addr an offset */
#define PEERBRIDGE_SIDE_VA	2	/* addr is a user address */
	__s32 fd;
	__aligned_u64 addr;
};

/**
 * PEERBRIDGE_COPY - _IO(PEERBRIDGE_TYPE, PEERBRIDGE_BASE + 3),
 *		     struct peerbridge_copy
 *
 * Move len bytes from src to dst with a kernel dmaengine DMA_MEMCPY
 * channel, mapping each side for that channel's device: a dma-buf (ours or
 * any exporter's) is attached as a dynamic peer2peer importer; a user
 * address inside a peer mapping goes through the peer callbacks; other user
 * memory is pinned (FOLL_LONGTERM) and DMA-mapped.  Everything is checked
 * before the first byte moves.  On return @copied holds the bytes that are
 * known to have arrived, also when the call fails part way.  Revocation of
 * a side's memory while the copy runs cancels it: the DMA channel is
 * stopped before revocation completes, and the call fails with ENODEV.
 *
 * Return: 0 on success, -errno on failure:
 *  -EINVAL  argsz below v1, flags or reserved nonzero, bad side type, len 0,
 *           a side out of range or overflowing, a user range that mixes
 *           peer memory with ordinary memory or a hole, an fd that is not
 *           a dma-buf, an exporter's table shorter than its buffer;
 *  -EBADF   a side's fd is not open;
 *  -EOPNOTSUPP  a dma-buf exporter refuses peer-to-peer importers, or
 *           ordinary memory that may not be pinned long-term (fsdax);
 *  -EXDEV   no peer path between the engine taken and a side's device;
 *  -EACCES  dst is a read-only export or a dma-buf whose file is not open
 *           for writing, or src a dma-buf not open for reading;
 *  -EFAULT  a user range is not mapped, or for dst not mapped writable;
 *           ordinary memory that is device memory (VM_IO, VM_PFNMAP); dst
 *           in a shared file mapping whose filesystem tracks dirty pages;
 *  -ENOENT  a peer mapping was unmapped or replaced between windows;
 *  -EAGAIN  revocations of a side's region kept racing the copy;
 *  -ENXIO   no DMA_MEMCPY channel is free and no other copy holds one to
 *           wait for: the host has none, or other kernel users hold them
 *           all (ABI 2.3; ENODEV before);
 *  -EBUSY   every channel peerbridge may take stayed busy for 30 s;
 *  -ENODEV  a side's memory was revoked (before or during the copy), or
 *           the engine's driver went away while the copy waited for a
 *           page fault;
 *  -ENOMEM  no memory for the copy's tables, or the engine had no
 *           descriptor;
 *  -ETIMEDOUT  the engine did not complete (also an engine unbound during
 *           a transfer), or a dma-buf's other users did not finish with it
 *           within 30 s;
 *  -EIO     the engine reported an error, or an exporter's callbacks
 *           misbehaved;
 *  -EINTR   a signal arrived: a fatal one at any point, any signal while
 *           waiting for a dma-buf's other users or its reservation lock;
 *           the transfer was stopped.
 * An exporter's policy hook may refuse a side with its own errno (EPERM).
 */
struct peerbridge_copy {
	__u32 argsz;
	__u32 flags;			/* in: must be 0 */
	struct peerbridge_copy_side dst;
	struct peerbridge_copy_side src;
	__aligned_u64 len;
	__aligned_u64 copied;		/* out */
	__aligned_u64 dst_dma;		/* out: first DMA address written; */
	__aligned_u64 src_dma;		/* out: ... read; CAP_SYS_ADMIN only, else 0 */
	char channel[32];		/* out: dmaengine channel, e.g. dma0chan0 */
	char engine[32];		/* out: the channel's device */
	__aligned_u64 reserved;		/* in: must be 0 */
};

#define PEERBRIDGE_COPY		_IO(PEERBRIDGE_TYPE, PEERBRIDGE_BASE + 3)

/* A PCI function: domain, bus, device and function ("dddd:bb:dd.f"). */
struct peerbridge_pci_addr {
	__u32 domain;
	__u8 bus;
	__u8 devfn;		/* device << 3 | function */
	__u16 pad;		/* in: must be 0 */
};

/**
 * PEERBRIDGE_CHECK - _IO(PEERBRIDGE_TYPE, PEERBRIDGE_BASE + 4),
 *		      struct peerbridge_check
 *
 * Ask the topology policy how @importer would reach memory of @exporter
 * right now (with the host_bridge parameter as it is): the verdict every
 * data path (dma-buf attach, peer callbacks, the importer API, COPY) would
 * reach for the pair.  No side effects; grants nothing.  The facts are
 * read afresh (the data paths remember verdicts until a PCI device comes
 * or goes or the policy changes).  It tells any caller which bridges of a
 * path have ACS redirect on, as the verdict would tell anyway; it reads
 * nothing else of their extended config space, and no address.
 *
 * Return: 0 on success, -errno on failure:
 *  -EFAULT  the structure is not readable or writable;
 *  -EINVAL  argsz below v1, flags, pad or reserved nonzero;
 *  -E2BIG   argsz beyond the kernel's structure with a nonzero tail;
 *  -ENODEV  no such PCI device (or it was removed meanwhile).
 */
struct peerbridge_check {
	__u32 argsz;
	__u32 flags;			/* in: must be 0 */
	struct peerbridge_pci_addr exporter;	/* in */
	struct peerbridge_pci_addr importer;	/* in */
	struct peerbridge_pci_addr common;	/* out: the bridge both are below */
	__u32 path;			/* out: PEERBRIDGE_CHECK_PATH_* */
#define PEERBRIDGE_CHECK_PATH_X		0 /* the same device */
#define PEERBRIDGE_CHECK_PATH_PIX	1 /* one switch (or bridge) */
#define PEERBRIDGE_CHECK_PATH_PXB	2 /* several switches, no host bridge */
#define PEERBRIDGE_CHECK_PATH_PHB	3 /* through one host bridge */
#define PEERBRIDGE_CHECK_PATH_NODE	4 /* between host bridges, one NUMA node */
#define PEERBRIDGE_CHECK_PATH_SYS	5 /* between NUMA nodes */
	__u32 map;			/* out: PEERBRIDGE_CHECK_MAP_* */
#define PEERBRIDGE_CHECK_MAP_NONE	0 /* refused: EXDEV */
#define PEERBRIDGE_CHECK_MAP_BUS	1 /* PCI bus address */
#define PEERBRIDGE_CHECK_MAP_HOST_BRIDGE 2 /* dma_map_resource(): IOVA or CPU address */
	__u32 distance;			/* out: hops to the common bridge, both sides */
	__u32 reason;			/* out: PEERBRIDGE_REASON_*, what decided */
#define PEERBRIDGE_REASON_SAME_DEVICE	1 /* X: a device reaches its own BAR */
#define PEERBRIDGE_REASON_COMMON_BRIDGE	2 /* turns around below the host bridge */
#define PEERBRIDGE_REASON_HB_ALLOWED	3 /* host bridge: host_bridge=allow */
#define PEERBRIDGE_REASON_HB_WHITELISTED 4 /* host bridge: auto, known root complex */
#define PEERBRIDGE_REASON_HB_CPU	5 /* host bridge: auto, an AMD Zen or later CPU */
#define PEERBRIDGE_REASON_HB_DENIED	6 /* host bridge: host_bridge=deny */
#define PEERBRIDGE_REASON_HB_UNKNOWN	7 /* host bridge: auto, root complex not listed */
#define PEERBRIDGE_REASON_HB_NOT_SAME	8 /* auto: listed, but only within one host bridge */
#define PEERBRIDGE_REASON_HB_NOT_PCI	9 /* auto: the importer has no PCI device above it */
	__u32 facts;			/* out: PEERBRIDGE_FACT_* */
#define PEERBRIDGE_FACT_ACS_REDIRECT	(1U << 0) /* a bridge on the path redirects */
#define PEERBRIDGE_FACT_NO_COMMON	(1U << 1) /* no common bridge below the host bridge */
#define PEERBRIDGE_FACT_HOST_BRIDGES	(1U << 2) /* under different host bridges */
#define PEERBRIDGE_FACT_NUMA		(1U << 3) /* on different NUMA nodes */
#define PEERBRIDGE_FACT_ACS_TRUNCATED	(1U << 4) /* more redirecting bridges than acs[] holds */
#define PEERBRIDGE_FACT_DEEP		(1U << 5) /* a path deeper than peerbridge follows */
#define PEERBRIDGE_FACT_NOT_PCI		(1U << 6) /* the importer is not on PCI */
#define PEERBRIDGE_FACT_UNREAD		(1U << 7) /* an ACS read failed: taken as redirect */
	__u32 iommu;			/* out: the importer and an IOMMU */
#define PEERBRIDGE_IOMMU_NONE		0 /* none: DMA addresses are physical */
#define PEERBRIDGE_IOMMU_GROUP		1 /* in an IOMMU group (iommu_group/type) */
	__u32 host_bridge;		/* out: the policy in force */
#define PEERBRIDGE_HB_AUTO		0
#define PEERBRIDGE_HB_ALLOW		1
#define PEERBRIDGE_HB_DENY		2
	__u32 nr_acs;			/* out: bridges with ACS redirect on the path */
	struct peerbridge_pci_addr acs[8];	/* out: the first of them */
	__aligned_u64 reserved;		/* in: must be 0 */
};

#define PEERBRIDGE_CHECK	_IO(PEERBRIDGE_TYPE, PEERBRIDGE_BASE + 4)

#endif /* _UAPI_PEERBRIDGE_H */
