// SPDX-License-Identifier: GPL-2.0
/*
 * Mapping a run of a region for DMA by one importer device: the topology
 * policy picks the address (bus address below a common switch,
 * dma_map_resource() through the host bridge), the exporting driver's
 * policy has the last word, and the mapping holds a pin and a reference on
 * the region until it is undone.  Every data path ends here: dma-buf
 * mappings, the peer callbacks of the generic exporter and of drivers, the
 * importer API and COPY.
 */
#include <linux/dma-mapping.h>
#include <linux/module.h>

#include "pb_priv.h"

int peerbridge_region_map(struct peerbridge_region *region,
			  struct device *importer, u64 offset, u64 len,
			  enum dma_data_direction dir,
			  struct peerbridge_seg *seg)
{
	dma_addr_t addr, map_addr = DMA_MAPPING_ERROR;
	enum peerbridge_path path;
	int ret;

	if (!len || offset >= region->size || len > region->size - offset)
		return -EINVAL;
	ret = pb_topology_path(region, importer, &path);
	if (ret)
		return ret;

	addr = pci_bus_address(region->pdev, region->bar) + region->offset +
	       offset;
	if (path == PEERBRIDGE_PATH_HOST_BRIDGE) {
		map_addr = dma_map_resource(importer, region->phys + offset,
					    len, dir, 0);
		if (dma_mapping_error(importer, map_addr))
			return -EIO;
		addr = map_addr;
	}
	/* the exporting device decides, last; it may rewrite the address */
	ret = pb_region_pin(region, importer, offset, len, path, &addr);
	if (ret)
		goto err_unmap_resource;

	seg->addr = addr;
	seg->len = len;
	seg->offset = offset;
	seg->map_addr = map_addr;	/* what gets unmapped, whatever addr is */
	seg->path = path;
	seg->dir = dir;
	seg->importer = importer;
	seg->region = peerbridge_region_get(region);
	return 0;

err_unmap_resource:
	if (path == PEERBRIDGE_PATH_HOST_BRIDGE)
		dma_unmap_resource(importer, map_addr, len, dir, 0);
	return ret;
}
EXPORT_SYMBOL_GPL(peerbridge_region_map);

void peerbridge_region_unmap(struct peerbridge_seg *seg)
{
	struct peerbridge_region *region = seg->region;

	if (seg->path == PEERBRIDGE_PATH_HOST_BRIDGE)
		dma_unmap_resource(seg->importer, seg->map_addr, seg->len,
				   seg->dir, 0);
	seg->region = NULL;
	pb_region_unpin(region);
	peerbridge_region_put(region);
}
EXPORT_SYMBOL_GPL(peerbridge_region_unmap);
