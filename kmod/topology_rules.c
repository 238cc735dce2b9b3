// SPDX-License-Identifier: GPL-2.0
/*
 * The topology policy's rules (docs/topology.md is the prose version).
 * Given two PCI devices and the bridges above each:
 *
 *  - the same device reaches its own BAR by bus address (X);
 *  - below a common bridge, peer TLPs turn around there and the bus
 *    address is right, unless a bridge on the path has ACS P2P request or
 *    completion redirect or egress control on: then they go up to the root
 *    complex, where an IOMMU would translate them, and only a host-bridge
 *    mapping is right.  One switch is PIX, several PXB;
 *  - without a common bridge the TLPs cross the host bridge (PHB), or two
 *    host bridges (NODE, or SYS across NUMA nodes);
 *  - a path through a host bridge gets a dma_map_resource() address when
 *    the host_bridge policy says so: allow, deny, or auto, which trusts the
 *    root complexes the kernel's own P2PDMA trusts.
 *
 * Which ACS bits count (on every device of the path, endpoints included),
 * the distance and the root complex list follow the kernel's
 * drivers/pci/p2pdma.c, so a verdict here matches what a kernel with
 * CONFIG_PCI_P2PDMA would decide.  An importer with no PCI device above it
 * goes through the host bridge only when host_bridge=allow: no list says
 * whether a root complex routes its traffic.
 */
#include "topology_rules.h"

/*
 * Root complexes that route peer-to-peer between their root ports, named
 * by the function the kernel looks at (00.0 of the host bridge's bus, or
 * its first root port): pci_p2pdma_whitelist[] of drivers/pci/p2pdma.c,
 * the same in 6.1 and 6.12.  Some route only within one host bridge.
 */
static const struct {
	__u16 vendor;
	__u16 device;
	bool same_only;
} pb_root_list[] = {
	{ 0x8086, 0x3c00, true },	/* Intel Xeon E5 / Core i7 */
	{ 0x8086, 0x3c01, true },
	{ 0x8086, 0x2f00, true },	/* Intel Xeon E7 v3 / E5 v3 / Core i7 */
	{ 0x8086, 0x2f01, true },
	{ 0x8086, 0x2030, false },	/* Intel Skylake-E */
	{ 0x8086, 0x2031, false },
	{ 0x8086, 0x2032, false },
	{ 0x8086, 0x2033, false },
	{ 0x8086, 0x2020, false },
	{ 0x8086, 0x09a2, false },
};

bool pb_topo_root_listed(__u16 vendor, __u16 device, bool *same_only)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(pb_root_list); i++) {
		if (pb_root_list[i].vendor == vendor &&
		    pb_root_list[i].device == device) {
			*same_only = pb_root_list[i].same_only;
			return true;
		}
	}
	*same_only = false;
	return false;
}

static bool pb_same_fn(const struct peerbridge_pci_addr *a,
		       const struct peerbridge_pci_addr *b)
{
	return a->domain == b->domain && a->bus == b->bus &&
	       a->devfn == b->devfn;
}

static void pb_note_acs(const struct pb_hop *hop, struct peerbridge_check *out)
{
	if (!(hop->acs_ctrl & PB_ACS_REDIRECT))
		return;
	out->facts |= PEERBRIDGE_FACT_ACS_REDIRECT;
	if (out->nr_acs < ARRAY_SIZE(out->acs))
		out->acs[out->nr_acs] = hop->addr;
	else
		out->facts |= PEERBRIDGE_FACT_ACS_TRUNCATED;
	out->nr_acs++;
}

/* the nearest hop both are below: its index on each side */
static bool pb_common(const struct pb_topo_side *e,
		      const struct pb_topo_side *m, __u32 *ie, __u32 *im)
{
	__u32 i, j;

	for (i = 0; i < e->nr; i++) {
		for (j = 0; j < m->nr; j++) {
			if (pb_same_fn(&e->hop[i].addr, &m->hop[j].addr)) {
				*ie = i;
				*im = j;
				return true;
			}
		}
	}
	return false;
}

/* switches (and other bridges) a path below a common hop crosses */
static __u32 pb_bridges_below(const struct pb_topo_side *s, __u32 top)
{
	__u32 i, n = 0;

	for (i = 1; i < top; i++)
		if (s->hop[i].type == PB_HOP_SWITCH_UP ||
		    s->hop[i].type == PB_HOP_BRIDGE)
			n++;
	return n;
}

static void pb_host_bridge(const struct pb_topo_in *in,
			   struct peerbridge_check *out)
{
	const struct pb_topo_side *e = &in->exp, *m = &in->imp;
	bool same = e->host == m->host;
	bool listed = e->root_listed && m->root_listed;
	bool same_only = e->root_same_only || m->root_same_only;

