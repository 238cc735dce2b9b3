// SPDX-License-Identifier: GPL-2.0
/*
 * COPY: move bytes between two sides with a kernel dmaengine DMA_MEMCPY
 * channel, each side mapped for the channel's device:
 *  - a dma-buf (ours or any exporter's): attached as a dynamic importer
 *    that accepts peer-to-peer addresses;
 *  - a user address inside a peer mapping: peerbridge_map_user(), the
 *    importer API, which goes through the VMA's peer callbacks with no
 *    dma-buf in between;
 *  - any other user address: pinned with FOLL_LONGTERM and DMA-mapped.
 * Both sides are fully mapped and bounds-checked before the first
 * descriptor is issued; @copied counts only descriptors the engine
 * completed.
 *
 * A copy is one of the holders revocation deals with: both peer-memory
 * sides are mapped with an invalidation hook (the importer API's
 * invalidate, the dma-buf attachment's move_notify) that cancels the copy.
 * A cancelled copy terminates the channel synchronously, so no descriptor
 * of it is running when it releases its mappings, and revocation waits
 * for exactly that.  The copy then fails with ENODEV, having reported
 * only the bytes of descriptors that completed.
 */
#include <linux/capability.h>
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/dmaengine.h>
#include <linux/kref.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched/signal.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <uapi/peerbridge.h>

#include "pb_priv.h"

#define PB_COPY_DESC_MAX	SZ_64K
#define PB_COPY_DESC_TIMEOUT	(30 * HZ)

static DEFINE_MUTEX(pb_copy_lock);	/* one copy at a time per channel pool */

struct pb_dma_run {
	dma_addr_t addr;
	u64 len;
};

/*
 * One copy in flight: what its sides' revocation hooks cancel, and the
 * state of its current descriptor.  Refcounted: the engine's completion
 * callback holds a reference while it runs, so it never touches memory
 * the copy has already given up.
 */
struct pb_copy_op {
	struct kref ref;
	atomic_t cancelled;
	wait_queue_head_t wq;
	bool done;			/* the current descriptor completed */
	enum dmaengine_tx_result result;
	atomic_t desc_ref;		/* the descriptor still holds a ref */
};

static void pb_copy_op_free(struct kref *ref)
{
	kfree(container_of(ref, struct pb_copy_op, ref));
}

struct pb_side {
	struct pb_copy_op *op;
	enum dma_data_direction dir;	/* DMA_FROM_DEVICE for dst */
	struct device *dev;		/* the engine */
	struct pb_dma_run *runs;	/* exactly the bytes to move */
	unsigned int nr_runs;
	/* dma-buf side */
	struct dma_buf *dmabuf;
	struct dma_buf_attachment *attach;
	struct sg_table *sgt;
	/* peer user-address side: the importer API, as any driver would */
	struct peerbridge_mapping *peer;
	/* ordinary user-address side */
	struct page **pages;
	unsigned long nr_pages;
	struct sg_table host_sgt;
	bool host_mapped;
};

static bool pb_side_writes(const struct pb_side *side)
{
	return side->dir == DMA_FROM_DEVICE;
}

static int pb_side_add_run(struct pb_side *side, dma_addr_t addr, u64 len)
{
	struct pb_dma_run *runs;

	if (side->nr_runs) {
		struct pb_dma_run *last = &side->runs[side->nr_runs - 1];

		if (last->addr + last->len == addr) {
			last->len += len;
			return 0;
		}
	}
	runs = krealloc_array(side->runs, side->nr_runs + 1, sizeof(*runs),
			      GFP_KERNEL);
	if (!runs)
		return -ENOMEM;
	side->runs = runs;
	side->runs[side->nr_runs++] = (struct pb_dma_run){ addr, len };
	return 0;
}

/* the DMA runs of @sgt covering [skip, skip + len) */
static int pb_side_runs_from_sgt(struct pb_side *side, struct sg_table *sgt,
				 u64 skip, u64 len)
{
	struct scatterlist *sg;
	int i, ret;

	for_each_sgtable_dma_sg(sgt, sg, i) {
		u64 slen = sg_dma_len(sg), n;

		if (!len)
			break;
		if (skip >= slen) {
			skip -= slen;
			continue;
		}
		n = min(slen - skip, len);
		ret = pb_side_add_run(side, sg_dma_address(sg) + skip, n);
		if (ret)
			return ret;
		skip = 0;
		len -= n;
	}
	return len ? -EINVAL : 0;
}

static void pb_copy_cancel(struct pb_copy_op *op)
{
	atomic_set(&op->cancelled, 1);
	wake_up_all(&op->wq);
}

/* with the reservation lock held: the copy stops, then unmaps */
static void pb_copy_move_notify(struct dma_buf_attachment *attach)
{
	pb_copy_cancel(attach->importer_priv);
}

