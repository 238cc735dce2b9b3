// SPDX-License-Identifier: GPL-2.0
/*
 * dma-buf export of peer memory.  EXPORT turns a range of the caller's
 * peer mappings into a dma-buf over (region, offset, length) runs, so the
 * buffer outlives the mappings.  The exporter is dynamic (it has pin and
 * unpin), which lets importers map it read-only; attach refuses importers
 * that cannot take peer-to-peer addresses and importers the topology
 * policy forbids; map hands out DMA addresses only, one scatterlist entry
 * per contiguous run, and fails with ENODEV once the region is revoked.
 */
#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/file.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <uapi/peerbridge.h>

#include "pb_priv.h"

MODULE_IMPORT_NS(DMA_BUF);

/* largest scatterlist entry we emit: page aligned, fits sg_dma_len() */
#define PB_SG_MAX	SZ_1G

struct pb_export_range {
	u64 offset;
	u64 len;
};

struct pb_export {
	struct peerbridge_region *region;	/* holds a reference */
	struct dma_buf *dmabuf;
	struct list_head node;		/* on region->exports */
	bool rdonly;
	bool revoked;			/* under dmabuf->resv */
	unsigned int nr_ranges;
	struct pb_export_range *ranges;
};

/* What map_dma_buf hands out, with what it must undo. */
struct pb_sgt {
	struct sg_table sgt;
	unsigned int nr_segs;
	struct peerbridge_seg segs[];
};

static int pb_dmabuf_attach(struct dma_buf *dmabuf,
			    struct dma_buf_attachment *attach)
{
	struct pb_export *exp = dmabuf->priv;

	if (!attach->peer2peer)
		return -EOPNOTSUPP;
	if (pb_topology_path(exp->region->pdev, attach->dev) == PEERBRIDGE_PATH_NONE)
		return -EXDEV;
	atomic_inc(&exp->region->nr_attachments);
	return 0;
}

static void pb_dmabuf_detach(struct dma_buf *dmabuf,
			     struct dma_buf_attachment *attach)
{
	struct pb_export *exp = dmabuf->priv;

	atomic_dec(&exp->region->nr_attachments);
}

/* Device memory never moves: every mapping pins the region by itself. */
static int pb_dmabuf_pin(struct dma_buf_attachment *attach)
{
	return 0;
}

static void pb_dmabuf_unpin(struct dma_buf_attachment *attach)
{
}

static struct sg_table *pb_dmabuf_map(struct dma_buf_attachment *attach,
				      enum dma_data_direction dir)
{
	struct pb_export *exp = attach->dmabuf->priv;
	struct scatterlist *sg;
	unsigned int i, nents = 0;
	struct pb_sgt *pbs;
	int ret;

	dma_resv_assert_held(attach->dmabuf->resv);
	if (exp->revoked)
		return ERR_PTR(-ENODEV);
	if (exp->rdonly && dir != DMA_TO_DEVICE)
		return ERR_PTR(-EACCES);

	for (i = 0; i < exp->nr_ranges; i++)
		nents += DIV_ROUND_UP(exp->ranges[i].len, PB_SG_MAX);
	pbs = kzalloc(struct_size(pbs, segs, exp->nr_ranges), GFP_KERNEL);
	if (!pbs)
		return ERR_PTR(-ENOMEM);
	ret = sg_alloc_table(&pbs->sgt, nents, GFP_KERNEL);
	if (ret)
		goto err_free_pbs;

	sg = pbs->sgt.sgl;
	for (i = 0; i < exp->nr_ranges; i++) {
		struct peerbridge_seg *seg = &pbs->segs[i];
		u64 done, n;

		ret = peerbridge_region_map(exp->region, attach->dev,
					    exp->ranges[i].offset,
					    exp->ranges[i].len, dir, seg);
		if (ret)
			goto err_unmap;
		pbs->nr_segs++;
		/* no struct page: the entries carry DMA addresses only */
		for (done = 0; done < seg->len; done += n) {
			n = min_t(u64, seg->len - done, PB_SG_MAX);
			sg_dma_address(sg) = seg->addr + done;
			sg_dma_len(sg) = n;
			sg = sg_next(sg);
		}
	}
	return &pbs->sgt;

err_unmap:
	while (pbs->nr_segs)
		peerbridge_region_unmap(&pbs->segs[--pbs->nr_segs]);
	sg_free_table(&pbs->sgt);
err_free_pbs:
	kfree(pbs);
	return ERR_PTR(ret);
}

