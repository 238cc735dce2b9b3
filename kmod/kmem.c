// SPDX-License-Identifier: GPL-2.0
/*
 * What peerbridge's dma-bufs cost in kernel memory, counted where it is
 * allocated: per export (its object and ranges), per attachment and per
 * mapping (its segment array and scatterlist), each in the slab bucket
 * kmalloc() rounds it up to.  The dma-buf core's own objects (the dma_buf,
 * its file, inode and name) are not ours and are not counted here.  Shown
 * in debugfs as peerbridge/kmem, one "<kind> <objects> <bytes>" line per
 * kind; `make bench` reads it, and the VM suite checks it falls back.
 */
#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "pb_priv.h"

static const char *const pb_kmem_names[PB_KMEM_KINDS] = {
	[PB_KMEM_EXPORT] = "exports",
	[PB_KMEM_ATTACH] = "attachments",
	[PB_KMEM_MAP] = "mappings",
};

static struct {
	atomic_long_t objects;
	atomic_long_t bytes;
} pb_kmem[PB_KMEM_KINDS];

static struct dentry *pb_debugfs;

void pb_kmem_charge(enum pb_kmem_kind kind, size_t bytes)
{
	atomic_long_inc(&pb_kmem[kind].objects);
	atomic_long_add(bytes, &pb_kmem[kind].bytes);
}

void pb_kmem_uncharge(enum pb_kmem_kind kind, size_t bytes)
{
	atomic_long_dec(&pb_kmem[kind].objects);
	atomic_long_sub(bytes, &pb_kmem[kind].bytes);
}

static int pb_kmem_show(struct seq_file *m, void *v)
{
	int i;

	for (i = 0; i < PB_KMEM_KINDS; i++)
		seq_printf(m, "%s %ld %ld\n", pb_kmem_names[i],
			   atomic_long_read(&pb_kmem[i].objects),
			   atomic_long_read(&pb_kmem[i].bytes));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pb_kmem);

/* debugfs is optional: without it peerbridge works, uncounted on screen */
void pb_kmem_init(void)
{
	pb_debugfs = debugfs_create_dir(PB_NAME, NULL);
	debugfs_create_file("kmem", 0400, pb_debugfs, NULL, &pb_kmem_fops);
}

void pb_kmem_exit(void)
{
	debugfs_remove_recursive(pb_debugfs);
}
