/* SPDX-License-Identifier: GPL-2.0 */
/*
 * peerbridge kernel API, for drivers that export device memory to peers or
 * import it.  Build against it with -I<peerbridge>/include and
 * KBUILD_EXTRA_SYMBOLS=<peerbridge build>/Module.symvers.  Every symbol is
 * EXPORT_SYMBOL_GPL and starts with peerbridge_.  docs/driver-api.md is the
 * prose version: lifetimes, locking, what an exporter may refuse.
 */
#ifndef _LINUX_PEERBRIDGE_H
#define _LINUX_PEERBRIDGE_H

#include <linux/dma-direction.h>
#include <linux/mm_types.h>
#include <linux/pci.h>
#include <linux/types.h>

struct peerbridge_region;

/**
 * enum peerbridge_path - how an importer device reaches a region
 * @PEERBRIDGE_PATH_NONE: it does not; the mapping is refused
 * @PEERBRIDGE_PATH_SWITCH: by PCI bus address: the importer is the device
 *	itself, or both are below a common bridge with no ACS redirect on the
 *	path
 * @PEERBRIDGE_PATH_HOST_BRIDGE: through the host bridge, by an address from
 *	dma_map_resource() (an IOVA when the importer's IOMMU translates), when
 *	the peerbridge.host_bridge policy lets it (docs/topology.md)
 */
enum peerbridge_path {
	PEERBRIDGE_PATH_NONE,
	PEERBRIDGE_PATH_SWITCH,
	PEERBRIDGE_PATH_HOST_BRIDGE,
};

/**
 * struct peerbridge_seg - one contiguous run of device memory mapped for
 * one importer device
 * @addr: the address the importer puts on the bus
 * @len: its length in bytes
 *
 * The other fields belong to peerbridge.  While a segment is mapped its
 * region is pinned: revocation waits (bounded) for it to be unmapped.
 */
struct peerbridge_seg {
	dma_addr_t addr;
	u64 len;
	/* private: for peerbridge */
	struct peerbridge_region *region;
	struct device *importer;
	u64 offset;			/* of the run within the region */
	dma_addr_t map_addr;		/* what dma_map_resource() returned */
	enum dma_data_direction dir;
	enum peerbridge_path path;
};

/**
 * struct peerbridge_exporter_ops - what the exporting driver decides
 * @p2p_policy: called for every mapping of the region for a device, after
 *	peerbridge has classified the path and computed @*addr.  Return 0 to
 *	allow it (optionally after changing @*addr to the address this
 *	importer must use), or a negative errno to refuse it; the errno
 *	reaches whoever asked (EXPORT's importer, COPY, an importer driver).
 *	Runs with the region's validity lock held for reading, so revocation
 *	(after which your module may go) waits for it: keep it short, and do
 *	not call back into peerbridge for this region from it.  May sleep.
 *	Never called once revocation has begun.
 */
struct peerbridge_exporter_ops {
	int (*p2p_policy)(void *priv, struct device *importer, u64 offset,
			  u64 len, enum peerbridge_path path, dma_addr_t *addr);
};

/**
 * struct peerbridge_region_info - how to create a region
 * @name: suffix of the region's name, "<BDF>-<name>" (e.g. "bar2", "vram")
 * @flags: PEERBRIDGE_REGION_NODE: peerbridge creates /dev/pbmem/<region>
 *	and does mmap, faults and write-combining for it.  Without it the
 *	driver maps the memory itself and attaches peer callbacks to its own
 *	VMAs with peerbridge_register_peer_ops().
 * @ops: the exporter's policy, or NULL to allow every reachable importer
 * @priv: passed to @ops
 */
struct peerbridge_region_info {
	const char *name;
	unsigned int flags;
#define PEERBRIDGE_REGION_NODE	BIT(0)
	const struct peerbridge_exporter_ops *ops;
	void *priv;
};

/**
 * peerbridge_region_create - make a window of a BAR a peerbridge region
 * @pdev: the device; the caller owns (is bound to) it
 * @bar: BAR index
 * @offset: start of the window in the BAR, page aligned
 * @size: window length, page aligned
 * @info: name, flags, policy
 *
 * The region claims the window in the iomem tree (request_mem_region,
 * under the region's name): do not claim it yourself.  The claim outlives
 * peerbridge_region_destroy() for as long as a device still holds a
 * mapping of the window, so no other driver can take memory a device may
 * still DMA to.  The region shows in /sys/class/pbmem/ (and, with
 * PEERBRIDGE_REGION_NODE, as /dev/pbmem/<BDF>-<name>).  Returns it live,
 * or an ERR_PTR (-EINVAL for a window outside the BAR, not page aligned,
 * or sharing a page with the MSI-X table or PBA, -EBUSY when the window is
 * claimed, -ENOMEM, -ENOSPC when peerbridge's node numbers run out).
 */
struct peerbridge_region *
peerbridge_region_create(struct pci_dev *pdev, int bar,
			 resource_size_t offset, resource_size_t size,
			 const struct peerbridge_region_info *info);

