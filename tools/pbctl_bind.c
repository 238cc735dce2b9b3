// SPDX-License-Identifier: GPL-2.0
/*
 * pbctl bind and unbind: hand a PCI device to peerbridge's generic exporter
 * and back.  bind refuses a device something uses (as dpdk-devbind and
 * driverctl do) and undoes what it did when peerbridge does not take the
 * device, so a failed bind never leaves it driverless.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <pci/pci.h>

#include "pb_util.h"
#include "pbctl.h"
#include "print.h"

/* how long bind and unbind wait for another pbctl's, at most */
#define LOCK_WAIT_MS	3000

/* a device named on the command line, found through libpci */
struct dev_ref {
	int lock;		/* the lock file, -1 when going without */
	struct pci_access *pacc;
	struct pci_dev *d;
	char bdf[PB_BDF_LEN];
	char driver[64];	/* when found: its driver, "" for none */
	char override[64];	/* bind: its driver_override before, "" for none */
};

static void dev_driver(struct dev_ref *r, char *out, size_t outsz);

/*
 * The lock that makes binds and unbinds take turns (two binds of one
 * device would each save and restore the other's state): an flock on
 * /run/lock/pbctl.lock (/run/pbctl.lock without /run/lock), waited for
 * LOCK_WAIT_MS at most.  Without either directory, or with a lock file
 * that is not root's own, it goes without (a warning for the latter).
 * 0 (r->lock set, maybe -1), or the exit status after a message.
 */
static int take_lock(struct dev_ref *r)
{
	static const char *const paths[] = {
		"/run/lock/pbctl.lock", "/run/pbctl.lock",
	};
	char path[PATH_MAX];
	struct stat st;
	unsigned int i;
	int waited;

	r->lock = -1;
	for (i = 0; i < 2 && r->lock < 0; i++) {
		if (host_path(path, "%s", paths[i]))
			continue;
		r->lock = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
			       0600);
		if (r->lock < 0 && errno != ENOENT) {
			err_msg("cannot open %s: %s; going on without the lock",
				path, strerror(errno));
			return 0;
		}
	}
	if (r->lock < 0)
		return 0;	/* no /run/lock, no /run: no other pbctl either */
	if (fstat(r->lock, &st) || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid()) {
		err_msg("%s is not a file of this user's: going on without the lock",
			path);
		close(r->lock);
		r->lock = -1;
		return 0;
	}
	for (waited = 0; flock(r->lock, LOCK_EX | LOCK_NB); waited += 100) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			err_msg("cannot lock %s: %s", path, strerror(errno));
			goto fail;
		}
		if (waited >= LOCK_WAIT_MS) {
			err_msg("another pbctl is binding or unbinding a device (it holds %s): try again when it is done",
				path);
			goto fail;
		}
		usleep(100 * 1000);
	}
	return 0;
fail:
	close(r->lock);
	r->lock = -1;
	return EXIT_RUNTIME;
}

static void dev_close(struct dev_ref *r)
{
	if (r->pacc)
		pci_cleanup(r->pacc);
	if (r->lock >= 0)
		close(r->lock);		/* and the lock with it */
}

/* 0, or the exit status after a message (then nothing to close) */
static int dev_open(const struct invocation *in, struct dev_ref *r)
{
	int ret;

	if (pb_parse_bdf(in->argv[0], r->bdf)) {
		err_msg("%s: '%s' is not a PCI address ([[<domain>:]<bus>:]<slot>.<func>, hex, as lspci -s takes it)",
			in->cmd, in->argv[0]);
		return EXIT_USAGE;
	}
	ret = take_lock(r);
	if (ret)
		return ret;
	r->pacc = pb_pci_open();
	if (!r->pacc) {
		err_msg("libpci: %s", pb_pci_error());
		dev_close(r);
		return EXIT_RUNTIME;
	}
	r->d = pb_pci_find(r->pacc, r->bdf);
	if (!r->d) {
		err_msg("no PCI device %s", r->bdf);
		dev_close(r);
		return EXIT_RUNTIME;
	}
	dev_driver(r, r->driver, sizeof(r->driver));
	return 0;
}

/* the device's driver now, "" when it has none */
static void dev_driver(struct dev_ref *r, char *out, size_t outsz)
{
	const char *drv = NULL;

	if (pb_pci_fill(r->d, PCI_FILL_DRIVER | PCI_FILL_RESCAN) >= 0)
		drv = pci_get_string_property(r->d, PCI_FILL_DRIVER);
	snprintf(out, outsz, "%s", drv ? drv : "");
}

