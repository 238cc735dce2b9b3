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
 * with it; so would it when a bridge above is removed and its window is
 * released.  So whenever a device whose resource holds a claim (directly,
 * or further down) is removed, the bus notifier puts a "tomb" over that
 * resource's whole range, above it, before the core frees it: the tomb
 * stays in the tree, the resource goes out from under it, and the range
 * stays reserved until the last holder lets go.  A later removal further
 * up replaces the tomb with a larger one.
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
		/*
		 * The BAR may be out of the tree (this works either way), or
		 * its subtree torn down by a bridge resize (parent is NULL).
		 */
		if (region->claim.parent)
			release_resource(&region->claim);
		if (region->tomb) {
			if (region->tomb->parent)
				remove_resource(region->tomb);
			kfree(region->tomb);
			region->tomb = NULL;
			dev_info(&region->dev,
				 "the last device mapping is gone; the removed device's BAR range is released\n");
		}
	}
	mutex_unlock(&pb_claim_lock);
}

/* whether @res is @region's claim or tomb, or one of their ancestors */
static bool pb_claim_below(struct peerbridge_region *region,
			   const struct resource *res)
{
	const struct resource *r = region->tomb ?: &region->claim;

	for (; r; r = r->parent)
		if (r == res)
			return true;
	return false;
}

/* @res, which holds @region's claim, is about to be released. */
static void pb_claim_entomb(struct peerbridge_region *region,
			    struct resource *res)
{
	struct resource *tomb;

	lockdep_assert_held(&pb_claim_lock);
	tomb = kzalloc(sizeof(*tomb), GFP_KERNEL);
	if (!tomb)
		goto err_unreserved;
	tomb->name = region->claim.name;
	tomb->start = res->start;
	tomb->end = res->end;
	tomb->flags = IORESOURCE_MEM | IORESOURCE_BUSY;
	/* same range as @res: the tomb becomes its parent */
	if (insert_resource(res->parent, tomb)) {
		kfree(tomb);
		goto err_unreserved;
	}
	if (region->tomb) {		/* a smaller one, below @res */
		remove_resource(region->tomb);
		kfree(region->tomb);
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
 * device's resources, BARs and bridge windows alike, all under the PCI
 * rescan/remove lock.  Children are removed before their bridge.
 */
static int pb_claim_bus_notify(struct notifier_block *nb,
			       unsigned long action, void *data)
{
	struct pci_dev *pdev = to_pci_dev(data);
	struct peerbridge_region *region;
	int i;

	if (action != BUS_NOTIFY_REMOVED_DEVICE)
		return NOTIFY_DONE;
	mutex_lock(&pb_claim_lock);
	list_for_each_entry(region, &pb_claimed, claim_node) {
		for (i = 0; i < PCI_NUM_RESOURCES; i++) {
			struct resource *res = &pdev->resource[i];

			if (!res->parent || !pb_claim_below(region, res))
				continue;
			/*
			 * A VF's BAR lives inside its PF's SR-IOV resource,
			 * which re-enabling VFs claims again expecting nothing
			 * else there: no tomb in it.
			 */
			if (pdev->is_virtfn && i < PCI_STD_NUM_BARS)
				dev_err(&region->dev,
					"virtual function removed while a device still maps its window; the window cannot be kept reserved\n");
			else
				pb_claim_entomb(region, res);
			break;
		}
	}
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
