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
#include <linux/huge_mm.h>
#include <linux/mm.h>
#include <linux/pfn_t.h>
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

/*
 * PMD-sized PFN mappings ("huge pfnmap"): ->huge_fault() with an order and
 * special PMDs that the core zaps, splits and never refcounts arrived in
 * 6.12.  Before that a PFN mapping is built of 4 KiB PTEs only, and this
 * inserts nothing.
 *
 * The PMD is made writable only when the fault is a write to a PMD already
 * there (vm_page_prot lost its write bit, as soft-dirty tracking does): a
 * write fault that finds no PMD inserts it with vm_page_prot as it is,
 * which is writable for a shared writable mapping, and a racing fault that
 * put a PTE table there first is then left alone, not warned about.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0) && \
	defined(CONFIG_ARCH_SUPPORTS_PMD_PFNMAP)
#define PB_HAVE_PMD_PFNMAP 1
static inline vm_fault_t pb_insert_pfn_pmd(struct vm_fault *vmf,
					   unsigned long pfn)
{
	bool write = (vmf->flags & FAULT_FLAG_WRITE) &&
		     pmd_leaf(vmf->orig_pmd);

	return vmf_insert_pfn_pmd(vmf, __pfn_to_pfn_t(pfn, PFN_DEV), write);
}
#else
static inline vm_fault_t pb_insert_pfn_pmd(struct vm_fault *vmf,
					   unsigned long pfn)
{
	return VM_FAULT_FALLBACK;
}
#endif

#endif /* _PB_COMPAT_H */
