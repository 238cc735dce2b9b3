// SPDX-License-Identifier: GPL-2.0
/*
 * pb_edu_dma: a dmaengine DMA_MEMCPY provider for QEMU's "edu" device
 * (1234:11e8), so the rig has a real bus-master DMA engine to move data
 * peer-to-peer.  Test-only: nothing in peerbridge depends on it.
 *
 * edu moves data only between a bus address and its own 4 KiB buffer at
 * device address 0x40000, and QEMU 7.2 aborts on a transfer that ends at
 * or past 0x41000, so each memcpy is a series of chunks of at most
 * EDU_CHUNK bytes, each two DMAs: source -> buffer, buffer -> destination.
 * Completion is polled (each DMA takes ~100 ms of virtual time).  Errors
 * reach clients through the dmaengine result callback.
 *
 * The device offers `channels` channels, as multi-channel engines do: each
 * has its own queue and worker, and they take turns on the one DMA unit
 * chunk by chunk, so copies on different channels progress together.
 *
 * The kernel's cookie helpers (drivers/dma/dmaengine.h) are not shipped
 * with linux-headers, so the little cookie bookkeeping is done here.
 */
#include <linux/delay.h>
#include <linux/dmaengine.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#define EDU_REG_ID		0x00
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_CNT		0x90
#define EDU_REG_DMA_CMD		0x98
#define  EDU_CMD_RUN		BIT(0)
#define  EDU_CMD_TO_BUS		BIT(1)	/* buffer -> bus address */
#define EDU_BUF			0x40000
#define EDU_CHUNK		4088	/* ends below 0x41000, 8-byte multiple */
#define EDU_DMA_TIMEOUT_MS	5000

/* test knob: fail the Nth descriptor from now without moving a byte */
static unsigned int fail_nth_desc;
static DEFINE_SPINLOCK(fail_nth_lock);
module_param(fail_nth_desc, uint, 0644);
MODULE_PARM_DESC(fail_nth_desc, "Fail the Nth descriptor issued from now (testing; 0: never)");

/* test knob: behave like engines without device_terminate_all (ioat, idxd) */
static bool cannot_terminate;
module_param(cannot_terminate, bool, 0644);
MODULE_PARM_DESC(cannot_terminate, "Refuse to terminate transfers, like engines that cannot (testing)");

#define EDU_MAX_CHANNELS	4

static unsigned int channels = 2;
module_param(channels, uint, 0444);
MODULE_PARM_DESC(channels, "DMA channels per edu device (1-4, default 2)");

struct edu_dma;

struct edu_chan {
	struct dma_chan chan;
	struct edu_dma *edu;
	spinlock_t lock;		/* lists and cookies */
	struct list_head submitted;
	struct list_head issued;
	struct work_struct work;
	bool abort;			/* under lock: terminate_all ran */
};

struct edu_dma {
	struct dma_device dd;
	struct pci_dev *pdev;
	void __iomem *regs;
	struct mutex hw_lock;		/* the one DMA unit */
	unsigned int nr_chans;
	struct edu_chan chans[EDU_MAX_CHANNELS];
};

struct edu_desc {
	struct dma_async_tx_descriptor tx;
	dma_addr_t src, dst;
	size_t len;
	struct list_head node;
};

static struct edu_chan *to_ec(struct dma_chan *chan)
{
	return container_of(chan, struct edu_chan, chan);
}

static int edu_alloc_chan_resources(struct dma_chan *chan)
{
	chan->cookie = DMA_MIN_COOKIE;
	chan->completed_cookie = DMA_MIN_COOKIE;
	return 1;
}

static void edu_free_desc_list(struct list_head *list)
{
	struct edu_desc *d, *tmp;

	list_for_each_entry_safe(d, tmp, list, node) {
		list_del(&d->node);
		kfree(d);
	}
}

static int edu_terminate_all(struct dma_chan *chan)
{
	struct edu_chan *ec = to_ec(chan);
	unsigned long flags;
	LIST_HEAD(drop);

	if (READ_ONCE(cannot_terminate))
		return -EOPNOTSUPP;

	spin_lock_irqsave(&ec->lock, flags);
	list_splice_tail_init(&ec->submitted, &drop);
	list_splice_tail_init(&ec->issued, &drop);
	ec->abort = true;
	spin_unlock_irqrestore(&ec->lock, flags);
	edu_free_desc_list(&drop);
	return 0;
}

static void edu_synchronize(struct dma_chan *chan)
{
	struct edu_chan *ec = to_ec(chan);
	unsigned long flags;

	flush_work(&ec->work);
	spin_lock_irqsave(&ec->lock, flags);
	ec->abort = false;
	spin_unlock_irqrestore(&ec->lock, flags);
}

static void edu_free_chan_resources(struct dma_chan *chan)
{
	edu_terminate_all(chan);
	edu_synchronize(chan);
}

