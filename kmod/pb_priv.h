/* SPDX-License-Identifier: GPL-2.0 */
/*
 * peerbridge.ko private header: the objects every file of the module shares.
 *
 * A region is one window of a PCI BAR (a whole prefetchable BAR, or an NVMe
 * controller memory buffer) that user space maps through /dev/pbmem/<name>.
 * Its lifetime and its "memory valid" state are separate things:
 *
 *  - lifetime: a refcount (the embedded struct device).  The exporter that
 *    created the region, every open file of its node, and the pbmem class
 *    hold references.  The memory is freed on the last put.
 *  - validity: @mem_lock plus @state.  Faults take @mem_lock for read and
 *    insert PTEs only while the region is live; revocation takes it for
 *    write, marks the region revoked and zaps every CPU mapping through
 *    the address_space of @inode, which every mmap of the region links to.
 *    After revocation the BAR may go away while files and VMAs still hold
 *    the (now inert) region.
 *  - the window's claim in the iomem tree: held from creation until the
 *    region is revoked and the last device mapping (@pins) is gone, so no
 *    other driver can take memory a device may still DMA to.
 */
#ifndef _PB_PRIV_H
#define _PB_PRIV_H

#include <linux/cdev.h>
#include <linux/device.h>
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

struct peerbridge_region {
	struct device dev;		/* class pbmem, holds the refcount */
	struct cdev cdev;
	struct inode *inode;		/* its i_mapping links every mmap */
	struct rw_semaphore mem_lock;	/* "memory valid" */
	enum pb_region_state state;
	struct pci_dev *pdev;		/* referenced for the region's life */
	int bar;
	resource_size_t offset;		/* of the window within the BAR */
	resource_size_t size;
	phys_addr_t phys;		/* CPU physical address of the window */
	bool wc;			/* map write-combining */
	struct list_head node;		/* on pb_regions, under pb_regions_lock */

	/* DMA access: every live mapping for a device holds a pin */
	atomic_t pins;
	wait_queue_head_t pins_wq;	/* woken when pins drops to 0 */
	struct mutex exports_lock;
	struct list_head exports;	/* struct pb_export, under exports_lock */
	atomic_t nr_exports;
	atomic_t nr_attachments;

	/* importer mappings (peerbridge_map_user), invalidated on revoke */
	struct mutex importers_lock;
	struct list_head importers;

	/* the exporting driver's policy; cleared when revocation starts */
	const struct peerbridge_exporter_ops *ops;
	void *priv;

	/*
	 * 1 while the window is claimed (request_mem_region): from creation
	 * until the region is revoked and no device holds a mapping of it.
	 */
	atomic_t claimed;
};

/* A peer VMA subrange, as resolved by pb_walk_peer_range(). */
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

/* region.c */
int pb_region_init(void);
void pb_region_exit(void);
unsigned int pb_region_count(void);
const char *pb_region_state_name(enum pb_region_state state);
void pb_region_unpin(struct peerbridge_region *region);

/* topology.c */
enum peerbridge_path pb_topology_path(struct pci_dev *exporter,
				      struct device *importer);

/* vma_callbacks.c */
const struct peerbridge_peer_ops *pb_peer_ops_lookup(struct vm_area_struct *vma);
int pb_walk_peer_range(struct mm_struct *mm, u64 addr, u64 len,
		       pb_span_fn fn, void *arg);
long pb_ioctl_query(void __user *uarg);
int pb_vma_callbacks_init(void);
void pb_vma_callbacks_exit(void);

/* dmabuf.c */
long pb_ioctl_export(void __user *uarg);
void pb_dmabuf_revoke(struct peerbridge_region *region);
void pb_dmabuf_report_holders(struct peerbridge_region *region);

/* copy.c */
long pb_ioctl_copy(void __user *uarg);

/* mmap.c */
extern const struct file_operations pb_region_fops;
extern const struct vm_operations_struct pb_vm_ops;
int pb_mmap_init(void);
void pb_mmap_exit(void);
struct inode *pb_mmap_alloc_inode(void);

/* importer.c */
void pb_importers_invalidate(struct peerbridge_region *region);

#endif /* _PB_PRIV_H */