/**
 * peerbridge_msix_safe - the part of a window a region may cover
 * @pdev: the device
 * @bar: BAR index
 * @offset: start of the window in the BAR, page aligned; may move up
 * @size: window length, page aligned; may shrink, to 0
 *
 * Shrinks the window to its largest part that shares no page with the
 * device's MSI-X table or pending-bit array (peerbridge_region_create()
 * refuses a window that does).  A device whose MSI-X capability cannot be
 * read gets 0.
 */
void peerbridge_msix_safe(struct pci_dev *pdev, int bar,
			  resource_size_t *offset, resource_size_t *size);

/**
 * peerbridge_region_revoke - cut every access to the region
 * @region: the region
 *
 * Zaps peerbridge's CPU mappings of the region, makes its dma-bufs fail to
 * map (dynamic importers are notified), calls the invalidate callback of
 * every importer mapping, and waits up to peerbridge.revoke_timeout_ms for
 * the devices to unmap, logging the holders if they do not.  Mappings the
 * driver made itself are the driver's to zap (before or after).  May
 * sleep.  A second call (or a destroy) while the first is still waiting
 * waits for it: when any call returns, the revocation is complete.
 */
void peerbridge_region_revoke(struct peerbridge_region *region);

/**
 * peerbridge_region_destroy - revoke the region and drop the creator's
 * reference
 * @region: the region
 *
 * The object lives on, revoked, while open files, dma-bufs or importer
 * mappings still refer to it; its claim on the window lives on while a
 * device still holds a mapping (see peerbridge_region_create()).
 */
void peerbridge_region_destroy(struct peerbridge_region *region);

/**
 * peerbridge_region_revoke_range - cut every peer access to part of a region
 * @region: the region
 * @offset: start of the range within the region
 * @len: its length
 *
 * For memory that moves or is freed while the region lives on (a buffer
 * object evicted or destroyed): every dma-buf that covers any byte of the
 * range is revoked for good (dynamic importers are notified, new mappings
 * fail with -ENODEV), every importer mapping that covers any byte of it is
 * invalidated, and the call waits, bounded like peerbridge_region_revoke(),
 * for their device mappings to go.  Make sure first that your p2p_resolve
 * and p2p_map no longer hand out the range, and zap your CPU mappings of
 * it.  Do not call it with a dma-buf reservation lock held: it takes
 * those of its exports.  May sleep.
 *
 * Return: 0 when no device maps the range any more: it may be reused.
 * -EBUSY when the wait ran out with holders left (pinned importers, named
 * in the log): a device may still write there, so keep the range out of
 * use (quarantined) for as long as the region lives.  -EINVAL for a range
 * outside the region.
 */
int peerbridge_region_revoke_range(struct peerbridge_region *region,
				   u64 offset, u64 len);

/**
 * peerbridge_region_get - take a reference on a region
 * @region: the region
 *
 * Return: @region.  The object (not the memory: see revocation) stays
 * valid until the matching peerbridge_region_put().
 */
struct peerbridge_region *peerbridge_region_get(struct peerbridge_region *region);

/**
 * peerbridge_region_put - drop a reference from peerbridge_region_get()
 * @region: the region
 */
void peerbridge_region_put(struct peerbridge_region *region);

/**
 * peerbridge_region_name - the region's name, "<BDF>-<name>"
 * @region: the region
 *
 * Return: a string that lives as long as the region.
 */
const char *peerbridge_region_name(const struct peerbridge_region *region);

/**
 * peerbridge_region_map - map part of a region for DMA by one device
 * @region: the region
 * @importer: the device that will access it
 * @offset: start within the region
 * @len: length
 * @dir: DMA direction from the importer's point of view
 * @seg: filled in
 *
 * The building block of a p2p_map callback.  Applies the topology policy
 * and the exporter's policy.  Returns 0, -EINVAL (range), -ENODEV
 * (revoked), -EXDEV (no peer path), -EIO (dma_map_resource failed), or the
 * exporter policy's errno.  Undo with peerbridge_region_unmap().
 */
int peerbridge_region_map(struct peerbridge_region *region,
			  struct device *importer, u64 offset, u64 len,
			  enum dma_data_direction dir,
			  struct peerbridge_seg *seg);

/**
 * peerbridge_region_unmap - undo peerbridge_region_map()
 * @seg: the segment it filled in
 *
 * Releases the DMA mapping, the pin and the reference; usable directly as
 * a p2p_unmap callback.  May sleep.
 */
void peerbridge_region_unmap(struct peerbridge_seg *seg);

/**
 * struct peerbridge_span - what part of a peer VMA is, as its exporter says
 * @region: the region behind it, referenced with peerbridge_region_get();
 *	peerbridge drops that reference
 * @offset: of the span's first byte within the region
 * @len: how many bytes from there on are contiguous in the region: a page
 *	multiple, at least one page, at most what was asked
 */
struct peerbridge_span {
	struct peerbridge_region *region;
	u64 offset;
	u64 len;
};

