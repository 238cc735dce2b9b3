// SPDX-License-Identifier: GPL-2.0
/*
 * pbctl check, topo and doctor: can these devices talk, and if not, why.
 * The verdicts are the kernel's (CHECK, through pb_check()); the devices
 * and their names come from libpci, libdrm and libibverbs.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <infiniband/verbs.h>
#include <pci/pci.h>
#include <xf86drm.h>

#include <peerbridge.h>
#include <uapi/peerbridge.h>

#include "pb_pattern.h"
#include "pb_util.h"
#include "pbctl.h"
#include "print.h"
#include "topology_rules.h"

/* ---- check ------------------------------------------------------------- */

static void pr_path(struct pr *p, const struct pb_path_info *v)
{
	const char *acs[8];
	unsigned int i, n = 0;

	pr_str(p, "path", "path", pb_path_name(v->path));
	pr_str(p, "map", "map", pb_map_name(v->map));
	pr_u64(p, "distance", "distance", v->distance);
	pr_str(p, "reason", "why", v->reason_text);
	pr_str(p, "fix", "fix", v->fix[0] ? v->fix : NULL);
	pr_str(p, "common", "common bridge", v->common[0] ? v->common : NULL);
	pr_str(p, "iommu", "importer's IOMMU",
	       v->flags & PB_PATH_IOMMU ? "translated" :
	       v->flags & PB_PATH_IOMMU_PT ? "passthrough" : "none");
	pr_str(p, "host_bridge", "host_bridge policy", v->host_bridge);
	for (i = 0; i < 8 && i < v->nr_acs; i++)
		if (v->acs[i][0])
			acs[n++] = v->acs[i];
	pr_u64(p, "acs_redirect_bridges", "bridges with ACS redirect",
	       v->nr_acs);
	pr_strv(p, "acs_redirect", "ACS redirect on", acs, n);
}

/* the first region of @name's device, or @name when it is a region */
static int region_of(const char *name, const char *bdf, char *out,
		     size_t outsz)
{
	struct dirent **ents;
	char path[PATH_MAX], dev[PB_BDF_LEN];
	int i, n, found = -1;

	if (!sysfs_path(path, "class/pbmem/%s", name) && !access(path, F_OK)) {
		snprintf(out, outsz, "%s", name);
		return 0;
	}
	n = scan_regions(&ents);
	for (i = 0; i < n && found < 0; i++) {
		if (pb_resolve_pci(ents[i]->d_name, dev))
			continue;
		if (!strcmp(dev, bdf)) {
			snprintf(out, outsz, "%.*s", (int)outsz - 1,
				 ents[i]->d_name);
			found = 0;
		}
	}
	if (n > 0)
		free_regions(ents, n);
	return found;
}

