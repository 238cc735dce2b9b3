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

void err_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* $PEERBRIDGE_SYSFS (or /sys) joined with a path; -1 if too long */
int sysfs_path(char *buf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* the regions under /sys/class/pbmem, sorted; -1 after a message */
int scan_regions(struct dirent ***ents);
void free_regions(struct dirent **ents, int n);

/* One side of a copy: "host" or "<region>[@offset]", mapped and exported. */
struct copy_side {
	const char *spec;
	bool host;
	char region[PB_REGION_NAME_MAX];
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

/* pbctl_topo.c */
int cmd_check(struct pr *p, int argc, char **argv);
int cmd_topo(struct pr *p, int argc, char **argv);
int cmd_doctor(struct pr *p, int argc, char **argv);

#endif /* PBCTL_H */
