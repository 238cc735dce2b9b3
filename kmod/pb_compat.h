/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels peerbridge supports (Debian 6.1 and
 * 6.12) lives here, and nowhere else.  checkpatch's LINUX_VERSION_CODE
 * warnings are expected in this file and only in this file.
 */
#ifndef _PB_COMPAT_H
#define _PB_COMPAT_H

#include <linux/device.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/version.h>

/* vm_flags became write-protected behind vm_flags_set() in 6.3. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
static inline void pb_vm_flags_set(struct vm_area_struct *vma,
				   vm_flags_t flags)
{
	vma->vm_flags |= flags;
}
#else
#define pb_vm_flags_set vm_flags_set
#endif

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
static inline void pb_vm_flags_clear(struct vm_area_struct *vma,
				     vm_flags_t flags)
{
	vma->vm_flags &= ~flags;
}
#else
#define pb_vm_flags_clear vm_flags_clear
#endif

/* class->devnode() takes a const device since 6.2. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
#define pb_devnode_dev_t struct device
#else
#define pb_devnode_dev_t const struct device
#endif

/* pin_user_pages() lost its vmas argument in 6.5. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 5, 0)
static inline long pb_pin_user_pages(unsigned long start, unsigned long nr,
				     unsigned int gup_flags,
				     struct page **pages)
{
	return pin_user_pages(start, nr, gup_flags, pages, NULL);
}
#else
#define pb_pin_user_pages pin_user_pages
#endif

#endif /* _PB_COMPAT_H */