/* the region to validate with, of @name (a region, or a device with one) */
static int vside_open(struct pb_ctx *ctx, struct copy_side *s,
		      const char *name, const char *bdf, uint64_t len)
{
	if (region_of(name, bdf, s->region, sizeof(s->region))) {
		err_msg("%s has no peer memory to validate with: bind it (pbctl bind %s) or name a region",
			name, bdf);
		return -1;
	}
	return copy_side_open(ctx, s, len);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Move a pattern @src -> @dst (through @via when not NULL, host-staged),
 * verify it byte for byte; the bytes per second, or -1 after a message.
 */
static double vmove(struct pb_ctx *ctx, struct copy_side *dst,
		    struct copy_side *src,
		    const struct pb_buf *via, uint64_t len, uint64_t seed,
		    struct pb_copy_result *res)
{
	double t0, t;
	long bad;

	pb_fill_pattern(src->map, len, seed);
	pb_fill_pattern(dst->map, len, ~seed);
	t0 = now_s();
	if (via ? pb_copy_ex(ctx, via, &src->buf, len, 0, res) ||
		  pb_copy_ex(ctx, &dst->buf, via, len, 0, res) :
		  pb_copy_ex(ctx, &dst->buf, &src->buf, len, 0, res)) {
		err_msg("copy %s -> %s%s failed: %s", src->region, dst->region,
			via ? " through host memory" : "",
			pb_strerror(errno));
		return -1;
	}
	t = now_s() - t0;
	bad = pb_verify_pattern(dst->map, len, seed);
	if (bad >= 0) {
		err_msg("copy %s -> %s%s: byte %ld differs: peer-to-peer is reported possible but the data is wrong",
			src->region, dst->region, via ? " through host memory" : "",
			bad);
		return -1;
	}
	return t > 0 ? len / t : 0;
}

/* --validate: each way peer-to-peer, then staged, all verified */
static int validate(struct pr *p, struct pb_ctx *ctx, const char *exporter,
		    const char *importer, const struct pb_path_info *v,
		    uint64_t len)
{
	struct copy_side e = { 0 }, m = { 0 };
	struct pb_copy_result res = { 0 };
	double to, from, staged;
	void *host = NULL;
	struct pb_buf via;
	uint64_t seed = (uint64_t)getpid() << 32 | (uint64_t)time(NULL);
	int ret = -1;

	if (vside_open(ctx, &e, exporter, v->exporter, len) ||
	    vside_open(ctx, &m, importer, v->importer, len))
		goto out;
	if (posix_memalign(&host, 4096, len)) {
		err_msg("cannot allocate %llu bytes", (unsigned long long)len);
		goto out;
	}
	via = (struct pb_buf){ .type = PB_BUF_VA, .addr = host };
	to = vmove(ctx, &m, &e, NULL, len, seed, &res);
	if (to < 0)
		goto out;
	from = vmove(ctx, &e, &m, NULL, len, seed + 1, &res);
	if (from < 0)
		goto out;
	staged = vmove(ctx, &m, &e, &via, len, seed + 2, &res);
	if (staged < 0)
		goto out;

	pr_obj_begin(p, "validate");
	pr_str(p, "exporter_region", "exporter's region", e.region);
	pr_str(p, "importer_region", "importer's region", m.region);
	pr_str(p, "engine", "DMA engine", res.engine);
	pr_size(p, "bytes", "bytes each way", len);
	pr_bool(p, "verified", "verified byte for byte", true);
	pr_u64(p, "p2p_to_importer_bps", "peer-to-peer, to the importer (B/s)",
	       (uint64_t)to);
	pr_u64(p, "p2p_to_exporter_bps", "peer-to-peer, to the exporter (B/s)",
	       (uint64_t)from);
	pr_u64(p, "host_staged_bps", "staged through host memory (B/s)",
	       (uint64_t)staged);
	pr_obj_end(p);
	ret = 0;
out:
	free(host);
	copy_side_close(&e);
	copy_side_close(&m);
	return ret;
}

int cmd_check(struct pr *p, const struct invocation *in)
{
	const char *const *names = (const char *const *)in->argv;
	struct pb_path_info v;
	struct pb_ctx *ctx;
	uint64_t vlen = 0;
	int ret = EXIT_RUNTIME;

	if (in->validate && !*in->validate)
		vlen = 1 << 20;
	else if (in->validate &&
		 size_arg(in, "--validate", in->validate, true, &vlen))
		return EXIT_USAGE;
	ctx = pb_open();
	if (!ctx) {
		err_msg("%s", pb_strerror(errno));
		return EXIT_RUNTIME;
	}
	if (pb_check(ctx, names[0], names[1], &v)) {
		err_msg("%s", pb_strerror(errno));
		ret = errno == EINVAL ? EXIT_USAGE : EXIT_RUNTIME;
		goto out;
	}
	pr_str(p, "exporter", "exporter", v.exporter);
	pr_str(p, "importer", "importer", v.importer);
	pr_path(p, &v);
	ret = v.map == PB_MAP_NONE ? EXIT_RUNTIME | EXIT_PRINTED : 0;
	/* the key is there either way: null when not asked, or failed */
	if (!vlen) {
		pr_str(p, "validate", "validated", NULL);
	} else if (validate(p, ctx, names[0], names[1], &v, vlen)) {
		pr_str(p, "validate", "validated", NULL);
		ret = EXIT_RUNTIME | EXIT_PRINTED;
	}
out:
	pb_close(ctx);
	return ret;
}

/* ---- the devices that matter ------------------------------------------- */

#define PCI_CLASS_NVME	0x0108	/* mass storage, Non-Volatile Memory */

#define K_MEM	(1U << 0)
#define K_GPU	(1U << 1)
#define K_RDMA	(1U << 2)
#define K_NVME	(1U << 3)
#define K_DMA	(1U << 4)
#define K_MAX	5

static const char *const kind_names[K_MAX] = {
	"peer memory", "GPU", "RDMA", "NVMe", "DMA engine",
};

struct tdev {
	char bdf[PB_BDF_LEN];
	char id[12];
	unsigned int kinds;
	char names[8][PB_REGION_NAME_MAX];
	unsigned int nr_names;
	struct pci_dev *pdev;	/* NULL if libpci does not know it */
};

struct tdevs {
	struct tdev *d;
	unsigned int n;
	char not_pci[8][64];	/* devices of interest with no PCI device */
	unsigned int nr_not_pci;
	struct pci_access *pacc;
};

static struct tdev *tdev_add(struct tdevs *t, const char *bdf,
			     unsigned int kind, const char *name)
{
	struct tdev *d = NULL, *nd;
	unsigned int i;

	for (i = 0; i < t->n && !d; i++)
		if (!strcmp(t->d[i].bdf, bdf))
			d = &t->d[i];
	if (!d) {
		nd = realloc(t->d, (t->n + 1) * sizeof(*nd));
		if (!nd)
			return NULL;
		t->d = nd;
		d = &t->d[t->n++];
		memset(d, 0, sizeof(*d));
		snprintf(d->bdf, sizeof(d->bdf), "%s", bdf);
	}
	d->kinds |= kind;
	for (i = 0; name && i < d->nr_names; i++)
		if (!strcmp(d->names[i], name))
			return d;
	if (name && d->nr_names < 8)
		snprintf(d->names[d->nr_names++], sizeof(d->names[0]), "%s",
			 name);
	return d;
}

static void tdev_not_pci(struct tdevs *t, const char *what)
{
	if (t->nr_not_pci < 8)
		snprintf(t->not_pci[t->nr_not_pci++], sizeof(t->not_pci[0]),
			 "%s", what);
}

static void scan_drm(struct tdevs *t)
{
	drmDevicePtr devs[32];
	char bdf[PB_BDF_LEN];
	const char *node;
	int i, n;

	n = drmGetDevices2(0, devs, 32);
	for (i = 0; i < n; i++) {
		if (devs[i]->bustype != DRM_BUS_PCI)
			continue;
		snprintf(bdf, sizeof(bdf), "%04x:%02x:%02x.%x",
			 devs[i]->businfo.pci->domain & 0xffff,
			 devs[i]->businfo.pci->bus & 0xff,
			 devs[i]->businfo.pci->dev & 0x1f,
			 devs[i]->businfo.pci->func & 7);
		node = devs[i]->available_nodes & (1 << DRM_NODE_PRIMARY) ?
		       devs[i]->nodes[DRM_NODE_PRIMARY] : NULL;
		tdev_add(t, bdf, K_GPU, node ? strrchr(node, '/') + 1 : NULL);
	}
	if (n > 0)
		drmFreeDevices(devs, n < 32 ? n : 32);
}

static void scan_verbs(struct tdevs *t)
{
	struct ibv_device **list;
	char bdf[PB_BDF_LEN], what[64];
	int i, n;

	list = ibv_get_device_list(&n);
	if (!list)
		return;
	for (i = 0; i < n; i++) {
		const char *name = ibv_get_device_name(list[i]);

		if (!pb_resolve_pci(name, bdf)) {
			tdev_add(t, bdf, K_RDMA, name);
		} else {
			snprintf(what, sizeof(what), "%s (RDMA)", name);
			tdev_not_pci(t, what);
		}
	}
	ibv_free_device_list(list);
}

static int dot_filter(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static void scan_class(struct tdevs *t, const char *cls, unsigned int kind,
		       const char *label)
{
	struct dirent **ents;
	char path[PATH_MAX], bdf[PB_BDF_LEN], what[64];
	int i, n;

	if (sysfs_path(path, "class/%s", cls))
		return;
	n = scandir(path, &ents, dot_filter, alphasort);
	for (i = 0; i < n; i++) {
		if (!pb_resolve_pci(ents[i]->d_name, bdf)) {
			tdev_add(t, bdf, kind, ents[i]->d_name);
		} else if (label) {
			snprintf(what, sizeof(what), "%.40s (%s)",
				 ents[i]->d_name, label);
			tdev_not_pci(t, what);
		}
		free(ents[i]);
	}
	if (n >= 0)
		free(ents);
}

static int tdev_cmp(const void *a, const void *b)
{
	return strcmp(((const struct tdev *)a)->bdf,
		      ((const struct tdev *)b)->bdf);
}

/*
 * Every device that matters, found by libpci and the device classes; call
 * tdevs_free() after.  Without libpci (a message said why), only those of
 * the classes.
 */
static void tdevs_scan(struct tdevs *t)
{
	struct pci_dev *d;
	char bdf[PB_BDF_LEN];
	unsigned int i;

	memset(t, 0, sizeof(*t));
	t->pacc = pb_pci_open();
	if (!t->pacc)
		err_msg("libpci: %s: no PCI devices by class, no names", pb_pci_error());
	for (d = t->pacc ? t->pacc->devices : NULL; d; d = d->next) {
		if (pb_pci_fill(d, PCI_FILL_IDENT | PCI_FILL_CLASS |
				   PCI_FILL_PARENT) < 0)
			continue;
		pb_pci_bdf(d, bdf);
		if ((d->device_class >> 8) == PCI_BASE_CLASS_DISPLAY)
			tdev_add(t, bdf, K_GPU, NULL);
		if (d->device_class == PCI_CLASS_NVME)
			tdev_add(t, bdf, K_NVME, NULL);
	}
	scan_class(t, "pbmem", K_MEM, NULL);
	scan_drm(t);
	scan_verbs(t);
	scan_class(t, "nvme", K_NVME, NULL);
	scan_class(t, "dma", K_DMA, "DMA engine");
	qsort(t->d, t->n, sizeof(*t->d), tdev_cmp);
	for (i = 0; i < t->n; i++) {
		struct tdev *td = &t->d[i];

		snprintf(td->id, sizeof(td->id), "d%u", i);
		td->pdev = t->pacc ? pb_pci_find(t->pacc, td->bdf) : NULL;
	}
}

static void tdevs_free(struct tdevs *t)
{
	free(t->d);
	if (t->pacc)
		pci_cleanup(t->pacc);
}

static void pr_devices(struct pr *p, struct tdevs *t)
{
	const char *kinds[K_MAX], *names[8], *np[8];
	unsigned int i, k, n;

	pr_list_begin(p, "devices");
	for (i = 0; i < t->n; i++) {
		struct tdev *d = &t->d[i];

		for (k = n = 0; k < K_MAX; k++)
			if (d->kinds & (1U << k))
				kinds[n++] = kind_names[k];
		pr_obj_begin(p, NULL);
		pr_str(p, "id", "ID", d->id);
		pr_str(p, "device", "DEVICE", d->bdf);
		pr_strv(p, "kinds", "KIND", kinds, n);
		for (k = 0; k < d->nr_names; k++)
			names[k] = d->names[k];
		pr_strv(p, "names", "NAMES", names, d->nr_names);
		pr_pci_ident(p, t->pacc, d->pdev);
		pr_obj_end(p);
	}
	pr_list_end(p);
	for (i = 0; i < t->nr_not_pci; i++)
		np[i] = t->not_pci[i];
	pr_strv(p, "not_pci", "not PCI devices (no peer path to check)", np,
		t->nr_not_pci);
}

/* ---- topo ---------------------------------------------------------------- */

static const char topo_legend[] =
	"rows export, columns import; X same device, PIX one switch, PXB several switches, "
	"PHB a host bridge, NODE host bridges of one NUMA node, SYS across NUMA nodes; "
	"no mark: PCI bus address, ~ through the host bridge, ! refused (see refusals)";

int cmd_topo(struct pr *p, const struct invocation *in)
{
	struct pb_path_info *vs, *v;
	struct tdevs t;
	struct pb_ctx *ctx;
	unsigned int i, j, refused = 0;
	char cell[8];
	int ret = 0;

	ctx = pb_open();
	if (!ctx) {
		err_msg("%s", pb_strerror(errno));
		return EXIT_RUNTIME;
	}
	tdevs_scan(&t);
	/* every verdict once: the matrix, then the refusals, show them */
	vs = calloc(t.n ? t.n * t.n : 1, sizeof(*vs));
	if (!vs) {
		err_msg("cannot allocate the verdicts of %u devices", t.n);
		tdevs_free(&t);
		pb_close(ctx);
		return EXIT_RUNTIME;
	}
	pr_devices(p, &t);
	pr_list_begin(p, "matrix");
	for (i = 0; i < t.n; i++) {
		pr_obj_begin(p, NULL);
		pr_str(p, "exporter", "EXPORTER", t.d[i].id);
		for (j = 0; j < t.n; j++) {
			v = &vs[i * t.n + j];
			if (pb_check(ctx, t.d[i].bdf, t.d[j].bdf, v)) {
				snprintf(cell, sizeof(cell), "?");
				ret = EXIT_RUNTIME | EXIT_PRINTED;
			} else {
				snprintf(cell, sizeof(cell), "%s%s",
					 pb_path_name(v->path),
					 v->map == PB_MAP_NONE ? "!" :
					 v->map == PB_MAP_HOST_BRIDGE ? "~" : "");
				refused += v->map == PB_MAP_NONE;
			}
			pr_str(p, t.d[j].id, t.d[j].id, cell);
		}
		pr_obj_end(p);
	}
	pr_list_end(p);
	pr_str(p, "legend", "legend", topo_legend);

	pr_list_begin(p, "refusals");
	for (i = 0; i < t.n && refused; i++) {
		for (j = 0; j < t.n; j++) {
			v = &vs[i * t.n + j];
			/* a verdict always has a reason; a failed check none */
			if (!v->reason || v->map != PB_MAP_NONE)
				continue;
			pr_obj_begin(p, NULL);
			pr_str(p, "exporter", "EXPORTER", t.d[i].id);
			pr_str(p, "importer", "IMPORTER", t.d[j].id);
			pr_str(p, "path", "PATH", pb_path_name(v->path));
			pr_str(p, "reason", "WHY", v->reason_text);
			pr_str(p, "fix", "FIX", v->fix[0] ? v->fix : NULL);
			pr_obj_end(p);
		}
	}
	pr_list_end(p);
	free(vs);
	tdevs_free(&t);
	pb_close(ctx);
	return ret;
}

/* ---- doctor -------------------------------------------------------------- */

enum verdict { OK, WARN, FAIL };
static const char *const verdict_names[] = { "OK", "WARN", "FAIL" };

struct doctor {
	struct pr *p;
	enum verdict worst;
};

static void finding(struct doctor *dr, const char *check, enum verdict v,
		    const char *fix, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static void finding(struct doctor *dr, const char *check, enum verdict v,
		    const char *fix, const char *fmt, ...)
{
	char detail[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (v > dr->worst)
		dr->worst = v;
	pr_obj_begin(dr->p, NULL);
	pr_str(dr->p, "check", "CHECK", check);
	pr_str(dr->p, "status", "STATUS", verdict_names[v]);
	pr_str(dr->p, "detail", "DETAIL", detail);
	pr_str(dr->p, "fix", "WHAT TO DO", v == OK ? NULL : fix);
	pr_obj_end(dr->p);
}

/* a kernel config option from /boot/config-<release>: 1 y/m, 0 not, -1 ? */
static int boot_config(const char *opt)
{
	char path[PATH_MAX], line[256];
	struct utsname u;
	size_t n = strlen(opt);
	int found = 0;
	FILE *f;

	if (uname(&u))
		return -1;
	snprintf(path, sizeof(path), "/boot/config-%s", u.release);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, opt, n) && line[n] == '=')
			found = line[n + 1] == 'y' || line[n + 1] == 'm';
	fclose(f);
	return found;
}

/* a build fact: from the module when loaded, else /boot/config */
static int kfact(const struct peerbridge_info *info, uint64_t bit,
		 const char *opt)
{
	if (info)
		return !!(info->kconfig & bit);
	return boot_config(opt);
}

static void doctor_module(struct doctor *dr, struct peerbridge_info *info,
			  bool *have)
{
	int fd = open(PB_CTL_NODE, O_RDONLY | O_CLOEXEC);

	*have = false;
	if (fd < 0) {
		finding(dr, "module", FAIL,
			"load it: modprobe peerbridge (or insmod peerbridge.ko of this kernel's build)",
			"%s: %s: peerbridge.ko is not loaded", PB_CTL_NODE,
			strerror(errno));
		return;
	}
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	if (ioctl(fd, PEERBRIDGE_GET_INFO, info)) {
		finding(dr, "module", FAIL,
			"install the peerbridge.ko and libpeerbridge of one release",
			"GET_INFO: %s: the module speaks another ABI",
			strerror(errno));
	} else if (info->abi_major != PEERBRIDGE_ABI_MAJOR) {
		finding(dr, "module", FAIL,
			"install the peerbridge.ko and libpeerbridge of one release",
			"the module speaks ABI %u.%u, this pbctl %u.%u",
			info->abi_major, info->abi_minor, PEERBRIDGE_ABI_MAJOR,
			PEERBRIDGE_ABI_MINOR);
	} else if (info->abi_minor < PEERBRIDGE_ABI_MINOR) {
		finding(dr, "module", WARN,
			"update peerbridge.ko to this release",
			"the module speaks ABI %u.%u, older than this pbctl's %u.%u: what came since is missing (calls fail with ENOTTY, errors are less precise)",
			info->abi_major, info->abi_minor, PEERBRIDGE_ABI_MAJOR,
			PEERBRIDGE_ABI_MINOR);
		*have = true;
	} else {
		finding(dr, "module", OK, NULL,
			"peerbridge.ko loaded, ABI %u.%u, %u region(s)",
			info->abi_major, info->abi_minor, info->nr_regions);
		*have = true;
	}
	close(fd);
}

static void doctor_nodes(struct doctor *dr)
{
	struct dirent **ents;
	char path[PATH_MAX];
	struct stat st;
	int i, n, open_nodes = 0;

	if (stat(PB_CTL_NODE, &st)) {
		finding(dr, "nodes", WARN, "load peerbridge.ko",
			"%s does not exist", PB_CTL_NODE);
		return;
	}
	n = scan_regions(&ents);
	for (i = 0; i < n; i++) {
		struct stat rs;

		snprintf(path, sizeof(path), PB_REGION_DIR "/%s",
			 ents[i]->d_name);
		if (!stat(path, &rs) && (rs.st_mode & 0006))
			open_nodes++;
	}
	if (n > 0)
		free_regions(ents, n);
	if (open_nodes)
		finding(dr, "nodes", FAIL,
			"make region nodes root-only (or group peerbridge, 0660) with a udev rule",
			"%d region node(s) under %s are open to every user: anyone can map device memory",
			open_nodes, PB_REGION_DIR);
	else if (st.st_mode & 0006)
		finding(dr, "nodes", WARN,
			"give it group peerbridge and mode 0660 with a udev rule",
			"%s is mode %04o: it grants nothing by itself, but every user may ask; region nodes are root-only",
			PB_CTL_NODE, st.st_mode & 07777);
	else
		finding(dr, "nodes", OK, NULL, "%s is mode %04o; region nodes are not open to every user",
			PB_CTL_NODE, st.st_mode & 07777);
}

static const char *iommu_mode(char *buf, size_t bufsz)
{
	struct dirent **ents;
	char path[PATH_MAX];
	int i, n;

	if (sysfs_path(path, "kernel/iommu_groups"))
		return NULL;
	n = scandir(path, &ents, dot_filter, alphasort);
	if (n <= 0) {
		if (n == 0)
			free(ents);
		return NULL;
	}
	buf[0] = '\0';
	if (!sysfs_path(path, "kernel/iommu_groups/%s/type", ents[0]->d_name))
		pb_read_text(path, buf, bufsz);
	for (i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	return buf;
}

static void doctor_kernel(struct doctor *dr, const struct peerbridge_info *info)
{
	char mode[32], lock[128], path[PATH_MAX];
	const char *im;
	int v;

	v = kfact(info, PEERBRIDGE_KCONFIG_P2PDMA, "CONFIG_PCI_P2PDMA");
	finding(dr, "p2pdma", v < 0 ? WARN : OK,
		"install this kernel's config as /boot/config-$(uname -r), or load peerbridge.ko",
		"%s", v < 0 ? "cannot tell whether CONFIG_PCI_P2PDMA is built" :
		v ? "CONFIG_PCI_P2PDMA is built; peerbridge does not use it and decides paths itself" :
		"CONFIG_PCI_P2PDMA is not built (as in Debian's kernels): peerbridge's own topology policy decides paths");
	v = kfact(info, PEERBRIDGE_KCONFIG_MOVE_NOTIFY, "CONFIG_DMABUF_MOVE_NOTIFY");
	finding(dr, "move_notify", v > 0 ? OK : WARN,
		v < 0 ? "install this kernel's config as /boot/config-$(uname -r), or load peerbridge.ko" :
		"a kernel with CONFIG_DMABUF_MOVE_NOTIFY=y lets dynamic importers let go on revocation; until then keep unbind waits in mind",
		"%s", v < 0 ? "cannot tell whether CONFIG_DMABUF_MOVE_NOTIFY is built" :
		v ? "CONFIG_DMABUF_MOVE_NOTIFY is built: dynamic importers (RDMA NICs) are told to unmap on revocation" :
		"CONFIG_DMABUF_MOVE_NOTIFY is not built: every importer pins, and revocation waits (bounded, logged) for importers to let go");
	im = iommu_mode(mode, sizeof(mode));
	finding(dr, "iommu", OK, NULL, "%s",
		!im ? "no IOMMU: DMA addresses are CPU physical addresses" :
		!strcmp(im, "identity") ? "IOMMU in passthrough (identity): host-bridge mappings use CPU physical addresses" :
		"IOMMU translating (DMA domains): host-bridge mappings are IOVAs, and the kernel turns on ACS redirect at root ports and switches");
	lock[0] = '\0';
	if (!sysfs_path(path, "kernel/security/lockdown"))
		pb_read_text(path, lock, sizeof(lock));
	if (!lock[0] || strstr(lock, "[none]"))
		finding(dr, "lockdown", OK, NULL, "kernel lockdown is off");
	else
		finding(dr, "lockdown", WARN,
			"boot without lockdown to map regions; dma-buf exports of mappings still work",
			"kernel lockdown is on (%s): mapping regions, region exports and dma-buf mmap are refused",
			lock);
}

/* try a dma-buf MR on every RDMA device, with a page of a region */
static void doctor_rdma(struct doctor *dr, struct pb_ctx *ctx)
{
	struct ibv_device **list;
	struct dirent **ents;
	int i, n, nr = 0, fd = -1;

	list = ibv_get_device_list(&n);
	if (!list || !n) {
		finding(dr, "rdma", OK, NULL, "no RDMA devices");
		if (list)
			ibv_free_device_list(list);
		return;
	}
	nr = ctx ? scan_regions(&ents) : 0;
	if (nr > 0) {
		fd = pb_export_region(ctx, ents[0]->d_name, 0, 4096,
				      PB_EXPORT_CLOEXEC);
		free_regions(ents, nr);
	}
	for (i = 0; i < n; i++) {
		const char *name = ibv_get_device_name(list[i]);
		struct ibv_context *vctx;
		struct ibv_pd *pd = NULL;
		struct ibv_mr *mr;
		char check[64];

		snprintf(check, sizeof(check), "rdma %s", name);
		if (fd < 0) {
			finding(dr, check, WARN,
				"bind a device to peerbridge (pbctl bind <BDF>) and run doctor again",
				"not tried: no peer memory to register");
			continue;
		}
		vctx = ibv_open_device(list[i]);
		if (vctx)
			pd = ibv_alloc_pd(vctx);
		mr = pd ? ibv_reg_dmabuf_mr(pd, 0, 4096, 0, fd,
					    IBV_ACCESS_LOCAL_WRITE) : NULL;
		if (mr)
			finding(dr, check, OK, NULL,
				"registers peer memory through dma-buf");
		else
			finding(dr, check, WARN,
				"use a NIC whose driver imports dma-bufs (mlx5, efa, bnxt_re, irdma) for peer memory; host memory still works",
				"cannot register dma-bufs (%s): peer memory cannot be an MR on it",
				strerror(errno));
		if (mr)
			ibv_dereg_mr(mr);
		if (pd)
			ibv_dealloc_pd(pd);
		if (vctx)
			ibv_close_device(vctx);
	}
	if (fd >= 0)
		close(fd);
	ibv_free_device_list(list);
}

/* the function the kernel identifies a root complex by (see topology.c) */
static struct pci_dev *root_complex(struct pci_access *pacc, int domain)
{
	struct pci_dev *d, *first = NULL;

	for (d = pacc->devices; d; d = d->next) {
		if (d->domain != domain || d->bus)
			continue;
		if (!d->dev && !d->func)
			return d;
		if (!first || d->dev < first->dev)
			first = d;
	}
	return first;
}

static bool cpu_routes(void)
{
	char line[256];
	bool amd = false;
	int family = 0;
	FILE *f = fopen("/proc/cpuinfo", "re");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f) && !family) {
		if (!strncmp(line, "vendor_id", 9))
			amd = strstr(line, "AuthenticAMD");
		else if (!strncmp(line, "cpu family", 10))
			sscanf(strchr(line, ':') + 1, "%d", &family);
	}
	fclose(f);
	return amd && family >= 0x17;
}

static void doctor_host_bridge(struct doctor *dr, struct tdevs *t)
{
	char policy[16] = "", path[PATH_MAX], name[260], vbuf[128], dbuf[128];
	struct pci_dev *rc = t->pacc ? root_complex(t->pacc, 0) : NULL;
	bool listed = false, same_only = false, amd = cpu_routes();

	if (!sysfs_path(path, "module/peerbridge/parameters/host_bridge"))
		pb_read_text(path, policy, sizeof(policy));
	if (rc && pb_pci_fill(rc, PCI_FILL_IDENT) < 0)
		rc = NULL;
	if (rc) {
		const char *vn = pb_pci_name(t->pacc, vbuf, sizeof(vbuf),
					     rc->vendor_id, -1);
		const char *dn = pb_pci_name(t->pacc, dbuf, sizeof(dbuf),
					     rc->vendor_id, rc->device_id);

		listed = pb_topo_root_listed(rc->vendor_id, rc->device_id,
					     &same_only);
		snprintf(name, sizeof(name), "%s %s",
			 vn ? vn : "unknown vendor", dn ? dn : "unknown device");
	} else {
		snprintf(name, sizeof(name), "unknown");
	}
	if (!policy[0])
		snprintf(policy, sizeof(policy), "%s", "auto (default)");
	if (!strncmp(policy, "allow", 5) && !listed && !amd)
		finding(dr, "host_bridge", WARN,
			"prove it routes peer-to-peer: pbctl check --validate <exporter> <importer> across it",
			"host_bridge=allow trusts root complex %04x:%04x (%s), which is not known to route peer-to-peer",
			rc ? rc->vendor_id : 0, rc ? rc->device_id : 0, name);
	else if (!strncmp(policy, "auto", 4) && !listed && !amd)
		finding(dr, "host_bridge", WARN,
			"if it does route peer-to-peer: echo allow > /sys/module/peerbridge/parameters/host_bridge, then validate",
			"host_bridge=%s and root complex %04x:%04x (%s) is not known to route peer-to-peer: only devices below a common switch can talk",
			policy, rc ? rc->vendor_id : 0, rc ? rc->device_id : 0,
			name);
	else
		finding(dr, "host_bridge", OK, NULL,
			"host_bridge=%s; root complex %04x:%04x (%s)%s", policy,
			rc ? rc->vendor_id : 0, rc ? rc->device_id : 0, name,
			amd ? ": an AMD Zen or later CPU routes peer-to-peer" :
			listed ? (same_only ? ": known to route peer-to-peer within one host bridge" :
				  ": known to route peer-to-peer") : "");
}

/* ACS redirect on the bridges above GPUs, NICs and NVMe (libpci) */
static void doctor_acs(struct doctor *dr, struct tdevs *t)
{
	char list[512] = "", bdf[PB_BDF_LEN], fix[640];
	unsigned int i, nr = 0, seen = 0;

	if (geteuid()) {
		finding(dr, "acs", WARN, "run pbctl doctor as root",
			"reading ACS control (extended config space) needs root");
		return;
	}
	for (i = 0; i < t->n; i++) {
		struct pci_dev *b;

		if (!(t->d[i].kinds & (K_GPU | K_RDMA | K_NVME | K_MEM)) ||
		    !t->d[i].pdev)
			continue;
		seen++;
		for (b = t->d[i].pdev->parent; b; b = b->parent) {
			uint16_t ctrl;
			int has;

			if (pb_pci_fill(b, PCI_FILL_EXT_CAPS |
					   PCI_FILL_PARENT) < 0)
				break;
			has = pb_pci_ext_cap_word(b, PCI_EXT_CAP_ID_ACS,
						  PCI_ACS_CTRL, &ctrl);
			if (has < 0)
				break;
			if (!has)
				continue;
			pb_pci_bdf(b, bdf);
			if (!(ctrl & PB_ACS_REDIRECT) || strstr(list, bdf))
				continue;
			snprintf(list + strlen(list), sizeof(list) - strlen(list),
				 "%s%s", nr ? ";" : "", bdf);
			nr++;
		}
	}
	if (!seen) {
		finding(dr, "acs", OK, NULL, "no GPUs, RDMA devices, NVMe or peer memory");
	} else if (nr) {
		snprintf(fix, sizeof(fix),
			 "for bus-address paths, add pci=disable_acs_redir=%s to the kernel command line (with an IOMMU this merges IOMMU groups)",
			 list);
		finding(dr, "acs", WARN, fix,
			"ACS redirect is on at %u bridge(s) above these devices: their peer traffic goes up to the root complex",
			nr);
	} else {
		finding(dr, "acs", OK, NULL,
			"no bridge above %u device(s) redirects peer traffic", seen);
	}
}

int cmd_doctor(struct pr *p, const struct invocation *in)
{
	struct doctor dr = { .p = p, .worst = OK };
	struct peerbridge_info info;
	struct pb_ctx *ctx;
	struct tdevs t;
	bool have;

	pr_list_begin(p, "checks");
	doctor_module(&dr, &info, &have);
	doctor_nodes(&dr);
	doctor_kernel(&dr, have ? &info : NULL);
	ctx = have ? pb_open() : NULL;
	doctor_rdma(&dr, ctx);
	pb_close(ctx);
	tdevs_scan(&t);
	doctor_host_bridge(&dr, &t);
	doctor_acs(&dr, &t);
	tdevs_free(&t);
	pr_list_end(p);
	pr_str(p, "result", "result", verdict_names[dr.worst]);
	return dr.worst == OK ? 0 : EXIT_RUNTIME | EXIT_PRINTED;
}
