// SPDX-License-Identifier: GPL-2.0
/*
 * CPU mappings of a region: the /dev/pbmem/<name> file operations, the
 * fault handler that is the only source of PTEs (and, from 6.12, of 2 MiB
 * PMDs, with mappings placed to allow them), the peer callbacks of
 * those VMAs, and the private pseudo filesystem whose inodes give each
 * region one address_space, so that a single unmap_mapping_range() reaches
 * every mapping of the region in every process, whichever device node or
 * open file it came through.
 */
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/pseudo_fs.h>
#include <linux/security.h>

#include "pb_compat.h"
#include "pb_priv.h"

#define PB_FS_MAGIC 0x70626d6d	/* "pbmm" */

static struct vfsmount *pb_mnt;
static int pb_mnt_count;

static int pb_fs_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, PB_FS_MAGIC) ? 0 : -ENOMEM;
}

/*
 * No .owner: the mount pinned below would hold a reference on this module
 * and keep it from ever being unloaded.  The mount is released in module
 * exit, after every region (and so every inode) is gone.
 */
static struct file_system_type pb_fs_type = {
	.name = "peerbridge",
	.init_fs_context = pb_fs_init_fs_context,
	.kill_sb = kill_anon_super,
};

struct inode *pb_mmap_alloc_inode(void)
{
	return alloc_anon_inode(pb_mnt->mnt_sb);
}

/*
 * The only source of the region's page table entries: a PTE (@order 0) or,
 * where the kernel maps PFNs with PMDs (pb_compat.h), a PMD.  A PMD must
 * lie wholly inside the VMA and map a PMD-aligned physical address, else
 * the core falls back to PTEs for this fault.
 */
static vm_fault_t pb_vm_insert(struct vm_fault *vmf, unsigned int order)
{
	struct vm_area_struct *vma = vmf->vma;
	struct peerbridge_region *region = vma->vm_private_data;
	unsigned long size = PAGE_SIZE << order;
	unsigned long addr = ALIGN_DOWN(vmf->address, size);
	unsigned long pgoff = vma->vm_pgoff +
			      ((addr - vma->vm_start) >> PAGE_SHIFT);
	unsigned long pfn = PHYS_PFN(region->phys) + pgoff;
	vm_fault_t ret = VM_FAULT_SIGBUS;

	if (order && (addr < vma->vm_start || addr + size > vma->vm_end ||
		      !IS_ALIGNED(pfn, 1UL << order)))
		return VM_FAULT_FALLBACK;

	down_read(&region->mem_lock);
	if (region->state == PB_REGION_LIVE &&
	    pgoff + (1UL << order) <= (region->size >> PAGE_SHIFT))
		ret = order ? pb_insert_pfn_pmd(vmf, pfn) :
			      vmf_insert_pfn(vma, vmf->address, pfn);
	up_read(&region->mem_lock);
	return ret;
}

static vm_fault_t pb_vm_fault(struct vm_fault *vmf)
{
	return pb_vm_insert(vmf, 0);
}

#ifdef PB_HAVE_PMD_PFNMAP
/* PUD-sized ones too would need 1 GiB of BAR, aligned: not worth a lock */
static vm_fault_t pb_vm_huge_fault(struct vm_fault *vmf, unsigned int order)
{
	return order == PMD_ORDER ? pb_vm_insert(vmf, order) :
				    VM_FAULT_FALLBACK;
}
#endif

/*
 * No .page_mkwrite: there is nothing to track for device memory, and its
 * presence would make GUP treat the VMA as needing dirty tracking.
 */
static const struct vm_operations_struct pb_vm_ops = {
	.fault = pb_vm_fault,
#ifdef PB_HAVE_PMD_PFNMAP
	.huge_fault = pb_vm_huge_fault,
#endif
#ifdef CONFIG_HAVE_IOREMAP_PROT
	.access = generic_access_phys,	/* lets gdb and ptrace read it */
#endif
};

/*
 * The peer callbacks of these VMAs.  Here peerbridge is the exporter: a
 * VMA maps its region linearly from vm_pgoff, and the open file it holds
 * keeps the region object alive.
 */
static u64 pb_vma_offset(struct vm_area_struct *vma, unsigned long addr)
{
	return ((u64)vma->vm_pgoff << PAGE_SHIFT) + (addr - vma->vm_start);
}

static int pb_region_p2p_resolve(struct vm_area_struct *vma,
				 unsigned long start, unsigned long end,
				 struct peerbridge_span *span)
{
	struct peerbridge_region *region = vma->vm_private_data;

	lockdep_assert_held(&vma->vm_mm->mmap_lock);
	span->region = peerbridge_region_get(region);
	span->offset = pb_vma_offset(vma, start);
	span->len = end - start;
	return 0;
}

