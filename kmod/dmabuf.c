// SPDX-License-Identifier: GPL-2.0
/*
 * dma-buf export of peer memory.  EXPORT turns a range of the caller's
 * peer mappings into a dma-buf over (region, offset, length) runs, as the
 * VMAs' exporters resolve them, so the buffer outlives the mappings.  The
 * exporter is dynamic (it has pin and unpin), which lets importers map it
 * read-only; attach refuses importers that cannot take peer-to-peer
 * addresses and importers the topology policy forbids; map hands out DMA
 * addresses only, one scatterlist entry per contiguous run, and fails with
 * ENODEV once the export is revoked (its region, or the range it covers).
 *
 * Pinned importers: an importer that calls dma_buf_pin() (efa, irdma,
 * bnxt_re, mana, ib_umem_dmabuf_get_pinned()) promises nothing on
 * move_notify.  Revocation still notifies it, then waits for it like for
 * any mapping (bounded, named as "pinned" in the log and in sysfs
 * "holders"); pinning a revoked export fails with ENODEV.
 */
#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/file.h>
#include <linux/module.h>
#include <linux/fs.h>
#include <linux/sched.h>
#include <linux/security.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <uapi/peerbridge.h>

#include "pb_priv.h"

MODULE_IMPORT_NS(DMA_BUF);

/* largest scatterlist entry we emit: page aligned, fits sg_dma_len() */
#define PB_SG_MAX	SZ_1G

/* attach->priv: what this importer holds, under dmabuf->resv */
struct pb_attach {
	unsigned int pins;
	unsigned int maps;
};

/*
 * An importer that pinned the buffer itself.  Without
 * CONFIG_DMABUF_MOVE_NOTIFY (the stock kernels) the dma-buf core pins
 * around every mapping of a dynamic importer too; those pins come with a
 * mapping each and do not count.
 */
static bool pb_attach_pinned(const struct dma_buf_attachment *attach)
{
	const struct pb_attach *pa = attach->priv;
	unsigned int implicit = IS_ENABLED(CONFIG_DMABUF_MOVE_NOTIFY) ? 0 :
				pa->maps;

	return !attach->importer_ops || pa->pins > implicit;
}

/* What map_dma_buf hands out, with what it must undo. */
struct pb_sgt {
	struct sg_table sgt;
	size_t kmem;		/* charged to PB_KMEM_MAP */
	unsigned int nr_segs;
	struct peerbridge_seg segs[];
};

static int pb_dmabuf_attach(struct dma_buf *dmabuf,
			    struct dma_buf_attachment *attach)
{
	struct pb_export *exp = dmabuf->priv;
	enum peerbridge_path path;
	struct pb_attach *pa;
	int ret;

	if (!attach->peer2peer)
		return -EOPNOTSUPP;
	if (READ_ONCE(exp->revoked))
		return -ENODEV;
	ret = pb_topology_path(exp->region, attach->dev, &path);
	if (ret)
		return ret;
	pa = kzalloc(sizeof(*pa), GFP_KERNEL);
	if (!pa)
		return -ENOMEM;
	pb_kmem_charge(PB_KMEM_ATTACH, kmalloc_size_roundup(sizeof(*pa)));
	attach->priv = pa;
	atomic_inc(&exp->region->nr_attachments);
	return 0;
}

static void pb_dmabuf_detach(struct dma_buf *dmabuf,
			     struct dma_buf_attachment *attach)
{
	struct pb_export *exp = dmabuf->priv;

	kfree(attach->priv);
	pb_kmem_uncharge(PB_KMEM_ATTACH,
			 kmalloc_size_roundup(sizeof(struct pb_attach)));
	atomic_dec(&exp->region->nr_attachments);
}

/*
 * Device memory never moves, so a pin changes nothing about the memory;
 * it is counted so that revocation can tell who promised to let go.
 */
static int pb_dmabuf_pin(struct dma_buf_attachment *attach)
{
	struct pb_export *exp = attach->dmabuf->priv;
	struct pb_attach *pa = attach->priv;

	dma_resv_assert_held(attach->dmabuf->resv);
	if (exp->revoked)
		return -ENODEV;
	pa->pins++;
	return 0;
}

