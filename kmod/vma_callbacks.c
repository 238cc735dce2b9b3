// SPDX-License-Identifier: GPL-2.0
/*
 * Peer callbacks: the "special VMA" contract.  A driver attaches
 * p2p_map/p2p_unmap to its vm_operations_struct; anyone holding a user
 * address range can then ask the VMA itself for DMA addresses for a given
 * importer device, with no struct page and no GUP.  This file holds the
 * registry, the VMA-range walker EXPORT, QUERY and COPY share, the
 * region-level mapping that the generic exporter's callbacks use, and the
 * QUERY ioctl.
 */
#include <linux/dma-mapping.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <uapi/peerbridge.h>

#include "pb_priv.h"

struct pb_peer_entry {
	struct list_head node;
	const struct vm_operations_struct *vm_ops;
	const struct peerbridge_peer_ops *ops;
};

static LIST_HEAD(pb_peer_entries);
static DEFINE_MUTEX(pb_peer_lock);

/* kernel-doc for the exported functions: <linux/peerbridge.h> */
int peerbridge_register_peer_ops(const struct vm_operations_struct *vm_ops,
				 const struct peerbridge_peer_ops *ops)
{
	struct pb_peer_entry *e, *pos;
	int ret = 0;

	if (!vm_ops || !ops || !ops->p2p_map || !ops->p2p_unmap ||
	    !ops->vma_region)
		return -EINVAL;
	e = kzalloc(sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	e->vm_ops = vm_ops;
	e->ops = ops;

	mutex_lock(&pb_peer_lock);
	list_for_each_entry(pos, &pb_peer_entries, node)
		if (pos->vm_ops == vm_ops)
			ret = -EEXIST;
	if (!ret)
		list_add_tail(&e->node, &pb_peer_entries);
	mutex_unlock(&pb_peer_lock);
	if (ret)
		kfree(e);
	return ret;
}
EXPORT_SYMBOL_GPL(peerbridge_register_peer_ops);

void peerbridge_unregister_peer_ops(const struct vm_operations_struct *vm_ops)
{
	struct pb_peer_entry *e, *tmp;

	mutex_lock(&pb_peer_lock);
	list_for_each_entry_safe(e, tmp, &pb_peer_entries, node)
		if (e->vm_ops == vm_ops) {
			list_del(&e->node);
			kfree(e);
		}
	mutex_unlock(&pb_peer_lock);
}
EXPORT_SYMBOL_GPL(peerbridge_unregister_peer_ops);

/* The peer callbacks of a VMA, or NULL if it is ordinary memory. */
const struct peerbridge_peer_ops *pb_peer_ops_lookup(struct vm_area_struct *vma)
{
	const struct peerbridge_peer_ops *ops = NULL;
	struct pb_peer_entry *e;

	lockdep_assert_held(&vma->vm_mm->mmap_lock);
	if (!vma->vm_ops)
		return NULL;
	mutex_lock(&pb_peer_lock);
	list_for_each_entry(e, &pb_peer_entries, node)
		if (e->vm_ops == vma->vm_ops)
			ops = e->ops;
	mutex_unlock(&pb_peer_lock);
	return ops;
}

/*
 * Resolve [addr, addr + len) of @mm into peer spans and call @fn on each,
 * in address order.  Validation is done in a first pass, so @fn runs only
 * when the whole range is good:
 *  -EINVAL  len 0, overflow, a hole, peer and ordinary memory mixed, or
 *           spans of two different regions;
 *  -ENOENT  no peer memory at all.
 */
int pb_walk_peer_range(struct mm_struct *mm, u64 addr, u64 len,
		       pb_span_fn fn, void *arg)
{
	struct pb_peer_span span;
	struct peerbridge_region *region = NULL;
	bool peer = false, plain = false;
	int pass, ret;
	u64 end, cur;

	lockdep_assert_held(&mm->mmap_lock);
	if (!len || check_add_overflow(addr, len, &end) || end > TASK_SIZE)
		return -EINVAL;

	for (pass = 0; pass < 2; pass++) {
		for (cur = addr; cur < end; cur = span.end) {
			struct vm_area_struct *vma = find_vma(mm, cur);

			if (!vma || vma->vm_start > cur)
				return -EINVAL;		/* a hole */
			span.vma = vma;
			span.start = cur;
			span.end = min_t(u64, end, vma->vm_end);
			span.ops = pb_peer_ops_lookup(vma);
			if (!span.ops) {
				plain = true;
				continue;
			}
			peer = true;
			span.region = span.ops->vma_region(vma);
			if (region && span.region != region)
				return -EINVAL;		/* two regions */
			region = span.region;
			span.offset = ((u64)vma->vm_pgoff << PAGE_SHIFT) +
				      (cur - vma->vm_start);
			if (pass) {
				ret = fn(&span, arg);
				if (ret)
					return ret;
			}
		}
		if (!peer)
			return -ENOENT;
		if (plain)
			return -EINVAL;
		if (!fn)
			return 0;
	}
	return 0;
}

/*
 * Take a pin, and the exporter's policy with it: fails once revocation has
 * started.  The pin keeps revocation (and so the exporter's module) waiting
 * while the policy runs.
 */
static int pb_region_pin(struct peerbridge_region *region,
			 const struct peerbridge_exporter_ops **ops,
			 void **priv)
{
	int ret = 0;

	down_read(&region->mem_lock);
	if (region->state == PB_REGION_LIVE) {
		atomic_inc(&region->pins);
		*ops = region->ops;
		*priv = region->priv;
	} else {
		ret = -ENODEV;
	}
	up_read(&region->mem_lock);
	return ret;
}

int peerbridge_region_map(struct peerbridge_region *region,
			  struct device *importer, u64 offset, u64 len,
			  enum dma_data_direction dir,
			  struct peerbridge_seg *seg)
{
	const struct peerbridge_exporter_ops *ops;
	enum peerbridge_path path;
	dma_addr_t addr;
	void *priv;
	int ret;

	if (!len || offset >= region->size || len > region->size - offset)
		return -EINVAL;
	path = pb_topology_path(region->pdev, importer);
	if (path == PEERBRIDGE_PATH_NONE)
		return -EXDEV;
	ret = pb_region_pin(region, &ops, &priv);
	if (ret)
		return ret;

	addr = pci_bus_address(region->pdev, region->bar) + region->offset +
	       offset;
	if (path == PEERBRIDGE_PATH_HOST_BRIDGE) {
		addr = dma_map_resource(importer, region->phys + offset, len,
					dir, 0);
		if (dma_mapping_error(importer, addr)) {
			ret = -EIO;
			goto err_unpin;
		}
	}
	/* the exporting device decides, last */
	if (ops && ops->p2p_policy) {
		ret = ops->p2p_policy(priv, importer, offset, len, path, &addr);
		if (ret)
			goto err_unmap_resource;
	}

	get_device(&region->dev);
	seg->addr = addr;
	seg->len = len;
	seg->path = path;
	seg->dir = dir;
	seg->importer = importer;
	seg->region = region;
	return 0;

err_unmap_resource:
	if (path == PEERBRIDGE_PATH_HOST_BRIDGE)
		dma_unmap_resource(importer, addr, len, dir, 0);
err_unpin:
	pb_region_unpin(region);
	return ret;
}
EXPORT_SYMBOL_GPL(peerbridge_region_map);

void peerbridge_region_unmap(struct peerbridge_seg *seg)
{
	struct peerbridge_region *region = seg->region;

	if (seg->path == PEERBRIDGE_PATH_HOST_BRIDGE)
		dma_unmap_resource(seg->importer, seg->addr, seg->len,
				   seg->dir, 0);
	seg->region = NULL;
	pb_region_unpin(region);
	put_device(&region->dev);
}
EXPORT_SYMBOL_GPL(peerbridge_region_unmap);

/* The generic exporter's peer callbacks: its VMAs map one region each. */
static int pb_region_p2p_map(struct vm_area_struct *vma,
			     struct device *importer, unsigned long start,
			     unsigned long end, bool write, struct peerbridge_seg *seg)
{
	struct peerbridge_region *region = vma->vm_private_data;
	u64 offset;

	lockdep_assert_held(&vma->vm_mm->mmap_lock);
	if (start < vma->vm_start || end > vma->vm_end || start >= end)
		return -EINVAL;
	if (write && !(vma->vm_flags & VM_WRITE))
		return -EACCES;
	offset = ((u64)vma->vm_pgoff << PAGE_SHIFT) + (start - vma->vm_start);
	return peerbridge_region_map(region, importer, offset, end - start,
				 write ? DMA_FROM_DEVICE : DMA_TO_DEVICE, seg);
}

static struct peerbridge_region *pb_region_vma_region(struct vm_area_struct *vma)
{
	return vma->vm_private_data;
}

static const struct peerbridge_peer_ops pb_region_peer_ops = {
	.p2p_map = pb_region_p2p_map,
	.p2p_unmap = peerbridge_region_unmap,
	.vma_region = pb_region_vma_region,
};

struct pb_query_acc {
	struct peerbridge_query *q;
	bool first;
};

static int pb_query_span(const struct pb_peer_span *span, void *arg)
{
	struct pb_query_acc *acc = arg;
	struct peerbridge_query *q = acc->q;
	struct peerbridge_region *region = span->region;

	if (acc->first) {
		acc->first = false;
		q->offset = span->offset;
		q->region_size = region->size;
		q->bar_offset = region->offset;
		q->bar = region->bar;
		q->out_flags = region->wc ? PEERBRIDGE_QUERY_WC : 0;
		strscpy_pad(q->region, dev_name(&region->dev), sizeof(q->region));
		strscpy_pad(q->device, pci_name(region->pdev), sizeof(q->device));
	}
	if (!(span->vma->vm_flags & VM_WRITE))
		q->out_flags |= PEERBRIDGE_QUERY_RDONLY;
	return 0;
}

long pb_ioctl_query(void __user *uarg)
{
	struct peerbridge_query q;
	struct pb_query_acc acc = { .q = &q, .first = true };
	int ret;

	ret = pb_copy_arg_in(&q, sizeof(q),
			     offsetofend(struct peerbridge_query, reserved),
			     uarg);
	if (ret)
		return ret;
	if (q.flags || q.reserved)
		return -EINVAL;

	mmap_read_lock(current->mm);
	ret = pb_walk_peer_range(current->mm, q.addr, q.len, pb_query_span,
				 &acc);
	mmap_read_unlock(current->mm);
	if (ret)
		return ret;

	return pb_copy_arg_out(uarg, &q, sizeof(q));
}

int pb_vma_callbacks_init(void)
{
	return peerbridge_register_peer_ops(&pb_vm_ops, &pb_region_peer_ops);
}

void pb_vma_callbacks_exit(void)
{
	peerbridge_unregister_peer_ops(&pb_vm_ops);
}
