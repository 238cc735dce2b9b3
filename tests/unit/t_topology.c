// SPDX-License-Identifier: GPL-2.0
/*
 * The topology policy's rules (kmod/topology_rules.c, the module's own
 * file) on made-up topologies, on config space recorded from a real port,
 * and the library's explanation of their verdicts (lib/pb_explain.c).
 */
#include <stdio.h>
#include <string.h>

#include <pci/pci.h>

#include <peerbridge.h>

#include "../../kmod/topology_rules.h"
#include "pb_lib.h"
#include "unit.h"

#define RR	0x0004	/* ACS P2P request redirect */
#define CR	0x0008	/* ACS P2P completion redirect */
#define EC	0x0020	/* ACS P2P egress control */
#define OTHER	(0x0001 | 0x0002 | 0x0010)	/* SV, TB, UF */

/*
 * The made-up machine, host bridge 0:
 *   00:01.0 root port -> 01:00.0 switch up -> 02:00.0 down -> 03:00.0 A
 *                                                    (03:00.1 A's 2nd fn)
 *                                         -> 02:01.0 down -> 04:00.0 B
 *                                         -> 02:02.0 down -> 05:00.0 up
 *                                              -> 06:00.0 down -> 07:00.0 C
 *   00:02.0 root port -> 08:00.0 D
 *   00:03.0 R, on the root bus
 */
struct hopdef {
	unsigned int bus, dev, fn, type;
};

static const struct hopdef RP1 = { 0, 1, 0, PB_HOP_ROOT_PORT };
static const struct hopdef US1 = { 1, 0, 0, PB_HOP_SWITCH_UP };
static const struct hopdef DS1A = { 2, 0, 0, PB_HOP_SWITCH_DOWN };
static const struct hopdef DS1B = { 2, 1, 0, PB_HOP_SWITCH_DOWN };
static const struct hopdef DS1C = { 2, 2, 0, PB_HOP_SWITCH_DOWN };
static const struct hopdef US2 = { 5, 0, 0, PB_HOP_SWITCH_UP };
static const struct hopdef DS2A = { 6, 0, 0, PB_HOP_SWITCH_DOWN };
static const struct hopdef RP2 = { 0, 2, 0, PB_HOP_ROOT_PORT };
static const struct hopdef EP_A = { 3, 0, 0, PB_HOP_ENDPOINT };
static const struct hopdef EP_A1 = { 3, 0, 1, PB_HOP_ENDPOINT };
static const struct hopdef EP_B = { 4, 0, 0, PB_HOP_ENDPOINT };
static const struct hopdef EP_C = { 7, 0, 0, PB_HOP_ENDPOINT };
static const struct hopdef EP_D = { 8, 0, 0, PB_HOP_ENDPOINT };
static const struct hopdef EP_R = { 0, 3, 0, PB_HOP_ENDPOINT };

static struct pb_topo_in in;
static struct peerbridge_check out;

static void push(struct pb_topo_side *s, const struct hopdef *h, __u16 acs)
{
	struct pb_hop *hop = &s->hop[s->nr++];

	hop->addr.bus = h->bus;
	hop->addr.devfn = h->dev << 3 | h->fn;
	hop->type = h->type;
	hop->acs_ctrl = acs;
}

static void side_a(struct pb_topo_side *s)
{
	push(s, &EP_A, 0);
	push(s, &DS1A, 0);
	push(s, &US1, 0);
	push(s, &RP1, 0);
}

static void side_b(struct pb_topo_side *s, __u16 ds_acs)
{
	push(s, &EP_B, 0);
	push(s, &DS1B, ds_acs);
	push(s, &US1, 0);
	push(s, &RP1, 0);
}

static void side_c(struct pb_topo_side *s)
{
	push(s, &EP_C, 0);
	push(s, &DS2A, 0);
	push(s, &US2, 0);
	push(s, &DS1C, 0);
	push(s, &US1, 0);
	push(s, &RP1, 0);
}

static void side_d(struct pb_topo_side *s)
{
	push(s, &EP_D, 0);
	push(s, &RP2, 0);
}

static void reset(void)
{
	memset(&in, 0, sizeof(in));
	memset(&out, 0xa5, sizeof(out));	/* every field must be written */
	in.imp_pci = true;
	in.exp.node = in.imp.node = -1;
	in.policy = PEERBRIDGE_HB_AUTO;
}

static void decide(void)
{
	pb_topo_decide(&in, &out);
}