/* with the region's importer lock held: likewise */
static void pb_copy_invalidate(void *priv)
{
	pb_copy_cancel(priv);
}

static const struct peerbridge_importer_ops pb_copy_peer_ops = {
	.invalidate = pb_copy_invalidate,
};

static const struct dma_buf_attach_ops pb_copy_importer_ops = {
	.allow_peer2peer = true,
	.move_notify = pb_copy_move_notify,
};

static int pb_side_dmabuf(struct pb_side *side, int fd, u64 offset, u64 len)
{
	struct dma_buf *dmabuf;
	struct sg_table *sgt;
	long ret;

	dmabuf = dma_buf_get(fd);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	side->dmabuf = dmabuf;
	if (offset >= dmabuf->size || len > dmabuf->size - offset)
		return -EINVAL;
	/*
	 * The dma-buf's file mode, which its exporter chose for every holder:
	 * defence in depth, on top of what the exporter's own map refuses.
	 */
	if (!(dmabuf->file->f_mode &
	      (pb_side_writes(side) ? FMODE_WRITE : FMODE_READ)))
		return -EACCES;

	side->attach = dma_buf_dynamic_attach(dmabuf, side->dev,
					      &pb_copy_importer_ops, side->op);
	if (IS_ERR(side->attach)) {
		ret = PTR_ERR(side->attach);
		side->attach = NULL;
		return ret;
	}

	/*
	 * Wait for the buffer's other users, as dynamic importers must:
	 * bounded, killable, and without the reservation lock, which
	 * revocation needs.
	 */
	ret = dma_resv_wait_timeout(dmabuf->resv,
				    pb_side_writes(side) ? DMA_RESV_USAGE_READ :
							   DMA_RESV_USAGE_WRITE,
				    true, PB_COPY_DESC_TIMEOUT);
	if (ret <= 0)
		return ret ? ret : -ETIMEDOUT;
	dma_resv_lock(dmabuf->resv, NULL);
	sgt = dma_buf_map_attachment(side->attach, side->dir);
	dma_resv_unlock(dmabuf->resv);
	if (IS_ERR(sgt))
		return PTR_ERR(sgt);
	side->sgt = sgt;
	return pb_side_runs_from_sgt(side, sgt, offset, len);
}

static int pb_side_host(struct pb_side *side, u64 addr, u64 len)
{
	unsigned int gup = FOLL_LONGTERM | (pb_side_writes(side) ? FOLL_WRITE : 0);
	unsigned long first = addr & PAGE_MASK;
	long pinned;
	int ret;

	side->nr_pages = DIV_ROUND_UP(offset_in_page(addr) + len, PAGE_SIZE);
	if (side->nr_pages > INT_MAX)
		return -EINVAL;
	side->pages = kvmalloc_array(side->nr_pages, sizeof(*side->pages),
				     GFP_KERNEL);
	if (!side->pages)
		return -ENOMEM;
	pinned = pin_user_pages_fast(first, side->nr_pages, gup, side->pages);
	if (pinned != side->nr_pages) {
		if (pinned > 0)
			unpin_user_pages(side->pages, pinned);
		kvfree(side->pages);
		side->pages = NULL;
		return pinned < 0 ? pinned : -EFAULT;
	}
	ret = sg_alloc_table_from_pages(&side->host_sgt, side->pages,
					side->nr_pages, offset_in_page(addr),
					len, GFP_KERNEL);
	if (ret)
		return ret;
	ret = dma_map_sgtable(side->dev, &side->host_sgt, side->dir, 0);
	if (ret)
		return ret;
	side->host_mapped = true;
	return pb_side_runs_from_sgt(side, &side->host_sgt, 0, len);
}

static int pb_side_va(struct pb_side *side, u64 addr, u64 len)
{
	struct mm_struct *mm = current->mm;
	unsigned int i;
	int ret;

	/*
	 * The same rules as EXPORT and QUERY: peer, ordinary, or EINVAL.  A
	 * walk of its own, though peerbridge_map_user() walks again: only "no
	 * peer memory at all" may be pinned as ordinary memory below, never an
	 * -ENOENT an exporter's p2p_map or policy returns.
	 */
	mmap_read_lock(mm);
	ret = pb_walk_peer_range(mm, addr, len, NULL, NULL);
	mmap_read_unlock(mm);
	if (ret == -ENOENT)
		return pb_side_host(side, addr, len);
	if (ret)
		return ret;

	side->peer = peerbridge_map_user(mm, addr, len, side->dev,
					 pb_side_writes(side),
					 &pb_copy_peer_ops, side->op);
	if (IS_ERR(side->peer)) {
		ret = PTR_ERR(side->peer);
		side->peer = NULL;
		return ret;
	}
	for (i = 0; i < side->peer->nr_segs; i++) {
		ret = pb_side_add_run(side, side->peer->segs[i].addr,
				      side->peer->segs[i].len);
		if (ret)
			return ret;
	}
	return 0;
}

