// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The kernel's topology verdict for people: the library's pb_path_info,
 * the sentence that says why, and what to change.  No system calls, so the
 * host unit tests run it on made-up verdicts.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <uapi/peerbridge.h>

#include "peerbridge.h"
#include "pb_lib.h"

static const char *const pb_hb_names[] = {
	[PEERBRIDGE_HB_AUTO] = "auto", [PEERBRIDGE_HB_ALLOW] = "allow",
	[PEERBRIDGE_HB_DENY] = "deny",
};

static void pb_addr_out(const struct peerbridge_pci_addr *a, char *out,
			size_t outsz)
{
	snprintf(out, outsz, "%04x:%02x:%02x.%x", a->domain, a->bus,
		 a->devfn >> 3, a->devfn & 7);
}

static void pb_cat(char *buf, size_t bufsz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void pb_cat(char *buf, size_t bufsz, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;

	if (len + 1 >= bufsz)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + len, bufsz - len, fmt, ap);
	va_end(ap);
}

/* why the path goes through a host bridge */
static const char *pb_hb_cause(const struct pb_path_info *out)
{
	if (out->flags & PB_PATH_NOT_PCI)
		return "the importer is not on PCI, so its DMA enters through the host bridge";
	if (out->flags & PB_PATH_DEEP)
		return "no common bridge within the 12 bridges looked at, so the path is taken to cross the host bridge";
	if (out->flags & PB_PATH_NUMA)
		return "the path crosses host bridges on different NUMA nodes";
	if (out->flags & PB_PATH_HOST_BRIDGES)
		return "the path crosses two host bridges";
	if (out->flags & PB_PATH_NO_COMMON)
		return "no bridge below the host bridge leads to both, so the path crosses the host bridge";
	if (out->flags & PB_PATH_UNREAD)
		return "a bridge's ACS control could not be read (gone, powered off or being reset), so it is taken to redirect peer traffic up to the root complex";
	return "ACS redirect on the path sends peer traffic up to the root complex";
}

/* the kernel command line that turns ACS redirect off on the path */
static void pb_acs_fix(struct pb_path_info *out, int config_acs)
{
	char *fix = out->fix;
	size_t sz = sizeof(out->fix);
	unsigned int i, n = out->nr_acs < 8 ? out->nr_acs : 8;

	pb_cat(fix, sz, "add pci=disable_acs_redir=");
	for (i = 0; i < n; i++)
		pb_cat(fix, sz, "%s%s", i ? ";" : "", out->acs[i]);
	if (config_acs) {
		pb_cat(fix, sz, " (or pci=config_acs=");
		for (i = 0; i < n; i++)
			pb_cat(fix, sz, "%sx0x00xx@%s", i ? ";" : "",
			       out->acs[i]);
		pb_cat(fix, sz, ")");
	}
	pb_cat(fix, sz, " to the kernel command line");
	if (out->nr_acs > n)
		pb_cat(fix, sz, ", and the same for the %u more bridges of the path that redirect (pbctl doctor lists them)",
		       out->nr_acs - n);
	if (out->flags & PB_PATH_IOMMU)
		pb_cat(fix, sz, "; with the IOMMU on, this merges the devices' IOMMU groups");
}

#define PB_ALLOW_CMD "echo allow > /sys/module/peerbridge/parameters/host_bridge (or options peerbridge host_bridge=allow in /etc/modprobe.d/)"

