// SPDX-License-Identifier: GPL-2.0
/* Two RC queue pairs of one device, connected to each other. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "rc_loop.h"

/* an IPv4-mapped GID (RoCE v2 over the netdev's address), else the first */
static int rc_pick_gid(struct rc_loop *r)
{
	static const uint8_t v4_prefix[12] = { [10] = 0xff, [11] = 0xff };
	union ibv_gid gid;
	int i;

	if (ibv_query_gid(r->ctx, 1, 0, &r->gid))
		return -1;
	r->gid_index = 0;
	for (i = 1; i < 16 && !ibv_query_gid(r->ctx, 1, i, &gid); i++) {
		if (!memcmp(gid.raw, v4_prefix, sizeof(v4_prefix))) {
			r->gid = gid;
			r->gid_index = i;
			break;
		}
	}
	return 0;
}

static int rc_connect(struct rc_loop *r, struct ibv_qp *qp, uint32_t peer)
{
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_INIT,
		.port_num = 1,
		.qp_access_flags = IBV_ACCESS_LOCAL_WRITE |
				   IBV_ACCESS_REMOTE_WRITE |
				   IBV_ACCESS_REMOTE_READ,
	};

	if (ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
			  IBV_QP_PORT | IBV_QP_ACCESS_FLAGS))
		return -1;
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTR;
	a.path_mtu = IBV_MTU_1024;
	a.dest_qp_num = peer;
	a.max_dest_rd_atomic = 1;
	a.min_rnr_timer = 12;
	a.ah_attr.is_global = 1;
	a.ah_attr.grh.dgid = r->gid;
	a.ah_attr.grh.sgid_index = r->gid_index;
	a.ah_attr.grh.hop_limit = 1;
	a.ah_attr.port_num = 1;
	if (ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
			  IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
			  IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER))
		return -1;
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTS;
	a.timeout = 14;
	a.retry_cnt = 7;
	a.rnr_retry = 7;
	a.max_rd_atomic = 1;
	return ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_TIMEOUT |
			     IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY |
			     IBV_QP_SQ_PSN | IBV_QP_MAX_QP_RD_ATOMIC) ? -1 : 0;
}

int rc_loop_open(struct rc_loop *r, const char *device, const char **what)
{
	struct ibv_qp_init_attr qa = {
		.qp_type = IBV_QPT_RC,
		.cap = { .max_send_wr = 4, .max_recv_wr = 4,
			 .max_send_sge = 1, .max_recv_sge = 1 },
	};
	struct ibv_device **list;
	int i, n = 0;

	memset(r, 0, sizeof(*r));
	*what = "ibv_get_device_list";
	list = ibv_get_device_list(&n);
	if (!list)
		return -1;
	for (i = 0; i < n && !r->ctx; i++)
		if (!strcmp(ibv_get_device_name(list[i]), device))
			r->ctx = ibv_open_device(list[i]);
	ibv_free_device_list(list);
	*what = "no such device, or ibv_open_device";
	if (!r->ctx)
		goto err;
	*what = "ibv_alloc_pd";
	r->pd = ibv_alloc_pd(r->ctx);
	if (!r->pd)
		goto err;
	*what = "ibv_create_cq";
	r->cq = ibv_create_cq(r->ctx, 8, NULL, NULL, 0);
	if (!r->cq)
		goto err;
	*what = "ibv_query_gid";
	if (rc_pick_gid(r))
		goto err;
	qa.send_cq = r->cq;
	qa.recv_cq = r->cq;
	*what = "ibv_create_qp";
	for (i = 0; i < 2; i++) {
		r->qp[i] = ibv_create_qp(r->pd, &qa);
		if (!r->qp[i])
			goto err;
	}
	*what = "ibv_modify_qp";
	if (rc_connect(r, r->qp[0], r->qp[1]->qp_num) ||
	    rc_connect(r, r->qp[1], r->qp[0]->qp_num))
		goto err;
	return 0;
err:
	if (!errno)
		errno = ENODEV;
	i = errno;
	rc_loop_close(r);
	errno = i;
	return -1;
}

void rc_loop_close(struct rc_loop *r)
{
	if (r->qp[1])
		ibv_destroy_qp(r->qp[1]);
	if (r->qp[0])
		ibv_destroy_qp(r->qp[0]);
	if (r->cq)
		ibv_destroy_cq(r->cq);
	if (r->pd)
		ibv_dealloc_pd(r->pd);
	if (r->ctx)
		ibv_close_device(r->ctx);
	memset(r, 0, sizeof(*r));
}

int rc_loop_op(struct rc_loop *r, enum ibv_wr_opcode op, struct ibv_mr *local,
	       struct ibv_mr *remote, size_t len)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)local->addr, .length = len,
		.lkey = local->lkey,
	};
	struct ibv_send_wr wr = {
		.wr_id = 1, .sg_list = &sge, .num_sge = 1, .opcode = op,
		.send_flags = IBV_SEND_SIGNALED,
		.wr.rdma = { .remote_addr = (uintptr_t)remote->addr,
			     .rkey = remote->rkey },
	}, *bad;
	struct ibv_wc wc;
	int i, n = 0, err;

	err = ibv_post_send(r->qp[0], &wr, &bad);
	if (err) {
		errno = err;
		return -1;
	}
	for (i = 0; i < 10000 && !n; i++) {
		n = ibv_poll_cq(r->cq, 1, &wc);
		if (n < 0) {
			errno = EIO;
			return -1;
		}
		if (!n)
			usleep(1000);
	}
	if (!n) {
		errno = ETIMEDOUT;
		return -1;
	}
	return wc.status;
}
