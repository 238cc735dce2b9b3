// SPDX-License-Identifier: GPL-2.0
/*
 * pb_test_umem: the kernel's own RDMA umem code on peerbridge dma-bufs.
 * An ib_device (never registered: only its DMA device matters to a umem)
 * stands for a NIC whose DMA device is QEMU's edu; each open of
 * /dev/pb_test_umem holds up to PBTU_SLOTS umems made by
 * ib_umem_dmabuf_get() or ib_umem_dmabuf_get_pinned(), and moves bytes
 * through an edu DMA channel to and from the addresses in their scatter
 * lists, as a NIC would.  A dynamic umem's move_notify unmaps it, as
 * mlx5's does.  See pb_test_umem.h.
 */
#include <linux/completion.h>
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/dmaengine.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <rdma/ib_umem.h>
#include <rdma/ib_verbs.h>

#include "pb_test_umem.h"

#define PBTU_DMA_TIMEOUT	(20 * HZ)

struct pbtu_ibdev {
	struct ib_device ib;
};

static struct pbtu_ibdev *pbtu_ibdev;
static struct pci_dev *pbtu_edu;

struct pbtu_slot {
	struct ib_umem_dmabuf *umem;
	atomic_t invalidated;
};

struct pbtu_file {
	struct mutex lock;	/* the slots */
	struct pbtu_slot slots[PBTU_SLOTS];
};

/* reservation lock held: unmap, as mlx5 does, and count */
static void pbtu_move_notify(struct dma_buf_attachment *attach)
{
	struct ib_umem_dmabuf *umem = attach->importer_priv;
	struct pbtu_slot *slot = READ_ONCE(umem->private);

	ib_umem_dmabuf_unmap_pages(umem);
	if (slot)
		atomic_inc(&slot->invalidated);
}

static const struct dma_buf_attach_ops pbtu_dynamic_ops = {
	.allow_peer2peer = true,
	.move_notify = pbtu_move_notify,
};

static struct pbtu_slot *pbtu_slot(struct pbtu_file *tf, u32 i)
{
	lockdep_assert_held(&tf->lock);
	if (i >= PBTU_SLOTS || !tf->slots[i].umem)
		return NULL;
	return &tf->slots[i];
}

static struct dma_resv *pbtu_resv(struct pbtu_slot *slot)
{
	return slot->umem->attach->dmabuf->resv;
}

static void pbtu_put(struct pbtu_slot *slot)
{
	ib_umem_release(&slot->umem->umem);
	slot->umem = NULL;
}

static long pbtu_get(struct pbtu_file *tf, void __user *uarg)
{
	struct ib_umem_dmabuf *umem;
	struct pbtu_get arg;
	unsigned int i;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	/* the DMA moves bytes from the umem's first page on */
	if (!PAGE_ALIGNED(arg.offset))
		return -EINVAL;
	lockdep_assert_held(&tf->lock);
	for (i = 0; i < PBTU_SLOTS && tf->slots[i].umem; i++)
		;
	if (i == PBTU_SLOTS)
		return -ENOSPC;
	if (arg.pinned)
		umem = ib_umem_dmabuf_get_pinned(&pbtu_ibdev->ib, arg.offset,
						 arg.len, arg.fd,
						 IB_ACCESS_LOCAL_WRITE);
	else
		umem = ib_umem_dmabuf_get(&pbtu_ibdev->ib, arg.offset, arg.len,
					  arg.fd, IB_ACCESS_LOCAL_WRITE,
					  &pbtu_dynamic_ops);
	if (IS_ERR(umem))
		return PTR_ERR(umem);
	atomic_set(&tf->slots[i].invalidated, 0);
	tf->slots[i].umem = umem;
	WRITE_ONCE(umem->private, &tf->slots[i]);
	arg.slot = i;
	if (copy_to_user(uarg, &arg, sizeof(arg))) {
		pbtu_put(&tf->slots[i]);
		return -EFAULT;
	}
	return 0;
}