/* the library's account of a verdict, from the rules' own output */
static void explain(struct pb_path_info *v, int config_acs)
{
	pb_path_from_kernel(&out, in.iommu ? "DMA-FQ" : NULL, v);
	pb_explain(v, config_acs);
}

START_TEST(same_device_is_x_by_bus_address)
{
	side_a(&in.exp);
	side_a(&in.imp);
	decide();
	ck_assert_uint_eq(out.path, PEERBRIDGE_CHECK_PATH_X);
	ck_assert_uint_eq(out.map, PEERBRIDGE_CHECK_MAP_BUS);
	ck_assert_uint_eq(out.distance, 0);
	ck_assert_uint_eq(out.reason, PEERBRIDGE_REASON_SAME_DEVICE);
	ck_assert_uint_eq(out.facts, 0);
	ck_assert_uint_eq(out.nr_acs, 0);
}
END_TEST

START_TEST(one_switch_is_pix_by_bus_address)
{
	side_a(&in.exp);
	side_b(&in.imp, 0);
	decide();
	ck_assert_uint_eq(out.path, PEERBRIDGE_CHECK_PATH_PIX);
	ck_assert_uint_eq(out.map, PEERBRIDGE_CHECK_MAP_BUS);
	ck_assert_uint_eq(out.distance, 4);
	ck_assert_uint_eq(out.reason, PEERBRIDGE_REASON_COMMON_BRIDGE);
	ck_assert_uint_eq(out.common.bus, 1);	/* the switch's upstream port */
}
END_TEST

START_TEST(nested_switches_are_pxb_by_bus_address)
{
	side_a(&in.exp);
	side_c(&in.imp);
	decide();
	ck_assert_uint_eq(out.path, PEERBRIDGE_CHECK_PATH_PXB);
	ck_assert_uint_eq(out.map, PEERBRIDGE_CHECK_MAP_BUS);
	ck_assert_uint_eq(out.distance, 6);
}
END_TEST

START_TEST(acs_redirect_on_a_downstream_port_needs_the_host_bridge)
{
	side_a(&in.exp);
	side_b(&in.imp, RR | OTHER);
	decide();
	/* still one switch, but its port sends peer TLPs up */
	ck_assert_uint_eq(out.path, PEERBRIDGE_CHECK_PATH_PIX);
	ck_assert_uint_eq(out.facts, PEERBRIDGE_FACT_ACS_REDIRECT);
	ck_assert_uint_eq(out.nr_acs, 1);
	ck_assert_uint_eq(out.acs[0].bus, 2);
	ck_assert_uint_eq(out.acs[0].devfn, 1 << 3);
	ck_assert_uint_eq(out.map, PEERBRIDGE_CHECK_MAP_NONE);
	ck_assert_uint_eq(out.reason, PEERBRIDGE_REASON_HB_UNKNOWN);

	in.policy = PEERBRIDGE_HB_ALLOW;
	decide();
	ck_assert_uint_eq(out.map, PEERBRIDGE_CHECK_MAP_HOST_BRIDGE);
	ck_assert_uint_eq(out.reason, PEERBRIDGE_REASON_HB_ALLOWED);
}
END_TEST

START_TEST(completion_redirect_and_egress_control_count_other_acs_bits_do_not)
{
	side_a(&in.exp);
	side_b(&in.imp, CR);
	decide();
	ck_assert_uint_eq(out.map, PEERBRIDGE_CHECK_MAP_NONE);
	reset();
	side_a(&in.exp);
	side_b(&in.imp, EC);
	decide();
	ck_assert_uint_eq(out.map, PEERBRIDGE_CHECK_MAP_NONE);
	reset();
	side_a(&in.exp);
	side_b(&in.imp, OTHER);
	decide();
	ck_assert_uint_eq(out.map, PEERBRIDGE_CHECK_MAP_BUS);
}
END_TEST

START_TEST(acs_redirect_above_the_common_switch_does_not_count)
{
	side_a(&in.exp);
	side_b(&in.imp, 0);
	in.exp.hop[3].acs_ctrl = RR | CR;	/* the root port */
	in.imp.hop[3].acs_ctrl = RR | CR;
	decide();
	ck_assert_uint_eq(out.map, PEERBRIDGE_CHECK_MAP_BUS);
	ck_assert_uint_eq(out.nr_acs, 0);
}
END_TEST

