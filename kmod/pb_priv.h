/* SPDX-License-Identifier: GPL-2.0 */
/*
 * peerbridge.ko private header: the objects every file of the module shares.
 * docs/lifetime.md states the rules in prose.
 *
 * A region is one window of a PCI BAR (a whole prefetchable BAR, or an NVMe
 * controller memory buffer).  The region object owns everything about the
 * window's lifetime (region.c):
 *
 *  - references: the embedded struct device.  The creator, every open file
 *    of its node, every export, importer mapping and device mapping, and
 *    everything a p2p_resolve callback hands out hold one.  The object is
 *    freed on the last put, long after the device may be gone.
 *  - validity: @mem_lock plus @state (live -> revoking -> revoked).  Faults
 *    and new device mappings take @mem_lock for read and proceed only while
 *    live; revocation takes it for write to leave the live state, zaps every
 *    CPU mapping through @inode's address_space, revokes dma-bufs and
 *    invalidates importers, then waits (bounded) for @pins to drain.  Every
 *    later revoker waits on @state_wq for the first to finish.
 *  - pins: one per device mapping (peerbridge_region_map()).  Every unmap
 *    bumps @unmaps and wakes @pins_wq, which is what drain waits sleep on.
 *  - the claim on the window in the iomem tree (claim.c): held until the
 *    region is revoked and the last pin is gone, and kept reserved even
 *    when the PCI device itself is removed meanwhile.
 */
#ifndef _PB_PRIV_H
#define _PB_PRIV_H

#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/dma-buf.h>
#include <linux/dma-direction.h>
#include <linux/list.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/rwsem.h>
#include <linux/wait.h>

#include <linux/peerbridge.h>

#define PB_NAME "peerbridge"

enum pb_region_state {
	PB_REGION_LIVE,
	PB_REGION_REVOKING,
	PB_REGION_REVOKED,
};

/* A remembered topology verdict; good only for the generations it names. */
struct pb_verdict_slot {
	struct pci_dev *importer;	/* a key, never dereferenced */
	u32 policy;			/* policy generation and policy */
	u32 pci_gen;			/* PCI device generation */
	enum peerbridge_path path;
};

struct peerbridge_region {
	struct device dev;		/* class pbmem, holds the refcount */
	struct cdev cdev;
	struct inode *inode;		/* its i_mapping links every mmap */
	struct rw_semaphore mem_lock;	/* "memory valid" */
	enum pb_region_state state;	/* written under mem_lock */
	wait_queue_head_t state_wq;	/* woken when state becomes revoked */
	struct pci_dev *pdev;		/* referenced for the region's life */
	int bar;
	resource_size_t offset;		/* of the window within the BAR */
	resource_size_t size;
	phys_addr_t phys;		/* CPU physical address of the window */
	bool wc;			/* map write-combining */
	bool wc_reserved;		/* WC memtype held, until revocation */
	struct list_head node;		/* on pb_regions, under pb_regions_lock */

	/* DMA access: every live mapping for a device holds a pin */
	atomic_t pins;
	atomic_t unmaps;		/* bumped by every unmap */
	wait_queue_head_t pins_wq;	/* woken by every unmap */
	struct mutex exports_lock;
	struct list_head exports;	/* struct pb_export, under exports_lock */
	atomic_t nr_exports;
	atomic_t nr_attachments;

	/* importer mappings (peerbridge_map_user), invalidated on revoke */
	struct mutex importers_lock;
	struct list_head importers;

	/* topology verdicts for recent importers (topology.c) */
	spinlock_t verdict_lock;
	struct pb_verdict_slot verdicts[4];	/* under verdict_lock */
	unsigned int verdict_next;		/* under verdict_lock */

	/* the exporting driver's policy; cleared when revocation starts */
	const struct peerbridge_exporter_ops *ops;
	void *priv;

	/* the window's claim in the iomem tree: claim.c, under pb_claim_lock */
	struct resource claim;		/* a child of the BAR's resource */
	struct resource *tomb;		/* the BAR's range, after PCI removal */
	bool claimed;
	struct list_head claim_node;	/* on the claimed list */
};

/*
 * A peer VMA subrange, as its exporter resolved it (pb_walk_peer_range()):
 * page aligned, one contiguous run of one region.  The walker holds the
 * region reference while the span callback runs.
 */
struct pb_peer_span {
	struct vm_area_struct *vma;
	const struct peerbridge_peer_ops *ops;
	struct peerbridge_region *region;
	unsigned long start, end;	/* user addresses */
	u64 offset;			/* of @start within the region */
};

typedef int (*pb_span_fn)(const struct pb_peer_span *span, void *arg);

static inline struct peerbridge_region *to_pb_region(struct device *dev)
{
	return container_of(dev, struct peerbridge_region, dev);
}