static void pb_dmabuf_unpin(struct dma_buf_attachment *attach)
{
	struct pb_attach *pa = attach->priv;

	dma_resv_assert_held(attach->dmabuf->resv);
	pa->pins--;
}

/*
 * What sg_alloc_table() allocates for @nents: chunks of SG_MAX_SINGLE_ALLOC
 * entries, each a page whose last entry chains to the next, and a tail
 * from kmalloc() (a page when it is full).
 */
static size_t pb_sg_table_bytes(unsigned int nents)
{
	size_t bytes = 0;

	while (nents > SG_MAX_SINGLE_ALLOC) {
		bytes += PAGE_SIZE;
		nents -= SG_MAX_SINGLE_ALLOC - 1;
	}
	if (nents == SG_MAX_SINGLE_ALLOC)
		return bytes + PAGE_SIZE;
	return bytes + kmalloc_size_roundup(nents * sizeof(struct scatterlist));
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
	((struct pb_attach *)attach->priv)->maps++;
	atomic_inc(&exp->maps);
	pbs->kmem = kmalloc_size_roundup(struct_size(pbs, segs, exp->nr_ranges)) +
		    pb_sg_table_bytes(nents);
	pb_kmem_charge(PB_KMEM_MAP, pbs->kmem);
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
	struct pb_export *exp = attach->dmabuf->priv;

	((struct pb_attach *)attach->priv)->maps--;
	/* before the unmaps below: each wakes a revocation that waits */
	atomic_dec(&exp->maps);
	while (pbs->nr_segs)
		peerbridge_region_unmap(&pbs->segs[--pbs->nr_segs]);
	sg_free_table(&pbs->sgt);
	pb_kmem_uncharge(PB_KMEM_MAP, pbs->kmem);
	kfree(pbs);
}

static void pb_export_free(struct pb_export *exp)
{
	if (exp->inode)
		iput(exp->inode);
	if (exp->region)
		peerbridge_region_put(exp->region);
	if (exp->kmem)
		pb_kmem_uncharge(PB_KMEM_EXPORT, exp->kmem);
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
	.mmap = pb_dmabuf_mmap,
};