START_TEST(acs_redirect_on_an_endpoint_counts_as_the_kernel_counts_it)
{
	/* an ARI function or a VF of A, found below the root port only */
	static const struct hopdef ARI9 = { 3, 1, 1, PB_HOP_ENDPOINT };

	push(&in.exp, &EP_A, RR | CR);
	push(&in.exp, &RP1, 0);
	push(&in.imp, &ARI9, 0);
	push(&in.imp, &RP1, 0);
	decide();
	ck_assert_uint_eq(out.map, PEERBRIDGE_CHECK_MAP_NONE);
	ck_assert_uint_eq(out.nr_acs, 1);
	ck_assert_uint_eq(out.acs[0].devfn, 0);

	/* and between two devices below a switch */
	reset();
	side_a(&in.exp);
	in.exp.hop[0].acs_ctrl = RR;
	side_b(&in.imp, 0);
	decide();
	ck_assert_uint_eq(out.map, PEERBRIDGE_CHECK_MAP_NONE);

	/* a second function in the usual numbering */
	reset();
	side_a(&in.exp);
	push(&in.imp, &EP_A1, RR);
	push(&in.imp, &DS1A, 0);
	push(&in.imp, &US1, 0);
	push(&in.imp, &RP1, 0);
	decide();
	ck_assert_uint_eq(out.map, PEERBRIDGE_CHECK_MAP_NONE);
	ck_assert_uint_eq(out.acs[0].devfn, 1);
}
END_TEST

START_TEST(two_root_ports_are_phb_refused_unless_allowed)
{
	side_a(&in.exp);
	side_d(&in.imp);
	decide();
	ck_assert_uint_eq(out.path, PEERBRIDGE_CHECK_PATH_PHB);
	ck_assert_uint_eq(out.facts, PEERBRIDGE_FACT_NO_COMMON);
	ck_assert_uint_eq(out.distance, 6);
	ck_assert_uint_eq(out.map, PEERBRIDGE_CHECK_MAP_NONE);
	ck_assert_uint_eq(out.reason, PEERBRIDGE_REASON_HB_UNKNOWN);
	in.policy = PEERBRIDGE_HB_ALLOW;
	decide();
	ck_assert_uint_eq(out.map, PEERBRIDGE_CHECK_MAP_HOST_BRIDGE);
}
END_TEST

START_TEST(a_device_on_the_root_bus_is_phb)
{
	side_a(&in.exp);
	push(&in.imp, &EP_R, 0);
	decide();
	ck_assert_uint_eq(out.path, PEERBRIDGE_CHECK_PATH_PHB);
	ck_assert_uint_eq(out.distance, 5);
}
END_TEST

START_TEST(two_host_bridges_are_node_and_two_numa_nodes_sys)
{
	side_a(&in.exp);
	side_d(&in.imp);
	in.imp.host = 1;
	decide();
	ck_assert_uint_eq(out.path, PEERBRIDGE_CHECK_PATH_NODE);
	ck_assert_uint_eq(out.facts, PEERBRIDGE_FACT_NO_COMMON |
				     PEERBRIDGE_FACT_HOST_BRIDGES);
	in.exp.node = 0;
	in.imp.node = 1;
	decide();
	ck_assert_uint_eq(out.path, PEERBRIDGE_CHECK_PATH_SYS);
	ck_assert(out.facts & PEERBRIDGE_FACT_NUMA);
	ck_assert_uint_eq(out.map, PEERBRIDGE_CHECK_MAP_NONE);
}
END_TEST

START_TEST(host_bridges_of_large_domains_stay_apart)
{
	side_a(&in.exp);
	side_d(&in.imp);
	in.exp.root_listed = in.imp.root_listed = true;
	in.exp.root_same_only = in.imp.root_same_only = true;
	/* domains 0x1000000 and 0, both bus 0 */
	in.exp.host = (__u64)0x1000000 << 8;
	in.imp.host = 0;
	decide();
	ck_assert_uint_eq(out.path, PEERBRIDGE_CHECK_PATH_NODE);
	ck_assert_uint_eq(out.reason, PEERBRIDGE_REASON_HB_NOT_SAME);
}
END_TEST

