// SPDX-License-Identifier: GPL-2.0
/*
 * pb_test_importer: a test-only importer driver.  It resolves user ranges
 * through peerbridge_map_user() for QEMU's edu device, the way an RDMA or
 * accelerator driver would instead of GUP, reports the DMA segments, and
 * handles revocation the documented way: the invalidate callback records
 * it and a work item unmaps.  It also attaches dma-bufs as a dynamic
 * peer2peer importer and holds the mapping until move_notify (or, when
 * asked to be stubborn, until told).  /dev/pb_test_importer, see
 * pb_test_importer.h.
 */
#include <linux/dma-buf.h>
#include <linux/completion.h>
#include <linux/dma-resv.h>
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
	bool reserving;			/* under pbti_lock: MAP in progress */
	atomic_t invalidated;
	atomic_t released;
	struct work_struct release_work;
};

struct pbti_buf {
	struct dma_buf *dmabuf;		/* under pbti_lock */
	struct dma_buf_attachment *attach;
	struct sg_table *sgt;		/* under the dma-buf's resv lock */
	bool stubborn;
	bool pinned;			/* dma_buf_pin() held */
	atomic_t notified;
	atomic_t released;
	struct work_struct unmap_work;
};

static struct pbti_slot pbti_slots[PBTI_SLOTS];
static struct pbti_buf pbti_bufs[PBTI_BUFS];
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
	if (slot) {
		slot->used = true;
		slot->reserving = true;
	}
	mutex_unlock(&pbti_lock);
	if (!slot)
		return -EBUSY;
	atomic_set(&slot->invalidated, 0);
	atomic_set(&slot->released, 0);
	/*
	 * Not under pbti_lock: the invalidate work takes it, and a
	 * revocation that waits for that work may be what this waits for.
	 */
	map = peerbridge_map_user(current->mm, arg.addr, arg.len,
				  &pbti_dev->dev, arg.write, &pbti_ops, slot);
	mutex_lock(&pbti_lock);
	slot->reserving = false;
	if (IS_ERR(map)) {
		slot->used = false;
		ret = PTR_ERR(map);
		goto out_unlock;
	}
	slot->map = map;
	/* revoked before slot->map was set: the work found nothing to do */
	if (atomic_read(&slot->invalidated))
		schedule_work(&slot->release_work);
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
	if (slot->reserving) {
		mutex_unlock(&pbti_lock);
		return -EBUSY;
	}
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

/* drop the held mapping; the resv lock must be held */
static void pbti_buf_unmap_locked(struct pbti_buf *buf)
{
	dma_resv_assert_held(buf->dmabuf->resv);
	if (buf->sgt) {
		dma_buf_unmap_attachment(buf->attach, buf->sgt, DMA_TO_DEVICE);
		buf->sgt = NULL;
		atomic_set(&buf->released, 1);
	}
}

static void pbti_buf_unmap_work(struct work_struct *work)
{
	struct pbti_buf *buf = container_of(work, struct pbti_buf, unmap_work);

	dma_resv_lock(buf->dmabuf->resv, NULL);
	pbti_buf_unmap_locked(buf);
	dma_resv_unlock(buf->dmabuf->resv);
}

/* called with the resv lock held: record, unmap from a work item */
static void pbti_move_notify(struct dma_buf_attachment *attach)
{
	struct pbti_buf *buf = attach->importer_priv;

	atomic_set(&buf->notified, 1);
	if (!buf->stubborn && !buf->pinned)
		schedule_work(&buf->unmap_work);
}

static const struct dma_buf_attach_ops pbti_attach_ops = {
	.allow_peer2peer = true,
	.move_notify = pbti_move_notify,
};

static void pbti_buf_release(struct pbti_buf *buf)
{
	dma_resv_lock(buf->dmabuf->resv, NULL);
	pbti_buf_unmap_locked(buf);
	if (buf->pinned)
		dma_buf_unpin(buf->attach);
	buf->pinned = false;
	dma_resv_unlock(buf->dmabuf->resv);
	dma_buf_detach(buf->dmabuf, buf->attach);
	/*
	 * No move_notify comes after the detach: an unmap queued before it,
	 * now with nothing left to unmap, is cancelled or waited for.
	 */
	cancel_work_sync(&buf->unmap_work);
	dma_buf_put(buf->dmabuf);
	buf->dmabuf = NULL;
}

