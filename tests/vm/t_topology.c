// SPDX-License-Identifier: GPL-2.0
/*
 * The topology policy in the reference rig: CHECK's verdict for every pair
 * of devices, the host_bridge parameter at run time, copies refused and
 * allowed through the host bridge, and pbctl check / topo / doctor.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <uapi/peerbridge.h>

#include "../kmod/pb_test_importer.h"
#include "pbvm.h"
#include "topo_helpers.h"

#define PAGE	4096UL

enum { IV0, EDU, VGA, NVME, IV1, NDEV };

static struct topo_dev ref[NDEV] = {
	[IV0] = { "ivshmem #0", ID_IVSHMEM, 0 },
	[EDU] = { "edu", ID_EDU, 0 },
	[VGA] = { "VGA", ID_VGA, 0 },
	[NVME] = { "nvme", ID_NVME, 0 },
	[IV1] = { "ivshmem #1", ID_IVSHMEM, 1 },
};

static void topology_setup(void)
{
	setup_ctx();
	topo_find(ref, NDEV);
}

START_TEST(check_verdicts_for_every_pair_of_the_reference_topology)
{
	/* below the switch: 2 hops up to it on each side; rp2: 6 in all */
	static const char *const want[NDEV * NDEV] = {
		"X bus 0", "PIX bus 4", "PIX bus 4", "PIX bus 4", "PHB none 6",
		"PIX bus 4", "X bus 0", "PIX bus 4", "PIX bus 4", "PHB none 6",
		"PIX bus 4", "PIX bus 4", "X bus 0", "PIX bus 4", "PHB none 6",
		"PIX bus 4", "PIX bus 4", "PIX bus 4", "X bus 0", "PHB none 6",
		"PHB none 6", "PHB none 6", "PHB none 6", "PHB none 6", "X bus 0",
	};

	topo_assert_every_pair(ref, NDEV, want, false);
}
END_TEST

START_TEST(check_follows_the_host_bridge_parameter_at_run_time)
{
	struct pb_path_info v;

	topo_check(ref[EDU].bdf, ref[IV1].bdf, &v);
	ck_assert_int_eq(v.reason, PB_REASON_HB_UNKNOWN);
	ck_assert_str_eq(v.host_bridge, "auto");
	ck_assert_msg(strstr(v.fix, "host_bridge"), "fix: %s", v.fix);

	ck_assert_int_eq(write_file(HB_POLICY, "allow"), 0);
	topo_check(ref[EDU].bdf, ref[IV1].bdf, &v);
	ck_assert_int_eq(v.map, PB_MAP_HOST_BRIDGE);
	ck_assert_int_eq(v.reason, PB_REASON_HB_ALLOWED);
	ck_assert_str_eq(v.host_bridge, "allow");
	/* below the switch nothing changes */
	topo_check(ref[EDU].bdf, ref[IV0].bdf, &v);
	ck_assert_int_eq(v.map, PB_MAP_BUS);

	ck_assert_int_eq(write_file(HB_POLICY, "deny"), 0);
	topo_check(ref[EDU].bdf, ref[IV1].bdf, &v);
	ck_assert_int_eq(v.map, PB_MAP_NONE);
	ck_assert_int_eq(v.reason, PB_REASON_HB_DENIED);
}
END_TEST

START_TEST(host_bridge_parameter_takes_only_auto_allow_or_deny)
{
	char text[32];

	ck_assert_int_eq(write_file(HB_POLICY, "maybe"), EINVAL);
	ck_assert_int_eq(write_file(HB_POLICY, "1"), EINVAL);
	ck_assert_int_eq(pb_read_text(HB_POLICY, text, sizeof(text)), 0);
	ck_assert_str_eq(text, "auto");
	ck_assert_int_eq(write_file(HB_POLICY, "deny\n"), 0);
	ck_assert_int_eq(pb_read_text(HB_POLICY, text, sizeof(text)), 0);
	ck_assert_str_eq(text, "deny");
}
END_TEST

