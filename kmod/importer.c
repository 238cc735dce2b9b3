// SPDX-License-Identifier: GPL-2.0
/*
 * The importer side of the kernel API: resolve a user address range inside
 * peer VMAs into DMA segments for one device, through the VMAs' own peer
 * callbacks (no struct page, no GUP), and tell the importer when the memory
 * is revoked.  COPY uses exactly this for user addresses in peer memory.
 */
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/peerbridge.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "pb_priv.h"

/*
 * What p2p_map returned for one span, to undo it.  It holds a reference on
 * the module the callbacks live in, so p2p_unmap can always be called.
 */
struct pb_raw_seg {
	const struct peerbridge_peer_ops *ops;
	struct peerbridge_seg seg;
};

struct pb_import {
	struct peerbridge_mapping pub;	/* merged segments */
	struct peerbridge_region *region;	/* referenced */
	struct list_head node;		/* region->importers */
	const struct peerbridge_importer_ops *ops;
	void *priv;
	bool invalidated;		/* under region->importers_lock */
	unsigned int nr_raw;
	struct pb_raw_seg *raw;
	struct device *dev;
	bool write;
	pid_t pid;			/* who asked, for the holder report */
};

static int pb_import_span(const struct pb_peer_span *span, void *arg)
{
	struct pb_import *im = arg;
	struct peerbridge_seg *seg;
	struct pb_raw_seg *raw;
	int ret;

	raw = krealloc_array(im->raw, im->nr_raw + 1, sizeof(*raw),
			     GFP_KERNEL);
	if (!raw)
		return -ENOMEM;
	im->raw = raw;
	raw += im->nr_raw;
	raw->ops = span->ops;
	seg = &raw->seg;
	if (!try_module_get(span->ops->owner))
		return -ENODEV;		/* the exporting driver is going */
	ret = span->ops->p2p_map(span->vma, im->dev, span->start, span->end,
				 im->write, seg);
	if (ret)
		goto err_put_module;
	/* the segment must be the run the exporter just resolved */
	if (seg->region != span->region || seg->offset != span->offset ||
	    seg->len != span->end - span->start) {
		pr_err_ratelimited("peerbridge: %ps mapped %#lx-%#lx to something p2p_resolve did not say\n",
				   span->ops->p2p_map, span->start, span->end);
		span->ops->p2p_unmap(seg);
		ret = -EIO;
		goto err_put_module;
	}
	im->nr_raw++;
	return 0;

err_put_module:
	module_put(span->ops->owner);
	return ret;
}

static void pb_import_unmap_raw(struct pb_import *im)
{
	while (im->nr_raw) {
		struct pb_raw_seg *r = &im->raw[--im->nr_raw];
		struct module *owner = r->ops->owner;

		r->ops->p2p_unmap(&r->seg);
		module_put(owner);
	}
}

/* the public segments: runs contiguous on the bus merged */
static int pb_import_merge(struct pb_import *im)
{
	struct peerbridge_seg *out;
	unsigned int i, n = 0;

	out = kcalloc(im->nr_raw, sizeof(*out), GFP_KERNEL);
	if (!out)
		return -ENOMEM;
	for (i = 0; i < im->nr_raw; i++) {
		const struct peerbridge_seg *s = &im->raw[i].seg;

		if (n && out[n - 1].addr + out[n - 1].len == s->addr)
			out[n - 1].len += s->len;
		else
			out[n++] = *s;
	}
	im->pub.segs = out;
	im->pub.nr_segs = n;
	return 0;
}

/* the callbacks saw whole pages: cut the segments to the bytes asked for */
static void pb_import_trim(struct pb_import *im, unsigned long addr, u64 len)
{
	struct peerbridge_seg *first = &im->pub.segs[0];
	struct peerbridge_seg *last = &im->pub.segs[im->pub.nr_segs - 1];
	u64 head = offset_in_page(addr);
	u64 tail = PAGE_ALIGN(addr + len) - (addr + len);

	first->addr += head;
	first->len -= head;
	last->len -= tail;
}

/*
 * Resolve and map the range, then join the region's importers, unless a
 * range revocation ran meanwhile (-EAGAIN: the caller tries again) or the
 * region left the live state (-ENODEV).  Both are checked under the list's
 * lock: a revocation that starts later takes that lock after us and finds
 * this mapping; one that started earlier is seen, and the mapping is never
 * joined, so its invalidate callback is never called for it.  Called with
 * @mm's mmap lock held for reading, which it releases.
 */
static int pb_import_once(struct pb_import *im, struct mm_struct *mm,
			  unsigned long addr, u64 len, int seq)
{
	struct peerbridge_region *region;
	bool raced, live;
	int ret;

	lockdep_assert_held(&mm->mmap_lock);
	ret = pb_walk_peer_range(mm, addr, len, pb_import_span, im);
	mmap_read_unlock(mm);
	if (ret)
		goto err_unmap_raw;
	ret = pb_import_merge(im);
	if (ret)
		goto err_unmap_raw;
	pb_import_trim(im, addr, len);

	/* the walk allows one region per range */
	region = im->raw[0].seg.region;
	mutex_lock(&region->importers_lock);
	raced = pb_revoke_seq_changed(seq);
	down_read(&region->mem_lock);
	live = region->state == PB_REGION_LIVE;
	up_read(&region->mem_lock);
	if (live && !raced)
		list_add_tail(&im->node, &region->importers);
	mutex_unlock(&region->importers_lock);
	if (!live || raced) {
		ret = live ? -EAGAIN : -ENODEV;
		goto err_free_segs;
	}
	im->region = peerbridge_region_get(region);
	return 0;

err_free_segs:
	kfree(im->pub.segs);
	im->pub.segs = NULL;
err_unmap_raw:
	pb_import_unmap_raw(im);
	return ret;
}

