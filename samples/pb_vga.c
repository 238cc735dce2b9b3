// SPDX-License-Identifier: GPL-2.0
/*
 * pb_vga: a sample GPU-class driver adopting peerbridge's peer callbacks.
 *
 * It owns QEMU's VGA device (1234:1111), whose VRAM is prefetchable BAR0
 * (bound through driver_override, any device's first prefetchable BAR will
 * do as "VRAM"), and maps VRAM to user space through its own node
 * (/dev/pb_vga), its own mmap and fault handler — the way a GPU driver
 * already does.  Like a DRM
 * driver it hands out buffer objects at fake mmap offsets (pb_vga.h): a
 * buffer's VRAM can move or be freed while user space maps it, so what a
 * VMA maps is something only the driver knows.
 *
 * Adopting peerbridge takes four things, marked "peerbridge:" below: a
 * region over the VRAM window (no node: this driver maps it; the region
 * claims the window), peer callbacks attached to its vm_operations_struct
 * (p2p_resolve says which VRAM a range of a VMA is right now), revoking the
 * range of a buffer that moves or is freed, and revoking the region on
 * removal.  From then on EXPORT, QUERY, COPY and importer drivers work on
 * its mappings.
 *
 * Its policy hook refuses the importer named by the deny_importer module
 * parameter (a device name such as 0000:04:00.0): the exporting device
 * decides who may reach its memory.
 *
 * Every open file's mappings hang off one anonymous inode of the device's
 * own (a private pseudo filesystem, as DRM drivers do), so one call zaps
 * them, whichever node they were opened through.  Buffers come from a bump
 * allocator in the upper half of VRAM: a real driver has a real one.
 */
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/pseudo_fs.h>
#include <linux/pci.h>
#include <linux/peerbridge.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/version.h>

#include "pb_vga.h"

/* vm_flags is set through vm_flags_set() since 6.3 */
static void pb_vga_set_flags(struct vm_area_struct *vma, vm_flags_t flags)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
	vma->vm_flags |= flags;
#else
	vm_flags_set(vma, flags);
#endif
}

static char deny_importer[32];
module_param_string(deny_importer, deny_importer, sizeof(deny_importer), 0644);
MODULE_PARM_DESC(deny_importer, "Device name of an importer VRAM is refused to");

static ulong host_bridge_bias;
module_param(host_bridge_bias, ulong, 0644);
MODULE_PARM_DESC(host_bridge_bias,
		 "Added to every address an importer gets through the host bridge (an exporter that rewrites addresses; testing)");

struct pb_vga_buf {
	struct list_head node;
	u32 handle;
	u64 fake;			/* mmap offset, bytes */
	u64 size;
	u64 vram;			/* where it lives now */
};

struct pb_vga {
	struct kref ref;		/* probe, and each open file */
	struct pci_dev *pdev;
	struct miscdevice misc;
	struct peerbridge_region *region;
	int bar;			/* VRAM: the first prefetchable BAR */
	phys_addr_t vram;
	resource_size_t vram_size;
	void __iomem *vram_io;		/* the kernel's view, to move buffers */
	/* VRAM reachable and where buffers are: faults and callbacks read */
	struct rw_semaphore lock;
	bool gone;
	struct inode *inode;		/* private: every file's VMAs hang off it */
	struct list_head bufs;
	u32 next_handle;
	u64 next_fake;
	u64 heap_next;			/* bump allocator, upper half of VRAM */
};

static void pb_vga_free(struct kref *ref)
{
	struct pb_vga *vga = container_of(ref, struct pb_vga, ref);
	struct pb_vga_buf *buf, *tmp;

	list_for_each_entry_safe(buf, tmp, &vga->bufs, node)
		kfree(buf);
	if (vga->inode)
		iput(vga->inode);
	kfree(vga);
}

static u64 pb_vga_mmap_offset(struct vm_area_struct *vma, unsigned long addr)
{
	return ((u64)vma->vm_pgoff << PAGE_SHIFT) + (addr - vma->vm_start);
}

/*
 * Where [addr, end) of @vma is in VRAM right now, and how many bytes of it
 * are contiguous there: the aperture maps linearly, a buffer object maps
 * wherever it currently lives.
 */
