// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * pb_reg_mr(): RDMA memory regions on peer memory.  A range inside a peer
 * mapping cannot be pinned by ibv_reg_mr() (there are no struct pages to
 * pin); it is exported as a dma-buf and registered with
 * ibv_reg_dmabuf_mr() at iova = its address, so work requests keep using
 * the addresses the program already has.  The dma-buf fd lives exactly as
 * long as the MR.  Ordinary memory goes to ibv_reg_mr() untouched.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#include "peerbridge.h"
#include "pb_lib.h"
#include "pb_rdma_policy.h"


static struct pb_probe_cache pb_probes = PB_PROBE_CACHE_INIT;
int pb_rdma_tell_stderr;

/* the process's one context for QUERY and EXPORT, opened on first use */
static pthread_once_t pb_rdma_once = PTHREAD_ONCE_INIT;
static struct pb_ctx *pb_rdma_ctx;

static void pb_rdma_open(void)
{
	int err = errno;

	pb_rdma_ctx = pb_open();	/* NULL: no peerbridge, no peer memory */
	errno = err;
}

/* the dma-buf behind each MR pb_reg_mr() made from peer memory */
struct pb_mr_fd {
	struct ibv_mr *mr;
	int fd;
	struct pb_mr_fd *next;
};

static pthread_mutex_t pb_mrs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pb_mr_fd *pb_mrs;

static int pb_mrs_add(struct ibv_mr *mr, int fd)
{
	struct pb_mr_fd *e = malloc(sizeof(*e));

	if (!e)
		return -1;
	e->mr = mr;
	e->fd = fd;
	pthread_mutex_lock(&pb_mrs_lock);
	e->next = pb_mrs;
	pb_mrs = e;
	pthread_mutex_unlock(&pb_mrs_lock);
	return 0;
}

/* the MR's dma-buf fd, taken out of the table; -1 if it has none */
static int pb_mrs_take(struct ibv_mr *mr)
{
	struct pb_mr_fd **p, *e;
	int fd = -1;

	pthread_mutex_lock(&pb_mrs_lock);
	for (p = &pb_mrs; *p; p = &(*p)->next) {
		if ((*p)->mr != mr)
			continue;
		e = *p;
		*p = e->next;
		fd = e->fd;
		free(e);
		break;
	}
	pthread_mutex_unlock(&pb_mrs_lock);
	return fd;
}

/*
 * The access flags a dma-buf MR takes (the kernel's reg_dmabuf_mr refuses
 * anything else): optional bits it does not know are dropped, as
 * ibv_reg_mr() drops them; -1 (EINVAL, explained) for a flag it refuses.
 */
static int pb_dmabuf_access(int access)
{
	const int allowed = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
			    IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_ATOMIC |
			    IBV_ACCESS_RELAXED_ORDERING;

	access &= ~(IBV_ACCESS_OPTIONAL_RANGE & ~IBV_ACCESS_RELAXED_ORDERING);
	if (access & ~allowed) {
		pb_set_error_detail(EINVAL, "peer memory registers as a dma-buf MR, which takes no access flags but LOCAL_WRITE, REMOTE_WRITE, REMOTE_READ, REMOTE_ATOMIC and RELAXED_ORDERING (asked: %#x)",
				    access & ~allowed);
		errno = EINVAL;
		return -1;
	}
	return access;
}

/* the one line a user whose NIC cannot import dma-bufs needs */
static void pb_explain_refusal(struct ibv_pd *pd, int err, int tell)
{
	if (tell && pb_rdma_tell_stderr)
		fprintf(stderr, "peerbridge: RDMA device %s cannot register dma-buf memory, so it cannot reach peer memory (a NIC whose driver imports dma-bufs can: mlx5, efa, irdma, bnxt_re, mana; see docs/rdma.md)\n",
			ibv_get_device_name(pd->context->device));
	pb_set_error_detail(err,
			    "RDMA device %s cannot register dma-buf memory (%s), so it cannot reach peer memory: a NIC whose kernel driver imports dma-bufs can (mlx5 on Linux 5.12+ with ODP; efa 5.16+; irdma 6.3+; bnxt_re 6.6+; mana 6.15+); rxe and siw cannot",
			    ibv_get_device_name(pd->context->device),
			    err == EOPNOTSUPP ? "the driver has no dma-buf support" :
						"ibv_reg_dmabuf_mr failed");
}

/* auto mode: a device known to refuse dma-bufs is not asked again */
static int pb_known_refusal(struct ibv_pd *pd, int mode)
{
	if (mode != PB_DMABUF_AUTO ||
	    pb_probe_get(&pb_probes, ibv_get_device_name(pd->context->device)) !=
	    PB_PROBE_REFUSES)
		return 0;
	pb_explain_refusal(pd, EOPNOTSUPP, 0);
	errno = EOPNOTSUPP;
	return 1;
}