START_TEST(a_listed_root_complex_routes_through_its_host_bridges)
{
	bool same_only;

	side_a(&in.exp);
	side_d(&in.imp);
	/* Intel Skylake-E: across host bridges too */
	ck_assert(pb_topo_root_listed(0x8086, 0x2030, &same_only));
	ck_assert(!same_only);
	in.exp.root_listed = in.imp.root_listed = true;
	in.imp.host = 1;
	decide();
	ck_assert_uint_eq(out.map, PEERBRIDGE_CHECK_MAP_HOST_BRIDGE);
	ck_assert_uint_eq(out.reason, PEERBRIDGE_REASON_HB_WHITELISTED);
	/* q35's is on no list */
	ck_assert(!pb_topo_root_listed(0x8086, 0x29c0, &same_only));
}
END_TEST

START_TEST(a_root_complex_listed_within_one_host_bridge_refuses_across_two)
{
	bool same_only;

	/* Intel Xeon E5: within one host bridge only */
	ck_assert(pb_topo_root_listed(0x8086, 0x3c00, &same_only));
	ck_assert(same_only);
	side_a(&in.exp);
	side_d(&in.imp);
	in.exp.root_listed = in.imp.root_listed = true;
	in.exp.root_same_only = in.imp.root_same_only = true;
	decide();
	ck_assert_uint_eq(out.map, PEERBRIDGE_CHECK_MAP_HOST_BRIDGE);
	in.imp.host = 1;
	decide();
	ck_assert_uint_eq(out.map, PEERBRIDGE_CHECK_MAP_NONE);
	ck_assert_uint_eq(out.reason, PEERBRIDGE_REASON_HB_NOT_SAME);
}
END_TEST

START_TEST(an_amd_zen_cpu_routes_through_the_host_bridge)
{
	side_a(&in.exp);
	side_d(&in.imp);
	in.cpu_routes = true;
	decide();
	ck_assert_uint_eq(out.map, PEERBRIDGE_CHECK_MAP_HOST_BRIDGE);
	ck_assert_uint_eq(out.reason, PEERBRIDGE_REASON_HB_CPU);
}
END_TEST

START_TEST(deny_refuses_even_a_listed_root_complex)
{
	side_a(&in.exp);
	side_d(&in.imp);
	in.cpu_routes = true;
	in.exp.root_listed = in.imp.root_listed = true;
	in.policy = PEERBRIDGE_HB_DENY;
	decide();
	ck_assert_uint_eq(out.map, PEERBRIDGE_CHECK_MAP_NONE);
	ck_assert_uint_eq(out.reason, PEERBRIDGE_REASON_HB_DENIED);
	ck_assert_uint_eq(out.host_bridge, PEERBRIDGE_HB_DENY);
}
END_TEST

START_TEST(a_path_too_deep_to_see_its_common_bridge_goes_through_the_host_bridge)
{
	unsigned int i;

	/* twelve bridges of an exporter, none the importer's */
	for (i = 0; i < PB_TOPO_MAX_DEPTH; i++) {
		struct hopdef h = { 0x20 + i, 0, 0, PB_HOP_SWITCH_DOWN };

		push(&in.exp, &h, 0);
	}
	in.exp.truncated = true;
	side_b(&in.imp, 0);
	decide();
	ck_assert_uint_eq(out.path, PEERBRIDGE_CHECK_PATH_PHB);
	ck_assert_uint_eq(out.map, PEERBRIDGE_CHECK_MAP_NONE);
	ck_assert(out.facts & PEERBRIDGE_FACT_DEEP);
}
END_TEST

START_TEST(an_importer_not_on_pci_goes_through_the_host_bridge_only_when_allowed)
{
	struct pb_path_info v;

	side_a(&in.exp);
	in.imp_pci = false;
	in.exp.root_listed = true;
	in.cpu_routes = true;
	decide();
	ck_assert_uint_eq(out.path, PEERBRIDGE_CHECK_PATH_PHB);
	ck_assert_uint_eq(out.facts, PEERBRIDGE_FACT_NO_COMMON |
				     PEERBRIDGE_FACT_NOT_PCI);
	ck_assert_uint_eq(out.map, PEERBRIDGE_CHECK_MAP_NONE);
	ck_assert_uint_eq(out.reason, PEERBRIDGE_REASON_HB_NOT_PCI);
	explain(&v, 0);
	ck_assert_msg(strstr(v.reason_text, "not on PCI"), "%s", v.reason_text);
	ck_assert_msg(strstr(v.fix, "host_bridge"), "%s", v.fix);
	in.policy = PEERBRIDGE_HB_ALLOW;
	decide();
	ck_assert_uint_eq(out.map, PEERBRIDGE_CHECK_MAP_HOST_BRIDGE);
}
END_TEST

