// SPDX-License-Identifier: GPL-2.0
/*
 * Topology policy: can an importer device reach a region of an exporter
 * PCI device, and by which address?  Stock kernels have no
 * CONFIG_PCI_P2PDMA, so this is peerbridge's own.  This file gathers the
 * facts (the bridges on each path and their ACS control, the root buses
 * and their root complexes, NUMA nodes, whether the importer is behind an
 * IOMMU, the host_bridge parameter); topology_rules.c decides.  Every data
 * path asks pb_topology_path(); CHECK returns the whole verdict to user
 * space.
 *
 * Facts are gathered only where the devices cannot go meanwhile: for a data
 * path, under the read side of the region's mem_lock while it is live (an
 * exporter revokes in its remove(), before its device and the bridges above
 * go; the importer is mapping, so its driver is bound).  CHECK holds
 * references on both devices, so their buses and bridges stay; a device
 * removed meanwhile reads as all ones through its host bridge's accessors
 * (which a host bridge that a driver provides, like VMD's, takes along when
 * unbound: see docs/topology.md).  Config reads never wait (a reset in
 * progress reads as a failure), and no path takes pci_bus_sem, which PCI
 * error recovery holds across drivers' callbacks.
 *
 * Each region remembers a few verdicts, keyed by the importer's pci_dev
 * without a reference: the key is good only for the generation of PCI
 * devices (bumped by a bus notifier on every device added or removed, so a
 * new device at a freed one's address never matches) and of the policy
 * (bumped by every change of host_bridge).  A change of policy therefore
 * applies to mappings made after it; mappings that exist are kept until
 * their importer unmaps them (a dynamic importer remaps after each
 * move_notify, and then meets the new policy).  Like the kernel's P2PDMA,
 * the data paths assume ACS settings stay as they were; CHECK reads them
 * afresh.
 */
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/uaccess.h>

#include <uapi/peerbridge.h>

#include "pb_priv.h"
#include "topology_rules.h"

/* the policy and its generation in one value: gen << 2 | policy */
static atomic_t pb_policy = ATOMIC_INIT(PEERBRIDGE_HB_AUTO);
/* bumped on every PCI device added or removed */
static atomic_t pb_pci_gen = ATOMIC_INIT(0);

static const char * const pb_hb_names[] = {
	[PEERBRIDGE_HB_AUTO] = "auto",
	[PEERBRIDGE_HB_ALLOW] = "allow",
	[PEERBRIDGE_HB_DENY] = "deny",
};

static void pb_policy_set(u32 policy)
{
	u32 old, new;

	do {
		old = atomic_read(&pb_policy);
		new = ((old & ~3u) + 4) | policy;
	} while (atomic_cmpxchg(&pb_policy, old, new) != old);
}

static u32 pb_policy_get(void)
{
	return (u32)atomic_read(&pb_policy) & 3;
}

static int pb_hb_set(const char *val, const struct kernel_param *kp)
{
	int policy = sysfs_match_string(pb_hb_names, val);

	if (policy < 0)
		return -EINVAL;
	pb_policy_set(policy);
	return 0;
}

static int pb_hb_get(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "%s\n", pb_hb_names[pb_policy_get()]);
}

static const struct kernel_param_ops pb_hb_ops = {
	.set = pb_hb_set,
	.get = pb_hb_get,
};

module_param_cb(host_bridge, &pb_hb_ops, NULL, 0644);
MODULE_PARM_DESC(host_bridge,
		 "Peer-to-peer through a host bridge: auto (root complexes known to route it), allow, deny; applies to new mappings");

/*
 * The parameter's boolean name before ABI 2.2, kept so that old settings
 * hold: a bare flag or 1 is allow, 0 deny.  It also takes and shows the
 * new values, so that saving and restoring it keeps "auto".
 */
static int pb_hb_allow_set(const char *val, const struct kernel_param *kp)
{
	bool allow = true;

	if (val && sysfs_match_string(pb_hb_names, val) >= 0)
		return pb_hb_set(val, kp);
	if (val && kstrtobool(val, &allow))
		return -EINVAL;
	pr_warn_once("peerbridge: host_bridge_allow is deprecated: use host_bridge=%s\n",
		     allow ? "allow" : "deny");
	pb_policy_set(allow ? PEERBRIDGE_HB_ALLOW : PEERBRIDGE_HB_DENY);
	return 0;
}