/* Fill reason_text and fix of @out from its verdict fields. */
void pb_explain(struct pb_path_info *out, int config_acs)
{
	char *why = out->reason_text, *fix = out->fix;
	size_t wsz = sizeof(out->reason_text), fsz = sizeof(out->fix);
	const char *addr = out->flags & PB_PATH_IOMMU ?
		"an IOVA the IOMMU translates" : "a CPU physical address";
	int redirect_only = (out->flags & PB_PATH_ACS_REDIRECT) &&
			    !(out->flags & PB_PATH_NO_COMMON);

	why[0] = fix[0] = '\0';
	switch (out->reason) {
	case PB_REASON_SAME_DEVICE:
		pb_cat(why, wsz, "the same device: it reaches its own memory by bus address");
		return;
	case PB_REASON_COMMON_BRIDGE:
		pb_cat(why, wsz, "peer traffic turns around in %s below the host bridge, by PCI bus address",
		       out->common);
		return;
	case PB_REASON_HB_ALLOWED:
	case PB_REASON_HB_WHITELISTED:
	case PB_REASON_HB_CPU:
		pb_cat(why, wsz, "%s; %s, so the importer uses %s", pb_hb_cause(out),
		       out->reason == PB_REASON_HB_ALLOWED ?
		       "host_bridge=allow lets it through" :
		       out->reason == PB_REASON_HB_CPU ?
		       "AMD Zen and later root complexes route peer-to-peer" :
		       "this root complex is known to route peer-to-peer",
		       addr);
		if (out->reason == PB_REASON_HB_ALLOWED)
			pb_cat(fix, fsz, "nothing, if this root complex routes peer-to-peer: prove it with pbctl check --validate");
		if (out->path == PB_PATH_SYS)
			pb_cat(fix, fsz, "%sbetween NUMA nodes peer-to-peer is often slower than staging through host memory: measure it with pbctl check --validate",
			       fix[0] ? "; " : "");
		if (redirect_only) {
			pb_cat(fix, fsz, "%sfor bus addresses instead, ", fix[0] ? "; " : "");
			pb_acs_fix(out, config_acs);
		}
		return;
	case PB_REASON_HB_DENIED:
		pb_cat(why, wsz, "%s, and host_bridge=deny refuses that", pb_hb_cause(out));
		break;
	case PB_REASON_HB_NOT_PCI:
		pb_cat(why, wsz, "%s, and no list says which root complexes route that (host_bridge=auto)",
		       pb_hb_cause(out));
		pb_cat(fix, fsz, "if the importer can reach PCI memory as the CPU does, %s",
		       PB_ALLOW_CMD);
		return;
	case PB_REASON_HB_NOT_SAME:
		pb_cat(why, wsz, "%s; this root complex routes peer-to-peer only between ports of one host bridge",
		       pb_hb_cause(out));
		pb_cat(fix, fsz, "put both devices below one host bridge");
		if (redirect_only)
			pb_cat(fix, fsz, "; or ");
		else
			return;
		pb_acs_fix(out, config_acs);
		return;
	default:
		pb_cat(why, wsz, "%s, and this root complex is not one known to route peer-to-peer (host_bridge=auto)",
		       pb_hb_cause(out));
		break;
	}
	/* refused by policy: lift the redirect, or trust the root complex */
	if (out->flags & PB_PATH_UNREAD)
		pb_cat(fix, fsz, "check again once the bridges of the path are powered up and out of reset; ");
	if (redirect_only) {
		pb_acs_fix(out, config_acs);
		pb_cat(fix, fsz, "; or, if the root complex routes peer-to-peer, %s",
		       PB_ALLOW_CMD);
	} else {
		pb_cat(fix, fsz, "if this root complex routes peer-to-peer, %s; then prove it with pbctl check --validate",
		       PB_ALLOW_CMD);
	}
}

/*
 * The kernel's verdict -> the library's (without the text); @iommu_type is
 * the importer's IOMMU group type from sysfs, or NULL.
 */
void pb_path_from_kernel(const struct peerbridge_check *c,
			 const char *iommu_type, struct pb_path_info *out)
{
	unsigned int i;

	memset(out, 0, sizeof(*out));
	pb_addr_out(&c->exporter, out->exporter, sizeof(out->exporter));
	pb_addr_out(&c->importer, out->importer, sizeof(out->importer));
	if (!(c->facts & PEERBRIDGE_FACT_NO_COMMON))
		pb_addr_out(&c->common, out->common, sizeof(out->common));
	out->path = c->path;
	out->map = c->map;
	out->distance = c->distance;
	out->reason = c->reason;
	out->flags = (c->facts & PEERBRIDGE_FACT_ACS_REDIRECT ? PB_PATH_ACS_REDIRECT : 0) |
		     (c->facts & PEERBRIDGE_FACT_NO_COMMON ? PB_PATH_NO_COMMON : 0) |
		     (c->facts & PEERBRIDGE_FACT_HOST_BRIDGES ? PB_PATH_HOST_BRIDGES : 0) |
		     (c->facts & PEERBRIDGE_FACT_NUMA ? PB_PATH_NUMA : 0) |
		     (c->facts & PEERBRIDGE_FACT_NOT_PCI ? PB_PATH_NOT_PCI : 0) |
		     (c->facts & PEERBRIDGE_FACT_DEEP ? PB_PATH_DEEP : 0) |
		     (c->facts & PEERBRIDGE_FACT_UNREAD ? PB_PATH_UNREAD : 0);
	/* the group's default domain: "identity" passes addresses through */
	if (c->iommu == PEERBRIDGE_IOMMU_GROUP)
		out->flags |= iommu_type && !strcmp(iommu_type, "identity") ?
			      PB_PATH_IOMMU_PT : PB_PATH_IOMMU;
	snprintf(out->host_bridge, sizeof(out->host_bridge), "%s",
		 c->host_bridge < 3 ? pb_hb_names[c->host_bridge] : "?");
	out->nr_acs = c->nr_acs;
	for (i = 0; i < 8 && i < c->nr_acs; i++)
		pb_addr_out(&c->acs[i], out->acs[i], sizeof(out->acs[i]));
}
