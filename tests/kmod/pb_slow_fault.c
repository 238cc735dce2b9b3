// SPDX-License-Identifier: GPL-2.0
/*
 * pb_slow_fault: a test-only device whose page faults user space serves
 * slowly, as a FUSE daemon or a userfaultfd handler does.  Each open of
 * /dev/pb_slow_fault is a file of its own: a fault on its mapping waits
 * (killable, at most PBSF_WAIT) until the file is written to, then maps an
 * ordinary page holding pbsf_byte() of each offset.  It waits holding the
 * mmap lock, even when asked not to wait (FAULT_FLAG_RETRY_NOWAIT), as a
 * page-cache read from a FUSE daemon does.  Like a FUSE file's shared
 * mapping, it tracks dirty pages (page_mkwrite).  read() reports how many
 * faults are waiting, as a decimal number.
 */
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pagemap.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/wait.h>

#include "pb_slow_fault.h"

#define PBSF_WAIT	(60 * HZ)
#define PBSF_MAX_LEN	SZ_16M

struct pbsf_file {
	wait_queue_head_t wq;
	bool released;
	atomic_t waiting;
};

static vm_fault_t pbsf_fault(struct vm_fault *vmf)
{
	struct pbsf_file *sf = vmf->vma->vm_private_data;
	struct page *page;
	u64 base = (u64)vmf->pgoff << PAGE_SHIFT;
	long left;
	u8 *p;
	int i;

	if (!READ_ONCE(sf->released)) {
		atomic_inc(&sf->waiting);
		left = wait_event_killable_timeout(sf->wq,
						   READ_ONCE(sf->released),
						   PBSF_WAIT);
		atomic_dec(&sf->waiting);
		if (left <= 0)
			return VM_FAULT_SIGBUS;
	}
	page = alloc_page(GFP_HIGHUSER);
	if (!page)
		return VM_FAULT_OOM;
	p = kmap_local_page(page);
	for (i = 0; i < PAGE_SIZE; i++)
		p[i] = pbsf_byte(base + i);
	kunmap_local(p);
	vmf->page = page;	/* the mapping takes this reference */
	return 0;
}

/* a write to a page makes it dirty: the core does the rest, as for FUSE */
static vm_fault_t pbsf_page_mkwrite(struct vm_fault *vmf)
{
	lock_page(vmf->page);
	return VM_FAULT_LOCKED;
}

static const struct vm_operations_struct pbsf_vm_ops = {
	.fault = pbsf_fault,
	.page_mkwrite = pbsf_page_mkwrite,
};

static int pbsf_mmap(struct file *file, struct vm_area_struct *vma)
{
	if (!(vma->vm_flags & VM_SHARED) ||
	    vma->vm_end - vma->vm_start > PBSF_MAX_LEN ||
	    vma->vm_pgoff > PBSF_MAX_LEN >> PAGE_SHIFT)
		return -EINVAL;
	vma->vm_private_data = file->private_data;
	vma->vm_ops = &pbsf_vm_ops;
	return 0;
}

static int pbsf_open(struct inode *inode, struct file *file)
{
	struct pbsf_file *sf = kzalloc(sizeof(*sf), GFP_KERNEL);

	if (!sf)
		return -ENOMEM;
	init_waitqueue_head(&sf->wq);
	atomic_set(&sf->waiting, 0);
	file->private_data = sf;
	return 0;
}

/* every mapping holds the file: no fault runs once the file is released */
static int pbsf_release(struct inode *inode, struct file *file)
{
	kfree(file->private_data);
	return 0;
}

static ssize_t pbsf_read(struct file *file, char __user *buf, size_t len,
			 loff_t *pos)
{
	struct pbsf_file *sf = file->private_data;
	char text[16];
	int n;

	n = scnprintf(text, sizeof(text), "%d\n", atomic_read(&sf->waiting));
	return simple_read_from_buffer(buf, len, pos, text, n);
}

static ssize_t pbsf_write(struct file *file, const char __user *buf,
			  size_t len, loff_t *pos)
{
	struct pbsf_file *sf = file->private_data;

	WRITE_ONCE(sf->released, true);
	wake_up_all(&sf->wq);
	return len;
}

static const struct file_operations pbsf_fops = {
	.owner = THIS_MODULE,
	.open = pbsf_open,
	.release = pbsf_release,
	.read = pbsf_read,
	.write = pbsf_write,
	.mmap = pbsf_mmap,
	.llseek = noop_llseek,
};

static struct miscdevice pbsf_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "pb_slow_fault",
	.fops = &pbsf_fops,
	.mode = 0666,
};

module_misc_device(pbsf_misc);
MODULE_DESCRIPTION("peerbridge test rig: page faults user space serves slowly");
MODULE_LICENSE("GPL");
