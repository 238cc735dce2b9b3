// SPDX-License-Identifier: GPL-2.0
/*
 * pbctl: inspect and drive peerbridge.
 *
 * Exit status: 0 success, 1 runtime error, 2 usage error.
 * Text output is for people; -j/--json output is the stable interface.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <peerbridge.h>

#include "pb_pattern.h"
#include "pb_util.h"
#include "pbctl.h"
#include "print.h"

struct cmd {
	const char *name;
	const char *args;
	const char *help;
	int min_args, max_args;
	int (*fn)(struct pr *p, int argc, char **argv);
};

void err_msg(const char *fmt, ...)
{
	va_list ap;

	fputs("pbctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int sysfs_path(char *buf, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(buf, PATH_MAX, "%s/", pb_sysfs_root());
	va_start(ap, fmt);
	n += vsnprintf(buf + n, PATH_MAX - n, fmt, ap);
	va_end(ap);
	if (n >= PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* basename of a sysfs symlink's target into out, "" when there is none */
static void link_name(const char *path, char *out, size_t outsz)
{
	char target[PATH_MAX];
	ssize_t n;

	out[0] = '\0';
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return;
	target[n] = '\0';
	snprintf(out, outsz, "%s", basename(target));
}

static void pci_driver_of(const char *bdf, char *out, size_t outsz)
{
	char path[PATH_MAX];

	if (sysfs_path(path, "bus/pci/devices/%s/driver", bdf))
		out[0] = '\0';
	else
		link_name(path, out, outsz);
}