START_TEST(host_bridge_allow_of_old_still_sets_the_policy)
{
	const char *old = "/sys/module/peerbridge/parameters/host_bridge_allow";
	char text[32];

	ck_assert_int_eq(write_file(old, "1"), 0);
	ck_assert_int_eq(pb_read_text(HB_POLICY, text, sizeof(text)), 0);
	ck_assert_str_eq(text, "allow");
	ck_assert_int_eq(write_file(old, "0"), 0);
	ck_assert_int_eq(pb_read_text(HB_POLICY, text, sizeof(text)), 0);
	ck_assert_str_eq(text, "deny");
	ck_assert_int_eq(write_file(old, "perhaps"), EINVAL);
	/* what it shows can be written back: auto survives a save and restore */
	ck_assert_int_eq(write_file(HB_POLICY, "auto"), 0);
	ck_assert_int_eq(pb_read_text(old, text, sizeof(text)), 0);
	ck_assert_str_eq(text, "auto");
	ck_assert_int_eq(write_file(old, text), 0);
	ck_assert_int_eq(pb_read_text(HB_POLICY, text, sizeof(text)), 0);
	ck_assert_str_eq(text, "auto");
}
END_TEST

/* ivshmem #1, on its own root port, bound and mapped */
static unsigned char *far_region(size_t *len, int *fd)
{
	char region[PB_REGION_NAME_MAX];
	unsigned char *p;

	bind_dev(ref[IV1].bdf);
	region_name(ref[IV1].bdf, "bar2", region, sizeof(region));
	p = map_region(region, len);
	*fd = export_or_fail(p, *len, 0);
	return p;
}

START_TEST(copy_through_a_denied_host_bridge_is_exdev_and_leaves_the_destination_untouched)
{
	unsigned char *host = host_alloc(2 * PAGE), *far;
	size_t len, i;
	int fd;
	struct pb_buf dst, src = va_side(host);

	far = far_region(&len, &fd);
	dst = dmabuf_side(fd, 0);
	memset(far, 0x5a, 2 * PAGE);
	pb_fill_pattern(host, 2 * PAGE, 0x7007);
	ck_assert_int_eq(write_file(HB_POLICY, "deny"), 0);
	ck_assert_int_eq(copy_bufs(&dst, &src, 2 * PAGE, NULL), EXDEV);
	for (i = 0; i < 2 * PAGE; i++)
		ck_assert_msg(far[i] == 0x5a, "byte %zu changed", i);
	close(fd);
	pb_unmap(far, len);
	unbind_dev(ref[IV1].bdf);
}
END_TEST

START_TEST(copy_through_an_allowed_host_bridge_arrives_byte_for_byte)
{
	struct pb_copy_result res;

	ck_assert_int_eq(write_file(HB_POLICY, "allow"), 0);
	topo_copy_round_trip(ref[IV1].bdf, 0x7117, &res);
	/* without an IOMMU, dma_map_resource() gives the CPU address */
	ck_assert_uint_eq(res.dst_dma, bar_start(ref[IV1].bdf, 2));
}
END_TEST

START_TEST(a_policy_change_applies_to_the_next_copy)
{
	unsigned char *host = host_alloc(PAGE), *far;
	size_t len;
	int fd;
	struct pb_buf dst, src = va_side(host);

	far = far_region(&len, &fd);
	dst = dmabuf_side(fd, 0);
	pb_fill_pattern(host, PAGE, 0x7447);
	ck_assert_int_eq(write_file(HB_POLICY, "allow"), 0);
	ck_assert_int_eq(copy_bufs(&dst, &src, PAGE, NULL), 0);
	ck_assert_int_eq(pb_verify_pattern(far, PAGE, 0x7447), -1);
	/* the region's remembered verdict must not outlive the policy */
	ck_assert_int_eq(write_file(HB_POLICY, "deny"), 0);
	ck_assert_int_eq(copy_bufs(&dst, &src, PAGE, NULL), EXDEV);
	ck_assert_int_eq(write_file(HB_POLICY, "allow"), 0);
	ck_assert_int_eq(copy_bufs(&dst, &src, PAGE, NULL), 0);
	close(fd);
	pb_unmap(far, len);
	unbind_dev(ref[IV1].bdf);
}
END_TEST