static long pbtu_map(struct pbtu_file *tf, void __user *uarg)
{
	struct pbtu_slot *slot;
	struct pbtu_map arg;
	int ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	slot = pbtu_slot(tf, arg.slot);
	if (!slot)
		return -EINVAL;
	dma_resv_lock(pbtu_resv(slot), NULL);
	ret = ib_umem_dmabuf_map_pages(slot->umem);
	arg.nr_entries = slot->umem->umem.sgt_append.sgt.nents;
	dma_resv_unlock(pbtu_resv(slot));
	if (ret)
		return ret;
	return copy_to_user(uarg, &arg, sizeof(arg)) ? -EFAULT : 0;
}

static bool pbtu_chan_of_edu(struct dma_chan *chan, void *dev)
{
	return chan->device->dev == dev;
}

static void pbtu_dma_done(void *done)
{
	complete(done);
}

/* one memcpy on @chan, waited for */
static int pbtu_memcpy(struct dma_chan *chan, dma_addr_t dst, dma_addr_t src,
		       size_t len)
{
	struct dma_async_tx_descriptor *tx;
	DECLARE_COMPLETION_ONSTACK(done);

	tx = dmaengine_prep_dma_memcpy(chan, dst, src, len,
				       DMA_PREP_INTERRUPT | DMA_CTRL_ACK);
	if (!tx)
		return -ENOMEM;
	tx->callback = pbtu_dma_done;
	tx->callback_param = &done;
	if (dma_submit_error(dmaengine_submit(tx)))
		return -EIO;
	dma_async_issue_pending(chan);
	if (!wait_for_completion_timeout(&done, PBTU_DMA_TIMEOUT)) {
		dmaengine_terminate_sync(chan);
		return -ETIMEDOUT;
	}
	return 0;
}

/*
 * Move @len bytes between the umem's scatter list and @bounce, entry by
 * entry, with the reservation lock held: no move_notify unmaps it meanwhile.
 */
static int pbtu_dma_umem(struct dma_chan *chan, struct pbtu_slot *slot,
			 dma_addr_t bounce, size_t len, bool to_umem)
{
	struct ib_umem *umem = &slot->umem->umem;
	struct scatterlist *sg;
	size_t done = 0, n;
	int i, ret;

	dma_resv_assert_held(pbtu_resv(slot));
	if (!slot->umem->sgt)
		return -ENODEV;		/* invalidated, not mapped again */
	for_each_sg(umem->sgt_append.sgt.sgl, sg, umem->sgt_append.sgt.nents, i) {
		if (done == len)
			break;
		n = min_t(size_t, sg_dma_len(sg), len - done);
		ret = to_umem ?
		      pbtu_memcpy(chan, sg_dma_address(sg), bounce + done, n) :
		      pbtu_memcpy(chan, bounce + done, sg_dma_address(sg), n);
		if (ret)
			return ret;
		done += n;
	}
	return done == len ? 0 : -EINVAL;
}