/* EXPORT's span callback: collect runs, merging contiguous ones. */
static int pb_export_span(const struct pb_peer_span *span, void *arg)
{
	struct pb_export *exp = arg;
	struct pb_export_range *last, *ranges;
	u64 len = span->end - span->start;

	if (!exp->region)
		exp->region = peerbridge_region_get(span->region);
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

/*
 * EXPORT of [offset, offset + len) of a region by its node's open file,
 * with no mapping: holding the file is what authorizes it, as for mmap,
 * and a file opened read-only exports read-only.
 */
static int pb_export_node_range(struct pb_export *exp,
				const struct peerbridge_export *arg)
{
	struct peerbridge_region *region;
	struct file *file;
	int ret;

	file = fget(arg->fd);
	if (!file)
		return -EBADF;
	ret = -EINVAL;
	if (file->f_op != &pb_region_fops)
		goto out_put;
	ret = -EACCES;
	if (!(file->f_mode & FMODE_READ))
		goto out_put;
	/* a raw BAR window, as the node's mmap is: not under lockdown */
	ret = security_locked_down(LOCKDOWN_PCI_ACCESS);
	if (ret)
		goto out_put;
	region = file->private_data;
	ret = -EINVAL;
	if (!arg->len || arg->addr >= region->size ||
	    arg->len > region->size - arg->addr)
		goto out_put;
	ret = -ENOMEM;
	exp->ranges = kmalloc(sizeof(*exp->ranges), GFP_KERNEL);
	if (!exp->ranges)
		goto out_put;
	exp->ranges[0] = (struct pb_export_range){ arg->addr, arg->len };
	exp->nr_ranges = 1;
	exp->region = peerbridge_region_get(region);
	if (!(file->f_mode & FMODE_WRITE))
		exp->rdonly = true;
	ret = 0;
out_put:
	fput(file);
	return ret;
}

/*
 * Publish the export on its region unless revocation has begun, or a range
 * revocation ran since @seq (then -EAGAIN: it may have missed this export,
 * whose ranges were resolved before it).
 */
static int pb_export_publish(struct pb_export *exp, int seq)
{
	struct peerbridge_region *region = exp->region;
	int ret = 0;

	mutex_lock(&region->exports_lock);
	down_read(&region->mem_lock);
	if (region->state != PB_REGION_LIVE) {
		ret = -ENODEV;
	} else if (pb_revoke_seq_changed(seq)) {
		ret = -EAGAIN;
	} else {
		list_add_tail(&exp->node, &region->exports);
		atomic_inc(&region->nr_exports);
	}
	up_read(&region->mem_lock);
	mutex_unlock(&region->exports_lock);
	return ret;
}

/* Resolve the caller's range and export it as a published dma-buf. */
static struct dma_buf *pb_export_once(const struct peerbridge_export *arg)
{
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);
	int seq = pb_revoke_seq_begin();
	struct dma_buf *dmabuf;
	struct pb_export *exp;
	char *name;
	int ret;

	exp = kzalloc(sizeof(*exp), GFP_KERNEL);
	if (!exp)
		return ERR_PTR(-ENOMEM);
	INIT_LIST_HEAD(&exp->node);
	exp->rdonly = arg->flags & PEERBRIDGE_EXPORT_RDONLY;
	exp->pid = task_tgid_nr(current);

	if (arg->flags & PEERBRIDGE_EXPORT_REGION) {
		ret = pb_export_node_range(exp, arg);
	} else {
		mmap_read_lock(current->mm);
		ret = pb_walk_peer_range(current->mm, arg->addr, arg->len,
					 pb_export_span, exp);
		mmap_read_unlock(current->mm);
	}
	if (ret)
		goto err_free_exp;

	exp_info.ops = &pb_dmabuf_ops;
	exp_info.size = arg->len;
	exp_info.flags = exp->rdonly ? O_RDONLY : O_RDWR;
	exp_info.priv = exp;
	dmabuf = dma_buf_export(&exp_info);
	if (IS_ERR(dmabuf)) {
		ret = PTR_ERR(dmabuf);
		goto err_free_exp;
	}
	/* the dma-buf now owns exp: dma_buf_put() frees it */
	exp->dmabuf = dmabuf;
	exp->inode = file_inode(dmabuf->file);
	ihold(exp->inode);

	/* bufinfo in debugfs names the region and the offset */
	name = kasprintf(GFP_KERNEL, "%s+%#llx", dev_name(&exp->region->dev),
			 exp->ranges[0].offset);
	/* not the name: it is the dma-buf's, which DMA_BUF_SET_NAME replaces */
	exp->kmem = kmalloc_size_roundup(sizeof(*exp)) +
		    kmalloc_size_roundup(array_size(exp->nr_ranges,
						    sizeof(*exp->ranges)));
	pb_kmem_charge(PB_KMEM_EXPORT, exp->kmem);
	if (name) {
		spin_lock(&dmabuf->name_lock);
		dmabuf->name = name;
		spin_unlock(&dmabuf->name_lock);
	}

	ret = pb_export_publish(exp, seq);
	if (ret) {
		dma_buf_put(dmabuf);
		return ERR_PTR(ret);
	}
	return dmabuf;

err_free_exp:
	pb_export_free(exp);
	return ERR_PTR(ret);
}

long pb_ioctl_export(void __user *uarg)
{
	struct peerbridge_export arg;
	struct dma_buf *dmabuf;
	int fd, ret, tries = 0;

	ret = pb_copy_arg_in(&arg, sizeof(arg),
			     offsetofend(struct peerbridge_export, reserved),
			     uarg);
	if (ret)
		return ret;
	if (arg.flags & ~(PEERBRIDGE_EXPORT_RDONLY | PEERBRIDGE_EXPORT_CLOEXEC |
			  PEERBRIDGE_EXPORT_REGION) ||
	    arg.reserved || !PAGE_ALIGNED(arg.addr) || !PAGE_ALIGNED(arg.len))
		return -EINVAL;

	do {
		dmabuf = pb_export_once(&arg);
	} while (PTR_ERR_OR_ZERO(dmabuf) == -EAGAIN && ++tries < PB_RESOLVE_TRIES);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);

	fd = get_unused_fd_flags(arg.flags & PEERBRIDGE_EXPORT_CLOEXEC ?
				 O_CLOEXEC : 0);
	if (fd < 0) {
		ret = fd;
		goto err_put_dmabuf;
	}
	arg.fd = fd;
	arg.out_flags = ((struct pb_export *)dmabuf->priv)->rdonly ?
			PEERBRIDGE_EXPORT_RDONLY : 0;
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
}