/* write @text to a sysfs file under $PEERBRIDGE_SYSFS; -1 and errno */
static int sysfs_write(const char *text, const char *fmt, const char *arg)
{
	char path[PATH_MAX];

	if (sysfs_path(path, fmt, arg))
		return -1;
	return pb_write_text(path, text);
}

static void pr_binding(struct pr *p, const char *bdf, const char *driver,
		       const char *previous)
{
	pr_obj_begin(p, "binding");
	pr_str(p, "device", "device", bdf);
	pr_str(p, "driver", "driver", *driver ? driver : NULL);
	pr_str(p, "previous_driver", "previous driver",
	       *previous ? previous : NULL);
	pr_obj_end(p);
}

/* ---- in use? --------------------------------------------------------------- */

struct users {
	char text[1024];		/* "network interface eth0 is up; ..." */
};

static void users_add(struct users *u, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void users_add(struct users *u, const char *fmt, ...)
{
	size_t at = strlen(u->text);
	va_list ap;

	if (at)
		at += snprintf(u->text + at, sizeof(u->text) - at, "; ");
	if (at >= sizeof(u->text))
		return;
	va_start(ap, fmt);
	vsnprintf(u->text + at, sizeof(u->text) - at, fmt, ap);
	va_end(ap);
}

/* @dir/@name into @out (PATH_MAX); false when too long */
static bool join(char *out, const char *dir, const char *name)
{
	return snprintf(out, PATH_MAX, "%s/%s", dir, name) < PATH_MAX;
}

/*
 * Where block device number @devno ("M:m") is mounted, into @at.  PID 1's
 * mounts: pbctl in a container or a private mount namespace would miss
 * the host's in its own.  Its own when PID 1's cannot be read.
 */
static bool mounted_at(const char *devno, char *at, size_t atsz)
{
	char line[4096], num[32], dir[PATH_MAX], path[PATH_MAX];
	bool found = false;
	FILE *f = NULL;

	if (!host_path(path, "/proc/1/mountinfo"))
		f = fopen(path, "re");
	if (!f && !host_path(path, "/proc/self/mountinfo"))
		f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*d %*d %31s %*s %4095s", num, dir) == 2 &&
		    !strcmp(num, devno)) {
			snprintf(at, atsz, "%s", dir);
			found = true;
		}
	fclose(f);
	return found;
}

/* is block device @name, number @dev, in /proc/swaps (by number, or name)? */
static bool swap_on(const char *name, dev_t dev)
{
	char line[4096], file[PATH_MAX], path[PATH_MAX];
	const char *base;
	bool found = false;
	struct stat st;
	FILE *f;

	if (host_path(path, "/proc/swaps") || !(f = fopen(path, "re")))
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%4095s", file) != 1 || file[0] != '/')
			continue;	/* the header */
		base = strrchr(file, '/') + 1;
		found = !strcmp(base, name) ||
			(!host_path(path, "%s", file) && !stat(path, &st) &&
			 S_ISBLK(st.st_mode) && st.st_rdev == dev);
	}
	fclose(f);
	return found;
}

/*
 * Does something hold block device @name, number @dev, open exclusively
 * (a filesystem, ZFS, an NVMe target, md, a raw O_EXCL open), holders or
 * not?  Then the kernel refuses our exclusive open.  No node, no answer.
 */
static bool open_exclusively(const char *name, dev_t dev)
{
	char path[PATH_MAX];
	struct stat st;
	int fd;

	if (host_path(path, "/dev/%s", name) || stat(path, &st) ||
	    !S_ISBLK(st.st_mode) || st.st_rdev != dev)
		return false;
	fd = open(path, O_RDONLY | O_EXCL | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		return false;
	}
	return errno == EBUSY;
}

