// SPDX-License-Identifier: GPL-2.0
/*
 * QUERY: what peer memory a range of the caller's address space is, as
 * the exporter behind each VMA resolves it.  No side effects.
 */
#include <linux/mm.h>
#include <linux/uaccess.h>

#include <uapi/peerbridge.h>

#include "pb_priv.h"

struct pb_query_acc {
	struct peerbridge_query *q;
	bool first;
};

static int pb_query_span(const struct pb_peer_span *span, void *arg)
{
	struct pb_query_acc *acc = arg;
	struct peerbridge_query *q = acc->q;
	struct peerbridge_region *region = span->region;

	if (acc->first) {
		acc->first = false;
		/* the walk starts at the page that holds q->addr */
		q->offset = span->offset + offset_in_page(q->addr);
		q->region_size = region->size;
		q->bar_offset = region->offset;
		q->bar = region->bar;
		q->out_flags = region->wc ? PEERBRIDGE_QUERY_WC : 0;
		strscpy_pad(q->region, dev_name(&region->dev), sizeof(q->region));
		strscpy_pad(q->device, pci_name(region->pdev), sizeof(q->device));
	}
	if (!(span->vma->vm_flags & VM_WRITE))
		q->out_flags |= PEERBRIDGE_QUERY_RDONLY;
	return 0;
}

long pb_ioctl_query(void __user *uarg)
{
	struct peerbridge_query q;
	struct pb_query_acc acc = { .q = &q, .first = true };
	int ret;

	ret = pb_copy_arg_in(&q, sizeof(q),
			     offsetofend(struct peerbridge_query, reserved),
			     uarg);
	if (ret)
		return ret;
	if (q.flags || q.reserved)
		return -EINVAL;

	mmap_read_lock(current->mm);
	ret = pb_walk_peer_range(current->mm, q.addr, q.len, pb_query_span,
				 &acc);
	mmap_read_unlock(current->mm);
	if (ret)
		return ret;

	return pb_copy_arg_out(uarg, &q, sizeof(q));
}
