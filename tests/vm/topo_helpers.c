// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "topo_helpers.h"

struct topo_dev topo_wide[WIDE_NDEV] = {
	[W_IVA] = { "ivshmem #0 (inner switch)", ID_IVSHMEM, 0 },
	[W_EDU] = { "edu (inner switch)", ID_EDU, 0 },
	[W_IVB] = { "ivshmem #1 (outer switch)", ID_IVSHMEM, 1 },
	[W_NVME] = { "nvme (outer switch)", ID_NVME, 0 },
	[W_IVC] = { "ivshmem #2 (root port 2)", ID_IVSHMEM, 2 },
	[W_VGA] = { "VGA (root bus)", ID_VGA, 0 },
};

/* hops: inner-switch devices 6 to the root, outer 4, rp2's 2, VGA 1 */
const char *const topo_wide_want[WIDE_NDEV * WIDE_NDEV] = {
	"X bus 0", "PIX bus 4", "PXB bus 6", "PXB bus 6", "PHB none 8", "PHB none 7",
	"PIX bus 4", "X bus 0", "PXB bus 6", "PXB bus 6", "PHB none 8", "PHB none 7",
	"PXB bus 6", "PXB bus 6", "X bus 0", "PIX bus 4", "PHB none 6", "PHB none 5",
	"PXB bus 6", "PXB bus 6", "PIX bus 4", "X bus 0", "PHB none 6", "PHB none 5",
	"PHB none 8", "PHB none 8", "PHB none 6", "PHB none 6", "X bus 0", "PHB none 3",
	"PHB none 7", "PHB none 7", "PHB none 5", "PHB none 5", "PHB none 3", "X bus 0",
};

void topo_find(struct topo_dev *devs, int n)
{
	int i;

	for (i = 0; i < n; i++)
		find_pci(devs[i].vendor, devs[i].device, devs[i].nth,
			 devs[i].bdf);
}

void topo_check(const char *exporter, const char *importer,
		struct pb_path_info *v)
{
	ck_assert_msg(pb_check(g_ctx, exporter, importer, v) == 0,
		      "pb_check %s %s: %s", exporter, importer,
		      pb_strerror(errno));
}

void topo_assert_every_pair(const struct topo_dev *devs, int n,
			    const char *const *want, bool iommu)
{
	struct pb_path_info v;
	char got[64];
	int i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < n; j++) {
			topo_check(devs[i].bdf, devs[j].bdf, &v);
			snprintf(got, sizeof(got), "%s %s %u",
				 pb_path_name(v.path), pb_map_name(v.map),
				 v.distance);
			ck_assert_msg(!strcmp(got, want[i * n + j]),
				      "%s -> %s: got \"%s\", want \"%s\" (%s)",
				      devs[i].what, devs[j].what, got,
				      want[i * n + j], v.reason_text);
			ck_assert_msg(!!(v.flags & PB_PATH_IOMMU) == iommu,
				      "%s -> %s: IOMMU %s", devs[i].what,
				      devs[j].what, iommu ? "not seen" : "seen");
			/* a refusal always says what to change */
			ck_assert_msg(v.map != PB_MAP_NONE || v.fix[0],
				      "%s -> %s: refused without a fix",
				      devs[i].what, devs[j].what);
			ck_assert(v.reason_text[0]);
		}
	}
}

void topo_copy_round_trip(const char *bdf, uint64_t seed,
			  struct pb_copy_result *res)
{
	const size_t n = 8192;
	unsigned char *host = host_alloc(n), *back = host_alloc(n), *mem;
	char region[PB_REGION_NAME_MAX];
	struct pb_buf dst, src;
	size_t len;
	int fd;

	bind_dev(bdf);
	region_name(bdf, "bar2", region, sizeof(region));
	mem = map_region(region, &len);
	fd = export_or_fail(mem, len, 0);
	pb_fill_pattern(host, n, seed);
	memset(mem, 0, n);
	dst = dmabuf_side(fd, 0);
	src = va_side(host);
	ck_assert_int_eq(copy_bufs(&dst, &src, n, res), 0);
	ck_assert_int_eq(pb_verify_pattern(mem, n, seed), -1);
	dst = va_side(back);
	src = dmabuf_side(fd, 0);
	ck_assert_int_eq(copy_bufs(&dst, &src, n, NULL), 0);
	ck_assert_int_eq(pb_verify_pattern(back, n, seed), -1);
	close(fd);
	pb_unmap(mem, len);
	unbind_dev(bdf);
}

void topo_teardown(void)
{
	write_file(HB_POLICY, "auto");
	teardown_ctx();
}