/* the first entry of directory @path other than . and .., into @out */
static bool first_entry(const char *path, char *out, size_t outsz)
{
	DIR *d = opendir(path);
	struct dirent *e;
	bool found = false;

	if (!d)
		return false;
	while (!found && (e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(out, outsz, "%s", e->d_name);
			found = true;
		}
	closedir(d);
	return found;
}

/*
 * A block device (a directory with holders/): held, mounted, swap, or
 * open exclusively by something else?
 */
static void check_block(struct users *u, const char *dir, const char *name)
{
	char path[PATH_MAX], devno[32], what[PATH_MAX];
	unsigned int major, minor;
	bool used = false;
	dev_t dev;

	if (join(path, dir, "holders") && first_entry(path, what, sizeof(what))) {
		users_add(u, "block device %s is held by %s", name, what);
		used = true;
	}
	if (!join(path, dir, "dev") || pb_read_text(path, devno, sizeof(devno)) ||
	    sscanf(devno, "%u:%u", &major, &minor) != 2)
		return;
	dev = makedev(major, minor);
	if (mounted_at(devno, what, sizeof(what))) {
		users_add(u, "block device %s is mounted on %s", name, what);
		used = true;
	}
	if (swap_on(name, dev)) {
		users_add(u, "block device %s is in use as swap", name);
		used = true;
	}
	/* any of those holds it exclusively too: say the cause, once */
	if (!used && open_exclusively(name, dev))
		users_add(u, "block device %s is open exclusively (a filesystem, ZFS, an NVMe target, md or a program)",
			  name);
}

/* a network interface (net/<name>): up? */
static void check_netdev(struct users *u, const char *dir, const char *name)
{
	char path[PATH_MAX], text[32];
	uint64_t flags;

	if (join(path, dir, "flags") && !pb_read_text(path, text, sizeof(text)) &&
	    !pb_parse_u64(text, &flags) && (flags & IFF_UP))
		users_add(u, "network interface %s is up", name);
}

/* a DRM card (drm/cardN): does a connector of it drive a display? */
static void check_drm(struct users *u, const char *dir, const char *name)
{
	char conn[PATH_MAX], path[PATH_MAX], text[32];
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, name, strlen(name)) ||
		    e->d_name[strlen(name)] != '-')
			continue;
		if (join(conn, dir, e->d_name) && join(path, conn, "enabled") &&
		    !pb_read_text(path, text, sizeof(text)) &&
		    !strcmp(text, "enabled"))
			users_add(u, "DRM card %s drives a display (%s)", name,
				  e->d_name + strlen(name) + 1);
	}
	closedir(d);
}

/* /proc/<pid>/fd entries read at most: bind stays quick on a busy host */
#define FD_SCAN_MAX	(1UL << 20)

/*
 * Does a process have @a or @b ("": none) open?  Which one into *@which,
 * the process's PID and name into @who.
 */
static bool open_by_a_process(const char *a, const char *b,
			      const char **which, char *who, size_t whosz)
{
	char proc[PATH_MAX], fds[PATH_MAX], path[PATH_MAX], target[PATH_MAX];
	char comm[64];
	unsigned long seen = 0;
	struct dirent *p, *f;
	bool found = false;
	DIR *pd, *fd;
	ssize_t n;

	if (host_path(proc, "/proc") || !(pd = opendir(proc)))
		return false;
	while (!found && seen < FD_SCAN_MAX && (p = readdir(pd))) {
		/* a process that exits while we look is simply skipped */
		if (!isdigit((unsigned char)p->d_name[0]) ||
		    snprintf(fds, sizeof(fds), "%s/%s/fd", proc,
			     p->d_name) >= (int)sizeof(fds) ||
		    !(fd = opendir(fds)))
			continue;
		while (!found && seen++ < FD_SCAN_MAX && (f = readdir(fd))) {
			if (f->d_name[0] == '.' || !join(path, fds, f->d_name) ||
			    (n = readlink(path, target, sizeof(target) - 1)) < 0)
				continue;
			target[n] = '\0';
			*which = !strcmp(target, a) ? a :
				 *b && !strcmp(target, b) ? b : NULL;
			found = *which;
		}
		closedir(fd);
		if (!found)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s/comm", proc,
			     p->d_name) >= (int)sizeof(path) ||
		    pb_read_text(path, comm, sizeof(comm)))
			snprintf(comm, sizeof(comm), "?");
		snprintf(who, whosz, "process %.20s (%s)", p->d_name, comm);
	}
	closedir(pd);
	return found;
}

/*
 * A device bound to vfio-pci: is it open through VFIO (a VM, a DPDK
 * program)?  Its group's /dev/vfio/<group>, or its own
 * /dev/vfio/devices/vfioN (iommufd), open in some process.
 */