static int pb_side_prepare(struct pb_side *side,
			   const struct peerbridge_copy_side *uside, u64 len)
{
	switch (uside->type) {
	case PEERBRIDGE_SIDE_DMABUF:
		return pb_side_dmabuf(side, uside->fd, uside->addr, len);
	case PEERBRIDGE_SIDE_VA:
		return pb_side_va(side, uside->addr, len);
	}
	return -EINVAL;
}

static void pb_side_release(struct pb_side *side)
{
	if (side->sgt) {
		dma_resv_lock(side->dmabuf->resv, NULL);
		dma_buf_unmap_attachment(side->attach, side->sgt, side->dir);
		dma_resv_unlock(side->dmabuf->resv);
	}
	if (side->attach)
		dma_buf_detach(side->dmabuf, side->attach);
	if (side->dmabuf && !IS_ERR(side->dmabuf))
		dma_buf_put(side->dmabuf);

	if (side->peer)
		peerbridge_unmap_user(side->peer);

	if (side->host_mapped)
		dma_unmap_sgtable(side->dev, &side->host_sgt, side->dir, 0);
	sg_free_table(&side->host_sgt);
	if (side->pages) {
		unpin_user_pages_dirty_lock(side->pages, side->nr_pages,
					    pb_side_writes(side));
		kvfree(side->pages);
	}
	kfree(side->runs);
}

/*
 * The descriptor's reference: dropped by its callback, or by a successful
 * terminate, after which most engines drop the descriptor silently.
 */
static void pb_copy_desc_put(struct pb_copy_op *op)
{
	if (atomic_xchg(&op->desc_ref, 0))
		kref_put(&op->ref, pb_copy_op_free);
}

static void pb_copy_done(void *param, const struct dmaengine_result *res)
{
	struct pb_copy_op *op = param;

	op->result = res ? res->result : DMA_TRANS_NOERROR;
	/* publishes result; pairs with pb_copy_desc_done() */
	smp_store_release(&op->done, true);
	wake_up_all(&op->wq);
	pb_copy_desc_put(op);
}

static bool pb_copy_desc_done(struct pb_copy_op *op)
{
	/* op->result is valid once done is: pairs with pb_copy_done() */
	return smp_load_acquire(&op->done);
}

/*
 * Stop the engine: nothing of this copy may run once its memory is given
 * back.  An engine that cannot terminate (ioat, idxd have no
 * device_terminate_all) is waited for; one that neither stops nor finishes
 * is reported, and the copy keeps its memory pinned for good.
 */
static int pb_copy_stop(struct dma_chan *chan, struct pb_copy_op *op)
{
	if (!dmaengine_terminate_sync(chan)) {
		pb_copy_desc_put(op);	/* no callback will come */
		return 0;
	}
	if (wait_event_timeout(op->wq, pb_copy_desc_done(op),
			       PB_COPY_DESC_TIMEOUT))
		return 0;
	dev_err(chan->device->dev,
		"peerbridge: %s neither stops nor completes a copy; its memory stays pinned\n",
		dma_chan_name(chan));
	return -EIO;
}

/*
 * One descriptor, waited for until it completes, the copy is cancelled by
 * revocation, a fatal signal arrives or the timeout passes.  In the last
 * three cases the engine is stopped first: nothing of this copy runs
 * afterwards.  *stuck is set when the engine could not be stopped.
 */
static int pb_copy_one(struct dma_chan *chan, struct pb_copy_op *op,
		       dma_addr_t dst, dma_addr_t src, size_t len, bool *stuck)
{
	struct dma_async_tx_descriptor *tx;
	dma_cookie_t cookie;
	long left;

	if (atomic_read(&op->cancelled))
		return -ENODEV;
	tx = dmaengine_prep_dma_memcpy(chan, dst, src, len,
				       DMA_PREP_INTERRUPT | DMA_CTRL_ACK);
	if (!tx)
		return -ENOMEM;	/* no descriptor to be had */
	op->done = false;
	tx->callback_result = pb_copy_done;
	tx->callback_param = op;
	kref_get(&op->ref);		/* the descriptor's */
	atomic_set(&op->desc_ref, 1);
	cookie = dmaengine_submit(tx);
	if (dma_submit_error(cookie)) {
		pb_copy_desc_put(op);
		return -EIO;
	}
	dma_async_issue_pending(chan);

	left = wait_event_killable_timeout(op->wq,
					   pb_copy_desc_done(op) ||
					   atomic_read(&op->cancelled),
					   PB_COPY_DESC_TIMEOUT);
	if (pb_copy_desc_done(op))
		return op->result == DMA_TRANS_NOERROR ? 0 : -EIO;
	if (pb_copy_stop(chan, op)) {
		*stuck = true;
		return -EIO;
	}
	if (atomic_read(&op->cancelled))
		return -ENODEV;
	return left < 0 ? -EINTR : -ETIMEDOUT;
}

