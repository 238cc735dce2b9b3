// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libpeerbridge-preload.so: with LD_PRELOAD, an unmodified verbs program's
 * ibv_reg_mr(), ibv_reg_mr_iova(), ibv_reg_mr_iova2() and ibv_dereg_mr()
 * take pb_reg_mr()'s route: peer memory becomes a dma-buf MR at the
 * program's own addresses; ordinary memory, and every other call, reach
 * libibverbs untouched.  A device that cannot import dma-bufs is named on
 * stderr, once.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>

#include <infiniband/verbs.h>

#include "pb_lib.h"

/* verbs.h routes these names through inline helpers */
#undef ibv_reg_mr
#undef ibv_reg_mr_iova

#define PB_SHIM __attribute__((visibility("default")))

static struct ibv_mr *(*pb_real_reg)(struct ibv_pd *, void *, size_t,
				     uint64_t, unsigned int);
static int (*pb_real_dereg)(struct ibv_mr *);
static pthread_once_t pb_real_once = PTHREAD_ONCE_INIT;

static void pb_real_find(void)
{
	pb_real_reg = dlsym(RTLD_NEXT, "ibv_reg_mr_iova2");
	pb_real_dereg = dlsym(RTLD_NEXT, "ibv_dereg_mr");
	pb_rdma_tell_stderr = 1;
}

struct ibv_mr *pb_plain_reg_mr(struct ibv_pd *pd, void *addr, size_t len,
			       uint64_t iova, int access)
{
	pthread_once(&pb_real_once, pb_real_find);
	if (!pb_real_reg) {
		errno = ENOSYS;
		return NULL;
	}
	return pb_real_reg(pd, addr, len, iova, access);
}

int pb_plain_dereg_mr(struct ibv_mr *mr)
{
	pthread_once(&pb_real_once, pb_real_find);
	return pb_real_dereg ? pb_real_dereg(mr) : ENOSYS;
}

PB_SHIM struct ibv_mr *ibv_reg_mr(struct ibv_pd *pd, void *addr, size_t length,
				  int access)
{
	pthread_once(&pb_real_once, pb_real_find);
	return pb_rdma_reg(pd, addr, length, (uintptr_t)addr, access, 1);
}

PB_SHIM struct ibv_mr *ibv_reg_mr_iova(struct ibv_pd *pd, void *addr,
				       size_t length, uint64_t iova, int access)
{
	pthread_once(&pb_real_once, pb_real_find);
	return pb_rdma_reg(pd, addr, length, iova, access, 1);
}

PB_SHIM struct ibv_mr *ibv_reg_mr_iova2(struct ibv_pd *pd, void *addr,
					size_t length, uint64_t iova,
					unsigned int access)
{
	pthread_once(&pb_real_once, pb_real_find);
	return pb_rdma_reg(pd, addr, length, iova, (int)access, 1);
}

PB_SHIM int ibv_dereg_mr(struct ibv_mr *mr)
{
	return pb_rdma_dereg(mr) ? errno : 0;
}
