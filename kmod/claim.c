// SPDX-License-Identifier: GPL-2.0
/*
 * A region's claim on its window in the iomem tree.  While a device may
 * still DMA to the window, nothing else may be given that memory: not a
 * driver that binds next, and not a device that a rescan places there.
 *
 * The claim is a busy child of the BAR's resource, under the region's
 * name, from creation until the region is revoked and its last device
 * mapping is gone.  That is enough while the PCI device exists.  When the
 * device is removed (sysfs remove, hot-unplug), the PCI core releases the
 * BAR's resource together with its children, and the claim would vanish
 * with it.  So when a removed device still has a held claim, the bus
 * notifier puts a "tomb" over the BAR's whole range, above the BAR, before
 * the core frees the BAR: the tomb stays in the tree, the BAR goes out from
 * under it, and the range stays reserved until the last holder lets go.
 */
#include <linux/ioport.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include "pb_priv.h"

static DEFINE_MUTEX(pb_claim_lock);
static LIST_HEAD(pb_claimed);		/* regions with claimed set */

int pb_claim_take(struct peerbridge_region *region)
{
	struct resource *bar = &region->pdev->resource[region->bar];
	int ret;

	region->claim.name = dev_name(&region->dev);
	region->claim.start = region->phys;
	region->claim.end = region->phys + region->size - 1;
	region->claim.flags = IORESOURCE_MEM | IORESOURCE_BUSY;

	mutex_lock(&pb_claim_lock);
	ret = request_resource(bar, &region->claim) ? -EBUSY : 0;
	if (!ret) {
		region->claimed = true;
		list_add_tail(&region->claim_node, &pb_claimed);
	}
	mutex_unlock(&pb_claim_lock);
	return ret;
}

/* Give the window back: the region is revoked and no device maps it. */
void pb_claim_release(struct peerbridge_region *region)
{
	mutex_lock(&pb_claim_lock);
	if (region->claimed) {
		region->claimed = false;
		list_del(&region->claim_node);
		/* the BAR may already be out of the tree: this works either way */
		release_resource(&region->claim);
		if (region->tomb) {
			remove_resource(region->tomb);
			kfree(region->tomb);
			region->tomb = NULL;
			dev_info(&region->dev,
				 "the last device mapping is gone; the removed device's BAR range is released\n");
		}
	}
	mutex_unlock(&pb_claim_lock);
}

/* @region's device is being removed while its claim is still held. */
static void pb_claim_entomb(struct peerbridge_region *region)
{
	struct resource *bar = &region->pdev->resource[region->bar];
	struct resource *tomb;

	lockdep_assert_held(&pb_claim_lock);
	if (region->tomb || !bar->parent)
		return;
	tomb = kzalloc(sizeof(*tomb), GFP_KERNEL);
	if (!tomb)
		goto err_unreserved;
	tomb->name = region->claim.name;
	tomb->start = bar->start;
	tomb->end = bar->end;
	tomb->flags = IORESOURCE_MEM | IORESOURCE_BUSY;
	/* same range as the BAR: the tomb becomes the BAR's parent */
	if (insert_resource(bar->parent, tomb)) {
		kfree(tomb);
		goto err_unreserved;
	}
	region->tomb = tomb;
	dev_warn(&region->dev,
		 "device removed while a device still maps its window: %pR stays reserved until the mapping is released\n",
		 tomb);
	return;

err_unreserved:
	dev_err(&region->dev,
		"device removed while a device still maps its window, and the window could not be kept reserved\n");
}

/*
 * BUS_NOTIFY_REMOVED_DEVICE comes after the driver's remove (so every
 * region of the device is revoked) and before the PCI core releases the
 * BARs, all under the PCI rescan/remove lock.
 */
static int pb_claim_bus_notify(struct notifier_block *nb,
			       unsigned long action, void *data)
{
	struct pci_dev *pdev = to_pci_dev(data);
	struct peerbridge_region *region;

	if (action != BUS_NOTIFY_REMOVED_DEVICE)
		return NOTIFY_DONE;
	mutex_lock(&pb_claim_lock);
	list_for_each_entry(region, &pb_claimed, claim_node)
		if (region->pdev == pdev)
			pb_claim_entomb(region);
	mutex_unlock(&pb_claim_lock);
	return NOTIFY_OK;
}

static struct notifier_block pb_claim_nb = {
	.notifier_call = pb_claim_bus_notify,
};

int pb_claim_init(void)
{
	return bus_register_notifier(&pci_bus_type, &pb_claim_nb);
}

void pb_claim_exit(void)
{
	bus_unregister_notifier(&pci_bus_type, &pb_claim_nb);
}