static bool pb_export_overlaps(const struct pb_export *exp, u64 offset,
			       u64 len)
{
	unsigned int i;

	for (i = 0; i < exp->nr_ranges; i++)
		if (pb_ranges_overlap(exp->ranges[i].offset, exp->ranges[i].len,
				      offset, len))
			return true;
	return false;
}

/*
 * Revocation of [offset, offset + len), dma-buf side: every export that
 * covers a byte of it fails to map from now on, its importers are told to
 * drop what they hold, and its CPU mappings are zapped.
 */
void pb_dmabuf_revoke(struct peerbridge_region *region, u64 offset, u64 len)
{
	struct pb_export *exp;

	mutex_lock(&region->exports_lock);
	list_for_each_entry(exp, &region->exports, node) {
		if (!pb_export_overlaps(exp, offset, len))
			continue;
		dma_resv_lock(exp->dmabuf->resv, NULL);
		WRITE_ONCE(exp->revoked, true);
		dma_buf_move_notify(exp->dmabuf);
		pb_dmabuf_zap(exp);
		dma_resv_unlock(exp->dmabuf->resv);
	}
	mutex_unlock(&region->exports_lock);
}

/* whether no revoked export of [offset, offset + len) is still mapped */
bool pb_dmabuf_drained(struct peerbridge_region *region, u64 offset, u64 len)
{
	struct pb_export *exp;
	bool drained = true;

	mutex_lock(&region->exports_lock);
	list_for_each_entry(exp, &region->exports, node)
		if (exp->revoked && atomic_read(&exp->maps) &&
		    pb_export_overlaps(exp, offset, len))
			drained = false;
	mutex_unlock(&region->exports_lock);
	return drained;
}

/*
 * One line per export, appended at @at of a sysfs page: who exported it,
 * which part of the region, its state, and each importer attached to it,
 * pinned or dynamic.  Offsets within the region only: no addresses.
 */
static ssize_t pb_export_describe(struct pb_export *exp, char *buf, ssize_t at)
{
	struct dma_buf_attachment *attach;
	unsigned int i;
	u64 len = 0;

	for (i = 0; i < exp->nr_ranges; i++)
		len += exp->ranges[i].len;
	/* the inode number is the "ino" of /proc/<pid>/fdinfo and bufinfo */
	at += sysfs_emit_at(buf, at,
			    "dmabuf ino=%lu pid=%d offset=%#llx len=%#llx ranges=%u mode=%s state=%s importers=",
			    exp->inode->i_ino, exp->pid,
			    exp->ranges[0].offset, len,
			    exp->nr_ranges, exp->rdonly ? "ro" : "rw",
			    exp->revoked ? "revoked" : "live");
	dma_resv_lock(exp->dmabuf->resv, NULL);
	i = 0;
	list_for_each_entry(attach, &exp->dmabuf->attachments, node)
		at += sysfs_emit_at(buf, at, "%s%s:%s:%s", i++ ? "," : "",
				    dev_name(attach->dev),
				    pb_attach_pinned(attach) ? "pinned" : "dynamic",
				    ((struct pb_attach *)attach->priv)->maps ?
				    "mapped" : "idle");
	dma_resv_unlock(exp->dmabuf->resv);
	return at + sysfs_emit_at(buf, at, "%s\n", i ? "" : "-");
}

ssize_t pb_dmabuf_holders(struct peerbridge_region *region, char *buf,
			  ssize_t at)
{
	struct pb_export *exp;

	mutex_lock(&region->exports_lock);
	list_for_each_entry(exp, &region->exports, node)
		at = pb_export_describe(exp, buf, at);
	mutex_unlock(&region->exports_lock);
	return at;
}