static int pb_copy_runs(struct dma_chan *chan, struct pb_copy_op *op,
			struct pb_side *dst, struct pb_side *src, u64 len,
			u64 *copied, bool *stuck)
{
	unsigned int di = 0, si = 0;
	u64 doff = 0, soff = 0;
	int ret;

	while (*copied < len) {
		u64 n = min3(dst->runs[di].len - doff, src->runs[si].len - soff,
			     (u64)PB_COPY_DESC_MAX);

		ret = pb_copy_one(chan, op, dst->runs[di].addr + doff,
				  src->runs[si].addr + soff, n, stuck);
		if (ret)
			return ret;
		*copied += n;
		doff += n;
		soff += n;
		if (doff == dst->runs[di].len) {
			di++;
			doff = 0;
		}
		if (soff == src->runs[si].len) {
			si++;
			soff = 0;
		}
	}
	return 0;
}

static int pb_copy(struct peerbridge_copy *arg)
{
	struct pb_side dst = { .dir = DMA_FROM_DEVICE };
	struct pb_side src = { .dir = DMA_TO_DEVICE };
	struct pb_copy_op *op;
	struct dma_chan *chan;
	bool stuck = false;
	dma_cap_mask_t mask;
	int ret;

	op = kzalloc(sizeof(*op), GFP_KERNEL);
	if (!op)
		return -ENOMEM;
	kref_init(&op->ref);
	init_waitqueue_head(&op->wq);
	dst.op = op;
	src.op = op;
	dma_cap_zero(mask);
	dma_cap_set(DMA_MEMCPY, mask);
	chan = dma_request_chan_by_mask(&mask);
	if (IS_ERR(chan)) {
		pr_info_ratelimited("peerbridge: COPY needs a DMA_MEMCPY dmaengine channel and none is available\n");
		kref_put(&op->ref, pb_copy_op_free);
		return -ENODEV;
	}
	dst.dev = chan->device->dev;
	src.dev = dst.dev;
	strscpy_pad(arg->channel, dma_chan_name(chan), sizeof(arg->channel));
	strscpy_pad(arg->engine, dev_name(dst.dev), sizeof(arg->engine));

	ret = pb_side_prepare(&dst, &arg->dst, arg->len);
	if (ret)
		goto out_release;
	ret = pb_side_prepare(&src, &arg->src, arg->len);
	if (ret)
		goto out_release;
	/* physical, bus and IOVA addresses are for the administrator only */
	if (ns_capable_noaudit(&init_user_ns, CAP_SYS_ADMIN)) {
		arg->dst_dma = dst.runs[0].addr;
		arg->src_dma = src.runs[0].addr;
	}
	ret = pb_copy_runs(chan, op, &dst, &src, arg->len, &arg->copied,
			   &stuck);
	if (stuck) {
		/*
		 * Never give back memory an engine may write, nor the code
		 * its callbacks and the sides' hooks point into.
		 */
		__module_get(THIS_MODULE);
		return ret;
	}

out_release:
	pb_side_release(&src);
	pb_side_release(&dst);
	dma_release_channel(chan);
	kref_put(&op->ref, pb_copy_op_free);
	return ret;
}

static bool pb_copy_side_valid(const struct peerbridge_copy_side *side)
{
	if (side->type == PEERBRIDGE_SIDE_DMABUF)
		return side->fd >= 0;
	return side->type == PEERBRIDGE_SIDE_VA && side->fd == -1;
}

long pb_ioctl_copy(void __user *uarg)
{
	struct peerbridge_copy arg;
	int ret, ret2;

	ret = pb_copy_arg_in(&arg, sizeof(arg),
			     offsetofend(struct peerbridge_copy, reserved),
			     uarg);
	if (ret)
		return ret;
	if (arg.flags || arg.reserved || !arg.len ||
	    !pb_copy_side_valid(&arg.dst) || !pb_copy_side_valid(&arg.src))
		return -EINVAL;

	arg.copied = 0;
	arg.dst_dma = 0;
	arg.src_dma = 0;
	memset(arg.channel, 0, sizeof(arg.channel));
	memset(arg.engine, 0, sizeof(arg.engine));
	if (mutex_lock_killable(&pb_copy_lock))
		return -EINTR;
	ret = pb_copy(&arg);
	mutex_unlock(&pb_copy_lock);

	/* report what moved even when the copy failed part way */
	ret2 = pb_copy_arg_out(uarg, &arg, sizeof(arg));
	return ret ? ret : ret2;
}