static dma_cookie_t edu_tx_submit(struct dma_async_tx_descriptor *tx)
{
	struct edu_desc *d = container_of(tx, struct edu_desc, tx);
	struct edu_chan *ec = to_ec(tx->chan);
	unsigned long flags;
	dma_cookie_t cookie;

	spin_lock_irqsave(&ec->lock, flags);
	cookie = tx->chan->cookie + 1;
	if (cookie < DMA_MIN_COOKIE)
		cookie = DMA_MIN_COOKIE;
	tx->chan->cookie = cookie;
	tx->cookie = cookie;
	list_add_tail(&d->node, &ec->submitted);
	spin_unlock_irqrestore(&ec->lock, flags);
	return cookie;
}

static struct dma_async_tx_descriptor *
edu_prep_memcpy(struct dma_chan *chan, dma_addr_t dst, dma_addr_t src,
		size_t len, unsigned long flags)
{
	struct edu_desc *d;

	if (!len)
		return NULL;
	d = kzalloc(sizeof(*d), GFP_NOWAIT);
	if (!d)
		return NULL;
	dma_async_tx_descriptor_init(&d->tx, chan);
	d->tx.tx_submit = edu_tx_submit;
	d->tx.flags = flags;
	d->src = src;
	d->dst = dst;
	d->len = len;
	return &d->tx;
}

static void edu_issue_pending(struct dma_chan *chan)
{
	struct edu_chan *ec = to_ec(chan);
	unsigned long flags;

	spin_lock_irqsave(&ec->lock, flags);
	list_splice_tail_init(&ec->submitted, &ec->issued);
	spin_unlock_irqrestore(&ec->lock, flags);
	queue_work(system_unbound_wq, &ec->work);
}

static enum dma_status edu_tx_status(struct dma_chan *chan,
				     dma_cookie_t cookie,
				     struct dma_tx_state *state)
{
	dma_cookie_t done = READ_ONCE(chan->completed_cookie);
	dma_cookie_t used = READ_ONCE(chan->cookie);

	dma_set_tx_state(state, done, used, 0);
	return dma_async_is_complete(cookie, done, used);
}

/*
 * One edu DMA between a bus address and the device buffer.  Each register
 * in one 8-byte access: edu ignores a write to the upper half, so two
 * 4-byte writes would send a DMA above 4 GiB to the address's low 32 bits.
 */
static int edu_dma_one(struct edu_dma *edu, u64 src, u64 dst, u64 len,
		       u64 cmd)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(EDU_DMA_TIMEOUT_MS);

	writeq(src, edu->regs + EDU_REG_DMA_SRC);
	writeq(dst, edu->regs + EDU_REG_DMA_DST);
	writeq(len, edu->regs + EDU_REG_DMA_CNT);
	writeq(cmd | EDU_CMD_RUN, edu->regs + EDU_REG_DMA_CMD);
	while (readq(edu->regs + EDU_REG_DMA_CMD) & EDU_CMD_RUN) {
		if (time_after(jiffies, deadline))
			return -ETIMEDOUT;
		usleep_range(2000, 4000);
	}
	return 0;
}

static enum dmaengine_tx_result edu_run(struct edu_chan *ec,
					struct edu_desc *d)
{
	enum dmaengine_tx_result result = DMA_TRANS_NOERROR;
	struct edu_dma *edu = ec->edu;
	bool fail = false;
	size_t done, n;
	bool abort;

	/* channels count down one knob: each descriptor takes one step */
	spin_lock(&fail_nth_lock);
	if (fail_nth_desc) {
		fail = fail_nth_desc == 1;
		fail_nth_desc--;
	}
	spin_unlock(&fail_nth_lock);
	if (fail)
		return DMA_TRANS_ABORTED;

	for (done = 0; done < d->len; done += n) {
		n = min_t(size_t, d->len - done, EDU_CHUNK);
		spin_lock_irq(&ec->lock);
		abort = ec->abort;
		spin_unlock_irq(&ec->lock);
		if (abort)
			return DMA_TRANS_ABORTED;
		/* the buffer is shared: both halves of a chunk in one turn */
		mutex_lock(&edu->hw_lock);
		if (edu_dma_one(edu, d->src + done, EDU_BUF, n, 0))
			result = DMA_TRANS_READ_FAILED;
		else if (edu_dma_one(edu, EDU_BUF, d->dst + done, n,
				     EDU_CMD_TO_BUS))
			result = DMA_TRANS_WRITE_FAILED;
		mutex_unlock(&edu->hw_lock);
		if (result != DMA_TRANS_NOERROR)
			return result;
	}
	return DMA_TRANS_NOERROR;
}

