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
 * Both sides are checked whole (bounds, access, one kind of memory, a
 * dma-buf's fences) before a channel is taken.  The bytes then move in
 * windows of at most copy_window_kib: pin the window's ordinary memory,
 * then map its peer memory and dma-bufs, copy, give both back.  What a
 * copy holds at any time is bounded whatever its length, the allocations
 * are charged to the caller's memory cgroup, and a fault on ordinary memory
 * that user space serves slowly (FUSE) or that waits for I/O stalls the
 * copy only while it holds neither peer memory nor a channel.  @copied counts
 * only descriptors the engine completed.
 *
 * Each copy takes a channel of its own, at most max_copies at once, so
 * copies on different channels run concurrently and peerbridge never takes
 * every channel of the system from its other users.  A copy keeps its
 * channel from window to window, except across a wait for user space (a
 * slow fault, its process's mmap lock): then it parks, giving back its
 * dma-buf attachments, the channel and the window's pins, waits, pins the
 * window again holding nothing else, and takes a channel of the same
 * engine again.
 *
 * A copy is one of the holders revocation deals with: both peer-memory
 * sides are mapped with an invalidation hook (the importer API's
 * invalidate, the dma-buf attachment's move_notify) that cancels the copy.
 * A cancelled copy terminates the channel synchronously, so no descriptor
 * of it is running when it releases its mappings, and revocation waits
 * for exactly that.  The copy then fails with ENODEV, having reported
 * only the bytes of descriptors that completed.
 */
#include <linux/backing-dev.h>
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
#include <linux/userfaultfd_k.h>

#include <uapi/peerbridge.h>

#include "pb_compat.h"
#include "pb_priv.h"

#define PB_COPY_DESC_MAX	SZ_64K
#define PB_COPY_DESC_TIMEOUT	(30 * HZ)
#define PB_COPY_WINDOW_MAX_KIB	SZ_16K
#define PB_COPY_MAX_COPIES	64
#define PB_COPY_CHAN_WAIT	(30 * HZ)

static unsigned int copy_window_kib = SZ_1K;
module_param(copy_window_kib, uint, 0644);
MODULE_PARM_DESC(copy_window_kib,
		 "COPY pins and maps at most this many KiB of each side at a time (4-16384, default 1024)");

static unsigned int max_copies = 2;
module_param(max_copies, uint, 0644);
MODULE_PARM_DESC(max_copies,
		 "COPYs in flight at once, each on a DMA channel of its own (1-64, default 2)");

/*
 * Channels are taken exclusively, one per copy.  A copy that finds none it
 * may take while other copies hold one waits, bounded, for a release.
 */
static DEFINE_MUTEX(pb_copy_chan_lock);
static unsigned int pb_copy_chans;	/* channels copies hold */
static unsigned int pb_copy_chan_gen;	/* releases so far */
static DECLARE_WAIT_QUEUE_HEAD(pb_copy_chan_wq);

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

static bool pb_copy_cancelled(struct pb_copy_op *op)
{
	return atomic_read(&op->cancelled);
}

enum pb_side_kind {
	PB_SIDE_DMABUF,			/* attached for the copy, mapped per window */
	PB_SIDE_PEER,			/* importer API, per window */
	PB_SIDE_HOST,			/* pinned, per window */
};

struct pb_side {
	struct pb_copy_op *op;
	enum dma_data_direction dir;	/* DMA_FROM_DEVICE for dst */
	struct device *dev;		/* the engine; NULL while parked */
	enum pb_side_kind kind;
	u64 addr;			/* user address or dma-buf offset */
	/* the current window: exactly the bytes it moves */
	struct pb_dma_run *runs;	/* max_runs of them */
	unsigned int nr_runs;
	unsigned int max_runs;		/* the pages a window can touch */
	/* dma-buf side */
	struct dma_buf *dmabuf;
	struct dma_buf_attachment *attach;
	struct sg_table *sgt;
	/* peer user-address side: the importer API, as any driver would */
	struct peerbridge_mapping *peer;
	bool mm_contended;		/* the mmap lock was not free */
	/* ordinary user-address side */
	struct page **pages;		/* max_runs of them */
	unsigned int nr_pages;
	struct sg_table host_sgt;
	bool host_mapped;
	bool written;			/* the engine wrote into the window */
};

/* One COPY: its two sides and, unless it is parked, its channel. */
struct pb_copy_ctx {
	struct pb_copy_op *op;
	struct peerbridge_copy *arg;
	struct pb_side dst, src;
	u64 window;
	struct dma_chan *chan;		/* NULL while parked */
	struct device *engine;		/* the first channel's engine, referenced */
	bool stuck;			/* the engine could not be stopped */
};

static bool pb_side_writes(const struct pb_side *side)
{
	return side->dir == DMA_FROM_DEVICE;
}

/* Append a run to the window; false when the window has no room left. */
static bool pb_side_add_run(struct pb_side *side, dma_addr_t addr, u64 len)
{
	if (side->nr_runs) {
		struct pb_dma_run *last = &side->runs[side->nr_runs - 1];

		if (last->addr + last->len == addr) {
			last->len += len;
			return true;
		}
	}
	if (side->nr_runs == side->max_runs)
		return false;
	side->runs[side->nr_runs++] = (struct pb_dma_run){ addr, len };
	return true;
}

/*
 * The window's runs: @len bytes of @sgt's DMA entries from byte @skip on.
 * Returns how many bytes they cover, less than @len when the runs are full
 * or the entries end.
 */
static u64 pb_side_runs_from_sgt(struct pb_side *side, struct sg_table *sgt,
				 u64 skip, u64 len)
{
	struct scatterlist *sg;
	u64 covered = 0;
	int i;

	for_each_sgtable_dma_sg(sgt, sg, i) {
		u64 n;

		if (covered == len)
			break;
		if (skip >= sg_dma_len(sg)) {
			skip -= sg_dma_len(sg);
			cond_resched();
			continue;
		}
		n = min_t(u64, sg_dma_len(sg) - skip, len - covered);
		if (!pb_side_add_run(side, sg_dma_address(sg) + skip, n))
			break;
		covered += n;
		skip = 0;
	}
	return covered;
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

/* --- before a channel: is the side whole and the caller's to use? ------- */

static int pb_copy_fence_wait(struct dma_buf *dmabuf, enum dma_resv_usage usage)
{
	long ret = dma_resv_wait_timeout(dmabuf->resv, usage, true,
					 PB_COPY_DESC_TIMEOUT);

	if (ret < 0)
		return ret == -ERESTARTSYS ? -EINTR : ret;
	return ret ? 0 : -ETIMEDOUT;
}

static int pb_check_dmabuf(struct pb_side *side, int fd, u64 offset, u64 len)
{
	struct dma_buf *dmabuf;

	side->kind = PB_SIDE_DMABUF;
	side->addr = offset;
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
	/*
	 * Wait for the buffer's other users, as dynamic importers must, before
	 * a channel is held: bounded, interruptible, and without the
	 * reservation lock, which revocation needs.
	 */
	return pb_copy_fence_wait(dmabuf,
				  pb_side_writes(side) ? DMA_RESV_USAGE_READ :
							 DMA_RESV_USAGE_WRITE);
}

/*
 * A shared file mapping whose filesystem tracks its dirty pages (it has
 * page_mkwrite, or writes pages back): GUP refuses long-term write pins of
 * it from 6.5 on, since marking such a page dirty afterwards may wait for
 * the filesystem (a FUSE daemon, say).  COPY refuses it on every kernel.
 */
static bool pb_vma_tracks_dirty(struct vm_area_struct *vma)
{
	const struct vm_operations_struct *ops = vma->vm_ops;

	if (!vma->vm_file || !(vma->vm_flags & VM_SHARED))
		return false;
	if (ops && (ops->page_mkwrite || ops->pfn_mkwrite))
		return true;
	return mapping_can_writeback(vma->vm_file->f_mapping);
}

/*
 * A user range must be mapped, as a whole, with the access the copy needs
 * (and, for ordinary memory, be memory GUP may pin for long) before
 * anything of it is pinned or mapped: a range past the end of the caller's
 * memory fails here, at once, whatever its length.
 */
static int pb_check_vmas(struct mm_struct *mm, u64 addr, u64 len, bool write,
			 bool host)
{
	vm_flags_t need = write ? VM_WRITE : VM_READ;
	u64 end = addr + len, cur = addr;
	struct vm_area_struct *vma;

	lockdep_assert_held(&mm->mmap_lock);
	while (cur < end) {
		vma = find_vma(mm, cur);
		if (!vma || vma->vm_start > cur || !(vma->vm_flags & need))
			return -EFAULT;
		if (host && ((vma->vm_flags & (VM_IO | VM_PFNMAP)) ||
			     (write && pb_vma_tracks_dirty(vma))))
			return -EFAULT;
		cur = vma->vm_end;
	}
	return 0;
}

static int pb_check_va(struct pb_side *side, u64 addr, u64 len)
{
	struct mm_struct *mm = current->mm;
	bool write = pb_side_writes(side);
	int ret;

	side->addr = addr;
	/*
	 * The same rules as EXPORT and QUERY: peer, ordinary, or EINVAL.
	 * Only "no peer memory at all" is ordinary memory, never an -ENOENT
	 * an exporter's p2p_map or policy returns in a window later.
	 */
	if (mmap_read_lock_killable(mm))
		return -EINTR;
	ret = pb_walk_peer_range(mm, addr, len, NULL, NULL);
	if (ret == -ENOENT) {
		side->kind = PB_SIDE_HOST;
		ret = pb_check_vmas(mm, addr, len, write, true);
	} else if (!ret) {
		side->kind = PB_SIDE_PEER;
		ret = pb_check_vmas(mm, addr, len, write, false);
	}
	mmap_read_unlock(mm);
	return ret;
}

static int pb_side_check(struct pb_side *side,
			 const struct peerbridge_copy_side *uside, u64 len)
{
	switch (uside->type) {
	case PEERBRIDGE_SIDE_DMABUF:
		return pb_check_dmabuf(side, uside->fd, uside->addr, len);
	case PEERBRIDGE_SIDE_VA:
		return pb_check_va(side, uside->addr, len);
	}
	return -EINVAL;
}

/* --- what every window of the side needs --------------------------------- */

/* the pages a window of @len bytes at @addr touches */
static unsigned int pb_pages_spanned(u64 addr, u64 len)
{
	return DIV_ROUND_UP(offset_in_page(addr) + len, PAGE_SIZE);
}

static int pb_side_alloc(struct pb_side *side, u64 window)
{
	/* a window at any offset touches at most this many pages */
	side->max_runs = DIV_ROUND_UP(window, PAGE_SIZE) + 1;
	side->runs = kvcalloc(side->max_runs, sizeof(*side->runs),
			      GFP_KERNEL_ACCOUNT);
	if (!side->runs)
		return -ENOMEM;
	if (side->kind != PB_SIDE_HOST)
		return 0;
	side->pages = kvcalloc(side->max_runs, sizeof(*side->pages),
			       GFP_KERNEL_ACCOUNT);
	return side->pages ? 0 : -ENOMEM;
}

/* a dma-buf side is attached for the engine of the channel held */
static int pb_side_attach(struct pb_side *side)
{
	struct dma_buf_attachment *attach;

	if (side->kind != PB_SIDE_DMABUF)
		return 0;
	attach = dma_buf_dynamic_attach(side->dmabuf, side->dev,
					&pb_copy_importer_ops, side->op);
	if (IS_ERR(attach))
		return PTR_ERR(attach);
	side->attach = attach;
	return 0;
}

static void pb_side_detach(struct pb_side *side)
{
	if (side->attach)
		dma_buf_detach(side->dmabuf, side->attach);
	side->attach = NULL;
}

/* --- one window ----------------------------------------------------------- */

/*
 * Whether a fault in [addr, addr + len) may be taken while a channel is
 * held: only in anonymous memory that no userfaultfd watches does a fault
 * that may not wait (FOLL_NOWAIT) really not wait for user space.  A file's
 * fault can still read synchronously, from a FUSE daemon for one.
 */
static bool pb_faults_are_quick(struct mm_struct *mm, u64 addr, u64 len)
{
	struct vm_area_struct *vma;
	u64 end = addr + len;

	lockdep_assert_held(&mm->mmap_lock);
	for (; addr < end; addr = vma->vm_end) {
		vma = find_vma(mm, addr);
		if (!vma || vma->vm_start > addr || !vma_is_anonymous(vma) ||
		    userfaultfd_armed(vma))
			return false;
	}
	return true;
}

static int pb_host_pinned(struct pb_side *side, unsigned int nr, long pinned,
			  bool nowait)
{
	if (pinned == nr) {
		side->nr_pages = nr;
		return 0;
	}
	if (pinned > 0)
		unpin_user_pages(side->pages, pinned);
	if (nowait)
		return -EAGAIN;	/* the slow pin finds any real error */
	return pinned < 0 ? pinned : -EFAULT;
}

/* pins nothing has written through yet: nothing to mark dirty */
static void pb_host_unpin(struct pb_side *side)
{
	if (!side->nr_pages)
		return;
	unpin_user_pages(side->pages, side->nr_pages);
	side->nr_pages = 0;
}

/*
 * Pin the window's ordinary memory under the mmap lock, after checking the
 * range again as it is now: a mapping put over it since the copy began
 * obeys the same rules.  While a channel is held (@nowait), nothing may
 * wait: not for the lock, which a fault user space serves may hold, and
 * not in a fault other than an anonymous one.  Then -EAGAIN says the
 * window is to be pinned the slow way, without the channel.
 */
static int pb_host_pin(struct pb_side *side, u64 addr, u64 len, bool nowait)
{
	unsigned int gup = FOLL_LONGTERM | (pb_side_writes(side) ? FOLL_WRITE : 0);
	unsigned int nr = pb_pages_spanned(addr, len);
	struct mm_struct *mm = current->mm;
	long pinned;
	int ret;

	if (nowait) {
		if (!mmap_read_trylock(mm))
			return -EAGAIN;
	} else if (mmap_read_lock_killable(mm)) {
		return -EINTR;
	}
	ret = pb_check_vmas(mm, addr, len, pb_side_writes(side), true);
	if (ret) {
		mmap_read_unlock(mm);
		return ret;
	}
	if (nowait)
		gup |= pb_faults_are_quick(mm, addr, len) ? FOLL_NOWAIT :
							    FOLL_NOFAULT;
	pinned = pb_pin_user_pages(addr & PAGE_MASK, nr, gup, side->pages);
	mmap_read_unlock(mm);
	return pb_host_pinned(side, nr, pinned, nowait);
}

/* anonymous or shmem pages: marking them dirty never waits for a filesystem */
static bool pb_pages_swapbacked(struct page **pages, unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (!folio_test_swapbacked(page_folio(pages[i])))
			return false;
	return true;
}

/*
 * Without a channel: pin the window as slowly as it takes.  Present pages
 * pin without the mmap lock, which the caller's process may keep
 * contended; pages to be written whose dirtying could wait for a
 * filesystem are pinned again under the lock, after the range's check.
 */
static int pb_host_pin_slow(struct pb_side *side, u64 addr, u64 len)
{
	unsigned int gup = FOLL_LONGTERM | (pb_side_writes(side) ? FOLL_WRITE : 0);
	unsigned int nr = pb_pages_spanned(addr, len);
	int ret;

	ret = pb_host_pinned(side, nr,
			     pin_user_pages_fast(addr & PAGE_MASK, nr, gup,
						 side->pages),
			     false);
	if (ret || !pb_side_writes(side) || pb_pages_swapbacked(side->pages, nr))
		return ret;
	pb_host_unpin(side);
	return pb_host_pin(side, addr, len, false);
}

/* DMA-map the pinned window for the engine */
static int pb_window_host(struct pb_side *side, u64 addr, u64 *len)
{
	int ret;

	/* pb_window_pin() pinned all of it */
	if (WARN_ON_ONCE(side->nr_pages != pb_pages_spanned(addr, *len)))
		return -EINVAL;
	/* merged no further than the engine takes in one segment */
	ret = sg_alloc_table_from_pages_segment(&side->host_sgt, side->pages,
						pb_pages_spanned(addr, *len),
						offset_in_page(addr), *len,
						max_t(unsigned int, PAGE_SIZE,
						      dma_get_max_seg_size(side->dev)),
						GFP_KERNEL_ACCOUNT);
	if (ret)
		return ret;
	ret = dma_map_sgtable(side->dev, &side->host_sgt, side->dir, 0);
	if (ret)
		return ret;
	side->host_mapped = true;
	*len = pb_side_runs_from_sgt(side, &side->host_sgt, 0, *len);
	return 0;
}

static int pb_window_peer(struct pb_side *side, u64 addr, u64 *len)
{
	u64 covered = 0;
	unsigned int i;

	/* with a channel held: never wait for the mmap lock */
	side->peer = pb_map_user_nowait(current->mm, addr, *len, side->dev,
					pb_side_writes(side), &pb_copy_peer_ops,
					side->op, &side->mm_contended);
	if (IS_ERR(side->peer)) {
		int ret = PTR_ERR(side->peer);

		side->peer = NULL;
		return ret;
	}
	for (i = 0; i < side->peer->nr_segs; i++) {
		const struct peerbridge_seg *seg = &side->peer->segs[i];

		if (!pb_side_add_run(side, seg->addr, seg->len))
			break;
		covered += seg->len;
	}
	*len = min(*len, covered);
	return 0;
}

static int pb_window_dmabuf(struct pb_side *side, u64 offset, u64 *len)
{
	struct dma_resv *resv = side->dmabuf->resv;
	struct sg_table *sgt;
	int ret;

	ret = dma_resv_lock_interruptible(resv, NULL);
	if (ret)
		return ret;
	sgt = dma_buf_map_attachment(side->attach, side->dir);
	dma_resv_unlock(resv);
	if (IS_ERR(sgt))
		return PTR_ERR(sgt);
	side->sgt = sgt;
	if (pb_copy_cancelled(side->op))
		return -ENODEV;
	/* a move the exporter pipelined into this mapping must be over */
	ret = pb_copy_fence_wait(side->dmabuf, DMA_RESV_USAGE_KERNEL);
	if (ret)
		return ret;
	*len = pb_side_runs_from_sgt(side, sgt, offset, *len);
	return 0;
}

/*
 * Map the side's part of the window that starts @done bytes into the copy
 * and is at most *len bytes; *len becomes what it covers, never 0.  Called
 * for pinned ordinary memory (@host) first, then for the other sides, whose
 * exporters may cover less: the host pages were pinned for all of *len.
 */
static int pb_side_window(struct pb_side *side, bool host, u64 done,
			  u64 *len)
{
	bool is_host = side->kind == PB_SIDE_HOST;
	int ret = 0;

	if (is_host != host)
		return 0;
	side->nr_runs = 0;
	switch (side->kind) {
	case PB_SIDE_DMABUF:
		ret = pb_window_dmabuf(side, side->addr + done, len);
		break;
	case PB_SIDE_PEER:
		ret = pb_window_peer(side, side->addr + done, len);
		break;
	case PB_SIDE_HOST:
		ret = pb_window_host(side, side->addr + done, len);
		break;
	}
	if (!ret && !*len)
		ret = -EINVAL;	/* an exporter's table shorter than its buffer */
	if (!ret && pb_copy_cancelled(side->op))
		ret = -ENODEV;
	return ret;
}

/* Give back what the window pinned and mapped. */
static void pb_side_window_release(struct pb_side *side)
{
	if (side->sgt) {
		dma_resv_lock(side->dmabuf->resv, NULL);
		dma_buf_unmap_attachment(side->attach, side->sgt, side->dir);
		dma_resv_unlock(side->dmabuf->resv);
		side->sgt = NULL;
	}
	if (side->peer) {
		peerbridge_unmap_user(side->peer);
		side->peer = NULL;
	}
	if (side->host_mapped) {
		dma_unmap_sgtable(side->dev, &side->host_sgt, side->dir, 0);
		side->host_mapped = false;
	}
	sg_free_table(&side->host_sgt);
	memset(&side->host_sgt, 0, sizeof(side->host_sgt));
	if (side->nr_pages) {
		unpin_user_pages_dirty_lock(side->pages, side->nr_pages,
					    side->written);
		side->nr_pages = 0;
	}
	side->written = false;
}

/* once its windows are released and it is detached */
static void pb_side_free(struct pb_side *side)
{
	if (side->dmabuf && !IS_ERR(side->dmabuf))
		dma_buf_put(side->dmabuf);
	kvfree(side->pages);
	kvfree(side->runs);
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
	/*
	 * This descriptor's reference, taken before the waiter can see it
	 * done and issue the next descriptor, whose reference it must not
	 * drop; held until the wake-up is over.
	 */
	bool ref = atomic_xchg(&op->desc_ref, 0);

	op->result = res ? res->result : DMA_TRANS_NOERROR;
	/* publishes result; pairs with pb_copy_desc_done() */
	smp_store_release(&op->done, true);
	wake_up_all(&op->wq);
	if (ref)
		kref_put(&op->ref, pb_copy_op_free);
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

	if (pb_copy_cancelled(op))
		return -ENODEV;
	tx = dmaengine_prep_dma_memcpy(chan, dst, src, len,
				       DMA_PREP_INTERRUPT | DMA_CTRL_ACK);
	if (!tx)
		return -ENOMEM;	/* no descriptor to be had */
	WRITE_ONCE(op->done, false);
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
					   pb_copy_cancelled(op),
					   PB_COPY_DESC_TIMEOUT);
	if (pb_copy_desc_done(op))
		return op->result == DMA_TRANS_NOERROR ? 0 : -EIO;
	if (pb_copy_stop(chan, op)) {
		*stuck = true;
		return -EIO;
	}
	if (pb_copy_cancelled(op))
		return -ENODEV;
	return left < 0 ? -EINTR : -ETIMEDOUT;
}

/* Move the window's @len bytes, descriptor by descriptor. */
static int pb_copy_runs(struct dma_chan *chan, struct pb_copy_op *op,
			struct pb_side *dst, struct pb_side *src, u64 len,
			u64 *copied, bool *stuck)
{
	u64 max = min_t(u64, PB_COPY_DESC_MAX, dma_get_max_seg_size(dst->dev));
	unsigned int di = 0, si = 0;
	u64 doff = 0, soff = 0, done = 0;
	int ret;

	dst->written = true;	/* from the first descriptor on, maybe part of it */
	while (done < len) {
		u64 n = min3(dst->runs[di].len - doff, src->runs[si].len - soff,
			     min(len - done, max));

		ret = pb_copy_one(chan, op, dst->runs[di].addr + doff,
				  src->runs[si].addr + soff, n, stuck);
		if (ret)
			return ret;
		*copied += n;
		done += n;
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

static bool pb_chan_of_engine(struct dma_chan *chan, void *engine)
{
	return chan->device->dev == engine;
}

/*
 * A DMA_MEMCPY channel of its own, as one of at most max_copies, on
 * @engine's device when that is given (a copy taking a channel again
 * after it parked: its peer sides passed the topology policy for that
 * device).  When none may be taken while other copies hold one (or, for
 * @engine, while its driver is bound), wait for a release: killable, and
 * at most @timeout in all (-EBUSY).  -ENXIO when there is no channel to
 * wait for, -ENODEV when @engine went away.
 */
static struct dma_chan *pb_copy_chan_get(struct device *engine, long timeout)
{
	unsigned long deadline = jiffies + timeout;
	struct dma_chan *chan;
	dma_cap_mask_t mask;
	unsigned int gen;
	long left;

	dma_cap_zero(mask);
	dma_cap_set(DMA_MEMCPY, mask);
	for (;;) {
		mutex_lock(&pb_copy_chan_lock);
		if (pb_copy_chans < clamp(READ_ONCE(max_copies), 1U,
					  (unsigned int)PB_COPY_MAX_COPIES)) {
			chan = dma_request_channel(mask,
						   engine ? pb_chan_of_engine : NULL,
						   engine);
			if (chan) {
				pb_copy_chans++;
				mutex_unlock(&pb_copy_chan_lock);
				return chan;
			}
			if (!pb_copy_chans && !engine) {  /* none to wait for */
				mutex_unlock(&pb_copy_chan_lock);
				break;
			}
		}
		gen = pb_copy_chan_gen;
		mutex_unlock(&pb_copy_chan_lock);
		if (engine && !READ_ONCE(engine->driver))
			return ERR_PTR(-ENODEV);	/* the engine went away */
		left = (long)(deadline - jiffies);
		if (left <= 0)
			return ERR_PTR(-EBUSY);
		/* a release by a client other than peerbridge wakes no one */
		if (wait_event_killable_timeout(pb_copy_chan_wq,
						READ_ONCE(pb_copy_chan_gen) != gen,
						min_t(long, left, HZ)) < 0)
			return ERR_PTR(-EINTR);
	}
	pr_info_ratelimited("peerbridge: COPY needs a DMA_MEMCPY dmaengine channel and none is available\n");
	return ERR_PTR(-ENXIO);
}

/*
 * The channel goes back, or, when its engine is stuck with a copy's memory,
 * stays taken for good: no longer a copy to wait for, nor one of max_copies.
 */
static void pb_copy_chan_put(struct dma_chan *chan, bool stuck)
{
	if (!stuck) {
		/* the completion callback's tail has left our code */
		dmaengine_synchronize(chan);
		dma_release_channel(chan);
	}
	mutex_lock(&pb_copy_chan_lock);
	pb_copy_chans--;
	WRITE_ONCE(pb_copy_chan_gen, pb_copy_chan_gen + 1);
	mutex_unlock(&pb_copy_chan_lock);
	wake_up_all(&pb_copy_chan_wq);
}

/*
 * Take a channel, waiting at most @timeout for one: the first of any
 * engine, later ones of the same engine.  Then attach the dma-buf sides
 * for the device that does its DMA.  The result names the channel that
 * moves the next window.
 */
static int pb_copy_take(struct pb_copy_ctx *cx, long timeout)
{
	struct dma_chan *chan;
	struct device *dev;
	int ret;

	if (pb_copy_cancelled(cx->op))
		return -ENODEV;
	chan = pb_copy_chan_get(cx->engine, timeout);
	if (IS_ERR(chan))
		return PTR_ERR(chan);
	cx->chan = chan;
	if (!cx->engine) {
		/* a copy's retakes look for it by this, bound or not */
		cx->engine = get_device(chan->device->dev);
		strscpy_pad(cx->arg->engine, dev_name(cx->engine),
			    sizeof(cx->arg->engine));
	}
	strscpy_pad(cx->arg->channel, dma_chan_name(chan),
		    sizeof(cx->arg->channel));
	/* the channel's own device on some engines: alive while it is held */
	dev = dmaengine_get_dma_device(chan);
	cx->dst.dev = dev;
	cx->src.dev = dev;
	ret = pb_side_attach(&cx->dst);
	if (!ret)
		ret = pb_side_attach(&cx->src);
	return ret;
}

/*
 * Park, with no window mapped: give back the dma-buf attachments and the
 * channel.  A parked copy holds no channel and no attachment, whatever it
 * waits for and however many copies do.
 */
static void pb_copy_park(struct pb_copy_ctx *cx)
{
	pb_side_detach(&cx->src);
	pb_side_detach(&cx->dst);
	pb_copy_chan_put(cx->chan, false);
	cx->chan = NULL;
	cx->dst.dev = NULL;
	cx->src.dev = NULL;
}

/*
 * Pin the window's ordinary memory, holding the channel only while no pin
 * waits.  When one would, the copy gives back the pins it made and parks;
 * holding nothing else, it pins the sides that had to wait, then the
 * others, however slowly that goes, and takes a channel again if one is
 * free at once.  If none is, it lets go of the pins too and waits for a
 * channel holding nothing, then tries the window again: the waits for a
 * channel in one window add up to at most PB_COPY_CHAN_WAIT.  So a copy
 * waiting for user space holds no pin but, when both sides wait, the one
 * pinned first.
 */
static int pb_window_pin(struct pb_copy_ctx *cx, u64 done, u64 len)
{
	unsigned long deadline = jiffies + PB_COPY_CHAN_WAIT;
	struct pb_side *sides[] = { &cx->dst, &cx->src };
	bool slow[ARRAY_SIZE(sides)];
	int i, ret, pass;
	bool park;

	for (;;) {
		park = false;
		for (i = 0; i < ARRAY_SIZE(sides); i++) {
			slow[i] = false;
			if (sides[i]->kind != PB_SIDE_HOST)
				continue;
			ret = pb_host_pin(sides[i], sides[i]->addr + done, len,
					  true);
			slow[i] = ret == -EAGAIN;
			park |= slow[i];
			if (ret && !slow[i])
				return ret;
		}
		if (!park)
			return 0;

		for (i = 0; i < ARRAY_SIZE(sides); i++)
			pb_host_unpin(sides[i]);
		pb_copy_park(cx);
		/* those that wait first, with nothing pinned: then the rest */
		for (pass = 1; pass >= 0; pass--) {
			for (i = 0; i < ARRAY_SIZE(sides); i++) {
				if (sides[i]->kind != PB_SIDE_HOST ||
				    slow[i] != pass)
					continue;
				ret = pb_host_pin_slow(sides[i],
						       sides[i]->addr + done,
						       len);
				if (ret)
					return ret;
			}
		}
		if (fatal_signal_pending(current))
			return -EINTR;
		ret = pb_copy_take(cx, 0);
		if (ret != -EBUSY || cx->chan)
			return ret;	/* every side pinned, or an error */
		for (i = 0; i < ARRAY_SIZE(sides); i++)
			pb_host_unpin(sides[i]);
		ret = pb_copy_take(cx, max_t(long, (long)(deadline - jiffies),
					     0));
		if (ret)
			return ret;
	}
}

/*
 * A peer side found the mmap lock taken (by a fault user space serves, or
 * a writer queued behind one): park, wait for the lock, take a channel
 * again; the window starts over.
 */
static int pb_copy_wait_mm(struct pb_copy_ctx *cx)
{
	struct mm_struct *mm = current->mm;

	pb_copy_park(cx);
	if (mmap_read_lock_killable(mm))
		return -EINTR;
	mmap_read_unlock(mm);
	return pb_copy_take(cx, PB_COPY_CHAN_WAIT);
}

/*
 * Window by window: pin the window's ordinary memory, map its peer memory,
 * move the bytes, give everything back.  Memory and time per step are
 * bounded whatever the length.  Revocation of a window's memory cancels
 * the copy; memory revoked between windows is found gone (ENODEV) when the
 * next window maps it, and a peer range an exporter has moved meanwhile is
 * followed where the mapping now resolves, as a CPU copy would.  Fatal
 * signals end the copy between windows as within one.
 */
static int pb_copy_windows(struct pb_copy_ctx *cx)
{
	bool admin = ns_capable_noaudit(&init_user_ns, CAP_SYS_ADMIN);
	struct pb_side *dst = &cx->dst, *src = &cx->src;
	struct peerbridge_copy *arg = cx->arg;
	u64 done = 0, w;
	int ret = 0, host;

	while (!ret && done < arg->len) {
		if (pb_copy_cancelled(cx->op))
			return -ENODEV;
		if (fatal_signal_pending(current))
			return -EINTR;
		w = min(arg->len - done, cx->window);
		dst->mm_contended = false;
		src->mm_contended = false;
		ret = pb_window_pin(cx, done, w);
		/* every side covers at least the final w: it only shrinks */
		for (host = 1; host >= 0 && !ret; host--) {
			ret = pb_side_window(dst, host, done, &w);
			if (!ret)
				ret = pb_side_window(src, host, done, &w);
		}
		/* physical, bus and IOVA addresses: for the administrator only */
		if (!ret && !done && admin) {
			arg->dst_dma = dst->runs[0].addr;
			arg->src_dma = src->runs[0].addr;
		}
		if (!ret)
			ret = pb_copy_runs(cx->chan, cx->op, dst, src, w,
					   &arg->copied, &cx->stuck);
		if (cx->stuck)
			break;	/* the engine may still write: keep it all */
		pb_side_window_release(src);
		pb_side_window_release(dst);
		if (ret == -EWOULDBLOCK &&
		    (dst->mm_contended || src->mm_contended)) {
			ret = pb_copy_wait_mm(cx);
			continue;	/* the same window again */
		}
		done += w;
	}
	return ret;
}

static int pb_copy(struct peerbridge_copy *arg)
{
	struct pb_copy_ctx cx = {
		.arg = arg,
		.dst = { .dir = DMA_FROM_DEVICE },
		.src = { .dir = DMA_TO_DEVICE },
		.window = (u64)clamp(READ_ONCE(copy_window_kib), 4U,
				     PB_COPY_WINDOW_MAX_KIB) * SZ_1K,
	};
	struct pb_copy_op *op;
	int ret;

	op = kzalloc(sizeof(*op), GFP_KERNEL_ACCOUNT);
	if (!op)
		return -ENOMEM;
	kref_init(&op->ref);
	init_waitqueue_head(&op->wq);
	cx.op = op;
	cx.dst.op = op;
	cx.src.op = op;

	/* both sides whole and allowed before a channel is taken */
	ret = pb_side_check(&cx.dst, &arg->dst, arg->len);
	if (!ret)
		ret = pb_side_check(&cx.src, &arg->src, arg->len);
	if (!ret)
		ret = pb_side_alloc(&cx.dst, cx.window);
	if (!ret)
		ret = pb_side_alloc(&cx.src, cx.window);
	if (!ret)
		ret = pb_copy_take(&cx, PB_COPY_CHAN_WAIT);
	if (!ret)
		ret = pb_copy_windows(&cx);
	if (cx.stuck) {
		/*
		 * Never give back memory an engine may write, nor the code
		 * its callbacks and the sides' hooks point into.
		 */
		__module_get(THIS_MODULE);
		pb_copy_chan_put(cx.chan, true);
		return ret;
	}

	if (cx.chan)
		pb_copy_park(&cx);
	put_device(cx.engine);
	pb_side_free(&cx.src);
	pb_side_free(&cx.dst);
	kref_put(&op->ref, pb_copy_op_free);
	/* an exporter's interruptible wait: the copy is not restarted */
	return ret == -ERESTARTSYS ? -EINTR : ret;
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
	ret = pb_copy(&arg);

	/* report what moved even when the copy failed part way */
	ret2 = pb_copy_arg_out(uarg, &arg, sizeof(arg));
	return ret ? ret : ret2;
}