static const struct kernel_param_ops pb_hb_allow_ops = {
	.flags = KERNEL_PARAM_OPS_FL_NOARG,
	.set = pb_hb_allow_set,
	.get = pb_hb_get,
};

module_param_cb(host_bridge_allow, &pb_hb_allow_ops, NULL, 0644);
MODULE_PARM_DESC(host_bridge_allow,
		 "Deprecated: 1 (or no value) is host_bridge=allow, 0 host_bridge=deny");

static int pb_pci_notify(struct notifier_block *nb, unsigned long action,
			 void *data)
{
	/* DEL comes before the device leaves the driver core's list */
	if (action == BUS_NOTIFY_ADD_DEVICE || action == BUS_NOTIFY_DEL_DEVICE ||
	    action == BUS_NOTIFY_REMOVED_DEVICE)
		atomic_inc_return(&pb_pci_gen);
	return NOTIFY_DONE;
}

static struct notifier_block pb_pci_nb = {
	.notifier_call = pb_pci_notify,
};

int pb_topology_init(void)
{
	return bus_register_notifier(&pci_bus_type, &pb_pci_nb);
}

void pb_topology_exit(void)
{
	bus_unregister_notifier(&pci_bus_type, &pb_pci_nb);
}

static u8 pb_hop_type(struct pci_dev *pdev)
{
	if (pci_is_pcie(pdev)) {
		switch (pci_pcie_type(pdev)) {
		case PCI_EXP_TYPE_ROOT_PORT:
			return PB_HOP_ROOT_PORT;
		case PCI_EXP_TYPE_UPSTREAM:
			return PB_HOP_SWITCH_UP;
		case PCI_EXP_TYPE_DOWNSTREAM:
			return PB_HOP_SWITCH_DOWN;
		}
	}
	return pdev->subordinate ? PB_HOP_BRIDGE : PB_HOP_ENDPOINT;
}

/*
 * The function the kernel's P2PDMA identifies a root complex by: the first
 * device of the root bus, when it is 00.0 or a root port.  Found through
 * the driver core's device list (pci_get_device()), not the bus's own list,
 * which would need pci_bus_sem.
 */
static bool pb_root_listed(struct pci_bus *root, bool *same_only)
{
	struct pci_dev *d = NULL, *first = NULL;
	bool listed = false;

	for_each_pci_dev(d) {
		if (d->bus != root || (first && first->devfn < d->devfn))
			continue;
		pci_dev_put(first);
		first = pci_dev_get(d);
	}
	*same_only = false;
	if (first && (first->devfn == PCI_DEVFN(0, 0) ||
		      pci_pcie_type(first) == PCI_EXP_TYPE_ROOT_PORT))
		listed = pb_topo_root_listed(first->vendor, first->device,
					     same_only);
	pci_dev_put(first);
	return listed;
}

/*
 * ACS control, or all ones (every redirect bit) when it cannot be read:
 * a device gone, in D3cold or being reset.  Never waits.
 */
static u16 pb_acs_ctrl(struct pci_dev *pdev, bool *unread)
{
	u16 ctrl;

	if (!pdev->acs_cap)
		return 0;
	if (pci_read_config_word(pdev, pdev->acs_cap + PCI_ACS_CTRL, &ctrl) ||
	    PCI_POSSIBLE_ERROR(ctrl)) {
		*unread = true;
		return 0xffff;
	}
	return ctrl;
}

/* the device and the bridges above it; false if a read failed */
static bool pb_topo_fill(struct pci_dev *pdev, struct pb_topo_side *side)
{
	struct pci_bus *root = pdev->bus;
	struct pci_dev *x;
	struct pb_hop *hop;
	bool unread = false;

	side->nr = 0;
	side->truncated = false;
	for (x = pdev; x; x = pci_upstream_bridge(x)) {
		if (side->nr == PB_TOPO_MAX_DEPTH) {
			side->truncated = true;
			break;
		}
		hop = &side->hop[side->nr++];
		hop->addr.domain = pci_domain_nr(x->bus);
		hop->addr.bus = x->bus->number;
		hop->addr.devfn = x->devfn;
		hop->addr.pad = 0;
		hop->type = pb_hop_type(x);
		hop->pad = 0;
		hop->acs_ctrl = pb_acs_ctrl(x, &unread);
	}
	/* each bus holds its parent: no host bridge object, which can lose it */
	while (root->parent)
		root = root->parent;
	side->host = (u64)(u32)pci_domain_nr(root) << 8 | root->number;
	side->node = dev_to_node(&pdev->dev);
	side->root_listed = pb_root_listed(root, &side->root_same_only);
	return !unread;
}