static int pb_vga_translate(struct pb_vga *vga, struct vm_area_struct *vma,
			    unsigned long addr, unsigned long end, u64 *vram,
			    u64 *len)
{
	u64 off = pb_vga_mmap_offset(vma, addr);
	struct pb_vga_buf *buf;

	lockdep_assert_held(&vga->lock);
	if (vga->gone)
		return -ENODEV;
	if (off < PB_VGA_BO_BASE) {
		if (off >= vga->vram_size)
			return -EINVAL;
		*vram = off;
		*len = min_t(u64, end - addr, vga->vram_size - off);
		return 0;
	}
	list_for_each_entry(buf, &vga->bufs, node) {
		if (off >= buf->fake && off - buf->fake < buf->size) {
			*vram = buf->vram + (off - buf->fake);
			*len = min_t(u64, end - addr, buf->size - (off - buf->fake));
			return 0;
		}
	}
	return -ENODEV;			/* the buffer was freed */
}

static vm_fault_t pb_vga_fault(struct vm_fault *vmf)
{
	struct pb_vga *vga = vmf->vma->vm_private_data;
	vm_fault_t ret = VM_FAULT_SIGBUS;
	u64 vram, len;

	down_read(&vga->lock);
	if (!pb_vga_translate(vga, vmf->vma, vmf->address,
			      vmf->address + PAGE_SIZE, &vram, &len))
		ret = vmf_insert_pfn(vmf->vma, vmf->address,
				     PHYS_PFN(vga->vram + vram));
	up_read(&vga->lock);
	return ret;
}

static const struct vm_operations_struct pb_vga_vm_ops = {
	.fault = pb_vga_fault,
};

/*
 * peerbridge: the peer callbacks of this driver's own VMAs.  Only the
 * driver knows which VRAM a range is: vm_pgoff is a fake offset.
 */
static int pb_vga_p2p_resolve(struct vm_area_struct *vma, unsigned long start,
			      unsigned long end, struct peerbridge_span *span)
{
	struct pb_vga *vga = vma->vm_private_data;
	int ret;

	down_read(&vga->lock);
	ret = pb_vga_translate(vga, vma, start, end, &span->offset, &span->len);
	if (!ret)
		span->region = peerbridge_region_get(vga->region);
	up_read(&vga->lock);
	return ret;
}

static int pb_vga_p2p_map(struct vm_area_struct *vma, struct device *importer,
			  unsigned long start, unsigned long end, bool write,
			  struct peerbridge_seg *seg)
{
	struct pb_vga *vga = vma->vm_private_data;
	u64 vram, len;
	int ret;

	/* peerbridge hands callbacks whole pages only */
	if (!PAGE_ALIGNED(start) || !PAGE_ALIGNED(end))
		return -EINVAL;
	if (write && !(vma->vm_flags & VM_WRITE))
		return -EACCES;
	down_read(&vga->lock);
	ret = pb_vga_translate(vga, vma, start, end, &vram, &len);
	if (!ret && len != end - start)
		ret = -EINVAL;
	if (!ret)
		ret = peerbridge_region_map(vga->region, importer, vram, len,
					    write ? DMA_FROM_DEVICE : DMA_TO_DEVICE,
					    seg);
	up_read(&vga->lock);
	return ret;
}

static const struct peerbridge_peer_ops pb_vga_peer_ops = {
	.owner = THIS_MODULE,
	.p2p_resolve = pb_vga_p2p_resolve,
	.p2p_map = pb_vga_p2p_map,
	.p2p_unmap = peerbridge_region_unmap,
};

/* peerbridge: the exporting device decides who may reach VRAM */
static int pb_vga_p2p_policy(void *priv, struct device *importer, u64 offset,
			     u64 len, enum peerbridge_path path, dma_addr_t *addr)
{
	if (deny_importer[0] && sysfs_streq(deny_importer, dev_name(importer)))
		return -EPERM;
	/* it may also rewrite the address, e.g. into an aperture of its own */
	if (path == PEERBRIDGE_PATH_HOST_BRIDGE)
		*addr += READ_ONCE(host_bridge_bias);
	return 0;
}

