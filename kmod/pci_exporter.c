// SPDX-License-Identifier: GPL-2.0
/*
 * The generic PCI exporter: a PCI driver named "peerbridge" with no ID
 * table, bound to a device only through driver_override.  It exports every
 * prefetchable memory BAR as a region, and for an NVMe controller the
 * controller memory buffer instead of the BAR that holds it.  Register
 * (non-prefetchable) BARs are never exported, nor the pages of a BAR that
 * hold the MSI-X table or pending-bit array: whoever maps those could
 * rewrite the device's interrupt messages (vfio-pci excludes them too).
 * Under kernel lockdown it binds to nothing, as sysfs resourceN refuses
 * to map.
 *
 * It is written against <linux/peerbridge.h> only, like any third-party
 * driver would be: regions with PEERBRIDGE_REGION_NODE, so peerbridge does
 * their mmap, and no policy of its own.
 */
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/peerbridge.h>
#include <linux/security.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "pci_exporter.h"

#define PB_DRV_NAME		"peerbridge"

#define PB_MAX_DEV_REGIONS	(PCI_STD_NUM_BARS + 1)

/* NVMe controller registers (NVMe base specification, section 3.1) */
#define NVME_REG_CAP		0x00
#define  NVME_CAP_DSTRD(v)	(((v) >> 32) & 0xf)
#define  NVME_CAP_CMBS		BIT_ULL(57)
#define NVME_REG_CMBLOC		0x38
#define  NVME_CMBLOC_BIR(v)	((v) & 0x7)
#define  NVME_CMBLOC_OFST(v)	(((v) >> 12) & 0xfffff)
#define NVME_REG_CMBSZ		0x3c
#define  NVME_CMBSZ_SZU(v)	(((v) >> 8) & 0xf)
#define  NVME_CMBSZ_SZ(v)	(((v) >> 12) & 0xfffff)
#define NVME_REG_CMBMSC		0x50
#define  NVME_CMBMSC_CRE	BIT_ULL(0)
#define  NVME_CMBMSC_CMSE	BIT_ULL(1)
#define NVME_REG_LEN		0x60
#define NVME_REG_DBS		0x1000	/* doorbells: 2 per queue, 64 Ki queues */
#define NVME_DBS_END(cap)	(NVME_REG_DBS + 2ULL * SZ_64K * (4ULL << NVME_CAP_DSTRD(cap)))

struct pb_pci_dev {
	struct peerbridge_region *regions[PB_MAX_DEV_REGIONS];
	unsigned int nr_regions;
};

struct pb_cmb {
	int bar;
	resource_size_t offset;
	resource_size_t size;
};

/*
 * Locate an NVMe controller memory buffer from CMBLOC/CMBSZ.  Controllers
 * that advertise CAP.CMBS hide those registers until CMBMSC.CRE is set and
 * want the CMB's bus address in CMBMSC.CBA with CMSE before using it.
 */
static int pb_nvme_find_cmb(struct pci_dev *pdev, struct pb_cmb *cmb)
{
	u32 cmbloc, cmbsz;
	void __iomem *regs;
	u64 cap, unit;
	int ret;

	cmb->bar = -1;
	if (!(pci_resource_flags(pdev, 0) & IORESOURCE_MEM) ||
	    pci_resource_len(pdev, 0) < NVME_REG_LEN)
		return 0;

	ret = pci_request_region(pdev, 0, PB_DRV_NAME);
	if (ret)
		return ret;
	regs = pci_iomap(pdev, 0, NVME_REG_LEN);
	if (!regs) {
		ret = -ENOMEM;
		goto err_release_region;
	}

	cap = lo_hi_readq(regs + NVME_REG_CAP);
	if (cap & NVME_CAP_CMBS)
		lo_hi_writeq(NVME_CMBMSC_CRE, regs + NVME_REG_CMBMSC);
	cmbsz = readl(regs + NVME_REG_CMBSZ);
	cmbloc = readl(regs + NVME_REG_CMBLOC);
	if (!NVME_CMBSZ_SZ(cmbsz))
		goto out_unmap;

	if (NVME_CMBSZ_SZU(cmbsz) > 6) {	/* 4 KiB to 64 GiB; the rest reserved */
		pci_warn(pdev, "CMBSZ has a reserved size unit; CMB not exported\n");
		goto out_unmap;
	}
	unit = 1ULL << (12 + 4 * NVME_CMBSZ_SZU(cmbsz));
	cmb->bar = NVME_CMBLOC_BIR(cmbloc);
	cmb->offset = unit * NVME_CMBLOC_OFST(cmbloc);
	cmb->size = unit * NVME_CMBSZ_SZ(cmbsz);
	if (cmb->bar >= PCI_STD_NUM_BARS ||
	    !(pci_resource_flags(pdev, cmb->bar) & IORESOURCE_MEM) ||
	    cmb->offset >= pci_resource_len(pdev, cmb->bar)) {
		pci_warn(pdev, "CMB at BAR%d+%#llx lies outside the BAR; not exported\n",
			 cmb->bar, (unsigned long long)cmb->offset);
		cmb->bar = -1;
		goto out_unmap;
	}
	/* registers and doorbells are never peer memory */
	if (cmb->bar == 0 && cmb->offset < NVME_DBS_END(cap)) {
		pci_warn(pdev, "CMB at BAR0+%#llx overlaps the controller's registers; not exported\n",
			 (unsigned long long)cmb->offset);
		cmb->bar = -1;
		goto out_unmap;
	}
	/* a CMB larger than its BAR is usable up to the end of the BAR */
	cmb->size = min_t(resource_size_t, cmb->size,
			  pci_resource_len(pdev, cmb->bar) - cmb->offset);

	if (cap & NVME_CAP_CMBS)
		lo_hi_writeq(NVME_CMBMSC_CRE | NVME_CMBMSC_CMSE |
			     (pci_bus_address(pdev, cmb->bar) + cmb->offset),
			     regs + NVME_REG_CMBMSC);
out_unmap:
	pci_iounmap(pdev, regs);
	ret = 0;
err_release_region:
	pci_release_region(pdev, 0);
	return ret;
}