/*
 * Config space recorded in the rig (tests/unit/data/): QEMU's
 * pcie-root-port under intel_iommu=on, where Linux turned ACS redirect on,
 * with its PCIe port type rewritten to a switch downstream port, which no
 * QEMU switch can present.  libpci reads it as lspci -xxxx output.
 */
static __u16 recorded_acs_ctrl(unsigned int *type)
{
	struct pci_access *pacc = pci_alloc();
	struct pci_dev *d;
	struct pci_cap *cap;
	__u16 ctrl = 0;

	pacc->method = PCI_ACCESS_DUMP;
	pci_set_param(pacc, "dump.name",
		      PB_SRC_DIR "/tests/unit/data/acs-redirect-port.lspci");
	pci_init(pacc);
	pci_scan_bus(pacc);
	d = pacc->devices;
	ck_assert_ptr_nonnull(d);
	pci_fill_info(d, PCI_FILL_CAPS | PCI_FILL_EXT_CAPS);
	cap = pci_find_cap(d, PCI_CAP_ID_EXP, PCI_CAP_NORMAL);
	ck_assert_ptr_nonnull(cap);
	*type = (pci_read_word(d, cap->addr + PCI_EXP_FLAGS) &
		 PCI_EXP_FLAGS_TYPE) >> 4;
	cap = pci_find_cap(d, PCI_EXT_CAP_ID_ACS, PCI_CAP_EXTENDED);
	ck_assert_ptr_nonnull(cap);
	ctrl = pci_read_word(d, cap->addr + PCI_ACS_CTRL);
	pci_cleanup(pacc);
	return ctrl;
}

START_TEST(recorded_switch_port_with_acs_redirect_refuses_bus_addresses)
{
	unsigned int type;
	__u16 ctrl = recorded_acs_ctrl(&type);

	ck_assert_uint_eq(type, PCI_EXP_TYPE_DOWNSTREAM);
	ck_assert_uint_eq(ctrl & (RR | CR), RR | CR);
	side_a(&in.exp);
	side_b(&in.imp, ctrl);
	decide();
	ck_assert_uint_eq(out.path, PEERBRIDGE_CHECK_PATH_PIX);
	ck_assert_uint_eq(out.facts, PEERBRIDGE_FACT_ACS_REDIRECT);
	ck_assert_uint_eq(out.map, PEERBRIDGE_CHECK_MAP_NONE);
}
END_TEST

START_TEST(redirect_fix_names_the_bridges_for_the_kernel_command_line)
{
	struct pb_path_info v;

	side_a(&in.exp);
	side_b(&in.imp, RR);
	in.iommu = PEERBRIDGE_IOMMU_GROUP;
	decide();
	explain(&v, 0);
	ck_assert_str_eq(v.acs[0], "0000:02:01.0");
	ck_assert_msg(strstr(v.fix, "pci=disable_acs_redir=0000:02:01.0 "),
		      "%s", v.fix);
	ck_assert_msg(!strstr(v.fix, "config_acs"), "%s", v.fix);
	ck_assert_msg(strstr(v.fix, "IOMMU groups"), "%s", v.fix);
	ck_assert_msg(strstr(v.reason_text, "ACS redirect"), "%s",
		      v.reason_text);
	/* Linux 6.11 and later also take pci=config_acs= */
	explain(&v, 1);
	ck_assert_msg(strstr(v.fix, "pci=config_acs=x0x00xx@0000:02:01.0"),
		      "%s", v.fix);
}
END_TEST

START_TEST(redirect_fix_counts_the_bridges_beyond_the_eight_named)
{
	struct pb_path_info v;
	unsigned int i;

	/* nine redirecting switch ports below the common one */
	for (i = 0; i < 9; i++) {
		struct hopdef h = { 0x20 + i, 0, 0, PB_HOP_SWITCH_DOWN };

		push(&in.exp, i ? &h : &EP_A, i ? RR : 0);
	}
	push(&in.exp, &DS1A, RR);
	push(&in.exp, &US1, 0);
	side_b(&in.imp, 0);
	decide();
	explain(&v, 0);
	ck_assert_uint_eq(v.nr_acs, 9);
	ck_assert_str_eq(v.acs[7], "0000:28:00.0");
	ck_assert_msg(strstr(v.fix, ";0000:28:00.0 to the kernel command line, and the same for the 1 more"),
		      "%s", v.fix);
}
END_TEST