static void check_vfio(struct users *u, const char *bdf)
{
	char path[PATH_MAX], target[PATH_MAX], group[64], cdev[64] = "";
	char who[128], dev[64];
	const char *slash, *which;
	ssize_t n;

	if (sysfs_path(path, "bus/pci/devices/%s/iommu_group", bdf) ||
	    (n = readlink(path, target, sizeof(target) - 1)) < 0)
		return;
	target[n] = '\0';
	slash = strrchr(target, '/');
	snprintf(group, sizeof(group), "/dev/vfio/%.32s",
		 slash ? slash + 1 : target);
	if (!sysfs_path(path, "bus/pci/devices/%s/vfio-dev", bdf) &&
	    first_entry(path, dev, sizeof(dev)))
		snprintf(cdev, sizeof(cdev), "/dev/vfio/devices/%.32s", dev);
	if (open_by_a_process(group, cdev, &which, who, sizeof(who)))
		users_add(u, "%s is open in %s", which, who);
}

static void find_users(struct users *u, const char *dir, const char *parent,
		       int depth);

/*
 * NVMe controller @ctrl's subsystem: with native multipath (Debian's
 * kernels), the disks people use (nvmeXnY) live under
 * /sys/devices/virtual/nvme-subsystem/nvme-subsysN, next to a link to
 * each controller; below the controller are only the hidden per-path
 * disks.  The subsystem that links @ctrl: its disks and partitions
 * (@depth: find_users()'s, so that a loop ends).
 */
static void check_nvme_subsys(struct users *u, const char *ctrl, int depth)
{
	char cls[PATH_MAX], sub[PATH_MAX], path[PATH_MAX];
	struct dirent *e;
	struct stat st;
	DIR *d;

	if (sysfs_path(cls, "class/nvme-subsystem") || !(d = opendir(cls)))
		return;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && join(sub, cls, e->d_name) &&
		    join(path, sub, ctrl) && !lstat(path, &st))
			find_users(u, sub, e->d_name, depth);
	closedir(d);
}

/*
 * What uses the device: the interfaces, disks and cards below its sysfs
 * directory (not through links: those lead elsewhere), and the disks of
 * its NVMe subsystem, @depth levels down.
 */
static void find_users(struct users *u, const char *dir, const char *parent,
		       int depth)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d;

	if (depth > 8 || !(d = opendir(dir)))
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || e->d_type != DT_DIR)
			continue;
		if (!join(path, dir, e->d_name))
			continue;
		if (!strcmp(parent, "net"))
			check_netdev(u, path, e->d_name);
		else if (!strcmp(parent, "nvme"))
			check_nvme_subsys(u, e->d_name, depth + 1);
		else if (!strcmp(parent, "drm") && !strncmp(e->d_name, "card", 4))
			check_drm(u, path, e->d_name);
		else if (!strcmp(e->d_name, "holders"))
			check_block(u, dir, strrchr(dir, '/') + 1);
		find_users(u, path, e->d_name, depth + 1);
	}
	closedir(d);
}

/* ---- bind ------------------------------------------------------------------ */

/*
 * The device's driver_override into r->override, "" when none is set
 * (the kernel shows that as "(null)").  -1 after a message.
 */
static int read_override(struct dev_ref *r)
{
	char path[PATH_MAX];

	if (sysfs_path(path, "bus/pci/devices/%s/driver_override", r->bdf) ||
	    pb_read_text(path, r->override, sizeof(r->override))) {
		err_msg("%s: cannot read driver_override: %s", r->bdf,
			strerror(errno));
		return -1;
	}
	if (!strcmp(r->override, "(null)"))
		r->override[0] = '\0';
	return 0;
}

/*
 * peerbridge did not take the device: put driver_override back as it was
 * and give the device back to @old (or to no driver, as it was).  Says
 * how that went.
 */
static void roll_back(struct dev_ref *r, const char *old)
{
	char now[64], restored[96];
	int err = 0;

	/* a lone newline clears it */
	if (sysfs_write(*r->override ? r->override : "\n",
			"bus/pci/devices/%s/driver_override", r->bdf)) {
		err_msg("%s: rollback failed: cannot restore driver_override (%s): the next probe still offers the device to peerbridge only",
			r->bdf, strerror(errno));
		return;
	}
	if (*r->override)
		snprintf(restored, sizeof(restored),
			 "driver_override restored to %s", r->override);
	else
		snprintf(restored, sizeof(restored), "driver_override cleared");
	if (!*old) {
		err_msg("%s: rolled back: %s; it had no driver before",
			r->bdf, restored);
		return;
	}
	/* still bound when the unbind failed: then this fails, harmlessly */
	if (sysfs_write(r->bdf, "bus/pci/drivers/%s/bind", old))
		err = errno;
	dev_driver(r, now, sizeof(now));
	if (!strcmp(now, old))
		err_msg("%s: rolled back: %s, bound to %s again", r->bdf,
			restored, old);
	else
		err_msg("%s: rollback failed: %s did not take it back (%s; driver now: %s); %s",
			r->bdf, old, err ? strerror(err) : "no error",
			*now ? now : "none", restored);
}