START_TEST(a_remembered_refusal_gives_way_to_enodev_once_revoked)
{
	char region[PB_REGION_NAME_MAX], path[PATH_MAX];
	int tfd = pbti_fd();
	struct pbti_map m;
	unsigned char *far;
	size_t len;

	/* the importer API (peerbridge_map_user()), edu importing */
	bind_dev(ref[IV1].bdf);
	region_name(ref[IV1].bdf, "bar2", region, sizeof(region));
	far = map_region(region, &len);
	ck_assert_int_eq(write_file(HB_POLICY, "deny"), 0);
	/* refused, and the refusal remembered */
	ck_assert_int_eq(pbti_map_range(tfd, far, PAGE, false, &m), EXDEV);
	ck_assert_int_eq(pbti_map_range(tfd, far, PAGE, false, &m), EXDEV);
	snprintf(path, sizeof(path), "/sys/class/pbmem/%s/revoke", region);
	ck_assert_int_eq(write_file(path, "1"), 0);
	ck_assert_int_eq(pbti_map_range(tfd, far, PAGE, false, &m), ENODEV);
	close(tfd);
	pb_unmap(far, len);
	unbind_dev(ref[IV1].bdf);
}
END_TEST

static void pci_addr(const char *bdf, struct peerbridge_pci_addr *a)
{
	unsigned int d, b, s, f;

	ck_assert_int_eq(sscanf(bdf, "%x:%x:%x.%x", &d, &b, &s, &f), 4);
	*a = (struct peerbridge_pci_addr){ .domain = d, .bus = b,
					   .devfn = s << 3 | f };
}

START_TEST(check_ioctl_rejects_flags_pad_and_reserved)
{
	struct peerbridge_check c = { .argsz = sizeof(c) };

	pci_addr(ref[IV0].bdf, &c.exporter);
	pci_addr(ref[EDU].bdf, &c.importer);
	ck_assert_int_eq(ctl_ioctl(PEERBRIDGE_CHECK, &c), 0);
	ck_assert_uint_eq(c.map, PEERBRIDGE_CHECK_MAP_BUS);
	c.flags = 1;
	ck_assert_int_eq(ctl_ioctl(PEERBRIDGE_CHECK, &c), EINVAL);
	c.flags = 0;
	c.importer.pad = 1;
	ck_assert_int_eq(ctl_ioctl(PEERBRIDGE_CHECK, &c), EINVAL);
	c.importer.pad = 0;
	c.reserved = 1;
	ck_assert_int_eq(ctl_ioctl(PEERBRIDGE_CHECK, &c), EINVAL);
	c.reserved = 0;
	c.argsz = offsetof(struct peerbridge_check, reserved);
	ck_assert_int_eq(ctl_ioctl(PEERBRIDGE_CHECK, &c), EINVAL);
}
END_TEST

START_TEST(check_of_a_missing_device_is_enodev)
{
	struct peerbridge_check c = { .argsz = sizeof(c) };

	pci_addr(ref[IV0].bdf, &c.exporter);
	c.importer = (struct peerbridge_pci_addr){ .domain = 0, .bus = 0xfe,
						   .devfn = 0xff };
	ck_assert_int_eq(ctl_ioctl(PEERBRIDGE_CHECK, &c), ENODEV);
	c.importer.domain = 0x80000000u;
	ck_assert_int_eq(ctl_ioctl(PEERBRIDGE_CHECK, &c), ENODEV);
}
END_TEST