static long pbtu_dma(struct pbtu_file *tf, void __user *uarg)
{
	struct dma_chan *chan;
	struct pbtu_slot *slot;
	dma_cap_mask_t mask;
	struct pbtu_dma arg;
	dma_addr_t bounce;
	void *buf;
	int ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	slot = pbtu_slot(tf, arg.slot);
	if (!slot || !arg.len || arg.len > PBTU_MAX_LEN ||
	    arg.len > slot->umem->umem.length)
		return -EINVAL;
	buf = dma_alloc_coherent(&pbtu_edu->dev, arg.len, &bounce, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	ret = -EFAULT;
	if (arg.to_umem &&
	    copy_from_user(buf, u64_to_user_ptr(arg.buf), arg.len))
		goto err_free;
	dma_cap_zero(mask);
	dma_cap_set(DMA_MEMCPY, mask);
	chan = dma_request_channel(mask, pbtu_chan_of_edu, &pbtu_edu->dev);
	ret = -ENODEV;	/* no edu channel free, or none at all */
	if (!chan)
		goto err_free;
	dma_resv_lock(pbtu_resv(slot), NULL);
	ret = pbtu_dma_umem(chan, slot, bounce, arg.len, arg.to_umem);
	dma_resv_unlock(pbtu_resv(slot));
	dma_release_channel(chan);
	if (!ret && !arg.to_umem &&
	    copy_to_user(u64_to_user_ptr(arg.buf), buf, arg.len))
		ret = -EFAULT;
err_free:
	dma_free_coherent(&pbtu_edu->dev, arg.len, buf, bounce);
	return ret;
}

static long pbtu_status(struct pbtu_file *tf, void __user *uarg)
{
	struct pbtu_status arg;
	struct pbtu_slot *slot;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	slot = pbtu_slot(tf, arg.slot);
	if (!slot)
		return -EINVAL;
	arg.invalidated = atomic_read(&slot->invalidated);
	dma_resv_lock(pbtu_resv(slot), NULL);
	arg.mapped = !!slot->umem->sgt;
	dma_resv_unlock(pbtu_resv(slot));
	return copy_to_user(uarg, &arg, sizeof(arg)) ? -EFAULT : 0;
}

static long pbtu_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct pbtu_file *tf = file->private_data;
	void __user *uarg = (void __user *)arg;
	struct pbtu_slot *slot;
	long ret;
	u32 i;

	mutex_lock(&tf->lock);
	switch (cmd) {
	case PBTU_GET:
		ret = pbtu_get(tf, uarg);
		break;
	case PBTU_MAP:
		ret = pbtu_map(tf, uarg);
		break;
	case PBTU_DMA:
		ret = pbtu_dma(tf, uarg);
		break;
	case PBTU_STATUS:
		ret = pbtu_status(tf, uarg);
		break;
	case PBTU_PUT:
		ret = -EFAULT;
		if (get_user(i, (u32 __user *)uarg))
			break;
		slot = pbtu_slot(tf, i);
		ret = -EINVAL;
		if (!slot)
			break;
		pbtu_put(slot);
		ret = 0;
		break;
	default:
		ret = -ENOTTY;
	}
	mutex_unlock(&tf->lock);
	return ret;
}

static int pbtu_open(struct inode *inode, struct file *file)
{
	struct pbtu_file *tf = kzalloc(sizeof(*tf), GFP_KERNEL);

	if (!tf)
		return -ENOMEM;
	mutex_init(&tf->lock);
	file->private_data = tf;
	return 0;
}

static int pbtu_release(struct inode *inode, struct file *file)
{
	struct pbtu_file *tf = file->private_data;
	unsigned int i;

	for (i = 0; i < PBTU_SLOTS; i++)
		if (tf->slots[i].umem)
			pbtu_put(&tf->slots[i]);
	mutex_destroy(&tf->lock);
	kfree(tf);
	return 0;
}

static const struct file_operations pbtu_fops = {
	.owner = THIS_MODULE,
	.open = pbtu_open,
	.release = pbtu_release,
	.unlocked_ioctl = pbtu_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice pbtu_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "pb_test_umem",
	.fops = &pbtu_fops,
	.mode = 0600,
};

static int __init pbtu_init(void)
{
	int ret;

	pbtu_edu = pci_get_device(0x1234, 0x11e8, NULL);
	if (!pbtu_edu)
		return -ENODEV;
	pbtu_ibdev = ib_alloc_device(pbtu_ibdev, ib);
	ret = -ENOMEM;
	if (!pbtu_ibdev)
		goto err_put_edu;
	pbtu_ibdev->ib.dma_device = &pbtu_edu->dev;
	ret = misc_register(&pbtu_misc);
	if (ret)
		goto err_dealloc;
	return 0;

err_dealloc:
	ib_dealloc_device(&pbtu_ibdev->ib);
err_put_edu:
	pci_dev_put(pbtu_edu);
	return ret;
}

static void __exit pbtu_exit(void)
{
	misc_deregister(&pbtu_misc);
	ib_dealloc_device(&pbtu_ibdev->ib);
	pci_dev_put(pbtu_edu);
}

module_init(pbtu_init);
module_exit(pbtu_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("peerbridge test rig: the kernel's RDMA umem code on dma-bufs");
