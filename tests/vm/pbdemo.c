// SPDX-License-Identifier: GPL-2.0
/*
 * pbdemo <region>: the round trip `make demo` shows.  Maps a region twice
 * through libpeerbridge, writes a pattern through the first mapping and
 * checks every byte through the second.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <peerbridge.h>

#include "pb_pattern.h"

int main(int argc, char **argv)
{
	struct pb_ctx *ctx;
	size_t la, lb;
	void *a, *b;
	long bad;

	if (argc != 2) {
		fprintf(stderr, "usage: pbdemo <region>\n");
		return 2;
	}
	ctx = pb_open();
	if (!ctx) {
		fprintf(stderr, "pbdemo: pb_open: %s\n", pb_strerror(errno));
		return 1;
	}
	a = pb_map(ctx, argv[1], &la);
	b = pb_map(ctx, argv[1], &lb);
	if (!a || !b) {
		fprintf(stderr, "pbdemo: pb_map %s: %s\n", argv[1],
			pb_strerror(errno));
		return 1;
	}
	printf("%s: %zu bytes mapped twice, at %p and at %p\n", argv[1], la,
	       a, b);
	pb_fill_pattern(a, la, 0xdecafbad);
	printf("%s: wrote a %zu-byte pattern through %p\n", argv[1], la, a);
	bad = pb_verify_pattern(b, lb, 0xdecafbad);
	if (bad >= 0) {
		printf("%s: MISMATCH at byte %ld read through %p\n", argv[1],
		       bad, b);
		return 1;
	}
	printf("%s: read it back through %p: all %zu bytes match\n", argv[1],
	       b, lb);
	pb_unmap(a, la);
	pb_unmap(b, lb);
	pb_close(ctx);
	return 0;
}
