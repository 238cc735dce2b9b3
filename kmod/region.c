// SPDX-License-Identifier: GPL-2.0
/*
 * The region object: creation over a BAR window, references, pins, the
 * pbmem class and its sysfs attributes, and the revocation state machine
 * (whole region or a range of it) with its bounded drain.  See pb_priv.h
 * and docs/lifetime.md for the rules.
 */
#include <linux/idr.h>
#include <linux/io.h>
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

/* who holds what: one line per export and per importer mapping */
static ssize_t holders_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	struct peerbridge_region *region = to_pb_region(dev);
	ssize_t at;

	at = sysfs_emit(buf, "pins %d\n", atomic_read(&region->pins));
	at = pb_dmabuf_holders(region, buf, at);
	return pb_importers_holders(region, buf, at);
}
static DEVICE_ATTR_ADMIN_RO(holders);

/* explicit revocation, e.g. before a device reset: write 1 */
static ssize_t revoke_store(struct device *dev, struct device_attribute *attr,
			    const char *buf, size_t count)
{
	bool yes;
	int ret;

	ret = kstrtobool(buf, &yes);
	if (ret)
		return ret;
	if (!yes)
		return -EINVAL;
	peerbridge_region_revoke(to_pb_region(dev));
	return count;
}
static DEVICE_ATTR_WO(revoke);

