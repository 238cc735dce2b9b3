// SPDX-License-Identifier: GPL-2.0
/*
 * The region object: creation over a BAR window, the pbmem class and its
 * sysfs attributes, revocation and destruction.  See pb_priv.h for the
 * lifetime and validity rules.
 */
#include <linux/idr.h>
#include <linux/kdev_t.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>

#include "pb_compat.h"
#include "pb_priv.h"

#define PB_MAX_REGIONS 256

static unsigned int revoke_timeout_ms = 10000;
module_param(revoke_timeout_ms, uint, 0644);
MODULE_PARM_DESC(revoke_timeout_ms,
		 "How long revocation waits for devices to release DMA mappings (default 10000)");

static dev_t pb_region_devt;
static DEFINE_IDA(pb_region_minors);
static LIST_HEAD(pb_regions);
static DEFINE_MUTEX(pb_regions_lock);

const char *pb_region_state_name(enum pb_region_state state)
{
	switch (state) {
	case PB_REGION_LIVE:
		return "live";
	case PB_REGION_REVOKING:
		return "revoking";
	case PB_REGION_REVOKED:
		return "revoked";
	}
	return "unknown";
}

static ssize_t bar_show(struct device *dev, struct device_attribute *attr,
			char *buf)
{
	return sysfs_emit(buf, "%d\n", to_pb_region(dev)->bar);
}
static DEVICE_ATTR_RO(bar);

static ssize_t offset_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  (unsigned long long)to_pb_region(dev)->offset);
}
static DEVICE_ATTR_RO(offset);

static ssize_t size_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  (unsigned long long)to_pb_region(dev)->size);
}
static DEVICE_ATTR_RO(size);

static ssize_t state_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  pb_region_state_name(READ_ONCE(to_pb_region(dev)->state)));
}
static DEVICE_ATTR_RO(state);

static ssize_t wc_show(struct device *dev, struct device_attribute *attr,
		       char *buf)
{
	return sysfs_emit(buf, "%d\n", to_pb_region(dev)->wc);
}
static DEVICE_ATTR_RO(wc);

static ssize_t exports_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%d\n",
			  atomic_read(&to_pb_region(dev)->nr_exports));
}
static DEVICE_ATTR_RO(exports);

static ssize_t attachments_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n",
			  atomic_read(&to_pb_region(dev)->nr_attachments));
}
static DEVICE_ATTR_RO(attachments);

/* The PCI device itself is the class device's "device" link. */
static struct attribute *pb_region_attrs[] = {
	&dev_attr_bar.attr,
	&dev_attr_offset.attr,
	&dev_attr_size.attr,
	&dev_attr_state.attr,
	&dev_attr_wc.attr,
	&dev_attr_exports.attr,
	&dev_attr_attachments.attr,
	NULL,
};
ATTRIBUTE_GROUPS(pb_region);

static char *pb_region_devnode(pb_devnode_dev_t *dev, umode_t *mode)
{
	if (mode)
		*mode = 0600;
	return kasprintf(GFP_KERNEL, "pbmem/%s", dev_name(dev));
}

static struct class pb_region_class = {
	.name = "pbmem",
	.dev_groups = pb_region_groups,
	.devnode = pb_region_devnode,
};

/*
 * Give the window back to the iomem tree, once: when the region is revoked
 * and no device holds a mapping.  Called from revocation and from the last
 * unpin after it.
 */
static void pb_region_unclaim(struct peerbridge_region *region, bool late)
{
	if (!atomic_xchg(&region->claimed, 0))
		return;
	release_mem_region(region->phys, region->size);
	if (late)
		dev_info(&region->dev,
			 "the last device mapping is gone; the BAR window is released\n");
}

static void pb_region_release(struct device *dev)
{
	struct peerbridge_region *region = to_pb_region(dev);

	pb_region_unclaim(region, false);
	if (region->inode)
		iput(region->inode);
	if (MINOR(dev->devt) || MAJOR(dev->devt))
		ida_free(&pb_region_minors, MINOR(dev->devt));
	pci_dev_put(region->pdev);
	kfree(region);
}

