// SPDX-License-Identifier: GPL-2.0
/*
 * pb_test_importer: a test-only importer driver.  It resolves user ranges
 * through peerbridge_map_user() for QEMU's edu device, the way an RDMA or
 * accelerator driver would instead of GUP, reports the DMA segments, and
 * handles revocation the documented way: the invalidate callback records
 * it and a work item unmaps.  /dev/pb_test_importer, see
 * pb_test_importer.h.
 */
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/peerbridge.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include "pb_test_importer.h"

struct pbti_slot {
	struct peerbridge_mapping *map;	/* under pbti_lock */
	bool used;			/* under pbti_lock */
	atomic_t invalidated;
	atomic_t released;
	struct work_struct release_work;
};

static struct pbti_slot pbti_slots[PBTI_SLOTS];
static DEFINE_MUTEX(pbti_lock);
static struct pci_dev *pbti_dev;	/* edu: the importing device */

static void pbti_release_work(struct work_struct *work)
{
	struct pbti_slot *slot = container_of(work, struct pbti_slot,
					      release_work);

	mutex_lock(&pbti_lock);
	if (slot->map) {
		peerbridge_unmap_user(slot->map);
		slot->map = NULL;
		atomic_set(&slot->released, 1);
	}
	mutex_unlock(&pbti_lock);
}

/* runs under peerbridge's importer lock: record, unmap later */
static void pbti_invalidate(void *priv)
{
	struct pbti_slot *slot = priv;

	atomic_set(&slot->invalidated, 1);
	schedule_work(&slot->release_work);
}

static const struct peerbridge_importer_ops pbti_ops = {
	.invalidate = pbti_invalidate,
};

static long pbti_map(struct pbti_map __user *uarg)
{
	struct peerbridge_mapping *map;
	struct pbti_slot *slot = NULL;
	struct pbti_map arg;
	unsigned int i;
	long ret = 0;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	mutex_lock(&pbti_lock);
	for (i = 0; i < PBTI_SLOTS && !slot; i++)
		if (!pbti_slots[i].used)
			slot = &pbti_slots[i];
	if (!slot) {
		ret = -EBUSY;
		goto out_unlock;
	}
	atomic_set(&slot->invalidated, 0);
	atomic_set(&slot->released, 0);
	map = peerbridge_map_user(current->mm, arg.addr, arg.len,
				  &pbti_dev->dev, arg.write, &pbti_ops, slot);
	if (IS_ERR(map)) {
		ret = PTR_ERR(map);
		goto out_unlock;
	}
	slot->map = map;
	slot->used = true;
	arg.slot = slot - pbti_slots;
	arg.nr_segs = map->nr_segs;
	for (i = 0; i < map->nr_segs && i < PBTI_MAX_SEGS; i++) {
		arg.segs[i].addr = map->segs[i].addr;
		arg.segs[i].len = map->segs[i].len;
	}
	if (copy_to_user(uarg, &arg, sizeof(arg)))
		ret = -EFAULT;
out_unlock:
	mutex_unlock(&pbti_lock);
	return ret;
}

static long pbti_unmap(u32 __user *uslot)
{
	struct pbti_slot *slot;
	u32 n;

	if (get_user(n, uslot))
		return -EFAULT;
	if (n >= PBTI_SLOTS)
		return -EINVAL;
	slot = &pbti_slots[n];
	flush_work(&slot->release_work);
	mutex_lock(&pbti_lock);
	if (slot->map)
		peerbridge_unmap_user(slot->map);
	slot->map = NULL;
	slot->used = false;
	mutex_unlock(&pbti_lock);
	return 0;
}

static long pbti_status(struct pbti_status __user *uarg)
{
	struct pbti_status st;

	if (copy_from_user(&st, uarg, sizeof(st)))
		return -EFAULT;
	if (st.slot >= PBTI_SLOTS)
		return -EINVAL;
	flush_work(&pbti_slots[st.slot].release_work);
	st.invalidated = atomic_read(&pbti_slots[st.slot].invalidated);
	st.released = atomic_read(&pbti_slots[st.slot].released);
	return copy_to_user(uarg, &st, sizeof(st)) ? -EFAULT : 0;
}

static long pbti_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	switch (cmd) {
	case PBTI_MAP:
		return pbti_map((void __user *)arg);
	case PBTI_UNMAP:
		return pbti_unmap((void __user *)arg);
	case PBTI_STATUS:
		return pbti_status((void __user *)arg);
	}
	return -ENOTTY;
}

static const struct file_operations pbti_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = pbti_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice pbti_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "pb_test_importer",
	.fops = &pbti_fops,
	.mode = 0600,
};

static int __init pbti_init(void)
{
	unsigned int i;
	int ret;

	pbti_dev = pci_get_device(0x1234, 0x11e8, NULL);
	if (!pbti_dev)
		return -ENODEV;
	for (i = 0; i < PBTI_SLOTS; i++)
		INIT_WORK(&pbti_slots[i].release_work, pbti_release_work);
	ret = misc_register(&pbti_misc);
	if (ret)
		pci_dev_put(pbti_dev);
	return ret;
}

static void __exit pbti_exit(void)
{
	unsigned int i;

	misc_deregister(&pbti_misc);
	for (i = 0; i < PBTI_SLOTS; i++) {
		flush_work(&pbti_slots[i].release_work);
		if (pbti_slots[i].map)
			peerbridge_unmap_user(pbti_slots[i].map);
	}
	pci_dev_put(pbti_dev);
}

module_init(pbti_init);
module_exit(pbti_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("peerbridge test rig: an importer driver using peerbridge_map_user");
