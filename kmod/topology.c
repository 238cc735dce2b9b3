// SPDX-License-Identifier: GPL-2.0
/*
 * Topology policy: can an importer device reach a region of an exporter
 * PCI device, and by which address?  Stock kernels have no
 * CONFIG_PCI_P2PDMA, so this is peerbridge's own rule set:
 *
 *  - both devices below one PCIe switch (a common upstream bridge that is
 *    a switch port): peer-to-peer TLPs turn around in the switch; the
 *    importer uses the PCI bus address of the BAR;
 *  - otherwise the path crosses the host bridge, which only some root
 *    complexes route; allowed only when the "host_bridge" module parameter
 *    says so, and then the address comes from dma_map_resource() so an
 *    IOMMU, if any, is programmed;
 *  - different PCI domains (host bridges) are never connected.
 */
#include <linux/module.h>
#include <linux/pci.h>

#include "pb_priv.h"

static bool host_bridge_allow;
module_param_named(host_bridge_allow, host_bridge_allow, bool, 0644);
MODULE_PARM_DESC(host_bridge_allow,
		 "Allow peer-to-peer paths that cross the host bridge (default: deny)");

static bool pb_is_switch_port(struct pci_dev *bridge)
{
	int type;

	if (!pci_is_pcie(bridge))
		return false;
	type = pci_pcie_type(bridge);
	return type == PCI_EXP_TYPE_UPSTREAM || type == PCI_EXP_TYPE_DOWNSTREAM;
}

/* The nearest bridge (or device) both are below, or NULL. */
static struct pci_dev *pb_common_upstream(struct pci_dev *a,
					  struct pci_dev *b)
{
	struct pci_dev *x, *y;

	for (x = a; x; x = pci_upstream_bridge(x))
		for (y = b; y; y = pci_upstream_bridge(y))
			if (x == y)
				return x;
	return NULL;
}

enum peerbridge_path pb_topology_path(struct pci_dev *exporter,
				      struct device *importer)
{
	struct pci_dev *ipdev, *common;
	const char *why;

	if (!dev_is_pci(importer)) {
		why = "the importer is not a PCI device, so the path crosses the host bridge";
		goto host_bridge;
	}
	ipdev = to_pci_dev(importer);
	if (pci_domain_nr(ipdev->bus) != pci_domain_nr(exporter->bus)) {
		pci_info_ratelimited(exporter,
				     "no peer path to %s: different PCI domains\n",
				     dev_name(importer));
		return PEERBRIDGE_PATH_NONE;
	}
	common = pb_common_upstream(exporter, ipdev);
	if (common == exporter || (common && pb_is_switch_port(common)))
		return PEERBRIDGE_PATH_SWITCH;
	why = "no common PCIe switch";

host_bridge:
	if (host_bridge_allow)
		return PEERBRIDGE_PATH_HOST_BRIDGE;
	pci_info_ratelimited(exporter,
			     "no peer path to %s: %s; load peerbridge with host_bridge_allow=1 if this root complex routes peer-to-peer\n",
			     dev_name(importer), why);
	return PEERBRIDGE_PATH_NONE;
}
