// SPDX-License-Identifier: GPL-2.0
/*
 * CPU mappings of a peerbridge dma-buf: mmap of the dma-buf fd, so that
 * one descriptor (received over a socket, say) can be both mapped and
 * handed to devices.  MAP_SHARED only; a read-only export maps read-only
 * and can never be made writable; the region's caching applies
 * (write-combining for a prefetchable BAR, whose memtype the region holds
 * while it is live); a raw BAR mapping, so not under kernel lockdown.
 *
 * PTEs come only from the fault handler, which maps the export's ranges of
 * the region while the region is live and the export not revoked, both
 * checked under the dma-buf's reservation lock and the region's mem_lock.
 * Revocation (of the region, or of a range the export covers) sets the
 * export revoked under the reservation lock and then zaps every PTE of the
 * dma-buf's file: a later touch raises SIGBUS.
 */
#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/mm.h>
#include <linux/security.h>

#include "pb_compat.h"
#include "pb_priv.h"

/* the region offset of byte @off of the export, false past its end */
static bool pb_export_region_offset(const struct pb_export *exp, u64 off,
				    u64 *region_off)
{
	unsigned int i;

	for (i = 0; i < exp->nr_ranges; i++) {
		if (off < exp->ranges[i].len) {
			*region_off = exp->ranges[i].offset + off;
			return true;
		}
		off -= exp->ranges[i].len;
	}
	return false;
}

static vm_fault_t pb_dmabuf_vm_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct pb_export *exp = vma->vm_private_data;
	struct peerbridge_region *region = exp->region;
	u64 off = ((u64)vma->vm_pgoff << PAGE_SHIFT) +
		  (vmf->address - vma->vm_start);
	vm_fault_t ret = VM_FAULT_SIGBUS;
	u64 region_off;

	/* revocation holds it across importers' move_notify: stay killable */
	if (dma_resv_lock_interruptible(exp->dmabuf->resv, NULL))
		return VM_FAULT_NOPAGE;	/* the signal first, then the fault again */
	down_read(&region->mem_lock);
	if (!exp->revoked && region->state == PB_REGION_LIVE &&
	    pb_export_region_offset(exp, off, &region_off))
		ret = vmf_insert_pfn(vma, vmf->address,
				     PHYS_PFN(region->phys + region_off));
	up_read(&region->mem_lock);
	dma_resv_unlock(exp->dmabuf->resv);
	return ret;
}

/* No .page_mkwrite, as for region nodes: nothing to track for a BAR. */
static const struct vm_operations_struct pb_dmabuf_vm_ops = {
	.fault = pb_dmabuf_vm_fault,
};

/* the dma-buf core checked the bounds, and the file's mode for PROT_WRITE */
int pb_dmabuf_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma)
{
	struct pb_export *exp = dmabuf->priv;
	int ret;

	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	/* also for an importer's dma_buf_mmap(), which has no file mode */
	if (exp->rdonly) {
		if (vma->vm_flags & VM_WRITE)
			return -EACCES;
		pb_vm_flags_clear(vma, VM_MAYWRITE);
	}
	ret = security_locked_down(LOCKDOWN_PCI_ACCESS);
	if (ret)
		return ret;
	/* a later revocation is seen by the faults; an earlier one here */
	if (READ_ONCE(exp->revoked) || !pb_region_live(exp->region))
		return -ENODEV;
	/* an importer's dma_buf_mmap() may hand over any VMA: PFNs only */
	pb_vm_flags_clear(vma, VM_MIXEDMAP);
	vma->vm_private_data = exp;	/* vm_file, the dma-buf's, holds it */
	vma->vm_ops = &pb_dmabuf_vm_ops;
	vma->vm_page_prot = exp->region->wc ?
			    pgprot_writecombine(vma->vm_page_prot) :
			    pgprot_noncached(vma->vm_page_prot);
	pb_vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP |
			     VM_DONTCOPY);
	return 0;
}

/* after the export is marked revoked: no PTE of it stays or comes back */
void pb_dmabuf_zap(struct pb_export *exp)
{
	unmap_mapping_range(exp->inode->i_mapping, 0, 0, 1);
}