/* Register a dma-buf range; remember and explain a device's refusal. */
static struct ibv_mr *pb_reg_dmabuf(struct ibv_pd *pd, int fd,
				    uint64_t offset, size_t len, uint64_t iova,
				    int access)
{
	const char *dev = ibv_get_device_name(pd->context->device);
	struct ibv_mr *mr;

	mr = ibv_reg_dmabuf_mr(pd, offset, len, iova, fd, access);
	if (mr) {
		pb_probe_set(&pb_probes, dev, PB_PROBE_IMPORTS);
		return mr;
	}
	if (errno == EOPNOTSUPP || errno == ENOSYS) {
		pb_probe_set(&pb_probes, dev, PB_PROBE_REFUSES);
		pb_explain_refusal(pd, EOPNOTSUPP, 1);
		errno = EOPNOTSUPP;
	}
	return NULL;
}

static int pb_mode(void)
{
	int mode = pb_dmabuf_mode_parse(secure_getenv(PB_DMABUF_ENV));

	if (mode < 0)
		pb_set_error_detail(EINVAL, "%s must be auto, 0 or 1",
				    PB_DMABUF_ENV);
	return mode;
}

struct ibv_mr *pb_rdma_reg(struct ibv_pd *pd, void *addr, size_t len,
			   uint64_t iova, int access, int shim)
{
	uintptr_t page = sysconf(_SC_PAGESIZE), start, end;
	struct pb_range_info info;
	struct ibv_mr *mr;
	int mode, fd, err;

	pb_begin(PB_CALL_RDMA);
	if (!pd || !len) {
		if (shim)	/* libibverbs says what it says */
			return pb_plain_reg_mr(pd, addr, len, iova, access);
		errno = EINVAL;
		return NULL;
	}
	mode = pb_mode();
	if (mode < 0)
		return NULL;
	if (mode == PB_DMABUF_OFF)
		return pb_plain_reg_mr(pd, addr, len, iova, access);
	pthread_once(&pb_rdma_once, pb_rdma_open);
	if (!pb_rdma_ctx || pb_query(pb_rdma_ctx, addr, len, &info)) {
		/*
		 * Ordinary memory; for the shim, anything not clearly peer
		 * memory (implicit ODP's whole address space, say) goes on
		 * to libibverbs as the program meant it.
		 */
		if (!pb_rdma_ctx || errno == ENOENT || shim) {
			pb_begin(PB_CALL_RDMA);	/* what libibverbs says */
			return pb_plain_reg_mr(pd, addr, len, iova, access);
		}
		return NULL;	/* EINVAL: peer memory mixed with other */
	}
	pb_begin(PB_CALL_RDMA);
	access = pb_dmabuf_access(access);
	if (access < 0 || pb_known_refusal(pd, mode))
		return NULL;

	/*
	 * Exports are whole pages: the MR starts where addr is in the first.
	 * Writable, whatever the MR's access: the kernel's umem maps a dma-buf
	 * for both directions, and the MR's own flags bound what the NIC does.
	 */
	start = (uintptr_t)addr & ~(page - 1);
	end = ((uintptr_t)addr + len + page - 1) & ~(page - 1);
	fd = pb_export(pb_rdma_ctx, (void *)start, end - start,
		       PB_EXPORT_CLOEXEC);
	if (fd < 0)
		return NULL;	/* as pb_export() means it */
	pb_begin(PB_CALL_RDMA);
	mr = pb_reg_dmabuf(pd, fd, (uintptr_t)addr - start, len, iova, access);
	if (mr && !pb_mrs_add(mr, fd))
		return mr;
	err = mr ? ENOMEM : errno;
	if (mr)
		pb_plain_dereg_mr(mr);
	close(fd);
	errno = err;
	return NULL;
}

PB_EXPORT struct ibv_mr *pb_reg_mr(struct ibv_pd *pd, void *addr, size_t len,
				   int access)
{
	return pb_rdma_reg(pd, addr, len, (uintptr_t)addr, access, 0);
}

PB_EXPORT struct ibv_mr *pb_reg_dmabuf_mr(struct ibv_pd *pd, int fd,
					  uint64_t offset, size_t len,
					  uint64_t iova, int access)
{
	int mode;

	pb_begin(PB_CALL_RDMA);
	if (!pd || fd < 0 || !len) {
		errno = EINVAL;
		return NULL;
	}
	mode = pb_mode();
	if (mode < 0)
		return NULL;
	access = pb_dmabuf_access(access);
	if (access < 0 || pb_known_refusal(pd, mode))
		return NULL;
	return pb_reg_dmabuf(pd, fd, offset, len, iova, access);
}

int pb_rdma_dereg(struct ibv_mr *mr)
{
	int fd, ret;

	pb_begin(PB_CALL_RDMA);
	if (!mr) {
		errno = EINVAL;
		return -1;
	}
	fd = pb_mrs_take(mr);
	ret = pb_plain_dereg_mr(mr);
	if (ret) {
		/* the MR still stands, and with it its dma-buf */
		if (fd >= 0 && pb_mrs_add(mr, fd))
			close(fd);	/* out of memory: the MR keeps its ref */
		errno = ret;
		return -1;
	}
	if (fd >= 0)
		close(fd);
	return 0;
}

PB_EXPORT int pb_dereg_mr(struct ibv_mr *mr)
{
	return pb_rdma_dereg(mr);
}