/* The PCI device itself is the class device's "device" link. */
static struct attribute *pb_region_attrs[] = {
	&dev_attr_bar.attr,
	&dev_attr_offset.attr,
	&dev_attr_size.attr,
	&dev_attr_state.attr,
	&dev_attr_wc.attr,
	&dev_attr_exports.attr,
	&dev_attr_attachments.attr,
	&dev_attr_holders.attr,
	&dev_attr_revoke.attr,
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

static void pb_region_release(struct device *dev)
{
	struct peerbridge_region *region = to_pb_region(dev);

	pb_claim_release(region);	/* an unwound creation */
	if (region->wc_reserved)	/* likewise */
		arch_io_free_memtype_wc(region->phys, region->size);
	if (region->inode)
		iput(region->inode);
	if (MINOR(dev->devt) || MAJOR(dev->devt))
		ida_free(&pb_region_minors, MINOR(dev->devt));
	pci_dev_put(region->pdev);
	kfree(region);
}

/* a BAR that is memory, and is placed in the iomem tree */
static bool pb_bar_usable(struct pci_dev *pdev, int bar)
{
	const struct resource *res = &pdev->resource[bar];

	return (res->flags & IORESOURCE_MEM) &&
	       !(res->flags & IORESOURCE_UNSET) && res->parent &&
	       resource_size(res) && PAGE_ALIGNED(res->start);
}

struct peerbridge_region *
peerbridge_region_create(struct pci_dev *pdev, int bar,
			 resource_size_t offset, resource_size_t size,
			 const struct peerbridge_region_info *info)
{
	resource_size_t bar_len, safe_offset, safe_size;
	struct peerbridge_region *region;
	int minor, ret;

	if (!info || !info->name || bar < 0 || bar >= PCI_STD_NUM_BARS ||
	    (info->flags & ~PEERBRIDGE_REGION_NODE) || !pb_bar_usable(pdev, bar))
		return ERR_PTR(-EINVAL);
	bar_len = pci_resource_len(pdev, bar);
	if (!size || !PAGE_ALIGNED(offset) || !PAGE_ALIGNED(size) ||
	    offset >= bar_len || size > bar_len - offset)
		return ERR_PTR(-EINVAL);
	safe_offset = offset;
	safe_size = size;
	peerbridge_msix_safe(pdev, bar, &safe_offset, &safe_size);
	if (safe_size != size) {
		pci_warn(pdev, "BAR%d [%#llx, +%#llx) holds MSI-X table or PBA pages: no region\n",
			 bar, (u64)offset, (u64)size);
		return ERR_PTR(-EINVAL);
	}

	region = kzalloc(sizeof(*region), GFP_KERNEL);
	if (!region)
		return ERR_PTR(-ENOMEM);

	init_rwsem(&region->mem_lock);
	spin_lock_init(&region->verdict_lock);
	init_waitqueue_head(&region->state_wq);
	INIT_LIST_HEAD(&region->node);
	INIT_LIST_HEAD(&region->claim_node);
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
	ret = pb_claim_take(region);
	if (ret)
		goto err_put_region;
	/*
	 * Without a write-combining memtype for the range, x86 PAT gives the
	 * fault handler's PTEs UC- whatever the VMA's pgprot asks for.
	 */
	if (region->inode && region->wc) {
		if (arch_io_reserve_memtype_wc(region->phys, size)) {
			region->wc = false;
			dev_info(&region->dev, "no write-combining memtype for the window; mapping it uncached\n");
		} else {
			region->wc_reserved = true;
		}
	}

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

struct peerbridge_region *peerbridge_region_get(struct peerbridge_region *region)
{
	get_device(&region->dev);
	return region;
}
EXPORT_SYMBOL_GPL(peerbridge_region_get);

void peerbridge_region_put(struct peerbridge_region *region)
{
	put_device(&region->dev);
}
EXPORT_SYMBOL_GPL(peerbridge_region_put);

bool pb_region_live(struct peerbridge_region *region)
{
	return READ_ONCE(region->state) == PB_REGION_LIVE;
}

/*
 * Take a pin and run the exporter's policy under the read side of
 * mem_lock: fails once revocation has started, and revocation (after which
 * the exporter's module may go) cannot start while a policy call runs.
 * The policy may rewrite *addr.
 */
int pb_region_pin(struct peerbridge_region *region, struct device *importer,
		  u64 offset, u64 len, enum peerbridge_path path,
		  dma_addr_t *addr)
{
	const struct peerbridge_exporter_ops *ops;
	int ret = 0;

	down_read(&region->mem_lock);
	if (region->state != PB_REGION_LIVE) {
		ret = -ENODEV;
		goto out_unlock;
	}
	ops = region->ops;
	if (ops && ops->p2p_policy)
		ret = ops->p2p_policy(region->priv, importer, offset, len,
				      path, addr);
	if (!ret)
		atomic_inc(&region->pins);
out_unlock:
	up_read(&region->mem_lock);
	return ret;
}

void pb_region_unpin(struct peerbridge_region *region)
{
	/* the last mapping of a region whose revocation gave up waiting */
	if (atomic_dec_and_test(&region->pins) &&
	    READ_ONCE(region->state) == PB_REGION_REVOKED)
		pb_claim_release(region);
	/* after the pin is gone: a drainer that saw the old count re-checks */
	atomic_inc(&region->unmaps);
	wake_up_all(&region->pins_wq);
}

/*
 * Wait until @drained(region, offset, len) holds, for at most
 * revoke_timeout_ms.  Every unmap wakes us to look again.
 */
static bool pb_region_drain(struct peerbridge_region *region,
			    bool (*drained)(struct peerbridge_region *, u64, u64),
			    u64 offset, u64 len)
{
	unsigned long deadline = jiffies +
				 msecs_to_jiffies(READ_ONCE(revoke_timeout_ms));

	for (;;) {
		/* before looking at what drained() looks at */
		int seen = atomic_read_acquire(&region->unmaps);
		long left;

		if (drained(region, offset, len))
			return true;
		left = (long)(deadline - jiffies);
		if (left <= 0)
			return false;
		wait_event_timeout(region->pins_wq,
				   atomic_read(&region->unmaps) != seen, left);
	}
}

static bool pb_region_unpinned(struct peerbridge_region *region, u64 offset,
			       u64 len)
{
	return !atomic_read(&region->pins);
}

static bool pb_range_drained(struct peerbridge_region *region, u64 offset,
			     u64 len)
{
	return pb_dmabuf_drained(region, offset, len) &&
	       pb_importers_drained(region, offset, len);
}

/* A bounded wait ran out: say who still holds what, one line each. */
static void pb_region_report_holders(struct peerbridge_region *region)
{
	char *buf = (char *)__get_free_page(GFP_KERNEL);
	char *line, *cur;
	ssize_t at;

	dev_warn_ratelimited(&region->dev,
			     "%d DMA mapping(s) still held after revocation; the BAR window stays claimed until they are released\n",
			     atomic_read(&region->pins));
	if (!buf)
		return;
	at = pb_dmabuf_holders(region, buf, 0);
	pb_importers_holders(region, buf, at);
	cur = buf;
	while ((line = strsep(&cur, "\n")) && *line)
		dev_warn_ratelimited(&region->dev, "still held: %s\n", line);
	free_page((unsigned long)buf);
}

/*
 * Revocation (the kernel-doc is in <linux/peerbridge.h>): leave the live
 * state, zap CPU mappings, revoke dma-bufs, invalidate importers, then a
 * bounded wait for the devices' mappings (pins) to drain.  Whoever comes
 * second waits for the first to finish.
 */
void peerbridge_region_revoke(struct peerbridge_region *region)
{
	down_write(&region->mem_lock);
	if (region->state != PB_REGION_LIVE) {
		up_write(&region->mem_lock);
		wait_event(region->state_wq,
			   READ_ONCE(region->state) == PB_REGION_REVOKED);
		return;
	}
	WRITE_ONCE(region->state, PB_REGION_REVOKING);
	/* the exporter's policy may go away with its module from now on */
	region->ops = NULL;
	region->priv = NULL;
	if (region->inode)
		unmap_mapping_range(region->inode->i_mapping, 0, 0, true);
	up_write(&region->mem_lock);

	pb_dmabuf_revoke(region, 0, region->size);
	pb_importers_invalidate(region, 0, region->size);
	if (!pb_region_drain(region, pb_region_unpinned, 0, 0))
		pb_region_report_holders(region);

	down_write(&region->mem_lock);
	/*
	 * No PTE exists or comes back, of a node's mapping (zapped above) or
	 * of a dma-buf's (zapped by pb_dmabuf_revoke()): the memtype goes.
	 */
	if (region->wc_reserved) {
		arch_io_free_memtype_wc(region->phys, region->size);
		region->wc_reserved = false;
	}
	WRITE_ONCE(region->state, PB_REGION_REVOKED);
	up_write(&region->mem_lock);
	wake_up_all(&region->state_wq);
	/* pairs with the fully ordered atomic_dec_and_test() in unpin */
	smp_mb();
	if (!atomic_read(&region->pins))
		pb_claim_release(region);
}
EXPORT_SYMBOL_GPL(peerbridge_region_revoke);

/*
 * Range revocations, counted.  A caller that resolved a range and then
 * joins a region's exports or importers (under that list's lock) checks
 * the count did not move meanwhile, else it starts over: a range revoked
 * between its resolve and its joining would otherwise miss it.
 */
static atomic_t pb_range_revokes = ATOMIC_INIT(0);

int pb_revoke_seq_begin(void)
{
	return atomic_read_acquire(&pb_range_revokes);
}

bool pb_revoke_seq_changed(int seq)
{
	return atomic_read_acquire(&pb_range_revokes) != seq;
}

int peerbridge_region_revoke_range(struct peerbridge_region *region,
				   u64 offset, u64 len)
{
	if (!len || offset >= region->size || len > region->size - offset) {
		dev_err(&region->dev, "revoke of %#llx+%#llx: outside the region\n",
			offset, len);
		return -EINVAL;
	}
	atomic_inc(&pb_range_revokes);
	/* the count moves before the list locks below are taken */
	smp_mb__after_atomic();
	pb_dmabuf_revoke(region, offset, len);
	pb_importers_invalidate(region, offset, len);
	if (pb_region_drain(region, pb_range_drained, offset, len))
		return 0;
	pb_region_report_holders(region);
	return -EBUSY;
}
EXPORT_SYMBOL_GPL(peerbridge_region_revoke_range);

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