START_TEST(an_unreadable_bridge_is_said_to_be_one)
{
	struct pb_path_info v;

	/* what the module makes of a bridge that reads as all ones */
	side_a(&in.exp);
	side_b(&in.imp, 0xffff);
	decide();
	out.facts |= PEERBRIDGE_FACT_UNREAD;
	explain(&v, 0);
	ck_assert(v.flags & PB_PATH_UNREAD);
	ck_assert_uint_eq(v.map, PB_MAP_NONE);
	ck_assert_msg(strstr(v.reason_text, "could not be read"), "%s",
		      v.reason_text);
	ck_assert_msg(!strncmp(v.fix, "check again once the bridges", 28),
		      "%s", v.fix);
}
END_TEST

START_TEST(host_bridge_refusal_fix_names_the_parameter)
{
	struct pb_path_info v;

	side_a(&in.exp);
	side_d(&in.imp);
	decide();
	explain(&v, 0);
	ck_assert_str_eq(pb_path_name(v.path), "PHB");
	ck_assert_str_eq(pb_map_name(v.map), "none");
	ck_assert_str_eq(v.common, "");
	ck_assert_msg(strstr(v.fix, "/sys/module/peerbridge/parameters/host_bridge"),
		      "%s", v.fix);
	ck_assert_msg(strstr(v.reason_text, "not one known to route"), "%s",
		      v.reason_text);
	/* allowed: nothing to change, but prove it */
	in.policy = PEERBRIDGE_HB_ALLOW;
	decide();
	explain(&v, 0);
	ck_assert_msg(strstr(v.fix, "--validate"), "%s", v.fix);
	/* below a switch: nothing to say */
	reset();
	side_a(&in.exp);
	side_b(&in.imp, 0);
	decide();
	explain(&v, 0);
	ck_assert_str_eq(v.fix, "");
	ck_assert_str_eq(v.common, "0000:01:00.0");
	ck_assert_ptr_null(pb_path_name((enum pb_path)6));
	ck_assert_ptr_null(pb_map_name((enum pb_map)3));
}
END_TEST

Suite *suite_topology(void)
{
	Suite *s = suite_create("topology");
	TCase *tc = tcase_create("rules");
	TCase *te = tcase_create("explain");

	tcase_add_checked_fixture(tc, reset, NULL);
	tcase_add_test(tc, same_device_is_x_by_bus_address);
	tcase_add_test(tc, one_switch_is_pix_by_bus_address);
	tcase_add_test(tc, nested_switches_are_pxb_by_bus_address);
	tcase_add_test(tc, acs_redirect_on_a_downstream_port_needs_the_host_bridge);
	tcase_add_test(tc, completion_redirect_and_egress_control_count_other_acs_bits_do_not);
	tcase_add_test(tc, acs_redirect_above_the_common_switch_does_not_count);
	tcase_add_test(tc, acs_redirect_on_an_endpoint_counts_as_the_kernel_counts_it);
	tcase_add_test(tc, two_root_ports_are_phb_refused_unless_allowed);
	tcase_add_test(tc, a_device_on_the_root_bus_is_phb);
	tcase_add_test(tc, two_host_bridges_are_node_and_two_numa_nodes_sys);
	tcase_add_test(tc, host_bridges_of_large_domains_stay_apart);
	tcase_add_test(tc, a_listed_root_complex_routes_through_its_host_bridges);
	tcase_add_test(tc, a_root_complex_listed_within_one_host_bridge_refuses_across_two);
	tcase_add_test(tc, an_amd_zen_cpu_routes_through_the_host_bridge);
	tcase_add_test(tc, deny_refuses_even_a_listed_root_complex);
	tcase_add_test(tc, a_path_too_deep_to_see_its_common_bridge_goes_through_the_host_bridge);
	tcase_add_test(tc, an_importer_not_on_pci_goes_through_the_host_bridge_only_when_allowed);
	tcase_add_test(tc, recorded_switch_port_with_acs_redirect_refuses_bus_addresses);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(te, reset, NULL);
	tcase_add_test(te, redirect_fix_names_the_bridges_for_the_kernel_command_line);
	tcase_add_test(te, redirect_fix_counts_the_bridges_beyond_the_eight_named);
	tcase_add_test(te, an_unreadable_bridge_is_said_to_be_one);
	tcase_add_test(te, host_bridge_refusal_fix_names_the_parameter);
	suite_add_tcase(s, te);
	return s;
}