static void edu_work(struct work_struct *work)
{
	struct edu_chan *ec = container_of(work, struct edu_chan, work);
	struct dmaengine_result res = { .residue = 0 };
	struct edu_desc *d;

	for (;;) {
		spin_lock_irq(&ec->lock);
		d = list_first_entry_or_null(&ec->issued, struct edu_desc,
					     node);
		if (d)
			list_del(&d->node);
		spin_unlock_irq(&ec->lock);
		if (!d)
			return;

		res.result = edu_run(ec, d);
		if (res.result != DMA_TRANS_NOERROR)
			dev_info(&ec->edu->pdev->dev, "%s: memcpy %pad -> %pad (%zu bytes) failed: %d\n",
				 dma_chan_name(&ec->chan), &d->src, &d->dst,
				 d->len, res.result);
		spin_lock_irq(&ec->lock);
		ec->chan.completed_cookie = d->tx.cookie;
		spin_unlock_irq(&ec->lock);
		if (d->tx.callback_result)
			d->tx.callback_result(d->tx.callback_param, &res);
		else if (d->tx.callback)
			d->tx.callback(d->tx.callback_param);
		kfree(d);
	}
}

static void edu_device_release(struct dma_device *dd)
{
	kfree(container_of(dd, struct edu_dma, dd));
}

static int edu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct edu_dma *edu;
	unsigned int i;
	int ret;

	edu = kzalloc(sizeof(*edu), GFP_KERNEL);
	if (!edu)
		return -ENOMEM;
	edu->pdev = pdev;
	mutex_init(&edu->hw_lock);
	edu->nr_chans = clamp(channels, 1U, (unsigned int)EDU_MAX_CHANNELS);

	ret = pci_enable_device_mem(pdev);
	if (ret)
		goto err_free_edu;
	ret = pci_request_region(pdev, 0, KBUILD_MODNAME);
	if (ret)
		goto err_disable_device;
	edu->regs = pci_iomap(pdev, 0, 0x100);
	if (!edu->regs) {
		ret = -ENOMEM;
		goto err_release_region;
	}
	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (ret)
		goto err_unmap;
	pci_set_master(pdev);

	dma_cap_set(DMA_MEMCPY, edu->dd.cap_mask);
	edu->dd.dev = &pdev->dev;
	edu->dd.device_alloc_chan_resources = edu_alloc_chan_resources;
	edu->dd.device_free_chan_resources = edu_free_chan_resources;
	edu->dd.device_prep_dma_memcpy = edu_prep_memcpy;
	edu->dd.device_issue_pending = edu_issue_pending;
	edu->dd.device_tx_status = edu_tx_status;
	edu->dd.device_terminate_all = edu_terminate_all;
	edu->dd.device_synchronize = edu_synchronize;
	edu->dd.device_release = edu_device_release;
	INIT_LIST_HEAD(&edu->dd.channels);
	for (i = 0; i < edu->nr_chans; i++) {
		struct edu_chan *ec = &edu->chans[i];

		ec->edu = edu;
		spin_lock_init(&ec->lock);
		INIT_LIST_HEAD(&ec->submitted);
		INIT_LIST_HEAD(&ec->issued);
		INIT_WORK(&ec->work, edu_work);
		ec->chan.device = &edu->dd;
		list_add_tail(&ec->chan.device_node, &edu->dd.channels);
	}

	ret = dma_async_device_register(&edu->dd);
	if (ret)
		goto err_clear_master;
	/* from here on the dma_device owns edu: device_release frees it */
	pci_set_drvdata(pdev, edu);
	dev_info(&pdev->dev, "edu DMA_MEMCPY engine registered: %s, %u channels\n",
		 dev_name(edu->dd.dev), edu->nr_chans);
	return 0;

err_clear_master:
	pci_clear_master(pdev);
err_unmap:
	pci_iounmap(pdev, edu->regs);
err_release_region:
	pci_release_region(pdev, 0);
err_disable_device:
	pci_disable_device(pdev);
err_free_edu:
	kfree(edu);
	return ret;
}

static void edu_remove(struct pci_dev *pdev)
{
	struct edu_dma *edu = pci_get_drvdata(pdev);
	void __iomem *regs = edu->regs;
	unsigned int i;

	for (i = 0; i < edu->nr_chans; i++) {
		edu_terminate_all(&edu->chans[i].chan);
		edu_synchronize(&edu->chans[i].chan);
	}
	pci_clear_master(pdev);
	dma_async_device_unregister(&edu->dd);	/* may free edu */
	pci_iounmap(pdev, regs);
	pci_release_region(pdev, 0);
	pci_disable_device(pdev);
}

static const struct pci_device_id edu_ids[] = {
	{ PCI_DEVICE(0x1234, 0x11e8) },
	{ }
};
MODULE_DEVICE_TABLE(pci, edu_ids);

static struct pci_driver edu_driver = {
	.name = "pb_edu_dma",
	.id_table = edu_ids,
	.probe = edu_probe,
	.remove = edu_remove,
};
module_pci_driver(edu_driver);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("peerbridge test rig: dmaengine DMA_MEMCPY provider for QEMU edu");
