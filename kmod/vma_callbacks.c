// SPDX-License-Identifier: GPL-2.0
/*
 * Peer callbacks: the "special VMA" contract.  A driver attaches
 * p2p_resolve/p2p_map/p2p_unmap to its vm_operations_struct; anyone
 * holding a user address range can then ask the VMA itself what memory it
 * is and which DMA addresses a given importer device should use, with no
 * struct page and no GUP.  This file is the registry of those callbacks
 * and the one range walker that EXPORT, QUERY, COPY and the importer API
 * share; what a span is, only its exporter says.
 */
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>

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

	if (!vm_ops || !ops || !ops->p2p_resolve || !ops->p2p_map ||
	    !ops->p2p_unmap)
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

/*
 * The peer callbacks of a VMA, or NULL if it is ordinary memory.  They
 * stay valid while the mmap lock is held: the VMA holds its file, whose
 * module cannot unregister them before the file is closed.
 */
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
 * Ask the exporter what [start, end) of @vma is: the region (referenced),
 * the offset of @start and how much is contiguous.  Anything it returns is
 * checked, and a revoked region is -ENODEV whoever the exporter is.
 */
static int pb_resolve(struct pb_peer_span *span, unsigned long end)
{
	struct peerbridge_span res = { };
	int ret;

	ret = span->ops->p2p_resolve(span->vma, span->start, end, &res);
	if (ret)
		return ret;
	if (!res.region || !res.len || !PAGE_ALIGNED(res.len) ||
	    !PAGE_ALIGNED(res.offset) || res.len > end - span->start ||
	    res.offset >= res.region->size ||
	    res.len > res.region->size - res.offset) {
		pr_err_ratelimited("peerbridge: %ps resolved %#lx-%#lx to an invalid span\n",
				   span->ops->p2p_resolve, span->start, end);
		if (res.region)
			peerbridge_region_put(res.region);
		return -EIO;
	}
	span->region = res.region;
	span->offset = res.offset;
	span->end = span->start + res.len;
	if (!pb_region_live(res.region)) {
		peerbridge_region_put(res.region);
		return -ENODEV;
	}
	return 0;
}

/*
 * Resolve [addr, addr + len) of @mm, rounded out to whole pages, into
 * spans and call @fn on each, in address order, with the span's region
 * referenced.  The range is validated in a first pass, so @fn runs only
 * when the whole range is good:
 *  -ENOENT  no peer memory at all (ordinary memory, or nothing mapped);
 *  -EINVAL  len 0, overflow, or peer memory together with a hole, ordinary
 *           memory or a second region;
 *  -ENODEV  the memory is gone (revoked region, freed buffer);
 *  or whatever the exporter's p2p_resolve returned.
 */
int pb_walk_peer_range(struct mm_struct *mm, u64 addr, u64 len,
		       pb_span_fn fn, void *arg)
{
	struct peerbridge_region *first = NULL;
	bool peer = false, other = false;
	struct pb_peer_span span;
	u64 start, end, cur;
	int pass, ret = 0;

	lockdep_assert_held(&mm->mmap_lock);
	if (!len || check_add_overflow(addr, len, &end) || end > TASK_SIZE)
		return -EINVAL;
	start = addr & PAGE_MASK;
	end = PAGE_ALIGN(end);

	for (pass = 0; pass < 2 && !ret; pass++) {
		for (cur = start; cur < end && !ret; cur = span.end) {
			struct vm_area_struct *vma = find_vma(mm, cur);

			span.start = cur;
			span.end = end;
			if (!vma || vma->vm_start > cur) {
				other = true;		/* a hole */
				if (vma)
					span.end = min_t(u64, end, vma->vm_start);
				continue;
			}
			span.vma = vma;
			span.end = min_t(u64, end, vma->vm_end);
			span.ops = pb_peer_ops_lookup(vma);
			if (!span.ops) {
				other = true;
				continue;
			}
			peer = true;
			ret = pb_resolve(&span, span.end);
			if (ret)
				break;
			if (!first)
				first = peerbridge_region_get(span.region);
			if (span.region != first)
				ret = -EINVAL;		/* two regions */
			else if (pass)
				ret = fn(&span, arg);
			peerbridge_region_put(span.region);
		}
		if (ret)
			break;
		if (!peer)
			ret = -ENOENT;
		else if (other)
			ret = -EINVAL;
		else if (!fn)
			break;
	}
	if (first)
		peerbridge_region_put(first);
	return ret;
}