/* driver_override, unbind @old, probe: peerbridge's now, or rolled back */
static int move_to_peerbridge(struct dev_ref *r, const char *old)
{
	char now[64];

	if (sysfs_write("peerbridge", "bus/pci/devices/%s/driver_override",
			r->bdf)) {
		err_msg("%s: cannot set driver_override: %s", r->bdf,
			strerror(errno));
		return EXIT_RUNTIME;
	}
	if (*old && sysfs_write(r->bdf, "bus/pci/drivers/%s/unbind", old)) {
		err_msg("%s: cannot unbind %s: %s", r->bdf, old,
			strerror(errno));
		roll_back(r, old);
		return EXIT_RUNTIME;
	}
	/* a probe that fails shows as "not peerbridge's" below */
	if (sysfs_write(r->bdf, "bus/pci/drivers_probe", NULL) &&
	    errno != ENODEV && errno != EINVAL && errno != ENXIO) {
		err_msg("%s: probe request failed: %s", r->bdf,
			strerror(errno));
		roll_back(r, old);
		return EXIT_RUNTIME;
	}
	dev_driver(r, now, sizeof(now));
	if (strcmp(now, "peerbridge")) {
		err_msg("%s: peerbridge did not bind (driver now: %s); see dmesg",
			r->bdf, *now ? now : "none");
		roll_back(r, old);
		return EXIT_RUNTIME;
	}
	return 0;
}

int cmd_bind(struct pr *p, const struct invocation *in)
{
	char path[PATH_MAX];
	struct users users = { .text = "" };
	struct dev_ref r;
	int ret;

	ret = dev_open(in, &r);
	if (ret)
		return ret;
	ret = EXIT_RUNTIME;
	if (sysfs_path(path, "bus/pci/drivers/peerbridge") ||
	    access(path, F_OK)) {
		err_msg("peerbridge.ko is not loaded (modprobe peerbridge)");
		goto out;
	}
	if (!strcmp(r.driver, "peerbridge")) {
		ret = 0;	/* already bound: nothing to do */
		goto done;
	}
	if (!sysfs_path(path, "bus/pci/devices/%s", r.bdf))
		find_users(&users, path, "", 0);
	if (!strcmp(r.driver, "vfio-pci"))
		check_vfio(&users, r.bdf);
	if (users.text[0] && !in->force) {
		err_msg("%s is in use: %s; stop using it first, or bind it all the same with --force",
			r.bdf, users.text);
		goto out;
	}
	if (users.text[0])
		err_msg("%s is in use (%s): binding it all the same (--force)",
			r.bdf, users.text);
	if (read_override(&r))
		goto out;
	ret = move_to_peerbridge(&r, r.driver);
	if (ret)
		goto out;
done:
	pr_binding(p, r.bdf, "peerbridge", r.driver);
out:
	dev_close(&r);
	return ret;
}

int cmd_unbind(struct pr *p, const struct invocation *in)
{
	char now[64];
	struct dev_ref r;
	int ret;

	ret = dev_open(in, &r);
	if (ret)
		return ret;
	ret = EXIT_RUNTIME;
	if (strcmp(r.driver, "peerbridge")) {
		err_msg("%s is not bound to peerbridge (driver: %s)", r.bdf,
			*r.driver ? r.driver : "none");
		goto out;
	}
	/* revokes every mapping of the device's regions, then detaches */
	if (sysfs_write(r.bdf, "bus/pci/drivers/%s/unbind", "peerbridge")) {
		err_msg("%s: unbind failed: %s", r.bdf, strerror(errno));
		goto out;
	}
	/* hand the device back to whichever driver claims it natively */
	if (sysfs_write("\n", "bus/pci/devices/%s/driver_override", r.bdf)) {
		err_msg("%s: cannot clear driver_override: %s", r.bdf,
			strerror(errno));
		goto out;
	}
	(void)sysfs_write(r.bdf, "bus/pci/drivers_probe", NULL); /* none is fine */
	dev_driver(&r, now, sizeof(now));
	pr_binding(p, r.bdf, now, "peerbridge");
	ret = 0;
out:
	dev_close(&r);
	return ret;
}
