// SPDX-License-Identifier: GPL-2.0
/*
 * peerbridge.ko entry: module init/exit, the /dev/peerbridge control node
 * and its ioctl dispatch.
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/uaccess.h>

#include <uapi/peerbridge.h>

#include "pb_priv.h"
#include "pci_exporter.h"

/*
 * Copy an ioctl argument in: argsz must cover @minsz (the first published
 * version of the structure) and stay within a page, as openat2 and clone3
 * have it; a tail beyond @ksize must be zero.
 */
int pb_copy_arg_in(void *karg, size_t ksize, size_t minsz,
		   void __user *uarg)
{
	u32 argsz;

	if (get_user(argsz, (u32 __user *)uarg))
		return -EFAULT;
	if (argsz < minsz)
		return -EINVAL;
	if (argsz > PAGE_SIZE)
		return -E2BIG;
	return copy_struct_from_user(karg, ksize, uarg, argsz);
}

/*
 * Copy a result out: argsz (the structure's first field) becomes the
 * kernel's size, and never more is written than user space said it has
 * room for.
 */
int pb_copy_arg_out(void __user *uarg, void *karg, size_t ksize)
{
	u32 *argsz = karg;
	u32 room = *argsz;

	*argsz = ksize;
	return copy_to_user(uarg, karg, min_t(size_t, ksize, room)) ?
	       -EFAULT : 0;
}

static long pb_ioctl_get_info(void __user *uarg)
{
	struct peerbridge_info info;
	int ret;

	ret = pb_copy_arg_in(&info, sizeof(info),
			     offsetofend(struct peerbridge_info, reserved),
			     uarg);
	if (ret)
		return ret;
	if (info.flags || info.reserved)
		return -EINVAL;

	info.abi_major = PEERBRIDGE_ABI_MAJOR;
	info.abi_minor = PEERBRIDGE_ABI_MINOR;
	info.caps = PEERBRIDGE_CAP_REGIONS | PEERBRIDGE_CAP_EXPORT |
		    PEERBRIDGE_CAP_COPY | PEERBRIDGE_CAP_CHECK;
	info.nr_regions = pb_region_count();
	info.kconfig =
		(IS_ENABLED(CONFIG_PCI_P2PDMA) ? PEERBRIDGE_KCONFIG_P2PDMA : 0) |
		(IS_ENABLED(CONFIG_DMABUF_MOVE_NOTIFY) ?
		 PEERBRIDGE_KCONFIG_MOVE_NOTIFY : 0) |
		(IS_ENABLED(CONFIG_IOMMU_API) ? PEERBRIDGE_KCONFIG_IOMMU : 0) |
		(IS_ENABLED(CONFIG_INFINIBAND_USER_MEM) ?
		 PEERBRIDGE_KCONFIG_IB_UMEM : 0);
	return pb_copy_arg_out(uarg, &info, sizeof(info));
}

static long pb_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case PEERBRIDGE_GET_INFO:
		return pb_ioctl_get_info(uarg);
	case PEERBRIDGE_EXPORT:
		return pb_ioctl_export(uarg);
	case PEERBRIDGE_QUERY:
		return pb_ioctl_query(uarg);
	case PEERBRIDGE_COPY:
		return pb_ioctl_copy(uarg);
	case PEERBRIDGE_CHECK:
		return pb_ioctl_check(uarg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations pb_ctl_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = pb_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice pb_ctl_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = PB_NAME,
	.fops = &pb_ctl_fops,
	/* root only; the udev rule opens it to group peerbridge */
	.mode = 0600,
};

static int __init pb_init(void)
{
	int ret;

	ret = pb_mmap_init();
	if (ret)
		return ret;
	ret = pb_region_init();
	if (ret)
		goto err_mmap_exit;
	ret = pb_claim_init();
	if (ret)
		goto err_region_exit;
	ret = pb_topology_init();
	if (ret)
		goto err_claim_exit;
	ret = misc_register(&pb_ctl_dev);
	if (ret)
		goto err_topology_exit;
	pb_kmem_init();
	ret = pb_pci_exporter_init();
	if (ret)
		goto err_kmem_exit;
	return 0;

err_kmem_exit:
	pb_kmem_exit();
	misc_deregister(&pb_ctl_dev);
err_topology_exit:
	pb_topology_exit();
err_claim_exit:
	pb_claim_exit();
err_region_exit:
	pb_region_exit();
err_mmap_exit:
	pb_mmap_exit();
	return ret;
}

static void __exit pb_exit(void)
{
	pb_pci_exporter_exit();
	pb_kmem_exit();
	misc_deregister(&pb_ctl_dev);
	pb_topology_exit();
	pb_claim_exit();
	pb_region_exit();
	pb_mmap_exit();
}

module_init(pb_init);
module_exit(pb_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("peerbridge: peer-to-peer access to PCI BAR memory without struct page");
MODULE_AUTHOR("The peerbridge authors");