/**
 * struct peerbridge_peer_ops - peer callbacks of a driver's own VMAs
 * @owner: the module the callbacks live in (THIS_MODULE).  Every device
 *	mapping made through @p2p_map holds a reference on it until
 *	@p2p_unmap, so the module cannot go while one exists.
 * @p2p_resolve: say what [@start, @end) of @vma is: the region, the offset
 *	of @start in it, and how much of the range is contiguous from
 *	there (a buffer object may end before @end).  Take a reference on the
 *	region (peerbridge_region_get()).  Return -ENODEV when the memory is
 *	gone (the driver was unbound, the buffer was freed), or another
 *	negative errno.  @start and @end are page aligned and inside @vma.
 *	Called with the mmap lock held; must not take it.
 * @p2p_map: map [@start, @end) of @vma for DMA by @importer, for writing if
 *	@write, into one segment.  peerbridge calls it only for a range that
 *	@p2p_resolve just resolved to one contiguous run, and checks the
 *	segment against that run.  Page aligned; mmap lock held.  The memory
 *	must stay valid until @p2p_unmap, even if the VMA goes away.  Usually
 *	a call to peerbridge_region_map().
 * @p2p_unmap: undo exactly what @p2p_map did.  No mmap lock held.
 *
 * The exporter decides: EXPORT, QUERY, COPY and importer drivers learn
 * what a VMA maps only through these callbacks, never from vm_pgoff.
 */
struct peerbridge_peer_ops {
	struct module *owner;
	int (*p2p_resolve)(struct vm_area_struct *vma, unsigned long start,
			   unsigned long end, struct peerbridge_span *span);
	int (*p2p_map)(struct vm_area_struct *vma, struct device *importer,
		       unsigned long start, unsigned long end, bool write,
		       struct peerbridge_seg *seg);
	void (*p2p_unmap)(struct peerbridge_seg *seg);
};

/**
 * peerbridge_register_peer_ops - make every VMA using @vm_ops a peer VMA
 * @vm_ops: the driver's VMA operations
 * @ops: their peer callbacks
 *
 * From now on EXPORT, QUERY, COPY and peerbridge_map_user() accept those
 * VMAs.  Unregister before @vm_ops can go away (module exit).
 * Returns 0, -EINVAL, -EEXIST or -ENOMEM.
 */
int peerbridge_register_peer_ops(const struct vm_operations_struct *vm_ops,
				 const struct peerbridge_peer_ops *ops);

/**
 * peerbridge_unregister_peer_ops - forget the peer callbacks of @vm_ops
 * @vm_ops: as registered
 *
 * Call when no VMA can use @vm_ops any more (module exit: open files pin
 * the module, so none can).
 */
void peerbridge_unregister_peer_ops(const struct vm_operations_struct *vm_ops);

/**
 * struct peerbridge_importer_ops - an importer's side of revocation
 * @invalidate: the memory behind a mapping is being revoked.  Stop DMA to
 *	it, then call peerbridge_unmap_user() later (a work item, the next
 *	ioctl); revocation waits for that, bounded.  Called at most once per
 *	mapping, may sleep, runs with peerbridge's importer lock for the
 *	region held: it must not call peerbridge_map_user() or
 *	peerbridge_unmap_user(), nor wait for anything that does.
 */
struct peerbridge_importer_ops {
	void (*invalidate)(void *priv);
};

/**
 * struct peerbridge_mapping - a user range resolved for one device
 * @nr_segs: number of segments
 * @segs: DMA segments in address order; physically contiguous runs are
 *	merged, so a range covering two adjacent mappings of contiguous
 *	memory is one segment
 */
struct peerbridge_mapping {
	unsigned int nr_segs;
	struct peerbridge_seg *segs;
};

/**
 * peerbridge_map_user - resolve a user address range inside peer VMAs
 * @mm: the address space (usually current->mm); its mmap lock must NOT be held
 * @addr: start of the range
 * @len: its length
 * @dev: the device that will DMA to it
 * @write: the device will write
 * @ops: invalidation callback (may be NULL if the caller holds the mapping
 *	only briefly and never blocks revocation for long)
 * @priv: passed to @ops
 *
 * The direct path an RDMA or accelerator driver uses instead of GUP.  The
 * segments cover exactly [@addr, @addr + @len), byte for byte; the VMAs'
 * callbacks see the page-aligned range around it.
 * Returns the mapping, or an ERR_PTR: -EINVAL (hole, overflow, mixed
 * memory, two regions), -ENOENT (not peer memory), -EACCES (write to a
 * read-only mapping), -ENODEV (revoked), -EXDEV, -EAGAIN (revocations of
 * parts of regions kept racing the call: try again), -EINTR (a fatal
 * signal while waiting for @mm's mmap lock), or the exporter's errno.  On
 * failure @ops is never called.
 */
struct peerbridge_mapping *
peerbridge_map_user(struct mm_struct *mm, unsigned long addr, u64 len,
		    struct device *dev, bool write,
		    const struct peerbridge_importer_ops *ops, void *priv);

/**
 * peerbridge_unmap_user - release a mapping from peerbridge_map_user()
 * @map: the mapping; freed on return
 *
 * The device must no longer access the segments.  Waits for an invalidate
 * callback in flight.  May sleep; not from the invalidate callback.
 */
void peerbridge_unmap_user(struct peerbridge_mapping *map);

#endif /* _LINUX_PEERBRIDGE_H */