static int pb_region_p2p_map(struct vm_area_struct *vma,
			     struct device *importer, unsigned long start,
			     unsigned long end, bool write,
			     struct peerbridge_seg *seg)
{
	lockdep_assert_held(&vma->vm_mm->mmap_lock);
	if (write && !(vma->vm_flags & VM_WRITE))
		return -EACCES;
	return peerbridge_region_map(vma->vm_private_data, importer,
				     pb_vma_offset(vma, start), end - start,
				     write ? DMA_FROM_DEVICE : DMA_TO_DEVICE,
				     seg);
}

static const struct peerbridge_peer_ops pb_region_peer_ops = {
	.owner = THIS_MODULE,
	.p2p_resolve = pb_region_p2p_resolve,
	.p2p_map = pb_region_p2p_map,
	.p2p_unmap = peerbridge_region_unmap,
};

int pb_mmap_init(void)
{
	int ret;

	ret = simple_pin_fs(&pb_fs_type, &pb_mnt, &pb_mnt_count);
	if (ret)
		return ret;
	ret = peerbridge_register_peer_ops(&pb_vm_ops, &pb_region_peer_ops);
	if (ret)
		simple_release_fs(&pb_mnt, &pb_mnt_count);
	return ret;
}

void pb_mmap_exit(void)
{
	peerbridge_unregister_peer_ops(&pb_vm_ops);
	simple_release_fs(&pb_mnt, &pb_mnt_count);
}

static int pb_region_open(struct inode *inode, struct file *file)
{
	struct peerbridge_region *region = container_of(inode->i_cdev,
						struct peerbridge_region, cdev);

	get_device(&region->dev);
	file->private_data = region;
	/* every mapping of the region hangs off the region's own inode */
	file->f_mapping = region->inode->i_mapping;
	return 0;
}

static int pb_region_release(struct inode *inode, struct file *file)
{
	struct peerbridge_region *region = file->private_data;

	put_device(&region->dev);
	return 0;
}

static int pb_region_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct peerbridge_region *region = file->private_data;
	unsigned long npages = region->size >> PAGE_SHIFT;
	unsigned long len = vma->vm_end - vma->vm_start;
	int ret;

	/* VM_SHARED is cleared for a file opened read-only: MAYSHARE is not */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	/* a raw BAR mapping, as sysfs resourceN is: not under lockdown */
	ret = security_locked_down(LOCKDOWN_PCI_ACCESS);
	if (ret)
		return ret;
	/*
	 * In pages, so neither side can overflow.  (An offset + len that
	 * wraps 64 bits never gets here: the core refuses it with EOVERFLOW.)
	 */
	if (vma->vm_pgoff >= npages ||
	    (len >> PAGE_SHIFT) > npages - vma->vm_pgoff)
		return -EINVAL;

	/*
	 * Not under mem_lock: setting the flags write-locks the VMA, and a
	 * fault holds the VMA's lock while it takes mem_lock.  A revocation
	 * from here on finds no PTEs yet, and the fault handler refuses.
	 */
	if (!pb_region_live(region))
		return -ENODEV;
	vma->vm_private_data = region;
	vma->vm_ops = &pb_vm_ops;
	vma->vm_page_prot = region->wc ?
			    pgprot_writecombine(vma->vm_page_prot) :
			    pgprot_noncached(vma->vm_page_prot);
	pb_vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND |
			     VM_DONTDUMP | VM_DONTCOPY);
	return 0;
}

#ifdef PB_HAVE_PMD_PFNMAP
/*
 * Place a mapping so that its addresses and the physical addresses they map
 * agree modulo PMD_SIZE, as thp_get_unmapped_area() does for a file's
 * offsets: then each 2 MiB of the BAR the VMA covers whole takes one fault
 * and one PMD.  A hint the caller gives, or MAP_FIXED, still wins.
 */
static unsigned long pb_region_get_unmapped_area(struct file *file,
						 unsigned long addr,
						 unsigned long len,
						 unsigned long pgoff,
						 unsigned long flags)
{
	struct peerbridge_region *region = file->private_data;

	/* mmap() refuses it anyway; keep the arithmetic below in range */
	if (pgoff >= region->size >> PAGE_SHIFT)
		return mm_get_unmapped_area(current->mm, file, addr, len,
					    pgoff, flags);
	return thp_get_unmapped_area(file, addr, len,
				     PHYS_PFN(region->phys) + pgoff, flags);
}
#endif

const struct file_operations pb_region_fops = {
	.owner = THIS_MODULE,
	.open = pb_region_open,
	.release = pb_region_release,
	.mmap = pb_region_mmap,
#ifdef PB_HAVE_PMD_PFNMAP
	.get_unmapped_area = pb_region_get_unmapped_area,
#endif
	.llseek = noop_llseek,
};