/* the kernel's own exception: every AMD Zen or later routes peer-to-peer */
static bool pb_cpu_routes(void)
{
#ifdef CONFIG_X86
	return boot_cpu_data.x86_vendor == X86_VENDOR_AMD &&
	       boot_cpu_data.x86 >= 0x17;
#else
	return false;
#endif
}

/*
 * The PCI device whose path an importer's DMA takes: itself, or for a
 * device that is not PCI (an auxiliary or class device) the PCI device it
 * is below, unless it has an IOMMU group of its own, in which case its
 * translation is not its ancestor's.
 */
static struct pci_dev *pb_pci_of(struct device *dev)
{
	struct device *p;

	for (p = dev; p; p = p->parent) {
		if (!dev_is_pci(p))
			continue;
		if (p != dev && dev->iommu_group &&
		    dev->iommu_group != p->iommu_group)
			return NULL;
		return to_pci_dev(p);
	}
	return NULL;
}

/*
 * The whole verdict under @policy, on the stack (a verdict is taken in deep
 * paths and may not fail); false if some fact could not be read (then it
 * assumed the worst, says so, and must not be remembered).  Whether the
 * importer is behind an IOMMU is its group, never its domain, which CHECK
 * could not hold for a device it does not own.
 */
static bool pb_topology_verdict(struct pci_dev *exporter,
				struct device *importer, u32 policy,
				struct peerbridge_check *out)
{
	struct pci_dev *ipdev = pb_pci_of(importer);
	struct pb_topo_in in = {
		.imp_pci = ipdev,
		.cpu_routes = pb_cpu_routes(),
		.policy = policy,
		.iommu = device_iommu_mapped(importer) ?
			 PEERBRIDGE_IOMMU_GROUP : PEERBRIDGE_IOMMU_NONE,
	};
	bool read = pb_topo_fill(exporter, &in.exp);

	if (ipdev)
		read &= pb_topo_fill(ipdev, &in.imp);
	pb_topo_decide(&in, out);
	if (!read)
		out->facts |= PEERBRIDGE_FACT_UNREAD;
	return read;
}

static const char *pb_refusal(u32 reason)
{
	switch (reason) {
	case PEERBRIDGE_REASON_HB_DENIED:
		return "the path crosses the host bridge and host_bridge=deny";
	case PEERBRIDGE_REASON_HB_NOT_SAME:
		return "the path crosses two host bridges; this root complex routes within one";
	case PEERBRIDGE_REASON_HB_NOT_PCI:
		return "the importer is not on PCI and host_bridge=auto";
	default:
		return "its host bridge is not known to route peer-to-peer (host_bridge=auto)";
	}
}

/* a remembered verdict for @ipdev in these generations, if any */
static bool pb_verdict_cached(struct peerbridge_region *region,
			      struct pci_dev *ipdev, u32 policy, u32 pci_gen,
			      enum peerbridge_path *path)
{
	struct pb_verdict_slot *slot;
	bool hit = false;
	unsigned int i;

	spin_lock(&region->verdict_lock);
	for (i = 0; i < ARRAY_SIZE(region->verdicts) && !hit; i++) {
		slot = &region->verdicts[i];
		hit = slot->importer == ipdev && slot->policy == policy &&
		      slot->pci_gen == pci_gen;
		if (hit)
			*path = slot->path;
	}
	spin_unlock(&region->verdict_lock);
	return hit;
}

