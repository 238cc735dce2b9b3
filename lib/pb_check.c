// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * pb_check(): the kernel's topology verdict for two devices, named the way
 * users name them, explained in a sentence, with what to change.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include <uapi/peerbridge.h>

#include "peerbridge.h"
#include "pb_lib.h"
#include "pb_util.h"

static const char *const pb_path_names[] = {
	[PB_PATH_X] = "X", [PB_PATH_PIX] = "PIX", [PB_PATH_PXB] = "PXB",
	[PB_PATH_PHB] = "PHB", [PB_PATH_NODE] = "NODE", [PB_PATH_SYS] = "SYS",
};
static const char *const pb_map_names[] = {
	[PB_MAP_NONE] = "none", [PB_MAP_BUS] = "bus",
	[PB_MAP_HOST_BRIDGE] = "host-bridge",
};

PB_EXPORT const char *pb_path_name(enum pb_path path)
{
	return (unsigned int)path < 6 ? pb_path_names[path] : NULL;
}

PB_EXPORT const char *pb_map_name(enum pb_map map)
{
	return (unsigned int)map < 3 ? pb_map_names[map] : NULL;
}

static void pb_bdf_in(const char *bdf, struct peerbridge_pci_addr *a)
{
	unsigned int dom, bus, dev, fn;

	sscanf(bdf, "%x:%x:%x.%x", &dom, &bus, &dev, &fn);
	a->domain = dom;
	a->bus = bus;
	a->devfn = dev << 3 | fn;
}

/* pci=config_acs= exists from Linux 6.11 on */
static int pb_kernel_has_config_acs(void)
{
	struct utsname u;
	unsigned int major, minor;

	if (uname(&u) || sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return 0;
	return major > 6 || (major == 6 && minor >= 11);
}

/* pb_resolve_pci(), with the detail pb_strerror() gives */
static int pb_check_name(const char *name, char bdf[PB_BDF_LEN])
{
	int err;

	if (!pb_resolve_pci(name, bdf))
		return 0;
	err = errno;
	if (err == EIO)
		pb_set_error_detail(err, "%s: cannot list the PCI devices: libpci: %s",
				    name, pb_pci_error());
	else
		pb_set_error_detail(err, "%s: %s", name,
				    err == ENXIO ? "not a PCI device, so it has no peer-to-peer path to check" :
				    err == ENODEV ? "no such region, PCI device or device name" :
				    "not a device name");
	errno = err;
	return -1;
}

PB_EXPORT int pb_check(struct pb_ctx *ctx, const char *exporter,
		       const char *importer, struct pb_path_info *out)
{
	char e[PB_BDF_LEN], m[PB_BDF_LEN], path[PATH_MAX], iommu_type[32];
	struct peerbridge_check c;

	pb_begin(PB_CALL_CHECK);
	if (!ctx || !exporter || !importer || !out) {
		errno = EINVAL;
		return -1;
	}
	if (pb_check_name(exporter, e) || pb_check_name(importer, m))
		return -1;
	memset(&c, 0, sizeof(c));
	c.argsz = sizeof(c);
	pb_bdf_in(e, &c.exporter);
	pb_bdf_in(m, &c.importer);
	if (pb_ctx_ioctl(ctx, PEERBRIDGE_CHECK, &c))
		return -1;
	/* libpci knows a device's IOMMU group (PCI_FILL_IOMMU_GROUP), not its type */
	if (c.iommu != PEERBRIDGE_IOMMU_GROUP ||
	    pb_path(path, sizeof(path), "%s/bus/pci/devices/%s/iommu_group/type",
		    pb_sysfs_root(), m) ||
	    pb_read_text(path, iommu_type, sizeof(iommu_type)))
		iommu_type[0] = '\0';
	pb_path_from_kernel(&c, iommu_type[0] ? iommu_type : NULL, out);
	pb_explain(out, pb_kernel_has_config_acs());
	return 0;
}