/* main.c: ioctl argument copying, shared by every ioctl */
int pb_copy_arg_in(void *karg, size_t ksize, size_t minsz, void __user *uarg);
int pb_copy_arg_out(void __user *uarg, void *karg, size_t ksize);

static inline bool pb_ranges_overlap(u64 a, u64 alen, u64 b, u64 blen)
{
	return a < b + blen && b < a + alen;
}

/* region.c */
int pb_region_init(void);
void pb_region_exit(void);
unsigned int pb_region_count(void);
const char *pb_region_state_name(enum pb_region_state state);
int pb_region_pin(struct peerbridge_region *region, struct device *importer,
		  u64 offset, u64 len, enum peerbridge_path path,
		  dma_addr_t *addr);
void pb_region_unpin(struct peerbridge_region *region);
bool pb_region_live(struct peerbridge_region *region);
int pb_revoke_seq_begin(void);
bool pb_revoke_seq_changed(int seq);
/* how often a resolve is retried when range revocations keep racing it */
#define PB_RESOLVE_TRIES	8

/* claim.c */
int pb_claim_init(void);
void pb_claim_exit(void);
int pb_claim_take(struct peerbridge_region *region);
void pb_claim_release(struct peerbridge_region *region);

/* kmem.c: bytes held per dma-buf object, for debugfs peerbridge/kmem */
enum pb_kmem_kind {
	PB_KMEM_EXPORT,
	PB_KMEM_ATTACH,
	PB_KMEM_MAP,
	PB_KMEM_KINDS
};

void pb_kmem_charge(enum pb_kmem_kind kind, size_t bytes);
void pb_kmem_uncharge(enum pb_kmem_kind kind, size_t bytes);
void pb_kmem_init(void);
void pb_kmem_exit(void);

/* topology.c */
int pb_topology_init(void);
void pb_topology_exit(void);
int pb_topology_path(struct peerbridge_region *region,
		     struct device *importer, enum peerbridge_path *path);
long pb_ioctl_check(void __user *uarg);

/* vma_callbacks.c */
const struct peerbridge_peer_ops *pb_peer_ops_lookup(struct vm_area_struct *vma);
int pb_walk_peer_range(struct mm_struct *mm, u64 addr, u64 len,
		       pb_span_fn fn, void *arg);

/* query.c */
long pb_ioctl_query(void __user *uarg);

/* dmabuf.c: one export, the dma-buf's priv */
struct pb_export_range {
	u64 offset;
	u64 len;
};

struct pb_export {
	struct peerbridge_region *region;	/* holds a reference */
	struct dma_buf *dmabuf;
	/*
	 * The dma-buf file's inode, referenced: the last close frees the
	 * file's own reference before our release can take the export off
	 * region->exports, while revocation may still be walking it.
	 */
	struct inode *inode;
	struct list_head node;		/* on region->exports */
	bool rdonly;
	bool revoked;			/* under dmabuf->resv */
	atomic_t maps;			/* live scatterlists */
	unsigned int nr_ranges;
	struct pb_export_range *ranges;
	pid_t pid;			/* who exported it */
	size_t kmem;			/* charged to PB_KMEM_EXPORT */
};

/* dmabuf.c */
long pb_ioctl_export(void __user *uarg);
void pb_dmabuf_revoke(struct peerbridge_region *region, u64 offset, u64 len);
/* dmabuf_mmap.c: CPU mappings of an export */
int pb_dmabuf_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma);
void pb_dmabuf_zap(struct pb_export *exp);
bool pb_dmabuf_drained(struct peerbridge_region *region, u64 offset, u64 len);
ssize_t pb_dmabuf_holders(struct peerbridge_region *region, char *buf,
			  ssize_t at);

/* copy.c */
long pb_ioctl_copy(void __user *uarg);

/* mmap.c */
extern const struct file_operations pb_region_fops;
int pb_mmap_init(void);
void pb_mmap_exit(void);
struct inode *pb_mmap_alloc_inode(void);

/* importer.c */
void pb_importers_invalidate(struct peerbridge_region *region, u64 offset,
			     u64 len);
bool pb_importers_drained(struct peerbridge_region *region, u64 offset,
			  u64 len);
ssize_t pb_importers_holders(struct peerbridge_region *region, char *buf,
			     ssize_t at);
/* peerbridge_map_user(), but -EWOULDBLOCK and sets *contended if the mmap lock is not free */
struct peerbridge_mapping *
pb_map_user_nowait(struct mm_struct *mm, unsigned long addr, u64 len,
		   struct device *dev, bool write,
		   const struct peerbridge_importer_ops *ops, void *priv,
		   bool *contended);

#endif /* _PB_PRIV_H */
