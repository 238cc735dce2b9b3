// SPDX-License-Identifier: GPL-2.0
/*
 * The pages of a BAR no region may cover: those holding the device's
 * MSI-X table or pending-bit array.  Whoever maps them, by CPU or by peer
 * DMA, could rewrite the device's interrupt messages and make it write
 * anywhere (vfio-pci keeps them out of its mmaps too).
 */
#include <linux/pci.h>
#include <linux/peerbridge.h>

/*
 * Shrink [*offset, *offset + *size) of @bar to its largest part that does
 * not share a page with the MSI-X structure whose offset/BIR register is
 * at config offset @reg and which is @len bytes long.
 */
static void pb_msix_exclude(struct pci_dev *pdev, int bar, int reg, u32 len,
			    resource_size_t *offset, resource_size_t *size)
{
	resource_size_t start, end, lo, hi;
	u32 val;

	/* an unreadable capability could place the table anywhere */
	if (pci_read_config_dword(pdev, pdev->msix_cap + reg, &val) ||
	    PCI_POSSIBLE_ERROR(val)) {
		*size = 0;
		return;
	}
	if ((val & PCI_MSIX_TABLE_BIR) != bar)
		return;
	start = round_down(val & PCI_MSIX_TABLE_OFFSET, PAGE_SIZE);
	end = round_up((resource_size_t)(val & PCI_MSIX_TABLE_OFFSET) + len,
		       PAGE_SIZE);
	if (end <= *offset || start >= *offset + *size)
		return;
	lo = start > *offset ? start - *offset : 0;
	hi = *offset + *size > end ? *offset + *size - end : 0;
	if (lo >= hi) {
		*size = lo;
	} else {
		*offset += *size - hi;
		*size = hi;
	}
}

void peerbridge_msix_safe(struct pci_dev *pdev, int bar,
			  resource_size_t *offset, resource_size_t *size)
{
	int entries;

	if (!pdev->msix_cap)
		return;
	entries = pci_msix_vec_count(pdev);
	if (entries <= 0) {
		*size = 0;	/* a table of unknown size could be anywhere */
		return;
	}
	pb_msix_exclude(pdev, bar, PCI_MSIX_TABLE, entries * PCI_MSIX_ENTRY_SIZE,
			offset, size);
	if (*size)
		pb_msix_exclude(pdev, bar, PCI_MSIX_PBA,
				DIV_ROUND_UP(entries, 64) * 8, offset, size);
}
EXPORT_SYMBOL_GPL(peerbridge_msix_safe);
