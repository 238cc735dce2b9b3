/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The topology policy's decision, apart from how its facts are gathered:
 * pure code over a description of two devices' paths to their host
 * bridges, so the same file runs in the module and, on recorded or made-up
 * topologies, in the host unit tests.
 */
#ifndef _PB_TOPOLOGY_RULES_H
#define _PB_TOPOLOGY_RULES_H

#include <linux/types.h>
#ifdef __KERNEL__
#include <linux/kernel.h>
#else
#include <stdbool.h>
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

#include <uapi/peerbridge.h>

/* bridges above a device that are looked at; deeper ones count as unknown */
#define PB_TOPO_MAX_DEPTH	12

/* ACS control bits (PCI_ACS_RR, _CR, _EC) that send peer TLPs upstream */
#define PB_ACS_REDIRECT		(0x0004 | 0x0008 | 0x0020)

enum pb_hop_type {
	PB_HOP_ENDPOINT,	/* the device itself, or a function */
	PB_HOP_ROOT_PORT,
	PB_HOP_SWITCH_UP,	/* a switch's upstream port */
	PB_HOP_SWITCH_DOWN,	/* a switch's downstream port */
	PB_HOP_BRIDGE,		/* any other bridge (PCIe to PCI, legacy) */
};

struct pb_hop {
	struct peerbridge_pci_addr addr;
	__u16 acs_ctrl;		/* ACS control register; 0 without ACS */
	__u8 type;		/* enum pb_hop_type */
	__u8 pad;
};

/* One device and the bridges above it, nearest first. */
struct pb_topo_side {
	struct pb_hop hop[PB_TOPO_MAX_DEPTH];	/* [0]: the device */
	__u32 nr;
	bool truncated;		/* more bridges than hop[] holds */
	__u64 host;		/* which host bridge it is below */
	int node;		/* NUMA node, or -1 */
	bool root_listed;	/* its root complex routes peer-to-peer ... */
	bool root_same_only;	/* ... but only below one host bridge */
};

struct pb_topo_in {
	struct pb_topo_side exp;
	struct pb_topo_side imp;	/* not filled when !imp_pci */
	bool imp_pci;		/* the importer is on PCI (or below a PCI device) */
	bool cpu_routes;	/* the CPU's root complexes route peer-to-peer */
	__u32 policy;		/* PEERBRIDGE_HB_* */
	__u32 iommu;		/* PEERBRIDGE_IOMMU_*, the importer's (reported only) */
};

bool pb_topo_root_listed(__u16 vendor, __u16 device, bool *same_only);
void pb_topo_decide(const struct pb_topo_in *in, struct peerbridge_check *out);

#endif /* _PB_TOPOLOGY_RULES_H */