static const struct peerbridge_exporter_ops pb_vga_exporter_ops = {
	.p2p_policy = pb_vga_p2p_policy,
};

static int pb_vga_open(struct inode *inode, struct file *file)
{
	struct pb_vga *vga = container_of(file->private_data, struct pb_vga,
					  misc);

	kref_get(&vga->ref);
	file->private_data = vga;
	file->f_mapping = vga->inode->i_mapping;
	return 0;
}

static int pb_vga_release(struct inode *inode, struct file *file)
{
	struct pb_vga *vga = file->private_data;

	kref_put(&vga->ref, pb_vga_free);
	return 0;
}

static int pb_vga_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct pb_vga *vga = file->private_data;
	unsigned long len = vma->vm_end - vma->vm_start;
	u64 vram, contig;
	int ret;

	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	down_read(&vga->lock);
	/* one buffer, or the aperture, all of it mapped */
	ret = pb_vga_translate(vga, vma, vma->vm_start, vma->vm_end, &vram,
			       &contig);
	if (!ret && contig != len)
		ret = -EINVAL;
	if (!ret) {
		vma->vm_private_data = vga;
		vma->vm_ops = &pb_vga_vm_ops;
		vma->vm_page_prot = pgprot_writecombine(vma->vm_page_prot);
		pb_vga_set_flags(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND |
				      VM_DONTDUMP | VM_DONTCOPY);
	}
	up_read(&vga->lock);
	return ret;
}

/* --- buffer objects ------------------------------------------------------- */

static struct pb_vga_buf *pb_vga_buf_find(struct pb_vga *vga, u32 handle)
{
	struct pb_vga_buf *buf;

	lockdep_assert_held(&vga->lock);
	list_for_each_entry(buf, &vga->bufs, node)
		if (buf->handle == handle)
			return buf;
	return NULL;
}

/* VRAM for a buffer: [*vram, *vram + size) of the upper half */
static int pb_vga_vram_alloc(struct pb_vga *vga, u64 size, u64 *vram)
{
	lockdep_assert_held_write(&vga->lock);
	if (!size || !PAGE_ALIGNED(size) ||
	    size > vga->vram_size - vga->heap_next)
		return -ENOSPC;
	*vram = vga->heap_next;
	vga->heap_next += size;
	return 0;
}

/*
 * The buffer's old VRAM is no longer its memory: its CPU mappings refault,
 * and peerbridge revokes every peer access to the old range.
 */
static void pb_vga_buf_evict(struct pb_vga *vga, struct pb_vga_buf *buf)
{
	lockdep_assert_held_write(&vga->lock);
	unmap_mapping_range(vga->inode->i_mapping, buf->fake, buf->size, 1);
	/*
	 * peerbridge: exports and importers of the old range are cut.  If a
	 * device still maps it, it must stay out of use (the bump allocator
	 * never reuses VRAM anyway).
	 */
	if (peerbridge_region_revoke_range(vga->region, buf->vram, buf->size))
		pci_warn(vga->pdev, "VRAM %#llx+%#llx is still mapped by a device: it stays out of use\n",
			 buf->vram, buf->size);
}

static int pb_vga_buf_move(struct pb_vga *vga, struct pb_vga_buf *buf)
{
	void *bounce = kmalloc(PAGE_SIZE, GFP_KERNEL);
	u64 to, off;
	int ret;

	lockdep_assert_held_write(&vga->lock);
	if (!bounce)
		return -ENOMEM;
	ret = pb_vga_vram_alloc(vga, buf->size, &to);
	if (ret)
		goto out_free;
	pb_vga_buf_evict(vga, buf);
	for (off = 0; off < buf->size; off += PAGE_SIZE) {
		memcpy_fromio(bounce, vga->vram_io + buf->vram + off, PAGE_SIZE);
		memcpy_toio(vga->vram_io + to + off, bounce, PAGE_SIZE);
	}
	buf->vram = to;
out_free:
	kfree(bounce);
	return ret;
}

