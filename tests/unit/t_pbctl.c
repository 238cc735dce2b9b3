// SPDX-License-Identifier: GPL-2.0
/*
 * pbctl as a black box: the built binary run against a fake sysfs tree
 * ($PEERBRIDGE_SYSFS), checking exit codes, messages and both renderings.
 * Where bind needs the kernel to react (a driver that lets go, a probe
 * that takes the device or not), a child plays the kernel: the sysfs
 * files pbctl writes are FIFOs it reads in the order the kernel would see
 * them, changing the device's driver link on the way.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pci/pci.h>

#include "pb_util.h"
#include "unit.h"

#define DEV	"0000:03:00.0"
#define DEVDIR	"bus/pci/devices/" DEV

static char root[] = "/tmp/pbctl-sysfs.XXXXXX";
static char err[8192];		/* pbctl's stderr of the last run() */

static void put(const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	ck_assert_msg(f, "create %s", path);
	fputs(text, f);
	fclose(f);
}

/* what pbctl wrote into a fake sysfs file */
static const char *got(const char *rel)
{
	static char text[256];
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "r");
	ck_assert_msg(f, "open %s", path);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	return text;
}

static void dir(const char *rel)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/%s'", root, rel);
	ck_assert_int_eq(system(cmd), 0);
}

static void link_to(const char *rel, const char *target)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	unlink(path);
	ck_assert_int_eq(symlink(target, path), 0);
}

/* a PCI device as sysfs shows it to libpci */
static void fake_pci(const char *bdf, const char *vendor, const char *device)
{
	char rel[256];

	snprintf(rel, sizeof(rel), "bus/pci/devices/%s", bdf);
	dir(rel);
	snprintf(rel, sizeof(rel), "bus/pci/devices/%s/vendor", bdf);
	put(rel, vendor);
	snprintf(rel, sizeof(rel), "bus/pci/devices/%s/device", bdf);
	put(rel, device);
	snprintf(rel, sizeof(rel), "bus/pci/devices/%s/class", bdf);
	put(rel, "0x050000\n");
}

static void fake_region(const char *name, const char *bdf, const char *bar,
			const char *size, bool node)
{
	static const char *const attrs[][2] = {
		{ "offset", "0\n" }, { "state", "live\n" }, { "wc", "1\n" },
		{ "exports", "2\n" }, { "attachments", "1\n" },
	};
	char rel[256], target[256];
	unsigned int i;

	snprintf(rel, sizeof(rel), "class/pbmem/%s", name);
	dir(rel);
	snprintf(rel, sizeof(rel), "class/pbmem/%s/bar", name);
	put(rel, bar);
	snprintf(rel, sizeof(rel), "class/pbmem/%s/size", name);
	put(rel, size);
	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		snprintf(rel, sizeof(rel), "class/pbmem/%s/%s", name, attrs[i][0]);
		put(rel, attrs[i][1]);
	}
	if (node) {
		snprintf(rel, sizeof(rel), "class/pbmem/%s/dev", name);
		put(rel, "240:0\n");
	}
	snprintf(target, sizeof(target), "../../../devices/pci0000:00/%s", bdf);
	snprintf(rel, sizeof(rel), "class/pbmem/%s/device", name);
	link_to(rel, target);
}

/* peerbridge.ko loaded: its class and its PCI driver */
static void fake_module(void)
{
	dir("class/pbmem");
	dir("bus/pci/drivers/peerbridge");
}

/* the device bound to @drv (NULL: no driver), with the files bind writes */
static void fake_driver(const char *drv)
{
	char rel[256];

	put(DEVDIR "/driver_override", "(null)\n");
	put("bus/pci/drivers_probe", "");
	if (!drv)
		return;
	snprintf(rel, sizeof(rel), "bus/pci/drivers/%s", drv);
	dir(rel);
	snprintf(rel, sizeof(rel), "bus/pci/drivers/%s/unbind", drv);
	put(rel, "");
	snprintf(rel, sizeof(rel), "bus/pci/drivers/%s/bind", drv);
	put(rel, "");
	snprintf(rel, sizeof(rel), "../../drivers/%s", drv);
	link_to(DEVDIR "/driver", rel);
}

static void setup(void)
{
	strcpy(root, "/tmp/pbctl-sysfs.XXXXXX");
	ck_assert(mkdtemp(root));
	setenv("PEERBRIDGE_SYSFS", root, 1);
	fake_pci(DEV, "0x1af4\n", "0x1110\n");
}

static void teardown(void)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	ck_assert_int_eq(system(cmd), 0);
}

/*
 * Run pbctl: its stdout into out, its stderr into err; its exit status.
 * Every line it writes to stderr must start with "pbctl: ".
 */
static int run(char *out, size_t outsz, const char *args)
{
	char cmd[1024], *line, *save = NULL, lines[sizeof(err)];
	size_t n;
	FILE *f;
	int st;

	/*
	 * build/pbctl has no RUNPATH: it finds build/lib by LD_LIBRARY_PATH.
	 * A pbctl stuck on a FIFO the fake kernel never opens is killed.
	 */
	snprintf(cmd, sizeof(cmd), "LD_LIBRARY_PATH=%s/lib timeout -s KILL 10 %s/pbctl %s 2>%s/.stderr",
		 PB_BUILD_DIR, PB_BUILD_DIR, args, root);
	f = popen(cmd, "r");
	ck_assert(f);
	n = fread(out, 1, outsz - 1, f);
	out[n] = '\0';
	st = pclose(f);
	ck_assert(WIFEXITED(st));
	snprintf(err, sizeof(err), "%s", got(".stderr"));
	memcpy(lines, err, sizeof(lines));
	for (line = strtok_r(lines, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		ck_assert_msg(!strncmp(line, "pbctl: ", 7),
			      "stderr line without \"pbctl: \": %s", line);
	return WEXITSTATUS(st);
}

#define assert_err(s)	ck_assert_msg(strstr(err, s), "no \"%s\" in stderr: %s", s, err)
#define assert_out(o, s) ck_assert_msg(strstr(o, s), "no \"%s\" in: %s", s, o)

/* ---- the fake kernel ------------------------------------------------------ */

/*
 * One write the kernel takes: the FIFO pbctl writes, and where the
 * device's driver link points just before (NULL: unchanged, "": none).
 * pbctl cannot finish opening the FIFO before then, so it sees the link
 * change exactly between its previous write and this one.  With @reply,
 * pbctl reads the FIFO instead and gets @reply (not logged).
 */
struct kstep {
	const char *fifo;
	const char *driver;
	const char *reply;
};

static pid_t kernel_pid;

static void kernel_start(const struct kstep *steps, unsigned int n)
{
	char path[512], text[256];
	unsigned int i;
	FILE *log;
	ssize_t len;
	int fd;

	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", root, steps[i].fifo);
		unlink(path);
		if (mkfifo(path, 0600))
			ck_assert_int_eq(errno, EEXIST);	/* a step again */
	}
	kernel_pid = fork();
	ck_assert_int_ge(kernel_pid, 0);
	if (kernel_pid)
		return;
	alarm(10);	/* never outlive a test that timed out */
	snprintf(path, sizeof(path), "%s/.klog", root);
	log = fopen(path, "w");
	for (i = 0; log && i < n; i++) {
		if (steps[i].driver && !*steps[i].driver) {
			snprintf(path, sizeof(path), "%s/" DEVDIR "/driver", root);
			unlink(path);
		} else if (steps[i].driver) {
			snprintf(text, sizeof(text), "../../drivers/%s",
				 steps[i].driver);
			snprintf(path, sizeof(path), "%s/" DEVDIR "/driver", root);
			unlink(path);
			if (symlink(text, path))
				break;
		}
		snprintf(path, sizeof(path), "%s/%s", root, steps[i].fifo);
		if (steps[i].reply) {
			fd = open(path, O_WRONLY);
			len = strlen(steps[i].reply);
			if (fd < 0 || write(fd, steps[i].reply, len) != len)
				break;
			close(fd);
			continue;
		}
		fd = open(path, O_RDONLY);
		len = fd < 0 ? -1 : read(fd, text, sizeof(text) - 1);
		if (len < 0)
			break;
		text[len] = '\0';
		close(fd);
		fprintf(log, "%s=%s\n", steps[i].fifo, text);
		fflush(log);
	}
	_exit(0);
}

/*
 * What the kernel was told, one "file=text" line a write.  It logs the
 * last write after pbctl is done with it: give it a second to finish, and
 * stop it if it still waits for a write that never comes.
 */
static const char *kernel_stop(void)
{
	int i;

	for (i = 0; i < 100 && !waitpid(kernel_pid, NULL, WNOHANG); i++)
		usleep(10000);
	if (i == 100) {
		kill(kernel_pid, SIGKILL);
		waitpid(kernel_pid, NULL, 0);
	}
	return got(".klog");
}

/* ---- usage ---------------------------------------------------------------- */

START_TEST(help_exits_0_and_lists_every_command)
{
	static const char *const cmds[] = {
		"list", "bind", "unbind", "exports", "copy", "check", "topo",
		"doctor", "help",
	};
	char out[8192], want[32];
	unsigned int i;

	ck_assert_int_eq(run(out, sizeof(out), "--help"), 0);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		snprintf(want, sizeof(want), "\n  %s", cmds[i]);
		assert_out(out, want);
	}
	ck_assert_str_eq(err, "");
}
END_TEST

