/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by the topology suites: the verdict of every pair of a rig. */
#ifndef TOPO_HELPERS_H
#define TOPO_HELPERS_H

#include <stdbool.h>

#include "pbvm.h"

#define HB_POLICY	"/sys/module/peerbridge/parameters/host_bridge"

/* a device of the rig, by IDs and bus order */
struct topo_dev {
	const char *what;
	unsigned int vendor, device;
	int nth;
	char bdf[PB_BDF_LEN];
};

void topo_find(struct topo_dev *devs, int n);
/*
 * pb_check() of every ordered pair against want[exporter * n + importer],
 * "PATH MAP DISTANCE" ("PIX bus 4", "PHB none 6"); and the importer's
 * IOMMU as @iommu says.
 */
void topo_assert_every_pair(const struct topo_dev *devs, int n,
			    const char *const *want, bool iommu);
/* pb_check() through g_ctx, or fail the test */
void topo_check(const char *exporter, const char *importer,
		struct pb_path_info *v);
/*
 * The wide rig (run.sh PB_VM_TOPO=wide, with or without the IOMMU) and the
 * verdict of every pair in it, the IOMMU changing none.
 */
enum { W_IVA, W_EDU, W_IVB, W_NVME, W_IVC, W_VGA, WIDE_NDEV };
extern struct topo_dev topo_wide[WIDE_NDEV];
extern const char *const topo_wide_want[WIDE_NDEV * WIDE_NDEV];

/*
 * Bind @bdf, then move 8 KiB of a pattern from host memory into its BAR2
 * region and back out by COPY, verifying each byte both times; what the
 * first copy reported in *res.  Unbinds it again.
 */
void topo_copy_round_trip(const char *bdf, uint64_t seed,
			  struct pb_copy_result *res);

/* the policy back to auto, whatever a test did */
void topo_teardown(void);

#endif /* TOPO_HELPERS_H */