static void pb_dmabuf_unmap(struct dma_buf_attachment *attach,
			    struct sg_table *sgt, enum dma_data_direction dir)
{
	struct pb_sgt *pbs = container_of(sgt, struct pb_sgt, sgt);

	while (pbs->nr_segs)
		peerbridge_region_unmap(&pbs->segs[--pbs->nr_segs]);
	sg_free_table(&pbs->sgt);
	kfree(pbs);
}

static void pb_export_free(struct pb_export *exp)
{
	if (exp->region)
		put_device(&exp->region->dev);
	kfree(exp->ranges);
	kfree(exp);
}

static void pb_dmabuf_release(struct dma_buf *dmabuf)
{
	struct pb_export *exp = dmabuf->priv;
	struct peerbridge_region *region = exp->region;

	mutex_lock(&region->exports_lock);
	if (!list_empty(&exp->node)) {
		list_del_init(&exp->node);
		atomic_dec(&region->nr_exports);
	}
	mutex_unlock(&region->exports_lock);
	pb_export_free(exp);
}

static const struct dma_buf_ops pb_dmabuf_ops = {
	.attach = pb_dmabuf_attach,
	.detach = pb_dmabuf_detach,
	.pin = pb_dmabuf_pin,
	.unpin = pb_dmabuf_unpin,
	.map_dma_buf = pb_dmabuf_map,
	.unmap_dma_buf = pb_dmabuf_unmap,
	.release = pb_dmabuf_release,
};

/* EXPORT's span callback: collect runs, merging contiguous ones. */
static int pb_export_span(const struct pb_peer_span *span, void *arg)
{
	struct pb_export *exp = arg;
	struct pb_export_range *last, *ranges;
	u64 len = span->end - span->start;

	if (!exp->region) {
		exp->region = span->region;
		get_device(&exp->region->dev);
	}
	if (!(span->vma->vm_flags & VM_WRITE))
		exp->rdonly = true;

	last = exp->nr_ranges ? &exp->ranges[exp->nr_ranges - 1] : NULL;
	if (last && last->offset + last->len == span->offset) {
		last->len += len;
		return 0;
	}
	ranges = krealloc_array(exp->ranges, exp->nr_ranges + 1,
				sizeof(*ranges), GFP_KERNEL);
	if (!ranges)
		return -ENOMEM;
	exp->ranges = ranges;
	exp->ranges[exp->nr_ranges++] = (struct pb_export_range) {
		.offset = span->offset,
		.len = len,
	};
	return 0;
}

/* Publish the export on its region unless revocation has begun. */
static int pb_export_publish(struct pb_export *exp)
{
	struct peerbridge_region *region = exp->region;
	int ret = 0;

	mutex_lock(&region->exports_lock);
	down_read(&region->mem_lock);
	if (region->state == PB_REGION_LIVE) {
		list_add_tail(&exp->node, &region->exports);
		atomic_inc(&region->nr_exports);
	} else {
		ret = -ENODEV;
	}
	up_read(&region->mem_lock);
	mutex_unlock(&region->exports_lock);
	return ret;
}

