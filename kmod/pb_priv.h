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
 */
#ifndef _PB_PRIV_H
#define _PB_PRIV_H

#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/list.h>
#include <linux/pci.h>
#include <linux/rwsem.h>

#define PB_NAME "peerbridge"

enum pb_region_state {
	PB_REGION_LIVE,
	PB_REGION_REVOKING,
	PB_REGION_REVOKED,
};

struct pb_region {
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
};

static inline struct pb_region *to_pb_region(struct device *dev)
{
	return container_of(dev, struct pb_region, dev);
}

/* region.c */
int pb_region_init(void);
void pb_region_exit(void);
struct pb_region *pb_region_create(struct pci_dev *pdev, int bar,
				   resource_size_t offset,
				   resource_size_t size, const char *kind);
void pb_region_revoke(struct pb_region *region);
void pb_region_destroy(struct pb_region *region);
unsigned int pb_region_count(void);
const char *pb_region_state_name(enum pb_region_state state);

/* mmap.c */
extern const struct file_operations pb_region_fops;
int pb_mmap_init(void);
void pb_mmap_exit(void);
struct inode *pb_mmap_alloc_inode(void);

/* pci_exporter.c */
int pb_pci_exporter_init(void);
void pb_pci_exporter_exit(void);

#endif /* _PB_PRIV_H */
