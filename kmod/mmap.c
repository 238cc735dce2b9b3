// SPDX-License-Identifier: GPL-2.0
/*
 * CPU mappings of a region: the /dev/pbmem/<name> file operations, the
 * fault handler that is the only source of PTEs, the peer callbacks of
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

static vm_fault_t pb_vm_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct peerbridge_region *region = vma->vm_private_data;
	unsigned long pgoff = vma->vm_pgoff +
			      ((vmf->address - vma->vm_start) >> PAGE_SHIFT);
	vm_fault_t ret = VM_FAULT_SIGBUS;

	down_read(&region->mem_lock);
	if (region->state == PB_REGION_LIVE &&
	    pgoff < (region->size >> PAGE_SHIFT))
		ret = vmf_insert_pfn(vma, vmf->address,
				     PHYS_PFN(region->phys) + pgoff);
	up_read(&region->mem_lock);
	return ret;
}

/*
 * No .page_mkwrite: there is nothing to track for device memory, and its
 * presence would make GUP treat the VMA as needing dirty tracking.
 */
static const struct vm_operations_struct pb_vm_ops = {
	.fault = pb_vm_fault,
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
	int ret = 0;

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

	down_read(&region->mem_lock);
	if (region->state != PB_REGION_LIVE) {
		ret = -ENODEV;
		goto out_unlock;
	}
	vma->vm_private_data = region;
	vma->vm_ops = &pb_vm_ops;
	vma->vm_page_prot = region->wc ?
			    pgprot_writecombine(vma->vm_page_prot) :
			    pgprot_noncached(vma->vm_page_prot);
	pb_vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND |
			     VM_DONTDUMP | VM_DONTCOPY);
out_unlock:
	up_read(&region->mem_lock);
	return ret;
}

const struct file_operations pb_region_fops = {
	.owner = THIS_MODULE,
	.open = pb_region_open,
	.release = pb_region_release,
	.mmap = pb_region_mmap,
	.llseek = noop_llseek,
};
