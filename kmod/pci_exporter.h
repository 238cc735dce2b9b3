/* SPDX-License-Identifier: GPL-2.0 */
/* The generic PCI exporter, registered by the module's init. */
#ifndef _PB_PCI_EXPORTER_H
#define _PB_PCI_EXPORTER_H

int pb_pci_exporter_init(void);
void pb_pci_exporter_exit(void);

#endif /* _PB_PCI_EXPORTER_H */