static long pb_vga_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct pb_vga *vga = file->private_data;
	void __user *uarg = (void __user *)arg;
	struct pb_vga_buf *buf;
	struct pb_vga_bo bo;
	long ret = 0;

	/* a read-only descriptor maps VRAM; it does not manage it */
	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	if (copy_from_user(&bo, uarg, sizeof(bo)))
		return -EFAULT;
	down_write(&vga->lock);
	if (vga->gone) {
		ret = -ENODEV;
		goto out_unlock;
	}
	switch (cmd) {
	case PB_VGA_BO_CREATE:
		buf = kzalloc(sizeof(*buf), GFP_KERNEL);
		if (!buf) {
			ret = -ENOMEM;
			break;
		}
		ret = pb_vga_vram_alloc(vga, bo.size, &buf->vram);
		if (ret) {
			kfree(buf);
			break;
		}
		buf->size = bo.size;
		buf->handle = ++vga->next_handle;
		buf->fake = vga->next_fake;
		vga->next_fake += bo.size;
		memset_io(vga->vram_io + buf->vram, 0, buf->size);
		list_add_tail(&buf->node, &vga->bufs);
		break;
	case PB_VGA_BO_MOVE:
		buf = pb_vga_buf_find(vga, bo.handle);
		ret = buf ? pb_vga_buf_move(vga, buf) : -ENOENT;
		break;
	case PB_VGA_BO_FREE:
		buf = pb_vga_buf_find(vga, bo.handle);
		if (!buf) {
			ret = -ENOENT;
			break;
		}
		list_del(&buf->node);
		pb_vga_buf_evict(vga, buf);
		kfree(buf);
		goto out_unlock;
	default:
		ret = -ENOTTY;
	}
	if (!ret) {
		bo.handle = buf->handle;
		bo.fake_offset = buf->fake;
		bo.vram_offset = buf->vram;
	}
out_unlock:
	up_write(&vga->lock);
	if (!ret && cmd != PB_VGA_BO_FREE && copy_to_user(uarg, &bo, sizeof(bo)))
		ret = -EFAULT;
	return ret;
}

static const struct file_operations pb_vga_fops = {
	.owner = THIS_MODULE,
	.open = pb_vga_open,
	.release = pb_vga_release,
	.mmap = pb_vga_mmap,
	.unlocked_ioctl = pb_vga_ioctl,
	.llseek = noop_llseek,
};

/* a private pseudo filesystem, for one anonymous inode per device */
#define PB_VGA_FS_MAGIC	0x70627667	/* "pbvg" */

static struct vfsmount *pb_vga_mnt;
static int pb_vga_mnt_count;

static int pb_vga_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, PB_VGA_FS_MAGIC) ? 0 : -ENOMEM;
}

/* no .owner: the pinned mount would keep the module from unloading */
static struct file_system_type pb_vga_fs_type = {
	.name = "pb_vga",
	.init_fs_context = pb_vga_init_fs_context,
	.kill_sb = kill_anon_super,
};

static int pb_vga_vram_bar(struct pci_dev *pdev)
{
	int bar;

	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++)
		if ((pci_resource_flags(pdev, bar) & IORESOURCE_MEM) &&
		    (pci_resource_flags(pdev, bar) & IORESOURCE_PREFETCH) &&
		    pci_resource_len(pdev, bar) >= PAGE_SIZE)
			return bar;
	return -1;
}