static int region_filter(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/*
 * The regions under /sys/class/pbmem, sorted, into *ents (free each and
 * the array); none when the module is not loaded.  -1 after a message.
 */
int scan_regions(struct dirent ***ents)
{
	char path[PATH_MAX];
	int n;

	if (sysfs_path(path, "class/pbmem"))
		return -1;
	n = scandir(path, ents, region_filter, alphasort);
	if (n >= 0)
		return n;
	*ents = NULL;
	if (errno == ENOENT)
		return 0;	/* module not loaded: simply no regions */
	err_msg("cannot read %s: %s", path, strerror(errno));
	return -1;
}

static int cmd_list(struct pr *p, int argc, char **argv)
{
	struct dirent **ents;
	char path[PATH_MAX];
	int i, n;

	n = scan_regions(&ents);
	if (n < 0)
		return EXIT_RUNTIME;

	pr_list_begin(p, "regions");
	for (i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		char dev[PB_BDF_LEN + 8], state[16], node[PATH_MAX];
		uint64_t bar = 0, offset = 0, size = 0, wc = 0, exports = 0;
		uint64_t attachments = 0;
		const char *root = pb_sysfs_root();

		if (pb_sysfs_region_u64(root, name, "bar", &bar) ||
		    pb_sysfs_region_u64(root, name, "offset", &offset) ||
		    pb_sysfs_region_u64(root, name, "size", &size) ||
		    pb_sysfs_region_u64(root, name, "wc", &wc) ||
		    pb_sysfs_region_u64(root, name, "exports", &exports) ||
		    pb_sysfs_region_u64(root, name, "attachments",
					&attachments) ||
		    sysfs_path(path, "class/pbmem/%s/state", name) ||
		    pb_read_text(path, state, sizeof(state)))
			continue;	/* vanished while listing */
		if (sysfs_path(path, "class/pbmem/%s/device", name))
			continue;
		link_name(path, dev, sizeof(dev));
		/* a region has a node when it has a device number */
		if (sysfs_path(path, "class/pbmem/%s/dev", name) ||
		    access(path, F_OK))
			node[0] = '\0';
		else
			snprintf(node, sizeof(node), PB_REGION_DIR "/%s", name);

		pr_obj_begin(p, NULL);
		pr_str(p, "name", "REGION", name);
		pr_str(p, "device", "DEVICE", dev);
		pr_u64(p, "bar", "BAR", bar);
		pr_u64(p, "offset", "OFFSET", offset);
		pr_size(p, "size", "SIZE", size);
		pr_str(p, "state", "STATE", state);
		pr_bool(p, "write_combining", "WC", wc);
		pr_u64(p, "exports", "EXPORTS", exports);
		pr_u64(p, "attachments", "ATTACHED", attachments);
		pr_str(p, "node", "NODE", node[0] ? node : NULL);
		pr_obj_end(p);
	}
	pr_list_end(p);
	if (!n && !p->json)
		fprintf(p->out, "no regions (bind a device: pbctl bind <BDF>)\n");

	free_regions(ents, n);
	return 0;
}

void free_regions(struct dirent **ents, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
}

/* the value of "key=" in a holders line, copied into out; false if absent */
static bool holder_field(const char *line, const char *key, char *out,
			 size_t outsz)
{
	size_t klen = strlen(key);
	const char *at = line;

	while ((at = strstr(at, key))) {
		if ((at == line || at[-1] == ' ') && at[klen] == '=') {
			size_t n = strcspn(at + klen + 1, " ");

			snprintf(out, outsz, "%.*s", (int)n, at + klen + 1);
			return true;
		}
		at += klen;
	}
	return false;
}

static uint64_t holder_u64(const char *line, const char *key)
{
	char text[32];
	uint64_t v = 0;

	if (holder_field(line, key, text, sizeof(text)))
		(void)pb_parse_u64(text, &v);
	return v;
}

/* one row per dma-buf in a region's sysfs "holders" */
static void print_exports_of(struct pr *p, const char *region, char *holders,
			     unsigned int *count)
{
	char *line, *save = NULL;

	for (line = strtok_r(holders, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char mode[8] = "", state[16] = "", imps[1024] = "";
		const char *vec[64];
		unsigned int n = 0;
		char *tok, *isave = NULL;

		if (strncmp(line, "dmabuf ", 7))
			continue;
		holder_field(line, "mode", mode, sizeof(mode));
		holder_field(line, "state", state, sizeof(state));
		holder_field(line, "importers", imps, sizeof(imps));
		for (tok = strtok_r(imps, ",", &isave); tok && n < 64;
		     tok = strtok_r(NULL, ",", &isave))
			if (strcmp(tok, "-"))
				vec[n++] = tok;
		pr_obj_begin(p, NULL);
		pr_str(p, "region", "REGION", region);
		pr_u64(p, "pid", "PID", holder_u64(line, "pid"));
		pr_u64(p, "offset", "OFFSET", holder_u64(line, "offset"));
		pr_size(p, "length", "LENGTH", holder_u64(line, "len"));
		pr_u64(p, "ranges", "RANGES", holder_u64(line, "ranges"));
		pr_str(p, "mode", "MODE", mode);
		pr_str(p, "state", "STATE", state);
		pr_strv(p, "importers", "IMPORTERS (device:pinned|dynamic:mapped|idle)",
			vec, n);
		pr_u64(p, "inode", "INODE", holder_u64(line, "ino"));
		pr_obj_end(p);
		(*count)++;
	}
}

static int cmd_exports(struct pr *p, int argc, char **argv)
{
	unsigned int count = 0;
	struct dirent **ents;
	char path[PATH_MAX];
	static char holders[8192];
	int i, n, ret = 0;

	n = scan_regions(&ents);
	if (n < 0)
		return EXIT_RUNTIME;
	pr_list_begin(p, "exports");
	for (i = 0; i < n && !ret; i++) {
		if (sysfs_path(path, "class/pbmem/%s/holders", ents[i]->d_name))
			continue;
		if (pb_read_text(path, holders, sizeof(holders))) {
			if (errno == ENOENT)
				continue;	/* vanished while listing */
			err_msg("cannot read %s: %s%s", path, strerror(errno),
				errno == EACCES ? " (it is root's)" : "");
			ret = EXIT_RUNTIME;
			break;
		}
		print_exports_of(p, ents[i]->d_name, holders, &count);
	}
	pr_list_end(p);
	if (!ret && !count && !p->json)
		fprintf(p->out, "no exports\n");
	free_regions(ents, n);
	return ret;
}

/* canonical BDF of an existing PCI device, or a message and -1 */
static int lookup_device(const char *arg, char bdf[PB_BDF_LEN])
{
	char path[PATH_MAX];

	if (pb_parse_bdf(arg, bdf)) {
		err_msg("'%s' is not a PCI address (expected [dddd:]bb:dd.f)",
			arg);
		return -EXIT_USAGE;
	}
	if (sysfs_path(path, "bus/pci/devices/%s", bdf) ||
	    access(path, F_OK)) {
		err_msg("no PCI device %s", bdf);
		return -EXIT_RUNTIME;
	}
	return 0;
}

static void pr_binding(struct pr *p, const char *bdf, const char *driver,
		       const char *previous)
{
	pr_obj_begin(p, "binding");
	pr_str(p, "device", "device", bdf);
	pr_str(p, "driver", "driver", *driver ? driver : "none");
	pr_str(p, "previous_driver", "previous driver",
	       *previous ? previous : "none");
	pr_obj_end(p);
}

static int cmd_bind(struct pr *p, int argc, char **argv)
{
	char bdf[PB_BDF_LEN], path[PATH_MAX], old[64], now[64];
	int ret;

	ret = lookup_device(argv[0], bdf);
	if (ret)
		return -ret;
	if (sysfs_path(path, "bus/pci/drivers/peerbridge") ||
	    access(path, F_OK)) {
		err_msg("peerbridge.ko is not loaded (modprobe peerbridge)");
		return EXIT_RUNTIME;
	}

	pci_driver_of(bdf, old, sizeof(old));
	if (strcmp(old, "peerbridge")) {
		if (sysfs_path(path, "bus/pci/devices/%s/driver_override",
			       bdf) ||
		    pb_write_text(path, "peerbridge")) {
			err_msg("%s: cannot set driver_override: %s", bdf,
				strerror(errno));
			return EXIT_RUNTIME;
		}
		if (*old &&
		    (sysfs_path(path, "bus/pci/devices/%s/driver/unbind",
				bdf) || pb_write_text(path, bdf))) {
			err_msg("%s: cannot unbind %s: %s", bdf, old,
				strerror(errno));
			return EXIT_RUNTIME;
		}
		/* a failed probe shows as "no driver" below, with a hint */
		if (sysfs_path(path, "bus/pci/drivers_probe") ||
		    (pb_write_text(path, bdf) && errno != ENODEV &&
		     errno != EINVAL && errno != ENXIO)) {
			err_msg("%s: probe request failed: %s", bdf,
				strerror(errno));
			return EXIT_RUNTIME;
		}
	}
	pci_driver_of(bdf, now, sizeof(now));
	if (strcmp(now, "peerbridge")) {
		err_msg("%s: peerbridge did not bind (driver now: %s); see dmesg",
			bdf, *now ? now : "none");
		return EXIT_RUNTIME;
	}
	pr_binding(p, bdf, now, old);
	return 0;
}

static int cmd_unbind(struct pr *p, int argc, char **argv)
{
	char bdf[PB_BDF_LEN], path[PATH_MAX], now[64];
	int ret;

	ret = lookup_device(argv[0], bdf);
	if (ret)
		return -ret;
	pci_driver_of(bdf, now, sizeof(now));
	if (strcmp(now, "peerbridge")) {
		err_msg("%s is not bound to peerbridge (driver: %s)", bdf,
			*now ? now : "none");
		return EXIT_RUNTIME;
	}
	/* revokes every mapping of the device's regions, then detaches */
	if (sysfs_path(path, "bus/pci/drivers/peerbridge/unbind") ||
	    pb_write_text(path, bdf)) {
		err_msg("%s: unbind failed: %s", bdf, strerror(errno));
		return EXIT_RUNTIME;
	}
	/* hand the device back to whichever driver claims it natively */
	if (sysfs_path(path, "bus/pci/devices/%s/driver_override", bdf) ||
	    pb_write_text(path, "\n")) {
		err_msg("%s: cannot clear driver_override: %s", bdf,
			strerror(errno));
		return EXIT_RUNTIME;
	}
	if (!sysfs_path(path, "bus/pci/drivers_probe"))
		(void)pb_write_text(path, bdf);	/* no driver is fine */
	pci_driver_of(bdf, now, sizeof(now));
	pr_binding(p, bdf, now, "peerbridge");
	return 0;
}

static int copy_side_parse(struct copy_side *side, const char *spec)
{
	const char *at = strrchr(spec, '@');
	size_t n = at ? (size_t)(at - spec) : strlen(spec);

	side->spec = spec;
	if (!strcmp(spec, "host")) {
		side->host = true;
		return 0;
	}
	if (!n || n >= sizeof(side->region) ||
	    (at && pb_parse_size(at + 1, &side->offset))) {
		err_msg("'%s' is not a copy side (host or <region>[@offset])",
			spec);
		return -1;
	}
	memcpy(side->region, spec, n);
	side->region[n] = '\0';
	return 0;
}

int copy_side_open(struct pb_ctx *ctx, struct copy_side *side,
			  uint64_t len)
{
	int fd;

	if (side->host) {
		if (posix_memalign(&side->map, 4096, len)) {
			err_msg("cannot allocate %llu bytes of host memory",
				(unsigned long long)len);
			return -1;
		}
		side->map_len = len;
		side->buf = (struct pb_buf){ .type = PB_BUF_VA, .addr = side->map };
		return 0;
	}
	side->map = pb_map(ctx, side->region, &side->map_len);
	if (!side->map) {
		err_msg("%s: %s", side->region, pb_strerror(errno));
		return -1;
	}
	if (side->offset > side->map_len || len > side->map_len - side->offset) {
		err_msg("%s: %llu bytes at offset %llu do not fit in its %zu bytes",
			side->region, (unsigned long long)len,
			(unsigned long long)side->offset, side->map_len);
		return -1;
	}
	fd = pb_export(ctx, side->map, side->map_len, PB_EXPORT_CLOEXEC);
	if (fd < 0) {
		err_msg("%s: export: %s", side->region, pb_strerror(errno));
		return -1;
	}
	side->buf = (struct pb_buf){ .type = PB_BUF_DMABUF, .fd = fd,
				     .offset = side->offset };
	return 0;
}

void copy_side_close(struct copy_side *side)
{
	if (side->host) {
		free(side->map);
		return;
	}
	if (side->buf.type == PB_BUF_DMABUF)
		close(side->buf.fd);
	if (side->map)
		pb_unmap(side->map, side->map_len);
}

unsigned char *copy_side_bytes(struct copy_side *side)
{
	return (unsigned char *)side->map + (side->host ? 0 : side->offset);
}

/* the kernel reports DMA addresses to CAP_SYS_ADMIN only: null otherwise */
static void pr_dma_addr(struct pr *p, const char *key, const char *label,
			uint64_t addr)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%#llx", (unsigned long long)addr);
	pr_str(p, key, label, addr ? buf : NULL);
}

static int cmd_copy(struct pr *p, int argc, char **argv)
{
	struct copy_side src = { 0 }, dst = { 0 };
	struct pb_copy_result res;
	bool verify = false;
	struct pb_ctx *ctx;
	uint64_t len, seed;
	long bad = -1;
	int ret = EXIT_RUNTIME;

	if (argc == 4) {
		if (strcmp(argv[3], "--verify")) {
			err_msg("unknown copy option '%s'", argv[3]);
			return EXIT_USAGE;
		}
		verify = true;
	}
	if (copy_side_parse(&src, argv[0]) || copy_side_parse(&dst, argv[1]))
		return EXIT_USAGE;
	if (pb_parse_size(argv[2], &len) || !len || len > SIZE_MAX) {
		err_msg("'%s' is not a length (bytes, or with K, M, G)", argv[2]);
		return EXIT_USAGE;
	}

	ctx = pb_open();
	if (!ctx) {
		err_msg("%s", pb_strerror(errno));
		return EXIT_RUNTIME;
	}
	if (copy_side_open(ctx, &src, len) || copy_side_open(ctx, &dst, len))
		goto out;

	seed = (uint64_t)getpid() << 32 | (uint64_t)time(NULL);
	if (verify) {
		pb_fill_pattern(copy_side_bytes(&src), len, seed);
		/* a different pattern, so stale data cannot pass */
		pb_fill_pattern(copy_side_bytes(&dst), len, ~seed);
	}
	if (pb_copy_ex(ctx, &dst.buf, &src.buf, len, 0, &res)) {
		err_msg("copy failed after %llu of %llu bytes: %s",
			(unsigned long long)res.copied,
			(unsigned long long)len, pb_strerror(errno));
		goto out;
	}
	if (verify)
		bad = pb_verify_pattern(copy_side_bytes(&dst), len, seed);

	pr_obj_begin(p, "copy");
	pr_str(p, "source", "source", src.spec);
	pr_str(p, "destination", "destination", dst.spec);
	pr_size(p, "bytes", "bytes", res.copied);
	pr_str(p, "channel", "DMA channel", res.channel);
	pr_str(p, "engine", "DMA engine", res.engine);
	pr_dma_addr(p, "source_dma", "source DMA address", res.src_dma);
	pr_dma_addr(p, "destination_dma", "destination DMA address",
		    res.dst_dma);
	if (verify)
		pr_bool(p, "verified", "verified byte for byte", bad < 0);
	pr_obj_end(p);
	if (bad >= 0)
		err_msg("verification failed: byte %ld of the destination differs",
			bad);
	else
		ret = 0;
out:
	copy_side_close(&src);
	copy_side_close(&dst);
	pb_close(ctx);
	return ret;
}

static const struct cmd cmds[] = {
	{ "list", "", "list exported regions", 0, 0, cmd_list },
	{ "bind", "<BDF>",
	  "hand a PCI device to peerbridge (driver_override, unbind, probe)",
	  1, 1, cmd_bind },
	{ "unbind", "<BDF>",
	  "revoke a device's regions and hand it back to its own driver",
	  1, 1, cmd_unbind },
	{ "exports", "",
	  "list live dma-bufs of peer memory: owner, range, state, importers",
	  0, 0, cmd_exports },
	{ "copy", "<src> <dst> <len> [--verify]",
	  "DMA len bytes; a side is host or <region>[@offset]; --verify checks every byte",
	  3, 4, cmd_copy },
	{ "check", "<exporter> <importer> [--validate[=<len>]]",
	  "can importer reach exporter's memory, why, what to change; --validate moves data both ways",
	  2, 3, cmd_check },
	{ "topo", "",
	  "path matrix of peer memory, GPUs, RDMA devices, NVMe and DMA engines",
	  0, 0, cmd_topo },
	{ "doctor", "",
	  "check what peer-to-peer needs here: OK, WARN or FAIL, with what to do",
	  0, 0, cmd_doctor },
};

static void usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: pbctl [-j|--json] <command> [args]\n\ncommands:\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(out, "  %-6s %s\n         %s\n", cmds[i].name,
			cmds[i].args, cmds[i].help);
	fprintf(out, "\nexit status: 0 ok, 1 runtime error (check: no path; doctor: a problem),\n"
		"2 usage error\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct cmd *cmd = NULL;
	bool json = false;
	struct pr p;
	size_t i;
	int c, nargs, ret;

	while ((c = getopt_long(argc, argv, "+jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[optind], cmds[i].name))
			cmd = &cmds[i];
	if (!cmd) {
		err_msg("unknown command '%s'", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	nargs = argc - optind - 1;
	if (nargs < cmd->min_args || nargs > cmd->max_args) {
		err_msg("usage: pbctl %s %s", cmd->name, cmd->args);
		return EXIT_USAGE;
	}

	pr_init(&p, stdout, json);
	ret = cmd->fn(&p, nargs, argv + optind + 1);
	if (ret & EXIT_PRINTED) {
		pr_finish(&p);
		return ret & ~EXIT_PRINTED;
	}
	if (ret) {
		/* commands print only once they succeed */
		pr_discard(&p);
		return ret;
	}
	pr_finish(&p);
	return 0;
}
