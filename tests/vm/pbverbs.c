// SPDX-License-Identifier: GPL-2.0
/*
 * pbverbs: an ordinary verbs program that knows nothing of peerbridge.
 *   pbverbs <file> <len>   registers the first <len> bytes of <file>,
 *                          mapped shared (a /dev/pbmem node, say), or of
 *                          fresh memory for "-", as the target of an
 *                          RDMA WRITE between two RC QPs of rxe0, and
 *                          checks every byte that arrives.
 * Exit: 0 done, 1 setup failed, 2 usage, 3 ibv_reg_mr failed, 4 the
 * RDMA WRITE failed, 5 a byte differs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rc_loop.h"

static unsigned char byte_at(size_t i)
{
	return (unsigned char)(i * 7 + 3 + (i >> 12));
}

int main(int argc, char **argv)
{
	unsigned char *src, *dst;
	struct ibv_mr *msrc, *mdst;
	struct rc_loop r;
	const char *what;
	size_t len, i;
	int fd = -1;

	if (argc != 3 || !(len = strtoul(argv[2], NULL, 0))) {
		fprintf(stderr, "usage: pbverbs <file>|- <len>\n");
		return 2;
	}
	if (strcmp(argv[1], "-")) {
		fd = open(argv[1], O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			perror(argv[1]);
			return 1;
		}
	}
	dst = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   fd < 0 ? MAP_PRIVATE | MAP_ANONYMOUS : MAP_SHARED, fd, 0);
	src = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (dst == MAP_FAILED || src == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	for (i = 0; i < len; i++) {
		src[i] = byte_at(i);
		dst[i] = 0;
	}
	if (rc_loop_open(&r, "rxe0", &what)) {
		fprintf(stderr, "pbverbs: %s: %s\n", what, strerror(errno));
		return 1;
	}
	/* both entry points a verbs program may reach */
	msrc = ibv_reg_mr_iova2(r.pd, src, len, (uintptr_t)src,
				IBV_ACCESS_LOCAL_WRITE);
	mdst = ibv_reg_mr(r.pd, dst, len, IBV_ACCESS_LOCAL_WRITE |
			  IBV_ACCESS_REMOTE_WRITE);
	if (!msrc || !mdst) {
		fprintf(stderr, "pbverbs: ibv_reg_mr: %s\n", strerror(errno));
		return 3;
	}
	if (rc_loop_op(&r, IBV_WR_RDMA_WRITE, msrc, mdst, len) != IBV_WC_SUCCESS) {
		fprintf(stderr, "pbverbs: RDMA WRITE failed\n");
		return 4;
	}
	for (i = 0; i < len; i++) {
		if (dst[i] != byte_at(i)) {
			fprintf(stderr, "pbverbs: byte %zu differs\n", i);
			return 5;
		}
	}
	ibv_dereg_mr(mdst);
	ibv_dereg_mr(msrc);
	rc_loop_close(&r);
	printf("pbverbs: %zu bytes arrived by RDMA WRITE, every one checked\n", len);
	return 0;
}