struct peerbridge_region *
peerbridge_region_create(struct pci_dev *pdev, int bar,
			 resource_size_t offset, resource_size_t size,
			 const struct peerbridge_region_info *info)
{
	resource_size_t bar_len = pci_resource_len(pdev, bar);
	struct peerbridge_region *region;
	int minor, ret;

	if (!info || !info->name || bar < 0 || bar >= PCI_STD_NUM_BARS ||
	    !size || !PAGE_ALIGNED(offset) || !PAGE_ALIGNED(size) ||
	    offset >= bar_len || size > bar_len - offset ||
	    !PAGE_ALIGNED(pci_resource_start(pdev, bar)) ||
	    (info->flags & ~PEERBRIDGE_REGION_NODE))
		return ERR_PTR(-EINVAL);

	region = kzalloc(sizeof(*region), GFP_KERNEL);
	if (!region)
		return ERR_PTR(-ENOMEM);

	init_rwsem(&region->mem_lock);
	INIT_LIST_HEAD(&region->node);
	init_waitqueue_head(&region->pins_wq);
	mutex_init(&region->exports_lock);
	INIT_LIST_HEAD(&region->exports);
	mutex_init(&region->importers_lock);
	INIT_LIST_HEAD(&region->importers);
	region->pdev = pci_dev_get(pdev);
	region->bar = bar;
	region->offset = offset;
	region->size = size;
	region->phys = pci_resource_start(pdev, bar) + offset;
	region->wc = !!(pci_resource_flags(pdev, bar) & IORESOURCE_PREFETCH);
	region->ops = info->ops;
	region->priv = info->priv;
	region->state = PB_REGION_LIVE;

	device_initialize(&region->dev);
	region->dev.class = &pb_region_class;
	region->dev.parent = &pdev->dev;
	region->dev.release = pb_region_release;
	/* from here on, put_device() frees everything set up above */

	ret = dev_set_name(&region->dev, "%s-%s", pci_name(pdev), info->name);
	if (ret)
		goto err_put_region;

	if (info->flags & PEERBRIDGE_REGION_NODE) {
		region->inode = pb_mmap_alloc_inode();
		if (IS_ERR(region->inode)) {
			ret = PTR_ERR(region->inode);
			region->inode = NULL;
			goto err_put_region;
		}
		minor = ida_alloc_max(&pb_region_minors, PB_MAX_REGIONS - 1,
				      GFP_KERNEL);
		if (minor < 0) {
			ret = minor;
			goto err_put_region;
		}
		region->dev.devt = MKDEV(MAJOR(pb_region_devt), minor);
		cdev_init(&region->cdev, &pb_region_fops);
		region->cdev.owner = THIS_MODULE;
	}
	/* the window is ours until no device can reach it any more */
	if (!request_mem_region(region->phys, size, dev_name(&region->dev))) {
		ret = -EBUSY;
		goto err_put_region;
	}
	atomic_set(&region->claimed, 1);

	/* without a devt this adds the class device only */
	ret = cdev_device_add(&region->cdev, &region->dev);
	if (ret)
		goto err_put_region;

	mutex_lock(&pb_regions_lock);
	list_add_tail(&region->node, &pb_regions);
	mutex_unlock(&pb_regions_lock);
	return region;

err_put_region:
	put_device(&region->dev);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_GPL(peerbridge_region_create);

const char *peerbridge_region_name(const struct peerbridge_region *region)
{
	return dev_name(&region->dev);
}
EXPORT_SYMBOL_GPL(peerbridge_region_name);

void pb_region_unpin(struct peerbridge_region *region)
{
	if (!atomic_dec_and_test(&region->pins))
		return;
	wake_up_all(&region->pins_wq);
	/* the last mapping of a region whose revocation gave up waiting */
	if (READ_ONCE(region->state) == PB_REGION_REVOKED)
		pb_region_unclaim(region, true);
}

/*
 * Revocation (the kernel-doc is in <linux/peerbridge.h>): CPU mappings
 * zapped, dma-bufs revoked, importers invalidated, then a bounded wait for
 * the devices' DMA mappings (pins) to drain.
 */
void peerbridge_region_revoke(struct peerbridge_region *region)
{
	down_write(&region->mem_lock);
	if (region->state != PB_REGION_LIVE) {
		up_write(&region->mem_lock);
		return;
	}
	WRITE_ONCE(region->state, PB_REGION_REVOKING);
	/* the exporter's policy may go away with its module from now on */
	region->ops = NULL;
	region->priv = NULL;
	if (region->inode)
		unmap_mapping_range(region->inode->i_mapping, 0, 0, true);
	up_write(&region->mem_lock);

	pb_dmabuf_revoke(region);
	pb_importers_invalidate(region);
	if (!wait_event_timeout(region->pins_wq, !atomic_read(&region->pins),
				msecs_to_jiffies(revoke_timeout_ms)))
		pb_dmabuf_report_holders(region);

	down_write(&region->mem_lock);
	WRITE_ONCE(region->state, PB_REGION_REVOKED);
	up_write(&region->mem_lock);
	/* pairs with the fully ordered atomic_dec_and_test() in unpin */
	smp_mb();
	if (!atomic_read(&region->pins))
		pb_region_unclaim(region, false);
}
EXPORT_SYMBOL_GPL(peerbridge_region_revoke);

/* Open files, dma-bufs and importers keep the revoked object alive. */
void peerbridge_region_destroy(struct peerbridge_region *region)
{
	peerbridge_region_revoke(region);
	mutex_lock(&pb_regions_lock);
	list_del_init(&region->node);
	mutex_unlock(&pb_regions_lock);
	cdev_device_del(&region->cdev, &region->dev);
	put_device(&region->dev);
}
EXPORT_SYMBOL_GPL(peerbridge_region_destroy);

unsigned int pb_region_count(void)
{
	struct peerbridge_region *region;
	unsigned int n = 0;

	mutex_lock(&pb_regions_lock);
	list_for_each_entry(region, &pb_regions, node)
		n++;
	mutex_unlock(&pb_regions_lock);
	return n;
}

int pb_region_init(void)
{
	int ret;

	ret = alloc_chrdev_region(&pb_region_devt, 0, PB_MAX_REGIONS, "pbmem");
	if (ret)
		return ret;
	ret = class_register(&pb_region_class);
	if (ret)
		goto err_unregister_chrdev;
	return 0;

err_unregister_chrdev:
	unregister_chrdev_region(pb_region_devt, PB_MAX_REGIONS);
	return ret;
}

void pb_region_exit(void)
{
	class_unregister(&pb_region_class);
	unregister_chrdev_region(pb_region_devt, PB_MAX_REGIONS);
}