START_TEST(no_command_exits_2)
{
	char out[4096];

	ck_assert_int_eq(run(out, sizeof(out), ""), 2);
	assert_err("pbctl: no command given");
	ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(unknown_command_exits_2)
{
	char out[4096];

	ck_assert_int_eq(run(out, sizeof(out), "frobnicate"), 2);
	assert_err("pbctl: unknown command 'frobnicate'");
}
END_TEST

START_TEST(unknown_option_exits_2_with_pbctls_own_message)
{
	char out[4096];

	ck_assert_int_eq(run(out, sizeof(out), "--bogus list"), 2);
	assert_err("pbctl: list: unknown option '--bogus'");
	ck_assert_ptr_null(strstr(err, "unrecognized"));	/* getopt's */
}
END_TEST

START_TEST(unknown_short_option_is_named_and_exits_2)
{
	char out[4096];

	ck_assert_int_eq(run(out, sizeof(out), "list -x"), 2);
	assert_err("pbctl: list: unknown option '-x'");
}
END_TEST

START_TEST(option_of_another_command_exits_2)
{
	char out[4096];

	ck_assert_int_eq(run(out, sizeof(out), "list --force"), 2);
	assert_err("pbctl: list: unknown option '--force'");
}
END_TEST

START_TEST(value_for_an_option_without_one_exits_2)
{
	char out[4096];

	ck_assert_int_eq(run(out, sizeof(out), "--json=yes list"), 2);
	assert_err("pbctl: list: option '--json' takes no value");
}
END_TEST

START_TEST(missing_operand_exits_2)
{
	char out[4096];

	ck_assert_int_eq(run(out, sizeof(out), "bind"), 2);
	assert_err("pbctl: bind: missing operand");
	assert_err("usage: pbctl bind <BDF>");
}
END_TEST

START_TEST(extra_operand_exits_2)
{
	char out[4096];

	ck_assert_int_eq(run(out, sizeof(out), "bind 03:00.0 04:00.0"), 2);
	assert_err("pbctl: bind: unexpected operand '04:00.0'");
}
END_TEST

START_TEST(json_option_after_the_command_is_the_same)
{
	char before[4096], after[4096];

	fake_module();
	fake_region("0000:03:00.0-bar2", DEV, "2\n", "67108864\n", true);
	ck_assert_int_eq(run(before, sizeof(before), "-j list"), 0);
	ck_assert_int_eq(run(after, sizeof(after), "list -j"), 0);
	ck_assert_str_eq(before, after);
	assert_out(after, "{\"schema\": 2, \"regions\": [");
}
END_TEST

START_TEST(command_help_prints_its_usage_to_stdout_and_exits_0)
{
	char out[4096];

	ck_assert_int_eq(run(out, sizeof(out), "bind --help"), 0);
	assert_out(out, "usage: pbctl [-j|--json] bind [-f|--force] <BDF>\n");
	assert_out(out, "--force");
	ck_assert_str_eq(err, "");
}
END_TEST

START_TEST(help_command_prints_that_commands_usage)
{
	char out[4096];

	ck_assert_int_eq(run(out, sizeof(out), "-j help copy"), 0);
	assert_out(out, "usage: pbctl [-j|--json] copy [--verify] <src> <dst> <len>\n");
	ck_assert_ptr_null(strstr(out, "schema"));
}
END_TEST

START_TEST(help_of_an_unknown_command_exits_2)
{
	char out[4096];

	ck_assert_int_eq(run(out, sizeof(out), "help frobnicate"), 2);
	assert_err("pbctl: help: unknown command 'frobnicate'");
}
END_TEST

START_TEST(version_without_module_says_not_loaded_and_exits_0)
{
	char out[4096];

	/* the host never has /dev/peerbridge: the module runs in VMs only */
	ck_assert_int_eq(run(out, sizeof(out), "--version"), 0);
	ck_assert_str_eq(out, "pbctl: " PB_VERSION "\nlibpeerbridge: " PB_VERSION
			 "\npeerbridge.ko loaded: no\npeerbridge.ko ABI: -\n");
	ck_assert_str_eq(err, "");
}
END_TEST

START_TEST(version_json_has_null_module_abi_without_module)
{
	char out[4096];

	ck_assert_int_eq(run(out, sizeof(out), "--version -j"), 0);
	ck_assert_str_eq(out, "{\"schema\": 2, \"version\": {\"pbctl\": \"" PB_VERSION
			 "\", \"library\": \"" PB_VERSION "\", \"module_loaded\": false, "
			 "\"module_abi\": null}}\n");
}
END_TEST

START_TEST(version_with_a_command_exits_2)
{
	char out[4096];

	ck_assert_int_eq(run(out, sizeof(out), "list --version"), 2);
	assert_err("pbctl: --version takes no command");
}
END_TEST

/* ---- sizes and copy sides -------------------------------------------------- */

START_TEST(copy_malformed_side_exits_2)
{
	char out[4096];

	ck_assert_int_eq(run(out, sizeof(out), "copy a/b host 4K"), 2);
	assert_err("pbctl: copy: <src> 'a/b' is not a copy side");
}
END_TEST

START_TEST(copy_side_without_region_exits_2)
{
	char out[4096];

	ck_assert_int_eq(run(out, sizeof(out), "copy host @12 4K"), 2);
	assert_err("pbctl: copy: <dst> '@12' is not a copy side");
}
END_TEST

START_TEST(copy_bad_offset_exits_2_naming_it)
{
	char out[4096];

	ck_assert_int_eq(run(out, sizeof(out), "copy a-bar2@x host 4K"), 2);
	assert_err("pbctl: copy: offset of <src> 'x' is not a size");
}
END_TEST

START_TEST(copy_bad_length_exits_2_naming_it)
{
	char out[4096];

	ck_assert_int_eq(run(out, sizeof(out), "copy host host 4Q"), 2);
	assert_err("pbctl: copy: <len> '4Q' is not a nonzero size");
}
END_TEST

START_TEST(copy_zero_length_exits_2)
{
	char out[4096];

	ck_assert_int_eq(run(out, sizeof(out), "copy host host 0"), 2);
	assert_err("pbctl: copy: <len> '0' is not a nonzero size");
}
END_TEST

/* every form pb_parse_size takes gets past parsing, to the missing module */
START_TEST(copy_sizes_go_through_the_size_parser)
{
	static const char *const ok[] = {
		"copy host host 1.5K", "copy host host 0x1000",
		"copy host host 4KiB", "copy a-bar2@1M host 4kB",
	};
	char out[4096];
	unsigned int i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		ck_assert_msg(run(out, sizeof(out), ok[i]) == 1, "%s: %s", ok[i], err);
}
END_TEST

START_TEST(copy_unknown_option_exits_2)
{
	char out[4096];

	ck_assert_int_eq(run(out, sizeof(out), "copy host host 4K --fast"), 2);
	assert_err("pbctl: copy: unknown option '--fast'");
}
END_TEST

START_TEST(copy_without_module_is_runtime_exit_1)
{
	char out[4096];

	/* the host never has /dev/peerbridge: the module runs in VMs only */
	ck_assert_int_eq(run(out, sizeof(out), "copy host host 4K --verify"), 1);
	ck_assert_str_eq(out, "");
	assert_err("peerbridge.ko is not loaded");
}
END_TEST

START_TEST(check_bad_validate_length_exits_2_naming_it)
{
	char out[4096];

	ck_assert_int_eq(run(out, sizeof(out), "check 03:00.0 03:00.0 --validate=x"), 2);
	assert_err("pbctl: check: --validate 'x' is not a nonzero size");
}
END_TEST

START_TEST(check_missing_importer_exits_2)
{
	char out[4096];

	ck_assert_int_eq(run(out, sizeof(out), "check 03:00.0"), 2);
	assert_err("pbctl: check: missing operand");
}
END_TEST

START_TEST(check_and_topo_without_module_are_runtime_exit_1)
{
	char out[4096];

	ck_assert_int_eq(run(out, sizeof(out), "check 03:00.0 03:00.0 --validate"), 1);
	ck_assert_int_eq(run(out, sizeof(out), "-j topo"), 1);
	ck_assert_str_eq(out, "");
}
END_TEST

/* ---- list ------------------------------------------------------------------ */

START_TEST(list_without_module_exits_1_and_says_not_loaded)
{
	char out[4096];

	ck_assert_int_eq(run(out, sizeof(out), "list"), 1);
	ck_assert_str_eq(err, "pbctl: peerbridge.ko is not loaded (modprobe peerbridge)\n");
	ck_assert_int_eq(run(out, sizeof(out), "-j list"), 1);
	ck_assert_str_eq(out, "");
}
END_TEST

/* a root longer than any path: refused by name, not written past a buffer */
START_TEST(list_with_a_sysfs_root_longer_than_path_max_exits_1)
{
	char out[4096], *longroot = malloc(5001);

	ck_assert(longroot);
	memset(longroot, 'x', 5000);
	longroot[0] = '/';
	longroot[5000] = '\0';
	setenv("PEERBRIDGE_SYSFS", longroot, 1);
	ck_assert_int_eq(run(out, sizeof(out), "list"), 1);
	setenv("PEERBRIDGE_SYSFS", root, 1);
	assert_err("File name too long");
	ck_assert_str_eq(out, "");
	free(longroot);
}
END_TEST

/* root (sudo -E) must not take a tree others can change for sysfs */
START_TEST(world_writable_sysfs_root_is_ignored_with_a_warning)
{
	char out[4096];

	fake_module();
	fake_region("0000:03:00.0-bar2", DEV, "2\n", "67108864\n", true);
	ck_assert_int_eq(chmod(root, 0777), 0);
	/* the host's /sys has no peerbridge: the module runs in VMs only */
	ck_assert_int_eq(run(out, sizeof(out), "list"), 1);
	chmod(root, 0700);
	assert_err("pbctl: ignoring $PEERBRIDGE_SYSFS: not a directory of yours that only you can write; using /sys\n");
	assert_err("peerbridge.ko is not loaded");
	ck_assert_ptr_null(strstr(out, "bar2"));
}
END_TEST

START_TEST(bind_does_not_write_through_a_symlinked_attribute)
{
	char out[4096], outside[600];
	FILE *f;

	fake_module();
	fake_driver(NULL);
	/* a file outside the tree, which driver_override leads to */
	snprintf(outside, sizeof(outside), "%s.outside", root);
	f = fopen(outside, "w");
	ck_assert(f && fputs("(null)\n", f) >= 0 && !fclose(f));
	link_to(DEVDIR "/driver_override", outside);
	ck_assert_int_eq(run(out, sizeof(out), "bind 03:00.0"), 1);
	assert_err("pbctl: 0000:03:00.0: cannot set driver_override: Too many levels of symbolic links");
	ck_assert_str_eq(got(DEVDIR "/driver_override"), "(null)\n");
	unlink(outside);
}
END_TEST

START_TEST(list_with_module_and_no_regions_says_so_and_exits_0)
{
	char out[4096];

	fake_module();
	ck_assert_int_eq(run(out, sizeof(out), "list"), 0);
	ck_assert_str_eq(out, "no regions (bind a device: pbctl bind <BDF>)\n");
	ck_assert_int_eq(run(out, sizeof(out), "-j list"), 0);
	ck_assert_str_eq(out, "{\"schema\": 2, \"regions\": []}\n");
}
END_TEST

START_TEST(list_text_shows_regions_sorted_with_human_sizes)
{
	char out[4096];

	fake_module();
	fake_pci("0000:06:00.0", "0xf00f\n", "0x0001\n");
	fake_region("0000:06:00.0-cmb", "0000:06:00.0", "2\n", "16777216\n", true);
	fake_region("0000:03:00.0-bar2", DEV, "2\n", "67108864\n", true);
	fake_region("0000:05:00.0-vram", "0000:05:00.0", "0\n", "16777216\n", false);
	ck_assert_int_eq(run(out, sizeof(out), "list"), 0);
	ck_assert_msg(!strncmp(out,
		"REGION             DEVICE        BAR  OFFSET  SIZE  STATE  WC   EXPORTS  ATTACHED  NODE                          PCI ID     VENDOR",
		strlen("REGION             DEVICE        BAR  OFFSET  SIZE  STATE  WC   EXPORTS  ATTACHED  NODE                          PCI ID     VENDOR")),
		"%s", out);
	assert_out(out, "\n0000:03:00.0-bar2  0000:03:00.0  2    0       64M   live   yes  2        1         /dev/pbmem/0000:03:00.0-bar2  1af4:1110  ");
	/* no such PCI device: no identity */
	assert_out(out, "\n0000:05:00.0-vram  0000:05:00.0  0    0       16M   live   yes  2        1         -                             -          -");
	assert_out(out, "\n0000:06:00.0-cmb   0000:06:00.0  2    0       16M   live   yes  2        1         /dev/pbmem/0000:06:00.0-cmb   f00f:0001  -");
	ck_assert_str_eq(err, "");
}
END_TEST

START_TEST(list_json_carries_exact_bytes_and_pci_identity)
{
	char out[4096], want[512], vendor[128], product[128];
	struct pci_access *pacc = pci_alloc();
	const char *v, *d;

	pci_init(pacc);
	v = pb_pci_name(pacc, vendor, sizeof(vendor), 0x1af4, -1);
	d = pb_pci_name(pacc, product, sizeof(product), 0x1af4, 0x1110);
	/* names as this machine's PCI ID database has them, or null */
	snprintf(want, sizeof(want),
		 "{\"schema\": 2, \"regions\": [{\"name\": \"0000:03:00.0-bar2\", "
		 "\"device\": \"0000:03:00.0\", \"bar\": 2, \"offset\": 0, "
		 "\"size\": 67108864, \"state\": \"live\", \"write_combining\": true, "
		 "\"exports\": 2, \"attachments\": 1, "
		 "\"node\": \"/dev/pbmem/0000:03:00.0-bar2\", \"pci_id\": \"1af4:1110\", "
		 "\"vendor\": %s%s%s, \"product\": %s%s%s}]}\n",
		 v ? "\"" : "", v ? v : "null", v ? "\"" : "",
		 d ? "\"" : "", d ? d : "null", d ? "\"" : "");
	pci_cleanup(pacc);
	fake_module();
	fake_region("0000:03:00.0-bar2", DEV, "2\n", "67108864\n", true);
	ck_assert_int_eq(run(out, sizeof(out), "--json list"), 0);
	ck_assert_str_eq(out, want);
}
END_TEST

START_TEST(list_unknown_pci_id_has_hex_id_and_null_names)
{
	char out[4096];

	fake_module();
	fake_pci("0000:06:00.0", "0xf00f\n", "0x0001\n");
	fake_region("0000:06:00.0-cmb", "0000:06:00.0", "2\n", "16777216\n", true);
	ck_assert_int_eq(run(out, sizeof(out), "-j list"), 0);
	assert_out(out, "\"pci_id\": \"f00f:0001\", \"vendor\": null, \"product\": null}");
}
END_TEST

START_TEST(list_region_without_node_has_null_node)
{
	char out[4096];

	fake_module();
	fake_region("0000:05:00.0-vram", "0000:05:00.0", "0\n", "16777216\n", false);
	ck_assert_int_eq(run(out, sizeof(out), "-j list"), 0);
	assert_out(out, "\"attachments\": 1, \"node\": null, ");
}
END_TEST

START_TEST(list_unreadable_attribute_is_null_with_a_warning_and_exit_0)
{
	char out[4096], path[512];

	fake_module();
	fake_region("0000:03:00.0-bar2", DEV, "2\n", "67108864\n", true);
	snprintf(path, sizeof(path), "%s/class/pbmem/0000:03:00.0-bar2/size", root);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(run(out, sizeof(out), "-j list"), 0);
	assert_out(out, "\"offset\": 0, \"size\": null, \"state\": \"live\"");
	ck_assert_str_eq(err, "pbctl: 0000:03:00.0-bar2: cannot read its size: No such file or directory\n");
	ck_assert_int_eq(run(out, sizeof(out), "list"), 0);
	assert_out(out, "  0       ?     live");
}
END_TEST

/* ---- exports --------------------------------------------------------------- */

static const char holders_text[] =
	"pins 3\n"
	"dmabuf ino=4242 pid=77 offset=0x4000 len=0x8000 ranges=1 mode=rw state=live importers=0000:04:00.0:pinned:mapped,0000:05:00.0:dynamic:idle\n"
	"dmabuf ino=4243 pid=78 offset=0x0 len=0x1000 ranges=2 mode=ro state=revoked importers=-\n"
	"mapping device=0000:04:00.0 pid=77 offset=0x0 len=0x1000 ranges=1 state=live\n";

START_TEST(exports_json_parses_every_dmabuf_of_every_region)
{
	char out[4096];

	fake_module();
	fake_region("0000:03:00.0-bar2", DEV, "2\n", "67108864\n", true);
	put("class/pbmem/0000:03:00.0-bar2/holders", holders_text);
	ck_assert_int_eq(run(out, sizeof(out), "-j exports"), 0);
	assert_out(out, "{\"region\": \"0000:03:00.0-bar2\", \"pid\": 77, "
		   "\"offset\": 16384, \"length\": 32768, \"ranges\": 1, "
		   "\"mode\": \"rw\", \"state\": \"live\", \"importers\": "
		   "[\"0000:04:00.0:pinned:mapped\", \"0000:05:00.0:dynamic:idle\"], "
		   "\"inode\": 4242}");
	assert_out(out, "\"state\": \"revoked\", \"importers\": [], \"inode\": 4243}");
	/* importer mappings are not exports */
	ck_assert_ptr_null(strstr(out, "mapping"));
}
END_TEST

START_TEST(exports_absent_fields_are_null)
{
	char out[4096];

	fake_module();
	fake_region("0000:03:00.0-bar2", DEV, "2\n", "67108864\n", true);
	put("class/pbmem/0000:03:00.0-bar2/holders", "dmabuf ino=7 state=live\n");
	ck_assert_int_eq(run(out, sizeof(out), "-j exports"), 0);
	assert_out(out, "\"pid\": null, \"offset\": null, \"length\": null, "
		   "\"ranges\": null, \"mode\": null, \"state\": \"live\", "
		   "\"importers\": [], \"inode\": 7}");
}
END_TEST

START_TEST(exports_text_is_a_table_for_people)
{
	char out[4096];

	fake_module();
	fake_region("0000:03:00.0-bar2", DEV, "2\n", "67108864\n", true);
	put("class/pbmem/0000:03:00.0-bar2/holders", holders_text);
	ck_assert_int_eq(run(out, sizeof(out), "exports"), 0);
	ck_assert_msg(strstr(out, "REGION") && strstr(out, "32K") &&
		      strstr(out, "0000:04:00.0:pinned:mapped,0000:05:00.0:dynamic:idle"),
		      "%.3000s", out);
}
END_TEST

START_TEST(exports_with_module_and_none_says_so)
{
	char out[4096];

	fake_module();
	ck_assert_int_eq(run(out, sizeof(out), "exports"), 0);
	ck_assert_str_eq(out, "no exports\n");
	ck_assert_int_eq(run(out, sizeof(out), "-j exports"), 0);
	ck_assert_str_eq(out, "{\"schema\": 2, \"exports\": []}\n");
}
END_TEST

START_TEST(exports_without_module_exits_1_and_says_not_loaded)
{
	char out[4096];

	ck_assert_int_eq(run(out, sizeof(out), "exports"), 1);
	assert_err("pbctl: peerbridge.ko is not loaded");
}
END_TEST

/* ---- bind and unbind ------------------------------------------------------- */

START_TEST(bind_malformed_bdf_exits_2)
{
	char out[4096];

	ck_assert_int_eq(run(out, sizeof(out), "bind 03:00.9"), 2);
	assert_err("pbctl: bind: '03:00.9' is not a PCI address");
}
END_TEST

START_TEST(bind_absent_device_exits_1)
{
	char out[4096];

	ck_assert_int_eq(run(out, sizeof(out), "bind 04:00.0"), 1);
	assert_err("pbctl: no PCI device 0000:04:00.0");
}
END_TEST

START_TEST(bind_without_module_says_to_load_it)
{
	char out[4096];

	ck_assert_int_eq(run(out, sizeof(out), "bind 03:00.0"), 1);
	assert_err("pbctl: peerbridge.ko is not loaded (modprobe peerbridge)");
}
END_TEST

START_TEST(bind_bdf_without_domain_means_domain_0)
{
	char out[4096];

	fake_module();
	fake_driver("peerbridge");
	ck_assert_int_eq(run(out, sizeof(out), "-j bind 3:0.0"), 0);
	ck_assert_str_eq(out, "{\"schema\": 2, \"binding\": {\"device\": \"0000:03:00.0\", "
			 "\"driver\": \"peerbridge\", \"previous_driver\": \"peerbridge\"}}\n");
}
END_TEST

START_TEST(bind_refuses_a_device_whose_interface_is_up)
{
	char out[4096];

	fake_module();
	fake_driver("e1000e");
	dir(DEVDIR "/net/eth9");
	put(DEVDIR "/net/eth9/flags", "0x1003\n");
	ck_assert_int_eq(run(out, sizeof(out), "bind 03:00.0"), 1);
	assert_err("pbctl: 0000:03:00.0 is in use: network interface eth9 is up;");
	assert_err("--force");
	ck_assert_str_eq(got(DEVDIR "/driver_override"), "(null)\n");
}
END_TEST

START_TEST(bind_takes_a_device_whose_interface_is_down)
{
	char out[4096];

	fake_module();
	fake_driver(NULL);
	dir(DEVDIR "/net/eth9");
	put(DEVDIR "/net/eth9/flags", "0x1002\n");
	ck_assert_int_eq(run(out, sizeof(out), "bind 03:00.0"), 1);
	ck_assert_ptr_null(strstr(err, "in use"));
	assert_err("peerbridge did not bind");
}
END_TEST

/* PID 1's mounts: those of the host, also from a container */
START_TEST(bind_refuses_a_device_with_a_disk_mounted_in_pid_1s_namespace)
{
	char out[4096];

	fake_module();
	fake_driver("nvme");
	dir(DEVDIR "/nvme/nvme0/nvme0n1/holders");
	put(DEVDIR "/nvme/nvme0/nvme0n1/dev", "259:0\n");
	dir(".host/proc/1");
	put(".host/proc/1/mountinfo",
	    "36 25 259:0 / /data rw,relatime shared:1 - ext4 /dev/nvme0n1 rw\n");
	dir(".host/proc/self");
	put(".host/proc/self/mountinfo", "");
	ck_assert_int_eq(run(out, sizeof(out), "bind 03:00.0"), 1);
	assert_err("pbctl: 0000:03:00.0 is in use: block device nvme0n1 is mounted on /data;");
}
END_TEST

/*
 * Native NVMe multipath: the disk people mount is the subsystem's
 * nvme0n1, not the hidden path disk nvme0c0n1 below the controller.
 */
START_TEST(bind_refuses_an_nvme_controller_whose_subsystem_disk_is_mounted)
{
	static const char *const subsys[][3] = {
		/* subsystem, its controller, its disk's number */
		{ "nvme-subsys0", "nvme0", "259:1" },
		{ "nvme-subsys1", "nvme1", "259:2" },	/* another device's */
	};
	char out[4096], rel[256], target[256];
	unsigned int i;

	fake_module();
	fake_driver("nvme");
	dir(DEVDIR "/nvme/nvme0/nvme0c0n1/holders");
	put(DEVDIR "/nvme/nvme0/nvme0c0n1/dev", "259:9\n");
	dir("class/nvme-subsystem");
	for (i = 0; i < 2; i++) {
		snprintf(rel, sizeof(rel), "devices/virtual/nvme-subsystem/%s/%sn1/holders",
			 subsys[i][0], subsys[i][1]);
		dir(rel);
		snprintf(rel, sizeof(rel), "devices/virtual/nvme-subsystem/%s/%sn1/dev",
			 subsys[i][0], subsys[i][1]);
		put(rel, subsys[i][2]);
		snprintf(rel, sizeof(rel), "devices/virtual/nvme-subsystem/%s/%s",
			 subsys[i][0], subsys[i][1]);
		snprintf(target, sizeof(target), "../../../pci0000:00/0000:0%u:00.0/nvme/%s",
			 3 + i, subsys[i][1]);
		link_to(rel, target);
		snprintf(rel, sizeof(rel), "class/nvme-subsystem/%s", subsys[i][0]);
		snprintf(target, sizeof(target), "../../devices/virtual/nvme-subsystem/%s",
			 subsys[i][0]);
		link_to(rel, target);
	}
	dir(".host/proc/1");
	put(".host/proc/1/mountinfo",
	    "36 25 259:1 / /srv rw - xfs /dev/nvme0n1 rw\n"
	    "37 25 259:2 / /home rw - xfs /dev/nvme1n1 rw\n");
	ck_assert_int_eq(run(out, sizeof(out), "bind 03:00.0"), 1);
	assert_err("pbctl: 0000:03:00.0 is in use: block device nvme0n1 is mounted on /srv;");
	ck_assert_ptr_null(strstr(err, "nvme1n1"));
	ck_assert_ptr_null(strstr(err, "nvme0c0n1"));
}
END_TEST

START_TEST(bind_refuses_a_device_with_swap_on_a_partition)
{
	char out[4096];

	fake_module();
	fake_driver("nvme");
	dir(DEVDIR "/nvme/nvme0/nvme0n1/nvme0n1p2/holders");
	put(DEVDIR "/nvme/nvme0/nvme0n1/nvme0n1p2/dev", "259:2\n");
	dir(".host/proc");
	put(".host/proc/swaps",
	    "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
	    "/dev/nvme0n1p2                          partition\t8388604\t\t0\t\t-2\n");
	ck_assert_int_eq(run(out, sizeof(out), "bind 03:00.0"), 1);
	assert_err("pbctl: 0000:03:00.0 is in use: block device nvme0n1p2 is in use as swap;");
}
END_TEST

/*
 * ZFS, nvmet or a raw O_EXCL open hold a disk without holders or a
 * mount: the disk's node refuses an exclusive open.  This test holds an
 * idle loop device so (for the one run), and the fake disk's node is
 * that device's.
 */
START_TEST(bind_refuses_a_disk_that_is_open_exclusively)
{
	char out[4096], path[600], devno[32];
	struct stat st;
	int i, hold = -1;

	for (i = 7; i >= 0 && hold < 0; i--) {
		snprintf(path, sizeof(path), "/sys/block/loop%d/loop", i);
		if (!access(path, F_OK))
			continue;	/* attached: someone's */
		snprintf(path, sizeof(path), "/dev/loop%d", i);
		hold = open(path, O_RDONLY | O_EXCL | O_NONBLOCK | O_CLOEXEC);
	}
	snprintf(path, sizeof(path), "%s/.host/dev/nvme0n1", root);
	dir(".host/dev");
	if (hold < 0 || fstat(hold, &st) ||
	    mknod(path, S_IFBLK | 0600, st.st_rdev)) {
		fprintf(stderr, "bind_refuses_a_disk_that_is_open_exclusively: skipped: no idle loop device to hold, or mknod refused\n");
		if (hold >= 0)
			close(hold);
		return;
	}
	fake_module();
	fake_driver("nvme");
	dir(DEVDIR "/nvme/nvme0/nvme0n1/holders");
	snprintf(devno, sizeof(devno), "%u:%u\n", major(st.st_rdev),
		 minor(st.st_rdev));
	put(DEVDIR "/nvme/nvme0/nvme0n1/dev", devno);
	i = run(out, sizeof(out), "bind 03:00.0");
	close(hold);
	ck_assert_int_eq(i, 1);
	assert_err("pbctl: 0000:03:00.0 is in use: block device nvme0n1 is open exclusively");
}
END_TEST

START_TEST(bind_refuses_a_vfio_device_a_process_has_open)
{
	char out[4096];

	fake_module();
	fake_driver("vfio-pci");
	link_to(DEVDIR "/iommu_group", "../../../../kernel/iommu_groups/12");
	dir(".host/proc/99/fd");
	link_to(".host/proc/99/fd/3", "/dev/vfio/13");
	put(".host/proc/99/comm", "other\n");
	dir(".host/proc/4321/fd");
	link_to(".host/proc/4321/fd/0", "/dev/null");
	link_to(".host/proc/4321/fd/7", "/dev/vfio/12");
	put(".host/proc/4321/comm", "qemu-system-x86\n");
	ck_assert_int_eq(run(out, sizeof(out), "bind 03:00.0"), 1);
	assert_err("pbctl: 0000:03:00.0 is in use: /dev/vfio/12 is open in process 4321 (qemu-system-x86);");
	ck_assert_ptr_null(strstr(err, "other"));
}
END_TEST

START_TEST(bind_refuses_a_device_with_a_held_disk)
{
	char out[4096];

	fake_module();
	fake_driver("nvme");
	dir(DEVDIR "/nvme/nvme0/nvme0n1/nvme0n1p1/holders/dm-0");
	put(DEVDIR "/nvme/nvme0/nvme0n1/nvme0n1p1/dev", "259:1\n");
	ck_assert_int_eq(run(out, sizeof(out), "bind 03:00.0"), 1);
	assert_err("pbctl: 0000:03:00.0 is in use: block device nvme0n1p1 is held by dm-0");
}
END_TEST

START_TEST(bind_refuses_a_gpu_driving_a_display)
{
	char out[4096];

	fake_module();
	fake_driver("amdgpu");
	dir(DEVDIR "/drm/card0/card0-HDMI-A-1");
	put(DEVDIR "/drm/card0/card0-HDMI-A-1/enabled", "enabled\n");
	dir(DEVDIR "/drm/card0/card0-DP-1");
	put(DEVDIR "/drm/card0/card0-DP-1/enabled", "disabled\n");
	ck_assert_int_eq(run(out, sizeof(out), "bind 03:00.0"), 1);
	assert_err("pbctl: 0000:03:00.0 is in use: DRM card card0 drives a display (HDMI-A-1);");
	ck_assert_ptr_null(strstr(err, "DP-1"));
}
END_TEST

START_TEST(bind_force_binds_a_device_in_use_all_the_same)
{
	char out[4096];

	fake_module();
	fake_driver(NULL);
	dir(DEVDIR "/net/eth9");
	put(DEVDIR "/net/eth9/flags", "0x1003\n");
	ck_assert_int_eq(run(out, sizeof(out), "bind --force 03:00.0"), 1);
	assert_err("pbctl: 0000:03:00.0 is in use (network interface eth9 is up): binding it all the same (--force)");
	assert_err("peerbridge did not bind");
	ck_assert_str_eq(got("bus/pci/drivers_probe"), DEV);
}
END_TEST

START_TEST(bind_moves_a_device_from_its_driver_to_peerbridge)
{
	static const struct kstep steps[] = {
		{ DEVDIR "/driver_override", NULL, "(null)\n" },
		{ DEVDIR "/driver_override", NULL, NULL },
		{ "bus/pci/drivers/nvme/unbind", NULL, NULL },
		{ "bus/pci/drivers_probe", "peerbridge", NULL },
	};
	char out[4096];

	fake_module();
	fake_driver("nvme");
	kernel_start(steps, 4);
	ck_assert_int_eq(run(out, sizeof(out), "-j bind 03:00.0"), 0);
	ck_assert_str_eq(kernel_stop(),
			 DEVDIR "/driver_override=peerbridge\n"
			 "bus/pci/drivers/nvme/unbind=" DEV "\n"
			 "bus/pci/drivers_probe=" DEV "\n");
	ck_assert_str_eq(out, "{\"schema\": 2, \"binding\": {\"device\": \"0000:03:00.0\", "
			 "\"driver\": \"peerbridge\", \"previous_driver\": \"nvme\"}}\n");
}
END_TEST

START_TEST(bind_probe_failure_rolls_back_driver)
{
	static const struct kstep steps[] = {
		{ DEVDIR "/driver_override", NULL, "(null)\n" },
		{ DEVDIR "/driver_override", NULL, NULL },
		{ "bus/pci/drivers/nvme/unbind", NULL, NULL },
		{ "bus/pci/drivers_probe", "", NULL },	/* unbound, not probed */
		{ DEVDIR "/driver_override", NULL, NULL },
		{ "bus/pci/drivers/nvme/bind", "nvme", NULL },
	};
	char out[4096];

	fake_module();
	fake_driver("nvme");
	kernel_start(steps, 6);
	ck_assert_int_eq(run(out, sizeof(out), "bind 03:00.0"), 1);
	ck_assert_str_eq(kernel_stop(),
			 DEVDIR "/driver_override=peerbridge\n"
			 "bus/pci/drivers/nvme/unbind=" DEV "\n"
			 "bus/pci/drivers_probe=" DEV "\n"
			 DEVDIR "/driver_override=\n\n"
			 "bus/pci/drivers/nvme/bind=" DEV "\n");
	ck_assert_str_eq(err,
		"pbctl: 0000:03:00.0: peerbridge did not bind (driver now: none); see dmesg\n"
		"pbctl: 0000:03:00.0: rolled back: driver_override cleared, bound to nvme again\n");
	ck_assert_str_eq(out, "");
}
END_TEST

/* what driver_override said before comes back, and so does its driver */
START_TEST(bind_probe_failure_restores_driver_override)
{
	static const struct kstep steps[] = {
		{ DEVDIR "/driver_override", NULL, "vfio-pci\n" },
		{ DEVDIR "/driver_override", NULL, NULL },
		{ "bus/pci/drivers/vfio-pci/unbind", NULL, NULL },
		{ "bus/pci/drivers_probe", "", NULL },	/* unbound, not probed */
		{ DEVDIR "/driver_override", NULL, NULL },
		{ "bus/pci/drivers/vfio-pci/bind", "vfio-pci", NULL },
	};
	char out[4096];

	fake_module();
	fake_driver("vfio-pci");
	kernel_start(steps, 6);
	ck_assert_int_eq(run(out, sizeof(out), "bind 03:00.0"), 1);
	ck_assert_str_eq(kernel_stop(),
			 DEVDIR "/driver_override=peerbridge\n"
			 "bus/pci/drivers/vfio-pci/unbind=" DEV "\n"
			 "bus/pci/drivers_probe=" DEV "\n"
			 DEVDIR "/driver_override=vfio-pci\n"
			 "bus/pci/drivers/vfio-pci/bind=" DEV "\n");
	ck_assert_str_eq(err,
		"pbctl: 0000:03:00.0: peerbridge did not bind (driver now: none); see dmesg\n"
		"pbctl: 0000:03:00.0: rolled back: driver_override restored to vfio-pci, bound to vfio-pci again\n");
}
END_TEST

START_TEST(bind_failed_rollback_says_the_device_is_driverless)
{
	static const struct kstep steps[] = {
		{ DEVDIR "/driver_override", NULL, "(null)\n" },
		{ DEVDIR "/driver_override", NULL, NULL },
		{ "bus/pci/drivers/nvme/unbind", NULL, NULL },
		{ "bus/pci/drivers_probe", "", NULL },
		{ DEVDIR "/driver_override", NULL, NULL },
		{ "bus/pci/drivers/nvme/bind", NULL, NULL },	/* nvme's probe fails */
	};
	char out[4096];

	fake_module();
	fake_driver("nvme");
	kernel_start(steps, 6);
	ck_assert_int_eq(run(out, sizeof(out), "bind 03:00.0"), 1);
	kernel_stop();
	assert_err("pbctl: 0000:03:00.0: rollback failed: nvme did not take it back (no error; driver now: none); driver_override cleared\n");
}
END_TEST

START_TEST(bind_probe_failure_without_a_driver_clears_driver_override)
{
	char out[4096];

	fake_module();
	fake_driver(NULL);
	ck_assert_int_eq(run(out, sizeof(out), "bind 03:00.0"), 1);
	assert_err("pbctl: 0000:03:00.0: rolled back: driver_override cleared; it had no driver before\n");
	/* sysfs takes each write whole; this file keeps the longer one's tail */
	ck_assert_str_eq(got(DEVDIR "/driver_override"), "\neerbridge");
}
END_TEST

/* bind and unbind take turns: one waits a few seconds, then gives up */
START_TEST(bind_gives_up_while_another_pbctl_holds_the_lock)
{
	char out[4096], path[600];
	int fd;

	fake_module();
	fake_driver(NULL);
	dir(".host/run/lock");
	snprintf(path, sizeof(path), "%s/.host/run/lock/pbctl.lock", root);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(flock(fd, LOCK_EX), 0);
	ck_assert_int_eq(run(out, sizeof(out), "bind 03:00.0"), 1);
	close(fd);
	assert_err("pbctl: another pbctl is binding or unbinding a device (it holds ");
	/* it touched nothing */
	ck_assert_str_eq(got(DEVDIR "/driver_override"), "(null)\n");
	ck_assert_str_eq(got("bus/pci/drivers_probe"), "");
	/* the lock free again, the same bind goes ahead */
	ck_assert_int_eq(run(out, sizeof(out), "bind 03:00.0"), 1);
	assert_err("peerbridge did not bind");
}
END_TEST

START_TEST(unbind_of_unbound_device_exits_1)
{
	char out[4096];

	ck_assert_int_eq(run(out, sizeof(out), "unbind 0000:03:00.0"), 1);
	assert_err("pbctl: 0000:03:00.0 is not bound to peerbridge (driver: none)");
}
END_TEST

START_TEST(unbind_json_driver_is_null_when_no_driver_takes_it)
{
	static const struct kstep steps[] = {
		{ "bus/pci/drivers/peerbridge/unbind", NULL, NULL },
		{ DEVDIR "/driver_override", "", NULL },
		{ "bus/pci/drivers_probe", NULL, NULL },
	};
	char out[4096];

	fake_module();
	fake_driver("peerbridge");
	kernel_start(steps, 3);
	ck_assert_int_eq(run(out, sizeof(out), "-j unbind 03:00.0"), 0);
	kernel_stop();
	ck_assert_str_eq(out, "{\"schema\": 2, \"binding\": {\"device\": \"0000:03:00.0\", "
			 "\"driver\": null, \"previous_driver\": \"peerbridge\"}}\n");
}
END_TEST

START_TEST(failed_json_command_leaves_stdout_empty)
{
	char out[4096];

	ck_assert_int_eq(run(out, sizeof(out), "-j bind 04:00.0"), 1);
	ck_assert_str_eq(out, "");
}
END_TEST

/* ---- libpci failing -------------------------------------------------------- */

/* an entry libpci's sysfs scan cannot parse makes it report an error */
static void fake_bad_pci_entry(void)
{
	dir("bus/pci/devices/garbage");
}

START_TEST(resolve_says_eio_not_enodev_when_libpci_fails)
{
	char bdf[PB_BDF_LEN];

	fake_bad_pci_entry();
	ck_assert_int_eq(pb_resolve_pci("03:00.0", bdf), -1);
	ck_assert_int_eq(errno, EIO);
	ck_assert_msg(strstr(pb_pci_error(), "garbage"), "%s", pb_pci_error());
}
END_TEST

START_TEST(bind_and_doctor_say_libpci_failed_and_exit_1)
{
	char out[16384];

	fake_module();
	fake_driver("nvme");
	fake_bad_pci_entry();
	ck_assert_int_eq(run(out, sizeof(out), "bind 03:00.0"), 1);
	assert_err("pbctl: libpci: sysfs_scan: Couldn't parse entry name garbage");
	ck_assert_int_eq(run(out, sizeof(out), "-j doctor"), 1);
	assert_err("pbctl: libpci: sysfs_scan: Couldn't parse entry name garbage: no PCI devices by class, no names");
}
END_TEST

/* ---- doctor ---------------------------------------------------------------- */

START_TEST(doctor_without_module_fails_that_check_and_runs_every_other)
{
	static const char *const checks[] = {
		"module", "nodes", "p2pdma", "move_notify", "iommu", "lockdown",
		"rdma", "host_bridge", "acs",
	};
	char out[16384], want[64];
	unsigned int i;

	ck_assert_int_eq(run(out, sizeof(out), "-j doctor"), 1);
	ck_assert_msg(strstr(out, "\"check\": \"module\", \"status\": \"FAIL\""),
		      "%.3000s", out);
	for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		snprintf(want, sizeof(want), "\"check\": \"%s\", \"status\": \"",
			 checks[i]);
		ck_assert_msg(strstr(out, want), "no %s in %.3000s", checks[i], out);
	}
	ck_assert_msg(strstr(out, "\"result\": \"FAIL\"}"), "%.3000s", out);
	/* people get a table and the same verdict */
	ck_assert_int_eq(run(out, sizeof(out), "doctor"), 1);
	ck_assert_msg(strstr(out, "WHAT TO DO") && strstr(out, "result: FAIL"),
		      "%.3000s", out);
}
END_TEST

