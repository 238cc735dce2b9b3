// SPDX-License-Identifier: GPL-2.0
/*
 * pb_vga: a sample GPU-class driver adopting peerbridge's peer callbacks.
 *
 * It owns QEMU's VGA device (1234:1111), whose VRAM is prefetchable BAR0,
 * and maps VRAM to user space through its own node (/dev/pb_vga), its own
 * mmap and fault handler — the way a GPU driver already does.  Adopting
 * peerbridge takes three things, marked "peerbridge:" below: a region over
 * the VRAM window (no node: this driver maps it; the region claims the
 * window), peer callbacks attached to its vm_operations_struct, and
 * revoking the region on removal.  From
 * then on EXPORT, QUERY, COPY and importer drivers work on its mappings.
 *
 * Its policy hook refuses the importer named by the deny_importer module
 * parameter (a device name such as 0000:04:00.0): the exporting device
 * decides who may reach its memory.
 *
 * The CPU mappings hang off the node's inode, so they are zapped in one
 * call; a mapping made through a second node for the same device (a mknod
 * elsewhere) would not be, which a real driver handles with an inode of
 * its own.
 */
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/peerbridge.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/version.h>

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

struct pb_vga {
	struct kref ref;		/* probe, and each open file */
	struct pci_dev *pdev;
	struct miscdevice misc;
	struct peerbridge_region *region;
	phys_addr_t vram;
	resource_size_t vram_size;
	struct rw_semaphore lock;	/* VRAM reachable: faults read, remove writes */
	bool gone;
	struct address_space *mapping;	/* where the node's VMAs hang */
};

static void pb_vga_free(struct kref *ref)
{
	kfree(container_of(ref, struct pb_vga, ref));
}

static vm_fault_t pb_vga_fault(struct vm_fault *vmf)
{
	struct pb_vga *vga = vmf->vma->vm_private_data;
	unsigned long pgoff = vmf->vma->vm_pgoff +
			      ((vmf->address - vmf->vma->vm_start) >> PAGE_SHIFT);
	vm_fault_t ret = VM_FAULT_SIGBUS;

	down_read(&vga->lock);
	if (!vga->gone && pgoff < (vga->vram_size >> PAGE_SHIFT))
		ret = vmf_insert_pfn(vmf->vma, vmf->address,
				     PHYS_PFN(vga->vram) + pgoff);
	up_read(&vga->lock);
	return ret;
}

static const struct vm_operations_struct pb_vga_vm_ops = {
	.fault = pb_vga_fault,
};

/* peerbridge: the peer callbacks of this driver's own VMAs */
static int pb_vga_p2p_map(struct vm_area_struct *vma, struct device *importer,
			  unsigned long start, unsigned long end, bool write,
			  struct peerbridge_seg *seg)
{
	struct pb_vga *vga = vma->vm_private_data;
	u64 offset = ((u64)vma->vm_pgoff << PAGE_SHIFT) + (start - vma->vm_start);

	if (write && !(vma->vm_flags & VM_WRITE))
		return -EACCES;
	return peerbridge_region_map(vga->region, importer, offset, end - start,
				     write ? DMA_FROM_DEVICE : DMA_TO_DEVICE,
				     seg);
}

static struct peerbridge_region *pb_vga_vma_region(struct vm_area_struct *vma)
{
	struct pb_vga *vga = vma->vm_private_data;

	return vga->region;
}

static const struct peerbridge_peer_ops pb_vga_peer_ops = {
	.p2p_map = pb_vga_p2p_map,
	.p2p_unmap = peerbridge_region_unmap,
	.vma_region = pb_vga_vma_region,
};

/* peerbridge: the exporting device decides who may reach VRAM */
static int pb_vga_p2p_policy(void *priv, struct device *importer, u64 offset,
			     u64 len, enum peerbridge_path path, dma_addr_t *addr)
{
	if (deny_importer[0] && sysfs_streq(deny_importer, dev_name(importer)))
		return -EPERM;
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
	down_write(&vga->lock);
	vga->mapping = inode->i_mapping;
	up_write(&vga->lock);
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
	unsigned long npages = vga->vram_size >> PAGE_SHIFT;
	unsigned long len = vma->vm_end - vma->vm_start;
	int ret = 0;

	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (vma->vm_pgoff >= npages || (len >> PAGE_SHIFT) > npages - vma->vm_pgoff)
		return -EINVAL;
	down_read(&vga->lock);
	if (vga->gone) {
		ret = -ENODEV;
	} else {
		vma->vm_private_data = vga;
		vma->vm_ops = &pb_vga_vm_ops;
		vma->vm_page_prot = pgprot_writecombine(vma->vm_page_prot);
		pb_vga_set_flags(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND |
				      VM_DONTDUMP | VM_DONTCOPY);
	}
	up_read(&vga->lock);
	return ret;
}

static const struct file_operations pb_vga_fops = {
	.owner = THIS_MODULE,
	.open = pb_vga_open,
	.release = pb_vga_release,
	.mmap = pb_vga_mmap,
	.llseek = noop_llseek,
};

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
	vga->pdev = pdev;

	ret = pci_enable_device_mem(pdev);
	if (ret)
		goto err_put_vga;
	vga->vram = pci_resource_start(pdev, 0);
	vga->vram_size = pci_resource_len(pdev, 0);

	/*
	 * peerbridge: a region over VRAM, mapped by this driver itself.  It
	 * claims the VRAM window too, until no device can reach it.
	 */
	info.priv = vga;
	vga->region = peerbridge_region_create(pdev, 0, 0, vga->vram_size,
					       &info);
	if (IS_ERR(vga->region)) {
		ret = PTR_ERR(vga->region);
		goto err_disable_device;
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
	if (vga->mapping)
		unmap_mapping_range(vga->mapping, 0, 0, true);
	up_write(&vga->lock);
	/* peerbridge: dma-bufs and importers of VRAM are cut, DMA drained */
	peerbridge_region_destroy(vga->region);
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

	/* peerbridge: every VMA with pb_vga_vm_ops is peer memory */
	ret = peerbridge_register_peer_ops(&pb_vga_vm_ops, &pb_vga_peer_ops);
	if (ret)
		return ret;
	ret = pci_register_driver(&pb_vga_driver);
	if (ret)
		peerbridge_unregister_peer_ops(&pb_vga_vm_ops);
	return ret;
}

static void __exit pb_vga_exit(void)
{
	pci_unregister_driver(&pb_vga_driver);
	peerbridge_unregister_peer_ops(&pb_vga_vm_ops);
}

module_init(pb_vga_init);
module_exit(pb_vga_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("peerbridge sample: a GPU-class driver whose VRAM mappings are peer memory");
