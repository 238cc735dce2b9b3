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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <pci/pci.h>
#include <peerbridge.h>

#include "pb_pattern.h"
#include "pb_util.h"
#include "pbctl.h"
#include "print.h"

/* a command's options, one bit each (see cmd_opts) */
#define OPT_FORCE	(1U << 0)
#define OPT_VERIFY	(1U << 1)
#define OPT_VALIDATE	(1U << 2)

/* getopt values of the options that have no short form */
enum { VAL_VERSION = 0x100, VAL_VERIFY, VAL_VALIDATE };

struct cmd {
	const char *name;
	const char *args;	/* the operands, for the usage line */
	unsigned int opts;	/* OPT_* */
	const char *help;
	int min_args, max_args;
	int (*fn)(struct pr *p, const struct invocation *in);
};

/* the options every command takes, anywhere on the line */
static const struct option global_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, VAL_VERSION },
};

/* the options of some commands */
static const struct cmd_opt {
	struct option opt;
	unsigned int bit;
	const char *usage;
	const char *help;
} cmd_opts[] = {
	{ { "force", no_argument, NULL, 'f' }, OPT_FORCE, "[-f|--force]",
	  "-f, --force        bind a device that is in use all the same" },
	{ { "verify", no_argument, NULL, VAL_VERIFY }, OPT_VERIFY, "[--verify]",
	  "    --verify       fill the source with a pattern, check every byte" },
	{ { "validate", optional_argument, NULL, VAL_VALIDATE }, OPT_VALIDATE,
	  "[--validate[=<len>]]",
	  "    --validate[=<len>]  move <len> bytes (default 1M) each way and verify them" },
};

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