static int pb_pci_add_region(struct pci_dev *pdev, struct pb_pci_dev *pbdev,
			     int bar, resource_size_t offset,
			     resource_size_t size, const char *kind)
{
	const struct peerbridge_region_info info = {
		.name = kind,
		.flags = PEERBRIDGE_REGION_NODE,
	};
	struct peerbridge_region *region;

	region = peerbridge_region_create(pdev, bar, offset, size, &info);
	if (IS_ERR(region))
		return PTR_ERR(region);
	pbdev->regions[pbdev->nr_regions++] = region;
	pci_info(pdev, "exporting BAR%d+%#llx, %llu bytes, as /dev/pbmem/%s\n",
		 bar, (unsigned long long)offset, (unsigned long long)size,
		 peerbridge_region_name(region));
	return 0;
}

/* the region claims its window in the iomem tree itself */
static int pb_pci_export_bar(struct pci_dev *pdev, struct pb_pci_dev *pbdev,
			     int bar, const struct pb_cmb *cmb)
{
	resource_size_t offset = 0, size = pci_resource_len(pdev, bar);
	resource_size_t safe;
	char kind[8];

	if (bar == cmb->bar) {
		offset = cmb->offset;
		size = cmb->size;
		strscpy(kind, "cmb", sizeof(kind));
	} else {
		snprintf(kind, sizeof(kind), "bar%d", bar);
	}
	safe = size;
	peerbridge_msix_safe(pdev, bar, &offset, &safe);
	if (safe != size) {
		pci_info(pdev, "BAR%d holds the MSI-X table or PBA: %s %s\n",
			 bar, safe ? "exporting only the part without it as" :
			 "not exporting", kind);
		if (!safe)
			return 0;
	}
	return pb_pci_add_region(pdev, pbdev, bar, offset, safe, kind);
}

/*
 * Revokes every mapping.  A window stays claimed by its region until no
 * device holds a mapping of it.
 */
static void pb_pci_unexport(struct pb_pci_dev *pbdev)
{
	while (pbdev->nr_regions)
		peerbridge_region_destroy(pbdev->regions[--pbdev->nr_regions]);
}

static bool pb_pci_bar_exported(struct pci_dev *pdev, int bar,
				const struct pb_cmb *cmb)
{
	unsigned long flags = pci_resource_flags(pdev, bar);

	if (!pci_resource_len(pdev, bar))
		return false;
	if (bar == cmb->bar)
		return true;
	return (flags & IORESOURCE_MEM) && (flags & IORESOURCE_PREFETCH);
}

static int pb_pci_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct pb_cmb cmb = { .bar = -1 };
	struct pb_pci_dev *pbdev;
	int bar, ret;

	/* raw BAR access, as sysfs resourceN: not under kernel lockdown */
	ret = security_locked_down(LOCKDOWN_PCI_ACCESS);
	if (ret)
		return ret;

	pbdev = kzalloc(sizeof(*pbdev), GFP_KERNEL);
	if (!pbdev)
		return -ENOMEM;

	ret = pci_enable_device_mem(pdev);
	if (ret)
		goto err_free_pbdev;

	if (pdev->class == PCI_CLASS_STORAGE_EXPRESS) {
		ret = pb_nvme_find_cmb(pdev, &cmb);
		if (ret)
			goto err_disable_device;
	}

	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++) {
		if (!pb_pci_bar_exported(pdev, bar, &cmb))
			continue;
		ret = pb_pci_export_bar(pdev, pbdev, bar, &cmb);
		if (ret)
			goto err_unexport;
	}
	if (!pbdev->nr_regions)
		pci_info(pdev, "no prefetchable memory BAR or CMB to export\n");

	pci_set_drvdata(pdev, pbdev);
	return 0;

err_unexport:
	pb_pci_unexport(pbdev);
err_disable_device:
	pci_disable_device(pdev);
err_free_pbdev:
	kfree(pbdev);
	return ret;
}

static void pb_pci_remove(struct pci_dev *pdev)
{
	struct pb_pci_dev *pbdev = pci_get_drvdata(pdev);

	pb_pci_unexport(pbdev);
	pci_disable_device(pdev);
	kfree(pbdev);
}

static struct pci_driver pb_pci_driver = {
	.name = PB_DRV_NAME,
	.id_table = NULL,	/* binds only through driver_override */
	.probe = pb_pci_probe,
	.remove = pb_pci_remove,
};

int pb_pci_exporter_init(void)
{
	return pci_register_driver(&pb_pci_driver);
}

void pb_pci_exporter_exit(void)
{
	pci_unregister_driver(&pb_pci_driver);
}
