/* SPDX-License-Identifier: GPL-2.0 */
/* pbctl's commands, split over files; the command table is in pbctl.c. */
#ifndef PBCTL_H
#define PBCTL_H

#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>

#include <peerbridge.h>

#include "pb_util.h"
#include "print.h"

#define EXIT_RUNTIME	1
#define EXIT_USAGE	2
/*
 * Or'ed into a command's nonzero exit status when it has printed its
 * result all the same (doctor finding a problem, check refusing a path).
 */
#define EXIT_PRINTED	0x100

/* one command line, parsed: the operands after the command, its options */
struct invocation {
	const char *cmd;	/* the command's name, for messages */
	int argc;
	char **argv;
	bool force;		/* bind --force */
	bool verify;		/* copy --verify */
	const char *validate;	/* check --validate[=<len>]: "" without a
				 * length, NULL when not given */
};

/* "pbctl: " and the message, on stderr */
void err_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * A size or offset argument (pb_parse_size()); @what names it in the
 * message ("<len>", "--validate").  -1 after the message (a usage error).
 */
int size_arg(const struct invocation *in, const char *what, const char *text,
	     bool nonzero, uint64_t *val);
/* $PEERBRIDGE_SYSFS (or /sys) joined with a path; -1 if too long */
int sysfs_path(char *buf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * A path of the host's outside sysfs ("/proc/swaps", "/dev/%s") into @buf
 * (PATH_MAX); -1 if too long.  Under a fake sysfs tree ($PEERBRIDGE_SYSFS
 * in effect) it is the same path under $PEERBRIDGE_SYSFS/.host, so that
 * a test fakes the processes, mounts and device nodes too and never sees
 * the host's.
 */
int host_path(char *buf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * The regions under /sys/class/pbmem, sorted (free with free_regions());
 * -1 after a message, which says so when peerbridge.ko is not loaded.
 */
int scan_regions(struct dirent ***ents);
void free_regions(struct dirent **ents, int n);

/* One side of a copy: "host" or "<region>[@offset]", mapped and exported. */
struct copy_side {
	bool host;
	char region[PB_REGION_NAME_MAX];	/* canonical */
	uint64_t offset;
	void *map;		/* region mapping, or the host buffer */
	size_t map_len;
	struct pb_buf buf;
};
/* map/allocate one side for @len bytes; a message and -1 on failure */
int copy_side_open(struct pb_ctx *ctx, struct copy_side *side, uint64_t len);
void copy_side_close(struct copy_side *side);
/* where the side's bytes start */
unsigned char *copy_side_bytes(struct copy_side *side);

/*
 * A device's PCI identity from libpci: "pci_id" ("1af4:1110"), "vendor"
 * and "product" (names from the PCI ID database, null when it has none).
 * @d NULL: all three null.
 */
void pr_pci_ident(struct pr *p, struct pci_access *pacc, struct pci_dev *d);

/* pbctl_bind.c */
int cmd_bind(struct pr *p, const struct invocation *in);
int cmd_unbind(struct pr *p, const struct invocation *in);

/* pbctl_topo.c */
int cmd_check(struct pr *p, const struct invocation *in);
int cmd_topo(struct pr *p, const struct invocation *in);
int cmd_doctor(struct pr *p, const struct invocation *in);

#endif /* PBCTL_H */