START_TEST(check_names_devices_by_region_dma_channel_and_short_bdf)
{
	struct pb_path_info v;

	/* the region of ivshmem #0, the edu's DMA channel, "bb:dd.f" */
	topo_check(g_vram, "dma0chan0", &v);
	ck_assert_str_eq(v.exporter, ref[IV0].bdf);
	ck_assert_str_eq(v.importer, ref[EDU].bdf);
	topo_check(ref[NVME].bdf + 5, g_cmb, &v);
	ck_assert_str_eq(v.exporter, ref[NVME].bdf);
	ck_assert_int_eq(v.path, PB_PATH_X);
	/* a device that is not PCI, and one that does not exist */
	ck_assert_int_eq(pb_check(g_ctx, g_vram, "lo", &v), -1);
	ck_assert_int_eq(errno, ENXIO);
	ck_assert_msg(strstr(pb_strerror(ENXIO), "not a PCI device"), "%s",
		      pb_strerror(ENXIO));
	ck_assert_int_eq(pb_check(g_ctx, g_vram, "nosuchdev0", &v), -1);
	ck_assert_int_eq(errno, ENODEV);
}
END_TEST

START_TEST(pbctl_check_json_carries_the_contract_keys_and_a_refusal_exits_1)
{
	static const char *const keys[] = {
		"\"exporter\": ", "\"importer\": ", "\"path\": ", "\"map\": ",
		"\"distance\": ", "\"reason\": ", "\"fix\": ",
	};
	char out[8192], want[64];
	unsigned int i;

	ck_assert_int_eq(pbctl_output(out, sizeof(out), "-j check %s %s",
				      g_vram, ref[EDU].bdf), 0);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		ck_assert_msg(strstr(out, keys[i]), "no %s in %.3000s", keys[i], out);
	ck_assert_msg(strstr(out, "\"path\": \"PIX\", \"map\": \"bus\", \"distance\": 4"),
		      "%.3000s", out);
	snprintf(want, sizeof(want), "\"exporter\": \"%s\"", ref[IV0].bdf);
	ck_assert_msg(strstr(out, want), "%.3000s", out);

	ck_assert_int_eq(pbctl_output(out, sizeof(out), "-j check %s %s",
				      ref[EDU].bdf, ref[IV1].bdf), 1);
	ck_assert_msg(strstr(out, "\"path\": \"PHB\", \"map\": \"none\", \"distance\": 6"),
		      "%.3000s", out);
	ck_assert_msg(strstr(out, "parameters/host_bridge"), "%.3000s", out);
	/* people get the same, in sentences */
	ck_assert_int_eq(pbctl_output(out, sizeof(out), "check %s %s",
				      ref[EDU].bdf, ref[IV1].bdf), 1);
	ck_assert_msg(strstr(out, "why: ") && strstr(out, "fix: "), "%.3000s", out);
	ck_assert_int_eq(pbctl("check %s", ref[EDU].bdf), 2);
	ck_assert_int_eq(pbctl("check %s %s --validate=0", ref[EDU].bdf,
			       ref[IV0].bdf), 2);
}
END_TEST

START_TEST(pbctl_check_validate_moves_a_pattern_each_way)
{
	char out[8192];

	ck_assert_int_eq(pbctl_output(out, sizeof(out),
				      "-j check --validate=8K %s %s", g_vram,
				      ref[NVME].bdf), 0);
	ck_assert_msg(strstr(out, "\"verified\": true"), "%.3000s", out);
	ck_assert_msg(strstr(out, "\"p2p_to_importer_bps\": ") &&
		      strstr(out, "\"p2p_to_exporter_bps\": ") &&
		      strstr(out, "\"host_staged_bps\": "), "%.3000s", out);
	ck_assert_msg(strstr(out, "\"importer_region\": \""), "%.3000s", out);
	/* an importer without peer memory cannot be validated */
	ck_assert_int_eq(pbctl_output(out, sizeof(out),
				      "-j check %s %s --validate=8K", g_vram,
				      ref[EDU].bdf), 1);
}
END_TEST

/* pbctl -j topo's @out lists @bdf with @kinds (and what follows them) */
static void assert_listed(const char *out, const char *bdf, const char *kinds)
{
	char want[160];

	snprintf(want, sizeof(want), "\"device\": \"%s\", \"kinds\": %s", bdf,
		 kinds);
	ck_assert_msg(strstr(out, want), "%s in %.3000s", want, out);
}