/*
 * With @contended, the mmap lock is only tried: when it is not free at
 * once, *@contended is set and the result is -EWOULDBLOCK.
 */
static struct peerbridge_mapping *
pb_map_user(struct mm_struct *mm, unsigned long addr, u64 len,
	    struct device *dev, bool write,
	    const struct peerbridge_importer_ops *ops, void *priv,
	    bool *contended)
{
	struct pb_import *im;
	int ret, seq, tries = 0;

	if (!mm || !dev)
		return ERR_PTR(-EINVAL);
	im = kzalloc(sizeof(*im), GFP_KERNEL);
	if (!im)
		return ERR_PTR(-ENOMEM);
	INIT_LIST_HEAD(&im->node);
	im->ops = ops;
	im->priv = priv;
	im->dev = dev;
	im->write = write;
	im->pid = task_tgid_nr(current);

	do {
		seq = pb_revoke_seq_begin();
		if (contended && !mmap_read_trylock(mm)) {
			*contended = true;
			ret = -EWOULDBLOCK;
			break;
		}
		if (!contended && mmap_read_lock_killable(mm)) {
			ret = -EINTR;
			break;
		}
		ret = pb_import_once(im, mm, addr, len, seq);
	} while (ret == -EAGAIN && ++tries < PB_RESOLVE_TRIES);
	if (ret) {
		kfree(im->raw);
		kfree(im);
		return ERR_PTR(ret);
	}
	return &im->pub;
}

struct peerbridge_mapping *
peerbridge_map_user(struct mm_struct *mm, unsigned long addr, u64 len,
		    struct device *dev, bool write,
		    const struct peerbridge_importer_ops *ops, void *priv)
{
	return pb_map_user(mm, addr, len, dev, write, ops, priv, NULL);
}
EXPORT_SYMBOL_GPL(peerbridge_map_user);

struct peerbridge_mapping *
pb_map_user_nowait(struct mm_struct *mm, unsigned long addr, u64 len,
		   struct device *dev, bool write,
		   const struct peerbridge_importer_ops *ops, void *priv,
		   bool *contended)
{
	return pb_map_user(mm, addr, len, dev, write, ops, priv, contended);
}

void peerbridge_unmap_user(struct peerbridge_mapping *map)
{
	struct pb_import *im = container_of(map, struct pb_import, pub);
	struct peerbridge_region *region = im->region;

	/* waits for an invalidate callback in flight */
	mutex_lock(&region->importers_lock);
	list_del(&im->node);
	mutex_unlock(&region->importers_lock);

	/* each unmap wakes a revocation that waits for this mapping */
	pb_import_unmap_raw(im);
	peerbridge_region_put(region);
	kfree(im->pub.segs);
	kfree(im->raw);
	kfree(im);
}
EXPORT_SYMBOL_GPL(peerbridge_unmap_user);

static bool pb_import_overlaps(const struct pb_import *im, u64 offset,
			       u64 len)
{
	unsigned int i;

	for (i = 0; i < im->nr_raw; i++)
		if (pb_ranges_overlap(im->raw[i].seg.offset, im->raw[i].seg.len,
				      offset, len))
			return true;
	return false;
}

/* Revocation of [offset, offset + len): tell each importer of it, once. */
void pb_importers_invalidate(struct peerbridge_region *region, u64 offset,
			     u64 len)
{
	struct pb_import *im;

	mutex_lock(&region->importers_lock);
	list_for_each_entry(im, &region->importers, node) {
		if (im->invalidated || !pb_import_overlaps(im, offset, len))
			continue;
		im->invalidated = true;
		if (im->ops && im->ops->invalidate)
			im->ops->invalidate(im->priv);
	}
	mutex_unlock(&region->importers_lock);
}

/* whether every invalidated mapping of [offset, offset + len) is gone */
bool pb_importers_drained(struct peerbridge_region *region, u64 offset,
			  u64 len)
{
	struct pb_import *im;
	bool drained = true;

	mutex_lock(&region->importers_lock);
	list_for_each_entry(im, &region->importers, node)
		if (im->invalidated && pb_import_overlaps(im, offset, len))
			drained = false;
	mutex_unlock(&region->importers_lock);
	return drained;
}

/* one line per importer mapping, appended at @at of a sysfs page */
ssize_t pb_importers_holders(struct peerbridge_region *region, char *buf,
			     ssize_t at)
{
	struct pb_import *im;

	mutex_lock(&region->importers_lock);
	list_for_each_entry(im, &region->importers, node) {
		u64 len = 0;
		unsigned int i;

		for (i = 0; i < im->nr_raw; i++)
			len += im->raw[i].seg.len;
		at += sysfs_emit_at(buf, at,
				    "mapping device=%s pid=%d offset=%#llx len=%#llx ranges=%u state=%s\n",
				    dev_name(im->dev), im->pid,
				    im->raw[0].seg.offset, len, im->nr_raw,
				    im->invalidated ? "invalidated" : "live");
	}
	mutex_unlock(&region->importers_lock);
	return at;
}