static void pb_verdict_remember(struct peerbridge_region *region,
				struct pci_dev *ipdev, u32 policy,
				u32 pci_gen, enum peerbridge_path path)
{
	struct pb_verdict_slot *slot;

	spin_lock(&region->verdict_lock);
	slot = &region->verdicts[region->verdict_next++ %
				 ARRAY_SIZE(region->verdicts)];
	slot->importer = ipdev;
	slot->policy = policy;
	slot->pci_gen = pci_gen;
	slot->path = path;
	spin_unlock(&region->verdict_lock);
}

/*
 * How @importer reaches memory of @region: *path is PEERBRIDGE_PATH_SWITCH
 * (bus address) or _HOST_BRIDGE (dma_map_resource()).  -EXDEV when the
 * policy refuses (the reason goes to the log), -ENODEV once the region is
 * revoked.  May sleep.
 */
int pb_topology_path(struct peerbridge_region *region,
		     struct device *importer, enum peerbridge_path *path)
{
	/* generations first: a change meanwhile makes the verdict a miss */
	u32 policy = (u32)atomic_read_acquire(&pb_policy);
	u32 pci_gen = (u32)atomic_read_acquire(&pb_pci_gen);
	/* the cache knows PCI importers only, by their pci_dev */
	struct pci_dev *key = dev_is_pci(importer) ? to_pci_dev(importer) : NULL;
	struct peerbridge_check v;
	bool read;
	int ret = 0;

	if (key && pb_verdict_cached(region, key, policy, pci_gen, path)) {
		if (!pb_region_live(region))
			return -ENODEV;
		return *path == PEERBRIDGE_PATH_NONE ? -EXDEV : 0;
	}

	down_read(&region->mem_lock);
	if (region->state != PB_REGION_LIVE) {
		ret = -ENODEV;
		goto out_unlock;
	}
	if (!importer->dma_mask) {
		pci_info_ratelimited(region->pdev,
				     "no peer path to %s: it has no DMA mask\n",
				     dev_name(importer));
		ret = -EXDEV;
		goto out_unlock;
	}
	read = pb_topology_verdict(region->pdev, importer, policy & 3, &v);
	switch (v.map) {
	case PEERBRIDGE_CHECK_MAP_BUS:
		*path = PEERBRIDGE_PATH_SWITCH;
		break;
	case PEERBRIDGE_CHECK_MAP_HOST_BRIDGE:
		*path = PEERBRIDGE_PATH_HOST_BRIDGE;
		break;
	default:
		*path = PEERBRIDGE_PATH_NONE;
		pci_info_ratelimited(region->pdev,
				     "no peer path to %s: %s; 'pbctl check %s %s' says what to change\n",
				     dev_name(importer), pb_refusal(v.reason),
				     pci_name(region->pdev), dev_name(importer));
		ret = -EXDEV;
	}
	if (key && read)
		pb_verdict_remember(region, key, policy, pci_gen, *path);
out_unlock:
	up_read(&region->mem_lock);
	return ret;
}

static struct pci_dev *pb_check_dev(const struct peerbridge_pci_addr *a)
{
	if (a->domain > INT_MAX)
		return NULL;
	return pci_get_domain_bus_and_slot(a->domain, a->bus, a->devfn);
}

long pb_ioctl_check(void __user *uarg)
{
	struct peerbridge_check c;
	struct pci_dev *exporter, *importer;
	int ret;

	ret = pb_copy_arg_in(&c, sizeof(c),
			     offsetofend(struct peerbridge_check, reserved),
			     uarg);
	if (ret)
		return ret;
	if (c.flags || c.reserved || c.exporter.pad || c.importer.pad)
		return -EINVAL;

	exporter = pb_check_dev(&c.exporter);
	if (!exporter)
		return -ENODEV;
	importer = pb_check_dev(&c.importer);
	if (!importer) {
		ret = -ENODEV;
		goto err_put_exporter;
	}
	/* one being removed: what is read of it would mean nothing */
	if (!device_is_registered(&exporter->dev) ||
	    !device_is_registered(&importer->dev)) {
		ret = -ENODEV;
		goto err_put_importer;
	}
	pb_topology_verdict(exporter, &importer->dev, pb_policy_get(), &c);
	ret = pb_copy_arg_out(uarg, &c, sizeof(c));

err_put_importer:
	pci_dev_put(importer);
err_put_exporter:
	pci_dev_put(exporter);
	return ret;
}