START_TEST(pbctl_topo_lists_memory_gpu_nvme_and_dma_engine)
{
	char out[16384];

	ck_assert_int_eq(pbctl_output(out, sizeof(out), "-j topo"), 0);
	assert_listed(out, ref[IV0].bdf, "[\"peer memory\"]");
	/* the sample driver's VRAM region is on it */
	assert_listed(out, ref[VGA].bdf, "[\"peer memory\", \"GPU\"]");
	assert_listed(out, ref[NVME].bdf, "[\"peer memory\", \"NVMe\"]");
	assert_listed(out, ref[EDU].bdf, "[\"DMA engine\"], \"names\": [\"dma0chan0\"");
	/* names from the PCI ID database, and a matrix below one switch */
	ck_assert_msg(strstr(out, "Inter-VM shared memory"), "%.3000s", out);
	ck_assert_msg(strstr(out, "\"matrix\": [{\"exporter\": \"d0\", \"d0\": \"X\", \"d1\": \"PIX\""),
		      "%.3000s", out);
	ck_assert_msg(strstr(out, "\"refusals\": []"), "%.3000s", out);
}
END_TEST

START_TEST(pbctl_doctor_reports_every_check_in_json)
{
	static const char *const checks[] = {
		"\"check\": \"module\", \"status\": \"OK\"",
		"\"check\": \"nodes\", \"status\": ",
		"\"check\": \"p2pdma\", \"status\": \"OK\"",
		"\"check\": \"move_notify\", \"status\": ",
		"\"check\": \"iommu\", \"status\": \"OK\", \"detail\": \"no IOMMU",
		"\"check\": \"lockdown\", \"status\": \"OK\"",
		/* q35's root complex is on no list */
		"\"check\": \"host_bridge\", \"status\": \"WARN\"",
		"\"check\": \"acs\", \"status\": \"OK\"",
	};
	char out[16384];
	unsigned int i;
	int rc;

	rc = pbctl_output(out, sizeof(out), "-j doctor");
	for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++)
		ck_assert_msg(strstr(out, checks[i]), "no %s in %.3000s", checks[i],
			      out);
	/* a warning is a problem found: exit 1, and the result says so */
	ck_assert_int_eq(rc, 1);
	ck_assert_msg(strstr(out, "\"result\": \"WARN\""), "%.3000s", out);
}
END_TEST

Suite *suite_topology(void)
{
	Suite *s = suite_create("topology");
	TCase *tc = tcase_create("policy");
	TCase *tp = tcase_create("pbctl");

	tcase_add_checked_fixture(tc, topology_setup, topo_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, check_verdicts_for_every_pair_of_the_reference_topology);
	tcase_add_test(tc, check_follows_the_host_bridge_parameter_at_run_time);
	tcase_add_test(tc, host_bridge_parameter_takes_only_auto_allow_or_deny);
	tcase_add_test(tc, host_bridge_allow_of_old_still_sets_the_policy);
	tcase_add_test(tc, copy_through_a_denied_host_bridge_is_exdev_and_leaves_the_destination_untouched);
	tcase_add_test(tc, copy_through_an_allowed_host_bridge_arrives_byte_for_byte);
	tcase_add_test(tc, a_policy_change_applies_to_the_next_copy);
	tcase_add_test(tc, a_remembered_refusal_gives_way_to_enodev_once_revoked);
	tcase_add_test(tc, check_ioctl_rejects_flags_pad_and_reserved);
	tcase_add_test(tc, check_of_a_missing_device_is_enodev);
	tcase_add_test(tc, check_names_devices_by_region_dma_channel_and_short_bdf);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(tp, topology_setup, topo_teardown);
	tcase_set_timeout(tp, 120);
	tcase_add_test(tp, pbctl_check_json_carries_the_contract_keys_and_a_refusal_exits_1);
	tcase_add_test(tp, pbctl_check_validate_moves_a_pattern_each_way);
	tcase_add_test(tp, pbctl_topo_lists_memory_gpu_nvme_and_dma_engine);
	tcase_add_test(tp, pbctl_doctor_reports_every_check_in_json);
	suite_add_tcase(s, tp);
	return s;
}