static int pb_vga_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct peerbridge_region_info info = {
		.name = "vram",
		.ops = &pb_vga_exporter_ops,
	};
	struct pb_vga *vga;
	int ret;

	vga = kzalloc(sizeof(*vga), GFP_KERNEL);
	if (!vga)
		return -ENOMEM;
	kref_init(&vga->ref);
	init_rwsem(&vga->lock);
	INIT_LIST_HEAD(&vga->bufs);
	vga->pdev = pdev;
	vga->next_fake = PB_VGA_BO_BASE;

	vga->inode = alloc_anon_inode(pb_vga_mnt->mnt_sb);
	if (IS_ERR(vga->inode)) {
		ret = PTR_ERR(vga->inode);
		vga->inode = NULL;
		goto err_put_vga;
	}
	ret = pci_enable_device_mem(pdev);
	if (ret)
		goto err_put_vga;
	vga->bar = pb_vga_vram_bar(pdev);
	if (vga->bar < 0) {
		ret = -ENODEV;
		goto err_disable_device;
	}
	vga->vram = pci_resource_start(pdev, vga->bar);
	vga->vram_size = pci_resource_len(pdev, vga->bar);
	vga->heap_next = vga->vram_size / 2;
	vga->vram_io = pci_iomap_wc(pdev, vga->bar, 0);
	if (!vga->vram_io) {
		ret = -ENOMEM;
		goto err_disable_device;
	}

	/*
	 * peerbridge: a region over VRAM, mapped by this driver itself.  It
	 * claims the VRAM window too, until no device can reach it.
	 */
	info.priv = vga;
	vga->region = peerbridge_region_create(pdev, vga->bar, 0,
					       vga->vram_size, &info);
	if (IS_ERR(vga->region)) {
		ret = PTR_ERR(vga->region);
		goto err_unmap_vram;
	}

	vga->misc.minor = MISC_DYNAMIC_MINOR;
	vga->misc.name = "pb_vga";
	vga->misc.fops = &pb_vga_fops;
	vga->misc.mode = 0600;
	ret = misc_register(&vga->misc);
	if (ret)
		goto err_destroy_region;
	pci_set_drvdata(pdev, vga);
	pci_info(pdev, "pb_vga: %llu MiB of VRAM at /dev/pb_vga, peer region %s\n",
		 (unsigned long long)vga->vram_size >> 20,
		 peerbridge_region_name(vga->region));
	return 0;

err_destroy_region:
	peerbridge_region_destroy(vga->region);
err_unmap_vram:
	pci_iounmap(pdev, vga->vram_io);
err_disable_device:
	pci_disable_device(pdev);
err_put_vga:
	kref_put(&vga->ref, pb_vga_free);
	return ret;
}

static void pb_vga_remove(struct pci_dev *pdev)
{
	struct pb_vga *vga = pci_get_drvdata(pdev);

	misc_deregister(&vga->misc);	/* no new opens */
	/* our own CPU mappings: a later touch is SIGBUS */
	down_write(&vga->lock);
	vga->gone = true;
	unmap_mapping_range(vga->inode->i_mapping, 0, 0, true);
	up_write(&vga->lock);
	/* peerbridge: dma-bufs and importers of VRAM are cut, DMA drained */
	peerbridge_region_destroy(vga->region);
	pci_iounmap(pdev, vga->vram_io);
	pci_disable_device(pdev);
	kref_put(&vga->ref, pb_vga_free);
}

static const struct pci_device_id pb_vga_ids[] = {
	{ PCI_DEVICE(0x1234, 0x1111) },
	{ }
};
MODULE_DEVICE_TABLE(pci, pb_vga_ids);

static struct pci_driver pb_vga_driver = {
	.name = "pb_vga",
	.id_table = pb_vga_ids,
	.probe = pb_vga_probe,
	.remove = pb_vga_remove,
};

static int __init pb_vga_init(void)
{
	int ret;

	ret = simple_pin_fs(&pb_vga_fs_type, &pb_vga_mnt, &pb_vga_mnt_count);
	if (ret)
		return ret;
	/* peerbridge: every VMA with pb_vga_vm_ops is peer memory */
	ret = peerbridge_register_peer_ops(&pb_vga_vm_ops, &pb_vga_peer_ops);
	if (ret)
		goto err_release_fs;
	ret = pci_register_driver(&pb_vga_driver);
	if (ret)
		goto err_unregister_peer_ops;
	return 0;

err_unregister_peer_ops:
	peerbridge_unregister_peer_ops(&pb_vga_vm_ops);
err_release_fs:
	simple_release_fs(&pb_vga_mnt, &pb_vga_mnt_count);
	return ret;
}

static void __exit pb_vga_exit(void)
{
	pci_unregister_driver(&pb_vga_driver);
	peerbridge_unregister_peer_ops(&pb_vga_vm_ops);
	simple_release_fs(&pb_vga_mnt, &pb_vga_mnt_count);
}

module_init(pb_vga_init);
module_exit(pb_vga_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("peerbridge sample: a GPU-class driver whose VRAM mappings are peer memory");