void err_msg(const char *fmt, ...)
{
	va_list ap;

	fputs("pbctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int size_arg(const struct invocation *in, const char *what, const char *text,
	     bool nonzero, uint64_t *val)
{
	if (!pb_parse_size(text, val) && (*val || !nonzero) &&
	    *val <= SIZE_MAX)
		return 0;
	err_msg("%s: %s '%s' is not a %ssize (bytes, or a number with k, K, M, G or T, optionally iB or B; or 0x-hex)",
		in->cmd, what, text, nonzero ? "nonzero " : "");
	return -1;
}

/*
 * @dir@sep, then @fmt, into @buf (PATH_MAX); -1 and ENAMETOOLONG when it
 * does not fit.  A @dir of PATH_MAX or more leaves no room: never size
 * PATH_MAX - n.
 */
static int path_vjoin(char *buf, const char *dir, const char *sep,
		      const char *fmt, va_list ap)
{
	int n, m;

	n = snprintf(buf, PATH_MAX, "%s%s", dir, sep);
	if (n < 0 || n >= PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	m = vsnprintf(buf + n, PATH_MAX - n, fmt, ap);
	if (m < 0 || m >= PATH_MAX - n) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int sysfs_path(char *buf, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = path_vjoin(buf, pb_sysfs_root(), "/", fmt, ap);
	va_end(ap);
	return ret;
}

/* a fake sysfs tree in effect: $PEERBRIDGE_SYSFS, and not /sys itself */
static bool fake_sysfs(void)
{
	const char *root = pb_sysfs_root();
	struct stat a, b;

	if (!strcmp(root, "/sys"))
		return false;
	return stat(root, &a) || stat("/sys", &b) || a.st_dev != b.st_dev ||
	       a.st_ino != b.st_ino;
}

int host_path(char *buf, const char *fmt, ...)
{
	bool fake = fake_sysfs();
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = path_vjoin(buf, fake ? pb_sysfs_root() : "",
			 fake ? "/.host" : "", fmt, ap);
	va_end(ap);
	return ret;
}

/*
 * basename of a sysfs symlink's target into out, "" when there is none
 * (a region's device link: libpci knows PCI devices, not class devices)
 */
static int link_name(const char *path, char *out, size_t outsz)
{
	char target[PATH_MAX];
	ssize_t n;

	out[0] = '\0';
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -1;
	target[n] = '\0';
	snprintf(out, outsz, "%s", basename(target));
	return 0;
}

static int region_filter(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/*
 * The regions under /sys/class/pbmem, sorted, into *ents (free each and
 * the array).  The class exists exactly while peerbridge.ko is loaded.
 * -1 after a message.
 */
int scan_regions(struct dirent ***ents)
{
	char path[PATH_MAX];
	int n;

	if (sysfs_path(path, "class/pbmem")) {
		err_msg("cannot name class/pbmem under $PEERBRIDGE_SYSFS: %s",
			strerror(errno));
		return -1;
	}
	n = scandir(path, ents, region_filter, alphasort);
	if (n >= 0)
		return n;
	if (errno == ENOENT)
		err_msg("peerbridge.ko is not loaded (modprobe peerbridge)");
	else
		err_msg("cannot read %s: %s", path, strerror(errno));
	return -1;
}

void free_regions(struct dirent **ents, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
}

void pr_pci_ident(struct pr *p, struct pci_access *pacc, struct pci_dev *d)
{
	char id[12], vendor[128], product[128];

	if (!d || pb_pci_fill(d, PCI_FILL_IDENT) < 0) {
		pr_str(p, "pci_id", "PCI ID", NULL);
		pr_str(p, "vendor", "VENDOR", NULL);
		pr_str(p, "product", "PRODUCT", NULL);
		return;
	}
	snprintf(id, sizeof(id), "%04x:%04x", d->vendor_id, d->device_id);
	pr_str(p, "pci_id", "PCI ID", id);
	pr_str(p, "vendor", "VENDOR",
	       pb_pci_name(pacc, vendor, sizeof(vendor), d->vendor_id, -1));
	pr_str(p, "product", "PRODUCT",
	       pb_pci_name(pacc, product, sizeof(product), d->vendor_id,
			   d->device_id));
}

/*
 * A region's attribute @attr as a number, printed; an attribute that
 * cannot be read is null ("?" for people) with a warning.  The region
 * itself vanishing while listed is not worth one.
 */
static void pr_region_u64(struct pr *p, const char *region, const char *attr,
			  const char *key, const char *label,
			  void (*pr_num)(struct pr *, const char *,
					 const char *, uint64_t))
{
	uint64_t val;

	if (!pb_sysfs_region_u64(pb_sysfs_root(), region, attr, &val)) {
		pr_num(p, key, label, val);
		return;
	}
	err_msg("%s: cannot read its %s: %s", region, attr, strerror(errno));
	pr_null(p, key, label, "?");
}

static void pr_region_bool(struct pr *p, const char *key, const char *label,
			   uint64_t val)
{
	pr_bool(p, key, label, val);
}

/*
 * A region's attribute @attr as text into @out (@link: the name of a
 * symlink's target), printed; null ("?" for people) with a warning when
 * it cannot be read.  Whether it could.
 */
static bool pr_region_str(struct pr *p, const char *region, const char *attr,
			  bool link, const char *key, const char *label,
			  char *out, size_t outsz)
{
	char path[PATH_MAX];

	if (!sysfs_path(path, "class/pbmem/%s/%s", region, attr) &&
	    !(link ? link_name(path, out, outsz) :
		     pb_read_text(path, out, outsz))) {
		pr_str(p, key, label, out);
		return true;
	}
	err_msg("%s: cannot read its %s: %s", region, attr, strerror(errno));
	pr_null(p, key, label, "?");
	return false;
}

static void pr_region(struct pr *p, struct pci_access *pacc, const char *name)
{
	char path[PATH_MAX], dev[PB_BDF_LEN + 8], state[16];
	bool has_dev;

	pr_obj_begin(p, NULL);
	pr_str(p, "name", "REGION", name);
	has_dev = pr_region_str(p, name, "device", true, "device", "DEVICE",
				dev, sizeof(dev));
	pr_region_u64(p, name, "bar", "bar", "BAR", pr_u64);
	pr_region_u64(p, name, "offset", "offset", "OFFSET", pr_u64);
	pr_region_u64(p, name, "size", "size", "SIZE", pr_size);
	pr_region_str(p, name, "state", false, "state", "STATE", state,
		      sizeof(state));
	pr_region_u64(p, name, "wc", "write_combining", "WC", pr_region_bool);
	pr_region_u64(p, name, "exports", "exports", "EXPORTS", pr_u64);
	pr_region_u64(p, name, "attachments", "attachments", "ATTACHED",
		      pr_u64);
	/* a region has a node when it has a device number */
	if (sysfs_path(path, "class/pbmem/%s/dev", name) || access(path, F_OK))
		pr_str(p, "node", "NODE", NULL);
	else {
		snprintf(path, sizeof(path), PB_REGION_DIR "/%s", name);
		pr_str(p, "node", "NODE", path);
	}
	pr_pci_ident(p, pacc, pacc && has_dev ? pb_pci_find(pacc, dev) : NULL);
	pr_obj_end(p);
}

static int cmd_list(struct pr *p, const struct invocation *in)
{
	struct pci_access *pacc;
	struct dirent **ents;
	char path[PATH_MAX];
	int i, n;

	n = scan_regions(&ents);
	if (n < 0)
		return EXIT_RUNTIME;
	pacc = pb_pci_open();
	if (!pacc)
		err_msg("libpci: %s: no PCI names", pb_pci_error());

	pr_list_begin(p, "regions");
	for (i = 0; i < n; i++) {
		/* a region that went away while listing is simply gone */
		if (!sysfs_path(path, "class/pbmem/%s", ents[i]->d_name) &&
		    access(path, F_OK) && errno == ENOENT)
			continue;
		pr_region(p, pacc, ents[i]->d_name);
	}
	pr_list_end(p);
	if (!n && !p->json)
		fprintf(p->out, "no regions (bind a device: pbctl bind <BDF>)\n");

	if (pacc)
		pci_cleanup(pacc);
	free_regions(ents, n);
	return 0;
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

/* a holders field as a string, null when absent */
static void pr_holder_str(struct pr *p, const char *line, const char *field,
			  const char *key, const char *label)
{
	char text[32];

	pr_str(p, key, label,
	       holder_field(line, field, text, sizeof(text)) ? text : NULL);
}

/* a holders field as a number (@size: bytes), null when absent */
static void pr_holder_num(struct pr *p, const char *line, const char *field,
			  const char *key, const char *label, bool size)
{
	char text[32];
	uint64_t v;

	if (!holder_field(line, field, text, sizeof(text)) ||
	    pb_parse_u64(text, &v))
		pr_str(p, key, label, NULL);
	else if (size)
		pr_size(p, key, label, v);
	else
		pr_u64(p, key, label, v);
}

/* one row per dma-buf in a region's sysfs "holders" */
static void print_exports_of(struct pr *p, const char *region, char *holders,
			     unsigned int *count)
{
	char *line, *save = NULL;

	for (line = strtok_r(holders, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char imps[1024] = "";
		const char *vec[64];
		unsigned int n = 0;
		char *tok, *isave = NULL;

		if (strncmp(line, "dmabuf ", 7))
			continue;
		holder_field(line, "importers", imps, sizeof(imps));
		for (tok = strtok_r(imps, ",", &isave); tok && n < 64;
		     tok = strtok_r(NULL, ",", &isave))
			if (strcmp(tok, "-"))
				vec[n++] = tok;
		pr_obj_begin(p, NULL);
		pr_str(p, "region", "REGION", region);
		pr_holder_num(p, line, "pid", "pid", "PID", false);
		pr_holder_num(p, line, "offset", "offset", "OFFSET", false);
		pr_holder_num(p, line, "len", "length", "LENGTH", true);
		pr_holder_num(p, line, "ranges", "ranges", "RANGES", false);
		pr_holder_str(p, line, "mode", "mode", "MODE");
		pr_holder_str(p, line, "state", "state", "STATE");
		pr_strv(p, "importers", "IMPORTERS (device:pinned|dynamic:mapped|idle)",
			vec, n);
		pr_holder_num(p, line, "ino", "inode", "INODE", false);
		pr_obj_end(p);
		(*count)++;
	}
}

static int cmd_exports(struct pr *p, const struct invocation *in)
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

/* "host" or "<region>[@offset]"; a message and -1 (usage) if neither */
static int copy_side_parse(const struct invocation *in, const char *what,
			   struct copy_side *side, const char *spec)
{
	const char *at = strrchr(spec, '@');
	char name[PB_REGION_NAME_MAX + 16];
	size_t n = at ? (size_t)(at - spec) : strlen(spec);

	if (!strcmp(spec, "host")) {
		side->host = true;
		return 0;
	}
	if (n >= sizeof(name) || (memcpy(name, spec, n), name[n] = '\0',
				  pb_region_name(name, side->region,
						 sizeof(side->region)))) {
		err_msg("%s: %s '%s' is not a copy side (host, or <region>[@<offset>])",
			in->cmd, what, spec);
		return -1;
	}
	if (at) {
		char off_what[32];

		snprintf(off_what, sizeof(off_what), "offset of %s", what);
		return size_arg(in, off_what, at + 1, false, &side->offset);
	}
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

static void pr_copy_side(struct pr *p, const char *key, const char *label,
			 const char *off_key, const char *off_label,
			 const struct copy_side *side)
{
	pr_str(p, key, label, side->host ? "host" : side->region);
	pr_u64(p, off_key, off_label, side->offset);
}

static int cmd_copy(struct pr *p, const struct invocation *in)
{
	struct copy_side src = { 0 }, dst = { 0 };
	struct pb_copy_result res;
	struct pb_ctx *ctx;
	uint64_t len, seed;
	long bad = -1;
	int ret = EXIT_RUNTIME;

	if (copy_side_parse(in, "<src>", &src, in->argv[0]) ||
	    copy_side_parse(in, "<dst>", &dst, in->argv[1]) ||
	    size_arg(in, "<len>", in->argv[2], true, &len))
		return EXIT_USAGE;

	ctx = pb_open();
	if (!ctx) {
		err_msg("%s", pb_strerror(errno));
		return EXIT_RUNTIME;
	}
	if (copy_side_open(ctx, &src, len) || copy_side_open(ctx, &dst, len))
		goto out;

	seed = (uint64_t)getpid() << 32 | (uint64_t)time(NULL);
	if (in->verify) {
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
	if (in->verify)
		bad = pb_verify_pattern(copy_side_bytes(&dst), len, seed);

	pr_obj_begin(p, "copy");
	pr_copy_side(p, "source", "source", "source_offset", "source offset",
		     &src);
	pr_copy_side(p, "destination", "destination", "destination_offset",
		     "destination offset", &dst);
	pr_size(p, "bytes", "bytes", res.copied);
	pr_str(p, "channel", "DMA channel", res.channel[0] ? res.channel : NULL);
	pr_str(p, "engine", "DMA engine", res.engine[0] ? res.engine : NULL);
	pr_dma_addr(p, "source_dma", "source DMA address", res.src_dma);
	pr_dma_addr(p, "destination_dma", "destination DMA address",
		    res.dst_dma);
	if (in->verify)
		pr_bool(p, "verified", "verified byte for byte", bad < 0);
	else
		pr_str(p, "verified", "verified byte for byte", NULL);
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

static int cmd_help(struct pr *p, const struct invocation *in);

static const struct cmd cmds[] = {
	{ "list", "", 0, "list exported regions", 0, 0, cmd_list },
	{ "bind", "<BDF>", OPT_FORCE,
	  "hand a PCI device to peerbridge (driver_override, unbind, probe); a device in use is refused without --force, and a failed probe gives it back to its driver",
	  1, 1, cmd_bind },
	{ "unbind", "<BDF>", 0,
	  "revoke a device's regions and hand it back to its own driver",
	  1, 1, cmd_unbind },
	{ "exports", "", 0,
	  "list live dma-bufs of peer memory: owner, range, state, importers",
	  0, 0, cmd_exports },
	{ "copy", "<src> <dst> <len>", OPT_VERIFY,
	  "DMA <len> bytes; a side is host or <region>[@<offset>]",
	  3, 3, cmd_copy },
	{ "check", "<exporter> <importer>", OPT_VALIDATE,
	  "can importer reach exporter's memory, why, what to change",
	  2, 2, cmd_check },
	{ "topo", "", 0,
	  "path matrix of peer memory, GPUs, RDMA devices, NVMe and DMA engines",
	  0, 0, cmd_topo },
	{ "doctor", "", 0,
	  "check what peer-to-peer needs here: OK, WARN or FAIL, with what to do",
	  0, 0, cmd_doctor },
	{ "help", "[<command>]", 0, "every command's usage, or one's", 0, 1,
	  cmd_help },
};

static const struct cmd *find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		if (!strcmp(name, cmds[i].name))
			return &cmds[i];
	return NULL;
}

/* "bind [-f|--force] <BDF>" */
static void cmd_synopsis(FILE *out, const struct cmd *c)
{
	size_t i;

	fprintf(out, "%s", c->name);
	for (i = 0; i < ARRAY_SIZE(cmd_opts); i++)
		if (c->opts & cmd_opts[i].bit)
			fprintf(out, " %s", cmd_opts[i].usage);
	fprintf(out, "%s%s\n", *c->args ? " " : "", c->args);
}

static void cmd_usage(FILE *out, const struct cmd *c)
{
	size_t i;

	fputs("usage: pbctl [-j|--json] ", out);
	cmd_synopsis(out, c);
	fprintf(out, "\n%s\n", c->help);
	if (c->opts)
		fputs("\noptions:\n", out);
	for (i = 0; i < ARRAY_SIZE(cmd_opts); i++)
		if (c->opts & cmd_opts[i].bit)
			fprintf(out, "  %s\n", cmd_opts[i].help);
}

static void usage(FILE *out)
{
	size_t i;

	fputs("usage: pbctl [-j|--json] <command> [options] [operands]\n"
	      "       pbctl <command> --help, pbctl help <command>: that command's usage\n"
	      "       pbctl --version\n\ncommands:\n", out);
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		fputs("  ", out);
		cmd_synopsis(out, &cmds[i]);
		fprintf(out, "      %s\n", cmds[i].help);
	}
	fputs("\noptions, anywhere on the line:\n"
	      "  -j, --json     JSON output, the stable interface\n"
	      "  -h, --help     this text, or a command's usage\n"
	      "      --version  the versions of pbctl, libpeerbridge and peerbridge.ko's ABI\n"
	      "\nexit status: 0 ok, 1 runtime error (check: no path; doctor: a problem),\n"
	      "2 usage error\n", out);
}

/* people's text even under -j: the document stays empty */
static int cmd_help(struct pr *p, const struct invocation *in)
{
	const struct cmd *c = in->argc ? find_cmd(in->argv[0]) : NULL;

	if (in->argc && !c) {
		err_msg("help: unknown command '%s' ('pbctl --help' lists them)",
			in->argv[0]);
		return EXIT_USAGE;
	}
	p->json = false;
	if (c)
		cmd_usage(p->out, c);
	else
		usage(p->out);
	return 0;
}

/* pbctl's, libpeerbridge's and the module's versions; an absent module is one */
static int show_version(struct pr *p)
{
	struct pb_ctx *ctx = pb_open();
	struct pb_info info = { 0 };
	bool loaded = ctx || errno != ENOENT;
	char abi[24];

	if (!ctx || pb_get_info(ctx, &info)) {
		if (loaded)
			err_msg("cannot ask peerbridge.ko its ABI: %s",
				pb_strerror(errno));
		abi[0] = '\0';
	} else {
		snprintf(abi, sizeof(abi), "%u.%u", info.abi_major,
			 info.abi_minor);
	}
	pb_close(ctx);
	pr_obj_begin(p, "version");
	pr_str(p, "pbctl", "pbctl", PB_VERSION);
	pr_str(p, "library", "libpeerbridge", pb_version());
	pr_bool(p, "module_loaded", "peerbridge.ko loaded", loaded);
	if (abi[0])
		pr_str(p, "module_abi", "peerbridge.ko ABI", abi);
	else
		pr_null(p, "module_abi", "peerbridge.ko ABI", loaded ? "?" : "-");
	pr_obj_end(p);
	return 0;
}

/* a $PEERBRIDGE_SYSFS that pb_sysfs_root() ignores: say so, once */
static void warn_sysfs_env(void)
{
	const char *env = secure_getenv("PEERBRIDGE_SYSFS");

	if (env && *env && pb_sysfs_root_ok(env))
		err_msg("ignoring $PEERBRIDGE_SYSFS: %s; using /sys",
			errno == EPERM ?
			"not a directory of yours that only you can write" :
			strerror(errno));
}

/* the command: the first operand, which is the first word not an option */
static const char *find_cmd_name(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return i + 1 < argc ? argv[i + 1] : NULL;
		if (argv[i][0] != '-' || !argv[i][1])
			return argv[i];
	}
	return NULL;
}

/* the options @c takes (every command's, and its own), for getopt_long */
static void build_opts(const struct cmd *c, struct option *opts, char *shorts)
{
	size_t i, n = 0, ns;

	strcpy(shorts, "-jh");	/* '-': operands come back in order */
	ns = strlen(shorts);
	for (i = 0; i < ARRAY_SIZE(global_opts); i++)
		opts[n++] = global_opts[i];
	for (i = 0; c && i < ARRAY_SIZE(cmd_opts); i++) {
		if (!(c->opts & cmd_opts[i].bit))
			continue;
		opts[n++] = cmd_opts[i].opt;
		if (cmd_opts[i].opt.val < 0x100)
			shorts[ns++] = (char)cmd_opts[i].opt.val;
	}
	shorts[ns] = '\0';
	opts[n] = (struct option){ NULL, 0, NULL, 0 };
}

/* getopt said '?': what was wrong with argv[optind - 1] */
static void bad_option(const char *cmd, char **argv)
{
	const char *arg = argv[optind - 1];

	if (!strncmp(arg, "--", 2) && strchr(arg, '=') && optopt)
		err_msg("%s%soption '%.*s' takes no value", cmd ? cmd : "",
			cmd ? ": " : "", (int)(strchr(arg, '=') - arg), arg);
	else if (optopt && strncmp(arg, "--", 2))
		err_msg("%s%sunknown option '-%c'", cmd ? cmd : "",
			cmd ? ": " : "", optopt);
	else
		err_msg("%s%sunknown option '%s'", cmd ? cmd : "",
			cmd ? ": " : "", arg);
}

static void usage_hint(const struct cmd *c)
{
	if (c)
		err_msg("usage: pbctl %s%s%s ('pbctl %s --help' says more)",
			c->name, *c->args ? " " : "", c->args, c->name);
	else
		err_msg("'pbctl --help' lists the commands and options");
}

int main(int argc, char **argv)
{
	struct option opts[ARRAY_SIZE(global_opts) + ARRAY_SIZE(cmd_opts) + 1];
	struct invocation in = { 0 };
	const char *name = find_cmd_name(argc, argv);
	const struct cmd *cmd = name ? find_cmd(name) : NULL;
	bool json = false, help = false, version = false;
	char shorts[16], **ops;
	int c, nops = 0, ret;
	struct pr p;

	if (name && !cmd) {
		err_msg("unknown command '%s'", name);
		usage_hint(NULL);
		return EXIT_USAGE;
	}
	ops = calloc(argc, sizeof(*ops));
	if (!ops) {
		err_msg("out of memory");
		return EXIT_RUNTIME;
	}
	build_opts(cmd, opts, shorts);
	opterr = 0;	/* getopt's messages would not say "pbctl: " */
	while ((c = getopt_long(argc, argv, shorts, opts, NULL)) != -1) {
		switch (c) {
		case 1:
			ops[nops++] = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			help = true;
			break;
		case VAL_VERSION:
			version = true;
			break;
		case 'f':
			in.force = true;
			break;
		case VAL_VERIFY:
			in.verify = true;
			break;
		case VAL_VALIDATE:
			in.validate = optarg ? optarg : "";
			break;
		default:
			bad_option(name, argv);
			usage_hint(cmd);
			free(ops);
			return EXIT_USAGE;
		}
	}
	while (optind < argc)	/* after "--" */
		ops[nops++] = argv[optind++];

	warn_sysfs_env();
	pr_init(&p, stdout, json);
	in.cmd = name;
	in.argc = nops - 1;
	in.argv = ops + 1;
	if (help) {
		/* "pbctl bind --help" is "pbctl help bind" */
		in.argc = cmd ? 1 : 0;
		in.argv = ops;
		ret = cmd_help(&p, &in);
	} else if (version && cmd) {
		err_msg("--version takes no command");
		ret = EXIT_USAGE;
	} else if (version) {
		ret = show_version(&p);
	} else if (!cmd) {
		err_msg("no command given");
		usage_hint(NULL);
		ret = EXIT_USAGE;
	} else if (in.argc < cmd->min_args) {
		err_msg("%s: missing operand (it takes %s)", cmd->name,
			cmd->args);
		usage_hint(cmd);
		ret = EXIT_USAGE;
	} else if (in.argc > cmd->max_args) {
		err_msg("%s: unexpected operand '%s'", cmd->name,
			in.argv[cmd->max_args]);
		usage_hint(cmd);
		ret = EXIT_USAGE;
	} else {
		ret = cmd->fn(&p, &in);
	}
	free(ops);
	if (ret && !(ret & EXIT_PRINTED)) {
		/* commands print only once they succeed */
		pr_discard(&p);
		return ret;
	}
	pr_finish(&p);
	return ret & ~EXIT_PRINTED;
}
