// SPDX-License-Identifier: LGPL-2.1-or-later
/* libpeerbridge's ordinary registration: libibverbs, called directly. */
#include <infiniband/verbs.h>

#include "pb_lib.h"

struct ibv_mr *pb_plain_reg_mr(struct ibv_pd *pd, void *addr, size_t len,
			       uint64_t iova, int access)
{
	return ibv_reg_mr_iova2(pd, addr, len, iova, access);
}

int pb_plain_dereg_mr(struct ibv_mr *mr)
{
	return ibv_dereg_mr(mr);
}