/* how many runs of contiguous DMA addresses the mapped entries make */
static unsigned int pbti_ranges(struct sg_table *sgt)
{
	struct scatterlist *sg;
	unsigned int i, runs = 0;
	dma_addr_t end = 0;

	for_each_sgtable_dma_sg(sgt, sg, i) {
		if (!runs || sg_dma_address(sg) != end)
			runs++;
		end = sg_dma_address(sg) + sg_dma_len(sg);
	}
	return runs;
}

static long pbti_attach(struct pbti_attach __user *uarg)
{
	struct pbti_buf *buf = NULL;
	struct pbti_attach arg;
	struct sg_table *sgt;
	unsigned int i;
	long ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	mutex_lock(&pbti_lock);
	for (i = 0; i < PBTI_BUFS && !buf; i++)
		if (!pbti_bufs[i].dmabuf)
			buf = &pbti_bufs[i];
	ret = -EBUSY;
	if (!buf)
		goto out_unlock;
	buf->dmabuf = dma_buf_get(arg.fd);
	if (IS_ERR(buf->dmabuf)) {
		ret = PTR_ERR(buf->dmabuf);
		buf->dmabuf = NULL;
		goto out_unlock;
	}
	buf->stubborn = arg.stubborn;
	buf->pinned = false;
	atomic_set(&buf->notified, 0);
	atomic_set(&buf->released, 0);
	buf->attach = dma_buf_dynamic_attach(buf->dmabuf, &pbti_dev->dev,
					     &pbti_attach_ops, buf);
	if (IS_ERR(buf->attach)) {
		ret = PTR_ERR(buf->attach);
		goto err_put;
	}
	dma_resv_lock(buf->dmabuf->resv, NULL);
	ret = arg.pinned ? dma_buf_pin(buf->attach) : 0;
	buf->pinned = !ret && arg.pinned;
	sgt = ret ? ERR_PTR(ret) :
		    dma_buf_map_attachment(buf->attach, DMA_TO_DEVICE);
	if (!IS_ERR(sgt))
		buf->sgt = sgt;
	else if (buf->pinned)
		dma_buf_unpin(buf->attach);
	dma_resv_unlock(buf->dmabuf->resv);
	if (IS_ERR(sgt)) {
		buf->pinned = false;
		ret = PTR_ERR(sgt);
		goto err_detach;
	}
	arg.slot = buf - pbti_bufs;
	arg.nr_entries = sgt->nents;
	arg.nr_ranges = pbti_ranges(sgt);
	arg.first_addr = sg_dma_address(sgt->sgl);
	ret = copy_to_user(uarg, &arg, sizeof(arg)) ? -EFAULT : 0;
	if (ret)
		pbti_buf_release(buf);
	goto out_unlock;

err_detach:
	dma_buf_detach(buf->dmabuf, buf->attach);
	/* a revocation's move_notify may have queued it meanwhile */
	cancel_work_sync(&buf->unmap_work);
err_put:
	dma_buf_put(buf->dmabuf);
	buf->dmabuf = NULL;
out_unlock:
	mutex_unlock(&pbti_lock);
	return ret;
}

static long pbti_detach(u32 __user *uslot)
{
	long ret = 0;
	u32 n;

	if (get_user(n, uslot))
		return -EFAULT;
	if (n >= PBTI_BUFS)
		return -EINVAL;
	mutex_lock(&pbti_lock);
	if (pbti_bufs[n].dmabuf)
		pbti_buf_release(&pbti_bufs[n]);
	else
		ret = -ENOENT;
	mutex_unlock(&pbti_lock);
	return ret;
}

static long pbti_attach_status(struct pbti_status __user *uarg)
{
	struct pbti_status st;

	if (copy_from_user(&st, uarg, sizeof(st)))
		return -EFAULT;
	if (st.slot >= PBTI_BUFS)
		return -EINVAL;
	flush_work(&pbti_bufs[st.slot].unmap_work);
	st.invalidated = atomic_read(&pbti_bufs[st.slot].notified);
	st.released = atomic_read(&pbti_bufs[st.slot].released);
	return copy_to_user(uarg, &st, sizeof(st)) ? -EFAULT : 0;
}