long pb_ioctl_export(void __user *uarg)
{
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);
	struct peerbridge_export arg;
	struct dma_buf *dmabuf;
	struct pb_export *exp;
	char *name;
	int fd, ret;

	ret = pb_copy_arg_in(&arg, sizeof(arg),
			     offsetofend(struct peerbridge_export, reserved),
			     uarg);
	if (ret)
		return ret;
	if (arg.flags & ~(PEERBRIDGE_EXPORT_RDONLY | PEERBRIDGE_EXPORT_CLOEXEC) ||
	    arg.reserved || !PAGE_ALIGNED(arg.addr) || !PAGE_ALIGNED(arg.len))
		return -EINVAL;

	exp = kzalloc(sizeof(*exp), GFP_KERNEL);
	if (!exp)
		return -ENOMEM;
	INIT_LIST_HEAD(&exp->node);
	exp->rdonly = arg.flags & PEERBRIDGE_EXPORT_RDONLY;

	mmap_read_lock(current->mm);
	ret = pb_walk_peer_range(current->mm, arg.addr, arg.len,
				 pb_export_span, exp);
	mmap_read_unlock(current->mm);
	if (ret)
		goto err_free_exp;

	exp_info.ops = &pb_dmabuf_ops;
	exp_info.size = arg.len;
	exp_info.flags = exp->rdonly ? O_RDONLY : O_RDWR;
	exp_info.priv = exp;
	dmabuf = dma_buf_export(&exp_info);
	if (IS_ERR(dmabuf)) {
		ret = PTR_ERR(dmabuf);
		goto err_free_exp;
	}
	/* the dma-buf now owns exp: dma_buf_put() frees it */
	exp->dmabuf = dmabuf;

	/* bufinfo in debugfs names the region and the offset */
	name = kasprintf(GFP_KERNEL, "%s+%#llx", dev_name(&exp->region->dev),
			 exp->ranges[0].offset);
	if (name) {
		spin_lock(&dmabuf->name_lock);
		dmabuf->name = name;
		spin_unlock(&dmabuf->name_lock);
	}

	ret = pb_export_publish(exp);
	if (ret)
		goto err_put_dmabuf;

	fd = get_unused_fd_flags(arg.flags & PEERBRIDGE_EXPORT_CLOEXEC ?
				 O_CLOEXEC : 0);
	if (fd < 0) {
		ret = fd;
		goto err_put_dmabuf;
	}
	arg.fd = fd;
	arg.out_flags = exp->rdonly ? PEERBRIDGE_EXPORT_RDONLY : 0;
	ret = pb_copy_arg_out(uarg, &arg, sizeof(arg));
	if (ret)
		goto err_put_fd;
	fd_install(fd, dmabuf->file);	/* the fd now owns the dma-buf */
	return 0;

err_put_fd:
	put_unused_fd(fd);
err_put_dmabuf:
	dma_buf_put(dmabuf);
	return ret;
err_free_exp:
	pb_export_free(exp);
	return ret;
}

/*
 * Revocation, dma-buf side: new mappings fail from now on and dynamic
 * importers are told to drop theirs.
 */
void pb_dmabuf_revoke(struct peerbridge_region *region)
{
	struct pb_export *exp;

	mutex_lock(&region->exports_lock);
	list_for_each_entry(exp, &region->exports, node) {
		dma_resv_lock(exp->dmabuf->resv, NULL);
		exp->revoked = true;
		dma_buf_move_notify(exp->dmabuf);
		dma_resv_unlock(exp->dmabuf->resv);
	}
	mutex_unlock(&region->exports_lock);
}

/* Revocation timed out: say who still holds DMA mappings. */
void pb_dmabuf_report_holders(struct peerbridge_region *region)
{
	struct dma_buf_attachment *attach;
	struct pb_export *exp;

	dev_warn(&region->dev,
		 "%d DMA mapping(s) still held after revocation; the BAR window stays claimed until they are released\n",
		 atomic_read(&region->pins));
	mutex_lock(&region->exports_lock);
	list_for_each_entry(exp, &region->exports, node) {
		dma_resv_lock(exp->dmabuf->resv, NULL);
		list_for_each_entry(attach, &exp->dmabuf->attachments, node)
			dev_warn(&region->dev,
				 "dma-buf %s is still attached by %s\n",
				 exp->dmabuf->name ?: "?",
				 dev_name(attach->dev));
		dma_resv_unlock(exp->dmabuf->resv);
	}
	mutex_unlock(&region->exports_lock);
}