Suite *suite_pbctl(void)
{
	Suite *s = suite_create("pbctl");
	TCase *tc = tcase_create("pbctl");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 10);	/* bind waits 3 s for a held lock */
	tcase_add_test(tc, help_exits_0_and_lists_every_command);
	tcase_add_test(tc, no_command_exits_2);
	tcase_add_test(tc, unknown_command_exits_2);
	tcase_add_test(tc, unknown_option_exits_2_with_pbctls_own_message);
	tcase_add_test(tc, unknown_short_option_is_named_and_exits_2);
	tcase_add_test(tc, option_of_another_command_exits_2);
	tcase_add_test(tc, value_for_an_option_without_one_exits_2);
	tcase_add_test(tc, missing_operand_exits_2);
	tcase_add_test(tc, extra_operand_exits_2);
	tcase_add_test(tc, json_option_after_the_command_is_the_same);
	tcase_add_test(tc, command_help_prints_its_usage_to_stdout_and_exits_0);
	tcase_add_test(tc, help_command_prints_that_commands_usage);
	tcase_add_test(tc, help_of_an_unknown_command_exits_2);
	tcase_add_test(tc, version_without_module_says_not_loaded_and_exits_0);
	tcase_add_test(tc, version_json_has_null_module_abi_without_module);
	tcase_add_test(tc, version_with_a_command_exits_2);
	tcase_add_test(tc, copy_malformed_side_exits_2);
	tcase_add_test(tc, copy_side_without_region_exits_2);
	tcase_add_test(tc, copy_bad_offset_exits_2_naming_it);
	tcase_add_test(tc, copy_bad_length_exits_2_naming_it);
	tcase_add_test(tc, copy_zero_length_exits_2);
	tcase_add_test(tc, copy_sizes_go_through_the_size_parser);
	tcase_add_test(tc, copy_unknown_option_exits_2);
	tcase_add_test(tc, copy_without_module_is_runtime_exit_1);
	tcase_add_test(tc, check_bad_validate_length_exits_2_naming_it);
	tcase_add_test(tc, check_missing_importer_exits_2);
	tcase_add_test(tc, check_and_topo_without_module_are_runtime_exit_1);
	tcase_add_test(tc, list_without_module_exits_1_and_says_not_loaded);
	tcase_add_test(tc, list_with_a_sysfs_root_longer_than_path_max_exits_1);
	tcase_add_test(tc, world_writable_sysfs_root_is_ignored_with_a_warning);
	tcase_add_test(tc, bind_does_not_write_through_a_symlinked_attribute);
	tcase_add_test(tc, list_with_module_and_no_regions_says_so_and_exits_0);
	tcase_add_test(tc, list_text_shows_regions_sorted_with_human_sizes);
	tcase_add_test(tc, list_json_carries_exact_bytes_and_pci_identity);
	tcase_add_test(tc, list_unknown_pci_id_has_hex_id_and_null_names);
	tcase_add_test(tc, list_region_without_node_has_null_node);
	tcase_add_test(tc, list_unreadable_attribute_is_null_with_a_warning_and_exit_0);
	tcase_add_test(tc, exports_json_parses_every_dmabuf_of_every_region);
	tcase_add_test(tc, exports_absent_fields_are_null);
	tcase_add_test(tc, exports_text_is_a_table_for_people);
	tcase_add_test(tc, exports_with_module_and_none_says_so);
	tcase_add_test(tc, exports_without_module_exits_1_and_says_not_loaded);
	tcase_add_test(tc, bind_malformed_bdf_exits_2);
	tcase_add_test(tc, bind_absent_device_exits_1);
	tcase_add_test(tc, bind_without_module_says_to_load_it);
	tcase_add_test(tc, bind_bdf_without_domain_means_domain_0);
	tcase_add_test(tc, bind_refuses_a_device_whose_interface_is_up);
	tcase_add_test(tc, bind_takes_a_device_whose_interface_is_down);
	tcase_add_test(tc, bind_refuses_a_device_with_a_disk_mounted_in_pid_1s_namespace);
	tcase_add_test(tc, bind_refuses_an_nvme_controller_whose_subsystem_disk_is_mounted);
	tcase_add_test(tc, bind_refuses_a_device_with_swap_on_a_partition);
	tcase_add_test(tc, bind_refuses_a_disk_that_is_open_exclusively);
	tcase_add_test(tc, bind_refuses_a_vfio_device_a_process_has_open);
	tcase_add_test(tc, bind_refuses_a_device_with_a_held_disk);
	tcase_add_test(tc, bind_refuses_a_gpu_driving_a_display);
	tcase_add_test(tc, bind_force_binds_a_device_in_use_all_the_same);
	tcase_add_test(tc, bind_moves_a_device_from_its_driver_to_peerbridge);
	tcase_add_test(tc, bind_probe_failure_rolls_back_driver);
	tcase_add_test(tc, bind_probe_failure_restores_driver_override);
	tcase_add_test(tc, bind_failed_rollback_says_the_device_is_driverless);
	tcase_add_test(tc, bind_probe_failure_without_a_driver_clears_driver_override);
	tcase_add_test(tc, bind_gives_up_while_another_pbctl_holds_the_lock);
	tcase_add_test(tc, unbind_of_unbound_device_exits_1);
	tcase_add_test(tc, unbind_json_driver_is_null_when_no_driver_takes_it);
	tcase_add_test(tc, failed_json_command_leaves_stdout_empty);
	tcase_add_test(tc, resolve_says_eio_not_enodev_when_libpci_fails);
	tcase_add_test(tc, bind_and_doctor_say_libpci_failed_and_exit_1);
	tcase_add_test(tc, doctor_without_module_fails_that_check_and_runs_every_other);
	suite_add_tcase(s, tc);
	return s;
}