static long pbti_region(struct pbti_region __user *uarg)
{
	const struct peerbridge_region_info info = { .name = "pbti" };
	struct peerbridge_region *region;
	struct pbti_region r;
	struct pci_dev *pdev;

	if (copy_from_user(&r, uarg, sizeof(r)))
		return -EFAULT;
	pdev = pci_get_domain_bus_and_slot(r.domain, r.bus, r.devfn);
	if (!pdev)
		return -ENXIO;
	region = peerbridge_region_create(pdev, r.bar, r.offset, r.size, &info);
	pci_dev_put(pdev);
	if (IS_ERR(region))
		return PTR_ERR(region);
	peerbridge_region_destroy(region);
	return 0;
}

/* a reservation lock held by a worker, so no task returns to user with it */
static struct {
	struct mutex lock;		/* one hold at a time */
	struct dma_buf *dmabuf;
	struct work_struct work;
	struct completion held, drop;
} pbti_hold;

static void pbti_hold_work(struct work_struct *work)
{
	dma_resv_lock(pbti_hold.dmabuf->resv, NULL);
	complete(&pbti_hold.held);
	wait_for_completion(&pbti_hold.drop);
	dma_resv_unlock(pbti_hold.dmabuf->resv);
}

static long pbti_hold_resv(s32 __user *uarg)
{
	struct dma_buf *dmabuf;
	s32 fd;

	if (get_user(fd, uarg))
		return -EFAULT;
	dmabuf = dma_buf_get(fd);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	mutex_lock(&pbti_hold.lock);
	if (pbti_hold.dmabuf) {
		mutex_unlock(&pbti_hold.lock);
		dma_buf_put(dmabuf);
		return -EBUSY;
	}
	pbti_hold.dmabuf = dmabuf;
	reinit_completion(&pbti_hold.held);
	reinit_completion(&pbti_hold.drop);
	queue_work(system_unbound_wq, &pbti_hold.work);
	wait_for_completion(&pbti_hold.held);
	mutex_unlock(&pbti_hold.lock);
	return 0;
}

static long pbti_drop_resv(void)
{
	mutex_lock(&pbti_hold.lock);
	if (!pbti_hold.dmabuf) {
		mutex_unlock(&pbti_hold.lock);
		return -EINVAL;
	}
	complete(&pbti_hold.drop);
	flush_work(&pbti_hold.work);
	dma_buf_put(pbti_hold.dmabuf);
	pbti_hold.dmabuf = NULL;
	mutex_unlock(&pbti_hold.lock);
	return 0;
}

static long pbti_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	switch (cmd) {
	case PBTI_HOLD_RESV:
		return pbti_hold_resv((s32 __user *)arg);
	case PBTI_DROP_RESV:
		return pbti_drop_resv();
	case PBTI_REGION:
		return pbti_region((void __user *)arg);
	case PBTI_ATTACH:
		return pbti_attach((void __user *)arg);
	case PBTI_DETACH:
		return pbti_detach((void __user *)arg);
	case PBTI_ATTACH_STATUS:
		return pbti_attach_status((void __user *)arg);
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
	for (i = 0; i < PBTI_BUFS; i++)
		INIT_WORK(&pbti_bufs[i].unmap_work, pbti_buf_unmap_work);
	mutex_init(&pbti_hold.lock);
	INIT_WORK(&pbti_hold.work, pbti_hold_work);
	init_completion(&pbti_hold.held);
	init_completion(&pbti_hold.drop);
	ret = misc_register(&pbti_misc);
	if (ret)
		pci_dev_put(pbti_dev);
	return ret;
}

static void __exit pbti_exit(void)
{
	unsigned int i;

	misc_deregister(&pbti_misc);
	pbti_drop_resv();	/* a test that failed half way */
	for (i = 0; i < PBTI_SLOTS; i++) {
		flush_work(&pbti_slots[i].release_work);
		if (pbti_slots[i].map)
			peerbridge_unmap_user(pbti_slots[i].map);
	}
	for (i = 0; i < PBTI_BUFS; i++)
		if (pbti_bufs[i].dmabuf)
			pbti_buf_release(&pbti_bufs[i]);
	pci_dev_put(pbti_dev);
}

module_init(pbti_init);
module_exit(pbti_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("peerbridge test rig: an importer driver using peerbridge_map_user and dma-bufs");
MODULE_IMPORT_NS(DMA_BUF);
