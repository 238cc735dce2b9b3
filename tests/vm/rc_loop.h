/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Plain verbs, nothing of peerbridge: two RC queue pairs of one device
 * connected to each other (rxe0 over the guest's dummy0), for the VM
 * suite and for pbverbs, the program that knows nothing of peerbridge.
 */
#ifndef RC_LOOP_H
#define RC_LOOP_H

#include <stddef.h>

#include <infiniband/verbs.h>

struct rc_loop {
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_qp *qp[2];
	union ibv_gid gid;
	int gid_index;
};

/* 0, or -1 with errno and what failed in *@what */
int rc_loop_open(struct rc_loop *r, const char *device, const char **what);
void rc_loop_close(struct rc_loop *r);

/*
 * One RDMA WRITE or READ of @len bytes from QP 0, @local to/from @remote,
 * waited for at most 10 s: its completion status, or -1 (errno ETIMEDOUT
 * or the post's error).
 */
int rc_loop_op(struct rc_loop *r, enum ibv_wr_opcode op, struct ibv_mr *local,
	       struct ibv_mr *remote, size_t len);

#endif