	out->map = PEERBRIDGE_CHECK_MAP_NONE;
	switch (in->policy) {
	case PEERBRIDGE_HB_ALLOW:
		out->map = PEERBRIDGE_CHECK_MAP_HOST_BRIDGE;
		out->reason = PEERBRIDGE_REASON_HB_ALLOWED;
		return;
	case PEERBRIDGE_HB_DENY:
		out->reason = PEERBRIDGE_REASON_HB_DENIED;
		return;
	}
	if (!in->imp_pci) {
		out->reason = PEERBRIDGE_REASON_HB_NOT_PCI;
	} else if (in->cpu_routes) {
		out->map = PEERBRIDGE_CHECK_MAP_HOST_BRIDGE;
		out->reason = PEERBRIDGE_REASON_HB_CPU;
	} else if (listed && (same || !same_only)) {
		out->map = PEERBRIDGE_CHECK_MAP_HOST_BRIDGE;
		out->reason = PEERBRIDGE_REASON_HB_WHITELISTED;
	} else if (listed) {
		out->reason = PEERBRIDGE_REASON_HB_NOT_SAME;
	} else {
		out->reason = PEERBRIDGE_REASON_HB_UNKNOWN;
	}
}

void pb_topo_decide(const struct pb_topo_in *in, struct peerbridge_check *out)
{
	const struct pb_topo_side *e = &in->exp, *m = &in->imp;
	__u32 i, ie, im;

	out->path = PEERBRIDGE_CHECK_PATH_PHB;
	out->map = PEERBRIDGE_CHECK_MAP_NONE;
	out->distance = e->nr;
	out->reason = 0;
	out->facts = 0;
	out->iommu = in->iommu;
	out->host_bridge = in->policy;
	out->nr_acs = 0;
	out->common = (struct peerbridge_pci_addr){ 0 };
	for (i = 0; i < ARRAY_SIZE(out->acs); i++)
		out->acs[i] = (struct peerbridge_pci_addr){ 0 };

	if (!in->imp_pci) {
		/* its DMA enters the PCI hierarchy at the host bridge */
		for (i = 0; i < e->nr; i++)
			pb_note_acs(&e->hop[i], out);
		out->facts |= PEERBRIDGE_FACT_NO_COMMON |
			      PEERBRIDGE_FACT_NOT_PCI;
		pb_host_bridge(in, out);
		return;
	}

	if (!pb_common(e, m, &ie, &im)) {
		for (i = 0; i < e->nr; i++)
			pb_note_acs(&e->hop[i], out);
		for (i = 0; i < m->nr; i++)
			pb_note_acs(&m->hop[i], out);
		out->facts |= PEERBRIDGE_FACT_NO_COMMON;
		/* a common bridge may be above what was looked at */
		if (e->truncated || m->truncated)
			out->facts |= PEERBRIDGE_FACT_DEEP;
		out->distance = e->nr + m->nr;
		if (e->host != m->host) {
			out->facts |= PEERBRIDGE_FACT_HOST_BRIDGES;
			out->path = PEERBRIDGE_CHECK_PATH_NODE;
			if (e->node >= 0 && m->node >= 0 && e->node != m->node) {
				out->facts |= PEERBRIDGE_FACT_NUMA;
				out->path = PEERBRIDGE_CHECK_PATH_SYS;
			}
		}
		pb_host_bridge(in, out);
		return;
	}

	/* the common hop is looked at once, from the exporter's side */
	for (i = 0; i <= ie; i++)
		pb_note_acs(&e->hop[i], out);
	for (i = 0; i < im; i++)
		pb_note_acs(&m->hop[i], out);
	out->distance = ie + im;
	out->common = e->hop[ie].addr;
	if (!ie && !im) {
		out->path = PEERBRIDGE_CHECK_PATH_X;
	} else {
		i = pb_bridges_below(e, ie) + pb_bridges_below(m, im);
		if (e->hop[ie].type != PB_HOP_ENDPOINT)
			i++;
		out->path = i > 1 ? PEERBRIDGE_CHECK_PATH_PXB :
				    PEERBRIDGE_CHECK_PATH_PIX;
	}
	if (out->facts & PEERBRIDGE_FACT_ACS_REDIRECT) {
		pb_host_bridge(in, out);
		return;
	}
	out->map = PEERBRIDGE_CHECK_MAP_BUS;
	out->reason = out->path == PEERBRIDGE_CHECK_PATH_X ?
		      PEERBRIDGE_REASON_SAME_DEVICE :
		      PEERBRIDGE_REASON_COMMON_BRIDGE;
}
